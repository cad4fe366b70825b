//! `ReliableSender` against a fake Graph API (wiremock, through the real `GraphMessenger`) and
//! the SQLite outbox. The fake checks every request body against the documented shapes and
//! limits (reference §4) and answers from a script.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use wiremock::matchers::{bearer_token, header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use prolink_app::graph::{http_client, GraphConfig, GraphMessenger};
use prolink_app::ports::{
    ConversationLog, OperatorSignals, OutboundMessage, OutboxRecord, OutboxState, OutboxStore,
    PageRequest, SendError, StaticSecrets, StatsCounters, WhatsAppSecrets,
};
use prolink_app::sender::{
    stored_fallback, template_outbox_id, window, wire_body, Fallback, ReliableSender, SendOutcome,
    SendPolicy, SenderError, Sleeper, Window,
};
use prolink_embedded::sqlite::{SqliteDb, SqliteStore};
use prolink_whatsapp::outbound::ReplyAddress;
use prolink_whatsapp::outbound::{
    self, ButtonsMessage, CtaUrlMessage, ListMessage, ListRow, ListSection, ReplyButton, Template,
    TemplateComponent, TemplateParameter,
};
use prolink_whatsapp::webhook::MessageStatus;

use crate::support::ManualClock;

const PNID: &str = "106540352242922";
const TOKEN: &str = "EAAG-sender-test-token";
const MESSAGES_PATH: &str = "/v25.0/106540352242922/messages";
const PHONE: &str = "6281234567890";
const CITIZEN: &str = "6281234567890";
const NOW_MS: i64 = 1_790_000_000_000;
const HOUR_MS: i64 = 3_600_000;

// ---------------------------------------------------------------------------------------------
// Doubles
// ---------------------------------------------------------------------------------------------

/// Records every wait and really sleeps it (the test policies use milliseconds), so that a
/// concurrent task can make progress while the sender waits.
#[derive(Default)]
struct RecordingSleeper {
    slept: Mutex<Vec<Duration>>,
}

#[async_trait::async_trait]
impl Sleeper for RecordingSleeper {
    async fn sleep(&self, duration: Duration) {
        self.slept.lock().unwrap().push(duration);
        tokio::time::sleep(duration).await;
    }
}

impl RecordingSleeper {
    fn slept(&self) -> Vec<Duration> {
        self.slept.lock().unwrap().clone()
    }
}

/// The fake `/messages` endpoint: validates each body, then answers with the next scripted
/// response, or with a success carrying a fresh wamid once the script is empty.
#[derive(Clone, Default)]
struct GraphDouble(Arc<GraphState>);

#[derive(Default)]
struct GraphState {
    script: Mutex<VecDeque<ResponseTemplate>>,
    bodies: Mutex<Vec<Value>>,
    violations: Mutex<Vec<String>>,
    accepted: AtomicUsize,
}

impl Respond for GraphDouble {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = match serde_json::from_slice(&request.body) {
            Ok(body) => body,
            Err(error) => {
                self.0
                    .violations
                    .lock()
                    .unwrap()
                    .push(format!("body is not JSON: {error}"));
                Value::Null
            }
        };
        let problems = shape_violations(&body);
        self.0
            .violations
            .lock()
            .unwrap()
            .extend(problems.into_iter().map(|p| format!("{p} in {body}")));
        let mark_read = body.get("status").is_some();
        self.0.bodies.lock().unwrap().push(body);
        if let Some(scripted) = self.0.script.lock().unwrap().pop_front() {
            return scripted;
        }
        if mark_read {
            return ResponseTemplate::new(200).set_body_json(json!({ "success": true }));
        }
        let n = self.0.accepted.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{ "input": format!("+{PHONE}"), "wa_id": PHONE }],
            "messages": [{ "id": format!("wamid.OK{n}") }]
        }))
    }
}

impl GraphDouble {
    fn bodies(&self) -> Vec<Value> {
        self.0.bodies.lock().unwrap().clone()
    }

    fn requests(&self) -> usize {
        self.0.bodies.lock().unwrap().len()
    }

    fn push(&self, responses: impl IntoIterator<Item = ResponseTemplate>) {
        self.0.script.lock().unwrap().extend(responses);
    }

    #[track_caller]
    fn assert_shapes_ok(&self) {
        let violations = self.0.violations.lock().unwrap().clone();
        assert!(violations.is_empty(), "{violations:#?}");
    }
}

fn chars(value: &Value) -> Option<usize> {
    value.as_str().map(|text| text.chars().count())
}

