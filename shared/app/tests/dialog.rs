//! The dialog engine against the real seed content, with a fake clock (plain numbers).

use crate::support::{seed, wib};
use prolink_app::dialog_input::dialog_inbound;
use prolink_app::ports::CitizenProfile;
use prolink_app::render::{reply_body, ReplyTo};
use prolink_domain::channel::ListMessage;
use prolink_domain::{
    calendar,
    citizen::CitizenRef,
    complaint::{
        self, Actor, Change, Complaint, ComplaintLocation, Privacy, Rules, Sla, Status, Submission,
    },
    content::{self, ContentBundle, ListKey, MenuAction, RowTarget, UNVERIFIED_NOTE},
    dialog::{
        complaint_texts::{self as ct, ids as cid},
        hand_back, handle_message,
        reply::{list_from_page, Reply},
        texts::{self, ids},
        AnswerKind, Answered, Answerer, ComplaintDraft, ComplaintOp, Decision, DialogEnv,
        DraftStep, Flow, Session, Turn, HANDOFF_TTL_MS,
    },
    nlp::{Engine, KnowledgeBase},
};
use prolink_whatsapp::outbound::ReplyAddress;
use prolink_whatsapp::{
    outbound,
    webhook::{
        ButtonReply, InboundMessage, InteractiveReply, ListReply, Location, Media, MessageContent,
        Reaction, TemplateButton, TextBody, Unsupported,
    },
};

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;

/// Monday 30 November 2026, 10:00 WIB: office hours.
fn monday_morning() -> i64 {
    wib(2026, 11, 30, 10, 0)
}

pub(crate) fn citizen() -> CitizenRef {
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

pub(crate) fn message(content: MessageContent) -> InboundMessage {
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

pub(crate) fn text(body: &str) -> InboundMessage {
    message(MessageContent::Text(TextBody { body: body.into() }))
}

pub(crate) fn list_tap(id: &str) -> InboundMessage {
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
    /// The store after each turn: the citizen's complaints and any others a test adds. The
    /// turn sees the citizen's own as `complaints` and what the worker loads as `related`.
    complaints: Vec<Complaint>,
    ticket_attempt: u32,
    /// Messages sent so far: each gets its own id (`wamid.T1`, …), as WhatsApp's would.
    sent: u32,
    /// The id of the last message delivered.
    last_id: String,
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
            complaints: Vec::new(),
            ticket_attempt: 0,
            sent: 0,
            last_id: String::new(),
        }
    }

    /// Sends `message` with a new message id.
    fn send(&mut self, mut message: InboundMessage) -> Turn {
        self.sent += 1;
        message.id = format!("wamid.T{}", self.sent);
        self.deliver(message)
    }

    /// Delivers `message` with the id it carries (a redelivery repeats an earlier id).
    fn deliver(&mut self, message: InboundMessage) -> Turn {
        self.last_id.clone_from(&message.id);
        let own: Vec<Complaint> = self
            .complaints
            .iter()
            .filter(|c| c.citizen_key == self.profile.key)
            .cloned()
            .collect();
        let related = self.related_for(&own, &message);
        let env = DialogEnv {
            content: self.content,
            answerer: self.answerer,
            now_ms: self.now_ms,
            show_unverified: self.show_unverified,
            complaints: &own,
            related: &related,
            ticket_attempt: self.ticket_attempt,
            retention_days: 90,
        };
        let turn = handle_message(
            &env,
            self.session.clone(),
            self.profile.clone(),
            &citizen(),
            &dialog_inbound(&message),
        );
        assert_sendable(&turn.replies);
        // The worker stores the session as JSON: it must come back the same.
        assert_eq!(Session::from_json(&turn.session.to_json()), turn.session);
        self.session = turn.session.clone();
        self.profile = turn.profile.clone();
        // What the worker's conditional writes would leave in the store.
        for op in &turn.complaint_ops {
            match op {
                ComplaintOp::Create(new) => {
                    assert_eq!(new.version, 0);
                    // The store's conditional insert: an earlier delivery of the same message
                    // already created it, nothing changes.
                    if let Some(existing) = self.complaints.iter().find(|c| c.ticket == new.ticket)
                    {
                        assert_eq!(existing.source_wamid, new.source_wamid, "ticket taken");
                        continue;
                    }
                    let mut stored = (**new).clone();
                    stored.version = 1;
                    self.complaints.insert(0, stored);
                }
                ComplaintOp::Update(changed) => {
                    let slot = self
                        .complaints
                        .iter_mut()
                        .find(|c| c.ticket == changed.ticket)
                        .expect("update of a stored complaint");
                    assert_eq!(slot.version, changed.version, "stale update");
                    *slot = (**changed).clone();
                    slot.version += 1;
                }
                // Stored by an earlier delivery: the store must already hold it as it is.
                ComplaintOp::Replay(stored) => {
                    let slot = self
                        .complaints
                        .iter()
                        .find(|c| c.ticket == stored.ticket)
                        .expect("replay of a stored complaint");
                    assert_eq!(slot.version, stored.version, "replay of a stale copy");
                }
            }
        }
        turn
    }

    /// What the worker loads besides the citizen's own complaints for a message naming a
    /// ticket (text or button id): the complaint an own one was linked to (`duplicate_of`),
    /// or the named complaint itself when it is someone else's (the dialog shows it only to
    /// its followers).
    fn related_for(&self, own: &[Complaint], message: &InboundMessage) -> Vec<Complaint> {
        let said = match &message.content {
            MessageContent::Text(t) => t.body.as_str(),
            MessageContent::Interactive(InteractiveReply::ButtonReply(b)) => b.id.as_str(),
            MessageContent::Interactive(InteractiveReply::ListReply(l)) => l.id.as_str(),
            _ => "",
        };
        let Some(ticket) = complaint::find_ticket(said) else {
            return Vec::new();
        };
        let wanted = match own.iter().find(|c| c.ticket == ticket) {
            Some(mine) => mine.duplicate_of.clone(),
            None => Some(ticket),
        };
        self.complaints
            .iter()
            .filter(|c| Some(&c.ticket) == wanted.as_ref())
            .cloned()
            .collect()
    }

    fn say(&mut self, body: &str) -> Turn {
        self.send(text(body))
    }

    fn tap(&mut self, id: &str) -> Turn {
        self.send(list_tap(id))
    }

    fn press(&mut self, id: &str) -> Turn {
        self.send(button_tap(id))
    }
}

fn assert_sendable(replies: &[Reply]) {
    for reply in replies {
        if let Err(error) = reply_body(reply, &address()) {
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
    assert_sendable(&[prolink_domain::dialog::hand_back_notice()]);
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
        ..ComplaintDraft::default()
    });
    chat.session.flow = Some(form.clone());
    chat.say("berhenti");
    assert_eq!(chat.session.flow, Some(form));
    assert!(!chat.profile.broadcast_opt_in);
}

// ---------------------------------------------------------------------------------------------
// Other input types
// ---------------------------------------------------------------------------------------------

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
    // *Buat Aduan* starts the form with what was sent (consent first).
    chat.send(button_tap(ids::COMPLAINT));
    match &chat.session.flow {
        Some(Flow::Complaint(draft)) => {
            assert_eq!(draft.photos.len(), 1);
            assert!(draft.location.is_some());
        }
        other => panic!("expected the complaint form, got {other:?}"),
    }
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
        if let Err(e) = reply_body(&Reply::List(list_from_page(page)), &to) {
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
            if let Err(e) = reply_body(&Reply::List(list_from_page(page)), &to) {
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

// ---------------------------------------------------------------------------------------------
// Complaints
// ---------------------------------------------------------------------------------------------

const DAY_MS: i64 = 24 * HOUR_MS;
const POTHOLE: &str = "jalan depan rumah saya berlubang besar dan sering bikin jatuh";

fn photo(id: &str) -> InboundMessage {
    message(MessageContent::Image(Media {
        id: id.into(),
        ..media()
    }))
}

fn place() -> Location {
    Location {
        latitude: -7.754_3,
        longitude: 113.215_9,
        name: Some("Depan Toko Makmur".into()),
        address: Some("Jl. Suroyo, Tisnonegaran".into()),
        url: None,
    }
}

fn pin_message() -> InboundMessage {
    message(MessageContent::Location(place()))
}

fn pinned() -> ComplaintLocation {
    let here = place();
    ComplaintLocation::Pin {
        latitude: here.latitude,
        longitude: here.longitude,
        name: here.name,
        address: here.address,
    }
}

/// The open form's data (panics when no form is open).
fn draft(chat: &Chat) -> ComplaintDraft {
    match &chat.session.flow {
        Some(Flow::Complaint(draft)) => draft.clone(),
        other => panic!("expected the complaint form, got {other:?}"),
    }
}

/// The body of a text, buttons or location request.
fn body(reply: &Reply) -> &str {
    match reply {
        Reply::Text(text) | Reply::LocationRequest(text) => text,
        Reply::Buttons(b) => &b.body,
        other => panic!("expected a text, buttons or location request, got {other:?}"),
    }
}

fn all_text(turn: &Turn) -> String {
    turn.replies
        .iter()
        .map(Reply::plain_text)
        .collect::<Vec<_>>()
        .join("\n")
}

fn asks_consent(turn: &Turn) -> bool {
    turn.replies.iter().any(|r| {
        matches!(r, Reply::Buttons(_)) && button_ids(r).contains(&cid::CONSENT_YES.to_string())
    })
}

fn created(turn: &Turn) -> Complaint {
    match turn.complaint_ops.as_slice() {
        [ComplaintOp::Create(new)] => (**new).clone(),
        other => panic!("expected one Create, got {other:?}"),
    }
}

fn updated(turn: &Turn) -> Complaint {
    match turn.complaint_ops.as_slice() {
        [ComplaintOp::Update(changed)] => (**changed).clone(),
        other => panic!("expected one Update, got {other:?}"),
    }
}

fn stored<'c>(chat: &'c Chat, ticket: &str) -> &'c Complaint {
    chat.complaints
        .iter()
        .find(|c| c.ticket == ticket)
        .expect("stored complaint")
}

