//! The one content source of the workers (dialog, complaint, scheduler): a read-through
//! cache in front of the content store, the seed built into the binary when nothing is
//! imported yet, and the answering index built from what was loaded. On DynamoDB a load is a
//! revision pointer plus the bundle's items, far more I/O than a message or a task; a
//! refresh interval bounds how late an import reaches running workers (no restart).
//!
//! - Fresh copy from the store (younger than the refresh interval): used as it is.
//! - Store has content: cached; the answering index is kept when the bundle did not change
//!   and built once, on first use, for a new one (never per message).
//! - Store empty: the seed, not cached as fresh, so the first import is seen at once.
//! - Store fails: the last content served (store or seed) is kept, loudly; with none, the
//!   error is the caller's (its item goes back to the queue).

use std::{
    sync::{Arc, OnceLock},
    time::{Duration, Instant},
};

use tokio::sync::RwLock;
use tracing::warn;

use prolink_domain::{
    content::ContentBundle,
    nlp::{Engine, KnowledgeBase},
};

use crate::ports::{Answerer, ContentStore, PortError};

/// How long a worker reuses loaded content.
pub const CONTENT_REFRESH: Duration = Duration::from_secs(60);

/// Why no content could be had.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    /// The store failed and nothing was loaded before.
    #[error(transparent)]
    Store(#[from] PortError),
    /// The store is empty and the seed built into the binary does not import (a build bug).
    #[error("content unavailable: {0}")]
    Seed(String),
}

impl From<ContentError> for PortError {
    fn from(error: ContentError) -> PortError {
        match error {
            ContentError::Store(error) => error,
            ContentError::Seed(report) => PortError::Backend(report),
        }
    }
}

/// One loaded revision of the content and its answering index.
pub struct LoadedContent {
    pub bundle: ContentBundle,
    answerer: OnceLock<Arc<dyn Answerer>>,
    /// Set when a background build was started: turns true when the engine and its
    /// classifier are ready ([`LoadedContent::ready_answerer`] waits on it).
    prepared: OnceLock<tokio::sync::watch::Receiver<bool>>,
    loaded: Instant,
    /// False for the embedded seed (store empty): never reused as a fresh copy.
    from_store: bool,
}

impl LoadedContent {
    fn new(bundle: ContentBundle, from_store: bool, previous: Option<&LoadedContent>) -> Self {
        let (answerer, prepared) = (OnceLock::new(), OnceLock::new());
        // Unchanged content keeps its index instead of rebuilding it every refresh (and the
        // wait for its classifier, if that is still being trained).
        if let Some(previous) = previous.filter(|previous| previous.bundle == bundle) {
            if let Some(built) = previous.answerer.get() {
                let _ = answerer.set(built.clone());
                if let Some(training) = previous.prepared.get() {
                    let _ = prepared.set(training.clone());
                }
            }
        }
        LoadedContent {
            bundle,
            answerer,
            prepared,
            loaded: Instant::now(),
            from_store,
        }
    }

    /// The answering engine for free text: built from this content in a few milliseconds
    /// (see docs/performance.md), the first time a message needs it, unless
    /// [`LoadedContent::prepare_in_background`] was quicker.
    pub fn answerer(&self) -> &dyn Answerer {
        self.answerer
            .get_or_init(|| Arc::new(Engine::build(&KnowledgeBase::from(&self.bundle))))
            .as_ref()
    }

    /// [`LoadedContent::answerer`] for async code: while a background build of this revision
    /// is under way, the task waits for it without holding its async worker. Blocking in
    /// `answerer` instead, the first messages after a start or an import held both of the
    /// local server's async workers for the whole build (≈ 150 ms), and every webhook request
    /// arriving meanwhile with them (the load test's p99). Without a background build (AWS:
    /// one message at a time) the first message builds the engine, as `answerer` does.
    pub async fn ready_answerer(&self) -> &dyn Answerer {
        if let Some(prepared) = self.prepared.get() {
            // An error means the build panicked and dropped its sender: `answerer` below
            // then builds (or panics) in this task, as without a background build.
            let _ = prepared.clone().wait_for(|done| *done).await;
        }
        self.answerer()
    }

