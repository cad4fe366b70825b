//! The complaint worker: consumes the tasks queue (standard SQS on AWS, the SQLite queue
//! locally). Every task is idempotent: a "done" mark per task id is written only after all
//! its effects, notifications go through the outbox with ids derived from the task, and
//! complaint writes are conditional on the version read.
//!
//! Outcomes per item: done (delete), retry (visible again after a backoff; the queue's
//! redrive policy dead-letters it after too many receives), or deferred until a time
//! (quiet hours: no non-urgent message between 21:00 and 06:00 WIB).

use std::sync::Arc;

use serde_json::Value;
use tracing::{error, info, info_span, warn, Instrument};

use prolink_domain::calendar::DAY_MS;
use prolink_domain::{
    citizen::CitizenRef,
    complaint::{self, duplicates, notify, Complaint, ComplaintEvent},
    content::ContentBundle,
    dialog::{complaint_texts, Reply},
};

use crate::complaint_media::{copy_photo, MediaCopy};
use crate::content_cache::{ContentSource, LoadedContent, CONTENT_REFRESH};
use crate::ids::short_hash;
use crate::notifier::Notifier;
use crate::operator_contacts::OperatorContacts;
use crate::ports::{
    BlobStore, CitizenStore, Clock, ComplaintStore, ContentStore, DedupStore, Delivery, LaporStore,
    MediaSource, OperatorAlert, OperatorSignals, OutboundMessage, PageRequest, PortError,
    StatsCounters,
};
use crate::render::{reply_body, template_of, ReplyTo};
use crate::sender::window;
use crate::stats;
use crate::tasks::Task;
use crate::worker::WorkerError;

/// Event ids of the scheduler's progress notes (`sla::SlaAction::ProgressNote`).
const PROGRESS_EVENT_PREFIX: &str = "sla.progress.";
/// Open complaints of one OPD looked at for a duplicate (newest first, 30 days back).
const DUPLICATE_CANDIDATES: usize = 200;
/// Conditional writes retried on a lost race before the task goes back to the queue.
const WRITE_ATTEMPTS: u32 = 5;

/// One queue message as the complaint worker sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskItem {
    pub message_id: String,
    pub body: String,
    /// Deliveries so far, this one included: the last allowed one gives up on media.
    pub receive_count: u32,
}

