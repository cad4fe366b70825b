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

pub mod fxhash;
pub mod index;
pub mod intent;
pub mod kb;
pub mod lexicon;
pub mod rephrase;
pub mod stem;
pub mod text;
pub mod typo;

use std::borrow::Cow;

use serde::Serialize;

pub use kb::{KbCategory, KbFaq, KbService, KnowledgeBase};

use fxhash::{FastMap, FastSet};
use index::{DocInfo, DocInput, DocKind, Fusion, Index, Passage, Query, QueryTerm};
use intent::CueScores;
use lexicon::{for_each_non_overlapping, CueClass, Lexicon, PhraseMatcher, PlaceKind};
use stem::Stemmer;
use typo::TypoIndex;

/// What the engine decided a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AnswerKind {
    Faq,
    Service,
    Complaint,
    Emergency,
    Tracking,
    Greeting,
    Smalltalk,
    Fallback,
}

impl AnswerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerKind::Faq => "faq",
            AnswerKind::Service => "service",
            AnswerKind::Complaint => "complaint",
            AnswerKind::Emergency => "emergency",
            AnswerKind::Tracking => "tracking",
            AnswerKind::Greeting => "greeting",
            AnswerKind::Smalltalk => "smalltalk",
            AnswerKind::Fallback => "fallback",
        }
    }
}

/// The engine's verdict, serialised exactly as `prolink ask --json` prints it:
/// `{"kind", "id", "score", "alternatives"}`.
///
/// - `faq`/`service`: `id` is the entry to show verbatim; `alternatives` the runners-up.
/// - `complaint`: `id` is the complaint category; `emergency`: the emergency category (or
///   `null` when the knowledge base has none) with the matching `darurat.*` FAQ entries as
///   alternatives; `tracking`: the normalised ticket id.
/// - `fallback` with alternatives: "Apakah maksud Anda …" (the three best entries); without:
///   the bot does not know.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub kind: AnswerKind,
    pub id: Option<String>,
    pub score: f64,
    pub alternatives: Vec<String>,
}

/// What the dialog does with an [`Answer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Act on `id` (show the entry, start the complaint form, show 112, look up the ticket).
    Answer,
    /// Ask "Apakah maksud Anda …" with these entry ids (at most three).
    Suggest(Vec<String>),
    /// Say the bot does not know and offer the menu / an officer (greetings and small talk
    /// included: they get the menu, not an answer from the knowledge base).
    Fallback,
}

impl Answer {
    pub fn decision(&self) -> Decision {
        match (&self.id, self.kind) {
            (Some(_), _) => Decision::Answer,
            (None, AnswerKind::Emergency) => Decision::Answer,
            (None, AnswerKind::Fallback) if !self.alternatives.is_empty() => {
                Decision::Suggest(self.alternatives.clone())
            }
            _ => Decision::Fallback,
        }
    }

    /// The label the evaluation compares with (`faq id`, `complaint:<id>`, `emergency`,
    /// `fallback`): greetings, small talk and suggestions count as not answered.
    pub fn label(&self) -> String {
        match (self.kind, &self.id) {
            (AnswerKind::Faq, Some(id)) => id.clone(),
            (AnswerKind::Service, Some(id)) => id.clone(),
            (AnswerKind::Complaint, Some(id)) => format!("complaint:{id}"),
            (AnswerKind::Emergency, _) => "emergency".to_string(),
            (AnswerKind::Tracking, Some(id)) => format!("tracking:{id}"),
            _ => "fallback".to_string(),
        }
    }

    fn plain(kind: AnswerKind, id: Option<String>, score: f64) -> Self {
        Self {
            kind,
            id,
            score: clamp01(score),
            alternatives: Vec::new(),
        }
    }
}

fn clamp01(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, 1.0)
    }
}

/// Decision thresholds (chosen on `../shared/eval/dev.jsonl`, figures in docs/nlp.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Minimum fused retrieval score to answer with the top entry.
    pub answer: f64,
    /// Minimum lead of the top entry over the next different entry to answer...
    pub margin: f64,
    /// ...unless the top score is at least this high.
    pub sure: f64,
    /// A lower score still answers when the top entry scores at least `ratio` times the next
    /// different entry (a clear winner in a long or unusual message)...
    pub floor: f64,
    /// ...see `floor`.
    pub ratio: f64,
    /// Minimum score to offer "Apakah maksud Anda …".
    pub suggest: f64,
    /// Minimum complaint strength (problem + time + place + request − question cues).
    pub complaint: f64,
    /// Minimum category cue score to name a complaint category (else `lainnya`).
    pub category: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            answer: 0.42,
            margin: 0.04,
            sure: 0.80,
            floor: 0.28,
            ratio: 1.5,
            suggest: 0.25,
            complaint: 1.6,
            category: 1.5,
        }
    }
}

/// Weight of BM25 against the trigram cosine in the fused score.
pub const BM25_WEIGHT: f64 = 0.6;
/// Services rank with this factor, so that a FAQ entry that fits about as well wins.
pub const SERVICE_FACTOR: f64 = 0.9;
/// A question about another city's services keeps this share of its score.
pub const ELSEWHERE_FACTOR: f64 = 0.55;
/// An unknown content word weighs this share of the rarest corpus word.
pub const UNKNOWN_WEIGHT: f64 = 0.5;
/// Weight of a word that typo repair replaced.
pub const REPAIRED_WEIGHT: f64 = 0.5;
/// Retrieval candidates kept per message (the decision looks at the first few).
const MAX_CANDIDATES: usize = 10;
/// Messages up to this many words are "short" (see [`ELSEWHERE_FACTOR`]).
pub const SHORT_MESSAGE: usize = 12;

