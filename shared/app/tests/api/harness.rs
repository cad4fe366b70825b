//! One API around a [`TestApp`]: fixed bearer tokens per role (the JWT verification is the
//! auth module's business), complaints put straight into the store in a chosen status, and
//! requests answered as (status, JSON).
//!
//! Users, audit, alerts and settings are in-memory ports here until the SQLite adapters
//! land (branch `wt-stores`); `list_complaints` likewise reads the store's by-status index.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::{
    body::{to_bytes, Body},
    http::{Method, Request, StatusCode},
    Router,
};
use serde_json::Value;
use tower::ServiceExt;

use prolink_app::api::{
    self,
    auth::{AuthError, Authenticator, Principal},
    ApiConfig, ApiState, ClientIp,
};
use prolink_app::content_cache::ContentSource;
use prolink_app::ports::{
    AlertBoard, AlertRecord, AlertState, AuditLog, AuditQuery, AuditRecord, CitizenStore,
    ComplaintQuery, ComplaintStore, NewUser, OperatorAlert, Page, PageRequest, PortError,
    PortResult, Role, SettingsStore, StoredSetting, SystemClock, UserDirectory, UserPatch,
    UserRecord,
};
use prolink_domain::citizen::CitizenProfile;
use prolink_domain::complaint::{
    self, Actor, Complaint, ComplaintEvent, Privacy, Rules, Status, Submission,
};
use prolink_embedded::blob_local::LocalBlobStore;
use prolink_embedded::sqlite::SqliteStore;

use crate::support::TestApp;

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
// In-memory ports (until the SQLite adapters land)
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

#[derive(Default)]
pub struct MemAudit(pub Mutex<Vec<AuditRecord>>);

#[async_trait]
impl AuditLog for MemAudit {
    async fn append_audit(&self, record: &AuditRecord) -> PortResult<()> {
        let mut records = self.0.lock().expect("lock");
        if !records.iter().any(|r| r.id == record.id) {
            records.push(record.clone());
        }
        Ok(())
    }

    async fn query_audit(
        &self,
        query: &AuditQuery,
        page: &PageRequest,
    ) -> PortResult<Page<AuditRecord>> {
        let mut records: Vec<AuditRecord> = self
            .0
            .lock()
            .expect("lock")
            .iter()
            .filter(|r| query.actor.as_ref().is_none_or(|a| *a == r.actor))
            .filter(|r| {
                query
                    .subject
                    .as_ref()
                    .is_none_or(|s| r.subject.as_ref() == Some(s))
            })
            .cloned()
            .collect();
        records.sort_by(|a, b| b.id.cmp(&a.id));
        page_of(&records, page)
    }
}

#[derive(Default)]
pub struct MemAlerts(pub Mutex<Vec<AlertRecord>>);

impl MemAlerts {
    pub fn raise(&self, id: &str, opd: Option<&str>) {
        self.0.lock().expect("lock").push(AlertRecord {
            alert: OperatorAlert {
                id: id.to_string(),
                kind: "complaint_new".into(),
                message: "Aduan baru".into(),
                citizen_key: None,
                raised_ms: 1_767_225_600_000,
                opd_id: opd.map(str::to_string),
            },
            state: AlertState::Open,
            resolved_ms: None,
            resolved_by: None,
        });
    }
}

#[async_trait]
impl AlertBoard for MemAlerts {
    async fn list_alerts(
        &self,
        state: AlertState,
        opd_id: Option<&str>,
        page: &PageRequest,
    ) -> PortResult<Page<AlertRecord>> {
        let alerts: Vec<AlertRecord> = self
            .0
            .lock()
            .expect("lock")
            .iter()
            .filter(|a| {
                a.state == state && opd_id.is_none_or(|o| a.alert.opd_id.as_deref() == Some(o))
            })
            .cloned()
            .collect();
        page_of(&alerts, page)
    }

    async fn get_alert(&self, id: &str) -> PortResult<Option<AlertRecord>> {
        Ok(self
            .0
            .lock()
            .expect("lock")
            .iter()
            .find(|a| a.alert.id == id)
            .cloned())
    }

    async fn resolve_alert(
        &self,
        id: &str,
        by: &str,
        at_ms: i64,
    ) -> PortResult<Option<AlertRecord>> {
        let mut alerts = self.0.lock().expect("lock");
        let Some(alert) = alerts.iter_mut().find(|a| a.alert.id == id) else {
            return Ok(None);
        };
        if alert.state == AlertState::Open {
            alert.state = AlertState::Resolved;
            alert.resolved_ms = Some(at_ms);
            alert.resolved_by = Some(by.to_string());
        }
        Ok(Some(alert.clone()))
    }
}

#[derive(Default)]
pub struct MemSettings(Mutex<BTreeMap<String, StoredSetting>>);

