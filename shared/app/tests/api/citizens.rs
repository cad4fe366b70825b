//! Citizens' data rights (UU 27/2022): an admin finds a citizen by the number of a written
//! request, exports everything stored about them, and erases them — after which the whole
//! store (every SQLite table but the simulator's, every DynamoDB item) holds neither their
//! number in any written form nor their name. The chat's `HAPUS DATA SAYA` and the worker's
//! tombstones are driven through the real webhook and dialog worker (SQLite).

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use prolink_app::conversations::new_conversation_id;
use prolink_app::ports::{
    AlertState, BlobStore, ConversationSummary, CounterAdd, Direction, LoggedMessage,
    OperatorAlert, OutboxRecord, OutboxState, PageRequest, RawInbound, StatusRecord, StoredSession,
    UnansweredQuestion,
};
use prolink_domain::citizen::CitizenProfile;
use prolink_domain::complaint::Photo;

use super::harness::{Api, Seed};
use crate::app::{now_secs, text_payload, webhook_body};

const PHONE: &str = "6281255500042";
const FORMS: [&str; 3] = ["6281255500042", "+6281255500042", "081255500042"];
const NAME: &str = "Wulan Pertiwi";
const OTHER_PHONE: &str = "6281255500077";
const OTHER_NAME: &str = "Budi Santoso";
const TICKET: &str = "PS-RR0001";
const OTHER_TICKET: &str = "PS-RR0002";
const PHOTO_KEY: &str = "complaints/PS-RR0001/m1.jpg";

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// One raw webhook body holding both citizens (Meta batches).
fn shared_batch() -> String {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages",
        "value": {
            "messaging_product": "whatsapp",
            "contacts": [
                {"profile": {"name": NAME}, "wa_id": PHONE},
                {"profile": {"name": OTHER_NAME}, "wa_id": OTHER_PHONE}
            ],
            "messages": [
                {"from": PHONE, "id": "wamid.rights.a", "timestamp": "1794276960", "type": "text",
                 "text": {"body": "halo"}},
                {"from": OTHER_PHONE, "id": "wamid.rights.b", "timestamp": "1794276961",
                 "type": "text", "text": {"body": "jalan rusak di Mayangan"}}
            ]
        }
    }]}]})
    .to_string()
}

