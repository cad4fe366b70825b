//! Ids derived from what they are about, so a redelivered message, task or notice derives the
//! same id again and every conditional write or outbox record recognises it.

use sha2::{Digest, Sha256};

/// The first `chars` hex characters (at most 64) of the SHA-256 of `text`.
pub fn short_hash(text: &str, chars: usize) -> String {
    let mut digest = hex::encode(Sha256::digest(text.as_bytes()));
    digest.truncate(chars);
    digest
}

#[cfg(test)]
mod tests {
    use super::short_hash;

    #[test]
    fn prefix_of_the_hex_sha256() {
        // sha256("abc") = ba7816bf8f01cfea…
        assert_eq!(short_hash("abc", 16), "ba7816bf8f01cfea");
        assert_eq!(short_hash("abc", 32).len(), 32);
        assert_eq!(short_hash("abc", 100).len(), 64);
        assert_ne!(short_hash("abc", 32), short_hash("abd", 32));
    }
}
