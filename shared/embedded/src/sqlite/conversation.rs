//! The conversation stores of the local mode: message outbox, citizen profiles and aliases,
//! dialog sessions and operator signals. Same rules as the DynamoDB items of
//! `docs/data-model.md`: versioned writes are one conditional statement, expiry is decided
//! with the injected clock and an expired row counts as absent.

use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, Row};

use prolink_app::conversation_rules::{
    check_candidates, non_negative_ms, outbox_state_name, parse_outbox_state, session_size,
};
use prolink_app::operator_rules::check_alert_ids;
use prolink_app::ports::{
    CitizenProfile, CitizenStore, OperatorAlert, OperatorSignals, OutboxRecord, OutboxStore,
    PortError, PortResult, SessionStore, StoredSession, UnansweredQuestion,
};

use super::store::{non_empty, SqliteStore};
use super::{db_err, CachedStatements};

/// Versions are `u64` in the ports and `INTEGER` (i64) in SQLite.
/// Inserts the row (`expected` 0) or replaces its data only over the stored `expected`
/// version, in one statement; the number of rows written (0: a lost race). `table` and the
/// column names are the caller's constants, never input.
#[allow(clippy::too_many_arguments)]
pub(super) fn put_versioned_row(
    conn: &rusqlite::Connection,
    table: &str,
    key_column: &str,
    data_column: &str,
    key: &str,
    expected: i64,
    next: i64,
    json: &str,
) -> PortResult<usize> {
    let written = if expected == 0 {
        conn.execute_cached(
            &format!(
                "INSERT INTO {table} ({key_column}, version, {data_column}) VALUES (?1, ?2, ?3)
                 ON CONFLICT ({key_column}) DO NOTHING"
            ),
            params![key, next, json],
        )
    } else {
        conn.execute_cached(
            &format!(
                "UPDATE {table} SET version = ?2, {data_column} = ?3
                 WHERE {key_column} = ?1 AND version = ?4"
            ),
            params![key, next, json, expected],
        )
    };
    written.map_err(db_err)
}

pub(super) fn stored_version(version: u64) -> PortResult<i64> {
    i64::try_from(version)
        .ok()
        .filter(|v| *v < i64::MAX)
        .ok_or_else(|| PortError::Invalid(format!("version {version} out of range")))
}

pub(super) fn read_version(value: i64) -> PortResult<u64> {
    u64::try_from(value).map_err(|_| PortError::Backend(format!("stored version {value} < 0")))
}

pub(super) fn conflict(what: &str, key: &str, version: u64) -> PortError {
    PortError::Conflict(format!("{what} {key}: expected version {version}"))
}

// ---------------------------------------------------------------------------------------------
// Outbox
// ---------------------------------------------------------------------------------------------

/// The columns of an outbox row, as written.
struct OutboxRow {
    outbox_id: String,
    citizen_key: String,
    body: String,
    state: &'static str,
    wamid: Option<String>,
    attempts: u32,
    last_error_code: Option<i64>,
    last_error: Option<String>,
    created_ms: i64,
    updated_ms: i64,
    expires_at_ms: i64,
}

impl OutboxRow {
    fn from_record(record: &OutboxRecord) -> PortResult<Self> {
        non_empty("outbox id", &record.outbox_id)?;
        non_empty("citizen key", &record.citizen_key)?;
        Ok(OutboxRow {
            outbox_id: record.outbox_id.clone(),
            citizen_key: record.citizen_key.clone(),
            body: record.body.to_string(),
            state: outbox_state_name(record.state),
            wamid: record.wamid.clone(),
            attempts: record.attempts,
            last_error_code: record.last_error_code,
            last_error: record.last_error.clone(),
            created_ms: record.created_ms,
            updated_ms: record.updated_ms,
            expires_at_ms: record.expires_at_ms,
        })
    }
}

