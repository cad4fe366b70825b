//! The content revisions of the operator API in SQLite: one row per revision, the summary and
//! the whole bundle as JSON; the number is the primary key, so of two writers of the same
//! number one wins.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

use prolink_app::ports::{
    ContentRevision, ContentRevisions, Page, PageRequest, PortError, PortResult, RevisionSummary,
};
use prolink_domain::content::ContentBundle;

use super::store::SqliteStore;
use super::{db_err, CachedStatements};

fn to_sql_number(number: u64) -> PortResult<i64> {
    i64::try_from(number)
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| PortError::Invalid(format!("revision number {number}")))
}

fn summary_of(json: &str) -> PortResult<RevisionSummary> {
    serde_json::from_str(json)
        .map_err(|e| PortError::Backend(format!("stored content revision unreadable: {e}")))
}

#[async_trait]
impl ContentRevisions for SqliteStore {
    async fn append_revision(&self, revision: &ContentRevision) -> PortResult<()> {
        let number = to_sql_number(revision.summary.number)?;
        let summary = serde_json::to_string(&revision.summary)
            .map_err(|e| PortError::Invalid(format!("revision summary: {e}")))?;
        let bundle = serde_json::to_string(&revision.bundle)
            .map_err(|e| PortError::Invalid(format!("revision bundle: {e}")))?;
        let at_ms = revision.summary.at_ms;
        let inserted = self
            .db
            .call(move |conn| {
                conn.execute_cached(
                    "INSERT INTO content_revision (number, at_ms, summary, bundle)
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (number) DO NOTHING",
                    params![number, at_ms, summary, bundle],
                )
                .map_err(db_err)
            })
            .await?;
        if inserted == 1 {
            Ok(())
        } else {
            Err(PortError::Conflict(format!(
                "content revision {number} exists"
            )))
        }
    }

    async fn list_revisions(&self, page: &PageRequest) -> PortResult<Page<RevisionSummary>> {
        let before = match &page.after {
            None => i64::MAX,
            Some(cursor) => cursor
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| PortError::Invalid(format!("cursor {cursor}")))?,
        };
        let limit = i64::try_from(page.limit.max(1)).unwrap_or(i64::MAX);
        let rows: Vec<String> = self
            .db
            .call(move |conn| {
                let mut statement = conn
                    .prepare(
                        "SELECT summary FROM content_revision WHERE number < ?1
                         ORDER BY number DESC LIMIT +?2",
                    )
                    .map_err(db_err)?;
                let rows = statement
                    .query_map(params![before, limit.saturating_add(1)], |row| row.get(0))
                    .map_err(db_err)?
                    .collect::<Result<Vec<String>, _>>()
                    .map_err(db_err)?;
                Ok(rows)
            })
            .await?;
        let more = rows.len() > page.limit.max(1);
        let items = rows
            .iter()
            .take(page.limit.max(1))
            .map(|json| summary_of(json))
            .collect::<PortResult<Vec<_>>>()?;
        let next = if more {
            items.last().map(|s| s.number.to_string())
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn get_revision(&self, number: u64) -> PortResult<Option<ContentRevision>> {
        let Ok(number) = to_sql_number(number) else {
            return Ok(None);
        };
        let row: Option<(String, String)> = self
            .db
            .call(move |conn| {
                conn.query_row_cached(
                    "SELECT summary, bundle FROM content_revision WHERE number = ?1",
                    params![number],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .map_err(db_err)
            })
            .await?;
        let Some((summary, bundle)) = row else {
            return Ok(None);
        };
        let bundle: ContentBundle = serde_json::from_str(&bundle).map_err(|e| {
            PortError::Backend(format!("content revision {number} unreadable: {e}"))
        })?;
        Ok(Some(ContentRevision {
            summary: summary_of(&summary)?,
            bundle,
        }))
    }
}
