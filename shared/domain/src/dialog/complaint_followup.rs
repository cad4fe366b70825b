//! After the answer: the citizen's verdict on a `selesai` complaint (*Sudah* → a 1–5 rating
//! and an optional comment; *Belum* → reopened, details attach), and the choice offered for
//! a possible duplicate (*Ikut melapor* / *Tetap terpisah*). Every change derives its event
//! id from the message id, so a redelivered tap changes nothing and gets the same answer.

use super::{
    complaint_flow::ComplaintOp,
    complaint_texts::{self as ct, ids as cid},
    engine::TurnBuilder,
    keywords,
    reply::buttons,
    session::AttachWindow,
    texts::{ids, titles},
};
use crate::complaint::{
    self, duplicates, rating, Actor, Change, Complaint, Status, TransitionError,
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

impl TurnBuilder<'_, '_> {
    /// The follow-up buttons (`aduan:sudah|belum|nilai|ikut|pisah:…`); false for other ids.
    pub(super) fn followup_button(&mut self, id: &str) -> bool {
        if let Some(ticket) = id.strip_prefix(cid::SOLVED_PREFIX) {
            self.ask_rating(ticket);
        } else if let Some(ticket) = id.strip_prefix(cid::UNSOLVED_PREFIX) {
            self.reopen(ticket);
        } else if let Some(rest) = id.strip_prefix(cid::SCORE_PREFIX) {
            self.rate(rest);
        } else if let Some(ticket) = id.strip_prefix(cid::FOLLOW_PREFIX) {
            self.follow_original(ticket);
        } else if let Some(ticket) = id.strip_prefix(cid::SEPARATE_PREFIX) {
            self.keep_separate(ticket);
        } else {
            return false;
        }
        true
    }

    fn not_found(&mut self) {
        self.say(buttons(ct::TICKET_NOT_FOUND, &[(ids::MENU, titles::MENU)]));
    }

    // -----------------------------------------------------------------------------------------
    // Rating
    // -----------------------------------------------------------------------------------------

    fn ask_rating(&mut self, ticket: &str) {
        let Some(found) = self.own_complaint(ticket).cloned() else {
            return self.not_found();
        };
        if found.status != Status::Selesai {
            return self.text(ct::answer_unavailable(&found));
        }
        self.say(ct::rating_ask(&found.ticket));
    }

    /// `TICKET:N` from a row of the rating list.
    fn rate(&mut self, ticket_and_score: &str) {
        let (ticket, score) = ticket_and_score
            .rsplit_once(':')
            .unwrap_or((ticket_and_score, ""));
        let Some(found) = self.own_complaint(ticket).cloned() else {
            return self.not_found();
        };
        // Anything but 1–5 (a forged or garbled id) is refused by `rate` like 0.
        let score = score.parse::<u8>().unwrap_or(0);
        let rules = self.rules_for(&found.category_id);
        let result = rating::rate(
            &found,
            score,
            &self.event_id("rate"),
            self.env.now_ms,
            Actor::citizen(&found.citizen_key),
            &rules,
        );
        match result {
            Ok(changed) => {
                self.store(ComplaintOp::Update(Box::new(changed)));
                self.rated(&found.ticket, score);
            }
            // Redelivered after it was stored: the same answer.
            Err(TransitionError::AlreadyApplied) => {
                self.replay(&found);
                self.rated(&found.ticket, score)
            }
            Err(TransitionError::InvalidScore(_)) if found.status == Status::Selesai => {
                self.text(ct::SCORE_INVALID);
                self.say(ct::rating_ask(&found.ticket));
            }
            Err(_) => self.text(ct::answer_unavailable(&found)),
        }
    }

    fn rated(&mut self, ticket: &str, score: u8) {
        // With a form open, typed text answers the form: no comment is invited then.
        let invite = self.turn.session.flow.is_none();
        if invite {
            self.turn.session.rating_comment = Some(AttachWindow {
                ticket: ticket.to_string(),
                until_ms: self.env.now_ms + ct::ATTACH_WINDOW_MS,
            });
        }
        self.text(ct::rated(ticket, score, invite));
    }

    /// The rated complaint the next text comments on, if the invitation still stands. A
    /// window that no longer applies is dropped.
    pub(super) fn rating_comment_target(&mut self) -> Option<Complaint> {
        let window = self.turn.session.rating_comment.clone()?;
        let target = self
            .own_complaint(&window.ticket)
            .filter(|_| self.env.now_ms < window.until_ms)
            .filter(|c| c.rating.as_ref().is_some_and(|r| r.comment.is_none()))
            .cloned();
        if target.is_none() {
            self.turn.session.rating_comment = None;
        }
        target
    }

    /// The citizen's comment on their rating (once). Emergencies still win.
    pub(super) fn rating_comment(&mut self, target: &Complaint, text: &str) {
        let answered = self.env.answerer.answer(text);
        if super::engine::is_emergency(&answered) {
            return self.emergency(&answered.alternatives);
        }
        let said = keywords::words(text).join(" ");
        if NO_COMMENT.contains(&said.as_str()) {
            self.turn.session.rating_comment = None;
            return self.text(ct::COMMENT_SKIPPED);
        }
        let event_id = self.event_id("comment");
        match rating::add_rating_comment(target, text, &event_id, self.env.now_ms) {
            Ok(changed) => {
                self.store(ComplaintOp::Update(Box::new(changed)));
                self.turn.session.rating_comment = None;
                self.text(ct::COMMENT_THANKS);
            }
            Err(TransitionError::AlreadyApplied) => {
                self.replay(target);
                self.turn.session.rating_comment = None;
                self.text(ct::COMMENT_THANKS);
            }
            // The window stays open for a shorter version.
            Err(TransitionError::CommentTooLong) => {
                self.text(ct::comment_too_long(text.trim().chars().count()))
            }
            Err(_) => {
                self.turn.session.rating_comment = None;
                self.text(ct::info_refused(&target.ticket));
            }
        }
    }

    /// Also a way out of the comment invitation (`BATAL`).
    pub(super) fn drop_rating_comment(&mut self) -> bool {
        self.turn.session.rating_comment.take().is_some()
    }

    // -----------------------------------------------------------------------------------------
    // Reopening
    // -----------------------------------------------------------------------------------------

    /// *Belum*: reopened at once (the OPD is alerted by the notification of the change); what
    /// the citizen sends next attaches to it.
    fn reopen(&mut self, ticket: &str) {
        let Some(found) = self.own_complaint(ticket).cloned() else {
            return self.not_found();
        };
        let rules = self.rules_for(&found.category_id);
        let result = rating::reopen(
            &found,
            None,
            &self.event_id("reopen"),
            self.env.now_ms,
            &rules,
        );
        match result {
            Ok(changed) => {
                self.store(ComplaintOp::Update(Box::new(changed)));
                self.reopened(&found.ticket);
            }
            Err(TransitionError::AlreadyApplied) => {
                self.replay(&found);
                self.reopened(&found.ticket)
            }
            Err(_) => self.text(ct::answer_unavailable(&found)),
        }
    }

    fn reopened(&mut self, ticket: &str) {
        self.turn.session.rating_comment = None;
        self.turn.session.attach = Some(AttachWindow {
            ticket: ticket.to_string(),
            until_ms: self.env.now_ms + ct::ATTACH_WINDOW_MS,
        });
        self.text(ct::reopened(ticket));
    }

    // -----------------------------------------------------------------------------------------
    // Possible duplicates
    // -----------------------------------------------------------------------------------------

    /// The complaint `new` was linked to, as the worker loaded it (`env.related`).
    fn original_of(&self, new: &Complaint) -> Option<Complaint> {
        let original = new.duplicate_of.as_deref()?;
        self.env
            .related
            .iter()
            .chain(self.env.complaints)
            .find(|c| c.ticket == original)
            .cloned()
    }

    /// *Ikut melapor*: the citizen follows the original and their new complaint is withdrawn
    /// into it. Both changes or neither: a refusal of either leaves both as they are.
    fn follow_original(&mut self, ticket: &str) {
        let Some(new) = self.own_complaint(ticket).cloned() else {
            return self.not_found();
        };
        if new.duplicate_of.is_none() {
            return self.text(ct::not_linked(&new.ticket));
        }
        let Some(original) = self.original_of(&new) else {
            return self.text(ct::follow_unavailable(&new.ticket));
        };
        let key = self.turn.profile.key.clone();
        let own_original = original.citizen_key == key;
        let already_following = own_original || duplicates::follows(&original, &key);
        if already_following && new.status == Status::Dicabut {
            // A redelivery or a second tap after both were stored.
            return self.following(&new.ticket, &original.ticket, own_original);
        }
        let followed =
            match duplicates::follow(&original, &key, &self.event_id("follow"), self.env.now_ms) {
                Ok(changed) => Some(changed),
                Err(TransitionError::AlreadyApplied) => {
                    // Stored by an earlier delivery (not merely "nothing to do").
                    if original.has_event(&self.event_id("follow")) {
                        self.replay(&original);
                    }
                    None
                }
                Err(TransitionError::CannotFollow(status)) => {
                    return self.text(ct::follow_refused(&new.ticket, &original.ticket, status))
                }
                Err(_) => return self.text(ct::follow_unavailable(&new.ticket)),
            };
        let change = Change {
            event_id: self.event_id("merge"),
            at_ms: self.env.now_ms,
            actor: Actor::citizen(&new.citizen_key),
            to: Status::Dicabut,
            public_note: Some(ct::merged_note(&original.ticket)),
            internal_note: None,
        };
        let rules = self.rules_for(&new.category_id);
        let merged = match complaint::apply(&new, change, &rules) {
            Ok(changed) => Some(changed),
            Err(TransitionError::AlreadyApplied) => {
                if new.has_event(&self.event_id("merge")) {
                    self.replay(&new);
                }
                None
            }
            Err(_) => return self.text(ct::merge_refused(&new.ticket, new.status)),
        };
        // The follow first: should the second write fail, the retried turn finds the
        // citizen already following and only withdraws.
        if let Some(changed) = followed {
            self.store(ComplaintOp::Update(Box::new(changed)));
        }
        if let Some(changed) = merged {
            self.store(ComplaintOp::Update(Box::new(changed)));
        }
        self.following(&new.ticket, &original.ticket, own_original);
    }

    fn following(&mut self, new: &str, original: &str, own_original: bool) {
        let show = format!("{}{original}", cid::TRACK_PREFIX);
        self.say(buttons(
            ct::following(new, original, own_original),
            &[
                (show.as_str(), ct::titles::SHOW_FOLLOWED),
                (ids::MENU, titles::MENU),
            ],
        ));
    }

    /// *Tetap terpisah*: both complaints stay; the choice is noted for the operators.
    fn keep_separate(&mut self, ticket: &str) {
        let Some(new) = self.own_complaint(ticket).cloned() else {
            return self.not_found();
        };
        if new.duplicate_of.is_none() {
            return self.text(ct::not_linked(&new.ticket));
        }
        if new.status.is_final() {
            return self.text(ct::merge_refused(&new.ticket, new.status));
        }
        let event_id = self.event_id("separate");
        if let Ok(changed) = duplicates::keep_separate(&new, &event_id, self.env.now_ms) {
            self.store(ComplaintOp::Update(Box::new(changed)));
        }
        self.text(ct::kept_separate(&new.ticket));
    }
}
