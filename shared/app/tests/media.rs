//! Complaint photos from WhatsApp to private storage: the Graph media client against a fake
//! Graph server (wiremock) and against the simulator, `copy_photo` on the SQLite store, the
//! local blob folder, and the S3 store on moto (skipped like the other AWS tests when
//! `PROLINK_SKIP_AWS_TESTS=1`).

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{bearer_token, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use prolink_app::complaint_media::{copy_photo, MediaCopy, REASON_GAVE_UP, REASON_GONE};
use prolink_app::graph::http_client;
use prolink_app::graph_media::{GraphMediaSource, MAX_IMAGE_BYTES};
use prolink_app::ports::{
    BlobStore, ComplaintStore, FetchedMedia, MediaError, MediaSource, PortError, PortResult,
    StaticSecrets, SystemClock, WhatsAppSecrets,
};
use prolink_domain::complaint::{
    submit, ticket_for, Complaint, Photo, Privacy, Rules, Sla, Submission,
};
use prolink_domain::content::HolidayCalendar;
use prolink_embedded::blob_local::{LocalBlobStore, PresignError};
use prolink_embedded::sqlite::SqliteStore;

use crate::support::{seed, ManualClock, TestApp};

const TOKEN: &str = "EAAG-media-token";
const VERSION: &str = "v25.0";
const MEDIA_ID: &str = "1003383421387256";
/// 2026-05-28T20:26:40Z.
const T: i64 = 1_780_000_000_000;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// A JPEG-looking file of `len` bytes (right magic, varied content).
fn jpeg(len: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend((0..len.saturating_sub(4)).map(|i| (i * 31 % 251) as u8));
    bytes
}

fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend((0..len.saturating_sub(8)).map(|i| (i * 17 % 253) as u8));
    bytes
}

fn sha_b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}

fn sha_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn secrets(token: Option<&str>) -> Arc<StaticSecrets> {
    Arc::new(StaticSecrets(WhatsAppSecrets {
        app_secret: "app-secret".into(),
        app_secret_previous: None,
        verify_token: "verify".into(),
        access_token: token.map(str::to_owned),
    }))
}

fn source_for(server: &MockServer) -> GraphMediaSource {
    GraphMediaSource::new(server.uri(), VERSION, secrets(Some(TOKEN)), http_client())
}

fn metadata_path(media_id: &str) -> String {
    format!("/{VERSION}/{media_id}")
}

/// Meta's answer to `GET /{version}/{media_id}`.
fn metadata(server: &MockServer, download_path: &str, mime: &str, sha: &str, size: Value) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "url": format!("{}{download_path}", server.uri()),
        "mime_type": mime,
        "sha256": sha,
        "file_size": size,
        "id": MEDIA_ID,
    })
}

fn file_response(bytes: &[u8], content_type: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_bytes(bytes.to_vec())
        .insert_header("content-type", content_type)
}

/// `MEDIA_ID` on the fake Graph server: Meta's metadata answer pointing at `file_path`, and
/// what that path answers. Both requests must carry the bearer token. A test states only what
/// differs: `served("/lookaside/gif", "image/gif", file).file_calls(0).mount(&server)`.
struct Served {
    file_path: &'static str,
    mime: String,
    sha: String,
    size: Value,
    file: ResponseTemplate,
    metadata_calls: Option<u64>,
    file_calls: Option<u64>,
}

fn served(file_path: &'static str, mime: &str, file: ResponseTemplate) -> Served {
    Served {
        file_path,
        mime: mime.to_owned(),
        sha: String::new(),
        size: json!("100"),
        file,
        metadata_calls: None,
        file_calls: None,
    }
}

impl Served {
    /// The hash the metadata advertises (default: none).
    fn sha(mut self, sha: &str) -> Self {
        self.sha = sha.to_owned();
        self
    }

    /// The `file_size` the metadata advertises (default: `"100"`).
    fn size(mut self, size: Value) -> Self {
        self.size = size;
        self
    }

    /// How often the metadata must be asked for (checked by `server.verify()`).
    fn metadata_calls(mut self, calls: u64) -> Self {
        self.metadata_calls = Some(calls);
        self
    }

    /// How often the file must be downloaded (checked by `server.verify()`; 0: never).
    fn file_calls(mut self, calls: u64) -> Self {
        self.file_calls = Some(calls);
        self
    }

    fn metadata_mock(&self, server: &MockServer) -> Mock {
        metadata_answer(ResponseTemplate::new(200).set_body_json(metadata(
            server,
            self.file_path,
            &self.mime,
            &self.sha,
            self.size.clone(),
        )))
        .named(format!("metadata -> {}", self.file_path))
    }

    fn file_mock(&self) -> Mock {
        Mock::given(method("GET"))
            .and(path(self.file_path))
            .and(bearer_token(TOKEN))
            .respond_with(self.file.clone())
            .named(format!("download {}", self.file_path))
    }

    async fn mount(self, server: &MockServer) {
        mount_expecting(self.metadata_mock(server), self.metadata_calls, server).await;
        mount_expecting(self.file_mock(), self.file_calls, server).await;
    }
}

/// The metadata request for `MEDIA_ID`, with the token, answered by `response`.
fn metadata_answer(response: ResponseTemplate) -> Mock {
    Mock::given(method("GET"))
        .and(path(metadata_path(MEDIA_ID)))
        .and(bearer_token(TOKEN))
        .respond_with(response)
}

async fn mount_expecting(mock: Mock, calls: Option<u64>, server: &MockServer) {
    match calls {
        Some(calls) => mock.expect(calls).mount(server).await,
        None => mock.mount(server).await,
    }
}

