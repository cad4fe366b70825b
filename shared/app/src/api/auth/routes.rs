//! `prolink serve`'s sign-in: `POST /api/auth/login`, `POST /api/auth/refresh` and the key set
//! at `GET /api/auth/jwks.json`. On AWS Cognito does all three and these routes are not
//! mounted.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::issuer::{TokenIssuer, LOCAL_JWKS_PATH};
use super::jwks::StaticJwks;
use super::jwt::{JwtAuthenticator, JwtVerifier, TokenUse};
use super::password::verify_password_async;
use super::validate::{validate_username, PASSWORD_MAX_CHARS};
use super::AuthError;
use crate::api::ClientIp;
use crate::ports::{AuditLog, AuditRecord, Clock, PortError, UserRecord, UserStore};

/// Failed sign-ins of one user inside [`LOCKOUT_WINDOW`] after which the next is refused.
pub const MAX_FAILED_LOGINS: usize = 5;
pub const LOCKOUT_WINDOW: Duration = Duration::from_secs(15 * 60);
/// A login body is two short strings.
const MAX_BODY_BYTES: usize = 16 * 1024;
/// Conditional writes of the failure list retried before giving up on recording one.
const WRITE_ATTEMPTS: usize = 3;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Everything the sign-in routes need.
pub struct LocalAuth {
    issuer: Arc<dyn TokenIssuer>,
    refresh_verifier: JwtVerifier,
    users: Arc<dyn UserStore>,
    audit: Arc<dyn AuditLog>,
    clock: Arc<dyn Clock>,
    audit_retention_days: i64,
}

impl LocalAuth {
    pub fn new(
        issuer: Arc<dyn TokenIssuer>,
        users: Arc<dyn UserStore>,
        audit: Arc<dyn AuditLog>,
        clock: Arc<dyn Clock>,
        audit_retention_days: i64,
    ) -> Self {
        let refresh_verifier = JwtVerifier::new(
            issuer.verifier_settings(),
            Arc::new(StaticJwks(issuer.jwks())),
            clock.clone(),
        );
        Self {
            issuer,
            refresh_verifier,
            users,
            audit,
            clock,
            audit_retention_days,
        }
    }

    /// The [`super::Authenticator`] for `ApiState::auth` that accepts this issuer's access
    /// tokens.
    pub fn authenticator(&self) -> JwtAuthenticator {
        JwtAuthenticator::new(
            self.issuer.verifier_settings(),
            Arc::new(StaticJwks(self.issuer.jwks())),
            self.users.clone(),
            self.clock.clone(),
        )
    }
}

/// The audit trail's actor of a failed sign-in whose name breaks the username rule.
pub const UNUSABLE_NAME_ACTOR: &str = "(nama tidak sah)";

/// (method, path) of every route [`local_routes`] serves, for the spec's test.
pub const LOCAL_ROUTES: [(&str, &str); 3] = [
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/refresh"),
    ("GET", LOCAL_JWKS_PATH),
];

/// `/api/auth/login`, `/api/auth/refresh`, `/api/auth/jwks.json`.
pub fn local_routes(auth: Arc<LocalAuth>) -> Router {
    Router::new()
        .route("/api/auth/login", post(login))
        .route("/api/auth/refresh", post(refresh))
        .route(LOCAL_JWKS_PATH, get(jwks))
        .with_state(auth)
}

/// Error body of every `/api` answer: a stable code for programs, a sentence for people.
#[derive(Debug, Serialize)]
pub struct ApiErrorBody {
    pub code: &'static str,
    pub message: String,
}

pub fn error_response(
    status: StatusCode,
    code: &'static str,
    message: impl Into<String>,
) -> Response {
    (
        status,
        Json(ApiErrorBody {
            code,
            message: message.into(),
        }),
    )
        .into_response()
}

/// The answer to a request whose bearer token was refused: 401 (`unauthenticated`,
/// `invalid_token`), 403 `account_disabled`, 503 `auth_unavailable`.
pub fn auth_error_response(error: &AuthError) -> Response {
    let message = error.to_string();
    match error {
        AuthError::Missing => error_response(StatusCode::UNAUTHORIZED, "unauthenticated", message),
        AuthError::Invalid(reason) => {
            tracing::debug!(%reason, "bearer token refused");
            error_response(StatusCode::UNAUTHORIZED, "invalid_token", message)
        }
        AuthError::Disabled => error_response(StatusCode::FORBIDDEN, "account_disabled", message),
        AuthError::Backend(cause) => {
            tracing::warn!(error = %cause, "sign-in backend unavailable");
            error_response(StatusCode::SERVICE_UNAVAILABLE, "auth_unavailable", message)
        }
    }
}

