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
    let value: Value =
        serde_json::from_slice(raw).map_err(|e| WebhookParseError::NotJson(e.to_string()))?;
    if !value.is_object() {
        return Err(WebhookParseError::NotAnObject);
    }
    WebhookPayload::deserialize(value).map_err(|e| WebhookParseError::Invalid(e.to_string()))
}

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
