//! Emergencies interrupt whatever the citizen was doing; a question about them does not.

use prolink_app::ports::Answerer;
use prolink_domain::{
    dialog::{
        texts::{self},
        AnswerKind,
    },
    nlp::{Engine, KnowledgeBase},
};

use super::chat::*;
use crate::support::seed;

#[test]
fn an_emergency_interrupts_a_topic_choice_with_112_and_the_relevant_numbers() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    chat.say("mulai");
    let turn = chat.say("TOLONG ada kebakaran di rumah tetangga!!!");
    let text = as_text(only(&turn));
    assert!(text.starts_with(texts::EMERGENCY_HEAD));
    assert!(text.contains("*113*"), "fire number missing: {text}");
    assert!(text.contains(texts::EMERGENCY_FLOW_STOPPED));
    assert_eq!(chat.session.flow, None);
    assert!(turn.unanswered.is_none());

    // The menu's emergency row: 112 and the list of numbers.
    let turn = chat.tap("menu.darurat");
    let text = as_text(only(&turn));
    assert!(text.starts_with(texts::EMERGENCY_HEAD));
    for number in ["110", "113", "119", "129"] {
        assert!(text.contains(number), "{number} missing: {text}");
    }
    assert!(!text.contains(texts::EMERGENCY_FLOW_STOPPED));

    // The emergency complaint category never waits for a form.
    let turn = chat.tap("complaint:darurat-112");
    assert!(as_text(only(&turn)).starts_with(texts::EMERGENCY_HEAD));
}

#[test]
fn a_question_about_emergencies_is_not_an_emergency() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let answered = Answerer::answer(&answerer, "nomor damkar berapa ya kalau ada kebakaran");
    assert_ne!(answered.kind, AnswerKind::Emergency);
    let answered = Answerer::answer(&answerer, "tolong!! ada kecelakaan di jalan soekarno hatta");
    assert_eq!(answered.kind, AnswerKind::Emergency);
    assert!(answered
        .alternatives
        .contains(&"darurat.kecelakaan".to_string()));
}
