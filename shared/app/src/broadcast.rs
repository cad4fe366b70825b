//! Official broadcasts (issue #19): an approved template sent to the citizens who opted in to
//! one of its topics, paced, outside the quiet hours, exactly once per citizen.
//!
//! Exactly once: every recipient's message has the outbox id `bc.<broadcast id>.<hash of the
//! citizen key>`, so the reliable sender's outbox (conditional insert, record written before
//! the Graph call) is the per-recipient mark: a tick that crashed or ran out of time resumes
//! from the last checkpointed subscriber cursor, and the recipients it meets again find their
//! record already `Sent` and get nothing more. The cursor only ever moves past a page whose
//! every recipient ended (sent, skipped, or refused for good).
//!
//! An opt-out takes effect for what is not sent yet because the audience is read page by
//! page from the current profiles at send time, not copied when the broadcast is created.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::{info, warn};

use prolink_domain::calendar::{self, DAY_MS};
use prolink_domain::citizen::group_id_for;
use prolink_domain::complaint::notify::not_before;
use prolink_whatsapp::outbound::{
    self, ReplyAddress, Template, TemplateComponent, TemplateParameter,
};

use crate::ports::{
    BroadcastAudience, BroadcastRecord, BroadcastState, BroadcastStore, CitizenProfile, Clock,
    CounterAdd, OperatorAlert, OperatorSignals, OutboundMessage, PortError, PortResult, Queue,
    SettingsStore, StatsCounters, StoredSetting, TemplateDirectory,
};
use crate::sender::{ReliableSender, SendOutcome, SenderError, Sleeper, Window};
use crate::stats::{self, EventCounts};
use crate::tasks::Task;

/// Default pace (`PROLINK_BROADCAST_RATE`), messages a second.
pub const DEFAULT_RATE: u32 = 80;
/// Highest pace accepted (Meta's default throughput for a number is 80/s, up to 1000/s).
pub const MAX_RATE: u32 = 1000;
/// Default unique recipients per rolling 24 hours (`PROLINK_MESSAGING_TIER`).
pub const DEFAULT_TIER: u64 = 1000;
/// Setting holding Meta's template statuses (`message_template_status_update`).
pub const TEMPLATE_STATUS_KEY: &str = "whatsapp_template_status";
/// Setting holding when Graph's template list was last read.
pub const TEMPLATE_SYNC_KEY: &str = "whatsapp_template_sync";
/// How often the template list is read from Graph (the status webhook reports changes in
/// between; the list catches what it missed or what happened before it was subscribed).
pub const TEMPLATE_SYNC_EVERY_MS: i64 = 15 * 60_000;
/// Status recorded for a catalog template the business account does not have (never
/// submitted, or deleted at Meta): it cannot be sent.
pub const TEMPLATE_MISSING: &str = "MISSING";
/// Statuses with which a template cannot be sent: a broadcast using one stops.
pub const TEMPLATE_UNSENDABLE: [&str; 4] = ["PAUSED", "DISABLED", "REJECTED", TEMPLATE_MISSING];
/// Setting holding the number's quality and tier (`phone_number_quality_update`).
pub const QUALITY_KEY: &str = "whatsapp_quality";
/// Graph errors that mean the template can no longer be sent (paused, disabled).
pub const TEMPLATE_PAUSED: i64 = 132015;
pub const TEMPLATE_DISABLED: i64 = 132016;
/// Slow-downs in a row (without a clean page between) one tick accepts before leaving the
/// broadcast to a later tick.
const MAX_THROTTLES_PER_TICK: u32 = 4;
/// No new message starts this close to 21:00 WIB.
const QUIET_MARGIN_MS: i64 = 60_000;
/// How long one batch task sends before it hands the rest to the next one: the complaint
/// worker's invocation (90 s) may carry another task beside it, and a short batch lets an
/// operator's cancel or Meta's pause take effect soon.
pub const BATCH_BUDGET: Duration = Duration::from_secs(25);
/// Graph throttling errors (throughput, spam rate limit).
pub const THROTTLED: [i64; 2] = [130429, 131056];

// ---------------------------------------------------------------------------------------------
// The templates a broadcast may use
// ---------------------------------------------------------------------------------------------

/// A broadcast template as submitted to Meta (`infra/whatsapp-templates/`), compiled in so the
/// API can check parameters without reading files at run time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogTemplate {
    pub name: String,
    pub language: String,
    pub category: String,
    /// `{{n}}` placeholders of the body.
    pub body_params: usize,
    /// `{{n}}` placeholders of the text header (0 or 1).
    pub header_params: usize,
    /// The texts as the citizen reads them, placeholders unfilled (the dashboard's preview).
    pub header: Option<String>,
    pub body: String,
    pub footer: Option<String>,
}

const CATALOG_FILES: [&str; 5] = [
    include_str!("../../../infra/whatsapp-templates/siaran_acara.json"),
    include_str!("../../../infra/whatsapp-templates/siaran_layanan.json"),
    include_str!("../../../infra/whatsapp-templates/siaran_kesehatan.json"),
    include_str!("../../../infra/whatsapp-templates/siaran_siaga_bencana.json"),
    include_str!("../../../infra/whatsapp-templates/siaran_jam_layanan.json"),
];

fn count_placeholders(text: &str) -> usize {
    text.matches("{{").count()
}

