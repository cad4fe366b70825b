//! One API around a [`TestApp`], on either store the deployments use: fixed bearer tokens per
//! role (the JWT verification is the auth module's business), complaints put straight into
//! the store in a chosen status, and requests answered as (status, JSON).
//!
//! [`Backend::Sqlite`] is the local app's SQLite store with an in-memory user directory (the
//! local one, argon2 passwords, belongs to the sign-in side). [`Backend::Dynamodb`] is a
//! [`DynamoStore`] on a fresh moto table for every store the API reads and writes, users
//! included (the local directory over the table's users), with the seed content imported
//! into it as `prolink serve` imports it. Both keep the local app's tasks queue and its
//! simulator outbox, so the complaint worker's notifications land where the tests read them.
//!
//! A test is one `async fn name(api: Api)` and [`on_both_stores!`] runs it on each backend.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use axum::{
    body::{to_bytes, Body},
    http::{Method, Request, StatusCode},
    Router,
};
use serde_json::Value;
use tokio::task::JoinSet;
use tower::ServiceExt;

use prolink_app::api::{
    self,
    auth::{AuthError, Authenticator, LocalUserDirectory, Principal},
    ApiConfig, ApiState, ClientIp,
};
use prolink_app::complaint_worker::{ComplaintWorker, ComplaintWorkerStores};
use prolink_app::content_cache::ContentSource;
use prolink_app::ports::{
    AlertBoard, AuditLog, AuditQuery, AuditRecord, BroadcastStore, CitizenData, CitizenStore,
    ComplaintStore, ContentRevisions, ContentStore, ConversationLog, DedupStore, NewUser,
    OperatorAlert, OperatorSignals, OutboxStore, Page, PageRequest, PortError, PortResult,
    RawInboundLog, RetentionStore, Role, SessionStore, SettingsStore, StatsCounters, StatusLog,
    SystemClock, UserDirectory, UserPatch, UserRecord,
};
use prolink_aws::{create_table, DynamoStore};
use prolink_domain::citizen::CitizenProfile;
use prolink_domain::complaint::{
    self, Actor, Complaint, ComplaintEvent, Privacy, Rules, Status, Submission,
};
use prolink_domain::content::ContentBundle;
use prolink_embedded::blob_local::LocalBlobStore;

use crate::support::{ManualClock, TestApp};

/// `on_both_stores!(a, b, ..)`: for each `async fn a(api: Api)` of the module, a test
/// `sqlite::a` on [`Backend::Sqlite`] and a test `dynamodb::a` on [`Backend::Dynamodb`]
/// (which returns at once when the AWS tests are skipped on purpose).
macro_rules! on_both_stores {
    ($($test:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    let api = $crate::api::harness::Api::on($crate::api::harness::Backend::Sqlite)
                        .await
                        .expect("SQLite is always there");
                    super::$test(api).await;
                }
            )+
        }
        mod dynamodb {
            $(
                #[tokio::test]
                async fn $test() {
                    if let Some(api) =
                        $crate::api::harness::Api::on($crate::api::harness::Backend::Dynamodb).await
                    {
                        super::$test(api).await;
                    }
                }
            )+
        }
    };
}

/// The OPD of [`CATEGORY`] and an OPD user's own.
pub const OPD_A: &str = "dpupr-pkp";
/// Another OPD (of [`CATEGORY_B`]).
pub const OPD_B: &str = "dishub";
pub const CATEGORY: &str = "jalan-rusak";
pub const CATEGORY_B: &str = "pju-mati";

/// (token, principal) of every role; `opd-b` is a user of the other OPD.
pub fn principal(token: &str) -> Option<Principal> {
    let (username, role, opd) = match token {
        "t-admin" => ("admin", Role::Admin, None),
        "t-operator" => ("ani", Role::Operator, None),
        "t-opd" => ("budi", Role::Opd, Some(OPD_A)),
        "t-opd-b" => ("citra", Role::Opd, Some(OPD_B)),
        "t-viewer" => ("dewi", Role::Viewer, None),
        _ => return None,
    };
    Some(Principal {
        username: username.to_string(),
        role,
        opd_id: opd.map(str::to_string),
    })
}

