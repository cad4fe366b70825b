//! Conversations on the DynamoDB table: message entries in the citizen's partition
//! (`CIT#<key>` / `MSG#<at_ms>#<id>`, TTL = retention) and one summary per citizen
//! (`CIT#<key>` / `CONV`) carried by three overloaded sparse indexes: `GSI1` `CONVHANDOFF`
//! (handoffs, waiting oldest first), `GSI2` `CONVRECENT` (last message newest first) and
//! `GSI3` `CONVID#<id>` (the opaque id). Keys as in `docs/data-model.md`.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use prolink_app::complaint_rules::{page_limit, parse_cursor};
use prolink_app::conversations::{
    check_list_cursor, check_message, check_summary, handoff_sort_key, message_sort_key,
    recent_sort_key, valid_conversation_id,
};
use prolink_app::ports::{
    ConversationFilter, ConversationLog, ConversationSummary, LoggedMessage, OutboxState, Page,
    PageRequest, PortError, PortResult,
};

use super::dynamo::{
    backend, corrupt, is_live, non_empty, number, to_item, ttl_seconds, DynamoStore, GSI1, GSI2,
    GSI3,
};
use super::dynamo_conversation::{conflict, next_version};
use super::dynamo_operator::{start_key, IndexPage, IndexQuery};

const CONV_SK: &str = "CONV";
const MSG_PREFIX: &str = "MSG#";
const HANDOFF_PARTITION: &str = "CONVHANDOFF";
const RECENT_PARTITION: &str = "CONVRECENT";

fn citizen_pk(key: &str) -> String {
    format!("CIT#{key}")
}

fn message_sk(at_ms: i64, id: &str) -> String {
    format!("{MSG_PREFIX}{}", message_sort_key(at_ms, id))
}

fn id_partition(id: &str) -> String {
    format!("CONVID#{id}")
}

#[derive(Debug, Serialize, Deserialize)]
struct MessageItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    /// The entry as JSON text, so optionals and lists round-trip exactly.
    data: String,
    expires_at: i64,
    expires_at_ms: i64,
}

impl MessageItem {
    fn entry(&self) -> PortResult<LoggedMessage> {
        serde_json::from_str(&self.data)
            .map_err(|e| PortError::Backend(format!("stored message unreadable: {e}")))
    }
}

fn message_item(message: &LoggedMessage) -> PortResult<MessageItem> {
    Ok(MessageItem {
        pk: citizen_pk(&message.citizen_key),
        sk: message_sk(message.at_ms, &message.id),
        entity: "message".to_owned(),
        data: serde_json::to_string(message)
            .map_err(|e| PortError::Invalid(format!("message {}: {e}", message.id)))?,
        expires_at: ttl_seconds(message.expires_at_ms),
        expires_at_ms: message.expires_at_ms,
    })
}

#[derive(Debug, Serialize, Deserialize)]
struct SummaryItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "GSI1PK", default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(rename = "GSI1SK", default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
    #[serde(rename = "GSI2PK")]
    gsi2pk: String,
    #[serde(rename = "GSI2SK")]
    gsi2sk: String,
    #[serde(rename = "GSI3PK")]
    gsi3pk: String,
    #[serde(rename = "GSI3SK")]
    gsi3sk: String,
    entity: String,
    id: String,
    data: String,
    version: u64,
}

impl SummaryItem {
    fn summary(&self) -> PortResult<ConversationSummary> {
        let mut summary: ConversationSummary = serde_json::from_str(&self.data)
            .map_err(|e| PortError::Backend(format!("stored conversation unreadable: {e}")))?;
        // The attribute is the authority (the copy in `data` is written in the same put).
        summary.version = self.version;
        Ok(summary)
    }
}

impl DynamoStore {
    async fn summary_by_id(&self, id: &str) -> PortResult<Option<ConversationSummary>> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI3)
            .key_condition_expression("GSI3PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(id_partition(id)))
            .limit(1)
            .send()
            .await
            .map_err(|e| backend("Query", e))?;
        let items: Vec<SummaryItem> = serde_dynamo::from_items(output.items.unwrap_or_default())
            .map_err(|e| corrupt("conversation", e))?;
        items.first().map(SummaryItem::summary).transpose()
    }
}

#[async_trait]
impl ConversationLog for DynamoStore {
    async fn append_message(&self, message: &LoggedMessage) -> PortResult<bool> {
        check_message(message)?;
        let item = to_item("message", &message_item(message)?)?;
        self.put_unless_live(item).await
    }

    async fn set_delivery(
        &self,
        citizen_key: &str,
        at_ms: i64,
        id: &str,
        state: OutboxState,
    ) -> PortResult<bool> {
        non_empty("citizen key", citizen_key)?;
        non_empty("message id", id)?;
        let Some(item) = self
            .get::<MessageItem>("message", citizen_pk(citizen_key), &message_sk(at_ms, id))
            .await?
        else {
            return Ok(false);
        };
        if !is_live(item.expires_at_ms, self.clock.now_ms()) {
            return Ok(false);
        }
        let mut entry = item.entry()?;
        entry.delivery = Some(state);
        let written = self
            .put_if(
                to_item("message", &message_item(&entry)?)?,
                "attribute_exists(PK)",
                &[],
                Vec::new(),
            )
            .await?;
        Ok(written)
    }

