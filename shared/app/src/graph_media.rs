//! WhatsApp Cloud API media download: the production `MediaSource`.
//!
//! Two requests per file (`GET /{version}/{media_id}` for a short-lived URL, then `GET url`),
//! both with the bearer token, as Meta requires. Only images are accepted (JPEG/PNG, 5 MB):
//! complaints carry photos, nothing else. The size is checked before the download from the
//! advertised `file_size` and `Content-Length`, and again while reading, so a server that lies
//! cannot make us buffer more than the limit plus one byte.
//!
//! Details of `Gone` and `Rejected` are in Indonesian because they end up, prefixed, in the
//! photo's `fetch_error` that operators read; `Transient` details are for logs only.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::graph::{GraphConfig, MetaError};
use crate::ports::{FetchedMedia, MediaError, MediaSource, SecretsProvider};

/// Meta's limit for images (JPEG/PNG).
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// The image types WhatsApp delivers and we keep.
pub const IMAGE_MIME_TYPES: [&str; 2] = ["image/jpeg", "image/png"];
/// One download of up to 5 MB; longer than the client's default, which is sized for the
/// small JSON calls.
pub const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest media id we put into a URL path (Meta's are ~16-20 digits).
const MAX_MEDIA_ID_CHARS: usize = 128;

const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8, 0xFF];
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Downloads complaint photos through the Graph API media endpoints (or the simulator's
/// Graph-compatible copy of them).
pub struct GraphMediaSource {
    base_url: String,
    api_version: String,
    secrets: Arc<dyn SecretsProvider>,
    http: reqwest::Client,
    max_bytes: usize,
    download_timeout: Duration,
}

impl GraphMediaSource {
    /// `base_url` without a version segment (`https://graph.facebook.com`), `api_version` as
    /// `v25.0` (a leading `v` is added when missing). Use [`super::graph::http_client`] for
    /// `http`: it follows no redirects, so the token never leaves for another host.
    pub fn new(
        base_url: impl Into<String>,
        api_version: impl Into<String>,
        secrets: Arc<dyn SecretsProvider>,
        http: reqwest::Client,
    ) -> Self {
        GraphMediaSource {
            base_url: base_url.into(),
            api_version: api_version.into(),
            secrets,
            http,
            max_bytes: MAX_IMAGE_BYTES,
            download_timeout: DOWNLOAD_TIMEOUT,
        }
    }

    /// The same Graph endpoint and version the messenger uses (the phone number id is not
    /// needed for media).
    pub fn from_config(
        config: &GraphConfig,
        secrets: Arc<dyn SecretsProvider>,
        http: reqwest::Client,
    ) -> Self {
        Self::new(
            config.base_url.clone(),
            config.api_version.clone(),
            secrets,
            http,
        )
    }

    /// Overrides the timeout of the file download.
    pub fn with_download_timeout(mut self, timeout: Duration) -> Self {
        self.download_timeout = timeout;
        self
    }

    /// `{base_url}/{version}/{media_id}`.
    pub fn media_url(&self, media_id: &str) -> String {
        let base = self.base_url.trim().trim_end_matches('/');
        let version = self.api_version.trim().trim_matches('/');
        if version.starts_with('v') {
            format!("{base}/{version}/{media_id}")
        } else {
            format!("{base}/v{version}/{media_id}")
        }
    }

    async fn access_token(&self) -> Result<String, MediaError> {
        let secrets = self.secrets.whatsapp().await.map_err(|error| {
            MediaError::Transient(format!("could not read the WhatsApp secrets: {error}"))
        })?;
        // A missing token is an operator's fix away: retry rather than give up on the photo.
        secrets
            .access_token
            .map(|token| token.trim().to_owned())
            .filter(|token| !token.is_empty())
            .ok_or_else(|| MediaError::Transient("no WhatsApp access token configured".to_owned()))
    }

    /// Step 1: where to download the file, checked against the image rules.
    async fn metadata(&self, media_id: &str, token: &str) -> Result<MediaInfo, MediaError> {
        let response = self
            .http
            .get(self.media_url(media_id))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|error| transport_error("media metadata", error))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|error| {
            MediaError::Transient(format!(
                "HTTP {status} but the media metadata could not be read: {}",
                error.without_url()
            ))
        })?;
        if !status.is_success() {
            return Err(metadata_error(status, &body));
        }
        let info: MediaInfo = serde_json::from_slice(&body).map_err(|error| {
            MediaError::Transient(format!("unexpected media metadata response: {error}"))
        })?;
        if info.url.trim().is_empty() {
            return Err(MediaError::Transient(
                "media metadata without a download url".to_owned(),
            ));
        }
        let mime_type = image_type(&info.mime_type).ok_or_else(|| {
            MediaError::Rejected(format!(
                "jenis berkas {} tidak didukung (hanya JPEG atau PNG)",
                shown(&info.mime_type)
            ))
        })?;
        if let Some(size) = advertised_size(&info) {
            if size > self.max_bytes as u64 {
                return Err(too_large(size));
            }
        }
        Ok(MediaInfo {
            mime_type: mime_type.to_owned(),
            ..info
        })
    }

    /// Step 2: the bytes, read up to the limit plus one byte.
    async fn download(&self, info: &MediaInfo, token: &str) -> Result<Download, DownloadError> {
        let url = info.url.trim();
        // A plain-HTTP download link from an HTTPS Graph would expose the token.
        if self.base_url.trim().starts_with("https://") && !url.starts_with("https://") {
            return Err(DownloadError::Media(MediaError::Transient(
                "the media download url is not https".to_owned(),
            )));
        }
        let mut response = self
            .http
            .get(url)
            .bearer_auth(token)
            .timeout(self.download_timeout)
            .send()
            .await
            .map_err(|error| DownloadError::Media(transport_error("media download", error)))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(DownloadError::UrlExpired);
        }
        if !status.is_success() {
            return Err(DownloadError::Media(download_status_error(status)));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        if let Some(length) = response.content_length() {
            if length > self.max_bytes as u64 {
                return Err(DownloadError::Media(too_large(length)));
            }
        }
        let cap = self.max_bytes + 1;
        let mut bytes = Vec::with_capacity(
            response
                .content_length()
                .map_or(64 * 1024, |length| length as usize)
                .min(cap),
        );
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| DownloadError::Media(transport_error("media download body", error)))?
        {
            let room = cap - bytes.len();
            bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if bytes.len() > self.max_bytes {
                return Err(DownloadError::Media(MediaError::Rejected(format!(
                    "ukuran berkas melebihi batas {} MB",
                    self.max_bytes / (1024 * 1024)
                ))));
            }
        }
        Ok(Download {
            bytes,
            content_type,
        })
    }
}

