//! Retrieval: BM25 on stems fused with character-trigram cosine, over the FAQ entries and
//! services, with the place names a message mentions.

use super::{
    index::{DocKind, Fusion, Query, QueryTerm},
    lexicon::{self, PlaceKind},
    Analysis, AnswerKind, Candidate, Engine, WordFacts,
};

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

/// Words that make a mention of another city compatible with a local question (moving in).
const MOBILITY: [&str; 8] = [
    "pindah", "pindahan", "datang", "asal", "domisili", "mudik", "merantau", "rantau",
];

/// Words before a city that make it where someone comes from or goes to.
const TRAVEL: [&str; 7] = ["ke", "dari", "nang", "teko", "tekan", "asal", "saking"];

/// What a message says of another city ([`Engine::city_elsewhere`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct CityElsewhere {
    /// Another city or regency is named as where something is.
    pub named: bool,
    /// ... and Probolinggo is named too.
    pub probolinggo_too: bool,
}

impl CityElsewhere {
    /// A problem told at a place in another city or regency ("jalan depan alun-alun kota
    /// pasuruan rusak parah") is not the city's to take as a report, unless the message
    /// names Probolinggo too.
    pub(super) fn problem_there(self) -> bool {
        self.named && !self.probolinggo_too
    }
}

impl Engine {
    /// A short question about another city's services ("jam buka samsat surabaya"); in a
    /// long story, or when someone moves, another city is a detail, unless one of its offices
    /// is named (`office_elsewhere`, [`Engine::office_of_elsewhere`]).
    /// `city`: [`Engine::city_elsewhere`] of the message.
    pub(super) fn about_elsewhere(
        &self,
        a: &Analysis,
        city: CityElsewhere,
        office_elsewhere: bool,
    ) -> bool {
        if !city.named {
            return false;
        }
        // "oleh-oleh khas probolinggo buat keluarga di bandung": the question names the city
        // it is about.
        let moving = city.probolinggo_too
            || a.tokens.iter().any(|t| MOBILITY.contains(&&**t))
            || a.tokens.len() > SHORT_MESSAGE;
        !moving || office_elsewhere
    }

    /// Whether the message names another city or regency as where something is, not as
    /// where someone comes from or goes to ("oleh-oleh buat dibawa ke jakarta", "teman dari
    /// surabaya": a detail of a local matter, like moving); and whether it names Probolinggo
    /// as well. Read once per message by the other-city rules.
    pub(super) fn city_elsewhere(
        &self,
        a: &Analysis,
        places: &[lexicon::PhraseMatch],
    ) -> CityElsewhere {
        let travel = |m: &lexicon::PhraseMatch| {
            m.start
                .checked_sub(1)
                .is_some_and(|before| TRAVEL.contains(&&*a.tokens[before]))
        };
        let named = places
            .iter()
            .any(|m| self.place_kind[m.pattern] == PlaceKind::Elsewhere && !travel(m));
        CityElsewhere {
            named,
            probolinggo_too: named && a.tokens.iter().any(|t| t == "probolinggo"),
        }
    }

    /// However long the message, an office named with another city ("dukcapil kota
    /// pasuruan", "samsat surabaya") is that city's office.
    pub(super) fn office_of_elsewhere(
        &self,
        a: &Analysis,
        places: &[lexicon::PhraseMatch],
        offices: &[lexicon::PhraseMatch],
    ) -> bool {
        places
            .iter()
            .filter(|m| self.place_kind[m.pattern] == PlaceKind::Elsewhere)
            .any(|place| {
                offices
                    .iter()
                    .filter(|m| {
                        let office = self.office_of[m.pattern];
                        office != super::compile::ASPECT && office != super::compile::OUTSIDE
                    })
                    .any(|office| {
                        let end = office.start + office.len;
                        // "dukcapil sana": the office of the city just named.
                        a.tokens.get(end).is_some_and(|t| t == "sana")
                            || place.start == end
                            || (place.start == end + 1
                                && matches!(&*a.tokens[end], "kota" | "kabupaten" | "kab"))
                    })
                    // "pemkot pasuruan", "pemkab lumajang": that city's government.
                    || place.start.checked_sub(1).is_some_and(|before| {
                        matches!(&*a.tokens[before], "pemkot" | "pemkab" | "pemda")
                    })
            })
    }

    /// The query term of a stem: from the word table when its word is there.
    fn query_term<'a>(&self, stem: &'a str, facts: Option<&WordFacts>) -> QueryTerm<'a> {
        let term = match facts {
            Some(f) => f.term,
            None => self.index.term(stem),
        };
        term.map_or(QueryTerm::Unknown(stem), QueryTerm::Known)
    }

    /// Content words that nothing of the engine knows: no document, lexicon, cue list,
    /// gazetteer or stopword list has them, typo repair found no word for them, and they are
    /// not numbers. What is left is mostly the thing asked about ("bioskop", "paspor") or a
    /// name; "katanya", "besok", "rb" are known to the cue lists and the lexicon.
    pub(super) fn unknown_content_words<'a>(
        &'a self,
        a: &'a Analysis,
    ) -> impl Iterator<Item = &'a str> + 'a {
        (0..a.tokens.len())
            .filter(|&i| a.marks[i].is_content_word() && a.repaired_from[i].is_none())
            .filter(|&i| !a.tokens[i].bytes().any(|b| b.is_ascii_digit()))
            .filter(|&i| match self.facts(a, i) {
                // A word the engine knows only as a place (another city, a village).
                Some(facts) => !facts.place_first.is_empty() && facts.term.is_none(),
                None => self.index.term(&a.stems[i]).is_none(),
            })
            .map(|i| &*a.tokens[i])
    }

    /// Appends the trigrams of a word: from the word table when it is there.
    fn query_grams(&self, word: &str, facts: Option<&WordFacts>, grams: &mut Vec<u32>) {
        match facts {
            Some(f) => grams.extend_from_slice(&f.grams),
            None => self.index.word_grams(word, grams),
        }
    }

    /// The best entries for the analysed message; `elsewhere`: it is a short question about
    /// another city ([`Engine::about_elsewhere`]), whose scores are damped.
    pub(super) fn retrieve(
        &self,
        a: &Analysis,
        places: &[lexicon::PhraseMatch],
        elsewhere: bool,
    ) -> Vec<Candidate<'_>> {
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
        for m in places {
            if self.place_kind[m.pattern] == PlaceKind::Kabupaten {
                let facts = self
                    .word_ids
                    .get("kabupaten")
                    .and_then(|&id| self.word_facts.get(id as usize));
                self.query_grams("kabupaten", facts, &mut grams);
                terms.push((self.query_term("kabupaten", None), 1.0));
            }
        }
        if terms.is_empty() {
            return Vec::new();
        }
        let penalty = if elsewhere { ELSEWHERE_FACTOR } else { 1.0 };
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
}
