//! The conformance suite on SQLite, plus what only the SQLite adapters promise (persistence in
//! the file, exact SQS rules checked with a manual clock).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tempfile::TempDir;

use prolink_app::ports::{
    AlertBoard, AlertState, ComplaintQuery, ComplaintStore, ContentStore, DedupStore,
    OperatorAlert, OperatorSignals, OutboxRecord, OutboxState, OutboxStore, OutgoingMessage,
    PageRequest, PortError, Queue, RawInbound, RawInboundLog, SessionStore, StatusLog,
    StatusRecord, StoredSession, SystemClock, UnansweredQuestion,
};
use prolink_embedded::sqlite::{SqliteDb, SqliteQueue, SqliteStore, SCHEMA_VERSION};

use super::complaint::run_complaint_suite;
use super::conversation::{run_conversation_suite, ConversationUnderTest};
use super::operator::{run_operator_suite, OperatorUnderTest};
use super::queue::run_queue_suite;
use super::store::{run_store_suite, StoreUnderTest};
use crate::support::ManualClock;

const LONG: Duration = Duration::from_secs(30);

const START_MS: i64 = 1_780_000_000_000;

fn temp_db() -> (TempDir, SqliteDb) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = SqliteDb::open(&dir.path().join("prolink.db")).expect("open");
    (dir, db)
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn message(group_id: &str, body: &str) -> OutgoingMessage {
    OutgoingMessage {
        group_id: group_id.to_owned(),
        dedup_id: unique("dedup"),
        body: body.to_owned(),
    }
}

