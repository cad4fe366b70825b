//! Who is calling: every `/api` request carries `Authorization: Bearer <JWT>`, verified here
//! against a JWKS (Cognito's user pool on AWS, the local issuer at home) by the same code.

use async_trait::async_trait;
use axum::http::{header, HeaderMap};
use serde::Serialize;

use crate::ports::{PortError, Role};

pub mod directory;
pub mod issuer;
pub mod jwks;
pub mod jwt;
pub mod password;
pub mod routes;
pub mod validate;

pub use directory::LocalUserDirectory;
pub use issuer::{IssueError, IssuedTokens, LocalTokenIssuer, TokenIssuer};
pub use jwks::{HttpJwks, JwksRefresh, JwksSource, StaticJwks};
pub use jwt::{JwtAuthenticator, JwtSettings, JwtVerifier, RoleSource, TokenUse, VerifiedToken};
pub use routes::{auth_error_response, error_response, local_routes, ApiErrorBody, LocalAuth};
pub use validate::{validate_password, validate_role_opd, validate_username, AccountRuleError};

/// A verified caller. `opd_id` comes from the user's record in the table, never from a
/// token claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub username: String,
    pub role: Role,
    pub opd_id: Option<String>,
}

/// Why a request is not signed in (401; the message is for operators).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("Silakan masuk terlebih dahulu.")]
    Missing,
    #[error("Sesi tidak sah atau sudah berakhir; silakan masuk lagi.")]
    Invalid(String),
    #[error("Akun ini dinonaktifkan; hubungi admin.")]
    Disabled,
    #[error("Layanan masuk sedang bermasalah; coba lagi sebentar.")]
    Backend(#[from] PortError),
}

/// Verifies a bearer token and says who it belongs to.
#[async_trait]
pub trait Authenticator: Send + Sync {
    async fn authenticate(&self, bearer_token: &str) -> Result<Principal, AuthError>;
}

/// The token of an `Authorization: Bearer <token>` header: `Missing` without the header,
/// `Invalid` for another scheme or an empty token.
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, AuthError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(AuthError::Missing)?
        .to_str()
        .map_err(|_| AuthError::Invalid("authorization header is not text".into()))?;
    let (scheme, token) = value
        .trim()
        .split_once(' ')
        .ok_or_else(|| AuthError::Invalid("authorization header has no scheme".into()))?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(AuthError::Invalid("not a bearer token".into()));
    }
    Ok(token)
}

/// [`bearer_token`] then [`Authenticator::authenticate`]: what a route's extractor calls.
pub async fn authenticate_headers(
    auth: &dyn Authenticator,
    headers: &HeaderMap,
) -> Result<Principal, AuthError> {
    auth.authenticate(bearer_token(headers)?).await
}