/// The fixture citizen in every store the port covers, and a second citizen who shares a
/// webhook batch with them. Returns the citizen's opaque id.
async fn seed(api: &Api) -> String {
    let now = now_ms();
    let later = now + 30 * 86_400_000;
    let s = &api.stores;
    for (phone, name) in [(PHONE, NAME), (OTHER_PHONE, OTHER_NAME)] {
        s.citizens
            .put_citizen(&CitizenProfile {
                key: phone.into(),
                wa_id: Some(phone.into()),
                name: Some(name.into()),
                last_inbound_ms: Some(now - 60_000),
                broadcast_opt_in: true,
                topics: vec!["kesehatan".into()],
                privacy_consent_ms: Some(now - 120_000),
                created_ms: now - 120_000,
                updated_ms: now - 60_000,
                ..CitizenProfile::default()
            })
            .await
            .expect("profile");
        s.citizens.put_alias(phone, phone).await.expect("alias");
    }
    s.sessions
        .save_session(&StoredSession {
            key: PHONE.into(),
            data: json!({"dialog": {"flow": null}, "note": NAME}).to_string(),
            version: 0,
            expires_at_ms: later,
        })
        .await
        .expect("session");
    let id = new_conversation_id();
    for (phone, name, conversation) in [
        (PHONE, NAME, id.clone()),
        (OTHER_PHONE, OTHER_NAME, new_conversation_id()),
    ] {
        s.conversations
            .put_conversation(&ConversationSummary {
                citizen_key: phone.into(),
                id: conversation,
                name: Some(name.into()),
                phone: Some(phone.into()),
                last_message_ms: now - 60_000,
                last_inbound_ms: Some(now - 60_000),
                ..ConversationSummary::default()
            })
            .await
            .expect("conversation");
        s.conversations
            .append_message(&LoggedMessage {
                citizen_key: phone.into(),
                id: format!("wamid.in.{phone}"),
                at_ms: now - 60_000,
                direction: Direction::Inbound,
                actor: None,
                kind: "text".into(),
                text: Some(format!("nama saya {name}, nomor 0{}", &phone[2..])),
                choices: vec![],
                media_ref: None,
                delivery: None,
                expires_at_ms: later,
            })
            .await
            .expect("inbound entry");
    }
    s.conversations
        .append_message(&LoggedMessage {
            citizen_key: PHONE.into(),
            id: "out.rights.1".into(),
            at_ms: now - 50_000,
            direction: Direction::Outbound,
            actor: None,
            kind: "text".into(),
            text: Some(format!("Halo {NAME}")),
            choices: vec![],
            media_ref: None,
            delivery: Some(OutboxState::Sent),
            expires_at_ms: later,
        })
        .await
        .expect("outbound entry");
    s.outbox
        .create_outbox(&OutboxRecord {
            outbox_id: "out.rights.1".into(),
            citizen_key: PHONE.into(),
            body: json!({"messaging_product": "whatsapp", "to": PHONE, "type": "text",
                         "text": {"body": format!("Halo {NAME}")}}),
            state: OutboxState::Sent,
            wamid: Some("wamid.out.rights.1".into()),
            attempts: 1,
            last_error_code: None,
            last_error: None,
            created_ms: now - 50_000,
            updated_ms: now - 50_000,
            expires_at_ms: later,
        })
        .await
        .expect("outbox");
    s.statuses
        .record_status(&StatusRecord {
            wamid: "wamid.out.rights.1".into(),
            status: "delivered".into(),
            timestamp: 1_794_276_970,
            recipient: Some(PHONE.into()),
            outbox_id: Some("out.rights.1".into()),
            error_code: None,
            expires_at_ms: later,
        })
        .await
        .expect("status");
    // A broadcast reached the citizen: its outbox record (the template, addressed to the
    // number) and Meta's delivery report are the citizen's data too.
    let broadcast_id = prolink_app::broadcast::new_id(now);
    s.broadcasts
        .put_broadcast(&prolink_app::ports::BroadcastRecord {
            id: broadcast_id.clone(),
            name: "Imunisasi".into(),
            template: prolink_app::ports::BroadcastTemplate {
                name: "siaran_kesehatan".into(),
                language: "id".into(),
                parameters: vec!["a".into(), "b".into(), "c".into()],
                header_parameters: vec![],
            },
            audience: prolink_app::ports::BroadcastAudience {
                all: true,
                topics: vec![],
            },
            send_at_ms: None,
            urgent: false,
            state: prolink_app::ports::BroadcastState::Done,
            audience_size: 2,
            progress: 2,
            cursor: None,
            next_run_ms: None,
            stop_reason: None,
            created_by: "admin".into(),
            created_ms: now - 46_000,
            updated_ms: now - 45_000,
            started_ms: Some(now - 46_000),
            finished_ms: Some(now - 45_000),
            version: 0,
        })
        .await
        .expect("broadcast");
    let broadcast_outbox = prolink_app::broadcast::outbox_id(&broadcast_id, PHONE);
    s.outbox
        .create_outbox(&OutboxRecord {
            outbox_id: broadcast_outbox.clone(),
            citizen_key: PHONE.into(),
            body: json!({"messaging_product": "whatsapp", "to": PHONE, "type": "template",
                         "template": {"name": "siaran_kesehatan", "language": {"code": "id"}}}),
            state: OutboxState::Sent,
            wamid: Some("wamid.out.rights.bc".into()),
            attempts: 1,
            last_error_code: None,
            last_error: None,
            created_ms: now - 45_000,
            updated_ms: now - 45_000,
            expires_at_ms: later,
        })
        .await
        .expect("broadcast outbox");
    s.statuses
        .record_status(&StatusRecord {
            wamid: "wamid.out.rights.bc".into(),
            status: "read".into(),
            timestamp: 1_794_276_980,
            recipient: Some(PHONE.into()),
            outbox_id: Some(broadcast_outbox),
            error_code: None,
            expires_at_ms: later,
        })
        .await
        .expect("broadcast status");
    s.raw
        .record(&RawInbound {
            id: uuid::Uuid::new_v4().to_string(),
            received_at_ms: now - 60_000,
            outcome: "queued".into(),
            body: shared_batch(),
            expires_at_ms: later,
        })
        .await
        .expect("raw");
    s.signals
        .record_unanswered(&UnansweredQuestion {
            id: "q.rights.1".into(),
            citizen_key: PHONE.into(),
            text: "dimana kantor kelurahan".into(),
            candidates: vec![],
            asked_ms: now - 40_000,
            expires_at_ms: later,
        })
        .await
        .expect("unanswered");
    s.signals
        .raise_alert(&OperatorAlert {
            id: "handoff.rights.1".into(),
            kind: "handoff".into(),
            message: format!("{NAME} menunggu petugas"),
            citizen_key: Some(PHONE.into()),
            raised_ms: now - 30_000,
            opd_id: None,
        })
        .await
        .expect("alert");
    // The OPD's alert about the complaint names the reporter: it is the OPD's work and must
    // outlive the reporter's erasure, masked.
    s.signals
        .raise_alert(&OperatorAlert {
            id: format!("complaint.new.{TICKET}"),
            kind: "complaint_new".into(),
            message: format!("Aduan baru {TICKET}. Pelapor: {NAME} ({PHONE})."),
            citizen_key: Some(PHONE.into()),
            raised_ms: now - 20_000,
            opd_id: Some("dpupr-pkp".into()),
        })
        .await
        .expect("OPD alert");
    let day = chrono::Utc::now().format("%Y-%m-%d").to_string();
    for event in prolink_app::stats::active_event_ids(PHONE) {
        s.stats
            .add(
                &event,
                &[CounterAdd {
                    day: day.clone(),
                    counter: "active_d".into(),
                    delta: 1,
                }],
            )
            .await
            .expect("stat mark");
    }
    // Complaints: the citizen's own (name, number and NIK in the text, a stored photo) and the
    // other citizen's.
    api.complaint(Seed {
        citizen: PHONE,
        ..Seed::new(TICKET)
    })
    .await;
    api.complaint(Seed {
        citizen: OTHER_PHONE,
        ..Seed::new(OTHER_TICKET)
    })
    .await;
    let mut complaint = api.stored(TICKET).await;
    complaint.reporter_name = Some(NAME.into());
    complaint.description = format!(
        "Jalan berlubang di depan rumah saya. Nama saya {NAME}, NIK 3574011203900001, hubungi 0{}.",
        &PHONE[2..]
    );
    complaint.photos = vec![Photo {
        media_id: "m1".into(),
        mime_type: Some("image/jpeg".into()),
        stored_key: Some(PHOTO_KEY.into()),
        ..Photo::default()
    }];
    s.complaints
        .update_complaint(&complaint)
        .await
        .expect("complaint");
    api.blobs
        .put_blob(PHOTO_KEY, b"jpeg".to_vec(), "image/jpeg")
        .await
        .expect("photo");
    // Both complaints wait in the SP4N-LAPOR! outbox (their category forwards them).
    for ticket in [TICKET, OTHER_TICKET] {
        let complaint = api.stored(ticket).await;
        prolink_app::lapor::ensure_task(s.lapor.as_ref(), &complaint, "kategori", now)
            .await
            .expect("LAPOR task");
    }
    id
}

