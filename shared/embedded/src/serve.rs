//! The embedded local mode: webhook, dialog worker and simulator in one process on one SQLite
//! file. Same routers and worker as on AWS; only the adapters differ.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{Arc, OnceLock},
    time::Duration,
};

use anyhow::Context;
use async_trait::async_trait;
use axum::{routing::get, Router};
use rand::RngCore;
use sha2::{Digest, Sha256};
use tokio::sync::watch;
use tracing::{error, info, warn};

use prolink_app::api::{
    self,
    auth::{local_routes, LocalAuth, LocalUserDirectory},
    ApiConfig, ApiState, ClientIp,
};
use prolink_app::broadcast::{BroadcastConfig, Broadcaster};
use prolink_app::complaint_worker::{
    ComplaintWorker, ComplaintWorkerSettings, ComplaintWorkerStores, TaskItem, TaskOutcome,
};
use prolink_app::config::{self, env_opt};
use prolink_app::content_cache::{ContentSource, CONTENT_REFRESH};
use prolink_app::content_import::{self, DEFAULT_SEED_DIR};
use prolink_app::conversations::Conversations;
use prolink_app::graph::{http_client, GraphConfig, GraphMessenger};
use prolink_app::graph_media::GraphMediaSource;
use prolink_app::graph_templates::GraphTemplates;
use prolink_app::notifier::{Notifier, OperatorDirectory};
use prolink_app::operator_contacts::OperatorContacts;
use prolink_app::ports::{
    BlobEraser, Clock, ContentStore, FetchedMedia, MediaError, MediaSource, Messenger, Queue,
    SecretsProvider, StaticSecrets, SystemClock, TemplateDirectory, WhatsAppSecrets,
};
use prolink_app::retention::RetentionSweep;
use prolink_app::scheduler::{HandoffWatcher, Scheduler, SchedulerSettings};
use prolink_app::sender::{ReliableSender, SendPolicy, TokioSleeper};
use prolink_app::webhook_router::{self, WebhookState};
use prolink_app::worker::{BatchItem, BatchOutcome, DialogWorker, WorkerSettings, WorkerStores};

use crate::blob_local::LocalBlobStore;
use crate::simulator::{self, OffsetClock, SimulatorMessenger, SimulatorState};
use crate::sqlite::{SimulatorOutbox, SimulatorStore, SqliteDb, SqliteQueue, SqliteStore};

pub const INBOUND_QUEUE: &str = "inbound";
pub const TASKS_QUEUE: &str = "tasks";
/// Complaint photos, under the data folder.
pub const BLOBS_DIR: &str = "blobs";
/// Same redrive setting as the SQS queue in template.yaml.
pub const INBOUND_MAX_RECEIVES: u32 = 5;
pub const DB_FILE: &str = "prolink.sqlite";
pub const SECRETS_FILE: &str = "local-secrets.json";
pub const SIMULATOR_PHONE_NUMBER_ID: &str = "100000000000001";
/// Held (an exclusive advisory lock) by the one `prolink serve` of a data folder, so the
/// deliveries found in flight at start belong to a process that is gone.
pub const SERVE_LOCK_FILE: &str = "serve.lock";
const WORKER_VISIBILITY: Duration = Duration::from_secs(30);
const WORKER_BATCH: usize = 10;
/// Dialog consumers. Each handles its batch one message at a time, so this is how many dialog
/// steps are in flight: with more of them more store calls share each SQLite commit (group
/// commit, `SqliteDb::call`). 8 instead of 4: +5–10 % replies/s in the load test (unpaced,
/// six runs alternating); 16 was no better than 8 (docs/performance.md).
const WORKER_TASKS: usize = 8;
const IDLE_POLL: Duration = Duration::from_millis(20);
const TASK_VISIBILITY: Duration = Duration::from_secs(120);
const TASK_IDLE_POLL: Duration = Duration::from_millis(50);

#[derive(Debug, Clone)]
pub struct LocalOptions {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
}

/// Graph credentials, when both are configured, switch the local mode from the simulator to
/// the real Cloud API.
#[derive(Debug, Clone)]
struct GraphSettings {
    phone_number_id: String,
    api_version: String,
    base_url: String,
}

