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
use std::sync::{Arc, Mutex, PoisonError};
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
/// same connection. Calls made while another is running are committed together (see
/// [`SqliteDb::call`]).
#[derive(Clone)]
pub struct SqliteDb {
    inner: Arc<Inner>,
}

struct Inner {
    conn: Mutex<Connection>,
    group: Mutex<Group>,
    /// A second connection for [`SqliteDb::read`]: `None` for an in-memory database, which
    /// nobody else can open.
    reader: Option<Mutex<Connection>>,
}

/// Calls waiting for the connection, and whether a caller is running them (the leader).
#[derive(Default)]
struct Group {
    leading: bool,
    pending: Vec<Job>,
    /// Calls a request is waiting on (the webhook's queueing and raw log): committed in a
    /// transaction of their own before the pending ones, so that Meta's request does not wait
    /// for a group of dialog steps, above all after a checkpoint held the connection and the
    /// steps piled up.
    first: Vec<Job>,
}

/// A call's work, run in its own savepoint; it returns what delivers its result once the
/// group's transaction has ended (`Err` with the reason when the commit failed).
type Job = Box<dyn FnOnce(&mut Connection) -> Finish + Send>;
type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;

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
        let mut db = Self::configure(conn)?;
        let reader = Connection::open(path).map_err(PortError::backend)?;
        reader
            .pragma_update(None, "query_only", true)
            .map_err(PortError::backend)?;
        reader
            .pragma_update(None, "mmap_size", MMAP_BYTES)
            .map_err(PortError::backend)?;
        reader
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(PortError::backend)?;
        // Only this handle exists yet: the Arc is not shared.
        if let Some(inner) = Arc::get_mut(&mut db.inner) {
            inner.reader = Some(Mutex::new(reader));
        }
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

    /// [`SqliteDb::open`] for the one process that serves the data folder (`prolink serve`,
    /// which holds the folder's lock): the log is copied into the database by a thread of
    /// this handle. No handle checkpoints as it commits (`configure`), and a handle of any
    /// other process (a `prolink` command next to the server) leaves it to this one: a
    /// second checkpointer restarting the log would take SQLite's write lock from under
    /// the server's writer, whose calls would fail. Without a server, SQLite copies the log
    /// when the last connection closes.
    pub fn open_serving(path: &Path) -> PortResult<SqliteDb> {
        let db = Self::open(path)?;
        let checkpointer = Connection::open(path).map_err(PortError::backend)?;
        checkpointer
            .busy_timeout(RESTART_WAIT)
            .map_err(PortError::backend)?;
        let db_alive = Arc::downgrade(&db.inner);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".to_owned())
            .spawn(move || checkpoint_while_open(&checkpointer, &db_alive))
            .map_err(PortError::backend)?;
        Ok(db)
    }

    /// A private database that lives as long as the handle (tests, one-shot CLI runs).
    pub fn open_in_memory() -> PortResult<SqliteDb> {
        let conn = Connection::open_in_memory().map_err(PortError::backend)?;
        Self::configure(conn)
    }

    fn configure(mut conn: Connection) -> PortResult<SqliteDb> {
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
        // No checkpoint inside a commit: the server's handle has a checkpointer thread
        // (`open_serving`), an in-memory database no log.
        conn.pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(PortError::backend)?;
        // When the log starts over, its file is cut back to this size (after a burst it may
        // have grown past the checkpointer's limit by a tick's writes).
        conn.pragma_update(None, "journal_size_limit", WAL_FRAMES_LIMIT * 4096)
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
            inner: Arc::new(Inner {
                conn: Mutex::new(conn),
                group: Mutex::new(Group::default()),
                reader: None,
            }),
        })
    }

    /// Runs `work` on the connection and returns once its changes are committed.
    ///
    /// Group commit: every call runs in a savepoint of a transaction that the calls waiting at
    /// the same moment share, so under load one commit (one WAL append, one round of file
    /// locks) carries many calls instead of one each; about 20 calls make a dialog step
    /// (`docs/performance.md`, "SQLite statements and checkpoints"). A call that fails or
    /// panics is rolled back to its savepoint and fails alone; if the commit fails, every
    /// call of the group fails. Results are handed out only after the commit, so nobody
    /// acts on a change that could still be lost. A call is therefore all or nothing by
    /// itself: the stores write several statements in one call without a transaction of
    /// their own (a `BEGIN` inside a call fails: the group's transaction is open).
    ///
    /// The caller that finds nobody running calls leads: it runs the group right here on the
    /// async worker (a statement takes tens of microseconds; a hop to the blocking pool cost
    /// two thread wake-ups) and yields, so that the webhook's requests queued on this worker
    /// are polled between the steps of a dialog; if the checkpointer holds the connection,
    /// the blocking pool waits for it instead. Calls that arrived meanwhile are run by a
    /// leader in the blocking pool until none is left. Another process holding SQLite's
    /// write lock (a `prolink` command on the same folder, a few milliseconds) can hold up a
    /// group up to [`BUSY_TIMEOUT`]. Read the clock inside `work`: it may start well after
    /// the call.
    pub async fn call<T, F>(&self, work: F) -> PortResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> PortResult<T> + Send + 'static,
    {
        self.call_in(Lane::Pending, work).await
    }

    /// [`SqliteDb::call`] for a call somebody outside is waiting on (Meta, for the webhook's
    /// queueing and raw log): it is committed before the calls pending at the same moment, in
    /// a small transaction of its own.
    pub async fn call_first<T, F>(&self, work: F) -> PortResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> PortResult<T> + Send + 'static,
    {
        self.call_in(Lane::First, work).await
    }

    async fn call_in<T, F>(&self, lane: Lane, work: F) -> PortResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> PortResult<T> + Send + 'static,
    {
        let (deliver, delivered) = tokio::sync::oneshot::channel::<PortResult<T>>();
        let job: Job = Box::new(move |conn: &mut Connection| -> Finish {
            let result = run_in_savepoint(work, conn);
            Box::new(move |committed: Result<(), String>| {
                let result = match (result, committed) {
                    (Ok(value), Ok(())) => Ok(value),
                    (Err(error), _) => Err(error),
                    (Ok(_), Err(reason)) => Err(PortError::Backend(reason)),
                };
                // The caller may have gone (its future dropped): nothing to deliver to.
                let _ = deliver.send(result);
            })
        });
        let lead = {
            let mut group = self
                .inner
                .group
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match lane {
                Lane::Pending => group.pending.push(job),
                Lane::First => group.first.push(job),
            }
            !std::mem::replace(&mut group.leading, true)
        };
        if lead {
            // While the checkpointer holds the connection (a few to tens of milliseconds),
            // the blocking pool waits for it, not this async worker and the requests on it.
            let more = match self.inner.conn.try_lock() {
                Ok(mut conn) => self.inner.run_one_group(&mut conn),
                Err(std::sync::TryLockError::Poisoned(poisoned)) => {
                    self.inner.run_one_group(&mut poisoned.into_inner())
                }
                Err(std::sync::TryLockError::WouldBlock) => true,
            };
            if more {
                let leader = Leader(Arc::clone(&self.inner));
                tokio::task::spawn_blocking(move || leader.run_until_none_left());
            }
            tokio::task::yield_now().await;
        }
        delivered
            .await
            .map_err(|_| PortError::Backend("the database call was dropped unrun".to_owned()))?
    }

    /// Runs a read on a connection of its own, without waiting for the writer's group: for the
    /// webhook's look-ups, which would otherwise wait for a whole group of dialog steps (and
    /// behind a checkpoint that holds the writer) before the request could be answered. It
    /// sees what is committed when it starts. Runs right here on the async worker: a point
    /// look-up takes microseconds. An in-memory database has no second connection and reads
    /// through [`SqliteDb::call`].
    pub async fn read<T, F>(&self, work: F) -> PortResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> PortResult<T> + Send + 'static,
    {
        let Some(reader) = &self.inner.reader else {
            return self.call(move |conn| work(conn)).await;
        };
        let conn = reader.lock().unwrap_or_else(PoisonError::into_inner);
        match catch_unwind(AssertUnwindSafe(|| work(&conn))) {
            Ok(result) => result,
            Err(_) => Err(PortError::Backend("a database read panicked".to_owned())),
        }
    }

    /// The schema version stored in `PRAGMA user_version`.
    pub async fn schema_version(&self) -> PortResult<i64> {
        self.call(|conn| schema::version(conn)).await
    }
}

