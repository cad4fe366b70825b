//! The SLA clocks' points in time: reminders to the OPD at 50 % and 80 % of each target,
//! escalation up the ladder once a target is breached, the citizen's daily progress note
//! while the first answer is late, and the automatic closings of `timers`.
//!
//! Every point the scheduler acts on is recorded on the complaint as an event with a
//! deterministic id, so a point is acted on once however many ticks see it, and
//! [`next_point_ms`] (the by-deadline index value, `next_due_ms`) always names the earliest
//! point not yet settled: recorded, or made pointless by a later point of the same clock that
//! was recorded (see [`pending_points`]).
//!
//! Times: operator points fall at 07.30 WIB of a working day (before the office opens, never
//! at night); the citizen's progress note at 09.00 WIB of a working day, and only until
//! 21.00 (a scheduler that comes back later sends it the next working day).

use chrono::{NaiveDate, NaiveTime, Timelike};

use super::{
    limits::MAX_EVENTS,
    model::{Actor, Complaint, ComplaintEvent, Status},
    schedule::auto_close_due_ms,
};
use crate::{calendar, content::HolidayCalendar};

/// The actor id the scheduler signs its events with.
pub const SCHEDULER: &str = "scheduler";

/// Reminders before a target, as a share of its working days (pauses excluded).
pub const REMINDER_PERCENTS: [u32; 2] = [50, 80];
/// The escalation ladder: level n is reached this many working days after the first working
/// day that follows the deadline day (that morning is day 0).
pub const ESCALATION_AFTER_WORKING_DAYS: [u32; 3] = [0, 1, 3];
/// Who each ladder level reaches (the operator directory maps these to people).
pub const ESCALATION_ROLES: [&str; 3] = ["opd", "supervisor", "pimpinan"];
/// Progress notes are the one kind of SLA event without a bound (one a working day while the
/// answer is late) and the timeline is capped at [`MAX_EVENTS`]: they stop at this many
/// events, so an old neglected complaint can still be answered and closed.
pub const PROGRESS_NOTES_UNTIL_EVENTS: usize = MAX_EVENTS - 50;
/// Reminders and escalations stop at this many events, for the same reason.
pub const OPERATOR_POINTS_UNTIL_EVENTS: usize = MAX_EVENTS - 10;
const OPERATOR_HOUR: (u32, u32) = (7, 30);
const CITIZEN_HOUR: (u32, u32) = (9, 0);
/// From this hour on a late tick no longer sends the day's progress note (quiet hours).
const CITIZEN_UNTIL_HOUR: u32 = 21;
/// Escalation steps rank above every reminder percent (see [`SlaAction::step`]).
const ESCALATION_STEP: u32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlaClock {
    /// The first answer (tanggapan).
    Response,
    /// The resolution (penyelesaian).
    Resolution,
}

impl SlaClock {
    pub fn as_str(self) -> &'static str {
        match self {
            SlaClock::Response => "response",
            SlaClock::Resolution => "resolution",
        }
    }

    fn parse(name: &str) -> Option<SlaClock> {
        match name {
            "response" => Some(SlaClock::Response),
            "resolution" => Some(SlaClock::Resolution),
            _ => None,
        }
    }

    /// What operators read.
    pub fn label(self) -> &'static str {
        match self {
            SlaClock::Response => "tanggapan",
            SlaClock::Resolution => "penyelesaian",
        }
    }
}

/// Something the scheduler does for a complaint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlaAction {
    /// `percent` of the target's time has passed by the end of today: remind the OPD.
    Reminder {
        clock: SlaClock,
        percent: u32,
        deadline: NaiveDate,
    },
    /// The target was breached: escalate to ladder level `level` (1-based).
    Escalation {
        clock: SlaClock,
        level: u8,
        deadline: NaiveDate,
    },
    /// The first answer is late: tell the citizen it is still being handled (once a day).
    ProgressNote { day: NaiveDate },
    /// `perlu_dilengkapi` or `selesai` ran out (see `timers::auto_close`).
    AutoClose,
}

impl SlaAction {
    /// The id of the event that records it (the deadline is part of it: after a pause or a
    /// category change the points are those of the new deadline). `AutoClose` is recorded by
    /// its status change, whose id comes from `timers::auto_close`: this one is never stored.
    pub fn event_id(&self) -> String {
        match self {
            SlaAction::Reminder {
                clock,
                percent,
                deadline,
            } => format!("sla.reminder.{}.{percent}.{deadline}", clock.as_str()),
            SlaAction::Escalation {
                clock,
                level,
                deadline,
            } => format!("sla.escalation.{}.{level}.{deadline}", clock.as_str()),
            SlaAction::ProgressNote { day } => format!("sla.progress.{day}"),
            SlaAction::AutoClose => "sla.auto-close".to_string(),
        }
    }

