//! Broadcasts through the operator API on both stores: drafts are validated against the
//! template catalog and the content's topics, only admins send urgent ones, the audience is
//! counted from the opted-in citizens, and the state machine refuses wrong moves with 409.

use serde_json::{json, Value};

use prolink_app::ports::{CitizenProfile, Role};

use super::harness::{token_of, Api};

async fn citizen(api: &Api, key: &str, opted_in: bool, topics: &[&str]) {
    api.stores
        .citizens_store()
        .put_citizen(&CitizenProfile {
            key: key.into(),
            wa_id: Some(key.into()),
            broadcast_opt_in: opted_in,
            topics: topics.iter().map(|t| t.to_string()).collect(),
            ..CitizenProfile::default()
        })
        .await
        .expect("citizen stored");
}

fn draft(topics: Value) -> Value {
    json!({
        "name": "Imunisasi Desember",
        "template": {
            "name": "siaran_kesehatan",
            "language": "id",
            "parameters": ["Imunisasi Campak", "Bawa anak ke posyandu terdekat.", "Dinkes (0335) 421228"]
        },
        "audience": topics,
        "send_at": null,
        "urgent": false
    })
}

async fn lifecycle(api: Api) {
    citizen(&api, "6281100000001", true, &["kesehatan"]).await;
    citizen(&api, "6281100000002", true, &["kecamatan:kademangan"]).await;
    citizen(&api, "6281100000003", false, &[]).await;
    let admin = token_of(Role::Admin);
    let operator = token_of(Role::Operator);

    let size = api
        .post(
            "/api/broadcasts/audience",
            operator,
            json!({"audience": {"topics": ["kesehatan", "kecamatan:kademangan"]}}),
        )
        .await;
    assert_eq!(size.status, 200, "{}", size.text);
    assert_eq!(size.json["audience_size"], 2);
    let everyone = api
        .post(
            "/api/broadcasts/audience",
            operator,
            json!({"audience": {"all": true}}),
        )
        .await;
    assert_eq!(
        everyone.json["audience_size"], 2,
        "the opted-out citizen is not counted"
    );

    let created = api
        .post(
            "/api/broadcasts",
            operator,
            draft(json!({"topics": ["kesehatan"]})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json["state"], "draft");
    assert_eq!(created.json["audience_size"], 1);
    let id = created.json["id"].as_str().expect("id").to_string();

    let mut urgent = draft(json!({"all": true}));
    urgent["urgent"] = json!(true);
    let refused = api.post("/api/broadcasts", operator, urgent.clone()).await;
    assert_eq!(refused.status, 403, "urgent is admin only");
    let allowed = api.post("/api/broadcasts", admin, urgent).await;
    assert_eq!(allowed.status, 201, "{}", allowed.text);

    let mut unknown = draft(json!({"all": true}));
    unknown["template"]["name"] = json!("aduan_status");
    let reply = api.post("/api/broadcasts", operator, unknown).await;
    assert_eq!(reply.status, 422);
    assert!(
        reply.json["fields"]["template.name"].is_string(),
        "{}",
        reply.text
    );

    let mut short = draft(json!({"all": true}));
    short["template"]["parameters"] = json!(["hanya satu"]);
    let reply = api.post("/api/broadcasts", operator, short).await;
    assert_eq!(reply.status, 422);
    assert!(
        reply.json["fields"]["template.parameters"].is_string(),
        "{}",
        reply.text
    );

    let reply = api
        .post(
            "/api/broadcasts",
            operator,
            draft(json!({"topics": ["tidak-ada"]})),
        )
        .await;
    assert_eq!(reply.status, 422);
    assert!(
        reply.json["fields"]["audience.topics"].is_string(),
        "{}",
        reply.text
    );
    let reply = api
        .post(
            "/api/broadcasts",
            operator,
            draft(json!({"all": true, "topics": ["kesehatan"]})),
        )
        .await;
    assert_eq!(reply.status, 422, "{}", reply.text);
    let mut bad_time = draft(json!({"all": true}));
    bad_time["send_at"] = json!("besok pagi");
    let reply = api.post("/api/broadcasts", operator, bad_time).await;
    assert_eq!(reply.status, 422);
    assert!(reply.json["fields"]["send_at"].is_string());

    let list = api.get("/api/broadcasts?limit=1", operator).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.json["items"].as_array().map(Vec::len), Some(1));
    let next = list.json["next_cursor"].as_str().expect("a second page");
    let rest = api
        .get(&format!("/api/broadcasts?limit=10&cursor={next}"), operator)
        .await;
    assert_eq!(rest.json["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(rest.json["next_cursor"], Value::Null);

    let one = api.get(&format!("/api/broadcasts/{id}"), operator).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.json["state"], "draft");
    assert_eq!(one.json["stats"]["sent"], 0);
    assert_eq!(one.json["progress"]["processed"], 0);
    assert_eq!(
        api.get("/api/broadcasts/bc-20260101-000000000000", operator)
            .await
            .status,
        404
    );
    assert_eq!(api.get("/api/broadcasts/x", operator).await.status, 404);
    assert_eq!(
        api.get("/api/broadcasts", token_of(Role::Opd)).await.status,
        403
    );
    assert_eq!(
        api.get("/api/broadcasts", token_of(Role::Viewer))
            .await
            .status,
        403
    );

    let scheduled = api
        .post(
            &format!("/api/broadcasts/{id}/schedule"),
            operator,
            json!({}),
        )
        .await;
    assert_eq!(scheduled.status, 200, "{}", scheduled.text);
    assert_eq!(scheduled.json["state"], "scheduled");
    let again = api
        .post(
            &format!("/api/broadcasts/{id}/schedule"),
            operator,
            json!({}),
        )
        .await;
    assert_eq!(again.status, 409);
    assert!(again.json["message"]
        .as_str()
        .unwrap_or("")
        .contains("draf"));
    let cancelled = api
        .post(&format!("/api/broadcasts/{id}/cancel"), operator, json!({}))
        .await;
    assert_eq!(cancelled.status, 200);
    assert_eq!(cancelled.json["state"], "cancelled");
    let again = api
        .post(&format!("/api/broadcasts/{id}/cancel"), operator, json!({}))
        .await;
    assert_eq!(again.status, 409);

    let actions: Vec<String> = api.audit().await.into_iter().map(|a| a.action).collect();
    for action in ["broadcast.create", "broadcast.schedule", "broadcast.cancel"] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} audited: {actions:?}"
        );
    }
}