/// Mounts the two requests of a normal download, each expected once with the bearer token.
async fn mount_download(server: &MockServer, bytes: &[u8], mime: &str, sha: &str) {
    served("/lookaside/file-1", mime, file_response(bytes, mime))
        .sha(sha)
        .size(json!(bytes.len().to_string()))
        .metadata_calls(1)
        .file_calls(1)
        .mount(server)
        .await;
}

fn meta_error(code: i64, message: &str) -> Value {
    json!({ "error": {
        "message": message,
        "type": "GraphMethodException",
        "code": code,
        "fbtrace_id": "AbCdEf"
    } })
}

fn holidays() -> &'static HolidayCalendar {
    static HOLIDAYS: OnceLock<HolidayCalendar> = OnceLock::new();
    HOLIDAYS.get_or_init(|| seed().holidays)
}

fn rules() -> Rules<'static> {
    Rules {
        sla: Sla {
            response_days: 3,
            resolution_days: 10,
        },
        holidays: holidays(),
    }
}

fn photo(media_id: &str, mime: &str, sha256: Option<String>) -> Photo {
    Photo {
        media_id: media_id.to_owned(),
        mime_type: Some(mime.to_owned()),
        sha256,
        caption: Some("Jalan berlubang".to_owned()),
        stored_key: None,
        fetch_error: None,
    }
}

/// A stored complaint with `photos`, a fresh blob folder and the ticket.
struct Fixture {
    store: SqliteStore,
    blobs: LocalBlobStore,
    ticket: String,
    _dir: tempfile::TempDir,
}

impl Fixture {
    async fn new(photos: Vec<Photo>) -> Fixture {
        let store = TestApp::builder().in_memory_store();
        let wamid = unique("wamid");
        let complaint = submit(
            Submission {
                ticket: ticket_for(&wamid, 0),
                citizen_key: "6281234500011".to_owned(),
                reporter_name: Some("Sari".to_owned()),
                category_id: "jalan_rusak".to_owned(),
                opd_id: "dpupr".to_owned(),
                description: "Jalan berlubang di depan sekolah.".to_owned(),
                location: None,
                photos,
                privacy: Privacy::Biasa,
                source_wamid: wamid,
                at_ms: T,
            },
            &rules(),
        );
        assert_eq!(
            store.create_complaint(&complaint).await.expect("create"),
            None
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let blobs = LocalBlobStore::new(
            dir.path().join("blobs"),
            b"blob-signing-key".to_vec(),
            Arc::new(SystemClock),
        );
        Fixture {
            store,
            blobs,
            ticket: complaint.ticket,
            _dir: dir,
        }
    }

    async fn complaint(&self) -> Complaint {
        self.store
            .get_complaint(&self.ticket)
            .await
            .expect("read")
            .expect("complaint exists")
    }

    async fn photo(&self, media_id: &str) -> Photo {
        self.complaint()
            .await
            .photos
            .into_iter()
            .find(|p| p.media_id == media_id)
            .expect("photo on the complaint")
    }

    async fn copy(&self, source: &dyn MediaSource, final_attempt: bool) -> MediaCopy {
        self.copy_through(&self.store, source, &self.blobs, final_attempt)
            .await
            .expect("complaint store works")
    }

    /// `copy_photo` of this complaint's `MEDIA_ID` through other stores (a racing complaint
    /// store, a broken or a remote blob store).
    async fn copy_through(
        &self,
        complaints: &dyn ComplaintStore,
        source: &dyn MediaSource,
        blobs: &dyn BlobStore,
        final_attempt: bool,
    ) -> PortResult<MediaCopy> {
        copy_photo(
            complaints,
            source,
            blobs,
            &self.ticket,
            MEDIA_ID,
            final_attempt,
        )
        .await
    }

    fn key(&self, extension: &str) -> String {
        format!("complaints/{}/{MEDIA_ID}.{extension}", self.ticket)
    }
}

async fn request_count(server: &MockServer, request_path: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == request_path)
        .count()
}

/// `case` names the test or the row of a table in the failure message.
fn assert_rejected(case: &str, result: Result<FetchedMedia, MediaError>, needle: &str) {
    match result {
        Err(MediaError::Rejected(reason)) => {
            assert!(
                reason.contains(needle),
                "{case}: {reason:?} should mention {needle:?}"
            )
        }
        other => panic!("{case}: expected Rejected({needle}), got {other:?}"),
    }
}

/// `case` names the row of a table in the failure message.
fn assert_transient(result: &Result<FetchedMedia, MediaError>, case: &str) {
    assert!(
        matches!(result, Err(MediaError::Transient(_))),
        "{case}: expected Transient, got {result:?}"
    );
}

/// Copies once (not the final attempt), expects a failure mentioning every one of `needles`
/// and that reason on the photo; returns the reason.
async fn copy_fails_and_marks(
    fixture: &Fixture,
    source: &dyn MediaSource,
    needles: &[&str],
) -> String {
    let outcome = fixture.copy(source, false).await;
    let MediaCopy::Failed { reason } = outcome else {
        panic!("expected Failed, got {outcome:?}");
    };
    for needle in needles {
        assert!(reason.contains(needle), "{reason} should mention {needle}");
    }
    assert_eq!(
        fixture.photo(MEDIA_ID).await.fetch_error.as_deref(),
        Some(reason.as_str())
    );
    reason
}

