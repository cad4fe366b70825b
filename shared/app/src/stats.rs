//! Statistics: which counters an event adds to (named here, stored through the
//! [`StatsCounters`] port), and the figures of a date range summed from the day counters.
//!
//! Every count carries an event id derived from what happened (the inbound wamid, the
//! complaint's ticket and milestone, the citizen and the period), so a redelivered message or
//! task counts nothing twice. Days are WIB calendar days; weeks (Monday first) and months are
//! sums of days, except the active citizens, which are counted once per citizen per day, per
//! week (on its Monday) and per month (on its first day).

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;
use tracing::warn;

use prolink_domain::calendar::{wib_date, working_days_after};
use prolink_domain::complaint::{Complaint, Status};
use prolink_domain::content::HolidayCalendar;
use prolink_domain::dialog::{AnswerKind, Answered, Turn};
use prolink_domain::open_data::kecamatan_label;

use crate::ids::short_hash;
use crate::ports::{CounterAdd, DayCounter, PortError, PortResult, StatsCounters};

/// Longest range one read covers (a year and a bit).
pub const MAX_READ_DAYS: i64 = 400;
/// Additions one event may carry (a DynamoDB transaction takes 100 actions).
pub const MAX_ADDS_PER_EVENT: usize = 50;
/// Longest counter name and event id.
pub const MAX_NAME_CHARS: usize = 200;
/// The last bucket of the working-day histograms holds this many days or more.
pub const WORKING_DAYS_CAP: u32 = 30;
/// The last bucket of the operator reply histogram holds this many minutes or more.
pub const REPLY_MINUTES_CAP: u32 = 240;
/// How long an event mark is kept: far beyond any redelivery (SQS keeps a message 14 days
/// at most, Meta retries for 7).
pub const EVENT_MARK_DAYS: i64 = 40;
/// How many FAQ ids the figures list.
pub const TOP_FAQS: usize = 10;

pub const MSG_IN: &str = "msg_in";
pub const MSG_OUT: &str = "msg_out";
pub const MSG_MENU: &str = "msg_menu";
pub const MSG_TEXT: &str = "msg_text";
pub const MSG_OTHER: &str = "msg_other";
pub const ANSWERED: &str = "answered";
pub const FALLBACK: &str = "fallback";
pub const FAQ: &str = "faq";
pub const HANDOFF: &str = "handoff";
pub const ACTIVE_DAY: &str = "active_day";
pub const ACTIVE_WEEK: &str = "active_week";
pub const ACTIVE_MONTH: &str = "active_month";
pub const OPENED: &str = "cmp_opened";
pub const CLOSED: &str = "cmp_closed";
pub const SLA_RESPONSE: &str = "sla_response";
pub const SLA_RESOLUTION: &str = "sla_resolution";
pub const RESPONSE_WD: &str = "response_wd";
pub const RESOLUTION_WD: &str = "resolution_wd";
pub const RATING: &str = "rating";
pub const OPERATOR_REPLY_MIN: &str = "op_reply_min";

/// `yyyy-mm-dd` of a date.
pub fn day_key(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// A strict `yyyy-mm-dd`.
pub fn parse_day(day: &str) -> PortResult<NaiveDate> {
    let invalid = || PortError::Invalid(format!("day {day:?} is not yyyy-mm-dd"));
    if day.len() != 10 {
        return Err(invalid());
    }
    NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| invalid())
}

fn check_name(what: &str, value: &str) -> PortResult<()> {
    if value.is_empty()
        || value.chars().count() > MAX_NAME_CHARS
        || value.chars().any(char::is_control)
    {
        return Err(PortError::Invalid(format!(
            "{what} must be 1..={MAX_NAME_CHARS} characters without control characters"
        )));
    }
    Ok(())
}

