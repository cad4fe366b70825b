//! The SLA points against the issue, with the real seed holiday table and a fake clock
//! (plain Unix ms). Every expected instant is written out as a WIB date and time counted by
//! hand from `infra/seed/holidays-2025-2026.json` (the comments show the count), never with
//! the calendar functions under test.
//!
//! Seed dates that matter here: Thu 24 Dec 2026 cuti bersama Natal, Fri 25 Dec 2026 Natal;
//! no holiday in November 2026; 2027 is not covered (weekdays only, the gap is reported).

use chrono::{Datelike, NaiveDate, Timelike, Weekday};

use super::*;
use crate::{
    calendar::CoverageGap,
    complaint::{
        add_info, apply, apply_recorded, auto_close, reschedule, submit,
        tests::{date, rules, wib, SEED},
        ActorKind, AddedInfo, Change, Rules, Sla, Submission, TransitionError,
    },
};

const OPD: &str = "Dinas PUPR";
const MINUTE: i64 = 60_000;

/// WIB wall-clock of an instant, for failure messages and the night checks.
fn wall(ms: i64) -> chrono::NaiveDateTime {
    chrono::DateTime::from_timestamp_millis(ms + 7 * 3600 * 1000)
        .expect("in range")
        .naive_utc()
}

fn submitted(at_ms: i64) -> Complaint {
    submit(
        Submission {
            ticket: "PS-7K3QX9".to_string(),
            citizen_key: "wa:6281234567890".to_string(),
            reporter_name: None,
            category_id: "jalan-rusak".to_string(),
            opd_id: "dpupr".to_string(),
            description: "Jalan berlubang di depan SDN 1.".to_string(),
            location: None,
            photos: Vec::new(),
            privacy: Default::default(),
            source_wamid: "wamid.SUBMIT".to_string(),
            at_ms,
        },
        &rules(),
    )
}

fn step(complaint: &Complaint, id: &str, at_ms: i64, kind: ActorKind, to: Status) -> Complaint {
    let actor = match kind {
        ActorKind::Citizen => Actor::citizen(&complaint.citizen_key),
        ActorKind::Operator => Actor::operator("op-1"),
        ActorKind::System => Actor::system(SCHEDULER),
    };
    let change = Change {
        event_id: id.to_string(),
        at_ms,
        actor,
        to,
        public_note: Some("Catatan untuk pelapor.".to_string()),
        internal_note: None,
    };
    apply(complaint, change, &rules()).unwrap_or_else(|e| panic!("{id}: {e}"))
}

/// What the scheduler does with due actions: record each (or close), in order.
fn act(complaint: &Complaint, actions: &[SlaAction], now: i64) -> Complaint {
    let mut current = complaint.clone();
    for action in actions {
        current = match action {
            SlaAction::AutoClose => {
                let change = auto_close(&current, now).expect("the closing is due");
                apply(&current, change, &rules()).expect("the scheduler may close")
            }
            other => {
                let event = record(&current, other, now, OPD).expect("an event");
                apply_recorded(&current, event, &rules()).expect("recorded")
            }
        };
    }
    current
}

fn ids(actions: &[SlaAction]) -> Vec<String> {
    let mut ids: Vec<String> = actions.iter().map(SlaAction::event_id).collect();
    ids.sort();
    ids
}

/// The recorded SLA events: (id, WIB time).
fn sla_events(complaint: &Complaint) -> Vec<(String, i64)> {
    complaint
        .events
        .iter()
        .filter(|e| e.id.starts_with("sla."))
        .map(|e| (e.id.clone(), e.at_ms))
        .collect()
}

fn reminder(clock: SlaClock, percent: u32, deadline: NaiveDate) -> SlaAction {
    SlaAction::Reminder {
        clock,
        percent,
        deadline,
    }
}

fn escalation(clock: SlaClock, level: u8, deadline: NaiveDate) -> SlaAction {
    SlaAction::Escalation {
        clock,
        level,
        deadline,
    }
}

fn progress(y: i32, m: u32, d: u32) -> SlaAction {
    SlaAction::ProgressNote { day: date(y, m, d) }
}

// ---- Christmas 2026 into an uncovered 2027 ----
//
// Received Thu 24 Dec 2026 at 19.45 (cuti bersama; the citizen may write any day).
// Working days after it: Fri 25 Natal, Sat 26, Sun 27 off; Mon 28 (1), Tue 29 (2),
// Wed 30 (3), Thu 31 (4), Fri 1 Jan 2027 (5: 2027 uncovered, so New Year counts),
// Mon 4 (6), Tue 5 (7), Wed 6 (8), Thu 7 (9), Fri 8 (10), Mon 11 (11), Tue 12 (12),
// Wed 13 (13), Thu 14 (14), Fri 15 (15), Mon 18 (16), Tue 19 (17), Wed 20 (18).
//
// Response (3): deadline Wed 30 Dec. 50 % = 1.5 → the 2nd day, Tue 29 Dec; 80 % = 2.4 → the
//   3rd, Wed 30 Dec. Escalations on the 1st, 2nd and 4th working day after Wed 30 Dec:
//   Thu 31 Dec, Fri 1 Jan, Tue 5 Jan. Progress notes from the 1st working day after the
//   deadline: Thu 31 Dec, Fri 1 Jan, Mon 4 Jan, Tue 5 Jan … at 09.00.
// Resolution (14): deadline Thu 14 Jan 2027. 50 % = 7 → Tue 5 Jan; 80 % = 11.2 → the 12th,
//   Tue 12 Jan. Escalations: Fri 15, Mon 18, Wed 20 Jan.

