//! The SP4N-LAPOR! outbox (issue #23, `docs/lapor.md`). A complaint whose category forwards
//! to LAPOR (`forward_to_lapor`), or that an operator chooses, gets one [`LaporTask`]. With an
//! integration API configured the scheduler's tick posts it (idempotent: the key goes with
//! every create and a retry looks the report up first), retries with backoff, parks it with an
//! operator alert after the last attempt, and pulls LAPOR's status back as timeline events.
//! Without one (manual mode) the task waits for an operator to copy the form to LAPOR's site
//! and paste the tracking id back.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tracing::{info, warn};

use prolink_domain::{
    complaint::{self, Actor, Change, Complaint, ComplaintEvent, Status, TransitionError},
    content::ContentBundle,
    lapor::{self, FormContext, LaporForm, RemoteStatus, StatusDecision},
};

use crate::content_cache::ContentSource;
use crate::ports::{
    Clock, ComplaintStore, LaporError, LaporGateway, LaporRemote, LaporStore, LaporSubmission,
    LaporTask, LaporTaskState, OperatorAlert, OperatorSignals, PortError, PortResult, Queue,
};
use crate::tasks::Task;

/// `requested_by` of a task the category asked for.
pub const BY_CATEGORY: &str = "kategori";
/// LAPOR's name of our government, unless the mapping says otherwise.
pub const DEFAULT_INSTANSI: &str = "Pemerintah Kota Probolinggo";

#[derive(Debug, Clone)]
pub struct LaporSettings {
    /// Failed posts before a task is parked (`PROLINK_LAPOR_MAX_ATTEMPTS`).
    pub max_attempts: u32,
    /// How often a linked report's status is read.
    pub pull_every_ms: i64,
    /// Tasks read per tick.
    pub batch: usize,
    /// `instansi_tujuan` on the form.
    pub instansi: String,
}

impl Default for LaporSettings {
    fn default() -> Self {
        LaporSettings {
            max_attempts: 6,
            pull_every_ms: 60 * 60_000,
            batch: 25,
            instansi: DEFAULT_INSTANSI.to_string(),
        }
    }
}

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LaporTickReport {
    pub examined: usize,
    /// Reports made at LAPOR (or found there after a lost answer).
    pub linked: usize,
    pub failed: usize,
    pub parked: usize,
    pub pulled: usize,
    /// Our complaints moved by LAPOR's status.
    pub moved: usize,
    /// LAPOR statuses recorded as notes for the operators.
    pub notes: usize,
    /// Tasks or complaints changed meanwhile: left for the next tick.
    pub conflicts: usize,
}

/// The idempotency key of a complaint's report: one per ticket, so even a task made again
/// (after a store restore) finds the report the first one made.
pub fn idempotency_key(ticket: &str) -> String {
    format!("prolink-{}", ticket.to_ascii_lowercase())
}

/// A new task for the complaint, due at once.
pub fn new_task(complaint: &Complaint, requested_by: &str, now_ms: i64) -> LaporTask {
    LaporTask {
        ticket: complaint.ticket.clone(),
        citizen_key: complaint.citizen_key.clone(),
        state: LaporTaskState::Pending,
        idempotency_key: idempotency_key(&complaint.ticket),
        lapor_id: None,
        attempts: 0,
        last_error: None,
        next_run_ms: Some(now_ms),
        remote_status: None,
        sent_ms: None,
        requested_by: requested_by.to_string(),
        anonymised: false,
        created_ms: now_ms,
        updated_ms: now_ms,
        version: 0,
    }
}

/// The complaint's task, made if it has none. `Ok((task, true))` when made now; a lost race
/// reads the winner's.
pub async fn ensure_task(
    store: &dyn LaporStore,
    complaint: &Complaint,
    requested_by: &str,
    now_ms: i64,
) -> PortResult<(LaporTask, bool)> {
    if let Some(task) = store.get_lapor_task(&complaint.ticket).await? {
        return Ok((task, false));
    }
    let mut task = new_task(complaint, requested_by, now_ms);
    match store.put_lapor_task(&task).await {
        Ok(version) => {
            task.version = version;
            Ok((task, true))
        }
        Err(PortError::Conflict(_)) => store
            .get_lapor_task(&complaint.ticket)
            .await?
            .map(|task| (task, false))
            .ok_or_else(|| PortError::Backend("LAPOR task lost after a conflict".into())),
        Err(error) => Err(error),
    }
}

