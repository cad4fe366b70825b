//! Lists: cursor pagination over many complaints (with and without a filter the index
//! cannot answer), the SLA and date filters, and the CSV export.

use axum::http::StatusCode;
use serde_json::Value;

use prolink_domain::complaint::Status;

use super::harness::{Api, Seed, CATEGORY_B, OPD_B};

const DAY_MS: i64 = 86_400_000;

fn tickets(reply: &Value) -> Vec<String> {
    reply["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["ticket"].as_str().map(str::to_string))
        .collect()
}

async fn page_through(api: &Api, query: &str, token: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let path = match &cursor {
            Some(c) => format!("/api/complaints?{query}&cursor={c}"),
            None => format!("/api/complaints?{query}"),
        };
        let reply = api.get(&path, token).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
        seen.extend(tickets(&reply.json));
        match reply.json["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return seen,
        }
    }
    panic!("pagination did not end");
}

async fn pages_cover_every_complaint_once_newest_first_with_and_without_a_filter(api: Api) {
    let now = chrono::Utc::now().timestamp_millis();
    let mut expected: Vec<(String, bool)> = (0..250)
        .map(|n| (format!("PS-P{n:05}"), n % 3 == 0))
        .collect();
    let seeds: Vec<Seed> = expected
        .iter()
        .zip(0..)
        .map(|((ticket, other), n)| Seed {
            category: if *other {
                CATEGORY_B
            } else {
                super::harness::CATEGORY
            },
            opd: if *other { OPD_B } else { super::harness::OPD_A },
            at_ms: now - 1_000_000 + n * 1000,
            ..Seed::new(ticket)
        })
        .collect();
    api.complaints(&seeds).await;
    expected.reverse();
    let all: Vec<String> = expected.iter().map(|(t, _)| t.clone()).collect();
    assert_eq!(page_through(&api, "limit=37", "t-operator").await, all);
    let street_lights: Vec<String> = expected
        .iter()
        .filter(|(_, other)| *other)
        .map(|(t, _)| t.clone())
        .collect();
    assert_eq!(street_lights.len(), 84);
    assert_eq!(
        page_through(
            &api,
            &format!("category={CATEGORY_B}&limit=20"),
            "t-operator"
        )
        .await,
        street_lights
    );
    let own: Vec<String> = expected
        .iter()
        .filter(|(_, other)| !*other)
        .map(|(t, _)| t.clone())
        .collect();
    assert_eq!(page_through(&api, "limit=100", "t-opd").await, own);
    let first = api.get("/api/complaints", "t-operator").await;
    assert_eq!(tickets(&first.json).len(), 50, "the default page");
}

async fn sla_status_and_date_filters(api: Api) {
    let now = chrono::Utc::now().timestamp_millis();
    api.complaint(Seed {
        at_ms: now - 60 * DAY_MS,
        ..Seed::new("PS-SX0001")
    })
    .await;
    api.complaint(Seed::new("PS-SX0002")).await;
    api.complaint(Seed {
        status: Status::Diterima,
        ..Seed::new("PS-SX0003")
    })
    .await;
    let overdue = api.get("/api/complaints?sla=overdue", "t-operator").await;
    assert_eq!(tickets(&overdue.json), ["PS-SX0001"]);
    assert_eq!(overdue.json["items"][0]["sla"], "overdue");
    let on_time = api.get("/api/complaints?sla=on_time", "t-operator").await;
    assert_eq!(tickets(&on_time.json), ["PS-SX0003", "PS-SX0002"]);
    let received = api
        .get("/api/complaints?status=diterima", "t-operator")
        .await;
    assert_eq!(tickets(&received.json), ["PS-SX0003"]);
    let old_day = prolink_domain::calendar::wib_date(now - 60 * DAY_MS);
    let dated = api
        .get(
            &format!("/api/complaints?from={old_day}&to={old_day}"),
            "t-operator",
        )
        .await;
    assert_eq!(tickets(&dated.json), ["PS-SX0001"]);
    let searched = api
        .get("/api/complaints?q=BERLUBANG%20PS-SX0002", "t-operator")
        .await;
    assert_eq!(tickets(&searched.json), ["PS-SX0002"]);
}

async fn the_csv_export_is_excel_friendly_safe_and_audited(api: Api) {
    let complaint = api.complaint(Seed::new("PS-CS0001")).await;
    let mut hostile = complaint.clone();
    hostile.description = "=HYPERLINK(\"http://x\";\"klik\")".into();
    api.stores
        .complaints
        .update_complaint(&hostile)
        .await
        .expect("update");
    let reply = api.get("/api/complaints.csv", "t-operator").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.content_type.starts_with("text/csv"));
    assert!(reply.text.starts_with('\u{feff}'));
    let lines: Vec<&str> = reply
        .text
        .trim_start_matches('\u{feff}')
        .split("\r\n")
        .collect();
    assert!(lines[0].starts_with("Tiket;Status;"));
    assert!(lines[1].starts_with("PS-CS0001;"));
    assert!(lines[1].contains("\"'=HYPERLINK("), "{}", lines[1]);
    let audited = api
        .audit()
        .await
        .iter()
        .any(|r| r.action == "complaint.export" && r.actor == "ani");
    assert!(audited);
}

on_both_stores!(
    pages_cover_every_complaint_once_newest_first_with_and_without_a_filter,
    sla_status_and_date_filters,
    the_csv_export_is_excel_friendly_safe_and_audited,
);