/// A citizen who accepted the privacy notice earlier.
fn consented(chat: &mut Chat) {
    chat.profile.privacy_consent_ms = Some(chat.now_ms - DAY_MS);
}

/// Picks `category` and answers every question up to the summary (pin, no photo, Biasa).
fn fill_form(chat: &mut Chat, category: &str, description: &str) {
    chat.tap(&format!("complaint:{category}"));
    chat.say(description);
    chat.send(pin_message());
    chat.press(cid::PHOTOS_DONE);
    let turn = chat.press(cid::PRIVACY_BIASA);
    assert_eq!(draft(chat).step, DraftStep::Summary, "{:#?}", turn.replies);
}

/// A submitted complaint's ticket.
fn submit_one(chat: &mut Chat, category: &str, description: &str) -> String {
    fill_form(chat, category, description);
    created(&chat.press(cid::SUBMIT)).ticket
}

/// An operator's change, stored as the operator API would (version bump).
fn operator_sets(
    chat: &mut Chat,
    ticket: &str,
    to: Status,
    public_note: Option<&str>,
    internal_note: Option<&str>,
) {
    let content = chat.content;
    let index = chat
        .complaints
        .iter()
        .position(|c| c.ticket == ticket)
        .expect("stored complaint");
    let current = chat.complaints[index].clone();
    let category = content.category(&current.category_id).expect("category");
    let rules = Rules {
        sla: Sla::from(category),
        holidays: &content.holidays,
    };
    let change = Change {
        event_id: format!("operator.{ticket}.{}", current.events.len()),
        at_ms: chat.now_ms,
        actor: Actor::operator("operator-1"),
        to,
        public_note: public_note.map(str::to_string),
        internal_note: internal_note.map(str::to_string),
    };
    let mut changed = complaint::apply(&current, change, &rules).expect("operator change");
    changed.version += 1;
    chat.complaints[index] = changed;
}

#[test]
fn a_complaint_from_the_menu_with_a_pin_and_two_photos_is_created_with_its_deadlines() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    let category = content.category("jalan-rusak").expect("category");
    assert!(category.requires_location);

    // The privacy notice comes before the first question.
    let turn = chat.tap("menu.aduan");
    assert_eq!(body(only(&turn)), ct::privacy_notice(90));
    assert_eq!(
        button_ids(only(&turn)),
        vec![cid::CONSENT_YES.to_string(), cid::CONSENT_NO.to_string()]
    );
    assert_eq!(chat.profile.privacy_consent_ms, None);

    // Consent is recorded, then the categories are listed, paged.
    let turn = chat.press(cid::CONSENT_YES);
    assert_eq!(chat.profile.privacy_consent_ms, Some(chat.now_ms));
    assert_eq!(turn.replies.len(), 3, "{:#?}", turn.replies);
    assert_eq!(as_text(&turn.replies[0]), ct::CONSENT_THANKS);
    assert_eq!(as_text(&turn.replies[1]), ct::CATEGORY_HINT);
    let first_page = list_from_page(
        content
            .list_page(&ListKey::ComplaintCategories, 1)
            .expect("page"),
    );
    let rows = row_ids(&turn.replies[2]);
    assert_eq!(as_list(&turn.replies[2]), &first_page);
    assert_eq!(rows.len(), 10);
    let more = rows[9].clone();
    let second = chat.tap(&more);
    let second_rows = row_ids(only(&second));
    let all: Vec<String> = content
        .categories
        .iter()
        .map(|c| format!("complaint:{}", c.id))
        .collect();
    assert_eq!(rows[..9], all[..9]);
    assert!(second_rows.starts_with(&all[9..]), "{second_rows:?}");
    assert_eq!(draft(&chat).step, DraftStep::Category);

    let turn = chat.tap("complaint:jalan-rusak");
    assert_eq!(as_text(only(&turn)), ct::DESCRIPTION_ASK);
    let description = "Aspal di Jl. Suroyo mengelupas dan berlubang sedalam 20 cm sejak dua minggu";
    let turn = chat.say(description);
    assert_eq!(only(&turn), &Reply::LocationRequest(ct::location_ask(true)));

    let turn = chat.send(pin_message());
    assert_eq!(body(only(&turn)), ct::photos_ask(0));
    assert_eq!(button_ids(only(&turn)), vec![cid::PHOTOS_DONE.to_string()]);
    chat.send(photo("media-1"));
    let turn = chat.send(photo("media-2"));
    assert_eq!(body(only(&turn)), ct::photos_ask(2));
    let turn = chat.press(cid::PHOTOS_DONE);
    assert_eq!(body(only(&turn)), ct::PRIVACY_ASK);
    assert_eq!(
        button_ids(only(&turn)),
        vec![
            cid::PRIVACY_BIASA.to_string(),
            cid::PRIVACY_ANONIM.to_string(),
            cid::PRIVACY_RAHASIA.to_string()
        ]
    );

    // The summary, with the category's notice (expected handling time) before sending.
    let turn = chat.press(cid::PRIVACY_BIASA);
    assert_eq!(turn.replies.len(), 2);
    let summary = as_text(&turn.replies[0]);
    assert!(summary.contains(&category.name), "{summary}");
    assert!(summary.contains(description), "{summary}");
    assert!(summary.contains("Depan Toko Makmur"), "{summary}");
    assert!(summary.contains("2 foto"), "{summary}");
    assert!(summary.contains(Privacy::Biasa.label()), "{summary}");
    assert!(body(&turn.replies[1]).contains(category.notice.trim()));
    assert_eq!(
        button_ids(&turn.replies[1]),
        vec![
            cid::SUBMIT.to_string(),
            cid::EDIT.to_string(),
            ids::CANCEL.to_string()
        ]
    );
    assert!(turn.complaint_ops.is_empty());

    let before_submit = (chat.session.clone(), chat.profile.clone());
    let turn = chat.press(cid::SUBMIT);
    let new = created(&turn);
    let submit_id = chat.last_id.clone();
    let ticket = complaint::ticket_for(&submit_id, 0);
    assert_eq!(new.ticket, ticket);
    assert_eq!(
        complaint::find_ticket(&ticket).as_deref(),
        Some(ticket.as_str())
    );
    assert_eq!(new.citizen_key, "6281234567890");
    assert_eq!(new.reporter_name.as_deref(), Some("Budi"));
    assert_eq!(new.category_id, "jalan-rusak");
    assert_eq!(new.opd_id, category.opd_id);
    assert_eq!(new.description, description);
    assert_eq!(new.location, Some(pinned()));
    let media_ids: Vec<&str> = new.photos.iter().map(|p| p.media_id.as_str()).collect();
    assert_eq!(media_ids, vec!["media-1", "media-2"]);
    assert_eq!(new.privacy, Privacy::Biasa);
    assert_eq!(new.status, Status::Diterima);
    assert_eq!(new.received_ms, chat.now_ms);
    assert_eq!(new.source_wamid, submit_id);
    let received = calendar::wib_date(chat.now_ms);
    let response = calendar::add_working_days(
        received,
        category.sla_working_days_response,
        &content.holidays,
    )
    .value;
    let resolution = calendar::add_working_days(
        received,
        category.sla_working_days_resolution,
        &content.holidays,
    )
    .value;
    assert_eq!(new.deadlines.response_date, Some(response));
    assert_eq!(new.deadlines.resolution_date, Some(resolution));
    assert!(turn.calendar_gaps.is_empty());

    let opd = content.opd(&category.opd_id).expect("opd").name.clone();
    let confirmation = body(only(&turn));
    assert_eq!(
        confirmation,
        ct::submitted(
            &ticket,
            &opd,
            &calendar::format_date_id(response),
            Privacy::Biasa
        )
    );
    assert!(confirmation.contains(&ticket));
    assert!(confirmation.contains(&opd));
    assert!(
        confirmation.contains("Kamis, 3 Desember 2026"),
        "{confirmation}"
    );
    assert_eq!(chat.session.flow, None);
    assert_eq!(chat.session.suspended_complaint, None);
    assert_eq!(chat.complaints.len(), 1);

    // A redelivered *Kirim* (the session save was lost): the same ticket, nothing new.
    chat.session = before_submit.0;
    chat.profile = before_submit.1;
    let mut again = button_tap(cid::SUBMIT);
    again.id = submit_id;
    let turn = chat.deliver(again);
    let repeated = created(&turn);
    assert_eq!(repeated, new);
    assert_eq!(chat.complaints.len(), 1);
    assert_eq!(chat.complaints[0].version, 1);

    // *Kirim* tapped once more: the list with the ticket, not a new form.
    let turn = chat.press(cid::SUBMIT);
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(
        row_ids(only(&turn)),
        vec![format!("{}{ticket}", cid::TRACK_PREFIX)]
    );
    assert_eq!(chat.session.flow, None);
}

