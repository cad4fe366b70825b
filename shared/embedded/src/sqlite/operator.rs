//! The operator-side stores of the local mode: users, the audit trail, the alert board and
//! settings. Same rules as the DynamoDB items of `docs/data-model.md`: versioned writes are
//! one conditional statement, lists read an index in the same order and with the same cursor
//! strings, and expiry is decided with the injected clock.

use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row, ToSql};

use prolink_app::complaint_rules::{page_limit, parse_cursor, sort_key};
use prolink_app::operator_rules::{
    alert_state_name, check_audit, check_audit_query, check_setting_key, check_user,
    check_username, parse_alert_state, setting_json,
};
use prolink_app::ports::{
    AlertBoard, AlertRecord, AlertState, AuditLog, AuditQuery, AuditRecord, OperatorAlert, Page,
    PageRequest, PortError, PortResult, SettingsStore, StoredSetting, UserRecord, UserStore,
};

use super::conversation::{conflict, put_versioned_row, read_version, stored_version};
use super::store::{non_empty, SqliteStore};
use super::{db_err, CachedStatements};

/// SQLite's `LIMIT` is an i64; a larger request simply means "all".
fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Where a newest-first list starts: after the cursor, or above every (ms, id) there is.
fn newest_first_start(page: &PageRequest) -> PortResult<(i64, String)> {
    match &page.after {
        Some(cursor) => parse_cursor(cursor),
        None => Ok((i64::MAX, String::new())),
    }
}

/// Cuts the `limit + 1` rows read into a page; `next` only when another row follows.
fn into_page<T>(mut rows: Vec<T>, limit: usize, cursor: impl Fn(&T) -> String) -> Page<T> {
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more { rows.last().map(cursor) } else { None };
    Page { items: rows, next }
}

