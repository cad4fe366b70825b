//! The conversation ports on the DynamoDB table: message outbox, citizen profiles and
//! aliases, dialog sessions and operator signals. Keys and conditions are the ones of
//! `docs/data-model.md`.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Datelike;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use prolink_app::conversation_rules::{
    check_candidates, non_negative_ms, outbox_state_name, parse_outbox_state, session_size,
};
use prolink_app::ports::{
    AlertRecord, AlertState, CitizenProfile, CitizenStore, OperatorAlert, OperatorSignals,
    OutboxRecord, OutboxStore, PortError, PortResult, SessionStore, StoredSession,
    UnansweredQuestion,
};

use super::dynamo::{
    backend, corrupt, is_live, non_empty, number, to_item, ttl_seconds, DynamoStore, Item, GSI1,
};
use super::dynamo_operator::{alert_item, AlertItem, ALERTS_PARTITION};

/// Default look-back of `recent_unanswered`: 13 monthly partitions cover the longest
/// retention the template allows (365 days) plus the current month.
pub const DEFAULT_UNANSWERED_LOOKBACK_MONTHS: u32 = 13;

// ---------------------------------------------------------------------------------------------
// Items
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize)]
struct OutboxItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    outbox_id: String,
    citizen_key: String,
    /// The Graph body as JSON text: DynamoDB numbers and nulls would not round-trip exactly.
    body_json: String,
    state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    wamid: Option<String>,
    attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_error_code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_error: Option<String>,
    created_ms: i64,
    updated_ms: i64,
    expires_at: i64,
    expires_at_ms: i64,
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct CitizenItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    wa_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_inbound_ms: Option<i64>,
    broadcast_opt_in: bool,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    privacy_consent_ms: Option<i64>,
    version: u64,
    created_ms: i64,
    updated_ms: i64,
    /// `CITSUB` while the citizen is opted in to broadcasts (the subscriber list), absent
    /// otherwise: opting out takes the profile out of the index in the same write.
    #[serde(rename = "GSI1PK", default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    /// The citizen key's SHA-256 (hex): a stable order that names no phone number, used as
    /// the broadcast's send cursor.
    #[serde(rename = "GSI1SK", default, skip_serializing_if = "Option::is_none")]
    pub(super) gsi1sk: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct AliasItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    identifier: String,
    citizen_key: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct SessionItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    key: String,
    data: String,
    version: u64,
    expires_at: i64,
    expires_at_ms: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct UnansweredItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "GSI1PK")]
    gsi1pk: String,
    #[serde(rename = "GSI1SK")]
    gsi1sk: String,
    entity: String,
    id: String,
    citizen_key: String,
    text: String,
    #[serde(default)]
    candidates: Vec<(String, f64)>,
    asked_ms: i64,
    expires_at: i64,
    expires_at_ms: i64,
}

fn outbox_pk(outbox_id: &str) -> String {
    format!("OUT#{outbox_id}")
}
const OUTBOX_SK: &str = "OUT";

fn citizen_pk(key: &str) -> String {
    format!("CIT#{key}")
}
const PROFILE_SK: &str = "PROFILE";
const SESSION_SK: &str = "SESSION";

fn alias_pk(identifier: &str) -> String {
    format!("ALIAS#{identifier}")
}
const ALIAS_SK: &str = "ALIAS";

fn unanswered_pk(id: &str) -> String {
    format!("UNANS#{id}")
}
const UNANSWERED_SK: &str = "UNANS";

/// A month as a running number (`year * 12 + month0`), so walking back is a subtraction.
pub(super) fn month_index(ms: i64) -> PortResult<i64> {
    let at = chrono::DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| PortError::Invalid(format!("timestamp out of range: {ms}")))?;
    Ok(i64::from(at.year()) * 12 + i64::from(at.month0()))
}

pub(super) fn unanswered_month_pk(month_index: i64) -> String {
    let year = month_index.div_euclid(12);
    let month = month_index.rem_euclid(12) + 1;
    format!("UNANS#{year:04}-{month:02}")
}

