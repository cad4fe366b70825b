//! The broadcast sender (`prolink_app::broadcast::Broadcaster`) against a fake Graph API
//! (wiremock, through the real `GraphMessenger`) on the SQLite store, with an injected clock
//! that the pacing moves: a large broadcast with injected 130429s, a crash between a page and
//! its checkpoint, opt-outs while it runs and the quiet hours at 21:00. Every opted-in
//! recipient gets exactly one message, nobody else any, and nothing goes between 21:00 and
//! 06:00 WIB.
//!
//! 10 000 citizens (9 000 opted in): about 15 s in a debug build.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use prolink_app::broadcast::{self, BroadcastConfig, Broadcaster};
use prolink_app::graph::{http_client, GraphConfig, GraphMessenger};
use prolink_app::ports::{
    BroadcastAudience, BroadcastRecord, BroadcastState, BroadcastStore, BroadcastTemplate,
    CitizenProfile, CitizenStore, Clock, OperatorSignals, Page, PageRequest, PortError, PortResult,
    StaticSecrets, Subscriber, WhatsAppSecrets,
};
use prolink_app::sender::{ReliableSender, SendPolicy, Sleeper};
use prolink_embedded::sqlite::{SqliteDb, SqliteStore};

use crate::support::{wib, ManualClock};

const PNID: &str = "106540352242922";
const TOKEN: &str = "EAAG-broadcast-test-token";
const RATE: u32 = 80;

const RECIPIENTS: usize = 10_000;

/// Waits only on the test's clock (the pacing and the sender's backoffs move it).
struct ClockSleeper(Arc<ManualClock>);

#[async_trait::async_trait]
impl Sleeper for ClockSleeper {
    async fn sleep(&self, duration: Duration) {
        self.0.advance(duration);
        tokio::task::yield_now().await;
    }
}

/// The fake `/messages`: a recipient listed in `throttle` gets 130429 for its first
/// `attempts` requests; every accepted message is recorded with the clock's time.
#[derive(Clone)]
struct Graph(Arc<GraphState>);

struct GraphState {
    clock: Arc<ManualClock>,
    throttle: HashMap<String, usize>,
    tries: Mutex<HashMap<String, usize>>,
    accepted: Mutex<Vec<(String, i64)>>,
    throttled: AtomicUsize,
    n: AtomicUsize,
}

impl Respond for Graph {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let to = body["to"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches('+')
            .to_string();
        let attempt = {
            let mut tries = self.0.tries.lock().unwrap();
            let slot = tries.entry(to.clone()).or_insert(0);
            *slot += 1;
            *slot
        };
        if self
            .0
            .throttle
            .get(&to)
            .is_some_and(|limit| attempt <= *limit)
        {
            self.0.throttled.fetch_add(1, Ordering::SeqCst);
            return ResponseTemplate::new(400).set_body_json(json!({ "error": {
                "message": "(#130429) Rate limit hit", "type": "OAuthException",
                "code": 130429, "fbtrace_id": "x"
            } }));
        }
        assert_eq!(body["type"], "template", "broadcasts send templates only");
        self.0
            .accepted
            .lock()
            .unwrap()
            .push((to.clone(), self.0.clock.now_ms()));
        let n = self.0.n.fetch_add(1, Ordering::SeqCst);
        ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{ "input": to, "wa_id": to }],
            "messages": [{ "id": format!("wamid.BC{n}") }]
        }))
    }
}

/// The SQLite store whose `n`-th broadcast write fails once: a crash after a page went out
/// and before its checkpoint.
struct CrashingStore {
    inner: Arc<SqliteStore>,
    writes: AtomicUsize,
    crash_at: usize,
}