/// Checks an event's additions and merges repeats of one (day, counter), in key order: what
/// both adapters write.
pub fn checked_adds(event_id: &str, adds: &[CounterAdd]) -> PortResult<Vec<CounterAdd>> {
    check_name("event id", event_id)?;
    if adds.is_empty() || adds.len() > MAX_ADDS_PER_EVENT {
        return Err(PortError::Invalid(format!(
            "an event adds 1..={MAX_ADDS_PER_EVENT} counters"
        )));
    }
    let mut merged: BTreeMap<(String, String), i64> = BTreeMap::new();
    for add in adds {
        parse_day(&add.day)?;
        check_name("counter", &add.counter)?;
        let slot = merged
            .entry((add.day.clone(), add.counter.clone()))
            .or_insert(0);
        *slot = slot.saturating_add(add.delta);
    }
    Ok(merged
        .into_iter()
        .map(|((day, counter), delta)| CounterAdd {
            day,
            counter,
            delta,
        })
        .collect())
}

/// The days `from ..= to`, checked (`to` not before `from`, at most [`MAX_READ_DAYS`]).
pub fn day_range(from: &str, to: &str) -> PortResult<Vec<NaiveDate>> {
    let (from, to) = (parse_day(from)?, parse_day(to)?);
    let days = (to - from).num_days() + 1;
    if !(1..=MAX_READ_DAYS).contains(&days) {
        return Err(PortError::Invalid(format!(
            "a read covers 1..={MAX_READ_DAYS} days"
        )));
    }
    Ok(from.iter_days().take_while(|d| *d <= to).collect())
}

// ---------------------------------------------------------------------------------------------
// Events → counts
// ---------------------------------------------------------------------------------------------

/// One event's additions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCounts {
    pub event_id: String,
    pub adds: Vec<CounterAdd>,
}

fn add(day: NaiveDate, counter: impl Into<String>, delta: i64) -> CounterAdd {
    CounterAdd {
        day: day_key(day),
        counter: counter.into(),
        delta,
    }
}

/// What kind of message the citizen sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// Typed text.
    FreeText,
    /// A menu row, a button, a template's quick reply.
    Menu,
    /// A photo, a location, a reaction …
    Other,
}

/// The kind of an inbound message.
pub fn message_kind(content: &prolink_whatsapp::webhook::MessageContent) -> MessageKind {
    use prolink_whatsapp::webhook::MessageContent;
    match content {
        MessageContent::Text(_) => MessageKind::FreeText,
        MessageContent::Interactive(_) | MessageContent::Button(_) => MessageKind::Menu,
        _ => MessageKind::Other,
    }
}

