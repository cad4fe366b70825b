//! The `Chat` driver (a citizen talking to the dialog, turn after turn, as the dialog worker
//! runs it) and the steps and readers the feature modules share.

use std::sync::Arc;

use tokio::runtime::Runtime;

use prolink_app::dialog_input::answer_inbound;
use prolink_app::dialog_input::dialog_inbound;
use prolink_app::ports::Answerer;
use prolink_app::ports::{CitizenProfile, ComplaintStore, PageRequest};
use prolink_app::render::{reply_body, ReplyTo};
use prolink_domain::channel::ListMessage;
use prolink_domain::{
    citizen::CitizenRef,
    complaint::{
        self, Actor, Change, Complaint, ComplaintLocation, Privacy, Rules, Sla, Status, Submission,
    },
    content::ContentBundle,
    dialog::{
        complaint_texts::{self as ct, ids as cid},
        handle_message,
        reply::Reply,
        Answered, ComplaintDraft, ComplaintOp, DialogEnv, DraftStep, Flow, Session, Turn,
    },
};
use prolink_embedded::sqlite::SqliteStore;
use prolink_whatsapp::outbound::ReplyAddress;
use prolink_whatsapp::webhook::{
    ButtonReply, InboundMessage, InteractiveReply, ListReply, Location, Media, MessageContent,
    TextBody,
};

use crate::support::{wib, TestApp};

/// As many of a citizen's complaints as the dialog worker loads for a turn.
const OWN_COMPLAINTS_LIMIT: usize = 20;
pub(super) const MINUTE_MS: i64 = 60_000;
pub(super) const HOUR_MS: i64 = 60 * MINUTE_MS;