// ---------------------------------------------------------------------------------------------
// copy_photo through the Graph client
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn photo_is_copied_with_a_base64_hash_and_stored_once() {
    let server = MockServer::start().await;
    let bytes = jpeg(300_000);
    mount_download(&server, &bytes, "image/jpeg", &sha_b64(&bytes)).await;
    // The webhook's hash (base64, as Meta sends it) is checked too.
    let fixture = Fixture::new(vec![photo(MEDIA_ID, "image/jpeg", Some(sha_b64(&bytes)))]).await;
    let source = source_for(&server);

    let outcome = fixture.copy(&source, false).await;
    let key = fixture.key("jpg");
    assert_eq!(outcome, MediaCopy::Stored { key: key.clone() });
    assert_eq!(
        fixture.blobs.get_blob(&key).await.expect("read"),
        Some((bytes.clone(), "image/jpeg".to_owned()))
    );
    let stored = fixture.photo(MEDIA_ID).await;
    assert_eq!(stored.stored_key.as_deref(), Some(key.as_str()));
    assert_eq!(stored.sha256, Some(sha_hex(&bytes)));
    assert_eq!(stored.fetch_error, None);
    assert_eq!(stored.caption.as_deref(), Some("Jalan berlubang"));

    // A redelivered task finds the copy and fetches nothing (the mocks expect one call each).
    assert_eq!(
        fixture.copy(&source, true).await,
        MediaCopy::AlreadyStored { key }
    );
    server.verify().await;
}

#[tokio::test]
async fn png_with_a_hex_hash_is_accepted() {
    let server = MockServer::start().await;
    let bytes = png(4_096);
    mount_download(&server, &bytes, "image/png", &sha_hex(&bytes)).await;
    let fixture = Fixture::new(vec![photo(MEDIA_ID, "image/png", None)]).await;

    let outcome = fixture.copy(&source_for(&server), false).await;
    let key = fixture.key("png");
    assert_eq!(outcome, MediaCopy::Stored { key: key.clone() });
    let (stored, content_type) = fixture
        .blobs
        .get_blob(&key)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(stored, bytes);
    assert_eq!(content_type, "image/png");
    server.verify().await;
}

#[tokio::test]
async fn requests_have_the_graph_shape_and_the_token_on_both() {
    let server = MockServer::start().await;
    let bytes = jpeg(1_000);
    mount_download(&server, &bytes, "image/jpeg", &sha_b64(&bytes)).await;

    let fetched = source_for(&server)
        .fetch(MEDIA_ID, None)
        .await
        .expect("fetched");
    assert_eq!(
        fetched,
        FetchedMedia {
            bytes: bytes.clone(),
            mime_type: "image/jpeg".into(),
            sha256_hex: sha_hex(&bytes),
        }
    );
    let requests = server.received_requests().await.expect("recorded");
    let paths: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
    assert_eq!(
        paths,
        [metadata_path(MEDIA_ID).as_str(), "/lookaside/file-1"]
    );
    for request in &requests {
        assert_eq!(request.method.as_str(), "GET");
        assert_eq!(
            request
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok()),
            Some(format!("Bearer {TOKEN}").as_str()),
            "{}",
            request.url
        );
    }
}

#[tokio::test]
async fn expired_download_url_is_renewed_once() {
    let server = MockServer::start().await;
    let bytes = jpeg(2_000);
    let sha = sha_b64(&bytes);
    // First lookup hands out an URL that has already expired, the second a fresh one.
    let old = served("/lookaside/old", "image/jpeg", ResponseTemplate::new(404))
        .sha(&sha)
        .size(json!(bytes.len()));
    old.metadata_mock(&server)
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    old.file_mock().expect(1).mount(&server).await;
    served(
        "/lookaside/new",
        "image/jpeg",
        file_response(&bytes, "image/jpeg"),
    )
    .sha(&sha)
    .size(json!(bytes.len()))
    .metadata_calls(1)
    .file_calls(1)
    .mount(&server)
    .await;
    let fixture = Fixture::new(vec![photo(MEDIA_ID, "image/jpeg", Some(sha))]).await;

    let outcome = fixture.copy(&source_for(&server), false).await;
    assert_eq!(
        outcome,
        MediaCopy::Stored {
            key: fixture.key("jpg")
        }
    );
    server.verify().await;
}

#[tokio::test]
async fn a_url_that_stays_404_is_temporary() {
    let server = MockServer::start().await;
    served("/lookaside/dead", "image/jpeg", ResponseTemplate::new(404))
        .metadata_calls(2)
        .file_calls(2)
        .mount(&server)
        .await;

    let result = source_for(&server).fetch(MEDIA_ID, None).await;
    assert_transient(&result, "a URL that stays 404");
    server.verify().await;
}

#[tokio::test]
async fn media_id_gone_fails_and_marks_the_photo() {
    let server = MockServer::start().await;
    metadata_answer(ResponseTemplate::new(400).set_body_json(meta_error(
        100,
        &format!("Unsupported get request. Object with ID '{MEDIA_ID}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."),
    )))
    .expect(1)
    .mount(&server)
    .await;
    let fixture = Fixture::new(vec![photo(MEDIA_ID, "image/jpeg", None)]).await;

    let outcome = fixture.copy(&source_for(&server), false).await;
    assert_eq!(
        outcome,
        MediaCopy::Failed {
            reason: REASON_GONE.to_owned()
        }
    );
    let marked = fixture.photo(MEDIA_ID).await;
    assert_eq!(marked.fetch_error.as_deref(), Some(REASON_GONE));
    assert_eq!(marked.stored_key, None);
    // Once marked, a redelivered task does not ask Meta again.
    assert_eq!(fixture.copy(&source_for(&server), false).await, outcome);
    server.verify().await;
}

