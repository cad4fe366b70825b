//! Cases for the operator-side ports: `UserStore`, `AuditLog`, `AlertBoard` (with
//! `OperatorSignals::raise_alert` feeding it), `SettingsStore` and
//! `ComplaintStore::list_complaints`, written once against the traits.
//!
//! Every case uses its own usernames, actors, subjects, OPDs and alert ids. The lists that
//! span the whole store (users, the whole audit trail, alerts and complaints without an OPD)
//! are checked on the case's own records plus the order of the whole list, so a store that
//! other cases also write to works too. Expiry runs on real time (`SystemClock`).

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use serde_json::json;

use prolink_app::complaint_rules::sort_key;
use prolink_app::ports::{
    AlertBoard, AlertRecord, AlertState, AuditLog, AuditQuery, AuditRecord, ComplaintQuery,
    ComplaintStore, OperatorAlert, OperatorSignals, Page, PageRequest, PortError, Role,
    SettingsStore, StoredSetting, UserRecord, UserStore,
};
use prolink_domain::complaint::{Complaint, Status};

use super::complaint::{changed, complaint, unique};

/// 2026-05-28T20:26:40Z.
const T: i64 = 1_780_000_000_000;
const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
/// Complaints of the list case: enough for dozens of pages.
const COMPLAINTS: usize = 250;

/// The ports of one fresh store.
#[derive(Clone)]
pub struct OperatorUnderTest {
    pub users: Arc<dyn UserStore>,
    pub audit: Arc<dyn AuditLog>,
    pub signals: Arc<dyn OperatorSignals>,
    pub alerts: Arc<dyn AlertBoard>,
    pub settings: Arc<dyn SettingsStore>,
    pub complaints: Arc<dyn ComplaintStore>,
}

