//! What the citizen and the OPD are told when a complaint changes: the free-form message for
//! an open 24-hour window, the approved utility template that says the same outside it, the
//! operators' alert texts, and the quiet hours. Pure: the complaint worker sends.
//!
//! Templates are defined for Meta in `infra/whatsapp-templates/` (one JSON file each, names
//! equal to [`template_names`]); [`template_specs`] gives the number of body parameters, the
//! most characters each may carry and the quick-reply buttons, which a test checks against
//! the files, so the two cannot drift apart unnoticed.
//!
//! Urgency: no notice built here is urgent. Every complaint change is an administrative
//! update (a request for information gives the citizen working days to answer, and the
//! auto-close at midnight can wait for the morning), so all of them wait for 06:00 WIB when
//! they fall between 21:00 and 06:00. Emergencies never become complaints: the dialog
//! answers them with 112 at once, outside this module. [`Notice::urgent`] stays so that a
//! future safety notice can bypass the quiet hours explicitly.

mod citizen_notices;
mod operator_alerts;

pub use citizen_notices::{
    follower_notice, progress_notice, resend_photo_notice, resolved_id, status_notice,
    unresolved_id,
};
pub use operator_alerts::{
    opd_citizen_update_alert, opd_new_complaint_alert, operator_new_complaint_notice,
    operator_sla_notice, OperatorNotice,
};

use chrono::{NaiveTime, Timelike};

use super::model::Complaint;
use crate::channel::TemplateMessage;
use crate::{calendar, content::ContentBundle, dialog::reply::Reply};

/// Language of every template (an approved `id` translation must exist).
pub const TEMPLATE_LANGUAGE: &str = "id";

/// `aduan:sudah:PS-XXXXXX`: the citizen confirms that a `selesai` complaint is resolved.
pub const RESOLVED_PREFIX: &str = "aduan:sudah:";
/// `aduan:belum:PS-XXXXXX`: the citizen says it is not resolved (reopens it).
pub const UNRESOLVED_PREFIX: &str = "aduan:belum:";
/// Button titles of the `selesai` question (≤ 20 characters for reply buttons; the
/// template's quick replies carry the same titles).
pub const RESOLVED_TITLE: &str = "Sudah selesai";
pub const UNRESOLVED_TITLE: &str = "Belum selesai";

/// WIB hours in which non-urgent messages may go: 06:00 ≤ time < 21:00.
pub const QUIET_END_HOUR: u32 = 6;
pub const QUIET_START_HOUR: u32 = 21;

/// What one approved template needs at send time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateSpec {
    pub name: &'static str,
    /// One entry per body parameter (`{{1}}`, `{{2}}` …): the most characters it may carry.
    /// The template's fixed text plus these stays within Meta's 1024 characters once
    /// filled (error 132005 otherwise).
    pub body_params: &'static [usize],
    /// Quick-reply buttons in template order: the payload prefix each carries, to which the
    /// ticket is appended at send time.
    pub quick_replies: &'static [&'static str],
}

/// Ticket ids are 9 characters (`PS-7K3QX9`); the margin covers a longer scheme later.
const TICKET_MAX: usize = 16;
const LABEL_MAX: usize = 40;
/// "What happens next" of `aduan_status`, the reporter's `CEK` hint included.
const STATUS_NEXT_MAX: usize = 260;

/// `aduan_status`: ticket, status label, what it means (with the officer's note), what
/// happens next.
pub const STATUS_TEMPLATE: TemplateSpec = TemplateSpec {
    name: "aduan_status",
    body_params: &[TICKET_MAX, LABEL_MAX, 450, STATUS_NEXT_MAX],
    quick_replies: &[],
};

/// `aduan_selesai`: ticket, OPD, result note, auto-close date; *Sudah* / *Belum* buttons.
pub const RESOLVED_TEMPLATE: TemplateSpec = TemplateSpec {
    name: "aduan_selesai",
    body_params: &[TICKET_MAX, 100, 560, 40],
    quick_replies: &[RESOLVED_PREFIX, UNRESOLVED_PREFIX],
};

/// `aduan_foto_ulang`: ticket (please send the photo again).
pub const RESEND_PHOTO_TEMPLATE: TemplateSpec = TemplateSpec {
    name: "aduan_foto_ulang",
    body_params: &[TICKET_MAX],
    quick_replies: &[],
};

/// `aduan_perkembangan`: ticket, OPD (the first answer is late; still being handled).
pub const PROGRESS_TEMPLATE: TemplateSpec = TemplateSpec {
    name: "aduan_perkembangan",
    body_params: &[TICKET_MAX, 160],
    quick_replies: &[],
};

/// `aduan_pengingat_petugas` (to operators): ticket, category, what is due, deadline.
pub const OPERATOR_SLA_TEMPLATE: TemplateSpec = TemplateSpec {
    name: "aduan_pengingat_petugas",
    body_params: &[TICKET_MAX, 100, 200, 60],
    quick_replies: &[],
};

