//! The one validation path against Cognito-shaped RS256 tokens (keys served over HTTP by a
//! test server) and the attacks every JWT verifier must refuse.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use prolink_app::api::auth::{
    AuthError, Authenticator, JwtAuthenticator, JwtSettings, LocalTokenIssuer, Principal,
    TokenIssuer,
};
use prolink_app::ports::{Role, UserRecord, UserStore};

use super::memory::MemoryUsers;
use crate::support::ManualClock;

const REGION: &str = "ap-southeast-3";
const POOL: &str = "ap-southeast-3_TestPool";
const CLIENT: &str = "5testclientid";
const KID: &str = "cognito-test-kid-1";
const JWKS_PATH: &str = "/ap-southeast-3_TestPool/.well-known/jwks.json";
/// 2026-12-01T00:00:00Z.
const NOW_MS: i64 = 1_795_996_800_000;
const NOW_S: i64 = NOW_MS / 1000;

fn rsa_key() -> EncodingKey {
    let pem = include_bytes!("../fixtures/auth/test-only-cognito-rsa.pem");
    EncodingKey::from_rsa_pem(pem).expect("the test RSA key")
}

fn public_jwk(kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(&rsa_key(), Algorithm::RS256).expect("a public JWK");
    jwk.common.key_id = Some(kid.to_string());
    jwk
}

fn issuer() -> String {
    format!("https://cognito-idp.{REGION}.amazonaws.com/{POOL}")
}

/// Claims of a Cognito access token as the pool issues them.
fn access_claims(username: &str, groups: &[&str]) -> Value {
    json!({
        "sub": "8a1b2c3d-0000-4000-8000-000000000001",
        "cognito:groups": groups,
        "iss": issuer(),
        "version": 2,
        "client_id": CLIENT,
        "origin_jti": "3b4c",
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "auth_time": NOW_S - 60,
        "exp": NOW_S + 3600,
        "iat": NOW_S - 60,
        "jti": "4c5d",
        "username": username,
    })
}

fn sign(claims: &Value) -> String {
    sign_with_kid(claims, KID)
}

fn sign_with_kid(claims: &Value, kid: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_string());
    jsonwebtoken::encode(&header, claims, &rsa_key()).expect("signing")
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("json"))
}

fn user(name: &str, role: Role, opd_id: Option<&str>) -> UserRecord {
    UserRecord {
        username: name.to_string(),
        role,
        opd_id: opd_id.map(str::to_string),
        password_hash: None,
        disabled: false,
        failed_logins: Vec::new(),
        created_ms: NOW_MS,
        updated_ms: NOW_MS,
        version: 0,
    }
}

struct Cognito {
    server: MockServer,
    clock: Arc<ManualClock>,
    users: Arc<MemoryUsers>,
    auth: JwtAuthenticator,
}

impl Cognito {
    async fn jwks_requests(&self) -> usize {
        self.server
            .received_requests()
            .await
            .map(|requests| requests.len())
            .unwrap_or(0)
    }
}

