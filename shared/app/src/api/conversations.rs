//! Conversations and human handoff: the list (handoffs first), a citizen's message log, the
//! operator's reply (free-form inside the 24-hour window, an approved template outside it),
//! claiming and handing back to the bot. Citizens are named by their opaque conversation id.

use axum::{extract::State, http::StatusCode, Json};
use serde::{Deserialize, Serialize};

use prolink_domain::complaint::notify::{template_param, OPERATOR_REPLY_TEMPLATE};
use prolink_domain::dialog::hand_back_notice;
use prolink_whatsapp::outbound::{
    self, ReplyAddress, Template, TemplateComponent, TemplateParameter,
};

use crate::conversations::{end_handoff, outbound_entry, valid_conversation_id, Conversations};
use crate::ids::short_hash;
use crate::ports::{
    ConversationFilter, ConversationSummary, Direction, LoggedMessage, OutboundMessage,
    OutboxState, Role,
};
use crate::render::reply_body;
use crate::sender::{window, SendOutcome, Window};
use crate::stats;
use crate::worker::hand_back_session;

use super::complaints::ListPage;
use super::error::{ApiError, ApiResult};
use super::extract::{list_error, store_page, Caller, JsonBody, PathParam, QueryParams};
use super::views::{mask, wib_iso};
use super::{trail, ApiState};

/// Longest free-form reply (WhatsApp's text body limit).
const MAX_REPLY_CHARS: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationState {
    Handoff,
    Bot,
}

#[derive(Debug, Serialize)]
pub struct ConversationView {
    id: String,
    name: Option<String>,
    phone: Option<String>,
    state: ConversationState,
    waiting_since: Option<String>,
    waiting_minutes: Option<i64>,
    claimed_by: Option<String>,
    claimed_at: Option<String>,
    last_message_at: Option<String>,
    last_inbound_at: Option<String>,
    window_open: bool,
}

fn view(summary: &ConversationSummary, role: Role, now_ms: i64) -> ConversationView {
    let handoff = summary.in_handoff(now_ms);
    let waiting = summary.waiting_since_ms.filter(|_| handoff);
    ConversationView {
        id: summary.id.clone(),
        name: summary.name.clone(),
        phone: summary.phone.as_deref().map(|phone| match role {
            Role::Admin | Role::Operator => phone.to_string(),
            _ => mask(phone),
        }),
        state: if handoff {
            ConversationState::Handoff
        } else {
            ConversationState::Bot
        },
        waiting_since: waiting.map(wib_iso),
        waiting_minutes: waiting.map(|since| now_ms.saturating_sub(since).max(0) / 60_000),
        claimed_by: summary.claimed_by.clone(),
        claimed_at: summary.claimed_ms.map(wib_iso),
        last_message_at: (summary.last_message_ms > 0).then(|| wib_iso(summary.last_message_ms)),
        last_inbound_at: summary.last_inbound_ms.map(wib_iso),
        window_open: window(summary.last_inbound_ms, now_ms) == Window::Open,
    }
}

#[derive(Debug, Serialize)]
pub struct MessageView {
    id: String,
    at: String,
    direction: Direction,
    actor: Option<String>,
    kind: String,
    text: Option<String>,
    choices: Vec<String>,
    media_ref: Option<String>,
    delivery: Option<OutboxState>,
}

impl From<LoggedMessage> for MessageView {
    fn from(m: LoggedMessage) -> Self {
        MessageView {
            id: m.id,
            at: wib_iso(m.at_ms),
            direction: m.direction,
            actor: m.actor,
            kind: m.kind,
            text: m.text,
            choices: m.choices,
            media_ref: m.media_ref,
            delivery: m.delivery,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    state: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

pub async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    QueryParams(query): QueryParams<ListQuery>,
) -> ApiResult<Json<ListPage<ConversationView>>> {
    let filter = match query.state.as_deref().map(str::trim) {
        None | Some("handoff") => ConversationFilter::Handoff,
        Some("recent") => ConversationFilter::Recent,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "state",
                "Status percakapan harus handoff atau recent.",
            ))
        }
    };
    let page = store_page(query.cursor, query.limit)?;
    let page = state
        .conversations
        .list_conversations(filter, &page)
        .await
        .map_err(list_error)?;
    let now = state.clock.now_ms();
    let role = caller.role();
    Ok(Json(ListPage {
        items: page
            .items
            .iter()
            // A lapsed handoff leaves the index at the scheduler's next tick.
            .filter(|s| filter == ConversationFilter::Recent || s.in_handoff(now))
            .map(|s| view(s, role, now))
            .collect(),
        next_cursor: page.next,
    }))
}

/// The conversation (and so the citizen) an opaque id names; 404 for a malformed or unknown
/// id. The citizens' data-rights routes address citizens by the same id.
pub(super) async fn find(state: &ApiState, id: &str) -> ApiResult<ConversationSummary> {
    if !valid_conversation_id(id) {
        return Err(ApiError::not_found());
    }
    state
        .conversations
        .conversation_by_id(id)
        .await?
        .ok_or_else(ApiError::not_found)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    cursor: Option<String>,
    limit: Option<i64>,
}

