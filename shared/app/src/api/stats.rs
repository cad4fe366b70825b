//! Statistics and reports (admin, operator, viewer): the figures of a date range from the day
//! counters (`crate::stats`), and the KAK's monthly report as CSV. Open data (no sign-in) is
//! in `open_data.rs`.

use std::sync::Arc;

use axum::{extract::State, response::Response, Json};
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use tracing::warn;

use prolink_domain::calendar;
use prolink_domain::content::ContentBundle;

use crate::content_cache::LoadedContent;
use crate::stats::{self, day_key, Figures, Granularity, PeriodFigures};

use super::complaints::csv_download;
use super::error::{ApiError, ApiResult};
use super::extract::QueryParams;
use super::ApiState;

/// Longest range `/api/stats` answers (a leap year).
pub const MAX_RANGE_DAYS: i64 = 366;
/// Days `/api/stats` covers without `from` (today included).
pub const DEFAULT_RANGE_DAYS: i64 = 30;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    from: Option<String>,
    to: Option<String>,
    granularity: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct StatsAnswer {
    pub from: String,
    pub to: String,
    pub granularity: &'static str,
    pub totals: Figures,
    pub series: Vec<PeriodFigures>,
    /// Broadcast messages in the range (`bc_*` counters).
    pub broadcasts: BroadcastTotals,
}

fn date_field(field: &str, value: Option<&str>) -> ApiResult<Option<NaiveDate>> {
    // Given empty (`?to=`) is a mistake of the caller, not "the default".
    match value {
        None => Ok(None),
        Some(text) => stats::parse_day(text).map(Some).map_err(|_| {
            ApiError::invalid_field(field, "Tanggal harus berbentuk YYYY-MM-DD (WIB).")
        }),
    }
}

pub(super) fn today(state: &ApiState) -> NaiveDate {
    calendar::wib_date(state.clock.now_ms())
}

/// The day counters of `from ..= to` summed per `granularity`.
pub(super) async fn read_figures(
    state: &ApiState,
    from: NaiveDate,
    to: NaiveDate,
    granularity: Granularity,
) -> ApiResult<(Figures, Vec<PeriodFigures>)> {
    let rows = state
        .stats
        .read_counters(&day_key(granularity.read_from(from)), &day_key(to))
        .await
        .map_err(ApiError::store)?;
    Ok(stats::figures(&rows, from, to, granularity))
}

pub async fn get_stats(
    State(state): State<ApiState>,
    QueryParams(query): QueryParams<StatsQuery>,
) -> ApiResult<Json<StatsAnswer>> {
    let to = date_field("to", query.to.as_deref())?.unwrap_or_else(|| today(&state));
    let from = date_field("from", query.from.as_deref())?
        .unwrap_or_else(|| to - Duration::days(DEFAULT_RANGE_DAYS - 1));
    let (granularity, name) = match query.granularity.as_deref() {
        None => (Granularity::Day, "day"),
        Some(text) => match Granularity::parse(text) {
            Some(Granularity::Day) => (Granularity::Day, "day"),
            Some(Granularity::Week) => (Granularity::Week, "week"),
            Some(Granularity::Month) => (Granularity::Month, "month"),
            None => {
                return Err(ApiError::invalid_field(
                    "granularity",
                    "Pilih day, week atau month.",
                ))
            }
        },
    };
    if from > to {
        return Err(ApiError::invalid_field(
            "from",
            "Tanggal awal tidak boleh sesudah tanggal akhir.",
        ));
    }
    if (to - from).num_days() + 1 > MAX_RANGE_DAYS {
        return Err(ApiError::invalid_field(
            "from",
            format!("Rentang paling panjang {MAX_RANGE_DAYS} hari."),
        ));
    }
    let rows = state
        .stats
        .read_counters(&day_key(granularity.read_from(from)), &day_key(to))
        .await
        .map_err(ApiError::store)?;
    let (totals, series) = stats::figures(&rows, from, to, granularity);
    let broadcasts = broadcast_totals(&rows, &day_key(from), &day_key(to));
    Ok(Json(StatsAnswer {
        from: day_key(from),
        to: day_key(to),
        granularity: name,
        totals,
        series,
        broadcasts,
    }))
}

/// Broadcast messages of the range, city-wide (counted on the day each happened); zeros
/// when there were none.
#[derive(Debug, Default, Serialize)]
pub struct BroadcastTotals {
    pub sent: i64,
    pub delivered: i64,
    pub read: i64,
    pub failed: i64,
    pub opted_out: i64,
}

fn broadcast_totals(rows: &[crate::ports::DayCounter], from: &str, to: &str) -> BroadcastTotals {
    use crate::broadcast::{DELIVERED, FAILED, OPTED_OUT, READ, SENT};
    let mut totals = BroadcastTotals::default();
    for row in rows
        .iter()
        .filter(|r| r.day.as_str() >= from && r.day.as_str() <= to)
    {
        let slot = match row.counter.as_str() {
            SENT => &mut totals.sent,
            DELIVERED => &mut totals.delivered,
            READ => &mut totals.read,
            FAILED => &mut totals.failed,
            OPTED_OUT => &mut totals.opted_out,
            _ => continue,
        };
        *slot = slot.saturating_add(row.value);
    }
    totals
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonthQuery {
    month: Option<String>,
}

/// `yyyy-mm` → its first and last day.
pub(super) fn month_bounds(text: &str) -> Option<(NaiveDate, NaiveDate)> {
    if text.len() != 7 {
        return None;
    }
    let first = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok()?;
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year().checked_add(1)?, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)?
    };
    Some((first, next.pred_opt()?))
}

