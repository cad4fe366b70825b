//! Complaints on the DynamoDB table: one item per ticket with its timeline embedded, listed
//! through the sparse indexes `GSI1`…`GSI6`. Keys, conditions and cursors are the ones of
//! `docs/data-model.md`.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use prolink_app::complaint_rules::{
    check_complaint, closed_index_ms, complaint_json, due_index_ms, page_limit, parse_cursor,
    read_complaint, received_range, sort_key, MAX_SORT_MS,
};
use prolink_app::ports::{
    ComplaintQuery, ComplaintStore, Page, PageRequest, PortError, PortResult,
};
use prolink_domain::complaint::{Complaint, Status};

use super::dynamo::{
    backend, corrupt, non_empty, to_item, DynamoStore, Item, GSI2, GSI3, GSI4, GSI5, GSI6,
};
use super::dynamo_conversation::{conflict, next_version};
use super::dynamo_retention::before_bound;

pub(super) const COMPLAINT_SK: &str = "CMP";
/// The one partition of the scheduler's index (see the data model for sharding it later).
const DUE_PARTITION: &str = "CMPDUE";
/// The one partition of the retention sweep's index: final complaints by closing time, in
/// `GSI4` beside `CMPDUE` (a city closes a few complaints a minute at most).
pub(super) const CLOSED_PARTITION: &str = "CMPCLOSED";
/// The one partition of the index over every complaint (a city's volume fits one partition,
/// see the data model).
const ALL_PARTITION: &str = "CMPALL";

pub(super) fn complaint_pk(ticket: &str) -> String {
    format!("CMP#{ticket}")
}

fn citizen_partition(citizen_key: &str) -> String {
    format!("CITCMP#{citizen_key}")
}

fn status_partition(status: Status) -> String {
    format!("CMPSTATUS#{}", status.as_str())
}

fn opd_partition(opd_id: &str) -> String {
    format!("CMPOPD#{opd_id}")
}

fn opd_status_partition(opd_id: &str, status: Status) -> String {
    format!("CMPOPDST#{opd_id}#{}", status.as_str())
}

/// The item as written. The top-level copies of the complaint's fields serve the indexes,
/// exports and debugging; reads only use `data` and `version`.
#[derive(Debug, Serialize)]
struct ComplaintItem {
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
    #[serde(rename = "GSI3PK")]
    gsi3pk: String,
    #[serde(rename = "GSI3SK")]
    gsi3sk: String,
    /// `CMPDUE` while something is due, `CMPCLOSED` once final, else absent (a `PutItem`
    /// replaces the whole item, so a status change moves it in the same write).
    #[serde(rename = "GSI4PK", skip_serializing_if = "Option::is_none")]
    gsi4pk: Option<String>,
    #[serde(rename = "GSI4SK", skip_serializing_if = "Option::is_none")]
    gsi4sk: Option<String>,
    #[serde(rename = "GSI5PK")]
    gsi5pk: String,
    #[serde(rename = "GSI5SK")]
    gsi5sk: String,
    #[serde(rename = "GSI6PK")]
    gsi6pk: &'static str,
    #[serde(rename = "GSI6SK")]
    gsi6sk: String,
    entity: &'static str,
    ticket: String,
    citizen_key: String,
    status: &'static str,
    opd_id: String,
    created_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_due_ms: Option<i64>,
    version: u64,
    /// The whole complaint as JSON: DynamoDB numbers would not round-trip every float, and
    /// nulls versus absent fields would blur.
    data: String,
}

/// What a read needs of an item.
#[derive(Debug, Deserialize)]
pub(super) struct StoredComplaint {
    version: u64,
    data: String,
}

impl StoredComplaint {
    pub(super) fn into_complaint(self) -> PortResult<Complaint> {
        read_complaint(&self.data, self.version)
    }
}

