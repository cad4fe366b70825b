//! Rules both stores apply the same way to the conversation entities, so a value accepted
//! locally is accepted on AWS and reads back the same.

use crate::ports::{OutboxState, PortError, PortResult};

/// Largest session `data`: a DynamoDB item holds 400 KB, and a session that works locally
/// must not fail on AWS.
pub const MAX_SESSION_BYTES: usize = 350_000;

/// The stored name of a state (the same as its serde name).
pub fn outbox_state_name(state: OutboxState) -> &'static str {
    match state {
        OutboxState::Pending => "pending",
        OutboxState::Sent => "sent",
        OutboxState::Delivered => "delivered",
        OutboxState::Read => "read",
        OutboxState::Failed => "failed",
        OutboxState::Undeliverable => "undeliverable",
    }
}

pub fn parse_outbox_state(name: &str) -> Option<OutboxState> {
    Some(match name {
        "pending" => OutboxState::Pending,
        "sent" => OutboxState::Sent,
        "delivered" => OutboxState::Delivered,
        "read" => OutboxState::Read,
        "failed" => OutboxState::Failed,
        "undeliverable" => OutboxState::Undeliverable,
        _ => return None,
    })
}

/// JSON has no NaN or infinity, and DynamoDB numbers neither.
pub fn check_candidates(candidates: &[(String, f64)]) -> PortResult<()> {
    if let Some((id, score)) = candidates.iter().find(|(_, score)| !score.is_finite()) {
        return Err(PortError::Invalid(format!(
            "candidate {id} has a non-finite score {score}"
        )));
    }
    Ok(())
}

/// The DynamoDB lists sort on 13-digit timestamps; the same bound applies locally.
pub fn non_negative_ms(what: &str, ms: i64) -> PortResult<()> {
    if ms < 0 {
        return Err(PortError::Invalid(format!("{what} before 1970: {ms}")));
    }
    Ok(())
}

pub fn session_size(data: &str) -> PortResult<()> {
    if data.len() > MAX_SESSION_BYTES {
        return Err(PortError::Invalid(format!(
            "session data has {} bytes, at most {MAX_SESSION_BYTES} are allowed",
            data.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbox_state_names_round_trip_and_match_serde() {
        for state in [
            OutboxState::Pending,
            OutboxState::Sent,
            OutboxState::Delivered,
            OutboxState::Read,
            OutboxState::Failed,
            OutboxState::Undeliverable,
        ] {
            let name = outbox_state_name(state);
            assert_eq!(parse_outbox_state(name), Some(state));
            assert_eq!(
                serde_json::to_value(state).ok(),
                Some(serde_json::Value::String(name.to_owned()))
            );
        }
        assert_eq!(parse_outbox_state("lost"), None);
    }

    #[test]
    fn scores_must_be_finite() {
        assert!(check_candidates(&[("a".into(), 0.5), ("b".into(), 0.0)]).is_ok());
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(matches!(
                check_candidates(&[("a".into(), 0.5), ("b".into(), bad)]),
                Err(PortError::Invalid(_))
            ));
        }
    }
}
