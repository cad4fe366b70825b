//! The conversation log of the local mode: message entries per citizen and one summary per
//! conversation, with the same keys, cursors and rules as the DynamoDB items
//! (`docs/data-model.md`, "Conversation").

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

use prolink_app::complaint_rules::{page_limit, parse_cursor};
use prolink_app::conversations::{
    check_list_cursor, check_message, check_summary, handoff_sort_key, message_sort_key,
    recent_sort_key,
};
use prolink_app::ports::{
    ConversationFilter, ConversationLog, ConversationSummary, LoggedMessage, OutboxState, Page,
    PageRequest, PortError, PortResult,
};

use super::conversation::{conflict, read_version, stored_version};
use super::store::{non_empty, SqliteStore};
use super::{db_err, CachedStatements};

fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

fn into_page<T>(mut rows: Vec<T>, limit: usize, cursor: impl Fn(&T) -> String) -> Page<T> {
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more { rows.last().map(cursor) } else { None };
    Page { items: rows, next }
}

fn read_message(data: &str) -> PortResult<LoggedMessage> {
    serde_json::from_str(data)
        .map_err(|e| PortError::Backend(format!("stored message unreadable: {e}")))
}

fn read_summary((version, data): (i64, String)) -> PortResult<ConversationSummary> {
    let mut summary: ConversationSummary = serde_json::from_str(&data)
        .map_err(|e| PortError::Backend(format!("stored conversation unreadable: {e}")))?;
    summary.version = read_version(version)?;
    Ok(summary)
}

#[async_trait]
impl ConversationLog for SqliteStore {
    async fn append_message(&self, message: &LoggedMessage) -> PortResult<bool> {
        check_message(message)?;
        let data = serde_json::to_string(message)
            .map_err(|e| PortError::Invalid(format!("message {}: {e}", message.id)))?;
        let m = message.clone();
        let now = self.clock.now_ms();
        let changed = self
            .db
            .call(move |conn| {
                // An expired entry counts as absent, as on DynamoDB.
                conn.execute_cached(
                    "INSERT INTO message_log (citizen_key, at_ms, id, data, expires_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (citizen_key, at_ms, id) DO UPDATE
                        SET data = excluded.data, expires_at_ms = excluded.expires_at_ms
                        WHERE message_log.expires_at_ms <= ?6",
                    params![m.citizen_key, m.at_ms, m.id, data, m.expires_at_ms, now],
                )
                .map_err(db_err)
            })
            .await?;
        Ok(changed == 1)
    }

    async fn set_delivery(
        &self,
        citizen_key: &str,
        at_ms: i64,
        id: &str,
        state: OutboxState,
    ) -> PortResult<bool> {
        non_empty("citizen key", citizen_key)?;
        non_empty("message id", id)?;
        let (key, id) = (citizen_key.to_owned(), id.to_owned());
        let now = self.clock.now_ms();
        self.db
            .call(move |conn| {
                let found: Option<String> = conn
                    .query_row_cached(
                        "SELECT data FROM message_log
                         WHERE citizen_key = ?1 AND at_ms = ?2 AND id = ?3 AND expires_at_ms > ?4",
                        params![key, at_ms, id, now],
                        |row| row.get(0),
                    )
                    .optional()
                    .map_err(db_err)?;
                let Some(data) = found else {
                    return Ok(false);
                };
                let mut message = read_message(&data)?;
                message.delivery = Some(state);
                let data = serde_json::to_string(&message)
                    .map_err(|e| PortError::Invalid(format!("message {id}: {e}")))?;
                conn.execute_cached(
                    "UPDATE message_log SET data = ?4
                     WHERE citizen_key = ?1 AND at_ms = ?2 AND id = ?3",
                    params![key, at_ms, id, data],
                )
                .map_err(db_err)?;
                Ok(true)
            })
            .await
    }

