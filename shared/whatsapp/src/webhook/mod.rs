//! Typed models of the Cloud API webhook envelope (`field: "messages"`).
//!
//! Parsing is deliberately forgiving below the top level: Meta adds message types and fields
//! without notice, and a payload we answer with anything but 200 is resent for days. So an
//! element that does not fit its model is skipped (contacts, statuses, errors, entries) or
//! kept as [`MessageContent::Unknown`] with its raw JSON (messages), and unknown fields are
//! ignored. Only a body that is not a JSON object fails as a whole.
//!
//! Messages and statuses also travel as queue bodies, so their serde form round-trips:
//! [`InboundMessage`] serializes back to Meta's own shape (`"type": "text", "text": {…}`).

mod lenient;
mod message;
mod status;

use lenient::{lenient_default, lenient_opt, lenient_string, lenient_vec};
pub use message::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
pub use status::*;

/// Why a webhook body could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookParseError {
    #[error("webhook body is not valid JSON: {0}")]
    NotJson(String),
    #[error("webhook body is not a JSON object")]
    NotAnObject,
    #[error("webhook body does not match the envelope: {0}")]
    Invalid(String),
}

/// Parses a webhook POST body (after the signature check, on the same raw bytes).
pub fn parse_payload(raw: &[u8]) -> Result<WebhookPayload, WebhookParseError> {
    let value: Value = match serde_json::from_slice(raw) {
        Ok(value) => value,
        Err(strict) => {
            // A lone surrogate escape (`\ud800`) or a broken UTF-8 byte in one string makes
            // serde_json refuse the whole body, and with it every other citizen's message.
            // Repaired, it costs at most the message that carried it.
            let Some(repaired) = repair_json_text(raw) else {
                return Err(WebhookParseError::NotJson(strict.to_string()));
            };
            let mut value: Value = serde_json::from_str(&repaired)
                .map_err(|_| WebhookParseError::NotJson(strict.to_string()))?;
            mark_damaged_messages(&mut value);
            value
        }
    };
    if !value.is_object() {
        return Err(WebhookParseError::NotAnObject);
    }
    WebhookPayload::deserialize(value).map_err(|e| WebhookParseError::Invalid(e.to_string()))
}

/// Stands in for what could not be decoded (U+FFFD, the replacement character).
const DAMAGED: char = '\u{FFFD}';

/// The JSON text with invalid UTF-8 and lone surrogate escapes replaced by U+FFFD; `None` when
/// there was nothing to repair (the body is broken in another way).
fn repair_json_text(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let mut changed = matches!(text, std::borrow::Cow::Owned(_));
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    let hex_at = |at: usize| -> Option<u32> {
        let digits = text.get(at..at + 4)?;
        if digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            u32::from_str_radix(digits, 16).ok()
        } else {
            None
        }
    };
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        // An escape: `\uXXXX` or a two-character one (`\\`, `\"`, …), skipped whole so an
        // escaped backslash followed by `u` is not read as an escape.
        if bytes.get(i + 1) != Some(&b'u') {
            i += 2;
            continue;
        }
        let Some(unit) = hex_at(i + 2) else {
            i += 2;
            continue;
        };
        let is_high = (0xD800..=0xDBFF).contains(&unit);
        let is_low = (0xDC00..=0xDFFF).contains(&unit);
        if is_high
            && bytes.get(i + 6) == Some(&b'\\')
            && bytes.get(i + 7) == Some(&b'u')
            && hex_at(i + 8).is_some_and(|next| (0xDC00..=0xDFFF).contains(&next))
        {
            i += 12;
            continue;
        }
        if is_high || is_low {
            out.push_str(&text[copied..i]);
            out.push_str("\\uFFFD");
            changed = true;
            copied = i + 6;
        }
        i += 6;
    }
    out.push_str(&text[copied.min(text.len())..]);
    changed.then_some(out)
}

