//! Authenticity of webhook calls: the `X-Hub-Signature-256` HMAC on POSTs and the verify-token
//! handshake on GET.

use hmac::{Hmac, KeyInit, Mac};
use http::HeaderMap;
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Header carrying `sha256=<hex HMAC of the raw body>`.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

const SIGNATURE_PREFIX: &str = "sha256=";

/// Meta's challenge is a short string of digits; anything much longer is not Meta.
const MAX_CHALLENGE_LEN: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("signature header missing")]
    Missing,
    #[error("signature header malformed")]
    Malformed,
    #[error("signature does not match")]
    Mismatch,
    /// No non-empty app secret to check against: a deployment mistake, not a bad request.
    #[error("no app secret configured")]
    NoSecret,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    #[error("hub.mode, hub.verify_token or hub.challenge missing")]
    MissingParameter,
    #[error("hub.mode is not subscribe")]
    WrongMode,
    #[error("verify token does not match")]
    TokenMismatch,
    #[error("hub.challenge is not acceptable")]
    BadChallenge,
    #[error("no verify token configured")]
    NoToken,
}

/// Checks only the form of `X-Hub-Signature-256` (`sha256=` and 64 hex digits), so a request
/// that cannot be Meta's is refused on its headers, before its body is read.
pub fn check_signature_header_form(header_value: Option<&str>) -> Result<(), SignatureError> {
    let header = header_value.ok_or(SignatureError::Missing)?.trim();
    if header.is_empty() {
        return Err(SignatureError::Missing);
    }
    let hex_digest = header
        .strip_prefix(SIGNATURE_PREFIX)
        .ok_or(SignatureError::Malformed)?;
    if hex_digest.len() != 64 || !hex_digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SignatureError::Malformed);
    }
    Ok(())
}

/// Checks `X-Hub-Signature-256` against the raw body bytes with each secret in turn (current,
/// then previous during a rotation). Empty secrets are skipped: an empty HMAC key is public.
pub fn verify_signature(
    raw_body: &[u8],
    header_value: Option<&str>,
    secrets: &[&str],
) -> Result<(), SignatureError> {
    let header = header_value.ok_or(SignatureError::Missing)?.trim();
    if header.is_empty() {
        return Err(SignatureError::Missing);
    }
    let hex_digest = header
        .strip_prefix(SIGNATURE_PREFIX)
        .ok_or(SignatureError::Malformed)?;
    // hex::decode accepts both cases; the length check rejects truncated digests early.
    let expected = hex::decode(hex_digest).map_err(|_| SignatureError::Malformed)?;
    if expected.len() != 32 {
        return Err(SignatureError::Malformed);
    }
    let mut any_secret = false;
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        any_secret = true;
        let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else {
            continue;
        };
        mac.update(raw_body);
        if mac.verify_slice(&expected).is_ok() {
            return Ok(());
        }
    }
    if any_secret {
        Err(SignatureError::Mismatch)
    } else {
        Err(SignatureError::NoSecret)
    }
}

/// The header value Meta would send for `body` signed with `secret` (simulator, tests).
pub fn signature_header_value(secret: &str, body: &[u8]) -> String {
    let digest = match HmacSha256::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC accepts keys of any length, so this arm is unreachable in practice.
        Err(_) => String::new(),
    };
    format!("{SIGNATURE_PREFIX}{digest}")
}

/// The signature header, whatever case the sender used (HeaderMap names are case-insensitive).
pub fn find_signature_header(headers: &HeaderMap) -> Option<&str> {
    headers.get(SIGNATURE_HEADER)?.to_str().ok()
}

/// The GET handshake: returns the challenge to echo (HTTP 200, plain text) when the mode is
/// `subscribe` and the token matches, compared in constant time.
pub fn verify_handshake(
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&str>,
    expected_token: &str,
) -> Result<String, HandshakeError> {
    let (Some(mode), Some(token), Some(challenge)) = (mode, token, challenge) else {
        return Err(HandshakeError::MissingParameter);
    };
    if expected_token.is_empty() {
        return Err(HandshakeError::NoToken);
    }
    if mode != "subscribe" {
        return Err(HandshakeError::WrongMode);
    }
    if !bool::from(token.as_bytes().ct_eq(expected_token.as_bytes())) {
        return Err(HandshakeError::TokenMismatch);
    }
    // The challenge is echoed verbatim, so refuse anything that could smuggle markup or
    // control characters into the response.
    let acceptable = !challenge.is_empty()
        && challenge.len() <= MAX_CHALLENGE_LEN
        && challenge
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'));
    if !acceptable {
        return Err(HandshakeError::BadChallenge);
    }
    Ok(challenge.to_owned())
}
