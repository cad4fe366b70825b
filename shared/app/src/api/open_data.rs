//! Open data, without sign-in and without personal data: `GET /public/stats` (monthly
//! aggregates of the counters, cached) and a read-only Open311 GeoReport v2 view of the
//! complaints (JSON only). Every complaint not marked *Rahasia* is listed; descriptions are
//! redacted (`prolink_domain::open_data`), coordinates rounded to about 100 m, the address is
//! only the kelurahan and kecamatan a location names, and no reporter, photo or note leaves.

use std::sync::{Arc, Mutex};

use axum::{
    extract::{rejection::QueryRejection, Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Extension, Json, Router,
};
use chrono::{DateTime, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::warn;

use prolink_domain::calendar::{end_of_day_ms, wib_to_ms, DAY_MS};
use prolink_domain::complaint::duplicates::{kelurahan_label, kelurahan_of};
use prolink_domain::complaint::{Complaint, ComplaintLocation, Privacy, Status};
use prolink_domain::content::ContentBundle;
use prolink_domain::open_data::{
    kecamatan_label, kecamatan_of, redact_description, round_coordinate,
};

use crate::ports::{ComplaintQuery, PageRequest};
use crate::stats::{self, Granularity, KeyCount};

use super::stats::{read_figures, today};
use super::views::wib_iso;
use super::ApiState;

/// The public routes (no bearer), as `docs/openapi.yaml` names them; `tests/api/openapi.rs`
/// compares this list with the spec.
pub const PUBLIC_PATHS: [&str; 4] = [
    "/public/stats",
    "/open311/v2/services.json",
    "/open311/v2/requests.json",
    "/open311/v2/requests/{ticket}.json",
];
/// Months `/public/stats` covers, the current one included.
pub const PUBLIC_MONTHS: u32 = 12;
/// How long `/public/stats` is served from memory.
pub const PUBLIC_STATS_TTL_MS: i64 = 10 * 60 * 1000;
/// Open311's default window ("a span of 90 days or first 1000 requests").
pub const DEFAULT_WINDOW_DAYS: i64 = 90;
/// Most requests one `requests.json` answer holds.
pub const MAX_REQUESTS: usize = 1000;
/// Complaints one `requests.json` reads at most (Rahasia and filtered ones included).
pub const MAX_EXAMINED: usize = 5000;
/// Longest window a `requests.json` may ask for.
pub const MAX_WINDOW_DAYS: i64 = 366;
const PAGE: usize = 100;

/// The last `/public/stats` answer and until when it is served.
#[derive(Default)]
struct PublicCache {
    stats: Mutex<Option<(i64, Value)>>,
}

/// The public routes; `routes::router` merges them (no authorising layer).
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/public/stats", get(public_stats))
        .route("/open311/v2/services.json", get(services))
        .route("/open311/v2/requests.json", get(requests))
        .route("/open311/v2/requests/{file}", get(request_one))
        .layer(Extension(Arc::new(PublicCache::default())))
        .with_state(state)
}

// ---------------------------------------------------------------------------------------------
// Errors (Open311 shape: a list of {code, description})
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
struct Open311Error {
    code: u16,
    description: String,
}

fn open311_error(status: StatusCode, description: impl Into<String>) -> Response {
    (
        status,
        Json(vec![Open311Error {
            code: status.as_u16(),
            description: description.into(),
        }]),
    )
        .into_response()
}

fn unavailable() -> Response {
    open311_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "Layanan sedang tidak tersedia. Coba lagi nanti.",
    )
}

// ---------------------------------------------------------------------------------------------
// /public/stats
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
struct PublicMonth {
    month: String,
    messages_in: i64,
    active_citizens: i64,
    complaints_opened: i64,
    complaints_closed: i64,
    sla_response_met_pct: Option<f64>,
    sla_resolution_met_pct: Option<f64>,
    median_response_working_days: Option<u32>,
    median_resolution_working_days: Option<u32>,
    rating_average: Option<f64>,
    opened_by_category: Vec<KeyCount>,
    opened_by_kecamatan: Vec<KeyCount>,
}