/// Graph settings when either Graph credential is set. One of them alone already means "this
/// is meant to talk to the real WhatsApp": the simulator (which accepts messages as if from
/// any citizen) stays off, and the missing one is reported; sends then fail as `Fatal` and
/// raise the operators' alert until it is set. The app secret and verify token do not count:
/// the simulator signs its webhooks with them.
fn graph_settings(secrets: &WhatsAppSecrets) -> Option<GraphSettings> {
    let phone_number_id = env_opt(config::WHATSAPP_PHONE_NUMBER_ID);
    let has_token = secrets.access_token.is_some();
    if phone_number_id.is_none() && !has_token {
        return None;
    }
    if phone_number_id.is_none() {
        tracing::warn!(
            "WHATSAPP_ACCESS_TOKEN is set but WHATSAPP_PHONE_NUMBER_ID is not: the simulator is \
             off and no reply can be sent until it is set"
        );
    } else if !has_token {
        tracing::warn!(
            "WHATSAPP_PHONE_NUMBER_ID is set but WHATSAPP_ACCESS_TOKEN is not: the simulator is \
             off and no reply can be sent until it is set"
        );
    }
    let phone_number_id = phone_number_id.unwrap_or_default();
    Some(GraphSettings {
        phone_number_id,
        api_version: env_opt(config::WHATSAPP_API_VERSION)
            .unwrap_or_else(|| config::DEFAULT_API_VERSION.to_string()),
        base_url: env_opt(config::WHATSAPP_GRAPH_URL)
            .unwrap_or_else(|| config::DEFAULT_GRAPH_URL.to_string()),
    })
}

/// What the start-up banner needs to tell the person who ran `prolink serve`.
#[derive(Debug)]
pub struct LocalSecrets {
    pub secrets: WhatsAppSecrets,
    /// True when the app secret / verify token were generated into the data folder (they are
    /// local test credentials and may be shown); false when they came from the environment.
    pub generated: bool,
}

/// Environment variables win; otherwise credentials generated on first run are kept in the
/// data folder (mode 0600) so the simulator and any tool signing test payloads agree.
pub fn load_or_create_secrets(data_dir: &Path) -> anyhow::Result<LocalSecrets> {
    let path = data_dir.join(SECRETS_FILE);
    let stored: Option<WhatsAppSecrets> = match std::fs::read(&path) {
        Ok(bytes) => Some(
            serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not valid JSON", path.display()))?,
        ),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    };
    let mut secrets = match stored {
        Some(secrets) => secrets,
        None => {
            let secrets = WhatsAppSecrets {
                app_secret: random_hex(32),
                app_secret_previous: None,
                verify_token: random_hex(16),
                access_token: None,
            };
            write_private(&path, &serde_json::to_vec_pretty(&secrets)?)?;
            secrets
        }
    };
    let mut from_env = false;
    if let Some(value) = env_opt(config::WHATSAPP_APP_SECRET) {
        secrets.app_secret = value;
        from_env = true;
    }
    if let Some(value) = env_opt(config::WHATSAPP_APP_SECRET_PREVIOUS) {
        secrets.app_secret_previous = Some(value);
    }
    if let Some(value) = env_opt(config::WHATSAPP_VERIFY_TOKEN) {
        secrets.verify_token = value;
        from_env = true;
    }
    if let Some(value) = env_opt(config::WHATSAPP_ACCESS_TOKEN) {
        secrets.access_token = Some(value);
    }
    Ok(LocalSecrets {
        secrets,
        generated: !from_env,
    })
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    hex::encode(buffer)
}

pub(crate) fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents)?;
    file.sync_all()?;
    Ok(())
}

/// Everything `prolink serve` runs, built but not yet listening (tests drive it in process).
pub struct LocalApp {
    pub router: Router,
    /// The operator API's adapters (tests call its routes in process).
    pub api: ApiState,
    pub worker: Arc<DialogWorker>,
    pub queue: Arc<SqliteQueue>,
    pub db: SqliteDb,
    /// Every store port of the local mode (one SQLite file), to hand out as each trait.
    pub store: Arc<SqliteStore>,
    pub secrets: LocalSecrets,
    pub simulator_enabled: bool,
    pub graph_enabled: bool,
    /// The one clock of the local mode (the clock given to [`build`] plus the simulator's
    /// time-travel offset): queue, stores, worker, webhook and simulator all read it.
    pub clock: Arc<OffsetClock>,
    /// The simulator, when mounted (loopback address, no Graph credentials).
    pub simulator: Option<Arc<SimulatorState>>,
    /// Complaint tasks (OPD alerts, photo copies, notifications) and their worker.
    pub tasks: Arc<SqliteQueue>,
    pub complaint_worker: Arc<ComplaintWorker>,
    /// Where photos are downloaded from: Meta's Graph API, or the simulator's copy of it once
    /// the server knows its own address.
    pub media: Arc<LateMediaSource>,
    /// SLA reminders, escalations, progress notes and closings (a tick a minute in `serve`).
    pub scheduler: Arc<Scheduler>,
    /// The content and its answering index, shared by the workers.
    pub content: Arc<ContentSource>,
}

