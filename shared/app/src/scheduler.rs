//! The scheduler: once a minute (EventBridge on AWS, a tokio interval in `prolink serve`) it
//! acts on the complaints whose SLA point has come (`ComplaintStore::complaints_due`, the
//! by-deadline index): reminders and escalations to the operators, the citizen's progress
//! note, automatic closings.
//!
//! Safe to overlap and to retry: every action is recorded on the complaint as an event with a
//! deterministic id and written with a conditional update, alerts are idempotent on their id,
//! and a citizen's notification is a task the complaint worker recognises by id. Those two
//! happen before the write: a lost race repeats them (harmlessly), a crash never loses them.
//! The operators' WhatsApp messages go after the write, from the one tick whose write
//! recorded the point: two overlapping ticks would otherwise both send (the outbox resumes a
//! record another caller is still sending, and Meta does not deduplicate). A crash between
//! the write and the send loses that message, never the dashboard's alert.
//!
//! Bounded: a tick stops after its time budget and the next tick continues where the index
//! says; it reads only due complaints, in pages.

use std::{
    collections::HashSet,
    sync::Arc,
    time::{Duration, Instant},
};

use serde::Serialize;
use tracing::{info, warn};

use prolink_domain::{
    complaint::{
        sla::SlaAction,
        tick::{self, OperatorPoint},
        Complaint,
    },
    content::ContentBundle,
};

use crate::broadcast::{BroadcastReport, Broadcaster};
use crate::content_cache::ContentSource;
use crate::conversations::{Conversations, HandoffWatch};
use crate::lapor::{LaporSync, LaporTickReport};
use crate::notifier::{Notifier, OperatorDirectory};
use crate::operator_contacts::OperatorContacts;
use crate::ports::{Clock, ComplaintStore, OperatorAlert, OperatorSignals, PortError, Queue};
use crate::retention::{RetentionSweep, SweepReport};
use crate::tasks::Task;

#[derive(Debug, Clone)]
pub struct SchedulerSettings {
    /// Due complaints read per query.
    pub page: usize,
    /// A tick stops starting new complaints after this (well inside the Lambda timeout).
    pub budget: Duration,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        SchedulerSettings {
            page: 100,
            budget: Duration::from_secs(40),
        }
    }
}

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TickReport {
    /// Due complaints read.
    pub examined: usize,
    /// Actions taken (reminders, escalations, progress notes, closings).
    pub actions: usize,
    /// Complaints changed meanwhile by someone else: left for the next tick.
    pub conflicts: usize,
    /// `complaints_due` queries (pages) made.
    pub queries: usize,
    /// False when the budget ran out before everything due was handled.
    pub finished: bool,
    /// The pass over conversations in handoff (no-reply alerts, lapses).
    pub handoffs: HandoffWatch,
    /// The retention sweep (closed complaints and resolved alerts past their retention).
    pub retention: SweepReport,
    /// The broadcasts sent this tick.
    pub broadcasts: BroadcastReport,
    /// The SP4N-LAPOR! outbox: reports posted, statuses pulled.
    pub lapor: LaporTickReport,
}

/// The scheduler's look at the handoffs: one indexed query a tick.
#[derive(Clone)]
pub struct HandoffWatcher {
    pub conversations: Conversations,
    /// No operator reply this long after the citizen waits raises an alert
    /// (`PROLINK_HANDOFF_ALERT_MINUTES`).
    pub alert_after_ms: i64,
}

/// What handling one complaint did: the actions taken and the index value it was left with.
struct Handled {
    actions: usize,
    next_due_ms: Option<i64>,
}

pub struct Scheduler {
    pub complaints: Arc<dyn ComplaintStore>,
    pub signals: Arc<dyn OperatorSignals>,
    /// Read once per tick; a source whose refresh is zero reads the store every tick.
    pub content: Arc<ContentSource>,
    pub tasks: Arc<dyn Queue>,
    /// Sends the operators' WhatsApp template; `None` keeps reminders on the dashboard only.
    pub notifier: Option<Notifier>,
    /// Who the WhatsApp template goes to: read once per tick (before anything is written, so
    /// a store failure fails the tick rather than losing a message).
    pub operators: Arc<OperatorContacts>,
    pub clock: Arc<dyn Clock>,
    pub settings: SchedulerSettings,
    /// `None` leaves handoffs alone (tests of the complaint points only).
    pub handoffs: Option<HandoffWatcher>,
    /// Removes complaints and alerts past their retention; `None` keeps everything.
    pub retention: Option<RetentionSweep>,
    /// Sends the due broadcasts; `None` sends none.
    pub broadcasts: Option<Broadcaster>,
    /// Posts the SP4N-LAPOR! outbox and pulls LAPOR's statuses; `None` in manual mode (no
    /// `PROLINK_LAPOR_BASE_URL`): nothing is posted.
    pub lapor: Option<LaporSync>,
}

