//! The channel the dialog renders for: WhatsApp's interactive shapes and the limits a reply
//! must respect to be sendable at all (titles of 24 characters, row descriptions of 72, ten
//! rows, three buttons, body lengths …). These are rules of the conversation's medium, so the
//! domain owns them; the wire format (Graph JSON) is built from them at the application's edge.
//!
//! Counted in characters, not bytes, as Meta counts them. The serde form of every type is the
//! one stored in sessions and outboxes, so it must not change.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

/// Documented limits of the messages the dialog sends (characters unless stated).
pub mod limits {
    pub const TEXT_BODY: usize = 4096;
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
}

/// Why a reply cannot be sent as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
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
    #[error("{field} must be an http(s) address")]
    NotAWebAddress { field: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ListRow {
    /// Comes back as the citizen's choice.
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
    /// Comes back as the citizen's choice.
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

/// An approved template filled for one recipient: the only message allowed outside the
/// 24-hour window. Body parameters are positional (`{{1}}`, `{{2}}` …); each quick-reply
/// button, in template order, carries its payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateMessage {
    pub name: String,
    /// An approved translation (`id`).
    pub language: String,
    pub body: Vec<String>,
    #[serde(default)]
    pub quick_reply_payloads: Vec<String>,
}

/// Checks a list against the channel's limits.
pub fn check_list(message: &ListMessage) -> Result<(), LimitError> {
    required("list body", &message.body, limits::LIST_BODY)?;
    optional(
        "list header",
        message.header.as_deref(),
        limits::LIST_HEADER,
    )?;
    optional(
        "list footer",
        message.footer.as_deref(),
        limits::LIST_FOOTER,
    )?;
    required("list button", &message.button, limits::LIST_BUTTON)?;
    let sections = message.sections.len();
    count("list sections", sections, 1, limits::LIST_MAX_SECTIONS)?;
    let rows = message.sections.iter().map(|s| s.rows.len()).sum();
    count("list rows in total", rows, 1, limits::LIST_MAX_ROWS)?;
    let mut ids = HashSet::new();
    for (n, section) in (1..).zip(&message.sections) {
        let title_field = format!("list section {n} title");
        if sections > 1 {
            let title = section.title.as_deref().unwrap_or_default();
            required(&title_field, title, limits::LIST_SECTION_TITLE)?;
        } else {
            optional(
                &title_field,
                section.title.as_deref(),
                limits::LIST_SECTION_TITLE,
            )?;
        }
        count(
            &format!("rows in list section {n}"),
            section.rows.len(),
            1,
            limits::LIST_MAX_ROWS,
        )?;
        for (r, row) in (1..).zip(&section.rows) {
            let at = format!("section {n} row {r}");
            required(&format!("list row id ({at})"), &row.id, limits::LIST_ROW_ID)?;
            unique(&mut ids, "list row id", &row.id)?;
            required(
                &format!("list row title ({at})"),
                &row.title,
                limits::LIST_ROW_TITLE,
            )?;
            optional(
                &format!("list row description ({at})"),
                row.description.as_deref(),
                limits::LIST_ROW_DESCRIPTION,
            )?;
        }
    }
    Ok(())
}

/// Checks reply buttons against the channel's limits.
pub fn check_buttons(message: &ButtonsMessage) -> Result<(), LimitError> {
    required("buttons body", &message.body, limits::BUTTONS_BODY)?;
    optional(
        "buttons header",
        message.header.as_deref(),
        limits::BUTTONS_HEADER,
    )?;
    optional(
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
    let (mut ids, mut titles) = (HashSet::new(), HashSet::new());
    for (n, button) in (1..).zip(&message.buttons) {
        required(&format!("button {n} id"), &button.id, limits::BUTTON_ID)?;
        required(
            &format!("button {n} title"),
            &button.title,
            limits::BUTTON_TITLE,
        )?;
        unique(&mut ids, "button id", &button.id)?;
        unique(&mut titles, "button title", &button.title)?;
    }
    Ok(())
}

/// Checks a call-to-action button against the channel's limits.
pub fn check_cta(message: &CtaUrlMessage) -> Result<(), LimitError> {
    required("CTA body", &message.body, limits::CTA_BODY)?;
    optional("CTA header", message.header.as_deref(), limits::CTA_HEADER)?;
    optional("CTA footer", message.footer.as_deref(), limits::CTA_FOOTER)?;
    required(
        "CTA display text",
        &message.display_text,
        limits::CTA_DISPLAY_TEXT,
    )?;
    let lower = message.url.trim().to_ascii_lowercase();
    let host = ["https://", "http://"]
        .iter()
        .find_map(|scheme| lower.strip_prefix(scheme))
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .unwrap_or_default();
    if host.is_empty() || message.url.chars().any(char::is_whitespace) {
        return Err(LimitError::NotAWebAddress {
            field: "CTA url".into(),
        });
    }
    Ok(())
}

/// A required text: not blank, at most `max` characters.
pub fn required(field: &str, value: &str, max: usize) -> Result<(), LimitError> {
    if value.trim().is_empty() {
        return Err(LimitError::Empty {
            field: field.to_owned(),
        });
    }
    max_chars(field, value, max)
}

/// An optional text: blank counts as absent.
fn optional(field: &str, value: Option<&str>, max: usize) -> Result<(), LimitError> {
    match value {
        Some(v) if !v.trim().is_empty() => max_chars(field, v, max),
        _ => Ok(()),
    }
}

fn max_chars(field: &str, value: &str, max: usize) -> Result<(), LimitError> {
    let actual = value.chars().count();
    if actual > max {
        return Err(LimitError::TooLong {
            field: field.to_owned(),
            max,
            actual,
        });
    }
    Ok(())
}

fn count(what: &str, actual: usize, min: usize, max: usize) -> Result<(), LimitError> {
    if actual < min || actual > max {
        return Err(LimitError::Count {
            what: what.to_owned(),
            min,
            max,
            actual,
        });
    }
    Ok(())
}

fn unique<'a>(seen: &mut HashSet<&'a str>, field: &str, value: &'a str) -> Result<(), LimitError> {
    if seen.insert(value) {
        Ok(())
    } else {
        Err(LimitError::Duplicate {
            field: field.to_owned(),
            value: value.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, title: &str) -> ListRow {
        ListRow {
            id: id.into(),
            title: title.into(),
            description: None,
        }
    }

    fn list(rows: Vec<ListRow>) -> ListMessage {
        ListMessage {
            body: "Pilih".into(),
            button: "Menu".into(),
            sections: vec![ListSection { title: None, rows }],
            ..ListMessage::default()
        }
    }

    #[test]
    fn lists_within_the_limits_pass_and_each_limit_is_enforced() {
        assert_eq!(check_list(&list(vec![row("a", "A")])), Ok(()));
        let eleven = (0..11).map(|i| row(&format!("r{i}"), "x")).collect();
        assert!(matches!(
            check_list(&list(eleven)),
            Err(LimitError::Count { .. })
        ));
        assert!(matches!(
            check_list(&list(vec![row("a", &"x".repeat(25))])),
            Err(LimitError::TooLong { max: 24, .. })
        ));
        assert!(matches!(
            check_list(&list(vec![row("a", "A"), row("a", "B")])),
            Err(LimitError::Duplicate { .. })
        ));
        // Characters, not bytes: 24 two-byte letters fit.
        assert_eq!(check_list(&list(vec![row("a", &"é".repeat(24))])), Ok(()));
    }

    #[test]
    fn buttons_and_cta_limits() {
        let buttons = |titles: &[&str]| ButtonsMessage {
            body: "Pilih".into(),
            buttons: titles
                .iter()
                .enumerate()
                .map(|(i, t)| ReplyButton {
                    id: format!("b{i}"),
                    title: (*t).into(),
                })
                .collect(),
            ..ButtonsMessage::default()
        };
        assert_eq!(check_buttons(&buttons(&["Ya", "Tidak"])), Ok(()));
        assert!(check_buttons(&buttons(&["A", "B", "C", "D"])).is_err());
        assert!(check_buttons(&buttons(&["Sama", "Sama"])).is_err());
        let cta = |url: &str| CtaUrlMessage {
            body: "Buka".into(),
            display_text: "Buka".into(),
            url: url.into(),
            ..CtaUrlMessage::default()
        };
        assert_eq!(check_cta(&cta("https://probolinggokota.go.id/")), Ok(()));
        assert!(check_cta(&cta("javascript:alert(1)")).is_err());
        assert!(check_cta(&cta("https:// x")).is_err());
    }
}
