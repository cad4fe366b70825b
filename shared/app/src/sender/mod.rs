//! Reliable sending: every outbound message is an outbox record first, then a Graph call made
//! under Meta's rules (`error.code` decides), then moved forward by status webhooks.
//!
//! Rules (Meta Cloud API: sending, error codes, pair rate limit):
//! - throttling and temporary downtime (`Retryable`: 130429, 131056, 2, 4, 80007, 131016, 131057,
//!   133004, connection errors) → retry after `base × 4^n` (±jitter), at most `max_attempts`
//!   requests per call; when they are used up the caller gets [`SenderError::Exhausted`] and
//!   must let the queue redeliver the item later (the record stays `Pending` and is resumed);
//! - 5xx or a timeout after the request left (`Ambiguous`) → the message may be out: wait up to
//!   `reconcile_wait` for a status webhook carrying our outbox id before sending again;
//! - 131047 (outside the 24-hour window) → the configured utility template, under its own
//!   outbox id ([`template_outbox_id`]), else `Undeliverable`;
//! - token/account problems (`Fatal`) → no retry, one operator alert per cause and day;
//! - any other code → recorded, not retried.
//!
//! Free-form messages are never attempted while the window is [`Window::Closed`].
//!
//! Status webhooks travel on another FIFO group than the citizen's messages, so
//! [`ReliableSender::apply_status`] can run while [`ReliableSender::send`] is waiting. The
//! outbox port has no conditional update, so each write re-reads the record and merges into
//! it; this narrows, but cannot close, the window in which the two overwrite each other.

mod statuses;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rand::Rng;
use serde_json::Value;
use tracing::{info, warn};

use prolink_domain::calendar::DAY_MS;
use prolink_whatsapp::outbound::ReplyAddress;
use prolink_whatsapp::outbound::{self, Template};

use crate::ports::{
    Clock, ConversationLog, Messenger, OperatorAlert, OperatorSignals, OutboundMessage,
    OutboxRecord, OutboxState, OutboxStore, PortError, SendError, StatsCounters,
};
use crate::stats;

/// Meta's customer service window.
pub const WINDOW_MS: i64 = DAY_MS;
/// Reserved key of an outbox record body holding the fallback template (the exact Graph body,
/// without callback data). Never sent: [`wire_body`] strips it.
pub const FALLBACK_KEY: &str = "_prolink_fallback";
/// Re-engagement required: free-form message outside the 24-hour window.
pub const CODE_OUTSIDE_WINDOW: i64 = 131047;
/// No single wait is longer than a Lambda invocation may last; beyond that the queue's
/// redelivery is the better timer.
pub const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);
/// Error texts kept on the record are for operators; Graph messages are short, but a proxy
/// page is not.
const MAX_ERROR_CHARS: usize = 500;

/// Waits between attempts. Injected so tests record the waits instead of sleeping them out.
#[async_trait]
pub trait Sleeper: Send + Sync {
    async fn sleep(&self, duration: Duration);
}

#[derive(Debug, Default, Clone, Copy)]
pub struct TokioSleeper;

