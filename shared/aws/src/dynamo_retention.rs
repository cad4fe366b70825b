//! Retention on the DynamoDB table: final complaints by closing time (`GSI4`, partition
//! `CMPCLOSED`) and resolved alerts (`GSI2`, partition `ALERT#resolved`), both read oldest
//! first with the cutoff in the key condition, so a sweep with nothing old enough reads
//! nothing; each is removed with a `DeleteItem` (the complaint's conditional on its version).

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;

use prolink_app::complaint_rules::{MAX_QUERY_ITEMS, MAX_SORT_MS};
use prolink_app::ports::{AlertRecord, AlertState, PortResult, RetentionStore};
use prolink_domain::complaint::Complaint;

use super::dynamo::{backend, corrupt, non_empty, number, DynamoStore, GSI2, GSI4};
use super::dynamo_complaint::{complaint_pk, StoredComplaint, CLOSED_PARTITION, COMPLAINT_SK};
use super::dynamo_operator::{alert_pk, alert_state_partition, AlertItem, ALERT_SK};

/// The upper bound of a `<ms, 13 digits>#<id>` sort key for "before `before_ms`": a bare
/// 13-digit prefix sorts before every key of its instant.
pub(crate) fn before_bound(before_ms: i64) -> String {
    if before_ms > MAX_SORT_MS {
        "~".to_owned()
    } else {
        format!("{:013}", before_ms.max(0))
    }
}

impl DynamoStore {
    /// Up to `limit` items of `index`'s `partition` whose sort key lies below `bound`,
    /// ascending, that pass `filter` (an expression on `:cutoff`). Every "oldest first, up
    /// to an instant" read of the table goes through here (due complaints and broadcasts,
    /// retention).
    pub(crate) async fn oldest_below<T: DeserializeOwned>(
        &self,
        what: &str,
        (index, partition): (&str, &str),
        bound: String,
        filter: Option<(&str, i64)>,
        limit: usize,
    ) -> PortResult<Vec<T>> {
        let mut found = Vec::new();
        let mut start = None;
        while found.len() < limit {
            let wanted = (limit - found.len()).min(MAX_QUERY_ITEMS);
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression("#pk = :pk AND #sk < :bound")
                .expression_attribute_names("#pk", format!("{index}PK"))
                .expression_attribute_names("#sk", format!("{index}SK"))
                .expression_attribute_values(":pk", AttributeValue::S(partition.to_owned()))
                .expression_attribute_values(":bound", AttributeValue::S(bound.clone()))
                .scan_index_forward(true)
                .limit(i32::try_from(wanted).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take());
            if let Some((expression, cutoff)) = filter {
                request = request
                    .filter_expression(expression)
                    .expression_attribute_values(":cutoff", number(cutoff));
            }
            let output = request.send().await.map_err(|e| backend("Query", e))?;
            let read: Vec<T> = serde_dynamo::from_items(output.items.unwrap_or_default())
                .map_err(|e| corrupt(what, e))?;
            for item in read {
                if found.len() < limit {
                    found.push(item);
                }
            }
            match output.last_evaluated_key {
                Some(key) => start = Some(key),
                None => break,
            }
        }
        Ok(found)
    }
}

#[async_trait]
impl RetentionStore for DynamoStore {
    async fn complaints_closed_before(
        &self,
        closed_before_ms: i64,
        limit: usize,
    ) -> PortResult<Vec<Complaint>> {
        if limit == 0 || closed_before_ms <= 0 {
            return Ok(Vec::new());
        }
        let stored: Vec<StoredComplaint> = self
            .oldest_below(
                "complaint",
                (GSI4, CLOSED_PARTITION),
                before_bound(closed_before_ms),
                None,
                limit,
            )
            .await?;
        stored
            .into_iter()
            .map(StoredComplaint::into_complaint)
            .collect()
    }

    async fn delete_complaint(&self, ticket: &str, version: u64) -> PortResult<bool> {
        non_empty("ticket", ticket)?;
        let version = i64::try_from(version).unwrap_or(i64::MAX);
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("PK", AttributeValue::S(complaint_pk(ticket)))
            .key("SK", AttributeValue::S(COMPLAINT_SK.to_owned()))
            .condition_expression("#version = :version")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":version", number(version))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(false)
            }
            Err(e) => Err(backend("DeleteItem", e)),
        }
    }

    async fn alerts_resolved_before(
        &self,
        resolved_before_ms: i64,
        limit: usize,
    ) -> PortResult<Vec<AlertRecord>> {
        if limit == 0 || resolved_before_ms <= 0 {
            return Ok(Vec::new());
        }
        // An alert is resolved after it was raised: the key range on the raise time holds
        // every candidate, the filter on the resolution time decides.
        let items: Vec<AlertItem> = self
            .oldest_below(
                "alert",
                (GSI2, &alert_state_partition(AlertState::Resolved)),
                before_bound(resolved_before_ms),
                Some(("resolved_ms < :cutoff", resolved_before_ms)),
                limit,
            )
            .await?;
        items.into_iter().map(AlertItem::into_record).collect()
    }

    async fn delete_alert(&self, id: &str) -> PortResult<()> {
        non_empty("alert id", id)?;
        self.delete_key(alert_pk(id), ALERT_SK.to_owned())
            .await
            .map(drop)
    }
}
