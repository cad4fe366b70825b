//! The project-owned word lists (`infra/seed/lexicon*.tsv`), compiled into the binary with
//! `include_str!` so a Lambda needs no file at run time, and the phrase matcher that applies
//! them.

use super::{
    fxhash::{FastMap, FastSet},
    text,
};

const LEXICON: &str = include_str!("../../../../infra/seed/lexicon.tsv");
const INDOCOLLEX: &str = include_str!("../../../../infra/seed/lexicon-indocollex.tsv");
const STOPWORDS: &str = include_str!("../../../../infra/seed/lexicon-stopwords.tsv");
const STEMS: &str = include_str!("../../../../infra/seed/lexicon-stem.tsv");
const INTENT: &str = include_str!("../../../../infra/seed/lexicon-intent.tsv");
const COMPLAINT: &str = include_str!("../../../../infra/seed/lexicon-complaint.tsv");
const PLACES: &str = include_str!("../../../../infra/seed/lexicon-places.tsv");
const OFFICES: &str = include_str!("../../../../infra/seed/lexicon-offices.tsv");
const OUT_OF_SCOPE: &str = include_str!("../../../../infra/seed/lexicon-out-of-scope.txt");

/// The raw text of every lexicon file; [`LexiconSources::builtin`] is what ships.
#[derive(Debug, Clone, Copy)]
pub struct LexiconSources<'a> {
    pub lexicon: &'a str,
    pub indocollex: &'a str,
    pub stopwords: &'a str,
    pub stems: &'a str,
    pub intent: &'a str,
    pub complaint: &'a str,
    pub places: &'a str,
    /// Names of the city's offices (`name<TAB>opd id`).
    pub offices: &'a str,
    /// Examples of messages the bot does not handle, one a line (the classifier's
    /// out-of-scope class).
    pub out_of_scope: &'a str,
}

impl LexiconSources<'static> {
    pub fn builtin() -> Self {
        Self {
            lexicon: LEXICON,
            indocollex: INDOCOLLEX,
            stopwords: STOPWORDS,
            stems: STEMS,
            intent: INTENT,
            complaint: COMPLAINT,
            places: PLACES,
            offices: OFFICES,
            out_of_scope: OUT_OF_SCOPE,
        }
    }
}

/// Where a replacement comes from: project entries always apply; IndoCollex entries only to
/// words the corpus does not use itself (IndoCollex maps `kk` to `kakak`, `smp` to `sampai`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Project,
    IndoCollex,
}

#[derive(Debug, Clone)]
struct Replacement {
    from: Vec<String>,
    to: Vec<String>,
    origin: Origin,
}

/// Class of an intent cue (see the header of `lexicon-intent.tsv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CueClass {
    Greet,
    Thanks,
    Ack,
    Laugh,
    Info,
    Report,
    Problem,
    Time,
    Place,
    Request,
    Vent,
    Mine,
    /// Someone a threat befalls, named without "my" ("bapak", "anak", "suami"): places a
    /// threat here and now as "my" does, for the emergency rule only (a report's strength
    /// does not read it).
    Person,
    Emergency,
    Danger,
    Urgent,
    Calm,
    /// Asks for a number to call ("nomor", "berapa"): calms a threat nobody says is theirs.
    Contact,
    /// Said with thanks about the answer or the service ("infonya", "membantu", "sudah
    /// jelas"): covers a message as small talk only beside a thanks or acknowledgement cue.
    Praise,
    /// Asks leave to ask, or for help, without saying about what yet ("mau tanya", "bisa
    /// bantu saya?"): a message of these and greetings opens a conversation.
    Opener,
    /// A person to talk to instead of the bot ("petugas", "admin", "orang beneran").
    Human,
    /// Asks to be put through, served or answered ("sambungkan", "ngobrol", "dibalas"):
    /// beside a `Human` cue the message asks for a person, which is in scope however much
    /// it says about the bot.
    Connect,
}

