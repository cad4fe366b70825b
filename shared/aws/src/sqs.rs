//! SQS FIFO queue behind the `Queue` port. On AWS the Lambda event source mapping receives
//! and deletes; the adapter still implements every method for tools and the conformance suite.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::error::{DisplayErrorContext, SdkError};
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, Message, MessageSystemAttributeName,
    QueueAttributeName, SendMessageBatchRequestEntry,
};
use aws_sdk_sqs::Client;

use prolink_app::ports::{Delivery, OutgoingMessage, PortError, PortResult, Queue};

/// SQS accepts at most 10 entries per batch call.
const MAX_BATCH: usize = 10;
/// Payload limit of one batch call that both SQS and moto accept (SQS raised it to 1 MiB in
/// 2025; 256 KiB is the conservative bound).
const MAX_BATCH_BYTES: usize = 256 * 1024;
/// Longest visibility timeout SQS accepts (12 hours).
const MAX_VISIBILITY_SECONDS: i32 = 43_200;
/// How long a peeked dead letter stays hidden before it is released again.
const PEEK_HOLD: Duration = Duration::from_secs(30);

/// `Queue` on an SQS queue and its dead-letter queue: FIFO (inbound messages) or standard
/// (complaint tasks, whose handlers are idempotent and order-independent).
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: Client,
    url: String,
    dlq_url: Option<String>,
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>, dlq_url: Option<String>) -> Self {
        Self {
            client,
            url: url.into(),
            dlq_url,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// SQS names every FIFO queue `….fifo`.
    pub fn is_fifo(&self) -> bool {
        self.url.ends_with(".fifo")
    }

    pub fn dlq_url(&self) -> Option<&str> {
        self.dlq_url.as_deref()
    }

    async fn send_chunk(&self, chunk: &[OutgoingMessage]) -> PortResult<()> {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(index, message)| {
                let entry = SendMessageBatchRequestEntry::builder()
                    .id(format!("m{index}"))
                    .message_body(&message.body);
                // A standard queue refuses FIFO attributes; its consumers deduplicate.
                let entry = if self.is_fifo() {
                    entry
                        .message_group_id(&message.group_id)
                        .message_deduplication_id(&message.dedup_id)
                } else {
                    entry
                };
                entry.build().map_err(|e| PortError::Invalid(e.to_string()))
            })
            .collect::<PortResult<Vec<_>>>()?;
        let output = self
            .client
            .send_message_batch()
            .queue_url(&self.url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| backend("SendMessageBatch", e))?;
        let failed = output.failed();
        if failed.is_empty() {
            return Ok(());
        }
        // The caller retries the whole batch; FIFO deduplication absorbs the ones that went in.
        let reasons: Vec<String> = failed
            .iter()
            .map(|f| {
                format!(
                    "{} {}{}: {}",
                    f.id,
                    f.code,
                    if f.sender_fault {
                        " (sender fault)"
                    } else {
                        ""
                    },
                    f.message.as_deref().unwrap_or("")
                )
            })
            .collect();
        Err(PortError::Backend(format!(
            "SQS SendMessageBatch: {} of {} entries failed: {}",
            failed.len(),
            chunk.len(),
            reasons.join("; ")
        )))
    }

    /// Receives until `max` distinct messages are held or the queue has nothing new to give.
    async fn receive_from(
        &self,
        url: &str,
        max: usize,
        visibility_seconds: i32,
    ) -> PortResult<Vec<Delivery>> {
        let mut deliveries = Vec::new();
        let mut seen = HashSet::new();
        while deliveries.len() < max {
            let wanted = (max - deliveries.len()).min(MAX_BATCH);
            let output = self
                .client
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(i32::try_from(wanted).unwrap_or(10))
                .visibility_timeout(visibility_seconds)
                .wait_time_seconds(0)
                .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
                .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
                .message_system_attribute_names(MessageSystemAttributeName::MessageDeduplicationId)
                .send()
                .await
                .map_err(|e| backend("ReceiveMessage", e))?;
            let mut new = 0;
            for message in output.messages.unwrap_or_default() {
                let delivery = to_delivery(message)?;
                // With visibility 0 the same messages come back at once; stop on repeats.
                if seen.insert(delivery.message_id.clone()) {
                    deliveries.push(delivery);
                    new += 1;
                }
            }
            if new == 0 {
                break;
            }
        }
        Ok(deliveries)
    }

    async fn release(&self, url: &str, deliveries: &[Delivery]) -> PortResult<()> {
        for chunk in deliveries.chunks(MAX_BATCH) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(index, d)| {
                    ChangeMessageVisibilityBatchRequestEntry::builder()
                        .id(format!("m{index}"))
                        .receipt_handle(&d.receipt)
                        .visibility_timeout(0)
                        .build()
                        .map_err(|e| PortError::Invalid(e.to_string()))
                })
                .collect::<PortResult<Vec<_>>>()?;
            let output = self
                .client
                .change_message_visibility_batch()
                .queue_url(url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| backend("ChangeMessageVisibilityBatch", e))?;
            if !output.failed().is_empty() {
                // Not fatal for a peek: the messages reappear when the hold ends.
                tracing::warn!(
                    failed = output.failed().len(),
                    "could not release peeked dead letters; visible again after the hold"
                );
            }
        }
        Ok(())
    }
}