/// The broadcast templates (a file that does not parse is left out and logged; the template
/// test fails on it long before a deployment).
pub fn catalog() -> Vec<CatalogTemplate> {
    CATALOG_FILES
        .iter()
        .filter_map(|text| {
            let json: Value = serde_json::from_str(text)
                .map_err(|error| warn!(%error, "broadcast template file unreadable"))
                .ok()?;
            let text = |kind: &str| {
                json["components"]
                    .as_array()
                    .and_then(|c| c.iter().find(|c| c["type"] == kind))
                    .and_then(|c| c["text"].as_str())
                    .map(str::to_string)
            };
            let header = text("HEADER");
            let body = text("BODY")?;
            Some(CatalogTemplate {
                name: json["name"].as_str()?.to_string(),
                language: json["language"].as_str()?.to_string(),
                category: json["category"].as_str()?.to_string(),
                body_params: count_placeholders(&body),
                header_params: header.as_deref().map(count_placeholders).unwrap_or(0),
                header,
                body,
                footer: text("FOOTER"),
            })
        })
        .collect()
}

/// Meta's status of a template as last reported (`APPROVED`, `PAUSED`, `DISABLED`,
/// `REJECTED` …). A catalog template without a report counts as approved: locally nothing
/// reports, and on AWS a template Meta has not approved yet fails at send time (132001).
pub async fn template_status(settings: &dyn SettingsStore, name: &str) -> PortResult<String> {
    let stored = settings.get_setting(TEMPLATE_STATUS_KEY).await?;
    Ok(stored
        .and_then(|s| {
            s.value
                .get(name)?
                .get("status")?
                .as_str()
                .map(str::to_string)
        })
        .unwrap_or_else(|| "APPROVED".to_string()))
}

/// The number's quality as last reported: `true` when Meta flagged it or lowered its limit,
/// which stops broadcasts until an operator looks (sending on would risk the number).
pub async fn quality_dropped(settings: &dyn SettingsStore) -> PortResult<Option<String>> {
    let stored = settings.get_setting(QUALITY_KEY).await?;
    let event = stored
        .as_ref()
        .and_then(|s| s.value.get("event")?.as_str().map(str::to_string));
    Ok(event.filter(|e| matches!(e.as_str(), "FLAGGED" | "DOWNGRADE")))
}

/// Meta's messaging limit as the last `phone_number_quality_update` named it (`TIER_1K` …):
/// unique recipients of business-initiated messages per rolling 24 hours; `None` when no
/// report named one (then `PROLINK_MESSAGING_TIER` rules).
pub async fn reported_tier(settings: &dyn SettingsStore) -> PortResult<Option<u64>> {
    let stored = settings.get_setting(QUALITY_KEY).await?;
    let limit = stored
        .as_ref()
        .and_then(|s| s.value.get("current_limit")?.as_str().map(str::to_string));
    Ok(limit.as_deref().and_then(tier_of_limit))
}

/// `TIER_50` → 50, `TIER_250` → 250, `TIER_1K` → 1000, `TIER_10K`, `TIER_100K`;
/// `TIER_UNLIMITED` → no limit.
pub fn tier_of_limit(limit: &str) -> Option<u64> {
    let value = limit.trim().strip_prefix("TIER_")?;
    if value == "UNLIMITED" {
        return Some(u64::MAX);
    }
    let (digits, factor) = match value.strip_suffix('K') {
        Some(digits) => (digits, 1000),
        None => (value, 1),
    };
    digits.parse::<u64>().ok().map(|n| n.saturating_mul(factor))
}

/// Merges one report into a setting holding a JSON object (read-modify-write, retried on a
/// lost race): the webhook handler's way to keep template statuses and the quality.
pub async fn merge_setting(
    settings: &dyn SettingsStore,
    key: &str,
    at_ms: i64,
    apply: impl Fn(&mut serde_json::Map<String, Value>),
) -> PortResult<()> {
    for _ in 0..5 {
        let current = settings.get_setting(key).await?;
        let (mut map, version) = match &current {
            Some(s) => (s.value.as_object().cloned().unwrap_or_default(), s.version),
            None => (serde_json::Map::new(), 0),
        };
        apply(&mut map);
        let setting = StoredSetting {
            key: key.to_string(),
            value: Value::Object(map),
            updated_ms: at_ms,
            updated_by: "whatsapp".to_string(),
            version,
        };
        match settings.put_setting(&setting).await {
            Ok(_) => return Ok(()),
            Err(PortError::Conflict(_)) => continue,
            Err(other) => return Err(other),
        }
    }
    Err(PortError::Conflict(format!(
        "setting {key}: too many races"
    )))
}

/// Reads the business account's templates from Graph (at most every
/// [`TEMPLATE_SYNC_EVERY_MS`]) and records the status of each catalog template, `MISSING` for
/// one the account does not have. Returns how many were recorded, `None` when not due yet.
pub async fn sync_template_statuses(
    settings: &dyn SettingsStore,
    directory: &dyn TemplateDirectory,
    now_ms: i64,
) -> PortResult<Option<usize>> {
    let last = settings.get_setting(TEMPLATE_SYNC_KEY).await?;
    let synced_ms = last
        .as_ref()
        .and_then(|s| s.value.get("synced_ms")?.as_i64())
        .unwrap_or(i64::MIN);
    // A clock moved backwards (the simulator's time travel) counts as due.
    if (0..TEMPLATE_SYNC_EVERY_MS).contains(&now_ms.saturating_sub(synced_ms)) {
        return Ok(None);
    }
    let reports = directory.list_templates().await?;
    let catalog = catalog();
    merge_setting(settings, TEMPLATE_STATUS_KEY, now_ms, |map| {
        for template in &catalog {
            let found = reports
                .iter()
                .find(|r| r.name == template.name && r.language == template.language);
            let (status, reason) = match found {
                Some(report) => (report.status.trim().to_ascii_uppercase(), None),
                None => (
                    TEMPLATE_MISSING.to_string(),
                    Some(
                        "tidak ada di akun WhatsApp Business; ajukan dari infra/whatsapp-templates",
                    ),
                ),
            };
            map.insert(
                template.name.clone(),
                serde_json::json!({
                    "status": status,
                    "language": template.language,
                    "reason": reason,
                    "updated_ms": now_ms,
                    "source": "graph",
                }),
            );
        }
    })
    .await?;
    let marker = StoredSetting {
        key: TEMPLATE_SYNC_KEY.to_string(),
        value: serde_json::json!({ "synced_ms": now_ms, "listed": reports.len() }),
        updated_ms: now_ms,
        updated_by: "whatsapp".to_string(),
        version: last.map(|s| s.version).unwrap_or(0),
    };
    match settings.put_setting(&marker).await {
        // Another tick recorded the same list meanwhile.
        Ok(_) | Err(PortError::Conflict(_)) => Ok(Some(catalog.len())),
        Err(other) => Err(other),
    }
}

