//! The one validation path: Cognito's access tokens on AWS and the local issuer's tokens at
//! home go through [`JwtVerifier`]. Signatures are `jsonwebtoken`'s; this module only decides
//! which key and which algorithm a token may use and what its claims must say.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::jwks::{HttpJwks, JwksRefresh, JwksSource};
use super::{AuthError, Authenticator, Principal};
use crate::ports::{Clock, Role, UserStore};

/// Where a token's role comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleSource {
    /// Cognito: the user's groups (`cognito:groups`), via [`Role::from_groups`].
    CognitoGroups,
    /// The local issuer: its own `role` claim.
    RoleClaim,
}

/// What a token must be to be accepted.
#[derive(Debug, Clone)]
pub struct JwtSettings {
    /// Where [`JwtAuthenticator::over_http`] fetches the keys.
    pub jwks_url: String,
    /// Exact `iss`.
    pub issuer: String,
    /// The app client: the `client_id` claim (Cognito access tokens), or `aud` when a token
    /// has no `client_id`.
    pub client_id: String,
    pub role_source: RoleSource,
    /// Whether a verified user without a row in the users table may in (on AWS the pool is
    /// the account; the table only adds the OPD). Never for the `opd` role, whose OPD would
    /// be unknown.
    pub allow_users_without_record: bool,
    /// Clock skew tolerated on `exp`.
    pub leeway: Duration,
    /// How long a user's `disabled`/`opd_id` is reused before the table is read again.
    pub user_cache_ttl: Duration,
}

impl JwtSettings {
    /// Cognito user pool access tokens.
    pub fn cognito(region: &str, user_pool_id: &str, client_id: &str) -> Self {
        let issuer = format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}");
        Self {
            jwks_url: format!("{issuer}/.well-known/jwks.json"),
            issuer,
            client_id: client_id.to_string(),
            role_source: RoleSource::CognitoGroups,
            allow_users_without_record: true,
            leeway: Duration::from_secs(30),
            user_cache_ttl: Duration::from_secs(60),
        }
    }
}

/// Access tokens call the API; refresh tokens only buy new access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    Access,
    Refresh,
}

impl TokenUse {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenUse::Access => "access",
            TokenUse::Refresh => "refresh",
        }
    }
}

/// What a verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    pub username: String,
    /// From the groups or the claim; `None` when the token names none (an access token
    /// without one is refused by [`JwtAuthenticator`]).
    pub role: Option<Role>,
    /// `exp`, Unix seconds.
    pub expires_at_s: i64,
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    exp: i64,
    token_use: String,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    aud: Option<serde_json::Value>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default, rename = "cognito:groups")]
    groups: Vec<String>,
    #[serde(default)]
    role: Option<String>,
}

/// Longest token looked at; a JWT of ours is well under 2 KiB.
const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Verifies signature, issuer, client, expiry and `token_use` of a token against a JWKS.
pub struct JwtVerifier {
    settings: JwtSettings,
    jwks: Arc<dyn JwksSource>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

fn invalid(reason: impl Into<String>) -> AuthError {
    AuthError::Invalid(reason.into())
}

/// The one algorithm a key may be used with. The JWK decides, never the token's header:
/// that is what stops `alg: none` and HS256-signed-with-the-public-key.
fn algorithm_of(jwk: &Jwk) -> Result<Algorithm, AuthError> {
    let natural = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(params) if params.curve == EllipticCurve::P256 => {
            Algorithm::ES256
        }
        _ => return Err(invalid("key type not accepted")),
    };
    match jwk.common.key_algorithm {
        None => Ok(natural),
        Some(KeyAlgorithm::RS256) if natural == Algorithm::RS256 => Ok(natural),
        Some(KeyAlgorithm::ES256) if natural == Algorithm::ES256 => Ok(natural),
        Some(other) => Err(invalid(format!("key algorithm {other} not accepted"))),
    }
}

impl JwtVerifier {
    pub fn new(settings: JwtSettings, jwks: Arc<dyn JwksSource>, clock: Arc<dyn Clock>) -> Self {
        Self {
            settings,
            jwks,
            clock,
        }
    }

    pub fn settings(&self) -> &JwtSettings {
        &self.settings
    }

