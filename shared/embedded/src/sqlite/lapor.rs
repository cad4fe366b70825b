//! The SP4N-LAPOR! outbox in the local mode (schema 13): one row per complaint's task, with
//! the reporter's key (the citizen erasure scrubs it) and the due instant (the scheduler's
//! pick-up, like GSI4's `LAPORDUE`) as columns.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

use prolink_app::ports::{LaporStore, LaporTask, PortError, PortResult};

use super::conversation::{conflict, read_version, stored_version};
use super::operator::select_rows;
use super::store::{non_empty, SqliteStore};
use super::{db_err, CachedStatements};

fn into_task((version, data): (i64, String)) -> PortResult<LaporTask> {
    let mut task: LaporTask = serde_json::from_str(&data)
        .map_err(|e| PortError::Backend(format!("stored LAPOR task unreadable: {e}")))?;
    task.version = read_version(version)?;
    Ok(task)
}

#[async_trait]
impl LaporStore for SqliteStore {
    async fn put_lapor_task(&self, task: &LaporTask) -> PortResult<u64> {
        non_empty("ticket", &task.ticket)?;
        let expected = stored_version(task.version)?;
        let next = expected + 1;
        let mut stored = task.clone();
        stored.version = task.version + 1;
        let json = serde_json::to_string(&stored)
            .map_err(|e| PortError::Invalid(format!("LAPOR task: {e}")))?;
        let ticket = task.ticket.clone();
        let key = task.citizen_key.clone();
        let due = task.next_run_ms;
        let written = self
            .db
            .call(move |conn| {
                let written = if expected == 0 {
                    conn.execute_cached(
                        "INSERT INTO lapor_task (ticket, version, citizen_key, due_ms, data)
                         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (ticket) DO NOTHING",
                        params![ticket, next, key, due, json],
                    )
                } else {
                    conn.execute_cached(
                        "UPDATE lapor_task SET version = ?2, citizen_key = ?3, due_ms = ?4,
                         data = ?5 WHERE ticket = ?1 AND version = ?6",
                        params![ticket, next, key, due, json, expected],
                    )
                };
                written.map_err(db_err)
            })
            .await?;
        if written == 1 {
            Ok(stored.version)
        } else {
            Err(conflict("LAPOR task", &task.ticket, task.version))
        }
    }

    async fn get_lapor_task(&self, ticket: &str) -> PortResult<Option<LaporTask>> {
        non_empty("ticket", ticket)?;
        let ticket = ticket.to_owned();
        let row = self
            .db
            .call(move |conn| {
                conn.query_row_cached(
                    "SELECT version, data FROM lapor_task WHERE ticket = ?1",
                    [ticket],
                    |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
                )
                .optional()
                .map_err(db_err)
            })
            .await?;
        row.map(into_task).transpose()
    }

    async fn lapor_tasks_due(
        &self,
        due_before_ms: i64,
        limit: usize,
    ) -> PortResult<Vec<LaporTask>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .db
            .call(move |conn| {
                select_rows(
                    conn,
                    "SELECT version, data FROM lapor_task INDEXED BY lapor_task_by_due
                     WHERE due_ms IS NOT NULL AND due_ms <= ?1 ORDER BY due_ms, ticket LIMIT +?2",
                    &[&due_before_ms, &limit],
                    |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
                )
            })
            .await?;
        rows.into_iter().map(into_task).collect()
    }
}