    /// How far an operator point is along its clock: reminders by percent, escalations
    /// above every reminder, by level. Once a step is recorded, no lower or equal step of
    /// the same clock period is worth sending any more (whatever deadline it was computed
    /// for).
    fn step(&self) -> Option<(SlaClock, u32)> {
        match self {
            SlaAction::Reminder { clock, percent, .. } => Some((*clock, *percent)),
            SlaAction::Escalation { clock, level, .. } => {
                Some((*clock, ESCALATION_STEP + u32::from(*level)))
            }
            SlaAction::ProgressNote { .. } | SlaAction::AutoClose => None,
        }
    }
}

/// The (clock, step) an operator-point event id records, if it is one.
fn recorded_step(event_id: &str) -> Option<(SlaClock, u32)> {
    let mut parts = event_id.split('.');
    if parts.next()? != "sla" {
        return None;
    }
    let kind = parts.next()?;
    let clock = SlaClock::parse(parts.next()?)?;
    let n: u32 = parts.next()?.parse().ok()?;
    match kind {
        "reminder" => Some((clock, n)),
        "escalation" => Some((clock, ESCALATION_STEP.saturating_add(n))),
        _ => None,
    }
}

/// A point in time and what is due then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaPoint {
    pub at_ms: i64,
    pub action: SlaAction,
}

fn at(day: NaiveDate, (hour, minute): (u32, u32)) -> i64 {
    let time = NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN);
    calendar::wib_to_ms(day.and_time(time))
}

/// Whether the clocks run: not final, not waiting for the citizen, not finished.
fn clocks_run(complaint: &Complaint) -> bool {
    !complaint.status.is_final()
        && !matches!(complaint.status, Status::PerluDilengkapi | Status::Selesai)
}

/// One running target: from `start` to the close of `deadline`, minus its pauses.
struct Period {
    clock: SlaClock,
    start: NaiveDate,
    deadline: NaiveDate,
    /// The pauses (`perlu_dilengkapi`) within it, earliest first: the working days after
    /// the first date up to the second stood still (the same count as `schedule`).
    pauses: Vec<(NaiveDate, NaiveDate)>,
}

/// Where a clock's period begins in the timeline: the receipt, or for the resolution the
/// last reopening (a fresh period with fresh points).
fn period_first_event(complaint: &Complaint, clock: SlaClock) -> usize {
    match clock {
        SlaClock::Response => 0,
        SlaClock::Resolution => complaint
            .events
            .iter()
            .rposition(|e| e.to == Status::DibukaKembali && e.changes_status())
            .unwrap_or(0),
    }
}

/// The closed pauses among the events from `first`: (day asked, day answered).
fn pauses_from(complaint: &Complaint, first: usize) -> Vec<(NaiveDate, NaiveDate)> {
    let mut pauses = Vec::new();
    let mut since: Option<NaiveDate> = None;
    for event in complaint
        .events
        .iter()
        .skip(first)
        .filter(|e| e.changes_status())
    {
        let day = calendar::wib_date(event.at_ms);
        if let Some(asked) = since.take() {
            pauses.push((asked, day));
        }
        if event.to == Status::PerluDilengkapi {
            since = Some(day);
        }
    }
    pauses
}

/// The running targets. The response clock only until the first answer (then neither its
/// points nor the progress notes matter any more).
fn periods(complaint: &Complaint) -> Vec<Period> {
    let deadlines = &complaint.deadlines;
    let mut out = Vec::new();
    if let (None, Some(deadline)) = (deadlines.responded_ms, deadlines.response_date) {
        out.push(Period {
            clock: SlaClock::Response,
            start: calendar::wib_date(complaint.received_ms),
            deadline,
            pauses: pauses_from(complaint, 0),
        });
    }
    if let Some(deadline) = deadlines.resolution_date {
        let first = period_first_event(complaint, SlaClock::Resolution);
        let start = complaint
            .events
            .get(first)
            .filter(|e| e.to == Status::DibukaKembali)
            .map_or(complaint.received_ms, |e| e.at_ms);
        out.push(Period {
            clock: SlaClock::Resolution,
            start: calendar::wib_date(start),
            deadline,
            pauses: pauses_from(complaint, first),
        });
    }
    out
}

