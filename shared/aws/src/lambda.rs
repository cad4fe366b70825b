//! AWS Lambda wiring: configuration from the environment, AWS adapters, and the event
//! translation between Lambda and the same router and worker the local mode runs.

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_http::request::RequestContext;
use lambda_http::RequestExt;
use tracing::{error, info};

use prolink_app::api::{
    self,
    auth::{JwtAuthenticator, JwtSettings},
    ApiConfig, ApiState, ClientIp,
};
use prolink_app::broadcast::{BroadcastConfig, Broadcaster};

use prolink_app::complaint_worker::{
    ComplaintWorker, ComplaintWorkerSettings, ComplaintWorkerStores, TaskItem, TaskOutcome,
};
use prolink_app::config::{self, env_opt};
use prolink_app::content_cache::{ContentSource, CONTENT_REFRESH};
use prolink_app::conversations::Conversations;
use prolink_app::graph::{http_client, GraphConfig, GraphMessenger};
use prolink_app::graph_media::GraphMediaSource;
use prolink_app::graph_templates::GraphTemplates;
use prolink_app::notifier::{Notifier, OperatorDirectory};
use prolink_app::operator_contacts::{OperatorContacts, CONTACTS_REFRESH};
use prolink_app::ports::{
    Clock, OperatorAlert, OperatorSignals, OutboxStore, OutgoingMessage, Queue, SecretsProvider,
    StatsCounters, SystemClock, TemplateDirectory,
};
use prolink_app::retention::RetentionSweep;
use prolink_app::scheduler::{HandoffWatcher, Scheduler, SchedulerSettings};
use prolink_app::sender::{ReliableSender, SendPolicy, TokioSleeper};
use prolink_app::webhook_router::{self, WebhookState};
use prolink_app::worker::{BatchItem, DialogWorker, WorkerSettings, WorkerStores};

use crate::{
    bedrock::BedrockRephraser,
    cognito::CognitoUserDirectory,
    dynamo::DynamoStore,
    metrics::{Emf, MeteredCounters, MeteredOutbox, MeteredSignals},
    s3::S3BlobStore,
    secrets::{aws_sdk_config, SecretsManagerProvider},
    sqs::SqsQueue,
};

pub type LambdaError = Box<dyn std::error::Error + Send + Sync>;

fn required(name: &str) -> Result<String, LambdaError> {
    env_opt(name).ok_or_else(|| format!("environment variable {name} is not set").into())
}

fn init_logs() {
    // JSON lines with the runtime's request id span (AWS_LAMBDA_LOG_FORMAT=JSON from the
    // template's LoggingConfig).
    lambda_runtime::tracing::init_default_subscriber();
}

/// What every function builds first: SDK configuration, clock, the cached WhatsApp secret,
/// the table, and the business metrics' writer (`metrics.rs`).
struct AwsBase {
    sdk: aws_config::SdkConfig,
    clock: Arc<dyn Clock>,
    secrets: Arc<dyn SecretsProvider>,
    store: Arc<DynamoStore>,
    emf: Emf,
}

async fn aws_base() -> Result<AwsBase, LambdaError> {
    let sdk = aws_sdk_config().await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let secrets: Arc<dyn SecretsProvider> = Arc::new(SecretsManagerProvider::new(
        aws_sdk_secretsmanager::Client::new(&sdk),
        required(config::WHATSAPP_SECRET_ARN)?,
        clock.clone(),
    ));
    let store = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        required(config::PROLINK_TABLE)?,
        clock.clone(),
    ));
    Ok(AwsBase {
        sdk,
        emf: Emf::from_env(clock.clone()),
        clock,
        secrets,
        store,
    })
}

impl AwsBase {
    /// The table's statistics counters, emitting the counted events' metrics.
    fn counters(&self) -> Arc<dyn StatsCounters> {
        Arc::new(MeteredCounters {
            inner: self.store.clone(),
            emf: self.emf.clone(),
        })
    }

    /// The table's alerts, emitting SLA breaches and stopped broadcasts as metrics.
    fn signals(&self) -> Arc<dyn OperatorSignals> {
        Arc::new(MeteredSignals {
            inner: self.store.clone(),
            emf: self.emf.clone(),
        })
    }

    /// The table's outbox, counting messages that end failed as send failures.
    fn outbox(&self) -> Arc<dyn OutboxStore> {
        Arc::new(MeteredOutbox {
            inner: self.store.clone(),
            emf: self.emf.clone(),
        })
    }

