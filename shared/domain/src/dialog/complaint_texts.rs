//! The complaint form's and tracking's fixed texts and button ids (Bahasa Indonesia,
//! WhatsApp formatting).

use super::reply::{buttons, truncate_chars, Reply};
use crate::channel::{limits, ListMessage, ListRow, ListSection};
use crate::{
    calendar,
    complaint::{duplicates, rating, Complaint, Privacy, Status},
};

/// Button and row ids of the complaint form. All start with [`PREFIX`], which no content id
/// uses, so they route from any state like the engine's other ids.
pub mod ids {
    pub const PREFIX: &str = "aduan:";
    pub const CONSENT_YES: &str = "aduan:setuju";
    pub const CONSENT_NO: &str = "aduan:tolak";
    pub const CATEGORY_OK: &str = "aduan:kategori-ok";
    pub const CATEGORY_OTHER: &str = "aduan:kategori-lain";
    pub const SKIP_LOCATION: &str = "aduan:lewati-lokasi";
    pub const PHOTOS_DONE: &str = "aduan:foto-selesai";
    pub const PRIVACY_BIASA: &str = "aduan:privasi:biasa";
    pub const PRIVACY_ANONIM: &str = "aduan:privasi:anonim";
    pub const PRIVACY_RAHASIA: &str = "aduan:privasi:rahasia";
    pub const SUBMIT: &str = "aduan:kirim";
    pub const EDIT: &str = "aduan:ubah";
    pub const EDIT_CATEGORY: &str = "aduan:ubah:kategori";
    pub const EDIT_DESCRIPTION: &str = "aduan:ubah:uraian";
    pub const EDIT_LOCATION: &str = "aduan:ubah:lokasi";
    pub const EDIT_PHOTOS: &str = "aduan:ubah:foto";
    pub const EDIT_PRIVACY: &str = "aduan:ubah:privasi";
    pub const RESUME: &str = "aduan:lanjut";
    /// `aduan:cabut:PS-XXXXXX`: confirms a withdrawal.
    pub const WITHDRAW_PREFIX: &str = "aduan:cabut:";
    pub const KEEP: &str = "aduan:jangan-cabut";
    /// `aduan:cek:PS-XXXXXX`: a row of the citizen's complaint list.
    pub const TRACK_PREFIX: &str = "aduan:cek:";
    pub const TRACK_LIST: &str = "aduan:daftar";
    /// `aduan:sudah:PS-XXXXXX`: the citizen says a `selesai` complaint is solved (asks for
    /// the rating). On the `selesai` notification and in the timeline.
    pub const SOLVED_PREFIX: &str = "aduan:sudah:";
    /// `aduan:belum:PS-XXXXXX`: not solved: reopens it.
    pub const UNSOLVED_PREFIX: &str = "aduan:belum:";
    /// `aduan:nilai:PS-XXXXXX:4`: a row of the rating list.
    pub const SCORE_PREFIX: &str = "aduan:nilai:";
    /// `aduan:ikut:PS-NEW`: follow the complaint the new one duplicates ("ikut melapor").
    pub const FOLLOW_PREFIX: &str = "aduan:ikut:";
    /// `aduan:pisah:PS-NEW`: keep the new complaint separate.
    pub const SEPARATE_PREFIX: &str = "aduan:pisah:";
}

/// Button titles (≤ 20 characters).
pub mod titles {
    pub const CONSENT_YES: &str = "Setuju";
    pub const CONSENT_NO: &str = "Tidak Setuju";
    pub const CATEGORY_OK: &str = "Ya, benar";
    pub const CATEGORY_OTHER: &str = "Pilih kategori lain";
    pub const SKIP_PHOTOS: &str = "Tanpa foto";
    pub const PHOTOS_DONE: &str = "Selesai kirim foto";
    pub const SKIP_LOCATION: &str = "Tanpa lokasi";
    pub const BIASA: &str = "Biasa";
    pub const ANONIM: &str = "Anonim";
    pub const RAHASIA: &str = "Rahasia";
    pub const SUBMIT: &str = "Kirim";
    pub const EDIT: &str = "Ubah";
    pub const CANCEL: &str = "Batal";
    pub const RESUME: &str = "Lanjutkan Aduan";
    pub const WITHDRAW: &str = "Ya, cabut aduan";
    pub const KEEP: &str = "Tidak";
    pub const MY_COMPLAINTS: &str = "Daftar Aduan Saya";
    pub const SOLVED: &str = "Sudah selesai";
    pub const UNSOLVED: &str = "Belum selesai";
    pub const FOLLOW: &str = "Ikut melapor";
    pub const SEPARATE: &str = "Tetap terpisah";
    pub const SHOW_FOLLOWED: &str = "Lihat Perkembangan";
    /// The button of a location request. WhatsApp draws it, in the language of the citizen's
    /// app (Indonesian: "Kirim lokasi"); the bot can only name it, so a text telling the
    /// citizen what to tap uses this exact label (the simulator draws the same).
    pub const SEND_LOCATION: &str = "Kirim lokasi";
}

