//! Queues with SQS FIFO semantics in the SQLite file: per-group order with one in-flight batch
//! per group, a 5-minute deduplication window, visibility timeouts and a redrive to a
//! dead-letter table after `max_receives` receives. Many named queues share the tables.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

use prolink_app::ports::{Clock, Delivery, OutgoingMessage, PortError, PortResult, Queue};

use super::{db_err, CachedStatements, SqliteDb};

/// SQS forgets a deduplication id five minutes after the message that carried it was sent.
const DEDUP_WINDOW_MS: i64 = 5 * 60 * 1000;
/// SQS limit on group and deduplication ids.
const MAX_ID_CHARS: usize = 128;
/// SQS's classic message size limit (also moto's); staying under it locally keeps a message
/// that works here from failing on AWS.
const MAX_BODY_BYTES: usize = 256 * 1024;
/// SQS's maximum visibility timeout.
const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 60 * 60);

/// One named FIFO queue (and its dead-letter queue) inside a [`SqliteDb`].
#[derive(Clone)]
pub struct SqliteQueue {
    db: SqliteDb,
    name: Arc<str>,
    max_receives: u32,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SqliteQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteQueue")
            .field("name", &self.name)
            .field("max_receives", &self.max_receives)
            .finish_non_exhaustive()
    }
}