async fn public_stats(
    State(state): State<ApiState>,
    Extension(cache): Extension<Arc<PublicCache>>,
) -> Response {
    let now = state.clock.now_ms();
    if let Ok(cached) = cache.stats.lock() {
        if let Some((until, value)) = cached.as_ref() {
            if now < *until {
                return Json(value.clone()).into_response();
            }
        }
    }
    let to = today(&state);
    let mut from = stats::month_start(to);
    for _ in 1..PUBLIC_MONTHS {
        from = stats::month_start(from - Duration::days(1));
    }
    let series = match read_figures(&state, from, to, Granularity::Month).await {
        Ok((_, series)) => series,
        Err(_) => return unavailable(),
    };
    let months: Vec<PublicMonth> = series
        .into_iter()
        .map(|p| PublicMonth {
            month: p.period,
            messages_in: p.figures.messages_in,
            active_citizens: p.figures.active_citizens,
            complaints_opened: p.figures.complaints_opened,
            complaints_closed: p.figures.complaints_closed,
            sla_response_met_pct: p.figures.sla_response_met_pct,
            sla_resolution_met_pct: p.figures.sla_resolution_met_pct,
            median_response_working_days: p.figures.median_response_working_days,
            median_resolution_working_days: p.figures.median_resolution_working_days,
            rating_average: p.figures.rating_average,
            opened_by_category: p.figures.opened_by_category,
            opened_by_kecamatan: p.figures.opened_by_kecamatan,
        })
        .collect();
    let value = serde_json::json!({
        "generated_at": wib_iso(now),
        "months": months,
    });
    if let Ok(mut cached) = cache.stats.lock() {
        *cached = Some((now + PUBLIC_STATS_TTL_MS, value.clone()));
    }
    Json(value).into_response()
}

// ---------------------------------------------------------------------------------------------
// Open311 GeoReport v2
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
struct Service {
    service_code: String,
    service_name: String,
    description: String,
    metadata: bool,
    #[serde(rename = "type")]
    kind: &'static str,
    keywords: String,
    group: String,
}

async fn services(State(state): State<ApiState>) -> Response {
    let loaded = match state.content.load().await {
        Ok(loaded) => loaded,
        Err(error) => {
            warn!(%error, "content unavailable under an Open311 request");
            return unavailable();
        }
    };
    let content = &loaded.bundle;
    let list: Vec<Service> = content
        .categories
        .iter()
        .map(|c| Service {
            service_code: c.id.clone(),
            service_name: c.name.clone(),
            description: c.short_description.clone(),
            metadata: false,
            kind: "realtime",
            keywords: c.keywords.join(","),
            group: content
                .opd(&c.opd_id)
                .map_or_else(|| c.opd.clone(), |o| o.name.clone()),
        })
        .collect();
    Json(list).into_response()
}

#[derive(Debug, Serialize)]
struct ServiceRequest {
    service_request_id: String,
    status: &'static str,
    status_notes: String,
    service_name: String,
    service_code: String,
    description: String,
    agency_responsible: String,
    service_notice: Option<String>,
    requested_datetime: String,
    updated_datetime: String,
    expected_datetime: Option<String>,
    address: Option<String>,
    address_id: Option<String>,
    zipcode: Option<String>,
    lat: Option<f64>,
    long: Option<f64>,
    media_url: Option<String>,
}

/// Open311's two states: closed once `selesai` or final.
fn open311_status(status: Status) -> &'static str {
    if status == Status::Selesai || status.is_final() {
        "closed"
    } else {
        "open"
    }
}

fn public_address(location: &ComplaintLocation) -> Option<String> {
    let kelurahan = kelurahan_of(location).map(kelurahan_label);
    let kecamatan = kecamatan_of(location).map(|_| kecamatan_label(Some(location)));
    match (kelurahan, kecamatan) {
        (Some(kel), Some(kec)) => Some(format!("Kel. {kel}, Kec. {kec}, Kota Probolinggo")),
        (None, Some(kec)) => Some(format!("Kec. {kec}, Kota Probolinggo")),
        (Some(kel), None) => Some(format!("Kel. {kel}, Kota Probolinggo")),
        (None, None) => None,
    }
}

