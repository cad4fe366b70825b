//! The inbound queue's contract: one [`WebhookItem`] per message, status or error of a
//! webhook POST, with the FIFO group and deduplication ids that keep one citizen's messages in
//! order and make Meta's repeats harmless. Built from the wire types of `prolink_whatsapp`.

use serde::{Deserialize, Serialize};

use prolink_domain::citizen::{group_id_for, CitizenRef};
use prolink_whatsapp::webhook::{
    Change, Contact, InboundMessage, MessageStatus, WebhookError, WebhookPayload, MESSAGES_FIELD,
    PHONE_QUALITY_FIELD, TEMPLATE_STATUS_FIELD,
};

use crate::ids::sha256_hex;
use crate::ports::StatusRecord;

/// SQS allows at most 128 characters for group and deduplication ids.
const MAX_FIFO_ID_LEN: usize = 128;

/// FIFO group of system-level errors: they have no citizen.
const SYSTEM_GROUP_KEY: &str = "system";

/// The record kept by [`crate::ports::StatusLog`]. An unreadable timestamp becomes 0.
pub fn status_record(status: &MessageStatus, expires_at_ms: i64) -> StatusRecord {
    StatusRecord {
        wamid: status.id.clone(),
        status: status.status.clone(),
        timestamp: status.timestamp_secs().unwrap_or(0),
        recipient: status.recipient_key().map(str::to_owned),
        outbox_id: status.biz_opaque_callback_data.clone(),
        error_code: status.error_code(),
        expires_at_ms,
    }
}

/// One unit of work for the inbound queue.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "item", rename_all = "snake_case")]
// Items live briefly, one Vec per webhook POST; boxing the message would only complicate
// every match on it.
#[allow(clippy::large_enum_variant)]
pub enum WebhookItem {
    Message {
        phone_number_id: String,
        citizen: CitizenRef,
        message: InboundMessage,
    },
    Status {
        phone_number_id: String,
        status: MessageStatus,
    },
    /// `value.errors[]`: system-level, no citizen.
    Error {
        phone_number_id: Option<String>,
        error: WebhookError,
    },
    /// `message_template_status_update`: Meta approved, rejected, paused or disabled a
    /// template (broadcasts stop on a paused or disabled one).
    TemplateStatus {
        /// `entry[].time` (seconds), so that two reports of one template differ.
        time: Option<i64>,
        name: String,
        language: Option<String>,
        event: String,
        reason: Option<String>,
    },
    /// `phone_number_quality_update`: the number was flagged, its limit changed …
    PhoneQuality {
        time: Option<i64>,
        event: String,
        current_limit: Option<String>,
    },
}

/// The template status and number quality reports, then every message, status and system
/// error of the `messages` changes, in payload order. Changes of other fields yield nothing. A message without any sender identifier is
/// skipped (logged): it can neither be grouped per citizen nor answered.
pub fn webhook_items(payload: &WebhookPayload) -> Vec<WebhookItem> {
    let mut items = Vec::new();
    for entry in &payload.entry {
        for change in &entry.changes {
            if let Some(item) = account_item(entry.time, change) {
                items.push(item);
            }
        }
    }
    for change in payload.entry.iter().flat_map(|entry| &entry.changes) {
        if change.field != MESSAGES_FIELD {
            continue;
        }
        let value = &change.value;
        let phone_number_id = value
            .metadata
            .as_ref()
            .and_then(|m| m.phone_number_id.clone());
        for message in &value.messages {
            match citizen_of(message, &value.contacts) {
                Some(citizen) => items.push(WebhookItem::Message {
                    phone_number_id: phone_number_id.clone().unwrap_or_default(),
                    citizen,
                    message: message.clone(),
                }),
                None => tracing::warn!(
                    wamid = %message.id,
                    kind = message.kind(),
                    "webhook message without sender identifier skipped"
                ),
            }
        }
        for status in &value.statuses {
            items.push(WebhookItem::Status {
                phone_number_id: phone_number_id.clone().unwrap_or_default(),
                status: status.clone(),
            });
        }
        for error in &value.errors {
            items.push(WebhookItem::Error {
                phone_number_id: phone_number_id.clone(),
                error: error.clone(),
            });
        }
    }
    items
}