impl CueClass {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "greet" => Self::Greet,
            "thanks" => Self::Thanks,
            "ack" => Self::Ack,
            "laugh" => Self::Laugh,
            "info" => Self::Info,
            "report" => Self::Report,
            "problem" => Self::Problem,
            "time" => Self::Time,
            "place" => Self::Place,
            "request" => Self::Request,
            "vent" => Self::Vent,
            "mine" => Self::Mine,
            "person" => Self::Person,
            "emergency" => Self::Emergency,
            "danger" => Self::Danger,
            "urgent" => Self::Urgent,
            "calm" => Self::Calm,
            "contact" => Self::Contact,
            "praise" => Self::Praise,
            "opener" => Self::Opener,
            "human" => Self::Human,
            "connect" => Self::Connect,
            _ => return None,
        })
    }

    pub const ALL: [CueClass; 22] = [
        Self::Greet,
        Self::Thanks,
        Self::Ack,
        Self::Laugh,
        Self::Info,
        Self::Report,
        Self::Problem,
        Self::Time,
        Self::Place,
        Self::Request,
        Self::Vent,
        Self::Mine,
        Self::Person,
        Self::Emergency,
        Self::Danger,
        Self::Urgent,
        Self::Calm,
        Self::Contact,
        Self::Praise,
        Self::Opener,
        Self::Human,
        Self::Connect,
    ];

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Kind of a gazetteer entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceKind {
    /// Inside Kota Probolinggo.
    Kota,
    /// Kabupaten Probolinggo, a different local government.
    Kabupaten,
    /// Another city or regency.
    Elsewhere,
}

/// All lexicon data, parsed. Lines that do not parse are counted in `bad_lines` (a test
/// keeps it at zero) instead of failing the engine.
#[derive(Debug, Clone)]
pub struct Lexicon {
    replacements: FastMap<String, Vec<Replacement>>,
    pub stopwords: FastSet<String>,
    pub stem_overrides: FastMap<String, String>,
    pub intent_cues: Vec<(String, CueClass, f64)>,
    pub complaint_cues: Vec<(String, String, f64)>,
    pub places: Vec<(String, PlaceKind)>,
    /// Office names with their `opds.json` id (see [`LexiconSources::offices`]).
    pub offices: Vec<(String, String)>,
    /// Examples of messages outside what the bot handles (see [`LexiconSources`]).
    pub out_of_scope: Vec<String>,
    /// Every word that appears on either side of a replacement: known words, never "repaired".
    pub known_words: FastSet<String>,
    pub bad_lines: Vec<String>,
}

fn data_lines(source: &str) -> impl Iterator<Item = (usize, &str)> {
    source
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
}

impl Lexicon {
    pub fn builtin() -> Self {
        Self::parse(LexiconSources::builtin())
    }

