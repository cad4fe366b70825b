//! The complaint routes: list (with filters the index cannot answer applied on top, still
//! paginating correctly), CSV export, detail, transitions, notes, reassignment and merging.
//! An OPD user only ever learns of their own OPD's complaints: another OPD's ticket is
//! "not found" by every route.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use base64::Engine;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tracing::warn;

use prolink_domain::{
    calendar,
    complaint::{
        self, duplicates, next_states, resume_state,
        triage::{self, Note, Reassignment},
        Actor, ActorKind, Change, Complaint, Status, TransitionError,
    },
    content::ContentBundle,
};

use crate::complaint_worker::{change_status, ChangeError};
use crate::content_cache::LoadedContent;
use crate::ids::short_hash;
use crate::ports::{ComplaintQuery, PageRequest, PortError, Role};
use crate::tasks::Task;

use super::error::{ApiError, ApiResult};
use super::extract::{
    bad_cursor, list_error, page_limit, Caller, JsonBody, PathParam, QueryParams,
};
use super::views::{self, sla_state, SlaState, Summary};
use super::{trail, ApiState};

/// Rows read from the index per store call while filtering.
const STORE_CHUNK: usize = 100;
/// Rows examined for one page before answering with what was found and a cursor.
const MAX_EXAMINED: usize = 1000;
/// Rows of one CSV export.
pub const EXPORT_MAX_ROWS: usize = 10_000;
/// How long a photo link stays valid.
const PHOTO_URL_TTL: Duration = Duration::from_secs(5 * 60);
/// Where an OPD user may move a complaint (from the states it is at the OPD): work on it,
/// finish it, ask the citizen, or hand it back (`bukan_wewenang`, `diverifikasi`: back to
/// Diskominfo for routing). Everything else is Diskominfo's.
const OPD_TARGETS: [Status; 5] = [
    Status::Diproses,
    Status::Selesai,
    Status::PerluDilengkapi,
    Status::BukanWewenang,
    Status::Diverifikasi,
];

// ---------------------------------------------------------------------------------------------
// Visibility
// ---------------------------------------------------------------------------------------------

/// `PS-7K3QX9` in any case; anything else names no complaint.
pub fn parse_ticket(raw: &str) -> Option<String> {
    let upper = raw.trim().to_ascii_uppercase();
    let code = upper.strip_prefix("PS-")?;
    (code.len() == 6 && code.chars().all(complaint::ticket::is_crockford)).then_some(upper)
}

fn visible(caller: &Caller, complaint: &Complaint) -> bool {
    match caller.role() {
        Role::Admin | Role::Operator => true,
        Role::Opd => caller.principal.opd_id.as_deref() == Some(complaint.opd_id.as_str()),
        Role::Viewer => false,
    }
}

/// The complaint if this caller may see it; 404 alike for absent and for another OPD's.
pub(super) async fn load_visible(
    state: &ApiState,
    caller: &Caller,
    raw_ticket: &str,
) -> ApiResult<Complaint> {
    let ticket = parse_ticket(raw_ticket).ok_or_else(ApiError::not_found)?;
    let complaint = state
        .complaints
        .get_complaint(&ticket)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if visible(caller, &complaint) {
        Ok(complaint)
    } else {
        Err(ApiError::not_found())
    }
}

pub(super) async fn content(state: &ApiState) -> ApiResult<std::sync::Arc<LoadedContent>> {
    state.content.load().await.map_err(|error| {
        warn!(%error, "content unavailable under an API request");
        ApiError::unavailable()
    })
}

/// Whether the OPD is the one handling the complaint now.
fn at_opd(complaint: &Complaint) -> bool {
    match complaint.status {
        Status::Diteruskan | Status::Diproses | Status::DibukaKembali => true,
        Status::PerluDilengkapi => matches!(
            resume_state(complaint),
            Status::Diteruskan | Status::Diproses | Status::DibukaKembali
        ),
        _ => false,
    }
}

fn role_may_move(role: Role, complaint: &Complaint, to: Status) -> bool {
    match role {
        Role::Admin | Role::Operator => true,
        Role::Opd => at_opd(complaint) && OPD_TARGETS.contains(&to),
        Role::Viewer => false,
    }
}

