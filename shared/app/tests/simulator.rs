//! The WhatsApp simulator of the local mode in process: status playback through the signed
//! webhook, the Graph-compatible media endpoint, quoting, citizens, time travel and what
//! survives a restart. Built by the same `local::build` as `prolink serve`.

use std::{sync::Arc, time::Duration};

use axum::{
    body::Body,
    http::{header, Request, StatusCode},
};
use base64::Engine;
use serde_json::{json, Value};
use tower::ServiceExt;

use prolink_app::ports::{
    Clock, OutboxState, OutboxStore, Queue, RawInboundLog, StatusLog, SystemClock,
};
use prolink_app::worker::BatchItem;
use prolink_embedded::serve::{build, LocalApp, LocalOptions};
use prolink_embedded::simulator::{
    message_json, status_json, MediaKind, OffsetClock, SendRequest, SimulatorState, StoredMedia,
};
use prolink_embedded::sqlite::StatusDue;

const SARI: &str = "6281234500011";

struct Sim {
    app: LocalApp,
    dir: tempfile::TempDir,
}

fn build_in(dir: &std::path::Path) -> LocalApp {
    let options = LocalOptions {
        addr: "127.0.0.1:0".parse().expect("addr"),
        data_dir: dir.join("data"),
    };
    build(&options, Arc::new(SystemClock)).expect("local app builds")
}

impl Sim {
    fn new() -> Sim {
        let dir = tempfile::tempdir().expect("tempdir");
        let app = build_in(dir.path());
        Sim { app, dir }
    }

    fn simulator(&self) -> Arc<SimulatorState> {
        self.app
            .simulator
            .clone()
            .expect("simulator mounted on loopback")
    }