    fn queue(&self, url_variable: &str) -> Result<SqsQueue, LambdaError> {
        Ok(SqsQueue::new(
            aws_sdk_sqs::Client::new(&self.sdk),
            required(url_variable)?,
            None,
        ))
    }

    fn messenger(&self) -> Result<Arc<GraphMessenger>, LambdaError> {
        Ok(Arc::new(GraphMessenger::new(
            graph_config()?,
            self.secrets.clone(),
            http_client(),
        )))
    }

    /// The outbox-first sender for notifications outside the dialog worker.
    fn sender(&self) -> Result<Arc<ReliableSender>, LambdaError> {
        Ok(Arc::new(
            ReliableSender::new(
                self.messenger()?,
                self.outbox(),
                self.signals(),
                self.clock.clone(),
                Arc::new(TokioSleeper),
                SendPolicy {
                    retention_days: config::retention_days(),
                    ..SendPolicy::default()
                },
            )
            .with_log(self.store.clone())
            .with_counters(self.counters())
            .with_erasures(self.store.clone()),
        ))
    }
}

/// The webhook Lambda: API Gateway HTTP API (v2) → the shared axum router.
pub async fn run_webhook() -> Result<(), LambdaError> {
    init_logs();
    let base = aws_base().await?;
    let router = webhook_router::router(Arc::new(WebhookState {
        queue: Arc::new(base.queue(config::PROLINK_INBOUND_QUEUE_URL)?),
        raw_log: base.store.clone(),
        secrets: base.secrets,
        clock: base.clock,
        retention_days: config::retention_days(),
        erasures: Some(base.store),
    }));
    info!("webhook function ready");
    lambda_http::run(router).await
}

/// Builds the dialog worker from the Lambda environment.
pub async fn dialog_worker_from_env() -> Result<DialogWorker, LambdaError> {
    let base = aws_base().await?;
    let tasks = base.queue(config::PROLINK_TASKS_QUEUE_URL)?;
    let mut stores = WorkerStores::from_store(base.store.clone());
    stores.stats = base.counters();
    stores.signals = base.signals();
    stores.outbox = base.outbox();
    let worker = DialogWorker::new(
        stores,
        base.messenger()?,
        base.clock.clone(),
        WorkerSettings::new(
            config::retention_days(),
            config::flag(config::PROLINK_SHOW_UNVERIFIED, false),
        ),
    )
    .with_tasks(Arc::new(tasks));
    Ok(match env_opt(config::PROLINK_REPHRASE_MODEL_ID) {
        Some(model_id) => {
            info!(%model_id, "FAQ answers are reworded with Amazon Bedrock");
            worker.with_rephraser(Arc::new(BedrockRephraser::new(&base.sdk, model_id.trim())))
        }
        None => worker,
    })
}

fn graph_config() -> Result<GraphConfig, LambdaError> {
    Ok(GraphConfig {
        base_url: env_opt(config::WHATSAPP_GRAPH_URL)
            .unwrap_or_else(|| config::DEFAULT_GRAPH_URL.to_string()),
        api_version: env_opt(config::WHATSAPP_API_VERSION)
            .unwrap_or_else(|| config::DEFAULT_API_VERSION.to_string()),
        phone_number_id: required(config::WHATSAPP_PHONE_NUMBER_ID)?,
    })
}

/// The dashboard's operator contacts in the table (`dynamodb:GetItem`), with no seed: on AWS
/// the numbers are personal data and stay out of the function configuration (which anyone
/// allowed `lambda:GetFunctionConfiguration` reads in clear); the first admin saves them on the
/// dashboard's Pengaturan page (`PUT /api/settings/operator-contacts`), and until then the
/// dashboard alerts are all. `PROLINK_OPERATOR_CONTACTS` is the local mode's seed only
/// (`prolink serve`).
fn operator_contacts(base: &AwsBase, refresh: std::time::Duration) -> OperatorContacts {
    OperatorContacts::new(base.store.clone(), OperatorDirectory::default(), refresh)
}