/// The statuses this caller may move the complaint to now.
pub fn allowed_transitions(role: Role, complaint: &Complaint) -> Vec<Status> {
    next_states(complaint.status, ActorKind::Operator)
        .into_iter()
        .filter(|to| role_may_move(role, complaint, *to))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// List and export
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    opd: Option<String>,
    category: Option<String>,
    sla: Option<String>,
    q: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

/// Where a filtered list stands in the index: the store cursor of the chunk being read
/// and how many of its rows were already handed out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ListCursor {
    #[serde(rename = "a")]
    after: Option<String>,
    #[serde(rename = "s")]
    skip: usize,
}

impl ListCursor {
    fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    fn decode(raw: &str) -> ApiResult<ListCursor> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw.trim())
            .map_err(|_| bad_cursor())?;
        let cursor: ListCursor = serde_json::from_slice(&bytes).map_err(|_| bad_cursor())?;
        if cursor.skip >= STORE_CHUNK {
            return Err(bad_cursor());
        }
        Ok(cursor)
    }
}

/// The list's parameters, checked.
struct Filters {
    query: ComplaintQuery,
    category: Option<String>,
    sla: Option<SlaState>,
    /// Lower-case text searched in ticket, description and location.
    text: Option<String>,
    /// `q` was a ticket id: that complaint only.
    ticket: Option<String>,
    /// An OPD user filtering on another OPD: nothing to show.
    nothing: bool,
}

fn parse_date(field: &str, raw: &str, errors: &mut BTreeMap<String, String>) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d") {
        Ok(date) => Some(date),
        Err(_) => {
            errors.insert(
                field.to_string(),
                "Tanggal harus berformat TTTT-BB-HH (mis. 2026-01-31).".to_string(),
            );
            None
        }
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn filters(caller: &Caller, query: &ListQuery) -> ApiResult<Filters> {
    let mut errors = BTreeMap::new();
    // A filter given empty (`?status=`) is a mistake of the caller, not "no filter": saying so
    // beats silently widening the list.
    let status = query.status.as_deref().map(str::trim).and_then(|s| {
        let parsed = Status::parse(s);
        if parsed.is_none() {
            errors.insert("status".to_string(), format!("Status tidak dikenal: {s}."));
        }
        parsed
    });
    let sla = query.sla.as_deref().map(str::trim).and_then(|s| {
        let parsed = match s {
            "on_time" => Some(SlaState::OnTime),
            "near" => Some(SlaState::Near),
            "overdue" => Some(SlaState::Overdue),
            _ => None,
        };
        if parsed.is_none() {
            errors.insert(
                "sla".to_string(),
                "Nilai SLA harus on_time, near, atau overdue.".to_string(),
            );
        }
        parsed
    });
    let from = query
        .from
        .as_deref()
        .and_then(|d| parse_date("from", d, &mut errors));
    let to = query
        .to
        .as_deref()
        .and_then(|d| parse_date("to", d, &mut errors));
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            errors.insert(
                "to".to_string(),
                "Tanggal akhir tidak boleh sebelum tanggal awal.".to_string(),
            );
        }
    }
    if let Err(error) = page_limit(query.limit) {
        errors.extend(error.fields);
    }
    let q = non_empty(query.q.clone());
    if q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        errors.insert(
            "q".to_string(),
            "Kata kunci terlalu panjang (maksimal 200 karakter).".to_string(),
        );
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid_fields(errors));
    }
    let requested_opd = non_empty(query.opd.clone());
    let (opd_id, nothing) = match caller.role() {
        Role::Opd => {
            let own = caller.principal.opd_id.clone();
            let other = requested_opd.is_some() && requested_opd != own;
            (own, other)
        }
        _ => (requested_opd, false),
    };
    let ticket = q.as_deref().and_then(parse_ticket);
    Ok(Filters {
        query: ComplaintQuery {
            status,
            opd_id,
            received_from_ms: from.map(|d| calendar::wib_to_ms(d.and_time(chrono::NaiveTime::MIN))),
            received_to_ms: to.map(calendar::end_of_day_ms),
        },
        category: non_empty(query.category.clone()),
        sla,
        text: if ticket.is_some() {
            None
        } else {
            q.map(|q| q.to_lowercase())
        },
        ticket,
        nothing,
    })
}

