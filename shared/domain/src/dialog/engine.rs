//! One turn of the conversation: (session, profile, message) → (session, profile, replies).

use serde::{Deserialize, Serialize};

use super::input::{Inbound, Input};
use super::{
    answer::{AnswerKind, Answered, Answerer, Decision},
    complaint_flow::{self, ComplaintOp},
    complaint_texts::{self as ct, ids as cid},
    keywords::{self, Keyword},
    reply::{buttons, ensure_sendable, list_from_page, truncate_chars, Reply},
    session::{Flow, Handoff, Session, HANDOFF_TTL_MS},
    texts::{self, ids, titles},
};
use crate::channel::{limits, ListMessage, ListRow, ListSection};
use crate::citizen::CitizenProfile;
use crate::complaint::{ComplaintLocation, Photo};
use crate::{
    calendar::{self, CoverageGap},
    citizen::CitizenRef,
    complaint::{find_ticket, AddedInfo, Complaint},
    content::{
        service_card_policy, show_unverified_policy, ContentBundle, Faq, ListKey, ListPage,
        MenuAction, RowTarget,
    },
    nlp::{rephrase::SourcePassage, text::mask_pii},
};

/// Everything a turn may read besides the session and the profile.
pub struct DialogEnv<'a> {
    pub content: &'a ContentBundle,
    pub answerer: &'a dyn Answerer,
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
    /// The FAQ/service id the citizen picked from the last "Apakah maksud Anda …" list.
    pub accepted_suggestion: Option<String>,
    /// Complaints to store (conditional writes) before the replies are sent.
    pub complaint_ops: Vec<ComplaintOp>,
    /// The holiday table did not cover a year a deadline crosses: warn the operators.
    pub calendar_gaps: Vec<CoverageGap>,
    /// A FAQ answer the worker may have rephrased when a rephraser is configured; without
    /// one it changes nothing.
    pub rephrase: Option<RephraseCandidate>,
}

/// Handles one inbound message. Pure: the caller loads the session and profile, passes the
/// clock in `env.now_ms`, then saves both (with their optimistic versions) and sends
/// `replies` with ids derived from the message id, so a redelivered message changes nothing.
pub fn handle_message(
    env: &DialogEnv,
    session: Session,
    profile: CitizenProfile,
    citizen: &CitizenRef,
    message: &Inbound,
) -> Turn {
    let mut turn = TurnBuilder {
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
            accepted_suggestion: None,
            complaint_ops: Vec::new(),
            calendar_gaps: Vec::new(),
            rephrase: None,
        },
    };
    turn.handle(message);
    let mut out = turn.turn;
    let count = out.replies.len();
    out.replies = ensure_sendable(out.replies);
    if out.replies.len() != count {
        // A reply was split to fit WhatsApp's limits: the candidate's index no longer points
        // at its answer, and an answer that long is not one to reword anyway.
        out.rephrase = None;
    }
    out
}

/// The operator hands the conversation back to the bot.
pub fn hand_back(mut session: Session) -> Session {
    session.handoff = None;
    session
}

