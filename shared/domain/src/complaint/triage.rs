//! Operator changes that keep the status: moving a complaint to another category or OPD
//! (triage) and adding a note. Both append an event with `from == to`, so the timeline
//! shows who did it and when, and both recompute the clocks (a new category brings its own
//! targets).

use super::{
    lifecycle::{reschedule, Rules, TransitionError, MAX_EVENTS, NOTE_MAX_CHARS},
    model::{Actor, Complaint, ComplaintEvent},
};

/// A triage decision: the new category and/or OPD (absent: unchanged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reassignment {
    /// Derived from the operator's request, so a retried request is recognised.
    pub event_id: String,
    pub at_ms: i64,
    pub actor: Actor,
    pub category_id: Option<String>,
    pub opd_id: Option<String>,
}

/// Moves an open complaint to another category and/or OPD. `rules` must be those of the
/// category the complaint ends up in (`Rules::for_category` of the new one): the deadlines
/// are recomputed from the receipt with its targets. `AlreadyApplied` when the cause was
/// applied before or nothing would change.
pub fn reassign(
    complaint: &Complaint,
    change: Reassignment,
    rules: &Rules,
) -> Result<Complaint, TransitionError> {
    if complaint.has_event(&change.event_id) {
        return Err(TransitionError::AlreadyApplied);
    }
    let status = complaint.status;
    if status.is_final() {
        return Err(TransitionError::NotAllowed {
            from: status,
            to: status,
            actor: change.actor.kind,
        });
    }
    if complaint.events.len() >= MAX_EVENTS {
        return Err(TransitionError::TimelineFull);
    }
    let category = change.category_id.filter(|c| *c != complaint.category_id);
    let opd = change.opd_id.filter(|o| *o != complaint.opd_id);
    if category.is_none() && opd.is_none() {
        return Err(TransitionError::AlreadyApplied);
    }
    let mut next = complaint.clone();
    let mut parts = Vec::new();
    if let Some(category) = category {
        parts.push(format!("kategori {} → {category}", complaint.category_id));
        next.category_id = category;
    }
    if let Some(opd) = opd {
        parts.push(format!("OPD {} → {opd}", complaint.opd_id));
        next.opd_id = opd;
    }
    next.updated_ms = change.at_ms;
    next.events.push(ComplaintEvent {
        id: change.event_id,
        at_ms: change.at_ms,
        actor: change.actor,
        from: Some(status),
        to: status,
        public_note: None,
        internal_note: Some(format!("Dialihkan: {}.", parts.join(", "))),
        info: None,
    });
    reschedule(&mut next, rules);
    Ok(next)
}

/// An operator's note without a status change: `public_note` is for the citizen (and is
/// sent to them), `internal_note` for operators only. A closed complaint takes internal
/// notes only: the citizen is not written to about a case that is over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub event_id: String,
    pub at_ms: i64,
    pub actor: Actor,
    pub public_note: Option<String>,
    pub internal_note: Option<String>,
}

/// Why a note cannot be added, besides the lifecycle reasons.
pub fn add_note(
    complaint: &Complaint,
    note: Note,
    rules: &Rules,
) -> Result<Complaint, TransitionError> {
    if complaint.has_event(&note.event_id) {
        return Err(TransitionError::AlreadyApplied);
    }
    if complaint.events.len() >= MAX_EVENTS {
        return Err(TransitionError::TimelineFull);
    }
    let public_note = clean(note.public_note)?;
    let internal_note = clean(note.internal_note)?;
    let status = complaint.status;
    if public_note.is_none() && internal_note.is_none() {
        return Err(TransitionError::EmptyComment);
    }
    if public_note.is_some() && status.is_final() {
        return Err(TransitionError::NotAllowed {
            from: status,
            to: status,
            actor: note.actor.kind,
        });
    }
    let mut next = complaint.clone();
    next.updated_ms = note.at_ms;
    next.events.push(ComplaintEvent {
        id: note.event_id,
        at_ms: note.at_ms,
        actor: note.actor,
        from: Some(status),
        to: status,
        public_note,
        internal_note,
        info: None,
    });
    reschedule(&mut next, rules);
    Ok(next)
}