#[async_trait]
impl Sleeper for TokioSleeper {
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// How hard to try.
#[derive(Debug, Clone, PartialEq)]
pub struct SendPolicy {
    /// Graph requests per `send` call (≥ 1), retries and reconcile retries included.
    pub max_attempts: u32,
    /// First backoff; retry `n` (0-based) waits `base_backoff × 4^n` (Meta's pair-rate advice).
    pub base_backoff: Duration,
    /// Random spread of each backoff, as a fraction (0.2 = ±20 %), so that the retries of
    /// several workers throttled together do not hit Meta together again.
    pub jitter: f64,
    /// How long to wait for a status webhook after an ambiguous failure (≤ 30 s).
    pub reconcile_wait: Duration,
    /// How often to look at the outbox record during that wait.
    pub reconcile_poll: Duration,
    /// Lifetime of outbox records.
    pub retention_days: i64,
}

impl Default for SendPolicy {
    fn default() -> Self {
        SendPolicy {
            max_attempts: 4,
            base_backoff: Duration::from_secs(1),
            jitter: 0.2,
            reconcile_wait: Duration::from_secs(10),
            reconcile_poll: Duration::from_millis(500),
            retention_days: crate::config::DEFAULT_RETENTION_DAYS,
        }
    }
}

impl SendPolicy {
    /// Wait before retry `retry` (0-based), jitter included, never above [`MAX_BACKOFF`].
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 4u32.checked_pow(retry).unwrap_or(u32::MAX);
        let nominal = self.base_backoff.saturating_mul(factor).min(MAX_BACKOFF);
        let jitter = self.jitter.clamp(0.0, 1.0);
        if jitter == 0.0 {
            return nominal;
        }
        let spread = rand::rng().random_range(-jitter..=jitter);
        Duration::try_from_secs_f64(nominal.as_secs_f64() * (1.0 + spread))
            .unwrap_or(nominal)
            .min(MAX_BACKOFF)
    }
}

/// Meta's 24-hour customer service window, as known from the citizen's last inbound message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Open,
    Closed,
}

/// Open iff the citizen wrote less than 24 hours ago. Never written → closed. A last inbound
/// time in the future (clock skew between writers) counts as open.
pub fn window(last_inbound_ms: Option<i64>, now_ms: i64) -> Window {
    match last_inbound_ms {
        Some(last) if now_ms.saturating_sub(last) < WINDOW_MS => Window::Open,
        _ => Window::Closed,
    }
}

/// The approved utility template that says what the message said, for when the window is
/// closed. Addressed like the message it replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fallback {
    pub template: Template,
}

/// What happened to a message. All are final: nothing more will be tried for this call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Meta accepted it (or a status webhook proved an ambiguous attempt went out).
    Sent { wamid: String },
    /// The outbox already held this id in a final state (redelivered inbound item): nothing
    /// was sent. For a message replaced by its template, the template record's state.
    AlreadyHandled { state: OutboxState },
    /// The free-form message could not go (window closed, 131047); its template did.
    SentAsTemplate { wamid: String },
    /// Given up without a Meta error code to blame: window closed and no template, or our own
    /// builder refused the body.
    Undeliverable { reason: String },
    /// Meta refused it (or reported `failed` while we reconciled); recorded, not retried.
    Rejected { code: i64, reason: String },
    /// Token, permission or account problem: recorded, operator alert raised, not retried.
    Fatal { code: i64, reason: String },
}

/// A failure the caller must not swallow: the queue item has to be redelivered later.
#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    /// Temporary failures used up every attempt; the record stays `Pending`.
    #[error("outbox {outbox_id}: still failing after {attempts} attempts: {last}")]
    Exhausted {
        outbox_id: String,
        attempts: u32,
        last: SendError,
    },
    #[error(transparent)]
    Store(#[from] PortError),
}

/// The outbox id of the template sent in place of the message `outbox_id`.
pub fn template_outbox_id(outbox_id: &str) -> String {
    format!("{outbox_id}.tpl")
}

/// The Graph body of a record, as sent (reserved keys removed).
pub fn wire_body(record: &OutboxRecord) -> Value {
    let mut body = record.body.clone();
    if let Value::Object(map) = &mut body {
        map.remove(FALLBACK_KEY);
    }
    body
}

/// The fallback template body stored with a record, if any.
pub fn stored_fallback(record: &OutboxRecord) -> Option<Value> {
    record
        .body
        .get(FALLBACK_KEY)
        .filter(|value| value.is_object())
        .cloned()
}

/// Where the last request of a message ended.
enum Ending {
    Accepted {
        wamid: String,
        /// The outbox record as `record_accepted` stored it (logged without reading it back).
        stored: OutboxRecord,
    },
    /// A status webhook arrived while reconciling an ambiguous attempt.
    Reconciled(OutboxRecord),
    OutsideWindow,
    Fatal {
        code: i64,
        message: String,
    },
    Rejected {
        code: i64,
        message: String,
    },
    Invalid(String),
}

