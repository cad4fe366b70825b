//! Photos, locations, other message types and template quick replies outside a form.

use prolink_domain::{
    dialog::{
        texts::{self, ids},
        Flow,
    },
    nlp::{Engine, KnowledgeBase},
};
use prolink_whatsapp::webhook::{
    Location, Media, MessageContent, Reaction, TemplateButton, Unsupported,
};

use super::chat::*;
use crate::support::seed;

#[test]
fn photos_and_locations_are_acknowledged_with_a_complaint_offer() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    let location = Location {
        latitude: -7.75,
        longitude: 113.21,
        name: None,
        address: None,
        url: None,
    };
    for (message, word) in [
        (message(MessageContent::Image(media())), "foto"),
        (message(MessageContent::Location(location)), "lokasi"),
    ] {
        let turn = chat.send(message);
        let reply = only(&turn);
        assert!(reply.plain_text().contains(word));
        assert_eq!(
            button_ids(reply),
            vec![ids::COMPLAINT.to_string(), ids::MENU.to_string()]
        );
    }
    // *Buat Aduan* starts the form with what was sent (consent first).
    chat.send(button_tap(ids::COMPLAINT));
    match &chat.session.flow {
        Some(Flow::Complaint(draft)) => {
            assert_eq!(draft.photos.len(), 1);
            assert!(draft.location.is_some());
        }
        other => panic!("expected the complaint form, got {other:?}"),
    }
}

#[test]
fn other_message_types_get_a_polite_note_and_reactions_nothing() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    let voice = Media {
        voice: Some(true),
        mime_type: Some("audio/ogg".into()),
        ..media()
    };
    for (message, word) in [
        (message(MessageContent::Sticker(media())), "stiker"),
        (message(MessageContent::Audio(voice)), "pesan suara"),
        (message(MessageContent::Document(media())), "dokumen"),
        (message(MessageContent::Contacts(Vec::new())), "kontak"),
        (
            message(MessageContent::Unsupported(Unsupported::default())),
            "jenis pesan",
        ),
    ] {
        let turn = chat.send(message);
        let text = only(&turn).plain_text();
        assert!(text.contains(word), "{word}: {text}");
        assert!(text.contains("*pesan teks*"));
        assert!(turn.unanswered.is_none());
    }

    let before = chat.session.clone();
    let reaction = message(MessageContent::Reaction(Reaction {
        message_id: "wamid.OURS".into(),
        emoji: Some("👍".into()),
    }));
    let turn = chat.send(reaction);
    assert!(turn.replies.is_empty());
    assert_eq!(turn.session, before);
}

#[test]
fn template_quick_replies_route_by_payload_or_else_by_label() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    let by_payload = message(MessageContent::Button(TemplateButton {
        payload: Some("menu.info".into()),
        text: Some("Lihat info".into()),
    }));
    let turn = chat.send(by_payload);
    assert_eq!(row_ids(only(&turn)), menu_row_ids(&content, "info-1"));
    let by_label = message(MessageContent::Button(TemplateButton {
        payload: Some("campaign-2026-11".into()),
        text: Some("Berhenti".into()),
    }));
    chat.profile.broadcast_opt_in = true;
    let turn = chat.send(by_label);
    assert_eq!(as_text(only(&turn)), texts::STOP_DONE);
    assert!(!chat.profile.broadcast_opt_in);
}
