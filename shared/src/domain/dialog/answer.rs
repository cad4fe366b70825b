//! The answering port: what the dialog asks about a free-text message. The NLP engine
//! (`domain::nlp`) is the real implementation; [`KeywordAnswerer`] is a small word-overlap
//! matcher over the content that works without it (tests, and a fallback).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::keywords::{squeeze, words};
use crate::domain::content::ContentBundle;

/// What a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    Faq,
    Service,
    Complaint,
    Emergency,
    Tracking,
    Greeting,
    SmallTalk,
    Fallback,
}

/// What the dialog does with the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Confident: act on `kind`/`id`.
    Answer,
    /// Not sure: offer `alternatives` ("Apakah maksud Anda …").
    Suggest,
    /// No idea: offer the menu or an officer.
    Fallback,
}

/// The answer to one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answered {
    pub kind: AnswerKind,
    /// FAQ id, service id, complaint category id, ticket id (`PS-7K3QX9`) …; for
    /// `Emergency` the emergency category when known.
    pub id: Option<String>,
    /// Confidence of the top entry, 0 to 1.
    pub score: f64,
    /// Best FAQ/service ids, best first (for `Suggest`; for `Emergency`, the `darurat.*` FAQ
    /// entries that fit the message).
    pub alternatives: Vec<String>,
    /// Score of each alternative, same order, when the answerer knows them (may be shorter
    /// than `alternatives`, or empty).
    #[serde(default)]
    pub alternative_scores: Vec<f64>,
    pub decision: Decision,
}

impl Answered {
    pub fn fallback() -> Self {
        Self {
            kind: AnswerKind::Fallback,
            id: None,
            score: 0.0,
            alternatives: Vec::new(),
            alternative_scores: Vec::new(),
            decision: Decision::Fallback,
        }
    }

    /// Candidates for the content team: the top id and the alternatives with their scores
    /// (0 where the answerer did not report one).
    pub fn candidates(&self) -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> = Vec::new();
        if let Some(id) = &self.id {
            out.push((id.clone(), self.score));
        }
        for (i, alt) in self.alternatives.iter().enumerate() {
            if out.iter().any(|(id, _)| id == alt) {
                continue;
            }
            out.push((
                alt.clone(),
                self.alternative_scores.get(i).copied().unwrap_or(0.0),
            ));
        }
        out
    }
}

/// The answering port (domain level, pure and synchronous).
pub trait Answerer: Send + Sync {
    fn answer(&self, text: &str) -> Answered;
}

/// Answer at or above this score with a clear lead …
pub const KEYWORD_ANSWER: f64 = 0.6;
/// … of at least this much over the next entry.
pub const KEYWORD_MARGIN: f64 = 0.1;
/// Suggest at or above this score.
pub const KEYWORD_SUGGEST: f64 = 0.3;

/// Words that carry no topic (question words, pronouns, particles, chat fillers).
const STOPWORDS: &[&str] = &[
    "yang",
    "di",
    "ke",
    "dari",
    "dan",
    "atau",
    "untuk",
    "utk",
    "dengan",
    "dgn",
    "apa",
    "apakah",
    "bagaimana",
    "gimana",
    "gmn",
    "gmna",
    "bgmn",
    "cara",
    "caranya",
    "saya",
    "sy",
    "aku",
    "aq",
    "kami",
    "kita",
    "anda",
    "mau",
    "ingin",
    "pengen",
    "bisa",
    "bs",
    "tidak",
    "gak",
    "ga",
    "nggak",
    "ngga",
    "tdk",
    "ada",
    "ini",
    "itu",
    "min",
    "admin",
    "kak",
    "pak",
    "bu",
    "mas",
    "mbak",
    "tolong",
    "mohon",
    "dong",
    "ya",
    "sih",
    "nih",
    "kah",
    "berapa",
    "brp",
    "kapan",
    "dimana",
    "dmn",
    "mana",
    "tanya",
    "nanya",
    "info",
    "informasi",
    "boleh",
    "harus",
    "perlu",
    "jika",
    "kalau",
    "kalo",
    "klo",
    "sudah",
    "udah",
    "belum",
    "blm",
    "akan",
    "adalah",
    "oleh",
    "pada",
    "dalam",
    "juga",
    "lagi",
    "saja",
    "aja",
    "halo",
    "hai",
    "permisi",
    "selamat",
    "pagi",
    "siang",
    "sore",
    "malam",
    "terima",
    "kasih",
    "makasih",
    "the",
    "of",
    "nya",
    "apa",
    "bagi",
];
/// Words of an emergency happening now.
const EMERGENCY_WORDS: &[&str] = &[
    "kebakaran",
    "terbakar",
    "kobong",
    "kecelakaan",
    "tabrakan",
    "laka",
    "tenggelam",
    "hanyut",
    "kelelep",
    "perampokan",
    "dirampok",
    "rampok",
    "begal",
    "dibegal",
    "dibacok",
    "ditusuk",
    "penusukan",
    "pembunuhan",
    "tawuran",
    "pingsan",
    "sekarat",
    "tertimbun",
    "terjebak",
    "kejebak",
    "longsor",
    "gempa",
    "tsunami",
    "puting",
    "beliung",
];
/// Words that make an emergency word a question about emergencies ("nomor damkar berapa?")
/// or about a risk or the past ("rawan begal", "kemarin ada kecelakaan").
const NOT_NOW_WORDS: &[&str] = &[
    "cara",
    "caranya",
    "bagaimana",
    "gimana",
    "gmn",
    "nomor",
    "no",
    "berapa",
    "brp",
    "apa",
    "apakah",
    "info",
    "syarat",
    "prosedur",
    "langkah",
    "jika",
    "kalau",
    "kalo",
    "bila",
    "saat",
    "rawan",
    "sering",
    "pernah",
    "kemarin",
    "kemaren",
    "semalam",
    "semalem",
    "dulu",
    "minggu",
    "bulan",
    "tahun",
];