pub struct ReliableSender {
    messenger: Arc<dyn Messenger>,
    outbox: Arc<dyn OutboxStore>,
    signals: Arc<dyn OperatorSignals>,
    clock: Arc<dyn Clock>,
    sleeper: Arc<dyn Sleeper>,
    policy: SendPolicy,
    /// Where outbound messages and their delivery states are logged per citizen.
    log: Option<Arc<dyn ConversationLog>>,
    /// Where every message Graph accepted is counted as a message out.
    counters: Option<Arc<dyn StatsCounters>>,
    /// Tombstones of erased citizens: nothing more is sent to their numbers.
    erasures: Option<Arc<dyn crate::ports::CitizenData>>,
}

impl ReliableSender {
    pub fn new(
        messenger: Arc<dyn Messenger>,
        outbox: Arc<dyn OutboxStore>,
        signals: Arc<dyn OperatorSignals>,
        clock: Arc<dyn Clock>,
        sleeper: Arc<dyn Sleeper>,
        policy: SendPolicy,
    ) -> Self {
        ReliableSender {
            messenger,
            outbox,
            signals,
            clock,
            sleeper,
            policy,
            log: None,
            counters: None,
            erasures: None,
        }
    }

    /// Refuses every message to a number (or user id) whose citizen was erased (UU 27/2022).
    pub fn with_erasures(mut self, erasures: Arc<dyn crate::ports::CitizenData>) -> Self {
        self.erasures = Some(erasures);
        self
    }

    /// Whether `citizen_key` or the message's address belongs to an erased citizen: an
    /// erased reporter's complaints carry a stand-in key, and their number a tombstone.
    async fn to_erased(
        &self,
        citizen_key: &str,
        message: &OutboundMessage,
    ) -> Result<bool, SenderError> {
        if prolink_domain::erasure::is_erased_key(citizen_key) {
            return Ok(true);
        }
        let Some(erasures) = &self.erasures else {
            return Ok(false);
        };
        let addresses: Vec<&str> = ["to", "recipient"]
            .iter()
            .filter_map(|field| message.body.get(*field).and_then(Value::as_str))
            .collect();
        if addresses.is_empty() {
            return Ok(false);
        }
        Ok(
            crate::citizen_rights::erased_at(erasures.as_ref(), &addresses)
                .await
                .map_err(SenderError::Store)?
                .is_some(),
        )
    }

    /// Counts every message Graph accepts (`msg_out`), once per outbox record: the dialog's
    /// replies, the complaint worker's notifications, the scheduler's reminders and the
    /// operators' replies all go through here, so this is the one place that sees them all.
    pub fn with_counters(mut self, counters: Arc<dyn StatsCounters>) -> Self {
        self.counters = Some(counters);
        self
    }

    /// Logs every message sent (and its delivery states) in the citizen's conversation.
    pub fn with_log(mut self, log: Arc<dyn ConversationLog>) -> Self {
        self.log = Some(log);
        self
    }

    pub fn log(&self) -> Option<&Arc<dyn ConversationLog>> {
        self.log.as_ref()
    }

    /// The outbox records this sender writes.
    pub fn outbox(&self) -> &Arc<dyn OutboxStore> {
        &self.outbox
    }

    pub fn policy(&self) -> &SendPolicy {
        &self.policy
    }

    /// Records the message in the outbox (keyed by `message.outbox_id`), then sends it. A
    /// record already in a final state is not sent again (redelivered inbound item); a
    /// `Pending` one is resumed. Outside the window (`Window::Closed`, or 131047 from Meta) the
    /// fallback template goes instead, or the message is recorded `Undeliverable`. Template
    /// messages are not free-form and are sent whatever the window.
    pub async fn send(
        &self,
        citizen_key: &str,
        window: Window,
        message: OutboundMessage,
        fallback: Option<Fallback>,
    ) -> Result<SendOutcome, SenderError> {
        self.send_as(citizen_key, window, message, fallback, None)
            .await
    }

