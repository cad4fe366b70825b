//! The spine in process: signed webhook POST → SQLite queue → dialog worker → outbox, built by
//! the same `serve::build` that `prolink serve` uses (through [`TestApp`]).

use std::{
    collections::{HashMap, HashSet},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use async_trait::async_trait;
use axum::{
    body::Body,
    http::{Request, StatusCode},
};
use serde_json::{json, Value};
use tower::ServiceExt;

use prolink_app::ports::{
    CitizenProfile, CitizenStore, Messenger, OutboundMessage, OutgoingMessage, PortResult, Queue,
    SendError, SendReceipt, SystemClock,
};
use prolink_app::worker::{outbox_id, DialogWorker, WorkerStores};
use prolink_whatsapp::signature::signature_header_value;

use crate::support::{fast_settings, TestApp};

/// A webhook fixture with every message timestamp set to now: the bot answers free-form only
/// inside the 24-hour window that the citizen's message opened.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/webhook/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|error| panic!("fixture {path}: {error}"));
    let mut payload: Value = serde_json::from_slice(&bytes).expect("fixture is JSON");
    refresh_timestamps(&mut payload);
    serde_json::to_vec(&payload).expect("json")
}

pub fn now_secs() -> String {
    (chrono::Utc::now().timestamp()).to_string()
}

fn refresh_timestamps(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let is_message = map.contains_key("from") || map.contains_key("from_user_id");
            for (key, child) in map.iter_mut() {
                if key == "timestamp" && is_message {
                    *child = Value::String(now_secs());
                } else {
                    refresh_timestamps(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(refresh_timestamps),
        _ => {}
    }
}

/// A text message payload from one citizen, in Meta's shape.
/// A webhook body as Meta sends it for the project's business number: `value` is the
/// change's content (contacts and messages, or statuses).
pub fn webhook_body(mut value: Value) -> Vec<u8> {
    value["messaging_product"] = json!("whatsapp");
    value["metadata"] =
        json!({ "display_phone_number": "6281119990000", "phone_number_id": "109876543210987" });
    let payload = json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "104857600000001", "changes": [{ "field": "messages", "value": value }]}]
    });
    serde_json::to_vec(&payload).expect("json")
}

pub fn text_payload(from: &str, name: &str, wamid: &str, text: &str) -> Vec<u8> {
    webhook_body(json!({
        "contacts": [{ "profile": { "name": name }, "wa_id": from }],
        "messages": [{ "from": from, "id": wamid, "timestamp": now_secs(), "type": "text",
                       "text": { "body": text } }]
    }))
}

/// A tap on a list row (`kind` "list_reply") or a reply button ("button_reply").
pub fn interactive_payload(from: &str, name: &str, wamid: &str, kind: &str, id: &str) -> Vec<u8> {
    let mut value = json!({
        "contacts": [{ "profile": { "name": name }, "wa_id": from }],
        "messages": [{ "from": from, "id": wamid, "timestamp": now_secs(), "type": "interactive",
                       "interactive": { "type": kind } }]
    });
    value["messages"][0]["interactive"][kind] = json!({ "id": id, "title": "x" });
    webhook_body(value)
}

const BUDI: &str = "6281234567890";

#[tokio::test]
async fn signed_text_sample_is_answered_exactly_once_even_when_meta_retries() {
    let harness = TestApp::new();
    let body = fixture("inbound-text.json");
    assert_eq!(harness.post_signed(&body).await, StatusCode::OK);
    assert_eq!(harness.post_signed(&body).await, StatusCode::OK);
    harness.drain().await;
    // A later redelivery (after the SQS dedup window) is stopped by the dedup mark.
    assert_eq!(harness.post_signed(&body).await, StatusCode::OK);
    harness.drain().await;

    let sent = harness.outbox_for(BUDI).await;
    assert_eq!(sent.len(), 1, "one reply for one message: {sent:?}");
    let reply = &sent[0];
    assert_eq!(reply["messaging_product"], "whatsapp");
    assert_eq!(reply["to"], "+6281234567890");
    assert!(reply["biz_opaque_callback_data"]
        .as_str()
        .unwrap_or_default()
        .starts_with("out."));
}

