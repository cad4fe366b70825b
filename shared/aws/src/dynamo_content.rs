//! The imported content on DynamoDB. The bundle's JSON (≈ 230 KB and growing) will not fit
//! one item (400 KB limit) for long, so it is cut into chunks stored under a fresh revision;
//! a pointer item names the current revision. One transaction writes the new chunks, flips the
//! pointer and deletes the old chunks, so readers following the pointer see one whole bundle.

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use serde::{Deserialize, Serialize};

use prolink_app::ids::sha256_hex;
use prolink_app::ports::{ContentStore, PortError, PortResult};
use prolink_domain::content::ContentBundle;

use super::dynamo::{backend, corrupt, number, to_item, DynamoStore};

/// Chunk size: well under the 400 KB item limit, which also counts attribute names.
pub const MAX_CONTENT_CHUNK_BYTES: usize = 300_000;
/// Lower bound of the configurable chunk size (a chunk must hold any UTF-8 character).
pub const MIN_CONTENT_CHUNK_BYTES: usize = 1_024;
/// `TransactWriteItems` takes at most 100 actions and 4 MB of items; the new chunks, the
/// pointer and the old chunks (deleted) must fit with room for attribute overhead.
const MAX_TRANSACTION_ACTIONS: usize = 100;
pub(super) const MAX_TRANSACTION_BYTES: usize = 3_800_000;
/// A replace between reading the pointer and reading the chunks deletes those chunks; the
/// reader then starts over from the pointer, after a short pause that grows with each attempt
/// so it does not keep landing in the middle of the same burst of imports.
const READ_ATTEMPTS: u32 = 6;
const READ_RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(15);

const POINTER_PK: &str = "CONTENT";
const POINTER_SK: &str = "CURRENT";

fn chunk_pk(revision: &str) -> String {
    format!("CONTENT#{revision}")
}

fn chunk_sk(index: usize) -> String {
    format!("CHUNK#{index:05}")
}

/// The last bundle read, with its revision: `load_content` then costs one small `GetItem`
/// while the content does not change.
#[derive(Clone, Default)]
pub(crate) struct ContentCache(Arc<Mutex<Option<CachedBundle>>>);

/// A parsed bundle and the revision it was read from.
type CachedBundle = (String, Arc<ContentBundle>);

impl ContentCache {
    fn get(&self, revision: &str) -> Option<Arc<ContentBundle>> {
        let cached = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        cached
            .as_ref()
            .filter(|(cached_revision, _)| cached_revision == revision)
            .map(|(_, bundle)| Arc::clone(bundle))
    }

    fn set(&self, revision: String, bundle: Arc<ContentBundle>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some((revision, bundle));
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct PointerItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    version: u64,
    revision: String,
    chunks: usize,
    bytes: usize,
    sha256: String,
    imported_at_ms: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct ChunkItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    revision: String,
    index: usize,
    data: String,
}

/// Cuts `text` into pieces of at most `max` bytes, each ending on a character boundary.
pub(super) fn split_chunks(text: &str, max: usize) -> Vec<&str> {
    let max = max.max(4);
    let mut chunks = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut end = rest.len().min(max);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        let (chunk, tail) = rest.split_at(end);
        chunks.push(chunk);
        rest = tail;
    }
    chunks
}

pub(super) fn build_error(error: aws_sdk_dynamodb::error::BuildError) -> PortError {
    PortError::Invalid(error.to_string())
}

enum ChunkRead {
    Complete(String),
    /// The revision changed under the reader (its chunks were deleted by a replace).
    Incomplete,
}

impl DynamoStore {
    async fn content_pointer(&self) -> PortResult<Option<PointerItem>> {
        self.get("content pointer", POINTER_PK.to_owned(), POINTER_SK)
            .await
    }

    async fn read_chunks(&self, pointer: &PointerItem) -> PortResult<ChunkRead> {
        let mut text = String::with_capacity(pointer.bytes);
        let mut count = 0;
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(chunk_pk(&pointer.revision)))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| backend("Query", e))?;
            let chunks: Vec<ChunkItem> = serde_dynamo::from_items(output.items.unwrap_or_default())
                .map_err(|e| corrupt("content chunk", e))?;
            for chunk in chunks {
                if chunk.index != count {
                    return Ok(ChunkRead::Incomplete);
                }
                text.push_str(&chunk.data);
                count += 1;
            }
            match output.last_evaluated_key {
                Some(key) => start = Some(key),
                None => break,
            }
        }
        if count != pointer.chunks || text.len() != pointer.bytes {
            return Ok(ChunkRead::Incomplete);
        }
        if sha256_hex(&text) != pointer.sha256 {
            return Err(PortError::Backend(format!(
                "content revision {} does not match its checksum",
                pointer.revision
            )));
        }
        Ok(ChunkRead::Complete(text))
    }
}

