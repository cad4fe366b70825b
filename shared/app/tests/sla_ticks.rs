//! The scheduler on the local SQLite store, with a clock the test sets: complaints received
//! just before Christmas 2026 are walked through the real calendar (cuti bersama 24 December,
//! Natal 25 December, the 2026/2027 year end with 2027 not yet in the holiday table) and
//! every reminder, escalation, progress note and automatic closing must happen at the WIB
//! date and time counted by hand below, once, however often and however concurrently the
//! scheduler ticks.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use chrono::{Datelike, NaiveDate, NaiveTime};
use serde_json::{json, Value};

use prolink_app::api::OPERATOR_CONTACTS_KEY;
use prolink_app::complaint_worker::{change_status, ComplaintWorker, TaskItem, TaskOutcome};
use prolink_app::content_import::{embedded_seed, import_bundle};
use prolink_app::notifier::OperatorDirectory;
use prolink_app::ports::{
    CitizenProfile, CitizenStore, ComplaintStore, Delivery, Messenger, OperatorSignals,
    OutboundMessage, OutboxReader, OutgoingMessage, PortError, PortResult, Queue, SendError,
    SendReceipt, SettingsStore, StoredSetting,
};
use prolink_app::scheduler::{Scheduler, SchedulerSettings, TickReport};
use prolink_app::tasks::Task;
use prolink_domain::{
    calendar,
    complaint::{self, ticket_for, Actor, Change, Complaint, Rules, Sla, Status, Submission},
    content::ContentBundle,
};

use crate::support::{wib, ManualClock, TestApp};

const OPD: &str = "dpupr-pkp";
const OPD_NUMBERS: [&str; 2] = ["6281330000001", "6281330000002"];
const SUPERVISOR: &str = "6281330000100";
const PIMPINAN: &str = "6281330000200";
const SARI: &str = "6281255500031";
const BUDI: &str = "6281255500032";
const ROAD: &str = "Jalan di depan pasar berlubang besar sejak seminggu, motor sering jatuh.";
const MINUTE_MS: i64 = 60_000;

