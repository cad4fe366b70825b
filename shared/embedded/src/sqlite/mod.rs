//! SQLite adapters for the embedded local mode: one file holds the stores, the simulator
//! outbox and every queue (with its dead letters), so whatever the webhook accepted survives a
//! crash of the process.
//!
//! [`SqliteDb`] owns the connection; the typed adapters wrap a clone of it:
//! [`SqliteStore`] (dedup marks, raw inbound log, status log, the conversation stores:
//! content, citizens, sessions, outbox, operator signals, complaints, and the operator side:
//! users, audit trail, alert board, settings), [`SqliteQueue`]
//! (SQS FIFO semantics with redrive), [`SimulatorOutbox`] (the `Messenger` used when no Graph
//! credentials are configured) and [`SimulatorStore`] (the simulator's citizens, their
//! messages, the statuses it played back, their files and its clock offset).

mod broadcast;
mod citizen_data;
mod complaint;
mod content;
mod content_revisions;
mod conversation;
mod lapor;
mod message_log;
mod operator;
mod outbox;
mod queue;
mod retention;
mod schema;

/// The schema version a freshly opened database file has.
pub use schema::CURRENT_VERSION as SCHEMA_VERSION;
mod simulator_store;
mod stats;
mod store;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, TryLockError};
use std::time::Duration;

use rusqlite::Connection;

use prolink_app::ports::{PortError, PortResult};

pub use outbox::SimulatorOutbox;
pub use queue::SqliteQueue;
pub use simulator_store::{
    Author, ConversationItem, MediaFile, SentMessage, SimCitizen, SimulatorStore, StatusDue,
    StatusScan,
};
pub use store::SqliteStore;

/// How long a statement waits for a lock held by another connection (another process on the
/// same file, e.g. a CLI command next to the running server) before failing with "busy".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A shared handle on one SQLite database. Cloning is cheap (one `Arc`); all clones use the
/// same connection, serialised by a mutex, which is plenty for the local mode and keeps
/// transactions simple.
#[derive(Clone)]
pub struct SqliteDb {
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteDb").finish_non_exhaustive()
    }
}

