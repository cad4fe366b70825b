//! Private file storage in a local folder (local mode and the simulator): the `BlobStore` of a
//! machine without S3.
//!
//! A key maps to the file `<root>/<key>`; its content type sits beside it in `<key>~type`.
//! `~` is outside the key alphabet, so no key can name another key's sidecar or a temporary
//! file. Writes go to a temporary file that is renamed into place, so a reader sees the old or
//! the new file, never half of one.
//!
//! Presigned URLs are relative (`/blobs/<key>?expires=…&sig=…`): the local server serves
//! them through [`router`], which checks them with [`LocalBlobStore::verify_presigned`].

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::{
    extract::{Path as UrlPath, Query, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;

use prolink_app::ports::{validate_key, BlobEraser, BlobStore, Clock, PortError, PortResult};

type HmacSha256 = Hmac<Sha256>;

/// Path of the presigned URLs; the route serving them is mounted here.
pub const PRESIGNED_PATH_PREFIX: &str = "/blobs/";
const TYPE_SUFFIX: &str = "~type";
const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// Why a presigned URL was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PresignError {
    #[error("the link has expired")]
    Expired,
    #[error("the link signature does not match")]
    BadSignature,
    #[error("the link names an invalid key")]
    InvalidKey,
}

/// `BlobStore` on a folder (for example `DATA/blobs/`).
pub struct LocalBlobStore {
    root: PathBuf,
    signing_key: Vec<u8>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for LocalBlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalBlobStore")
            .field("root", &self.root)
            .field("signing_key", &"<redacted>")
            .finish()
    }
}

