//! Ids derived from what they are about, so a redelivered message, task or notice derives the
//! same id again and every conditional write or outbox record recognises it.

use sha2::{Digest, Sha256};

/// The hex SHA-256 of `text` (64 characters).
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// 128 bits of [`sha256_hex`] (32 characters): the suffix of outbox, alert and event ids.
pub fn short_hash(text: &str) -> String {
    let mut digest = sha256_hex(text);
    digest.truncate(32);
    digest
}

#[cfg(test)]
mod tests {
    use super::{sha256_hex, short_hash};

    #[test]
    fn prefix_of_the_hex_sha256() {
        // sha256("abc") = ba7816bf8f01cfea…
        assert!(sha256_hex("abc").starts_with("ba7816bf8f01cfea"));
        assert_eq!(sha256_hex("abc").len(), 64);
        assert_eq!(short_hash("abc"), sha256_hex("abc")[..32]);
        assert_ne!(short_hash("abc"), short_hash("abd"));
    }
}
