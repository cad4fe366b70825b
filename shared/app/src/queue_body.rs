//! Makes a queue body something SQS can carry, so one odd message cannot make the webhook
//! answer 500 for a whole batch (which Meta would resend for a week, failing each time).
//!
//! SQS accepts only XML 1.0 characters (`#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
//! [#x10000-#x10FFFF]`) and bodies up to 256 KiB. Queue bodies are JSON, so a refused
//! character can be written as a `\uXXXX` escape: the same JSON value, nothing lost. A body
//! that is too long has its longest strings (the citizen's text) cut, which is recorded.

use serde_json::Value;

/// SQS's classic message size limit (also moto's and the local queue's).
pub const MAX_QUEUE_BODY_BYTES: usize = 256 * 1024;

/// Appended to a string that was cut to fit the queue.
pub const TRUNCATION_MARK: &str = " …[dipotong]";

/// What [`queue_safe`] had to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFix {
    /// Carried as it was (escaping refused characters changes no JSON value).
    Unchanged,
    /// Strings were cut to fit the size limit.
    Truncated,
    /// Still too large or not JSON: it cannot be queued.
    Impossible,
}

fn sqs_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r')
        || ('\u{20}'..='\u{D7FF}').contains(&c)
        || ('\u{E000}'..='\u{FFFD}').contains(&c)
        || c >= '\u{10000}'
}

/// Escapes every character SQS refuses. Only valid for a JSON text: such characters can only
/// be inside strings there (serde_json already escapes the C0 controls), where `\uXXXX` means
/// the same character. All refused characters are in the BMP, so one escape each.
fn escape_refused(json: String) -> String {
    if json.chars().all(sqs_char) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if sqs_char(c) {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{:04X}", u32::from(c)));
        }
    }
    out
}

/// The longest string in `value` (by bytes), to cut first.
fn longest_string(value: &mut Value) -> Option<&mut String> {
    match value {
        Value::String(text) => Some(text),
        Value::Array(items) => items
            .iter_mut()
            .filter_map(longest_string)
            .max_by_key(|text| text.len()),
        Value::Object(map) => map
            .values_mut()
            .filter_map(longest_string)
            .max_by_key(|text| text.len()),
        _ => None,
    }
}

/// Returns a body SQS accepts, and what was done to it.
pub fn queue_safe(body: String) -> (String, BodyFix) {
    let body = escape_refused(body);
    if body.len() <= MAX_QUEUE_BODY_BYTES {
        return (body, BodyFix::Unchanged);
    }
    let Ok(mut value) = serde_json::from_str::<Value>(&body) else {
        return (body, BodyFix::Impossible);
    };
    let mut current = body;
    // Each round cuts the longest string by the excess (plus room for the mark and escapes);
    // a few rounds at most, as one text is nearly always the whole excess.
    for _ in 0..8 {
        let excess = current.len() - MAX_QUEUE_BODY_BYTES;
        let Some(text) = longest_string(&mut value) else {
            break;
        };
        let keep = text
            .len()
            .saturating_sub(excess + TRUNCATION_MARK.len() + 64);
        let mut end = keep;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str(TRUNCATION_MARK);
        let Ok(json) = serde_json::to_string(&value) else {
            break;
        };
        current = escape_refused(json);
        if current.len() <= MAX_QUEUE_BODY_BYTES {
            return (current, BodyFix::Truncated);
        }
    }
    (current, BodyFix::Impossible)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_characters_are_escaped_to_the_same_json_value() {
        let original = serde_json::json!({ "text": "a\u{FFFF}b\u{FFFE}c\u{1F600}" });
        let (body, fix) = queue_safe(original.to_string());
        assert_eq!(fix, BodyFix::Unchanged);
        assert!(body.chars().all(sqs_char));
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), original);
    }

    #[test]
    fn an_oversized_text_is_cut_with_a_mark() {
        let original = serde_json::json!({ "id": "x", "text": "é".repeat(200 * 1024) });
        let (body, fix) = queue_safe(original.to_string());
        assert_eq!(fix, BodyFix::Truncated);
        assert!(body.len() <= MAX_QUEUE_BODY_BYTES);
        let value: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(value["id"], "x");
        assert!(value["text"].as_str().unwrap().ends_with(TRUNCATION_MARK));
    }
}
