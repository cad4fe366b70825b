//! Retention of complaints and alerts (`prolink_app::retention`) on both stores: a complaint
//! closed longer ago than the retention is removed with its photos and its alerts; an open
//! one, a recently closed one and one merged into a complaint still kept stay, and so do
//! alerts not yet resolved long enough.

use std::sync::Arc;
use std::time::Duration;

use prolink_app::ports::{AlertState, BlobStore, OperatorAlert, PortResult};
use prolink_app::retention::{RetentionSweep, SweepReport};
use prolink_domain::calendar::DAY_MS;
use prolink_domain::complaint::{Complaint, Photo, Status};
use prolink_embedded::blob_local::LocalBlobStore;

use super::harness::{Api, Seed};
use crate::support::ManualClock;

const RETENTION_DAYS: i64 = 1826;
/// When the old complaints were received (and, a millisecond later, closed).
const T0: i64 = 1_600_000_000_000;

fn blobs(api: &Api) -> Arc<LocalBlobStore> {
    Arc::new(LocalBlobStore::new(
        api.app.dir().join("retention-blobs"),
        b"retention-test-key".to_vec(),
        ManualClock::at(T0),
    ))
}

fn sweep(api: &Api, blobs: &Arc<LocalBlobStore>) -> RetentionSweep {
    RetentionSweep {
        store: api.stores.retention.clone(),
        complaints: api.stores.complaints.clone(),
        blobs: Some(blobs.clone()),
        retention_days: RETENTION_DAYS,
    }
}

/// Stores `complaint` changed by `change` (a versioned write, as every writer does).
async fn change(api: &Api, complaint: Complaint, change: impl FnOnce(&mut Complaint)) {
    let mut next = complaint;
    change(&mut next);
    api.stores
        .complaints
        .update_complaint(&next)
        .await
        .expect("update");
}

fn photo(ticket: &str, media_id: &str) -> Photo {
    Photo {
        media_id: media_id.into(),
        mime_type: Some("image/jpeg".into()),
        sha256: None,
        caption: None,
        stored_key: Some(format!("complaints/{ticket}/{media_id}.jpg")),
        fetch_error: None,
    }
}

async fn alert(api: &Api, id: &str, raised_ms: i64, resolved_ms: Option<i64>) {
    api.stores
        .signals
        .raise_alert(&OperatorAlert {
            id: id.into(),
            kind: "handoff".into(),
            message: "Warga menunggu balasan petugas.".into(),
            citizen_key: None,
            raised_ms,
            opd_id: None,
        })
        .await
        .expect("raise");
    if let Some(at) = resolved_ms {
        api.stores
            .alerts
            .resolve_alert(id, "ani", at)
            .await
            .expect("resolve")
            .expect("exists");
    }
}

async fn exists(api: &Api, ticket: &str) -> bool {
    api.stores
        .complaints
        .get_complaint(ticket)
        .await
        .expect("get")
        .is_some()
}

async fn alert_exists(api: &Api, id: &str) -> bool {
    api.stores
        .alerts
        .get_alert(id)
        .await
        .expect("get")
        .is_some()
}

async fn run(sweep: &RetentionSweep, at_ms: i64) -> PortResult<SweepReport> {
    sweep.sweep(at_ms, Duration::from_secs(60)).await
}