/// Every rule of reference §4 the bot relies on, checked on the wire.
fn shape_violations(body: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut need = |ok: bool, what: &str| {
        if !ok {
            out.push(what.to_owned());
        }
    };
    let Some(object) = body.as_object() else {
        return vec!["body is not an object".into()];
    };
    need(
        body["messaging_product"] == "whatsapp",
        "messaging_product must be whatsapp",
    );
    if object.contains_key("status") {
        need(body["status"] == "read", "status must be read");
        need(
            chars(&body["message_id"]).is_some_and(|n| n > 0),
            "mark-as-read needs message_id",
        );
        need(
            !object.contains_key("to") && !object.contains_key("biz_opaque_callback_data"),
            "mark-as-read is not addressed and carries no callback data",
        );
        if let Some(typing) = object.get("typing_indicator") {
            need(
                typing == &json!({ "type": "text" }),
                "typing_indicator must be {type: text}",
            );
        }
        return out;
    }

    let to = object.get("to");
    let recipient = object.get("recipient");
    need(
        to.is_some() != recipient.is_some(),
        "exactly one of to / recipient",
    );
    if let Some(to) = to {
        let digits = to.as_str().unwrap_or_default();
        need(
            digits.starts_with('+')
                && digits.len() > 1
                && digits[1..].chars().all(|c| c.is_ascii_digit()),
            "to must be + and digits",
        );
    }
    if let Some(kind) = object.get("recipient_type") {
        need(
            kind == "individual" || kind == "group",
            "recipient_type is individual or group",
        );
    }
    need(
        chars(&body["biz_opaque_callback_data"]).is_some_and(|n| (1..=512).contains(&n)),
        "biz_opaque_callback_data must be 1..=512 characters",
    );
    let kind = body["type"].as_str().unwrap_or_default();
    need(
        object.get(kind).is_some_and(Value::is_object),
        "an object named like type",
    );
    let content = &body[kind];
    let max = |value: &Value, limit: usize| chars(value).is_none_or(|n| n <= limit);
    let required = |value: &Value, limit: usize| chars(value).is_some_and(|n| n > 0 && n <= limit);
    match kind {
        "text" => need(required(&content["body"], 4096), "text body 1..=4096"),
        "interactive" => {
            let header = &content["header"]["text"];
            let footer = &content["footer"]["text"];
            let text = &content["body"]["text"];
            match content["type"].as_str().unwrap_or_default() {
                "list" => {
                    need(required(text, 4096), "list body 1..=4096");
                    need(
                        max(header, 60) && max(footer, 60),
                        "list header/footer ≤ 60",
                    );
                    need(
                        required(&content["action"]["button"], 20),
                        "list button 1..=20",
                    );
                    let sections = content["action"]["sections"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    need((1..=10).contains(&sections.len()), "1..=10 sections");
                    let rows: Vec<&Value> = sections
                        .iter()
                        .flat_map(|s| s["rows"].as_array().into_iter().flatten())
                        .collect();
                    need((1..=10).contains(&rows.len()), "1..=10 rows in total");
                    for section in &sections {
                        if sections.len() > 1 {
                            need(required(&section["title"], 24), "section title 1..=24");
                        }
                    }
                    for row in rows {
                        need(required(&row["id"], 200), "row id 1..=200");
                        need(required(&row["title"], 24), "row title 1..=24");
                        need(max(&row["description"], 72), "row description ≤ 72");
                    }
                }
                "button" => {
                    need(required(text, 1024), "buttons body 1..=1024");
                    need(
                        max(header, 60) && max(footer, 60),
                        "buttons header/footer ≤ 60",
                    );
                    let buttons = content["action"]["buttons"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    need((1..=3).contains(&buttons.len()), "1..=3 buttons");
                    for button in &buttons {
                        need(button["type"] == "reply", "button type reply");
                        need(required(&button["reply"]["id"], 256), "button id 1..=256");
                        need(
                            required(&button["reply"]["title"], 20),
                            "button title 1..=20",
                        );
                    }
                }
                "cta_url" => {
                    need(required(text, 1024), "CTA body 1..=1024");
                    need(max(header, 60) && max(footer, 60), "CTA header/footer ≤ 60");
                    need(content["action"]["name"] == "cta_url", "CTA action name");
                    let parameters = &content["action"]["parameters"];
                    need(
                        required(&parameters["display_text"], 20),
                        "CTA display_text 1..=20",
                    );
                    let url = parameters["url"].as_str().unwrap_or_default();
                    need(
                        url.starts_with("https://") || url.starts_with("http://"),
                        "CTA url is http(s)",
                    );
                }
                "location_request_message" => {
                    need(required(text, 1024), "location request body 1..=1024");
                    need(
                        content["action"]["name"] == "send_location",
                        "location request action",
                    );
                }
                other => need(false, &format!("unknown interactive type {other}")),
            }
        }
        "template" => {
            let name = content["name"].as_str().unwrap_or_default();
            need(
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "template name",
            );
            need(
                chars(&content["language"]["code"]).is_some_and(|n| n > 0),
                "template language code",
            );
            for component in content["components"].as_array().into_iter().flatten() {
                let kind = component["type"].as_str().unwrap_or_default();
                need(
                    ["header", "body", "button"].contains(&kind),
                    "template component type",
                );
                if kind == "button" {
                    need(component["index"].is_string(), "button index is a string");
                }
                need(
                    component["parameters"].is_array(),
                    "component parameters array",
                );
            }
        }
        "reaction" => {
            need(
                chars(&content["message_id"]).is_some_and(|n| n > 0),
                "reaction message_id",
            );
            need(content["emoji"].is_string(), "reaction emoji");
            need(!object.contains_key("context"), "no context on reactions");
        }
        other => need(false, &format!("unexpected type {other}")),
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

struct Harness {
    server: MockServer,
    graph: GraphDouble,
    store: Arc<SqliteStore>,
    sleeper: Arc<RecordingSleeper>,
    sender: Arc<ReliableSender>,
}

fn fast_policy() -> SendPolicy {
    SendPolicy {
        max_attempts: 4,
        base_backoff: Duration::from_millis(1),
        jitter: 0.0,
        reconcile_wait: Duration::from_millis(120),
        reconcile_poll: Duration::from_millis(10),
        retention_days: 90,
    }
}

async fn harness() -> Harness {
    harness_with(fast_policy()).await
}

/// The real Graph client, pointed at the fake.
fn messenger_for(server: &MockServer) -> GraphMessenger {
    let secrets = WhatsAppSecrets {
        app_secret: "app-secret".into(),
        app_secret_previous: None,
        verify_token: "verify".into(),
        access_token: Some(TOKEN.into()),
    };
    GraphMessenger::new(
        GraphConfig {
            base_url: server.uri(),
            api_version: "v25.0".into(),
            phone_number_id: PNID.into(),
        },
        Arc::new(StaticSecrets(secrets)),
        http_client(),
    )
}

async fn harness_with(policy: SendPolicy) -> Harness {
    let server = MockServer::start().await;
    let graph = GraphDouble::default();
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .and(bearer_token(TOKEN))
        .and(header("content-type", "application/json"))
        .respond_with(graph.clone())
        .mount(&server)
        .await;
    let messenger = messenger_for(&server);
    let clock = ManualClock::at(NOW_MS);
    let db = SqliteDb::open_in_memory().expect("in-memory sqlite");
    let store = Arc::new(SqliteStore::new(db, clock.clone()));
    let sleeper = Arc::new(RecordingSleeper::default());
    let sender = Arc::new(ReliableSender::new(
        Arc::new(messenger),
        store.clone(),
        store.clone(),
        clock,
        sleeper.clone(),
        policy,
    ));
    Harness {
        server,
        graph,
        store,
        sleeper,
        sender,
    }
}

impl Harness {
    async fn record(&self, outbox_id: &str) -> OutboxRecord {
        self.store
            .get_outbox(outbox_id)
            .await
            .expect("outbox read")
            .unwrap_or_else(|| panic!("no outbox record {outbox_id}"))
    }

    async fn send(
        &self,
        outbox_id: &str,
        window: Window,
        body: Value,
        fallback: Option<Fallback>,
    ) -> Result<SendOutcome, SenderError> {
        self.sender
            .send(
                CITIZEN,
                window,
                OutboundMessage {
                    outbox_id: outbox_id.into(),
                    body,
                },
                fallback,
            )
            .await
    }
}

fn address() -> ReplyAddress {
    ReplyAddress::Phone(PHONE.into())
}

fn text(body: &str) -> Value {
    outbound::text(&address(), body, false).expect("text builds")
}

fn fallback() -> Fallback {
    Fallback {
        template: Template {
            name: "balasan_layanan".into(),
            language_code: "id".into(),
            components: vec![TemplateComponent::Body {
                parameters: vec![TemplateParameter::Text {
                    text: "Syarat KTP-el: KK dan surat pengantar RT/RW.".into(),
                    parameter_name: None,
                }],
            }],
        },
    }
}

fn meta_error(status: u16, code: i64, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({ "error": {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "error_data": { "messaging_product": "whatsapp", "details": message },
        "fbtrace_id": "AbCdEf"
    } }))
}

fn server_error() -> ResponseTemplate {
    ResponseTemplate::new(500).set_body_raw("<html>Internal Server Error</html>", "text/html")
}

fn status(outbox_id: &str, wamid: &str, status: &str, error_code: Option<i64>) -> MessageStatus {
    let mut value = json!({
        "id": wamid,
        "status": status,
        "timestamp": "1790000000",
        "recipient_id": PHONE,
        "biz_opaque_callback_data": outbox_id,
    });
    if let Some(code) = error_code {
        value["errors"] = json!([{
            "code": code,
            "title": "Re-engagement message",
            "message": "Re-engagement message",
            "error_data": { "details": "Message failed to send because more than 24 hours have passed since the customer last replied to this number." }
        }]);
    }
    serde_json::from_value(value).expect("status parses")
}

fn callback(body: &Value) -> &str {
    body["biz_opaque_callback_data"]
        .as_str()
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn validator_flags_bodies_that_break_documented_limits() {
    let mut long_text = text("x");
    long_text["text"]["body"] = json!("a".repeat(4097));
    long_text["biz_opaque_callback_data"] = json!("ob-1");
    assert_eq!(
        shape_violations(&long_text),
        vec!["text body 1..=4096".to_owned()]
    );
    let mut no_callback = text("halo");
    no_callback["messaging_product"] = json!("sms");
    assert_eq!(shape_violations(&no_callback).len(), 2);
    let buttons = json!({
        "messaging_product": "whatsapp", "to": "+62812", "type": "interactive",
        "biz_opaque_callback_data": "ob-2",
        "interactive": { "type": "button", "body": { "text": "Pilih" }, "action": { "buttons": [
            { "type": "reply", "reply": { "id": "a", "title": "Judul tombol yang terlalu panjang" } }
        ] } }
    });
    assert_eq!(
        shape_violations(&buttons),
        vec!["button title 1..=20".to_owned()]
    );
}

#[test]
fn window_closes_exactly_24_hours_after_the_last_inbound_message() {
    let day = 24 * HOUR_MS;
    assert_eq!(window(Some(NOW_MS - day + 1), NOW_MS), Window::Open);
    assert_eq!(window(Some(NOW_MS - day), NOW_MS), Window::Closed);
    assert_eq!(window(Some(NOW_MS - 2 * day), NOW_MS), Window::Closed);
    assert_eq!(window(None, NOW_MS), Window::Closed);
}

#[tokio::test]
async fn every_message_type_goes_out_once_with_the_documented_shape() {
    let h = harness().await;
    let to = address();
    let bodies = vec![
        (
            "ob-text",
            outbound::text(&to, "Syarat perpanjangan SIM A: KTP-el asli.", true),
        ),
        (
            "ob-list",
            outbound::list(
                &to,
                &ListMessage {
                    header: Some("Layanan Kependudukan".into()),
                    body: "Silakan pilih layanan.".into(),
                    footer: Some("Dinas Dukcapil".into()),
                    button: "Pilih Layanan".into(),
                    sections: vec![
                        ListSection {
                            title: Some("Dokumen".into()),
                            rows: vec![ListRow {
                                id: "layanan_ktp_el".into(),
                                title: "KTP Elektronik".into(),
                                description: Some("Perekaman baru atau cetak ulang".into()),
                            }],
                        },
                        ListSection {
                            title: Some("Akta".into()),
                            rows: vec![ListRow {
                                id: "layanan_akta_lahir".into(),
                                title: "Akta Kelahiran".into(),
                                description: None,
                            }],
                        },
                    ],
                },
            ),
        ),
        (
            "ob-buttons",
            outbound::reply_buttons(
                &to,
                &ButtonsMessage {
                    header: None,
                    body: "Apakah jawaban ini membantu?".into(),
                    footer: None,
                    buttons: vec![
                        ReplyButton {
                            id: "ya".into(),
                            title: "Ya".into(),
                        },
                        ReplyButton {
                            id: "tidak".into(),
                            title: "Tidak".into(),
                        },
                    ],
                },
            ),
        ),
        (
            "ob-cta",
            outbound::cta_url(
                &to,
                &CtaUrlMessage {
                    header: None,
                    body: "Cek status permohonan Anda.".into(),
                    footer: Some("Tautan resmi".into()),
                    display_text: "Cek Status".into(),
                    url: "https://probolinggokota.go.id/status".into(),
                },
            ),
        ),
        (
            "ob-location",
            outbound::location_request(&to, "Bagikan lokasi Anda."),
        ),
        ("ob-template", outbound::template(&to, &fallback().template)),
        (
            "ob-reaction",
            outbound::reaction(&to, "wamid.INBOUND1", "\u{1F64F}"),
        ),
        (
            "ob-bsuid",
            outbound::text(
                &ReplyAddress::UserId("ID.1234567890abcdef".into()),
                "Halo",
                false,
            ),
        ),
    ];
    for (n, (outbox_id, body)) in bodies.into_iter().enumerate() {
        let body = body.expect("builds");
        let outcome = h.send(outbox_id, Window::Open, body.clone(), None).await;
        let wamid = format!("wamid.OK{}", n + 1);
        assert_eq!(
            outcome.as_ref().ok(),
            Some(&SendOutcome::Sent {
                wamid: wamid.clone()
            }),
            "{outbox_id}: {outcome:?}"
        );
        let record = h.record(outbox_id).await;
        assert_eq!(record.state, OutboxState::Sent);
        assert_eq!(record.wamid.as_deref(), Some(wamid.as_str()));
        assert_eq!(record.attempts, 1);
        assert_eq!(record.citizen_key, CITIZEN);
        assert_eq!(record.expires_at_ms, NOW_MS + 90 * 24 * HOUR_MS);
        let sent = h.graph.bodies().pop().expect("one request");
        assert_eq!(callback(&sent), outbox_id);
        let mut expected = body.clone();
        expected["biz_opaque_callback_data"] = json!(outbox_id);
        assert_eq!(sent, expected, "{outbox_id}: the body goes out as built");
        assert_eq!(wire_body(&record), expected);
    }
    assert_eq!(h.graph.requests(), 8);
    h.graph.assert_shapes_ok();
    assert!(h.sleeper.slept().is_empty());
}

#[tokio::test]
async fn throughput_limit_twice_then_success_backs_off_one_and_four_times_base() {
    let h = harness().await;
    h.graph.push([
        meta_error(400, 130429, "(#130429) Rate limit hit"),
        meta_error(400, 130429, "(#130429) Rate limit hit"),
    ]);
    let outcome = h.send("ob-rate", Window::Open, text("Halo"), None).await;
    assert_eq!(
        outcome.ok(),
        Some(SendOutcome::Sent {
            wamid: "wamid.OK1".into()
        })
    );
    assert_eq!(h.graph.requests(), 3);
    assert!(h.graph.bodies().iter().all(|b| callback(b) == "ob-rate"));
    assert_eq!(
        h.sleeper.slept(),
        vec![Duration::from_millis(1), Duration::from_millis(4)]
    );
    let record = h.record("ob-rate").await;
    assert_eq!(record.state, OutboxState::Sent);
    assert_eq!(record.attempts, 3);
    assert_eq!(record.last_error_code, Some(130429));
    h.graph.assert_shapes_ok();
}

#[tokio::test]
async fn backoff_jitter_stays_within_twenty_percent() {
    let h = harness_with(SendPolicy {
        base_backoff: Duration::from_millis(10),
        jitter: 0.2,
        ..fast_policy()
    })
    .await;
    h.graph.push([
        meta_error(400, 2, "(#2) Service temporarily unavailable"),
        meta_error(400, 131016, "(#131016) Service unavailable"),
    ]);
    let outcome = h.send("ob-jitter", Window::Open, text("Halo"), None).await;
    assert!(
        matches!(outcome, Ok(SendOutcome::Sent { .. })),
        "{outcome:?}"
    );
    let slept = h.sleeper.slept();
    assert_eq!(slept.len(), 2);
    for (wait, nominal) in slept.iter().zip([10.0, 40.0]) {
        let ms = wait.as_secs_f64() * 1000.0;
        assert!(
            ms >= nominal * 0.8 - 1e-6 && ms <= nominal * 1.2 + 1e-6,
            "{ms} ms for {nominal}"
        );
    }
}

#[tokio::test]
async fn pair_rate_limit_exhausted_is_a_retryable_error_and_redelivery_resumes() {
    let h = harness().await;
    h.graph
        .push((0..4).map(|_| meta_error(400, 131056, "(#131056) Pair rate limit hit")));
    let result = h.send("ob-pair", Window::Open, text("Halo"), None).await;
    match result {
        Err(SenderError::Exhausted {
            outbox_id,
            attempts: 4,
            last: SendError::Retryable {
                code: Some(131056), ..
            },
        }) => assert_eq!(outbox_id, "ob-pair"),
        other => panic!("expected Exhausted after 4 attempts, got {other:?}"),
    }
    assert_eq!(h.graph.requests(), 4);
    assert_eq!(
        h.sleeper.slept(),
        [1, 4, 16].map(Duration::from_millis).to_vec()
    );
    let record = h.record("ob-pair").await;
    assert_eq!(record.state, OutboxState::Pending);
    assert_eq!(record.attempts, 4);
    assert_eq!(record.last_error_code, Some(131056));

    // The queue redelivers the inbound item later: the pending record is resumed.
    let again = h.send("ob-pair", Window::Open, text("Halo"), None).await;
    assert_eq!(
        again.ok(),
        Some(SendOutcome::Sent {
            wamid: "wamid.OK1".into()
        })
    );
    assert_eq!(h.graph.requests(), 5);
    assert_eq!(h.record("ob-pair").await.attempts, 5);
    h.graph.assert_shapes_ok();
}

#[tokio::test]
async fn server_error_then_status_during_the_wait_sends_nothing_more() {
    let h = harness_with(SendPolicy {
        reconcile_wait: Duration::from_secs(20),
        ..fast_policy()
    })
    .await;
    h.graph.push([server_error()]);
    let store = h.store.clone();
    let sender = h.sender.clone();
    let webhook = tokio::spawn(async move {
        // The status webhook of the message that did go out arrives while the sender waits.
        for _ in 0..2000 {
            let attempted = store
                .get_outbox("ob-500a")
                .await
                .ok()
                .flatten()
                .is_some_and(|record| record.attempts >= 1);
            if attempted {
                return sender
                    .apply_status(&status("ob-500a", "wamid.LATE", "sent", None))
                    .await
                    .map_err(|error| error.to_string());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Err("the sender never recorded its attempt".to_owned())
    });
    let outcome = h.send("ob-500a", Window::Open, text("Halo"), None).await;
    assert_eq!(webhook.await.expect("task"), Ok(()));
    assert_eq!(
        outcome.ok(),
        Some(SendOutcome::Sent {
            wamid: "wamid.LATE".into()
        })
    );
    assert_eq!(h.graph.requests(), 1, "no second request");
    let slept: Duration = h.sleeper.slept().iter().sum();
    assert!(slept < Duration::from_secs(20), "stopped waiting early");
    let record = h.record("ob-500a").await;
    assert_eq!(record.state, OutboxState::Sent);
    assert_eq!(record.wamid.as_deref(), Some("wamid.LATE"));
    h.graph.assert_shapes_ok();
}

#[tokio::test]
async fn server_error_without_status_is_retried_exactly_once_after_the_wait() {
    let h = harness().await;
    h.graph.push([server_error()]);
    let outcome = h.send("ob-500b", Window::Open, text("Halo"), None).await;
    assert_eq!(
        outcome.ok(),
        Some(SendOutcome::Sent {
            wamid: "wamid.OK1".into()
        })
    );
    let bodies = h.graph.bodies();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0], bodies[1], "the same message, same outbox id");
    let slept: Duration = h.sleeper.slept().iter().sum();
    assert_eq!(slept, fast_policy().reconcile_wait);
    assert_eq!(h.record("ob-500b").await.attempts, 2);
    h.graph.assert_shapes_ok();
}

#[tokio::test]
async fn outside_window_error_resends_as_the_fallback_template_once() {
    let h = harness().await;
    h.graph
        .push([meta_error(400, 131047, "(#131047) Re-engagement message")]);
    let outcome = h
        .send("ob-131047", Window::Open, text("Halo"), Some(fallback()))
        .await;
    assert_eq!(
        outcome.ok(),
        Some(SendOutcome::SentAsTemplate {
            wamid: "wamid.OK1".into()
        })
    );
    let bodies = h.graph.bodies();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0]["type"], "text");
    let template_id = template_outbox_id("ob-131047");
    let mut expected = outbound::template(&address(), &fallback().template).expect("builds");
    expected["biz_opaque_callback_data"] = json!(template_id);
    assert_eq!(bodies[1], expected);
    assert_eq!(bodies[1]["template"]["name"], "balasan_layanan");
    assert_eq!(bodies[1]["template"]["language"]["code"], "id");

    let main = h.record("ob-131047").await;
    assert_eq!(main.state, OutboxState::Undeliverable);
    assert_eq!(main.last_error_code, Some(131047));
    assert!(stored_fallback(&main).is_some());
    assert!(
        bodies[0].get("_prolink_fallback").is_none(),
        "never on the wire"
    );
    let template = h.record(&template_id).await;
    assert_eq!(template.state, OutboxState::Sent);
    assert_eq!(template.wamid.as_deref(), Some("wamid.OK1"));

    // A redelivered inbound item sends neither again.
    let again = h
        .send("ob-131047", Window::Open, text("Halo"), Some(fallback()))
        .await;
    assert_eq!(
        again.ok(),
        Some(SendOutcome::AlreadyHandled {
            state: OutboxState::Sent
        })
    );
    assert_eq!(h.graph.requests(), 2);
    h.graph.assert_shapes_ok();
}

#[tokio::test]
async fn outside_window_error_without_fallback_is_undeliverable() {
    let h = harness().await;
    h.graph
        .push([meta_error(400, 131047, "(#131047) Re-engagement message")]);
    let outcome = h.send("ob-nofb", Window::Open, text("Halo"), None).await;
    assert!(
        matches!(outcome, Ok(SendOutcome::Undeliverable { .. })),
        "{outcome:?}"
    );
    assert_eq!(h.graph.requests(), 1);
    let record = h.record("ob-nofb").await;
    assert_eq!(record.state, OutboxState::Undeliverable);
    assert_eq!(record.last_error_code, Some(131047));
    assert!(h
        .store
        .get_outbox(&template_outbox_id("ob-nofb"))
        .await
        .expect("read")
        .is_none());
}

#[tokio::test]
async fn closed_window_never_attempts_free_form() {
    let h = harness().await;
    let without = h
        .send("ob-closed", Window::Closed, text("Halo"), None)
        .await;
    assert!(
        matches!(without, Ok(SendOutcome::Undeliverable { .. })),
        "{without:?}"
    );
    assert_eq!(h.graph.requests(), 0);
    assert_eq!(
        h.record("ob-closed").await.state,
        OutboxState::Undeliverable
    );

    let with = h
        .send(
            "ob-closed-fb",
            Window::Closed,
            text("Halo"),
            Some(fallback()),
        )
        .await;
    assert_eq!(
        with.ok(),
        Some(SendOutcome::SentAsTemplate {
            wamid: "wamid.OK1".into()
        })
    );
    let bodies = h.graph.bodies();
    assert_eq!(bodies.len(), 1, "only the template");
    assert_eq!(bodies[0]["type"], "template");
    assert_eq!(callback(&bodies[0]), template_outbox_id("ob-closed-fb"));

    // A template message is not free-form: it goes whatever the window.
    let notice = outbound::template(&address(), &fallback().template).expect("builds");
    let outcome = h.send("ob-notice", Window::Closed, notice, None).await;
    assert!(
        matches!(outcome, Ok(SendOutcome::Sent { .. })),
        "{outcome:?}"
    );
    assert_eq!(h.graph.requests(), 2);
    h.graph.assert_shapes_ok();
}

#[tokio::test]
async fn expired_token_raises_one_alert_and_is_not_retried() {
    let h = harness().await;
    h.graph.push([
        meta_error(401, 190, "Error validating access token"),
        meta_error(401, 190, "Error validating access token"),
    ]);
    for outbox_id in ["ob-tok1", "ob-tok2"] {
        let outcome = h.send(outbox_id, Window::Open, text("Halo"), None).await;
        assert!(
            matches!(outcome, Ok(SendOutcome::Fatal { code: 190, .. })),
            "{outcome:?}"
        );
        let record = h.record(outbox_id).await;
        assert_eq!(record.state, OutboxState::Undeliverable);
        assert_eq!(record.last_error_code, Some(190));
    }
    assert_eq!(h.graph.requests(), 2, "one request per message, no retry");
    assert!(h.sleeper.slept().is_empty());
    let alerts = h.store.recent_alerts(10).await.expect("alerts");
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].kind, "graph_token");
    assert!(alerts[0].message.contains("190"));
    assert!(!alerts[0].message.contains(TOKEN));
}

