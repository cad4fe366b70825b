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

use chrono::{NaiveTime, Timelike};

use super::{
    model::{ActorKind, Complaint, ComplaintEvent, Privacy, Status},
    schedule::{CLOSE_AFTER_WORKING_DAYS, COMPLETE_WITHIN_WORKING_DAYS},
};
use crate::channel::{limits, TemplateMessage};
use crate::{
    calendar,
    content::ContentBundle,
    dialog::reply::{self, truncate_chars, Reply},
    nlp::text::mask_pii,
};

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

const SPECS: &[TemplateSpec] = &[
    STATUS_TEMPLATE,
    RESOLVED_TEMPLATE,
    RESEND_PHOTO_TEMPLATE,
    PROGRESS_TEMPLATE,
    OPERATOR_SLA_TEMPLATE,
    OPERATOR_NEW_TEMPLATE,
];
const NAMES: &[&str] = &[
    STATUS_TEMPLATE.name,
    RESOLVED_TEMPLATE.name,
    RESEND_PHOTO_TEMPLATE.name,
    PROGRESS_TEMPLATE.name,
    OPERATOR_SLA_TEMPLATE.name,
    OPERATOR_NEW_TEMPLATE.name,
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

/// Who receives a status notice: the reporter may act on it (answer, confirm, `CEK` the
/// ticket); a follower only hears the public news.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    Reporter,
    Follower,
}

/// The reporter's notice of a public change (`event` of `complaint`): ticket, new status,
/// what it means, the public note and what happens next, with a `CEK` hint. After `selesai`
/// it asks *Sudah selesai* / *Belum selesai* (ids [`resolved_id`], [`unresolved_id`]).
pub fn status_notice(
    complaint: &Complaint,
    event: &ComplaintEvent,
    content: &ContentBundle,
) -> Notice {
    notice_for(complaint, event, content, Audience::Reporter)
}

/// The same change told to a citizen who follows the complaint: no buttons (the verdict is
/// the reporter's), no `CEK` hint (tracking shows only one's own tickets), nothing the
/// reporter is asked to do.
pub fn follower_notice(
    complaint: &Complaint,
    event: &ComplaintEvent,
    content: &ContentBundle,
) -> Notice {
    notice_for(complaint, event, content, Audience::Follower)
}

/// `aduan:sudah:<ticket>`.
pub fn resolved_id(ticket: &str) -> String {
    format!("{RESOLVED_PREFIX}{ticket}")
}

/// `aduan:belum:<ticket>`.
pub fn unresolved_id(ticket: &str) -> String {
    format!("{UNRESOLVED_PREFIX}{ticket}")
}

/// A photo of the complaint could not be copied to storage: the citizen is asked to send it
/// again by replying.
pub fn resend_photo_notice(complaint: &Complaint) -> Notice {
    let ticket = complaint.ticket.as_str();
    let failed = complaint
        .photos
        .iter()
        .filter(|p| p.fetch_error.is_some())
        .count();
    let which = match failed {
        0 | 1 => "foto yang Anda lampirkan".to_string(),
        n => format!("{n} foto yang Anda lampirkan"),
    };
    let text = format!(
        "📷 *Foto aduan {ticket}*\n\n\
         Mohon maaf, {which} tidak berhasil kami simpan. Silakan *kirim ulang* foto tersebut \
         dengan membalas pesan ini, agar petugas dapat melihat kondisi di lapangan. Aduan Anda \
         tetap kami proses.\n\n\
         Ketik *CEK {ticket}* untuk melihat perkembangannya."
    );
    Notice {
        reply: Reply::Text(text),
        template: fill(&RESEND_PHOTO_TEMPLATE, &[ticket], ticket),
        urgent: false,
    }
}

/// The daily note while the first answer is late: the complaint is still being handled
/// (`sla::SlaAction::ProgressNote`). The reporter only; never at night (the scheduler's
/// point is 09.00 WIB, and the quiet hours apply as for every notice).
pub fn progress_notice(complaint: &Complaint, content: &ContentBundle) -> Notice {
    let ticket = complaint.ticket.as_str();
    let opd = opd_name(complaint, content);
    let text = format!(
        "⏳ *Aduan {ticket}*\n\n\
         Aduan Anda masih ditangani oleh {opd}. Mohon maaf, tanggapannya belum bisa kami \
         sampaikan sesuai target; kami akan mengabari Anda begitu ada perkembangan.\n\n\
         Ketik *CEK {ticket}* untuk melihat perkembangannya."
    );
    Notice {
        reply: Reply::Text(text),
        template: fill(&PROGRESS_TEMPLATE, &[ticket, &opd], ticket),
        urgent: false,
    }
}