impl SqliteDb {
    /// Opens (or creates) the database file and brings its schema up to date. Blocking: call it
    /// at start-up, before serving.
    pub fn open(path: &Path) -> PortResult<SqliteDb> {
        // Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files the
        // database file's permissions, so all three stay private to this user.
        crate::private_fs::ensure_private_file(path).map_err(PortError::backend)?;
        let conn = Connection::open(path).map_err(PortError::backend)?;
        // WAL: readers do not block the writer, and a commit is one append to the log.
        // synchronous=NORMAL: the log is not fsynced on every commit, only at checkpoints. A
        // committed transaction has already been written (write(2)) to the WAL file when
        // `commit` returns, so it lives in the OS page cache and survives the process being
        // killed (kill -9, panic, OOM): SQLite replays the WAL on the next open. Only an OS
        // crash or power loss can drop the last few commits, and never corrupts the file;
        // that trade is fine for the local mode and spares an fsync per queued message.
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(PortError::backend)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(PortError::Backend(format!(
                "sqlite refused WAL mode (journal_mode is {mode})"
            )));
        }
        let db = Self::configure(conn)?;
        // Files left 0644 by an older version are tightened as well.
        for suffix in ["-wal", "-shm"] {
            let mut side = path.as_os_str().to_owned();
            side.push(suffix);
            let side = std::path::PathBuf::from(side);
            if side.exists() {
                crate::private_fs::restrict(&side, 0o600).map_err(PortError::backend)?;
            }
        }
        Ok(db)
    }

    /// A private database that lives as long as the handle (tests, one-shot CLI runs).
    pub fn open_in_memory() -> PortResult<SqliteDb> {
        let conn = Connection::open_in_memory().map_err(PortError::backend)?;
        Self::configure(conn)
    }

    fn configure(mut conn: Connection) -> PortResult<SqliteDb> {
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
        conn.pragma_update(None, "wal_autocheckpoint", WAL_PAGES_PER_CHECKPOINT)
            .map_err(PortError::backend)?;
        // Pages read through a memory map instead of a read(2) copy each: +15 % replies/s in
        // the load test. SQLite maps at most this much; the file is far smaller in local use.
        conn.pragma_update(None, "mmap_size", MMAP_BYTES)
            .map_err(PortError::backend)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(PortError::backend)?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(PortError::backend)?;
        schema::migrate(&mut conn)?;
        Ok(SqliteDb {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `work` on the connection. When nobody holds it, right here on the async worker:
    /// a statement takes tens of microseconds, while a hop to the blocking pool and back cost
    /// two thread wake-ups, about 30 % of the server's CPU under load (`docs/performance.md`,
    /// "SQLite statements and checkpoints"). The task then yields, so that requests queued on
    /// this worker (the webhook's) are polled between the statements of a dialog step. When
    /// the connection is busy, `work` waits for it in the blocking pool, never on an async
    /// worker. Another process holding SQLite's write lock (a `prolink` command on the same
    /// folder, a few milliseconds) can hold up an inline statement up to [`BUSY_TIMEOUT`].
    /// Read the clock inside `work`: it may start well after the call when the connection is
    /// busy.
    pub async fn call<T, F>(&self, work: F) -> PortResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> PortResult<T> + Send + 'static,
    {
        let attempt: Result<PortResult<T>, F> = match self.conn.try_lock() {
            Ok(mut conn) => Ok(run_guarded(work, &mut conn)),
            Err(TryLockError::Poisoned(poisoned)) => {
                Ok(run_guarded(work, &mut poisoned.into_inner()))
            }
            Err(TryLockError::WouldBlock) => Err(work),
        };
        match attempt {
            Ok(result) => {
                tokio::task::yield_now().await;
                result
            }
            Err(work) => {
                let conn = Arc::clone(&self.conn);
                tokio::task::spawn_blocking(move || {
                    let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
                    run_guarded(work, &mut conn)
                })
                .await
                .map_err(PortError::backend)?
            }
        }
    }

    /// The schema version stored in `PRAGMA user_version`.
    pub async fn schema_version(&self) -> PortResult<i64> {
        self.call(|conn| schema::version(conn)).await
    }
}

/// Runs `work`, a panic in it becoming a backend error (what the blocking pool's join error
/// made of it before statements ran inline). A rusqlite transaction open in `work` rolls back
/// when dropped during unwinding; anything else left open (a bare `BEGIN`) is rolled back
/// here, so the next call never runs inside a half-applied change.
fn run_guarded<T, F>(work: F, conn: &mut Connection) -> PortResult<T>
where
    F: FnOnce(&mut Connection) -> PortResult<T>,
{
    match catch_unwind(AssertUnwindSafe(|| work(conn))) {
        Ok(result) => result,
        Err(_) => {
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            Err(PortError::Backend("a database call panicked".to_owned()))
        }
    }
}

/// How many prepared statements the connection keeps. Every store shares the one connection
/// and, together, runs about 130 distinct statements; rusqlite's default of 16 evicted the hot
/// ones, so a dialog step spent about a sixth of its time compiling SQL it had compiled before
/// (`docs/performance.md`, "SQLite statements and checkpoints").
const STATEMENT_CACHE_CAPACITY: usize = 256;

/// WAL pages between automatic checkpoints (SQLite's default is 1 000, about 4 MiB). Every
/// checkpoint copies the log into the database and fsyncs both, in whichever request commits
/// past the limit: at the default it was the webhook's p99 (4 ms against 0.2 ms at p50). Less
/// often, a hot page rewritten by many commits is copied once; the log stays under ≈ 16 MiB.
const WAL_PAGES_PER_CHECKPOINT: i64 = 4_000;

/// Upper bound of the database's memory map (256 MiB).
const MMAP_BYTES: i64 = 256 * 1024 * 1024;

/// `execute` and `query_row` through the connection's statement cache: rusqlite's own compile
/// the SQL on every call. Dynamic SQL (built per call) is cached by its text like any other.
pub(crate) trait CachedStatements {
    fn execute_cached<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;

    fn query_row_cached<T, P, F>(&self, sql: &str, params: P, row: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>;
}

impl CachedStatements for Connection {
    fn execute_cached<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn query_row_cached<T, P, F>(&self, sql: &str, params: P, row: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, row)
    }
}

/// Maps any SQLite failure to the retryable infrastructure error of the ports.
pub(crate) fn db_err(error: rusqlite::Error) -> PortError {
    PortError::backend(error)
}