#[tokio::test]
async fn a_bare_404_on_the_media_id_is_gone() {
    let server = MockServer::start().await;
    metadata_answer(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let result = source_for(&server).fetch(MEDIA_ID, None).await;
    assert!(matches!(result, Err(MediaError::Gone(_))), "{result:?}");
}

#[tokio::test]
async fn advertised_oversize_is_rejected_without_downloading() {
    let server = MockServer::start().await;
    served(
        "/lookaside/big",
        "image/jpeg",
        file_response(&jpeg(10), "image/jpeg"),
    )
    .size(json!((MAX_IMAGE_BYTES + 1).to_string()))
    .metadata_calls(1)
    .file_calls(0)
    .mount(&server)
    .await;
    let fixture = Fixture::new(vec![photo(MEDIA_ID, "image/jpeg", None)]).await;

    let reason = copy_fails_and_marks(&fixture, &source_for(&server), &["5 MB"]).await;
    assert!(reason.starts_with("Foto ditolak:"), "{reason}");
    assert_eq!(request_count(&server, "/lookaside/big").await, 0);
    server.verify().await;
}

#[tokio::test]
async fn exactly_five_megabytes_is_accepted() {
    let server = MockServer::start().await;
    let bytes = jpeg(MAX_IMAGE_BYTES);
    mount_download(&server, &bytes, "image/jpeg", &sha_b64(&bytes)).await;
    let fetched = source_for(&server).fetch(MEDIA_ID, None).await;
    assert_eq!(fetched.map(|m| m.bytes.len()), Ok(MAX_IMAGE_BYTES));
}

#[tokio::test]
async fn a_download_larger_than_advertised_is_cut_off() {
    let server = MockServer::start().await;
    // Claims 1 KB, sends 5 MB + 1 byte (with an honest Content-Length).
    let file = file_response(&jpeg(MAX_IMAGE_BYTES + 1), "image/jpeg");
    served("/lookaside/liar", "image/jpeg", file)
        .size(json!("1024"))
        .file_calls(1)
        .mount(&server)
        .await;
    let result = source_for(&server).fetch(MEDIA_ID, None).await;
    assert_rejected("larger than advertised", result, "5 MB");
    server.verify().await;
}

/// Serves one chunked response (no Content-Length) of `total` bytes of JPEG and returns the
/// request head it received.
async fn chunked_file_server(total: usize) -> (String, tokio::task::JoinHandle<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut head = Vec::new();
        let mut buffer = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let read = socket.read(&mut buffer).await.expect("read");
            if read == 0 {
                break;
            }
            head.extend_from_slice(&buffer[..read]);
        }
        let _ = socket
            .write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            )
            .await;
        let body = jpeg(total);
        for chunk in body.chunks(64 * 1024) {
            let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
            frame.extend_from_slice(chunk);
            frame.extend_from_slice(b"\r\n");
            // The client hangs up once it has seen enough.
            if socket.write_all(&frame).await.is_err() {
                break;
            }
        }
        let _ = socket.write_all(b"0\r\n\r\n").await;
        String::from_utf8_lossy(&head).into_owned()
    });
    (format!("http://{address}/file"), task)
}

#[tokio::test]
async fn a_chunked_download_without_length_is_capped_while_reading() {
    let server = MockServer::start().await;
    let (url, file_server) = chunked_file_server(MAX_IMAGE_BYTES * 2).await;
    metadata_answer(ResponseTemplate::new(200).set_body_json(json!({
        "messaging_product": "whatsapp",
        "url": url,
        "mime_type": "image/jpeg",
        "id": MEDIA_ID,
    })))
    .mount(&server)
    .await;

    let result = source_for(&server).fetch(MEDIA_ID, None).await;
    assert_rejected("chunked, no length", result, "5 MB");
    let head = file_server.await.expect("file server").to_ascii_lowercase();
    assert!(head.starts_with("get /file "), "{head}");
    assert!(
        head.contains(&format!(
            "authorization: bearer {}",
            TOKEN.to_ascii_lowercase()
        )),
        "the download carries the token: {head}"
    );
}

#[tokio::test]
async fn a_gif_is_rejected_before_downloading() {
    let server = MockServer::start().await;
    served(
        "/lookaside/gif",
        "image/gif",
        file_response(b"GIF89a....", "image/gif"),
    )
    .file_calls(0)
    .mount(&server)
    .await;
    let fixture = Fixture::new(vec![photo(MEDIA_ID, "image/gif", None)]).await;

    copy_fails_and_marks(&fixture, &source_for(&server), &["image/gif"]).await;
    server.verify().await;
}

#[tokio::test]
async fn download_type_and_content_must_match_the_metadata() {
    let jpeg_bytes = jpeg(100);
    let png_bytes = png(100);
    // Each row: what Graph serves, then the type fetched (Ok) or what the rejection names (Err).
    let cases: [(&str, Served, Result<&str, &str>); 3] = [
        (
            "metadata says JPEG, the download says GIF",
            served(
                "/lookaside/f",
                "image/jpeg",
                file_response(&jpeg(10), "image/gif"),
            )
            .size(json!("10")),
            Err("image/gif"),
        ),
        (
            "metadata and header say PNG, the bytes are a JPEG",
            served(
                "/lookaside/file-1",
                "image/png",
                file_response(&jpeg_bytes, "image/png"),
            )
            .sha(&sha_b64(&jpeg_bytes))
            .size(json!("100"))
            .metadata_calls(1)
            .file_calls(1),
            Err("PNG"),
        ),
        (
            "a download without a Content-Type keeps the metadata's type",
            served(
                "/lookaside/untyped",
                "image/png",
                ResponseTemplate::new(200).set_body_bytes(png_bytes.clone()),
            )
            .sha(&sha_hex(&png_bytes))
            .size(json!(100)),
            Ok("image/png"),
        ),
    ];
    for (case, answer, expected) in cases {
        let server = MockServer::start().await;
        answer.mount(&server).await;
        let fetched = source_for(&server).fetch(MEDIA_ID, None).await;
        match expected {
            Ok(mime) => assert_eq!(fetched.map(|m| m.mime_type), Ok(mime.to_owned()), "{case}"),
            Err(needle) => assert_rejected(case, fetched, needle),
        }
        server.verify().await;
    }
}

