//! The turn being built: what a turn may read ([`DialogEnv`]), what it produces ([`Turn`]),
//! and [`TurnBuilder`], the one interface the features (`features::*`) work through. Besides
//! replying and recording complaint changes it offers the replies any feature may end with:
//! the main menu, a list page, the emergency numbers and "that choice is gone". It knows no
//! feature: the router (`router`) decides which feature a message is for.

use serde::{Deserialize, Serialize};

use super::{
    answer::{AnswerKind, Answered, Decision},
    complaint_texts as ct,
    input::{Inbound, Input},
    reply::{buttons, ensure_sendable, list_from_page, truncate_chars, Reply},
    session::{Flow, Session},
    texts::{self, ids, titles},
};
use crate::channel::LimitError;
use crate::{
    calendar::CoverageGap,
    citizen::{CitizenProfile, CitizenRef},
    complaint::{Complaint, Rules},
    content::{ContentBundle, Faq, ListKey, ListPage, RowTarget},
    nlp::rephrase::SourcePassage,
};

/// Everything a turn may read besides the session and the profile.
pub struct DialogEnv<'a> {
    pub content: &'a ContentBundle,
    /// What the answering engine made of the message's text ([`Inbound::text`]), asked by
    /// the caller before the turn; `None` for a message without text.
    pub answered: Option<&'a Answered>,
    /// The clock, read once by the caller.
    pub now_ms: i64,
    /// `PROLINK_SHOW_UNVERIFIED`: answer unverified entries with a note (true) or refer to
    /// the responsible OPD instead (false).
    pub show_unverified: bool,
    /// The citizen's own complaints (newest first), for tracking, withdrawal and additions.
    pub complaints: &'a [Complaint],
    /// Other complaints the message refers to (the open complaint a new one may repeat, for
    /// "ikut melapor"); never shown unless the citizen's own complaint points at them.
    pub related: &'a [Complaint],
    /// Moves a new complaint to another ticket id when the first choice was taken.
    pub ticket_attempt: u32,
    /// How long conversations are kept, for the privacy notice.
    pub retention_days: i64,
}

/// A message the bot could not answer, for the content team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unanswered {
    /// The citizen's text with NIK, phone numbers, other long numbers and e-mails masked.
    pub text_masked: String,
    /// Best candidate ids and their scores.
    pub candidates: Vec<(String, f64)>,
}

/// A reply that answers the citizen's own typed question with a verified FAQ entry: the one
/// kind of reply the optional generative step (`domain::nlp::rephrase`) may reword. Menu and
/// button picks, services, complaints and emergencies never get one.
#[derive(Debug, Clone, PartialEq)]
pub struct RephraseCandidate {
    /// Index in [`Turn::replies`] of the answer, a [`Reply::Text`] equal to the first
    /// passage's text.
    pub reply: usize,
    /// The citizen's question with NIK, phone numbers, other long numbers and e-mails masked:
    /// the only part of the conversation that may leave for the model.
    pub question_masked: String,
    /// The chosen entry's answer first, then up to [`MAX_EXTRA_PASSAGES`] other verified
    /// entries the engine ranked next.
    pub passages: Vec<SourcePassage>,
}

/// Runner-up entries given to the model besides the chosen one: enough to cover a question
/// that spans two entries, few enough to keep the prompt (cost, latency) small.
pub const MAX_EXTRA_PASSAGES: usize = 2;

/// A change to store before the replies go out.
#[derive(Debug, Clone, PartialEq)]
pub enum ComplaintOp {
    /// A new complaint (version 0): conditional insert on its ticket.
    Create(Box<Complaint>),
    /// A changed complaint whose `version` is the one it was read at: conditional update.
    Update(Box<Complaint>),
    /// The change was stored by an earlier delivery of this message (`AlreadyApplied`):
    /// nothing to write, but its follow-up tasks are queued again, since a crash may have
    /// come between the write and the queue (task ids make a repeat harmless).
    Replay(Box<Complaint>),
}

impl ComplaintOp {
    pub fn complaint(&self) -> &Complaint {
        match self {
            ComplaintOp::Create(c) | ComplaintOp::Update(c) | ComplaintOp::Replay(c) => c,
        }
    }
}

