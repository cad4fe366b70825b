//! The [`Rephraser`] port on Amazon Bedrock Converse (optional generative step, off unless
//! `PROLINK_REPHRASE_MODEL_ID` is set).
//!
//! One `Converse` call per candidate answer: the system prompt and one user message from
//! [`converse_prompt`], temperature 0, a small output budget and a client-side deadline. The
//! citizen is waiting, so there is no retry: a slow, throttled or failing call becomes
//! [`RephraseError::Unavailable`] and the dialog sends the verbatim answer. The question and the
//! passages are never logged (personal data); only the model id, the error kind and the
//! latency are.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_bedrockruntime::{
    config::{retry::RetryConfig, Builder as BedrockConfigBuilder},
    error::{ProvideErrorMetadata, SdkError},
    operation::converse::{ConverseError, ConverseOutput as ConverseResponse},
    types::{
        ContentBlock, ConversationRole, ConverseOutput, InferenceConfiguration, Message,
        StopReason, SystemContentBlock,
    },
    Client,
};
use tracing::{info, warn};

use prolink_app::ports::Rephraser;
use prolink_domain::nlp::rephrase::{
    converse_prompt, parse_reply, RephraseError, Rephrased, SourcePassage,
};

/// How long the citizen may wait for the model before the verbatim answer goes out.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(2_500);
/// A rephrased FAQ answer is a few sentences plus the `SUMBER:` line.
pub const MAX_OUTPUT_TOKENS: i32 = 400;

/// Bedrock Converse as the rephrasing model.
pub struct BedrockRephraser {
    client: Client,
    model_id: String,
    timeout: Duration,
}

impl BedrockRephraser {
    /// A rephraser for `model_id` (a foundation model id or an inference profile id/ARN) with
    /// the shared SDK configuration (region, credentials).
    pub fn new(sdk: &aws_config::SdkConfig, model_id: impl Into<String>) -> BedrockRephraser {
        BedrockRephraser::with_config(BedrockConfigBuilder::from(sdk), model_id, DEFAULT_TIMEOUT)
    }

    /// Same, from an explicit client configuration (tests point it at a local endpoint).
    /// Retries are turned off whatever the configuration says: a retry after a throttle or a
    /// timeout would only make the citizen wait for an answer that is already on its way
    /// verbatim.
    pub fn with_config(
        config: BedrockConfigBuilder,
        model_id: impl Into<String>,
        timeout: Duration,
    ) -> BedrockRephraser {
        let config = config.retry_config(RetryConfig::disabled()).build();
        BedrockRephraser {
            client: Client::from_conf(config),
            model_id: model_id.into(),
            timeout,
        }
    }

    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    async fn converse(
        &self,
        question: &str,
        passages: &[SourcePassage],
    ) -> Result<ConverseResponse, RephraseError> {
        let (system, user) = converse_prompt(question, passages);
        let message = Message::builder()
            .role(ConversationRole::User)
            .content(ContentBlock::Text(user))
            .build()
            .map_err(|error| RephraseError::Malformed(format!("request not built: {error}")))?;
        let call = self
            .client
            .converse()
            .model_id(&self.model_id)
            .system(SystemContentBlock::Text(system))
            .messages(message)
            .inference_config(
                InferenceConfiguration::builder()
                    .temperature(0.0)
                    .max_tokens(MAX_OUTPUT_TOKENS)
                    .build(),
            )
            .send();
        match tokio::time::timeout(self.timeout, call).await {
            Err(_) => Err(RephraseError::Unavailable(format!(
                "no reply within {} ms",
                self.timeout.as_millis()
            ))),
            Ok(Err(error)) => Err(RephraseError::Unavailable(error_kind(&error))),
            Ok(Ok(response)) => Ok(response),
        }
    }
}

#[async_trait]
impl Rephraser for BedrockRephraser {
    async fn rephrase(
        &self,
        question: &str,
        passages: &[SourcePassage],
    ) -> Result<Rephrased, RephraseError> {
        let started = Instant::now();
        let result = self
            .converse(question, passages)
            .await
            .and_then(|response| reply_text(&response))
            .and_then(|text| parse_reply(&text));
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match &result {
            Ok(out) => info!(
                model_id = %self.model_id,
                latency_ms,
                cited = out.cited.len(),
                "bedrock converse answered"
            ),
            Err(error) => warn!(
                model_id = %self.model_id,
                latency_ms,
                %error,
                "bedrock converse gave no usable answer"
            ),
        }
        result
    }
}

/// The first text block of the model's message, when the model finished normally.
fn reply_text(response: &ConverseResponse) -> Result<String, RephraseError> {
    match response.stop_reason() {
        StopReason::EndTurn | StopReason::StopSequence => {}
        // Cut at the token budget, filtered, or anything newer: the text is not a whole
        // answer.
        other => {
            return Err(RephraseError::Malformed(format!(
                "stop reason {}",
                other.as_str()
            )))
        }
    }
    let Some(ConverseOutput::Message(message)) = response.output() else {
        return Err(RephraseError::Malformed(
            "no message in the reply".to_string(),
        ));
    };
    message
        .content()
        .iter()
        .find_map(|block| block.as_text().ok())
        .cloned()
        .ok_or_else(|| RephraseError::Malformed("no text block in the reply".to_string()))
}

/// What went wrong, without the service's message (it may quote the request).
fn error_kind(error: &SdkError<ConverseError>) -> String {
    match error {
        SdkError::ServiceError(service) => match error.code() {
            Some(code) => code.to_string(),
            None => format!("HTTP {}", service.raw().status().as_u16()),
        },
        SdkError::TimeoutError(_) => "SDK timeout".to_string(),
        SdkError::DispatchFailure(_) => "dispatch failure".to_string(),
        SdkError::ResponseError(_) => "unreadable response".to_string(),
        SdkError::ConstructionFailure(_) => "request not built".to_string(),
        _ => "unknown SDK error".to_string(),
    }
}
