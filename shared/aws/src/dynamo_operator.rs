//! The operator side on the DynamoDB table: users, the audit trail, the alert board and
//! settings. Keys, conditions and cursors are the ones of `docs/data-model.md`; the lists are
//! queries on the overloaded sparse indexes, never scans.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use prolink_app::complaint_rules::{page_limit, parse_cursor, sort_key};
use prolink_app::operator_rules::{
    alert_state_name, check_alert_ids, check_audit, check_audit_query, check_setting_key,
    check_user, check_username, parse_alert_state, setting_json,
};
use prolink_app::ports::{
    AlertBoard, AlertRecord, AlertState, AuditLog, AuditQuery, AuditRecord, OperatorAlert, Page,
    PageRequest, PortError, PortResult, Role, SettingsStore, StoredSetting, UserRecord, UserStore,
};

use super::dynamo::{
    backend, corrupt, non_empty, number, to_item, ttl_seconds, DynamoStore, Item, GSI1, GSI2, GSI3,
};
use super::dynamo_conversation::next_version;

// ---------------------------------------------------------------------------------------------
// Paged index queries
// ---------------------------------------------------------------------------------------------

/// A filter applied after the key condition (so `Limit` counts items read, not kept, and the
/// query goes on until the page is full).
pub(super) struct Filter {
    expression: String,
    names: Vec<(&'static str, &'static str)>,
    values: Vec<(&'static str, AttributeValue)>,
}

/// Which index partition a list reads, in which direction, keeping what.
pub(super) struct IndexQuery<'a> {
    pub(super) what: &'a str,
    pub(super) index: &'a str,
    pub(super) partition: &'a str,
    pub(super) forward: bool,
    pub(super) filter: Option<Filter>,
}

/// One page of an index partition: up to `limit` items plus whether another follows.
pub(super) struct IndexPage<T> {
    pub(super) items: Vec<T>,
    pub(super) more: bool,
}

/// The start key of a query resuming after the item with table key `pk`/`sk` whose index
/// sort key is `cursor`, in `index`'s `partition`.
pub(super) fn start_key(pk: String, sk: &str, index: &str, partition: &str, cursor: &str) -> Item {
    Item::from([
        ("PK".to_owned(), AttributeValue::S(pk)),
        ("SK".to_owned(), AttributeValue::S(sk.to_owned())),
        (
            format!("{index}PK"),
            AttributeValue::S(partition.to_owned()),
        ),
        (format!("{index}SK"), AttributeValue::S(cursor.to_owned())),
    ])
}

impl DynamoStore {
    /// Reads `index`'s `partition` from `start` on (descending unless `forward`) until
    /// `limit` items passed `filter`, plus one more to know whether another page exists.
    pub(super) async fn index_page<T: DeserializeOwned>(
        &self,
        query: &IndexQuery<'_>,
        mut start: Option<Item>,
        limit: usize,
    ) -> PortResult<IndexPage<T>> {
        let IndexQuery {
            what,
            index,
            partition,
            forward,
            ref filter,
        } = *query;
        let mut items = Vec::new();
        let mut more = false;
        loop {
            // Without a filter every item read is kept, so one more than needed suffices;
            // with one, larger reads save round trips over filtered-out items.
            let wanted = limit - items.len() + 1;
            let wanted = if filter.is_some() {
                wanted.max(25)
            } else {
                wanted
            };
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", format!("{index}PK"))
                .expression_attribute_values(":pk", AttributeValue::S(partition.to_owned()))
                .scan_index_forward(forward)
                .limit(i32::try_from(wanted).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take());
            if let Some(filter) = filter {
                request = request.filter_expression(&filter.expression);
                for (placeholder, name) in &filter.names {
                    request = request.expression_attribute_names(*placeholder, *name);
                }
                for (placeholder, value) in &filter.values {
                    request = request.expression_attribute_values(*placeholder, value.clone());
                }
            }
            let output = request.send().await.map_err(|e| backend("Query", e))?;
            let read: Vec<T> = serde_dynamo::from_items(output.items.unwrap_or_default())
                .map_err(|e| corrupt(what, e))?;
            for item in read {
                if items.len() < limit {
                    items.push(item);
                } else {
                    more = true;
                }
            }
            match output.last_evaluated_key {
                Some(key) if !more => start = Some(key),
                _ => break,
            }
        }
        Ok(IndexPage { items, more })
    }
}