    /// [`ReliableSender::send`] on behalf of `actor` (an operator), who the log names.
    pub async fn send_as(
        &self,
        citizen_key: &str,
        window: Window,
        message: OutboundMessage,
        fallback: Option<Fallback>,
        actor: Option<&str>,
    ) -> Result<SendOutcome, SenderError> {
        if self.to_erased(citizen_key, &message).await? {
            warn!(outbox_id = %message.outbox_id, "message to an erased citizen refused");
            return Ok(SendOutcome::Undeliverable {
                reason: "the citizen's data was erased; nothing more is sent to them".into(),
            });
        }
        let outbox_id = message.outbox_id.clone();
        let mut stored = None;
        let outcome = self
            .send_unlogged(citizen_key, window, message, fallback, &mut stored)
            .await?;
        match (&outcome, stored) {
            (SendOutcome::Sent { .. }, Some(record)) => self.log_stored(record, actor).await,
            (SendOutcome::SentAsTemplate { .. }, _) => {
                self.log_record(&template_outbox_id(&outbox_id), actor)
                    .await;
            }
            _ => self.log_record(&outbox_id, actor).await,
        }
        Ok(outcome)
    }

    /// Logs the outbox record `outbox_id` as it now stands and, once Graph accepted it,
    /// counts it as a message out. Best effort: the message is out (or given up) whatever the
    /// log and the counters say, so a failure is only reported.
    ///
    /// The count's event id is the outbox id and its day the record's creation day, so a
    /// redelivered item (which finds the record already sent) or a retried call adds nothing
    /// twice, yet still counts a record whose first run stopped between Graph and the count.
    pub(crate) async fn log_record(&self, outbox_id: &str, actor: Option<&str>) {
        if self.log.is_none() && self.counters.is_none() {
            return;
        }
        match self.outbox.get_outbox(outbox_id).await {
            Ok(Some(record)) => self.log_stored(record, actor).await,
            Ok(None) => {}
            Err(error) => warn!(outbox_id, %error, "outbound message not logged"),
        }
    }

    /// [`ReliableSender::log_record`] of a record in hand: the one `record_accepted` just
    /// stored, so a sent message costs no read of it back (one store call fewer per reply).
    async fn log_stored(&self, record: OutboxRecord, actor: Option<&str>) {
        let outbox_id = record.outbox_id.as_str();
        if let Some(log) = &self.log {
            if let Err(error) =
                crate::conversations::log_outbound(log.as_ref(), &record, actor).await
            {
                warn!(outbox_id, %error, "outbound message not logged");
            }
        }
        let accepted = matches!(
            record.state,
            OutboxState::Sent | OutboxState::Delivered | OutboxState::Read
        );
        if accepted {
            let mut counts = vec![stats::outbound_counts(outbox_id, record.created_ms)];
            counts.extend(stats::tier_counts(
                &record.citizen_key,
                &record.body,
                record.created_ms,
            ));
            stats::record(self.counters.as_deref(), &counts).await;
        }
    }

