//! Ticket ids: `PS-` + 6 Crockford base32 characters (`PS-7K3QX9`).
//!
//! Ids are derived from a hash of the submitting message id, never from a counter: a
//! sequential id would tell anyone how many complaints the city receives and let them guess
//! other citizens' tickets. Deriving them (instead of drawing random numbers) makes a
//! redelivered message produce the same ticket, so it cannot create a second complaint.

use sha2::{Digest, Sha256};

/// Crockford base32 without I, L, O, U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
pub const PREFIX: &str = "PS-";
/// Characters after the prefix.
pub const CODE_LEN: usize = 6;

/// The ticket id for a submission. `attempt` moves to another id when the first one is
/// already taken by a different complaint (one chance in about 10⁹ per existing ticket).
pub fn ticket_for(seed: &str, attempt: u32) -> String {
    let digest = Sha256::digest(format!("ticket#{seed}#{attempt}").as_bytes());
    let mut bits: u64 = 0;
    for byte in &digest[..4] {
        bits = (bits << 8) | u64::from(*byte);
    }
    // 32 bits read, 30 used (6 × 5).
    let mut code = String::with_capacity(PREFIX.len() + CODE_LEN);
    code.push_str(PREFIX);
    for position in (0..CODE_LEN).rev() {
        let index = ((bits >> (position * 5)) & 0x1f) as usize;
        code.push(char::from(ALPHABET[index]));
    }
    code
}

/// Crockford base32 without I, L, O, U.
pub fn is_crockford(c: char) -> bool {
    c.is_ascii_digit() || (c.is_ascii_uppercase() && !matches!(c, 'I' | 'L' | 'O' | 'U'))
}

/// Finds a ticket id (`PS-` + 6 Crockford base32 characters; any case; the dash may be
/// missing or be a space) and returns it normalised (`PS-7K3QX9`).
pub fn find_ticket(text: &str) -> Option<String> {
    // Every free-text message passes here first: most have no "ps" at all and need no copy.
    let has_prefix = text
        .as_bytes()
        .windows(2)
        .any(|w| w[0].eq_ignore_ascii_case(&b'p') && w[1].eq_ignore_ascii_case(&b's'));
    if !has_prefix {
        return None;
    }
    let upper: Vec<char> = text.to_uppercase().chars().collect();
    let n = upper.len();
    let mut i = 0;
    while i + 2 <= n {
        let boundary = i == 0 || !upper[i - 1].is_alphanumeric();
        if boundary && upper[i] == 'P' && upper.get(i + 1) == Some(&'S') {
            let mut j = i + 2;
            let spaced = upper.get(j) == Some(&' ');
            if matches!(upper.get(j), Some('-') | Some(' ') | Some('_')) {
                j += 1;
            }
            if j + CODE_LEN <= n {
                let code: String = upper[j..j + CODE_LEN].iter().collect();
                let end_ok = upper.get(j + CODE_LEN).is_none_or(|c| !c.is_alphanumeric());
                // "ps barang": after a space, a code without a digit is far more likely a word.
                let plausible = !spaced || code.chars().any(|c| c.is_ascii_digit());
                if end_ok && plausible && code.chars().all(is_crockford) {
                    return Some(format!("{PREFIX}{code}"));
                }
            }
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_well_formed_stable_and_spread() {
        let first = ticket_for("wamid.A", 0);
        assert_eq!(first.len(), 9);
        assert!(first.starts_with("PS-"));
        assert!(first[3..].chars().all(is_crockford));
        assert_eq!(find_ticket(&first).as_deref(), Some(first.as_str()));
        assert_eq!(
            ticket_for("wamid.A", 0),
            first,
            "derived, so a redelivery repeats it"
        );
        assert_ne!(
            ticket_for("wamid.A", 1),
            first,
            "a retry after a collision moves on"
        );
        // Consecutive messages do not give neighbouring ids.
        let ids: std::collections::BTreeSet<String> = (0..2000)
            .map(|i| ticket_for(&format!("wamid.{i}"), 0))
            .collect();
        assert_eq!(ids.len(), 2000);
        let firsts: std::collections::BTreeSet<char> =
            ids.iter().filter_map(|id| id.chars().nth(3)).collect();
        assert!(firsts.len() > 20, "first characters spread: {firsts:?}");
    }

    #[test]
    fn ticket_ids_any_case_with_or_without_dash() {
        assert_eq!(
            find_ticket("cek ps-7k3qx9 dong").as_deref(),
            Some("PS-7K3QX9")
        );
        assert_eq!(find_ticket("PS7K3QX9").as_deref(), Some("PS-7K3QX9"));
        assert_eq!(
            find_ticket("batalkan aduan Ps 7k3qx9").as_deref(),
            Some("PS-7K3QX9")
        );
        assert_eq!(find_ticket("PS-7K3QXI"), None);
        assert_eq!(find_ticket("PS-7K3QX9A"), None);
        assert_eq!(find_ticket("psikolog"), None);
        assert_eq!(find_ticket("ps barang"), None);
    }
}