struct Doc {
    id: String,
    kind: AnswerKind,
    category: String,
    words: HashSet<String>,
    keywords: Vec<Vec<String>>,
}

/// Word-overlap matching over FAQ titles, questions, paraphrases and keywords (and service
/// names), weighted by how rare each word is. Deterministic; thresholds are the `KEYWORD_*`
/// constants.
pub struct KeywordAnswerer {
    docs: Vec<Doc>,
    idf: HashMap<String, f64>,
    max_idf: f64,
}

impl KeywordAnswerer {
    pub fn new(content: &ContentBundle) -> Self {
        let mut docs = Vec::new();
        for faq in &content.faqs {
            let mut text = vec![faq.title.as_str(), faq.question.as_str()];
            text.extend(faq.alt_questions.iter().map(String::as_str));
            text.extend(faq.keywords.iter().map(String::as_str));
            docs.push(Doc {
                id: faq.id.clone(),
                kind: AnswerKind::Faq,
                category: faq.category.clone(),
                words: content_words(&text.join(" ")).into_iter().collect(),
                keywords: faq.keywords.iter().map(|k| words(k)).collect(),
            });
        }
        for service in &content.services {
            let text = [
                service.name.as_str(),
                service.short_name.as_str(),
                service.description.as_str(),
            ];
            docs.push(Doc {
                id: service.id.clone(),
                kind: AnswerKind::Service,
                category: service.category.clone(),
                words: content_words(&text.join(" ")).into_iter().collect(),
                keywords: Vec::new(),
            });
        }
        let n = docs.len().max(1) as f64;
        let mut df: HashMap<String, usize> = HashMap::new();
        for doc in &docs {
            for w in &doc.words {
                *df.entry(w.clone()).or_default() += 1;
            }
        }
        let idf: HashMap<String, f64> = df
            .into_iter()
            .map(|(w, d)| (w, (1.0 + n / d as f64).ln()))
            .collect();
        let max_idf = (1.0 + n).ln();
        Self { docs, idf, max_idf }
    }

    fn weight(&self, word: &str) -> f64 {
        self.idf.get(word).copied().unwrap_or(self.max_idf)
    }

    fn score(&self, doc: &Doc, query: &[String], all_words: &[String]) -> f64 {
        let total: f64 = query.iter().map(|w| self.weight(w)).sum();
        if total <= 0.0 {
            return 0.0;
        }
        let matched: f64 = query
            .iter()
            .filter(|w| doc.words.contains(*w))
            .map(|w| self.weight(w))
            .sum();
        let overlap = matched / total;
        let keyword_hit = doc
            .keywords
            .iter()
            .any(|k| !k.is_empty() && contains_phrase(all_words, k));
        let bonus = if keyword_hit { 0.25 } else { 0.0 };
        // Services lose ties: a FAQ entry that fits as well is the shorter answer.
        let factor = if doc.kind == AnswerKind::Service {
            0.9
        } else {
            1.0
        };
        ((overlap * 0.8 + bonus) * factor).min(1.0)
    }
}

