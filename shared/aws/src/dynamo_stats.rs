//! Statistics counters on the DynamoDB table: one item per (WIB day, counter) in the day's
//! partition, updated with an atomic `ADD` in the same transaction as the event's mark, so a
//! redelivered event changes nothing (`docs/data-model.md`, "Statistics counters").

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;

use prolink_app::ports::{CounterAdd, DayCounter, PortError, PortResult, StatsCounters};
use prolink_app::stats::{checked_adds, day_key, day_range, EVENT_MARK_DAYS};
use prolink_domain::calendar::DAY_MS;

use super::dynamo::{backend, corrupt, number, to_item, ttl_seconds, DynamoStore, Item};

/// Day partitions read at once.
const READ_CONCURRENCY: usize = 16;

fn event_pk(event_id: &str) -> String {
    format!("STATEV#{event_id}")
}

const EVENT_SK: &str = "STATEV";

fn day_pk(day: &str) -> String {
    format!("STAT#{day}")
}

#[derive(Debug, Serialize)]
struct EventItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    counted_ms: i64,
    expires_at: i64,
    expires_at_ms: i64,
}

#[derive(Debug, Deserialize)]
struct CounterItem {
    #[serde(rename = "SK")]
    sk: String,
    #[serde(default)]
    value: i64,
}

impl DynamoStore {
    /// Every counter item of one day partition (consistent, paged).
    async fn read_day(&self, day: String) -> PortResult<Vec<DayCounter>> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(day_pk(&day)))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| backend("Query", e))?;
            let items: Vec<CounterItem> =
                serde_dynamo::from_items(output.items.unwrap_or_default())
                    .map_err(|e| corrupt("statistics counter", e))?;
            out.extend(items.into_iter().map(|item| DayCounter {
                day: day.clone(),
                counter: item.sk,
                value: item.value,
            }));
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(out),
            }
        }
    }
}

#[async_trait]
impl StatsCounters for DynamoStore {
    async fn add(&self, event_id: &str, adds: &[CounterAdd]) -> PortResult<bool> {
        let adds = checked_adds(event_id, adds)?;
        let now = self.clock.now_ms();
        let expires_at_ms = now + EVENT_MARK_DAYS * DAY_MS;
        let mark = to_item(
            "statistics event",
            &EventItem {
                pk: event_pk(event_id),
                sk: EVENT_SK.to_owned(),
                entity: "stat_event".to_owned(),
                counted_ms: now,
                expires_at: ttl_seconds(expires_at_ms),
                expires_at_ms,
            },
        )?;
        let build = |e: aws_sdk_dynamodb::error::BuildError| PortError::Backend(e.to_string());
        let mut items = vec![TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(mark))
                    .condition_expression("attribute_not_exists(PK) OR expires_at_ms <= :now")
                    .expression_attribute_values(":now", number(now))
                    .build()
                    .map_err(build)?,
            )
            .build()];
        for add in &adds {
            items.push(
                TransactWriteItem::builder()
                    .update(
                        Update::builder()
                            .table_name(&self.table)
                            .key("PK", AttributeValue::S(day_pk(&add.day)))
                            .key("SK", AttributeValue::S(add.counter.clone()))
                            .update_expression("ADD #value :delta SET entity = :entity")
                            .expression_attribute_names("#value", "value")
                            .expression_attribute_values(":delta", number(add.delta))
                            .expression_attribute_values(
                                ":entity",
                                AttributeValue::S("stat_counter".to_owned()),
                            )
                            .build()
                            .map_err(build)?,
                    )
                    .build(),
            );
        }
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e)) if e.err().is_transaction_canceled_exception() => {
                let lost_mark = match e.err() {
                    TransactWriteItemsError::TransactionCanceledException(canceled) => canceled
                        .cancellation_reasons()
                        .first()
                        .is_some_and(|reason| reason.code() == Some("ConditionalCheckFailed")),
                    _ => false,
                };
                if lost_mark {
                    Ok(false)
                } else {
                    Err(backend("TransactWriteItems", SdkError::ServiceError(e)))
                }
            }
            Err(e) => Err(backend("TransactWriteItems", e)),
        }
    }

    async fn read_counters(&self, from_day: &str, to_day: &str) -> PortResult<Vec<DayCounter>> {
        let days: Vec<String> = day_range(from_day, to_day)?
            .into_iter()
            .map(day_key)
            .collect();
        let mut out = Vec::new();
        for chunk in days.chunks(READ_CONCURRENCY) {
            let mut reads = JoinSet::new();
            for (position, day) in chunk.iter().enumerate() {
                let store = self.clone();
                let day = day.clone();
                reads.spawn(async move { (position, store.read_day(day).await) });
            }
            let mut found: Vec<(usize, Vec<DayCounter>)> = Vec::with_capacity(chunk.len());
            while let Some(joined) = reads.join_next().await {
                let (position, rows) = joined.map_err(PortError::backend)?;
                found.push((position, rows?));
            }
            found.sort_by_key(|(position, _)| *position);
            for (_, mut rows) in found {
                rows.sort_by(|a, b| a.counter.cmp(&b.counter));
                out.extend(rows);
            }
        }
        Ok(out)
    }
}