/// Filler words that do not count when looking at the start or end of a clause.
const FILLERS: [&str; 22] = [
    "ya", "sih", "dong", "deh", "nih", "tuh", "kah", "lah", "min", "kak", "pak", "bu", "lur",
    "gan", "mas", "mbak", "admin", "saja", "yah", "loh", "kan", "kok",
];

/// Words that make a mention of another city compatible with a local question (moving in).
const MOBILITY: [&str; 8] = [
    "pindah", "pindahan", "datang", "asal", "domisili", "mudik", "merantau", "rantau",
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
    /// The index's term for the stem ([`Index::term`]).
    term: Option<u32>,
    /// The word's trigrams as a query passes them ([`Index::word_grams`]).
    grams: Box<[u32]>,
}

/// Word id of a token that is not in the engine's word table.
const NO_WORD: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, Default)]
struct MoneyDemand {
    found: bool,
    personal: bool,
}

/// What the engine knows of one token besides its text and stem.
#[derive(Debug, Clone, Copy, PartialEq)]
struct TokenMarks {
    /// The token's id in the engine's word table ([`NO_WORD`] when absent).
    word: u32,
    /// Whether the token counts for retrieval (not a stopword).
    content: bool,
    /// Whether the token is a chat filler ([`FILLERS`]): looked up once, asked four times.
    filler: bool,
    /// Whether the token is among the first two or last two meaningful words of its clause.
    at_edge: bool,
    /// Whether the token's clause is a question.
    question_clause: bool,
}

impl TokenMarks {
    fn new(word: u32, content: bool, filler: bool) -> Self {
        TokenMarks {
            word,
            content,
            filler,
            at_edge: false,
            question_clause: false,
        }
    }

    /// Counts for retrieval: neither a stopword nor a filler.
    fn is_content_word(&self) -> bool {
        self.content && !self.filler
    }
}

/// One message after normalisation, with everything intent detection and retrieval need.
/// Words the engine knows are borrowed from its word table (`'e`), so a message's usual
/// words cost no allocation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Analysis<'e> {
    /// The message with PII masked: the only form that may be logged.
    pub masked: String,
    pub tokens: Vec<Cow<'e, str>>,
    pub stems: Vec<Cow<'e, str>>,
    /// What else is known of each token (one vector, not five: fewer allocations).
    marks: Vec<TokenMarks>,
    /// The word as typed when typo repair replaced it (else `None`).
    pub repaired_from: Vec<Option<String>>,
    /// Some clause is a question (question mark, or a trailing negation).
    asked: bool,
    surface: text::Surface,
}

/// A ranked retrieval candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate<'e> {
    /// Borrowed from the engine: a message's ten candidates cost no copy or count.
    pub id: &'e str,
    pub kind: AnswerKind,
    pub category: &'e str,
    pub score: f64,
    pub bm25: f64,
    pub ngram: f64,
    pub coverage: f64,
    /// Distinct query stems found in the entry.
    pub matched: usize,
}

/// The intent part of a ranking.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent<'e> {
    Empty,
    Tracking(String),
    Emergency,
    Greeting,
    Smalltalk,
    /// Complaint strength and category scores (best first).
    Complaint {
        strength: f64,
        categories: Vec<(&'e str, f64)>,
    },
    Question,
}

/// Everything the decision needs, before thresholds: lets the evaluation sweep thresholds
/// without re-running the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking<'e> {
    pub intent: Intent<'e>,
    /// Complaint strength even when the intent is a question (for calibration).
    pub complaint_strength: f64,
    pub complaint_categories: Vec<(&'e str, f64)>,
    pub candidates: Vec<Candidate<'e>>,
    pub emergency_category: Option<&'e str>,
    pub lainnya: Option<&'e str>,
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
    categories: Vec<CategoryInfo>,
    thresholds: Thresholds,
}

struct DocText<'a> {
    info: DocInfo,
    fields: Vec<(&'a str, f64)>,
    keywords: &'a [String],
    keyword_weight: f64,
}

impl Engine {
    /// Builds the engine with the compiled-in lexicon.
    pub fn build(kb: &KnowledgeBase) -> Engine {
        Self::build_with_lexicon(kb, Lexicon::builtin())
    }

