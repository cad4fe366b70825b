//! Conversations: the message log per citizen (what the citizen sent, what the bot and the
//! operators answered, as shown, with delivery states) and one summary per conversation
//! (handoff, who claimed it, since when the citizen waits). The rules both stores apply
//! (keys, validation) and the use cases around them live here; the stores implement
//! [`ConversationLog`].
//!
//! Citizens are named by [`ConversationSummary::id`], a random id stored in the summary:
//! never derived from the phone number, because URLs reach access logs.

use std::sync::Arc;

use serde_json::Value;
use tracing::{info, warn};

use prolink_domain::citizen::CitizenRef;
use prolink_domain::dialog::Handoff;
use prolink_whatsapp::webhook::{InboundMessage, InteractiveReply, MessageContent};

use crate::complaint_rules::MAX_SORT_MS;
use crate::ids::short_hash;
use crate::ports::{
    Clock, ConversationFilter, ConversationLog, ConversationSummary, Direction, LoggedMessage,
    OperatorAlert, OperatorSignals, OutboxRecord, PageRequest, PortError, PortResult,
};
use crate::sender::wire_body;

/// The kind of the alert raised when a handoff waits too long for an operator.
pub const HANDOFF_ALERT_KIND: &str = "handoff";
/// Default of `PROLINK_HANDOFF_ALERT_MINUTES`: no operator reply this long after the citizen
/// asked (or wrote again) raises an alert.
pub const DEFAULT_HANDOFF_ALERT_MINUTES: i64 = 15;
/// Longest text kept per entry (a WhatsApp text body is at most 4096 characters).
const MAX_TEXT_CHARS: usize = 4096;
/// Versioned summary writes retried after a lost race.
const SUMMARY_ATTEMPTS: u32 = 5;
/// Conversations in handoff the scheduler reads per tick.
const WATCH_PAGE: usize = 200;

/// A fresh opaque conversation id: `c` and 32 hex digits (random, not derived from anything).
pub fn new_conversation_id() -> String {
    format!("c{}", uuid::Uuid::new_v4().simple())
}

