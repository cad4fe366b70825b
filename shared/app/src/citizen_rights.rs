//! Citizens' data rights (UU 27/2022): the rules both stores share when they erase a citizen
//! (tombstone hashes, erasure-request keys, complaint anonymisation with retries) and the
//! checks the workers make before acting on queued work for a number.
//!
//! The operator API's routes (`api::citizens`) drive export and erasure; the stores implement
//! [`CitizenData`].

use tracing::info;

use prolink_domain::complaint::Complaint;
use prolink_domain::erasure::{anonymise_complaint, ErasedIdentity};

use crate::complaint_rules::MAX_SORT_MS;
use crate::ids::sha256_hex;
use crate::ports::{CitizenData, ComplaintStore, ErasureRequest, PortError, PortResult};
use crate::stats;

/// Versioned complaint writes retried after a lost race (an operator changing the complaint
/// at the same moment).
const COMPLAINT_ATTEMPTS: u32 = 5;

/// The tombstone key of an identifier: a hash, so the store of erased citizens never holds a
/// number. Salted with a fixed label only: the tombstone must be found from the number alone
/// by every worker, with no secret to share.
pub fn identifier_hash(identifier: &str) -> String {
    sha256_hex(&format!("prolink-erased:{identifier}"))
}

/// The tombstone hashes of an identity, one per identifier form.
pub fn tombstone_hashes(identity: &ErasedIdentity) -> Vec<String> {
    identity
        .identifiers
        .iter()
        .map(|id| identifier_hash(id))
        .collect()
}

/// A fresh stand-in key for an erased reporter's complaints (random, not derived from them).
pub fn new_anonymous_key() -> String {
    format!(
        "{}{}",
        prolink_domain::erasure::ERASED_KEY_PREFIX,
        uuid::Uuid::new_v4().simple()
    )
}

/// The statistics event ids derived from a citizen key ("active today/this week/this month"
/// marks hold a hash of the key): removed with the citizen.
pub fn stat_event_ids(identity: &ErasedIdentity, citizen_key: &str) -> Vec<String> {
    let mut keys: Vec<&str> = identity.identifiers.iter().map(String::as_str).collect();
    keys.push(citizen_key);
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter().flat_map(stats::active_event_ids).collect()
}

/// Sort key of the erasure-request list (newest first): `<requested_ms, 13 digits>#<id>`.
pub fn request_sort_key(request: &ErasureRequest) -> String {
    format!(
        "{:013}#{}",
        request.requested_ms.clamp(0, MAX_SORT_MS),
        request.citizen_id
    )
}

pub fn check_request(request: &ErasureRequest) -> PortResult<()> {
    if !crate::conversations::valid_conversation_id(&request.citizen_id) {
        return Err(PortError::Invalid(
            "erasure request needs a well-formed citizen id".into(),
        ));
    }
    if !(0..=MAX_SORT_MS).contains(&request.requested_ms) {
        return Err(PortError::Invalid("request time out of range".into()));
    }
    Ok(())
}

/// Anonymises each complaint (re-reading and retrying after a lost race); returns how many
/// changed.
pub async fn anonymise_complaints(
    store: &dyn ComplaintStore,
    complaints: Vec<Complaint>,
    identity: &ErasedIdentity,
) -> PortResult<u64> {
    let mut changed = 0;
    for complaint in complaints {
        let mut current = complaint;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut next = current.clone();
            if !anonymise_complaint(&mut next, identity) {
                break;
            }
            match store.update_complaint(&next).await {
                Ok(_) => {
                    changed += 1;
                    break;
                }
                Err(PortError::Conflict(_)) if attempt < COMPLAINT_ATTEMPTS => {
                    match store.get_complaint(&current.ticket).await? {
                        Some(fresh) => current = fresh,
                        None => break,
                    }
                }
                Err(error) => return Err(error),
            }
        }
    }
    Ok(changed)
}