/// Whether the category asks for every complaint to go to LAPOR.
pub fn category_forwards(content: &ContentBundle, complaint: &Complaint) -> bool {
    content
        .category(&complaint.category_id)
        .is_some_and(|c| c.forward_to_lapor)
}

/// The form of a complaint, photos named as the operator downloads them.
pub fn form_of(complaint: &Complaint, content: &ContentBundle, instansi: &str) -> LaporForm {
    let category = content
        .category(&complaint.category_id)
        .map_or_else(|| complaint.category_id.clone(), |c| c.name.clone());
    let opd = content
        .opd(&complaint.opd_id)
        .map_or_else(|| complaint.opd_id.clone(), |o| o.name.clone());
    let attachments = complaint
        .all_photos()
        .filter(|p| p.stored_key.is_some())
        .enumerate()
        .map(|(i, p)| {
            let ext = match p.mime_type.as_deref() {
                Some("image/png") => "png",
                Some("image/webp") => "webp",
                _ => "jpg",
            };
            format!("{}-foto-{}.{ext}", complaint.ticket, i + 1)
        })
        .collect();
    lapor::form(
        complaint,
        &FormContext {
            category: &category,
            opd: &opd,
            instansi,
            attachments,
        },
    )
}

/// What the operator's pasted tracking id did.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub task: LaporTask,
    pub complaint: Complaint,
}

/// Why a tracking id was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The task holds another id already (LAPOR made that report).
    #[error("Aduan ini sudah tercatat di SP4N-LAPOR! dengan nomor #{0}.")]
    OtherId(String),
    #[error(transparent)]
    Timeline(TransitionError),
    #[error(transparent)]
    Store(#[from] PortError),
}

/// Links the complaint to a LAPOR report made by hand (or confirms the adapter's): the task
/// becomes `linked` (made if the complaint had none) and the id goes on the timeline.
/// Repeating it changes nothing.
pub async fn record_tracking_id(
    store: &dyn LaporStore,
    complaints: &dyn ComplaintStore,
    complaint: &Complaint,
    lapor_id: &str,
    recorded_by: &str,
    now_ms: i64,
) -> Result<Recorded, RecordError> {
    let (mut task, _) = ensure_task(store, complaint, recorded_by, now_ms).await?;
    match task.lapor_id.as_deref() {
        Some(existing) if existing != lapor_id => {
            return Err(RecordError::OtherId(existing.to_string()))
        }
        Some(_) => {}
        None => {
            task.lapor_id = Some(lapor_id.to_string());
            task.state = LaporTaskState::Linked;
            task.sent_ms = Some(now_ms);
            task.attempts = 0;
            task.last_error = None;
            task.next_run_ms = Some(now_ms);
            task.updated_ms = now_ms;
            task.version = store.put_lapor_task(&task).await?;
        }
    }
    let complaint = match lapor::record_tracking_id(complaint, lapor_id, now_ms, recorded_by) {
        Ok(changed) => {
            let version = complaints.update_complaint(&changed).await?;
            Complaint { version, ..changed }
        }
        Err(TransitionError::AlreadyApplied) => complaint.clone(),
        Err(error) => return Err(RecordError::Timeline(error)),
    };
    Ok(Recorded { task, complaint })
}

/// The operator asks for a parked (or stalled) task to be tried again now.
pub fn requeue(task: &mut LaporTask, now_ms: i64) {
    if task.state == LaporTaskState::Parked {
        task.state = LaporTaskState::Pending;
    }
    task.attempts = 0;
    task.last_error = None;
    task.next_run_ms = Some(now_ms);
    task.updated_ms = now_ms;
}

/// The outbox worker, run on the scheduler's tick when an integration API is configured.
pub struct LaporSync {
    pub store: Arc<dyn LaporStore>,
    pub gateway: Arc<dyn LaporGateway>,
    pub complaints: Arc<dyn ComplaintStore>,
    pub content: Arc<ContentSource>,
    /// The complaint tasks queue (a status LAPOR moved is told to the citizen).
    pub tasks: Arc<dyn Queue>,
    pub signals: Arc<dyn OperatorSignals>,
    pub clock: Arc<dyn Clock>,
    pub settings: LaporSettings,
}

