//! Changes through the API: every operator transition of the table reaches the citizen
//! through the complaint worker, refusals and stale versions are 409s, retries are
//! recognised, and notes, reassignment and merging do what they say.

use axum::http::StatusCode;
use serde_json::json;

use prolink_domain::complaint::{ActorKind, Status, TRANSITIONS};

use super::harness::{Api, Seed, CATEGORY_B, OPD_B};
use crate::support::next_wib;

/// A daytime instant (outside the quiet hours) after now, when the worker runs.
fn daytime() -> i64 {
    next_wib(chrono::Utc::now().timestamp_millis(), 10, 0)
}

async fn every_operator_transition_reaches_the_citizen(api: Api) {
    let day = daytime();
    let operator_moves: Vec<(Status, Status)> = TRANSITIONS
        .iter()
        .filter(|(_, _, actors)| actors.contains(&ActorKind::Operator))
        .map(|(from, to, _)| (*from, *to))
        .collect();
    assert!(operator_moves.len() >= 20);
    for (n, (from, to)) in operator_moves.iter().enumerate() {
        let ticket = format!("PS-TT{n:04}");
        let citizen = format!("62812555{n:05}");
        api.complaint(Seed {
            ticket: &ticket,
            citizen: &citizen,
            status: *from,
            window_from_ms: day - 3_600_000,
            ..Seed::new(&ticket)
        })
        .await;
        let note = format!("Catatan {ticket} untuk pelapor.");
        let reply = api
            .post(
                &format!("/api/complaints/{ticket}/transitions"),
                "t-operator",
                json!({"to": to.as_str(), "public_note": note, "internal_note": "internal", "version": 1}),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{from} → {to}: {}",
            reply.text
        );
        assert_eq!(reply.json["status"], to.as_str());
        assert_eq!(reply.json["version"], 2);
        api.run_tasks_at(day).await;
        let outbox = api.app.outbox_for(&citizen).await;
        assert!(
            outbox.iter().any(|m| m.to_string().contains(&ticket)),
            "{from} → {to}: the citizen was told: {outbox:?}"
        );
    }
    let transitions = api
        .audit()
        .await
        .iter()
        .filter(|r| r.action == "complaint.transition")
        .count();
    assert_eq!(transitions, operator_moves.len());
}

