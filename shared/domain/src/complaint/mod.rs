//! Complaints (aduan): the record and its timeline, the one transition table, ticket ids and
//! the working-day clocks. Pure: the dialog builds complaints with these functions, the
//! worker and the operator API store them through `ports::ComplaintStore`.
//!
//! The modules form layers; each uses only those above it in this list, never one below:
//!
//! 1. `model`, `limits`, `ticket`: the record, how far it may grow, its id.
//! 2. `schedule`: the deadlines, recomputed from the events.
//! 3. `sla`: the SLA points on those deadlines (reminders, escalations, progress notes, the
//!    closing instant) and the events that record them.
//! 4. `lifecycle`: the transition table and every change, which recomputes the clocks
//!    (`reschedule`: deadlines, then the next SLA point).
//! 5. `timers` (automatic closings), `rating` (the citizen's answer to `selesai`),
//!    `duplicates`: changes built on `lifecycle`.
//! 6. `tick`: what one scheduler tick does for one complaint.

pub mod duplicates;
pub mod lifecycle;
pub mod limits;
pub mod model;
pub mod notify;
pub mod rating;
pub mod schedule;
pub mod sla;
pub mod tick;
pub mod ticket;
pub mod timers;
pub mod triage;

#[cfg(test)]
mod tests;

pub use lifecycle::{
    add_info, apply, apply_recorded, can_withdraw, is_allowed, next_states, reschedule,
    resume_state, Change, Rules, TransitionError, TRANSITIONS,
};
pub use model::{
    Actor, ActorKind, AddedInfo, Complaint, ComplaintEvent, ComplaintLocation, Deadlines, Photo,
    Privacy, Rating, Status,
};
pub use schedule::{schedule, Sla, CLOSE_AFTER_WORKING_DAYS, COMPLETE_WITHIN_WORKING_DAYS};
pub use ticket::{find_ticket, ticket_for};
pub use timers::auto_close;

/// What the citizen submitted.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub ticket: String,
    pub citizen_key: String,
    pub reporter_name: Option<String>,
    pub category_id: String,
    pub opd_id: String,
    pub description: String,
    pub location: Option<ComplaintLocation>,
    pub photos: Vec<Photo>,
    pub privacy: Privacy,
    pub source_wamid: String,
    pub at_ms: i64,
}

/// A new complaint in `diterima`, with its creation event and clocks.
pub fn submit(submission: Submission, rules: &Rules) -> Complaint {
    let mut complaint = Complaint {
        ticket: submission.ticket,
        citizen_key: submission.citizen_key.clone(),
        reporter_name: submission.reporter_name,
        category_id: submission.category_id,
        opd_id: submission.opd_id,
        description: submission.description,
        location: submission.location,
        photos: submission.photos,
        privacy: submission.privacy,
        status: Status::Diterima,
        received_ms: submission.at_ms,
        deadlines: Deadlines::default(),
        next_due_ms: None,
        source_wamid: submission.source_wamid.clone(),
        rating: None,
        followers: Vec::new(),
        duplicate_of: None,
        events: vec![ComplaintEvent {
            id: format!("submit.{}", submission.source_wamid),
            at_ms: submission.at_ms,
            actor: Actor::citizen(&submission.citizen_key),
            from: None,
            to: Status::Diterima,
            public_note: Some("Aduan diterima PROLINK SAKTI.".to_string()),
            internal_note: None,
            info: None,
        }],
        version: 0,
        updated_ms: submission.at_ms,
    };
    reschedule(&mut complaint, rules);
    complaint
}