impl SqliteQueue {
    /// `max_receives` is SQS's `maxReceiveCount`: a message received that many times without
    /// being deleted goes to the dead-letter queue the next time it would be delivered. Zero is
    /// read as one, the SQS minimum.
    pub fn new(db: SqliteDb, name: &str, max_receives: u32, clock: Arc<dyn Clock>) -> Self {
        SqliteQueue {
            db,
            name: Arc::from(name),
            max_receives: max_receives.max(1),
            clock,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Messages in the queue, visible or in flight (dead letters excluded).
    pub async fn depth(&self) -> PortResult<usize> {
        let queue = Arc::clone(&self.name);
        self.db
            .call(move |conn| {
                conn.query_row_cached(
                    "SELECT COUNT(*) FROM queue_message WHERE queue = ?1",
                    [&*queue],
                    |row| row.get(0),
                )
                .map_err(db_err)
            })
            .await
    }
}

fn validate_id(what: &str, value: &str) -> PortResult<()> {
    let chars = value.chars().count();
    if chars == 0 || chars > MAX_ID_CHARS {
        return Err(PortError::Invalid(format!(
            "{what} must have 1 to {MAX_ID_CHARS} characters, has {chars}"
        )));
    }
    if let Some(bad) = value.chars().find(|c| !('!'..='~').contains(c)) {
        return Err(PortError::Invalid(format!(
            "{what} contains {bad:?}; only printable ASCII without spaces is allowed"
        )));
    }
    Ok(())
}

/// The characters SQS accepts in a body: XML 1.0 characters minus most control characters.
fn sqs_body_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r')
        || ('\u{20}'..='\u{D7FF}').contains(&c)
        || ('\u{E000}'..='\u{FFFD}').contains(&c)
        || c >= '\u{10000}'
}

fn validate_message(message: &OutgoingMessage) -> PortResult<()> {
    validate_id("group_id", &message.group_id)?;
    validate_id("dedup_id", &message.dedup_id)?;
    if message.body.is_empty() || message.body.len() > MAX_BODY_BYTES {
        return Err(PortError::Invalid(format!(
            "message body must have 1 to {MAX_BODY_BYTES} bytes, has {}",
            message.body.len()
        )));
    }
    if message.body.chars().any(|c| !sqs_body_char(c)) {
        return Err(PortError::Invalid(
            "message body contains a character SQS does not accept".into(),
        ));
    }
    Ok(())
}

fn visibility_ms(visibility: Duration) -> PortResult<i64> {
    if visibility > MAX_VISIBILITY {
        return Err(PortError::Invalid(format!(
            "visibility timeout {visibility:?} exceeds 12 hours"
        )));
    }
    i64::try_from(visibility.as_millis())
        .map_err(|_| PortError::Invalid(format!("visibility timeout {visibility:?} too large")))
}

/// A receipt names the message it belongs to, so a stale receipt (one whose message has been
/// received again since) can be told apart from one whose message is already gone. It ends
/// with the lease's end (`visible_at_ms` as set by `receive`): while the row's visibility still
/// equals it, the delivery is a lease nobody has answered yet (no delete, no visibility
/// change), which is what [`SqliteQueue::release_leases_at_start`] gives back.
fn new_receipt(message_id: &str, lease_until_ms: i64) -> String {
    format!("{message_id}:{}:{lease_until_ms}", Uuid::new_v4().simple())
}

/// The lease end a receipt was issued with (`None` for receipts of older versions).
fn lease_of(receipt: &str) -> Option<i64> {
    receipt.rsplit_once(':')?.1.parse().ok()
}

fn message_id_of(receipt: &str) -> PortResult<&str> {
    receipt
        .split_once(':')
        .map(|(message_id, _)| message_id)
        .filter(|message_id| !message_id.is_empty())
        .ok_or_else(|| PortError::Invalid("not a receipt of this queue".into()))
}

/// A visible message considered by `receive`.
struct Candidate {
    seq: i64,
    message_id: String,
    group_id: String,
    dedup_id: String,
    body: String,
    receive_count: u32,
}

/// The messages a receive may deliver, oldest first. `+visible_at_ms` keeps SQLite off the
/// visibility index, through which it read and sorted the whole backlog on every receive
/// (2 000 rows in a burst); walking (queue, seq) in order stops after `max` deliveries and skips
/// only what is in flight.
const READY_IN_ORDER: &str = "SELECT seq, message_id, group_id, dedup_id, body, receive_count
     FROM queue_message
     WHERE queue = ?1 AND +visible_at_ms <= ?2 ORDER BY seq";

#[async_trait]
impl Queue for SqliteQueue {
    async fn send_batch(&self, messages: &[OutgoingMessage]) -> PortResult<()> {
        for message in messages {
            validate_message(message)?;
        }
        if messages.is_empty() {
            return Ok(());
        }
        let messages = messages.to_vec();
        let queue = Arc::clone(&self.name);
        let clock = Arc::clone(&self.clock);
        // The webhook answers Meta once this is committed (`SqliteDb::call_first`).
        self.db
            .call_first(move |conn| {
                let now = clock.now_ms();
                conn.execute_cached(
                    "DELETE FROM queue_dedup WHERE queue = ?1 AND sent_at_ms <= ?2",
                    params![&*queue, now - DEDUP_WINDOW_MS],
                )
                .map_err(db_err)?;
                for message in &messages {
                    // Claims the dedup id unless a claim younger than the window exists.
                    let fresh = conn
                        .execute_cached(
                            "INSERT INTO queue_dedup (queue, dedup_id, sent_at_ms)
                             VALUES (?1, ?2, ?3)
                             ON CONFLICT (queue, dedup_id)
                             DO UPDATE SET sent_at_ms = excluded.sent_at_ms
                             WHERE queue_dedup.sent_at_ms <= ?3 - ?4",
                            params![&*queue, message.dedup_id, now, DEDUP_WINDOW_MS],
                        )
                        .map_err(db_err)?
                        == 1;
                    if !fresh {
                        tracing::debug!(
                            queue = %queue,
                            dedup_id = %message.dedup_id,
                            "duplicate message accepted, not enqueued"
                        );
                        continue;
                    }
                    conn.execute_cached(
                        "INSERT INTO queue_message
                            (queue, message_id, group_id, dedup_id, body, sent_at_ms)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![
                            &*queue,
                            Uuid::new_v4().to_string(),
                            message.group_id,
                            message.dedup_id,
                            message.body,
                            now
                        ],
                    )
                    .map_err(db_err)?;
                }
                Ok(())
            })
            .await
    }