/// A media source whose Graph address is only known after the server has bound its port
/// (the simulator serves Meta's media endpoints itself).
#[derive(Default)]
pub struct LateMediaSource {
    source: OnceLock<GraphMediaSource>,
}

impl LateMediaSource {
    pub fn set(&self, source: GraphMediaSource) {
        // Set once at start-up; a second call keeps the first address.
        let _ = self.source.set(source);
    }
}

#[async_trait]
impl MediaSource for LateMediaSource {
    async fn fetch(
        &self,
        media_id: &str,
        expected_sha256: Option<&str>,
    ) -> Result<FetchedMedia, MediaError> {
        match self.source.get() {
            Some(source) => source.fetch(media_id, expected_sha256).await,
            None => Err(MediaError::Transient(
                "media source not ready (server not listening yet)".to_string(),
            )),
        }
    }
}

/// Wires the local mode. `clock` is wrapped in an [`OffsetClock`] that every part uses, so the
/// simulator's time travel moves the time of the whole system at once.
pub fn build(options: &LocalOptions, clock: Arc<dyn Clock>) -> anyhow::Result<LocalApp> {
    let offset_clock = Arc::new(OffsetClock::new(clock));
    let clock: Arc<dyn Clock> = offset_clock.clone();
    crate::private_fs::create_private_dir_all(&options.data_dir)
        .with_context(|| format!("creating data folder {}", options.data_dir.display()))?;
    let local_secrets = load_or_create_secrets(&options.data_dir)?;
    let db = SqliteDb::open_serving(&options.data_dir.join(DB_FILE))
        .map_err(|error| anyhow::anyhow!("opening the local store: {error}"))?;
    let queue = Arc::new(SqliteQueue::new(
        db.clone(),
        INBOUND_QUEUE,
        INBOUND_MAX_RECEIVES,
        clock.clone(),
    ));
    let secrets: Arc<dyn SecretsProvider> = Arc::new(StaticSecrets(local_secrets.secrets.clone()));
    let secrets_for_media = secrets.clone();
    let secrets_for_templates = secrets.clone();
    let store = Arc::new(SqliteStore::new(db.clone(), clock.clone()));
    let retention_days = config::retention_days();

    let graph = graph_settings(&local_secrets.secrets);
    let outbox = Arc::new(SimulatorOutbox::new(db.clone(), clock.clone()));
    let simulator_store = SimulatorStore::new(db.clone());
    let messenger: Arc<dyn Messenger> = match &graph {
        Some(settings) => Arc::new(GraphMessenger::new(
            GraphConfig {
                base_url: settings.base_url.clone(),
                api_version: settings.api_version.clone(),
                phone_number_id: settings.phone_number_id.clone(),
            },
            secrets.clone(),
            http_client(),
        )),
        None => Arc::new(SimulatorMessenger {
            outbox,
            store: simulator_store.clone(),
            clock: clock.clone(),
        }),
    };

    let webhook_router = webhook_router::router(Arc::new(WebhookState {
        queue: queue.clone(),
        raw_log: store.clone(),
        secrets: secrets.clone(),
        clock: clock.clone(),
        retention_days,
        erasures: Some(store.clone()),
    }));
    let simulator_enabled = graph.is_none() && options.addr.ip().is_loopback();
    let mut router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(webhook_router.clone())
        .merge(crate::dashboard::router());
    let simulator = simulator_enabled.then(|| {
        Arc::new(SimulatorState::new(
            webhook_router,
            secrets,
            simulator_store,
            offset_clock.clone(),
            SIMULATOR_PHONE_NUMBER_ID.to_string(),
        ))
    });
    if let Some(state) = &simulator {
        router = router.merge(simulator::router(state.clone()));
    }

    let tasks = Arc::new(SqliteQueue::new(
        db.clone(),
        TASKS_QUEUE,
        config::TASKS_MAX_RECEIVES,
        clock.clone(),
    ));
    let media = Arc::new(LateMediaSource::default());
    if let Some(settings) = &graph {
        media.set(GraphMediaSource::new(
            settings.base_url.clone(),
            settings.api_version.clone(),
            secrets_for_media.clone(),
            http_client(),
        ));
    }
    let send_policy = SendPolicy {
        retention_days,
        ..SendPolicy::default()
    };
    // The dashboard's operator contacts, the variable only until an admin saves them. Read
    // from SQLite in-process whenever a message is due (no refresh interval), so a save on the
    // dashboard counts for the very next message.
    let seed = OperatorDirectory::parse(env_opt(config::PROLINK_OPERATOR_CONTACTS).as_deref())
        .map_err(|error| anyhow::anyhow!(error))?;
    let operators = Arc::new(OperatorContacts::new(store.clone(), seed, Duration::ZERO));
    // One content source (cache, seed fallback, answering index) for the three workers.
    let content = Arc::new(ContentSource::new(store.clone(), CONTENT_REFRESH));
    let blobs = Arc::new(LocalBlobStore::new(
        options.data_dir.join(BLOBS_DIR),
        blob_signing_key(&local_secrets.secrets.app_secret),
        clock.clone(),
    ));
    // The operator API and its sign-in: `prolink serve` is its own token issuer, verified by
    // the same code that verifies Cognito's tokens on AWS.
    let issuer = crate::issuer::load_or_create_issuer(&options.data_dir)?;
    let audit_retention_days = config::audit_retention_days();
    let local_auth = Arc::new(LocalAuth::new(
        Arc::new(issuer),
        store.clone(),
        store.clone(),
        clock.clone(),
        audit_retention_days,
    ));
    // One sender for the operator API and the complaint worker; it logs what it sends.
    let sender = Arc::new(
        ReliableSender::new(
            messenger.clone(),
            store.clone(),
            store.clone(),
            clock.clone(),
            Arc::new(TokioSleeper),
            send_policy,
        )
        .with_log(store.clone())
        .with_counters(store.clone())
        .with_erasures(store.clone()),
    );
    // SP4N-LAPOR!: posted on the tick when `PROLINK_LAPOR_BASE_URL` is set, else copied by
    // hand from the dashboard.
    let lapor_token = Arc::new(prolink_app::ports::StaticLaporToken(config::env_opt(
        prolink_app::lapor_http::LAPOR_TOKEN,
    )));
    let lapor_gateway =
        prolink_app::lapor_http::from_env(lapor_token).map_err(|error| anyhow::anyhow!(error))?;
    let lapor_link = prolink_app::lapor::LaporLink {
        store: store.clone(),
        automatic: lapor_gateway.is_some(),
        instansi: lapor_gateway.as_ref().map_or_else(
            || prolink_app::lapor::DEFAULT_INSTANSI.to_string(),
            |(_, settings)| settings.instansi.clone(),
        ),
    };
    let api_state = ApiState {
        auth: Arc::new(local_auth.authenticator()),
        complaints: store.clone(),
        tasks: tasks.clone(),
        content: content.clone(),
        content_revisions: store.clone(),
        signals: store.clone(),
        marks: store.clone(),
        broadcasts: store.clone(),
        citizens: store.clone(),
        users: Arc::new(LocalUserDirectory::new(store.clone())),
        audit: store.clone(),
        alerts: store.clone(),
        settings: store.clone(),
        stats: store.clone(),
        blobs: blobs.clone(),
        blob_eraser: blobs.clone(),
        citizen_data: store.clone(),
        clock: clock.clone(),
        config: ApiConfig {
            audit_retention_days,
            requests_per_minute: config::api_requests_per_minute(),
        },
        conversations: store.clone(),
        sessions: store.clone(),
        sender: sender.clone(),
        lapor: lapor_link,
    };
    let router = router
        .merge(api_router(api_state.clone(), local_auth))
        .merge(crate::blob_local::router(blobs.clone()));
    let complaint_worker = Arc::new(ComplaintWorker {
        stores: ComplaintWorkerStores {
            content: content.clone(),
            ..ComplaintWorkerStores::from_store(store.clone())
        },
        operators: operators.clone(),
        notifier: Notifier::new(sender.clone()),
        media: media.clone(),
        blobs: blobs.clone(),
        clock: clock.clone(),
        settings: ComplaintWorkerSettings {
            max_receives: config::TASKS_MAX_RECEIVES,
            retention_days,
        },
        // The scheduler hands broadcasts out as batch tasks; this worker sends them.
        broadcasts: Some(Broadcaster {
            store: store.clone(),
            sender: sender.clone(),
            settings: store.clone(),
            signals: store.clone(),
            counters: Some(store.clone()),
            clock: clock.clone(),
            sleeper: Arc::new(TokioSleeper),
            config: BroadcastConfig::from_env(),
            templates: None,
            tasks: Some(tasks.clone()),
        }),
    });
    // The same files the complaint worker writes the photos to.
    let photo_eraser: Arc<dyn BlobEraser> = blobs;
    let scheduler = Arc::new(Scheduler {
        complaints: store.clone(),
        signals: store.clone(),
        content: content.clone(),
        tasks: tasks.clone(),
        notifier: Some(complaint_worker.notifier.clone()),
        operators,
        clock: clock.clone(),
        settings: SchedulerSettings::default(),
        handoffs: Some(HandoffWatcher {
            conversations: Conversations::new(store.clone(), clock.clone()),
            alert_after_ms: config::handoff_alert_after_ms(),
        }),
        retention: Some(RetentionSweep {
            store: store.clone(),
            complaints: store.clone(),
            blobs: Some(photo_eraser),
            retention_days: config::complaint_retention_days(),
        }),
        broadcasts: Some(Broadcaster {
            store: store.clone(),
            sender: complaint_worker.notifier.sender().clone(),
            // Handed out to the complaint worker as batch tasks.
            tasks: Some(tasks.clone()),
            settings: store.clone(),
            signals: store.clone(),
            counters: Some(store.clone()),
            clock: clock.clone(),
            sleeper: Arc::new(TokioSleeper),
            config: BroadcastConfig::from_env(),
            // With real Graph credentials and a business account id, the template statuses
            // come from Meta as on AWS; the simulator has none and approves the catalog.
            templates: graph.as_ref().and_then(|settings| {
                let account = env_opt(config::WHATSAPP_BUSINESS_ACCOUNT_ID)?;
                GraphTemplates::new(
                    GraphConfig {
                        base_url: settings.base_url.clone(),
                        api_version: settings.api_version.clone(),
                        phone_number_id: settings.phone_number_id.clone(),
                    },
                    &account,
                    secrets_for_templates.clone(),
                    http_client(),
                )
                .map(|t| Arc::new(t) as Arc<dyn TemplateDirectory>)
            }),
        }),
        lapor: lapor_gateway.map(|(gateway, settings)| prolink_app::lapor::LaporSync {
            store: store.clone(),
            gateway: Arc::new(gateway),
            complaints: store.clone(),
            content: content.clone(),
            tasks: tasks.clone(),
            signals: store.clone(),
            clock: clock.clone(),
            settings,
        }),
    });
    let worker = Arc::new(
        DialogWorker::new(
            WorkerStores::from_store(store.clone()),
            messenger,
            clock,
            WorkerSettings::new(
                retention_days,
                config::flag(config::PROLINK_SHOW_UNVERIFIED, true),
            ),
        )
        .with_tasks(tasks.clone())
        .with_content(content.clone()),
    );
    Ok(LocalApp {
        router,
        api: api_state,
        worker,
        queue,
        db,
        store,
        secrets: local_secrets,
        simulator_enabled,
        graph_enabled: graph.is_some(),
        clock: offset_clock,
        simulator,
        tasks,
        complaint_worker,
        media,
        scheduler,
        content,
    })
}

