//! Every fixed text the dialog sends (Bahasa Indonesia, WhatsApp formatting), and the ids
//! and titles of the engine's own buttons.

/// Ids of the engine's buttons and extra list rows. Like content row ids they are routable
/// at any time, whatever the session state.
pub mod ids {
    pub const MENU: &str = "btn:menu";
    pub const OPERATOR: &str = "btn:petugas";
    pub const DONE: &str = "btn:selesai";
    pub const TOPICS: &str = "btn:topik";
    pub const COMPLAINT: &str = "btn:aduan";
    pub const CANCEL: &str = "btn:batal";
}

/// Button titles (≤ 20 characters).
pub mod titles {
    pub const MENU: &str = "Menu Utama";
    pub const OPERATOR: &str = "Bicara ke Petugas";
    pub const DONE: &str = "Selesai";
    pub const TOPICS: &str = "Pilih Topik Lagi";
    pub const COMPLAINT: &str = "Buat Aduan";
    pub const BACK_TO_BOT: &str = "Kembali ke Bot";
    /// List rows allow 24 characters: the menu's own wording.
    pub const OPERATOR_ROW: &str = "Bicara dengan Petugas";
}

pub const EMERGENCY_HEAD: &str = "🚨 *Keadaan darurat? Segera telepon 112.*\n\
Gratis, 24 jam, bisa dari HP tanpa pulsa. Jangan menunggu balasan chat ini: petugas 112 \
Kota Probolinggo akan mengirim bantuan (pemadam kebakaran, ambulans, polisi, BPBD).";

pub const EMERGENCY_FLOW_STOPPED: &str =
    "_Proses yang sedang berjalan kami hentikan. Setelah keadaan aman, ketik *MENU* untuk \
     melanjutkan._";

pub const HELP: &str = "ℹ️ *Panduan PROLINK SAKTI*\n\n\
Tulis saja pertanyaan Anda, misalnya _syarat KTP-el baru_ atau _cara bayar PBB_.\n\n\
*Perintah yang bisa diketik kapan saja:*\n\
• *MENU* – menu utama\n\
• *BATAL* – batalkan proses yang sedang berjalan\n\
• *OPERATOR* atau *PETUGAS* – bicara dengan petugas\n\
• *MULAI* – pilih topik Langganan Info\n\
• *STOP* atau *BERHENTI* – berhenti menerima siaran info\n\
• *HAPUS DATA SAYA* – minta data Anda dihapus\n\
• *BANTUAN* – panduan ini\n\n\
Anda juga bisa mengirim *foto* atau *lokasi* untuk membuat aduan.\n\n\
⚠️ Keadaan darurat? Telepon *112* (gratis, 24 jam).";

pub const STOP_DONE: &str = "✅ Anda sudah *berhenti* menerima siaran info dari PROLINK SAKTI.\n\n\
Notifikasi aduan Anda tetap kami kirim, dan Anda tetap bisa bertanya atau menyampaikan \
aduan kapan saja.\n\n\
Ingin berlangganan lagi? Ketik *MULAI*.";

pub const CANCEL_NOTHING: &str =
    "Tidak ada proses yang sedang berjalan. Ketik *MENU* untuk melihat pilihan, atau tulis \
     pertanyaan Anda.";

pub const CANCEL_COMPLAINT: &str =
    "Pengisian aduan *dibatalkan*. Data aduan yang belum dikirim sudah kami hapus.\n\n\
     Ketik *MENU* untuk melihat pilihan lain.";

pub const HANDOFF_ENDED_BY_CITIZEN: &str =
    "Baik, percakapan dengan petugas kami akhiri. Anda kembali dilayani bot PROLINK SAKTI.";

pub const HANDOFF_LAPSED: &str = "⏱️ Sesi *bicara dengan petugas* sudah berakhir karena \
melewati 24 jam. Pesan Anda selama sesi itu tetap tercatat untuk ditindaklanjuti petugas.\n\n\
Sekarang Anda kembali dilayani bot. Ketik *OPERATOR* bila masih memerlukan petugas.";

pub const HANDED_BACK: &str = "Petugas telah menyelesaikan percakapan ini. Terima kasih! 🙏\n\n\
Anda kembali dilayani bot PROLINK SAKTI: tulis pertanyaan Anda atau ketik *MENU*.";