// ---------------------------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------------------------

/// The one `GSI1` partition of the user list (a city has tens of operators).
const USERS_PARTITION: &str = "USERS";
const USER_SK: &str = "USER";

fn user_pk(username: &str) -> String {
    format!("USER#{username}")
}

#[derive(Debug, Serialize, Deserialize)]
struct UserItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "GSI1PK")]
    gsi1pk: String,
    /// The username itself: the list is by username ascending.
    #[serde(rename = "GSI1SK")]
    gsi1sk: String,
    entity: String,
    username: String,
    role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    opd_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    password_hash: Option<String>,
    #[serde(default)]
    disabled: bool,
    #[serde(default)]
    failed_logins: Vec<i64>,
    created_ms: i64,
    updated_ms: i64,
    version: u64,
}

impl From<UserItem> for UserRecord {
    fn from(item: UserItem) -> Self {
        UserRecord {
            username: item.username,
            role: item.role,
            opd_id: item.opd_id,
            password_hash: item.password_hash,
            disabled: item.disabled,
            failed_logins: item.failed_logins,
            created_ms: item.created_ms,
            updated_ms: item.updated_ms,
            version: item.version,
        }
    }
}

#[async_trait]
impl UserStore for DynamoStore {
    async fn get_user(&self, username: &str) -> PortResult<Option<UserRecord>> {
        non_empty("username", username)?;
        let item = self
            .get::<UserItem>("user", user_pk(username), USER_SK)
            .await?;
        Ok(item.map(UserRecord::from))
    }

    async fn put_user(&self, user: &UserRecord) -> PortResult<u64> {
        check_user(user)?;
        let version = next_version(user.version)?;
        let item = to_item(
            "user",
            &UserItem {
                pk: user_pk(&user.username),
                sk: USER_SK.to_owned(),
                gsi1pk: USERS_PARTITION.to_owned(),
                gsi1sk: user.username.clone(),
                entity: "user".to_owned(),
                username: user.username.clone(),
                role: user.role,
                opd_id: user.opd_id.clone(),
                password_hash: user.password_hash.clone(),
                disabled: user.disabled,
                failed_logins: user.failed_logins.clone(),
                created_ms: user.created_ms,
                updated_ms: user.updated_ms,
                version,
            },
        )?;
        self.put_versioned(item, user.version, "user", &user.username)
            .await?;
        Ok(version)
    }

    async fn list_users(&self, page: &PageRequest) -> PortResult<Page<UserRecord>> {
        let limit = page_limit(page.limit)?;
        let start = match &page.after {
            Some(cursor) => {
                check_username(cursor)
                    .map_err(|_| PortError::Invalid(format!("malformed page cursor {cursor:?}")))?;
                Some(start_key(
                    user_pk(cursor),
                    USER_SK,
                    GSI1,
                    USERS_PARTITION,
                    cursor,
                ))
            }
            None => None,
        };
        let found: IndexPage<UserItem> = self
            .index_page(
                &IndexQuery {
                    what: "user",
                    index: GSI1,
                    partition: USERS_PARTITION,
                    forward: true,
                    filter: None,
                },
                start,
                limit,
            )
            .await?;
        let items: Vec<UserRecord> = found.items.into_iter().map(UserRecord::from).collect();
        let next = if found.more {
            items.last().map(|u| u.username.clone())
        } else {
            None
        };
        Ok(Page { items, next })
    }
}