#[test]
fn a_free_text_complaint_preselects_its_category_and_keeps_the_words_as_description() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let category = content.category("jalan-rusak").expect("category");

    let turn = chat.say(POTHOLE);
    assert_eq!(
        body(only(&turn)),
        ct::confirm_category(&category.name, &category.short_description)
    );
    assert_eq!(
        button_ids(only(&turn)),
        vec![
            cid::CATEGORY_OK.to_string(),
            cid::CATEGORY_OTHER.to_string()
        ]
    );
    let form = draft(&chat);
    assert_eq!(form.step, DraftStep::ConfirmCategory);
    assert_eq!(form.category.as_deref(), Some("jalan-rusak"));
    assert!(!form.category_confirmed);
    assert_eq!(form.description.as_deref(), Some(POTHOLE));

    // Confirmed: the description is not asked again.
    let turn = chat.press(cid::CATEGORY_OK);
    assert_eq!(only(&turn), &Reply::LocationRequest(ct::location_ask(true)));

    // A typed address: too short is asked again, a real one is kept as typed.
    let turn = chat.say("sini");
    assert_eq!(turn.replies.len(), 2);
    assert_eq!(as_text(&turn.replies[0]), ct::LOCATION_TOO_SHORT);
    assert!(matches!(turn.replies[1], Reply::LocationRequest(_)));
    assert_eq!(draft(&chat).location, None);
    let address = "Jl. Mastrip gang 3 RT 02 RW 05, Kelurahan Kedopok";
    let turn = chat.say(address);
    assert_eq!(body(only(&turn)), ct::photos_ask(0));
    assert_eq!(
        draft(&chat).location,
        Some(ComplaintLocation::Typed {
            text: address.to_string()
        })
    );
    chat.press(cid::PHOTOS_DONE);
    chat.press(cid::PRIVACY_ANONIM);
    let new = created(&chat.press(cid::SUBMIT));
    assert_eq!(new.category_id, "jalan-rusak");
    assert_eq!(new.description, POTHOLE);
    assert_eq!(
        new.location,
        Some(ComplaintLocation::Typed {
            text: address.to_string()
        })
    );
    assert!(new.photos.is_empty());
    assert_eq!(new.privacy, Privacy::Anonim);

    // "Pilih kategori lain": the list, and the description already given stays.
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    chat.say(POTHOLE);
    let turn = chat.press(cid::CATEGORY_OTHER);
    assert_eq!(as_text(&turn.replies[0]), ct::CATEGORY_HINT);
    assert!(matches!(turn.replies[1], Reply::List(_)));
    assert_eq!(draft(&chat).category, None);
    let turn = chat.tap("complaint:fasilitas-umum");
    assert!(matches!(only(&turn), Reply::LocationRequest(_)));
    let form = draft(&chat);
    assert_eq!(form.category.as_deref(), Some("fasilitas-umum"));
    assert!(form.category_confirmed);
    assert_eq!(form.description.as_deref(), Some(POTHOLE));
}

#[test]
fn a_required_location_cannot_be_skipped_an_optional_one_can() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));

    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    chat.tap("complaint:jalan-rusak");
    chat.say(POTHOLE);
    for skip in ["lewati", "LEWATI", "tidak ada"] {
        let turn = chat.say(skip);
        assert_eq!(turn.replies.len(), 2, "{skip}");
        assert_eq!(as_text(&turn.replies[0]), ct::LOCATION_REQUIRED);
        assert_eq!(
            turn.replies[1],
            Reply::LocationRequest(ct::location_ask(true))
        );
        let form = draft(&chat);
        assert_eq!(form.step, DraftStep::Location);
        assert!(!form.location_skipped);
    }
    chat.press(cid::SKIP_LOCATION);
    assert_eq!(draft(&chat).step, DraftStep::Location);

    let optional = content
        .categories
        .iter()
        .find(|c| !c.requires_location && !c.emergency)
        .expect("a category without a required location");
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    chat.tap(&format!("complaint:{}", optional.id));
    let turn = chat.say("petugas meminta uang tambahan supaya berkas cepat selesai diproses");
    assert_eq!(
        only(&turn),
        &Reply::LocationRequest(ct::location_ask(false))
    );
    let turn = chat.say("lewati");
    assert_eq!(body(only(&turn)), ct::photos_ask(0));
    assert!(draft(&chat).location_skipped);
    chat.press(cid::PHOTOS_DONE);
    let turn = chat.press(cid::PRIVACY_RAHASIA);
    assert!(as_text(&turn.replies[0]).contains("(tanpa lokasi)"));
    let new = created(&chat.press(cid::SUBMIT));
    assert_eq!(new.category_id, optional.id);
    assert_eq!(new.opd_id, optional.opd_id);
    assert_eq!(new.location, None);
    assert_eq!(new.privacy, Privacy::Rahasia);
}

#[test]
fn a_too_short_description_is_asked_again() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    chat.tap("complaint:sampah");
    // Under 20 characters, or under 3 words however long.
    for short in [
        "rusak",
        "sampah numpuk bgt",
        "sampahnyaaaaa numpukkkkkkkkkk",
    ] {
        let turn = chat.say(short);
        assert_eq!(as_text(only(&turn)), ct::DESCRIPTION_TOO_SHORT, "{short}");
        let form = draft(&chat);
        assert_eq!(form.step, DraftStep::Description);
        assert_eq!(form.description, None);
    }
    let long = "x ".repeat(ct::DESCRIPTION_MAX_CHARS);
    let turn = chat.say(&long);
    assert!(as_text(only(&turn)).contains(&ct::DESCRIPTION_MAX_CHARS.to_string()));
    assert_eq!(draft(&chat).description, None);

    let enough = "TPS di Jl. Brantas penuh, sampah tidak diangkut sejak Jumat";
    let turn = chat.say(enough);
    assert!(matches!(only(&turn), Reply::LocationRequest(_)));
    assert_eq!(draft(&chat).description.as_deref(), Some(enough));
}

#[test]
fn cancel_in_the_middle_of_the_form_discards_it() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    chat.tap("complaint:jalan-rusak");
    chat.say(POTHOLE);
    chat.send(photo("media-1"));
    assert_eq!(draft(&chat).step, DraftStep::Location);

    let turn = chat.say("batal");
    assert_eq!(as_text(only(&turn)), texts::CANCEL_COMPLAINT);
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(chat.session.flow, None);
    assert_eq!(chat.session.suspended_complaint, None);
    assert!(chat.complaints.is_empty());

    // Starting again starts empty.
    let turn = chat.tap("menu.aduan");
    assert!(!all_text(&turn).contains(ct::FORM_CONTINUES));
    assert_eq!(
        draft(&chat),
        ComplaintDraft {
            step: DraftStep::Category,
            ..ComplaintDraft::default()
        }
    );

    // The summary's *Batal* button does the same.
    chat.tap("complaint:jalan-rusak");
    chat.say(POTHOLE);
    chat.send(pin_message());
    chat.press(cid::PHOTOS_DONE);
    chat.press(cid::PRIVACY_BIASA);
    let turn = chat.press(ids::CANCEL);
    assert_eq!(as_text(only(&turn)), texts::CANCEL_COMPLAINT);
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(chat.session.flow, None);
}

#[test]
fn an_emergency_in_the_form_answers_112_and_keeps_the_form_for_later() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    chat.tap("complaint:jalan-rusak");
    chat.say(POTHOLE);
    chat.send(photo("media-1"));
    let kept = draft(&chat);
    assert_eq!(kept.step, DraftStep::Location);

    let turn = chat.say("tolong ada kebakaran di rumah tetangga");
    let text = as_text(only(&turn));
    assert!(text.starts_with(texts::EMERGENCY_HEAD), "{text}");
    assert!(text.contains("112"));
    assert!(text.ends_with(ct::EMERGENCY_FORM_SUSPENDED), "{text}");
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(chat.session.flow, None);
    assert_eq!(chat.session.suspended_complaint.as_ref(), Some(&kept));

    // *Buat Aduan* continues where it stopped, with everything kept.
    chat.now_ms += HOUR_MS;
    let turn = chat.press(ids::COMPLAINT);
    assert_eq!(turn.replies.len(), 2, "{:#?}", turn.replies);
    assert_eq!(as_text(&turn.replies[0]), ct::FORM_CONTINUES);
    assert_eq!(
        turn.replies[1],
        Reply::LocationRequest(ct::location_ask(true))
    );
    assert_eq!(draft(&chat), kept);
    assert_eq!(chat.session.suspended_complaint, None);
    chat.send(pin_message());
    chat.press(cid::PHOTOS_DONE);
    chat.press(cid::PRIVACY_BIASA);
    let new = created(&chat.press(cid::SUBMIT));
    assert_eq!(new.description, POTHOLE);
    assert_eq!(new.photos.len(), 1);
    assert_eq!(new.location, Some(pinned()));

    // The emergency category never opens a form: 112, and the form is set aside.
    chat.tap("complaint:sampah");
    let turn = chat.tap("complaint:darurat-112");
    assert!(as_text(only(&turn)).starts_with(texts::EMERGENCY_HEAD));
    assert_eq!(chat.session.flow, None);
    let suspended = chat.session.suspended_complaint.clone().expect("kept");
    assert_eq!(suspended.category.as_deref(), Some("sampah"));
}