/// The operator API with the local sign-in routes beside it. The socket's peer address becomes
/// the [`ClientIp`] of the audit trail; a client-sent `X-Forwarded-For` is never trusted.
pub fn api_router(state: ApiState, auth: Arc<LocalAuth>) -> Router {
    api::router(state)
        .merge(local_routes(auth))
        .layer(axum::middleware::map_request(
            |mut request: axum::http::Request<axum::body::Body>| async move {
                let peer = request
                    .extensions()
                    .get::<axum::extract::ConnectInfo<SocketAddr>>()
                    .map(|info| info.0.ip().to_string());
                if let Some(ip) = peer {
                    request.extensions_mut().insert(ClientIp(ip));
                }
                request
            },
        ))
}

/// How often `prolink serve` runs the scheduler (EventBridge does it once a minute on AWS).
const SCHEDULER_INTERVAL: Duration = Duration::from_secs(60);

/// Ticks the scheduler every `SCHEDULER_INTERVAL` until shutdown. A failed tick is logged;
/// the next one continues (every tick is idempotent).
pub async fn run_scheduler(scheduler: Arc<Scheduler>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let ticking = Arc::clone(&scheduler);
        // A panicking tick is logged and the next minute ticks again.
        if let Some(Err(error)) =
            contained("a scheduler tick", async move { ticking.tick().await }).await
        {
            warn!(%error, "scheduler tick failed; the next tick retries");
        }
        tokio::select! {
            _ = tokio::time::sleep(SCHEDULER_INTERVAL) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Presigned local blob URLs are signed with a key derived from the app secret, so the
/// secret itself never signs anything but Meta's webhooks.
fn blob_signing_key(app_secret: &str) -> Vec<u8> {
    Sha256::digest(format!("prolink-blobs#{app_secret}").as_bytes()).to_vec()
}

/// The simulator's Graph media endpoint: Meta's shape on this server's own address. It
/// accepts any bearer token when no real one is configured.
pub fn simulator_media_source(addr: SocketAddr, secrets: &WhatsAppSecrets) -> GraphMediaSource {
    let mut media_secrets = secrets.clone();
    media_secrets
        .access_token
        .get_or_insert_with(|| "simulator-local-token".to_string());
    GraphMediaSource::new(
        format!("http://{addr}/simulator/graph"),
        config::DEFAULT_API_VERSION,
        Arc::new(StaticSecrets(media_secrets)),
        http_client(),
    )
}

/// Runs one consumer of the tasks queue until `shutdown` turns true: done tasks are
/// deleted, failed ones come back after a backoff (dead-lettered after
/// `TASKS_MAX_RECEIVES`), deferred ones (quiet hours) come back at their time.
pub async fn run_complaint_worker(
    queue: Arc<dyn Queue>,
    worker: Arc<ComplaintWorker>,
    clock: Arc<dyn Clock>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        let deliveries = match queue.receive(WORKER_BATCH, TASK_VISIBILITY).await {
            Ok(deliveries) => deliveries,
            Err(error) => {
                warn!(%error, "tasks queue receive failed");
                Vec::new()
            }
        };
        if deliveries.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(TASK_IDLE_POLL) => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        let items: Arc<[TaskItem]> = deliveries.iter().map(TaskItem::from).collect();
        let batch = Arc::clone(&items);
        let batch_worker = Arc::clone(&worker);
        // A panic must not end this consumer either (see `run_worker`); the tasks are then
        // handled one at a time, so that only the one that panics is retried (and, panicking
        // every time, dead-lettered with its alert).
        let outcomes = match contained("handling a task batch", async move {
            batch_worker.process_batch(&batch).await
        })
        .await
        {
            Some(outcomes) => outcomes,
            None => {
                let mut outcomes = Vec::with_capacity(items.len());
                for item in items.iter() {
                    let single_worker = Arc::clone(&worker);
                    let single = item.clone();
                    let outcome = contained("handling a task", async move {
                        single_worker
                            .process_batch(std::slice::from_ref(&single))
                            .await
                    })
                    .await;
                    outcomes.push(
                        outcome
                            .and_then(|mut o| o.pop())
                            .unwrap_or(TaskOutcome::Retry),
                    );
                }
                outcomes
            }
        };
        let now = clock.now_ms();
        for (delivery, outcome) in deliveries.iter().zip(outcomes) {
            let result = match outcome {
                TaskOutcome::Done => queue.delete(&delivery.receipt).await,
                TaskOutcome::Retry => {
                    let backoff = Duration::from_secs(2u64.pow(delivery.receive_count.min(8)));
                    queue.change_visibility(&delivery.receipt, backoff).await
                }
                TaskOutcome::Defer(at_ms) => {
                    let wait = Duration::from_millis(u64::try_from(at_ms - now).unwrap_or(0));
                    queue.change_visibility(&delivery.receipt, wait).await
                }
            };
            if let Err(error) = result {
                warn!(%error, message_id = %delivery.message_id, "tasks queue acknowledgement failed");
            }
        }
    }
}

/// Runs `work` in a task of its own, so that a panic in it is logged and comes back as `None`
/// instead of ending the loop that awaits it (a queue consumer, the scheduler).
async fn contained<T: Send + 'static>(
    what: &str,
    work: impl std::future::Future<Output = T> + Send + 'static,
) -> Option<T> {
    match tokio::spawn(work).await {
        Ok(value) => Some(value),
        Err(error) => {
            error!(%error, "{what} panicked");
            None
        }
    }
}