/// Builds the complaint worker and its tasks queue from the Lambda environment.
pub async fn complaint_worker_from_env() -> Result<(ComplaintWorker, SqsQueue), LambdaError> {
    let base = aws_base().await?;
    let tasks = base.queue(config::PROLINK_TASKS_QUEUE_URL)?;
    let sender = base.sender()?;
    let mut stores = ComplaintWorkerStores::from_store(base.store.clone());
    stores.stats = base.counters();
    stores.signals = base.signals();
    let worker = ComplaintWorker {
        stores,
        operators: Arc::new(operator_contacts(&base, CONTACTS_REFRESH)),
        notifier: Notifier::new(sender.clone()),
        media: Arc::new(GraphMediaSource::from_config(
            &graph_config()?,
            base.secrets.clone(),
            http_client(),
        )),
        blobs: Arc::new(S3BlobStore::from_sdk_config(
            &base.sdk,
            required(config::PROLINK_MEDIA_BUCKET)?,
        )),
        clock: base.clock.clone(),
        settings: ComplaintWorkerSettings {
            max_receives: config::TASKS_MAX_RECEIVES,
            retention_days: config::retention_days(),
        },
        // The scheduler hands broadcasts out as batch tasks; this worker sends them.
        broadcasts: Some(Broadcaster {
            store: base.store.clone(),
            sender,
            settings: base.store.clone(),
            signals: base.signals(),
            counters: Some(base.counters()),
            clock: base.clock.clone(),
            sleeper: Arc::new(TokioSleeper),
            config: BroadcastConfig::from_env(),
            templates: None,
            tasks: Some(Arc::new(base.queue(config::PROLINK_TASKS_QUEUE_URL)?)),
        }),
    };
    Ok((worker, tasks))
}

/// The complaint-worker Lambda: SQS (standard) batch → tasks → partial batch failures. A
/// deferred task (quiet hours) is hidden until its time with ChangeMessageVisibility and
/// reported failed, so SQS hands it back then.
pub async fn run_complaint_worker() -> Result<(), LambdaError> {
    init_logs();
    let (worker, tasks) = complaint_worker_from_env().await?;
    let worker = Arc::new(worker);
    let tasks = Arc::new(tasks);
    info!("complaint worker function ready");
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<SqsEvent>| {
            let worker = worker.clone();
            let tasks = tasks.clone();
            async move {
                Ok::<_, LambdaError>(
                    handle_task_batch(&worker, tasks.as_ref(), event.payload).await,
                )
            }
        },
    ))
    .await
}

/// SQS keeps a message hidden for at most 12 hours.
const MAX_VISIBILITY: std::time::Duration = std::time::Duration::from_secs(12 * 3600 - 60);

/// Translates an SQS event into tasks and the outcomes into `batchItemFailures`.
pub async fn handle_task_batch(
    worker: &ComplaintWorker,
    queue: &dyn Queue,
    event: SqsEvent,
) -> SqsBatchResponse {
    let mut items = Vec::with_capacity(event.records.len());
    let mut receipts = Vec::with_capacity(event.records.len());
    for record in event.records {
        let Some(message_id) = record.message_id.filter(|id| !id.is_empty()) else {
            error!("SQS record without a message id dropped");
            continue;
        };
        let receive_count = record
            .attributes
            .get("ApproximateReceiveCount")
            .and_then(|count| count.parse().ok())
            .unwrap_or(1);
        receipts.push(record.receipt_handle.unwrap_or_default());
        items.push(TaskItem {
            message_id,
            body: record.body.unwrap_or_default(),
            receive_count,
        });
    }
    let outcomes = worker.process_batch(&items).await;
    let now = worker.clock.now_ms();
    let mut response = SqsBatchResponse::default();
    for ((item, receipt), outcome) in items.iter().zip(&receipts).zip(outcomes) {
        match outcome {
            TaskOutcome::Done => {}
            TaskOutcome::Retry => response.add_failure(item.message_id.clone()),
            TaskOutcome::Defer(at_ms) => {
                let wait =
                    std::time::Duration::from_millis(u64::try_from(at_ms - now).unwrap_or(0))
                        .min(MAX_VISIBILITY);
                if let Err(error) = queue.change_visibility(receipt, wait).await {
                    // The queue's own visibility timeout brings it back sooner; the task is
                    // deferred again then.
                    error!(%error, "could not defer a task");
                }
                response.add_failure(item.message_id.clone());
            }
        }
    }
    response
}

/// The dialog-worker Lambda: SQS FIFO batch → worker → partial batch failures.
pub async fn run_dialog_worker() -> Result<(), LambdaError> {
    init_logs();
    let worker = Arc::new(dialog_worker_from_env().await?);
    let parking = Arc::new(parking_from_env().await?);
    info!("dialog worker function ready");
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<SqsEvent>| {
            let worker = worker.clone();
            let parking = parking.clone();
            async move {
                Ok::<_, LambdaError>(
                    handle_sqs_batch_parking(&worker, event.payload, parking.as_ref().as_ref())
                        .await,
                )
            }
        },
    ))
    .await
}

