//! Retention of complaints and alerts (UU 27/2022 PDP: personal data is kept no longer than
//! needed). A complaint is removed `PROLINK_COMPLAINT_RETENTION_DAYS` after it was closed
//! (reached a final status, `complaint_rules::closed_ms`), with everything of it: its photos
//! in the blob store, its alerts, and its item or row (the timeline, notes and photo records
//! are inside it; the index entries go with it). An alert is removed as long after its
//! resolution; a complaint's alerts that are still open go with the complaint.
//!
//! The scheduler runs the sweep on every tick, after the complaints that are due. Both lists
//! come from indexes bounded by the cutoff (closing time, resolution time), so a tick with
//! nothing old enough costs two empty queries. Retention is applied at read time, so a
//! changed setting holds for complaints closed before the change too.
//!
//! Why an explicit sweep rather than DynamoDB TTL on the complaint: the photos live in S3
//! and the alerts in other items, so something must delete them anyway, and a TTL that took
//! the complaint first would take the index entry that finds its photos with it. Why not
//! schedule the purge on the by-deadline index's due instant: that index holds the next SLA
//! point of open complaints, which the domain recomputes on every change; a closed
//! complaint's purge time is a property of the stored complaint (its closing), so the store
//! indexes the closing time instead (DynamoDB: the same `GSI4`, partition `CMPCLOSED`;
//! SQLite: the `closed_ms` column), and the retention is subtracted from now.
//!
//! Order of a purge: photos, then alerts, then the complaint, conditional on the version
//! read. Each step is idempotent, so a crash or a failure half-way leaves the complaint in
//! the index and the next tick finishes the job; nothing is orphaned. Final statuses have no
//! way out (`docs/complaints.md`), and the conditional delete still lets any change made
//! meanwhile win.
//!
//! Not purged early: a reopened complaint (`selesai → dibuka_kembali`) is open, so it is not
//! in the index; it enters again when it is final again, with the later closing time. A
//! complaint merged into another (`duplicate_of`, withdrawn when its citizen chose to follow
//! the original) is kept while the original is kept: its citizen still follows the original.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tracing::{info, warn};

use prolink_domain::calendar::DAY_MS;
use prolink_domain::complaint::Complaint;

use crate::complaint_rules::closed_ms;
use crate::ids::short_hash;
use crate::ports::{BlobEraser, ComplaintStore, PortError, PortResult, RetentionStore};

/// Complaints and alerts read per query.
pub const SWEEP_PAGE: usize = 50;

/// What one sweep removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub complaints: usize,
    pub photos: usize,
    pub alerts: usize,
    /// Merged complaints kept because their original is kept.
    pub kept_merged: usize,
    /// Complaints changed between the read and the delete: left for a later tick.
    pub conflicts: usize,
    /// False when the budget ran out (or a step failed) before everything was removed.
    pub finished: bool,
}

/// The retention sweep: the store's two indexes and the blob store of the photos.
#[derive(Clone)]
pub struct RetentionSweep {
    pub store: Arc<dyn RetentionStore>,
    /// Reads the original of a merged complaint.
    pub complaints: Arc<dyn ComplaintStore>,
    /// `None` where no photo store is configured (then complaints hold no stored photos).
    pub blobs: Option<Arc<dyn BlobEraser>>,
    /// `PROLINK_COMPLAINT_RETENTION_DAYS`.
    pub retention_days: i64,
}

/// The blob keys of every photo of a complaint (the erasure's list: retention deletes the
/// same files).
pub use prolink_domain::erasure::photo_keys;

/// The ids of every alert a complaint can have raised: the new-complaint alert, the citizen
/// updates and the SLA reminders and escalations (one per event, ids as the complaint worker
/// and the scheduler derive them).
pub fn alert_ids(complaint: &Complaint) -> Vec<String> {
    let ticket = &complaint.ticket;
    let mut ids = vec![format!("complaint.new.{ticket}")];
    for event in &complaint.events {
        ids.push(format!(
            "complaint.citizen.{}",
            short_hash(&format!("{ticket}#{}", event.id))
        ));
        ids.push(format!("{ticket}.{}", event.id));
    }
    ids
}