#[async_trait::async_trait]
impl BroadcastStore for CrashingStore {
    async fn put_broadcast(&self, broadcast: &BroadcastRecord) -> PortResult<u64> {
        if self.writes.fetch_add(1, Ordering::SeqCst) + 1 == self.crash_at {
            return Err(PortError::Backend(
                "injected crash before the checkpoint".into(),
            ));
        }
        self.inner.put_broadcast(broadcast).await
    }
    async fn get_broadcast(&self, id: &str) -> PortResult<Option<BroadcastRecord>> {
        self.inner.get_broadcast(id).await
    }
    async fn list_broadcasts(&self, page: &PageRequest) -> PortResult<Page<BroadcastRecord>> {
        self.inner.list_broadcasts(page).await
    }
    async fn broadcasts_due(&self, before: i64, limit: usize) -> PortResult<Vec<BroadcastRecord>> {
        self.inner.broadcasts_due(before, limit).await
    }
    async fn subscribers(&self, after: Option<&str>, limit: usize) -> PortResult<Vec<Subscriber>> {
        self.inner.subscribers(after, limit).await
    }
}

fn test_secrets() -> Arc<StaticSecrets> {
    Arc::new(StaticSecrets(WhatsAppSecrets {
        app_secret: "s".into(),
        app_secret_previous: None,
        verify_token: "v".into(),
        access_token: Some(TOKEN.into()),
    }))
}

fn graph_config(server: &MockServer) -> GraphConfig {
    GraphConfig {
        base_url: server.uri(),
        api_version: "v25.0".into(),
        phone_number_id: PNID.into(),
    }
}

/// The fake Graph `/messages` on a new server, throttling the listed recipients.
async fn fake_graph(
    clock: &Arc<ManualClock>,
    throttle: HashMap<String, usize>,
) -> (MockServer, Graph) {
    let server = MockServer::start().await;
    let graph = Graph(Arc::new(GraphState {
        clock: clock.clone(),
        throttle,
        tries: Mutex::default(),
        accepted: Mutex::default(),
        throttled: AtomicUsize::new(0),
        n: AtomicUsize::new(0),
    }));
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{PNID}/messages")))
        .respond_with(graph.clone())
        .mount(&server)
        .await;
    (server, graph)
}

/// A scheduled broadcast of the health template, due at `start`.
fn scheduled(start: i64, audience: BroadcastAudience, audience_size: u64) -> BroadcastRecord {
    BroadcastRecord {
        id: broadcast::new_id(start),
        name: "Imunisasi".into(),
        template: BroadcastTemplate {
            name: "siaran_kesehatan".into(),
            language: "id".into(),
            parameters: vec!["Imunisasi".into(), "Ke posyandu.".into(), "Dinkes".into()],
            header_parameters: vec![],
        },
        audience,
        send_at_ms: None,
        urgent: false,
        state: BroadcastState::Scheduled,
        audience_size,
        progress: 0,
        cursor: None,
        next_run_ms: Some(start),
        stop_reason: None,
        created_by: "admin".into(),
        created_ms: start,
        updated_ms: start,
        started_ms: None,
        finished_ms: None,
        version: 0,
    }
}

fn everyone() -> BroadcastAudience {
    BroadcastAudience {
        all: true,
        topics: vec![],
    }
}

