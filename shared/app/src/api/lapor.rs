//! The SP4N-LAPOR! routes (`docs/lapor.md`): a complaint's LAPOR view (the form in LAPOR's
//! order, the task, the verification clock), forwarding or retrying it, pasting the tracking
//! id back, and the export of many forms. Every route reads the complaint as the complaint
//! routes do (an OPD user only their OPD's) and writes the audit trail.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::{
    extract::State,
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use tracing::warn;

use prolink_domain::{
    calendar,
    complaint::{Complaint, Status, TransitionError},
    content::ContentBundle,
    lapor::{self, RemoteStatus},
};

use crate::lapor::{ensure_task, form_of, record_tracking_id, requeue, RecordError};
use crate::ports::{LaporTask, LaporTaskState};

use super::complaints::{content, csv_download, load_visible, parse_ticket};
use super::error::{ApiError, ApiResult};
use super::extract::{Caller, JsonBody, PathParam, QueryParams};
use super::{trail, ApiState};

/// Complaints one export may name.
pub const EXPORT_MAX_TICKETS: usize = 100;
const PHOTO_URL_TTL: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, Serialize)]
pub struct FormField {
    pub key: &'static str,
    pub label: &'static str,
    pub value: String,
}

#[derive(Debug, Serialize)]
pub struct Attachment {
    pub name: String,
    pub url: Option<String>,
}

/// LAPOR's verification clock: it verifies a report within three working days.
#[derive(Debug, Serialize)]
pub struct Verification {
    pub working_days: u32,
    pub from_date: chrono::NaiveDate,
    pub due_date: chrono::NaiveDate,
    /// `menunggu` (LAPOR has not verified yet), `terlambat` (past the due date and still not
    /// verified), `terverifikasi`.
    pub state: &'static str,
}

#[derive(Debug, Serialize)]
pub struct TaskView {
    pub state: LaporTaskState,
    pub state_label: &'static str,
    pub lapor_id: Option<String>,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub next_run_ms: Option<i64>,
    pub remote_status: Option<RemoteStatus>,
    pub remote_status_label: Option<&'static str>,
    pub sent_ms: Option<i64>,
    pub requested_by: String,
    pub anonymised: bool,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Serialize)]
pub struct LaporView {
    pub ticket: String,
    /// True when the scheduler posts to LAPOR's API; false in manual mode.
    pub automatic: bool,
    /// The category forwards every complaint (`forward_to_lapor`).
    pub category_forwards: bool,
    pub tracking_id: Option<String>,
    pub task: Option<TaskView>,
    /// The form in LAPOR's order (`klasifikasi` … `rahasia`).
    pub fields: Vec<FormField>,
    pub attachments: Vec<Attachment>,
    pub verification: Option<Verification>,
    /// Whether "Teruskan" (or "Coba kirim lagi") is offered: an operator of Diskominfo, a
    /// complaint not withdrawn or refused, and no task yet or a parked one.
    pub can_forward: bool,
}

fn state_label(state: LaporTaskState) -> &'static str {
    match state {
        LaporTaskState::Pending => "Menunggu dikirim",
        LaporTaskState::Linked => "Tercatat di SP4N-LAPOR!",
        LaporTaskState::Parked => "Gagal dikirim (perlu tindakan)",
    }
}

fn task_view(task: &LaporTask) -> TaskView {
    TaskView {
        state: task.state,
        state_label: state_label(task.state),
        lapor_id: task.lapor_id.clone(),
        attempts: task.attempts,
        last_error: task.last_error.clone(),
        next_run_ms: task.next_run_ms,
        remote_status: task.remote_status,
        remote_status_label: task.remote_status.map(RemoteStatus::label),
        sent_ms: task.sent_ms,
        requested_by: task.requested_by.clone(),
        anonymised: task.anonymised,
        created_ms: task.created_ms,
        updated_ms: task.updated_ms,
    }
}

fn not_forwardable(complaint: &Complaint) -> bool {
    matches!(
        complaint.status,
        Status::Dicabut | Status::Ditolak | Status::BukanWewenang
    )
}

fn verification(
    task: Option<&LaporTask>,
    content: &ContentBundle,
    now_ms: i64,
) -> Option<Verification> {
    let task = task?;
    let sent_ms = task.sent_ms?;
    let due = lapor::verification_due(sent_ms, &content.holidays).value;
    let verified = matches!(
        task.remote_status,
        Some(RemoteStatus::Terverifikasi | RemoteStatus::Proses | RemoteStatus::Selesai)
    );
    let state = if verified {
        "terverifikasi"
    } else if calendar::wib_date(now_ms) > due {
        "terlambat"
    } else {
        "menunggu"
    };
    Some(Verification {
        working_days: lapor::VERIFICATION_WORKING_DAYS,
        from_date: calendar::wib_date(sent_ms),
        due_date: due,
        state,
    })
}