    async fn receive(&self, max: usize, visibility: Duration) -> PortResult<Vec<Delivery>> {
        let visibility = visibility_ms(visibility)?;
        if max == 0 {
            return Ok(Vec::new());
        }
        let queue = Arc::clone(&self.name);
        let max_receives = self.max_receives;
        let clock = Arc::clone(&self.clock);
        self.db
            .call(move |conn| {
                let now = clock.now_ms();
                // A message is invisible only while a delivery of it is in flight, so these are
                // exactly the groups that must wait.
                let blocked: HashSet<String> = {
                    let mut stmt = conn
                        .prepare_cached(
                            "SELECT DISTINCT group_id FROM queue_message
                             WHERE queue = ?1 AND visible_at_ms > ?2",
                        )
                        .map_err(db_err)?;
                    let rows = stmt
                        .query_map(params![&*queue, now], |row| row.get(0))
                        .map_err(db_err)?;
                    rows.collect::<Result<_, _>>().map_err(db_err)?
                };

                let mut deliver = Vec::new();
                let mut dead = Vec::new();
                {
                    let mut stmt = conn.prepare_cached(READY_IN_ORDER).map_err(db_err)?;
                    let mut rows = stmt.query(params![&*queue, now]).map_err(db_err)?;
                    while let Some(row) = rows.next().map_err(db_err)? {
                        let group_id: String = row.get(2).map_err(db_err)?;
                        if blocked.contains(&group_id) {
                            continue;
                        }
                        let candidate = Candidate {
                            seq: row.get(0).map_err(db_err)?,
                            message_id: row.get(1).map_err(db_err)?,
                            group_id,
                            dedup_id: row.get(3).map_err(db_err)?,
                            body: row.get(4).map_err(db_err)?,
                            receive_count: row.get(5).map_err(db_err)?,
                        };
                        // Redrive: moved instead of delivered, so it stops blocking its group
                        // and the next message of the group is considered right after it.
                        if candidate.receive_count >= max_receives {
                            dead.push(candidate);
                            continue;
                        }
                        deliver.push(candidate);
                        if deliver.len() >= max {
                            break;
                        }
                    }
                }

                for message in &dead {
                    conn.execute_cached(
                        "INSERT INTO queue_dead_letter
                            (queue, message_id, group_id, dedup_id, body, sent_at_ms, receive_count,
                             moved_at_ms)
                         SELECT queue, message_id, group_id, dedup_id, body, sent_at_ms,
                                receive_count, ?2
                         FROM queue_message WHERE seq = ?1",
                        params![message.seq, now],
                    )
                    .map_err(db_err)?;
                    conn.execute_cached("DELETE FROM queue_message WHERE seq = ?1", [message.seq])
                        .map_err(db_err)?;
                    // In the same transaction as the move: a dead letter is never silent. The
                    // id names the message and the moment, so a redriven message that dies
                    // again raises a new alert.
                    conn.execute_cached(
                        "INSERT INTO operator_alert
                            (id, kind, message, citizen_key, raised_ms, opd_id, state)
                         VALUES (?1, 'dead_letter', ?2, NULL, ?3, NULL, 'open')
                         ON CONFLICT (id) DO NOTHING",
                        params![
                            dead_letter_alert_id(&queue, &message.message_id, now),
                            dead_letter_alert_message(&queue, message.receive_count),
                            now
                        ],
                    )
                    .map_err(db_err)?;
                    tracing::warn!(
                        queue = %queue,
                        message_id = %message.message_id,
                        group_id = %message.group_id,
                        receive_count = message.receive_count,
                        "message moved to the dead-letter queue"
                    );
                }

                let mut deliveries = Vec::with_capacity(deliver.len());
                for message in deliver {
                    let lease_until = now.saturating_add(visibility);
                    let receipt = new_receipt(&message.message_id, lease_until);
                    conn.execute_cached(
                        "UPDATE queue_message
                         SET receive_count = receive_count + 1, receipt = ?2, visible_at_ms = ?3
                         WHERE seq = ?1",
                        params![message.seq, receipt, lease_until],
                    )
                    .map_err(db_err)?;
                    deliveries.push(Delivery {
                        message_id: message.message_id,
                        receipt,
                        group_id: message.group_id,
                        dedup_id: message.dedup_id,
                        body: message.body,
                        receive_count: message.receive_count.saturating_add(1),
                    });
                }
                Ok(deliveries)
            })
            .await
    }

    async fn delete(&self, receipt: &str) -> PortResult<()> {
        let message_id = message_id_of(receipt)?.to_owned();
        let receipt = receipt.to_owned();
        let queue = Arc::clone(&self.name);
        self.db
            .call(move |conn| {
                let deleted = conn
                    .execute_cached(
                        "DELETE FROM queue_message WHERE queue = ?1 AND receipt = ?2",
                        params![&*queue, receipt],
                    )
                    .map_err(db_err)?;
                if deleted == 0 && message_exists(conn, &queue, &message_id)? {
                    // Deleting it would ack a delivery another consumer now owns.
                    return Err(PortError::Invalid(
                        "stale receipt: the message has been received again".into(),
                    ));
                }
                Ok(())
            })
            .await
    }

