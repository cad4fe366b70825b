//! Citizens' right to erasure (UU 27/2022 Pelindungan Data Pribadi): the rules both stores
//! apply when they forget a citizen. Pure: the stores find the records, these functions say
//! what is left of them.
//!
//! What goes: the identity (phone number in every written form, business-scoped id, profile
//! name) wherever it appears. What stays: complaints, because the city still owes the work
//! and the statistics; they keep their facts and lose the reporter.

use serde_json::Value;

use crate::complaint::{AddedInfo, Complaint, ComplaintLocation, Photo};
use crate::open_data::redact_description;

/// What replaces an identifier or the name inside a text that is kept.
pub const ERASED_MASK: &str = "[DIHAPUS]";
/// Prefix of the key an erased reporter's complaints carry instead of their citizen key
/// (`erased-` and 32 random hex digits): no message is ever sent to it.
pub const ERASED_KEY_PREFIX: &str = "erased-";
/// Identifiers shorter than this are not searched for inside texts (they would match
/// ordinary numbers); they are still matched whole.
const MIN_SEARCHED_CHARS: usize = 6;
/// A profile name shorter than this is not searched for inside other records' texts: a
/// WhatsApp name like `.`, `A` or `Ani` would match (and remove) records of other people.
/// It still goes with the citizen's own records, and the complaint redaction masks its words.
const MIN_SEARCHED_NAME_CHARS: usize = 6;

/// Whether `key` is the stand-in of an erased reporter.
pub fn is_erased_key(key: &str) -> bool {
    key.starts_with(ERASED_KEY_PREFIX)
}

/// An Indonesian WhatsApp number as Meta writes it (`62` and 8–13 more digits) from what an
/// official types: `62…`, `+62…`, `08…`, with spaces, dashes, dots or brackets. `None` when
/// it is not one.
pub fn normalise_phone(input: &str) -> Option<String> {
    let trimmed = input.trim();
    if trimmed.chars().count() > 32 {
        return None;
    }
    let plus = trimmed.starts_with('+');
    let rest = if plus { &trimmed[1..] } else { trimmed };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    let digits = if plus {
        digits
    } else if let Some(local) = digits.strip_prefix('0') {
        format!("62{local}")
    } else {
        digits
    };
    let valid = (10..=15).contains(&digits.len()) && digits.starts_with("62");
    valid.then_some(digits)
}

/// The forms a number is written in: `62812…`, `+62812…`, `0812…`. Anything else is returned
/// alone.
pub fn phone_forms(number: &str) -> Vec<String> {
    match number.strip_prefix("62") {
        Some(local) if number.bytes().all(|b| b.is_ascii_digit()) => vec![
            number.to_string(),
            format!("+{number}"),
            format!("0{local}"),
        ],
        _ => vec![number.to_string()],
    }
}

/// Who is being forgotten, as the stores search for them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErasedIdentity {
    /// Every identifier matched whole: the citizen key, WhatsApp id, business-scoped id,
    /// and the phone number's written forms.
    pub identifiers: Vec<String>,
    /// The WhatsApp profile name (the one the citizen gave WhatsApp), when known.
    pub name: Option<String>,
    /// What the kept complaints carry instead of the citizen key.
    pub anonymous_key: String,
}