/// What to tell the citizen when an operator hands the conversation back.
pub fn hand_back_notice() -> Reply {
    Reply::Text(texts::HANDED_BACK.to_string())
}

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

    fn handle(&mut self, message: &Inbound) {
        // Reactions need no answer and identity changes are the worker's business; neither
        // is a conversation turn.
        if matches!(message.input, Input::Ignored) {
            return;
        }
        let now = self.env.now_ms;
        self.turn.session.last_inbound_ms = Some(now);
        self.turn.profile.last_inbound_ms = Some(now);
        self.offered = std::mem::take(&mut self.turn.session.suggestions);
        if let Some(handoff) = self.turn.session.handoff {
            if handoff.until_ms <= now {
                self.turn.session.handoff = None;
                self.text(texts::HANDOFF_LAPSED);
            }
        }
        let in_handoff = self.turn.session.active_handoff(now).is_some();
        match &message.input {
            Input::Text(body) => self.on_text(body, in_handoff),
            Input::Choice(id) => self.on_id(id, in_handoff),
            Input::QuickReply { payload, text } => {
                let payload = payload.as_deref().filter(|p| is_known_id(p));
                match (payload, text.as_deref()) {
                    (Some(id), _) => self.on_id(id, in_handoff),
                    (None, Some(text)) => self.on_text(text, in_handoff),
                    (None, None) => self.unreadable("button", in_handoff),
                }
            }
            Input::Photo(photo) => self.media("image", Some(photo), None, in_handoff),
            Input::Video => self.media("video", None, None, in_handoff),
            Input::Location(location) => self.media("location", None, Some(location), in_handoff),
            Input::Unreadable(kind) => self.unreadable(kind, in_handoff),
            Input::Ignored => {}
        }
    }

    // -----------------------------------------------------------------------------------------
    // Inputs
    // -----------------------------------------------------------------------------------------

    fn on_text(&mut self, text: &str, in_handoff: bool) {
        let keyword = keywords::detect(text);
        if in_handoff {
            match keyword {
                Some(Keyword::Cancel) => self.end_handoff(false),
                Some(Keyword::Menu) => self.end_handoff(true),
                _ => {
                    let answered = self.env.answerer.answer(text);
                    if is_emergency(&answered) {
                        self.emergency(&answered.alternatives);
                    } else {
                        self.turn.forwarded_to_operator = true;
                    }
                }
            }
            return;
        }
        if let Some(ticket) = find_ticket(text) {
            return self.ticket_command(&ticket, text);
        }
        match keyword {
            Some(Keyword::Menu) => return self.main_menu(false),
            Some(Keyword::Greeting) => return self.main_menu(true),
            Some(Keyword::Cancel) => return self.cancel(),
            Some(Keyword::Help) => return self.text(texts::HELP),
            Some(Keyword::Operator) => return self.start_handoff(),
            Some(Keyword::Stop) => return self.stop(),
            Some(Keyword::Start) => return self.start_subscription(),
            None => {}
        }
        if complaint_flow::asks_for_own_complaints(text) {
            return self.tracking(None);
        }
        if complaint_flow::asks_to_complain(text) {
            return self.complaint(None, false, None);
        }
        if keywords::words(text).is_empty() {
            // Only emoji or punctuation: nothing to look up, nothing to record.
            return self.text(texts::SMALL_TALK);
        }
        if matches!(self.turn.session.flow, Some(Flow::Complaint(_))) {
            return self.complaint_text(text);
        }
        if self.turn.session.flow.is_none() {
            if let Some(target) = self.rating_comment_target() {
                return self.rating_comment(&target, text);
            }
            if let Some(target) = self.attach_target() {
                let answered = self.env.answerer.answer(text);
                if is_emergency(&answered) {
                    return self.emergency(&answered.alternatives);
                }
                let info = AddedInfo {
                    text: Some(truncate_chars(text.trim(), ct::DESCRIPTION_MAX_CHARS)),
                    ..AddedInfo::default()
                };
                return self.attach(&target, info);
            }
        }
        if self.turn.session.flow == Some(Flow::Subscription) {
            if keywords::is_done(text) {
                return self.finish_subscription();
            }
            let typed_topic = self
                .content()
                .topics
                .iter()
                .find(|t| keywords::same_words(&t.name, text) || keywords::same_words(&t.id, text))
                .map(|t| t.id.clone());
            if let Some(topic) = typed_topic {
                return self.toggle_topic(&topic);
            }
        }
        let answered = self.env.answerer.answer(text);
        self.act_on_answer(text, answered);
    }

    fn on_id(&mut self, id: &str, in_handoff: bool) {
        if in_handoff {
            let target = RowTarget::parse(id);
            if id == ids::MENU || target == Some(RowTarget::Back) {
                self.end_handoff(true);
            } else if id == ids::CANCEL {
                self.end_handoff(false);
            } else if self.is_emergency_id(target.as_ref()) {
                self.emergency(&[]);
            } else {
                self.turn.forwarded_to_operator = true;
            }
            return;
        }
        match id {
            ids::MENU => return self.main_menu(false),
            ids::OPERATOR => return self.start_handoff(),
            ids::DONE => return self.finish_subscription(),
            ids::TOPICS => return self.start_subscription(),
            ids::COMPLAINT => return self.complaint(None, false, None),
            ids::CANCEL => return self.cancel(),
            _ => {}
        }
        if id.starts_with(cid::PREFIX) {
            return self.complaint_button(id);
        }
        match RowTarget::parse(id) {
            Some(RowTarget::MenuRow(row_id)) => match self.content().menu_row(&row_id) {
                Some(row) => {
                    let action = row.action.clone();
                    self.menu_action(action);
                }
                None => self.stale_choice(),
            },
            Some(RowTarget::Back) => self.main_menu(false),
            Some(RowTarget::Page { key, page }) => self.list_page(&key, page),
            Some(RowTarget::Faq(faq)) => {
                self.note_suggestion(&faq);
                self.show_faq(&faq);
            }
            Some(RowTarget::Service(service)) => {
                self.note_suggestion(&service);
                self.show_service(&service);
            }
            Some(RowTarget::ComplaintCategory(category)) => self.pick_category(&category),
            Some(RowTarget::Topic(topic)) => self.toggle_topic(&topic),
            None => self.stale_choice(),
        }
    }

    fn media(
        &mut self,
        kind: &str,
        photo: Option<&Photo>,
        location: Option<&ComplaintLocation>,
        in_handoff: bool,
    ) {
        if in_handoff {
            self.turn.forwarded_to_operator = true;
            return;
        }
        let usable = photo.is_some() || location.is_some();
        if matches!(self.turn.session.flow, Some(Flow::Complaint(_))) {
            if !usable {
                return self.text(ct::ONLY_PHOTOS);
            }
            return self.complaint_media(photo, location);
        }
        if usable && self.turn.session.flow.is_none() {
            let resend = photo.and_then(|_| self.resend_target());
            if let Some(target) = self.attach_target().or(resend) {
                let info = AddedInfo {
                    text: photo.and_then(|p| p.caption.clone()),
                    photos: photo.cloned().into_iter().collect(),
                    location: location.cloned(),
                };
                return self.attach(&target, info);
            }
            // Kept so that *Buat Aduan* starts the form with it.
            self.keep_for_later(photo, location);
        }
        self.say(buttons(
            texts::media_received(kind),
            &[
                (ids::COMPLAINT, titles::COMPLAINT),
                (ids::MENU, titles::MENU),
            ],
        ));
    }

    fn unreadable(&mut self, kind: &str, in_handoff: bool) {
        if in_handoff {
            self.turn.forwarded_to_operator = true;
            return;
        }
        self.say(buttons(
            texts::unreadable(kind),
            &[(ids::MENU, titles::MENU)],
        ));
    }

    // -----------------------------------------------------------------------------------------
    // Answers
    // -----------------------------------------------------------------------------------------

    fn act_on_answer(&mut self, text: &str, answered: Answered) {
        match answered.decision {
            Decision::Answer => match (answered.kind, answered.id.clone()) {
                (AnswerKind::Emergency, _) => self.emergency(&answered.alternatives),
                (AnswerKind::Faq, Some(id)) if self.content().faq(&id).is_some() => {
                    self.show_faq(&id);
                    self.offer_rephrase(text, &id, &answered.alternatives);
                }
                (AnswerKind::Service, Some(id)) if self.content().service(&id).is_some() => {
                    self.show_service(&id)
                }
                (AnswerKind::Complaint, id) => self.complaint(id.as_deref(), false, Some(text)),
                (AnswerKind::Tracking, ticket) => self.tracking(ticket.as_deref()),
                (AnswerKind::Greeting, _) => self.main_menu(true),
                (AnswerKind::Smalltalk, _) => self.text(texts::SMALL_TALK),
                _ => self.fallback(text, &answered),
            },
            Decision::Suggest => self.suggest(text, &answered),
            Decision::Fallback => self.fallback(text, &answered),
        }
    }

    fn show_faq(&mut self, id: &str) {
        let Some(faq) = self.content().faq(id) else {
            return self.stale_choice();
        };
        let text = show_unverified_policy(faq, &self.content().opds, self.env.show_unverified);
        self.text(text);
    }

    /// Marks the FAQ answer just given to a typed question as the turn's
    /// [`RephraseCandidate`]. Only verified entries qualify (an unverified one carries a note
    /// or a referral that must stay as written), and never the emergency entries.
    fn offer_rephrase(&mut self, question: &str, id: &str, alternatives: &[String]) {
        if !self.typed {
            return;
        }
        let content = self.env.content;
        let usable = |faq: &&Faq| faq.verified && faq.category != "darurat";
        let Some(chosen) = content.faq(id).filter(usable) else {
            return;
        };
        let Some(reply) = self.turn.replies.len().checked_sub(1) else {
            return;
        };
        if self.turn.replies[reply] != Reply::Text(chosen.answer.clone()) {
            return;
        }
        let mut passages = vec![SourcePassage {
            id: chosen.id.clone(),
            text: chosen.answer.clone(),
        }];
        for faq in alternatives
            .iter()
            .filter_map(|alt| content.faq(alt))
            .filter(usable)
        {
            if passages.len() > MAX_EXTRA_PASSAGES {
                break;
            }
            if passages.iter().all(|p| p.id != faq.id) {
                passages.push(SourcePassage {
                    id: faq.id.clone(),
                    text: faq.answer.clone(),
                });
            }
        }
        self.turn.rephrase = Some(RephraseCandidate {
            reply,
            question_masked: mask_pii(question),
            passages,
        });
    }

    fn show_service(&mut self, id: &str) {
        let Some(service) = self.content().service(id) else {
            return self.stale_choice();
        };
        let parts = service_card_policy(service, &self.content().opds, self.env.show_unverified);
        let online_url = service.online_url.clone();
        if parts.len() <= texts::MAX_CARD_MESSAGES {
            parts.into_iter().for_each(|p| self.text(p));
        } else {
            parts
                .into_iter()
                .take(texts::MAX_CARD_MESSAGES - 1)
                .for_each(|p| self.text(p));
            self.text(texts::card_too_long(&online_url));
        }
    }

    fn suggest(&mut self, text: &str, answered: &Answered) {
        let mut rows: Vec<ListRow> = Vec::new();
        let mut offered: Vec<String> = Vec::new();
        for id in &answered.alternatives {
            if rows.len() == 3 || offered.contains(id) {
                continue;
            }
            let row = if let Some(faq) = self.content().faq(id) {
                Some(ListRow {
                    id: RowTarget::Faq(faq.id.clone()).row_id(),
                    title: truncate_chars(&faq.title, limits::LIST_ROW_TITLE),
                    description: Some(truncate_chars(&faq.summary, limits::LIST_ROW_DESCRIPTION)),
                })
            } else {
                self.content().service(id).map(|s| ListRow {
                    id: RowTarget::Service(s.id.clone()).row_id(),
                    title: truncate_chars(&s.short_name, limits::LIST_ROW_TITLE),
                    description: Some(truncate_chars(&s.name, limits::LIST_ROW_DESCRIPTION)),
                })
            };
            if let Some(row) = row {
                offered.push(id.clone());
                rows.push(row);
            }
        }
        if rows.is_empty() {
            return self.fallback(text, answered);
        }
        rows.push(ListRow {
            id: ids::MENU.to_string(),
            title: titles::MENU.to_string(),
            description: Some("Lihat semua pilihan layanan".to_string()),
        });
        rows.push(ListRow {
            id: ids::OPERATOR.to_string(),
            title: titles::OPERATOR_ROW.to_string(),
            description: Some("Sambungkan ke petugas PROLINK SAKTI".to_string()),
        });
        self.say(Reply::List(ListMessage {
            header: Some(texts::SUGGEST_HEADER.to_string()),
            body: texts::SUGGEST_BODY.to_string(),
            footer: Some(texts::SUGGEST_FOOTER.to_string()),
            button: texts::SUGGEST_BUTTON.to_string(),
            sections: vec![ListSection {
                title: Some(texts::SUGGEST_SECTION.to_string()),
                rows,
            }],
        }));
        self.turn.session.menu = Some("suggest".to_string());
        self.turn.session.suggestions = offered;
        self.record_unanswered(text, answered);
    }

    fn fallback(&mut self, text: &str, answered: &Answered) {
        self.say(buttons(
            texts::FALLBACK,
            &[(ids::MENU, titles::MENU), (ids::OPERATOR, titles::OPERATOR)],
        ));
        self.record_unanswered(text, answered);
    }

    fn record_unanswered(&mut self, text: &str, answered: &Answered) {
        self.turn.unanswered = Some(Unanswered {
            text_masked: mask_pii(text),
            candidates: answered.candidates(),
        });
    }

    fn note_suggestion(&mut self, id: &str) {
        if self.offered.iter().any(|o| o == id) {
            self.turn.accepted_suggestion = Some(id.to_string());
        }
    }

    // -----------------------------------------------------------------------------------------
    // Menus
    // -----------------------------------------------------------------------------------------

    fn main_menu(&mut self, greet: bool) {
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

    fn menu_action(&mut self, action: MenuAction) {
        match action {
            MenuAction::Submenu { menu } => match self.content().menu_page(&menu) {
                Some(page) => {
                    self.turn.session.menu = Some(menu);
                    self.say(Reply::List(list_from_page(page)));
                }
                None => self.stale_choice(),
            },
            MenuAction::FaqCategory { category } => {
                self.list_page(&ListKey::FaqCategory(category), 1)
            }
            MenuAction::ServiceCategory { category } => {
                self.list_page(&ListKey::ServiceCategory(category), 1)
            }
            MenuAction::ComplaintStart => self.complaint(None, false, None),
            MenuAction::ComplaintList => self.tracking(None),
            MenuAction::Emergency => self.emergency(&[]),
            MenuAction::Subscriptions => self.start_subscription(),
            MenuAction::Handoff => self.start_handoff(),
            MenuAction::Faq { id } => self.show_faq(&id),
        }
    }

    /// Page `page` of a runtime list; a page that no longer exists (the list shrank since it
    /// was sent) falls back to the first one.
    pub(super) fn list_page(&mut self, key: &ListKey, page: usize) {
        let found = self
            .content()
            .list_page(key, page)
            .map(|p| (p, page))
            .or_else(|| self.content().list_page(key, 1).map(|p| (p, 1)));
        let Some((mut list, shown)) = found else {
            return self.say(buttons(texts::EMPTY_LIST, &[(ids::MENU, titles::MENU)]));
        };
        if *key == ListKey::Topics {
            self.topic_list_body(&mut list);
        }
        self.turn.session.menu = Some(
            RowTarget::Page {
                key: key.clone(),
                page: shown,
            }
            .row_id(),
        );
        self.say(Reply::List(list_from_page(list)));
    }

    fn stale_choice(&mut self) {
        self.text(texts::STALE_CHOICE);
        self.main_menu(false);
    }

    // -----------------------------------------------------------------------------------------
    // Emergency, complaints (placeholders), handoff
    // -----------------------------------------------------------------------------------------

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

    fn is_emergency_id(&self, target: Option<&RowTarget>) -> bool {
        match target {
            Some(RowTarget::MenuRow(row)) => self
                .content()
                .menu_row(row)
                .is_some_and(|r| r.action == MenuAction::Emergency),
            Some(RowTarget::ComplaintCategory(c)) => {
                self.content().category(c).is_some_and(|c| c.emergency)
            }
            _ => false,
        }
    }

    fn start_handoff(&mut self) {
        let now = self.env.now_ms;
        let holidays = &self.content().holidays;
        let text = if calendar::is_office_hours(now, holidays) {
            texts::handoff_office_hours()
        } else {
            let morning = calendar::next_working_morning(now, holidays);
            texts::handoff_after_hours(&calendar::format_date_id(calendar::wib_date(morning)))
        };
        if self.turn.session.flow == Some(Flow::Subscription) {
            self.turn.session.flow = None;
        }
        self.suspend_complaint();
        self.turn.session.handoff = Some(Handoff {
            since_ms: now,
            until_ms: now + HANDOFF_TTL_MS,
        });
        self.turn.handoff_requested = true;
        self.say(buttons(text, &[(ids::CANCEL, titles::BACK_TO_BOT)]));
    }

    fn end_handoff(&mut self, with_menu: bool) {
        self.turn.session.handoff = None;
        self.text(texts::HANDOFF_ENDED_BY_CITIZEN);
        if with_menu {
            self.main_menu(false);
        }
    }

    fn cancel(&mut self) {
        match self.turn.session.flow.take() {
            Some(Flow::Subscription) => {
                let names = self.topic_names();
                self.text(texts::subscription_cancelled(&names));
            }
            Some(Flow::Complaint(_)) => {
                self.turn.session.suspended_complaint = None;
                self.text(texts::CANCEL_COMPLAINT)
            }
            None if self.turn.session.suspended_complaint.take().is_some() => {
                self.text(texts::CANCEL_COMPLAINT)
            }
            None if self.drop_rating_comment() => self.text(ct::COMMENT_SKIPPED),
            None => self.say(buttons(texts::CANCEL_NOTHING, &[(ids::MENU, titles::MENU)])),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Subscriptions
    // -----------------------------------------------------------------------------------------

    fn start_subscription(&mut self) {
        if self.content().topics.is_empty() {
            return self.text(texts::SUBSCRIPTION_EMPTY);
        }
        if self.suspend_complaint() {
            self.text(ct::FORM_SUSPENDED);
        }
        if self.turn.session.flow.is_none() {
            self.turn.session.flow = Some(Flow::Subscription);
        }
        self.list_page(&ListKey::Topics, 1);
    }

    fn topic_list_body(&self, page: &mut ListPage) {
        page.body = format!(
            "{}\n\n{}\n{}",
            page.body,
            texts::current_topics(&self.topic_names()),
            texts::TOPIC_LIST_HINT
        );
    }

    /// Subscribed topic names, in display order.
    fn topic_names(&self) -> Vec<String> {
        self.content()
            .topics
            .iter()
            .filter(|t| self.turn.profile.topics.contains(&t.id))
            .map(|t| t.name.clone())
            .collect()
    }

    fn toggle_topic(&mut self, id: &str) {
        let Some(topic) = self.content().topic(id) else {
            return self.stale_choice();
        };
        let name = topic.name.clone();
        let profile = &mut self.turn.profile;
        let added = if profile.topics.iter().any(|t| t == id) {
            profile.topics.retain(|t| t != id);
            false
        } else {
            profile.topics.push(id.to_string());
            true
        };
        // Keep the stored order stable (display order), whatever order the taps came in.
        let order: Vec<String> = self.content().topics.iter().map(|t| t.id.clone()).collect();
        let profile = &mut self.turn.profile;
        profile
            .topics
            .sort_by_key(|t| order.iter().position(|o| o == t).unwrap_or(usize::MAX));
        profile.broadcast_opt_in = !profile.topics.is_empty();
        if self.turn.session.flow.is_none() {
            self.turn.session.flow = Some(Flow::Subscription);
        }
        let change = if added {
            texts::topic_added(&name)
        } else {
            texts::topic_removed(&name)
        };
        let body = format!(
            "{change}\n\n{}\n\n{}",
            texts::current_topics(&self.topic_names()),
            texts::TOPIC_NEXT
        );
        self.say(buttons(
            body,
            &[(ids::DONE, titles::DONE), (ids::TOPICS, titles::TOPICS)],
        ));
    }

    fn finish_subscription(&mut self) {
        if self.turn.session.flow == Some(Flow::Subscription) {
            self.turn.session.flow = None;
        }
        let names = self.topic_names();
        self.text(texts::subscription_done(&names));
    }

    fn stop(&mut self) {
        let profile = &mut self.turn.profile;
        profile.broadcast_opt_in = false;
        profile.topics.clear();
        // A topic choice ends with the opt-out; a complaint form goes on.
        if self.turn.session.flow == Some(Flow::Subscription) {
            self.turn.session.flow = None;
        }
        self.text(texts::STOP_DONE);
    }
}

pub(super) fn is_emergency(answered: &Answered) -> bool {
    answered.kind == AnswerKind::Emergency && answered.decision == Decision::Answer
}

/// Ids the engine can route (a template button's payload may be free text instead).
fn is_known_id(id: &str) -> bool {
    [
        ids::MENU,
        ids::OPERATOR,
        ids::DONE,
        ids::TOPICS,
        ids::COMPLAINT,
        ids::CANCEL,
    ]
    .contains(&id)
        || id.starts_with(cid::PREFIX)
        || RowTarget::parse(id).is_some()
}

/// The `darurat` entry that lists the emergency numbers (keyword `nomor darurat`), else the
/// one about 112 itself.
fn emergency_numbers_faq(content: &ContentBundle) -> Option<&Faq> {
    let darurat = || content.faqs.iter().filter(|f| f.category == "darurat");
    darurat()
        .find(|f| f.keywords.iter().any(|k| k == "nomor darurat"))
        .or_else(|| darurat().find(|f| f.keywords.iter().any(|k| k == "112")))
}