pub fn token_of(role: Role) -> &'static str {
    match role {
        Role::Admin => "t-admin",
        Role::Operator => "t-operator",
        Role::Opd => "t-opd",
        Role::Viewer => "t-viewer",
    }
}

struct FixedTokens;

#[async_trait]
impl Authenticator for FixedTokens {
    async fn authenticate(&self, token: &str) -> Result<Principal, AuthError> {
        principal(token).ok_or_else(|| AuthError::Invalid("unknown test token".into()))
    }
}

// ---------------------------------------------------------------------------------------------
// The SQLite backend's user directory (no argon2 there)
// ---------------------------------------------------------------------------------------------

fn page_of<T: Clone>(items: &[T], page: &PageRequest) -> PortResult<Page<T>> {
    let start = match &page.after {
        None => 0,
        Some(after) => after
            .parse::<usize>()
            .map_err(|_| PortError::Invalid(format!("cursor {after}")))?,
    };
    let end = (start + page.limit).min(items.len());
    Ok(Page {
        items: items.get(start..end).unwrap_or_default().to_vec(),
        next: (end < items.len()).then(|| end.to_string()),
    })
}

#[derive(Default)]
pub struct MemUsers(Mutex<BTreeMap<String, UserRecord>>);

#[async_trait]
impl UserDirectory for MemUsers {
    async fn list_users(&self, page: &PageRequest) -> PortResult<Page<UserRecord>> {
        let users: Vec<UserRecord> = self.0.lock().expect("lock").values().cloned().collect();
        page_of(&users, page)
    }

    async fn create_user(&self, user: &NewUser, at_ms: i64) -> PortResult<UserRecord> {
        let mut users = self.0.lock().expect("lock");
        if users.contains_key(&user.username) {
            return Err(PortError::Conflict(user.username.clone()));
        }
        let record = UserRecord {
            username: user.username.clone(),
            role: user.role,
            opd_id: user.opd_id.clone(),
            password_hash: Some(format!("$argon2id$fake${}", user.password.len())),
            disabled: false,
            failed_logins: vec![],
            created_ms: at_ms,
            updated_ms: at_ms,
            version: 1,
        };
        users.insert(user.username.clone(), record.clone());
        Ok(record)
    }

    async fn update_user(
        &self,
        username: &str,
        patch: &UserPatch,
        at_ms: i64,
    ) -> PortResult<UserRecord> {
        let mut users = self.0.lock().expect("lock");
        let user = users
            .get_mut(username)
            .ok_or_else(|| PortError::NotFound(username.to_string()))?;
        if let Some(role) = patch.role {
            user.role = role;
        }
        if let Some(opd) = &patch.opd_id {
            user.opd_id = opd.clone();
        }
        if let Some(disabled) = patch.disabled {
            user.disabled = disabled;
        }
        user.updated_ms = at_ms;
        user.version += 1;
        Ok(user.clone())
    }
}

// ---------------------------------------------------------------------------------------------
// The harness
// ---------------------------------------------------------------------------------------------

/// Where the API's stores are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The local app's SQLite store (and an in-memory user directory).
    Sqlite,
    /// A fresh DynamoDB table on moto.
    Dynamodb,
}

/// The stores the API is built on, as the tests reach them.
#[derive(Clone)]
pub struct Stores {
    pub complaints: Arc<dyn ComplaintStore>,
    pub citizens: Arc<dyn CitizenStore>,
    audit: Arc<dyn AuditLog>,
    pub alerts: Arc<dyn AlertBoard>,
    pub signals: Arc<dyn OperatorSignals>,
    pub marks: Arc<dyn DedupStore>,
    pub settings: Arc<dyn SettingsStore>,
    content: Arc<dyn ContentStore>,
    content_revisions: Arc<dyn ContentRevisions>,
    pub conversations: Arc<dyn ConversationLog>,
    pub sessions: Arc<dyn SessionStore>,
    pub stats: Arc<dyn StatsCounters>,
    pub citizen_data: Arc<dyn CitizenData>,
    pub raw: Arc<dyn RawInboundLog>,
    pub statuses: Arc<dyn StatusLog>,
    pub outbox: Arc<dyn OutboxStore>,
    pub retention: Arc<dyn RetentionStore>,
    pub broadcasts: Arc<dyn BroadcastStore>,
    pub lapor: Arc<dyn prolink_app::ports::LaporStore>,
    /// The complaint worker's stores on the same store.
    worker: Arc<dyn Fn() -> ComplaintWorkerStores + Send + Sync>,
}

