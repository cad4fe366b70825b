//! The complaint's clocks, always recomputed from its events (never adjusted in place), so a
//! pause, a reopening or a category change gives the same dates however they are replayed.
//!
//! - Response and resolution targets are N working days after the day of receipt (the
//!   category's SLA), ending at the close of that day, plus every working day the complaint
//!   spent in `perlu_dilengkapi` (the clock is paused there).
//! - The response target is met by the first operator change that answers the citizen:
//!   asking for more information, rejecting, redirecting, starting work or finishing.
//! - A reopening (`dibuka_kembali`) gives the OPD a fresh resolution period from that day.
//! - `perlu_dilengkapi` closes as incomplete after [`COMPLETE_WITHIN_WORKING_DAYS`] without
//!   an answer; `selesai` closes after [`CLOSE_AFTER_WORKING_DAYS`] without the citizen's
//!   answer (the scheduler acts on both through `next_due_ms`, which `lifecycle::reschedule`
//!   sets to the earliest SLA point still to come: `sla::next_point_ms`).

use chrono::NaiveDate;

use super::model::{ActorKind, Complaint, Deadlines, Status};
use crate::{
    calendar::{self, Counted, CoverageGap},
    content::{ComplaintCategory, HolidayCalendar},
};

/// Working days the citizen has to answer a `perlu_dilengkapi` request.
pub const COMPLETE_WITHIN_WORKING_DAYS: u32 = 5;
/// Working days after `selesai` before a complaint closes without the citizen's rating.
pub const CLOSE_AFTER_WORKING_DAYS: u32 = 10;

/// A category's targets in working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sla {
    pub response_days: u32,
    pub resolution_days: u32,
}

impl Sla {
    /// For a complaint whose category has left the content since it was submitted.
    pub const FALLBACK: Sla = Sla {
        response_days: 5,
        resolution_days: 14,
    };
}

impl From<&ComplaintCategory> for Sla {
    fn from(category: &ComplaintCategory) -> Sla {
        Sla {
            response_days: category.sla_working_days_response,
            resolution_days: category.sla_working_days_resolution,
        }
    }
}

/// Statuses whose arrival (by an operator) counts as the first answer to the citizen.
fn answers_citizen(status: Status) -> bool {
    matches!(
        status,
        Status::PerluDilengkapi
            | Status::Ditolak
            | Status::BukanWewenang
            | Status::Diproses
            | Status::Selesai
    )
}

struct GapTracker(Option<CoverageGap>);

impl GapTracker {
    fn take<T>(&mut self, counted: Counted<T>) -> T {
        if self.0.is_none() {
            self.0 = counted.gap;
        }
        counted.value
    }
}

/// The deadlines of a complaint from its events, and the end (Unix ms) of the deadline it
/// currently waits for: the response, the resolution, the citizen's answer or reaction;
/// `None` once final. That end is informational: the by-deadline index (`next_due_ms`) is
/// the earliest SLA point (`sla::next_point_ms`), which comes before it (reminders) or after
/// it (escalations).
pub fn schedule(
    complaint: &Complaint,
    sla: Sla,
    holidays: &HolidayCalendar,
) -> (Deadlines, Option<i64>) {
    let mut gaps = GapTracker(None);
    let received = calendar::wib_date(complaint.received_ms);
    // A pause moves the response date only when it began before the first answer (asking
    // the citizen for more is itself an answer, so a late answer cannot hide behind the pause
    // it opened). Only the pauses since the last reopening move the resolution date, whose
    // period restarts there; one shared counter would let a reopening rewrite the past.
    let mut paused_days: u32 = 0;
    let mut paused_before_response: u32 = 0;
    let mut paused_since_reopen: u32 = 0;
    let mut paused_since: Option<NaiveDate> = None;
    let mut pause_precedes_response = false;
    let mut responded_ms: Option<i64> = None;
    let mut resolution_base = received;
    let mut finished_on: Option<NaiveDate> = None;
    for event in complaint.events.iter().filter(|e| e.changes_status()) {
        let day = calendar::wib_date(event.at_ms);
        if let Some(since) = paused_since.take() {
            let days = gaps.take(calendar::working_days_after(since, day, holidays));
            paused_days = paused_days.saturating_add(days);
            paused_since_reopen = paused_since_reopen.saturating_add(days);
            if pause_precedes_response {
                paused_before_response = paused_before_response.saturating_add(days);
            }
        }
        if responded_ms.is_none()
            && event.actor.kind == ActorKind::Operator
            && answers_citizen(event.to)
        {
            responded_ms = Some(event.at_ms);
        }
        if event.to == Status::PerluDilengkapi {
            paused_since = Some(day);
            pause_precedes_response = responded_ms.is_none();
        }
        if event.to == Status::DibukaKembali {
            resolution_base = day;
            paused_since_reopen = 0;
        }
        finished_on = (event.to == Status::Selesai).then_some(day);
    }
    let response_date = gaps.take(calendar::add_working_days(
        received,
        sla.response_days.saturating_add(paused_before_response),
        holidays,
    ));
    let resolution_date = gaps.take(calendar::add_working_days(
        resolution_base,
        sla.resolution_days.saturating_add(paused_since_reopen),
        holidays,
    ));
    let complete_by_date = match (complaint.status, paused_since) {
        (Status::PerluDilengkapi, Some(since)) => Some(gaps.take(calendar::add_working_days(
            since,
            COMPLETE_WITHIN_WORKING_DAYS,
            holidays,
        ))),
        _ => None,
    };
    let close_by_date = match (complaint.status, finished_on) {
        (Status::Selesai, Some(day)) => Some(gaps.take(calendar::add_working_days(
            day,
            CLOSE_AFTER_WORKING_DAYS,
            holidays,
        ))),
        _ => None,
    };
    let next_due_date = match complaint.status {
        status if status.is_final() => None,
        Status::PerluDilengkapi => complete_by_date,
        Status::Selesai => close_by_date,
        _ if responded_ms.is_none() => Some(response_date),
        _ => Some(resolution_date),
    };
    let deadlines = Deadlines {
        response_date: Some(response_date),
        resolution_date: Some(resolution_date),
        paused_working_days: paused_days,
        complete_by_date,
        close_by_date,
        responded_ms,
        calendar_gap: gaps.0,
    };
    (deadlines, next_due_date.map(calendar::end_of_day_ms))
}

/// When the automatic closing comes: the end (24.00 WIB) of the last day the citizen has to
/// answer `perlu_dilengkapi` or react to `selesai`; `None` in any other status. The SLA point
/// (`sla::SlaAction::AutoClose`) and `timers::auto_close` both use it, so the closing is due exactly
/// when its point is.
pub fn auto_close_due_ms(complaint: &Complaint) -> Option<i64> {
    let last_day = match complaint.status {
        Status::PerluDilengkapi => complaint.deadlines.complete_by_date,
        Status::Selesai => complaint.deadlines.close_by_date,
        _ => None,
    }?;
    Some(calendar::end_of_day_ms(last_day))
}
