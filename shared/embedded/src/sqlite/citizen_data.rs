//! Citizens' data rights in the local mode (`docs/data-model.md`, "Citizens' data rights"):
//! erasure across every table of the file (the queues included: they live here too), the
//! tombstones of erased identifiers and the citizens' erasure requests. `sim_*` tables stand
//! for Meta and are left alone.

use async_trait::async_trait;
use rusqlite::{params, params_from_iter, OptionalExtension};

use prolink_app::citizen_rights::{
    anonymise_complaints, check_request, request_sort_key, stat_event_ids,
};
use prolink_app::complaint_rules::{page_limit, read_complaint};
use prolink_app::ports::{
    CitizenData, ErasureCounts, ErasureOrder, ErasureRequest, ErasureRequestState, Page,
    PageRequest, PortError, PortResult,
};
use prolink_app::webhook_item::STATUS_GROUP_PREFIX;
use prolink_domain::citizen::group_id_for;
use prolink_domain::erasure::{cut_from_webhook, ErasedIdentity};

use super::conversation::read_version;
use super::store::{non_empty, SqliteStore};
use super::{db_err, CachedStatements};

fn state_name(state: ErasureRequestState) -> &'static str {
    match state {
        ErasureRequestState::Menunggu => "menunggu",
        ErasureRequestState::Selesai => "selesai",
    }
}

/// `(?1, ?2, …)` for `n` values.
fn placeholders(n: usize) -> String {
    let marks: Vec<String> = (1..=n).map(|i| format!("?{i}")).collect();
    format!("({})", marks.join(", "))
}

