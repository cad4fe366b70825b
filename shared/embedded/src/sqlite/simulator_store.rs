//! What the WhatsApp simulator of the local mode keeps besides the bot's outbox: its citizens,
//! the messages they sent, the statuses it played back as Meta would, the files they sent and
//! its settings. Everything lives in the same SQLite file, so a UAT conversation survives a
//! restart of `prolink serve`.

use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use prolink_app::conversation_rules::{outbox_state_name, parse_outbox_state};
use prolink_app::ports::{OutboxState, PortError, PortResult};

use super::{db_err, CachedStatements, SqliteDb};

/// Settings key of the time-travel offset.
const CLOCK_OFFSET_KEY: &str = "clock_offset_ms";

/// A citizen the simulator can speak for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimCitizen {
    /// WhatsApp id (phone digits).
    pub number: String,
    pub name: String,
    /// Business-scoped user id (`ID.…`), when the tester gave one.
    #[serde(default)]
    pub user_id: Option<String>,
}

/// A message a simulated citizen sent (the `messages[]` element of the webhook).
#[derive(Debug, Clone, PartialEq)]
pub struct SentMessage {
    pub wamid: String,
    pub from_digits: String,
    pub from_user_id: Option<String>,
    pub sent_at_ms: i64,
    pub message: serde_json::Value,
}

/// Who wrote a conversation item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    Bot,
    Citizen,
}

/// One bubble of a simulated conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConversationItem {
    pub from: Author,
    pub wamid: String,
    /// The bot's outbox id (`None` for the citizen's messages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outbox_id: Option<String>,
    pub at_ms: i64,
    /// Bot messages: the outbox state (`pending`, `sent`, `delivered`, `read`, `failed`,
    /// `undeliverable`). Citizen messages: `delivered` once the webhook took it, `read` once
    /// the bot marked it read.
    pub state: String,
    /// Bot messages: the Graph API body. Citizen messages: the webhook message object.
    pub body: serde_json::Value,
    #[serde(skip)]
    seq: i64,
}

/// A bot message whose statuses the simulator still has to play back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusDue {
    pub outbox_id: String,
    pub wamid: String,
    pub to_digits: Option<String>,
    pub recipient: Option<String>,
    /// Graph message type (`text`, `interactive`, `reaction` …).
    pub kind: String,
}

/// The result of one scan for due statuses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusScan {
    pub due: Vec<StatusDue>,
    /// Where the next scan may start (see [`SimulatorStore::statuses_due`]).
    pub next_after_seq: i64,
}

/// A file a simulated citizen sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    pub media_id: String,
    pub mime_type: String,
    /// Base64 SHA-256 of the bytes, as in Meta's examples.
    pub sha256: String,
    pub file_size: i64,
    pub filename: Option<String>,
    pub created_ms: i64,
    pub data: Vec<u8>,
}

/// The digits of a phone number written the ways Meta tolerates; `None` for anything else
/// (e.g. a business-scoped user id, whose digits must not match a number).
pub fn phone_digits(value: &str) -> Option<String> {
    let value = value.trim();
    let rest = value.strip_prefix('+').unwrap_or(value);
    let phone_like = rest
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')'));
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    (phone_like && !digits.is_empty()).then_some(digits)
}

/// SQLite side of the simulator.
#[derive(Clone)]
pub struct SimulatorStore {
    db: SqliteDb,
}

impl std::fmt::Debug for SimulatorStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatorStore").finish_non_exhaustive()
    }
}

/// Both identifiers of whoever `user` names: a registered citizen found by number or user id
/// brings the other one along, so a conversation addressed partly by `to` and partly by
/// `recipient` shows as one.
#[derive(Debug, Clone, Default)]
struct Identity {
    digits: Option<String>,
    user_id: Option<String>,
}

fn citizen_from_row(row: &Row<'_>) -> rusqlite::Result<SimCitizen> {
    Ok(SimCitizen {
        number: row.get(0)?,
        name: row.get(1)?,
        user_id: row.get(2)?,
    })
}

