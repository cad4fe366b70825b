//! Cases for `ComplaintStore`: exact round trips, first-write-wins creation, versioned
//! updates, and the four lists (by citizen, by status, by OPD, due) with their order and
//! paging. Complaints are built and changed with the domain functions (`submit`, `apply`,
//! `add_info`), so they look like the ones the worker stores.
//!
//! Every case uses its own citizen keys, OPD ids and tickets. The by-status and due lists span
//! the whole store, so those cases check their own complaints inside the list (plus the
//! order of the whole list) and pass on a store that other cases (or runs) also write to.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use prolink_app::ports::{ComplaintStore, Page, PageRequest, PortError};
use prolink_domain::complaint::{
    add_info, apply, submit, ticket_for, Actor, AddedInfo, Change, Complaint, ComplaintLocation,
    Photo, Privacy, Rules, Sla, Status, Submission,
};
use prolink_domain::content::HolidayCalendar;

/// 2026-05-28T20:26:40Z.
const T: i64 = 1_780_000_000_000;
/// 2000-01-03T00:00:00Z: far before anything the other cases store, so the due case's
/// complaints are the earliest due in a fresh store.
const LONG_AGO: i64 = 946_857_600_000;
const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
/// Concurrent writers in the race case.
const RACERS: usize = 8;

/// Every complaint case, one after the other, on one store.
pub async fn run_complaint_suite(store: Arc<dyn ComplaintStore>) {
    round_trip_is_exact(store.clone()).await;
    create_never_overwrites(store.clone()).await;
    updates_are_versioned(store.clone()).await;
    concurrent_updates_have_one_winner(store.clone()).await;
    citizen_list_is_newest_first(store.clone()).await;
    status_list_follows_changes(store.clone()).await;
    paging_returns_everything_once_in_order(store.clone()).await;
    due_list_is_earliest_first_and_open_only(store.clone()).await;
    invalid_input_is_refused(store).await;
}

pub(super) fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn holidays() -> &'static HolidayCalendar {
    static HOLIDAYS: OnceLock<HolidayCalendar> = OnceLock::new();
    HOLIDAYS.get_or_init(|| crate::support::seed().holidays)
}

fn rules() -> Rules<'static> {
    Rules {
        sla: Sla {
            response_days: 3,
            resolution_days: 10,
        },
        holidays: holidays(),
    }
}

fn submission(citizen_key: &str, opd_id: &str, at_ms: i64) -> Submission {
    let wamid = unique("wamid");
    Submission {
        ticket: ticket_for(&wamid, 0),
        citizen_key: citizen_key.to_owned(),
        reporter_name: None,
        category_id: "jalan_rusak".to_owned(),
        opd_id: opd_id.to_owned(),
        description: "Jalan berlubang di depan sekolah.".to_owned(),
        location: None,
        photos: Vec::new(),
        privacy: Privacy::Biasa,
        source_wamid: wamid,
        at_ms,
    }
}

/// A new complaint (version 0, not stored yet).
pub(super) fn complaint(citizen_key: &str, opd_id: &str, at_ms: i64) -> Complaint {
    submit(submission(citizen_key, opd_id, at_ms), &rules())
}

fn change(to: Status, actor: Actor, at_ms: i64, note: Option<&str>) -> Change {
    Change {
        event_id: unique("evt"),
        at_ms,
        actor,
        to,
        public_note: note.map(str::to_owned),
        internal_note: None,
    }
}

pub(super) fn changed(complaint: &Complaint, to: Status, at_ms: i64) -> Complaint {
    let actor = if to == Status::Dicabut {
        Actor::citizen(&complaint.citizen_key)
    } else {
        Actor::operator("operator-kominfo")
    };
    let note = matches!(
        to,
        Status::PerluDilengkapi | Status::Ditolak | Status::BukanWewenang | Status::Selesai
    )
    .then_some("Catatan untuk pelapor.");
    apply(complaint, change(to, actor, at_ms, note), &rules())
        .unwrap_or_else(|e| panic!("{} -> {to}: {e}", complaint.status))
}