impl ErasedIdentity {
    /// The identity of a citizen: the key, its WhatsApp id and user id (each phone number in
    /// all its forms), the name. Empty values are dropped, duplicates kept once.
    pub fn new(
        key: &str,
        wa_id: Option<&str>,
        user_id: Option<&str>,
        name: Option<&str>,
        anonymous_key: &str,
    ) -> ErasedIdentity {
        let mut identifiers: Vec<String> = Vec::new();
        for id in [Some(key), wa_id, user_id].into_iter().flatten() {
            let id = id.trim();
            if id.is_empty() {
                continue;
            }
            let forms = match normalise_phone(id) {
                Some(number) => phone_forms(&number),
                None => vec![id.to_string()],
            };
            for form in forms {
                if !identifiers.contains(&form) {
                    identifiers.push(form);
                }
            }
        }
        ErasedIdentity {
            identifiers,
            name: name
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string),
            anonymous_key: anonymous_key.to_string(),
        }
    }

    /// Whether `value` is one of the identifiers (whole).
    pub fn is(&self, value: &str) -> bool {
        self.identifiers.iter().any(|id| id == value)
    }

    /// What a store searches texts for: identifiers long enough to be unambiguous and the
    /// name.
    pub fn needles(&self) -> Vec<String> {
        let mut needles: Vec<String> = self
            .identifiers
            .iter()
            .filter(|id| id.chars().count() >= MIN_SEARCHED_CHARS)
            .cloned()
            .collect();
        if let Some(name) = self.name.as_ref().filter(|n| {
            n.chars().count() >= MIN_SEARCHED_NAME_CHARS && n.chars().any(char::is_alphabetic)
        }) {
            needles.push(name.clone());
        }
        needles
    }

    /// Whether `text` mentions the citizen (an identifier or the name).
    pub fn mentioned_in(&self, text: &str) -> bool {
        self.needles().iter().any(|n| text.contains(n.as_str()))
    }

    /// `text` with every identifier and the name replaced by [`ERASED_MASK`].
    pub fn scrub(&self, text: &str) -> String {
        let mut needles = self.needles();
        // Longest first: `+62812…` before `62812…`, which it contains.
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        let mut out = text.to_string();
        for needle in needles {
            if out.contains(needle.as_str()) {
                out = out.replace(needle.as_str(), ERASED_MASK);
            }
        }
        out
    }

    /// A free text that is kept: personal data masked as in open data (NIK, phone numbers,
    /// e-mail addresses, the reporter's name and introduced names), then the identifiers.
    pub fn redact(&self, text: &str) -> String {
        self.scrub(&redact_description(text, self.name.as_deref()))
    }

    /// Every string inside `value` scrubbed, and every string equal to an identifier replaced
    /// by the anonymous key. Returns whether anything changed.
    pub fn scrub_json(&self, value: &mut Value) -> bool {
        match value {
            Value::String(s) => {
                let replaced = if self.is(s) {
                    self.anonymous_key.clone()
                } else {
                    self.scrub(s)
                };
                let changed = replaced != *s;
                *s = replaced;
                changed
            }
            Value::Array(items) => items
                .iter_mut()
                .fold(false, |changed, item| self.scrub_json(item) | changed),
            Value::Object(map) => map
                .values_mut()
                .fold(false, |changed, item| self.scrub_json(item) | changed),
            _ => false,
        }
    }
}

fn redact_location(identity: &ErasedIdentity, location: &mut ComplaintLocation) {
    match location {
        ComplaintLocation::Pin { name, address, .. } => {
            for field in [name, address] {
                if let Some(text) = field.as_mut() {
                    *text = identity.redact(text);
                }
            }
        }
        ComplaintLocation::Typed { text } => *text = identity.redact(text),
    }
}

fn redact_photos(identity: &ErasedIdentity, photos: &mut [Photo]) {
    for photo in photos {
        if let Some(caption) = photo.caption.as_mut() {
            *caption = identity.redact(caption);
        }
        // The file is deleted with the citizen's other data; a key would point at nothing.
        photo.stored_key = None;
    }
}

fn redact_info(identity: &ErasedIdentity, info: &mut AddedInfo) {
    if let Some(text) = info.text.as_mut() {
        *text = identity.redact(text);
    }
    redact_photos(identity, &mut info.photos);
    if let Some(location) = info.location.as_mut() {
        redact_location(identity, location);
    }
}