#[tokio::test]
async fn username_citizen_without_phone_is_answered_by_user_id() {
    let harness = TestApp::new();
    let body = fixture("inbound-text-username-bsuid.json");
    assert_eq!(harness.post_signed(&body).await, StatusCode::OK);
    harness.drain().await;
    let sent = harness.outbox_for("ID.6381920475638192047").await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["recipient"], "ID.6381920475638192047");
    assert!(sent[0].get("to").is_none());
}

fn status_payload(wamid: &str, status: &str) -> Vec<u8> {
    webhook_body(json!({
        "statuses": [{ "id": wamid, "status": status, "timestamp": "1794276960",
                       "recipient_id": BUDI, "biz_opaque_callback_data": "out.test" }]
    }))
}

#[tokio::test]
async fn three_statuses_of_one_wamid_are_three_records() {
    let harness = TestApp::new();
    let wamid = "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjNDQjE0QkZGMkY2QzhCMUQwQQA=";
    for status in ["read", "sent", "delivered", "delivered"] {
        assert_eq!(
            harness.post_signed(&status_payload(wamid, status)).await,
            StatusCode::OK
        );
    }
    harness.drain().await;
    let records = harness
        .worker
        .stores
        .statuses
        .statuses_of(wamid)
        .await
        .expect("statuses");
    let names: Vec<&str> = records
        .iter()
        .map(|record| record.status.as_str())
        .collect();
    assert_eq!(names, ["sent", "delivered", "read"]);
    assert!(records
        .iter()
        .all(|record| record.outbox_id.as_deref() == Some("out.test")));
    assert!(
        harness.outbox_for(BUDI).await.is_empty(),
        "statuses get no reply"
    );
}

/// Fails the first `failures` sends, then delegates.
struct FlakyMessenger {
    inner: Arc<dyn Messenger>,
    failures: AtomicUsize,
    fail_for: Option<String>,
}

#[async_trait]
impl Messenger for FlakyMessenger {
    async fn send(&self, message: &OutboundMessage) -> Result<SendReceipt, SendError> {
        let addressed_to = message.body["to"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches('+');
        let poisoned = self.fail_for.as_deref() == Some(addressed_to);
        if poisoned
            || self
                .failures
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                    left.checked_sub(1)
                })
                .is_ok()
        {
            return Err(SendError::Retryable {
                code: Some(131016),
                message: "Service temporarily unavailable".into(),
            });
        }
        self.inner.send(message).await
    }
}

#[tokio::test]
async fn a_failed_send_is_redelivered_and_answered_once() {
    let harness = TestApp::new();
    // Enough failures to exhaust the sender's attempts: the item itself fails and the queue
    // delivers it again.
    let attempts = fast_settings().send_policy.max_attempts as usize;
    let worker = harness.dialog_worker_sending_through(Arc::new(FlakyMessenger {
        inner: Arc::new(harness.simulator_outbox()),
        failures: AtomicUsize::new(attempts),
        fail_for: None,
    }));
    assert_eq!(
        harness.post_signed(&fixture("inbound-text.json")).await,
        StatusCode::OK
    );
    harness.drain_with(&worker).await;
    assert_eq!(harness.outbox_for(BUDI).await.len(), 1);
}