/// From this receive on, a failing inbound item is parked instead of reported. Below the
/// redrive policy's `maxReceiveCount` (5) with room to spare: its held-back followers were
/// received as often as it was, and must still have receives left once it is gone.
pub const PARK_AFTER_RECEIVES: u32 = 3;

/// Where the dialog worker parks a poison item: SQS counts every receive of the items held
/// behind it in its FIFO group, so waiting for the redrive policy would dead-letter them too.
pub struct Parking {
    /// The inbound queue's dead-letter queue (FIFO: group and dedup ids are kept).
    pub dead_letters: Arc<dyn Queue>,
    /// Where the operators' `dead_letter` alert is raised.
    pub signals: Arc<dyn OperatorSignals>,
    pub after_receives: u32,
}

async fn parking_from_env() -> Result<Option<Parking>, LambdaError> {
    let Some(url) = env_opt(config::PROLINK_INBOUND_DLQ_URL) else {
        // Older stacks: the redrive policy alone (followers of a poison item may follow it).
        tracing::warn!("no inbound dead-letter queue configured; poison items are not parked");
        return Ok(None);
    };
    let base = aws_base().await?;
    Ok(Some(Parking {
        dead_letters: Arc::new(SqsQueue::new(
            aws_sdk_sqs::Client::new(&base.sdk),
            url,
            None,
        )),
        signals: base.store.clone(),
        after_receives: PARK_AFTER_RECEIVES,
    }))
}

/// Moves one failed item to the dead-letter queue and tells the operators. `false` when it
/// could not be moved (it then stays in the queue and is reported as failed).
async fn park(parking: &Parking, item: &BatchItem, receive_count: u32, now_ms: i64) -> bool {
    let message = OutgoingMessage {
        group_id: item.group_id.clone(),
        dedup_id: item.dedup_id.clone(),
        body: item.body.clone(),
    };
    if let Err(error) = parking.dead_letters.send_batch(&[message]).await {
        error!(%error, message_id = %item.message_id, "could not park a poison item");
        return false;
    }
    error!(
        message_id = %item.message_id,
        receive_count,
        "inbound item failed repeatedly; parked in the dead-letter queue"
    );
    let alert = OperatorAlert {
        id: format!("dead_letter.inbound.{}", item.message_id),
        kind: "dead_letter".to_string(),
        message: format!(
            "Pesan masuk warga gagal diproses setelah {receive_count} kali percobaan dan \
             dipindahkan ke antrean gagal (DLQ inbound). Periksa log, perbaiki penyebabnya, lalu \
             proses ulang sesuai docs/reliability.md."
        ),
        citizen_key: None,
        raised_ms: now_ms,
        opd_id: None,
    };
    if let Err(error) = parking.signals.raise_alert(&alert).await {
        // The item is parked either way; the DLQ's CloudWatch alarm still fires.
        error!(%error, "could not raise the dead-letter alert");
    }
    true
}

/// Translates an SQS event into worker items and the worker's failures into
/// `batchItemFailures`. A record without a message id cannot be reported (an empty
/// itemIdentifier would fail the whole batch), so it is logged and dropped.
pub async fn handle_sqs_batch(worker: &DialogWorker, event: SqsEvent) -> SqsBatchResponse {
    handle_sqs_batch_parking(worker, event, None).await
}

/// [`handle_sqs_batch`], parking an item that failed on its `after_receives`-th receive or
/// later (see [`Parking`]) instead of reporting it.
pub async fn handle_sqs_batch_parking(
    worker: &DialogWorker,
    event: SqsEvent,
    parking: Option<&Parking>,
) -> SqsBatchResponse {
    let mut items = Vec::with_capacity(event.records.len());
    let mut receive_counts = Vec::with_capacity(event.records.len());
    for record in event.records {
        let Some(message_id) = record.message_id.filter(|id| !id.is_empty()) else {
            error!("SQS record without a message id dropped");
            continue;
        };
        let dedup_id = record
            .attributes
            .get("MessageDeduplicationId")
            .cloned()
            .unwrap_or_else(|| message_id.clone());
        let group_id = record
            .attributes
            .get("MessageGroupId")
            .cloned()
            .unwrap_or_default();
        receive_counts.push(
            record
                .attributes
                .get("ApproximateReceiveCount")
                .and_then(|count| count.parse::<u32>().ok())
                .unwrap_or(1),
        );
        items.push(BatchItem {
            message_id,
            group_id,
            dedup_id,
            body: record.body.unwrap_or_default(),
        });
    }
    let outcome = worker.process_batch(&items).await;
    let now_ms = worker.clock.now_ms();
    let mut response = SqsBatchResponse::default();
    for (item, receive_count) in items.iter().zip(receive_counts) {
        if !outcome.failed.contains(&item.message_id) {
            continue;
        }
        let attempted = !outcome.held_back.contains(&item.message_id);
        if let Some(parking) = parking.filter(|p| attempted && receive_count >= p.after_receives) {
            if park(parking, item, receive_count, now_ms).await {
                // Not reported: Lambda deletes it, and its group moves on.
                continue;
            }
        }
        response.add_failure(item.message_id.clone());
    }
    response
}

