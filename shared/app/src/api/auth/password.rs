//! Local passwords: argon2id with the crate's default parameters, in PHC strings. Hashing is
//! deliberately slow, so the async callers run it on the blocking pool.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;

use crate::ports::PortError;

/// The PHC string (`$argon2id$v=19$…`) of `password` with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, PortError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|error| PortError::Backend(format!("password hashing failed: {error}")))
}

/// Whether `password` matches `hash`. Without a hash (unknown user, or an account whose
/// password lives in Cognito) a dummy hash is checked instead, so the answer takes as long
/// as a real miss and does not tell which names exist.
pub fn verify_password(password: &str, hash: Option<&str>) -> bool {
    match hash {
        Some(hash) => Argon2::default()
            .verify_password(password.as_bytes(), hash)
            .is_ok(),
        None => {
            if let Some(dummy) = dummy_hash() {
                let _ = Argon2::default().verify_password(password.as_bytes(), dummy);
            }
            false
        }
    }
}

/// A hash of a random password nobody knows, made once with the current parameters so a
/// dummy check costs what a real one does.
fn dummy_hash() -> Option<&'static str> {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    DUMMY
        .get_or_init(|| hash_password(&uuid::Uuid::new_v4().to_string()).ok())
        .as_deref()
}

/// [`hash_password`] on the blocking pool.
pub async fn hash_password_async(password: String) -> Result<String, PortError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|error| PortError::Backend(format!("password hashing task: {error}")))?
}

/// [`verify_password`] on the blocking pool; a failed task is a mismatch.
pub async fn verify_password_async(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&password, hash.as_deref()))
        .await
        .unwrap_or(false)
}