#[tokio::test]
async fn a_poison_message_is_dead_lettered_and_the_others_are_answered() {
    let harness = TestApp::new();
    let worker = harness.dialog_worker_sending_through(Arc::new(FlakyMessenger {
        inner: Arc::new(harness.simulator_outbox()),
        failures: AtomicUsize::new(0),
        fail_for: Some("6289999999999".into()),
    }));
    let mut batch = Vec::new();
    batch.extend(text_payload(
        "6289999999999",
        "Racun",
        "wamid.POISON",
        "halo",
    ));
    assert_eq!(harness.post_signed(&batch).await, StatusCode::OK);
    // A body no worker can read at all: straight onto the queue.
    harness
        .app
        .queue
        .send_batch(&[OutgoingMessage {
            group_id: "g-garbage".into(),
            dedup_id: "garbage-1".into(),
            body: "{not json".into(),
        }])
        .await
        .expect("send");
    for index in 0..5 {
        let body = text_payload(BUDI, "Budi", &format!("wamid.OK{index}"), "halo");
        assert_eq!(harness.post_signed(&body).await, StatusCode::OK);
    }
    harness.drain_with(&worker).await;
    assert_eq!(harness.outbox_for(BUDI).await.len(), 5);
    let dead = harness.app.queue.dead_letters(10).await.expect("dlq");
    let dead_ids: HashSet<&str> = dead
        .iter()
        .map(|delivery| delivery.dedup_id.as_str())
        .collect();
    assert_eq!(dead_ids, HashSet::from(["wamid.POISON", "garbage-1"]));
    assert!(harness.outbox_for("6289999999999").await.is_empty());
}

#[tokio::test]
async fn per_citizen_order_is_kept_under_concurrency() {
    let harness = Arc::new(TestApp::new());
    let citizens: Vec<String> = (0..12).map(|index| format!("62812000{index:05}")).collect();
    let per_citizen = 8;
    let mut senders = Vec::new();
    for citizen in citizens.clone() {
        let harness = harness.clone();
        senders.push(tokio::spawn(async move {
            for sequence in 0..per_citizen {
                let wamid = format!("wamid.{citizen}.{sequence:03}");
                let body = text_payload(&citizen, "Warga", &wamid, "halo");
                assert_eq!(harness.post_signed(&body).await, StatusCode::OK);
            }
        }));
    }
    // Consumers run while the senders are still posting.
    let mut consumers = Vec::new();
    for _ in 0..4 {
        let harness = harness.clone();
        consumers.push(tokio::spawn(async move {
            let worker = harness.worker.clone();
            harness.drain_with(&worker).await;
        }));
    }
    for sender in senders {
        sender.await.expect("sender");
    }
    for consumer in consumers {
        consumer.await.expect("consumer");
    }
    harness.drain().await;
    for citizen in &citizens {
        let expected: Vec<String> = (0..per_citizen)
            .map(|sequence| outbox_id(&format!("wamid.{citizen}.{sequence:03}"), 0))
            .collect();
        assert_eq!(
            harness.outbox_ids_for(citizen).await,
            expected,
            "order for {citizen}"
        );
    }
}

#[tokio::test]
async fn bad_input_never_panics_and_never_gets_a_5xx() {
    let harness = TestApp::new();
    let sample = fixture("multi-message-batch.json");

    // Unsigned or wrongly signed: 401, nothing queued.
    assert_eq!(
        harness
            .post_raw(sample.clone(), None, "application/json")
            .await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        harness
            .post_raw(sample.clone(), Some("sha256=00".into()), "application/json")
            .await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(harness.app.queue.depth().await.expect("depth"), 0);

    // Random bytes, signed and unsigned.
    let mut seed: u64 = 0x5eed_1234;
    for length in [0usize, 1, 7, 64, 1024, 65_536] {
        let bytes: Vec<u8> = (0..length)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed & 0xff) as u8
            })
            .collect();
        let status = harness.post_signed(&bytes).await;
        assert_eq!(status, StatusCode::OK, "signed random {length} bytes");
        let status = harness
            .post_raw(bytes, None, "application/octet-stream")
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Every truncation of a real batch.
    for cut in (0..sample.len()).step_by(37) {
        assert_eq!(harness.post_signed(&sample[..cut]).await, StatusCode::OK);
    }
    // Wrong content types do not matter once the signature holds.
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "",
        "image/png",
    ] {
        let signature = signature_header_value(&harness.secret(), &sample);
        assert_eq!(
            harness
                .post_raw(sample.clone(), Some(signature), content_type)
                .await,
            StatusCode::OK
        );
    }
    // 10 MB: refused with 413 before anything else.
    let huge = vec![b' '; 10 * 1024 * 1024];
    let signature = signature_header_value(&harness.secret(), &huge);
    assert_eq!(
        harness
            .post_raw(huge, Some(signature), "application/json")
            .await,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    harness.drain().await;
    assert_eq!(
        harness.app.queue.dead_letters(10).await.expect("dlq").len(),
        0
    );
}

