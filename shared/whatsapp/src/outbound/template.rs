//! Message templates: the only messages allowed outside the 24-hour window. Their parameter
//! types and the builder that checks them against Meta's rules.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{
    check_url, count, envelope, invalid, limits, optional, required, BuildError, BuildResult,
    MediaSource, ReplyAddress,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub name: String,
    /// Must match an approved translation (`id`, `en_US` …).
    pub language_code: String,
    #[serde(default)]
    pub components: Vec<TemplateComponent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum TemplateComponent {
    Header {
        parameters: Vec<TemplateParameter>,
    },
    Body {
        parameters: Vec<TemplateParameter>,
    },
    Button {
        sub_type: TemplateButtonType,
        /// 0-based position of the button in the template.
        index: u8,
        parameters: Vec<TemplateParameter>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateButtonType {
    QuickReply,
    Url,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum TemplateParameter {
    /// Positional (`{{1}}`) when `parameter_name` is `None`, named (`{{nama}}`) otherwise.
    Text {
        text: String,
        #[serde(default)]
        parameter_name: Option<String>,
    },
    /// Quick-reply payload; comes back as `button.payload`.
    Payload {
        payload: String,
    },
    Currency {
        fallback_value: String,
        code: String,
        amount_1000: i64,
    },
    DateTime {
        fallback_value: String,
    },
    Image {
        source: MediaSource,
    },
    Video {
        source: MediaSource,
    },
    Document {
        source: MediaSource,
        #[serde(default)]
        filename: Option<String>,
    },
}

/// An approved template (the only thing allowed outside the 24-hour window).
pub fn template(to: &ReplyAddress, template: &Template) -> BuildResult {
    let name = template.name.as_str();
    required("template name", name, limits::TEMPLATE_NAME)?;
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(invalid(
            "template name",
            "only lowercase letters, digits and underscores",
        ));
    }
    required("template language code", &template.language_code, 16)?;
    let mut buttons_seen = HashSet::new();
    let mut components = Vec::with_capacity(template.components.len());
    for component in &template.components {
        let json = match component {
            TemplateComponent::Header { parameters } => {
                count("template header parameters", parameters.len(), 1, 1)?;
                json!({ "type": "header", "parameters": parameters_json("header", parameters)? })
            }
            TemplateComponent::Body { parameters } => {
                json!({ "type": "body", "parameters": parameters_json("body", parameters)? })
            }
            TemplateComponent::Button {
                sub_type,
                index,
                parameters,
            } => {
                if *index > limits::TEMPLATE_MAX_BUTTON_INDEX {
                    return Err(invalid("template button index", "must be 0 to 9"));
                }
                if !buttons_seen.insert(*index) {
                    return Err(BuildError::Duplicate {
                        field: "template button index".into(),
                        value: index.to_string(),
                    });
                }
                count("template button parameters", parameters.len(), 1, 1)?;
                let sub_type = match sub_type {
                    TemplateButtonType::QuickReply => "quick_reply",
                    TemplateButtonType::Url => "url",
                };
                let field = format!("template {sub_type} button {index}");
                let parameter_ok = parameters.iter().all(|p| match sub_type {
                    "quick_reply" => matches!(p, TemplateParameter::Payload { .. }),
                    _ => matches!(p, TemplateParameter::Text { .. }),
                });
                if !parameter_ok {
                    return Err(invalid(
                        &field,
                        "quick_reply takes a payload parameter, url a text parameter",
                    ));
                }
                json!({
                    "type": "button",
                    "sub_type": sub_type,
                    "index": index.to_string(),
                    "parameters": parameters_json(&field, parameters)?
                })
            }
        };
        components.push(json);
    }
    let mut body = json!({ "name": name, "language": { "code": template.language_code } });
    if !components.is_empty() {
        body["components"] = Value::Array(components);
    }
    envelope(to, "template", body)
}

fn parameters_json(field: &str, parameters: &[TemplateParameter]) -> Result<Value, BuildError> {
    let mut out = Vec::with_capacity(parameters.len());
    for (i, parameter) in parameters.iter().enumerate() {
        let at = format!("template {field} parameter {}", i + 1);
        let json = match parameter {
            TemplateParameter::Text {
                text,
                parameter_name,
            } => {
                required(&at, text, usize::MAX)?;
                let mut json = json!({ "type": "text", "text": text });
                if let Some(name) = parameter_name {
                    required(&format!("{at} name"), name, usize::MAX)?;
                    json["parameter_name"] = Value::String(name.clone());
                }
                json
            }
            TemplateParameter::Payload { payload } => {
                required(&at, payload, usize::MAX)?;
                json!({ "type": "payload", "payload": payload })
            }
            TemplateParameter::Currency {
                fallback_value,
                code,
                amount_1000,
            } => {
                required(&format!("{at} fallback_value"), fallback_value, usize::MAX)?;
                if code.len() != 3 || !code.chars().all(|c| c.is_ascii_uppercase()) {
                    return Err(invalid(&at, "currency code must be ISO 4217 (e.g. IDR)"));
                }
                json!({
                    "type": "currency",
                    "currency": { "fallback_value": fallback_value, "code": code, "amount_1000": amount_1000 }
                })
            }
            TemplateParameter::DateTime { fallback_value } => {
                required(&format!("{at} fallback_value"), fallback_value, usize::MAX)?;
                json!({ "type": "date_time", "date_time": { "fallback_value": fallback_value } })
            }
            TemplateParameter::Image { source } => {
                json!({ "type": "image", "image": media_source_json(&at, source)? })
            }
            TemplateParameter::Video { source } => {
                json!({ "type": "video", "video": media_source_json(&at, source)? })
            }
            TemplateParameter::Document { source, filename } => {
                let mut document = media_source_json(&at, source)?;
                if let Some(filename) =
                    optional(&format!("{at} filename"), filename.as_deref(), 240)?
                {
                    document["filename"] = Value::String(filename);
                }
                json!({ "type": "document", "document": document })
            }
        };
        out.push(json);
    }
    Ok(Value::Array(out))
}

fn media_source_json(field: &str, source: &MediaSource) -> Result<Value, BuildError> {
    match source {
        MediaSource::Id(id) => {
            required(&format!("{field} media id"), id, usize::MAX)?;
            Ok(json!({ "id": id }))
        }
        MediaSource::Link(link) => {
            check_url(&format!("{field} media link"), link, &["https://"])?;
            Ok(json!({ "link": link }))
        }
    }
}
