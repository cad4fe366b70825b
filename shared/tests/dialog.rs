//! The dialog engine against the real seed content, with a fake clock (plain numbers).

use chrono::NaiveDate;
use prolink::{
    domain::{
        calendar,
        citizen::{CitizenRef, ReplyAddress},
        content::{self, ContentBundle, ListKey, MenuAction, RowTarget, UNVERIFIED_NOTE},
        dialog::{
            hand_back, handle_message,
            reply::{list_from_page, Reply},
            texts::{self, ids},
            AnswerKind, Answered, Answerer, ComplaintDraft, Decision, DialogEnv, Flow, Session,
            Turn, HANDOFF_TTL_MS,
        },
        nlp::{Engine, KnowledgeBase},
    },
    ports::CitizenProfile,
    whatsapp::{
        outbound::{self, ListMessage},
        webhook::{
            ButtonReply, InboundMessage, InteractiveReply, ListReply, Location, Media,
            MessageContent, Reaction, TemplateButton, TextBody, Unsupported,
        },
    },
};

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;

fn seed() -> ContentBundle {
    match content::load_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/seed")) {
        Ok(bundle) => bundle,
        Err(report) => panic!("seed does not import:\n{report}"),
    }
}

/// WIB wall-clock time as Unix milliseconds.
fn wib(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    let date = NaiveDate::from_ymd_opt(y, m, d).expect("date");
    calendar::wib_to_ms(date.and_hms_opt(h, min, 0).expect("time"))
}

/// Monday 30 November 2026, 10:00 WIB: office hours.
fn monday_morning() -> i64 {
    wib(2026, 11, 30, 10, 0)
}

fn citizen() -> CitizenRef {
    CitizenRef {
        key: "6281234567890".into(),
        user_id: None,
        wa_id: Some("6281234567890".into()),
        name: Some("Budi".into()),
        username: None,
    }
}

fn address() -> ReplyAddress {
    citizen().reply_address()
}

fn message(content: MessageContent) -> InboundMessage {
    InboundMessage {
        id: "wamid.TEST".into(),
        from: Some("6281234567890".into()),
        from_user_id: None,
        from_parent_user_id: None,
        group_id: None,
        timestamp: "1796000000".into(),
        context: None,
        referral: None,
        content,
    }
}

fn text(body: &str) -> InboundMessage {
    message(MessageContent::Text(TextBody { body: body.into() }))
}

fn list_tap(id: &str) -> InboundMessage {
    message(MessageContent::Interactive(InteractiveReply::ListReply(
        ListReply {
            id: id.into(),
            title: String::new(),
            description: None,
        },
    )))
}

fn button_tap(id: &str) -> InboundMessage {
    message(MessageContent::Interactive(InteractiveReply::ButtonReply(
        ButtonReply {
            id: id.into(),
            title: String::new(),
        },
    )))
}

fn media() -> Media {
    Media {
        id: "1234".into(),
        mime_type: Some("image/jpeg".into()),
        sha256: None,
        caption: None,
        filename: None,
        url: None,
        voice: None,
        animated: None,
    }
}

/// An answerer that always says the same thing (for the decision paths).
struct Fixed(Answered);

impl Answerer for Fixed {
    fn answer(&self, _text: &str) -> Answered {
        self.0.clone()
    }
}

/// A citizen talking to the bot: the state carried from turn to turn, as the worker would.
struct Chat<'a> {
    content: &'a ContentBundle,
    answerer: &'a dyn Answerer,
    now_ms: i64,
    show_unverified: bool,
    session: Session,
    profile: CitizenProfile,
}

impl<'a> Chat<'a> {
    fn new(content: &'a ContentBundle, answerer: &'a dyn Answerer) -> Self {
        Self {
            content,
            answerer,
            now_ms: monday_morning(),
            show_unverified: true,
            session: Session::default(),
            profile: CitizenProfile {
                key: "6281234567890".into(),
                ..CitizenProfile::default()
            },
        }
    }

    fn send(&mut self, message: InboundMessage) -> Turn {
        let env = DialogEnv {
            content: self.content,
            answerer: self.answerer,
            now_ms: self.now_ms,
            show_unverified: self.show_unverified,
        };
        let turn = handle_message(
            &env,
            self.session.clone(),
            self.profile.clone(),
            &citizen(),
            &message,
        );
        assert_sendable(&turn.replies);
        // The worker stores the session as JSON: it must come back the same.
        assert_eq!(Session::from_json(&turn.session.to_json()), turn.session);
        self.session = turn.session.clone();
        self.profile = turn.profile.clone();
        turn
    }