/// The string order of a 13-digit zero-padded timestamp is its time order.
fn time_sort_key(what: &str, ms: i64, id: &str) -> PortResult<String> {
    non_negative_ms(what, ms)?;
    Ok(format!("{ms:013}#{id}"))
}

pub(super) fn next_version(version: u64) -> PortResult<u64> {
    version
        .checked_add(1)
        .filter(|v| i64::try_from(*v).is_ok())
        .ok_or_else(|| PortError::Invalid(format!("version {version} out of range")))
}

impl DynamoStore {
    /// `PutItem` under `condition`; `Ok(false)` when the condition failed.
    pub(super) async fn put_if(
        &self,
        item: Item,
        condition: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
    ) -> PortResult<bool> {
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition);
        for (placeholder, name) in names {
            request = request.expression_attribute_names(*placeholder, *name);
        }
        for (placeholder, value) in values {
            request = request.expression_attribute_values(placeholder, value);
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(false)
            }
            Err(e) => Err(backend("PutItem", e)),
        }
    }

    /// `PutItem` of a versioned record: created when `expected` is 0, else only over the
    /// stored `version` `expected`. A lost race is `PortError::Conflict` naming `what`/`key`.
    pub(super) async fn put_versioned(
        &self,
        item: Item,
        expected: u64,
        what: &str,
        key: &str,
    ) -> PortResult<()> {
        let written = if expected == 0 {
            self.put_if(item, "attribute_not_exists(PK)", &[], Vec::new())
                .await?
        } else {
            self.put_if(
                item,
                "#version = :expected",
                &[("#version", "version")],
                vec![(":expected", AttributeValue::N(expected.to_string()))],
            )
            .await?
        };
        if written {
            Ok(())
        } else {
            Err(conflict(what, key, expected))
        }
    }

    async fn put(&self, item: Item) -> PortResult<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| backend("PutItem", e))?;
        Ok(())
    }

    /// Consistent `GetItem` of one item, as stored.
    pub(super) async fn get_raw(&self, pk: String, sk: &str) -> PortResult<Option<Item>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", AttributeValue::S(pk))
            .key("SK", AttributeValue::S(sk.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend("GetItem", e))?;
        Ok(output.item)
    }

    /// Consistent `GetItem` of one item, deserialised.
    pub(super) async fn get<T: DeserializeOwned>(
        &self,
        what: &str,
        pk: String,
        sk: &str,
    ) -> PortResult<Option<T>> {
        self.get_raw(pk, sk)
            .await?
            .map(|item| serde_dynamo::from_item(item).map_err(|e| corrupt(what, e)))
            .transpose()
    }

    /// Up to `limit` items of one `GSI1` partition, newest (highest `GSI1SK`) first, keeping
    /// those `keep` accepts.
    pub(super) async fn query_gsi1_newest<T: DeserializeOwned>(
        &self,
        what: &str,
        partition: &str,
        limit: usize,
        keep: impl Fn(&T) -> bool,
        found: &mut Vec<T>,
    ) -> PortResult<()> {
        let mut start = None;
        while found.len() < limit {
            let remaining = limit - found.len();
            let page_size = i32::try_from(remaining.clamp(25, 1000)).unwrap_or(1000);
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression("GSI1PK = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(partition.to_owned()))
                .scan_index_forward(false)
                .limit(page_size)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| backend("Query", e))?;
            let items: Vec<T> = serde_dynamo::from_items(output.items.unwrap_or_default())
                .map_err(|e| corrupt(what, e))?;
            for item in items {
                if found.len() < limit && keep(&item) {
                    found.push(item);
                }
            }
            match output.last_evaluated_key {
                Some(key) => start = Some(key),
                None => break,
            }
        }
        Ok(())
    }
}

pub(super) fn conflict(what: &str, key: &str, version: u64) -> PortError {
    PortError::Conflict(format!("{what} {key}: expected version {version}"))
}

// ---------------------------------------------------------------------------------------------
// Outbox
// ---------------------------------------------------------------------------------------------