// ---------------------------------------------------------------------------------------------
// Identifiers and counters
// ---------------------------------------------------------------------------------------------

/// `bc-<yyyymmdd of creation, WIB>-<12 hex>`: the day lets the statistics of one broadcast be
/// read from one day's counters.
pub fn new_id(now_ms: i64) -> String {
    let day = calendar::wib_date(now_ms).format("%Y%m%d");
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("bc-{day}-{}", &random[..12])
}

/// Whether `id` has the shape [`new_id`] makes (path parameters are checked before a read).
pub fn valid_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    id.len() == 24
        && id.starts_with("bc-")
        && bytes[3..11].iter().all(u8::is_ascii_digit)
        && bytes[11] == b'-'
        && bytes[12..]
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

/// The creation day (`yyyy-mm-dd`) encoded in a broadcast id.
pub fn id_day(id: &str) -> Option<String> {
    let digits = id.get(3..11)?;
    let date = chrono::NaiveDate::parse_from_str(digits, "%Y%m%d").ok()?;
    Some(stats::day_key(date))
}

/// The outbox id of one recipient's message: deterministic, and names no phone number.
pub fn outbox_id(broadcast_id: &str, citizen_key: &str) -> String {
    let hash = group_id_for(citizen_key);
    format!("bc.{broadcast_id}.{}", &hash[..32])
}

/// The broadcast an outbox id belongs to.
pub fn broadcast_of(outbox_id: &str) -> Option<&str> {
    let rest = outbox_id.strip_prefix("bc.")?;
    let (id, _) = rest.split_once('.')?;
    valid_id(id).then_some(id)
}

pub const SENT: &str = "bc_sent";
pub const DELIVERED: &str = "bc_delivered";
pub const READ: &str = "bc_read";
pub const FAILED: &str = "bc_failed";
pub const OPTED_OUT: &str = "bc_optout";

/// The counts of one outcome of one recipient's message: the broadcast's own counter on its
/// creation day (`bc_sent#<id>`) and the city-wide total on the day it happened.
pub fn outcome_counts(
    outbox_id: &str,
    what: &str,
    error_code: Option<i64>,
    now_ms: i64,
) -> Option<EventCounts> {
    let id = broadcast_of(outbox_id)?;
    let day = id_day(id)?;
    let today = stats::day_key(calendar::wib_date(now_ms));
    let mut adds = vec![
        CounterAdd {
            day: day.clone(),
            counter: format!("{what}#{id}"),
            delta: 1,
        },
        CounterAdd {
            day: today.clone(),
            counter: what.to_string(),
            delta: 1,
        },
    ];
    if what == FAILED {
        let reason = error_code.map_or_else(|| "unknown".to_string(), |c| c.to_string());
        adds.push(CounterAdd {
            day,
            counter: format!("{FAILED}#{id}#{reason}"),
            delta: 1,
        });
    }
    Some(EventCounts {
        event_id: format!("{what}.{outbox_id}"),
        adds,
    })
}

/// One broadcast's statistics, read from its creation day's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BroadcastStats {
    /// Accepted by Graph.
    pub sent: i64,
    pub delivered: i64,
    pub read: i64,
    pub failed: i64,
    /// Failures by Meta's error code (`unknown` without one).
    pub failed_by_reason: BTreeMap<String, i64>,
    /// Recipients who opted out after it was sent to them.
    pub opted_out: i64,
}

pub async fn read_stats(counters: &dyn StatsCounters, id: &str) -> PortResult<BroadcastStats> {
    let Some(day) = id_day(id) else {
        return Ok(BroadcastStats::default());
    };
    let mut out = BroadcastStats::default();
    for counter in counters.read_counters(&day, &day).await? {
        let Some((what, rest)) = counter.counter.split_once('#') else {
            continue;
        };
        let (counter_id, reason) = match rest.split_once('#') {
            Some((counter_id, reason)) => (counter_id, Some(reason)),
            None => (rest, None),
        };
        if counter_id != id {
            continue;
        }
        match (what, reason) {
            (SENT, None) => out.sent += counter.value,
            (DELIVERED, None) => out.delivered += counter.value,
            (READ, None) => out.read += counter.value,
            (FAILED, None) => out.failed += counter.value,
            (FAILED, Some(reason)) => {
                *out.failed_by_reason.entry(reason.to_string()).or_insert(0) += counter.value;
            }
            (OPTED_OUT, None) => out.opted_out += counter.value,
            _ => {}
        }
    }
    Ok(out)
}