    fn say(&mut self, body: &str) -> Turn {
        self.send(text(body))
    }

    fn tap(&mut self, id: &str) -> Turn {
        self.send(list_tap(id))
    }
}

fn assert_sendable(replies: &[Reply]) {
    for reply in replies {
        if let Err(error) = reply.build(&address()) {
            panic!("reply does not fit WhatsApp: {error}\n{reply:?}");
        }
    }
}

fn only(turn: &Turn) -> &Reply {
    assert_eq!(turn.replies.len(), 1, "{:#?}", turn.replies);
    &turn.replies[0]
}

fn as_list(reply: &Reply) -> &ListMessage {
    match reply {
        Reply::List(list) => list,
        other => panic!("expected a list, got {other:?}"),
    }
}

fn as_text(reply: &Reply) -> &str {
    match reply {
        Reply::Text(text) => text,
        other => panic!("expected a text, got {other:?}"),
    }
}

fn row_ids(reply: &Reply) -> Vec<String> {
    as_list(reply)
        .sections
        .iter()
        .flat_map(|s| s.rows.iter().map(|r| r.id.clone()))
        .collect()
}

fn button_ids(reply: &Reply) -> Vec<String> {
    match reply {
        Reply::Buttons(b) => b.buttons.iter().map(|b| b.id.clone()).collect(),
        other => panic!("expected buttons, got {other:?}"),
    }
}

fn menu_row_ids(content: &ContentBundle, menu: &str) -> Vec<String> {
    content
        .menu(menu)
        .expect("menu")
        .rows
        .iter()
        .map(|r| r.id.clone())
        .collect()
}

fn is_main_menu(content: &ContentBundle, reply: &Reply) -> bool {
    matches!(reply, Reply::List(_)) && row_ids(reply) == menu_row_ids(content, "main")
}

fn faq_ids(content: &ContentBundle, category: &str) -> Vec<String> {
    content
        .faqs
        .iter()
        .filter(|f| f.category == category)
        .map(|f| format!("faq:{}", f.id))
        .collect()
}

fn answer_of(faq_id: &str, content: &ContentBundle) -> String {
    content.faq(faq_id).expect("faq").answer.clone()
}

// ---------------------------------------------------------------------------------------------
// Menus and paging
// ---------------------------------------------------------------------------------------------

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
        .find(|f| !f.verified)
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

// ---------------------------------------------------------------------------------------------
// Emergencies
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Free text: answer, suggestions, fallback
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Handoff
// ---------------------------------------------------------------------------------------------

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
    assert_sendable(&[prolink::domain::dialog::hand_back_notice()]);
}

// ---------------------------------------------------------------------------------------------
// Subscriptions
// ---------------------------------------------------------------------------------------------

#[test]
fn opt_in_by_choosing_topics_and_opt_out_with_stop() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);

    let turn = chat.say("mulai");
    let rows = row_ids(only(&turn));
    assert_eq!(rows.len(), 10);
    assert_eq!(rows[0], "topic:pengumuman-umum");
    assert_eq!(rows[9], "page:topik:2");
    assert!(as_list(only(&turn)).body.contains("belum berlangganan"));
    assert!(!chat.profile.broadcast_opt_in);

    let turn = chat.tap("topic:kesehatan");
    assert_eq!(
        button_ids(only(&turn)),
        vec![ids::DONE.to_string(), ids::TOPICS.to_string()]
    );
    assert!(only(&turn)
        .plain_text()
        .contains("*Info Kesehatan* ditambahkan"));
    assert!(chat.profile.broadcast_opt_in);
    assert_eq!(chat.profile.topics, vec!["kesehatan"]);

    let page2 = chat.tap("page:topik:2");
    assert_eq!(row_ids(only(&page2)).len(), 6);
    assert!(as_list(only(&page2)).body.contains("Info Kesehatan"));
    chat.tap("topic:kecamatan:wonoasih");
    // A typed topic name works too, in any case.
    chat.say("info PAJAK daerah");
    chat.tap("topic:pengumuman-umum");
    assert_eq!(
        chat.profile.topics,
        vec![
            "pengumuman-umum",
            "kesehatan",
            "pajak",
            "kecamatan:wonoasih"
        ]
    );
    let turn = chat.tap("topic:kesehatan");
    assert!(only(&turn).plain_text().contains("dihapus"));

    let turn = chat.say("selesai");
    let text = as_text(only(&turn));
    assert!(text.contains("Pengumuman Umum, Info Pajak Daerah, Kecamatan Wonoasih"));
    assert_eq!(chat.session.flow, None);
    assert!(chat.profile.broadcast_opt_in);

    // STOP: no more broadcasts, complaint notifications go on.
    let turn = chat.say("STOP");
    assert_eq!(as_text(only(&turn)), texts::STOP_DONE);
    assert!(as_text(only(&turn)).contains("Notifikasi aduan"));
    assert!(!chat.profile.broadcast_opt_in);
    assert!(chat.profile.topics.is_empty());

    // Removing the last topic opts out as well.
    chat.tap("topic:sosial");
    assert!(chat.profile.broadcast_opt_in);
    chat.tap("topic:sosial");
    assert!(!chat.profile.broadcast_opt_in);
    let turn = chat.send(button_tap(ids::DONE));
    assert!(as_text(only(&turn)).contains("belum memilih topik"));
}

