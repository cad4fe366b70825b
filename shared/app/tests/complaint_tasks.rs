//! The complaint worker over the tasks queue of the local mode: complaints are filed through
//! the dialog worker (signed webhooks, the simulator for photos), operators change them with
//! `change_status`, and the tasks are run by workers whose clock is fixed where the time of
//! day matters (the 24-hour window, the quiet hours 21:00–06:00 WIB). A redelivered task,
//! plain or after a crash before its "done" mark, must never send or alert twice.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use aws_lambda_events::event::sqs::SqsEvent;
use axum::{
    body::Body,
    http::{Method, Request},
};
use base64::Engine;
use chrono::Timelike;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use prolink_app::complaint_media::{REASON_GAVE_UP, REASON_GONE};
use prolink_app::complaint_worker::{
    change_status, ComplaintWorker, ComplaintWorkerStores, TaskItem, TaskOutcome,
};
use prolink_app::config;
use prolink_app::content_import::embedded_seed;
use prolink_app::notifier::OperatorDirectory;
use prolink_app::operator_contacts::OperatorContacts;
use prolink_app::ports::{
    ComplaintStore, DedupStore, Delivery, OperatorAlert, OperatorSignals, OutgoingMessage,
    PortResult, Queue,
};
use prolink_app::tasks::Task;
use prolink_app::worker::DialogWorker;
use prolink_aws::lambda::handle_task_batch;
use prolink_domain::{
    calendar,
    complaint::{Actor, Change, Complaint, Status},
    content::ContentBundle,
};
use prolink_embedded::serve::BLOBS_DIR;
use prolink_embedded::sqlite::SqliteQueue;

use crate::app::{now_secs, webhook_body};
use crate::support::{next_wib, ManualClock, TestApp};

const HOUR_MS: i64 = 3_600_000;

#[derive(Clone, Copy)]
struct Citizen {
    number: &'static str,
    name: &'static str,
}

const SARI: Citizen = Citizen {
    number: "6281255500021",
    name: "Sari Wulandari",
};
const BUDI: Citizen = Citizen {
    number: "6281255500022",
    name: "Budi Santoso",
};

const ROAD: &str = "Jalan di depan pasar berlubang besar sejak seminggu, motor sering jatuh.";
const ADDRESS: &str = "Jl. Panglima Sudirman 10, Kelurahan Jati";

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Daytime (outside the quiet hours) and less than 24 hours after `now`: a citizen who wrote
/// at `now` or later is inside the window.
fn day_inside_window(now: i64) -> i64 {
    if (7..19).contains(&calendar::wib_datetime(now).hour()) {
        now + 60_000
    } else {
        next_wib(now, 10, 0)
    }
}

/// Daytime, more than 24 hours after `now`: the window has closed.
fn day_outside_window(now: i64) -> i64 {
    next_wib(now + 25 * HOUR_MS, 10, 0)
}

