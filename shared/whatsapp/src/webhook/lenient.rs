//! Lenient serde helpers: an element that does not fit its model is dropped (and logged without
//! its content) instead of failing the whole payload.

use serde::de::{DeserializeOwned, Deserializer};
use serde::Deserialize;
use serde_json::Value;

/// Elements of an array that fit `T`; the others are dropped and logged (without content,
/// which may be a citizen's text).
pub(super) fn lenient_elements<T: DeserializeOwned>(value: Option<Value>, what: &str) -> Vec<T> {
    let Some(Value::Array(items)) = value else {
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(|item| match serde_json::from_value::<T>(item) {
            Ok(parsed) => Some(parsed),
            Err(error) => {
                tracing::warn!(what, category = ?error.classify(), "malformed webhook element skipped");
                None
            }
        })
        .collect()
}

pub(super) fn lenient_vec<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = Option::<Value>::deserialize(deserializer)?;
    Ok(lenient_elements(value, std::any::type_name::<T>()))
}

pub(super) fn lenient_opt<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = Option::<Value>::deserialize(deserializer)?;
    Ok(value.and_then(|v| serde_json::from_value(v).ok()))
}

pub(super) fn lenient_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    Ok(lenient_opt(deserializer)?.unwrap_or_default())
}

pub(super) fn lenient_string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<String, D::Error> {
    lenient_default(deserializer)
}

pub(super) fn string_or_number_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// Meta sends Unix timestamps as strings; test tools often send numbers.
pub(super) fn string_or_number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<String, D::Error> {
    Ok(Option::<Value>::deserialize(deserializer)?
        .map(|v| string_or_number_value(&v))
        .unwrap_or_default())
}

pub(super) fn opt_string_or_number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    Ok(Option::<Value>::deserialize(deserializer)?
        .map(|v| string_or_number_value(&v))
        .filter(|s| !s.is_empty()))
}
