//! Which feature a message is for: the rules of [the module docs](super), in code. Each
//! input is parsed here and handed to one feature (`features::*`), which decides the turn
//! through the [`TurnBuilder`]; features never call one another.

use super::{
    answer::{AnswerKind, Answered, Decision},
    complaint_texts::{self as ct, ids as cid},
    features::{additions, complaint_form, followup, handoff, knowledge, subscriptions, tracking},
    input::{Inbound, Input},
    keywords::{self, Keyword},
    reply::{buttons, list_from_page, truncate_chars, Reply},
    session::{Flow, Session},
    texts::{self, ids, titles},
    turn::{is_emergency, DialogEnv, Turn, TurnBuilder},
};
use crate::citizen::{CitizenProfile, CitizenRef};
use crate::complaint::{find_ticket, AddedInfo, ComplaintLocation, Photo};
use crate::content::{ListKey, MenuAction, RowTarget};

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
    let mut t = TurnBuilder::new(env, session, profile, citizen, message);
    handle(&mut t, message);
    t.finish()
}

fn handle(t: &mut TurnBuilder, message: &Inbound) {
    // Reactions need no answer and identity changes are the worker's business; neither is a
    // conversation turn.
    if matches!(message.input, Input::Ignored) {
        return;
    }
    let now = t.env.now_ms;
    t.turn.session.last_inbound_ms = Some(now);
    t.turn.profile.last_inbound_ms = Some(now);
    t.offered = std::mem::take(&mut t.turn.session.suggestions);
    let in_handoff = handoff::still_active(t);
    match &message.input {
        Input::Text(body) => on_text(t, body, in_handoff),
        Input::Choice(id) => on_id(t, id, in_handoff),
        Input::QuickReply { payload, text } => {
            let payload = payload.as_deref().filter(|p| is_known_id(p));
            match (payload, text.as_deref()) {
                (Some(id), _) => on_id(t, id, in_handoff),
                (None, Some(text)) => on_text(t, text, in_handoff),
                (None, None) => unreadable(t, "button", in_handoff),
            }
        }
        Input::Photo(photo) => media(t, "image", Some(photo), None, in_handoff),
        Input::Video => media(t, "video", None, None, in_handoff),
        Input::Location(location) => media(t, "location", None, Some(location), in_handoff),
        Input::Unreadable(kind) => unreadable(t, kind, in_handoff),
        Input::Ignored => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

fn on_text(t: &mut TurnBuilder, text: &str, in_handoff: bool) {
    let keyword = keywords::detect(text);
    // A request to erase one's data is heard in any state, a handoff included: the right
    // does not wait for a form or an operator to finish.
    if keyword == Some(Keyword::EraseData) {
        return erase_data(t);
    }
    if in_handoff {
        return handoff::on_text(t, keyword);
    }
    if let Some(ticket) = find_ticket(text) {
        return tracking::ticket_command(t, &ticket, text);
    }
    match keyword {
        Some(Keyword::Menu) => return t.main_menu(false),
        Some(Keyword::Greeting) => return t.main_menu(true),
        Some(Keyword::Cancel) => return cancel(t),
        Some(Keyword::Help) => return t.text(texts::HELP),
        Some(Keyword::Operator) => return handoff::start(t),
        Some(Keyword::Stop) => return subscriptions::stop(t),
        Some(Keyword::Start) => return subscriptions::start(t),
        Some(Keyword::EraseData) => return erase_data(t),
        None => {}
    }
    if tracking::asks_for_own_complaints(text) {
        return tracking::show(t, None);
    }
    if complaint_form::asks_to_complain(text) {
        return complaint_form::start(t, None, false, None);
    }
    if keywords::words(text).is_empty() {
        // Only emoji or punctuation: nothing to look up, nothing to record.
        return t.text(texts::SMALL_TALK);
    }
    if matches!(t.turn.session.flow, Some(Flow::Complaint(_))) {
        // Emergencies win over every answer the form waits for.
        let answered = t.answer();
        if is_emergency(&answered) {
            return t.emergency(&answered.alternatives);
        }
        return complaint_form::on_text(t, text, &answered);
    }
    if t.turn.session.flow.is_none() {
        if let Some(target) = followup::comment_target(t) {
            let answered = t.answer();
            if is_emergency(&answered) {
                return t.emergency(&answered.alternatives);
            }
            return followup::comment(t, &target, text);
        }
        if let Some(target) = additions::target(t) {
            let answered = t.answer();
            if is_emergency(&answered) {
                return t.emergency(&answered.alternatives);
            }
            let info = AddedInfo {
                text: Some(truncate_chars(text.trim(), ct::DESCRIPTION_MAX_CHARS)),
                ..AddedInfo::default()
            };
            return additions::attach(t, &target, info);
        }
    }
    if t.turn.session.flow == Some(Flow::Subscription) && subscriptions::on_text(t, text) {
        return;
    }
    let answered = t.answer();
    act_on_answer(t, text, answered);
}

fn act_on_answer(t: &mut TurnBuilder, text: &str, answered: Answered) {
    match answered.decision {
        Decision::Answer => match (answered.kind, answered.id.clone()) {
            (AnswerKind::Emergency, _) => t.emergency(&answered.alternatives),
            // "mau ngomong sama petugas": the request itself, not a question about how to
            // reach one, goes where the OPERATOR keyword goes.
            (AnswerKind::Faq, Some(id)) if id == HANDOFF_FAQ && !asks_how(text) => {
                handoff::start(t)
            }
            (AnswerKind::Faq, Some(id)) if t.content().faq(&id).is_some() => {
                knowledge::show_faq(t, &id);
                knowledge::offer_rephrase(t, text, &id, &answered.alternatives);
            }
            (AnswerKind::Service, Some(id)) if t.content().service(&id).is_some() => {
                knowledge::show_service(t, &id)
            }
            (AnswerKind::Complaint, id) => {
                complaint_form::start(t, id.as_deref(), false, Some(text))
            }
            (AnswerKind::Tracking, ticket) => tracking::show(t, ticket.as_deref()),
            (AnswerKind::Greeting, _) => t.main_menu(true),
            (AnswerKind::Smalltalk, _) if says_thanks(text) => t.text(texts::THANKS),
            (AnswerKind::Smalltalk, _) => t.text(texts::SMALL_TALK),
            _ => knowledge::fallback(t, text, &answered),
        },
        // A short thank-you the engine did not place ("terima kasih infonya") is still thanks,
        // not a question it failed to answer.
        Decision::Fallback if says_thanks(text) && keywords::words(text).len() <= 4 => {
            t.text(texts::THANKS)
        }
        Decision::Suggest => knowledge::suggest(t, text, &answered),
        Decision::Fallback => knowledge::fallback(t, text, &answered),
    }
}

/// The FAQ entry on reaching an officer: answered as the request when the message asks for
/// one rather than how.
const HANDOFF_FAQ: &str = "umum.bicara-petugas";

/// A question about the way ("gimana caranya chat petugas?"), not the request itself.
fn asks_how(text: &str) -> bool {
    const HOW: [&str; 14] = [
        "cara",
        "caranya",
        "carane",
        "bagaimana",
        "gimana",
        "gmn",
        "gmna",
        "gemana",
        "piye",
        "pripun",
        "kepiye",
        "yaopo",
        "dhâremma",
        "bisakah",
    ];
    keywords::words(text)
        .iter()
        .any(|w| HOW.contains(&w.as_str()))
}

/// Thanks in any of the city's languages ("makasih ya min", "matur nuwun", "sakalangkong").
fn says_thanks(text: &str) -> bool {
    const THANKS: [&str; 16] = [
        "makasih",
        "makasi",
        "mksh",
        "makasiih",
        "terima",
        "trims",
        "thx",
        "thanks",
        "tq",
        "nuwun",
        "suwun",
        "sakalangkong",
        "tengkyu",
        "thank",
        "trimakasih",
        "terimakasih",
    ];
    keywords::words(text)
        .iter()
        .any(|w| THANKS.contains(&w.as_str()))
}

/// `HAPUS DATA SAYA`: the request is recorded for an admin, who checks and confirms it
/// (erasure cannot be undone, so the bot never erases on its own).
fn erase_data(t: &mut TurnBuilder) {
    t.turn.erasure_requested = true;
    t.text(texts::ERASURE_REQUESTED);
}

/// `BATAL`: ends what is in progress, the first of a topic choice, a complaint form (open or
/// set aside) and a rating comment's invitation.
fn cancel(t: &mut TurnBuilder) {
    if subscriptions::cancel(t) || complaint_form::cancel(t) || followup::skip_comment(t) {
        return;
    }
    t.say(buttons(texts::CANCEL_NOTHING, &[(ids::MENU, titles::MENU)]));
}

// ---------------------------------------------------------------------------------------------
// Interactive ids
// ---------------------------------------------------------------------------------------------

fn on_id(t: &mut TurnBuilder, id: &str, in_handoff: bool) {
    if in_handoff {
        return handoff::on_id(t, id);
    }
    match id {
        ids::MENU => return t.main_menu(false),
        ids::OPERATOR => return handoff::start(t),
        ids::DONE => return subscriptions::finish(t),
        ids::TOPICS => return subscriptions::start(t),
        ids::COMPLAINT => return complaint_form::start(t, None, false, None),
        ids::CANCEL => return cancel(t),
        _ => {}
    }
    if id.starts_with(cid::PREFIX) {
        return on_complaint_id(t, id);
    }
    match RowTarget::parse(id) {
        Some(RowTarget::MenuRow(row_id)) => match t.content().menu_row(&row_id) {
            Some(row) => {
                let action = row.action.clone();
                menu_action(t, action);
            }
            None => t.stale_choice(),
        },
        Some(RowTarget::Back) => t.main_menu(false),
        Some(RowTarget::Page {
            key: ListKey::Topics,
            page,
        }) => subscriptions::topic_page(t, page),
        Some(RowTarget::Page { key, page }) => t.list_page(&key, page),
        Some(RowTarget::Faq(faq)) => {
            knowledge::note_suggestion(t, &faq);
            knowledge::show_faq(t, &faq);
        }
        Some(RowTarget::Service(service)) => {
            knowledge::note_suggestion(t, &service);
            knowledge::show_service(t, &service);
        }
        Some(RowTarget::ComplaintCategory(category)) => {
            complaint_form::start(t, Some(&category), true, None)
        }
        Some(RowTarget::Topic(topic)) => subscriptions::toggle_topic(t, &topic),
        None => t.stale_choice(),
    }
}

/// The complaint buttons and rows (`aduan:…`): tracking's, the follow-up's, then the form's.
fn on_complaint_id(t: &mut TurnBuilder, id: &str) {
    if let Some(ticket) = id.strip_prefix(cid::WITHDRAW_PREFIX) {
        return tracking::withdraw(t, ticket);
    }
    if let Some(ticket) = id.strip_prefix(cid::TRACK_PREFIX) {
        return tracking::show(t, Some(ticket));
    }
    if let Some(tap) = followup::Tap::parse(id) {
        return followup::on_tap(t, tap);
    }
    let form_gone = !matches!(t.turn.session.flow, Some(Flow::Complaint(_)))
        && t.turn.session.suspended_complaint.is_none();
    match id {
        cid::KEEP => tracking::keep(t),
        cid::TRACK_LIST => tracking::show(t, None),
        // *Kirim* again (a double tap, or a late redelivery) after the complaint went out or
        // was cancelled: the list shows which. A new empty form would catch the citizen's
        // next messages as answers to its first question.
        cid::SUBMIT if form_gone => tracking::show(t, None),
        _ => complaint_form::on_button(t, id),
    }
}

fn menu_action(t: &mut TurnBuilder, action: MenuAction) {
    match action {
        MenuAction::Submenu { menu } => match t.content().menu_page(&menu) {
            Some(page) => {
                t.turn.session.menu = Some(menu);
                t.say(Reply::List(list_from_page(page)));
            }
            None => t.stale_choice(),
        },
        MenuAction::FaqCategory { category } => t.list_page(&ListKey::FaqCategory(category), 1),
        MenuAction::ServiceCategory { category } => {
            t.list_page(&ListKey::ServiceCategory(category), 1)
        }
        MenuAction::ComplaintStart => complaint_form::start(t, None, false, None),
        MenuAction::ComplaintList => tracking::show(t, None),
        MenuAction::Emergency => t.emergency(&[]),
        MenuAction::Subscriptions => subscriptions::start(t),
        MenuAction::Handoff => handoff::start(t),
        MenuAction::Faq { id } => knowledge::show_faq(t, &id),
    }
}

/// Ids the router can route (a template button's payload may be free text instead).
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

// ---------------------------------------------------------------------------------------------
// Media and what the bot cannot read
// ---------------------------------------------------------------------------------------------

fn media(
    t: &mut TurnBuilder,
    kind: &str,
    photo: Option<&Photo>,
    location: Option<&ComplaintLocation>,
    in_handoff: bool,
) {
    if in_handoff {
        return handoff::forward(t);
    }
    let usable = photo.is_some() || location.is_some();
    if matches!(t.turn.session.flow, Some(Flow::Complaint(_))) {
        if !usable {
            return t.text(ct::ONLY_PHOTOS);
        }
        return complaint_form::on_media(t, photo, location);
    }
    if usable && t.turn.session.flow.is_none() {
        let resend = photo.and_then(|_| additions::resend_target(t));
        if let Some(target) = additions::target(t).or(resend) {
            let info = AddedInfo {
                text: photo.and_then(|p| p.caption.clone()),
                photos: photo.cloned().into_iter().collect(),
                location: location.cloned(),
            };
            return additions::attach(t, &target, info);
        }
        // Kept so that *Buat Aduan* starts the form with it.
        complaint_form::keep_for_later(t, photo, location);
    }
    t.say(buttons(
        texts::media_received(kind),
        &[
            (ids::COMPLAINT, titles::COMPLAINT),
            (ids::MENU, titles::MENU),
        ],
    ));
}

fn unreadable(t: &mut TurnBuilder, kind: &str, in_handoff: bool) {
    if in_handoff {
        return handoff::forward(t);
    }
    t.say(buttons(
        texts::unreadable(kind),
        &[(ids::MENU, titles::MENU)],
    ));
}