/// The Monday of a date's week.
pub fn week_start(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// The first day of a date's month.
pub fn month_start(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

/// The counts of one inbound message and its dialog turn: the message itself (in, its kind,
/// answered or fallback, the FAQ it was answered with, a handoff) under
/// the wamid, and the citizen's activity under (citizen, period).
pub fn message_counts(
    wamid: &str,
    citizen_key: &str,
    sent_at_ms: i64,
    kind: MessageKind,
    answered: Option<&Answered>,
    turn: &Turn,
) -> Vec<EventCounts> {
    let day = wib_date(sent_at_ms);
    let mut adds = vec![
        add(day, MSG_IN, 1),
        add(
            day,
            match kind {
                MessageKind::FreeText => MSG_TEXT,
                MessageKind::Menu => MSG_MENU,
                MessageKind::Other => MSG_OTHER,
            },
            1,
        ),
    ];
    if turn.unanswered.is_some() {
        adds.push(add(day, FALLBACK, 1));
    } else if kind == MessageKind::FreeText {
        if let Some(answer) = answered
            .filter(|a| matches!(a.kind, AnswerKind::Faq | AnswerKind::Service) && a.id.is_some())
        {
            adds.push(add(day, ANSWERED, 1));
            if answer.kind == AnswerKind::Faq {
                if let Some(id) = &answer.id {
                    adds.push(add(day, format!("{FAQ}#{id}"), 1));
                }
            }
        }
    }
    if let Some(id) = &turn.accepted_suggestion {
        adds.push(add(day, ANSWERED, 1));
        adds.push(add(day, format!("{FAQ}#{id}"), 1));
    }
    if turn.handoff_requested {
        adds.push(add(day, HANDOFF, 1));
    }
    let [active_d, active_w, active_m] = active_event_ids(citizen_key);
    vec![
        EventCounts {
            event_id: format!("msg.{wamid}"),
            adds,
        },
        EventCounts {
            event_id: active_d,
            adds: vec![add(day, ACTIVE_DAY, 1)],
        },
        EventCounts {
            event_id: active_w,
            adds: vec![add(week_start(day), ACTIVE_WEEK, 1)],
        },
        EventCounts {
            event_id: active_m,
            adds: vec![add(month_start(day), ACTIVE_MONTH, 1)],
        },
    ]
}

/// The "active citizen" event ids of one citizen key (day, week, month): a hash of the key,
/// so an erasure can find and remove them (`crate::citizen_rights`).
pub fn active_event_ids(citizen_key: &str) -> [String; 3] {
    let citizen = short_hash(citizen_key);
    [
        format!("active.d.{citizen}"),
        format!("active.w.{citizen}"),
        format!("active.m.{citizen}"),
    ]
}

/// The 2-digit bucket of a working-day count.
fn wd_bucket(days: u32) -> String {
    format!("{:02}", days.min(WORKING_DAYS_CAP))
}

fn dimensions(prefix: &str, complaint: &Complaint, day: NaiveDate) -> Vec<CounterAdd> {
    vec![
        add(day, prefix, 1),
        add(day, format!("{prefix}#cat#{}", complaint.category_id), 1),
        add(day, format!("{prefix}#opd#{}", complaint.opd_id), 1),
        add(
            day,
            format!(
                "{prefix}#kec#{}",
                kecamatan_label(complaint.location.as_ref())
            ),
            1,
        ),
    ]
}

/// The milestones a complaint has reached, each counted once per complaint under
/// `cmp.<ticket>.<milestone>` on the day it happened: opened (by category, OPD and
/// kecamatan), first answer (working days, SLA met), first `selesai` (working days, SLA met),
/// closed (the first `selesai` or final status), rated. Computed from the stored complaint,
/// so any later task of the complaint counts what an earlier one could not.
pub fn complaint_counts(complaint: &Complaint, holidays: &HolidayCalendar) -> Vec<EventCounts> {
    let ticket = &complaint.ticket;
    let received = wib_date(complaint.received_ms);
    let mut out = vec![EventCounts {
        event_id: format!("cmp.{ticket}.opened"),
        adds: dimensions(OPENED, complaint, received),
    }];
    if let Some(responded_ms) = complaint.deadlines.responded_ms {
        let day = wib_date(responded_ms);
        let days = working_days_after(received, day, holidays).value;
        let met = complaint
            .deadlines
            .response_date
            .is_none_or(|due| day <= due);
        out.push(EventCounts {
            event_id: format!("cmp.{ticket}.responded"),
            adds: vec![
                add(day, format!("{RESPONSE_WD}#{}", wd_bucket(days)), 1),
                add(
                    day,
                    format!("{SLA_RESPONSE}#{}", if met { "met" } else { "missed" }),
                    1,
                ),
            ],
        });
    }
    let status_events = || complaint.events.iter().filter(|e| e.changes_status());
    if let Some(done) = status_events().find(|e| e.to == Status::Selesai) {
        let day = wib_date(done.at_ms);
        let days = working_days_after(received, day, holidays).value;
        let met = complaint
            .deadlines
            .resolution_date
            .is_none_or(|due| day <= due);
        out.push(EventCounts {
            event_id: format!("cmp.{ticket}.resolved"),
            adds: vec![
                add(day, format!("{RESOLUTION_WD}#{}", wd_bucket(days)), 1),
                add(
                    day,
                    format!("{SLA_RESOLUTION}#{}", if met { "met" } else { "missed" }),
                    1,
                ),
            ],
        });
    }
    if let Some(closed) = status_events().find(|e| e.to == Status::Selesai || e.to.is_final()) {
        out.push(EventCounts {
            event_id: format!("cmp.{ticket}.closed"),
            adds: dimensions(CLOSED, complaint, wib_date(closed.at_ms)),
        });
    }
    if let Some(rating) = &complaint.rating {
        out.push(EventCounts {
            event_id: format!("cmp.{ticket}.rating"),
            adds: vec![add(
                wib_date(rating.at_ms),
                format!("{RATING}#{}", rating.score.clamp(1, 5)),
                1,
            )],
        });
    }
    out
}

/// One message Graph accepted (any sender: dialog, complaint worker, scheduler, operator),
/// counted once per outbox record on the WIB day the record was created.
/// Unique citizens sent a template per WIB hour (`bc_recipients#<hh>`): what Meta's messaging
/// limit ("tier": unique recipients of business-initiated messages per rolling 24 hours)
/// counts, shared by broadcasts, complaint notifications and reminders. A citizen counts once
/// per WIB day, in the hour of the first template; a new day counts them again, which can only
/// overstate the use (the safe side of a limit).
pub const TIER_RECIPIENTS: &str = "bc_recipients";

/// The tier count of one outbox record Graph accepted: `None` unless it was (or could fall
/// back to) a template. `citizen_key` enters the mark only hashed.
pub fn tier_counts(
    citizen_key: &str,
    body: &serde_json::Value,
    created_ms: i64,
) -> Option<EventCounts> {
    let template = body.get("type").and_then(serde_json::Value::as_str) == Some("template")
        || body.get(crate::sender::FALLBACK_KEY).is_some();
    if !template {
        return None;
    }
    let day = wib_date(created_ms);
    let hour = prolink_domain::calendar::wib_datetime(created_ms).format("%H");
    Some(EventCounts {
        event_id: format!(
            "tier.{}.{}",
            day_key(day),
            &prolink_domain::citizen::group_id_for(citizen_key)[..32]
        ),
        adds: vec![add(day, format!("{TIER_RECIPIENTS}#{hour}"), 1)],
    })
}

pub fn outbound_counts(outbox_id: &str, created_ms: i64) -> EventCounts {
    EventCounts {
        event_id: format!("out.{outbox_id}"),
        adds: vec![add(wib_date(created_ms), MSG_OUT, 1)],
    }
}

/// The count of an operator's first reply in a handoff (`handoff_id` names the handoff: a
/// hash of the citizen and its start), in minutes since the citizen asked. The operator
/// API's reply route calls it.
pub fn operator_reply_counts(handoff_id: &str, asked_ms: i64, replied_ms: i64) -> EventCounts {
    let minutes = u32::try_from((replied_ms - asked_ms).max(0) / 60_000).unwrap_or(u32::MAX);
    EventCounts {
        event_id: format!("reply.{handoff_id}"),
        adds: vec![add(
            wib_date(replied_ms),
            format!("{OPERATOR_REPLY_MIN}#{:03}", minutes.min(REPLY_MINUTES_CAP)),
            1,
        )],
    }
}

/// [`StatsCounters::add`] for each event in turn, one result each: the port's default
/// `add_each`, and a store's fallback when it could not write the events together.
pub async fn add_one_at_a_time<C: StatsCounters + ?Sized>(
    counters: &C,
    events: &[EventCounts],
) -> Vec<PortResult<bool>> {
    let mut results = Vec::with_capacity(events.len());
    for event in events {
        results.push(counters.add(&event.event_id, &event.adds).await);
    }
    results
}

/// Writes the counts; a failure is logged and the work goes on (a lost count must never
/// lose or repeat a citizen's message or complaint). `None`: nothing is counted.
pub async fn record(counters: Option<&dyn StatsCounters>, counts: &[EventCounts]) {
    let Some(counters) = counters else {
        return;
    };
    for (event, result) in counts.iter().zip(counters.add_each(counts).await) {
        if let Err(error) = result {
            warn!(event = %event.event_id, %error, "statistics counter not written");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Counters → figures
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Day,
    Week,
    Month,
}

impl Granularity {
    pub fn parse(text: &str) -> Option<Granularity> {
        match text {
            "day" => Some(Granularity::Day),
            "week" => Some(Granularity::Week),
            "month" => Some(Granularity::Month),
            _ => None,
        }
    }

    /// The period a day belongs to: its own date, its week's Monday, its month (`yyyy-mm`).
    pub fn period(self, day: NaiveDate) -> String {
        match self {
            Granularity::Day => day_key(day),
            Granularity::Week => day_key(week_start(day)),
            Granularity::Month => day.format("%Y-%m").to_string(),
        }
    }

    /// The day bucket that holds this granularity's active-citizen count.
    fn active_counter(self) -> &'static str {
        match self {
            Granularity::Day => ACTIVE_DAY,
            Granularity::Week => ACTIVE_WEEK,
            Granularity::Month => ACTIVE_MONTH,
        }
    }

    /// The first day to read so that the active-citizen bucket of `from`'s period is read.
    pub fn read_from(self, from: NaiveDate) -> NaiveDate {
        match self {
            Granularity::Day => from,
            Granularity::Week => week_start(from),
            Granularity::Month => month_start(from),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyCount {
    pub key: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreCount {
    pub score: u8,
    pub count: i64,
}

/// The figures of one period (or of the whole range).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub messages_in: i64,
    pub messages_out: i64,
    pub messages_menu: i64,
    pub messages_free_text: i64,
    pub active_citizens: i64,
    pub answered: i64,
    pub fallback: i64,
    /// answered / (answered + fallback), percent, one decimal; `None` without either.
    pub answer_rate_pct: Option<f64>,
    pub fallback_rate_pct: Option<f64>,
    pub top_faqs: Vec<KeyCount>,
    pub complaints_opened: i64,
    pub complaints_closed: i64,
    pub opened_by_category: Vec<KeyCount>,
    pub opened_by_opd: Vec<KeyCount>,
    pub opened_by_kecamatan: Vec<KeyCount>,
    pub closed_by_category: Vec<KeyCount>,
    pub closed_by_opd: Vec<KeyCount>,
    pub closed_by_kecamatan: Vec<KeyCount>,
    pub sla_response_met_pct: Option<f64>,
    pub sla_resolution_met_pct: Option<f64>,
    pub median_response_working_days: Option<u32>,
    pub median_resolution_working_days: Option<u32>,
    pub ratings: Vec<ScoreCount>,
    pub rating_average: Option<f64>,
    pub handoffs: i64,
    pub median_operator_reply_minutes: Option<u32>,
}

/// The lower median of a histogram (bucket → count): the first bucket at which half of the
/// counts (rounded up) are reached. `None` when it is empty.
pub fn median_from_buckets(buckets: &BTreeMap<u32, i64>) -> Option<u32> {
    let total: i64 = buckets.values().filter(|c| **c > 0).sum();
    if total <= 0 {
        return None;
    }
    let half = (total + 1) / 2;
    let mut seen = 0;
    for (bucket, count) in buckets {
        seen += (*count).max(0);
        if seen >= half {
            return Some(*bucket);
        }
    }
    buckets.keys().last().copied()
}

fn pct(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// Counter sums of one period.
#[derive(Debug, Default, Clone)]
struct Sums(BTreeMap<String, i64>);

impl Sums {
    fn get(&self, counter: &str) -> i64 {
        self.0.get(counter).copied().unwrap_or(0)
    }

    /// `prefix#<key>` counters as (key, count), largest first, then by key.
    fn by(&self, prefix: &str) -> Vec<KeyCount> {
        let start = format!("{prefix}#");
        let mut out: Vec<KeyCount> = self
            .0
            .range(start.clone()..)
            .take_while(|(k, _)| k.starts_with(&start))
            .filter(|(_, v)| **v != 0)
            .map(|(k, v)| KeyCount {
                key: k[start.len()..].to_string(),
                count: *v,
            })
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
        out
    }

    fn histogram(&self, prefix: &str) -> BTreeMap<u32, i64> {
        self.by(prefix)
            .into_iter()
            .filter_map(|kc| kc.key.parse::<u32>().ok().map(|b| (b, kc.count)))
            .collect()
    }

    fn figures(&self, active_citizens: i64) -> Figures {
        let answered = self.get(ANSWERED);
        let fallback = self.get(FALLBACK);
        let mut top_faqs = self.by(FAQ);
        top_faqs.truncate(TOP_FAQS);
        let sla = |prefix: &str| {
            let met = self.get(&format!("{prefix}#met"));
            pct(met, met + self.get(&format!("{prefix}#missed")))
        };
        let ratings: Vec<ScoreCount> = (1..=5u8)
            .map(|score| ScoreCount {
                score,
                count: self.get(&format!("{RATING}#{score}")),
            })
            .collect();
        let rated: i64 = ratings.iter().map(|r| r.count).sum();
        let stars: i64 = ratings.iter().map(|r| i64::from(r.score) * r.count).sum();
        Figures {
            messages_in: self.get(MSG_IN),
            messages_out: self.get(MSG_OUT),
            messages_menu: self.get(MSG_MENU),
            messages_free_text: self.get(MSG_TEXT),
            active_citizens,
            answered,
            fallback,
            answer_rate_pct: pct(answered, answered + fallback),
            fallback_rate_pct: pct(fallback, answered + fallback),
            top_faqs,
            complaints_opened: self.get(OPENED),
            complaints_closed: self.get(CLOSED),
            opened_by_category: self.by(&format!("{OPENED}#cat")),
            opened_by_opd: self.by(&format!("{OPENED}#opd")),
            opened_by_kecamatan: self.by(&format!("{OPENED}#kec")),
            closed_by_category: self.by(&format!("{CLOSED}#cat")),
            closed_by_opd: self.by(&format!("{CLOSED}#opd")),
            closed_by_kecamatan: self.by(&format!("{CLOSED}#kec")),
            sla_response_met_pct: sla(SLA_RESPONSE),
            sla_resolution_met_pct: sla(SLA_RESOLUTION),
            median_response_working_days: median_from_buckets(&self.histogram(RESPONSE_WD)),
            median_resolution_working_days: median_from_buckets(&self.histogram(RESOLUTION_WD)),
            ratings,
            rating_average: (rated > 0)
                .then(|| (stars as f64 * 100.0 / rated as f64).round() / 100.0),
            handoffs: self.get(HANDOFF),
            median_operator_reply_minutes: median_from_buckets(&self.histogram(OPERATOR_REPLY_MIN)),
        }
    }
}

/// One period's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodFigures {
    pub period: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// The figures of `from ..= to`, whole and per period. `rows` are the day counters read from
/// [`Granularity::read_from`] on; the active-citizen buckets before `from` belong to
/// `from`'s period, every other counter before `from` is left out. The whole range's active
/// citizens are the sum of its periods' (a citizen active in two periods counts twice).
pub fn figures(
    rows: &[DayCounter],
    from: NaiveDate,
    to: NaiveDate,
    granularity: Granularity,
) -> (Figures, Vec<PeriodFigures>) {
    let mut periods: BTreeMap<String, (Sums, i64)> = BTreeMap::new();
    for day in from.iter_days().take_while(|d| *d <= to) {
        periods.entry(granularity.period(day)).or_default();
    }
    let mut whole = Sums::default();
    let active = granularity.active_counter();
    for row in rows {
        let Ok(day) = parse_day(&row.day) else {
            continue;
        };
        if day > to {
            continue;
        }
        if row.counter == active {
            if let Some((_, citizens)) = periods.get_mut(&granularity.period(day.max(from))) {
                *citizens += row.value;
            }
            continue;
        }
        if day < from || row.counter.starts_with("active_") {
            continue;
        }
        if let Some((sums, _)) = periods.get_mut(&granularity.period(day)) {
            *sums.0.entry(row.counter.clone()).or_insert(0) += row.value;
        }
        *whole.0.entry(row.counter.clone()).or_insert(0) += row.value;
    }
    let active_total = periods.values().map(|(_, a)| *a).sum();
    let series = periods
        .into_iter()
        .map(|(period, (sums, citizens))| PeriodFigures {
            period,
            figures: sums.figures(citizens),
        })
        .collect();
    (whole.figures(active_total), series)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(day: &str, counter: &str, value: i64) -> DayCounter {
        DayCounter {
            day: day.into(),
            counter: counter.into(),
            value,
        }
    }

    fn date(text: &str) -> NaiveDate {
        parse_day(text).expect("a date")
    }

    #[test]
    fn medians_come_from_buckets() {
        let h = |pairs: &[(u32, i64)]| pairs.iter().copied().collect::<BTreeMap<_, _>>();
        assert_eq!(median_from_buckets(&h(&[])), None);
        assert_eq!(median_from_buckets(&h(&[(3, 0)])), None);
        assert_eq!(median_from_buckets(&h(&[(2, 1)])), Some(2));
        // 1,1,2,5,9 → 2
        assert_eq!(
            median_from_buckets(&h(&[(1, 2), (2, 1), (5, 1), (9, 1)])),
            Some(2)
        );
        // 1,4,4,4 → lower median 4 (2nd of 4 is 4)
        assert_eq!(median_from_buckets(&h(&[(1, 1), (4, 3)])), Some(4));
        // 0,0,7,7 → lower median 0
        assert_eq!(median_from_buckets(&h(&[(0, 2), (7, 2)])), Some(0));
    }

    #[test]
    fn adds_are_checked_and_merged() {
        let a = |day: &str, counter: &str, delta| CounterAdd {
            day: day.into(),
            counter: counter.into(),
            delta,
        };
        let merged = checked_adds(
            "e",
            &[
                a("2025-03-04", "x", 1),
                a("2025-03-04", "x", 2),
                a("2025-03-03", "y", 1),
            ],
        )
        .expect("valid");
        assert_eq!(merged, [a("2025-03-03", "y", 1), a("2025-03-04", "x", 3)]);
        assert!(checked_adds("", &[a("2025-03-04", "x", 1)]).is_err());
        assert!(checked_adds("e", &[]).is_err());
        assert!(checked_adds("e", &[a("2025-3-4", "x", 1)]).is_err());
        assert!(checked_adds("e", &[a("2025-02-30", "x", 1)]).is_err());
        assert!(checked_adds("e", &[a("2025-03-04", "", 1)]).is_err());
        assert!(checked_adds("e", &[a("2025-03-04", "a\nb", 1)]).is_err());
        assert!(day_range("2025-03-04", "2025-03-03").is_err());
        assert!(day_range("2024-01-01", "2025-12-31").is_err());
        assert_eq!(
            day_range("2025-02-27", "2025-03-01").map(|d| d.len()).ok(),
            Some(3)
        );
    }

    #[test]
    fn weeks_and_months_sum_days() {
        let rows = [
            row("2025-03-01", ACTIVE_MONTH, 7),
            row("2025-03-03", ACTIVE_WEEK, 4),
            row("2025-03-03", MSG_IN, 5),
            row("2025-03-04", MSG_IN, 2),
            row("2025-03-04", "cmp_opened", 1),
            row("2025-03-04", "cmp_opened#opd#dishub", 1),
            row("2025-03-10", MSG_IN, 1),
            row("2025-03-10", ACTIVE_WEEK, 1),
            row("2025-03-04", ANSWERED, 3),
            row("2025-03-04", FALLBACK, 1),
            row("2025-03-04", "response_wd#01", 1),
            row("2025-03-04", "response_wd#04", 2),
            row("2025-03-04", "sla_response#met", 2),
            row("2025-03-04", "sla_response#missed", 1),
            row("2025-03-04", "rating#5", 1),
            row("2025-03-04", "rating#2", 1),
        ];
        let (whole, weeks) = figures(
            &rows,
            date("2025-03-04"),
            date("2025-03-11"),
            Granularity::Week,
        );
        // 03-03 is before `from`: left out, but its week's active bucket counts.
        assert_eq!(whole.messages_in, 3);
        assert_eq!(weeks.len(), 2);
        assert_eq!(weeks[0].period, "2025-03-03");
        assert_eq!(weeks[0].figures.active_citizens, 4);
        assert_eq!(weeks[1].figures.active_citizens, 1);
        assert_eq!(whole.active_citizens, 5);
        assert_eq!(whole.answer_rate_pct, Some(75.0));
        assert_eq!(whole.fallback_rate_pct, Some(25.0));
        assert_eq!(whole.median_response_working_days, Some(4));
        assert_eq!(whole.sla_response_met_pct, Some(66.7));
        assert_eq!(whole.rating_average, Some(3.5));
        assert_eq!(
            whole.opened_by_opd,
            [KeyCount {
                key: "dishub".into(),
                count: 1
            }]
        );
        let (_, months) = figures(
            &rows,
            date("2025-03-04"),
            date("2025-03-11"),
            Granularity::Month,
        );
        assert_eq!(months.len(), 1);
        assert_eq!(months[0].period, "2025-03");
        assert_eq!(months[0].figures.active_citizens, 7);
        assert_eq!(months[0].figures.messages_in, 3);
        let (_, days) = figures(
            &rows,
            date("2025-03-04"),
            date("2025-03-11"),
            Granularity::Day,
        );
        assert_eq!(days.len(), 8);
        assert_eq!(days[0].figures.messages_in, 2);
        assert_eq!(days[0].figures.median_operator_reply_minutes, None);
    }
}
