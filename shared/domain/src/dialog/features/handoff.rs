//! Handoff: the citizen asks for a human (`OPERATOR`, *Bicara ke Petugas*) and the bot goes
//! quiet for up to [`HANDOFF_TTL_MS`] while an operator answers; emergencies are still
//! answered, `BATAL` and `MENU` give the conversation back to the bot.

use crate::calendar;
use crate::content::{MenuAction, RowTarget};
use crate::dialog::{
    keywords::Keyword,
    reply::{buttons, Reply},
    session::{Flow, Handoff, Session, HANDOFF_TTL_MS},
    texts::{self, ids, titles},
    turn::{is_emergency, TurnBuilder},
};

/// The operator hands the conversation back to the bot.
pub fn hand_back(mut session: Session) -> Session {
    session.handoff = None;
    session
}

/// What to tell the citizen when an operator hands the conversation back.
pub fn hand_back_notice() -> Reply {
    Reply::Text(texts::HANDED_BACK.to_string())
}

/// Whether the conversation is with an operator. A handoff past its time lapses here, and
/// the citizen is told before the message is handled as usual.
pub(in crate::dialog) fn still_active(t: &mut TurnBuilder) -> bool {
    let now = t.env.now_ms;
    if let Some(handoff) = t.turn.session.handoff {
        if handoff.until_ms <= now {
            t.turn.session.handoff = None;
            t.text(texts::HANDOFF_LAPSED);
        }
    }
    t.turn.session.active_handoff(now).is_some()
}

pub(in crate::dialog) fn start(t: &mut TurnBuilder) {
    let now = t.env.now_ms;
    let holidays = &t.content().holidays;
    let text = if calendar::is_office_hours(now, holidays) {
        texts::handoff_office_hours()
    } else {
        let morning = calendar::next_working_morning(now, holidays);
        texts::handoff_after_hours(&calendar::format_date_id(calendar::wib_date(morning)))
    };
    if t.turn.session.flow == Some(Flow::Subscription) {
        t.turn.session.flow = None;
    }
    t.suspend_complaint();
    t.turn.session.handoff = Some(Handoff {
        since_ms: now,
        until_ms: now + HANDOFF_TTL_MS,
    });
    t.turn.handoff_requested = true;
    t.say(buttons(text, &[(ids::CANCEL, titles::BACK_TO_BOT)]));
}

fn end(t: &mut TurnBuilder, with_menu: bool) {
    t.turn.session.handoff = None;
    t.text(texts::HANDOFF_ENDED_BY_CITIZEN);
    if with_menu {
        t.main_menu(false);
    }
}

/// The message is for the operator: the bot stays quiet.
pub(in crate::dialog) fn forward(t: &mut TurnBuilder) {
    t.turn.forwarded_to_operator = true;
}

/// Text during a handoff: `BATAL` ends it, `MENU` ends it with the menu, an emergency is
/// answered (the handoff goes on); anything else is the operator's.
pub(in crate::dialog) fn on_text(t: &mut TurnBuilder, keyword: Option<Keyword>) {
    match keyword {
        Some(Keyword::Cancel) => end(t, false),
        Some(Keyword::Menu) => end(t, true),
        _ => {
            let answered = t.answer();
            if is_emergency(&answered) {
                t.emergency(&answered.alternatives);
            } else {
                forward(t);
            }
        }
    }
}

/// A tap during a handoff, with the same exits as [`on_text`].
pub(in crate::dialog) fn on_id(t: &mut TurnBuilder, id: &str) {
    let target = RowTarget::parse(id);
    if id == ids::MENU || target == Some(RowTarget::Back) {
        end(t, true);
    } else if id == ids::CANCEL {
        end(t, false);
    } else if is_emergency_id(t, target.as_ref()) {
        t.emergency(&[]);
    } else {
        forward(t);
    }
}

fn is_emergency_id(t: &TurnBuilder, target: Option<&RowTarget>) -> bool {
    match target {
        Some(RowTarget::MenuRow(row)) => t
            .content()
            .menu_row(row)
            .is_some_and(|r| r.action == MenuAction::Emergency),
        Some(RowTarget::ComplaintCategory(c)) => {
            t.content().category(c).is_some_and(|c| c.emergency)
        }
        _ => false,
    }
}