/// `complaint` as the store holds it after a write that returned `version`.
fn stored(complaint: &Complaint, version: u64) -> Complaint {
    Complaint {
        version,
        ..complaint.clone()
    }
}

async fn create(store: &Arc<dyn ComplaintStore>, complaint: &Complaint) -> Complaint {
    let existing = store.create_complaint(complaint).await.expect("create");
    assert_eq!(existing, None, "{} is new", complaint.ticket);
    stored(complaint, 1)
}

fn tickets(complaints: &[Complaint]) -> Vec<String> {
    complaints.iter().map(|c| c.ticket.clone()).collect()
}

/// Newest first: by `received_ms`, then ticket, both descending.
fn newest_first(complaints: &[Complaint]) -> Vec<String> {
    let mut sorted = complaints.to_vec();
    sorted.sort_by(|a, b| (b.received_ms, &b.ticket).cmp(&(a.received_ms, &a.ticket)));
    tickets(&sorted)
}

fn is_invalid<T: std::fmt::Debug>(result: &Result<T, PortError>) -> bool {
    matches!(result, Err(PortError::Invalid(_)))
}

// ---------------------------------------------------------------------------------------------
// Round trip and writes
// ---------------------------------------------------------------------------------------------

/// Everything a complaint holds comes back exactly: floats of a pin, optional fields set and
/// unset, non-ASCII text, photos, and a timeline with notes, added information and clocks.
pub async fn round_trip_is_exact(store: Arc<dyn ComplaintStore>) {
    let citizen = unique("ID.62812");
    let mut with_pin = submission(&citizen, &unique("opd"), T);
    with_pin.reporter_name = Some("Siti Aminah 🙏".to_owned());
    with_pin.description = "Lampu PJU mati — gelap gulita \"sejak\" 3 hari\nTolong.".to_owned();
    with_pin.location = Some(ComplaintLocation::Pin {
        latitude: -7.754_321_987_654_3,
        longitude: 113.215_901_234_567,
        name: Some("Alun-alun Kota Probolinggo".to_owned()),
        address: None,
    });
    with_pin.photos = vec![
        Photo {
            media_id: "1166152181827532".to_owned(),
            mime_type: Some("image/jpeg".to_owned()),
            sha256: Some("Cb1jg2Gb5W5RjQD4k/bTqBrrKs3nVWDbNZY1Ic0y8yM=".to_owned()),
            caption: Some("Tampak dari utara".to_owned()),
            stored_key: None,
            fetch_error: None,
        },
        Photo {
            media_id: "1166152181827533".to_owned(),
            mime_type: None,
            sha256: None,
            caption: None,
            stored_key: Some("complaints/photo-2.jpg".to_owned()),
            fetch_error: None,
        },
    ];
    with_pin.privacy = Privacy::Anonim;
    let new = submit(with_pin, &rules());
    let verified = changed(&new, Status::Diverifikasi, T + MINUTE_MS);
    let mut full = add_info(
        &verified,
        &unique("wamid"),
        T + 2 * MINUTE_MS,
        Actor::citizen(&citizen),
        AddedInfo {
            text: Some("Tiangnya juga miring.".to_owned()),
            photos: Vec::new(),
            location: Some(ComplaintLocation::Typed {
                text: "Jl. Panglima Sudirman No. 1".to_owned(),
            }),
        },
        &rules(),
    )
    .expect("add info");
    full.events[1].internal_note = Some("Cek dengan Dishub.".to_owned());
    assert_eq!(full.events.len(), 3);
    assert!(full.next_due_ms.is_some() && full.deadlines.response_date.is_some());

    let created = create(&store, &full).await;
    let got = store.get_complaint(&full.ticket).await.expect("get");
    assert_eq!(
        got,
        Some(created.clone()),
        "the complaint comes back exactly"
    );
    assert_eq!(got.map(|c| c.version), Some(1), "stored version 1");

    let mut typed = complaint(&citizen, &unique("opd"), T + DAY_MS);
    typed.location = Some(ComplaintLocation::Typed {
        text: "Pasar Baru, lorong timur".to_owned(),
    });
    let typed = create(&store, &typed).await;
    assert_eq!(
        store.get_complaint(&typed.ticket).await.expect("get"),
        Some(typed)
    );

    let unknown = ticket_for(&unique("never"), 0);
    assert_eq!(store.get_complaint(&unknown).await.expect("get"), None);
}