#[tokio::test]
async fn restricted_account_raises_its_own_alert() {
    let h = harness().await;
    h.graph.push([meta_error(
        400,
        368,
        "Temporarily blocked for policies violations",
    )]);
    let outcome = h.send("ob-368", Window::Open, text("Halo"), None).await;
    assert!(
        matches!(outcome, Ok(SendOutcome::Fatal { code: 368, .. })),
        "{outcome:?}"
    );
    let alerts = h.store.recent_alerts(10).await.expect("alerts");
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].kind, "graph_account");
}

#[tokio::test]
async fn invalid_parameter_is_rejected_and_recorded() {
    let h = harness().await;
    h.graph
        .push([meta_error(400, 100, "(#100) Invalid parameter")]);
    let outcome = h.send("ob-100", Window::Open, text("Halo"), None).await;
    match outcome {
        Ok(SendOutcome::Rejected { code: 100, reason }) => {
            assert!(reason.contains("Invalid parameter"), "{reason}")
        }
        other => panic!("expected Rejected 100, got {other:?}"),
    }
    assert_eq!(h.graph.requests(), 1);
    let record = h.record("ob-100").await;
    assert_eq!(record.state, OutboxState::Undeliverable);
    assert_eq!(record.last_error_code, Some(100));
    assert!(record
        .last_error
        .as_deref()
        .is_some_and(|e| e.contains("Invalid parameter")));
    assert!(h.store.recent_alerts(10).await.expect("alerts").is_empty());
}