pub(super) fn select_rows<T>(
    conn: &Connection,
    sql: &str,
    args: &[&dyn ToSql],
    read: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> PortResult<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(db_err)?;
    let rows = stmt.query_map(args, read).map_err(db_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
}

// ---------------------------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------------------------

fn into_user((version, data): (i64, String)) -> PortResult<UserRecord> {
    let mut user: UserRecord = serde_json::from_str(&data)
        .map_err(|e| PortError::Backend(format!("stored user unreadable: {e}")))?;
    // The column is the authority; the JSON copy is written in the same statement anyway.
    user.version = read_version(version)?;
    Ok(user)
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn get_user(&self, username: &str) -> PortResult<Option<UserRecord>> {
        non_empty("username", username)?;
        let username = username.to_owned();
        let found: Option<(i64, String)> = self
            .db
            .call(move |conn| {
                conn.query_row_cached(
                    "SELECT version, data FROM operator_user WHERE username = ?1",
                    [&username],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .map_err(db_err)
            })
            .await?;
        found.map(into_user).transpose()
    }

    async fn put_user(&self, user: &UserRecord) -> PortResult<u64> {
        check_user(user)?;
        let expected = stored_version(user.version)?;
        let next = expected + 1;
        let mut stored = user.clone();
        stored.version = user.version + 1;
        let json = serde_json::to_string(&stored)
            .map_err(|e| PortError::Invalid(format!("user {}: {e}", user.username)))?;
        let username = user.username.clone();
        let changed = self
            .db
            .call(move |conn| {
                put_versioned_row(
                    conn,
                    "operator_user",
                    "username",
                    "data",
                    &username,
                    expected,
                    next,
                    &json,
                )
            })
            .await?;
        if changed == 1 {
            Ok(stored.version)
        } else {
            Err(conflict("user", &user.username, user.version))
        }
    }

    async fn list_users(&self, page: &PageRequest) -> PortResult<Page<UserRecord>> {
        let limit = page_limit(page.limit)?;
        // The cursor is the last username returned; "" sorts before every valid name.
        let after = match &page.after {
            Some(cursor) => {
                check_username(cursor)
                    .map_err(|_| PortError::Invalid(format!("malformed page cursor {cursor:?}")))?;
                cursor.clone()
            }
            None => String::new(),
        };
        let rows = self
            .db
            .call(move |conn| {
                select_rows(
                    conn,
                    "SELECT version, data FROM operator_user WHERE username > ?1
                     ORDER BY username LIMIT +?2",
                    &[&after, &sql_limit(limit + 1)],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
            })
            .await?;
        let users = rows
            .into_iter()
            .map(into_user)
            .collect::<PortResult<Vec<_>>>()?;
        Ok(into_page(users, limit, |u| u.username.clone()))
    }
}

// ---------------------------------------------------------------------------------------------
// Audit trail
// ---------------------------------------------------------------------------------------------

fn audit_from_row(row: &Row<'_>) -> rusqlite::Result<AuditRecord> {
    Ok(AuditRecord {
        id: row.get(0)?,
        at_ms: row.get(1)?,
        actor: row.get(2)?,
        role: row.get(3)?,
        action: row.get(4)?,
        subject: row.get(5)?,
        ip: row.get(6)?,
        detail: row.get(7)?,
        expires_at_ms: row.get(8)?,
    })
}

#[async_trait]
impl AuditLog for SqliteStore {
    async fn append_audit(&self, record: &AuditRecord) -> PortResult<()> {
        check_audit(record)?;
        let r = record.clone();
        self.db
            .call(move |conn| {
                // DO NOTHING: append-only, a retried append leaves the first copy as it is.
                conn.execute_cached(
                    "INSERT INTO audit_log
                        (id, at_ms, actor, role, action, subject, ip, detail, expires_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                     ON CONFLICT (id) DO NOTHING",
                    params![
                        r.id,
                        r.at_ms,
                        r.actor,
                        r.role,
                        r.action,
                        r.subject,
                        r.ip,
                        r.detail,
                        r.expires_at_ms
                    ],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    async fn query_audit(
        &self,
        query: &AuditQuery,
        page: &PageRequest,
    ) -> PortResult<Page<AuditRecord>> {
        check_audit_query(query)?;
        let limit = page_limit(page.limit)?;
        let (after_ms, after_id) = newest_first_start(page)?;
        let query = query.clone();
        let clock = Arc::clone(&self.clock);
        let rows = self
            .db
            .call(move |conn| {
                let now = clock.now_ms();
                // INDEXED BY, as on DynamoDB: the subject's index (the actor filtered) when
                // a subject is given, else the actor's, else the whole trail by time. A plan
                // without it is an error, never a scan.
                let index = match (&query.subject, &query.actor) {
                    (Some(_), _) => "audit_log_by_subject",
                    (None, Some(_)) => "audit_log_by_actor",
                    (None, None) => "audit_log_by_time",
                };
                let mut sql = format!(
                    "SELECT id, at_ms, actor, role, action, subject, ip, detail, expires_at_ms
                     FROM audit_log INDEXED BY {index}
                     WHERE expires_at_ms > ?1 AND (at_ms, id) < (?2, ?3)"
                );
                let mut args: Vec<&dyn ToSql> = vec![&now, &after_ms, &after_id];
                if let Some(subject) = &query.subject {
                    sql.push_str(" AND subject = ?4");
                    args.push(subject);
                    if let Some(actor) = &query.actor {
                        sql.push_str(" AND actor = ?5");
                        args.push(actor);
                    }
                } else if let Some(actor) = &query.actor {
                    sql.push_str(" AND actor = ?4");
                    args.push(actor);
                }
                let limit_arg = sql_limit(limit + 1);
                sql.push_str(&format!(
                    " ORDER BY at_ms DESC, id DESC LIMIT +?{}",
                    args.len() + 1
                ));
                args.push(&limit_arg);
                select_rows(conn, &sql, &args, audit_from_row)
            })
            .await?;
        Ok(into_page(rows, limit, |r| sort_key(r.at_ms, &r.id)))
    }
}

// ---------------------------------------------------------------------------------------------
// Alert board
// ---------------------------------------------------------------------------------------------

pub(super) const ALERT_COLUMNS: &str =
    "id, kind, message, citizen_key, raised_ms, opd_id, state, resolved_ms, resolved_by";

/// An alert row with its state still a name (checked outside the row reader).
pub(super) type AlertRow = (OperatorAlert, String, Option<i64>, Option<String>);

pub(super) fn alert_from_row(row: &Row<'_>) -> rusqlite::Result<AlertRow> {
    Ok((
        OperatorAlert {
            id: row.get(0)?,
            kind: row.get(1)?,
            message: row.get(2)?,
            citizen_key: row.get(3)?,
            raised_ms: row.get(4)?,
            opd_id: row.get(5)?,
        },
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
    ))
}

pub(super) fn into_alert(
    (alert, state, resolved_ms, resolved_by): AlertRow,
) -> PortResult<AlertRecord> {
    Ok(AlertRecord {
        alert,
        state: parse_alert_state(&state)?,
        resolved_ms,
        resolved_by,
    })
}

fn select_alert(conn: &Connection, id: &str) -> PortResult<Option<AlertRow>> {
    conn.query_row_cached(
        &format!("SELECT {ALERT_COLUMNS} FROM operator_alert WHERE id = ?1"),
        [id],
        alert_from_row,
    )
    .optional()
    .map_err(db_err)
}

#[async_trait]
impl AlertBoard for SqliteStore {
    async fn list_alerts(
        &self,
        state: AlertState,
        opd_id: Option<&str>,
        page: &PageRequest,
    ) -> PortResult<Page<AlertRecord>> {
        if let Some(opd) = opd_id {
            non_empty("opd id", opd)?;
        }
        let limit = page_limit(page.limit)?;
        let (after_ms, after_id) = newest_first_start(page)?;
        let opd_id = opd_id.map(str::to_owned);
        let rows = self
            .db
            .call(move |conn| {
                let state = alert_state_name(state);
                let limit_arg = sql_limit(limit + 1);
                match &opd_id {
                    Some(opd) => select_rows(
                        conn,
                        &format!(
                            "SELECT {ALERT_COLUMNS} FROM operator_alert INDEXED BY operator_alert_by_opd
                             WHERE opd_id = ?1 AND state = ?2 AND (raised_ms, id) < (?3, ?4)
                             ORDER BY raised_ms DESC, id DESC LIMIT +?5"
                        ),
                        &[opd, &state, &after_ms, &after_id, &limit_arg],
                        alert_from_row,
                    ),
                    None => select_rows(
                        conn,
                        &format!(
                            "SELECT {ALERT_COLUMNS} FROM operator_alert
                             INDEXED BY operator_alert_by_state
                             WHERE state = ?1 AND (raised_ms, id) < (?2, ?3)
                             ORDER BY raised_ms DESC, id DESC LIMIT +?4"
                        ),
                        &[&state, &after_ms, &after_id, &limit_arg],
                        alert_from_row,
                    ),
                }
            })
            .await?;
        let alerts = rows
            .into_iter()
            .map(into_alert)
            .collect::<PortResult<Vec<_>>>()?;
        Ok(into_page(alerts, limit, |a| {
            sort_key(a.alert.raised_ms, &a.alert.id)
        }))
    }

    async fn get_alert(&self, id: &str) -> PortResult<Option<AlertRecord>> {
        non_empty("alert id", id)?;
        let id = id.to_owned();
        self.db
            .call(move |conn| select_alert(conn, &id))
            .await?
            .map(into_alert)
            .transpose()
    }

    async fn resolve_alert(
        &self,
        id: &str,
        by: &str,
        at_ms: i64,
    ) -> PortResult<Option<AlertRecord>> {
        non_empty("alert id", id)?;
        non_empty("resolved by", by)?;
        let (id, by) = (id.to_owned(), by.to_owned());
        self.db
            .call(move |conn| {
                // Only an open alert changes, so the first resolver's name and time stay.
                conn.execute_cached(
                    "UPDATE operator_alert SET state = 'resolved', resolved_ms = ?2,
                        resolved_by = ?3
                     WHERE id = ?1 AND state = 'open'",
                    params![id, at_ms, by],
                )
                .map_err(db_err)?;
                select_alert(conn, &id)
            })
            .await?
            .map(into_alert)
            .transpose()
    }
}

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

#[async_trait]
impl SettingsStore for SqliteStore {
    async fn get_setting(&self, key: &str) -> PortResult<Option<StoredSetting>> {
        check_setting_key(key)?;
        let wanted = key.to_owned();
        let found: Option<(i64, String, i64, String)> = self
            .db
            .call(move |conn| {
                conn.query_row_cached(
                    "SELECT version, value, updated_ms, updated_by FROM operator_setting
                     WHERE key = ?1",
                    [&wanted],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
                )
                .optional()
                .map_err(db_err)
            })
            .await?;
        let Some((version, value, updated_ms, updated_by)) = found else {
            return Ok(None);
        };
        let value = serde_json::from_str(&value)
            .map_err(|e| PortError::Backend(format!("stored setting unreadable: {e}")))?;
        Ok(Some(StoredSetting {
            key: key.to_owned(),
            value,
            updated_ms,
            updated_by,
            version: read_version(version)?,
        }))
    }

    async fn put_setting(&self, setting: &StoredSetting) -> PortResult<u64> {
        check_setting_key(&setting.key)?;
        let json = setting_json(&setting.key, &setting.value)?;
        let expected = stored_version(setting.version)?;
        let next = expected + 1;
        let s = setting.clone();
        let changed = self
            .db
            .call(move |conn| {
                let changed = if expected == 0 {
                    conn.execute_cached(
                        "INSERT INTO operator_setting (key, version, value, updated_ms, updated_by)
                         VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT (key) DO NOTHING",
                        params![s.key, next, json, s.updated_ms, s.updated_by],
                    )
                } else {
                    conn.execute_cached(
                        "UPDATE operator_setting SET version = ?2, value = ?3, updated_ms = ?4,
                            updated_by = ?5
                         WHERE key = ?1 AND version = ?6",
                        params![s.key, next, json, s.updated_ms, s.updated_by, expected],
                    )
                };
                changed.map_err(db_err)
            })
            .await?;
        if changed == 1 {
            read_version(next)
        } else {
            Err(conflict("setting", &setting.key, setting.version))
        }
    }
}
