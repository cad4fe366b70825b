//! Citizens' data rights on DynamoDB (`docs/data-model.md`, "Citizens' data rights"): the
//! erasure follows the citizen's keys (their partition, aliases, complaints by `GSI1`, outbox
//! records and statuses through the message log) and reads the time-partitioned lists that
//! may name them (raw webhook days, unanswered-question months, the alerts partition) —
//! Queries with filters, never a table scan. Tombstones and erasure requests are items of
//! their own.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use serde::{Deserialize, Serialize};

use prolink_app::citizen_rights::{
    anonymise_complaints, check_request, request_sort_key, stat_event_ids,
};
use prolink_app::complaint_rules::page_limit;
use prolink_app::ports::{
    BroadcastStore, CitizenData, ComplaintStore, Direction, ErasureCounts, ErasureOrder,
    ErasureRequest, ErasureRequestState, LoggedMessage, Page, PageRequest, PortError, PortResult,
};
use prolink_domain::calendar::DAY_MS;
use prolink_domain::erasure::{cut_from_webhook, ErasedIdentity};

use super::dynamo::{backend, corrupt, raw_day_pk, to_item, DynamoStore, Item, GSI1};
use super::dynamo_conversation::{month_index, unanswered_month_pk};
use super::dynamo_operator::ALERTS_PARTITION;

/// Complaints read per citizen key (far above what one citizen files).
const MAX_COMPLAINTS: usize = 10_000;
const ERASED_SK: &str = "ERASED";
/// Every attribute a filter names goes through a placeholder: some (`text`, `data` …) are
/// reserved words, and the others then need no checking.
const ATTRIBUTE_NAMES: [(&str, &str); 4] = [
    ("#body", "body"),
    ("#text", "text"),
    ("#msg", "message"),
    ("#ck", "citizen_key"),
];
const REQUEST_SK: &str = "ERASEREQ";
const REQUESTS_PARTITION: &str = "ERASEREQS";

fn erased_pk(hash: &str) -> String {
    format!("ERASED#{hash}")
}

fn request_pk(citizen_id: &str) -> String {
    format!("ERASEREQ#{citizen_id}")
}

#[derive(Debug, Serialize, Deserialize)]
struct TombstoneItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    erased_at_ms: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct RequestItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    #[serde(rename = "GSI1PK")]
    gsi1pk: String,
    #[serde(rename = "GSI1SK")]
    gsi1sk: String,
    state: String,
    data: String,
}

fn state_name(state: ErasureRequestState) -> &'static str {
    match state {
        ErasureRequestState::Menunggu => "menunggu",
        ErasureRequestState::Selesai => "selesai",
    }
}

fn request_item(request: &ErasureRequest) -> PortResult<Item> {
    to_item(
        "erasure request",
        &RequestItem {
            pk: request_pk(&request.citizen_id),
            sk: REQUEST_SK.to_owned(),
            entity: "erasure_request".to_owned(),
            gsi1pk: REQUESTS_PARTITION.to_owned(),
            gsi1sk: request_sort_key(request),
            state: state_name(request.state).to_owned(),
            data: serde_json::to_string(request).map_err(PortError::backend)?,
        },
    )
}

fn read_request(item: RequestItem) -> PortResult<ErasureRequest> {
    serde_json::from_str(&item.data)
        .map_err(|e| PortError::Backend(format!("stored erasure request unreadable: {e}")))
}

fn text(item: &Item, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(s)) => Some(s.clone()),
        _ => None,
    }
}

fn key_of(item: &Item) -> Option<(String, String)> {
    Some((text(item, "PK")?, text(item, "SK")?))
}

/// `contains(<attr>, :n0) OR …` over the needles, with their values.
fn contains_any(
    attribute: &str,
    needles: &[String],
    prefix: &str,
) -> (String, Vec<(String, AttributeValue)>) {
    let mut parts = Vec::new();
    let mut values = Vec::new();
    for (i, needle) in needles.iter().enumerate() {
        let placeholder = format!(":{prefix}{i}");
        parts.push(format!("contains({attribute}, {placeholder})"));
        values.push((placeholder, AttributeValue::S(needle.clone())));
    }
    (parts.join(" OR "), values)
}

/// `<attr> IN (:k0, …)` over the keys, with their values.
fn in_list(
    attribute: &str,
    keys: &[String],
    prefix: &str,
) -> (String, Vec<(String, AttributeValue)>) {
    let placeholders: Vec<String> = (0..keys.len()).map(|i| format!(":{prefix}{i}")).collect();
    let values = placeholders
        .iter()
        .zip(keys)
        .map(|(p, k)| (p.clone(), AttributeValue::S(k.clone())))
        .collect();
    (
        format!("{attribute} IN ({})", placeholders.join(", ")),
        values,
    )
}