/// "2026-12-21 07:30" (WIB) of an instant.
fn wib_text(ms: i64) -> String {
    calendar::wib_datetime(ms)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The times of day every walk ticks at: the minute before and the minute of the operators'
/// 07.30 and the citizens' 09.00, the day, the evening inside and the night outside the
/// quiet hours, the minute before and the minute of midnight (automatic closings).
const DAILY: [(u32, u32); 8] = [
    (0, 0),
    (7, 29),
    (7, 30),
    (8, 59),
    (9, 0),
    (13, 0),
    (21, 30),
    (23, 59),
];

/// Every `Messenger::send` by outbox id: Meta does not deduplicate, so a second call for an
/// id is a second message on the operator's phone.
struct CountingMessenger {
    inner: Arc<dyn Messenger>,
    calls: Arc<Mutex<HashMap<String, usize>>>,
}

#[async_trait]
impl Messenger for CountingMessenger {
    async fn send(&self, message: &OutboundMessage) -> Result<SendReceipt, SendError> {
        *self
            .calls
            .lock()
            .expect("lock")
            .entry(message.outbox_id.clone())
            .or_default() += 1;
        self.inner.send(message).await
    }
}

/// Every task the scheduler queues (the local queue deduplicates ids for five minutes of
/// real time, which would hide a task queued twice).
struct RecordingQueue {
    inner: Arc<dyn Queue>,
    sent: Arc<Mutex<Vec<Task>>>,
}

#[async_trait]
impl Queue for RecordingQueue {
    async fn send_batch(&self, messages: &[OutgoingMessage]) -> PortResult<()> {
        let tasks = messages
            .iter()
            .map(|m| serde_json::from_str(&m.body).expect("a task body"));
        self.sent.lock().expect("lock").extend(tasks);
        self.inner.send_batch(messages).await
    }
    async fn receive(&self, max: usize, visibility: Duration) -> PortResult<Vec<Delivery>> {
        self.inner.receive(max, visibility).await
    }
    async fn delete(&self, receipt: &str) -> PortResult<()> {
        self.inner.delete(receipt).await
    }
    async fn change_visibility(&self, receipt: &str, visibility: Duration) -> PortResult<()> {
        self.inner.change_visibility(receipt, visibility).await
    }
    async fn dead_letters(&self, max: usize) -> PortResult<Vec<Delivery>> {
        self.inner.dead_letters(max).await
    }
}

/// A competing writer: every update of the listed tickets loses the race.
struct Contested {
    inner: Arc<dyn ComplaintStore>,
    tickets: Mutex<HashSet<String>>,
}

complaint_store_passing_queries_to_inner! {
    Contested,
    async fn create_complaint(&self, c: &Complaint) -> PortResult<Option<Complaint>> {
        self.inner.create_complaint(c).await
    }
    async fn get_complaint(&self, ticket: &str) -> PortResult<Option<Complaint>> {
        self.inner.get_complaint(ticket).await
    }
    async fn update_complaint(&self, c: &Complaint) -> PortResult<u64> {
        if self.tickets.lock().expect("lock").contains(&c.ticket) {
            return Err(PortError::Conflict(format!("complaint {}", c.ticket)));
        }
        self.inner.update_complaint(c).await
    }
}

struct Rig {
    harness: TestApp,
    /// The clock of the scheduler and of its phones.
    clock: Arc<ManualClock>,
    content: ContentBundle,
    /// The [`CountingMessenger`]'s count of sends by outbox id.
    sends: Arc<Mutex<HashMap<String, usize>>>,
    /// The [`RecordingQueue`]'s record of the tasks the schedulers queued.
    queued_tasks: Arc<Mutex<Vec<Task>>>,
    scheduler: Scheduler,
}

impl Rig {
    async fn new() -> Rig {
        let clock = ManualClock::at(0);
        let sends = Arc::new(Mutex::new(HashMap::new()));
        let queued_tasks = Arc::new(Mutex::new(Vec::new()));
        let harness = TestApp::builder()
            .clock(clock.clone())
            .messenger({
                let calls = sends.clone();
                move |outbox| {
                    Arc::new(CountingMessenger {
                        inner: outbox,
                        calls,
                    })
                }
            })
            .tasks({
                let sent = queued_tasks.clone();
                move |tasks| Arc::new(RecordingQueue { inner: tasks, sent })
            })
            .build();
        let content = embedded_seed().expect("embedded seed");
        // Stored like `prolink serve` does on its first start (the store's cache then hands
        // every tick the same bundle).
        import_bundle(harness.app.store.as_ref(), &content)
            .await
            .expect("seed imported");
        let scheduler = harness.scheduler(operators(), SchedulerSettings::default());
        Rig {
            harness,
            clock,
            content,
            sends,
            queued_tasks,
            scheduler,
        }
    }

    /// Another scheduler on the same stores, queue, clock and phones (a second Lambda
    /// invocation), optionally over a different complaint store.
    fn scheduler_with(
        &self,
        settings: SchedulerSettings,
        complaints: Option<Arc<dyn ComplaintStore>>,
    ) -> Scheduler {
        let mut scheduler = self.harness.scheduler(operators(), settings);
        if let Some(complaints) = complaints {
            scheduler.complaints = complaints;
        }
        scheduler
    }

    /// A `jalan-rusak` complaint (SLA 3 working days to answer, 14 to resolve, from the seed)
    /// submitted at `at_ms` by `citizen`, stored as the dialog worker stores it; the citizen's
    /// profile says they last wrote then.
    async fn submit(&self, seed: &str, citizen: &str, at_ms: i64) -> Complaint {
        let category = self.content.category("jalan-rusak").expect("seed category");
        assert_eq!(
            (
                category.sla_working_days_response,
                category.sla_working_days_resolution
            ),
            (3, 14),
            "the counts below assume the seed's SLA of jalan-rusak"
        );
        assert_eq!(category.opd_id, OPD);
        let rules = Rules {
            sla: Sla::from(category),
            holidays: &self.content.holidays,
        };
        let submitted = complaint::submit(
            Submission {
                ticket: ticket_for(seed, 0),
                citizen_key: citizen.to_string(),
                reporter_name: Some("Warga".to_string()),
                category_id: category.id.clone(),
                opd_id: category.opd_id.clone(),
                description: ROAD.to_string(),
                location: None,
                photos: Vec::new(),
                privacy: Default::default(),
                source_wamid: format!("wamid.{seed}"),
                at_ms,
            },
            &rules,
        );
        let store = &self.harness.app.store;
        assert_eq!(
            store.create_complaint(&submitted).await.expect("create"),
            None
        );
        if store.get_citizen(citizen).await.expect("citizen").is_none() {
            self.wrote_at(citizen, at_ms).await;
        }
        self.complaint(&submitted.ticket).await
    }

    /// The citizen's last message (opens the 24-hour window).
    async fn wrote_at(&self, citizen: &str, at_ms: i64) {
        let store = &self.harness.app.store;
        let mut profile = store
            .get_citizen(citizen)
            .await
            .expect("citizen")
            .unwrap_or_else(|| CitizenProfile {
                key: citizen.to_string(),
                wa_id: Some(citizen.to_string()),
                created_ms: at_ms,
                ..CitizenProfile::default()
            });
        profile.last_inbound_ms = Some(at_ms);
        profile.updated_ms = at_ms;
        store.put_citizen(&profile).await.expect("put citizen");
    }

    async fn complaint(&self, ticket: &str) -> Complaint {
        self.harness
            .app
            .store
            .get_complaint(ticket)
            .await
            .expect("get")
            .expect("the complaint exists")
    }

    /// An operator's change at `at_ms`, through the function the operator API calls.
    async fn operator(&self, ticket: &str, at_ms: i64, to: Status, note: Option<&str>) {
        let current = self.complaint(ticket).await;
        change_status(
            self.harness.app.store.as_ref(),
            self.harness.app.tasks.as_ref(),
            &self.content,
            &current,
            Change {
                event_id: format!("op.{}.{at_ms}", to.as_str()),
                at_ms,
                actor: Actor::operator("opd-dpupr-1"),
                to,
                public_note: note.map(str::to_string),
                internal_note: None,
            },
        )
        .await
        .expect("the operator's change is allowed");
    }

    async fn tick_at(&self, at_ms: i64) -> TickReport {
        self.clock.set(at_ms);
        self.scheduler.tick().await.expect("tick")
    }

    /// Ticks at every [`DAILY`] time in `from_ms..to_ms`, twice each (a retried tick): the
    /// second tick at an instant must find nothing left to do.
    async fn walk(&self, from_ms: i64, to_ms: i64) {
        let mut day = calendar::wib_date(from_ms);
        while calendar::wib_to_ms(day.and_time(NaiveTime::MIN)) < to_ms {
            for (hour, minute) in DAILY {
                let at = wib(day.year(), day.month(), day.day(), hour, minute);
                if at < from_ms || at >= to_ms {
                    continue;
                }
                self.tick_at(at).await;
                let again = self.tick_at(at).await;
                assert_eq!(
                    (again.actions, again.conflicts),
                    (0, 0),
                    "a retried tick at {} repeats nothing: {again:?}",
                    wib_text(at)
                );
            }
            day = day.succ_opt().expect("a next day");
        }
    }

    /// What the scheduler recorded on a complaint: (event id, WIB time), oldest first.
    async fn scheduler_log(&self, ticket: &str) -> Vec<(String, String)> {
        self.complaint(ticket)
            .await
            .events
            .iter()
            .filter(|e| e.actor == Actor::system("scheduler"))
            .map(|e| (e.id.clone(), wib_text(e.at_ms)))
            .collect()
    }

    /// (WIB time, template name, body parameters) of what reached `number`.
    async fn phone(&self, number: &str) -> Vec<(String, String, Vec<String>)> {
        self.harness
            .simulator_outbox()
            .messages_for(number)
            .await
            .expect("outbox")
            .into_iter()
            .map(|m| {
                let (name, params) = template_parts(&m.body);
                (wib_text(m.recorded_at_ms), name, params)
            })
            .collect()
    }

    /// The event ids of the notification tasks the scheduler queued for `ticket`.
    fn queued(&self, ticket: &str) -> Vec<String> {
        self.queued_tasks
            .lock()
            .expect("lock")
            .iter()
            .filter_map(|task| match task {
                Task::StatusChanged {
                    ticket: t,
                    event_id,
                } if t == ticket => Some(event_id.clone()),
                _ => None,
            })
            .collect()
    }

    /// The SLA alerts of `ticket`: alert id → kind.
    async fn alerts(&self, ticket: &str) -> BTreeMap<String, String> {
        let alerts = self
            .harness
            .app
            .store
            .recent_alerts(1000)
            .await
            .expect("alerts");
        let mine: Vec<_> = alerts
            .into_iter()
            .filter(|a| a.id.starts_with(&format!("{ticket}.")))
            .collect();
        if !mine.is_empty() {
            // Reminders and escalations land on the complaint's OPD's board.
            let opd_id = self.complaint(ticket).await.opd_id;
            for alert in &mine {
                assert_eq!(alert.opd_id.as_ref(), Some(&opd_id), "{alert:#?}");
            }
        }
        let map: BTreeMap<String, String> = mine
            .iter()
            .map(|a| (a.id.clone(), a.kind.clone()))
            .collect();
        assert_eq!(map.len(), mine.len(), "one alert per id: {mine:#?}");
        map
    }

    /// No outbox id went to the messenger twice.
    fn assert_each_message_sent_once(&self) {
        let calls = self.sends.lock().expect("lock");
        let twice: Vec<_> = calls.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "sent more than once: {twice:?}");
    }

    /// A complaint worker whose clock stands at `at_ms`, on the app's stores and outbox.
    fn worker_at(&self, at_ms: i64) -> ComplaintWorker {
        self.harness.complaint_worker_at(at_ms)
    }

    /// One pass of `worker` over the visible tasks: done ones are deleted, the others made
    /// visible again at once (the test moves time, not the queue). Returns (task, outcome).
    async fn run_tasks(&self, worker: &ComplaintWorker) -> Vec<(Task, TaskOutcome)> {
        let queue = &self.harness.app.tasks;
        let mut ran = Vec::new();
        let mut again = Vec::new();
        loop {
            let deliveries = queue
                .receive(10, Duration::from_secs(60))
                .await
                .expect("receive");
            if deliveries.is_empty() {
                break;
            }
            let items: Vec<TaskItem> = deliveries.iter().map(TaskItem::from).collect();
            let outcomes = worker.process_batch(&items).await;
            for ((delivery, item), outcome) in deliveries.iter().zip(items).zip(outcomes) {
                if outcome == TaskOutcome::Done {
                    queue.delete(&delivery.receipt).await.expect("delete");
                } else {
                    again.push(delivery.receipt.clone());
                }
                let task: Task = serde_json::from_str(&item.body).expect("a task");
                ran.push((task, outcome));
            }
        }
        for receipt in again {
            queue
                .change_visibility(&receipt, Duration::ZERO)
                .await
                .expect("release");
        }
        ran
    }
}

