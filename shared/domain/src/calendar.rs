//! Working days and office hours in Kota Probolinggo's time zone.
//!
//! WIB (Asia/Jakarta) is UTC+7 all year: Indonesia has no daylight saving time, so a fixed
//! offset is exact and needs no time-zone database. Working days are Monday to Friday minus
//! every date of the holiday calendar (national holidays and cuti bersama alike). Everything
//! takes the current time as an argument: nothing here reads a clock, and nothing logs (the
//! caller decides when a [`CoverageGap`] is worth a log line).
//!
//! The holiday table only lists the years someone imported. A year it does not cover is counted
//! as if every weekday were a working day, and every count reports the first such year it
//! touched ([`Counted::gap`]) so the operator can be told to import the next year's table.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Weekday};

use crate::content::HolidayCalendar;

/// WIB = UTC+7, in seconds.
pub const WIB_OFFSET_SECS: i64 = 7 * 3600;
/// Operators work from 08.00 …
pub const OFFICE_OPEN_HOUR: u32 = 8;
/// … to 16.00 WIB (exclusive).
pub const OFFICE_CLOSE_HOUR: u32 = 16;
/// A calendar that lists more consecutive days off than this is treated as broken: the
/// search for the next working day stops instead of looping for ever.
const MAX_DAYS_AHEAD: u32 = 366;

const WEEKDAYS: [&str; 7] = [
    "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu",
];
const MONTHS: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// Local WIB date and time of a Unix-milliseconds instant. Instants outside chrono's range
/// (hundreds of thousands of years away) map to the epoch rather than failing.
pub fn wib_datetime(ms: i64) -> NaiveDateTime {
    let utc = DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::UNIX_EPOCH);
    utc.naive_utc() + chrono::Duration::seconds(WIB_OFFSET_SECS)
}

/// The WIB calendar date of an instant.
pub fn wib_date(ms: i64) -> NaiveDate {
    wib_datetime(ms).date()
}

/// Unix milliseconds of a WIB local date and time.
pub fn wib_to_ms(local: NaiveDateTime) -> i64 {
    local.and_utc().timestamp_millis() - WIB_OFFSET_SECS * 1000
}

/// Monday to Friday and not listed in the holiday calendar.
pub fn is_working_day(date: NaiveDate, holidays: &HolidayCalendar) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !holidays.is_holiday(date)
}

/// Whether operators are at work: a working day, 08.00 ≤ WIB time < 16.00.
pub fn is_office_hours(now_ms: i64, holidays: &HolidayCalendar) -> bool {
    let local = wib_datetime(now_ms);
    let hour = local.hour();
    is_working_day(local.date(), holidays) && (OFFICE_OPEN_HOUR..OFFICE_CLOSE_HOUR).contains(&hour)
}

/// 08.00 WIB of the next working day, as Unix milliseconds; today's 08.00 when `now_ms` is
/// before it on a working day.
pub fn next_working_morning(now_ms: i64, holidays: &HolidayCalendar) -> i64 {
    let local = wib_datetime(now_ms);
    let open = NaiveTime::from_hms_opt(OFFICE_OPEN_HOUR, 0, 0).unwrap_or(NaiveTime::MIN);
    let mut date = local.date();
    if !(is_working_day(date, holidays) && local.time() < open) {
        date = next_working_day(date, holidays);
    }
    wib_to_ms(date.and_time(open))
}

/// The first working day strictly after `date`. With a calendar that has no working day in
/// the next year (a broken import), the day after `date` is returned.
pub fn next_working_day(date: NaiveDate, holidays: &HolidayCalendar) -> NaiveDate {
    let mut day = date;
    for _ in 0..MAX_DAYS_AHEAD {
        match day.succ_opt() {
            Some(next) => day = next,
            None => return date,
        }
        if is_working_day(day, holidays) {
            return day;
        }
    }
    date.succ_opt().unwrap_or(date)
}

/// The holiday table has no entry for this year, so its days were counted as if every
/// weekday were a working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct CoverageGap {
    pub year: i32,
}

/// A result counted with the calendar, and the first uncovered year it touched (if any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted<T> {
    pub value: T,
    pub gap: Option<CoverageGap>,
}