fn phone(i: usize) -> String {
    format!("62812{i:08}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_opted_in_citizen_gets_exactly_one_message_outside_the_quiet_hours() {
    let n = RECIPIENTS;
    let opted_in: Vec<usize> = (0..n).filter(|i| i % 10 != 0).collect();
    // Opt out while the broadcast runs (the last 100 subscribers, not reached yet).
    let late_opt_outs: HashSet<usize> = opted_in.iter().rev().take(100).copied().collect();
    let expected: HashSet<String> = opted_in
        .iter()
        .filter(|i| !late_opt_outs.contains(i))
        .map(|i| phone(*i))
        .collect();
    // Half of them go out before 21:00 (the resumed tick starts that long before it).
    let before_nine = (opted_in.len() / 2) as i64;
    // (New messages stop a minute before 21:00 so that those in flight land before it.)
    let resume_at = wib(2026, 12, 7, 20, 59) - before_nine * 1000 / i64::from(RATE);
    let start = wib(2026, 12, 7, 20, 30);
    let clock = ManualClock::at(start);

    let db = SqliteDb::open_in_memory().expect("sqlite");
    let store = Arc::new(SqliteStore::new(db, clock.clone()));
    for i in 0..n {
        store
            .put_citizen(&CitizenProfile {
                key: phone(i),
                wa_id: Some(phone(i)),
                broadcast_opt_in: i % 10 != 0,
                topics: vec![if i % 2 == 0 {
                    "kesehatan"
                } else {
                    "kecamatan:kademangan"
                }
                .into()],
                ..CitizenProfile::default()
            })
            .await
            .expect("citizen");
    }
    // Every 97th opted-in citizen is throttled past the sender's own retries (the
    // broadcaster slows down), every 50th once (the sender's backoff absorbs it).
    let throttle: HashMap<String, usize> = opted_in
        .iter()
        .filter_map(|i| match i {
            i if i % 97 == 1 => Some((phone(*i), 4)),
            i if i % 50 == 1 => Some((phone(*i), 1)),
            _ => None,
        })
        .collect();

    let (server, graph) = fake_graph(&clock, throttle).await;
    let messenger = GraphMessenger::new(graph_config(&server), test_secrets(), http_client());
    let sleeper = Arc::new(ClockSleeper(clock.clone()));
    let sender = Arc::new(
        ReliableSender::new(
            Arc::new(messenger),
            store.clone(),
            store.clone(),
            clock.clone(),
            sleeper.clone(),
            SendPolicy {
                max_attempts: 4,
                base_backoff: Duration::from_millis(5),
                jitter: 0.0,
                reconcile_wait: Duration::from_millis(50),
                reconcile_poll: Duration::from_millis(10),
                retention_days: 90,
            },
        )
        .with_counters(store.clone()),
    );
    let crashing = Arc::new(CrashingStore {
        inner: store.clone(),
        writes: AtomicUsize::new(0),
        // The claim, the first page's checkpoint, then the second page's: lost.
        crash_at: 3,
    });
    let broadcaster = Broadcaster {
        store: crashing.clone(),
        sender,
        settings: store.clone(),
        signals: store.clone(),
        counters: Some(store.clone()),
        clock: clock.clone(),
        sleeper,
        config: BroadcastConfig {
            rate: RATE,
            tier: 1_000_000,
            concurrency: 8,
            lease_ms: 120_000,
        },
        templates: None,
        tasks: None,
    };
    let record = BroadcastRecord {
        name: "Imunisasi".into(),
        ..scheduled(
            start,
            BroadcastAudience {
                all: false,
                topics: vec!["kesehatan".into(), "kecamatan:kademangan".into()],
            },
            opted_in.len() as u64,
        )
    };
    store.put_broadcast(&record).await.expect("broadcast");
    let budget = Duration::from_secs(600);

    // 1. The tick "crashes" after its second page went out.
    let crashed = broadcaster.tick(budget).await;
    assert!(crashed.is_err(), "the injected crash surfaces: {crashed:?}");
    let sent_before_crash = graph.0.accepted.lock().unwrap().len();
    assert!(
        sent_before_crash >= 300,
        "two pages went out: {sent_before_crash}"
    );

    // 2. Citizens opt out before the broadcast reaches them.
    for i in &late_opt_outs {
        let mut profile = store
            .get_citizen(&phone(*i))
            .await
            .unwrap()
            .expect("profile");
        profile.broadcast_opt_in = false;
        profile.topics.clear();
        store.put_citizen(&profile).await.expect("opt out");
    }

    // 3. Nothing happens while the lease holds; after it another tick resumes and pauses at
    //    21:00.
    let idle = broadcaster.tick(budget).await.expect("tick");
    assert_eq!(idle.broadcasts, 0, "leased");
    clock.set(resume_at);
    let evening = broadcaster.tick(budget).await.expect("tick");
    assert!(
        evening.resumed > 0,
        "the crashed page is recognised: {evening:?}"
    );
    assert!(
        evening.throttled > 0,
        "130429 slowed it down: {evening:?}, Graph answered {} throttles",
        graph.0.throttled.load(Ordering::SeqCst)
    );
    let held = store
        .get_broadcast(&record.id)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(held.state, BroadcastState::Sending);
    assert_eq!(
        held.next_run_ms,
        Some(wib(2026, 12, 8, 6, 0)),
        "resumes at 06:00"
    );
    let sent_evening = graph.0.accepted.lock().unwrap().len();
    assert!(
        sent_evening < expected.len(),
        "21:00 came before the end: {sent_evening}"
    );

    // 4. At night nothing is due.
    clock.set(wib(2026, 12, 7, 23, 30));
    let night = broadcaster.tick(budget).await.expect("tick");
    assert_eq!((night.broadcasts, night.sent), (0, 0));

    // 5. In the morning it finishes.
    clock.set(wib(2026, 12, 8, 6, 0));
    let mut rounds = 0;
    loop {
        let morning = broadcaster.tick(budget).await.expect("tick");
        rounds += 1;
        let now = store
            .get_broadcast(&record.id)
            .await
            .unwrap()
            .expect("stored");
        if now.state == BroadcastState::Done || rounds > 20 {
            break;
        }
        // A throttled round leaves it for a minute.
        assert!(morning.broadcasts <= 1);
        clock.advance(Duration::from_secs(61));
    }
    let done = store
        .get_broadcast(&record.id)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(
        done.state,
        BroadcastState::Done,
        "finished in {rounds} rounds"
    );

    let accepted = graph.0.accepted.lock().unwrap().clone();
    let mut per_recipient: HashMap<&str, usize> = HashMap::new();
    for (to, at) in &accepted {
        *per_recipient.entry(to.as_str()).or_default() += 1;
        let hour = prolink_domain::calendar::wib_datetime(*at)
            .format("%H")
            .to_string();
        assert!(("06".."21").contains(&hour.as_str()), "{to} at {hour}h WIB");
    }
    let twice: Vec<_> = per_recipient.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");
    let got: HashSet<String> = per_recipient.keys().map(|k| k.to_string()).collect();
    let missing: Vec<_> = expected.difference(&got).take(5).collect();
    let extra: Vec<_> = got.difference(&expected).take(5).collect();
    assert!(missing.is_empty(), "never sent: {missing:?}");
    assert!(
        extra.is_empty(),
        "sent to someone outside the audience: {extra:?}"
    );
    assert!(graph.0.throttled.load(Ordering::SeqCst) > 0);

    // The statistics count what Graph accepted, once each.
    let stats = broadcast::read_stats(store.as_ref(), &record.id)
        .await
        .unwrap();
    assert_eq!(stats.sent as usize, expected.len());
    assert!(
        store.recent_alerts(10).await.unwrap().is_empty(),
        "no alert"
    );
}

#[test]
fn template_status_and_number_quality_webhooks_become_items() {
    use prolink_app::webhook_item::{webhook_items, WebhookItem};
    // The shapes of Meta's webhook reference (message_template_status_update,
    // phone_number_quality_update).
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "102290129340398",
            "time": 1_765_000_000,
            "changes": [
                {
                    "field": "message_template_status_update",
                    "value": {
                        "event": "PAUSED",
                        "message_template_id": 1_234_567_890_i64,
                        "message_template_name": "siaran_kesehatan",
                        "message_template_language": "id",
                        "reason": "LOW_QUALITY",
                        "message_template_category": "MARKETING"
                    }
                },
                {
                    "field": "phone_number_quality_update",
                    "value": {
                        "display_phone_number": "15550783881",
                        "event": "FLAGGED",
                        "current_limit": "TIER_1K",
                        "max_daily_conversations_per_business": "TIER_1K"
                    }
                },
                { "field": "account_update", "value": { "event": "VERIFIED_ACCOUNT" } }
            ]
        }]
    });
    let payload =
        prolink_whatsapp::webhook::parse_payload(body.to_string().as_bytes()).expect("parses");
    let items = webhook_items(&payload);
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(matches!(
        &items[0],
        WebhookItem::TemplateStatus { name, event, .. }
            if name == "siaran_kesehatan" && event == "PAUSED"
    ));
    assert!(matches!(
        &items[1],
        WebhookItem::PhoneQuality { event, current_limit, .. }
            if event == "FLAGGED" && current_limit.as_deref() == Some("TIER_1K")
    ));
    // Meta's repeat of the same report is the same queue item.
    assert_eq!(webhook_items(&payload)[0].dedup_id(), items[0].dedup_id());
}

