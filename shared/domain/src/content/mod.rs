//! The seed knowledge base (`infra/seed/*.json`): typed model, import validation, menu paging
//! and the texts built from it. Everything here is pure; the application's `content_import::load_dir` reads
//! the files and hands them to [`parse_bundle`].
//!
//! Import is all or nothing: `load_dir` / [`parse_bundle`] return either a bundle that passed
//! every rule of [`validate`] or the complete list of bad records.

mod entries;
mod menu;
mod parse;
mod render;
mod validate;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use entries::*;
pub use menu::{
    page_id, paginate, render_menu, ListKey, ListPage, MenuItem, PageRow, PageSection, RowTarget,
    BACK_ROW_ID,
};
pub use parse::parse_bundle;
pub use render::{
    known_value, says_unverified, service_card, service_card_policy, show_unverified_policy,
    split_message, HELP_CATEGORY, TEXT_LIMIT, UNVERIFIED_NOTE,
};
pub use validate::{validate, warnings, ANSWER_SOFT_LIMIT, PHRASES_LIMIT};

pub const FAQ_FILE: &str = "faq.json";
pub const SERVICES_FILE: &str = "services.json";
pub const COMPLAINT_CATEGORIES_FILE: &str = "complaint-categories.json";
pub const OPDS_FILE: &str = "opds.json";
pub const TOPICS_FILE: &str = "topics.json";
pub const MENUS_FILE: &str = "menus.json";
/// The holiday file is found by prefix because its name carries the years it covers
/// (`holidays-2025-2026.json`); exactly one such file must exist.
pub const HOLIDAYS_FILE_PREFIX: &str = "holidays";
pub const MISSING_FILE: &str = "berkas tidak ada";

/// Everything the bot answers from, as imported from one seed directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentBundle {
    pub faqs: Vec<Faq>,
    pub services: Vec<Service>,
    pub categories: Vec<ComplaintCategory>,
    pub opds: Vec<Opd>,
    pub topics: Vec<Topic>,
    pub holidays: HolidayCalendar,
    pub menus: Menus,
}

impl ContentBundle {
    pub fn validate(&self) -> Result<(), Vec<RecordError>> {
        validate(self)
    }

    pub fn faq(&self, id: &str) -> Option<&Faq> {
        self.faqs.iter().find(|f| f.id == id)
    }

    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }

    pub fn category(&self, id: &str) -> Option<&ComplaintCategory> {
        self.categories.iter().find(|c| c.id == id)
    }

    pub fn opd(&self, id: &str) -> Option<&Opd> {
        self.opds.iter().find(|o| o.id == id)
    }

    pub fn topic(&self, id: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.id == id)
    }
}

/// One bad record: which file, which record (its id, or `[index]` when it has none), and why,
/// in Indonesian for the operator who fixes the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordError {
    pub file: String,
    pub id: String,
    pub reason: String,
}

impl RecordError {
    pub fn new(file: impl Into<String>, id: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            id: id.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.id.is_empty() {
            write!(f, "{}: {}", self.file, self.reason)
        } else {
            write!(f, "{} [{}]: {}", self.file, self.id, self.reason)
        }
    }
}

/// Why an import was refused: every bad record found, nothing was loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub errors: Vec<RecordError>,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "impor konten ditolak: {} kesalahan, tidak ada data yang dimuat",
            self.errors.len()
        )?;
        for e in &self.errors {
            write!(f, "\n- {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportReport {}