/// Shortest description accepted (characters, and words).
pub const DESCRIPTION_MIN_CHARS: usize = 20;
pub const DESCRIPTION_MIN_WORDS: usize = 3;
/// Longest description accepted; longer ones are refused, never cut silently.
pub const DESCRIPTION_MAX_CHARS: usize = 2000;
pub const TYPED_LOCATION_MIN_CHARS: usize = 5;
pub const TYPED_LOCATION_MAX_CHARS: usize = 300;
/// Photos the form takes.
pub const FORM_MAX_PHOTOS: usize = 3;
/// Messages sent this long after answering `perlu_dilengkapi` still join that ticket.
pub const ATTACH_WINDOW_MS: i64 = 15 * 60_000;

pub fn privacy_notice(retention_days: i64) -> String {
    format!(
        "🔒 *Sebelum membuat aduan*\n\n\
Untuk menindaklanjuti aduan, kami mencatat *nomor WhatsApp*, *nama profil*, *isi aduan*, \
*foto* dan *lokasi* yang Anda kirim.\n\n\
• *Untuk apa:* meneruskan aduan ke perangkat daerah (OPD) yang berwenang dan mengabari Anda \
perkembangannya.\n\
• *Siapa yang melihat:* petugas Diskominfo dan OPD yang menangani. Anda bisa memilih \
*Anonim* (identitas disembunyikan dari OPD) atau *Rahasia*.\n\
• *Berapa lama:* riwayat percakapan {retention_days} hari; aduan disimpan sebagai arsip \
pelayanan publik sesuai ketentuan, lalu dihapus.\n\n\
Dasar: UU No. 27 Tahun 2022 tentang Pelindungan Data Pribadi. Anda bisa meminta salinan atau \
penghapusan data lewat petugas.\n\n\
Apakah Anda setuju?"
    )
}

pub const CONSENT_THANKS: &str = "Terima kasih, persetujuan Anda sudah dicatat. ✅";

pub const CONSENT_DECLINED: &str = "Baik, tidak apa-apa. Aduan tidak kami buat dan tidak ada \
data aduan yang disimpan. 🙏\n\n\
Anda tetap bisa bertanya apa saja, atau menyampaikan aduan lewat *SP4N-LAPOR!* \
(www.lapor.go.id). Ketik *MENU* untuk melihat pilihan.";

pub const CONSENT_REASK: &str = "Mohon ketuk *Setuju* atau *Tidak Setuju* terlebih dahulu.";

pub const CATEGORY_HINT: &str = "Pilih *kategori* aduan dari daftar berikut.";

pub fn confirm_category(name: &str, description: &str) -> String {
    format!("📝 Aduan Anda tentang *{name}*?\n_{description}_")
}

pub const DESCRIPTION_ASK: &str = "✍️ *Ceritakan masalahnya.*\n\
Apa yang terjadi, sejak kapan, dan seberapa parah? Tulis dalam satu pesan (minimal \
20 karakter).\n\n\
_Jangan cantumkan NIK atau data pribadi orang lain._";

pub const DESCRIPTION_TOO_SHORT: &str = "Uraiannya masih terlalu singkat. Mohon ceritakan lebih \
lengkap (minimal 20 karakter), misalnya: _Lampu jalan di depan SDN 3 mati sejak 3 hari, \
jalan jadi gelap._";