/// The `n`th working day of a period that is not paused.
fn running_day(period: &Period, n: u32, holidays: &HolidayCalendar) -> NaiveDate {
    let mut day = calendar::add_working_days(period.start, n, holidays).value;
    // A pause that began before the day pushes it by the days it stood still; the pauses
    // are in order, so a push past the next pause is pushed again by it.
    for (asked, answered) in &period.pauses {
        if *asked < day {
            let paused = calendar::working_days_after(*asked, *answered, holidays).value;
            day = calendar::add_working_days(day, paused, holidays).value;
        }
    }
    day
}

/// The reminders and escalations of one period.
fn clock_points(period: &Period, holidays: &HolidayCalendar, out: &mut Vec<SlaPoint>) {
    let clock = period.clock;
    let deadline = period.deadline;
    let total = calendar::working_days_after(period.start, deadline, holidays).value;
    let paused = period.pauses.iter().fold(0u32, |sum, (asked, answered)| {
        sum.saturating_add(calendar::working_days_after(*asked, *answered, holidays).value)
    });
    let running = u64::from(total.saturating_sub(paused));
    // The morning of the working day by whose end `percent` of the running days have
    // passed. A target without running days has nothing to remind of; on a short one two
    // percents can fall on the same day, and only the later one is sent.
    let mut reminders: Vec<(NaiveDate, u32)> = Vec::new();
    if running > 0 {
        for percent in REMINDER_PERCENTS {
            let nth = (running * u64::from(percent)).div_ceil(100);
            let day = running_day(period, u32::try_from(nth).unwrap_or(u32::MAX), holidays);
            reminders.retain(|(other, _)| *other != day);
            reminders.push((day, percent));
        }
    }
    for (day, percent) in reminders {
        out.push(SlaPoint {
            at_ms: at(day, OPERATOR_HOUR),
            action: SlaAction::Reminder {
                clock,
                percent,
                deadline,
            },
        });
    }
    for (level, after) in ESCALATION_AFTER_WORKING_DAYS.iter().enumerate() {
        let day = calendar::add_working_days(deadline, 1 + after, holidays).value;
        out.push(SlaPoint {
            at_ms: at(day, OPERATOR_HOUR),
            action: SlaAction::Escalation {
                clock,
                level: u8::try_from(level + 1).unwrap_or(u8::MAX),
                deadline,
            },
        });
    }
}

/// Every point of the complaint, recorded or not, earliest first: the reminders and
/// escalations of the running clocks, the progress note (only its next occurrence) while the
/// first answer is late, and the automatic closing while `perlu_dilengkapi` or `selesai`
/// (then nothing else: those clocks stand still).
pub fn points(complaint: &Complaint, holidays: &HolidayCalendar) -> Vec<SlaPoint> {
    let mut out = Vec::new();
    if clocks_run(complaint) {
        let events = complaint.events.len();
        for period in periods(complaint) {
            if events < OPERATOR_POINTS_UNTIL_EVENTS {
                clock_points(&period, holidays, &mut out);
            }
            if period.clock == SlaClock::Response && events < PROGRESS_NOTES_UNTIL_EVENTS {
                let day = next_progress_day(complaint, period.deadline, holidays);
                out.push(SlaPoint {
                    at_ms: at(day, CITIZEN_HOUR),
                    action: SlaAction::ProgressNote { day },
                });
            }
        }
    }
    if let Some(at_ms) = auto_close_due_ms(complaint) {
        out.push(SlaPoint {
            at_ms,
            action: SlaAction::AutoClose,
        });
    }
    out.sort_by_key(|p| p.at_ms);
    out
}

/// The next progress-note day: the first working day after the response deadline, or the
/// working day after the last note.
fn next_progress_day(
    complaint: &Complaint,
    deadline: NaiveDate,
    holidays: &HolidayCalendar,
) -> NaiveDate {
    let first = calendar::next_working_day(deadline, holidays);
    let last_note = complaint
        .events
        .iter()
        .filter_map(|e| e.id.strip_prefix("sla.progress."))
        .filter_map(|day| NaiveDate::parse_from_str(day, "%Y-%m-%d").ok())
        .max();
    match last_note {
        Some(day) if day >= first => calendar::next_working_day(day, holidays),
        _ => first,
    }
}

/// The furthest step recorded on `clock` in its current period (0: none).
fn furthest_step(complaint: &Complaint, clock: SlaClock) -> u32 {
    complaint
        .events
        .iter()
        .skip(period_first_event(complaint, clock))
        .filter_map(|e| recorded_step(&e.id))
        .filter(|(c, _)| *c == clock)
        .map(|(_, step)| step)
        .max()
        .unwrap_or(0)
}

/// Recorded, or an operator point at or below a step already recorded in its period: a
/// reminder skipped because its escalation was due, or a reminder already sent for the
/// deadline before a pause moved it (the OPD was reminded once; the ladder goes on from
/// where it stood).
fn settled(complaint: &Complaint, action: &SlaAction) -> bool {
    complaint.has_event(&action.event_id())
        || action
            .step()
            .is_some_and(|(clock, step)| step <= furthest_step(complaint, clock))
}

