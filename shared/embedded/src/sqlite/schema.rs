//! Schema of the local database, versioned with `PRAGMA user_version`. Migrations only ever get
//! appended: migration `i` brings the file from version `i` to `i + 1`.

use rusqlite::{Connection, TransactionBehavior};

use prolink_app::ports::{PortError, PortResult};

use super::db_err;

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
    // 2: conversation: outbox, citizens and aliases, sessions, content, operator signals.
    r#"
    CREATE TABLE IF NOT EXISTS outbox (
        outbox_id        TEXT PRIMARY KEY NOT NULL,
        citizen_key      TEXT NOT NULL,
        body             TEXT NOT NULL,
        state            TEXT NOT NULL,
        wamid            TEXT,
        attempts         INTEGER NOT NULL,
        last_error_code  INTEGER,
        last_error       TEXT,
        created_ms       INTEGER NOT NULL,
        updated_ms       INTEGER NOT NULL,
        expires_at_ms    INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE IF NOT EXISTS citizen (
        key      TEXT PRIMARY KEY NOT NULL,
        version  INTEGER NOT NULL,
        profile  TEXT NOT NULL
    ) STRICT;

    CREATE TABLE IF NOT EXISTS citizen_alias (
        identifier   TEXT PRIMARY KEY NOT NULL,
        citizen_key  TEXT NOT NULL
    ) STRICT;

    CREATE TABLE IF NOT EXISTS dialog_session (
        key            TEXT PRIMARY KEY NOT NULL,
        version        INTEGER NOT NULL,
        data           TEXT NOT NULL,
        expires_at_ms  INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE IF NOT EXISTS content_bundle (
        id              INTEGER PRIMARY KEY CHECK (id = 1),
        version         INTEGER NOT NULL,
        bundle          TEXT NOT NULL,
        imported_at_ms  INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE IF NOT EXISTS unanswered_question (
        id             TEXT PRIMARY KEY NOT NULL,
        citizen_key    TEXT NOT NULL,
        text           TEXT NOT NULL,
        candidates     TEXT NOT NULL,
        asked_ms       INTEGER NOT NULL,
        expires_at_ms  INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS unanswered_question_by_time ON unanswered_question (asked_ms, id);

    CREATE TABLE IF NOT EXISTS operator_alert (
        id           TEXT PRIMARY KEY NOT NULL,
        kind         TEXT NOT NULL,
        message      TEXT NOT NULL,
        citizen_key  TEXT,
        raised_ms    INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS operator_alert_by_time ON operator_alert (raised_ms, id);
    "#,
    // 3: WhatsApp simulator: its citizens, what they sent, the statuses it played back for
    // the bot's messages, the files they sent, and its settings (the time-travel offset).
    r#"
    CREATE TABLE IF NOT EXISTS sim_citizen (
        number      TEXT PRIMARY KEY NOT NULL,
        name        TEXT NOT NULL,
        user_id     TEXT,
        created_ms  INTEGER NOT NULL,
        updated_ms  INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE IF NOT EXISTS sim_sent (
        seq           INTEGER PRIMARY KEY AUTOINCREMENT,
        wamid         TEXT NOT NULL UNIQUE,
        from_digits   TEXT NOT NULL,
        from_user_id  TEXT,
        sent_at_ms    INTEGER NOT NULL,
        message       TEXT NOT NULL,
        read_at_ms    INTEGER
    ) STRICT;
    CREATE INDEX IF NOT EXISTS sim_sent_by_phone ON sim_sent (from_digits, seq);
    CREATE INDEX IF NOT EXISTS sim_sent_by_user ON sim_sent (from_user_id, seq);

    CREATE TABLE IF NOT EXISTS sim_status (
        outbox_id     TEXT PRIMARY KEY NOT NULL,
        sent_ms       INTEGER,
        delivered_ms  INTEGER,
        read_ms       INTEGER
    ) STRICT;

    CREATE TABLE IF NOT EXISTS sim_media (
        media_id    TEXT PRIMARY KEY NOT NULL,
        mime_type   TEXT NOT NULL,
        sha256      TEXT NOT NULL,
        file_size   INTEGER NOT NULL,
        filename    TEXT,
        created_ms  INTEGER NOT NULL,
        data        BLOB NOT NULL
    ) STRICT;

    CREATE TABLE IF NOT EXISTS sim_setting (
        key    TEXT PRIMARY KEY NOT NULL,
        value  TEXT NOT NULL
    ) STRICT;
    "#,
    // 4: complaints with their timeline (the whole complaint as JSON in `data`). The other
    // columns serve the lists; `next_due_ms` holds the scheduler's index value (NULL once the
    // complaint is final), like GSI4 on DynamoDB.
    r#"
    CREATE TABLE IF NOT EXISTS complaints (
        ticket       TEXT PRIMARY KEY NOT NULL,
        citizen_key  TEXT NOT NULL,
        status       TEXT NOT NULL,
        opd_id       TEXT NOT NULL,
        received_ms  INTEGER NOT NULL,
        next_due_ms  INTEGER,
        version      INTEGER NOT NULL,
        data         TEXT NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS complaints_by_citizen
        ON complaints (citizen_key, received_ms, ticket);
    CREATE INDEX IF NOT EXISTS complaints_by_status ON complaints (status, received_ms, ticket);
    CREATE INDEX IF NOT EXISTS complaints_by_opd ON complaints (opd_id, received_ms, ticket);
    CREATE INDEX IF NOT EXISTS complaints_by_due ON complaints (next_due_ms, ticket)
        WHERE next_due_ms IS NOT NULL;
    "#,
    // 5: the operator side: complaint lists by OPD and status together and over every
    // complaint (like GSI5 and GSI6; the columns exist since 4, so the indexes cover the old
    // rows at once), alert states per OPD (old alerts become open alerts of no OPD), users,
    // the audit trail and settings.
    r#"
    CREATE INDEX IF NOT EXISTS complaints_by_opd_status
        ON complaints (opd_id, status, received_ms, ticket);
    CREATE INDEX IF NOT EXISTS complaints_by_time ON complaints (received_ms, ticket);

    ALTER TABLE operator_alert ADD COLUMN opd_id TEXT;
    ALTER TABLE operator_alert ADD COLUMN state TEXT NOT NULL DEFAULT 'open';
    ALTER TABLE operator_alert ADD COLUMN resolved_ms INTEGER;
    ALTER TABLE operator_alert ADD COLUMN resolved_by TEXT;
    CREATE INDEX IF NOT EXISTS operator_alert_by_state ON operator_alert (state, raised_ms, id);
    CREATE INDEX IF NOT EXISTS operator_alert_by_opd
        ON operator_alert (opd_id, state, raised_ms, id);

    CREATE TABLE IF NOT EXISTS operator_user (
        username  TEXT PRIMARY KEY NOT NULL,
        version   INTEGER NOT NULL,
        data      TEXT NOT NULL
    ) STRICT;

    CREATE TABLE IF NOT EXISTS audit_log (
        id             TEXT PRIMARY KEY NOT NULL,
        at_ms          INTEGER NOT NULL,
        actor          TEXT NOT NULL,
        role           TEXT NOT NULL,
        action         TEXT NOT NULL,
        subject        TEXT,
        ip             TEXT,
        detail         TEXT,
        expires_at_ms  INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS audit_log_by_time ON audit_log (at_ms, id);
    CREATE INDEX IF NOT EXISTS audit_log_by_actor ON audit_log (actor, at_ms, id);
    CREATE INDEX IF NOT EXISTS audit_log_by_subject ON audit_log (subject, at_ms, id);

    CREATE TABLE IF NOT EXISTS operator_setting (
        key         TEXT PRIMARY KEY NOT NULL,
        version     INTEGER NOT NULL,
        value       TEXT NOT NULL,
        updated_ms  INTEGER NOT NULL,
        updated_by  TEXT NOT NULL
    ) STRICT;
    "#,
    // 6: statistics counters (per WIB day) and the marks of the events counted.
    r#"
    CREATE TABLE IF NOT EXISTS stat_counter (
        day      TEXT NOT NULL,
        counter  TEXT NOT NULL,
        value    INTEGER NOT NULL,
        PRIMARY KEY (day, counter)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE IF NOT EXISTS stat_event (
        event_id       TEXT PRIMARY KEY NOT NULL,
        counted_ms     INTEGER NOT NULL,
        expires_at_ms  INTEGER NOT NULL
    ) STRICT;
    "#,
    // 7: the content revisions of the operator API (each with the whole bundle).
    r#"
    CREATE TABLE IF NOT EXISTS content_revision (
        number         INTEGER PRIMARY KEY NOT NULL,
        at_ms          INTEGER NOT NULL,
        summary        TEXT NOT NULL,
        bundle         TEXT NOT NULL
    ) STRICT;
    "#,
    // 8: conversations: the message log per citizen (newest first by (at_ms, id)) and one
    // summary per citizen with the sort keys of its two lists (the `handoff` key only while
    // in handoff, like a sparse GSI) and its opaque id.
    r#"
    CREATE TABLE IF NOT EXISTS message_log (
        citizen_key    TEXT NOT NULL,
        at_ms          INTEGER NOT NULL,
        id             TEXT NOT NULL,
        data           TEXT NOT NULL,
        expires_at_ms  INTEGER NOT NULL,
        PRIMARY KEY (citizen_key, at_ms, id)
    ) STRICT;

    CREATE TABLE IF NOT EXISTS conversation (
        citizen_key  TEXT PRIMARY KEY NOT NULL,
        id           TEXT NOT NULL UNIQUE,
        version      INTEGER NOT NULL,
        handoff_sk   TEXT,
        recent_sk    TEXT NOT NULL,
        data         TEXT NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS conversation_by_handoff ON conversation (handoff_sk)
        WHERE handoff_sk IS NOT NULL;
    CREATE INDEX IF NOT EXISTS conversation_by_recent ON conversation (recent_sk);
    "#,
    // 9: citizens' data rights: tombstones of erased identifiers (hashes, never numbers) and
    // the citizens' erasure requests (newest first by `requested_sk`).
    r#"
    CREATE TABLE IF NOT EXISTS erased_identifier (
        hash          TEXT PRIMARY KEY NOT NULL,
        erased_at_ms  INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE IF NOT EXISTS erasure_request (
        citizen_id    TEXT PRIMARY KEY NOT NULL,
        requested_sk  TEXT NOT NULL,
        state         TEXT NOT NULL,
        data          TEXT NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS erasure_request_by_time ON erasure_request (requested_sk);
    "#,
    // 10: retention of complaints: when a final complaint was closed (the time of its last
    // status change into its final status), indexed for the sweep like GSI4's `CMPCLOSED`
    // partition. Existing final complaints get it from their timeline; one whose timeline
    // lacks that event is dated by its latest event, else its receipt
    // (`complaint_rules::closed_ms`, which every later write uses).
    r#"
    ALTER TABLE complaints ADD COLUMN closed_ms INTEGER;
    UPDATE complaints SET closed_ms = COALESCE(
        (SELECT MAX(json_extract(e.value, '$.at_ms')) FROM json_each(complaints.data, '$.events') e
          WHERE json_extract(e.value, '$.to') = complaints.status
            AND json_extract(e.value, '$.from') IS NOT complaints.status),
        (SELECT MAX(json_extract(e.value, '$.at_ms')) FROM json_each(complaints.data, '$.events') e),
        received_ms)
     WHERE status IN ('ditolak', 'bukan_wewenang', 'ditutup', 'dicabut');
    CREATE INDEX IF NOT EXISTS complaints_by_closed ON complaints (closed_ms, ticket)
        WHERE closed_ms IS NOT NULL;
    "#,
    // 11: reserved for another branch's migration (merged from its own branch). Until then it
    // changes nothing: 12 does not depend on it.
    "",
    // 12: broadcasts (issue #19): one row per broadcast (the whole record as JSON in `data`),
    // listed newest first by `created_sk` and picked up by the scheduler through `due_ms`
    // (set only while scheduled or sending, like GSI4's `BCASTDUE`). Opted-in citizens are read
    // in rowid order (an `UPDATE` keeps a row's rowid, so a citizen keeps their place); the
    // partial index counts them without reading the others.
    r#"
    CREATE TABLE IF NOT EXISTS broadcast (
        id          TEXT PRIMARY KEY NOT NULL,
        version     INTEGER NOT NULL,
        created_sk  TEXT NOT NULL,
        due_ms      INTEGER,
        data        TEXT NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS broadcast_by_created ON broadcast (created_sk);
    CREATE INDEX IF NOT EXISTS broadcast_by_due ON broadcast (due_ms, id)
        WHERE due_ms IS NOT NULL;
    -- Migration 2 made `citizen`; repeated here (a no-op) so that a partial file, as the
    -- migration tests write them, still migrates.
    CREATE TABLE IF NOT EXISTS citizen (
        key      TEXT PRIMARY KEY NOT NULL,
        version  INTEGER NOT NULL,
        profile  TEXT NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS citizen_subscribed ON citizen (key)
        WHERE json_extract(profile, '$.broadcast_opt_in') = 1;
    "#,
    // 13: the SP4N-LAPOR! outbox (issue #23): one row per complaint's task (the whole task as
    // JSON in `data`), picked up by the scheduler through `due_ms` (like GSI4's `LAPORDUE`);
    // the reporter's key is a column so the citizen erasure finds their tasks.
    r#"
    CREATE TABLE IF NOT EXISTS lapor_task (
        ticket       TEXT PRIMARY KEY NOT NULL,
        version      INTEGER NOT NULL,
        citizen_key  TEXT NOT NULL,
        due_ms       INTEGER,
        data         TEXT NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS lapor_task_by_due ON lapor_task (due_ms, ticket)
        WHERE due_ms IS NOT NULL;
    CREATE INDEX IF NOT EXISTS lapor_task_by_citizen ON lapor_task (citizen_key);
    "#,
];

/// The version this build writes.
pub const CURRENT_VERSION: i64 = MIGRATIONS.len() as i64;

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
