//! The dialog's edge: Meta's inbound message mapped, once, to what the dialog understands.

use prolink_domain::{
    complaint::{ComplaintLocation, Photo},
    dialog::{Answered, Inbound, Input},
};
use prolink_whatsapp::webhook::{InboundMessage, InteractiveReply, MessageContent};

use crate::ports::Answerer;

/// The dialog's view of one WhatsApp message.
pub fn dialog_inbound(message: &InboundMessage) -> Inbound {
    let input = match &message.content {
        MessageContent::Text(body) => Input::Text(body.body.clone()),
        MessageContent::Interactive(InteractiveReply::ButtonReply(button)) => {
            Input::Choice(button.id.clone())
        }
        MessageContent::Interactive(InteractiveReply::ListReply(row)) => {
            Input::Choice(row.id.clone())
        }
        MessageContent::Button(button) => Input::QuickReply {
            payload: button.payload.clone(),
            text: button.text.clone(),
        },
        MessageContent::Image(media) => Input::Photo(Photo {
            media_id: media.id.clone(),
            mime_type: media.mime_type.clone(),
            sha256: media.sha256.clone(),
            caption: media.caption.clone(),
            stored_key: None,
            fetch_error: None,
        }),
        MessageContent::Video(_) => Input::Video,
        MessageContent::Location(location) => Input::Location(ComplaintLocation::Pin {
            latitude: location.latitude,
            longitude: location.longitude,
            name: location.name.clone(),
            address: location.address.clone(),
        }),
        MessageContent::Sticker(_) => Input::Unreadable("sticker"),
        MessageContent::Audio(_) => Input::Unreadable("audio"),
        MessageContent::Document(_) => Input::Unreadable("document"),
        MessageContent::Contacts(_) => Input::Unreadable("contacts"),
        // A message whose text could not be decoded (see `parse_payload`): the citizen is
        // asked to send it again rather than told the type is unsupported.
        MessageContent::Unsupported(unsupported)
            if unsupported.unsupported_type.as_deref()
                == Some(prolink_whatsapp::webhook::UNREADABLE_TEXT) =>
        {
            Input::Unreadable("unreadable_text")
        }
        MessageContent::Interactive(_)
        | MessageContent::Unsupported(_)
        | MessageContent::Unknown { .. } => Input::Unreadable("unsupported"),
        MessageContent::Reaction(_) | MessageContent::System(_) => Input::Ignored,
    };
    Inbound {
        id: message.id.clone(),
        input,
    }
}

/// What the answering port makes of the message's text, for `DialogEnv::answered`; `None`
/// when the message has no text.
pub fn answer_inbound(answerer: &dyn Answerer, inbound: &Inbound) -> Option<Answered> {
    inbound.text().map(|text| answerer.answer(text))
}