/// A complaint as the public sees it; `None` for a *Rahasia* one.
fn public_request(complaint: &Complaint, content: &ContentBundle) -> Option<ServiceRequest> {
    if complaint.privacy == Privacy::Rahasia {
        return None;
    }
    let category = content.category(&complaint.category_id);
    let (lat, long) = match &complaint.location {
        Some(ComplaintLocation::Pin {
            latitude,
            longitude,
            ..
        }) if latitude.is_finite() && longitude.is_finite() => (
            Some(round_coordinate(*latitude)),
            Some(round_coordinate(*longitude)),
        ),
        _ => (None, None),
    };
    let status = open311_status(complaint.status);
    let updated_ms = complaint
        .events
        .iter()
        .map(|e| e.at_ms)
        .max()
        .unwrap_or(complaint.received_ms)
        .max(complaint.received_ms);
    Some(ServiceRequest {
        service_request_id: complaint.ticket.clone(),
        status,
        status_notes: complaint.status.label().to_string(),
        service_name: category.map_or_else(|| complaint.category_id.clone(), |c| c.name.clone()),
        service_code: complaint.category_id.clone(),
        description: redact_description(&complaint.description, complaint.reporter_name.as_deref()),
        agency_responsible: content
            .opd(&complaint.opd_id)
            .map_or_else(|| complaint.opd_id.clone(), |o| o.name.clone()),
        service_notice: None,
        requested_datetime: wib_iso(complaint.received_ms),
        updated_datetime: wib_iso(updated_ms),
        expected_datetime: match status {
            "open" => complaint
                .deadlines
                .resolution_date
                .map(|d| wib_iso(end_of_day_ms(d) - 1000)),
            _ => None,
        },
        address: complaint.location.as_ref().and_then(public_address),
        address_id: None,
        zipcode: None,
        lat,
        long,
        media_url: None,
    })
}

#[derive(Debug, Default, Deserialize)]
struct RequestsQuery {
    start_date: Option<String>,
    end_date: Option<String>,
    status: Option<String>,
    service_code: Option<String>,
    /// Accepted and ignored (one jurisdiction).
    #[allow(dead_code)]
    jurisdiction_id: Option<String>,
}

/// A w3 datetime with its offset (`2026-01-05T10:00:00+07:00`, `…Z`) or a WIB date.
fn parse_instant(text: &str, end_of_day: bool) -> Option<i64> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.timestamp_millis());
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    if text.len() != 10 {
        return None;
    }
    Some(if end_of_day {
        end_of_day_ms(date) - 1
    } else {
        wib_to_ms(date.and_time(chrono::NaiveTime::MIN))
    })
}

fn bad_request(description: &str) -> Response {
    open311_error(StatusCode::BAD_REQUEST, description)
}

