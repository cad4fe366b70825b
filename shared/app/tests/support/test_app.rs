//! [`TestApp`]: the one way the integration tests wire the local app and its workers. The
//! temp dir, the SQLite store and queues, the workers' clock, the messenger, the content
//! source and the fast send policy are chosen here once, so a test names only what it
//! changes (`TestApp::builder().clock(clock).build()`) and every worker it asks for
//! (`dialog_worker()`, `complaint_worker(..)`, `scheduler(..)`) is wired the same way.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use axum::{
    body::Body,
    http::{Request, StatusCode},
    Router,
};
use serde_json::Value;
use tower::ServiceExt;

use prolink_app::api::{
    self,
    auth::{AuthError, Authenticator, Principal},
    ApiState, ClientIp,
};

use prolink_app::complaint_worker::{
    ComplaintWorker, ComplaintWorkerSettings, ComplaintWorkerStores,
};
use prolink_app::config;
use prolink_app::content_cache::ContentSource;
use prolink_app::conversations::Conversations;
use prolink_app::notifier::{Notifier, OperatorDirectory};
use prolink_app::operator_contacts::OperatorContacts;
use prolink_app::ports::{
    Clock, ComplaintStore, Messenger, OutboxReader, PortError, PortResult, Queue, Role,
    SettingsStore, StatsCounters, StoredSetting, SystemClock,
};
use prolink_app::scheduler::{HandoffWatcher, Scheduler, SchedulerSettings};
use prolink_app::sender::{ReliableSender, TokioSleeper};
use prolink_app::worker::{BatchItem, DialogWorker, WorkerSettings, WorkerStores};
use prolink_domain::complaint::Complaint;
use prolink_embedded::blob_local::LocalBlobStore;
use prolink_embedded::serve::{build, LocalApp, LocalOptions};
use prolink_embedded::sqlite::{SimulatorOutbox, SqliteDb, SqliteQueue, SqliteStore};
use prolink_whatsapp::signature::signature_header_value;

use super::ManualClock;

/// Worker settings for tests: the production rules with millisecond backoffs (no real
/// backoff sleeps in tests).
pub fn fast_settings() -> WorkerSettings {
    let mut settings = WorkerSettings::new(30, true);
    settings.send_policy.base_backoff = Duration::from_millis(1);
    settings.send_policy.reconcile_wait = Duration::from_millis(20);
    settings.send_policy.reconcile_poll = Duration::from_millis(5);
    settings
}

/// Wraps the simulator outbox (or the tasks queue) in a test double that still delivers to it.
type Wrap<T> = Box<dyn FnOnce(Arc<T>) -> Arc<T>>;

/// What a test changes about the wiring; everything else is the default below.
pub struct TestAppBuilder {
    clock: Arc<dyn Clock>,
    messenger: Option<Wrap<dyn Messenger>>,
    tasks: Option<Wrap<dyn Queue>>,
    settings: WorkerSettings,
}

impl TestAppBuilder {
    /// The workers' clock (default: the system clock). The app itself (store, queues,
    /// webhook) keeps real time, as `prolink serve` does: only the workers are moved.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// What the dialog worker and the scheduler send through, given the simulator outbox on
    /// the workers' clock (default: that outbox itself).
    pub fn messenger(
        mut self,
        wrap: impl FnOnce(Arc<dyn Messenger>) -> Arc<dyn Messenger> + 'static,
    ) -> Self {
        self.messenger = Some(Box::new(wrap));
        self
    }

    /// Where the scheduler queues complaint tasks, given the app's tasks queue (default: that
    /// queue itself).
    pub fn tasks(mut self, wrap: impl FnOnce(Arc<dyn Queue>) -> Arc<dyn Queue> + 'static) -> Self {
        self.tasks = Some(Box::new(wrap));
        self
    }

    /// The dialog worker's settings (default: [`fast_settings`]).
    pub fn settings(mut self, settings: WorkerSettings) -> Self {
        self.settings = settings;
        self
    }