/// The upsert of an outbox row followed by `$condition`, the `WHERE` of its update branch.
macro_rules! outbox_upsert {
    ($condition:literal) => {
        concat!(
            "INSERT INTO outbox
                (outbox_id, citizen_key, body, state, wamid, attempts, last_error_code,
                 last_error, created_ms, updated_ms, expires_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (outbox_id) DO UPDATE SET
                citizen_key = excluded.citizen_key, body = excluded.body, state = excluded.state,
                wamid = excluded.wamid, attempts = excluded.attempts,
                last_error_code = excluded.last_error_code, last_error = excluded.last_error,
                created_ms = excluded.created_ms, updated_ms = excluded.updated_ms,
                expires_at_ms = excluded.expires_at_ms
             WHERE ",
            $condition
        )
    };
}

/// Inserts, or takes over an expired record (`?12` is now), or changes nothing.
const OUTBOX_CREATE: &str = outbox_upsert!("outbox.expires_at_ms <= ?12");
/// Inserts or overwrites (`?12` is unused but bound, so both statements share the binding).
const OUTBOX_PUT: &str = outbox_upsert!("?12 IS NOT NULL");

/// Runs one of the outbox upserts; returns whether a row was written.
fn write_outbox(
    conn: &rusqlite::Connection,
    sql: &str,
    row: &OutboxRow,
    now: i64,
) -> PortResult<bool> {
    let changed = conn
        .prepare_cached(sql)
        .and_then(|mut stmt| {
            stmt.execute(params![
                row.outbox_id,
                row.citizen_key,
                row.body,
                row.state,
                row.wamid,
                row.attempts,
                row.last_error_code,
                row.last_error,
                row.created_ms,
                row.updated_ms,
                row.expires_at_ms,
                now,
            ])
        })
        .map_err(db_err)?;
    Ok(changed == 1)
}

fn outbox_from_row(row: &Row<'_>) -> rusqlite::Result<(OutboxRowRead, String)> {
    Ok((
        OutboxRowRead {
            outbox_id: row.get(0)?,
            citizen_key: row.get(1)?,
            state: row.get(3)?,
            wamid: row.get(4)?,
            attempts: row.get(5)?,
            last_error_code: row.get(6)?,
            last_error: row.get(7)?,
            created_ms: row.get(8)?,
            updated_ms: row.get(9)?,
            expires_at_ms: row.get(10)?,
        },
        row.get(2)?,
    ))
}

struct OutboxRowRead {
    outbox_id: String,
    citizen_key: String,
    state: String,
    wamid: Option<String>,
    attempts: u32,
    last_error_code: Option<i64>,
    last_error: Option<String>,
    created_ms: i64,
    updated_ms: i64,
    expires_at_ms: i64,
}

fn outbox_record(row: OutboxRowRead, body: &str) -> PortResult<OutboxRecord> {
    let state = parse_outbox_state(&row.state).ok_or_else(|| {
        PortError::Backend(format!(
            "outbox {} has an unknown state {:?}",
            row.outbox_id, row.state
        ))
    })?;
    let body = serde_json::from_str(body).map_err(|e| {
        PortError::Backend(format!("outbox {} body is not JSON: {e}", row.outbox_id))
    })?;
    Ok(OutboxRecord {
        outbox_id: row.outbox_id,
        citizen_key: row.citizen_key,
        body,
        state,
        wamid: row.wamid,
        attempts: row.attempts,
        last_error_code: row.last_error_code,
        last_error: row.last_error,
        created_ms: row.created_ms,
        updated_ms: row.updated_ms,
        expires_at_ms: row.expires_at_ms,
    })
}

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn create_outbox(&self, record: &OutboxRecord) -> PortResult<bool> {
        let row = OutboxRow::from_record(record)?;
        let clock = Arc::clone(&self.clock);
        self.db
            .call(move |conn| {
                let now = clock.now_ms();
                // One statement, so the check and the write cannot interleave with another
                // caller.
                write_outbox(conn, OUTBOX_CREATE, &row, now)
            })
            .await
    }

    async fn get_outbox(&self, outbox_id: &str) -> PortResult<Option<OutboxRecord>> {
        non_empty("outbox id", outbox_id)?;
        let outbox_id = outbox_id.to_owned();
        let clock = Arc::clone(&self.clock);
        let found = self
            .db
            .call(move |conn| {
                let now = clock.now_ms();
                conn.query_row_cached(
                    "SELECT outbox_id, citizen_key, body, state, wamid, attempts,
                            last_error_code, last_error, created_ms, updated_ms, expires_at_ms
                     FROM outbox WHERE outbox_id = ?1 AND expires_at_ms > ?2",
                    params![outbox_id, now],
                    outbox_from_row,
                )
                .optional()
                .map_err(db_err)
            })
            .await?;
        found
            .map(|(row, body)| outbox_record(row, &body))
            .transpose()
    }

    async fn put_outbox(&self, record: &OutboxRecord) -> PortResult<()> {
        let row = OutboxRow::from_record(record)?;
        let clock = Arc::clone(&self.clock);
        self.db
            .call(move |conn| write_outbox(conn, OUTBOX_PUT, &row, clock.now_ms()).map(|_| ()))
            .await
    }
}

// ---------------------------------------------------------------------------------------------
// Citizens
// ---------------------------------------------------------------------------------------------

