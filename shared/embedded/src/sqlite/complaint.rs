//! Complaints in the local mode: one row per ticket holding the whole complaint as JSON, plus
//! the columns the lists need. Same rules as the DynamoDB item of `docs/data-model.md`:
//! versioned writes are one conditional statement, and the lists order and page exactly like
//! the DynamoDB indexes (same cursor strings). Complaints have no expiry column, so
//! `SqliteStore::purge_expired` leaves them alone; the retention sweep removes closed ones
//! through the `closed_ms` index (`RetentionStore`, `sqlite/retention.rs`).

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, ToSql};

use prolink_app::complaint_rules::{
    check_complaint, closed_index_ms, complaint_json, due_index_ms, page_limit, parse_cursor,
    read_complaint, received_range, sort_key,
};
use prolink_app::ports::{
    ComplaintQuery, ComplaintStore, Page, PageRequest, PortError, PortResult,
};
use prolink_domain::complaint::{Complaint, Status};

use super::conversation::{conflict, read_version, stored_version};
use super::store::{non_empty, SqliteStore};
use super::{db_err, CachedStatements};

/// The columns of a complaint row, as written.
struct ComplaintRow {
    ticket: String,
    citizen_key: String,
    status: &'static str,
    opd_id: String,
    received_ms: i64,
    /// The scheduler's index value (`NULL` once final), like `GSI4` on DynamoDB.
    next_due_ms: Option<i64>,
    /// The retention index value: when it was closed (`NULL` while open), like `GSI4`'s
    /// `CMPCLOSED` partition on DynamoDB.
    closed_ms: Option<i64>,
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
            closed_ms: closed_index_ms(complaint),
            version: stored_version(version)?,
            data: complaint_json(complaint, version)?,
        })
    }
}

/// `version, data` of a row.
type StoredRow = (i64, String);

pub(super) fn into_complaint((version, data): StoredRow) -> PortResult<Complaint> {
    read_complaint(&data, read_version(version)?)
}