fn clean(note: Option<String>) -> Result<Option<String>, TransitionError> {
    let Some(note) = note else { return Ok(None) };
    let trimmed = note.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().count() > NOTE_MAX_CHARS {
        return Err(TransitionError::NoteTooLong);
    }
    Ok(Some(trimmed.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::complaint::{
        model::{Privacy, Status},
        schedule::Sla,
        submit, Submission,
    };
    use crate::content::HolidayCalendar;

    const AT: i64 = 1_767_225_600_000; // 2026-01-01 07:00 WIB

    fn empty_calendar() -> HolidayCalendar {
        HolidayCalendar {
            description: String::new(),
            counts: Default::default(),
            sources: Default::default(),
            status_legend: Default::default(),
            verification_note: String::new(),
            entries: Vec::new(),
        }
    }

    fn complaint(holidays: &HolidayCalendar) -> Complaint {
        submit(
            Submission {
                ticket: "PS-7K3QX9".into(),
                citizen_key: "6281200000001".into(),
                reporter_name: None,
                category_id: "jalan".into(),
                opd_id: "dpupr".into(),
                description: "Jalan berlubang".into(),
                location: None,
                photos: vec![],
                privacy: Privacy::Biasa,
                source_wamid: "wamid.1".into(),
                at_ms: AT,
            },
            &Rules {
                sla: Sla {
                    response_days: 5,
                    resolution_days: 14,
                },
                holidays,
            },
        )
    }

    #[test]
    fn reassigning_moves_category_and_opd_records_it_and_recomputes_deadlines() {
        let holidays = empty_calendar();
        let before = complaint(&holidays);
        let faster = Rules {
            sla: Sla {
                response_days: 1,
                resolution_days: 2,
            },
            holidays: &holidays,
        };
        let change = Reassignment {
            event_id: "api.1".into(),
            at_ms: AT + 1,
            actor: Actor::operator("ani"),
            category_id: Some("lampu".into()),
            opd_id: Some("dishub".into()),
        };
        let after = reassign(&before, change.clone(), &faster).expect("reassigned");
        assert_eq!(after.category_id, "lampu");
        assert_eq!(after.opd_id, "dishub");
        assert_eq!(after.status, before.status);
        let event = after.events.last().expect("event");
        assert!(!event.changes_status());
        assert!(event
            .internal_note
            .as_deref()
            .unwrap_or("")
            .contains("dishub"));
        assert!(after.deadlines.resolution_date < before.deadlines.resolution_date);
        assert_eq!(
            reassign(&after, change, &faster),
            Err(TransitionError::AlreadyApplied)
        );
    }

    #[test]
    fn nothing_to_change_or_a_final_complaint_is_refused() {
        let holidays = empty_calendar();
        let rules = Rules {
            sla: Sla::FALLBACK,
            holidays: &holidays,
        };
        let before = complaint(&holidays);
        let same = Reassignment {
            event_id: "api.2".into(),
            at_ms: AT,
            actor: Actor::operator("ani"),
            category_id: Some("jalan".into()),
            opd_id: None,
        };
        assert_eq!(
            reassign(&before, same.clone(), &rules),
            Err(TransitionError::AlreadyApplied)
        );
        let mut closed = before.clone();
        closed.status = Status::Ditutup;
        let moved = Reassignment {
            opd_id: Some("dishub".into()),
            ..same
        };
        assert!(matches!(
            reassign(&closed, moved, &rules),
            Err(TransitionError::NotAllowed { .. })
        ));
    }

    #[test]
    fn notes_need_text_and_closed_complaints_take_internal_notes_only() {
        let holidays = empty_calendar();
        let rules = Rules {
            sla: Sla::FALLBACK,
            holidays: &holidays,
        };
        let open = complaint(&holidays);
        let note = |public: Option<&str>, internal: Option<&str>| Note {
            event_id: "api.n".into(),
            at_ms: AT,
            actor: Actor::operator("ani"),
            public_note: public.map(str::to_string),
            internal_note: internal.map(str::to_string),
        };
        assert_eq!(
            add_note(&open, note(Some("  "), None), &rules),
            Err(TransitionError::EmptyComment)
        );
        let noted =
            add_note(&open, note(Some(" Petugas meninjau. "), None), &rules).expect("noted");
        let event = noted.events.last().expect("event");
        assert_eq!(event.public_note.as_deref(), Some("Petugas meninjau."));
        assert_eq!(noted.status, open.status);
        let mut closed = open.clone();
        closed.status = Status::Ditutup;
        assert!(add_note(&closed, note(Some("x"), None), &rules).is_err());
        assert!(add_note(&closed, note(None, Some("arsip")), &rules).is_ok());
        let long = "x".repeat(NOTE_MAX_CHARS + 1);
        assert_eq!(
            add_note(&open, note(None, Some(&long)), &rules),
            Err(TransitionError::NoteTooLong)
        );
    }
}
