//! A read-through cache in front of the content store, for workers that need the content for
//! every task: on DynamoDB a load is a revision pointer plus the bundle's items, far more I/O
//! than the task itself. A refresh interval bounds how late an import reaches them.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use async_trait::async_trait;
use tokio::sync::RwLock;
use tracing::warn;

use prolink_domain::content::ContentBundle;

use crate::ports::{ContentStore, PortResult};

/// How long a worker reuses loaded content (the dialog worker refreshes as often).
pub const CONTENT_REFRESH: Duration = Duration::from_secs(60);

pub struct CachedContent {
    inner: Arc<dyn ContentStore>,
    refresh: Duration,
    slot: RwLock<Option<(Instant, ContentBundle)>>,
}

impl CachedContent {
    pub fn new(inner: Arc<dyn ContentStore>, refresh: Duration) -> CachedContent {
        CachedContent {
            inner,
            refresh,
            slot: RwLock::new(None),
        }
    }
}

#[async_trait]
impl ContentStore for CachedContent {
    async fn load_content(&self) -> PortResult<Option<ContentBundle>> {
        if let Some((loaded, bundle)) = self.slot.read().await.as_ref() {
            if loaded.elapsed() < self.refresh {
                return Ok(Some(bundle.clone()));
            }
        }
        match self.inner.load_content().await {
            Ok(Some(bundle)) => {
                *self.slot.write().await = Some((Instant::now(), bundle.clone()));
                Ok(Some(bundle))
            }
            // Nothing imported yet: not cached, so the first import is seen at once.
            Ok(None) => Ok(None),
            Err(error) => match self.slot.read().await.as_ref() {
                // A store hiccup must not stop the worker: keep the content it had.
                Some((_, previous)) => {
                    warn!(%error, "content reload failed; keeping the loaded content");
                    Ok(Some(previous.clone()))
                }
                None => Err(error),
            },
        }
    }

    async fn replace_content(&self, bundle: &ContentBundle) -> PortResult<()> {
        self.inner.replace_content(bundle).await?;
        *self.slot.write().await = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::ports::PortError;

    struct Counting {
        loads: AtomicUsize,
        fail: std::sync::atomic::AtomicBool,
    }

    #[async_trait]
    impl ContentStore for Counting {
        async fn load_content(&self) -> PortResult<Option<ContentBundle>> {
            self.loads.fetch_add(1, Ordering::SeqCst);
            if self.fail.load(Ordering::SeqCst) {
                return Err(PortError::Backend("down".into()));
            }
            crate::content_import::embedded_seed()
                .map(Some)
                .map_err(|report| PortError::Backend(report.to_string()))
        }
        async fn replace_content(&self, _bundle: &ContentBundle) -> PortResult<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn loads_once_per_refresh_and_keeps_the_last_content_when_the_store_fails() {
        let inner = Arc::new(Counting {
            loads: AtomicUsize::new(0),
            fail: Default::default(),
        });
        let cache = CachedContent::new(inner.clone(), Duration::from_secs(3600));
        for _ in 0..5 {
            assert!(cache.load_content().await.expect("load").is_some());
        }
        assert_eq!(inner.loads.load(Ordering::SeqCst), 1);

        let stale = CachedContent::new(inner.clone(), Duration::ZERO);
        assert!(stale.load_content().await.expect("load").is_some());
        inner.fail.store(true, Ordering::SeqCst);
        assert!(stale.load_content().await.expect("kept").is_some());
        let empty = CachedContent::new(inner.clone(), Duration::ZERO);
        assert!(empty.load_content().await.is_err());

        // An import through the cache is seen by the next load.
        inner.fail.store(false, Ordering::SeqCst);
        let before = inner.loads.load(Ordering::SeqCst);
        let bundle = cache.load_content().await.expect("load").expect("bundle");
        cache.replace_content(&bundle).await.expect("replace");
        cache.load_content().await.expect("load");
        assert_eq!(inner.loads.load(Ordering::SeqCst), before + 1);
    }
}
