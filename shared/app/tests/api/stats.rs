//! Statistics and open data: the counters the workers keep as events happen (once per event,
//! whatever the redeliveries), the figures `/api/stats` and the monthly report give back, and
//! the public answers (`/public/stats`, Open311), which hold no personal data.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use prolink_app::complaint_worker::{TaskItem, TaskOutcome};
use prolink_app::ports::ConversationSummary;
use prolink_app::tasks::Task;
use prolink_domain::calendar::wib_date;
use prolink_domain::complaint::{ComplaintLocation, Privacy, Status};

use super::harness::{Api, Seed};
use crate::app::{interactive_payload, text_payload};
use crate::support::{earlier_today_wib, next_wib};

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn today() -> String {
    wib_date(now_ms()).format("%Y-%m-%d").to_string()
}

/// A task as a fresh delivery (as after a crash before its "done" mark).
fn task_item(task: &Task, attempt: u32) -> TaskItem {
    TaskItem {
        message_id: format!("m-{}-{attempt}", task.id()),
        body: serde_json::to_string(task).expect("task json"),
        receive_count: attempt,
    }
}

async fn stats_today(api: &Api) -> Value {
    let day = today();
    let reply = api
        .get(&format!("/api/stats?from={day}&to={day}"), "t-viewer")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json
}

async fn transition(api: &Api, ticket: &str, to: Status, version: u64) {
    let reply = api
        .post(
            &format!("/api/complaints/{ticket}/transitions"),
            "t-operator",
            json!({"to": to.as_str(), "public_note": "Sedang kami tangani.", "version": version}),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{ticket} → {to}: {}",
        reply.text
    );
    api.run_tasks_at(next_wib(now_ms(), 10, 0)).await;
}