async fn closed_complaints_go_with_their_photos_and_alerts(api: Api) {
    let blobs = blobs(&api);
    let closed_at = T0 + 1;
    // Closed long ago, with a photo of its own and one the citizen added later.
    let old = api
        .complaint(Seed {
            status: Status::Ditutup,
            at_ms: T0,
            window_from_ms: T0,
            ..Seed::new("PS-RT0001")
        })
        .await;
    change(&api, old, |c| {
        c.photos.push(photo("PS-RT0001", "m1"));
        c.events[0].info = Some(prolink_domain::complaint::AddedInfo {
            text: None,
            photos: vec![photo("PS-RT0001", "m2")],
            location: None,
        });
    })
    .await;
    for media in ["m1", "m2"] {
        blobs
            .put_blob(
                &format!("complaints/PS-RT0001/{media}.jpg"),
                b"jpeg".to_vec(),
                "image/jpeg",
            )
            .await
            .expect("blob");
    }
    // Its alerts: the new-complaint alert (never resolved) and a reminder, as their
    // raisers name them.
    alert(&api, "complaint.new.PS-RT0001", T0, None).await;
    alert(&api, "PS-RT0001.setup.ditutup", T0, None).await;
    // Open since T0: kept whatever its age.
    api.complaint(Seed {
        status: Status::Diproses,
        at_ms: T0,
        window_from_ms: T0,
        ..Seed::new("PS-RT0002")
    })
    .await;
    // Closed 100 days before the check: kept.
    let recent_at = T0 + (RETENTION_DAYS - 100) * DAY_MS;
    api.complaint(Seed {
        status: Status::Ditolak,
        at_ms: recent_at,
        window_from_ms: recent_at,
        ..Seed::new("PS-RT0003")
    })
    .await;
    // Merged into the open PS-RT0002 (withdrawn long ago): kept while its original is.
    let merged = api
        .complaint(Seed {
            status: Status::Dicabut,
            at_ms: T0,
            window_from_ms: T0,
            ..Seed::new("PS-RT0004")
        })
        .await;
    change(&api, merged, |c| c.duplicate_of = Some("PS-RT0002".into())).await;
    // Alerts of no complaint: resolved long ago (goes), resolved lately (stays), never
    // resolved (stays).
    alert(&api, "handoff.old", T0, Some(T0 + DAY_MS)).await;
    alert(&api, "handoff.recent", T0, Some(recent_at)).await;
    alert(&api, "handoff.open", T0, None).await;

    let sweep = sweep(&api, &blobs);
    // A day before the retention of the old complaint ends: nothing goes.
    let clock = ManualClock::at(closed_at + (RETENTION_DAYS - 1) * DAY_MS);
    let early = run(&sweep, prolink_app::ports::Clock::now_ms(clock.as_ref()))
        .await
        .expect("sweep");
    assert_eq!((early.complaints, early.alerts), (0, 0), "{early:?}");
    assert!(exists(&api, "PS-RT0001").await);

    // Past it (and past the old handoff alert's retention after its resolution).
    clock.set(closed_at + (RETENTION_DAYS + 2) * DAY_MS);
    let report = run(&sweep, prolink_app::ports::Clock::now_ms(clock.as_ref()))
        .await
        .expect("sweep");
    assert_eq!(report.complaints, 1, "{report:?}");
    assert_eq!(report.photos, 2, "{report:?}");
    assert_eq!(report.kept_merged, 1, "{report:?}");
    assert!(report.finished);
    assert!(!exists(&api, "PS-RT0001").await, "closed long ago: gone");
    for media in ["m1", "m2"] {
        let key = format!("complaints/PS-RT0001/{media}.jpg");
        assert_eq!(blobs.get_blob(&key).await.expect("get"), None, "{key}");
    }
    for id in [
        "complaint.new.PS-RT0001",
        "PS-RT0001.setup.ditutup",
        "handoff.old",
    ] {
        assert!(!alert_exists(&api, id).await, "{id} gone");
    }
    for ticket in ["PS-RT0002", "PS-RT0003", "PS-RT0004"] {
        assert!(exists(&api, ticket).await, "{ticket} kept");
    }
    for id in ["handoff.recent", "handoff.open"] {
        assert!(alert_exists(&api, id).await, "{id} kept");
    }
    // The old complaint is no longer listed anywhere.
    let citizen = api
        .stores
        .complaints
        .complaints_of_citizen("6281255500031", 10)
        .await
        .expect("list");
    assert!(citizen.iter().all(|c| c.ticket != "PS-RT0001"));

    // Once the original closes and its retention passes, the merged one goes too; a second
    // sweep at the same time finds nothing more.
    let original = api.stored("PS-RT0002").await;
    change(&api, original, |c| {
        c.events.push(prolink_domain::complaint::ComplaintEvent {
            id: "close.1".into(),
            at_ms: T0 + 2,
            actor: prolink_domain::complaint::Actor::operator("setup"),
            from: Some(Status::Diproses),
            to: Status::Ditutup,
            public_note: None,
            internal_note: None,
            info: None,
        });
        c.status = Status::Ditutup;
        c.next_due_ms = None;
    })
    .await;
    let later = run(&sweep, prolink_app::ports::Clock::now_ms(clock.as_ref()))
        .await
        .expect("sweep");
    assert!(!exists(&api, "PS-RT0002").await, "{later:?}");
    assert!(!exists(&api, "PS-RT0004").await, "{later:?}");
    assert!(exists(&api, "PS-RT0003").await);
    let again = run(&sweep, prolink_app::ports::Clock::now_ms(clock.as_ref()))
        .await
        .expect("sweep");
    assert_eq!((again.complaints, again.alerts), (0, 0), "{again:?}");
    let open = api
        .stores
        .alerts
        .list_alerts(
            AlertState::Open,
            None,
            &prolink_app::ports::PageRequest {
                limit: 10,
                after: None,
            },
        )
        .await
        .expect("alerts");
    assert_eq!(
        open.items
            .iter()
            .map(|a| a.alert.id.as_str())
            .collect::<Vec<_>>(),
        ["handoff.open"]
    );
}

on_both_stores!(closed_complaints_go_with_their_photos_and_alerts);
