//! Where the public keys come from: Cognito's `/.well-known/jwks.json` over HTTP (cached,
//! refetched when a token names a key we have not seen, because that is how a rotation shows
//! itself), or the local issuer's own set in memory.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use jsonwebtoken::jwk::{Jwk, JwkSet};

use super::AuthError;
use crate::ports::{Clock, PortError};

/// The public keys a verifier trusts, by key id.
#[async_trait]
pub trait JwksSource: Send + Sync {
    /// The key named `kid`, `None` when the issuer does not (or no longer) publish it.
    /// `AuthError::Backend` only when no key set could be had at all.
    async fn key(&self, kid: &str) -> Result<Option<Jwk>, AuthError>;
}

/// A fixed key set: the local issuer verifies its own tokens without a network round trip.
#[derive(Debug, Clone)]
pub struct StaticJwks(pub JwkSet);

#[async_trait]
impl JwksSource for StaticJwks {
    async fn key(&self, kid: &str) -> Result<Option<Jwk>, AuthError> {
        Ok(self.0.find(kid).cloned())
    }
}

/// How often [`HttpJwks`] may go back to the issuer. Unknown kids are attacker-controlled, so
/// a refetch on every miss would let anyone make us hammer Cognito.
#[derive(Debug, Clone, Copy)]
pub struct JwksRefresh {
    /// No refetch sooner than this after the previous attempt (successful or not).
    pub min_interval: Duration,
    /// A set older than this is refetched on the next request, so a key the issuer withdrew
    /// stops being trusted; the old set stays in use if that refetch fails.
    pub max_age: Duration,
    /// Timeout of one fetch.
    pub timeout: Duration,
}

impl Default for JwksRefresh {
    fn default() -> Self {
        Self {
            min_interval: Duration::from_secs(30),
            max_age: Duration::from_secs(60 * 60),
            timeout: Duration::from_secs(5),
        }
    }
}

/// A JWKS is a few keys; anything much larger is not one.
const MAX_JWKS_BYTES: usize = 256 * 1024;

#[derive(Default)]
struct Cached {
    set: Option<JwkSet>,
    fetched_ms: Option<i64>,
    attempted_ms: Option<i64>,
}

/// The issuer's JWKS fetched over HTTP(S), cached in memory.
pub struct HttpJwks {
    url: String,
    client: reqwest::Client,
    clock: Arc<dyn Clock>,
    refresh: JwksRefresh,
    // A tokio mutex held across the fetch makes concurrent misses wait for one request
    // instead of each sending their own.
    cache: tokio::sync::Mutex<Cached>,
}

impl std::fmt::Debug for HttpJwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpJwks")
            .field("url", &self.url)
            .field("refresh", &self.refresh)
            .finish_non_exhaustive()
    }
}

impl HttpJwks {
    pub fn new(
        url: impl Into<String>,
        client: reqwest::Client,
        clock: Arc<dyn Clock>,
        refresh: JwksRefresh,
    ) -> Self {
        Self {
            url: url.into(),
            client,
            clock,
            refresh,
            cache: tokio::sync::Mutex::new(Cached::default()),
        }
    }

    async fn fetch(&self) -> Result<JwkSet, PortError> {
        let response = self
            .client
            .get(&self.url)
            .timeout(self.refresh.timeout)
            .send()
            .await
            .map_err(PortError::backend)?;
        if !response.status().is_success() {
            return Err(PortError::Backend(format!(
                "JWKS {} answered {}",
                self.url,
                response.status()
            )));
        }
        let body = response.bytes().await.map_err(PortError::backend)?;
        if body.len() > MAX_JWKS_BYTES {
            return Err(PortError::Backend(format!(
                "JWKS {} is too large",
                self.url
            )));
        }
        serde_json::from_slice(&body).map_err(|error| {
            PortError::Backend(format!("JWKS {} is not a key set: {error}", self.url))
        })
    }
}

fn ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[async_trait]
impl JwksSource for HttpJwks {
    async fn key(&self, kid: &str) -> Result<Option<Jwk>, AuthError> {
        let mut cache = self.cache.lock().await;
        let now = self.clock.now_ms();
        let known = cache.set.as_ref().and_then(|set| set.find(kid)).is_some();
        let stale = cache
            .fetched_ms
            .is_none_or(|at| now.saturating_sub(at) >= ms(self.refresh.max_age));
        let may_fetch = cache
            .attempted_ms
            .is_none_or(|at| now.saturating_sub(at) >= ms(self.refresh.min_interval));
        if (!known || stale) && may_fetch {
            cache.attempted_ms = Some(now);
            match self.fetch().await {
                Ok(set) => {
                    cache.set = Some(set);
                    cache.fetched_ms = Some(now);
                }
                Err(error) => {
                    tracing::warn!(%error, url = %self.url, "JWKS fetch failed");
                    if cache.set.is_none() {
                        return Err(AuthError::Backend(error));
                    }
                }
            }
        }
        match &cache.set {
            Some(set) => Ok(set.find(kid).cloned()),
            None => Err(AuthError::Backend(PortError::Backend(format!(
                "no JWKS from {} yet",
                self.url
            )))),
        }
    }
}