#[async_trait]
impl SettingsStore for MemSettings {
    async fn get_setting(&self, key: &str) -> PortResult<Option<StoredSetting>> {
        Ok(self.0.lock().expect("lock").get(key).cloned())
    }

    async fn put_setting(&self, setting: &StoredSetting) -> PortResult<u64> {
        let mut settings = self.0.lock().expect("lock");
        let stored = settings.get(&setting.key).map_or(0, |s| s.version);
        if stored != setting.version {
            return Err(PortError::Conflict(setting.key.clone()));
        }
        let version = stored + 1;
        settings.insert(
            setting.key.clone(),
            StoredSetting {
                version,
                ..setting.clone()
            },
        );
        Ok(version)
    }
}

/// The real store, with `list_complaints` answered from its by-status index until the
/// adapter's own query lands: every status merged, newest first, filtered, offset cursor.
pub struct Listing {
    pub inner: Arc<SqliteStore>,
}

complaint_store_passing_queries_to_inner! {
    Listing,
    async fn create_complaint(&self, complaint: &Complaint) -> PortResult<Option<Complaint>> {
        self.inner.create_complaint(complaint).await
    }

    async fn get_complaint(&self, ticket: &str) -> PortResult<Option<Complaint>> {
        self.inner.get_complaint(ticket).await
    }

    async fn update_complaint(&self, complaint: &Complaint) -> PortResult<u64> {
        self.inner.update_complaint(complaint).await
    }

    async fn list_complaints(
        &self,
        query: &ComplaintQuery,
        page: &PageRequest,
    ) -> PortResult<Page<Complaint>> {
        let mut all = Vec::new();
        for status in Status::ALL {
            if query.status.is_some_and(|s| s != status) {
                continue;
            }
            let found = self
                .inner
                .complaints_by_status(status, &PageRequest { limit: 10_000, after: None })
                .await?;
            all.extend(found.items);
        }
        all.retain(|c| {
            query.opd_id.as_ref().is_none_or(|o| *o == c.opd_id)
                && query.received_from_ms.is_none_or(|f| c.received_ms >= f)
                && query.received_to_ms.is_none_or(|t| c.received_ms < t)
        });
        all.sort_by(|a, b| (b.received_ms, &b.ticket).cmp(&(a.received_ms, &a.ticket)));
        page_of(&all, page)
    }
}

// ---------------------------------------------------------------------------------------------
// The harness
// ---------------------------------------------------------------------------------------------

pub struct Api {
    pub app: TestApp,
    pub router: Router,
    pub audit: Arc<MemAudit>,
    pub alerts: Arc<MemAlerts>,
    pub users: Arc<MemUsers>,
}

pub struct Reply {
    pub status: StatusCode,
    pub json: Value,
    pub text: String,
    pub content_type: String,
}

impl Api {
    pub fn new() -> Api {
        let app = TestApp::new();
        let store = app.app.store.clone();
        let audit = Arc::new(MemAudit::default());
        let alerts = Arc::new(MemAlerts::default());
        let users = Arc::new(MemUsers::default());
        let clock = Arc::new(SystemClock);
        let state = ApiState {
            auth: Arc::new(FixedTokens),
            complaints: Arc::new(Listing {
                inner: store.clone(),
            }),
            tasks: app.app.tasks.clone(),
            content: Arc::new(ContentSource::new(store.clone(), std::time::Duration::ZERO)),
            citizens: store.clone(),
            users: users.clone(),
            audit: audit.clone(),
            alerts: alerts.clone(),
            settings: Arc::new(MemSettings::default()),
            blobs: Arc::new(LocalBlobStore::new(
                app.dir().join("api-blobs"),
                b"api-test-key".to_vec(),
                clock.clone(),
            )),
            clock,
            config: ApiConfig {
                audit_retention_days: 730,
            },
        };
        Api {
            router: api::router(state),
            app,
            audit,
            alerts,
            users,
        }
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
        let content = prolink_app::content_import::embedded_seed().expect("seed");
        let rules = Rules::for_category(&content, seed.category);
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
        let store = &self.app.app.store;
        assert!(store.create_complaint(&c).await.expect("create").is_none());
        if store
            .get_citizen(seed.citizen)
            .await
            .expect("citizen")
            .is_none()
        {
            store
                .put_citizen(&CitizenProfile {
                    key: seed.citizen.to_string(),
                    wa_id: Some(seed.citizen.to_string()),
                    last_inbound_ms: Some(seed.window_from_ms),
                    ..Default::default()
                })
                .await
                .expect("profile");
        }
        self.app.complaint(seed.ticket).await
    }
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

impl MemUsers {
    pub fn list_users_len(&self) -> usize {
        self.0.lock().expect("lock").len()
    }
}
