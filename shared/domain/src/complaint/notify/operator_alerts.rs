//! What the OPD's operators are told: SLA reminders and escalations, a new complaint, and
//! the citizen's own changes from the chat, with the reporter's identity hidden where the
//! privacy level asks for it.

use chrono::Timelike;

use super::{category_name, fill, OPERATOR_NEW_TEMPLATE, OPERATOR_SLA_TEMPLATE};
use crate::channel::TemplateMessage;
use crate::complaint::{
    model::{ActorKind, Complaint, ComplaintEvent, Privacy, Status},
    sla::SlaAction,
};
use crate::{calendar, content::ContentBundle, dialog::reply::truncate_chars, nlp::text::mask_pii};

/// Characters of citizen text quoted in an operator alert.
const ALERT_TEXT_MAX: usize = 600;

/// What operators read about an SLA point (reminder or escalation), as plain text for the
/// alert list and as the approved template for their WhatsApp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorNotice {
    pub text: String,
    pub template: TemplateMessage,
}

pub fn operator_sla_notice(
    complaint: &Complaint,
    action: &SlaAction,
    content: &ContentBundle,
) -> OperatorNotice {
    let ticket = complaint.ticket.as_str();
    let category = category_name(complaint, content);
    let (what, deadline) = match action {
        SlaAction::Reminder {
            clock,
            percent,
            deadline,
        } => (
            format!(
                "Pengingat: {percent}% waktu {} sudah berlalu ({}).",
                clock.label(),
                opd_short_name(complaint, content)
            ),
            *deadline,
        ),
        SlaAction::Escalation {
            clock,
            level,
            deadline,
        } => (
            format!(
                "Eskalasi tingkat {level}: tenggat {} terlewati ({}).",
                clock.label(),
                opd_short_name(complaint, content)
            ),
            *deadline,
        ),
        SlaAction::ProgressNote { day } => ("Catatan perkembangan ke pelapor.".to_string(), *day),
        SlaAction::AutoClose => (
            "Ditutup otomatis.".to_string(),
            calendar::wib_date(complaint.updated_ms),
        ),
    };
    let deadline_text = calendar::format_date_id(deadline);
    let text = format!(
        "⏰ Aduan {ticket} ({category})\n{what}\nTenggat: {deadline_text}. Tindak lanjuti dari dasbor."
    );
    OperatorNotice {
        template: fill(
            &OPERATOR_SLA_TEMPLATE,
            &[ticket, &category, &what, &deadline_text],
            ticket,
        ),
        text,
    }
}

/// The WhatsApp the OPD's operators get for a new complaint: ticket, category and deadline
/// only — no description, no reporter, no place (those are on the dashboard, for those
/// allowed to see them).
pub fn operator_new_complaint_notice(
    complaint: &Complaint,
    content: &ContentBundle,
) -> OperatorNotice {
    let ticket = complaint.ticket.as_str();
    let opd = opd_short_name(complaint, content);
    let category = category_name(complaint, content);
    let deadline = complaint
        .deadlines
        .response_date
        .map(calendar::format_date_id)
        .unwrap_or_else(|| "-".to_string());
    let text = format!(
        "📥 Aduan baru {ticket} untuk {opd} ({category}).\nTenggat tanggapan: {deadline}. \
         Tindak lanjuti dari dasbor PROLINK SAKTI."
    );
    OperatorNotice {
        template: fill(
            &OPERATOR_NEW_TEMPLATE,
            &[ticket, &opd, &category, &deadline],
            ticket,
        ),
        text,
    }
}

/// The alert the OPD's operators get for a new complaint. Never the citizen's number or key;
/// for `anonim` and `rahasia` never the reporter's name either (also masked where the
/// citizen typed it into the description). Phone, NIK and other long numbers typed in the
/// text are masked for every privacy level: the full record is on the dashboard, for those
/// allowed to see it.
pub fn opd_new_complaint_alert(complaint: &Complaint, content: &ContentBundle) -> String {
    let mut lines = vec![format!(
        "Aduan baru {} untuk {}",
        complaint.ticket,
        opd_short_name(complaint, content)
    )];
    lines.push(format!("Kategori: {}", category_name(complaint, content)));
    let received = calendar::wib_datetime(complaint.received_ms);
    lines.push(format!(
        "Diterima: {} pukul {:02}.{:02} WIB",
        calendar::format_date_id(received.date()),
        received.hour(),
        received.minute()
    ));
    let deadlines = &complaint.deadlines;
    if let Some(date) = deadlines.response_date {
        lines.push(format!(
            "Tanggapan paling lambat: {}",
            calendar::format_date_id(date)
        ));
    }
    if let Some(date) = deadlines.resolution_date {
        lines.push(format!(
            "Target penyelesaian: {}",
            calendar::format_date_id(date)
        ));
    }
    lines.push(format!("Pelapor: {}", reporter_line(complaint)));
    if let Some(location) = &complaint.location {
        lines.push(format!(
            "Lokasi: {}",
            citizen_text(complaint, &location.describe(), 300)
        ));
    }
    if !complaint.photos.is_empty() {
        lines.push(format!("Foto: {}", complaint.photos.len()));
    }
    lines.push(format!(
        "Uraian: {}",
        citizen_text(complaint, &complaint.description, ALERT_TEXT_MAX)
    ));
    if let Some(original) = &complaint.duplicate_of {
        lines.push(format!(
            "Kemungkinan sama dengan aduan {original} yang masih terbuka."
        ));
    }
    if complaint.privacy == Privacy::Rahasia {
        lines.push("RAHASIA: jangan dibagikan atau ditampilkan ke publik.".to_string());
    }
    lines.push("Tindak lanjuti melalui dasbor operator PROLINK SAKTI.".to_string());
    lines.join("\n")
}

