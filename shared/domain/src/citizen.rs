//! Who a citizen is across WhatsApp's identifiers.
//!
//! Since 2026 WhatsApp users may hide their phone number behind a username, so the stable key
//! is the business-scoped user id (BSUID, e.g. `ID.1830495827364019283`) and the phone number
//! (`wa_id`) is only an optional attribute. Older payloads (and failed statuses addressed by
//! phone) carry no BSUID, so the phone number stays the fallback key.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A citizen as seen in one webhook message.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct CitizenRef {
    /// The BSUID when known, else the phone number (`wa_id` / `from`).
    pub key: String,
    /// Business-scoped user id (`from_user_id` / `contacts[].user_id`).
    pub user_id: Option<String>,
    /// Phone number digits with country code, no `+` (`wa_id` / `from`).
    pub wa_id: Option<String>,
    /// WhatsApp profile name: user-controlled, may be empty or change at any time.
    pub name: Option<String>,
    /// 2026 username (e.g. `@putri.ayu`), only for users who adopted one.
    pub username: Option<String>,
}

impl CitizenRef {
    /// Builds a citizen from whatever identifiers a payload carried. Empty strings count as
    /// absent. `None` when neither a BSUID nor a phone number is known.
    pub fn from_ids(
        user_id: Option<String>,
        wa_id: Option<String>,
        name: Option<String>,
        username: Option<String>,
    ) -> Option<CitizenRef> {
        let user_id = non_empty(user_id);
        let wa_id = non_empty(wa_id);
        let key = user_id.clone().or_else(|| wa_id.clone())?;
        Some(CitizenRef {
            key,
            user_id,
            wa_id,
            name: non_empty(name),
            username: non_empty(username),
        })
    }

    /// The FIFO group of this citizen (see [`group_id_for`]).
    pub fn group_id(&self) -> String {
        group_id_for(&self.key)
    }
}

/// Hex SHA-256 of a citizen key: 64 characters, valid as an SQS message group id whatever the
/// key contains, and it keeps phone numbers out of queue metadata.
pub fn group_id_for(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// A citizen's durable profile. Keyed by the canonical citizen key (business-scoped user id
/// when known, else the WhatsApp id); other identifiers point to it through aliases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CitizenProfile {
    pub key: String,
    #[serde(default)]
    pub wa_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// Last message from the citizen: opens Meta's 24-hour customer service window.
    #[serde(default)]
    pub last_inbound_ms: Option<i64>,
    /// Broadcast opt-in (`mulai`/`langganan`); `stop`/`berhenti` clears it. Complaint
    /// notifications do not depend on it.
    #[serde(default)]
    pub broadcast_opt_in: bool,
    #[serde(default)]
    pub topics: Vec<String>,
    /// When the citizen accepted the complaint privacy notice (UU 27/2022).
    #[serde(default)]
    pub privacy_consent_ms: Option<i64>,
    /// Optimistic concurrency: incremented by every successful `put_citizen`.
    #[serde(default)]
    pub version: u64,
    #[serde(default)]
    pub created_ms: i64,
    #[serde(default)]
    pub updated_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    #[test]
    fn key_prefers_the_business_scoped_user_id() {
        let citizen = CitizenRef::from_ids(
            s("ID.1830495827364019283"),
            s("6281234567890"),
            s("Budi"),
            None,
        )
        .expect("identifiers present");
        assert_eq!(citizen.key, "ID.1830495827364019283");
        assert_eq!(citizen.wa_id.as_deref(), Some("6281234567890"));
    }

    #[test]
    fn key_falls_back_to_the_phone_number() {
        let citizen =
            CitizenRef::from_ids(None, s("6281234567890"), None, None).expect("phone present");
        assert_eq!(citizen.key, "6281234567890");
        assert_eq!(citizen.user_id, None);
    }

    #[test]
    fn empty_identifiers_count_as_absent() {
        assert_eq!(CitizenRef::from_ids(s(""), s("  "), s("Budi"), None), None);
        let citizen = CitizenRef::from_ids(s(""), s("628123"), s(""), None).expect("phone");
        assert_eq!(citizen.key, "628123");
        assert_eq!(citizen.user_id, None);
        assert_eq!(citizen.name, None);
    }

    #[test]
    fn group_id_is_stable_hex_sha256() {
        let group = group_id_for("ID.1830495827364019283");
        assert_eq!(group.len(), 64);
        assert!(group
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(group, group_id_for("ID.1830495827364019283"));
        assert_ne!(group, group_id_for("ID.1830495827364019284"));
        // Known vector: sha256("abc").
        assert_eq!(
            group_id_for("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
