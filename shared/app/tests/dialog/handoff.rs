//! Handoff to an officer: the promise, the quiet bot, the lapse and the hand-back.

use prolink_domain::{
    dialog::{
        hand_back,
        texts::{self, ids},
        HANDOFF_TTL_MS,
    },
    nlp::{Engine, KnowledgeBase},
};
use prolink_whatsapp::webhook::MessageContent;

use super::chat::*;
use crate::support::{seed, wib};

#[test]
fn handoff_in_office_hours_promises_an_answer_soon() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    let turn = chat.tap("menu.petugas");
    assert!(turn.handoff_requested);
    let reply = only(&turn);
    assert!(reply.plain_text().contains("*segera*"));
    assert_eq!(button_ids(reply), vec![ids::CANCEL.to_string()]);
    let handoff = chat.session.handoff.expect("handoff");
    assert_eq!(handoff.since_ms, chat.now_ms);
    assert_eq!(handoff.until_ms, chat.now_ms + HANDOFF_TTL_MS);
}

#[test]
fn handoff_outside_office_hours_names_the_next_working_morning() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let cases = [
        // Friday 17:00 → Monday.
        (wib(2026, 11, 27, 17, 0), "Senin, 30 November 2026"),
        // Saturday → Monday.
        (wib(2026, 11, 28, 10, 0), "Senin, 30 November 2026"),
        // Monday 06:00 → the same morning.
        (wib(2026, 11, 30, 6, 0), "Senin, 30 November 2026"),
        // Kenaikan Yesus Kristus (Thursday), then cuti bersama (Friday) → Monday.
        (wib(2026, 5, 14, 10, 0), "Senin, 18 Mei 2026"),
    ];
    for (now, expected) in cases {
        let mut chat = Chat::new(&content, &answerer);
        chat.now_ms = now;
        let turn = chat.say("OPERATOR");
        let text = only(&turn).plain_text();
        assert!(
            text.contains(&format!("*{expected}*")),
            "{expected}: {text}"
        );
        assert!(text.contains("08.00 WIB"));
        assert!(!text.contains("*segera*"));
    }
}

#[test]
fn the_bot_is_quiet_during_a_handoff_except_for_emergencies_and_menu_or_cancel() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    chat.say("operator");
    let handoff = chat.session.handoff;

    for message in [
        text("halo"),
        text("syarat ktp el baru apa saja"),
        text("operator??"),
        text("stop"),
        list_tap("menu.info"),
        list_tap("faq:kependudukan.kk-baru-perubahan"),
        message(MessageContent::Image(media())),
        message(MessageContent::Sticker(media())),
    ] {
        chat.now_ms += 10 * MINUTE_MS;
        let turn = chat.send(message.clone());
        assert!(turn.replies.is_empty(), "{message:?}: {:#?}", turn.replies);
        assert!(turn.forwarded_to_operator);
        assert!(turn.unanswered.is_none());
    }
    assert_eq!(chat.session.handoff, handoff);
    // STOP was for the operator, not a command.
    assert!(chat.profile.topics.is_empty());

    let turn = chat.say("tolong ada kecelakaan motor di depan alun-alun, korbannya pingsan");
    assert!(as_text(only(&turn)).starts_with(texts::EMERGENCY_HEAD));
    assert!(!turn.forwarded_to_operator);
    assert_eq!(chat.session.handoff, handoff);

    let turn = chat.say("batal");
    assert_eq!(as_text(only(&turn)), texts::HANDOFF_ENDED_BY_CITIZEN);
    assert_eq!(chat.session.handoff, None);
    let turn = chat.say("halo");
    assert!(is_main_menu(&content, only(&turn)));

    chat.say("petugas");
    let turn = chat.say("menu");
    assert_eq!(turn.replies.len(), 2);
    assert_eq!(as_text(&turn.replies[0]), texts::HANDOFF_ENDED_BY_CITIZEN);
    assert!(is_main_menu(&content, &turn.replies[1]));
    assert_eq!(chat.session.handoff, None);

    chat.say("petugas");
    let turn = chat.send(button_tap(ids::CANCEL));
    assert_eq!(as_text(only(&turn)), texts::HANDOFF_ENDED_BY_CITIZEN);
}

#[test]
fn a_handoff_lapses_after_24_hours_with_a_notice() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    let start = chat.now_ms;
    chat.say("operator");

    chat.now_ms = start + HANDOFF_TTL_MS - MINUTE_MS;
    assert!(chat.say("halo").replies.is_empty());

    chat.now_ms = start + HANDOFF_TTL_MS + MINUTE_MS;
    let turn = chat.say("halo");
    assert_eq!(turn.replies.len(), 2);
    assert_eq!(as_text(&turn.replies[0]), texts::HANDOFF_LAPSED);
    assert!(is_main_menu(&content, &turn.replies[1]));
    assert_eq!(chat.session.handoff, None);

    // The notice is given once.
    let turn = chat.say("halo");
    assert!(is_main_menu(&content, only(&turn)));
}

#[test]
fn an_operator_hands_the_conversation_back() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    chat.say("operator");
    chat.session = hand_back(chat.session.clone());
    assert_eq!(chat.session.handoff, None);
    let turn = chat.say("halo");
    assert!(is_main_menu(&content, only(&turn)));
    assert_sendable(&[prolink_domain::dialog::hand_back_notice()]);
}

/// Asking for an officer in one's own words starts the handoff as the keyword does; asking
/// *how* to reach one gets the FAQ answer. Thanks get a "sama-sama" instead of the generic
/// small-talk prompt.
#[test]
fn a_request_for_an_officer_in_free_text_hands_off_and_thanks_get_an_answer() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    for request in [
        "saya mau bicara langsung dengan petugas",
        "tolong sambungkan ke admin manusia",
    ] {
        let mut chat = Chat::new(&content, &answerer);
        let turn = chat.say(request);
        assert!(turn.handoff_requested, "{request}: {:?}", turn.replies);
        assert!(chat.session.handoff.is_some(), "{request}");
    }
    let mut chat = Chat::new(&content, &answerer);
    let turn = chat.say("gimana caranya chat petugas?");
    assert!(
        !turn.handoff_requested,
        "a question about the way is answered"
    );

    for thanks in [
        "oke makasih banyak min",
        "matur nuwun",
        "terima kasih infonya",
        "makasih min, penjelasannya sudah jelas dan sangat membantu",
    ] {
        let mut chat = Chat::new(&content, &answerer);
        let turn = chat.say(thanks);
        let text = only(&turn).plain_text();
        assert!(text.starts_with("Sama-sama"), "{thanks}: {text}");
    }
    // Thanks beside a real question: the question is answered.
    let mut chat = Chat::new(&content, &answerer);
    let turn = chat.say("makasih ya, terus syarat bikin kartu keluarga baru apa aja?");
    assert!(
        !turn
            .replies
            .iter()
            .any(|r| r.plain_text().starts_with("Sama-sama")),
        "{:?}",
        turn.replies
    );
}
