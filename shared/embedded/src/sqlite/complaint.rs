//! Complaints in the local mode: one row per ticket holding the whole complaint as JSON, plus
//! the columns the lists need. Same rules as the DynamoDB item of `docs/data-model.md`:
//! versioned writes are one conditional statement, and the lists order and page exactly like
//! the DynamoDB indexes (same cursor strings). Complaints never expire, so
//! `SqliteStore::purge_expired` leaves them alone.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, ToSql};

use prolink_app::complaint_rules::{
    check_complaint, complaint_json, due_index_ms, page_limit, parse_cursor, read_complaint,
    sort_key,
};
use prolink_app::ports::{ComplaintStore, Page, PageRequest, PortError, PortResult};
use prolink_domain::complaint::{Complaint, Status};

use super::conversation::{conflict, read_version, stored_version};
use super::db_err;
use super::store::{non_empty, SqliteStore};

/// The columns of a complaint row, as written.
struct ComplaintRow {
    ticket: String,
    citizen_key: String,
    status: &'static str,
    opd_id: String,
    received_ms: i64,
    /// The scheduler's index value (`NULL` once final), like `GSI4` on DynamoDB.
    next_due_ms: Option<i64>,
    version: i64,
    data: String,
}

impl ComplaintRow {
    fn new(complaint: &Complaint, version: u64) -> PortResult<Self> {
        check_complaint(complaint)?;
        Ok(ComplaintRow {
            ticket: complaint.ticket.clone(),
            citizen_key: complaint.citizen_key.clone(),
            status: complaint.status.as_str(),
            opd_id: complaint.opd_id.clone(),
            received_ms: complaint.received_ms,
            next_due_ms: due_index_ms(complaint),
            version: stored_version(version)?,
            data: complaint_json(complaint, version)?,
        })
    }
}

/// `version, data` of a row.
type StoredRow = (i64, String);

fn into_complaint((version, data): StoredRow) -> PortResult<Complaint> {
    read_complaint(&data, read_version(version)?)
}

