//! The SP4N-LAPOR! integration API over HTTP. LAPOR documents its API only to registered
//! accounts, so everything that names LAPOR's side is configuration: the base URL
//! (`PROLINK_LAPOR_BASE_URL`; unset = manual mode, nothing is posted), the token (the
//! secret's `lapor_token`), and the paths and field names in a mapping file
//! (`infra/lapor/mapping.json`, built in; `PROLINK_LAPOR_MAPPING` names another).
//!
//! The create sends the idempotency key as a header and in the body; `find` looks a key up
//! (a retry after a lost answer). Timeouts, 5xx, 401/403/408/429 and unreadable answers are
//! retried by the outbox; any other 4xx is a refusal.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value};

use prolink_domain::lapor::RemoteStatus;

use crate::ports::{LaporError, LaporGateway, LaporRemote, LaporSubmission, LaporTokenSource};

/// The built-in mapping.
pub const DEFAULT_MAPPING: &str = include_str!("../../../infra/lapor/mapping.json");
/// Longest answer read from LAPOR (a report's status is small).
const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// Where LAPOR's API puts what we read and write.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaporMapping {
    pub create_path: String,
    /// `{key}` is replaced by the idempotency key.
    pub find_path: String,
    /// `{id}` is replaced by the tracking id.
    pub status_path: String,
    pub idempotency_header: String,
    #[serde(default)]
    pub idempotency_field: Option<String>,
    /// Dotted paths into the answers (`data.tracking_id`).
    pub id_field: String,
    pub status_field: String,
    #[serde(default)]
    pub answer_field: Option<String>,
    pub timeout_ms: u64,
    pub instansi: String,
    /// Our field (a key of `prolink_domain::lapor::FORM_FIELDS`, or `reporter_name`,
    /// `reporter_phone`, `ticket`) → LAPOR's name; an absent field is not sent.
    pub fields: BTreeMap<String, String>,
    /// LAPOR's status words → ours (`selesai`, `proses` …), for words
    /// [`RemoteStatus::parse`] does not know.
    #[serde(default)]
    pub status_values: BTreeMap<String, String>,
}

impl LaporMapping {
    /// Reads a mapping and checks it is usable.
    pub fn parse(text: &str) -> Result<LaporMapping, String> {
        let mapping: LaporMapping =
            serde_json::from_str(text).map_err(|e| format!("LAPOR mapping: {e}"))?;
        if !mapping.find_path.contains("{key}") {
            return Err("LAPOR mapping: find_path must contain {key}".into());
        }
        if !mapping.status_path.contains("{id}") {
            return Err("LAPOR mapping: status_path must contain {id}".into());
        }
        if mapping.timeout_ms == 0 {
            return Err("LAPOR mapping: timeout_ms must be positive".into());
        }
        for ours in mapping.fields.keys() {
            let known = prolink_domain::lapor::FORM_FIELDS
                .iter()
                .any(|(k, _)| k == ours)
                || matches!(ours.as_str(), "reporter_name" | "reporter_phone" | "ticket");
            if !known {
                return Err(format!("LAPOR mapping: unknown field {ours:?}"));
            }
        }
        Ok(mapping)
    }

    pub fn builtin() -> LaporMapping {
        // The file is part of the build and checked by a test.
        Self::parse(DEFAULT_MAPPING).unwrap_or_else(|e| panic!("built-in LAPOR mapping: {e}"))
    }

    /// The body of a create, in LAPOR's names.
    pub fn body(&self, submission: &LaporSubmission) -> Value {
        let form = &submission.form;
        let mut ours: Vec<(&str, Value)> = vec![
            ("klasifikasi", Value::from(form.klasifikasi.label())),
            ("judul", Value::from(form.judul.clone())),
            ("isi", Value::from(form.isi.clone())),
            (
                "tanggal_kejadian",
                Value::from(form.tanggal_kejadian.format("%Y-%m-%d").to_string()),
            ),
            (
                "lokasi",
                form.lokasi.clone().map_or(Value::Null, Value::from),
            ),
            ("instansi_tujuan", Value::from(form.instansi_tujuan.clone())),
            ("kategori", Value::from(form.kategori.clone())),
            ("lampiran", Value::from(form.lampiran.clone())),
            ("anonim", Value::from(form.anonim)),
            ("rahasia", Value::from(form.rahasia)),
            ("ticket", Value::from(submission.ticket.clone())),
        ];
        // Identity only when the citizen did not choose anonymity (the use case leaves
        // `reporter` empty otherwise; checked again here so no mapping can leak it).
        if !form.anonim {
            if let Some(reporter) = &submission.reporter {
                if let Some(name) = &reporter.name {
                    ours.push(("reporter_name", Value::from(name.clone())));
                }
                if let Some(phone) = &reporter.phone {
                    ours.push(("reporter_phone", Value::from(phone.clone())));
                }
            }
        }
        let mut body = Map::new();
        for (key, value) in ours {
            if let Some(theirs) = self.fields.get(key) {
                body.insert(theirs.clone(), value);
            }
        }
        if let Some(field) = &self.idempotency_field {
            body.insert(
                field.clone(),
                Value::from(submission.idempotency_key.clone()),
            );
        }
        Value::Object(body)
    }

