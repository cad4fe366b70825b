//! The content revisions of the operator API on DynamoDB. Each revision holds a whole bundle
//! (≈ 230 KB and growing), so like the live content it is cut into chunks: one summary item
//! per revision in the `CONTENT_REVISIONS` partition (sorted by number, listed newest first)
//! and its chunks in a partition of their own. One transaction writes the summary — on the
//! condition that the number is new — and the chunks, so a revision is whole or absent.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use serde::{Deserialize, Serialize};

use prolink_app::ids::sha256_hex;
use prolink_app::ports::{
    ContentRevision, ContentRevisions, Page, PageRequest, PortError, PortResult, RevisionSummary,
};
use prolink_domain::content::ContentBundle;

use super::dynamo::{backend, corrupt, to_item, DynamoStore, Item};
use super::dynamo_content::{build_error, split_chunks, MAX_TRANSACTION_BYTES};

const REVISIONS_PK: &str = "CONTENT_REVISIONS";
/// The summary and up to this many chunks go in one transaction (100 actions at most).
const MAX_CHUNKS: usize = 99;

fn revision_sk(number: u64) -> String {
    format!("REV#{number:020}")
}

fn chunks_pk(number: u64) -> String {
    format!("CONTENT_REVISION#{number:020}")
}

fn chunk_sk(index: usize) -> String {
    format!("CHUNK#{index:05}")
}

#[derive(Debug, Serialize, Deserialize)]
struct SummaryItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    number: u64,
    at_ms: i64,
    /// The [`RevisionSummary`] as JSON: the item layout does not follow the port's struct.
    summary: String,
    chunks: usize,
    bytes: usize,
    sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct ChunkItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    index: usize,
    data: String,
}

fn summary_of(item: &SummaryItem) -> PortResult<RevisionSummary> {
    serde_json::from_str(&item.summary).map_err(|e| {
        PortError::Backend(format!("content revision {} unreadable: {e}", item.number))
    })
}

fn put(table: &str, item: Item) -> PortResult<TransactWriteItem> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

impl DynamoStore {
    async fn revision_chunks(&self, summary: &SummaryItem) -> PortResult<String> {
        let mut text = String::with_capacity(summary.bytes);
        let mut count = 0;
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(chunks_pk(summary.number)))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| backend("Query", e))?;
            let chunks: Vec<ChunkItem> = serde_dynamo::from_items(output.items.unwrap_or_default())
                .map_err(|e| corrupt("content revision chunk", e))?;
            for chunk in chunks {
                if chunk.index != count {
                    break;
                }
                text.push_str(&chunk.data);
                count += 1;
            }
            match output.last_evaluated_key {
                Some(key) => start = Some(key),
                None => break,
            }
        }
        if count != summary.chunks || sha256_hex(&text) != summary.sha256 {
            return Err(PortError::Backend(format!(
                "content revision {} is incomplete or does not match its checksum",
                summary.number
            )));
        }
        Ok(text)
    }
}

#[async_trait]
impl ContentRevisions for DynamoStore {
    async fn append_revision(&self, revision: &ContentRevision) -> PortResult<()> {
        let number = revision.summary.number;
        if number == 0 {
            return Err(PortError::Invalid("revision number 0".to_owned()));
        }
        let json = serde_json::to_string(&revision.bundle)
            .map_err(|e| PortError::Invalid(format!("revision bundle: {e}")))?;
        let chunks = split_chunks(&json, self.content_chunk_bytes);
        if chunks.len() > MAX_CHUNKS || json.len() > MAX_TRANSACTION_BYTES {
            return Err(PortError::Invalid(format!(
                "content revision too large for one transaction: {} bytes in {} chunks",
                json.len(),
                chunks.len()
            )));
        }
        let summary = serde_json::to_string(&revision.summary)
            .map_err(|e| PortError::Invalid(format!("revision summary: {e}")))?;
        let head = to_item(
            "content revision",
            &SummaryItem {
                pk: REVISIONS_PK.to_owned(),
                sk: revision_sk(number),
                entity: "content_revision".to_owned(),
                number,
                at_ms: revision.summary.at_ms,
                summary,
                chunks: chunks.len(),
                bytes: json.len(),
                sha256: sha256_hex(&json),
            },
        )?;
        let conditional = Put::builder()
            .table_name(&self.table)
            .set_item(Some(head))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(build_error)?;
        let mut items = vec![TransactWriteItem::builder().put(conditional).build()];
        for (index, data) in chunks.iter().enumerate() {
            let chunk = to_item(
                "content revision chunk",
                &ChunkItem {
                    pk: chunks_pk(number),
                    sk: chunk_sk(index),
                    entity: "content_revision_chunk".to_owned(),
                    index,
                    data: (*data).to_owned(),
                },
            )?;
            items.push(put(&self.table, chunk)?);
        }
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_transaction_canceled_exception() => {
                let lost = match e.err() {
                    aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(
                        canceled,
                    ) => canceled
                        .cancellation_reasons()
                        .iter()
                        .any(|reason| reason.code() == Some("ConditionalCheckFailed")),
                    _ => false,
                };
                if lost {
                    Err(PortError::Conflict(format!(
                        "content revision {number} exists"
                    )))
                } else {
                    Err(backend("TransactWriteItems", SdkError::ServiceError(e)))
                }
            }
            Err(e) => Err(backend("TransactWriteItems", e)),
        }
    }

    async fn list_revisions(&self, page: &PageRequest) -> PortResult<Page<RevisionSummary>> {
        let limit = page.limit.max(1);
        let start = match &page.after {
            None => None,
            Some(cursor) => {
                let number = cursor
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| PortError::Invalid(format!("cursor {cursor}")))?;
                Some(Item::from([
                    ("PK".to_owned(), AttributeValue::S(REVISIONS_PK.to_owned())),
                    ("SK".to_owned(), AttributeValue::S(revision_sk(number))),
                ]))
            }
        };
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(REVISIONS_PK.to_owned()))
            .scan_index_forward(false)
            .consistent_read(true)
            .limit(i32::try_from(limit.saturating_add(1)).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| backend("Query", e))?;
        let found: Vec<SummaryItem> = serde_dynamo::from_items(output.items.unwrap_or_default())
            .map_err(|e| corrupt("content revision", e))?;
        let more = found.len() > limit;
        let items = found
            .iter()
            .take(limit)
            .map(summary_of)
            .collect::<PortResult<Vec<_>>>()?;
        let next = if more {
            items.last().map(|s| s.number.to_string())
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn get_revision(&self, number: u64) -> PortResult<Option<ContentRevision>> {
        let Some(head) = self
            .get::<SummaryItem>(
                "content revision",
                REVISIONS_PK.to_owned(),
                &revision_sk(number),
            )
            .await?
        else {
            return Ok(None);
        };
        let json = self.revision_chunks(&head).await?;
        let bundle: ContentBundle = serde_json::from_str(&json).map_err(|e| {
            PortError::Backend(format!("content revision {number} unreadable: {e}"))
        })?;
        Ok(Some(ContentRevision {
            summary: summary_of(&head)?,
            bundle,
        }))
    }
}
