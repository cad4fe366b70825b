//! Dedup marks, raw inbound log and delivery statuses in SQLite. The conversation ports of the
//! same store live in `conversation.rs` and `content.rs`.

use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::params;

use prolink_app::ports::{
    Clock, DedupStore, PortError, PortResult, RawInbound, RawInboundLog, StatusLog, StatusRecord,
};

use super::content::ContentCache;
use super::{db_err, CachedStatements, SqliteDb};

/// The small stores of the local mode. Expiry is decided with the injected clock, so the
/// simulator's time travel expires marks the way DynamoDB's TTL filter would.
#[derive(Clone)]
pub struct SqliteStore {
    pub(super) db: SqliteDb,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) content_cache: ContentCache,
}

impl SqliteStore {
    pub fn new(db: SqliteDb, clock: Arc<dyn Clock>) -> Self {
        SqliteStore {
            db,
            clock,
            content_cache: ContentCache::default(),
        }
    }

    /// Deletes every expired dedup mark, raw inbound body, status, session, outbox record,
    /// unanswered question, audit record and statistics event mark (retention). Returns how many rows went.
    pub async fn purge_expired(&self) -> PortResult<usize> {
        let clock = Arc::clone(&self.clock);
        self.db
            .call(move |conn| {
                let now = clock.now_ms();
                let mut removed = 0;
                for table in [
                    "dedup_marks",
                    "raw_inbound",
                    "message_status",
                    "dialog_session",
                    "outbox",
                    "unanswered_question",
                    "audit_log",
                    "stat_event",
                    "message_log",
                ] {
                    removed += conn
                        .execute_cached(
                            &format!("DELETE FROM {table} WHERE expires_at_ms <= ?1"),
                            [now],
                        )
                        .map_err(db_err)?;
                }
                Ok(removed)
            })
            .await
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

pub(super) fn non_empty(what: &str, value: &str) -> PortResult<()> {
    if value.is_empty() {
        return Err(PortError::Invalid(format!("{what} must not be empty")));
    }
    Ok(())
}

#[async_trait]
impl DedupStore for SqliteStore {
    async fn is_marked(&self, key: &str) -> PortResult<bool> {
        non_empty("dedup key", key)?;
        let key = key.to_owned();
        let clock = Arc::clone(&self.clock);
        self.db
            .call(move |conn| {
                let now = clock.now_ms();
                conn.query_row_cached(
                    "SELECT EXISTS (SELECT 1 FROM dedup_marks
                                    WHERE key = ?1 AND expires_at_ms > ?2)",
                    params![key, now],
                    |row| row.get(0),
                )
                .map_err(db_err)
            })
            .await
    }

    async fn mark(&self, key: &str, expires_at_ms: i64) -> PortResult<bool> {
        non_empty("dedup key", key)?;
        let key = key.to_owned();
        let clock = Arc::clone(&self.clock);
        self.db
            .call(move |conn| {
                let now = clock.now_ms();
                // One statement, so the check and the write cannot interleave with another
                // caller: it inserts, or takes over an expired mark, or changes nothing.
                let changed = conn
                    .execute_cached(
                        "INSERT INTO dedup_marks (key, expires_at_ms) VALUES (?1, ?2)
                         ON CONFLICT (key) DO UPDATE SET expires_at_ms = excluded.expires_at_ms
                         WHERE dedup_marks.expires_at_ms <= ?3",
                        params![key, expires_at_ms, now],
                    )
                    .map_err(db_err)?;
                Ok(changed == 1)
            })
            .await
    }
}

#[async_trait]
impl RawInboundLog for SqliteStore {
    async fn record(&self, raw: &RawInbound) -> PortResult<()> {
        non_empty("raw inbound id", &raw.id)?;
        let raw = raw.clone();
        // Meta's request waits for this entry (`SqliteDb::call_first`).
        self.db
            .call_first(move |conn| {
                // Last write wins, like a DynamoDB put: re-recording an id updates its outcome.
                conn.execute_cached(
                    "INSERT INTO raw_inbound (id, received_at_ms, outcome, body, expires_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (id) DO UPDATE SET received_at_ms = excluded.received_at_ms,
                        outcome = excluded.outcome, body = excluded.body,
                        expires_at_ms = excluded.expires_at_ms",
                    params![
                        raw.id,
                        raw.received_at_ms,
                        raw.outcome,
                        raw.body,
                        raw.expires_at_ms
                    ],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    async fn recent(&self, limit: usize) -> PortResult<Vec<RawInbound>> {
        let clock = Arc::clone(&self.clock);
        self.db
            .call(move |conn| {
                let now = clock.now_ms();
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT id, received_at_ms, outcome, body, expires_at_ms FROM raw_inbound
                         WHERE expires_at_ms > ?1
                         ORDER BY received_at_ms DESC, rowid DESC LIMIT +?2",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(params![now, limit], |row| {
                        Ok(RawInbound {
                            id: row.get(0)?,
                            received_at_ms: row.get(1)?,
                            outcome: row.get(2)?,
                            body: row.get(3)?,
                            expires_at_ms: row.get(4)?,
                        })
                    })
                    .map_err(db_err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
            })
            .await
    }
}

#[async_trait]
impl StatusLog for SqliteStore {
    async fn record_status(&self, status: &StatusRecord) -> PortResult<()> {
        non_empty("wamid", &status.wamid)?;
        non_empty("status", &status.status)?;
        let status = status.clone();
        let clock = Arc::clone(&self.clock);
        self.db
            .call(move |conn| {
                let now = clock.now_ms();
                // First write wins: Meta redelivers the same status webhook, and the first copy
                // is as good as any later one. An expired row counts as absent, as on DynamoDB.
                conn.execute_cached(
                    "INSERT INTO message_status
                        (wamid, status, timestamp, recipient, outbox_id, error_code, expires_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (wamid, status) DO UPDATE SET
                        timestamp = excluded.timestamp, recipient = excluded.recipient,
                        outbox_id = excluded.outbox_id, error_code = excluded.error_code,
                        expires_at_ms = excluded.expires_at_ms
                     WHERE message_status.expires_at_ms <= ?8",
                    params![
                        status.wamid,
                        status.status,
                        status.timestamp,
                        status.recipient,
                        status.outbox_id,
                        status.error_code,
                        status.expires_at_ms,
                        now
                    ],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    async fn statuses_of(&self, wamid: &str) -> PortResult<Vec<StatusRecord>> {
        let wamid = wamid.to_owned();
        let clock = Arc::clone(&self.clock);
        self.db
            .call(move |conn| {
                let now = clock.now_ms();
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT wamid, status, timestamp, recipient, outbox_id, error_code,
                                expires_at_ms
                         FROM message_status WHERE wamid = ?1 AND expires_at_ms > ?2
                         ORDER BY CASE status WHEN 'sent' THEN 0 WHEN 'delivered' THEN 1
                                  WHEN 'read' THEN 2 ELSE 3 END,
                                  timestamp, status",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(params![wamid, now], |row| {
                        Ok(StatusRecord {
                            wamid: row.get(0)?,
                            status: row.get(1)?,
                            timestamp: row.get(2)?,
                            recipient: row.get(3)?,
                            outbox_id: row.get(4)?,
                            error_code: row.get(5)?,
                            expires_at_ms: row.get(6)?,
                        })
                    })
                    .map_err(db_err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
            })
            .await
    }
}