#[tokio::test]
async fn redelivered_message_after_success_sends_nothing() {
    let h = harness().await;
    let first = h.send("ob-once", Window::Open, text("Halo"), None).await;
    assert!(matches!(first, Ok(SendOutcome::Sent { .. })), "{first:?}");
    h.sender
        .apply_status(&status("ob-once", "wamid.OK1", "delivered", None))
        .await
        .expect("status");
    let second = h.send("ob-once", Window::Open, text("Halo"), None).await;
    assert_eq!(
        second.ok(),
        Some(SendOutcome::AlreadyHandled {
            state: OutboxState::Delivered
        })
    );
    assert_eq!(h.graph.requests(), 1);
}

#[tokio::test]
async fn statuses_only_move_the_record_forward() {
    let h = harness().await;
    h.send("ob-st", Window::Open, text("Halo"), None)
        .await
        .expect("sent");
    for (kind, expected) in [
        ("read", OutboxState::Read),
        ("delivered", OutboxState::Read),
        ("sent", OutboxState::Read),
        ("failed", OutboxState::Read),
    ] {
        h.sender
            .apply_status(&status("ob-st", "wamid.OK1", kind, None))
            .await
            .expect("status");
        assert_eq!(h.record("ob-st").await.state, expected, "after {kind}");
    }

    // Failed may follow Sent, and keeps Meta's error code.
    h.send("ob-fail", Window::Open, text("Halo"), None)
        .await
        .expect("sent");
    h.sender
        .apply_status(&status("ob-fail", "wamid.OK2", "failed", Some(131026)))
        .await
        .expect("status");
    let failed = h.record("ob-fail").await;
    assert_eq!(failed.state, OutboxState::Failed);
    assert_eq!(failed.last_error_code, Some(131026));

    // Not ours: ignored without error.
    h.sender
        .apply_status(&status("ob-unknown", "wamid.X", "delivered", None))
        .await
        .expect("unknown outbox id is fine");
    let mut manual = status("x", "wamid.MANUAL", "read", None);
    manual.biz_opaque_callback_data = None;
    h.sender.apply_status(&manual).await.expect("no callback");
    assert!(h
        .store
        .get_outbox("ob-unknown")
        .await
        .expect("read")
        .is_none());
    assert_eq!(h.graph.requests(), 2);
}

