//! The WhatsApp simulator of the local mode: it plays Meta's part. A message typed in the
//! browser becomes a real signed webhook payload that goes through the same webhook router
//! Meta's POST would; the bot's replies are read back from the outbox the simulator messenger
//! recorded, and the simulator answers them with signed status webhooks (`sent`, `delivered`,
//! and `read` once the citizen's chat is open) through the same `/webhook`, so the outbox
//! records move exactly as on AWS. Files the citizen sends are kept and served through a
//! Graph-compatible media endpoint. Only mounted on a loopback address without Graph
//! credentials, because it lets the caller speak for any citizen.
//!
//! HTTP API (JSON):
//! - `POST /simulator/api/send` — a citizen's message (see [`SendRequest`]) → `{"wamid"}`;
//! - `GET /simulator/api/messages?user=` — `messages` (the bot's Graph bodies, oldest first)
//!   and `items` (the whole conversation with states, see
//!   [`crate::sqlite::ConversationItem`]);
//! - `POST /simulator/api/read {"user"}` — the citizen opened the chat: `read` statuses;
//! - `GET|POST /simulator/api/citizens` — the simulated citizens;
//! - `GET|POST /simulator/api/clock` — time travel (`{"advance_minutes": N}`);
//! - `GET /simulator/graph/{version}/{media_id}` and `GET /simulator/media/{media_id}` — the
//!   Graph media download flow (bearer token required), for `WHATSAPP_GRAPH_URL` =
//!   `http://127.0.0.1:PORT/simulator/graph`.

mod clock;

use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc,
};