    pub fn parse(src: LexiconSources<'_>) -> Self {
        let mut lexicon = Lexicon {
            replacements: FastMap::default(),
            stopwords: FastSet::default(),
            stem_overrides: FastMap::default(),
            intent_cues: Vec::new(),
            complaint_cues: Vec::new(),
            places: Vec::new(),
            offices: Vec::new(),
            out_of_scope: data_lines(src.out_of_scope)
                .map(|(_, l)| l.trim().to_string())
                .collect(),
            known_words: FastSet::default(),
            bad_lines: Vec::new(),
        };
        for (origin, source, name) in [
            (Origin::Project, src.lexicon, "lexicon.tsv"),
            (Origin::IndoCollex, src.indocollex, "lexicon-indocollex.tsv"),
        ] {
            for (n, line) in data_lines(source) {
                let cols: Vec<&str> = line.split('\t').collect();
                if cols.len() < 2 || cols[0].trim().is_empty() {
                    lexicon.bad_lines.push(format!("{name}:{n}"));
                    continue;
                }
                let from: Vec<String> = cols[0].split_whitespace().map(str::to_string).collect();
                let to: Vec<String> = cols[1].split_whitespace().map(str::to_string).collect();
                for w in from.iter().chain(to.iter()) {
                    lexicon.known_words.insert(w.clone());
                }
                let key = from[0].clone();
                let entry = lexicon.replacements.entry(key).or_default();
                // The project list is read first: a later IndoCollex row never replaces it.
                if entry.iter().any(|r| r.from == from) {
                    continue;
                }
                entry.push(Replacement { from, to, origin });
            }
        }
        for list in lexicon.replacements.values_mut() {
            list.sort_by_key(|r| std::cmp::Reverse(r.from.len()));
        }
        for (_, line) in data_lines(src.stopwords) {
            lexicon.stopwords.insert(line.trim().to_string());
        }
        for (n, line) in data_lines(src.stems) {
            match line.split_once('\t') {
                Some((word, stem)) if !word.trim().is_empty() && !stem.trim().is_empty() => {
                    lexicon
                        .stem_overrides
                        .insert(word.trim().to_string(), stem.trim().to_string());
                }
                _ => lexicon.bad_lines.push(format!("lexicon-stem.tsv:{n}")),
            }
        }
        for (n, line) in data_lines(src.intent) {
            let cols: Vec<&str> = line.split('\t').collect();
            let parsed = match cols.as_slice() {
                [phrase, class, weight] => CueClass::parse(class.trim())
                    .zip(weight.trim().parse::<f64>().ok())
                    .map(|(c, w)| (phrase.trim().to_string(), c, w)),
                _ => None,
            };
            match parsed {
                Some(cue) => lexicon.intent_cues.push(cue),
                None => lexicon.bad_lines.push(format!("lexicon-intent.tsv:{n}")),
            }
        }
        for (n, line) in data_lines(src.complaint) {
            let cols: Vec<&str> = line.split('\t').collect();
            let parsed = match cols.as_slice() {
                [phrase, category, weight] => weight
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .map(|w| (phrase.trim().to_string(), category.trim().to_string(), w)),
                _ => None,
            };
            match parsed {
                Some(cue) => lexicon.complaint_cues.push(cue),
                None => lexicon.bad_lines.push(format!("lexicon-complaint.tsv:{n}")),
            }
        }
        for (n, line) in data_lines(src.places) {
            let parsed = match line.split_once('\t') {
                Some((name, "kota")) => Some((name, PlaceKind::Kota)),
                Some((name, "kabupaten")) => Some((name, PlaceKind::Kabupaten)),
                Some((name, "luar")) => Some((name, PlaceKind::Elsewhere)),
                _ => None,
            };
            match parsed {
                Some((name, kind)) => lexicon.places.push((name.trim().to_string(), kind)),
                None => lexicon.bad_lines.push(format!("lexicon-places.tsv:{n}")),
            }
        }
        for (n, line) in data_lines(src.offices) {
            match line.split_once('\t') {
                Some((name, office)) if !name.trim().is_empty() && !office.trim().is_empty() => {
                    let entry = (name.trim().to_string(), office.trim().to_string());
                    lexicon.offices.push(entry);
                }
                _ => lexicon.bad_lines.push(format!("lexicon-offices.tsv:{n}")),
            }
        }
        lexicon
    }

    /// Replaces chat abbreviations, regional words and government synonyms by their canonical
    /// words, longest phrase first. `is_corpus_word` protects words the corpus itself uses
    /// from IndoCollex rows.
    pub fn apply(&self, tokens: Vec<String>, is_corpus_word: impl Fn(&str) -> bool) -> Vec<String> {
        let borrowed: Vec<&str> = tokens.iter().map(String::as_str).collect();
        let mut out = Vec::with_capacity(tokens.len() + 2);
        self.apply_to(&borrowed, is_corpus_word, &mut out);
        out.into_iter().map(str::to_string).collect()
    }

