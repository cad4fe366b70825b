//! Menus, paging, old list taps and the keywords that work in the middle of a choice.

use prolink_domain::{
    content::{self, ListKey, RowTarget, UNVERIFIED_NOTE},
    dialog::{
        texts::{self, ids},
        ComplaintDraft, Flow,
    },
    nlp::{Engine, KnowledgeBase},
};

use super::chat::*;
use crate::support::seed;

#[test]
fn greetings_open_the_main_menu_with_the_citizens_name() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    for greeting in ["halo", "Selamat pagi min", "Assalamu'alaikum", "P"] {
        let mut chat = Chat::new(&content, &answerer);
        let turn = chat.say(greeting);
        let reply = only(&turn);
        assert!(is_main_menu(&content, reply), "{greeting}");
        assert!(as_list(reply).body.starts_with("Halo, Budi! 👋\n"));
        assert_eq!(chat.session.menu.as_deref(), Some("main"));
        assert_eq!(chat.session.last_inbound_ms, Some(chat.now_ms));
        assert_eq!(chat.profile.last_inbound_ms, Some(chat.now_ms));
        assert!(turn.unanswered.is_none());
    }
}

#[test]
fn static_menus_page_from_info_1_to_info_2_and_back() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);

    let info1 = chat.tap("menu.info");
    assert_eq!(row_ids(only(&info1)), menu_row_ids(&content, "info-1"));
    assert_eq!(row_ids(only(&info1)).len(), 10);
    assert_eq!(chat.session.menu.as_deref(), Some("info-1"));

    let info2 = chat.tap("menu.info.more");
    assert_eq!(row_ids(only(&info2)), menu_row_ids(&content, "info-2"));
    assert_eq!(chat.session.menu.as_deref(), Some("info-2"));

    let back = chat.tap("menu.info.back");
    assert!(is_main_menu(&content, only(&back)));

    let layanan = chat.tap("menu.layanan");
    assert_eq!(row_ids(only(&layanan)), menu_row_ids(&content, "layanan-1"));
    let layanan2 = chat.tap("menu.layanan.more");
    assert_eq!(
        row_ids(only(&layanan2)),
        menu_row_ids(&content, "layanan-2")
    );
}

#[test]
fn a_twelve_entry_faq_category_is_paged_nine_plus_more_then_three_plus_back() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    let expected = faq_ids(&content, "kependudukan");
    assert_eq!(expected.len(), 12);

    let first = chat.tap("menu.info.kependudukan");
    let rows = row_ids(only(&first));
    assert_eq!(rows.len(), 10);
    assert_eq!(rows[..9], expected[..9]);
    let more = RowTarget::Page {
        key: ListKey::FaqCategory("kependudukan".into()),
        page: 2,
    }
    .row_id();
    assert_eq!(rows[9], more);
    let first_list = as_list(only(&first));
    assert_eq!(
        first_list.sections[0].rows[9].title,
        content.menus.paging.more_row.title
    );

    let second = chat.tap(&more);
    let rows = row_ids(only(&second));
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[..3], expected[9..]);
    assert_eq!(rows[3], content::BACK_ROW_ID);
    assert_eq!(chat.session.menu.as_deref(), Some(more.as_str()));

    let back = chat.tap(content::BACK_ROW_ID);
    assert!(is_main_menu(&content, only(&back)));
}

#[test]
fn faq_answers_follow_the_unverified_policy() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let verified = content.faqs.iter().find(|f| f.verified).expect("verified");
    let unverified = content
        .faqs
        .iter()
        .find(|f| {
            !f.verified
                && f.category != content::HELP_CATEGORY
                && !content::says_unverified(&f.answer)
        })
        .expect("unverified");
    let opd = content.opd(&unverified.opd_id).expect("opd").name.clone();

    let mut chat = Chat::new(&content, &answerer);
    chat.show_unverified = false;
    let turn = chat.tap(&format!("faq:{}", verified.id));
    assert_eq!(as_text(only(&turn)), verified.answer);
    let turn = chat.tap(&format!("faq:{}", unverified.id));
    let referral = as_text(only(&turn));
    assert!(!referral.contains(&unverified.answer));
    assert!(referral.contains(&opd), "{referral}");

    chat.show_unverified = true;
    let turn = chat.tap(&format!("faq:{}", unverified.id));
    assert_eq!(
        as_text(only(&turn)),
        format!("{}{UNVERIFIED_NOTE}", unverified.answer)
    );

    // A menu row pointing at a FAQ answers it too.
    let turn = chat.tap("menu.tentang");
    assert!(as_text(only(&turn)).contains(&answer_of("umum.tentang-prolink-sakti", &content)));
}

#[test]
fn service_categories_list_services_and_a_tap_sends_the_card() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    let list = chat.tap("menu.layanan.kependudukan");
    let rows = row_ids(only(&list));
    let expected: Vec<String> = content
        .services
        .iter()
        .filter(|s| s.category == "kependudukan")
        .map(|s| format!("service:{}", s.id))
        .collect();
    assert_eq!(rows[..expected.len()], expected[..]);

    let service = content
        .services
        .iter()
        .find(|s| s.verified && s.category == "kependudukan")
        .expect("verified service");
    let card = chat.tap(&format!("service:{}", service.id));
    let card = as_text(only(&card));
    assert!(card.contains(&format!("*{}*", service.name)));
    assert!(card.contains("*Persyaratan:*"));
    assert!(card.contains(&service.requirements[0]));
}