#[async_trait]
impl MediaSource for GraphMediaSource {
    async fn fetch(
        &self,
        media_id: &str,
        expected_sha256: Option<&str>,
    ) -> Result<FetchedMedia, MediaError> {
        if !plausible_media_id(media_id) {
            return Err(MediaError::Gone(
                "id media tidak valid untuk WhatsApp".to_owned(),
            ));
        }
        let token = self.access_token().await?;
        let mut info = self.metadata(media_id, &token).await?;
        let download = match self.download(&info, &token).await {
            Ok(download) => download,
            Err(DownloadError::UrlExpired) => {
                // The URL lives 5 minutes; a fresh one is the documented remedy, once.
                tracing::info!(media_id, "media url expired, asking Graph for a fresh one");
                info = self.metadata(media_id, &token).await?;
                match self.download(&info, &token).await {
                    Ok(download) => download,
                    Err(DownloadError::UrlExpired) => {
                        // Meta's advice for a second failure is to renew the token.
                        return Err(MediaError::Transient(
                            "the media download answered 404 twice".to_owned(),
                        ));
                    }
                    Err(DownloadError::Media(error)) => return Err(error),
                }
            }
            Err(DownloadError::Media(error)) => return Err(error),
        };
        let mime_type = settle_type(&info.mime_type, download.content_type.as_deref())?;
        check_magic(mime_type, &download.bytes)?;
        let digest: [u8; 32] = Sha256::digest(&download.bytes).into();
        for expected in [expected_sha256, info.sha256.as_deref()]
            .into_iter()
            .flatten()
        {
            check_hash(&digest, expected)?;
        }
        if let Some(advertised) = advertised_size(&info) {
            if advertised != download.bytes.len() as u64 {
                tracing::warn!(
                    media_id,
                    advertised,
                    actual = download.bytes.len(),
                    "media size differs from the advertised file_size"
                );
            }
        }
        Ok(FetchedMedia {
            bytes: download.bytes,
            mime_type: mime_type.to_owned(),
            sha256_hex: hex::encode(digest),
        })
    }
}

