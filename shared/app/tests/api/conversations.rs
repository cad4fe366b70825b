//! Conversations and human handoff through the API: a citizen types OPERATOR through the
//! real webhook and dialog worker, an operator reads, answers, claims and hands back.

use axum::http::StatusCode;
use serde_json::{json, Value};

use prolink_app::ports::{ConversationLog, OperatorSignals};
use prolink_app::scheduler::SchedulerSettings;
use prolink_domain::dialog::texts::HANDED_BACK;

use super::harness::Api;
use crate::app::text_payload;

const PHONE: &str = "6281255500099";

async fn say(api: &Api, wamid: &str, text: &str) {
    let body = text_payload(PHONE, "Sari", wamid, text);
    assert_eq!(api.app.post_signed(&body).await, StatusCode::OK);
    api.app.drain().await;
}

/// The citizen in handoff; returns the conversation as the operator lists it.
async fn in_handoff(api: &Api) -> Value {
    say(api, "wamid.conv.1", "halo").await;
    say(api, "wamid.conv.2", "OPERATOR").await;
    let list = api.get("/api/conversations", "t-operator").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let items = list.json["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{}", list.text);
    items[0].clone()
}

fn texts_to_citizen(outbox: &[Value]) -> Vec<String> {
    outbox.iter().map(Value::to_string).collect()
}

