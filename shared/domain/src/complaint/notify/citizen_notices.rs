//! The citizens' notices: a status change told to the reporter or to a follower, the
//! request to send a photo again, the daily note while the first answer is late.

use super::{
    category_name, fill, template_param, Notice, PROGRESS_TEMPLATE, RESEND_PHOTO_TEMPLATE,
    RESOLVED_PREFIX, RESOLVED_TEMPLATE, RESOLVED_TITLE, STATUS_NEXT_MAX, STATUS_TEMPLATE,
    UNRESOLVED_PREFIX, UNRESOLVED_TITLE,
};
use crate::channel::limits;
use crate::complaint::{
    model::{ActorKind, Complaint, ComplaintEvent, Status},
    schedule::{CLOSE_AFTER_WORKING_DAYS, COMPLETE_WITHIN_WORKING_DAYS},
};
use crate::{
    calendar,
    content::ContentBundle,
    dialog::reply::{self, truncate_chars, Reply},
};

/// A public note is at most 1000 characters (lifecycle); this only guards the text limit.
const NOTE_MAX_IN_TEXT: usize = 2000;

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