    async fn send_unlogged(
        &self,
        citizen_key: &str,
        window: Window,
        message: OutboundMessage,
        fallback: Option<Fallback>,
        stored: &mut Option<OutboxRecord>,
    ) -> Result<SendOutcome, SenderError> {
        let outbox_id = message.outbox_id.as_str();
        let mut body = outbound::with_callback(message.body.clone(), outbox_id);
        if let Some(fallback) = fallback {
            if let Some(template_body) = build_fallback(&body, &fallback.template, outbox_id) {
                if let Value::Object(map) = &mut body {
                    map.insert(FALLBACK_KEY.into(), template_body);
                }
            }
        }
        let record = self.new_record(outbox_id, citizen_key, body);
        let record = if self.outbox.create_outbox(&record).await? {
            record
        } else {
            let existing = self.outbox.get_outbox(outbox_id).await?.ok_or_else(|| {
                PortError::NotFound(format!("outbox {outbox_id} exists but cannot be read"))
            })?;
            info!(outbox_id, state = ?existing.state, "outbox record already exists");
            existing
        };

        match record.state {
            OutboxState::Pending => {}
            OutboxState::Sent | OutboxState::Delivered | OutboxState::Read => {
                return Ok(SendOutcome::AlreadyHandled {
                    state: record.state,
                });
            }
            OutboxState::Failed | OutboxState::Undeliverable => {
                // Replaced by its template earlier; that send may itself still be pending.
                if record.last_error_code == Some(CODE_OUTSIDE_WINDOW) {
                    if let Some(template_body) = stored_fallback(&record) {
                        return self.send_template(&record, template_body).await;
                    }
                }
                return Ok(SendOutcome::AlreadyHandled {
                    state: record.state,
                });
            }
        }

        let wire = wire_body(&record);
        if window == Window::Closed && !is_template(&wire) {
            info!(
                outbox_id,
                "24-hour window closed: free-form message not attempted"
            );
            return self
                .outside_window(
                    &record,
                    "24-hour window closed; free-form message not attempted",
                )
                .await;
        }
        match self.attempt(outbox_id, &wire).await? {
            Ending::Accepted {
                wamid,
                stored: record,
            } => {
                *stored = Some(record);
                Ok(SendOutcome::Sent { wamid })
            }
            Ending::Reconciled(found) => Ok(reconciled_outcome(found, false)),
            Ending::OutsideWindow => {
                self.outside_window(
                    &record,
                    "Meta refused the message: outside the 24-hour window (131047)",
                )
                .await
            }
            ending => self.conclude(outbox_id, ending).await,
        }
    }

    /// Best effort on receipt: marks the message (and the earlier ones) as read and shows the
    /// typing indicator until we answer. Failures are only logged.
    pub async fn mark_read(&self, inbound_wamid: &str) {
        let body = match outbound::mark_read(inbound_wamid, true) {
            Ok(body) => body,
            Err(error) => {
                warn!(%error, "mark-as-read not sent");
                return;
            }
        };
        let message = OutboundMessage {
            outbox_id: format!("read.{inbound_wamid}"),
            body,
        };
        if let Err(error) = self.messenger.send(&message).await {
            warn!(%error, "mark-as-read failed");
        }
    }

    fn new_record(&self, outbox_id: &str, citizen_key: &str, body: Value) -> OutboxRecord {
        let now = self.clock.now_ms();
        OutboxRecord {
            outbox_id: outbox_id.to_owned(),
            citizen_key: citizen_key.to_owned(),
            body,
            state: OutboxState::Pending,
            wamid: None,
            attempts: 0,
            last_error_code: None,
            last_error: None,
            created_ms: now,
            updated_ms: now,
            expires_at_ms: now.saturating_add(self.policy.retention_days.saturating_mul(DAY_MS)),
        }
    }

    /// The free-form message cannot go: record it `Undeliverable` (code 131047), then send the
    /// stored template if there is one.
    async fn outside_window(
        &self,
        record: &OutboxRecord,
        reason: &str,
    ) -> Result<SendOutcome, SenderError> {
        let template_body = stored_fallback(record);
        let final_record = self
            .finalize(
                &record.outbox_id,
                OutboxState::Undeliverable,
                Some(CODE_OUTSIDE_WINDOW),
                reason,
            )
            .await?;
        // A status that arrived meanwhile may show the message went out after all.
        if final_record.state != OutboxState::Undeliverable {
            return Ok(reconciled_outcome(final_record, false));
        }
        match template_body {
            Some(template_body) => self.send_template(&final_record, template_body).await,
            None => Ok(SendOutcome::Undeliverable {
                reason: reason.to_owned(),
            }),
        }
    }

