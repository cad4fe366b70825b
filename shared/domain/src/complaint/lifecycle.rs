//! The one transition table of the complaint lifecycle, and the functions that change a
//! complaint. Every change goes through [`apply`] or [`add_info`], which refuse anything the
//! table does not allow (with a reason an operator can read) and append the event.

pub use super::limits::{
    CITIZEN_INFO_UNTIL_EVENTS, COMMENT_MAX_CHARS, MAX_EVENTS, MAX_PHOTOS, NOTE_MAX_CHARS,
};
use ActorKind::{Citizen, Operator, System};
use Status::*;

use super::{
    model::{Actor, ActorKind, AddedInfo, Complaint, ComplaintEvent, Status},
    schedule::{schedule, Sla},
    sla,
};
use crate::content::{ContentBundle, HolidayCalendar};

const OPERATOR: &[ActorKind] = &[Operator];
const CITIZEN: &[ActorKind] = &[Citizen];
const CITIZEN_OR_OPERATOR: &[ActorKind] = &[Citizen, Operator];
const OPERATOR_OR_SYSTEM: &[ActorKind] = &[Operator, System];
const ANYONE: &[ActorKind] = &[Citizen, Operator, System];

/// (from, to, who may make that change). Anything not listed is refused.
pub const TRANSITIONS: &[(Status, Status, &[ActorKind])] = &[
    // Triage by Diskominfo.
    (Diterima, Diverifikasi, OPERATOR),
    (Diterima, Diteruskan, OPERATOR),
    (Diterima, PerluDilengkapi, OPERATOR),
    (Diterima, Ditolak, OPERATOR),
    (Diterima, BukanWewenang, OPERATOR),
    (Diterima, Dicabut, CITIZEN),
    (Diverifikasi, Diteruskan, OPERATOR),
    (Diverifikasi, PerluDilengkapi, OPERATOR),
    (Diverifikasi, Ditolak, OPERATOR),
    (Diverifikasi, BukanWewenang, OPERATOR),
    (Diverifikasi, Dicabut, CITIZEN),
    // Waiting for the citizen: the clock is paused. The citizen's answer (or an operator)
    // resumes it where it stood; silence closes it (scheduler).
    (PerluDilengkapi, Diverifikasi, CITIZEN_OR_OPERATOR),
    (PerluDilengkapi, Diteruskan, CITIZEN_OR_OPERATOR),
    (PerluDilengkapi, Diproses, CITIZEN_OR_OPERATOR),
    (PerluDilengkapi, Ditutup, OPERATOR_OR_SYSTEM),
    (PerluDilengkapi, Dicabut, CITIZEN),
    // At the OPD.
    (Diteruskan, Diproses, OPERATOR),
    (Diteruskan, PerluDilengkapi, OPERATOR),
    (Diteruskan, BukanWewenang, OPERATOR),
    // Sent back to Diskominfo to be routed to another OPD.
    (Diteruskan, Diverifikasi, OPERATOR),
    (Diteruskan, Dicabut, CITIZEN),
    (Diproses, Selesai, OPERATOR),
    (Diproses, PerluDilengkapi, OPERATOR),
    // After the answer: "belum selesai" reopens; a rating or silence closes.
    (Selesai, DibukaKembali, CITIZEN_OR_OPERATOR),
    (Selesai, Ditutup, ANYONE),
    (DibukaKembali, Diproses, OPERATOR),
    (DibukaKembali, Selesai, OPERATOR),
];

/// States whose event must carry a note for the citizen.
const NOTE_REQUIRED: &[Status] = &[PerluDilengkapi, Ditolak, BukanWewenang, Selesai];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("Status aduan *{}* tidak dapat diubah menjadi *{}* oleh {}.", .from.label(), .to.label(), actor_label(*.actor))]
    NotAllowed {
        from: Status,
        to: Status,
        actor: ActorKind,
    },
    #[error("Aduan yang sudah pernah *Sedang diproses* tidak dapat dicabut lagi.")]
    WithdrawAfterProcessing,
    #[error("Aduan yang sudah diikuti warga lain tidak dapat dicabut.")]
    WithdrawFollowed,
    #[error("Status *{}* wajib disertai catatan untuk pelapor.", .0.label())]
    NoteRequired(Status),
    #[error("Catatan terlalu panjang (maksimal {NOTE_MAX_CHARS} karakter).")]
    NoteTooLong,
    #[error("Riwayat aduan sudah penuh ({MAX_EVENTS} kejadian); hubungi admin.")]
    TimelineFull,
    /// The cause was already applied (a retried message or request): nothing to do.
    #[error("Perubahan ini sudah tercatat.")]
    AlreadyApplied,
    #[error("Nilai harus antara 1 dan 5 (bukan {0}).")]
    InvalidScore(u8),
    #[error("Aduan ini belum dinilai pelapor.")]
    NotRated,
    #[error("Komentar penilaian aduan ini sudah tercatat.")]
    AlreadyCommented,
    #[error("Komentar tidak boleh kosong.")]
    EmptyComment,
    #[error("Komentar terlalu panjang (maksimal {COMMENT_MAX_CHARS} karakter).")]
    CommentTooLong,
    /// "Ikut melapor" on a complaint that is no longer being handled.
    #[error("Aduan berstatus *{}* tidak dapat diikuti lagi.", .0.label())]
    CannotFollow(Status),
}