/// Every text the store holds (every SQLite table but the simulator's; every DynamoDB item),
/// one string per row or item.
async fn whole_store(api: &Api) -> Vec<String> {
    match &api.dynamo {
        Some((client, table)) => {
            let mut rows = Vec::new();
            let mut start = None;
            loop {
                let output = client
                    .scan()
                    .table_name(table)
                    .set_exclusive_start_key(start.take())
                    .send()
                    .await
                    .expect("scan");
                for item in output.items.unwrap_or_default() {
                    rows.push(format!("{item:?}"));
                }
                match output.last_evaluated_key {
                    Some(key) => start = Some(key),
                    None => break,
                }
            }
            rows
        }
        None => api
            .app
            .app
            .db
            .call(|conn| {
                let tables: Vec<String> = {
                    let mut stmt = conn
                        .prepare(
                            "SELECT name FROM sqlite_master WHERE type = 'table'
                             AND name NOT LIKE 'sim\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
                        )
                        .expect("tables");
                    let names = stmt
                        .query_map([], |row| row.get(0))
                        .expect("names")
                        .collect::<Result<Vec<String>, _>>()
                        .expect("names");
                    names
                };
                let mut rows = Vec::new();
                for table in tables {
                    let mut stmt = conn
                        .prepare(&format!("SELECT * FROM {table}"))
                        .expect("select");
                    let columns = stmt.column_count();
                    let mut found = stmt.query([]).expect("query");
                    while let Some(row) = found.next().expect("row") {
                        let mut text = format!("{table}:");
                        for i in 0..columns {
                            let value: rusqlite::types::Value = row.get(i).expect("value");
                            text.push_str(&format!(" {value:?}"));
                        }
                        rows.push(text);
                    }
                }
                Ok(rows)
            })
            .await
            .expect("dump"),
    }
}

