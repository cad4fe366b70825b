//! What one scheduler tick does for one due complaint, decided without I/O: the record to
//! write back, the events the citizen is told about, the operators' notices and the index
//! value it is left with. The scheduler reads the complaint, calls [`decide`], then queues,
//! writes and sends what it says, in the order its module documents.

use chrono::NaiveTime;

use super::{
    lifecycle::{apply, apply_recorded, reschedule, Rules, TransitionError},
    model::Complaint,
    notify::{self, OperatorNotice},
    sla::{self, SlaAction},
    timers::auto_close,
};
use crate::{
    calendar,
    content::{ContentBundle, HolidayCalendar},
};

/// When a point the index calls due yields nothing (other than a missed progress note).
pub const STALE_RETRY_MS: i64 = 15 * 60_000;

/// A reminder or escalation the tick recorded: the dashboard's alert and the operators'
/// template both carry `notice`.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorPoint {
    pub action: SlaAction,
    /// The id of the recorded event (alert and outbox ids derive from it).
    pub event_id: String,
    pub notice: OperatorNotice,
}

/// A due action the lifecycle refused (logged by the scheduler, never retried by it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub action: SlaAction,
    pub error: TransitionError,
}

/// What a tick does for one complaint.
#[derive(Debug, Clone, PartialEq)]
pub struct TickDecision {
    /// The complaint to write back (conditionally on the version read); `None` when nothing
    /// changes, not even the index value.
    pub write: Option<Complaint>,
    /// Events the citizen is told about (progress notes, automatic closings), in order.
    pub citizen_events: Vec<String>,
    /// Reminders and escalations recorded, in order.
    pub operator_points: Vec<OperatorPoint>,
    pub refused: Vec<Refusal>,
    /// The index value the complaint is left with.
    pub next_due_ms: Option<i64>,
}

/// Acts, on paper, on everything due at `now_ms` (`sla::due_actions`): an automatic
/// closing through `lifecycle::apply`, every other point recorded as its event. When the
/// index said due but nothing is (a progress note missed while the scheduler was down waits
/// for the next 09.00 of a working day, or content changed the clocks), the index value
/// moves into the future so the complaint stops coming back; unchanged, nothing is written.
pub fn decide(complaint: &Complaint, now_ms: i64, content: &ContentBundle) -> TickDecision {
    let rules = Rules::for_category(content, &complaint.category_id);
    let opd_name = content
        .opd(&complaint.opd_id)
        .map_or_else(|| complaint.opd_id.clone(), |o| o.name.clone());
    let mut updated = complaint.clone();
    let mut citizen_events = Vec::new();
    let mut recorded_points: Vec<(SlaAction, String)> = Vec::new();
    let mut refused = Vec::new();
    let mut actions = 0;
    for action in sla::due_actions(complaint, now_ms, &content.holidays) {
        match action {
            SlaAction::AutoClose => {
                let Some(change) = auto_close(&updated, now_ms) else {
                    continue;
                };
                let event_id = change.event_id.clone();
                match apply(&updated, change, &rules) {
                    Ok(closed) => {
                        updated = closed;
                        citizen_events.push(event_id);
                        actions += 1;
                    }
                    Err(error) => refused.push(Refusal { action, error }),
                }
            }
            other => {
                let Some(event) = sla::record(&updated, &other, now_ms, &opd_name) else {
                    continue;
                };
                let event_id = event.id.clone();
                match apply_recorded(&updated, event, &rules) {
                    Ok(recorded) => updated = recorded,
                    Err(TransitionError::AlreadyApplied) => continue,
                    Err(error) => {
                        refused.push(Refusal {
                            action: other,
                            error,
                        });
                        continue;
                    }
                }
                actions += 1;
                match other {
                    SlaAction::ProgressNote { .. } => citizen_events.push(event_id),
                    _ => recorded_points.push((other, event_id)),
                }
            }
        }
    }
    if actions == 0 {
        reschedule(&mut updated, &rules);
        updated.next_due_ms = retimed_next_due(&updated, now_ms, &content.holidays);
        if updated.next_due_ms == complaint.next_due_ms {
            return TickDecision {
                write: None,
                citizen_events,
                operator_points: Vec::new(),
                refused,
                next_due_ms: complaint.next_due_ms,
            };
        }
    }
    // A notice names the ticket, category and OPD only, which no SLA action changes.
    let operator_points = recorded_points
        .into_iter()
        .map(|(action, event_id)| OperatorPoint {
            notice: notify::operator_sla_notice(&updated, &action, content),
            action,
            event_id,
        })
        .collect();
    TickDecision {
        next_due_ms: updated.next_due_ms,
        write: Some(updated),
        citizen_events,
        operator_points,
        refused,
    }
}

impl TickDecision {
    /// Actions taken: every closing and progress note the citizen hears of, every reminder
    /// and escalation the operators get.
    pub fn actions(&self) -> usize {
        self.citizen_events.len() + self.operator_points.len()
    }
}

/// The index value of a complaint with nothing due at `now`: its pending points, a missed
/// progress note moved to the next 09.00 WIB of a working day, anything else stale to a
/// quarter of an hour from now.
fn retimed_next_due(complaint: &Complaint, now: i64, holidays: &HolidayCalendar) -> Option<i64> {
    sla::pending_points(complaint, holidays)
        .into_iter()
        .map(|point| {
            if point.at_ms > now {
                return point.at_ms;
            }
            match point.action {
                SlaAction::ProgressNote { .. } => {
                    let local = calendar::wib_datetime(now);
                    let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default();
                    let today = local.date();
                    let day = if calendar::is_working_day(today, holidays) && local.time() < nine {
                        today
                    } else {
                        calendar::next_working_day(today, holidays)
                    };
                    calendar::wib_to_ms(day.and_time(nine))
                }
                _ => now + STALE_RETRY_MS,
            }
        })
        .min()
}

#[cfg(test)]
mod tests;