    async fn messages_of(
        &self,
        citizen_key: &str,
        page: &PageRequest,
    ) -> PortResult<Page<LoggedMessage>> {
        non_empty("citizen key", citizen_key)?;
        let limit = page_limit(page.limit)?;
        // The upper bound is exclusive: the cursor's own entry is dropped below. `MSG$` sorts
        // after every `MSG#…` key.
        let upper = match &page.after {
            Some(cursor) => {
                let (ms, id) = parse_cursor(cursor)?;
                message_sk(ms, &id)
            }
            None => "MSG$".to_owned(),
        };
        let now = self.clock.now_ms();
        let mut items: Vec<LoggedMessage> = Vec::new();
        let mut more = false;
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND SK BETWEEN :lo AND :hi")
                .expression_attribute_values(":pk", AttributeValue::S(citizen_pk(citizen_key)))
                .expression_attribute_values(":lo", AttributeValue::S(MSG_PREFIX.to_owned()))
                .expression_attribute_values(":hi", AttributeValue::S(upper.clone()))
                .scan_index_forward(false)
                .consistent_read(true)
                .limit(i32::try_from(limit + 2).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| backend("Query", e))?;
            let read: Vec<MessageItem> = serde_dynamo::from_items(output.items.unwrap_or_default())
                .map_err(|e| corrupt("message", e))?;
            for item in read {
                if item.sk == upper || !is_live(item.expires_at_ms, now) {
                    continue;
                }
                if items.len() < limit {
                    items.push(item.entry()?);
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
            items.last().map(|m| message_sort_key(m.at_ms, &m.id))
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn get_conversation(&self, citizen_key: &str) -> PortResult<Option<ConversationSummary>> {
        non_empty("citizen key", citizen_key)?;
        self.get::<SummaryItem>("conversation", citizen_pk(citizen_key), CONV_SK)
            .await?
            .map(|item| item.summary())
            .transpose()
    }

    async fn conversation_by_id(&self, id: &str) -> PortResult<Option<ConversationSummary>> {
        non_empty("conversation id", id)?;
        self.summary_by_id(id).await
    }

    async fn put_conversation(&self, summary: &ConversationSummary) -> PortResult<u64> {
        check_summary(summary)?;
        let version = next_version(summary.version)?;
        let mut stored = summary.clone();
        stored.version = version;
        let handoff = handoff_sort_key(summary);
        let item = to_item(
            "conversation",
            &SummaryItem {
                pk: citizen_pk(&summary.citizen_key),
                sk: CONV_SK.to_owned(),
                gsi1pk: handoff.as_ref().map(|_| HANDOFF_PARTITION.to_owned()),
                gsi1sk: handoff,
                gsi2pk: RECENT_PARTITION.to_owned(),
                gsi2sk: recent_sort_key(summary),
                gsi3pk: id_partition(&summary.id),
                gsi3sk: CONV_SK.to_owned(),
                entity: "conversation".to_owned(),
                id: summary.id.clone(),
                data: serde_json::to_string(&stored)
                    .map_err(|e| PortError::Invalid(format!("conversation {}: {e}", summary.id)))?,
                version,
            },
        )?;
        let written = if summary.version == 0 {
            self.put_if(item, "attribute_not_exists(PK)", &[], Vec::new())
                .await?
        } else {
            self.put_if(
                item,
                "#version = :expected AND #id = :id",
                &[("#version", "version"), ("#id", "id")],
                vec![
                    (
                        ":expected",
                        number(i64::try_from(summary.version).unwrap_or(i64::MAX)),
                    ),
                    (":id", AttributeValue::S(summary.id.clone())),
                ],
            )
            .await?
        };
        if written {
            Ok(version)
        } else {
            Err(conflict(
                "conversation",
                &summary.citizen_key,
                summary.version,
            ))
        }
    }

    async fn list_conversations(
        &self,
        filter: ConversationFilter,
        page: &PageRequest,
    ) -> PortResult<Page<ConversationSummary>> {
        let limit = page_limit(page.limit)?;
        let (index, partition, forward) = match filter {
            ConversationFilter::Handoff => (GSI1, HANDOFF_PARTITION, true),
            ConversationFilter::Recent => (GSI2, RECENT_PARTITION, false),
        };
        // Cursors name the conversation by its opaque id (they reach URLs); the start key
        // needs the table key, found through the id's index.
        let start = match &page.after {
            Some(cursor) => {
                check_list_cursor(cursor)?;
                let invalid = || PortError::Invalid(format!("malformed page cursor {cursor:?}"));
                let id = cursor.rsplit('#').next().ok_or_else(invalid)?;
                if !valid_conversation_id(id) {
                    return Err(invalid());
                }
                let summary = self.summary_by_id(id).await?.ok_or_else(invalid)?;
                Some(start_key(
                    citizen_pk(&summary.citizen_key),
                    CONV_SK,
                    index,
                    partition,
                    cursor,
                ))
            }
            None => None,
        };
        let found: IndexPage<SummaryItem> = self
            .index_page(
                &IndexQuery {
                    what: "conversation",
                    index,
                    partition,
                    forward,
                    filter: None,
                },
                start,
                limit,
            )
            .await?;
        let items = found
            .items
            .iter()
            .map(SummaryItem::summary)
            .collect::<PortResult<Vec<_>>>()?;
        let next = if found.more {
            items.last().map(|s| match filter {
                ConversationFilter::Handoff => handoff_sort_key(s).unwrap_or_default(),
                ConversationFilter::Recent => recent_sort_key(s),
            })
        } else {
            None
        };
        Ok(Page { items, next })
    }
}
