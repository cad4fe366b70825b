//! The answering engine (DESIGN.md §6): what a citizen's free-text message is about, and
//! whether the bot may answer it.
//!
//! Pipeline for one message: PII masking → clause split → tokenise (lowercase, URL/emoji and
//! punctuation removal, reduplication, elongation) → lexicon (`infra/seed/lexicon*.tsv`,
//! compiled in) → informal morphology and typo repair of out-of-vocabulary words → stems
//! (Snowball Indonesian + overrides) → intent (ticket, emergency, greeting/small talk,
//! complaint with category) → retrieval (BM25 on stems fused with character-trigram cosine)
//! → calibrated decision: answer / suggest three / fallback.
//!
//! Everything is pure and deterministic: [`Engine::build`] takes a [`KnowledgeBase`] and
//! builds the whole index in memory (a few milliseconds for the seed corpus), so a Lambda
//! cold start needs no file and no stored index.

mod analysis;
pub mod classifier;
mod compile;
pub mod fxhash;
pub mod grouping;
pub mod index;
pub mod intent;
pub mod kb;
pub mod lexicon;
mod ranking;
pub mod rephrase;
mod retrieval;
pub mod stem;
pub mod text;
pub mod typo;
mod verdict;

pub use analysis::Analysis;
pub use kb::{KbCategory, KbFaq, KbService, KnowledgeBase};
pub use ranking::{Candidate, Intent, Ranking};
pub use retrieval::{
    BM25_WEIGHT, ELSEWHERE_FACTOR, REPAIRED_WEIGHT, SERVICE_FACTOR, SHORT_MESSAGE, UNKNOWN_WEIGHT,
};
pub use verdict::{Answer, AnswerKind, Decision, Thresholds};

use fxhash::{FastMap, FastSet};
use index::Index;
use lexicon::{CueClass, Lexicon, PhraseMatcher, PlaceKind};
use stem::Stemmer;
use typo::TypoIndex;

/// Filler words that do not count when looking at the start or end of a clause.
const FILLERS: [&str; 22] = [
    "ya", "sih", "dong", "deh", "nih", "tuh", "kah", "lah", "min", "kak", "pak", "bu", "lur",
    "gan", "mas", "mbak", "admin", "saja", "yah", "loh", "kan", "kok",
];

#[derive(Debug, Clone)]
struct CategoryInfo {
    id: String,
    emergency: bool,
}

/// What the engine needs to know about one known word, found with one lookup per token.
#[derive(Debug, Clone)]
struct WordFacts {
    /// The word's stem ([`Stemmer::stem`], computed once at build time).
    stem: String,
    stopword: bool,
    filler: bool,
    /// Patterns of each phrase matcher whose first word this word is
    /// ([`PhraseMatcher::first_word`]).
    cue_first: Box<[usize]>,
    complaint_first: Box<[usize]>,
    place_first: Box<[usize]>,
    office_first: Box<[usize]>,
    /// The index's term for the stem ([`Index::term`]).
    term: Option<u32>,
    /// The word's trigrams as a query passes them ([`Index::word_grams`]).
    grams: Box<[u32]>,
}

fn clamp01(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, 1.0)
    }
}

/// One class of the learned classifier: an entry to answer with or a complaint category.
#[derive(Debug, Clone, PartialEq)]
pub struct LearnedClass {
    /// Entry or category id.
    pub id: String,
    /// `Faq`, `Service` or `Complaint` (a category).
    pub kind: AnswerKind,
}

/// The trained classifier with what each class stands for.
#[derive(Debug, Clone)]
struct Learned {
    model: classifier::NaiveBayes,
    classes: Vec<LearnedClass>,
    /// In scope (every text of the content) against the out-of-scope examples.
    scope: classifier::NaiveBayes,
}

/// The learned classifier (see `Engine::build`): trained the first time a message needs it,
/// so the engine's build stays as it was and messages the retrieval engine answers with
/// certainty never pay for it.
#[derive(Debug, Clone)]
struct LazyClassifier {
    kb: KnowledgeBase,
    learned: std::sync::OnceLock<Learned>,
}

impl LazyClassifier {
    /// The trained models; `lexicon` is the engine's (the same at every call).
    fn learned(&self, lexicon: &Lexicon) -> &Learned {
        self.learned
            .get_or_init(|| compile::train_classifier(&self.kb, lexicon))
    }
}

/// The answering engine. Cheap to share (`&self` everywhere); build once per process.
#[derive(Debug, Clone)]
pub struct Engine {
    lexicon: Lexicon,
    stemmer: Stemmer,
    typo: TypoIndex,
    index: Index,
    raw_vocab: FastSet<String>,
    vocab: FastSet<String>,
    /// The known words, never "repaired": the corpus vocabulary, the words of the cue lists
    /// and the gazetteer, the lexicon's known words and the stopwords. Each has its facts, so
    /// a known word costs one lookup per message instead of one per set and matcher it is
    /// checked against.
    word_ids: FastMap<String, u32>,
    word_facts: Vec<WordFacts>,
    cue_matcher: PhraseMatcher,
    cue_class: Vec<CueClass>,
    cue_weight: Vec<f64>,
    complaint_matcher: PhraseMatcher,
    complaint_category: Vec<usize>,
    complaint_weight: Vec<f64>,
    place_matcher: PhraseMatcher,
    place_kind: Vec<PlaceKind>,
    /// Office names (`lexicon-offices.tsv`) and the office each one names.
    office_matcher: PhraseMatcher,
    office_of: Vec<u16>,
    /// The offices' `opds.json` ids, by index.
    office_ids: Vec<String>,
    /// Per FAQ entry and service, the offices it belongs to or names.
    entry_offices: FastMap<Box<str>, Box<[u16]>>,
    categories: Vec<CategoryInfo>,
    thresholds: Thresholds,
    /// The classifier trained on every text of the content and its training phrases (see
    /// `Engine::build`), trained on first use.
    classifier: Option<Box<LazyClassifier>>,
    /// Training phrases by their words, with their entry (`None`: shared by two entries).
    taught: FastMap<String, Option<(String, AnswerKind)>>,
}

impl Engine {
    pub fn with_thresholds(mut self, thresholds: Thresholds) -> Self {
        self.thresholds = thresholds;
        self
    }

    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
    }

    /// Trains the classifier now instead of at the first message that needs it (a process
    /// that would rather pay at start-up, a benchmark). Returns whether there is one.
    pub fn prepare_classifier(&self) -> bool {
        self.classifier
            .as_ref()
            .map(|c| c.learned(&self.lexicon))
            .is_some()
    }

    /// Number of indexed documents (FAQ entries + services).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Size of the corpus vocabulary (normalised words).
    pub fn vocabulary_size(&self) -> usize {
        self.vocab.len()
    }

    /// Stem of one normalised word, as retrieval sees it.
    pub fn stem(&self, word: &str) -> String {
        self.stemmer.stem(word)
    }

    /// Answers one message.
    pub fn answer(&self, message: &str) -> Answer {
        self.rank(message).decide(&self.thresholds)
    }
}