fn matches(
    caller: &Caller,
    filters: &Filters,
    complaint: &Complaint,
    content: &ContentBundle,
    now_ms: i64,
) -> bool {
    if !visible(caller, complaint) {
        return false;
    }
    if filters
        .category
        .as_ref()
        .is_some_and(|c| *c != complaint.category_id)
    {
        return false;
    }
    if filters
        .sla
        .is_some_and(|s| sla_state(complaint, now_ms, &content.holidays) != s)
    {
        return false;
    }
    if let Some(text) = &filters.text {
        let location = complaint
            .location
            .as_ref()
            .map(|l| l.describe())
            .unwrap_or_default();
        let found = [complaint.ticket.as_str(), &complaint.description, &location]
            .iter()
            .any(|field| field.to_lowercase().contains(text.as_str()));
        if !found {
            return false;
        }
    }
    true
}

/// One page of the filtered list and the cursor of the next.
async fn collect(
    state: &ApiState,
    caller: &Caller,
    filters: &Filters,
    cursor: Option<ListCursor>,
    limit: usize,
    content: &ContentBundle,
    now_ms: i64,
) -> ApiResult<(Vec<Complaint>, Option<ListCursor>)> {
    if filters.nothing {
        return Ok((Vec::new(), None));
    }
    if let Some(ticket) = &filters.ticket {
        // A ticket is one answer, never paged.
        if cursor.is_some() {
            return Ok((Vec::new(), None));
        }
        let found = state.complaints.get_complaint(ticket).await?;
        return Ok((
            found.into_iter().filter(|c| visible(caller, c)).collect(),
            None,
        ));
    }
    let ListCursor {
        mut after,
        mut skip,
    } = cursor.unwrap_or(ListCursor {
        after: None,
        skip: 0,
    });
    let mut items = Vec::new();
    let mut examined = 0usize;
    // Bounds the store calls even if a store answered empty pages with a cursor.
    for _ in 0..(MAX_EXAMINED / STORE_CHUNK + 2) {
        let page = state
            .complaints
            .list_complaints(
                &filters.query,
                &PageRequest {
                    limit: STORE_CHUNK,
                    after: after.clone(),
                },
            )
            .await
            .map_err(list_error)?;
        let rows = page.items.len();
        for (index, complaint) in page.items.into_iter().enumerate().skip(skip) {
            examined += 1;
            if !matches(caller, filters, &complaint, content, now_ms) {
                continue;
            }
            items.push(complaint);
            if items.len() == limit {
                let next = if index + 1 < rows {
                    Some(ListCursor {
                        after: after.clone(),
                        skip: index + 1,
                    })
                } else {
                    page.next.map(|next| ListCursor {
                        after: Some(next),
                        skip: 0,
                    })
                };
                return Ok((items, next));
            }
        }
        match page.next {
            None => return Ok((items, None)),
            Some(next) => {
                after = Some(next);
                skip = 0;
                if examined >= MAX_EXAMINED {
                    break;
                }
            }
        }
    }
    Ok((items, Some(ListCursor { after, skip: 0 })))
}

#[derive(Debug, Serialize)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

pub async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    QueryParams(query): QueryParams<ListQuery>,
) -> ApiResult<Json<ListPage<Summary>>> {
    let filters = filters(&caller, &query)?;
    let limit = page_limit(query.limit)?;
    let cursor = match non_empty(query.cursor.clone()) {
        Some(raw) => Some(ListCursor::decode(&raw)?),
        None => None,
    };
    let loaded = content(&state).await?;
    let now_ms = state.clock.now_ms();
    let (items, next) = collect(
        &state,
        &caller,
        &filters,
        cursor,
        limit,
        &loaded.bundle,
        now_ms,
    )
    .await?;
    Ok(Json(ListPage {
        items: items
            .iter()
            .map(|c| views::summary(c, caller.role(), &loaded.bundle, now_ms))
            .collect(),
        next_cursor: next.map(|c| c.encode()),
    }))
}