#[test]
fn declining_the_privacy_notice_ends_the_form_without_a_complaint() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    let turn = chat.say(POTHOLE);
    assert!(asks_consent(&turn));
    assert!(chat.session.flow.is_some());

    let turn = chat.press(cid::CONSENT_NO);
    assert_eq!(body(only(&turn)), ct::CONSENT_DECLINED);
    assert_eq!(button_ids(only(&turn)), vec![ids::MENU.to_string()]);
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(chat.session.flow, None);
    assert_eq!(chat.session.suspended_complaint, None);
    assert_eq!(chat.profile.privacy_consent_ms, None);

    // Asked again next time; a typed "tidak setuju" declines too.
    let turn = chat.tap("menu.aduan");
    assert!(asks_consent(&turn));
    let turn = chat.say("tidak setuju");
    assert_eq!(body(only(&turn)), ct::CONSENT_DECLINED);
    assert_eq!(chat.session.flow, None);
    assert_eq!(chat.profile.privacy_consent_ms, None);
    assert!(chat.complaints.is_empty());
}

#[test]
fn consent_is_asked_once_per_citizen() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    let turn = chat.tap("menu.aduan");
    assert!(asks_consent(&turn));
    let consent_at = chat.now_ms;
    chat.press(cid::CONSENT_YES);
    submit_one(&mut chat, "jalan-rusak", POTHOLE);

    chat.now_ms += 3 * DAY_MS;
    let turn = chat.tap("menu.aduan");
    assert!(!asks_consent(&turn), "{:#?}", turn.replies);
    assert_eq!(as_text(&turn.replies[0]), ct::CATEGORY_HINT);
    chat.say("batal");
    let turn = chat.say(POTHOLE);
    assert!(!asks_consent(&turn));
    assert_eq!(draft(&chat).step, DraftStep::ConfirmCategory);
    chat.press(cid::CATEGORY_OK);
    chat.send(pin_message());
    chat.press(cid::PHOTOS_DONE);
    chat.press(cid::PRIVACY_BIASA);
    created(&chat.press(cid::SUBMIT));
    assert_eq!(chat.complaints.len(), 2);
    assert_eq!(chat.profile.privacy_consent_ms, Some(consent_at));
}

#[test]
fn a_burst_of_text_photo_and_location_lands_in_the_form_in_order() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    chat.tap("complaint:jalan-rusak");
    assert_eq!(draft(&chat).step, DraftStep::Description);

    // Sent within seconds: each one is a turn on the session the previous one left.
    let turn = chat.say(POTHOLE);
    assert!(matches!(only(&turn), Reply::LocationRequest(_)));
    chat.now_ms += 2_000;
    let turn = chat.send(photo("media-1"));
    // The photo is kept while the location is still asked for.
    assert_eq!(only(&turn), &Reply::LocationRequest(ct::location_ask(true)));
    let form = draft(&chat);
    assert_eq!(form.description.as_deref(), Some(POTHOLE));
    assert_eq!(form.photos.len(), 1);
    chat.now_ms += 2_000;
    let turn = chat.send(pin_message());
    assert_eq!(body(only(&turn)), ct::photos_ask(1));
    let form = draft(&chat);
    assert_eq!(form.description.as_deref(), Some(POTHOLE));
    assert_eq!(form.photos[0].media_id, "media-1");
    assert_eq!(form.location, Some(pinned()));
    assert_eq!(form.step, DraftStep::Photos);

    chat.press(cid::PHOTOS_DONE);
    chat.press(cid::PRIVACY_BIASA);
    let new = created(&chat.press(cid::SUBMIT));
    assert_eq!(new.description, POTHOLE);
    assert_eq!(new.photos.len(), 1);
    assert_eq!(new.photos[0].media_id, "media-1");
    assert_eq!(new.location, Some(pinned()));

    // A burst opening the form from nothing: text, photo, location, all before consent.
    let mut chat = Chat::new(&content, &answerer);
    chat.say(POTHOLE);
    chat.send(photo("media-9"));
    chat.send(pin_message());
    let turn = chat.press(cid::CONSENT_YES);
    assert!(all_text(&turn).contains(&content.category("jalan-rusak").expect("c").name));
    chat.press(cid::CATEGORY_OK);
    let form = draft(&chat);
    assert_eq!(form.step, DraftStep::Photos);
    assert_eq!(form.description.as_deref(), Some(POTHOLE));
    assert_eq!(form.photos[0].media_id, "media-9");
    assert_eq!(form.location, Some(pinned()));
}

#[test]
fn ubah_changes_the_description_and_returns_to_the_summary() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    fill_form(&mut chat, "jalan-rusak", POTHOLE);

    let turn = chat.press(cid::EDIT);
    let list = as_list(only(&turn));
    assert_eq!(list.body, ct::EDIT_ASK);
    assert_eq!(
        row_ids(only(&turn)),
        vec![
            cid::EDIT_CATEGORY,
            cid::EDIT_DESCRIPTION,
            cid::EDIT_LOCATION,
            cid::EDIT_PHOTOS,
            cid::EDIT_PRIVACY
        ]
    );
    let turn = chat.tap(cid::EDIT_DESCRIPTION);
    assert_eq!(as_text(only(&turn)), ct::DESCRIPTION_ASK);

    let better = "Lubang di Jl. Suroyo depan Toko Makmur, lebar satu meter, dua motor jatuh";
    let turn = chat.say(better);
    assert_eq!(turn.replies.len(), 2);
    let summary = as_text(&turn.replies[0]);
    assert!(summary.contains(better), "{summary}");
    assert!(!summary.contains(POTHOLE), "{summary}");
    assert!(
        summary.contains("Depan Toko Makmur"),
        "location kept: {summary}"
    );
    assert_eq!(
        button_ids(&turn.replies[1]),
        vec![
            cid::SUBMIT.to_string(),
            cid::EDIT.to_string(),
            ids::CANCEL.to_string()
        ]
    );
    assert_eq!(draft(&chat).step, DraftStep::Summary);
    let new = created(&chat.press(cid::SUBMIT));
    assert_eq!(new.description, better);
    assert_eq!(new.location, Some(pinned()));
}

#[test]
fn a_fourth_photo_is_refused() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    chat.tap("complaint:sampah");
    chat.say("TPS di Jl. Brantas penuh, sampah tidak diangkut sejak Jumat");
    chat.send(pin_message());
    chat.send(photo("media-1"));
    chat.send(photo("media-2"));
    // The third photo completes them: the next question comes.
    let turn = chat.send(photo("media-3"));
    assert_eq!(body(only(&turn)), ct::PRIVACY_ASK);

    let turn = chat.send(photo("media-4"));
    assert_eq!(turn.replies.len(), 2);
    assert_eq!(as_text(&turn.replies[0]), ct::PHOTOS_FULL);
    assert_eq!(body(&turn.replies[1]), ct::PRIVACY_ASK);
    let kept: Vec<String> = draft(&chat)
        .photos
        .iter()
        .map(|p| p.media_id.clone())
        .collect();
    assert_eq!(kept, vec!["media-1", "media-2", "media-3"]);
    // The same photo delivered twice is attached once.
    let mut chat2 = Chat::new(&content, &answerer);
    consented(&mut chat2);
    chat2.tap("complaint:sampah");
    chat2.send(photo("media-1"));
    chat2.send(photo("media-1"));
    assert_eq!(draft(&chat2).photos.len(), 1);

    chat.press(cid::PRIVACY_BIASA);
    let new = created(&chat.press(cid::SUBMIT));
    assert_eq!(new.photos.len(), ct::FORM_MAX_PHOTOS);
}

#[test]
fn answers_to_perlu_dilengkapi_attach_to_the_ticket_and_resume_it() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let ticket = submit_one(&mut chat, "jalan-rusak", POTHOLE);

    chat.now_ms += HOUR_MS;
    operator_sets(
        &mut chat,
        &ticket,
        Status::Diteruskan,
        None,
        Some("INTERNAL: diteruskan tanpa cek lapangan"),
    );
    chat.now_ms += HOUR_MS;
    operator_sets(
        &mut chat,
        &ticket,
        Status::PerluDilengkapi,
        Some("Mohon kirim patokan lokasi yang lebih jelas."),
        Some("INTERNAL: pelapor sudah tiga kali lapor"),
    );

    // Tracking while it waits tells the citizen that replies are attached; it adds nothing.
    chat.now_ms += DAY_MS;
    let turn = chat.say(&format!("cek {ticket}"));
    assert!(turn.complaint_ops.is_empty());
    let timeline = all_text(&turn);
    assert!(timeline.contains(ct::COMPLETE_REQUEST_HINT), "{timeline}");
    assert!(timeline.contains(Status::PerluDilengkapi.label()));

    // The first message answers the request: the ticket resumes where it stood.
    let answer = "Patokannya depan Toko Makmur, sebelah masjid Al-Ikhlas";
    let turn = chat.say(answer);
    assert_eq!(as_text(only(&turn)), ct::info_attached(&ticket, true));
    let changed = updated(&turn);
    assert_eq!(changed.status, Status::Diteruskan);
    let event = changed.events.last().expect("event");
    assert_eq!(event.from, Some(Status::PerluDilengkapi));
    assert_eq!(event.to, Status::Diteruskan);
    assert_eq!(
        event.info.as_ref().and_then(|i| i.text.as_deref()),
        Some(answer)
    );
    let window = chat.session.attach.clone().expect("attach window");
    assert_eq!(window.ticket, ticket);
    assert_eq!(window.until_ms, chat.now_ms + ct::ATTACH_WINDOW_MS);
    assert_eq!(chat.session.flow, None);

    // The rest of the burst, within the window, adds without a status change.
    chat.now_ms += 5 * MINUTE_MS;
    let turn = chat.send(photo("media-extra"));
    assert_eq!(as_text(only(&turn)), ct::info_attached(&ticket, false));
    let changed = updated(&turn);
    assert_eq!(changed.status, Status::Diteruskan);
    let event = changed.events.last().expect("event");
    assert_eq!(event.from, Some(Status::Diteruskan));
    assert_eq!(event.to, Status::Diteruskan);
    assert!(changed.photos.iter().any(|p| p.media_id == "media-extra"));
    chat.now_ms += MINUTE_MS;
    let turn = chat.say("lubangnya juga makin lebar kalau hujan");
    assert_eq!(as_text(only(&turn)), ct::info_attached(&ticket, false));
    assert_eq!(updated(&turn).status, Status::Diteruskan);
    assert_eq!(stored(&chat, &ticket).status, Status::Diteruskan);

    // The public timeline: status changes, public notes and additions; no internal note.
    let turn = chat.say(&format!("cek {ticket}"));
    let timeline = all_text(&turn);
    assert!(!timeline.contains("INTERNAL"), "{timeline}");
    assert!(timeline.contains("Mohon kirim patokan lokasi yang lebih jelas."));
    assert!(timeline.contains(Status::Diteruskan.label()));
    // Every addition shows as one; the one that resumed the ticket also names the status.
    assert_eq!(
        timeline
            .matches(&format!(
                "Informasi tambahan dari pelapor ({})",
                Status::Diteruskan.label()
            ))
            .count(),
        1,
        "{timeline}"
    );
    assert_eq!(
        timeline.matches("Informasi tambahan dari pelapor").count(),
        3,
        "{timeline}"
    );
    assert!(!timeline.contains(ct::COMPLETE_REQUEST_HINT));

    // After the window, messages are ordinary questions again.
    chat.now_ms += ct::ATTACH_WINDOW_MS;
    let turn = chat.say("apa saja syarat bikin KTP-el baru?");
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(
        as_text(only(&turn)),
        answer_of("kependudukan.ktp-el-baru", &content)
    );
}

