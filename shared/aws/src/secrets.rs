//! WhatsApp credentials from one Secrets Manager secret, cached and re-read after a refresh
//! interval so a rotation reaches running Lambdas without a redeploy.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::BehaviorVersion;
use aws_sdk_secretsmanager::error::DisplayErrorContext;
use aws_sdk_secretsmanager::Client;
use tokio::sync::Mutex;

use prolink_app::ports::{Clock, PortError, PortResult, SecretsProvider, WhatsAppSecrets};

/// How long a read secret is served from memory before it is read again.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(5 * 60);
/// After a failed refresh, how long the stale value is served before the next attempt, so an
/// outage of Secrets Manager does not turn every request into a failing call.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(30);

/// The SDK configuration of every AWS client: region, credentials and (in tests) the endpoint
/// from the environment (`AWS_ENDPOINT_URL`).
pub async fn aws_sdk_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(BehaviorVersion::latest()).await
}

/// `SecretsProvider` reading the secret `secret_id` (ARN or name) whose value is the JSON of
/// `WhatsAppSecrets`.
pub struct SecretsManagerProvider {
    client: Client,
    secret_id: String,
    refresh: Duration,
    clock: Arc<dyn Clock>,
    cache: Mutex<Option<Cached>>,
}

struct Cached {
    secrets: WhatsAppSecrets,
    /// When the cached value is to be read again (Unix ms).
    next_read_ms: i64,
}

impl SecretsManagerProvider {
    pub fn new(client: Client, secret_id: impl Into<String>, clock: Arc<dyn Clock>) -> Self {
        Self {
            client,
            secret_id: secret_id.into(),
            refresh: DEFAULT_REFRESH,
            clock,
            cache: Mutex::new(None),
        }
    }

    pub fn with_refresh(mut self, refresh: Duration) -> Self {
        self.refresh = refresh;
        self
    }

    /// The secret's JSON text as stored (`None`: a binary secret).
    async fn secret_string(&self) -> PortResult<Option<String>> {
        let output = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|e| {
                PortError::Backend(format!(
                    "Secrets Manager GetSecretValue: {}",
                    DisplayErrorContext(&e)
                ))
            })?;
        Ok(output.secret_string)
    }

    async fn read(&self) -> PortResult<WhatsAppSecrets> {
        let text = self.secret_string().await?.ok_or_else(|| {
            PortError::Invalid("the WhatsApp secret has no SecretString".to_owned())
        })?;
        // serde_json messages can quote the offending value; report only where it failed.
        serde_json::from_str(&text).map_err(|e| {
            PortError::Invalid(format!(
                "the WhatsApp secret is not the expected JSON ({:?} error at line {}, column {})",
                e.classify(),
                e.line(),
                e.column()
            ))
        })
    }
}

impl std::fmt::Debug for SecretsManagerProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsManagerProvider")
            .field("secret_id", &self.secret_id)
            .field("refresh", &self.refresh)
            .finish_non_exhaustive()
    }
}

fn after(now_ms: i64, wait: Duration) -> i64 {
    now_ms.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX))
}

#[async_trait]
impl SecretsProvider for SecretsManagerProvider {
    async fn whatsapp(&self) -> PortResult<WhatsAppSecrets> {
        // Held across the read so concurrent callers wait for one request instead of each
        // sending their own.
        let mut cache = self.cache.lock().await;
        let now = self.clock.now_ms();
        if let Some(cached) = cache.as_ref() {
            if now < cached.next_read_ms {
                return Ok(cached.secrets.clone());
            }
        }
        match self.read().await {
            Ok(secrets) => {
                *cache = Some(Cached {
                    secrets: secrets.clone(),
                    next_read_ms: after(now, self.refresh),
                });
                Ok(secrets)
            }
            Err(error) => match cache.as_mut() {
                Some(cached) => {
                    tracing::warn!(
                        secret_id = %self.secret_id,
                        %error,
                        "refreshing the WhatsApp secret failed; serving the cached value"
                    );
                    cached.next_read_ms = after(now, RETRY_AFTER_FAILURE.min(self.refresh));
                    Ok(cached.secrets.clone())
                }
                None => Err(error),
            },
        }
    }
}

/// LAPOR's API token is the `lapor_token` field of the same secret (absent: no token). The
/// adapter keeps it for a few minutes, so this reads the secret itself each time it is asked.
#[async_trait]
impl prolink_app::ports::LaporTokenSource for SecretsManagerProvider {
    async fn lapor_token(&self) -> PortResult<Option<String>> {
        #[derive(serde::Deserialize)]
        struct LaporField {
            #[serde(default)]
            lapor_token: Option<String>,
        }
        let text = self.secret_string().await?.unwrap_or_default();
        // Never the parser's message: it may quote the value.
        let field: LaporField = serde_json::from_str(&text)
            .map_err(|_| PortError::Invalid("the secret is not JSON".to_owned()))?;
        Ok(field.lapor_token.filter(|t| !t.trim().is_empty()))
    }
}
