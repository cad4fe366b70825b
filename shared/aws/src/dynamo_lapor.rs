//! The SP4N-LAPOR! outbox on the DynamoDB table (`docs/data-model.md`, "LAPOR task"): one
//! item per complaint's task, picked up by the scheduler through `GSI4` (`LAPORDUE`, only while
//! the tick has something to do with it). The citizen erasure finds a citizen's tasks through
//! their complaints' tickets. Queries only, never a scan.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use prolink_app::ports::{LaporStore, LaporTask, PortError, PortResult};

use super::dynamo::{non_empty, to_item, DynamoStore, GSI4};
use super::dynamo_conversation::next_version;
use super::dynamo_retention::before_bound;

const DUE_PARTITION: &str = "LAPORDUE";
const LAPOR_SK: &str = "LAPOR";

pub(crate) fn lapor_pk(ticket: &str) -> String {
    format!("LAPOR#{ticket}")
}

#[derive(Debug, Serialize, Deserialize)]
struct LaporItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    ticket: String,
    /// The task as JSON text.
    data: String,
    version: u64,
    #[serde(rename = "GSI4PK", default, skip_serializing_if = "Option::is_none")]
    gsi4pk: Option<String>,
    #[serde(rename = "GSI4SK", default, skip_serializing_if = "Option::is_none")]
    gsi4sk: Option<String>,
}

impl LaporItem {
    fn into_task(self) -> PortResult<LaporTask> {
        let mut task: LaporTask = serde_json::from_str(&self.data)
            .map_err(|e| PortError::Backend(format!("unreadable LAPOR task item: {e}")))?;
        task.version = self.version;
        Ok(task)
    }
}

#[async_trait]
impl LaporStore for DynamoStore {
    async fn put_lapor_task(&self, task: &LaporTask) -> PortResult<u64> {
        non_empty("ticket", &task.ticket)?;
        let version = next_version(task.version)?;
        let mut stored = task.clone();
        stored.version = version;
        let data = serde_json::to_string(&stored)
            .map_err(|e| PortError::Invalid(format!("LAPOR task: {e}")))?;
        let item = to_item(
            "LAPOR task",
            &LaporItem {
                pk: lapor_pk(&task.ticket),
                sk: LAPOR_SK.to_owned(),
                entity: "lapor_task".to_owned(),
                ticket: task.ticket.clone(),
                data,
                version,
                gsi4pk: task.next_run_ms.map(|_| DUE_PARTITION.to_owned()),
                gsi4sk: task
                    .next_run_ms
                    .map(|ms| format!("{:013}#{}", ms.max(0), task.ticket)),
            },
        )?;
        self.put_versioned(item, task.version, "LAPOR task", &task.ticket)
            .await?;
        Ok(version)
    }

    async fn get_lapor_task(&self, ticket: &str) -> PortResult<Option<LaporTask>> {
        non_empty("ticket", ticket)?;
        self.get::<LaporItem>("LAPOR task", lapor_pk(ticket), LAPOR_SK)
            .await?
            .map(LaporItem::into_task)
            .transpose()
    }

    async fn lapor_tasks_due(
        &self,
        due_before_ms: i64,
        limit: usize,
    ) -> PortResult<Vec<LaporTask>> {
        if limit == 0 || due_before_ms < 0 {
            return Ok(Vec::new());
        }
        let items: Vec<LaporItem> = self
            .oldest_below(
                "LAPOR task",
                (GSI4, DUE_PARTITION),
                before_bound(due_before_ms.saturating_add(1)),
                None,
                limit,
            )
            .await?;
        items.into_iter().map(LaporItem::into_task).collect()
    }
}