#[test]
fn stop_does_not_cancel_a_complaint_form() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    chat.profile.broadcast_opt_in = true;
    chat.profile.topics = vec!["kesehatan".into()];
    let form = Flow::Complaint(ComplaintDraft {
        category: Some("jalan-rusak".into()),
    });
    chat.session.flow = Some(form.clone());
    chat.say("berhenti");
    assert_eq!(chat.session.flow, Some(form));
    assert!(!chat.profile.broadcast_opt_in);
}

// ---------------------------------------------------------------------------------------------
// Complaints (placeholders) and other input types
// ---------------------------------------------------------------------------------------------

#[test]
fn complaint_entries_answer_with_the_placeholder_and_an_officer_button() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    let turn = chat.tap("menu.aduan");
    let reply = only(&turn);
    assert!(reply.plain_text().contains("lapor.go.id"));
    assert_eq!(
        button_ids(reply),
        vec![ids::OPERATOR.to_string(), ids::MENU.to_string()]
    );
    let turn = chat.tap("complaint:jalan-rusak");
    let name = &content.category("jalan-rusak").expect("category").name;
    assert!(only(&turn).plain_text().contains(name.as_str()));
    let turn = chat.tap("menu.cek-aduan");
    assert!(only(&turn).plain_text().contains("Cek Aduan"));
    let turn = chat.say("cek tiket PS-7K3QX9");
    assert!(only(&turn).plain_text().contains("PS-7K3QX9"));
}

#[test]
fn photos_and_locations_are_acknowledged_with_a_complaint_offer() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    let location = Location {
        latitude: -7.75,
        longitude: 113.21,
        name: None,
        address: None,
        url: None,
    };
    for (message, word) in [
        (message(MessageContent::Image(media())), "foto"),
        (message(MessageContent::Location(location)), "lokasi"),
    ] {
        let turn = chat.send(message);
        let reply = only(&turn);
        assert!(reply.plain_text().contains(word));
        assert_eq!(
            button_ids(reply),
            vec![ids::COMPLAINT.to_string(), ids::MENU.to_string()]
        );
    }
    let turn = chat.send(button_tap(ids::COMPLAINT));
    assert!(only(&turn).plain_text().contains("Buat Aduan"));
}

#[test]
fn other_message_types_get_a_polite_note_and_reactions_nothing() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    let voice = Media {
        voice: Some(true),
        mime_type: Some("audio/ogg".into()),
        ..media()
    };
    for (message, word) in [
        (message(MessageContent::Sticker(media())), "stiker"),
        (message(MessageContent::Audio(voice)), "pesan suara"),
        (message(MessageContent::Document(media())), "dokumen"),
        (message(MessageContent::Contacts(Vec::new())), "kontak"),
        (
            message(MessageContent::Unsupported(Unsupported::default())),
            "jenis pesan",
        ),
    ] {
        let turn = chat.send(message);
        let text = only(&turn).plain_text();
        assert!(text.contains(word), "{word}: {text}");
        assert!(text.contains("*pesan teks*"));
        assert!(turn.unanswered.is_none());
    }

    let before = chat.session.clone();
    let reaction = message(MessageContent::Reaction(Reaction {
        message_id: "wamid.OURS".into(),
        emoji: Some("👍".into()),
    }));
    let turn = chat.send(reaction);
    assert!(turn.replies.is_empty());
    assert_eq!(turn.session, before);
}