/// After a batch panicked: each item in a task of its own, in order, so that only the message
/// that panics fails (it comes back after the backoff, counts a receive, and panicking every
/// time ends in the dead-letter table with its alert) while the other citizens are answered.
/// What already happened for an item is recognised by its dedup mark, so handling it again is
/// harmless; the items after a failed one of the same citizen wait, as in `process_batch`.
async fn handle_one_by_one(worker: &Arc<DialogWorker>, items: &[BatchItem]) -> BatchOutcome {
    let mut outcome = BatchOutcome::default();
    let mut failed_groups = std::collections::HashSet::new();
    for item in items {
        if failed_groups.contains(&item.group_id) {
            outcome.failed.push(item.message_id.clone());
            outcome.held_back.push(item.message_id.clone());
            continue;
        }
        let worker = Arc::clone(worker);
        let single = item.clone();
        let handled = contained("handling an inbound item", async move {
            worker.process_batch(std::slice::from_ref(&single)).await
        })
        .await;
        if !handled.is_some_and(|result| result.failed.is_empty()) {
            failed_groups.insert(item.group_id.clone());
            outcome.failed.push(item.message_id.clone());
        }
    }
    outcome
}

/// Runs one consumer of the inbound queue until `shutdown` turns true. Failed items become
/// visible again after a short backoff; after `INBOUND_MAX_RECEIVES` the queue dead-letters
/// them, exactly as the SQS redrive policy does on AWS.
pub async fn run_worker(
    queue: Arc<dyn Queue>,
    worker: Arc<DialogWorker>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        let deliveries = match queue.receive(WORKER_BATCH, WORKER_VISIBILITY).await {
            Ok(deliveries) => deliveries,
            Err(error) => {
                warn!(%error, "inbound queue receive failed");
                Vec::new()
            }
        };
        if deliveries.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(IDLE_POLL) => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        let items: Arc<[BatchItem]> = deliveries.iter().map(BatchItem::from).collect();
        let batch = Arc::clone(&items);
        let batch_worker = Arc::clone(&worker);
        // In a task of its own, so that a panic while handling one message does not end this
        // consumer (and, one panic at a time, every reply).
        let outcome = match contained("handling an inbound batch", async move {
            batch_worker.process_batch(&batch).await
        })
        .await
        {
            Some(outcome) => outcome,
            None => handle_one_by_one(&worker, &items).await,
        };
        for delivery in &deliveries {
            let result = if outcome.held_back.contains(&delivery.message_id) {
                // Never attempted: back at once, and this receive does not count.
                queue.release_unattempted(&delivery.receipt).await
            } else if outcome.failed.contains(&delivery.message_id) {
                let backoff = Duration::from_millis(200 * u64::from(delivery.receive_count));
                queue.change_visibility(&delivery.receipt, backoff).await
            } else {
                queue.delete(&delivery.receipt).await
            };
            if let Err(error) = result {
                // The visibility timeout brings it back; the dedup mark keeps it harmless.
                warn!(%error, message_id = %delivery.message_id, "queue acknowledgement failed");
            }
        }
    }
}