/// The account-level changes broadcasts depend on; `None` for any other field or a report
/// without its event.
fn account_item(time: Option<i64>, change: &Change) -> Option<WebhookItem> {
    let value = &change.value;
    let event = value.event.clone().filter(|e| !e.is_empty())?;
    match change.field.as_str() {
        TEMPLATE_STATUS_FIELD => Some(WebhookItem::TemplateStatus {
            time,
            name: value
                .message_template_name
                .clone()
                .filter(|n| !n.is_empty())?,
            language: value.message_template_language.clone(),
            event,
            reason: value.reason.clone(),
        }),
        PHONE_QUALITY_FIELD => Some(WebhookItem::PhoneQuality {
            time,
            event,
            current_limit: value
                .max_daily_conversations_per_business
                .clone()
                .or_else(|| value.current_limit.clone()),
        }),
        _ => None,
    }
}

/// Matches a message to its `contacts[]` entry by identifier; Meta does not promise that the
/// two arrays are index-aligned.
fn citizen_of(message: &InboundMessage, contacts: &[Contact]) -> Option<CitizenRef> {
    let same = |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(a), Some(b)) if !a.is_empty() && a == b);
    let contact = contacts
        .iter()
        .find(|c| same(&c.wa_id, &message.from) || same(&c.user_id, &message.from_user_id));
    let profile = contact.and_then(|c| c.profile.as_ref());
    let non_empty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    CitizenRef::from_ids(
        non_empty(&message.from_user_id).or_else(|| contact.and_then(|c| c.user_id.clone())),
        non_empty(&message.from).or_else(|| contact.and_then(|c| c.wa_id.clone())),
        profile.and_then(|p| p.name.clone()),
        profile.and_then(|p| p.username.clone()),
    )
}

impl WebhookItem {
    /// SQS FIFO deduplication id: the wamid for messages, `wamid:status` for statuses (one
    /// wamid has several), a hash of the item for errors. Always ≤ 128 printable ASCII
    /// characters: anything else is replaced by its hex SHA-256.
    pub fn dedup_id(&self) -> String {
        let id = match self {
            WebhookItem::Message { message, .. } => message.id.clone(),
            WebhookItem::Status { status, .. } => format!("{}:{}", status.id, status.status),
            WebhookItem::Error { .. }
            | WebhookItem::TemplateStatus { .. }
            | WebhookItem::PhoneQuality { .. } => {
                // Serializing derived plain-data types cannot fail; the fallback still keeps
                // the id deterministic.
                let json = serde_json::to_string(self).unwrap_or_default();
                return sha256_hex(&json);
            }
        };
        fifo_safe(id)
    }

    /// SQS FIFO group: hex SHA-256 of the citizen key, so one citizen's messages and the
    /// statuses of what we sent them are processed in order. Errors share one group.
    pub fn group_id(&self) -> String {
        match self {
            WebhookItem::Message { citizen, .. } => group_id_for(&citizen.key),
            WebhookItem::Status { status, .. } => {
                // Statuses get their own group per recipient, apart from the citizen's
                // messages: a worker waiting to reconcile an ambiguous send must be able to
                // see the status arrive. A status without any recipient uses its own wamid so
                // it blocks nothing.
                let recipient = status.recipient_key().unwrap_or(&status.id);
                group_id_for(&format!("{STATUS_GROUP_PREFIX}{recipient}"))
            }
            WebhookItem::Error { .. }
            | WebhookItem::TemplateStatus { .. }
            | WebhookItem::PhoneQuality { .. } => group_id_for(SYSTEM_GROUP_KEY),
        }
    }
}

/// Prefix of the group key of status items (see [`WebhookItem::group_id`]).
pub const STATUS_GROUP_PREFIX: &str = "status#";

fn fifo_safe(id: String) -> String {
    let valid = !id.is_empty()
        && id.len() <= MAX_FIFO_ID_LEN
        && id.bytes().all(|b| (33..=126).contains(&b));
    if valid {
        id
    } else {
        sha256_hex(&id)
    }
}