const RESPONSE_DUE: (i32, u32, u32) = (2026, 12, 30);
const RESOLUTION_DUE: (i32, u32, u32) = (2027, 1, 14);

fn christmas() -> Complaint {
    submitted(wib(2026, 12, 24, 19, 45))
}

fn response_due() -> NaiveDate {
    date(RESPONSE_DUE.0, RESPONSE_DUE.1, RESPONSE_DUE.2)
}

fn resolution_due() -> NaiveDate {
    date(RESOLUTION_DUE.0, RESOLUTION_DUE.1, RESOLUTION_DUE.2)
}

#[test]
fn christmas_2026_lists_every_point_at_its_working_day_and_hour() {
    use SlaClock::{Resolution, Response};
    let complaint = christmas();
    assert_eq!(complaint.deadlines.response_date, Some(response_due()));
    assert_eq!(complaint.deadlines.resolution_date, Some(resolution_due()));
    assert_eq!(
        complaint.deadlines.calendar_gap,
        Some(CoverageGap { year: 2027 })
    );
    let (r, res) = (response_due(), resolution_due());
    let expected = vec![
        (wib(2026, 12, 29, 7, 30), reminder(Response, 50, r)),
        (wib(2026, 12, 30, 7, 30), reminder(Response, 80, r)),
        (wib(2026, 12, 31, 7, 30), escalation(Response, 1, r)),
        (wib(2026, 12, 31, 9, 0), progress(2026, 12, 31)),
        (wib(2027, 1, 1, 7, 30), escalation(Response, 2, r)),
        (wib(2027, 1, 5, 7, 30), escalation(Response, 3, r)),
        (wib(2027, 1, 5, 7, 30), reminder(Resolution, 50, res)),
        (wib(2027, 1, 12, 7, 30), reminder(Resolution, 80, res)),
        (wib(2027, 1, 15, 7, 30), escalation(Resolution, 1, res)),
        (wib(2027, 1, 18, 7, 30), escalation(Resolution, 2, res)),
        (wib(2027, 1, 20, 7, 30), escalation(Resolution, 3, res)),
    ];
    let listed: Vec<(i64, SlaAction)> = points(&complaint, &SEED)
        .into_iter()
        .map(|p| (p.at_ms, p.action))
        .collect();
    assert_eq!(listed, expected);
    assert_eq!(pending_points(&complaint, &SEED), points(&complaint, &SEED));
    // The index: the first point, not the end of the response day.
    assert_eq!(complaint.next_due_ms, Some(wib(2026, 12, 29, 7, 30)));
    // Event ids carry the deadline (a moved deadline has its own points).
    assert_eq!(
        reminder(Response, 50, response_due()).event_id(),
        "sla.reminder.response.50.2026-12-30"
    );
    assert_eq!(
        escalation(Resolution, 3, resolution_due()).event_id(),
        "sla.escalation.resolution.3.2027-01-14"
    );
    assert_eq!(progress(2027, 1, 4).event_id(), "sla.progress.2027-01-04");
}

/// Walks the fake clock from point to point: at each `next_due_ms` exactly the expected
/// actions are due, nothing a minute earlier, nothing again at the same instant once they
/// are recorded (a repeated tick), and an overlapping tick that acted on the same version is
/// recognised (`AlreadyApplied`).
#[test]
fn walking_point_to_point_acts_on_each_point_once_until_the_answer_ends_the_response_clock() {
    use SlaClock::{Resolution, Response};
    let r = response_due();
    let res = resolution_due();
    // Forwarded on Mon 28 Dec: not an answer to the citizen, the response clock runs on.
    let mut complaint = step(
        &christmas(),
        "op.forward",
        wib(2026, 12, 28, 10, 0),
        ActorKind::Operator,
        Status::Diteruskan,
    );
    let before_answer: Vec<(i64, Vec<SlaAction>)> = vec![
        (wib(2026, 12, 29, 7, 30), vec![reminder(Response, 50, r)]),
        (wib(2026, 12, 30, 7, 30), vec![reminder(Response, 80, r)]),
        (wib(2026, 12, 31, 7, 30), vec![escalation(Response, 1, r)]),
        (wib(2026, 12, 31, 9, 0), vec![progress(2026, 12, 31)]),
        (wib(2027, 1, 1, 7, 30), vec![escalation(Response, 2, r)]),
        (wib(2027, 1, 1, 9, 0), vec![progress(2027, 1, 1)]),
        // Sat 2 and Sun 3 Jan: nothing.
        (wib(2027, 1, 4, 9, 0), vec![progress(2027, 1, 4)]),
        (
            wib(2027, 1, 5, 7, 30),
            vec![escalation(Response, 3, r), reminder(Resolution, 50, res)],
        ),
        (wib(2027, 1, 5, 9, 0), vec![progress(2027, 1, 5)]),
        (wib(2027, 1, 6, 9, 0), vec![progress(2027, 1, 6)]),
        (wib(2027, 1, 7, 9, 0), vec![progress(2027, 1, 7)]),
        (wib(2027, 1, 8, 9, 0), vec![progress(2027, 1, 8)]),
        (wib(2027, 1, 11, 9, 0), vec![progress(2027, 1, 11)]),
    ];
    complaint = walk(complaint, &before_answer);
    // The OPD starts work on Mon 11 Jan at 10.00: the response clock and its notes end.
    complaint = step(
        &complaint,
        "op.process",
        wib(2027, 1, 11, 10, 0),
        ActorKind::Operator,
        Status::Diproses,
    );
    assert!(pending_points(&complaint, &SEED).iter().all(|p| matches!(
        &p.action,
        SlaAction::Reminder {
            clock: Resolution,
            ..
        } | SlaAction::Escalation {
            clock: Resolution,
            ..
        }
    )));
    let after_answer: Vec<(i64, Vec<SlaAction>)> = vec![
        (wib(2027, 1, 12, 7, 30), vec![reminder(Resolution, 80, res)]),
        (
            wib(2027, 1, 15, 7, 30),
            vec![escalation(Resolution, 1, res)],
        ),
        (
            wib(2027, 1, 18, 7, 30),
            vec![escalation(Resolution, 2, res)],
        ),
        (
            wib(2027, 1, 20, 7, 30),
            vec![escalation(Resolution, 3, res)],
        ),
    ];
    complaint = walk(complaint, &after_answer);
    // The ladder is exhausted: nothing more until someone acts.
    assert_eq!(complaint.next_due_ms, None);
    assert!(due_actions(&complaint, wib(2027, 3, 1, 12, 0), &SEED).is_empty());
    // Recording never changed the status; only the progress notes are public.
    assert_eq!(complaint.status, Status::Diproses);
    for event in complaint.events.iter().filter(|e| e.id.starts_with("sla.")) {
        assert!(!event.changes_status(), "{}", event.id);
        assert_eq!(event.actor, Actor::system(SCHEDULER));
        assert_eq!(
            event.public_note.is_some(),
            event.id.starts_with("sla.progress."),
            "{}",
            event.id
        );
    }
    let note = complaint
        .events
        .iter()
        .find(|e| e.id == "sla.progress.2026-12-31")
        .and_then(|e| e.public_note.as_deref())
        .expect("a progress note");
    assert!(
        note.starts_with("Aduan Anda masih ditangani oleh Dinas PUPR."),
        "{note}"
    );
}

