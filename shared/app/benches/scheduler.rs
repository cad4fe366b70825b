//! Scheduler tick benchmark (plain timing loop, no harness):
//! `cargo bench -p prolink-app --bench scheduler`.
//!
//! A file-backed SQLite store (WAL, as `prolink serve` opens it) holding 100 000 open
//! complaints: 98 200 whose index value (`next_due_ms`) is spread over the next 30 days and
//! nine groups of 200 that each reach their 50 % response reminder on one of nine
//! consecutive working days. Each run sets the clock to the next group's 07.30 WIB and times
//! one `Scheduler::tick` (alert, WhatsApp template to the OPD's two numbers through the
//! outbox, conditional write, for each of the 200); between runs, untimed, an operator
//! finishes that group, so every run starts from a fresh due set. Then the tick with nothing
//! due. Every port call of a tick is counted and mapped to the DynamoDB requests the AWS
//! adapters make for it (`adapters/aws`).

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicI64, AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use async_trait::async_trait;
use chrono::NaiveDate;

use prolink_app::content_cache::ContentSource;
use prolink_app::content_import::{embedded_seed, import_bundle};
use prolink_app::notifier::{Notifier, OperatorDirectory};
use prolink_app::ports::{
    Clock, ComplaintQuery, ComplaintStore, ContentStore, Messenger, OperatorAlert, OperatorSignals,
    OutboundMessage, OutboxRecord, OutboxStore, Page, PageRequest, PortResult, SendError,
    SendReceipt, UnansweredQuestion,
};
use prolink_app::scheduler::{Scheduler, SchedulerSettings, TickReport};
use prolink_app::sender::{ReliableSender, SendPolicy, TokioSleeper};
use prolink_domain::{
    calendar,
    complaint::{self, ticket_for, Actor, Change, Complaint, Rules, Sla, Status, Submission},
    content::{ContentBundle, HolidayCalendar},
};
use prolink_embedded::sqlite::{SimulatorOutbox, SqliteDb, SqliteQueue, SqliteStore};

const OPEN: usize = 100_000;
const DUE_PER_RUN: usize = 200;
const RUNS: usize = 9;
const IDLE_RUNS: usize = 25;
const DAY_MS: i64 = 86_400_000;

struct FakeClock(AtomicI64);

impl Clock for FakeClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Port calls, by the DynamoDB request each becomes on AWS.
#[derive(Default)]
struct Calls {
    /// `complaints_due`: one Query on GSI4 per call (≤ 1 000 items and < 1 MB a page).
    due_queries: AtomicUsize,
    /// `update_complaint`: one conditional PutItem (a lost race adds a GetItem).
    complaint_puts: AtomicUsize,
    /// `raise_alert`: one conditional PutItem.
    alert_puts: AtomicUsize,
    /// `create_outbox` (conditional PutItem) and `put_outbox` (PutItem).
    outbox_puts: AtomicUsize,
    /// `get_outbox`: one GetItem.
    outbox_gets: AtomicUsize,
    /// `load_content`: one GetItem for the content pointer (the bundle is cached).
    content_loads: AtomicUsize,
    /// Graph API sends.
    sends: AtomicUsize,
}

impl Calls {
    fn take(&self) -> [usize; 7] {
        [
            &self.due_queries,
            &self.complaint_puts,
            &self.alert_puts,
            &self.outbox_puts,
            &self.outbox_gets,
            &self.content_loads,
            &self.sends,
        ]
        .map(|counter| counter.swap(0, Ordering::SeqCst))
    }
}

fn count(counter: &AtomicUsize) {
    counter.fetch_add(1, Ordering::SeqCst);
}

/// The SQLite store behind every port the scheduler uses, counting the calls.
struct Counting {
    inner: Arc<SqliteStore>,
    calls: Arc<Calls>,
}