fn mentions(rows: &[String], needles: &[&str]) -> Vec<String> {
    rows.iter()
        .filter(|row| needles.iter().any(|n| row.contains(n)))
        .cloned()
        .collect()
}

async fn lookup(api: &Api, phone: &str) -> (StatusCode, Value) {
    let reply = api
        .post("/api/citizens/lookup", "t-admin", json!({ "phone": phone }))
        .await;
    (reply.status, reply.json)
}

async fn erase(api: &Api, id: &str) -> super::harness::Reply {
    api.post(
        &format!("/api/citizens/{id}/erase"),
        "t-admin",
        json!({ "confirm": id }),
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Both stores
// ---------------------------------------------------------------------------------------------

async fn an_admin_finds_a_citizen_by_any_written_form_of_the_number(api: Api) {
    let id = seed(&api).await;
    for form in ["6281255500042", "+62 812-5550-0042", "0812 5550 0042"] {
        let (status, json) = lookup(&api, form).await;
        assert_eq!(status, StatusCode::OK, "{form}: {json}");
        assert_eq!(json, json!({"id": id, "name": NAME}));
    }
    let (status, json) = lookup(&api, "6281299999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{json}");
    for bad in ["bukan nomor", "", "+1 555 0100", &"0".repeat(40_000)] {
        let (status, json) = lookup(&api, bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{json}");
        assert!(json["fields"]["phone"].is_string(), "{json}");
    }
    for body in [
        json!({"phone": 6281255500042u64}),
        json!({"phone": null}),
        json!({"nomor": PHONE}),
        json!({"phone": PHONE, "name": NAME}),
    ] {
        let reply = api
            .post("/api/citizens/lookup", "t-admin", body.clone())
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.text
        );
        assert_eq!(reply.json["code"], "invalid_body");
    }
    let audit = api.audit().await;
    let lookups: Vec<_> = audit
        .iter()
        .filter(|r| r.action == "citizen.lookup")
        .collect();
    assert_eq!(lookups.len(), 4, "every lookup that was read is recorded");
    for record in &audit {
        let text = format!("{record:?}");
        assert!(!FORMS.iter().any(|f| text.contains(f)), "{text}");
    }
}

async fn the_export_holds_everything_stored_about_the_citizen(api: Api) {
    let id = seed(&api).await;
    let reply = api
        .get(&format!("/api/citizens/{id}/export"), "t-admin")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let export = &reply.json;
    assert_eq!(export["id"], id);
    assert_eq!(export["profile"]["name"], NAME);
    assert_eq!(export["profile"]["phone"], PHONE);
    assert_eq!(export["consent"]["broadcast_opt_in"], true);
    assert!(export["consent"]["privacy_consent_at"].is_string());
    assert_eq!(export["session"]["data"]["note"], NAME);
    let messages = export["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 2, "{}", reply.text);
    assert!(messages
        .iter()
        .any(|m| m["direction"] == "outbound" && m["text"] == format!("Halo {NAME}")));
    let complaints = export["complaints"].as_array().expect("complaints");
    assert_eq!(
        complaints.len(),
        1,
        "only their own complaint: {}",
        reply.text
    );
    assert_eq!(complaints[0]["ticket"], TICKET);
    assert!(complaints[0]["timeline"]
        .as_array()
        .is_some_and(|t| !t.is_empty()));
    let url = complaints[0]["photos"][0]["url"]
        .as_str()
        .expect("photo link");
    assert!(url.contains(PHOTO_KEY), "{url}");
    assert_eq!(export["unanswered"][0]["text"], "dimana kantor kelurahan");
    let alert_ids: Vec<&str> = export["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    let mut expected = vec![
        "handoff.rights.1".to_string(),
        format!("complaint.new.{TICKET}"),
    ];
    expected.sort();
    let mut got: Vec<String> = alert_ids.iter().map(|s| s.to_string()).collect();
    got.sort();
    assert_eq!(got, expected, "every alert naming the citizen");
    assert!(!reply.text.contains(OTHER_PHONE) && !reply.text.contains(OTHER_NAME));
    assert!(api
        .audit()
        .await
        .iter()
        .any(|r| r.action == "citizen.export" && r.subject.as_deref() == Some(id.as_str())));

    let unknown = new_conversation_id();
    for path in [
        format!("/api/citizens/{unknown}/export"),
        "/api/citizens/not-an-id/export".to_string(),
    ] {
        let reply = api.get(&path, "t-admin").await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            reply.text
        );
        assert_eq!(reply.json["code"], "not_found");
    }
}

async fn after_erasure_the_store_holds_neither_number_nor_name(api: Api) {
    let id = seed(&api).await;
    let before = whole_store(&api).await;
    assert!(
        !mentions(&before, &[PHONE, NAME]).is_empty(),
        "the fixture is there to be erased"
    );

    let reply = erase(&api, &id).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["id"], id);
    assert!(reply.json["erased_at"].is_string());
    let removed = &reply.json["removed"];
    for (kind, n) in [
        ("profile", 1),
        ("session", 1),
        ("messages", 2),
        ("conversation", 1),
        // The chat reply and the broadcast.
        ("outbox", 2),
        ("statuses", 2),
        ("raw_payloads", 1),
        ("unanswered", 1),
        ("alerts", 1),
        ("alerts_masked", 1),
        ("stat_marks", 3),
        ("complaints_redacted", 1),
        ("photos", 1),
        ("lapor_tasks", 1),
    ] {
        assert_eq!(removed[kind], n, "{kind}: {}", reply.text);
    }

    let after = whole_store(&api).await;
    let mut needles: Vec<&str> = FORMS.to_vec();
    needles.push(NAME);
    let left = mentions(&after, &needles);
    assert!(left.is_empty(), "still stored: {left:#?}");

    // The other citizen of the same webhook batch is untouched.
    assert!(!mentions(&after, &[OTHER_PHONE]).is_empty());
    let raw = api.stores.raw.recent(10).await.expect("raw");
    assert_eq!(raw.len(), 1);
    let body: Value = serde_json::from_str(&raw[0].body).expect("still JSON");
    let value = &body["entry"][0]["changes"][0]["value"];
    assert_eq!(value["contacts"].as_array().map(Vec::len), Some(1));
    assert_eq!(value["contacts"][0]["wa_id"], OTHER_PHONE);
    assert_eq!(value["messages"].as_array().map(Vec::len), Some(1));
    assert_eq!(value["messages"][0]["id"], "wamid.rights.b");
    assert!(api
        .stores
        .citizens
        .get_citizen(OTHER_PHONE)
        .await
        .expect("profile")
        .is_some());

    // The OPD's alert stays, masked.
    let alerts = api
        .stores
        .alerts
        .list_alerts(
            AlertState::Open,
            None,
            &PageRequest {
                limit: 100,
                after: None,
            },
        )
        .await
        .expect("alerts");
    let kept = alerts
        .items
        .iter()
        .find(|a| a.alert.id == format!("complaint.new.{TICKET}"))
        .expect("the OPD's alert is kept");
    assert!(
        kept.alert.message.contains("[DIHAPUS]"),
        "{}",
        kept.alert.message
    );
    assert_eq!(kept.alert.citizen_key, None);

    // The LAPOR task stays (the complaint may still go to LAPOR), never with an identity; the
    // other citizen's is untouched.
    let task = api
        .stores
        .lapor
        .get_lapor_task(TICKET)
        .await
        .expect("task")
        .expect("kept");
    assert!(task.anonymised);
    assert!(
        task.citizen_key.starts_with("erased-"),
        "{}",
        task.citizen_key
    );
    let other = api
        .stores
        .lapor
        .get_lapor_task(OTHER_TICKET)
        .await
        .expect("task")
        .expect("kept");
    assert_eq!(
        (other.citizen_key.as_str(), other.anonymised),
        (OTHER_PHONE, false)
    );

    // The complaint stays for the OPD, without its reporter.
    let complaint = api.stored(TICKET).await;
    assert!(
        complaint.citizen_key.starts_with("erased-"),
        "{}",
        complaint.citizen_key
    );
    assert_eq!(complaint.reporter_name, None);
    assert_eq!(
        complaint.status,
        prolink_domain::complaint::Status::Diteruskan
    );
    assert!(complaint
        .description
        .starts_with("Jalan berlubang di depan rumah saya."));
    assert!(
        !complaint.description.contains("3574011203900001"),
        "NIK masked"
    );
    assert_eq!(complaint.photos[0].stored_key, None);
    assert!(api.blobs.get_blob(PHOTO_KEY).await.expect("blob").is_none());
    let detail = api
        .get(&format!("/api/complaints/{TICKET}"), "t-operator")
        .await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.text);
    assert_eq!(api.stored(OTHER_TICKET).await.citizen_key, OTHER_PHONE);

    // The OPD goes on with it; the citizen is not told any more.
    let moved = api
        .post(
            &format!("/api/complaints/{TICKET}/transitions"),
            "t-operator",
            json!({"to": "diproses", "public_note": "Sedang dikerjakan.", "version": complaint.version}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    api.run_tasks_at(crate::support::next_wib(now_ms(), 10, 0))
        .await;
    assert!(api.app.outbox_for(PHONE).await.is_empty(), "nothing sent");
    assert!(
        api.app.outbox_for(&complaint.citizen_key).await.is_empty(),
        "nothing sent to the stand-in key either"
    );
    assert_eq!(
        api.stored(TICKET).await.status,
        prolink_domain::complaint::Status::Diproses
    );

    // Gone for the API too; the audit trail names the id only.
    for reply in [
        api.get(&format!("/api/citizens/{id}/export"), "t-admin")
            .await,
        erase(&api, &id).await,
    ] {
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text);
    }
    assert_eq!(lookup(&api, PHONE).await.0, StatusCode::NOT_FOUND);
    let audit = api.audit().await;
    assert!(audit
        .iter()
        .any(|r| r.action == "citizen.erase" && r.subject.as_deref() == Some(id.as_str())));
}

async fn erasure_needs_the_same_id_typed_again(api: Api) {
    let id = seed(&api).await;
    let path = format!("/api/citizens/{id}/erase");
    let huge = "c".repeat(60_000);
    let cases: Vec<(String, u16, &str)> = vec![
        (
            json!({"confirm": new_conversation_id()}).to_string(),
            422,
            "invalid_field",
        ),
        (
            json!({"confirm": id.to_uppercase()}).to_string(),
            422,
            "invalid_field",
        ),
        (json!({"confirm": ""}).to_string(), 422, "invalid_field"),
        (json!({"confirm": huge}).to_string(), 422, "invalid_field"),
        (json!({"confirm": 5}).to_string(), 400, "invalid_body"),
        (json!({"confirm": [id]}).to_string(), 400, "invalid_body"),
        (json!({"confirm": null}).to_string(), 400, "invalid_body"),
        (json!({}).to_string(), 400, "invalid_body"),
        (
            json!({"confirm": id, "also": 1}).to_string(),
            400,
            "invalid_body",
        ),
        (json!([id]).to_string(), 400, "invalid_body"),
        ("{not json".to_string(), 400, "invalid_body"),
        (
            json!({"confirm": "x".repeat(100_000)}).to_string(),
            413,
            "invalid_body",
        ),
    ];
    for (body, status, code) in cases {
        let reply = api
            .call(Method::POST, &path, Some("t-admin"), Some(&body))
            .await;
        let shown: String = body.chars().take(60).collect();
        assert_eq!(reply.status.as_u16(), status, "{shown}: {}", reply.text);
        assert_eq!(reply.json["code"], code, "{shown}");
        if status == 422 {
            assert!(
                reply.json["fields"]["confirm"].is_string(),
                "{}",
                reply.text
            );
        }
    }
    // Nothing was erased by any of them.
    assert!(api
        .stores
        .citizens
        .get_citizen(PHONE)
        .await
        .expect("profile")
        .is_some());
    for role in ["t-operator", "t-opd", "t-viewer"] {
        let reply = api.post(&path, role, json!({ "confirm": id })).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{role}");
        let reply = api
            .post("/api/citizens/lookup", role, json!({ "phone": PHONE }))
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{role}");
        for path in [
            format!("/api/citizens/{id}/export"),
            "/api/erasure-requests".into(),
        ] {
            assert_eq!(
                api.get(&path, role).await.status,
                StatusCode::FORBIDDEN,
                "{role}"
            );
        }
    }
}

on_both_stores!(
    an_admin_finds_a_citizen_by_any_written_form_of_the_number,
    the_export_holds_everything_stored_about_the_citizen,
    after_erasure_the_store_holds_neither_number_nor_name,
    erasure_needs_the_same_id_typed_again,
);

// ---------------------------------------------------------------------------------------------
// Through the webhook and the dialog worker (SQLite, as the worker's tests run)
// ---------------------------------------------------------------------------------------------

async fn say(api: &Api, wamid: &str, text: &str) {
    assert_eq!(
        api.app
            .post_signed(&text_payload(PHONE, NAME, wamid, text))
            .await,
        StatusCode::OK
    );
    api.app.drain().await;
}

fn citizen_id_of(list: &Value) -> String {
    list["items"][0]["citizen_id"]
        .as_str()
        .expect("citizen id")
        .to_string()
}

#[tokio::test]
async fn hapus_data_saya_raises_one_request_that_erasure_closes() {
    let api = Api::sqlite().await;
    say(&api, "wamid.hapus.0", "halo").await;
    say(&api, "wamid.hapus.1", "HAPUS DATA SAYA").await;
    say(&api, "wamid.hapus.2", "  hapus   data saya!!").await;

    let replies = api.app.outbox_for(PHONE).await;
    let last = replies.last().expect("a reply").to_string();
    assert!(
        last.contains("Permintaan penghapusan data diterima") && last.contains("Admin kami"),
        "{last}"
    );

    let list = api.get("/api/erasure-requests", "t-admin").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let items = list.json["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "asking twice is one request: {}", list.text);
    assert_eq!(items[0]["name"], NAME);
    assert_eq!(items[0]["state"], "menunggu");
    assert!(items[0]["id"].is_string() && items[0]["requested_at"].is_string());
    assert!(!list.text.contains(PHONE));
    let id = citizen_id_of(&list.json);
    let (status, found) = lookup(&api, PHONE).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["id"], id.as_str());

    assert_eq!(erase(&api, &id).await.status, StatusCode::OK);
    let list = api.get("/api/erasure-requests", "t-admin").await;
    let items = list.json["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{}", list.text);
    assert_eq!(items[0]["state"], "selesai");
    assert!(items[0]["name"].is_null(), "{}", list.text);

    let rows = whole_store(&api).await;
    let mut needles: Vec<&str> = FORMS.to_vec();
    needles.push(NAME);
    let left = mentions(&rows, &needles);
    assert!(left.is_empty(), "still stored: {left:#?}");
}

#[tokio::test]
async fn work_queued_before_the_erasure_is_dropped_and_nothing_more_is_sent() {
    let api = Api::sqlite().await;
    say(&api, "wamid.late.0", "halo").await;
    let (_, found) = lookup(&api, PHONE).await;
    let id = found["id"].as_str().expect("id").to_string();
    let sent_before = api.app.outbox_for(PHONE).await.len();
    let erased_before = chrono::Utc::now().timestamp() - 5;
    assert_eq!(erase(&api, &id).await.status, StatusCode::OK);

    // SQS would still hold a message written before the erasure, and Meta still sends the
    // statuses of what the bot had sent: both are dropped unseen.
    let queued = webhook_body(json!({
        "contacts": [{ "profile": { "name": NAME }, "wa_id": PHONE }],
        "messages": [{ "from": PHONE, "id": "wamid.late.1", "timestamp": erased_before.to_string(),
                       "type": "text", "text": { "body": "status aduan saya" } }]
    }));
    let status = webhook_body(json!({
        "statuses": [{ "id": "wamid.late.out", "status": "read", "timestamp": now_secs(),
                       "recipient_id": PHONE }]
    }));
    for body in [&queued, &status] {
        assert_eq!(api.app.post_signed(body).await, StatusCode::OK);
    }
    api.app.drain().await;
    assert_eq!(
        api.app.outbox_for(PHONE).await.len(),
        sent_before,
        "nothing sent"
    );
    assert!(api
        .stores
        .statuses
        .statuses_of("wamid.late.out")
        .await
        .expect("statuses")
        .is_empty());
    assert!(api
        .stores
        .citizens
        .get_citizen(PHONE)
        .await
        .expect("profile")
        .is_none());
    // Not even the raw log keeps them.
    let rows = whole_store(&api).await;
    let left = mentions(&rows, &[PHONE, NAME]);
    assert!(left.is_empty(), "{left:#?}");

    // The sender refuses the number outright while the tombstone stands.
    let outcome = api
        .app
        .api_sender_counting(api.stores.stats.clone())
        .send(
            PHONE,
            prolink_app::sender::Window::Open,
            prolink_app::ports::OutboundMessage {
                outbox_id: "manual.after.erasure".into(),
                body: json!({"messaging_product": "whatsapp", "to": PHONE, "type": "text",
                             "text": {"body": "halo"}}),
            },
            None,
        )
        .await
        .expect("send");
    assert!(
        matches!(
            outcome,
            prolink_app::sender::SendOutcome::Undeliverable { .. }
        ),
        "{outcome:?}"
    );

    // A message written after the erasure is a citizen who came back: answered anew.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    say(&api, "wamid.late.2", "halo").await;
    assert!(api.app.outbox_for(PHONE).await.len() > sent_before);
}