    /// Sends the template standing in for `main` under its own outbox id, once.
    async fn send_template(
        &self,
        main: &OutboxRecord,
        template_body: Value,
    ) -> Result<SendOutcome, SenderError> {
        let outbox_id = template_outbox_id(&main.outbox_id);
        let body = outbound::with_callback(template_body, &outbox_id);
        let record = self.new_record(&outbox_id, &main.citizen_key, body);
        let record = if self.outbox.create_outbox(&record).await? {
            record
        } else {
            let existing = self.outbox.get_outbox(&outbox_id).await?.ok_or_else(|| {
                PortError::NotFound(format!("outbox {outbox_id} exists but cannot be read"))
            })?;
            if existing.state != OutboxState::Pending {
                return Ok(SendOutcome::AlreadyHandled {
                    state: existing.state,
                });
            }
            existing
        };
        let wire = wire_body(&record);
        match self.attempt(&outbox_id, &wire).await? {
            Ending::Accepted { wamid, .. } => Ok(SendOutcome::SentAsTemplate { wamid }),
            Ending::Reconciled(found) => Ok(reconciled_outcome(found, true)),
            // Templates are the one thing allowed outside the window; Meta saying otherwise
            // is a refusal like any other.
            Ending::OutsideWindow => {
                self.conclude(
                    &outbox_id,
                    Ending::Rejected {
                        code: CODE_OUTSIDE_WINDOW,
                        message: "template refused as outside the 24-hour window".into(),
                    },
                )
                .await
            }
            ending => self.conclude(&outbox_id, ending).await,
        }
    }

    /// Records a final refusal (and alerts on `Fatal`).
    async fn conclude(&self, outbox_id: &str, ending: Ending) -> Result<SendOutcome, SenderError> {
        let (code, reason, outcome) = match ending {
            Ending::Fatal { code, message } => {
                // Alert first: if recording fails, the item is redelivered, the record is
                // still pending, and the alert gets another chance.
                self.signals
                    .raise_alert(&fatal_alert(code, &message, self.clock.now_ms()))
                    .await?;
                let outcome = SendOutcome::Fatal {
                    code,
                    reason: message.clone(),
                };
                (Some(code), message, outcome)
            }
            Ending::Rejected { code, message } => {
                let outcome = SendOutcome::Rejected {
                    code,
                    reason: message.clone(),
                };
                (Some(code), message, outcome)
            }
            Ending::Invalid(message) => {
                let outcome = SendOutcome::Undeliverable {
                    reason: message.clone(),
                };
                (None, message, outcome)
            }
            Ending::Accepted { wamid, .. } => return Ok(SendOutcome::Sent { wamid }),
            Ending::Reconciled(found) => return Ok(reconciled_outcome(found, false)),
            Ending::OutsideWindow => {
                let reason = "outside the 24-hour window (131047)".to_owned();
                let outcome = SendOutcome::Undeliverable {
                    reason: reason.clone(),
                };
                (Some(CODE_OUTSIDE_WINDOW), reason, outcome)
            }
        };
        warn!(outbox_id, ?code, %reason, "message given up");
        let record = self
            .finalize(outbox_id, OutboxState::Undeliverable, code, &reason)
            .await?;
        if record.state != OutboxState::Undeliverable {
            return Ok(reconciled_outcome(record, false));
        }
        Ok(outcome)
    }

