//! `prolink serve` as its own issuer: login, refresh, lockout, audit, key set.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use tower::ServiceExt;

use prolink_app::api::auth::routes::UNUSABLE_NAME_ACTOR;
use prolink_app::api::auth::{
    local_routes, AuthError, Authenticator, JwtAuthenticator, LocalAuth, LocalTokenIssuer,
    LocalUserDirectory, TokenIssuer,
};
use prolink_app::api::ClientIp;
use prolink_app::ports::{NewUser, Role, UserDirectory, UserPatch};

use super::memory::{MemoryAudit, MemoryUsers};
use crate::support::ManualClock;

const NOW_MS: i64 = 1_795_996_800_000;
const PASSWORD: &str = "kata-sandi-rahasia";
const RETENTION_DAYS: i64 = 730;

struct Local {
    clock: Arc<ManualClock>,
    users: Arc<MemoryUsers>,
    audit: Arc<MemoryAudit>,
    issuer: Arc<LocalTokenIssuer>,
    router: Router,
    auth: JwtAuthenticator,
}

async fn local() -> Local {
    let clock = ManualClock::at(NOW_MS);
    let users = Arc::new(MemoryUsers::default());
    let audit = Arc::new(MemoryAudit::default());
    let pem = prolink_embedded::issuer::generate_signing_key_pem().expect("a key");
    let issuer = Arc::new(LocalTokenIssuer::from_pkcs8_pem(pem.as_bytes()).expect("an issuer"));
    let directory = LocalUserDirectory::new(users.clone());
    for (name, role, opd) in [
        ("admin", Role::Admin, None),
        ("petugas.dinkes", Role::Opd, Some("dinkes")),
    ] {
        directory
            .create_user(
                &NewUser {
                    username: name.into(),
                    role,
                    opd_id: opd.map(str::to_string),
                    password: PASSWORD.into(),
                },
                NOW_MS,
            )
            .await
            .expect("creating a user");
    }
    let state = Arc::new(LocalAuth::new(
        issuer.clone(),
        users.clone(),
        audit.clone(),
        clock.clone(),
        RETENTION_DAYS,
    ));
    Local {
        auth: state.authenticator(),
        router: local_routes(state),
        clock,
        users,
        audit,
        issuer,
    }
}

impl Local {
    async fn post(&self, path: &str, body: impl Into<Body>) -> (StatusCode, Value) {
        let mut request = Request::post(path)
            .header("content-type", "application/json")
            .body(body.into())
            .expect("a request");
        request
            .extensions_mut()
            .insert(ClientIp("203.0.113.7".into()));
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let retry_after = response.headers().get("retry-after").cloned();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("a body");
        let mut body: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("{status}: not JSON: {}", String::from_utf8_lossy(&bytes)));
        if let Some(value) = retry_after {
            body["retry_after_header"] = json!(value.to_str().expect("ascii"));
        }
        (status, body)
    }

    async fn login(&self, username: &str, password: &str) -> (StatusCode, Value) {
        let body = json!({"username": username, "password": password}).to_string();
        self.post("/api/auth/login", body).await
    }
}