use async_trait::async_trait;
use axum::{
    body::{Body, Bytes},
    extract::{DefaultBodyLimit, Path, Query, Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use base64::Engine;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::{watch, Mutex};
use tower::ServiceExt;
use tracing::{debug, warn};

pub use clock::OffsetClock;

use crate::sqlite::{
    MediaFile, SentMessage, SimCitizen, SimulatorOutbox, SimulatorStore, StatusDue,
};

use prolink_app::ports::{
    Clock, Messenger, OutboundMessage, PortError, SecretsProvider, SendError, SendReceipt,
};

use prolink_whatsapp::signature::signature_header_value;

pub const SIMULATOR_DISPLAY_NUMBER: &str = "6280000000000";
pub const SIMULATOR_WABA_ID: &str = "100000000000000";
/// Meta's limit for images (JPEG/PNG).
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// Meta accepts documents up to 100 MB; the simulator keeps files in its SQLite file and
/// stops lower.
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;
/// Largest `send` request: a document at the cap, base64-encoded, plus the envelope.
const MAX_SEND_BODY_BYTES: usize = MAX_DOCUMENT_BYTES / 3 * 4 + 64 * 1024;
pub const MAX_CAPTION_CHARS: usize = 1024;
/// Document types WhatsApp accepts (Meta's media table).
pub const DOCUMENT_MIME_TYPES: &[&str] = &[
    "application/pdf",
    "text/plain",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
];
/// A download URL from the Graph media endpoint works this long, as Meta's does.
pub const MEDIA_URL_TTL_SECS: i64 = 300;
/// Longest single jump of the time-travel control (one year).
pub const MAX_ADVANCE_MINUTES: i64 = 366 * 24 * 60;
/// How long a bot message recorded without an outbox record (sent by a tool rather than the
/// reliable sender) waits before its statuses are played back.
const STATUS_GRACE_MS: i64 = 2_000;
/// Bot messages answered by one status webhook at most (Meta batches too).
const STATUS_BATCH: usize = 100;
const PUMP_IDLE: std::time::Duration = std::time::Duration::from_millis(150);
const PUMP_BACKOFF: std::time::Duration = std::time::Duration::from_secs(5);

const PAGE_HTML: &str = include_str!("simulator/index.html");
const APP_JS: &str = include_str!("simulator/app.js");
const APP_CSS: &str = include_str!("simulator/app.css");
/// Nothing is loaded from elsewhere: scripts, styles and images come from this server (images
/// also from `blob:`/`data:` for the preview of a file about to be sent).
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' blob: data:; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub struct SimulatorState {
    /// The webhook router the simulated Meta posts into.
    pub webhook: Router,
    pub secrets: Arc<dyn SecretsProvider>,
    pub store: SimulatorStore,
    /// The clock of the whole local mode; the time-travel control moves it.
    pub clock: Arc<OffsetClock>,
    pub phone_number_id: String,
    /// Serialises time-travel requests so the stored offset is the last one applied.
    clock_lock: Mutex<()>,
    /// Outbox sequence number before which every message has had its statuses.
    status_scan_from: AtomicI64,
}

impl SimulatorState {
    pub fn new(
        webhook: Router,
        secrets: Arc<dyn SecretsProvider>,
        store: SimulatorStore,
        clock: Arc<OffsetClock>,
        phone_number_id: String,
    ) -> Self {
        SimulatorState {
            webhook,
            secrets,
            store,
            clock,
            phone_number_id,
            clock_lock: Mutex::new(()),
            status_scan_from: AtomicI64::new(0),
        }
    }
}

/// Why a simulator request failed. Texts are for the tester (Indonesian).
#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("Webhook menolak pesan (status {0}).")]
    Webhook(u16),
    #[error("Rahasia lokal tidak dapat dibaca.")]
    Secrets,
    #[error("Penyimpanan simulator tidak dapat dipakai: {0}")]
    Store(#[from] PortError),
}

impl IntoResponse for SimulatorError {
    fn into_response(self) -> Response {
        let status = match &self {
            SimulatorError::Invalid(_) => StatusCode::BAD_REQUEST,
            SimulatorError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            SimulatorError::Webhook(_) => StatusCode::BAD_GATEWAY,
            SimulatorError::Secrets => StatusCode::INTERNAL_SERVER_ERROR,
            SimulatorError::Store(error) => {
                warn!(%error, "simulator store failed");
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
        (status, Json(json!({ "error": self.to_string() }))).into_response()
    }
}

fn invalid(message: impl Into<String>) -> SimulatorError {
    SimulatorError::Invalid(message.into())
}

pub fn router(state: Arc<SimulatorState>) -> Router {
    Router::new()
        .route("/simulator", get(page))
        .route("/simulator/app.js", get(script))
        .route("/simulator/app.css", get(stylesheet))
        .route(
            "/simulator/api/send",
            post(send).layer(DefaultBodyLimit::max(MAX_SEND_BODY_BYTES)),
        )
        .route("/simulator/api/messages", get(messages))
        .route("/simulator/api/read", post(read))
        .route("/simulator/api/citizens", get(citizens).post(put_citizen))
        .route("/simulator/api/clock", get(clock_view).post(advance_clock))
        .route("/simulator/api/media/{media_id}", get(page_media))
        .route("/simulator/graph/{version}/{media_id}", get(graph_media))
        .route("/simulator/media/{media_id}", get(media_download))
        .layer(middleware::from_fn(guard))
        .with_state(state)
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    pub from: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub reply: Option<ReplyTap>,
    #[serde(default)]
    pub location: Option<LocationShare>,
    #[serde(default)]
    pub image: Option<MediaUpload>,
    #[serde(default)]
    pub document: Option<MediaUpload>,
    /// Quotes an earlier message (the wamid of a bot message).
    #[serde(default)]
    pub context: Option<QuotedMessage>,
}

#[derive(Debug, Deserialize)]
pub struct ReplyTap {
    /// `list` (a row), `button` (a reply button) or `template` (a template's quick reply).
    pub kind: String,
    /// Row/button id; for `template`, the button's payload.
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LocationShare {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaUpload {
    pub data_base64: String,
    pub mime_type: String,
    #[serde(default)]
    pub caption: Option<String>,
    /// Documents only.
    #[serde(default)]
    pub filename: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotedMessage {
    pub message_id: String,
}

/// A file checked and stored for a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMedia {
    pub kind: MediaKind,
    pub media_id: String,
    pub mime_type: String,
    pub sha256: String,
    pub caption: Option<String>,
    pub filename: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    Document,
}

impl MediaKind {
    fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Document => "document",
        }
    }
}

fn check_sender(request: &SendRequest) -> Result<(), String> {
    let from = request.from.trim();
    if from.len() < 6 || from.len() > 20 || !from.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err("Nomor pengirim harus berupa 6–20 angka, contoh 6281234567890.".into());
    }
    if let Some(user_id) = &request.user_id {
        if !valid_user_id(user_id) {
            return Err("user_id harus berbentuk kode negara, titik, lalu huruf/angka, contoh ID.1830495827364019283.".into());
        }
    }
    if let Some(name) = &request.name {
        if name.chars().count() > 100 {
            return Err("Nama terlalu panjang (maksimal 100 karakter).".into());
        }
    }
    let chosen = [
        request.text.is_some(),
        request.reply.is_some(),
        request.location.is_some(),
        request.image.is_some(),
        request.document.is_some(),
    ]
    .iter()
    .filter(|present| **present)
    .count();
    if chosen != 1 {
        return Err("Kirim tepat satu dari: text, reply, location, image, atau document.".into());
    }
    if let Some(context) = &request.context {
        let id = context.message_id.trim();
        if id.is_empty() || id.chars().count() > 256 {
            return Err("context.message_id harus diisi (maksimal 256 karakter).".into());
        }
    }
    Ok(())
}

fn valid_user_id(user_id: &str) -> bool {
    user_id.len() <= 131
        && user_id.split_once('.').is_some_and(|(country, rest)| {
            country.len() == 2
                && country.bytes().all(|byte| byte.is_ascii_uppercase())
                && !rest.is_empty()
                && rest.bytes().all(|byte| byte.is_ascii_alphanumeric())
        })
}

/// Checks a simulated message and turns it into the `messages[]` element Meta would send.
/// `media` is the stored file of an `image`/`document` request.
pub fn message_json(
    request: &SendRequest,
    wamid: &str,
    timestamp_secs: i64,
    media: Option<&StoredMedia>,
) -> Result<Value, String> {
    check_sender(request)?;
    let mut message = json!({
        "from": request.from.trim(),
        "id": wamid,
        "timestamp": timestamp_secs.to_string(),
    });
    if let Some(user_id) = &request.user_id {
        message["from_user_id"] = json!(user_id);
    }
    if let Some(context) = &request.context {
        message["context"] = json!({
            "from": SIMULATOR_DISPLAY_NUMBER,
            "id": context.message_id.trim(),
        });
    }
    if let Some(text) = &request.text {
        if text.trim().is_empty() {
            return Err("Pesan tidak boleh kosong.".into());
        }
        if text.chars().count() > 4096 {
            return Err("Pesan terlalu panjang (maksimal 4096 karakter).".into());
        }
        message["type"] = json!("text");
        message["text"] = json!({ "body": text });
    } else if let Some(reply) = &request.reply {
        if reply.id.is_empty() || reply.id.chars().count() > 256 {
            return Err("id pilihan harus diisi (maksimal 256 karakter).".into());
        }
        let title = reply.title.clone().unwrap_or_default();
        match reply.kind.as_str() {
            "list" | "button" => {
                let kind = if reply.kind == "list" {
                    "list_reply"
                } else {
                    "button_reply"
                };
                message["type"] = json!("interactive");
                message["interactive"] =
                    json!({ "type": kind, kind: { "id": reply.id, "title": title } });
            }
            "template" => {
                message["type"] = json!("button");
                message["button"] = json!({ "payload": reply.id, "text": title });
            }
            _ => return Err("reply.kind harus \"list\", \"button\", atau \"template\".".into()),
        }
    } else if let Some(location) = &request.location {
        if !(-90.0..=90.0).contains(&location.latitude)
            || !(-180.0..=180.0).contains(&location.longitude)
        {
            return Err("Koordinat lokasi tidak valid.".into());
        }
        let mut body = json!({ "latitude": location.latitude, "longitude": location.longitude });
        if let Some(name) = &location.name {
            body["name"] = json!(name);
        }
        if let Some(address) = &location.address {
            body["address"] = json!(address);
        }
        message["type"] = json!("location");
        message["location"] = body;
    } else {
        let Some(media) = media else {
            return Err("Berkas belum tersimpan.".into());
        };
        let mut body = json!({
            "id": media.media_id,
            "mime_type": media.mime_type,
            "sha256": media.sha256,
        });
        if let Some(caption) = &media.caption {
            body["caption"] = json!(caption);
        }
        if let Some(filename) = &media.filename {
            body["filename"] = json!(filename);
        }
        message["type"] = json!(media.kind.as_str());
        message[media.kind.as_str()] = body;
    }
    Ok(message)
}

/// The full webhook envelope around one simulated message.
pub fn webhook_payload(request: &SendRequest, message: Value, phone_number_id: &str) -> Value {
    let name: String = request
        .name
        .as_deref()
        .unwrap_or("Warga Simulator")
        .chars()
        .take(100)
        .collect();
    let mut contact = json!({ "profile": { "name": name }, "wa_id": request.from.trim() });
    if let Some(user_id) = &request.user_id {
        contact["user_id"] = json!(user_id);
    }
    envelope(
        phone_number_id,
        json!({ "contacts": [contact], "messages": [message] }),
    )
}

fn envelope(phone_number_id: &str, mut value: Value) -> Value {
    value["messaging_product"] = json!("whatsapp");
    value["metadata"] = json!({
        "display_phone_number": SIMULATOR_DISPLAY_NUMBER,
        "phone_number_id": phone_number_id,
    });
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": SIMULATOR_WABA_ID,
            "changes": [{ "field": "messages", "value": value }]
        }]
    })
}

