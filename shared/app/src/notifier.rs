//! The one notifier: every message a use case sends on its own initiative or in answer (the
//! dialog worker's replies, the complaint worker's notices, the scheduler's reminders) goes
//! through [`Notifier`], which sends it through the reliable sender and judges the
//! [`SendOutcome`] the same way for all of them:
//!
//! - sent, sent as its template, or already handled by an earlier delivery: done;
//! - a [`SenderError`] (temporary failures used up, store trouble): returned, so the caller's
//!   queue item is redelivered and the outbox resumes the same record;
//! - undeliverable, rejected or fatal: final (the sender recorded it and alerted where
//!   needed). A citizen's message is logged and dropped; an operator's template is reported
//!   to the caller, who decides whether its task retries (another number may still need it).

use std::{collections::HashMap, sync::Arc};

use serde::{Deserialize, Serialize};
use tracing::warn;

use prolink_domain::{channel::TemplateMessage, complaint::sla::SlaAction};
use prolink_whatsapp::outbound::{self, ReplyAddress, Template};

use crate::{
    ports::OutboundMessage,
    sender::{Fallback, ReliableSender, SendOutcome, SenderError, Window},
};

/// Who is told at each ladder level besides the dashboard's alert list: WhatsApp numbers of
/// the OPD's operators (by `opd_id`), of Diskominfo's supervisors (`supervisor`) and of the
/// leadership (`pimpinan`). The dashboard's `operator_contacts` setting (JSON object of lists),
/// seeded from `PROLINK_OPERATOR_CONTACTS` until an admin saves it (see
/// [`crate::operator_contacts`]), so that operators' numbers are configuration, never code or
/// seed content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorDirectory(pub HashMap<String, Vec<String>>);

impl OperatorDirectory {
    /// Parses the JSON setting; a malformed value is an error the operator must fix (the
    /// scheduler refuses to start rather than silently dropping reminders).
    pub fn parse(json: Option<&str>) -> Result<OperatorDirectory, String> {
        match json.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(OperatorDirectory::default()),
            Some(json) => serde_json::from_str(json)
                .map_err(|error| format!("PROLINK_OPERATOR_CONTACTS tidak valid: {error}")),
        }
    }

    /// The stored `operator_contacts` setting, as the operator API writes it (the same map).
    pub fn from_setting(value: &serde_json::Value) -> Result<OperatorDirectory, String> {
        OperatorDirectory::deserialize(value)
            .map_err(|error| format!("operator_contacts tidak valid: {error}"))
    }

    /// The numbers one action reaches: the OPD for reminders and the first level, the
    /// ladder's role for the higher levels.
    pub fn recipients(&self, opd_id: &str, action: &SlaAction) -> Vec<String> {
        let role = match action {
            SlaAction::Escalation { level, .. } if *level > 1 => {
                prolink_domain::complaint::sla::ESCALATION_ROLES
                    .get(usize::from(*level) - 1)
                    .copied()
                    .unwrap_or("pimpinan")
            }
            _ => opd_id,
        };
        self.0.get(role).cloned().unwrap_or_default()
    }
}

/// How a send ended, as far as the caller is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Out, or out already: nothing more to do.
    Delivered,
    /// Given up for good (recorded by the sender): the outcome that says why.
    NotDelivered(SendOutcome),
}

/// The one judgement of a [`SendOutcome`].
pub fn judge(outcome: SendOutcome) -> Verdict {
    match outcome {
        SendOutcome::Sent { .. }
        | SendOutcome::SentAsTemplate { .. }
        | SendOutcome::AlreadyHandled { .. } => Verdict::Delivered,
        other => Verdict::NotDelivered(other),
    }
}

/// Sends through the outbox and judges the outcome (see the module).
#[derive(Clone)]
pub struct Notifier {
    sender: Arc<ReliableSender>,
}

impl Notifier {
    pub fn new(sender: Arc<ReliableSender>) -> Notifier {
        Notifier { sender }
    }

    /// The reliable sender underneath (read receipts, status webhooks).
    pub fn sender(&self) -> &Arc<ReliableSender> {
        &self.sender
    }

    /// A message to a citizen: free-form inside the 24-hour `window`, else `fallback` when
    /// there is one. Not delivered for good is logged as `what` and dropped: the citizen's
    /// item must not be retried for a message Meta will never take.
    pub async fn to_citizen(
        &self,
        citizen_key: &str,
        window: Window,
        message: OutboundMessage,
        fallback: Option<Template>,
        what: &str,
    ) -> Result<(), SenderError> {
        let outcome = self
            .sender
            .send(
                citizen_key,
                window,
                message,
                fallback.map(|template| Fallback { template }),
            )
            .await?;
        if let Verdict::NotDelivered(other) = judge(outcome) {
            warn!(?other, "{what} not delivered");
        }
        Ok(())
    }

    /// Sends an approved template to one operator's number through the outbox, its id
    /// derived from `cause` and the number (a repeat sends nothing). Straight away as a
    /// template: operators do not write to the bot, so their 24-hour window is closed and a
    /// free-form attempt would only cost more outbox writes before the same template.
    /// Anything short of delivered is an error the caller logs or retries.
    pub async fn to_operator(
        &self,
        number: &str,
        template: &TemplateMessage,
        prefix: &str,
        cause: &str,
    ) -> Result<(), String> {
        let address = ReplyAddress::Phone(number.to_string());
        let body = outbound::template(&address, &crate::render::template_of(template))
            .map_err(|error| error.to_string())?;
        let outbox_id = format!(
            "{prefix}.{}",
            crate::ids::short_hash(&format!("{cause}#{number}"))
        );
        let outcome = self
            .sender
            .send(
                &format!("operator:{number}"),
                Window::Closed,
                OutboundMessage { outbox_id, body },
                None,
            )
            .await
            .map_err(|error| error.to_string())?;
        match judge(outcome) {
            Verdict::Delivered => Ok(()),
            Verdict::NotDelivered(other) => Err(format!("not delivered: {other:?}")),
        }
    }
}
