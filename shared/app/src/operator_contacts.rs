//! Who gets the operators' WhatsApp messages (new complaints, SLA reminders, escalations):
//! the `operator_contacts` setting an admin edits on the dashboard
//! (`PUT /api/settings/operator-contacts`), read through the [`SettingsStore`] by the complaint
//! worker and the scheduler each time they message operators, behind a short cache.
//!
//! - Setting stored: it rules, whatever `PROLINK_OPERATOR_CONTACTS` says.
//! - Nothing stored yet: the variable's directory (the first-start seed), exactly what the
//!   dashboard shows as version 0. It is not written to the table: the first admin save
//!   (version 0 → 1) creates the setting, and until then a changed variable still counts.
//! - Fresh copy (younger than the refresh interval): used as it is.
//! - Store fails: the last directory served is kept, loudly; with none, the error is the
//!   caller's (its task or tick is retried).
//! - A stored value that is not a contacts map (never written by the API): logged as an error
//!   and read as no numbers, as the dashboard shows it; the dashboard alerts still go out.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::sync::RwLock;
use tracing::{error, info, warn};

use crate::{
    api::OPERATOR_CONTACTS_KEY,
    notifier::OperatorDirectory,
    ports::{PortError, SettingsStore},
};

/// How long a warm worker reuses the contacts it read (a dashboard change reaches it within
/// this interval).
pub const CONTACTS_REFRESH: Duration = Duration::from_secs(60);

/// One read of the setting.
struct Loaded {
    directory: Arc<OperatorDirectory>,
    /// The setting's version; 0 while the seed is served.
    version: u64,
    at: Instant,
}

/// The current [`OperatorDirectory`] (see the module for the rules). Shared with `Arc` by
/// the workers of one process.
pub struct OperatorContacts {
    /// `None`: a fixed directory (tests, benchmarks).
    settings: Option<Arc<dyn SettingsStore>>,
    seed: Arc<OperatorDirectory>,
    refresh: Duration,
    slot: RwLock<Option<Loaded>>,
}

impl Default for OperatorContacts {
    /// No numbers: the dashboard alerts only.
    fn default() -> Self {
        OperatorContacts::fixed(OperatorDirectory::default())
    }
}

impl From<OperatorDirectory> for OperatorContacts {
    fn from(directory: OperatorDirectory) -> Self {
        OperatorContacts::fixed(directory)
    }
}

impl OperatorContacts {
    /// The dashboard's setting in `settings`, `seed` (the variable's directory) while none is
    /// stored, each read reused for `refresh` (zero: every call reads the store).
    pub fn new(
        settings: Arc<dyn SettingsStore>,
        seed: OperatorDirectory,
        refresh: Duration,
    ) -> OperatorContacts {
        OperatorContacts {
            settings: Some(settings),
            seed: Arc::new(seed),
            refresh,
            slot: RwLock::new(None),
        }
    }

    /// Always `directory`, no store.
    pub fn fixed(directory: OperatorDirectory) -> OperatorContacts {
        OperatorContacts {
            settings: None,
            seed: Arc::new(directory),
            refresh: Duration::MAX,
            slot: RwLock::new(None),
        }
    }

    /// The directory to message from now.
    pub async fn current(&self) -> Result<Arc<OperatorDirectory>, PortError> {
        let Some(settings) = &self.settings else {
            return Ok(self.seed.clone());
        };
        if let Some(fresh) = self.fresh(self.slot.read().await.as_ref()) {
            return Ok(fresh);
        }
        let mut slot = self.slot.write().await;
        // Another caller may have read the store while this one waited for the lock.
        if let Some(fresh) = self.fresh(slot.as_ref()) {
            return Ok(fresh);
        }
        let (directory, version) = match settings.get_setting(OPERATOR_CONTACTS_KEY).await {
            Ok(Some(setting)) => {
                let directory =
                    OperatorDirectory::from_setting(&setting.value).unwrap_or_else(|report| {
                        error!(
                            version = setting.version,
                            %report,
                            "stored operator contacts unreadable; no operator numbers"
                        );
                        OperatorDirectory::default()
                    });
                (Arc::new(directory), setting.version)
            }
            Ok(None) => (self.seed.clone(), 0),
            Err(error) => match slot.as_ref() {
                // A store hiccup must not stop the reminders: keep what was served last; the
                // next call asks the store again.
                Some(previous) => {
                    warn!(
                        %error,
                        version = previous.version,
                        "operator contacts reload failed; keeping the last ones"
                    );
                    return Ok(previous.directory.clone());
                }
                None => return Err(error),
            },
        };
        if slot.as_ref().map(|previous| previous.version) != Some(version) {
            if version == 0 {
                info!("operator contacts: none saved yet; PROLINK_OPERATOR_CONTACTS serves");
            } else {
                info!(version, "operator contacts: the dashboard's setting");
            }
        }
        *slot = Some(Loaded {
            directory: directory.clone(),
            version,
            at: Instant::now(),
        });
        Ok(directory)
    }