async fn serve_jwks(server: &MockServer, keys: Vec<Jwk>, times: Option<u64>) {
    let mock = Mock::given(method("GET"))
        .and(path(JWKS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(JwkSet { keys }));
    match times {
        Some(n) => mock.up_to_n_times(n).mount(server).await,
        None => mock.mount(server).await,
    }
}

async fn cognito() -> Cognito {
    let server = MockServer::start().await;
    serve_jwks(&server, vec![public_jwk(KID)], None).await;
    cognito_on(server).await
}

async fn cognito_on(server: MockServer) -> Cognito {
    let clock = ManualClock::at(NOW_MS);
    let users = Arc::new(MemoryUsers::default());
    for record in [
        user("budi.opd", Role::Opd, Some("dinkes")),
        user("sari", Role::Operator, None),
    ] {
        users.put_user(&record).await.expect("seeding a user");
    }
    let mut settings = JwtSettings::cognito(REGION, POOL, CLIENT);
    settings.jwks_url = format!("{}{JWKS_PATH}", server.uri());
    let auth = JwtAuthenticator::over_http(
        settings,
        reqwest::Client::new(),
        users.clone(),
        clock.clone(),
    );
    Cognito {
        server,
        clock,
        users,
        auth,
    }
}

#[tokio::test]
async fn cognito_access_tokens_give_the_group_role_and_the_table_opd() {
    let cognito = cognito().await;
    let principal = cognito
        .auth
        .authenticate(&sign(&access_claims("budi.opd", &["opd"])))
        .await
        .expect("a valid opd token");
    assert_eq!(
        principal,
        Principal {
            username: "budi.opd".into(),
            role: Role::Opd,
            opd_id: Some("dinkes".into()),
        }
    );
    // Two groups by mistake: the larger role.
    let principal = cognito
        .auth
        .authenticate(&sign(&access_claims("sari", &["viewer", "operator"])))
        .await
        .expect("a valid operator token");
    assert_eq!(principal.role, Role::Operator);
    assert_eq!(principal.opd_id, None);

    // On AWS the pool is the account: no row is fine for roles without an OPD …
    let principal = cognito
        .auth
        .authenticate(&sign(&access_claims("admin.baru", &["admin"])))
        .await
        .expect("an admin without a row");
    assert_eq!((principal.role, principal.opd_id), (Role::Admin, None));
    // … but an opd user without a row has no OPD to be scoped to.
    let refused = cognito
        .auth
        .authenticate(&sign(&access_claims("opd.tanpa.baris", &["opd"])))
        .await;
    assert!(matches!(refused, Err(AuthError::Invalid(_))), "{refused:?}");
    // No group at all: no role.
    let refused = cognito
        .auth
        .authenticate(&sign(&access_claims("sari", &["other"])))
        .await;
    assert!(matches!(refused, Err(AuthError::Invalid(_))), "{refused:?}");
}

#[tokio::test]
async fn every_forged_or_misused_token_is_invalid() {
    let cognito = cognito().await;
    let good = access_claims("sari", &["operator"]);
    let valid = sign(&good);
    assert!(
        cognito.auth.authenticate(&valid).await.is_ok(),
        "the control token"
    );

    let with = |key: &str, value: Value| {
        let mut claims = good.clone();
        claims[key] = value;
        claims
    };
    let public_jwk_json = serde_json::to_vec(&public_jwk(KID)).expect("json");
    let modulus = match &public_jwk(KID).algorithm {
        jsonwebtoken::jwk::AlgorithmParameters::RSA(rsa) => rsa.n.clone(),
        _ => unreachable!("an RSA key"),
    };
    let hs256_with = |secret: &[u8]| {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(KID.to_string());
        jsonwebtoken::encode(
            &header,
            &good,
            &EncodingKey::from_secret(secret).expect("hmac key"),
        )
        .expect("signing")
    };
    let parts: Vec<&str> = valid.split('.').collect();
    let edited = format!(
        "{}.{}.{}",
        parts[0],
        b64(&with("cognito:groups", json!(["admin"]))),
        parts[2]
    );
    let local = prolink_embedded::issuer::generate_signing_key_pem().expect("an EC key");
    let local = LocalTokenIssuer::from_pkcs8_pem(local.as_bytes()).expect("a local issuer");
    let es256_with_cognito_kid = {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(KID.to_string());
        let der = prolink_embedded::issuer::generate_signing_key_pem().expect("an EC key");
        jsonwebtoken::encode(
            &header,
            &good,
            &EncodingKey::from_ec_pem(der.as_bytes()).expect("ec key"),
        )
        .expect("signing")
    };
    let local_token = local
        .issue(&user("sari", Role::Operator, None), NOW_MS)
        .expect("local tokens")
        .access_token;

    let attacks: Vec<(&str, String)> = vec![
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "kid": KID, "typ": "JWT"})),
                b64(&good)
            ),
        ),
        (
            "alg none with the real signature",
            format!(
                "{}.{}.{}",
                b64(&json!({"alg": "none", "kid": KID})),
                parts[1],
                parts[2]
            ),
        ),
        (
            "HS256 keyed with the public JWK",
            hs256_with(&public_jwk_json),
        ),
        (
            "HS256 keyed with the modulus",
            hs256_with(modulus.as_bytes()),
        ),
        (
            "HS256 keyed with the modulus bytes",
            hs256_with(&URL_SAFE_NO_PAD.decode(&modulus).expect("b64")),
        ),
        ("ES256 under the RSA key's kid", es256_with_cognito_kid),
        ("expired", sign(&with("exp", json!(NOW_S - 31)))),
        (
            "another pool",
            sign(&with(
                "iss",
                json!(format!(
                    "https://cognito-idp.{REGION}.amazonaws.com/{REGION}_Other"
                )),
            )),
        ),
        (
            "another app client",
            sign(&with("client_id", json!("otherclient"))),
        ),
        ("no client", {
            let mut claims = good.clone();
            claims.as_object_mut().expect("object").remove("client_id");
            sign(&claims)
        }),
        ("edited payload", edited),
        ("id token", sign(&with("token_use", json!("id")))),
        (
            "refresh token as access",
            sign(&with("token_use", json!("refresh"))),
        ),
        ("no token_use", {
            let mut claims = good.clone();
            claims.as_object_mut().expect("object").remove("token_use");
            sign(&claims)
        }),
        ("unknown kid", sign_with_kid(&good, "someone-elses-kid")),
        ("no kid", {
            jsonwebtoken::encode(&Header::new(Algorithm::RS256), &good, &rsa_key())
                .expect("signing")
        }),
        ("a local token", local_token),
        ("garbage", "not.a.token".to_string()),
        ("empty", String::new()),
        ("oversized", format!("{valid}{}", "A".repeat(10_000))),
    ];
    for (name, token) in attacks {
        let outcome = cognito.auth.authenticate(&token).await;
        assert!(
            matches!(outcome, Err(AuthError::Invalid(_))),
            "{name}: expected Invalid, got {outcome:?}"
        );
    }
}