fn complaint_item(complaint: &Complaint, version: u64) -> PortResult<Item> {
    check_complaint(complaint)?;
    let data = complaint_json(complaint, version)?;
    let ticket = &complaint.ticket;
    let received = sort_key(complaint.received_ms, ticket);
    // `GSI4` holds two sparse lists: open complaints by their next due instant (the
    // scheduler) and final ones by their closing time (the retention sweep). A complaint is
    // open or final, so it is in one of them at most, and a status change moves it between
    // them in the same write.
    let gsi4 = match (due_index_ms(complaint), closed_index_ms(complaint)) {
        (Some(due), _) => Some((DUE_PARTITION, due)),
        (None, Some(closed)) => Some((CLOSED_PARTITION, closed)),
        (None, None) => None,
    };
    to_item(
        "complaint",
        &ComplaintItem {
            pk: complaint_pk(ticket),
            sk: COMPLAINT_SK.to_owned(),
            gsi1pk: citizen_partition(&complaint.citizen_key),
            gsi1sk: received.clone(),
            gsi2pk: status_partition(complaint.status),
            gsi2sk: received.clone(),
            gsi3pk: opd_partition(&complaint.opd_id),
            gsi3sk: received.clone(),
            gsi4pk: gsi4.as_ref().map(|(pk, _)| (*pk).to_owned()),
            gsi4sk: gsi4.map(|(_, ms)| sort_key(ms, ticket)),
            gsi5pk: opd_status_partition(&complaint.opd_id, complaint.status),
            gsi5sk: received.clone(),
            gsi6pk: ALL_PARTITION,
            gsi6sk: received,
            entity: "complaint",
            ticket: ticket.clone(),
            citizen_key: complaint.citizen_key.clone(),
            status: complaint.status.as_str(),
            opd_id: complaint.opd_id.clone(),
            created_ms: complaint.received_ms,
            next_due_ms: complaint.next_due_ms,
            version,
            data,
        },
    )
}

/// The index keys of the list queries that are paged with a cursor.
struct PagedIndex {
    name: &'static str,
    pk: &'static str,
    sk: &'static str,
}

const BY_STATUS: PagedIndex = PagedIndex {
    name: GSI2,
    pk: "GSI2PK",
    sk: "GSI2SK",
};

const BY_OPD: PagedIndex = PagedIndex {
    name: GSI3,
    pk: "GSI3PK",
    sk: "GSI3SK",
};

const BY_OPD_STATUS: PagedIndex = PagedIndex {
    name: GSI5,
    pk: "GSI5PK",
    sk: "GSI5SK",
};

const BY_TIME: PagedIndex = PagedIndex {
    name: GSI6,
    pk: "GSI6PK",
    sk: "GSI6SK",
};

/// Bounds of the index sort key for `received_ms` in `[from, to)`, for `BETWEEN`: a 13-digit
/// prefix sorts before every key of that instant, and `to`'s bare prefix sorts after every
/// key of an earlier instant and before every key of `to` itself. Past the largest instant,
/// `~` sorts after every digit.
fn received_bounds(from_ms: i64, to_ms: i64) -> (String, String) {
    let upper = if to_ms > MAX_SORT_MS {
        "~".to_owned()
    } else {
        format!("{to_ms:013}")
    };
    (format!("{from_ms:013}"), upper)
}

/// Every instant a sort key can hold.
const ALL_TIME: (i64, i64) = (0, MAX_SORT_MS + 1);

impl DynamoStore {
    async fn load_complaint(&self, ticket: &str) -> PortResult<Option<Complaint>> {
        self.get::<StoredComplaint>("complaint", complaint_pk(ticket), COMPLAINT_SK)
            .await?
            .map(StoredComplaint::into_complaint)
            .transpose()
    }

    /// One page of `index`'s `partition`, newest first. One item more than the page is read
    /// so that `next` is only set when another complaint follows.
    async fn complaint_page(
        &self,
        index: &PagedIndex,
        partition: String,
        (from_ms, to_ms): (i64, i64),
        page: &PageRequest,
    ) -> PortResult<Page<Complaint>> {
        // The date range is a key condition, not a filter: `Limit` still counts only
        // complaints of the page, and nothing outside the range is read.
        let (lower, upper) = received_bounds(from_ms, to_ms);
        let limit = page_limit(page.limit)?;
        // The cursor is the index sort key of the last complaint returned; the table keys of
        // that complaint follow from its ticket.
        let mut start = match &page.after {
            Some(cursor) => {
                let (_, ticket) = parse_cursor(cursor)?;
                // DynamoDB refuses a start key outside the key condition. Below the range
                // nothing older is left; above it, everything in the range is older anyway.
                if *cursor < lower {
                    return Ok(Page {
                        items: Vec::new(),
                        next: None,
                    });
                }
                (*cursor <= upper).then(|| {
                    Item::from([
                        ("PK".to_owned(), AttributeValue::S(complaint_pk(&ticket))),
                        ("SK".to_owned(), AttributeValue::S(COMPLAINT_SK.to_owned())),
                        (index.pk.to_owned(), AttributeValue::S(partition.clone())),
                        (index.sk.to_owned(), AttributeValue::S(cursor.clone())),
                    ])
                })
            }
            None => None,
        };
        let mut items = Vec::new();
        let mut more = false;
        loop {
            let wanted = limit - items.len() + 1;
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index.name)
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :lower AND :upper")
                .expression_attribute_names("#pk", index.pk)
                .expression_attribute_names("#sk", index.sk)
                .expression_attribute_values(":pk", AttributeValue::S(partition.clone()))
                .expression_attribute_values(":lower", AttributeValue::S(lower.clone()))
                .expression_attribute_values(":upper", AttributeValue::S(upper.clone()))
                .scan_index_forward(false)
                .limit(i32::try_from(wanted).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| backend("Query", e))?;
            let stored: Vec<StoredComplaint> =
                serde_dynamo::from_items(output.items.unwrap_or_default())
                    .map_err(|e| corrupt("complaint", e))?;
            for item in stored {
                if items.len() < limit {
                    items.push(item.into_complaint()?);
                } else {
                    more = true;
                }
            }
            // A query cut short by the 1 MB response limit goes on until the page is full.
            match output.last_evaluated_key {
                Some(key) if !more => start = Some(key),
                _ => break,
            }
        }
        let next = if more {
            items.last().map(|c| sort_key(c.received_ms, &c.ticket))
        } else {
            None
        };
        Ok(Page { items, next })
    }
}