#[test]
fn a_complaint_can_be_withdrawn_until_it_is_processed() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let ticket = submit_one(&mut chat, "jalan-rusak", POTHOLE);
    let confirm_id = format!("{}{ticket}", cid::WITHDRAW_PREFIX);

    let turn = chat.say(&format!("batalkan aduan {ticket}"));
    assert_eq!(body(only(&turn)), ct::withdraw_confirm(&ticket));
    assert_eq!(
        button_ids(only(&turn)),
        vec![confirm_id.clone(), cid::KEEP.to_string()]
    );
    assert!(turn.complaint_ops.is_empty());
    let turn = chat.press(cid::KEEP);
    assert_eq!(as_text(only(&turn)), ct::WITHDRAW_KEPT);
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(stored(&chat, &ticket).status, Status::Diterima);

    chat.say(&format!("cabut {}", ticket.to_lowercase()));
    let turn = chat.press(&confirm_id);
    assert_eq!(as_text(only(&turn)), ct::withdrawn(&ticket));
    let changed = updated(&turn);
    assert_eq!(changed.status, Status::Dicabut);
    let event = changed.events.last().expect("event");
    assert_eq!(event.from, Some(Status::Diterima));
    assert_eq!(event.actor, Actor::citizen("6281234567890"));
    assert_eq!(stored(&chat, &ticket).status, Status::Dicabut);
    // Tapped again: the same answer, nothing more.
    let turn = chat.press(&confirm_id);
    assert_eq!(as_text(only(&turn)), ct::withdrawn(&ticket));
    assert!(turn.complaint_ops.is_empty());

    // Once processed, refused with the reason.
    let other = submit_one(
        &mut chat,
        "sampah",
        "TPS di Jl. Brantas penuh, sampah tidak diangkut sejak Jumat",
    );
    let other_confirm = format!("{}{other}", cid::WITHDRAW_PREFIX);
    let turn = chat.say(&format!("batalkan aduan {other}"));
    assert_eq!(button_ids(only(&turn))[0], other_confirm);
    chat.now_ms += HOUR_MS;
    operator_sets(&mut chat, &other, Status::Diteruskan, None, None);
    operator_sets(&mut chat, &other, Status::Diproses, None, None);
    let refusal = ct::withdraw_refused(&other, Status::Diproses);
    let turn = chat.say(&format!("batalkan aduan {other}"));
    assert_eq!(as_text(only(&turn)), refusal);
    assert!(turn.complaint_ops.is_empty());
    // The confirmation button sent before the processing started is refused too.
    let turn = chat.press(&other_confirm);
    assert_eq!(as_text(only(&turn)), refusal);
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(stored(&chat, &other).status, Status::Diproses);
    // The timeline no longer offers to withdraw it.
    let turn = chat.say(&format!("cek {other}"));
    let offered: Vec<String> = turn
        .replies
        .iter()
        .filter(|r| matches!(r, Reply::Buttons(_)))
        .flat_map(button_ids)
        .collect();
    assert!(!offered.contains(&other_confirm), "{offered:?}");
}

#[test]
fn tracking_shows_only_the_citizens_own_complaints() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);

    let turn = chat.say("cek aduan");
    assert_eq!(body(only(&turn)), ct::NO_COMPLAINTS);

    consented(&mut chat);
    let ticket = submit_one(&mut chat, "jalan-rusak", POTHOLE);
    let category = content.category("sampah").expect("category");
    let rules = Rules {
        sla: Sla::from(category),
        holidays: &content.holidays,
    };
    let theirs = complaint::submit(
        Submission {
            ticket: complaint::ticket_for("wamid.SOMEONE-ELSE", 0),
            citizen_key: "6289999999999".into(),
            reporter_name: Some("Siti".into()),
            category_id: category.id.clone(),
            opd_id: category.opd_id.clone(),
            description: "Sampah di depan rumah Siti tidak diangkut seminggu".into(),
            location: None,
            photos: Vec::new(),
            privacy: Privacy::Biasa,
            source_wamid: "wamid.SOMEONE-ELSE".into(),
            at_ms: chat.now_ms,
        },
        &rules,
    );
    let other = theirs.ticket.clone();
    chat.complaints.push(Complaint {
        version: 1,
        ..theirs
    });
    let nowhere = complaint::ticket_for("wamid.NOWHERE", 0);
    assert!(chat.complaints.iter().all(|c| c.ticket != nowhere));

    // "cek aduan": the citizen's own list, with status and the next deadline.
    let turn = chat.say("cek aduan");
    let list = as_list(only(&turn));
    let own = stored(&chat, &ticket).clone();
    assert!(list.body.contains(&ticket), "{}", list.body);
    assert!(list.body.contains(own.status.label()));
    let next = ct::next_deadline_text(&own).expect("next deadline");
    assert!(list.body.contains(&next), "{}", list.body);
    assert!(!list.body.contains(&other));
    assert_eq!(
        row_ids(only(&turn)),
        vec![format!("{}{ticket}", cid::TRACK_PREFIX)]
    );
    let from_menu = chat.tap("menu.cek-aduan");
    assert_eq!(from_menu.replies, turn.replies);

    // One ticket: the public timeline, whatever the case or the dash.
    let timeline = chat.say(&format!("cek {ticket}"));
    let text = all_text(&timeline);
    assert!(text.contains(&ticket));
    assert!(text.contains(Status::Diterima.label()));
    assert!(text.contains(&next));
    let code = &ticket[3..];
    for typed in [
        ticket.to_lowercase(),
        format!("cek ps{}", code.to_lowercase()),
        format!("Ps {code}"),
        format!("status aduan PS-{}?", code.to_lowercase()),
    ] {
        let turn = chat.say(&typed);
        assert_eq!(turn.replies, timeline.replies, "{typed}");
    }
    let tapped = chat.tap(&format!("{}{ticket}", cid::TRACK_PREFIX));
    assert_eq!(tapped.replies, timeline.replies);

    // Someone else's ticket gets exactly the "not found" of a ticket that does not exist.
    let built = |turn: &Turn| -> Vec<String> {
        turn.replies
            .iter()
            .map(|r| reply_body(r, &address()).expect("sendable").to_string())
            .collect()
    };
    let not_found = chat.say(&format!("cek {nowhere}"));
    assert_eq!(body(only(&not_found)), ct::TICKET_NOT_FOUND);
    for (others, none) in [
        (format!("cek {other}"), format!("cek {nowhere}")),
        (other.to_lowercase(), nowhere.to_lowercase()),
        (
            format!("batalkan aduan {other}"),
            format!("batalkan aduan {nowhere}"),
        ),
    ] {
        let a = chat.say(&others);
        let b = chat.say(&none);
        assert_eq!(built(&a), built(&b), "{others}");
        assert_eq!(built(&a), built(&not_found), "{others}");
        assert!(a.complaint_ops.is_empty());
    }
    for prefix in [cid::TRACK_PREFIX, cid::WITHDRAW_PREFIX] {
        let a = chat.press(&format!("{prefix}{other}"));
        let b = chat.press(&format!("{prefix}{nowhere}"));
        assert_eq!(built(&a), built(&b), "{prefix}");
        assert_eq!(built(&a), built(&not_found), "{prefix}");
        assert!(a.complaint_ops.is_empty());
    }
    assert_eq!(stored(&chat, &other).status, Status::Diterima);
    assert_eq!(stored(&chat, &other).version, 1);
}

#[test]
fn words_typed_at_the_photo_question_join_the_description() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    chat.tap("complaint:sampah");
    chat.say("TPS di Jl. Brantas penuh, sampah tidak diangkut sejak Jumat");
    chat.send(pin_message());
    let turn = chat.say("baunya sampai ke rumah warga dan banyak lalat");
    assert_eq!(as_text(&turn.replies[0]), ct::DESCRIPTION_EXTENDED);
    assert_eq!(
        draft(&chat).description.as_deref(),
        Some(
            "TPS di Jl. Brantas penuh, sampah tidak diangkut sejak Jumat\n\
             baunya sampai ke rumah warga dan banyak lalat"
        )
    );
    assert_eq!(draft(&chat).step, DraftStep::Photos);
}