fn outbox_item(record: &OutboxRecord) -> PortResult<Item> {
    non_empty("outbox id", &record.outbox_id)?;
    non_empty("citizen key", &record.citizen_key)?;
    to_item(
        "outbox",
        &OutboxItem {
            pk: outbox_pk(&record.outbox_id),
            sk: OUTBOX_SK.to_owned(),
            entity: "outbox".to_owned(),
            outbox_id: record.outbox_id.clone(),
            citizen_key: record.citizen_key.clone(),
            body_json: record.body.to_string(),
            state: outbox_state_name(record.state).to_owned(),
            wamid: record.wamid.clone(),
            attempts: record.attempts,
            last_error_code: record.last_error_code,
            last_error: record.last_error.clone(),
            created_ms: record.created_ms,
            updated_ms: record.updated_ms,
            expires_at: ttl_seconds(record.expires_at_ms),
            expires_at_ms: record.expires_at_ms,
        },
    )
}

#[async_trait]
impl OutboxStore for DynamoStore {
    async fn create_outbox(&self, record: &OutboxRecord) -> PortResult<bool> {
        self.put_unless_live(outbox_item(record)?).await
    }

    async fn get_outbox(&self, outbox_id: &str) -> PortResult<Option<OutboxRecord>> {
        non_empty("outbox id", outbox_id)?;
        let Some(item) = self
            .get::<OutboxItem>("outbox", outbox_pk(outbox_id), OUTBOX_SK)
            .await?
        else {
            return Ok(None);
        };
        if !is_live(item.expires_at_ms, self.clock.now_ms()) {
            return Ok(None);
        }
        let state = parse_outbox_state(&item.state).ok_or_else(|| {
            PortError::Backend(format!(
                "outbox {} has an unknown state {:?}",
                item.outbox_id, item.state
            ))
        })?;
        let body = serde_json::from_str(&item.body_json).map_err(|e| {
            PortError::Backend(format!("outbox {} body is not JSON: {e}", item.outbox_id))
        })?;
        Ok(Some(OutboxRecord {
            outbox_id: item.outbox_id,
            citizen_key: item.citizen_key,
            body,
            state,
            wamid: item.wamid,
            attempts: item.attempts,
            last_error_code: item.last_error_code,
            last_error: item.last_error,
            created_ms: item.created_ms,
            updated_ms: item.updated_ms,
            expires_at_ms: item.expires_at_ms,
        }))
    }

    async fn put_outbox(&self, record: &OutboxRecord) -> PortResult<()> {
        self.put(outbox_item(record)?).await
    }
}

// ---------------------------------------------------------------------------------------------
// Citizens
// ---------------------------------------------------------------------------------------------

impl From<CitizenItem> for CitizenProfile {
    fn from(item: CitizenItem) -> Self {
        CitizenProfile {
            key: item.key,
            wa_id: item.wa_id,
            user_id: item.user_id,
            name: item.name,
            last_inbound_ms: item.last_inbound_ms,
            broadcast_opt_in: item.broadcast_opt_in,
            topics: item.topics,
            privacy_consent_ms: item.privacy_consent_ms,
            version: item.version,
            created_ms: item.created_ms,
            updated_ms: item.updated_ms,
        }
    }
}

#[async_trait]
impl CitizenStore for DynamoStore {
    async fn get_citizen(&self, key: &str) -> PortResult<Option<CitizenProfile>> {
        non_empty("citizen key", key)?;
        let item = self
            .get::<CitizenItem>("citizen", citizen_pk(key), PROFILE_SK)
            .await?;
        Ok(item.map(CitizenProfile::from))
    }