fn resolve_identity(conn: &rusqlite::Connection, user: &str) -> PortResult<Identity> {
    let user = user.trim();
    let digits = phone_digits(user);
    let citizen = conn
        .query_row_cached(
            "SELECT number, name, user_id FROM sim_citizen
             WHERE number = ?1 OR (user_id IS NOT NULL AND user_id = ?2)
             ORDER BY number = ?1 DESC LIMIT 1",
            params![digits.as_deref().unwrap_or(""), user],
            citizen_from_row,
        )
        .optional()
        .map_err(db_err)?;
    Ok(match citizen {
        Some(citizen) => Identity {
            digits: Some(citizen.number),
            user_id: citizen.user_id,
        },
        None => Identity {
            user_id: digits.is_none().then(|| user.to_owned()),
            digits,
        },
    })
}

fn parse_json(what: &str, id: &str, text: &str) -> PortResult<serde_json::Value> {
    serde_json::from_str(text)
        .map_err(|error| PortError::Backend(format!("stored {what} {id} is not JSON: {error}")))
}

impl SimulatorStore {
    pub fn new(db: SqliteDb) -> Self {
        SimulatorStore { db }
    }

    /// Every citizen, oldest first.
    pub async fn citizens(&self) -> PortResult<Vec<SimCitizen>> {
        self.db
            .call(|conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT number, name, user_id FROM sim_citizen
                         ORDER BY created_ms, number",
                    )
                    .map_err(db_err)?;
                let rows = stmt.query_map([], citizen_from_row).map_err(db_err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
            })
            .await
    }

    /// Adds the citizen or updates their name and user id (keyed by number).
    pub async fn put_citizen(&self, citizen: &SimCitizen, now_ms: i64) -> PortResult<()> {
        if citizen.number.is_empty() {
            return Err(PortError::Invalid(
                "citizen number must not be empty".into(),
            ));
        }
        let citizen = citizen.clone();
        self.db
            .call(move |conn| {
                conn.execute_cached(
                    "INSERT INTO sim_citizen (number, name, user_id, created_ms, updated_ms)
                     VALUES (?1, ?2, ?3, ?4, ?4)
                     ON CONFLICT (number) DO UPDATE SET
                        name = excluded.name, user_id = excluded.user_id,
                        updated_ms = excluded.updated_ms",
                    params![citizen.number, citizen.name, citizen.user_id, now_ms],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    /// Registers a citizen seen for the first time (a message sent through the API for a
    /// number nobody added in the page); an existing one keeps its name unless `name` is set.
    pub async fn ensure_citizen(
        &self,
        number: &str,
        name: Option<&str>,
        user_id: Option<&str>,
        now_ms: i64,
    ) -> PortResult<()> {
        let number = number.to_owned();
        let name = name.map(str::to_owned);
        let user_id = user_id.map(str::to_owned);
        self.db
            .call(move |conn| {
                conn.execute_cached(
                    "INSERT INTO sim_citizen (number, name, user_id, created_ms, updated_ms)
                     VALUES (?1, COALESCE(?2, 'Warga Simulator'), ?3, ?4, ?4)
                     ON CONFLICT (number) DO UPDATE SET
                        name = COALESCE(?2, name), user_id = COALESCE(?3, user_id),
                        updated_ms = ?4",
                    params![number, name, user_id, now_ms],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    /// Keeps a message a citizen sent (idempotent on the wamid).
    pub async fn record_sent(&self, sent: &SentMessage) -> PortResult<()> {
        let sent = sent.clone();
        let message = sent.message.to_string();
        self.db
            .call(move |conn| {
                conn.execute_cached(
                    "INSERT OR IGNORE INTO sim_sent
                        (wamid, from_digits, from_user_id, sent_at_ms, message)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        sent.wamid,
                        sent.from_digits,
                        sent.from_user_id,
                        sent.sent_at_ms,
                        message
                    ],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    /// The bot marked `wamid` read: in a 1:1 chat that marks the citizen's earlier messages
    /// too. Returns how many messages turned read (0 for an unknown wamid).
    pub async fn mark_citizen_read(&self, wamid: &str, now_ms: i64) -> PortResult<usize> {
        let wamid = wamid.to_owned();
        self.db
            .call(move |conn| {
                conn.execute_cached(
                    "UPDATE sim_sent SET read_at_ms = ?2
                     WHERE read_at_ms IS NULL AND EXISTS (
                        SELECT 1 FROM sim_sent AS target
                        WHERE target.wamid = ?1
                          AND target.from_digits = sim_sent.from_digits
                          AND target.seq >= sim_sent.seq)",
                    params![wamid, now_ms],
                )
                .map_err(db_err)
            })
            .await
    }

    /// The whole conversation of `user` (number or user id), oldest first: the bot's messages
    /// with their outbox state, and the citizen's own.
    pub async fn conversation(&self, user: &str) -> PortResult<Vec<ConversationItem>> {
        let user = user.to_owned();
        let rows = self
            .db
            .call(move |conn| {
                let identity = resolve_identity(conn, &user)?;
                let mut bot = conn
                    .prepare_cached(
                        "SELECT so.seq, so.outbox_id, so.wamid, so.recorded_at_ms, so.body,
                                o.state, st.delivered_ms, st.read_ms
                         FROM sim_outbox AS so
                         LEFT JOIN outbox AS o ON o.outbox_id = so.outbox_id
                         LEFT JOIN sim_status AS st ON st.outbox_id = so.outbox_id
                         WHERE (?1 IS NOT NULL AND so.to_digits = ?1)
                            OR (?2 IS NOT NULL AND so.recipient = ?2)
                         ORDER BY so.seq",
                    )
                    .map_err(db_err)?;
                let bot_rows = bot
                    .query_map(params![identity.digits, identity.user_id], |row| {
                        Ok(BotRow {
                            seq: row.get(0)?,
                            outbox_id: row.get(1)?,
                            wamid: row.get(2)?,
                            at_ms: row.get(3)?,
                            body: row.get(4)?,
                            outbox_state: row.get(5)?,
                            delivered_ms: row.get(6)?,
                            read_ms: row.get(7)?,
                        })
                    })
                    .map_err(db_err)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(db_err)?;
                let mut citizen = conn
                    .prepare_cached(
                        "SELECT seq, wamid, sent_at_ms, message, read_at_ms FROM sim_sent
                         WHERE (?1 IS NOT NULL AND from_digits = ?1)
                            OR (?2 IS NOT NULL AND from_user_id = ?2)
                         ORDER BY seq",
                    )
                    .map_err(db_err)?;
                let citizen_rows = citizen
                    .query_map(params![identity.digits, identity.user_id], |row| {
                        Ok(CitizenRow {
                            seq: row.get(0)?,
                            wamid: row.get(1)?,
                            at_ms: row.get(2)?,
                            message: row.get(3)?,
                            read_at_ms: row.get(4)?,
                        })
                    })
                    .map_err(db_err)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(db_err)?;
                Ok((bot_rows, citizen_rows))
            })
            .await?;
        let (bot_rows, citizen_rows) = rows;
        let mut items = Vec::with_capacity(bot_rows.len() + citizen_rows.len());
        for row in bot_rows {
            let state = bot_state(&row);
            items.push(ConversationItem {
                from: Author::Bot,
                body: parse_json("outbox body", &row.outbox_id, &row.body)?,
                wamid: row.wamid,
                outbox_id: Some(row.outbox_id),
                at_ms: row.at_ms,
                state,
                seq: row.seq,
            });
        }
        for row in citizen_rows {
            items.push(ConversationItem {
                from: Author::Citizen,
                body: parse_json("citizen message", &row.wamid, &row.message)?,
                wamid: row.wamid,
                outbox_id: None,
                at_ms: row.at_ms,
                state: if row.read_at_ms.is_some() {
                    "read".into()
                } else {
                    "delivered".into()
                },
                seq: row.seq,
            });
        }
        // A reply is recorded after the message it answers; on a tie the citizen spoke first.
        items.sort_by_key(|item| (item.at_ms, item.from == Author::Bot, item.seq));
        Ok(items)
    }

    /// Bot messages after `after_seq` whose `sent`/`delivered` statuses were not played back
    /// yet, oldest first. A message qualifies once the sender recorded Meta's acceptance (its
    /// outbox record left `pending`), so the status cannot race the sender's own write of the
    /// record; a message without an outbox record (sent by a tool) qualifies after `grace_ms`.
    /// Also returns where the next scan may start: just before the first message that is not
    /// ready yet, so an idle scan reads no old rows.
    pub async fn statuses_due(
        &self,
        after_seq: i64,
        now_ms: i64,
        grace_ms: i64,
        limit: usize,
    ) -> PortResult<StatusScan> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.db
            .call(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT so.outbox_id, so.wamid, so.to_digits, so.recipient, so.body,
                                so.seq, so.recorded_at_ms, o.state
                         FROM sim_outbox AS so
                         LEFT JOIN outbox AS o ON o.outbox_id = so.outbox_id
                         LEFT JOIN sim_status AS st ON st.outbox_id = so.outbox_id
                         WHERE so.seq > ?1 AND st.outbox_id IS NULL
                         ORDER BY so.seq LIMIT +?2",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(params![after_seq, limit], |row| {
                        Ok((
                            due_from_row(row)?,
                            row.get::<_, i64>(5)?,
                            row.get::<_, i64>(6)?,
                            row.get::<_, Option<String>>(7)?,
                        ))
                    })
                    .map_err(db_err)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(db_err)?;
                let mut scan = StatusScan {
                    due: Vec::new(),
                    next_after_seq: after_seq,
                };
                let mut blocked = false;
                for (due, seq, recorded_at_ms, state) in rows {
                    let ready = match state.as_deref() {
                        Some(state) => state != "pending",
                        None => recorded_at_ms <= now_ms.saturating_sub(grace_ms),
                    };
                    if ready {
                        scan.due.push(due);
                    } else if !blocked {
                        blocked = true;
                        scan.next_after_seq = seq - 1;
                    }
                    if !blocked {
                        scan.next_after_seq = seq;
                    }
                }
                Ok(scan)
            })
            .await
    }

    /// Records that `sent` and (except for reactions, which Meta only reports as sent)
    /// `delivered` went out for these messages.
    pub async fn mark_delivered(&self, due: &[StatusDue], now_ms: i64) -> PortResult<()> {
        let rows: Vec<(String, bool)> = due
            .iter()
            .map(|due| (due.outbox_id.clone(), due.kind != "reaction"))
            .collect();
        self.db
            .call(move |conn| {
                for (outbox_id, delivered) in rows {
                    conn.execute_cached(
                        "INSERT OR IGNORE INTO sim_status (outbox_id, sent_ms, delivered_ms)
                         VALUES (?1, ?2, ?3)",
                        params![outbox_id, now_ms, delivered.then_some(now_ms)],
                    )
                    .map_err(db_err)?;
                }
                Ok(())
            })
            .await
    }

    /// Delivered bot messages to `user` not yet reported read, oldest first.
    pub async fn unread_for(&self, user: &str) -> PortResult<Vec<StatusDue>> {
        let user = user.to_owned();
        self.db
            .call(move |conn| {
                let identity = resolve_identity(conn, &user)?;
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT so.outbox_id, so.wamid, so.to_digits, so.recipient, so.body
                         FROM sim_outbox AS so
                         JOIN sim_status AS st ON st.outbox_id = so.outbox_id
                         WHERE st.delivered_ms IS NOT NULL AND st.read_ms IS NULL
                           AND ((?1 IS NOT NULL AND so.to_digits = ?1)
                             OR (?2 IS NOT NULL AND so.recipient = ?2))
                         ORDER BY so.seq",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(params![identity.digits, identity.user_id], due_from_row)
                    .map_err(db_err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
            })
            .await
    }

    pub async fn mark_read(&self, outbox_ids: &[String], now_ms: i64) -> PortResult<()> {
        let outbox_ids = outbox_ids.to_vec();
        self.db
            .call(move |conn| {
                for outbox_id in outbox_ids {
                    conn.execute_cached(
                        "UPDATE sim_status SET read_ms = ?2
                         WHERE outbox_id = ?1 AND read_ms IS NULL",
                        params![outbox_id, now_ms],
                    )
                    .map_err(db_err)?;
                }
                Ok(())
            })
            .await
    }

    pub async fn put_media(&self, media: &MediaFile) -> PortResult<()> {
        let media = media.clone();
        self.db
            .call(move |conn| {
                conn.execute_cached(
                    "INSERT INTO sim_media
                        (media_id, mime_type, sha256, file_size, filename, created_ms, data)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        media.media_id,
                        media.mime_type,
                        media.sha256,
                        media.file_size,
                        media.filename,
                        media.created_ms,
                        media.data
                    ],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    /// The file and its bytes, or `None` for an unknown id.
    pub async fn media(&self, media_id: &str) -> PortResult<Option<MediaFile>> {
        let media_id = media_id.to_owned();
        self.db
            .call(move |conn| {
                conn.query_row_cached(
                    "SELECT media_id, mime_type, sha256, file_size, filename, created_ms, data
                     FROM sim_media WHERE media_id = ?1",
                    [media_id],
                    |row| {
                        Ok(MediaFile {
                            media_id: row.get(0)?,
                            mime_type: row.get(1)?,
                            sha256: row.get(2)?,
                            file_size: row.get(3)?,
                            filename: row.get(4)?,
                            created_ms: row.get(5)?,
                            data: row.get(6)?,
                        })
                    },
                )
                .optional()
                .map_err(db_err)
            })
            .await
    }

    /// The stored time-travel offset (0 when never set).
    pub async fn clock_offset_ms(&self) -> PortResult<i64> {
        self.db
            .call(|conn| {
                let value: Option<String> = conn
                    .query_row_cached(
                        "SELECT value FROM sim_setting WHERE key = ?1",
                        [CLOCK_OFFSET_KEY],
                        |row| row.get(0),
                    )
                    .optional()
                    .map_err(db_err)?;
                match value {
                    None => Ok(0),
                    Some(text) => text.parse().map_err(|_| {
                        PortError::Backend(format!("stored clock offset {text:?} is not a number"))
                    }),
                }
            })
            .await
    }

    pub async fn set_clock_offset_ms(&self, offset_ms: i64) -> PortResult<()> {
        self.db
            .call(move |conn| {
                conn.execute_cached(
                    "INSERT INTO sim_setting (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    params![CLOCK_OFFSET_KEY, offset_ms.to_string()],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }
}

struct BotRow {
    seq: i64,
    outbox_id: String,
    wamid: String,
    at_ms: i64,
    body: String,
    outbox_state: Option<String>,
    delivered_ms: Option<i64>,
    read_ms: Option<i64>,
}

struct CitizenRow {
    seq: i64,
    wamid: String,
    at_ms: i64,
    message: String,
    read_at_ms: Option<i64>,
}

/// The outbox state is the authority (it is what the status flow moved); a message sent
/// without the reliable sender has none, so the statuses played back stand in for it.
fn bot_state(row: &BotRow) -> String {
    let state = row
        .outbox_state
        .as_deref()
        .and_then(parse_outbox_state)
        .unwrap_or(if row.read_ms.is_some() {
            OutboxState::Read
        } else if row.delivered_ms.is_some() {
            OutboxState::Delivered
        } else {
            OutboxState::Sent
        });
    outbox_state_name(state).to_owned()
}

fn due_from_row(row: &Row<'_>) -> rusqlite::Result<StatusDue> {
    let body: String = row.get(4)?;
    let kind = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|body| {
            body.get("type")
                .and_then(|kind| kind.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_default();
    Ok(StatusDue {
        outbox_id: row.get(0)?,
        wamid: row.get(1)?,
        to_digits: row.get(2)?,
        recipient: row.get(3)?,
        kind,
    })
}