#[async_trait]
impl ComplaintStore for DynamoStore {
    async fn create_complaint(&self, complaint: &Complaint) -> PortResult<Option<Complaint>> {
        if complaint.version != 0 {
            return Err(PortError::Invalid(format!(
                "complaint {} to create has version {}, expected 0",
                complaint.ticket, complaint.version
            )));
        }
        let item = complaint_item(complaint, 1)?;
        if self
            .put_if(item, "attribute_not_exists(PK)", &[], Vec::new())
            .await?
        {
            return Ok(None);
        }
        // Whoever wrote the ticket first (a redelivered submission, a ticket collision), the
        // caller decides with the stored complaint in hand.
        match self.load_complaint(&complaint.ticket).await? {
            Some(existing) => Ok(Some(existing)),
            None => Err(PortError::Conflict(format!(
                "complaint {} existed at the write and was gone at the read",
                complaint.ticket
            ))),
        }
    }

    async fn get_complaint(&self, ticket: &str) -> PortResult<Option<Complaint>> {
        non_empty("ticket", ticket)?;
        self.load_complaint(ticket).await
    }

    async fn update_complaint(&self, complaint: &Complaint) -> PortResult<u64> {
        let version = next_version(complaint.version)?;
        let item = complaint_item(complaint, version)?;
        let written = self
            .put_if(
                item,
                "attribute_exists(PK) AND #version = :expected",
                &[("#version", "version")],
                vec![(
                    ":expected",
                    AttributeValue::N(complaint.version.to_string()),
                )],
            )
            .await?;
        if written {
            return Ok(version);
        }
        let stored = self
            .get::<StoredComplaint>("complaint", complaint_pk(&complaint.ticket), COMPLAINT_SK)
            .await?;
        match stored {
            None => Err(PortError::NotFound(format!(
                "complaint {}",
                complaint.ticket
            ))),
            Some(_) => Err(conflict("complaint", &complaint.ticket, complaint.version)),
        }
    }

    async fn complaints_of_citizen(
        &self,
        citizen_key: &str,
        limit: usize,
    ) -> PortResult<Vec<Complaint>> {
        non_empty("citizen key", citizen_key)?;
        let mut found: Vec<StoredComplaint> = Vec::new();
        self.query_gsi1_newest(
            "complaint",
            &citizen_partition(citizen_key),
            limit,
            |_| true,
            &mut found,
        )
        .await?;
        found
            .into_iter()
            .map(StoredComplaint::into_complaint)
            .collect()
    }

    async fn complaints_by_status(
        &self,
        status: Status,
        page: &PageRequest,
    ) -> PortResult<Page<Complaint>> {
        self.complaint_page(&BY_STATUS, status_partition(status), ALL_TIME, page)
            .await
    }

    async fn complaints_by_opd(
        &self,
        opd_id: &str,
        page: &PageRequest,
    ) -> PortResult<Page<Complaint>> {
        non_empty("opd id", opd_id)?;
        self.complaint_page(&BY_OPD, opd_partition(opd_id), ALL_TIME, page)
            .await
    }

    async fn list_complaints(
        &self,
        query: &ComplaintQuery,
        page: &PageRequest,
    ) -> PortResult<Page<Complaint>> {
        let Some(range) = received_range(query)? else {
            // Still refuse what a non-empty range would refuse, so both answers agree.
            page_limit(page.limit)?;
            if let Some(cursor) = &page.after {
                parse_cursor(cursor)?;
            }
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        };
        let (index, partition) = match (query.opd_id.as_deref(), query.status) {
            (Some(opd), Some(status)) => (&BY_OPD_STATUS, opd_status_partition(opd, status)),
            (None, Some(status)) => (&BY_STATUS, status_partition(status)),
            (Some(opd), None) => (&BY_OPD, opd_partition(opd)),
            (None, None) => (&BY_TIME, ALL_PARTITION.to_owned()),
        };
        self.complaint_page(index, partition, range, page).await
    }

