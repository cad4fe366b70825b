//! Who is calling: every `/api` request carries `Authorization: Bearer <JWT>`, verified here
//! against a JWKS (Cognito's user pool on AWS, the local issuer at home) by the same code.

use async_trait::async_trait;
use serde::Serialize;

use crate::ports::{PortError, Role};

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