#[test]
fn an_old_decline_button_after_consenting_keeps_the_form() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    chat.tap("menu.aduan");
    chat.press(cid::CONSENT_YES);
    chat.tap("complaint:sampah");
    let consent_ms = chat.profile.privacy_consent_ms;
    assert!(consent_ms.is_some());
    // The notice's other button, tapped late.
    chat.press(cid::CONSENT_NO);
    assert_eq!(chat.profile.privacy_consent_ms, consent_ms);
    assert_eq!(draft(&chat).category.as_deref(), Some("sampah"));
    assert_eq!(draft(&chat).step, DraftStep::Description);
}

#[test]
fn typing_buat_aduan_opens_the_form_and_a_how_to_question_gets_the_faq() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    for opener in ["Buat Aduan", "mau lapor", "saya mau mengadu", "aduan"] {
        let mut chat = Chat::new(&content, &answerer);
        let turn = chat.say(opener);
        assert!(asks_consent(&turn), "{opener}: {:#?}", turn.replies);
        assert!(matches!(chat.session.flow, Some(Flow::Complaint(_))));
    }
    let mut chat = Chat::new(&content, &answerer);
    let turn = chat.say("bagaimana cara membuat aduan?");
    assert!(chat.session.flow.is_none(), "{:#?}", turn.replies);
}

// ---------------------------------------------------------------------------------------------
// Rating and duplicates
// ---------------------------------------------------------------------------------------------

const OTHER_CITIZEN: &str = "6289999999999";
const THEIR_STORY: &str = "Aspal depan rumah Bu Siti Aminah ambles, anak saya jatuh kemarin";

/// The operator takes the complaint to `selesai`.
fn finish(chat: &mut Chat, ticket: &str) {
    chat.now_ms += HOUR_MS;
    operator_sets(chat, ticket, Status::Diteruskan, None, None);
    operator_sets(chat, ticket, Status::Diproses, None, None);
    operator_sets(
        chat,
        ticket,
        Status::Selesai,
        Some("Lubang sudah ditambal."),
        Some("INTERNAL: tambalan sementara"),
    );
    chat.now_ms += HOUR_MS;
}

/// Another citizen's `diteruskan` complaint about a pothole ~33 m north of [`place`], placed
/// in the store as the worker would have stored it.
fn someone_elses(chat: &mut Chat, privacy: Privacy) -> String {
    let content = chat.content;
    let category = content.category("jalan-rusak").expect("category");
    let rules = Rules {
        sla: Sla::from(category),
        holidays: &content.holidays,
    };
    let here = place();
    let theirs = complaint::submit(
        Submission {
            ticket: complaint::ticket_for("wamid.SITI", 0),
            citizen_key: OTHER_CITIZEN.into(),
            reporter_name: Some("Siti Aminah".into()),
            category_id: category.id.clone(),
            opd_id: category.opd_id.clone(),
            description: THEIR_STORY.into(),
            location: Some(ComplaintLocation::Pin {
                latitude: here.latitude + 0.0003,
                longitude: here.longitude,
                name: Some("Rumah Bu Siti".into()),
                address: Some("Jl. Suroyo 12, Tisnonegaran, Kec. Kanigaran".into()),
            }),
            photos: Vec::new(),
            privacy,
            source_wamid: "wamid.SITI".into(),
            at_ms: chat.now_ms - 2 * DAY_MS,
        },
        &rules,
    );
    let ticket = theirs.ticket.clone();
    chat.complaints.push(Complaint {
        version: 1,
        ..theirs
    });
    operator_sets(
        chat,
        &ticket,
        Status::Diteruskan,
        None,
        Some("INTERNAL: cek"),
    );
    ticket
}

/// The complaint worker after a submission: links the new complaint to the one it probably
/// repeats and builds the offer.
fn link_duplicate(chat: &mut Chat, new: &str) -> (String, Reply) {
    let fresh = stored(chat, new).clone();
    let original = complaint::duplicates::find_duplicate(&fresh, &chat.complaints, chat.now_ms)
        .expect("a duplicate")
        .clone();
    let category = chat
        .content
        .category(&fresh.category_id)
        .expect("category")
        .name
        .clone();
    let slot = chat
        .complaints
        .iter_mut()
        .find(|c| c.ticket == new)
        .expect("stored");
    slot.duplicate_of = Some(original.ticket.clone());
    slot.version += 1;
    let offer = ct::duplicate_offer(slot, &original, &category);
    (original.ticket, offer)
}

fn redeliver_last(chat: &mut Chat, message: fn(&str) -> InboundMessage, id: &str) -> Turn {
    let mut again = message(id);
    again.id = chat.last_id.clone();
    chat.deliver(again)
}

#[test]
fn sudah_asks_for_a_rating_that_closes_the_complaint_and_takes_one_comment() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let ticket = submit_one(&mut chat, "jalan-rusak", POTHOLE);
    finish(&mut chat, &ticket);

    // The timeline of a finished complaint asks the same question as the notice.
    let turn = chat.say(&format!("cek {ticket}"));
    let offered: Vec<String> = turn
        .replies
        .iter()
        .filter(|r| matches!(r, Reply::Buttons(_)))
        .flat_map(button_ids)
        .collect();
    let solved = format!("{}{ticket}", cid::SOLVED_PREFIX);
    assert!(offered.contains(&solved), "{offered:?}");
    assert!(offered.contains(&format!("{}{ticket}", cid::UNSOLVED_PREFIX)));

    // Sudah: the 1–5 list; nothing changes yet.
    let turn = chat.press(&solved);
    assert!(turn.complaint_ops.is_empty());
    let list = as_list(only(&turn));
    assert!(list.body.contains(&ticket));
    let rows: Vec<(String, String)> = list
        .sections
        .iter()
        .flat_map(|s| s.rows.iter().map(|r| (r.id.clone(), r.title.clone())))
        .collect();
    let expected: Vec<(String, String)> = (1..=5)
        .map(|n| (format!("aduan:nilai:{ticket}:{n}"), "⭐".repeat(n)))
        .collect();
    assert_eq!(rows, expected);

    // 4 stars: closed in one event, the rating kept; a comment is invited.
    let score_id = format!("aduan:nilai:{ticket}:4");
    let turn = chat.tap(&score_id);
    assert_eq!(as_text(only(&turn)), ct::rated(&ticket, 4, true));
    let changed = updated(&turn);
    assert_eq!(changed.status, Status::Ditutup);
    let rating = changed.rating.clone().expect("rating");
    assert_eq!((rating.score, rating.comment.as_deref()), (4, None));
    assert_eq!(rating.at_ms, chat.now_ms);
    let event = changed.events.last().expect("event");
    assert_eq!(event.from, Some(Status::Selesai));
    assert_eq!(event.actor, Actor::citizen("6281234567890"));
    assert_eq!(event.public_note.as_deref(), Some("Dinilai pelapor: 4/5"));
    assert_eq!(changed.next_due_ms, None);
    let window = chat.session.rating_comment.clone().expect("comment window");
    assert_eq!(window.ticket, ticket);
    assert_eq!(window.until_ms, chat.now_ms + ct::ATTACH_WINDOW_MS);
    let version = stored(&chat, &ticket).version;

    // The same tap redelivered: the same answer, nothing stored twice.
    let again = redeliver_last(&mut chat, list_tap, &score_id);
    assert_eq!(again.replies, turn.replies);
    // A redelivery writes nothing; it only queues the follow-up tasks again.
    assert!(
        again
            .complaint_ops
            .iter()
            .all(|op| matches!(op, ComplaintOp::Replay(_))),
        "{:?}",
        again.complaint_ops
    );
    assert_eq!(stored(&chat, &ticket).version, version);

    // The next text within 15 minutes is the comment.
    chat.now_ms += 3 * MINUTE_MS;
    let comment = "Petugasnya cepat, tapi tambalannya kurang rata";
    let turn = chat.say(comment);
    assert_eq!(as_text(only(&turn)), ct::COMMENT_THANKS);
    let changed = updated(&turn);
    assert_eq!(changed.status, Status::Ditutup);
    let rating = changed.rating.clone().expect("rating");
    assert_eq!(
        (rating.score, rating.comment.as_deref()),
        (4, Some(comment))
    );
    let event = changed.events.last().expect("event");
    assert_eq!(
        (event.from, event.to),
        (Some(Status::Ditutup), Status::Ditutup)
    );
    assert_eq!(
        event.info.as_ref().and_then(|i| i.text.as_deref()),
        Some(comment)
    );
    assert_eq!(chat.session.rating_comment, None);

    // Only one comment: the next message is an ordinary question.
    let turn = chat.say("apa saja syarat bikin KTP-el baru?");
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(
        as_text(only(&turn)),
        answer_of("kependudukan.ktp-el-baru", &content)
    );

    // The timeline shows the rating and the comment, never the internal note.
    let text = all_text(&chat.say(&format!("cek {ticket}")));
    assert!(text.contains("Dinilai pelapor: 4/5"), "{text}");
    assert!(text.contains("Komentar penilaian dari pelapor"), "{text}");
    assert!(text.contains(Status::Ditutup.label()));
    assert!(!text.contains("INTERNAL"));

    // Rated once: later taps say so and change nothing.
    for (tap, id) in [
        (list_tap as fn(&str) -> InboundMessage, solved.clone()),
        (list_tap, format!("aduan:nilai:{ticket}:5")),
    ] {
        let turn = chat.send(tap(&id));
        assert!(turn.complaint_ops.is_empty(), "{id}");
        let text = as_text(only(&turn));
        assert!(text.contains("sudah Anda nilai (4/5)"), "{text}");
    }
    assert_eq!(
        stored(&chat, &ticket).rating.as_ref().map(|r| r.score),
        Some(4)
    );
}

