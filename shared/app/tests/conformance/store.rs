//! Cases for `DedupStore`, `RawInboundLog` and `StatusLog`.

use std::sync::Arc;

use prolink_app::ports::{
    Clock, DedupStore, RawInbound, RawInboundLog, StatusLog, StatusRecord, SystemClock,
};

const HOUR_MS: i64 = 60 * 60 * 1000;
const WEEK_MS: i64 = 7 * 24 * HOUR_MS;

/// The stores of one backend, fresh and empty (the raw log must hold nothing else).
pub struct StoreUnderTest {
    pub dedup: Arc<dyn DedupStore>,
    pub raw: Arc<dyn RawInboundLog>,
    pub status: Arc<dyn StatusLog>,
}

/// Every store case, one after the other.
pub async fn run_store_suite(stores: StoreUnderTest) {
    dedup_suite(stores.dedup).await;
    raw_log_suite(stores.raw).await;
    status_log_suite(stores.status).await;
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn now_ms() -> i64 {
    SystemClock.now_ms()
}

/// Conditional marks: created once, conflicts afterwards, one winner under contention, expired
/// marks are replaced.
pub async fn dedup_suite(store: Arc<dyn DedupStore>) {
    dedup_marks_once(&*store).await;
    dedup_race_has_one_winner(Arc::clone(&store)).await;
    dedup_expired_mark_is_replaced(&*store).await;
}

pub async fn dedup_marks_once(store: &dyn DedupStore) {
    let key = unique("wamid.once");
    let expires = now_ms() + WEEK_MS;
    assert!(
        !store.is_marked(&key).await.expect("is_marked"),
        "fresh key"
    );
    assert!(
        store.mark(&key, expires).await.expect("first mark"),
        "the first mark creates it"
    );
    assert!(
        !store.mark(&key, expires).await.expect("second mark"),
        "a second mark of an unexpired key is a conflict"
    );
    assert!(store.is_marked(&key).await.expect("is_marked"));
    assert!(
        !store
            .is_marked(&unique("wamid.other"))
            .await
            .expect("is_marked"),
        "marks do not leak to other keys"
    );
}

pub async fn dedup_race_has_one_winner(store: Arc<dyn DedupStore>) {
    let key = unique("wamid.race");
    let expires = now_ms() + WEEK_MS;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = Arc::clone(&store);
            let key = key.clone();
            tokio::spawn(async move { store.mark(&key, expires).await })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        let created = task
            .await
            .expect("task")
            .expect("a lost race is Ok(false), not an error");
        if created {
            winners += 1;
        }
    }
    assert_eq!(winners, 1, "exactly one of 20 concurrent marks creates it");
    assert!(store.is_marked(&key).await.expect("is_marked"));
}

pub async fn dedup_expired_mark_is_replaced(store: &dyn DedupStore) {
    let key = unique("wamid.expired");
    let now = now_ms();
    assert!(
        store.mark(&key, now - 60_000).await.expect("mark"),
        "nothing there yet, so the (already expired) mark is created"
    );
    assert!(
        !store.is_marked(&key).await.expect("is_marked"),
        "an expired mark does not count"
    );
    assert!(
        store.mark(&key, now + WEEK_MS).await.expect("mark"),
        "an expired mark is replaced"
    );
    assert!(store.is_marked(&key).await.expect("is_marked"));
    assert!(
        !store.mark(&key, now + WEEK_MS).await.expect("mark"),
        "and the replacement holds"
    );
}