/// Monday 30 November 2026, 10:00 WIB: office hours.
pub(super) fn monday_morning() -> i64 {
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

pub(super) fn address() -> ReplyAddress {
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

pub(super) fn button_tap(id: &str) -> InboundMessage {
    message(MessageContent::Interactive(InteractiveReply::ButtonReply(
        ButtonReply {
            id: id.into(),
            title: String::new(),
        },
    )))
}

pub(super) fn media() -> Media {
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
pub(super) struct Fixed(pub(super) Answered);

impl Answerer for Fixed {
    fn answer(&self, _text: &str) -> Answered {
        self.0.clone()
    }
}

/// A citizen talking to the bot: the state carried from turn to turn, and the complaints in a
/// real store (SQLite in memory), loaded and written the way the dialog worker does, so the
/// conditional insert and the versioned update are the store's own and not an imitation.
pub(super) struct Chat<'a> {
    pub(super) content: &'a ContentBundle,
    answerer: &'a dyn Answerer,
    pub(super) now_ms: i64,
    pub(super) show_unverified: bool,
    pub(super) session: Session,
    pub(super) profile: CitizenProfile,
    /// The citizen's complaints and any others a test adds, shared with every chat that
    /// [`Chat::beside`] opens (other citizens of the same city).
    store: SqliteStore,
    runtime: Arc<Runtime>,
    /// Messages sent so far: each gets its own id (`wamid.T1`, …), as WhatsApp's would.
    sent: u32,
    /// The id of the last message delivered.
    pub(super) last_id: String,
}

impl<'a> Chat<'a> {
    pub(super) fn new(content: &'a ContentBundle, answerer: &'a dyn Answerer) -> Self {
        // The store's calls run on the blocking pool; a one-thread runtime per chat keeps the
        // dialog tests plain `#[test]`s, as the dialog itself is synchronous.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
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
            store: TestApp::builder().in_memory_store(),
            runtime: Arc::new(runtime),
            sent: 0,
            last_id: String::new(),
        }
    }

    /// Another citizen (`key`) writing to the same city: same content, same store, own session.
    pub(super) fn beside(&self, key: &str) -> Chat<'a> {
        Chat {
            content: self.content,
            answerer: self.answerer,
            now_ms: self.now_ms,
            show_unverified: self.show_unverified,
            session: Session::default(),
            profile: CitizenProfile {
                key: key.into(),
                ..CitizenProfile::default()
            },
            store: self.store.clone(),
            runtime: self.runtime.clone(),
            sent: 0,
            last_id: String::new(),
        }
    }

    /// Sends `message` with a new message id.
    pub(super) fn send(&mut self, mut message: InboundMessage) -> Turn {
        self.sent += 1;
        message.id = format!("wamid.T{}", self.sent);
        self.deliver(message)
    }

    /// Delivers `message` with the id it carries (a redelivery repeats an earlier id).
    pub(super) fn deliver(&mut self, message: InboundMessage) -> Turn {
        self.last_id.clone_from(&message.id);
        let (own, related) = self.load_for(&message);
        let inbound = dialog_inbound(&message);
        let answered = answer_inbound(self.answerer, &inbound);
        let env = DialogEnv {
            content: self.content,
            answered: answered.as_ref(),
            now_ms: self.now_ms,
            show_unverified: self.show_unverified,
            complaints: &own,
            related: &related,
            ticket_attempt: 0,
            retention_days: 90,
        };
        let turn = handle_message(
            &env,
            self.session.clone(),
            self.profile.clone(),
            &citizen(),
            &inbound,
        );
        assert_sendable(&turn.replies);
        // The worker stores the session as JSON: it must come back the same.
        assert_eq!(Session::from_json(&turn.session.to_json()), turn.session);
        self.session = turn.session.clone();
        self.profile = turn.profile.clone();
        self.store_ops(&turn.complaint_ops);
        turn
    }

    /// What the worker loads for a turn (`DialogWorker::own_complaints`): the citizen's
    /// complaints, newest first, and for a message naming a ticket (text or button id) the
    /// complaint an own one was linked to (`duplicate_of`), or the named complaint itself
    /// when it is someone else's (the dialog shows it only to its followers).
    fn load_for(&self, message: &InboundMessage) -> (Vec<Complaint>, Vec<Complaint>) {
        let key = self.profile.key.as_str();
        let own = self
            .run(self.store.complaints_of_citizen(key, OWN_COMPLAINTS_LIMIT))
            .expect("own complaints");
        let said = match &message.content {
            MessageContent::Text(t) => t.body.as_str(),
            MessageContent::Interactive(InteractiveReply::ButtonReply(b)) => b.id.as_str(),
            MessageContent::Interactive(InteractiveReply::ListReply(l)) => l.id.as_str(),
            _ => "",
        };
        let Some(named) = complaint::find_ticket(said).and_then(|t| self.find(&t)) else {
            return (own, Vec::new());
        };
        if named.citizen_key != key {
            return (own, vec![named]);
        }
        let original = named.duplicate_of.and_then(|t| self.find(&t));
        (own, original.into_iter().collect())
    }

    /// The turn's complaint changes applied as the worker's `store_complaint_ops` does: a
    /// create is the store's conditional insert (an earlier delivery of the same message
    /// already made it), an update is conditional on the version the turn read. The worker
    /// would run the turn again on a taken ticket or a stale update; no test here races, so
    /// either is a failure.
    fn store_ops(&self, ops: &[ComplaintOp]) {
        for op in ops {
            match op {
                ComplaintOp::Create(new) => {
                    if let Some(existing) =
                        self.run(self.store.create_complaint(new)).expect("create")
                    {
                        assert_eq!(existing.source_wamid, new.source_wamid, "ticket taken");
                    }
                }
                ComplaintOp::Update(changed) => {
                    self.run(self.store.update_complaint(changed))
                        .expect("an update of the stored version");
                }
                // Stored by an earlier delivery: the store must already hold it as it is.
                ComplaintOp::Replay(replayed) => {
                    let stored = self
                        .find(&replayed.ticket)
                        .expect("replay of a stored complaint");
                    assert_eq!(stored.version, replayed.version, "replay of a stale copy");
                }
            }
        }
    }

    fn run<T>(&self, call: impl std::future::Future<Output = T>) -> T {
        self.runtime.block_on(call)
    }

    fn find(&self, ticket: &str) -> Option<Complaint> {
        self.run(self.store.get_complaint(ticket))
            .expect("get complaint")
    }

    /// The stored complaint `ticket` (panics when there is none).
    pub(super) fn stored(&self, ticket: &str) -> Complaint {
        self.find(ticket).expect("stored complaint")
    }

    /// Every complaint in the store, of every citizen, newest first.
    pub(super) fn complaints(&self) -> Vec<Complaint> {
        let mut all = Vec::new();
        for status in Status::ALL {
            let mut page = PageRequest {
                limit: 100,
                after: None,
            };
            loop {
                let found = self
                    .run(self.store.complaints_by_status(status, &page))
                    .expect("complaints by status");
                all.extend(found.items);
                match found.next {
                    Some(next) => page.after = Some(next),
                    None => break,
                }
            }
        }
        all.sort_by(|a, b| (b.received_ms, &b.ticket).cmp(&(a.received_ms, &a.ticket)));
        all
    }

    /// Places a complaint in the store as the worker would have created it (version 1).
    pub(super) fn add(&self, complaint: &Complaint) {
        let existing = self
            .run(self.store.create_complaint(complaint))
            .expect("create");
        assert_eq!(existing, None, "ticket {} taken", complaint.ticket);
    }

    /// Stores a change made outside the dialog (operator, complaint worker) as that writer
    /// would: conditional on the version it read, which the store then bumps.
    pub(super) fn write(&self, changed: &Complaint) {
        self.run(self.store.update_complaint(changed))
            .expect("an update of the stored version");
    }

    pub(super) fn say(&mut self, body: &str) -> Turn {
        self.send(text(body))
    }

    pub(super) fn tap(&mut self, id: &str) -> Turn {
        self.send(list_tap(id))
    }

    pub(super) fn press(&mut self, id: &str) -> Turn {
        self.send(button_tap(id))
    }
}

