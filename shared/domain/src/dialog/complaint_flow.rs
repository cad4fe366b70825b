//! The complaint form, tracking, withdrawal and additions to a ticket: the parts of a turn
//! that read or change complaints. Changes leave the turn as [`ComplaintOp`]s; the worker
//! stores them (conditional writes) before it sends the replies.

use super::{
    complaint_texts::{self as ct, ids as cid, titles as ctitle},
    engine::TurnBuilder,
    keywords,
    reply::{buttons, truncate_chars, Reply},
    session::{AttachWindow, ComplaintDraft, DraftStep, Flow},
    texts::{ids, titles},
};
use crate::channel::{limits, ListMessage, ListRow, ListSection};
use crate::{
    calendar,
    complaint::{
        self, Actor, AddedInfo, Change, Complaint, ComplaintLocation, Photo, Privacy, Rules, Sla,
        Status, Submission, TransitionError,
    },
    content::{ComplaintCategory, ListKey},
};

/// A change to store before the replies go out.
#[derive(Debug, Clone, PartialEq)]
pub enum ComplaintOp {
    /// A new complaint (version 0): conditional insert on its ticket.
    Create(Box<Complaint>),
    /// A changed complaint whose `version` is the one it was read at: conditional update.
    Update(Box<Complaint>),
    /// The change was stored by an earlier delivery of this message (`AlreadyApplied`):
    /// nothing to write, but its follow-up tasks are queued again, since a crash may have
    /// come between the write and the queue (task ids make a repeat harmless).
    Replay(Box<Complaint>),
}

impl ComplaintOp {
    pub fn complaint(&self) -> &Complaint {
        match self {
            ComplaintOp::Create(c) | ComplaintOp::Update(c) | ComplaintOp::Replay(c) => c,
        }
    }
}

/// Public events shown in a timeline reply (the newest ones).
const TIMELINE_EVENTS: usize = 12;

/// Words that turn "… PS-XXXXXX" into a withdrawal.
const WITHDRAW_WORDS: &[&str] = &["batal", "batalkan", "cabut", "cabutkan", "tarik", "hapus"];
const SKIP_WORDS: &[&str] = &[
    "lewati",
    "lewat",
    "skip",
    "tidak ada",
    "gak ada",
    "ga ada",
    "tanpa lokasi",
    "tanpa foto",
    "tidak",
    "selesai",
    "sudah",
    "cukup",
];
const YES_WORDS: &[&str] = &[
    "ya", "iya", "setuju", "benar", "betul", "ok", "oke", "kirim", "lanjut", "y",
];
const NO_WORDS: &[&str] = &[
    "tidak",
    "tidak setuju",
    "gak",
    "ga",
    "enggak",
    "nggak",
    "tolak",
    "no",
];

/// Messages asking for the citizen's own complaints. Answered with their list: the FAQ entry
/// on these words only explains how tracking works.
const LIST_PHRASES: &[&str] = &[
    "cek aduan",
    "cek aduan saya",
    "cek status aduan",
    "status aduan",
    "status aduan saya",
    "aduan saya",
    "daftar aduan",
    "daftar aduan saya",
    "lihat aduan",
    "lihat aduan saya",
    "cek laporan",
    "cek laporan saya",
    "status laporan",
    "status laporan saya",
    "laporan saya",
];

/// Whether the whole message asks for the citizen's complaint list (`cek aduan`).
pub(super) fn asks_for_own_complaints(text: &str) -> bool {
    phrase_in(text, LIST_PHRASES)
}

/// Whole messages that ask to open the form (the menu button's own title among them). A
/// question about *how* to complain still goes to the FAQ.
const START_PHRASES: &[&str] = &[
    "aduan",
    "buat aduan",
    "bikin aduan",
    "mau buat aduan",
    "mau bikin aduan",
    "saya mau buat aduan",
    "ingin buat aduan",
    "ingin membuat aduan",
    "membuat aduan",
    "mau aduan",
    "mau mengadu",
    "saya mau mengadu",
    "mengadu",
    "lapor",
    "mau lapor",
    "saya mau lapor",
    "ingin lapor",
    "buat laporan",
    "bikin laporan",
    "mau melapor",
    "saya mau melapor",
    "melapor",
    "pengaduan",
    "buat pengaduan",
];

pub(super) fn asks_to_complain(text: &str) -> bool {
    phrase_in(text, START_PHRASES)
}

fn phrase_in(text: &str, list: &[&str]) -> bool {
    let said = keywords::words(text).join(" ");
    list.iter().any(|w| *w == said)
}

