//! Citizens' data rights (UU 27/2022 Pelindungan Data Pribadi), for admins only: finding a
//! citizen by the phone number of a written request (in a body, never in a URL), a copy of
//! everything stored about them, the irreversible erasure, and the requests citizens made in
//! the chat (`HAPUS DATA SAYA`). Citizens are named by their opaque id (the conversation's);
//! the audit trail never holds their number.

use axum::{extract::State, Json};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::warn;

use prolink_domain::erasure::{normalise_phone, photo_keys, ErasedIdentity};

use crate::citizen_rights::{new_anonymous_key, tombstone_hashes};
use crate::conversations::Conversations;
use crate::ports::{
    ConversationSummary, ErasureCounts, ErasureOrder, ErasureRequest, ErasureRequestState,
    PageRequest,
};

use super::complaints::{content, detail_of, ListPage};
use super::conversations::{find, MessageView};
use super::error::{ApiError, ApiResult};
use super::extract::{list_error, store_page, Caller, JsonBody, PathParam, QueryParams};
use super::views::{self, wib_iso};
use super::{trail, ApiState};

/// Items read per store call while collecting an export.
const EXPORT_PAGE: usize = 200;
/// At most this many messages, complaints, questions and alerts per export (a citizen has far
/// fewer; the bound keeps one request finite).
const EXPORT_MAX: usize = 10_000;

// ---------------------------------------------------------------------------------------------
// Lookup
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupBody {
    phone: String,
}

#[derive(Debug, Serialize)]
pub struct LookupView {
    id: String,
    name: Option<String>,
}

/// The summary of a citizen known by this number; one is created (with a fresh opaque id)
/// for a profile that has none yet, so every stored citizen can be named.
async fn summary_by_phone(state: &ApiState, phone: &str) -> ApiResult<Option<ConversationSummary>> {
    let key = state
        .citizens
        .resolve_alias(phone)
        .await?
        .unwrap_or_else(|| phone.to_string());
    if let Some(summary) = state.conversations.get_conversation(&key).await? {
        return Ok(Some(summary));
    }
    let Some(profile) = state.citizens.get_citizen(&key).await? else {
        return Ok(None);
    };
    let name = profile.name.clone();
    let phone = profile.wa_id.clone();
    Ok(
        Conversations::new(state.conversations.clone(), state.clock.clone())
            .update(&key, |s| {
                s.name.clone_from(&name);
                s.phone.clone_from(&phone);
                true
            })
            .await?,
    )
}

pub async fn lookup(
    State(state): State<ApiState>,
    caller: Caller,
    JsonBody(body): JsonBody<LookupBody>,
) -> ApiResult<Json<LookupView>> {
    let Some(phone) = normalise_phone(&body.phone) else {
        return Err(ApiError::invalid_field(
            "phone",
            "Nomor WhatsApp harus diawali 62, +62, atau 08 dan berisi 10–15 angka.",
        ));
    };
    let found = summary_by_phone(&state, &phone).await?;
    // The lookup itself is a read of personal data: recorded whether it found someone, with
    // the id only.
    trail::record(
        &state,
        &caller,
        "citizen.lookup",
        found.as_ref().map(|s| s.id.as_str()),
        None,
    )
    .await?;
    let summary = found.ok_or_else(ApiError::not_found)?;
    let name = match summary.name.clone() {
        Some(name) => Some(name),
        None => state
            .citizens
            .get_citizen(&summary.citizen_key)
            .await?
            .and_then(|p| p.name),
    };
    Ok(Json(LookupView {
        id: summary.id,
        name,
    }))
}