/// Every operator case, one after the other, on one store.
pub async fn run_operator_suite(store: OperatorUnderTest) {
    users_are_versioned_and_listed_by_name(store.users.clone()).await;
    audit_is_append_only_filtered_newest_first_and_expires(store.audit.clone()).await;
    alerts_are_listed_by_state_and_opd_and_resolved_once(
        store.signals.clone(),
        store.alerts.clone(),
    )
    .await;
    settings_are_versioned(store.settings.clone()).await;
    complaint_lists_use_every_index_with_ranges_and_pages(store.complaints.clone()).await;
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn is_invalid<T: std::fmt::Debug>(result: &Result<T, PortError>) -> bool {
    matches!(result, Err(PortError::Invalid(_)))
}

fn is_conflict<T: std::fmt::Debug>(result: &Result<T, PortError>) -> bool {
    matches!(result, Err(PortError::Conflict(_)))
}

fn page(limit: usize, after: Option<&str>) -> PageRequest {
    PageRequest {
        limit,
        after: after.map(str::to_owned),
    }
}

/// Every page of a list, in order, checking the paging rules on the way: no page is larger
/// than asked, only the last one has no `next`, and no page but a first one is empty.
async fn all_pages<T, F, Fut>(limit: usize, mut read: F) -> Vec<T>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, PortError>>,
{
    let mut items = Vec::new();
    let mut after: Option<String> = None;
    for pages in 0.. {
        assert!(pages < 10_000, "paging does not end");
        let got = read(page(limit, after.as_deref())).await.expect("page");
        assert!(got.items.len() <= limit, "page larger than {limit}");
        let last = got.next.is_none();
        assert!(
            !got.items.is_empty() || (pages == 0 && last),
            "only a first, last page may be empty"
        );
        items.extend(got.items);
        match got.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    items
}

// ---------------------------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------------------------

fn user(username: &str, role: Role, opd_id: Option<&str>) -> UserRecord {
    UserRecord {
        username: username.to_owned(),
        role,
        opd_id: opd_id.map(str::to_owned),
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned()),
        disabled: false,
        failed_logins: vec![T - 2 * MINUTE_MS, T - MINUTE_MS],
        created_ms: T,
        updated_ms: T,
        version: 0,
    }
}

/// A username unique to this run (the store may hold other runs' users).
fn username(prefix: &str) -> String {
    format!(
        "{prefix}.{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// Creation is conditional, updates are versioned, everything round-trips, and the list is
/// by username ascending over pages.
pub async fn users_are_versioned_and_listed_by_name(users: Arc<dyn UserStore>) {
    let name = username("budi");
    assert_eq!(users.get_user(&name).await.expect("get"), None);

    let new = user(&name, Role::Opd, Some("dpupr"));
    assert_eq!(users.put_user(&new).await.expect("create"), 1);
    assert!(
        is_conflict(&users.put_user(&new).await),
        "a taken name is a conflict"
    );
    let stored = users.get_user(&name).await.expect("get").expect("exists");
    assert_eq!(
        stored,
        UserRecord {
            version: 1,
            ..new.clone()
        },
        "every field round-trips"
    );

    let changed = UserRecord {
        role: Role::Operator,
        opd_id: None,
        password_hash: None,
        disabled: true,
        failed_logins: Vec::new(),
        updated_ms: T + MINUTE_MS,
        ..stored.clone()
    };
    assert_eq!(users.put_user(&changed).await.expect("update"), 2);
    assert!(
        is_conflict(&users.put_user(&stored).await),
        "a stale version loses"
    );
    assert_eq!(
        users.get_user(&name).await.expect("get"),
        Some(UserRecord {
            version: 2,
            ..changed
        })
    );
    let unknown_version = UserRecord {
        version: 5,
        ..user(&username("nobody"), Role::Viewer, None)
    };
    assert!(is_conflict(&users.put_user(&unknown_version).await));

    // The list: our names among the store's, every page in username order.
    let mut ours: BTreeSet<String> = BTreeSet::from([name.clone()]);
    for prefix in ["zaki", "ani", "dewi", "ani-2", "citra", "eko", "fajar"] {
        let other = username(prefix);
        users
            .put_user(&user(&other, Role::Viewer, None))
            .await
            .expect("create");
        ours.insert(other);
    }
    for limit in [1, 3, 1000] {
        let listed = all_pages(limit, |p| {
            let users = users.clone();
            async move { users.list_users(&p).await }
        })
        .await;
        let names: Vec<String> = listed.iter().map(|u| u.username.clone()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted, "ascending, each once (limit {limit})");
        let seen: BTreeSet<String> = names.into_iter().filter(|n| ours.contains(n)).collect();
        assert_eq!(seen, ours, "no user is skipped (limit {limit})");
    }

    for bad in [
        user("", Role::Admin, None),
        user("ab", Role::Admin, None),
        user("Budi", Role::Admin, None),
        user("budi#x", Role::Admin, None),
        user(&username("opd"), Role::Opd, None),
        user(&username("admin"), Role::Admin, Some("dpupr")),
    ] {
        assert!(is_invalid(&users.put_user(&bad).await), "{bad:?}");
    }
    assert!(is_invalid(&users.get_user("").await));
    assert!(is_invalid(&users.list_users(&page(0, None)).await));
    assert!(is_invalid(
        &users.list_users(&page(5, Some("Not#A-Name"))).await
    ));
}

// ---------------------------------------------------------------------------------------------
// Audit trail
// ---------------------------------------------------------------------------------------------

fn audit_record(at_ms: i64, actor: &str, subject: Option<&str>, expires_at_ms: i64) -> AuditRecord {
    AuditRecord {
        id: format!("{at_ms:013}-{}", uuid::Uuid::new_v4()),
        at_ms,
        actor: actor.to_owned(),
        role: "operator".to_owned(),
        action: "complaint.read".to_owned(),
        subject: subject.map(str::to_owned),
        ip: Some("203.0.113.7".to_owned()),
        detail: Some("diterima → diverifikasi".to_owned()),
        expires_at_ms,
    }
}

fn audit_newest_first(records: &[AuditRecord]) -> Vec<String> {
    let mut sorted = records.to_vec();
    sorted.sort_by(|a, b| (b.at_ms, &b.id).cmp(&(a.at_ms, &a.id)));
    sorted.into_iter().map(|r| r.id).collect()
}

async fn audit_ids(
    audit: &Arc<dyn AuditLog>,
    query: &AuditQuery,
    limit: usize,
) -> Vec<AuditRecord> {
    all_pages(limit, |p| {
        let audit = audit.clone();
        let query = query.clone();
        async move { audit.query_audit(&query, &p).await }
    })
    .await
}

/// Appends are idempotent and never change a record; every filter (actor, subject, both,
/// none) lists the unexpired records newest first over pages.
pub async fn audit_is_append_only_filtered_newest_first_and_expires(audit: Arc<dyn AuditLog>) {
    let live = now_ms() + DAY_MS;
    let (ani, budi) = (unique("ani"), unique("budi"));
    let (ticket, user_subject) = (unique("PS"), unique("user"));
    let mut records = Vec::new();
    for i in 0..14_i64 {
        let actor = if i % 3 == 0 { &budi } else { &ani };
        let subject = match i % 4 {
            0 => None,
            1 => Some(user_subject.as_str()),
            _ => Some(ticket.as_str()),
        };
        // Pairs share an instant: ties are ordered by id.
        records.push(audit_record(T + (i / 2) * MINUTE_MS, actor, subject, live));
    }
    let expired = audit_record(T + DAY_MS, &ani, Some(&ticket), now_ms() - 1_000);
    for record in records.iter().chain([&expired]) {
        audit.append_audit(record).await.expect("append");
    }
    // A retried append (same id, other content) changes nothing.
    let mut retried = records[5].clone();
    retried.detail = Some("changed".to_owned());
    retried.action = "complaint.transition".to_owned();
    audit.append_audit(&retried).await.expect("append again");

    let cases = [
        (Some(&ani), None),
        (Some(&budi), None),
        (None, Some(&ticket)),
        (None, Some(&user_subject)),
        (Some(&ani), Some(&ticket)),
        (Some(&budi), Some(&user_subject)),
    ];
    for (actor, subject) in cases {
        let query = AuditQuery {
            actor: actor.cloned(),
            subject: subject.cloned(),
        };
        let expected: Vec<AuditRecord> = records
            .iter()
            .filter(|r| actor.is_none_or(|a| &r.actor == a))
            .filter(|r| subject.is_none_or(|s| r.subject.as_ref() == Some(s)))
            .cloned()
            .collect();
        assert!(!expected.is_empty());
        for limit in [1, 4, 100] {
            let got = audit_ids(&audit, &query, limit).await;
            assert_eq!(
                got.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
                audit_newest_first(&expected),
                "{query:?}, limit {limit}"
            );
            let first = got.iter().find(|r| r.id == records[5].id);
            if let Some(first) = first {
                assert_eq!(first, &records[5], "the first copy stays");
            }
        }
    }

    // The whole trail: ours in order and once, the expired one absent, the rest in order.
    let trail = audit_ids(&audit, &AuditQuery::default(), 5).await;
    let ours: HashSet<&str> = records.iter().map(|r| r.id.as_str()).collect();
    let mine: Vec<String> = trail
        .iter()
        .filter(|r| ours.contains(r.id.as_str()))
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(mine, audit_newest_first(&records));
    assert!(trail.iter().all(|r| r.id != expired.id), "expired is gone");
    let keys: Vec<String> = trail.iter().map(|r| sort_key(r.at_ms, &r.id)).collect();
    assert!(
        keys.windows(2).all(|w| w[0] > w[1]),
        "the whole trail is newest first, each once"
    );
    let by_expired_actor = audit_ids(
        &audit,
        &AuditQuery {
            actor: Some(ani.clone()),
            subject: Some(ticket.clone()),
        },
        100,
    )
    .await;
    assert!(by_expired_actor.iter().all(|r| r.id != expired.id));

    let mut bad = audit_record(T, &ani, None, live);
    bad.actor.clear();
    assert!(is_invalid(&audit.append_audit(&bad).await));
    let mut bad = audit_record(T, &ani, Some(""), live);
    assert!(is_invalid(&audit.append_audit(&bad).await));
    bad.subject = None;
    bad.id.clear();
    assert!(is_invalid(&audit.append_audit(&bad).await));
    let empty_filter = AuditQuery {
        actor: Some(String::new()),
        subject: None,
    };
    assert!(is_invalid(
        &audit.query_audit(&empty_filter, &page(5, None)).await
    ));
    assert!(is_invalid(
        &audit
            .query_audit(&AuditQuery::default(), &page(5, Some("nope")))
            .await
    ));
    assert!(is_invalid(
        &audit
            .query_audit(&AuditQuery::default(), &page(0, None))
            .await
    ));
}

// ---------------------------------------------------------------------------------------------
// Alerts
// ---------------------------------------------------------------------------------------------

fn alert(id: &str, raised_ms: i64, opd_id: Option<&str>) -> OperatorAlert {
    OperatorAlert {
        id: id.to_owned(),
        kind: "complaint_new".to_owned(),
        message: format!("Aduan baru {id}"),
        citizen_key: opd_id.is_none().then(|| "ID.62812".to_owned()),
        raised_ms,
        opd_id: opd_id.map(str::to_owned),
    }
}

fn open(alert: &OperatorAlert) -> AlertRecord {
    AlertRecord {
        alert: alert.clone(),
        state: AlertState::Open,
        resolved_ms: None,
        resolved_by: None,
    }
}

async fn alert_list(
    alerts: &Arc<dyn AlertBoard>,
    state: AlertState,
    opd: Option<&str>,
    limit: usize,
) -> Vec<AlertRecord> {
    all_pages(limit, |p| {
        let alerts = alerts.clone();
        let opd = opd.map(str::to_owned);
        async move { alerts.list_alerts(state, opd.as_deref(), &p).await }
    })
    .await
}

fn alert_ids(records: &[AlertRecord]) -> Vec<String> {
    records.iter().map(|r| r.alert.id.clone()).collect()
}

/// Raised alerts are open, listed per state (and per OPD) newest first; resolving moves one
/// to the resolved list once, and neither a second resolve nor a retried raise changes it.
pub async fn alerts_are_listed_by_state_and_opd_and_resolved_once(
    signals: Arc<dyn OperatorSignals>,
    alerts: Arc<dyn AlertBoard>,
) {
    let (opd_a, opd_b) = (unique("opd-a"), unique("opd-b"));
    let id = |n: u32| format!("{}.{n}", unique("alert"));
    // Newest first: a3 (T+3), a2 (T+2, tie broken by id), a1 …
    let a1 = alert(&id(1), T + MINUTE_MS, Some(&opd_a));
    let a2 = alert(&id(2), T + 2 * MINUTE_MS, Some(&opd_a));
    let a3 = alert(&id(3), T + 3 * MINUTE_MS, Some(&opd_a));
    let b1 = alert(&id(4), T + 2 * MINUTE_MS, Some(&opd_b));
    let own1 = alert(&id(5), T + 4 * MINUTE_MS, None);
    let own2 = alert(&id(6), T, None);
    let all = [&a1, &a2, &a3, &b1, &own1, &own2];
    for a in all {
        signals.raise_alert(a).await.expect("raise");
        signals.raise_alert(a).await.expect("raise is idempotent");
    }

    let recent = signals.recent_alerts(1000).await.expect("recent");
    let got_a1 = recent.iter().find(|a| a.id == a1.id).expect("a1 is recent");
    assert_eq!(got_a1, &a1, "recent_alerts reads the OPD back");

    for limit in [1, 2, 100] {
        let listed = alert_list(&alerts, AlertState::Open, Some(&opd_a), limit).await;
        assert_eq!(
            listed,
            vec![open(&a3), open(&a2), open(&a1)],
            "limit {limit}"
        );
    }
    assert_eq!(
        alert_list(&alerts, AlertState::Open, Some(&opd_b), 10).await,
        vec![open(&b1)]
    );
    let every_open = alert_list(&alerts, AlertState::Open, None, 2).await;
    let ours: HashSet<&str> = all.iter().map(|a| a.id.as_str()).collect();
    let mut expected: Vec<&OperatorAlert> = all.to_vec();
    expected.sort_by(|x, y| (y.raised_ms, &y.id).cmp(&(x.raised_ms, &x.id)));
    assert_eq!(
        every_open
            .iter()
            .filter(|r| ours.contains(r.alert.id.as_str()))
            .map(|r| r.alert.id.clone())
            .collect::<Vec<_>>(),
        expected.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
        "Diskominfo's own alerts are in the list without OPD"
    );
    assert!(alert_list(&alerts, AlertState::Resolved, Some(&opd_a), 10)
        .await
        .is_empty());

    assert_eq!(
        alerts.get_alert(&a2.id).await.expect("get"),
        Some(open(&a2))
    );
    let resolved = AlertRecord {
        state: AlertState::Resolved,
        resolved_ms: Some(T + DAY_MS),
        resolved_by: Some("admin.kominfo".to_owned()),
        ..open(&a2)
    };
    assert_eq!(
        alerts
            .resolve_alert(&a2.id, "admin.kominfo", T + DAY_MS)
            .await
            .expect("resolve"),
        Some(resolved.clone())
    );
    assert_eq!(
        alerts
            .resolve_alert(&a2.id, "someone.else", T + 2 * DAY_MS)
            .await
            .expect("resolve again"),
        Some(resolved.clone()),
        "a resolved alert stays as the first resolver left it"
    );
    signals.raise_alert(&a2).await.expect("raise again");
    assert_eq!(
        alerts.get_alert(&a2.id).await.expect("get"),
        Some(resolved.clone()),
        "a retried raise does not reopen"
    );
    assert_eq!(
        alert_list(&alerts, AlertState::Open, Some(&opd_a), 1).await,
        vec![open(&a3), open(&a1)]
    );
    assert_eq!(
        alert_list(&alerts, AlertState::Resolved, Some(&opd_a), 1).await,
        vec![resolved.clone()]
    );
    let every_resolved = alert_list(&alerts, AlertState::Resolved, None, 100).await;
    assert!(every_resolved.contains(&resolved));
    let every_open = alert_list(&alerts, AlertState::Open, None, 100).await;
    assert!(
        !alert_ids(&every_open).contains(&a2.id),
        "left the open list"
    );

    assert_eq!(alerts.get_alert(&unique("none")).await.expect("get"), None);
    assert_eq!(
        alerts
            .resolve_alert(&unique("none"), "admin.kominfo", T)
            .await
            .expect("resolve unknown"),
        None
    );
    assert!(is_invalid(&alerts.get_alert("").await));
    assert!(is_invalid(&alerts.resolve_alert(&a1.id, "", T).await));
    assert!(is_invalid(
        &alerts
            .list_alerts(AlertState::Open, Some(""), &page(5, None))
            .await
    ));
    assert!(is_invalid(
        &alerts
            .list_alerts(AlertState::Open, None, &page(5, Some("x")))
            .await
    ));
    assert!(is_invalid(
        &signals.raise_alert(&alert(&id(7), T, Some(""))).await
    ));
}

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

/// Settings are created once, then changed only with the stored version; the JSON value
/// comes back exactly.
pub async fn settings_are_versioned(settings: Arc<dyn SettingsStore>) {
    let key = unique("operator_contacts").to_lowercase();
    assert_eq!(settings.get_setting(&key).await.expect("get"), None);
    let first = StoredSetting {
        key: key.clone(),
        value: json!({"eskalasi": [{"nama": "Siti 🙏", "nomor": "6281234567890"}], "aktif": null,
                      "ambang": 0.75, "hari": 3}),
        updated_ms: T,
        updated_by: "admin.kominfo".to_owned(),
        version: 0,
    };
    assert_eq!(settings.put_setting(&first).await.expect("create"), 1);
    assert!(is_conflict(&settings.put_setting(&first).await));
    let stored = settings.get_setting(&key).await.expect("get").expect("set");
    assert_eq!(
        stored,
        StoredSetting {
            version: 1,
            ..first.clone()
        }
    );
    let second = StoredSetting {
        value: json!([]),
        updated_ms: T + MINUTE_MS,
        updated_by: "admin.dua".to_owned(),
        ..stored.clone()
    };
    assert_eq!(settings.put_setting(&second).await.expect("update"), 2);
    assert!(is_conflict(&settings.put_setting(&stored).await), "stale");
    assert_eq!(
        settings.get_setting(&key).await.expect("get"),
        Some(StoredSetting {
            version: 2,
            ..second
        })
    );
    let missing = StoredSetting {
        key: unique("missing"),
        version: 3,
        ..first.clone()
    };
    assert!(is_conflict(&settings.put_setting(&missing).await));
    for bad in ["", "Has Space", "a#b"] {
        assert!(is_invalid(&settings.get_setting(bad).await), "{bad:?}");
        let setting = StoredSetting {
            key: bad.to_owned(),
            ..first.clone()
        };
        assert!(is_invalid(&settings.put_setting(&setting).await), "{bad:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Complaint lists
// ---------------------------------------------------------------------------------------------

fn complaint_newest_first(complaints: &[&Complaint]) -> Vec<String> {
    let mut sorted = complaints.to_vec();
    sorted.sort_by(|a, b| (b.received_ms, &b.ticket).cmp(&(a.received_ms, &a.ticket)));
    sorted.into_iter().map(|c| c.ticket.clone()).collect()
}

async fn complaint_pages(
    store: &Arc<dyn ComplaintStore>,
    query: &ComplaintQuery,
    limit: usize,
    after: Option<String>,
) -> Vec<Complaint> {
    let mut first = after;
    all_pages(limit, |mut p| {
        let store = store.clone();
        let query = query.clone();
        // The first page starts after the given cursor, if any.
        if let Some(start) = first.take() {
            p.after = Some(start);
        }
        async move { store.list_complaints(&query, &p).await }
    })
    .await
}

/// The complaints a store under test holds for this case, with their final status.
pub struct ListFixture {
    pub complaints: Vec<Complaint>,
    pub opds: [String; 2],
    /// Where the complaints were received: `[from, to)`.
    pub first_ms: i64,
}

/// `COMPLAINTS` complaints over two OPDs and three statuses, received a minute apart in
/// triples that share an instant (ties are ordered by ticket), stored in `store`.
pub async fn list_fixture(store: &Arc<dyn ComplaintStore>, base_ms: i64) -> ListFixture {
    let opds = [unique("opd-x"), unique("opd-y")];
    let citizen = unique("ID.62812");
    let mut complaints = Vec::new();
    for i in 0..COMPLAINTS {
        let index = i64::try_from(i).expect("small");
        let received = base_ms + (index / 3) * MINUTE_MS;
        let new = complaint(&citizen, &opds[i % 2], received);
        assert_eq!(store.create_complaint(&new).await.expect("create"), None);
        let created = Complaint {
            version: 1,
            ..new.clone()
        };
        let stored = match i % 5 {
            1 | 3 => Some(changed(&created, Status::Diverifikasi, received + 1_000)),
            4 => Some(changed(&created, Status::Ditolak, received + 1_000)),
            _ => None,
        };
        let stored = match stored {
            Some(next) => {
                let version = store.update_complaint(&next).await.expect("update");
                Complaint { version, ..next }
            }
            None => created,
        };
        complaints.push(stored);
    }
    ListFixture {
        complaints,
        opds,
        first_ms: base_ms,
    }
}

/// Every combination of filters reads its list newest first over pages, with no complaint
/// missing or repeated, restricted to the date range when one is given.
pub async fn complaint_lists_use_every_index_with_ranges_and_pages(store: Arc<dyn ComplaintStore>) {
    // Far from the other cases' complaints, so ranges hold ours only.
    let base = T + 400 * DAY_MS;
    let fixture = list_fixture(&store, base).await;
    let ours: HashSet<&str> = fixture
        .complaints
        .iter()
        .map(|c| c.ticket.as_str())
        .collect();
    let last_ms = fixture
        .complaints
        .iter()
        .map(|c| c.received_ms)
        .max()
        .expect("some");

    let statuses = [
        None,
        Some(Status::Diterima),
        Some(Status::Diverifikasi),
        Some(Status::Ditolak),
    ];
    let opds = [
        None,
        Some(fixture.opds[0].clone()),
        Some(fixture.opds[1].clone()),
    ];
    // Whole time, an inner range whose ends fall on shared instants, an open end each side.
    let ranges = [
        (None, None),
        (Some(base + 10 * MINUTE_MS), Some(base + 40 * MINUTE_MS)),
        (Some(base + 70 * MINUTE_MS), None),
        (None, Some(base + 5 * MINUTE_MS)),
    ];
    for status in statuses {
        for opd in &opds {
            for (from, to) in ranges {
                let query = ComplaintQuery {
                    status,
                    opd_id: opd.clone(),
                    received_from_ms: from,
                    received_to_ms: to,
                };
                let expected: Vec<&Complaint> = fixture
                    .complaints
                    .iter()
                    .filter(|c| status.is_none_or(|s| c.status == s))
                    .filter(|c| opd.as_ref().is_none_or(|o| &c.opd_id == o))
                    .filter(|c| from.is_none_or(|f| c.received_ms >= f))
                    .filter(|c| to.is_none_or(|t| c.received_ms < t))
                    .collect();
                assert!(!expected.is_empty(), "{query:?} selects some");
                // Unfiltered and status-only lists span the store: check ours inside them.
                let limit = if (status, opd, from) == (None, &None, None) {
                    7
                } else {
                    13
                };
                let got = complaint_pages(&store, &query, limit, None).await;
                let keys: Vec<String> = got
                    .iter()
                    .map(|c| sort_key(c.received_ms, &c.ticket))
                    .collect();
                assert!(
                    keys.windows(2).all(|w| w[0] > w[1]),
                    "{query:?}: newest first, each once"
                );
                assert!(
                    got.iter().all(|c| status.is_none_or(|s| c.status == s)
                        && opd.as_ref().is_none_or(|o| &c.opd_id == o)
                        && from.is_none_or(|f| c.received_ms >= f)
                        && to.is_none_or(|t| c.received_ms < t)),
                    "{query:?}: only matching complaints"
                );
                let mine: Vec<String> = got
                    .iter()
                    .filter(|c| ours.contains(c.ticket.as_str()))
                    .map(|c| c.ticket.clone())
                    .collect();
                assert_eq!(mine, complaint_newest_first(&expected), "{query:?}");
                if opd.is_some() {
                    assert_eq!(got.len(), expected.len(), "{query:?}: the OPD's own");
                }
            }
        }
    }

    // A full page read whole: the stored complaints come back exactly.
    let opd_query = ComplaintQuery {
        opd_id: Some(fixture.opds[0].clone()),
        ..ComplaintQuery::default()
    };
    let whole = complaint_pages(&store, &opd_query, 1000, None).await;
    for got in &whole {
        let stored = fixture
            .complaints
            .iter()
            .find(|c| c.ticket == got.ticket)
            .expect("ours");
        assert_eq!(got, stored);
    }

    // A cursor and a range together: above the range (everything in it is older), inside it
    // (what follows the cursor), below it (nothing).
    let ranged = ComplaintQuery {
        received_from_ms: Some(base + 10 * MINUTE_MS),
        received_to_ms: Some(base + 40 * MINUTE_MS),
        ..opd_query.clone()
    };
    let in_range: Vec<String> = complaint_pages(&store, &ranged, 1000, None)
        .await
        .into_iter()
        .map(|c| c.ticket)
        .collect();
    let above = sort_key(last_ms + 1, "PS-0");
    let from_above: Vec<String> = complaint_pages(&store, &ranged, 4, Some(above))
        .await
        .into_iter()
        .map(|c| c.ticket)
        .collect();
    assert_eq!(from_above, in_range);
    let inside_at = &whole[whole
        .iter()
        .position(|c| c.ticket == in_range[3])
        .expect("in range")];
    let from_inside: Vec<String> = complaint_pages(
        &store,
        &ranged,
        4,
        Some(sort_key(inside_at.received_ms, &inside_at.ticket)),
    )
    .await
    .into_iter()
    .map(|c| c.ticket)
    .collect();
    assert_eq!(from_inside, in_range[4..].to_vec());
    let below = sort_key(fixture.first_ms, "PS-0");
    assert!(complaint_pages(&store, &ranged, 4, Some(below))
        .await
        .is_empty());

    // An empty range is an empty page, not an error; bad input is refused either way.
    let empty = ComplaintQuery {
        received_from_ms: Some(base + 40 * MINUTE_MS),
        received_to_ms: Some(base + 40 * MINUTE_MS),
        ..ComplaintQuery::default()
    };
    let nothing = store
        .list_complaints(&empty, &page(5, None))
        .await
        .expect("empty range");
    assert!(nothing.items.is_empty() && nothing.next.is_none());
    for query in [&empty, &opd_query, &ComplaintQuery::default()] {
        assert!(is_invalid(
            &store.list_complaints(query, &page(0, None)).await
        ));
        assert!(is_invalid(
            &store.list_complaints(query, &page(5, Some("PS-1"))).await
        ));
    }
    let empty_opd = ComplaintQuery {
        opd_id: Some(String::new()),
        ..ComplaintQuery::default()
    };
    assert!(is_invalid(
        &store.list_complaints(&empty_opd, &page(5, None)).await
    ));
}
