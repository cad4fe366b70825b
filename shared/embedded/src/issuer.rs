//! The local issuer's signing key: an ES256 (P-256) key made on the first start and kept in
//! the data folder, readable by the owner only, like the WhatsApp secrets. Deleting the file
//! makes a new key on the next start, which signs everyone out.

use std::path::Path;

use anyhow::Context;
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use rand::RngCore;

use prolink_app::api::auth::LocalTokenIssuer;

/// PKCS#8 PEM in the data folder.
pub const SIGNING_KEY_FILE: &str = "auth-signing-key.pem";

/// A fresh P-256 private key as PKCS#8 PEM.
pub fn generate_signing_key_pem() -> anyhow::Result<String> {
    // 32 random bytes are a valid scalar except with probability ~2^-32; retry the rest.
    for _ in 0..8 {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        if let Ok(secret) = p256::SecretKey::from_slice(&bytes) {
            let pem = secret
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|error| anyhow::anyhow!("encoding the signing key: {error}"))?;
            return Ok(pem.as_str().to_string());
        }
    }
    anyhow::bail!("could not draw a P-256 key")
}

/// The issuer over `<data_dir>/auth-signing-key.pem`, creating the key (mode 0600) on first
/// use.
pub fn load_or_create_issuer(data_dir: &Path) -> anyhow::Result<LocalTokenIssuer> {
    let path = data_dir.join(SIGNING_KEY_FILE);
    let pem = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let pem = generate_signing_key_pem()?;
            match crate::serve::write_private(&path, pem.as_bytes()) {
                Ok(()) => {
                    tracing::info!(path = %path.display(), "created the local sign-in key");
                    pem.into_bytes()
                }
                // Another process made it between our read and our write: use theirs.
                Err(_) if path.exists() => {
                    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?
                }
                Err(error) => return Err(error),
            }
        }
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    };
    LocalTokenIssuer::from_pkcs8_pem(&pem)
        .with_context(|| format!("{} is not a P-256 private key", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use prolink_app::api::auth::TokenIssuer;

    #[test]
    fn the_key_is_made_once_private_and_reused() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let first = load_or_create_issuer(dir.path())?;
        let second = load_or_create_issuer(dir.path())?;
        assert_eq!(first.kid(), second.kid());
        assert_eq!(first.jwks(), second.jwks());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SIGNING_KEY_FILE))?
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let other = tempfile::tempdir()?;
        assert_ne!(load_or_create_issuer(other.path())?.kid(), first.kid());
        Ok(())
    }

    #[test]
    fn a_damaged_key_file_is_an_error_not_a_new_key() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join(SIGNING_KEY_FILE), "not a key")?;
        assert!(load_or_create_issuer(dir.path()).is_err());
        Ok(())
    }
}
