//! Who may call what: the route table walked for every role, an OPD user kept to their own
//! OPD by every route, masking per role, and the audit trail of a read.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use prolink_app::api::routes;
use prolink_app::ports::Role;
use prolink_domain::complaint::{Privacy, Status};

use super::harness::{token_of, Api, Seed, CATEGORY_B, OPD_A, OPD_B};

const OWN: &str = "PS-AA0001";
const OWN_2: &str = "PS-AA0002";
const OTHER: &str = "PS-BB0001";

async fn seeded(api: Api) -> Api {
    api.complaint(Seed::new(OWN)).await;
    api.complaint(Seed {
        status: Status::Diterima,
        citizen: "6281255500032",
        ..Seed::new(OWN_2)
    })
    .await;
    api.complaint(Seed {
        opd: OPD_B,
        category: CATEGORY_B,
        citizen: "6281255500033",
        ..Seed::new(OTHER)
    })
    .await;
    api.raise_alert("alert-a", Some(OPD_A)).await;
    api.raise_alert("alert-b", Some(OPD_B)).await;
    api.post(
        "/api/users",
        "t-admin",
        json!({"username": "eko", "role": "viewer", "password": "rahasia-sekali"}),
    )
    .await;
    api
}

/// A concrete path and a plausible body for a route of the table.
fn request_for(method: &Method, path: &str, role: Role) -> (String, Option<Value>) {
    let concrete = path
        .replace("{ticket}", OWN)
        .replace("{id}", "alert-a")
        .replace("{username}", "eko")
        .replace("{kind}", "faq")
        .replace("{number}", "1");
    let body = match (method.as_str(), path) {
        ("POST", p) if p.ends_with("/transitions") => Some(json!({"to": "diproses"})),
        ("POST", p) if p.ends_with("/notes") => Some(json!({"internal_note": "Dicek."})),
        ("POST", p) if p.ends_with("/reassign") => Some(json!({"category_id": "banjir-drainase"})),
        ("POST", p) if p.ends_with("/merge") => Some(json!({"into": OWN_2})),
        ("POST", "/api/users") => Some(json!({
            "username": format!("baru-{}", role.as_str()),
            "role": "viewer",
            "password": "rahasia-sekali"
        })),
        ("PATCH", _) => Some(json!({"disabled": false})),
        ("PUT", _) => Some(json!({"contacts": {}, "version": 0})),
        _ => None,
    };
    (concrete, body)
}

async fn every_route_admits_exactly_its_roles_and_nobody_unauthenticated(api: Api) {
    let api = seeded(api).await;
    for def in routes() {
        for role in Role::ALL {
            let (path, body) = request_for(&def.method, def.path, role);
            let body = body.map(|b| b.to_string());
            let reply = api
                .call(
                    def.method.clone(),
                    &path,
                    Some(token_of(role)),
                    body.as_deref(),
                )
                .await;
            let label = format!("{} {} as {}", def.method, def.path, role.as_str());
            assert!(
                reply.status.as_u16() < 500,
                "{label}: {} {}",
                reply.status,
                reply.text
            );
            if def.roles.contains(&role) {
                assert!(
                    reply.status != StatusCode::FORBIDDEN
                        && reply.status != StatusCode::UNAUTHORIZED,
                    "{label} must be admitted: {} {}",
                    reply.status,
                    reply.text
                );
            } else {
                assert_eq!(
                    reply.status,
                    StatusCode::FORBIDDEN,
                    "{label}: {}",
                    reply.text
                );
                assert_eq!(reply.json["code"], "forbidden", "{label}");
            }
        }
        let (path, body) = request_for(&def.method, def.path, Role::Admin);
        let body = body.map(|b| b.to_string());
        for token in [None, Some("not-a-token")] {
            let reply = api
                .call(def.method.clone(), &path, token, body.as_deref())
                .await;
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{} {}",
                def.method,
                def.path
            );
            assert_eq!(reply.json["code"], "unauthenticated");
            assert!(reply.json["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()));
        }
    }
}

async fn me_names_the_caller(api: Api) {
    let api = seeded(api).await;
    let reply = api.get("/api/me", "t-opd").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json,
        json!({"username": "budi", "role": "opd", "opd_id": OPD_A})
    );
}

