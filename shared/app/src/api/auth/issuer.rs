//! The local issuer: `prolink serve` signs its own ES256 tokens (no Cognito at home). The key
//! file lives in the data folder (`prolink_embedded::issuer`); signing lives here so the login
//! routes only see [`TokenIssuer`].

use std::time::Duration;

use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use super::jwt::{JwtSettings, RoleSource, TokenUse};
use crate::ports::UserRecord;

/// `iss` of local tokens.
pub const LOCAL_ISSUER: &str = "urn:prolink-sakti:local";
/// `client_id` and `aud` of local tokens.
pub const LOCAL_CLIENT_ID: &str = "prolink-dashboard";
/// Where `prolink serve` publishes the key set (see [`super::routes::local_routes`]).
pub const LOCAL_JWKS_PATH: &str = "/api/auth/jwks.json";

pub const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(15 * 60);
pub const REFRESH_TOKEN_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// The answer of a sign-in or a refresh.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds the access token lives.
    pub expires_in: u64,
}

impl std::fmt::Debug for IssuedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedTokens")
            .field("access_token", &"<redacted>")
            .field("refresh_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// Signing failed: a broken key, never the caller's fault.
#[derive(Debug, thiserror::Error)]
#[error("token signing failed: {0}")]
pub struct IssueError(String);

/// Mints tokens for a user the login routes have already checked.
pub trait TokenIssuer: Send + Sync {
    fn issue(&self, user: &UserRecord, now_ms: i64) -> Result<IssuedTokens, IssueError>;
    /// The public keys verifying what [`TokenIssuer::issue`] signs.
    fn jwks(&self) -> JwkSet;
    /// What a verifier must require of these tokens.
    fn verifier_settings(&self) -> JwtSettings;
}

#[derive(Serialize)]
struct LocalClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    username: &'a str,
    client_id: &'a str,
    aud: &'a str,
    token_use: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    iat: i64,
    exp: i64,
    jti: String,
}

/// ES256 issuer over one P-256 key.
pub struct LocalTokenIssuer {
    key: EncodingKey,
    kid: String,
    public: Jwk,
}

impl std::fmt::Debug for LocalTokenIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTokenIssuer")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl LocalTokenIssuer {
    /// From a PKCS#8 DER P-256 private key. The key id is the key's RFC 7638 thumbprint, so a
    /// new key file means a new kid and old tokens stop verifying.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, IssueError> {
        Self::from_key(EncodingKey::from_ec_der(der))
    }

    fn from_key(key: EncodingKey) -> Result<Self, IssueError> {
        let mut public = Jwk::from_encoding_key(&key, Algorithm::ES256)
            .map_err(|error| IssueError(format!("not a P-256 key: {error}")))?;
        let kid = public
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|error| IssueError(error.to_string()))?;
        public.common.key_id = Some(kid.clone());
        public.common.public_key_use = Some(PublicKeyUse::Signature);
        Ok(Self { key, kid, public })
    }

    /// From a PEM `PRIVATE KEY` (PKCS#8) P-256 key, as `prolink serve` keeps it.
    pub fn from_pkcs8_pem(pem: &[u8]) -> Result<Self, IssueError> {
        let key = EncodingKey::from_ec_pem(pem)
            .map_err(|error| IssueError(format!("not a PKCS#8 PEM key: {error}")))?;
        Self::from_key(key)
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    fn sign(
        &self,
        user: &UserRecord,
        token_use: TokenUse,
        now_ms: i64,
        ttl: Duration,
    ) -> Result<String, IssueError> {
        let iat = now_ms.div_euclid(1000);
        let ttl_s = i64::try_from(ttl.as_secs()).unwrap_or(0);
        let claims = LocalClaims {
            iss: LOCAL_ISSUER,
            sub: &user.username,
            username: &user.username,
            client_id: LOCAL_CLIENT_ID,
            aud: LOCAL_CLIENT_ID,
            token_use: token_use.as_str(),
            // A refresh token carries no role: the refresh reads the row again.
            role: (token_use == TokenUse::Access).then(|| user.role.as_str()),
            iat,
            exp: iat.saturating_add(ttl_s),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|error| IssueError(error.to_string()))
    }
}

impl TokenIssuer for LocalTokenIssuer {
    fn issue(&self, user: &UserRecord, now_ms: i64) -> Result<IssuedTokens, IssueError> {
        Ok(IssuedTokens {
            access_token: self.sign(user, TokenUse::Access, now_ms, ACCESS_TOKEN_TTL)?,
            refresh_token: self.sign(user, TokenUse::Refresh, now_ms, REFRESH_TOKEN_TTL)?,
            token_type: "Bearer",
            expires_in: ACCESS_TOKEN_TTL.as_secs(),
        })
    }

    fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.public.clone()],
        }
    }

    fn verifier_settings(&self) -> JwtSettings {
        JwtSettings {
            jwks_url: LOCAL_JWKS_PATH.to_string(),
            issuer: LOCAL_ISSUER.to_string(),
            client_id: LOCAL_CLIENT_ID.to_string(),
            role_source: RoleSource::RoleClaim,
            // Locally the table is the whole account.
            allow_users_without_record: false,
            leeway: Duration::from_secs(5),
            user_cache_ttl: Duration::from_secs(60),
        }
    }
}
