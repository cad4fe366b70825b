//! Free text: an answer from the FAQ, suggestions below confidence, the fallback.

use prolink_app::ports::Answerer;
use prolink_domain::{
    dialog::{
        reply::Reply,
        texts::{self, ids},
        AnswerKind, Answered, Decision,
    },
    nlp::{Engine, KnowledgeBase},
};

use super::chat::*;
use crate::support::seed;

#[test]
fn a_clear_question_is_answered_from_the_faq() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    let turn = chat.say("apa saja syarat bikin KTP-el baru?");
    assert_eq!(
        as_text(only(&turn)),
        answer_of("kependudukan.ktp-el-baru", &content)
    );
    assert!(turn.unanswered.is_none());
}

#[test]
fn every_faq_question_finds_its_entry() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut missed = Vec::new();
    for faq in &content.faqs {
        let answered = Answerer::answer(&answerer, &faq.question);
        let found = match answered.decision {
            Decision::Answer => answered.id.as_deref() == Some(faq.id.as_str()),
            Decision::Suggest => answered.alternatives.contains(&faq.id),
            Decision::Fallback => false,
        };
        if !found {
            missed.push(format!("{}: {answered:?}", faq.id));
        }
    }
    assert!(
        missed.is_empty(),
        "{} of {} missed:\n{}",
        missed.len(),
        content.faqs.len(),
        missed.join("\n")
    );
}

#[test]
fn every_service_is_reached_by_its_name() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    let mut missed = Vec::new();
    for service in &content.services {
        let turn = chat.say(&service.name);
        let texts: Vec<String> = turn.replies.iter().map(Reply::plain_text).collect();
        // The card itself, or a FAQ entry about the same procedure (FAQ wins when both fit).
        let card = texts.iter().any(|text| text.contains(&service.name));
        let faq = content.faqs.iter().any(|faq| {
            texts
                .iter()
                .any(|text| text.contains(faq.answer.lines().next().unwrap_or("\u{0}")))
        });
        if !(card || faq) {
            missed.push(format!("{}: {texts:?}", service.id));
        }
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}

fn suggestion(alternatives: &[&str]) -> Answered {
    Answered {
        kind: AnswerKind::Fallback,
        id: None,
        score: 0.4,
        alternatives: alternatives.iter().map(|s| s.to_string()).collect(),
        alternative_scores: vec![0.4, 0.35, 0.3, 0.2],
        decision: Decision::Suggest,
    }
}

#[test]
fn below_confidence_the_top_three_are_offered_and_the_question_recorded() {
    let content = seed();
    let answerer = Fixed(suggestion(&[
        "kependudukan.ktp-el-baru",
        "svc.kependudukan.kk",
        "not-an-entry",
        "kependudukan.kk-baru-perubahan",
        "pajak.pbb-bayar",
    ]));
    let mut chat = Chat::new(&content, &answerer);
    let turn = chat.say("ktp sama kk gmn");
    let reply = only(&turn);
    let list = as_list(reply);
    assert_eq!(list.header.as_deref(), Some(texts::SUGGEST_HEADER));
    assert_eq!(
        row_ids(reply),
        vec![
            "faq:kependudukan.ktp-el-baru",
            "service:svc.kependudukan.kk",
            "faq:kependudukan.kk-baru-perubahan",
            ids::MENU,
            ids::OPERATOR,
        ]
    );
    let faq = content.faq("kependudukan.ktp-el-baru").expect("faq");
    assert_eq!(list.sections[0].rows[0].title, faq.title);
    assert_eq!(
        list.sections[0].rows[0].description.as_deref(),
        Some(faq.summary.as_str())
    );
    let unanswered = turn.unanswered.expect("recorded");
    assert_eq!(unanswered.text_masked, "ktp sama kk gmn");
    assert_eq!(
        unanswered.candidates[0],
        ("kependudukan.ktp-el-baru".to_string(), 0.4)
    );
    assert_eq!(
        chat.session.suggestions,
        vec![
            "kependudukan.ktp-el-baru",
            "svc.kependudukan.kk",
            "kependudukan.kk-baru-perubahan"
        ]
    );

    // Taking a suggestion answers it and tells the calibration which one was right.
    let turn = chat.tap("faq:kependudukan.kk-baru-perubahan");
    assert_eq!(
        turn.accepted_suggestion.as_deref(),
        Some("kependudukan.kk-baru-perubahan")
    );
    assert!(chat.session.suggestions.is_empty());
    let turn = chat.tap("faq:kependudukan.kk-baru-perubahan");
    assert_eq!(turn.accepted_suggestion, None);

    // Suggestions that resolve to nothing fall back.
    let answerer = Fixed(suggestion(&["nothing", "complaint-category"]));
    let mut chat = Chat::new(&content, &answerer);
    let turn = chat.say("blabla");
    assert_eq!(
        button_ids(only(&turn)),
        vec![ids::MENU.to_string(), ids::OPERATOR.to_string()]
    );
}

#[test]
fn fallback_offers_the_menu_or_an_officer_and_records_the_masked_text() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    let turn = chat.say("NIK saya 3574012345670001 hp 081234567890 zxqv wibble");
    assert_eq!(
        button_ids(only(&turn)),
        vec![ids::MENU.to_string(), ids::OPERATOR.to_string()]
    );
    let unanswered = turn.unanswered.expect("recorded");
    assert!(!unanswered.text_masked.contains("3574012345670001"));
    assert!(!unanswered.text_masked.contains("081234567890"));
    assert!(unanswered.text_masked.contains("[NIK]"));
    assert!(unanswered.text_masked.contains("[TELP]"));

    // The buttons work.
    let turn = chat.send(button_tap(ids::MENU));
    assert!(is_main_menu(&content, only(&turn)));
    let turn = chat.send(button_tap(ids::OPERATOR));
    assert!(turn.handoff_requested);

    // Only emoji: a friendly nudge, nothing to record.
    let mut chat = Chat::new(&content, &answerer);
    let turn = chat.say("🙏🙏");
    assert_eq!(as_text(only(&turn)), texts::SMALL_TALK);
    assert!(turn.unanswered.is_none());
}