// ---------------------------------------------------------------------------------------------
// Audit trail
// ---------------------------------------------------------------------------------------------

/// The one `GSI1` partition of the whole trail (see the data model for its write rate).
const AUDIT_PARTITION: &str = "AUDIT";
const AUDIT_SK: &str = "AUDIT";

fn audit_pk(id: &str) -> String {
    format!("AUDIT#{id}")
}

fn audit_actor_partition(actor: &str) -> String {
    format!("AUDITACTOR#{actor}")
}

fn audit_subject_partition(subject: &str) -> String {
    format!("AUDITSUBJ#{subject}")
}

#[derive(Debug, Serialize, Deserialize)]
struct AuditItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "GSI1PK")]
    gsi1pk: String,
    #[serde(rename = "GSI1SK")]
    gsi1sk: String,
    #[serde(rename = "GSI2PK")]
    gsi2pk: String,
    #[serde(rename = "GSI2SK")]
    gsi2sk: String,
    /// Absent without a subject, which keeps the record out of the per-subject index.
    #[serde(rename = "GSI3PK", default, skip_serializing_if = "Option::is_none")]
    gsi3pk: Option<String>,
    #[serde(rename = "GSI3SK", default, skip_serializing_if = "Option::is_none")]
    gsi3sk: Option<String>,
    entity: String,
    id: String,
    at_ms: i64,
    actor: String,
    role: String,
    action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    expires_at: i64,
    expires_at_ms: i64,
}

impl From<AuditItem> for AuditRecord {
    fn from(item: AuditItem) -> Self {
        AuditRecord {
            id: item.id,
            at_ms: item.at_ms,
            actor: item.actor,
            role: item.role,
            action: item.action,
            subject: item.subject,
            ip: item.ip,
            detail: item.detail,
            expires_at_ms: item.expires_at_ms,
        }
    }
}

#[async_trait]
impl AuditLog for DynamoStore {
    async fn append_audit(&self, record: &AuditRecord) -> PortResult<()> {
        check_audit(record)?;
        let time = sort_key(record.at_ms, &record.id);
        let item = AuditItem {
            pk: audit_pk(&record.id),
            sk: AUDIT_SK.to_owned(),
            gsi1pk: AUDIT_PARTITION.to_owned(),
            gsi1sk: time.clone(),
            gsi2pk: audit_actor_partition(&record.actor),
            gsi2sk: time.clone(),
            gsi3pk: record.subject.as_deref().map(audit_subject_partition),
            gsi3sk: record.subject.as_ref().map(|_| time),
            entity: "audit".to_owned(),
            id: record.id.clone(),
            at_ms: record.at_ms,
            actor: record.actor.clone(),
            role: record.role.clone(),
            action: record.action.clone(),
            subject: record.subject.clone(),
            ip: record.ip.clone(),
            detail: record.detail.clone(),
            expires_at: ttl_seconds(record.expires_at_ms),
            expires_at_ms: record.expires_at_ms,
        };
        // A lost condition means the record is already there: append-only, idempotent on id.
        self.put_if(
            to_item("audit record", &item)?,
            "attribute_not_exists(PK)",
            &[],
            Vec::new(),
        )
        .await?;
        Ok(())
    }