/// Graph's template list becomes the statuses the broadcasts read: paged, bearer-authorised,
/// read at most every 15 minutes; a catalog template the account lacks is `MISSING`; and a
/// broadcast whose template Meta paused is stopped by the next tick with an alert.
#[tokio::test]
async fn template_statuses_come_from_graph_and_stop_a_broadcast_of_a_paused_template() {
    use prolink_app::graph_templates::GraphTemplates;
    use prolink_app::ports::{AlertBoard, AlertState, SettingsStore, TemplateDirectory};
    use wiremock::matchers::{header, query_param};

    const WABA: &str = "102290129340398";
    let start = wib(2026, 12, 7, 9, 0);
    let clock = ManualClock::at(start);
    let store = Arc::new(SqliteStore::new(
        SqliteDb::open_in_memory().expect("sqlite"),
        clock.clone(),
    ));
    let server = MockServer::start().await;
    let list_path = format!("/v25.0/{WABA}/message_templates");
    Mock::given(method("GET"))
        .and(path(list_path.clone()))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(query_param("after", "page2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [
                {"name": "siaran_kesehatan", "language": "id", "status": "PAUSED", "category": "MARKETING", "id": "2"},
                {"name": "siaran_acara", "language": "en_US", "status": "APPROVED", "category": "MARKETING", "id": "3"}
            ],
            "paging": {"cursors": {"before": "x", "after": "end"}}
        })))
        // Read three times: the direct listing, the first sync, the tick's sync.
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(list_path))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(query_param("fields", "name,language,status,category"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [
                {"name": "siaran_layanan", "language": "id", "status": "APPROVED", "category": "UTILITY", "id": "1"},
                {"name": "siaran_siaga_bencana", "language": "id", "status": "pending", "category": "MARKETING", "id": "4"},
                {"name": "siaran_jam_layanan", "language": "id", "status": "APPROVED", "category": "UTILITY", "id": "5"}
            ],
            "paging": {"cursors": {"before": "y", "after": "page2"}, "next": "https://graph.example/next"}
        })))
        .mount(&server)
        .await;
    let secrets = test_secrets();
    let config = graph_config(&server);
    assert!(
        GraphTemplates::new(config.clone(), "", secrets.clone(), http_client()).is_none(),
        "no account id, nothing to list"
    );
    let directory: Arc<dyn TemplateDirectory> = Arc::new(
        GraphTemplates::new(config.clone(), WABA, secrets.clone(), http_client())
            .expect("an account id"),
    );
    assert_eq!(
        directory.list_templates().await.expect("listed").len(),
        5,
        "both pages are read"
    );

    let synced = broadcast::sync_template_statuses(store.as_ref(), directory.as_ref(), start)
        .await
        .expect("synced");
    assert_eq!(synced, Some(broadcast::catalog().len()));
    let status = |name: &'static str| {
        let store = store.clone();
        async move {
            broadcast::template_status(store.as_ref(), name)
                .await
                .expect("status")
        }
    };
    assert_eq!(status("siaran_layanan").await, "APPROVED");
    assert_eq!(status("siaran_kesehatan").await, "PAUSED");
    assert_eq!(status("siaran_siaga_bencana").await, "PENDING");
    assert_eq!(
        status("siaran_acara").await,
        "MISSING",
        "only an English version exists at Meta"
    );
    assert_eq!(
        broadcast::sync_template_statuses(store.as_ref(), directory.as_ref(), start + 60_000)
            .await
            .expect("not due"),
        None,
        "read at most every 15 minutes"
    );
    let marker = store
        .get_setting(broadcast::TEMPLATE_SYNC_KEY)
        .await
        .expect("read")
        .expect("the sync is recorded");
    assert_eq!(marker.value["synced_ms"], start);

    // A scheduled broadcast of the paused template: the tick (which syncs again, 16 minutes
    // on) stops it and tells the operators; nothing is sent.
    clock.set(start + 16 * 60_000);
    let record = BroadcastRecord {
        name: "Kampanye".into(),
        ..scheduled(start, everyone(), 0)
    };
    store.put_broadcast(&record).await.expect("scheduled");
    let messenger = GraphMessenger::new(config, secrets, http_client());
    let sleeper = Arc::new(ClockSleeper(clock.clone()));
    let sender = Arc::new(ReliableSender::new(
        Arc::new(messenger),
        store.clone(),
        store.clone(),
        clock.clone(),
        sleeper.clone(),
        SendPolicy::default(),
    ));
    let broadcaster = Broadcaster {
        store: store.clone(),
        sender,
        settings: store.clone(),
        signals: store.clone(),
        counters: Some(store.clone()),
        clock: clock.clone(),
        sleeper,
        config: BroadcastConfig::default(),
        templates: Some(directory),
        tasks: None,
    };
    let report = broadcaster
        .tick(Duration::from_secs(5))
        .await
        .expect("tick");
    assert_eq!(report.stopped, 1, "{report:?}");
    let stopped = store
        .get_broadcast(&record.id)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(stopped.state, BroadcastState::Stopped);
    assert!(stopped
        .stop_reason
        .as_deref()
        .unwrap_or("")
        .contains("PAUSED"));
    let alerts = store
        .list_alerts(
            AlertState::Open,
            None,
            &PageRequest {
                limit: 50,
                after: None,
            },
        )
        .await
        .expect("alerts")
        .items;
    assert!(
        alerts.iter().any(|a| a.alert.kind == "broadcast"),
        "the operators are told: {alerts:?}"
    );
    // The tick synced again (16 minutes on); the one within 15 minutes did not.
    server.verify().await;
}