fn walk(mut complaint: Complaint, expected: &[(i64, Vec<SlaAction>)]) -> Complaint {
    for (at_ms, actions) in expected {
        let when = wall(*at_ms);
        assert_eq!(complaint.next_due_ms, Some(*at_ms), "next point: {when}");
        assert_eq!(
            complaint.next_due_ms,
            next_point_ms(&complaint, &SEED),
            "{when}"
        );
        assert!(
            due_actions(&complaint, at_ms - MINUTE, &SEED).is_empty(),
            "nothing a minute before {when}"
        );
        let due = due_actions(&complaint, *at_ms, &SEED);
        assert_eq!(ids(&due), ids(actions), "{when}");
        let stale = complaint.clone();
        complaint = act(&complaint, &due, *at_ms);
        // A repeated tick at the same instant finds nothing.
        assert!(due_actions(&complaint, *at_ms, &SEED).is_empty(), "{when}");
        // An overlapping tick read the same version and recorded the same events: the store
        // refuses its write (version), and on fresh data every event is already there.
        for action in &due_actions(&stale, *at_ms, &SEED) {
            let event = record(&complaint, action, at_ms + MINUTE, OPD).expect("event");
            assert_eq!(
                apply_recorded(&complaint, event, &rules()),
                Err(TransitionError::AlreadyApplied),
                "{when}"
            );
        }
    }
    complaint
}

/// A scheduler ticking every quarter of an hour from the receipt to the end of January
/// records each point once, at its instant, and nothing citizen-facing outside 09.00–21.00
/// of a working day. It reads the complaint only when its index value is due.
#[test]
fn a_scheduler_ticking_every_quarter_hour_records_each_point_at_its_time() {
    let mut complaint = christmas();
    let answer_at = wib(2027, 1, 11, 10, 0);
    let mut now = wib(2026, 12, 24, 19, 45);
    let end = wib(2027, 2, 1, 0, 0);
    let mut reads = 0;
    while now < end {
        if now == wib(2026, 12, 28, 10, 0) {
            complaint = step(
                &complaint,
                "op.forward",
                now,
                ActorKind::Operator,
                Status::Diteruskan,
            );
        }
        if now == answer_at {
            complaint = step(
                &complaint,
                "op.process",
                now,
                ActorKind::Operator,
                Status::Diproses,
            );
        }
        if complaint.next_due_ms.is_some_and(|due| due <= now) {
            reads += 1;
            let due = due_actions(&complaint, now, &SEED);
            complaint = act(&complaint, &due, now);
        }
        now += 15 * MINUTE;
    }
    let expected: Vec<(String, i64)> = [
        (
            "sla.reminder.response.50.2026-12-30",
            wib(2026, 12, 29, 7, 30),
        ),
        (
            "sla.reminder.response.80.2026-12-30",
            wib(2026, 12, 30, 7, 30),
        ),
        (
            "sla.escalation.response.1.2026-12-30",
            wib(2026, 12, 31, 7, 30),
        ),
        ("sla.progress.2026-12-31", wib(2026, 12, 31, 9, 0)),
        (
            "sla.escalation.response.2.2026-12-30",
            wib(2027, 1, 1, 7, 30),
        ),
        ("sla.progress.2027-01-01", wib(2027, 1, 1, 9, 0)),
        ("sla.progress.2027-01-04", wib(2027, 1, 4, 9, 0)),
        (
            "sla.escalation.response.3.2026-12-30",
            wib(2027, 1, 5, 7, 30),
        ),
        (
            "sla.reminder.resolution.50.2027-01-14",
            wib(2027, 1, 5, 7, 30),
        ),
        ("sla.progress.2027-01-05", wib(2027, 1, 5, 9, 0)),
        ("sla.progress.2027-01-06", wib(2027, 1, 6, 9, 0)),
        ("sla.progress.2027-01-07", wib(2027, 1, 7, 9, 0)),
        ("sla.progress.2027-01-08", wib(2027, 1, 8, 9, 0)),
        ("sla.progress.2027-01-11", wib(2027, 1, 11, 9, 0)),
        (
            "sla.reminder.resolution.80.2027-01-14",
            wib(2027, 1, 12, 7, 30),
        ),
        (
            "sla.escalation.resolution.1.2027-01-14",
            wib(2027, 1, 15, 7, 30),
        ),
        (
            "sla.escalation.resolution.2.2027-01-14",
            wib(2027, 1, 18, 7, 30),
        ),
        (
            "sla.escalation.resolution.3.2027-01-14",
            wib(2027, 1, 20, 7, 30),
        ),
    ]
    .into_iter()
    .map(|(id, at)| (id.to_string(), at))
    .collect();
    assert_eq!(sla_events(&complaint), expected);
    // Only due complaints are read: once per distinct point instant (17), never in between.
    assert_eq!(reads, 17);
    for event in &complaint.events {
        let local = wall(event.at_ms);
        if event.public_note.is_some() && event.actor.kind == ActorKind::System {
            assert!(
                (9..21).contains(&local.hour()) && is_weekday(local.date()),
                "citizen-facing at {local}"
            );
        }
    }
}