pub(super) fn assert_sendable(replies: &[Reply]) {
    for reply in replies {
        if let Err(error) = reply_body(reply, &address()) {
            panic!("reply does not fit WhatsApp: {error}\n{reply:?}");
        }
    }
}

pub(super) fn only(turn: &Turn) -> &Reply {
    assert_eq!(turn.replies.len(), 1, "{:#?}", turn.replies);
    &turn.replies[0]
}

pub(super) fn as_list(reply: &Reply) -> &ListMessage {
    match reply {
        Reply::List(list) => list,
        other => panic!("expected a list, got {other:?}"),
    }
}

pub(super) fn as_text(reply: &Reply) -> &str {
    match reply {
        Reply::Text(text) => text,
        other => panic!("expected a text, got {other:?}"),
    }
}

pub(super) fn row_ids(reply: &Reply) -> Vec<String> {
    as_list(reply)
        .sections
        .iter()
        .flat_map(|s| s.rows.iter().map(|r| r.id.clone()))
        .collect()
}

pub(super) fn button_ids(reply: &Reply) -> Vec<String> {
    match reply {
        Reply::Buttons(b) => b.buttons.iter().map(|b| b.id.clone()).collect(),
        other => panic!("expected buttons, got {other:?}"),
    }
}

pub(super) fn menu_row_ids(content: &ContentBundle, menu: &str) -> Vec<String> {
    content
        .menu(menu)
        .expect("menu")
        .rows
        .iter()
        .map(|r| r.id.clone())
        .collect()
}

pub(super) fn is_main_menu(content: &ContentBundle, reply: &Reply) -> bool {
    matches!(reply, Reply::List(_)) && row_ids(reply) == menu_row_ids(content, "main")
}

pub(super) fn faq_ids(content: &ContentBundle, category: &str) -> Vec<String> {
    content
        .faqs
        .iter()
        .filter(|f| f.category == category)
        .map(|f| format!("faq:{}", f.id))
        .collect()
}

pub(super) fn answer_of(faq_id: &str, content: &ContentBundle) -> String {
    content.faq(faq_id).expect("faq").answer.clone()
}

// Complaints
// ---------------------------------------------------------------------------------------------

pub(super) const DAY_MS: i64 = 24 * HOUR_MS;
pub(super) const POTHOLE: &str = "jalan depan rumah saya berlubang besar dan sering bikin jatuh";

pub(super) fn photo(id: &str) -> InboundMessage {
    message(MessageContent::Image(Media {
        id: id.into(),
        ..media()
    }))
}

pub(super) fn place() -> Location {
    Location {
        latitude: -7.754_3,
        longitude: 113.215_9,
        name: Some("Depan Toko Makmur".into()),
        address: Some("Jl. Suroyo, Tisnonegaran".into()),
        url: None,
    }
}

pub(super) fn pin_message() -> InboundMessage {
    message(MessageContent::Location(place()))
}

pub(super) fn pinned() -> ComplaintLocation {
    let here = place();
    ComplaintLocation::Pin {
        latitude: here.latitude,
        longitude: here.longitude,
        name: here.name,
        address: here.address,
    }
}

/// The open form's data (panics when no form is open).
pub(super) fn draft(chat: &Chat) -> ComplaintDraft {
    match &chat.session.flow {
        Some(Flow::Complaint(draft)) => draft.clone(),
        other => panic!("expected the complaint form, got {other:?}"),
    }
}

/// The body of a text, buttons or location request.
pub(super) fn body(reply: &Reply) -> &str {
    match reply {
        Reply::Text(text) | Reply::LocationRequest(text) => text,
        Reply::Buttons(b) => &b.body,
        other => panic!("expected a text, buttons or location request, got {other:?}"),
    }
}

