//! The complaint form: consent once per citizen, then category, description, location,
//! photos and privacy, ending with a summary (*Kirim* / *Ubah* / *Batal*). Photos and
//! locations land in the open form whatever question is pending; the menu, a handoff or an
//! emergency set the form aside and starting a complaint continues it. The new complaint
//! leaves the turn as a [`ComplaintOp::Create`].

use crate::channel::{limits, ListMessage, ListRow, ListSection};
use crate::dialog::{
    answer::{AnswerKind, Answered},
    complaint_texts::{self as ct, ids as cid, titles as ctitle},
    keywords::{self, phrase_in},
    reply::{buttons, truncate_chars, Reply},
    session::{ComplaintDraft, DraftStep, Flow},
    texts::{self, ids, titles},
    turn::{ComplaintOp, TurnBuilder},
};
use crate::{
    calendar,
    complaint::{self, ComplaintLocation, Photo, Privacy, Rules, Sla, Submission},
    content::{ComplaintCategory, ListKey},
};

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

pub(in crate::dialog) fn asks_to_complain(text: &str) -> bool {
    phrase_in(text, START_PHRASES)
}

// ---------------------------------------------------------------------------------------------
// Entering the form
// ---------------------------------------------------------------------------------------------

/// Starts (or continues) the form. `category`: a category the citizen picked (`explicit`) or
/// one guessed from their words; `text`: the words that started it, kept as the description
/// when they already tell the story.
pub(in crate::dialog) fn start(
    t: &mut TurnBuilder,
    category: Option<&str>,
    explicit: bool,
    text: Option<&str>,
) {
    let category = category.and_then(|id| t.content().category(id)).cloned();
    if category.as_ref().is_some_and(|c| c.emergency) {
        return t.emergency(&[]);
    }
    let mut lead = None;
    let mut draft = match t.turn.session.flow.take() {
        Some(Flow::Complaint(draft)) => draft,
        _ => match t.turn.session.suspended_complaint.take() {
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
    advance(t, draft, lead);
}

/// Continues a form set aside (the *Lanjutkan Aduan* button).
fn resume(t: &mut TurnBuilder) {
    start(t, None, false, None);
}

/// `BATAL`: the form, open or set aside, is discarded. False when there is none.
pub(in crate::dialog) fn cancel(t: &mut TurnBuilder) -> bool {
    let session = &mut t.turn.session;
    let discarded = match session.flow {
        Some(Flow::Complaint(_)) => {
            session.flow = None;
            session.suspended_complaint = None;
            true
        }
        None => session.suspended_complaint.take().is_some(),
        Some(Flow::Subscription) => false,
    };
    if discarded {
        t.text(texts::CANCEL_COMPLAINT);
    }
    discarded
}

fn next_step(t: &TurnBuilder, draft: &ComplaintDraft) -> DraftStep {
    let category = draft_category(t, draft);
    if t.turn.profile.privacy_consent_ms.is_none() {
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
fn advance(t: &mut TurnBuilder, mut draft: ComplaintDraft, lead: Option<String>) {
    // A category that stopped requiring a location, or a skipped location of a category
    // that now requires one, is resolved here.
    let requires_location = draft_category(t, &draft).is_some_and(|c| c.requires_location);
    if requires_location && draft.location_skipped && draft.location.is_none() {
        draft.location_skipped = false;
    }
    let step = next_step(t, &draft);
    draft.step = step;
    if let Some(lead) = lead {
        t.text(lead);
    }
    match step {
        DraftStep::Consent => t.say(buttons(
            ct::privacy_notice(t.env.retention_days),
            &[
                (cid::CONSENT_YES, ctitle::CONSENT_YES),
                (cid::CONSENT_NO, ctitle::CONSENT_NO),
            ],
        )),
        DraftStep::Category => {
            t.text(ct::CATEGORY_HINT);
            t.turn.session.flow = Some(Flow::Complaint(draft));
            return t.list_page(&ListKey::ComplaintCategories, 1);
        }
        DraftStep::ConfirmCategory => {
            let (name, description) = draft_category(t, &draft)
                .map(|c| (c.short_name.clone(), c.short_description.clone()))
                .unwrap_or_default();
            t.say(buttons(
                ct::confirm_category(&name, &description),
                &[
                    (cid::CATEGORY_OK, ctitle::CATEGORY_OK),
                    (cid::CATEGORY_OTHER, ctitle::CATEGORY_OTHER),
                ],
            ));
        }
        DraftStep::Description => t.text(ct::DESCRIPTION_ASK),
        DraftStep::Location => t.say(Reply::LocationRequest(ct::location_ask(requires_location))),
        DraftStep::Photos => {
            let title = if draft.photos.is_empty() {
                ctitle::SKIP_PHOTOS
            } else {
                ctitle::PHOTOS_DONE
            };
            t.say(buttons(
                ct::photos_ask(draft.photos.len()),
                &[(cid::PHOTOS_DONE, title)],
            ));
        }
        DraftStep::Privacy => t.say(buttons(
            ct::PRIVACY_ASK,
            &[
                (cid::PRIVACY_BIASA, ctitle::BIASA),
                (cid::PRIVACY_ANONIM, ctitle::ANONIM),
                (cid::PRIVACY_RAHASIA, ctitle::RAHASIA),
            ],
        )),
        DraftStep::Summary | DraftStep::EditChoice => {
            draft.step = DraftStep::Summary;
            summary(t, &draft);
        }
    }
    t.turn.session.flow = Some(Flow::Complaint(draft));
}

fn draft_category<'t>(t: &'t TurnBuilder, draft: &ComplaintDraft) -> Option<&'t ComplaintCategory> {
    draft
        .category
        .as_deref()
        .and_then(|id| t.content().category(id))
}

fn summary(t: &mut TurnBuilder, draft: &ComplaintDraft) {
    let Some(category) = draft_category(t, draft) else {
        return;
    };
    let location = draft
        .location
        .as_ref()
        .map_or_else(|| "(tanpa lokasi)".to_string(), ComplaintLocation::describe);
    // A caption that became the description is not repeated.
    let description = draft.description.as_deref().unwrap_or_default().trim();
    let captions: Vec<Option<&str>> = draft
        .photos
        .iter()
        .map(|p| p.caption.as_deref().filter(|c| c.trim() != description))
        .collect();
    let photos = ct::summary_photos(&captions);
    // The category by the name the citizen picked it by in the list (its `short_name`).
    let text = ct::summary(
        &category.short_name,
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
    t.text(text);
    t.say(buttons(
        truncate_chars(&notice, limits::BUTTONS_BODY),
        &[
            (cid::SUBMIT, ctitle::SUBMIT),
            (cid::EDIT, ctitle::EDIT),
            (ids::CANCEL, ctitle::CANCEL),
        ],
    ));
}

// ---------------------------------------------------------------------------------------------
// Answers inside the form
// ---------------------------------------------------------------------------------------------

/// Typed text while the form is open; `answered` is what the engine made of it (the router
/// has already answered an emergency).
pub(in crate::dialog) fn on_text(t: &mut TurnBuilder, text: &str, answered: &Answered) {
    let Some(Flow::Complaint(mut draft)) = t.turn.session.flow.clone() else {
        return;
    };
    let trimmed = text.trim();
    match draft.step {
        DraftStep::Consent => {
            if phrase_in(text, YES_WORDS) {
                consent(t, true)
            } else if phrase_in(text, NO_WORDS) {
                consent(t, false)
            } else {
                advance(t, draft, Some(ct::CONSENT_REASK.to_string()))
            }
        }
        DraftStep::Category => {
            let typed = t
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
                .filter(|_| answered.kind == AnswerKind::Complaint);
            match (typed, guessed) {
                (Some(id), _) => {
                    draft.category = Some(id);
                    draft.category_confirmed = true;
                }
                (None, Some(id)) if t.content().category(&id).is_some() => {
                    draft.category = Some(id);
                    draft.category_confirmed = false;
                }
                _ => {}
            }
            if draft.description.is_none() && describes_a_problem(text) {
                draft.description = Some(trimmed.to_string());
            }
            advance(t, draft, None)
        }
        DraftStep::ConfirmCategory => {
            if phrase_in(text, YES_WORDS) {
                draft.category_confirmed = true;
            } else if phrase_in(text, NO_WORDS) {
                draft.category = None;
            }
            advance(t, draft, None)
        }
        DraftStep::Description => {
            let chars = trimmed.chars().count();
            if chars > ct::DESCRIPTION_MAX_CHARS {
                return t.text(ct::description_too_long(chars));
            }
            if !long_enough(trimmed) {
                return t.text(ct::DESCRIPTION_TOO_SHORT);
            }
            draft.description = Some(trimmed.to_string());
            advance(t, draft, None)
        }
        DraftStep::Location => {
            let required = draft_category(t, &draft).is_some_and(|c| c.requires_location);
            if phrase_in(text, SKIP_WORDS) {
                if required {
                    return advance(t, draft, Some(ct::LOCATION_REQUIRED.to_string()));
                }
                draft.location_skipped = true;
                return advance(t, draft, None);
            }
            let chars = trimmed.chars().count();
            if chars < ct::TYPED_LOCATION_MIN_CHARS {
                return advance(t, draft, Some(ct::LOCATION_TOO_SHORT.to_string()));
            }
            draft.location = Some(ComplaintLocation::Typed {
                text: truncate_chars(trimmed, ct::TYPED_LOCATION_MAX_CHARS),
            });
            advance(t, draft, None)
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
                    return advance(t, draft, Some(ct::DESCRIPTION_EXTENDED.to_string()));
                }
                return t.text(ct::description_too_long(description.chars().count()));
            }
            advance(t, draft, None)
        }
        DraftStep::Privacy => {
            let words = keywords::words(text).join(" ");
            draft.privacy = match words.as_str() {
                "biasa" => Some(Privacy::Biasa),
                "anonim" | "anonymous" => Some(Privacy::Anonim),
                "rahasia" => Some(Privacy::Rahasia),
                _ => None,
            };
            advance(t, draft, None)
        }
        DraftStep::Summary | DraftStep::EditChoice => {
            if phrase_in(text, &["kirim", "ya", "iya", "ok", "oke"]) {
                submit(t, draft)
            } else if phrase_in(text, &["ubah", "edit", "ganti"]) {
                edit_choice(t, draft)
            } else {
                advance(t, draft, None)
            }
        }
    }
}

/// A photo or a location, whatever question is open: a burst (text, photo, location in
/// quick succession) lands in the form in the order it was sent.
pub(in crate::dialog) fn on_media(
    t: &mut TurnBuilder,
    photo: Option<&Photo>,
    location: Option<&ComplaintLocation>,
) {
    let Some(Flow::Complaint(mut draft)) = t.turn.session.flow.clone() else {
        return;
    };
    let lead = take_media(&mut draft, photo, location);
    advance(t, draft, lead);
}

/// Keeps a photo or location sent outside any form, so *Buat Aduan* starts with it.
pub(in crate::dialog) fn keep_for_later(
    t: &mut TurnBuilder,
    photo: Option<&Photo>,
    location: Option<&ComplaintLocation>,
) {
    let mut draft = t
        .turn
        .session
        .suspended_complaint
        .take()
        .unwrap_or_default();
    take_media(&mut draft, photo, location);
    t.turn.session.suspended_complaint = Some(draft);
}

fn consent(t: &mut TurnBuilder, accepted: bool) {
    if !accepted && t.turn.profile.privacy_consent_ms.is_some() {
        // An old notice's button tapped after consenting: the open form goes on.
        return resume(t);
    }
    if !accepted {
        t.turn.session.flow = None;
        t.turn.session.suspended_complaint = None;
        return t.say(buttons(ct::CONSENT_DECLINED, &[(ids::MENU, titles::MENU)]));
    }
    t.turn.profile.privacy_consent_ms = Some(t.env.now_ms);
    let draft = match t.turn.session.flow.take() {
        Some(Flow::Complaint(draft)) => draft,
        _ => t
            .turn
            .session
            .suspended_complaint
            .take()
            .unwrap_or_default(),
    };
    advance(t, draft, Some(ct::CONSENT_THANKS.to_string()));
}

fn edit_choice(t: &mut TurnBuilder, mut draft: ComplaintDraft) {
    draft.step = DraftStep::EditChoice;
    let row = |id: &str, title: &str, description: &str| ListRow {
        id: id.to_string(),
        title: title.to_string(),
        description: Some(description.to_string()),
    };
    t.say(Reply::List(ListMessage {
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
    t.turn.session.flow = Some(Flow::Complaint(draft));
}

/// The form's own buttons and rows (`aduan:…`; the router has taken tracking's and the
/// follow-up's).
pub(in crate::dialog) fn on_button(t: &mut TurnBuilder, id: &str) {
    match id {
        cid::RESUME => return resume(t),
        cid::CONSENT_YES => return consent(t, true),
        cid::CONSENT_NO => return consent(t, false),
        _ => {}
    }
    let Some(Flow::Complaint(mut draft)) = t.turn.session.flow.clone() else {
        // A button of a form that was sent or cancelled since.
        return start(t, None, false, None);
    };
    match id {
        cid::CATEGORY_OK => draft.category_confirmed = true,
        cid::CATEGORY_OTHER | cid::EDIT_CATEGORY => {
            draft.category = None;
            draft.category_confirmed = false;
        }
        cid::PHOTOS_DONE => draft.photos_done = true,
        cid::SKIP_LOCATION => {
            draft.location_skipped = !draft_category(t, &draft).is_some_and(|c| c.requires_location)
        }
        cid::PRIVACY_BIASA => draft.privacy = Some(Privacy::Biasa),
        cid::PRIVACY_ANONIM => draft.privacy = Some(Privacy::Anonim),
        cid::PRIVACY_RAHASIA => draft.privacy = Some(Privacy::Rahasia),
        cid::SUBMIT => return submit(t, draft),
        cid::EDIT => return edit_choice(t, draft),
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
    advance(t, draft, None)
}

fn submit(t: &mut TurnBuilder, draft: ComplaintDraft) {
    if next_step(t, &draft) != DraftStep::Summary {
        return advance(t, draft, None);
    }
    let Some(category) = draft_category(t, &draft).cloned() else {
        return advance(t, draft, None);
    };
    let ticket = complaint::ticket_for(&t.message_id, t.env.ticket_attempt);
    let privacy = draft.privacy.unwrap_or_default();
    let rules = Rules {
        sla: Sla::from(&category),
        holidays: &t.content().holidays,
    };
    let created = complaint::submit(
        Submission {
            ticket: ticket.clone(),
            citizen_key: t.turn.profile.key.clone(),
            reporter_name: t.citizen.name.clone(),
            category_id: category.id.clone(),
            opd_id: category.opd_id.clone(),
            description: draft.description.clone().unwrap_or_default(),
            location: draft.location.clone(),
            photos: draft.photos.clone(),
            privacy,
            source_wamid: t.message_id.clone(),
            at_ms: t.env.now_ms,
        },
        &rules,
    );
    let response_date = created
        .deadlines
        .response_date
        .map(calendar::format_date_id)
        .unwrap_or_default();
    let opd = t
        .content()
        .opd(&category.opd_id)
        .map_or_else(|| category.opd.clone(), |o| o.name.clone());
    t.store(ComplaintOp::Create(Box::new(created)));
    t.turn.session.flow = None;
    t.turn.session.suspended_complaint = None;
    t.say(buttons(
        ct::submitted(&ticket, &opd, &response_date, privacy),
        &[(ids::MENU, titles::MENU)],
    ));
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
