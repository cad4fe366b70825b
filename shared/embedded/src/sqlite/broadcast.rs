//! Broadcasts in the local mode (schema 12): one row per broadcast with its list and due
//! sort keys as columns (the same keys as the DynamoDB indexes), and the opted-in citizens
//! read in rowid order from the citizen table.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

use prolink_app::ports::{
    BroadcastRecord, BroadcastStore, CitizenProfile, Page, PageRequest, PortError, PortResult,
    Subscriber,
};

use super::conversation::{conflict, read_version, stored_version};
use super::operator::select_rows;
use super::store::{non_empty, SqliteStore};
use super::{db_err, CachedStatements};

/// `<created_ms, 13 digits>_<id>` (URL-safe, it is the page cursor): newest first is descending text order.
pub(super) fn created_sk(record: &BroadcastRecord) -> String {
    format!("{:013}_{}", record.created_ms.max(0), record.id)
}

fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

fn into_broadcast((version, data): (i64, String)) -> PortResult<BroadcastRecord> {
    let mut record: BroadcastRecord = serde_json::from_str(&data)
        .map_err(|e| PortError::Backend(format!("stored broadcast unreadable: {e}")))?;
    record.version = read_version(version)?;
    Ok(record)
}

fn malformed(cursor: &str) -> PortError {
    PortError::Invalid(format!("malformed page cursor {cursor:?}"))
}

#[async_trait]
impl BroadcastStore for SqliteStore {
    async fn put_broadcast(&self, broadcast: &BroadcastRecord) -> PortResult<u64> {
        non_empty("broadcast id", &broadcast.id)?;
        let expected = stored_version(broadcast.version)?;
        let next = expected + 1;
        let mut stored = broadcast.clone();
        stored.version = broadcast.version + 1;
        let json = serde_json::to_string(&stored)
            .map_err(|e| PortError::Invalid(format!("broadcast: {e}")))?;
        let id = broadcast.id.clone();
        let sk = created_sk(broadcast);
        let due = broadcast
            .next_run_ms
            .filter(|_| broadcast.state.is_active());
        let written = self
            .db
            .call(move |conn| {
                let written = if expected == 0 {
                    conn.execute_cached(
                        "INSERT INTO broadcast (id, version, created_sk, due_ms, data)
                         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO NOTHING",
                        params![id, next, sk, due, json],
                    )
                } else {
                    conn.execute_cached(
                        "UPDATE broadcast SET version = ?2, created_sk = ?3, due_ms = ?4, data = ?5
                         WHERE id = ?1 AND version = ?6",
                        params![id, next, sk, due, json, expected],
                    )
                };
                written.map_err(db_err)
            })
            .await?;
        if written == 1 {
            Ok(stored.version)
        } else {
            Err(conflict("broadcast", &broadcast.id, broadcast.version))
        }
    }

    async fn get_broadcast(&self, id: &str) -> PortResult<Option<BroadcastRecord>> {
        non_empty("broadcast id", id)?;
        let id = id.to_owned();
        let row = self
            .db
            .call(move |conn| {
                conn.query_row_cached(
                    "SELECT version, data FROM broadcast WHERE id = ?1",
                    [id],
                    |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
                )
                .optional()
                .map_err(db_err)
            })
            .await?;
        row.map(into_broadcast).transpose()
    }

    async fn list_broadcasts(&self, page: &PageRequest) -> PortResult<Page<BroadcastRecord>> {
        let limit = page.limit.max(1);
        let after = match &page.after {
            Some(cursor) => {
                // The cursor is a sort key this method handed out.
                let (ms, id) = cursor.split_once('_').ok_or_else(|| malformed(cursor))?;
                if ms.len() != 13 || !ms.bytes().all(|b| b.is_ascii_digit()) || id.is_empty() {
                    return Err(malformed(cursor));
                }
                cursor.clone()
            }
            None => "~".to_owned(),
        };
        let wanted = sql_limit(limit.saturating_add(1));
        let rows = self
            .db
            .call(move |conn| {
                select_rows(
                    conn,
                    "SELECT version, data FROM broadcast INDEXED BY broadcast_by_created
                     WHERE created_sk < ?1 ORDER BY created_sk DESC LIMIT +?2",
                    &[&after, &wanted],
                    |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
                )
            })
            .await?;
        let mut items = rows
            .into_iter()
            .map(into_broadcast)
            .collect::<PortResult<Vec<_>>>()?;
        let more = items.len() > limit;
        items.truncate(limit);
        let next = if more {
            items.last().map(created_sk)
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn broadcasts_due(
        &self,
        due_before_ms: i64,
        limit: usize,
    ) -> PortResult<Vec<BroadcastRecord>> {
        let limit = sql_limit(limit);
        let rows = self
            .db
            .call(move |conn| {
                select_rows(
                    conn,
                    "SELECT version, data FROM broadcast INDEXED BY broadcast_by_due
                     WHERE due_ms IS NOT NULL AND due_ms <= ?1 ORDER BY due_ms, id LIMIT +?2",
                    &[&due_before_ms, &limit],
                    |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
                )
            })
            .await?;
        rows.into_iter().map(into_broadcast).collect()
    }

    async fn subscribers(&self, after: Option<&str>, limit: usize) -> PortResult<Vec<Subscriber>> {
        let after: i64 = match after {
            Some(cursor) => cursor.parse().map_err(|_| malformed(cursor))?,
            None => 0,
        };
        let limit = sql_limit(limit);
        let rows = self
            .db
            .call(move |conn| {
                select_rows(
                    conn,
                    "SELECT rowid, profile FROM citizen
                     WHERE rowid > ?1 AND json_extract(profile, '$.broadcast_opt_in') = 1
                     ORDER BY rowid LIMIT +?2",
                    &[&after, &limit],
                    |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
                )
            })
            .await?;
        rows.into_iter()
            .map(|(rowid, profile)| {
                let profile: CitizenProfile = serde_json::from_str(&profile)
                    .map_err(|e| PortError::Backend(format!("stored citizen unreadable: {e}")))?;
                Ok(Subscriber {
                    cursor: rowid.to_string(),
                    profile,
                })
            })
            .collect()
    }
}