fn search_keys(identity: &ErasedIdentity, citizen_key: &str) -> Vec<String> {
    let mut keys = identity.identifiers.clone();
    if !keys.iter().any(|k| k == citizen_key) {
        keys.push(citizen_key.to_string());
    }
    keys
}

impl DynamoStore {
    /// Every item of a partition (table or `GSI1`), optionally filtered, paged to the end.
    async fn query_everything(
        &self,
        index: Option<&str>,
        partition: &str,
        filter: Option<(String, Vec<(String, AttributeValue)>)>,
    ) -> PortResult<Vec<Item>> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let key = if index.is_some() { "GSI1PK" } else { "PK" };
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_owned))
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", key)
                .expression_attribute_values(":pk", AttributeValue::S(partition.to_owned()))
                // Only the table's own key can be read consistently.
                .consistent_read(index.is_none())
                .set_exclusive_start_key(start.take());
            if let Some((expression, values)) = &filter {
                request = request.filter_expression(expression);
                for (placeholder, name) in ATTRIBUTE_NAMES {
                    if expression.contains(placeholder) {
                        request = request.expression_attribute_names(placeholder, name);
                    }
                }
                for (placeholder, value) in values {
                    request = request.expression_attribute_values(placeholder, value.clone());
                }
            }
            let output = request.send().await.map_err(|e| backend("Query", e))?;
            found.extend(output.items.unwrap_or_default());
            match output.last_evaluated_key {
                Some(key) => start = Some(key),
                None => break,
            }
        }
        Ok(found)
    }

    /// `DeleteItem`; whether an item was there (deleting nothing is fine).
    pub(crate) async fn delete_key(&self, pk: String, sk: String) -> PortResult<bool> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("PK", AttributeValue::S(pk))
            .key("SK", AttributeValue::S(sk))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| backend("DeleteItem", e))?;
        Ok(output.attributes.is_some_and(|a| !a.is_empty()))
    }

    /// The citizen's partition (profile, session, message log, conversation): deleted, with
    /// the outbox ids of the outbound messages it logged (and of their template stand-ins).
    async fn erase_partition(
        &self,
        key: &str,
        counts: &mut ErasureCounts,
        outbox_ids: &mut Vec<String>,
    ) -> PortResult<()> {
        let items = self
            .query_everything(None, &format!("CIT#{key}"), None)
            .await?;
        for item in items {
            let Some((pk, sk)) = key_of(&item) else {
                continue;
            };
            let kind = match sk.as_str() {
                "PROFILE" => "profile",
                "SESSION" => "session",
                "CONV" => "conversation",
                s if s.starts_with("MSG#") => {
                    if let Some(data) = text(&item, "data") {
                        if let Ok(message) = serde_json::from_str::<LoggedMessage>(&data) {
                            if message.direction == Direction::Outbound {
                                // A logged message may have gone out as its template.
                                outbox_ids
                                    .push(prolink_app::sender::template_outbox_id(&message.id));
                                outbox_ids.push(message.id);
                            }
                        }
                    }
                    "messages"
                }
                _ => "other",
            };
            if self.delete_key(pk, sk).await? {
                add(counts, kind, 1);
            }
        }
        Ok(())
    }

    /// Outbox records of the citizen and the delivery statuses of what they carried.
    async fn erase_outbox(
        &self,
        keys: &[String],
        outbox_ids: &[String],
        counts: &mut ErasureCounts,
    ) -> PortResult<()> {
        for outbox_id in outbox_ids {
            let Some(item) = self.get_raw(format!("OUT#{outbox_id}"), "OUT").await? else {
                continue;
            };
            if !text(&item, "citizen_key").is_some_and(|k| keys.contains(&k)) {
                continue;
            }
            if let Some(wamid) = text(&item, "wamid") {
                for status in self
                    .query_everything(None, &format!("MSG#{wamid}"), None)
                    .await?
                {
                    if let Some((pk, sk)) = key_of(&status) {
                        if self.delete_key(pk, sk).await? {
                            add(counts, "statuses", 1);
                        }
                    }
                }
            }
            if self
                .delete_key(format!("OUT#{outbox_id}"), "OUT".to_owned())
                .await?
            {
                add(counts, "outbox", 1);
            }
        }
        Ok(())
    }

    /// Their part of every raw webhook body still kept (one Query per day of the look-back).
    async fn erase_raw(
        &self,
        identity: &ErasedIdentity,
        counts: &mut ErasureCounts,
    ) -> PortResult<()> {
        let needles: Vec<String> = identity
            .identifiers
            .iter()
            .filter(|i| i.len() >= 6)
            .cloned()
            .collect();
        if needles.is_empty() {
            return Ok(());
        }
        let now = self.clock.now_ms();
        let mut day = now.saturating_add(DAY_MS);
        let oldest = now.saturating_sub(i64::from(self.raw_lookback_days) * DAY_MS);
        while day >= oldest && day >= 0 {
            let filter = contains_any("#body", &needles, "n");
            for item in self
                .query_everything(None, &raw_day_pk(day)?, Some(filter))
                .await?
            {
                let (Some((pk, sk)), Some(body)) = (key_of(&item), text(&item, "body")) else {
                    continue;
                };
                if let Some(cut) = cut_from_webhook(&body, identity) {
                    self.client
                        .update_item()
                        .table_name(&self.table)
                        .key("PK", AttributeValue::S(pk))
                        .key("SK", AttributeValue::S(sk))
                        .update_expression("SET #body = :body")
                        .expression_attribute_names("#body", "body")
                        .condition_expression("attribute_exists(PK)")
                        .expression_attribute_values(":body", AttributeValue::S(cut))
                        .send()
                        .await
                        .map_err(|e| backend("UpdateItem", e))?;
                    add(counts, "raw_payloads", 1);
                }
            }
            day -= DAY_MS;
        }
        Ok(())
    }

    /// Unanswered questions (per month) and alerts (one partition) naming the citizen.
    async fn erase_signals(
        &self,
        keys: &[String],
        identity: &ErasedIdentity,
        counts: &mut ErasureCounts,
    ) -> PortResult<()> {
        let now = self.clock.now_ms();
        let newest = month_index(now)? + 1;
        let oldest = newest - i64::from(self.unanswered_lookback_months);
        let (by_key, mut values) = in_list("#ck", keys, "k");
        let (by_text, text_values) = contains_any("#text", &identity.needles(), "n");
        values.extend(text_values);
        for month in (oldest..=newest).rev() {
            let expression = if by_text.is_empty() {
                by_key.clone()
            } else {
                format!("{by_key} OR {by_text}")
            };
            let items = self
                .query_unanswered(&unanswered_month_pk(month), expression, values.clone())
                .await?;
            for item in items {
                let Some((pk, sk)) = key_of(&item) else {
                    continue;
                };
                if text(&item, "citizen_key").is_some_and(|k| keys.contains(&k)) {
                    if self.delete_key(pk, sk).await? {
                        add(counts, "unanswered", 1);
                    }
                } else if self.mask_text(pk, sk, &item, "text", identity).await? {
                    // Another citizen's question naming them: kept, masked.
                    add(counts, "unanswered_masked", 1);
                }
            }
        }
        let (by_key, mut values) = in_list("#ck", keys, "k");
        let (by_message, message_values) = contains_any("#msg", &identity.needles(), "n");
        values.extend(message_values);
        let expression = if by_message.is_empty() {
            by_key
        } else {
            format!("{by_key} OR {by_message}")
        };
        for item in self
            .query_everything(Some(GSI1), ALERTS_PARTITION, Some((expression, values)))
            .await?
        {
            let Some((pk, sk)) = key_of(&item) else {
                continue;
            };
            let theirs = text(&item, "citizen_key").is_some_and(|k| keys.contains(&k));
            // An alert about an OPD's complaint is the OPD's work: it stays, masked and no
            // longer tied to the citizen. The citizen's own alerts (a handoff waiting) go.
            if theirs && text(&item, "opd_id").is_none() {
                if self.delete_key(pk, sk).await? {
                    add(counts, "alerts", 1);
                }
            } else if self.mask_text(pk, sk, &item, "message", identity).await? {
                add(counts, "alerts_masked", 1);
            }
        }
        Ok(())
    }

    /// Rewrites one text attribute of an item with the identity masked
    /// ([`ErasedIdentity::scrub`]) and drops its `citizen_key`; whether it changed. Only
    /// while the item still exists (a concurrent deletion wins).
    async fn mask_text(
        &self,
        pk: String,
        sk: String,
        item: &Item,
        attribute: &str,
        identity: &ErasedIdentity,
    ) -> PortResult<bool> {
        let before = text(item, attribute).unwrap_or_default();
        let masked = identity.scrub(&before);
        if masked == before && !item.contains_key("citizen_key") {
            return Ok(false);
        }
        let outcome = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", AttributeValue::S(pk))
            .key("SK", AttributeValue::S(sk))
            .update_expression("SET #attr = :masked REMOVE citizen_key")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#attr", attribute)
            .expression_attribute_values(":masked", AttributeValue::S(masked))
            .send()
            .await;
        match outcome {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(backend("UpdateItem", e)),
        }
    }

    /// One `GSI1` month of unanswered questions, filtered (attributes through placeholders).
    async fn query_unanswered(
        &self,
        partition: &str,
        filter: String,
        values: Vec<(String, AttributeValue)>,
    ) -> PortResult<Vec<Item>> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression("GSI1PK = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(partition.to_owned()))
                .filter_expression(&filter)
                .set_exclusive_start_key(start.take());
            for (placeholder, name) in ATTRIBUTE_NAMES {
                if filter.contains(placeholder) {
                    request = request.expression_attribute_names(placeholder, name);
                }
            }
            for (placeholder, value) in &values {
                request = request.expression_attribute_values(placeholder, value.clone());
            }
            let output = request.send().await.map_err(|e| backend("Query", e))?;
            found.extend(output.items.unwrap_or_default());
            match output.last_evaluated_key {
                Some(key) => start = Some(key),
                None => break,
            }
        }
        Ok(found)
    }

    async fn close_request(&self, citizen_id: &str, at_ms: i64) -> PortResult<()> {
        let Some(stored) = self
            .get::<RequestItem>("erasure request", request_pk(citizen_id), REQUEST_SK)
            .await?
        else {
            return Ok(());
        };
        let mut request = read_request(stored)?;
        request.state = ErasureRequestState::Selesai;
        request.name = None;
        request.done_ms = Some(at_ms);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(request_item(&request)?))
            .send()
            .await
            .map_err(|e| backend("PutItem", e))?;
        Ok(())
    }
}