impl TurnBuilder<'_, '_> {
    pub(super) fn rules_for(&self, category_id: &str) -> Rules<'_> {
        Rules::for_category(self.content(), category_id)
    }

    pub(super) fn own_complaint(&self, ticket: &str) -> Option<&Complaint> {
        self.env
            .complaints
            .iter()
            .find(|c| c.ticket == ticket && c.citizen_key == self.turn.profile.key)
    }

    pub(super) fn store(&mut self, op: ComplaintOp) {
        if let Some(gap) = op.complaint().deadlines.calendar_gap {
            if !self.turn.calendar_gaps.contains(&gap) {
                self.turn.calendar_gaps.push(gap);
            }
        }
        self.turn.complaint_ops.push(op);
    }

    /// See [`ComplaintOp::Replay`].
    pub(super) fn replay(&mut self, stored: &Complaint) {
        self.turn
            .complaint_ops
            .push(ComplaintOp::Replay(Box::new(stored.clone())));
    }

    pub(super) fn event_id(&self, kind: &str) -> String {
        format!("{kind}.{}", self.message_id)
    }

    // -----------------------------------------------------------------------------------------
    // Entering the form
    // -----------------------------------------------------------------------------------------

    /// Starts (or continues) the form. `category`: a category the citizen picked (`explicit`)
    /// or one guessed from their words; `text`: the words that started it, kept as the
    /// description when they already tell the story.
    pub(super) fn complaint(&mut self, category: Option<&str>, explicit: bool, text: Option<&str>) {
        let category = category.and_then(|id| self.content().category(id)).cloned();
        if category.as_ref().is_some_and(|c| c.emergency) {
            return self.emergency(&[]);
        }
        let mut lead = None;
        let mut draft = match self.turn.session.flow.take() {
            Some(Flow::Complaint(draft)) => draft,
            _ => match self.turn.session.suspended_complaint.take() {
                Some(draft) => {
                    if draft != ComplaintDraft::default() {
                        lead = Some(ct::FORM_CONTINUES.to_string());
                    }
                    draft
                }
                None => ComplaintDraft::default(),
            },
        };
        if let Some(category) = category {
            if explicit || !draft.category_confirmed {
                draft.category = Some(category.id.clone());
                draft.category_confirmed = explicit;
            }
        }
        if let Some(text) = text {
            if draft.description.is_none() && describes_a_problem(text) {
                draft.description = Some(text.trim().to_string());
            }
        }
        self.advance(draft, lead);
    }

    /// Continues a form set aside (the *Lanjutkan Aduan* button).
    pub(super) fn resume_complaint(&mut self) {
        self.complaint(None, false, None);
    }

    /// Sets the form aside (menu, handoff, topic choice): nothing typed is lost.
    pub(super) fn suspend_complaint(&mut self) -> bool {
        if let Some(Flow::Complaint(draft)) = &self.turn.session.flow {
            self.turn.session.suspended_complaint = Some(draft.clone());
            self.turn.session.flow = None;
            return true;
        }
        false
    }

    fn next_step(&self, draft: &ComplaintDraft) -> DraftStep {
        let category = draft
            .category
            .as_deref()
            .and_then(|id| self.content().category(id));
        if self.turn.profile.privacy_consent_ms.is_none() {
            DraftStep::Consent
        } else if category.is_none() {
            DraftStep::Category
        } else if !draft.category_confirmed {
            DraftStep::ConfirmCategory
        } else if draft.description.is_none() {
            DraftStep::Description
        } else if draft.location.is_none() && !draft.location_skipped {
            DraftStep::Location
        } else if !draft.photos_done && draft.photos.len() < ct::FORM_MAX_PHOTOS {
            DraftStep::Photos
        } else if draft.privacy.is_none() {
            DraftStep::Privacy
        } else {
            DraftStep::Summary
        }
    }

    /// Stores the draft and asks for the first thing still missing.
    fn advance(&mut self, mut draft: ComplaintDraft, lead: Option<String>) {
        // A category that stopped requiring a location, or a skipped location of a category
        // that now requires one, is resolved here.
        let requires_location = self
            .draft_category(&draft)
            .is_some_and(|c| c.requires_location);
        if requires_location && draft.location_skipped && draft.location.is_none() {
            draft.location_skipped = false;
        }
        let step = self.next_step(&draft);
        draft.step = step;
        if let Some(lead) = lead {
            self.text(lead);
        }
        match step {
            DraftStep::Consent => self.say(buttons(
                ct::privacy_notice(self.env.retention_days),
                &[
                    (cid::CONSENT_YES, ctitle::CONSENT_YES),
                    (cid::CONSENT_NO, ctitle::CONSENT_NO),
                ],
            )),
            DraftStep::Category => {
                self.text(ct::CATEGORY_HINT);
                self.turn.session.flow = Some(Flow::Complaint(draft));
                return self.list_page(&ListKey::ComplaintCategories, 1);
            }
            DraftStep::ConfirmCategory => {
                let (name, description) = self
                    .draft_category(&draft)
                    .map(|c| (c.name.clone(), c.short_description.clone()))
                    .unwrap_or_default();
                self.say(buttons(
                    ct::confirm_category(&name, &description),
                    &[
                        (cid::CATEGORY_OK, ctitle::CATEGORY_OK),
                        (cid::CATEGORY_OTHER, ctitle::CATEGORY_OTHER),
                    ],
                ));
            }
            DraftStep::Description => self.text(ct::DESCRIPTION_ASK),
            DraftStep::Location => {
                self.say(Reply::LocationRequest(ct::location_ask(requires_location)))
            }
            DraftStep::Photos => {
                let title = if draft.photos.is_empty() {
                    ctitle::SKIP_PHOTOS
                } else {
                    ctitle::PHOTOS_DONE
                };
                self.say(buttons(
                    ct::photos_ask(draft.photos.len()),
                    &[(cid::PHOTOS_DONE, title)],
                ));
            }
            DraftStep::Privacy => self.say(buttons(
                ct::PRIVACY_ASK,
                &[
                    (cid::PRIVACY_BIASA, ctitle::BIASA),
                    (cid::PRIVACY_ANONIM, ctitle::ANONIM),
                    (cid::PRIVACY_RAHASIA, ctitle::RAHASIA),
                ],
            )),
            DraftStep::Summary | DraftStep::EditChoice => {
                draft.step = DraftStep::Summary;
                self.summary(&draft);
            }
        }
        self.turn.session.flow = Some(Flow::Complaint(draft));
    }

    fn draft_category(&self, draft: &ComplaintDraft) -> Option<&ComplaintCategory> {
        draft
            .category
            .as_deref()
            .and_then(|id| self.content().category(id))
    }

    fn summary(&mut self, draft: &ComplaintDraft) {
        let Some(category) = self.draft_category(draft) else {
            return;
        };
        let location = draft
            .location
            .as_ref()
            .map_or_else(|| "(tanpa lokasi)".to_string(), ComplaintLocation::describe);
        let photos = match draft.photos.len() {
            0 => "tanpa foto".to_string(),
            n => format!("{n} foto"),
        };
        let text = ct::summary(
            &category.name,
            draft.description.as_deref().unwrap_or_default(),
            &truncate_chars(&location, 300),
            &photos,
            draft.privacy.unwrap_or_default(),
        );
        let notice = format!(
            "ℹ️ {}\n\n*{}*",
            category.notice.trim(),
            ct::SUMMARY_QUESTION
        );
        self.text(text);
        self.say(buttons(
            truncate_chars(&notice, limits::BUTTONS_BODY),
            &[
                (cid::SUBMIT, ctitle::SUBMIT),
                (cid::EDIT, ctitle::EDIT),
                (ids::CANCEL, ctitle::CANCEL),
            ],
        ));
    }

    // -----------------------------------------------------------------------------------------
    // Answers inside the form
    // -----------------------------------------------------------------------------------------

    /// Typed text while the form is open. Emergencies always win.
    pub(super) fn complaint_text(&mut self, text: &str) {
        let answered = self.env.answerer.answer(text);
        if super::engine::is_emergency(&answered) {
            return self.emergency(&answered.alternatives);
        }
        let Some(Flow::Complaint(mut draft)) = self.turn.session.flow.clone() else {
            return;
        };
        let trimmed = text.trim();
        match draft.step {
            DraftStep::Consent => {
                if phrase_in(text, YES_WORDS) {
                    self.consent(true)
                } else if phrase_in(text, NO_WORDS) {
                    self.consent(false)
                } else {
                    self.advance(draft, Some(ct::CONSENT_REASK.to_string()))
                }
            }
            DraftStep::Category => {
                let typed = self
                    .content()
                    .categories
                    .iter()
                    .find(|c| {
                        keywords::same_words(&c.name, text)
                            || keywords::same_words(&c.short_name, text)
                            || c.keywords.iter().any(|k| keywords::same_words(k, text))
                    })
                    .map(|c| c.id.clone());
                let guessed = answered
                    .id
                    .clone()
                    .filter(|_| answered.kind == super::AnswerKind::Complaint);
                match (typed, guessed) {
                    (Some(id), _) => {
                        draft.category = Some(id);
                        draft.category_confirmed = true;
                    }
                    (None, Some(id)) if self.content().category(&id).is_some() => {
                        draft.category = Some(id);
                        draft.category_confirmed = false;
                    }
                    _ => {}
                }
                if draft.description.is_none() && describes_a_problem(text) {
                    draft.description = Some(trimmed.to_string());
                }
                self.advance(draft, None)
            }
            DraftStep::ConfirmCategory => {
                if phrase_in(text, YES_WORDS) {
                    draft.category_confirmed = true;
                } else if phrase_in(text, NO_WORDS) {
                    draft.category = None;
                }
                self.advance(draft, None)
            }
            DraftStep::Description => {
                let chars = trimmed.chars().count();
                if chars > ct::DESCRIPTION_MAX_CHARS {
                    return self.text(ct::description_too_long(chars));
                }
                if !long_enough(trimmed) {
                    return self.text(ct::DESCRIPTION_TOO_SHORT);
                }
                draft.description = Some(trimmed.to_string());
                self.advance(draft, None)
            }
            DraftStep::Location => {
                let required = self
                    .draft_category(&draft)
                    .is_some_and(|c| c.requires_location);
                if phrase_in(text, SKIP_WORDS) {
                    if required {
                        return self.advance(draft, Some(ct::LOCATION_REQUIRED.to_string()));
                    }
                    draft.location_skipped = true;
                    return self.advance(draft, None);
                }
                let chars = trimmed.chars().count();
                if chars < ct::TYPED_LOCATION_MIN_CHARS {
                    return self.advance(draft, Some(ct::LOCATION_TOO_SHORT.to_string()));
                }
                draft.location = Some(ComplaintLocation::Typed {
                    text: truncate_chars(trimmed, ct::TYPED_LOCATION_MAX_CHARS),
                });
                self.advance(draft, None)
            }
            DraftStep::Photos => {
                if phrase_in(text, SKIP_WORDS) {
                    draft.photos_done = true;
                } else if long_enough(trimmed) {
                    // More words about the problem: never dropped, they join the description.
                    let description = match draft.description.take() {
                        Some(before) => format!("{before}\n{trimmed}"),
                        None => trimmed.to_string(),
                    };
                    if description.chars().count() <= ct::DESCRIPTION_MAX_CHARS {
                        draft.description = Some(description);
                        return self.advance(draft, Some(ct::DESCRIPTION_EXTENDED.to_string()));
                    }
                    return self.text(ct::description_too_long(description.chars().count()));
                }
                self.advance(draft, None)
            }
            DraftStep::Privacy => {
                let words = keywords::words(text).join(" ");
                draft.privacy = match words.as_str() {
                    "biasa" => Some(Privacy::Biasa),
                    "anonim" | "anonymous" => Some(Privacy::Anonim),
                    "rahasia" => Some(Privacy::Rahasia),
                    _ => None,
                };
                self.advance(draft, None)
            }
            DraftStep::Summary | DraftStep::EditChoice => {
                if phrase_in(text, &["kirim", "ya", "iya", "ok", "oke"]) {
                    self.submit(draft)
                } else if phrase_in(text, &["ubah", "edit", "ganti"]) {
                    self.edit_choice(draft)
                } else {
                    self.advance(draft, None)
                }
            }
        }
    }

    /// A photo or a location, whatever question is open: a burst (text, photo, location in
    /// quick succession) lands in the form in the order it was sent.
    pub(super) fn complaint_media(
        &mut self,
        photo: Option<&Photo>,
        location: Option<&ComplaintLocation>,
    ) {
        let Some(Flow::Complaint(mut draft)) = self.turn.session.flow.clone() else {
            return;
        };
        let lead = take_media(&mut draft, photo, location);
        self.advance(draft, lead);
    }

    /// Keeps a photo or location sent outside any form, so *Buat Aduan* starts with it.
    pub(super) fn keep_for_later(
        &mut self,
        photo: Option<&Photo>,
        location: Option<&ComplaintLocation>,
    ) {
        let mut draft = self
            .turn
            .session
            .suspended_complaint
            .take()
            .unwrap_or_default();
        take_media(&mut draft, photo, location);
        self.turn.session.suspended_complaint = Some(draft);
    }

    fn consent(&mut self, accepted: bool) {
        if !accepted && self.turn.profile.privacy_consent_ms.is_some() {
            // An old notice's button tapped after consenting: the open form goes on.
            return self.resume_complaint();
        }
        if !accepted {
            self.turn.session.flow = None;
            self.turn.session.suspended_complaint = None;
            return self.say(buttons(ct::CONSENT_DECLINED, &[(ids::MENU, titles::MENU)]));
        }
        self.turn.profile.privacy_consent_ms = Some(self.env.now_ms);
        let draft = match self.turn.session.flow.take() {
            Some(Flow::Complaint(draft)) => draft,
            _ => self
                .turn
                .session
                .suspended_complaint
                .take()
                .unwrap_or_default(),
        };
        self.advance(draft, Some(ct::CONSENT_THANKS.to_string()));
    }

    fn edit_choice(&mut self, mut draft: ComplaintDraft) {
        draft.step = DraftStep::EditChoice;
        let row = |id: &str, title: &str, description: &str| ListRow {
            id: id.to_string(),
            title: title.to_string(),
            description: Some(description.to_string()),
        };
        self.say(Reply::List(ListMessage {
            header: Some("Ubah aduan".to_string()),
            body: ct::EDIT_ASK.to_string(),
            footer: None,
            button: "Pilih bagian".to_string(),
            sections: vec![ListSection {
                title: Some("Bagian aduan".to_string()),
                rows: vec![
                    row(cid::EDIT_CATEGORY, "Kategori", "Pilih kategori lain"),
                    row(
                        cid::EDIT_DESCRIPTION,
                        "Uraian",
                        "Tulis ulang uraian masalah",
                    ),
                    row(
                        cid::EDIT_LOCATION,
                        "Lokasi",
                        "Kirim lokasi atau alamat lain",
                    ),
                    row(cid::EDIT_PHOTOS, "Foto", "Ganti foto yang dilampirkan"),
                    row(cid::EDIT_PRIVACY, "Identitas", "Biasa, anonim atau rahasia"),
                ],
            }],
        }));
        self.turn.session.flow = Some(Flow::Complaint(draft));
    }

    /// The form's buttons and rows (`aduan:…`).
    pub(super) fn complaint_button(&mut self, id: &str) {
        if let Some(ticket) = id.strip_prefix(cid::WITHDRAW_PREFIX) {
            return self.withdraw(ticket);
        }
        if let Some(ticket) = id.strip_prefix(cid::TRACK_PREFIX) {
            return self.tracking(Some(ticket));
        }
        if self.followup_button(id) {
            return;
        }
        match id {
            cid::KEEP => return self.text(ct::WITHDRAW_KEPT),
            cid::TRACK_LIST => return self.tracking(None),
            cid::RESUME => return self.resume_complaint(),
            cid::CONSENT_YES => return self.consent(true),
            cid::CONSENT_NO => return self.consent(false),
            _ => {}
        }
        let Some(Flow::Complaint(mut draft)) = self.turn.session.flow.clone() else {
            // *Kirim* again (a double tap, or a late redelivery) after the complaint went out
            // or was cancelled: the list shows which. A new empty form would catch the
            // citizen's next messages as answers to its first question.
            if id == cid::SUBMIT && self.turn.session.suspended_complaint.is_none() {
                return self.tracking(None);
            }
            // A button of a form that was sent or cancelled since.
            return self.complaint(None, false, None);
        };
        match id {
            cid::CATEGORY_OK => draft.category_confirmed = true,
            cid::CATEGORY_OTHER | cid::EDIT_CATEGORY => {
                draft.category = None;
                draft.category_confirmed = false;
            }
            cid::PHOTOS_DONE => draft.photos_done = true,
            cid::SKIP_LOCATION => {
                draft.location_skipped = !self
                    .draft_category(&draft)
                    .is_some_and(|c| c.requires_location)
            }
            cid::PRIVACY_BIASA => draft.privacy = Some(Privacy::Biasa),
            cid::PRIVACY_ANONIM => draft.privacy = Some(Privacy::Anonim),
            cid::PRIVACY_RAHASIA => draft.privacy = Some(Privacy::Rahasia),
            cid::SUBMIT => return self.submit(draft),
            cid::EDIT => return self.edit_choice(draft),
            cid::EDIT_DESCRIPTION => draft.description = None,
            cid::EDIT_LOCATION => {
                draft.location = None;
                draft.location_skipped = false;
            }
            cid::EDIT_PHOTOS => {
                draft.photos.clear();
                draft.photos_done = false;
            }
            cid::EDIT_PRIVACY => draft.privacy = None,
            _ => {}
        }
        self.advance(draft, None)
    }

    /// A category row tapped (from the form's list or the menu).
    pub(super) fn pick_category(&mut self, id: &str) {
        self.complaint(Some(id), true, None);
    }

    fn submit(&mut self, draft: ComplaintDraft) {
        if self.next_step(&draft) != DraftStep::Summary {
            return self.advance(draft, None);
        }
        let Some(category) = self.draft_category(&draft).cloned() else {
            return self.advance(draft, None);
        };
        let ticket = complaint::ticket_for(&self.message_id, self.env.ticket_attempt);
        let privacy = draft.privacy.unwrap_or_default();
        let rules = Rules {
            sla: Sla::from(&category),
            holidays: &self.content().holidays,
        };
        let created = complaint::submit(
            Submission {
                ticket: ticket.clone(),
                citizen_key: self.turn.profile.key.clone(),
                reporter_name: self.citizen.name.clone(),
                category_id: category.id.clone(),
                opd_id: category.opd_id.clone(),
                description: draft.description.clone().unwrap_or_default(),
                location: draft.location.clone(),
                photos: draft.photos.clone(),
                privacy,
                source_wamid: self.message_id.clone(),
                at_ms: self.env.now_ms,
            },
            &rules,
        );
        let response_date = created
            .deadlines
            .response_date
            .map(calendar::format_date_id)
            .unwrap_or_default();
        let opd = self
            .content()
            .opd(&category.opd_id)
            .map_or_else(|| category.opd.clone(), |o| o.name.clone());
        self.store(ComplaintOp::Create(Box::new(created)));
        self.turn.session.flow = None;
        self.turn.session.suspended_complaint = None;
        self.say(buttons(
            ct::submitted(&ticket, &opd, &response_date, privacy),
            &[(ids::MENU, titles::MENU)],
        ));
    }

    // -----------------------------------------------------------------------------------------
    // Tracking and withdrawal
    // -----------------------------------------------------------------------------------------

    /// Text naming a ticket: a withdrawal when it says so, else its timeline.
    pub(super) fn ticket_command(&mut self, ticket: &str, text: &str) {
        let wants_withdrawal = keywords::words(text)
            .iter()
            .any(|w| WITHDRAW_WORDS.contains(&w.as_str()));
        if wants_withdrawal {
            self.withdraw_request(ticket)
        } else {
            self.tracking(Some(ticket))
        }
    }

    /// `cek aduan` (the citizen's list) or `cek PS-…` (one ticket's public timeline). Only
    /// the reporter's own complaints, and those they follow ("ikut melapor"), are shown; any
    /// other ticket gets the same "not found" as a ticket that does not exist.
    pub(super) fn tracking(&mut self, ticket: Option<&str>) {
        match ticket {
            Some(ticket) => {
                if let Some(found) = self.own_complaint(ticket).cloned() {
                    self.timeline(&found, true)
                } else if let Some(found) = self.followed_complaint(ticket).cloned() {
                    self.timeline(&found, false)
                } else {
                    self.say(buttons(ct::TICKET_NOT_FOUND, &[(ids::MENU, titles::MENU)]))
                }
            }
            None => self.complaint_list(),
        }
    }

    /// A complaint of another citizen that this one follows (its public timeline only).
    /// *Rahasia* complaints are never shown to anyone but their reporter.
    fn followed_complaint(&self, ticket: &str) -> Option<&Complaint> {
        let key = &self.turn.profile.key;
        self.env
            .complaints
            .iter()
            .chain(self.env.related)
            .find(|c| {
                c.ticket == ticket
                    && c.privacy != Privacy::Rahasia
                    && complaint::duplicates::follows(c, key)
            })
    }

    fn complaint_list(&mut self) {
        let key = self.turn.profile.key.clone();
        let mine: Vec<Complaint> = self
            .env
            .complaints
            .iter()
            .filter(|c| c.citizen_key == key)
            .take(limits::LIST_MAX_ROWS)
            .cloned()
            .collect();
        if mine.is_empty() {
            return self.say(buttons(
                ct::NO_COMPLAINTS,
                &[
                    (ids::COMPLAINT, titles::COMPLAINT),
                    (ids::MENU, titles::MENU),
                ],
            ));
        }
        let lines: Vec<String> = mine
            .iter()
            .map(|c| ct::list_line(c, &self.category_name(&c.category_id)))
            .collect();
        let rows = mine
            .iter()
            .map(|c| ListRow {
                id: format!("{}{}", cid::TRACK_PREFIX, c.ticket),
                title: c.ticket.clone(),
                description: Some(truncate_chars(
                    &format!(
                        "{} · {}",
                        c.status.label(),
                        self.category_name(&c.category_id)
                    ),
                    limits::LIST_ROW_DESCRIPTION,
                )),
            })
            .collect();
        let body = format!(
            "🗂️ *Aduan Anda*\n\n{}\n\nKetuk *Lihat Aduan* untuk riwayat lengkapnya.",
            lines.join("\n\n")
        );
        self.say(Reply::List(ListMessage {
            header: None,
            body: truncate_chars(&body, limits::LIST_BODY),
            footer: None,
            button: "Lihat Aduan".to_string(),
            sections: vec![ListSection {
                title: Some("Aduan terbaru".to_string()),
                rows,
            }],
        }));
    }

    fn category_name(&self, id: &str) -> String {
        self.content()
            .category(id)
            .map_or_else(|| "Aduan".to_string(), |c| c.short_name.clone())
    }

    /// The public timeline; `own`: the reporter's view (else a follower's: no actions).
    fn timeline(&mut self, found: &Complaint, own: bool) {
        let mut text = format!(
            "🔎 *Aduan {}*\n{}\nStatus: *{}*",
            found.ticket,
            self.category_name(&found.category_id),
            found.status.label()
        );
        if let Some(opd) = self.content().opd(&found.opd_id) {
            text.push_str(&format!("\nDitangani: {}", opd.short_name));
        }
        if let Some(next) = ct::next_deadline_text(found) {
            text.push_str(&format!("\n{next}"));
        }
        text.push_str("\n\n*Riwayat:*");
        // The newest events matter most (the officer's latest request): older ones are
        // summarised rather than pushing the newest out of the message.
        let public: Vec<_> = found.public_events().collect();
        let hidden = public.len().saturating_sub(TIMELINE_EVENTS);
        if hidden > 0 {
            text.push_str(&format!(
                "\n• _({hidden} riwayat sebelumnya tidak ditampilkan)_"
            ));
        }
        for event in public.into_iter().skip(hidden) {
            let when = calendar::wib_datetime(event.at_ms).format("%d/%m/%Y %H.%M");
            let what = if event.info.is_some() && event.changes_status() {
                format!("Informasi tambahan dari pelapor ({})", event.to.label())
            } else if event.info.is_some() && event.to.is_final() {
                // The one addition a closed complaint takes: the rating's comment.
                "Komentar penilaian dari pelapor".to_string()
            } else if event.changes_status() {
                event.to.label().to_string()
            } else if event.info.is_some() {
                "Informasi tambahan dari pelapor".to_string()
            } else {
                // A note without a status change (the scheduler's progress note, an officer's
                // public remark).
                "Kabar dari petugas".to_string()
            };
            text.push_str(&format!("\n• {when} – {what}"));
            if let Some(note) = &event.public_note {
                text.push_str(&format!("\n   _{}_", truncate_chars(note, 300)));
            }
        }
        if !own {
            text.push_str(&format!("\n\n{}", ct::FOLLOWER_NOTE));
        } else if found.status == Status::PerluDilengkapi {
            text.push_str(&format!("\n\n{}", ct::COMPLETE_REQUEST_HINT));
        }
        let mut choices: Vec<(String, &str)> = Vec::new();
        if own && complaint::can_withdraw(found) {
            choices.push((
                format!("{}{}", cid::WITHDRAW_PREFIX, found.ticket),
                "Cabut Aduan",
            ));
        }
        if own && found.status == Status::Selesai {
            // The answer the `selesai` notice asks for, for a citizen who missed it.
            choices.push((
                format!("{}{}", cid::SOLVED_PREFIX, found.ticket),
                ctitle::SOLVED,
            ));
            choices.push((
                format!("{}{}", cid::UNSOLVED_PREFIX, found.ticket),
                ctitle::UNSOLVED,
            ));
        } else {
            choices.push((cid::TRACK_LIST.to_string(), ctitle::MY_COMPLAINTS));
        }
        choices.push((ids::MENU.to_string(), titles::MENU));
        let pairs: Vec<(&str, &str)> = choices.iter().map(|(id, t)| (id.as_str(), *t)).collect();
        // A long timeline goes as text; the buttons follow with a short body.
        if text.chars().count() > limits::BUTTONS_BODY {
            self.text(truncate_chars(&text, limits::TEXT_BODY));
            self.say(buttons("Pilih tindakan berikutnya.", &pairs));
        } else {
            self.say(buttons(text, &pairs));
        }
    }

    fn withdraw_request(&mut self, ticket: &str) {
        let Some(found) = self.own_complaint(ticket).cloned() else {
            return self.say(buttons(ct::TICKET_NOT_FOUND, &[(ids::MENU, titles::MENU)]));
        };
        if !found.followers.is_empty() && found.status.is_open() {
            return self.text(ct::withdraw_refused_followed(&found.ticket));
        }
        if !complaint::can_withdraw(&found) {
            return self.text(ct::withdraw_refused(&found.ticket, found.status));
        }
        let confirm = format!("{}{}", cid::WITHDRAW_PREFIX, found.ticket);
        self.say(buttons(
            ct::withdraw_confirm(&found.ticket),
            &[
                (confirm.as_str(), ctitle::WITHDRAW),
                (cid::KEEP, ctitle::KEEP),
            ],
        ));
    }

    fn withdraw(&mut self, ticket: &str) {
        let Some(found) = self.own_complaint(ticket).cloned() else {
            return self.say(buttons(ct::TICKET_NOT_FOUND, &[(ids::MENU, titles::MENU)]));
        };
        let change = Change {
            event_id: self.event_id("withdraw"),
            at_ms: self.env.now_ms,
            actor: Actor::citizen(&found.citizen_key),
            to: Status::Dicabut,
            public_note: Some("Dicabut oleh pelapor melalui WhatsApp.".to_string()),
            internal_note: None,
        };
        let rules = self.rules_for(&found.category_id);
        match complaint::apply(&found, change, &rules) {
            Ok(changed) => {
                self.store(ComplaintOp::Update(Box::new(changed)));
                self.text(ct::withdrawn(&found.ticket));
            }
            // Redelivered after it was stored: same answer as the first time.
            Err(TransitionError::AlreadyApplied) => {
                self.replay(&found);
                self.text(ct::withdrawn(&found.ticket))
            }
            Err(_) if found.status == Status::Dicabut => self.text(ct::withdrawn(&found.ticket)),
            Err(TransitionError::WithdrawFollowed) => {
                self.text(ct::withdraw_refused_followed(&found.ticket))
            }
            Err(_) => self.text(ct::withdraw_refused(&found.ticket, found.status)),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Additions to a ticket (answering `perlu_dilengkapi`)
    // -----------------------------------------------------------------------------------------

    /// The ticket this message adds to, if any: one answering `perlu_dilengkapi`, or the one
    /// the citizen answered minutes ago (the rest of a burst).
    pub(super) fn attach_target(&self) -> Option<Complaint> {
        let now = self.env.now_ms;
        let key = &self.turn.profile.key;
        if let Some(window) = self
            .turn
            .session
            .attach
            .as_ref()
            .filter(|w| now < w.until_ms)
        {
            if let Some(found) = self
                .own_complaint(&window.ticket)
                .filter(|c| c.status.is_open())
            {
                return Some(found.clone());
            }
        }
        self.env
            .complaints
            .iter()
            .filter(|c| &c.citizen_key == key && c.status == Status::PerluDilengkapi)
            .max_by_key(|c| c.updated_ms)
            .cloned()
    }

    /// The citizen's open complaint whose photo could not be copied (they were asked to
    /// send it again): a photo sent now belongs to it.
    pub(super) fn resend_target(&self) -> Option<Complaint> {
        let key = &self.turn.profile.key;
        self.env
            .complaints
            .iter()
            .filter(|c| &c.citizen_key == key && c.status.is_open())
            .filter(|c| c.photos.iter().any(|p| p.fetch_error.is_some()))
            .max_by_key(|c| c.updated_ms)
            .cloned()
    }

    /// Adds the message to `target` and says so.
    pub(super) fn attach(&mut self, target: &Complaint, info: AddedInfo) {
        let resumed = target.status == Status::PerluDilengkapi;
        let rules = self.rules_for(&target.category_id);
        let result = complaint::add_info(
            target,
            &self.event_id("info"),
            self.env.now_ms,
            Actor::citizen(&target.citizen_key),
            info,
            &rules,
        );
        let ticket = target.ticket.clone();
        let resumed = match result {
            Ok(changed) => {
                self.store(ComplaintOp::Update(Box::new(changed)));
                resumed
            }
            Err(TransitionError::AlreadyApplied) => {
                self.replay(target);
                // Redelivered: the stored event tells whether it resumed the ticket.
                let event_id = self.event_id("info");
                target
                    .events
                    .iter()
                    .any(|e| e.id == event_id && e.from == Some(Status::PerluDilengkapi))
            }
            Err(_) => return self.text(ct::info_refused(&ticket)),
        };
        let window_open = self
            .turn
            .session
            .attach
            .as_ref()
            .is_some_and(|w| w.ticket == ticket && self.env.now_ms < w.until_ms);
        if !window_open || resumed {
            self.turn.session.attach = Some(AttachWindow {
                ticket: ticket.clone(),
                until_ms: self.env.now_ms + ct::ATTACH_WINDOW_MS,
            });
        }
        self.text(ct::info_attached(&ticket, resumed));
    }
}

/// Puts a photo or location into the draft; returns what to tell the citizen first.
fn take_media(
    draft: &mut ComplaintDraft,
    photo: Option<&Photo>,
    location: Option<&ComplaintLocation>,
) -> Option<String> {
    if let Some(location) = location {
        draft.location = Some(location.clone());
        draft.location_skipped = false;
    }
    let photo = photo?;
    if draft.photos.iter().any(|p| p.media_id == photo.media_id) {
        return None;
    }
    if draft.photos.len() >= ct::FORM_MAX_PHOTOS {
        return Some(ct::PHOTOS_FULL.to_string());
    }
    draft.photos.push(photo.clone());
    if let (None, Some(caption)) = (&draft.description, photo.caption.as_deref()) {
        if long_enough(caption.trim()) {
            draft.description = Some(caption.trim().to_string());
        }
    }
    None
}

fn long_enough(text: &str) -> bool {
    text.chars().count() >= ct::DESCRIPTION_MIN_CHARS
        && keywords::words(text).len() >= ct::DESCRIPTION_MIN_WORDS
}

/// Whether the message that opened the form already tells what happened (it becomes the
/// description) rather than only asking to complain ("mau lapor").
fn describes_a_problem(text: &str) -> bool {
    long_enough(text.trim()) && keywords::words(text).len() >= 5
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openers_that_only_ask_to_complain_are_not_descriptions() {
        assert!(!describes_a_problem("mau lapor"));
        assert!(!describes_a_problem("saya mau buat aduan"));
        assert!(describes_a_problem(
            "jalan di depan rumah saya berlubang besar sejak seminggu"
        ));
    }

    #[test]
    fn media_lands_in_the_draft_once_and_at_most_three_photos() {
        let mut draft = ComplaintDraft::default();
        let media = |id: &str| Photo {
            media_id: id.into(),
            mime_type: Some("image/jpeg".into()),
            ..Photo::default()
        };
        for id in ["1", "1", "2", "3"] {
            assert_eq!(take_media(&mut draft, Some(&media(id)), None), None);
        }
        assert_eq!(draft.photos.len(), 3);
        assert_eq!(
            take_media(&mut draft, Some(&media("4")), None).as_deref(),
            Some(ct::PHOTOS_FULL)
        );
        let here = ComplaintLocation::Pin {
            latitude: -7.75,
            longitude: 113.21,
            name: None,
            address: Some("Jl. Suroyo".into()),
        };
        take_media(&mut draft, None, Some(&here));
        assert!(matches!(
            draft.location,
            Some(ComplaintLocation::Pin { .. })
        ));
    }
}