impl From<&Delivery> for TaskItem {
    fn from(delivery: &Delivery) -> TaskItem {
        TaskItem {
            message_id: delivery.message_id.clone(),
            body: delivery.body.clone(),
            receive_count: delivery.receive_count,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskOutcome {
    Done,
    Retry,
    /// Not before this instant (Unix ms): make it visible again then.
    Defer(i64),
}

/// Every store the complaint worker touches; one adapter value usually fills all.
#[derive(Clone)]
pub struct ComplaintWorkerStores {
    pub dedup: Arc<dyn DedupStore>,
    pub complaints: Arc<dyn ComplaintStore>,
    pub citizens: Arc<dyn CitizenStore>,
    pub signals: Arc<dyn OperatorSignals>,
    pub content: Arc<ContentSource>,
    pub stats: Arc<dyn StatsCounters>,
    /// The SP4N-LAPOR! outbox: a new complaint of a forwarding category gets its task.
    pub lapor: Arc<dyn LaporStore>,
}

impl ComplaintWorkerStores {
    pub fn from_store<S>(store: Arc<S>) -> ComplaintWorkerStores
    where
        S: DedupStore
            + ComplaintStore
            + CitizenStore
            + OperatorSignals
            + ContentStore
            + StatsCounters
            + LaporStore
            + 'static,
    {
        ComplaintWorkerStores {
            dedup: store.clone(),
            complaints: store.clone(),
            citizens: store.clone(),
            signals: store.clone(),
            stats: store.clone(),
            lapor: store.clone(),
            content: Arc::new(ContentSource::new(store, CONTENT_REFRESH)),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ComplaintWorkerSettings {
    /// The queue's maximum receives: the last delivery marks a photo as failed for good.
    pub max_receives: u32,
    pub retention_days: i64,
}

pub struct ComplaintWorker {
    pub stores: ComplaintWorkerStores,
    /// The OPDs' operator numbers for new-complaint messages (none for the OPD: dashboard
    /// alert only), read when a message is due so that a dashboard change counts.
    pub operators: Arc<OperatorContacts>,
    pub notifier: Notifier,
    pub media: Arc<dyn MediaSource>,
    pub blobs: Arc<dyn BlobStore>,
    pub clock: Arc<dyn Clock>,
    pub settings: ComplaintWorkerSettings,
    /// Sends broadcast batches (handed out by the scheduler); `None` where no broadcast can
    /// be handed out (tests of the complaint tasks).
    pub broadcasts: Option<crate::broadcast::Broadcaster>,
}

impl ComplaintWorker {
    /// Handles a batch; returns each item's outcome in order.
    pub async fn process_batch(&self, items: &[TaskItem]) -> Vec<TaskOutcome> {
        let mut outcomes = Vec::with_capacity(items.len());
        for item in items {
            let span = info_span!("task", message_id = %item.message_id);
            let outcome = match self.process_one(item).instrument(span).await {
                Ok(outcome) => outcome,
                Err(error) => {
                    warn!(message_id = %item.message_id, %error, "task failed; it goes back to the queue");
                    TaskOutcome::Retry
                }
            };
            outcomes.push(outcome);
        }
        outcomes
    }

    async fn process_one(&self, item: &TaskItem) -> Result<TaskOutcome, WorkerError> {
        let task: Task = match serde_json::from_str(&item.body) {
            Ok(task) => task,
            Err(error) => {
                // Retrying cannot make it readable: the dead-letter queue keeps it for a look.
                warn!(%error, "task body unreadable");
                return Ok(TaskOutcome::Retry);
            }
        };
        let mark = task.done_mark();
        if self.stores.dedup.is_marked(&mark).await? {
            info!("task already done");
            return Ok(TaskOutcome::Done);
        }
        self.count(&task).await;
        let final_attempt = item.receive_count >= self.settings.max_receives.saturating_sub(1);
        let outcome = match &task {
            Task::ComplaintSubmitted { ticket } => self.submitted(ticket).await?,
            Task::OperatorsNewComplaint { ticket } => {
                self.operators_new_complaint(&task, ticket).await?
            }
            Task::CopyMedia { ticket, media_id } => {
                self.copy_media(&task, ticket, media_id, final_attempt)
                    .await?
            }
            Task::StatusChanged { ticket, event_id } => {
                self.status_changed(&task, ticket, event_id).await?
            }
            Task::CitizenUpdate { ticket, event_id } => {
                self.citizen_update(ticket, event_id).await?
            }
            Task::BroadcastBatch { broadcast_id, seq } => match &self.broadcasts {
                Some(broadcaster) => {
                    let report = broadcaster
                        .run_batch(broadcast_id, *seq, crate::broadcast::BATCH_BUDGET)
                        .await?;
                    info!(broadcast = %broadcast_id, ?report, "broadcast batch");
                    TaskOutcome::Done
                }
                // A wiring fault: retried, then the dead-letter queue tells the operators.
                None => {
                    error!(broadcast = %broadcast_id, "broadcast batch but no broadcaster configured");
                    TaskOutcome::Retry
                }
            },
        };
        if outcome == TaskOutcome::Done {
            let expires = self.clock.now_ms() + crate::config::DEDUP_TTL_DAYS * DAY_MS;
            self.stores.dedup.mark(&mark, expires).await?;
        }
        Ok(outcome)
    }

    async fn content(&self) -> Result<Arc<LoadedContent>, WorkerError> {
        Ok(self.stores.content.load().await?)
    }

    /// Counts the milestones the task's complaint has reached (each once per complaint, so
    /// a redelivered task counts nothing twice). A failure is logged and the task goes on.
    async fn count(&self, task: &Task) {
        if !matches!(
            task,
            Task::ComplaintSubmitted { .. }
                | Task::StatusChanged { .. }
                | Task::CitizenUpdate { .. }
        ) {
            return;
        }
        let complaint = match self.stores.complaints.get_complaint(task.ticket()).await {
            Ok(Some(complaint)) => complaint,
            Ok(None) => return,
            Err(error) => {
                warn!(%error, "complaint not read for the statistics");
                return;
            }
        };
        let loaded = match self.content().await {
            Ok(loaded) => loaded,
            Err(error) => {
                warn!(%error, "content not read for the statistics");
                return;
            }
        };
        let counts = stats::complaint_counts(&complaint, &loaded.bundle.holidays);
        stats::record(Some(self.stores.stats.as_ref()), &counts).await;
    }

    async fn complaint(&self, ticket: &str) -> Result<Option<Complaint>, WorkerError> {
        let found = self.stores.complaints.get_complaint(ticket).await?;
        if found.is_none() {
            warn!(%ticket, "task for a complaint that does not exist; dropped");
        }
        Ok(found)
    }

    /// A new complaint: a probable duplicate of an open complaint nearby is linked, the OPD's
    /// operators are alerted (naming that original), and the citizen is offered to follow it
    /// instead.
    async fn submitted(&self, ticket: &str) -> Result<TaskOutcome, WorkerError> {
        let Some(complaint) = self.complaint(ticket).await? else {
            return Ok(TaskOutcome::Done);
        };
        let loaded = self.content().await?;
        let content = &loaded.bundle;
        let (complaint, original) = if complaint.status.is_open() {
            self.link_duplicate(complaint).await?
        } else {
            (complaint, None)
        };
        self.stores
            .signals
            .raise_alert(&OperatorAlert {
                id: format!("complaint.new.{ticket}"),
                kind: "complaint_new".to_string(),
                message: notify::opd_new_complaint_alert(&complaint, content),
                citizen_key: None,
                raised_ms: self.clock.now_ms(),
                // The complaint's OPD sees it on its own board.
                opd_id: Some(complaint.opd_id.clone()),
            })
            .await?;
        // A probable duplicate is not forwarded: its original is (or an operator decides).
        if original.is_none()
            && complaint.status.is_open()
            && crate::lapor::category_forwards(content, &complaint)
        {
            crate::lapor::ensure_task(
                self.stores.lapor.as_ref(),
                &complaint,
                crate::lapor::BY_CATEGORY,
                self.clock.now_ms(),
            )
            .await?;
        }
        if let Some(original) = original {
            let category = content
                .category(&original.category_id)
                .map_or_else(|| "Aduan".to_string(), |c| c.short_name.clone());
            let offer = complaint_texts::duplicate_offer(&complaint, &original, &category);
            self.tell_citizen(
                &complaint.citizen_key,
                &format!("dup.{}", complaint.ticket),
                &offer,
                None,
            )
            .await?;
        }
        Ok(TaskOutcome::Done)
    }

    /// The OPD's configured operator numbers get the `aduan_baru_petugas` template (ticket,
    /// category, deadline: nothing personal), held in the quiet hours like every message.
    async fn operators_new_complaint(
        &self,
        task: &Task,
        ticket: &str,
    ) -> Result<TaskOutcome, WorkerError> {
        let Some(complaint) = self.complaint(ticket).await? else {
            return Ok(TaskOutcome::Done);
        };
        let numbers = self
            .operators
            .current()
            .await?
            .0
            .get(&complaint.opd_id)
            .cloned();
        let Some(numbers) = numbers.filter(|n| !n.is_empty()) else {
            return Ok(TaskOutcome::Done);
        };
        if let Some(at) = notify::not_before(self.clock.now_ms(), false) {
            return Ok(TaskOutcome::Defer(at));
        }
        let loaded = self.content().await?;
        let content = &loaded.bundle;
        let notice = notify::operator_new_complaint_notice(&complaint, content);
        let mut failed = false;
        for number in numbers {
            if let Err(error) = self
                .notifier
                .to_operator(&number, &notice.template, "opd-new", &task.id())
                .await
            {
                warn!(%error, %ticket, "new-complaint message to an operator not sent");
                failed = true;
            }
        }
        // Numbers already served are not messaged again (outbox ids); the others retry.
        Ok(if failed {
            TaskOutcome::Retry
        } else {
            TaskOutcome::Done
        })
    }

    /// The complaint with its duplicate link, and the original to offer. A link already
    /// stored (by an earlier delivery that stopped before the offer went out, or by a
    /// concurrent one) is kept and offered again: the offer's outbox id is derived from the
    /// ticket, so the citizen gets it once.
    async fn link_duplicate(
        &self,
        mut complaint: Complaint,
    ) -> Result<(Complaint, Option<Complaint>), WorkerError> {
        if let Some(linked) = complaint.duplicate_of.clone() {
            let original = self.stores.complaints.get_complaint(&linked).await?;
            return Ok((complaint, original));
        }
        let now = self.clock.now_ms();
        let page = self
            .stores
            .complaints
            .complaints_by_opd(
                &complaint.opd_id,
                &PageRequest {
                    limit: DUPLICATE_CANDIDATES,
                    after: None,
                },
            )
            .await?;
        let recent: Vec<Complaint> = page
            .items
            .into_iter()
            .filter(|c| now - c.received_ms <= 30 * DAY_MS)
            .collect();
        let Some(original) = duplicates::find_duplicate(&complaint, &recent, now).cloned() else {
            return Ok((complaint, None));
        };
        for _ in 0..WRITE_ATTEMPTS {
            complaint.duplicate_of = Some(original.ticket.clone());
            match self.stores.complaints.update_complaint(&complaint).await {
                Ok(version) => {
                    info!(ticket = %complaint.ticket, original = %original.ticket, "possible duplicate linked");
                    complaint.version = version;
                    return Ok((complaint, Some(original)));
                }
                Err(PortError::Conflict(_)) => {
                    let Some(fresh) = self
                        .stores
                        .complaints
                        .get_complaint(&complaint.ticket)
                        .await?
                    else {
                        return Ok((complaint, None));
                    };
                    if fresh.duplicate_of.is_some() || !fresh.status.is_open() {
                        return self.link_duplicate_stored(fresh).await;
                    }
                    complaint = fresh;
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(WorkerError::Store(PortError::Conflict(format!(
            "complaint {} changed during every attempt to link it",
            complaint.ticket
        ))))
    }

    /// A complaint re-read after a lost race: linked meanwhile (offered with its original),
    /// or closed meanwhile (nothing to offer).
    async fn link_duplicate_stored(
        &self,
        complaint: Complaint,
    ) -> Result<(Complaint, Option<Complaint>), WorkerError> {
        let original = match (&complaint.duplicate_of, complaint.status.is_open()) {
            (Some(linked), true) => self.stores.complaints.get_complaint(linked).await?,
            _ => None,
        };
        Ok((complaint, original))
    }

    async fn copy_media(
        &self,
        task: &Task,
        ticket: &str,
        media_id: &str,
        final_attempt: bool,
    ) -> Result<TaskOutcome, WorkerError> {
        let copied = copy_photo(
            self.stores.complaints.as_ref(),
            self.media.as_ref(),
            self.blobs.as_ref(),
            ticket,
            media_id,
            final_attempt,
        )
        .await
        .map_err(|error| WorkerError::Store(PortError::Backend(error.to_string())))?;
        match copied {
            MediaCopy::Stored { .. } | MediaCopy::AlreadyStored { .. } => Ok(TaskOutcome::Done),
            MediaCopy::Retry { reason } => {
                info!(%reason, "photo copy will be retried");
                Ok(TaskOutcome::Retry)
            }
            MediaCopy::Failed { reason } => {
                warn!(%reason, "photo could not be copied; asking the citizen to send it again");
                let Some(complaint) = self.complaint(ticket).await? else {
                    return Ok(TaskOutcome::Done);
                };
                // "Failed" also covers a photo the complaint does not hold: nothing to resend.
                let marked = complaint
                    .photos
                    .iter()
                    .any(|p| p.media_id == media_id && p.fetch_error.is_some());
                if !marked {
                    return Ok(TaskOutcome::Done);
                }
                let notice = notify::resend_photo_notice(&complaint);
                self.notify_reporter(&complaint, task, notice).await
            }
        }
    }

    /// A public change: the reporter and every follower are told.
    async fn status_changed(
        &self,
        task: &Task,
        ticket: &str,
        event_id: &str,
    ) -> Result<TaskOutcome, WorkerError> {
        let Some(complaint) = self.complaint(ticket).await? else {
            return Ok(TaskOutcome::Done);
        };
        let Some(event) = find_event(&complaint, event_id) else {
            // The scheduler queues the task before its write lands (so a crash cannot lose
            // it): the event may appear on a later delivery. A write that never lands ends in
            // the dead-letter queue after the receive limit.
            warn!(%ticket, %event_id, "status task for an event not (yet) on the complaint");
            return Ok(TaskOutcome::Retry);
        };
        if !event.changes_status() && event.public_note.is_none() {
            return Ok(TaskOutcome::Done);
        }
        let loaded = self.content().await?;
        let content = &loaded.bundle;
        // The scheduler's daily note while the first answer is late: the reporter only.
        let progress = event.id.starts_with(PROGRESS_EVENT_PREFIX);
        let notice = if progress {
            notify::progress_notice(&complaint, content)
        } else {
            notify::status_notice(&complaint, event, content)
        };
        if let Some(at) = notify::not_before(self.clock.now_ms(), notice.urgent) {
            info!(%ticket, "quiet hours: notification waits for the morning");
            return Ok(TaskOutcome::Defer(at));
        }
        if progress {
            return self.notify_reporter(&complaint, task, notice).await;
        }
        let mut recipients = vec![complaint.citizen_key.clone()];
        for follower in &complaint.followers {
            if !recipients.contains(follower) {
                recipients.push(follower.clone());
            }
        }
        for recipient in recipients {
            let notice = if recipient == complaint.citizen_key {
                notice.clone()
            } else {
                // Followers get the public news, but never the reporter's buttons (rating,
                // withdrawal belong to the reporter).
                notify::follower_notice(&complaint, event, content)
            };
            self.tell_citizen(
                &recipient,
                &format!("{}#{recipient}", task.id()),
                &notice.reply,
                Some(template_of(&notice.template)),
            )
            .await?;
        }
        Ok(TaskOutcome::Done)
    }

    /// One notice to the reporter only, held until the morning in the quiet hours.
    async fn notify_reporter(
        &self,
        complaint: &Complaint,
        task: &Task,
        notice: notify::Notice,
    ) -> Result<TaskOutcome, WorkerError> {
        if let Some(at) = notify::not_before(self.clock.now_ms(), notice.urgent) {
            return Ok(TaskOutcome::Defer(at));
        }
        self.tell_citizen(
            &complaint.citizen_key,
            &task.id(),
            &notice.reply,
            Some(template_of(&notice.template)),
        )
        .await?;
        Ok(TaskOutcome::Done)
    }

    /// The citizen changed the complaint from the chat: the OPD's operators see it.
    async fn citizen_update(
        &self,
        ticket: &str,
        event_id: &str,
    ) -> Result<TaskOutcome, WorkerError> {
        let Some(complaint) = self.complaint(ticket).await? else {
            return Ok(TaskOutcome::Done);
        };
        let Some(event) = find_event(&complaint, event_id) else {
            return Ok(TaskOutcome::Done);
        };
        let loaded = self.content().await?;
        let content = &loaded.bundle;
        self.stores
            .signals
            .raise_alert(&OperatorAlert {
                id: format!(
                    "complaint.citizen.{}",
                    short_hash(&format!("{ticket}#{event_id}"))
                ),
                kind: "complaint_update".to_string(),
                message: notify::opd_citizen_update_alert(&complaint, event, content),
                citizen_key: None,
                raised_ms: self.clock.now_ms(),
                opd_id: Some(complaint.opd_id.clone()),
            })
            .await?;
        Ok(TaskOutcome::Done)
    }

    /// Sends one message to a citizen through the outbox (id derived from `cause`, so a
    /// retried task sends nothing twice): free-form inside the 24-hour window, else the
    /// template when there is one.
    async fn tell_citizen(
        &self,
        citizen_key: &str,
        cause: &str,
        reply: &Reply,
        template: Option<prolink_whatsapp::outbound::Template>,
    ) -> Result<(), WorkerError> {
        let Some(profile) = self.stores.citizens.get_citizen(citizen_key).await? else {
            warn!("notification for a citizen without a profile; skipped");
            return Ok(());
        };
        let address = CitizenRef {
            key: profile.key.clone(),
            user_id: profile.user_id.clone(),
            wa_id: profile.wa_id.clone(),
            name: None,
            username: None,
        }
        .reply_address();
        let body: Value = match reply_body(reply, &address) {
            Ok(body) => body,
            Err(error) => {
                warn!(%error, "notification refused by the outbound builder");
                return Ok(());
            }
        };
        let outbox_id = format!("ntf.{}", short_hash(cause));
        self.notifier
            .to_citizen(
                citizen_key,
                window(profile.last_inbound_ms, self.clock.now_ms()),
                OutboundMessage { outbox_id, body },
                template,
                "notification",
            )
            .await?;
        Ok(())
    }
}

fn find_event<'c>(complaint: &'c Complaint, event_id: &str) -> Option<&'c ComplaintEvent> {
    complaint.events.iter().find(|e| e.id == event_id)
}

/// A status change made outside the chat (operator API, scheduler): stored with a
/// conditional write, then the citizen's notification is queued. A lost race is returned as
/// `Conflict` for the caller to show (the operator reloads); a retried request with the same
/// event id is recognised and changes nothing.
pub async fn change_status(
    complaints: &dyn ComplaintStore,
    tasks: &dyn crate::ports::Queue,
    content: &ContentBundle,
    complaint: &Complaint,
    change: complaint::Change,
) -> Result<Complaint, ChangeError> {
    let rules = complaint::Rules::for_category(content, &complaint.category_id);
    let task = Task::StatusChanged {
        ticket: complaint.ticket.clone(),
        event_id: change.event_id.clone(),
    };
    let changed = match complaint::apply(complaint, change, &rules) {
        Ok(changed) => changed,
        Err(complaint::TransitionError::AlreadyApplied) => {
            tasks.send_batch(&[task.to_message()]).await?;
            return Ok(complaint.clone());
        }
        Err(error) => return Err(ChangeError::Refused(error)),
    };
    // Queued before the write, so a crash between the two cannot lose the citizen's
    // notification; the complaint worker retries the task until the event is stored.
    tasks.send_batch(&[task.to_message()]).await?;
    let version = complaints.update_complaint(&changed).await?;
    Ok(Complaint { version, ..changed })
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("{0}")]
    Refused(complaint::TransitionError),
    #[error(transparent)]
    Store(#[from] PortError),
}