/// Which calls of a group a call joins (see [`Group::first`]).
#[derive(Clone, Copy)]
enum Lane {
    Pending,
    First,
}

impl Inner {
    /// Runs the calls waiting now: the `first` ones in a transaction of their own, then the
    /// others as one group. The calls are taken once the connection is held, so that those
    /// that arrived while a checkpoint held it are in this round. `true`: more arrived
    /// meanwhile and this caller still leads.
    fn run_one_group(&self, conn: &mut Connection) -> bool {
        let (first, pending) = {
            let mut group = self.group.lock().unwrap_or_else(PoisonError::into_inner);
            (
                std::mem::take(&mut group.first),
                std::mem::take(&mut group.pending),
            )
        };
        run_group(conn, first);
        run_group(conn, pending);
        let mut group = self.group.lock().unwrap_or_else(PoisonError::into_inner);
        if group.pending.is_empty() && group.first.is_empty() {
            group.leading = false;
            false
        } else {
            true
        }
    }

    /// [`Inner::run_one_group`], waiting for the connection.
    fn run_one_group_blocking(&self) -> bool {
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        self.run_one_group(&mut conn)
    }
}

/// Leads in the blocking pool. If it is dropped unrun (the runtime shutting down), the
/// calls it would have run are dropped, so their callers get an error instead of waiting
/// forever, and the next call leads again.
struct Leader(Arc<Inner>);