/// A second create of a ticket returns what is stored, whoever wrote it, and changes nothing.
pub async fn create_never_overwrites(store: Arc<dyn ComplaintStore>) {
    let first = create(&store, &complaint(&unique("ID"), &unique("opd"), T)).await;

    let mut other = complaint(&unique("ID"), &unique("opd"), T + MINUTE_MS);
    other.ticket = first.ticket.clone();
    other.description = "Aduan lain dengan tiket yang sama.".to_owned();
    let existing = store.create_complaint(&other).await.expect("create again");
    assert_eq!(
        existing,
        Some(first.clone()),
        "the stored complaint comes back"
    );
    assert_eq!(
        store.get_complaint(&first.ticket).await.expect("get"),
        Some(first.clone()),
        "nothing changed"
    );
    assert!(
        store
            .complaints_of_citizen(&other.citizen_key, 10)
            .await
            .expect("list")
            .is_empty(),
        "the losing complaint is not listed anywhere"
    );

    // After an update the existing complaint is the updated one.
    let verified = changed(&first, Status::Diverifikasi, T + MINUTE_MS);
    assert_eq!(store.update_complaint(&verified).await.expect("update"), 2);
    let existing = store
        .create_complaint(&stored(&first, 0))
        .await
        .expect("create after update");
    assert_eq!(existing, Some(stored(&verified, 2)));

    let stored_version = stored(&complaint(&unique("ID"), &unique("opd"), T), 1);
    assert!(
        is_invalid(&store.create_complaint(&stored_version).await),
        "create takes version 0 only"
    );
    assert_eq!(
        store
            .get_complaint(&stored_version.ticket)
            .await
            .expect("get"),
        None
    );
}

/// The right version wins and increments; a stale one is a conflict; an unknown ticket is
/// not found.
pub async fn updates_are_versioned(store: Arc<dyn ComplaintStore>) {
    let v1 = create(&store, &complaint(&unique("ID"), &unique("opd"), T)).await;
    let verified = changed(&v1, Status::Diverifikasi, T + MINUTE_MS);
    assert_eq!(verified.version, 1, "apply keeps the version");
    assert_eq!(store.update_complaint(&verified).await.expect("update"), 2);
    let v2 = stored(&verified, 2);
    assert_eq!(
        store.get_complaint(&v1.ticket).await.expect("get"),
        Some(v2.clone())
    );

    let forwarded = changed(&v2, Status::Diteruskan, T + 2 * MINUTE_MS);
    assert_eq!(store.update_complaint(&forwarded).await.expect("update"), 3);

    // A writer still holding version 1 (or 2) loses and changes nothing.
    let stale = changed(&v1, Status::Ditolak, T + 3 * MINUTE_MS);
    let result = store.update_complaint(&stale).await;
    assert!(matches!(result, Err(PortError::Conflict(_))), "{result:?}");
    let result = store
        .update_complaint(&changed(&v2, Status::PerluDilengkapi, T + 3 * MINUTE_MS))
        .await;
    assert!(matches!(result, Err(PortError::Conflict(_))), "{result:?}");
    assert_eq!(
        store.get_complaint(&v1.ticket).await.expect("get"),
        Some(stored(&forwarded, 3))
    );

    let never_created = complaint(&unique("ID"), &unique("opd"), T);
    for version in [0, 1, 7] {
        let result = store
            .update_complaint(&stored(&never_created, version))
            .await;
        assert!(
            matches!(result, Err(PortError::NotFound(_))),
            "version {version}: {result:?}"
        );
    }
    assert_eq!(
        store
            .get_complaint(&never_created.ticket)
            .await
            .expect("get"),
        None,
        "an update never creates"
    );
}