    async fn complaints_due(&self, due_before_ms: i64, limit: usize) -> PortResult<Vec<Complaint>> {
        // Index values are clamped into 0..=MAX_SORT_MS: nothing is due before 1970.
        if limit == 0 || due_before_ms < 0 {
            return Ok(Vec::new());
        }
        // Every key whose 13-digit prefix is <= due_before_ms, whatever the ticket holds.
        let stored: Vec<StoredComplaint> = self
            .oldest_below(
                "complaint",
                (GSI4, DUE_PARTITION),
                before_bound(due_before_ms.saturating_add(1)),
                None,
                limit,
            )
            .await?;
        stored
            .into_iter()
            .map(StoredComplaint::into_complaint)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prolink_domain::complaint::{Deadlines, Privacy};

    fn complaint(status: Status, next_due_ms: Option<i64>) -> Complaint {
        Complaint {
            ticket: "PS-7K3QX9".into(),
            citizen_key: "ID.1".into(),
            reporter_name: None,
            category_id: "jalan".into(),
            opd_id: "dpupr".into(),
            description: "Jalan berlubang".into(),
            location: None,
            photos: Vec::new(),
            privacy: Privacy::Biasa,
            status,
            received_ms: 1_780_000_000_000,
            deadlines: Deadlines::default(),
            next_due_ms,
            source_wamid: "wamid.1".into(),
            events: Vec::new(),
            rating: None,
            followers: Vec::new(),
            duplicate_of: None,
            version: 0,
            updated_ms: 1_780_000_000_000,
        }
    }

    fn text(item: &Item, name: &str) -> Option<String> {
        match item.get(name) {
            Some(AttributeValue::S(value)) => Some(value.clone()),
            Some(AttributeValue::N(value)) => Some(value.clone()),
            _ => None,
        }
    }

    #[test]
    fn items_carry_every_index_key_due_while_open_and_closed_once_final() -> PortResult<()> {
        let open = complaint_item(&complaint(Status::Diproses, Some(1_780_100_000_000)), 3)?;
        let expected = [
            ("PK", "CMP#PS-7K3QX9"),
            ("SK", "CMP"),
            ("GSI1PK", "CITCMP#ID.1"),
            ("GSI1SK", "1780000000000#PS-7K3QX9"),
            ("GSI2PK", "CMPSTATUS#diproses"),
            ("GSI2SK", "1780000000000#PS-7K3QX9"),
            ("GSI3PK", "CMPOPD#dpupr"),
            ("GSI3SK", "1780000000000#PS-7K3QX9"),
            ("GSI4PK", "CMPDUE"),
            ("GSI4SK", "1780100000000#PS-7K3QX9"),
            ("GSI5PK", "CMPOPDST#dpupr#diproses"),
            ("GSI5SK", "1780000000000#PS-7K3QX9"),
            ("GSI6PK", "CMPALL"),
            ("GSI6SK", "1780000000000#PS-7K3QX9"),
            ("status", "diproses"),
            ("created_ms", "1780000000000"),
            ("next_due_ms", "1780100000000"),
            ("version", "3"),
            ("entity", "complaint"),
        ];
        for (name, value) in expected {
            assert_eq!(text(&open, name).as_deref(), Some(value), "{name}");
        }
        // A final complaint is not in the scheduler's partition but in the retention
        // sweep's, by its closing time (no events here: its receipt).
        let closed = complaint_item(&complaint(Status::Ditutup, Some(1_780_100_000_000)), 4)?;
        assert_eq!(text(&closed, "GSI4PK").as_deref(), Some("CMPCLOSED"));
        assert_eq!(
            text(&closed, "GSI4SK").as_deref(),
            Some("1780000000000#PS-7K3QX9")
        );
        let none_due = complaint_item(&complaint(Status::Diterima, None), 1)?;
        assert!(!none_due.contains_key("GSI4PK") && !none_due.contains_key("next_due_ms"));
        Ok(())
    }

    #[test]
    fn received_bounds_keep_exactly_the_range() {
        let (lower, upper) = received_bounds(1_000, 2_000);
        let inside = |ms: i64, ticket: &str| {
            let key = sort_key(ms, ticket);
            lower <= key && key <= upper
        };
        assert!(inside(1_000, "PS-0"));
        assert!(inside(1_999, "PS-ZZZZZZ~"));
        assert!(!inside(999, "PS-ZZZZZZ"));
        assert!(!inside(2_000, "PS-0"));
        let (_, open_end) = received_bounds(0, MAX_SORT_MS + 1);
        assert!(sort_key(MAX_SORT_MS, "PS-ZZZZZZ") <= open_end);
    }
}