/// One entry of `statuses[]` for a bot message, as Meta reports it.
pub fn status_json(due: &StatusDue, status: &str, timestamp_secs: i64) -> Value {
    let mut entry = json!({
        "id": due.wamid,
        "status": status,
        "timestamp": timestamp_secs.to_string(),
        "biz_opaque_callback_data": due.outbox_id,
    });
    if let Some(digits) = &due.to_digits {
        entry["recipient_id"] = json!(digits);
    }
    if let Some(recipient) = &due.recipient {
        entry["recipient_user_id"] = json!(recipient);
    }
    if status == "sent" {
        let (kind, category) = if due.kind == "template" {
            ("regular", "utility")
        } else {
            ("free_customer_service", "service")
        };
        entry["pricing"] = json!({
            "billable": kind == "regular",
            "pricing_model": "PMP",
            "type": kind,
            "category": category,
        });
    }
    entry
}

/// Decodes, checks and describes a file against WhatsApp's rules (types, sizes, content that
/// matches the declared type). Returns the bytes and the media record to store.
pub fn check_media(
    kind: MediaKind,
    upload: &MediaUpload,
    media_id: &str,
    now_ms: i64,
) -> Result<(MediaFile, StoredMedia), SimulatorError> {
    let mime_type = upload.mime_type.trim().to_ascii_lowercase();
    let data = base64::engine::general_purpose::STANDARD
        .decode(upload.data_base64.trim())
        .map_err(|_| invalid("Isi berkas harus berupa base64 yang valid."))?;
    if data.is_empty() {
        return Err(invalid("Berkas kosong tidak dapat dikirim."));
    }
    match kind {
        MediaKind::Image => {
            let matches = match mime_type.as_str() {
                "image/jpeg" => data.starts_with(&[0xFF, 0xD8, 0xFF]),
                "image/png" => data.starts_with(b"\x89PNG\r\n\x1a\n"),
                _ => {
                    return Err(invalid(
                        "WhatsApp hanya menerima gambar JPEG atau PNG (image/jpeg, image/png).",
                    ))
                }
            };
            if !matches {
                return Err(invalid(
                    "Isi berkas tidak sesuai dengan jenis gambarnya (JPEG/PNG).",
                ));
            }
            if data.len() > MAX_IMAGE_BYTES {
                return Err(SimulatorError::TooLarge(
                    "Gambar terlalu besar: WhatsApp membatasi gambar hingga 5 MB.".into(),
                ));
            }
        }
        MediaKind::Document => {
            if !DOCUMENT_MIME_TYPES.contains(&mime_type.as_str()) {
                return Err(invalid(
                    "Jenis dokumen tidak didukung WhatsApp. Gunakan PDF, TXT, DOC/DOCX, XLS/XLSX, atau PPT/PPTX.",
                ));
            }
            if mime_type == "application/pdf" && !data.starts_with(b"%PDF") {
                return Err(invalid("Isi berkas bukan PDF yang valid."));
            }
            if data.len() > MAX_DOCUMENT_BYTES {
                return Err(SimulatorError::TooLarge(
                    "Dokumen terlalu besar untuk simulator (maksimal 16 MB; WhatsApp sendiri menerima hingga 100 MB)."
                        .into(),
                ));
            }
        }
    }
    let caption = upload
        .caption
        .as_deref()
        .map(str::trim)
        .filter(|caption| !caption.is_empty())
        .map(str::to_owned);
    if caption
        .as_deref()
        .is_some_and(|caption| caption.chars().count() > MAX_CAPTION_CHARS)
    {
        return Err(invalid(
            "Keterangan terlalu panjang (maksimal 1024 karakter).",
        ));
    }
    let filename = match kind {
        MediaKind::Image => None,
        MediaKind::Document => {
            let name = upload
                .filename
                .as_deref()
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .unwrap_or("dokumen");
            if name.chars().count() > 240 || name.contains(['/', '\\']) {
                return Err(invalid(
                    "Nama berkas tidak valid (tanpa garis miring, maksimal 240 karakter).",
                ));
            }
            Some(name.to_owned())
        }
    };
    let sha256 = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&data));
    let file_size = i64::try_from(data.len()).map_err(|_| invalid("Berkas terlalu besar."))?;
    let file = MediaFile {
        media_id: media_id.to_owned(),
        mime_type: mime_type.clone(),
        sha256: sha256.clone(),
        file_size,
        filename: filename.clone(),
        created_ms: now_ms,
        data,
    };
    let stored = StoredMedia {
        kind,
        media_id: media_id.to_owned(),
        mime_type,
        sha256,
        caption,
        filename,
    };
    Ok((file, stored))
}

