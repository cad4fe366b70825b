//! Writing the audit trail: every read of personal data and every change. A read is
//! recorded before the data is returned (no record, no data); a change after it is stored,
//! and a failed record answers 503 so the caller retries — retries are recognised by the
//! change's event id, so the change is not made twice.

use prolink_domain::calendar::DAY_MS;

use crate::ports::AuditRecord;

use super::error::ApiResult;
use super::extract::Caller;
use super::ApiState;

/// `<13-digit ms>-<uuid v4>`: unique and ordered by time as text.
pub fn audit_id(at_ms: i64) -> String {
    format!("{:013}-{}", at_ms.max(0), uuid::Uuid::new_v4())
}

pub async fn record(
    state: &ApiState,
    caller: &Caller,
    action: &str,
    subject: Option<&str>,
    detail: Option<String>,
) -> ApiResult<()> {
    let at_ms = state.clock.now_ms();
    let record = AuditRecord {
        id: audit_id(at_ms),
        at_ms,
        actor: caller.principal.username.clone(),
        role: caller.role().as_str().to_string(),
        action: action.to_string(),
        subject: subject.map(str::to_string),
        ip: caller.ip.clone(),
        detail,
        expires_at_ms: at_ms
            .saturating_add(state.config.audit_retention_days.saturating_mul(DAY_MS)),
    };
    state.audit.append_audit(&record).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_sort_by_time() {
        let early = super::audit_id(5);
        let late = super::audit_id(1_767_225_600_000);
        assert!(early.starts_with("0000000000005-"));
        assert_eq!(late.len(), 13 + 1 + 36);
        assert!(early < late);
    }
}