/// `aduan_baru_petugas` (to the OPD's operators): ticket, OPD, category, response deadline.
pub const OPERATOR_NEW_TEMPLATE: TemplateSpec = TemplateSpec {
    name: "aduan_baru_petugas",
    body_params: &[TICKET_MAX, 60, 100, 60],
    quick_replies: &[],
};

/// `petugas_menjawab`: an officer answered the citizen's question (outside the 24-hour
/// window); 1 the answer.
pub const OPERATOR_REPLY_TEMPLATE: TemplateSpec = TemplateSpec {
    name: "petugas_menjawab",
    body_params: &[700],
    quick_replies: &[],
};

const SPECS: &[TemplateSpec] = &[
    STATUS_TEMPLATE,
    RESOLVED_TEMPLATE,
    RESEND_PHOTO_TEMPLATE,
    PROGRESS_TEMPLATE,
    OPERATOR_SLA_TEMPLATE,
    OPERATOR_NEW_TEMPLATE,
    OPERATOR_REPLY_TEMPLATE,
];
const NAMES: &[&str] = &[
    STATUS_TEMPLATE.name,
    RESOLVED_TEMPLATE.name,
    RESEND_PHOTO_TEMPLATE.name,
    PROGRESS_TEMPLATE.name,
    OPERATOR_SLA_TEMPLATE.name,
    OPERATOR_NEW_TEMPLATE.name,
    OPERATOR_REPLY_TEMPLATE.name,
];

/// Every template this module fills; each must be approved under this name.
pub fn template_names() -> &'static [&'static str] {
    NAMES
}

pub fn template_specs() -> &'static [TemplateSpec] {
    SPECS
}

/// One message to a citizen, in both forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Free-form, for an open 24-hour window; fits WhatsApp's limits.
    pub reply: Reply,
    /// The approved template saying the same, parameters filled and sanitised: the sender's
    /// `Fallback` when the window is closed.
    pub template: TemplateMessage,
    /// Sent even in the quiet hours ([`not_before`]).
    pub urgent: bool,
}

/// When a message may go: `None` for now (urgent, or 06:00 ≤ WIB time < 21:00), else the
/// next 06:00 WIB as Unix milliseconds.
pub fn not_before(now_ms: i64, urgent: bool) -> Option<i64> {
    if urgent {
        return None;
    }
    let local = calendar::wib_datetime(now_ms);
    let hour = local.hour();
    if (QUIET_END_HOUR..QUIET_START_HOUR).contains(&hour) {
        return None;
    }
    let morning = NaiveTime::from_hms_opt(QUIET_END_HOUR, 0, 0).unwrap_or(NaiveTime::MIN);
    let date = if hour >= QUIET_START_HOUR {
        // An instant at the end of chrono's range has no next day; sending now beats never.
        local.date().succ_opt()?
    } else {
        local.date()
    };
    Some(calendar::wib_to_ms(date.and_time(morning)))
}

/// A template text parameter Meta accepts: no newline or tab, no run of more than four
/// spaces (all whitespace runs become one space), never empty, at most `max_chars`
/// characters (cut at a word boundary, with `…`).
pub fn template_param(text: &str, max_chars: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let flat: String = flat.chars().filter(|c| !c.is_control()).collect();
    let clipped = clip_words(&flat, max_chars.max(1));
    if clipped.trim().is_empty() {
        "-".to_string()
    } else {
        clipped
    }
}

/// The template `spec` with its body parameters (sanitised, each within its length) and its
/// quick-reply payloads for `ticket`.
fn fill(spec: &TemplateSpec, values: &[&str], ticket: &str) -> TemplateMessage {
    TemplateMessage {
        name: spec.name.to_string(),
        language: TEMPLATE_LANGUAGE.to_string(),
        body: spec
            .body_params
            .iter()
            .enumerate()
            .map(|(i, max)| template_param(values.get(i).copied().unwrap_or_default(), *max))
            .collect(),
        quick_reply_payloads: spec
            .quick_replies
            .iter()
            .map(|prefix| format!("{prefix}{ticket}"))
            .collect(),
    }
}

/// At most `max` characters, cut after a whole word when one ends in the last fifth.
fn clip_words(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    let floor = kept.len() * 4 / 5;
    let cut = match kept.rfind(' ') {
        Some(at) if at >= floor && at > 0 => &kept[..at],
        _ => kept.as_str(),
    };
    format!("{}…", cut.trim_end_matches([' ', ',', ';', ':']))
}

fn category_name(complaint: &Complaint, content: &ContentBundle) -> String {
    content
        .category(&complaint.category_id)
        .map_or_else(|| complaint.category_id.clone(), |c| c.name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_prefers_a_word_boundary() {
        assert_eq!(
            clip_words("satu dua tiga empat", 100),
            "satu dua tiga empat"
        );
        let clipped = clip_words("jalan berlubang besar sekali di depan pasar", 20);
        assert!(clipped.chars().count() <= 20, "{clipped}");
        assert!(clipped.ends_with('…'));
        assert!(!clipped.contains("bes…"), "{clipped}");
    }
}