    async fn query_audit(
        &self,
        query: &AuditQuery,
        page: &PageRequest,
    ) -> PortResult<Page<AuditRecord>> {
        check_audit_query(query)?;
        let limit = page_limit(page.limit)?;
        // DynamoDB deletes expired items only eventually: the filter hides them meanwhile.
        let mut filter = Filter {
            expression: "expires_at_ms > :now".to_owned(),
            names: Vec::new(),
            values: vec![(":now", number(self.clock.now_ms()))],
        };
        // A subject has few records and an actor many, so with both the subject's partition
        // is read and the actor filtered.
        let (index, partition) = match (&query.subject, &query.actor) {
            (Some(subject), actor) => {
                if let Some(actor) = actor {
                    filter.expression.push_str(" AND #actor = :actor");
                    filter.names.push(("#actor", "actor"));
                    filter
                        .values
                        .push((":actor", AttributeValue::S(actor.clone())));
                }
                (GSI3, audit_subject_partition(subject))
            }
            (None, Some(actor)) => (GSI2, audit_actor_partition(actor)),
            (None, None) => (GSI1, AUDIT_PARTITION.to_owned()),
        };
        let start = match &page.after {
            Some(cursor) => {
                let (_, id) = parse_cursor(cursor)?;
                Some(start_key(
                    audit_pk(&id),
                    AUDIT_SK,
                    index,
                    &partition,
                    cursor,
                ))
            }
            None => None,
        };
        let found: IndexPage<AuditItem> = self
            .index_page(
                &IndexQuery {
                    what: "audit record",
                    index,
                    partition: &partition,
                    forward: false,
                    filter: Some(filter),
                },
                start,
                limit,
            )
            .await?;
        let items: Vec<AuditRecord> = found.items.into_iter().map(AuditRecord::from).collect();
        let next = if found.more {
            items.last().map(|r| sort_key(r.at_ms, &r.id))
        } else {
            None
        };
        Ok(Page { items, next })
    }
}

// ---------------------------------------------------------------------------------------------
// Alerts
// ---------------------------------------------------------------------------------------------

/// The `GSI1` partition of `recent_alerts` (every alert, any state).
pub(super) const ALERTS_PARTITION: &str = "ALERTS";
pub(super) const ALERT_SK: &str = "ALERT";

pub(super) fn alert_pk(id: &str) -> String {
    format!("ALERT#{id}")
}

pub(super) fn alert_state_partition(state: AlertState) -> String {
    format!("ALERT#{}", alert_state_name(state))
}

fn alert_opd_partition(opd_id: &str, state: AlertState) -> String {
    format!("ALERTOPD#{opd_id}#{}", alert_state_name(state))
}

fn open_state() -> String {
    alert_state_name(AlertState::Open).to_owned()
}

/// An alert as stored. The state's index keys (`GSI2PK`, `GSI3PK`) name the state, so
/// resolving an alert moves it between the open and resolved lists in the same write.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct AlertItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "GSI1PK")]
    gsi1pk: String,
    #[serde(rename = "GSI1SK")]
    gsi1sk: String,
    #[serde(rename = "GSI2PK", default, skip_serializing_if = "Option::is_none")]
    gsi2pk: Option<String>,
    #[serde(rename = "GSI2SK", default, skip_serializing_if = "Option::is_none")]
    gsi2sk: Option<String>,
    /// Only alerts of one OPD are in the per-OPD index.
    #[serde(rename = "GSI3PK", default, skip_serializing_if = "Option::is_none")]
    gsi3pk: Option<String>,
    #[serde(rename = "GSI3SK", default, skip_serializing_if = "Option::is_none")]
    gsi3sk: Option<String>,
    entity: String,
    id: String,
    kind: String,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    citizen_key: Option<String>,
    raised_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    opd_id: Option<String>,
    /// Items written before alerts had states are open ones.
    #[serde(default = "open_state")]
    state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resolved_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resolved_by: Option<String>,
}

