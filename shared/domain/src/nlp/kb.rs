//! What the engine answers from: the slice of the seed content that retrieval and intent
//! detection need, independent of how it was loaded (seed files, a bundle, a synthetic corpus).

use serde::Deserialize;

/// One FAQ entry as the engine sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct KbFaq {
    pub id: String,
    pub category: String,
    pub title: String,
    pub question: String,
    #[serde(default)]
    pub alt_questions: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Training phrases (how citizens ask for it).
    #[serde(default)]
    pub phrases: Vec<String>,
    /// The answer (read for the offices it names, never searched).
    #[serde(default)]
    pub answer: String,
    /// The office responsible (`opds.json` id), and others that share it: a question naming
    /// another office that the entry never mentions is not answered with it.
    #[serde(default)]
    pub opd_id: String,
    #[serde(default)]
    pub opd_ids: Option<Vec<String>>,
}

/// One entry of the public-service catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct KbService {
    pub id: String,
    pub name: String,
    pub short_name: String,
    pub category: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub phrases: Vec<String>,
    /// See [`KbFaq::opd_id`].
    #[serde(default)]
    pub opd_id: String,
    #[serde(default)]
    pub opd_ids: Option<Vec<String>>,
}

/// One complaint category.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KbCategory {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub emergency: bool,
    /// Complaints as citizens report them.
    #[serde(default)]
    pub phrases: Vec<String>,
}

/// The engine's input. Building it never touches the file system; see
/// `app::answering::engine_from_seed_dir` for the loader.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnowledgeBase {
    pub faqs: Vec<KbFaq>,
    pub services: Vec<KbService>,
    pub categories: Vec<KbCategory>,
}

impl KnowledgeBase {
    /// Parses the three seed documents (`faq.json`, `services.json`,
    /// `complaint-categories.json`); fields the engine does not use are ignored.
    pub fn from_json(faq: &str, services: &str, categories: &str) -> Result<Self, String> {
        let faqs: Vec<KbFaq> =
            serde_json::from_str(faq).map_err(|e| format!("faq.json tidak valid: {e}"))?;
        let services: Vec<KbService> = serde_json::from_str(services)
            .map_err(|e| format!("services.json tidak valid: {e}"))?;
        let categories: Vec<KbCategory> = serde_json::from_str(categories)
            .map_err(|e| format!("complaint-categories.json tidak valid: {e}"))?;
        Ok(Self {
            faqs,
            services,
            categories,
        })
    }
}

impl From<&crate::content::ContentBundle> for KnowledgeBase {
    fn from(bundle: &crate::content::ContentBundle) -> Self {
        Self {
            faqs: bundle
                .faqs
                .iter()
                .map(|f| KbFaq {
                    id: f.id.clone(),
                    category: f.category.clone(),
                    title: f.title.clone(),
                    question: f.question.clone(),
                    alt_questions: f.alt_questions.clone(),
                    keywords: f.keywords.clone(),
                    phrases: f.phrases.clone(),
                    answer: f.answer.clone(),
                    opd_id: f.opd_id.clone(),
                    opd_ids: f.opd_ids.clone(),
                })
                .collect(),
            services: bundle
                .services
                .iter()
                .map(|s| KbService {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    short_name: s.short_name.clone(),
                    category: s.category.clone(),
                    description: s.description.clone(),
                    phrases: s.phrases.clone(),
                    opd_id: s.opd_id.clone(),
                    opd_ids: s.opd_ids.clone(),
                })
                .collect(),
            categories: bundle
                .categories
                .iter()
                .map(|c| KbCategory {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    description: c.description.clone(),
                    keywords: c.keywords.clone(),
                    emergency: c.emergency,
                    phrases: c.phrases.clone(),
                })
                .collect(),
        }
    }
}

/// An entry's office and the others that share it.
pub(super) fn offices<'a>(
    opd_id: &'a str,
    opd_ids: Option<&'a [String]>,
) -> impl Iterator<Item = &'a str> {
    std::iter::once(opd_id)
        .chain(opd_ids.unwrap_or_default().iter().map(String::as_str))
        .filter(|id| !id.is_empty())
}