/// The points still to act on, earliest first.
pub fn pending_points(complaint: &Complaint, holidays: &HolidayCalendar) -> Vec<SlaPoint> {
    points(complaint, holidays)
        .into_iter()
        .filter(|p| !settled(complaint, &p.action))
        .collect()
}

/// The earliest point still to act on: the complaint's `next_due_ms` (set by
/// `lifecycle::reschedule`). `None` once nothing more can come (final, or answered and
/// nothing else runs).
pub fn next_point_ms(complaint: &Complaint, holidays: &HolidayCalendar) -> Option<i64> {
    pending_points(complaint, holidays).first().map(|p| p.at_ms)
}

/// The day a progress note may go out at `now_ms`: a working day, 09.00 ≤ WIB time < 21.00.
fn progress_day_at(now_ms: i64, holidays: &HolidayCalendar) -> Option<NaiveDate> {
    let local = calendar::wib_datetime(now_ms);
    let hour = local.hour();
    let open = (hour, local.minute()) >= CITIZEN_HOUR && hour < CITIZEN_UNTIL_HOUR;
    (open && calendar::is_working_day(local.date(), holidays)).then_some(local.date())
}

/// What is due at `now_ms` and not yet settled, never an action whose event is recorded.
///
/// - A progress note missed while the scheduler was down is one note for today, and only
///   inside today's window (a working day, 09.00–21.00 WIB), never a catch-up burst.
/// - Reminders missed on a clock are not sent in a row: only the furthest one due, and none
///   when an escalation of that clock is due (the escalation says more). Escalation levels
///   reach different people, so every level due is returned.
pub fn due_actions(
    complaint: &Complaint,
    now_ms: i64,
    holidays: &HolidayCalendar,
) -> Vec<SlaAction> {
    let mut due: Vec<SlaAction> = Vec::new();
    for point in pending_points(complaint, holidays)
        .into_iter()
        .filter(|p| p.at_ms <= now_ms)
    {
        let action = match point.action {
            SlaAction::ProgressNote { .. } => match progress_day_at(now_ms, holidays) {
                Some(day) => SlaAction::ProgressNote { day },
                None => continue,
            },
            other => other,
        };
        if complaint.has_event(&action.event_id()) || due.contains(&action) {
            continue;
        }
        due.push(action);
    }
    let steps: Vec<(SlaClock, u32)> = due.iter().filter_map(SlaAction::step).collect();
    due.retain(|action| match action {
        SlaAction::Reminder { .. } => action.step().is_some_and(|(clock, step)| {
            !steps.iter().any(|(c, other)| *c == clock && *other > step)
        }),
        _ => true,
    });
    due
}

/// The event that records an action (internal for operator points, public for the progress
/// note), without a status change. `AutoClose` is a status change: use `timers::auto_close`
/// with `lifecycle::apply`.
pub fn record(
    complaint: &Complaint,
    action: &SlaAction,
    now_ms: i64,
    opd_name: &str,
) -> Option<ComplaintEvent> {
    let (public_note, internal_note) = match action {
        SlaAction::Reminder {
            clock, percent, deadline,
        } => (
            None,
            format!(
                "Pengingat: {percent}% waktu {} berlalu; tenggat {}.",
                clock.label(),
                calendar::format_date_id(*deadline)
            ),
        ),
        SlaAction::Escalation {
            clock, level, deadline,
        } => (
            None,
            format!(
                "Eskalasi tingkat {level} ({}): tenggat {} {} terlewati.",
                ESCALATION_ROLES
                    .get(usize::from(*level).saturating_sub(1))
                    .copied()
                    .unwrap_or("pimpinan"),
                clock.label(),
                calendar::format_date_id(*deadline)
            ),
        ),
        SlaAction::ProgressNote { .. } => (
            Some(format!(
                "Aduan Anda masih ditangani oleh {opd_name}. Mohon maaf atas keterlambatan tanggapan; kami akan mengabari Anda begitu ada perkembangan."
            )),
            "Catatan perkembangan harian dikirim ke pelapor (tanggapan terlambat).".to_string(),
        ),
        SlaAction::AutoClose => return None,
    };
    Some(ComplaintEvent {
        id: action.event_id(),
        at_ms: now_ms,
        actor: Actor::system(SCHEDULER),
        from: Some(complaint.status),
        to: complaint.status,
        public_note,
        internal_note: Some(internal_note),
        info: None,
    })
}

#[cfg(test)]
mod tests;