    /// Requests until the message is accepted, refused for good, or the attempts run out.
    async fn attempt(&self, outbox_id: &str, body: &Value) -> Result<Ending, SenderError> {
        let message = OutboundMessage {
            outbox_id: outbox_id.to_owned(),
            body: body.clone(),
        };
        let max_attempts = self.policy.max_attempts.max(1);
        let mut retries = 0u32;
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let error = match self.messenger.send(&message).await {
                Ok(receipt) => {
                    let stored = self.record_accepted(outbox_id, &receipt.wamid).await?;
                    return Ok(Ending::Accepted {
                        wamid: receipt.wamid,
                        stored,
                    });
                }
                Err(error) => error,
            };
            self.record_failed_attempt(outbox_id, &error).await?;
            match &error {
                SendError::Retryable { code, message } => {
                    warn!(outbox_id, attempts, ?code, %message, "temporary send failure");
                    if attempts < max_attempts {
                        self.sleeper.sleep(self.policy.backoff(retries)).await;
                        retries += 1;
                    }
                }
                SendError::Ambiguous { message } => {
                    warn!(outbox_id, attempts, %message, "ambiguous send failure; reconciling");
                    if let Some(found) = self.reconcile(outbox_id).await? {
                        return Ok(Ending::Reconciled(found));
                    }
                }
                SendError::OutsideWindow => return Ok(Ending::OutsideWindow),
                SendError::Fatal { code, message } => {
                    return Ok(Ending::Fatal {
                        code: *code,
                        message: message.clone(),
                    })
                }
                SendError::Rejected { code, message } => {
                    return Ok(Ending::Rejected {
                        code: *code,
                        message: message.clone(),
                    })
                }
                SendError::Invalid(message) => return Ok(Ending::Invalid(message.clone())),
            }
            if attempts >= max_attempts {
                return Err(SenderError::Exhausted {
                    outbox_id: outbox_id.to_owned(),
                    attempts,
                    last: error,
                });
            }
        }
    }

    /// After an ambiguous failure: waits up to `reconcile_wait` for a status webhook (which
    /// sets the wamid) on the record. `None` when none came, i.e. it is safe to send again.
    async fn reconcile(&self, outbox_id: &str) -> Result<Option<OutboxRecord>, SenderError> {
        let wait = self.policy.reconcile_wait;
        let poll = self.policy.reconcile_poll.max(Duration::from_millis(1));
        let mut waited = Duration::ZERO;
        loop {
            if let Some(record) = self.outbox.get_outbox(outbox_id).await? {
                if record.wamid.is_some() && record.state != OutboxState::Pending {
                    info!(outbox_id, state = ?record.state, "status arrived; not sending again");
                    return Ok(Some(record));
                }
            }
            if waited >= wait {
                return Ok(None);
            }
            let step = poll.min(wait - waited);
            self.sleeper.sleep(step).await;
            waited += step;
        }
    }

    async fn load(&self, outbox_id: &str) -> Result<OutboxRecord, SenderError> {
        self.outbox.get_outbox(outbox_id).await?.ok_or_else(|| {
            SenderError::Store(PortError::NotFound(format!(
                "outbox {outbox_id} vanished while sending"
            )))
        })
    }

    async fn record_accepted(
        &self,
        outbox_id: &str,
        wamid: &str,
    ) -> Result<OutboxRecord, SenderError> {
        let mut record = self.load(outbox_id).await?;
        record.attempts = record.attempts.saturating_add(1);
        // A status webhook may have moved it further already.
        if !matches!(
            record.state,
            OutboxState::Sent | OutboxState::Delivered | OutboxState::Read
        ) {
            record.state = OutboxState::Sent;
        }
        if !wamid.is_empty() {
            record.wamid = Some(wamid.to_owned());
        }
        record.updated_ms = self.clock.now_ms();
        self.outbox.put_outbox(&record).await?;
        Ok(record)
    }

    async fn record_failed_attempt(
        &self,
        outbox_id: &str,
        error: &SendError,
    ) -> Result<(), SenderError> {
        let mut record = self.load(outbox_id).await?;
        record.attempts = record.attempts.saturating_add(1);
        record.last_error_code = match error {
            SendError::Retryable { code, .. } => *code,
            SendError::OutsideWindow => Some(CODE_OUTSIDE_WINDOW),
            SendError::Fatal { code, .. } | SendError::Rejected { code, .. } => Some(*code),
            SendError::Ambiguous { .. } | SendError::Invalid(_) => None,
        };
        record.last_error = Some(truncate(&error.to_string()));
        record.updated_ms = self.clock.now_ms();
        self.outbox.put_outbox(&record).await?;
        Ok(())
    }

    /// Moves a record to a final failure state unless a status webhook already showed it went
    /// out. Returns the record as stored.
    async fn finalize(
        &self,
        outbox_id: &str,
        state: OutboxState,
        code: Option<i64>,
        reason: &str,
    ) -> Result<OutboxRecord, SenderError> {
        let mut record = self.load(outbox_id).await?;
        if matches!(
            record.state,
            OutboxState::Sent | OutboxState::Delivered | OutboxState::Read
        ) {
            return Ok(record);
        }
        record.state = state;
        record.last_error_code = code;
        record.last_error = Some(truncate(reason));
        record.updated_ms = self.clock.now_ms();
        self.outbox.put_outbox(&record).await?;
        Ok(record)
    }
}