/// Whether `id` has the shape [`new_conversation_id`] gives (checked before any store read).
pub fn valid_conversation_id(id: &str) -> bool {
    id.len() == 33
        && id.starts_with('c')
        && id[1..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Sort key of the `handoff` index (ascending): waiting conversations first by the time they
/// wait since, then answered ones by the start of their handoff. `None` outside a handoff.
pub fn handoff_sort_key(summary: &ConversationSummary) -> Option<String> {
    let since = summary.handoff_since_ms?;
    Some(match summary.waiting_since_ms {
        Some(waiting) => format!("0#{:013}#{}", waiting.clamp(0, MAX_SORT_MS), summary.id),
        None => format!("1#{:013}#{}", since.clamp(0, MAX_SORT_MS), summary.id),
    })
}

/// Sort key of the `recent` index (descending): last message time.
pub fn recent_sort_key(summary: &ConversationSummary) -> String {
    format!(
        "{:013}#{}",
        summary.last_message_ms.clamp(0, MAX_SORT_MS),
        summary.id
    )
}

/// Sort key of one message inside a citizen's log (also its page cursor).
pub fn message_sort_key(at_ms: i64, id: &str) -> String {
    format!("{:013}#{id}", at_ms.clamp(0, MAX_SORT_MS))
}

/// A cursor of a conversation list: one of the sort keys above.
pub fn check_list_cursor(cursor: &str) -> PortResult<()> {
    let ok =
        cursor.len() <= 256 && cursor.bytes().all(|b| b.is_ascii_graphic()) && cursor.contains('#');
    if ok {
        Ok(())
    } else {
        Err(PortError::Invalid(format!(
            "malformed page cursor {cursor:?}"
        )))
    }
}

pub fn check_message(message: &LoggedMessage) -> PortResult<()> {
    if message.citizen_key.is_empty() || message.id.is_empty() {
        return Err(PortError::Invalid(
            "message log entry needs a citizen key and an id".into(),
        ));
    }
    if !(0..=MAX_SORT_MS).contains(&message.at_ms) {
        return Err(PortError::Invalid(format!(
            "message time {} out of range",
            message.at_ms
        )));
    }
    Ok(())
}

pub fn check_summary(summary: &ConversationSummary) -> PortResult<()> {
    if summary.citizen_key.is_empty() || !valid_conversation_id(&summary.id) {
        return Err(PortError::Invalid(
            "conversation needs a citizen key and a well-formed id".into(),
        ));
    }
    if !(0..=MAX_SORT_MS).contains(&summary.last_message_ms) {
        return Err(PortError::Invalid("last message time out of range".into()));
    }
    Ok(())
}

fn clip(text: &str) -> String {
    text.chars().take(MAX_TEXT_CHARS).collect()
}

fn some_text(text: &str) -> Option<String> {
    (!text.trim().is_empty()).then(|| clip(text))
}

/// The log entry of a message the citizen sent.
pub fn inbound_entry(
    citizen_key: &str,
    message: &InboundMessage,
    at_ms: i64,
    expires_at_ms: i64,
) -> LoggedMessage {
    let mut entry = LoggedMessage {
        citizen_key: citizen_key.to_string(),
        id: message.id.clone(),
        at_ms,
        direction: Direction::Inbound,
        actor: None,
        kind: message.content.kind().to_string(),
        text: None,
        choices: Vec::new(),
        media_ref: None,
        delivery: None,
        expires_at_ms,
    };
    match &message.content {
        MessageContent::Text(body) => entry.text = some_text(&body.body),
        MessageContent::Interactive(InteractiveReply::ButtonReply(reply)) => {
            entry.choices = vec![reply.title.clone()]
        }
        MessageContent::Interactive(InteractiveReply::ListReply(reply)) => {
            entry.choices = vec![reply.title.clone()]
        }
        MessageContent::Interactive(other) => entry.kind = other.kind().to_string(),
        MessageContent::Button(button) => {
            entry.choices = button.text.iter().cloned().collect();
        }
        MessageContent::Image(media)
        | MessageContent::Video(media)
        | MessageContent::Audio(media)
        | MessageContent::Document(media)
        | MessageContent::Sticker(media) => {
            entry.media_ref = Some(media.id.clone());
            entry.text = media
                .caption
                .as_deref()
                .or(media.filename.as_deref())
                .and_then(some_text);
        }
        MessageContent::Location(location) => {
            let place = [location.name.as_deref(), location.address.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            entry.text = Some(clip(&format!(
                "{:.6}, {:.6}{}",
                location.latitude,
                location.longitude,
                if place.is_empty() {
                    String::new()
                } else {
                    format!(" ({place})")
                }
            )));
        }
        MessageContent::Reaction(reaction) => entry.text = reaction.emoji.clone(),
        _ => {}
    }
    entry
}

fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut current = value;
    for key in path {
        current = current.get(key)?;
    }
    current.as_str()
}

/// What a Graph body shows: (kind, text, choices, media reference).
fn describe_body(body: &Value) -> (String, Option<String>, Vec<String>, Option<String>) {
    let kind = str_at(body, &["type"]).unwrap_or("unknown").to_string();
    let mut choices = Vec::new();
    let mut media = None;
    let text = match kind.as_str() {
        "text" => str_at(body, &["text", "body"]).map(clip),
        "interactive" => {
            let interactive = body.get("interactive").unwrap_or(&Value::Null);
            if let Some(buttons) = interactive
                .get("action")
                .and_then(|a| a.get("buttons"))
                .and_then(Value::as_array)
            {
                choices.extend(
                    buttons
                        .iter()
                        .filter_map(|b| str_at(b, &["reply", "title"]).map(str::to_string)),
                );
            }
            if let Some(sections) = interactive
                .get("action")
                .and_then(|a| a.get("sections"))
                .and_then(Value::as_array)
            {
                for section in sections {
                    if let Some(rows) = section.get("rows").and_then(Value::as_array) {
                        choices.extend(
                            rows.iter()
                                .filter_map(|r| str_at(r, &["title"]).map(str::to_string)),
                        );
                    }
                }
            }
            if let Some(label) = str_at(interactive, &["action", "parameters", "display_text"]) {
                choices.push(label.to_string());
            }
            str_at(interactive, &["body", "text"]).map(clip)
        }
        "template" => {
            let name = str_at(body, &["template", "name"]).unwrap_or("-");
            let parameters: Vec<&str> = body
                .get("template")
                .and_then(|t| t.get("components"))
                .and_then(Value::as_array)
                .map(|components| {
                    components
                        .iter()
                        .filter(|c| str_at(c, &["type"]) == Some("body"))
                        .filter_map(|c| c.get("parameters").and_then(Value::as_array))
                        .flatten()
                        .filter_map(|p| str_at(p, &["text"]))
                        .collect()
                })
                .unwrap_or_default();
            Some(clip(&format!("[{name}] {}", parameters.join(" | "))))
        }
        "image" | "document" | "video" | "audio" | "sticker" => {
            let object = body.get(&kind).unwrap_or(&Value::Null);
            media = str_at(object, &["link"])
                .or(str_at(object, &["id"]))
                .map(str::to_string);
            str_at(object, &["caption"]).map(clip)
        }
        _ => None,
    };
    (kind, text, choices, media)
}

/// The log entry of an outbound message, from its outbox record (time, state, body as sent).
pub fn outbound_entry(record: &OutboxRecord, actor: Option<&str>) -> LoggedMessage {
    let (kind, text, choices, media_ref) = describe_body(&wire_body(record));
    LoggedMessage {
        citizen_key: record.citizen_key.clone(),
        id: record.outbox_id.clone(),
        at_ms: record.created_ms.clamp(0, MAX_SORT_MS),
        direction: Direction::Outbound,
        actor: actor.map(str::to_string),
        kind,
        text,
        choices,
        media_ref,
        delivery: Some(record.state),
        expires_at_ms: record.expires_at_ms,
    }
}

/// Logs an outbound record: a new entry, or the state of the existing one.
pub async fn log_outbound(
    log: &dyn ConversationLog,
    record: &OutboxRecord,
    actor: Option<&str>,
) -> PortResult<()> {
    let entry = outbound_entry(record, actor);
    if !log.append_message(&entry).await? {
        log.set_delivery(&entry.citizen_key, entry.at_ms, &entry.id, record.state)
            .await?;
    }
    Ok(())
}

/// What one scheduler pass over the handoffs did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct HandoffWatch {
    /// Conversations in handoff read.
    pub examined: usize,
    /// No-reply alerts raised.
    pub alerts: usize,
    /// Lapsed handoffs moved back to the bot.
    pub lapsed: usize,
}

/// The conversation summaries' use cases (worker, API, scheduler).
#[derive(Clone)]
pub struct Conversations {
    pub log: Arc<dyn ConversationLog>,
    pub clock: Arc<dyn Clock>,
}

impl Conversations {
    pub fn new(log: Arc<dyn ConversationLog>, clock: Arc<dyn Clock>) -> Conversations {
        Conversations { log, clock }
    }

    /// Reads, changes and writes the summary of `citizen_key` (created with a fresh id when
    /// absent), again after a lost race. `change` returns false to write nothing.
    pub async fn update(
        &self,
        citizen_key: &str,
        change: impl Fn(&mut ConversationSummary) -> bool,
    ) -> PortResult<Option<ConversationSummary>> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut summary = match self.log.get_conversation(citizen_key).await? {
                Some(summary) => summary,
                None => ConversationSummary {
                    citizen_key: citizen_key.to_string(),
                    id: new_conversation_id(),
                    last_message_ms: 0,
                    ..ConversationSummary::default()
                },
            };
            if !change(&mut summary) {
                return Ok(None);
            }
            match self.log.put_conversation(&summary).await {
                Ok(version) => {
                    summary.version = version;
                    return Ok(Some(summary));
                }
                Err(PortError::Conflict(_)) if attempt < SUMMARY_ATTEMPTS => continue,
                Err(error) => return Err(error),
            }
        }
    }

    /// A citizen message was handled: name, number, times, and the handoff as the dialog
    /// session has it after the turn (`None`: with the bot).
    pub async fn record_inbound(
        &self,
        citizen_key: &str,
        citizen: &CitizenRef,
        at_ms: i64,
        handoff: Option<Handoff>,
    ) -> PortResult<()> {
        let now = self.clock.now_ms();
        self.update(citizen_key, |s| {
            if let Some(name) = citizen.name.as_deref().filter(|n| !n.trim().is_empty()) {
                s.name = Some(name.to_string());
            }
            if citizen.wa_id.is_some() {
                s.phone.clone_from(&citizen.wa_id);
            }
            s.last_inbound_ms = Some(s.last_inbound_ms.unwrap_or(0).max(at_ms));
            s.last_message_ms = s.last_message_ms.max(at_ms).clamp(0, MAX_SORT_MS);
            match handoff.filter(|h| now < h.until_ms) {
                Some(h) if s.handoff_since_ms != Some(h.since_ms) => {
                    s.handoff_since_ms = Some(h.since_ms);
                    s.handoff_until_ms = Some(h.until_ms);
                    s.waiting_since_ms = Some(h.since_ms);
                    s.alerted_for_ms = None;
                    s.claimed_by = None;
                    s.claimed_ms = None;
                }
                Some(_) => {
                    // Written again after an operator's answer: waiting again from now.
                    if s.waiting_since_ms.is_none() {
                        s.waiting_since_ms = Some(at_ms);
                    }
                }
                None => end_handoff(s),
            }
            true
        })
        .await?;
        Ok(())
    }

    /// An operator answered: the citizen no longer waits.
    pub async fn record_operator_reply(&self, citizen_key: &str, at_ms: i64) -> PortResult<()> {
        self.update(citizen_key, |s| {
            s.last_operator_reply_ms = Some(at_ms);
            s.last_message_ms = s.last_message_ms.max(at_ms).clamp(0, MAX_SORT_MS);
            s.waiting_since_ms = None;
            true
        })
        .await?;
        Ok(())
    }

    /// The scheduler's pass: a handoff waiting longer than `alert_after_ms` for an operator
    /// raises one alert (per waiting period); a lapsed handoff goes back to the bot.
    pub async fn watch_handoffs(
        &self,
        signals: &dyn OperatorSignals,
        alert_after_ms: i64,
    ) -> PortResult<HandoffWatch> {
        let now = self.clock.now_ms();
        let page = self
            .log
            .list_conversations(
                ConversationFilter::Handoff,
                &PageRequest {
                    limit: WATCH_PAGE,
                    after: None,
                },
            )
            .await?;
        let mut report = HandoffWatch {
            examined: page.items.len(),
            ..HandoffWatch::default()
        };
        for summary in page.items {
            if !summary.in_handoff(now) {
                let since = summary.handoff_since_ms;
                self.update(&summary.citizen_key, |s| {
                    if s.handoff_since_ms != since || s.in_handoff(now) {
                        return false;
                    }
                    end_handoff(s);
                    true
                })
                .await?;
                report.lapsed += 1;
                continue;
            }
            let Some(waiting) = summary.waiting_since_ms else {
                continue;
            };
            if now.saturating_sub(waiting) < alert_after_ms
                || summary.alerted_for_ms == Some(waiting)
            {
                continue;
            }
            let minutes = now.saturating_sub(waiting) / 60_000;
            signals
                .raise_alert(&OperatorAlert {
                    id: format!(
                        "handoff_wait.{}",
                        short_hash(&format!("{}#{waiting}", summary.citizen_key))
                    ),
                    kind: HANDOFF_ALERT_KIND.to_string(),
                    message: format!(
                        "Warga{} sudah menunggu balasan petugas selama {minutes} menit. \
                         Balas percakapannya dari dasbor.",
                        summary
                            .name
                            .as_deref()
                            .map(|n| format!(" {n}"))
                            .unwrap_or_default()
                    ),
                    citizen_key: Some(summary.citizen_key.clone()),
                    raised_ms: now,
                    opd_id: None,
                })
                .await?;
            self.update(&summary.citizen_key, |s| {
                if s.waiting_since_ms != Some(waiting) {
                    return false;
                }
                s.alerted_for_ms = Some(waiting);
                true
            })
            .await?;
            info!(conversation = %summary.id, minutes, "handoff waiting for an operator: alert raised");
            report.alerts += 1;
        }
        if report.alerts + report.lapsed > 0 {
            info!(?report, "handoffs watched");
        }
        Ok(report)
    }
}

