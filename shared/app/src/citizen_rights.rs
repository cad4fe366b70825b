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
    for identifier in identifiers.iter().filter(|i| !i.is_empty()) {
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