/// The outcome of one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub session: Session,
    pub profile: CitizenProfile,
    /// To send in order. Every reply passed the outbound builders' limits.
    pub replies: Vec<Reply>,
    /// Set when the message was not answered (suggestions or fallback): record it.
    pub unanswered: Option<Unanswered>,
    /// A handoff started in this turn: alert the operators.
    pub handoff_requested: bool,
    /// The message arrived during a handoff and the bot stayed quiet: it is for the operator.
    pub forwarded_to_operator: bool,
    /// The citizen typed `HAPUS DATA SAYA`: raise an erasure request for the admins.
    pub erasure_requested: bool,
    /// The FAQ/service id the citizen picked from the last "Apakah maksud Anda …" list.
    pub accepted_suggestion: Option<String>,
    /// Complaints to store (conditional writes) before the replies are sent.
    pub complaint_ops: Vec<ComplaintOp>,
    /// The holiday table did not cover a year a deadline crosses: warn the operators.
    pub calendar_gaps: Vec<CoverageGap>,
    /// A FAQ answer the worker may have rephrased when a rephraser is configured; without
    /// one it changes nothing.
    pub rephrase: Option<RephraseCandidate>,
    /// Why a reply broke the channel's limits and went as plain text instead (content to
    /// fix; the worker logs it).
    pub unfit_replies: Vec<LimitError>,
}

/// One turn in the making: the session and profile it changes, the replies so far, and what
/// the message is.
pub(super) struct TurnBuilder<'e, 'a> {
    pub(super) env: &'e DialogEnv<'a>,
    pub(super) citizen: &'e CitizenRef,
    /// The inbound message's id: every side effect derives its id from it.
    pub(super) message_id: String,
    /// The suggestions of the previous turn.
    pub(super) offered: Vec<String>,
    /// The message is text the citizen typed (not a button, a list pick or a template's
    /// quick reply).
    pub(super) typed: bool,
    pub(super) turn: Turn,
}

impl<'e, 'a> TurnBuilder<'e, 'a> {
    pub(super) fn new(
        env: &'e DialogEnv<'a>,
        session: Session,
        profile: CitizenProfile,
        citizen: &'e CitizenRef,
        message: &Inbound,
    ) -> Self {
        TurnBuilder {
            env,
            citizen,
            message_id: message.id.clone(),
            offered: Vec::new(),
            typed: matches!(message.input, Input::Text(_)),
            turn: Turn {
                session,
                profile,
                replies: Vec::new(),
                unanswered: None,
                handoff_requested: false,
                forwarded_to_operator: false,
                erasure_requested: false,
                accepted_suggestion: None,
                complaint_ops: Vec::new(),
                calendar_gaps: Vec::new(),
                rephrase: None,
                unfit_replies: Vec::new(),
            },
        }
    }

    /// The finished turn, every reply within WhatsApp's limits.
    pub(super) fn finish(self) -> Turn {
        let mut out = self.turn;
        let count = out.replies.len();
        out.replies = ensure_sendable(out.replies, &mut out.unfit_replies);
        if out.replies.len() != count {
            // A reply was split to fit WhatsApp's limits: the candidate's index no longer
            // points at its answer, and an answer that long is not one to reword anyway.
            out.rephrase = None;
        }
        out
    }
}

impl TurnBuilder<'_, '_> {
    pub(super) fn content(&self) -> &ContentBundle {
        self.env.content
    }

    pub(super) fn say(&mut self, reply: Reply) {
        self.turn.replies.push(reply);
    }

    pub(super) fn text(&mut self, text: impl Into<String>) {
        self.say(Reply::Text(text.into()));
    }

    /// What the answering engine made of the message's text (a fallback when it had none,
    /// which no text path reaches).
    pub(super) fn answer(&self) -> Answered {
        self.env
            .answered
            .cloned()
            .unwrap_or_else(Answered::fallback)
    }

    // -----------------------------------------------------------------------------------------
    // Complaints: reading the citizen's own, recording changes
    // -----------------------------------------------------------------------------------------