/// First start: imports the seed into an empty store, from `infra/seed` under the current
/// directory or, when there is none, from the copy embedded in the binary. Returns how many
/// entries were imported (0 when the store already had content).
pub async fn ensure_content(store: &dyn ContentStore) -> anyhow::Result<usize> {
    match content_import::ensure_content(store, Path::new(DEFAULT_SEED_DIR)).await {
        Ok(Some(first)) => {
            info!(
                entries = first.summary.total(),
                source = %first.source,
                "seed content imported on first start"
            );
            // stderr: `prolink ask --json` keeps stdout for its JSON lines.
            eprintln!(
                "Konten awal diimpor dari {}: {}",
                first.source, first.summary
            );
            Ok(first.summary.total())
        }
        Ok(None) => Ok(0),
        Err(error) => Err(anyhow::anyhow!("impor konten awal gagal: {error}")),
    }
}

/// How often the local store deletes rows past their retention (DynamoDB's TTL does this on
/// AWS): personal data must not outlive `PROLINK_RETENTION_DAYS` just because reads skip it.
const RETENTION_SWEEP: Duration = Duration::from_secs(10 * 60);

/// Deletes expired rows at start-up and then every `RETENTION_SWEEP` until shutdown.
pub async fn run_retention(store: Arc<SqliteStore>, mut shutdown: watch::Receiver<bool>) {
    loop {
        match store.purge_expired().await {
            Ok(0) => {}
            Ok(removed) => info!(removed, "expired rows deleted (retention)"),
            Err(error) => warn!(%error, "retention sweep failed; retrying at the next sweep"),
        }
        tokio::select! {
            _ = tokio::time::sleep(RETENTION_SWEEP) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Takes the data folder's serve lock, or explains that another `prolink serve` has it.
pub fn lock_data_dir(data_dir: &Path) -> anyhow::Result<std::fs::File> {
    crate::private_fs::create_private_dir_all(data_dir)
        .with_context(|| format!("creating data folder {}", data_dir.display()))?;
    let path = data_dir.join(SERVE_LOCK_FILE);
    crate::private_fs::ensure_private_file(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(anyhow::anyhow!(
            "folder data {} sedang dipakai oleh `prolink serve` lain; hentikan dulu proses itu",
            data_dir.display()
        )),
        Err(std::fs::TryLockError::Error(error)) => {
            Err(error).with_context(|| format!("locking {}", path.display()))
        }
    }
}

/// What a killed predecessor had received and not answered goes back on both queues now,
/// without counting that receive, instead of after the visibility timeout (30 s inbound,
/// 2 min tasks).
pub async fn release_leases_of_dead_process(app: &LocalApp) -> anyhow::Result<()> {
    for queue in [&app.queue, &app.tasks] {
        let released = queue
            .release_leases_at_start()
            .await
            .map_err(|error| anyhow::anyhow!("releasing {} at start: {error}", queue.name()))?;
        if released > 0 {
            info!(
                queue = queue.name(),
                released, "deliveries of a stopped process released at start"
            );
        }
    }
    Ok(())
}

/// `prolink serve`: listen, consume, and stop cleanly on Ctrl-C / SIGTERM.
pub async fn serve(options: LocalOptions) -> anyhow::Result<()> {
    // Before anything touches the folder; kept open until `serve` returns, and the OS drops
    // the lock when the process dies (kill -9).
    let _lock = lock_data_dir(&options.data_dir)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let app = build(&options, clock)?;
    release_leases_of_dead_process(&app).await?;
    if let Some(simulator) = &app.simulator {
        // Time travel survives a restart: going back in time would confuse every store.
        simulator
            .restore_clock()
            .await
            .map_err(|error| anyhow::anyhow!("restoring the simulator clock: {error}"))?;
    }
    ensure_content(app.store.as_ref()).await?;
    // The answering index and its classifier start building now, and again for each new
    // revision, on a blocking thread, so that no message waits for them (a failure to load
    // here is the first message's to report).
    app.content.prepare_in_background();
    let _ = app.content.load().await;
    // First run: an `admin` account whose password only the person at the console sees. Not
    // when the output goes elsewhere (a service, a test's log file): the password would be
    // kept in a file; `prolink user add` is the way there.
    let first_admin = if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        crate::dashboard::ensure_first_admin(app.store.clone(), app.clock.now_ms())
            .await
            .map_err(|error| anyhow::anyhow!("membuat akun admin pertama: {error}"))?
    } else {
        None
    };
    let listener = tokio::net::TcpListener::bind(options.addr)
        .await
        .with_context(|| format!("cannot listen on {}", options.addr))?;
    let addr = listener.local_addr()?;
    if app.simulator.is_some() {
        app.media
            .set(simulator_media_source(addr, &app.secrets.secrets));
    }
    print_banner(&options, addr, &app, first_admin.as_deref());

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let mut workers = Vec::new();
    for _ in 0..WORKER_TASKS {
        workers.push(tokio::spawn(run_worker(
            app.queue.clone(),
            app.worker.clone(),
            shutdown_rx.clone(),
        )));
    }
    workers.push(tokio::spawn(run_complaint_worker(
        app.tasks.clone(),
        app.complaint_worker.clone(),
        app.clock.clone(),
        shutdown_rx.clone(),
    )));
    workers.push(tokio::spawn(run_scheduler(
        app.scheduler.clone(),
        shutdown_rx.clone(),
    )));
    workers.push(tokio::spawn(run_retention(
        app.store.clone(),
        shutdown_rx.clone(),
    )));
    if let Some(simulator) = &app.simulator {
        workers.push(tokio::spawn(simulator::run_status_pump(
            simulator.clone(),
            shutdown_rx.clone(),
        )));
    }
    axum::serve(
        listener,
        app.router
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("HTTP server failed")?;
    let _ = shutdown_tx.send(true);
    for worker in workers {
        let _ = worker.await;
    }
    info!("prolink stopped");
    Ok(())
}

fn print_banner(
    options: &LocalOptions,
    addr: SocketAddr,
    app: &LocalApp,
    first_admin: Option<&str>,
) {
    println!("PROLINK SAKTI (mode lokal) berjalan di http://{addr}");
    println!("  data          : {}", options.data_dir.display());
    println!("  dasbor        : http://{addr}/");
    if let Some(password) = first_admin {
        // Printed once, to the console only (stdout is a terminal; never through tracing).
        println!(
            "  akun pertama  : {} / {password}  (hanya ditampilkan sekali; ganti: prolink user passwd {})",
            crate::dashboard::FIRST_ADMIN,
            crate::dashboard::FIRST_ADMIN
        );
    }
    println!("  webhook       : http://{addr}/webhook");
    println!("  API operator  : http://{addr}/api  (akun: prolink user add NAMA --role admin)");
    if app.simulator_enabled {
        println!("  simulator     : http://{addr}/simulator");
        println!("  graph (media) : http://{addr}/simulator/graph  (WHATSAPP_GRAPH_URL)");
        let offset_minutes = app.clock.offset_ms() / 60_000;
        if offset_minutes != 0 {
            println!("  waktu uji     : dimajukan {offset_minutes} menit (alat uji simulator)");
        }
    } else if app.graph_enabled {
        println!("  balasan       : dikirim ke WhatsApp Cloud API (kredensial Graph terpasang)");
    } else {
        println!("  simulator     : nonaktif (alamat bukan loopback)");
    }
    if app.secrets.generated {
        // Generated local test credentials only; real ones from the environment are never shown.
        println!("  verify token  : {}", app.secrets.secrets.verify_token);
        println!("  app secret    : {}", app.secrets.secrets.app_secret);
    } else {
        println!("  kredensial    : dari variabel lingkungan WHATSAPP_*");
    }
    println!("READY {addr}");
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