/// Builds the scheduler from the Lambda environment.
pub async fn scheduler_from_env() -> Result<Scheduler, LambdaError> {
    let base = aws_base().await?;
    // Read once per tick, like the content: a tick a minute leaves a cache nothing to save.
    let operators = Arc::new(operator_contacts(&base, std::time::Duration::ZERO));
    Ok(Scheduler {
        complaints: base.store.clone(),
        signals: base.signals(),
        // A tick a minute: a cache would save no read, so every tick reads the store.
        content: Arc::new(ContentSource::new(
            base.store.clone(),
            std::time::Duration::ZERO,
        )),
        tasks: Arc::new(base.queue(config::PROLINK_TASKS_QUEUE_URL)?),
        notifier: Some(Notifier::new(base.sender()?)),
        operators,
        clock: base.clock.clone(),
        settings: SchedulerSettings::default(),
        handoffs: Some(HandoffWatcher {
            conversations: Conversations::new(base.store.clone(), base.clock.clone()),
            alert_after_ms: config::handoff_alert_after_ms(),
        }),
        retention: Some(RetentionSweep {
            store: base.store.clone(),
            complaints: base.store.clone(),
            blobs: Some(Arc::new(S3BlobStore::from_sdk_config(
                &base.sdk,
                required(config::PROLINK_MEDIA_BUCKET)?,
            ))),
            retention_days: config::complaint_retention_days(),
        }),
        broadcasts: Some(Broadcaster {
            store: base.store.clone(),
            sender: base.sender()?,
            // Handed out to the complaint worker as batch tasks.
            tasks: Some(Arc::new(base.queue(config::PROLINK_TASKS_QUEUE_URL)?)),
            settings: base.store.clone(),
            signals: base.signals(),
            counters: Some(base.counters()),
            clock: base.clock.clone(),
            sleeper: Arc::new(TokioSleeper),
            config: BroadcastConfig::from_env(),
            templates: match env_opt(config::WHATSAPP_BUSINESS_ACCOUNT_ID) {
                Some(account) => GraphTemplates::new(
                    graph_config()?,
                    &account,
                    base.secrets.clone(),
                    http_client(),
                )
                .map(|t| Arc::new(t) as Arc<dyn TemplateDirectory>),
                None => None,
            },
        }),
        lapor: lapor_sync(&base)?,
    })
}

/// The SP4N-LAPOR! outbox worker when `PROLINK_LAPOR_BASE_URL` is set (the token is the
/// WhatsApp secret's `lapor_token`); `None` in manual mode.
fn lapor_sync(base: &AwsBase) -> Result<Option<prolink_app::lapor::LaporSync>, LambdaError> {
    let token = Arc::new(SecretsManagerProvider::new(
        aws_sdk_secretsmanager::Client::new(&base.sdk),
        required(config::WHATSAPP_SECRET_ARN)?,
        base.clock.clone(),
    ));
    let Some((gateway, settings)) = prolink_app::lapor_http::from_env(token)? else {
        return Ok(None);
    };
    Ok(Some(prolink_app::lapor::LaporSync {
        store: base.store.clone(),
        gateway: Arc::new(gateway),
        complaints: base.store.clone(),
        content: Arc::new(ContentSource::new(
            base.store.clone(),
            std::time::Duration::ZERO,
        )),
        tasks: Arc::new(base.queue(config::PROLINK_TASKS_QUEUE_URL)?),
        signals: base.store.clone(),
        clock: base.clock.clone(),
        settings,
    }))
}