/// Whether the holiday table covers the year of `date` (it has at least one entry dated that
/// year).
pub fn covers(date: NaiveDate, holidays: &HolidayCalendar) -> bool {
    holidays
        .entries
        .iter()
        .any(|e| e.date.year() == date.year())
}

/// The `n`th working day strictly after `start` (n = 0 → `start` itself). A deadline of
/// "N hari kerja" for a complaint received on `start` ends at the close of this day.
///
/// `gap` is the first uncovered year among the days after `start` up to the result (so `None`
/// for n = 0: nothing was counted). The cost depends on the size of the holiday table, not on
/// `n`, and any calendar works, even one listing every day for years (the result is then the
/// first working day past that run). Only a result beyond chrono's last date (n in the
/// billions) is not representable: [`NaiveDate::MAX`] is returned instead.
pub fn add_working_days(
    start: NaiveDate,
    n: u32,
    holidays: &HolidayCalendar,
) -> Counted<NaiveDate> {
    let off = weekday_holidays(holidays);
    let target = u64::from(n);
    let mut end = start;
    let mut counted = 0u64;
    // Jumping `missing` weekdays ahead lands on the answer unless some of the weekdays jumped
    // over are holidays; each of those is then made up by the next jump. The jumps cover
    // disjoint ranges, so there are at most one more of them than weekday holidays.
    while counted < target {
        let missing = target - counted;
        let Some(next) = add_weekdays(end, missing) else {
            end = NaiveDate::MAX;
            break;
        };
        counted += missing - holidays_within(&off, end, next);
        end = next;
    }
    Counted {
        value: end,
        gap: first_gap(start, end, &covered_years(holidays)),
    }
}

/// How many working days d satisfy start < d <= end (0 when end <= start).
/// Round trip: `working_days_after(s, add_working_days(s, n).value) == n`.
///
/// `gap` is the first uncovered year among the days after `start` up to `end`, weekends
/// included. Computed in closed form: the cost depends on the size of the holiday table, not
/// on the length of the range.
pub fn working_days_after(
    start: NaiveDate,
    end: NaiveDate,
    holidays: &HolidayCalendar,
) -> Counted<u32> {
    if end <= start {
        return Counted {
            value: 0,
            gap: None,
        };
    }
    let off = weekday_holidays(holidays);
    let days = weekdays_within(start, end) - holidays_within(&off, start, end);
    Counted {
        // Chrono's whole range holds about 136 million weekdays: this never saturates.
        value: u32::try_from(days).unwrap_or(u32::MAX),
        gap: first_gap(start, end, &covered_years(holidays)),
    }
}

/// One day in milliseconds: every WIB day is exactly this long (no daylight saving), so
/// retention and time-to-live arithmetic may add whole days as milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// The instant a deadline day ends: 00:00 WIB of the following day, Unix ms (exclusive end:
/// a deadline on `date` is breached when now_ms >= this).
pub fn end_of_day_ms(date: NaiveDate) -> i64 {
    // WIB has no daylight saving time, so every local day is exactly 24 hours long; adding
    // them as milliseconds also works for `NaiveDate::MAX`, which has no following date.
    wib_to_ms(date.and_time(NaiveTime::MIN)) + DAY_MS
}

/// Operator-facing Indonesian warning for an outdated holiday table.
pub fn coverage_warning(gap: CoverageGap) -> String {
    format!(
        "Tabel hari libur belum memuat tahun {year}: tenggat aduan dihitung Senin–Jumat saja. \
         Perbarui infra/seed/holidays-…json (tambahkan libur nasional dan cuti bersama \
         {year} dari SKB 3 Menteri) lalu impor ulang.",
        year = gap.year
    )
}

fn is_weekend(day: Weekday) -> bool {
    matches!(day, Weekday::Sat | Weekday::Sun)
}

/// The listed dates that fall on a weekday, sorted and without duplicates: the only entries
/// that change a count, since weekends never count anyway.
fn weekday_holidays(holidays: &HolidayCalendar) -> Vec<NaiveDate> {
    let set: BTreeSet<NaiveDate> = holidays
        .entries
        .iter()
        .map(|e| e.date)
        .filter(|d| !is_weekend(d.weekday()))
        .collect();
    set.into_iter().collect()
}