    /// The local app as `prolink serve` builds it, in a temp dir of its own.
    pub fn build(self) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let options = LocalOptions {
            addr: "127.0.0.1:0".parse().expect("addr"),
            data_dir: dir.path().join("data"),
        };
        let app = build(&options, Arc::new(SystemClock)).expect("local app builds");
        let outbox: Arc<dyn Messenger> =
            Arc::new(SimulatorOutbox::new(app.db.clone(), self.clock.clone()));
        let messenger = match self.messenger {
            Some(wrap) => wrap(outbox),
            None => outbox,
        };
        let tasks: Arc<dyn Queue> = app.tasks.clone();
        let tasks = match self.tasks {
            Some(wrap) => wrap(tasks),
            None => tasks,
        };
        // Zero refresh: every scheduler tick reads the content as it is stored now.
        let content = Arc::new(ContentSource::new(app.store.clone(), Duration::ZERO));
        TestApp {
            worker: Arc::new(dialog_worker(
                &app,
                messenger.clone(),
                self.clock.clone(),
                self.settings.clone(),
            )),
            app,
            clock: self.clock,
            messenger,
            tasks,
            content,
            settings: self.settings,
            dir,
        }
    }

    /// The same SQLite store on an in-memory database, for the dialog tests that drive the
    /// pure dialog turn by turn (no temp dir, no server, no worker).
    pub fn in_memory_store(self) -> SqliteStore {
        let db = SqliteDb::open_in_memory().expect("an in-memory database");
        SqliteStore::new(db, self.clock)
    }
}

/// The one place a dialog worker is put together: the app's stores, the given line out.
fn dialog_worker(
    app: &LocalApp,
    messenger: Arc<dyn Messenger>,
    clock: Arc<dyn Clock>,
    settings: WorkerSettings,
) -> DialogWorker {
    DialogWorker::new(
        WorkerStores::from_store(app.store.clone()),
        messenger,
        clock,
        settings,
    )
}