    async fn messages_of(
        &self,
        citizen_key: &str,
        page: &PageRequest,
    ) -> PortResult<Page<LoggedMessage>> {
        non_empty("citizen key", citizen_key)?;
        let limit = page_limit(page.limit)?;
        let (before_ms, before_id) = match &page.after {
            Some(cursor) => parse_cursor(cursor)?,
            None => (i64::MAX, String::new()),
        };
        let key = citizen_key.to_owned();
        let now = self.clock.now_ms();
        let rows: Vec<String> = self
            .db
            .call(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT data FROM message_log
                         WHERE citizen_key = ?1 AND expires_at_ms > ?2
                           AND (at_ms < ?3 OR (at_ms = ?3 AND id < ?4))
                         ORDER BY at_ms DESC, id DESC LIMIT +?5",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(
                        params![key, now, before_ms, before_id, sql_limit(limit + 1)],
                        |row| row.get(0),
                    )
                    .map_err(db_err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
            })
            .await?;
        let items = rows
            .iter()
            .map(|data| read_message(data))
            .collect::<PortResult<Vec<_>>>()?;
        Ok(into_page(items, limit, |m| {
            message_sort_key(m.at_ms, &m.id)
        }))
    }

    async fn get_conversation(&self, citizen_key: &str) -> PortResult<Option<ConversationSummary>> {
        non_empty("citizen key", citizen_key)?;
        let key = citizen_key.to_owned();
        let found: Option<(i64, String)> = self
            .db
            .call(move |conn| {
                conn.query_row_cached(
                    "SELECT version, data FROM conversation WHERE citizen_key = ?1",
                    [&key],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .map_err(db_err)
            })
            .await?;
        found.map(read_summary).transpose()
    }

    async fn conversation_by_id(&self, id: &str) -> PortResult<Option<ConversationSummary>> {
        non_empty("conversation id", id)?;
        let id = id.to_owned();
        let found: Option<(i64, String)> = self
            .db
            .call(move |conn| {
                conn.query_row_cached(
                    "SELECT version, data FROM conversation WHERE id = ?1",
                    [&id],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .map_err(db_err)
            })
            .await?;
        found.map(read_summary).transpose()
    }

    async fn put_conversation(&self, summary: &ConversationSummary) -> PortResult<u64> {
        check_summary(summary)?;
        let expected = stored_version(summary.version)?;
        let next = expected + 1;
        let mut stored = summary.clone();
        stored.version = summary.version + 1;
        let data = serde_json::to_string(&stored)
            .map_err(|e| PortError::Invalid(format!("conversation {}: {e}", summary.id)))?;
        let (key, id) = (summary.citizen_key.clone(), summary.id.clone());
        let handoff = handoff_sort_key(summary);
        let recent = recent_sort_key(summary);
        let changed = self
            .db
            .call(move |conn| {
                let changed = if expected == 0 {
                    conn.execute_cached(
                        "INSERT INTO conversation
                            (citizen_key, id, version, handoff_sk, recent_sk, data)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT DO NOTHING",
                        params![key, id, next, handoff, recent, data],
                    )
                } else {
                    conn.execute_cached(
                        "UPDATE conversation
                         SET version = ?3, handoff_sk = ?4, recent_sk = ?5, data = ?6
                         WHERE citizen_key = ?1 AND id = ?2 AND version = ?7",
                        params![key, id, next, handoff, recent, data, expected],
                    )
                };
                changed.map_err(db_err)
            })
            .await?;
        if changed == 1 {
            Ok(stored.version)
        } else {
            Err(conflict(
                "conversation",
                &summary.citizen_key,
                summary.version,
            ))
        }
    }

    async fn list_conversations(
        &self,
        filter: ConversationFilter,
        page: &PageRequest,
    ) -> PortResult<Page<ConversationSummary>> {
        let limit = page_limit(page.limit)?;
        if let Some(cursor) = &page.after {
            check_list_cursor(cursor)?;
        }
        let after = page.after.clone();
        let rows: Vec<(i64, String)> = self
            .db
            .call(move |conn| {
                let (sql, start) = match filter {
                    ConversationFilter::Handoff => (
                        "SELECT version, data FROM conversation INDEXED BY conversation_by_handoff
                         WHERE handoff_sk IS NOT NULL AND handoff_sk > ?1
                         ORDER BY handoff_sk ASC LIMIT +?2",
                        after.unwrap_or_default(),
                    ),
                    ConversationFilter::Recent => (
                        "SELECT version, data FROM conversation INDEXED BY conversation_by_recent
                         WHERE recent_sk < ?1
                         ORDER BY recent_sk DESC LIMIT +?2",
                        after.unwrap_or_else(|| "~".to_string()),
                    ),
                };
                let mut stmt = conn.prepare_cached(sql).map_err(db_err)?;
                let rows = stmt
                    .query_map(params![start, sql_limit(limit + 1)], |row| {
                        Ok((row.get(0)?, row.get(1)?))
                    })
                    .map_err(db_err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
            })
            .await?;
        let items = rows
            .into_iter()
            .map(read_summary)
            .collect::<PortResult<Vec<_>>>()?;
        Ok(into_page(items, limit, |s| match filter {
            ConversationFilter::Handoff => handoff_sort_key(s).unwrap_or_default(),
            ConversationFilter::Recent => recent_sort_key(s),
        }))
    }
}
