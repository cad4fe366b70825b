//! The WhatsApp simulator of the local mode: it plays Meta's part. A message typed in the
//! browser becomes a real signed webhook payload that goes through the same webhook router
//! Meta's POST would; the bot's replies are read back from the outbox the simulator messenger
//! recorded. Only mounted on a loopback address without Graph credentials, because it lets the
//! caller speak for any citizen.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Query, State},
    http::{header, Request, StatusCode},
    response::{Html, IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};
use tower::ServiceExt;
use tracing::warn;

use crate::{
    ports::{Clock, OutboxReader, SecretsProvider},
    whatsapp::signature::signature_header_value,
};

pub struct SimulatorState {
    /// The webhook router the simulated Meta posts into.
    pub webhook: Router,
    pub secrets: Arc<dyn SecretsProvider>,
    pub outbox: Arc<dyn OutboxReader>,
    pub clock: Arc<dyn Clock>,
    pub phone_number_id: String,
}

pub fn router(state: Arc<SimulatorState>) -> Router {
    Router::new()
        .route("/simulator", get(page))
        .route("/simulator/api/send", post(send))
        .route("/simulator/api/messages", get(messages))
        .with_state(state)
}

pub const SIMULATOR_DISPLAY_NUMBER: &str = "6280000000000";
pub const SIMULATOR_WABA_ID: &str = "100000000000000";

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
}

#[derive(Debug, Deserialize)]
pub struct ReplyTap {
    pub kind: String,
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

fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

/// Checks a simulated message and turns it into the `messages[]` element Meta would send.
pub fn message_json(
    request: &SendRequest,
    wamid: &str,
    timestamp_secs: i64,
) -> Result<Value, String> {
    let from = request.from.trim();
    if from.len() < 6 || from.len() > 20 || !from.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err("Nomor pengirim harus berupa 6–20 angka, contoh 6281234567890.".into());
    }
    if let Some(user_id) = &request.user_id {
        let valid = user_id.len() <= 131
            && user_id.split_once('.').is_some_and(|(country, rest)| {
                country.len() == 2
                    && country.bytes().all(|byte| byte.is_ascii_uppercase())
                    && !rest.is_empty()
                    && rest.bytes().all(|byte| byte.is_ascii_alphanumeric())
            });
        if !valid {
            return Err("user_id harus berbentuk kode negara, titik, lalu huruf/angka, contoh ID.1830495827364019283.".into());
        }
    }
    let chosen = [
        request.text.is_some(),
        request.reply.is_some(),
        request.location.is_some(),
    ]
    .iter()
    .filter(|present| **present)
    .count();
    if chosen != 1 {
        return Err("Kirim tepat satu dari: text, reply, atau location.".into());
    }
    let mut message = json!({
        "from": from,
        "id": wamid,
        "timestamp": timestamp_secs.to_string(),
    });
    if let Some(user_id) = &request.user_id {
        message["from_user_id"] = json!(user_id);
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
        let (kind, field) = match reply.kind.as_str() {
            "list" => ("list_reply", json!({ "id": reply.id, "title": title })),
            "button" => ("button_reply", json!({ "id": reply.id, "title": title })),
            _ => return Err("reply.kind harus \"list\" atau \"button\".".into()),
        };
        message["type"] = json!("interactive");
        message["interactive"] = json!({ "type": kind, kind: field });
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
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": SIMULATOR_WABA_ID,
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {
                        "display_phone_number": SIMULATOR_DISPLAY_NUMBER,
                        "phone_number_id": phone_number_id,
                    },
                    "contacts": [contact],
                    "messages": [message],
                }
            }]
        }]
    })
}

async fn send(State(state): State<Arc<SimulatorState>>, body: axum::body::Bytes) -> Response {
    let request: SendRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => return bad_request(&format!("Permintaan tidak dapat dibaca: {error}")),
    };
    let wamid = format!("wamid.SIM{}", uuid::Uuid::new_v4().simple());
    let now_secs = state.clock.now_ms() / 1000;
    let message = match message_json(&request, &wamid, now_secs) {
        Ok(message) => message,
        Err(reason) => return bad_request(&reason),
    };
    let payload = webhook_payload(&request, message, &state.phone_number_id);
    let bytes = match serde_json::to_vec(&payload) {
        Ok(bytes) => bytes,
        Err(error) => return bad_request(&format!("Pesan tidak dapat disusun: {error}")),
    };
    let secrets = match state.secrets.whatsapp().await {
        Ok(secrets) => secrets,
        Err(error) => {
            warn!(%error, "simulator could not read the local secrets");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let signature = signature_header_value(&secrets.app_secret, &bytes);
    let webhook_request = match Request::post("/webhook")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-hub-signature-256", signature)
        .body(Body::from(bytes))
    {
        Ok(request) => request,
        Err(error) => return bad_request(&format!("Pesan tidak dapat disusun: {error}")),
    };
    match state.webhook.clone().oneshot(webhook_request).await {
        Ok(response) if response.status() == StatusCode::OK => {
            Json(json!({ "wamid": wamid })).into_response()
        }
        Ok(response) => (
            StatusCode::BAD_GATEWAY,
            Json(json!({
                "error": format!("Webhook menolak pesan (status {}).", response.status().as_u16())
            })),
        )
            .into_response(),
        Err(infallible) => match infallible {},
    }
}

#[derive(Debug, Deserialize)]
struct MessagesQuery {
    user: Option<String>,
}

async fn messages(
    State(state): State<Arc<SimulatorState>>,
    Query(query): Query<MessagesQuery>,
) -> Response {
    let Some(user) = query.user.filter(|user| !user.trim().is_empty()) else {
        return bad_request("Parameter user wajib diisi (nomor atau user id).");
    };
    match state.outbox.messages_for(user.trim()).await {
        Ok(recorded) => {
            let messages: Vec<Value> = recorded.into_iter().map(|message| message.body).collect();
            Json(json!({ "messages": messages })).into_response()
        }
        Err(error) => {
            warn!(%error, "simulator outbox read failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "error": "Kotak keluar simulator tidak dapat dibaca." })),
            )
                .into_response()
        }
    }
}

async fn page() -> Html<&'static str> {
    Html(include_str!("simulator.html"))
}