async fn view_of(
    state: &ApiState,
    caller: &Caller,
    complaint: &Complaint,
    task: Option<LaporTask>,
    content: &ContentBundle,
) -> LaporView {
    let form = form_of(complaint, content, &state.lapor.instansi);
    let fields = form
        .values()
        .into_iter()
        .map(|(key, label, value)| FormField { key, label, value })
        .collect();
    let stored: Vec<_> = complaint
        .all_photos()
        .filter_map(|p| p.stored_key.clone())
        .collect();
    let mut attachments = Vec::with_capacity(stored.len());
    for (name, key) in form.lampiran.iter().zip(stored) {
        let url = match state.blobs.presign_get(&key, PHOTO_URL_TTL).await {
            Ok(url) => Some(url),
            Err(error) => {
                warn!(%error, "photo link could not be made");
                None
            }
        };
        attachments.push(Attachment {
            name: name.clone(),
            url,
        });
    }
    let now_ms = state.clock.now_ms();
    let diskominfo = matches!(
        caller.role(),
        crate::ports::Role::Admin | crate::ports::Role::Operator
    );
    LaporView {
        ticket: complaint.ticket.clone(),
        automatic: state.lapor.automatic,
        category_forwards: crate::lapor::category_forwards(content, complaint),
        tracking_id: lapor::tracking_id(complaint)
            .map(str::to_string)
            .or_else(|| task.as_ref().and_then(|t| t.lapor_id.clone())),
        verification: verification(task.as_ref(), content, now_ms),
        can_forward: diskominfo
            && !not_forwardable(complaint)
            && task
                .as_ref()
                .is_none_or(|t| t.state == LaporTaskState::Parked),
        task: task.as_ref().map(task_view),
        fields,
        attachments,
    }
}

pub async fn get(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(ticket): PathParam<String>,
) -> ApiResult<Json<LaporView>> {
    let complaint = load_visible(&state, &caller, &ticket).await?;
    let loaded = content(&state).await?;
    let task = state.lapor.store.get_lapor_task(&complaint.ticket).await?;
    trail::record(
        &state,
        &caller,
        "complaint.lapor.read",
        Some(&complaint.ticket),
        None,
    )
    .await?;
    Ok(Json(
        view_of(&state, &caller, &complaint, task, &loaded.bundle).await,
    ))
}

/// The forward action's body: `{}` (an object, so that no stray array or text acts).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardBody {}

