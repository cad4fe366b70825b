//! DynamoDB single-table store. Keys and access patterns are documented in
//! `docs/data-model.md`; this module is the only place that knows the item layout.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;
use serde::{Deserialize, Serialize};

use prolink_app::ports::{
    Clock, DedupStore, PortError, PortResult, RawInbound, RawInboundLog, StatusLog, StatusRecord,
};
use prolink_domain::calendar::DAY_MS;

use super::dynamo_content::{ContentCache, MAX_CONTENT_CHUNK_BYTES, MIN_CONTENT_CHUNK_BYTES};
use super::dynamo_conversation::DEFAULT_UNANSWERED_LOOKBACK_MONTHS;

/// Name of the TTL attribute (epoch seconds, as DynamoDB TTL requires).
pub const TTL_ATTRIBUTE: &str = "expires_at";
/// Names of the global secondary indexes (overloaded, sparse; keys `GSIxPK`/`GSIxSK`).
pub const GSI1: &str = "GSI1";
pub const GSI2: &str = "GSI2";
pub const GSI3: &str = "GSI3";
pub const GSI4: &str = "GSI4";
pub const GSI5: &str = "GSI5";
pub const GSI6: &str = "GSI6";
const GSIS: [&str; 6] = [GSI1, GSI2, GSI3, GSI4, GSI5, GSI6];

/// Default look-back of `RawInboundLog::recent`; must cover the raw log retention.
pub const DEFAULT_RAW_LOOKBACK_DAYS: u32 = 31;

/// Webhook bodies above this size are cut before storing: the item limit is 400 KB and Meta
/// may send up to 3 MB, while real bodies are a few KB.
const MAX_RAW_BODY_BYTES: usize = 350_000;

pub(super) type Item = HashMap<String, AttributeValue>;

/// Every store port on one DynamoDB table: `DedupStore`, `RawInboundLog` and `StatusLog`
/// here, the conversation ports in `dynamo_conversation.rs` and `dynamo_content.rs`, the
/// complaints in `dynamo_complaint.rs`, the operator side (users, audit trail, alert board,
/// settings) in `dynamo_operator.rs`.
#[derive(Clone)]
pub struct DynamoStore {
    pub(super) client: Client,
    pub(super) table: String,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) raw_lookback_days: u32,
    pub(super) unanswered_lookback_months: u32,
    pub(super) content_chunk_bytes: usize,
    pub(super) content_cache: ContentCache,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>, clock: Arc<dyn Clock>) -> Self {
        Self {
            client,
            table: table.into(),
            clock,
            raw_lookback_days: DEFAULT_RAW_LOOKBACK_DAYS,
            unanswered_lookback_months: DEFAULT_UNANSWERED_LOOKBACK_MONTHS,
            content_chunk_bytes: MAX_CONTENT_CHUNK_BYTES,
            content_cache: ContentCache::default(),
        }
    }

    /// The store with a client built from `sdk` (the CLI has the SDK configuration but not
    /// the DynamoDB client crate).
    pub fn from_sdk_config(
        sdk: &aws_config::SdkConfig,
        table: impl Into<String>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self::new(Client::new(sdk), table, clock)
    }

    /// How many months back `recent_unanswered` looks (at least 1).
    pub fn with_unanswered_lookback_months(mut self, months: u32) -> Self {
        self.unanswered_lookback_months = months.max(1);
        self
    }

    /// Size of the content chunks, at most (and by default) [`MAX_CONTENT_CHUNK_BYTES`].
    /// Smaller chunks only serve tests that need a bundle spread over many items.
    pub fn with_content_chunk_bytes(mut self, bytes: usize) -> Self {
        self.content_chunk_bytes = bytes.clamp(MIN_CONTENT_CHUNK_BYTES, MAX_CONTENT_CHUNK_BYTES);
        self
    }

    /// How many days back `recent` looks for raw inbound bodies (at least 1).
    pub fn with_raw_lookback_days(mut self, days: u32) -> Self {
        self.raw_lookback_days = days.max(1);
        self
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Puts `item` unless a live item with the same key exists. `Ok(false)` when one does.
    pub(super) async fn put_unless_live(&self, item: Item) -> PortResult<bool> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK) OR expires_at_ms <= :now")
            .expression_attribute_values(":now", number(self.clock.now_ms()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(false)
            }
            Err(e) => Err(backend("PutItem", e)),
        }
    }

    /// One page of a raw-inbound day partition, newest first.
    async fn query_raw_day(
        &self,
        day_pk: &str,
        page_size: i32,
        start: Option<Item>,
    ) -> PortResult<(Vec<RawItem>, Option<Item>)> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(day_pk.to_owned()))
            .scan_index_forward(false)
            .consistent_read(true)
            .limit(page_size)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| backend("Query", e))?;
        let items = serde_dynamo::from_items(output.items.unwrap_or_default())
            .map_err(|e| corrupt("raw inbound", e))?;
        Ok((items, output.last_evaluated_key))
    }
}

