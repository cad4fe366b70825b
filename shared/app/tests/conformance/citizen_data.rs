//! `CitizenData`: an erasure removes the citizen from every port that holds them and leaves
//! other citizens alone, complaints stay anonymised, a second run finds nothing; tombstones
//! are found by hash and lifted; erasure requests wait once per citizen and close with the
//! erasure. The cases use their own numbers and ids; the request list is store-wide, so
//! `run_citizen_data_suite` wants a fresh store.

use std::sync::Arc;

use prolink_app::citizen_rights::{identifier_hash, new_anonymous_key, tombstone_hashes};
use prolink_app::conversations::new_conversation_id;
use prolink_app::ports::{
    CitizenData, CitizenStore, ComplaintStore, ConversationLog, ConversationSummary, Direction,
    ErasureOrder, ErasureRequest, ErasureRequestState, LoggedMessage, OperatorAlert,
    OperatorSignals, PageRequest, PortError, SessionStore, StoredSession, UnansweredQuestion,
};
use prolink_domain::citizen::CitizenProfile;
use prolink_domain::complaint::{self, Rules, Submission};
use prolink_domain::erasure::ErasedIdentity;

/// The ports of one store the cases use.
#[derive(Clone)]
pub struct CitizenDataUnderTest {
    pub data: Arc<dyn CitizenData>,
    pub citizens: Arc<dyn CitizenStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub conversations: Arc<dyn ConversationLog>,
    pub complaints: Arc<dyn ComplaintStore>,
    pub signals: Arc<dyn OperatorSignals>,
}

impl CitizenDataUnderTest {
    pub fn of<S>(store: Arc<S>) -> Self
    where
        S: CitizenData
            + CitizenStore
            + SessionStore
            + ConversationLog
            + ComplaintStore
            + OperatorSignals
            + 'static,
    {
        CitizenDataUnderTest {
            data: store.clone(),
            citizens: store.clone(),
            sessions: store.clone(),
            conversations: store.clone(),
            complaints: store.clone(),
            signals: store,
        }
    }
}

pub async fn run_citizen_data_suite(store: CitizenDataUnderTest) {
    tokio::join!(
        erasure_removes_one_citizen_and_keeps_the_other(store.clone()),
        tombstones_are_found_by_hash_and_lifted(store.data.clone()),
    );
    // Store-wide list: after the others.
    erasure_requests_wait_once_and_close_with_the_erasure(store).await;
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A phone number of this run (`62` and 11 digits).
fn phone() -> String {
    format!("628{:010}", uuid::Uuid::new_v4().as_u128() % 10_000_000_000)
}

fn ticket() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut n = uuid::Uuid::new_v4().as_u128();
    let mut id = String::from("PS-");
    for _ in 0..6 {
        id.push(ALPHABET[(n % 32) as usize] as char);
        n /= 32;
    }
    id
}

/// A citizen in every port: profile, alias, session, two log entries, summary, complaint,
/// unanswered question, alert. Returns (conversation id, ticket).
async fn citizen(store: &CitizenDataUnderTest, key: &str, name: &str) -> (String, String) {
    let now = now_ms();
    let later = now + 86_400_000;
    store
        .citizens
        .put_citizen(&CitizenProfile {
            key: key.into(),
            wa_id: Some(key.into()),
            name: Some(name.into()),
            created_ms: now,
            updated_ms: now,
            ..CitizenProfile::default()
        })
        .await
        .expect("profile");
    store.citizens.put_alias(key, key).await.expect("alias");
    store
        .sessions
        .save_session(&StoredSession {
            key: key.into(),
            data: "{}".into(),
            version: 0,
            expires_at_ms: later,
        })
        .await
        .expect("session");
    for (i, direction) in [Direction::Inbound, Direction::Outbound]
        .into_iter()
        .enumerate()
    {
        store
            .conversations
            .append_message(&LoggedMessage {
                citizen_key: key.into(),
                id: format!("m.{key}.{i}"),
                at_ms: now - 1000 + i as i64,
                direction,
                actor: None,
                kind: "text".into(),
                text: Some(format!("pesan {i} dari {name}")),
                choices: vec![],
                media_ref: None,
                delivery: None,
                expires_at_ms: later,
            })
            .await
            .expect("message");
    }
    let id = new_conversation_id();
    store
        .conversations
        .put_conversation(&ConversationSummary {
            citizen_key: key.into(),
            id: id.clone(),
            name: Some(name.into()),
            phone: Some(key.into()),
            last_message_ms: now,
            ..ConversationSummary::default()
        })
        .await
        .expect("summary");
    let content = prolink_app::content_import::embedded_seed().expect("seed");
    let rules = Rules::for_category(&content, "jalan-rusak");
    let ticket = ticket();
    let complaint = complaint::submit(
        Submission {
            ticket: ticket.clone(),
            citizen_key: key.into(),
            reporter_name: Some(name.into()),
            category_id: "jalan-rusak".into(),
            opd_id: "dpupr-pkp".into(),
            description: format!("Jalan rusak. Saya {name}, telepon 0{}.", &key[2..]),
            location: None,
            photos: vec![],
            privacy: Default::default(),
            source_wamid: format!("wamid.{ticket}"),
            at_ms: now,
        },
        &rules,
    );
    assert!(store
        .complaints
        .create_complaint(&complaint)
        .await
        .expect("complaint")
        .is_none());
    store
        .signals
        .record_unanswered(&UnansweredQuestion {
            id: format!("q.{key}"),
            citizen_key: key.into(),
            text: "jam buka kantor".into(),
            candidates: vec![],
            asked_ms: now,
            expires_at_ms: later,
        })
        .await
        .expect("question");
    store
        .signals
        .raise_alert(&OperatorAlert {
            id: format!("handoff.{key}"),
            kind: "handoff".into(),
            message: format!("{name} menunggu petugas"),
            citizen_key: Some(key.into()),
            raised_ms: now,
            opd_id: None,
        })
        .await
        .expect("alert");
    (id, ticket)
}

