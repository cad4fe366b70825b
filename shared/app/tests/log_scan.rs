//! Issue #20's log scan: every log line the app writes while a citizen asks a question, files a
//! complaint and the complaint's tasks run (through the real Graph client, with one Graph
//! failure on the way, the webhook handshake and a forged signature) is captured, at TRACE
//! level and with every span field, and none may hold a secret (app secret, access token,
//! verify token), the citizen's full phone number or what they wrote. Masked forms such as
//! `628…432` are fine.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;
use tracing_subscriber::layer::SubscriberExt;

use prolink_app::complaint_worker::{ComplaintWorkerStores, TaskItem};
use prolink_app::ports::{Queue, SystemClock};
use prolink_app::worker::{DialogWorker, WorkerStores};

use crate::app::text_payload;
use crate::fault_suite::{
    fill_complaint_form, graph_failing_first, graph_messenger_with_token, kirim, meta_error,
};
use crate::support::{fast_settings, TestApp};

/// Every formatted line of this process, from the moment [`capture`] is first called.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs (once per process) the two formats the app logs in: the text lines of
/// `prolink serve` and JSON lines with the span list, as CloudWatch gets them. Global, so the
/// workers' tasks and the blocking threads of the SQLite store are captured too.
fn capture() -> Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = Captured::default();
            let text = captured.clone();
            let json = captured.clone();
            let subscriber = tracing_subscriber::registry()
                .with(
                    tracing_subscriber::fmt::layer()
                        .with_ansi(false)
                        .with_writer(move || text.clone()),
                )
                .with(
                    tracing_subscriber::fmt::layer()
                        .json()
                        .with_current_span(true)
                        .with_span_list(true)
                        .with_writer(move || json.clone()),
                )
                .with(tracing_subscriber::filter::LevelFilter::TRACE);
            tracing::subscriber::set_global_default(subscriber)
                .expect("the log scan installs the only subscriber of its process");
            captured
        })
        .clone()
}

const CITIZEN: &str = "6281298765432";
const QUESTION: &str = "Kapan jadwal vaksinasi kucing gratis di kelurahan Wiroborang";
const APP_SECRET_MARK: &str = "log-scan-app-secret";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_number_or_message_text_reaches_the_logs() {
    let captured = capture();
    let access_token = "EAAGlogScanAccessToken0123456789";

    // One ambiguous failure on the way, so the error paths log too.
    let server = graph_failing_first(meta_error(500, 1), 1).await;

    let harness = TestApp::new();
    let messenger = graph_messenger_with_token(server.uri(), access_token);
    let worker = DialogWorker::new(
        WorkerStores::from_store(harness.app.store.clone()),
        messenger,
        Arc::new(SystemClock),
        fast_settings(),
    )
    .with_tasks(harness.app.tasks.clone());
    let secret = harness.secret();
    let verify_token = harness.app.secrets.secrets.verify_token.clone();
    assert!(secret.len() >= 16 && verify_token.len() >= 16);

    // The handshake, right and wrong, and a forged signature.
    for token in [verify_token.as_str(), "not-the-token"] {
        let uri = format!(
            "/webhook?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444"
        );
        let response = harness
            .router()
            .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
            .await
            .expect("router");
        assert!(response.status() == StatusCode::OK || response.status().is_client_error());
    }
    let forged = text_payload(CITIZEN, "Sari", "wamid.scan.forged", QUESTION);
    let signature = prolink_whatsapp::signature::signature_header_value(APP_SECRET_MARK, &forged);
    assert_eq!(
        harness
            .post_raw(forged, Some(signature), "application/json")
            .await,
        StatusCode::UNAUTHORIZED
    );

    // A question, then a whole complaint.
    let question = text_payload(CITIZEN, "Sari", "wamid.scan.q", QUESTION);
    assert_eq!(harness.post_signed(&question).await, StatusCode::OK);
    harness.drain_with(&worker).await;
    fill_complaint_form(&harness, &worker, CITIZEN, "scan").await;
    assert_eq!(harness.post_signed(&kirim(CITIZEN, "scan")).await, 200);
    harness.drain_with(&worker).await;
    assert_eq!(
        harness.post_signed(&kirim(CITIZEN, "scan")).await,
        200,
        "Meta's retry"
    );
    harness.drain_with(&worker).await;

    // The complaint's tasks (operator alerts, notifications) by the complaint worker.
    let complaint_worker = harness.complaint_worker(
        Arc::new(SystemClock),
        ComplaintWorkerStores::from_store(harness.app.store.clone()),
    );
    let mut rounds = 0;
    loop {
        let deliveries = harness
            .app
            .tasks
            .receive(10, Duration::from_secs(30))
            .await
            .expect("receive");
        if deliveries.is_empty() || rounds > 20 {
            break;
        }
        rounds += 1;
        let items: Vec<TaskItem> = deliveries.iter().map(TaskItem::from).collect();
        complaint_worker.process_batch(&items).await;
        for delivery in &deliveries {
            let _ = harness.app.tasks.delete(&delivery.receipt).await;
        }
    }
    assert!(rounds > 0, "the complaint queued tasks");
    assert!(
        !server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty(),
        "replies went through Graph"
    );

    let log = String::from_utf8_lossy(&captured.0.lock().expect("log").clone()).into_owned();
    let lines = log.lines().count();
    assert!(
        lines > 50,
        "the flow logs (a scan of nothing proves nothing): {lines} lines"
    );
    assert!(
        log.contains("wamid.scan.q"),
        "the log names the message by its id"
    );
    let forbidden: [(&str, &str); 9] = [
        ("the app secret", &secret),
        ("the forging secret", APP_SECRET_MARK),
        ("the access token", access_token),
        ("the verify token", &verify_token),
        ("the citizen's phone number", CITIZEN),
        ("the citizen's question", QUESTION),
        (
            "the complaint's description",
            "Jalan di depan pasar berlubang besar",
        ),
        ("the complaint's address", "Panglima Sudirman 10"),
        ("a phone number in the Graph form", "+6281298765432"),
    ];
    let mut leaks = Vec::new();
    for (what, needle) in forbidden {
        for line in log.lines().filter(|line| line.contains(needle)) {
            leaks.push(format!("{what}: {line}"));
        }
    }
    assert!(leaks.is_empty(), "leaks in the log:\n{}", leaks.join("\n"));
}