async fn requests(
    State(state): State<ApiState>,
    query: Result<Query<RequestsQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return bad_request("Parameter permintaan tidak dapat dibaca.");
    };
    let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let start = match nonempty(&query.start_date).map(|s| parse_instant(&s, false)) {
        Some(None) => {
            return bad_request("start_date harus berbentuk ISO 8601 (2026-01-05T00:00:00+07:00).")
        }
        Some(Some(ms)) => Some(ms),
        None => None,
    };
    let end = match nonempty(&query.end_date).map(|s| parse_instant(&s, true)) {
        Some(None) => {
            return bad_request("end_date harus berbentuk ISO 8601 (2026-01-05T23:59:59+07:00).")
        }
        Some(Some(ms)) => Some(ms),
        None => None,
    };
    let window = DEFAULT_WINDOW_DAYS * DAY_MS;
    let (start, end) = match (start, end) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s, s.saturating_add(window)),
        (None, Some(e)) => (e.saturating_sub(window), e),
        (None, None) => {
            let now = state.clock.now_ms();
            (now - window, now)
        }
    };
    if start > end {
        return bad_request("start_date tidak boleh sesudah end_date.");
    }
    if end.saturating_sub(start) > MAX_WINDOW_DAYS * DAY_MS {
        return bad_request("Rentang tanggal paling panjang 366 hari.");
    }
    let mut wanted_status: Vec<&str> = Vec::new();
    if let Some(list) = nonempty(&query.status) {
        for part in list.split(',') {
            match part.trim() {
                "open" => wanted_status.push("open"),
                "closed" => wanted_status.push("closed"),
                _ => return bad_request("status hanya open atau closed."),
            }
        }
    }
    let codes: Vec<String> = nonempty(&query.service_code)
        .map(|list| list.split(',').map(|c| c.trim().to_string()).collect())
        .unwrap_or_default();
    let loaded = match state.content.load().await {
        Ok(loaded) => loaded,
        Err(error) => {
            warn!(%error, "content unavailable under an Open311 request");
            return unavailable();
        }
    };
    let complaint_query = ComplaintQuery {
        received_from_ms: Some(start),
        // The store's bound is exclusive; `end` is inclusive.
        received_to_ms: Some(end.saturating_add(1)),
        ..ComplaintQuery::default()
    };
    let mut out = Vec::new();
    let mut examined = 0;
    let mut after = None;
    loop {
        let page = match state
            .complaints
            .list_complaints(&complaint_query, &PageRequest { limit: PAGE, after })
            .await
        {
            Ok(page) => page,
            Err(error) => {
                warn!(%error, "complaints unavailable under an Open311 request");
                return unavailable();
            }
        };
        examined += page.items.len();
        for complaint in &page.items {
            if !codes.is_empty() && !codes.contains(&complaint.category_id) {
                continue;
            }
            let Some(request) = public_request(complaint, &loaded.bundle) else {
                continue;
            };
            if !wanted_status.is_empty() && !wanted_status.contains(&request.status) {
                continue;
            }
            out.push(request);
            if out.len() >= MAX_REQUESTS {
                return Json(out).into_response();
            }
        }
        match page.next {
            Some(next) if examined < MAX_EXAMINED => after = Some(next),
            _ => return Json(out).into_response(),
        }
    }
}

/// `GET /open311/v2/requests/{ticket}.json`: a list of one request (as the spec answers),
/// 404 for an unknown or *Rahasia* ticket alike.
async fn request_one(
    State(state): State<ApiState>,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> Response {
    let not_found = || open311_error(StatusCode::NOT_FOUND, "Aduan tidak ditemukan.");
    let Some(ticket) = file.strip_suffix(".json") else {
        return not_found();
    };
    let ticket = ticket.trim().to_uppercase();
    if ticket.is_empty()
        || ticket.len() > 32
        || !ticket
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return not_found();
    }
    let complaint = match state.complaints.get_complaint(&ticket).await {
        Ok(Some(complaint)) => complaint,
        Ok(None) => return not_found(),
        Err(error) => {
            warn!(%error, "complaint unavailable under an Open311 request");
            return unavailable();
        }
    };
    let loaded = match state.content.load().await {
        Ok(loaded) => loaded,
        Err(error) => {
            warn!(%error, "content unavailable under an Open311 request");
            return unavailable();
        }
    };
    match public_request(&complaint, &loaded.bundle) {
        Some(request) => (
            [(header::CACHE_CONTROL, "public, max-age=60")],
            Json(vec![request]),
        )
            .into_response(),
        None => not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_parse_with_offsets_or_as_wib_dates() {
        assert_eq!(
            parse_instant("2026-01-05T00:00:00+07:00", false),
            parse_instant("2026-01-05", false)
        );
        assert_eq!(
            parse_instant("2026-01-04T17:00:00Z", false),
            parse_instant("2026-01-05", false)
        );
        assert_eq!(
            parse_instant("2026-01-05", true).map(|ms| ms + 1),
            parse_instant("2026-01-06", false)
        );
        for bad in ["2026-1-5", "yesterday", "2026-01-05T00:00:00", ""] {
            assert_eq!(parse_instant(bad, false), None, "{bad}");
        }
    }

    #[test]
    fn statuses_map_to_open_and_closed() {
        assert_eq!(open311_status(Status::Diterima), "open");
        assert_eq!(open311_status(Status::Diproses), "open");
        assert_eq!(open311_status(Status::DibukaKembali), "open");
        assert_eq!(open311_status(Status::Selesai), "closed");
        assert_eq!(open311_status(Status::Ditutup), "closed");
        assert_eq!(open311_status(Status::Dicabut), "closed");
    }
}
