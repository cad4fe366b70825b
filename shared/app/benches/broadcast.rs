//! Broadcast sender benchmark (plain timing loop, no harness):
//! `cargo bench -p prolink-app --bench broadcast`.
//!
//! 10 000 opted-in citizens in a file-backed SQLite store (WAL, as `prolink serve` opens it),
//! one broadcast to all of them, sent by `Broadcaster::tick` through the real `GraphMessenger`
//! and `ReliableSender` (outbox record per recipient, statistics counters) to a local mock of
//! the Graph API (wiremock, answering every request with a wamid). The sender runs on a
//! single-threaded tokio runtime (one core; the mock server runs on its own thread). Two runs:
//! paced at the highest rate allowed (`MAX_RATE`, 1000 messages a second: does the sender keep
//! that pace?), then unpaced (the pacing's waits return at once: what the sender alone sustains,
//! its headroom above Meta's limit).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use prolink_app::broadcast::{self, BroadcastConfig, Broadcaster, MAX_RATE};
use prolink_app::graph::{http_client, GraphConfig, GraphMessenger};
use prolink_app::ports::{
    BroadcastAudience, BroadcastRecord, BroadcastState, BroadcastStore, BroadcastTemplate,
    CitizenProfile, CitizenStore, StaticSecrets, SystemClock, WhatsAppSecrets,
};
use prolink_app::sender::{ReliableSender, SendPolicy, Sleeper, TokioSleeper};
use prolink_embedded::sqlite::{SqliteDb, SqliteStore};

const RECIPIENTS: usize = 10_000;

struct Accept;

impl Respond for Accept {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{ "input": "x", "wa_id": "x" }],
            "messages": [{ "id": format!("wamid.{}", uuid::Uuid::new_v4().simple()) }]
        }))
    }
}

/// The pacing's waits end at once: the unpaced run measures the sender alone.
struct NoPace;

#[async_trait::async_trait]
impl Sleeper for NoPace {
    async fn sleep(&self, _duration: Duration) {}
}

async fn run(paced: bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = SqliteDb::open(&dir.path().join("bench.sqlite")).expect("sqlite");
    let clock = Arc::new(SystemClock);
    let store = Arc::new(SqliteStore::new(db, clock.clone()));
    let seeded = Instant::now();
    for i in 0..RECIPIENTS {
        let phone = format!("62813{i:08}");
        store
            .put_citizen(&CitizenProfile {
                key: phone.clone(),
                wa_id: Some(phone),
                broadcast_opt_in: true,
                topics: vec!["kesehatan".into()],
                ..CitizenProfile::default()
            })
            .await
            .expect("citizen");
    }
    println!(
        "seeded {RECIPIENTS} opted-in citizens in {:.1} s",
        seeded.elapsed().as_secs_f64()
    );

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(Accept)
        .mount(&server)
        .await;
    let messenger = GraphMessenger::new(
        GraphConfig {
            base_url: server.uri(),
            api_version: "v25.0".into(),
            phone_number_id: "106540352242922".into(),
        },
        Arc::new(StaticSecrets(WhatsAppSecrets {
            app_secret: "s".into(),
            app_secret_previous: None,
            verify_token: "v".into(),
            access_token: Some("bench-token".into()),
        })),
        http_client(),
    );
    let sender = Arc::new(
        ReliableSender::new(
            Arc::new(messenger),
            store.clone(),
            store.clone(),
            clock.clone(),
            Arc::new(TokioSleeper),
            SendPolicy::default(),
        )
        .with_counters(store.clone()),
    );
    let broadcaster = Broadcaster {
        store: store.clone(),
        sender,
        settings: store.clone(),
        signals: store.clone(),
        counters: Some(store.clone()),
        clock: clock.clone(),
        sleeper: if paced {
            Arc::new(TokioSleeper)
        } else {
            Arc::new(NoPace)
        },
        config: BroadcastConfig {
            rate: MAX_RATE,
            tier: u64::MAX,
            concurrency: 32,
            lease_ms: 120_000,
        },
        templates: None,
        tasks: None,
    };
    let now = chrono::Utc::now().timestamp_millis();
    let record = BroadcastRecord {
        id: broadcast::new_id(now),
        name: "bench".into(),
        template: BroadcastTemplate {
            name: "siaran_kesehatan".into(),
            language: "id".into(),
            parameters: vec!["a".into(), "b".into(), "c".into()],
            header_parameters: vec![],
        },
        audience: BroadcastAudience {
            all: true,
            topics: vec![],
        },
        send_at_ms: None,
        // The benchmark must not depend on the hour it runs at.
        urgent: true,
        state: BroadcastState::Scheduled,
        audience_size: RECIPIENTS as u64,
        progress: 0,
        cursor: None,
        next_run_ms: Some(now),
        stop_reason: None,
        created_by: "bench".into(),
        created_ms: now,
        updated_ms: now,
        started_ms: None,
        finished_ms: None,
        version: 0,
    };
    store.put_broadcast(&record).await.expect("broadcast");

    let started = Instant::now();
    let mut sent = 0;
    loop {
        let report = broadcaster
            .tick(Duration::from_secs(600))
            .await
            .expect("tick");
        sent += report.sent;
        let now = store
            .get_broadcast(&record.id)
            .await
            .expect("read")
            .expect("stored");
        if now.state != BroadcastState::Sending && now.state != BroadcastState::Scheduled {
            break;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let pace = if paced {
        format!("paced at the limit, {MAX_RATE}/s")
    } else {
        "unpaced".to_string()
    };
    println!(
        "broadcast to {RECIPIENTS}: {sent} sent in {seconds:.2} s = {:.0} messages/s ({pace}, one tokio thread)",
        sent as f64 / seconds
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(true));
    runtime.block_on(run(false));
}