fn actor_label(actor: ActorKind) -> &'static str {
    match actor {
        Citizen => "pelapor",
        Operator => "petugas",
        System => "sistem",
    }
}

/// Whether the table lets `actor` move a complaint from `from` to `to`.
pub fn is_allowed(from: Status, to: Status, actor: ActorKind) -> bool {
    TRANSITIONS
        .iter()
        .any(|(f, t, actors)| *f == from && *t == to && actors.contains(&actor))
}

/// The states `actor` may move a complaint in `from` to.
pub fn next_states(from: Status, actor: ActorKind) -> Vec<Status> {
    TRANSITIONS
        .iter()
        .filter(|(f, _, actors)| *f == from && actors.contains(&actor))
        .map(|(_, to, _)| *to)
        .collect()
}

/// A requested status change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Derived from the cause (message id, operator request id).
    pub event_id: String,
    pub at_ms: i64,
    pub actor: Actor,
    pub to: Status,
    pub public_note: Option<String>,
    pub internal_note: Option<String>,
}

/// What the clocks need besides the complaint.
pub struct Rules<'a> {
    pub sla: Sla,
    pub holidays: &'a HolidayCalendar,
}

impl<'a> Rules<'a> {
    /// The rules of a category from the content; a category that has left the content since
    /// the complaint was submitted falls back to [`Sla::FALLBACK`].
    pub fn for_category(content: &'a ContentBundle, category_id: &str) -> Rules<'a> {
        Rules {
            sla: content
                .category(category_id)
                .map_or(Sla::FALLBACK, Sla::from),
            holidays: &content.holidays,
        }
    }
}

/// Whether the citizen may still withdraw (`dicabut`): never once it has been processed.
pub fn can_withdraw(complaint: &Complaint) -> bool {
    is_allowed(complaint.status, Dicabut, Citizen)
        && !was_processed(complaint)
        && complaint.followers.is_empty()
}

fn was_processed(complaint: &Complaint) -> bool {
    complaint
        .events
        .iter()
        .any(|e| matches!(e.to, Diproses | Selesai | DibukaKembali))
}

/// Applies a status change, or says why it is refused. The returned complaint has the event
/// appended, the clocks recomputed and the same `version` (the store increments it).
pub fn apply(
    complaint: &Complaint,
    change: Change,
    rules: &Rules,
) -> Result<Complaint, TransitionError> {
    if complaint.has_event(&change.event_id) {
        return Err(TransitionError::AlreadyApplied);
    }
    if complaint.events.len() >= MAX_EVENTS {
        return Err(TransitionError::TimelineFull);
    }
    let from = complaint.status;
    if !is_allowed(from, change.to, change.actor.kind) {
        return Err(TransitionError::NotAllowed {
            from,
            to: change.to,
            actor: change.actor.kind,
        });
    }
    if change.to == Dicabut && was_processed(complaint) {
        return Err(TransitionError::WithdrawAfterProcessing);
    }
    // Citizens who chose to follow it gave up their own report: withdrawing it would leave
    // the problem with nobody.
    if change.to == Dicabut && !complaint.followers.is_empty() {
        return Err(TransitionError::WithdrawFollowed);
    }
    // A citizen's answer returns the complaint to where it stood, never further.
    if from == PerluDilengkapi
        && change.actor.kind == Citizen
        && change.to != Dicabut
        && change.to != resume_state(complaint)
    {
        return Err(TransitionError::NotAllowed {
            from,
            to: change.to,
            actor: change.actor.kind,
        });
    }
    let public_note = clean_note(change.public_note)?;
    let internal_note = clean_note(change.internal_note)?;
    if NOTE_REQUIRED.contains(&change.to) && public_note.is_none() {
        return Err(TransitionError::NoteRequired(change.to));
    }
    let mut next = complaint.clone();
    next.status = change.to;
    next.updated_ms = change.at_ms;
    next.events.push(ComplaintEvent {
        id: change.event_id,
        at_ms: change.at_ms,
        actor: change.actor,
        from: Some(from),
        to: change.to,
        public_note,
        internal_note,
        info: None,
    });
    reschedule(&mut next, rules);
    Ok(next)
}

/// Appends a recorded SLA event (from `sla::record`) and recomputes the clocks, so
/// `next_due_ms` moves on to the next point. `AlreadyApplied` when the event is there (an
/// overlapping or retried tick); an event that would change the status, or any event on a
/// final complaint, is refused: those go through [`apply`].
pub fn apply_recorded(
    complaint: &Complaint,
    event: ComplaintEvent,
    rules: &Rules,
) -> Result<Complaint, TransitionError> {
    if complaint.has_event(&event.id) {
        return Err(TransitionError::AlreadyApplied);
    }
    let status = complaint.status;
    if status.is_final() || event.from != Some(status) || event.to != status {
        return Err(TransitionError::NotAllowed {
            from: status,
            to: event.to,
            actor: event.actor.kind,
        });
    }
    if complaint.events.len() >= MAX_EVENTS {
        return Err(TransitionError::TimelineFull);
    }
    let mut next = complaint.clone();
    next.updated_ms = event.at_ms;
    next.events.push(event);
    reschedule(&mut next, rules);
    Ok(next)
}

/// The state a complaint returns to when the citizen answers `perlu_dilengkapi`: where it
/// stood before the request.
pub fn resume_state(complaint: &Complaint) -> Status {
    complaint
        .events
        .iter()
        .rev()
        .find(|e| e.to == PerluDilengkapi && e.changes_status())
        .and_then(|e| e.from)
        .filter(|s| is_allowed(PerluDilengkapi, *s, Citizen))
        .unwrap_or(Diverifikasi)
}

/// The citizen adds information. While `perlu_dilengkapi` this answers the request: the
/// complaint resumes where it stood and the clock runs again. Otherwise it is recorded
/// without a status change.
pub fn add_info(
    complaint: &Complaint,
    event_id: &str,
    at_ms: i64,
    actor: Actor,
    info: AddedInfo,
    rules: &Rules,
) -> Result<Complaint, TransitionError> {
    if complaint.has_event(event_id) {
        return Err(TransitionError::AlreadyApplied);
    }
    // Citizens' additions stop short of the cap, so operators and the scheduler can still
    // answer and close a complaint a citizen wrote to many times.
    if complaint.events.len() >= CITIZEN_INFO_UNTIL_EVENTS {
        return Err(TransitionError::TimelineFull);
    }
    let from = complaint.status;
    if from.is_final() {
        return Err(TransitionError::NotAllowed {
            from,
            to: from,
            actor: actor.kind,
        });
    }
    let to = if from == PerluDilengkapi && actor.kind == Citizen {
        resume_state(complaint)
    } else {
        from
    };
    let mut next = complaint.clone();
    // A photo sent after a failed copy replaces the failed one (the citizen was asked to
    // send it again), which frees its place and ends the request.
    if !info.photos.is_empty() {
        if let Some(failed) = next.photos.iter().position(|p| p.fetch_error.is_some()) {
            next.photos.remove(failed);
        }
    }
    for photo in &info.photos {
        if next.photos.len() < MAX_PHOTOS
            && !next.photos.iter().any(|p| p.media_id == photo.media_id)
        {
            next.photos.push(photo.clone());
        }
    }
    if next.location.is_none() {
        next.location.clone_from(&info.location);
    }
    next.status = to;
    next.updated_ms = at_ms;
    next.events.push(ComplaintEvent {
        id: event_id.to_string(),
        at_ms,
        actor,
        from: Some(from),
        to,
        public_note: None,
        internal_note: None,
        info: Some(info),
    });
    reschedule(&mut next, rules);
    Ok(next)
}

/// Recomputes the clocks from the events, then the by-deadline index value: the earliest
/// SLA point not yet settled (`sla::next_point_ms`), not the deadline's end that
/// [`schedule`] also returns — the scheduler must wake for the reminders before it.
pub fn reschedule(complaint: &mut Complaint, rules: &Rules) {
    let (deadlines, _deadline_end) = schedule(complaint, rules.sla, rules.holidays);
    complaint.deadlines = deadlines;
    complaint.next_due_ms = sla::next_point_ms(complaint, rules.holidays);
}

fn clean_note(note: Option<String>) -> Result<Option<String>, TransitionError> {
    let Some(note) = note else { return Ok(None) };
    let trimmed = note.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().count() > NOTE_MAX_CHARS {
        return Err(TransitionError::NoteTooLong);
    }
    Ok(Some(trimmed.to_string()))
}