impl LaporSync {
    /// Acts on the due tasks until `budget` is used (the first task whatever the budget).
    pub async fn tick(&self, budget: Duration) -> PortResult<LaporTickReport> {
        let started = Instant::now();
        let now = self.clock.now_ms();
        let mut report = LaporTickReport::default();
        let due = self
            .store
            .lapor_tasks_due(now, self.settings.batch.max(1))
            .await?;
        if due.is_empty() {
            return Ok(report);
        }
        let loaded = self.content.load().await?;
        for task in due {
            if report.examined > 0 && started.elapsed() >= budget {
                break;
            }
            report.examined += 1;
            let ticket = task.ticket.clone();
            match self.handle(task, now, &loaded.bundle, &mut report).await {
                Ok(()) => {}
                Err(PortError::Conflict(_)) => report.conflicts += 1,
                Err(PortError::Invalid(reason)) => {
                    warn!(%ticket, %reason, "LAPOR task cannot be written; skipped");
                    report.conflicts += 1;
                }
                Err(error) => return Err(error),
            }
        }
        if report != LaporTickReport::default() {
            info!(?report, "LAPOR tick");
        }
        Ok(report)
    }

    async fn handle(
        &self,
        mut task: LaporTask,
        now: i64,
        content: &ContentBundle,
        report: &mut LaporTickReport,
    ) -> PortResult<()> {
        let Some(complaint) = self.complaints.get_complaint(&task.ticket).await? else {
            // Removed after its retention: nothing left to send or to update.
            task.next_run_ms = None;
            task.last_error = Some("Aduan sudah tidak ada.".into());
            task.updated_ms = now;
            self.store.put_lapor_task(&task).await?;
            return Ok(());
        };
        match (task.state, task.lapor_id.clone()) {
            (LaporTaskState::Linked, Some(lapor_id)) => {
                self.pull(task, &lapor_id, complaint, now, content, report)
                    .await
            }
            (LaporTaskState::Pending, _) => self.post(task, complaint, now, content, report).await,
            // Parked, or linked without an id (cannot happen): the index should not list it.
            _ => {
                task.next_run_ms = None;
                task.updated_ms = now;
                self.store.put_lapor_task(&task).await.map(|_| ())
            }
        }
    }

    async fn post(
        &self,
        mut task: LaporTask,
        complaint: Complaint,
        now: i64,
        content: &ContentBundle,
        report: &mut LaporTickReport,
    ) -> PortResult<()> {
        // A complaint withdrawn or refused before it went out is not sent at all.
        if matches!(
            complaint.status,
            Status::Dicabut | Status::Ditolak | Status::BukanWewenang
        ) {
            task.next_run_ms = None;
            task.last_error = Some(format!(
                "Tidak diteruskan: aduan berstatus {}.",
                complaint.status.label()
            ));
            task.updated_ms = now;
            self.store.put_lapor_task(&task).await?;
            return Ok(());
        }
        // After any failure the report may exist (a lost or unreadable answer): look first.
        let found = if task.attempts > 0 {
            self.gateway.find(&task.idempotency_key).await.map(Some)
        } else {
            Ok(None)
        };
        let outcome = match found {
            Ok(Some(Some(id))) => Ok(id),
            Ok(_) => {
                let submission = LaporSubmission {
                    idempotency_key: task.idempotency_key.clone(),
                    ticket: complaint.ticket.clone(),
                    form: form_of(&complaint, content, &self.settings.instansi),
                    // No identity after an erasure, nor for an anonymous or confidential one.
                    reporter: if task.anonymised {
                        None
                    } else {
                        lapor::reporter(&complaint)
                    },
                };
                self.gateway.create(&submission).await
            }
            Err(error) => Err(error),
        };
        match outcome {
            Ok(lapor_id) => {
                let lapor_id = match lapor::parse_tracking_id(&lapor_id) {
                    Ok(id) => id,
                    Err(_) => {
                        return self
                            .failed(
                                task,
                                &complaint,
                                LaporError::Malformed(format!(
                                    "nomor pelacakan tidak sah: {:?}",
                                    lapor_id.chars().take(40).collect::<String>()
                                )),
                                now,
                                report,
                            )
                            .await
                    }
                };
                task.state = LaporTaskState::Linked;
                task.lapor_id = Some(lapor_id.clone());
                task.sent_ms = Some(now);
                task.attempts = 0;
                task.last_error = None;
                task.next_run_ms = Some(now + self.settings.pull_every_ms);
                task.updated_ms = now;
                // The task first: once it holds the id no later tick posts again.
                task.version = self.store.put_lapor_task(&task).await?;
                report.linked += 1;
                match lapor::record_tracking_id(&complaint, &lapor_id, now, lapor::LAPOR_ACTOR) {
                    Ok(changed) => {
                        self.complaints.update_complaint(&changed).await?;
                    }
                    Err(TransitionError::AlreadyApplied) => {}
                    Err(error) => {
                        warn!(ticket = %complaint.ticket, %error, "LAPOR id not put on the timeline")
                    }
                }
                Ok(())
            }
            Err(error) => self.failed(task, &complaint, error, now, report).await,
        }
    }

