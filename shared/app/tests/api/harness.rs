//! One API around a [`TestApp`]: fixed bearer tokens per role (the JWT verification is the
//! auth module's business), complaints put straight into the store in a chosen status, and
//! requests answered as (status, JSON).
//!
//! Everything runs on the local app's SQLite store except the user directory, whose local
//! implementation (argon2 passwords) belongs to the sign-in side: an in-memory one here.

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
    AuditLog, AuditQuery, AuditRecord, CitizenStore, ComplaintStore, NewUser, OperatorAlert,
    OperatorSignals, Page, PageRequest, PortError, PortResult, Role, SystemClock, UserDirectory,
    UserPatch, UserRecord,
};
use prolink_domain::citizen::CitizenProfile;
use prolink_domain::complaint::{
    self, Actor, Complaint, ComplaintEvent, Privacy, Rules, Status, Submission,
};
use prolink_embedded::blob_local::LocalBlobStore;

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

// ---------------------------------------------------------------------------------------------
// The harness
// ---------------------------------------------------------------------------------------------

pub struct Api {
    pub app: TestApp,
    pub router: Router,
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
        let users = Arc::new(MemUsers::default());
        let clock = Arc::new(SystemClock);
        let state = ApiState {
            auth: Arc::new(FixedTokens),
            complaints: store.clone(),
            tasks: app.app.tasks.clone(),
            content: Arc::new(ContentSource::new(store.clone(), std::time::Duration::ZERO)),
            citizens: store.clone(),
            users: users.clone(),
            audit: store.clone(),
            alerts: store.clone(),
            settings: store.clone(),
            blobs: Arc::new(LocalBlobStore::new(
                app.dir().join("api-blobs"),
                b"api-test-key".to_vec(),
                clock.clone(),
            )),
            clock,
            config: ApiConfig {
                audit_retention_days: 730,
                requests_per_minute: prolink_app::api::extract::REQUESTS_PER_MINUTE,
            },
            conversations: store.clone(),
            sessions: store.clone(),
            sender: app.api_sender(),
        };
        Api {
            router: api::router(state),
            app,
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

    /// The whole audit trail, newest first.
    pub async fn audit(&self) -> Vec<AuditRecord> {
        self.app
            .app
            .store
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
        self.app
            .app
            .store
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