impl RetentionSweep {
    fn cutoff(&self, now_ms: i64) -> i64 {
        now_ms.saturating_sub(self.retention_days.max(1).saturating_mul(DAY_MS))
    }

    /// Removes what is older than the retention at `now_ms`, until `budget` is used up.
    pub async fn sweep(&self, now_ms: i64, budget: Duration) -> PortResult<SweepReport> {
        let started = Instant::now();
        let cutoff = self.cutoff(now_ms);
        let mut report = SweepReport::default();
        // Complaints this sweep has seen stay listed while kept (merged ones, lost races) and
        // for a moment after their delete (the index is eventually consistent): every query
        // asks for that many more, so they can never fill a page and hide the rest.
        let mut seen: HashSet<String> = HashSet::new();
        loop {
            let limit = SWEEP_PAGE.saturating_add(seen.len());
            let found = self.store.complaints_closed_before(cutoff, limit).await?;
            let mut progressed = false;
            for complaint in &found {
                if !seen.insert(complaint.ticket.clone()) {
                    continue;
                }
                progressed = true;
                if started.elapsed() >= budget {
                    return Ok(report);
                }
                if self.original_kept(complaint, cutoff).await? {
                    report.kept_merged += 1;
                    continue;
                }
                if !self.purge(complaint, &mut report).await? {
                    report.conflicts += 1;
                }
            }
            if found.len() < limit || !progressed {
                break;
            }
        }
        // Deleted alerts may still be listed for a moment (DynamoDB's index is eventually
        // consistent): a page with nothing new ends the sweep instead of spinning on it.
        let mut deleted: HashSet<String> = HashSet::new();
        loop {
            if started.elapsed() >= budget {
                return Ok(report);
            }
            let alerts = self
                .store
                .alerts_resolved_before(cutoff, SWEEP_PAGE)
                .await?;
            let mut progressed = false;
            for alert in &alerts {
                if !deleted.insert(alert.alert.id.clone()) {
                    continue;
                }
                progressed = true;
                self.store.delete_alert(&alert.alert.id).await?;
                report.alerts += 1;
            }
            if alerts.len() < SWEEP_PAGE || !progressed {
                break;
            }
        }
        report.finished = true;
        if report.complaints > 0 || report.alerts > 0 {
            info!(?report, "retention: expired complaints and alerts removed");
        }
        Ok(report)
    }

    /// Whether `complaint` was merged into an original that is still kept (open, or closed
    /// after the cutoff): then its citizen still follows that original.
    async fn original_kept(&self, complaint: &Complaint, cutoff: i64) -> PortResult<bool> {
        let Some(original) = complaint.duplicate_of.as_deref() else {
            return Ok(false);
        };
        if original == complaint.ticket {
            return Ok(false);
        }
        let Some(original) = self.complaints.get_complaint(original).await? else {
            return Ok(false);
        };
        Ok(closed_ms(&original).is_none_or(|closed| closed >= cutoff))
    }

    /// Photos, alerts, then the complaint itself. `Ok(false)`: it changed meanwhile.
    async fn purge(&self, complaint: &Complaint, report: &mut SweepReport) -> PortResult<bool> {
        let keys = photo_keys(complaint);
        if !keys.is_empty() {
            let Some(blobs) = &self.blobs else {
                // Deleting the record would orphan the files for good: keep both and say so.
                warn!(
                    ticket = %complaint.ticket,
                    "retention: complaint has stored photos but no blob store is configured"
                );
                return Err(PortError::Backend(
                    "retention needs the photo store to remove a complaint's photos".into(),
                ));
            };
            for key in &keys {
                blobs.delete_blob(key).await?;
            }
        }
        for id in alert_ids(complaint) {
            self.store.delete_alert(&id).await?;
        }
        if !self
            .store
            .delete_complaint(&complaint.ticket, complaint.version)
            .await?
        {
            return Ok(false);
        }
        report.complaints += 1;
        report.photos += keys.len();
        Ok(true)
    }
}