async fn an_opd_user_never_learns_of_another_opds_complaint(api: Api) {
    let api = seeded(api).await;
    let missing = "PS-ZZ9999";
    for ticket in [OTHER, missing] {
        let detail = api.get(&format!("/api/complaints/{ticket}"), "t-opd").await;
        assert_eq!(detail.status, StatusCode::NOT_FOUND, "{ticket}");
        assert_eq!(detail.json["code"], "not_found");
        for (path, body) in [
            ("transitions", json!({"to": "diproses", "public_note": "x"})),
            ("notes", json!({"internal_note": "x"})),
        ] {
            let reply = api
                .post(&format!("/api/complaints/{ticket}/{path}"), "t-opd", body)
                .await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path} {ticket}");
        }
        // Diskominfo's routes answer an OPD user alike whether the ticket exists or not.
        for (path, body) in [
            ("reassign", json!({"opd_id": OPD_A})),
            ("merge", json!({"into": OWN})),
        ] {
            let reply = api
                .post(&format!("/api/complaints/{ticket}/{path}"), "t-opd", body)
                .await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path} {ticket}");
        }
    }
    let by_opd = api
        .get(&format!("/api/complaints?opd={OPD_B}"), "t-opd")
        .await;
    assert_eq!(by_opd.json["items"], json!([]));
    let by_ticket = api
        .get(
            &format!("/api/complaints?q={}", OTHER.to_lowercase()),
            "t-opd",
        )
        .await;
    assert_eq!(by_ticket.json["items"], json!([]));
    let own = api.get("/api/complaints", "t-opd").await;
    let tickets: Vec<&str> = own.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["ticket"].as_str())
        .collect();
    assert_eq!(tickets.len(), 2);
    assert!(!tickets.contains(&OTHER));
    let csv = api.get("/api/complaints.csv", "t-opd").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.text.contains(OWN) && !csv.text.contains(OTHER));
    // The operator sees both, by ticket too.
    let operator = api
        .get(&format!("/api/complaints?q={OTHER}"), "t-operator")
        .await;
    assert_eq!(operator.json["items"][0]["ticket"], OTHER);

    let alerts = api.get("/api/alerts", "t-opd").await;
    let ids: Vec<&str> = alerts.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert_eq!(ids, ["alert-a"]);
    let foreign = api
        .post("/api/alerts/alert-b/resolve", "t-opd", json!({}))
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let own_alert = api
        .post("/api/alerts/alert-a/resolve", "t-opd", json!({}))
        .await;
    assert_eq!(own_alert.status, StatusCode::OK);
    assert_eq!(own_alert.json["state"], "resolved");
    assert_eq!(own_alert.json["resolved_by"], "budi");
}

async fn reporters_are_masked_for_the_opd_and_hidden_when_anonymous(api: Api) {
    let api = seeded(api).await;
    api.complaint(Seed {
        privacy: Privacy::Anonim,
        citizen: "6281255500039",
        ..Seed::new("PS-AA0003")
    })
    .await;
    let opd = api.get(&format!("/api/complaints/{OWN}"), "t-opd").await;
    assert_eq!(opd.status, StatusCode::OK, "{}", opd.text);
    assert_eq!(opd.json["reporter"]["phone"], "6281******031");
    assert_eq!(opd.json["reporter"]["name"], "Sari Wulandari");
    assert!(
        !opd.text.contains("6281255500031"),
        "full number leaked: {}",
        opd.text
    );
    let anonymous = api.get("/api/complaints/PS-AA0003", "t-opd").await;
    assert_eq!(
        anonymous.json["reporter"],
        json!({"name": null, "phone": null})
    );
    assert!(!anonymous.text.contains("Sari") && !anonymous.text.contains("550003"));
    let operator = api.get("/api/complaints/PS-AA0003", "t-operator").await;
    assert_eq!(operator.json["reporter"]["phone"], "6281255500039");
    assert_eq!(operator.json["reporter"]["name"], "Sari Wulandari");
}

async fn a_detail_read_is_in_the_audit_trail(api: Api) {
    let api = seeded(api).await;
    let before = chrono::Utc::now().timestamp_millis();
    let reply = api
        .get(&format!("/api/complaints/{OWN}"), "t-operator")
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["ticket"], OWN);
    assert_eq!(reply.json["version"], 1);
    assert!(reply.json["timeline"]
        .as_array()
        .is_some_and(|t| t.len() == 2));
    assert_eq!(
        reply.json["allowed_transitions"],
        json!([
            "diproses",
            "perlu_dilengkapi",
            "bukan_wewenang",
            "diverifikasi"
        ])
    );
    let records = api.audit().await;
    let read = records
        .iter()
        .find(|r| r.action == "complaint.read")
        .expect("the read is recorded");
    assert_eq!(read.actor, "ani");
    assert_eq!(read.role, "operator");
    assert_eq!(read.subject.as_deref(), Some(OWN));
    assert_eq!(read.ip.as_deref(), Some("203.0.113.7"));
    let (ms, uuid) = read.id.split_once('-').expect("ms-uuid");
    assert_eq!(ms.len(), 13);
    assert!(ms.parse::<i64>().expect("ms") >= before);
    assert_eq!(uuid.len(), 36);
    assert_eq!(read.expires_at_ms - read.at_ms, 730 * 86_400_000);
    let trail = api
        .get(&format!("/api/audit?subject={OWN}"), "t-admin")
        .await;
    assert_eq!(trail.status, StatusCode::OK);
    assert_eq!(trail.json["items"][0]["action"], "complaint.read");
    assert_eq!(trail.json["items"][0]["actor"], "ani");
}

on_both_stores!(
    every_route_admits_exactly_its_roles_and_nobody_unauthenticated,
    me_names_the_caller,
    an_opd_user_never_learns_of_another_opds_complaint,
    reporters_are_masked_for_the_opd_and_hidden_when_anonymous,
    a_detail_read_is_in_the_audit_trail,
);