pub fn description_too_long(chars: usize) -> String {
    format!(
        "Uraiannya terlalu panjang ({chars} karakter; maksimal {DESCRIPTION_MAX_CHARS}). Mohon \
         ringkas lalu kirim ulang."
    )
}

pub fn location_ask(required: bool) -> String {
    let mut text = format!(
        "📍 *Di mana lokasinya?*\n\
Ketuk *{}* untuk membagikan titik lokasi, atau ketik alamatnya (nama jalan, RT/RW, \
kelurahan).",
        titles::SEND_LOCATION
    );
    if required {
        text.push_str("\n\n_Lokasi wajib untuk kategori ini agar petugas bisa menemukannya._");
    } else {
        text.push_str("\n\nTidak ada lokasi tertentu? Ketik *LEWATI*.");
    }
    text
}

pub const LOCATION_REQUIRED: &str =
    "Untuk kategori ini lokasi *wajib* diisi agar petugas bisa menemukannya.";

/// Names [`titles::SEND_LOCATION`] (a test holds the two together).
pub const LOCATION_TOO_SHORT: &str = "Alamatnya terlalu singkat. Ketik nama jalan dan \
kelurahan, atau ketuk *Kirim lokasi*.";

pub fn photos_ask(received: usize) -> String {
    if received == 0 {
        format!(
            "📷 *Ada foto?* Kirim hingga {FORM_MAX_PHOTOS} foto kondisi di lapangan (tidak wajib).\n\
             Tidak ada foto? Ketuk *{}*.",
            titles::SKIP_PHOTOS
        )
    } else {
        format!(
            "📷 {received} dari {FORM_MAX_PHOTOS} foto diterima. Kirim foto lain, atau ketuk *{}*.",
            titles::PHOTOS_DONE
        )
    }
}

pub const DESCRIPTION_EXTENDED: &str = "Keterangan Anda sudah kami tambahkan ke uraian aduan.";

pub const PHOTOS_FULL: &str = "Sudah 3 foto: foto berikutnya tidak kami lampirkan.";

pub const ONLY_PHOTOS: &str =
    "Maaf, aduan hanya bisa dilampiri *foto*. Video atau dokumen belum bisa kami terima.";

pub const PRIVACY_ASK: &str = "🙈 *Identitas pelapor*\n\
• *Biasa*: nama dan nomor Anda terlihat oleh petugas yang menangani.\n\
• *Anonim*: identitas Anda disembunyikan dari OPD yang menangani.\n\
• *Rahasia*: seperti anonim, dan aduan tidak ditampilkan ke publik.\n\n\
Pilih salah satu.";

pub const SUMMARY_QUESTION: &str = "Kirim aduan ini?";

pub const EDIT_ASK: &str = "Bagian mana yang ingin diubah?";

pub const FORM_CONTINUES: &str = "📝 Melanjutkan aduan Anda yang belum terkirim.";

pub const FORM_SUSPENDED: &str = "_Pengisian aduan Anda kami simpan. Ketuk *Buat Aduan* di \
menu untuk melanjutkannya, atau ketik *BATAL* untuk menghapusnya._";

pub const EMERGENCY_FORM_SUSPENDED: &str = "_Pengisian aduan Anda kami tunda. Setelah keadaan \
aman, ketuk *Buat Aduan* di menu untuk melanjutkannya._";

/// Longest photo caption quoted in the summary, in characters.
pub const SUMMARY_CAPTION_MAX: usize = 100;

/// What the summary says about the photos: their number, then each caption on its own line.
/// A caption is the citizen's own text: it is made plain ([`plain_line`]) so that a stray
/// `*` or `_` cannot turn the rest of the summary bold or italic.
pub fn summary_photos(captions: &[Option<&str>]) -> String {
    if captions.is_empty() {
        return "tanpa foto".to_string();
    }
    let mut text = format!("{} foto", captions.len());
    for caption in captions.iter().flatten() {
        let plain = plain_line(caption, SUMMARY_CAPTION_MAX);
        if !plain.is_empty() {
            text.push_str(&format!("\n   • “{plain}”"));
        }
    }
    text
}

