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

/// Where a reply to a citizen goes: `to` (phone) or the top-level `recipient` (BSUID).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum ReplyAddress {
    /// Phone digits as WhatsApp reports them (`wa_id`), with or without a leading `+`.
    Phone(String),
    /// Business-scoped user id.
    UserId(String),
}

impl ReplyAddress {
    /// The Graph API field that carries this address.
    pub fn field(&self) -> &'static str {
        match self {
            ReplyAddress::Phone(_) => "to",
            ReplyAddress::UserId(_) => "recipient",
        }
    }

    /// The value as sent to the Graph API. Phone numbers get a leading `+` because without it
    /// Meta prepends the business number's own country code, which can misdeliver.
    pub fn wire_value(&self) -> String {
        match self {
            ReplyAddress::Phone(phone) if phone.starts_with('+') => phone.clone(),
            ReplyAddress::Phone(phone) => format!("+{phone}"),
            ReplyAddress::UserId(user_id) => user_id.clone(),
        }
    }
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

    /// Where to send replies. The phone wins when known: it works for every message type,
    /// while BSUID addressing is refused for some authentication templates (131062).
    pub fn reply_address(&self) -> ReplyAddress {
        match (&self.wa_id, &self.user_id) {
            (Some(phone), _) => ReplyAddress::Phone(phone.clone()),
            (None, Some(user_id)) => ReplyAddress::UserId(user_id.clone()),
            (None, None) => ReplyAddress::UserId(self.key.clone()),
        }
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
        assert_eq!(
            citizen.reply_address(),
            ReplyAddress::Phone("6281234567890".into())
        );
    }

    #[test]
    fn key_falls_back_to_the_phone_number() {
        let citizen =
            CitizenRef::from_ids(None, s("6281234567890"), None, None).expect("phone present");
        assert_eq!(citizen.key, "6281234567890");
        assert_eq!(citizen.user_id, None);
    }

    #[test]
    fn username_user_without_phone_is_addressed_by_user_id() {
        let citizen = CitizenRef::from_ids(
            s("ID.6381920475638192047"),
            None,
            s("Putri Ayu"),
            s("@putri.ayu"),
        )
        .expect("user id present");
        let address = citizen.reply_address();
        assert_eq!(
            address,
            ReplyAddress::UserId("ID.6381920475638192047".into())
        );
        assert_eq!(address.field(), "recipient");
        assert_eq!(address.wire_value(), "ID.6381920475638192047");
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
    fn phone_wire_value_gets_exactly_one_plus() {
        assert_eq!(ReplyAddress::Phone("628123".into()).wire_value(), "+628123");
        assert_eq!(
            ReplyAddress::Phone("+628123".into()).wire_value(),
            "+628123"
        );
        assert_eq!(ReplyAddress::Phone("628123".into()).field(), "to");
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

    #[test]
    fn reply_address_round_trips_through_json() {
        let address = ReplyAddress::UserId("ID.1".into());
        let json = serde_json::to_string(&address).expect("serialize");
        assert_eq!(json, r#"{"kind":"user_id","value":"ID.1"}"#);
        let back: ReplyAddress = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, address);
    }
}