// ---------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
pub struct ProfileView {
    name: Option<String>,
    phone: Option<String>,
    user_id: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
    last_inbound_at: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ConsentView {
    privacy_consent_at: Option<String>,
    broadcast_opt_in: bool,
    topics: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct SessionView {
    expires_at: String,
    /// The dialog engine's state as stored (JSON), or the raw text when it is not JSON.
    data: Value,
}

#[derive(Debug, Serialize)]
pub struct ConversationView {
    handoff_since: Option<String>,
    claimed_by: Option<String>,
    last_message_at: Option<String>,
    last_inbound_at: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct QuestionView {
    id: String,
    text: String,
    asked_at: String,
}

#[derive(Debug, Serialize)]
pub struct AlertView {
    id: String,
    kind: String,
    message: String,
    raised_at: String,
    opd_id: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RequestView {
    id: String,
    citizen_id: String,
    name: Option<String>,
    requested_at: String,
    state: ErasureRequestState,
}

impl From<ErasureRequest> for RequestView {
    fn from(r: ErasureRequest) -> Self {
        RequestView {
            id: request_id(&r),
            citizen_id: r.citizen_id,
            name: r.name,
            requested_at: wib_iso(r.requested_ms),
            state: r.state,
        }
    }
}

/// A request's id: stable for one request, different for a later one of the same citizen.
fn request_id(request: &ErasureRequest) -> String {
    format!(
        "er{}",
        crate::ids::short_hash(&format!("{}#{}", request.citizen_id, request.requested_ms))
    )
}

#[derive(Debug, Serialize)]
pub struct ExportView {
    id: String,
    exported_at: String,
    profile: Option<ProfileView>,
    consent: Option<ConsentView>,
    session: Option<SessionView>,
    conversation: ConversationView,
    messages: Vec<MessageView>,
    complaints: Vec<views::Detail>,
    unanswered: Vec<QuestionView>,
    alerts: Vec<AlertView>,
    erasure_requests: Vec<RequestView>,
}

pub async fn export(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> ApiResult<Json<ExportView>> {
    let summary = find(&state, &id).await?;
    let key = summary.citizen_key.clone();
    let profile = state.citizens.get_citizen(&key).await?;
    let session = state.sessions.load_session(&key).await?;

    let mut messages = Vec::new();
    let mut page = PageRequest {
        limit: EXPORT_PAGE,
        after: None,
    };
    loop {
        let read = state.conversations.messages_of(&key, &page).await?;
        messages.extend(read.items.into_iter().map(MessageView::from));
        match read.next {
            Some(next) if messages.len() < EXPORT_MAX => page.after = Some(next),
            _ => break,
        }
    }

    let loaded = content(&state).await?;
    let mut complaints = Vec::new();
    for complaint in state
        .complaints
        .complaints_of_citizen(&key, EXPORT_MAX)
        .await?
    {
        complaints.push(detail_of(&state, &caller, &complaint, &loaded.bundle).await?);
    }

    // Both lists are the operators' recent views; the citizen's entries are picked out.
    let unanswered = state
        .signals
        .recent_unanswered(EXPORT_MAX)
        .await?
        .into_iter()
        .filter(|q| q.citizen_key == key)
        .map(|q| QuestionView {
            id: q.id,
            text: q.text,
            asked_at: wib_iso(q.asked_ms),
        })
        .collect();
    let alerts = state
        .signals
        .recent_alerts(EXPORT_MAX)
        .await?
        .into_iter()
        .filter(|a| a.citizen_key.as_deref() == Some(key.as_str()))
        .map(|a| AlertView {
            id: a.id,
            kind: a.kind,
            message: a.message,
            raised_at: wib_iso(a.raised_ms),
            opd_id: a.opd_id,
        })
        .collect();
    let erasure_requests = waiting_and_done_requests(&state, &id).await?;

    trail::record(&state, &caller, "citizen.export", Some(&id), None).await?;
    let now = state.clock.now_ms();
    Ok(Json(ExportView {
        id: id.clone(),
        exported_at: wib_iso(now),
        profile: profile.as_ref().map(|p| ProfileView {
            name: p.name.clone().or_else(|| summary.name.clone()),
            phone: p.wa_id.clone().or_else(|| summary.phone.clone()),
            user_id: p.user_id.clone(),
            created_at: (p.created_ms > 0).then(|| wib_iso(p.created_ms)),
            updated_at: (p.updated_ms > 0).then(|| wib_iso(p.updated_ms)),
            last_inbound_at: p.last_inbound_ms.map(wib_iso),
        }),
        consent: profile.as_ref().map(|p| ConsentView {
            privacy_consent_at: p.privacy_consent_ms.map(wib_iso),
            broadcast_opt_in: p.broadcast_opt_in,
            topics: p.topics.clone(),
        }),
        session: session.map(|s| SessionView {
            expires_at: wib_iso(s.expires_at_ms),
            data: serde_json::from_str(&s.data).unwrap_or(Value::String(s.data)),
        }),
        conversation: ConversationView {
            handoff_since: summary.handoff_since_ms.map(wib_iso),
            claimed_by: summary.claimed_by.clone(),
            last_message_at: (summary.last_message_ms > 0)
                .then(|| wib_iso(summary.last_message_ms)),
            last_inbound_at: summary.last_inbound_ms.map(wib_iso),
        },
        messages,
        complaints,
        unanswered,
        alerts,
        erasure_requests,
    }))
}

/// The citizen's erasure requests (at most one waiting; done ones stay without a name).
async fn waiting_and_done_requests(state: &ApiState, id: &str) -> ApiResult<Vec<RequestView>> {
    let mut found = Vec::new();
    let mut page = PageRequest {
        limit: EXPORT_PAGE,
        after: None,
    };
    for _ in 0..(EXPORT_MAX / EXPORT_PAGE) {
        let read = state.citizen_data.list_erasure_requests(&page).await?;
        found.extend(
            read.items
                .into_iter()
                .filter(|r| r.citizen_id == id)
                .map(RequestView::from),
        );
        match read.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    Ok(found)
}

// ---------------------------------------------------------------------------------------------
// Erasure
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EraseBody {
    confirm: String,
}

#[derive(Debug, Serialize)]
pub struct ErasedView {
    id: String,
    erased_at: String,
    removed: ErasureCounts,
}

pub async fn erase(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    JsonBody(body): JsonBody<EraseBody>,
) -> ApiResult<Json<ErasedView>> {
    let summary = find(&state, &id).await?;
    if body.confirm != id {
        return Err(ApiError::invalid_field(
            "confirm",
            "Ketik ulang id warga yang sama persis untuk mengonfirmasi penghapusan.",
        ));
    }
    let key = summary.citizen_key.clone();
    let profile = state.citizens.get_citizen(&key).await?;
    let wa_id = profile
        .as_ref()
        .and_then(|p| p.wa_id.clone())
        .or_else(|| summary.phone.clone());
    let name = profile
        .as_ref()
        .and_then(|p| p.name.clone())
        .or_else(|| summary.name.clone());
    let mut identity = ErasedIdentity::new(
        &key,
        wa_id.as_deref(),
        profile.as_ref().and_then(|p| p.user_id.as_deref()),
        name.as_deref(),
        &new_anonymous_key(),
    );
    if let Some(phone) = summary.phone.as_deref().and_then(normalise_phone) {
        for form in prolink_domain::erasure::phone_forms(&phone) {
            if !identity.identifiers.contains(&form) {
                identity.identifiers.push(form);
            }
        }
    }

    // Photo files first: once the complaints forget their keys, nothing would find them.
    let mut photos = 0u64;
    for complaint in state
        .complaints
        .complaints_of_citizen(&key, EXPORT_MAX)
        .await?
    {
        for blob in photo_keys(&complaint) {
            state
                .blob_eraser
                .delete_blob(&blob)
                .await
                .map_err(|error| {
                    warn!(%error, "photo of an erased citizen not deleted; the erasure stops");
                    ApiError::unavailable()
                })?;
            photos += 1;
        }
    }

    let erased_at_ms = state.clock.now_ms();
    let order = ErasureOrder {
        citizen_key: key,
        citizen_id: id.clone(),
        tombstones: tombstone_hashes(&identity),
        identity,
        erased_at_ms,
    };
    let mut removed = state.citizen_data.erase_citizen(&order).await?;
    if photos > 0 {
        removed.insert("photos".into(), photos);
    }
    let detail = removed
        .iter()
        .map(|(kind, n)| format!("{kind}={n}"))
        .collect::<Vec<_>>()
        .join(", ");
    trail::record(&state, &caller, "citizen.erase", Some(&id), Some(detail)).await?;
    Ok(Json(ErasedView {
        id,
        erased_at: wib_iso(erased_at_ms),
        removed,
    }))
}

// ---------------------------------------------------------------------------------------------
// Requests from the chat
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestsQuery {
    cursor: Option<String>,
    limit: Option<i64>,
}

pub async fn list_requests(
    State(state): State<ApiState>,
    caller: Caller,
    QueryParams(query): QueryParams<RequestsQuery>,
) -> ApiResult<Json<ListPage<RequestView>>> {
    let page = store_page(query.cursor, query.limit)?;
    let read = state
        .citizen_data
        .list_erasure_requests(&page)
        .await
        .map_err(list_error)?;
    // Names of citizens waiting to be forgotten are personal data: the read is recorded.
    trail::record(&state, &caller, "erasure_request.list", None, None).await?;
    Ok(Json(ListPage {
        items: read.items.into_iter().map(RequestView::from).collect(),
        next_cursor: read.next,
    }))
}