fn select_one(conn: &Connection, ticket: &str) -> PortResult<Option<StoredRow>> {
    conn.query_row(
        "SELECT version, data FROM complaints WHERE ticket = ?1",
        [ticket],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .optional()
    .map_err(db_err)
}

fn select_many(conn: &Connection, sql: &str, args: &[&dyn ToSql]) -> PortResult<Vec<StoredRow>> {
    let mut stmt = conn.prepare_cached(sql).map_err(db_err)?;
    let rows = stmt
        .query_map(args, |row| Ok((row.get(0)?, row.get(1)?)))
        .map_err(db_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
}

/// SQLite's `LIMIT` is an i64; a larger request simply means "all".
fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Newest first after the cursor position (`?2`, `?3`), `?4` rows, in one partition of the
/// lists (`column = ?1`).
fn page_sql(column: &str) -> String {
    format!(
        "SELECT version, data FROM complaints
         WHERE {column} = ?1 AND (received_ms, ticket) < (?2, ?3)
         ORDER BY received_ms DESC, ticket DESC LIMIT ?4"
    )
}

enum Created {
    Inserted,
    Existing(Option<StoredRow>),
}

enum Updated {
    Written,
    Missing,
    Stale,
}

impl SqliteStore {
    /// One page of the complaints whose `column` equals `value`, newest first. One row more
    /// than the page is read so that `next` is only set when another complaint follows.
    async fn complaint_page(
        &self,
        column: &'static str,
        value: String,
        page: &PageRequest,
    ) -> PortResult<Page<Complaint>> {
        let limit = page_limit(page.limit)?;
        // Without a cursor, start above every possible (received_ms, ticket).
        let (after_ms, after_ticket) = match &page.after {
            Some(cursor) => parse_cursor(cursor)?,
            None => (i64::MAX, String::new()),
        };
        let rows = self
            .db
            .call(move |conn| {
                select_many(
                    conn,
                    &page_sql(column),
                    &[&value, &after_ms, &after_ticket, &sql_limit(limit + 1)],
                )
            })
            .await?;
        let more = rows.len() > limit;
        let items = rows
            .into_iter()
            .take(limit)
            .map(into_complaint)
            .collect::<PortResult<Vec<_>>>()?;
        let next = if more {
            items.last().map(|c| sort_key(c.received_ms, &c.ticket))
        } else {
            None
        };
        Ok(Page { items, next })
    }
}

#[async_trait]
impl ComplaintStore for SqliteStore {
    async fn create_complaint(&self, complaint: &Complaint) -> PortResult<Option<Complaint>> {
        if complaint.version != 0 {
            return Err(PortError::Invalid(format!(
                "complaint {} to create has version {}, expected 0",
                complaint.ticket, complaint.version
            )));
        }
        let row = ComplaintRow::new(complaint, 1)?;
        let outcome = self
            .db
            .call(move |conn| {
                let changed = conn
                    .execute(
                        "INSERT INTO complaints (ticket, citizen_key, status, opd_id, received_ms,
                            next_due_ms, version, data)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                         ON CONFLICT (ticket) DO NOTHING",
                        params![
                            row.ticket,
                            row.citizen_key,
                            row.status,
                            row.opd_id,
                            row.received_ms,
                            row.next_due_ms,
                            row.version,
                            row.data
                        ],
                    )
                    .map_err(db_err)?;
                if changed == 1 {
                    Ok(Created::Inserted)
                } else {
                    Ok(Created::Existing(select_one(conn, &row.ticket)?))
                }
            })
            .await?;
        match outcome {
            Created::Inserted => Ok(None),
            Created::Existing(Some(existing)) => into_complaint(existing).map(Some),
            Created::Existing(None) => Err(PortError::Conflict(format!(
                "complaint {} existed at the write and was gone at the read",
                complaint.ticket
            ))),
        }
    }

    async fn get_complaint(&self, ticket: &str) -> PortResult<Option<Complaint>> {
        non_empty("ticket", ticket)?;
        let ticket = ticket.to_owned();
        self.db
            .call(move |conn| select_one(conn, &ticket))
            .await?
            .map(into_complaint)
            .transpose()
    }

    async fn update_complaint(&self, complaint: &Complaint) -> PortResult<u64> {
        let expected = stored_version(complaint.version)?;
        let next = complaint.version + 1;
        let row = ComplaintRow::new(complaint, next)?;
        let outcome = self
            .db
            .call(move |conn| {
                // One statement: the version check and the write cannot interleave with
                // another writer (another process on the same file included).
                let changed = conn
                    .execute(
                        "UPDATE complaints SET citizen_key = ?2, status = ?3, opd_id = ?4,
                            received_ms = ?5, next_due_ms = ?6, version = ?7, data = ?8
                         WHERE ticket = ?1 AND version = ?9",
                        params![
                            row.ticket,
                            row.citizen_key,
                            row.status,
                            row.opd_id,
                            row.received_ms,
                            row.next_due_ms,
                            row.version,
                            row.data,
                            expected
                        ],
                    )
                    .map_err(db_err)?;
                if changed == 1 {
                    return Ok(Updated::Written);
                }
                let exists: bool = conn
                    .query_row(
                        "SELECT EXISTS (SELECT 1 FROM complaints WHERE ticket = ?1)",
                        [&row.ticket],
                        |r| r.get(0),
                    )
                    .map_err(db_err)?;
                Ok(if exists {
                    Updated::Stale
                } else {
                    Updated::Missing
                })
            })
            .await?;
        match outcome {
            Updated::Written => Ok(next),
            Updated::Missing => Err(PortError::NotFound(format!(
                "complaint {}",
                complaint.ticket
            ))),
            Updated::Stale => Err(conflict("complaint", &complaint.ticket, complaint.version)),
        }
    }

    async fn complaints_of_citizen(
        &self,
        citizen_key: &str,
        limit: usize,
    ) -> PortResult<Vec<Complaint>> {
        non_empty("citizen key", citizen_key)?;
        let citizen_key = citizen_key.to_owned();
        let rows = self
            .db
            .call(move |conn| {
                select_many(
                    conn,
                    "SELECT version, data FROM complaints WHERE citizen_key = ?1
                     ORDER BY received_ms DESC, ticket DESC LIMIT ?2",
                    &[&citizen_key, &sql_limit(limit)],
                )
            })
            .await?;
        rows.into_iter().map(into_complaint).collect()
    }

    async fn complaints_by_status(
        &self,
        status: Status,
        page: &PageRequest,
    ) -> PortResult<Page<Complaint>> {
        self.complaint_page("status", status.as_str().to_owned(), page)
            .await
    }

    async fn complaints_by_opd(
        &self,
        opd_id: &str,
        page: &PageRequest,
    ) -> PortResult<Page<Complaint>> {
        non_empty("opd id", opd_id)?;
        self.complaint_page("opd_id", opd_id.to_owned(), page).await
    }

    async fn complaints_due(&self, due_before_ms: i64, limit: usize) -> PortResult<Vec<Complaint>> {
        let rows = self
            .db
            .call(move |conn| {
                select_many(
                    conn,
                    "SELECT version, data FROM complaints
                     WHERE next_due_ms IS NOT NULL AND next_due_ms <= ?1
                     ORDER BY next_due_ms, ticket LIMIT ?2",
                    &[&due_before_ms, &sql_limit(limit)],
                )
            })
            .await?;
        rows.into_iter().map(into_complaint).collect()
    }
}
