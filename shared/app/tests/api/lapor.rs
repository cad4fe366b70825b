//! The SP4N-LAPOR! routes: the form in LAPOR's order, who may see and act, forwarding once,
//! pasting the tracking id back (validated, audited, on the timeline), the verification clock
//! and the CSV/JSON export in the form's order. On both stores.

use axum::http::StatusCode;
use serde_json::{json, Value};

use prolink_app::ports::LaporTaskState;

use super::harness::{Api, Seed};

const TICKET: &str = "PS-7K3A01";
const TICKET_2: &str = "PS-7K3A02";
const ORDER: [&str; 10] = [
    "klasifikasi",
    "judul",
    "isi",
    "tanggal_kejadian",
    "lokasi",
    "instansi_tujuan",
    "kategori",
    "lampiran",
    "anonim",
    "rahasia",
];

fn path(ticket: &str) -> String {
    format!("/api/complaints/{ticket}/lapor")
}

async fn the_form_comes_in_lapors_order_to_those_who_may_see_it(api: Api) {
    api.complaint(Seed::new(TICKET)).await;
    let reply = api.get(&path(TICKET), "t-operator").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let keys: Vec<&str> = reply.json["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["key"].as_str().expect("key"))
        .collect();
    assert_eq!(keys, ORDER);
    assert_eq!(reply.json["fields"][0]["value"], "Pengaduan");
    assert_eq!(reply.json["task"], Value::Null);
    assert_eq!(reply.json["tracking_id"], Value::Null);
    assert_eq!(reply.json["can_forward"], true);
    assert_eq!(reply.json["category_forwards"], true);
    assert_eq!(reply.json["automatic"], false);
    let isi = reply.json["fields"][2]["value"].as_str().expect("isi");
    assert!(isi.contains(TICKET), "{isi}");

    // The OPD of the complaint sees it (without the action); another OPD does not; a viewer
    // is refused.
    let own = api.get(&path(TICKET), "t-opd").await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.json["can_forward"], false);
    assert_eq!(
        api.get(&path(TICKET), "t-opd-b").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.get(&path(TICKET), "t-viewer").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api.get(&path("PS-NOPE"), "t-operator").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn forwarding_makes_one_task_and_the_pasted_id_is_checked_and_kept(api: Api) {
    api.complaint(Seed::new(TICKET)).await;
    let forwarded = api.post(&path(TICKET), "t-operator", json!({})).await;
    assert_eq!(forwarded.status, StatusCode::OK, "{}", forwarded.text);
    assert_eq!(forwarded.json["task"]["state"], "pending");
    assert_eq!(forwarded.json["task"]["requested_by"], "ani");
    assert_eq!(forwarded.json["can_forward"], false, "queued already");
    let again = api.post(&path(TICKET), "t-admin", json!({})).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json["task"]["requested_by"], "ani", "the same task");
    assert_eq!(
        api.post(&path(TICKET), "t-opd", json!({})).await.status,
        StatusCode::FORBIDDEN
    );

    let id_path = format!("{}/tracking-id", path(TICKET));
    for bad in ["abc", "1234", "12345678901234", ""] {
        let reply = api
            .post(&id_path, "t-operator", json!({ "lapor_id": bad }))
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        assert!(
            reply.json["fields"]["lapor_id"].is_string(),
            "{}",
            reply.text
        );
    }
    let set = api
        .post(&id_path, "t-operator", json!({ "lapor_id": " #7654321 " }))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.json["tracking_id"], "7654321");
    assert_eq!(set.json["task"]["state"], "linked");
    assert_eq!(set.json["can_forward"], false);
    assert_eq!(set.json["verification"]["working_days"], 3);
    assert_eq!(set.json["verification"]["state"], "menunggu");
    assert!(
        set.json["verification"]["due_date"].as_str().expect("date")
            > set.json["verification"]["from_date"]
                .as_str()
                .expect("date")
    );
    // Repeating it changes nothing; another id is refused.
    let repeat = api
        .post(&id_path, "t-operator", json!({ "lapor_id": "7654321" }))
        .await;
    assert_eq!(repeat.status, StatusCode::OK);
    let other = api
        .post(&id_path, "t-operator", json!({ "lapor_id": "1111111" }))
        .await;
    assert_eq!(other.status, StatusCode::CONFLICT, "{}", other.text);

    let complaint = api.stored(TICKET).await;
    assert_eq!(
        prolink_domain::lapor::tracking_id(&complaint),
        Some("7654321")
    );
    assert_eq!(
        complaint
            .events
            .iter()
            .filter(|e| e
                .id
                .starts_with(prolink_domain::lapor::TRACKING_EVENT_PREFIX))
            .count(),
        1
    );
    let task = api
        .stores
        .lapor
        .get_lapor_task(TICKET)
        .await
        .expect("task")
        .expect("stored");
    assert_eq!(task.state, LaporTaskState::Linked);
    let audit = api.audit().await;
    for action in ["complaint.lapor.forward", "complaint.lapor.tracking_id"] {
        assert!(
            audit.iter().any(|a| a.action == action && a.actor == "ani"),
            "{action} audited"
        );
    }
    assert!(audit
        .iter()
        .any(|a| a.action == "complaint.lapor.tracking_id"
            && a.detail.as_deref() == Some("#7654321")));
}

async fn the_export_keeps_the_form_order(api: Api) {
    api.complaints(&[Seed::new(TICKET), Seed::new(TICKET_2)])
        .await;
    let csv = api
        .get(
            &format!(
                "/api/lapor/export?tickets={TICKET},{}",
                TICKET_2.to_lowercase()
            ),
            "t-operator",
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
    assert!(csv.content_type.starts_with("text/csv"));
    let mut lines = csv.text.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        lines.next(),
        Some(
            "Tiket;Nomor LAPOR;Klasifikasi;Judul laporan;Isi laporan;Tanggal kejadian;\
             Lokasi kejadian;Instansi tujuan;Kategori;Lampiran;Anonim;Rahasia"
        )
    );
    assert!(csv.text.contains(TICKET) && csv.text.contains(TICKET_2));

    let json = api
        .get(
            &format!("/api/lapor/export?tickets={TICKET}&format=json"),
            "t-admin",
        )
        .await;
    assert_eq!(json.status, StatusCode::OK, "{}", json.text);
    assert_eq!(json.json["order"], json!(ORDER));
    assert_eq!(json.json["items"][0]["ticket"], TICKET);
    assert_eq!(json.json["items"][0]["fields"]["klasifikasi"], "Pengaduan");

    for bad in [
        "/api/lapor/export?tickets=",
        "/api/lapor/export?tickets=PS-XXXXXXX",
        "/api/lapor/export?tickets=PS-7K3A01&format=xml",
    ] {
        assert_eq!(
            api.get(bad, "t-operator").await.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}"
        );
    }
    assert_eq!(
        api.get("/api/lapor/export?tickets=PS-7K3A01", "t-opd")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert!(api.audit().await.iter().any(|a| a.action == "lapor.export"));
}

on_both_stores!(
    the_form_comes_in_lapors_order_to_those_who_may_see_it,
    forwarding_makes_one_task_and_the_pasted_id_is_checked_and_kept,
    the_export_keeps_the_form_order,
);
