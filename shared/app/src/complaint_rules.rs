//! Rules both stores apply the same way to complaints (`docs/data-model.md`), so a complaint
//! accepted locally is accepted on AWS, lists come back in the same order and a cursor from
//! one page means the same boundary in both.

use prolink_domain::complaint::Complaint;

use crate::ports::{ComplaintQuery, PortError, PortResult};

/// Largest stored complaint JSON: a DynamoDB item holds 400 KB (attribute names and index
/// keys included), and a complaint that works locally must not fail on AWS.
pub const MAX_COMPLAINT_BYTES: usize = 350_000;

/// The largest instant a 13-digit sort key can hold (year 2286).
pub const MAX_SORT_MS: i64 = 9_999_999_999_999;

/// Most items one DynamoDB query asks for; the SQLite store reads the same pages.
pub const MAX_QUERY_ITEMS: usize = 1000;

/// What a store checks before writing a complaint.
pub fn check_complaint(complaint: &Complaint) -> PortResult<()> {
    for (what, value) in [
        ("ticket", &complaint.ticket),
        ("citizen key", &complaint.citizen_key),
        ("opd id", &complaint.opd_id),
    ] {
        if value.is_empty() {
            return Err(PortError::Invalid(format!(
                "complaint {what} must not be empty"
            )));
        }
    }
    if !(0..=MAX_SORT_MS).contains(&complaint.received_ms) {
        return Err(PortError::Invalid(format!(
            "complaint {} received_ms out of range: {}",
            complaint.ticket, complaint.received_ms
        )));
    }
    Ok(())
}

/// The stored JSON of `complaint` with its stored `version`, size-checked.
pub fn complaint_json(complaint: &Complaint, version: u64) -> PortResult<String> {
    let mut stored = complaint.clone();
    stored.version = version;
    let json = serde_json::to_string(&stored)
        .map_err(|e| PortError::Invalid(format!("complaint {}: {e}", complaint.ticket)))?;
    if json.len() > MAX_COMPLAINT_BYTES {
        return Err(PortError::Invalid(format!(
            "complaint {} has {} bytes, at most {MAX_COMPLAINT_BYTES} are allowed",
            complaint.ticket,
            json.len()
        )));
    }
    Ok(json)
}

/// A stored complaint; the stored version (column or attribute) is the authority.
pub fn read_complaint(json: &str, version: u64) -> PortResult<Complaint> {
    let mut complaint: Complaint = serde_json::from_str(json)
        .map_err(|e| PortError::Backend(format!("stored complaint unreadable: {e}")))?;
    complaint.version = version;
    Ok(complaint)
}

/// Where the scheduler's index puts a complaint: its next due instant, only while it is open,
/// clamped into the sort key's range (a due instant beyond 2286 sorts last, one before 1970
/// first).
pub fn due_index_ms(complaint: &Complaint) -> Option<i64> {
    complaint
        .next_due_ms
        .filter(|_| complaint.status.is_open())
        .map(|ms| ms.clamp(0, MAX_SORT_MS))
}

/// When a final complaint was closed: the time of the last status change into its current
/// (final) status; `None` while it is open. A reopened complaint is open, so it has no
/// closing time until it is final again, and then the later one. The retention of a closed
/// complaint runs from here (`PROLINK_COMPLAINT_RETENTION_DAYS`).
pub fn closed_ms(complaint: &Complaint) -> Option<i64> {
    if complaint.status.is_open() {
        return None;
    }
    let closing = complaint
        .events
        .iter()
        .rev()
        .find(|e| e.changes_status() && e.to == complaint.status)
        .map(|e| e.at_ms);
    // A final complaint without its closing event (written by hand, or cut at the event cap)
    // is dated by its latest event, else its receipt: never "not closed", or it would be
    // kept forever.
    Some(closing.unwrap_or_else(|| {
        complaint
            .events
            .iter()
            .map(|e| e.at_ms)
            .max()
            .unwrap_or(complaint.received_ms)
    }))
}

/// Where the retention index puts a complaint: its closing time, only once final, clamped
/// into the sort key's range.
pub fn closed_index_ms(complaint: &Complaint) -> Option<i64> {
    closed_ms(complaint).map(|ms| ms.clamp(0, MAX_SORT_MS))
}

