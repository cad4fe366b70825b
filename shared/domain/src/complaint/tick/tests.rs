//! One tick's decision per case: nothing due, a reminder, an escalation with the citizen's
//! progress note, an automatic closing, and a missed progress note that only moves the
//! index. Dates are those counted by hand in `../sla/tests.rs` (Christmas 2026) and
//! `../timers.rs` (November 2026).

use super::*;
use crate::{
    complaint::{
        sla::SlaClock,
        submit,
        tests::{date, rules, wib, SEED},
        timers, Actor, Change, Status, Submission,
    },
    content::{ContentBundle, Menus},
};

const OPD_ID: &str = "dpupr-pkp";

/// The seed's categories, OPDs, menus and holidays (`jalan-rusak`: 3 working days to
/// answer, 14 to resolve, like `complaint::tests::rules`).
fn content() -> ContentBundle {
    fn parse<T: serde::de::DeserializeOwned>(name: &str, json: &str) -> T {
        serde_json::from_str(json).unwrap_or_else(|error| panic!("{name}: {error}"))
    }
    let menus: Menus = parse(
        "menus",
        include_str!("../../../../../infra/seed/menus.json"),
    );
    ContentBundle {
        faqs: Vec::new(),
        services: Vec::new(),
        categories: parse(
            "categories",
            include_str!("../../../../../infra/seed/complaint-categories.json"),
        ),
        opds: parse("opds", include_str!("../../../../../infra/seed/opds.json")),
        topics: Vec::new(),
        holidays: SEED.clone(),
        menus,
    }
}