fn invalid_body(detail: impl std::fmt::Display) -> Response {
    error_response(
        StatusCode::BAD_REQUEST,
        "invalid_body",
        format!("Isi permintaan tidak valid: {detail}"),
    )
}

fn invalid_credentials() -> Response {
    error_response(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "Nama pengguna atau kata sandi salah.",
    )
}

fn unavailable(error: &PortError) -> Response {
    tracing::warn!(%error, "sign-in store unavailable");
    error_response(
        StatusCode::SERVICE_UNAVAILABLE,
        "auth_unavailable",
        "Layanan masuk sedang bermasalah; coba lagi sebentar.",
    )
}

fn issue_failed(error: &impl std::fmt::Display) -> Response {
    tracing::error!(%error, "could not sign tokens");
    error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "Terjadi kesalahan pada server; coba lagi sebentar.",
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    username: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshBody {
    refresh_token: String,
}

/// The client address and the JSON body, parsed by hand so a bad body gets our error shape
/// instead of axum's plain-text rejection.
async fn read_json<T: for<'de> Deserialize<'de>>(
    request: Request,
) -> Result<(Option<String>, T), Response> {
    let ip = request
        .extensions()
        .get::<ClientIp>()
        .map(|ClientIp(ip)| ip.clone());
    let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
        .await
        .map_err(|_| invalid_body("terlalu besar atau terputus"))?;
    // From an object only: serde would also build the body from an array of its fields.
    let body = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .filter(serde_json::Value::is_object)
        .and_then(|value| serde_json::from_value(value).ok())
        .ok_or_else(|| invalid_body("harus JSON dengan kolom yang diminta"))?;
    Ok((ip, body))
}

struct AuditEntry<'a> {
    action: &'static str,
    actor: &'a str,
    role: &'a str,
    ip: Option<&'a str>,
    detail: Option<&'static str>,
}

impl LocalAuth {
    async fn audit(&self, entry: AuditEntry<'_>) -> Result<(), PortError> {
        let now = self.clock.now_ms();
        let record = AuditRecord {
            id: format!("{now:013}-{}", uuid::Uuid::new_v4()),
            at_ms: now,
            actor: entry.actor.to_string(),
            role: entry.role.to_string(),
            action: entry.action.to_string(),
            subject: Some(entry.actor.to_string()),
            ip: entry.ip.map(str::to_string),
            detail: entry.detail.map(str::to_string),
            expires_at_ms: now.saturating_add(self.audit_retention_days.saturating_mul(DAY_MS)),
        };
        self.audit.append_audit(&record).await
    }

    /// Applies `change` to the user's row with the store's conditional write, re-reading on a
    /// lost race. `change` returns false when nothing needs writing.
    async fn update_user(
        &self,
        mut user: UserRecord,
        change: impl Fn(&mut UserRecord) -> bool,
    ) -> Result<UserRecord, PortError> {
        let mut last = None;
        for _ in 0..WRITE_ATTEMPTS {
            if !change(&mut user) {
                return Ok(user);
            }
            user.updated_ms = self.clock.now_ms();
            match self.users.put_user(&user).await {
                Ok(version) => {
                    user.version = version;
                    return Ok(user);
                }
                Err(PortError::Conflict(reason)) => {
                    last = Some(reason);
                    user = match self.users.get_user(&user.username).await? {
                        Some(fresh) => fresh,
                        None => return Err(PortError::NotFound(user.username)),
                    };
                }
                Err(other) => return Err(other),
            }
        }
        Err(PortError::Conflict(last.unwrap_or_default()))
    }
}

fn recent_failures(user: &UserRecord, now_ms: i64) -> Vec<i64> {
    let window = i64::try_from(LOCKOUT_WINDOW.as_millis()).unwrap_or(i64::MAX);
    user.failed_logins
        .iter()
        .copied()
        .filter(|at| now_ms.saturating_sub(*at) < window)
        .collect()
}

/// The name as typed, made comparable (names are lower case) and short enough to log.
/// Not cut to length: a longer name is no name (cutting would let it sign in as its prefix).
fn normalise_username(raw: &str) -> String {
    raw.trim().to_lowercase()
}

