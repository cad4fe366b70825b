//! The webhook Meta calls: GET for the verification handshake, POST for notifications.
//!
//! The POST path is deliberately small: check the signature on the raw bytes, split the batch
//! into one queue message per inbound message and per status, enqueue, answer 200. Everything
//! slow happens in the dialog worker. Meta retries non-200 answers for a week, so only a
//! failure to queue (which would lose messages) answers 500.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{rejection::QueryRejection, DefaultBodyLimit, Query, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use serde::Deserialize;
use tracing::{info, warn};

use prolink_domain::calendar::DAY_MS;
use prolink_domain::erasure::{cut_from_webhook, ErasedIdentity};
use prolink_whatsapp::{
    signature::{
        check_signature_header_form, find_signature_header, verify_handshake, verify_signature,
    },
    webhook::parse_payload,
};

use crate::ports::{
    CitizenData, Clock, OutgoingMessage, Queue, RawInbound, RawInboundLog, SecretsProvider,
};
use crate::queue_body::{queue_safe, BodyFix};
use crate::webhook_item::{webhook_items, WebhookItem};

/// Meta batches up to 1000 updates and at most 3 MB per POST; axum's default limit is 2 MB.
pub const MAX_WEBHOOK_BODY_BYTES: usize = 3 * 1024 * 1024;

/// DynamoDB items are limited to 400 KB; the raw log keeps the head of larger batches (the
/// queued items themselves are complete).
pub const MAX_RAW_LOG_BYTES: usize = 256 * 1024;

fn raw_log_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if text.len() <= MAX_RAW_LOG_BYTES {
        return text.into_owned();
    }
    let mut end = MAX_RAW_LOG_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}…[truncated, {} bytes in total]",
        &text[..end],
        body.len()
    )
}

pub struct WebhookState {
    pub queue: Arc<dyn Queue>,
    pub raw_log: Arc<dyn RawInboundLog>,
    pub secrets: Arc<dyn SecretsProvider>,
    pub clock: Arc<dyn Clock>,
    pub retention_days: i64,
    /// Tombstones of erased citizens: the statuses Meta still reports for their numbers are
    /// cut out of the raw log, so an erased number does not come back into the store.
    pub erasures: Option<Arc<dyn CitizenData>>,
}

/// Webhook POSTs handled at once; more are answered 503 (Meta retries). With the body limit
/// this bounds what the webhook buffers to about 16 × 3 MB (docs/performance.md).
pub const MAX_CONCURRENT_WEBHOOKS: usize = 16;

/// How long a webhook POST waits for one of the [`MAX_CONCURRENT_WEBHOOKS`] permits.
pub const WEBHOOK_ADMISSION_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

pub fn router(state: Arc<WebhookState>) -> Router {
    let permits = Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_WEBHOOKS));
    Router::new()
        .route(
            "/webhook",
            get(handshake)
                .post(receive)
                .layer(axum::middleware::from_fn(
                    move |request: axum::extract::Request, next: axum::middleware::Next| {
                        let permits = permits.clone();
                        async move { admit(&permits, request, next).await }
                    },
                )),
        )
        .layer(DefaultBodyLimit::max(MAX_WEBHOOK_BODY_BYTES))
        .with_state(state)
}

/// Runs before the body is read: a POST without a well-formed signature header cannot be
/// Meta's and is refused at once (instead of buffering up to 3 MB first), and at most
/// [`MAX_CONCURRENT_WEBHOOKS`] bodies are read at a time.
async fn admit(
    permits: &tokio::sync::Semaphore,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if request.method() != axum::http::Method::POST {
        return next.run(request).await;
    }
    if let Err(error) = check_signature_header_form(find_signature_header(request.headers())) {
        warn!(%error, "webhook refused before reading its body");
        return (StatusCode::UNAUTHORIZED, "Tanda tangan tidak valid.").into_response();
    }
    // A burst (Meta delivering many batches at once, or its retries) waits briefly for a
    // permit: the body is not read before admission, so waiting costs a connection, not
    // memory. Only a backlog that outlasts the wait is answered 503 (Meta retries).
    let admitted = tokio::time::timeout(WEBHOOK_ADMISSION_WAIT, permits.acquire()).await;
    let Ok(Ok(_permit)) = admitted else {
        warn!("too many webhook requests at once; answering 503");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
            "Sedang sibuk, coba lagi.",
        )
            .into_response();
    };
    next.run(request).await
}

