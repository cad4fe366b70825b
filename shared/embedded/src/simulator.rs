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

mod behaviour;
mod clock;
mod http;
mod requests;

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

pub use behaviour::*;
pub use clock::OffsetClock;
use http::*;
pub use requests::*;

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
/// The PROLINK SAKTI logo (`infra/brand/`), the page's icon.
const LOGO_SVG: &str = include_str!("../../../infra/brand/logo.svg");
/// The message templates as submitted to Meta (`infra/whatsapp-templates/`), a JSON array: the
/// simulator shows a template message with its approved text filled in, as the citizen's
/// WhatsApp does, instead of bare parameters.
const TEMPLATES_JSON: &str = concat!(
    "[",
    include_str!("../../../infra/whatsapp-templates/aduan_baru_petugas.json"),
    ",",
    include_str!("../../../infra/whatsapp-templates/aduan_foto_ulang.json"),
    ",",
    include_str!("../../../infra/whatsapp-templates/aduan_pengingat_petugas.json"),
    ",",
    include_str!("../../../infra/whatsapp-templates/aduan_perkembangan.json"),
    ",",
    include_str!("../../../infra/whatsapp-templates/aduan_selesai.json"),
    ",",
    include_str!("../../../infra/whatsapp-templates/aduan_status.json"),
    ",",
    include_str!("../../../infra/whatsapp-templates/petugas_menjawab.json"),
    ",",
    include_str!("../../../infra/whatsapp-templates/siaran_acara.json"),
    ",",
    include_str!("../../../infra/whatsapp-templates/siaran_jam_layanan.json"),
    ",",
    include_str!("../../../infra/whatsapp-templates/siaran_kesehatan.json"),
    ",",
    include_str!("../../../infra/whatsapp-templates/siaran_layanan.json"),
    ",",
    include_str!("../../../infra/whatsapp-templates/siaran_siaga_bencana.json"),
    "]"
);
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
        .route("/simulator/logo.svg", get(logo))
        .route("/simulator/api/templates", get(templates))
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

#[cfg(test)]
mod tests {
    use super::TEMPLATES_JSON;

    /// Every template file is served, each one parsed: a new file that is not added to the
    /// list would show as bare parameters again.
    #[test]
    fn the_simulator_serves_every_template_file() {
        let served: Vec<serde_json::Value> =
            serde_json::from_str(TEMPLATES_JSON).expect("a JSON array");
        let mut names: Vec<String> = served
            .iter()
            .map(|t| t["name"].as_str().expect("name").to_owned())
            .collect();
        names.sort();
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../infra/whatsapp-templates"
        );
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .expect("template folder")
            .filter_map(|entry| {
                let name = entry.expect("entry").file_name().into_string().ok()?;
                name.strip_suffix(".json").map(str::to_owned)
            })
            .collect();
        files.sort();
        assert_eq!(names, files);
        for template in &served {
            let body = template["components"]
                .as_array()
                .and_then(|c| c.iter().find(|c| c["type"] == "BODY"));
            assert!(body.is_some_and(|b| b["text"].is_string()), "{template}");
        }
    }
}
