//! After the answer: the citizen's verdict on a `selesai` complaint (*Sudah* → a 1–5 rating
//! and an optional comment; *Belum* → reopened, details attach), and the choice offered for
//! a possible duplicate (*Ikut melapor* / *Tetap terpisah*). Every change derives its event
//! id from the message id, so a redelivered tap changes nothing and gets the same answer.

use crate::complaint::{
    self, duplicates, rating, Actor, Change, Complaint, Status, TransitionError,
};
use crate::dialog::{
    complaint_texts::{self as ct, ids as cid},
    keywords,
    reply::buttons,
    session::AttachWindow,
    texts::{ids, titles},
    turn::{ComplaintOp, TurnBuilder},
};

/// Answers to the comment invitation that decline it.
const NO_COMMENT: &[&str] = &[
    "tidak",
    "tidak ada",
    "tidak usah",
    "gak",
    "gak ada",
    "gak usah",
    "ga",
    "ga ada",
    "ga usah",
    "nggak",
    "enggak",
    "no",
    "cukup",
    "lewati",
    "skip",
];

/// A follow-up button (`aduan:sudah|belum|nilai|ikut|pisah:…`), parsed from its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::dialog) enum Tap<'a> {
    /// *Sudah selesai*: asks for the rating.
    Solved(&'a str),
    /// *Belum selesai*: reopens the complaint.
    Unsolved(&'a str),
    /// A row of the rating list: `TICKET:N`.
    Score(&'a str),
    /// *Ikut melapor*.
    Follow(&'a str),
    /// *Tetap terpisah*.
    Separate(&'a str),
}

impl<'a> Tap<'a> {
    pub(in crate::dialog) fn parse(id: &'a str) -> Option<Self> {
        if let Some(ticket) = id.strip_prefix(cid::SOLVED_PREFIX) {
            Some(Tap::Solved(ticket))
        } else if let Some(ticket) = id.strip_prefix(cid::UNSOLVED_PREFIX) {
            Some(Tap::Unsolved(ticket))
        } else if let Some(rest) = id.strip_prefix(cid::SCORE_PREFIX) {
            Some(Tap::Score(rest))
        } else if let Some(ticket) = id.strip_prefix(cid::FOLLOW_PREFIX) {
            Some(Tap::Follow(ticket))
        } else {
            id.strip_prefix(cid::SEPARATE_PREFIX).map(Tap::Separate)
        }
    }
}

pub(in crate::dialog) fn on_tap(t: &mut TurnBuilder, tap: Tap) {
    match tap {
        Tap::Solved(ticket) => ask_rating(t, ticket),
        Tap::Unsolved(ticket) => reopen(t, ticket),
        Tap::Score(ticket_and_score) => rate(t, ticket_and_score),
        Tap::Follow(ticket) => follow_original(t, ticket),
        Tap::Separate(ticket) => keep_separate(t, ticket),
    }
}

fn not_found(t: &mut TurnBuilder) {
    t.say(buttons(ct::TICKET_NOT_FOUND, &[(ids::MENU, titles::MENU)]));
}

// ---------------------------------------------------------------------------------------------
// Rating
// ---------------------------------------------------------------------------------------------

fn ask_rating(t: &mut TurnBuilder, ticket: &str) {
    let Some(found) = t.own_complaint(ticket).cloned() else {
        return not_found(t);
    };
    if found.status != Status::Selesai {
        return t.text(ct::answer_unavailable(&found));
    }
    t.say(ct::rating_ask(&found.ticket));
}

/// `TICKET:N` from a row of the rating list.
fn rate(t: &mut TurnBuilder, ticket_and_score: &str) {
    let (ticket, score) = ticket_and_score
        .rsplit_once(':')
        .unwrap_or((ticket_and_score, ""));
    let Some(found) = t.own_complaint(ticket).cloned() else {
        return not_found(t);
    };
    // Anything but 1–5 (a forged or garbled id) is refused by `rate` like 0.
    let score = score.parse::<u8>().unwrap_or(0);
    let rules = t.rules_for(&found.category_id);
    let result = rating::rate(
        &found,
        score,
        &t.event_id("rate"),
        t.env.now_ms,
        Actor::citizen(&found.citizen_key),
        &rules,
    );
    match result {
        Ok(changed) => {
            t.store(ComplaintOp::Update(Box::new(changed)));
            rated(t, &found.ticket, score);
        }
        // Redelivered after it was stored: the same answer.
        Err(TransitionError::AlreadyApplied) => {
            t.replay(&found);
            rated(t, &found.ticket, score)
        }
        Err(TransitionError::InvalidScore(_)) if found.status == Status::Selesai => {
            t.text(ct::SCORE_INVALID);
            t.say(ct::rating_ask(&found.ticket));
        }
        Err(_) => t.text(ct::answer_unavailable(&found)),
    }
}

fn rated(t: &mut TurnBuilder, ticket: &str, score: u8) {
    // With a form open, typed text answers the form: no comment is invited then.
    let invite = t.turn.session.flow.is_none();
    if invite {
        t.turn.session.rating_comment = Some(AttachWindow {
            ticket: ticket.to_string(),
            until_ms: t.env.now_ms + ct::ATTACH_WINDOW_MS,
        });
    }
    t.text(ct::rated(ticket, score, invite));
}

/// The rated complaint the next text comments on, if the invitation still stands. A window
/// that no longer applies is dropped.
pub(in crate::dialog) fn comment_target(t: &mut TurnBuilder) -> Option<Complaint> {
    let window = t.turn.session.rating_comment.clone()?;
    let target = t
        .own_complaint(&window.ticket)
        .filter(|_| t.env.now_ms < window.until_ms)
        .filter(|c| c.rating.as_ref().is_some_and(|r| r.comment.is_none()))
        .cloned();
    if target.is_none() {
        t.turn.session.rating_comment = None;
    }
    target
}

/// The citizen's comment on their rating (once); the router has already answered an
/// emergency.
pub(in crate::dialog) fn comment(t: &mut TurnBuilder, target: &Complaint, text: &str) {
    let said = keywords::words(text).join(" ");
    if NO_COMMENT.contains(&said.as_str()) {
        t.turn.session.rating_comment = None;
        return t.text(ct::COMMENT_SKIPPED);
    }
    let event_id = t.event_id("comment");
    match rating::add_rating_comment(target, text, &event_id, t.env.now_ms) {
        Ok(changed) => {
            t.store(ComplaintOp::Update(Box::new(changed)));
            t.turn.session.rating_comment = None;
            t.text(ct::COMMENT_THANKS);
        }
        Err(TransitionError::AlreadyApplied) => {
            t.replay(target);
            t.turn.session.rating_comment = None;
            t.text(ct::COMMENT_THANKS);
        }
        // The window stays open for a shorter version.
        Err(TransitionError::CommentTooLong) => {
            t.text(ct::comment_too_long(text.trim().chars().count()))
        }
        Err(_) => {
            t.turn.session.rating_comment = None;
            t.text(ct::info_refused(&target.ticket));
        }
    }
}

/// `BATAL` also declines the comment invitation. False when there is none.
pub(in crate::dialog) fn skip_comment(t: &mut TurnBuilder) -> bool {
    if t.turn.session.rating_comment.take().is_none() {
        return false;
    }
    t.text(ct::COMMENT_SKIPPED);
    true
}

// ---------------------------------------------------------------------------------------------
// Reopening
// ---------------------------------------------------------------------------------------------

/// *Belum*: reopened at once (the OPD is alerted by the notification of the change); what
/// the citizen sends next attaches to it.
fn reopen(t: &mut TurnBuilder, ticket: &str) {
    let Some(found) = t.own_complaint(ticket).cloned() else {
        return not_found(t);
    };
    let rules = t.rules_for(&found.category_id);
    let result = rating::reopen(&found, None, &t.event_id("reopen"), t.env.now_ms, &rules);
    match result {
        Ok(changed) => {
            t.store(ComplaintOp::Update(Box::new(changed)));
            reopened(t, &found.ticket);
        }
        Err(TransitionError::AlreadyApplied) => {
            t.replay(&found);
            reopened(t, &found.ticket)
        }
        Err(_) => t.text(ct::answer_unavailable(&found)),
    }
}

fn reopened(t: &mut TurnBuilder, ticket: &str) {
    t.turn.session.rating_comment = None;
    t.turn.session.attach = Some(AttachWindow {
        ticket: ticket.to_string(),
        until_ms: t.env.now_ms + ct::ATTACH_WINDOW_MS,
    });
    t.text(ct::reopened(ticket));
}

// ---------------------------------------------------------------------------------------------
// Possible duplicates
// ---------------------------------------------------------------------------------------------

/// The complaint `new` was linked to, as the worker loaded it (`env.related`).
fn original_of(t: &TurnBuilder, new: &Complaint) -> Option<Complaint> {
    let original = new.duplicate_of.as_deref()?;
    t.env
        .related
        .iter()
        .chain(t.env.complaints)
        .find(|c| c.ticket == original)
        .cloned()
}

/// *Ikut melapor*: the citizen follows the original and their new complaint is withdrawn
/// into it. Both changes or neither: a refusal of either leaves both as they are.
fn follow_original(t: &mut TurnBuilder, ticket: &str) {
    let Some(new) = t.own_complaint(ticket).cloned() else {
        return not_found(t);
    };
    if new.duplicate_of.is_none() {
        return t.text(ct::not_linked(&new.ticket));
    }
    let Some(original) = original_of(t, &new) else {
        return t.text(ct::follow_unavailable(&new.ticket));
    };
    let key = t.turn.profile.key.clone();
    let own_original = original.citizen_key == key;
    let already_following = own_original || duplicates::follows(&original, &key);
    if already_following && new.status == Status::Dicabut {
        // A redelivery or a second tap after both were stored.
        return following(t, &new.ticket, &original.ticket, own_original);
    }
    let followed = match duplicates::follow(&original, &key, &t.event_id("follow"), t.env.now_ms) {
        Ok(changed) => Some(changed),
        Err(TransitionError::AlreadyApplied) => {
            // Stored by an earlier delivery (not merely "nothing to do").
            if original.has_event(&t.event_id("follow")) {
                t.replay(&original);
            }
            None
        }
        Err(TransitionError::CannotFollow(status)) => {
            return t.text(ct::follow_refused(&new.ticket, &original.ticket, status))
        }
        Err(_) => return t.text(ct::follow_unavailable(&new.ticket)),
    };
    let change = Change {
        event_id: t.event_id("merge"),
        at_ms: t.env.now_ms,
        actor: Actor::citizen(&new.citizen_key),
        to: Status::Dicabut,
        public_note: Some(ct::merged_note(&original.ticket)),
        internal_note: None,
    };
    let rules = t.rules_for(&new.category_id);
    let merged = match complaint::apply(&new, change, &rules) {
        Ok(changed) => Some(changed),
        Err(TransitionError::AlreadyApplied) => {
            if new.has_event(&t.event_id("merge")) {
                t.replay(&new);
            }
            None
        }
        Err(_) => return t.text(ct::merge_refused(&new.ticket, new.status)),
    };
    // The follow first: should the second write fail, the retried turn finds the citizen
    // already following and only withdraws.
    if let Some(changed) = followed {
        t.store(ComplaintOp::Update(Box::new(changed)));
    }
    if let Some(changed) = merged {
        t.store(ComplaintOp::Update(Box::new(changed)));
    }
    following(t, &new.ticket, &original.ticket, own_original);
}

fn following(t: &mut TurnBuilder, new: &str, original: &str, own_original: bool) {
    let show = format!("{}{original}", cid::TRACK_PREFIX);
    t.say(buttons(
        ct::following(new, original, own_original),
        &[
            (show.as_str(), ct::titles::SHOW_FOLLOWED),
            (ids::MENU, titles::MENU),
        ],
    ));
}

/// *Tetap terpisah*: both complaints stay; the choice is noted for the operators.
fn keep_separate(t: &mut TurnBuilder, ticket: &str) {
    let Some(new) = t.own_complaint(ticket).cloned() else {
        return not_found(t);
    };
    if new.duplicate_of.is_none() {
        return t.text(ct::not_linked(&new.ticket));
    }
    if new.status.is_final() {
        return t.text(ct::merge_refused(&new.ticket, new.status));
    }
    let event_id = t.event_id("separate");
    if let Ok(changed) = duplicates::keep_separate(&new, &event_id, t.env.now_ms) {
        t.store(ComplaintOp::Update(Box::new(changed)));
    }
    t.text(ct::kept_separate(&new.ticket));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follow_up_ids_parse_to_their_tap() {
        let cases = [
            ("aduan:sudah:PS-7K3QX9", Some(Tap::Solved("PS-7K3QX9"))),
            ("aduan:belum:PS-7K3QX9", Some(Tap::Unsolved("PS-7K3QX9"))),
            ("aduan:nilai:PS-7K3QX9:4", Some(Tap::Score("PS-7K3QX9:4"))),
            ("aduan:ikut:PS-7K3QX9", Some(Tap::Follow("PS-7K3QX9"))),
            ("aduan:pisah:PS-7K3QX9", Some(Tap::Separate("PS-7K3QX9"))),
            ("aduan:cek:PS-7K3QX9", None),
            ("aduan:kirim", None),
            ("btn:menu", None),
        ];
        for (id, expected) in cases {
            assert_eq!(Tap::parse(id), expected, "{id}");
        }
    }
}
