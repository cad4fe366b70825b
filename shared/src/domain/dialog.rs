//! The conversation. For now (foundation) every message gets a greeting and the main menu;
//! the conversation issue replaces this with the menu-driven state machine.

use crate::{
    domain::citizen::CitizenRef,
    whatsapp::{
        outbound::{ListMessage, ListRow, ListSection},
        webhook::{InboundMessage, MessageContent},
    },
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Text(String),
    List(ListMessage),
}

const MAIN_MENU_ROWS: [(&str, &str, &str); 5] = [
    (
        "menu.info",
        "Informasi Publik",
        "Tanya info KTP, izin, kesehatan, sekolah, pajak, wisata, dll.",
    ),
    (
        "menu.layanan",
        "Layanan Publik",
        "Syarat, langkah, biaya, dan lama proses layanan Pemkot",
    ),
    (
        "menu.aduan",
        "Buat Aduan",
        "Laporkan jalan rusak, PJU mati, sampah, pelayanan, dll.",
    ),
    (
        "menu.cek-aduan",
        "Cek Aduan",
        "Lihat status aduan yang sudah Anda kirim",
    ),
    (
        "menu.petugas",
        "Bicara dengan Petugas",
        "Sambungkan ke petugas Diskominfo",
    ),
];

/// The foundation's answer to any citizen message: one greeting with the main menu, or
/// nothing for messages that need no answer (reactions, identity-change notices).
pub fn placeholder_replies(citizen: &CitizenRef, message: &InboundMessage) -> Vec<Reply> {
    let opening = match &message.content {
        MessageContent::Reaction(_) | MessageContent::System(_) => return Vec::new(),
        MessageContent::Text(_) | MessageContent::Interactive(_) | MessageContent::Button(_) => {
            "Silakan pilih menu di bawah."
        }
        _ => "Maaf, untuk saat ini kami baru bisa membaca pesan teks dan pilihan menu. Silakan pilih menu di bawah.",
    };
    let greeting = match citizen
        .name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        Some(name) => format!("Halo, {name}! 👋"),
        None => "Halo! 👋".to_string(),
    };
    let body = format!(
        "{greeting}\nSelamat datang di *PROLINK SAKTI*, layanan WhatsApp resmi Pemerintah Kota Probolinggo.\n\n{opening}\n\n⚠️ Keadaan darurat? Telepon *112* (gratis, 24 jam)."
    );
    vec![Reply::List(main_menu(body))]
}

fn main_menu(body: String) -> ListMessage {
    ListMessage {
        header: Some("PROLINK SAKTI".to_string()),
        body,
        footer: Some("Ketik MENU kapan saja untuk kembali ke sini".to_string()),
        button: "Lihat Menu".to_string(),
        sections: vec![ListSection {
            title: Some("Menu Utama".to_string()),
            rows: MAIN_MENU_ROWS
                .iter()
                .map(|(id, title, description)| ListRow {
                    id: (*id).to_string(),
                    title: (*title).to_string(),
                    description: Some((*description).to_string()),
                })
                .collect(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whatsapp::outbound;

    fn message(content: MessageContent) -> InboundMessage {
        InboundMessage {
            id: "wamid.TEST".into(),
            from: Some("6281234567890".into()),
            from_user_id: None,
            from_parent_user_id: None,
            group_id: None,
            timestamp: "1794276900".into(),
            context: None,
            referral: None,
            content,
        }
    }

    fn citizen(name: Option<&str>) -> CitizenRef {
        CitizenRef {
            key: "6281234567890".into(),
            user_id: None,
            wa_id: Some("6281234567890".into()),
            name: name.map(str::to_string),
            username: None,
        }
    }

    #[test]
    fn text_gets_a_named_greeting_with_a_menu_that_fits_whatsapp_limits() {
        let replies = placeholder_replies(
            &citizen(Some("Budi")),
            &message(MessageContent::Text(crate::whatsapp::webhook::TextBody {
                body: "halo".into(),
            })),
        );
        assert_eq!(replies.len(), 1);
        let Reply::List(list) = &replies[0] else {
            panic!("expected a list");
        };
        assert!(list.body.starts_with("Halo, Budi!"));
        let address = citizen(None).reply_address();
        assert!(outbound::list(&address, list).is_ok());
    }

    #[test]
    fn reactions_get_no_reply_and_blank_names_are_not_greeted() {
        let reaction = message(MessageContent::Reaction(
            serde_json::from_value(serde_json::json!({ "message_id": "wamid.X", "emoji": "👍" }))
                .expect("reaction"),
        ));
        assert!(placeholder_replies(&citizen(None), &reaction).is_empty());
        let sticker = message(MessageContent::Sticker(
            serde_json::from_value(serde_json::json!({ "id": "1", "mime_type": "image/webp" }))
                .expect("sticker"),
        ));
        let replies = placeholder_replies(&citizen(Some("  ")), &sticker);
        let Reply::List(list) = &replies[0] else {
            panic!("expected a list");
        };
        assert!(list.body.starts_with("Halo! 👋"));
        assert!(list.body.contains("baru bisa membaca pesan teks"));
    }
}
