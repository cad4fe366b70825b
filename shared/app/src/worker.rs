//! The dialog worker: consumes the inbound queue, one batch at a time.
//!
//! Rules that make redelivery safe:
//! - an item whose dedup id carries a "done" mark is skipped (Meta duplicates, SQS redelivery);
//! - the mark is written only after every side effect of the item succeeded;
//! - a message's dialog turn is applied once: the session stores the wamid it last applied and
//!   the reply bodies it produced, so a redelivery re-sends those bodies instead of running the
//!   dialog again, and the outbox ids derive from the wamid, so nothing is sent twice;
//! - FIFO rule, per group: after an item fails, it and every later item of the same group
//!   (citizen) are reported failed, so a citizen's messages are never answered out of order.
//!   Items of other groups in the same batch are still processed: stopping them too would
//!   raise their receive count and let one poison message dead-letter other citizens' messages.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::{info, info_span, warn, Instrument};

use prolink_domain::calendar::DAY_MS;
use prolink_domain::{
    calendar,
    citizen::CitizenRef,
    complaint::{find_ticket, Complaint},
    dialog::{self, ComplaintOp, DialogEnv, Reply, Session, Turn},
    nlp::rephrase::rephrased_message,
};
use prolink_whatsapp::{
    outbound,
    webhook::{InboundMessage, InteractiveReply, MessageContent, MessageStatus, SystemKind},
};

use crate::citizen_rights;
use crate::content_cache::{ContentError, ContentSource, LoadedContent, CONTENT_REFRESH};
use crate::conversations::{inbound_entry, Conversations};
use crate::dialog_input::{answer_inbound, dialog_inbound};
use crate::ids::short_hash;
use crate::notifier::Notifier;
use crate::ports::Rephraser;
use crate::ports::{
    BroadcastStore, CitizenData, CitizenProfile, CitizenStore, Clock, ComplaintStore, ContentStore,
    ConversationLog, DedupStore, Delivery, Messenger, OperatorAlert, OperatorSignals,
    OutboundMessage, OutboxStore, PortError, Queue, SessionStore, SettingsStore, StatsCounters,
    StatusLog, StoredSession, UnansweredQuestion,
};
use crate::render::{reply_body, ReplyTo};
use crate::rephrasing::rephrase_or_verbatim;
use crate::sender::{window, ReliableSender, SendPolicy, SenderError, TokioSleeper};
use crate::stats;
use crate::tasks::Task;
use crate::webhook_item::{status_record, WebhookItem};

/// One queue message as the worker sees it, whatever queue delivered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchItem {
    pub message_id: String,
    /// FIFO group (the citizen): order only matters inside one group.
    pub group_id: String,
    pub dedup_id: String,
    pub body: String,
}

