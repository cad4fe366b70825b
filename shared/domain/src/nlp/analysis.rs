//! Normalising one message: PII masking, clause split, tokens, lexicon, informal
//! morphology and typo repair of unknown words, stems, and what is known of each token.

use std::borrow::Cow;

use super::{text, Engine, WordFacts, FILLERS};

/// Word id of a token that is not in the engine's word table.
const NO_WORD: u32 = u32::MAX;

/// What the engine knows of one token besides its text and stem.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct TokenMarks {
    /// The token's id in the engine's word table ([`NO_WORD`] when absent).
    word: u32,
    /// Whether the token counts for retrieval (not a stopword).
    content: bool,
    /// Whether the token is a chat filler ([`FILLERS`]): looked up once, asked five times.
    pub(super) filler: bool,
    /// Whether the token is among the first two or last two meaningful words of its clause.
    pub(super) at_edge: bool,
    /// Whether the token's clause is a question.
    pub(super) question_clause: bool,
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
    pub(super) fn is_content_word(&self) -> bool {
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
    pub(super) marks: Vec<TokenMarks>,
    /// The word as typed when typo repair replaced it (else `None`).
    pub repaired_from: Vec<Option<String>>,
    /// Some clause is a question (question mark, or a trailing negation).
    pub(super) asked: bool,
    /// The message's last clause with words is a question ("... bisa minta dipangkas?"):
    /// whatever it tells first, it ends by asking.
    pub(super) ends_asking: bool,
    pub(super) surface: text::Surface,
}

impl Engine {
    fn is_known(&self, word: &str) -> bool {
        self.word_ids.contains_key(word) || word.bytes().all(|b| b.is_ascii_digit())
    }