fn add(counts: &mut ErasureCounts, kind: &str, n: u64) {
    if n > 0 {
        *counts.entry(kind.to_string()).or_insert(0) += n;
    }
}

#[async_trait]
impl CitizenData for DynamoStore {
    async fn erase_citizen(&self, order: &ErasureOrder) -> PortResult<ErasureCounts> {
        super::dynamo::non_empty("citizen key", &order.citizen_key)?;
        if order.identity.anonymous_key.is_empty() {
            return Err(PortError::Invalid("anonymous key must not be empty".into()));
        }
        let identity = &order.identity;
        let keys = search_keys(identity, &order.citizen_key);
        let mut counts = ErasureCounts::new();

        // Complaints first, through the versioned writes (an operator may be changing one);
        // a failure leaves everything else in place for the retry.
        let mut complaints = Vec::new();
        for key in &keys {
            for complaint in self.complaints_of_citizen(key, MAX_COMPLAINTS).await? {
                if !complaints
                    .iter()
                    .any(|c: &prolink_domain::complaint::Complaint| c.ticket == complaint.ticket)
                {
                    complaints.push(complaint);
                }
            }
        }
        // Complaints they follow ("ikut melapor") are other citizens'; no index finds them,
        // but every way of following marks the follower's own complaint as a duplicate of
        // the one followed.
        let originals: Vec<String> = complaints
            .iter()
            .filter_map(|c| c.duplicate_of.clone())
            .collect();
        for ticket in originals {
            if complaints.iter().any(|c| c.ticket == ticket) {
                continue;
            }
            if let Some(original) = self.get_complaint(&ticket).await? {
                complaints.push(original);
            }
        }
        // SP4N-LAPOR! tasks before the complaints: once anonymised, a retry could no longer
        // find the tickets through the citizen's key.
        for complaint in &complaints {
            if let Some(mut task) =
                prolink_app::ports::LaporStore::get_lapor_task(self, &complaint.ticket).await?
            {
                if keys.contains(&task.citizen_key) {
                    task.citizen_key = identity.anonymous_key.clone();
                    task.anonymised = true;
                    prolink_app::ports::LaporStore::put_lapor_task(self, &task).await?;
                    add(&mut counts, "lapor_tasks", 1);
                }
            }
        }
        add(
            &mut counts,
            "complaints_redacted",
            anonymise_complaints(self, complaints, identity).await?,
        );

        let mut outbox_ids = Vec::new();
        for key in &keys {
            self.erase_partition(key, &mut counts, &mut outbox_ids)
                .await?;
        }
        counts.remove("other");
        // Broadcast messages are not in the conversation log; their outbox ids follow from
        // each broadcast's id and the citizen key (`bc.<id>.<hash>`), so every broadcast is
        // looked at (a city sends a few a week: a few hundred reads after years).
        let mut page = PageRequest {
            limit: 100,
            after: None,
        };
        loop {
            let found = BroadcastStore::list_broadcasts(self, &page).await?;
            for broadcast in &found.items {
                for key in &keys {
                    outbox_ids.push(prolink_app::broadcast::outbox_id(&broadcast.id, key));
                }
            }
            match found.next {
                Some(next) => page.after = Some(next),
                None => break,
            }
        }
        for key in &keys {
            if self
                .delete_key(format!("ALIAS#{key}"), "ALIAS".into())
                .await?
            {
                add(&mut counts, "aliases", 1);
            }
        }
        self.erase_outbox(&keys, &outbox_ids, &mut counts).await?;
        self.erase_raw(identity, &mut counts).await?;
        self.erase_signals(&keys, identity, &mut counts).await?;
        for event_id in stat_event_ids(identity, &order.citizen_key) {
            if self
                .delete_key(format!("STATEV#{event_id}"), "STATEV".into())
                .await?
            {
                add(&mut counts, "stat_marks", 1);
            }
        }
        for hash in &order.tombstones {
            let item = to_item(
                "tombstone",
                &TombstoneItem {
                    pk: erased_pk(hash),
                    sk: ERASED_SK.to_owned(),
                    entity: "erased".to_owned(),
                    erased_at_ms: order.erased_at_ms,
                },
            )?;
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .send()
                .await
                .map_err(|e| backend("PutItem", e))?;
        }
        self.close_request(&order.citizen_id, order.erased_at_ms)
            .await?;
        Ok(counts)
    }