/// `<ms, 13 digits>#<ticket>`: the string order is the order of (ms, ticket). Also the
/// cursor of the paged lists.
pub fn sort_key(ms: i64, ticket: &str) -> String {
    format!("{ms:013}#{ticket}")
}

/// The (ms, ticket) a cursor points at; anything this module did not produce is `Invalid`.
pub fn parse_cursor(cursor: &str) -> PortResult<(i64, String)> {
    let invalid = || PortError::Invalid(format!("malformed page cursor {cursor:?}"));
    let (ms, ticket) = cursor.split_once('#').ok_or_else(invalid)?;
    if ms.len() != 13 || !ms.bytes().all(|b| b.is_ascii_digit()) || ticket.is_empty() {
        return Err(invalid());
    }
    let ms = ms.parse().map_err(|_| invalid())?;
    Ok((ms, ticket.to_owned()))
}

/// A page holds at least one item.
pub fn page_limit(limit: usize) -> PortResult<usize> {
    if limit == 0 {
        return Err(PortError::Invalid("page limit must be at least 1".into()));
    }
    Ok(limit.min(MAX_QUERY_ITEMS))
}

/// The `received_ms` range `[from, to)` a list asks for, clamped into the sort key's range;
/// `None` when no complaint can match (an empty page, not an error: a dashboard may well ask
/// for a day before 1970 or an empty range). An empty OPD filter is `Invalid`.
pub fn received_range(query: &ComplaintQuery) -> PortResult<Option<(i64, i64)>> {
    if query.opd_id.as_deref() == Some("") {
        return Err(PortError::Invalid("opd id filter must not be empty".into()));
    }
    let from = query.received_from_ms.unwrap_or(0).max(0);
    let to = query
        .received_to_ms
        .unwrap_or(MAX_SORT_MS + 1)
        .min(MAX_SORT_MS + 1);
    Ok((from < to).then_some((from, to)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_order_like_time_then_ticket() -> PortResult<()> {
        let key = sort_key(1_780_000_000_000, "PS-7K3QX9");
        assert_eq!(key, "1780000000000#PS-7K3QX9");
        assert_eq!(parse_cursor(&key)?, (1_780_000_000_000, "PS-7K3QX9".into()));
        assert!(sort_key(999_999_999_999, "PS-Z") < sort_key(1_000_000_000_000, "PS-0"));
        assert!(sort_key(5, "PS-A") < sort_key(5, "PS-B"));
        assert_eq!(parse_cursor(&sort_key(0, "PS-A"))?.0, 0);
        Ok(())
    }

    #[test]
    fn foreign_cursors_are_invalid() {
        for bad in [
            "",
            "1780000000000",
            "1780000000000#",
            "178000000000#PS-A",
            "17800000000000#PS-A",
            "-780000000000#PS-A",
            "17800000000a0#PS-A",
            "+780000000000#PS-A",
        ] {
            assert!(
                matches!(parse_cursor(bad), Err(PortError::Invalid(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn received_ranges_are_clamped_and_empty_ranges_match_nothing() -> PortResult<()> {
        let query = |from, to| ComplaintQuery {
            received_from_ms: from,
            received_to_ms: to,
            ..ComplaintQuery::default()
        };
        assert_eq!(
            received_range(&query(None, None))?,
            Some((0, MAX_SORT_MS + 1))
        );
        assert_eq!(received_range(&query(Some(-5), Some(10)))?, Some((0, 10)));
        assert_eq!(received_range(&query(Some(10), Some(10)))?, None);
        assert_eq!(received_range(&query(Some(11), Some(10)))?, None);
        assert_eq!(received_range(&query(None, Some(0)))?, None);
        let empty_opd = ComplaintQuery {
            opd_id: Some(String::new()),
            ..ComplaintQuery::default()
        };
        assert!(matches!(
            received_range(&empty_opd),
            Err(PortError::Invalid(_))
        ));
        Ok(())
    }

    #[test]
    fn page_limits_are_positive_and_capped() {
        assert!(matches!(page_limit(0), Err(PortError::Invalid(_))));
        assert_eq!(page_limit(2).ok(), Some(2));
        assert_eq!(page_limit(1_000_000).ok(), Some(MAX_QUERY_ITEMS));
    }
}