/// Newest first, expired bodies left out, `limit` respected. Needs an empty log.
pub async fn raw_log_suite(log: Arc<dyn RawInboundLog>) {
    let now = now_ms();
    let raw = |age_ms: i64, outcome: &str, body: &str, expires_at_ms: i64| RawInbound {
        id: unique("raw"),
        received_at_ms: now - age_ms,
        outcome: outcome.to_owned(),
        body: body.to_owned(),
        expires_at_ms,
    };
    let oldest = raw(
        3_000,
        "queued",
        r#"{"object":"whatsapp_business_account","entry":[]}"#,
        now + HOUR_MS,
    );
    let middle = raw(
        2_000,
        "ignored",
        r#"{"text":"Halo, jalan di depan rumah saya rusak 🚧"}"#,
        now + HOUR_MS,
    );
    let newest = raw(1_000, "unparsable", "not json {", now + HOUR_MS);
    let expired = raw(500, "queued", "{}", now - 1);

    for item in [&middle, &expired, &oldest, &newest] {
        log.record(item).await.expect("record");
    }

    assert_eq!(
        log.recent(10).await.expect("recent"),
        vec![newest.clone(), middle.clone(), oldest],
        "newest first, expired excluded"
    );
    assert_eq!(
        log.recent(2).await.expect("recent"),
        vec![newest, middle],
        "limit keeps the newest"
    );
}

/// Idempotent on (wamid, status); listed as sent < delivered < read < anything else.
pub async fn status_log_suite(log: Arc<dyn StatusLog>) {
    let expires = now_ms() + WEEK_MS;
    let wamid = unique("wamid.HBgN");
    let record =
        |wamid: &str, status: &str, timestamp: i64, error_code: Option<i64>| StatusRecord {
            wamid: wamid.to_owned(),
            status: status.to_owned(),
            timestamp,
            recipient: Some("6281234567890".to_owned()),
            outbox_id: Some("out-1".to_owned()),
            error_code,
            expires_at_ms: expires,
        };
    let sent = record(&wamid, "sent", 1_700_000_010, None);
    let delivered = record(&wamid, "delivered", 1_700_000_020, None);
    let read = record(&wamid, "read", 1_700_000_030, None);
    // Webhooks arrive out of order and more than once.
    for status in [&read, &sent, &delivered, &sent, &delivered] {
        log.record_status(status).await.expect("record_status");
    }
    let statuses = log.statuses_of(&wamid).await.expect("statuses_of");
    assert_eq!(statuses, vec![sent, delivered, read]);

    // Order is by status, not by timestamp: the failure has the earliest timestamp here.
    let other = unique("wamid.HBgN");
    let sent = record(&other, "sent", 1_700_000_001, None);
    let failed = StatusRecord {
        recipient: None,
        ..record(&other, "failed", 1_700_000_000, Some(131_047))
    };
    log.record_status(&failed).await.expect("record_status");
    log.record_status(&sent).await.expect("record_status");
    assert_eq!(
        log.statuses_of(&other).await.expect("statuses_of"),
        vec![sent, failed],
        "other statuses come after sent/delivered/read"
    );

    assert!(
        log.statuses_of(&unique("wamid.none"))
            .await
            .expect("statuses_of")
            .is_empty(),
        "unknown wamid"
    );

    status_expired_is_hidden_and_replaced(&*log).await;
}

/// An expired status is not listed, and a new report of it replaces it (it counts as absent,
/// as on DynamoDB where TTL deletes it only eventually).
pub async fn status_expired_is_hidden_and_replaced(log: &dyn StatusLog) {
    let wamid = unique("wamid.OLD");
    let now = now_ms();
    let old = StatusRecord {
        wamid: wamid.clone(),
        status: "delivered".to_owned(),
        timestamp: 1_700_000_000,
        recipient: None,
        outbox_id: Some("out-old".to_owned()),
        error_code: None,
        expires_at_ms: now - 1,
    };
    log.record_status(&old).await.expect("record expired");
    let live_sent = StatusRecord {
        status: "sent".to_owned(),
        expires_at_ms: now + WEEK_MS,
        ..old.clone()
    };
    log.record_status(&live_sent).await.expect("record live");
    assert_eq!(
        log.statuses_of(&wamid).await.expect("statuses_of"),
        vec![live_sent.clone()],
        "expired statuses are hidden"
    );

    let renewed = StatusRecord {
        timestamp: 1_700_000_100,
        outbox_id: Some("out-new".to_owned()),
        expires_at_ms: now + WEEK_MS,
        ..old
    };
    log.record_status(&renewed).await.expect("record again");
    assert_eq!(
        log.statuses_of(&wamid).await.expect("statuses_of"),
        vec![live_sent, renewed],
        "an expired status is replaced by a new report"
    );
}