/// Writers that all read the same version: exactly one wins, and its change is stored.
pub async fn concurrent_updates_have_one_winner(store: Arc<dyn ComplaintStore>) {
    let v1 = create(&store, &complaint(&unique("ID"), &unique("opd"), T)).await;
    let tasks: Vec<_> = (0..RACERS)
        .map(|i| {
            let store = Arc::clone(&store);
            let to = if i % 2 == 0 {
                Status::Diverifikasi
            } else {
                Status::Diteruskan
            };
            let mine = changed(&v1, to, T + MINUTE_MS + i as i64);
            tokio::spawn(async move { (store.update_complaint(&mine).await, mine) })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        let (result, mine) = task.await.expect("task");
        match result {
            Ok(version) => {
                assert_eq!(version, 2);
                winners.push(mine);
            }
            Err(PortError::Conflict(_)) => {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one of {RACERS} writers wins");
    assert_eq!(
        store.get_complaint(&v1.ticket).await.expect("get"),
        Some(stored(&winners[0], 2)),
        "the winner's change, whole"
    );
}

// ---------------------------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------------------------

/// Only that citizen's complaints, newest first (equal times by ticket, descending).
pub async fn citizen_list_is_newest_first(store: Arc<dyn ComplaintStore>) {
    let citizen = unique("ID");
    let other_citizen = unique("ID");
    let mut mine = Vec::new();
    for at in [T, T + 2 * MINUTE_MS, T + MINUTE_MS, T + 2 * MINUTE_MS] {
        mine.push(create(&store, &complaint(&citizen, &unique("opd"), at)).await);
    }
    create(
        &store,
        &complaint(&other_citizen, &unique("opd"), T + DAY_MS),
    )
    .await;
    // A change keeps the complaint in its citizen's list, with the new content.
    let verified = changed(&mine[2], Status::Diverifikasi, T + 3 * MINUTE_MS);
    store.update_complaint(&verified).await.expect("update");
    mine[2] = stored(&verified, 2);

    let listed = store
        .complaints_of_citizen(&citizen, 10)
        .await
        .expect("list");
    assert_eq!(tickets(&listed), newest_first(&mine));
    for complaint in &listed {
        let expected = mine.iter().find(|c| c.ticket == complaint.ticket);
        assert_eq!(
            Some(complaint),
            expected,
            "whole complaints, current version"
        );
    }
    let first_two = store
        .complaints_of_citizen(&citizen, 2)
        .await
        .expect("list");
    assert_eq!(tickets(&first_two), newest_first(&mine)[..2]);
    assert_eq!(
        store
            .complaints_of_citizen(&other_citizen, 10)
            .await
            .expect("list")
            .len(),
        1
    );
    assert!(store
        .complaints_of_citizen(&unique("ID"), 10)
        .await
        .expect("list")
        .is_empty());
    assert!(store
        .complaints_of_citizen(&citizen, 0)
        .await
        .expect("list")
        .is_empty());
}

/// Every page of a list, checking what holds for any list: pages of at most `limit`, a
/// cursor exactly when more follows, strictly newest first, nothing twice.
async fn walk<F, Fut>(limit: usize, mut read: F) -> Vec<Complaint>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<Page<Complaint>, PortError>>,
{
    let mut all: Vec<Complaint> = Vec::new();
    let mut after = None;
    for _ in 0..10_000 {
        let page = read(PageRequest { limit, after }).await.expect("page");
        assert!(page.items.len() <= limit, "page of {}", page.items.len());
        match page.next {
            Some(next) => {
                assert_eq!(page.items.len(), limit, "only the last page is short");
                all.extend(page.items);
                after = Some(next);
            }
            None => {
                all.extend(page.items);
                let order: Vec<(i64, &str)> = all
                    .iter()
                    .map(|c| (c.received_ms, c.ticket.as_str()))
                    .collect();
                assert!(
                    order.windows(2).all(|w| w[0] > w[1]),
                    "strictly newest first, nothing twice: {order:?}"
                );
                return all;
            }
        }
    }
    panic!("the list never ended");
}

async fn walk_status(
    store: &Arc<dyn ComplaintStore>,
    status: Status,
    limit: usize,
) -> Vec<Complaint> {
    let all = walk(limit, |page| {
        let store = Arc::clone(store);
        async move { store.complaints_by_status(status, &page).await }
    })
    .await;
    assert!(all.iter().all(|c| c.status == status), "only {status}");
    all
}

async fn walk_opd(store: &Arc<dyn ComplaintStore>, opd_id: &str, limit: usize) -> Vec<Complaint> {
    let all = walk(limit, |page| {
        let store = Arc::clone(store);
        let opd_id = opd_id.to_owned();
        async move { store.complaints_by_opd(&opd_id, &page).await }
    })
    .await;
    assert!(all.iter().all(|c| c.opd_id == opd_id), "only {opd_id}");
    all
}

/// `list` restricted to the tickets of `mine`, in the list's order.
fn only(list: &[Complaint], mine: &[Complaint]) -> Vec<Complaint> {
    let wanted: BTreeSet<&str> = mine.iter().map(|c| c.ticket.as_str()).collect();
    list.iter()
        .filter(|c| wanted.contains(c.ticket.as_str()))
        .cloned()
        .collect()
}

/// A status change moves the complaint from the old status's list to the new one.
pub async fn status_list_follows_changes(store: Arc<dyn ComplaintStore>) {
    let opd = unique("opd");
    let moving = create(&store, &complaint(&unique("ID"), &opd, T)).await;
    let staying = create(&store, &complaint(&unique("ID"), &opd, T + MINUTE_MS)).await;
    let mine = [moving.clone(), staying.clone()];

    let received = walk_status(&store, Status::Diterima, 3).await;
    assert_eq!(tickets(&only(&received, &mine)), newest_first(&mine));
    assert!(only(&walk_status(&store, Status::Diverifikasi, 3).await, &mine).is_empty());

    let verified = changed(&moving, Status::Diverifikasi, T + 2 * MINUTE_MS);
    store.update_complaint(&verified).await.expect("update");
    let received = walk_status(&store, Status::Diterima, 3).await;
    assert_eq!(tickets(&only(&received, &mine)), [staying.ticket]);
    let in_verification = walk_status(&store, Status::Diverifikasi, 3).await;
    assert_eq!(
        only(&in_verification, &mine),
        [stored(&verified, 2)],
        "listed with its new content"
    );

    // Into a final state: listed there too (the lists show every status).
    let withdrawn = changed(&stored(&verified, 2), Status::Dicabut, T + 3 * MINUTE_MS);
    store.update_complaint(&withdrawn).await.expect("update");
    assert!(only(&walk_status(&store, Status::Diverifikasi, 3).await, &mine).is_empty());
    assert_eq!(
        only(&walk_status(&store, Status::Dicabut, 3).await, &mine),
        [stored(&withdrawn, 3)]
    );
    assert_eq!(
        tickets(&walk_opd(&store, &opd, 3).await),
        newest_first(&mine),
        "the OPD list shows any status"
    );
}

/// The tickets of every page of an OPD's list, two per page.
async fn opd_pages(store: &Arc<dyn ComplaintStore>, opd_id: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .complaints_by_opd(opd_id, &PageRequest { limit: 2, after })
            .await
            .expect("page");
        pages.push(tickets(&page.items));
        match page.next {
            Some(next) => after = Some(next),
            None => return pages,
        }
        assert!(pages.len() < 10, "the list never ended");
    }
}

/// Limit 2 over 5 complaints: pages of 2, 2 and 1, each complaint exactly once, newest first;
/// the cursor is a position, so a complaint leaving the list between two pages does not
/// disturb the next page.
pub async fn paging_returns_everything_once_in_order(store: Arc<dyn ComplaintStore>) {
    let opd = unique("opd");
    let mut mine = Vec::new();
    // Two share a timestamp: ties are broken by ticket in both stores.
    for at in [
        T + 3 * MINUTE_MS,
        T,
        T + 4 * MINUTE_MS,
        T + MINUTE_MS,
        T + MINUTE_MS,
    ] {
        mine.push(create(&store, &complaint(&unique("ID"), &opd, at)).await);
    }
    let expected = newest_first(&mine);

    let pages = opd_pages(&store, &opd).await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(pages.concat(), expected);

    // The same walk through the status list (shared with other cases): in order, once each.
    let received = walk_status(&store, Status::Diterima, 2).await;
    assert_eq!(tickets(&only(&received, &mine)), expected);

    // Move the last complaint of the first page to another OPD, then continue.
    let first = store
        .complaints_by_opd(
            &opd,
            &PageRequest {
                limit: 2,
                after: None,
            },
        )
        .await
        .expect("page");
    let cursor = first.next.clone().expect("more pages");
    let mut moved = first.items[1].clone();
    moved.opd_id = unique("opd");
    store.update_complaint(&moved).await.expect("update");
    let second = store
        .complaints_by_opd(
            &opd,
            &PageRequest {
                limit: 2,
                after: Some(cursor),
            },
        )
        .await
        .expect("page after the cursor's complaint left");
    assert_eq!(tickets(&second.items), expected[2..4]);
    let third = store
        .complaints_by_opd(
            &opd,
            &PageRequest {
                limit: 2,
                after: second.next.clone(),
            },
        )
        .await
        .expect("last page");
    assert_eq!(tickets(&third.items), expected[4..]);
    assert_eq!(third.next, None);
    // Four left: two full pages, and the second one says it is the last.
    let sizes: Vec<usize> = opd_pages(&store, &opd).await.iter().map(Vec::len).collect();
    assert_eq!(sizes, [2, 2], "no empty page after a full last page");

    // A page larger than the list, and the list of an OPD without complaints.
    let whole = store
        .complaints_by_opd(
            &opd,
            &PageRequest {
                limit: 50,
                after: None,
            },
        )
        .await
        .expect("page");
    assert_eq!(whole.items.len(), 4);
    assert_eq!(whole.next, None);
    let empty = store
        .complaints_by_opd(
            &unique("opd"),
            &PageRequest {
                limit: 2,
                after: None,
            },
        )
        .await
        .expect("page");
    assert_eq!(
        empty,
        Page {
            items: Vec::new(),
            next: None
        }
    );

    for bad in ["", "not-a-cursor", "12#PS-1", "abcdefghijklm#PS-1"] {
        let result = store
            .complaints_by_opd(
                &opd,
                &PageRequest {
                    limit: 2,
                    after: Some(bad.to_owned()),
                },
            )
            .await;
        assert!(is_invalid(&result), "{bad:?}: {result:?}");
    }
    assert!(is_invalid(
        &store
            .complaints_by_status(Status::Diterima, &PageRequest::default())
            .await
    ));
}

/// Open complaints with `next_due_ms <= bound` (inclusive), earliest first, at most `limit`;
/// final complaints are gone from the list.
pub async fn due_list_is_earliest_first_and_open_only(store: Arc<dyn ComplaintStore>) {
    let opd = unique("opd");
    // Received on five consecutive days, so their response deadlines differ.
    let mut open = Vec::new();
    for day in [3, 0, 4, 1, 2] {
        open.push(
            create(
                &store,
                &complaint(&unique("ID"), &opd, LONG_AGO + day * DAY_MS),
            )
            .await,
        );
    }
    // A second complaint of day 0: the same due instant, so the ticket breaks the tie.
    open.push(
        create(
            &store,
            &complaint(&unique("ID"), &opd, LONG_AGO + MINUTE_MS),
        )
        .await,
    );
    // Due earliest of all, then withdrawn: final complaints have nothing due.
    let cancelled = create(&store, &complaint(&unique("ID"), &opd, LONG_AGO - DAY_MS)).await;
    let cancelled_due = cancelled.next_due_ms.expect("due while open");
    let withdrawn = changed(&cancelled, Status::Dicabut, LONG_AGO);
    assert_eq!(withdrawn.next_due_ms, None);
    store.update_complaint(&withdrawn).await.expect("update");

    let mut by_due = open.clone();
    by_due.sort_by(|a, b| (a.next_due_ms, &a.ticket).cmp(&(b.next_due_ms, &b.ticket)));
    let dues: Vec<i64> = by_due.iter().filter_map(|c| c.next_due_ms).collect();
    assert_eq!(
        dues.len(),
        open.len(),
        "every open complaint has a due instant"
    );
    assert!(cancelled_due <= dues[0], "the withdrawn one was due first");
    assert_eq!(dues[0], dues[1], "two share the first due instant");
    // Inclusive bound exactly at the fourth due instant.
    let bound = dues[3];
    let expected: Vec<String> = tickets(&by_due[..4]);

    let due = store.complaints_due(bound, 1000).await.expect("due");
    let order: Vec<(i64, &str)> = due
        .iter()
        .map(|c| (c.next_due_ms.unwrap_or(i64::MAX), c.ticket.as_str()))
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "earliest first: {order:?}"
    );
    assert!(
        due.iter()
            .all(|c| c.status.is_open() && c.next_due_ms.is_some_and(|d| d <= bound)),
        "only open complaints due by the bound"
    );
    assert_eq!(tickets(&only(&due, &open)), expected);
    assert!(
        !due.iter().any(|c| c.ticket == cancelled.ticket),
        "a withdrawn complaint is not due"
    );
    assert_eq!(
        only(&due, &open)[0],
        by_due[0],
        "whole complaints come back"
    );

    let first_two = store.complaints_due(bound, 2).await.expect("due");
    assert_eq!(tickets(&first_two), tickets(&due[..2]), "limit respected");
    assert!(store
        .complaints_due(bound, 0)
        .await
        .expect("due")
        .is_empty());
    let before_all = store.complaints_due(dues[0] - 1, 1000).await.expect("due");
    assert!(
        only(&before_all, &open).is_empty(),
        "nothing of ours due yet"
    );
    assert!(store.complaints_due(-1, 10).await.expect("due").is_empty());

    // Work on a complaint moves its due instant; a final one leaves the list.
    let first = stored(&by_due[0], 1);
    let rejected = changed(&first, Status::Ditolak, LONG_AGO + DAY_MS);
    store.update_complaint(&rejected).await.expect("update");
    let due = store.complaints_due(bound, 1000).await.expect("due");
    assert_eq!(tickets(&only(&due, &open)), expected[1..]);
}

/// Refused the same way in both stores, before anything is written.
pub async fn invalid_input_is_refused(store: Arc<dyn ComplaintStore>) {
    let mut no_ticket = complaint(&unique("ID"), &unique("opd"), T);
    no_ticket.ticket = String::new();
    assert!(is_invalid(&store.create_complaint(&no_ticket).await));
    assert!(is_invalid(&store.get_complaint("").await));

    let mut before_1970 = complaint(&unique("ID"), &unique("opd"), T);
    before_1970.received_ms = -1;
    assert!(is_invalid(&store.create_complaint(&before_1970).await));

    let mut no_opd = complaint(&unique("ID"), &unique("opd"), T);
    no_opd.opd_id = String::new();
    assert!(is_invalid(&store.create_complaint(&no_opd).await));

    // Larger than a DynamoDB item may be: refused locally too.
    let mut huge = complaint(&unique("ID"), &unique("opd"), T);
    huge.description = "x".repeat(400_000);
    assert!(is_invalid(&store.create_complaint(&huge).await));
    assert_eq!(store.get_complaint(&huge.ticket).await.expect("get"), None);

    let stored = create(&store, &complaint(&unique("ID"), &unique("opd"), T)).await;
    let mut grown = stored.clone();
    grown.description = "x".repeat(400_000);
    assert!(is_invalid(&store.update_complaint(&grown).await));
    assert_eq!(
        store.get_complaint(&stored.ticket).await.expect("get"),
        Some(stored)
    );
}