fn new_media_id() -> String {
    // Meta's media ids are long decimal numbers.
    rand::rng()
        .random_range(1_000_000_000_000_000u64..10_000_000_000_000_000u64)
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Behaviour
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SendAccepted {
    pub wamid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClockView {
    /// The local mode's time (Unix ms), offset included.
    pub now_ms: i64,
    pub offset_ms: i64,
}

impl SimulatorState {
    /// Posts a payload to `/webhook`, signed with the app secret as Meta signs it.
    async fn post_webhook(&self, payload: &Value) -> Result<(), SimulatorError> {
        let bytes = serde_json::to_vec(payload)
            .map_err(|error| invalid(format!("Pesan tidak dapat disusun: {error}")))?;
        let secrets = self.secrets.whatsapp().await.map_err(|error| {
            warn!(%error, "simulator could not read the local secrets");
            SimulatorError::Secrets
        })?;
        let signature = signature_header_value(&secrets.app_secret, &bytes);
        let request = Request::post("/webhook")
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-hub-signature-256", signature)
            .body(Body::from(bytes))
            .map_err(|error| invalid(format!("Pesan tidak dapat disusun: {error}")))?;
        match self.webhook.clone().oneshot(request).await {
            Ok(response) if response.status() == StatusCode::OK => Ok(()),
            Ok(response) => Err(SimulatorError::Webhook(response.status().as_u16())),
            Err(infallible) => match infallible {},
        }
    }

    /// A citizen's message: checked, its file stored, posted through the signed webhook, and
    /// kept for the conversation view.
    pub async fn send(&self, request: &SendRequest) -> Result<SendAccepted, SimulatorError> {
        check_sender(request).map_err(SimulatorError::Invalid)?;
        let now_ms = self.clock.now_ms();
        let wamid = format!("wamid.SIM{}", uuid::Uuid::new_v4().simple());
        let upload = match (&request.image, &request.document) {
            (Some(upload), _) => Some((MediaKind::Image, upload)),
            (None, Some(upload)) => Some((MediaKind::Document, upload)),
            (None, None) => None,
        };
        let media = match upload {
            Some((kind, upload)) => {
                let (file, stored) = check_media(kind, upload, &new_media_id(), now_ms)?;
                self.store.put_media(&file).await?;
                Some(stored)
            }
            None => None,
        };
        let message = message_json(request, &wamid, now_ms / 1000, media.as_ref())
            .map_err(SimulatorError::Invalid)?;
        let from = request.from.trim();
        let name = request
            .name
            .as_deref()
            .map(str::trim)
            .filter(|name| !name.is_empty());
        self.store
            .ensure_citizen(from, name, request.user_id.as_deref(), now_ms)
            .await?;
        let payload = webhook_payload(request, message.clone(), &self.phone_number_id);
        self.post_webhook(&payload).await?;
        self.store
            .record_sent(&SentMessage {
                wamid: wamid.clone(),
                from_digits: from.to_owned(),
                from_user_id: request.user_id.clone(),
                sent_at_ms: now_ms,
                message,
            })
            .await?;
        Ok(SendAccepted {
            wamid,
            media_id: media.map(|media| media.media_id),
        })
    }

    /// Plays `sent` and `delivered` back for the bot messages that are due (one set per
    /// message). Returns how many messages got their statuses.
    pub async fn emit_statuses(&self) -> Result<usize, SimulatorError> {
        let now_ms = self.clock.now_ms();
        let after_seq = self.status_scan_from.load(Ordering::SeqCst);
        let scan = self
            .store
            .statuses_due(after_seq, now_ms, STATUS_GRACE_MS, STATUS_BATCH)
            .await?;
        let due = scan.due;
        if due.is_empty() {
            self.status_scan_from
                .store(scan.next_after_seq, Ordering::SeqCst);
            return Ok(0);
        }
        let mut statuses = Vec::with_capacity(due.len() * 2);
        for message in &due {
            statuses.push(status_json(message, "sent", now_ms / 1000));
            // Meta reports reactions as sent only.
            if message.kind != "reaction" {
                statuses.push(status_json(message, "delivered", now_ms / 1000));
            }
        }
        self.post_webhook(&envelope(
            &self.phone_number_id,
            json!({ "statuses": statuses }),
        ))
        .await?;
        self.store.mark_delivered(&due, now_ms).await?;
        self.status_scan_from
            .store(scan.next_after_seq, Ordering::SeqCst);
        debug!(messages = due.len(), "simulator played back sent/delivered");
        Ok(due.len())
    }

    /// The citizen has the chat open: `read` for every delivered bot message to them.
    pub async fn mark_conversation_read(&self, user: &str) -> Result<usize, SimulatorError> {
        let unread: Vec<StatusDue> = self
            .store
            .unread_for(user)
            .await?
            .into_iter()
            .filter(|message| message.kind != "reaction")
            .collect();
        if unread.is_empty() {
            return Ok(0);
        }
        let now_ms = self.clock.now_ms();
        let statuses: Vec<Value> = unread
            .iter()
            .map(|message| status_json(message, "read", now_ms / 1000))
            .collect();
        self.post_webhook(&envelope(
            &self.phone_number_id,
            json!({ "statuses": statuses }),
        ))
        .await?;
        let ids: Vec<String> = unread.iter().map(|m| m.outbox_id.clone()).collect();
        self.store.mark_read(&ids, now_ms).await?;
        Ok(unread.len())
    }

    pub fn clock_view(&self) -> ClockView {
        ClockView {
            now_ms: self.clock.now_ms(),
            offset_ms: self.clock.offset_ms(),
        }
    }

    /// Moves the local mode's clock forward and keeps the offset for the next start.
    pub async fn advance_clock(&self, minutes: i64) -> Result<ClockView, SimulatorError> {
        if !(1..=MAX_ADVANCE_MINUTES).contains(&minutes) {
            return Err(invalid(format!(
                "advance_minutes harus antara 1 dan {MAX_ADVANCE_MINUTES} (satu tahun)."
            )));
        }
        let _guard = self.clock_lock.lock().await;
        let offset = self.clock.advance_ms(minutes * 60_000);
        if let Err(error) = self.store.set_clock_offset_ms(offset).await {
            // Without the stored offset a restart would move time back: undo.
            self.clock.advance_ms(-minutes * 60_000);
            return Err(error.into());
        }
        tracing::info!(minutes, offset_ms = offset, "simulator clock advanced");
        Ok(self.clock_view())
    }

    /// Applies the offset stored by an earlier run (call once at start-up).
    pub async fn restore_clock(&self) -> Result<ClockView, SimulatorError> {
        let offset = self.store.clock_offset_ms().await?;
        self.clock.set_offset_ms(offset);
        Ok(self.clock_view())
    }
}

/// Plays statuses back until `shutdown` turns true.
pub async fn run_status_pump(state: Arc<SimulatorState>, mut shutdown: watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        let pause = match state.emit_statuses().await {
            Ok(count) if count >= STATUS_BATCH => std::time::Duration::ZERO,
            Ok(_) => PUMP_IDLE,
            Err(error) => {
                warn!(%error, "simulator could not play statuses back; retrying later");
                PUMP_BACKOFF
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// The messenger of the local mode without Graph credentials: records every message in the
/// simulator outbox, and turns the bot's mark-as-read into read ticks on the citizen's side.
pub struct SimulatorMessenger {
    pub outbox: Arc<SimulatorOutbox>,
    pub store: SimulatorStore,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl Messenger for SimulatorMessenger {
    async fn send(&self, message: &OutboundMessage) -> Result<SendReceipt, SendError> {
        let receipt = self.outbox.send(message).await?;
        let read_target = (message.body.get("status").and_then(Value::as_str) == Some("read"))
            .then(|| message.body.get("message_id").and_then(Value::as_str))
            .flatten();
        if let Some(wamid) = read_target {
            // Ticks only: a failure must not make the worker retry the citizen's message.
            if let Err(error) = self
                .store
                .mark_citizen_read(wamid, self.clock.now_ms())
                .await
            {
                warn!(%error, "simulator could not record a read receipt");
            }
        }
        Ok(receipt)
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

/// Loopback names only: another name pointing at 127.0.0.1 (DNS rebinding) must not let a web
/// page read the conversations. Requests built in process carry no Host and pass.
fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST) else {
        return true;
    };
    let Ok(host) = host.to_str() else {
        return false;
    };
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Host checks, JSON-only POSTs (a cross-site form cannot post JSON without a preflight this
/// server never grants), and the security headers of every simulator response.
async fn guard(request: Request, next: Next) -> Response {
    if !loopback_host(request.headers()) {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({ "error": "Simulator hanya dapat dibuka lewat alamat loopback (127.0.0.1 atau localhost)." })),
        )
            .into_response();
    }
    if request.method() == axum::http::Method::POST {
        let json_body = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| {
                value
                    .split(';')
                    .next()
                    .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
            });
        if !json_body {
            return (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Json(json!({ "error": "Kirim permintaan sebagai JSON (Content-Type: application/json)." })),
            )
                .into_response();
        }
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn page() -> Response {
    asset("text/html; charset=utf-8", PAGE_HTML)
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", APP_CSS)
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, SimulatorError> {
    serde_json::from_slice(body)
        .map_err(|error| invalid(format!("Permintaan tidak dapat dibaca: {error}")))
}

async fn send(State(state): State<Arc<SimulatorState>>, body: Bytes) -> Response {
    let request: SendRequest = match parse_body(&body) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    match state.send(&request).await {
        Ok(accepted) => Json(accepted).into_response(),
        Err(error) => error.into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct UserQuery {
    user: Option<String>,
}

fn required_user(user: Option<String>) -> Result<String, SimulatorError> {
    user.map(|user| user.trim().to_owned())
        .filter(|user| !user.is_empty() && user.chars().count() <= 140)
        .ok_or_else(|| invalid("Parameter user wajib diisi (nomor atau user id)."))
}

async fn messages(
    State(state): State<Arc<SimulatorState>>,
    Query(query): Query<UserQuery>,
) -> Response {
    let user = match required_user(query.user) {
        Ok(user) => user,
        Err(error) => return error.into_response(),
    };
    match state.store.conversation(&user).await {
        Ok(items) => {
            let messages: Vec<&Value> = items
                .iter()
                .filter(|item| item.outbox_id.is_some())
                .map(|item| &item.body)
                .collect();
            Json(json!({
                "messages": messages,
                "items": items,
                "clock": state.clock_view(),
            }))
            .into_response()
        }
        Err(error) => {
            warn!(%error, "simulator conversation read failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "error": "Kotak keluar simulator tidak dapat dibaca." })),
            )
                .into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadRequest {
    user: Option<String>,
}

async fn read(State(state): State<Arc<SimulatorState>>, body: Bytes) -> Response {
    let result = async {
        let request: ReadRequest = parse_body(&body)?;
        let user = required_user(request.user)?;
        state.mark_conversation_read(&user).await
    }
    .await;
    match result {
        Ok(count) => Json(json!({ "read": count })).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn citizens(State(state): State<Arc<SimulatorState>>) -> Response {
    match state.store.citizens().await {
        Ok(citizens) => Json(json!({ "citizens": citizens })).into_response(),
        Err(error) => SimulatorError::from(error).into_response(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CitizenRequest {
    number: String,
    name: String,
    #[serde(default)]
    user_id: Option<String>,
}

/// Checks a citizen added in the page.
fn check_citizen(request: CitizenRequest) -> Result<SimCitizen, SimulatorError> {
    let number = request.number.trim().to_owned();
    if number.len() < 6 || number.len() > 20 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            "Nomor warga harus berupa 6–20 angka, contoh 6281234567890.",
        ));
    }
    let name = request.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("Nama warga wajib diisi (maksimal 100 karakter)."));
    }
    let user_id = request
        .user_id
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty());
    if user_id.as_deref().is_some_and(|id| !valid_user_id(id)) {
        return Err(invalid(
            "User id harus berbentuk kode negara, titik, lalu huruf/angka, contoh ID.1830495827364019283.",
        ));
    }
    Ok(SimCitizen {
        number,
        name,
        user_id,
    })
}

async fn put_citizen(State(state): State<Arc<SimulatorState>>, body: Bytes) -> Response {
    let result = async {
        let citizen = check_citizen(parse_body(&body)?)?;
        state
            .store
            .put_citizen(&citizen, state.clock.now_ms())
            .await?;
        Ok::<_, SimulatorError>(state.store.citizens().await?)
    }
    .await;
    match result {
        Ok(citizens) => Json(json!({ "citizens": citizens })).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn clock_view(State(state): State<Arc<SimulatorState>>) -> Response {
    Json(state.clock_view()).into_response()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceRequest {
    advance_minutes: i64,
}

async fn advance_clock(State(state): State<Arc<SimulatorState>>, body: Bytes) -> Response {
    let result = async {
        let request: AdvanceRequest = parse_body(&body)?;
        state.advance_clock(request.advance_minutes).await
    }
    .await;
    match result {
        Ok(view) => Json(view).into_response(),
        Err(error) => error.into_response(),
    }
}

fn media_response(media: MediaFile) -> Response {
    let mut response = Response::new(Body::from(media.data));
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&media.mime_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(media.file_size));
    response
}

/// Media ids are decimal; anything else cannot name a stored file.
fn plausible_media_id(media_id: &str) -> bool {
    !media_id.is_empty() && media_id.len() <= 40 && media_id.bytes().all(|b| b.is_ascii_digit())
}

/// The page shows the citizen's own pictures (same origin, no token: the page is the phone).
async fn page_media(
    State(state): State<Arc<SimulatorState>>,
    Path(media_id): Path<String>,
) -> Response {
    if !plausible_media_id(&media_id) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match state.store.media(&media_id).await {
        Ok(Some(media)) => media_response(media),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => SimulatorError::from(error).into_response(),
    }
}

fn graph_error(status: StatusCode, code: i64, kind: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "error": {
            "message": message,
            "type": kind,
            "code": code,
            "fbtrace_id": "SIMULATOR",
        }})),
    )
        .into_response()
}

/// Graph accepts any non-empty bearer token locally, or exactly the configured one when a
/// `WHATSAPP_ACCESS_TOKEN` is set (so a wrong token fails here as it would at Meta).
async fn bearer_ok(state: &SimulatorState, headers: &HeaderMap) -> bool {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
    else {
        return false;
    };
    match state.secrets.whatsapp().await {
        Ok(secrets) => match secrets.access_token.as_deref() {
            Some(expected) => {
                use subtle::ConstantTimeEq;
                bool::from(expected.as_bytes().ct_eq(token.as_bytes()))
            }
            None => true,
        },
        Err(_) => false,
    }
}

fn invalid_token() -> Response {
    graph_error(
        StatusCode::UNAUTHORIZED,
        190,
        "OAuthException",
        "Invalid OAuth access token - Cannot parse access token",
    )
}

#[derive(Debug, Deserialize)]
struct GraphMediaQuery {
    phone_number_id: Option<String>,
}

/// `GET /{version}/{media_id}`: where to download a file, as Meta answers it.
async fn graph_media(
    State(state): State<Arc<SimulatorState>>,
    Path((version, media_id)): Path<(String, String)>,
    Query(query): Query<GraphMediaQuery>,
    headers: HeaderMap,
) -> Response {
    if !bearer_ok(&state, &headers).await {
        return invalid_token();
    }
    let unknown = || {
        graph_error(
            StatusCode::BAD_REQUEST,
            100,
            "GraphMethodException",
            &format!(
                "Unsupported get request. Object with ID '{media_id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
            ),
        )
    };
    let version_ok = version
        .strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(major, minor)| {
            !major.is_empty()
                && major.bytes().all(|b| b.is_ascii_digit())
                && minor.bytes().all(|b| b.is_ascii_digit())
        });
    if !version_ok {
        return graph_error(
            StatusCode::BAD_REQUEST,
            2500,
            "OAuthException",
            "Unknown path components",
        );
    }
    if query
        .phone_number_id
        .as_deref()
        .is_some_and(|id| id != state.phone_number_id)
    {
        return unknown();
    }
    if !plausible_media_id(&media_id) {
        return unknown();
    }
    let media = match state.store.media(&media_id).await {
        Ok(Some(media)) => media,
        Ok(None) => return unknown(),
        Err(error) => return SimulatorError::from(error).into_response(),
    };
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("127.0.0.1");
    let expires = state.clock.now_ms() / 1000 + MEDIA_URL_TTL_SECS;
    Json(json!({
        "messaging_product": "whatsapp",
        "url": format!("http://{host}/simulator/media/{media_id}?ext={expires}"),
        "mime_type": media.mime_type,
        "sha256": media.sha256,
        "file_size": media.file_size.to_string(),
        "id": media.media_id,
    }))
    .into_response()
}

#[derive(Debug, Deserialize)]
struct DownloadQuery {
    ext: Option<i64>,
}

/// The download URL: bytes with the bearer token, 404 once the URL expired (fetch a new one).
async fn media_download(
    State(state): State<Arc<SimulatorState>>,
    Path(media_id): Path<String>,
    Query(query): Query<DownloadQuery>,
    headers: HeaderMap,
) -> Response {
    if !bearer_ok(&state, &headers).await {
        return invalid_token();
    }
    let expired = query
        .ext
        .is_none_or(|expires| expires < state.clock.now_ms() / 1000);
    if expired || !plausible_media_id(&media_id) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match state.store.media(&media_id).await {
        Ok(Some(media)) => media_response(media),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => SimulatorError::from(error).into_response(),
    }
}