    async fn change_visibility(&self, receipt: &str, visibility: Duration) -> PortResult<()> {
        let visibility = visibility_ms(visibility)?;
        let message_id = message_id_of(receipt)?.to_owned();
        let receipt = receipt.to_owned();
        let queue = Arc::clone(&self.name);
        let clock = Arc::clone(&self.clock);
        self.db
            .call(move |conn| {
                let now = clock.now_ms();
                let found: Option<(i64, i64)> = conn
                    .query_row_cached(
                        "SELECT seq, visible_at_ms FROM queue_message
                         WHERE queue = ?1 AND receipt = ?2",
                        params![&*queue, receipt],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .optional()
                    .map_err(db_err)?;
                match found {
                    // Like SQS's MessageNotInflight: the delivery already timed out.
                    Some((_, visible_at)) if visible_at <= now => Err(PortError::Invalid(
                        "message is not in flight (its visibility timeout expired)".into(),
                    )),
                    Some((seq, _)) => {
                        let mut visible_at = now.saturating_add(visibility);
                        // An answered delivery (a backoff, a deferral) must not look like an
                        // open lease to the release at start: one millisecond later is the same
                        // wait.
                        if lease_of(&receipt) == Some(visible_at) {
                            visible_at = visible_at.saturating_add(1);
                        }
                        conn.execute_cached(
                            "UPDATE queue_message SET visible_at_ms = ?2 WHERE seq = ?1",
                            params![seq, visible_at],
                        )
                        .map_err(db_err)?;
                        Ok(())
                    }
                    None if message_exists(conn, &queue, &message_id)? => Err(PortError::Invalid(
                        "stale receipt: the message has been received again".into(),
                    )),
                    None => Err(PortError::NotFound(format!("message {message_id}"))),
                }
            })
            .await
    }

    async fn release_unattempted(&self, receipt: &str) -> PortResult<()> {
        let message_id = message_id_of(receipt)?.to_owned();
        let receipt = receipt.to_owned();
        let queue = Arc::clone(&self.name);
        let clock = Arc::clone(&self.clock);
        self.db
            .call(move |conn| {
                let now = clock.now_ms();
                // Only while the delivery is ours (in flight under this receipt): a timed-out
                // delivery may have been received again and counted for a real attempt.
                let released = conn
                    .execute_cached(
                        "UPDATE queue_message
                         SET visible_at_ms = ?3, receipt = NULL,
                             receive_count = MAX(receive_count - 1, 0)
                         WHERE queue = ?1 AND receipt = ?2 AND visible_at_ms > ?3",
                        params![&*queue, receipt, now],
                    )
                    .map_err(db_err)?;
                if released == 0 {
                    return if message_exists(conn, &queue, &message_id)? {
                        Err(PortError::Invalid(
                            "message is not in flight under this receipt".into(),
                        ))
                    } else {
                        Err(PortError::NotFound(format!("message {message_id}")))
                    };
                }
                Ok(())
            })
            .await
    }

    async fn dead_letters(&self, max: usize) -> PortResult<Vec<Delivery>> {
        let queue = Arc::clone(&self.name);
        self.db
            .call(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT message_id, group_id, dedup_id, body, receive_count
                         FROM queue_dead_letter WHERE queue = ?1 ORDER BY seq LIMIT +?2",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(params![&*queue, max], |row| {
                        Ok(Delivery {
                            message_id: row.get(0)?,
                            // Dead letters are only peeked at here; there is no delivery to
                            // acknowledge.
                            receipt: String::new(),
                            group_id: row.get(1)?,
                            dedup_id: row.get(2)?,
                            body: row.get(3)?,
                            receive_count: row.get(4)?,
                        })
                    })
                    .map_err(db_err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
            })
            .await
    }
}

/// Alert ids are short and printable; a message id is a uuid, the queue name a word.
fn dead_letter_alert_id(queue: &str, message_id: &str, moved_at_ms: i64) -> String {
    format!("dead_letter.{queue}.{message_id}.{moved_at_ms}")
}