/// The scheduler Lambda: every EventBridge tick runs one bounded pass; the report is the
/// function's result (visible in the logs and the console).
pub async fn run_scheduler() -> Result<(), LambdaError> {
    init_logs();
    let scheduler = Arc::new(scheduler_from_env().await?);
    info!("scheduler function ready");
    lambda_runtime::run(lambda_runtime::service_fn(
        move |_event: lambda_runtime::LambdaEvent<serde_json::Value>| {
            let scheduler = scheduler.clone();
            async move {
                let report = scheduler.tick().await.map_err(|error| -> LambdaError {
                    // A failed tick is retried by the next one; the error marks the run.
                    error!(%error, "scheduler tick failed");
                    Box::new(error)
                })?;
                Ok::<_, LambdaError>(report)
            }
        },
    ))
    .await
}

/// The operator API's state from the Lambda environment: the table for every store, the tasks
/// queue for citizens' notifications, the media bucket for presigned photo URLs, and Cognito
/// for accounts. Tokens are verified against the user pool's JWKS (the HTTP API's authorizer
/// checked them too; this function trusts nothing it did not verify itself).
pub async fn api_state_from_env() -> Result<ApiState, LambdaError> {
    let base = aws_base().await?;
    // Operators' replies go through the same outbox-first sender as the bot's.
    let sender = base.sender()?;
    let (counters, signals) = (base.counters(), base.signals());
    let AwsBase {
        sdk, clock, store, ..
    } = base;
    let region = sdk
        .region()
        .map(|region| region.as_ref().to_owned())
        .ok_or("no AWS region configured")?;
    let user_pool_id = required(config::PROLINK_USER_POOL_ID)?;
    let media_bucket = Arc::new(S3BlobStore::from_sdk_config(
        &sdk,
        required(config::PROLINK_MEDIA_BUCKET)?,
    ));
    let jwt = JwtSettings::cognito(
        &region,
        &user_pool_id,
        &required(config::PROLINK_USER_POOL_CLIENT_ID)?,
    );
    Ok(ApiState {
        auth: Arc::new(JwtAuthenticator::over_http(
            jwt,
            http_client(),
            store.clone(),
            clock.clone(),
        )),
        complaints: store.clone(),
        tasks: Arc::new(SqsQueue::new(
            aws_sdk_sqs::Client::new(&sdk),
            required(config::PROLINK_TASKS_QUEUE_URL)?,
            None,
        )),
        content: Arc::new(ContentSource::new(store.clone(), CONTENT_REFRESH)),
        content_revisions: store.clone(),
        signals,
        marks: store.clone(),
        broadcasts: store.clone(),
        citizens: store.clone(),
        users: Arc::new(CognitoUserDirectory::new(
            aws_sdk_cognitoidentityprovider::Client::new(&sdk),
            user_pool_id,
            store.clone(),
        )),
        audit: store.clone(),
        alerts: store.clone(),
        settings: store.clone(),
        stats: counters,
        blobs: media_bucket.clone(),
        blob_eraser: media_bucket,
        citizen_data: store.clone(),
        clock,
        config: ApiConfig {
            audit_retention_days: config::audit_retention_days(),
            requests_per_minute: config::api_requests_per_minute(),
        },
        conversations: store.clone(),
        sessions: store.clone(),
        sender,
        lapor: prolink_app::lapor::LaporLink {
            store,
            // The scheduler posts when the base URL is set; the dashboard says which mode.
            automatic: env_opt(prolink_app::lapor_http::PROLINK_LAPOR_BASE_URL).is_some(),
            instansi: prolink_app::lapor::DEFAULT_INSTANSI.to_string(),
        },
    })
}

/// The operator API's router as the Lambda serves it: API Gateway's `sourceIp` becomes the
/// [`ClientIp`] the audit trail records (a client-sent `X-Forwarded-For` is never trusted).
pub fn api_router(state: ApiState) -> axum::Router {
    api::router(state).layer(axum::middleware::map_request(
        |mut request: axum::http::Request<axum::body::Body>| async move {
            let source_ip = match request.request_context_ref() {
                Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
                _ => None,
            };
            if let Some(ip) = source_ip {
                request.extensions_mut().insert(ClientIp(ip));
            }
            request
        },
    ))
}

/// The operator API Lambda: API Gateway HTTP API (v2, JWT authorizer) → the API router.
pub async fn run_api() -> Result<(), LambdaError> {
    init_logs();
    let state = api_state_from_env().await?;
    info!("operator API function ready");
    lambda_http::run(api_router(state)).await
}