/// `GET /{version}/{media_id}` as Meta answers it.
#[derive(Debug, Clone, Deserialize)]
struct MediaInfo {
    url: String,
    #[serde(default)]
    mime_type: String,
    #[serde(default)]
    sha256: Option<String>,
    #[serde(default)]
    file_size: Option<Value>,
}

/// Meta documents `file_size` as a string; a number is accepted too.
fn advertised_size(info: &MediaInfo) -> Option<u64> {
    match info.file_size.as_ref()? {
        Value::Number(size) => size.as_u64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

struct Download {
    bytes: Vec<u8>,
    content_type: Option<String>,
}

enum DownloadError {
    /// 404 on the download URL: it expired (5 minutes), ask for a fresh one.
    UrlExpired,
    Media(MediaError),
}

/// Media ids are decimal at Meta; anything outside a safe alphabet could change the URL path.
fn plausible_media_id(media_id: &str) -> bool {
    !media_id.is_empty()
        && media_id.len() <= MAX_MEDIA_ID_CHARS
        && media_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The accepted image type named by a `Content-Type`/`mime_type` value, parameters ignored.
pub fn image_type(value: &str) -> Option<&'static str> {
    let essence = value.split(';').next().unwrap_or_default().trim();
    IMAGE_MIME_TYPES
        .into_iter()
        .find(|allowed| allowed.eq_ignore_ascii_case(essence))
}

/// The file extension stored for an accepted image type.
pub fn extension_for(mime_type: &str) -> Option<&'static str> {
    match image_type(mime_type)? {
        "image/png" => Some("png"),
        _ => Some("jpg"),
    }
}

/// Metadata type and download `Content-Type` must agree; a download without a type (or with
/// a generic binary one, which says nothing) keeps the metadata's.
fn settle_type(metadata: &str, download: Option<&str>) -> Result<&'static str, MediaError> {
    let from_metadata = image_type(metadata).ok_or_else(|| {
        MediaError::Rejected(format!(
            "jenis berkas {} tidak didukung (hanya JPEG atau PNG)",
            shown(metadata)
        ))
    })?;
    let Some(download) = download.map(str::trim).filter(|value| !value.is_empty()) else {
        return Ok(from_metadata);
    };
    let essence = download
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == "application/octet-stream" || essence == "binary/octet-stream" {
        return Ok(from_metadata);
    }
    match image_type(download) {
        Some(from_download) if from_download == from_metadata => Ok(from_metadata),
        _ => Err(MediaError::Rejected(format!(
            "jenis berkas yang diunduh ({}) tidak sesuai dengan {from_metadata}",
            shown(download)
        ))),
    }
}

fn check_magic(mime_type: &str, bytes: &[u8]) -> Result<(), MediaError> {
    let magic = if mime_type == "image/png" {
        PNG_MAGIC
    } else {
        JPEG_MAGIC
    };
    if bytes.starts_with(magic) {
        Ok(())
    } else {
        Err(MediaError::Rejected(format!(
            "isi berkas bukan gambar {} yang valid",
            if mime_type == "image/png" {
                "PNG"
            } else {
                "JPEG"
            }
        )))
    }
}