    async fn call(&self, request: Request<Body>) -> (StatusCode, Value, Vec<u8>) {
        let response = self
            .app
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 32 << 20)
            .await
            .expect("body")
            .to_vec();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, json, bytes)
    }

    async fn get(&self, uri: &str) -> (StatusCode, Value) {
        let (status, json, _) = self
            .call(Request::get(uri).body(Body::empty()).expect("request"))
            .await;
        (status, json)
    }

    async fn post(&self, uri: &str, body: Value) -> (StatusCode, Value) {
        let (status, json, _) = self
            .call(
                Request::post(uri)
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(body.to_string()))
                    .expect("request"),
            )
            .await;
        (status, json)
    }

    async fn send(&self, body: Value) -> Value {
        let (status, json) = self.post("/simulator/api/send", body).await;
        assert_eq!(status, StatusCode::OK, "{json}");
        json
    }

    /// Runs the app's own worker until the queue is empty.
    async fn drain(&self) {
        let queue = &self.app.queue;
        for _ in 0..1_000 {
            let deliveries = queue
                .receive(10, Duration::from_secs(30))
                .await
                .expect("receive");
            if deliveries.is_empty() {
                if queue.depth().await.expect("depth") == 0 {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
            let items: Vec<BatchItem> = deliveries.iter().map(BatchItem::from).collect();
            let outcome = self.app.worker.process_batch(&items).await;
            assert!(outcome.failed.is_empty(), "worker failed: {outcome:?}");
            for delivery in &deliveries {
                queue.delete(&delivery.receipt).await.expect("delete");
            }
        }
        panic!("queue did not drain");
    }

    async fn items(&self, user: &str) -> Vec<Value> {
        let (status, body) = self
            .get(&format!("/simulator/api/messages?user={user}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["items"].as_array().cloned().expect("items")
    }

    /// The newest raw webhook body the app received.
    async fn last_webhook(&self) -> Value {
        let raw = self.app.store.recent(1).await.expect("raw log");
        serde_json::from_str(&raw[0].body).expect("raw body is JSON")
    }
}

fn states(items: &[Value], from: &str) -> Vec<String> {
    items
        .iter()
        .filter(|item| item["from"] == from)
        .map(|item| item["state"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn tiny_png() -> Vec<u8> {
    // Magic number plus an IHDR-sized tail: the simulator checks the signature, not pixels.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&[0u8; 25]);
    png
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn bot_messages_move_sent_delivered_read_through_signed_status_webhooks() {
    let sim = Sim::new();
    let simulator = sim.simulator();
    sim.send(json!({ "from": SARI, "name": "Sari", "text": "halo" }))
        .await;
    sim.drain().await;

    let items = sim.items(SARI).await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0]["from"], "citizen");
    assert_eq!(items[1]["from"], "bot");
    // Accepted by the (simulated) Graph API, nothing played back yet.
    assert_eq!(items[1]["state"], "sent");
    // The bot marked the citizen's message read: blue ticks on the citizen's side.
    assert_eq!(items[0]["state"], "read");

    assert_eq!(simulator.emit_statuses().await.expect("emit"), 1);
    // One status set per message: nothing is due any more.
    assert_eq!(simulator.emit_statuses().await.expect("emit again"), 0);
    sim.drain().await;
    let items = sim.items(SARI).await;
    assert_eq!(states(&items, "bot"), ["delivered"]);

    // The statuses went through /webhook with our outbox id as callback data.
    let wamid = items[1]["wamid"].as_str().expect("wamid").to_owned();
    let outbox_id = items[1]["outbox_id"]
        .as_str()
        .expect("outbox id")
        .to_owned();
    let webhook = sim.last_webhook().await;
    let statuses = &webhook["entry"][0]["changes"][0]["value"]["statuses"];
    assert_eq!(statuses[0]["status"], "sent");
    assert_eq!(statuses[1]["status"], "delivered");
    assert_eq!(statuses[0]["biz_opaque_callback_data"], outbox_id.as_str());
    assert_eq!(statuses[0]["recipient_id"], SARI);
    let record = sim
        .app
        .store
        .get_outbox(&outbox_id)
        .await
        .expect("outbox")
        .expect("record");
    assert_eq!(record.state, OutboxState::Delivered);
    assert_eq!(record.wamid.as_deref(), Some(wamid.as_str()));

    let (status, body) = sim
        .post("/simulator/api/read", json!({ "user": SARI }))
        .await;
    assert_eq!((status, body["read"].as_u64()), (StatusCode::OK, Some(1)));
    let (_, body) = sim
        .post("/simulator/api/read", json!({ "user": SARI }))
        .await;
    assert_eq!(body["read"], 0, "read is reported once");
    sim.drain().await;
    assert_eq!(states(&sim.items(SARI).await, "bot"), ["read"]);
    let logged: Vec<String> = sim
        .app
        .store
        .statuses_of(&wamid)
        .await
        .expect("status log")
        .into_iter()
        .map(|status| status.status)
        .collect();
    assert_eq!(logged, ["sent", "delivered", "read"]);

    // `messages` keeps its old meaning: the bot's Graph bodies only.
    let (_, body) = sim
        .get(&format!("/simulator/api/messages?user={SARI}"))
        .await;
    assert_eq!(body["messages"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["messages"][0]["interactive"]["type"], "list");
}

#[tokio::test]
async fn statuses_wait_until_the_sender_recorded_the_acceptance() {
    use prolink_app::ports::{Messenger, OutboundMessage, OutboxRecord};
    let sim = Sim::new();
    let simulator = sim.simulator();
    // A message recorded by the simulator outbox whose outbox record is still pending (the
    // sender has not written Meta's acceptance yet) must not get statuses: they would race
    // the sender's own write. Later messages that are ready do not wait for it.
    let outbox =
        prolink_embedded::sqlite::SimulatorOutbox::new(sim.app.db.clone(), Arc::new(SystemClock));
    let record = |id: &str, state: OutboxState| OutboxRecord {
        outbox_id: id.into(),
        citizen_key: SARI.into(),
        body: json!({}),
        state,
        wamid: None,
        attempts: 0,
        last_error_code: None,
        last_error: None,
        created_ms: 0,
        updated_ms: 0,
        expires_at_ms: i64::MAX,
    };
    for (id, state) in [
        ("out.pending", OutboxState::Pending),
        ("out.ready", OutboxState::Sent),
    ] {
        assert!(sim
            .app
            .store
            .create_outbox(&record(id, state))
            .await
            .expect("create"));
        outbox
            .send(&OutboundMessage {
                outbox_id: id.into(),
                body: json!({ "messaging_product": "whatsapp", "to": format!("+{SARI}"),
                              "type": "text", "text": { "body": id } }),
            })
            .await
            .expect("recorded");
    }
    assert_eq!(
        simulator.emit_statuses().await.expect("emit"),
        1,
        "only the ready one"
    );
    assert_eq!(simulator.emit_statuses().await.expect("emit"), 0);
    sim.app
        .store
        .put_outbox(&record("out.pending", OutboxState::Sent))
        .await
        .expect("accept");
    assert_eq!(
        simulator.emit_statuses().await.expect("emit"),
        1,
        "now the first one"
    );
    assert_eq!(simulator.emit_statuses().await.expect("emit"), 0);
    sim.drain().await;
    assert_eq!(
        states(&sim.items(SARI).await, "bot"),
        ["delivered", "delivered"]
    );
}

#[tokio::test]
async fn a_photo_is_stored_and_downloadable_through_the_graph_media_flow() {
    let sim = Sim::new();
    let png = tiny_png();
    let accepted = sim
        .send(json!({ "from": SARI, "image": {
            "data_base64": b64(&png), "mime_type": "image/png", "caption": "Lampu mati" } }))
        .await;
    let media_id = accepted["media_id"].as_str().expect("media id").to_owned();

    let webhook = sim.last_webhook().await;
    let message = &webhook["entry"][0]["changes"][0]["value"]["messages"][0];
    assert_eq!(message["type"], "image");
    assert_eq!(message["image"]["id"], media_id.as_str());
    assert_eq!(message["image"]["caption"], "Lampu mati");
    let sha = {
        use sha2::Digest;
        b64(&sha2::Sha256::digest(&png))
    };
    assert_eq!(message["image"]["sha256"], sha.as_str());

    let graph = format!("/simulator/graph/v25.0/{media_id}");
    let (status, body) = sim.get(&graph).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], 190);
    let authorized = |uri: &str| {
        Request::get(uri)
            .header(header::AUTHORIZATION, "Bearer lokal")
            .header(header::HOST, "127.0.0.1:8080")
            .body(Body::empty())
            .expect("request")
    };
    let (status, info, _) = sim.call(authorized(&graph)).await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!(info["messaging_product"], "whatsapp");
    assert_eq!(info["mime_type"], "image/png");
    assert_eq!(info["sha256"], sha.as_str());
    assert_eq!(info["file_size"], png.len().to_string());
    assert_eq!(info["id"], media_id.as_str());
    let url = info["url"].as_str().expect("url");
    let path = url
        .strip_prefix("http://127.0.0.1:8080")
        .expect("url on the same loopback host");
    let (status, _, bytes) = sim.call(authorized(path)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, png);
    let (status, _, _) = sim
        .call(Request::get(path).body(Body::empty()).expect("request"))
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the download needs the token too"
    );

    // Meta's URLs expire after 5 minutes: a fresh one comes from the media endpoint.
    sim.simulator().advance_clock(6).await.expect("advance");
    let (status, _, _) = sim.call(authorized(path)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    for uri in [
        "/simulator/graph/v25.0/999".to_string(),
        format!("{graph}?phone_number_id=123"),
    ] {
        let (status, body, _) = sim.call(authorized(&uri)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(body["error"]["code"], 100);
    }
    // The page shows the citizen's own photo without a token.
    let (status, _, bytes) = sim
        .call(
            Request::get(format!("/simulator/api/media/{media_id}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!((status, bytes), (StatusCode::OK, png));
}

#[tokio::test]
async fn files_breaking_whatsapps_rules_are_refused_in_indonesian() {
    let sim = Sim::new();
    let cases = [
        (
            json!({ "image": { "data_base64": b64(b"GIF89a...."), "mime_type": "image/gif" } }),
            StatusCode::BAD_REQUEST,
            "JPEG atau PNG",
        ),
        (
            json!({ "image": { "data_base64": b64(b"not a png"), "mime_type": "image/png" } }),
            StatusCode::BAD_REQUEST,
            "tidak sesuai",
        ),
        (
            json!({ "image": { "data_base64": "%%%", "mime_type": "image/png" } }),
            StatusCode::BAD_REQUEST,
            "base64",
        ),
        (
            json!({ "image": {
                "data_base64": b64(&[b"\x89PNG\r\n\x1a\n".as_slice(), &vec![0u8; 5 * 1024 * 1024]].concat()),
                "mime_type": "image/png" } }),
            StatusCode::PAYLOAD_TOO_LARGE,
            "5 MB",
        ),
        (
            json!({ "document": { "data_base64": b64(b"MZ\x90\x00"), "mime_type": "application/x-msdownload",
                                  "filename": "virus.exe" } }),
            StatusCode::BAD_REQUEST,
            "tidak didukung",
        ),
        (
            json!({ "document": { "data_base64": b64(b"hello"), "mime_type": "application/pdf" } }),
            StatusCode::BAD_REQUEST,
            "PDF",
        ),
        (
            json!({ "document": { "data_base64": b64(b"%PDF-1.4"), "mime_type": "application/pdf",
                                  "filename": "../rahasia.pdf" } }),
            StatusCode::BAD_REQUEST,
            "Nama berkas",
        ),
        (
            json!({ "text": "halo", "image": { "data_base64": b64(&tiny_png()), "mime_type": "image/png" } }),
            StatusCode::BAD_REQUEST,
            "tepat satu",
        ),
    ];
    for (mut body, expected, fragment) in cases {
        body["from"] = json!(SARI);
        let (status, answer) = sim.post("/simulator/api/send", body.clone()).await;
        assert_eq!(status, expected, "{answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.contains(fragment), "{error:?} lacks {fragment:?}");
    }
    // Nothing reached the webhook.
    assert!(sim.app.store.recent(10).await.expect("raw log").is_empty());

    let accepted = sim
        .send(json!({ "from": SARI, "document": {
            "data_base64": b64(b"%PDF-1.7 formulir"), "mime_type": "application/pdf",
            "filename": "formulir F-1.02.pdf", "caption": "Formulir" } }))
        .await;
    let webhook = sim.last_webhook().await;
    let message = &webhook["entry"][0]["changes"][0]["value"]["messages"][0];
    assert_eq!(message["type"], "document");
    assert_eq!(message["document"]["filename"], "formulir F-1.02.pdf");
    assert_eq!(message["document"]["id"], accepted["media_id"]);
}

#[tokio::test]
async fn quoting_and_taps_carry_context_like_meta() {
    let sim = Sim::new();
    sim.send(json!({ "from": SARI, "text": "halo" })).await;
    sim.drain().await;
    let items = sim.items(SARI).await;
    let menu_wamid = items[1]["wamid"].as_str().expect("wamid").to_owned();

    sim.send(
        json!({ "from": SARI, "reply": { "kind": "list", "id": "menu.info",
        "title": "Informasi Publik" }, "context": { "message_id": menu_wamid } }),
    )
    .await;
    let webhook = sim.last_webhook().await;
    let message = &webhook["entry"][0]["changes"][0]["value"]["messages"][0];
    assert_eq!(message["context"]["id"], menu_wamid.as_str());
    assert_eq!(message["context"]["from"], "6280000000000");
    assert_eq!(message["interactive"]["list_reply"]["id"], "menu.info");
    sim.drain().await;

    // The citizen's own messages are part of the conversation, context included.
    let items = sim.items(SARI).await;
    let mine: Vec<&Value> = items.iter().filter(|i| i["from"] == "citizen").collect();
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[1]["body"]["context"]["id"], menu_wamid.as_str());
    // Oldest first, each reply after the message it answers.
    let authors: Vec<&str> = items
        .iter()
        .map(|i| i["from"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(authors, ["citizen", "bot", "citizen", "bot"]);

    let (status, _) = sim
        .post(
            "/simulator/api/send",
            json!({ "from": SARI, "text": "x", "context": { "message_id": "" } }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[test]
fn template_quick_replies_and_media_build_meta_message_shapes() {
    let request: SendRequest = serde_json::from_value(json!({
        "from": SARI, "reply": { "kind": "template", "id": "KONFIRMASI:42", "title": "Ya" }
    }))
    .expect("request");
    let message = message_json(&request, "wamid.X", 1_800_000_000, None).expect("valid");
    assert_eq!(message["type"], "button");
    assert_eq!(
        message["button"],
        json!({ "payload": "KONFIRMASI:42", "text": "Ya" })
    );
    assert_eq!(message["timestamp"], "1800000000");

    let request: SendRequest = serde_json::from_value(json!({
        "from": SARI, "user_id": "ID.123",
        "image": { "data_base64": "", "mime_type": "image/png" }
    }))
    .expect("request");
    let media = StoredMedia {
        kind: MediaKind::Image,
        media_id: "1234567890".into(),
        mime_type: "image/png".into(),
        sha256: "abc=".into(),
        caption: None,
        filename: None,
    };
    let message = message_json(&request, "wamid.Y", 1, Some(&media)).expect("valid");
    assert_eq!(message["from_user_id"], "ID.123");
    assert_eq!(
        message["image"],
        json!({ "id": "1234567890", "mime_type": "image/png", "sha256": "abc=" })
    );

    // Reactions only ever get `sent`; the pricing block rides on `sent`.
    let due = StatusDue {
        outbox_id: "out.1".into(),
        wamid: "wamid.B".into(),
        to_digits: None,
        recipient: Some("ID.9".into()),
        kind: "template".into(),
    };
    let sent = status_json(&due, "sent", 5);
    assert_eq!(sent["recipient_user_id"], "ID.9");
    assert!(sent.get("recipient_id").is_none());
    assert_eq!(sent["pricing"]["category"], "utility");
    assert!(status_json(&due, "read", 5).get("pricing").is_none());
}

#[tokio::test]
async fn time_travel_moves_every_part_and_survives_a_restart() {
    let sim = Sim::new();
    let (status, clock) = sim.get("/simulator/api/clock").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(clock["offset_ms"], 0);

    for bad in [
        json!({ "advance_minutes": 0 }),
        json!({ "advance_minutes": -5 }),
        json!({ "advance_minutes": 600_000 }),
        json!({ "minutes": 5 }),
    ] {
        let (status, _) = sim.post("/simulator/api/clock", bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let (status, clock) = sim
        .post("/simulator/api/clock", json!({ "advance_minutes": 1500 }))
        .await;
    assert_eq!(status, StatusCode::OK);
    let day_and_hour = 25 * 3_600_000;
    assert_eq!(clock["offset_ms"], day_and_hour);
    let real_now = SystemClock.now_ms();
    assert!(sim.app.clock.now_ms() >= real_now + day_and_hour - 1_000);

    // The simulator stamps the message with the moved time, and the worker, stores and
    // queue read the same clock.
    sim.send(json!({ "from": SARI, "text": "halo" })).await;
    let webhook = sim.last_webhook().await;
    let timestamp: i64 = webhook["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"]
        .as_str()
        .and_then(|text| text.parse().ok())
        .expect("timestamp");
    assert!(
        timestamp * 1000 >= real_now + day_and_hour - 2_000,
        "{timestamp}"
    );
    sim.drain().await;
    let items = sim.items(SARI).await;
    let outbox_id = items[1]["outbox_id"].as_str().expect("outbox id");
    let record = sim
        .app
        .store
        .get_outbox(outbox_id)
        .await
        .expect("outbox")
        .expect("record");
    assert!(
        record.created_ms >= real_now + day_and_hour - 1_000,
        "worker clock moved"
    );
    assert!(items[1]["at_ms"].as_i64().expect("at") >= real_now + day_and_hour - 1_000);

    // A restart keeps the offset (time must not go back) and the conversation.
    let dir = sim.dir;
    drop(sim.app);
    let again = build_in(dir.path());
    let simulator = again.simulator.clone().expect("simulator");
    let view = simulator.restore_clock().await.expect("restore");
    assert_eq!(view.offset_ms, day_and_hour);
    assert_eq!(again.clock.offset_ms(), day_and_hour);
    let again = Sim { app: again, dir };
    let items = again.items(SARI).await;
    assert_eq!(items.len(), 2, "conversation survives the restart");
    assert_eq!(items[0]["body"]["text"]["body"], "halo");
}

#[test]
fn offset_clock_adds_its_offset_and_saturates() {
    let clock = OffsetClock::new(crate::support::ManualClock::at(1_000));
    assert_eq!(clock.now_ms(), 1_000);
    assert_eq!(clock.advance_ms(500), 500);
    assert_eq!(clock.now_ms(), 1_500);
    assert_eq!(clock.base_now_ms(), 1_000);
    clock.set_offset_ms(i64::MAX);
    assert_eq!(clock.now_ms(), i64::MAX);
    assert_eq!(clock.advance_ms(1), i64::MAX);
}

#[tokio::test]
async fn citizens_are_kept_checked_and_registered_on_first_message() {
    let sim = Sim::new();
    let (_, body) = sim.get("/simulator/api/citizens").await;
    assert_eq!(body["citizens"], json!([]));
    let (status, body) = sim
        .post(
            "/simulator/api/citizens",
            json!({ "number": "6281111111111", "name": "Budi", "user_id": "ID.42" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["citizens"],
        json!([{ "number": "6281111111111", "name": "Budi", "user_id": "ID.42" }])
    );
    for bad in [
        json!({ "number": "08x", "name": "A" }),
        json!({ "number": "6281111111111", "name": " " }),
        json!({ "number": "6281111111111", "name": "A", "user_id": "id.1" }),
        json!({ "number": "6281111111111", "name": "A", "extra": 1 }),
    ] {
        let (status, _) = sim.post("/simulator/api/citizens", bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
    // Renaming keeps one entry.
    sim.post(
        "/simulator/api/citizens",
        json!({ "number": "6281111111111", "name": "Budi Santoso" }),
    )
    .await;
    // A number first seen in a message becomes a citizen of the page.
    sim.send(json!({ "from": SARI, "name": "Sari", "text": "halo" }))
        .await;
    let (_, body) = sim.get("/simulator/api/citizens").await;
    let names: Vec<&str> = body["citizens"]
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(names, ["Budi Santoso", "Sari"]);
}

#[tokio::test]
async fn the_page_is_self_contained_and_guarded() {
    let sim = Sim::new();
    for (uri, content_type) in [
        ("/simulator", "text/html"),
        ("/simulator/app.js", "text/javascript"),
        ("/simulator/app.css", "text/css"),
    ] {
        let response = sim
            .app
            .router
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
            .await
            .expect("infallible");
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        let headers = response.headers();
        assert!(headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap_or_default()
            .starts_with(content_type));
        let csp = headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap_or_default();
        assert!(csp.starts_with("default-src 'self'"), "{csp}");
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        let text = String::from_utf8_lossy(&body);
        // No asset from elsewhere, no inline script, no HTML built from strings.
        if uri != "/simulator/app.js" {
            // (The script names the SVG namespace and matches links in messages.)
            assert!(!text.contains("http"), "{uri} references another origin");
        }
        assert!(!text.contains("innerHTML"), "{uri} uses innerHTML");
        if uri == "/simulator" {
            assert!(text.contains("Simulator WhatsApp"));
            assert!(text
                .contains(r#"<link rel="icon" type="image/svg+xml" href="/simulator/logo.svg">"#));
            assert!(!text.contains("<script>"), "no inline script");
            assert!(text.contains("Alat uji: majukan waktu"));
        }
    }
    // The icon is the project's logo, served from the same origin.
    let logo = sim
        .app
        .router
        .clone()
        .oneshot(
            Request::get("/simulator/logo.svg")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("infallible");
    assert_eq!(logo.status(), StatusCode::OK);
    assert_eq!(logo.headers()[header::CONTENT_TYPE], "image/svg+xml");

    // Another host name resolving to loopback (DNS rebinding) is refused.
    let (status, _, _) = sim
        .call(
            Request::get("/simulator/api/citizens")
                .header(header::HOST, "evil.example:8080")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = sim
        .call(
            Request::get("/simulator/api/citizens")
                .header(header::HOST, "localhost:8080")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // A cross-site form cannot post: JSON only.
    let (status, _, _) = sim
        .call(
            Request::post("/simulator/api/send")
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from(
                    json!({ "from": SARI, "text": "halo" }).to_string(),
                ))
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

/// A small broadcast in the local app: the scheduler sends it to the simulator's opted-in
/// citizens (and not to the one who never opted in), and its statistics fill from the
/// simulator's signed status webhooks.
#[tokio::test]
async fn a_broadcast_reaches_the_simulator_and_its_statistics_fill_from_status_webhooks() {
    use prolink_app::broadcast;
    use prolink_app::ports::{
        BroadcastAudience, BroadcastRecord, BroadcastState, BroadcastStore, BroadcastTemplate,
        CitizenStore,
    };
    const BUDI: &str = "6281234500012";
    const TONO: &str = "6281234500013";
    let sim = Sim::new();
    let simulator = sim.simulator();
    for (who, name) in [(SARI, "Sari"), (BUDI, "Budi"), (TONO, "Tono")] {
        sim.send(json!({ "from": who, "name": name, "text": "halo" }))
            .await;
    }
    sim.drain().await;
    simulator.emit_statuses().await.expect("emit");
    sim.drain().await;
    for who in [SARI, BUDI] {
        let mut profile = sim
            .app
            .store
            .get_citizen(who)
            .await
            .unwrap()
            .expect("profile");
        profile.broadcast_opt_in = true;
        profile.topics = vec!["kesehatan".into()];
        sim.app.store.put_citizen(&profile).await.expect("opt in");
    }
    let now = sim.app.clock.now_ms();
    let record = BroadcastRecord {
        id: broadcast::new_id(now),
        name: "Imunisasi".into(),
        template: BroadcastTemplate {
            name: "siaran_kesehatan".into(),
            language: "id".into(),
            parameters: vec![
                "Imunisasi Campak".into(),
                "Bawa anak ke posyandu.".into(),
                "Dinkes (0335) 421228".into(),
            ],
            header_parameters: vec![],
        },
        audience: BroadcastAudience {
            all: false,
            topics: vec!["kesehatan".into()],
        },
        send_at_ms: None,
        // Urgent: the test must not depend on the hour it runs at (quiet hours).
        urgent: true,
        state: BroadcastState::Scheduled,
        audience_size: 2,
        progress: 0,
        cursor: None,
        next_run_ms: Some(now),
        stop_reason: None,
        created_by: "admin".into(),
        created_ms: now,
        updated_ms: now,
        started_ms: None,
        finished_ms: None,
        version: 0,
    };
    sim.app
        .store
        .put_broadcast(&record)
        .await
        .expect("broadcast");
    // The scheduler hands the broadcast out as a batch task; the complaint worker sends it.
    let report = sim.app.scheduler.tick().await.expect("tick");
    assert_eq!(report.broadcasts.handed_out, 1, "{report:?}");
    assert_eq!(report.broadcasts.sent, 0, "the tick itself sends nothing");
    let deliveries = sim
        .app
        .tasks
        .receive(10, Duration::from_secs(60))
        .await
        .expect("receive");
    let batches: Vec<_> = deliveries
        .iter()
        .filter(|d| d.body.contains("broadcast_batch"))
        .collect();
    assert_eq!(batches.len(), 1, "{deliveries:?}");
    let items: Vec<prolink_app::complaint_worker::TaskItem> = batches
        .iter()
        .map(|d| prolink_app::complaint_worker::TaskItem::from(*d))
        .collect();
    let outcomes = sim.app.complaint_worker.process_batch(&items).await;
    assert!(
        outcomes
            .iter()
            .all(|o| *o == prolink_app::complaint_worker::TaskOutcome::Done),
        "{outcomes:?}"
    );
    for delivery in &deliveries {
        sim.app
            .tasks
            .delete(&delivery.receipt)
            .await
            .expect("delete");
    }
    let done = sim
        .app
        .store
        .get_broadcast(&record.id)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(done.state, BroadcastState::Done);
    assert_eq!(done.progress, 2, "the audience reached");

    for who in [SARI, BUDI] {
        let items = sim.items(who).await;
        assert!(
            items.iter().any(|i| i["from"] == "bot"
                && i["body"]["type"] == "template"
                && i["body"]["template"]["name"] == "siaran_kesehatan"),
            "{who}: {items:?}"
        );
    }
    let tono = sim.items(TONO).await;
    assert!(
        !tono.iter().any(|i| i["body"]["type"] == "template"),
        "{tono:?}"
    );

    assert!(simulator.emit_statuses().await.expect("emit") >= 2);
    sim.drain().await;
    let stats = broadcast::read_stats(sim.app.store.as_ref(), &record.id)
        .await
        .expect("stats");
    assert_eq!((stats.sent, stats.delivered), (2, 2), "{stats:?}");

    // Sari opts out after receiving it: counted as "opted out after it".
    sim.send(json!({ "from": SARI, "name": "Sari", "text": "STOP" }))
        .await;
    sim.drain().await;
    let profile = sim
        .app
        .store
        .get_citizen(SARI)
        .await
        .unwrap()
        .expect("profile");
    assert!(!profile.broadcast_opt_in, "STOP opts out");
    let stats = broadcast::read_stats(sim.app.store.as_ref(), &record.id)
        .await
        .expect("stats");
    assert_eq!(stats.opted_out, 1, "{stats:?}");
}