#[test]
fn template_quick_replies_route_by_payload_or_else_by_label() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    let by_payload = message(MessageContent::Button(TemplateButton {
        payload: Some("menu.info".into()),
        text: Some("Lihat info".into()),
    }));
    let turn = chat.send(by_payload);
    assert_eq!(row_ids(only(&turn)), menu_row_ids(&content, "info-1"));
    let by_label = message(MessageContent::Button(TemplateButton {
        payload: Some("campaign-2026-11".into()),
        text: Some("Berhenti".into()),
    }));
    chat.profile.broadcast_opt_in = true;
    let turn = chat.send(by_label);
    assert_eq!(as_text(only(&turn)), texts::STOP_DONE);
    assert!(!chat.profile.broadcast_opt_in);
}

// ---------------------------------------------------------------------------------------------
// Everything the seed can produce fits WhatsApp
// ---------------------------------------------------------------------------------------------

#[test]
fn every_menu_list_answer_and_card_of_the_seed_passes_the_outbound_builders() {
    let content = seed();
    let to = address();

    for menu in &content.menus.menus {
        let page = content.menu_page(&menu.id).expect("menu page");
        if let Err(e) = outbound::list(&to, &list_from_page(page)) {
            panic!("menu {}: {e}", menu.id);
        }
    }
    let mut keys = vec![ListKey::Topics, ListKey::ComplaintCategories];
    for category in content::FAQ_CATEGORIES {
        keys.push(ListKey::FaqCategory(category.to_string()));
        keys.push(ListKey::ServiceCategory(category.to_string()));
    }
    for key in &keys {
        for (i, page) in content.list_pages(key).into_iter().enumerate() {
            if let Err(e) = outbound::list(&to, &list_from_page(page)) {
                panic!("{key:?} page {}: {e}", i + 1);
            }
        }
    }

    // Through the engine: every row of every menu, every FAQ, every service, under both
    // settings of PROLINK_SHOW_UNVERIFIED. `Chat::send` builds each reply; here we also
    // check nothing had to be degraded to plain text.
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    for show_unverified in [false, true] {
        let mut taps: Vec<String> = content
            .menus
            .menus
            .iter()
            .flat_map(|m| m.rows.iter().map(|r| r.id.clone()))
            .collect();
        taps.extend(content.faqs.iter().map(|f| format!("faq:{}", f.id)));
        taps.extend(content.services.iter().map(|s| format!("service:{}", s.id)));
        taps.extend(content.topics.iter().map(|t| format!("topic:{}", t.id)));
        taps.extend(
            content
                .categories
                .iter()
                .map(|c| format!("complaint:{}", c.id)),
        );
        for key in &keys {
            let pages = content.list_pages(key).len();
            taps.extend((1..=pages).map(|p| {
                RowTarget::Page {
                    key: key.clone(),
                    page: p,
                }
                .row_id()
            }));
        }
        for id in taps {
            let mut chat = Chat::new(&content, &answerer);
            chat.show_unverified = show_unverified;
            let turn = chat.tap(&id);
            assert!(!turn.replies.is_empty(), "{id}");
            if id.starts_with("menu.") {
                let action = &content.menu_row(&id).expect("row").action;
                let interactive = matches!(
                    action,
                    MenuAction::Submenu { .. }
                        | MenuAction::FaqCategory { .. }
                        | MenuAction::ServiceCategory { .. }
                        | MenuAction::Subscriptions
                );
                assert_eq!(
                    interactive,
                    matches!(turn.replies[0], Reply::List(_)),
                    "{id}: {:?}",
                    turn.replies[0]
                );
            }
            if id.starts_with("faq:") || id.starts_with("service:") {
                assert!(
                    turn.replies.iter().all(|r| matches!(r, Reply::Text(_))),
                    "{id}"
                );
            }
        }
    }

    // The fixed texts.
    for text in [
        texts::HELP,
        texts::STOP_DONE,
        texts::HANDOFF_LAPSED,
        texts::HANDED_BACK,
        texts::FALLBACK,
    ] {
        assert!(outbound::text(&to, text, false).is_ok());
    }
}