#[async_trait]
impl ContentStore for DynamoStore {
    async fn load_content(&self) -> PortResult<Option<ContentBundle>> {
        for attempt in 0..READ_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(READ_RETRY_PAUSE * attempt).await;
            }
            let Some(pointer) = self.content_pointer().await? else {
                return Ok(None);
            };
            if let Some(bundle) = self.content_cache.get(&pointer.revision) {
                return Ok(Some(bundle.as_ref().clone()));
            }
            match self.read_chunks(&pointer).await? {
                ChunkRead::Complete(json) => {
                    let bundle: ContentBundle = serde_json::from_str(&json).map_err(|e| {
                        PortError::Backend(format!(
                            "content revision {} unreadable: {e}",
                            pointer.revision
                        ))
                    })?;
                    let bundle = Arc::new(bundle);
                    self.content_cache
                        .set(pointer.revision, Arc::clone(&bundle));
                    return Ok(Some(bundle.as_ref().clone()));
                }
                ChunkRead::Incomplete => {
                    tracing::debug!(
                        revision = %pointer.revision,
                        "content replaced while reading it; reading the new revision"
                    );
                }
            }
        }
        Err(PortError::Backend(format!(
            "content kept changing during {READ_ATTEMPTS} reads"
        )))
    }

    async fn replace_content(&self, bundle: &ContentBundle) -> PortResult<()> {
        let json = serde_json::to_string(bundle)
            .map_err(|e| PortError::Invalid(format!("content bundle: {e}")))?;
        let old = self.content_pointer().await?;
        let chunks = split_chunks(&json, self.content_chunk_bytes);
        let old_chunks = old.as_ref().map_or(0, |p| p.chunks);
        let old_bytes = old.as_ref().map_or(0, |p| p.bytes);
        let actions = chunks.len() + 1 + old_chunks;
        if actions > MAX_TRANSACTION_ACTIONS || json.len() + old_bytes > MAX_TRANSACTION_BYTES {
            return Err(PortError::Invalid(format!(
                "content bundle too large for one transaction: {} bytes in {} chunks \
                 (the old revision has {old_bytes} bytes in {old_chunks} chunks)",
                json.len(),
                chunks.len()
            )));
        }

        let revision = uuid::Uuid::new_v4().simple().to_string();
        let version = old.as_ref().map_or(1, |p| p.version + 1);
        let mut items = Vec::with_capacity(actions);
        for (index, data) in chunks.iter().enumerate() {
            let chunk = to_item(
                "content chunk",
                &ChunkItem {
                    pk: chunk_pk(&revision),
                    sk: chunk_sk(index),
                    entity: "content_chunk".to_owned(),
                    revision: revision.clone(),
                    index,
                    data: (*data).to_owned(),
                },
            )?;
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(chunk))
                .build()
                .map_err(build_error)?;
            items.push(TransactWriteItem::builder().put(put).build());
        }

        let pointer = to_item(
            "content pointer",
            &PointerItem {
                pk: POINTER_PK.to_owned(),
                sk: POINTER_SK.to_owned(),
                entity: "content".to_owned(),
                version,
                revision: revision.clone(),
                chunks: chunks.len(),
                bytes: json.len(),
                sha256: sha256_hex(&json),
                imported_at_ms: self.clock.now_ms(),
            },
        )?;
        let mut flip = Put::builder()
            .table_name(&self.table)
            .set_item(Some(pointer));
        flip = match &old {
            None => flip.condition_expression("attribute_not_exists(PK)"),
            Some(old) => flip
                .condition_expression("#version = :old")
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(
                    ":old",
                    number(i64::try_from(old.version).map_err(|_| {
                        PortError::Backend(format!("content version {} too large", old.version))
                    })?),
                ),
        };
        items.push(
            TransactWriteItem::builder()
                .put(flip.build().map_err(build_error)?)
                .build(),
        );

        if let Some(old) = &old {
            for index in 0..old.chunks {
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .key("PK", AttributeValue::S(chunk_pk(&old.revision)))
                    .key("SK", AttributeValue::S(chunk_sk(index)))
                    .build()
                    .map_err(build_error)?;
                items.push(TransactWriteItem::builder().delete(delete).build());
            }
        }

        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => {
                tracing::info!(
                    version,
                    %revision,
                    bytes = json.len(),
                    chunks = chunks.len(),
                    "content replaced"
                );
                Ok(())
            }
            Err(SdkError::ServiceError(e)) if e.err().is_transaction_canceled_exception() => {
                let lost_condition = match e.err() {
                    aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(
                        canceled,
                    ) => canceled
                        .cancellation_reasons()
                        .iter()
                        .any(|reason| reason.code() == Some("ConditionalCheckFailed")),
                    _ => false,
                };
                if lost_condition {
                    Err(PortError::Conflict(
                        "content replaced by another import at the same time".to_owned(),
                    ))
                } else {
                    Err(backend("TransactWriteItems", SdkError::ServiceError(e)))
                }
            }
            Err(e) => Err(backend("TransactWriteItems", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_end_on_character_boundaries_and_rejoin() {
        let text = format!("{}{}", "é".repeat(1_000), "a🚧b".repeat(700));
        let chunks = split_chunks(&text, 1_001);
        assert!(chunks.len() > 3);
        assert!(chunks.iter().all(|c| !c.is_empty() && c.len() <= 1_001));
        assert_eq!(chunks.concat(), text);
        assert!(split_chunks("", 10).is_empty());
        assert_eq!(split_chunks("abc", 300_000), ["abc"]);
    }

    #[test]
    fn chunk_sort_keys_sort_by_index() {
        let mut keys: Vec<String> = [10, 2, 0, 99, 1].iter().map(|i| chunk_sk(*i)).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "CHUNK#00000",
                "CHUNK#00001",
                "CHUNK#00002",
                "CHUNK#00010",
                "CHUNK#00099"
            ]
        );
    }
}
