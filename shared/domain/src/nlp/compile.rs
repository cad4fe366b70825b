//! Building the engine: the knowledge base and the lexicon compiled into the index, the typo
//! index, the phrase matchers and the word table, all in memory.

use super::{
    classifier::{Grams, NaiveBayes, Prior, IN_SCOPE, MAX_DF_FLOOR, MAX_DF_SHARE, OUT_OF_SCOPE},
    fxhash::{FastMap, FastSet},
    index::{DocInfo, DocInput, DocKind, Index, Passage},
    lexicon::{self, CueClass, Lexicon, PhraseMatcher},
    stem::Stemmer,
    text,
    typo::TypoIndex,
    AnswerKind, CategoryInfo, Engine, KnowledgeBase, LazyClassifier, Learned, LearnedClass,
    Thresholds, WordFacts, FILLERS,
};

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

    /// With training phrases in the content, two models: retrieval over the curated passages
    /// (titles, questions, keywords), whose scores its thresholds were chosen for, and a
    /// classifier trained on every text including the phrases and the out-of-scope examples
    /// ([`super::classifier`]). The phrases know how citizens talk; indexed for retrieval
    /// they raised every score, the wrong ones too, so they train the classifier instead,
    /// whose probability decides where retrieval is not sure (see `Ranking::decide`).
    pub fn build_with_lexicon(kb: &KnowledgeBase, lexicon: Lexicon) -> Engine {
        let has_phrases = kb.faqs.iter().any(|f| !f.phrases.is_empty())
            || kb.services.iter().any(|s| !s.phrases.is_empty())
            || kb.categories.iter().any(|c| !c.phrases.is_empty());
        if !has_phrases {
            return Self::build_one(kb, lexicon);
        }
        let classifier = LazyClassifier {
            kb: kb.clone(),
            learned: std::sync::OnceLock::new(),
        };
        let mut engine = Self::build_one(kb, lexicon);
        engine.classifier = Some(Box::new(classifier));
        engine.taught = taught_phrases(kb);
        engine
    }

    /// Retrieval and intents over the curated texts (training phrases are the classifier's).
    fn build_one(kb: &KnowledgeBase, lexicon: Lexicon) -> Engine {
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
                fields: [
                    (s.name.as_str(), 1.5),
                    (s.short_name.as_str(), 1.0),
                    (s.description.as_str(), 0.7),
                ]
                .into_iter()
                .collect(),
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
        // Office names: a question that names one is not answered with another office's entry
        // (`Ranking::names_another_office`).
        let mut office_matcher = PhraseMatcher::default();
        let mut office_of = Vec::new();
        let mut office_ids: Vec<String> = Vec::new();
        for (name, office) in &lexicon.offices {
            let id = if office == OFFICE_ASPECT {
                ASPECT
            } else if office == OFFICE_OUTSIDE {
                OUTSIDE
            } else {
                let at = office_ids.iter().position(|o| o == office);
                at.unwrap_or_else(|| {
                    office_ids.push(office.clone());
                    office_ids.len() - 1
                }) as u16
            };
            office_matcher.add(remember(lexicon.pattern(name)));
            office_of.push(id);
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
                office_first: office_matcher.first_word(&w).into(),
            });
            word_ids.insert(w, (word_facts.len() - 1) as u32);
        }
        let mut engine = Engine {
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
            office_matcher,
            office_of,
            office_ids,
            entry_offices: FastMap::default(),
            categories,
            thresholds: Thresholds::default(),
            classifier: None,
            taught: FastMap::default(),
        };
        engine.entry_offices = engine.offices_of_entries(kb);
        engine
    }

    /// Per entry, the offices it belongs to (`opd_id`, `opd_ids`) or names in its texts.
    fn offices_of_entries(&self, kb: &KnowledgeBase) -> FastMap<Box<str>, Box<[u16]>> {
        let mut out = FastMap::default();
        let faqs = kb.faqs.iter().map(|f| {
            let mut texts = vec![f.title.as_str(), f.question.as_str(), f.answer.as_str()];
            texts.extend(f.alt_questions.iter().map(String::as_str));
            texts.extend(f.keywords.iter().map(String::as_str));
            (
                f.id.as_str(),
                texts,
                super::kb::offices(&f.opd_id, f.opd_ids.as_deref()),
            )
        });
        let services = kb.services.iter().map(|s| {
            let texts = vec![
                s.name.as_str(),
                s.short_name.as_str(),
                s.description.as_str(),
            ];
            (
                s.id.as_str(),
                texts,
                super::kb::offices(&s.opd_id, s.opd_ids.as_deref()),
            )
        });
        for (id, texts, own) in faqs.chain(services) {
            let mut offices: Vec<u16> = own
                .filter_map(|o| self.office_ids.iter().position(|known| known == o))
                .map(|i| i as u16)
                .collect();
            for text in texts {
                offices.extend(self.offices_named(text));
            }
            offices.sort_unstable();
            offices.dedup();
            out.insert(id.into(), offices.into());
        }
        out
    }

    /// The offices a text of the content names (indices into `office_ids`): its words after
    /// the lexicon, as a message's reach the matcher; curated text needs no repair, and the
    /// whole analysis of every answer had added a quarter to the engine's build.
    fn offices_named(&self, text: &str) -> Vec<u16> {
        let words = text::Words::of(text);
        let raw: Vec<&str> = words.iter().collect();
        let mut normalised = Vec::with_capacity(raw.len() + 2);
        self.lexicon
            .apply_to(&raw, |w| self.raw_vocab.contains(w), &mut normalised);
        let tokens: Vec<String> = normalised.iter().map(|w| w.to_string()).collect();
        self.office_matcher
            .find(&tokens)
            .into_iter()
            .map(|m| self.office_of[m.pattern])
            .filter(|&office| office != ASPECT)
            .collect()
    }

    /// The office names of an analysed text, where they stand; `office_of[m.pattern]` is the
    /// office's index, or [`ASPECT`].
    pub(super) fn office_matches(&self, a: &super::Analysis) -> Vec<super::lexicon::PhraseMatch> {
        self.office_matcher
            .find_with(&a.tokens, |i| self.facts(a, i).map(|f| &f.office_first[..]))
    }
}

