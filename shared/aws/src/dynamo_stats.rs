//! Statistics counters on the DynamoDB table: one item per (WIB day, counter) in the WIB
//! month's partition, updated with an atomic `ADD` in the same transaction as the event's mark, so a
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

fn event_pk(event_id: &str) -> String {
    format!("STATEV#{event_id}")
}

const EVENT_SK: &str = "STATEV";

/// Counters live in their WIB month's partition, so a year of statistics is 12 queries, not
/// 365 (`/public/stats` and the dashboard's charts read whole months).
fn month_pk(month: &str) -> String {
    format!("STAT#{month}")
}

/// `yyyy-mm` of a `yyyy-mm-dd` day (checked by `checked_adds`/`day_range` before this).
fn month_of(day: &str) -> &str {
    day.get(..7).unwrap_or(day)
}

fn counter_sk(day: &str, counter: &str) -> String {
    format!("{day}#{counter}")
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
    /// The counters of the days `from_day ..= to_day` of one month partition (consistent,
    /// paged), in key order: by day, then by counter name.
    async fn read_month(
        &self,
        month: String,
        from_day: String,
        to_day: String,
    ) -> PortResult<Vec<DayCounter>> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
                .expression_attribute_values(":pk", AttributeValue::S(month_pk(&month)))
                // Every key of a day is `<day>#<counter>`; `$` follows `#`, so `<to_day>$`
                // is above all of the last day's keys and below the next day's.
                .expression_attribute_values(":from", AttributeValue::S(format!("{from_day}#")))
                .expression_attribute_values(":to", AttributeValue::S(format!("{to_day}$")))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| backend("Query", e))?;
            let items: Vec<CounterItem> =
                serde_dynamo::from_items(output.items.unwrap_or_default())
                    .map_err(|e| corrupt("statistics counter", e))?;
            for item in items {
                let Some((day, counter)) = item.sk.split_once('#') else {
                    return Err(PortError::Backend(format!(
                        "unreadable statistics counter item: key {:?} without a day",
                        item.sk
                    )));
                };
                out.push(DayCounter {
                    day: day.to_owned(),
                    counter: counter.to_owned(),
                    value: item.value,
                });
            }
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
                            .key("PK", AttributeValue::S(month_pk(month_of(&add.day))))
                            .key("SK", AttributeValue::S(counter_sk(&add.day, &add.counter)))
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
        let days = day_range(from_day, to_day)?;
        // One query per month the range touches (at most 14 for the 400 days allowed), all at
        // once, each bounded to the range's days in it.
        let mut months: Vec<(String, String, String)> = Vec::new();
        for day in days.into_iter().map(day_key) {
            match months.last_mut() {
                Some((month, _, last)) if month.as_str() == month_of(&day) => *last = day,
                _ => months.push((month_of(&day).to_owned(), day.clone(), day)),
            }
        }
        let mut reads = JoinSet::new();
        for (position, (month, first, last)) in months.into_iter().enumerate() {
            let store = self.clone();
            reads.spawn(async move { (position, store.read_month(month, first, last).await) });
        }
        let mut found: Vec<(usize, Vec<DayCounter>)> = Vec::new();
        while let Some(joined) = reads.join_next().await {
            let (position, rows) = joined.map_err(PortError::backend)?;
            found.push((position, rows?));
        }
        found.sort_by_key(|(position, _)| *position);
        let mut out: Vec<DayCounter> = found.into_iter().flat_map(|(_, rows)| rows).collect();
        // Key order already is; stated so the port's order does not hang on a key layout.
        out.sort_by(|a, b| (&a.day, &a.counter).cmp(&(&b.day, &b.counter)));
        Ok(out)
    }
}
