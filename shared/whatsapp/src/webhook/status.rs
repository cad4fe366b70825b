//! Delivery statuses of the messages we sent, and system-level errors.

use serde::{Deserialize, Serialize};

use super::lenient::*;

/// Delivery status of a message we sent.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct MessageStatus {
    /// wamid of our message.
    pub id: String,
    /// Kept verbatim (new values appear, e.g. `played` in 2026); see [`MessageStatus::kind`].
    pub status: String,
    #[serde(default, deserialize_with = "string_or_number")]
    pub timestamp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_parent_user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_type: Option<String>,
    /// Our outbox id, echoed back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_opaque_callback_data: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub pricing: Option<Pricing>,
    #[serde(
        default,
        deserialize_with = "lenient_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub conversation: Option<Conversation>,
    #[serde(
        default,
        deserialize_with = "lenient_vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub errors: Vec<WebhookError>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StatusKind {
    Sent,
    Delivered,
    Read,
    /// First play of a voice message we sent (since March 2026).
    Played,
    Failed,
    Unknown(String),
}

impl StatusKind {
    pub fn parse(status: &str) -> StatusKind {
        match status {
            "sent" => StatusKind::Sent,
            "delivered" => StatusKind::Delivered,
            "read" => StatusKind::Read,
            "played" => StatusKind::Played,
            "failed" => StatusKind::Failed,
            other => StatusKind::Unknown(other.to_owned()),
        }
    }

    /// Progress order sent < delivered < read < everything else: statuses arrive out of
    /// order, so a record only moves forward.
    pub fn rank(&self) -> u8 {
        match self {
            StatusKind::Sent => 1,
            StatusKind::Delivered => 2,
            StatusKind::Read => 3,
            StatusKind::Played => 4,
            StatusKind::Failed => 5,
            StatusKind::Unknown(_) => 6,
        }
    }
}

impl MessageStatus {
    pub fn kind(&self) -> StatusKind {
        StatusKind::parse(&self.status)
    }

    pub fn timestamp_secs(&self) -> Option<i64> {
        self.timestamp.trim().parse().ok()
    }

    /// The citizen key of the recipient: BSUID when known, else the phone number.
    pub fn recipient_key(&self) -> Option<&str> {
        [&self.recipient_user_id, &self.recipient_id]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .find(|v| !v.is_empty())
    }

    /// The first error code (e.g. 131047 on `failed`).
    pub fn error_code(&self) -> Option<i64> {
        self.errors.iter().find_map(|e| e.code)
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct Pricing {
    /// Being deprecated by Meta: decide billing from `pricing_type` + `category`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing_model: Option<String>,
    /// `regular` (charged), `free_customer_service`, `free_entry_point`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub pricing_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

/// Omitted from Graph v24.0 on, except inside a free entry point window.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct Conversation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(
        default,
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub expiration_timestamp: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub origin: Option<ConversationOrigin>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct ConversationOrigin {
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub origin_type: Option<String>,
}

/// Error object of statuses, `unsupported` messages and `value.errors[]`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct WebhookError {
    #[serde(
        default,
        deserialize_with = "lenient_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub error_data: Option<ErrorData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct ErrorData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

impl WebhookError {
    pub fn details(&self) -> Option<&str> {
        self.error_data.as_ref()?.details.as_deref()
    }
}