async fn refusals_and_stale_versions_are_409s_and_a_retry_is_applied_once(api: Api) {
    api.complaint(Seed {
        status: Status::Diterima,
        ..Seed::new("PS-RR0001")
    })
    .await;
    let path = "/api/complaints/PS-RR0001/transitions";
    let refused = api
        .post(
            path,
            "t-operator",
            json!({"to": "selesai", "public_note": "x"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.json["code"], "transition_refused");
    assert!(refused.json["message"]
        .as_str()
        .expect("message")
        .contains("tidak dapat diubah"));
    let no_note = api.post(path, "t-operator", json!({"to": "ditolak"})).await;
    assert_eq!(no_note.json["code"], "transition_refused");
    assert!(no_note.json["message"]
        .as_str()
        .expect("message")
        .contains("wajib disertai catatan"));
    // Triage is Diskominfo's, even on the OPD's own complaint.
    let opd = api.post(path, "t-opd", json!({"to": "diverifikasi"})).await;
    assert_eq!(opd.status, StatusCode::CONFLICT);
    assert_eq!(opd.json["code"], "transition_refused");

    let body = json!({"to": "diverifikasi", "internal_note": "Lengkap.", "version": 1});
    let first = api.post(path, "t-operator", body.clone()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let retry = api.post(path, "t-operator", body).await;
    assert_eq!(
        retry.status,
        StatusCode::OK,
        "a retried request is answered: {}",
        retry.text
    );
    assert_eq!(retry.json["version"], 2);
    assert_eq!(api.stored("PS-RR0001").await.events.len(), 2);
    let stale = api
        .post(
            path,
            "t-operator",
            json!({"to": "diteruskan", "version": 1}),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.json["code"], "conflict");
}

async fn the_opd_works_its_own_complaint_and_a_public_note_reaches_the_citizen(api: Api) {
    let day = daytime();
    let citizen = "6281255500077";
    api.complaint(Seed {
        citizen,
        window_from_ms: day - 3_600_000,
        ..Seed::new("PS-QQ0001")
    })
    .await;
    let moved = api
        .post(
            "/api/complaints/PS-QQ0001/transitions",
            "t-opd",
            json!({"to": "diproses"}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(
        moved.json["allowed_transitions"],
        json!(["selesai", "perlu_dilengkapi"])
    );
    let noted = api
        .post(
            "/api/complaints/PS-QQ0001/notes",
            "t-opd",
            json!({"public_note": "Tim kami menambal jalan hari Kamis."}),
        )
        .await;
    assert_eq!(noted.status, StatusCode::OK, "{}", noted.text);
    assert_eq!(noted.json["status"], "diproses");
    let last = noted.json["timeline"]
        .as_array()
        .and_then(|t| t.last())
        .cloned()
        .expect("event");
    assert_eq!(last["actor"], json!({"kind": "operator", "id": "budi"}));
    api.run_tasks_at(day).await;
    let outbox = api.app.outbox_for(citizen).await;
    assert!(
        outbox
            .iter()
            .any(|m| m.to_string().contains("menambal jalan hari Kamis")),
        "{outbox:?}"
    );
    let empty = api
        .post(
            "/api/complaints/PS-QQ0001/notes",
            "t-opd",
            json!({"public_note": "  "}),
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.json["code"], "invalid_field");
}

async fn reassigning_moves_the_complaint_and_its_deadlines(api: Api) {
    let before = api.complaint(Seed::new("PS-MM0001")).await;
    let unknown = api
        .post(
            "/api/complaints/PS-MM0001/reassign",
            "t-operator",
            json!({"opd_id": "nope", "category_id": "nope"}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown.json["fields"]["opd_id"].is_string()
            && unknown.json["fields"]["category_id"].is_string()
    );
    let moved = api
        .post(
            "/api/complaints/PS-MM0001/reassign",
            "t-operator",
            json!({"opd_id": OPD_B, "category_id": CATEGORY_B}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    let after = api.stored("PS-MM0001").await;
    assert_eq!(
        (after.opd_id.as_str(), after.category_id.as_str()),
        (OPD_B, CATEGORY_B)
    );
    // 14 working days for roads, 5 for street lights.
    assert!(after.deadlines.resolution_date < before.deadlines.resolution_date);
    assert!(after
        .events
        .last()
        .and_then(|e| e.internal_note.as_deref())
        .is_some_and(|n| n.contains(OPD_B)));
    // Now the other OPD's: the first OPD no longer sees it.
    let gone = api.get("/api/complaints/PS-MM0001", "t-opd").await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

async fn merging_makes_the_citizen_a_follower_and_closes_the_duplicate(api: Api) {
    api.complaint(Seed {
        status: Status::Diterima,
        citizen: "6281255500051",
        ..Seed::new("PS-DD0001")
    })
    .await;
    api.complaint(Seed {
        status: Status::Diterima,
        citizen: "6281255500052",
        ..Seed::new("PS-DD0002")
    })
    .await;
    let self_merge = api
        .post(
            "/api/complaints/PS-DD0002/merge",
            "t-operator",
            json!({"into": "PS-DD0002"}),
        )
        .await;
    assert_eq!(self_merge.status, StatusCode::UNPROCESSABLE_ENTITY);
    let merged = api
        .post(
            "/api/complaints/PS-DD0002/merge",
            "t-operator",
            json!({"into": "ps-dd0001", "version": 1}),
        )
        .await;
    assert_eq!(merged.status, StatusCode::OK, "{}", merged.text);
    assert_eq!(merged.json["status"], "ditolak");
    assert_eq!(merged.json["duplicate_of"], "PS-DD0001");
    let original = api.stored("PS-DD0001").await;
    assert_eq!(original.followers, ["6281255500052"]);
    let again = api
        .post(
            "/api/complaints/PS-DD0002/merge",
            "t-operator",
            json!({"into": "PS-DD0001", "version": 1}),
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "a retry is answered: {}",
        again.text
    );
    assert_eq!(api.stored("PS-DD0001").await.followers.len(), 1);
}

on_both_stores!(
    every_operator_transition_reaches_the_citizen,
    refusals_and_stale_versions_are_409s_and_a_retry_is_applied_once,
    the_opd_works_its_own_complaint_and_a_public_note_reaches_the_citizen,
    reassigning_moves_the_complaint_and_its_deadlines,
    merging_makes_the_citizen_a_follower_and_closes_the_duplicate,
);