pub(super) fn all_text(turn: &Turn) -> String {
    turn.replies
        .iter()
        .map(Reply::plain_text)
        .collect::<Vec<_>>()
        .join("\n")
}

pub(super) fn asks_consent(turn: &Turn) -> bool {
    turn.replies.iter().any(|r| {
        matches!(r, Reply::Buttons(_)) && button_ids(r).contains(&cid::CONSENT_YES.to_string())
    })
}

pub(super) fn created(turn: &Turn) -> Complaint {
    match turn.complaint_ops.as_slice() {
        [ComplaintOp::Create(new)] => (**new).clone(),
        other => panic!("expected one Create, got {other:?}"),
    }
}

pub(super) fn updated(turn: &Turn) -> Complaint {
    match turn.complaint_ops.as_slice() {
        [ComplaintOp::Update(changed)] => (**changed).clone(),
        other => panic!("expected one Update, got {other:?}"),
    }
}

/// A citizen who accepted the privacy notice earlier.
pub(super) fn consented(chat: &mut Chat) {
    chat.profile.privacy_consent_ms = Some(chat.now_ms - DAY_MS);
}

/// Picks `category` and answers every question up to the summary (pin, no photo, Biasa).
pub(super) fn fill_form(chat: &mut Chat, category: &str, description: &str) {
    chat.tap(&format!("complaint:{category}"));
    chat.say(description);
    chat.send(pin_message());
    chat.press(cid::PHOTOS_DONE);
    let turn = chat.press(cid::PRIVACY_BIASA);
    assert_eq!(draft(chat).step, DraftStep::Summary, "{:#?}", turn.replies);
}

/// A submitted complaint's ticket.
pub(super) fn submit_one(chat: &mut Chat, category: &str, description: &str) -> String {
    fill_form(chat, category, description);
    created(&chat.press(cid::SUBMIT)).ticket
}

/// An operator's change, stored as the operator API would (version bump).
pub(super) fn operator_sets(
    chat: &mut Chat,
    ticket: &str,
    to: Status,
    public_note: Option<&str>,
    internal_note: Option<&str>,
) {
    let content = chat.content;
    let current = chat.stored(ticket);
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
    let changed = complaint::apply(&current, change, &rules).expect("operator change");
    chat.write(&changed);
}

// Rating and duplicates
// ---------------------------------------------------------------------------------------------

pub(super) const OTHER_CITIZEN: &str = "6289999999999";
pub(super) const THEIR_STORY: &str =
    "Aspal depan rumah Bu Siti Aminah ambles, anak saya jatuh kemarin";

/// The operator takes the complaint to `selesai`.
pub(super) fn finish(chat: &mut Chat, ticket: &str) {
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
pub(super) fn someone_elses(chat: &mut Chat, privacy: Privacy) -> String {
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
    chat.add(&theirs);
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
pub(super) fn link_duplicate(chat: &mut Chat, new: &str) -> (String, Reply) {
    let mut fresh = chat.stored(new);
    let original = complaint::duplicates::find_duplicate(&fresh, &chat.complaints(), chat.now_ms)
        .expect("a duplicate")
        .clone();
    let category = chat
        .content
        .category(&fresh.category_id)
        .expect("category")
        .name
        .clone();
    fresh.duplicate_of = Some(original.ticket.clone());
    chat.write(&fresh);
    let offer = ct::duplicate_offer(&chat.stored(new), &original, &category);
    (original.ticket, offer)
}

/// Delivers the last message again with its id, as the queue does after a lost acknowledgement
/// or a crash before the session was saved, and checks what a redelivery may do: answer
/// exactly as `first` did and leave the complaints `tickets` at the versions they had; its
/// only complaint ops are replays (which queue the follow-up tasks again). Returns the
/// repeated turn for the checks particular to a test.
#[track_caller]
pub(super) fn redelivered_stores_nothing(
    chat: &mut Chat,
    message: fn(&str) -> InboundMessage,
    id: &str,
    first: &Turn,
    tickets: &[&str],
) -> Turn {
    let versions =
        |chat: &Chat| -> Vec<u64> { tickets.iter().map(|t| chat.stored(t).version).collect() };
    let before = versions(chat);
    let mut again = message(id);
    again.id = chat.last_id.clone();
    let again = chat.deliver(again);
    assert_eq!(again.replies, first.replies);
    assert!(
        again
            .complaint_ops
            .iter()
            .all(|op| matches!(op, ComplaintOp::Replay(_))),
        "{:?}",
        again.complaint_ops
    );
    assert_eq!(versions(chat), before, "versions of {tickets:?}");
    again
}