/// Back with the bot: no handoff, nobody waits, nobody holds it.
pub fn end_handoff(summary: &mut ConversationSummary) {
    if summary.handoff_since_ms.is_some() {
        summary.claimed_by = None;
        summary.claimed_ms = None;
    }
    summary.handoff_since_ms = None;
    summary.handoff_until_ms = None;
    summary.waiting_since_ms = None;
}

/// Logs an inbound message; a failure is logged and left (the log is a record for operators,
/// never a reason to hold the citizen's answer back).
pub async fn log_inbound_best_effort(log: &dyn ConversationLog, entry: &LoggedMessage) {
    if let Err(error) = log.append_message(entry).await {
        warn!(%error, "inbound message not logged");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_opaque_and_checked() {
        let id = new_conversation_id();
        assert!(valid_conversation_id(&id), "{id}");
        assert_ne!(id, new_conversation_id());
        for bad in [
            "",
            "c",
            "6281234567890",
            &id.to_uppercase(),
            &format!("{id}0"),
        ] {
            assert!(!valid_conversation_id(bad), "{bad}");
        }
    }

    #[test]
    fn waiting_handoffs_sort_before_answered_ones() {
        let mut s = ConversationSummary {
            citizen_key: "6281".into(),
            id: new_conversation_id(),
            handoff_since_ms: Some(5),
            waiting_since_ms: Some(9_000),
            ..ConversationSummary::default()
        };
        let waiting = handoff_sort_key(&s).unwrap_or_default();
        s.waiting_since_ms = None;
        let answered = handoff_sort_key(&s).unwrap_or_default();
        assert!(waiting < answered);
        s.handoff_since_ms = None;
        assert_eq!(handoff_sort_key(&s), None);
    }

    #[test]
    fn outbound_bodies_are_described_as_shown() {
        let body = serde_json::json!({
            "type": "interactive",
            "interactive": {"type": "button", "body": {"text": "Pilih"},
                "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "Ya"}}]}}
        });
        let (kind, text, choices, _) = describe_body(&body);
        assert_eq!(kind, "interactive");
        assert_eq!(text.as_deref(), Some("Pilih"));
        assert_eq!(choices, vec!["Ya".to_string()]);
    }
}
