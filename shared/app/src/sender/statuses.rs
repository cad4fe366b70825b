//! Status webhooks move outbox records forward; a `failed` 131047 sends the stored template.

use tracing::{debug, info, warn};

use prolink_whatsapp::webhook::{MessageStatus, StatusKind};

use super::*;

impl ReliableSender {
    /// Applies a status webhook to the outbox record named by its `biz_opaque_callback_data`.
    /// States only move forward: sent < delivered < read; `failed` is taken over `Pending` or
    /// `Sent` of the same copy, never over a delivery. A delivery proves the message went out,
    /// so it also overrides `Failed`/`Undeliverable` (a copy sent by an earlier ambiguous
    /// attempt). A `failed` 131047 on a record with a stored fallback sends the template once
    /// (idempotent on the template's outbox id, so a redelivered status is harmless). A status
    /// without our id, or with an unknown one (e.g. a message sent by hand from WhatsApp
    /// Manager), is ignored.
    pub async fn apply_status(&self, status: &MessageStatus) -> Result<(), SenderError> {
        let Some(outbox_id) = status
            .biz_opaque_callback_data
            .as_deref()
            .filter(|id| !id.is_empty())
        else {
            debug!(wamid = %status.id, "status without outbox id ignored");
            return Ok(());
        };
        let incoming = match status.kind() {
            StatusKind::Sent => OutboxState::Sent,
            StatusKind::Delivered => OutboxState::Delivered,
            // Playing a voice note implies having seen it.
            StatusKind::Read | StatusKind::Played => OutboxState::Read,
            StatusKind::Failed => OutboxState::Failed,
            StatusKind::Unknown(other) => {
                debug!(outbox_id, status = %other, "unknown status ignored");
                return Ok(());
            }
        };
        let Some(mut record) = self.outbox.get_outbox(outbox_id).await? else {
            debug!(outbox_id, "status for an unknown outbox id ignored");
            return Ok(());
        };
        let wamid = (!status.id.is_empty()).then_some(status.id.as_str());
        let same_copy = match (record.wamid.as_deref(), wamid) {
            (Some(recorded), Some(reported)) => recorded == reported,
            _ => true,
        };
        let mut changed = false;
        if let Some(next) = next_state(record.state, incoming, same_copy) {
            record.state = next;
            if next == OutboxState::Failed {
                record.last_error_code = status.error_code();
                record.last_error = status_error_text(status);
            }
            if !same_copy {
                // The copy that made it is the one to follow from now on.
                record.wamid = wamid.map(str::to_owned);
            }
            changed = true;
        } else if !same_copy {
            debug!(outbox_id, wamid = %status.id, "status of another copy ignored");
        }
        if record.wamid.is_none() {
            if let Some(wamid) = wamid {
                record.wamid = Some(wamid.to_owned());
                changed = true;
            }
        }
        if changed {
            record.updated_ms = self.clock.now_ms();
            self.outbox.put_outbox(&record).await?;
            if let Some(log) = &self.log {
                let entry = crate::conversations::outbound_entry(&record, None);
                if let Err(error) = log
                    .set_delivery(&entry.citizen_key, entry.at_ms, &entry.id, record.state)
                    .await
                {
                    warn!(outbox_id, %error, "delivery state not logged");
                }
            }
        }

        let outside_window = incoming == OutboxState::Failed
            && record.state == OutboxState::Failed
            && same_copy
            && record.last_error_code == Some(CODE_OUTSIDE_WINDOW);
        if outside_window {
            if let Some(template_body) = stored_fallback(&record) {
                let outcome = self.send_template(&record, template_body).await?;
                self.log_record(&template_outbox_id(outbox_id), None).await;
                info!(
                    outbox_id,
                    ?outcome,
                    "131047 status: fallback template handled"
                );
            }
        }
        Ok(())
    }
}

/// The state a record moves to on a status, or `None` to keep it.
pub(super) fn next_state(
    current: OutboxState,
    incoming: OutboxState,
    same_copy: bool,
) -> Option<OutboxState> {
    use OutboxState::*;
    match incoming {
        Sent | Delivered | Read => match current {
            Pending | Undeliverable => Some(incoming),
            Sent | Delivered | Read => (incoming.rank() > current.rank()).then_some(incoming),
            // `sent` after `failed` of the same copy is only webhook reordering.
            Failed => (incoming != Sent || !same_copy).then_some(incoming),
        },
        Failed => match current {
            Pending => Some(Failed),
            // A delivered copy cannot have failed; a failure of another copy changes nothing.
            Sent if same_copy => Some(Failed),
            _ => None,
        },
        Pending | Undeliverable => None,
    }
}

fn status_error_text(status: &MessageStatus) -> Option<String> {
    let error = status.errors.first()?;
    let text = [
        error.title.as_deref(),
        error.message.as_deref(),
        error.details(),
    ]
    .into_iter()
    .flatten()
    .find(|text| !text.is_empty())?;
    Some(truncate(text))
}