#[derive(Debug, Deserialize)]
struct HandshakeQuery {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

async fn handshake(
    State(state): State<Arc<WebhookState>>,
    query: Result<Query<HandshakeQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return (
            StatusCode::FORBIDDEN,
            "Permintaan verifikasi tidak lengkap.",
        )
            .into_response();
    };
    let secrets = match state.secrets.whatsapp().await {
        Ok(secrets) => secrets,
        Err(error) => {
            warn!(%error, "secrets unavailable for the webhook handshake");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    match verify_handshake(
        query.mode.as_deref(),
        query.verify_token.as_deref(),
        query.challenge.as_deref(),
        &secrets.verify_token,
    ) {
        Ok(challenge) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            challenge,
        )
            .into_response(),
        Err(error) => {
            warn!(%error, "webhook handshake refused");
            (StatusCode::FORBIDDEN, "Token verifikasi tidak cocok.").into_response()
        }
    }
}

/// The identifiers of erased citizens the batch still names: recipients of statuses, and
/// senders of messages written before the erasure (Meta's late repeats). The dialog worker
/// drops those items; the raw log must not keep them either. A failed lookup keeps the body
/// as it is: the raw log is an audit aid, and the webhook answers Meta at once.
async fn erased_identifiers(erasures: &dyn CitizenData, items: &[WebhookItem]) -> Vec<String> {
    let mut erased: Vec<String> = Vec::new();
    for item in items {
        let (identifiers, sent_ms): (Vec<&str>, i64) = match item {
            WebhookItem::Status { status, .. } => match status.recipient_key() {
                Some(recipient) => (vec![recipient], i64::MIN),
                None => continue,
            },
            WebhookItem::Message {
                citizen, message, ..
            } => (
                [
                    Some(citizen.key.as_str()),
                    citizen.wa_id.as_deref(),
                    citizen.user_id.as_deref(),
                ]
                .into_iter()
                .flatten()
                .collect(),
                message
                    .timestamp_secs()
                    .map_or(i64::MAX, |secs| secs.saturating_mul(1000)),
            ),
            // Account-level events name no citizen.
            WebhookItem::Error { .. }
            | WebhookItem::TemplateStatus { .. }
            | WebhookItem::PhoneQuality { .. } => continue,
        };
        if identifiers.iter().all(|i| erased.iter().any(|e| e == i)) {
            continue;
        }
        match crate::citizen_rights::erased_at(erasures, &identifiers).await {
            Ok(Some(at)) if sent_ms <= at => {
                erased.extend(identifiers.iter().map(|i| i.to_string()));
            }
            Ok(_) => {}
            Err(error) => warn!(%error, "erasure tombstone not readable; raw body kept whole"),
        }
    }
    erased
}

async fn receive(
    State(state): State<Arc<WebhookState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let secrets = match state.secrets.whatsapp().await {
        Ok(secrets) => secrets,
        Err(error) => {
            // Without the secret nothing can be verified; 500 lets Meta deliver it again later.
            warn!(%error, "secrets unavailable for the webhook");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut accepted: Vec<&str> = vec![secrets.app_secret.as_str()];
    if let Some(previous) = secrets.app_secret_previous.as_deref() {
        accepted.push(previous);
    }
    if let Err(error) = verify_signature(&body, find_signature_header(&headers), &accepted) {
        warn!(%error, body_bytes = body.len(), "webhook signature rejected");
        return (StatusCode::UNAUTHORIZED, "Tanda tangan tidak valid.").into_response();
    }

    let received_at_ms = state.clock.now_ms();
    let raw_id = uuid::Uuid::new_v4().to_string();
    let mut erased: Vec<String> = Vec::new();
    let (outcome, messages) = match parse_payload(&body) {
        Ok(payload) => {
            let items = webhook_items(&payload);
            if let Some(erasures) = &state.erasures {
                erased = erased_identifiers(erasures.as_ref(), &items).await;
            }
            let messages: Vec<OutgoingMessage> = items
                .iter()
                .filter_map(|item| match serde_json::to_string(item) {
                    Ok(body) => Some(OutgoingMessage {
                        group_id: item.group_id(),
                        dedup_id: item.dedup_id(),
                        body,
                    }),
                    Err(error) => {
                        warn!(%error, raw_id, "webhook item could not be serialised");
                        None
                    }
                })
                .collect();
            let outcome = if messages.is_empty() {
                "ignored"
            } else {
                "queued"
            };
            (outcome, messages)
        }
        Err(error) => {
            warn!(%error, raw_id, body_bytes = body.len(), "signed webhook payload not understood");
            ("unparsable", Vec::new())
        }
    };

    let (safe, changed) = queue_safe_batch(messages, &raw_id);
    let expected = if changed {
        "queued_with_changes"
    } else {
        outcome
    };
    let mut raw_body = raw_log_body(&body);
    for identifier in &erased {
        let identity = ErasedIdentity::new(identifier, Some(identifier), None, None, "erased");
        if let Some(cut) = cut_from_webhook(&raw_body, &identity) {
            raw_body = cut;
        }
    }
    let mut raw = RawInbound {
        id: raw_id.clone(),
        received_at_ms,
        outcome: expected.to_string(),
        body: raw_body,
        expires_at_ms: received_at_ms + state.retention_days * DAY_MS,
    };
    // Queued and logged at once, with the outcome the queueing will have unless it fails:
    // Meta waits for the slower of the two instead of their sum (locally, both land in the
    // same group commit). The raw log is an audit aid; losing one entry must not make Meta
    // resend a payload that is already safely queued. It is written before a 500 too: what
    // could not be queued is still on record.
    let (sent, recorded) = tokio::join!(
        send_queue_safe(state.queue.as_ref(), &safe, &raw_id),
        state.raw_log.record(&raw)
    );
    let (outcome, queued) = match sent {
        Ok(Sent { queued, refused: 0 }) => (expected, queued),
        Ok(Sent { queued, .. }) => ("queued_with_changes", queued),
        Err(()) => ("queue_failed", 0),
    };
    let recorded = if outcome == expected {
        recorded
    } else {
        // Last write wins: the entry now says what really happened.
        raw.outcome = outcome.to_string();
        state.raw_log.record(&raw).await
    };
    if let Err(error) = recorded {
        warn!(%error, raw_id, "raw inbound log write failed");
    }
    if outcome == "queue_failed" {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    info!(raw_id, outcome, items = queued, "webhook accepted");
    StatusCode::OK.into_response()
}

/// What [`send_queue_safe`] got into the queue.
struct Sent {
    queued: usize,
    /// Items the queue refused while it took others: left out, the raw log has them.
    refused: usize,
}

/// Makes every body SQS-safe (see [`queue_safe`]): what is cut to fit or cannot be queued at
/// all is recorded, and `true` says so.
fn queue_safe_batch(messages: Vec<OutgoingMessage>, raw_id: &str) -> (Vec<OutgoingMessage>, bool) {
    let mut changed = false;
    let mut safe = Vec::with_capacity(messages.len());
    for mut message in messages {
        let (body, fix) = queue_safe(std::mem::take(&mut message.body));
        match fix {
            BodyFix::Unchanged => {}
            BodyFix::Truncated => {
                warn!(raw_id, dedup_id = %message.dedup_id, "webhook item cut to fit the queue");
                changed = true;
            }
            BodyFix::Impossible => {
                warn!(raw_id, dedup_id = %message.dedup_id, "webhook item cannot be queued; left out");
                changed = true;
                continue;
            }
        }
        message.body = body;
        safe.push(message);
    }
    (safe, changed)
}

/// Queues what can be queued. When the batch is refused, each item is tried alone: one the
/// queue still refuses while others go in is the item's fault and is left out (recorded);
/// when nothing goes in the queue itself is down, and `Err` makes the webhook answer 500 so
/// Meta retries.
async fn send_queue_safe(
    queue: &dyn Queue,
    safe: &[OutgoingMessage],
    raw_id: &str,
) -> Result<Sent, ()> {
    if safe.is_empty() {
        return Ok(Sent {
            queued: 0,
            refused: 0,
        });
    }
    let Err(error) = queue.send_batch(safe).await else {
        return Ok(Sent {
            queued: safe.len(),
            refused: 0,
        });
    };
    if safe.len() == 1 {
        warn!(%error, raw_id, "queueing failed; Meta will retry");
        return Err(());
    }
    warn!(%error, raw_id, items = safe.len(), "batch refused; queueing item by item");
    let mut queued = 0;
    let mut refused = 0;
    for message in safe {
        match queue.send_batch(std::slice::from_ref(message)).await {
            Ok(()) => queued += 1,
            Err(error) => {
                warn!(%error, raw_id, dedup_id = %message.dedup_id, "webhook item refused by the queue");
                refused += 1;
            }
        }
    }
    if queued == 0 {
        warn!(raw_id, refused, "queueing failed; Meta will retry");
        return Err(());
    }
    Ok(Sent { queued, refused })
}