impl LocalBlobStore {
    /// `root` is created on the first write. `signing_key` signs presigned URLs; keep it
    /// secret and stable across restarts, or links handed out before stop working.
    pub fn new(
        root: impl Into<PathBuf>,
        signing_key: impl Into<Vec<u8>>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        LocalBlobStore {
            root: root.into(),
            signing_key: signing_key.into(),
            clock,
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, key: &str) -> PortResult<PathBuf> {
        validate_key(key)?;
        Ok(self.root.join(key))
    }

    fn mac(&self, key: &str, expires: i64) -> HmacSha256 {
        let mut mac = match HmacSha256::new_from_slice(&self.signing_key) {
            Ok(mac) => mac,
            // HMAC takes keys of any length; this arm cannot be reached.
            Err(_) => HmacSha256::new(&Default::default()),
        };
        // The newline cannot occur in a key, so (key, expires) pairs cannot collide.
        mac.update(key.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// The hex signature of `key` valid until `expires` (Unix seconds).
    pub fn sign(&self, key: &str, expires: i64) -> String {
        hex::encode(self.mac(key, expires).finalize().into_bytes())
    }

    /// Checks the parts of a presigned URL at `now` (Unix seconds); the signature is compared
    /// in constant time.
    pub fn verify_presigned(
        &self,
        key: &str,
        expires: i64,
        sig: &str,
        now: i64,
    ) -> Result<(), PresignError> {
        if validate_key(key).is_err() {
            return Err(PresignError::InvalidKey);
        }
        let Ok(sig) = hex::decode(sig.trim()) else {
            return Err(PresignError::BadSignature);
        };
        self.mac(key, expires)
            .verify_slice(&sig)
            .map_err(|_| PresignError::BadSignature)?;
        if now > expires {
            return Err(PresignError::Expired);
        }
        Ok(())
    }
}

/// The query of a presigned URL.
#[derive(Debug, Deserialize)]
struct PresignedQuery {
    expires: i64,
    sig: String,
}

/// `GET /blobs/{key}?expires=…&sig=…`: the file behind a presigned URL (complaint photos on
/// the dashboard), 403 for a link that is forged or expired, 404 for a file that is gone. The
/// file is never run or sniffed as a page: its stored type, `nosniff` and a sandboxing CSP.
pub fn router(store: Arc<LocalBlobStore>) -> Router {
    Router::new()
        .route("/blobs/{*key}", get(serve_presigned))
        .with_state(store)
}

async fn serve_presigned(
    State(store): State<Arc<LocalBlobStore>>,
    UrlPath(key): UrlPath<String>,
    Query(query): Query<PresignedQuery>,
) -> Response {
    let now = store.clock.now_ms() / 1000;
    if store
        .verify_presigned(&key, query.expires, &query.sig, now)
        .is_err()
    {
        return StatusCode::FORBIDDEN.into_response();
    }
    match store.get_blob(&key).await {
        Ok(Some((bytes, content_type))) => {
            let content_type = HeaderValue::from_str(&content_type)
                .unwrap_or(HeaderValue::from_static(DEFAULT_CONTENT_TYPE));
            (
                [
                    (header::CONTENT_TYPE, content_type),
                    (
                        header::X_CONTENT_TYPE_OPTIONS,
                        HeaderValue::from_static("nosniff"),
                    ),
                    (
                        header::CONTENT_SECURITY_POLICY,
                        HeaderValue::from_static("default-src 'none'; sandbox"),
                    ),
                    (
                        header::CACHE_CONTROL,
                        HeaderValue::from_static("private, max-age=300"),
                    ),
                ],
                bytes,
            )
                .into_response()
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::warn!(%error, "presigned blob could not be read");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn io_error(what: &str, key: &str, error: std::io::Error) -> PortError {
    PortError::Backend(format!("blob {key:?}: {what}: {error}"))
}

fn type_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(TYPE_SUFFIX);
    PathBuf::from(name)
}

/// Writes `bytes` to a temporary file beside `path`, flushes it to disk and renames it over
/// `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut temp = path.as_os_str().to_owned();
    temp.push(format!("~tmp.{}", uuid::Uuid::new_v4().simple()));
    let temp = PathBuf::from(temp);
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> PortResult<T> + Send + 'static,
) -> PortResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| PortError::Backend(format!("blob task failed: {error}")))?
}

#[async_trait]
impl BlobStore for LocalBlobStore {
    async fn put_blob(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> PortResult<()> {
        let path = self.path_of(key)?;
        if content_type.len() > 255 || content_type.chars().any(char::is_control) {
            return Err(PortError::Invalid(format!(
                "blob {key:?}: content type must be ≤ 255 printable characters"
            )));
        }
        let key = key.to_owned();
        let content_type = content_type.to_owned();
        blocking(move || {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io_error("create folder", &key, e))?;
            }
            // Type first: whoever sees the new bytes also sees their type.
            write_atomically(&type_path(&path), content_type.as_bytes())
                .map_err(|e| io_error("write type", &key, e))?;
            write_atomically(&path, &bytes).map_err(|e| io_error("write", &key, e))
        })
        .await
    }

    async fn get_blob(&self, key: &str) -> PortResult<Option<(Vec<u8>, String)>> {
        let path = self.path_of(key)?;
        let key = key.to_owned();
        blocking(move || {
            if !path.is_file() {
                return Ok(None);
            }
            let bytes = match std::fs::read(&path) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(io_error("read", &key, e)),
            };
            let content_type = match std::fs::read_to_string(type_path(&path)) {
                Ok(text) if !text.trim().is_empty() => text.trim().to_owned(),
                Ok(_) => DEFAULT_CONTENT_TYPE.to_owned(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    DEFAULT_CONTENT_TYPE.to_owned()
                }
                Err(e) => return Err(io_error("read type", &key, e)),
            };
            Ok(Some((bytes, content_type)))
        })
        .await
    }

    async fn presign_get(&self, key: &str, ttl: Duration) -> PortResult<String> {
        validate_key(key)?;
        let ttl_secs = i64::try_from(ttl.as_secs())
            .ok()
            .filter(|secs| *secs > 0)
            .ok_or_else(|| PortError::Invalid("presign ttl must be ≥ 1 s".to_owned()))?;
        let expires = (self.clock.now_ms() / 1000).saturating_add(ttl_secs);
        let sig = self.sign(key, expires);
        Ok(format!(
            "{PRESIGNED_PATH_PREFIX}{key}?expires={expires}&sig={sig}"
        ))
    }
}

