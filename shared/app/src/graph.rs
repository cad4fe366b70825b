//! WhatsApp Cloud API (Graph) client: the production `Messenger`.
//!
//! One POST per message, no retries: the caller owns the outbox and decides, from the
//! `SendError` class, whether to retry, fall back to a template or alert an operator. Errors
//! are classified by Meta's `error.code`; the HTTP status only decides what an unknown code
//! means (on a 5xx the message may have gone out: ambiguous; on a 4xx: rejected).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

use crate::ports::{Messenger, OutboundMessage, SecretsProvider, SendError, SendReceipt};

/// Upper bound for one send, connection included. Lambda bills the wait and the dialog
/// worker handles a whole FIFO batch per invocation, so a stuck call must not eat the budget.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Lambda freezes the process between invocations; a pooled connection that Meta closed in the
/// meantime would fail the next request after it was (maybe) written, which we would have to
/// report as ambiguous. Dropping idle connections early avoids most of those.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(20);
/// Often-quoted limit for `biz_opaque_callback_data`; our ids are far shorter, so a longer one
/// is a bug upstream rather than something to truncate silently.
const MAX_CALLBACK_DATA_CHARS: usize = 512;

/// Where to send messages. `base_url` has no version segment (`https://graph.facebook.com`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphConfig {
    pub base_url: String,
    /// `v25.0` style; a leading `v` is added when missing.
    pub api_version: String,
    pub phone_number_id: String,
}

impl GraphConfig {
    /// `{base_url}/{version}/{phone_number_id}/messages`.
    pub fn messages_url(&self) -> String {
        self.node_url(&self.phone_number_id, "messages")
    }

    /// `{base_url}/{version}/{node}/{edge}`: an edge of a Graph node (the phone number's
    /// messages, the business account's message templates).
    pub fn node_url(&self, node: &str, edge: &str) -> String {
        let base = self.base_url.trim().trim_end_matches('/');
        let version = self.api_version.trim().trim_matches('/');
        let version = if version.starts_with('v') {
            version.to_owned()
        } else {
            format!("v{version}")
        };
        format!("{base}/{version}/{}/{edge}", node.trim().trim_matches('/'))
    }
}

/// A Graph API error body (`{"error": {...}}`), reduced to what decisions and operators need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaError {
    pub code: i64,
    pub message: String,
    /// Graph's `type` (`OAuthException`, …); empty when absent.
    pub error_type: String,
    /// `error_data.details`: the human explanation Meta recommends showing operators.
    pub details: Option<String>,
    /// Quote this to Meta support.
    pub fbtrace_id: Option<String>,
}

impl MetaError {
    /// Parses a Graph error body; `None` when the bytes are not one (HTML from a proxy, a
    /// success body, garbage).
    pub fn parse(body: &[u8]) -> Option<MetaError> {
        let value: Value = serde_json::from_slice(body).ok()?;
        let error = value.get("error")?.as_object()?;
        let code = match error.get("code")? {
            Value::Number(number) => number.as_i64()?,
            // Seen from some proxies and older endpoints: the code as a string.
            Value::String(text) => text.trim().parse().ok()?,
            _ => return None,
        };
        let text = |key: &str| {
            error
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .filter(|value| !value.is_empty())
        };
        let details = match error.get("error_data") {
            Some(Value::Object(data)) => data
                .get("details")
                .and_then(Value::as_str)
                .map(str::to_owned),
            // Older Graph responses put a plain string in `error_data`.
            Some(Value::String(data)) => Some(data.clone()),
            _ => None,
        }
        .filter(|details| !details.is_empty());
        Some(MetaError {
            code,
            message: text("message").unwrap_or_default(),
            error_type: text("type").unwrap_or_default(),
            details,
            fbtrace_id: text("fbtrace_id"),
        })
    }

    /// The decision the caller acts on when no HTTP status goes with the error.
    pub fn to_send_error(&self) -> SendError {
        send_error_for_code(self.code, self.operator_message())
    }

    /// The decision for an error answered with `http_status` (see [`send_error_for_response`]).
    pub fn to_send_error_for_status(&self, http_status: u16) -> SendError {
        send_error_for_response(http_status, self.code, self.operator_message())
    }

