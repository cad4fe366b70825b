//! Issue #20 "Nothing lost, nothing silent": the webhook's handling of items a queue cannot
//! carry, payloads that do not parse, and implausible timestamps.

use std::sync::Arc;

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;
use tower::ServiceExt;

use prolink_app::ports::{
    Delivery, OutgoingMessage, PortError, PortResult, Queue, RawInboundLog, StaticSecrets,
    SystemClock, WhatsAppSecrets,
};
use prolink_app::webhook_router::{router, WebhookState};
use prolink_embedded::sqlite::{SqliteDb, SqliteStore};
use prolink_whatsapp::signature::signature_header_value;

use crate::app::{now_secs, text_payload, webhook_body};
use crate::support::TestApp;

const BUDI: &str = "6281234567890";

/// One POST carrying two citizens' texts: `bad` and then a plain one.
fn two_texts(bad: &str) -> Vec<u8> {
    webhook_body(json!({
        "contacts": [{ "profile": { "name": "Siti" }, "wa_id": "6281200000001" },
                     { "profile": { "name": "Budi" }, "wa_id": BUDI }],
        "messages": [
            { "from": "6281200000001", "id": "wamid.BAD", "timestamp": now_secs(), "type": "text",
              "text": { "body": bad } },
            { "from": BUDI, "id": "wamid.GOOD", "timestamp": now_secs(), "type": "text",
              "text": { "body": "halo" } }
        ]
    }))
}