fn is_weekday(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

// ---- Downtime, late ticks, night ----

#[test]
fn a_scheduler_down_for_days_sends_one_note_for_today_and_the_escalations_not_a_burst() {
    use SlaClock::Response;
    let r = response_due();
    // Nothing ran from the receipt until Mon 4 Jan 2027 10.00 (Tue 29 Dec – Fri 1 Jan
    // missed): both reminders, escalation levels 1 and 2, and the notes of Thu 31 Dec and
    // Fri 1 Jan were missed.
    let complaint = christmas();
    let now = wib(2027, 1, 4, 10, 0);
    let due = due_actions(&complaint, now, &SEED);
    assert_eq!(
        ids(&due),
        ids(&[
            escalation(Response, 1, r),
            escalation(Response, 2, r),
            progress(2027, 1, 4),
        ])
    );
    let complaint = act(&complaint, &due, now);
    assert!(due_actions(&complaint, now, &SEED).is_empty());
    // The skipped reminders are settled, not left pending: the index moves on to Tue 5 Jan
    // 07.30 (response level 3 and the resolution's 50 % reminder).
    assert_eq!(complaint.next_due_ms, Some(wib(2027, 1, 5, 7, 30)));
    assert!(pending_points(&complaint, &SEED)
        .iter()
        .all(|p| p.at_ms >= wib(2027, 1, 5, 7, 30)));

    // Down from the receipt until Wed 30 Dec 10.00: both reminders are due, only the 80 %
    // one is sent, and the 50 % one does not come back.
    let complaint = christmas();
    let now = wib(2026, 12, 30, 10, 0);
    let due = due_actions(&complaint, now, &SEED);
    assert_eq!(due, vec![reminder(Response, 80, r)]);
    let complaint = act(&complaint, &due, now);
    assert_eq!(complaint.next_due_ms, Some(wib(2026, 12, 31, 7, 30)));
}

#[test]
fn a_missed_progress_note_waits_for_the_next_working_morning_never_the_night_or_weekend() {
    use SlaClock::Response;
    let r = response_due();
    let complaint = act(
        &christmas(),
        &[reminder(Response, 50, r), reminder(Response, 80, r)],
        wib(2026, 12, 30, 7, 30),
    );
    let complaint = act(
        &complaint,
        &[escalation(Response, 1, r)],
        wib(2026, 12, 31, 7, 30),
    );
    // Thu 31 Dec: the note is due from 09.00 …
    assert!(due_actions(&complaint, wib(2026, 12, 31, 8, 59), &SEED).is_empty());
    assert_eq!(
        due_actions(&complaint, wib(2026, 12, 31, 20, 59), &SEED),
        vec![progress(2026, 12, 31)]
    );
    // … but a scheduler that was down all day sends nothing from 21.00 on, nor at dawn.
    for (d, h, min) in [(31, 21, 0), (31, 23, 45)] {
        assert!(
            due_actions(&complaint, wib(2026, 12, d, h, min), &SEED).is_empty(),
            "{h}:{min}"
        );
    }
    for (h, min) in [(0, 0), (3, 0), (6, 0), (7, 29)] {
        assert!(
            due_actions(&complaint, wib(2027, 1, 1, h, min), &SEED).is_empty(),
            "{h}:{min}"
        );
    }
    // Fri 1 Jan 07.30 brings level 2 alone; the note comes at 09.00, for that day.
    assert_eq!(
        due_actions(&complaint, wib(2027, 1, 1, 7, 30), &SEED),
        vec![escalation(Response, 2, r)]
    );
    let complaint = act(
        &complaint,
        &[escalation(Response, 2, r)],
        wib(2027, 1, 1, 7, 30),
    );
    assert!(due_actions(&complaint, wib(2027, 1, 1, 8, 59), &SEED).is_empty());
    assert_eq!(
        due_actions(&complaint, wib(2027, 1, 1, 9, 0), &SEED),
        vec![progress(2027, 1, 1)]
    );
    // Down on Friday too: Saturday and Sunday send nothing; Monday 09.00 one note.
    for day in [2, 3] {
        for h in [9, 12, 20] {
            assert!(
                due_actions(&complaint, wib(2027, 1, day, h, 0), &SEED).is_empty(),
                "{day} Jan {h}:00"
            );
        }
    }
    let monday = wib(2027, 1, 4, 9, 0);
    assert_eq!(
        due_actions(&complaint, monday, &SEED),
        vec![progress(2027, 1, 4)]
    );
    let complaint = act(&complaint, &[progress(2027, 1, 4)], monday);
    // One a day: not again on Monday; the next one is Tuesday's (after level 3 at 07.30).
    assert!(due_actions(&complaint, wib(2027, 1, 4, 20, 0), &SEED).is_empty());
    assert_eq!(complaint.next_due_ms, Some(wib(2027, 1, 5, 7, 30)));
}

#[test]
fn citizen_facing_points_are_at_nine_on_working_days_operator_points_before_the_office() {
    // Complaints received every day of December 2026 at 20.00 (some unanswered, some
    // forwarded): every point of each, walked until nothing is left or the end of January.
    for day in 1..=31 {
        let mut complaint = submitted(wib(2026, 12, day, 20, 0));
        let mut guard = 0;
        while let Some(at_ms) = complaint.next_due_ms {
            if at_ms >= wib(2027, 2, 1, 0, 0) {
                break;
            }
            for point in pending_points(&complaint, &SEED) {
                let local = wall(point.at_ms);
                let working = is_weekday(local.date()) && !SEED.is_holiday(local.date());
                match point.action {
                    SlaAction::ProgressNote { day: note_day } => {
                        assert_eq!((local.hour(), local.minute()), (9, 0), "{local}");
                        assert_eq!(note_day, local.date());
                        assert!(working, "progress note on a day off: {local}");
                    }
                    SlaAction::Reminder { .. } | SlaAction::Escalation { .. } => {
                        assert_eq!((local.hour(), local.minute()), (7, 30), "{local}");
                        assert!(working, "operator point on a day off: {local}");
                    }
                    SlaAction::AutoClose => panic!("no auto-close while the clocks run"),
                }
            }
            let due = due_actions(&complaint, at_ms, &SEED);
            assert!(
                !due.is_empty(),
                "the index named an instant with nothing due"
            );
            complaint = act(&complaint, &due, at_ms);
            guard += 1;
            assert!(guard < 100, "runaway walk");
        }
        // Nothing citizen-facing was ever recorded at night (21.00–06.00).
        for event in complaint.events.iter().filter(|e| e.id.starts_with("sla.")) {
            let hour = wall(event.at_ms).hour();
            if event.public_note.is_some() {
                assert!((9..21).contains(&hour), "{}", event.id);
            } else {
                assert!((6..21).contains(&hour), "{}", event.id);
            }
        }
    }
}

// ---- Pauses, answers, auto-close ----
//
// November 2026 has no holiday. Received Mon 2 Nov at 09.00; working days after it:
// Tue 3 (1), Wed 4 (2), Thu 5 (3), Fri 6 (4), Mon 9 (5), Tue 10 (6), Wed 11 (7), Thu 12 (8),
// Fri 13 (9), Mon 16 (10), Tue 17 (11), Wed 18 (12), Thu 19 (13), Fri 20 (14), Mon 23 (15),
// Tue 24 (16), Wed 25 (17), Thu 26 (18), Fri 27 (19), Mon 30 (20), Tue 1 Dec (21).

fn november_in_progress() -> Complaint {
    let complaint = submitted(wib(2026, 11, 2, 9, 0));
    let complaint = step(
        &complaint,
        "op.forward",
        wib(2026, 11, 2, 10, 0),
        ActorKind::Operator,
        Status::Diteruskan,
    );
    step(
        &complaint,
        "op.process",
        wib(2026, 11, 3, 10, 0),
        ActorKind::Operator,
        Status::Diproses,
    )
}

#[test]
fn a_pause_shows_only_the_auto_close_and_resuming_does_not_repeat_a_sent_reminder() {
    use SlaClock::Resolution;
    let complaint = november_in_progress();
    // Resolution: deadline Fri 20 Nov (14th); 50 % = the 7th, Wed 11 Nov.
    assert_eq!(
        complaint.deadlines.resolution_date,
        Some(date(2026, 11, 20))
    );
    assert_eq!(complaint.next_due_ms, Some(wib(2026, 11, 11, 7, 30)));
    let complaint = act(
        &complaint,
        &due_actions(&complaint, wib(2026, 11, 11, 7, 30), &SEED),
        wib(2026, 11, 11, 7, 30),
    );
    assert!(complaint.has_event("sla.reminder.resolution.50.2026-11-20"));

    // Thu 12 Nov 10.00 the OPD asks for more. 5 working days: Fri 13, Mon 16, Tue 17,
    // Wed 18, Thu 19 → closes when Thu 19 Nov ends (Fri 20 Nov 00.00 WIB).
    let waiting = step(
        &complaint,
        "op.ask",
        wib(2026, 11, 12, 10, 0),
        ActorKind::Operator,
        Status::PerluDilengkapi,
    );
    let closes = wib(2026, 11, 20, 0, 0);
    assert_eq!(
        points(&waiting, &SEED),
        vec![SlaPoint {
            at_ms: closes,
            action: SlaAction::AutoClose
        }]
    );
    assert_eq!(waiting.next_due_ms, Some(closes));
    // Where the 80 % reminder (Wed 18 Nov) and the escalations would have been: nothing.
    for at_ms in [
        wib(2026, 11, 18, 7, 30),
        wib(2026, 11, 19, 9, 0),
        closes - 1,
    ] {
        assert!(
            due_actions(&waiting, at_ms, &SEED).is_empty(),
            "{}",
            wall(at_ms)
        );
    }

    // The citizen answers on Tue 17 Nov 14.00: Fri 13, Mon 16 and Tue 17 stood still.
    let resumed = add_info(
        &waiting,
        "wamid.ANSWER",
        wib(2026, 11, 17, 14, 0),
        Actor::citizen(&waiting.citizen_key),
        AddedInfo {
            text: Some("Ini foto lokasinya.".to_string()),
            ..AddedInfo::default()
        },
        &rules(),
    )
    .expect("the answer resumes it");
    assert_eq!(resumed.status, Status::Diproses);
    // 14 + 3 = 17th working day: Wed 25 Nov.
    let moved = date(2026, 11, 25);
    assert_eq!(resumed.deadlines.resolution_date, Some(moved));
    // 80 % = the 12th running day: Tue 3 … Thu 12 are eight (the day of the request still
    // ran), Fri 13 – Tue 17 stood still, then Wed 18 (9), Thu 19 (10), Fri 20 (11),
    // Mon 23 (12). Escalations: Thu 26, Fri 27, and the 4th after Wed 25, Tue 1 Dec. The
    // 50 % reminder of the moved deadline (Wed 11 Nov) is not sent again: it was, for the
    // deadline before the pause.
    let pending: Vec<(i64, SlaAction)> = pending_points(&resumed, &SEED)
        .into_iter()
        .map(|p| (p.at_ms, p.action))
        .collect();
    assert_eq!(
        pending,
        vec![
            (wib(2026, 11, 23, 7, 30), reminder(Resolution, 80, moved)),
            (wib(2026, 11, 26, 7, 30), escalation(Resolution, 1, moved)),
            (wib(2026, 11, 27, 7, 30), escalation(Resolution, 2, moved)),
            (wib(2026, 12, 1, 7, 30), escalation(Resolution, 3, moved)),
        ]
    );
    assert!(points(&resumed, &SEED).contains(&SlaPoint {
        at_ms: wib(2026, 11, 11, 7, 30),
        action: reminder(Resolution, 50, moved),
    }));
    assert!(due_actions(&resumed, wib(2026, 11, 17, 14, 0), &SEED).is_empty());
    assert_eq!(resumed.next_due_ms, Some(wib(2026, 11, 23, 7, 30)));
}

#[test]
fn silence_after_a_request_closes_it_exactly_when_its_point_is_due() {
    // The Christmas complaint, late and getting daily notes, is asked for more on Mon 4 Jan
    // 2027 at 10.00: 5 working days Tue 5, Wed 6, Thu 7, Fri 8, Mon 11 → closes when Mon 11
    // Jan ends (Tue 12 Jan 00.00 WIB). No note, reminder or escalation meanwhile.
    let complaint = christmas();
    let waiting = step(
        &complaint,
        "op.ask",
        wib(2027, 1, 4, 10, 0),
        ActorKind::Operator,
        Status::PerluDilengkapi,
    );
    let closes = wib(2027, 1, 12, 0, 0);
    assert_eq!(
        points(&waiting, &SEED),
        vec![SlaPoint {
            at_ms: closes,
            action: SlaAction::AutoClose
        }]
    );
    assert_eq!(waiting.next_due_ms, Some(closes));
    for at_ms in [wib(2027, 1, 5, 9, 0), wib(2027, 1, 11, 23, 59), closes - 1] {
        assert!(
            due_actions(&waiting, at_ms, &SEED).is_empty(),
            "{}",
            wall(at_ms)
        );
        assert_eq!(auto_close(&waiting, at_ms), None, "{}", wall(at_ms));
    }
    // The closing and its point agree to the millisecond.
    assert_eq!(
        due_actions(&waiting, closes, &SEED),
        vec![SlaAction::AutoClose]
    );
    let change = auto_close(&waiting, closes).expect("due");
    assert_eq!(change.to, Status::Ditutup);
    assert_eq!(change.event_id, format!("auto-close.PS-7K3QX9.{closes}"));
    let closed = act(&waiting, &[SlaAction::AutoClose], closes);
    assert_eq!(closed.status, Status::Ditutup);
    assert_eq!(closed.next_due_ms, None);
    assert!(points(&closed, &SEED).is_empty());
    assert!(due_actions(&closed, closes + 60 * MINUTE, &SEED).is_empty());
    // A late, overlapping tick computes the same change and is recognised.
    let again = auto_close(&waiting, closes + 5 * MINUTE).expect("due on the old version");
    assert_eq!(
        apply(&closed, again, &rules()),
        Err(TransitionError::AlreadyApplied)
    );
}

#[test]
fn selesai_shows_only_the_auto_close_ten_working_days_later_and_a_reopening_starts_afresh() {
    use SlaClock::Resolution;
    let complaint = november_in_progress();
    let complaint = act(
        &complaint,
        &[reminder(Resolution, 50, date(2026, 11, 20))],
        wib(2026, 11, 11, 7, 30),
    );
    // Finished on Thu 12 Nov 10.00: 10 working days Fri 13, Mon 16 … Fri 20, Mon 23 …
    // Thu 26 → closes when Thu 26 Nov ends (Fri 27 Nov 00.00 WIB).
    let done = step(
        &complaint,
        "op.done",
        wib(2026, 11, 12, 10, 0),
        ActorKind::Operator,
        Status::Selesai,
    );
    let closes = wib(2026, 11, 27, 0, 0);
    assert_eq!(
        points(&done, &SEED),
        vec![SlaPoint {
            at_ms: closes,
            action: SlaAction::AutoClose
        }]
    );
    assert_eq!(done.next_due_ms, Some(closes));
    assert!(due_actions(&done, closes - 1, &SEED).is_empty());
    assert_eq!(
        due_actions(&done, closes, &SEED),
        vec![SlaAction::AutoClose]
    );
    let closed = act(&done, &[SlaAction::AutoClose], closes);
    assert_eq!(closed.status, Status::Ditutup);
    assert_eq!(closed.next_due_ms, None);

    // "Belum selesai" on Fri 13 Nov 09.00 instead: a fresh resolution period of 14 working
    // days from it: Mon 16 (1) … Fri 20 (5), Mon 23 (6), Tue 24 (7), Wed 25 (8), Thu 26 (9),
    // Fri 27 (10), Mon 30 (11), Tue 1 Dec (12), Wed 2 (13), Thu 3 Dec (14). The 50 % reminder
    // of the earlier period does not settle this period's.
    let reopened = step(
        &done,
        "citizen.belum",
        wib(2026, 11, 13, 9, 0),
        ActorKind::Citizen,
        Status::DibukaKembali,
    );
    let deadline = date(2026, 12, 3);
    assert_eq!(reopened.deadlines.resolution_date, Some(deadline));
    let pending: Vec<(i64, SlaAction)> = pending_points(&reopened, &SEED)
        .into_iter()
        .map(|p| (p.at_ms, p.action))
        .collect();
    assert_eq!(
        pending,
        vec![
            (wib(2026, 11, 24, 7, 30), reminder(Resolution, 50, deadline)),
            (wib(2026, 12, 1, 7, 30), reminder(Resolution, 80, deadline)),
            // The 1st, 2nd and 4th working day after Thu 3 Dec: Fri 4, Mon 7, Wed 9 Dec.
            (wib(2026, 12, 4, 7, 30), escalation(Resolution, 1, deadline)),
            (wib(2026, 12, 7, 7, 30), escalation(Resolution, 2, deadline)),
            (wib(2026, 12, 9, 7, 30), escalation(Resolution, 3, deadline)),
        ]
    );
    assert_eq!(reopened.next_due_ms, Some(wib(2026, 11, 24, 7, 30)));
}

#[test]
fn a_category_change_recomputes_the_points_without_repeating_a_sent_reminder() {
    use SlaClock::{Resolution, Response};
    // Received Mon 2 Nov 09.00 with 3/14: response due Thu 5 Nov, 50 % on Wed 4 Nov (2nd).
    let complaint = submitted(wib(2026, 11, 2, 9, 0));
    assert_eq!(complaint.next_due_ms, Some(wib(2026, 11, 4, 7, 30)));
    let complaint = act(
        &complaint,
        &due_actions(&complaint, wib(2026, 11, 4, 7, 30), &SEED),
        wib(2026, 11, 4, 7, 30),
    );
    assert!(complaint.has_event("sla.reminder.response.50.2026-11-05"));
    // Re-categorised to 5/10: response due Mon 9 Nov (5th), resolution Mon 16 Nov (10th).
    // 50 % of 5 = the 3rd (Thu 5 Nov) is settled by the reminder already sent; 80 % = the
    // 4th, Fri 6 Nov; resolution 50 % = the 5th, Mon 9 Nov; 80 % = the 8th, Thu 12 Nov.
    let mut moved = complaint.clone();
    let other = Rules {
        sla: Sla {
            response_days: 5,
            resolution_days: 10,
        },
        holidays: &SEED,
    };
    reschedule(&mut moved, &other);
    let response = date(2026, 11, 9);
    let resolution = date(2026, 11, 16);
    assert_eq!(moved.deadlines.response_date, Some(response));
    assert_eq!(moved.deadlines.resolution_date, Some(resolution));
    let pending: Vec<(i64, SlaAction)> = pending_points(&moved, &SEED)
        .into_iter()
        .take(4)
        .map(|p| (p.at_ms, p.action))
        .collect();
    assert_eq!(
        pending,
        vec![
            (wib(2026, 11, 6, 7, 30), reminder(Response, 80, response)),
            (
                wib(2026, 11, 9, 7, 30),
                reminder(Resolution, 50, resolution)
            ),
            (wib(2026, 11, 10, 7, 30), escalation(Response, 1, response)),
            (wib(2026, 11, 10, 9, 0), progress(2026, 11, 10)),
        ]
    );
    assert_eq!(moved.next_due_ms, Some(wib(2026, 11, 6, 7, 30)));
}

#[test]
fn short_targets_send_one_reminder_a_day_and_none_without_working_days() {
    use SlaClock::Response;
    // 1 working day (received Mon 2 Nov, due Tue 3 Nov): 50 % and 80 % both fall on Tue 3;
    // only the 80 % one is kept.
    let one = Rules {
        sla: Sla {
            response_days: 1,
            resolution_days: 14,
        },
        holidays: &SEED,
    };
    let mut complaint = submitted(wib(2026, 11, 2, 9, 0));
    reschedule(&mut complaint, &one);
    let due = date(2026, 11, 3);
    let response: Vec<(i64, SlaAction)> = points(&complaint, &SEED)
        .into_iter()
        .filter(|p| {
            matches!(
                p.action,
                SlaAction::Reminder {
                    clock: Response,
                    ..
                }
            )
        })
        .map(|p| (p.at_ms, p.action))
        .collect();
    assert_eq!(
        response,
        vec![(wib(2026, 11, 3, 7, 30), reminder(Response, 80, due))]
    );
    // 0 working days (due the day of receipt): no reminder; the ladder still starts the
    // next working morning (Tue 3 Nov).
    let zero = Rules {
        sla: Sla {
            response_days: 0,
            resolution_days: 14,
        },
        holidays: &SEED,
    };
    reschedule(&mut complaint, &zero);
    let today = date(2026, 11, 2);
    assert_eq!(complaint.deadlines.response_date, Some(today));
    let response: Vec<(i64, SlaAction)> = points(&complaint, &SEED)
        .into_iter()
        .filter(|p| {
            matches!(
                p.action,
                SlaAction::Reminder {
                    clock: Response,
                    ..
                } | SlaAction::Escalation {
                    clock: Response,
                    ..
                }
            )
        })
        .map(|p| (p.at_ms, p.action))
        .collect();
    assert_eq!(
        response,
        vec![
            (wib(2026, 11, 3, 7, 30), escalation(Response, 1, today)),
            (wib(2026, 11, 4, 7, 30), escalation(Response, 2, today)),
            (wib(2026, 11, 6, 7, 30), escalation(Response, 3, today)),
        ]
    );
}

#[test]
fn recorded_events_are_refused_when_they_would_change_the_status_or_the_complaint_is_final() {
    let complaint = christmas();
    let action = reminder(SlaClock::Response, 50, response_due());
    let at = wib(2026, 12, 29, 7, 30);
    let event = record(&complaint, &action, at, OPD).expect("event");
    assert_eq!(event.from, Some(Status::Diterima));
    assert_eq!(event.to, Status::Diterima);
    assert_eq!(record(&complaint, &SlaAction::AutoClose, at, OPD), None);

    let mut changing = event.clone();
    changing.to = Status::Ditutup;
    assert!(matches!(
        apply_recorded(&complaint, changing, &rules()),
        Err(TransitionError::NotAllowed { .. })
    ));
    let withdrawn = step(
        &complaint,
        "citizen.withdraw",
        wib(2026, 12, 28, 8, 0),
        ActorKind::Citizen,
        Status::Dicabut,
    );
    assert_eq!(withdrawn.next_due_ms, None);
    assert!(points(&withdrawn, &SEED).is_empty());
    let late = record(&withdrawn, &action, at, OPD).expect("event");
    assert!(matches!(
        apply_recorded(&withdrawn, late, &rules()),
        Err(TransitionError::NotAllowed { .. })
    ));
    let recorded = apply_recorded(&complaint, event.clone(), &rules()).expect("recorded");
    assert_eq!(recorded.updated_ms, at);
    assert_eq!(recorded.events.len(), complaint.events.len() + 1);
    assert_eq!(
        apply_recorded(&recorded, event, &rules()),
        Err(TransitionError::AlreadyApplied)
    );
}

#[test]
fn progress_notes_stop_before_the_timeline_fills_up() {
    // A complaint late for months: its daily notes stop at PROGRESS_NOTES_UNTIL_EVENTS
    // events, so an operator can still answer it.
    let mut complaint = christmas();
    let mut now = wib(2026, 12, 29, 7, 30);
    let mut guard = 0;
    while let Some(at_ms) = complaint.next_due_ms {
        now = now.max(at_ms);
        let due = due_actions(&complaint, now, &SEED);
        assert!(!due.is_empty(), "due at {}", wall(now));
        complaint = act(&complaint, &due, now);
        guard += 1;
        assert!(guard < 1000, "runaway");
    }
    assert_eq!(complaint.events.len(), PROGRESS_NOTES_UNTIL_EVENTS);
    assert_eq!(complaint.status, Status::Diterima);
    assert!(complaint.events.len() < MAX_EVENTS);
    let answered = step(
        &complaint,
        "op.process",
        now + MINUTE,
        ActorKind::Operator,
        Status::Ditolak,
    );
    assert_eq!(answered.status, Status::Ditolak);
}

#[test]
fn reminders_and_escalations_stop_when_the_timeline_is_nearly_full() {
    let mut complaint = christmas();
    let filler = complaint.events[0].clone();
    while complaint.events.len() < OPERATOR_POINTS_UNTIL_EVENTS - 1 {
        let mut event = filler.clone();
        event.id = format!("filler.{}", complaint.events.len());
        event.from = Some(Status::Diterima);
        complaint.events.push(event);
    }
    // Room for operator points, none for progress notes.
    let listed = points(&complaint, &SEED);
    assert_eq!(listed.len(), 10);
    assert!(listed
        .iter()
        .all(|p| !matches!(p.action, SlaAction::ProgressNote { .. })));
    complaint.events.push(filler);
    assert!(points(&complaint, &SEED).is_empty());
    assert_eq!(next_point_ms(&complaint, &SEED), None);
}