fn select_one(conn: &Connection, ticket: &str) -> PortResult<Option<StoredRow>> {
    conn.query_row_cached(
        "SELECT version, data FROM complaints WHERE ticket = ?1",
        [ticket],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .optional()
    .map_err(db_err)
}

pub(super) fn select_many(
    conn: &Connection,
    sql: &str,
    args: &[&dyn ToSql],
) -> PortResult<Vec<StoredRow>> {
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

enum Created {
    Inserted,
    Existing(Option<StoredRow>),
}

enum Updated {
    Written,
    Missing,
    Stale,
}

/// The equality filters of a list: they pick the index (`(opd_id, status, …)`,
/// `(status, …)`, `(opd_id, …)` or `(received_ms, ticket)`), each followed by the
/// `(received_ms, ticket)` columns the range and the order use, like the DynamoDB indexes.
#[derive(Default)]
struct ListFilter {
    opd_id: Option<String>,
    status: Option<&'static str>,
    /// `[from, to)` of `received_ms`.
    from_ms: i64,
    to_ms: i64,
}

impl ListFilter {
    fn all_time() -> Self {
        ListFilter {
            from_ms: 0,
            to_ms: i64::MAX,
            ..ListFilter::default()
        }
    }
}

fn list_sql(filter: &ListFilter) -> String {
    // INDEXED BY: without statistics SQLite would read an OPD's whole partition for OPD and
    // status together; naming the index makes a plan without it an error, never a scan.
    let index = match (filter.opd_id.is_some(), filter.status.is_some()) {
        (true, true) => "complaints_by_opd_status",
        (false, true) => "complaints_by_status",
        (true, false) => "complaints_by_opd",
        (false, false) => "complaints_by_time",
    };
    let mut sql = format!("SELECT version, data FROM complaints INDEXED BY {index} WHERE ");
    if filter.opd_id.is_some() {
        sql.push_str("opd_id = ?5 AND ");
    }
    if filter.status.is_some() {
        sql.push_str("status = ?6 AND ");
    }
    sql.push_str(
        "received_ms >= ?1 AND received_ms < ?2 AND (received_ms, ticket) < (?3, ?4)
         ORDER BY received_ms DESC, ticket DESC LIMIT +?7",
    );
    sql
}

impl SqliteStore {
    /// One page of the complaints matching `filter`, newest first. One row more than the
    /// page is read so that `next` is only set when another complaint follows.
    async fn complaint_page(
        &self,
        filter: ListFilter,
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
                // Unused parameters stay bound (to NULL), so every shape of the statement
                // takes the same seven.
                select_many(
                    conn,
                    &list_sql(&filter),
                    &[
                        &filter.from_ms,
                        &filter.to_ms,
                        &after_ms,
                        &after_ticket,
                        &filter.opd_id,
                        &filter.status,
                        &sql_limit(limit + 1),
                    ],
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
                    .execute_cached(
                        "INSERT INTO complaints (ticket, citizen_key, status, opd_id, received_ms,
                            next_due_ms, version, data, closed_ms)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                         ON CONFLICT (ticket) DO NOTHING",
                        params![
                            row.ticket,
                            row.citizen_key,
                            row.status,
                            row.opd_id,
                            row.received_ms,
                            row.next_due_ms,
                            row.version,
                            row.data,
                            row.closed_ms
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
                    .execute_cached(
                        "UPDATE complaints SET citizen_key = ?2, status = ?3, opd_id = ?4,
                            received_ms = ?5, next_due_ms = ?6, version = ?7, data = ?8,
                            closed_ms = ?10
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
                            expected,
                            row.closed_ms
                        ],
                    )
                    .map_err(db_err)?;
                if changed == 1 {
                    return Ok(Updated::Written);
                }
                let exists: bool = conn
                    .query_row_cached(
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
                     ORDER BY received_ms DESC, ticket DESC LIMIT +?2",
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
        let filter = ListFilter {
            status: Some(status.as_str()),
            ..ListFilter::all_time()
        };
        self.complaint_page(filter, page).await
    }

    async fn complaints_by_opd(
        &self,
        opd_id: &str,
        page: &PageRequest,
    ) -> PortResult<Page<Complaint>> {
        non_empty("opd id", opd_id)?;
        let filter = ListFilter {
            opd_id: Some(opd_id.to_owned()),
            ..ListFilter::all_time()
        };
        self.complaint_page(filter, page).await
    }

    async fn list_complaints(
        &self,
        query: &ComplaintQuery,
        page: &PageRequest,
    ) -> PortResult<Page<Complaint>> {
        let Some((from_ms, to_ms)) = received_range(query)? else {
            // Still refuse what a non-empty range would refuse, so both answers agree.
            page_limit(page.limit)?;
            if let Some(cursor) = &page.after {
                parse_cursor(cursor)?;
            }
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        };
        let filter = ListFilter {
            opd_id: query.opd_id.clone(),
            status: query.status.map(Status::as_str),
            from_ms,
            to_ms,
        };
        self.complaint_page(filter, page).await
    }

    async fn complaints_due(&self, due_before_ms: i64, limit: usize) -> PortResult<Vec<Complaint>> {
        let rows = self
            .db
            .call(move |conn| {
                select_many(
                    conn,
                    "SELECT version, data FROM complaints
                     WHERE next_due_ms IS NOT NULL AND next_due_ms <= ?1
                     ORDER BY next_due_ms, ticket LIMIT +?2",
                    &[&due_before_ms, &sql_limit(limit)],
                )
            })
            .await?;
        rows.into_iter().map(into_complaint).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What SQLite plans for `sql`: one line per step.
    fn plan(conn: &Connection, sql: &str) -> Vec<String> {
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let args: [&dyn ToSql; 7] = [&0, &i64::MAX, &i64::MAX, &"", &"dpupr", &"diterima", &10];
        let rows = stmt
            .query_map(&args[..], |row| row.get::<_, String>(3))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        rows.map(|r| r.unwrap_or_default()).collect()
    }

    #[test]
    fn every_list_shape_reads_its_index() {
        let mut conn = Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        super::super::schema::migrate(&mut conn).unwrap_or_else(|e| panic!("{e}"));
        for (opd, status, index) in [
            (true, true, "complaints_by_opd_status"),
            (false, true, "complaints_by_status"),
            (true, false, "complaints_by_opd"),
            (false, false, "complaints_by_time"),
        ] {
            let filter = ListFilter {
                opd_id: opd.then(|| "dpupr".to_owned()),
                status: status.then_some("diterima"),
                ..ListFilter::all_time()
            };
            let steps = plan(&conn, &list_sql(&filter));
            assert!(
                steps.iter().any(|s| s.contains(&format!("INDEX {index} "))),
                "{opd} {status}: {steps:?}"
            );
            // Read in index order: no temporary sort of the whole partition.
            assert!(
                !steps.iter().any(|s| s.contains("TEMP B-TREE")),
                "{opd} {status}: {steps:?}"
            );
        }
    }
}