impl Stores {
    pub fn citizens_store(&self) -> &Arc<dyn CitizenStore> {
        &self.citizens
    }

    fn of<S>(store: Arc<S>) -> Stores
    where
        S: ComplaintStore
            + CitizenStore
            + AuditLog
            + AlertBoard
            + OperatorSignals
            + SettingsStore
            + ContentStore
            + DedupStore
            + StatsCounters
            + ContentRevisions
            + ConversationLog
            + SessionStore
            + RetentionStore
            + BroadcastStore
            + CitizenData
            + RawInboundLog
            + StatusLog
            + OutboxStore
            + prolink_app::ports::LaporStore
            + 'static,
    {
        let worker = store.clone();
        Stores {
            complaints: store.clone(),
            citizens: store.clone(),
            audit: store.clone(),
            alerts: store.clone(),
            signals: store.clone(),
            marks: store.clone(),
            settings: store.clone(),
            stats: store.clone(),
            content_revisions: store.clone(),
            conversations: store.clone(),
            sessions: store.clone(),
            retention: store.clone(),
            broadcasts: store.clone(),
            lapor: store.clone(),
            citizen_data: store.clone(),
            raw: store.clone(),
            statuses: store.clone(),
            outbox: store.clone(),
            content: store,
            worker: Arc::new(move || ComplaintWorkerStores::from_store(worker.clone())),
        }
    }
}

pub struct Api {
    pub app: TestApp,
    pub router: Router,
    pub stores: Stores,
    pub users: Arc<dyn UserDirectory>,
    /// The content source the API changes go through (share it with a worker).
    pub content: Arc<ContentSource>,
    /// The API's photo folder.
    pub blobs: Arc<LocalBlobStore>,
    /// The DynamoDB table behind [`Backend::Dynamodb`] (client, name), for whole-table checks.
    pub dynamo: Option<(aws_sdk_dynamodb::Client, String)>,
}

pub struct Reply {
    pub status: StatusCode,
    pub json: Value,
    pub text: String,
    pub content_type: String,
}

/// Complaints written at once by [`Api::complaints`] (moto answers one request at a time
/// anyway; this only keeps the round trips overlapping).
const WRITE_CONCURRENCY: usize = 8;

impl Api {
    /// The API on `backend`; `None` only for DynamoDB when the AWS tests are skipped on
    /// purpose (`PROLINK_SKIP_AWS_TESTS=1`).
    /// The API on SQLite, for tests that drive the dialog worker (which runs on the local
    /// app's SQLite store only).
    pub async fn sqlite() -> Api {
        match Api::on(Backend::Sqlite).await {
            Some(api) => api,
            None => unreachable!("the SQLite backend is always available"),
        }
    }