fn submitted(at_ms: i64) -> Complaint {
    submit(
        Submission {
            ticket: "PS-7K3QX9".to_string(),
            citizen_key: "wa:6281234567890".to_string(),
            reporter_name: None,
            category_id: "jalan-rusak".to_string(),
            opd_id: OPD_ID.to_string(),
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

fn operator(complaint: &Complaint, id: &str, at_ms: i64, to: Status) -> Complaint {
    let change = Change {
        event_id: id.to_string(),
        at_ms,
        actor: Actor::operator("op-1"),
        to,
        public_note: Some("Mohon kirim foto lokasi.".to_string()),
        internal_note: None,
    };
    apply(complaint, change, &rules()).unwrap_or_else(|e| panic!("{id}: {e}"))
}

/// Received Thu 24 Dec 2026 evening, forwarded Mon 28 Dec (not an answer): the response
/// clock ends Wed 30 Dec; reminders Tue 29 and Wed 30, escalation 1 Thu 31 Dec at 07.30,
/// progress notes from Thu 31 Dec at 09.00, escalation 2 Fri 1 Jan 2027 at 07.30.
fn forwarded() -> Complaint {
    operator(
        &submitted(wib(2026, 12, 24, 19, 45)),
        "op.forward",
        wib(2026, 12, 28, 10, 0),
        Status::Diteruskan,
    )
}

fn written(decision: &TickDecision) -> &Complaint {
    decision
        .write
        .as_ref()
        .unwrap_or_else(|| panic!("a write: {decision:?}"))
}

#[test]
fn nothing_due_writes_nothing_and_keeps_the_index() {
    let complaint = forwarded();
    assert_eq!(complaint.next_due_ms, Some(wib(2026, 12, 29, 7, 30)));
    let decision = decide(&complaint, wib(2026, 12, 29, 7, 29), &content());
    assert_eq!(
        decision,
        TickDecision {
            write: None,
            citizen_events: Vec::new(),
            operator_points: Vec::new(),
            refused: Vec::new(),
            next_due_ms: complaint.next_due_ms,
        }
    );
}

#[test]
fn a_reminder_is_recorded_and_becomes_one_operator_notice() {
    let content = content();
    let complaint = forwarded();
    let now = wib(2026, 12, 29, 7, 31);
    let decision = decide(&complaint, now, &content);
    let action = SlaAction::Reminder {
        clock: SlaClock::Response,
        percent: 50,
        deadline: date(2026, 12, 30),
    };
    let updated = written(&decision);
    assert_eq!(decision.actions(), 1);
    assert!(decision.citizen_events.is_empty());
    assert!(decision.refused.is_empty());
    assert_eq!(
        decision.operator_points,
        vec![OperatorPoint {
            notice: notify::operator_sla_notice(updated, &action, &content),
            event_id: "sla.reminder.response.50.2026-12-30".to_string(),
            action,
        }]
    );
    assert!(updated.has_event("sla.reminder.response.50.2026-12-30"));
    assert_eq!(updated.status, Status::Diteruskan);
    assert_eq!(decision.next_due_ms, Some(wib(2026, 12, 30, 7, 30)));
    assert_eq!(updated.next_due_ms, decision.next_due_ms);
    // A second tick at the same instant (overlap, retry) finds nothing more to do.
    let again = decide(updated, now, &content);
    assert_eq!(again.write, None);
    assert_eq!(again.actions(), 0);
}

#[test]
fn an_escalation_replaces_the_missed_reminders_and_the_late_answer_tells_the_citizen() {
    let content = content();
    let decision = decide(&forwarded(), wib(2026, 12, 31, 9, 30), &content);
    let escalation = SlaAction::Escalation {
        clock: SlaClock::Response,
        level: 1,
        deadline: date(2026, 12, 30),
    };
    assert_eq!(decision.actions(), 2);
    assert_eq!(
        decision
            .operator_points
            .iter()
            .map(|p| (&p.action, p.event_id.as_str()))
            .collect::<Vec<_>>(),
        vec![(&escalation, "sla.escalation.response.1.2026-12-30")]
    );
    assert_eq!(decision.citizen_events, vec!["sla.progress.2026-12-31"]);
    let updated = written(&decision);
    assert!(!updated.has_event("sla.reminder.response.50.2026-12-30"));
    assert!(!updated.has_event("sla.reminder.response.80.2026-12-30"));
    // Next: escalation 2 on Fri 1 Jan 2027 at 07.30.
    assert_eq!(decision.next_due_ms, Some(wib(2027, 1, 1, 7, 30)));
}

#[test]
fn an_unanswered_request_closes_and_the_citizen_is_told() {
    // Received Mon 2 Nov 2026, information requested Tue 3 Nov: five working days run out
    // when Tue 10 Nov ends (see `timers`).
    let waiting = operator(
        &submitted(wib(2026, 11, 2, 9, 0)),
        "op.ask",
        wib(2026, 11, 3, 10, 0),
        Status::PerluDilengkapi,
    );
    let due = wib(2026, 11, 11, 0, 0);
    assert_eq!(waiting.next_due_ms, Some(due));
    let decision = decide(&waiting, due + 60_000, &content());
    let closed = written(&decision);
    assert_eq!(closed.status, Status::Ditutup);
    assert_eq!(
        closed.events.last().and_then(|e| e.public_note.as_deref()),
        Some(timers::incomplete_note().as_str())
    );
    assert_eq!(
        decision.citizen_events,
        vec![format!("auto-close.PS-7K3QX9.{due}")]
    );
    assert!(decision.operator_points.is_empty());
    assert_eq!(decision.actions(), 1);
    assert_eq!(decision.next_due_ms, None);
}

#[test]
fn a_progress_note_missed_at_night_only_moves_the_index() {
    let content = content();
    // Escalation 1 recorded on Thu 31 Dec at 08.00; the progress note (09.00) is next.
    let morning = decide(&forwarded(), wib(2026, 12, 31, 8, 0), &content);
    let escalated = written(&morning).clone();
    assert_eq!(escalated.next_due_ms, Some(wib(2026, 12, 31, 9, 0)));
    // The scheduler comes back at 22.00: too late for today's note, nothing is recorded,
    // and the index moves to the next point (escalation 2, Fri 1 Jan at 07.30).
    let night = decide(&escalated, wib(2026, 12, 31, 22, 0), &content);
    assert_eq!(night.actions(), 0);
    assert!(night.citizen_events.is_empty() && night.operator_points.is_empty());
    let moved = written(&night);
    assert_eq!(moved.events, escalated.events);
    assert_eq!(night.next_due_ms, Some(wib(2027, 1, 1, 7, 30)));
    assert_eq!(moved.next_due_ms, night.next_due_ms);
}