fn reconciled_outcome(record: OutboxRecord, as_template: bool) -> SendOutcome {
    match (record.state, record.wamid) {
        (OutboxState::Sent | OutboxState::Delivered | OutboxState::Read, Some(wamid)) => {
            if as_template {
                SendOutcome::SentAsTemplate { wamid }
            } else {
                SendOutcome::Sent { wamid }
            }
        }
        (OutboxState::Failed, _) => SendOutcome::Rejected {
            code: record.last_error_code.unwrap_or(0),
            reason: record
                .last_error
                .unwrap_or_else(|| "Meta reported the message failed".into()),
        },
        (state, _) => SendOutcome::AlreadyHandled { state },
    }
}

fn is_template(body: &Value) -> bool {
    body.get("type").and_then(Value::as_str) == Some("template")
}

/// Builds the fallback template's Graph body, addressed like `body`. A template that does not
/// build is a configuration bug: logged, and the message goes on without a fallback.
fn build_fallback(body: &Value, template: &Template, outbox_id: &str) -> Option<Value> {
    let text = |key: &str| {
        body.get(key)
            .and_then(Value::as_str)
            .filter(|value| !value.trim().is_empty())
            .map(str::to_owned)
    };
    let address = match (text("to"), text("recipient")) {
        (Some(phone), _) => ReplyAddress::Phone(phone),
        (None, Some(user_id)) => ReplyAddress::UserId(user_id),
        (None, None) => {
            warn!(
                outbox_id,
                "fallback template ignored: the message has no recipient"
            );
            return None;
        }
    };
    match outbound::template(&address, template) {
        Ok(body) => Some(body),
        Err(error) => {
            warn!(outbox_id, %error, "fallback template ignored: it does not build");
            None
        }
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(MAX_ERROR_CHARS).collect()
}

/// One alert per cause and UTC day: retried messages and other citizens' messages hitting the
/// same broken token raise it once, and it comes back the next day if still unfixed.
fn fatal_alert(code: i64, message: &str, now_ms: i64) -> OperatorAlert {
    let (kind, text) = match code {
        0 | 190 => (
            "graph_token",
            "Token akses atau konfigurasi WhatsApp Cloud API ditolak Meta. Perbarui token \
             system user di secret WhatsApp (atau periksa URL dan versi Graph API); balasan ke \
             warga tidak terkirim sampai ini diperbaiki.",
        ),
        368 | 131031 => (
            "graph_account",
            "Akun WhatsApp Business dibatasi atau dikunci oleh Meta. Periksa WhatsApp Manager \
             dan ajukan banding bila perlu; balasan ke warga tidak terkirim.",
        ),
        _ => (
            "graph_permission",
            "Izin aplikasi untuk WhatsApp Cloud API kurang atau dicabut. Periksa izin \
             whatsapp_business_messaging pada system user; balasan ke warga tidak terkirim.",
        ),
    };
    let day = chrono::DateTime::from_timestamp_millis(now_ms)
        .map(|time| time.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    OperatorAlert {
        id: format!("{kind}:{day}"),
        kind: kind.to_owned(),
        message: format!(
            "{text} (Kode Meta {code}. Detail teknis: {})",
            truncate(message)
        ),
        citizen_key: None,
        raised_ms: now_ms,
        opd_id: None,
    }
}

#[cfg(test)]
mod tests;