#[test]
fn the_comment_invitation_can_be_declined_and_lapses_after_15_minutes() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let first = submit_one(&mut chat, "jalan-rusak", POTHOLE);
    let second = submit_one(
        &mut chat,
        "sampah",
        "TPS di Jl. Brantas penuh, sampah tidak diangkut sejak Jumat",
    );
    finish(&mut chat, &first);
    finish(&mut chat, &second);

    chat.tap(&format!("aduan:nilai:{first}:5"));
    let turn = chat.say("tidak");
    assert_eq!(as_text(only(&turn)), ct::COMMENT_SKIPPED);
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(
        stored(&chat, &first).rating.as_ref().map(|r| r.score),
        Some(5)
    );
    assert_eq!(
        stored(&chat, &first)
            .rating
            .as_ref()
            .and_then(|r| r.comment.clone()),
        None
    );

    chat.tap(&format!("aduan:nilai:{second}:1"));
    assert!(chat.session.rating_comment.is_some());
    chat.now_ms += ct::ATTACH_WINDOW_MS;
    let turn = chat.say("apa saja syarat bikin KTP-el baru?");
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(
        as_text(only(&turn)),
        answer_of("kependudukan.ktp-el-baru", &content)
    );
    assert_eq!(chat.session.rating_comment, None);
    assert_eq!(
        stored(&chat, &second)
            .rating
            .as_ref()
            .and_then(|r| r.comment.clone()),
        None
    );
}

#[test]
fn ratings_out_of_range_before_selesai_or_on_someone_elses_ticket_are_refused() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let ticket = submit_one(&mut chat, "jalan-rusak", POTHOLE);

    // Not finished yet.
    for id in [
        format!("{}{ticket}", cid::SOLVED_PREFIX),
        format!("aduan:nilai:{ticket}:5"),
        format!("{}{ticket}", cid::UNSOLVED_PREFIX),
    ] {
        let turn = chat.press(&id);
        assert!(turn.complaint_ops.is_empty(), "{id}");
        let text = as_text(only(&turn));
        assert!(text.contains("belum selesai ditangani"), "{id}: {text}");
    }

    // Out of range or garbled.
    finish(&mut chat, &ticket);
    for score in ["0", "6", "x", "300", ""] {
        let turn = chat.tap(&format!("aduan:nilai:{ticket}:{score}"));
        assert!(turn.complaint_ops.is_empty(), "{score}");
        assert_eq!(turn.replies.len(), 2, "{score}");
        assert_eq!(as_text(&turn.replies[0]), ct::SCORE_INVALID);
        assert_eq!(row_ids(&turn.replies[1]).len(), 5);
    }
    assert_eq!(stored(&chat, &ticket).status, Status::Selesai);

    // Someone else's finished complaint: "not found", like a ticket that does not exist.
    let theirs = someone_elses(&mut chat, Privacy::Biasa);
    chat.now_ms += HOUR_MS;
    operator_sets(&mut chat, &theirs, Status::Diproses, None, None);
    operator_sets(
        &mut chat,
        &theirs,
        Status::Selesai,
        Some("Sudah ditambal."),
        None,
    );
    let version = stored(&chat, &theirs).version;
    for id in [
        format!("{}{theirs}", cid::SOLVED_PREFIX),
        format!("aduan:nilai:{theirs}:1"),
        format!("{}{theirs}", cid::UNSOLVED_PREFIX),
        format!("{}{theirs}", cid::FOLLOW_PREFIX),
        format!("{}{theirs}", cid::SEPARATE_PREFIX),
    ] {
        let turn = chat.press(&id);
        assert!(turn.complaint_ops.is_empty(), "{id}");
        assert_eq!(body(only(&turn)), ct::TICKET_NOT_FOUND, "{id}");
    }
    assert_eq!(stored(&chat, &theirs).version, version);
    assert_eq!(stored(&chat, &theirs).status, Status::Selesai);
}

#[test]
fn belum_reopens_the_complaint_and_what_follows_attaches_to_it() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let ticket = submit_one(&mut chat, "jalan-rusak", POTHOLE);
    finish(&mut chat, &ticket);

    let unsolved = format!("{}{ticket}", cid::UNSOLVED_PREFIX);
    let turn = chat.press(&unsolved);
    assert_eq!(as_text(only(&turn)), ct::reopened(&ticket));
    let changed = updated(&turn);
    assert_eq!(changed.status, Status::DibukaKembali);
    let event = changed.events.last().expect("event");
    assert_eq!(event.from, Some(Status::Selesai));
    assert_eq!(event.actor, Actor::citizen("6281234567890"));
    assert_eq!(
        event.public_note.as_deref(),
        Some("Pelapor menyatakan belum selesai.")
    );
    let window = chat.session.attach.clone().expect("attach window");
    assert_eq!(window.ticket, ticket);
    let version = stored(&chat, &ticket).version;

    // Redelivered: the same answer, nothing more.
    let again = redeliver_last(&mut chat, button_tap, &unsolved);
    assert_eq!(again.replies, turn.replies);
    // A redelivery writes nothing; it only queues the follow-up tasks again.
    assert!(
        again
            .complaint_ops
            .iter()
            .all(|op| matches!(op, ComplaintOp::Replay(_))),
        "{:?}",
        again.complaint_ops
    );
    assert_eq!(stored(&chat, &ticket).version, version);

    // What the citizen sends next is added to the reopened complaint.
    chat.now_ms += 2 * MINUTE_MS;
    let detail = "Tambalannya sudah ambles lagi setelah hujan semalam";
    let turn = chat.say(detail);
    assert_eq!(as_text(only(&turn)), ct::info_attached(&ticket, false));
    let changed = updated(&turn);
    assert_eq!(changed.status, Status::DibukaKembali);
    let event = changed.events.last().expect("event");
    assert_eq!(
        event.info.as_ref().and_then(|i| i.text.as_deref()),
        Some(detail)
    );
    chat.now_ms += MINUTE_MS;
    let turn = chat.send(photo("media-ambles"));
    assert!(updated(&turn)
        .photos
        .iter()
        .any(|p| p.media_id == "media-ambles"));

    // A second Belum (or Sudah) says it is being handled again.
    let turn = chat.press(&unsolved);
    assert!(turn.complaint_ops.is_empty());
    assert!(as_text(only(&turn)).contains("dibuka kembali"));
    let turn = chat.press(&format!("{}{ticket}", cid::SOLVED_PREFIX));
    assert!(turn.complaint_ops.is_empty());
    assert!(as_text(only(&turn)).contains("dibuka kembali"));

    let text = all_text(&chat.say(&format!("cek {ticket}")));
    assert!(text.contains(Status::DibukaKembali.label()), "{text}");
    assert!(text.contains("Pelapor menyatakan belum selesai."), "{text}");

    // Finished again: the question is asked again, and a rating now closes it.
    operator_sets(
        &mut chat,
        &ticket,
        Status::Selesai,
        Some("Ditambal ulang dengan aspal hotmix."),
        None,
    );
    let turn = chat.tap(&format!("aduan:nilai:{ticket}:5"));
    assert_eq!(updated(&turn).status, Status::Ditutup);
}

#[test]
fn the_duplicate_offer_shows_the_original_without_its_reporters_details() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let original = someone_elses(&mut chat, Privacy::Biasa);
    let new = submit_one(&mut chat, "jalan-rusak", POTHOLE);
    let (linked, offer) = link_duplicate(&mut chat, &new);
    assert_eq!(linked, original);
    assert_sendable(std::slice::from_ref(&offer));
    assert_eq!(
        button_ids(&offer),
        vec![
            format!("{}{new}", cid::FOLLOW_PREFIX),
            format!("{}{new}", cid::SEPARATE_PREFIX),
        ]
    );
    let text = body(&offer);
    let theirs = stored(&chat, &original).clone();
    assert!(text.contains(&new), "{text}");
    assert!(text.contains(&original), "{text}");
    assert!(text.contains(theirs.status.label()), "{text}");
    assert!(text.contains("Kel. Tisnonegaran"), "{text}");
    // 0.0003° of latitude ≈ 33 m, shown to the nearest 10 m.
    assert!(text.contains("± 30 m"), "{text}");
    let received = calendar::format_date_id(calendar::wib_date(theirs.received_ms));
    assert!(text.contains(&received), "{text}");
    assert!(text.contains("warga lain"), "{text}");
    for private in [
        THEIR_STORY,
        "Siti",
        "Rumah Bu",
        "Suroyo 12",
        OTHER_CITIZEN,
        "INTERNAL",
    ] {
        assert!(!text.contains(private), "{private} in {text}");
    }

    // A secret complaint is never offered.
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    someone_elses(&mut chat, Privacy::Rahasia);
    let new = submit_one(&mut chat, "jalan-rusak", POTHOLE);
    let fresh = stored(&chat, &new).clone();
    assert_eq!(
        complaint::duplicates::find_duplicate(&fresh, &chat.complaints, chat.now_ms),
        None
    );
}