#[async_trait]
impl ComplaintStore for Counting {
    async fn create_complaint(&self, c: &Complaint) -> PortResult<Option<Complaint>> {
        self.inner.create_complaint(c).await
    }
    async fn get_complaint(&self, ticket: &str) -> PortResult<Option<Complaint>> {
        self.inner.get_complaint(ticket).await
    }
    async fn update_complaint(&self, c: &Complaint) -> PortResult<u64> {
        count(&self.calls.complaint_puts);
        self.inner.update_complaint(c).await
    }
    async fn complaints_of_citizen(&self, key: &str, limit: usize) -> PortResult<Vec<Complaint>> {
        self.inner.complaints_of_citizen(key, limit).await
    }
    async fn complaints_by_status(
        &self,
        status: Status,
        page: &PageRequest,
    ) -> PortResult<Page<Complaint>> {
        self.inner.complaints_by_status(status, page).await
    }
    async fn complaints_by_opd(
        &self,
        opd_id: &str,
        page: &PageRequest,
    ) -> PortResult<Page<Complaint>> {
        self.inner.complaints_by_opd(opd_id, page).await
    }
    async fn list_complaints(
        &self,
        query: &ComplaintQuery,
        page: &PageRequest,
    ) -> PortResult<Page<Complaint>> {
        self.inner.list_complaints(query, page).await
    }
    async fn complaints_due(&self, before: i64, limit: usize) -> PortResult<Vec<Complaint>> {
        count(&self.calls.due_queries);
        self.inner.complaints_due(before, limit).await
    }
}

#[async_trait]
impl OperatorSignals for Counting {
    async fn record_unanswered(&self, question: &UnansweredQuestion) -> PortResult<()> {
        self.inner.record_unanswered(question).await
    }
    async fn recent_unanswered(&self, limit: usize) -> PortResult<Vec<UnansweredQuestion>> {
        self.inner.recent_unanswered(limit).await
    }
    async fn raise_alert(&self, alert: &OperatorAlert) -> PortResult<()> {
        count(&self.calls.alert_puts);
        self.inner.raise_alert(alert).await
    }
    async fn recent_alerts(&self, limit: usize) -> PortResult<Vec<OperatorAlert>> {
        self.inner.recent_alerts(limit).await
    }
}

#[async_trait]
impl OutboxStore for Counting {
    async fn create_outbox(&self, record: &OutboxRecord) -> PortResult<bool> {
        count(&self.calls.outbox_puts);
        self.inner.create_outbox(record).await
    }
    async fn get_outbox(&self, outbox_id: &str) -> PortResult<Option<OutboxRecord>> {
        count(&self.calls.outbox_gets);
        self.inner.get_outbox(outbox_id).await
    }
    async fn put_outbox(&self, record: &OutboxRecord) -> PortResult<()> {
        count(&self.calls.outbox_puts);
        self.inner.put_outbox(record).await
    }
}

#[async_trait]
impl ContentStore for Counting {
    async fn load_content(&self) -> PortResult<Option<ContentBundle>> {
        count(&self.calls.content_loads);
        self.inner.load_content().await
    }
    async fn replace_content(&self, bundle: &ContentBundle) -> PortResult<()> {
        self.inner.replace_content(bundle).await
    }
}

struct CountingMessenger {
    inner: SimulatorOutbox,
    calls: Arc<Calls>,
}

#[async_trait]
impl Messenger for CountingMessenger {
    async fn send(&self, message: &OutboundMessage) -> Result<SendReceipt, SendError> {
        count(&self.calls.sends);
        self.inner.send(message).await
    }
}

fn wib(date: NaiveDate, hour: u32, minute: u32) -> i64 {
    calendar::wib_to_ms(date.and_hms_opt(hour, minute, 0).expect("a time"))
}

fn working_day(start: NaiveDate, n: u32, holidays: &HolidayCalendar) -> NaiveDate {
    calendar::add_working_days(start, n, holidays).value
}

fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn median(mut times: Vec<Duration>) -> (Duration, Duration, Duration) {
    times.sort();
    (times[0], times[times.len() / 2], times[times.len() - 1])
}

/// A deterministic spread (no `rand` state to seed): the golden-ratio sequence.
fn spread(n: usize) -> f64 {
    (n as f64 * 0.618_033_988_749_895).fract()
}

fn submission(seed: &str, n: usize, category: &str, opd: &str, at_ms: i64) -> Submission {
    Submission {
        ticket: ticket_for(seed, 0),
        citizen_key: format!("6281{:09}", n % 40_000),
        reporter_name: Some("Warga".to_string()),
        category_id: category.to_string(),
        opd_id: opd.to_string(),
        description: "Jalan di depan pasar berlubang besar sejak seminggu, motor sering jatuh."
            .to_string(),
        location: None,
        photos: Vec::new(),
        privacy: Default::default(),
        source_wamid: format!("wamid.{seed}"),
        at_ms,
    }
}

fn rules<'a>(content: &'a ContentBundle, category: &str) -> Rules<'a> {
    Rules {
        sla: content.category(category).map_or(Sla::FALLBACK, Sla::from),
        holidays: &content.holidays,
    }
}