impl std::fmt::Debug for DynamoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoStore")
            .field("table", &self.table)
            .field("raw_lookback_days", &self.raw_lookback_days)
            .field(
                "unanswered_lookback_months",
                &self.unanswered_lookback_months,
            )
            .field("content_chunk_bytes", &self.content_chunk_bytes)
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------------------------
// Items
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize)]
struct DedupItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    marked_at_ms: i64,
    expires_at: i64,
    expires_at_ms: i64,
}

/// Only the expiry, for reads that just need liveness.
#[derive(Debug, Deserialize)]
struct ExpiryOnly {
    expires_at_ms: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct RawItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    id: String,
    received_at_ms: i64,
    outcome: String,
    body: String,
    #[serde(default)]
    body_truncated: bool,
    expires_at: i64,
    expires_at_ms: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct StatusItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    wamid: String,
    status: String,
    timestamp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    recipient: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outbox_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error_code: Option<i64>,
    expires_at: i64,
    expires_at_ms: i64,
}

fn dedup_pk(key: &str) -> String {
    format!("DEDUP#{key}")
}

const DEDUP_SK: &str = "DEDUP";

pub(super) fn raw_day_pk(ms: i64) -> PortResult<String> {
    let day = chrono::DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| PortError::Invalid(format!("timestamp out of range: {ms}")))?;
    Ok(format!("RAW#{}", day.format("%Y-%m-%d")))
}

fn msg_pk(wamid: &str) -> String {
    format!("MSG#{wamid}")
}

/// Position of a status in the port's order: sent < delivered < read < others.
fn status_rank(status: &str) -> u8 {
    match status {
        "sent" => 0,
        "delivered" => 1,
        "read" => 2,
        _ => 9,
    }
}

fn status_sk(status: &str) -> String {
    format!("STATUS#{}#{status}", status_rank(status))
}

/// DynamoDB TTL works in whole seconds; rounding up keeps DynamoDB from deleting an item
/// before the port considers it expired.
pub(super) fn ttl_seconds(expires_at_ms: i64) -> i64 {
    let seconds = expires_at_ms.div_euclid(1000);
    if expires_at_ms.rem_euclid(1000) > 0 {
        seconds + 1
    } else {
        seconds
    }
}

pub(super) fn is_live(expires_at_ms: i64, now_ms: i64) -> bool {
    now_ms < expires_at_ms
}

/// Longest prefix of `body` within `max` bytes that ends on a character boundary.
fn truncate_utf8(body: &str, max: usize) -> &str {
    if body.len() <= max {
        return body;
    }
    let mut end = max;
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    &body[..end]
}

pub(super) fn non_empty(what: &str, value: &str) -> PortResult<()> {
    if value.is_empty() {
        return Err(PortError::Invalid(format!("{what} must not be empty")));
    }
    Ok(())
}

pub(super) fn number(n: i64) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

pub(super) fn backend<E, R>(operation: &str, error: SdkError<E, R>) -> PortError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    PortError::Backend(format!(
        "DynamoDB {operation}: {}",
        DisplayErrorContext(&error)
    ))
}

pub(super) fn corrupt(what: &str, error: serde_dynamo::Error) -> PortError {
    PortError::Backend(format!("unreadable {what} item: {error}"))
}

pub(super) fn to_item<T: Serialize>(what: &str, value: &T) -> PortResult<Item> {
    serde_dynamo::to_item(value).map_err(|e| PortError::Invalid(format!("{what}: {e}")))
}

// ---------------------------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------------------------

#[async_trait]
impl DedupStore for DynamoStore {
    async fn is_marked(&self, key: &str) -> PortResult<bool> {
        non_empty("dedup key", key)?;
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", AttributeValue::S(dedup_pk(key)))
            .key("SK", AttributeValue::S(DEDUP_SK.to_owned()))
            .projection_expression("expires_at_ms")
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend("GetItem", e))?;
        let Some(item) = output.item else {
            return Ok(false);
        };
        let expiry: ExpiryOnly = serde_dynamo::from_item(item).map_err(|e| corrupt("dedup", e))?;
        Ok(is_live(expiry.expires_at_ms, self.clock.now_ms()))
    }

    async fn mark(&self, key: &str, expires_at_ms: i64) -> PortResult<bool> {
        non_empty("dedup key", key)?;
        let item = DedupItem {
            pk: dedup_pk(key),
            sk: DEDUP_SK.to_owned(),
            entity: "dedup".to_owned(),
            marked_at_ms: self.clock.now_ms(),
            expires_at: ttl_seconds(expires_at_ms),
            expires_at_ms,
        };
        self.put_unless_live(to_item("dedup mark", &item)?).await
    }
}