impl Scheduler {
    pub async fn tick(&self) -> Result<TickReport, PortError> {
        let started = Instant::now();
        let now = self.clock.now_ms();
        // Three independent reads at once: a tick's latency is its round trips (a cold
        // scheduler pays each in full).
        let load_operators = async {
            match self.notifier {
                Some(_) => self.operators.current().await,
                None => Ok(Arc::default()),
            }
        };
        // Handoffs before the complaints: a few items, and a citizen waiting for a human
        // matters more than a reminder that can wait for the next tick's budget.
        let watch_handoffs = async {
            match &self.handoffs {
                Some(watcher) => Some(
                    watcher
                        .conversations
                        .watch_handoffs(self.signals.as_ref(), watcher.alert_after_ms)
                        .await,
                ),
                None => None,
            }
        };
        let (loaded, operators, handoffs) =
            tokio::join!(self.content.load(), load_operators, watch_handoffs);
        let mut report = TickReport::default();
        match handoffs {
            Some(Ok(watch)) => report.handoffs = watch,
            Some(Err(error)) => warn!(%error, "handoff watch failed; the next tick tries again"),
            None => {}
        }
        let loaded = loaded?;
        let content = &loaded.bundle;
        let operators = operators?;
        let mut seen: HashSet<String> = HashSet::new();
        // Complaints examined this tick that the index may still list as due (a lost race, a
        // point that cannot be acted on yet): every query asks for that many more, so they
        // can never fill a page and hide what is due behind them.
        let mut still_due: usize = 0;
        loop {
            let limit = self.settings.page.max(1).saturating_add(still_due);
            let due = self.complaints.complaints_due(now, limit).await?;
            report.queries += 1;
            let last_page = due.len() < limit;
            let fresh: Vec<Complaint> = due
                .into_iter()
                .filter(|c| seen.insert(c.ticket.clone()))
                .collect();
            let nothing_new = fresh.is_empty();
            for complaint in fresh {
                // The first complaint is handled whatever the budget, so that every tick
                // makes progress and a tiny budget cannot stall the index.
                if report.examined > 0 && started.elapsed() >= self.settings.budget {
                    info!(?report, "scheduler budget used up; the next tick continues");
                    return Ok(report);
                }
                report.examined += 1;
                match self.handle(complaint, now, content, &operators).await {
                    Ok(handled) => {
                        report.actions += handled.actions;
                        if handled.next_due_ms.is_some_and(|due| due <= now) {
                            still_due += 1;
                        }
                    }
                    Err(PortError::Conflict(_)) | Err(PortError::NotFound(_)) => {
                        report.conflicts += 1;
                        still_due += 1;
                    }
                    // One complaint the store refuses (a record grown past the item limit)
                    // must not stop every other complaint's reminders: skip it, loudly.
                    Err(PortError::Invalid(reason)) => {
                        warn!(%reason, "complaint cannot be written; skipped by the scheduler");
                        report.conflicts += 1;
                        still_due += 1;
                    }
                    Err(error) => return Err(error),
                }
            }
            // A short page is the end of what is due; a full page of complaints already
            // seen (an index lagging behind the writes) leaves the rest to the next tick.
            if last_page || nothing_new {
                report.finished = last_page;
                break;
            }
        }
        if let Some(broadcaster) = &self.broadcasts {
            // After the complaints (a citizen's own case first), before the sweep: a
            // broadcast gets what the due complaints left of the budget and checkpoints
            // before it runs out; a failure waits for the next tick.
            let left = self.settings.budget.saturating_sub(started.elapsed());
            match broadcaster.tick(left).await {
                Ok(sent) => report.broadcasts = sent,
                Err(error) => warn!(%error, "broadcasts failed; the next tick resumes them"),
            }
        }
        if let Some(sync) = &self.lapor {
            // After the broadcasts: LAPOR is a copy of what the city handles already, and a
            // task not reached waits in the due index for the next tick.
            let left = self.settings.budget.saturating_sub(started.elapsed());
            match sync.tick(left).await {
                Ok(done) => report.lapor = done,
                Err(error) => warn!(%error, "LAPOR outbox failed; the next tick tries again"),
            }
        }
        if let Some(sweep) = &self.retention {
            // Last: nothing here is urgent, so it gets what the due complaints left of the
            // budget, and a failure waits for the next tick rather than failing this one.
            let left = self.settings.budget.saturating_sub(started.elapsed());
            match sweep.sweep(now, left).await {
                Ok(swept) => report.retention = swept,
                Err(error) => warn!(%error, "retention sweep failed; the next tick tries again"),
            }
        }
        if report.actions > 0 || report.conflicts > 0 {
            info!(?report, "scheduler tick");
        }
        Ok(report)
    }

