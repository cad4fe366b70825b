//! Answers from the knowledge base: a FAQ entry or a service card for a confident answer,
//! "Apakah maksud Anda …" with the top three when the engine is unsure, and the fallback
//! (*Menu Utama* / *Bicara ke Petugas*) when it has no idea. The last two are recorded as
//! [`Unanswered`] for the content team.

use crate::channel::{limits, ListMessage, ListRow, ListSection};
use crate::content::{service_card_policy, show_unverified_policy, Faq, RowTarget};
use crate::dialog::{
    answer::Answered,
    reply::{buttons, truncate_chars, Reply},
    texts::{self, ids, titles},
    turn::{RephraseCandidate, TurnBuilder, Unanswered, MAX_EXTRA_PASSAGES},
};
use crate::nlp::{rephrase::SourcePassage, text::mask_pii};

pub(in crate::dialog) fn show_faq(t: &mut TurnBuilder, id: &str) {
    let Some(faq) = t.content().faq(id) else {
        return t.stale_choice();
    };
    let text = show_unverified_policy(faq, &t.content().opds, t.env.show_unverified);
    t.text(text);
}

/// Marks the FAQ answer just given to a typed question as the turn's [`RephraseCandidate`].
/// Only verified entries qualify (an unverified one carries a note or a referral that must
/// stay as written), and never the emergency entries.
pub(in crate::dialog) fn offer_rephrase(
    t: &mut TurnBuilder,
    question: &str,
    id: &str,
    alternatives: &[String],
) {
    if !t.typed {
        return;
    }
    let content = t.env.content;
    let usable = |faq: &&Faq| faq.verified && faq.category != "darurat";
    let Some(chosen) = content.faq(id).filter(usable) else {
        return;
    };
    let Some(reply) = t.turn.replies.len().checked_sub(1) else {
        return;
    };
    if t.turn.replies[reply] != Reply::Text(chosen.answer.clone()) {
        return;
    }
    let mut passages = vec![SourcePassage {
        id: chosen.id.clone(),
        text: chosen.answer.clone(),
    }];
    for faq in alternatives
        .iter()
        .filter_map(|alt| content.faq(alt))
        .filter(usable)
    {
        if passages.len() > MAX_EXTRA_PASSAGES {
            break;
        }
        if passages.iter().all(|p| p.id != faq.id) {
            passages.push(SourcePassage {
                id: faq.id.clone(),
                text: faq.answer.clone(),
            });
        }
    }
    t.turn.rephrase = Some(RephraseCandidate {
        reply,
        question_masked: mask_pii(question),
        passages,
    });
}

pub(in crate::dialog) fn show_service(t: &mut TurnBuilder, id: &str) {
    let Some(service) = t.content().service(id) else {
        return t.stale_choice();
    };
    let parts = service_card_policy(service, &t.content().opds, t.env.show_unverified);
    let online_url = service.online_url.clone();
    if parts.len() <= texts::MAX_CARD_MESSAGES {
        parts.into_iter().for_each(|p| t.text(p));
    } else {
        parts
            .into_iter()
            .take(texts::MAX_CARD_MESSAGES - 1)
            .for_each(|p| t.text(p));
        t.text(texts::card_too_long(&online_url));
    }
}

pub(in crate::dialog) fn suggest(t: &mut TurnBuilder, text: &str, answered: &Answered) {
    let mut rows: Vec<ListRow> = Vec::new();
    let mut offered: Vec<String> = Vec::new();
    for id in &answered.alternatives {
        if rows.len() == 3 || offered.contains(id) {
            continue;
        }
        let row = if let Some(faq) = t.content().faq(id) {
            Some(ListRow {
                id: RowTarget::Faq(faq.id.clone()).row_id(),
                title: truncate_chars(&faq.title, limits::LIST_ROW_TITLE),
                description: Some(truncate_chars(&faq.summary, limits::LIST_ROW_DESCRIPTION)),
            })
        } else {
            t.content().service(id).map(|s| ListRow {
                id: RowTarget::Service(s.id.clone()).row_id(),
                title: truncate_chars(&s.short_name, limits::LIST_ROW_TITLE),
                description: Some(truncate_chars(&s.name, limits::LIST_ROW_DESCRIPTION)),
            })
        };
        if let Some(row) = row {
            offered.push(id.clone());
            rows.push(row);
        }
    }
    if rows.is_empty() {
        return fallback(t, text, answered);
    }
    rows.push(ListRow {
        id: ids::MENU.to_string(),
        title: titles::MENU.to_string(),
        description: Some("Lihat semua pilihan layanan".to_string()),
    });
    rows.push(ListRow {
        id: ids::OPERATOR.to_string(),
        title: titles::OPERATOR_ROW.to_string(),
        description: Some("Sambungkan ke petugas PROLINK SAKTI".to_string()),
    });
    t.say(Reply::List(ListMessage {
        header: Some(texts::SUGGEST_HEADER.to_string()),
        body: texts::SUGGEST_BODY.to_string(),
        footer: Some(texts::SUGGEST_FOOTER.to_string()),
        button: texts::SUGGEST_BUTTON.to_string(),
        sections: vec![ListSection {
            title: Some(texts::SUGGEST_SECTION.to_string()),
            rows,
        }],
    }));
    t.turn.session.menu = Some("suggest".to_string());
    t.turn.session.suggestions = offered;
    record_unanswered(t, text, answered);
}

pub(in crate::dialog) fn fallback(t: &mut TurnBuilder, text: &str, answered: &Answered) {
    t.say(buttons(
        texts::FALLBACK,
        &[(ids::MENU, titles::MENU), (ids::OPERATOR, titles::OPERATOR)],
    ));
    record_unanswered(t, text, answered);
}

fn record_unanswered(t: &mut TurnBuilder, text: &str, answered: &Answered) {
    t.turn.unanswered = Some(Unanswered {
        text_masked: mask_pii(text),
        candidates: answered.candidates(),
    });
}

/// The citizen picked `id` from the last "Apakah maksud Anda …" list: tell the calibration.
pub(in crate::dialog) fn note_suggestion(t: &mut TurnBuilder, id: &str) {
    if t.offered.iter().any(|o| o == id) {
        t.turn.accepted_suggestion = Some(id.to_string());
    }
}