/// Unique recipients counted in the last 24 hours (the hours of yesterday and today, WIB).
async fn recipients_last_day(counters: &dyn StatsCounters, now_ms: i64) -> PortResult<u64> {
    let today = calendar::wib_date(now_ms);
    let yesterday = calendar::wib_date(now_ms - DAY_MS);
    let hour_now = calendar::wib_datetime(now_ms).format("%H").to_string();
    let mut total: i64 = 0;
    for counter in counters
        .read_counters(&stats::day_key(yesterday), &stats::day_key(today))
        .await?
    {
        let Some(hour) = counter
            .counter
            .strip_prefix(stats::TIER_RECIPIENTS)
            .and_then(|r| r.strip_prefix('#'))
        else {
            continue;
        };
        // Yesterday's hours up to this one have left the window.
        let in_window = if counter.day == stats::day_key(today) {
            true
        } else {
            hour > hour_now.as_str()
        };
        if in_window {
            total += counter.value;
        }
    }
    Ok(u64::try_from(total).unwrap_or(0))
}

// ---------------------------------------------------------------------------------------------
// Audience
// ---------------------------------------------------------------------------------------------

/// Subscribers read per page.
pub const SUBSCRIBER_PAGE: usize = 200;

/// How many opted-in citizens `audience` reaches now (one pass over the subscriber index).
pub async fn audience_size(
    store: &dyn BroadcastStore,
    audience: &BroadcastAudience,
) -> PortResult<u64> {
    let mut size = 0;
    let mut cursor: Option<String> = None;
    loop {
        let page = store.subscribers(cursor.as_deref(), 500).await?;
        size += page
            .iter()
            .filter(|s| audience.includes(&s.profile))
            .count() as u64;
        match page.last() {
            Some(last) if page.len() == 500 => cursor = Some(last.cursor.clone()),
            _ => return Ok(size),
        }
    }
}

/// The Graph body of one recipient's message.
pub fn message_body(record: &BroadcastRecord, citizen: &CitizenProfile) -> Option<Value> {
    let address = match (&citizen.wa_id, &citizen.user_id) {
        (Some(phone), _) => ReplyAddress::Phone(phone.clone()),
        (None, Some(user)) => ReplyAddress::UserId(user.clone()),
        (None, None) => ReplyAddress::Phone(citizen.key.clone()),
    };
    let text = |values: &[String]| -> Vec<TemplateParameter> {
        values
            .iter()
            .map(|v| TemplateParameter::Text {
                text: v.clone(),
                parameter_name: None,
            })
            .collect()
    };
    let mut components = Vec::new();
    if !record.template.header_parameters.is_empty() {
        components.push(TemplateComponent::Header {
            parameters: text(&record.template.header_parameters),
        });
    }
    if !record.template.parameters.is_empty() {
        components.push(TemplateComponent::Body {
            parameters: text(&record.template.parameters),
        });
    }
    let template = Template {
        name: record.template.name.clone(),
        language_code: record.template.language.clone(),
        components,
    };
    outbound::template(&address, &template)
        .map_err(|error| warn!(broadcast = %record.id, %error, "broadcast message not built"))
        .ok()
}

// ---------------------------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct BroadcastConfig {
    /// Messages a second (1..=[`MAX_RATE`]).
    pub rate: u32,
    /// Unique recipients per rolling 24 hours.
    pub tier: u64,
    /// Messages in flight at once.
    pub concurrency: usize,
    /// How long a tick holds a broadcast before another tick may take it over.
    pub lease_ms: i64,
}

impl Default for BroadcastConfig {
    fn default() -> Self {
        BroadcastConfig {
            rate: DEFAULT_RATE,
            tier: DEFAULT_TIER,
            concurrency: 16,
            lease_ms: 120_000,
        }
    }
}

impl BroadcastConfig {
    /// `PROLINK_BROADCAST_RATE` (default 80, clamped to 1..=1000) and
    /// `PROLINK_MESSAGING_TIER` (default 1000).
    pub fn from_env() -> BroadcastConfig {
        let rate = std::env::var("PROLINK_BROADCAST_RATE")
            .ok()
            .and_then(|v| v.trim().parse::<u32>().ok())
            .unwrap_or(DEFAULT_RATE)
            .clamp(1, MAX_RATE);
        let tier = std::env::var("PROLINK_MESSAGING_TIER")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|t| *t > 0)
            .unwrap_or(DEFAULT_TIER);
        BroadcastConfig {
            rate,
            tier,
            ..BroadcastConfig::default()
        }
    }
}

/// What one tick did to the broadcasts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BroadcastReport {
    pub broadcasts: usize,
    /// Messages Graph accepted this tick.
    pub sent: u64,
    /// Opted-in citizens outside the audience, or opted out since: not sent.
    pub skipped: u64,
    pub failed: u64,
    /// Recipients whose message had been sent by an earlier (interrupted) tick.
    pub resumed: u64,
    /// Times Graph throttled (130429/131056) and the tick slowed down.
    pub throttled: u64,
    pub finished: usize,
    pub stopped: usize,
    /// Held for the quiet hours.
    pub held: usize,
    /// Batch tasks put on the tasks queue.
    pub handed_out: usize,
}

#[derive(Clone)]
pub struct Broadcaster {
    pub store: Arc<dyn BroadcastStore>,
    pub sender: Arc<ReliableSender>,
    pub settings: Arc<dyn SettingsStore>,
    pub signals: Arc<dyn OperatorSignals>,
    pub counters: Option<Arc<dyn StatsCounters>>,
    pub clock: Arc<dyn Clock>,
    /// Waits between sends (pacing); tests inject one that only advances their clock.
    pub sleeper: Arc<dyn Sleeper>,
    pub config: BroadcastConfig,
    /// Graph's template list (AWS, or a local deployment with a business account id); `None`
    /// leaves the statuses to the webhook (and locally every catalog template is approved).
    pub templates: Option<Arc<dyn TemplateDirectory>>,
    /// The tasks queue. With it (AWS and `prolink serve`) the scheduler only hands a due
    /// broadcast out as a batch task and the complaint worker sends it, batch after batch, at
    /// the full pace; without it (tests, benchmarks) the scheduler's tick sends it itself.
    pub tasks: Option<Arc<dyn Queue>>,
}