/// `text` on one line without WhatsApp's formatting markers (`*`, `_`, `~`, `` ` ``) or
/// control characters, whitespace collapsed, cut to `max` characters with "…".
pub fn plain_line(text: &str, max: usize) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(|c| !matches!(c, '*' | '_' | '~' | '`'))
        .collect();
    let line = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    truncate_chars(&line, max)
}

/// What the summary says about the category: name, OPD and the expected handling time.
pub fn summary(
    category: &str,
    description: &str,
    location: &str,
    photos: &str,
    privacy: Privacy,
) -> String {
    format!(
        "📋 *Ringkasan aduan*\n\n\
*Kategori:* {category}\n\
*Uraian:* {description}\n\
*Lokasi:* {location}\n\
*Foto:* {photos}\n\
*Identitas:* {}",
        privacy.label()
    )
}

pub fn submitted(ticket: &str, opd: &str, response_date: &str, privacy: Privacy) -> String {
    let privacy_line = match privacy {
        Privacy::Biasa => String::new(),
        Privacy::Anonim => "\nIdentitas Anda *disembunyikan* dari OPD yang menangani.".to_string(),
        Privacy::Rahasia => {
            "\nAduan ini *rahasia*: identitas disembunyikan dan tidak ditampilkan ke publik."
                .to_string()
        }
    };
    format!(
        "✅ *Aduan Anda sudah kami terima.*\n\n\
Nomor tiket: *{ticket}*\n\
Diteruskan ke: {opd}\n\
Tanggapan paling lambat: *{response_date}*{privacy_line}\n\n\
Simpan nomor tiket ini. Ketik *CEK {ticket}* untuk melihat perkembangannya; kami juga akan \
mengabari Anda setiap ada perubahan."
    )
}

pub const TICKET_NOT_FOUND: &str = "🔎 Tiket tidak ditemukan.\n\n\
Periksa kembali nomornya (contoh: *PS-7K3QX9*). Status aduan hanya bisa dilihat dari nomor \
WhatsApp yang mengirim aduan tersebut. Ketik *CEK ADUAN* untuk melihat daftar aduan Anda.";

pub const NO_COMPLAINTS: &str = "Anda belum pernah mengirim aduan lewat PROLINK SAKTI.\n\n\
Ingin melaporkan masalah? Ketuk *Buat Aduan*.";

pub fn withdraw_confirm(ticket: &str) -> String {
    format!("Yakin ingin *mencabut* aduan *{ticket}*? Aduan yang dicabut tidak diproses lagi.")
}

pub fn withdrawn(ticket: &str) -> String {
    format!(
        "Aduan *{ticket}* sudah *dicabut*. Terima kasih sudah mengabari kami. 🙏\n\n\
         Ketik *MENU* untuk melihat pilihan lain."
    )
}

pub fn withdraw_refused_followed(ticket: &str) -> String {
    format!(
        "Aduan *{ticket}* tidak bisa dicabut karena sudah diikuti warga lain yang melaporkan \
         masalah yang sama. Bila masalahnya sudah beres, sampaikan ke petugas: ketik *OPERATOR*."
    )
}

pub fn withdraw_refused(ticket: &str, status: Status) -> String {
    format!(
        "Aduan *{ticket}* tidak bisa dicabut lagi karena berstatus *{}*. Aduan hanya bisa \
         dicabut sebelum mulai diproses.\n\nPerlu bantuan? Ketik *OPERATOR*.",
        status.label()
    )
}

pub const WITHDRAW_KEPT: &str = "Baik, aduan Anda tetap kami proses. 👍";

pub fn info_attached(ticket: &str, resumed: bool) -> String {
    if resumed {
        format!(
            "📎 Terima kasih. Informasi tambahan Anda sudah kami lampirkan ke aduan *{ticket}*, \
             dan aduan ini kembali ditangani petugas.\n\n\
             Masih ada yang ingin ditambahkan? Kirim dalam beberapa menit ke depan (teks, foto \
             atau lokasi)."
        )
    } else {
        format!("📎 Sudah kami lampirkan juga ke aduan *{ticket}*.")
    }
}

pub fn info_refused(ticket: &str) -> String {
    format!(
        "Maaf, informasi tambahan tidak bisa dilampirkan ke aduan *{ticket}* saat ini. \
         Ketik *OPERATOR* agar dibantu petugas."
    )
}