    async fn failed(
        &self,
        mut task: LaporTask,
        complaint: &Complaint,
        error: LaporError,
        now: i64,
        report: &mut LaporTickReport,
    ) -> PortResult<()> {
        warn!(ticket = %task.ticket, %error, attempts = task.attempts + 1, "LAPOR post failed");
        report.failed += 1;
        task.attempts = task.attempts.saturating_add(1);
        task.last_error = Some(error.to_string().chars().take(300).collect());
        task.updated_ms = now;
        let give_up = matches!(error, LaporError::Rejected(_))
            || task.attempts >= self.settings.max_attempts.max(1);
        if !give_up {
            task.next_run_ms = Some(now + lapor::retry_delay_ms(task.attempts));
            self.store.put_lapor_task(&task).await?;
            return Ok(());
        }
        task.state = LaporTaskState::Parked;
        task.next_run_ms = None;
        // The alert before the write: a crash between them raises it again (idempotent on
        // its id), never loses it.
        self.signals
            .raise_alert(&OperatorAlert {
                id: format!("lapor.parked.{}.{}", task.ticket, task.version),
                kind: "lapor_parked".into(),
                message: format!(
                    "Aduan {} belum terkirim ke SP4N-LAPOR! setelah {} percobaan ({}). Buka \
                     halaman aduan untuk mencoba lagi atau menyalinnya manual (Salin untuk LAPOR!).",
                    task.ticket,
                    task.attempts,
                    task.last_error.as_deref().unwrap_or("-")
                ),
                citizen_key: None,
                raised_ms: now,
                opd_id: Some(complaint.opd_id.clone()),
            })
            .await?;
        self.store.put_lapor_task(&task).await?;
        report.parked += 1;
        Ok(())
    }

    async fn pull(
        &self,
        mut task: LaporTask,
        lapor_id: &str,
        complaint: Complaint,
        now: i64,
        content: &ContentBundle,
        report: &mut LaporTickReport,
    ) -> PortResult<()> {
        let remote = match self.gateway.status(lapor_id).await {
            Ok(remote) => remote,
            Err(error) => {
                // Reading is harmless to repeat: keep trying at the backoff's pace, and tell
                // the operators once when it has failed as often as a post may.
                warn!(ticket = %task.ticket, %error, "LAPOR status not read");
                report.failed += 1;
                task.attempts = task.attempts.saturating_add(1);
                task.last_error = Some(error.to_string().chars().take(300).collect());
                task.next_run_ms = Some(now + lapor::retry_delay_ms(task.attempts));
                task.updated_ms = now;
                if task.attempts == self.settings.max_attempts.max(1) {
                    self.signals
                        .raise_alert(&OperatorAlert {
                            id: format!("lapor.pull.{}.{}", task.ticket, task.version),
                            kind: "lapor_status".into(),
                            message: format!(
                                "Status aduan {} di SP4N-LAPOR! (#{lapor_id}) tidak dapat dibaca \
                                 setelah {} percobaan ({}).",
                                task.ticket,
                                task.attempts,
                                task.last_error.as_deref().unwrap_or("-")
                            ),
                            citizen_key: None,
                            raised_ms: now,
                            opd_id: Some(complaint.opd_id.clone()),
                        })
                        .await?;
                }
                self.store.put_lapor_task(&task).await?;
                return Ok(());
            }
        };
        report.pulled += 1;
        if task.remote_status != Some(remote.status) {
            self.apply_remote(&complaint, lapor_id, &remote, now, content, report)
                .await?;
        }
        task.remote_status = Some(remote.status);
        task.attempts = 0;
        task.last_error = None;
        task.updated_ms = now;
        // Nothing more will change once both sides are done.
        let ours_done = complaint.status.is_final();
        let theirs_done = matches!(remote.status, RemoteStatus::Selesai | RemoteStatus::Arsip);
        task.next_run_ms = if ours_done && theirs_done {
            None
        } else {
            Some(now + self.settings.pull_every_ms)
        };
        self.store.put_lapor_task(&task).await?;
        Ok(())
    }