/// An operator chooses to forward the complaint (or to try a parked one again).
pub async fn forward(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(ticket): PathParam<String>,
    JsonBody(_body): JsonBody<ForwardBody>,
) -> ApiResult<Json<LaporView>> {
    let complaint = load_visible(&state, &caller, &ticket).await?;
    if not_forwardable(&complaint) {
        return Err(ApiError::refused(format!(
            "Aduan berstatus *{}* tidak diteruskan ke SP4N-LAPOR!.",
            complaint.status.label()
        )));
    }
    let loaded = content(&state).await?;
    let now_ms = state.clock.now_ms();
    let (mut task, created) = ensure_task(
        state.lapor.store.as_ref(),
        &complaint,
        caller.username(),
        now_ms,
    )
    .await?;
    let detail = if created {
        "diteruskan"
    } else if task.state == LaporTaskState::Linked {
        // Already there: nothing to do, and no second report.
        "sudah tercatat"
    } else {
        requeue(&mut task, now_ms);
        task.version = state.lapor.store.put_lapor_task(&task).await?;
        "dicoba lagi"
    };
    trail::record(
        &state,
        &caller,
        "complaint.lapor.forward",
        Some(&complaint.ticket),
        Some(detail.to_string()),
    )
    .await?;
    Ok(Json(
        view_of(&state, &caller, &complaint, Some(task), &loaded.bundle).await,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackingIdBody {
    lapor_id: String,
}

/// The operator pastes the tracking id LAPOR gave the report they made by hand.
pub async fn set_tracking_id(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(ticket): PathParam<String>,
    JsonBody(body): JsonBody<TrackingIdBody>,
) -> ApiResult<Json<LaporView>> {
    let complaint = load_visible(&state, &caller, &ticket).await?;
    let lapor_id = lapor::parse_tracking_id(&body.lapor_id)
        .map_err(|error| ApiError::invalid_field("lapor_id", error.to_string()))?;
    let loaded = content(&state).await?;
    let recorded = match record_tracking_id(
        state.lapor.store.as_ref(),
        state.complaints.as_ref(),
        &complaint,
        &lapor_id,
        caller.username(),
        state.clock.now_ms(),
    )
    .await
    {
        Ok(recorded) => recorded,
        Err(RecordError::OtherId(existing)) => {
            return Err(ApiError::conflict(format!(
                "Aduan ini sudah tercatat di SP4N-LAPOR! dengan nomor #{existing}."
            )))
        }
        Err(RecordError::Timeline(TransitionError::TimelineFull)) => {
            return Err(ApiError::refused(TransitionError::TimelineFull.to_string()))
        }
        Err(RecordError::Timeline(error)) => return Err(ApiError::refused(error.to_string())),
        Err(RecordError::Store(error)) => return Err(ApiError::store(error)),
    };
    trail::record(
        &state,
        &caller,
        "complaint.lapor.tracking_id",
        Some(&complaint.ticket),
        Some(format!("#{lapor_id}")),
    )
    .await?;
    Ok(Json(
        view_of(
            &state,
            &caller,
            &recorded.complaint,
            Some(recorded.task),
            &loaded.bundle,
        )
        .await,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// Comma-separated tickets.
    tickets: String,
    #[serde(default)]
    format: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ExportRow {
    pub ticket: String,
    pub tracking_id: Option<String>,
    pub fields: BTreeMap<&'static str, String>,
}

#[derive(Debug, Serialize)]
pub struct ExportJson {
    /// The field keys in LAPOR's form order (a JSON object has none of its own).
    pub order: Vec<&'static str>,
    pub items: Vec<ExportRow>,
}

/// The forms of many complaints in LAPOR's order, as CSV (`;`, BOM, one row per complaint)
/// or JSON.
pub async fn export(
    State(state): State<ApiState>,
    caller: Caller,
    QueryParams(query): QueryParams<ExportQuery>,
) -> ApiResult<Response> {
    let format = query.format.as_deref().unwrap_or("csv");
    if !matches!(format, "csv" | "json") {
        return Err(ApiError::invalid_field(
            "format",
            "Format ekspor: csv atau json.",
        ));
    }
    let mut tickets: Vec<String> = Vec::new();
    for raw in query.tickets.split(',').filter(|t| !t.trim().is_empty()) {
        let ticket = parse_ticket(raw).ok_or_else(|| {
            ApiError::invalid_field(
                "tickets",
                format!(
                    "Nomor tiket tidak valid: {}.",
                    raw.trim().chars().take(20).collect::<String>()
                ),
            )
        })?;
        if !tickets.contains(&ticket) {
            tickets.push(ticket);
        }
    }
    if tickets.is_empty() || tickets.len() > EXPORT_MAX_TICKETS {
        return Err(ApiError::invalid_field(
            "tickets",
            format!("Sebutkan 1–{EXPORT_MAX_TICKETS} nomor tiket, dipisah koma."),
        ));
    }
    let loaded = content(&state).await?;
    let mut rows = Vec::with_capacity(tickets.len());
    for ticket in &tickets {
        // A ticket the caller may not see is "not found", as on every complaint route.
        let complaint = load_visible(&state, &caller, ticket).await?;
        let form = form_of(&complaint, &loaded.bundle, &state.lapor.instansi);
        rows.push((
            complaint.ticket.clone(),
            lapor::tracking_id(&complaint).map(str::to_string),
            form.values(),
        ));
    }
    trail::record(
        &state,
        &caller,
        "lapor.export",
        None,
        Some(format!("{} aduan ({format})", rows.len())),
    )
    .await?;
    if format == "json" {
        let items = rows
            .into_iter()
            .map(|(ticket, tracking_id, values)| ExportRow {
                ticket,
                tracking_id,
                fields: values.into_iter().map(|(k, _, v)| (k, v)).collect(),
            })
            .collect();
        let body = ExportJson {
            order: lapor::FORM_FIELDS.iter().map(|(k, _)| *k).collect(),
            items,
        };
        return Ok(Json(body).into_response());
    }
    let mut header = vec!["Tiket", "Nomor LAPOR"];
    header.extend(lapor::FORM_FIELDS.iter().map(|(_, label)| *label));
    let records = rows.into_iter().map(|(ticket, tracking_id, values)| {
        let mut record = vec![ticket, tracking_id.unwrap_or_default()];
        record.extend(values.into_iter().map(|(_, _, v)| v));
        record
    });
    let filename = format!(
        "lapor-{}.csv",
        calendar::wib_datetime(state.clock.now_ms()).format("%Y%m%d-%H%M")
    );
    csv_download(&header, records, &filename)
}