#[tokio::test]
async fn expiry_follows_the_injected_clock_with_a_small_leeway() {
    let cognito = cognito().await;
    let token = sign(&with_exp(NOW_S + 60));
    assert!(cognito.auth.authenticate(&token).await.is_ok());
    cognito.clock.advance(Duration::from_secs(60 + 29));
    assert!(
        cognito.auth.authenticate(&token).await.is_ok(),
        "inside the leeway"
    );
    cognito.clock.advance(Duration::from_secs(2));
    let outcome = cognito.auth.authenticate(&token).await;
    assert!(matches!(outcome, Err(AuthError::Invalid(_))), "{outcome:?}");
}

fn with_exp(exp: i64) -> Value {
    let mut claims = access_claims("sari", &["operator"]);
    claims["exp"] = json!(exp);
    claims
}

#[tokio::test]
async fn a_new_kid_refetches_the_key_set_but_not_more_than_twice_a_minute() {
    let server = MockServer::start().await;
    // First answer: the old key only; afterwards the rotated set.
    serve_jwks(&server, vec![public_jwk(KID)], Some(1)).await;
    serve_jwks(
        &server,
        vec![public_jwk(KID), public_jwk("rotated-kid")],
        None,
    )
    .await;
    let cognito = cognito_on(server).await;
    let claims = access_claims("sari", &["operator"]);

    assert!(cognito.auth.authenticate(&sign(&claims)).await.is_ok());
    assert_eq!(cognito.jwks_requests().await, 1);
    assert!(cognito.auth.authenticate(&sign(&claims)).await.is_ok());
    assert_eq!(
        cognito.jwks_requests().await,
        1,
        "known kids come from the cache"
    );

    // Right after a fetch an unknown kid does not reach Cognito again.
    let rotated = sign_with_kid(&claims, "rotated-kid");
    assert!(cognito.auth.authenticate(&rotated).await.is_err());
    assert_eq!(cognito.jwks_requests().await, 1);

    cognito.clock.advance(Duration::from_secs(31));
    assert!(cognito.auth.authenticate(&rotated).await.is_ok());
    assert_eq!(cognito.jwks_requests().await, 2);

    // A stream of made-up kids costs at most one fetch per interval.
    for n in 0..20 {
        let outcome = cognito
            .auth
            .authenticate(&sign_with_kid(&claims, &format!("made-up-{n}")))
            .await;
        assert!(matches!(outcome, Err(AuthError::Invalid(_))), "{outcome:?}");
    }
    assert_eq!(cognito.jwks_requests().await, 2);
}

#[tokio::test]
async fn an_unreachable_key_set_is_a_backend_error_not_an_invalid_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let cognito = cognito_on(server).await;
    let outcome = cognito
        .auth
        .authenticate(&sign(&access_claims("sari", &["operator"])))
        .await;
    assert!(matches!(outcome, Err(AuthError::Backend(_))), "{outcome:?}");
}

#[tokio::test]
async fn a_disabled_user_is_refused_within_the_cache_lifetime() {
    let cognito = cognito().await;
    let token = sign(&with_exp(NOW_S + 3600));
    assert!(cognito.auth.authenticate(&token).await.is_ok());
    let reads = cognito.users.gets();
    assert!(cognito.auth.authenticate(&token).await.is_ok());
    assert_eq!(cognito.users.gets(), reads, "the row is cached");

    cognito.users.edit("sari", |user| user.disabled = true);
    cognito.clock.advance(Duration::from_secs(61));
    let outcome = cognito.auth.authenticate(&token).await;
    assert!(matches!(outcome, Err(AuthError::Disabled)), "{outcome:?}");
}