#[tokio::test]
async fn a_wrong_hash_is_rejected_and_marked() {
    let server = MockServer::start().await;
    let bytes = jpeg(5_000);
    mount_download(&server, &bytes, "image/jpeg", &sha_b64(b"something else")).await;
    let fixture = Fixture::new(vec![photo(MEDIA_ID, "image/jpeg", None)]).await;

    copy_fails_and_marks(&fixture, &source_for(&server), &["SHA-256"]).await;
    assert_eq!(
        fixture
            .blobs
            .get_blob(&fixture.key("jpg"))
            .await
            .expect("read"),
        None,
        "nothing stored"
    );
}

#[tokio::test]
async fn the_webhook_hash_is_checked_too() {
    let server = MockServer::start().await;
    let bytes = jpeg(5_000);
    // Graph gives no hash; the webhook's (hex here) does not match.
    mount_download(&server, &bytes, "image/jpeg", "").await;
    let result = source_for(&server)
        .fetch(MEDIA_ID, Some(&sha_hex(b"other")))
        .await;
    assert_rejected("the webhook's hash", result, "SHA-256");
}

#[tokio::test]
async fn a_server_error_is_retried_then_marked_on_the_final_attempt() {
    let server = MockServer::start().await;
    metadata_answer(ResponseTemplate::new(500).set_body_string("<html>oops</html>"))
        .expect(2)
        .mount(&server)
        .await;
    let fixture = Fixture::new(vec![photo(MEDIA_ID, "image/jpeg", None)]).await;
    let before = fixture.complaint().await;

    let outcome = fixture.copy(&source_for(&server), false).await;
    assert!(matches!(outcome, MediaCopy::Retry { .. }), "{outcome:?}");
    assert_eq!(fixture.complaint().await, before, "nothing marked");

    let outcome = fixture.copy(&source_for(&server), true).await;
    assert_eq!(
        outcome,
        MediaCopy::Failed {
            reason: REASON_GAVE_UP.to_owned()
        }
    );
    assert_eq!(
        fixture.photo(MEDIA_ID).await.fetch_error.as_deref(),
        Some(REASON_GAVE_UP)
    );
    server.verify().await;
}

/// What the fake Graph server answers in a row of a table: the metadata request alone, or
/// the metadata and the download.
enum Answer {
    Metadata(ResponseTemplate),
    Download(Served),
}

#[tokio::test]
async fn throttling_token_trouble_and_timeouts_are_temporary() {
    let slow = file_response(&jpeg(100), "image/jpeg").set_delay(Duration::from_secs(3));
    // Each row: what Graph answers, and the client's download timeout if it is shortened.
    let cases = [
        (
            "throttled (429)",
            Answer::Metadata(ResponseTemplate::new(429)),
            None,
        ),
        (
            "the token is refused (401, code 190)",
            Answer::Metadata(
                ResponseTemplate::new(401)
                    .set_body_json(meta_error(190, "Error validating access token")),
            ),
            None,
        ),
        (
            "the app's request limit (400, code 4)",
            Answer::Metadata(
                ResponseTemplate::new(400)
                    .set_body_json(meta_error(4, "Application request limit reached")),
            ),
            None,
        ),
        (
            "Graph unavailable (503)",
            Answer::Metadata(ResponseTemplate::new(503)),
            None,
        ),
        (
            "the download is slower than its timeout",
            Answer::Download(served("/lookaside/slow", "image/jpeg", slow).size(json!(100))),
            Some(Duration::from_millis(200)),
        ),
        (
            "a download that answers 401 (token rotated in between)",
            Answer::Download(
                served("/lookaside/auth", "image/jpeg", ResponseTemplate::new(401))
                    .size(json!(100)),
            ),
            None,
        ),
    ];
    for (case, answer, download_timeout) in cases {
        let server = MockServer::start().await;
        match answer {
            Answer::Metadata(response) => metadata_answer(response).mount(&server).await,
            Answer::Download(served) => served.mount(&server).await,
        }
        let source = match download_timeout {
            Some(timeout) => source_for(&server).with_download_timeout(timeout),
            None => source_for(&server),
        };
        assert_transient(&source.fetch(MEDIA_ID, None).await, case);
    }
}

#[tokio::test]
async fn no_token_means_no_request() {
    let server = MockServer::start().await;
    let source = GraphMediaSource::new(server.uri(), VERSION, secrets(None), http_client());
    let result = source.fetch(MEDIA_ID, None).await;
    assert_transient(&result, "no token");
    assert!(server
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty());
}

#[tokio::test]
async fn an_unsafe_media_id_never_reaches_the_url() {
    let server = MockServer::start().await;
    let result = source_for(&server)
        .fetch("../106540352242922/messages", None)
        .await;
    assert!(matches!(result, Err(MediaError::Gone(_))), "{result:?}");
    assert!(server
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty());
}

// ---------------------------------------------------------------------------------------------
// copy_photo: the complaint record
// ---------------------------------------------------------------------------------------------