#[tokio::test]
async fn a_text_with_noncharacters_is_queued_not_a_500() {
    let harness = TestApp::new();
    let status = harness
        .post_signed(&two_texts("halo \u{FFFF} dan \u{FFFE}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(harness.app.queue.depth().await.expect("depth"), 2);
    harness.drain().await;
    assert_eq!(harness.outbox_for(BUDI).await.len(), 1);
    assert_eq!(harness.outbox_for("6281200000001").await.len(), 1);
}

#[tokio::test]
async fn a_text_above_the_queue_body_limit_is_truncated_and_queued() {
    let harness = TestApp::new();
    let huge = "a".repeat(300 * 1024);
    assert_eq!(harness.post_signed(&two_texts(&huge)).await, StatusCode::OK);
    let deliveries = harness
        .app
        .queue
        .receive(10, std::time::Duration::from_secs(30))
        .await
        .expect("receive");
    assert_eq!(deliveries.len(), 2);
    assert!(deliveries.iter().all(|d| d.body.len() <= 256 * 1024));
    let raw = harness.app.store.recent(1).await.expect("raw log");
    assert_eq!(
        raw[0].outcome, "queued_with_changes",
        "{:?}",
        raw[0].outcome
    );
}

/// What a [`SendOnlyQueue`]'s send does.
type Sending = std::pin::Pin<Box<dyn std::future::Future<Output = PortResult<()>> + Send>>;

/// A queue whose sends its function decides; it has nothing to deliver. Stands for SQS as the
/// webhook sees it: unreachable, or slow.
struct SendOnlyQueue<F>(F);

#[async_trait]
impl<F> Queue for SendOnlyQueue<F>
where
    F: Fn() -> Sending + Send + Sync,
{
    async fn send_batch(&self, _messages: &[OutgoingMessage]) -> PortResult<()> {
        (self.0)().await
    }
    async fn receive(
        &self,
        _max: usize,
        _visibility: std::time::Duration,
    ) -> PortResult<Vec<Delivery>> {
        Ok(Vec::new())
    }
    async fn delete(&self, _receipt: &str) -> PortResult<()> {
        Ok(())
    }
    async fn change_visibility(
        &self,
        _receipt: &str,
        _visibility: std::time::Duration,
    ) -> PortResult<()> {
        Ok(())
    }
    async fn dead_letters(&self, _max: usize) -> PortResult<Vec<Delivery>> {
        Ok(Vec::new())
    }
}

/// Posts one signed text to a webhook that queues into `queue` and logs into `raw_log`.
async fn post_text(
    queue: Arc<dyn Queue>,
    raw_log: Arc<SqliteStore>,
    wamid: &str,
) -> axum::response::Response {
    let secret = "reliability-secret";
    let app = router(Arc::new(WebhookState {
        queue,
        raw_log,
        secrets: Arc::new(StaticSecrets(WhatsAppSecrets {
            app_secret: secret.into(),
            app_secret_previous: None,
            verify_token: "verify".into(),
            access_token: None,
        })),
        clock: Arc::new(SystemClock),
        retention_days: 30,
        erasures: None,
    }));
    let body = text_payload(BUDI, "Budi", wamid, "halo");
    let request = Request::post("/webhook")
        .header("content-type", "application/json")
        .header("X-Hub-Signature-256", signature_header_value(secret, &body))
        .body(Body::from(body))
        .expect("request");
    app.oneshot(request).await.expect("infallible")
}

fn raw_log_in_memory() -> Arc<SqliteStore> {
    let db = SqliteDb::open_in_memory().expect("db");
    Arc::new(SqliteStore::new(db, Arc::new(SystemClock)))
}

/// Meta waits for the slower of the queue and the raw log, not for their sum: the queue
/// takes the batch only once the raw log holds the payload's entry (or gives up after two
/// seconds).
#[tokio::test]
async fn the_payload_is_queued_and_logged_at_once() {
    let raw_log = raw_log_in_memory();
    let watched = raw_log.clone();
    let queue = SendOnlyQueue(move || {
        let watched = watched.clone();
        Box::pin(async move {
            for _ in 0..200 {
                if !watched.recent(1).await?.is_empty() {
                    return Ok(());
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            Err(PortError::Backend(
                "the raw log was not written meanwhile".into(),
            ))
        }) as Sending
    });
    let response = post_text(Arc::new(queue), raw_log.clone(), "wamid.TOGETHER").await;
    assert_eq!(response.status(), StatusCode::OK);
    let raw = raw_log.recent(5).await.expect("raw log");
    assert_eq!(raw.len(), 1);
    assert_eq!(raw[0].outcome, "queued");
}

#[tokio::test]
async fn the_raw_payload_is_logged_even_when_queueing_fails() {
    let raw_log = raw_log_in_memory();
    // A queue that refuses everything, as when SQS is unreachable.
    let down = SendOnlyQueue(|| {
        Box::pin(async { Err(PortError::Backend("queue down".into())) }) as Sending
    });
    let response = post_text(Arc::new(down), raw_log.clone(), "wamid.DOWN").await;
    // Nothing could be queued: Meta must retry.
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let raw = raw_log.recent(5).await.expect("raw log");
    assert_eq!(raw.len(), 1);
    assert_eq!(raw[0].outcome, "queue_failed");
    assert!(raw[0].body.contains("wamid.DOWN"));
}

/// Two citizens' texts in one POST; the first carries a lone surrogate escape (`\ud800`),
/// which serde_json refuses, and a legitimate pair (😀) that must survive.
fn lone_surrogate_payload() -> Vec<u8> {
    let body = String::from_utf8(two_texts("rusak LONE dan \u{1F600}")).expect("utf-8");
    body.replace("LONE", "\\ud800").into_bytes()
}

#[test]
fn a_lone_surrogate_costs_only_its_message() {
    let payload = prolink_whatsapp::webhook::parse_payload(&lone_surrogate_payload())
        .expect("the batch still parses");
    let messages: Vec<_> = payload
        .entry
        .iter()
        .flat_map(|entry| &entry.changes)
        .flat_map(|change| change.value.messages.iter())
        .collect();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].id, "wamid.BAD");
    assert_eq!(messages[0].kind(), "unsupported");
    assert_eq!(messages[1].id, "wamid.GOOD");
    assert_eq!(messages[1].kind(), "text");
}

#[tokio::test]
async fn a_lone_surrogate_is_answered_as_unreadable_and_the_batch_goes_through() {
    let harness = TestApp::new();
    assert_eq!(
        harness.post_signed(&lone_surrogate_payload()).await,
        StatusCode::OK
    );
    harness.drain().await;
    assert_eq!(harness.outbox_for(BUDI).await.len(), 1);
    let told = harness.outbox_for("6281200000001").await;
    assert_eq!(told.len(), 1);
    let text = told[0].to_string();
    assert!(text.contains("tidak dapat kami baca"), "{text}");
}

/// Issue #20: an implausible `timestamp` (0, negative, absurd, older than 24 h) must not make
/// the bot stay silent ("window closed") nor overflow `secs * 1000`.
#[tokio::test]
async fn implausible_timestamps_use_the_receive_time() {
    let harness = TestApp::new();
    let two_days_ago = (chrono::Utc::now().timestamp() - 2 * 86_400).to_string();
    let stamps = [
        "0".to_string(),
        "-1".to_string(),
        i64::MAX.to_string(),
        two_days_ago,
    ];
    for (index, stamp) in stamps.iter().enumerate() {
        let from = format!("62812300000{index:02}");
        let body = webhook_body(json!({
            "contacts": [{ "profile": { "name": "Warga" }, "wa_id": from }],
            "messages": [{ "from": from, "id": format!("wamid.TS{index}"), "timestamp": stamp,
                           "type": "text", "text": { "body": "halo" } }]
        }));
        assert_eq!(harness.post_signed(&body).await, StatusCode::OK);
    }
    harness.drain().await;
    for (index, stamp) in stamps.iter().enumerate() {
        let from = format!("62812300000{index:02}");
        assert_eq!(
            harness.outbox_for(&from).await.len(),
            1,
            "timestamp {stamp} got no reply"
        );
    }
}

#[cfg(unix)]
fn mode_of(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Issue #20: citizens' messages and phone numbers live in the local database; no other user
/// of the machine may read it.
#[cfg(unix)]
#[tokio::test]
async fn the_local_data_folder_and_its_files_are_private() {
    let harness = TestApp::new();
    assert_eq!(
        harness
            .post_signed(&text_payload(BUDI, "Budi", "wamid.PERM", "halo"))
            .await,
        StatusCode::OK
    );
    harness.drain().await;
    let data = harness.dir().join("data");
    let blobs = prolink_embedded::blob_local::LocalBlobStore::new(
        data.join(prolink_embedded::serve::BLOBS_DIR),
        b"key".to_vec(),
        Arc::new(SystemClock),
    );
    prolink_app::ports::BlobStore::put_blob(&blobs, "photos/a/b.jpg", vec![1, 2, 3], "image/jpeg")
        .await
        .expect("blob");
    assert_eq!(mode_of(&data), 0o700, "data folder");
    let mut checked = 0;
    let mut pending = vec![data.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                assert_eq!(mode_of(&path), 0o700, "{}", path.display());
                pending.push(path);
            } else {
                assert_eq!(mode_of(&path), 0o600, "{}", path.display());
                checked += 1;
            }
        }
    }
    for name in ["prolink.sqlite", "prolink.sqlite-wal", "prolink.sqlite-shm"] {
        assert!(data.join(name).exists(), "{name} checked");
    }
    assert!(checked >= 6, "db, wal, shm, secrets, key, blob: {checked}");
}

/// Issue #20: one Graph credential is enough to turn the simulator off: with a real access
/// token (or phone number id) set, a test message must not be accepted as if from a citizen.
/// Each nextest test runs in its own process, so the variable does not leak into others.
#[tokio::test]
async fn one_graph_credential_turns_the_simulator_off() {
    for (variable, value) in [
        ("WHATSAPP_ACCESS_TOKEN", "EAAG-real-token"),
        ("WHATSAPP_PHONE_NUMBER_ID", "106540352242922"),
    ] {
        std::env::remove_var("WHATSAPP_ACCESS_TOKEN");
        std::env::remove_var("WHATSAPP_PHONE_NUMBER_ID");
        std::env::set_var(variable, value);
        let harness = TestApp::new();
        assert!(!harness.app.simulator_enabled, "{variable} alone");
        let request = Request::post("/simulator/api/send")
            .header("content-type", "application/json")
            .body(Body::from(r#"{"from":"6281234567890","text":"halo"}"#))
            .expect("request");
        let response = harness.router().oneshot(request).await.expect("infallible");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{variable} alone");
    }
    std::env::remove_var("WHATSAPP_ACCESS_TOKEN");
    std::env::remove_var("WHATSAPP_PHONE_NUMBER_ID");
}

/// Sends request headers (and `body_prefix`, not the announced body) over loopback and reads
/// what the server answers within `wait`; `None` when it said nothing (still reading).
async fn answer_before_body(
    app: axum::Router,
    headers: &str,
    body_prefix: &[u8],
    wait: std::time::Duration,
) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(headers.as_bytes()).await.expect("headers");
    stream.write_all(body_prefix).await.expect("body prefix");
    let mut answer = vec![0u8; 256];
    let read = tokio::time::timeout(wait, stream.read(&mut answer)).await;
    server.abort();
    match read {
        Ok(Ok(n)) if n > 0 => Some(String::from_utf8_lossy(&answer[..n]).into_owned()),
        _ => None,
    }
}

/// Issue #20: an unsigned POST is refused on its headers, before a 3 MB body is buffered.
#[tokio::test]
async fn an_unsigned_webhook_is_refused_before_its_body_is_read() {
    let harness = TestApp::new();
    for signature in ["", "X-Hub-Signature-256: sha256=nothex\r\n"] {
        let headers = format!(
            "POST /webhook HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
             {signature}Content-Length: 3000000\r\n\r\n"
        );
        let answer = answer_before_body(
            harness.router(),
            &headers,
            b"{\"object\":",
            std::time::Duration::from_secs(3),
        )
        .await
        .unwrap_or_else(|| panic!("no answer before the body ({signature:?})"));
        assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    }
}

/// Issue #20: bodies are read for at most `MAX_CONCURRENT_WEBHOOKS` POSTs at once; one more
/// is answered 503 at once (Meta retries) instead of buffering another 3 MB.
#[tokio::test]
async fn concurrent_webhook_bodies_are_capped() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let harness = TestApp::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = harness.router();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let headers = format!(
        "POST /webhook HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         X-Hub-Signature-256: sha256={}\r\nContent-Length: 3000000\r\n\r\n{{\"object\":",
        "0".repeat(64)
    );
    // Slow senders: each holds a permit while its body trickles in.
    let mut slow = Vec::new();
    for _ in 0..prolink_app::webhook_router::MAX_CONCURRENT_WEBHOOKS {
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream.write_all(headers.as_bytes()).await.expect("write");
        slow.push(stream);
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut one_more = tokio::net::TcpStream::connect(addr).await.expect("connect");
    one_more.write_all(headers.as_bytes()).await.expect("write");
    let mut answer = vec![0u8; 128];
    // It waits its turn for a while, then is turned away without its body being read.
    let n = tokio::time::timeout(
        prolink_app::webhook_router::WEBHOOK_ADMISSION_WAIT + std::time::Duration::from_secs(3),
        one_more.read(&mut answer),
    )
    .await
    .expect("answered once the admission wait is over")
    .expect("read");
    let answer = String::from_utf8_lossy(&answer[..n]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    drop(slow);
    server.abort();
}