#[async_trait]
impl RawInboundLog for DynamoStore {
    async fn record(&self, raw: &RawInbound) -> PortResult<()> {
        non_empty("raw inbound id", &raw.id)?;
        if raw.received_at_ms < 0 {
            return Err(PortError::Invalid(format!(
                "received_at_ms before 1970: {}",
                raw.received_at_ms
            )));
        }
        let body = truncate_utf8(&raw.body, MAX_RAW_BODY_BYTES);
        let body_truncated = body.len() < raw.body.len();
        if body_truncated {
            tracing::warn!(
                id = %raw.id,
                size = raw.body.len(),
                "raw inbound body too large for DynamoDB, stored truncated"
            );
        }
        let item = RawItem {
            pk: raw_day_pk(raw.received_at_ms)?,
            // Zero-padded so the string order of the sort key is the time order.
            sk: format!("{:013}#{}", raw.received_at_ms, raw.id),
            entity: "raw_inbound".to_owned(),
            id: raw.id.clone(),
            received_at_ms: raw.received_at_ms,
            outcome: raw.outcome.clone(),
            body: body.to_owned(),
            body_truncated,
            expires_at: ttl_seconds(raw.expires_at_ms),
            expires_at_ms: raw.expires_at_ms,
        };
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item("raw inbound", &item)?))
            .send()
            .await
            .map_err(|e| backend("PutItem", e))?;
        Ok(())
    }

    async fn recent(&self, limit: usize) -> PortResult<Vec<RawInbound>> {
        let mut found = Vec::new();
        if limit == 0 {
            return Ok(found);
        }
        let now = self.clock.now_ms();
        // Start one day ahead so a record stamped by a slightly faster clock is not missed.
        let newest_day = now.saturating_add(DAY_MS);
        let oldest_day = now.saturating_sub(i64::from(self.raw_lookback_days) * DAY_MS);
        let mut day = newest_day;
        while found.len() < limit && day >= oldest_day {
            if day >= 0 {
                let pk = raw_day_pk(day)?;
                let mut start = None;
                loop {
                    let remaining = limit - found.len();
                    // Small pages for small limits; expired items only make us page again.
                    let page_size = i32::try_from(remaining.clamp(25, 1000)).unwrap_or(1000);
                    let (items, next) = self.query_raw_day(&pk, page_size, start).await?;
                    for item in items {
                        if found.len() < limit && is_live(item.expires_at_ms, now) {
                            found.push(RawInbound {
                                id: item.id,
                                received_at_ms: item.received_at_ms,
                                outcome: item.outcome,
                                body: item.body,
                                expires_at_ms: item.expires_at_ms,
                            });
                        }
                    }
                    match next {
                        Some(key) if found.len() < limit => start = Some(key),
                        _ => break,
                    }
                }
            }
            day -= DAY_MS;
        }
        Ok(found)
    }
}

#[async_trait]
impl StatusLog for DynamoStore {
    async fn record_status(&self, status: &StatusRecord) -> PortResult<()> {
        non_empty("wamid", &status.wamid)?;
        non_empty("status", &status.status)?;
        let item = StatusItem {
            pk: msg_pk(&status.wamid),
            sk: status_sk(&status.status),
            entity: "status".to_owned(),
            wamid: status.wamid.clone(),
            status: status.status.clone(),
            timestamp: status.timestamp,
            recipient: status.recipient.clone(),
            outbox_id: status.outbox_id.clone(),
            error_code: status.error_code,
            expires_at: ttl_seconds(status.expires_at_ms),
            expires_at_ms: status.expires_at_ms,
        };
        // A lost condition means this (wamid, status) is already recorded: the first report wins.
        self.put_unless_live(to_item("status", &item)?).await?;
        Ok(())
    }

