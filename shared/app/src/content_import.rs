//! Importing the seed content (`infra/seed/*.json`) into a [`ContentStore`]: `prolink import`,
//! and the first start of `prolink serve` on an empty store. All or nothing: a seed with one
//! bad record changes nothing and reports every bad record.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use prolink_domain::content::{
    parse_bundle, ContentBundle, ImportReport, RecordError, COMPLAINT_CATEGORIES_FILE, FAQ_FILE,
    MENUS_FILE, MISSING_FILE, OPDS_FILE, SERVICES_FILE, TOPICS_FILE,
};

use crate::ports::{ContentStore, PortError};

/// Where `prolink import` and `prolink serve` look for the seed, relative to the current
/// directory.
pub const DEFAULT_SEED_DIR: &str = "infra/seed";

/// The holiday file as embedded; its name carries the years it covers, so renaming it in
/// `infra/seed` breaks the build here until this copy follows.
const EMBEDDED_HOLIDAYS_FILE: &str = "holidays-2025-2026.json";

/// The seed files compiled into the binary, so `prolink serve` started outside the
/// repository still answers from the reviewed content.
const EMBEDDED_SEED: [(&str, &str); 7] = [
    (FAQ_FILE, include_str!("../../../infra/seed/faq.json")),
    (
        SERVICES_FILE,
        include_str!("../../../infra/seed/services.json"),
    ),
    (
        COMPLAINT_CATEGORIES_FILE,
        include_str!("../../../infra/seed/complaint-categories.json"),
    ),
    (OPDS_FILE, include_str!("../../../infra/seed/opds.json")),
    (TOPICS_FILE, include_str!("../../../infra/seed/topics.json")),
    (
        EMBEDDED_HOLIDAYS_FILE,
        include_str!("../../../infra/seed/holidays-2025-2026.json"),
    ),
    (MENUS_FILE, include_str!("../../../infra/seed/menus.json")),
];

/// The names of the embedded seed files.
pub fn embedded_seed_files() -> impl Iterator<Item = &'static str> {
    EMBEDDED_SEED.iter().map(|(name, _)| *name)
}

/// The seed as compiled into the binary, imported with the same rules as a folder.
pub fn embedded_seed() -> Result<ContentBundle, ImportReport> {
    let files = EMBEDDED_SEED
        .iter()
        .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
        .collect();
    parse_bundle(&files)
}

/// How many records of each kind an import stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub faqs: usize,
    pub services: usize,
    pub categories: usize,
    pub opds: usize,
    pub topics: usize,
    pub holidays: usize,
    pub menus: usize,
}

impl ImportSummary {
    pub fn of(bundle: &ContentBundle) -> Self {
        ImportSummary {
            faqs: bundle.faqs.len(),
            services: bundle.services.len(),
            categories: bundle.categories.len(),
            opds: bundle.opds.len(),
            topics: bundle.topics.len(),
            holidays: bundle.holidays.entries.len(),
            menus: bundle.menus.menus.len(),
        }
    }

    /// Every entry of every kind.
    pub fn total(&self) -> usize {
        self.faqs
            + self.services
            + self.categories
            + self.opds
            + self.topics
            + self.holidays
            + self.menus
    }
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} entri: {} FAQ, {} layanan, {} kategori aduan, {} OPD, {} topik, {} hari libur, \
             {} menu",
            self.total(),
            self.faqs,
            self.services,
            self.categories,
            self.opds,
            self.topics,
            self.holidays,
            self.menus
        )
    }
}

/// Why an import stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The seed has bad records (all of them are listed); the store was not touched.
    #[error("{0}")]
    Rejected(ImportReport),
    /// The seed was fine but the store failed; the previous content is still in place.
    #[error("konten tidak dapat disimpan: {0}")]
    Store(#[from] PortError),
}

impl ImportError {
    /// The bad records, when the seed itself was refused.
    pub fn record_errors(&self) -> &[RecordError] {
        match self {
            ImportError::Rejected(report) => &report.errors,
            ImportError::Store(_) => &[],
        }
    }
}

/// Loads and validates every seed file of `dir`, then replaces the stored content with it.
pub async fn import_dir(
    store: &dyn ContentStore,
    dir: &Path,
) -> Result<ImportSummary, ImportError> {
    let owned = dir.to_path_buf();
    // Reading and parsing ≈ 300 KB is blocking work.
    let bundle = tokio::task::spawn_blocking(move || load_dir(owned))
        .await
        .map_err(|e| ImportError::Store(PortError::backend(e)))?
        .map_err(ImportError::Rejected)?;
    import_bundle(store, &bundle).await
}