#[tokio::test]
async fn a_thousand_messages_in_one_payload_are_all_queued_and_answered() {
    let harness = TestApp::new();
    let messages: Vec<Value> = (0..1000)
        .map(|index| {
            json!({ "from": format!("6285{:09}", index % 50), "id": format!("wamid.BULK{index:04}"),
                    "timestamp": now_secs(), "type": "text", "text": { "body": "halo" } })
        })
        .collect();
    let contacts: Vec<Value> = (0..50)
        .map(|index| json!({ "profile": { "name": "Warga" }, "wa_id": format!("6285{index:09}") }))
        .collect();
    let body = webhook_body(json!({ "contacts": contacts, "messages": messages }));
    assert!(body.len() < prolink_app::webhook_router::MAX_WEBHOOK_BODY_BYTES);
    assert_eq!(harness.post_signed(&body).await, StatusCode::OK);
    assert_eq!(harness.app.queue.depth().await.expect("depth"), 1000);
    harness.drain().await;
    let mut total = 0;
    let mut per_citizen: HashMap<String, usize> = HashMap::new();
    for index in 0..50 {
        let citizen = format!("6285{index:09}");
        let count = harness.outbox_for(&citizen).await.len();
        per_citizen.insert(citizen, count);
        total += count;
    }
    assert_eq!(total, 1000);
    assert!(per_citizen.values().all(|count| *count == 20));
}