async fn login(State(auth): State<Arc<LocalAuth>>, request: Request) -> Response {
    let (ip, body) = match read_json::<LoginBody>(request).await {
        Ok(parsed) => parsed,
        Err(response) => return response,
    };
    let username = normalise_username(&body.username);
    // What was typed as a name is recorded only when it could be one: an empty or oversized
    // name cannot be stored, and a password typed into the wrong field must not reach the log.
    let audit_actor = if validate_username(&username).is_ok() {
        username.clone()
    } else {
        UNUSABLE_NAME_ACTOR.to_string()
    };
    let failed = |detail: &'static str| AuditEntry {
        action: "auth.login_failed",
        actor: &audit_actor,
        role: "-",
        ip: ip.as_deref(),
        detail: Some(detail),
    };

    // A name that cannot exist is not looked up, but still costs a password check.
    let user = if validate_username(&username).is_ok() {
        match auth.users.get_user(&username).await {
            Ok(user) => user,
            Err(error) => return unavailable(&error),
        }
    } else {
        None
    };
    let now = auth.clock.now_ms();

    if let Some(user) = &user {
        let recent = recent_failures(user, now);
        if recent.len() >= MAX_FAILED_LOGINS {
            if let Err(error) = auth.audit(failed("terkunci sementara")).await {
                return unavailable(&error);
            }
            let window = i64::try_from(LOCKOUT_WINDOW.as_millis()).unwrap_or(0);
            let retry_after_s = recent
                .first()
                .map(|oldest| (oldest.saturating_add(window).saturating_sub(now) + 999) / 1000)
                .unwrap_or(1)
                .max(1);
            let mut response = error_response(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                "Terlalu banyak percobaan masuk yang gagal; coba lagi dalam 15 menit.",
            );
            if let Ok(value) = HeaderValue::from_str(&retry_after_s.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
    }

    let hash = user.as_ref().and_then(|user| user.password_hash.clone());
    let password_ok = body.password.chars().count() <= PASSWORD_MAX_CHARS
        && verify_password_async(body.password, hash).await;

    let user = match (user, password_ok) {
        (Some(user), true) => user,
        (user, _) => {
            if let Some(user) = user {
                let recorded = auth
                    .update_user(user, |user| {
                        user.failed_logins = recent_failures(user, now);
                        user.failed_logins.push(now);
                        true
                    })
                    .await;
                if let Err(error) = recorded {
                    return unavailable(&error);
                }
            }
            if let Err(error) = auth
                .audit(failed("nama pengguna atau kata sandi salah"))
                .await
            {
                return unavailable(&error);
            }
            return invalid_credentials();
        }
    };

    if user.disabled {
        if let Err(error) = auth.audit(failed("akun dinonaktifkan")).await {
            return unavailable(&error);
        }
        return auth_error_response(&AuthError::Disabled);
    }
    let user = match auth
        .update_user(user, |user| {
            let had = !user.failed_logins.is_empty();
            user.failed_logins.clear();
            had
        })
        .await
    {
        Ok(user) => user,
        Err(error) => return unavailable(&error),
    };
    let tokens = match auth.issuer.issue(&user, now) {
        Ok(tokens) => tokens,
        Err(error) => return issue_failed(&error),
    };
    let entry = AuditEntry {
        action: "auth.login",
        actor: &user.username,
        role: user.role.as_str(),
        ip: ip.as_deref(),
        detail: None,
    };
    // No tokens without the audit line: the trail must show every way in.
    if let Err(error) = auth.audit(entry).await {
        return unavailable(&error);
    }
    Json(tokens).into_response()
}

async fn refresh(State(auth): State<Arc<LocalAuth>>, request: Request) -> Response {
    let (ip, body) = match read_json::<RefreshBody>(request).await {
        Ok(parsed) => parsed,
        Err(response) => return response,
    };
    let token = match auth
        .refresh_verifier
        .verify(&body.refresh_token, TokenUse::Refresh)
        .await
    {
        Ok(token) => token,
        Err(error) => return auth_error_response(&error),
    };
    // The row is read fresh (no cache): a disabled account or a new role takes effect here.
    let user = match auth.users.get_user(&token.username).await {
        Ok(Some(user)) => user,
        Ok(None) => return auth_error_response(&AuthError::Invalid("user removed".into())),
        Err(error) => return unavailable(&error),
    };
    if user.disabled {
        let entry = AuditEntry {
            action: "auth.login_failed",
            actor: &user.username,
            role: user.role.as_str(),
            ip: ip.as_deref(),
            detail: Some("akun dinonaktifkan (perpanjangan sesi)"),
        };
        if let Err(error) = auth.audit(entry).await {
            return unavailable(&error);
        }
        return auth_error_response(&AuthError::Disabled);
    }
    let tokens = match auth.issuer.issue(&user, auth.clock.now_ms()) {
        Ok(tokens) => tokens,
        Err(error) => return issue_failed(&error),
    };
    let entry = AuditEntry {
        action: "auth.refresh",
        actor: &user.username,
        role: user.role.as_str(),
        ip: ip.as_deref(),
        detail: None,
    };
    if let Err(error) = auth.audit(entry).await {
        return unavailable(&error);
    }
    Json(tokens).into_response()
}

async fn jwks(State(auth): State<Arc<LocalAuth>>) -> Response {
    let mut response = Json(auth.issuer.jwks()).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}
