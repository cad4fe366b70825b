//! Building the engine: the knowledge base and the lexicon compiled into the index, the typo
//! index, the phrase matchers and the word table, all in memory.

use super::{
    fxhash::{FastMap, FastSet},
    index::{DocInfo, DocInput, DocKind, Index, Passage},
    lexicon::{self, Lexicon, PhraseMatcher},
    stem::Stemmer,
    text,
    typo::TypoIndex,
    AnswerKind, CategoryInfo, Companion, Engine, KnowledgeBase, Thresholds, WordFacts, FILLERS,
};

/// The weight of a training phrase's passage, next to the question (1.5) and the alternative
/// questions (1.0): many phrases per entry, each one citizen's wording, so each counts a
/// little less than the curated questions.
const PHRASE_WEIGHT: f64 = 1.0;

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

    /// With training phrases in the content, two engines: the main one over the curated
    /// passages (titles, questions, keywords), whose scores the thresholds were chosen for,
    /// and a companion that also indexes the phrases. The phrases find the right entry far
    /// more often (they know how citizens talk) but raise every score, the wrong ones too; so
    /// the companion does not answer on its own: it answers where the main engine hesitates
    /// only when both agree, and it chooses the "Apakah maksud Anda" suggestions (see
    /// `Ranking::decide`).
    pub fn build_with_lexicon(kb: &KnowledgeBase, lexicon: Lexicon) -> Engine {
        let has_phrases = kb.faqs.iter().any(|f| !f.phrases.is_empty())
            || kb.services.iter().any(|s| !s.phrases.is_empty())
            || kb.categories.iter().any(|c| !c.phrases.is_empty());
        if !has_phrases {
            return Self::build_one(kb, lexicon);
        }
        let mut curated = kb.clone();
        curated.faqs.iter_mut().for_each(|f| f.phrases.clear());
        curated.services.iter_mut().for_each(|s| s.phrases.clear());
        curated
            .categories
            .iter_mut()
            .for_each(|c| c.phrases.clear());
        let companion = Companion {
            kb: kb.clone(),
            lexicon: lexicon.clone(),
            engine: std::sync::OnceLock::new(),
        };
        let mut engine = Self::build_one(&curated, lexicon);
        engine.companion = Some(Box::new(companion));
        engine.taught = taught_phrases(kb);
        engine
    }

    pub(super) fn build_one(kb: &KnowledgeBase, lexicon: Lexicon) -> Engine {
        let mut docs: Vec<DocText<'_>> = Vec::new();
        for f in &kb.faqs {
            let mut fields: Vec<(&str, f64)> =
                vec![(f.title.as_str(), 1.0), (f.question.as_str(), 1.5)];
            fields.extend(f.alt_questions.iter().map(|q| (q.as_str(), 1.0)));
            fields.extend(f.phrases.iter().map(|q| (q.as_str(), PHRASE_WEIGHT)));
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
                fields: [
                    (s.name.as_str(), 1.5),
                    (s.short_name.as_str(), 1.0),
                    (s.description.as_str(), 0.7),
                ]
                .into_iter()
                .chain(s.phrases.iter().map(|q| (q.as_str(), PHRASE_WEIGHT)))
                .collect(),
                keywords: &[],
                keyword_weight: 0.0,
            });
        }
        // Complaint categories with training phrases are documents too (the companion only:
        // the main engine's content has none): a report the cue lists miss still resembles
        // how citizens report that kind of problem.
        for c in &kb.categories {
            if c.phrases.is_empty() {
                continue;
            }
            docs.push(DocText {
                info: DocInfo {
                    id: c.id.as_str().into(),
                    kind: DocKind::Complaint,
                    category: "aduan".into(),
                },
                fields: std::iter::once((c.name.as_str(), 1.0))
                    .chain(c.phrases.iter().map(|q| (q.as_str(), PHRASE_WEIGHT)))
                    .collect(),
                keywords: &c.keywords,
                keyword_weight: 1.0,
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
            companion: None,
            taught: FastMap::default(),
        }
    }
}

/// Each training phrase by its words ([`taught_key`]), with its entry: a citizen who writes
/// exactly what the content was taught (an operator linked their unanswered question to an
/// entry) gets that entry. A phrase two entries share teaches nothing and is left out.
fn taught_phrases(kb: &KnowledgeBase) -> FastMap<String, Option<(String, AnswerKind)>> {
    let mut taught: FastMap<String, Option<(String, AnswerKind)>> = FastMap::default();
    let entries = kb
        .faqs
        .iter()
        .map(|f| (&f.id, AnswerKind::Faq, &f.phrases))
        .chain(
            kb.services
                .iter()
                .map(|s| (&s.id, AnswerKind::Service, &s.phrases)),
        );
    for (id, kind, phrases) in entries {
        for phrase in phrases {
            let key = taught_key(phrase);
            if key.is_empty() {
                continue;
            }
            taught
                .entry(key)
                .and_modify(|known| {
                    if known.as_ref().is_some_and(|(other, _)| other != id) {
                        *known = None;
                    }
                })
                .or_insert_with(|| Some((id.clone(), kind)));
        }
    }
    taught
}

/// A text's words, lower case, punctuation and spacing ignored: the key of a taught phrase.
pub(super) fn taught_key(text: &str) -> String {
    text::tokenize(text).join(" ")
}