fn to_delivery(message: Message) -> PortResult<Delivery> {
    let mut attributes = message.attributes.unwrap_or_default();
    let mut take = |name: MessageSystemAttributeName| attributes.remove(&name).unwrap_or_default();
    let receive_count = take(MessageSystemAttributeName::ApproximateReceiveCount);
    let group_id = take(MessageSystemAttributeName::MessageGroupId);
    let dedup_id = take(MessageSystemAttributeName::MessageDeduplicationId);
    let receive_count = receive_count.parse::<u32>().map_err(|_| {
        PortError::Backend(format!(
            "SQS message without a valid ApproximateReceiveCount: {receive_count:?}"
        ))
    })?;
    Ok(Delivery {
        message_id: message
            .message_id
            .ok_or_else(|| PortError::Backend("SQS message without MessageId".into()))?,
        receipt: message
            .receipt_handle
            .ok_or_else(|| PortError::Backend("SQS message without ReceiptHandle".into()))?,
        group_id,
        dedup_id,
        body: message.body.unwrap_or_default(),
        receive_count,
    })
}

/// SQS counts visibility in whole seconds; rounding up never shortens the caller's hold.
fn visibility_seconds(visibility: Duration) -> i32 {
    let mut seconds = visibility.as_secs();
    if visibility.subsec_nanos() > 0 {
        seconds += 1;
    }
    i32::try_from(seconds)
        .unwrap_or(MAX_VISIBILITY_SECONDS)
        .min(MAX_VISIBILITY_SECONDS)
}

/// Splits into SQS batch calls: at most 10 entries and `MAX_BATCH_BYTES` of bodies each.
fn chunks(messages: &[OutgoingMessage]) -> Vec<&[OutgoingMessage]> {
    let mut result = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (index, message) in messages.iter().enumerate() {
        let size = message.body.len();
        if index > start && (index - start == MAX_BATCH || bytes + size > MAX_BATCH_BYTES) {
            result.push(&messages[start..index]);
            start = index;
            bytes = 0;
        }
        bytes += size;
    }
    if start < messages.len() {
        result.push(&messages[start..]);
    }
    result
}