#[tokio::test]
async fn failed_131047_status_sends_the_stored_template_once() {
    let h = harness().await;
    let outcome = h
        .send("ob-async", Window::Open, text("Halo"), Some(fallback()))
        .await;
    assert_eq!(
        outcome.ok(),
        Some(SendOutcome::Sent {
            wamid: "wamid.OK1".into()
        })
    );
    let failed = status("ob-async", "wamid.OK1", "failed", Some(131047));
    h.sender.apply_status(&failed).await.expect("status");
    // The same status redelivered by the queue.
    h.sender.apply_status(&failed).await.expect("status again");

    let bodies = h.graph.bodies();
    assert_eq!(bodies.len(), 2, "one template, once");
    assert_eq!(bodies[1]["type"], "template");
    assert_eq!(callback(&bodies[1]), template_outbox_id("ob-async"));
    let main = h.record("ob-async").await;
    assert_eq!(main.state, OutboxState::Failed);
    assert_eq!(main.last_error_code, Some(131047));
    let template = h.record(&template_outbox_id("ob-async")).await;
    assert_eq!(template.state, OutboxState::Sent);
    assert_eq!(template.wamid.as_deref(), Some("wamid.OK2"));

    // Without a stored fallback the failure is only recorded.
    h.send("ob-async2", Window::Open, text("Halo"), None)
        .await
        .expect("sent");
    h.sender
        .apply_status(&status("ob-async2", "wamid.OK3", "failed", Some(131047)))
        .await
        .expect("status");
    assert_eq!(h.graph.requests(), 3);
    assert_eq!(h.record("ob-async2").await.state, OutboxState::Failed);
    h.graph.assert_shapes_ok();
}

