//! The dialog worker: consumes the inbound queue, one batch at a time.
//!
//! Rules that make redelivery safe:
//! - an item whose dedup id carries a "done" mark is skipped (Meta duplicates, SQS redelivery);
//! - the mark is written only after every side effect of the item succeeded, and every side
//!   effect is keyed deterministically (outbox ids derive from the wamid), so a retry after a
//!   partial failure repeats nothing the citizen can see;
//! - FIFO rule, per group: after an item fails, it and every later item of the same group
//!   (citizen) are reported failed, so a citizen's messages are never answered out of order.
//!   Items of other groups in the same batch are still processed: stopping them too would
//!   raise their receive count and let one poison message dead-letter other citizens' messages.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tracing::{info, info_span, warn, Instrument};

use crate::{
    domain::citizen::CitizenRef,
    domain::dialog::{self, Reply},
    ports::{Clock, DedupStore, Messenger, OutboundMessage, PortError, SendError, StatusLog},
    whatsapp::{
        outbound,
        webhook::{InboundMessage, MessageStatus, WebhookItem},
    },
};

/// One queue message as the worker sees it, whatever queue delivered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchItem {
    pub message_id: String,
    /// FIFO group (the citizen): order only matters inside one group.
    pub group_id: String,
    pub dedup_id: String,
    pub body: String,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Message ids to redeliver: each failed item and the later items of its group.
    pub failed: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("queue body is not a webhook item: {0}")]
    Body(#[from] serde_json::Error),
    #[error(transparent)]
    Store(#[from] PortError),
    #[error(transparent)]
    Send(#[from] SendError),
    #[error("reply could not be built: {0}")]
    Build(String),
}

pub struct DialogWorker {
    pub dedup: Arc<dyn DedupStore>,
    pub statuses: Arc<dyn StatusLog>,
    pub messenger: Arc<dyn Messenger>,
    pub clock: Arc<dyn Clock>,
    pub retention_days: i64,
}

const DAY_MS: i64 = 86_400_000;

impl DialogWorker {
    pub async fn process_batch(&self, items: &[BatchItem]) -> BatchOutcome {
        let mut failed_groups: Vec<&str> = Vec::new();
        let mut outcome = BatchOutcome::default();
        for item in items {
            if failed_groups.contains(&item.group_id.as_str()) {
                outcome.failed.push(item.message_id.clone());
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
        if self.dedup.is_marked(&mark_key).await? {
            info!(message_id = %item.message_id, "duplicate inbound item skipped");
            return Ok(());
        }
        let webhook_item: WebhookItem = serde_json::from_str(&item.body)?;
        match &webhook_item {
            WebhookItem::Message {
                citizen, message, ..
            } => self.handle_message(citizen, message).await?,
            WebhookItem::Status { status, .. } => self.handle_status(status).await?,
            WebhookItem::Error { error, .. } => {
                warn!(?error, "system-level error reported by Meta");
            }
        }
        let expires_at_ms = self.clock.now_ms() + crate::config::DEDUP_TTL_DAYS * DAY_MS;
        // Losing this race means another consumer finished the same item: nothing to undo.
        self.dedup.mark(&mark_key, expires_at_ms).await?;
        Ok(())
    }

    async fn handle_message(
        &self,
        citizen: &CitizenRef,
        message: &InboundMessage,
    ) -> Result<(), WorkerError> {
        let replies = dialog::placeholder_replies(citizen, message);
        let address = citizen.reply_address();
        for (position, reply) in replies.iter().enumerate() {
            let body = render(reply, &address).map_err(WorkerError::Build)?;
            let outbox_id = outbox_id(&message.id, position);
            let body = outbound::with_callback(body, &outbox_id);
            let receipt = self
                .messenger
                .send(&OutboundMessage { outbox_id, body })
                .await?;
            info!(
                wamid = %receipt.wamid,
                newly_sent = receipt.newly_sent,
                "reply sent"
            );
        }
        Ok(())
    }

    async fn handle_status(&self, status: &MessageStatus) -> Result<(), WorkerError> {
        let record = status.to_status_record(self.clock.now_ms() + self.retention_days * DAY_MS);
        self.statuses.record_status(&record).await?;
        Ok(())
    }
}

/// Outbox ids are derived from the inbound wamid so a redelivered item reuses them.
pub fn outbox_id(inbound_wamid: &str, position: usize) -> String {
    let digest = Sha256::digest(format!("{inbound_wamid}#{position}").as_bytes());
    format!("out.{}", &hex::encode(digest)[..32])
}

fn render(
    reply: &Reply,
    address: &crate::domain::citizen::ReplyAddress,
) -> Result<serde_json::Value, String> {
    match reply {
        Reply::Text(text) => {
            outbound::text(address, text, false).map_err(|error| error.to_string())
        }
        Reply::List(list) => outbound::list(address, list).map_err(|error| error.to_string()),
    }
}