/// The answer to `HAPUS DATA SAYA` (UU 27/2022 Pelindungan Data Pribadi).
pub const ERASURE_REQUESTED: &str = "🗂️ *Permintaan penghapusan data diterima*\n\n\
Terima kasih. Permintaan Anda untuk menghapus data pribadi Anda di PROLINK SAKTI sudah kami \
catat. Admin kami akan memeriksa dan mengonfirmasinya.\n\n\
Setelah dihapus, nama, nomor WhatsApp, riwayat percakapan, dan foto Anda tidak disimpan lagi. \
Aduan yang sudah Anda kirim tetap ditangani OPD tanpa identitas Anda, dan kami tidak akan \
mengirim pesan lagi ke nomor ini.\n\n\
Jika ini tidak sengaja, abaikan saja pesan ini atau ketik *OPERATOR* untuk bicara dengan \
petugas.";

pub const FALLBACK: &str = "Maaf, kami belum menemukan jawaban untuk pesan Anda. 🙏\n\n\
Coba tulis dengan kata lain (misalnya _syarat KTP-el baru_ atau _jadwal SPMB_), buka \
*Menu Utama*, atau bicara dengan petugas kami.";

pub const SUGGEST_HEADER: &str = "Apakah maksud Anda…";
pub const SUGGEST_BODY: &str = "Maaf, kami belum yakin dengan maksud pesan Anda. Apakah salah \
satu dari pilihan ini? Ketuk untuk melihat jawabannya.";
pub const SUGGEST_FOOTER: &str = "Bukan? Tulis dengan kata lain";
pub const SUGGEST_BUTTON: &str = "Lihat Pilihan";
pub const SUGGEST_SECTION: &str = "Mungkin maksud Anda";

pub const SMALL_TALK: &str = "🙂 Ada yang bisa kami bantu? Tulis pertanyaan Anda, atau ketik \
*MENU* untuk melihat pilihan.";

pub const THANKS: &str = "Sama-sama 🙏 Senang bisa membantu. Ketik *MENU* bila ada hal lain \
yang ingin ditanyakan.";

pub const STALE_CHOICE: &str = "Maaf, pilihan itu sudah tidak tersedia. Silakan pilih lagi dari \
menu terbaru di bawah.";

pub const EMPTY_LIST: &str = "Maaf, belum ada informasi untuk pilihan ini. Silakan tulis \
pertanyaan Anda, atau pilih menu lain.";

pub const UNDERSTOOD: &str = "PROLINK SAKTI memahami *pesan teks* (tulis saja pertanyaan \
Anda), *pilihan menu*, serta *foto* dan *lokasi* untuk aduan.\n\n\
Ketik *MENU* untuk melihat pilihan, atau *BANTUAN* untuk daftar perintah.";

pub const MEDIA_OFFER: &str = "Ingin melaporkan masalah (misalnya jalan rusak, lampu jalan \
mati, atau sampah menumpuk)? Tekan *Buat Aduan*.\n\n\
⚠️ Ada ancaman terhadap nyawa atau keselamatan? Telepon *112*.";

pub const SUBSCRIPTION_EMPTY: &str = "Maaf, belum ada topik Langganan Info yang bisa dipilih. \
Silakan coba lagi nanti.";

/// Card parts beyond this many messages are replaced by [`card_too_long`].
pub const MAX_CARD_MESSAGES: usize = 3;

pub fn greeting(name: Option<&str>) -> String {
    match name {
        Some(name) => format!("Halo, {name}! 👋"),
        None => "Halo! 👋".to_string(),
    }
}

pub fn handoff_office_hours() -> String {
    "👩‍💼 Permintaan Anda sudah kami teruskan ke petugas PROLINK SAKTI. Petugas akan *segera* \
     membalas di chat ini.\n\n\
     Selama menunggu, bot tidak membalas otomatis; tuliskan saja keperluan Anda. Tekan \
     *Kembali ke Bot* atau ketik *BATAL* bila tidak jadi.\n\n\
     ⚠️ Keadaan darurat? Jangan menunggu: telepon *112*."
        .to_string()
}

