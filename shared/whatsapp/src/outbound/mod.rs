//! Builders of the exact JSON bodies of `POST /{phone-number-id}/messages`.
//!
//! Every limit Meta documents is enforced here, counted in characters (not bytes), so that a
//! message that would be rejected by Meta (error 100/131008/131009) never leaves the process;
//! the caller gets a [`BuildError`] naming the field instead.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

mod template;

pub use template::*;

/// Where a reply to a citizen goes: `to` (phone) or the top-level `recipient` (BSUID).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum ReplyAddress {
    /// Phone digits as WhatsApp reports them (`wa_id`), with or without a leading `+`.
    Phone(String),
    /// Business-scoped user id.
    UserId(String),
}

impl ReplyAddress {
    /// The Graph API field that carries this address.
    pub fn field(&self) -> &'static str {
        match self {
            ReplyAddress::Phone(_) => "to",
            ReplyAddress::UserId(_) => "recipient",
        }
    }

    /// The value as sent to the Graph API. Phone numbers get a leading `+` because without it
    /// Meta prepends the business number's own country code, which can misdeliver.
    pub fn wire_value(&self) -> String {
        match self {
            ReplyAddress::Phone(phone) if phone.starts_with('+') => phone.clone(),
            ReplyAddress::Phone(phone) => format!("+{phone}"),
            ReplyAddress::UserId(user_id) => user_id.clone(),
        }
    }
}

/// Documented sending limits (characters unless stated).
pub mod limits {
    pub const TEXT_BODY: usize = 4096;
    pub const MEDIA_CAPTION: usize = 1024;
    pub const LIST_BODY: usize = 4096;
    pub const LIST_HEADER: usize = 60;
    pub const LIST_FOOTER: usize = 60;
    pub const LIST_BUTTON: usize = 20;
    pub const LIST_MAX_SECTIONS: usize = 10;
    /// Rows in total, across all sections.
    pub const LIST_MAX_ROWS: usize = 10;
    pub const LIST_SECTION_TITLE: usize = 24;
    pub const LIST_ROW_ID: usize = 200;
    pub const LIST_ROW_TITLE: usize = 24;
    pub const LIST_ROW_DESCRIPTION: usize = 72;
    pub const BUTTONS_MAX: usize = 3;
    pub const BUTTONS_BODY: usize = 1024;
    pub const BUTTON_TITLE: usize = 20;
    pub const BUTTON_ID: usize = 256;
    pub const BUTTONS_HEADER: usize = 60;
    pub const BUTTONS_FOOTER: usize = 60;
    pub const CTA_BODY: usize = 1024;
    pub const CTA_DISPLAY_TEXT: usize = 20;
    pub const CTA_HEADER: usize = 60;
    pub const CTA_FOOTER: usize = 60;
    pub const LOCATION_REQUEST_BODY: usize = 1024;
    /// Templates have at most 10 buttons, addressed by a 0-based index.
    pub const TEMPLATE_MAX_BUTTON_INDEX: u8 = 9;
    pub const TEMPLATE_NAME: usize = 512;
}

/// Why a message was refused before sending.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("{field} is required")]
    Empty { field: String },
    #[error("{field} has {actual} characters, the limit is {max}")]
    TooLong {
        field: String,
        max: usize,
        actual: usize,
    },
    #[error("{what}: {actual} given, allowed {min} to {max}")]
    Count {
        what: String,
        min: usize,
        max: usize,
        actual: usize,
    },
    #[error("{field} {value:?} is used more than once")]
    Duplicate { field: String, value: String },
    #[error("{field} is invalid: {reason}")]
    Invalid { field: String, reason: String },
}