    fn status(&self, raw: &str) -> Option<RemoteStatus> {
        let mapped = self
            .status_values
            .get(raw.trim())
            .map(String::as_str)
            .unwrap_or(raw);
        RemoteStatus::parse(mapped)
    }
}

/// The adapter.
pub struct HttpLaporGateway {
    http: reqwest::Client,
    base_url: String,
    mapping: LaporMapping,
    token: std::sync::Arc<dyn LaporTokenSource>,
    /// The token as last read and when: read again after [`TOKEN_REFRESH`].
    cached_token: tokio::sync::Mutex<Option<(Option<String>, std::time::Instant)>>,
}

/// How long a read token is used before the source is asked again (a rotation reaches a
/// running function within this).
const TOKEN_REFRESH: Duration = Duration::from_secs(5 * 60);

impl HttpLaporGateway {
    pub fn new(
        base_url: &str,
        mapping: LaporMapping,
        token: std::sync::Arc<dyn LaporTokenSource>,
    ) -> HttpLaporGateway {
        let timeout = Duration::from_millis(mapping.timeout_ms);
        let http = crate::graph::bounded_http_client(timeout.min(Duration::from_secs(5)), timeout);
        HttpLaporGateway {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            mapping,
            token,
            cached_token: tokio::sync::Mutex::new(None),
        }
    }

    async fn token(&self) -> Result<Option<String>, LaporError> {
        let mut cached = self.cached_token.lock().await;
        if let Some((token, at)) = cached.as_ref() {
            if at.elapsed() < TOKEN_REFRESH {
                return Ok(token.clone());
            }
        }
        let token = self
            .token
            .lapor_token()
            .await
            .map_err(|_| LaporError::Unavailable("token tidak dapat dibaca".into()))?;
        *cached = Some((token.clone(), std::time::Instant::now()));
        Ok(token)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<(u16, Value), LaporError> {
        let token = self.token().await?;
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let response = request.send().await.map_err(|e| {
            LaporError::Unavailable(if e.is_timeout() {
                "waktu tunggu habis".to_string()
            } else if e.is_connect() {
                "sambungan gagal".to_string()
            } else {
                "permintaan gagal".to_string()
            })
        })?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|_| LaporError::Unavailable("jawaban terputus".into()))?;
        if bytes.len() > MAX_ANSWER_BYTES {
            return Err(LaporError::Malformed("jawaban terlalu besar".into()));
        }
        if matches!(status, 401 | 403 | 408 | 429) || status >= 500 {
            return Err(LaporError::Unavailable(format!("HTTP {status}")));
        }
        if status == 404 {
            return Ok((status, Value::Null));
        }
        if (400..500).contains(&status) {
            // LAPOR's message may quote what we sent (personal data): only the status code
            // goes into the error.
            return Err(LaporError::Rejected(format!("HTTP {status}")));
        }
        if !(200..300).contains(&status) {
            return Err(LaporError::Malformed(format!("HTTP {status}")));
        }
        let value = serde_json::from_slice(&bytes)
            .map_err(|_| LaporError::Malformed("bukan JSON".into()))?;
        Ok((status, value))
    }
}

/// The value at a dotted path.
fn at<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .try_fold(value, |v, key| v.as_object().and_then(|o| o.get(key)))
}

