//! Complaints through the dialog worker on the SQLite store: what must hold when messages are
//! redelivered, when an operator changes the same complaint at the same moment, and when a
//! ticket id is already taken.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use prolink_app::ports::{ComplaintStore, OperatorSignals, PortResult, Queue, SessionStore};
use prolink_app::webhook_item::{webhook_items, WebhookItem};
use prolink_app::worker::{BatchItem, DialogWorker};
use prolink_domain::{
    complaint::{self, ticket_for, Actor, Change, Complaint, Rules, Sla, Status},
    content,
};
use prolink_whatsapp::webhook::parse_payload;

use crate::app::{interactive_payload, text_payload};
use crate::support::{seed, wib, ManualClock, TestApp};

const SARI: &str = "6281255500011";

/// One step of a conversation: what the citizen sends.
enum Step<'a> {
    Text(&'a str),
    Button(&'a str),
    Row(&'a str),
}

async fn say(harness: &TestApp, wamid: &str, step: Step<'_>) {
    let body = match step {
        Step::Text(text) => text_payload(SARI, "Sari", wamid, text),
        Step::Button(id) => interactive_payload(SARI, "Sari", wamid, "button_reply", id),
        Step::Row(id) => interactive_payload(SARI, "Sari", wamid, "list_reply", id),
    };
    assert_eq!(harness.post_signed(&body).await, 200);
    harness.drain().await;
}

/// Consent, a road complaint with a typed address, no photo: everything up to the summary.
async fn fill_form(harness: &TestApp, prefix: &str) {
    fill_form_with_privacy(harness, prefix, "aduan:privasi:biasa").await;
}

async fn fill_form_with_privacy(harness: &TestApp, prefix: &str, privacy: &str) {
    let steps = [
        Step::Button("btn:aduan"),
        Step::Button("aduan:setuju"),
        Step::Row("complaint:jalan-rusak"),
        Step::Text("Jalan di depan pasar berlubang besar sejak seminggu, motor sering jatuh."),
        Step::Text("Jl. Panglima Sudirman 10, Kelurahan Jati"),
        Step::Button("aduan:foto-selesai"),
        Step::Button(privacy),
    ];
    for (n, step) in steps.into_iter().enumerate() {
        say(harness, &format!("wamid.{prefix}.{n}"), step).await;
    }
}

/// A filed complaint of Sari's: the form, then *Kirim* as `wamid.{prefix}.kirim`. Returns the
/// ticket.
async fn file_complaint(harness: &TestApp, prefix: &str) -> String {
    fill_form(harness, prefix).await;
    say(
        harness,
        &format!("wamid.{prefix}.kirim"),
        Step::Button("aduan:kirim"),
    )
    .await;
    complaints_of_sari(harness).await[0].ticket.clone()
}

/// Sari confirms withdrawing `ticket` (`wamid.{prefix}.withdraw`), handled by `worker`.
async fn withdraw_with(harness: &TestApp, worker: &DialogWorker, prefix: &str, ticket: &str) {
    let confirm = format!("aduan:cabut:{ticket}");
    let wamid = format!("wamid.{prefix}.withdraw");
    let body = interactive_payload(SARI, "Sari", &wamid, "button_reply", &confirm);
    assert_eq!(harness.post_signed(&body).await, 200);
    harness.drain_with(worker).await;
}

async fn complaints_of_sari(harness: &TestApp) -> Vec<Complaint> {
    harness
        .app
        .store
        .complaints_of_citizen(SARI, 10)
        .await
        .expect("list")
}

fn text_of(reply: &Value) -> String {
    reply["text"]["body"]
        .as_str()
        .or(reply["interactive"]["body"]["text"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// The queue item of one webhook body, as the worker would receive it again after a crash
/// (a fresh dedup id: the crash came before the "done" mark).
fn redelivery_of(body: &[u8], attempt: usize) -> BatchItem {
    let payload = parse_payload(body).expect("payload parses");
    let item = webhook_items(&payload)
        .into_iter()
        .find(|item| matches!(item, WebhookItem::Message { .. }))
        .expect("a message");
    BatchItem {
        message_id: format!("redelivery-{attempt}"),
        group_id: item.group_id(),
        dedup_id: format!("crash-{attempt}"),
        body: serde_json::to_string(&item).expect("item json"),
    }
}

#[tokio::test]
async fn a_redelivered_kirim_never_creates_a_second_ticket() {
    let harness = TestApp::new();
    fill_form(&harness, "redeliver").await;
    let before_kirim = harness
        .app
        .store
        .load_session(SARI)
        .await
        .expect("load")
        .expect("session exists");

    let kirim = interactive_payload(
        SARI,
        "Sari",
        "wamid.redeliver.kirim",
        "button_reply",
        "aduan:kirim",
    );
    // Meta retries the same notification.
    for _ in 0..3 {
        assert_eq!(harness.post_signed(&kirim).await, 200);
    }
    harness.drain().await;
    let stored = complaints_of_sari(&harness).await;
    assert_eq!(stored.len(), 1, "{stored:#?}");
    let ticket = stored[0].ticket.clone();
    assert_eq!(ticket, ticket_for("wamid.redeliver.kirim", 0));
    let confirmations = |outbox: &[Value]| {
        outbox
            .iter()
            .filter(|body| text_of(body).contains(&ticket) && text_of(body).contains("Nomor tiket"))
            .count()
    };
    assert_eq!(confirmations(&harness.outbox_for(SARI).await), 1);

    // A crash after the complaint was stored but before the session was saved: the worker
    // runs the whole turn again from the old session.
    let current = harness
        .app
        .store
        .load_session(SARI)
        .await
        .expect("load")
        .expect("session");
    let mut rewound = before_kirim.clone();
    rewound.version = current.version;
    harness
        .app
        .store
        .save_session(&rewound)
        .await
        .expect("rewind the session");
    let outcome = harness
        .worker
        .process_batch(&[redelivery_of(&kirim, 1)])
        .await;
    assert!(outcome.failed.is_empty(), "{outcome:?}");

    let stored = complaints_of_sari(&harness).await;
    assert_eq!(stored.len(), 1, "still one complaint: {stored:#?}");
    assert_eq!(stored[0].version, 1, "and it was not written again");
    assert_eq!(confirmations(&harness.outbox_for(SARI).await), 1);
}

#[tokio::test]
async fn a_taken_ticket_id_moves_the_new_complaint_to_the_next_one() {
    let harness = TestApp::new();
    fill_form(&harness, "collide").await;
    let kirim_wamid = "wamid.collide.kirim";
    let taken = ticket_for(kirim_wamid, 0);
    let seed = seed();
    let rules = Rules {
        sla: Sla {
            response_days: 3,
            resolution_days: 14,
        },
        holidays: &seed.holidays,
    };
    let other = complaint::submit(
        complaint::Submission {
            ticket: taken.clone(),
            citizen_key: "6289999999999".into(),
            reporter_name: None,
            category_id: "jalan-rusak".into(),
            opd_id: "dpupr-pkp".into(),
            description: "Aduan warga lain dengan nomor tiket yang sama".into(),
            location: None,
            photos: Vec::new(),
            privacy: Default::default(),
            source_wamid: "wamid.someone-else".into(),
            at_ms: chrono::Utc::now().timestamp_millis(),
        },
        &rules,
    );
    assert!(harness
        .app
        .store
        .create_complaint(&other)
        .await
        .expect("create")
        .is_none());

    say(&harness, kirim_wamid, Step::Button("aduan:kirim")).await;
    let mine = complaints_of_sari(&harness).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].ticket, ticket_for(kirim_wamid, 1));
    let untouched = harness.complaint(&taken).await;
    assert_eq!(
        untouched,
        Complaint {
            version: 1,
            ..other
        }
    );
}

/// A store that lets an operator change the complaint right before the worker's first
/// update lands: the worker's write must lose and be re-decided, never overwrite.
struct OperatorRace {
    inner: Arc<prolink_embedded::sqlite::SqliteStore>,
    raced: std::sync::atomic::AtomicBool,
    holidays: content::HolidayCalendar,
}

complaint_store_passing_queries_to_inner! {
    OperatorRace,
    async fn create_complaint(&self, c: &Complaint) -> PortResult<Option<Complaint>> {
        self.inner.create_complaint(c).await
    }
    async fn get_complaint(&self, ticket: &str) -> PortResult<Option<Complaint>> {
        self.inner.get_complaint(ticket).await
    }
    async fn update_complaint(&self, c: &Complaint) -> PortResult<u64> {
        if !self.raced.swap(true, std::sync::atomic::Ordering::SeqCst) {
            let current = self
                .inner
                .get_complaint(&c.ticket)
                .await?
                .expect("complaint exists");
            let started = complaint::apply(
                &current,
                Change {
                    event_id: "op.start".into(),
                    at_ms: chrono::Utc::now().timestamp_millis(),
                    actor: Actor::operator("opd-dpupr-1"),
                    to: Status::Diproses,
                    public_note: Some("Tim sudah dijadwalkan menambal jalan.".into()),
                    internal_note: Some("Regu 2, Kamis".into()),
                },
                &Rules {
                    sla: Sla {
                        response_days: 3,
                        resolution_days: 14,
                    },
                    holidays: &self.holidays,
                },
            )
            .expect("operator may start work");
            self.inner.update_complaint(&started).await?;
        }
        self.inner.update_complaint(c).await
    }
}

#[tokio::test]
async fn a_withdrawal_racing_an_operator_loses_and_is_decided_again() {
    let harness = TestApp::new();
    let ticket = file_complaint(&harness, "race").await;
    // Forwarded to the OPD by Diskominfo (withdrawal is still allowed there).
    let seed = seed();
    let stored = harness.complaint(&ticket).await;
    let forwarded = complaint::apply(
        &stored,
        Change {
            event_id: "op.forward".into(),
            at_ms: chrono::Utc::now().timestamp_millis(),
            actor: Actor::operator("diskominfo-1"),
            to: Status::Diteruskan,
            public_note: None,
            internal_note: None,
        },
        &Rules {
            sla: Sla {
                response_days: 3,
                resolution_days: 14,
            },
            holidays: &seed.holidays,
        },
    )
    .expect("forward");
    harness
        .app
        .store
        .update_complaint(&forwarded)
        .await
        .expect("forwarded");

    let mut racing_worker = harness.dialog_worker();
    racing_worker.stores.complaints = Arc::new(OperatorRace {
        inner: harness.app.store.clone(),
        raced: Default::default(),
        holidays: seed.holidays.clone(),
    });
    withdraw_with(&harness, &racing_worker, "race", &ticket).await;

    let after = harness.complaint(&ticket).await;
    assert_eq!(
        after.status,
        Status::Diproses,
        "the operator's change stands"
    );
    assert!(after.has_event("op.start"));
    assert!(!after.events.iter().any(|e| e.to == Status::Dicabut));
    let last = harness.outbox_for(SARI).await;
    let answer = text_of(last.last().expect("a reply"));
    assert!(
        answer.contains("tidak bisa dicabut"),
        "the citizen is told why: {answer}"
    );
}

#[tokio::test]
async fn a_deadline_beyond_the_holiday_table_raises_one_calendar_alert() {
    // Monday 21 December 2026, 10:00 WIB: 14 working days reach into January 2027, which
    // the seed's holiday table does not cover.
    let now = wib(2026, 12, 21, 10, 0);
    let harness = TestApp::builder().clock(ManualClock::at(now)).build();
    fill_form_with_privacy(&harness, "gap", "aduan:privasi:anonim").await;
    say(&harness, "wamid.gap.kirim", Step::Button("aduan:kirim")).await;
    let stored = complaints_of_sari(&harness).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].deadlines.calendar_gap.map(|gap| gap.year),
        Some(2027)
    );
    let alerts = harness.app.store.recent_alerts(10).await.expect("alerts");
    let calendar_alerts: Vec<_> = alerts.iter().filter(|a| a.kind == "calendar").collect();
    assert_eq!(calendar_alerts.len(), 1, "{alerts:#?}");
    assert!(calendar_alerts[0].message.contains("2027"));
}

/// A tasks queue whose first send fails, as if the worker crashed right after storing the
/// complaint change.
struct FailFirstSend {
    inner: Arc<dyn prolink_app::ports::Queue>,
    failed: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl prolink_app::ports::Queue for FailFirstSend {
    async fn send_batch(&self, messages: &[prolink_app::ports::OutgoingMessage]) -> PortResult<()> {
        if !self.failed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Err(prolink_app::ports::PortError::Backend(
                "crash before queueing".into(),
            ));
        }
        self.inner.send_batch(messages).await
    }
    async fn receive(
        &self,
        max: usize,
        visibility: std::time::Duration,
    ) -> PortResult<Vec<prolink_app::ports::Delivery>> {
        self.inner.receive(max, visibility).await
    }
    async fn delete(&self, receipt: &str) -> PortResult<()> {
        self.inner.delete(receipt).await
    }
    async fn change_visibility(
        &self,
        receipt: &str,
        visibility: std::time::Duration,
    ) -> PortResult<()> {
        self.inner.change_visibility(receipt, visibility).await
    }
    async fn dead_letters(&self, max: usize) -> PortResult<Vec<prolink_app::ports::Delivery>> {
        self.inner.dead_letters(max).await
    }
}

#[tokio::test]
async fn tasks_lost_to_a_crash_after_the_write_are_queued_by_the_redelivery() {
    let harness = TestApp::new();
    let ticket = file_complaint(&harness, "replay").await;

    let worker = harness.dialog_worker().with_tasks(Arc::new(FailFirstSend {
        inner: harness.app.tasks.clone(),
        failed: Default::default(),
    }));
    // First delivery: stored, then the queue fails; the redelivery finds the change stored.
    withdraw_with(&harness, &worker, "replay", &ticket).await;

    let stored = harness.complaint(&ticket).await;
    assert_eq!(stored.status, Status::Dicabut);
    assert_eq!(stored.version, 2, "written once");
    let mut queued = Vec::new();
    for delivery in harness
        .app
        .tasks
        .receive(50, std::time::Duration::from_secs(30))
        .await
        .expect("receive")
    {
        let task: prolink_app::tasks::Task =
            serde_json::from_str(&delivery.body).expect("task json");
        queued.push(task);
    }
    let withdrawal = prolink_app::tasks::Task::CitizenUpdate {
        ticket: ticket.clone(),
        event_id: "withdraw.wamid.replay.withdraw".into(),
    };
    assert!(queued.contains(&withdrawal), "{queued:#?}");
}