    fn fresh(&self, loaded: Option<&Loaded>) -> Option<Arc<OperatorDirectory>> {
        loaded
            .filter(|loaded| loaded.at.elapsed() < self.refresh)
            .map(|loaded| loaded.directory.clone())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Mutex,
    };

    use async_trait::async_trait;
    use serde_json::json;

    use super::*;
    use crate::ports::{PortResult, StoredSetting};

    #[derive(Default)]
    struct Settings {
        value: Mutex<Option<serde_json::Value>>,
        reads: AtomicUsize,
        fail: AtomicBool,
    }

    #[async_trait]
    impl SettingsStore for Settings {
        async fn get_setting(&self, key: &str) -> PortResult<Option<StoredSetting>> {
            assert_eq!(key, OPERATOR_CONTACTS_KEY);
            self.reads.fetch_add(1, Ordering::SeqCst);
            if self.fail.load(Ordering::SeqCst) {
                return Err(PortError::Backend("down".into()));
            }
            Ok(self
                .value
                .lock()
                .expect("lock")
                .clone()
                .map(|value| StoredSetting {
                    key: key.to_string(),
                    value,
                    updated_ms: 0,
                    updated_by: "admin".into(),
                    version: 3,
                }))
        }
        async fn put_setting(&self, _setting: &StoredSetting) -> PortResult<u64> {
            unreachable!("the workers never write the setting")
        }
    }

    fn directory(key: &str, number: &str) -> OperatorDirectory {
        OperatorDirectory([(key.to_string(), vec![number.to_string()])].into())
    }

    #[tokio::test]
    async fn the_stored_setting_rules_the_seed_serves_until_then_and_failures_keep_the_last() {
        let store = Arc::new(Settings::default());
        let seed = directory("dishub", "6281200000001");
        let contacts = OperatorContacts::new(store.clone(), seed.clone(), Duration::ZERO);
        assert_eq!(*contacts.current().await.expect("seed"), seed);

        *store.value.lock().expect("lock") = Some(json!({ "dishub": ["6281200000002"] }));
        let saved = directory("dishub", "6281200000002");
        assert_eq!(*contacts.current().await.expect("saved"), saved);

        store.fail.store(true, Ordering::SeqCst);
        assert_eq!(*contacts.current().await.expect("kept"), saved);
        let cold = OperatorContacts::new(store.clone(), seed, Duration::ZERO);
        assert!(cold.current().await.is_err(), "nothing to keep yet");

        // Something the API never writes: no numbers, not the seed.
        store.fail.store(false, Ordering::SeqCst);
        *store.value.lock().expect("lock") = Some(json!(["6281200000003"]));
        assert!(contacts.current().await.expect("read").0.is_empty());
    }

    #[tokio::test]
    async fn reads_once_per_refresh() {
        let store = Arc::new(Settings::default());
        let contacts = OperatorContacts::new(
            store.clone(),
            OperatorDirectory::default(),
            Duration::from_secs(3600),
        );
        for _ in 0..5 {
            contacts.current().await.expect("contacts");
        }
        assert_eq!(store.reads.load(Ordering::SeqCst), 1);
        let fixed = OperatorContacts::fixed(directory("pimpinan", "6281200000009"));
        assert_eq!(
            fixed.current().await.expect("fixed").0["pimpinan"],
            ["6281200000009"]
        );
    }
}