pub fn handoff_after_hours(next_working_day: &str) -> String {
    format!(
        "👩‍💼 Permintaan Anda sudah kami teruskan ke petugas PROLINK SAKTI.\n\n\
         Saat ini di luar jam kerja petugas (Senin–Jumat, 08.00–16.00 WIB, kecuali hari \
         libur). Pesan Anda tetap tercatat dan akan ditindaklanjuti pada hari kerja \
         berikutnya, *{next_working_day}*, mulai pukul 08.00 WIB.\n\n\
         Selama menunggu, bot tidak membalas otomatis; tuliskan saja keperluan Anda. Tekan \
         *Kembali ke Bot* atau ketik *BATAL* bila tidak jadi.\n\n\
         ⚠️ Keadaan darurat? Jangan menunggu: telepon *112*."
    )
}

pub fn topic_added(name: &str) -> String {
    format!("✅ Topik *{name}* ditambahkan ke langganan Anda.")
}

pub fn topic_removed(name: &str) -> String {
    format!("➖ Topik *{name}* dihapus dari langganan Anda.")
}

pub fn current_topics(names: &[String]) -> String {
    if names.is_empty() {
        "Saat ini Anda belum berlangganan topik apa pun.".to_string()
    } else {
        format!("Topik Anda sekarang: {}.", names.join(", "))
    }
}

pub const TOPIC_LIST_HINT: &str =
    "Ketuk topik pada daftar untuk memilih atau membatalkannya, satu per satu.";

pub const TOPIC_NEXT: &str =
    "Ketuk topik lain pada daftar untuk menambah atau menghapusnya, lalu tekan *Selesai*.";

pub fn subscription_done(names: &[String]) -> String {
    if names.is_empty() {
        "Anda belum memilih topik, jadi tidak ada siaran info yang akan dikirim.\n\n\
         Ketik *MULAI* kapan saja untuk memilih topik."
            .to_string()
    } else {
        format!(
            "🎉 Terima kasih! Anda berlangganan info: {}.\n\n\
             Siaran dikirim seperlunya dan gratis. Ubah topik: ketik *MULAI*. Berhenti: \
             ketik *STOP*.",
            names.join(", ")
        )
    }
}

pub fn subscription_cancelled(names: &[String]) -> String {
    format!(
        "Pemilihan topik selesai. {}\n\nKetik *MENU* untuk melihat pilihan lain.",
        current_topics(names)
    )
}

pub fn card_too_long(online_url: &str) -> String {
    let mut text =
        "Informasi layanan ini terlalu panjang untuk dikirim lengkap lewat WhatsApp.".to_string();
    if !online_url.trim().is_empty() {
        text.push_str(&format!(" Lihat selengkapnya di {}.", online_url.trim()));
    }
    text.push_str(" Ketik *OPERATOR* bila perlu penjelasan dari petugas.");
    text
}

/// The opening of the answer to a message type the bot cannot read.
pub fn unreadable(kind: &str) -> String {
    let opening = match kind {
        "sticker" => "Terima kasih stikernya! 😊",
        "audio" => "Maaf, kami belum bisa mendengarkan pesan suara. 🙏",
        "document" => "Maaf, kami belum bisa membaca dokumen yang dikirim. 🙏",
        "contacts" => "Terima kasih, tetapi kami belum bisa memproses kontak yang dibagikan. 🙏",
        "unreadable_text" => {
            "Maaf, pesan Anda tidak dapat kami baca (ada karakter yang rusak). Mohon kirim ulang pesannya. 🙏"
        }
        _ => "Maaf, jenis pesan ini belum bisa kami proses. 🙏",
    };
    format!("{opening}\n\n{UNDERSTOOD}")
}

/// The acknowledgement of a photo, video or location sent outside a complaint form.
pub fn media_received(kind: &str) -> String {
    let what = match kind {
        "location" => "Terima kasih, lokasi Anda sudah kami terima. 📍",
        "video" => "Terima kasih, video Anda sudah kami terima. 🎥",
        _ => "Terima kasih, foto Anda sudah kami terima. 📷",
    };
    format!("{what}\n\n{MEDIA_OFFER}")
}