#[test]
fn ikut_melapor_follows_the_original_withdraws_the_new_one_and_shows_the_original() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let original = someone_elses(&mut chat, Privacy::Biasa);
    let new = submit_one(&mut chat, "jalan-rusak", POTHOLE);
    link_duplicate(&mut chat, &new);
    let before_original = stored(&chat, &original).clone();
    let before_new = stored(&chat, &new).clone();

    // Not a follower yet: the original is someone else's ticket.
    let turn = chat.say(&format!("cek {original}"));
    assert_eq!(body(only(&turn)), ct::TICKET_NOT_FOUND);

    let follow_id = format!("{}{new}", cid::FOLLOW_PREFIX);
    let turn = chat.press(&follow_id);
    let reply = only(&turn);
    assert_eq!(body(reply), ct::following(&new, &original, false));
    assert_eq!(
        button_ids(reply),
        vec![
            format!("{}{original}", cid::TRACK_PREFIX),
            ids::MENU.to_string()
        ]
    );
    let (followed, merged) = match turn.complaint_ops.as_slice() {
        [ComplaintOp::Update(a), ComplaintOp::Update(b)] => ((**a).clone(), (**b).clone()),
        other => panic!("expected two updates, got {other:?}"),
    };
    // The original: one more follower, an internal event, same status.
    assert_eq!(followed.ticket, original);
    assert_eq!(followed.followers, vec!["6281234567890".to_string()]);
    assert_eq!(followed.status, before_original.status);
    let event = followed.events.last().expect("event");
    assert_eq!(event.from, Some(event.to));
    assert_eq!(event.public_note, None);
    assert!(event.internal_note.is_some());
    // The new one: withdrawn into the original, with a note the citizen sees.
    assert_eq!(merged.ticket, new);
    assert_eq!(merged.status, Status::Dicabut);
    assert_eq!(merged.duplicate_of.as_deref(), Some(original.as_str()));
    let event = merged.events.last().expect("event");
    assert_eq!(event.actor, Actor::citizen("6281234567890"));
    let merged_note = ct::merged_note(&original);
    assert_eq!(event.public_note.as_deref(), Some(merged_note.as_str()));
    assert_eq!(
        stored(&chat, &original).version,
        before_original.version + 1
    );
    assert_eq!(stored(&chat, &new).version, before_new.version + 1);

    // Redelivered, then tapped again: the same answer, nothing stored again.
    let again = redeliver_last(&mut chat, button_tap, &follow_id);
    assert_eq!(again.replies, turn.replies);
    assert!(again.complaint_ops.is_empty());
    let tapped = chat.press(&follow_id);
    assert_eq!(tapped.replies, turn.replies);
    assert!(tapped.complaint_ops.is_empty());
    assert_eq!(
        stored(&chat, &original).version,
        before_original.version + 1
    );
    assert_eq!(stored(&chat, &original).followers.len(), 1);
    assert_eq!(stored(&chat, &new).version, before_new.version + 1);

    // The follower sees the original's public timeline, without actions on it.
    chat.now_ms += HOUR_MS;
    operator_sets(
        &mut chat,
        &original,
        Status::Diproses,
        Some("Perbaikan dijadwalkan Kamis."),
        Some("INTERNAL: anggaran pemeliharaan"),
    );
    let turn = chat.say(&format!("cek {original}"));
    let text = all_text(&turn);
    assert!(text.contains(&original), "{text}");
    assert!(text.contains(Status::Diproses.label()), "{text}");
    assert!(text.contains("Perbaikan dijadwalkan Kamis."), "{text}");
    assert!(text.contains(ct::FOLLOWER_NOTE), "{text}");
    for private in [THEIR_STORY, "Siti", "INTERNAL", "Warga lain ikut melapor"] {
        assert!(!text.contains(private), "{private} in {text}");
    }
    let offered: Vec<String> = turn
        .replies
        .iter()
        .filter(|r| matches!(r, Reply::Buttons(_)))
        .flat_map(button_ids)
        .collect();
    assert!(offered
        .iter()
        .all(|id| !id.starts_with(cid::WITHDRAW_PREFIX)));
    let tapped = chat.tap(&format!("{}{original}", cid::TRACK_PREFIX));
    assert_eq!(tapped.replies, turn.replies);
    // Following gives no right to change it.
    let turn = chat.say(&format!("batalkan aduan {original}"));
    assert_eq!(body(only(&turn)), ct::TICKET_NOT_FOUND);
    assert!(turn.complaint_ops.is_empty());

    // The citizen's own complaint says where it went.
    let text = all_text(&chat.say(&format!("cek {new}")));
    assert!(text.contains(Status::Dicabut.label()), "{text}");
    assert!(text.contains(&merged_note), "{text}");

    // Anyone else still gets "not found" for the original.
    let mut stranger = Chat::new(&content, &answerer);
    stranger.profile.key = "6287777777777".into();
    stranger.complaints = chat.complaints.clone();
    let turn = stranger.say(&format!("cek {original}"));
    assert_eq!(body(only(&turn)), ct::TICKET_NOT_FOUND);
}

#[test]
fn tetap_terpisah_keeps_both_and_a_closed_original_cannot_be_followed() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let original = someone_elses(&mut chat, Privacy::Biasa);
    let new = submit_one(&mut chat, "jalan-rusak", POTHOLE);
    link_duplicate(&mut chat, &new);
    let original_version = stored(&chat, &original).version;

    let separate_id = format!("{}{new}", cid::SEPARATE_PREFIX);
    let turn = chat.press(&separate_id);
    assert_eq!(as_text(only(&turn)), ct::kept_separate(&new));
    let kept = updated(&turn);
    assert_eq!(kept.ticket, new);
    assert_eq!(kept.status, Status::Diterima);
    assert_eq!(kept.duplicate_of.as_deref(), Some(original.as_str()));
    let event = kept.events.last().expect("event");
    assert_eq!(event.public_note, None);
    assert!(event
        .internal_note
        .as_deref()
        .is_some_and(|n| n.contains(&original)));
    let version = stored(&chat, &new).version;
    let again = redeliver_last(&mut chat, button_tap, &separate_id);
    assert_eq!(again.replies, turn.replies);
    assert!(again.complaint_ops.is_empty());
    let tapped = chat.press(&separate_id);
    assert_eq!(tapped.replies, turn.replies);
    assert!(tapped.complaint_ops.is_empty());
    assert_eq!(stored(&chat, &new).version, version);
    assert_eq!(stored(&chat, &original).version, original_version);
    assert!(stored(&chat, &original).followers.is_empty());
    let turn = chat.say(&format!("cek {original}"));
    assert_eq!(body(only(&turn)), ct::TICKET_NOT_FOUND);

    // The original closed in the meantime: following it is refused, nothing changes.
    operator_sets(
        &mut chat,
        &original,
        Status::BukanWewenang,
        Some("Jalan provinsi: silakan lapor ke UPT PJJ Jatim."),
        None,
    );
    let turn = chat.press(&format!("{}{new}", cid::FOLLOW_PREFIX));
    assert_eq!(
        as_text(only(&turn)),
        ct::follow_refused(&new, &original, Status::BukanWewenang)
    );
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(stored(&chat, &new).status, Status::Diterima);

    // A complaint without a link has nothing to follow.
    let lone = submit_one(
        &mut chat,
        "sampah",
        "TPS di Jl. Brantas penuh, sampah tidak diangkut sejak Jumat",
    );
    let turn = chat.press(&format!("{}{lone}", cid::FOLLOW_PREFIX));
    assert_eq!(as_text(only(&turn)), ct::not_linked(&lone));
    assert!(turn.complaint_ops.is_empty());
}

#[test]
fn ikut_melapor_on_the_citizens_own_earlier_complaint_only_withdraws_the_new_one() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let first = submit_one(&mut chat, "jalan-rusak", POTHOLE);
    chat.now_ms += DAY_MS;
    let second = submit_one(
        &mut chat,
        "jalan-rusak",
        "lubang di jalan depan rumah saya makin besar dan belum ditambal",
    );
    let (linked, offer) = link_duplicate(&mut chat, &second);
    assert_eq!(linked, first);
    assert!(
        body(&offer).contains("pernah Anda laporkan"),
        "{}",
        body(&offer)
    );

    let turn = chat.press(&format!("{}{second}", cid::FOLLOW_PREFIX));
    assert_eq!(body(only(&turn)), ct::following(&second, &first, true));
    let merged = updated(&turn);
    assert_eq!(merged.ticket, second);
    assert_eq!(merged.status, Status::Dicabut);
    assert!(stored(&chat, &first).followers.is_empty());
}

#[test]
fn a_photo_sent_after_a_failed_copy_joins_that_complaint() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let ticket = submit_one(
        &mut chat,
        "jalan-rusak",
        "Jalan berlubang besar di depan pasar, sudah seminggu",
    );
    // The complaint worker could not copy the photo and asked for it again.
    let stored = chat
        .complaints
        .iter_mut()
        .find(|c| c.ticket == ticket)
        .expect("stored");
    stored.photos.push(prolink_domain::complaint::Photo {
        media_id: "media-lost".into(),
        mime_type: Some("image/jpeg".into()),
        sha256: None,
        caption: None,
        stored_key: None,
        fetch_error: Some("Foto tidak bisa diunduh lagi".into()),
    });
    let turn = chat.send(photo("media-again"));
    let changed = updated(&turn);
    assert_eq!(changed.ticket, ticket);
    assert!(changed.photos.iter().any(|p| p.media_id == "media-again"));
    assert!(all_text(&turn).contains(&ticket));
}
