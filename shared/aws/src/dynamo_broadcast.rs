//! Broadcasts on the DynamoDB table (`docs/data-model.md`, "Broadcast"): one item per
//! broadcast, listed through `GSI1` (`BCASTS`, newest first), picked up by the scheduler through
//! `GSI4` (`BCASTDUE`, only while scheduled or sending); the opted-in citizens through `GSI1`
//! (`CITSUB`, the citizen key's hash as sort key). Queries only; the one scan is the
//! admin's one-off `backfill_subscribers`.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use prolink_app::ports::{
    BroadcastRecord, BroadcastStore, CitizenProfile, Page, PageRequest, PortError, PortResult,
    Subscriber,
};

use super::dynamo::{backend, corrupt, non_empty, to_item, DynamoStore, GSI1, GSI4};
use super::dynamo_conversation::{next_version, CitizenItem};
use super::dynamo_operator::{start_key, IndexPage, IndexQuery};
use super::dynamo_retention::before_bound;

/// The `GSI1` partition of opted-in citizen profiles.
pub(crate) const SUBSCRIBERS_PARTITION: &str = "CITSUB";
const LIST_PARTITION: &str = "BCASTS";
const DUE_PARTITION: &str = "BCASTDUE";
const BROADCAST_SK: &str = "BCAST";
/// Items per query page (DynamoDB returns at most 1 MB anyway).
const MAX_QUERY_ITEMS: usize = 500;

fn broadcast_pk(id: &str) -> String {
    format!("BCAST#{id}")
}

fn created_sk(record: &BroadcastRecord) -> String {
    format!("{:013}_{}", record.created_ms.max(0), record.id)
}

fn malformed(cursor: &str) -> PortError {
    PortError::Invalid(format!("malformed page cursor {cursor:?}"))
}

#[derive(Debug, Serialize, Deserialize)]
struct BroadcastItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    id: String,
    /// The record as JSON text (nested template and audience survive exactly).
    data: String,
    version: u64,
    #[serde(rename = "GSI1PK")]
    gsi1pk: String,
    #[serde(rename = "GSI1SK")]
    gsi1sk: String,
    #[serde(rename = "GSI4PK", default, skip_serializing_if = "Option::is_none")]
    gsi4pk: Option<String>,
    #[serde(rename = "GSI4SK", default, skip_serializing_if = "Option::is_none")]
    gsi4sk: Option<String>,
}

impl BroadcastItem {
    fn into_record(self) -> PortResult<BroadcastRecord> {
        let mut record: BroadcastRecord = serde_json::from_str(&self.data)
            .map_err(|e| PortError::Backend(format!("unreadable broadcast item: {e}")))?;
        record.version = self.version;
        Ok(record)
    }
}

#[async_trait]
impl BroadcastStore for DynamoStore {
    async fn put_broadcast(&self, broadcast: &BroadcastRecord) -> PortResult<u64> {
        non_empty("broadcast id", &broadcast.id)?;
        let version = next_version(broadcast.version)?;
        let mut stored = broadcast.clone();
        stored.version = version;
        let data = serde_json::to_string(&stored)
            .map_err(|e| PortError::Invalid(format!("broadcast: {e}")))?;
        let due = broadcast
            .next_run_ms
            .filter(|_| broadcast.state.is_active());
        let item = to_item(
            "broadcast",
            &BroadcastItem {
                pk: broadcast_pk(&broadcast.id),
                sk: BROADCAST_SK.to_owned(),
                entity: "broadcast".to_owned(),
                id: broadcast.id.clone(),
                data,
                version,
                gsi1pk: LIST_PARTITION.to_owned(),
                gsi1sk: created_sk(broadcast),
                gsi4pk: due.map(|_| DUE_PARTITION.to_owned()),
                gsi4sk: due.map(|ms| format!("{:013}#{}", ms.max(0), broadcast.id)),
            },
        )?;
        self.put_versioned(item, broadcast.version, "broadcast", &broadcast.id)
            .await?;
        Ok(version)
    }

    async fn get_broadcast(&self, id: &str) -> PortResult<Option<BroadcastRecord>> {
        non_empty("broadcast id", id)?;
        self.get::<BroadcastItem>("broadcast", broadcast_pk(id), BROADCAST_SK)
            .await?
            .map(BroadcastItem::into_record)
            .transpose()
    }