    fn operator_message(&self) -> String {
        let message = match &self.details {
            Some(details) if !self.message.contains(details.as_str()) => {
                format!("{} ({details})", self.message)
            }
            _ => self.message.clone(),
        };
        message
    }
}

impl std::fmt::Display for MetaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Graph error {}: {}", self.code, self.message)?;
        if let Some(details) = &self.details {
            write!(f, " ({details})")?;
        }
        if let Some(trace) = &self.fbtrace_id {
            write!(f, " [fbtrace_id {trace}]")?;
        }
        Ok(())
    }
}

/// Maps a Meta error code to a send decision when no HTTP status goes with it: the codes of
/// asynchronous `failed` statuses, which carry the same numbering and are always definitive
/// (the message did not go out), so an unknown code there is `Rejected`.
///
/// The table follows Meta's error-code reference (`support/error-codes`, summarised in the
/// team kit's `reference/whatsapp-cloud-api.md` §5.4, column "Retry?").
pub fn send_error_for_code(code: i64, message: impl Into<String>) -> SendError {
    let message = message.into();
    match code {
        // §5.4 "Yes, with backoff / later": throttling (130429 throughput, 131056 pair rate,
        // 4 app rate, 80007 WABA rate), temporary downtime (2, 131016, 133004), maintenance
        // (131057), unknown send failure (131000), pending deletion (133015). The same
        // message may go through later.
        130429 | 131056 | 2 | 4 | 80007 | 131016 | 131057 | 133004 | 131000 | 133015 => {
            SendError::Retryable {
                code: Some(code),
                message,
            }
        }
        131047 => SendError::OutsideWindow,
        // §5.4 "No — fix token/permissions, escalate": token, permission or account
        // problems; every further send would fail the same way.
        0 | 3 | 10 | 190 | 200..=299 | 368 | 131031 => SendError::Fatal { code, message },
        _ => SendError::Rejected { code, message },
    }
}

/// Codes §5.4 of the reference marks "No" (retrying the same request cannot help): they stay
/// final whatever the HTTP status. Fatal codes and 131047 are handled before this list.
fn is_known_permanent(code: i64) -> bool {
    matches!(
        code,
        33 | 100
            | 130403
            | 130472
            | 130497
            | 131005
            | 131008
            | 131009
            | 131021
            | 131026
            | 131037
            | 131042
            | 131045
            | 131048
            | 131049
            | 131050
            | 131051
            | 131052
            | 131053
            | 131062
            | 131063
            | 131064
            | 132000
            | 132001
            | 132005
            | 132007
            | 132008
            | 132012
            | 132015
            | 132016
            | 132068
            | 133000
            | 133006
            | 133010
            | 134011
            | 135000
    )
}

/// Maps a synchronous Graph error (HTTP status + `error.code`) to a send decision.
///
/// Meta answers most errors with 400 and "some 5xx" (§5.4), and documents code 1 as "Invalid
/// request or possible server error". A 5xx means the request may have been processed, so
/// unless the code is a known transient (`Retryable`) or known permanent one, a 5xx is
/// `Ambiguous`: the sender reconciles with status webhooks, then sends again. Dropping it as
/// `Rejected` would lose a reply to a hiccup on Meta's side. Only on a 4xx is an unknown code
/// (and code 1, "check request") final.
pub fn send_error_for_response(
    http_status: u16,
    code: i64,
    message: impl Into<String>,
) -> SendError {
    let decision = send_error_for_code(code, message);
    match decision {
        SendError::Rejected { code, message }
            if (500..=599).contains(&http_status) && !is_known_permanent(code) =>
        {
            SendError::Ambiguous {
                message: format!(
                    "HTTP {http_status} with Graph error {code} ({message}); the message may have been sent"
                ),
            }
        }
        other => other,
    }
}

/// An HTTP client for the Graph API: bounded connect and total time, no redirects (Graph does
/// not redirect; following one would point our bearer token at another URL).
pub fn http_client() -> reqwest::Client {
    bounded_http_client(CONNECT_TIMEOUT, DEFAULT_TIMEOUT)
}