/// A tracking id as LAPOR may give it: text or a number.
fn id_at(value: &Value, path: &str) -> Option<String> {
    match at(value, path)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Characters safe in a path segment or query value (the key and the id are ours and plain,
/// but a mapping must not turn them into something else).
fn encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[async_trait]
impl LaporGateway for HttpLaporGateway {
    async fn find(&self, idempotency_key: &str) -> Result<Option<String>, LaporError> {
        let path = self
            .mapping
            .find_path
            .replace("{key}", &encode(idempotency_key));
        let (status, value) = self.send(self.http.get(self.url(&path))).await?;
        if status == 404 || value.is_null() {
            return Ok(None);
        }
        // An answer without an id is "no such report"; one with a malformed id is not.
        match at(&value, &self.mapping.id_field) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => id_at(&value, &self.mapping.id_field)
                .map(Some)
                .ok_or_else(|| LaporError::Malformed("nomor pelacakan tidak terbaca".into())),
        }
    }

    async fn create(&self, submission: &LaporSubmission) -> Result<String, LaporError> {
        let request = self
            .http
            .post(self.url(&self.mapping.create_path))
            .header(
                self.mapping.idempotency_header.as_str(),
                submission.idempotency_key.as_str(),
            )
            .json(&self.mapping.body(submission));
        let (status, value) = self.send(request).await?;
        if status == 404 {
            return Err(LaporError::Rejected("HTTP 404".into()));
        }
        id_at(&value, &self.mapping.id_field)
            .ok_or_else(|| LaporError::Malformed("nomor pelacakan tidak ada".into()))
    }

    async fn status(&self, lapor_id: &str) -> Result<LaporRemote, LaporError> {
        let path = self.mapping.status_path.replace("{id}", &encode(lapor_id));
        let (status, value) = self.send(self.http.get(self.url(&path))).await?;
        if status == 404 {
            return Err(LaporError::Rejected(
                "laporan tidak ditemukan (HTTP 404)".into(),
            ));
        }
        let raw = at(&value, &self.mapping.status_field)
            .and_then(Value::as_str)
            .ok_or_else(|| LaporError::Malformed("status tidak ada".into()))?;
        let status = self.mapping.status(raw).ok_or_else(|| {
            LaporError::Malformed(format!(
                "status tidak dikenal: {:?}",
                raw.chars().take(40).collect::<String>()
            ))
        })?;
        let answer = self
            .mapping
            .answer_field
            .as_deref()
            .and_then(|field| at(&value, field))
            .and_then(Value::as_str)
            .map(str::to_string);
        Ok(LaporRemote { status, answer })
    }
}

/// `PROLINK_LAPOR_BASE_URL`: LAPOR's integration API; unset = manual mode.
pub const PROLINK_LAPOR_BASE_URL: &str = "PROLINK_LAPOR_BASE_URL";
/// `PROLINK_LAPOR_MAPPING`: a mapping file replacing the built-in one.
pub const PROLINK_LAPOR_MAPPING: &str = "PROLINK_LAPOR_MAPPING";
/// `PROLINK_LAPOR_MAX_ATTEMPTS`: failed posts before a task is parked (default 6).
pub const PROLINK_LAPOR_MAX_ATTEMPTS: &str = "PROLINK_LAPOR_MAX_ATTEMPTS";

/// The adapter and the outbox settings from the environment; `Ok(None)` in manual mode. A
/// configured but unusable setup is an error (a deployment meant to post must not silently
/// post nothing).
pub fn from_env(
    token: std::sync::Arc<dyn LaporTokenSource>,
) -> Result<Option<(HttpLaporGateway, crate::lapor::LaporSettings)>, String> {
    let Some(base_url) = crate::config::env_opt(PROLINK_LAPOR_BASE_URL) else {
        return Ok(None);
    };
    if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
        return Err(format!("{PROLINK_LAPOR_BASE_URL} must be an http(s) URL"));
    }
    let mapping = match crate::config::env_opt(PROLINK_LAPOR_MAPPING) {
        Some(path) => LaporMapping::parse(
            &std::fs::read_to_string(&path)
                .map_err(|e| format!("{PROLINK_LAPOR_MAPPING} ({path}): {e}"))?,
        )?,
        None => LaporMapping::builtin(),
    };
    let mut settings = crate::lapor::LaporSettings {
        instansi: mapping.instansi.clone(),
        ..Default::default()
    };
    if let Some(raw) = crate::config::env_opt(PROLINK_LAPOR_MAX_ATTEMPTS) {
        settings.max_attempts = raw
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{PROLINK_LAPOR_MAX_ATTEMPTS} must be a positive number"))?;
    }
    Ok(Some((
        HttpLaporGateway::new(&base_url, mapping, token),
        settings,
    )))
}

/// Local mode only: `LAPOR_TOKEN` (beside `WHATSAPP_ACCESS_TOKEN`); on AWS the token is the
/// secret's `lapor_token`.
pub const LAPOR_TOKEN: &str = "LAPOR_TOKEN";