    async fn list_broadcasts(&self, page: &PageRequest) -> PortResult<Page<BroadcastRecord>> {
        let limit = page.limit.clamp(1, MAX_QUERY_ITEMS);
        let start = match &page.after {
            Some(cursor) => {
                let (ms, id) = cursor.split_once('_').ok_or_else(|| malformed(cursor))?;
                if ms.len() != 13 || !ms.bytes().all(|b| b.is_ascii_digit()) || id.is_empty() {
                    return Err(malformed(cursor));
                }
                Some(start_key(
                    broadcast_pk(id),
                    BROADCAST_SK,
                    GSI1,
                    LIST_PARTITION,
                    cursor,
                ))
            }
            None => None,
        };
        let found: IndexPage<BroadcastItem> = self
            .index_page(
                &IndexQuery {
                    what: "broadcast",
                    index: GSI1,
                    partition: LIST_PARTITION,
                    forward: false,
                    filter: None,
                },
                start,
                limit,
            )
            .await?;
        let items = found
            .items
            .into_iter()
            .map(BroadcastItem::into_record)
            .collect::<PortResult<Vec<_>>>()?;
        let next = if found.more {
            items.last().map(created_sk)
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn broadcasts_due(
        &self,
        due_before_ms: i64,
        limit: usize,
    ) -> PortResult<Vec<BroadcastRecord>> {
        if limit == 0 || due_before_ms < 0 {
            return Ok(Vec::new());
        };
        // Every key whose 13-digit prefix is <= due_before_ms.
        let items: Vec<BroadcastItem> = self
            .oldest_below(
                "broadcast",
                (GSI4, DUE_PARTITION),
                before_bound(due_before_ms.saturating_add(1)),
                None,
                limit,
            )
            .await?;
        items.into_iter().map(BroadcastItem::into_record).collect()
    }

    async fn subscribers(&self, after: Option<&str>, limit: usize) -> PortResult<Vec<Subscriber>> {
        if let Some(cursor) = after {
            if cursor.len() != 64 || !cursor.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(malformed(cursor));
            }
        }
        let mut found = Vec::new();
        // The cursor is the last hash read: a key condition resumes after it without needing
        // the item's table key (which would name the citizen).
        let mut after = after.unwrap_or("").to_owned();
        while found.len() < limit {
            let wanted = (limit - found.len()).min(MAX_QUERY_ITEMS);
            let request = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .expression_attribute_values(
                    ":pk",
                    AttributeValue::S(SUBSCRIBERS_PARTITION.to_owned()),
                );
            // DynamoDB refuses an empty string as a key value: the first page has no bound.
            let request = if after.is_empty() {
                request.key_condition_expression("GSI1PK = :pk")
            } else {
                request
                    .key_condition_expression("GSI1PK = :pk AND GSI1SK > :after")
                    .expression_attribute_values(":after", AttributeValue::S(after.clone()))
            };
            let output = request
                .scan_index_forward(true)
                .limit(i32::try_from(wanted).unwrap_or(i32::MAX))
                .send()
                .await
                .map_err(|e| backend("Query", e))?;
            let items: Vec<CitizenItem> =
                serde_dynamo::from_items(output.items.unwrap_or_default())
                    .map_err(|e| corrupt("citizen", e))?;
            let read = items.len();
            for item in items {
                let cursor = item.gsi1sk.clone().unwrap_or_default();
                after.clone_from(&cursor);
                found.push(Subscriber {
                    cursor,
                    profile: CitizenProfile::from(item),
                });
            }
            if read < wanted || output.last_evaluated_key.is_none() {
                break;
            }
        }
        Ok(found)
    }
}

impl DynamoStore {
    /// One-off after upgrading a table that already has opted-in citizens: a profile written
    /// before the subscriber index existed carries no `GSI1` keys until its next write, so
    /// broadcasts would pass it by. Adds the keys to every opted-in profile that lacks them and
    /// returns how many it changed. A scan: an admin command (`prolink backfill-subscribers`),
    /// never on a request path; safe to run twice and beside live traffic (each update is
    /// conditional on the profile still being opted in and still without the keys).
    pub async fn backfill_subscribers(&self) -> PortResult<usize> {
        let mut start: Option<super::dynamo::Item> = None;
        let mut added = 0;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression(
                    "entity = :citizen AND broadcast_opt_in = :yes AND attribute_not_exists(GSI1PK)",
                )
                .projection_expression("PK, SK, #key")
                .expression_attribute_names("#key", "key")
                .expression_attribute_values(":citizen", AttributeValue::S("citizen".into()))
                .expression_attribute_values(":yes", AttributeValue::Bool(true))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| backend("Scan", e))?;
            for item in page.items() {
                let (
                    Some(AttributeValue::S(pk)),
                    Some(AttributeValue::S(sk)),
                    Some(AttributeValue::S(key)),
                ) = (item.get("PK"), item.get("SK"), item.get("key"))
                else {
                    continue;
                };
                let outcome = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .key("PK", AttributeValue::S(pk.clone()))
                    .key("SK", AttributeValue::S(sk.clone()))
                    .update_expression("SET GSI1PK = :partition, GSI1SK = :order")
                    .condition_expression(
                        "attribute_exists(PK) AND broadcast_opt_in = :yes AND attribute_not_exists(GSI1PK)",
                    )
                    .expression_attribute_values(
                        ":partition",
                        AttributeValue::S(SUBSCRIBERS_PARTITION.into()),
                    )
                    .expression_attribute_values(
                        ":order",
                        AttributeValue::S(prolink_domain::citizen::group_id_for(key)),
                    )
                    .expression_attribute_values(":yes", AttributeValue::Bool(true))
                    .send()
                    .await;
                match outcome {
                    Ok(_) => added += 1,
                    // Opted out or rewritten meanwhile: the live write is right.
                    Err(e)
                        if e.as_service_error()
                            .is_some_and(|e| e.is_conditional_check_failed_exception()) => {}
                    Err(e) => return Err(backend("UpdateItem", e)),
                }
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(added),
            }
        }
    }
}