/// How one page ended.
enum PageEnd {
    /// Every recipient ended; the cursor may move past the page.
    Complete,
    /// The quiet hours began during the page: the same page again in the morning.
    Quiet,
    /// Graph throttled (130429/131056): slow down and try the same page again.
    Throttled,
    /// The account needs an operator (token, restriction): come back later, same page.
    Retry { after_ms: i64 },
    /// The template can no longer be sent.
    Stop { reason: String },
}

/// How far behind its timeline the pace may be and still catch up at full speed. Beyond it
/// (a throttling pause, a slow store) the timeline starts again from now: a stall must not
/// turn into a burst above the rate.
const PACE_CATCH_UP_MS: i64 = 500;

/// The pace of one run: the n-th send since `origin_ms` is due at n × interval. The timeline
/// spans the pages, so the short pause between two pages (the last sends of a page finishing,
/// the checkpoint, reading the next page) is made up by the next page's first sends instead of
/// lowering the rate at every page.
#[derive(Debug, Clone, Copy)]
struct Pace {
    origin_ms: i64,
    sends: u64,
    interval_ms: f64,
}

impl Pace {
    fn new(rate: f64, now_ms: i64) -> Pace {
        Pace {
            origin_ms: now_ms,
            sends: 0,
            interval_ms: 1000.0 / rate.max(1.0),
        }
    }

    /// A new rate starts a new timeline (the old one's sends were at the old interval).
    fn set_rate(&mut self, rate: f64, now_ms: i64) {
        let interval_ms = 1000.0 / rate.max(1.0);
        if (interval_ms - self.interval_ms).abs() > f64::EPSILON {
            *self = Pace::new(rate, now_ms);
        }
    }

    /// How long to wait before the next send, if at all.
    fn wait(&mut self, now_ms: i64) -> Option<Duration> {
        let due_ms = self.origin_ms + (self.sends as f64 * self.interval_ms) as i64;
        if now_ms.saturating_sub(due_ms) > PACE_CATCH_UP_MS {
            self.origin_ms = now_ms;
            self.sends = 0;
            return None;
        }
        (due_ms > now_ms).then(|| Duration::from_millis((due_ms - now_ms) as u64))
    }

    fn sent(&mut self) {
        self.sends += 1;
    }
}

/// What one recipient's send ended in.
enum RecipientEnd {
    Sent,
    Resumed,
    Skipped,
    Failed,
    Throttled,
    Account,
    TemplateStopped(i64),
}

impl Broadcaster {
    /// Sends what is due within `budget`. Safe to overlap: a broadcast is claimed with a
    /// versioned write and a lease (`next_run_ms` moved ahead), so two ticks never send the
    /// same broadcast at once, and the outbox ids make even that harmless.
    pub async fn tick(&self, budget: Duration) -> PortResult<BroadcastReport> {
        let started = Instant::now();
        let mut report = BroadcastReport::default();
        let now = self.clock.now_ms();
        if let Some(directory) = &self.templates {
            // Meta unreachable must not hold the broadcasts up: the statuses known so far
            // (and the send-time errors) still guard them.
            if let Err(error) =
                sync_template_statuses(self.settings.as_ref(), directory.as_ref(), now).await
            {
                warn!(%error, "could not read the WhatsApp templates from Graph");
            }
        }
        let due = self.store.broadcasts_due(now, 10).await?;
        for broadcast in due {
            if started.elapsed() >= budget {
                break;
            }
            report.broadcasts += 1;
            let left = budget.saturating_sub(started.elapsed());
            let outcome = match &self.tasks {
                Some(tasks) => self.dispatch(broadcast, tasks.as_ref(), &mut report).await,
                None => self.run(broadcast, left, &mut report).await,
            };
            match outcome {
                Ok(()) => {}
                Err(PortError::Conflict(_)) => {
                    info!("broadcast changed meanwhile (another tick or an operator); left alone")
                }
                Err(other) => return Err(other),
            }
        }
        Ok(report)
    }

    /// The checks before anything is sent (quiet hours, Meta's template status, the
    /// number's quality): `None` when the broadcast was held or stopped instead.
    async fn gate(
        &self,
        mut record: BroadcastRecord,
        report: &mut BroadcastReport,
    ) -> PortResult<Option<BroadcastRecord>> {
        let now = self.clock.now_ms();
        if let Some(morning) = not_before(now, record.urgent) {
            record.next_run_ms = Some(morning);
            record.updated_ms = now;
            self.store.put_broadcast(&record).await?;
            report.held += 1;
            return Ok(None);
        }
        let status = template_status(self.settings.as_ref(), &record.template.name).await?;
        if TEMPLATE_UNSENDABLE.contains(&status.as_str()) {
            let reason = format!(
                "Template {} berstatus {status} di Meta.",
                record.template.name
            );
            self.stop(record, reason, report).await?;
            return Ok(None);
        }
        if let Some(event) = quality_dropped(self.settings.as_ref()).await? {
            let reason = format!("Kualitas nomor WhatsApp turun ({event}); siaran dihentikan.");
            self.stop(record, reason, report).await?;
            return Ok(None);
        }
        Ok(Some(record))
    }

    /// Claims a broadcast for the lease: other ticks and batches keep away while it sends.
    async fn claim(&self, record: &mut BroadcastRecord) -> PortResult<()> {
        let now = self.clock.now_ms();
        if record.state == BroadcastState::Scheduled {
            record.state = BroadcastState::Sending;
            record.started_ms = Some(now);
        }
        record.next_run_ms = Some(now + self.config.lease_ms);
        record.updated_ms = now;
        record.version = self.store.put_broadcast(record).await?;
        Ok(())
    }