/// A message with a damaged string becomes an `unsupported` one (the citizen is told it could
/// not be read), keeping its id, sender and time so the answer reaches them; the other
/// messages of the batch are untouched.
fn mark_damaged_messages(payload: &mut Value) {
    fn damaged(value: &Value) -> bool {
        match value {
            Value::String(text) => text.contains(DAMAGED),
            Value::Array(items) => items.iter().any(damaged),
            Value::Object(map) => map.values().any(damaged),
            _ => false,
        }
    }
    let Some(entries) = payload.get_mut("entry").and_then(Value::as_array_mut) else {
        return;
    };
    for entry in entries {
        let Some(changes) = entry.get_mut("changes").and_then(Value::as_array_mut) else {
            continue;
        };
        for change in changes {
            let Some(messages) = change
                .pointer_mut("/value/messages")
                .and_then(Value::as_array_mut)
            else {
                continue;
            };
            for message in messages.iter_mut().filter(|message| damaged(message)) {
                let mut kept = serde_json::Map::new();
                for key in ["from", "id", "timestamp", "from_user_id", "context"] {
                    if let Some(field) = message.get(key).filter(|field| !damaged(field)) {
                        kept.insert(key.to_owned(), field.clone());
                    }
                }
                kept.insert("type".into(), Value::String("unsupported".into()));
                kept.insert(
                    "unsupported".into(),
                    serde_json::json!({ "type": UNREADABLE_TEXT }),
                );
                *message = Value::Object(kept);
            }
        }
    }
}

/// `unsupported.type` of a message whose content could not be decoded (see
/// [`parse_payload`]); not a type Meta sends.
pub const UNREADABLE_TEXT: &str = "prolink_unreadable";

// ---------------------------------------------------------------------------------------------
// Envelope
// ---------------------------------------------------------------------------------------------

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct WebhookPayload {
    /// Always `whatsapp_business_account` for WhatsApp.
    #[serde(default, deserialize_with = "lenient_string")]
    pub object: String,
    #[serde(default, deserialize_with = "lenient_vec")]
    pub entry: Vec<Entry>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Entry {
    /// WABA id.
    #[serde(default, deserialize_with = "lenient_string")]
    pub id: String,
    /// Only on some non-`messages` fields (e.g. `account_update`).
    #[serde(
        default,
        deserialize_with = "lenient_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub time: Option<i64>,
    #[serde(default, deserialize_with = "lenient_vec")]
    pub changes: Vec<Change>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Change {
    /// `messages` for messages, statuses and system errors; other subscribed fields
    /// (`account_update`, …) parse to an empty [`ChangeValue`] and yield no items.
    #[serde(default, deserialize_with = "lenient_string")]
    pub field: String,
    #[serde(default, deserialize_with = "lenient_default")]
    pub value: ChangeValue,
}

/// The only field whose changes carry citizen messages.
pub const MESSAGES_FIELD: &str = "messages";

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct ChangeValue {
    #[serde(
        default,
        deserialize_with = "lenient_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub messaging_product: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub metadata: Option<Metadata>,
    #[serde(
        default,
        deserialize_with = "lenient_vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub contacts: Vec<Contact>,
    #[serde(
        default,
        deserialize_with = "lenient_vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub messages: Vec<InboundMessage>,
    #[serde(
        default,
        deserialize_with = "lenient_vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub statuses: Vec<MessageStatus>,
    /// System-, app- or account-level errors (no message to correlate).
    #[serde(
        default,
        deserialize_with = "lenient_vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub errors: Vec<WebhookError>,
    /// `message_template_status_update` (`APPROVED`, `REJECTED`, `PAUSED`, `DISABLED` …) and
    /// `phone_number_quality_update` (`FLAGGED`, `UNFLAGGED`, `DOWNGRADE`, `UPGRADE`,
    /// `THROUGHPUT_UPGRADE` …).
    #[serde(
        default,
        deserialize_with = "lenient_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub event: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub message_template_name: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub message_template_language: Option<String>,
    /// Why a template changed (`NONE` on approval).
    #[serde(
        default,
        deserialize_with = "lenient_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub reason: Option<String>,
    /// The number's messaging limit tier after a quality update (`TIER_1K` …).
    #[serde(
        default,
        deserialize_with = "lenient_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub current_limit: Option<String>,
    /// Replaces `current_limit` from 2026 (Meta's reference).
    #[serde(
        default,
        deserialize_with = "lenient_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_daily_conversations_per_business: Option<String>,
}

/// Template status changes (`entry[].changes[].field`).
pub const TEMPLATE_STATUS_FIELD: &str = "message_template_status_update";
/// The business number's quality and messaging limit (`entry[].changes[].field`).
pub const PHONE_QUALITY_FIELD: &str = "phone_number_quality_update";

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct Metadata {
    #[serde(
        default,
        deserialize_with = "lenient_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub display_phone_number: Option<String>,
    /// Our business number: route on it, and send replies from it.
    #[serde(
        default,
        deserialize_with = "lenient_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone_number_id: Option<String>,
}

/// `value.contacts[]`: who sent the messages of this change (or received, on statuses).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// Phone digits; absent for username users whose number is withheld.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
    /// Business-scoped user id (BSUID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_key_hash: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}