/// Who the schedulers alert: the OPD's two phones, the supervisor, the pimpinan.
fn operators() -> OperatorDirectory {
    OperatorDirectory(HashMap::from([
        (
            OPD.to_string(),
            OPD_NUMBERS.iter().map(|n| n.to_string()).collect(),
        ),
        ("supervisor".to_string(), vec![SUPERVISOR.to_string()]),
        ("pimpinan".to_string(), vec![PIMPINAN.to_string()]),
    ]))
}

/// A template message's name and body parameters.
fn template_parts(body: &Value) -> (String, Vec<String>) {
    assert_eq!(
        body["type"], "template",
        "operators get the template: {body}"
    );
    let name = body["template"]["name"].as_str().unwrap_or_default();
    let params = body["template"]["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["parameters"].as_array().into_iter().flatten())
        .filter_map(|p| p["text"].as_str().map(str::to_string))
        .collect();
    (name.to_string(), params)
}

fn log(entries: &[(&str, &str)]) -> Vec<(String, String)> {
    entries
        .iter()
        .map(|(id, at)| (id.to_string(), at.to_string()))
        .collect()
}

fn sorted(mut entries: Vec<(String, String)>) -> Vec<(String, String)> {
    entries.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    entries
}

#[tokio::test]
async fn every_point_falls_on_the_hand_counted_working_day_across_christmas_and_the_year_end() {
    let rig = Rig::new().await;
    // Thursday 17 December 2026, 10:00 WIB. Working days after it (seed table: cuti bersama
    // Thu 24 Dec, Natal Fri 25 Dec; 2027 is not in the table, so its weekdays all count,
    // New Year's Day included):
    //   Fri 18 Dec (1), Mon 21 (2), Tue 22 (3), Wed 23 (4), Mon 28 (5), Tue 29 (6),
    //   Wed 30 (7), Thu 31 (8), Fri 1 Jan 2027 (9), Mon 4 (10), Tue 5 (11), Wed 6 (12),
    //   Thu 7 (13), Fri 8 (14).
    // Response: 3 working days → Tue 22 Dec. Resolution: 14 → Fri 8 Jan 2027.
    let received = wib(2026, 12, 17, 10, 0);
    let c = rig.submit("year-end", SARI, received).await;
    let ticket = c.ticket.clone();
    assert_eq!(
        c.deadlines.response_date,
        NaiveDate::from_ymd_opt(2026, 12, 22)
    );
    assert_eq!(
        c.deadlines.resolution_date,
        NaiveDate::from_ymd_opt(2027, 1, 8)
    );
    assert_eq!(c.deadlines.calendar_gap.map(|g| g.year), Some(2027));

    rig.walk(received, wib(2027, 1, 4, 9, 30)).await;
    // The OPD answers on Monday 4 January: the response clock and the progress notes stop.
    rig.operator(&ticket, wib(2027, 1, 4, 10, 0), Status::Diteruskan, None)
        .await;
    rig.operator(&ticket, wib(2027, 1, 4, 10, 5), Status::Diproses, None)
        .await;
    rig.walk(wib(2027, 1, 4, 9, 30), wib(2027, 1, 20, 0, 0))
        .await;

    // Operator points at 07.30 WIB, progress notes at 09.00 WIB:
    // - response reminders: 3 running days; 50 % → ⌈1.5⌉ = 2nd working day (Mon 21 Dec),
    //   80 % → ⌈2.4⌉ = 3rd (Tue 22 Dec);
    // - response escalations: level 1 on the first working day after the deadline (Wed 23
    //   Dec), level 2 one working day later (Mon 28: 24–27 are off), level 3 three working
    //   days after Wed 23 (28, 29, 30 → Wed 30 Dec);
    // - resolution reminders: 14 running days; 50 % → 7th working day (Wed 30 Dec), 80 % →
    //   ⌈11.2⌉ = 12th (Wed 6 Jan 2027);
    // - resolution escalations: Mon 11 Jan (1), Tue 12 Jan (2), Thu 14 Jan (3: 12, 13, 14);
    // - progress notes: every working day from the first one after the response deadline
    //   (Wed 23 Dec) until the answer: 23, 28, 29, 30, 31 Dec, Fri 1 Jan (uncovered year),
    //   Mon 4 Jan 09.00 (the answer came at 10.00). None on 24–27 Dec, 2–3 Jan.
    let expected = log(&[
        ("sla.reminder.response.50.2026-12-22", "2026-12-21 07:30"),
        ("sla.reminder.response.80.2026-12-22", "2026-12-22 07:30"),
        ("sla.escalation.response.1.2026-12-22", "2026-12-23 07:30"),
        ("sla.progress.2026-12-23", "2026-12-23 09:00"),
        ("sla.escalation.response.2.2026-12-22", "2026-12-28 07:30"),
        ("sla.progress.2026-12-28", "2026-12-28 09:00"),
        ("sla.progress.2026-12-29", "2026-12-29 09:00"),
        ("sla.escalation.response.3.2026-12-22", "2026-12-30 07:30"),
        ("sla.reminder.resolution.50.2027-01-08", "2026-12-30 07:30"),
        ("sla.progress.2026-12-30", "2026-12-30 09:00"),
        ("sla.progress.2026-12-31", "2026-12-31 09:00"),
        ("sla.progress.2027-01-01", "2027-01-01 09:00"),
        ("sla.progress.2027-01-04", "2027-01-04 09:00"),
        ("sla.reminder.resolution.80.2027-01-08", "2027-01-06 07:30"),
        ("sla.escalation.resolution.1.2027-01-08", "2027-01-11 07:30"),
        ("sla.escalation.resolution.2.2027-01-08", "2027-01-12 07:30"),
        ("sla.escalation.resolution.3.2027-01-08", "2027-01-14 07:30"),
    ]);
    assert_eq!(
        sorted(rig.scheduler_log(&ticket).await),
        sorted(expected.clone())
    );
    assert_eq!(
        rig.complaint(&ticket).await.next_due_ms,
        None,
        "nothing more comes"
    );

    // The dashboard's alert list: one per reminder and escalation.
    let alerts = rig.alerts(&ticket).await;
    let expected_alerts: BTreeMap<String, String> = expected
        .iter()
        .filter(|(id, _)| !id.starts_with("sla.progress."))
        .map(|(id, _)| {
            let kind = if id.starts_with("sla.escalation.") {
                "sla_escalation"
            } else {
                "sla_reminder"
            };
            (format!("{ticket}.{id}"), kind.to_string())
        })
        .collect();
    assert_eq!(alerts, expected_alerts);

    // WhatsApp: the OPD's operators get the reminders and level 1, Diskominfo's supervisor
    // level 2, the leadership level 3, as the approved template, at the minute of the point.
    let response = "Selasa, 22 Desember 2026";
    let resolution = "Jumat, 8 Januari 2027";
    let opd_expected = [
        (
            "2026-12-21 07:30",
            "Pengingat: 50% waktu tanggapan",
            response,
        ),
        (
            "2026-12-22 07:30",
            "Pengingat: 80% waktu tanggapan",
            response,
        ),
        (
            "2026-12-23 07:30",
            "Eskalasi tingkat 1: tenggat tanggapan",
            response,
        ),
        (
            "2026-12-30 07:30",
            "Pengingat: 50% waktu penyelesaian",
            resolution,
        ),
        (
            "2027-01-06 07:30",
            "Pengingat: 80% waktu penyelesaian",
            resolution,
        ),
        (
            "2027-01-11 07:30",
            "Eskalasi tingkat 1: tenggat penyelesaian",
            resolution,
        ),
    ];
    let supervisor_expected = [
        (
            "2026-12-28 07:30",
            "Eskalasi tingkat 2: tenggat tanggapan",
            response,
        ),
        (
            "2027-01-12 07:30",
            "Eskalasi tingkat 2: tenggat penyelesaian",
            resolution,
        ),
    ];
    let pimpinan_expected = [
        (
            "2026-12-30 07:30",
            "Eskalasi tingkat 3: tenggat tanggapan",
            response,
        ),
        (
            "2027-01-14 07:30",
            "Eskalasi tingkat 3: tenggat penyelesaian",
            resolution,
        ),
    ];
    let phones = [
        (OPD_NUMBERS[0], &opd_expected[..]),
        (OPD_NUMBERS[1], &opd_expected[..]),
        (SUPERVISOR, &supervisor_expected[..]),
        (PIMPINAN, &pimpinan_expected[..]),
    ];
    for (number, wanted) in phones {
        let got = rig.phone(number).await;
        assert_eq!(got.len(), wanted.len(), "{number}: {got:#?}");
        for ((at, name, params), (want_at, what, deadline)) in got.iter().zip(wanted) {
            assert_eq!(
                (at.as_str(), name.as_str()),
                (*want_at, "aduan_pengingat_petugas")
            );
            assert_eq!(params.first(), Some(&ticket), "{params:?}");
            assert!(params[2].starts_with(what), "{number} at {at}: {params:?}");
            assert_eq!(params.get(3).map(String::as_str), Some(*deadline));
        }
    }
    rig.assert_each_message_sent_once();

    // The citizen's progress notes are notification tasks, each queued once.
    let notes: Vec<String> = expected
        .iter()
        .filter(|(id, _)| id.starts_with("sla.progress."))
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(rig.queued(&ticket), notes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_ticks_act_once() {
    let rig = Rig::new().await;
    let received = wib(2026, 12, 17, 10, 0);
    let mut tickets = Vec::new();
    for n in 0..6 {
        let citizen = if n % 2 == 0 { SARI } else { BUDI };
        tickets.push(
            rig.submit(&format!("overlap-{n}"), citizen, received)
                .await
                .ticket,
        );
    }
    // Two invocations of the function at the same minute (EventBridge delivers at least
    // once; a slow tick overlaps the next): the 50 % response reminder of Mon 21 Dec.
    let other = rig.scheduler_with(SchedulerSettings::default(), None);
    rig.clock.set(wib(2026, 12, 21, 7, 30));
    let (a, b) = tokio::join!(rig.scheduler.tick(), other.tick());
    let (a, b) = (a.expect("tick a"), b.expect("tick b"));
    assert!(a.finished && b.finished, "{a:?} {b:?}");
    assert!(a.actions + b.actions >= tickets.len(), "{a:?} {b:?}");
    // Then the progress note of Wed 23 Dec 09.00, three ticks at once.
    rig.tick_at(wib(2026, 12, 23, 7, 30)).await;
    rig.clock.set(wib(2026, 12, 23, 9, 0));
    let third = rig.scheduler_with(SchedulerSettings::default(), None);
    let (a, b, c) = tokio::join!(rig.scheduler.tick(), other.tick(), third.tick());
    for report in [a, b, c] {
        assert!(report.expect("tick").finished);
    }
    // A retried tick finds nothing.
    let again = rig.tick_at(wib(2026, 12, 23, 9, 0)).await;
    assert_eq!((again.examined, again.actions), (0, 0), "{again:?}");

    for ticket in &tickets {
        assert_eq!(
            rig.scheduler_log(ticket).await,
            log(&[
                ("sla.reminder.response.50.2026-12-22", "2026-12-21 07:30"),
                ("sla.escalation.response.1.2026-12-22", "2026-12-23 07:30"),
                ("sla.progress.2026-12-23", "2026-12-23 09:00"),
            ]),
            "{ticket}"
        );
        assert_eq!(rig.alerts(ticket).await.len(), 2);
        // A task may be queued by each racing tick; it names one event, so the worker
        // (which marks a task id done) tells the citizen once.
        let queued: HashSet<String> = rig.queued(ticket).into_iter().collect();
        assert_eq!(
            queued,
            HashSet::from(["sla.progress.2026-12-23".to_string()])
        );
    }
    for number in OPD_NUMBERS {
        // Two points for each of the six complaints.
        assert_eq!(rig.phone(number).await.len(), 2 * tickets.len(), "{number}");
    }
    rig.assert_each_message_sent_once();

    let ran = rig.run_tasks(&rig.worker_at(wib(2026, 12, 23, 9, 1))).await;
    assert!(ran.iter().all(|(_, outcome)| *outcome == TaskOutcome::Done));
    for citizen in [SARI, BUDI] {
        let notes = rig.phone(citizen).await;
        assert_eq!(
            notes.len(),
            3,
            "one note per complaint of {citizen}: {notes:#?}"
        );
    }
}

#[tokio::test]
async fn a_progress_note_reaching_the_worker_at_night_waits_for_the_morning() {
    let rig = Rig::new().await;
    let received = wib(2026, 12, 17, 10, 0);
    let late = rig.submit("night-sari", SARI, received).await.ticket;
    let answered_window = rig.submit("night-budi", BUDI, received).await.ticket;
    rig.tick_at(wib(2026, 12, 23, 7, 30)).await;
    rig.tick_at(wib(2026, 12, 23, 9, 0)).await;
    for ticket in [&late, &answered_window] {
        assert_eq!(rig.queued(ticket), ["sla.progress.2026-12-23"]);
    }
    // Budi wrote this morning: his window is open until Thu 08:00.
    rig.wrote_at(BUDI, wib(2026, 12, 23, 8, 0)).await;

    // The worker runs late at night (queue backlog): both notes wait for 06:00.
    let ran = rig
        .run_tasks(&rig.worker_at(wib(2026, 12, 23, 22, 0)))
        .await;
    let morning = wib(2026, 12, 24, 6, 0);
    assert_eq!(ran.len(), 2);
    assert!(
        ran.iter().all(|(_, o)| *o == TaskOutcome::Defer(morning)),
        "{:?}",
        ran.iter().map(|(_, o)| o).collect::<Vec<_>>()
    );
    assert!(rig.phone(SARI).await.is_empty() && rig.phone(BUDI).await.is_empty());
    let ran = rig.run_tasks(&rig.worker_at(morning)).await;
    assert!(ran.iter().all(|(_, o)| *o == TaskOutcome::Done), "{ran:?}");
    // Sari's window closed days ago: the approved template, with the ticket and the OPD.
    let sari = rig.phone(SARI).await;
    assert_eq!(sari.len(), 1, "{sari:#?}");
    assert_eq!(sari[0].1, "aduan_perkembangan");
    assert_eq!(sari[0].2.first(), Some(&late));
    assert!(sari[0].2[1].contains("Dinas Pekerjaan Umum"), "{sari:?}");
    // Budi's is open: the free-form text.
    let outbox = rig.harness.simulator_outbox();
    let budi = outbox.messages_for(BUDI).await.expect("outbox");
    assert_eq!(budi.len(), 1);
    let text = budi[0].body["text"]["body"].as_str().unwrap_or_default();
    assert!(
        text.contains(&answered_window) && text.contains("masih ditangani oleh"),
        "{text}"
    );
    // What the citizen reads has no source-code indentation in it.
    assert!(
        !text.contains("  ") && !text.contains("\n "),
        "no runs of spaces: {text:?}"
    );
}

#[tokio::test]
async fn a_note_missed_while_the_scheduler_was_down_is_not_sent_at_night_nor_caught_up() {
    let rig = Rig::new().await;
    let ticket = rig
        .submit("down", SARI, wib(2026, 12, 17, 10, 0))
        .await
        .ticket;
    // Down on Wednesday 23 December from 08:00 to 21:30: the day's note is not sent at
    // night, nor on the cuti bersama (Thu 24), Natal (Fri 25) or the weekend; the next one
    // is Monday 28 December's, and there is one.
    rig.tick_at(wib(2026, 12, 23, 7, 30)).await;
    for (d, h, m) in [
        (23, 21, 30),
        (23, 23, 59),
        (24, 9, 0),
        (25, 9, 0),
        (26, 9, 0),
        (27, 9, 0),
        (28, 7, 29),
    ] {
        let report = rig.tick_at(wib(2026, 12, d, h, m)).await;
        assert_eq!(report.actions, 0, "{d} Dec {h}:{m:02}: {report:?}");
    }
    rig.tick_at(wib(2026, 12, 28, 7, 30)).await;
    rig.tick_at(wib(2026, 12, 28, 9, 0)).await;
    assert_eq!(
        rig.scheduler_log(&ticket).await,
        log(&[
            ("sla.escalation.response.1.2026-12-22", "2026-12-23 07:30"),
            ("sla.escalation.response.2.2026-12-22", "2026-12-28 07:30"),
            ("sla.progress.2026-12-28", "2026-12-28 09:00"),
        ])
    );
    assert_eq!(rig.queued(&ticket), ["sla.progress.2026-12-28"]);
}

/// "Each tick reads only what is due": a note that can no longer go today must not leave
/// its complaint in the due range, read again by every tick of the night.
#[tokio::test]
async fn a_missed_note_does_not_keep_its_complaint_in_the_due_range_all_night() {
    let rig = Rig::new().await;
    let ticket = rig
        .submit("missed", SARI, wib(2026, 12, 17, 10, 0))
        .await
        .ticket;
    rig.tick_at(wib(2026, 12, 23, 7, 30)).await;
    let night = rig.tick_at(wib(2026, 12, 23, 21, 30)).await;
    assert_eq!(night.actions, 0, "{night:?}");
    let next_minute = rig.tick_at(wib(2026, 12, 23, 21, 31)).await;
    let stored = rig.complaint(&ticket).await;
    assert_eq!(
        (next_minute.examined, stored.next_due_ms.map(wib_text)),
        (0, Some("2026-12-28 07:30".to_string())),
        "the next point is Monday's escalation: {next_minute:?}"
    );
}

#[tokio::test]
async fn unanswered_requests_and_unrated_answers_close_on_the_counted_day() {
    let rig = Rig::new().await;
    let received = wib(2026, 12, 17, 10, 0);
    let incomplete = rig.submit("close-sari", SARI, received).await.ticket;
    let resolved = rig.submit("close-budi", BUDI, received).await.ticket;

    // Budi's is answered on Friday and finished on Monday 21 December 14:00.
    rig.walk(received, wib(2026, 12, 18, 9, 0)).await;
    rig.operator(&resolved, wib(2026, 12, 18, 9, 0), Status::Diteruskan, None)
        .await;
    rig.operator(&resolved, wib(2026, 12, 18, 9, 30), Status::Diproses, None)
        .await;
    rig.walk(wib(2026, 12, 18, 9, 0), wib(2026, 12, 21, 10, 0))
        .await;
    // Sari is asked for more on Monday 21 December 10:00 (after the 50 % reminder of 07.30).
    rig.operator(
        &incomplete,
        wib(2026, 12, 21, 10, 0),
        Status::PerluDilengkapi,
        Some("Mohon kirim foto lokasi jalan yang rusak."),
    )
    .await;
    rig.operator(
        &resolved,
        wib(2026, 12, 21, 14, 0),
        Status::Selesai,
        Some("Lubang sudah ditambal."),
    )
    .await;
    rig.walk(wib(2026, 12, 21, 10, 0), wib(2027, 1, 12, 0, 0))
        .await;

    // perlu_dilengkapi on Mon 21 Dec: 5 working days → 22, 23, 28, 29, 30 Dec; closed when
    // Wed 30 Dec ends (00:00 Thu 31 Dec). The clocks stand still meanwhile: no reminder.
    let due = wib(2026, 12, 31, 0, 0);
    let closed = rig.complaint(&incomplete).await;
    assert_eq!(closed.status, Status::Ditutup);
    assert_eq!(
        rig.scheduler_log(&incomplete).await,
        log(&[
            ("sla.reminder.response.50.2026-12-22", "2026-12-21 07:30"),
            (
                &format!("auto-close.{incomplete}.{due}"),
                "2026-12-31 00:00"
            ),
        ])
    );
    let last = closed.events.last().expect("the closing");
    assert_eq!(
        last.public_note.as_deref(),
        Some(complaint::timers::incomplete_note().as_str())
    );
    // selesai on Mon 21 Dec: 10 working days → 22, 23, 28, 29, 30, 31 Dec, 1 Jan (2027
    // uncovered), 4, 5, 6 Jan; closed when Wed 6 Jan 2027 ends. Answered before the first
    // reminder (Mon 21 Dec 07.30), so nothing else was ever due.
    let due = wib(2027, 1, 7, 0, 0);
    let closed = rig.complaint(&resolved).await;
    assert_eq!(closed.status, Status::Ditutup);
    assert_eq!(
        rig.scheduler_log(&resolved).await,
        log(&[(&format!("auto-close.{resolved}.{due}"), "2027-01-07 00:00")])
    );
    assert_eq!(
        closed.events.last().and_then(|e| e.public_note.as_deref()),
        Some(complaint::timers::unrated_note().as_str())
    );
    for ticket in [&incomplete, &resolved] {
        assert_eq!(rig.complaint(ticket).await.next_due_ms, None);
        let closing = rig
            .scheduler_log(ticket)
            .await
            .last()
            .expect("closing")
            .0
            .clone();
        assert_eq!(rig.queued(ticket), [closing], "one notification task");
    }
    // Closed at midnight: the citizen's notice waits for 06:00.
    let ran = rig.run_tasks(&rig.worker_at(wib(2027, 1, 7, 0, 1))).await;
    let closing_runs: Vec<_> = ran
        .iter()
        .filter(|(task, _)| matches!(task, Task::StatusChanged { event_id, .. } if event_id.starts_with("auto-close.")))
        .map(|(_, outcome)| *outcome)
        .collect();
    assert_eq!(
        closing_runs,
        [
            TaskOutcome::Defer(wib(2027, 1, 7, 6, 0)),
            TaskOutcome::Defer(wib(2027, 1, 7, 6, 0))
        ]
    );
}

#[tokio::test]
async fn a_tick_out_of_budget_leaves_the_rest_to_the_next_one() {
    let rig = Rig::new().await;
    let received = wib(2026, 12, 17, 10, 0);
    let mut tickets = Vec::new();
    for n in 0..25 {
        tickets.push(
            rig.submit(&format!("budget-{n}"), SARI, received)
                .await
                .ticket,
        );
    }
    // No time at all: each tick still handles one complaint, and says it did not finish.
    let starved = rig.scheduler_with(
        SchedulerSettings {
            page: 10,
            budget: Duration::ZERO,
        },
        None,
    );
    rig.clock.set(wib(2026, 12, 21, 7, 30));
    let mut reports = Vec::new();
    for _ in 0..30 {
        let report = starved.tick().await.expect("tick");
        reports.push(report.clone());
        if report.finished {
            break;
        }
    }
    assert_eq!(reports.len(), 25, "{reports:#?}");
    assert!(reports.iter().all(|r| r.examined == 1 && r.actions == 1));
    assert!(reports[..24].iter().all(|r| !r.finished));
    for ticket in &tickets {
        assert_eq!(rig.scheduler_log(ticket).await.len(), 1, "{ticket}");
    }

    // With time enough, one tick pages through all 25 (10 + 10 + 5: the short page ends it).
    let paged = rig.scheduler_with(
        SchedulerSettings {
            page: 10,
            budget: Duration::from_secs(30),
        },
        None,
    );
    rig.clock.set(wib(2026, 12, 22, 7, 30));
    let report = paged.tick().await.expect("tick");
    assert_eq!(
        report,
        TickReport {
            examined: 25,
            actions: 25,
            conflicts: 0,
            queries: 3,
            finished: true,
            handoffs: Default::default(),
            retention: Default::default(),
            broadcasts: Default::default(),
            lapor: Default::default(),
        }
    );
    let idle = paged.tick().await.expect("tick");
    assert_eq!((idle.examined, idle.queries, idle.finished), (0, 1, true));
}

#[tokio::test]
async fn complaints_left_due_by_a_lost_race_do_not_hide_the_others() {
    let rig = Rig::new().await;
    let received = wib(2026, 12, 17, 10, 0);
    let mut tickets = Vec::new();
    for n in 0..5 {
        tickets.push(
            rig.submit(&format!("race-{n}"), SARI, received)
                .await
                .ticket,
        );
    }
    // The index lists equal instants by ticket: the first two lose every write this tick.
    tickets.sort();
    let contested = Arc::new(Contested {
        inner: rig.harness.app.store.clone(),
        tickets: Mutex::new(tickets[..2].iter().cloned().collect()),
    });
    let scheduler = rig.scheduler_with(
        SchedulerSettings {
            page: 2,
            budget: Duration::from_secs(30),
        },
        Some(contested.clone()),
    );
    rig.clock.set(wib(2026, 12, 21, 7, 30));
    let report = scheduler.tick().await.expect("tick");
    assert_eq!(
        (
            report.examined,
            report.conflicts,
            report.actions,
            report.finished
        ),
        (5, 2, 3, true),
        "{report:?}"
    );
    for ticket in &tickets[2..] {
        assert_eq!(rig.scheduler_log(ticket).await.len(), 1, "{ticket}");
    }
    // The losers are done by the next tick, without a second alert or message.
    contested.tickets.lock().expect("lock").clear();
    rig.clock.set(wib(2026, 12, 21, 7, 31));
    let report = scheduler.tick().await.expect("tick");
    assert_eq!((report.examined, report.actions), (2, 2), "{report:?}");
    for ticket in &tickets {
        assert_eq!(rig.alerts(ticket).await.len(), 1, "{ticket}");
    }
    assert_eq!(rig.phone(OPD_NUMBERS[0]).await.len(), 5);
    rig.assert_each_message_sent_once();
}

#[tokio::test]
async fn a_stale_index_value_is_rewritten_not_looped_on() {
    let rig = Rig::new().await;
    let received = wib(2026, 12, 17, 10, 0);
    let content = &rig.content;
    let rules = Rules {
        sla: Sla::from(content.category("jalan-rusak").expect("category")),
        holidays: &content.holidays,
    };
    let mut stale = complaint::submit(
        Submission {
            ticket: ticket_for("stale", 0),
            citizen_key: SARI.to_string(),
            reporter_name: None,
            category_id: "jalan-rusak".to_string(),
            opd_id: OPD.to_string(),
            description: ROAD.to_string(),
            location: None,
            photos: Vec::new(),
            privacy: Default::default(),
            source_wamid: "wamid.stale".to_string(),
            at_ms: received,
        },
        &rules,
    );
    // Written by an older version of the rules: due an hour after receipt.
    stale.next_due_ms = Some(received + 60 * MINUTE_MS);
    rig.harness
        .app
        .store
        .create_complaint(&stale)
        .await
        .expect("create");
    let first = rig.tick_at(wib(2026, 12, 17, 12, 0)).await;
    assert_eq!((first.examined, first.actions), (1, 0), "{first:?}");
    let stored = rig.complaint(&stale.ticket).await;
    assert_eq!(
        stored.next_due_ms,
        Some(wib(2026, 12, 21, 7, 30)),
        "the first real point"
    );
    assert!(stored.events.len() == 1, "nothing recorded");
    let second = rig.tick_at(wib(2026, 12, 17, 12, 1)).await;
    assert_eq!(second.examined, 0, "{second:?}");
}

#[tokio::test]
async fn reminders_go_to_the_numbers_an_admin_saved_and_survive_an_unreadable_table() {
    let rig = Rig::new().await;
    const SAVED_OPD: &str = "6281330000901";
    const SAVED_SUPERVISOR: &str = "6281330000902";
    // Thursday 17 December 2026, 10:00: response reminders on Mon 21 and Tue 22 December,
    // escalation level 1 on Wed 23, level 2 (the supervisor) on Mon 28 (see above).
    let ticket = rig
        .submit("contacts", SARI, wib(2026, 12, 17, 10, 0))
        .await
        .ticket;
    let (contacts, settings) = rig.harness.operator_contacts(operators());
    let mut scheduler = rig.scheduler_with(SchedulerSettings::default(), None);
    scheduler.operators = contacts;
    let tick = |at_ms: i64| {
        rig.clock.set(at_ms);
        scheduler.tick()
    };
    let reminders = |phone: Vec<(String, String, Vec<String>)>| -> Vec<String> {
        phone
            .into_iter()
            .filter(|(_, _, params)| params.contains(&ticket))
            .map(|(at, _, _)| at)
            .collect()
    };

    // Nothing saved on the dashboard: the variable's (the seed's) numbers.
    tick(wib(2026, 12, 21, 7, 30)).await.expect("tick");
    assert_eq!(
        reminders(rig.phone(OPD_NUMBERS[0]).await),
        ["2026-12-21 07:30"]
    );

    // An admin saves other numbers (straight into the settings, as the API's PUT does).
    let version = rig
        .harness
        .app
        .store
        .put_setting(&StoredSetting {
            key: OPERATOR_CONTACTS_KEY.to_string(),
            value: json!({ OPD: [SAVED_OPD], "supervisor": [SAVED_SUPERVISOR] }),
            updated_ms: wib(2026, 12, 21, 15, 0),
            updated_by: "admin".to_string(),
            version: 0,
        })
        .await
        .expect("saved");
    assert_eq!(version, 1);
    tick(wib(2026, 12, 22, 7, 30)).await.expect("tick");
    assert_eq!(reminders(rig.phone(SAVED_OPD).await), ["2026-12-22 07:30"]);
    for seeded in OPD_NUMBERS {
        assert_eq!(reminders(rig.phone(seeded).await), ["2026-12-21 07:30"]);
    }

    // The table cannot be read: the numbers read last still count.
    settings.set_down(true);
    tick(wib(2026, 12, 23, 7, 30)).await.expect("tick");
    assert_eq!(
        reminders(rig.phone(SAVED_OPD).await),
        ["2026-12-22 07:30", "2026-12-23 07:30"]
    );

    // A scheduler that never read them fails its tick before recording anything (the next
    // tick does it), rather than escalating without its WhatsApp message.
    let (cold_contacts, cold_settings) = rig.harness.operator_contacts(operators());
    cold_settings.set_down(true);
    let mut cold = rig.scheduler_with(SchedulerSettings::default(), None);
    cold.operators = cold_contacts;
    let before = rig.scheduler_log(&ticket).await;
    rig.clock.set(wib(2026, 12, 28, 7, 30));
    assert!(cold.tick().await.is_err());
    assert_eq!(rig.scheduler_log(&ticket).await, before);
    cold_settings.set_down(false);
    cold.tick().await.expect("tick");
    assert_eq!(
        reminders(rig.phone(SAVED_SUPERVISOR).await),
        ["2026-12-28 07:30"]
    );
    assert!(reminders(rig.phone(SUPERVISOR).await).is_empty());
    rig.assert_each_message_sent_once();
}