/// Decodes a SHA-256 given as hex (64 characters) or base64 (standard or URL-safe, padded or
/// not); `None` when it is neither.
pub fn decode_sha256(value: &str) -> Option<[u8; 32]> {
    let value = value.trim();
    if value.len() == 64 {
        if let Ok(bytes) = hex::decode(value) {
            return bytes.try_into().ok();
        }
    }
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(value).ok())
        .and_then(|bytes| bytes.try_into().ok())
}

fn check_hash(digest: &[u8; 32], expected: &str) -> Result<(), MediaError> {
    if expected.trim().is_empty() {
        return Ok(());
    }
    match decode_sha256(expected) {
        Some(expected) if &expected == digest => Ok(()),
        Some(_) => Err(MediaError::Rejected(
            "hash SHA-256 berkas tidak cocok dengan yang dikirim WhatsApp".to_owned(),
        )),
        None => {
            // Meta does not document the encoding; an unreadable value is not evidence of a
            // corrupt file, and TLS already protects the transfer.
            tracing::warn!("media sha256 is neither hex nor base64; not checked");
            Ok(())
        }
    }
}

fn too_large(size: u64) -> MediaError {
    MediaError::Rejected(format!(
        "ukuran berkas {:.1} MB melebihi batas {} MB",
        size as f64 / (1024.0 * 1024.0),
        MAX_IMAGE_BYTES / (1024 * 1024)
    ))
}

/// A value from the other side, cut short and printable, for messages.
fn shown(value: &str) -> String {
    let value: String = value.chars().filter(|c| !c.is_control()).take(60).collect();
    if value.trim().is_empty() {
        "(kosong)".to_owned()
    } else {
        value
    }
}

/// An error answer of `GET /{media_id}`: decided by Meta's code when there is one.
fn metadata_error(status: reqwest::StatusCode, body: &[u8]) -> MediaError {
    if let Some(meta) = MetaError::parse(body) {
        tracing::warn!(
            http_status = status.as_u16(),
            code = meta.code,
            fbtrace_id = meta.fbtrace_id.as_deref().unwrap_or(""),
            "Graph API refused a media lookup"
        );
        return match meta.code {
            // "Object with ID … does not exist": unknown or expired (7 days) media id.
            100 | 33 => MediaError::Gone(format!("media tidak ditemukan di WhatsApp ({meta})")),
            // Could not download what the user sent (e.g. above 100 MB).
            131052 => MediaError::Gone(format!("WhatsApp tidak dapat mengunduh media ({meta})")),
            131053 => MediaError::Rejected(format!("media ditolak WhatsApp ({meta})")),
            // Throttling, downtime, token or permission trouble: later (or after an
            // operator's fix) the same id may work.
            _ => MediaError::Transient(meta.to_string()),
        };
    }
    match status {
        reqwest::StatusCode::NOT_FOUND | reqwest::StatusCode::GONE => {
            MediaError::Gone(format!("media tidak ditemukan di WhatsApp (HTTP {status})"))
        }
        _ => MediaError::Transient(format!("media metadata answered HTTP {status}")),
    }
}

fn download_status_error(status: reqwest::StatusCode) -> MediaError {
    if status == reqwest::StatusCode::GONE {
        MediaError::Gone(format!("media tidak tersedia lagi (HTTP {status})"))
    } else {
        // 401/403 (token), 429, 5xx, redirects we do not follow: none of them is the file's
        // fault.
        MediaError::Transient(format!("media download answered HTTP {status}"))
    }
}

