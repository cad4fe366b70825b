//! The messages a citizen sends, one type per WhatsApp message kind; unknown kinds keep their
//! raw JSON.

use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde::ser::{Error as _, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient::*;
use super::WebhookError;

/// One inbound message. Serializes to (and deserializes from) Meta's shape; a message whose
/// type is unknown or whose type object does not fit keeps its whole JSON in
/// [`MessageContent::Unknown`].
#[derive(Clone, Debug, PartialEq)]
pub struct InboundMessage {
    /// The wamid: our idempotency key.
    pub id: String,
    /// Sender phone digits (optional since 2026 usernames).
    pub from: Option<String>,
    /// Sender BSUID.
    pub from_user_id: Option<String>,
    pub from_parent_user_id: Option<String>,
    /// Only for group chats.
    pub group_id: Option<String>,
    /// Unix seconds as Meta sends them (a string); see [`InboundMessage::timestamp_secs`].
    pub timestamp: String,
    pub context: Option<MessageContext>,
    pub referral: Option<Referral>,
    pub content: MessageContent,
}

#[derive(Clone, Debug, PartialEq)]
pub enum MessageContent {
    Text(TextBody),
    Interactive(InteractiveReply),
    /// Quick-reply button of a template.
    Button(TemplateButton),
    Image(Media),
    Video(Media),
    Audio(Media),
    Document(Media),
    Sticker(Media),
    Location(Location),
    Contacts(Vec<SharedContact>),
    Reaction(Reaction),
    Unsupported(Unsupported),
    System(SystemEvent),
    /// Any other type (`order`, `revoke`, `edit`, future ones) or a known type whose object
    /// did not fit our model. `raw` is the whole message object as received.
    Unknown {
        kind: String,
        raw: Value,
    },
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct TextBody {
    pub body: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct TemplateButton {
    /// The payload we set in the template's button parameter at send time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// The button label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// image, video, audio, document and sticker share one model.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Media {
    /// Media id, downloadable for 7 days.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Base64 in Meta's examples; hex also seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// Documents only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Short-lived download URL (needs the bearer token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Audio only: true for a recorded voice note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<bool>,
    /// Stickers only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animated: Option<bool>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Reaction {
    /// wamid of our message the user reacted to.
    pub message_id: String,
    /// Absent (or empty) when the user removed the reaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
}

impl Reaction {
    pub fn is_removal(&self) -> bool {
        self.emoji.as_deref().is_none_or(str::is_empty)
    }
}

/// A message WhatsApp could not hand over (poll, edited message, first message to a
/// Coexistence number …).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Unsupported {
    /// `unsupported.type` (e.g. `poll_creation`), when Meta says.
    pub unsupported_type: Option<String>,
    /// The message-level `errors[]` (131051, 131060 …).
    pub errors: Vec<WebhookError>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct SystemEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The new phone number (older payloads name it `new_wa_id`).
    #[serde(default, alias = "new_wa_id", skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
    /// The new BSUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SystemKind {
    UserChangedNumber,
    UserChangedUserId,
    Unknown(String),
}

impl SystemEvent {
    pub fn system_kind(&self) -> SystemKind {
        match self.kind.as_deref().unwrap_or_default() {
            // `customer_changed_number` is the pre-2023 name of the same event.
            "user_changed_number" | "customer_changed_number" => SystemKind::UserChangedNumber,
            "user_changed_user_id" => SystemKind::UserChangedUserId,
            other => SystemKind::Unknown(other.to_owned()),
        }
    }
}

/// A contact card the user shared (`type: "contacts"`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct SharedContact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<ContactName>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<ContactPhone>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<ContactEmail>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<ContactAddress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<ContactOrg>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<ContactUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthday: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcard: Option<String>,
    /// `contact_request` when the user answered our request-contact button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct ContactName {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suffix: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct ContactPhone {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct ContactEmail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct ContactAddress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct ContactOrg {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct ContactUrl {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// `context`: what the message answers, quotes, or that it was forwarded.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct MessageContext {
    /// Our display number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// wamid of our earlier message (list, buttons, template, location request …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequently_forwarded: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referred_product: Option<ReferredProduct>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct ReferredProduct {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_retailer_id: Option<String>,
}

/// Click-to-WhatsApp ad that started the conversation.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct Referral {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ctwa_clid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub welcome_message: Option<WelcomeMessage>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct WelcomeMessage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// The answer inside an `interactive` message.
#[derive(Clone, Debug, PartialEq)]
pub enum InteractiveReply {
    ButtonReply(ButtonReply),
    ListReply(ListReply),
    /// WhatsApp Flows answer.
    NfmReply(NfmReply),
    /// Catalog and future subtypes, or a known one that did not fit: the whole
    /// `interactive` object.
    Other {
        kind: String,
        raw: Value,
    },
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ButtonReply {
    /// The button id we sent: route on it, not on the title.
    pub id: String,
    #[serde(default)]
    pub title: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ListReply {
    /// The row id we sent: route on it, not on the title.
    pub id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct NfmReply {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The Flow's answer, itself a JSON document in a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_json: Option<String>,
}

impl InteractiveReply {
    /// The subtype name as Meta spells it (`button_reply`, `list_reply`, …).
    pub fn kind(&self) -> &str {
        match self {
            InteractiveReply::ButtonReply(_) => "button_reply",
            InteractiveReply::ListReply(_) => "list_reply",
            InteractiveReply::NfmReply(_) => "nfm_reply",
            InteractiveReply::Other { kind, .. } => kind,
        }
    }

    fn from_value(raw: Value) -> InteractiveReply {
        let kind = raw
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let parsed = raw
            .get(&kind)
            .cloned()
            .and_then(|body| match kind.as_str() {
                "button_reply" => serde_json::from_value(body)
                    .ok()
                    .map(InteractiveReply::ButtonReply),
                "list_reply" => serde_json::from_value(body)
                    .ok()
                    .map(InteractiveReply::ListReply),
                "nfm_reply" => serde_json::from_value(body)
                    .ok()
                    .map(InteractiveReply::NfmReply),
                _ => None,
            });
        parsed.unwrap_or(InteractiveReply::Other { kind, raw })
    }

    fn to_value(&self) -> Result<Value, serde_json::Error> {
        let (kind, body) = match self {
            InteractiveReply::ButtonReply(reply) => ("button_reply", serde_json::to_value(reply)?),
            InteractiveReply::ListReply(reply) => ("list_reply", serde_json::to_value(reply)?),
            InteractiveReply::NfmReply(reply) => ("nfm_reply", serde_json::to_value(reply)?),
            InteractiveReply::Other { kind, raw } => {
                if raw.is_object() {
                    return Ok(raw.clone());
                }
                let mut map = Map::new();
                map.insert("type".into(), Value::String(kind.clone()));
                return Ok(Value::Object(map));
            }
        };
        let mut map = Map::new();
        map.insert("type".into(), Value::String(kind.to_owned()));
        map.insert(kind.to_owned(), body);
        Ok(Value::Object(map))
    }
}

impl Serialize for InteractiveReply {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value()
            .map_err(S::Error::custom)?
            .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for InteractiveReply {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(InteractiveReply::from_value(Value::deserialize(
            deserializer,
        )?))
    }
}

impl MessageContent {
    /// The message type as Meta spells it (`text`, `image`, …, or the unknown type's name).
    pub fn kind(&self) -> &str {
        match self {
            MessageContent::Text(_) => "text",
            MessageContent::Interactive(_) => "interactive",
            MessageContent::Button(_) => "button",
            MessageContent::Image(_) => "image",
            MessageContent::Video(_) => "video",
            MessageContent::Audio(_) => "audio",
            MessageContent::Document(_) => "document",
            MessageContent::Sticker(_) => "sticker",
            MessageContent::Location(_) => "location",
            MessageContent::Contacts(_) => "contacts",
            MessageContent::Reaction(_) => "reaction",
            MessageContent::Unsupported(_) => "unsupported",
            MessageContent::System(_) => "system",
            MessageContent::Unknown { kind, .. } => kind,
        }
    }

    /// Reads the object named after `kind` in a message; `None` when it does not fit.
    fn parse(kind: &str, message: &Map<String, Value>) -> Option<MessageContent> {
        let body = message.get(kind).cloned();
        fn typed<T: DeserializeOwned>(body: Option<Value>) -> Option<T> {
            serde_json::from_value(body?).ok()
        }
        let content = match kind {
            "text" => MessageContent::Text(typed(body)?),
            "interactive" => MessageContent::Interactive(InteractiveReply::from_value(
                body.filter(Value::is_object)?,
            )),
            "button" => MessageContent::Button(typed(body)?),
            "image" => MessageContent::Image(typed(body)?),
            "video" => MessageContent::Video(typed(body)?),
            "audio" => MessageContent::Audio(typed(body)?),
            "document" => MessageContent::Document(typed(body)?),
            "sticker" => MessageContent::Sticker(typed(body)?),
            "location" => MessageContent::Location(typed(body)?),
            "contacts" => MessageContent::Contacts(typed(body)?),
            "reaction" => MessageContent::Reaction(typed(body)?),
            "system" => MessageContent::System(typed(body)?),
            // Older payloads carry only `errors[]`, without the `unsupported` object.
            "unsupported" => MessageContent::Unsupported(Unsupported {
                unsupported_type: body
                    .as_ref()
                    .and_then(|b| b.get("type"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                errors: lenient_elements(message.get("errors").cloned(), "message error"),
            }),
            _ => return None,
        };
        Some(content)
    }
}

impl InboundMessage {
    /// The message type as Meta spells it.
    pub fn kind(&self) -> &str {
        self.content.kind()
    }

    /// `timestamp` as Unix seconds; `None` when Meta sent something unreadable.
    pub fn timestamp_secs(&self) -> Option<i64> {
        self.timestamp.trim().parse().ok()
    }

    /// Reads one element of `messages[]`. Fails only when it is not an object or has no
    /// string `id`: without a wamid a message cannot be deduplicated or replied to.
    pub fn from_value(raw: Value) -> Result<InboundMessage, String> {
        let Value::Object(map) = &raw else {
            return Err("message is not a JSON object".into());
        };
        let id = match map.get("id").and_then(Value::as_str) {
            Some(id) if !id.is_empty() => id.to_owned(),
            _ => return Err("message has no id".into()),
        };
        let text_field = |name: &str| map.get(name).and_then(Value::as_str).map(str::to_owned);
        let kind = text_field("type").unwrap_or_default();
        let content =
            MessageContent::parse(&kind, map).unwrap_or_else(|| MessageContent::Unknown {
                kind: kind.clone(),
                raw: raw.clone(),
            });
        Ok(InboundMessage {
            id,
            from: text_field("from"),
            from_user_id: text_field("from_user_id"),
            from_parent_user_id: text_field("from_parent_user_id"),
            group_id: text_field("group_id"),
            timestamp: map
                .get("timestamp")
                .map(string_or_number_value)
                .unwrap_or_default(),
            context: map
                .get("context")
                .and_then(|v| serde_json::from_value(v.clone()).ok()),
            referral: map
                .get("referral")
                .and_then(|v| serde_json::from_value(v.clone()).ok()),
            content,
        })
    }

    /// Meta's shape of this message.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        if let MessageContent::Unknown { raw, .. } = &self.content {
            // The header fields were read from `raw`, so it alone is the faithful form.
            if raw.is_object() {
                return Ok(raw.clone());
            }
        }
        let mut map = Map::new();
        map.insert("id".into(), Value::String(self.id.clone()));
        let optional = [
            ("from", &self.from),
            ("from_user_id", &self.from_user_id),
            ("from_parent_user_id", &self.from_parent_user_id),
            ("group_id", &self.group_id),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                map.insert(name.into(), Value::String(value.clone()));
            }
        }
        map.insert("timestamp".into(), Value::String(self.timestamp.clone()));
        if let Some(context) = &self.context {
            map.insert("context".into(), serde_json::to_value(context)?);
        }
        if let Some(referral) = &self.referral {
            map.insert("referral".into(), serde_json::to_value(referral)?);
        }
        let kind = self.content.kind().to_owned();
        let body = match &self.content {
            MessageContent::Text(text) => serde_json::to_value(text)?,
            MessageContent::Interactive(reply) => reply.to_value()?,
            MessageContent::Button(button) => serde_json::to_value(button)?,
            MessageContent::Image(media)
            | MessageContent::Video(media)
            | MessageContent::Audio(media)
            | MessageContent::Document(media)
            | MessageContent::Sticker(media) => serde_json::to_value(media)?,
            MessageContent::Location(location) => serde_json::to_value(location)?,
            MessageContent::Contacts(contacts) => serde_json::to_value(contacts)?,
            MessageContent::Reaction(reaction) => serde_json::to_value(reaction)?,
            MessageContent::System(system) => serde_json::to_value(system)?,
            MessageContent::Unsupported(unsupported) => {
                if !unsupported.errors.is_empty() {
                    map.insert("errors".into(), serde_json::to_value(&unsupported.errors)?);
                }
                let mut body = Map::new();
                if let Some(kind) = &unsupported.unsupported_type {
                    body.insert("type".into(), Value::String(kind.clone()));
                }
                Value::Object(body)
            }
            MessageContent::Unknown { raw, .. } => raw.clone(),
        };
        map.insert("type".into(), Value::String(kind.clone()));
        map.insert(kind, body);
        Ok(Value::Object(map))
    }
}

impl Serialize for InboundMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value()
            .map_err(S::Error::custom)?
            .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for InboundMessage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        InboundMessage::from_value(Value::deserialize(deserializer)?).map_err(D::Error::custom)
    }
}
