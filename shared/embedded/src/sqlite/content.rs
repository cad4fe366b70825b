//! The imported content in SQLite: one row holding the whole bundle as JSON, replaced by one
//! statement (atomic for readers), with a version that lets readers reuse a parsed copy.

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

use prolink_app::ports::{ContentStore, PortError, PortResult};
use prolink_domain::content::ContentBundle;

use super::store::SqliteStore;
use super::{db_err, CachedStatements};

/// The last bundle read, with the row version it came from. Parsing ≈ 300 KB of JSON on every
/// message would cost more than the rest of a reply; a version check is one indexed read.
#[derive(Clone, Default)]
pub(crate) struct ContentCache(Arc<Mutex<Option<CachedBundle>>>);

/// A parsed bundle and the row version it was read from.
type CachedBundle = (i64, Arc<ContentBundle>);

impl ContentCache {
    fn get(&self) -> Option<(i64, Arc<ContentBundle>)> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set(&self, version: i64, bundle: Arc<ContentBundle>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some((version, bundle));
    }
}

enum Loaded {
    Nothing,
    Unchanged(Arc<ContentBundle>),
    Fresh(i64, Arc<ContentBundle>),
}

#[async_trait]
impl ContentStore for SqliteStore {
    async fn load_content(&self) -> PortResult<Option<ContentBundle>> {
        let cached = self.content_cache.get();
        let loaded = self
            .db
            .call(move |conn| {
                let version: Option<i64> = conn
                    .query_row_cached(
                        "SELECT version FROM content_bundle WHERE id = 1",
                        [],
                        |row| row.get(0),
                    )
                    .optional()
                    .map_err(db_err)?;
                let Some(version) = version else {
                    return Ok(Loaded::Nothing);
                };
                if let Some((cached_version, bundle)) = cached {
                    if cached_version == version {
                        return Ok(Loaded::Unchanged(bundle));
                    }
                }
                // Version and body from one statement: another process may replace the row
                // between two reads.
                let (version, json): (i64, String) = conn
                    .query_row_cached(
                        "SELECT version, bundle FROM content_bundle WHERE id = 1",
                        [],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .map_err(db_err)?;
                let bundle: ContentBundle = serde_json::from_str(&json).map_err(|e| {
                    PortError::Backend(format!("stored content version {version} unreadable: {e}"))
                })?;
                Ok(Loaded::Fresh(version, Arc::new(bundle)))
            })
            .await?;
        Ok(match loaded {
            Loaded::Nothing => None,
            Loaded::Unchanged(bundle) => Some(bundle.as_ref().clone()),
            Loaded::Fresh(version, bundle) => {
                self.content_cache.set(version, Arc::clone(&bundle));
                Some(bundle.as_ref().clone())
            }
        })
    }

    async fn replace_content(&self, bundle: &ContentBundle) -> PortResult<()> {
        let json = serde_json::to_string(bundle)
            .map_err(|e| PortError::Invalid(format!("content bundle: {e}")))?;
        let clock = Arc::clone(&self.clock);
        self.db
            .call(move |conn| {
                let now = clock.now_ms();
                conn.execute_cached(
                    "INSERT INTO content_bundle (id, version, bundle, imported_at_ms)
                     VALUES (1, 1, ?1, ?2)
                     ON CONFLICT (id) DO UPDATE SET version = content_bundle.version + 1,
                        bundle = excluded.bundle, imported_at_ms = excluded.imported_at_ms",
                    params![json, now],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }
}