    pub async fn on(backend: Backend) -> Option<Api> {
        let app = TestApp::new();
        let mut dynamo = None;
        let (stores, users): (Stores, Arc<dyn UserDirectory>) = match backend {
            Backend::Sqlite => (
                Stores::of(app.app.store.clone()),
                Arc::new(MemUsers::default()),
            ),
            Backend::Dynamodb => {
                let config = crate::aws::aws().await?;
                let client = aws_sdk_dynamodb::Client::new(&config);
                let table = crate::aws::unique("prolink-api");
                create_table(&client, &table).await.expect("create table");
                dynamo = Some((client.clone(), table.clone()));
                let store = Arc::new(DynamoStore::new(client, table, Arc::new(SystemClock)));
                prolink_embedded::serve::ensure_content(store.as_ref())
                    .await
                    .expect("the seed content is imported");
                (
                    Stores::of(store.clone()),
                    Arc::new(LocalUserDirectory::new(store)),
                )
            }
        };
        let clock = Arc::new(SystemClock);
        // One source for the API and the workers, with the production refresh, as in serve.
        let content = Arc::new(ContentSource::new(
            stores.content.clone(),
            prolink_app::content_cache::CONTENT_REFRESH,
        ));
        let blobs = Arc::new(LocalBlobStore::new(
            app.dir().join("api-blobs"),
            b"api-test-key".to_vec(),
            clock.clone(),
        ));
        let state = ApiState {
            auth: Arc::new(FixedTokens),
            complaints: stores.complaints.clone(),
            tasks: app.app.tasks.clone(),
            content: content.clone(),
            content_revisions: stores.content_revisions.clone(),
            signals: stores.signals.clone(),
            marks: stores.marks.clone(),
            broadcasts: stores.broadcasts.clone(),
            citizens: stores.citizens.clone(),
            users: users.clone(),
            audit: stores.audit.clone(),
            alerts: stores.alerts.clone(),
            settings: stores.settings.clone(),
            stats: stores.stats.clone(),
            blobs: blobs.clone(),
            blob_eraser: blobs.clone(),
            citizen_data: stores.citizen_data.clone(),
            clock,
            config: ApiConfig {
                audit_retention_days: 730,
                requests_per_minute: prolink_app::api::extract::REQUESTS_PER_MINUTE,
            },
            conversations: stores.conversations.clone(),
            sessions: stores.sessions.clone(),
            sender: app.api_sender_counting(stores.stats.clone()),
            lapor: prolink_app::lapor::LaporLink::manual(stores.lapor.clone()),
        };
        Some(Api {
            router: api::router(state),
            app,
            stores,
            users,
            content,
            blobs,
            dynamo,
        })
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let request = request
            .extension(ClientIp("203.0.113.7".into()))
            .body(Body::from(body.unwrap_or("").to_string()))
            .expect("request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router is infallible");
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = to_bytes(response.into_body(), 16 * 1024 * 1024)
            .await
            .expect("body");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Reply {
            status,
            json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text,
            content_type,
        }
    }

    /// The whole audit trail, newest first.
    pub async fn audit(&self) -> Vec<AuditRecord> {
        self.stores
            .audit
            .query_audit(
                &AuditQuery::default(),
                &PageRequest {
                    limit: 1000,
                    after: None,
                },
            )
            .await
            .expect("audit")
            .items
    }

    /// An open alert of `opd` (as the complaint worker raises them).
    pub async fn raise_alert(&self, id: &str, opd: Option<&str>) {
        self.stores
            .signals
            .raise_alert(&OperatorAlert {
                id: id.to_string(),
                kind: "complaint_new".into(),
                message: "Aduan baru".into(),
                citizen_key: None,
                raised_ms: chrono::Utc::now().timestamp_millis(),
                opd_id: opd.map(str::to_string),
            })
            .await
            .expect("alert");
    }

    /// How many accounts the user directory holds.
    pub async fn user_count(&self) -> usize {
        self.users
            .list_users(&PageRequest {
                limit: 100,
                after: None,
            })
            .await
            .expect("users")
            .items
            .len()
    }

    /// A complaint worker on the API's stores whose clock stands still at `at_ms`, sending to
    /// the simulator outbox.
    pub fn complaint_worker_at(&self, at_ms: i64) -> ComplaintWorker {
        self.app
            .complaint_worker(ManualClock::at(at_ms), (self.stores.worker)())
    }

    /// Runs the complaint worker at `at_ms` over the tasks queue until it is empty; every
    /// task must end `Done`.
    pub async fn run_tasks_at(&self, at_ms: i64) {
        use prolink_app::complaint_worker::{TaskItem, TaskOutcome};
        use prolink_app::ports::Queue;
        let worker = self.complaint_worker_at(at_ms);
        let queue = &self.app.app.tasks;
        for _ in 0..100 {
            let deliveries = queue
                .receive(10, std::time::Duration::from_secs(30))
                .await
                .expect("receive");
            if deliveries.is_empty() {
                return;
            }
            let items: Vec<TaskItem> = deliveries.iter().map(TaskItem::from).collect();
            let outcomes = worker.process_batch(&items).await;
            for (delivery, outcome) in deliveries.iter().zip(outcomes) {
                assert_eq!(outcome, TaskOutcome::Done, "task {}", delivery.body);
                queue.delete(&delivery.receipt).await.expect("delete");
            }
        }
        panic!("tasks did not drain");
    }