/// The operator answers and finishes a complaint: its next point is the automatic closing
/// ten working days on.
async fn finish(store: &SqliteStore, content: &ContentBundle, ticket: &str, at_ms: i64) {
    let rules = rules(content, "jalan-rusak");
    let steps = [
        (Status::Diteruskan, None),
        (Status::Diproses, None),
        (Status::Selesai, Some("Lubang sudah ditambal.".to_string())),
    ];
    for (n, (to, note)) in steps.into_iter().enumerate() {
        let current = store
            .get_complaint(ticket)
            .await
            .expect("get")
            .expect("exists");
        let changed = complaint::apply(
            &current,
            Change {
                event_id: format!("op.bench.{n}"),
                at_ms: at_ms + n as i64,
                actor: Actor::operator("opd-dpupr-1"),
                to,
                public_note: note,
                internal_note: None,
            },
            &rules,
        )
        .expect("allowed");
        store.update_complaint(&changed).await.expect("update");
    }
}

async fn run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("prolink.sqlite3");
    let clock = Arc::new(FakeClock(AtomicI64::new(0)));
    let db = SqliteDb::open(&path).expect("open");
    let store = Arc::new(SqliteStore::new(db.clone(), clock.clone()));
    let content = embedded_seed().expect("seed");
    import_bundle(store.as_ref(), &content)
        .await
        .expect("import");
    let holidays = &content.holidays;

    // Group k is received on the k-th working day from Monday 5 October 2026 (no holiday
    // until December) at 10:00 WIB; its 50 % response reminder (3 working days: the 2nd)
    // is due at 07.30 two working days later.
    let first = NaiveDate::from_ymd_opt(2026, 10, 5).expect("date");
    let received: Vec<NaiveDate> = (0..RUNS)
        .map(|k| working_day(first, k as u32, holidays))
        .collect();
    let due_days: Vec<NaiveDate> = received
        .iter()
        .map(|day| working_day(*day, 2, holidays))
        .collect();
    let first_tick = wib(due_days[0], 7, 30);
    let last_tick = wib(due_days[RUNS - 1], 7, 30);

    let started = Instant::now();
    let categories: Vec<(String, String)> = content
        .categories
        .iter()
        .filter(|c| c.sla_working_days_response > 0)
        .map(|c| (c.id.clone(), c.opd_id.clone()))
        .collect();
    let fillers = OPEN - RUNS * DUE_PER_RUN;
    for n in 0..fillers {
        let (category, opd) = &categories[n % categories.len()];
        let at = wib(first, 9, 0) - (n as i64 % 5) * DAY_MS;
        let mut filler = complaint::submit(
            submission(&format!("filler-{n}"), n, category, opd, at),
            &rules(&content, category),
        );
        // Synthetic index values after the last timed tick, up to 30 days from the first:
        // never reached here, they only make the index large.
        let window = first_tick + 30 * DAY_MS - (last_tick + DAY_MS);
        filler.next_due_ms = Some(last_tick + DAY_MS + (spread(n) * window as f64) as i64);
        store.create_complaint(&filler).await.expect("create");
    }
    let mut groups: Vec<Vec<String>> = Vec::new();
    for (k, day) in received.iter().enumerate() {
        let mut tickets = Vec::new();
        for n in 0..DUE_PER_RUN {
            let complaint = complaint::submit(
                submission(
                    &format!("due-{k}-{n}"),
                    n,
                    "jalan-rusak",
                    "dpupr-pkp",
                    wib(*day, 10, 0),
                ),
                &rules(&content, "jalan-rusak"),
            );
            assert_eq!(complaint.next_due_ms, Some(wib(due_days[k], 7, 30)));
            store.create_complaint(&complaint).await.expect("create");
            tickets.push(complaint.ticket);
        }
        groups.push(tickets);
    }
    let inserted = started.elapsed();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(dir.path().join("prolink.sqlite3-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!(
        "store: {OPEN} open complaints inserted one by one through create_complaint in {:.1} s ({:.0} µs each); file + WAL {:.0} MiB",
        inserted.as_secs_f64(),
        inserted.as_secs_f64() * 1e6 / OPEN as f64,
        size as f64 / (1024.0 * 1024.0)
    );

    let calls = Arc::new(Calls::default());
    let counting = Arc::new(Counting {
        inner: store.clone(),
        calls: calls.clone(),
    });
    let sender = ReliableSender::new(
        Arc::new(CountingMessenger {
            inner: SimulatorOutbox::new(db.clone(), clock.clone()),
            calls: calls.clone(),
        }),
        counting.clone(),
        counting.clone(),
        clock.clone(),
        Arc::new(TokioSleeper),
        SendPolicy::default(),
    );
    let tasks = Arc::new(SqliteQueue::new(db.clone(), "tasks", 5, clock.clone()));
    let scheduler = Scheduler {
        complaints: counting.clone(),
        signals: counting.clone(),
        // Read every tick, as the scheduler Lambda does, so each run counts the same calls.
        content: Arc::new(ContentSource::new(counting.clone(), Duration::ZERO)),
        tasks,
        notifier: Some(Notifier::new(Arc::new(sender))),
        handoffs: None,
        retention: None,
        broadcasts: None,
        lapor: None,
        operators: Arc::new(
            OperatorDirectory(HashMap::from([
                (
                    "dpupr-pkp".to_string(),
                    vec!["6281330000001".to_string(), "6281330000002".to_string()],
                ),
                ("supervisor".to_string(), vec!["6281330000100".to_string()]),
                ("pimpinan".to_string(), vec!["6281330000200".to_string()]),
            ]))
            .into(),
        ),
        clock: clock.clone(),
        settings: SchedulerSettings::default(),
    };

    // Warm-up: the content cache and SQLite's statement cache, at an instant nothing is due.
    clock.0.store(first_tick - 60_000, Ordering::SeqCst);
    let warm = scheduler.tick().await.expect("tick");
    assert_eq!(warm.examined, 0);
    calls.take();

    let mut times = Vec::new();
    let mut per_tick: Option<([usize; 7], TickReport)> = None;
    for (k, day) in due_days.iter().enumerate() {
        let now = wib(*day, 7, 30);
        clock.0.store(now, Ordering::SeqCst);
        let start = Instant::now();
        let report = scheduler.tick().await.expect("tick");
        times.push(start.elapsed());
        let counted = calls.take();
        assert!(report.finished, "{report:?}");
        assert_eq!(
            (report.examined, report.actions, report.conflicts),
            (DUE_PER_RUN, DUE_PER_RUN, 0),
            "run {k}: {report:?}"
        );
        if let Some((earlier, _)) = &per_tick {
            assert_eq!(*earlier, counted, "every run makes the same calls");
        }
        per_tick = Some((counted, report));
        for ticket in &groups[k] {
            finish(&store, &content, ticket, now + 60_000).await;
        }
    }

    let mut idle = Vec::new();
    let mut idle_calls = [0; 7];
    for n in 0..IDLE_RUNS {
        clock
            .0
            .store(last_tick + 120_000 + n as i64 * 60_000, Ordering::SeqCst);
        let start = Instant::now();
        let report = scheduler.tick().await.expect("tick");
        idle.push(start.elapsed());
        assert_eq!(report.examined, 0, "{report:?}");
        idle_calls = calls.take();
    }

    let (min, p50, max) = median(times);
    println!(
        "tick with {DUE_PER_RUN} due of {OPEN} open: median {} (min {}, max {}, {RUNS} runs, each on a fresh due set)",
        millis(p50),
        millis(min),
        millis(max)
    );
    let (min, p50, max) = median(idle);
    println!(
        "tick with nothing due: median {} (min {}, max {}, {IDLE_RUNS} runs)",
        millis(p50),
        millis(min),
        millis(max)
    );
    let Some((
        [queries, complaint_puts, alert_puts, outbox_puts, outbox_gets, content_loads, sends],
        report,
    )) = per_tick
    else {
        return;
    };
    println!(
        "DynamoDB requests per tick: {queries} Query + {complaint_puts} PutItem for {} due complaints (complaint store; {} queries of the tick report)",
        report.examined, report.queries
    );
    println!(
        "all DynamoDB requests of that tick: {queries} Query + {} PutItem ({complaint_puts} complaints, {alert_puts} alerts, {outbox_puts} outbox records) + {} GetItem ({content_loads} content pointer, {outbox_gets} outbox); {sends} Graph API sends",
        complaint_puts + alert_puts + outbox_puts,
        content_loads + outbox_gets,
    );
    let [queries, complaint_puts, _, _, _, content_loads, _] = idle_calls;
    println!(
        "tick with nothing due: {queries} Query + {complaint_puts} PutItem + {content_loads} GetItem (content pointer)"
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}