    async fn put_citizen(&self, profile: &CitizenProfile) -> PortResult<u64> {
        non_empty("citizen key", &profile.key)?;
        let version = next_version(profile.version)?;
        let item = to_item(
            "citizen",
            &CitizenItem {
                pk: citizen_pk(&profile.key),
                sk: PROFILE_SK.to_owned(),
                entity: "citizen".to_owned(),
                key: profile.key.clone(),
                wa_id: profile.wa_id.clone(),
                user_id: profile.user_id.clone(),
                name: profile.name.clone(),
                last_inbound_ms: profile.last_inbound_ms,
                broadcast_opt_in: profile.broadcast_opt_in,
                topics: profile.topics.clone(),
                privacy_consent_ms: profile.privacy_consent_ms,
                version,
                created_ms: profile.created_ms,
                updated_ms: profile.updated_ms,
                gsi1pk: profile
                    .broadcast_opt_in
                    .then(|| crate::dynamo_broadcast::SUBSCRIBERS_PARTITION.to_owned()),
                gsi1sk: profile
                    .broadcast_opt_in
                    .then(|| prolink_domain::citizen::group_id_for(&profile.key)),
            },
        )?;
        self.put_versioned(item, profile.version, "citizen", &profile.key)
            .await?;
        Ok(version)
    }

    async fn resolve_alias(&self, identifier: &str) -> PortResult<Option<String>> {
        non_empty("alias", identifier)?;
        let item = self
            .get::<AliasItem>("alias", alias_pk(identifier), ALIAS_SK)
            .await?;
        Ok(item.map(|item| item.citizen_key))
    }

    async fn put_alias(&self, identifier: &str, key: &str) -> PortResult<()> {
        non_empty("alias", identifier)?;
        non_empty("citizen key", key)?;
        let item = to_item(
            "alias",
            &AliasItem {
                pk: alias_pk(identifier),
                sk: ALIAS_SK.to_owned(),
                entity: "alias".to_owned(),
                identifier: identifier.to_owned(),
                citizen_key: key.to_owned(),
            },
        )?;
        self.put(item).await
    }
}

// ---------------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------------

#[async_trait]
impl SessionStore for DynamoStore {
    async fn load_session(&self, key: &str) -> PortResult<Option<StoredSession>> {
        non_empty("session key", key)?;
        let item = self
            .get::<SessionItem>("session", citizen_pk(key), SESSION_SK)
            .await?;
        let now = self.clock.now_ms();
        Ok(item
            .filter(|item| is_live(item.expires_at_ms, now))
            .map(|item| StoredSession {
                key: item.key,
                data: item.data,
                version: item.version,
                expires_at_ms: item.expires_at_ms,
            }))
    }

    async fn save_session(&self, session: &StoredSession) -> PortResult<u64> {
        non_empty("session key", &session.key)?;
        session_size(&session.data)?;
        let version = next_version(session.version)?;
        let item = to_item(
            "session",
            &SessionItem {
                pk: citizen_pk(&session.key),
                sk: SESSION_SK.to_owned(),
                entity: "session".to_owned(),
                key: session.key.clone(),
                data: session.data.clone(),
                version,
                expires_at: ttl_seconds(session.expires_at_ms),
                expires_at_ms: session.expires_at_ms,
            },
        )?;
        let now = number(self.clock.now_ms());
        let written = if session.version == 0 {
            // An expired session counts as absent, whatever its version.
            self.put_if(
                item,
                "attribute_not_exists(PK) OR expires_at_ms <= :now",
                &[],
                vec![(":now", now)],
            )
            .await?
        } else {
            self.put_if(
                item,
                "#version = :expected AND expires_at_ms > :now",
                &[("#version", "version")],
                vec![
                    (":expected", AttributeValue::N(session.version.to_string())),
                    (":now", now),
                ],
            )
            .await?
        };
        if written {
            Ok(version)
        } else {
            Err(conflict("session", &session.key, session.version))
        }
    }

