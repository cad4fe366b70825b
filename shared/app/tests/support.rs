//! What every test module shares: one [`TestApp`] builder for the local app and its workers,
//! one manual clock, the seed content and WIB wall-clock times.

pub mod lapor_mock;
mod test_app;

pub use test_app::{fast_settings, TestApp};

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, NaiveTime};

use prolink_app::ports::Clock;
use prolink_domain::{calendar, content::ContentBundle};

/// A clock that only moves when the test moves it, so that deadlines, leases and quiet hours
/// are reached on purpose rather than by a slow machine.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn at(ms: i64) -> Arc<Self> {
        Arc::new(Self(AtomicI64::new(ms)))
    }

    pub fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }

    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).expect("a test-sized duration");
        self.0.fetch_add(by, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The seed folder `infra/seed`, which is the content the city ships.
pub fn seed_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../infra/seed")
}

/// The seed as imported; a seed that does not import fails the test with the import report.
pub fn seed() -> ContentBundle {
    match prolink_app::content_import::load_dir(seed_dir()) {
        Ok(bundle) => bundle,
        Err(report) => panic!("seed does not import:\n{report}"),
    }
}

/// Unix milliseconds of a WIB (UTC+7) date and wall-clock time: `wib(2026, 11, 30, 10, 0)`.
pub fn wib(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> i64 {
    let date = NaiveDate::from_ymd_opt(year, month, day).expect("a date");
    calendar::wib_to_ms(date.and_hms_opt(hour, minute, 0).expect("a time"))
}

/// `ago_ms` before `now_ms`, but not before the start of `now_ms`'s WIB day: a record made
/// "a minute ago" by a test that then reads today's figures. Plain `now - ago` fell on
/// yesterday when the test ran in the first minute after midnight WIB (17:00 UTC), and the
/// statistics of "today" did not count it (a CI run found it).
pub fn earlier_today_wib(now_ms: i64, ago_ms: i64) -> i64 {
    let midnight = calendar::wib_to_ms(
        calendar::wib_datetime(now_ms)
            .date()
            .and_time(NaiveTime::MIN),
    );
    now_ms.saturating_sub(ago_ms).max(midnight)
}

/// The first `hour:minute` WIB strictly after `after_ms` (today's, else tomorrow's).
pub fn next_wib(after_ms: i64, hour: u32, minute: u32) -> i64 {
    let local = calendar::wib_datetime(after_ms);
    let time = NaiveTime::from_hms_opt(hour, minute, 0).expect("a time of day");
    let today = calendar::wib_to_ms(local.date().and_time(time));
    if today > after_ms {
        today
    } else {
        let tomorrow = local.date().succ_opt().expect("a next day");
        calendar::wib_to_ms(tomorrow.and_time(time))
    }
}

#[test]
fn earlier_today_stays_on_the_same_wib_day() {
    let just_after_midnight = wib(2026, 12, 8, 0, 0) + 30_000;
    assert_eq!(
        earlier_today_wib(just_after_midnight, 60_000),
        wib(2026, 12, 8, 0, 0)
    );
    let morning = wib(2026, 12, 8, 10, 0);
    assert_eq!(
        earlier_today_wib(morning, 3_600_000),
        wib(2026, 12, 8, 9, 0)
    );
}