    pub fn build_with_lexicon(kb: &KnowledgeBase, lexicon: Lexicon) -> Engine {
        let mut docs: Vec<DocText<'_>> = Vec::new();
        for f in &kb.faqs {
            let mut fields: Vec<(&str, f64)> =
                vec![(f.title.as_str(), 1.0), (f.question.as_str(), 1.5)];
            fields.extend(f.alt_questions.iter().map(|q| (q.as_str(), 1.0)));
            docs.push(DocText {
                info: DocInfo {
                    id: f.id.as_str().into(),
                    kind: DocKind::Faq,
                    category: f.category.as_str().into(),
                },
                fields,
                keywords: &f.keywords,
                keyword_weight: 1.5,
            });
        }
        for s in &kb.services {
            docs.push(DocText {
                info: DocInfo {
                    id: s.id.as_str().into(),
                    kind: DocKind::Service,
                    category: s.category.as_str().into(),
                },
                fields: vec![
                    (s.name.as_str(), 1.5),
                    (s.short_name.as_str(), 1.0),
                    (s.description.as_str(), 0.7),
                ],
                keywords: &[],
                keyword_weight: 0.0,
            });
        }
        // Pass 1: the corpus's own words, which IndoCollex rows must not rewrite.
        let mut raw_vocab = FastSet::default();
        for d in &docs {
            for (t, _) in &d.fields {
                raw_vocab.extend(text::tokenize(t));
            }
            for k in d.keywords {
                raw_vocab.extend(text::tokenize(k));
            }
        }
        for c in &kb.categories {
            for k in &c.keywords {
                raw_vocab.extend(text::tokenize(k));
            }
        }
        // Pass 2: normalised words of every passage.
        let normalise = |s: &str| -> Vec<String> {
            lexicon.apply(text::tokenize(s), |w| raw_vocab.contains(w))
        };
        let mut passages_words: Vec<Vec<(Vec<String>, f64)>> = Vec::with_capacity(docs.len());
        let mut frequency: FastMap<String, u32> = FastMap::default();
        for d in &docs {
            let mut ps = Vec::new();
            for (t, w) in &d.fields {
                ps.push((normalise(t), *w));
            }
            if !d.keywords.is_empty() {
                let mut kw = Vec::new();
                for k in d.keywords {
                    kw.extend(normalise(k));
                }
                ps.push((kw, d.keyword_weight));
            }
            for (words, _) in &ps {
                for w in words {
                    if !lexicon.stopwords.contains(w) {
                        *frequency.entry(w.clone()).or_insert(0) += 1;
                    }
                }
            }
            passages_words.push(ps);
        }
        let mut stem_vocab: Vec<&str> = frequency.keys().map(String::as_str).collect();
        stem_vocab.extend(lexicon.known_words.iter().map(String::as_str));
        let stemmer = Stemmer::new(lexicon.stem_overrides.clone(), stem_vocab);
        let mut inputs = Vec::with_capacity(docs.len());
        for (d, ps) in docs.into_iter().zip(passages_words) {
            let passages = ps
                .into_iter()
                .map(|(words, weight)| {
                    let words: Vec<String> = words
                        .into_iter()
                        .filter(|w| !lexicon.stopwords.contains(w))
                        .collect();
                    let stems = words.iter().map(|w| stemmer.stem(w)).collect();
                    Passage {
                        words,
                        stems,
                        weight,
                    }
                })
                .collect();
            inputs.push(DocInput {
                info: d.info,
                passages,
            });
        }
        let index = Index::build(inputs);
        let typo = TypoIndex::build(&frequency);
        let vocab: FastSet<String> = frequency.keys().cloned().collect();

        let mut cue_words: FastSet<String> = FastSet::default();
        let mut remember = |pattern: Vec<lexicon::PatternToken>| {
            for t in &pattern {
                if let lexicon::PatternToken::Exact(w) = t {
                    cue_words.insert(w.clone());
                }
            }
            pattern
        };
        let mut cue_matcher = PhraseMatcher::default();
        let mut cue_class = Vec::new();
        let mut cue_weight = Vec::new();
        for (phrase, class, weight) in &lexicon.intent_cues {
            cue_matcher.add(remember(lexicon.pattern(phrase)));
            cue_class.push(*class);
            cue_weight.push(*weight);
        }
        let categories: Vec<CategoryInfo> = kb
            .categories
            .iter()
            .map(|c| CategoryInfo {
                id: c.id.clone(),
                emergency: c.emergency,
            })
            .collect();
        let mut complaint_matcher = PhraseMatcher::default();
        let mut complaint_category = Vec::new();
        let mut complaint_weight = Vec::new();
        for (phrase, category, weight) in &lexicon.complaint_cues {
            if let Some(ci) = categories.iter().position(|c| *c.id == **category) {
                complaint_matcher.add(remember(lexicon.pattern(phrase)));
                complaint_category.push(ci);
                complaint_weight.push(*weight);
            }
        }
        for (ci, c) in kb.categories.iter().enumerate() {
            for k in &c.keywords {
                complaint_matcher.add(remember(lexicon.pattern(k)));
                complaint_category.push(ci);
                complaint_weight.push(1.0);
            }
        }
        let mut place_matcher = PhraseMatcher::default();
        let mut place_kind = Vec::new();
        for (name, kind) in &lexicon.places {
            place_matcher.add(remember(lexicon.pattern(name)));
            place_kind.push(*kind);
        }
        let mut known = cue_words;
        known.extend(vocab.iter().cloned());
        known.extend(lexicon.known_words.iter().cloned());
        known.extend(lexicon.stopwords.iter().cloned());
        let mut word_ids = FastMap::default();
        let mut word_facts = Vec::with_capacity(known.len());
        let mut grams = Vec::new();
        for w in known {
            let stem = stemmer.stem(&w);
            grams.clear();
            index.word_grams(&w, &mut grams);
            word_facts.push(WordFacts {
                term: index.term(&stem),
                grams: grams.as_slice().into(),
                stem,
                stopword: lexicon.stopwords.contains(&w),
                filler: FILLERS.contains(&w.as_str()),
                cue_first: cue_matcher.first_word(&w).into(),
                complaint_first: complaint_matcher.first_word(&w).into(),
                place_first: place_matcher.first_word(&w).into(),
            });
            word_ids.insert(w, (word_facts.len() - 1) as u32);
        }
        Engine {
            lexicon,
            stemmer,
            typo,
            index,
            raw_vocab,
            vocab,
            word_ids,
            word_facts,
            cue_matcher,
            cue_class,
            cue_weight,
            complaint_matcher,
            complaint_category,
            complaint_weight,
            place_matcher,
            place_kind,
            categories,
            thresholds: Thresholds::default(),
        }
    }