#[tokio::test]
async fn simulator_round_trip_through_the_signed_webhook() {
    let harness = TestApp::new();
    assert!(harness.app.simulator_enabled);
    let request = Request::post("/simulator/api/send")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({ "from": "6281111111111", "name": "Sari", "text": "halo" }).to_string(),
        ))
        .expect("request");
    let response = harness.router().oneshot(request).await.expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    harness.drain().await;
    let request = Request::get("/simulator/api/messages?user=6281111111111")
        .body(Body::empty())
        .expect("request");
    let response = harness.router().oneshot(request).await.expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    let body: Value = serde_json::from_slice(&bytes).expect("json");
    let messages = body["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 1);
    assert!(messages[0]["interactive"]["body"]["text"]
        .as_str()
        .unwrap_or_default()
        .contains("Halo, Sari!"));

    for bad in [
        json!({ "from": "abc", "text": "halo" }),
        json!({ "from": "6281111111111" }),
        json!({ "from": "6281111111111", "text": "a", "location": { "latitude": 1.0, "longitude": 1.0 } }),
        json!({ "from": "6281111111111", "reply": { "kind": "carousel", "id": "x" } }),
        json!({ "from": "6281111111111", "location": { "latitude": 91.0, "longitude": 1.0 } }),
    ] {
        let request = Request::post("/simulator/api/send")
            .header("content-type", "application/json")
            .body(Body::from(bad.to_string()))
            .expect("request");
        let response = harness.router().oneshot(request).await.expect("infallible");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn webhook_handshake_answers_the_challenge_only_for_the_right_token() {
    let harness = TestApp::new();
    let token = harness.app.secrets.secrets.verify_token.clone();
    let cases = [
        (
            format!(
                "/webhook?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444"
            ),
            StatusCode::OK,
        ),
        (
            "/webhook?hub.mode=subscribe&hub.verify_token=salah&hub.challenge=1".to_string(),
            StatusCode::FORBIDDEN,
        ),
        ("/webhook".to_string(), StatusCode::FORBIDDEN),
        (
            format!("/webhook?hub.mode=subscribe&hub.verify_token={token}"),
            StatusCode::FORBIDDEN,
        ),
    ];
    for (uri, expected) in cases {
        let response = harness
            .router()
            .oneshot(
                Request::get(uri.as_str())
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("infallible");
        assert_eq!(response.status(), expected, "{uri}");
        if expected == StatusCode::OK {
            let bytes = axum::body::to_bytes(response.into_body(), 1024)
                .await
                .expect("body");
            assert_eq!(&bytes[..], b"1158201444");
        }
    }
}

fn text_payload_with_user_id(from: &str, user_id: &str, wamid: &str, text: &str) -> Vec<u8> {
    webhook_body(json!({
        "contacts": [{ "profile": { "name": "Agus" }, "wa_id": from, "user_id": user_id }],
        "messages": [{ "from": from, "from_user_id": user_id, "id": wamid,
                       "timestamp": now_secs(), "type": "text", "text": { "body": text } }]
    }))
}

#[tokio::test]
async fn identity_changes_keep_one_citizen_with_one_conversation() {
    let harness = TestApp::new();
    let phone = "6281398765432";
    let user_id = "ID.3018472659104738265";

    // Known by phone only: asks for an officer, so the conversation is handed to a human.
    let body = text_payload(phone, "Agus", "wamid.ID-1", "petugas");
    assert_eq!(harness.post_signed(&body).await, StatusCode::OK);
    harness.drain().await;
    assert_eq!(harness.outbox_for(phone).await.len(), 1, "handoff notice");

    // Later seen with a business-scoped user id: still the same citizen, so the handoff holds
    // and the bot stays quiet instead of greeting a "new" citizen.
    let body = text_payload_with_user_id(phone, user_id, "wamid.ID-2", "halo, masih ada?");
    assert_eq!(harness.post_signed(&body).await, StatusCode::OK);
    harness.drain().await;
    assert_eq!(
        harness.outbox_for(phone).await.len(),
        1,
        "quiet during the handoff"
    );
    let citizens = &harness.worker.stores.citizens;
    assert_eq!(
        alias_of(citizens.as_ref(), user_id).await.as_deref(),
        Some(phone)
    );
    let profile = citizens
        .get_citizen(phone)
        .await
        .expect("get")
        .expect("profile");
    assert_eq!(profile.user_id.as_deref(), Some(user_id));

    // The citizen changes number: messages from the new number belong to the same person.
    let body = fixture("system-user-changed-number.json");
    assert_eq!(harness.post_signed(&body).await, StatusCode::OK);
    harness.drain().await;
    let new_phone = "6281398760000";
    assert_eq!(
        alias_of(citizens.as_ref(), new_phone).await.as_deref(),
        Some(phone)
    );
    let body = text_payload(new_phone, "Agus", "wamid.ID-3", "halo");
    assert_eq!(harness.post_signed(&body).await, StatusCode::OK);
    harness.drain().await;
    assert!(
        harness.outbox_for(new_phone).await.is_empty(),
        "still in the same handed-off conversation"
    );
    let profile = citizens
        .get_citizen(phone)
        .await
        .expect("get")
        .expect("profile");
    assert_eq!(profile.wa_id.as_deref(), Some(new_phone));

    // "batal" ends the handoff for that one conversation, whichever identifier is used.
    let body = text_payload(new_phone, "Agus", "wamid.ID-4", "batal");
    assert_eq!(harness.post_signed(&body).await, StatusCode::OK);
    harness.drain().await;
    assert_eq!(harness.outbox_for(new_phone).await.len(), 1);
}

/// Where `identifier` points (the canonical key of its citizen).
async fn alias_of(citizens: &dyn CitizenStore, identifier: &str) -> Option<String> {
    citizens.resolve_alias(identifier).await.expect("alias")
}

/// Counts the alias look-ups and writes per identifier (each one a DynamoDB call on AWS).
struct CountingCitizens {
    inner: Arc<dyn CitizenStore>,
    resolved: std::sync::Mutex<HashMap<String, usize>>,
    pointed: std::sync::Mutex<HashMap<String, usize>>,
}

#[async_trait]
impl CitizenStore for CountingCitizens {
    async fn get_citizen(&self, key: &str) -> PortResult<Option<CitizenProfile>> {
        self.inner.get_citizen(key).await
    }
    async fn put_citizen(&self, profile: &CitizenProfile) -> PortResult<u64> {
        self.inner.put_citizen(profile).await
    }
    async fn resolve_alias(&self, identifier: &str) -> PortResult<Option<String>> {
        *self
            .resolved
            .lock()
            .expect("lock")
            .entry(identifier.to_owned())
            .or_default() += 1;
        self.inner.resolve_alias(identifier).await
    }
    async fn put_alias(&self, identifier: &str, key: &str) -> PortResult<()> {
        *self
            .pointed
            .lock()
            .expect("lock")
            .entry(identifier.to_owned())
            .or_default() += 1;
        self.inner.put_alias(identifier, key).await
    }
}

#[tokio::test]
async fn each_identifier_of_a_message_is_looked_up_and_pointed_once() {
    let harness = TestApp::new();
    let citizens = Arc::new(CountingCitizens {
        inner: harness.app.store.clone(),
        resolved: Default::default(),
        pointed: Default::default(),
    });
    let mut stores = WorkerStores::from_store(harness.app.store.clone());
    stores.citizens = citizens.clone();
    let worker = DialogWorker::new(
        stores,
        Arc::new(harness.simulator_outbox()),
        Arc::new(SystemClock),
        fast_settings(),
    );
    let phone = "6281398700001";
    let user_id = "ID.4018472659104738266";
    // The phone is both the wa_id and the key; a second message adds a user id.
    for (wamid, body) in [
        (
            "wamid.ONCE-1",
            text_payload(phone, "Sri", "wamid.ONCE-1", "halo"),
        ),
        (
            "wamid.ONCE-2",
            text_payload_with_user_id(phone, user_id, "wamid.ONCE-2", "jam buka mpp"),
        ),
    ] {
        assert_eq!(harness.post_signed(&body).await, StatusCode::OK, "{wamid}");
        harness.drain_with(&worker).await;
    }
    let resolved = citizens.resolved.lock().expect("lock").clone();
    let pointed = citizens.pointed.lock().expect("lock").clone();
    assert_eq!(
        resolved.get(phone),
        Some(&2),
        "one look-up a message: {resolved:?}"
    );
    assert_eq!(resolved.get(user_id), Some(&1), "{resolved:?}");
    assert_eq!(
        pointed.get(phone),
        Some(&1),
        "pointed when first seen: {pointed:?}"
    );
    assert_eq!(pointed.get(user_id), Some(&1), "{pointed:?}");
    assert_eq!(
        alias_of(citizens.as_ref(), user_id).await.as_deref(),
        Some(phone)
    );
    assert!(harness.outbox_for(phone).await.len() >= 2, "both answered");
}

#[tokio::test]
async fn the_retention_sweep_deletes_expired_rows() {
    use prolink_app::ports::DedupStore;
    let harness = TestApp::new();
    let store = harness.app.store.clone();
    let past = chrono::Utc::now().timestamp_millis() - 1_000;
    store.mark("retention-old", past).await.expect("mark");
    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    let sweeper = tokio::spawn(prolink_embedded::serve::run_retention(
        store.clone(),
        shutdown_rx,
    ));
    tokio::time::sleep(Duration::from_millis(200)).await;
    shutdown_tx.send(true).expect("shutdown");
    sweeper.await.expect("sweeper stops on shutdown");
    assert_eq!(
        store.purge_expired().await.expect("purge"),
        0,
        "the sweep already removed the expired mark"
    );
}

#[tokio::test]
async fn system_level_errors_from_meta_raise_one_operator_alert() {
    use prolink_app::ports::OperatorSignals;
    let harness = TestApp::new();
    let body = fixture("system-error.json");
    assert_eq!(harness.post_signed(&body).await, StatusCode::OK);
    assert_eq!(harness.post_signed(&body).await, StatusCode::OK);
    harness.drain().await;
    let alerts = harness.app.store.recent_alerts(10).await.expect("alerts");
    let meta: Vec<_> = alerts
        .iter()
        .filter(|alert| alert.kind == "meta_error")
        .collect();
    assert_eq!(meta.len(), 1, "{alerts:?}");
    assert!(meta[0].message.contains("kode"), "{}", meta[0].message);
}

/// Fails every send answering one inbound message (by its outbox id), delegates the rest.
struct PoisonReply {
    inner: Arc<dyn Messenger>,
    poison_outbox_id: String,
}

#[async_trait]
impl Messenger for PoisonReply {
    async fn send(&self, message: &OutboundMessage) -> Result<SendReceipt, SendError> {
        if message.outbox_id.starts_with(&self.poison_outbox_id) {
            return Err(SendError::Retryable {
                code: Some(131016),
                message: "Service temporarily unavailable".into(),
            });
        }
        self.inner.send(message).await
    }
}

/// Issue #20: items held back behind a failing item of their FIFO group were never attempted,
/// so they must not use up receives and follow the poison item into the dead-letter queue.
#[tokio::test]
async fn a_poison_message_does_not_take_the_same_citizens_later_messages_with_it() {
    let harness = TestApp::new();
    let worker = harness.dialog_worker_sending_through(Arc::new(PoisonReply {
        inner: Arc::new(harness.simulator_outbox()),
        poison_outbox_id: outbox_id("wamid.POISON", 0),
    }));
    assert_eq!(
        harness
            .post_signed(&text_payload(BUDI, "Budi", "wamid.POISON", "halo"))
            .await,
        StatusCode::OK
    );
    for index in 0..3 {
        let body = text_payload(BUDI, "Budi", &format!("wamid.NEXT{index}"), "halo");
        assert_eq!(harness.post_signed(&body).await, StatusCode::OK);
    }
    harness.drain_with(&worker).await;
    let dead = harness.app.queue.dead_letters(10).await.expect("dlq");
    let dead_ids: Vec<&str> = dead.iter().map(|d| d.dedup_id.as_str()).collect();
    assert_eq!(dead_ids, ["wamid.POISON"]);
    // Issue #20: a dead letter is never silent; the operators' alert board shows it.
    let alerts = prolink_app::ports::OperatorSignals::recent_alerts(&*harness.app.store, 50)
        .await
        .expect("alerts");
    let dead_letter_alerts: Vec<_> = alerts.iter().filter(|a| a.kind == "dead_letter").collect();
    assert_eq!(dead_letter_alerts.len(), 1, "{alerts:?}");
    assert!(
        dead_letter_alerts[0].message.contains("gagal diproses"),
        "{:?}",
        dead_letter_alerts[0]
    );
    assert!(
        !dead_letter_alerts[0].message.contains(BUDI),
        "no phone number in an alert"
    );
    let answered = harness.outbox_ids_for(BUDI).await;
    for index in 0..3 {
        let expected = outbox_id(&format!("wamid.NEXT{index}"), 0);
        assert!(answered.contains(&expected), "{answered:?}");
    }
    // `prolink dlq redrive`: once the cause is fixed, the dead letter is processed once more,
    // and a second redrive finds nothing.
    assert_eq!(
        harness
            .app
            .queue
            .redrive_dead_letters()
            .await
            .expect("redrive"),
        1
    );
    assert_eq!(
        harness
            .app
            .queue
            .redrive_dead_letters()
            .await
            .expect("redrive"),
        0
    );
    harness.drain().await;
    let poison_reply = outbox_id("wamid.POISON", 0);
    let answered = harness.outbox_ids_for(BUDI).await;
    assert_eq!(
        answered.iter().filter(|id| **id == poison_reply).count(),
        1,
        "{answered:?}"
    );
    assert!(harness
        .app
        .queue
        .dead_letters(10)
        .await
        .expect("dlq")
        .is_empty());
}
