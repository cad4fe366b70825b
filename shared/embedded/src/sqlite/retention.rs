//! Retention in the local mode: the closed complaints and resolved alerts past their
//! retention, read through indexes (`complaints_by_closed`, `operator_alert_by_state`) like
//! the DynamoDB adapter reads `GSI4` and `GSI2`, and removed one row at a time.

use async_trait::async_trait;
use rusqlite::params;

use prolink_app::ports::{AlertRecord, PortResult, RetentionStore};
use prolink_domain::complaint::Complaint;

use super::complaint::{into_complaint, select_many};
use super::conversation::stored_version;
use super::operator::{alert_from_row, into_alert, select_rows, ALERT_COLUMNS};
use super::store::{non_empty, SqliteStore};
use super::{db_err, CachedStatements};

/// SQLite's `LIMIT` is an i64; a larger request simply means "all".
fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

#[async_trait]
impl RetentionStore for SqliteStore {
    async fn complaints_closed_before(
        &self,
        closed_before_ms: i64,
        limit: usize,
    ) -> PortResult<Vec<Complaint>> {
        let rows = self
            .db
            .call(move |conn| {
                select_many(
                    conn,
                    "SELECT version, data FROM complaints INDEXED BY complaints_by_closed
                     WHERE closed_ms IS NOT NULL AND closed_ms < ?1
                     ORDER BY closed_ms, ticket LIMIT +?2",
                    &[&closed_before_ms, &sql_limit(limit)],
                )
            })
            .await?;
        rows.into_iter().map(into_complaint).collect()
    }

    async fn delete_complaint(&self, ticket: &str, version: u64) -> PortResult<bool> {
        non_empty("ticket", ticket)?;
        let version = stored_version(version)?;
        let ticket = ticket.to_owned();
        let deleted = self
            .db
            .call(move |conn| {
                conn.execute_cached(
                    "DELETE FROM complaints WHERE ticket = ?1 AND version = ?2",
                    params![ticket, version],
                )
                .map_err(db_err)
            })
            .await?;
        Ok(deleted == 1)
    }

    async fn alerts_resolved_before(
        &self,
        resolved_before_ms: i64,
        limit: usize,
    ) -> PortResult<Vec<AlertRecord>> {
        let rows = self
            .db
            .call(move |conn| {
                // An alert is resolved after it was raised, so the index range on `raised_ms`
                // holds every candidate; `resolved_ms` decides among them.
                select_rows(
                    conn,
                    &format!(
                        "SELECT {ALERT_COLUMNS} FROM operator_alert
                         INDEXED BY operator_alert_by_state
                         WHERE state = 'resolved' AND raised_ms < ?1 AND resolved_ms < ?1
                         ORDER BY raised_ms, id LIMIT +?2"
                    ),
                    &[&resolved_before_ms, &sql_limit(limit)],
                    alert_from_row,
                )
            })
            .await?;
        rows.into_iter().map(into_alert).collect()
    }

    async fn delete_alert(&self, id: &str) -> PortResult<()> {
        non_empty("alert id", id)?;
        let id = id.to_owned();
        self.db
            .call(move |conn| {
                conn.execute_cached("DELETE FROM operator_alert WHERE id = ?1", [id])
                    .map_err(db_err)
            })
            .await?;
        Ok(())
    }
}