fn covered_years(holidays: &HolidayCalendar) -> BTreeSet<i32> {
    holidays.entries.iter().map(|e| e.date.year()).collect()
}

/// How many of the sorted `dates` satisfy start < d <= end.
fn holidays_within(dates: &[NaiveDate], start: NaiveDate, end: NaiveDate) -> u64 {
    let from = dates.partition_point(|d| *d <= start);
    let to = dates.partition_point(|d| *d <= end);
    to.saturating_sub(from) as u64
}

/// How many Mondays to Fridays d satisfy start < d <= end (end > start).
fn weekdays_within(start: NaiveDate, end: NaiveDate) -> u64 {
    let total = u64::try_from(end.signed_duration_since(start).num_days()).unwrap_or(0);
    // Every full week holds five; the remainder repeats the weekdays right after `start`.
    let mut count = total / 7 * 5;
    let mut day = start.weekday();
    for _ in 0..total % 7 {
        day = day.succ();
        if !is_weekend(day) {
            count += 1;
        }
    }
    count
}

/// The `m`th Monday-to-Friday strictly after `date` (`date` itself for m = 0), or `None`
/// past chrono's range.
fn add_weekdays(date: NaiveDate, m: u64) -> Option<NaiveDate> {
    if m == 0 {
        return Some(date);
    }
    // From a weekend, count from the Friday before: the weekdays after both are the same.
    let since_monday = u64::from(date.weekday().num_days_from_monday());
    let (base, pos) = if since_monday >= 5 {
        (date.checked_sub_days(Days::new(since_monday - 4))?, 4)
    } else {
        (date, since_monday)
    };
    // Position `pos + m` counted in weekdays from the Monday of `base`'s week.
    let ahead = pos.checked_add(m)?;
    let from_monday = (ahead / 5).checked_mul(7)?.checked_add(ahead % 5)?;
    base.checked_add_days(Days::new(from_monday - pos))
}

/// The first year not covered by the table among the days d with start < d <= end.
fn first_gap(start: NaiveDate, end: NaiveDate, covered: &BTreeSet<i32>) -> Option<CoverageGap> {
    if end <= start {
        return None;
    }
    let first = start.succ_opt()?.year();
    // Stops at the first year not in `covered`, so at most `covered.len() + 1` steps.
    (first..=end.year())
        .find(|y| !covered.contains(y))
        .map(|year| CoverageGap { year })
}

