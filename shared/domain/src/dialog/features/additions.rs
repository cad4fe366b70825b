//! Additions to a ticket: while a complaint of the citizen waits in `perlu_dilengkapi`, or
//! for a few minutes after they answered it or reopened it (the rest of a burst), what they
//! send is added to it, and a photo that could not be copied may be sent again.

use crate::complaint::{self, Actor, AddedInfo, Complaint, Status, TransitionError};
use crate::dialog::{
    complaint_texts as ct,
    session::AttachWindow,
    turn::{ComplaintOp, TurnBuilder},
};

/// The ticket this message adds to, if any: one answering `perlu_dilengkapi`, or the one
/// the citizen answered minutes ago (the rest of a burst).
pub(in crate::dialog) fn target(t: &TurnBuilder) -> Option<Complaint> {
    let now = t.env.now_ms;
    let key = &t.turn.profile.key;
    if let Some(window) = t.turn.session.attach.as_ref().filter(|w| now < w.until_ms) {
        if let Some(found) = t
            .own_complaint(&window.ticket)
            .filter(|c| c.status.is_open())
        {
            return Some(found.clone());
        }
    }
    t.env
        .complaints
        .iter()
        .filter(|c| &c.citizen_key == key && c.status == Status::PerluDilengkapi)
        .max_by_key(|c| c.updated_ms)
        .cloned()
}

/// The citizen's open complaint whose photo could not be copied (they were asked to send it
/// again): a photo sent now belongs to it.
pub(in crate::dialog) fn resend_target(t: &TurnBuilder) -> Option<Complaint> {
    let key = &t.turn.profile.key;
    t.env
        .complaints
        .iter()
        .filter(|c| &c.citizen_key == key && c.status.is_open())
        .filter(|c| c.photos.iter().any(|p| p.fetch_error.is_some()))
        .max_by_key(|c| c.updated_ms)
        .cloned()
}

/// Adds the message to `target` and says so.
pub(in crate::dialog) fn attach(t: &mut TurnBuilder, target: &Complaint, info: AddedInfo) {
    let resumed = target.status == Status::PerluDilengkapi;
    let rules = t.rules_for(&target.category_id);
    let result = complaint::add_info(
        target,
        &t.event_id("info"),
        t.env.now_ms,
        Actor::citizen(&target.citizen_key),
        info,
        &rules,
    );
    let ticket = target.ticket.clone();
    let resumed = match result {
        Ok(changed) => {
            t.store(ComplaintOp::Update(Box::new(changed)));
            resumed
        }
        Err(TransitionError::AlreadyApplied) => {
            t.replay(target);
            // Redelivered: the stored event tells whether it resumed the ticket.
            let event_id = t.event_id("info");
            target
                .events
                .iter()
                .any(|e| e.id == event_id && e.from == Some(Status::PerluDilengkapi))
        }
        Err(_) => return t.text(ct::info_refused(&ticket)),
    };
    let window_open = t
        .turn
        .session
        .attach
        .as_ref()
        .is_some_and(|w| w.ticket == ticket && t.env.now_ms < w.until_ms);
    if !window_open || resumed {
        t.turn.session.attach = Some(AttachWindow {
            ticket: ticket.clone(),
            until_ms: t.env.now_ms + ct::ATTACH_WINDOW_MS,
        });
    }
    t.text(ct::info_attached(&ticket, resumed));
}