    /// [`Lexicon::apply`] on borrowed tokens, appending to `out`: the result borrows them and
    /// the lexicon's replacement words, so a message's words are never copied.
    pub fn apply_to<'a>(
        &'a self,
        tokens: &[&'a str],
        is_corpus_word: impl Fn(&str) -> bool,
        out: &mut Vec<&'a str>,
    ) {
        let mut i = 0;
        'outer: while i < tokens.len() {
            if let Some(candidates) = self.replacements.get(tokens[i]) {
                for r in candidates {
                    let n = r.from.len();
                    let Some(window) = tokens.get(i..i + n) else {
                        continue;
                    };
                    if !window.iter().zip(&r.from).all(|(t, f)| *t == f.as_str()) {
                        continue;
                    }
                    if r.origin == Origin::IndoCollex && is_corpus_word(tokens[i]) {
                        continue;
                    }
                    out.extend(r.to.iter().map(String::as_str));
                    // An expansion the message already writes out in full ("satpol pp" for
                    // "satpol" → "satpol pp") is taken as written, not expanded again.
                    let written = r.to.len() > n
                        && tokens.get(i..i + r.to.len()).is_some_and(|window| {
                            window.iter().zip(&r.to).all(|(t, w)| *t == w.as_str())
                        });
                    i += if written { r.to.len() } else { n };
                    continue 'outer;
                }
            }
            out.push(tokens[i]);
            i += 1;
        }
    }

    /// Whether `word` is the source of a replacement (used to avoid "repairing" it).
    pub fn is_replaced(&self, word: &str) -> bool {
        self.replacements.contains_key(word)
    }

    /// The one word a project row replaces the single word `word` by ("peso" → "pisau"), for
    /// the regional suffixed forms the rows do not list ("pesone", "ambeganipun").
    pub fn single_word(&self, word: &str) -> Option<&str> {
        self.replacements.get(word)?.iter().find_map(|r| {
            (r.origin == Origin::Project && r.from.len() == 1 && r.to.len() == 1)
                .then(|| r.to[0].as_str())
        })
    }

    /// Normalises a cue phrase written in any spelling into pattern tokens: exact words go
    /// through the tokeniser and [`Lexicon::apply`]; a word ending in `*` stays a prefix.
    pub fn pattern(&self, phrase: &str) -> Vec<PatternToken> {
        let mut pattern = Vec::new();
        let mut run: Vec<String> = Vec::new();
        let flush = |run: &mut Vec<String>, pattern: &mut Vec<PatternToken>| {
            if !run.is_empty() {
                let tokens = text::tokenize(&run.join(" "));
                for t in self.apply(tokens, |_| true) {
                    pattern.push(PatternToken::Exact(t));
                }
                run.clear();
            }
        };
        for word in phrase.split_whitespace() {
            if let Some(prefix) = word.strip_suffix('*') {
                flush(&mut run, &mut pattern);
                pattern.push(PatternToken::Prefix(prefix.to_lowercase()));
            } else {
                run.push(word.to_string());
            }
        }
        flush(&mut run, &mut pattern);
        pattern
    }
}

/// One word of a cue pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternToken {
    Exact(String),
    Prefix(String),
}

impl PatternToken {
    /// An exact word matches itself and itself with the clitic "-nya" ("lampunya jalan" is
    /// the street lamp; Javanese "lampune dalan" reaches the matchers so): the clitic
    /// says whose, never which thing.
    fn matches(&self, token: &str) -> bool {
        match self {
            PatternToken::Exact(w) => w == token || without_nya(token) == Some(w.as_str()),
            PatternToken::Prefix(p) => token.starts_with(p.as_str()),
        }
    }
}

/// `word` without the clitic "-nya", when what remains is a word of three letters or more.
fn without_nya(word: &str) -> Option<&str> {
    word.strip_suffix("nya").filter(|base| base.len() >= 3)
}

/// A set of patterns, each with a payload index; finds every occurrence in a token list.
#[derive(Debug, Clone, Default)]
pub struct PhraseMatcher {
    by_first: FastMap<String, Vec<usize>>,
    /// Patterns that start with a prefix word, indexed by the prefix's first byte (a direct
    /// index: this is asked for every token of every message).
    prefix_first: Vec<Vec<usize>>,
    patterns: Vec<Vec<PatternToken>>,
}

/// One occurrence: pattern index, first token, number of tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhraseMatch {
    pub pattern: usize,
    pub start: usize,
    pub len: usize,
}

impl PhraseMatcher {
    /// Adds a pattern and returns its index (empty patterns are kept but never match).
    pub fn add(&mut self, pattern: Vec<PatternToken>) -> usize {
        let index = self.patterns.len();
        match pattern.first() {
            Some(PatternToken::Exact(w)) => self.by_first.entry(w.clone()).or_default().push(index),
            Some(PatternToken::Prefix(p)) => {
                let key = usize::from(p.as_bytes().first().copied().unwrap_or(0));
                if self.prefix_first.len() <= key {
                    self.prefix_first.resize(key + 1, Vec::new());
                }
                self.prefix_first[key].push(index);
            }
            None => {}
        }
        self.patterns.push(pattern);
        index
    }