#[tokio::test]
async fn mark_read_posts_the_typing_indicator_and_swallows_failures() {
    let h = harness().await;
    h.sender.mark_read("wamid.INBOUND42").await;
    assert_eq!(
        h.graph.bodies(),
        vec![json!({
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": "wamid.INBOUND42",
            "typing_indicator": { "type": "text" }
        })]
    );
    assert!(h
        .store
        .get_outbox("read.wamid.INBOUND42")
        .await
        .expect("read")
        .is_none());

    h.graph.push([meta_error(
        400,
        131009,
        "(#131009) Parameter value is not valid",
    )]);
    h.sender.mark_read("wamid.BAD").await;
    assert_eq!(h.graph.requests(), 2, "no retry");
    h.graph.assert_shapes_ok();
}

#[tokio::test]
async fn template_send_exhausted_outside_the_window_is_resumed_on_redelivery() {
    let h = harness().await;
    h.graph
        .push((0..4).map(|_| meta_error(400, 130429, "(#130429) Rate limit hit")));
    let first = h
        .send("ob-resume", Window::Closed, text("Halo"), Some(fallback()))
        .await;
    assert!(
        matches!(first, Err(SenderError::Exhausted { ref outbox_id, .. }) if *outbox_id == template_outbox_id("ob-resume")),
        "{first:?}"
    );
    assert_eq!(h.graph.requests(), 4);
    assert!(h.graph.bodies().iter().all(|b| b["type"] == "template"));
    let template_id = template_outbox_id("ob-resume");
    assert_eq!(h.record(&template_id).await.state, OutboxState::Pending);

    // Redelivered later, window still closed: the pending template is sent, nothing else.
    let second = h
        .send("ob-resume", Window::Closed, text("Halo"), Some(fallback()))
        .await;
    assert_eq!(
        second.ok(),
        Some(SendOutcome::SentAsTemplate {
            wamid: "wamid.OK1".into()
        })
    );
    assert_eq!(h.graph.requests(), 5);
    let template = h.record(&template_id).await;
    assert_eq!(template.state, OutboxState::Sent);
    assert_eq!(template.attempts, 5);
    assert_eq!(
        h.record("ob-resume").await.state,
        OutboxState::Undeliverable
    );
    h.graph.assert_shapes_ok();
}

