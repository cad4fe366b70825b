//! What the dialog engine asks the worker to send, and the guarantee that it can be sent.

use serde::{Deserialize, Serialize};

use crate::{
    channel::{
        self, limits, ButtonsMessage, CtaUrlMessage, LimitError, ListMessage, ListRow, ListSection,
        ReplyButton,
    },
    content::{split_message, ListPage},
};

/// One outbound message of a turn, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "message", rename_all = "snake_case")]
pub enum Reply {
    Text(String),
    List(ListMessage),
    Buttons(ButtonsMessage),
    CtaUrl(CtaUrlMessage),
    /// Asks for the citizen's location; the string is the body.
    LocationRequest(String),
}

impl Reply {
    /// Whether the reply fits the channel's limits (the application builds the wire body
    /// from it only then).
    pub fn check(&self) -> Result<(), LimitError> {
        match self {
            Reply::Text(text) => channel::required("text body", text, limits::TEXT_BODY),
            Reply::List(list) => channel::check_list(list),
            Reply::Buttons(buttons) => channel::check_buttons(buttons),
            Reply::CtaUrl(cta) => channel::check_cta(cta),
            Reply::LocationRequest(body) => {
                channel::required("location request body", body, limits::LOCATION_REQUEST_BODY)
            }
        }
    }

    /// The visible text of the reply (bodies, rows and buttons), for tests, logs of the
    /// simulator and the degraded form of [`ensure_sendable`].
    pub fn plain_text(&self) -> String {
        match self {
            Reply::Text(text) | Reply::LocationRequest(text) => text.clone(),
            Reply::List(list) => {
                let mut lines = vec![list.body.clone()];
                for row in list.sections.iter().flat_map(|s| s.rows.iter()) {
                    lines.push(format!("• {}", row.title));
                }
                lines.join("\n")
            }
            Reply::Buttons(buttons) => {
                let mut lines = vec![buttons.body.clone()];
                for button in &buttons.buttons {
                    lines.push(format!("[{}]", button.title));
                }
                lines.join("\n")
            }
            Reply::CtaUrl(cta) => format!("{}\n{}", cta.body, cta.url),
        }
    }
}

/// A list message from a content page.
pub fn list_from_page(page: ListPage) -> ListMessage {
    ListMessage {
        header: page.header,
        body: page.body,
        footer: page.footer,
        button: page.button,
        sections: page
            .sections
            .into_iter()
            .map(|s| ListSection {
                title: s.title,
                rows: s
                    .rows
                    .into_iter()
                    .map(|r| ListRow {
                        id: r.id,
                        title: r.title,
                        description: r.description,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// A buttons message; ids and titles come from the engine's constants.
pub fn buttons(body: impl Into<String>, buttons: &[(&str, &str)]) -> Reply {
    Reply::Buttons(ButtonsMessage {
        header: None,
        body: body.into(),
        footer: None,
        buttons: buttons
            .iter()
            .map(|(id, title)| ReplyButton {
                id: (*id).to_string(),
                title: (*title).to_string(),
            })
            .collect(),
    })
}

/// At most `max` characters, with `…` when cut.
pub fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

/// Replies the builders would refuse (content edited past a limit, a huge citizen name …)
/// become plain text split under the text limit, so the worker never retries a message that
/// can never be built. Each replacement's reason is added to `unfit` for the caller to log:
/// it means some content needs fixing.
pub fn ensure_sendable(replies: Vec<Reply>, unfit: &mut Vec<LimitError>) -> Vec<Reply> {
    let mut out = Vec::with_capacity(replies.len());
    for reply in replies {
        match reply.check() {
            Ok(_) => out.push(reply),
            Err(error) => {
                unfit.push(error);
                out.extend(
                    split_message(&reply.plain_text(), limits::TEXT_BODY)
                        .into_iter()
                        .map(Reply::Text),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_interactive_replies_degrade_to_text() {
        let too_many = buttons("Pilih", &[("a", "A"), ("b", "B"), ("c", "C"), ("d", "D")]);
        let long_text = Reply::Text("x ".repeat(3000));
        let mut unfit = Vec::new();
        let out = ensure_sendable(vec![too_many, long_text], &mut unfit);
        assert_eq!(unfit.len(), 2, "{unfit:?}");
        assert_eq!(out.len(), 3);
        assert!(out.iter().all(|r| matches!(r, Reply::Text(_))));
        assert_eq!(out[0].plain_text(), "Pilih\n[A]\n[B]\n[C]\n[D]");
        assert!(out.iter().all(|r| r.check().is_ok()));
    }

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate_chars("abc", 3), "abc");
        assert_eq!(truncate_chars("ééééé", 3), "éé…");
    }
}
