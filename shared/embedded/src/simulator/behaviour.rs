//! What the simulator does: accept a citizen's message, replay statuses, record the bot's
//! replies (the `Messenger` of the local mode).

use super::*;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SendAccepted {
    pub wamid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClockView {
    /// The local mode's time (Unix ms), offset included.
    pub now_ms: i64,
    pub offset_ms: i64,
}

impl SimulatorState {
    /// Posts a payload to `/webhook`, signed with the app secret as Meta signs it.
    async fn post_webhook(&self, payload: &Value) -> Result<(), SimulatorError> {
        let bytes = serde_json::to_vec(payload)
            .map_err(|error| invalid(format!("Pesan tidak dapat disusun: {error}")))?;
        let secrets = self.secrets.whatsapp().await.map_err(|error| {
            warn!(%error, "simulator could not read the local secrets");
            SimulatorError::Secrets
        })?;
        let signature = signature_header_value(&secrets.app_secret, &bytes);
        let request = Request::post("/webhook")
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-hub-signature-256", signature)
            .body(Body::from(bytes))
            .map_err(|error| invalid(format!("Pesan tidak dapat disusun: {error}")))?;
        match self.webhook.clone().oneshot(request).await {
            Ok(response) if response.status() == StatusCode::OK => Ok(()),
            Ok(response) => Err(SimulatorError::Webhook(response.status().as_u16())),
            Err(infallible) => match infallible {},
        }
    }

    /// A citizen's message: checked, its file stored, posted through the signed webhook, and
    /// kept for the conversation view.
    pub async fn send(&self, request: &SendRequest) -> Result<SendAccepted, SimulatorError> {
        check_sender(request).map_err(SimulatorError::Invalid)?;
        let now_ms = self.clock.now_ms();
        let wamid = format!("wamid.SIM{}", uuid::Uuid::new_v4().simple());
        let upload = match (&request.image, &request.document) {
            (Some(upload), _) => Some((MediaKind::Image, upload)),
            (None, Some(upload)) => Some((MediaKind::Document, upload)),
            (None, None) => None,
        };
        let media = match upload {
            Some((kind, upload)) => {
                let (file, stored) = check_media(kind, upload, &new_media_id(), now_ms)?;
                self.store.put_media(&file).await?;
                Some(stored)
            }
            None => None,
        };
        let message = message_json(request, &wamid, now_ms / 1000, media.as_ref())
            .map_err(SimulatorError::Invalid)?;
        let from = request.from.trim();
        let name = request
            .name
            .as_deref()
            .map(str::trim)
            .filter(|name| !name.is_empty());
        self.store
            .ensure_citizen(from, name, request.user_id.as_deref(), now_ms)
            .await?;
        let payload = webhook_payload(request, message.clone(), &self.phone_number_id);
        self.post_webhook(&payload).await?;
        self.store
            .record_sent(&SentMessage {
                wamid: wamid.clone(),
                from_digits: from.to_owned(),
                from_user_id: request.user_id.clone(),
                sent_at_ms: now_ms,
                message,
            })
            .await?;
        Ok(SendAccepted {
            wamid,
            media_id: media.map(|media| media.media_id),
        })
    }

    /// Plays `sent` and `delivered` back for the bot messages that are due (one set per
    /// message). Returns how many messages got their statuses.
    pub async fn emit_statuses(&self) -> Result<usize, SimulatorError> {
        let now_ms = self.clock.now_ms();
        let after_seq = self.status_scan_from.load(Ordering::SeqCst);
        let scan = self
            .store
            .statuses_due(after_seq, now_ms, STATUS_GRACE_MS, STATUS_BATCH)
            .await?;
        let due = scan.due;
        if due.is_empty() {
            self.status_scan_from
                .store(scan.next_after_seq, Ordering::SeqCst);
            return Ok(0);
        }
        let mut statuses = Vec::with_capacity(due.len() * 2);
        for message in &due {
            statuses.push(status_json(message, "sent", now_ms / 1000));
            // Meta reports reactions as sent only.
            if message.kind != "reaction" {
                statuses.push(status_json(message, "delivered", now_ms / 1000));
            }
        }
        self.post_webhook(&envelope(
            &self.phone_number_id,
            json!({ "statuses": statuses }),
        ))
        .await?;
        self.store.mark_delivered(&due, now_ms).await?;
        self.status_scan_from
            .store(scan.next_after_seq, Ordering::SeqCst);
        debug!(messages = due.len(), "simulator played back sent/delivered");
        Ok(due.len())
    }

    /// The citizen has the chat open: `read` for every delivered bot message to them.
    pub async fn mark_conversation_read(&self, user: &str) -> Result<usize, SimulatorError> {
        let unread: Vec<StatusDue> = self
            .store
            .unread_for(user)
            .await?
            .into_iter()
            .filter(|message| message.kind != "reaction")
            .collect();
        if unread.is_empty() {
            return Ok(0);
        }
        let now_ms = self.clock.now_ms();
        let statuses: Vec<Value> = unread
            .iter()
            .map(|message| status_json(message, "read", now_ms / 1000))
            .collect();
        self.post_webhook(&envelope(
            &self.phone_number_id,
            json!({ "statuses": statuses }),
        ))
        .await?;
        let ids: Vec<String> = unread.iter().map(|m| m.outbox_id.clone()).collect();
        self.store.mark_read(&ids, now_ms).await?;
        Ok(unread.len())
    }

    pub fn clock_view(&self) -> ClockView {
        ClockView {
            now_ms: self.clock.now_ms(),
            offset_ms: self.clock.offset_ms(),
        }
    }

    /// Moves the local mode's clock forward and keeps the offset for the next start.
    pub async fn advance_clock(&self, minutes: i64) -> Result<ClockView, SimulatorError> {
        if !(1..=MAX_ADVANCE_MINUTES).contains(&minutes) {
            return Err(invalid(format!(
                "advance_minutes harus antara 1 dan {MAX_ADVANCE_MINUTES} (satu tahun)."
            )));
        }
        let _guard = self.clock_lock.lock().await;
        let offset = self.clock.advance_ms(minutes * 60_000);
        if let Err(error) = self.store.set_clock_offset_ms(offset).await {
            // Without the stored offset a restart would move time back: undo.
            self.clock.advance_ms(-minutes * 60_000);
            return Err(error.into());
        }
        tracing::info!(minutes, offset_ms = offset, "simulator clock advanced");
        Ok(self.clock_view())
    }

    /// Applies the offset stored by an earlier run (call once at start-up).
    pub async fn restore_clock(&self) -> Result<ClockView, SimulatorError> {
        let offset = self.store.clock_offset_ms().await?;
        self.clock.set_offset_ms(offset);
        Ok(self.clock_view())
    }
}

/// Plays statuses back until `shutdown` turns true.
pub async fn run_status_pump(state: Arc<SimulatorState>, mut shutdown: watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        let pause = match state.emit_statuses().await {
            Ok(count) if count >= STATUS_BATCH => std::time::Duration::ZERO,
            Ok(_) => PUMP_IDLE,
            Err(error) => {
                warn!(%error, "simulator could not play statuses back; retrying later");
                PUMP_BACKOFF
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// The messenger of the local mode without Graph credentials: records every message in the
/// simulator outbox, and turns the bot's mark-as-read into read ticks on the citizen's side.
pub struct SimulatorMessenger {
    pub outbox: Arc<SimulatorOutbox>,
    pub store: SimulatorStore,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl Messenger for SimulatorMessenger {
    async fn send(&self, message: &OutboundMessage) -> Result<SendReceipt, SendError> {
        let receipt = self.outbox.send(message).await?;
        let read_target = (message.body.get("status").and_then(Value::as_str) == Some("read"))
            .then(|| message.body.get("message_id").and_then(Value::as_str))
            .flatten();
        if let Some(wamid) = read_target {
            // Ticks only: a failure must not make the worker retry the citizen's message.
            if let Err(error) = self
                .store
                .mark_citizen_read(wamid, self.clock.now_ms())
                .await
            {
                warn!(%error, "simulator could not record a read receipt");
            }
        }
        Ok(receipt)
    }
}