/// A source that always returns the same file, counting calls.
struct FixedSource {
    media: Result<FetchedMedia, MediaError>,
    calls: AtomicI64,
}

impl FixedSource {
    fn ok(bytes: Vec<u8>, mime: &str) -> FixedSource {
        FixedSource {
            media: Ok(FetchedMedia {
                sha256_hex: sha_hex(&bytes),
                bytes,
                mime_type: mime.to_owned(),
            }),
            calls: AtomicI64::new(0),
        }
    }
}

#[async_trait]
impl MediaSource for FixedSource {
    async fn fetch(&self, _: &str, _: Option<&str>) -> Result<FetchedMedia, MediaError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.media.clone()
    }
}

#[tokio::test]
async fn unknown_ticket_or_photo_fails_without_fetching() {
    let fixture = Fixture::new(vec![photo("other-photo", "image/jpeg", None)]).await;
    let source = FixedSource::ok(jpeg(10), "image/jpeg");
    let before = fixture.complaint().await;

    let outcome = copy_photo(
        &fixture.store,
        &source,
        &fixture.blobs,
        "PS-AAAAAA",
        MEDIA_ID,
        false,
    )
    .await
    .expect("store works");
    assert_eq!(
        outcome,
        MediaCopy::Failed {
            reason: "aduan tidak ada".to_owned()
        }
    );
    let outcome = fixture.copy(&source, false).await;
    assert!(matches!(outcome, MediaCopy::Failed { .. }), "{outcome:?}");
    assert_eq!(source.calls.load(Ordering::SeqCst), 0);
    assert_eq!(fixture.complaint().await, before, "nothing marked");
}

#[tokio::test]
async fn a_failing_blob_store_is_retried_then_marked() {
    struct BrokenBlobs;
    #[async_trait]
    impl BlobStore for BrokenBlobs {
        async fn put_blob(&self, _: &str, _: Vec<u8>, _: &str) -> PortResult<()> {
            Err(PortError::Backend("disk full".into()))
        }
        async fn get_blob(&self, _: &str) -> PortResult<Option<(Vec<u8>, String)>> {
            Ok(None)
        }
        async fn presign_get(&self, _: &str, _: Duration) -> PortResult<String> {
            Err(PortError::Backend("disk full".into()))
        }
    }
    let fixture = Fixture::new(vec![photo(MEDIA_ID, "image/jpeg", None)]).await;
    let source = FixedSource::ok(jpeg(10), "image/jpeg");
    let run =
        |final_attempt| fixture.copy_through(&fixture.store, &source, &BrokenBlobs, final_attempt);
    let outcome = run(false).await.expect("store works");
    assert!(matches!(outcome, MediaCopy::Retry { .. }), "{outcome:?}");
    assert_eq!(fixture.photo(MEDIA_ID).await.fetch_error, None);
    let outcome = run(true).await.expect("store works");
    assert!(matches!(outcome, MediaCopy::Failed { .. }), "{outcome:?}");
    assert!(fixture.photo(MEDIA_ID).await.fetch_error.is_some());
}

/// A complaint store where another writer changes the complaint right before each of the
/// first `races` updates, so those updates lose.
struct RacingStore {
    inner: SqliteStore,
    races: AtomicI64,
    raced: AtomicBool,
}

complaint_store_passing_queries_to_inner! {
    RacingStore,
    async fn create_complaint(&self, complaint: &Complaint) -> PortResult<Option<Complaint>> {
        self.inner.create_complaint(complaint).await
    }
    async fn get_complaint(&self, ticket: &str) -> PortResult<Option<Complaint>> {
        self.inner.get_complaint(ticket).await
    }
    async fn update_complaint(&self, complaint: &Complaint) -> PortResult<u64> {
        if self.races.fetch_sub(1, Ordering::SeqCst) > 0 {
            let mut other = self
                .inner
                .get_complaint(&complaint.ticket)
                .await?
                .ok_or_else(|| PortError::NotFound(complaint.ticket.clone()))?;
            other.followers.push(unique("follower"));
            self.inner.update_complaint(&other).await?;
            self.raced.store(true, Ordering::SeqCst);
        }
        self.inner.update_complaint(complaint).await
    }
}

#[tokio::test]
async fn a_concurrent_change_is_kept_and_only_the_photo_changes() {
    let second = "2000000000000001";
    let fixture = Fixture::new(vec![
        photo(MEDIA_ID, "image/jpeg", None),
        photo(second, "image/png", None),
    ])
    .await;
    let racing = RacingStore {
        inner: fixture.store.clone(),
        races: AtomicI64::new(2),
        raced: AtomicBool::new(false),
    };
    let source = FixedSource::ok(jpeg(64), "image/jpeg");

    let outcome = fixture
        .copy_through(&racing, &source, &fixture.blobs, false)
        .await
        .expect("won after re-reading");
    assert_eq!(
        outcome,
        MediaCopy::Stored {
            key: fixture.key("jpg")
        }
    );
    assert!(racing.raced.load(Ordering::SeqCst));
    let complaint = fixture.complaint().await;
    assert_eq!(
        complaint.followers.len(),
        2,
        "the other writer's changes stay"
    );
    assert_eq!(complaint.version, 4, "created, two races, our write");
    assert_eq!(
        complaint.photos[0].stored_key.as_deref(),
        Some(fixture.key("jpg").as_str())
    );
    assert_eq!(complaint.photos[1], photo(second, "image/png", None));
}