    pub fn with_thresholds(mut self, thresholds: Thresholds) -> Self {
        self.thresholds = thresholds;
        self
    }

    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
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

    fn is_known(&self, word: &str) -> bool {
        self.word_ids.contains_key(word) || word.bytes().all(|b| b.is_ascii_digit())
    }

    /// Informal verb morphology: ngurus/nyari/nulis (nasal prefix without me-), daftarin
    /// (-in for -kan), alamate/lampune (Javanese -e/-ne for -nya). Accepts a rewrite only
    /// when the result is a corpus word or stem.
    fn informal_morphology(&self, word: &str) -> Option<String> {
        // Every candidate goes into one buffer (`spans` holds their byte ranges), in the
        // order the rules list them: this runs for every unknown word, and a string per
        // candidate (up to two dozen) was most of its cost besides the stemming.
        let mut buf = String::with_capacity(word.len() * 24);
        let mut spans: Vec<(usize, usize)> = Vec::with_capacity(24);
        fn push(buf: &mut String, spans: &mut Vec<(usize, usize)>, head: &str, rest: &str) {
            let start = buf.len();
            buf.push_str(head);
            buf.push_str(rest);
            spans.push((start, buf.len()));
        }
        for (suffix, replacement) in [
            ("in", "kan"),
            ("in", ""),
            ("ne", ""),
            ("e", ""),
            // Madurese -na / -ra for -nya (kantorra).
            ("ra", ""),
            ("na", ""),
        ] {
            if let Some(base) = word.strip_suffix(suffix) {
                if base.len() >= 3 {
                    push(&mut buf, &mut spans, base, replacement);
                }
            }
        }
        let stems_from = |w: &str, buf: &mut String, spans: &mut Vec<(usize, usize)>| {
            if let Some(rest) = w.strip_prefix("di") {
                push(buf, spans, "", rest);
            }
            if let Some(rest) = w.strip_prefix("nge") {
                push(buf, spans, "", rest);
            }
            if let Some(rest) = w.strip_prefix("ng") {
                push(buf, spans, "", rest);
                push(buf, spans, "k", rest);
            }
            if let Some(rest) = w.strip_prefix("ny") {
                push(buf, spans, "s", rest);
                push(buf, spans, "c", rest);
            }
            if let Some(rest) = w.strip_prefix('m') {
                if rest.starts_with(|c: char| "aeiou".contains(c)) {
                    push(buf, spans, "p", rest);
                } else {
                    push(buf, spans, "", rest);
                }
            }
            if let Some(rest) = w.strip_prefix('n') {
                if rest.starts_with(|c: char| "aeiou".contains(c)) {
                    push(buf, spans, "t", rest);
                }
            }
        };
        let suffixed = spans.len();
        stems_from(word, &mut buf, &mut spans);
        // The suffix candidates are copied out once: the buffer grows while they are read.
        let mut candidate = String::with_capacity(word.len() + 3);
        for i in 0..suffixed {
            let (start, end) = spans[i];
            candidate.clear();
            candidate.push_str(&buf[start..end]);
            stems_from(&candidate, &mut buf, &mut spans);
        }
        let candidates = spans.iter().map(|&(start, end)| &buf[start..end]);
        // A surface corpus word first (cheap), then an inflected form of a corpus stem.
        if let Some(hit) = candidates
            .clone()
            .find(|c| c.len() >= 3 && self.vocab.contains(*c))
        {
            return Some(hit.to_string());
        }
        candidates
            .into_iter()
            .find(|c| c.len() >= 3 && self.index.has_term(&self.stemmer.stem_cow(c)))
            .map(str::to_string)
    }

