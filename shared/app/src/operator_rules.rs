//! Rules both stores apply the same way to the operator-side records (users, audit trail,
//! alerts, settings; `docs/data-model.md`), so a record accepted locally is accepted on AWS
//! and a cursor from one page means the same boundary in both.

use crate::complaint_rules::MAX_SORT_MS;
use crate::ports::{AlertState, AuditQuery, AuditRecord, PortError, PortResult, Role, UserRecord};

/// Largest stored setting value (JSON): far below the 400 KB DynamoDB item, far above any
/// sensible setting (contact lists are a few KB).
pub const MAX_SETTING_BYTES: usize = 100_000;

/// Longest setting key.
pub const MAX_SETTING_KEY_CHARS: usize = 64;

fn invalid(message: String) -> PortError {
    PortError::Invalid(message)
}

/// 3..=64 characters of `[a-z0-9._-]` (the port's rule). Usernames are keys and cursors, so
/// nothing else (no `#`, no upper case that would sort apart) may get in.
pub fn check_username(username: &str) -> PortResult<()> {
    let length_ok = (3..=64).contains(&username.len());
    let chars_ok = username
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    if !length_ok || !chars_ok {
        return Err(invalid(format!(
            "username {username:?} must be 3 to 64 characters of a-z, 0-9, '.', '_', '-'"
        )));
    }
    Ok(())
}

/// What a store checks before writing a user: the name, and an OPD exactly for OPD staff
/// (an `opd` user without one would see no complaint, another role with one would be
/// mistaken for OPD staff).
pub fn check_user(user: &UserRecord) -> PortResult<()> {
    check_username(&user.username)?;
    match (user.role, user.opd_id.as_deref()) {
        (Role::Opd, Some(opd)) if !opd.is_empty() => Ok(()),
        (Role::Opd, _) => Err(invalid(format!(
            "user {}: role opd needs an opd_id",
            user.username
        ))),
        (_, None) => Ok(()),
        (role, Some(_)) => Err(invalid(format!(
            "user {}: role {} takes no opd_id",
            user.username,
            role.as_str()
        ))),
    }
}

/// What a store checks before appending an audit record.
pub fn check_audit(record: &AuditRecord) -> PortResult<()> {
    for (what, value) in [
        ("id", record.id.as_str()),
        ("actor", record.actor.as_str()),
        ("role", record.role.as_str()),
        ("action", record.action.as_str()),
    ] {
        if value.is_empty() {
            return Err(invalid(format!("audit record {what} must not be empty")));
        }
    }
    if record.subject.as_deref() == Some("") {
        return Err(invalid(format!(
            "audit record {}: an empty subject must be None",
            record.id
        )));
    }
    if !(0..=MAX_SORT_MS).contains(&record.at_ms) {
        return Err(invalid(format!(
            "audit record {} at_ms out of range: {}",
            record.id, record.at_ms
        )));
    }
    Ok(())
}

/// An empty filter would silently match nothing on one store and be refused by the other.
pub fn check_audit_query(query: &AuditQuery) -> PortResult<()> {
    if query.actor.as_deref() == Some("") || query.subject.as_deref() == Some("") {
        return Err(invalid("audit filters must not be empty strings".into()));
    }
    Ok(())
}

/// What a store checks before writing an alert (the id and the OPD are index keys).
pub fn check_alert_ids(id: &str, raised_ms: i64, opd_id: Option<&str>) -> PortResult<()> {
    if id.is_empty() {
        return Err(invalid("alert id must not be empty".into()));
    }
    if !(0..=MAX_SORT_MS).contains(&raised_ms) {
        return Err(invalid(format!(
            "alert {id} raised_ms out of range: {raised_ms}"
        )));
    }
    if opd_id == Some("") {
        return Err(invalid(format!("alert {id}: an empty opd_id must be None")));
    }
    Ok(())
}

pub fn alert_state_name(state: AlertState) -> &'static str {
    match state {
        AlertState::Open => "open",
        AlertState::Resolved => "resolved",
    }
}

/// A stored state name; anything else is a corrupt record.
pub fn parse_alert_state(name: &str) -> PortResult<AlertState> {
    match name {
        "open" => Ok(AlertState::Open),
        "resolved" => Ok(AlertState::Resolved),
        other => Err(PortError::Backend(format!(
            "unknown stored alert state {other:?}"
        ))),
    }
}

/// 1..=64 characters of `[a-z0-9._-]`: keys name settings in code (`operator_contacts`).
pub fn check_setting_key(key: &str) -> PortResult<()> {
    let ok = !key.is_empty()
        && key.len() <= MAX_SETTING_KEY_CHARS
        && key.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if !ok {
        return Err(invalid(format!(
            "setting key {key:?} must be 1 to {MAX_SETTING_KEY_CHARS} characters of a-z, 0-9, '.', '_', '-'"
        )));
    }
    Ok(())
}

/// The stored JSON of a setting value, size-checked.
pub fn setting_json(key: &str, value: &serde_json::Value) -> PortResult<String> {
    let json = serde_json::to_string(value).map_err(|e| invalid(format!("setting {key}: {e}")))?;
    if json.len() > MAX_SETTING_BYTES {
        return Err(invalid(format!(
            "setting {key} has {} bytes, at most {MAX_SETTING_BYTES} are allowed",
            json.len()
        )));
    }
    Ok(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(username: &str, role: Role, opd_id: Option<&str>) -> UserRecord {
        UserRecord {
            username: username.to_owned(),
            role,
            opd_id: opd_id.map(str::to_owned),
            password_hash: None,
            disabled: false,
            failed_logins: Vec::new(),
            created_ms: 0,
            updated_ms: 0,
            version: 0,
        }
    }

    #[test]
    fn usernames_follow_the_port_rule() {
        for (name, ok) in [
            ("adm", true),
            ("budi.santoso_2-x", true),
            (&"a".repeat(64), true),
            ("", false),
            ("ab", false),
            (&"a".repeat(65), false),
            ("Budi", false),
            ("budi#1", false),
            ("budi santoso", false),
            ("búdi", false),
        ] {
            assert_eq!(check_username(name).is_ok(), ok, "{name:?}");
        }
    }

    #[test]
    fn only_opd_staff_have_an_opd() {
        for (role, opd, ok) in [
            (Role::Opd, Some("dpupr"), true),
            (Role::Opd, None, false),
            (Role::Opd, Some(""), false),
            (Role::Admin, None, true),
            (Role::Viewer, Some("dpupr"), false),
        ] {
            assert_eq!(
                check_user(&user("staf", role, opd)).is_ok(),
                ok,
                "{role:?} {opd:?}"
            );
        }
    }

    #[test]
    fn alert_states_round_trip_and_unknown_names_are_corrupt() {
        for state in [AlertState::Open, AlertState::Resolved] {
            assert_eq!(parse_alert_state(alert_state_name(state)).ok(), Some(state));
        }
        assert!(matches!(
            parse_alert_state("closed"),
            Err(PortError::Backend(_))
        ));
    }

    #[test]
    fn setting_keys_and_sizes_are_bounded() {
        assert!(check_setting_key("operator_contacts").is_ok());
        assert!(check_setting_key("").is_err());
        assert!(check_setting_key("Operator").is_err());
        let big = serde_json::Value::String("x".repeat(MAX_SETTING_BYTES));
        assert!(matches!(
            setting_json("k", &big),
            Err(PortError::Invalid(_))
        ));
        assert_eq!(
            setting_json("k", &serde_json::json!({"a": [1, null]}))
                .ok()
                .as_deref(),
            Some(r#"{"a":[1,null]}"#)
        );
    }
}