#[tokio::test]
async fn endless_conflicts_give_up_with_conflict() {
    let fixture = Fixture::new(vec![photo(MEDIA_ID, "image/jpeg", None)]).await;
    let racing = RacingStore {
        inner: fixture.store.clone(),
        races: AtomicI64::new(i64::MAX),
        raced: AtomicBool::new(false),
    };
    let source = FixedSource::ok(jpeg(64), "image/jpeg");
    let result = fixture
        .copy_through(&racing, &source, &fixture.blobs, false)
        .await;
    assert!(matches!(result, Err(PortError::Conflict(_))), "{result:?}");
    // 1 write + 5 retries, each preceded by the other writer's change.
    assert_eq!(fixture.complaint().await.version, 1 + 6);
}

// ---------------------------------------------------------------------------------------------
// The simulator's Graph-compatible media endpoint
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_graph_client_downloads_from_the_simulator() {
    let harness = TestApp::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let router = harness.router();
    let server = tokio::spawn(async move { axum::serve(listener, router).await });

    let bytes = png(2_000);
    let http = http_client();
    let accepted: Value = http
        .post(format!("{base}/simulator/api/send"))
        .json(&json!({ "from": "6281234500011", "image": {
            "data_base64": base64::engine::general_purpose::STANDARD.encode(&bytes),
            "mime_type": "image/png" } }))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let media_id = accepted["media_id"].as_str().expect("media id");

    let source = GraphMediaSource::new(
        format!("{base}/simulator/graph"),
        "25.0",
        secrets(Some(
            harness
                .app
                .secrets
                .secrets
                .access_token
                .as_deref()
                .unwrap_or("lokal"),
        )),
        http,
    );
    let fetched = source
        .fetch(media_id, Some(&sha_b64(&bytes)))
        .await
        .expect("fetched from the simulator");
    assert_eq!(fetched.bytes, bytes);
    assert_eq!(fetched.mime_type, "image/png");
    assert_eq!(fetched.sha256_hex, sha_hex(&bytes));
    let unknown = source.fetch("999", None).await;
    assert!(matches!(unknown, Err(MediaError::Gone(_))), "{unknown:?}");
    server.abort();
}

// ---------------------------------------------------------------------------------------------
// Local blob folder
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn local_blobs_round_trip_and_replace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blobs = LocalBlobStore::new(
        dir.path().join("blobs"),
        b"k".to_vec(),
        Arc::new(SystemClock),
    );
    let key = "complaints/PS-7K3QX9/1.jpg";
    assert_eq!(blobs.get_blob(key).await.expect("read"), None);
    blobs
        .put_blob(key, jpeg(100), "image/jpeg")
        .await
        .expect("write");
    assert_eq!(
        blobs.get_blob(key).await.expect("read"),
        Some((jpeg(100), "image/jpeg".to_owned()))
    );
    blobs
        .put_blob(key, png(50), "image/png")
        .await
        .expect("replace");
    assert_eq!(
        blobs.get_blob(key).await.expect("read"),
        Some((png(50), "image/png".to_owned()))
    );
    assert!(dir.path().join("blobs").join(key).is_file());
    // Only the file and its type remain: no temporary files left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path().join("blobs/complaints/PS-7K3QX9"))
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    // A folder is not a blob.
    assert_eq!(blobs.get_blob("complaints").await.expect("read"), None);
}

#[tokio::test]
async fn local_blobs_refuse_paths_outside_the_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("blobs");
    let blobs = LocalBlobStore::new(&root, b"k".to_vec(), Arc::new(SystemClock));
    for key in [
        "../escape.jpg",
        "a/../../escape.jpg",
        "/tmp/escape.jpg",
        "a\\..\\b",
        "",
    ] {
        let put = blobs.put_blob(key, jpeg(10), "image/jpeg").await;
        assert!(
            matches!(put, Err(PortError::Invalid(_))),
            "{key:?}: {put:?}"
        );
        let get = blobs.get_blob(key).await;
        assert!(
            matches!(get, Err(PortError::Invalid(_))),
            "{key:?}: {get:?}"
        );
        let presign = blobs.presign_get(key, Duration::from_secs(60)).await;
        assert!(matches!(presign, Err(PortError::Invalid(_))), "{key:?}");
    }
    assert!(!dir.path().join("escape.jpg").exists());
}

#[tokio::test]
async fn local_presigned_urls_verify_until_they_expire() {
    let now_s = T / 1000;
    let blobs = LocalBlobStore::new("unused", b"signing".to_vec(), ManualClock::at(T));
    let key = "complaints/PS-7K3QX9/1.jpg";
    let url = blobs
        .presign_get(key, Duration::from_secs(300))
        .await
        .expect("presign");
    let (path_part, query) = url.split_once('?').expect("query");
    assert_eq!(path_part, format!("/blobs/{key}"));
    let params: std::collections::HashMap<&str, &str> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .collect();
    let expires: i64 = params["expires"].parse().expect("expires");
    let sig = params["sig"];
    assert_eq!(expires, now_s + 300);

    assert_eq!(blobs.verify_presigned(key, expires, sig, now_s), Ok(()));
    assert_eq!(blobs.verify_presigned(key, expires, sig, expires), Ok(()));
    assert_eq!(
        blobs.verify_presigned(key, expires, sig, expires + 1),
        Err(PresignError::Expired)
    );
    // Tampering with any part breaks the signature.
    assert_eq!(
        blobs.verify_presigned("complaints/PS-7K3QX9/2.jpg", expires, sig, now_s),
        Err(PresignError::BadSignature)
    );
    assert_eq!(
        blobs.verify_presigned(key, expires + 3600, sig, now_s),
        Err(PresignError::BadSignature)
    );
    let mut flipped = sig.to_owned();
    let last = if flipped.ends_with('0') { "1" } else { "0" };
    flipped.replace_range(63.., last);
    assert_eq!(
        blobs.verify_presigned(key, expires, &flipped, now_s),
        Err(PresignError::BadSignature)
    );
    let other = LocalBlobStore::new("unused", b"another".to_vec(), ManualClock::at(T));
    assert_eq!(
        other.verify_presigned(key, expires, sig, now_s),
        Err(PresignError::BadSignature)
    );
    assert_eq!(
        blobs.verify_presigned("../x", expires, sig, now_s),
        Err(PresignError::InvalidKey)
    );
}