/// The item of `record`, with the index keys of its state.
pub(super) fn alert_item(record: &AlertRecord) -> PortResult<Item> {
    let alert = &record.alert;
    check_alert_ids(&alert.id, alert.raised_ms, alert.opd_id.as_deref())?;
    let time = sort_key(alert.raised_ms, &alert.id);
    to_item(
        "alert",
        &AlertItem {
            pk: alert_pk(&alert.id),
            sk: ALERT_SK.to_owned(),
            gsi1pk: ALERTS_PARTITION.to_owned(),
            gsi1sk: time.clone(),
            gsi2pk: Some(alert_state_partition(record.state)),
            gsi2sk: Some(time.clone()),
            gsi3pk: alert
                .opd_id
                .as_deref()
                .map(|opd| alert_opd_partition(opd, record.state)),
            gsi3sk: alert.opd_id.as_ref().map(|_| time),
            entity: "alert".to_owned(),
            id: alert.id.clone(),
            kind: alert.kind.clone(),
            message: alert.message.clone(),
            citizen_key: alert.citizen_key.clone(),
            raised_ms: alert.raised_ms,
            opd_id: alert.opd_id.clone(),
            state: alert_state_name(record.state).to_owned(),
            resolved_ms: record.resolved_ms,
            resolved_by: record.resolved_by.clone(),
        },
    )
}

impl AlertItem {
    pub(super) fn into_record(self) -> PortResult<AlertRecord> {
        Ok(AlertRecord {
            state: parse_alert_state(&self.state)?,
            resolved_ms: self.resolved_ms,
            resolved_by: self.resolved_by,
            alert: OperatorAlert {
                id: self.id,
                kind: self.kind,
                message: self.message,
                citizen_key: self.citizen_key,
                raised_ms: self.raised_ms,
                opd_id: self.opd_id,
            },
        })
    }
}

impl DynamoStore {
    async fn load_alert(&self, id: &str) -> PortResult<Option<AlertRecord>> {
        self.get::<AlertItem>("alert", alert_pk(id), ALERT_SK)
            .await?
            .map(AlertItem::into_record)
            .transpose()
    }
}