pub async fn messages(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    QueryParams(query): QueryParams<PageQuery>,
) -> ApiResult<Json<ListPage<MessageView>>> {
    let page = store_page(query.cursor, query.limit)?;
    let summary = find(&state, &id).await?;
    let page = state
        .conversations
        .messages_of(&summary.citizen_key, &page)
        .await
        .map_err(list_error)?;
    trail::record(&state, &caller, "conversation.read", Some(&id), None).await?;
    Ok(Json(ListPage {
        items: page.items.into_iter().map(MessageView::from).collect(),
        next_cursor: page.next,
    }))
}

/// Where the citizen's messages go: the phone when known (as the dialog answers), else the
/// business-scoped user id.
async fn address_of(state: &ApiState, summary: &ConversationSummary) -> ApiResult<ReplyAddress> {
    let profile = state.citizens.get_citizen(&summary.citizen_key).await?;
    let phone = profile
        .as_ref()
        .and_then(|p| p.wa_id.clone())
        .or_else(|| summary.phone.clone());
    Ok(match (phone, profile.and_then(|p| p.user_id)) {
        (Some(phone), _) => ReplyAddress::Phone(phone),
        (None, Some(user_id)) => ReplyAddress::UserId(user_id),
        (None, None) => ReplyAddress::UserId(summary.citizen_key.clone()),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    name: String,
    language: String,
    #[serde(default)]
    parameters: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    text: Option<String>,
    template: Option<TemplateBody>,
}

#[derive(Debug, Serialize)]
pub struct ReplyAnswer {
    message: MessageView,
    conversation: ConversationView,
}

fn outside_window() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "outside_window",
        "Warga terakhir menulis lebih dari 24 jam yang lalu. Di luar jendela 24 jam WhatsApp \
         hanya mengizinkan templat yang disetujui: kirim balasan dengan templat \
         petugas_menjawab.",
    )
}

/// The approved template an operator may send outside the window, filled and checked.
fn operator_template(body: &TemplateBody) -> ApiResult<Template> {
    let spec = OPERATOR_REPLY_TEMPLATE;
    if body.name != spec.name {
        return Err(ApiError::invalid_field(
            "template.name",
            format!("Templat yang dapat dikirim petugas: {}.", spec.name),
        ));
    }
    if body.language != prolink_domain::complaint::notify::TEMPLATE_LANGUAGE {
        return Err(ApiError::invalid_field(
            "template.language",
            "Bahasa templat harus id.",
        ));
    }
    if body.parameters.len() != spec.body_params.len()
        || body.parameters.iter().any(|p| p.trim().is_empty())
    {
        return Err(ApiError::invalid_field(
            "template.parameters",
            format!(
                "Templat {} membutuhkan {} isian yang tidak kosong.",
                spec.name,
                spec.body_params.len()
            ),
        ));
    }
    let parameters = body
        .parameters
        .iter()
        .zip(spec.body_params)
        .map(|(text, max)| TemplateParameter::Text {
            text: template_param(text, *max),
            parameter_name: None,
        })
        .collect();
    Ok(Template {
        name: spec.name.to_string(),
        language_code: body.language.clone(),
        components: vec![TemplateComponent::Body { parameters }],
    })
}