/// What operators read about an SLA point (reminder or escalation), as plain text for the
/// alert list and as the approved template for their WhatsApp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorNotice {
    pub text: String,
    pub template: TemplateMessage,
}

pub fn operator_sla_notice(
    complaint: &Complaint,
    action: &super::sla::SlaAction,
    content: &ContentBundle,
) -> OperatorNotice {
    use super::sla::SlaAction;
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

// ---------------------------------------------------------------------------------------------
// Status notices
// ---------------------------------------------------------------------------------------------

/// Characters of citizen text quoted in an operator alert.
const ALERT_TEXT_MAX: usize = 600;
/// A public note is at most 1000 characters (lifecycle); this only guards the text limit.
const NOTE_MAX_IN_TEXT: usize = 2000;

/// The parts every status notice is made of.
struct Parts {
    /// What the new status means for the citizen.
    meaning: String,
    /// How the officer's public note is introduced.
    note_label: &'static str,
    /// What happens next (and what the citizen may do).
    next: String,
}

fn notice_for(
    complaint: &Complaint,
    event: &ComplaintEvent,
    content: &ContentBundle,
    audience: Audience,
) -> Notice {
    let ticket = complaint.ticket.as_str();
    let parts = parts(complaint, event, content, audience);
    let note = event
        .public_note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let label = event.to.label();
    let category = category_name(complaint, content);
    let heading = match audience {
        Audience::Reporter => format!("📢 *Perkembangan aduan {ticket}*\n{category}"),
        Audience::Follower => {
            format!("📢 *Perkembangan aduan {ticket}* (aduan yang Anda ikuti)\n{category}")
        }
    };
    let cek = match audience {
        Audience::Reporter => format!("\n\nKetik *CEK {ticket}* untuk melihat riwayat lengkapnya."),
        Audience::Follower => String::new(),
    };
    let asks_verdict = event.to == Status::Selesai && audience == Audience::Reporter;

    let render = |note: Option<&str>| {
        let note_part = note
            .map(|n| format!("\n\n📝 *{}:*\n{n}", parts.note_label))
            .unwrap_or_default();
        format!(
            "{heading}\n\nStatus: *{label}*\n{}{note_part}\n\n➡️ {}{cek}",
            parts.meaning, parts.next
        )
    };
    let reply = if asks_verdict {
        // Reply buttons allow 1024 characters of body: the note gives way (the whole note
        // stays readable with `CEK`).
        let fixed = render(Some("")).chars().count();
        let room = limits::BUTTONS_BODY.saturating_sub(fixed);
        let note = note.map(|n| truncate_chars(n, room));
        let body = truncate_chars(&render(note.as_deref()), limits::BUTTONS_BODY);
        reply::buttons(
            body,
            &[
                (&resolved_id(ticket), RESOLVED_TITLE),
                (&unresolved_id(ticket), UNRESOLVED_TITLE),
            ],
        )
    } else {
        let note = note.map(|n| truncate_chars(n, NOTE_MAX_IN_TEXT));
        Reply::Text(truncate_chars(&render(note.as_deref()), limits::TEXT_BODY))
    };

    let template = if asks_verdict {
        let close = complaint
            .deadlines
            .close_by_date
            .filter(|_| complaint.status == Status::Selesai)
            .map(calendar::format_date_id)
            .unwrap_or_else(|| format!("{CLOSE_AFTER_WORKING_DAYS} hari kerja ke depan"));
        fill(
            &RESOLVED_TEMPLATE,
            &[
                ticket,
                &opd_name(complaint, content),
                note.unwrap_or("Tidak ada catatan tambahan."),
                &close,
            ],
            ticket,
        )
    } else {
        let explanation = match note {
            Some(note) => format!("{} {}: {note}", parts.meaning, parts.note_label),
            None => parts.meaning.clone(),
        };
        let next = match audience {
            // The hint is what lets the citizen read everything a cut parameter left out,
            // so the cut falls on the text before it.
            Audience::Reporter => {
                let hint = format!("Ketik CEK {ticket} untuk melihat riwayat lengkapnya.");
                let room = STATUS_NEXT_MAX.saturating_sub(hint.chars().count() + 1);
                format!("{} {hint}", template_param(&parts.next, room))
            }
            Audience::Follower => parts.next.clone(),
        };
        fill(
            &STATUS_TEMPLATE,
            &[ticket, label, &explanation, &next],
            ticket,
        )
    };
    Notice {
        reply,
        template,
        urgent: false,
    }
}

fn parts(
    complaint: &Complaint,
    event: &ComplaintEvent,
    content: &ContentBundle,
    audience: Audience,
) -> Parts {
    let reporter = audience == Audience::Reporter;
    let opd = opd_name(complaint, content);
    let from = event.from;
    // Dates describe the complaint as it is now; a notice for an older event (a late task)
    // would otherwise quote the deadline of a later state.
    let current = complaint.status == event.to;
    let due = if current {
        due_sentence(complaint)
    } else {
        String::new()
    };
    let keep_posted = "Kami akan mengabari Anda setiap ada perkembangan.";
    let your = if reporter { "Aduan Anda" } else { "Aduan ini" };
    let your_lower = if reporter { "aduan Anda" } else { "aduan ini" };

    if !event.changes_status() {
        return Parts {
            meaning: format!("Ada catatan baru dari petugas untuk {}.", your_lower),
            note_label: "Catatan petugas",
            next: format!("{keep_posted}{due}"),
        };
    }
    match event.to {
        Status::Diterima => Parts {
            meaning: format!("{your} sudah kami terima dan tercatat."),
            note_label: "Catatan",
            next: format!("Petugas Diskominfo akan memeriksa aduan ini.{due}"),
        },
        Status::Diverifikasi => Parts {
            meaning: match from {
                Some(Status::PerluDilengkapi) => format!(
                    "Informasi tambahan sudah kami terima. {your} kembali diperiksa petugas \
                     Diskominfo."
                ),
                Some(Status::Diteruskan) => format!(
                    "{your} dikembalikan ke Diskominfo untuk diteruskan ke perangkat daerah \
                     (OPD) yang lebih tepat."
                ),
                _ => {
                    format!("{your} sudah diperiksa petugas Diskominfo dan layak ditindaklanjuti.")
                }
            },
            note_label: "Catatan petugas",
            next: format!("Aduan akan diteruskan ke perangkat daerah (OPD) yang berwenang.{due}"),
        },
        Status::Diteruskan => Parts {
            meaning: match from {
                Some(Status::PerluDilengkapi) => {
                    format!("Informasi tambahan sudah kami terima. {your} kembali ditangani {opd}.")
                }
                _ => format!("{your} sudah diteruskan ke {opd} untuk ditindaklanjuti."),
            },
            note_label: "Catatan petugas",
            next: format!("{keep_posted}{due}"),
        },
        Status::Diproses => Parts {
            meaning: match from {
                Some(Status::DibukaKembali) => {
                    format!("{your} sedang ditangani kembali oleh {opd}.")
                }
                Some(Status::PerluDilengkapi) => format!(
                    "Informasi tambahan sudah kami terima. Penanganan {} dilanjutkan oleh \
                     {opd}.",
                    your_lower
                ),
                _ => format!("{your} sedang ditangani oleh {opd}."),
            },
            note_label: "Catatan petugas",
            next: format!("Kami akan mengabari Anda setelah penanganannya selesai.{due}"),
        },
        Status::PerluDilengkapi => {
            if reporter {
                let by = complaint
                    .deadlines
                    .complete_by_date
                    .filter(|_| current)
                    .map(|d| format!("paling lambat {}", calendar::format_date_id(d)))
                    .unwrap_or_else(|| format!("dalam {COMPLETE_WITHIN_WORKING_DAYS} hari kerja"));
                Parts {
                    meaning: "Petugas membutuhkan informasi tambahan agar aduan Anda dapat \
                              ditindaklanjuti."
                        .to_string(),
                    note_label: "Yang perlu dilengkapi",
                    next: format!(
                        "Balas pesan ini dengan informasi yang diminta (teks, foto atau \
                         lokasi) {by}. Tanpa jawaban sampai batas itu, aduan akan ditutup."
                    ),
                }
            } else {
                Parts {
                    meaning: "Petugas meminta informasi tambahan dari pelapor.".to_string(),
                    note_label: "Yang perlu dilengkapi",
                    next: format!("Aduan menunggu kelengkapan dari pelapor. {keep_posted}"),
                }
            }
        }
        Status::Ditolak => Parts {
            meaning: format!(
                "Mohon maaf, {} tidak dapat kami tindak lanjuti.",
                your_lower
            ),
            note_label: "Alasan",
            next: "Jika ada informasi baru, silakan buat aduan baru dengan keterangan yang \
                   lebih lengkap, atau ketik OPERATOR untuk bicara dengan petugas."
                .to_string(),
        },
        Status::BukanWewenang => Parts {
            meaning: format!(
                "{your} berada di luar kewenangan Pemerintah Kota Probolinggo, sehingga tidak \
                 dapat kami tindak lanjuti sendiri."
            ),
            note_label: "Instansi yang berwenang",
            next: "Silakan sampaikan aduan ke instansi yang disebutkan petugas. Anda juga \
                   dapat melapor melalui SP4N-LAPOR! (www.lapor.go.id)."
                .to_string(),
        },
        Status::Selesai => {
            let next = if reporter {
                let close = complaint
                    .deadlines
                    .close_by_date
                    .filter(|_| current)
                    .map(|d| format!("sampai {}", calendar::format_date_id(d)))
                    .unwrap_or_else(|| format!("dalam {CLOSE_AFTER_WORKING_DAYS} hari kerja"));
                format!(
                    "Apakah masalahnya sudah benar-benar selesai? Ketuk *{RESOLVED_TITLE}* \
                     atau *{UNRESOLVED_TITLE}*. Tanpa jawaban {close}, aduan akan ditutup \
                     otomatis."
                )
            } else {
                "Pelapor akan diminta memastikan apakah masalahnya sudah benar-benar \
                 selesai."
                    .to_string()
            };
            Parts {
                meaning: format!("{opd} menyatakan {} sudah selesai ditangani.", your_lower),
                note_label: "Hasil penanganan",
                next,
            }
        }
        Status::DibukaKembali => Parts {
            meaning: match event.actor.kind {
                ActorKind::Citizen => format!(
                    "{your} dibuka kembali karena masalahnya dinyatakan belum selesai, dan akan \
                     ditangani lagi oleh {opd}."
                ),
                _ => format!("Petugas membuka kembali {your_lower}; {opd} akan menanganinya lagi."),
            },
            note_label: "Catatan",
            next: format!("{keep_posted}{due}"),
        },
        Status::Ditutup => Parts {
            meaning: match (from, event.actor.kind) {
                (Some(Status::Selesai), ActorKind::Citizen) => {
                    format!("{your} sudah ditutup. Terima kasih atas tanggapan Anda.")
                }
                (Some(Status::Selesai), ActorKind::System) => format!(
                    "{your} ditutup otomatis karena tidak ada tanggapan dalam \
                     {CLOSE_AFTER_WORKING_DAYS} hari kerja setelah dinyatakan selesai."
                ),
                (Some(Status::PerluDilengkapi), ActorKind::System) => format!(
                    "{your} ditutup karena informasi tambahan yang diminta tidak kami terima \
                     dalam {COMPLETE_WITHIN_WORKING_DAYS} hari kerja."
                ),
                _ => format!("{your} sudah ditutup oleh petugas."),
            },
            note_label: "Catatan petugas",
            next: "Jika masalahnya muncul kembali, silakan buat aduan baru dan sebutkan \
                   nomor tiket ini."
                .to_string(),
        },
        Status::Dicabut => {
            if reporter {
                Parts {
                    meaning: "Aduan Anda sudah dicabut sesuai permintaan Anda.".to_string(),
                    note_label: "Catatan",
                    next: "Aduan ini tidak diproses lagi. Anda dapat membuat aduan baru kapan \
                           saja."
                        .to_string(),
                }
            } else {
                Parts {
                    meaning: "Pelapor mencabut aduan ini, sehingga aduan tidak diproses lagi."
                        .to_string(),
                    note_label: "Catatan",
                    next: "Jika masalahnya masih ada, Anda dapat membuat aduan sendiri melalui \
                           menu Buat Aduan."
                        .to_string(),
                }
            }
        }
    }
}

/// " Tanggapan paling lambat …." before the first answer, " Target penyelesaian: …."
/// after it; empty when the date is unknown or nothing is awaited from the city.
fn due_sentence(complaint: &Complaint) -> String {
    let d = &complaint.deadlines;
    match complaint.status {
        s if s.is_final() => String::new(),
        Status::PerluDilengkapi | Status::Selesai => String::new(),
        _ if d.responded_ms.is_none() => d
            .response_date
            .map(|date| {
                format!(
                    " Tanggapan paling lambat {}.",
                    calendar::format_date_id(date)
                )
            })
            .unwrap_or_default(),
        _ => d
            .resolution_date
            .map(|date| format!(" Target penyelesaian: {}.", calendar::format_date_id(date)))
            .unwrap_or_default(),
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

// ---------------------------------------------------------------------------------------------
// Names and anonymity
// ---------------------------------------------------------------------------------------------

fn category_name(complaint: &Complaint, content: &ContentBundle) -> String {
    content
        .category(&complaint.category_id)
        .map_or_else(|| complaint.category_id.clone(), |c| c.name.clone())
}

/// The OPD's full name, for citizens.
fn opd_name(complaint: &Complaint, content: &ContentBundle) -> String {
    content
        .opd(&complaint.opd_id)
        .map(|o| o.name.clone())
        .or_else(|| {
            content
                .category(&complaint.category_id)
                .map(|c| c.opd.clone())
                .filter(|name| !name.trim().is_empty())
        })
        .unwrap_or_else(|| "perangkat daerah (OPD) yang berwenang".to_string())
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