/// Excel reads a leading `=`, `+`, `-`, `@` (and tab/CR) as a formula: such cells get a `'`.
pub fn csv_safe(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

/// An Excel-friendly CSV download (`;` between cells, CRLF, a BOM so Excel reads UTF-8, and
/// every data cell through [`csv_safe`]): the complaint export, the LAPOR export and the
/// monthly report.
pub fn csv_download<R, C>(
    header: &[&str],
    rows: impl IntoIterator<Item = R>,
    filename: &str,
) -> ApiResult<Response>
where
    R: IntoIterator<Item = C>,
    C: AsRef<str>,
{
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let mut out = writer.write_record(header);
    for row in rows {
        out = out.and(writer.write_record(row.into_iter().map(|cell| csv_safe(cell.as_ref()))));
    }
    let bytes = out
        .map_err(|error| error.to_string())
        .and_then(|()| writer.into_inner().map_err(|error| error.to_string()))
        .map_err(|error| {
            warn!(%error, filename, "CSV download could not be written");
            ApiError::unavailable()
        })?;
    let mut body = "\u{feff}".as_bytes().to_vec();
    body.extend(bytes);
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response())
}

const CSV_HEADER: [&str; 14] = [
    "Tiket",
    "Status",
    "Kategori",
    "OPD",
    "Diterima",
    "SLA",
    "Tenggat tanggapan",
    "Tenggat penyelesaian",
    "Pelapor",
    "Nomor WhatsApp",
    "Privasi",
    "Lokasi",
    "Uraian",
    "Duplikat dari",
];

pub async fn export_csv(
    State(state): State<ApiState>,
    caller: Caller,
    QueryParams(query): QueryParams<ListQuery>,
) -> ApiResult<Response> {
    let filters = filters(&caller, &query)?;
    if non_empty(query.cursor.clone()).is_some() {
        return Err(ApiError::invalid_field(
            "cursor",
            "Ekspor selalu dimulai dari awal daftar.",
        ));
    }
    let loaded = content(&state).await?;
    let now_ms = state.clock.now_ms();
    let mut rows = Vec::new();
    let mut cursor = None;
    loop {
        let (items, next) = collect(
            &state,
            &caller,
            &filters,
            cursor,
            super::extract::MAX_LIMIT,
            &loaded.bundle,
            now_ms,
        )
        .await?;
        rows.extend(items);
        match next {
            Some(next) if rows.len() < EXPORT_MAX_ROWS => cursor = Some(next),
            _ => break,
        }
    }
    rows.truncate(EXPORT_MAX_ROWS);
    // Personal data leaves the system: recorded before it does.
    trail::record(
        &state,
        &caller,
        "complaint.export",
        None,
        Some(format!("{} aduan", rows.len())),
    )
    .await?;
    let records = rows.iter().map(|complaint| {
        let s = views::summary(complaint, caller.role(), &loaded.bundle, now_ms);
        [
            s.ticket,
            s.status_label.to_string(),
            s.category_name.unwrap_or(s.category_id),
            s.opd_name.unwrap_or(s.opd_id),
            s.received_at,
            s.sla_label.to_string(),
            s.response_date.map(|d| d.to_string()).unwrap_or_default(),
            s.resolution_date.map(|d| d.to_string()).unwrap_or_default(),
            s.reporter.name.unwrap_or_default(),
            s.reporter.phone.unwrap_or_default(),
            complaint.privacy.label().to_string(),
            complaint
                .location
                .as_ref()
                .map(|l| l.describe())
                .unwrap_or_default(),
            complaint.description.clone(),
            s.duplicate_of.unwrap_or_default(),
        ]
    });
    let filename = format!(
        "aduan-{}.csv",
        calendar::wib_datetime(now_ms).format("%Y%m%d-%H%M")
    );
    csv_download(&CSV_HEADER, records, &filename)
}

// ---------------------------------------------------------------------------------------------
// Detail
// ---------------------------------------------------------------------------------------------