/// One line of the citizen's complaint list.
pub fn list_line(complaint: &Complaint, category: &str) -> String {
    let next = next_deadline_text(complaint)
        .map(|t| format!("\n   {t}"))
        .unwrap_or_default();
    format!(
        "• *{}* – {category}\n   Status: *{}*{next}",
        complaint.ticket,
        complaint.status.label()
    )
}

/// The deadline the citizen is waiting for, in words.
pub fn next_deadline_text(complaint: &Complaint) -> Option<String> {
    let d = &complaint.deadlines;
    let format = |date: Option<chrono::NaiveDate>| date.map(calendar::format_date_id);
    match complaint.status {
        s if s.is_final() => None,
        Status::PerluDilengkapi => {
            format(d.complete_by_date).map(|date| format!("Mohon lengkapi paling lambat: {date}"))
        }
        Status::Selesai => None,
        _ if d.responded_ms.is_none() => {
            format(d.response_date).map(|date| format!("Tanggapan paling lambat: {date}"))
        }
        _ => format(d.resolution_date).map(|date| format!("Target selesai: {date}")),
    }
}

pub const COMPLETE_REQUEST_HINT: &str = "Petugas meminta informasi tambahan. Balas pesan ini \
dengan teks, foto atau lokasi: semuanya langsung kami lampirkan ke aduan Anda.";

// ---------------------------------------------------------------------------------------------
// Rating and reopening (after `selesai`)
// ---------------------------------------------------------------------------------------------

/// What each score means, 1 to 5.
pub const SCORE_LABELS: [&str; 5] = ["Sangat buruk", "Buruk", "Cukup", "Baik", "Sangat baik"];

/// The rating list: rows ⭐ … ⭐⭐⭐⭐⭐ (`aduan:nilai:TICKET:N`).
pub fn rating_ask(ticket: &str) -> Reply {
    let rows = (rating::MIN_SCORE..=rating::MAX_SCORE)
        .zip(SCORE_LABELS)
        .map(|(score, label)| ListRow {
            id: format!("{}{ticket}:{score}", ids::SCORE_PREFIX),
            title: "⭐".repeat(usize::from(score)),
            description: Some(format!("{score} – {label}")),
        })
        .collect();
    Reply::List(ListMessage {
        header: None,
        body: format!(
            "⭐ *Penilaian aduan {ticket}*\n\n\
             Terima kasih sudah mengonfirmasi. Seberapa puas Anda dengan penanganan aduan ini? \
             Pilih 1 bintang (sangat buruk) sampai 5 bintang (sangat baik)."
        ),
        footer: None,
        button: "Beri Nilai".to_string(),
        sections: vec![ListSection {
            title: Some("Nilai".to_string()),
            rows,
        }],
    })
}

pub const SCORE_INVALID: &str = "Nilai harus 1 sampai 5 bintang. Silakan pilih dari daftar.";

pub fn rated(ticket: &str, score: u8, invite_comment: bool) -> String {
    let stars = "⭐".repeat(usize::from(score.min(rating::MAX_SCORE)));
    let mut text = format!(
        "🙏 Terima kasih atas penilaian Anda ({stars} {score}/{}). Aduan *{ticket}* kami \
         tutup.",
        rating::MAX_SCORE
    );
    if invite_comment {
        text.push_str(
            "\n\nIngin menambahkan komentar atau saran? Tulis dalam *satu pesan* dalam 15 menit \
             ke depan (tidak wajib).",
        );
    }
    text
}

pub const COMMENT_THANKS: &str = "📝 Terima kasih, komentar Anda sudah kami catat. Masukan Anda \
membantu kami memperbaiki layanan.";

pub const COMMENT_SKIPPED: &str = "Baik, terima kasih. 🙏";

pub fn comment_too_long(chars: usize) -> String {
    format!(
        "Komentarnya terlalu panjang ({chars} karakter; maksimal {}). Mohon ringkas lalu kirim \
         ulang.",
        rating::COMMENT_MAX_CHARS
    )
}