    /// The stored complaint `ticket`; a test that asks for one expects it to exist.
    pub async fn stored(&self, ticket: &str) -> Complaint {
        self.stores
            .complaints
            .get_complaint(ticket)
            .await
            .expect("get")
            .unwrap_or_else(|| panic!("complaint {ticket} exists"))
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(token), Some(&body.to_string()))
            .await
    }

    /// A complaint stored as if it had reached `status` (a submission event, then one
    /// operator event into `status` unless it is `diterima`), with a citizen profile whose
    /// 24-hour window is open at `window_from_ms`.
    pub async fn complaint(&self, seed: Seed<'_>) -> Complaint {
        self.complaints(&[seed]).await;
        self.stored(seed.ticket).await
    }

    /// [`Api::complaint`] for many: the citizens' profiles first, then the complaints a few
    /// at a time.
    pub async fn complaints(&self, seeds: &[Seed<'_>]) {
        let mut citizens = BTreeSet::new();
        for seed in seeds {
            if citizens.insert(seed.citizen) {
                self.ensure_profile(seed).await;
            }
        }
        let built: Vec<Complaint> = seeds.iter().map(built).collect();
        for chunk in built.chunks(WRITE_CONCURRENCY) {
            let mut writes = JoinSet::new();
            for complaint in chunk {
                let store = self.stores.complaints.clone();
                let complaint = complaint.clone();
                writes.spawn(async move {
                    let existing = store.create_complaint(&complaint).await.expect("create");
                    assert!(existing.is_none(), "{} is new", complaint.ticket);
                });
            }
            while let Some(written) = writes.join_next().await {
                written.expect("the write task");
            }
        }
    }

    async fn ensure_profile(&self, seed: &Seed<'_>) {
        let citizens = &self.stores.citizens;
        if citizens
            .get_citizen(seed.citizen)
            .await
            .expect("citizen")
            .is_none()
        {
            citizens
                .put_citizen(&CitizenProfile {
                    key: seed.citizen.to_string(),
                    wa_id: Some(seed.citizen.to_string()),
                    last_inbound_ms: Some(seed.window_from_ms),
                    ..Default::default()
                })
                .await
                .expect("profile");
        }
    }
}

/// The complaint of [`Api::complaint`], not yet stored.
fn built(seed: &Seed<'_>) -> Complaint {
    // Parsed once: unoptimised, parsing the seed costs more than writing a complaint.
    static CONTENT: OnceLock<ContentBundle> = OnceLock::new();
    let content =
        CONTENT.get_or_init(|| prolink_app::content_import::embedded_seed().expect("seed"));
    let rules = Rules::for_category(content, seed.category);
    let mut c = complaint::submit(
        Submission {
            ticket: seed.ticket.to_string(),
            citizen_key: seed.citizen.to_string(),
            reporter_name: Some("Sari Wulandari".into()),
            category_id: seed.category.to_string(),
            opd_id: seed.opd.to_string(),
            description: format!("Jalan berlubang {}", seed.ticket),
            location: None,
            photos: vec![],
            privacy: seed.privacy,
            source_wamid: format!("wamid.{}", seed.ticket),
            at_ms: seed.at_ms,
        },
        &rules,
    );
    if seed.status != Status::Diterima {
        c.events.push(ComplaintEvent {
            id: format!("setup.{}", seed.status),
            at_ms: seed.at_ms + 1,
            actor: Actor::operator("setup"),
            from: Some(Status::Diterima),
            to: seed.status,
            public_note: None,
            internal_note: None,
            info: None,
        });
        c.status = seed.status;
        complaint::reschedule(&mut c, &rules);
    }
    c
}

#[derive(Clone, Copy)]
pub struct Seed<'a> {
    pub ticket: &'a str,
    pub citizen: &'a str,
    pub category: &'a str,
    pub opd: &'a str,
    pub status: Status,
    pub privacy: Privacy,
    pub at_ms: i64,
    pub window_from_ms: i64,
}

impl Seed<'_> {
    pub fn new(ticket: &str) -> Seed<'_> {
        let now = chrono::Utc::now().timestamp_millis();
        Seed {
            ticket,
            citizen: "6281255500031",
            category: CATEGORY,
            opd: OPD_A,
            status: Status::Diteruskan,
            privacy: Privacy::Biasa,
            at_ms: now - 3_600_000,
            window_from_ms: now,
        }
    }
}