pub(super) async fn detail_of(
    state: &ApiState,
    caller: &Caller,
    complaint: &Complaint,
    content: &ContentBundle,
) -> ApiResult<views::Detail> {
    let phone = match state.citizens.get_citizen(&complaint.citizen_key).await {
        Ok(profile) => profile.and_then(|p| p.wa_id),
        Err(error) => {
            warn!(%error, "citizen profile unavailable; the detail shows the citizen key");
            None
        }
    };
    let mut photo_urls = Vec::with_capacity(complaint.photos.len());
    for photo in &complaint.photos {
        let url = match &photo.stored_key {
            Some(key) => match state.blobs.presign_get(key, PHOTO_URL_TTL).await {
                Ok(url) => Some(url),
                Err(error) => {
                    warn!(%error, "photo link could not be made");
                    None
                }
            },
            None => None,
        };
        photo_urls.push(url);
    }
    Ok(views::detail(views::DetailInput {
        complaint,
        role: caller.role(),
        content,
        now_ms: state.clock.now_ms(),
        phone: phone.as_deref(),
        photo_urls,
        allowed_transitions: allowed_transitions(caller.role(), complaint),
    }))
}

pub async fn get_one(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(ticket): PathParam<String>,
) -> ApiResult<Json<views::Detail>> {
    let complaint = load_visible(&state, &caller, &ticket).await?;
    let loaded = content(&state).await?;
    let detail = detail_of(&state, &caller, &complaint, &loaded.bundle).await?;
    trail::record(
        &state,
        &caller,
        "complaint.read",
        Some(&complaint.ticket),
        None,
    )
    .await?;
    Ok(Json(detail))
}

// ---------------------------------------------------------------------------------------------
// Changes
// ---------------------------------------------------------------------------------------------

/// A change's event id, from what the operator asked: the same request retried (same
/// ticket, version, content) is the same event and is applied once.
fn request_event_id(kind: &str, ticket: &str, version: u64, parts: &[Option<&str>]) -> String {
    let mut text = format!("{kind}|{ticket}|{version}");
    for part in parts {
        text.push('|');
        text.push_str(part.unwrap_or("\u{0}"));
    }
    format!("api.{kind}.{}", short_hash(&text))
}

/// The version the caller based the request on, checked against the stored one — unless
/// the request was applied already (its event is there): then the retry is answered.
fn check_version(complaint: &Complaint, event_id: &str, version: Option<u64>) -> ApiResult<()> {
    match version {
        Some(v) if v != complaint.version && !complaint.has_event(event_id) => {
            Err(ApiError::stale())
        }
        _ => Ok(()),
    }
}