#[tokio::test]
async fn a_handoff_is_listed_read_answered_claimed_and_handed_back() {
    let api = Api::sqlite().await;
    let conversation = in_handoff(&api).await;
    let id = conversation["id"].as_str().expect("id").to_string();
    assert!(!id.contains(PHONE) && !id.contains("55500099"), "{id}");
    assert_eq!(conversation["name"], "Sari");
    assert_eq!(conversation["phone"], PHONE);
    assert_eq!(conversation["state"], "handoff");
    assert_eq!(conversation["window_open"], true);
    assert!(conversation["waiting_since"].is_string());
    assert!(conversation["waiting_minutes"].is_i64());

    // The log: both citizen messages and the bot's answers, newest first.
    let path = format!("/api/conversations/{id}/messages");
    let log = api.get(&path, "t-operator").await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text);
    let items = log.json["items"].as_array().cloned().unwrap_or_default();
    let inbound: Vec<&Value> = items
        .iter()
        .filter(|m| m["direction"] == "inbound")
        .collect();
    assert_eq!(inbound.len(), 2, "{}", log.text);
    assert_eq!(inbound[0]["text"], "OPERATOR");
    assert_eq!(inbound[1]["text"], "halo");
    assert!(items
        .iter()
        .any(|m| m["direction"] == "outbound" && m["delivery"] == "sent" && m["actor"].is_null()));
    assert!(api
        .audit()
        .await
        .iter()
        .any(|r| r.action == "conversation.read" && r.subject.as_deref() == Some(id.as_str())));

    // Reply inside the window: reaches the simulator, logged with the operator.
    let reply = api
        .post(
            &format!("/api/conversations/{id}/reply"),
            "t-operator",
            json!({"text": "Selamat siang Bu Sari, saya Ani dari Diskominfo."}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["message"]["actor"], "ani");
    assert_eq!(reply.json["conversation"]["waiting_since"], Value::Null);
    let outbox = texts_to_citizen(&api.app.outbox_for(PHONE).await);
    assert!(outbox
        .iter()
        .any(|m| m.contains("saya Ani dari Diskominfo")));
    let log = api.get(&path, "t-operator").await;
    let newest = &log.json["items"][0];
    assert_eq!(newest["actor"], "ani", "{}", log.text);
    assert_eq!(newest["direction"], "outbound");
    assert_eq!(
        newest["text"],
        "Selamat siang Bu Sari, saya Ani dari Diskominfo."
    );

    // The bot stays quiet during the handoff.
    let before = api.app.outbox_for(PHONE).await.len();
    say(&api, "wamid.conv.3", "terima kasih, saya tunggu").await;
    assert_eq!(api.app.outbox_for(PHONE).await.len(), before);

    let claim = api
        .post(
            &format!("/api/conversations/{id}/claim"),
            "t-operator",
            json!({}),
        )
        .await;
    assert_eq!(claim.status, StatusCode::OK, "{}", claim.text);
    assert_eq!(claim.json["claimed_by"], "ani");

    let back = api
        .post(
            &format!("/api/conversations/{id}/hand-back"),
            "t-admin",
            json!({}),
        )
        .await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text);
    assert_eq!(back.json["state"], "bot");
    assert_eq!(back.json["claimed_by"], Value::Null);
    let outbox = texts_to_citizen(&api.app.outbox_for(PHONE).await);
    let notice = serde_json::to_string(HANDED_BACK).expect("json");
    assert!(
        outbox.iter().any(|m| m.contains(notice.trim_matches('"'))),
        "hand-back notice: {outbox:?}"
    );
    let again = api
        .post(
            &format!("/api/conversations/{id}/hand-back"),
            "t-admin",
            json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // Back with the bot: the next message is answered.
    let before = api.app.outbox_for(PHONE).await.len();
    say(&api, "wamid.conv.4", "MENU").await;
    assert!(api.app.outbox_for(PHONE).await.len() > before);
    let handoffs = api
        .get("/api/conversations?state=handoff", "t-operator")
        .await;
    assert_eq!(handoffs.json["items"], json!([]));
    let recent = api
        .get("/api/conversations?state=recent", "t-operator")
        .await;
    assert_eq!(recent.json["items"][0]["id"], id.as_str());

    let actions: Vec<String> = api.audit().await.into_iter().map(|r| r.action).collect();
    for action in [
        "conversation.reply",
        "conversation.claim",
        "conversation.hand_back",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
}

#[tokio::test]
async fn outside_the_window_only_the_template_goes() {
    let api = Api::sqlite().await;
    let conversation = in_handoff(&api).await;
    let id = conversation["id"].as_str().expect("id").to_string();
    // The citizen's last message is two days old.
    let store = &api.app.app.store;
    let mut summary = store
        .conversation_by_id(&id)
        .await
        .expect("read")
        .expect("conversation");
    let two_days_ago = chrono::Utc::now().timestamp_millis() - 2 * 86_400_000;
    summary.last_inbound_ms = Some(two_days_ago);
    store.put_conversation(&summary).await.expect("put");

    let path = format!("/api/conversations/{id}/reply");
    let refused = api
        .post(&path, "t-operator", json!({"text": "Halo Bu"}))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert_eq!(refused.json["code"], "outside_window");

    let bad = api
        .post(
            &path,
            "t-operator",
            json!({"template": {"name": "aduan_status", "language": "id", "parameters": ["x"]}}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);

    let sent = api
        .post(
            &path,
            "t-operator",
            json!({"template": {"name": "petugas_menjawab", "language": "id",
                   "parameters": ["KTP-el dapat diambil hari Senin\ndi kantor Dispendukcapil."]}}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    assert_eq!(sent.json["message"]["kind"], "template");
    let outbox = api.app.outbox_for(PHONE).await;
    let last = outbox.last().expect("a message");
    assert_eq!(last["type"], "template");
    assert_eq!(last["template"]["name"], "petugas_menjawab");
    assert_eq!(
        last["template"]["components"][0]["parameters"][0]["text"],
        "KTP-el dapat diambil hari Senin di kantor Dispendukcapil."
    );
}

#[tokio::test]
async fn roles_opd_reads_masked_viewer_nothing() {
    let api = Api::sqlite().await;
    let conversation = in_handoff(&api).await;
    let id = conversation["id"].as_str().expect("id").to_string();
    let list = api.get("/api/conversations", "t-opd").await;
    assert_eq!(list.status, StatusCode::OK);
    let phone = list.json["items"][0]["phone"].as_str().expect("phone");
    assert_ne!(phone, PHONE);
    assert!(phone.contains('*') && !phone.contains("55500"), "{phone}");
    let log = api
        .get(&format!("/api/conversations/{id}/messages"), "t-opd")
        .await;
    assert_eq!(log.status, StatusCode::OK);
    for path in ["reply", "claim", "hand-back"] {
        let refused = api
            .post(
                &format!("/api/conversations/{id}/{path}"),
                "t-opd",
                json!({"text": "x"}),
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        api.get("/api/conversations", "t-viewer").await.status,
        StatusCode::FORBIDDEN
    );
    // Unknown and malformed ids, bad filters.
    for path in [
        "/api/conversations/c00000000000000000000000000000000/messages".to_string(),
        format!("/api/conversations/{PHONE}/messages"),
    ] {
        assert_eq!(
            api.get(&path, "t-operator").await.status,
            StatusCode::NOT_FOUND
        );
    }
    let bad = api.get("/api/conversations?state=all", "t-operator").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = api.get("/api/conversations?cursor=zzz", "t-operator").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
}

#[tokio::test]
async fn a_handoff_without_an_operator_reply_raises_one_alert() {
    let api = Api::sqlite().await;
    let conversation = in_handoff(&api).await;
    let id = conversation["id"].as_str().expect("id").to_string();
    let waits = |alerts: &[prolink_app::ports::OperatorAlert]| {
        alerts
            .iter()
            .filter(|a| a.kind == "handoff" && a.id.starts_with("handoff_wait."))
            .count()
    };
    let mut scheduler = api
        .app
        .scheduler(Default::default(), SchedulerSettings::default());
    scheduler.handoffs = Some(api.app.handoff_watcher(3_600_000));
    scheduler.tick().await.expect("tick");
    let store = &api.app.app.store;
    assert_eq!(waits(&store.recent_alerts(50).await.expect("alerts")), 0);

    scheduler.handoffs = Some(api.app.handoff_watcher(1));
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let report = scheduler.tick().await.expect("tick");
    assert_eq!(report.handoffs.alerts, 1, "{report:?}");
    scheduler.tick().await.expect("tick");
    assert_eq!(waits(&store.recent_alerts(50).await.expect("alerts")), 1);

    // Answered: nothing more to alert.
    let reply = api
        .post(
            &format!("/api/conversations/{id}/reply"),
            "t-operator",
            json!({"text": "Baik Bu, kami bantu."}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let report = scheduler.tick().await.expect("tick");
    assert_eq!(report.handoffs.alerts, 0);
    assert_eq!(waits(&store.recent_alerts(50).await.expect("alerts")), 1);
}