pub async fn reply(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    JsonBody(body): JsonBody<ReplyBody>,
) -> ApiResult<Json<ReplyAnswer>> {
    enum Content {
        Text(String),
        Template(Template),
    }
    let content = match (&body.text, &body.template) {
        (Some(text), None) => {
            let length = text.trim().chars().count();
            if length == 0 || text.chars().count() > MAX_REPLY_CHARS {
                return Err(ApiError::invalid_field(
                    "text",
                    format!("Balasan harus berisi 1 sampai {MAX_REPLY_CHARS} karakter."),
                ));
            }
            Content::Text(text.trim().to_string())
        }
        (None, Some(template)) => Content::Template(operator_template(template)?),
        _ => {
            return Err(ApiError::invalid_field(
                "text",
                "Isi salah satu: text (di dalam jendela 24 jam) atau template.",
            ))
        }
    };
    let summary = find(&state, &id).await?;
    let now = state.clock.now_ms();
    let open = window(summary.last_inbound_ms, now);
    let address = address_of(&state, &summary).await?;
    let built = match &content {
        Content::Text(_) if open == Window::Closed => return Err(outside_window()),
        Content::Text(text) => outbound::text(&address, text, false),
        Content::Template(template) => outbound::template(&address, template),
    };
    let wire = built.map_err(|error| ApiError::invalid_field("text", error.to_string()))?;
    let outbox_id = format!("op.{}", uuid::Uuid::new_v4().simple());
    // The citizen wrote first (or this is an approved template): no quiet hours.
    let outcome = state
        .sender
        .send_as(
            &summary.citizen_key,
            open,
            OutboundMessage {
                outbox_id: outbox_id.clone(),
                body: outbound::with_callback(wire, &outbox_id),
            },
            None,
            Some(caller.username()),
        )
        .await
        .map_err(|error| {
            tracing::warn!(%error, "operator reply not sent");
            ApiError::unavailable()
        })?;
    if matches!(outcome, SendOutcome::Undeliverable { .. }) && open == Window::Closed {
        return Err(outside_window());
    }
    if matches!(
        outcome,
        SendOutcome::Sent { .. } | SendOutcome::SentAsTemplate { .. }
    ) {
        count_first_reply(&state, &summary, now).await;
    }
    let conversations = Conversations::new(state.conversations.clone(), state.clock.clone());
    conversations
        .record_operator_reply(&summary.citizen_key, now)
        .await?;
    let record = state
        .sender
        .outbox()
        .get_outbox(&outbox_id)
        .await?
        .ok_or_else(ApiError::unavailable)?;
    let detail = match &content {
        Content::Text(_) => "teks".to_string(),
        Content::Template(t) => format!("templat {}", t.name),
    };
    trail::record(
        &state,
        &caller,
        "conversation.reply",
        Some(&id),
        Some(detail),
    )
    .await?;
    let current = state
        .conversations
        .get_conversation(&summary.citizen_key)
        .await?
        .unwrap_or(summary);
    Ok(Json(ReplyAnswer {
        message: outbound_entry(&record, Some(caller.username())).into(),
        conversation: view(&current, caller.role(), state.clock.now_ms()),
    }))
}

/// The operator reply time of a handoff: from the citizen's first unanswered message in it
/// (else the handoff's start) to the first reply Graph accepted. Counted once per handoff:
/// the event id names the handoff (citizen and start), so a retried request, a later reply
/// or a second operator adds nothing; a reply outside a handoff is not a reply time.
async fn count_first_reply(state: &ApiState, summary: &ConversationSummary, now_ms: i64) {
    let Some(since) = summary
        .handoff_since_ms
        .filter(|_| summary.in_handoff(now_ms))
    else {
        return;
    };
    // An operator already answered in this handoff: not the first reply (the mark would
    // refuse it anyway; this saves the write).
    if summary.last_operator_reply_ms.is_some_and(|at| at >= since) {
        return;
    }
    let asked = summary.waiting_since_ms.unwrap_or(since);
    let handoff = short_hash(&format!("{}#{since}", summary.citizen_key));
    stats::record(
        Some(state.stats.as_ref()),
        &[stats::operator_reply_counts(&handoff, asked, now_ms)],
    )
    .await;
}

pub async fn claim(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> ApiResult<Json<ConversationView>> {
    let summary = find(&state, &id).await?;
    let now = state.clock.now_ms();
    let username = caller.username().to_string();
    let conversations = Conversations::new(state.conversations.clone(), state.clock.clone());
    let updated = conversations
        .update(&summary.citizen_key, |s| {
            s.claimed_by = Some(username.clone());
            s.claimed_ms = Some(now);
            true
        })
        .await?
        .unwrap_or(summary);
    trail::record(&state, &caller, "conversation.claim", Some(&id), None).await?;
    Ok(Json(view(&updated, caller.role(), now)))
}

pub async fn hand_back(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> ApiResult<Json<ConversationView>> {
    let summary = find(&state, &id).await?;
    let now = state.clock.now_ms();
    let was_handoff = hand_back_session(state.sessions.as_ref(), &summary.citizen_key, now).await?;
    if !was_handoff && !summary.in_handoff(now) {
        return Err(ApiError::conflict(
            "Percakapan ini tidak sedang ditangani petugas.",
        ));
    }
    if was_handoff {
        let address = address_of(&state, &summary).await?;
        let body = reply_body(&hand_back_notice(), &address)
            .map_err(|error| ApiError::invalid_field("text", error.to_string()))?;
        let outbox_id = format!(
            "handback.{}",
            short_hash(&format!(
                "{}#{}",
                summary.citizen_key,
                summary.handoff_since_ms.unwrap_or(now)
            ))
        );
        state
            .sender
            .send_as(
                &summary.citizen_key,
                window(summary.last_inbound_ms, now),
                OutboundMessage {
                    outbox_id: outbox_id.clone(),
                    body: outbound::with_callback(body, &outbox_id),
                },
                None,
                Some(caller.username()),
            )
            .await
            .map_err(|error| {
                tracing::warn!(%error, "hand-back notice not sent");
                ApiError::unavailable()
            })?;
    }
    let conversations = Conversations::new(state.conversations.clone(), state.clock.clone());
    let updated = conversations
        .update(&summary.citizen_key, |s| {
            end_handoff(s);
            true
        })
        .await?
        .unwrap_or(summary);
    trail::record(&state, &caller, "conversation.hand_back", Some(&id), None).await?;
    Ok(Json(view(&updated, caller.role(), now)))
}