fn refused(error: TransitionError) -> ApiError {
    match error {
        TransitionError::NoteTooLong => ApiError::invalid_field("public_note", error.to_string()),
        other => ApiError::refused(other.to_string()),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    to: String,
    #[serde(default)]
    public_note: Option<String>,
    #[serde(default)]
    internal_note: Option<String>,
    #[serde(default, deserialize_with = "super::extract::optional_whole_number")]
    version: Option<u64>,
}

pub async fn transition(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(ticket): PathParam<String>,
    JsonBody(body): JsonBody<TransitionBody>,
) -> ApiResult<Json<views::Detail>> {
    let complaint = load_visible(&state, &caller, &ticket).await?;
    let to = Status::parse(body.to.trim()).ok_or_else(|| {
        ApiError::invalid_field("to", format!("Status tidak dikenal: {}.", body.to))
    })?;
    let version = body.version.unwrap_or(complaint.version);
    let event_id = request_event_id(
        "transition",
        &complaint.ticket,
        version,
        &[
            Some(to.as_str()),
            body.public_note.as_deref(),
            body.internal_note.as_deref(),
        ],
    );
    check_version(&complaint, &event_id, body.version)?;
    let from = complaint.status;
    if !complaint.has_event(&event_id) && !role_may_move(caller.role(), &complaint, to) {
        return Err(ApiError::refused(format!(
            "{} tidak dapat mengubah status *{}* menjadi *{}*; hubungi Diskominfo.",
            caller.role().label(),
            from.label(),
            to.label()
        )));
    }
    let loaded = content(&state).await?;
    let change = Change {
        event_id,
        at_ms: state.clock.now_ms(),
        actor: Actor::operator(caller.username()),
        to,
        public_note: body.public_note,
        internal_note: body.internal_note,
    };
    let changed = apply_change(&state, &loaded.bundle, &complaint, change).await?;
    trail::record(
        &state,
        &caller,
        "complaint.transition",
        Some(&changed.ticket),
        Some(format!("{} → {}", from.as_str(), changed.status.as_str())),
    )
    .await?;
    Ok(Json(
        detail_of(&state, &caller, &changed, &loaded.bundle).await?,
    ))
}

/// Stores a change that keeps the status; `notify` names the event the citizen must hear
/// of (queued first, as `change_status` does, so a crash cannot lose it).
async fn store_change(
    state: &ApiState,
    changed: Complaint,
    notify: Option<&str>,
) -> ApiResult<Complaint> {
    if let Some(event_id) = notify {
        let task = Task::StatusChanged {
            ticket: changed.ticket.clone(),
            event_id: event_id.to_string(),
        };
        state.tasks.send_batch(&[task.to_message()]).await?;
    }
    let version =
        state
            .complaints
            .update_complaint(&changed)
            .await
            .map_err(|error| match error {
                PortError::Conflict(_) => ApiError::stale(),
                other => ApiError::store(other),
            })?;
    Ok(Complaint { version, ..changed })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    #[serde(default)]
    public_note: Option<String>,
    #[serde(default)]
    internal_note: Option<String>,
    #[serde(default, deserialize_with = "super::extract::optional_whole_number")]
    version: Option<u64>,
}

pub async fn add_note(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(ticket): PathParam<String>,
    JsonBody(body): JsonBody<NoteBody>,
) -> ApiResult<Json<views::Detail>> {
    let complaint = load_visible(&state, &caller, &ticket).await?;
    let version = body.version.unwrap_or(complaint.version);
    let event_id = request_event_id(
        "note",
        &complaint.ticket,
        version,
        &[body.public_note.as_deref(), body.internal_note.as_deref()],
    );
    check_version(&complaint, &event_id, body.version)?;
    let loaded = content(&state).await?;
    let rules = complaint::Rules::for_category(&loaded.bundle, &complaint.category_id);
    let note = Note {
        event_id: event_id.clone(),
        at_ms: state.clock.now_ms(),
        actor: Actor::operator(caller.username()),
        public_note: body.public_note,
        internal_note: body.internal_note,
    };
    let has_public = note
        .public_note
        .as_deref()
        .is_some_and(|n| !n.trim().is_empty());
    let changed = match triage::add_note(&complaint, note, &rules) {
        Ok(changed) => {
            let notify = has_public.then_some(event_id.as_str());
            store_change(&state, changed, notify).await?
        }
        Err(TransitionError::AlreadyApplied) => complaint,
        Err(TransitionError::EmptyComment) => {
            return Err(ApiError::invalid_fields(BTreeMap::from([
                (
                    "public_note".to_string(),
                    "Isi catatan untuk pelapor atau catatan internal.".to_string(),
                ),
                (
                    "internal_note".to_string(),
                    "Isi catatan untuk pelapor atau catatan internal.".to_string(),
                ),
            ])))
        }
        Err(TransitionError::NotAllowed { from, .. }) => {
            return Err(ApiError::refused(format!(
            "Aduan berstatus *{}* sudah selesai; hanya catatan internal yang dapat ditambahkan.",
            from.label()
        )))
        }
        Err(error) => return Err(refused(error)),
    };
    trail::record(
        &state,
        &caller,
        "complaint.note",
        Some(&changed.ticket),
        Some(
            if has_public {
                "catatan untuk pelapor"
            } else {
                "catatan internal"
            }
            .to_string(),
        ),
    )
    .await?;
    Ok(Json(
        detail_of(&state, &caller, &changed, &loaded.bundle).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReassignBody {
    #[serde(default)]
    opd_id: Option<String>,
    #[serde(default)]
    category_id: Option<String>,
    #[serde(default, deserialize_with = "super::extract::optional_whole_number")]
    version: Option<u64>,
}

pub async fn reassign(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(ticket): PathParam<String>,
    JsonBody(body): JsonBody<ReassignBody>,
) -> ApiResult<Json<views::Detail>> {
    let complaint = load_visible(&state, &caller, &ticket).await?;
    let loaded = content(&state).await?;
    let bundle = &loaded.bundle;
    let opd_id = non_empty(body.opd_id);
    let category_id = non_empty(body.category_id);
    let mut errors = BTreeMap::new();
    if opd_id.is_none() && category_id.is_none() {
        errors.insert(
            "opd_id".to_string(),
            "Isi OPD atau kategori tujuan.".to_string(),
        );
    }
    if let Some(opd) = opd_id.as_deref().filter(|id| bundle.opd(id).is_none()) {
        errors.insert("opd_id".to_string(), format!("OPD tidak dikenal: {opd}."));
    }
    if let Some(category) = category_id
        .as_deref()
        .filter(|id| bundle.category(id).is_none())
    {
        errors.insert(
            "category_id".to_string(),
            format!("Kategori tidak dikenal: {category}."),
        );
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid_fields(errors));
    }
    let version = body.version.unwrap_or(complaint.version);
    let event_id = request_event_id(
        "reassign",
        &complaint.ticket,
        version,
        &[opd_id.as_deref(), category_id.as_deref()],
    );
    check_version(&complaint, &event_id, body.version)?;
    let new_category = category_id
        .clone()
        .unwrap_or_else(|| complaint.category_id.clone());
    let rules = complaint::Rules::for_category(bundle, &new_category);
    let change = Reassignment {
        event_id,
        at_ms: state.clock.now_ms(),
        actor: Actor::operator(caller.username()),
        category_id,
        opd_id,
    };
    let (before_opd, before_category) = (complaint.opd_id.clone(), complaint.category_id.clone());
    let changed = match triage::reassign(&complaint, change, &rules) {
        Ok(changed) => store_change(&state, changed, None).await?,
        Err(TransitionError::AlreadyApplied) => complaint,
        Err(TransitionError::NotAllowed { from, .. }) => {
            return Err(ApiError::refused(format!(
                "Aduan berstatus *{}* tidak dapat dialihkan lagi.",
                from.label()
            )))
        }
        Err(error) => return Err(refused(error)),
    };
    trail::record(
        &state,
        &caller,
        "complaint.reassign",
        Some(&changed.ticket),
        Some(format!(
            "OPD {before_opd} → {}, kategori {before_category} → {}",
            changed.opd_id, changed.category_id
        )),
    )
    .await?;
    Ok(Json(detail_of(&state, &caller, &changed, bundle).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    into: String,
    #[serde(default, deserialize_with = "super::extract::optional_whole_number")]
    version: Option<u64>,
}

/// The note the citizen of a merged complaint reads.
fn merged_note(into: &str) -> String {
    format!(
        "Aduan Anda sama dengan aduan {into} yang sedang ditangani, sehingga digabungkan. Anda akan menerima kabar perkembangan aduan {into}."
    )
}

pub async fn merge(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(ticket): PathParam<String>,
    JsonBody(body): JsonBody<MergeBody>,
) -> ApiResult<Json<views::Detail>> {
    let complaint = load_visible(&state, &caller, &ticket).await?;
    let into = parse_ticket(&body.into)
        .ok_or_else(|| ApiError::invalid_field("into", "Nomor tiket tujuan tidak valid."))?;
    if into == complaint.ticket {
        return Err(ApiError::invalid_field(
            "into",
            "Aduan tidak dapat digabungkan dengan dirinya sendiri.",
        ));
    }
    let target = state
        .complaints
        .get_complaint(&into)
        .await?
        .ok_or_else(|| ApiError::invalid_field("into", "Aduan tujuan tidak ditemukan."))?;
    if target.duplicate_of.as_deref() == Some(complaint.ticket.as_str()) && target.status.is_final()
    {
        return Err(ApiError::invalid_field(
            "into",
            "Aduan tujuan sudah digabungkan ke aduan ini.",
        ));
    }
    let version = body.version.unwrap_or(complaint.version);
    let event_id = request_event_id("merge", &complaint.ticket, version, &[Some(&into)]);
    check_version(&complaint, &event_id, body.version)?;
    let loaded = content(&state).await?;
    let already = complaint.has_event(&event_id);
    // Closing as a duplicate is a rejection before the OPD has it, a closing after.
    let to = [Status::Ditolak, Status::Ditutup]
        .into_iter()
        .find(|to| complaint::is_allowed(complaint.status, *to, ActorKind::Operator));
    let Some(to) = to
        .filter(|_| !already)
        .or(already.then_some(complaint.status))
    else {
        return Err(ApiError::refused(format!(
            "Aduan berstatus *{}* tidak dapat digabungkan; ubah statusnya dahulu.",
            complaint.status.label()
        )));
    };
    // The citizens move first, so a failure half-way never leaves them on a closed ticket;
    // each follow is recognised on a retry.
    let mut citizens = vec![complaint.citizen_key.clone()];
    citizens.extend(complaint.followers.iter().cloned());
    let mut target = target;
    let now = state.clock.now_ms();
    for citizen in &citizens {
        let follow_id = format!("merge.{}.{}", complaint.ticket, short_hash(citizen));
        match duplicates::follow(&target, citizen, &follow_id, now) {
            Ok(next) => target = store_change(&state, next, None).await?,
            Err(TransitionError::AlreadyApplied) => {}
            Err(error) => return Err(refused(error)),
        }
    }
    let mut source = complaint.clone();
    source.duplicate_of = Some(into.clone());
    let change = Change {
        event_id,
        at_ms: now,
        actor: Actor::operator(caller.username()),
        to,
        public_note: Some(merged_note(&into)),
        internal_note: Some(format!("Digabungkan ke {into}.")),
    };
    let changed = apply_change(&state, &loaded.bundle, &source, change).await?;
    trail::record(
        &state,
        &caller,
        "complaint.merge",
        Some(&changed.ticket),
        Some(format!("digabungkan ke {into}")),
    )
    .await?;
    Ok(Json(
        detail_of(&state, &caller, &changed, &loaded.bundle).await?,
    ))
}

/// A status change through the one path the scheduler also takes (`change_status`: stored
/// with a conditional write, the citizen's notice queued), its refusal as 409.
async fn apply_change(
    state: &ApiState,
    content: &ContentBundle,
    complaint: &Complaint,
    change: Change,
) -> ApiResult<Complaint> {
    match change_status(
        state.complaints.as_ref(),
        state.tasks.as_ref(),
        content,
        complaint,
        change,
    )
    .await
    {
        Ok(changed) => Ok(changed),
        Err(ChangeError::Refused(error)) => Err(refused(error)),
        Err(ChangeError::Store(error)) => Err(ApiError::store(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_parse_in_any_case_and_nothing_else() {
        for (raw, expected) in [
            ("PS-7K3QX9", Some("PS-7K3QX9")),
            (" ps-7k3qx9 ", Some("PS-7K3QX9")),
            ("PS-7K3QX", None),
            ("PS-7K3QXU", None),
            ("../etc", None),
            ("", None),
        ] {
            assert_eq!(parse_ticket(raw).as_deref(), expected, "{raw}");
        }
    }

    #[test]
    fn formulas_are_defused() {
        for (cell, expected) in [
            ("=1+1", "'=1+1"),
            ("+62", "'+62"),
            ("-x", "'-x"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("Jalan", "Jalan"),
            ("", ""),
        ] {
            assert_eq!(csv_safe(cell), expected);
        }
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = ListCursor {
            after: Some("x".into()),
            skip: 7,
        };
        assert_eq!(ListCursor::decode(&cursor.encode()).ok(), Some(cursor));
        assert!(ListCursor::decode("not a cursor!").is_err());
        let too_far = ListCursor {
            after: None,
            skip: STORE_CHUNK,
        }
        .encode();
        assert!(ListCursor::decode(&too_far).is_err());
    }
}