/// Keys of the rows of `table` whose `column` holds any of `needles` (`instr`, not `LIKE`:
/// names may hold `%` or `_`).
fn rows_mentioning(
    tx: &rusqlite::Connection,
    table: &str,
    key: &str,
    column: &str,
    needles: &[String],
) -> PortResult<Vec<(String, String)>> {
    let mut found: Vec<(String, String)> = Vec::new();
    let sql =
        format!("SELECT CAST({key} AS TEXT), {column} FROM {table} WHERE instr({column}, ?1) > 0");
    let mut stmt = tx.prepare(&sql).map_err(db_err)?;
    for needle in needles {
        let rows = stmt
            .query_map([needle], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(db_err)?;
        for row in rows {
            let row = row.map_err(db_err)?;
            if !found.iter().any(|(k, _)| *k == row.0) {
                found.push(row);
            }
        }
    }
    Ok(found)
}

/// Deletes the rows of `table` whose `column` is one of `values`; returns how many.
fn delete_in(
    tx: &rusqlite::Connection,
    table: &str,
    column: &str,
    values: &[String],
) -> PortResult<u64> {
    if values.is_empty() {
        return Ok(0);
    }
    let sql = format!(
        "DELETE FROM {table} WHERE {column} IN {}",
        placeholders(values.len())
    );
    let n = tx
        .execute_cached(&sql, params_from_iter(values.iter()))
        .map_err(db_err)?;
    Ok(n as u64)
}

/// Deletes the rows of `table` that mention the citizen in `column`; returns how many.
fn delete_mentioning(
    tx: &rusqlite::Connection,
    table: &str,
    key: &str,
    column: &str,
    needles: &[String],
) -> PortResult<u64> {
    let keys: Vec<String> = rows_mentioning(tx, table, key, column, needles)?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let sql = format!("DELETE FROM {table} WHERE CAST({key} AS TEXT) = ?1");
    let mut n = 0;
    for k in keys {
        n += tx.execute_cached(&sql, [k]).map_err(db_err)? as u64;
    }
    Ok(n)
}

/// Rewrites `column` of the rows of `table` that mention the citizen, the identity masked
/// ([`ErasedIdentity::scrub`]): for records that are someone else's work (another citizen's
/// queued message, an OPD's pending alert about the complaint) and must not be lost with the
/// erased citizen. Returns how many rows changed.
fn scrub_mentioning(
    tx: &rusqlite::Connection,
    table: &str,
    key: &str,
    column: &str,
    identity: &ErasedIdentity,
) -> PortResult<u64> {
    let sql = format!("UPDATE {table} SET {column} = ?2 WHERE CAST({key} AS TEXT) = ?1");
    let mut n = 0;
    for (k, text) in rows_mentioning(tx, table, key, column, &identity.needles())? {
        let scrubbed = identity.scrub(&text);
        if scrubbed != text {
            n += tx
                .execute_cached(&sql, params![k, scrubbed])
                .map_err(db_err)? as u64;
        }
    }
    Ok(n)
}

fn erase_rows(
    tx: &rusqlite::Connection,
    order: &ErasureOrder,
    counts: &mut ErasureCounts,
) -> PortResult<()> {
    let identity = &order.identity;
    let needles = identity.needles();
    let mut keys = identity.identifiers.clone();
    if !keys.contains(&order.citizen_key) {
        keys.push(order.citizen_key.clone());
    }
    let mut add = |kind: &str, n: u64| {
        if n > 0 {
            *counts.entry(kind.to_string()).or_insert(0) += n;
        }
    };

    add("profile", delete_in(tx, "citizen", "key", &keys)?);
    let aliases = delete_in(tx, "citizen_alias", "identifier", &keys)?
        + delete_in(tx, "citizen_alias", "citizen_key", &keys)?;
    add("aliases", aliases);
    add("session", delete_in(tx, "dialog_session", "key", &keys)?);
    add(
        "messages",
        delete_in(tx, "message_log", "citizen_key", &keys)?,
    );
    add(
        "conversation",
        delete_in(tx, "conversation", "citizen_key", &keys)?,
    );

    // SP4N-LAPOR! tasks: kept (the complaint stays a city record and may still go to LAPOR)
    // but without the key, and marked so that no identity is ever sent with them.
    {
        let sql = format!(
            "UPDATE lapor_task SET citizen_key = ?1, version = version + 1,
             data = json_set(data, '$.citizen_key', ?1, '$.anonymised', json('true'))
             WHERE citizen_key IN ({})",
            // ?1 is the anonymous key; the keys follow.
            (2..=keys.len() + 1)
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut values: Vec<&str> = vec![identity.anonymous_key.as_str()];
        values.extend(keys.iter().map(String::as_str));
        let n = tx
            .execute_cached(&sql, params_from_iter(values.iter()))
            .map_err(db_err)?;
        add("lapor_tasks", n as u64);
    }
    // Outbox: the wamids first, so the delivery statuses of those messages go too.
    let mut wamids: Vec<String> = Vec::new();
    {
        let sql = format!(
            "SELECT wamid FROM outbox WHERE wamid IS NOT NULL AND citizen_key IN {}",
            placeholders(keys.len())
        );
        let mut stmt = tx.prepare(&sql).map_err(db_err)?;
        let rows = stmt
            .query_map(params_from_iter(keys.iter()), |row| row.get::<_, String>(0))
            .map_err(db_err)?;
        for row in rows {
            wamids.push(row.map_err(db_err)?);
        }
    }
    add("outbox", delete_in(tx, "outbox", "citizen_key", &keys)?);
    // Messages to others naming the citizen (an OPD's new-complaint template) still go out,
    // masked.
    add(
        "outbox_masked",
        scrub_mentioning(tx, "outbox", "outbox_id", "body", identity)?,
    );
    let statuses = delete_in(tx, "message_status", "recipient", &keys)?
        + delete_in(tx, "message_status", "wamid", &wamids)?;
    add("statuses", statuses);

    // Raw webhook bodies: only their part goes; other citizens of the batch stay.
    let mut raw = 0;
    for (id, body) in rows_mentioning(tx, "raw_inbound", "id", "body", &identity.identifiers)? {
        if let Some(cut) = cut_from_webhook(&body, identity) {
            raw += tx
                .execute_cached(
                    "UPDATE raw_inbound SET body = ?2 WHERE id = ?1",
                    params![id, cut],
                )
                .map_err(db_err)? as u64;
        }
    }
    add("raw_payloads", raw);

    add(
        "unanswered",
        delete_in(tx, "unanswered_question", "citizen_key", &keys)?,
    );
    add(
        "unanswered_masked",
        scrub_mentioning(tx, "unanswered_question", "id", "text", identity)?,
    );
    // An alert about an OPD's complaint is the OPD's work: it stays, masked and no longer
    // tied to the citizen. The citizen's own alerts (a handoff waiting) go.
    {
        let sql = format!(
            "UPDATE operator_alert SET citizen_key = NULL
              WHERE opd_id IS NOT NULL AND citizen_key IN {}",
            placeholders(keys.len())
        );
        tx.execute_cached(&sql, params_from_iter(keys.iter()))
            .map_err(db_err)?;
    }
    add(
        "alerts",
        delete_in(tx, "operator_alert", "citizen_key", &keys)?,
    );
    add(
        "alerts_masked",
        scrub_mentioning(tx, "operator_alert", "id", "message", identity)?,
    );
    let marks = delete_in(
        tx,
        "stat_event",
        "event_id",
        &stat_event_ids(identity, &order.citizen_key),
    )? + delete_mentioning(tx, "stat_event", "event_id", "event_id", &needles)?;
    add("stat_marks", marks);
    add(
        "dedup_marks",
        delete_mentioning(tx, "dedup_marks", "key", "key", &needles)?,
    );
    // The queues live in this file: work still waiting for the citizen is dropped here (on
    // AWS the workers drop it on sight through the tombstones).
    // Their own messages (the inbound FIFO group is the citizen) are dropped; other work that
    // names them (a complaint task for the OPD) goes on, masked.
    let groups: Vec<String> = keys
        .iter()
        .flat_map(|key| {
            [
                group_id_for(key),
                group_id_for(&format!("{STATUS_GROUP_PREFIX}{key}")),
            ]
        })
        .collect();
    let queued = delete_in(tx, "queue_message", "group_id", &groups)?
        + delete_in(tx, "queue_dead_letter", "group_id", &groups)?;
    add("queued", queued);
    let queued_masked = scrub_mentioning(tx, "queue_message", "seq", "body", identity)?
        + scrub_mentioning(tx, "queue_dead_letter", "seq", "body", identity)?;
    add("queued_masked", queued_masked);

    for hash in &order.tombstones {
        tx.execute_cached(
            "INSERT INTO erased_identifier (hash, erased_at_ms) VALUES (?1, ?2)
             ON CONFLICT (hash) DO UPDATE SET erased_at_ms = excluded.erased_at_ms",
            params![hash, order.erased_at_ms],
        )
        .map_err(db_err)?;
    }
    close_request(tx, &order.citizen_id, order.erased_at_ms)?;
    Ok(())
}

/// The request of an erased citizen: done, without the name.
fn close_request(tx: &rusqlite::Connection, citizen_id: &str, at_ms: i64) -> PortResult<()> {
    let stored: Option<String> = tx
        .query_row_cached(
            "SELECT data FROM erasure_request WHERE citizen_id = ?1",
            [citizen_id],
            |row| row.get(0),
        )
        .optional()
        .map_err(db_err)?;
    let Some(data) = stored else {
        return Ok(());
    };
    let mut request = read_request(&data)?;
    request.state = ErasureRequestState::Selesai;
    request.name = None;
    request.done_ms = Some(at_ms);
    tx.execute_cached(
        "UPDATE erasure_request SET state = ?2, data = ?3 WHERE citizen_id = ?1",
        params![
            citizen_id,
            state_name(request.state),
            request_json(&request)?
        ],
    )
    .map_err(db_err)?;
    Ok(())
}

fn read_request(data: &str) -> PortResult<ErasureRequest> {
    serde_json::from_str(data)
        .map_err(|e| PortError::Backend(format!("stored erasure request unreadable: {e}")))
}

fn request_json(request: &ErasureRequest) -> PortResult<String> {
    serde_json::to_string(request).map_err(PortError::backend)
}

impl SqliteStore {
    /// Complaints reported, followed or otherwise naming the citizen.
    async fn complaints_naming(
        &self,
        keys: Vec<String>,
        needles: Vec<String>,
    ) -> PortResult<Vec<prolink_domain::complaint::Complaint>> {
        let rows: Vec<(i64, String)> = self
            .db
            .call(move |conn| {
                let mut rows: Vec<(String, i64, String)> = Vec::new();
                let by_key = format!(
                    "SELECT ticket, version, data FROM complaints WHERE citizen_key IN {}",
                    placeholders(keys.len())
                );
                let mut stmt = conn.prepare(&by_key).map_err(db_err)?;
                let found = stmt
                    .query_map(params_from_iter(keys.iter()), |row| {
                        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                    })
                    .map_err(db_err)?;
                for row in found {
                    rows.push(row.map_err(db_err)?);
                }
                let mut stmt = conn
                    .prepare(
                        "SELECT ticket, version, data FROM complaints WHERE instr(data, ?1) > 0",
                    )
                    .map_err(db_err)?;
                for needle in keys.iter().chain(needles.iter()) {
                    let found = stmt
                        .query_map([needle], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                        .map_err(db_err)?;
                    for row in found {
                        let row = row.map_err(db_err)?;
                        if !rows.iter().any(|(t, _, _)| *t == row.0) {
                            rows.push(row);
                        }
                    }
                }
                Ok(rows.into_iter().map(|(_, v, d)| (v, d)).collect())
            })
            .await?;
        rows.into_iter()
            .map(|(version, data)| read_complaint(&data, read_version(version)?))
            .collect()
    }
}

fn search_keys(identity: &ErasedIdentity, citizen_key: &str) -> Vec<String> {
    let mut keys = identity.identifiers.clone();
    if !keys.iter().any(|k| k == citizen_key) {
        keys.push(citizen_key.to_string());
    }
    keys
}

#[async_trait]
impl CitizenData for SqliteStore {
    async fn erase_citizen(&self, order: &ErasureOrder) -> PortResult<ErasureCounts> {
        non_empty("citizen key", &order.citizen_key)?;
        if order.identity.anonymous_key.is_empty() {
            return Err(PortError::Invalid("anonymous key must not be empty".into()));
        }
        // Complaints first, through the versioned writes (an operator may be changing one);
        // a failure leaves everything else in place for the retry.
        let complaints = self
            .complaints_naming(
                search_keys(&order.identity, &order.citizen_key),
                order.identity.needles(),
            )
            .await?;
        let redacted = anonymise_complaints(self, complaints, &order.identity).await?;
        let order = order.clone();
        let mut counts = self
            .db
            .call(move |conn| {
                let mut counts = ErasureCounts::new();
                erase_rows(conn, &order, &mut counts)?;
                Ok(counts)
            })
            .await?;
        if redacted > 0 {
            counts.insert("complaints_redacted".into(), redacted);
        }
        Ok(counts)
    }

    async fn erased_at(&self, identifier_hash: &str) -> PortResult<Option<i64>> {
        let hash = identifier_hash.to_string();
        // The webhook asks this for every message it accepts: a read of its own, not a
        // place in the writer's next group.
        self.db
            .read(move |conn| {
                conn.query_row_cached(
                    "SELECT erased_at_ms FROM erased_identifier WHERE hash = ?1",
                    [hash],
                    |row| row.get(0),
                )
                .optional()
                .map_err(db_err)
            })
            .await
    }

    async fn lift_erasure(&self, identifier_hash: &str) -> PortResult<()> {
        let hash = identifier_hash.to_string();
        self.db
            .call(move |conn| {
                conn.execute_cached("DELETE FROM erased_identifier WHERE hash = ?1", [hash])
                    .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    async fn request_erasure(&self, request: &ErasureRequest) -> PortResult<bool> {
        check_request(request)?;
        let request = request.clone();
        self.db
            .call(move |conn| {
                // A waiting request stays as it is (asking again adds nothing); a done one is
                // replaced by the new request.
                let changed = conn
                    .execute_cached(
                        "INSERT INTO erasure_request (citizen_id, requested_sk, state, data)
                         VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (citizen_id) DO UPDATE SET
                             requested_sk = excluded.requested_sk,
                             state = excluded.state,
                             data = excluded.data
                         WHERE erasure_request.state <> 'menunggu'",
                        params![
                            request.citizen_id,
                            request_sort_key(&request),
                            state_name(request.state),
                            request_json(&request)?
                        ],
                    )
                    .map_err(db_err)?;
                Ok(changed == 1)
            })
            .await
    }

    async fn list_erasure_requests(&self, page: &PageRequest) -> PortResult<Page<ErasureRequest>> {
        let limit = page_limit(page.limit)?;
        let after = match &page.after {
            Some(cursor) => {
                prolink_app::conversations::check_list_cursor(cursor)?;
                cursor.clone()
            }
            None => "~".to_string(),
        };
        let rows: Vec<String> = self
            .db
            .call(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT data FROM erasure_request INDEXED BY erasure_request_by_time
                         WHERE requested_sk < ?1 ORDER BY requested_sk DESC LIMIT +?2",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(
                        params![after, i64::try_from(limit + 1).unwrap_or(i64::MAX)],
                        |row| row.get(0),
                    )
                    .map_err(db_err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
            })
            .await?;
        let mut items = rows
            .iter()
            .map(|d| read_request(d))
            .collect::<PortResult<Vec<_>>>()?;
        let more = items.len() > limit;
        items.truncate(limit);
        let next = if more {
            items.last().map(request_sort_key)
        } else {
            None
        };
        Ok(Page { items, next })
    }
}