#[async_trait]
impl AlertBoard for DynamoStore {
    async fn list_alerts(
        &self,
        state: AlertState,
        opd_id: Option<&str>,
        page: &PageRequest,
    ) -> PortResult<Page<AlertRecord>> {
        let limit = page_limit(page.limit)?;
        let (index, partition) = match opd_id {
            Some(opd) => {
                non_empty("opd id", opd)?;
                (GSI3, alert_opd_partition(opd, state))
            }
            None => (GSI2, alert_state_partition(state)),
        };
        let start = match &page.after {
            Some(cursor) => {
                let (_, id) = parse_cursor(cursor)?;
                Some(start_key(
                    alert_pk(&id),
                    ALERT_SK,
                    index,
                    &partition,
                    cursor,
                ))
            }
            None => None,
        };
        let found: IndexPage<AlertItem> = self
            .index_page(
                &IndexQuery {
                    what: "alert",
                    index,
                    partition: &partition,
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
            .map(AlertItem::into_record)
            .collect::<PortResult<Vec<_>>>()?;
        let next = if found.more {
            items
                .last()
                .map(|a| sort_key(a.alert.raised_ms, &a.alert.id))
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn get_alert(&self, id: &str) -> PortResult<Option<AlertRecord>> {
        non_empty("alert id", id)?;
        self.load_alert(id).await
    }

    async fn resolve_alert(
        &self,
        id: &str,
        by: &str,
        at_ms: i64,
    ) -> PortResult<Option<AlertRecord>> {
        non_empty("alert id", id)?;
        non_empty("resolved by", by)?;
        let Some(stored) = self.load_alert(id).await? else {
            return Ok(None);
        };
        if stored.state == AlertState::Resolved {
            return Ok(Some(stored));
        }
        let resolved = AlertRecord {
            state: AlertState::Resolved,
            resolved_ms: Some(at_ms),
            resolved_by: Some(by.to_owned()),
            ..stored
        };
        // Only an open alert is replaced, so a concurrent resolver's name and time stay (and
        // an item written before states existed, without `state`, counts as open).
        let written = self
            .put_if(
                alert_item(&resolved)?,
                "attribute_exists(PK) AND (#state = :open OR attribute_not_exists(#state))",
                &[("#state", "state")],
                vec![(":open", AttributeValue::S(open_state()))],
            )
            .await?;
        if written {
            Ok(Some(resolved))
        } else {
            self.load_alert(id).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

const SETTING_SK: &str = "SETTING";

fn setting_pk(key: &str) -> String {
    format!("SETTING#{key}")
}

#[derive(Debug, Serialize, Deserialize)]
struct SettingItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    key: String,
    /// The value as JSON text: DynamoDB numbers and nulls would not round-trip exactly.
    value_json: String,
    updated_ms: i64,
    updated_by: String,
    version: u64,
}

#[async_trait]
impl SettingsStore for DynamoStore {
    async fn get_setting(&self, key: &str) -> PortResult<Option<StoredSetting>> {
        check_setting_key(key)?;
        let Some(item) = self
            .get::<SettingItem>("setting", setting_pk(key), SETTING_SK)
            .await?
        else {
            return Ok(None);
        };
        let value = serde_json::from_str(&item.value_json)
            .map_err(|e| PortError::Backend(format!("stored setting unreadable: {e}")))?;
        Ok(Some(StoredSetting {
            key: item.key,
            value,
            updated_ms: item.updated_ms,
            updated_by: item.updated_by,
            version: item.version,
        }))
    }

    async fn put_setting(&self, setting: &StoredSetting) -> PortResult<u64> {
        check_setting_key(&setting.key)?;
        let value_json = setting_json(&setting.key, &setting.value)?;
        let version = next_version(setting.version)?;
        let item = to_item(
            "setting",
            &SettingItem {
                pk: setting_pk(&setting.key),
                sk: SETTING_SK.to_owned(),
                entity: "setting".to_owned(),
                key: setting.key.clone(),
                value_json,
                updated_ms: setting.updated_ms,
                updated_by: setting.updated_by.clone(),
                version,
            },
        )?;
        self.put_versioned(item, setting.version, "setting", &setting.key)
            .await?;
        Ok(version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(item: &Item, name: &str) -> Option<String> {
        match item.get(name) {
            Some(AttributeValue::S(value)) => Some(value.clone()),
            _ => None,
        }
    }

    fn alert(opd_id: Option<&str>, state: AlertState) -> AlertRecord {
        AlertRecord {
            alert: OperatorAlert {
                id: "complaint.new.PS-7K3QX9".into(),
                kind: "complaint_new".into(),
                message: "Aduan baru".into(),
                citizen_key: None,
                raised_ms: 1_780_000_000_000,
                opd_id: opd_id.map(str::to_owned),
            },
            state,
            resolved_ms: None,
            resolved_by: None,
        }
    }

    #[test]
    fn alert_index_keys_follow_the_state_and_the_opd() -> PortResult<()> {
        let open = alert_item(&alert(Some("dpupr"), AlertState::Open))?;
        for (name, value) in [
            ("PK", "ALERT#complaint.new.PS-7K3QX9"),
            ("GSI1PK", "ALERTS"),
            ("GSI2PK", "ALERT#open"),
            ("GSI2SK", "1780000000000#complaint.new.PS-7K3QX9"),
            ("GSI3PK", "ALERTOPD#dpupr#open"),
            ("GSI3SK", "1780000000000#complaint.new.PS-7K3QX9"),
            ("state", "open"),
        ] {
            assert_eq!(text(&open, name).as_deref(), Some(value), "{name}");
        }
        let resolved = alert_item(&alert(Some("dpupr"), AlertState::Resolved))?;
        assert_eq!(text(&resolved, "GSI2PK").as_deref(), Some("ALERT#resolved"));
        assert_eq!(
            text(&resolved, "GSI3PK").as_deref(),
            Some("ALERTOPD#dpupr#resolved")
        );
        // Diskominfo's own alerts stay out of every OPD's list.
        let own = alert_item(&alert(None, AlertState::Open))?;
        assert!(!own.contains_key("GSI3PK") && !own.contains_key("GSI3SK"));
        Ok(())
    }
}