/// Every blob key of a complaint's photos (the description's and the timeline's), to delete
/// before the complaint forgets them.
pub fn photo_keys(complaint: &Complaint) -> Vec<String> {
    let mut keys: Vec<String> = complaint
        .all_photos()
        .filter_map(|p| p.stored_key.clone())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// A complaint without the erased citizen: their reporter identity replaced by the anonymous
/// key, the name gone, the texts redacted (names, numbers, NIK), photo files forgotten, and
/// the citizen off the followers. Status, category, OPD, location, timeline and deadlines stay,
/// so an open complaint goes on for the OPD. Returns whether anything changed.
pub fn anonymise_complaint(complaint: &mut Complaint, identity: &ErasedIdentity) -> bool {
    let before = complaint.clone();
    let reporter = identity.is(&complaint.citizen_key);
    if reporter {
        complaint.citizen_key = identity.anonymous_key.clone();
        complaint.reporter_name = None;
        complaint.description = identity.redact(&complaint.description);
        if let Some(location) = complaint.location.as_mut() {
            redact_location(identity, location);
        }
        redact_photos(identity, &mut complaint.photos);
        if let Some(comment) = complaint.rating.as_mut().and_then(|r| r.comment.as_mut()) {
            *comment = identity.redact(comment);
        }
    }
    complaint.followers.retain(|f| !identity.is(f));
    for event in &mut complaint.events {
        let theirs = identity.is(&event.actor.id);
        if theirs {
            event.actor.id = identity.anonymous_key.clone();
        }
        if reporter || theirs {
            for note in [&mut event.public_note, &mut event.internal_note] {
                if let Some(text) = note.as_mut() {
                    *text = identity.redact(text);
                }
            }
            if let Some(info) = event.info.as_mut() {
                redact_info(identity, info);
            }
        }
    }
    // Whatever else still names them (an operator's note on someone else's complaint).
    if identity.mentioned_in(&serde_json::to_string(&*complaint).unwrap_or_default()) {
        if let Ok(mut value) = serde_json::to_value(&*complaint) {
            identity.scrub_json(&mut value);
            if let Ok(scrubbed) = serde_json::from_value::<Complaint>(value) {
                *complaint = scrubbed;
            }
        }
    }
    *complaint != before
}

/// A webhook body (Meta's JSON) with the erased citizen cut out: their `contacts[]` entries,
/// `messages[]` and `statuses[]` go; other citizens of the same batch stay. Whatever still
/// names them (a quoted number in someone else's message) is scrubbed. `None` when the body
/// does not mention them; a body that is not JSON is scrubbed as text.
pub fn cut_from_webhook(body: &str, identity: &ErasedIdentity) -> Option<String> {
    if !identity.mentioned_in(body) && !identity.identifiers.iter().any(|i| body.contains(i)) {
        return None;
    }
    let Ok(mut value) = serde_json::from_str::<Value>(body) else {
        return Some(identity.scrub(body));
    };
    let theirs = |item: &Value, fields: &[&str]| {
        fields.iter().any(|f| {
            item.get(*f)
                .and_then(Value::as_str)
                .is_some_and(|v| identity.is(v))
        })
    };
    if let Some(entries) = value.get_mut("entry").and_then(Value::as_array_mut) {
        for entry in entries {
            let Some(changes) = entry.get_mut("changes").and_then(Value::as_array_mut) else {
                continue;
            };
            for change in changes {
                let Some(inner) = change.get_mut("value").and_then(Value::as_object_mut) else {
                    continue;
                };
                let rules: [(&str, &[&str]); 3] = [
                    ("contacts", &["wa_id", "user_id"]),
                    ("messages", &["from", "from_user_id"]),
                    ("statuses", &["recipient_id", "recipient_user_id"]),
                ];
                for (list, fields) in rules {
                    if let Some(items) = inner.get_mut(list).and_then(Value::as_array_mut) {
                        items.retain(|item| !theirs(item, fields));
                    }
                }
            }
        }
    }
    identity.scrub_json(&mut value);
    Some(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_normalised_from_what_officials_type() {
        let cases = [
            ("6281234567890", Some("6281234567890")),
            ("+62 812-3456-7890", Some("6281234567890")),
            ("0812 3456 7890", Some("6281234567890")),
            ("(0812) 3456.7890", Some("6281234567890")),
            ("812", None),
            ("62abc", None),
            ("", None),
            ("+1 555 123 4567", None),
            ("0812345678901234567890", None),
        ];
        for (input, expected) in cases {
            assert_eq!(normalise_phone(input).as_deref(), expected, "{input}");
        }
        assert_eq!(
            phone_forms("6281234567890"),
            ["6281234567890", "+6281234567890", "081234567890"]
        );
    }

    #[test]
    fn short_or_symbolic_names_are_not_searched_for() {
        for name in [".", "A", "Ani", "😀😀😀😀😀😀", "123456"] {
            let identity = ErasedIdentity::new("6281111111111", None, None, Some(name), "erased-x");
            assert!(!identity.needles().contains(&name.to_string()), "{name}");
            assert_eq!(identity.scrub("Ani dan A. menunggu"), "Ani dan A. menunggu");
        }
        let identity = ErasedIdentity::new("6281111111111", None, None, Some("Wulan Pertiwi"), "e");
        assert!(identity.needles().contains(&"Wulan Pertiwi".to_string()));
    }

    #[test]
    fn a_webhook_batch_loses_one_citizen_and_keeps_the_other() {
        let identity = ErasedIdentity::new(
            "6281111111111",
            Some("6281111111111"),
            None,
            Some("Sari Wulan"),
            "erased-x",
        );
        let body = serde_json::json!({"entry": [{"changes": [{"field": "messages", "value": {
            "contacts": [
                {"wa_id": "6281111111111", "profile": {"name": "Sari Wulan"}},
                {"wa_id": "6282222222222", "profile": {"name": "Budi"}}
            ],
            "messages": [
                {"from": "6281111111111", "id": "wamid.a", "text": {"body": "halo"}},
                {"from": "6282222222222", "id": "wamid.b", "text": {"body": "nomor Sari 081111111111"}}
            ]
        }}]}]})
        .to_string();
        let cut = cut_from_webhook(&body, &identity).expect("mentioned");
        for gone in ["6281111111111", "081111111111", "Sari Wulan", "wamid.a"] {
            assert!(!cut.contains(gone), "{gone} in {cut}");
        }
        assert!(cut.contains("6282222222222") && cut.contains("wamid.b") && cut.contains("Budi"));
        assert_eq!(cut_from_webhook(&cut, &identity), None);
    }
}