/// An HTTP client for an API called with a bearer token (Graph, SP4N-LAPOR!): `connect` and
/// `total` time bounded, no redirects (one would carry the token to another URL).
pub fn bounded_http_client(connect: Duration, total: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(connect)
        .timeout(total)
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("prolink-sakti/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|error| {
            // Only a broken TLS backend makes the builder fail; the plain client still works
            // for plain-HTTP test endpoints and will report the TLS problem per request.
            tracing::error!(%error, "could not build the tuned HTTP client");
            reqwest::Client::default()
        })
}

/// Sends `OutboundMessage`s through `POST /{version}/{phone_number_id}/messages`.
pub struct GraphMessenger {
    config: GraphConfig,
    secrets: Arc<dyn SecretsProvider>,
    http: reqwest::Client,
    timeout: Duration,
}

impl GraphMessenger {
    pub fn new(
        config: GraphConfig,
        secrets: Arc<dyn SecretsProvider>,
        http: reqwest::Client,
    ) -> Self {
        GraphMessenger {
            config,
            secrets,
            http,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Overrides the per-request timeout (the client passed in may have none).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn config(&self) -> &GraphConfig {
        &self.config
    }

    async fn access_token(&self) -> Result<String, SendError> {
        let secrets = self
            .secrets
            .whatsapp()
            .await
            .map_err(|error| SendError::Retryable {
                code: None,
                message: format!("could not read the WhatsApp secrets: {error}"),
            })?;
        secrets
            .access_token
            .filter(|token| !token.trim().is_empty())
            .map(|token| token.trim().to_owned())
            .ok_or_else(|| SendError::Fatal {
                code: 0,
                message: "no WhatsApp access token configured (access_token is empty)".into(),
            })
    }
}

#[async_trait]
impl Messenger for GraphMessenger {
    async fn send(&self, message: &OutboundMessage) -> Result<SendReceipt, SendError> {
        if self.config.phone_number_id.trim().is_empty() {
            return Err(SendError::Fatal {
                code: 0,
                message: "no WhatsApp phone number id configured".into(),
            });
        }
        let mark_as_read = is_mark_as_read(&message.body);
        let body = request_body(message, mark_as_read)?;
        let token = self.access_token().await?;
        let url = self.config.messages_url();

        tracing::debug!(outbox_id = %message.outbox_id, mark_as_read, "sending to the Graph API");
        let response = self
            .http
            .post(&url)
            .bearer_auth(token)
            .timeout(self.timeout)
            .json(&body)
            .send()
            .await
            .map_err(transport_error)?;

        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|error| SendError::Ambiguous {
                message: format!("HTTP {status} but the response body could not be read: {error}"),
            })?;

        if let Some(meta) = MetaError::parse(&bytes) {
            tracing::warn!(
                outbox_id = %message.outbox_id,
                http_status = status.as_u16(),
                code = meta.code,
                error_type = %meta.error_type,
                fbtrace_id = meta.fbtrace_id.as_deref().unwrap_or(""),
                "Graph API refused a message"
            );
            return Err(meta.to_send_error_for_status(status.as_u16()));
        }
        if status.is_success() {
            return parse_success(&bytes, mark_as_read).ok_or_else(|| {
                tracing::warn!(
                    outbox_id = %message.outbox_id,
                    http_status = status.as_u16(),
                    "Graph API success response without the expected shape"
                );
                SendError::Ambiguous {
                    message: format!(
                        "HTTP {status} without a message id in the response; the message may have been sent"
                    ),
                }
            });
        }
        Err(status_error(status))
    }
}

/// Mark-as-read and typing-indicator bodies (`"status": "read"`) are not messages: they get no
/// callback data and answer `{"success": true}`.
fn is_mark_as_read(body: &Value) -> bool {
    body.get("status").and_then(Value::as_str) == Some("read")
}

fn request_body(message: &OutboundMessage, mark_as_read: bool) -> Result<Value, SendError> {
    let mut body = message.body.clone();
    let Some(object) = body.as_object_mut() else {
        return Err(SendError::Invalid(
            "the message body is not a JSON object".into(),
        ));
    };
    if !mark_as_read {
        if message.outbox_id.is_empty()
            || message.outbox_id.chars().count() > MAX_CALLBACK_DATA_CHARS
        {
            return Err(SendError::Invalid(format!(
                "outbox id must be 1..={MAX_CALLBACK_DATA_CHARS} characters"
            )));
        }
        object.insert(
            "biz_opaque_callback_data".into(),
            Value::String(message.outbox_id.clone()),
        );
    }
    Ok(body)
}

fn parse_success(bytes: &[u8], mark_as_read: bool) -> Option<SendReceipt> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    let wamid = value
        .get("messages")
        .and_then(|messages| messages.get(0))
        .and_then(|first| first.get("id"))
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty());
    let wamid = match wamid {
        Some(id) => id.to_owned(),
        None if mark_as_read && value.get("success").and_then(Value::as_bool) == Some(true) => {
            String::new()
        }
        None => return None,
    };
    Some(SendReceipt {
        wamid,
        newly_sent: true,
    })
}