impl Leader {
    fn run_until_none_left(self) {
        while self.0.run_one_group_blocking() {}
        std::mem::forget(self);
    }
}

impl Drop for Leader {
    fn drop(&mut self) {
        let mut group = self.0.group.lock().unwrap_or_else(PoisonError::into_inner);
        group.pending.clear();
        group.first.clear();
        group.leading = false;
    }
}

/// Runs `jobs` in one transaction and hands each its result after the commit. Deferred, not
/// `IMMEDIATE`: a group of reads (a `prolink` command or the load test reading the file
/// next to the server) must not take the write lock from the server. The price: when
/// another process commits between a group's first read and its first write, SQLite
/// refuses that write (`SQLITE_BUSY_SNAPSHOT`) and those calls fail alone, to be retried
/// by their callers like any backend error (Meta redelivers the webhook, the queue the
/// item). If SQLite ends the transaction itself (a full disk, an I/O error), the calls run
/// in it fail and the rest start a new group. If no transaction can be begun, each call
/// runs alone, its savepoint then being its own transaction.
fn run_group(conn: &mut Connection, jobs: Vec<Job>) {
    let mut jobs = jobs.into_iter().peekable();
    while jobs.peek().is_some() {
        if control(conn, "BEGIN").is_err() {
            for job in jobs.by_ref() {
                job(conn)(Ok(()));
            }
            return;
        }
        let mut ran: Vec<Finish> = Vec::new();
        let mut lost = false;
        for job in jobs.by_ref() {
            ran.push(job(conn));
            if conn.is_autocommit() {
                lost = true;
                break;
            }
        }
        let outcome = if lost {
            Err("SQLite rolled the transaction back".to_owned())
        } else {
            control(conn, "COMMIT").map_err(|error| {
                let _ = control(conn, "ROLLBACK");
                format!("commit failed: {error}")
            })
        };
        for finish in ran {
            finish(outcome.clone());
        }
    }
}