    /// The scheduler's part with a tasks queue: check, claim, and hand the broadcast out as
    /// a batch task. A lost task (enqueue failed, worker died) only delays it: the lease runs
    /// out and the next tick hands it out again.
    async fn dispatch(
        &self,
        record: BroadcastRecord,
        tasks: &dyn Queue,
        report: &mut BroadcastReport,
    ) -> PortResult<()> {
        let Some(mut record) = self.gate(record, report).await? else {
            return Ok(());
        };
        self.claim(&mut record).await?;
        self.hand_out(&record, tasks, report).await
    }

    async fn hand_out(
        &self,
        record: &BroadcastRecord,
        tasks: &dyn Queue,
        report: &mut BroadcastReport,
    ) -> PortResult<()> {
        let task = Task::BroadcastBatch {
            broadcast_id: record.id.clone(),
            seq: record.version,
        };
        tasks.send_batch(&[task.to_message()]).await?;
        report.handed_out += 1;
        Ok(())
    }

    /// One batch task (the complaint worker): sends for up to `budget`, then hands the rest
    /// to a new batch. A stale batch (the broadcast was written since it was handed out) or
    /// one of a broadcast no longer sending does nothing.
    pub async fn run_batch(
        &self,
        broadcast_id: &str,
        seq: u64,
        budget: Duration,
    ) -> PortResult<BroadcastReport> {
        let mut report = BroadcastReport::default();
        let Some(record) = self.store.get_broadcast(broadcast_id).await? else {
            return Ok(report);
        };
        if record.version != seq
            || !matches!(
                record.state,
                BroadcastState::Scheduled | BroadcastState::Sending
            )
        {
            info!(broadcast = %broadcast_id, "stale broadcast batch; nothing to send");
            return Ok(report);
        }
        report.broadcasts = 1;
        match self.run(record, budget, &mut report).await {
            Ok(()) => Ok(report),
            Err(PortError::Conflict(_)) => {
                info!(broadcast = %broadcast_id, "broadcast changed meanwhile; this batch stops");
                Ok(report)
            }
            Err(other) => Err(other),
        }
    }

    async fn run(
        &self,
        record: BroadcastRecord,
        budget: Duration,
        report: &mut BroadcastReport,
    ) -> PortResult<()> {
        let started = Instant::now();
        let Some(mut record) = self.gate(record, report).await? else {
            return Ok(());
        };
        self.claim(&mut record).await?;
        let now = self.clock.now_ms();

        let mut rate = f64::from(self.config.rate.clamp(1, MAX_RATE));
        let mut pace = Pace::new(rate, self.clock.now_ms());
        let mut throttles = 0u32;
        // Meta's own report of the limit wins over the configured one.
        let tier = reported_tier(self.settings.as_ref())
            .await?
            .unwrap_or(self.config.tier);
        let mut tier_left = match &self.counters {
            Some(counters) => {
                tier.saturating_sub(recipients_last_day(counters.as_ref(), now).await?)
            }
            None => tier,
        };
        loop {
            let now = self.clock.now_ms();
            if started.elapsed() >= budget {
                return match &self.tasks {
                    // The next batch goes on at once, under a fresh lease.
                    Some(tasks) => {
                        record.next_run_ms = Some(now + self.config.lease_ms);
                        self.checkpoint(&mut record).await?;
                        self.hand_out(&record, tasks.as_ref(), report).await
                    }
                    // The next tick goes on.
                    None => {
                        record.next_run_ms = Some(now);
                        self.checkpoint(&mut record).await
                    }
                };
            }
            if let Some(morning) = not_before(now + QUIET_MARGIN_MS, record.urgent) {
                // Still sending at 21:00: pause until 06:00.
                record.next_run_ms = Some(morning);
                report.held += 1;
                return self.checkpoint(&mut record).await;
            }
            if tier_left == 0 {
                info!(broadcast = %record.id, "messaging tier used up; resuming in an hour");
                record.next_run_ms = Some(now + 3_600_000);
                return self.checkpoint(&mut record).await;
            }
            let limit = SUBSCRIBER_PAGE.min(usize::try_from(tier_left).unwrap_or(usize::MAX));
            let page = self
                .store
                .subscribers(record.cursor.as_deref(), limit)
                .await?;
            let Some(last) = page.last().map(|s| s.cursor.clone()) else {
                record.state = BroadcastState::Done;
                record.next_run_ms = None;
                record.finished_ms = Some(now);
                report.finished += 1;
                return self.checkpoint(&mut record).await;
            };
            let (end, sent) = self.send_page(&record, &page, &mut pace, report).await;
            tier_left = tier_left.saturating_sub(sent);
            match end {
                PageEnd::Complete => {
                    // A clean page wins back a quarter of the pace, up to the configured rate.
                    rate = (rate * 1.25).min(f64::from(self.config.rate.clamp(1, MAX_RATE)));
                    pace.set_rate(rate, self.clock.now_ms());
                    throttles = 0;
                    record.cursor = Some(last);
                    // Progress counts the audience reached (sent, resumed, failed), so it
                    // compares with `audience_size`.
                    record.progress += page
                        .iter()
                        .filter(|s| record.audience.includes(&s.profile))
                        .count() as u64;
                    // Checkpoint every page (and renew the lease).
                    record.next_run_ms = Some(self.clock.now_ms() + self.config.lease_ms);
                    self.checkpoint(&mut record).await?;
                }
                // The loop's next round finds the quiet hours and holds the broadcast.
                PageEnd::Quiet => {}
                PageEnd::Throttled if throttles < MAX_THROTTLES_PER_TICK => {
                    // Meta asks us to slow down: half the pace, a pause, the same page again
                    // (its sent recipients are recognised by their outbox records).
                    throttles += 1;
                    rate = (rate / 2.0).max(1.0);
                    self.sleeper.sleep(Duration::from_secs(2)).await;
                    pace.set_rate(rate, self.clock.now_ms());
                }
                PageEnd::Throttled => {
                    record.next_run_ms = Some(self.clock.now_ms() + 60_000);
                    return self.checkpoint(&mut record).await;
                }
                PageEnd::Retry { after_ms } => {
                    record.next_run_ms = Some(self.clock.now_ms() + after_ms);
                    return self.checkpoint(&mut record).await;
                }
                PageEnd::Stop { reason } => return self.stop(record, reason, report).await,
            }
        }
    }