/// Counts the outbox reads, each a store call (a DynamoDB `GetItem` on AWS).
struct CountingOutbox {
    inner: Arc<SqliteStore>,
    reads: AtomicUsize,
}

#[async_trait::async_trait]
impl OutboxStore for CountingOutbox {
    async fn create_outbox(&self, record: &OutboxRecord) -> prolink_app::ports::PortResult<bool> {
        self.inner.create_outbox(record).await
    }
    async fn get_outbox(
        &self,
        outbox_id: &str,
    ) -> prolink_app::ports::PortResult<Option<OutboxRecord>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.get_outbox(outbox_id).await
    }
    async fn put_outbox(&self, record: &OutboxRecord) -> prolink_app::ports::PortResult<()> {
        self.inner.put_outbox(record).await
    }
}

#[tokio::test]
async fn a_sent_message_is_logged_and_counted_without_reading_its_record_back() {
    let h = harness().await;
    let outbox = Arc::new(CountingOutbox {
        inner: h.store.clone(),
        reads: AtomicUsize::new(0),
    });
    let sender = ReliableSender::new(
        Arc::new(messenger_for(&h.server)),
        outbox.clone(),
        h.store.clone(),
        ManualClock::at(NOW_MS),
        h.sleeper.clone(),
        fast_policy(),
    )
    .with_log(h.store.clone())
    .with_counters(h.store.clone());
    let outcome = sender
        .send(
            CITIZEN,
            Window::Open,
            OutboundMessage {
                outbox_id: "out.logged-once".into(),
                body: text("Kantor buka pukul 08.00."),
            },
            None,
        )
        .await
        .expect("send");
    assert!(matches!(outcome, SendOutcome::Sent { .. }), "{outcome:?}");
    // One read: the record's state before it is marked sent, nothing after.
    assert_eq!(outbox.reads.load(Ordering::SeqCst), 1);
    let logged = h
        .store
        .messages_of(
            CITIZEN,
            &PageRequest {
                limit: 10,
                after: None,
            },
        )
        .await
        .expect("log");
    assert_eq!(logged.items.len(), 1, "{logged:?}");
    assert_eq!(logged.items[0].delivery, Some(OutboxState::Sent));
    let day = prolink_app::stats::day_key(
        chrono::DateTime::from_timestamp_millis(NOW_MS + 7 * HOUR_MS)
            .expect("day")
            .date_naive(),
    );
    let counters = h.store.read_counters(&day, &day).await.expect("counters");
    assert!(
        counters
            .iter()
            .any(|c| c.counter == prolink_app::stats::MSG_OUT && c.value == 1),
        "{counters:?}"
    );
}