/// Runs `work` in a savepoint, released when it succeeds and rolled back when it fails or
/// panics (a panic becoming a backend error), so a failed call leaves nothing behind and
/// the group's other calls are unaffected.
fn run_in_savepoint<T, F>(work: F, conn: &mut Connection) -> PortResult<T>
where
    F: FnOnce(&mut Connection) -> PortResult<T>,
{
    control(conn, "SAVEPOINT call").map_err(PortError::backend)?;
    let result = match catch_unwind(AssertUnwindSafe(|| work(conn))) {
        Ok(Ok(value)) => match control(conn, "RELEASE call") {
            Ok(()) => return Ok(value),
            Err(error) => Err(PortError::backend(error)),
        },
        Ok(Err(error)) => Err(error),
        Err(_) => Err(PortError::Backend("a database call panicked".to_owned())),
    };
    // Fails harmlessly when SQLite already rolled the whole transaction back.
    let _ = control(conn, "ROLLBACK TO call");
    let _ = control(conn, "RELEASE call");
    result
}

/// A transaction control statement through the statement cache: two of them wrap every
/// call, and compiling them each time was a tenth of a call's time.
fn control(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// How many prepared statements the connection keeps. Every store shares the one connection
/// and, together, runs about 130 distinct statements; rusqlite's default of 16 evicted the hot
/// ones, so a dialog step spent about a sixth of its time compiling SQL it had compiled before
/// (`docs/performance.md`, "SQLite statements and checkpoints").
const STATEMENT_CACHE_CAPACITY: usize = 256;

/// How often the checkpointer copies the log into the database. A checkpoint copies pages and
/// fsyncs the log and the database; run by SQLite itself (every 1 000 or 4 000 pages) it
/// happened inside whichever commit crossed the limit, holding the one writer connection
/// ≈ 18 ms: first the webhook's p99, then half the time the writer spent committing under
/// the load test (`docs/performance.md`, "SQLite statements and checkpoints"). On its own
/// connection it runs beside the writer, which keeps committing meanwhile. At the load
/// test's pace (≈ 15 pages a message) a quarter of a second is ≈ 15 MiB of log.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Frames the log may keep after a passive checkpoint (≈ 256 MiB). A passive checkpoint
/// copies what was committed when it started; under writes without a pause the log is then
/// never wholly copied, and SQLite starts writing it from its beginning again only when it
/// is. Past this bound the checkpointer holds the writer back while it copies the rest
/// (`RESTART`, waiting up to [`RESTART_WAIT`] for other processes' readers), so that the log
/// starts over. That hold, tens of milliseconds on a slow disk's fsyncs, is the webhook's
/// slowest answers under the load test; at 16 000 frames it came every 0.6 s and put 3–4 %
/// of the requests behind it, at this bound every 2 s or so (`docs/performance.md`). The
/// log only grows this far under load without a pause; at the city's pace the passive
/// checkpoints catch up and it starts over small.
const WAL_FRAMES_LIMIT: i64 = 64_000;

/// How long a RESTART checkpoint waits for readers of other processes (a `prolink` command on
/// the same folder) while the writer waits for it; when they take longer it is tried again
/// at the next tick.
const RESTART_WAIT: Duration = Duration::from_millis(100);

/// The checkpointer's loop: a passive checkpoint every [`CHECKPOINT_EVERY`] (nothing to do
/// and cheap while nothing was written), until the database handle is gone. Failures are
/// logged and tried again at the next tick; the log only grows meanwhile.
fn checkpoint_while_open(conn: &Connection, db_alive: &std::sync::Weak<Inner>) {
    loop {
        std::thread::sleep(CHECKPOINT_EVERY);
        if db_alive.strong_count() == 0 {
            return;
        }
        match checkpoint(conn, "PASSIVE") {
            Ok(Checkpoint { frames, .. }) if frames > WAL_FRAMES_LIMIT => {
                let Some(db) = db_alive.upgrade() else {
                    return;
                };
                // First catch up without holding anybody: the passive checkpoint above took
                // tens of milliseconds, and what was committed meanwhile would otherwise be
                // copied by the RESTART below while the writer waits (11–16 ms held, the
                // load test's slowest webhook requests; after this pass 4–9 ms).
                if let Err(error) = checkpoint(conn, "PASSIVE") {
                    tracing::warn!(%error, "SQLite checkpoint failed");
                }
                // A RESTART checkpoint holds SQLite's write lock. A group of the writer that
                // has read already and then wants to write would get SQLITE_BUSY at once
                // (SQLite cannot wait there without risking a deadlock), and its calls would
                // fail; so the writer's groups wait for the connection instead.
                let _writer = db.conn.lock().unwrap_or_else(PoisonError::into_inner);
                match checkpoint(conn, "RESTART") {
                    Ok(Checkpoint { done: true, .. }) => {}
                    // Readers of another process still use the log: next tick.
                    Ok(Checkpoint { done: false, .. }) => {
                        tracing::debug!(frames, "SQLite log not restarted yet: readers");
                    }
                    Err(error) => {
                        tracing::warn!(%error, frames, "SQLite log could not be restarted");
                    }
                }
            }
            // Not done: another connection (a `prolink` command closing) was checkpointing.
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "SQLite checkpoint failed"),
        }
    }
}

