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

on_both_stores!(lifecycle);