/// Trains the classifier on every text of the content: per FAQ entry its title, questions,
/// keywords and phrases; per service its names, description and phrases; per complaint
/// category its name, description, keywords and phrases; and the scope model on all of them
/// against the lexicon's out-of-scope examples.
pub(super) fn train_classifier(kb: &KnowledgeBase, lexicon: &Lexicon) -> Learned {
    let mut classes: Vec<LearnedClass> = Vec::new();
    let mut grams: Vec<(usize, Grams)> = Vec::new();
    let mut add = |id: &str, kind: AnswerKind, fields: Vec<&str>| {
        let class = classes.len();
        classes.push(LearnedClass {
            id: id.to_string(),
            kind,
        });
        grams.extend(
            fields
                .into_iter()
                .filter(|t| !t.trim().is_empty())
                .map(|t| (class, Grams::of(t, Some(lexicon)))),
        );
    };
    let keywords: Vec<String> = kb.faqs.iter().map(|f| f.keywords.join(" ")).collect();
    for (f, keywords) in kb.faqs.iter().zip(&keywords) {
        let mut fields = vec![f.title.as_str(), f.question.as_str(), keywords.as_str()];
        fields.extend(f.alt_questions.iter().map(String::as_str));
        fields.extend(f.phrases.iter().map(String::as_str));
        add(&f.id, AnswerKind::Faq, fields);
    }
    for s in &kb.services {
        let mut fields = vec![
            s.name.as_str(),
            s.short_name.as_str(),
            s.description.as_str(),
        ];
        fields.extend(s.phrases.iter().map(String::as_str));
        add(&s.id, AnswerKind::Service, fields);
    }
    let keywords: Vec<String> = kb.categories.iter().map(|c| c.keywords.join(" ")).collect();
    for (c, keywords) in kb.categories.iter().zip(&keywords) {
        let mut fields = vec![c.name.as_str(), c.description.as_str(), keywords.as_str()];
        fields.extend(c.phrases.iter().map(String::as_str));
        add(&c.id, AnswerKind::Complaint, fields);
    }
    let examples: Vec<(usize, &Grams)> = grams.iter().map(|(c, g)| (*c, g)).collect();
    // In or out of scope is a model of its own: as one more class among the entries, the
    // out-of-scope examples (many, on every topic, in everyday words) drew a third of the
    // in-scope questions. Greetings, thanks and laughter are not questions to the content
    // either: their cues are out-of-scope examples too ("terima kasih infonya" is thanks, not
    // the FAQ on stopping the information broadcasts).
    let social = lexicon.intent_cues.iter().filter(|(_, class, _)| {
        matches!(
            class,
            CueClass::Greet | CueClass::Thanks | CueClass::Ack | CueClass::Laugh
        )
    });
    let outside: Vec<Grams> = lexicon
        .out_of_scope
        .iter()
        .chain(social.map(|(phrase, _, _)| phrase))
        .map(|text| Grams::of(text, Some(lexicon)))
        .collect();
    let scope_examples: Vec<(usize, &Grams)> = grams
        .iter()
        .map(|(_, g)| (IN_SCOPE, g))
        .chain(outside.iter().map(|g| (OUT_OF_SCOPE, g)))
        .collect();
    let train = |classes: usize, examples: &[(usize, &Grams)]| {
        NaiveBayes::train(
            classes,
            examples,
            Prior::Uniform,
            MAX_DF_SHARE,
            MAX_DF_FLOOR,
        )
    };
    Learned {
        model: train(classes.len(), &examples),
        scope: train(2, &scope_examples),
        classes,
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
            let key = taught_key(&text::Words::of(phrase));
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

/// A text's words, lower case, punctuation and spacing ignored: the key of a taught phrase
/// (and of a message looked up among them, `Engine::rank`).
pub(super) fn taught_key(words: &text::Words) -> String {
    words.joined()
}

/// The office column of `lexicon-offices.tsv` for a word that asks about an office as such
/// ("kantor", "alamat", "jam buka").
const OFFICE_ASPECT: &str = "aspek";
/// [`OFFICE_ASPECT`]'s mark among the office indices.
pub(super) const ASPECT: u16 = u16::MAX;
/// The office column of `lexicon-offices.tsv` for an authority or company outside the city
/// government that the content never covers ("bpn", "kpu", "indihome").
const OFFICE_OUTSIDE: &str = "luar";
/// [`OFFICE_OUTSIDE`]'s mark among the office indices.
pub(super) const OUTSIDE: u16 = u16::MAX - 1;