/// The alert the OPD's operators get when the citizen changes the complaint from the chat:
/// reopened ("belum selesai"), confirmed and rated, information added, withdrawn. The same
/// anonymity rules as [`opd_new_complaint_alert`].
pub fn opd_citizen_update_alert(
    complaint: &Complaint,
    event: &ComplaintEvent,
    content: &ContentBundle,
) -> String {
    let ticket = complaint.ticket.as_str();
    let mut lines = vec![format!(
        "Pembaruan dari pelapor: aduan {ticket} ({}, {})",
        category_name(complaint, content),
        opd_short_name(complaint, content)
    )];
    let from = event.from.unwrap_or(event.to);
    let note = event
        .public_note
        .as_deref()
        .map(|n| citizen_text(complaint, n, ALERT_TEXT_MAX));
    if event.to == Status::Dicabut {
        lines.push("Pelapor mencabut aduan ini. Aduan tidak perlu ditindaklanjuti lagi.".into());
        push_note(&mut lines, "Alasan pelapor", note);
    } else if event.to == Status::DibukaKembali {
        lines.push(
            "Pelapor menyatakan masalahnya BELUM SELESAI; aduan dibuka kembali. Mohon \
             ditindaklanjuti kembali."
                .into(),
        );
        push_note(&mut lines, "Keterangan pelapor", note);
        if complaint.status == Status::DibukaKembali {
            if let Some(date) = complaint.deadlines.resolution_date {
                lines.push(format!(
                    "Target penyelesaian baru: {}",
                    calendar::format_date_id(date)
                ));
            }
        }
    } else if is_rating_event(complaint, event) {
        lines.push(rating_line(complaint));
        if let Some(comment) = complaint.rating.as_ref().and_then(|r| r.comment.as_deref()) {
            lines.push(format!(
                "Komentar: {}",
                citizen_text(complaint, comment, ALERT_TEXT_MAX)
            ));
        }
    } else if let Some(comment) = rating_comment(complaint, event) {
        lines.push(format!(
            "Pelapor menambahkan komentar atas penilaiannya: {}",
            citizen_text(complaint, comment, ALERT_TEXT_MAX)
        ));
    } else if let Some(info) = &event.info {
        lines.push("Pelapor menambahkan informasi:".into());
        if let Some(text) = info.text.as_deref().filter(|t| !t.trim().is_empty()) {
            lines.push(format!(
                "Keterangan: {}",
                citizen_text(complaint, text, ALERT_TEXT_MAX)
            ));
        }
        if !info.photos.is_empty() {
            lines.push(format!("Foto baru: {}", info.photos.len()));
        }
        if let Some(location) = &info.location {
            lines.push(format!(
                "Lokasi: {}",
                citizen_text(complaint, &location.describe(), 300)
            ));
        }
        if from == Status::PerluDilengkapi && event.to != from {
            lines.push(format!(
                "Permintaan kelengkapan terjawab: aduan kembali berstatus {} dan waktu \
                 layanan berjalan lagi.",
                event.to.label()
            ));
        }
    } else if event.changes_status() {
        lines.push(format!(
            "Pelapor mengubah status aduan: {} → {}.",
            from.label(),
            event.to.label()
        ));
        push_note(&mut lines, "Keterangan pelapor", note);
    } else {
        lines.push("Pelapor memperbarui aduan.".into());
        push_note(&mut lines, "Keterangan pelapor", note);
    }
    if complaint.privacy == Privacy::Rahasia {
        lines.push("RAHASIA: jangan dibagikan atau ditampilkan ke publik.".to_string());
    }
    lines.push("Lihat detailnya di dasbor operator PROLINK SAKTI.".to_string());
    lines.join("\n")
}

/// The OPD's short name, for its own operators.
fn opd_short_name(complaint: &Complaint, content: &ContentBundle) -> String {
    content
        .opd(&complaint.opd_id)
        .map_or_else(|| complaint.opd_id.clone(), |o| o.short_name.clone())
}

