//! What the citizen sent, as the dialog understands it. The worker maps Meta's message to
//! an [`Inbound`] once, at the edge; the dialog never sees the wire format.

use crate::complaint::{ComplaintLocation, Photo};

/// One message of the citizen.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    /// The channel's message id: every side effect of the turn derives its id from it, so a
    /// redelivered message changes nothing.
    pub id: String,
    pub input: Input,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Text the citizen typed.
    Text(String),
    /// A list row or reply button the citizen tapped: the id the bot gave it.
    Choice(String),
    /// A template's quick-reply button: the payload the bot set (when it set one) and the
    /// button's label.
    QuickReply {
        payload: Option<String>,
        text: Option<String>,
    },
    /// A photo, with the channel's media id (copied to storage once it joins a complaint).
    Photo(Photo),
    /// A video: acknowledged, never kept.
    Video,
    /// A pinned location ([`ComplaintLocation::Pin`]).
    Location(ComplaintLocation),
    /// Something the bot cannot read (sticker, voice note, document, contact card, a message
    /// type it does not know); the kind is for the log.
    Unreadable(&'static str),
    /// Reactions and identity changes: not a conversation turn.
    Ignored,
}

impl Inbound {
    /// The text the dialog may answer: what the citizen typed, or the label of a template's
    /// quick-reply button (read as text when its payload is not one of ours).
    pub fn text(&self) -> Option<&str> {
        match &self.input {
            Input::Text(text) => Some(text),
            Input::QuickReply { text, .. } => text.as_deref(),
            _ => None,
        }
    }
}