/// Stores Meta's report of a template as the status webhook (or the Graph sync) does.
async fn report_template(api: &Api, name: &str, status: &str) {
    prolink_app::broadcast::merge_setting(
        api.stores.settings.as_ref(),
        prolink_app::broadcast::TEMPLATE_STATUS_KEY,
        1,
        |map| {
            map.insert(
                name.to_string(),
                json!({"status": status, "language": "id", "reason": "uji"}),
            );
        },
    )
    .await
    .expect("template status stored");
}

/// The template list carries Meta's statuses (the page offers only approved ones), a
/// template Meta paused cannot start a broadcast, and a stopped broadcast goes on only when
/// an admin resumes it after the template is approved again.
async fn templates_and_resume(api: Api) {
    citizen(&api, "6281100000011", true, &["kesehatan"]).await;
    let admin = token_of(Role::Admin);
    let operator = token_of(Role::Operator);

    let list = api.get("/api/broadcasts/templates", operator).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let items = list.json["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), prolink_app::broadcast::catalog().len());
    assert!(items
        .iter()
        .all(|t| t["status"] == "APPROVED" && t["usable"] == true));
    assert_eq!(list.json["synced_at"], Value::Null, "never read from Meta");
    let health = items
        .iter()
        .find(|t| t["name"] == "siaran_kesehatan")
        .expect("the health template is listed");
    assert!(health["body"].as_str().unwrap_or("").contains("{{1}}"));
    assert_eq!(health["body_params"], 3);
    assert_eq!(health["category"], "MARKETING");
    assert_eq!(
        api.get("/api/broadcasts/templates", token_of(Role::Opd))
            .await
            .status,
        403
    );

    let created = api
        .post(
            "/api/broadcasts",
            operator,
            draft(json!({"topics": ["kesehatan"]})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json["id"].as_str().expect("id").to_string();
    let scheduled = api
        .post(
            &format!("/api/broadcasts/{id}/schedule"),
            operator,
            json!({}),
        )
        .await;
    assert_eq!(scheduled.status, 200, "{}", scheduled.text);
    let resume = format!("/api/broadcasts/{id}/resume");
    let not_stopped = api.post(&resume, admin, json!({})).await;
    assert_eq!(not_stopped.status, 409, "{}", not_stopped.text);

    report_template(&api, "siaran_kesehatan", "PAUSED").await;
    let list = api.get("/api/broadcasts/templates", operator).await;
    let health = list.json["items"]
        .as_array()
        .and_then(|items| items.iter().find(|t| t["name"] == "siaran_kesehatan"))
        .cloned()
        .expect("listed");
    assert_eq!(health["status"], "PAUSED");
    assert_eq!(health["usable"], false);
    let refused = api
        .post(
            "/api/broadcasts",
            operator,
            draft(json!({"topics": ["kesehatan"]})),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(refused.json["fields"]["template.name"]
        .as_str()
        .unwrap_or("")
        .contains("PAUSED"));

    // The sender stops it (as it does on 132015 or a paused status).
    let mut record = api
        .stores
        .broadcasts
        .get_broadcast(&id)
        .await
        .expect("read")
        .expect("stored");
    record.state = prolink_app::ports::BroadcastState::Stopped;
    record.next_run_ms = None;
    record.finished_ms = Some(2);
    record.stop_reason = Some("Template siaran_kesehatan berstatus PAUSED di Meta.".into());
    api.stores
        .broadcasts
        .put_broadcast(&record)
        .await
        .expect("stopped");

    assert_eq!(api.post(&resume, operator, json!({})).await.status, 403);
    let still_paused = api.post(&resume, admin, json!({})).await;
    assert_eq!(still_paused.status, 409, "{}", still_paused.text);
    assert!(still_paused.json["message"]
        .as_str()
        .unwrap_or("")
        .contains("PAUSED"));

    report_template(&api, "siaran_kesehatan", "APPROVED").await;
    let resumed = api.post(&resume, admin, json!({})).await;
    assert_eq!(resumed.status, 200, "{}", resumed.text);
    assert_eq!(resumed.json["state"], "scheduled");
    assert_eq!(resumed.json["stop_reason"], Value::Null);
    let stored = api
        .stores
        .broadcasts
        .get_broadcast(&id)
        .await
        .expect("read")
        .expect("stored");
    assert!(stored.next_run_ms.is_some(), "due again for the sender");
    assert!(api
        .audit()
        .await
        .iter()
        .any(|a| a.action == "broadcast.resume"));
}

on_both_stores!(lifecycle, templates_and_resume);