    /// Normalises one message (the same steps the corpus went through, plus repair).
    pub fn analyse(&self, message: &str) -> Analysis<'_> {
        let masked = text::mask_pii(message);
        let surface = text::Surface::of(&masked);
        // Sized once for the whole message: growing six vectors word by word was a visible
        // share of the per-message cost.
        let expected = masked.len() / 4 + 4;
        let mut analysis = Analysis {
            surface,
            tokens: Vec::with_capacity(expected),
            stems: Vec::with_capacity(expected),
            marks: Vec::with_capacity(expected),
            repaired_from: Vec::with_capacity(expected),
            ..Analysis::default()
        };
        let clauses = split_clauses(&masked);
        // Every clause's words in one buffer (elongated words repaired and appended), then
        // read as borrowed slices: no string per word.
        let mut buf = String::with_capacity(masked.len() + 16);
        let mut spans: Vec<(usize, usize)> = Vec::with_capacity(expected);
        let mut clause_ends = Vec::with_capacity(clauses.len());
        for (clause, _) in &clauses {
            let from = spans.len();
            text::tokenize_into(clause, &mut buf, &mut spans);
            for span in &mut spans[from..] {
                let word = &buf[span.0..span.1];
                if text::looks_elongated(word) {
                    let fixed = text::fix_elongation(word.to_string(), |w| {
                        self.is_known(w) || self.lexicon.is_replaced(w)
                    });
                    let at = buf.len();
                    buf.push_str(&fixed);
                    *span = (at, buf.len());
                }
            }
            clause_ends.push(spans.len());
        }
        let mut raw: Vec<&str> = Vec::with_capacity(expected);
        let mut normalised: Vec<&str> = Vec::with_capacity(expected + 2);
        let mut first = 0;
        for ((_, asked), &end) in clauses.iter().zip(&clause_ends) {
            raw.clear();
            raw.extend(spans[first..end].iter().map(|&(s, e)| &buf[s..e]));
            first = end;
            normalised.clear();
            self.lexicon
                .apply_to(&raw, |w| self.raw_vocab.contains(w), &mut normalised);
            let clause_start = analysis.tokens.len();
            for &t in &normalised {
                // A known word (nearly every word of a message): everything in one lookup,
                // and the word and its stem borrowed from the table. The slow path below
                // gives the same result for it.
                if let Some((word, &id)) = self.word_ids.get_key_value(t) {
                    let facts = &self.word_facts[id as usize];
                    analysis
                        .marks
                        .push(TokenMarks::new(id, !facts.stopword, facts.filler));
                    analysis.tokens.push(Cow::Borrowed(word.as_str()));
                    analysis.stems.push(Cow::Borrowed(facts.stem.as_str()));
                    analysis.repaired_from.push(None);
                    continue;
                }
                // The stem is looked up once: it decides whether the word is known and is
                // the word's stem when it is kept.
                let stem = self.stemmer.stem_cow(t);
                let (token, stem, typed) = if self.is_known(t) || self.index.has_term(&stem) {
                    (t.to_string(), stem.into_owned(), None)
                } else if let Some(m) = self.informal_morphology(t) {
                    let stem = self.stemmer.stem(&m);
                    (m, stem, None)
                } else if let Some(fixed) = self.typo.correct(t) {
                    (
                        fixed.to_string(),
                        self.stemmer.stem(fixed),
                        Some(t.to_string()),
                    )
                } else {
                    (t.to_string(), stem.into_owned(), None)
                };
                analysis.marks.push(TokenMarks::new(
                    self.word_ids
                        .get(token.as_str())
                        .copied()
                        .unwrap_or(NO_WORD),
                    !self.lexicon.stopwords.contains(&token),
                    FILLERS.contains(&token.as_str()),
                ));
                analysis.tokens.push(Cow::Owned(token));
                analysis.stems.push(Cow::Owned(stem));
                analysis.repaired_from.push(typed);
            }
            let tokens = &analysis.tokens[clause_start..];
            let marks = &mut analysis.marks[clause_start..];
            let meaningful_count = marks.iter().filter(|m| !m.filler).count();
            // "bisa ganti gk", "bayar gk": a clause that ends in a negation is a yes/no
            // question in chat, with or without a question mark.
            let asked = *asked
                || tokens
                    .iter()
                    .zip(marks.iter())
                    .rev()
                    .find(|(_, m)| !m.filler)
                    .is_some_and(|(t, _)| matches!(&**t, "tidak" | "belum" | "bukan"));
            if asked {
                analysis.asked = true;
            }
            let mut rank = 0;
            for m in marks.iter_mut() {
                m.at_edge = if m.filler {
                    false
                } else {
                    rank += 1;
                    rank - 1 < 2 || rank + 1 >= meaningful_count
                };
                m.question_clause = asked;
            }
        }
        analysis.masked = masked;
        analysis
    }

    /// The facts of token `i` of an analysis, if it is a known word.
    fn facts(&self, a: &Analysis, i: usize) -> Option<&WordFacts> {
        a.marks
            .get(i)
            .and_then(|m| self.word_facts.get(m.word as usize))
    }

    fn cue_scores(&self, a: &Analysis) -> CueScores {
        let matches = self
            .cue_matcher
            .find_with(&a.tokens, |i| self.facts(a, i).map(|f| &f.cue_first[..]));
        intent::score_cues(
            matches,
            &self.cue_class,
            &self.cue_weight,
            a.tokens.len(),
            |t| a.marks.get(t).is_some_and(|m| m.at_edge),
            |t| a.marks.get(t).is_some_and(|m| m.question_clause),
        )
    }

    fn complaint_categories(&self, a: &Analysis) -> Vec<(&str, f64)> {
        // "... di jalan Suroyo", "depan gang 3": a street in an address says where, not what
        // is broken; it must not pull every report towards jalan-rusak.
        const BEFORE_ADDRESS: [&str; 8] = [
            "di", "depan", "dekat", "sekitar", "ke", "samping", "belakang", "ujung",
        ];
        const ROAD_STATE: [&str; 10] = [
            "rusak",
            "berlubang",
            "lubang",
            "ambles",
            "retak",
            "hancur",
            "jelek",
            "becek",
            "bergelombang",
            "bolong",
        ];
        let tokens = &a.tokens;
        let address: Vec<bool> = (0..tokens.len())
            .map(|i| {
                i > 0
                    && matches!(&*tokens[i], "jalan" | "gang")
                    && BEFORE_ADDRESS.contains(&&*tokens[i - 1])
                    && !tokens
                        .get(i + 1)
                        .is_some_and(|n| ROAD_STATE.contains(&&**n))
            })
            .collect();
        let mut matches: Vec<lexicon::PhraseMatch> = self
            .complaint_matcher
            .find_with(tokens, |i| self.facts(a, i).map(|f| &f.complaint_first[..]))
            .into_iter()
            .filter(|m| !(m.start..m.start + m.len).any(|t| address[t]))
            .collect();
        // Per category: longest cues first, each token once with its heaviest cue.
        matches.sort_by_key(|m| self.complaint_category[m.pattern]);
        let mut scores: Vec<(&str, f64)> = Vec::new();
        let mut covered = Vec::new();
        let mut best: Vec<(usize, f64)> = Vec::new();
        for group in matches.chunk_by_mut(|a, b| {
            self.complaint_category[a.pattern] == self.complaint_category[b.pattern]
        }) {
            let ci = self.complaint_category[group[0].pattern];
            if self.categories[ci].emergency {
                continue;
            }
            best.clear();
            for_each_non_overlapping(group, &mut covered, |m| {
                let w = self.complaint_weight[m.pattern];
                match best.iter_mut().find(|(start, _)| *start == m.start) {
                    Some(e) => e.1 = e.1.max(w),
                    None => best.push((m.start, w)),
                }
            });
            let total: f64 = best.iter().map(|(_, w)| w).sum();
            if total > 0.0 {
                scores.push((&self.categories[ci].id, total));
            }
        }
        scores.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        scores
    }

    /// Duration written with a number ("2 bln", "3 hari", "3x"): strong evidence of a report.
    fn number_time(a: &Analysis) -> f64 {
        let units = ["hari", "minggu", "bulan", "tahun", "jam", "x", "kali"];
        let mut bonus: f64 = 0.0;
        for w in a.tokens.windows(2) {
            if w[0].bytes().all(|b| b.is_ascii_digit()) && units.contains(&&*w[1]) {
                bonus += 1.0;
            }
        }
        bonus.min(1.5)
    }

    /// Someone asks for an amount of money ("minta 50rb", "dipungut Rp 20.000"): the core of
    /// a pungli report, which no single cue word captures.
    fn money_demand(a: &Analysis) -> MoneyDemand {
        const DEMAND: [&str; 18] = [
            "minta",
            "meminta",
            "diminta",
            "dimintai",
            "pungut",
            "dipungut",
            "memungut",
            "ditarik",
            "menarik",
            "narik",
            "disuruh",
            "suruh",
            "wajib",
            "dipotong",
            "potong",
            "memotong",
            "motong",
            "dipangkas",
        ];
        // People (not institutions): an individual asking money for themselves is pungli
        // whatever the service (labelling rule of the eval files).
        const PERSONS: [&str; 17] = [
            "petugas", "oknum", "pegawai", "staf", "staff", "orang", "pak", "bu", "bapak", "ibu",
            "kepala", "ketua", "lurah", "camat", "satpam", "guru", "calo",
        ];
        const UNITS: [&str; 7] = ["rb", "ribu", "k", "juta", "jt", "rupiah", "perak"];
        let t = &a.tokens;
        for i in 0..t.len() {
            let number = t[i].bytes().all(|b| b.is_ascii_digit());
            let amount = (number && t.get(i + 1).is_some_and(|u| UNITS.contains(&&**u)))
                || (t[i] == "rp"
                    && t.get(i + 1)
                        .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())));
            if !amount {
                continue;
            }
            if let Some(v) = t[i.saturating_sub(4)..i]
                .iter()
                .position(|w| DEMAND.contains(&&**w))
            {
                let verb = i.saturating_sub(4) + v;
                let personal = t[verb.saturating_sub(4)..verb]
                    .iter()
                    .any(|w| PERSONS.contains(&&**w));
                return MoneyDemand {
                    found: true,
                    personal,
                };
            }
        }
        MoneyDemand::default()
    }

    /// "ktp saya rusak", "ijazah hilang": damage to the writer's own document is a request
    /// for a replacement (a FAQ), not a report about a public service.
    fn document_damage(a: &Analysis) -> f64 {
        const DOCUMENTS: [&str; 14] = [
            "ktp",
            "kk",
            "akta",
            "ijazah",
            "sppt",
            "kartu",
            "kia",
            "kis",
            "stnk",
            "sim",
            "buku",
            "sertifikat",
            "rapor",
            "paspor",
        ];
        const DAMAGE: [&str; 8] = [
            "rusak", "patah", "hilang", "sobek", "robek", "basah", "luntur", "hancur",
        ];
        let t = &a.tokens;
        let mut discount = 0.0;
        for i in 0..t.len() {
            if DAMAGE.contains(&&*t[i])
                && t[i.saturating_sub(3)..i]
                    .iter()
                    .any(|w| DOCUMENTS.contains(&&**w))
            {
                discount += 1.5;
            }
        }
        discount
    }

    /// Runs the whole pipeline up to, but not including, the thresholds.
    pub fn rank(&self, message: &str) -> Ranking<'_> {
        let emergency_category = self.categories.iter().find(|c| c.emergency).map(|c| &*c.id);
        let lainnya = self
            .categories
            .iter()
            .find(|c| &*c.id == "lainnya")
            .map(|c| &*c.id);
        let mut ranking = Ranking {
            intent: Intent::Question,
            complaint_strength: 0.0,
            complaint_categories: Vec::new(),
            candidates: Vec::new(),
            emergency_category,
            lainnya,
        };
        if let Some(ticket) = intent::find_ticket(message) {
            ranking.intent = Intent::Tracking(ticket);
            return ranking;
        }
        let a = self.analyse(message);
        if a.tokens.is_empty() {
            ranking.intent = Intent::Empty;
            return ranking;
        }
        let cues = self.cue_scores(&a);
        // Place names serve both retrieval and the complaint strength: matched once.
        let places = self
            .place_matcher
            .find_with(&a.tokens, |i| self.facts(&a, i).map(|f| &f.place_first[..]));
        ranking.candidates = self.retrieve(&a, &places);
        if intent::is_emergency(&cues, a.surface.upper_ratio > 0.6, a.surface.exclamations) {
            ranking.intent = Intent::Emergency;
            return ranking;
        }
        let social_only = cues.has_greet || cues.has_thanks || cues.has_ack_or_laugh;
        let uncovered_content =
            (0..a.tokens.len()).any(|i| !cues.social_covered[i] && a.marks[i].is_content_word());
        if social_only && !uncovered_content {
            ranking.intent = if cues.has_thanks || cues.has_ack_or_laugh {
                Intent::Smalltalk
            } else {
                Intent::Greeting
            };
            return ranking;
        }
        let mut cues = cues;
        let money = Self::money_demand(&a);
        let problem = &mut cues.by_class[CueClass::Problem.index()];
        if money.found {
            *problem += 2.0;
        }
        *problem = (*problem - Self::document_damage(&a)).max(0.0);
        let local_places = places
            .iter()
            .filter(|m| self.place_kind[m.pattern] == PlaceKind::Kota)
            .count();
        cues.by_class[CueClass::Place.index()] += local_places as f64;
        let strength = intent::complaint_strength(&cues, Self::number_time(&a), a.asked);
        let mut categories = self.complaint_categories(&a);
        if money.personal {
            if let Some(c) = categories
                .iter_mut()
                .find(|(id, _)| *id == "pungli-korupsi")
            {
                c.1 += 2.0;
            } else if let Some(c) = self.categories.iter().find(|c| &*c.id == "pungli-korupsi") {
                categories.push((&c.id, 2.0));
            }
            categories.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        }
        ranking.complaint_strength = strength;
        ranking.complaint_categories = categories.clone();
        if cues.get(CueClass::Problem) > 0.0 || cues.get(CueClass::Request) >= 1.5 {
            ranking.intent = Intent::Complaint {
                strength,
                categories,
            };
        }
        ranking
    }

    /// The query term of a stem: from the word table when its word is there.
    fn query_term<'a>(&self, stem: &'a str, facts: Option<&WordFacts>) -> QueryTerm<'a> {
        let term = match facts {
            Some(f) => f.term,
            None => self.index.term(stem),
        };
        term.map_or(QueryTerm::Unknown(stem), QueryTerm::Known)
    }

    /// Appends the trigrams of a word: from the word table when it is there.
    fn query_grams(&self, word: &str, facts: Option<&WordFacts>, grams: &mut Vec<u32>) {
        match facts {
            Some(f) => grams.extend_from_slice(&f.grams),
            None => self.index.word_grams(word, grams),
        }
    }

    fn retrieve(&self, a: &Analysis, places: &[lexicon::PhraseMatch]) -> Vec<Candidate<'_>> {
        // Borrowed from the analysis and the word table: the index only reads them.
        let mut terms: Vec<(QueryTerm<'_>, f64)> = Vec::with_capacity(a.tokens.len() + 1);
        let mut grams: Vec<u32> = Vec::with_capacity(a.tokens.len() * 8 + 11);
        for (i, t) in a.tokens.iter().enumerate() {
            if a.marks[i].is_content_word() {
                let facts = self.facts(a, i);
                let term = self.query_term(&a.stems[i], facts);
                // A repaired word is a guess: it counts half, and the trigrams see what was
                // typed (they match a real typo well enough on their own).
                match &a.repaired_from[i] {
                    Some(typed) => {
                        self.index.word_grams(typed, &mut grams);
                        terms.push((term, REPAIRED_WEIGHT));
                    }
                    None => {
                        self.query_grams(t, facts, &mut grams);
                        terms.push((term, 1.0));
                    }
                }
            }
        }
        let mut elsewhere = false;
        for m in places {
            match self.place_kind[m.pattern] {
                PlaceKind::Kabupaten => {
                    let facts = self
                        .word_ids
                        .get("kabupaten")
                        .and_then(|&id| self.word_facts.get(id as usize));
                    self.query_grams("kabupaten", facts, &mut grams);
                    terms.push((self.query_term("kabupaten", None), 1.0));
                }
                PlaceKind::Elsewhere => elsewhere = true,
                PlaceKind::Kota => {}
            }
        }
        // In a long story another city is a detail (a relative lives there); in a short
        // question it is the subject ("jam buka samsat surabaya").
        let moving =
            a.tokens.iter().any(|t| MOBILITY.contains(&&**t)) || a.tokens.len() > SHORT_MESSAGE;
        if terms.is_empty() {
            return Vec::new();
        }
        let penalty = if elsewhere && !moving {
            ELSEWHERE_FACTOR
        } else {
            1.0
        };
        let fusion = Fusion {
            bm25_weight: BM25_WEIGHT,
            faq_factor: 1.0,
            service_factor: SERVICE_FACTOR,
            penalty,
        };
        let query = Query {
            terms: &terms,
            grams: &grams,
            unknown_weight: UNKNOWN_WEIGHT,
        };
        // Only the best few become candidates (ids are cloned for those alone).
        let ranked = self.index.search(&query, MAX_CANDIDATES, &fusion);
        ranked
            .into_iter()
            .map(|(score, s)| {
                let info = &self.index.docs[s.doc];
                Candidate {
                    id: &info.id,
                    kind: match info.kind {
                        DocKind::Faq => AnswerKind::Faq,
                        DocKind::Service => AnswerKind::Service,
                    },
                    category: &info.category,
                    score,
                    bm25: s.bm25,
                    ngram: s.ngram,
                    coverage: s.coverage,
                    matched: s.matched,
                }
            })
            .collect()
    }

    /// Debug view of one message: tokens, stems, cue sums, complaint strength, candidates.
    pub fn explain(&self, message: &str) -> String {
        let a = self.analyse(message);
        let cues = self.cue_scores(&a);
        let r = self.rank(message);
        let mut out = String::new();
        out.push_str(&format!("tokens: {:?}\nstems: {:?}\n", a.tokens, a.stems));
        let named: Vec<String> = CueClass::ALL
            .iter()
            .filter(|c| cues.get(**c) != 0.0)
            .map(|c| format!("{c:?}={:.2}", cues.get(*c)))
            .collect();
        out.push_str(&format!("cues: {}\n", named.join(" ")));
        out.push_str(&format!(
            "intent: {:?}\ncomplaint strength: {:.2} categories: {:?}\n",
            r.intent, r.complaint_strength, r.complaint_categories
        ));
        for c in r.candidates.iter().take(5) {
            out.push_str(&format!(
                "  {:.3} bm25={:.3} ngram={:.3} cov={:.2} {}\n",
                c.score, c.bm25, c.ngram, c.coverage, c.id
            ));
        }
        out
    }
}