/// Why *Sudah* / a rating / *Belum* does not apply to the complaint as it stands.
pub fn answer_unavailable(complaint: &Complaint) -> String {
    let ticket = &complaint.ticket;
    match (complaint.status, &complaint.rating) {
        (Status::Ditutup, Some(rating)) => format!(
            "Aduan *{ticket}* sudah Anda nilai ({}/{}) dan sudah ditutup. Terima kasih! 🙏\n\n\
             Bila masalahnya muncul lagi, silakan buat aduan baru.",
            rating.score,
            rating::MAX_SCORE
        ),
        (Status::DibukaKembali, _) => format!(
            "Aduan *{ticket}* sudah *dibuka kembali* dan sedang ditangani lagi oleh petugas. \
             Kami akan mengabari Anda bila sudah selesai."
        ),
        (status, _) if status.is_final() => format!(
            "Aduan *{ticket}* sudah berstatus *{}*, jadi tidak bisa dinilai atau dibuka \
             kembali. Bila masalahnya masih ada, silakan buat aduan baru.",
            status.label()
        ),
        (status, _) => format!(
            "Aduan *{ticket}* belum selesai ditangani (status: *{}*). Anda bisa memberi \
             penilaian setelah petugas menyatakannya selesai.",
            status.label()
        ),
    }
}

pub fn reopened(ticket: &str) -> String {
    format!(
        "🔁 Aduan *{ticket}* kami *buka kembali* dan petugas OPD sudah kami kabari.\n\n\
         Apa yang masih belum beres? Ceritakan, atau kirim foto/lokasi, dalam 15 menit ke depan: \
         semuanya langsung kami lampirkan ke aduan ini."
    )
}

// ---------------------------------------------------------------------------------------------
// Possible duplicates ("ikut melapor")
// ---------------------------------------------------------------------------------------------

/// Sent by the complaint worker after a submission it linked to `original` (`new.duplicate_of`):
/// *Ikut melapor* (`aduan:ikut:NEW`) or *Tetap terpisah* (`aduan:pisah:NEW`). `original` is
/// usually another citizen's complaint: only its ticket, status, kelurahan, distance and date
/// are shown — never its description, reporter, photos or typed address.
pub fn duplicate_offer(new: &Complaint, original: &Complaint, category_name: &str) -> Reply {
    let who = if new.citizen_key == original.citizen_key {
        "pernah Anda laporkan"
    } else {
        "sudah dilaporkan warga lain"
    };
    let date = calendar::format_date_id(calendar::wib_date(original.received_ms));
    let body = format!(
        "🔁 *Aduan serupa sedang ditangani*\n\n\
         Aduan Anda *{}* ({category_name}) tampaknya sama dengan aduan yang {who}:\n\n\
         • Tiket: *{}*\n\
         • Status: *{}*\n\
         • Lokasi: {}\n\
         • Dilaporkan: {date}\n\n\
         Pilih *{}* untuk menggabungkan aduan Anda ke tiket tersebut: Anda akan menerima kabar \
         setiap perkembangannya. Pilih *{}* bila masalahnya berbeda.",
        new.ticket,
        original.ticket,
        original.status.label(),
        place_hint(new, original),
        titles::FOLLOW,
        titles::SEPARATE,
    );
    let follow = format!("{}{}", ids::FOLLOW_PREFIX, new.ticket);
    let separate = format!("{}{}", ids::SEPARATE_PREFIX, new.ticket);
    buttons(
        truncate_chars(&body, limits::BUTTONS_BODY),
        &[
            (follow.as_str(), titles::FOLLOW),
            (separate.as_str(), titles::SEPARATE),
        ],
    )
}

/// Where the original is, without its reporter's words: the kelurahan (from the gazetteer)
/// and the distance between the two pins.
fn place_hint(new: &Complaint, original: &Complaint) -> String {
    let Some(there) = original.location.as_ref() else {
        return "di sekitar lokasi Anda".to_string();
    };
    let kelurahan =
        duplicates::kelurahan_of(there).map(|k| format!("Kel. {}", duplicates::kelurahan_label(k)));
    let distance = new
        .location
        .as_ref()
        .and_then(|here| duplicates::pin_distance_m(here, there))
        .filter(|m| m.is_finite())
        .map(|m| {
            // Rounded to 10 m: pins are not more precise than that.
            let rounded = ((m / 10.0).round() * 10.0).max(10.0);
            format!("± {rounded:.0} m dari titik lokasi Anda")
        });
    match (kelurahan, distance) {
        (Some(k), Some(d)) => format!("{k}, {d}"),
        (Some(k), None) => k,
        (None, Some(d)) => d,
        (None, None) => "di sekitar lokasi Anda".to_string(),
    }
}

