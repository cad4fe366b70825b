//! Cases for the conversation ports: `OutboxStore`, `CitizenStore`, `SessionStore`,
//! `ContentStore` and `OperatorSignals`. Real time only, like the other store cases.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::json;

use prolink_app::ports::{
    CitizenProfile, CitizenStore, Clock, ContentStore, OperatorAlert, OperatorSignals,
    OutboxRecord, OutboxState, OutboxStore, PortError, SessionStore, StoredSession, SystemClock,
    UnansweredQuestion,
};
use prolink_domain::content::ContentBundle;

const HOUR_MS: i64 = 60 * 60 * 1000;
const WEEK_MS: i64 = 7 * 24 * HOUR_MS;
/// Concurrent writers in the race cases.
const RACERS: usize = 16;

/// The conversation stores of one backend. `content` and `signals` must be fresh and empty
/// (the content is a singleton and the signal lists show everything); the others may be
/// shared, as every case uses its own keys.
pub struct ConversationUnderTest {
    pub outbox: Arc<dyn OutboxStore>,
    pub citizens: Arc<dyn CitizenStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub content: Arc<dyn ContentStore>,
    pub signals: Arc<dyn OperatorSignals>,
}

/// Every conversation case, one after the other.
pub async fn run_conversation_suite(stores: ConversationUnderTest) {
    outbox_suite(stores.outbox).await;
    citizen_suite(stores.citizens).await;
    session_suite(stores.sessions).await;
    content_suite(stores.content).await;
    signals_suite(stores.signals).await;
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn now_ms() -> i64 {
    SystemClock.now_ms()
}

fn is_conflict<T: std::fmt::Debug>(result: &Result<T, PortError>) -> bool {
    matches!(result, Err(PortError::Conflict(_)))
}

// ---------------------------------------------------------------------------------------------
// Outbox
// ---------------------------------------------------------------------------------------------

fn outbox_record(outbox_id: &str, expires_at_ms: i64) -> OutboxRecord {
    let now = now_ms();
    OutboxRecord {
        outbox_id: outbox_id.to_owned(),
        citizen_key: "ID.6281234567890".to_owned(),
        // Numbers, nulls, nesting and non-ASCII text must come back exactly.
        body: json!({
            "messaging_product": "whatsapp",
            "to": "6281234567890",
            "type": "interactive",
            "interactive": {
                "type": "list",
                "body": { "text": "Silakan pilih layanan 🙏 — Kependudukan" },
                "action": { "button": "Pilih", "sections": [{ "rows": [] }] }
            },
            "biz_opaque_callback_data": outbox_id,
            "score": 0.1 + 0.2,
            "big": 9_007_199_254_740_993_u64,
            "nothing": null,
            "empty": ""
        }),
        state: OutboxState::Pending,
        wamid: None,
        attempts: 0,
        last_error_code: None,
        last_error: None,
        created_ms: now,
        updated_ms: now,
        expires_at_ms,
    }
}

/// Created once, read back exactly, overwritten by `put`; expired records count as absent.
pub async fn outbox_suite(store: Arc<dyn OutboxStore>) {
    outbox_create_get_put(&*store).await;
    outbox_race_has_one_winner(Arc::clone(&store)).await;
    outbox_expired_record_is_absent(&*store).await;
}

pub async fn outbox_create_get_put(store: &dyn OutboxStore) {
    let id = unique("wamid.IN:0");
    assert_eq!(store.get_outbox(&id).await.expect("get"), None, "fresh id");

    let record = outbox_record(&id, now_ms() + WEEK_MS);
    assert!(
        store.create_outbox(&record).await.expect("create"),
        "the first create writes"
    );
    assert_eq!(
        store.get_outbox(&id).await.expect("get"),
        Some(record.clone())
    );

    let other = OutboxRecord {
        body: json!({"text": "another body"}),
        attempts: 7,
        ..record.clone()
    };
    assert!(
        !store.create_outbox(&other).await.expect("create again"),
        "a second create of the same id is refused"
    );
    assert_eq!(
        store.get_outbox(&id).await.expect("get"),
        Some(record.clone()),
        "and changes nothing"
    );

    let sent = OutboxRecord {
        state: OutboxState::Sent,
        wamid: Some(unique("wamid.OUT")),
        attempts: 1,
        updated_ms: record.updated_ms + 5,
        ..record.clone()
    };
    store.put_outbox(&sent).await.expect("put");
    assert_eq!(
        store.get_outbox(&id).await.expect("get"),
        Some(sent.clone())
    );

    let failed = OutboxRecord {
        state: OutboxState::Failed,
        attempts: 2,
        last_error_code: Some(131_047),
        last_error: Some("Re-engagement message".to_owned()),
        ..sent
    };
    store.put_outbox(&failed).await.expect("put again");
    assert_eq!(store.get_outbox(&id).await.expect("get"), Some(failed));

    // `put` also creates, like a PutItem.
    let direct = outbox_record(&unique("wamid.IN:1"), now_ms() + WEEK_MS);
    store.put_outbox(&direct).await.expect("put new");
    assert_eq!(
        store.get_outbox(&direct.outbox_id).await.expect("get"),
        Some(direct)
    );

    assert!(matches!(
        store.get_outbox("").await,
        Err(PortError::Invalid(_))
    ));
    assert!(matches!(
        store.create_outbox(&outbox_record("", now_ms())).await,
        Err(PortError::Invalid(_))
    ));
}

pub async fn outbox_race_has_one_winner(store: Arc<dyn OutboxStore>) {
    let id = unique("wamid.RACE:0");
    let tasks: Vec<_> = (0..RACERS)
        .map(|i| {
            let store = Arc::clone(&store);
            let mut record = outbox_record(&id, now_ms() + WEEK_MS);
            record.attempts = u32::try_from(i).expect("small");
            tokio::spawn(async move { (i, store.create_outbox(&record).await) })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        let (i, created) = task.await.expect("task");
        if created.expect("a lost race is Ok(false), not an error") {
            winners.push(i);
        }
    }
    assert_eq!(winners.len(), 1, "exactly one concurrent create wins");
    let stored = store.get_outbox(&id).await.expect("get").expect("stored");
    assert_eq!(
        stored.attempts as usize, winners[0],
        "the winner's record is the one stored"
    );
}

pub async fn outbox_expired_record_is_absent(store: &dyn OutboxStore) {
    let id = unique("wamid.OLD:0");
    let expired = outbox_record(&id, now_ms() - 1);
    assert!(store.create_outbox(&expired).await.expect("create"));
    assert_eq!(
        store.get_outbox(&id).await.expect("get"),
        None,
        "an expired record is not read"
    );
    let live = OutboxRecord {
        attempts: 3,
        ..outbox_record(&id, now_ms() + WEEK_MS)
    };
    assert!(
        store
            .create_outbox(&live)
            .await
            .expect("create over expired"),
        "an expired record is taken over"
    );
    assert_eq!(store.get_outbox(&id).await.expect("get"), Some(live));
}

// ---------------------------------------------------------------------------------------------
// Citizens
// ---------------------------------------------------------------------------------------------

fn profile(key: &str) -> CitizenProfile {
    let now = now_ms();
    CitizenProfile {
        key: key.to_owned(),
        wa_id: Some("6281234567890".to_owned()),
        user_id: Some(key.to_owned()),
        name: Some("Siti Aminah".to_owned()),
        last_inbound_ms: Some(now),
        broadcast_opt_in: true,
        topics: vec![
            "tema:kesehatan".to_owned(),
            "kecamatan:kademangan".to_owned(),
        ],
        privacy_consent_ms: None,
        version: 0,
        created_ms: now,
        updated_ms: now,
    }
}

/// Optimistic versions: 0 creates, every write bumps, stale writers conflict, one concurrent
/// writer wins; aliases point at keys.
pub async fn citizen_suite(store: Arc<dyn CitizenStore>) {
    citizen_versions(&*store).await;
    citizen_race_has_one_winner(Arc::clone(&store), 0).await;
    citizen_race_has_one_winner(Arc::clone(&store), 3).await;
    citizen_aliases(&*store).await;
}

pub async fn citizen_versions(store: &dyn CitizenStore) {
    let key = unique("ID.citizen");
    assert_eq!(store.get_citizen(&key).await.expect("get"), None);

    let mut first = profile(&key);
    assert!(
        is_conflict(
            &store
                .put_citizen(&CitizenProfile {
                    version: 4,
                    ..first.clone()
                })
                .await
        ),
        "a versioned write to a missing profile conflicts"
    );
    assert_eq!(store.put_citizen(&first).await.expect("create"), 1);
    first.version = 1;
    assert_eq!(
        store.get_citizen(&key).await.expect("get"),
        Some(first.clone())
    );
    assert!(
        is_conflict(
            &store
                .put_citizen(&CitizenProfile {
                    version: 0,
                    ..first.clone()
                })
                .await
        ),
        "version 0 means the profile must not exist yet"
    );

    let second = CitizenProfile {
        name: None,
        broadcast_opt_in: false,
        topics: Vec::new(),
        privacy_consent_ms: Some(now_ms()),
        ..first.clone()
    };
    assert_eq!(store.put_citizen(&second).await.expect("update"), 2);
    assert!(
        is_conflict(&store.put_citizen(&first).await),
        "a writer holding version 1 lost the race"
    );
    assert_eq!(
        store.get_citizen(&key).await.expect("get"),
        Some(CitizenProfile {
            version: 2,
            ..second
        }),
        "the stale write changed nothing; cleared fields stay cleared"
    );
    assert!(matches!(
        store.get_citizen("").await,
        Err(PortError::Invalid(_))
    ));
}

/// `RACERS` writers holding the same version: exactly one wins, the others conflict.
pub async fn citizen_race_has_one_winner(store: Arc<dyn CitizenStore>, start_version: u64) {
    let key = unique("ID.race");
    let mut current = profile(&key);
    for expected in 0..start_version {
        current.version = expected;
        store.put_citizen(&current).await.expect("prepare");
    }
    current.version = start_version;
    let tasks: Vec<_> = (0..RACERS)
        .map(|i| {
            let store = Arc::clone(&store);
            let attempt = CitizenProfile {
                name: Some(format!("writer {i}")),
                ..current.clone()
            };
            tokio::spawn(async move { (i, store.put_citizen(&attempt).await) })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        let (i, result) = task.await.expect("task");
        match result {
            Ok(version) => {
                assert_eq!(version, start_version + 1);
                winners.push(i);
            }
            Err(PortError::Conflict(_)) => {}
            Err(other) => panic!("a lost race is a Conflict, got {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one of {RACERS} writers wins");
    let stored = store.get_citizen(&key).await.expect("get").expect("stored");
    assert_eq!(stored.version, start_version + 1);
    assert_eq!(stored.name, Some(format!("writer {}", winners[0])));
}

pub async fn citizen_aliases(store: &dyn CitizenStore) {
    let wa_id = unique("62812");
    let first_key = unique("ID.first");
    let second_key = unique("ID.second");
    assert_eq!(store.resolve_alias(&wa_id).await.expect("resolve"), None);
    store.put_alias(&wa_id, &first_key).await.expect("alias");
    assert_eq!(
        store.resolve_alias(&wa_id).await.expect("resolve"),
        Some(first_key.clone())
    );
    store
        .put_alias(&wa_id, &second_key)
        .await
        .expect("re-point");
    assert_eq!(
        store.resolve_alias(&wa_id).await.expect("resolve"),
        Some(second_key.clone()),
        "a newer pointer overwrites"
    );
    store
        .put_alias(&first_key, &second_key)
        .await
        .expect("old key as alias");
    assert_eq!(
        store.resolve_alias(&first_key).await.expect("resolve"),
        Some(second_key.clone())
    );
    assert_eq!(
        store.resolve_alias(&second_key).await.expect("resolve"),
        None,
        "aliases are not keys"
    );
    assert!(matches!(
        store.put_alias("", &first_key).await,
        Err(PortError::Invalid(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------------

fn session(key: &str, version: u64, data: &str, expires_at_ms: i64) -> StoredSession {
    StoredSession {
        key: key.to_owned(),
        data: data.to_owned(),
        version,
        expires_at_ms,
    }
}

/// Versions as for citizens; expired sessions are absent for reads and for writes; delete.
pub async fn session_suite(store: Arc<dyn SessionStore>) {
    session_versions_and_delete(&*store).await;
    session_expiry(&*store).await;
    session_race_has_one_winner(Arc::clone(&store)).await;
}

pub async fn session_versions_and_delete(store: &dyn SessionStore) {
    let key = unique("ID.session");
    let live = now_ms() + HOUR_MS;
    assert_eq!(store.load_session(&key).await.expect("load"), None);
    assert!(is_conflict(
        &store.save_session(&session(&key, 2, "{}", live)).await
    ));

    let data = r#"{"flow":"complaint","step":"location","draft":{"text":"Jalan rusak 🚧"}}"#;
    assert_eq!(
        store
            .save_session(&session(&key, 0, data, live))
            .await
            .expect("create"),
        1
    );
    assert_eq!(
        store.load_session(&key).await.expect("load"),
        Some(session(&key, 1, data, live))
    );
    assert!(
        is_conflict(&store.save_session(&session(&key, 0, "{}", live)).await),
        "version 0 over a live session conflicts"
    );
    assert_eq!(
        store
            .save_session(&session(&key, 1, "{\"step\":2}", live + 1))
            .await
            .expect("update"),
        2
    );
    assert!(is_conflict(
        &store.save_session(&session(&key, 1, "{}", live)).await
    ));
    assert_eq!(
        store.load_session(&key).await.expect("load"),
        Some(session(&key, 2, "{\"step\":2}", live + 1))
    );

    store.delete_session(&key).await.expect("delete");
    assert_eq!(store.load_session(&key).await.expect("load"), None);
    store
        .delete_session(&key)
        .await
        .expect("deleting nothing is fine");
    assert_eq!(
        store
            .save_session(&session(&key, 0, "{}", live))
            .await
            .expect("create after delete"),
        1
    );
    assert!(matches!(
        store.load_session("").await,
        Err(PortError::Invalid(_))
    ));
}

pub async fn session_expiry(store: &dyn SessionStore) {
    let key = unique("ID.idle");
    let expired = now_ms() - 1;
    assert_eq!(
        store
            .save_session(&session(&key, 0, "{\"old\":true}", expired))
            .await
            .expect("create expired"),
        1
    );
    assert_eq!(
        store.load_session(&key).await.expect("load"),
        None,
        "an expired session is not read"
    );
    assert!(
        is_conflict(
            &store
                .save_session(&session(&key, 1, "{}", now_ms() + HOUR_MS))
                .await
        ),
        "an expired session cannot be continued"
    );
    let live = now_ms() + HOUR_MS;
    assert_eq!(
        store
            .save_session(&session(&key, 0, "{\"new\":true}", live))
            .await
            .expect("start over"),
        1,
        "an expired session counts as absent: version 0 starts over"
    );
    assert_eq!(
        store.load_session(&key).await.expect("load"),
        Some(session(&key, 1, "{\"new\":true}", live))
    );
}

pub async fn session_race_has_one_winner(store: Arc<dyn SessionStore>) {
    let key = unique("ID.session-race");
    let live = now_ms() + HOUR_MS;
    store
        .save_session(&session(&key, 0, "{}", live))
        .await
        .expect("create");
    let tasks: Vec<_> = (0..RACERS)
        .map(|i| {
            let store = Arc::clone(&store);
            let attempt = session(&key, 1, &format!("{{\"writer\":{i}}}"), live);
            tokio::spawn(async move { (i, store.save_session(&attempt).await) })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        let (i, result) = task.await.expect("task");
        match result {
            Ok(2) => winners.push(i),
            Ok(other) => panic!("unexpected version {other}"),
            Err(PortError::Conflict(_)) => {}
            Err(other) => panic!("a lost race is a Conflict, got {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one of {RACERS} writers wins");
    let stored = store.load_session(&key).await.expect("load").expect("live");
    assert_eq!(stored.data, format!("{{\"writer\":{}}}", winners[0]));
}

// ---------------------------------------------------------------------------------------------
// Content
// ---------------------------------------------------------------------------------------------

/// A second, different bundle: fewer FAQs and one answer changed.
fn edited(bundle: &ContentBundle) -> ContentBundle {
    let mut edited = bundle.clone();
    edited.faqs.truncate(edited.faqs.len() / 2);
    if let Some(faq) = edited.faqs.first_mut() {
        faq.answer = format!("{} (diperbarui)", faq.answer);
    }
    edited
}

/// Round trip of the real seed; replace swaps the whole bundle; concurrent readers only ever
/// see a whole bundle. Needs a store that never had content.
pub async fn content_suite(store: Arc<dyn ContentStore>) {
    assert_eq!(
        store.load_content().await.expect("load"),
        None,
        "nothing imported yet"
    );
    let seed = crate::support::seed();
    store.replace_content(&seed).await.expect("replace");
    assert_eq!(
        store.load_content().await.expect("load"),
        Some(seed.clone()),
        "the seed comes back exactly"
    );
    assert_eq!(
        store.load_content().await.expect("load again"),
        Some(seed.clone())
    );

    let other = edited(&seed);
    assert_ne!(other, seed);
    store.replace_content(&other).await.expect("replace again");
    assert_eq!(
        store.load_content().await.expect("load"),
        Some(other.clone()),
        "the new bundle replaced the old one whole"
    );

    content_readers_see_whole_bundles(store, seed, other).await;
}

pub async fn content_readers_see_whole_bundles(
    store: Arc<dyn ContentStore>,
    first: ContentBundle,
    second: ContentBundle,
) {
    const REPLACES: usize = 6;
    let writer = {
        let store = Arc::clone(&store);
        let (first, second) = (first.clone(), second.clone());
        tokio::spawn(async move {
            for i in 0..REPLACES {
                let bundle = if i % 2 == 0 { &first } else { &second };
                store.replace_content(bundle).await.expect("replace");
            }
        })
    };
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let store = Arc::clone(&store);
            let (first, second) = (first.clone(), second.clone());
            tokio::spawn(async move {
                let mut seen = BTreeSet::new();
                for _ in 0..8 {
                    let loaded = store
                        .load_content()
                        .await
                        .expect("a read during a replace succeeds")
                        .expect("content present");
                    if loaded == first {
                        seen.insert("first");
                    } else if loaded == second {
                        seen.insert("second");
                    } else {
                        panic!("a reader saw a bundle that was never written whole");
                    }
                    tokio::task::yield_now().await;
                }
                seen
            })
        })
        .collect();
    writer.await.expect("writer");
    for reader in readers {
        assert!(!reader.await.expect("reader").is_empty());
    }
    // REPLACES is even: the last write was `second`.
    assert_eq!(store.load_content().await.expect("load"), Some(second));
}

// ---------------------------------------------------------------------------------------------
// Operator signals
// ---------------------------------------------------------------------------------------------

fn question(id: &str, asked_ms: i64, expires_at_ms: i64) -> UnansweredQuestion {
    UnansweredQuestion {
        id: id.to_owned(),
        citizen_key: "ID.6281234567890".to_owned(),
        text: "jam buka mal pelayanan publik hari minggu? hubungi saya di [nomor]".to_owned(),
        candidates: vec![
            ("faq-mpp-jam".to_owned(), 0.412_345_678_901_234_5),
            ("svc-ktp".to_owned(), 0.1 + 0.2),
        ],
        asked_ms,
        expires_at_ms,
    }
}

fn alert(id: &str, kind: &str, raised_ms: i64) -> OperatorAlert {
    OperatorAlert {
        id: id.to_owned(),
        kind: kind.to_owned(),
        message: format!("Perlu tindakan operator ({kind})."),
        citizen_key: (kind == "handoff").then(|| "ID.6281234567890".to_owned()),
        raised_ms,
        opd_id: None,
    }
}

/// Newest first, expired questions left out, `limit` respected, first write wins; alerts
/// idempotent on id. Needs a store without signals.
pub async fn signals_suite(signals: Arc<dyn OperatorSignals>) {
    let now = now_ms();
    let live = now + WEEK_MS;
    let oldest = question(&unique("q-oldest"), now - 3_000, live);
    let middle = question(&unique("q-middle"), now - 2_000, live);
    let newest = question(&unique("q-newest"), now - 1_000, live);
    let expired = question(&unique("q-expired"), now - 500, now - 1);
    for q in [&middle, &expired, &oldest, &newest] {
        signals.record_unanswered(q).await.expect("record");
    }
    let retried = UnansweredQuestion {
        text: "retried copy".to_owned(),
        asked_ms: now,
        ..middle.clone()
    };
    signals
        .record_unanswered(&retried)
        .await
        .expect("record again");
    assert_eq!(
        signals.recent_unanswered(10).await.expect("recent"),
        vec![newest.clone(), middle.clone(), oldest.clone()],
        "newest first, expired excluded, the first copy of an id kept"
    );
    assert_eq!(
        signals.recent_unanswered(2).await.expect("recent"),
        vec![newest, middle]
    );
    assert!(signals.recent_unanswered(0).await.expect("zero").is_empty());
    let bad = UnansweredQuestion {
        candidates: vec![("x".to_owned(), f64::NAN)],
        ..question(&unique("q-bad"), now, live)
    };
    assert!(matches!(
        signals.record_unanswered(&bad).await,
        Err(PortError::Invalid(_))
    ));

    let token = alert(&unique("graph_token"), "graph_token", now - 3_000);
    let handoff = alert(&unique("handoff"), "handoff", now - 1_000);
    let calendar = alert(&unique("calendar"), "calendar", now - 2_000);
    for a in [&token, &handoff, &calendar] {
        signals.raise_alert(a).await.expect("raise");
    }
    // A retried message raises the same alert again, later and with other text.
    signals
        .raise_alert(&OperatorAlert {
            message: "duplicate".to_owned(),
            raised_ms: now,
            opd_id: None,
            ..token.clone()
        })
        .await
        .expect("raise again");
    assert_eq!(
        signals.recent_alerts(10).await.expect("alerts"),
        vec![handoff.clone(), calendar.clone(), token],
        "newest first, once per id, the first report kept"
    );
    assert_eq!(
        signals.recent_alerts(1).await.expect("alerts"),
        vec![handoff]
    );
    assert!(matches!(
        signals.raise_alert(&alert("", "handoff", now)).await,
        Err(PortError::Invalid(_))
    ));
}
