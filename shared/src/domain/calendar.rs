//! Working days and office hours in Kota Probolinggo's time zone.
//!
//! WIB (Asia/Jakarta) is UTC+7 all year: Indonesia has no daylight saving time, so a fixed
//! offset is exact and needs no time-zone database. Working days are Monday to Friday minus
//! every date of the holiday calendar (national holidays and cuti bersama alike). Everything
//! takes the current time as an argument: nothing here reads a clock.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Weekday};

use crate::domain::content::HolidayCalendar;

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

/// A date the way Indonesians write it: `Senin, 30 November 2026`.
pub fn format_date_id(date: NaiveDate) -> String {
    let weekday = WEEKDAYS[date.weekday().num_days_from_monday() as usize];
    let month = MONTHS[date.month0() as usize];
    format!("{weekday}, {} {month} {}", date.day(), date.year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::content::{Holiday, HolidayStatus, HolidayType};

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
}