/// What operators read: which queue, how often it was tried, what to do. No message content
/// and no phone number (the body may hold both).
fn dead_letter_alert_message(queue: &str, receive_count: u32) -> String {
    let what = match queue {
        "inbound" => "Pesan masuk warga",
        "tasks" => "Tugas pengaduan",
        _ => "Pesan antrean",
    };
    format!(
        "{what} gagal diproses setelah {receive_count} kali percobaan dan dipindahkan ke \
         antrean gagal (dead-letter, antrean \"{queue}\"). Periksa log, perbaiki penyebabnya, \
         lalu proses ulang dengan `prolink dlq redrive`."
    )
}

impl SqliteQueue {
    /// Gives back, at start, the deliveries a previous process received and never answered
    /// (killed mid-handling): visible at once and without counting that receive, so replies
    /// resume within a poll instead of after the visibility timeout, and a crash does not walk
    /// an innocent message towards the dead-letter table. Deliveries that were answered with a
    /// wait (a failure's backoff, a deferral to the end of quiet hours) keep their time and
    /// their count. Call it only while no other process consumes this queue (`prolink serve`
    /// holds the data folder's lock). Returns how many were released.
    pub async fn release_leases_at_start(&self) -> PortResult<usize> {
        let queue = Arc::clone(&self.name);
        let clock = Arc::clone(&self.clock);
        self.db
            .call(move |conn| {
                let now = clock.now_ms();
                // The receipt ends with the lease `receive` set; an unchanged visibility means
                // nobody answered the delivery.
                let released = conn
                    .execute_cached(
                        "UPDATE queue_message
                         SET visible_at_ms = ?2, receipt = NULL,
                             receive_count = MAX(receive_count - 1, 0)
                         WHERE queue = ?1 AND receipt IS NOT NULL AND visible_at_ms > ?2
                           AND receipt LIKE '%:' || visible_at_ms",
                        params![&*queue, now],
                    )
                    .map_err(db_err)?;
                Ok(released)
            })
            .await
    }

    /// Moves every dead letter of this queue back onto it with a fresh receive count, oldest
    /// first, in one transaction: each is processed again exactly once more (the worker's
    /// dedup marks skip what was already done). Returns how many were moved.
    pub async fn redrive_dead_letters(&self) -> PortResult<usize> {
        let queue = Arc::clone(&self.name);
        let clock = Arc::clone(&self.clock);
        self.db
            .call(move |conn| {
                let now = clock.now_ms();
                let moved = conn
                    .execute_cached(
                        "INSERT INTO queue_message
                            (queue, message_id, group_id, dedup_id, body, sent_at_ms)
                         SELECT queue, message_id, group_id, dedup_id, body, ?2
                         FROM queue_dead_letter WHERE queue = ?1 ORDER BY seq",
                        params![&*queue, now],
                    )
                    .map_err(db_err)?;
                conn.execute_cached("DELETE FROM queue_dead_letter WHERE queue = ?1", [&*queue])
                    .map_err(db_err)?;
                Ok(moved)
            })
            .await
    }
}

fn message_exists(conn: &rusqlite::Connection, queue: &str, message_id: &str) -> PortResult<bool> {
    conn.query_row_cached(
        "SELECT EXISTS (SELECT 1 FROM queue_message WHERE queue = ?1 AND message_id = ?2)",
        params![queue, message_id],
        |row| row.get(0),
    )
    .map_err(db_err)
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    #[test]
    fn receiving_walks_the_queue_in_order_instead_of_sorting_it() {
        let mut conn = Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        super::super::schema::migrate(&mut conn).unwrap_or_else(|e| panic!("{e}"));
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", super::READY_IN_ORDER))
            .unwrap_or_else(|e| panic!("{e}"));
        let plan: Vec<String> = stmt
            .query_map(rusqlite::params!["dialog", 0], |row| row.get(3))
            .unwrap_or_else(|e| panic!("{e}"))
            .map(|row| row.unwrap_or_else(|e| panic!("{e}")))
            .collect();
        assert!(
            plan.iter()
                .any(|step| step.contains("queue_message_by_queue")),
            "{plan:?}"
        );
        assert!(
            !plan.iter().any(|step| step.contains("TEMP B-TREE")),
            "{plan:?}"
        );
    }
}