    async fn statuses_of(&self, wamid: &str) -> PortResult<Vec<StatusRecord>> {
        let now = self.clock.now_ms();
        let mut records = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
                .expression_attribute_values(":pk", AttributeValue::S(msg_pk(wamid)))
                .expression_attribute_values(":prefix", AttributeValue::S("STATUS#".to_owned()))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| backend("Query", e))?;
            let items: Vec<StatusItem> = serde_dynamo::from_items(output.items.unwrap_or_default())
                .map_err(|e| corrupt("status", e))?;
            records.extend(
                items
                    .into_iter()
                    .filter(|item| is_live(item.expires_at_ms, now))
                    .map(|item| StatusRecord {
                        wamid: item.wamid,
                        status: item.status,
                        timestamp: item.timestamp,
                        recipient: item.recipient,
                        outbox_id: item.outbox_id,
                        error_code: item.error_code,
                        expires_at_ms: item.expires_at_ms,
                    }),
            );
            match output.last_evaluated_key {
                Some(key) => start = Some(key),
                None => break,
            }
        }
        // The sort key already orders by rank; statuses sharing the "other" rank are ordered
        // by time like the SQLite store does.
        records.sort_by(|a, b| {
            (status_rank(&a.status), a.timestamp, &a.status).cmp(&(
                status_rank(&b.status),
                b.timestamp,
                &b.status,
            ))
        });
        Ok(records)
    }
}

// ---------------------------------------------------------------------------------------------
// Table
// ---------------------------------------------------------------------------------------------

/// Creates the application table exactly as `template.yaml` declares it: `PK`/`SK` strings,
/// `PAY_PER_REQUEST`, `GSI1`…`GSI6` on `GSIxPK`/`GSIxSK` projecting all attributes, TTL on
/// `expires_at`. Waits until the table is active. Used by tests and local tooling.
pub async fn create_table(client: &Client, name: &str) -> PortResult<()> {
    let invalid = |e: aws_sdk_dynamodb::error::BuildError| PortError::Invalid(e.to_string());
    let key = |attribute: &str, key_type: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(attribute)
            .key_type(key_type)
            .build()
            .map_err(invalid)
    };
    let string_attribute = |attribute: &str| {
        AttributeDefinition::builder()
            .attribute_name(attribute)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(invalid)
    };
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_attribute("PK")?)
        .attribute_definitions(string_attribute("SK")?)
        .key_schema(key("PK", KeyType::Hash)?)
        .key_schema(key("SK", KeyType::Range)?);
    for index in GSIS {
        let (pk, sk) = (format!("{index}PK"), format!("{index}SK"));
        let gsi = GlobalSecondaryIndex::builder()
            .index_name(index)
            .key_schema(key(&pk, KeyType::Hash)?)
            .key_schema(key(&sk, KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .map_err(invalid)?;
        request = request
            .attribute_definitions(string_attribute(&pk)?)
            .attribute_definitions(string_attribute(&sk)?)
            .global_secondary_indexes(gsi);
    }
    request
        .send()
        .await
        .map_err(|e| backend("CreateTable", e))?;

    let mut attempts = 0;
    loop {
        let output = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(|e| backend("DescribeTable", e))?;
        let status = output.table.and_then(|t| t.table_status);
        if status == Some(TableStatus::Active) {
            break;
        }
        attempts += 1;
        if attempts >= 120 {
            return Err(PortError::Backend(format!(
                "table {name} not active after 60 s: {status:?}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(TTL_ATTRIBUTE)
                .build()
                .map_err(invalid)?,
        )
        .send()
        .await
        .map_err(|e| backend("UpdateTimeToLive", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_rounds_up_to_whole_seconds() {
        assert_eq!(ttl_seconds(1_700_000_000_000), 1_700_000_000);
        assert_eq!(ttl_seconds(1_700_000_000_001), 1_700_000_001);
        assert_eq!(ttl_seconds(1_700_000_000_999), 1_700_000_001);
    }

    #[test]
    fn status_sort_keys_follow_the_port_order() {
        let mut keys: Vec<String> = ["read", "failed", "sent", "played", "delivered"]
            .iter()
            .map(|s| status_sk(s))
            .collect();
        keys.sort();
        let order: Vec<&str> = keys.iter().filter_map(|k| k.rsplit('#').next()).collect();
        assert_eq!(order, ["sent", "delivered", "read", "failed", "played"]);
    }

    #[test]
    fn raw_partition_is_the_utc_day() -> PortResult<()> {
        // 2026-03-01T23:59:59.999Z and one millisecond later.
        assert_eq!(raw_day_pk(1_772_409_599_999)?, "RAW#2026-03-01");
        assert_eq!(raw_day_pk(1_772_409_600_000)?, "RAW#2026-03-02");
        Ok(())
    }

    #[test]
    fn truncation_keeps_whole_characters() {
        let body = "aé".repeat(10);
        let cut = truncate_utf8(&body, 4);
        assert_eq!(cut, "aéa");
        assert_eq!(truncate_utf8("short", 100), "short");
    }
}