/// Two complaints filed today; one goes all the way to `selesai` through the API. Tasks are
/// delivered again (a crash before the done mark) and other tasks of the same complaint
/// come: each milestone still counts once.
async fn complaint_milestones_count_once(api: Api) {
    let at = earlier_today_wib(now_ms(), 60_000);
    for ticket in ["PS-ST0001", "PS-ST0002"] {
        api.complaint(Seed {
            status: Status::Diterima,
            at_ms: at,
            window_from_ms: at,
            ..Seed::new(ticket)
        })
        .await;
    }
    let worker = api.complaint_worker_at(next_wib(now_ms(), 10, 0));
    for ticket in ["PS-ST0001", "PS-ST0002"] {
        let task = Task::ComplaintSubmitted {
            ticket: ticket.into(),
        };
        for attempt in 1..=3 {
            // A fresh delivery each time: only the counters' own marks stop a second count.
            let outcome = worker.process_batch(&[task_item(&task, attempt)]).await;
            assert_eq!(outcome, [TaskOutcome::Done]);
        }
    }
    let stats = stats_today(&api).await;
    assert_eq!(stats["totals"]["complaints_opened"], 2, "{stats}");
    assert_eq!(
        stats["totals"]["opened_by_opd"],
        json!([{"key": "dpupr-pkp", "count": 2}])
    );
    assert_eq!(
        stats["totals"]["opened_by_kecamatan"],
        json!([{"key": "tidak diketahui", "count": 2}])
    );
    assert_eq!(stats["totals"]["complaints_closed"], 0);
    assert_eq!(stats["totals"]["median_response_working_days"], Value::Null);

    transition(&api, "PS-ST0001", Status::Diteruskan, 1).await;
    transition(&api, "PS-ST0001", Status::Diproses, 2).await;
    transition(&api, "PS-ST0001", Status::Selesai, 3).await;
    // The submission task delivered once more, late: nothing new.
    let late = Task::ComplaintSubmitted {
        ticket: "PS-ST0001".into(),
    };
    worker.process_batch(&[task_item(&late, 9)]).await;

    let stats = stats_today(&api).await;
    let totals = &stats["totals"];
    assert_eq!(totals["complaints_opened"], 2, "{stats}");
    assert_eq!(totals["complaints_closed"], 1);
    assert_eq!(
        totals["closed_by_category"],
        json!([{"key": "jalan-rusak", "count": 1}])
    );
    assert_eq!(totals["median_response_working_days"], 0);
    assert_eq!(totals["median_resolution_working_days"], 0);
    assert_eq!(totals["sla_response_met_pct"], 100.0);
    assert_eq!(totals["sla_resolution_met_pct"], 100.0);
    assert_eq!(stats["series"].as_array().map(Vec::len), Some(1));
    assert_eq!(stats["series"][0]["period"], today());

    // The monthly report of this month holds the same figures.
    let month = &today()[..7];
    let csv = api
        .get(
            &format!("/api/reports/monthly.csv?month={month}"),
            "t-operator",
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(csv.text.starts_with('\u{feff}'));
    assert!(csv.text.contains("Bagian;Uraian;Nilai\r\n"), "{}", csv.text);
    assert!(csv.text.contains("Aduan;Aduan masuk;2\r\n"), "{}", csv.text);
    assert!(csv.text.contains("Aduan;Aduan selesai/ditutup;1\r\n"));
    assert!(csv.text.contains("Aduan masuk per kategori;"));
    assert!(csv.text.contains(&format!("Laporan;Bulan;{month}\r\n")));
}

async fn stats_roles_and_bad_queries(api: Api) {
    for token in ["t-admin", "t-operator", "t-viewer"] {
        assert_eq!(api.get("/api/stats", token).await.status, StatusCode::OK);
        assert_eq!(
            api.get("/api/reports/monthly.csv", token).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(
        api.get("/api/stats", "t-opd").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api.call(Method::GET, "/api/stats", None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    for bad in [
        "from=2026-13-01",
        "from=2026-02-01&to=2026-01-01",
        "from=2024-01-01&to=2025-12-31",
        "granularity=year",
        "to=kemarin",
    ] {
        let reply = api.get(&format!("/api/stats?{bad}"), "t-viewer").await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            reply.text
        );
    }
    let reply = api.get("/api/stats?foo=1", "t-viewer").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let reply = api
        .get("/api/reports/monthly.csv?month=2026-1", "t-viewer")
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reply = api
        .get(
            "/api/stats?from=2026-01-01&to=2026-03-31&granularity=month",
            "t-viewer",
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let periods: Vec<&str> = reply.json["series"]
        .as_array()
        .expect("series")
        .iter()
        .filter_map(|p| p["period"].as_str())
        .collect();
    assert_eq!(periods, ["2026-01", "2026-02", "2026-03"]);
}

const SECRET_NAME: &str = "Wahyu Pratomo";
const NIK: &str = "3574012345670001";
const PHONE: &str = "081234567890";
const EMAIL: &str = "wahyu.pratomo@example.com";

/// Complaints with personal data in their words, one *Rahasia*, one closed, one pinned.
async fn open_data_fixture(api: &Api) {
    let at = earlier_today_wib(now_ms(), 3_600_000);
    let seeds = [
        ("PS-OD0001", Status::Diproses, Privacy::Biasa),
        ("PS-OD0002", Status::Ditutup, Privacy::Anonim),
        ("PS-OD0003", Status::Diterima, Privacy::Rahasia),
    ];
    for (ticket, status, privacy) in seeds {
        api.complaint(Seed {
            status,
            privacy,
            at_ms: at,
            window_from_ms: at,
            ..Seed::new(ticket)
        })
        .await;
        let mut c = api.stored(ticket).await;
        c.reporter_name = Some(SECRET_NAME.into());
        c.description = format!(
            "Jalan berlubang di depan rumah saya, {SECRET_NAME}. NIK {NIK}, hubungi {PHONE} \
             atau {EMAIL}. Mohon segera diperbaiki ({ticket})."
        );
        c.location = Some(ComplaintLocation::Pin {
            latitude: -7.756_789,
            longitude: 113.215_49,
            name: Some("Rumah Wahyu Pratomo".into()),
            address: Some("Jl. Mastrip 12, Kel. Jrebeng Kidul".into()),
        });
        api.stores
            .complaints
            .update_complaint(&c)
            .await
            .expect("update");
    }
}

async fn public(api: &Api, path: &str) -> super::harness::Reply {
    api.call(Method::GET, path, None, None).await
}

fn assert_no_personal_data(what: &str, text: &str) {
    for secret in [
        "Wahyu",
        "Pratomo",
        NIK,
        PHONE,
        "0812",
        EMAIL,
        "example.com",
        "6281255500031",
        "Mastrip",
        "756789",
        "21549",
    ] {
        assert!(!text.contains(secret), "{what} shows {secret:?}: {text}");
    }
}

async fn open311_lists_public_complaints_without_personal_data(api: Api) {
    open_data_fixture(&api).await;

    let services = public(&api, "/open311/v2/services.json").await;
    assert_eq!(services.status, StatusCode::OK);
    let list = services.json.as_array().expect("a list");
    let road = list
        .iter()
        .find(|s| s["service_code"] == "jalan-rusak")
        .expect("the road category");
    assert_eq!(road["metadata"], false);
    assert_eq!(road["type"], "realtime");

    let all = public(&api, "/open311/v2/requests.json").await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    let ids: Vec<&str> = all
        .json
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|r| r["service_request_id"].as_str())
        .collect();
    assert!(
        ids.contains(&"PS-OD0001") && ids.contains(&"PS-OD0002"),
        "{ids:?}"
    );
    assert!(!ids.contains(&"PS-OD0003"), "Rahasia listed: {ids:?}");
    assert_no_personal_data("requests.json", &all.text);

    let open = public(&api, "/open311/v2/requests.json?status=open").await;
    let open_ids: Vec<&str> = open
        .json
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|r| r["service_request_id"].as_str())
        .collect();
    assert_eq!(open_ids, ["PS-OD0001"]);
    let closed = public(&api, "/open311/v2/requests.json?status=closed").await;
    assert_eq!(closed.json[0]["service_request_id"], "PS-OD0002");
    assert_eq!(closed.json[0]["status"], "closed");

    let one = public(&api, "/open311/v2/requests/PS-OD0001.json").await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    let request = &one.json[0];
    assert_eq!(request["status"], "open");
    assert_eq!(request["lat"], -7.757);
    assert_eq!(request["long"], 113.215);
    assert_eq!(
        request["address"],
        "Kel. Jrebeng Kidul, Kec. Wonoasih, Kota Probolinggo"
    );
    let description = request["description"].as_str().expect("description");
    assert!(
        description.starts_with("Jalan berlubang di depan rumah saya, [NAMA]."),
        "{description}"
    );
    assert!(description.contains("[NIK]") && description.contains("[EMAIL]"));
    assert_eq!(request["media_url"], Value::Null);
    assert_no_personal_data("a request", &one.text);

    for hidden in ["PS-OD0003", "PS-NONE01", "..%2F..", "x"] {
        let reply = public(&api, &format!("/open311/v2/requests/{hidden}.json")).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{hidden}");
        assert_eq!(reply.json[0]["code"], 404);
    }
    // A window before the complaints, and bad parameters.
    let old = public(
        &api,
        "/open311/v2/requests.json?start_date=2020-01-01T00:00:00Z&end_date=2020-02-01T00:00:00Z",
    )
    .await;
    assert_eq!(old.json, json!([]));
    for bad in [
        "status=pending",
        "start_date=kemarin",
        "start_date=2026-02-01&end_date=2026-01-01",
        "start_date=2020-01-01&end_date=2026-01-01",
    ] {
        let reply = public(&api, &format!("/open311/v2/requests.json?{bad}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(reply.json[0]["code"], 400);
    }

    // Counted complaints: the public monthly figures are counts only.
    let worker = api.complaint_worker_at(next_wib(now_ms(), 10, 0));
    for ticket in ["PS-OD0001", "PS-OD0002", "PS-OD0003"] {
        let task = Task::ComplaintSubmitted {
            ticket: ticket.into(),
        };
        worker.process_batch(&[task_item(&task, 1)]).await;
    }
    let stats = public(&api, "/public/stats").await;
    assert_eq!(stats.status, StatusCode::OK, "{}", stats.text);
    let months = stats.json["months"].as_array().expect("months");
    assert_eq!(months.len(), 12);
    let this_month = months.last().expect("this month");
    assert_eq!(this_month["month"], &today()[..7]);
    assert_eq!(this_month["complaints_opened"], 3);
    assert_eq!(
        this_month["opened_by_kecamatan"],
        json!([{"key": "Wonoasih", "count": 3}])
    );
    assert_no_personal_data("/public/stats", &stats.text);
}

/// Messages out from today to the day after tomorrow: the worker runs at the next 10:00 WIB,
/// which may be tomorrow, and a message counts on its outbox record's day.
async fn messages_out(api: &Api) -> i64 {
    let from = wib_date(now_ms());
    let to = from + chrono::Duration::days(2);
    let reply = api
        .get(&format!("/api/stats?from={from}&to={to}"), "t-viewer")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json["totals"]["messages_out"].as_i64().unwrap_or(0)
}

/// A complaint's status notification is one message out, however often its task is
/// delivered (each delivery a fresh one, as after a crash before the task's "done" mark).
async fn a_notification_is_one_message_out(api: Api) {
    let at = earlier_today_wib(now_ms(), 60_000);
    api.complaint(Seed {
        status: Status::Diterima,
        at_ms: at,
        window_from_ms: at,
        ..Seed::new("PS-ST0009")
    })
    .await;
    let before = messages_out(&api).await;
    // The change queues the citizen's notification; `transition` runs the worker over it.
    transition(&api, "PS-ST0009", Status::Diteruskan, 1).await;
    let once = messages_out(&api).await;
    assert_eq!(once - before, 1, "before {before}, after the task {once}");
    let stored = api.stored("PS-ST0009").await;
    let event = stored.events.last().expect("the transition's event");
    let task = Task::StatusChanged {
        ticket: "PS-ST0009".into(),
        event_id: event.id.clone(),
    };
    let worker = api.complaint_worker_at(next_wib(now_ms(), 10, 0));
    for attempt in 2..=3 {
        let outcome = worker.process_batch(&[task_item(&task, attempt)]).await;
        assert_eq!(outcome, [TaskOutcome::Done]);
    }
    let after = messages_out(&api).await;
    assert_eq!(after - before, 1, "before {before}, after {after}");
}

/// The operator reply time: from the citizen's first unanswered message of the handoff to
/// the first reply, counted once per handoff (a second reply and a retried one add nothing).
async fn the_first_operator_reply_is_timed_once(api: Api) {
    let now = now_ms();
    let minute = 60_000;
    let summary = ConversationSummary {
        citizen_key: "6281255500077".into(),
        id: "c0123456789abcdef0123456789abcdef".into(),
        name: Some("Rina".into()),
        phone: Some("6281255500077".into()),
        handoff_since_ms: Some(now - 30 * minute),
        handoff_until_ms: Some(now + 60 * minute),
        waiting_since_ms: Some(now - 12 * minute),
        alerted_for_ms: None,
        claimed_by: None,
        claimed_ms: None,
        last_operator_reply_ms: None,
        last_message_ms: now - 12 * minute,
        last_inbound_ms: Some(now - 12 * minute),
        version: 0,
    };
    api.stores
        .conversations
        .put_conversation(&summary)
        .await
        .expect("conversation");
    assert_eq!(
        stats_today(&api).await["totals"]["median_operator_reply_minutes"],
        Value::Null
    );
    let path = format!("/api/conversations/{}/reply", summary.id);
    for text in ["Selamat siang, saya Ani.", "Aduan Ibu kami teruskan."] {
        let reply = api.post(&path, "t-operator", json!({"text": text})).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    }
    let totals = &stats_today(&api).await["totals"];
    // 12 minutes, or 13 when the minute turned between the two clocks' readings.
    let minutes = totals["median_operator_reply_minutes"]
        .as_i64()
        .unwrap_or(-1);
    assert!((12..=13).contains(&minutes), "{totals}");
    let day = today();
    let replies: i64 = api
        .stores
        .stats
        .read_counters(&day, &day)
        .await
        .expect("counters")
        .iter()
        .filter(|c| c.counter.starts_with("op_reply_min#"))
        .map(|c| c.value)
        .sum();
    assert_eq!(replies, 1, "one reply time per handoff");
}

async fn say_text(app: &crate::support::TestApp, from: &str, wamid: &str, text: &str) {
    assert_eq!(
        app.post_signed(&text_payload(from, "Warga", wamid, text))
            .await,
        200
    );
    app.drain().await;
}

/// A scripted chat on the local app (SQLite): free text answered and not, menu picks, two
/// citizens; a message delivered again counts nothing.
async fn a_chat_is_counted_once(api: Api) {
    let app = &api.app;
    say_text(app, "6281255500071", "wamid.st.1", "Apa itu PROLINK SAKTI?").await;
    say_text(
        app,
        "6281255500071",
        "wamid.st.2",
        "zqxv blorp wibble frotz",
    )
    .await;
    let pick = interactive_payload(
        "6281255500072",
        "Warga",
        "wamid.st.3",
        "list_reply",
        "menu.info",
    );
    assert_eq!(app.post_signed(&pick).await, 200);
    app.drain().await;
    let before = stats_today(&api).await;
    // Meta delivers the first message again.
    say_text(app, "6281255500071", "wamid.st.1", "Apa itu PROLINK SAKTI?").await;
    let totals = &stats_today(&api).await["totals"];
    assert_eq!(totals, &before["totals"]);
    assert_eq!(totals["messages_in"], 3, "{totals}");
    assert_eq!(totals["messages_free_text"], 2);
    assert_eq!(totals["messages_menu"], 1);
    assert_eq!(totals["active_citizens"], 2);
    assert!(
        totals["messages_out"].as_i64().unwrap_or(0) >= 3,
        "{totals}"
    );
    assert_eq!(totals["fallback"], 1, "{totals}");
    assert_eq!(totals["answered"], 1, "{totals}");
    assert_eq!(totals["answer_rate_pct"], 50.0);
    assert_eq!(
        totals["top_faqs"],
        json!([{"key": "umum.tentang-prolink-sakti", "count": 1}])
    );
}

on_both_stores!(
    complaint_milestones_count_once,
    a_notification_is_one_message_out,
    the_first_operator_reply_is_timed_once,
    stats_roles_and_bad_queries,
    open311_lists_public_complaints_without_personal_data,
);

mod chat {
    #[tokio::test]
    async fn a_chat_is_counted_once() {
        let api = crate::api::harness::Api::on(crate::api::harness::Backend::Sqlite)
            .await
            .expect("SQLite is always there");
        super::a_chat_is_counted_once(api).await;
    }
}