fn order(key: &str, name: &str, id: &str) -> ErasureOrder {
    let identity = ErasedIdentity::new(key, Some(key), None, Some(name), &new_anonymous_key());
    ErasureOrder {
        citizen_key: key.into(),
        citizen_id: id.into(),
        tombstones: tombstone_hashes(&identity),
        identity,
        erased_at_ms: now_ms(),
    }
}

pub async fn erasure_removes_one_citizen_and_keeps_the_other(store: CitizenDataUnderTest) {
    let (gone, kept) = (phone(), phone());
    let (gone_id, gone_ticket) = citizen(&store, &gone, "Ratna Kumalasari").await;
    let (kept_id, kept_ticket) = citizen(&store, &kept, "Joko Prasetyo").await;
    // The citizen follows the other's complaint: theirs became its duplicate ("ikut melapor").
    let mut own = store
        .complaints
        .get_complaint(&gone_ticket)
        .await
        .expect("own")
        .expect("own");
    own.duplicate_of = Some(kept_ticket.clone());
    store
        .complaints
        .update_complaint(&own)
        .await
        .expect("duplicate");
    let original = store
        .complaints
        .get_complaint(&kept_ticket)
        .await
        .expect("original")
        .expect("original");
    let followed = prolink_domain::complaint::duplicates::follow(
        &original,
        &gone,
        &format!("follow.{gone}"),
        now_ms(),
    )
    .expect("follow");
    store
        .complaints
        .update_complaint(&followed)
        .await
        .expect("follow");
    let erase = order(&gone, "Ratna Kumalasari", &gone_id);

    let counts = store.data.erase_citizen(&erase).await.expect("erase");
    for (kind, n) in [
        ("profile", 1),
        ("session", 1),
        ("messages", 2),
        ("conversation", 1),
        ("unanswered", 1),
        ("alerts", 1),
        ("complaints_redacted", 2),
    ] {
        assert_eq!(counts.get(kind), Some(&n), "{kind}: {counts:?}");
    }
    assert!(store
        .citizens
        .get_citizen(&gone)
        .await
        .expect("get")
        .is_none());
    assert!(store
        .citizens
        .resolve_alias(&gone)
        .await
        .expect("alias")
        .is_none());
    assert!(store
        .sessions
        .load_session(&gone)
        .await
        .expect("session")
        .is_none());
    assert!(store
        .conversations
        .get_conversation(&gone)
        .await
        .expect("conv")
        .is_none());
    assert!(store
        .conversations
        .conversation_by_id(&gone_id)
        .await
        .expect("by id")
        .is_none());
    let page = PageRequest {
        limit: 10,
        after: None,
    };
    assert!(store
        .conversations
        .messages_of(&gone, &page)
        .await
        .expect("log")
        .items
        .is_empty());
    let complaint = store
        .complaints
        .get_complaint(&gone_ticket)
        .await
        .expect("complaint")
        .expect("the complaint stays");
    assert_eq!(complaint.citizen_key, erase.identity.anonymous_key);
    assert_eq!(complaint.reporter_name, None);
    assert!(
        !complaint.description.contains("Ratna") && !complaint.description.contains(&gone[2..])
    );
    assert_eq!(
        complaint.version, 3,
        "one versioned write after the setup's"
    );
    let alerts = store.signals.recent_alerts(1000).await.expect("alerts");
    assert!(!alerts
        .iter()
        .any(|a| a.citizen_key.as_deref() == Some(gone.as_str())));
    let questions = store
        .signals
        .recent_unanswered(1000)
        .await
        .expect("questions");
    assert!(!questions.iter().any(|q| q.citizen_key == gone));

    // The other citizen keeps everything.
    assert!(store
        .citizens
        .get_citizen(&kept)
        .await
        .expect("get")
        .is_some());
    assert_eq!(
        store.citizens.resolve_alias(&kept).await.expect("alias"),
        Some(kept.clone())
    );
    assert!(store
        .sessions
        .load_session(&kept)
        .await
        .expect("session")
        .is_some());
    assert_eq!(
        store
            .conversations
            .messages_of(&kept, &page)
            .await
            .expect("log")
            .items
            .len(),
        2
    );
    assert_eq!(
        store
            .conversations
            .get_conversation(&kept)
            .await
            .expect("conv")
            .map(|s| s.id),
        Some(kept_id)
    );
    let theirs = store
        .complaints
        .get_complaint(&kept_ticket)
        .await
        .expect("complaint")
        .expect("kept");
    assert_eq!(theirs.citizen_key, kept);
    assert_eq!(theirs.reporter_name.as_deref(), Some("Joko Prasetyo"));
    assert!(
        theirs.followers.is_empty(),
        "no longer a follower: {:?}",
        theirs.followers
    );
    assert!(
        theirs.events.iter().all(|e| e.actor.id != gone),
        "their follow event no longer names them"
    );
    assert!(
        theirs.description.contains("Joko"),
        "the reporter's own text stays"
    );
    assert!(alerts
        .iter()
        .any(|a| a.citizen_key.as_deref() == Some(kept.as_str())));
    assert!(questions.iter().any(|q| q.citizen_key == kept));

    // Repeatable: a second run finds nothing left to remove.
    let again = store.data.erase_citizen(&erase).await.expect("again");
    assert!(
        again.keys().all(|k| k == "raw_payloads" || k == "queued"),
        "{again:?}"
    );
}