    async fn checkpoint(&self, record: &mut BroadcastRecord) -> PortResult<()> {
        record.updated_ms = self.clock.now_ms();
        record.version = self.store.put_broadcast(record).await?;
        Ok(())
    }

    async fn stop(
        &self,
        mut record: BroadcastRecord,
        reason: String,
        report: &mut BroadcastReport,
    ) -> PortResult<()> {
        let now = self.clock.now_ms();
        warn!(broadcast = %record.id, %reason, "broadcast stopped");
        record.state = BroadcastState::Stopped;
        record.next_run_ms = None;
        record.finished_ms = Some(now);
        record.stop_reason = Some(reason.clone());
        record.updated_ms = now;
        self.store.put_broadcast(&record).await?;
        report.stopped += 1;
        self.signals
            .raise_alert(&OperatorAlert {
                id: format!("broadcast.stopped.{}", record.id),
                kind: "broadcast".to_string(),
                message: format!("Siaran \"{}\" dihentikan: {reason}", record.name),
                citizen_key: None,
                raised_ms: now,
                opd_id: None,
            })
            .await
    }

    /// Sends to one page of subscribers, `concurrency` at a time, paced to `rate`. Returns how
    /// the page ended and how many new recipients Graph accepted.
    async fn send_page(
        &self,
        record: &BroadcastRecord,
        page: &[crate::ports::Subscriber],
        pace: &mut Pace,
        report: &mut BroadcastReport,
    ) -> (PageEnd, u64) {
        let mut results: Vec<RecipientEnd> = Vec::with_capacity(page.len());
        let mut set = tokio::task::JoinSet::new();
        let record = Arc::new(record.clone());
        let mut quiet = false;
        for subscriber in page {
            if !record.audience.includes(&subscriber.profile) {
                results.push(RecipientEnd::Skipped);
                continue;
            }
            // Paced on the injected clock (the sleeper moves it in tests; both are real time
            // in production).
            if let Some(wait) = pace.wait(self.clock.now_ms()) {
                self.sleeper.sleep(wait).await;
            }
            if not_before(self.clock.now_ms() + QUIET_MARGIN_MS, record.urgent).is_some() {
                // 21:00 is near: nothing new until the morning (the page is read again then;
                // whoever got it already is recognised). The margin lets the messages in
                // flight, with their retries, land before 21:00.
                quiet = true;
                break;
            }
            pace.sent();
            while set.len() >= self.config.concurrency.max(1) {
                if let Some(Ok(result)) = set.join_next().await {
                    results.push(result);
                }
            }
            let this = self.clone();
            let record = record.clone();
            let citizen = subscriber.profile.clone();
            set.spawn(async move { this.send_one(&record, &citizen).await });
        }
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok(result) => results.push(result),
                // A panicked send: treat as throttled, the page is retried (outbox dedups).
                Err(_) => results.push(RecipientEnd::Throttled),
            }
        }
        let mut end = if quiet {
            PageEnd::Quiet
        } else {
            PageEnd::Complete
        };
        let mut sent = 0;
        for result in results {
            match result {
                RecipientEnd::Sent => {
                    report.sent += 1;
                    sent += 1;
                }
                RecipientEnd::Resumed => report.resumed += 1,
                RecipientEnd::Skipped => report.skipped += 1,
                RecipientEnd::Failed => report.failed += 1,
                RecipientEnd::Throttled => {
                    report.throttled += 1;
                    if matches!(end, PageEnd::Complete) {
                        end = PageEnd::Throttled;
                    }
                }
                RecipientEnd::Account => {
                    if matches!(end, PageEnd::Complete) {
                        end = PageEnd::Retry { after_ms: 300_000 };
                    }
                }
                RecipientEnd::TemplateStopped(code) => {
                    end = PageEnd::Stop {
                        reason: format!(
                            "Meta menolak template {} (kode {code}: template dijeda atau dinonaktifkan).",
                            record.template.name
                        ),
                    };
                }
            }
        }
        (end, sent)
    }

    async fn send_one(&self, record: &BroadcastRecord, citizen: &CitizenProfile) -> RecipientEnd {
        let outbox_id = outbox_id(&record.id, &citizen.key);
        let Some(body) = message_body(record, citizen) else {
            return RecipientEnd::Failed;
        };
        let message = OutboundMessage {
            outbox_id: outbox_id.clone(),
            body,
        };
        // Templates go whatever the 24-hour window.
        let outcome = self
            .sender
            .send(&citizen.key, Window::Closed, message, None)
            .await;
        let now = self.clock.now_ms();
        let (result, counted) = match outcome {
            Ok(SendOutcome::Sent { .. } | SendOutcome::SentAsTemplate { .. }) => {
                (RecipientEnd::Sent, Some((SENT, None)))
            }
            Ok(SendOutcome::AlreadyHandled { state }) => {
                // Counted again harmlessly: the event id is the outbox id, so a count the
                // interrupted tick did not finish is made now, and a finished one is not.
                let accepted = state.rank() >= 1 && state.rank() <= 3;
                (RecipientEnd::Resumed, accepted.then_some((SENT, None)))
            }
            Ok(SendOutcome::Rejected { code, .. })
                if code == TEMPLATE_PAUSED || code == TEMPLATE_DISABLED =>
            {
                (RecipientEnd::TemplateStopped(code), None)
            }
            Ok(SendOutcome::Rejected { code, .. }) if THROTTLED.contains(&code) => {
                (RecipientEnd::Throttled, None)
            }
            Ok(SendOutcome::Rejected { code, .. }) => {
                (RecipientEnd::Failed, Some((FAILED, Some(code))))
            }
            Ok(SendOutcome::Undeliverable { .. }) => (RecipientEnd::Failed, Some((FAILED, None))),
            Ok(SendOutcome::Fatal { .. }) => (RecipientEnd::Account, None),
            Err(SenderError::Exhausted { .. }) => (RecipientEnd::Throttled, None),
            Err(SenderError::Store(error)) => {
                warn!(%error, "broadcast send: store failed; the page is retried");
                (RecipientEnd::Throttled, None)
            }
        };
        if let Some((what, code)) = counted {
            if let Some(counts) = outcome_counts(&outbox_id, what, code, now) {
                stats::record(self.counters.as_deref(), &[counts]).await;
            }
        }
        result
    }
}