impl From<&Delivery> for BatchItem {
    fn from(delivery: &Delivery) -> BatchItem {
        BatchItem {
            message_id: delivery.message_id.clone(),
            group_id: delivery.group_id.clone(),
            dedup_id: delivery.dedup_id.clone(),
            body: delivery.body.clone(),
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Message ids to redeliver: each failed item and the later items of its group.
    pub failed: Vec<String>,
    /// The part of `failed` that was never attempted (held behind a failed item of its
    /// group): the queue should give these back without counting the receive.
    pub held_back: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("queue body is not a webhook item: {0}")]
    Body(#[from] serde_json::Error),
    #[error(transparent)]
    Store(#[from] PortError),
    #[error(transparent)]
    Send(#[from] SenderError),
    #[error("content unavailable: {0}")]
    Content(String),
}

impl From<ContentError> for WorkerError {
    fn from(error: ContentError) -> WorkerError {
        match error {
            ContentError::Store(error) => WorkerError::Store(error),
            ContentError::Seed(report) => WorkerError::Content(report),
        }
    }
}

/// Every store the worker touches; one adapter value (SQLite or DynamoDB) usually fills all.
#[derive(Clone)]
pub struct WorkerStores {
    pub dedup: Arc<dyn DedupStore>,
    pub statuses: Arc<dyn StatusLog>,
    pub citizens: Arc<dyn CitizenStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub signals: Arc<dyn OperatorSignals>,
    pub content: Arc<dyn ContentStore>,
    pub outbox: Arc<dyn OutboxStore>,
    pub complaints: Arc<dyn ComplaintStore>,
    pub stats: Arc<dyn StatsCounters>,
    pub conversations: Arc<dyn ConversationLog>,
    /// Meta's template statuses and the number's quality (read by broadcasts).
    pub settings: Arc<dyn SettingsStore>,
    /// Tombstones of erased citizens and their erasure requests.
    pub erasures: Arc<dyn CitizenData>,
    /// The broadcasts an opt-out is counted against.
    pub broadcasts: Arc<dyn BroadcastStore>,
}

impl WorkerStores {
    pub fn from_store<S>(store: Arc<S>) -> WorkerStores
    where
        S: DedupStore
            + StatusLog
            + CitizenStore
            + SessionStore
            + OperatorSignals
            + ContentStore
            + OutboxStore
            + ComplaintStore
            + StatsCounters
            + ConversationLog
            + SettingsStore
            + CitizenData
            + BroadcastStore
            + 'static,
    {
        WorkerStores {
            dedup: store.clone(),
            statuses: store.clone(),
            citizens: store.clone(),
            sessions: store.clone(),
            signals: store.clone(),
            content: store.clone(),
            outbox: store.clone(),
            complaints: store.clone(),
            stats: store.clone(),
            settings: store.clone(),
            broadcasts: store.clone(),
            conversations: store.clone(),
            erasures: store,
        }
    }
}

#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub retention_days: i64,
    /// `PROLINK_SHOW_UNVERIFIED`: answer unverified entries with a note, or refer to the OPD.
    pub show_unverified: bool,
    pub send_policy: SendPolicy,
    /// How long loaded content (and the answering index built from it) is reused.
    pub content_refresh: Duration,
}

impl WorkerSettings {
    pub fn new(retention_days: i64, show_unverified: bool) -> WorkerSettings {
        WorkerSettings {
            retention_days,
            show_unverified,
            send_policy: SendPolicy {
                retention_days,
                ..SendPolicy::default()
            },
            content_refresh: CONTENT_REFRESH,
        }
    }
}

pub struct DialogWorker {
    pub stores: WorkerStores,
    pub clock: Arc<dyn Clock>,
    pub settings: WorkerSettings,
    /// Where complaint tasks go (media copy, OPD alerts, duplicate check). `None` only in
    /// tests that do not look at them.
    pub tasks: Option<Arc<dyn Queue>>,
    /// The optional generative step (`PROLINK_REPHRASE_MODEL_ID`): rewords FAQ answers to
    /// typed questions. `None` (the default) sends every answer as written.
    pub rephraser: Option<Arc<dyn Rephraser>>,
    /// Sends the replies (and, through its reliable sender, read receipts and statuses).
    notifier: Notifier,
    /// Content and answering index; shared with the other workers when they run in one
    /// process (see [`DialogWorker::with_content`]).
    content: Arc<ContentSource>,
}

/// How many of a citizen's complaints a turn sees (tracking lists at most 10).
const OWN_COMPLAINTS_LIMIT: usize = 20;
/// Runs of one turn when its complaint writes lose a race or hit a taken ticket id.
const COMPLAINT_TURN_ATTEMPTS: u32 = 4;

/// Why a turn's complaint writes did not all go through.
enum OpsRefused {
    /// Another complaint already has the new ticket id: run the turn with the next id.
    TicketTaken,
    /// A complaint changed since it was read (operator at the same moment): reload, rerun.
    Stale,
}

/// What the session stores besides the dialog state: the last applied message and the reply
/// bodies it produced, so a redelivery re-sends exactly those.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct SessionEnvelope {
    #[serde(default)]
    dialog: Session,
    #[serde(default)]
    last_applied: Option<AppliedTurn>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct AppliedTurn {
    wamid: String,
    replies: Vec<Value>,
}

impl SessionEnvelope {
    fn from_stored(stored: Option<&StoredSession>) -> SessionEnvelope {
        match stored {
            None => SessionEnvelope::default(),
            Some(stored) => serde_json::from_str(&stored.data).unwrap_or_else(|error| {
                warn!(%error, "stored session unreadable; starting a new one");
                SessionEnvelope::default()
            }),
        }
    }
}

impl DialogWorker {
    pub fn new(
        stores: WorkerStores,
        messenger: Arc<dyn Messenger>,
        clock: Arc<dyn Clock>,
        settings: WorkerSettings,
    ) -> DialogWorker {
        let sender = Arc::new(
            ReliableSender::new(
                messenger,
                stores.outbox.clone(),
                stores.signals.clone(),
                clock.clone(),
                Arc::new(TokioSleeper),
                settings.send_policy.clone(),
            )
            .with_log(stores.conversations.clone())
            .with_counters(stores.stats.clone())
            .with_erasures(stores.erasures.clone()),
        );
        let content = Arc::new(ContentSource::new(
            stores.content.clone(),
            settings.content_refresh,
        ));
        DialogWorker {
            stores,
            notifier: Notifier::new(sender),
            clock,
            settings,
            tasks: None,
            rephraser: None,
            content,
        }
    }

    /// Reads content through `content` (one source for every worker of a process).
    pub fn with_content(mut self, content: Arc<ContentSource>) -> DialogWorker {
        self.content = content;
        self
    }

    /// Complaint changes put their follow-up work on `tasks`.
    pub fn with_tasks(mut self, tasks: Arc<dyn Queue>) -> DialogWorker {
        self.tasks = Some(tasks);
        self
    }

    /// FAQ answers to typed questions go through `rephraser` first (see
    /// [`DialogWorker::rephrase`]).
    pub fn with_rephraser(mut self, rephraser: Arc<dyn Rephraser>) -> DialogWorker {
        self.rephraser = Some(rephraser);
        self
    }

    pub async fn process_batch(&self, items: &[BatchItem]) -> BatchOutcome {
        let mut failed_groups: Vec<&str> = Vec::new();
        let mut outcome = BatchOutcome::default();
        for item in items {
            if failed_groups.contains(&item.group_id.as_str()) {
                outcome.failed.push(item.message_id.clone());
                outcome.held_back.push(item.message_id.clone());
                continue;
            }
            let span = info_span!(
                "inbound_item",
                message_id = %item.message_id,
                dedup_id = %item.dedup_id
            );
            if let Err(error) = self.process_one(item).instrument(span).await {
                warn!(
                    message_id = %item.message_id,
                    %error,
                    "inbound item failed; it and the later items of its group go back to the queue"
                );
                failed_groups.push(&item.group_id);
                outcome.failed.push(item.message_id.clone());
            }
        }
        outcome
    }

    async fn process_one(&self, item: &BatchItem) -> Result<(), WorkerError> {
        let mark_key = format!("inbound#{}", item.dedup_id);
        if self.stores.dedup.is_marked(&mark_key).await? {
            info!("duplicate inbound item skipped");
            return Ok(());
        }
        let webhook_item: WebhookItem = serde_json::from_str(&item.body)?;
        if self.erased_before(&webhook_item).await? {
            // Queued before the citizen was erased (SQS cannot be edited): dropped unseen, and
            // marked so a redelivery is not looked at again.
            info!("inbound item of an erased citizen dropped");
        } else {
            self.handle_item(item, &webhook_item).await?;
        }
        let expires_at_ms = self.clock.now_ms() + crate::config::DEDUP_TTL_DAYS * DAY_MS;
        // Losing this race means another consumer finished the same item: nothing to undo.
        self.stores.dedup.mark(&mark_key, expires_at_ms).await?;
        Ok(())
    }

    /// Whether the item belongs to an erased citizen: a message sent before the erasure, or
    /// any status of what we sent them. A message written after the erasure is a citizen who
    /// came back: their tombstone is lifted and the message handled like a first one.
    async fn erased_before(&self, item: &WebhookItem) -> Result<bool, WorkerError> {
        let erasures = self.stores.erasures.as_ref();
        match item {
            WebhookItem::Message {
                citizen, message, ..
            } => {
                let identifiers = identifiers_of(citizen);
                let Some(erased_at) = citizen_rights::erased_at(erasures, &identifiers).await?
                else {
                    return Ok(false);
                };
                let sent_ms = message
                    .timestamp_secs()
                    .map_or(i64::MAX, |secs| secs.saturating_mul(1000));
                if sent_ms <= erased_at {
                    return Ok(true);
                }
                citizen_rights::lift(erasures, &identifiers).await?;
                Ok(false)
            }
            WebhookItem::Status { status, .. } => match status.recipient_key() {
                Some(recipient) => Ok(citizen_rights::erased_at(erasures, &[recipient])
                    .await?
                    .is_some()),
                None => Ok(false),
            },
            WebhookItem::Error { .. }
            | WebhookItem::TemplateStatus { .. }
            | WebhookItem::PhoneQuality { .. } => Ok(false),
        }
    }

    async fn handle_item(
        &self,
        item: &BatchItem,
        webhook_item: &WebhookItem,
    ) -> Result<(), WorkerError> {
        match webhook_item {
            WebhookItem::Message {
                citizen, message, ..
            } => self.handle_message(citizen, message).await?,
            WebhookItem::Status { status, .. } => self.handle_status(status).await?,
            WebhookItem::Error { error, .. } => {
                // Account- or app-level trouble (throughput, policy, payment …): no citizen
                // message to correlate, so an operator must see it.
                warn!(code = ?error.code, "system-level error reported by Meta");
                let detail = error
                    .details()
                    .or(error.message.as_deref())
                    .or(error.title.as_deref())
                    .unwrap_or("tanpa keterangan");
                self.stores
                    .signals
                    .raise_alert(&OperatorAlert {
                        id: format!("meta_error.{}", short_hash(&item.dedup_id)),
                        kind: "meta_error".to_string(),
                        message: format!(
                            "Meta melaporkan kesalahan sistem (kode {}): {detail}",
                            error
                                .code
                                .map_or_else(|| "-".to_string(), |code| code.to_string())
                        ),
                        citizen_key: None,
                        raised_ms: self.clock.now_ms(),
                        opd_id: None,
                    })
                    .await?;
            }
            WebhookItem::TemplateStatus {
                name,
                language,
                event,
                reason,
                ..
            } => {
                self.handle_template_status(name, language, event, reason)
                    .await?
            }
            WebhookItem::PhoneQuality {
                event,
                current_limit,
                ..
            } => self.handle_quality(event, current_limit).await?,
        }
        Ok(())
    }

    async fn content(&self) -> Result<Arc<LoadedContent>, WorkerError> {
        Ok(self.content.load().await?)
    }

    /// The canonical key of a citizen: whatever key an earlier identifier of theirs already
    /// points to (so a phone-keyed citizen later seen with a business-scoped id stays one
    /// person), else this message's key. Every identifier is pointed at it.
    async fn resolve_identity(&self, citizen: &CitizenRef) -> Result<String, WorkerError> {
        let identifiers = identifiers_of(citizen);
        let mut canonical = None;
        let mut pointers = Vec::with_capacity(identifiers.len());
        for identifier in &identifiers {
            let pointer = self.stores.citizens.resolve_alias(identifier).await?;
            if canonical.is_none() {
                canonical.clone_from(&pointer);
            }
            pointers.push(pointer);
        }
        let canonical = canonical.unwrap_or_else(|| citizen.key.clone());
        for (identifier, pointer) in identifiers.iter().zip(pointers) {
            if pointer.as_deref() != Some(canonical.as_str()) {
                self.stores
                    .citizens
                    .put_alias(identifier, &canonical)
                    .await?;
            }
        }
        Ok(canonical)
    }

    /// `user_changed_number` / `user_changed_user_id`: the new identifier joins the old one.
    async fn apply_identity_change(
        &self,
        citizen: &CitizenRef,
        event: &prolink_whatsapp::webhook::SystemEvent,
    ) -> Result<(), WorkerError> {
        let canonical = self.resolve_identity(citizen).await?;
        let new_identifier = match event.system_kind() {
            SystemKind::UserChangedNumber => event.wa_id.clone(),
            SystemKind::UserChangedUserId => event.user_id.clone(),
            SystemKind::Unknown(_) => None,
        };
        let Some(new_identifier) = new_identifier.filter(|id| !id.is_empty()) else {
            info!("system message without a new identifier ignored");
            return Ok(());
        };
        self.stores
            .citizens
            .put_alias(&new_identifier, &canonical)
            .await?;
        if let Some(mut profile) = self.stores.citizens.get_citizen(&canonical).await? {
            match event.system_kind() {
                SystemKind::UserChangedNumber => profile.wa_id = Some(new_identifier),
                _ => profile.user_id = Some(new_identifier),
            }
            profile.updated_ms = self.clock.now_ms();
            self.stores.citizens.put_citizen(&profile).await?;
        }
        info!("citizen identity change recorded");
        Ok(())
    }

    async fn handle_message(
        &self,
        citizen: &CitizenRef,
        message: &InboundMessage,
    ) -> Result<(), WorkerError> {
        if let MessageContent::System(event) = &message.content {
            return self.apply_identity_change(citizen, event).await;
        }
        let key = self.resolve_identity(citizen).await?;
        let now = self.clock.now_ms();
        // Two independent reads at once: one round trip of a message's latency on DynamoDB.
        let (stored_session, profile) = tokio::try_join!(
            self.stores.sessions.load_session(&key),
            self.stores.citizens.get_citizen(&key)
        )?;
        let envelope = SessionEnvelope::from_stored(stored_session.as_ref());
        let was_opted_in = profile.as_ref().is_some_and(|p| p.broadcast_opt_in);
        let sent_at_ms = plausible_sent_at_ms(message.timestamp_secs(), now);

        self.stores
            .conversations
            .append_message(&inbound_entry(
                &key,
                message,
                sent_at_ms,
                now.saturating_add(self.settings.retention_days.saturating_mul(DAY_MS)),
            ))
            .await?;

        let (replies, handoff) = match envelope.last_applied {
            Some(applied) if applied.wamid == message.id => {
                info!("dialog turn already applied; re-sending its replies");
                (applied.replies, envelope.dialog.active_handoff(now))
            }
            _ => {
                let loaded = self.content().await?;
                let inbound = dialog_inbound(message);
                if !matches!(message.content, MessageContent::Reaction(_)) {
                    self.notifier.sender().mark_read(&message.id).await;
                }
                let profile = profile.unwrap_or_else(|| CitizenProfile {
                    key: key.clone(),
                    created_ms: now,
                    ..CitizenProfile::default()
                });
                let (mut complaints, mut related) = self.own_complaints(&key, message).await?;
                let mut ticket_attempt = 0;
                let mut runs = 0;
                let answered = answer_inbound(loaded.ready_answerer().await, &inbound);
                let turn = loop {
                    runs += 1;
                    let env = DialogEnv {
                        content: &loaded.bundle,
                        answered: answered.as_ref(),
                        now_ms: now,
                        show_unverified: self.settings.show_unverified,
                        complaints: &complaints,
                        related: &related,
                        ticket_attempt,
                        retention_days: self.settings.retention_days,
                    };
                    let turn = dialog::handle_message(
                        &env,
                        envelope.dialog.clone(),
                        profile.clone(),
                        citizen,
                        &inbound,
                    );
                    match self.store_complaint_ops(&turn.complaint_ops).await? {
                        Ok(()) => break turn,
                        Err(_) if runs >= COMPLAINT_TURN_ATTEMPTS => {
                            return Err(WorkerError::Store(PortError::Conflict(
                                "complaint changed during every attempt of this turn".into(),
                            )))
                        }
                        Err(OpsRefused::TicketTaken) => ticket_attempt += 1,
                        Err(OpsRefused::Stale) => {
                            (complaints, related) = self.own_complaints(&key, message).await?
                        }
                    }
                };
                self.report_turn_warnings(&turn, &key).await?;
                if turn.erasure_requested {
                    self.raise_erasure_request(&key, citizen, &turn.profile, now)
                        .await?;
                }
                let counts = stats::message_counts(
                    &message.id,
                    &key,
                    sent_at_ms,
                    stats::message_kind(&message.content),
                    answered.as_ref(),
                    &turn,
                );
                stats::record(Some(self.stores.stats.as_ref()), &counts).await;
                self.enqueue_complaint_tasks(&turn.complaint_ops).await?;
                let turn = self.rephrase(turn, citizen).await;
                let handoff = turn.session.active_handoff(now);
                let opted_out = was_opted_in && !turn.profile.broadcast_opt_in;
                let replies = self
                    .apply_turn(&key, citizen, message, sent_at_ms, stored_session, turn)
                    .await?;
                if opted_out {
                    // "Opted out after it": counted against the broadcasts of the last week
                    // this citizen received (best effort, like every counter).
                    if let Err(error) = crate::broadcast::count_opt_out(
                        self.stores.broadcasts.as_ref(),
                        self.stores.outbox.as_ref(),
                        self.stores.stats.as_ref(),
                        &key,
                        now,
                    )
                    .await
                    {
                        warn!(%error, "broadcast opt-out not counted");
                    }
                }
                (replies, handoff)
            }
        };
        Conversations::new(self.stores.conversations.clone(), self.clock.clone())
            .record_inbound(&key, citizen, sent_at_ms, handoff)
            .await?;

        let profile_last_inbound = Some(sent_at_ms);
        for (position, body) in replies.into_iter().enumerate() {
            let outbox_id = outbox_id(&message.id, position);
            let body = outbound::with_callback(body, &outbox_id);
            self.notifier
                .to_citizen(
                    &key,
                    window(profile_last_inbound, now),
                    OutboundMessage { outbox_id, body },
                    None,
                    "reply",
                )
                .await?;
        }
        Ok(())
    }

    /// `HAPUS DATA SAYA`: one waiting request per citizen for the admins (asking again
    /// changes nothing), under the conversation's opaque id — never the number.
    async fn raise_erasure_request(
        &self,
        key: &str,
        citizen: &CitizenRef,
        profile: &CitizenProfile,
        now: i64,
    ) -> Result<(), WorkerError> {
        let conversations =
            Conversations::new(self.stores.conversations.clone(), self.clock.clone());
        let summary = match self.stores.conversations.get_conversation(key).await? {
            Some(summary) => Some(summary),
            None => conversations.update(key, |_| true).await?,
        };
        let Some(summary) = summary else {
            return Ok(());
        };
        let name = citizen
            .name
            .clone()
            .or_else(|| profile.name.clone())
            .or(summary.name);
        let created = self
            .stores
            .erasures
            .request_erasure(&crate::ports::ErasureRequest {
                citizen_id: summary.id,
                name,
                requested_ms: now,
                state: crate::ports::ErasureRequestState::Menunggu,
                done_ms: None,
            })
            .await?;
        info!(created, "erasure request recorded");
        Ok(())
    }

    /// The citizen's complaints, newest first (plus the one the message names when the list
    /// does not hold it: older than the list, or not yet in the eventually consistent index),
    /// and the related complaints the dialog may need: the original an own complaint
    /// probably repeats, or another citizen's complaint the message names (the dialog shows
    /// it only to its followers).
    async fn own_complaints(
        &self,
        key: &str,
        message: &InboundMessage,
    ) -> Result<(Vec<Complaint>, Vec<Complaint>), WorkerError> {
        let mut own = self
            .stores
            .complaints
            .complaints_of_citizen(key, OWN_COMPLAINTS_LIMIT)
            .await?;
        let mut related = Vec::new();
        let Some(ticket) = mentioned_ticket(message) else {
            return Ok((own, related));
        };
        // The index may lag behind the record: the consistent read wins.
        let Some(found) = self.stores.complaints.get_complaint(&ticket).await? else {
            return Ok((own, related));
        };
        if found.citizen_key != key {
            related.push(found);
            return Ok((own, related));
        }
        let original = found.duplicate_of.clone();
        match own.iter().position(|c| c.ticket == ticket) {
            Some(position) => own[position] = found,
            None => own.push(found),
        }
        if let Some(original) = original {
            if let Some(original) = self.stores.complaints.get_complaint(&original).await? {
                related.push(original);
            }
        }
        Ok((own, related))
    }

    /// Stores a turn's complaint changes before anything is sent. Creation is idempotent on
    /// the ticket (derived from the message id); updates are conditional on the version read.
    async fn store_complaint_ops(
        &self,
        ops: &[ComplaintOp],
    ) -> Result<Result<(), OpsRefused>, WorkerError> {
        for op in ops {
            match op {
                ComplaintOp::Create(complaint) => {
                    match self.stores.complaints.create_complaint(complaint).await? {
                        None => info!(ticket = %complaint.ticket, "complaint created"),
                        Some(existing) if existing.source_wamid == complaint.source_wamid => {
                            info!(ticket = %complaint.ticket, "complaint already created by an earlier delivery")
                        }
                        Some(_) => {
                            warn!(ticket = %complaint.ticket, "ticket id taken; trying the next one");
                            return Ok(Err(OpsRefused::TicketTaken));
                        }
                    }
                }
                ComplaintOp::Replay(_) => {}
                ComplaintOp::Update(complaint) => {
                    match self.stores.complaints.update_complaint(complaint).await {
                        Ok(_) => {
                            info!(ticket = %complaint.ticket, status = %complaint.status, "complaint updated")
                        }
                        Err(PortError::Conflict(_) | PortError::NotFound(_)) => {
                            info!(ticket = %complaint.ticket, "complaint changed meanwhile; running the turn again");
                            return Ok(Err(OpsRefused::Stale));
                        }
                        Err(error) => return Err(error.into()),
                    }
                }
            }
        }
        Ok(Ok(()))
    }

    /// The work a stored complaint change sets in motion, queued before the session is
    /// saved: a crash before that re-runs the turn and queues them again, and the complaint
    /// worker recognises a repeated task by its id.
    async fn enqueue_complaint_tasks(&self, ops: &[ComplaintOp]) -> Result<(), WorkerError> {
        let Some(queue) = &self.tasks else {
            return Ok(());
        };
        let messages: Vec<_> = ops
            .iter()
            .flat_map(|op| match op {
                ComplaintOp::Create(c) => Task::after_citizen_write(c, true),
                ComplaintOp::Update(c) | ComplaintOp::Replay(c) => {
                    Task::after_citizen_write(c, false)
                }
            })
            .map(|task| task.to_message())
            .collect();
        if !messages.is_empty() {
            queue.send_batch(&messages).await?;
        }
        Ok(())
    }

    /// The optional generative step: the turn's FAQ answer reworded by the model when one is
    /// configured and its output passes the guard, with a note telling the citizen so. Runs
    /// before the session is saved, so a redelivery re-sends the same words instead of
    /// asking the model again. Any failure leaves the verbatim answer in place.
    async fn rephrase(&self, mut turn: Turn, citizen: &CitizenRef) -> Turn {
        let (Some(model), Some(candidate)) = (self.rephraser.as_deref(), turn.rephrase.take())
        else {
            return turn;
        };
        let Some(verbatim) = candidate.passages.first().map(|p| p.text.clone()) else {
            return turn;
        };
        if turn.replies.get(candidate.reply) != Some(&Reply::Text(verbatim.clone())) {
            warn!("rephrase candidate does not point at its answer; sent as written");
            return turn;
        }
        let text = rephrase_or_verbatim(
            Some(model),
            &candidate.question_masked,
            &candidate.passages,
            &verbatim,
        )
        .await;
        if text == verbatim {
            return turn;
        }
        let reworded = Reply::Text(rephrased_message(&text, &candidate.passages));
        if reply_body(&reworded, &citizen.reply_address()).is_err() {
            warn!("rephrased answer does not fit one WhatsApp message; sent as written");
            return turn;
        }
        turn.replies[candidate.reply] = reworded;
        turn
    }

    /// What the pure turn could only report: replies that broke the channel's limits (content
    /// to fix) and an outdated holiday table, which must be noticed before a deadline depends
    /// on it.
    async fn report_turn_warnings(&self, turn: &Turn, key: &str) -> Result<(), WorkerError> {
        for reason in &turn.unfit_replies {
            warn!(%reason, "dialog reply does not fit WhatsApp limits; sent as plain text");
        }
        for gap in &turn.calendar_gaps {
            warn!(
                year = gap.year,
                "holiday table does not cover {}: working days counted Monday to Friday only",
                gap.year
            );
            self.stores
                .signals
                .raise_alert(&OperatorAlert {
                    id: format!("calendar.{}", gap.year),
                    kind: "calendar".to_string(),
                    message: calendar::coverage_warning(*gap),
                    citizen_key: Some(key.to_string()),
                    raised_ms: self.clock.now_ms(),
                    opd_id: None,
                })
                .await?;
        }
        Ok(())
    }

    /// Saves profile and session (optimistic versions) and records what operators must see;
    /// returns the reply bodies, stored with the session so a redelivery re-sends them.
    async fn apply_turn(
        &self,
        key: &str,
        citizen: &CitizenRef,
        message: &InboundMessage,
        sent_at_ms: i64,
        stored_session: Option<StoredSession>,
        turn: Turn,
    ) -> Result<Vec<Value>, WorkerError> {
        let now = self.clock.now_ms();
        let address = citizen.reply_address();
        let mut bodies = Vec::with_capacity(turn.replies.len());
        for reply in &turn.replies {
            match reply_body(reply, &address) {
                Ok(body) => bodies.push(body),
                // The dialog already made every reply sendable; a refusal here is a bug to
                // log, not a reason to retry the message forever.
                Err(error) => warn!(%error, "reply refused by the outbound builder"),
            }
        }

        let mut profile = turn.profile;
        profile.key = key.to_string();
        if citizen.wa_id.is_some() {
            profile.wa_id.clone_from(&citizen.wa_id);
        }
        if citizen.user_id.is_some() {
            profile.user_id.clone_from(&citizen.user_id);
        }
        if let Some(name) = citizen
            .name
            .as_deref()
            .filter(|name| !name.trim().is_empty())
        {
            profile.name = Some(name.to_string());
        }
        profile.last_inbound_ms = Some(profile.last_inbound_ms.unwrap_or(0).max(sent_at_ms));
        profile.updated_ms = now;
        self.stores.citizens.put_citizen(&profile).await?;

        let mut dialog_session = turn.session;
        dialog_session.last_inbound_ms = Some(sent_at_ms);
        let expires_at_ms = dialog_session.expires_at_ms(now);
        let envelope = SessionEnvelope {
            dialog: dialog_session,
            last_applied: Some(AppliedTurn {
                wamid: message.id.clone(),
                replies: bodies.clone(),
            }),
        };
        self.stores
            .sessions
            .save_session(&StoredSession {
                key: key.to_string(),
                data: serde_json::to_string(&envelope)?,
                version: stored_session.map_or(0, |stored| stored.version),
                expires_at_ms,
            })
            .await?;

        if let Some(unanswered) = turn.unanswered {
            self.stores
                .signals
                .record_unanswered(&UnansweredQuestion {
                    id: format!("q.{}", short_hash(&message.id)),
                    citizen_key: key.to_string(),
                    text: unanswered.text_masked,
                    candidates: unanswered.candidates,
                    asked_ms: now,
                    expires_at_ms: now + self.settings.retention_days * DAY_MS,
                })
                .await?;
        }
        if turn.handoff_requested {
            self.stores
                .signals
                .raise_alert(&OperatorAlert {
                    id: format!("handoff.{}", short_hash(&message.id)),
                    kind: "handoff".to_string(),
                    message:
                        "Warga meminta bicara dengan petugas. Balas percakapannya dari dasbor."
                            .to_string(),
                    citizen_key: Some(key.to_string()),
                    raised_ms: now,
                    opd_id: None,
                })
                .await?;
        }
        if turn.forwarded_to_operator {
            info!("message kept for the operator during a handoff");
        }
        Ok(bodies)
    }

    async fn handle_status(&self, status: &MessageStatus) -> Result<(), WorkerError> {
        let record = status_record(
            status,
            self.clock.now_ms() + self.settings.retention_days * DAY_MS,
        );
        self.stores.statuses.record_status(&record).await?;
        self.notifier.sender().apply_status(status).await?;
        // A broadcast's delivery statistics (idempotent per outbox id and status).
        if let Some(outbox_id) = status.biz_opaque_callback_data.as_deref() {
            if let Some(counts) = crate::broadcast::status_counts(
                outbox_id,
                &status.status,
                status.error_code(),
                self.clock.now_ms(),
            ) {
                stats::record(Some(self.stores.stats.as_ref()), &[counts]).await;
            }
        }
        Ok(())
    }

    /// Keeps Meta's latest status of a template (the broadcasts read it) and tells the
    /// operators when one can no longer be sent.
    async fn handle_template_status(
        &self,
        name: &str,
        language: &Option<String>,
        event: &str,
        reason: &Option<String>,
    ) -> Result<(), WorkerError> {
        let now = self.clock.now_ms();
        let entry = serde_json::json!({
            "status": event,
            "language": language,
            "reason": reason,
            "updated_ms": now,
        });
        crate::broadcast::merge_setting(
            self.stores.settings.as_ref(),
            crate::broadcast::TEMPLATE_STATUS_KEY,
            now,
            |map| {
                map.insert(name.to_string(), entry.clone());
            },
        )
        .await?;
        info!(template = name, event, "template status updated");
        if matches!(event, "PAUSED" | "DISABLED" | "REJECTED") {
            self.stores
                .signals
                .raise_alert(&OperatorAlert {
                    id: format!("template.{name}.{}", short_hash(&format!("{event}{now}"))),
                    kind: "whatsapp_template".to_string(),
                    message: format!(
                        "Template WhatsApp {name} berstatus {event} ({}); siaran dengan template ini dihentikan.",
                        reason.as_deref().unwrap_or("tanpa keterangan")
                    ),
                    citizen_key: None,
                    raised_ms: now,
                    opd_id: None,
                })
                .await?;
        }
        Ok(())
    }

    /// Keeps the number's latest quality report (broadcasts stop while it is flagged or
    /// downgraded) and tells the operators about a drop.
    async fn handle_quality(
        &self,
        event: &str,
        current_limit: &Option<String>,
    ) -> Result<(), WorkerError> {
        let now = self.clock.now_ms();
        crate::broadcast::merge_setting(
            self.stores.settings.as_ref(),
            crate::broadcast::QUALITY_KEY,
            now,
            |map| {
                map.insert("event".into(), serde_json::json!(event));
                map.insert("current_limit".into(), serde_json::json!(current_limit));
                map.insert("updated_ms".into(), serde_json::json!(now));
            },
        )
        .await?;
        info!(event, "phone number quality updated");
        if matches!(event, "FLAGGED" | "DOWNGRADE") {
            self.stores
                .signals
                .raise_alert(&OperatorAlert {
                    id: format!("quality.{}", short_hash(&format!("{event}{now}"))),
                    kind: "whatsapp_quality".to_string(),
                    message: format!(
                        "Kualitas nomor WhatsApp turun ({event}); siaran dihentikan sampai kualitas pulih."
                    ),
                    citizen_key: None,
                    raised_ms: now,
                    opd_id: None,
                })
                .await?;
        }
        Ok(())
    }
}

/// A ticket id the citizen typed or a complaint button carries.
fn mentioned_ticket(message: &InboundMessage) -> Option<String> {
    match &message.content {
        MessageContent::Text(body) => find_ticket(&body.body),
        MessageContent::Interactive(InteractiveReply::ButtonReply(b)) => find_ticket(&b.id),
        MessageContent::Interactive(InteractiveReply::ListReply(l)) => find_ticket(&l.id),
        // Quick replies of an approved template (outside the 24-hour window).
        MessageContent::Button(button) => button.payload.as_deref().and_then(find_ticket),
        _ => None,
    }
}

/// Outbox ids are derived from the inbound wamid so a redelivered item reuses them.
/// When the citizen wrote, for the 24-hour window: Meta's `timestamp` when it is plausible,
/// else `now` (the time we received it). A zero, negative, future or absurd value, or one
/// older than the window itself, would otherwise close the window and leave the citizen
/// without an answer; if the message really is that old, Meta answers 131047 and the sender
/// falls back to its template. Saturating: `secs * 1000` must not overflow.
pub fn plausible_sent_at_ms(timestamp_secs: Option<i64>, now_ms: i64) -> i64 {
    timestamp_secs
        .filter(|secs| *secs > 0)
        .map(|secs| secs.saturating_mul(1000))
        .filter(|ms| *ms <= now_ms && now_ms.saturating_sub(*ms) < DAY_MS)
        .unwrap_or(now_ms)
}

pub fn outbox_id(inbound_wamid: &str, position: usize) -> String {
    format!("out.{}", short_hash(&format!("{inbound_wamid}#{position}")))
}

/// An operator gives the conversation back to the bot: the session's handoff ends (the rest of
/// the session, the last applied turn included, stays). `Ok(false)` when the session was not
/// in a handoff. A lost race with the dialog worker is retried on fresh data.
pub async fn hand_back_session(
    sessions: &dyn SessionStore,
    key: &str,
    now_ms: i64,
) -> Result<bool, PortError> {
    for _ in 0..4 {
        let Some(stored) = sessions.load_session(key).await? else {
            return Ok(false);
        };
        let mut envelope = SessionEnvelope::from_stored(Some(&stored));
        if envelope.dialog.active_handoff(now_ms).is_none() {
            return Ok(false);
        }
        envelope.dialog = dialog::hand_back(envelope.dialog);
        let data = serde_json::to_string(&envelope)
            .map_err(|error| PortError::Invalid(format!("session not serialisable: {error}")))?;
        match sessions
            .save_session(&StoredSession {
                key: key.to_string(),
                data,
                version: stored.version,
                expires_at_ms: envelope.dialog.expires_at_ms(now_ms),
            })
            .await
        {
            Ok(_) => return Ok(true),
            Err(PortError::Conflict(_)) => continue,
            Err(error) => return Err(error),
        }
    }
    Err(PortError::Conflict(
        "the session kept changing during the hand-back".into(),
    ))
}

/// A citizen's distinct identifiers: the business-scoped user id, the wa_id, the key (the key
/// usually is the wa_id), in the order an earlier pointer among them is preferred.
fn identifiers_of(citizen: &CitizenRef) -> Vec<&str> {
    let mut identifiers: Vec<&str> = Vec::with_capacity(3);
    for identifier in [citizen.user_id.as_deref(), citizen.wa_id.as_deref()]
        .into_iter()
        .flatten()
        .chain(std::iter::once(citizen.key.as_str()))
    {
        if !identifiers.contains(&identifier) {
            identifiers.push(identifier);
        }
    }
    identifiers
}
