//! The simulator outbox: stands in for the Graph API when no credentials are configured, and
//! keeps every message "sent" so the chat simulator can show it.

use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

use prolink_app::ports::{
    Clock, Messenger, OutboundMessage, OutboxReader, PortError, PortResult, RecordedMessage,
    SendError, SendReceipt,
};

use super::{db_err, CachedStatements, SqliteDb};

/// Records the exact Graph JSON body of each message instead of sending it. Idempotent on the
/// outbox id, like the real sender.
#[derive(Clone)]
pub struct SimulatorOutbox {
    db: SqliteDb,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SimulatorOutbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatorOutbox").finish_non_exhaustive()
    }
}

impl SimulatorOutbox {
    pub fn new(db: SqliteDb, clock: Arc<dyn Clock>) -> Self {
        SimulatorOutbox { db, clock }
    }
}

/// The digits of a phone number written the ways Meta tolerates in `to` (leading `+`, spaces,
/// `-`, parentheses). `None` for anything else, e.g. a business-scoped user id (`ID.…`), whose
/// embedded digits must not match a phone number.
fn phone_digits(value: &str) -> Option<String> {
    let value = value.trim();
    let rest = value.strip_prefix('+').unwrap_or(value);
    let phone_like = rest
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')'));
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    (phone_like && !digits.is_empty()).then_some(digits)
}

fn new_wamid() -> String {
    format!("wamid.SIM{}", Uuid::new_v4().simple())
}

fn unavailable(error: PortError) -> SendError {
    SendError::Retryable {
        code: None,
        message: error.to_string(),
    }
}

#[async_trait]
impl Messenger for SimulatorOutbox {
    async fn send(&self, message: &OutboundMessage) -> Result<SendReceipt, SendError> {
        if message.outbox_id.is_empty() {
            return Err(SendError::Invalid("outbox_id must not be empty".into()));
        }
        let Some(fields) = message.body.as_object() else {
            return Err(SendError::Invalid(
                "message body must be a JSON object".into(),
            ));
        };
        if fields.get("status").and_then(|status| status.as_str()) == Some("read") {
            // Mark-as-read (and the typing indicator) address the citizen's message, not a
            // chat: Meta answers `{"success": true}`; there is nothing to show in the outbox.
            return Ok(SendReceipt {
                wamid: String::new(),
                newly_sent: false,
            });
        }
        let to_digits = fields
            .get("to")
            .and_then(|to| to.as_str())
            .and_then(phone_digits);
        let recipient = fields
            .get("recipient")
            .and_then(|recipient| recipient.as_str())
            .filter(|recipient| !recipient.is_empty())
            .map(str::to_owned);
        if to_digits.is_none() && recipient.is_none() {
            // Meta would refuse it too; recording it would hide a builder bug.
            return Err(SendError::Invalid(
                "message has neither a `to` phone number nor a `recipient`".into(),
            ));
        }
        let body = message.body.to_string();
        let outbox_id = message.outbox_id.clone();
        let clock = Arc::clone(&self.clock);
        let (wamid, newly_sent) = self
            .db
            .call(move |conn| {
                let now = clock.now_ms();
                let existing: Option<String> = conn
                    .query_row_cached(
                        "SELECT wamid FROM sim_outbox WHERE outbox_id = ?1",
                        [&outbox_id],
                        |row| row.get(0),
                    )
                    .optional()
                    .map_err(db_err)?;
                if let Some(wamid) = existing {
                    return Ok((wamid, false));
                }
                let wamid = new_wamid();
                conn.execute_cached(
                    "INSERT INTO sim_outbox
                        (outbox_id, wamid, to_digits, recipient, recorded_at_ms, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![outbox_id, wamid, to_digits, recipient, now, body],
                )
                .map_err(db_err)?;
                Ok((wamid, true))
            })
            .await
            .map_err(unavailable)?;
        if newly_sent {
            tracing::debug!(
                outbox_id = %message.outbox_id,
                %wamid,
                "message recorded for the simulator"
            );
        }
        Ok(SendReceipt { wamid, newly_sent })
    }
}

#[async_trait]
impl OutboxReader for SimulatorOutbox {
    async fn messages_for(&self, user: &str) -> PortResult<Vec<RecordedMessage>> {
        let digits = phone_digits(user);
        let user = user.trim().to_owned();
        let rows = self
            .db
            .call(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT outbox_id, wamid, recorded_at_ms, body FROM sim_outbox
                         WHERE (?1 IS NOT NULL AND to_digits = ?1) OR recipient = ?2
                         ORDER BY seq",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(params![digits, user], |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, i64>(2)?,
                            row.get::<_, String>(3)?,
                        ))
                    })
                    .map_err(db_err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
            })
            .await?;
        rows.into_iter()
            .map(|(outbox_id, wamid, recorded_at_ms, body)| {
                let body = serde_json::from_str(&body).map_err(|e| {
                    PortError::Backend(format!("stored outbox body {outbox_id} is not JSON: {e}"))
                })?;
                Ok(RecordedMessage {
                    outbox_id,
                    wamid,
                    recorded_at_ms,
                    body,
                })
            })
            .collect()
    }
}