#[tokio::test]
async fn login_gives_tokens_that_the_api_accepts_and_refresh_renews_them() {
    let local = local().await;
    let (status, tokens) = local.login("petugas.dinkes", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    let access = tokens["access_token"].as_str().expect("access token");
    let refresh = tokens["refresh_token"].as_str().expect("refresh token");

    let principal = local
        .auth
        .authenticate(access)
        .await
        .expect("the access token");
    assert_eq!(principal.username, "petugas.dinkes");
    assert_eq!(principal.role, Role::Opd);
    assert_eq!(principal.opd_id.as_deref(), Some("dinkes"));

    // The refresh token is never an access token, and the other way round.
    let outcome = local.auth.authenticate(refresh).await;
    assert!(matches!(outcome, Err(AuthError::Invalid(_))), "{outcome:?}");
    let (status, body) = local
        .post(
            "/api/auth/refresh",
            json!({"refresh_token": access}).to_string(),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_token"))
    );

    // The access token lives 15 minutes, the refresh token longer.
    local.clock.advance(Duration::from_secs(16 * 60));
    let outcome = local.auth.authenticate(access).await;
    assert!(matches!(outcome, Err(AuthError::Invalid(_))), "{outcome:?}");
    let (status, renewed) = local
        .post(
            "/api/auth/refresh",
            json!({"refresh_token": refresh}).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    let renewed_access = renewed["access_token"].as_str().expect("access token");
    assert!(local.auth.authenticate(renewed_access).await.is_ok());

    // After 12 hours the refresh token is spent too.
    local.clock.advance(Duration::from_secs(12 * 60 * 60));
    let (status, _) = local
        .post(
            "/api/auth/refresh",
            json!({"refresh_token": refresh}).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let records = local.audit.records();
    let actions: Vec<&str> = records
        .iter()
        .map(|record| record.action.as_str())
        .collect();
    assert_eq!(actions, ["auth.login", "auth.refresh"]);
    let login = &records[0];
    assert_eq!(login.actor, "petugas.dinkes");
    assert_eq!(login.role, "opd");
    assert_eq!(login.ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(login.at_ms, NOW_MS);
    assert_eq!(
        login.expires_at_ms,
        NOW_MS + RETENTION_DAYS * 24 * 60 * 60 * 1000
    );
    let (millis, uuid) = login.id.split_once('-').expect("<ms>-<uuid>");
    assert_eq!(millis, format!("{NOW_MS:013}"));
    assert!(uuid::Uuid::parse_str(uuid).is_ok(), "{}", login.id);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let local = local().await;
    let wrong_password = local.login("admin", "bukan-kata-sandinya").await;
    let unknown_user = local.login("tidak.ada", PASSWORD).await;
    let impossible_name = local.login("Nama Yang Tidak Mungkin!", PASSWORD).await;
    assert_eq!(wrong_password.0, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password.1["code"], "invalid_credentials");
    assert_eq!(wrong_password, unknown_user);
    assert_eq!(wrong_password, impossible_name);

    let records = local.audit.records();
    let seen: Vec<(&str, &str, &str)> = records
        .iter()
        .map(|record| {
            (
                record.action.as_str(),
                record.actor.as_str(),
                record.role.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("auth.login_failed", "admin", "-"),
            ("auth.login_failed", "tidak.ada", "-"),
            ("auth.login_failed", UNUSABLE_NAME_ACTOR, "-"),
        ]
    );
    assert_eq!(
        local.users.user("admin").expect("admin").failed_logins,
        [NOW_MS]
    );
}

#[tokio::test]
async fn five_failures_in_fifteen_minutes_lock_the_account_until_the_window_passes() {
    let local = local().await;
    for _ in 0..5 {
        let (status, _) = local.login("admin", "salah-salah-salah").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        local.clock.advance(Duration::from_secs(60));
    }
    // Even the right password is not tried while locked.
    let (status, body) = local.login("admin", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["code"], "too_many_attempts");
    // The first failure leaves the window 15 min after it; 5 min have passed.
    assert_eq!(body["retry_after_header"], "600");
    assert_eq!(
        local.audit.actions().last().map(String::as_str),
        Some("auth.login_failed")
    );

    local.clock.advance(Duration::from_secs(10 * 60));
    let (status, body) = local.login("admin", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(local
        .users
        .user("admin")
        .expect("admin")
        .failed_logins
        .is_empty());
}

#[tokio::test]
async fn a_success_clears_the_earlier_failures() {
    let local = local().await;
    for _ in 0..4 {
        assert_eq!(
            local.login("admin", "salah-salah-salah").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        local
            .users
            .user("admin")
            .expect("admin")
            .failed_logins
            .len(),
        4
    );
    assert_eq!(local.login("admin", PASSWORD).await.0, StatusCode::OK);
    assert!(local
        .users
        .user("admin")
        .expect("admin")
        .failed_logins
        .is_empty());
    // Four more failures do not lock: the count started again.
    for _ in 0..4 {
        assert_eq!(
            local.login("admin", "salah-salah-salah").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(local.login("admin", PASSWORD).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_disabled_user_can_neither_log_in_nor_refresh_nor_call_the_api() {
    let local = local().await;
    let (_, tokens) = local.login("admin", PASSWORD).await;
    let access = tokens["access_token"].as_str().expect("access").to_string();
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();

    LocalUserDirectory::new(local.users.clone())
        .update_user(
            "admin",
            &UserPatch {
                disabled: Some(true),
                ..UserPatch::default()
            },
            NOW_MS,
        )
        .await
        .expect("disabling");

    let (status, body) = local.login("admin", PASSWORD).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("account_disabled"))
    );
    let (status, body) = local
        .post(
            "/api/auth/refresh",
            json!({"refresh_token": refresh}).to_string(),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("account_disabled"))
    );
    // The API sees it once the cached row is older than a minute.
    local.clock.advance(Duration::from_secs(61));
    let outcome = local.auth.authenticate(&access).await;
    assert!(matches!(outcome, Err(AuthError::Disabled)), "{outcome:?}");
}

#[tokio::test]
async fn bad_bodies_get_a_json_400_never_a_500() {
    let local = local().await;
    let huge = format!(
        r#"{{"username":"admin","password":"{}"}}"#,
        "x".repeat(100_000)
    );
    let bodies: Vec<(&str, String)> = vec![
        ("empty", String::new()),
        ("not json", "username=admin".into()),
        ("an array", "[]".into()),
        ("a field missing", r#"{"username":"admin"}"#.into()),
        (
            "a number for a name",
            r#"{"username":1,"password":"x"}"#.into(),
        ),
        (
            "unknown fields",
            r#"{"username":"admin","password":"x","role":"admin"}"#.into(),
        ),
        ("huge", huge),
        (
            "invalid utf-8",
            String::from_utf8_lossy(&[0xff, 0xfe]).into_owned(),
        ),
    ];
    for path in ["/api/auth/login", "/api/auth/refresh"] {
        for (name, body) in &bodies {
            let (status, answer) = local.post(path, body.clone()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {name}: {answer}");
            assert_eq!(answer["code"], "invalid_body", "{path} {name}");
            assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
    }
    let (status, answer) = local
        .post(
            "/api/auth/refresh",
            json!({"refresh_token": "bukan.token.sah"}).to_string(),
        )
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_token"))
    );
    // A very long password is refused without being hashed, with the ordinary answer.
    let long = "x".repeat(10_000);
    let (status, answer) = local.login("admin", &long).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
    );
}

#[tokio::test]
async fn the_key_set_is_published_and_names_the_signing_key() {
    let local = local().await;
    let response = local
        .router
        .clone()
        .oneshot(
            Request::get("/api/auth/jwks.json")
                .body(Body::empty())
                .expect("a request"),
        )
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("a body");
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_slice(&bytes).expect("a key set");
    assert_eq!(set, local.issuer.jwks());
    assert_eq!(set.keys.len(), 1);
    assert_eq!(
        set.keys[0].common.key_id.as_deref(),
        Some(local.issuer.kid())
    );
    let json: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(json["keys"][0]["kty"], "EC");
    assert_eq!(json["keys"][0]["crv"], "P-256");
    assert!(json["keys"][0].get("d").is_none(), "no private part");

    let (_, tokens) = local.login("admin", PASSWORD).await;
    let access = tokens["access_token"].as_str().expect("access");
    let header = jsonwebtoken::decode_header(access).expect("a header");
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    assert_eq!(header.kid.as_deref(), Some(local.issuer.kid()));
}

#[tokio::test]
async fn a_token_of_another_local_install_is_invalid() {
    let local = local().await;
    let other = local_other_issuer_token();
    let outcome = local.auth.authenticate(&other).await;
    assert!(matches!(outcome, Err(AuthError::Invalid(_))), "{outcome:?}");
}

fn local_other_issuer_token() -> String {
    let pem = prolink_embedded::issuer::generate_signing_key_pem().expect("a key");
    let other = LocalTokenIssuer::from_pkcs8_pem(pem.as_bytes()).expect("an issuer");
    let user = prolink_app::ports::UserRecord {
        username: "admin".into(),
        role: Role::Admin,
        opd_id: None,
        password_hash: None,
        disabled: false,
        failed_logins: Vec::new(),
        created_ms: NOW_MS,
        updated_ms: NOW_MS,
        version: 1,
    };
    other.issue(&user, NOW_MS).expect("tokens").access_token
}

#[tokio::test]
async fn login_lockout_and_audit_on_the_real_sqlite_store() {
    use prolink_app::ports::{AuditLog, AuditQuery, PageRequest, UserStore};
    use prolink_embedded::sqlite::{SqliteDb, SqliteStore};

    let dir = tempfile::tempdir().expect("a temp dir");
    let clock = ManualClock::at(NOW_MS);
    let db = SqliteDb::open(&dir.path().join("prolink.sqlite")).expect("a database");
    let store = Arc::new(SqliteStore::new(db, clock.clone()));
    LocalUserDirectory::new(store.clone())
        .create_user(
            &NewUser {
                username: "admin".into(),
                role: Role::Admin,
                opd_id: None,
                password: PASSWORD.into(),
            },
            NOW_MS,
        )
        .await
        .expect("creating a user");
    let issuer = prolink_embedded::issuer::load_or_create_issuer(dir.path()).expect("an issuer");
    let state = Arc::new(LocalAuth::new(
        Arc::new(issuer),
        store.clone(),
        store.clone(),
        clock.clone(),
        RETENTION_DAYS,
    ));
    let router = local_routes(state);
    let login = |password: &str| {
        let request = Request::post("/api/auth/login")
            .body(Body::from(
                json!({"username": "admin", "password": password}).to_string(),
            ))
            .expect("a request");
        router.clone().oneshot(request)
    };
    for _ in 0..5 {
        let response = login("salah-salah-salah").await.expect("infallible");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let stored = store.get_user("admin").await.expect("read").expect("admin");
    assert_eq!(stored.failed_logins.len(), 5);
    let response = login(PASSWORD).await.expect("infallible");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    clock.advance(Duration::from_secs(15 * 60));
    let response = login(PASSWORD).await.expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);

    let trail = store
        .query_audit(
            &AuditQuery {
                actor: Some("admin".into()),
                subject: None,
            },
            &PageRequest {
                limit: 20,
                after: None,
            },
        )
        .await
        .expect("the audit trail");
    let actions: Vec<&str> = trail
        .items
        .iter()
        .map(|record| record.action.as_str())
        .collect();
    assert_eq!(actions.len(), 7, "{actions:?}");
    assert_eq!(actions[0], "auth.login", "newest first");
    assert!(actions[1..]
        .iter()
        .all(|action| *action == "auth.login_failed"));
}

/// Whatever is typed as a name, a sign-in answers 401 and the real store records the attempt:
/// names that break the username rule (empty, oversized, spaces, control characters, a
/// password typed into the wrong field) are recorded under a placeholder, never as typed.
#[tokio::test]
async fn names_that_cannot_exist_are_refused_and_audited_without_the_typed_text() {
    use prolink_app::ports::{AuditLog, AuditQuery, PageRequest};
    use prolink_embedded::sqlite::{SqliteDb, SqliteStore};

    let dir = tempfile::tempdir().expect("a temp dir");
    let clock = ManualClock::at(NOW_MS);
    let db = SqliteDb::open(&dir.path().join("prolink.sqlite")).expect("a database");
    let store = Arc::new(SqliteStore::new(db, clock.clone()));
    let issuer = prolink_embedded::issuer::load_or_create_issuer(dir.path()).expect("an issuer");
    let router = local_routes(Arc::new(LocalAuth::new(
        Arc::new(issuer),
        store.clone(),
        store.clone(),
        clock.clone(),
        RETENTION_DAYS,
    )));
    let long = "a".repeat(10_000);
    let names = [
        "",
        "   ",
        long.as_str(),
        "nama dengan spasi",
        "kontrol\u{0}\u{7}",
        "Rahasia-Sandi-123!",
        "ab",
        "🙂🙂🙂",
    ];
    for name in names {
        let request = Request::post("/api/auth/login")
            .header("content-type", "application/json")
            .body(Body::from(
                json!({"username": name, "password": PASSWORD}).to_string(),
            ))
            .expect("a request");
        let response = router.clone().oneshot(request).await.expect("infallible");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{name:?}");
    }
    let trail = store
        .query_audit(
            &AuditQuery::default(),
            &PageRequest {
                limit: 50,
                after: None,
            },
        )
        .await
        .expect("the audit trail");
    assert_eq!(trail.items.len(), names.len());
    for record in &trail.items {
        assert_eq!(record.action, "auth.login_failed");
        assert_eq!(record.actor, UNUSABLE_NAME_ACTOR);
        let stored = serde_json::to_string(record).expect("json");
        assert!(!stored.contains("Rahasia-Sandi"), "{stored}");
    }
}