#[test]
fn a_long_service_card_is_split_under_4096_and_capped_at_three_messages() {
    let mut content = seed();
    let index = content
        .services
        .iter()
        .position(|s| s.verified && !s.online_url.is_empty())
        .expect("verified service with a link");
    let requirement = "Dokumen pendukung yang dilegalisasi oleh instansi penerbit";
    content.services[index].requirements = (1..=100)
        .map(|i| format!("{requirement} nomor {i}"))
        .collect();
    let id = content.services[index].id.clone();
    let url = content.services[index].online_url.clone();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);

    let turn = chat.tap(&format!("service:{id}"));
    assert_eq!(turn.replies.len(), 2, "{:#?}", turn.replies);
    let parts: Vec<&str> = turn.replies.iter().map(as_text).collect();
    assert!(parts.iter().all(|p| p.chars().count() <= 4096));
    assert!(parts[0].contains("nomor 1\n"));
    assert!(parts[1].contains("nomor 100"));
    assert!(parts[1].contains("*Biaya:*"));

    // Far too long: two parts and a note instead of a flood of messages.
    content.services[index].requirements = (1..=400)
        .map(|i| format!("{requirement} nomor {i}"))
        .collect();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    let turn = chat.tap(&format!("service:{id}"));
    assert_eq!(turn.replies.len(), texts::MAX_CARD_MESSAGES);
    let note = as_text(&turn.replies[2]);
    assert!(note.contains("terlalu panjang"));
    assert!(note.contains(&url));
}

#[test]
fn old_list_taps_are_answered_whatever_the_state() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    chat.say("mulai");
    assert_eq!(chat.session.flow, Some(Flow::Subscription));

    // A row of a FAQ list sent days ago.
    chat.now_ms += 3 * 24 * HOUR_MS;
    let turn = chat.tap("faq:kependudukan.ktp-el-baru");
    assert_eq!(
        as_text(only(&turn)),
        answer_of("kependudukan.ktp-el-baru", &content)
    );
    // Page 2 of an old list, and a static menu row.
    let turn = chat.tap("page:faq.umum:2");
    assert_eq!(row_ids(only(&turn))[..3], faq_ids(&content, "umum")[9..]);
    let turn = chat.tap("menu.layanan");
    assert_eq!(row_ids(only(&turn)), menu_row_ids(&content, "layanan-1"));
    // The flow was not disturbed by any of them.
    assert_eq!(chat.session.flow, Some(Flow::Subscription));

    // A row that no longer exists gets an apology and the current main menu.
    let turn = chat.tap("menu.retired-row");
    assert_eq!(turn.replies.len(), 2);
    assert_eq!(as_text(&turn.replies[0]), texts::STALE_CHOICE);
    assert!(is_main_menu(&content, &turn.replies[1]));
    let turn = chat.tap("faq:umum.no-longer-there");
    assert_eq!(as_text(&turn.replies[0]), texts::STALE_CHOICE);
    let turn = chat.tap("something-else");
    assert_eq!(as_text(&turn.replies[0]), texts::STALE_CHOICE);
    // A page beyond the end falls back to the first page.
    let turn = chat.tap("page:faq.umum:7");
    assert_eq!(row_ids(only(&turn))[..9], faq_ids(&content, "umum")[..9]);
}

// ---------------------------------------------------------------------------------------------
// Keywords
// ---------------------------------------------------------------------------------------------

#[test]
fn keywords_work_in_the_middle_of_a_topic_choice() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);

    chat.say("MULAI");
    let turn = chat.say("bantuan");
    assert_eq!(as_text(only(&turn)), texts::HELP);
    assert_eq!(chat.session.flow, Some(Flow::Subscription));

    let turn = chat.say("Menu!");
    assert!(is_main_menu(&content, only(&turn)));
    assert_eq!(chat.session.flow, None);

    chat.say("langganan");
    chat.tap("topic:kesehatan");
    let turn = chat.say("batal");
    let text = as_text(only(&turn));
    assert!(text.contains("Info Kesehatan"), "{text}");
    assert_eq!(chat.session.flow, None);
    assert_eq!(chat.profile.topics, vec!["kesehatan".to_string()]);

    chat.say("mulai");
    let turn = chat.say("petugas dong");
    assert!(turn.handoff_requested);
    assert!(chat.session.handoff.is_some());
    assert_eq!(chat.session.flow, None);
}

#[test]
fn cancel_without_a_flow_says_so() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    let turn = chat.say("BATAL");
    assert_eq!(button_ids(only(&turn)), vec![ids::MENU.to_string()]);

    chat.session.flow = Some(Flow::Complaint(ComplaintDraft::default()));
    let turn = chat.say("batal");
    assert_eq!(as_text(only(&turn)), texts::CANCEL_COMPLAINT);
    assert_eq!(chat.session.flow, None);
}