fn opt(value: Option<f64>) -> String {
    value.map(|v| format!("{v}")).unwrap_or_default()
}

fn opt_u32(value: Option<u32>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn category_name(content: &ContentBundle, id: &str) -> String {
    content
        .category(id)
        .map_or_else(|| id.to_string(), |c| c.name.clone())
}

fn opd_name(content: &ContentBundle, id: &str) -> String {
    content
        .opd(id)
        .map_or_else(|| id.to_string(), |o| o.name.clone())
}

/// The report's rows: (section, item, value), in Indonesian.
fn report_rows(month: &str, f: &Figures, content: &ContentBundle) -> Vec<[String; 3]> {
    let row =
        |section: &str, item: &str, value: String| [section.to_string(), item.to_string(), value];
    let chat = "Percakapan";
    let cmp = "Aduan";
    let mut rows = vec![
        row("Laporan", "Bulan", month.to_string()),
        row(chat, "Pesan masuk", f.messages_in.to_string()),
        row(chat, "Pesan keluar", f.messages_out.to_string()),
        row(chat, "Pesan lewat menu", f.messages_menu.to_string()),
        row(chat, "Pesan teks bebas", f.messages_free_text.to_string()),
        row(chat, "Warga aktif", f.active_citizens.to_string()),
        row(chat, "Pertanyaan terjawab", f.answered.to_string()),
        row(chat, "Pertanyaan tidak terjawab", f.fallback.to_string()),
        row(chat, "Tingkat terjawab (%)", opt(f.answer_rate_pct)),
        row(chat, "Tingkat tidak terjawab (%)", opt(f.fallback_rate_pct)),
        row(chat, "Alih ke petugas", f.handoffs.to_string()),
        row(
            chat,
            "Median waktu balas petugas (menit)",
            opt_u32(f.median_operator_reply_minutes),
        ),
    ];
    for faq in &f.top_faqs {
        rows.push(row("FAQ teratas", &faq.key, faq.count.to_string()));
    }
    rows.extend([
        row(cmp, "Aduan masuk", f.complaints_opened.to_string()),
        row(
            cmp,
            "Aduan selesai/ditutup",
            f.complaints_closed.to_string(),
        ),
        row(
            cmp,
            "SLA tanggapan terpenuhi (%)",
            opt(f.sla_response_met_pct),
        ),
        row(
            cmp,
            "SLA penyelesaian terpenuhi (%)",
            opt(f.sla_resolution_met_pct),
        ),
        row(
            cmp,
            "Median waktu tanggapan (hari kerja)",
            opt_u32(f.median_response_working_days),
        ),
        row(
            cmp,
            "Median waktu penyelesaian (hari kerja)",
            opt_u32(f.median_resolution_working_days),
        ),
        row(cmp, "Rata-rata penilaian", opt(f.rating_average)),
    ]);
    for rating in &f.ratings {
        rows.push(row(
            "Penilaian",
            &format!("Bintang {}", rating.score),
            rating.count.to_string(),
        ));
    }
    let groups = [
        ("Aduan masuk per kategori", &f.opened_by_category, 0),
        ("Aduan masuk per OPD", &f.opened_by_opd, 1),
        ("Aduan masuk per kecamatan", &f.opened_by_kecamatan, 2),
        ("Aduan selesai per kategori", &f.closed_by_category, 0),
        ("Aduan selesai per OPD", &f.closed_by_opd, 1),
        ("Aduan selesai per kecamatan", &f.closed_by_kecamatan, 2),
    ];
    for (section, counts, kind) in groups {
        for count in counts {
            let name = match kind {
                0 => category_name(content, &count.key),
                1 => opd_name(content, &count.key),
                _ => count.key.clone(),
            };
            rows.push(row(section, &name, count.count.to_string()));
        }
    }
    rows
}

async fn content(state: &ApiState) -> ApiResult<Arc<LoadedContent>> {
    state.content.load().await.map_err(|error| {
        warn!(%error, "content unavailable under an API request");
        ApiError::unavailable()
    })
}

/// The monthly report of the KAK: one CSV (BOM, `;`, CRLF, formula-safe cells) of the
/// month's figures. `month` defaults to the previous month.
pub async fn monthly_csv(
    State(state): State<ApiState>,
    QueryParams(query): QueryParams<MonthQuery>,
) -> ApiResult<Response> {
    let month = match query.month {
        Some(month) => month,
        None => {
            let first = stats::month_start(today(&state));
            (first - Duration::days(1)).format("%Y-%m").to_string()
        }
    };
    let Some((from, to)) = month_bounds(&month) else {
        return Err(ApiError::invalid_field(
            "month",
            "Bulan harus berbentuk YYYY-MM.",
        ));
    };
    let (figures, _) = read_figures(&state, from, to, Granularity::Month).await?;
    let loaded = content(&state).await?;
    csv_download(
        &["Bagian", "Uraian", "Nilai"],
        report_rows(&month, &figures, &loaded.bundle),
        &format!("laporan-bulanan-{month}.csv"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_have_their_days() {
        let days = |m: &str| month_bounds(m).map(|(a, b)| (day_key(a), day_key(b)));
        assert_eq!(
            days("2024-02"),
            Some(("2024-02-01".into(), "2024-02-29".into()))
        );
        assert_eq!(
            days("2025-12"),
            Some(("2025-12-01".into(), "2025-12-31".into()))
        );
        for bad in ["2025-13", "2025-1", "25-01", "2025-01-01", "x", ""] {
            assert_eq!(days(bad), None, "{bad}");
        }
    }
}