/// The local app in a temp dir and the workers around it.
pub struct TestApp {
    pub app: LocalApp,
    /// The app's dialog worker: [`TestApp::dialog_worker`], shared by [`TestApp::drain`].
    pub worker: Arc<DialogWorker>,
    /// The workers' clock.
    pub clock: Arc<dyn Clock>,
    messenger: Arc<dyn Messenger>,
    tasks: Arc<dyn Queue>,
    content: Arc<ContentSource>,
    settings: WorkerSettings,
    dir: tempfile::TempDir,
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            clock: Arc::new(SystemClock),
            messenger: None,
            tasks: None,
            settings: fast_settings(),
        }
    }

    /// Every default: the system clock, the simulator outbox, fast retries.
    pub fn new() -> TestApp {
        TestApp::builder().build()
    }

    /// The temp dir the app's data folder is in.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// A dialog worker on the app's stores, messenger and clock.
    pub fn dialog_worker(&self) -> DialogWorker {
        self.dialog_worker_sending_through(self.messenger.clone())
    }

    /// The same, sending through `messenger` instead (a failing phone line).
    pub fn dialog_worker_sending_through(&self, messenger: Arc<dyn Messenger>) -> DialogWorker {
        dialog_worker(
            &self.app,
            messenger,
            self.clock.clone(),
            self.settings.clone(),
        )
    }

    /// A sender with the fast policy through `messenger`, on the app's outbox records.
    fn reliable_sender(
        &self,
        messenger: Arc<dyn Messenger>,
        clock: Arc<dyn Clock>,
    ) -> ReliableSender {
        self.sender_counting(messenger, clock, self.app.store.clone())
    }

    /// [`TestApp::reliable_sender`] counting its messages out in `counters` (the store the
    /// statistics are read from).
    fn sender_counting(
        &self,
        messenger: Arc<dyn Messenger>,
        clock: Arc<dyn Clock>,
        counters: Arc<dyn StatsCounters>,
    ) -> ReliableSender {
        ReliableSender::new(
            messenger,
            self.app.store.clone(),
            self.app.store.clone(),
            clock,
            Arc::new(TokioSleeper),
            self.settings.send_policy.clone(),
        )
        .with_log(self.app.store.clone())
        .with_counters(counters)
        .with_erasures(self.app.store.clone())
    }

    /// The sender the operator API uses: the workers' messenger and clock, logging, and
    /// counting its messages out in `counters` (the API's statistics store).
    pub fn api_sender_counting(&self, counters: Arc<dyn StatsCounters>) -> Arc<ReliableSender> {
        Arc::new(self.sender_counting(self.messenger.clone(), self.clock.clone(), counters))
    }

    /// The scheduler's look at handoffs on the app's store and the workers' clock.
    pub fn handoff_watcher(&self, alert_after_ms: i64) -> HandoffWatcher {
        HandoffWatcher {
            conversations: Conversations::new(self.app.store.clone(), self.clock.clone()),
            alert_after_ms,
        }
    }

    /// A complaint worker with its own `clock` (tests fix the time of day per run) and
    /// `stores` (tests interpose on some), on the app's media source. It sends to the
    /// simulator outbox on that same clock, so a message is recorded at the worker's time.
    pub fn complaint_worker(
        &self,
        clock: Arc<dyn Clock>,
        stores: ComplaintWorkerStores,
    ) -> ComplaintWorker {
        let outbox = Arc::new(SimulatorOutbox::new(self.app.db.clone(), clock.clone()));
        let sender = self.sender_counting(outbox, clock.clone(), stores.stats.clone());
        ComplaintWorker {
            stores,
            operators: Default::default(),
            notifier: Notifier::new(Arc::new(sender)),
            media: self.app.media.clone(),
            blobs: Arc::new(LocalBlobStore::new(
                self.dir.path().join("worker-blobs"),
                b"complaint-worker-test-key".to_vec(),
                clock.clone(),
            )),
            clock,
            settings: ComplaintWorkerSettings {
                max_receives: config::TASKS_MAX_RECEIVES,
                retention_days: 30,
            },
            broadcasts: None,
        }
    }

    /// A complaint worker on the app's own stores whose clock stands still at `at_ms`.
    pub fn complaint_worker_at(&self, at_ms: i64) -> ComplaintWorker {
        self.complaint_worker(
            ManualClock::at(at_ms),
            ComplaintWorkerStores::from_store(self.app.store.clone()),
        )
    }

    /// A scheduler on the app's stores and content, the workers' clock and messenger, and the
    /// tasks queue, alerting `operators`.
    pub fn scheduler(
        &self,
        operators: OperatorDirectory,
        settings: SchedulerSettings,
    ) -> Scheduler {
        let sender = self.reliable_sender(self.messenger.clone(), self.clock.clone());
        Scheduler {
            complaints: self.app.store.clone(),
            signals: self.app.store.clone(),
            content: self.content.clone(),
            tasks: self.tasks.clone(),
            notifier: Some(Notifier::new(Arc::new(sender))),
            operators: Arc::new(operators.into()),
            clock: self.clock.clone(),
            settings,
            handoffs: None,
            retention: None,
            broadcasts: None,
            lapor: None,
        }
    }

    /// The stored complaint `ticket`; a test that asks for one expects it to exist.
    pub async fn complaint(&self, ticket: &str) -> Complaint {
        self.app
            .store
            .get_complaint(ticket)
            .await
            .expect("get")
            .unwrap_or_else(|| panic!("complaint {ticket} exists"))
    }

    pub fn secret(&self) -> String {
        self.app.secrets.secrets.app_secret.clone()
    }

    pub fn router(&self) -> Router {
        self.app.router.clone()
    }

    pub async fn post_raw(
        &self,
        body: Vec<u8>,
        signature: Option<String>,
        content_type: &str,
    ) -> StatusCode {
        let mut request = Request::post("/webhook").header("content-type", content_type);
        if let Some(signature) = signature {
            request = request.header("X-Hub-Signature-256", signature);
        }
        let response = self
            .router()
            .oneshot(request.body(Body::from(body)).expect("request"))
            .await
            .expect("router is infallible");
        response.status()
    }

    pub async fn post_signed(&self, body: &[u8]) -> StatusCode {
        let signature = signature_header_value(&self.secret(), body);
        self.post_raw(body.to_vec(), Some(signature), "application/json")
            .await
    }

    /// Runs `worker` over the inbound queue until it is empty (failures become visible again
    /// at once, as a short visibility timeout would make them).
    pub async fn drain_with(&self, worker: &DialogWorker) {
        let queue: &SqliteQueue = &self.app.queue;
        for _ in 0..10_000 {
            let deliveries = queue
                .receive(10, Duration::from_secs(30))
                .await
                .expect("receive");
            if deliveries.is_empty() {
                if queue.depth().await.expect("depth") == 0 {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
            let items: Vec<BatchItem> = deliveries.iter().map(BatchItem::from).collect();
            let outcome = worker.process_batch(&items).await;
            for delivery in &deliveries {
                if outcome.held_back.contains(&delivery.message_id) {
                    queue
                        .release_unattempted(&delivery.receipt)
                        .await
                        .expect("release unattempted");
                } else if outcome.failed.contains(&delivery.message_id) {
                    queue
                        .change_visibility(&delivery.receipt, Duration::ZERO)
                        .await
                        .expect("release");
                } else {
                    queue.delete(&delivery.receipt).await.expect("delete");
                }
            }
        }
        panic!("queue did not drain");
    }

    pub async fn drain(&self) {
        let worker = self.worker.clone();
        self.drain_with(&worker).await;
    }

    /// What reached `user`, oldest first, as recorded by the simulator outbox.
    pub async fn outbox_for(&self, user: &str) -> Vec<Value> {
        self.simulator_outbox()
            .messages_for(user)
            .await
            .expect("outbox")
            .into_iter()
            .map(|message| message.body)
            .collect()
    }

    pub async fn outbox_ids_for(&self, user: &str) -> Vec<String> {
        self.simulator_outbox()
            .messages_for(user)
            .await
            .expect("outbox")
            .into_iter()
            .map(|message| message.outbox_id)
            .collect()
    }

    /// The operator contacts as `prolink serve` reads them (the app's settings, `seed` while
    /// none is saved, no refresh interval), through a [`FlakySettings`] the test can break.
    pub fn operator_contacts(
        &self,
        seed: OperatorDirectory,
    ) -> (Arc<OperatorContacts>, Arc<FlakySettings>) {
        let settings = Arc::new(FlakySettings {
            inner: self.app.store.clone(),
            down: AtomicBool::new(false),
        });
        let contacts = OperatorContacts::new(settings.clone(), seed, Duration::ZERO);
        (Arc::new(contacts), settings)
    }

    /// `method path` with `body` on the operator API's router, signed in as an admin; the
    /// status and the JSON answer.
    pub async fn as_admin(
        &self,
        method: axum::http::Method,
        path: &str,
        body: &str,
    ) -> (StatusCode, Value) {
        let state = ApiState {
            auth: Arc::new(AnyAdmin),
            ..self.app.api.clone()
        };
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", "Bearer admin")
            .header("content-type", "application/json")
            .extension(ClientIp("203.0.113.9".into()))
            .body(Body::from(body.to_string()))
            .expect("request");
        let response = api::router(state)
            .oneshot(request)
            .await
            .expect("router is infallible");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1024 * 1024)
            .await
            .expect("body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// The simulator outbox on the workers' clock (a reader; the workers send through
    /// their messenger).
    pub fn simulator_outbox(&self) -> SimulatorOutbox {
        SimulatorOutbox::new(self.app.db.clone(), self.clock.clone())
    }
}

/// Every bearer token is the admin `admin` (the operator API's sign-in is tested elsewhere).
struct AnyAdmin;

#[async_trait]
impl Authenticator for AnyAdmin {
    async fn authenticate(&self, _token: &str) -> Result<Principal, AuthError> {
        Ok(Principal {
            username: "admin".into(),
            role: Role::Admin,
            opd_id: None,
        })
    }
}

/// The app's settings, failing every read while `down` (a table that cannot be reached).
pub struct FlakySettings {
    inner: Arc<dyn SettingsStore>,
    down: AtomicBool,
}

impl FlakySettings {
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }
}

#[async_trait]
impl SettingsStore for FlakySettings {
    async fn get_setting(&self, key: &str) -> PortResult<Option<StoredSetting>> {
        if self.down.load(Ordering::SeqCst) {
            return Err(PortError::Backend("settings unreachable (test)".into()));
        }
        self.inner.get_setting(key).await
    }
    async fn put_setting(&self, setting: &StoredSetting) -> PortResult<u64> {
        self.inner.put_setting(setting).await
    }
}