    async fn delete_session(&self, key: &str) -> PortResult<()> {
        non_empty("session key", key)?;
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("PK", AttributeValue::S(citizen_pk(key)))
            .key("SK", AttributeValue::S(SESSION_SK.to_owned()))
            .send()
            .await
            .map_err(|e| backend("DeleteItem", e))?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Operator signals
// ---------------------------------------------------------------------------------------------

#[async_trait]
impl OperatorSignals for DynamoStore {
    async fn record_unanswered(&self, question: &UnansweredQuestion) -> PortResult<()> {
        non_empty("question id", &question.id)?;
        check_candidates(&question.candidates)?;
        let item = to_item(
            "unanswered question",
            &UnansweredItem {
                pk: unanswered_pk(&question.id),
                sk: UNANSWERED_SK.to_owned(),
                gsi1pk: unanswered_month_pk(month_index(question.asked_ms)?),
                gsi1sk: time_sort_key("asked_ms", question.asked_ms, &question.id)?,
                entity: "unanswered".to_owned(),
                id: question.id.clone(),
                citizen_key: question.citizen_key.clone(),
                text: question.text.clone(),
                candidates: question.candidates.clone(),
                asked_ms: question.asked_ms,
                expires_at: ttl_seconds(question.expires_at_ms),
                expires_at_ms: question.expires_at_ms,
            },
        )?;
        // First write wins: a retried message records its question once.
        self.put_unless_live(item).await?;
        Ok(())
    }

    async fn recent_unanswered(&self, limit: usize) -> PortResult<Vec<UnansweredQuestion>> {
        let mut found: Vec<UnansweredItem> = Vec::new();
        let now = self.clock.now_ms();
        // Start one month ahead so a question stamped by a slightly faster clock is not missed.
        let newest = month_index(now)? + 1;
        let oldest = newest - i64::from(self.unanswered_lookback_months);
        let mut month = newest;
        while found.len() < limit && month >= oldest {
            self.query_gsi1_newest(
                "unanswered question",
                &unanswered_month_pk(month),
                limit,
                |item: &UnansweredItem| is_live(item.expires_at_ms, now),
                &mut found,
            )
            .await?;
            month -= 1;
        }
        Ok(found
            .into_iter()
            .map(|item| UnansweredQuestion {
                id: item.id,
                citizen_key: item.citizen_key,
                text: item.text,
                candidates: item.candidates,
                asked_ms: item.asked_ms,
                expires_at_ms: item.expires_at_ms,
            })
            .collect())
    }

    async fn raise_alert(&self, alert: &OperatorAlert) -> PortResult<()> {
        let item = alert_item(&AlertRecord {
            alert: alert.clone(),
            state: AlertState::Open,
            resolved_ms: None,
            resolved_by: None,
        })?;
        // A lost condition means the alert is already raised: idempotent on its id, and a
        // resolved alert is never reopened by a retried raise.
        self.put_if(item, "attribute_not_exists(PK)", &[], Vec::new())
            .await?;
        Ok(())
    }

    async fn recent_alerts(&self, limit: usize) -> PortResult<Vec<OperatorAlert>> {
        let mut found: Vec<AlertItem> = Vec::new();
        self.query_gsi1_newest("alert", ALERTS_PARTITION, limit, |_| true, &mut found)
            .await?;
        found
            .into_iter()
            .map(|item| item.into_record().map(|record| record.alert))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unanswered_partitions_are_utc_months() -> PortResult<()> {
        // 2026-01-31T23:59:59.999Z and one millisecond later.
        let end_of_january = month_index(1_769_903_999_999)?;
        assert_eq!(unanswered_month_pk(end_of_january), "UNANS#2026-01");
        assert_eq!(
            unanswered_month_pk(month_index(1_769_904_000_000)?),
            "UNANS#2026-02"
        );
        assert_eq!(unanswered_month_pk(end_of_january - 1), "UNANS#2025-12");
        assert_eq!(unanswered_month_pk(end_of_january + 11), "UNANS#2026-12");
        Ok(())
    }

    #[test]
    fn time_sort_keys_order_like_time_and_refuse_negative_times() {
        let earlier = time_sort_key("t", 999_999_999_999, "b").unwrap_or_default();
        let later = time_sort_key("t", 1_000_000_000_000, "a").unwrap_or_default();
        assert!(earlier < later, "{earlier} < {later}");
        assert!(matches!(
            time_sort_key("t", -1, "a"),
            Err(PortError::Invalid(_))
        ));
    }

    #[test]
    fn versions_stop_before_overflow() {
        assert_eq!(next_version(0).ok(), Some(1));
        assert!(next_version(u64::MAX).is_err());
        assert!(next_version(i64::MAX as u64).is_err());
    }
}