fn transport_error(what: &str, error: reqwest::Error) -> MediaError {
    // `without_url` keeps the signed download URL out of logs.
    let error = error.without_url();
    if error.is_timeout() {
        MediaError::Transient(format!("{what} timed out: {error}"))
    } else {
        MediaError::Transient(format!("{what} failed: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_is_read_as_hex_or_base64() {
        let digest: [u8; 32] = Sha256::digest(b"foto").into();
        let hex_text = hex::encode(digest);
        let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
        let b64_url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
        assert_eq!(decode_sha256(&hex_text), Some(digest));
        assert_eq!(decode_sha256(&hex_text.to_uppercase()), Some(digest));
        assert_eq!(decode_sha256(&b64), Some(digest));
        assert_eq!(decode_sha256(&b64_url), Some(digest));
        assert_eq!(decode_sha256("not a hash"), None);
        assert_eq!(decode_sha256(&hex_text[..62]), None);
    }

    #[test]
    fn hash_check_rejects_a_mismatch_only() {
        let digest: [u8; 32] = Sha256::digest(b"foto").into();
        let other = hex::encode(Sha256::digest(b"lain"));
        assert!(check_hash(&digest, &hex::encode(digest)).is_ok());
        assert!(matches!(
            check_hash(&digest, &other),
            Err(MediaError::Rejected(_))
        ));
        assert!(check_hash(&digest, "???").is_ok());
    }

    #[test]
    fn image_types_ignore_case_and_parameters() {
        assert_eq!(image_type("IMAGE/JPEG; charset=binary"), Some("image/jpeg"));
        assert_eq!(image_type("image/png"), Some("image/png"));
        assert_eq!(image_type("image/gif"), None);
        assert_eq!(image_type("image/webp"), None);
        assert_eq!(extension_for("image/png"), Some("png"));
        assert_eq!(extension_for("image/jpeg"), Some("jpg"));
        assert_eq!(extension_for("text/plain"), None);
    }

    #[test]
    fn download_type_must_agree_with_metadata() {
        assert_eq!(settle_type("image/jpeg", None), Ok("image/jpeg"));
        assert_eq!(
            settle_type("image/png", Some("application/octet-stream")),
            Ok("image/png")
        );
        assert_eq!(
            settle_type("image/jpeg", Some("image/jpeg; q=1")),
            Ok("image/jpeg")
        );
        assert!(settle_type("image/jpeg", Some("image/png")).is_err());
        assert!(settle_type("image/jpeg", Some("text/html")).is_err());
        assert!(settle_type("image/gif", None).is_err());
    }

    #[test]
    fn content_must_match_the_type() {
        assert!(check_magic("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0]).is_ok());
        assert!(check_magic("image/png", b"\x89PNG\r\n\x1a\nrest").is_ok());
        assert!(check_magic("image/jpeg", b"\x89PNG\r\n\x1a\n").is_err());
        assert!(check_magic("image/png", b"").is_err());
    }

    #[test]
    fn media_url_and_id_rules() {
        let source = GraphMediaSource::new(
            "http://127.0.0.1:9/simulator/graph/",
            "25.0",
            Arc::new(crate::ports::StaticSecrets(Default::default())),
            reqwest::Client::new(),
        );
        assert_eq!(
            source.media_url("123"),
            "http://127.0.0.1:9/simulator/graph/v25.0/123"
        );
        assert!(plausible_media_id("1003383421387256"));
        assert!(!plausible_media_id("../messages"));
        assert!(!plausible_media_id("1?x=1"));
        assert!(!plausible_media_id(""));
    }

    #[test]
    fn meta_codes_decide_the_metadata_error() {
        let body = |code: i64| {
            serde_json::to_vec(&serde_json::json!({"error": {"message": "m", "code": code}}))
                .unwrap_or_default()
        };
        let bad = reqwest::StatusCode::BAD_REQUEST;
        assert!(matches!(
            metadata_error(bad, &body(100)),
            MediaError::Gone(_)
        ));
        assert!(matches!(
            metadata_error(reqwest::StatusCode::UNAUTHORIZED, &body(190)),
            MediaError::Transient(_)
        ));
        assert!(matches!(
            metadata_error(bad, &body(131053)),
            MediaError::Rejected(_)
        ));
        assert!(matches!(
            metadata_error(reqwest::StatusCode::NOT_FOUND, b""),
            MediaError::Gone(_)
        ));
        assert!(matches!(
            metadata_error(reqwest::StatusCode::TOO_MANY_REQUESTS, b""),
            MediaError::Transient(_)
        ));
        assert!(matches!(
            metadata_error(reqwest::StatusCode::BAD_GATEWAY, b"<html>"),
            MediaError::Transient(_)
        ));
    }
}