/// The counts a status webhook adds to a broadcast message (`delivered`, `read`, `failed`);
/// `None` for any other message or status. `sent` is counted when Graph accepts the request.
pub fn status_counts(
    outbox_id: &str,
    status: &str,
    error_code: Option<i64>,
    now_ms: i64,
) -> Option<EventCounts> {
    let what = match status {
        "delivered" => DELIVERED,
        "read" => READ,
        "failed" => FAILED,
        _ => return None,
    };
    outcome_counts(outbox_id, what, error_code, now_ms)
}

/// Counts an opt-out against the broadcasts the citizen received in the last 7 days (those
/// whose outbox record exists): one event per broadcast and citizen.
pub async fn count_opt_out(
    store: &dyn BroadcastStore,
    outbox: &dyn crate::ports::OutboxStore,
    counters: &dyn StatsCounters,
    citizen_key: &str,
    now_ms: i64,
) -> PortResult<()> {
    let recent = store
        .list_broadcasts(&crate::ports::PageRequest {
            limit: 20,
            after: None,
        })
        .await?;
    let mut seen = HashMap::new();
    for broadcast in recent.items {
        if broadcast
            .started_ms
            .is_none_or(|s| now_ms.saturating_sub(s) > 7 * DAY_MS)
        {
            continue;
        }
        let id = outbox_id(&broadcast.id, citizen_key);
        if seen.insert(id.clone(), ()).is_some() || outbox.get_outbox(&id).await?.is_none() {
            continue;
        }
        if let Some(counts) = outcome_counts(&id, OPTED_OUT, None, now_ms) {
            stats::record(Some(counters), &[counts]).await;
        }
    }
    Ok(())
}

#[cfg(test)]
mod pace_tests {
    use super::{Pace, PACE_CATCH_UP_MS};

    /// Sends `count` messages from `now`, waiting as the pace says; returns the clock after.
    fn send(pace: &mut Pace, mut now: i64, count: usize, sent_at: &mut Vec<i64>) -> i64 {
        for _ in 0..count {
            if let Some(wait) = pace.wait(now) {
                now += wait.as_millis() as i64;
            }
            sent_at.push(now);
            pace.sent();
        }
        now
    }

    #[test]
    fn the_pause_between_pages_is_made_up_so_the_rate_holds() {
        // 100 a second; two pages of 200 with 100 ms between them (the checkpoint).
        let mut pace = Pace::new(100.0, 0);
        let mut sent_at = Vec::new();
        let now = send(&mut pace, 0, 200, &mut sent_at);
        send(&mut pace, now + 100, 200, &mut sent_at);
        // The 400th send is due at 399 × 10 ms, as if there had been no pause.
        assert_eq!(sent_at.last(), Some(&3_990));
        // Catching up never exceeds the rate by more than the catch-up allowance.
        for (i, at) in sent_at.iter().enumerate() {
            let in_window = sent_at[i..].iter().take_while(|t| **t < at + 1000).count();
            assert!(
                in_window <= 100 + 10,
                "{in_window} sends in the second from {at} ms"
            );
        }
    }

    #[test]
    fn a_stall_starts_a_new_timeline_instead_of_a_burst() {
        let mut pace = Pace::new(100.0, 0);
        let mut sent_at = Vec::new();
        let now = send(&mut pace, 0, 50, &mut sent_at);
        let resumed = now + PACE_CATCH_UP_MS + 2_000;
        sent_at.clear();
        send(&mut pace, resumed, 300, &mut sent_at);
        let first_second = sent_at.iter().filter(|t| **t < resumed + 1000).count();
        assert_eq!(first_second, 100, "paced from the end of the stall");
    }

    #[test]
    fn a_new_rate_starts_a_new_timeline() {
        let mut pace = Pace::new(100.0, 0);
        let mut sent_at = Vec::new();
        let now = send(&mut pace, 0, 100, &mut sent_at);
        pace.set_rate(50.0, now);
        sent_at.clear();
        let end = send(&mut pace, now, 51, &mut sent_at);
        assert_eq!(
            end - now,
            1_000,
            "50 intervals of 20 ms after the first send"
        );
    }
}