/// One thing a citizen sends, in Meta's webhook shape.
enum Say<'a> {
    Text(&'a str),
    Button(&'a str),
    Row(&'a str),
    Pin(f64, f64),
    Image { id: &'a str, sha256: &'a str },
}

fn inbound(citizen: Citizen, wamid: &str, say: Say<'_>) -> Vec<u8> {
    let mut message = json!({ "from": citizen.number, "id": wamid, "timestamp": now_secs() });
    let (kind, content) = match say {
        Say::Text(text) => ("text", json!({ "body": text })),
        Say::Button(id) => (
            "interactive",
            json!({ "type": "button_reply", "button_reply": { "id": id, "title": "x" } }),
        ),
        Say::Row(id) => (
            "interactive",
            json!({ "type": "list_reply", "list_reply": { "id": id, "title": "x" } }),
        ),
        Say::Pin(latitude, longitude) => (
            "location",
            json!({ "latitude": latitude, "longitude": longitude }),
        ),
        Say::Image { id, sha256 } => (
            "image",
            json!({ "id": id, "mime_type": "image/jpeg", "sha256": sha256 }),
        ),
    };
    message["type"] = json!(kind);
    message[kind] = content;
    webhook_body(json!({
        "contacts": [{ "profile": { "name": citizen.name }, "wa_id": citizen.number }],
        "messages": [message]
    }))
}

/// The text a citizen reads in a recorded message: the body of a text or interactive
/// message, or the whole JSON of anything else (templates).
fn text_of(body: &Value) -> String {
    body["text"]["body"]
        .as_str()
        .or(body["interactive"]["body"]["text"].as_str())
        .map_or_else(|| body.to_string(), str::to_string)
}

/// The ids of a message's reply buttons and list rows.
fn choice_ids(body: &Value) -> Vec<String> {
    let action = &body["interactive"]["action"];
    let buttons = action["buttons"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| &b["reply"]["id"]);
    let rows = action["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["rows"].as_array().into_iter().flatten())
        .map(|r| &r["id"]);
    buttons
        .chain(rows)
        .filter_map(|id| id.as_str().map(str::to_string))
        .collect()
}

/// A template message's body parameters and quick-reply payloads.
fn template_parts(body: &Value) -> (String, Vec<String>, Vec<String>) {
    assert_eq!(body["type"], "template", "a template: {body}");
    let name = body["template"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let components = body["template"]["components"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut texts = Vec::new();
    let mut payloads = Vec::new();
    for component in &components {
        for parameter in component["parameters"].as_array().into_iter().flatten() {
            if let Some(text) = parameter["text"].as_str() {
                texts.push(text.to_string());
            }
            if let Some(payload) = parameter["payload"].as_str() {
                payloads.push(payload.to_string());
            }
        }
    }
    (name, texts, payloads)
}

/// A crash after a task's effects but before its "done" mark, forever: every delivery runs
/// the task again.
struct NeverDone;

#[async_trait]
impl DedupStore for NeverDone {
    async fn is_marked(&self, _key: &str) -> PortResult<bool> {
        Ok(false)
    }
    async fn mark(&self, _key: &str, _expires_at_ms: i64) -> PortResult<bool> {
        Ok(true)
    }
}

/// One task as the test's consumer ran it.
struct Ran {
    task: Task,
    item: TaskItem,
    outcome: TaskOutcome,
}

/// The local app, a dialog worker that queues complaint tasks, and the seed content.
struct Rig {
    harness: TestApp,
    dialog: DialogWorker,
    content: ContentBundle,
}

impl Rig {
    fn new() -> Rig {
        let harness = TestApp::new();
        let dialog = harness
            .dialog_worker()
            .with_tasks(harness.app.tasks.clone());
        Rig {
            harness,
            dialog,
            content: embedded_seed().expect("embedded seed"),
        }
    }

    async fn say(&self, citizen: Citizen, wamid: &str, say: Say<'_>) {
        let body = inbound(citizen, wamid, say);
        assert_eq!(self.harness.post_signed(&body).await, 200);
        self.harness.drain_with(&self.dialog).await;
    }

    /// Consent, category, description and place: the form waits for photos.
    async fn start_form(&self, citizen: Citizen, prefix: &str, description: &str, place: Say<'_>) {
        let steps = [
            Say::Button("btn:aduan"),
            Say::Button("aduan:setuju"),
            Say::Row("complaint:jalan-rusak"),
            Say::Text(description),
            place,
        ];
        for (n, step) in steps.into_iter().enumerate() {
            self.say(citizen, &format!("wamid.{prefix}.{n}"), step)
                .await;
        }
    }

    /// Photos done, the privacy choice, *Kirim*: the stored complaint.
    async fn finish_form(&self, citizen: Citizen, prefix: &str, privacy: &str) -> Complaint {
        self.say(
            citizen,
            &format!("wamid.{prefix}.photos"),
            Say::Button("aduan:foto-selesai"),
        )
        .await;
        self.say(
            citizen,
            &format!("wamid.{prefix}.privacy"),
            Say::Button(privacy),
        )
        .await;
        let kirim = format!("wamid.{prefix}.kirim");
        self.say(citizen, &kirim, Say::Button("aduan:kirim")).await;
        self.harness
            .app
            .store
            .complaints_of_citizen(citizen.number, 10)
            .await
            .expect("list")
            .into_iter()
            .find(|c| c.source_wamid == kirim)
            .expect("the complaint was stored")
    }

    async fn file(&self, citizen: Citizen, prefix: &str, place: Say<'_>) -> Complaint {
        self.start_form(citizen, prefix, ROAD, place).await;
        self.finish_form(citizen, prefix, "aduan:privasi:biasa")
            .await
    }

    async fn complaint(&self, ticket: &str) -> Complaint {
        self.harness.complaint(ticket).await
    }

    /// An operator's change through the same function the operator API calls.
    async fn operator(&self, ticket: &str, event_id: &str, to: Status, note: Option<&str>) {
        let current = self.complaint(ticket).await;
        change_status(
            self.harness.app.store.as_ref(),
            self.harness.app.tasks.as_ref(),
            &self.content,
            &current,
            Change {
                event_id: event_id.to_string(),
                at_ms: now_ms(),
                actor: Actor::operator("opd-dpupr-1"),
                to,
                public_note: note.map(str::to_string),
                internal_note: None,
            },
        )
        .await
        .expect("the operator's change is allowed");
    }

    /// A complaint worker whose clock stands still at `at_ms`, on the app's stores, outbox
    /// and media source.
    fn worker_at(&self, at_ms: i64) -> ComplaintWorker {
        self.harness.complaint_worker_at(at_ms)
    }

    /// The same, never remembering a task as done (it crashed before the mark every time).
    fn crashing_worker_at(&self, at_ms: i64) -> ComplaintWorker {
        let mut stores = ComplaintWorkerStores::from_store(self.harness.app.store.clone());
        stores.dedup = Arc::new(NeverDone);
        self.harness
            .complaint_worker(ManualClock::at(at_ms), stores)
    }

    /// `item` delivered again with `receive_count` to a worker at `at_ms` that crashed before
    /// the "done" mark last time: the task must run through to `Done` (and the caller checks
    /// that nothing went out twice).
    async fn redeliver_after_crash(&self, at_ms: i64, item: &TaskItem, receive_count: u32) {
        let crashing = self.crashing_worker_at(at_ms);
        assert_eq!(
            crashing
                .process_batch(&[redelivery(item, receive_count)])
                .await,
            [TaskOutcome::Done],
            "redelivery {receive_count} at {at_ms}"
        );
    }

    /// Consumes the tasks queue with `worker` until nothing is visible, acknowledging as the
    /// local consumer does (a retry comes back at once here, a deferral at its time).
    async fn run_tasks(&self, worker: &ComplaintWorker) -> Vec<Ran> {
        let queue: &SqliteQueue = &self.harness.app.tasks;
        let mut ran = Vec::new();
        for _ in 0..50 {
            let deliveries = queue
                .receive(10, Duration::from_secs(60))
                .await
                .expect("receive");
            if deliveries.is_empty() {
                return ran;
            }
            let items: Vec<TaskItem> = deliveries.iter().map(TaskItem::from).collect();
            let outcomes = worker.process_batch(&items).await;
            for ((delivery, item), outcome) in deliveries.iter().zip(items).zip(outcomes) {
                match outcome {
                    TaskOutcome::Done => queue.delete(&delivery.receipt).await,
                    TaskOutcome::Retry => {
                        queue
                            .change_visibility(&delivery.receipt, Duration::ZERO)
                            .await
                    }
                    TaskOutcome::Defer(at_ms) => {
                        let wait = u64::try_from(at_ms - worker.clock.now_ms()).expect("future");
                        queue
                            .change_visibility(&delivery.receipt, Duration::from_millis(wait))
                            .await
                    }
                }
                .expect("acknowledge");
                let task = serde_json::from_str(&item.body).expect("a task body");
                ran.push(Ran {
                    task,
                    item,
                    outcome,
                });
            }
        }
        panic!("the tasks queue did not settle");
    }

    async fn outbox(&self, citizen: Citizen) -> Vec<Value> {
        self.harness.outbox_for(citizen.number).await
    }

    /// The alerts of `kind` about `ticket`; each must carry the complaint's OPD, so that
    /// OPD's staff see it on their board.
    async fn alerts(&self, kind: &str, ticket: &str) -> Vec<OperatorAlert> {
        let store = &self.harness.app.store;
        let alerts: Vec<OperatorAlert> = store
            .recent_alerts(100)
            .await
            .expect("alerts")
            .into_iter()
            .filter(|a| a.kind == kind && a.message.contains(ticket))
            .collect();
        if !alerts.is_empty() {
            let complaint = store
                .get_complaint(ticket)
                .await
                .expect("get")
                .expect("the complaint exists");
            for alert in &alerts {
                assert_eq!(alert.opd_id.as_ref(), Some(&complaint.opd_id), "{alert:#?}");
            }
        }
        alerts
    }
}

/// The same queue message delivered again (SQS redelivers after a lost acknowledgement).
fn redelivery(item: &TaskItem, receive_count: u32) -> TaskItem {
    TaskItem {
        message_id: format!("{}-again", item.message_id),
        body: item.body.clone(),
        receive_count,
    }
}

fn only(ran: &[Ran], wanted: impl Fn(&Task) -> bool) -> &Ran {
    let found: Vec<&Ran> = ran.iter().filter(|r| wanted(&r.task)).collect();
    assert_eq!(found.len(), 1, "exactly one such task");
    found[0]
}

fn assert_all_done(ran: &[Ran]) {
    for r in ran {
        assert_eq!(r.outcome, TaskOutcome::Done, "{:?}", r.task);
    }
}

// ---------------------------------------------------------------------------------------------
// New complaints: the OPD's alert
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_new_complaint_alerts_its_opd_once_without_the_hidden_reporter() {
    let rig = Rig::new();
    let now = now_ms();
    rig.start_form(
        SARI,
        "anon",
        "Saya Sari Wulandari, jalan di depan pasar berlubang besar, hubungi 081233344455.",
        Say::Text(ADDRESS),
    )
    .await;
    let complaint = rig.finish_form(SARI, "anon", "aduan:privasi:anonim").await;
    let ticket = complaint.ticket.clone();
    let replies_before = rig.outbox(SARI).await.len();

    let worker = rig.worker_at(day_inside_window(now));
    let ran = rig.run_tasks(&worker).await;
    assert_eq!(
        ran.len(),
        2,
        "no photo: the submission and the operators' message"
    );
    let submitted = only(&ran, |t| {
        *t == Task::ComplaintSubmitted {
            ticket: ticket.clone(),
        }
    });
    assert_eq!(submitted.outcome, TaskOutcome::Done);
    assert_all_done(&ran);

    // The same message again, and again after a crash before the "done" mark.
    assert_eq!(
        worker
            .process_batch(&[redelivery(&submitted.item, 2)])
            .await,
        [TaskOutcome::Done]
    );
    rig.redeliver_after_crash(day_inside_window(now) + 60_000, &submitted.item, 2)
        .await;

    let alerts = rig.alerts("complaint_new", &ticket).await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let alert = &alerts[0];
    assert_eq!(alert.id, format!("complaint.new.{ticket}"));
    assert_eq!(alert.citizen_key, None);
    assert!(alert.message.contains("Anonim"), "{}", alert.message);
    assert!(alert.message.contains("berlubang"), "{}", alert.message);
    for hidden in [
        "Sari",
        "Wulandari",
        "081233344455",
        "81233344455",
        SARI.number,
        "81255500021",
    ] {
        assert!(
            !alert.message.contains(hidden),
            "{hidden} leaked: {}",
            alert.message
        );
    }
    assert_eq!(
        rig.outbox(SARI).await.len(),
        replies_before,
        "the citizen is not messaged about a plain submission"
    );
}

#[tokio::test]
async fn the_opds_operators_get_the_new_complaint_template_by_day_only() {
    let rig = Rig::new();
    let now = now_ms();
    let complaint = rig.file(SARI, "ops", Say::Text(ADDRESS)).await;
    let ticket = complaint.ticket.clone();
    let operator = "6281299990001";
    let directory: Arc<OperatorContacts> = Arc::new(
        OperatorDirectory(
            [(complaint.opd_id.clone(), vec![operator.to_string()])]
                .into_iter()
                .collect(),
        )
        .into(),
    );

    // At night the message waits for 06:00; the submission itself is handled at once.
    let mut night = rig.worker_at(next_wib(now, 22, 30));
    night.operators = directory.clone();
    let ran = rig.run_tasks(&night).await;
    let held = only(&ran, |t| {
        *t == Task::OperatorsNewComplaint {
            ticket: ticket.clone(),
        }
    });
    assert_eq!(
        held.outcome,
        TaskOutcome::Defer(next_wib(next_wib(now, 22, 30), 6, 0))
    );
    assert!(rig.harness.outbox_for(operator).await.is_empty());

    // By day it goes out once, even when the task comes again.
    let mut day = rig.worker_at(day_outside_window(now));
    day.operators = directory;
    let item = held.item.clone();
    assert_eq!(
        day.process_batch(std::slice::from_ref(&item)).await,
        [TaskOutcome::Done]
    );
    let crashing_again = redelivery(&item, 3);
    day.process_batch(&[crashing_again]).await;
    let sent = rig.harness.outbox_for(operator).await;
    assert_eq!(sent.len(), 1, "{sent:#?}");
    let (name, texts, _) = template_parts(&sent[0]);
    assert_eq!(name, "aduan_baru_petugas");
    assert_eq!(texts.first().map(String::as_str), Some(ticket.as_str()));
    let all = texts.join(" ");
    assert!(!all.contains("berlubang"), "no description: {all}");
    assert!(!all.contains(SARI.number), "no citizen number: {all}");
}

#[tokio::test]
async fn the_new_complaint_message_goes_to_the_numbers_an_admin_saved() {
    let rig = Rig::new();
    let day = day_outside_window(now_ms());
    let seeded = "6281299990011";
    let saved = "6281299990012";
    let first = rig.file(SARI, "contacts-1", Say::Text(ADDRESS)).await;
    let opd = first.opd_id.clone();
    let (contacts, settings) = rig.harness.operator_contacts(OperatorDirectory(
        [(opd.clone(), vec![seeded.to_string()])]
            .into_iter()
            .collect(),
    ));
    let mut worker = rig.worker_at(day);
    worker.operators = contacts;
    let tickets_to = |messages: Vec<Value>| -> Vec<String> {
        messages
            .iter()
            .map(|m| template_parts(m).1.first().cloned().unwrap_or_default())
            .collect()
    };

    // Nothing saved on the dashboard yet: the variable's numbers.
    assert_all_done(&rig.run_tasks(&worker).await);
    assert_eq!(
        tickets_to(rig.harness.outbox_for(seeded).await),
        [first.ticket.as_str()]
    );

    // An admin saves other numbers: the next complaint's message goes there, not to the seed.
    let path = "/api/settings/operator-contacts";
    let (status, view) = rig.harness.as_admin(Method::GET, path, "").await;
    assert_eq!(status, 200, "{view}");
    // (The dashboard shows the variable's value as version 0; not set in this test process.)
    assert_eq!(view["version"], 0, "{view}");
    let body = json!({ "contacts": { &opd: [saved] }, "version": 0 }).to_string();
    let (status, view) = rig.harness.as_admin(Method::PUT, path, &body).await;
    assert_eq!(status, 200, "{view}");
    let second = rig.file(BUDI, "contacts-2", Say::Text(ADDRESS)).await;
    assert_all_done(&rig.run_tasks(&worker).await);
    assert_eq!(
        tickets_to(rig.harness.outbox_for(saved).await),
        [second.ticket.as_str()]
    );
    assert_eq!(
        rig.harness.outbox_for(seeded).await.len(),
        1,
        "the seed no more"
    );

    // The table cannot be read: the worker keeps the numbers it read last.
    settings.set_down(true);
    let third = rig.file(SARI, "contacts-3", Say::Text(ADDRESS)).await;
    assert_all_done(&rig.run_tasks(&worker).await);
    assert_eq!(
        tickets_to(rig.harness.outbox_for(saved).await),
        [second.ticket, third.ticket.clone()]
    );

    // A worker that never read them retries the task instead of guessing, and sends once the
    // table answers again.
    let fourth = rig.file(BUDI, "contacts-4", Say::Text(ADDRESS)).await;
    let (cold, cold_settings) = rig.harness.operator_contacts(OperatorDirectory(
        [(opd.clone(), vec![seeded.to_string()])]
            .into_iter()
            .collect(),
    ));
    cold_settings.set_down(true);
    let mut cold_worker = rig.worker_at(day);
    cold_worker.operators = cold;
    let queue: &SqliteQueue = &rig.harness.app.tasks;
    let deliveries = queue
        .receive(10, Duration::from_secs(60))
        .await
        .expect("receive");
    let items: Vec<TaskItem> = deliveries.iter().map(TaskItem::from).collect();
    let outcomes = cold_worker.process_batch(&items).await;
    let operators_task = items
        .iter()
        .zip(&outcomes)
        .find(|(item, _)| item.body.contains("operators_new_complaint"))
        .expect("the operators' task of the fourth complaint");
    assert_eq!(*operators_task.1, TaskOutcome::Retry);
    for delivery in &deliveries {
        queue
            .change_visibility(&delivery.receipt, Duration::ZERO)
            .await
            .expect("release");
    }
    cold_settings.set_down(false);
    assert_all_done(&rig.run_tasks(&cold_worker).await);
    assert_eq!(
        tickets_to(rig.harness.outbox_for(saved).await).last(),
        Some(&fourth.ticket)
    );
    assert_eq!(rig.harness.outbox_for(seeded).await.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Photos
// ---------------------------------------------------------------------------------------------

/// A JPEG-looking file (right magic bytes, varied content).
fn jpeg(len: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend((0..len.saturating_sub(4)).map(|i| (i * 31 % 251) as u8));
    bytes
}

/// Serves the app on a real loopback port (the media source downloads over HTTP from the
/// simulator's Graph endpoint) and points the app's media source at it.
async fn serve(rig: &Rig) -> tokio::task::JoinHandle<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    rig.harness
        .app
        .media
        .set(prolink_embedded::serve::simulator_media_source(
            addr,
            &rig.harness.app.secrets.secrets,
        ));
    let router = rig.harness.app.router.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    })
}

/// A citizen's photo through the simulator's API: stored for its Graph endpoint and posted
/// through the signed webhook. Returns the media id.
async fn send_photo(rig: &Rig, citizen: Citizen, bytes: &[u8]) -> String {
    let request = json!({
        "from": citizen.number,
        "name": citizen.name,
        "image": {
            "data_base64": base64::engine::general_purpose::STANDARD.encode(bytes),
            "mime_type": "image/jpeg",
        },
    });
    let response = rig
        .harness
        .router()
        .oneshot(
            Request::post("/simulator/api/send")
                .header("content-type", "application/json")
                .body(Body::from(request.to_string()))
                .expect("request"),
        )
        .await
        .expect("infallible");
    assert_eq!(response.status(), 200);
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    let accepted: Value = serde_json::from_slice(&body).expect("json");
    rig.harness.drain_with(&rig.dialog).await;
    accepted["media_id"]
        .as_str()
        .expect("a media id")
        .to_string()
}

#[tokio::test]
async fn a_photo_from_the_simulator_is_copied_into_the_blob_folder() {
    let rig = Rig::new();
    let server = serve(&rig).await;
    rig.start_form(SARI, "photo", ROAD, Say::Text(ADDRESS))
        .await;
    let bytes = jpeg(20_000);
    let media_id = send_photo(&rig, SARI, &bytes).await;
    let complaint = rig.finish_form(SARI, "photo", "aduan:privasi:biasa").await;
    let ticket = complaint.ticket.clone();
    assert_eq!(complaint.photos.len(), 1, "{:#?}", complaint.photos);
    assert_eq!(complaint.photos[0].media_id, media_id);
    assert_eq!(complaint.photos[0].stored_key, None);

    // The local mode's own consumer and worker, as `prolink serve` runs them.
    let app = &rig.harness.app;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let consumer = tokio::spawn(prolink_embedded::serve::run_complaint_worker(
        app.tasks.clone(),
        app.complaint_worker.clone(),
        app.clock.clone(),
        stopped,
    ));
    let mut stored = None;
    for _ in 0..500 {
        let photo = rig.complaint(&ticket).await.photos[0].clone();
        if photo.stored_key.is_some() && app.tasks.depth().await.expect("depth") == 0 {
            stored = Some(photo);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.send(true).expect("stop");
    consumer.await.expect("the consumer stops");
    server.abort();

    let photo = stored.expect("the photo was copied and every task acknowledged");
    let key = format!("complaints/{ticket}/{media_id}.jpg");
    assert_eq!(photo.stored_key.as_deref(), Some(key.as_str()));
    assert_eq!(photo.fetch_error, None);
    assert_eq!(
        photo.sha256.as_deref(),
        Some(hex::encode(Sha256::digest(&bytes)).as_str())
    );
    let (blob, content_type) = app
        .complaint_worker
        .blobs
        .get_blob(&key)
        .await
        .expect("read")
        .expect("the blob exists");
    assert_eq!(blob, bytes);
    assert_eq!(content_type, "image/jpeg");
    let file = rig.harness.dir().join("data").join(BLOBS_DIR).join(&key);
    assert_eq!(
        std::fs::read(&file).expect("the file is in the data folder"),
        bytes
    );
    let alerts = rig.alerts("complaint_new", &ticket).await;
    assert_eq!(alerts.len(), 1);
    assert!(
        alerts[0].message.contains("Foto: 1"),
        "{}",
        alerts[0].message
    );
}

fn resend_notices(outbox: &[Value], ticket: &str) -> usize {
    outbox
        .iter()
        .filter(|body| text_of(body).contains(&format!("Foto aduan {ticket}")))
        .count()
}

#[tokio::test]
async fn a_photo_gone_from_whatsapp_is_marked_and_the_citizen_asked_once() {
    let rig = Rig::new();
    let server = serve(&rig).await;
    let now = now_ms();
    rig.start_form(SARI, "gone", ROAD, Say::Text(ADDRESS)).await;
    // A media id the simulator never stored: Graph answers "does not exist" (code 100).
    let sha = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"gone"));
    rig.say(
        SARI,
        "wamid.gone.image",
        Say::Image {
            id: "1999999999999999",
            sha256: &sha,
        },
    )
    .await;
    let complaint = rig.finish_form(SARI, "gone", "aduan:privasi:biasa").await;
    let ticket = complaint.ticket.clone();
    assert_eq!(complaint.photos.len(), 1);

    let worker = rig.worker_at(day_inside_window(now));
    let ran = rig.run_tasks(&worker).await;
    server.abort();
    assert_all_done(&ran);
    let copy = only(&ran, |t| matches!(t, Task::CopyMedia { .. }));
    assert_eq!(
        copy.task,
        Task::CopyMedia {
            ticket: ticket.clone(),
            media_id: "1999999999999999".into()
        }
    );
    let photo = rig.complaint(&ticket).await.photos[0].clone();
    assert_eq!(photo.fetch_error.as_deref(), Some(REASON_GONE));
    assert_eq!(photo.stored_key, None);

    let outbox = rig.outbox(SARI).await;
    assert_eq!(resend_notices(&outbox, &ticket), 1, "{outbox:#?}");
    let notice = outbox
        .iter()
        .find(|body| text_of(body).contains(&format!("Foto aduan {ticket}")))
        .expect("notice");
    assert_eq!(notice["type"], "text", "inside the window: free-form");
    assert!(text_of(notice).contains("kirim ulang"), "{notice}");

    // Redelivered on the last receive, after a crash before the mark: still one notice.
    rig.redeliver_after_crash(
        day_inside_window(now) + 60_000,
        &copy.item,
        config::TASKS_MAX_RECEIVES,
    )
    .await;
    assert_eq!(resend_notices(&rig.outbox(SARI).await, &ticket), 1);
}

#[tokio::test]
async fn a_photo_that_keeps_failing_is_given_up_on_the_final_attempt_only() {
    // No server listening: the media source is not ready, a temporary failure.
    let rig = Rig::new();
    let now = now_ms();
    rig.start_form(SARI, "late", ROAD, Say::Text(ADDRESS)).await;
    let sha = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"late"));
    rig.say(
        SARI,
        "wamid.late.image",
        Say::Image {
            id: "1888888888888888",
            sha256: &sha,
        },
    )
    .await;
    let ticket = rig
        .finish_form(SARI, "late", "aduan:privasi:biasa")
        .await
        .ticket;
    let deliveries: Vec<Delivery> = rig
        .harness
        .app
        .tasks
        .receive(10, Duration::from_secs(60))
        .await
        .expect("receive");
    let copy = deliveries
        .iter()
        .map(TaskItem::from)
        .find(|item| item.body.contains("copy_media"))
        .expect("a photo task");

    let worker = rig.worker_at(day_inside_window(now));
    for receive_count in 1..config::TASKS_MAX_RECEIVES - 1 {
        let attempt = TaskItem {
            receive_count,
            ..copy.clone()
        };
        assert_eq!(
            worker.process_batch(&[attempt]).await,
            [TaskOutcome::Retry],
            "attempt {receive_count}"
        );
    }
    let photo = rig.complaint(&ticket).await.photos[0].clone();
    assert_eq!(
        photo.fetch_error, None,
        "not given up before the final attempt"
    );
    assert_eq!(resend_notices(&rig.outbox(SARI).await, &ticket), 0);

    let last = TaskItem {
        receive_count: config::TASKS_MAX_RECEIVES - 1,
        ..copy.clone()
    };
    assert_eq!(worker.process_batch(&[last]).await, [TaskOutcome::Done]);
    let photo = rig.complaint(&ticket).await.photos[0].clone();
    assert_eq!(photo.fetch_error.as_deref(), Some(REASON_GAVE_UP));
    assert_eq!(resend_notices(&rig.outbox(SARI).await, &ticket), 1);

    // A task for a photo the complaint does not hold marks nothing and asks for nothing.
    let stray = Task::CopyMedia {
        ticket: ticket.clone(),
        media_id: "1777777777777777".into(),
    };
    let item = TaskItem {
        message_id: "stray".into(),
        body: stray.to_message().body,
        receive_count: config::TASKS_MAX_RECEIVES,
    };
    assert_eq!(worker.process_batch(&[item]).await, [TaskOutcome::Done]);
    assert_eq!(rig.complaint(&ticket).await.photos.len(), 1);
    assert_eq!(resend_notices(&rig.outbox(SARI).await, &ticket), 1);
}

// ---------------------------------------------------------------------------------------------
// Status notices: window, templates, quiet hours, redelivery
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn status_notices_are_free_form_inside_the_window_and_templates_outside() {
    let rig = Rig::new();
    let now = now_ms();
    let ticket = rig.file(SARI, "window", Say::Text(ADDRESS)).await.ticket;
    assert_all_done(&rig.run_tasks(&rig.worker_at(day_inside_window(now))).await);
    let mut seen = rig.outbox(SARI).await.len();

    // Inside the window: the free-form message.
    rig.operator(&ticket, "op.forward", Status::Diteruskan, None)
        .await;
    let ran = rig.run_tasks(&rig.worker_at(day_inside_window(now))).await;
    assert_eq!(ran.len(), 1);
    assert_eq!(
        ran[0].task,
        Task::StatusChanged {
            ticket: ticket.clone(),
            event_id: "op.forward".into()
        }
    );
    assert_eq!(ran[0].outcome, TaskOutcome::Done);
    let outbox = rig.outbox(SARI).await;
    assert_eq!(outbox.len(), seen + 1, "{outbox:#?}");
    let notice = &outbox[seen];
    assert_eq!(notice["type"], "text", "{notice}");
    let text = text_of(notice);
    assert!(
        text.contains(&format!("Perkembangan aduan {ticket}")),
        "{text}"
    );
    assert!(text.contains("Diteruskan ke OPD"), "{text}");
    assert!(text.contains(&format!("CEK {ticket}")), "{text}");
    seen = outbox.len();

    // More than 24 hours after the citizen's last message: the approved template.
    let note = "Mohon kirim foto lubang jalan dari dekat.";
    rig.operator(&ticket, "op.ask", Status::PerluDilengkapi, Some(note))
        .await;
    rig.operator(&ticket, "op.work", Status::Diproses, None)
        .await;
    rig.operator(
        &ticket,
        "op.done",
        Status::Selesai,
        Some("Lubang sudah ditambal aspal."),
    )
    .await;
    let ran = rig.run_tasks(&rig.worker_at(day_outside_window(now))).await;
    assert_eq!(ran.len(), 3);
    assert_all_done(&ran);
    let outbox = rig.outbox(SARI).await;
    assert_eq!(outbox.len(), seen + 3, "{outbox:#?}");

    let (name, texts, payloads) = template_parts(&outbox[seen]);
    assert_eq!(name, "aduan_status");
    assert_eq!(texts[0], ticket);
    assert_eq!(texts[1], "Perlu dilengkapi");
    assert!(texts[2].contains(note), "{texts:?}");
    assert!(payloads.is_empty());
    for text in &texts {
        assert!(
            !text.contains('\n'),
            "template parameters are one line: {text:?}"
        );
    }

    let (name, texts, _) = template_parts(&outbox[seen + 1]);
    assert_eq!(name, "aduan_status");
    assert_eq!(texts[1], "Sedang diproses");

    let (name, texts, payloads) = template_parts(&outbox[seen + 2]);
    assert_eq!(name, "aduan_selesai");
    assert_eq!(texts[0], ticket);
    assert!(texts[2].contains("ditambal"), "{texts:?}");
    assert_eq!(
        payloads,
        [
            format!("aduan:sudah:{ticket}"),
            format!("aduan:belum:{ticket}")
        ]
    );
}

#[tokio::test]
async fn a_notice_at_night_waits_until_six_in_the_morning() {
    let rig = Rig::new();
    let now = now_ms();
    let ticket = rig.file(SARI, "night", Say::Text(ADDRESS)).await.ticket;
    assert_all_done(&rig.run_tasks(&rig.worker_at(day_inside_window(now))).await);
    let seen = rig.outbox(SARI).await.len();
    rig.operator(&ticket, "op.forward", Status::Diteruskan, None)
        .await;

    let night = next_wib(now, 22, 30);
    let morning = next_wib(night, 6, 0);
    assert!(morning - night == 7 * HOUR_MS + 30 * 60_000);
    let ran = rig.run_tasks(&rig.worker_at(night)).await;
    assert_eq!(ran.len(), 1);
    assert_eq!(ran[0].outcome, TaskOutcome::Defer(morning));
    assert_eq!(
        rig.outbox(SARI).await.len(),
        seen,
        "nothing is sent at night"
    );
    // Hidden until the morning, not given back to the next receive.
    assert!(rig
        .harness
        .app
        .tasks
        .receive(10, Duration::from_secs(60))
        .await
        .expect("receive")
        .is_empty());

    // Just before six it still waits, for the same morning.
    let early = rig.worker_at(morning - 1_000);
    assert_eq!(
        early.process_batch(&[redelivery(&ran[0].item, 2)]).await,
        [TaskOutcome::Defer(morning)]
    );
    assert_eq!(rig.outbox(SARI).await.len(), seen);

    let at_six = rig.worker_at(morning);
    assert_eq!(
        at_six.process_batch(&[redelivery(&ran[0].item, 3)]).await,
        [TaskOutcome::Done]
    );
    let outbox = rig.outbox(SARI).await;
    assert_eq!(outbox.len(), seen + 1);
    // Free-form or template depends on how long ago the citizen wrote; either says it.
    assert!(
        outbox[seen].to_string().contains("Diteruskan ke OPD"),
        "{}",
        outbox[seen]
    );
}

#[tokio::test]
async fn a_redelivered_status_task_sends_one_message() {
    let rig = Rig::new();
    let now = now_ms();
    let ticket = rig.file(SARI, "again", Say::Text(ADDRESS)).await.ticket;
    assert_all_done(&rig.run_tasks(&rig.worker_at(day_inside_window(now))).await);
    let seen = rig.outbox(SARI).await.len();
    rig.operator(&ticket, "op.forward", Status::Diteruskan, None)
        .await;
    // The operator's request retried: the same event, recognised, queued under the same id.
    rig.operator(&ticket, "op.forward", Status::Diteruskan, None)
        .await;
    assert_eq!(rig.complaint(&ticket).await.events.len(), 2);

    let ran = rig.run_tasks(&rig.worker_at(day_inside_window(now))).await;
    assert_eq!(ran.len(), 1, "one task for one event");
    assert_eq!(rig.outbox(SARI).await.len(), seen + 1);

    let item = &ran[0].item;
    let worker = rig.worker_at(day_inside_window(now));
    assert_eq!(
        worker.process_batch(&[redelivery(item, 2)]).await,
        [TaskOutcome::Done]
    );
    // A crash before the mark, inside the window and then outside it: the derived outbox id
    // is already sent, so neither the message nor its template goes again.
    for at in [day_inside_window(now) + 60_000, day_outside_window(now)] {
        rig.redeliver_after_crash(at, item, 3).await;
    }
    let outbox = rig.outbox(SARI).await;
    assert_eq!(outbox.len(), seen + 1, "{outbox:#?}");
    assert_eq!(rig.complaint(&ticket).await.events.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// After `selesai`: reopening and rating
// ---------------------------------------------------------------------------------------------

/// Forwarded, worked on and declared done by the OPD; the notices sent inside the window.
async fn resolve(rig: &Rig, ticket: &str, at: i64) {
    rig.operator(ticket, "op.forward", Status::Diteruskan, None)
        .await;
    rig.operator(ticket, "op.work", Status::Diproses, None)
        .await;
    rig.operator(
        ticket,
        "op.done",
        Status::Selesai,
        Some("Lubang sudah ditambal aspal."),
    )
    .await;
    assert_all_done(&rig.run_tasks(&rig.worker_at(at)).await);
}

#[tokio::test]
async fn not_resolved_reopens_and_alerts_the_opd_once_and_a_rating_closes() {
    let rig = Rig::new();
    let now = now_ms();
    let day = day_inside_window(now);
    let ticket = rig.file(SARI, "reopen", Say::Text(ADDRESS)).await.ticket;
    assert_all_done(&rig.run_tasks(&rig.worker_at(day)).await);
    resolve(&rig, &ticket, day).await;

    let outbox = rig.outbox(SARI).await;
    let done = outbox.last().expect("the selesai notice");
    assert_eq!(done["type"], "interactive", "{done}");
    assert!(text_of(done).contains("Selesai ditangani"), "{done}");
    assert_eq!(
        choice_ids(done),
        [
            format!("aduan:sudah:{ticket}"),
            format!("aduan:belum:{ticket}")
        ]
    );

    // "Belum selesai": reopened by the dialog, the OPD alerted by the worker.
    rig.say(
        SARI,
        "wamid.reopen.belum",
        Say::Button(&format!("aduan:belum:{ticket}")),
    )
    .await;
    let reopened = rig.complaint(&ticket).await;
    assert_eq!(reopened.status, Status::DibukaKembali);
    let event_id = reopened.events.last().expect("event").id.clone();
    let ran = rig.run_tasks(&rig.worker_at(day)).await;
    assert_eq!(ran.len(), 1);
    assert_eq!(
        ran[0].task,
        Task::CitizenUpdate {
            ticket: ticket.clone(),
            event_id
        }
    );
    assert_eq!(ran[0].outcome, TaskOutcome::Done);
    rig.redeliver_after_crash(day + 60_000, &ran[0].item, 2)
        .await;
    let alerts = rig.alerts("complaint_update", &ticket).await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert!(
        alerts[0].message.contains("BELUM SELESAI"),
        "{}",
        alerts[0].message
    );
    assert!(!alerts[0].message.contains(SARI.number));

    // Another citizen: "Sudah selesai", then five stars.
    let other = rig.file(BUDI, "rate", Say::Text(ADDRESS)).await.ticket;
    assert_all_done(&rig.run_tasks(&rig.worker_at(day)).await);
    resolve(&rig, &other, day).await;
    rig.say(
        BUDI,
        "wamid.rate.sudah",
        Say::Button(&format!("aduan:sudah:{other}")),
    )
    .await;
    let ask = rig.outbox(BUDI).await.last().cloned().expect("rating list");
    assert!(
        choice_ids(&ask).contains(&format!("aduan:nilai:{other}:5")),
        "{ask}"
    );
    assert_eq!(rig.complaint(&other).await.status, Status::Selesai);
    rig.say(
        BUDI,
        "wamid.rate.five",
        Say::Row(&format!("aduan:nilai:{other}:5")),
    )
    .await;
    let closed = rig.complaint(&other).await;
    assert_eq!(closed.status, Status::Ditutup);
    assert_eq!(closed.rating.as_ref().map(|r| r.score), Some(5));
    let ran = rig.run_tasks(&rig.worker_at(day)).await;
    assert_eq!(ran.len(), 1);
    assert!(matches!(&ran[0].task, Task::CitizenUpdate { ticket, .. } if *ticket == other));
    let alerts = rig.alerts("complaint_update", &other).await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert!(alerts[0].message.contains("5/5"), "{}", alerts[0].message);
    // The first complaint's alert is its own.
    assert_eq!(rig.alerts("complaint_update", &ticket).await.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Duplicates: the offer, following, and the followers' news
// ---------------------------------------------------------------------------------------------

const PASAR: (f64, f64) = (-7.754_30, 113.215_90);
/// About 30 m north of [`PASAR`].
const NEAR_PASAR: (f64, f64) = (-7.754_03, 113.215_90);

#[tokio::test]
async fn a_nearby_report_is_offered_to_follow_and_followers_hear_the_news() {
    let rig = Rig::new();
    let now = now_ms();
    let day = day_inside_window(now);
    let first = rig
        .file(SARI, "dup-a", Say::Pin(PASAR.0, PASAR.1))
        .await
        .ticket;
    assert_all_done(&rig.run_tasks(&rig.worker_at(day)).await);
    let sari_seen = rig.outbox(SARI).await.len();
    let alert = rig.alerts("complaint_new", &first).await;
    assert!(
        alert[0].message.contains("Sari Wulandari"),
        "biasa: the OPD sees the name: {}",
        alert[0].message
    );
    assert!(!alert[0].message.contains(SARI.number));

    let second = rig
        .file(BUDI, "dup-b", Say::Pin(NEAR_PASAR.0, NEAR_PASAR.1))
        .await
        .ticket;
    let budi_seen = rig.outbox(BUDI).await.len();
    let ran = rig.run_tasks(&rig.worker_at(day)).await;
    assert_all_done(&ran);
    let submitted = only(&ran, |t| matches!(t, Task::ComplaintSubmitted { .. }));
    let linked = rig.complaint(&second).await;
    assert_eq!(linked.duplicate_of.as_deref(), Some(first.as_str()));
    let outbox = rig.outbox(BUDI).await;
    assert_eq!(outbox.len(), budi_seen + 1, "{outbox:#?}");
    let offer = &outbox[budi_seen];
    assert!(text_of(offer).contains(&first), "{offer}");
    assert!(
        !text_of(offer).contains("pasar berlubang"),
        "never the other's words"
    );
    assert_eq!(
        choice_ids(offer),
        [
            format!("aduan:ikut:{second}"),
            format!("aduan:pisah:{second}")
        ]
    );
    let alert = rig.alerts("complaint_new", &second).await;
    assert_eq!(alert.len(), 1);
    assert!(
        alert[0]
            .message
            .contains(&format!("sama dengan aduan {first}")),
        "the OPD sees the probable duplicate: {}",
        alert[0].message
    );
    assert_eq!(
        rig.outbox(SARI).await.len(),
        sari_seen,
        "the first reporter hears nothing"
    );

    // Redelivered after a crash before the mark: no second offer, no second alert.
    rig.redeliver_after_crash(day + 60_000, &submitted.item, 2)
        .await;
    assert_eq!(rig.outbox(BUDI).await.len(), budi_seen + 1);
    assert_eq!(rig.alerts("complaint_new", &second).await.len(), 1);

    // "Ikut melapor": Budi's complaint is withdrawn into Sari's, which he now follows.
    rig.say(
        BUDI,
        "wamid.dup-b.ikut",
        Say::Button(&format!("aduan:ikut:{second}")),
    )
    .await;
    assert_eq!(rig.complaint(&second).await.status, Status::Dicabut);
    assert_eq!(rig.complaint(&first).await.followers, [BUDI.number]);
    assert_all_done(&rig.run_tasks(&rig.worker_at(day)).await);

    // The OPD works on the original: reporter and follower both hear of it.
    let sari_seen = rig.outbox(SARI).await.len();
    let budi_seen = rig.outbox(BUDI).await.len();
    resolve(&rig, &first, day).await;
    let sari = rig.outbox(SARI).await;
    let budi = rig.outbox(BUDI).await;
    assert_eq!(sari.len(), sari_seen + 3, "{sari:#?}");
    assert_eq!(budi.len(), budi_seen + 3, "{budi:#?}");
    let forwarded = text_of(&budi[budi_seen]);
    assert!(
        forwarded.contains(&format!("Perkembangan aduan {first}")),
        "{forwarded}"
    );
    assert!(forwarded.contains("aduan yang Anda ikuti"), "{forwarded}");
    assert!(!text_of(&sari[sari_seen]).contains("aduan yang Anda ikuti"));

    let reporter_done = sari.last().expect("selesai");
    assert_eq!(
        choice_ids(reporter_done),
        [
            format!("aduan:sudah:{first}"),
            format!("aduan:belum:{first}")
        ]
    );
    let follower_done = budi.last().expect("selesai");
    assert_eq!(
        follower_done["type"], "text",
        "no buttons for a follower: {follower_done}"
    );
    assert!(text_of(follower_done).contains("Selesai ditangani"));
    assert!(!follower_done.to_string().contains("aduan:sudah"));
    assert!(!text_of(follower_done).contains(&format!("CEK {first}")));
}

#[tokio::test]
async fn a_link_written_before_a_crash_still_gets_its_offer() {
    let rig = Rig::new();
    let day = day_inside_window(now_ms());
    let first = rig
        .file(SARI, "link-a", Say::Pin(PASAR.0, PASAR.1))
        .await
        .ticket;
    assert_all_done(&rig.run_tasks(&rig.worker_at(day)).await);
    let second = rig
        .file(BUDI, "link-b", Say::Pin(NEAR_PASAR.0, NEAR_PASAR.1))
        .await;
    // An earlier delivery linked the complaint, then crashed before telling the citizen.
    let mut linked = second.clone();
    linked.duplicate_of = Some(first.clone());
    rig.harness
        .app
        .store
        .update_complaint(&linked)
        .await
        .expect("link");
    let seen = rig.outbox(BUDI).await.len();
    assert_all_done(&rig.run_tasks(&rig.worker_at(day)).await);
    let outbox = rig.outbox(BUDI).await;
    assert_eq!(outbox.len(), seen + 1, "{outbox:#?}");
    assert_eq!(
        choice_ids(&outbox[seen]),
        [
            format!("aduan:ikut:{}", second.ticket),
            format!("aduan:pisah:{}", second.ticket)
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Lambda: deferral through the SQS event
// ---------------------------------------------------------------------------------------------

/// The SQLite queue, recording every visibility change.
struct RecordingQueue {
    inner: Arc<SqliteQueue>,
    changes: Mutex<Vec<(String, Duration)>>,
}

#[async_trait]
impl Queue for RecordingQueue {
    async fn send_batch(&self, messages: &[OutgoingMessage]) -> PortResult<()> {
        self.inner.send_batch(messages).await
    }
    async fn receive(&self, max: usize, visibility: Duration) -> PortResult<Vec<Delivery>> {
        self.inner.receive(max, visibility).await
    }
    async fn delete(&self, receipt: &str) -> PortResult<()> {
        self.inner.delete(receipt).await
    }
    async fn change_visibility(&self, receipt: &str, visibility: Duration) -> PortResult<()> {
        self.changes
            .lock()
            .expect("lock")
            .push((receipt.to_string(), visibility));
        self.inner.change_visibility(receipt, visibility).await
    }
    async fn dead_letters(&self, max: usize) -> PortResult<Vec<Delivery>> {
        self.inner.dead_letters(max).await
    }
}

fn sqs_record(delivery: &Delivery) -> Value {
    json!({
        "messageId": delivery.message_id,
        "receiptHandle": delivery.receipt,
        "body": delivery.body,
        "attributes": { "ApproximateReceiveCount": delivery.receive_count.to_string() },
        "messageAttributes": {},
        "eventSource": "aws:sqs",
    })
}

#[tokio::test]
async fn the_lambda_handler_defers_a_night_task_and_reports_it_failed() {
    let rig = Rig::new();
    let now = now_ms();
    let ticket = rig.file(SARI, "lambda", Say::Text(ADDRESS)).await.ticket;
    let seen = rig.outbox(SARI).await.len();
    rig.operator(&ticket, "op.forward", Status::Diteruskan, None)
        .await;
    let queue = RecordingQueue {
        inner: rig.harness.app.tasks.clone(),
        changes: Mutex::new(Vec::new()),
    };
    let deliveries = queue
        .receive(10, Duration::from_secs(60))
        .await
        .expect("receive");
    assert_eq!(
        deliveries.len(),
        3,
        "the submission, the operators' message and the status change"
    );
    let operators = deliveries
        .iter()
        .find(|d| d.body.contains("operators_new_complaint"))
        .expect("operators task");
    // No operator numbers here: nothing to hold for the morning.
    queue.delete(&operators.receipt).await.expect("delete");
    let status = deliveries
        .iter()
        .find(|d| d.body.contains("status_changed"))
        .expect("status task");
    let submitted = deliveries
        .iter()
        .find(|d| d.body.contains("complaint_submitted"))
        .expect("submission task");
    let mut records = vec![sqs_record(submitted), sqs_record(status)];
    records.push(
        json!({ "messageId": "garbage-1", "receiptHandle": "r-garbage", "body": "{not json" }),
    );
    records.push(json!({ "receiptHandle": "r-anonymous", "body": "{}" }));
    let event: SqsEvent = serde_json::from_value(json!({ "Records": records })).expect("SQS event");

    let night = next_wib(now, 22, 30);
    let morning = next_wib(night, 6, 0);
    let worker = rig.worker_at(night);
    let response = handle_task_batch(&worker, &queue, event).await;
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, [status.message_id.as_str(), "garbage-1"]);
    let changes = queue.changes.lock().expect("lock").clone();
    assert_eq!(
        changes,
        [(
            status.receipt.clone(),
            Duration::from_millis(u64::try_from(morning - night).expect("positive"))
        )]
    );
    // The submission ran (alert raised); the status notice waits.
    assert_eq!(rig.alerts("complaint_new", &ticket).await.len(), 1);
    assert_eq!(rig.outbox(SARI).await.len(), seen);
    // SQS deletes what the response did not report; the deferred message stays hidden past
    // the 60 seconds it was received for, until the morning.
    queue.delete(&submitted.receipt).await.expect("delete");
    let app_clock = &rig.harness.app.clock;
    app_clock.advance_ms(61_000);
    assert!(queue
        .receive(10, Duration::from_secs(60))
        .await
        .expect("receive")
        .is_empty());
    app_clock.advance_ms(morning - night - 61_000);
    let again = queue
        .receive(10, Duration::from_secs(60))
        .await
        .expect("receive");
    assert_eq!(again.len(), 1, "{again:#?}");
    assert_eq!(again[0].message_id, status.message_id);
    assert_eq!(again[0].receive_count, 2);

    // In the morning the same message is done: not failed, visibility untouched.
    let worker = rig.worker_at(morning);
    let event: SqsEvent =
        serde_json::from_value(json!({ "Records": [sqs_record(&again[0])] })).expect("event");
    let response = handle_task_batch(&worker, &queue, event).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(queue.changes.lock().expect("lock").len(), 1);
    let outbox = rig.outbox(SARI).await;
    assert_eq!(outbox.len(), seen + 1);
    assert!(outbox[seen].to_string().contains("Diteruskan ke OPD"));
}