#[async_trait]
impl CitizenStore for SqliteStore {
    async fn get_citizen(&self, key: &str) -> PortResult<Option<CitizenProfile>> {
        non_empty("citizen key", key)?;
        let key = key.to_owned();
        let found: Option<(i64, String)> = self
            .db
            .call(move |conn| {
                conn.query_row_cached(
                    "SELECT version, profile FROM citizen WHERE key = ?1",
                    [&key],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .map_err(db_err)
            })
            .await?;
        let Some((version, profile)) = found else {
            return Ok(None);
        };
        let mut profile: CitizenProfile = serde_json::from_str(&profile)
            .map_err(|e| PortError::Backend(format!("stored citizen profile unreadable: {e}")))?;
        // The column is the authority; the JSON copy is written in the same statement anyway.
        profile.version = read_version(version)?;
        Ok(Some(profile))
    }

    async fn put_citizen(&self, profile: &CitizenProfile) -> PortResult<u64> {
        non_empty("citizen key", &profile.key)?;
        let expected = stored_version(profile.version)?;
        let next = expected + 1;
        let mut stored = profile.clone();
        stored.version = profile.version + 1;
        let json = serde_json::to_string(&stored)
            .map_err(|e| PortError::Invalid(format!("citizen profile: {e}")))?;
        let key = profile.key.clone();
        let changed = self
            .db
            .call(move |conn| {
                put_versioned_row(
                    conn, "citizen", "key", "profile", &key, expected, next, &json,
                )
            })
            .await?;
        if changed == 1 {
            Ok(stored.version)
        } else {
            Err(conflict("citizen", &profile.key, profile.version))
        }
    }

    async fn resolve_alias(&self, identifier: &str) -> PortResult<Option<String>> {
        non_empty("alias", identifier)?;
        let identifier = identifier.to_owned();
        self.db
            .call(move |conn| {
                conn.query_row_cached(
                    "SELECT citizen_key FROM citizen_alias WHERE identifier = ?1",
                    [&identifier],
                    |row| row.get(0),
                )
                .optional()
                .map_err(db_err)
            })
            .await
    }

    async fn put_alias(&self, identifier: &str, key: &str) -> PortResult<()> {
        non_empty("alias", identifier)?;
        non_empty("citizen key", key)?;
        let identifier = identifier.to_owned();
        let key = key.to_owned();
        self.db
            .call(move |conn| {
                conn.execute_cached(
                    "INSERT INTO citizen_alias (identifier, citizen_key) VALUES (?1, ?2)
                     ON CONFLICT (identifier) DO UPDATE SET citizen_key = excluded.citizen_key",
                    params![identifier, key],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }
}

// ---------------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------------

#[async_trait]
impl SessionStore for SqliteStore {
    async fn load_session(&self, key: &str) -> PortResult<Option<StoredSession>> {
        non_empty("session key", key)?;
        let key = key.to_owned();
        let clock = Arc::clone(&self.clock);
        let found: Option<(String, i64, String, i64)> = self
            .db
            .call(move |conn| {
                let now = clock.now_ms();
                conn.query_row_cached(
                    "SELECT key, version, data, expires_at_ms FROM dialog_session
                     WHERE key = ?1 AND expires_at_ms > ?2",
                    params![key, now],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
                )
                .optional()
                .map_err(db_err)
            })
            .await?;
        found
            .map(|(key, version, data, expires_at_ms)| {
                Ok(StoredSession {
                    key,
                    data,
                    version: read_version(version)?,
                    expires_at_ms,
                })
            })
            .transpose()
    }

    async fn save_session(&self, session: &StoredSession) -> PortResult<u64> {
        non_empty("session key", &session.key)?;
        session_size(&session.data)?;
        let expected = stored_version(session.version)?;
        let next = expected + 1;
        let session_copy = session.clone();
        let clock = Arc::clone(&self.clock);
        let changed = self
            .db
            .call(move |conn| {
                let now = clock.now_ms();
                let s = session_copy;
                let changed = if expected == 0 {
                    // An expired session counts as absent: taken over whatever its version.
                    conn.execute_cached(
                        "INSERT INTO dialog_session (key, version, data, expires_at_ms)
                         VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (key) DO UPDATE SET version = excluded.version,
                            data = excluded.data, expires_at_ms = excluded.expires_at_ms
                         WHERE dialog_session.expires_at_ms <= ?5",
                        params![s.key, next, s.data, s.expires_at_ms, now],
                    )
                } else {
                    conn.execute_cached(
                        "UPDATE dialog_session SET version = ?2, data = ?3, expires_at_ms = ?4
                         WHERE key = ?1 AND version = ?5 AND expires_at_ms > ?6",
                        params![s.key, next, s.data, s.expires_at_ms, expected, now],
                    )
                };
                changed.map_err(db_err)
            })
            .await?;
        if changed == 1 {
            Ok(session.version + 1)
        } else {
            Err(conflict("session", &session.key, session.version))
        }
    }

    async fn delete_session(&self, key: &str) -> PortResult<()> {
        non_empty("session key", key)?;
        let key = key.to_owned();
        self.db
            .call(move |conn| {
                conn.execute_cached("DELETE FROM dialog_session WHERE key = ?1", [&key])
                    .map_err(db_err)?;
                Ok(())
            })
            .await
    }
}

// ---------------------------------------------------------------------------------------------
// Operator signals
// ---------------------------------------------------------------------------------------------

#[async_trait]
impl OperatorSignals for SqliteStore {
    async fn record_unanswered(&self, question: &UnansweredQuestion) -> PortResult<()> {
        non_empty("question id", &question.id)?;
        non_negative_ms("asked_ms", question.asked_ms)?;
        check_candidates(&question.candidates)?;
        let candidates = serde_json::to_string(&question.candidates)
            .map_err(|e| PortError::Invalid(format!("candidates: {e}")))?;
        let q = question.clone();
        let clock = Arc::clone(&self.clock);
        self.db
            .call(move |conn| {
                let now = clock.now_ms();
                // First write wins (a retried message records its question once), as on
                // DynamoDB; an expired row counts as absent.
                conn.execute_cached(
                    "INSERT INTO unanswered_question
                        (id, citizen_key, text, candidates, asked_ms, expires_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (id) DO UPDATE SET citizen_key = excluded.citizen_key,
                        text = excluded.text, candidates = excluded.candidates,
                        asked_ms = excluded.asked_ms, expires_at_ms = excluded.expires_at_ms
                     WHERE unanswered_question.expires_at_ms <= ?7",
                    params![
                        q.id,
                        q.citizen_key,
                        q.text,
                        candidates,
                        q.asked_ms,
                        q.expires_at_ms,
                        now
                    ],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    async fn recent_unanswered(&self, limit: usize) -> PortResult<Vec<UnansweredQuestion>> {
        let clock = Arc::clone(&self.clock);
        let rows: Vec<(UnansweredQuestion, String)> = self
            .db
            .call(move |conn| {
                let now = clock.now_ms();
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT id, citizen_key, text, candidates, asked_ms, expires_at_ms
                         FROM unanswered_question WHERE expires_at_ms > ?1
                         ORDER BY asked_ms DESC, id DESC LIMIT +?2",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(params![now, limit], |row| {
                        Ok((
                            UnansweredQuestion {
                                id: row.get(0)?,
                                citizen_key: row.get(1)?,
                                text: row.get(2)?,
                                candidates: Vec::new(),
                                asked_ms: row.get(4)?,
                                expires_at_ms: row.get(5)?,
                            },
                            row.get(3)?,
                        ))
                    })
                    .map_err(db_err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
            })
            .await?;
        rows.into_iter()
            .map(|(mut question, candidates)| {
                question.candidates = serde_json::from_str(&candidates).map_err(|e| {
                    PortError::Backend(format!(
                        "candidates of question {} unreadable: {e}",
                        question.id
                    ))
                })?;
                Ok(question)
            })
            .collect()
    }

    async fn raise_alert(&self, alert: &OperatorAlert) -> PortResult<()> {
        check_alert_ids(&alert.id, alert.raised_ms, alert.opd_id.as_deref())?;
        let a = alert.clone();
        self.db
            .call(move |conn| {
                // DO NOTHING: a retried raise neither duplicates nor reopens a resolved alert.
                conn.execute_cached(
                    "INSERT INTO operator_alert
                        (id, kind, message, citizen_key, raised_ms, opd_id, state)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open')
                     ON CONFLICT (id) DO NOTHING",
                    params![
                        a.id,
                        a.kind,
                        a.message,
                        a.citizen_key,
                        a.raised_ms,
                        a.opd_id
                    ],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    async fn recent_alerts(&self, limit: usize) -> PortResult<Vec<OperatorAlert>> {
        self.db
            .call(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT id, kind, message, citizen_key, raised_ms, opd_id
                         FROM operator_alert
                         ORDER BY raised_ms DESC, id DESC LIMIT +?1",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map([limit], |row| {
                        Ok(OperatorAlert {
                            id: row.get(0)?,
                            kind: row.get(1)?,
                            message: row.get(2)?,
                            citizen_key: row.get(3)?,
                            raised_ms: row.get(4)?,
                            opd_id: row.get(5)?,
                        })
                    })
                    .map_err(db_err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
            })
            .await
    }
}