// ---------------------------------------------------------------------------------------------
// S3 on moto
// ---------------------------------------------------------------------------------------------

mod s3 {
    use super::*;
    use aws_config::{BehaviorVersion, Region, SdkConfig};
    use aws_sdk_s3::types::ServerSideEncryption;
    use prolink_aws::s3::{create_bucket, S3BlobStore};

    /// The moto endpoint, or `None` when the AWS tests are skipped on purpose.
    async fn aws() -> Option<SdkConfig> {
        let endpoint = match std::env::var("PROLINK_TEST_AWS_ENDPOINT") {
            Ok(endpoint) if !endpoint.is_empty() => endpoint,
            _ if std::env::var("PROLINK_SKIP_AWS_TESTS").as_deref() == Ok("1") => {
                eprintln!("S3 tests skipped (PROLINK_SKIP_AWS_TESTS=1)");
                return None;
            }
            _ => panic!(
                "PROLINK_TEST_AWS_ENDPOINT is not set. Start moto (source tests/lib/moto.sh && \
                 moto_install && moto_start) or set PROLINK_SKIP_AWS_TESTS=1"
            ),
        };
        let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "ap-southeast-3".to_owned());
        Some(
            aws_config::defaults(BehaviorVersion::latest())
                .endpoint_url(endpoint)
                .region(Region::new(region))
                .credentials_provider(aws_sdk_s3::config::Credentials::new(
                    "test", "test", None, None, "moto",
                ))
                .load()
                .await,
        )
    }

    async fn fresh_store() -> Option<S3BlobStore> {
        let config = aws().await?;
        let bucket = format!("prolink-media-{}", uuid::Uuid::new_v4().simple());
        let store = S3BlobStore::from_sdk_config(&config, bucket.clone());
        create_bucket(store.client(), &bucket)
            .await
            .expect("create bucket");
        // Creating it again is fine.
        create_bucket(store.client(), &bucket)
            .await
            .expect("create bucket again");
        Some(store)
    }

    #[tokio::test]
    async fn s3_round_trip_is_encrypted_and_presignable() {
        let Some(store) = fresh_store().await else {
            return;
        };
        let key = "complaints/PS-7K3QX9/1003383421387256.jpg";
        assert_eq!(store.get_blob(key).await.expect("read"), None);
        let bytes = jpeg(70_000);
        store
            .put_blob(key, bytes.clone(), "image/jpeg")
            .await
            .expect("put");
        assert_eq!(
            store.get_blob(key).await.expect("get"),
            Some((bytes.clone(), "image/jpeg".to_owned()))
        );

        let head = store
            .client()
            .head_object()
            .bucket(store.bucket())
            .key(key)
            .send()
            .await
            .expect("head");
        assert_eq!(
            head.server_side_encryption(),
            Some(&ServerSideEncryption::Aes256)
        );

        let url = store
            .presign_get(key, Duration::from_secs(300))
            .await
            .expect("presign");
        assert!(url.contains("X-Amz-Signature="), "{url}");
        assert!(url.contains("X-Amz-Expires=300"), "{url}");
        let response = reqwest::get(&url).await.expect("presigned GET");
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        assert_eq!(response.bytes().await.expect("body").to_vec(), bytes);

        // Not a way around the key rules, nor around S3's 7-day presign limit.
        assert!(matches!(
            store.put_blob("../x", vec![1], "image/jpeg").await,
            Err(PortError::Invalid(_))
        ));
        assert!(matches!(
            store
                .presign_get(key, Duration::from_secs(8 * 24 * 3600))
                .await,
            Err(PortError::Invalid(_))
        ));
    }

    #[tokio::test]
    async fn s3_delete_removes_the_photo_and_absent_keys_are_fine() {
        use prolink_app::ports::BlobEraser;
        let Some(store) = fresh_store().await else {
            return;
        };
        let key = "complaints/PS-7K3QX9/1003383421387257.jpg";
        store
            .put_blob(key, jpeg(1_000), "image/jpeg")
            .await
            .expect("put");
        store.delete_blob(key).await.expect("delete");
        assert_eq!(store.get_blob(key).await.expect("get"), None);
        store
            .delete_blob(key)
            .await
            .expect("deleting again is fine");
        assert!(matches!(
            store.delete_blob("../x").await,
            Err(PortError::Invalid(_))
        ));
    }

    #[tokio::test]
    async fn copy_photo_into_s3() {
        let Some(store) = fresh_store().await else {
            return;
        };
        let fixture = Fixture::new(vec![photo(MEDIA_ID, "image/png", None)]).await;
        let bytes = png(1_234);
        let source = FixedSource::ok(bytes.clone(), "image/png");
        let outcome = fixture
            .copy_through(&fixture.store, &source, &store, false)
            .await
            .expect("store works");
        let key = fixture.key("png");
        assert_eq!(outcome, MediaCopy::Stored { key: key.clone() });
        assert_eq!(
            store.get_blob(&key).await.expect("get"),
            Some((bytes, "image/png".to_owned()))
        );
    }
}