/// What `PRAGMA wal_checkpoint` reports.
struct Checkpoint {
    /// Whether it ran to its end (`false`: another checkpoint was running, or for RESTART,
    /// readers kept it from finishing).
    done: bool,
    /// Frames the log holds, copied or not: they all stay in the file until the log starts
    /// over.
    frames: i64,
}

/// Runs `PRAGMA wal_checkpoint(mode)`.
fn checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<Checkpoint> {
    let (busy, frames): (i64, i64) =
        conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
    Ok(Checkpoint {
        done: busy == 0,
        frames,
    })
}

/// Upper bound of the database's memory map (256 MiB).
const MMAP_BYTES: i64 = 256 * 1024 * 1024;

/// `execute` and `query_row` through the connection's statement cache: rusqlite's own compile
/// the SQL on every call. Dynamic SQL (built per call) is cached by its text like any other.
///
/// A cached statement is only cheap while SQLite keeps its plan: a bare parameter as the
/// `LIMIT` (`LIMIT ?2`) is read by the planner, so SQLite compiles the statement again each
/// time it runs with another value (a citizen's complaints took 17 µs instead of 4.5). Write
/// `LIMIT +?2`: the same value, not looked at by the planner (a test keeps it so).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_statement_is_compiled_again_for_each_limit() {
        let conn = Connection::open_in_memory().expect("memory");
        conn.execute_batch("CREATE TABLE t (k TEXT, n INTEGER); CREATE INDEX t_k ON t (k, n);")
            .expect("table");
        // What the rule is about: SQLite's own behaviour, measured on both spellings.
        let recompiled = |sql: &str| {
            for limit in 1..=5_i64 {
                let mut stmt = conn.prepare_cached(sql).expect("prepare");
                let rows = stmt
                    .query_map(rusqlite::params!["a", limit], |row| row.get::<_, i64>(0))
                    .expect("query");
                assert_eq!(rows.count(), 0);
            }
            conn.prepare_cached(sql)
                .expect("prepare")
                .get_status(rusqlite::StatementStatus::RePrepare)
        };
        assert!(recompiled("SELECT n FROM t WHERE k = ?1 ORDER BY n DESC LIMIT ?2") >= 4);
        assert_eq!(
            recompiled("SELECT n FROM t WHERE k = ?1 ORDER BY n DESC LIMIT +?2"),
            0
        );
        // And every store of this module keeps to it (this file has no store SQL, and spells
        // the rule out).
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/src/sqlite");
        for entry in std::fs::read_dir(folder).expect("module folder") {
            let path = entry.expect("entry").path();
            if path.file_name().is_some_and(|name| name == "mod.rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).expect("source");
            let bare = source.to_uppercase().replace("LIMIT +?", "");
            assert!(
                !bare.contains(&format!("LIMIT {}", '?')),
                "{}: a bare `LIMIT ?` makes SQLite compile the statement on every run",
                path.display()
            );
        }
    }

    /// The WAL header's checkpoint sequence number: SQLite raises it each time the log starts
    /// over from its beginning, which it does only once every frame was copied.
    fn log_generation(db_path: &Path) -> u32 {
        let mut wal = db_path.as_os_str().to_owned();
        wal.push("-wal");
        let header = std::fs::read(std::path::PathBuf::from(wal)).unwrap_or_default();
        header
            .get(12..16)
            .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The server's handle on a new file with a `probe` table to fill.
    async fn serving_probe(dir: &Path) -> (std::path::PathBuf, SqliteDb) {
        let path = dir.join("probe.sqlite");
        let db = SqliteDb::open_serving(&path).expect("open");
        db.call(|conn| {
            conn.execute_cached("CREATE TABLE probe (filler BLOB)", [])
                .map_err(db_err)
        })
        .await
        .expect("table");
        (path, db)
    }

    async fn write_pages(db: &SqliteDb, pages: usize) {
        db.call(move |conn| {
            for _ in 0..pages {
                conn.execute_cached("INSERT INTO probe (filler) VALUES (zeroblob(3000))", [])
                    .map_err(db_err)?;
            }
            Ok(())
        })
        .await
        .expect("write");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_without_a_pause_start_the_log_over_and_never_fail() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (path, db) = serving_probe(dir.path()).await;
        // A `prolink` command's handle on the same file, reading now and then: it must not
        // checkpoint (a second checkpointer restarting the log takes the write lock from under
        // the server's writer).
        let command = SqliteDb::open(&path).expect("second handle");
        let first = log_generation(&path);
        // Twice WAL_FRAMES_LIMIT with no pause for a passive checkpoint to catch up, so the
        // checkpointer restarts the log while the writer works. Each call reads before it
        // writes, as the stores' calls do: such a group cannot wait for SQLite's write lock.
        const PAGES_PER_CALL: usize = 3;
        const CALLS: usize = WAL_FRAMES_LIMIT as usize * 9 / 4 / PAGES_PER_CALL;
        let mut failed = Vec::new();
        for call in 0..CALLS {
            let result = db
                .call(|conn| {
                    let _last: i64 = conn
                        .query_row_cached("SELECT ifnull(max(rowid), 0) FROM probe", [], |row| {
                            row.get(0)
                        })
                        .map_err(db_err)?;
                    for _ in 0..PAGES_PER_CALL {
                        conn.execute_cached(
                            "INSERT INTO probe (filler) VALUES (zeroblob(3000))",
                            [],
                        )
                        .map_err(db_err)?;
                    }
                    Ok(())
                })
                .await;
            if let Err(error) = result {
                failed.push(error.to_string());
            }
            if call % 500 == 0 {
                let read = command
                    .call(|conn| {
                        conn.query_row_cached("SELECT count(*) FROM sqlite_schema", [], |row| {
                            row.get::<_, i64>(0)
                        })
                        .map_err(db_err)
                    })
                    .await;
                if let Err(error) = read {
                    failed.push(format!("the command's read: {error}"));
                }
            }
        }
        assert!(
            failed.is_empty(),
            "{} calls failed: {:?}",
            failed.len(),
            failed.first()
        );
        // Without the checkpointer's RESTART a writer without a pause never starts over.
        assert_ne!(log_generation(&path), first, "the log never started over");
    }

    #[tokio::test]
    async fn the_log_is_copied_and_started_over_beside_the_writer() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (path, db) = serving_probe(dir.path()).await;
        write_pages(&db, 500).await;
        let first = log_generation(&path);
        let mut generation = first;
        for _ in 0..200 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            // A new write transaction is what starts the log over once it was copied.
            write_pages(&db, 1).await;
            generation = log_generation(&path);
            if generation != first {
                break;
            }
        }
        assert_ne!(
            generation, first,
            "the log was never copied into the database and started over"
        );
        let rows: i64 = db
            .call(|conn| {
                conn.query_row_cached("SELECT count(*) FROM probe", [], |row| row.get(0))
                    .map_err(db_err)
            })
            .await
            .expect("count");
        assert!(rows >= 501, "{rows}");
    }
}