    /// A new LAPOR status on our timeline: a move where the lifecycle allows it, else a note
    /// for the operators. Event ids name both statuses, so a repeated pull adds nothing.
    async fn apply_remote(
        &self,
        complaint: &Complaint,
        lapor_id: &str,
        remote: &LaporRemote,
        now: i64,
        content: &ContentBundle,
        report: &mut LaporTickReport,
    ) -> PortResult<()> {
        // Our state is part of the id: LAPOR's *selesai* noted while ours was *diterima* may
        // still move ours once it is *diproses*.
        let event_id = format!(
            "lapor.status.{lapor_id}.{}.{}",
            remote.status.as_str(),
            complaint.status.as_str()
        );
        if complaint.has_event(&event_id) {
            return Ok(());
        }
        let rules = complaint::Rules::for_category(content, &complaint.category_id);
        match lapor::decide_status(complaint.status, remote.status) {
            StatusDecision::Unchanged => Ok(()),
            StatusDecision::Move(to) => {
                let answer = remote
                    .answer
                    .as_deref()
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(|a| a.chars().take(800).collect::<String>());
                let public_note = match (to, answer) {
                    (_, Some(answer)) => Some(answer),
                    (Status::Selesai, None) => Some(format!(
                        "Laporan Anda dinyatakan selesai ditindaklanjuti melalui SP4N-LAPOR! \
                         (#{lapor_id})."
                    )),
                    _ => None,
                };
                let change = Change {
                    event_id: event_id.clone(),
                    at_ms: now,
                    // LAPOR's dispositions are an officer's (of the OPD, on LAPOR's side).
                    actor: Actor::operator(lapor::LAPOR_ACTOR),
                    to,
                    public_note,
                    internal_note: Some(format!(
                        "Status SP4N-LAPOR! #{lapor_id}: {}.",
                        remote.status.label()
                    )),
                };
                match complaint::apply(complaint, change, &rules) {
                    Ok(changed) => {
                        // The citizen's notification first (the worker waits for the event).
                        let task = Task::StatusChanged {
                            ticket: changed.ticket.clone(),
                            event_id,
                        };
                        self.tasks.send_batch(&[task.to_message()]).await?;
                        self.complaints.update_complaint(&changed).await?;
                        report.moved += 1;
                        Ok(())
                    }
                    Err(error) => {
                        warn!(ticket = %complaint.ticket, %error, "LAPOR status not applied");
                        self.note(complaint, event_id, lapor_id, remote, now, &rules, report)
                            .await
                    }
                }
            }
            StatusDecision::Note => {
                self.note(complaint, event_id, lapor_id, remote, now, &rules, report)
                    .await
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn note(
        &self,
        complaint: &Complaint,
        event_id: String,
        lapor_id: &str,
        remote: &LaporRemote,
        now: i64,
        rules: &complaint::Rules<'_>,
        report: &mut LaporTickReport,
    ) -> PortResult<()> {
        let event = ComplaintEvent {
            id: event_id,
            at_ms: now,
            actor: Actor::system(lapor::LAPOR_ACTOR),
            from: Some(complaint.status),
            to: complaint.status,
            public_note: None,
            // LAPOR's own bookkeeping (received, verified) is only recorded; a state that
            // could not be applied here asks the operators to look.
            internal_note: Some(match remote.status {
                RemoteStatus::BelumTerverifikasi | RemoteStatus::Terverifikasi => {
                    format!("Status SP4N-LAPOR! #{lapor_id}: {}.", remote.status.label())
                }
                _ => format!(
                    "SP4N-LAPOR! #{lapor_id} kini berstatus {}; status di sini ({}) tidak \
                     diubah otomatis. Periksa dan sesuaikan bila perlu.",
                    remote.status.label(),
                    complaint.status.label()
                ),
            }),
            info: None,
        };
        match complaint::apply_recorded(complaint, event, rules) {
            Ok(changed) => {
                self.complaints.update_complaint(&changed).await?;
                report.notes += 1;
            }
            // A closed complaint takes no more notes: the task keeps LAPOR's status.
            Err(error) => {
                info!(ticket = %complaint.ticket, %error, "LAPOR status kept on the task only")
            }
        }
        Ok(())
    }
}

/// What the operator API needs of LAPOR: the outbox, whether the tick posts it (API mode) or
/// operators copy it (manual mode), and LAPOR's name of our government.
#[derive(Clone)]
pub struct LaporLink {
    pub store: Arc<dyn LaporStore>,
    pub automatic: bool,
    pub instansi: String,
}

impl LaporLink {
    pub fn manual(store: Arc<dyn LaporStore>) -> LaporLink {
        LaporLink {
            store,
            automatic: false,
            instansi: DEFAULT_INSTANSI.to_string(),
        }
    }
}
