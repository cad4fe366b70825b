//! Webhook and dialog benchmarks (plain timing loops, no harness):
//! `cargo bench -p prolink-app --bench webhook`.
//!
//! 1. Verify + parse per message, in process, one thread: `verify_signature`, `parse_payload`,
//!    `webhook_items` and each item's queue body (what the webhook does before queueing), on
//!    payloads of 1 and of 10 text messages.
//! 2. Verify + parse + enqueue, batched: the webhook router itself (axum, in process) on a
//!    file-backed SQLite queue and raw log (WAL, as `prolink serve` opens them), payloads of 1
//!    and of 10 messages.
//! 3. One dialog step: `DialogWorker::process_batch` on one queued question, as `prolink
//!    serve` wires the worker (SQLite stores, the simulator outbox as the line out), 200
//!    citizens asking 5 questions each.
//!
//! `WEBHOOK_BENCH_SCALE` multiplies the iteration counts (default 1).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;
use tower::ServiceExt;

use prolink_app::ports::{StaticSecrets, SystemClock, WhatsAppSecrets};
use prolink_app::webhook_item::webhook_items;
use prolink_app::webhook_router::{router, WebhookState};
use prolink_app::worker::BatchItem;
use prolink_embedded::serve::{build, LocalOptions};
use prolink_embedded::sqlite::{SqliteDb, SqliteQueue, SqliteStore};
use prolink_whatsapp::signature::{signature_header_value, verify_signature};
use prolink_whatsapp::webhook::parse_payload;

const SECRET: &str = "bench-app-secret-0123456789abcdef";

fn scale() -> usize {
    std::env::var("WEBHOOK_BENCH_SCALE")
        .ok()
        .and_then(|value| value.parse().ok())
        .filter(|&scale: &usize| scale > 0)
        .unwrap_or(1)
}

const QUESTIONS: [&str; 5] = [
    "jam buka kantor kecamatan",
    "syarat membuat kartu keluarga",
    "cara bayar pajak bumi dan bangunan",
    "bagaimana cara mengurus akta kelahiran anak saya",
    "nomor telepon pemadam kebakaran",
];

/// A payload of `count` text messages from `count` citizens, ids unique per `seq`.
fn payload(seq: usize, count: usize) -> Vec<u8> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let contacts: Vec<_> = (0..count)
        .map(|n| json!({ "profile": { "name": "Warga" }, "wa_id": format!("62812{:08}", (seq * count + n) % 100_000_000) }))
        .collect();
    let messages: Vec<_> = (0..count)
        .map(|n| {
            json!({
                "from": format!("62812{:08}", (seq * count + n) % 100_000_000),
                "id": format!("wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBDMkE{seq}x{n}"),
                "timestamp": now.to_string(),
                "type": "text",
                "text": { "body": QUESTIONS[(seq + n) % QUESTIONS.len()] }
            })
        })
        .collect();
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "102290129340398", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "6281119990000", "phone_number_id": "100000000000001" },
            "contacts": contacts,
            "messages": messages
        } }] }]
    }))
    .expect("json")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn verify_and_parse() {
    for per_payload in [1usize, 10] {
        let payloads: Vec<(Vec<u8>, String)> = (0..1000)
            .map(|seq| {
                let body = payload(seq, per_payload);
                let signature = signature_header_value(SECRET, &body);
                (body, signature)
            })
            .collect();
        let rounds = 20 * scale();
        let mut items = 0usize;
        // Warm-up.
        for (body, signature) in &payloads {
            verify_signature(body, Some(signature), &[SECRET]).expect("verifies");
        }
        let start = Instant::now();
        for _ in 0..rounds {
            for (body, signature) in &payloads {
                verify_signature(body, Some(signature), &[SECRET]).expect("verifies");
                let parsed = parse_payload(body).expect("parses");
                for item in webhook_items(&parsed) {
                    let queue_body = serde_json::to_string(&item).expect("serialises");
                    std::hint::black_box((item.group_id(), item.dedup_id(), queue_body));
                    items += 1;
                }
            }
        }
        let elapsed = start.elapsed();
        println!(
            "verify + parse, {per_payload:>2} message(s) per payload ({} bytes): {:>9.0} messages/s, {:.2} µs per message ({items} messages)",
            payloads[0].0.len(),
            items as f64 / elapsed.as_secs_f64(),
            micros(elapsed) / items as f64
        );
    }
}