/// The public note of the new complaint when it joins the original.
pub fn merged_note(original: &str) -> String {
    format!("Digabung ke {original}: pelapor memilih ikut melapor.")
}

pub fn following(new: &str, original: &str, own_original: bool) -> String {
    if own_original {
        format!(
            "🤝 Aduan *{new}* kami gabungkan ke aduan Anda sebelumnya, *{original}*. Kami akan \
             mengabari Anda setiap ada perkembangan.\n\n\
             Ketik *CEK {original}* untuk melihat statusnya."
        )
    } else {
        format!(
            "🤝 Anda sekarang *ikut melapor* pada aduan *{original}*. Aduan Anda *{new}* kami \
             gabungkan ke sana, dan kami akan mengabari Anda setiap ada perkembangan.\n\n\
             Ketik *CEK {original}* untuk melihat statusnya."
        )
    }
}

pub fn follow_refused(new: &str, original: &str, status: Status) -> String {
    format!(
        "Aduan *{original}* sudah berstatus *{}*, jadi tidak bisa diikuti lagi. Aduan Anda \
         *{new}* tetap kami proses tersendiri.",
        status.label()
    )
}

pub fn follow_unavailable(new: &str) -> String {
    format!(
        "Maaf, penggabungan aduan tidak bisa dilakukan saat ini. Aduan Anda *{new}* tetap kami \
         proses tersendiri. Ketik *OPERATOR* bila perlu bantuan petugas."
    )
}

pub fn merge_refused(new: &str, status: Status) -> String {
    format!(
        "Aduan *{new}* berstatus *{}*, jadi tidak bisa digabungkan lagi. Ketik *CEK {new}* \
         untuk melihat perkembangannya.",
        status.label()
    )
}

pub fn not_linked(new: &str) -> String {
    format!("Aduan *{new}* tidak terhubung dengan aduan lain; aduan Anda tetap kami proses.")
}

pub fn kept_separate(new: &str) -> String {
    format!(
        "Baik, aduan *{new}* tetap kami proses *tersendiri*. Ketik *CEK {new}* untuk melihat \
         perkembangannya."
    )
}

/// Shown to a follower in the timeline of the complaint they follow.
pub const FOLLOWER_NOTE: &str = "_Anda ikut melapor pada aduan ini: kami mengabari Anda setiap \
ada perkembangan._";

#[cfg(test)]
mod tests {
    use super::*;

    /// A text that says what to tap names the button exactly as WhatsApp draws it.
    #[test]
    fn location_texts_name_the_location_button_as_drawn() {
        let tap = format!("*{}*", titles::SEND_LOCATION);
        for text in [
            location_ask(true),
            location_ask(false),
            LOCATION_TOO_SHORT.into(),
        ] {
            assert!(text.contains(&tap), "{text}");
        }
    }

    #[test]
    fn captions_are_quoted_plain_on_one_line() {
        assert_eq!(summary_photos(&[]), "tanpa foto");
        assert_eq!(summary_photos(&[None, None]), "2 foto");
        let cases = [
            (
                "Tiang *miring* di _ujung_ gang",
                "Tiang miring di ujung gang",
            ),
            ("baris satu\nbaris   dua\t", "baris satu baris dua"),
            ("```kode``` ~coret~", "kode coret"),
            ("*_~`", ""),
        ];
        for (caption, plain) in cases {
            assert_eq!(plain_line(caption, SUMMARY_CAPTION_MAX), plain);
        }
        let text = summary_photos(&[Some("Tiang *miring*"), None, Some("  ")]);
        assert_eq!(text, "3 foto\n   • “Tiang miring”");
        let long = "kata ".repeat(60);
        let quoted = summary_photos(&[Some(&long)]);
        let line = quoted.lines().nth(1).expect("caption line");
        assert!(line.chars().count() <= SUMMARY_CAPTION_MAX + 7, "{line}");
        assert!(line.ends_with("…”"), "{line}");
    }
}