/// A non-2xx answer without a Graph error body: not Meta speaking (proxy, load balancer,
/// wrong URL).
fn status_error(status: reqwest::StatusCode) -> SendError {
    if status.is_server_error() || status == reqwest::StatusCode::REQUEST_TIMEOUT {
        SendError::Ambiguous {
            message: format!(
                "HTTP {status} without a Graph error body; the message may have been sent"
            ),
        }
    } else if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        SendError::Retryable {
            code: None,
            message: format!("HTTP {status} without a Graph error body"),
        }
    } else {
        // Every message would meet the same answer: a configuration problem for an operator.
        SendError::Fatal {
            code: 0,
            message: format!(
                "HTTP {status} without a Graph error body; check the Graph URL and API version"
            ),
        }
    }
}

fn transport_error(error: reqwest::Error) -> SendError {
    // `without_url` keeps query strings and hosts of test doubles out of logs; the token is
    // in a header and never part of the error text.
    let error = error.without_url();
    if error.is_builder() {
        SendError::Fatal {
            code: 0,
            message: format!("could not build the Graph request: {error}"),
        }
    } else if error.is_connect() {
        // The connection (TCP or TLS) never came up, so nothing was sent.
        SendError::Retryable {
            code: None,
            message: format!("could not connect to the Graph API: {error}"),
        }
    } else if error.is_timeout() {
        SendError::Ambiguous {
            message: format!("Graph API call timed out; the message may have been sent: {error}"),
        }
    } else {
        SendError::Ambiguous {
            message: format!("Graph API call failed after the request may have left: {error}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_url_normalises_slashes_and_version() {
        let config = GraphConfig {
            base_url: "https://graph.facebook.com/".into(),
            api_version: "25.0".into(),
            phone_number_id: "123".into(),
        };
        assert_eq!(
            config.messages_url(),
            "https://graph.facebook.com/v25.0/123/messages"
        );
    }

    #[test]
    fn parses_meta_error_with_string_error_data() {
        let body = br#"{"error":{"message":"bad","type":"GraphMethodException","code":"100","error_data":"field x"}}"#;
        let meta = MetaError::parse(body);
        assert_eq!(
            meta,
            Some(MetaError {
                code: 100,
                message: "bad".into(),
                error_type: "GraphMethodException".into(),
                details: Some("field x".into()),
                fbtrace_id: None,
            })
        );
    }

    #[test]
    fn success_body_is_not_a_meta_error() {
        assert_eq!(
            MetaError::parse(br#"{"messages":[{"id":"wamid.X"}]}"#),
            None
        );
        assert_eq!(MetaError::parse(b"<html>502</html>"), None);
    }

    #[test]
    fn mark_as_read_body_keeps_no_callback_data() {
        let message = OutboundMessage {
            outbox_id: "ob-1".into(),
            body: serde_json::json!({"messaging_product":"whatsapp","status":"read","message_id":"wamid.A"}),
        };
        let body = request_body(&message, is_mark_as_read(&message.body));
        assert!(matches!(body, Ok(ref b) if b == &message.body));
    }
}