#[async_trait]
impl BlobEraser for LocalBlobStore {
    async fn delete_blob(&self, key: &str) -> PortResult<()> {
        let path = self.path_of(key)?;
        let key = key.to_owned();
        blocking(move || {
            // The content type file first: a crash in between leaves the bytes, which the
            // next sweep removes, never a type file without its blob.
            for file in [type_path(&path), path] {
                match std::fs::remove_file(&file) {
                    Ok(()) => {}
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                    Err(error) => return Err(io_error("delete", &key, error)),
                }
            }
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prolink_app::ports::MAX_KEY_BYTES;

    #[test]
    fn keys_are_checked() {
        for good in [
            "complaints/PS-7K3QX9/1003383421387256.jpg",
            "a",
            "a.b/c_d-e",
        ] {
            assert!(validate_key(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../b",
            "a/./b",
            "a//b",
            "a/",
            "a\\b",
            "a b",
            "a~type",
            "a?b",
            "a\nb",
        ] {
            assert!(
                matches!(validate_key(bad), Err(PortError::Invalid(_))),
                "{bad:?}"
            );
        }
        assert!(validate_key(&"a".repeat(MAX_KEY_BYTES + 1)).is_err());
    }

    #[tokio::test]
    async fn the_route_serves_a_presigned_file_and_refuses_a_forged_or_expired_link() {
        use axum::body::{to_bytes, Body};
        use axum::http::Request;
        use tower::ServiceExt;

        let folder = tempfile::tempdir().expect("temp dir");
        let clock: Arc<dyn Clock> = Arc::new(prolink_app::ports::SystemClock);
        let store = Arc::new(LocalBlobStore::new(
            folder.path(),
            b"secret".to_vec(),
            clock,
        ));
        store
            .put_blob("complaints/PS-7K3QX9/1.png", b"png".to_vec(), "image/png")
            .await
            .expect("put");
        let url = store
            .presign_get("complaints/PS-7K3QX9/1.png", Duration::from_secs(300))
            .await
            .expect("presign");
        let get = |uri: String| {
            router(store.clone()).oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        };
        let response = get(url.clone()).await.expect("response");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "image/png");
        assert_eq!(
            response.headers()[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff"
        );
        let body = to_bytes(response.into_body(), 1024).await.expect("body");
        assert_eq!(&body[..], b"png");
        let forged = url.replace("1.png", "2.png");
        assert_eq!(
            get(forged).await.expect("response").status(),
            StatusCode::FORBIDDEN
        );
        let expired = format!(
            "/blobs/complaints/PS-7K3QX9/1.png?expires=100&sig={}",
            store.sign("complaints/PS-7K3QX9/1.png", 100)
        );
        assert_eq!(
            get(expired).await.expect("response").status(),
            StatusCode::FORBIDDEN
        );
        store
            .delete_blob("complaints/PS-7K3QX9/1.png")
            .await
            .expect("delete");
        assert_eq!(
            get(url).await.expect("response").status(),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn signatures_depend_on_key_expiry_and_secret() {
        let clock: Arc<dyn Clock> = Arc::new(prolink_app::ports::SystemClock);
        let store = LocalBlobStore::new("unused", b"secret".to_vec(), clock.clone());
        let other = LocalBlobStore::new("unused", b"other".to_vec(), clock);
        let sig = store.sign("a/b.jpg", 100);
        assert_eq!(sig.len(), 64);
        assert_eq!(store.verify_presigned("a/b.jpg", 100, &sig, 100), Ok(()));
        assert_ne!(sig, store.sign("a/b.jpg", 101));
        assert_ne!(sig, store.sign("a/b.jp", 100));
        assert_ne!(sig, other.sign("a/b.jpg", 100));
        assert_eq!(
            store.verify_presigned("a/b.jpg", 100, &sig, 101),
            Err(PresignError::Expired)
        );
        assert_eq!(
            store.verify_presigned("a/b.jpg", 100, "zz", 0),
            Err(PresignError::BadSignature)
        );
    }
}
