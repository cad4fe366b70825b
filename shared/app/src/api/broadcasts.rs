//! Official broadcasts (`docs/operator-api.md`, "Broadcasts"): drafts, scheduling,
//! cancelling, progress and statistics. The sending itself is the scheduler's
//! ([`crate::broadcast::Broadcaster`]).

use std::collections::BTreeMap;

use axum::{extract::State, http::StatusCode, Json};
use chrono::DateTime;
use serde::{Deserialize, Serialize};

use crate::broadcast::{self, BroadcastStats};
use crate::ports::{
    BroadcastAudience, BroadcastRecord, BroadcastState, BroadcastTemplate, PortError, Role,
};

use super::error::{ApiError, ApiResult};
use super::extract::{list_error, store_page, Caller, JsonBody, PathParam, QueryParams};
use super::views::wib_iso;
use super::{trail, ApiState};

const MAX_NAME_CHARS: usize = 100;
/// Longest parameter value (the filled body must stay ≤ 1024 characters).
const MAX_PARAM_CHARS: usize = 300;
const MAX_TOPICS: usize = 50;
/// The latest accepted `send_at` (2100-01-01): 13 digits, as the due index needs.
const MAX_SEND_AT_MS: i64 = 4_102_444_800_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    name: String,
    language: String,
    #[serde(default)]
    parameters: Vec<String>,
    #[serde(default)]
    header_parameters: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudienceBody {
    #[serde(default)]
    all: Option<bool>,
    #[serde(default)]
    topics: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    name: String,
    template: TemplateBody,
    audience: AudienceBody,
    #[serde(default)]
    send_at: Option<String>,
    #[serde(default)]
    urgent: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudienceQuery {
    audience: AudienceBody,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct Created {
    id: String,
    state: BroadcastState,
    audience_size: u64,
}

#[derive(Debug, Serialize)]
pub struct AudienceSize {
    audience_size: u64,
}

#[derive(Debug, Serialize)]
pub struct Progress {
    /// Recipients of the audience handled so far.
    processed: u64,
    /// `processed` against the audience size, 0–100.
    percent: u64,
}

#[derive(Debug, Serialize)]
pub struct BroadcastView {
    id: String,
    name: String,
    state: BroadcastState,
    template: BroadcastTemplate,
    audience: BroadcastAudience,
    send_at: Option<String>,
    urgent: bool,
    audience_size: u64,
    progress: Progress,
    stats: BroadcastStats,
    stop_reason: Option<String>,
    created_by: String,
    created_at: String,
    started_at: Option<String>,
    finished_at: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct BroadcastList {
    items: Vec<BroadcastView>,
    next_cursor: Option<String>,
}

fn view(record: &BroadcastRecord, stats: BroadcastStats) -> BroadcastView {
    let percent = if record.state == BroadcastState::Done {
        100
    } else {
        record
            .progress
            .saturating_mul(100)
            .checked_div(record.audience_size)
            .unwrap_or(0)
            .min(100)
    };
    BroadcastView {
        id: record.id.clone(),
        name: record.name.clone(),
        state: record.state,
        template: record.template.clone(),
        audience: record.audience.clone(),
        send_at: record.send_at_ms.map(wib_iso),
        urgent: record.urgent,
        audience_size: record.audience_size,
        progress: Progress {
            processed: record.progress,
            percent,
        },
        stats,
        stop_reason: record.stop_reason.clone(),
        created_by: record.created_by.clone(),
        created_at: wib_iso(record.created_ms),
        started_at: record.started_ms.map(wib_iso),
        finished_at: record.finished_ms.map(wib_iso),
    }
}

/// The audience checked against the content's topics.
async fn checked_audience(
    state: &ApiState,
    body: AudienceBody,
    fields: &mut BTreeMap<String, String>,
) -> ApiResult<BroadcastAudience> {
    let all = body.all == Some(true);
    let topics: Vec<String> = body
        .topics
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.trim().to_string())
        .collect();
    // Both or neither.
    if all != topics.is_empty() {
        fields.insert(
            "audience".into(),
            "Pilih salah satu: semua pelanggan (`all: true`) atau daftar topik (`topics`).".into(),
        );
        return Ok(BroadcastAudience::default());
    }
    if topics.len() > MAX_TOPICS {
        fields.insert(
            "audience.topics".into(),
            format!("Paling banyak {MAX_TOPICS} topik."),
        );
        return Ok(BroadcastAudience::default());
    }
    let loaded = state
        .content
        .load()
        .await
        .map_err(|_| ApiError::unavailable())?;
    let unknown: Vec<&String> = topics
        .iter()
        .filter(|t| !loaded.bundle.topics.iter().any(|known| &known.id == *t))
        .collect();
    if !unknown.is_empty() {
        fields.insert(
            "audience.topics".into(),
            format!(
                "Topik tidak dikenal: {}.",
                unknown
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    let mut topics = topics;
    topics.sort();
    topics.dedup();
    Ok(BroadcastAudience { all, topics })
}

fn check_values(
    field: &str,
    values: &[String],
    wanted: usize,
    fields: &mut BTreeMap<String, String>,
) {
    if values.len() != wanted {
        fields.insert(
            field.into(),
            format!("Template ini memerlukan tepat {wanted} nilai."),
        );
        return;
    }
    for value in values {
        let chars = value.trim().chars().count();
        if chars == 0
            || chars > MAX_PARAM_CHARS
            || value.contains(['\n', '\t'])
            || value.contains("    ")
        {
            fields.insert(
                field.into(),
                format!(
                    "Setiap nilai harus terisi, paling panjang {MAX_PARAM_CHARS} karakter, tanpa baris baru, tab, atau empat spasi berturut-turut."
                ),
            );
            return;
        }
    }
}

async fn checked_template(
    state: &ApiState,
    body: TemplateBody,
    fields: &mut BTreeMap<String, String>,
) -> ApiResult<BroadcastTemplate> {
    let template = BroadcastTemplate {
        name: body.name.trim().to_string(),
        language: body.language.trim().to_string(),
        parameters: body
            .parameters
            .iter()
            .map(|p| p.trim().to_string())
            .collect(),
        header_parameters: body
            .header_parameters
            .iter()
            .map(|p| p.trim().to_string())
            .collect(),
    };
    let Some(known) = broadcast::catalog()
        .into_iter()
        .find(|t| t.name == template.name)
    else {
        fields.insert(
            "template.name".into(),
            "Template tidak dikenal; pilih salah satu template siaran yang disetujui.".into(),
        );
        return Ok(template);
    };
    let status = broadcast::template_status(state.settings.as_ref(), &known.name).await?;
    if status != "APPROVED" {
        fields.insert(
            "template.name".into(),
            format!("Template belum atau tidak lagi disetujui Meta (status {status})."),
        );
    }
    if template.language != known.language {
        fields.insert(
            "template.language".into(),
            format!(
                "Template ini hanya tersedia dalam bahasa `{}`.",
                known.language
            ),
        );
    }
    check_values(
        "template.parameters",
        &body.parameters,
        known.body_params,
        fields,
    );
    check_values(
        "template.header_parameters",
        &body.header_parameters,
        known.header_params,
        fields,
    );
    Ok(template)
}

fn parse_send_at(text: Option<&str>, fields: &mut BTreeMap<String, String>) -> Option<i64> {
    let text = text?.trim();
    match DateTime::parse_from_rfc3339(text) {
        // Within a year: the due index sorts 13-digit instants.
        Ok(at) if (0..=MAX_SEND_AT_MS).contains(&at.timestamp_millis()) => {
            Some(at.timestamp_millis())
        }
        _ => {
            fields.insert(
                "send_at".into(),
                "Waktu kirim harus berformat ISO 8601, mis. 2026-12-07T08:00:00+07:00.".into(),
            );
            None
        }
    }
}

pub async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    JsonBody(body): JsonBody<CreateBody>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    if body.urgent && caller.role() != Role::Admin {
        return Err(ApiError::forbidden());
    }
    let mut fields = BTreeMap::new();
    let name = body.name.trim().to_string();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.contains(char::is_control) {
        fields.insert(
            "name".into(),
            format!("Nama siaran wajib diisi, paling panjang {MAX_NAME_CHARS} karakter."),
        );
    }
    let template = checked_template(&state, body.template, &mut fields).await?;
    let audience = checked_audience(&state, body.audience, &mut fields).await?;
    let send_at_ms = parse_send_at(body.send_at.as_deref(), &mut fields);
    if !fields.is_empty() {
        return Err(ApiError::invalid_fields(fields));
    }
    let audience_size = broadcast::audience_size(state.broadcasts.as_ref(), &audience).await?;
    let now = state.clock.now_ms();
    let record = BroadcastRecord {
        id: broadcast::new_id(now),
        name,
        template,
        audience,
        send_at_ms,
        urgent: body.urgent,
        state: BroadcastState::Draft,
        audience_size,
        progress: 0,
        cursor: None,
        next_run_ms: None,
        stop_reason: None,
        created_by: caller.username().to_string(),
        created_ms: now,
        updated_ms: now,
        started_ms: None,
        finished_ms: None,
        version: 0,
    };
    state.broadcasts.put_broadcast(&record).await?;
    trail::record(
        &state,
        &caller,
        "broadcast.create",
        Some(&format!("broadcast/{}", record.id)),
        Some(format!("template {}", record.template.name)),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(Created {
            id: record.id,
            state: record.state,
            audience_size,
        }),
    ))
}

pub async fn list(
    State(state): State<ApiState>,
    QueryParams(params): QueryParams<ListParams>,
) -> ApiResult<Json<BroadcastList>> {
    let page = store_page(params.cursor, params.limit)?;
    let found = state
        .broadcasts
        .list_broadcasts(&page)
        .await
        .map_err(list_error)?;
    let mut items = Vec::with_capacity(found.items.len());
    for record in &found.items {
        let stats = broadcast::read_stats(state.stats.as_ref(), &record.id).await?;
        items.push(view(record, stats));
    }
    Ok(Json(BroadcastList {
        items,
        next_cursor: found.next,
    }))
}

async fn load(state: &ApiState, id: &str) -> ApiResult<BroadcastRecord> {
    if !broadcast::valid_id(id) {
        return Err(ApiError::not_found());
    }
    state
        .broadcasts
        .get_broadcast(id)
        .await?
        .ok_or_else(ApiError::not_found)
}

pub async fn get(
    State(state): State<ApiState>,
    PathParam(id): PathParam<String>,
) -> ApiResult<Json<BroadcastView>> {
    let record = load(&state, &id).await?;
    let stats = broadcast::read_stats(state.stats.as_ref(), &record.id).await?;
    Ok(Json(view(&record, stats)))
}

fn state_label(state: BroadcastState) -> &'static str {
    match state {
        BroadcastState::Draft => "draf",
        BroadcastState::Scheduled => "terjadwal",
        BroadcastState::Sending => "sedang dikirim",
        BroadcastState::Done => "selesai",
        BroadcastState::Cancelled => "dibatalkan",
        BroadcastState::Stopped => "dihentikan",
    }
}

/// Applies `change` to the current record (re-read after a lost race with the sender's
/// checkpoint, a few times), audits it and returns the new view.
async fn transition(
    state: &ApiState,
    caller: &Caller,
    id: &str,
    action: &str,
    change: impl Fn(&mut BroadcastRecord, i64) -> Result<(), ApiError>,
) -> ApiResult<Json<BroadcastView>> {
    for _ in 0..3 {
        let mut record = load(state, id).await?;
        let now = state.clock.now_ms();
        change(&mut record, now)?;
        record.updated_ms = now;
        match state.broadcasts.put_broadcast(&record).await {
            Ok(version) => {
                record.version = version;
                trail::record(
                    state,
                    caller,
                    action,
                    Some(&format!("broadcast/{id}")),
                    Some(state_label(record.state).to_string()),
                )
                .await?;
                let stats = broadcast::read_stats(state.stats.as_ref(), &record.id).await?;
                return Ok(Json(view(&record, stats)));
            }
            Err(PortError::Conflict(_)) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(ApiError::stale())
}

pub async fn schedule(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> ApiResult<Json<BroadcastView>> {
    let current = load(&state, &id).await?;
    // Counted again: the audience may have changed since the draft.
    let size = broadcast::audience_size(state.broadcasts.as_ref(), &current.audience).await?;
    transition(&state, &caller, &id, "broadcast.schedule", |record, now| {
        if record.state != BroadcastState::Draft {
            return Err(ApiError::refused(format!(
                "Siaran hanya dapat dijadwalkan dari status draf (sekarang {}).",
                state_label(record.state)
            )));
        }
        record.state = BroadcastState::Scheduled;
        record.audience_size = size;
        record.next_run_ms = Some(record.send_at_ms.unwrap_or(now).max(now));
        Ok(())
    })
    .await
}

pub async fn cancel(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> ApiResult<Json<BroadcastView>> {
    transition(&state, &caller, &id, "broadcast.cancel", |record, now| {
        if !matches!(
            record.state,
            BroadcastState::Draft | BroadcastState::Scheduled | BroadcastState::Sending
        ) {
            return Err(ApiError::refused(format!(
                "Siaran yang sudah {} tidak dapat dibatalkan.",
                state_label(record.state)
            )));
        }
        record.state = BroadcastState::Cancelled;
        record.next_run_ms = None;
        record.finished_ms = Some(now);
        Ok(())
    })
    .await
}

/// One broadcast template with Meta's status: what the *Siaran* page offers.
#[derive(Debug, Serialize)]
pub struct TemplateView {
    #[serde(flatten)]
    template: broadcast::CatalogTemplate,
    /// Meta's status (`APPROVED`, `PENDING`, `PAUSED`, `DISABLED`, `REJECTED`, `MISSING`).
    status: String,
    /// Why, when Meta gave a reason.
    reason: Option<String>,
    /// Only an approved template can be used for a new broadcast.
    usable: bool,
}

#[derive(Debug, Serialize)]
pub struct TemplateList {
    items: Vec<TemplateView>,
    /// When the list was last read from Meta; `null` when it never was (the local mode:
    /// every catalog template counts as approved).
    synced_at: Option<String>,
}

pub async fn templates(State(state): State<ApiState>) -> ApiResult<Json<TemplateList>> {
    let statuses = state
        .settings
        .get_setting(broadcast::TEMPLATE_STATUS_KEY)
        .await?
        .map(|s| s.value)
        .unwrap_or_default();
    let synced_at = state
        .settings
        .get_setting(broadcast::TEMPLATE_SYNC_KEY)
        .await?
        .and_then(|s| s.value.get("synced_ms")?.as_i64())
        .map(wib_iso);
    let items = broadcast::catalog()
        .into_iter()
        .map(|template| {
            let report = statuses.get(&template.name);
            let status = report
                .and_then(|r| r.get("status")?.as_str())
                .unwrap_or("APPROVED")
                .to_string();
            let reason = report
                .and_then(|r| r.get("reason")?.as_str())
                .map(str::to_string);
            TemplateView {
                usable: status == "APPROVED",
                template,
                status,
                reason,
            }
        })
        .collect();
    Ok(Json(TemplateList { items, synced_at }))
}

/// Sends a stopped broadcast on from where it stopped (admin only: a stop means Meta paused
/// the template or flagged the number, and someone must have looked). The recipients reached
/// before the stop are recognised by their outbox records and get nothing more.
pub async fn resume(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> ApiResult<Json<BroadcastView>> {
    let current = load(&state, &id).await?;
    let status =
        broadcast::template_status(state.settings.as_ref(), &current.template.name).await?;
    if status != "APPROVED" {
        return Err(ApiError::refused(format!(
            "Template {} masih berstatus {status} di Meta; siaran baru dapat dilanjutkan setelah template disetujui kembali.",
            current.template.name
        )));
    }
    if let Some(event) = broadcast::quality_dropped(state.settings.as_ref()).await? {
        return Err(ApiError::refused(format!(
            "Kualitas nomor WhatsApp masih ditandai Meta ({event}); tunggu sampai pulih sebelum melanjutkan siaran."
        )));
    }
    transition(&state, &caller, &id, "broadcast.resume", |record, now| {
        if record.state != BroadcastState::Stopped {
            return Err(ApiError::refused(format!(
                "Hanya siaran yang dihentikan yang dapat dilanjutkan (sekarang {}).",
                state_label(record.state)
            )));
        }
        // Back to scheduled from the checkpointed cursor: the sender claims it again.
        record.state = if record.started_ms.is_some() {
            BroadcastState::Sending
        } else {
            BroadcastState::Scheduled
        };
        record.next_run_ms = Some(now);
        record.finished_ms = None;
        record.stop_reason = None;
        Ok(())
    })
    .await
}

pub async fn audience(
    State(state): State<ApiState>,
    JsonBody(body): JsonBody<AudienceQuery>,
) -> ApiResult<Json<AudienceSize>> {
    let mut fields = BTreeMap::new();
    let audience = checked_audience(&state, body.audience, &mut fields).await?;
    if !fields.is_empty() {
        return Err(ApiError::invalid_fields(fields));
    }
    let audience_size = broadcast::audience_size(state.broadcasts.as_ref(), &audience).await?;
    Ok(Json(AudienceSize { audience_size }))
}