/// A date the way Indonesians write it: `Senin, 30 November 2026`.
pub fn format_date_id(date: NaiveDate) -> String {
    let weekday = WEEKDAYS[date.weekday().num_days_from_monday() as usize];
    let month = MONTHS[date.month0() as usize];
    format!("{weekday}, {} {month} {}", date.day(), date.year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{Holiday, HolidayStatus, HolidayType};

    fn calendar(dates: &[NaiveDate]) -> HolidayCalendar {
        HolidayCalendar {
            description: String::new(),
            counts: Default::default(),
            sources: Default::default(),
            status_legend: Default::default(),
            verification_note: String::new(),
            entries: dates
                .iter()
                .map(|d| Holiday {
                    date: *d,
                    day: String::new(),
                    year: d.year(),
                    name: "Libur".into(),
                    kind: HolidayType::LiburNasional,
                    status: HolidayStatus::Confirmed,
                    basis: String::new(),
                    note: String::new(),
                })
                .collect(),
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        wib_to_ms(date(y, m, d).and_hms_opt(h, min, 0).unwrap_or_default())
    }

    #[test]
    fn wib_is_utc_plus_seven() {
        // 2026-11-27 00:00 UTC is 07:00 WIB.
        let ms = 1_795_737_600_000;
        assert_eq!(
            wib_datetime(ms),
            date(2026, 11, 27).and_hms_opt(7, 0, 0).unwrap_or_default()
        );
        assert_eq!(wib_to_ms(wib_datetime(ms)), ms);
        // 20:00 UTC is already the next day in WIB.
        assert_eq!(wib_date(ms - 4 * 3_600_000), date(2026, 11, 27));
        assert_eq!(wib_date(ms - 8 * 3_600_000), date(2026, 11, 26));
    }

    #[test]
    fn weekends_and_holidays_are_not_working_days() {
        let cal = calendar(&[date(2026, 12, 25)]);
        assert!(is_working_day(date(2026, 11, 27), &cal)); // Friday
        assert!(!is_working_day(date(2026, 11, 28), &cal)); // Saturday
        assert!(!is_working_day(date(2026, 11, 29), &cal)); // Sunday
        assert!(!is_working_day(date(2026, 12, 25), &cal)); // Friday, Christmas
    }

    #[test]
    fn office_hours_are_eight_to_four_on_working_days() {
        let cal = calendar(&[date(2026, 12, 25)]);
        assert!(!is_office_hours(at(2026, 11, 27, 7, 59), &cal));
        assert!(is_office_hours(at(2026, 11, 27, 8, 0), &cal));
        assert!(is_office_hours(at(2026, 11, 27, 15, 59), &cal));
        assert!(!is_office_hours(at(2026, 11, 27, 16, 0), &cal));
        assert!(!is_office_hours(at(2026, 11, 28, 10, 0), &cal));
        assert!(!is_office_hours(at(2026, 12, 25, 10, 0), &cal));
    }

    #[test]
    fn next_working_morning_skips_weekends_and_holidays() {
        let cal = calendar(&[date(2026, 12, 25)]);
        // Friday 17:00 → Monday 08:00.
        assert_eq!(
            next_working_morning(at(2026, 11, 27, 17, 0), &cal),
            at(2026, 11, 30, 8, 0)
        );
        // Early on a working day → the same day.
        assert_eq!(
            next_working_morning(at(2026, 11, 30, 6, 30), &cal),
            at(2026, 11, 30, 8, 0)
        );
        // During office hours → the next working day.
        assert_eq!(
            next_working_morning(at(2026, 11, 30, 9, 0), &cal),
            at(2026, 12, 1, 8, 0)
        );
        // Thursday evening before a Friday holiday → Monday.
        assert_eq!(
            next_working_morning(at(2026, 12, 24, 18, 0), &cal),
            at(2026, 12, 28, 8, 0)
        );
    }

    #[test]
    fn a_calendar_without_working_days_does_not_loop() {
        let start = date(2027, 1, 1);
        let all: Vec<NaiveDate> = start.iter_days().take(400).collect();
        let cal = calendar(&all);
        assert_eq!(next_working_day(start, &cal), date(2027, 1, 2));
    }

    #[test]
    fn dates_are_written_in_indonesian() {
        assert_eq!(
            format_date_id(date(2026, 11, 30)),
            "Senin, 30 November 2026"
        );
        assert_eq!(format_date_id(date(2026, 1, 4)), "Minggu, 4 Januari 2026");
        assert_eq!(format_date_id(date(2025, 8, 15)), "Jumat, 15 Agustus 2025");
    }

    // ---- Working-day counting, against the real seed table. ----

    use proptest::prelude::*;

    /// The seed table (2025 and 2026): 2024, 2027 and 2028 are uncovered.
    static SEED: std::sync::LazyLock<HolidayCalendar> = std::sync::LazyLock::new(|| {
        serde_json::from_str(include_str!("../../../infra/seed/holidays-2025-2026.json"))
            .expect("the seed holiday table parses")
    });

    fn seed() -> &'static HolidayCalendar {
        &SEED
    }

    /// Counts day by day with `is_working_day`, independently of the closed forms.
    fn brute_count(start: NaiveDate, end: NaiveDate, cal: &HolidayCalendar) -> u32 {
        let days = start.iter_days().skip(1).take_while(|d| *d <= end);
        days.filter(|d| is_working_day(*d, cal)).count() as u32
    }

    /// The first day d with start < d <= end whose year has no entry in the table.
    fn brute_gap(start: NaiveDate, end: NaiveDate, cal: &HolidayCalendar) -> Option<CoverageGap> {
        start
            .iter_days()
            .skip(1)
            .take_while(|d| *d <= end)
            .find(|d| !cal.entries.iter().any(|h| h.date.year() == d.year()))
            .map(|d| CoverageGap { year: d.year() })
    }

    /// Days from 2024-06-01 to 2028-06-30 inclusive.
    const SPAN: u64 = 1491;

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        (0..SPAN).prop_map(|off| date(2024, 6, 1) + Days::new(off))
    }

    #[test]
    fn the_generated_dates_span_mid_2024_to_mid_2028() {
        assert_eq!(date(2024, 6, 1) + Days::new(SPAN - 1), date(2028, 6, 30));
    }

    proptest! {
        #[test]
        fn the_deadline_is_a_working_day(s in any_date(), n in 1u32..=60) {
            let due = add_working_days(s, n, seed()).value;
            prop_assert!(due > s);
            // In an uncovered year the table has no entries, so this means "a weekday" there.
            prop_assert!(is_working_day(due, seed()), "{} is not a working day", due);
        }

        #[test]
        fn weekends_and_listed_holidays_never_count(s in any_date(), e in any_date()) {
            let counted = working_days_after(s, e, seed());
            prop_assert_eq!(counted.value, brute_count(s, e, seed()));
            prop_assert_eq!(counted.gap, brute_gap(s, e, seed()));
        }

        #[test]
        fn counting_back_gives_n(s in any_date(), n in 0u32..=60) {
            let due = add_working_days(s, n, seed());
            let back = working_days_after(s, due.value, seed());
            prop_assert_eq!(back.value, n);
            prop_assert_eq!(back.gap, due.gap);
        }

        #[test]
        fn one_more_day_is_later(s in any_date(), n in 0u32..=60) {
            let a = add_working_days(s, n, seed()).value;
            let b = add_working_days(s, n + 1, seed()).value;
            prop_assert!(b > a, "{} is not after {}", b, a);
            // Nothing in between is a working day: `b` is the very next one.
            prop_assert_eq!(b, next_working_day(a, seed()));
        }

        #[test]
        fn a_gap_is_reported_exactly_when_an_uncovered_year_is_crossed(
            s in any_date(),
            n in 0u32..=60,
        ) {
            let due = add_working_days(s, n, seed());
            prop_assert_eq!(due.gap, brute_gap(s, due.value, seed()));
            let crossed = s.iter_days().skip(1).take_while(|d| *d <= due.value);
            let uncovered = crossed.filter(|d| !covers(*d, seed())).count();
            prop_assert_eq!(due.gap.is_some(), uncovered > 0);
        }

        /// Dense made-up calendars (runs of consecutive days off, weekends listed too) stress
        /// the jumps over holidays far more than the real table does.
        #[test]
        fn dense_calendars_count_like_brute_force(
            s in any_date(),
            n in 0u32..=60,
            offsets in proptest::collection::vec(1u64..120, 0..100),
        ) {
            let days: Vec<NaiveDate> = offsets.iter().map(|o| s + Days::new(*o)).collect();
            let cal = calendar(&days);
            let due = add_working_days(s, n, &cal).value;
            prop_assert_eq!(brute_count(s, due, &cal), n);
            prop_assert_eq!(working_days_after(s, due, &cal).value, n);
            if n > 0 {
                prop_assert!(is_working_day(due, &cal), "{} is not a working day", due);
            }
        }
    }

    #[test]
    fn the_seed_table_covers_2025_and_2026_only() {
        assert!(covers(date(2025, 1, 1), seed()));
        assert!(covers(date(2026, 12, 31), seed()));
        assert!(!covers(date(2024, 12, 31), seed()));
        assert!(!covers(date(2027, 1, 1), seed()));
    }

    #[test]
    fn idul_fitri_2025() {
        // Received Thu 27 Mar 2025. Off: Fri 28 (cuti Nyepi), Sat 29 (Nyepi), Sun 30,
        // Mon 31 and Tue 1 Apr (Idulfitri), Wed 2, Thu 3, Fri 4 (cuti), Sat 5, Sun 6,
        // Mon 7 (cuti). Working: Tue 8 (1), Wed 9 (2), Thu 10 (3).
        let received = date(2025, 3, 27);
        assert_eq!(
            add_working_days(received, 1, seed()),
            Counted {
                value: date(2025, 4, 8),
                gap: None
            }
        );
        assert_eq!(
            add_working_days(received, 3, seed()),
            Counted {
                value: date(2025, 4, 10),
                gap: None
            }
        );
        assert_eq!(
            working_days_after(received, date(2025, 4, 7), seed()).value,
            0
        );
        assert_eq!(
            working_days_after(received, date(2025, 4, 10), seed()).value,
            3
        );
    }

    #[test]
    fn idul_fitri_2026() {
        // Received Tue 17 Mar 2026. Off: Wed 18 (cuti Nyepi), Thu 19 (Nyepi), Fri 20 (cuti),
        // Sat 21 and Sun 22 (Idulfitri), Mon 23 and Tue 24 (cuti). Working: Wed 25 (1),
        // Thu 26 (2), Fri 27 (3).
        let received = date(2026, 3, 17);
        assert_eq!(
            add_working_days(received, 1, seed()).value,
            date(2026, 3, 25)
        );
        assert_eq!(
            add_working_days(received, 3, seed()),
            Counted {
                value: date(2026, 3, 27),
                gap: None
            }
        );
        // From the Monday before, Tuesday 17 itself is still a working day.
        assert_eq!(
            add_working_days(date(2026, 3, 16), 1, seed()).value,
            received
        );
    }

    #[test]
    fn year_end_2025_into_2026() {
        // Received Wed 24 Dec 2025. Off: Thu 25 (Natal), Fri 26 (cuti), Sat 27, Sun 28.
        // Working: Mon 29 (1), Tue 30 (2), Wed 31 (3); Thu 1 Jan 2026 off (Tahun Baru);
        // Fri 2 (4); Sat 3, Sun 4; Mon 5 (5). 2026 is in the table: no gap.
        let received = date(2025, 12, 24);
        assert_eq!(
            add_working_days(received, 3, seed()).value,
            date(2025, 12, 31)
        );
        assert_eq!(
            add_working_days(received, 5, seed()),
            Counted {
                value: date(2026, 1, 5),
                gap: None
            }
        );
        assert_eq!(
            working_days_after(received, date(2026, 1, 5), seed()),
            Counted {
                value: 5,
                gap: None
            }
        );
    }

    #[test]
    fn year_end_2026_into_uncovered_2027() {
        // Received Wed 23 Dec 2026. Off: Thu 24 (cuti), Fri 25 (Natal), Sat 26, Sun 27.
        // Working: Mon 28 (1), Tue 29 (2), Wed 30 (3), Thu 31 (4), then Fri 1 Jan 2027 (5):
        // 2027 is not in the table, so New Year's Day counts as a plain Friday, and says so.
        let received = date(2026, 12, 23);
        assert_eq!(
            add_working_days(received, 4, seed()),
            Counted {
                value: date(2026, 12, 31),
                gap: None
            }
        );
        assert_eq!(
            add_working_days(received, 5, seed()),
            Counted {
                value: date(2027, 1, 1),
                gap: Some(CoverageGap { year: 2027 })
            }
        );
        assert_eq!(
            working_days_after(received, date(2027, 1, 1), seed()),
            Counted {
                value: 5,
                gap: Some(CoverageGap { year: 2027 })
            }
        );
    }

    #[test]
    fn a_receipt_on_saturday_is_due_on_monday() {
        // Sat 14 Jun 2025 → Mon 16 Jun, an ordinary Monday.
        assert_eq!(
            add_working_days(date(2025, 6, 14), 1, seed()).value,
            date(2025, 6, 16)
        );
        // Sat 7 Jun 2025 → Mon 9 Jun is cuti bersama Iduladha → Tue 10 Jun.
        assert_eq!(
            add_working_days(date(2025, 6, 7), 1, seed()).value,
            date(2025, 6, 10)
        );
    }

    #[test]
    fn zero_days_is_the_day_itself_and_counts_nothing() {
        // Even a Sunday of an uncovered year: nothing is counted, so nothing can be wrong.
        let sunday = date(2027, 1, 3);
        assert_eq!(
            add_working_days(sunday, 0, seed()),
            Counted {
                value: sunday,
                gap: None
            }
        );
        assert_eq!(
            working_days_after(date(2027, 1, 8), sunday, seed()),
            Counted {
                value: 0,
                gap: None
            }
        );
    }

    #[test]
    fn the_first_uncovered_year_is_reported() {
        // 2024 and 2027 are both uncovered: the earlier one is reported.
        let counted = working_days_after(date(2024, 12, 1), date(2027, 2, 1), seed());
        assert_eq!(counted.gap, Some(CoverageGap { year: 2024 }));
        // Starting on 31 Dec 2024 crosses nothing of 2024 (the start itself is excluded).
        let counted = working_days_after(date(2024, 12, 31), date(2025, 2, 1), seed());
        assert_eq!(counted.gap, None);
    }

    #[test]
    fn a_calendar_listing_every_day_still_terminates() {
        // 400 days off from Fri 1 Jan 2027 to Fri 4 Feb 2028; Sat 5 and Sun 6 Feb follow, so
        // the first working day is Mon 7 Feb 2028. Both years have entries: no gap.
        let start = date(2027, 1, 1);
        let all: Vec<NaiveDate> = start.iter_days().take(400).collect();
        let cal = calendar(&all);
        assert_eq!(
            add_working_days(date(2026, 12, 31), 1, &cal),
            Counted {
                value: date(2028, 2, 7),
                gap: None
            }
        );
        assert_eq!(
            working_days_after(date(2026, 12, 31), date(2028, 2, 7), &cal).value,
            1
        );
    }

    #[test]
    fn huge_inputs_do_not_panic_or_take_long() {
        // Billions of working days are past chrono's last date: saturate.
        let due = add_working_days(date(2026, 6, 1), u32::MAX, seed());
        assert_eq!(due.value, NaiveDate::MAX);
        assert_eq!(due.gap, Some(CoverageGap { year: 2027 }));
        // The whole of chrono's range is counted in closed form; counting that many days
        // forward again lands in the last week of the range, on a working day.
        let all = working_days_after(NaiveDate::MIN, NaiveDate::MAX, seed());
        assert!(all.value > 130_000_000, "{}", all.value);
        assert_eq!(
            all.gap.map(|g| g.year),
            NaiveDate::MIN.succ_opt().map(|d| d.year())
        );
        let back = add_working_days(NaiveDate::MIN, all.value, seed()).value;
        assert!(back > NaiveDate::MAX - Days::new(7), "{back}");
        assert!(is_working_day(back, seed()));
    }

    #[test]
    fn a_deadline_day_ends_at_midnight_wib() {
        // Fri 27 Nov 2026 ends at Sat 28 Nov 00:00 WIB = Fri 27 Nov 17:00 UTC.
        assert_eq!(end_of_day_ms(date(2026, 11, 27)), 1_795_798_800_000);
        assert_eq!(end_of_day_ms(date(2026, 11, 27)), at(2026, 11, 28, 0, 0));
        assert_eq!(
            wib_date(end_of_day_ms(date(2026, 11, 27)) - 1),
            date(2026, 11, 27)
        );
        // The last representable date has no next day, and still gets an end.
        assert!(end_of_day_ms(NaiveDate::MAX) > end_of_day_ms(date(2026, 11, 27)));
    }

    #[test]
    fn the_warning_names_the_year_and_the_fix() {
        let text = coverage_warning(CoverageGap { year: 2027 });
        assert!(text.starts_with("Tabel hari libur belum memuat tahun 2027: "));
        assert!(text.contains("Senin–Jumat"));
        assert!(text.contains("holidays-"));
        assert!(text.contains("impor ulang"));
    }

    #[test]
    fn a_gap_serializes_as_its_year() {
        let gap = CoverageGap { year: 2027 };
        let json = serde_json::to_string(&gap).expect("serialize");
        assert_eq!(json, r#"{"year":2027}"#);
        assert_eq!(serde_json::from_str::<CoverageGap>(&json).ok(), Some(gap));
    }
}