    pub async fn verify(
        &self,
        token: &str,
        expected: TokenUse,
    ) -> Result<VerifiedToken, AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(invalid("token too long"));
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|error| invalid(format!("header: {error}")))?;
        let kid = header.kid.as_deref().ok_or_else(|| invalid("no kid"))?;
        let jwk = self
            .jwks
            .key(kid)
            .await?
            .ok_or_else(|| invalid("unknown kid"))?;
        let algorithm = algorithm_of(&jwk)?;
        let key = DecodingKey::from_jwk(&jwk).map_err(|error| invalid(format!("key: {error}")))?;

        let mut validation = Validation::new(algorithm);
        // Expiry is checked below against the injected clock, not the library's system time.
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "iss"]);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_audience(&[&self.settings.client_id]);
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map_err(|error| invalid(format!("token: {error}")))?
            .claims;

        if claims.iss != self.settings.issuer {
            return Err(invalid("issuer"));
        }
        let now_s = self.clock.now_ms().div_euclid(1000);
        let leeway = i64::try_from(self.settings.leeway.as_secs()).unwrap_or(0);
        if claims.exp.saturating_add(leeway) <= now_s {
            return Err(invalid("expired"));
        }
        if claims.token_use != expected.as_str() {
            return Err(invalid(format!("token_use {}", claims.token_use)));
        }
        match (&claims.client_id, &claims.aud) {
            (Some(client_id), _) if *client_id == self.settings.client_id => {}
            // `aud` was already matched against the client id by the library.
            (None, Some(_)) => {}
            _ => return Err(invalid("client")),
        }
        let username = claims
            .username
            .filter(|name| !name.is_empty())
            .ok_or_else(|| invalid("no username"))?;
        let role = match self.settings.role_source {
            RoleSource::CognitoGroups => {
                Role::from_groups(claims.groups.iter().map(String::as_str))
            }
            RoleSource::RoleClaim => claims.role.as_deref().and_then(Role::parse),
        };
        Ok(VerifiedToken {
            username,
            role,
            expires_at_s: claims.exp,
        })
    }
}

#[derive(Clone)]
struct CachedUser {
    read_ms: i64,
    /// `None`: no row in the table.
    row: Option<(bool, Option<String>)>,
}

/// Entries beyond which expired ones are swept (the table has a few hundred operators).
const USER_CACHE_SWEEP_AT: usize = 1024;

/// [`Authenticator`] for access tokens: [`JwtVerifier`] then the user's row (cached).
pub struct JwtAuthenticator {
    verifier: JwtVerifier,
    users: Arc<dyn UserStore>,
    clock: Arc<dyn Clock>,
    cache: Mutex<HashMap<String, CachedUser>>,
}

impl std::fmt::Debug for JwtAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtAuthenticator")
            .field("verifier", &self.verifier)
            .finish_non_exhaustive()
    }
}

impl JwtAuthenticator {
    pub fn new(
        settings: JwtSettings,
        jwks: Arc<dyn JwksSource>,
        users: Arc<dyn UserStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            verifier: JwtVerifier::new(settings, jwks, clock.clone()),
            users,
            clock,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Keys fetched from `settings.jwks_url` (Cognito) with the default refresh policy.
    pub fn over_http(
        settings: JwtSettings,
        client: reqwest::Client,
        users: Arc<dyn UserStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let jwks = Arc::new(HttpJwks::new(
            settings.jwks_url.clone(),
            client,
            clock.clone(),
            JwksRefresh::default(),
        ));
        Self::new(settings, jwks, users, clock)
    }

    /// `(disabled, opd_id)` of the user's row, `None` without one; reused for the cache TTL.
    async fn user_row(&self, username: &str) -> Result<Option<(bool, Option<String>)>, AuthError> {
        let now = self.clock.now_ms();
        let ttl = i64::try_from(self.verifier.settings.user_cache_ttl.as_millis()).unwrap_or(0);
        if let Ok(cache) = self.cache.lock() {
            if let Some(entry) = cache.get(username) {
                if now.saturating_sub(entry.read_ms) < ttl && entry.read_ms <= now {
                    return Ok(entry.row.clone());
                }
            }
        }
        let row = self
            .users
            .get_user(username)
            .await?
            .map(|user| (user.disabled, user.opd_id));
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= USER_CACHE_SWEEP_AT {
                cache.retain(|_, entry| now.saturating_sub(entry.read_ms) < ttl);
            }
            cache.insert(
                username.to_string(),
                CachedUser {
                    read_ms: now,
                    row: row.clone(),
                },
            );
        }
        Ok(row)
    }
}

#[async_trait]
impl Authenticator for JwtAuthenticator {
    async fn authenticate(&self, bearer_token: &str) -> Result<Principal, AuthError> {
        let token = self.verifier.verify(bearer_token, TokenUse::Access).await?;
        let role = token.role.ok_or_else(|| invalid("no role"))?;
        let opd_id = match self.user_row(&token.username).await? {
            Some((true, _)) => return Err(AuthError::Disabled),
            Some((false, opd_id)) => opd_id,
            None if self.verifier.settings.allow_users_without_record && role != Role::Opd => None,
            None => return Err(invalid("no user record")),
        };
        // The OPD scopes what an `opd` user sees; for every other role it means nothing and
        // is dropped rather than trusted.
        let opd_id = match role {
            Role::Opd => Some(opd_id.ok_or_else(|| invalid("opd user without an OPD"))?),
            _ => None,
        };
        Ok(Principal {
            username: token.username,
            role,
            opd_id,
        })
    }
}