pub async fn tombstones_are_found_by_hash_and_lifted(data: Arc<dyn CitizenData>) {
    let number = phone();
    let hash = identifier_hash(&number);
    assert_eq!(data.erased_at(&hash).await.expect("read"), None);
    let mut erase = order(&number, "Nobody", &new_conversation_id());
    erase.erased_at_ms = 1_790_000_000_123;
    data.erase_citizen(&erase).await.expect("erase");
    assert_eq!(
        data.erased_at(&hash).await.expect("read"),
        Some(1_790_000_000_123)
    );
    let local = format!("0{}", &number[2..]);
    assert_eq!(
        data.erased_at(&identifier_hash(&local))
            .await
            .expect("read"),
        Some(1_790_000_000_123),
        "every written form has its tombstone"
    );
    assert!(!erase.tombstones.iter().any(|t| t.contains(&number[2..])));
    for form in erase.identity.identifiers.iter() {
        data.lift_erasure(&identifier_hash(form))
            .await
            .expect("lift");
    }
    assert_eq!(data.erased_at(&hash).await.expect("read"), None);
    data.lift_erasure(&hash)
        .await
        .expect("lifting twice is fine");
}

fn request(citizen_id: &str, name: &str, at_ms: i64) -> ErasureRequest {
    ErasureRequest {
        citizen_id: citizen_id.into(),
        name: Some(name.into()),
        requested_ms: at_ms,
        state: ErasureRequestState::Menunggu,
        done_ms: None,
    }
}

pub async fn erasure_requests_wait_once_and_close_with_the_erasure(store: CitizenDataUnderTest) {
    let data = &store.data;
    let key = phone();
    let (id, _) = citizen(&store, &key, "Siti Aminah").await;
    let base = 1_790_000_000_000;
    assert!(data
        .request_erasure(&request(&id, "Siti Aminah", base))
        .await
        .expect("first"));
    assert!(
        !data
            .request_erasure(&request(&id, "Siti Aminah", base + 5))
            .await
            .expect("again"),
        "asking again adds nothing"
    );
    let (a, b) = (new_conversation_id(), new_conversation_id());
    data.request_erasure(&request(&a, "A", base + 10))
        .await
        .expect("a");
    data.request_erasure(&request(&b, "B", base + 20))
        .await
        .expect("b");

    let first = data
        .list_erasure_requests(&PageRequest {
            limit: 2,
            after: None,
        })
        .await
        .expect("list");
    let names: Vec<_> = first.items.iter().map(|r| r.citizen_id.clone()).collect();
    assert_eq!(names, [b.clone(), a.clone()], "newest first");
    let second = data
        .list_erasure_requests(&PageRequest {
            limit: 2,
            after: first.next.clone(),
        })
        .await
        .expect("page 2");
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.items[0].citizen_id, id);
    assert_eq!(
        second.items[0].requested_ms, base,
        "the first request stays"
    );
    assert_eq!(second.next, None);

    data.erase_citizen(&order(&key, "Siti Aminah", &id))
        .await
        .expect("erase");
    let all = data
        .list_erasure_requests(&PageRequest {
            limit: 10,
            after: None,
        })
        .await
        .expect("list");
    let done = all
        .items
        .iter()
        .find(|r| r.citizen_id == id)
        .expect("still listed, done");
    assert_eq!(done.state, ErasureRequestState::Selesai);
    assert_eq!(done.name, None);
    assert!(done.done_ms.is_some());
    // A citizen who came back and asks again is a new request.
    assert!(data
        .request_erasure(&request(&id, "Siti", base + 30))
        .await
        .expect("new"));

    for bad in [
        request("not-an-id", "X", base),
        request(&new_conversation_id(), "X", -1),
    ] {
        assert!(matches!(
            data.request_erasure(&bad).await,
            Err(PortError::Invalid(_))
        ));
    }
    assert!(matches!(
        data.list_erasure_requests(&PageRequest {
            limit: 0,
            after: None
        })
        .await,
        Err(PortError::Invalid(_))
    ));
}