fn reporter_line(complaint: &Complaint) -> String {
    match complaint.privacy {
        Privacy::Biasa => {
            let name = complaint
                .reporter_name
                .as_deref()
                .map(|n| mask_pii(n.trim()))
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "(tanpa nama profil)".to_string());
            format!("{} (identitas biasa)", truncate_chars(&name, 60))
        }
        Privacy::Anonim => "Anonim (identitas pelapor disembunyikan)".to_string(),
        Privacy::Rahasia => "Rahasia (identitas pelapor disembunyikan)".to_string(),
    }
}

const NAME_MASK: &str = "[nama disembunyikan]";
/// Name parts shorter than this are not masked on their own (titles like "Bu", "Pak").
const NAME_PART_MIN_CHARS: usize = 3;

/// Citizen-typed text as an operator alert may show it: phone, NIK, long numbers and e-mail
/// masked; for a hidden identity, the reporter's profile name too.
fn citizen_text(complaint: &Complaint, text: &str, max: usize) -> String {
    let mut masked = mask_pii(text);
    if !complaint.privacy.identity_visible_to_opd() {
        if let Some(name) = complaint.reporter_name.as_deref() {
            masked = mask_name(&masked, name);
        }
    }
    truncate_chars(masked.trim(), max)
}

/// Replaces every whole word equal (ignoring case) to a part of `name` with [`NAME_MASK`].
fn mask_name(text: &str, name: &str) -> String {
    let parts: Vec<String> = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|p| p.chars().count() >= NAME_PART_MIN_CHARS)
        .map(str::to_lowercase)
        .collect();
    if parts.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let mut last_was_mask = false;
    let mut pending_gap = String::new();
    let flush = |word: &mut String, out: &mut String, gap: &mut String, last: &mut bool| {
        if word.is_empty() {
            return;
        }
        if parts.contains(&word.to_lowercase()) {
            // "Sari Wulandari" → one mask, not two.
            if !(*last && gap.chars().all(char::is_whitespace)) {
                out.push_str(gap);
                out.push_str(NAME_MASK);
            }
            *last = true;
        } else {
            out.push_str(gap);
            out.push_str(word);
            *last = false;
        }
        gap.clear();
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out, &mut pending_gap, &mut last_was_mask);
            pending_gap.push(c);
        }
    }
    flush(&mut word, &mut out, &mut pending_gap, &mut last_was_mask);
    out.push_str(&pending_gap);
    out
}

/// A citizen's verdict after `selesai` (closing it, or recorded with the rating).
fn is_rating_event(complaint: &Complaint, event: &ComplaintEvent) -> bool {
    event.actor.kind == ActorKind::Citizen
        && ((event.from == Some(Status::Selesai) && event.to == Status::Ditutup)
            || complaint
                .rating
                .as_ref()
                .is_some_and(|r| r.at_ms == event.at_ms))
}

/// The comment of a closed, rated complaint, when `event` is the one that added it.
fn rating_comment<'a>(complaint: &'a Complaint, event: &ComplaintEvent) -> Option<&'a str> {
    let comment = complaint.rating.as_ref()?.comment.as_deref()?;
    let added = event.info.as_ref()?.text.as_deref()?;
    (event.actor.kind == ActorKind::Citizen
        && !event.changes_status()
        && event.to == Status::Ditutup
        && added == comment)
        .then_some(comment)
}

fn rating_line(complaint: &Complaint) -> String {
    match &complaint.rating {
        Some(rating) => {
            let score = rating.score.clamp(1, 5);
            let words = match score {
                1 => "sangat buruk",
                2 => "buruk",
                3 => "cukup",
                4 => "baik",
                _ => "sangat baik",
            };
            let stars = "★".repeat(usize::from(score)) + &"☆".repeat(usize::from(5 - score));
            format!(
                "Pelapor menyatakan masalahnya SUDAH SELESAI dan memberi nilai {score}/5 \
                 ({words}) {stars}."
            )
        }
        None => "Pelapor menyatakan masalahnya SUDAH SELESAI; aduan ditutup.".to_string(),
    }
}

fn push_note(lines: &mut Vec<String>, label: &str, note: Option<String>) {
    if let Some(note) = note.filter(|n| !n.is_empty()) {
        lines.push(format!("{label}: {note}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_parts_are_masked_as_whole_words_once() {
        assert_eq!(
            mask_name("Saya Sari Wulandari, warga Sarimulyo.", "Sari Wulandari"),
            "Saya [nama disembunyikan], warga Sarimulyo."
        );
        assert_eq!(
            mask_name("bu sari dan SARI", "Bu Sari"),
            "bu [nama disembunyikan] dan [nama disembunyikan]"
        );
        assert_eq!(mask_name("tanpa nama", "~"), "tanpa nama");
    }
}