    async fn erased_at(&self, identifier_hash: &str) -> PortResult<Option<i64>> {
        Ok(self
            .get::<TombstoneItem>("tombstone", erased_pk(identifier_hash), ERASED_SK)
            .await?
            .map(|t| t.erased_at_ms))
    }

    async fn lift_erasure(&self, identifier_hash: &str) -> PortResult<()> {
        self.delete_key(erased_pk(identifier_hash), ERASED_SK.to_owned())
            .await?;
        Ok(())
    }

    async fn request_erasure(&self, request: &ErasureRequest) -> PortResult<bool> {
        check_request(request)?;
        // A waiting request stays as it is (asking again adds nothing); a done one is
        // replaced by the new request.
        self.put_if(
            request_item(request)?,
            "attribute_not_exists(PK) OR #state <> :waiting",
            &[("#state", "state")],
            vec![(":waiting", AttributeValue::S("menunggu".into()))],
        )
        .await
    }

    async fn list_erasure_requests(&self, page: &PageRequest) -> PortResult<Page<ErasureRequest>> {
        let limit = page_limit(page.limit)?;
        let mut start: Option<Item> = None;
        if let Some(cursor) = &page.after {
            prolink_app::conversations::check_list_cursor(cursor)?;
            let citizen_id = cursor.split_once('#').map(|(_, id)| id).unwrap_or_default();
            start = Some(HashMap::from([
                ("PK".to_owned(), AttributeValue::S(request_pk(citizen_id))),
                ("SK".to_owned(), AttributeValue::S(REQUEST_SK.to_owned())),
                (
                    "GSI1PK".to_owned(),
                    AttributeValue::S(REQUESTS_PARTITION.to_owned()),
                ),
                ("GSI1SK".to_owned(), AttributeValue::S(cursor.clone())),
            ]));
        }
        let mut items: Vec<ErasureRequest> = Vec::new();
        let mut more = false;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression("GSI1PK = :pk")
                .expression_attribute_values(
                    ":pk",
                    AttributeValue::S(REQUESTS_PARTITION.to_owned()),
                )
                .scan_index_forward(false)
                .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| backend("Query", e))?;
            let read: Vec<RequestItem> = serde_dynamo::from_items(output.items.unwrap_or_default())
                .map_err(|e| corrupt("erasure request", e))?;
            for item in read {
                if items.len() < limit {
                    items.push(read_request(item)?);
                } else {
                    more = true;
                }
            }
            match output.last_evaluated_key {
                Some(key) if !more => start = Some(key),
                _ => break,
            }
        }
        let next = if more {
            items.last().map(request_sort_key)
        } else {
            None
        };
        Ok(Page { items, next })
    }
}