fn stores(db: &SqliteDb) -> StoreUnderTest {
    let store = Arc::new(SqliteStore::new(db.clone(), Arc::new(SystemClock)));
    StoreUnderTest {
        dedup: store.clone(),
        raw: store.clone(),
        status: store,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_suite_on_sqlite_file() {
    let (_dir, db) = temp_db();
    run_store_suite(stores(&db)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_suite_on_sqlite_in_memory() {
    let db = SqliteDb::open_in_memory().expect("open");
    run_store_suite(stores(&db)).await;
}

fn conversation_stores(db: &SqliteDb) -> ConversationUnderTest {
    let store = Arc::new(SqliteStore::new(db.clone(), Arc::new(SystemClock)));
    ConversationUnderTest {
        outbox: store.clone(),
        citizens: store.clone(),
        sessions: store.clone(),
        content: store.clone(),
        signals: store,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conversation_suite_on_sqlite_file() {
    let (_dir, db) = temp_db();
    run_conversation_suite(conversation_stores(&db)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conversation_suite_on_sqlite_in_memory() {
    let db = SqliteDb::open_in_memory().expect("open");
    run_conversation_suite(conversation_stores(&db)).await;
}

fn operator_ports(store: SqliteStore) -> OperatorUnderTest {
    let store = Arc::new(store);
    OperatorUnderTest {
        users: store.clone(),
        audit: store.clone(),
        signals: store.clone(),
        alerts: store.clone(),
        settings: store.clone(),
        complaints: store,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn operator_suite_on_sqlite_file() {
    let (_dir, db) = temp_db();
    run_operator_suite(operator_ports(SqliteStore::new(db, Arc::new(SystemClock)))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn operator_suite_on_sqlite_in_memory() {
    let db = SqliteDb::open_in_memory().expect("open");
    run_operator_suite(operator_ports(SqliteStore::new(db, Arc::new(SystemClock)))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn complaint_suite_on_sqlite_file() {
    let (_dir, db) = temp_db();
    run_complaint_suite(Arc::new(SqliteStore::new(db, Arc::new(SystemClock)))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn citizen_data_suite_on_sqlite_file() {
    let (_dir, db) = temp_db();
    super::citizen_data::run_citizen_data_suite(super::citizen_data::CitizenDataUnderTest::of(
        Arc::new(SqliteStore::new(db, Arc::new(SystemClock))),
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stats_suite_on_sqlite_file() {
    let (_dir, db) = temp_db();
    super::stats::run_stats_suite(Arc::new(SqliteStore::new(db, Arc::new(SystemClock)))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn message_log_suite_on_sqlite_file() {
    let (_dir, db) = temp_db();
    super::message_log::run_message_log_suite(Arc::new(SqliteStore::new(
        db,
        Arc::new(SystemClock),
    )))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn complaint_suite_on_sqlite_in_memory() {
    let db = SqliteDb::open_in_memory().expect("open");
    run_complaint_suite(Arc::new(SqliteStore::new(db, Arc::new(SystemClock)))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queue_suite_on_sqlite() {
    let (_dir, db) = temp_db();
    run_queue_suite(|max_receives| {
        let db = db.clone();
        async move {
            Arc::new(SqliteQueue::new(
                db,
                &unique("inbound"),
                max_receives,
                Arc::new(SystemClock),
            )) as Arc<dyn Queue>
        }
    })
    .await;
}

#[tokio::test]
async fn a_panicking_call_is_an_error_and_the_connection_stays_usable() {
    let (_dir, db) = temp_db();
    // Free connection: the call runs on this task's worker; a panic must not unwind into it.
    let failed = db
        .call(|conn| -> Result<(), PortError> {
            conn.execute_batch(
                "CREATE TABLE half_done (x INTEGER); INSERT INTO half_done VALUES (1);",
            )
            .map_err(PortError::backend)?;
            panic!("a bug inside a store call")
        })
        .await;
    assert!(matches!(failed, Err(PortError::Backend(_))), "{failed:?}");
    // The half-done change did not survive, and the next call works.
    let tables: i64 = db
        .call(|conn| {
            conn.query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'half_done'",
                [],
                |row| row.get(0),
            )
            .map_err(PortError::backend)
        })
        .await
        .expect("the connection works after a panic");
    assert_eq!(tables, 0);
}

/// Calls made at the same time share a commit (`SqliteDb::call`): each still succeeds or
/// fails alone, and a call returns only once its change is in the file, as another
/// connection (another process) sees it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_committed_together_succeed_or_fail_alone_and_return_committed() {
    let (dir, db) = temp_db();
    let path = dir.path().join("prolink.db");
    db.call(|conn| {
        conn.execute_batch("CREATE TABLE grouped (id INTEGER PRIMARY KEY)")
            .map_err(PortError::backend)
    })
    .await
    .expect("table");
    let mut calls = tokio::task::JoinSet::new();
    for id in 0..200_i64 {
        let db = db.clone();
        let path = path.clone();
        calls.spawn(async move {
            let result = db
                .call(move |conn| {
                    conn.execute("INSERT INTO grouped (id) VALUES (?1)", [id])
                        .map_err(PortError::backend)?;
                    match id % 10 {
                        3 => Err(PortError::Invalid(format!("call {id} refused"))),
                        7 => panic!("call {id} panicked"),
                        _ => Ok(id),
                    }
                })
                .await;
            if result.is_ok() {
                let other = rusqlite::Connection::open(&path).expect("second connection");
                let seen: i64 = other
                    .query_row("SELECT count(*) FROM grouped WHERE id = ?1", [id], |row| {
                        row.get(0)
                    })
                    .expect("read");
                assert_eq!(seen, 1, "call {id} returned before its commit");
            }
            (id, result)
        });
    }
    let mut succeeded = 0;
    while let Some(joined) = calls.join_next().await {
        let (id, result) = joined.expect("task");
        match id % 10 {
            3 => assert!(
                matches!(result, Err(PortError::Invalid(_))),
                "{id}: {result:?}"
            ),
            7 => assert!(
                matches!(result, Err(PortError::Backend(_))),
                "{id}: {result:?}"
            ),
            _ => {
                assert_eq!(result.expect("succeeds"), id);
                succeeded += 1;
            }
        }
    }
    let (rows, failed_rows): (i64, i64) = db
        .call(|conn| {
            conn.query_row(
                "SELECT count(*), count(CASE WHEN id % 10 IN (3, 7) THEN 1 END) FROM grouped",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .map_err(PortError::backend)
        })
        .await
        .expect("count");
    assert_eq!(rows, succeeded, "every successful call's row, once");
    assert_eq!(failed_rows, 0, "a failed call leaves nothing behind");
}

/// Starts a call that holds the writer's connection (inside its transaction, after `work`)
/// until the returned sender is used; returns once the call is running.
async fn hold_the_writer(
    db: &SqliteDb,
    work: impl FnOnce(&mut rusqlite::Connection) -> Result<(), PortError> + Send + 'static,
) -> (
    tokio::task::JoinHandle<Result<(), PortError>>,
    std::sync::mpsc::Sender<()>,
) {
    let (inside_tx, inside_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let holder = {
        let db = db.clone();
        tokio::spawn(async move {
            db.call(move |conn| {
                work(conn)?;
                inside_tx.send(()).expect("signal");
                release_rx
                    .recv_timeout(Duration::from_secs(10))
                    .map_err(PortError::backend)
            })
            .await
        })
    };
    tokio::task::spawn_blocking(move || inside_rx.recv_timeout(Duration::from_secs(10)))
        .await
        .expect("join")
        .expect("the holding call started");
    (holder, release_tx)
}

/// `SqliteDb::read` (the webhook's erasure look-ups) does not wait for the writer: while a
/// call holds the writer's connection, a read still answers, and it sees what was committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_answers_while_the_writer_is_busy_and_sees_what_was_committed() {
    let (_dir, db) = temp_db();
    db.call(|conn| {
        conn.execute_batch(
            "CREATE TABLE seen (id INTEGER PRIMARY KEY); INSERT INTO seen VALUES (1);",
        )
        .map_err(PortError::backend)
    })
    .await
    .expect("table");
    // Holds the writer, with an uncommitted row, until the read is done.
    let (writer, release_tx) = hold_the_writer(&db, |conn| {
        conn.execute("INSERT INTO seen VALUES (2)", [])
            .map(|_| ())
            .map_err(PortError::backend)
    })
    .await;
    let read = tokio::time::timeout(
        Duration::from_secs(2),
        db.read(|conn| {
            conn.query_row("SELECT count(*) FROM seen", [], |row| row.get::<_, i64>(0))
                .map_err(PortError::backend)
        }),
    )
    .await
    .expect("the read waited for the writer");
    release_tx.send(()).expect("release");
    assert_eq!(read.expect("read"), 1, "only the committed row is seen");
    writer.await.expect("join").expect("the writer's call");
    let after = db
        .read(|conn| {
            conn.query_row("SELECT count(*) FROM seen", [], |row| row.get::<_, i64>(0))
                .map_err(PortError::backend)
        })
        .await
        .expect("read");
    assert_eq!(after, 2, "a committed call is seen by the next read");
}

/// `SqliteDb::call_first` (the webhook's queueing and raw log) is committed before the calls
/// that waited with it, so a request does not wait for a group of dialog steps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_first_runs_before_the_calls_that_waited_with_it() {
    let (_dir, db) = temp_db();
    let (holder, release_tx) = hold_the_writer(&db, |_conn| Ok(())).await;
    let order = Arc::new(std::sync::Mutex::new(Vec::<&'static str>::new()));
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..5 {
        let (db, order) = (db.clone(), order.clone());
        calls.spawn(async move {
            db.call(move |_conn| {
                order.lock().expect("order").push("pending");
                Ok(())
            })
            .await
        });
    }
    // The pending calls are queued before the urgent one.
    tokio::time::sleep(Duration::from_millis(200)).await;
    {
        let (db, order) = (db.clone(), order.clone());
        calls.spawn(async move {
            db.call_first(move |_conn| {
                order.lock().expect("order").push("first");
                Ok(())
            })
            .await
        });
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    release_tx.send(()).expect("release");
    holder.await.expect("join").expect("the holding call");
    while let Some(joined) = calls.join_next().await {
        joined.expect("join").expect("call");
    }
    let order = order.lock().expect("order").clone();
    assert_eq!(order.len(), 6);
    assert_eq!(order[0], "first", "{order:?}");
}

#[tokio::test]
async fn schema_is_created_once_and_versioned() {
    let (dir, db) = temp_db();
    assert_eq!(db.schema_version().await.expect("version"), SCHEMA_VERSION);
    let mode: String = db
        .call(|conn| {
            conn.query_row("PRAGMA journal_mode", [], |row| row.get(0))
                .map_err(PortError::backend)
        })
        .await
        .expect("journal_mode");
    assert_eq!(mode, "wal");
    // Many small commits: no fsync per commit (NORMAL = 1), and no checkpoint (a copy and two
    // fsyncs) inside whichever commit crosses a limit: a thread of the handle checkpoints.
    let (synchronous, checkpoint_pages): (i64, i64) = db
        .call(|conn| {
            let synchronous = conn.query_row("PRAGMA synchronous", [], |row| row.get(0));
            let pages = conn.query_row("PRAGMA wal_autocheckpoint", [], |row| row.get(0));
            Ok((
                synchronous.map_err(PortError::backend)?,
                pages.map_err(PortError::backend)?,
            ))
        })
        .await
        .expect("pragmas");
    assert_eq!((synchronous, checkpoint_pages), (1, 0));
    drop(db);

    let path = dir.path().join("prolink.db");
    let again = SqliteDb::open(&path).expect("reopening migrates nothing and fails nothing");
    assert_eq!(
        again.schema_version().await.expect("version"),
        SCHEMA_VERSION
    );
    drop(again);

    let conn = rusqlite::Connection::open(&path).expect("raw open");
    conn.pragma_update(None, "user_version", 99)
        .expect("user_version");
    drop(conn);
    match SqliteDb::open(&path) {
        Err(PortError::Backend(reason)) => assert!(reason.contains("newer"), "{reason}"),
        other => panic!("a newer schema must be refused, got {other:?}"),
    }
}

fn open_queue(path: &Path, name: &str, clock: Arc<ManualClock>) -> SqliteQueue {
    SqliteQueue::new(SqliteDb::open(path).expect("open"), name, 3, clock)
}

#[tokio::test]
async fn queue_survives_reopening_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("prolink.db");
    let clock = ManualClock::at(START_MS);
    {
        let queue = open_queue(&path, "inbound", clock.clone());
        queue
            .send_batch(&[message("a", "a1"), message("a", "a2"), message("b", "b1")])
            .await
            .expect("send");
        let got = queue.receive(1, LONG).await.expect("receive");
        assert_eq!(got[0].body, "a1");
        // Dropped with a1 in flight, as if the process had died mid-handling.
    }

    let queue = open_queue(&path, "inbound", clock.clone());
    assert_eq!(queue.depth().await.expect("depth"), 3);
    let got = queue.receive(10, LONG).await.expect("receive");
    let bodies: Vec<_> = got.iter().map(|d| d.body.as_str()).collect();
    assert_eq!(
        bodies,
        ["b1"],
        "group a is still in flight after the reopen"
    );

    clock.advance(LONG);
    let got = queue.receive(10, LONG).await.expect("receive");
    let redelivered: Vec<_> = got
        .iter()
        .map(|d| (d.body.as_str(), d.receive_count))
        .collect();
    assert_eq!(
        redelivered,
        [("a1", 2), ("a2", 1), ("b1", 2)],
        "timed-out messages come back in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_producers_keep_group_order() {
    const PRODUCERS: usize = 8;
    const GROUPS: usize = 4;
    const PER_PRODUCER: usize = 25;
    let (_dir, db) = temp_db();
    let queue = Arc::new(SqliteQueue::new(db, "inbound", 5, Arc::new(SystemClock)));

    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let queue = Arc::clone(&queue);
            tokio::spawn(async move {
                let group = format!("g{}", p % GROUPS);
                let mut i = 0;
                while i < PER_PRODUCER {
                    // Mix single sends and small batches.
                    let n = if i % 3 == 0 {
                        3.min(PER_PRODUCER - i)
                    } else {
                        1
                    };
                    let batch: Vec<_> = (i..i + n)
                        .map(|k| message(&group, &format!("{p}:{k}")))
                        .collect();
                    queue.send_batch(&batch).await.expect("send");
                    i += n;
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();

    let consumer = {
        let queue = Arc::clone(&queue);
        tokio::spawn(async move {
            let mut next: HashMap<usize, usize> = HashMap::new();
            let mut received = 0;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
            while received < PRODUCERS * PER_PRODUCER {
                assert!(tokio::time::Instant::now() < deadline, "consumer stalled");
                let got = queue.receive(10, LONG).await.expect("receive");
                if got.is_empty() {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                for delivery in got {
                    let (p, k) = delivery
                        .body
                        .split_once(':')
                        .and_then(|(p, k)| {
                            Some((p.parse::<usize>().ok()?, k.parse::<usize>().ok()?))
                        })
                        .expect("body");
                    assert_eq!(delivery.group_id, format!("g{}", p % GROUPS));
                    let expected = next.entry(p).or_insert(0);
                    assert_eq!(k, *expected, "producer {p}: out of order or duplicated");
                    *expected += 1;
                    queue.delete(&delivery.receipt).await.expect("delete");
                    received += 1;
                }
            }
        })
    };
    for producer in producers {
        producer.await.expect("producer");
    }
    consumer.await.expect("consumer");
    assert_eq!(queue.depth().await.expect("depth"), 0);
}

#[tokio::test]
async fn stale_receipt_never_deletes_a_redelivered_message() {
    let clock = ManualClock::at(START_MS);
    let db = SqliteDb::open_in_memory().expect("open");
    let queue = SqliteQueue::new(db, "inbound", 5, clock.clone());
    queue.send_batch(&[message("a", "a1")]).await.expect("send");
    let first = queue.receive(1, LONG).await.expect("receive").remove(0);
    clock.advance(LONG);
    let second = queue.receive(1, LONG).await.expect("receive").remove(0);
    assert_eq!(second.receive_count, 2);

    assert!(matches!(
        queue.delete(&first.receipt).await,
        Err(PortError::Invalid(_))
    ));
    assert!(matches!(
        queue
            .change_visibility(&first.receipt, Duration::ZERO)
            .await,
        Err(PortError::Invalid(_))
    ));
    assert_eq!(queue.depth().await.expect("depth"), 1, "still there");

    queue.delete(&second.receipt).await.expect("delete");
    queue
        .delete(&second.receipt)
        .await
        .expect("deleting again is harmless");
    assert_eq!(queue.depth().await.expect("depth"), 0);
    assert!(matches!(
        queue
            .change_visibility(&second.receipt, Duration::ZERO)
            .await,
        Err(PortError::NotFound(_))
    ));
    assert!(matches!(
        queue.delete("not-a-receipt").await,
        Err(PortError::Invalid(_))
    ));
}

#[tokio::test]
async fn change_visibility_after_the_timeout_is_refused() {
    let clock = ManualClock::at(START_MS);
    let db = SqliteDb::open_in_memory().expect("open");
    let queue = SqliteQueue::new(db, "inbound", 5, clock.clone());
    queue.send_batch(&[message("a", "a1")]).await.expect("send");
    let delivery = queue
        .receive(1, Duration::from_secs(10))
        .await
        .expect("receive")
        .remove(0);
    clock.advance(Duration::from_secs(4));
    queue
        .change_visibility(&delivery.receipt, Duration::from_secs(10))
        .await
        .expect("extend while in flight");
    clock.advance(Duration::from_secs(9));
    assert!(
        queue.receive(1, LONG).await.expect("receive").is_empty(),
        "extended from the time of the call: 4 s + 10 s"
    );
    clock.advance(Duration::from_secs(1));
    assert!(matches!(
        queue
            .change_visibility(&delivery.receipt, Duration::from_secs(10))
            .await,
        Err(PortError::Invalid(_))
    ));
    queue
        .delete(&delivery.receipt)
        .await
        .expect("the latest receipt still deletes after the timeout");
    assert_eq!(queue.depth().await.expect("depth"), 0);
}

#[tokio::test]
async fn dedup_window_is_five_minutes_from_the_first_send() {
    let clock = ManualClock::at(START_MS);
    let db = SqliteDb::open_in_memory().expect("open");
    let queue = SqliteQueue::new(db, "inbound", 5, clock.clone());
    let send = |body: &str| OutgoingMessage {
        group_id: "a".into(),
        dedup_id: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYIDNBMjE2".into(),
        body: body.to_owned(),
    };
    queue.send_batch(&[send("one")]).await.expect("send");
    let got = queue.receive(10, LONG).await.expect("receive");
    queue.delete(&got[0].receipt).await.expect("delete");

    clock.advance(Duration::from_secs(4 * 60));
    queue.send_batch(&[send("two")]).await.expect("send");
    assert!(
        queue.receive(10, LONG).await.expect("receive").is_empty(),
        "deduplicated even after the first copy was deleted"
    );

    clock.advance(Duration::from_secs(60));
    queue.send_batch(&[send("three")]).await.expect("send");
    let got = queue.receive(10, LONG).await.expect("receive");
    assert_eq!(
        got.iter().map(|d| d.body.as_str()).collect::<Vec<_>>(),
        ["three"],
        "the window starts at the first send; a duplicate does not extend it"
    );
}

#[tokio::test]
async fn invalid_batch_is_rejected_whole() {
    let db = SqliteDb::open_in_memory().expect("open");
    let queue = SqliteQueue::new(db, "inbound", 5, Arc::new(SystemClock));
    let valid = message("a", "ok");
    let bad_batches = [
        message("has space", "x"),
        message("", "x"),
        message(&"g".repeat(129), "x"),
        OutgoingMessage {
            dedup_id: "ü".into(),
            ..message("a", "x")
        },
        message("a", ""),
        message("a", "bell \u{7}"),
        message("a", &"x".repeat(256 * 1024 + 1)),
    ];
    for bad in bad_batches {
        let result = queue.send_batch(&[valid.clone(), bad.clone()]).await;
        assert!(
            matches!(result, Err(PortError::Invalid(_))),
            "{:?}: {result:?}",
            &bad.group_id
        );
    }
    assert_eq!(queue.depth().await.expect("depth"), 0, "nothing enqueued");
    assert!(matches!(
        queue.receive(1, Duration::from_secs(13 * 60 * 60)).await,
        Err(PortError::Invalid(_))
    ));
    queue
        .send_batch(&[message(&"g".repeat(128), "x")])
        .await
        .expect("128 characters are allowed");
}

#[tokio::test]
async fn queues_in_one_file_are_independent() {
    let (_dir, db) = temp_db();
    let clock = ManualClock::at(START_MS);
    let inbound = SqliteQueue::new(db.clone(), "inbound", 1, clock.clone());
    let tasks = SqliteQueue::new(db, "tasks", 1, clock.clone());
    let same_dedup = OutgoingMessage {
        group_id: "a".into(),
        dedup_id: "d1".into(),
        body: "x".into(),
    };
    inbound
        .send_batch(std::slice::from_ref(&same_dedup))
        .await
        .expect("send");
    tasks
        .send_batch(std::slice::from_ref(&same_dedup))
        .await
        .expect("a dedup id is per queue");
    assert_eq!(inbound.depth().await.expect("depth"), 1);
    assert_eq!(tasks.depth().await.expect("depth"), 1);

    // max_receives = 1: the second receive moves it to inbound's dead letters only.
    let got = inbound.receive(1, LONG).await.expect("receive");
    assert_eq!(got.len(), 1);
    clock.advance(LONG);
    assert!(inbound.receive(1, LONG).await.expect("receive").is_empty());
    let dead = inbound.dead_letters(10).await.expect("dead letters");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].receive_count, 1);
    assert_eq!(dead[0].dedup_id, "d1");
    assert!(tasks
        .dead_letters(10)
        .await
        .expect("dead letters")
        .is_empty());
    assert_eq!(inbound.depth().await.expect("depth"), 0);
    assert_eq!(tasks.receive(10, LONG).await.expect("receive").len(), 1);
}

#[tokio::test]
async fn purge_expired_keeps_live_rows() {
    let clock = ManualClock::at(START_MS);
    let db = SqliteDb::open_in_memory().expect("open");
    let store = SqliteStore::new(db, clock.clone());
    let soon = START_MS + 10;
    let later = START_MS + 60_000;
    store.mark("old", soon).await.expect("mark");
    store.mark("live", later).await.expect("mark");
    store
        .record(&RawInbound {
            id: "raw-1".into(),
            received_at_ms: START_MS,
            outcome: "queued".into(),
            body: "{}".into(),
            expires_at_ms: soon,
        })
        .await
        .expect("record");
    store
        .record_status(&StatusRecord {
            wamid: "wamid.1".into(),
            status: "sent".into(),
            timestamp: 1,
            recipient: None,
            outbox_id: None,
            error_code: None,
            expires_at_ms: soon,
        })
        .await
        .expect("record_status");

    assert_eq!(store.purge_expired().await.expect("purge"), 0);
    clock.advance(Duration::from_millis(10));
    assert_eq!(store.purge_expired().await.expect("purge"), 3);
    assert!(store.is_marked("live").await.expect("is_marked"));
    assert!(store
        .statuses_of("wamid.1")
        .await
        .expect("statuses")
        .is_empty());
}

#[tokio::test]
async fn empty_keys_are_invalid() {
    let db = SqliteDb::open_in_memory().expect("open");
    let store = SqliteStore::new(db, Arc::new(SystemClock));
    assert!(matches!(
        store.mark("", START_MS).await,
        Err(PortError::Invalid(_))
    ));
    assert!(matches!(
        store.is_marked("").await,
        Err(PortError::Invalid(_))
    ));
}

#[tokio::test]
async fn version_1_file_is_migrated_keeping_its_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("prolink.db");
    {
        let store = SqliteStore::new(SqliteDb::open(&path).expect("open"), Arc::new(SystemClock));
        store.mark("kept", i64::MAX).await.expect("mark");
    }
    // Turn the file back into a version 1 file: no conversation tables.
    let conn = rusqlite::Connection::open(&path).expect("raw open");
    conn.execute_batch(
        "DROP TABLE outbox; DROP TABLE citizen; DROP TABLE citizen_alias;
         DROP TABLE dialog_session; DROP TABLE content_bundle;
         DROP TABLE unanswered_question; DROP TABLE operator_alert; DROP TABLE complaints;
         PRAGMA user_version = 1;",
    )
    .expect("downgrade");
    drop(conn);

    let db = SqliteDb::open(&path).expect("migrate");
    assert_eq!(db.schema_version().await.expect("version"), SCHEMA_VERSION);
    let store = SqliteStore::new(db, Arc::new(SystemClock));
    assert!(
        store.is_marked("kept").await.expect("is_marked"),
        "v1 rows survive"
    );
    assert_eq!(
        store.load_content().await.expect("content table exists"),
        None
    );
}

#[tokio::test]
async fn version_4_file_is_migrated_with_open_alerts_and_listable_complaints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("prolink.db");
    // A version 4 file as that release wrote it: alerts without state or OPD, complaints
    // without the list indexes of version 5.
    {
        let conn = rusqlite::Connection::open(&path).expect("raw open");
        conn.execute_batch(
            "CREATE TABLE operator_alert (
                id TEXT PRIMARY KEY NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL,
                citizen_key TEXT, raised_ms INTEGER NOT NULL
             ) STRICT;
             CREATE TABLE complaints (
                ticket TEXT PRIMARY KEY NOT NULL, citizen_key TEXT NOT NULL,
                status TEXT NOT NULL, opd_id TEXT NOT NULL, received_ms INTEGER NOT NULL,
                next_due_ms INTEGER, version INTEGER NOT NULL, data TEXT NOT NULL
             ) STRICT;
             INSERT INTO operator_alert VALUES ('graph_token.1', 'graph_token', 'Token', NULL, 5);
             PRAGMA user_version = 4;",
        )
        .expect("version 4 file");
    }
    // Only migration 5 runs, against the old tables.
    let db = SqliteDb::open(&path).expect("migrate");
    assert_eq!(db.schema_version().await.expect("version"), SCHEMA_VERSION);
    let store = SqliteStore::new(db, Arc::new(SystemClock));
    let open = store
        .list_alerts(
            AlertState::Open,
            None,
            &PageRequest {
                limit: 10,
                after: None,
            },
        )
        .await
        .expect("list");
    assert_eq!(open.items.len(), 1, "an old alert is an open alert");
    assert_eq!(open.items[0].alert.opd_id, None);
    assert_eq!(open.items[0].state, AlertState::Open);
    let resolved = store
        .resolve_alert("graph_token.1", "admin.kominfo", 10)
        .await
        .expect("resolve")
        .expect("exists");
    assert_eq!(resolved.state, AlertState::Resolved);
    let listed = store
        .list_complaints(
            &ComplaintQuery::default(),
            &PageRequest {
                limit: 5,
                after: None,
            },
        )
        .await
        .expect("list over the new index");
    assert!(listed.items.is_empty());
}

#[tokio::test]
async fn content_replaced_by_another_process_is_seen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("prolink.db");
    let server = SqliteStore::new(SqliteDb::open(&path).expect("open"), Arc::new(SystemClock));
    let cli = SqliteStore::new(SqliteDb::open(&path).expect("open"), Arc::new(SystemClock));
    let seed = crate::support::seed();
    cli.replace_content(&seed).await.expect("import");
    assert_eq!(
        server.load_content().await.expect("load"),
        Some(seed.clone())
    );

    let mut edited = seed.clone();
    edited.topics.pop();
    cli.replace_content(&edited).await.expect("import again");
    assert_eq!(
        server.load_content().await.expect("load"),
        Some(edited),
        "the server's cached copy is dropped when the row version changes"
    );
}

#[tokio::test]
async fn purge_expired_covers_the_conversation_tables() {
    let clock = ManualClock::at(START_MS);
    let store = SqliteStore::new(SqliteDb::open_in_memory().expect("open"), clock.clone());
    let soon = START_MS + 10;
    store
        .save_session(&StoredSession {
            key: "ID.1".into(),
            data: "{}".into(),
            version: 0,
            expires_at_ms: soon,
        })
        .await
        .expect("session");
    store
        .create_outbox(&OutboxRecord {
            outbox_id: "out-1".into(),
            citizen_key: "ID.1".into(),
            body: serde_json::json!({"to": "62812"}),
            state: OutboxState::Pending,
            wamid: None,
            attempts: 0,
            last_error_code: None,
            last_error: None,
            created_ms: START_MS,
            updated_ms: START_MS,
            expires_at_ms: soon,
        })
        .await
        .expect("outbox");
    store
        .record_unanswered(&UnansweredQuestion {
            id: "q-1".into(),
            citizen_key: "ID.1".into(),
            text: "?".into(),
            candidates: Vec::new(),
            asked_ms: START_MS,
            expires_at_ms: soon,
        })
        .await
        .expect("question");
    store
        .raise_alert(&OperatorAlert {
            id: "a-1".into(),
            kind: "handoff".into(),
            message: "Warga menunggu operator.".into(),
            citizen_key: None,
            raised_ms: START_MS,
            opd_id: None,
        })
        .await
        .expect("alert");

    assert_eq!(store.purge_expired().await.expect("purge"), 0);
    clock.advance(Duration::from_millis(10));
    assert_eq!(store.purge_expired().await.expect("purge"), 3);
    assert_eq!(
        store.recent_alerts(10).await.expect("alerts").len(),
        1,
        "alerts do not expire"
    );
}

#[tokio::test]
async fn purge_expired_never_deletes_complaints() {
    use prolink_app::ports::ComplaintStore;
    use prolink_domain::complaint::{submit, ticket_for, Privacy, Rules, Sla, Submission};

    let clock = ManualClock::at(START_MS);
    let store = SqliteStore::new(SqliteDb::open_in_memory().expect("open"), clock.clone());
    let holidays = crate::support::seed().holidays;
    let complaint = submit(
        Submission {
            ticket: ticket_for("wamid.purge", 0),
            citizen_key: "ID.1".into(),
            reporter_name: None,
            category_id: "jalan_rusak".into(),
            opd_id: "dpupr".into(),
            description: "Jalan berlubang.".into(),
            location: None,
            photos: Vec::new(),
            privacy: Privacy::Biasa,
            source_wamid: "wamid.purge".into(),
            at_ms: START_MS,
        },
        &Rules {
            sla: Sla {
                response_days: 3,
                resolution_days: 10,
            },
            holidays: &holidays,
        },
    );
    assert_eq!(
        store.create_complaint(&complaint).await.expect("create"),
        None
    );
    // Ten years on, past any retention: complaints have no expiry.
    clock.advance(Duration::from_secs(10 * 366 * 24 * 3600));
    assert_eq!(store.purge_expired().await.expect("purge"), 0);
    assert_eq!(
        store
            .get_complaint(&complaint.ticket)
            .await
            .expect("get")
            .map(|c| c.version),
        Some(1)
    );
}

#[tokio::test]
async fn content_revisions_suite_on_sqlite() {
    let (_dir, db) = temp_db();
    super::content_revisions::run_content_revisions_suite(Arc::new(SqliteStore::new(
        db,
        Arc::new(SystemClock),
    )))
    .await;
}

#[tokio::test]
async fn version_8_file_is_migrated_with_closing_times() {
    use prolink_app::ports::RetentionStore;
    use prolink_domain::complaint::Status;

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("prolink.db");
    let (closed, open) = {
        let store = SqliteStore::new(SqliteDb::open(&path).expect("open"), Arc::new(SystemClock));
        let new = super::complaint::complaint("62811", "dpupr", 1_000);
        store.create_complaint(&new).await.expect("create");
        let rejected = super::complaint::changed(&new, Status::Ditolak, 5_000);
        let rejected = prolink_domain::complaint::Complaint {
            version: 1,
            ..rejected
        };
        store.update_complaint(&rejected).await.expect("close");
        let other = super::complaint::complaint("62812", "dpupr", 2_000);
        store.create_complaint(&other).await.expect("create");
        (rejected.ticket, other.ticket)
    };
    // Back to a version 8 file as that release wrote it: no closing times. Migration 9 (the
    // data-rights work's, empty here) and 10 run in order.
    let conn = rusqlite::Connection::open(&path).expect("raw open");
    conn.execute_batch(
        "DROP INDEX complaints_by_closed;
         ALTER TABLE complaints DROP COLUMN closed_ms;
         PRAGMA user_version = 8;",
    )
    .expect("downgrade");
    drop(conn);

    let db = SqliteDb::open(&path).expect("migrate");
    assert_eq!(db.schema_version().await.expect("version"), SCHEMA_VERSION);
    let store = SqliteStore::new(db, Arc::new(SystemClock));
    let due = store
        .complaints_closed_before(5_001, 10)
        .await
        .expect("closed");
    assert_eq!(
        due.iter().map(|c| c.ticket.as_str()).collect::<Vec<_>>(),
        [closed.as_str()],
        "closed at its rejection (5000), the open one not at all"
    );
    assert!(store
        .complaints_closed_before(5_000, 10)
        .await
        .expect("closed")
        .is_empty());
    assert!(due.iter().all(|c| c.ticket != open));
}

#[tokio::test]
async fn broadcast_suite_on_sqlite() {
    let (_dir, db) = temp_db();
    super::broadcast::run_broadcast_suite(Arc::new(SqliteStore::new(db, Arc::new(SystemClock))))
        .await;
}

/// Issue #20: a killed `prolink serve` leaves its deliveries leased for the visibility
/// timeout; the next start gives back the ones nobody answered, uncounted, and keeps the
/// waits that were decided (a failure's backoff).
#[tokio::test]
async fn leases_of_a_dead_process_are_released_at_start_without_counting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("prolink.db");
    let clock = ManualClock::at(START_MS);
    {
        let queue = open_queue(&path, "inbound", clock.clone());
        queue
            .send_batch(&[
                message("a", "a1"),
                message("a", "a2"),
                message("b", "b1"),
                message("c", "c1"),
            ])
            .await
            .expect("send");
        let got = queue.receive(10, LONG).await.expect("receive");
        let bodies: Vec<_> = got.iter().map(|d| d.body.as_str()).collect();
        assert_eq!(bodies, ["a1", "a2", "b1", "c1"]);
        // b1 failed and waits its backoff; c1 was done; a1 and a2 are mid-handling when the
        // process dies.
        queue
            .change_visibility(&got[2].receipt, Duration::from_secs(10))
            .await
            .expect("backoff");
        queue.delete(&got[3].receipt).await.expect("delete");
    }

    clock.advance(Duration::from_secs(1));
    let queue = open_queue(&path, "inbound", clock.clone());
    assert_eq!(queue.release_leases_at_start().await.expect("release"), 2);
    let got = queue.receive(10, LONG).await.expect("receive");
    let delivered: Vec<_> = got
        .iter()
        .map(|d| (d.body.as_str(), d.receive_count))
        .collect();
    assert_eq!(
        delivered,
        [("a1", 1), ("a2", 1)],
        "a1 and a2 are back at once and its dead delivery is not counted; b1 keeps its backoff"
    );
    assert_eq!(
        queue.release_leases_at_start().await.expect("release"),
        2,
        "a lease of this process would be released too: only call it at start"
    );

    clock.advance(Duration::from_secs(10));
    let got = queue.receive(10, LONG).await.expect("receive");
    let delivered: Vec<_> = got
        .iter()
        .map(|d| (d.body.as_str(), d.receive_count))
        .collect();
    assert_eq!(
        delivered,
        [("a1", 1), ("a2", 1), ("b1", 2)],
        "b1 counted its real attempt"
    );
}

/// A wait decided to end exactly where the lease ended is still a decision, not a lease.
#[tokio::test]
async fn a_wait_equal_to_the_lease_is_not_released_at_start() {
    let clock = ManualClock::at(START_MS);
    let db = SqliteDb::open_in_memory().expect("open");
    let queue = SqliteQueue::new(db, "tasks", 5, clock.clone());
    queue.send_batch(&[message("a", "a1")]).await.expect("send");
    let got = queue.receive(1, LONG).await.expect("receive");
    queue
        .change_visibility(&got[0].receipt, LONG)
        .await
        .expect("defer");
    assert_eq!(queue.release_leases_at_start().await.expect("release"), 0);
    assert!(queue.receive(1, LONG).await.expect("receive").is_empty());
    // The receipt still works after the bump.
    queue.delete(&got[0].receipt).await.expect("delete");
    assert_eq!(queue.depth().await.expect("depth"), 0);
}

#[test]
fn one_serve_per_data_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = prolink_embedded::serve::lock_data_dir(dir.path()).expect("first lock");
    let second = prolink_embedded::serve::lock_data_dir(dir.path());
    let error = second.expect_err("a second serve on the same folder is refused");
    assert!(error.to_string().contains("sedang dipakai"), "{error}");
    drop(first);
    prolink_embedded::serve::lock_data_dir(dir.path()).expect("free again once the first is gone");
}

#[tokio::test]
async fn lapor_suite_on_sqlite() {
    let (_dir, db) = temp_db();
    super::lapor::run_lapor_suite(Arc::new(SqliteStore::new(db, Arc::new(SystemClock)))).await;
}