#[test]
fn meta_messaging_limits_read_as_recipient_counts() {
    for (limit, expected) in [
        ("TIER_50", Some(50)),
        ("TIER_250", Some(250)),
        ("TIER_1K", Some(1_000)),
        ("TIER_10K", Some(10_000)),
        ("TIER_100K", Some(100_000)),
        ("TIER_UNLIMITED", Some(u64::MAX)),
        ("UNLIMITED", None),
        ("TIER_", None),
        ("TIER_XK", None),
    ] {
        assert_eq!(broadcast::tier_of_limit(limit), expected, "{limit}");
    }
}

/// Meta's messaging limit counts the unique recipients of every business-initiated
/// (template) message in 24 hours: complaint notifications use it up as broadcasts do, a
/// citizen sent two templates counts once, and Meta's reported limit beats the configured one.
#[tokio::test]
async fn the_messaging_tier_is_shared_with_notifications_and_counts_each_citizen_once() {
    use prolink_app::ports::OutboundMessage;
    use prolink_app::sender::Window;
    use prolink_whatsapp::outbound::{self, ReplyAddress, Template};

    let start = wib(2026, 12, 7, 9, 0);
    let clock = ManualClock::at(start);
    let store = Arc::new(SqliteStore::new(
        SqliteDb::open_in_memory().expect("sqlite"),
        clock.clone(),
    ));
    for i in 0..6 {
        store
            .put_citizen(&CitizenProfile {
                key: phone(i),
                wa_id: Some(phone(i)),
                broadcast_opt_in: true,
                ..CitizenProfile::default()
            })
            .await
            .expect("citizen");
    }
    let (server, graph) = fake_graph(&clock, HashMap::new()).await;
    let messenger = GraphMessenger::new(graph_config(&server), test_secrets(), http_client());
    let sleeper = Arc::new(ClockSleeper(clock.clone()));
    let sender = Arc::new(
        ReliableSender::new(
            Arc::new(messenger),
            store.clone(),
            store.clone(),
            clock.clone(),
            sleeper.clone(),
            SendPolicy::default(),
        )
        .with_counters(store.clone()),
    );

    // Complaint notifications outside the window (templates): two to the first citizen, one
    // to the second.
    for (n, who) in [(0, phone(0)), (1, phone(0)), (2, phone(1))] {
        let body = outbound::template(
            &ReplyAddress::Phone(who.clone()),
            &Template {
                name: "aduan_status".into(),
                language_code: "id".into(),
                components: vec![],
            },
        )
        .expect("a template body");
        sender
            .send(
                &who,
                Window::Closed,
                OutboundMessage {
                    outbox_id: format!("notify.tier.{n}"),
                    body,
                },
                None,
            )
            .await
            .expect("notification sent");
    }
    assert_eq!(graph.0.accepted.lock().unwrap().len(), 3);

    let record = BroadcastRecord {
        name: "Kerja bakti".into(),
        ..scheduled(start, everyone(), 6)
    };
    store.put_broadcast(&record).await.expect("scheduled");
    let broadcaster = Broadcaster {
        store: store.clone(),
        sender,
        settings: store.clone(),
        signals: store.clone(),
        counters: Some(store.clone()),
        clock: clock.clone(),
        sleeper,
        // Four unique recipients a day: two are used by the notifications (not three: the
        // first citizen counts once).
        config: BroadcastConfig {
            rate: RATE,
            tier: 4,
            concurrency: 4,
            lease_ms: 120_000,
        },
        templates: None,
        tasks: None,
    };
    broadcaster
        .tick(Duration::from_secs(30))
        .await
        .expect("tick");
    assert_eq!(
        graph.0.accepted.lock().unwrap().len(),
        3 + 2,
        "two broadcast messages fit in what the notifications left"
    );
    let held = store
        .get_broadcast(&record.id)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(held.state, BroadcastState::Sending);
    assert!(
        held.next_run_ms.unwrap_or(0) >= clock.now_ms() + 3_000_000,
        "it waits about an hour for the window to move: {:?}",
        held.next_run_ms
    );

    // Meta reports a higher limit: the rest goes out at the next due tick.
    broadcast::merge_setting(store.as_ref(), broadcast::QUALITY_KEY, start, |map| {
        map.insert("event".into(), json!("UPGRADE"));
        map.insert("current_limit".into(), json!("TIER_1K"));
    })
    .await
    .expect("quality report");
    clock.set(held.next_run_ms.expect("due again"));
    broadcaster
        .tick(Duration::from_secs(30))
        .await
        .expect("tick");
    let done = store
        .get_broadcast(&record.id)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(done.state, BroadcastState::Done);
    let accepted = graph.0.accepted.lock().unwrap().clone();
    assert_eq!(accepted.len(), 3 + 6, "every subscriber once");
    let broadcast_to: HashSet<&str> = accepted[3..].iter().map(|(to, _)| to.as_str()).collect();
    assert_eq!(broadcast_to.len(), 6);
}