async fn verify_parse_enqueue() {
    for per_payload in [1usize, 10] {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = Arc::new(SystemClock);
        let db = SqliteDb::open(&dir.path().join("bench.sqlite")).expect("db");
        let queue = Arc::new(SqliteQueue::new(db.clone(), "inbound", 5, clock.clone()));
        let store = Arc::new(SqliteStore::new(db, clock.clone()));
        let app = router(Arc::new(WebhookState {
            queue: queue.clone(),
            raw_log: store,
            secrets: Arc::new(StaticSecrets(WhatsAppSecrets {
                app_secret: SECRET.into(),
                app_secret_previous: None,
                verify_token: "verify".into(),
                access_token: None,
            })),
            clock,
            retention_days: 30,
            erasures: None,
        }));
        let posts = 2000 * scale() / per_payload;
        let requests: Vec<(Vec<u8>, String)> = (0..posts)
            .map(|seq| {
                let body = payload(seq, per_payload);
                let signature = signature_header_value(SECRET, &body);
                (body, signature)
            })
            .collect();
        let mut latencies = Vec::with_capacity(posts);
        let start = Instant::now();
        for (body, signature) in requests {
            let request = Request::post("/webhook")
                .header("content-type", "application/json")
                .header("X-Hub-Signature-256", signature)
                .body(Body::from(body))
                .expect("request");
            let sent = Instant::now();
            let response = app.clone().oneshot(request).await.expect("infallible");
            latencies.push(sent.elapsed());
            assert_eq!(response.status(), StatusCode::OK);
        }
        let elapsed = start.elapsed();
        let queued = queue.depth().await.expect("depth");
        assert_eq!(queued, posts * per_payload, "every message queued");
        latencies.sort_unstable();
        println!(
            "verify + parse + enqueue (SQLite file, raw log), {per_payload:>2} per POST: {:>7.0} messages/s, {:>6.0} POSTs/s; per POST p50 {:.0} µs, p99 {:.0} µs",
            queued as f64 / elapsed.as_secs_f64(),
            posts as f64 / elapsed.as_secs_f64(),
            micros(percentile(&latencies, 50.0)),
            micros(percentile(&latencies, 99.0)),
        );
    }
}

async fn dialog_step() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = LocalOptions {
        addr: "127.0.0.1:0".parse().expect("addr"),
        data_dir: dir.path().join("data"),
    };
    let app = build(&options, Arc::new(SystemClock)).expect("local app");
    prolink_embedded::serve::ensure_content(app.store.as_ref())
        .await
        .expect("seed");
    let citizens = 200 * scale();
    let items: Vec<BatchItem> = (0..QUESTIONS.len())
        .flat_map(|round| (0..citizens).map(move |citizen| (round, citizen)))
        .map(|(round, citizen)| {
            let body = payload(round * citizens + citizen, 1);
            let parsed = parse_payload(&body).expect("parses");
            let item = webhook_items(&parsed).remove(0);
            BatchItem {
                message_id: format!("m-{round}-{citizen}"),
                group_id: item.group_id(),
                dedup_id: item.dedup_id(),
                body: serde_json::to_string(&item).expect("json"),
            }
        })
        .collect();
    // Warm-up: the content cache and the answering index.
    app.worker.process_batch(&items[..1]).await;
    let mut latencies = Vec::with_capacity(items.len());
    let start = Instant::now();
    for item in &items[1..] {
        let began = Instant::now();
        let outcome = app.worker.process_batch(std::slice::from_ref(item)).await;
        latencies.push(began.elapsed());
        assert!(outcome.failed.is_empty(), "{outcome:?}");
    }
    let elapsed = start.elapsed();
    latencies.sort_unstable();
    println!(
        "dialog step (one question, SQLite stores, simulator outbox): {:.0} steps/s; p50 {:.2} ms, p99 {:.2} ms ({} steps)",
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 50.0).as_secs_f64() * 1000.0,
        percentile(&latencies, 99.0).as_secs_f64() * 1000.0,
        latencies.len()
    );
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

fn main() {
    verify_and_parse();
    // One worker thread: the figures are per core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(verify_parse_enqueue());
    runtime.block_on(dialog_step());
    if let Some(mib) = peak_rss_mib() {
        println!("peak RSS of the bench process: {mib:.1} MiB");
    }
}