impl Answerer for KeywordAnswerer {
    fn answer(&self, text: &str) -> Answered {
        if let Some(ticket) = find_ticket(text) {
            return Answered {
                kind: AnswerKind::Tracking,
                id: Some(ticket),
                score: 1.0,
                alternatives: Vec::new(),
                alternative_scores: Vec::new(),
                decision: Decision::Answer,
            };
        }
        let all = words(text);
        let query = content_words(text);
        if is_emergency(&all) {
            let emergency_words: Vec<&String> =
                all.iter().filter(|w| is_in(w, EMERGENCY_WORDS)).collect();
            let alternatives: Vec<String> = self
                .docs
                .iter()
                .filter(|d| d.kind == AnswerKind::Faq && d.category == "darurat")
                .filter(|d| emergency_words.iter().any(|w| d.words.contains(*w)))
                .map(|d| d.id.clone())
                .collect();
            return Answered {
                kind: AnswerKind::Emergency,
                id: None,
                score: 1.0,
                alternatives,
                alternative_scores: Vec::new(),
                decision: Decision::Answer,
            };
        }
        if query.is_empty() {
            return Answered::fallback();
        }
        let mut scored: Vec<(f64, &Doc)> = self
            .docs
            .iter()
            .map(|d| (self.score(d, &query, &all), d))
            .filter(|(s, _)| *s > 0.0)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
        let Some(&(top, best)) = scored.first() else {
            return Answered::fallback();
        };
        let second = scored.get(1).map_or(0.0, |(s, _)| *s);
        let top3: Vec<(f64, &Doc)> = scored.iter().take(3).copied().collect();
        let alternatives = top3.iter().map(|(_, d)| d.id.clone()).collect();
        let alternative_scores = top3.iter().map(|(s, _)| *s).collect();
        if top >= KEYWORD_ANSWER && top - second >= KEYWORD_MARGIN {
            Answered {
                kind: best.kind,
                id: Some(best.id.clone()),
                score: top,
                alternatives,
                alternative_scores,
                decision: Decision::Answer,
            }
        } else if top >= KEYWORD_SUGGEST {
            Answered {
                kind: AnswerKind::Fallback,
                id: None,
                score: top,
                alternatives,
                alternative_scores,
                decision: Decision::Suggest,
            }
        } else {
            Answered {
                score: top,
                alternatives,
                alternative_scores,
                ..Answered::fallback()
            }
        }
    }
}

/// `word` comes from [`words`], which squeezes repeated letters: compare likewise.
fn is_in(word: &str, list: &[&str]) -> bool {
    list.iter().any(|w| squeeze(w) == word)
}

fn content_words(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    words(text)
        .into_iter()
        .filter(|w| w.chars().count() >= 2 && !is_in(w, STOPWORDS))
        .filter(|w| seen.insert(w.clone()))
        .collect()
}

fn contains_phrase(haystack: &[String], phrase: &[String]) -> bool {
    haystack.windows(phrase.len()).any(|w| w == phrase)
}

fn is_emergency(all: &[String]) -> bool {
    all.iter().any(|w| is_in(w, EMERGENCY_WORDS)) && !all.iter().any(|w| is_in(w, NOT_NOW_WORDS))
}

/// A ticket number (`PS-7K3QX9`, `ps 7k3qx9`) in the message, normalised to upper case.
fn find_ticket(text: &str) -> Option<String> {
    // Not `words`: it squeezes repeated letters, which a ticket code may contain.
    let all: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let is_code = |w: &str| w.len() == 6 && w.chars().all(|c| c.is_ascii_alphanumeric());
    all.iter()
        .enumerate()
        .find_map(|(i, w)| {
            if let Some(code) = w.strip_prefix("ps").filter(|c| is_code(c)) {
                return Some(code.to_ascii_uppercase());
            }
            (w == "ps")
                .then(|| all.get(i + 1))
                .flatten()
                .filter(|c| is_code(c))
                .map(|c| c.to_ascii_uppercase())
        })
        .map(|code| format!("PS-{code}"))
}

/// The NLP engine (the answering issue) as the dialog's answering port.
impl Answerer for crate::domain::nlp::Engine {
    fn answer(&self, text: &str) -> Answered {
        use crate::domain::nlp::{AnswerKind as NlpKind, Decision as NlpDecision};
        let answer = crate::domain::nlp::Engine::answer(self, text);
        let kind = match answer.kind {
            NlpKind::Faq => AnswerKind::Faq,
            NlpKind::Service => AnswerKind::Service,
            NlpKind::Complaint => AnswerKind::Complaint,
            NlpKind::Emergency => AnswerKind::Emergency,
            NlpKind::Tracking => AnswerKind::Tracking,
            NlpKind::Greeting => AnswerKind::Greeting,
            NlpKind::Smalltalk => AnswerKind::SmallTalk,
            NlpKind::Fallback => AnswerKind::Fallback,
        };
        // The engine reports greetings and small talk as "nothing to look up"; for the dialog
        // they are answers of their own (the menu, a short acknowledgement).
        let decision = match (answer.decision(), kind) {
            (_, AnswerKind::Greeting | AnswerKind::SmallTalk) => Decision::Answer,
            (NlpDecision::Answer, _) => Decision::Answer,
            (NlpDecision::Suggest(_), _) => Decision::Suggest,
            (NlpDecision::Fallback, _) => Decision::Fallback,
        };
        Answered {
            kind,
            id: answer.id,
            score: answer.score,
            alternatives: answer.alternatives,
            alternative_scores: Vec::new(),
            decision,
        }
    }
}