pub type BuildResult = Result<Value, BuildError>;

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ListRow {
    /// Comes back as `list_reply.id`.
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ListSection {
    /// Required when the list has more than one section.
    #[serde(default)]
    pub title: Option<String>,
    pub rows: Vec<ListRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ListMessage {
    #[serde(default)]
    pub header: Option<String>,
    pub body: String,
    #[serde(default)]
    pub footer: Option<String>,
    /// Label of the button that opens the list.
    pub button: String,
    pub sections: Vec<ListSection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReplyButton {
    /// Comes back as `button_reply.id`.
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ButtonsMessage {
    #[serde(default)]
    pub header: Option<String>,
    pub body: String,
    #[serde(default)]
    pub footer: Option<String>,
    pub buttons: Vec<ReplyButton>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CtaUrlMessage {
    #[serde(default)]
    pub header: Option<String>,
    pub body: String,
    #[serde(default)]
    pub footer: Option<String>,
    pub display_text: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaSource {
    /// Uploaded media id (preferred).
    Id(String),
    /// Public HTTPS URL.
    Link(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    Document,
    Sticker,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
            MediaKind::Document => "document",
            MediaKind::Sticker => "sticker",
        }
    }

    fn takes_caption(self) -> bool {
        matches!(
            self,
            MediaKind::Image | MediaKind::Video | MediaKind::Document
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

/// A text message (≤ 4096 characters).
pub fn text(to: &ReplyAddress, body: &str, preview_url: bool) -> BuildResult {
    required("text body", body, limits::TEXT_BODY)?;
    envelope(
        to,
        "text",
        json!({ "preview_url": preview_url, "body": body }),
    )
}

/// An interactive list (one button opening up to 10 rows in up to 10 sections).
pub fn list(to: &ReplyAddress, message: &ListMessage) -> BuildResult {
    required("list body", &message.body, limits::LIST_BODY)?;
    let header = optional(
        "list header",
        message.header.as_deref(),
        limits::LIST_HEADER,
    )?;
    let footer = optional(
        "list footer",
        message.footer.as_deref(),
        limits::LIST_FOOTER,
    )?;
    required("list button", &message.button, limits::LIST_BUTTON)?;
    count(
        "list sections",
        message.sections.len(),
        1,
        limits::LIST_MAX_SECTIONS,
    )?;
    let total_rows = message.sections.iter().map(|s| s.rows.len()).sum();
    count("list rows in total", total_rows, 1, limits::LIST_MAX_ROWS)?;

    let several = message.sections.len() > 1;
    let mut row_ids = HashSet::new();
    let mut sections = Vec::with_capacity(message.sections.len());
    for (s, section) in message.sections.iter().enumerate() {
        let n = s + 1;
        let title_field = format!("list section {n} title");
        let title = if several {
            let title = section.title.as_deref().unwrap_or_default();
            required(&title_field, title, limits::LIST_SECTION_TITLE)?;
            Some(title.to_owned())
        } else {
            optional(
                &title_field,
                section.title.as_deref(),
                limits::LIST_SECTION_TITLE,
            )?
        };
        count(
            &format!("rows in list section {n}"),
            section.rows.len(),
            1,
            limits::LIST_MAX_ROWS,
        )?;
        let mut rows = Vec::with_capacity(section.rows.len());
        for (r, row) in section.rows.iter().enumerate() {
            let at = format!("section {n} row {}", r + 1);
            required(&format!("list row id ({at})"), &row.id, limits::LIST_ROW_ID)?;
            if !row_ids.insert(row.id.as_str()) {
                return Err(BuildError::Duplicate {
                    field: "list row id".into(),
                    value: row.id.clone(),
                });
            }
            required(
                &format!("list row title ({at})"),
                &row.title,
                limits::LIST_ROW_TITLE,
            )?;
            let description = optional(
                &format!("list row description ({at})"),
                row.description.as_deref(),
                limits::LIST_ROW_DESCRIPTION,
            )?;
            let mut row_json = json!({ "id": row.id, "title": row.title });
            if let Some(description) = description {
                row_json["description"] = Value::String(description);
            }
            rows.push(row_json);
        }
        let mut section_json = json!({ "rows": rows });
        if let Some(title) = title {
            section_json["title"] = Value::String(title);
        }
        sections.push(section_json);
    }

    let interactive = interactive_body(
        "list",
        header,
        &message.body,
        footer,
        json!({ "button": message.button, "sections": sections }),
    );
    envelope(to, "interactive", interactive)
}

/// Up to three reply buttons.
pub fn reply_buttons(to: &ReplyAddress, message: &ButtonsMessage) -> BuildResult {
    required("buttons body", &message.body, limits::BUTTONS_BODY)?;
    let header = optional(
        "buttons header",
        message.header.as_deref(),
        limits::BUTTONS_HEADER,
    )?;
    let footer = optional(
        "buttons footer",
        message.footer.as_deref(),
        limits::BUTTONS_FOOTER,
    )?;
    count(
        "reply buttons",
        message.buttons.len(),
        1,
        limits::BUTTONS_MAX,
    )?;
    let mut ids = HashSet::new();
    let mut titles = HashSet::new();
    let mut buttons = Vec::with_capacity(message.buttons.len());
    for (i, button) in message.buttons.iter().enumerate() {
        let n = i + 1;
        required(&format!("button {n} id"), &button.id, limits::BUTTON_ID)?;
        required(
            &format!("button {n} title"),
            &button.title,
            limits::BUTTON_TITLE,
        )?;
        if !ids.insert(button.id.as_str()) {
            return Err(BuildError::Duplicate {
                field: "button id".into(),
                value: button.id.clone(),
            });
        }
        if !titles.insert(button.title.as_str()) {
            return Err(BuildError::Duplicate {
                field: "button title".into(),
                value: button.title.clone(),
            });
        }
        buttons.push(json!({
            "type": "reply",
            "reply": { "id": button.id, "title": button.title }
        }));
    }
    let interactive = interactive_body(
        "button",
        header,
        &message.body,
        footer,
        json!({ "buttons": buttons }),
    );
    envelope(to, "interactive", interactive)
}

/// One button opening an http(s) URL.
pub fn cta_url(to: &ReplyAddress, message: &CtaUrlMessage) -> BuildResult {
    required("CTA body", &message.body, limits::CTA_BODY)?;
    let header = optional("CTA header", message.header.as_deref(), limits::CTA_HEADER)?;
    let footer = optional("CTA footer", message.footer.as_deref(), limits::CTA_FOOTER)?;
    required(
        "CTA display text",
        &message.display_text,
        limits::CTA_DISPLAY_TEXT,
    )?;
    check_url("CTA url", &message.url, &["http://", "https://"])?;
    let interactive = interactive_body(
        "cta_url",
        header,
        &message.body,
        footer,
        json!({
            "name": "cta_url",
            "parameters": { "display_text": message.display_text, "url": message.url }
        }),
    );
    envelope(to, "interactive", interactive)
}

/// Asks the user to share a location; the answer is a `location` message with `context`.
pub fn location_request(to: &ReplyAddress, body: &str) -> BuildResult {
    required("location request body", body, limits::LOCATION_REQUEST_BODY)?;
    envelope(
        to,
        "interactive",
        json!({
            "type": "location_request_message",
            "body": { "text": body },
            "action": { "name": "send_location" }
        }),
    )
}

/// A reaction to a message the user sent us; an empty emoji removes our reaction.
pub fn reaction(to: &ReplyAddress, message_id: &str, emoji: &str) -> BuildResult {
    required("reaction message_id", message_id, usize::MAX)?;
    envelope(
        to,
        "reaction",
        json!({ "message_id": message_id, "emoji": emoji }),
    )
}

/// A media message by uploaded id or public HTTPS link.
pub fn media(
    to: &ReplyAddress,
    kind: MediaKind,
    source: &MediaSource,
    caption: Option<&str>,
    filename: Option<&str>,
) -> BuildResult {
    let mut body = Map::new();
    match source {
        MediaSource::Id(id) => {
            required("media id", id, usize::MAX)?;
            body.insert("id".into(), Value::String(id.clone()));
        }
        MediaSource::Link(link) => {
            check_url("media link", link, &["https://"])?;
            body.insert("link".into(), Value::String(link.clone()));
        }
    }
    if let Some(caption) = optional("media caption", caption, limits::MEDIA_CAPTION)? {
        if !kind.takes_caption() {
            return Err(invalid(
                "media caption",
                "audio and stickers take no caption",
            ));
        }
        body.insert("caption".into(), Value::String(caption));
    }
    if let Some(filename) = optional("media filename", filename, 240)? {
        if kind != MediaKind::Document {
            return Err(invalid("media filename", "only documents take a filename"));
        }
        body.insert("filename".into(), Value::String(filename));
    }
    envelope(to, kind.as_str(), Value::Object(body))
}

/// Marks a received message (and the earlier ones) as read; with `typing_indicator` the user
/// also sees "typing…" until we answer or 25 s pass. Not addressed: the wamid is enough.
pub fn mark_read(message_id: &str, typing_indicator: bool) -> BuildResult {
    required("mark-as-read message_id", message_id, usize::MAX)?;
    let mut body = json!({
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": message_id
    });
    if typing_indicator {
        body["typing_indicator"] = json!({ "type": "text" });
    }
    Ok(body)
}

/// Sets `biz_opaque_callback_data`, echoed back in status webhooks to find our outbox row.
pub fn with_callback(mut body: Value, outbox_id: &str) -> Value {
    if let Value::Object(map) = &mut body {
        map.insert(
            "biz_opaque_callback_data".into(),
            Value::String(outbox_id.to_owned()),
        );
    }
    body
}

/// Quotes an earlier message (contextual reply). Meta refuses it on reactions, so those are
/// left unchanged.
pub fn with_reply_context(mut body: Value, message_id: &str) -> Value {
    let is_reaction = body.get("type").and_then(Value::as_str) == Some("reaction");
    if let (Value::Object(map), false) = (&mut body, is_reaction) {
        map.insert("context".into(), json!({ "message_id": message_id }));
    }
    body
}

/// Splits a long text into chunks of at most `max_chars` characters, preferring paragraph,
/// then line, then word boundaries, and cutting inside a word only when a word alone is too
/// long. Whitespace at the cut points is dropped (WhatsApp trims it anyway); empty or
/// whitespace-only text gives no chunk.
pub fn split_text(text: &str, max_chars: usize) -> Vec<String> {
    let max_chars = max_chars.max(1);
    let mut chunks = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        // Byte offset just after the first `max_chars` characters, or None if it all fits.
        let Some((limit, _)) = rest.char_indices().nth(max_chars) else {
            chunks.push(rest.to_owned());
            break;
        };
        // `rest` starts with a non-space and the cut is ≥ 1 byte in, so `head` is never empty.
        let (head, tail) = rest.split_at(best_cut(rest, limit, max_chars));
        chunks.push(head.trim_end().to_owned());
        rest = tail.trim_start();
    }
    chunks
}

/// Where to cut `text` (byte offset, on a char boundary, ≤ `limit`). A boundary in the second
/// half of the window is preferred so chunks do not come out tiny.
fn best_cut(text: &str, limit: usize, max_chars: usize) -> usize {
    let window = &text[..limit];
    let half = window
        .char_indices()
        .nth(max_chars / 2)
        .map_or(0, |(i, _)| i)
        .max(1);
    let finders: [fn(&str) -> Option<usize>; 3] = [
        |w| w.rfind("\n\n"),
        |w| w.rfind('\n'),
        |w| w.rfind(char::is_whitespace),
    ];
    for min in [half, 1] {
        for find in finders {
            if let Some(at) = find(window).filter(|&at| at >= min) {
                return at;
            }
        }
    }
    limit
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn envelope(to: &ReplyAddress, kind: &str, content: Value) -> BuildResult {
    let (ReplyAddress::Phone(value) | ReplyAddress::UserId(value)) = to;
    let digits = value.trim_start_matches('+');
    if digits.trim().is_empty() {
        return Err(BuildError::Empty {
            field: to.field().into(),
        });
    }
    if let ReplyAddress::Phone(_) = to {
        // `wa_id` is digits only; anything else would reach a wrong or no number.
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid("to", "a phone number has only digits"));
        }
    }
    let mut map = Map::new();
    map.insert("messaging_product".into(), json!("whatsapp"));
    map.insert("recipient_type".into(), json!("individual"));
    map.insert(to.field().into(), Value::String(to.wire_value()));
    map.insert("type".into(), Value::String(kind.to_owned()));
    map.insert(kind.to_owned(), content);
    Ok(Value::Object(map))
}

fn interactive_body(
    kind: &str,
    header: Option<String>,
    body: &str,
    footer: Option<String>,
    action: Value,
) -> Value {
    let mut interactive = json!({ "type": kind, "body": { "text": body }, "action": action });
    if let Some(header) = header {
        interactive["header"] = json!({ "type": "text", "text": header });
    }
    if let Some(footer) = footer {
        interactive["footer"] = json!({ "text": footer });
    }
    interactive
}

fn required(field: &str, value: &str, max: usize) -> Result<(), BuildError> {
    if value.trim().is_empty() {
        return Err(BuildError::Empty {
            field: field.to_owned(),
        });
    }
    max_chars(field, value, max)
}

/// Empty optional texts are treated as absent rather than refused.
fn optional(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, BuildError> {
    match value {
        Some(v) if !v.trim().is_empty() => {
            max_chars(field, v, max)?;
            Ok(Some(v.to_owned()))
        }
        _ => Ok(None),
    }
}

fn max_chars(field: &str, value: &str, max: usize) -> Result<(), BuildError> {
    let actual = value.chars().count();
    if actual > max {
        return Err(BuildError::TooLong {
            field: field.to_owned(),
            max,
            actual,
        });
    }
    Ok(())
}

fn count(what: &str, actual: usize, min: usize, max: usize) -> Result<(), BuildError> {
    if actual < min || actual > max {
        return Err(BuildError::Count {
            what: what.to_owned(),
            min,
            max,
            actual,
        });
    }
    Ok(())
}

fn invalid(field: &str, reason: &str) -> BuildError {
    BuildError::Invalid {
        field: field.to_owned(),
        reason: reason.to_owned(),
    }
}

fn check_url(field: &str, url: &str, schemes: &[&str]) -> Result<(), BuildError> {
    if url.trim().is_empty() {
        return Err(BuildError::Empty {
            field: field.to_owned(),
        });
    }
    let lower = url.to_ascii_lowercase();
    let Some(rest) = schemes.iter().find_map(|s| lower.strip_prefix(s)) else {
        return Err(invalid(
            field,
            &format!("must start with {}", schemes.join(" or ")),
        ));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') || host.contains('@') {
        return Err(invalid(field, "has no valid host"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(field, "contains whitespace"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_wire_value_gets_exactly_one_plus() {
        assert_eq!(ReplyAddress::Phone("628123".into()).wire_value(), "+628123");
        assert_eq!(
            ReplyAddress::Phone("+628123".into()).wire_value(),
            "+628123"
        );
        assert_eq!(ReplyAddress::Phone("628123".into()).field(), "to");
        let user = ReplyAddress::UserId("ID.6381920475638192047".into());
        assert_eq!(user.field(), "recipient");
        assert_eq!(user.wire_value(), "ID.6381920475638192047");
    }

    #[test]
    fn reply_address_round_trips_through_json() {
        let address = ReplyAddress::UserId("ID.1".into());
        let json = serde_json::to_string(&address).expect("serialize");
        assert_eq!(json, r#"{"kind":"user_id","value":"ID.1"}"#);
        let back: ReplyAddress = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, address);
    }
}