    pub(super) fn rules_for(&self, category_id: &str) -> Rules<'_> {
        Rules::for_category(self.content(), category_id)
    }

    pub(super) fn own_complaint(&self, ticket: &str) -> Option<&Complaint> {
        self.env
            .complaints
            .iter()
            .find(|c| c.ticket == ticket && c.citizen_key == self.turn.profile.key)
    }

    pub(super) fn store(&mut self, op: ComplaintOp) {
        if let Some(gap) = op.complaint().deadlines.calendar_gap {
            if !self.turn.calendar_gaps.contains(&gap) {
                self.turn.calendar_gaps.push(gap);
            }
        }
        self.turn.complaint_ops.push(op);
    }

    /// See [`ComplaintOp::Replay`].
    pub(super) fn replay(&mut self, stored: &Complaint) {
        self.turn
            .complaint_ops
            .push(ComplaintOp::Replay(Box::new(stored.clone())));
    }

    pub(super) fn event_id(&self, kind: &str) -> String {
        format!("{kind}.{}", self.message_id)
    }

    /// Sets an open complaint form aside (menu, handoff, topic choice): nothing typed is
    /// lost, and starting a complaint continues it.
    pub(super) fn suspend_complaint(&mut self) -> bool {
        if let Some(Flow::Complaint(draft)) = &self.turn.session.flow {
            self.turn.session.suspended_complaint = Some(draft.clone());
            self.turn.session.flow = None;
            return true;
        }
        false
    }

    // -----------------------------------------------------------------------------------------
    // Replies any feature may end with
    // -----------------------------------------------------------------------------------------

    /// 112 and the relevant numbers at once; any flow stops (a complaint form is kept).
    pub(super) fn emergency(&mut self, alternatives: &[String]) {
        let content = self.content();
        let detail = alternatives
            .iter()
            .filter_map(|id| content.faq(id))
            .find(|f| f.category == "darurat")
            .or_else(|| emergency_numbers_faq(content))
            .filter(|f| f.verified || self.env.show_unverified)
            .map(|f| f.answer.clone());
        let mut text = texts::EMERGENCY_HEAD.to_string();
        if let Some(detail) = detail {
            text.push_str("\n\n");
            text.push_str(&detail);
        }
        match self.turn.session.flow.take() {
            Some(Flow::Complaint(draft)) => {
                self.turn.session.suspended_complaint = Some(draft);
                text.push_str("\n\n");
                text.push_str(ct::EMERGENCY_FORM_SUSPENDED);
            }
            Some(Flow::Subscription) => {
                text.push_str("\n\n");
                text.push_str(texts::EMERGENCY_FLOW_STOPPED);
            }
            None => {}
        }
        self.text(text);
    }

    pub(super) fn main_menu(&mut self, greet: bool) {
        if self.turn.session.flow == Some(Flow::Subscription) {
            self.turn.session.flow = None;
        }
        if self.suspend_complaint() {
            self.text(ct::FORM_SUSPENDED);
        }
        let Some(mut page) = self.content().root_menu() else {
            return self.text(texts::HELP);
        };
        if greet {
            let name = self.display_name();
            page.body = format!("{}\n{}", texts::greeting(name.as_deref()), page.body);
        }
        self.turn.session.menu = Some(self.content().menus.root.clone());
        self.say(Reply::List(list_from_page(page)));
    }

    /// The citizen's WhatsApp name, made safe to quote: no formatting characters, no line
    /// breaks, short.
    fn display_name(&self) -> Option<String> {
        let raw = self
            .citizen
            .name
            .as_deref()
            .or(self.turn.profile.name.as_deref())?;
        let cleaned: String = raw
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .filter(|c| !matches!(c, '*' | '_' | '~' | '`'))
            .collect();
        let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
        (!cleaned.is_empty()).then(|| truncate_chars(&cleaned, 30))
    }

    /// Page `page` of a runtime list; a page that no longer exists (the list shrank since it
    /// was sent) falls back to the first one.
    pub(super) fn list_page(&mut self, key: &ListKey, page: usize) {
        self.list_page_with(key, page, |_| {});
    }

    /// [`Self::list_page`], with `decorate` applied to the page before it is sent.
    pub(super) fn list_page_with(
        &mut self,
        key: &ListKey,
        page: usize,
        decorate: impl FnOnce(&mut ListPage),
    ) {
        let found = self
            .content()
            .list_page(key, page)
            .map(|p| (p, page))
            .or_else(|| self.content().list_page(key, 1).map(|p| (p, 1)));
        let Some((mut list, shown)) = found else {
            return self.say(buttons(texts::EMPTY_LIST, &[(ids::MENU, titles::MENU)]));
        };
        decorate(&mut list);
        self.turn.session.menu = Some(
            RowTarget::Page {
                key: key.clone(),
                page: shown,
            }
            .row_id(),
        );
        self.say(Reply::List(list_from_page(list)));
    }

    pub(super) fn stale_choice(&mut self) {
        self.text(texts::STALE_CHOICE);
        self.main_menu(false);
    }
}

/// Whether the engine is sure the message is an emergency: it then wins over any flow.
pub(super) fn is_emergency(answered: &Answered) -> bool {
    answered.kind == AnswerKind::Emergency && answered.decision == Decision::Answer
}

/// The `darurat` entry that lists the emergency numbers (keyword `nomor darurat`), else the
/// one about 112 itself.
fn emergency_numbers_faq(content: &ContentBundle) -> Option<&Faq> {
    let darurat = || content.faqs.iter().filter(|f| f.category == "darurat");
    darurat()
        .find(|f| f.keywords.iter().any(|k| k == "nomor darurat"))
        .or_else(|| darurat().find(|f| f.keywords.iter().any(|k| k == "112")))
}
