//! The complaint form's and tracking's fixed texts and button ids (Bahasa Indonesia,
//! WhatsApp formatting).

use crate::domain::{
    calendar,
    complaint::{Complaint, Privacy, Status},
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
    let mut text = "📍 *Di mana lokasinya?*\n\
Ketuk *Kirim Lokasi* untuk membagikan titik lokasi, atau ketik alamatnya (nama jalan, RT/RW, \
kelurahan)."
        .to_string();
    if required {
        text.push_str("\n\n_Lokasi wajib untuk kategori ini agar petugas bisa menemukannya._");
    } else {
        text.push_str("\n\nTidak ada lokasi tertentu? Ketik *LEWATI*.");
    }
    text
}

pub const LOCATION_REQUIRED: &str =
    "Untuk kategori ini lokasi *wajib* diisi agar petugas bisa menemukannya.";

pub const LOCATION_TOO_SHORT: &str = "Alamatnya terlalu singkat. Ketik nama jalan dan \
kelurahan, atau ketuk *Kirim Lokasi*.";

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
            format(d.complete_by_date).map(|date| format!("Mohon lengkapi paling lambat {date}"))
        }
        Status::Selesai => None,
        _ if d.responded_ms.is_none() => {
            format(d.response_date).map(|date| format!("Tanggapan paling lambat {date}"))
        }
        _ => format(d.resolution_date).map(|date| format!("Target selesai {date}")),
    }
}

pub const COMPLETE_REQUEST_HINT: &str = "Petugas meminta informasi tambahan. Balas pesan ini \
dengan teks, foto atau lokasi: semuanya langsung kami lampirkan ke aduan Anda.";