/// When the newest erasure of any of `identifiers` happened (`None`: never, or lifted).
pub async fn erased_at(data: &dyn CitizenData, identifiers: &[&str]) -> PortResult<Option<i64>> {
    let mut newest = None;
    // The key usually is the wa_id, and a message's `to` its `recipient` with a `+`: every
    // written form of a number has its tombstone, so one look-up per number suffices.
    let mut looked_up: Vec<String> = Vec::with_capacity(identifiers.len());
    for identifier in identifiers.iter().filter(|i| !i.is_empty()) {
        let number = prolink_domain::erasure::normalise_phone(identifier)
            .unwrap_or_else(|| identifier.to_string());
        if looked_up.contains(&number) {
            continue;
        }
        looked_up.push(number);
        if let Some(at) = data.erased_at(&identifier_hash(identifier)).await? {
            newest = Some(newest.map_or(at, |n: i64| n.max(at)));
        }
    }
    Ok(newest)
}

/// The citizen wrote again after being erased: their tombstones go, so the new conversation
/// is answered (they accept the privacy notice again like any new citizen).
pub async fn lift(data: &dyn CitizenData, identifiers: &[&str]) -> PortResult<()> {
    for identifier in identifiers.iter().filter(|i| !i.is_empty()) {
        for form in forms(identifier) {
            data.lift_erasure(&identifier_hash(&form)).await?;
        }
    }
    info!("erasure tombstone lifted: the citizen wrote again");
    Ok(())
}

/// Every written form of an identifier (a phone number's three, else itself).
fn forms(identifier: &str) -> Vec<String> {
    match prolink_domain::erasure::normalise_phone(identifier) {
        Some(number) => prolink_domain::erasure::phone_forms(&number),
        None => vec![identifier.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use crate::ports::{ErasureCounts, ErasureOrder, Page, PageRequest};

    /// Tombstones by hash, counting the look-ups.
    #[derive(Default)]
    struct Tombstones {
        erased: HashMap<String, i64>,
        lookups: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl CitizenData for Tombstones {
        async fn erase_citizen(&self, _order: &ErasureOrder) -> PortResult<ErasureCounts> {
            Err(PortError::Backend("not used here".into()))
        }
        async fn erased_at(&self, identifier_hash: &str) -> PortResult<Option<i64>> {
            self.lookups
                .lock()
                .expect("lookups")
                .push(identifier_hash.to_owned());
            Ok(self.erased.get(identifier_hash).copied())
        }
        async fn lift_erasure(&self, _identifier_hash: &str) -> PortResult<()> {
            Err(PortError::Backend("not used here".into()))
        }
        async fn request_erasure(&self, _request: &ErasureRequest) -> PortResult<bool> {
            Err(PortError::Backend("not used here".into()))
        }
        async fn list_erasure_requests(
            &self,
            _page: &PageRequest,
        ) -> PortResult<Page<ErasureRequest>> {
            Err(PortError::Backend("not used here".into()))
        }
    }

    #[tokio::test]
    async fn each_distinct_identifier_is_looked_up_once_and_the_newest_erasure_wins() {
        let mut data = Tombstones::default();
        data.erased
            .insert(identifier_hash("6281234500001"), 1_700_000_000_000);
        data.erased
            .insert(identifier_hash("ID.user-1"), 1_800_000_000_000);

        // A key equal to the wa_id, a `to` and its `recipient` with a `+`, an absent field.
        let found = erased_at(
            &data,
            &["6281234500001", "6281234500001", "+6281234500001", ""],
        )
        .await
        .expect("read");
        assert_eq!(found, Some(1_700_000_000_000));
        assert_eq!(data.lookups.lock().expect("lookups").len(), 1);

        data.lookups.lock().expect("lookups").clear();
        let found = erased_at(&data, &["6281234500001", "ID.user-1", "6281234500001"])
            .await
            .expect("read");
        assert_eq!(found, Some(1_800_000_000_000));
        assert_eq!(data.lookups.lock().expect("lookups").len(), 2);

        let found = erased_at(&data, &["6289999999999"]).await.expect("read");
        assert_eq!(found, None);
    }
}