    pub fn find(&self, tokens: &[String]) -> Vec<PhraseMatch> {
        let candidates: Vec<Vec<usize>> = tokens.iter().map(|t| self.first_word(t)).collect();
        self.find_with(tokens, |start| Some(&candidates[start][..]))
    }

    /// The patterns whose first word `word` is (exactly, or by prefix), in the order
    /// [`PhraseMatcher::find`] tries them: exact ones first.
    pub fn first_word(&self, word: &str) -> Vec<usize> {
        let mut candidates = self.by_first.get(word).cloned().unwrap_or_default();
        candidates.extend(self.by_first_without_nya(word));
        candidates.extend(
            self.prefixed(word)
                .iter()
                .filter(|&&p| self.patterns[p].first().is_some_and(|t| t.matches(word))),
        );
        candidates
    }

    /// The patterns whose first word is `word` without the clitic "-nya" (see
    /// [`PatternToken::matches`]).
    fn by_first_without_nya(&self, word: &str) -> &[usize] {
        without_nya(word)
            .and_then(|base| self.by_first.get(base))
            .map_or(&[], Vec::as_slice)
    }

    /// The patterns whose first word is a prefix starting with the same byte as `word`.
    fn prefixed(&self, word: &str) -> &[usize] {
        let first = usize::from(word.as_bytes().first().copied().unwrap_or(0));
        self.prefix_first
            .get(first)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// [`PhraseMatcher::find`] with each token's candidates supplied by the caller: the engine
    /// keeps them per known word ([`PhraseMatcher::first_word`]), found with the one lookup
    /// that tells it everything else about the word, instead of hashing every token once per
    /// matcher and testing it against every prefix. `first(i)` returns what
    /// `first_word(&tokens[i])` would, or `None` for a word no pattern starts with exactly
    /// (then the prefixes are tried, and the patterns of the word without "-nya").
    pub fn find_with<'c, T: AsRef<str>>(
        &self,
        tokens: &[T],
        first: impl Fn(usize) -> Option<&'c [usize]>,
    ) -> Vec<PhraseMatch> {
        let mut found = Vec::new();
        for start in 0..tokens.len() {
            // A supplied list's first words are known to match: only the rest is compared.
            let (candidates, checked, clitic) = match first(start) {
                Some(list) => (list, 1, &[][..]),
                None => {
                    let token = tokens[start].as_ref();
                    (self.prefixed(token), 0, self.by_first_without_nya(token))
                }
            };
            let candidates = candidates.iter().map(move |&p| (p, checked));
            for (p, checked) in candidates.chain(clitic.iter().map(|&p| (p, 1))) {
                let pattern = &self.patterns[p];
                let len = pattern.len();
                if start + len <= tokens.len()
                    && len >= checked
                    && pattern[checked..]
                        .iter()
                        .zip(&tokens[start + checked..start + len])
                        .all(|(pt, t)| pt.matches(t.as_ref()))
                {
                    found.push(PhraseMatch {
                        pattern: p,
                        start,
                        len,
                    });
                }
            }
        }
        found
    }
}

/// Keeps, among matches that share a group (a cue class, a category), the longest ones first
/// and drops any match whose tokens are all covered already: "jalan rusak" wins over "jalan*"
/// and "rusak*" inside it.
pub fn non_overlapping(mut matches: Vec<PhraseMatch>) -> Vec<PhraseMatch> {
    let mut kept = Vec::new();
    for_each_non_overlapping(&mut matches, &mut Vec::new(), |m| kept.push(m));
    kept
}

/// [`non_overlapping`] without allocating: sorts the group in place and hands each kept match
/// to `keep`, in the same order; `covered` is a scratch buffer the caller reuses across
/// groups (this runs for every cue class and category of every message).
pub fn for_each_non_overlapping(
    matches: &mut [PhraseMatch],
    covered: &mut Vec<(usize, usize)>,
    mut keep: impl FnMut(PhraseMatch),
) {
    matches.sort_by(|a, b| b.len.cmp(&a.len).then(a.start.cmp(&b.start)));
    covered.clear();
    for &m in matches.iter() {
        let inside = covered
            .iter()
            .any(|&(s, e)| m.start >= s && m.start + m.len <= e);
        if !inside {
            covered.push((m.start, m.start + m.len));
            keep(m);
        }
    }
}
