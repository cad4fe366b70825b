//! Schema of the local database, versioned with `PRAGMA user_version`. Migrations only ever get
//! appended: migration `i` brings the file from version `i` to `i + 1`.

use rusqlite::{Connection, TransactionBehavior};

use super::db_err;
use crate::ports::{PortError, PortResult};

const MIGRATIONS: &[&str] = &[
    // 1: stores, simulator outbox, queues.
    r#"
    CREATE TABLE IF NOT EXISTS dedup_marks (
        key            TEXT PRIMARY KEY NOT NULL,
        expires_at_ms  INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE IF NOT EXISTS raw_inbound (
        id              TEXT PRIMARY KEY NOT NULL,
        received_at_ms  INTEGER NOT NULL,
        outcome         TEXT NOT NULL,
        body            TEXT NOT NULL,
        expires_at_ms   INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS raw_inbound_by_time ON raw_inbound (received_at_ms);

    CREATE TABLE IF NOT EXISTS message_status (
        wamid          TEXT NOT NULL,
        status         TEXT NOT NULL,
        timestamp      INTEGER NOT NULL,
        recipient      TEXT,
        outbox_id      TEXT,
        error_code     INTEGER,
        expires_at_ms  INTEGER NOT NULL,
        PRIMARY KEY (wamid, status)
    ) STRICT;

    CREATE TABLE IF NOT EXISTS sim_outbox (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        outbox_id       TEXT NOT NULL UNIQUE,
        wamid           TEXT NOT NULL UNIQUE,
        to_digits       TEXT,
        recipient       TEXT,
        recorded_at_ms  INTEGER NOT NULL,
        body            TEXT NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS sim_outbox_by_phone ON sim_outbox (to_digits, seq);
    CREATE INDEX IF NOT EXISTS sim_outbox_by_recipient ON sim_outbox (recipient, seq);

    CREATE TABLE IF NOT EXISTS queue_message (
        seq            INTEGER PRIMARY KEY AUTOINCREMENT,
        queue          TEXT NOT NULL,
        message_id     TEXT NOT NULL UNIQUE,
        group_id       TEXT NOT NULL,
        dedup_id       TEXT NOT NULL,
        body           TEXT NOT NULL,
        sent_at_ms     INTEGER NOT NULL,
        receive_count  INTEGER NOT NULL DEFAULT 0,
        receipt        TEXT UNIQUE,
        visible_at_ms  INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX IF NOT EXISTS queue_message_by_queue ON queue_message (queue, seq);
    CREATE INDEX IF NOT EXISTS queue_message_by_visibility ON queue_message (queue, visible_at_ms);

    CREATE TABLE IF NOT EXISTS queue_dedup (
        queue       TEXT NOT NULL,
        dedup_id    TEXT NOT NULL,
        sent_at_ms  INTEGER NOT NULL,
        PRIMARY KEY (queue, dedup_id)
    ) STRICT;
    CREATE INDEX IF NOT EXISTS queue_dedup_by_time ON queue_dedup (queue, sent_at_ms);

    CREATE TABLE IF NOT EXISTS queue_dead_letter (
        seq            INTEGER PRIMARY KEY AUTOINCREMENT,
        queue          TEXT NOT NULL,
        message_id     TEXT NOT NULL,
        group_id       TEXT NOT NULL,
        dedup_id       TEXT NOT NULL,
        body           TEXT NOT NULL,
        sent_at_ms     INTEGER NOT NULL,
        receive_count  INTEGER NOT NULL,
        moved_at_ms    INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS queue_dead_letter_by_queue ON queue_dead_letter (queue, seq);
    "#,
];

/// The version this build writes.
pub(super) const CURRENT_VERSION: i64 = MIGRATIONS.len() as i64;

pub(super) fn version(conn: &Connection) -> PortResult<i64> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(db_err)
}

/// Applies the missing migrations. Idempotent, and safe when two processes open the same file
/// at once: the version is read again inside an immediate (write-locked) transaction.
pub(super) fn migrate(conn: &mut Connection) -> PortResult<()> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let found = version(&tx)?;
    if found > CURRENT_VERSION {
        return Err(PortError::Backend(format!(
            "database schema version {found} is newer than this program ({CURRENT_VERSION})"
        )));
    }
    let start = usize::try_from(found)
        .map_err(|_| PortError::Backend(format!("invalid database schema version {found}")))?;
    for sql in MIGRATIONS.get(start..).unwrap_or_default() {
        tx.execute_batch(sql).map_err(db_err)?;
    }
    tx.pragma_update(None, "user_version", CURRENT_VERSION)
        .map_err(db_err)?;
    tx.commit().map_err(db_err)
}