fn backend<E, R>(operation: &str, error: SdkError<E, R>) -> PortError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    PortError::Backend(format!("SQS {operation}: {}", DisplayErrorContext(&error)))
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send_batch(&self, messages: &[OutgoingMessage]) -> PortResult<()> {
        for chunk in chunks(messages) {
            self.send_chunk(chunk).await?;
        }
        Ok(())
    }

    async fn receive(&self, max: usize, visibility: Duration) -> PortResult<Vec<Delivery>> {
        self.receive_from(&self.url, max, visibility_seconds(visibility))
            .await
    }

    async fn delete(&self, receipt: &str) -> PortResult<()> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(|e| backend("DeleteMessage", e))?;
        Ok(())
    }

    async fn change_visibility(&self, receipt: &str, visibility: Duration) -> PortResult<()> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .visibility_timeout(visibility_seconds(visibility))
            .send()
            .await
            .map_err(|e| backend("ChangeMessageVisibility", e))?;
        Ok(())
    }

    async fn dead_letters(&self, max: usize) -> PortResult<Vec<Delivery>> {
        let Some(dlq) = self.dlq_url.as_deref() else {
            return Ok(Vec::new());
        };
        // Hold what we read so later receive calls reach further into the queue, then release
        // everything at once: a peek must leave the dead letters where they are.
        let deliveries = self
            .receive_from(dlq, max, visibility_seconds(PEEK_HOLD))
            .await?;
        self.release(dlq, &deliveries).await?;
        Ok(deliveries)
    }
}

/// Creates `name` (".fifo" appended when missing) and its dead-letter queue `<name>-dlq.fifo`,
/// with explicit deduplication ids (no content-based deduplication), the given default
/// visibility timeout and a redrive after `max_receives` receives. Returns (url, dlq_url).
/// Used by tests and local tooling; `template.yaml` declares the same attributes.
pub async fn create_fifo_queue_with_dlq(
    client: &Client,
    name: &str,
    max_receives: u32,
    visibility: Duration,
) -> PortResult<(String, String)> {
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    let dlq_url = client
        .create_queue()
        .queue_name(format!("{base}-dlq.fifo"))
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "false")
        .send()
        .await
        .map_err(|e| backend("CreateQueue", e))?
        .queue_url
        .ok_or_else(|| PortError::Backend("CreateQueue returned no URL".into()))?;
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| backend("GetQueueAttributes", e))?
        .attributes
        .and_then(|mut a: HashMap<QueueAttributeName, String>| {
            a.remove(&QueueAttributeName::QueueArn)
        })
        .ok_or_else(|| PortError::Backend("GetQueueAttributes returned no QueueArn".into()))?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": max_receives,
    });
    let url = client
        .create_queue()
        .queue_name(format!("{base}.fifo"))
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "false")
        .attributes(
            QueueAttributeName::VisibilityTimeout,
            visibility_seconds(visibility).to_string(),
        )
        .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
        .send()
        .await
        .map_err(|e| backend("CreateQueue", e))?
        .queue_url
        .ok_or_else(|| PortError::Backend("CreateQueue returned no URL".into()))?;
    Ok((url, dlq_url))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(size: usize) -> OutgoingMessage {
        OutgoingMessage {
            group_id: "g".into(),
            dedup_id: "d".into(),
            body: "x".repeat(size),
        }
    }

    #[test]
    fn chunks_hold_at_most_ten_messages() {
        let messages: Vec<_> = (0..23).map(|_| message(10)).collect();
        let sizes: Vec<usize> = chunks(&messages).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [10, 10, 3]);
        assert!(chunks(&[]).is_empty());
    }

    #[test]
    fn chunks_respect_the_payload_limit() {
        let messages: Vec<_> = (0..4).map(|_| message(100 * 1024)).collect();
        let sizes: Vec<usize> = chunks(&messages).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [2, 2]);
    }

    #[test]
    fn visibility_rounds_up_and_is_capped() {
        assert_eq!(visibility_seconds(Duration::ZERO), 0);
        assert_eq!(visibility_seconds(Duration::from_millis(1)), 1);
        assert_eq!(visibility_seconds(Duration::from_secs(30)), 30);
        assert_eq!(visibility_seconds(Duration::from_secs(100_000)), 43_200);
    }
}