    /// Builds the answering engine and its classifier on a blocking thread, once per loaded
    /// revision. Built at the first message that needs them, they held up that message and,
    /// on the async worker running it, the webhook requests queued there (≈ 100 ms with the
    /// classifier, the local server's webhook p99 under load). A message arriving meanwhile
    /// waits for the build under way ([`LoadedContent::ready_answerer`]) instead of starting
    /// its own. Outside a Tokio runtime nothing happens: the first message builds, as before.
    fn prepare_in_background(self: &Arc<Self>) {
        if self.answerer.get().is_some() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (done, prepared) = tokio::sync::watch::channel(false);
        // Set once: a build already under way is not started again.
        if self.prepared.set(prepared).is_err() {
            return;
        }
        let loaded = Arc::clone(self);
        runtime.spawn_blocking(move || {
            loaded.answerer().prepare();
            done.send_replace(true);
        });
    }
}

pub struct ContentSource {
    store: Arc<dyn ContentStore>,
    refresh: Duration,
    slot: RwLock<Option<Arc<LoadedContent>>>,
    /// Whether each revision loaded is built for answering at once, in the background
    /// ([`ContentSource::prepare_in_background`]).
    prepare: std::sync::atomic::AtomicBool,
}

impl ContentSource {
    pub fn new(store: Arc<dyn ContentStore>, refresh: Duration) -> ContentSource {
        ContentSource {
            store,
            refresh,
            slot: RwLock::new(None),
            prepare: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// From now on every revision this source loads or stores is built for answering at
    /// once, on a blocking thread (`LoadedContent::prepare_in_background`): for a long-lived
    /// server. Off by default: a short-lived process (a test, a command) would train a
    /// classifier it may never use, at the price of a second of CPU in a debug build.
    pub fn prepare_in_background(&self) {
        self.prepare
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    fn prepare_if_asked(&self, loaded: &Arc<LoadedContent>) {
        if self.prepare.load(std::sync::atomic::Ordering::Relaxed) {
            loaded.prepare_in_background();
        }
    }

    /// The bundle as stored now, past the cache; `None` when nothing was imported yet.
    pub async fn stored(&self) -> Result<Option<ContentBundle>, PortError> {
        self.store.load_content().await
    }

    /// Stores `bundle` as the live content and serves it from this source at once: the
    /// workers sharing the source (`prolink serve`) answer from it with the next message, the
    /// answering index built once, on first use. Other processes (the AWS workers) see it
    /// within their refresh interval.
    pub async fn replace(&self, bundle: ContentBundle) -> Result<(), PortError> {
        let mut slot = self.slot.write().await;
        self.store.replace_content(&bundle).await?;
        let loaded = Arc::new(LoadedContent::new(bundle, true, slot.as_deref()));
        self.prepare_if_asked(&loaded);
        *slot = Some(loaded);
        Ok(())
    }

    /// The content to work with (see the module for the fallbacks).
    pub async fn load(&self) -> Result<Arc<LoadedContent>, ContentError> {
        if let Some(loaded) = self.slot.read().await.as_ref() {
            if loaded.from_store && loaded.loaded.elapsed() < self.refresh {
                return Ok(loaded.clone());
            }
        }
        let mut slot = self.slot.write().await;
        let loaded = match self.store.load_content().await {
            Ok(Some(bundle)) => Arc::new(LoadedContent::new(bundle, true, slot.as_deref())),
            Ok(None) => {
                warn!("no content imported yet; working from the seed built into the binary");
                match slot.as_ref().filter(|previous| !previous.from_store) {
                    Some(seed) => seed.clone(),
                    None => {
                        let seed = crate::content_import::embedded_seed()
                            .map_err(|report| ContentError::Seed(report.to_string()))?;
                        Arc::new(LoadedContent::new(seed, false, slot.as_deref()))
                    }
                }
            }
            Err(error) => match slot.as_ref() {
                // A store hiccup must not silence the bot or stop the tasks: keep what was
                // served last; the next call asks the store again.
                Some(previous) => {
                    warn!(%error, "content reload failed; keeping the loaded content");
                    return Ok(previous.clone());
                }
                None => return Err(error.into()),
            },
        };
        self.prepare_if_asked(&loaded);
        *slot = Some(loaded.clone());
        Ok(loaded)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use async_trait::async_trait;

    use super::*;
    use crate::ports::PortResult;

    struct Counting {
        loads: AtomicUsize,
        fail: AtomicBool,
        empty: AtomicBool,
    }

    impl Counting {
        fn new() -> Arc<Counting> {
            Arc::new(Counting {
                loads: AtomicUsize::new(0),
                fail: AtomicBool::new(false),
                empty: AtomicBool::new(false),
            })
        }
    }

    #[async_trait]
    impl ContentStore for Counting {
        async fn load_content(&self) -> PortResult<Option<ContentBundle>> {
            self.loads.fetch_add(1, Ordering::SeqCst);
            if self.fail.load(Ordering::SeqCst) {
                return Err(PortError::Backend("down".into()));
            }
            if self.empty.load(Ordering::SeqCst) {
                return Ok(None);
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
        let inner = Counting::new();
        let cache = ContentSource::new(inner.clone(), Duration::from_secs(3600));
        for _ in 0..5 {
            cache.load().await.expect("load");
        }
        assert_eq!(inner.loads.load(Ordering::SeqCst), 1);

        let stale = ContentSource::new(inner.clone(), Duration::ZERO);
        stale.load().await.expect("load");
        inner.fail.store(true, Ordering::SeqCst);
        stale.load().await.expect("kept");
        let empty = ContentSource::new(inner.clone(), Duration::ZERO);
        assert!(empty.load().await.is_err());
    }

    #[tokio::test]
    async fn an_empty_store_serves_the_seed_and_asks_again_and_the_index_is_built_once() {
        let inner = Counting::new();
        inner.empty.store(true, Ordering::SeqCst);
        let source = ContentSource::new(inner.clone(), Duration::from_secs(3600));
        let first = source.load().await.expect("seed");
        let seed = crate::content_import::embedded_seed().expect("seed");
        assert!(first.bundle == seed);
        let index: *const dyn Answerer = first.answerer();
        let second = source.load().await.expect("seed again");
        assert_eq!(inner.loads.load(Ordering::SeqCst), 2, "not cached as fresh");
        assert!(std::ptr::addr_eq(index, second.answerer()), "one index");

        // The first import is seen at once; the same bundle keeps its index.
        inner.empty.store(false, Ordering::SeqCst);
        let imported = source.load().await.expect("imported");
        assert!(std::ptr::addr_eq(index, imported.answerer()));
        source.load().await.expect("cached");
        assert_eq!(inner.loads.load(Ordering::SeqCst), 3);

        // A failing store keeps what was served last.
        let failing = ContentSource::new(inner.clone(), Duration::ZERO);
        failing.load().await.expect("load");
        inner.fail.store(true, Ordering::SeqCst);
        assert!(failing.load().await.expect("kept").bundle == seed);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_loaded_revision_is_built_for_answering_before_a_message_asks() {
        let source = ContentSource::new(Counting::new(), Duration::from_secs(3600));
        source.prepare_in_background();
        let loaded = source.load().await.expect("load");
        // Nobody calls `answerer()`: the build happens on its own, on a blocking thread.
        let started = Instant::now();
        while loaded.answerer.get().is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the answering engine was not built in the background"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// A message arriving while the engine is built in the background waits without holding
    /// an async worker: on a runtime with one worker, another task (a webhook request) still
    /// runs meanwhile. Blocking in `answerer` instead held the worker for the whole build.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_message_waiting_for_the_background_build_leaves_its_async_worker_free() {
        let source = ContentSource::new(Counting::new(), Duration::from_secs(3600));
        source.prepare_in_background();
        let loaded = source.load().await.expect("load");
        let waiting = Arc::clone(&loaded);
        let message = tokio::spawn(async move {
            waiting
                .ready_answerer()
                .await
                .answer("jam buka kantor kecamatan");
        });
        // The message task starts on the one worker and waits for the build (a debug build
        // of the engine and classifier takes hundreds of milliseconds)...
        tokio::time::sleep(Duration::from_millis(20)).await;
        // ... while a webhook request's task gets the worker at once.
        let request = tokio::spawn(async {});
        tokio::time::timeout(Duration::from_secs(60), request)
            .await
            .expect("the other task ran")
            .expect("no panic");
        assert!(
            !message.is_finished(),
            "the build was over before the other task ran: nothing measured"
        );
        message
            .await
            .expect("the message was answered after the build");
        assert_eq!(loaded.prepared.get().map(|p| *p.borrow()), Some(true));
    }
}