    /// Informal verb morphology: ngurus/nyari/nulis (nasal prefix without me-), daftarin
    /// (-in for -kan), alamate/lampune (Javanese -e/-ne for -nya), dendanipun/dipunurus
    /// (krama -ipun and dipun-), lahirku (-ku), eangkut (Madurese e- for di-). Accepts a
    /// rewrite only when the result is a corpus word or stem.
    fn informal_morphology(&self, word: &str) -> Option<String> {
        // Every candidate goes into one buffer (`spans` holds their byte ranges), in the
        // order the rules list them: this runs for every unknown word, and a string per
        // candidate (up to about thirty) was most of its cost besides the stemming.
        let mut buf = String::with_capacity(word.len() * 32);
        let mut spans: Vec<(usize, usize)> = Vec::with_capacity(32);
        fn push(buf: &mut String, spans: &mut Vec<(usize, usize)>, head: &str, rest: &str) {
            let start = buf.len();
            buf.push_str(head);
            buf.push_str(rest);
            spans.push((start, buf.len()));
        }
        for (suffix, replacement) in [
            ("in", "kan"),
            ("in", ""),
            // Javanese krama -ipun / -nipun for -nya (dendanipun, syaratipun).
            ("nipun", ""),
            ("ipun", ""),
            ("ne", ""),
            ("e", ""),
            // Madurese -aghi / -agi for -kan (elaporaghi).
            ("aghi", "kan"),
            ("agi", "kan"),
            // Madurese -na / -ra for -nya (kantorra).
            ("ra", ""),
            ("na", ""),
            // -ku, "my", in chat and Javanese (lahirku, omahku): the word it is added to.
            ("ku", ""),
        ] {
            if let Some(base) = word.strip_suffix(suffix) {
                if base.len() >= 3 {
                    push(&mut buf, &mut spans, base, replacement);
                }
            }
        }
        let stems_from = |w: &str, buf: &mut String, spans: &mut Vec<(usize, usize)>| {
            // Krama passive dipun- (dipunurus) before plain di-.
            if let Some(rest) = w.strip_prefix("dipun") {
                push(buf, spans, "", rest);
            }
            if let Some(rest) = w.strip_prefix("di") {
                push(buf, spans, "", rest);
            }
            // Madurese passive e- for di- (eangkut, epotong): the same verb.
            if let Some(rest) = w.strip_prefix('e') {
                if rest.len() >= 3 {
                    push(buf, spans, "di", rest);
                }
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

    /// A regional word of the lexicon with a possessive suffix the rows do not list: krama
    /// -ipun/-nipun, Javanese -e/-ne, Madurese -na, -ku, and -nya on a word the rows replace
    /// ("ambeganipun", "pesone", "tarifnya" → the row of "ambegan", "peso", "tarif"). Only
    /// one-word project rows, and only for a word nothing else knows, so a corpus word or a
    /// listed form always wins.
    fn regional_suffixed(&self, word: &str) -> Option<&str> {
        ["nipun", "ipun", "nya", "ne", "e", "na", "ku"]
            .into_iter()
            .filter_map(|suffix| word.strip_suffix(suffix))
            .filter(|base| base.chars().count() >= 4)
            .find_map(|base| self.lexicon.single_word(base))
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
                } else if let Some(m) = self.regional_suffixed(t) {
                    let stem = self.stemmer.stem(m);
                    (m.to_string(), stem, None)
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
            // The clause's last two meaningful words, read by both question rules below.
            let mut from_the_end = tokens
                .iter()
                .zip(marks.iter())
                .rev()
                .filter(|(_, m)| !m.filler)
                .map(|(t, _)| &**t);
            let (last, before, third) = (
                from_the_end.next(),
                from_the_end.next(),
                from_the_end.next(),
            );
            // "bisa ganti gk", "bayar gk": a clause that ends in a negation is a yes/no
            // question in chat, with or without a question mark.
            let asked = *asked
                || matches!(last, Some("tidak" | "belum" | "bukan"))
                || asks_whether_there_is(tokens, marks);
            if asked {
                analysis.asked = true;
            }
            if !tokens.is_empty() {
                analysis.ends_asking = asked || ends_with_question_word(last, before, third);
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
    pub(super) fn facts(&self, a: &Analysis, i: usize) -> Option<&WordFacts> {
        a.marks
            .get(i)
            .and_then(|m| self.word_facts.get(m.word as usize))
    }
}

/// "ada program bedah rumah gak dari pemkot", "ada kiriman tangki ndak buat warga": "ada …
/// tidak" asks whether there is something, with who gives it or whom it is for after the
/// negation. A negation before a verb ("ada lampu tidak menyala") tells a problem instead.
fn asks_whether_there_is(tokens: &[Cow<'_, str>], marks: &[TokenMarks]) -> bool {
    const GIVER_OR_RECEIVER: [&str; 5] = ["dari", "buat", "untuk", "bagi", "ke"];
    let mut words = tokens
        .iter()
        .zip(marks)
        .filter(|(_, m)| !m.filler)
        .map(|(t, _)| &**t);
    if !words.by_ref().any(|w| w == "ada") {
        return false;
    }
    let mut between = 0;
    loop {
        match words.next() {
            None => return false,
            Some("tidak") => break,
            Some(_) => between += 1,
        }
    }
    // Something between "ada" and the negation, then at most three words after it.
    between > 0
        && words.next().is_some_and(|w| GIVER_OR_RECEIVER.contains(&w))
        && words.count() <= 2
}

/// "... yang wajib memperbaiki siapa", "lapor ke mana itu": chat puts the question word at
/// the end of the clause, often without a question mark. "bagaimana ini" is a complaint's
/// sigh, not a question, unless after "harus". `last`, `before` and `third` are the clause's
/// last three meaningful words, from the end.
fn ends_with_question_word(last: Option<&str>, before: Option<&str>, third: Option<&str>) -> bool {
    const QUESTION_WORDS: [&str; 9] = [
        "siapa",
        "mana",
        "kapan",
        "berapa",
        "kenapa",
        "mengapa",
        "apa",
        "bagaimana",
        // "harus ngapain": what to do.
        "ngapain",
    ];
    match last {
        // "bagaimana ini?" protests, unless someone asks what they must do ("harus
        // bagaimana ini").
        Some("ini" | "itu") => before.is_some_and(|w| {
            QUESTION_WORDS.contains(&w) && (w != "bagaimana" || third == Some("harus"))
        }),
        Some(w) => QUESTION_WORDS.contains(&w),
        None => false,
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