/// With the tasks queue, a batch that runs out of time hands the rest to a new batch under
/// a fresh lease, and a batch handed out before the broadcast was written again (a lost
/// race, a redelivered task) sends nothing.
#[tokio::test]
async fn a_batch_hands_the_rest_on_and_a_stale_batch_does_nothing() {
    use prolink_app::ports::Queue;
    use prolink_app::tasks::Task;
    use prolink_embedded::sqlite::SqliteQueue;

    let start = wib(2026, 12, 7, 10, 0);
    let clock = ManualClock::at(start);
    let db = SqliteDb::open_in_memory().expect("sqlite");
    let store = Arc::new(SqliteStore::new(db.clone(), clock.clone()));
    let tasks = Arc::new(SqliteQueue::new(db, "tasks", 8, clock.clone()));
    store
        .put_citizen(&CitizenProfile {
            key: phone(1),
            wa_id: Some(phone(1)),
            broadcast_opt_in: true,
            ..CitizenProfile::default()
        })
        .await
        .expect("citizen");
    let record = BroadcastRecord {
        name: "Batch".into(),
        ..scheduled(start, everyone(), 1)
    };
    store.put_broadcast(&record).await.expect("scheduled");
    let (server, graph) = fake_graph(&clock, HashMap::new()).await;
    let sleeper = Arc::new(ClockSleeper(clock.clone()));
    let sender = Arc::new(ReliableSender::new(
        Arc::new(GraphMessenger::new(
            graph_config(&server),
            test_secrets(),
            http_client(),
        )),
        store.clone(),
        store.clone(),
        clock.clone(),
        sleeper.clone(),
        SendPolicy::default(),
    ));
    let broadcaster = Broadcaster {
        store: store.clone(),
        sender,
        settings: store.clone(),
        signals: store.clone(),
        counters: None,
        clock: clock.clone(),
        sleeper,
        config: BroadcastConfig::default(),
        templates: None,
        tasks: Some(tasks.clone()),
    };
    let handed = |deliveries: &[prolink_app::ports::Delivery]| -> Vec<Task> {
        deliveries
            .iter()
            .map(|d| serde_json::from_str(&d.body).expect("a task"))
            .collect()
    };

    // The scheduler's tick hands it out and sends nothing itself.
    let report = broadcaster
        .tick(Duration::from_secs(5))
        .await
        .expect("tick");
    assert_eq!((report.handed_out, report.sent), (1, 0), "{report:?}");
    let first = tasks
        .receive(10, Duration::from_secs(60))
        .await
        .expect("receive");
    let (broadcast_id, seq) = match handed(&first).as_slice() {
        [Task::BroadcastBatch { broadcast_id, seq }] => (broadcast_id.clone(), *seq),
        other => panic!("one batch task: {other:?}"),
    };
    assert_eq!(broadcast_id, record.id);
    let claimed = store.get_broadcast(&record.id).await.unwrap().unwrap();
    assert_eq!(claimed.state, BroadcastState::Sending);
    assert_eq!(seq, claimed.version);
    assert!(
        claimed.next_run_ms.unwrap_or(0) > start,
        "leased, not due again at once"
    );

    // A batch with no time left hands the rest on under a new sequence number.
    broadcaster
        .run_batch(&broadcast_id, seq, Duration::ZERO)
        .await
        .expect("batch");
    let second = tasks
        .receive(10, Duration::from_secs(60))
        .await
        .expect("receive");
    let next = match handed(&second).as_slice() {
        [Task::BroadcastBatch { seq, .. }] => *seq,
        other => panic!("one continuation: {other:?}"),
    };
    assert!(next > seq);
    assert_eq!(graph.0.accepted.lock().unwrap().len(), 0);

    // The first task again (redelivered): stale, nothing sent, nothing handed out.
    let stale = broadcaster
        .run_batch(&broadcast_id, seq, Duration::from_secs(5))
        .await
        .expect("stale batch");
    assert_eq!((stale.sent, stale.handed_out), (0, 0), "{stale:?}");
    assert_eq!(graph.0.accepted.lock().unwrap().len(), 0);

    // The continuation sends to the subscriber and finishes the broadcast.
    let last = broadcaster
        .run_batch(&broadcast_id, next, Duration::from_secs(5))
        .await
        .expect("batch");
    assert_eq!(last.sent, 1, "{last:?}");
    let done = store.get_broadcast(&record.id).await.unwrap().unwrap();
    assert_eq!(done.state, BroadcastState::Done);
    assert_eq!(graph.0.accepted.lock().unwrap().len(), 1);
}
