//! Work for the complaint worker, put on the tasks queue by the dialog worker (and later by
//! the operator API and the scheduler). Every task names what it is about, not what it
//! carries: the handler reads the current complaint, so a late or repeated task acts on
//! the truth and is recognised by its id.

use serde::{Deserialize, Serialize};

use prolink_domain::complaint::Complaint;

use crate::ids::sha256_hex;
use crate::ports::OutgoingMessage;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Task {
    /// A new complaint: route it to its OPD (alert the operators) and look for a duplicate.
    ComplaintSubmitted { ticket: String },
    /// WhatsApp the OPD's configured operator numbers about a new complaint (its own task so
    /// that the quiet hours can hold it without holding the citizen's duplicate offer).
    OperatorsNewComplaint { ticket: String },
    /// Copy one photo from WhatsApp to private storage before Meta's media id expires.
    CopyMedia { ticket: String, media_id: String },
    /// A public change by an operator or the scheduler: tell the reporter and followers.
    StatusChanged { ticket: String, event_id: String },
    /// The citizen changed the complaint from the chat (added information, withdrew it,
    /// rated it, reopened it): tell the OPD.
    CitizenUpdate { ticket: String, event_id: String },
    /// Send the next stretch of a broadcast. `seq` is the broadcast's version when the batch
    /// was handed out: a batch whose broadcast has been written since (another batch took
    /// over, an operator cancelled it) is stale and sends nothing.
    BroadcastBatch { broadcast_id: String, seq: u64 },
}

impl Task {
    pub fn ticket(&self) -> &str {
        match self {
            Task::ComplaintSubmitted { ticket }
            | Task::OperatorsNewComplaint { ticket }
            | Task::CopyMedia { ticket, .. }
            | Task::StatusChanged { ticket, .. }
            | Task::CitizenUpdate { ticket, .. } => ticket,
            Task::BroadcastBatch { broadcast_id, .. } => broadcast_id,
        }
    }

    /// Stable identity: the same task enqueued twice has the same id.
    pub fn id(&self) -> String {
        match self {
            Task::ComplaintSubmitted { ticket } => format!("submitted.{ticket}"),
            Task::OperatorsNewComplaint { ticket } => format!("operators.{ticket}"),
            Task::CopyMedia { ticket, media_id } => format!("media.{ticket}.{media_id}"),
            Task::StatusChanged { ticket, event_id } => format!("status.{ticket}.{event_id}"),
            Task::CitizenUpdate { ticket, event_id } => format!("citizen.{ticket}.{event_id}"),
            Task::BroadcastBatch { broadcast_id, seq } => {
                format!("broadcast.{broadcast_id}.{seq}")
            }
        }
    }

    /// The dedup-store key the complaint worker writes once the task is done.
    pub fn done_mark(&self) -> String {
        format!("task#{}", self.id())
    }

    /// The queue message. Group and deduplication ids are hashes (SQS allows only
    /// `[A-Za-z0-9!-~]`, ≤ 128); a standard queue ignores them. Each task is its own group:
    /// tasks need no order (each reads the current complaint), and the local queue, which
    /// holds a group back while one of its messages waits, must not let a notification
    /// deferred to the morning hold up the same complaint's other work.
    pub fn to_message(&self) -> OutgoingMessage {
        let mut id = sha256_hex(&self.id());
        id.truncate(40);
        OutgoingMessage {
            group_id: id.clone(),
            dedup_id: id,
            // A plain enum of strings always serialises.
            body: serde_json::to_string(self).unwrap_or_default(),
        }
    }

    /// What storing this complaint change must set in motion. `created` is true for a new
    /// complaint; otherwise the change was the citizen's (the dialog makes no other).
    pub fn after_citizen_write(complaint: &Complaint, created: bool) -> Vec<Task> {
        let ticket = complaint.ticket.clone();
        let mut tasks = Vec::new();
        if created {
            tasks.push(Task::ComplaintSubmitted {
                ticket: ticket.clone(),
            });
            tasks.push(Task::OperatorsNewComplaint {
                ticket: ticket.clone(),
            });
        } else if let Some(last) = complaint
            .events
            .last()
            // An internal-only record (another citizen following it, "tetap terpisah")
            // changes nothing the OPD acts on.
            .filter(|e| e.changes_status() || e.info.is_some() || e.public_note.is_some())
        {
            tasks.push(Task::CitizenUpdate {
                ticket: ticket.clone(),
                event_id: last.id.clone(),
            });
        }
        tasks.extend(
            complaint
                .photos
                .iter()
                .filter(|p| p.stored_key.is_none() && p.fetch_error.is_none())
                .map(|p| Task::CopyMedia {
                    ticket: ticket.clone(),
                    media_id: p.media_id.clone(),
                }),
        );
        tasks
    }
}