/// Replaces the stored content with an already validated bundle.
pub async fn import_bundle(
    store: &dyn ContentStore,
    bundle: &ContentBundle,
) -> Result<ImportSummary, ImportError> {
    store.replace_content(bundle).await?;
    Ok(ImportSummary::of(bundle))
}

/// Where the content of a first start came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedSource {
    Dir(PathBuf),
    /// The copy compiled into the binary (no seed folder next to the process).
    Embedded,
}

impl fmt::Display for SeedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeedSource::Dir(dir) => write!(f, "{}", dir.display()),
            SeedSource::Embedded => write!(f, "salinan bawaan program"),
        }
    }
}

/// What [`ensure_content`] imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstImport {
    pub summary: ImportSummary,
    pub source: SeedSource,
}

/// Imports the seed when the store has no content yet: from `seed_dir` when that folder
/// exists (a broken seed there is an error, not a reason to fall back), else from the
/// embedded copy. `None` when content was already present.
pub async fn ensure_content(
    store: &dyn ContentStore,
    seed_dir: &Path,
) -> Result<Option<FirstImport>, ImportError> {
    if store.load_content().await?.is_some() {
        return Ok(None);
    }
    let (result, source) = if seed_dir.is_dir() {
        (
            import_dir(store, seed_dir).await,
            SeedSource::Dir(seed_dir.to_path_buf()),
        )
    } else {
        let bundle = embedded_seed().map_err(ImportError::Rejected)?;
        (import_bundle(store, &bundle).await, SeedSource::Embedded)
    };
    match result {
        Ok(summary) => Ok(Some(FirstImport { summary, source })),
        // Another process imported at the same moment: the store has content now.
        Err(ImportError::Store(PortError::Conflict(_)))
            if store.load_content().await?.is_some() =>
        {
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

/// Reads every `*.json` file of `dir` and imports them with [`parse_bundle`].
pub fn load_dir(dir: impl AsRef<Path>) -> Result<ContentBundle, ImportReport> {
    let dir = dir.as_ref();
    let unreadable = |reason: String| ImportReport {
        errors: vec![RecordError::new(dir.display().to_string(), "", reason)],
    };
    let entries = std::fs::read_dir(dir)
        .map_err(|e| unreadable(format!("folder konten tidak dapat dibaca: {e}")))?;
    let mut files = BTreeMap::new();
    let mut errors: Vec<RecordError> = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| unreadable(format!("folder konten tidak dapat dibaca: {e}")))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        match std::fs::read(entry.path()) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => {
                    files.insert(name, text);
                }
                Err(_) => errors.push(RecordError::new(name, "", "berkas bukan teks UTF-8")),
            },
            Err(e) => errors.push(RecordError::new(
                name,
                "",
                format!("berkas tidak dapat dibaca: {e}"),
            )),
        }
    }
    match parse_bundle(&files) {
        Ok(bundle) if errors.is_empty() => Ok(bundle),
        Ok(_) => Err(ImportReport { errors }),
        Err(report) => {
            // A file that could not be read is already reported; "missing" would repeat it.
            let unreadable: Vec<String> = errors.iter().map(|e| e.file.clone()).collect();
            errors.extend(
                report
                    .errors
                    .into_iter()
                    .filter(|e| !(unreadable.contains(&e.file) && e.reason == MISSING_FILE)),
            );
            Err(ImportReport { errors })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_seed_imports_and_counts_every_kind() {
        let bundle = match embedded_seed() {
            Ok(bundle) => bundle,
            Err(report) => panic!("embedded seed refused:\n{report}"),
        };
        let summary = ImportSummary::of(&bundle);
        assert_eq!(summary.faqs, bundle.faqs.len());
        assert!(summary.faqs > 0 && summary.services > 0 && summary.menus > 0);
        assert_eq!(
            summary.total(),
            summary.faqs
                + summary.services
                + summary.categories
                + summary.opds
                + summary.topics
                + summary.holidays
                + summary.menus
        );
        assert!(summary.to_string().starts_with(&format!(
            "{} entri: {} FAQ",
            summary.total(),
            summary.faqs
        )));
    }
}