    /// Acts on one due complaint as `tick::decide` says.
    async fn handle(
        &self,
        complaint: Complaint,
        now: i64,
        content: &ContentBundle,
        operators: &OperatorDirectory,
    ) -> Result<Handled, PortError> {
        let decision = tick::decide(&complaint, now, content);
        for refusal in &decision.refused {
            let error = &refusal.error;
            match refusal.action {
                SlaAction::AutoClose => {
                    warn!(ticket = %complaint.ticket, %error, "auto-close refused")
                }
                _ => warn!(ticket = %complaint.ticket, %error, "SLA event refused"),
            }
        }
        let actions = decision.actions();
        let Some(updated) = decision.write else {
            return Ok(Handled {
                actions: 0,
                next_due_ms: decision.next_due_ms,
            });
        };
        for point in &decision.operator_points {
            self.alert_operators(&updated, point).await?;
        }
        // The citizen's notifications are tasks; queued before the write so a crash cannot
        // lose them (the complaint worker retries a task until the event it names exists).
        let messages: Vec<_> = decision
            .citizen_events
            .iter()
            .map(|event_id| {
                Task::StatusChanged {
                    ticket: updated.ticket.clone(),
                    event_id: event_id.clone(),
                }
                .to_message()
            })
            .collect();
        if !messages.is_empty() {
            self.tasks.send_batch(&messages).await?;
        }
        self.complaints.update_complaint(&updated).await?;
        for point in &decision.operator_points {
            self.message_operators(&updated, point, operators).await;
        }
        Ok(Handled {
            actions,
            next_due_ms: decision.next_due_ms,
        })
    }

    /// A reminder or an escalation on the dashboard's alert list (idempotent on its id).
    async fn alert_operators(
        &self,
        complaint: &Complaint,
        point: &OperatorPoint,
    ) -> Result<(), PortError> {
        let kind = match point.action {
            SlaAction::Escalation { .. } => "sla_escalation",
            _ => "sla_reminder",
        };
        self.signals
            .raise_alert(&OperatorAlert {
                id: format!("{}.{}", complaint.ticket, point.event_id),
                kind: kind.to_string(),
                message: point.notice.text.clone(),
                citizen_key: None,
                raised_ms: self.clock.now_ms(),
                // Reminders and escalations concern the complaint's OPD.
                opd_id: Some(complaint.opd_id.clone()),
            })
            .await
    }

    /// The WhatsApp template of a recorded point to every configured number of its level.
    /// The point is recorded already and no later tick sends it again, so a failure is
    /// logged (the alert stays on the dashboard) rather than failing the tick.
    async fn message_operators(
        &self,
        complaint: &Complaint,
        point: &OperatorPoint,
        operators: &OperatorDirectory,
    ) {
        let Some(notifier) = &self.notifier else {
            return;
        };
        for number in operators.recipients(&complaint.opd_id, &point.action) {
            let cause = format!("{}#{}", complaint.ticket, point.event_id);
            if let Err(error) = notifier
                .to_operator(&number, &point.notice.template, "sla", &cause)
                .await
            {
                warn!(%error, ticket = %complaint.ticket, "operator reminder not sent");
            }
        }
    }
}
