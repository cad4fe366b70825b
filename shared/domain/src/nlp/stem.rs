//! Stemming: Snowball Indonesian (crate `frostem`, BSD-3-Clause) behind an override table and
//! a vocabulary-checked repair of the meN-/peN- consonant that Snowball leaves out.

use frostem::{Algorithm, Stemmer as Snowball};

use super::fxhash::{FastMap, FastSet};

/// Indonesian stemmer tied to one corpus vocabulary.
#[derive(Clone)]
pub struct Stemmer {
    snowball: Snowball,
    overrides: FastMap<String, String>,
    /// Stems known to be real roots: overrides, and the stems of corpus words that do not
    /// start with a nasal prefix (whose stems Snowball gets right).
    roots: FastSet<String>,
    /// Stems of the whole vocabulary, computed once: most words of a message are corpus
    /// words, so a message rarely runs Snowball at all.
    cache: FastMap<String, String>,
}

impl std::fmt::Debug for Stemmer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stemmer")
            .field("overrides", &self.overrides.len())
            .field("roots", &self.roots.len())
            .finish()
    }
}

/// `(me|pe)` + nasal at the start of a word: Snowball drops the prefix but not the missing
/// initial consonant of the root (menolong -> olong, penerima -> erima).
fn nasal_prefix(word: &str) -> bool {
    ["men", "mem", "meng", "meny", "pen", "pem", "peng", "peny"]
        .iter()
        .any(|p| word.starts_with(p))
}

impl Stemmer {
    pub fn new<'a>(
        overrides: FastMap<String, String>,
        vocabulary: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let snowball = Snowball::new(Algorithm::Indonesian);
        let words: Vec<&str> = vocabulary.into_iter().collect();
        let mut roots: FastSet<String> = overrides.values().cloned().collect();
        for word in &words {
            if nasal_prefix(word) {
                continue;
            }
            let stem = match overrides.get(*word) {
                Some(s) => s.clone(),
                None => snowball.stem(word).into_owned(),
            };
            roots.insert(stem);
        }
        let mut stemmer = Self {
            snowball,
            overrides,
            roots,
            cache: FastMap::default(),
        };
        let cache: FastMap<String, String> = words
            .iter()
            .map(|w| (w.to_string(), stemmer.compute(w)))
            .collect();
        stemmer.cache = cache;
        stemmer
    }

    /// Stem of one lowercase word.
    pub fn stem(&self, word: &str) -> String {
        self.stem_cow(word).into_owned()
    }

    /// Stem of one lowercase word, borrowed from the vocabulary cache when possible.
    pub fn stem_cow<'a>(&'a self, word: &str) -> std::borrow::Cow<'a, str> {
        match self.cache.get(word) {
            Some(s) => std::borrow::Cow::Borrowed(s.as_str()),
            None => std::borrow::Cow::Owned(self.compute(word)),
        }
    }

    fn compute(&self, word: &str) -> String {
        if let Some(s) = self.overrides.get(word) {
            return s.clone();
        }
        if word.len() <= 3 || word.bytes().any(|b| b.is_ascii_digit()) {
            return word.to_string();
        }
        let stem = self.snowball.stem(word).into_owned();
        if stem != word && nasal_prefix(word) && !self.roots.contains(&stem) {
            if let Some(root) = self.restore(&stem) {
                return root;
            }
        }
        if let Some(s) = self.overrides.get(&stem) {
            return s.clone();
        }
        stem
    }

    fn restore(&self, stem: &str) -> Option<String> {
        for c in ["t", "k", "p", "s"] {
            let candidate = format!("{c}{stem}");
            if self.roots.contains(&candidate) {
                return Some(candidate);
            }
        }
        // menge-/penge- before a one-syllable root: mengecek -> ecek -> cek.
        if let Some(rest) = stem.strip_prefix('e') {
            if self.roots.contains(rest) {
                return Some(rest.to_string());
            }
        }
        None
    }

    /// Whether `stem` is a known root of the corpus.
    pub fn is_root(&self, stem: &str) -> bool {
        self.roots.contains(stem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restores_the_dropped_consonant_when_the_root_is_known() {
        let stemmer = Stemmer::new(FastMap::default(), ["tolong", "kirim"]);
        assert_eq!(stemmer.stem("menolong"), "tolong");
        assert_eq!(stemmer.stem("mengirim"), "kirim");
        assert_eq!(stemmer.stem("pelayanan"), "layan");
    }
}