/// Splits a message into clauses at , ; ? ! newlines and sentence dots; the flag tells
/// whether the clause ends with a question mark.
fn split_clauses(text: &str) -> Vec<(&str, bool)> {
    let mut clauses = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let cut = match b {
            b',' | b';' | b'?' | b'!' | b'\n' => true,
            b'.' => {
                // "jl. kartini" and "rt. 02" are abbreviations, not sentence ends.
                let next_space = bytes.get(i + 1).is_none_or(|c| c.is_ascii_whitespace());
                let word_len = text[start..i]
                    .rsplit(|c: char| !c.is_alphanumeric())
                    .next()
                    .map_or(0, str::len);
                next_space && word_len > 3
            }
            _ => false,
        };
        if cut {
            let clause = &text[start..i];
            if !clause.trim().is_empty() {
                clauses.push((clause, b == b'?'));
            } else if b == b'?' {
                if let Some(last) = clauses.last_mut() {
                    last.1 = true;
                }
            }
            start = i + 1;
        }
    }
    if start < text.len() && !text[start..].trim().is_empty() {
        clauses.push((&text[start..], false));
    }
    clauses
}

impl Ranking<'_> {
    /// Applies the thresholds.
    pub fn decide(&self, t: &Thresholds) -> Answer {
        match &self.intent {
            Intent::Empty => return Answer::plain(AnswerKind::Fallback, None, 0.0),
            Intent::Tracking(ticket) => {
                return Answer::plain(AnswerKind::Tracking, Some(ticket.clone()), 1.0)
            }
            Intent::Greeting => return Answer::plain(AnswerKind::Greeting, None, 1.0),
            Intent::Smalltalk => return Answer::plain(AnswerKind::Smalltalk, None, 1.0),
            Intent::Emergency => {
                let mut answer = Answer::plain(
                    AnswerKind::Emergency,
                    self.emergency_category.map(str::to_string),
                    1.0,
                );
                answer.alternatives = self
                    .candidates
                    .iter()
                    .filter(|c| {
                        c.category == "darurat" && c.kind == AnswerKind::Faq && c.score >= t.suggest
                    })
                    .take(3)
                    .map(|c| c.id.to_string())
                    .collect();
                return answer;
            }
            Intent::Complaint {
                strength,
                categories,
            } => {
                if *strength >= t.complaint {
                    let best = categories.first().filter(|(_, s)| *s >= t.category);
                    let id = match best {
                        Some((id, _)) => Some(*id),
                        None => self.lainnya,
                    };
                    if let Some(id) = id {
                        let mut answer = Answer::plain(
                            AnswerKind::Complaint,
                            Some(id.to_string()),
                            1.0 - (-strength / 2.0).exp(),
                        );
                        answer.alternatives = categories
                            .iter()
                            .filter(|(c, _)| *c != id)
                            .take(3)
                            .map(|(c, _)| c.to_string())
                            .collect();
                        return answer;
                    }
                }
            }
            Intent::Question => {}
        }
        let Some(top) = self.candidates.first() else {
            return Answer::plain(AnswerKind::Fallback, None, 0.0);
        };
        // Ambiguity is measured against the next entry of the same kind: a FAQ entry and the
        // service that describes the same procedure are not competing answers.
        let second = self
            .candidates
            .iter()
            .skip(1)
            .find(|c| c.kind == top.kind)
            .map_or(0.0, |c| c.score);
        let confident = (top.score >= t.answer
            && (top.score - second >= t.margin || top.score >= t.sure))
            || (top.score >= t.floor && top.score >= t.ratio * second && top.matched >= 2);
        if confident {
            let mut answer = Answer::plain(top.kind, Some(top.id.to_string()), top.score);
            answer.alternatives = self.candidates[1..]
                .iter()
                .filter(|c| c.score >= t.suggest)
                .take(3)
                .map(|c| c.id.to_string())
                .collect();
            return answer;
        }
        let mut answer = Answer::plain(AnswerKind::Fallback, None, top.score);
        if top.score >= t.suggest {
            answer.alternatives = self
                .candidates
                .iter()
                .filter(|c| c.score >= t.suggest)
                .take(3)
                .map(|c| c.id.to_string())
                .collect();
        }
        answer
    }
}
