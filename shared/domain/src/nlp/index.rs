//! The retrieval index: BM25 over stems (fields weighted, one document per FAQ entry or
//! service) and TF-IDF cosine over character trigrams of the words (one vector per passage:
//! title, question, each alternative question, keywords; the best passage counts).

use super::fxhash::FastMap;

/// BM25 term-frequency saturation.
pub const K1: f64 = 1.2;
/// BM25 length normalisation; low because the documents are short and similar in length.
pub const B: f64 = 0.4;
/// Typical weighted term frequency of a term that a document is really about (it appears in
/// the question and in a few alternatives); used to normalise BM25 into 0..1.
const TYPICAL_TF: f64 = 3.0;
/// Trigrams found in more than this share of passages are skipped at query time: they carry
/// almost no weight and make the longest posting lists.
const COMMON_GRAM_SHARE: f64 = 0.08;
/// ...but never below this many passages (small corpora).
const COMMON_GRAM_MIN: f64 = 50.0;

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Faq,
    Service,
}

#[derive(Debug, Clone)]
pub struct DocInfo {
    pub id: String,
    pub kind: DocKind,
    pub category: String,
}

/// One passage of a document: its content words (normalised, stopwords removed), their
/// stems and the field weight for BM25.
#[derive(Debug, Clone)]
pub struct Passage {
    pub words: Vec<String>,
    pub stems: Vec<String>,
    pub weight: f64,
}

#[derive(Debug, Clone)]
pub struct DocInput {
    pub info: DocInfo,
    pub passages: Vec<Passage>,
}

/// Scores of one document for one query.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DocScore {
    pub doc: usize,
    /// BM25 normalised by what a document fully about every query term would get (0..1).
    pub bm25: f64,
    /// Best trigram cosine over the document's passages (0..1).
    pub ngram: f64,
    /// Share of the query's content stems (idf-weighted) that occur in the document.
    pub coverage: f64,
    /// Distinct query stems that occur in the document.
    pub matched: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Index {
    pub docs: Vec<DocInfo>,
    term_ids: FastMap<String, u32>,
    postings: Vec<Vec<(u32, f32)>>,
    idf: Vec<f64>,
    doc_len: Vec<f64>,
    avg_len: f64,
    /// BM25 length normaliser of each document (`1 − B + B·len/avg`), computed once instead
    /// of once per posting.
    doc_norm: Vec<f64>,
    /// Passages of document `d`: `doc_passages[d]..doc_passages[d + 1]` (CSR layout).
    doc_passages: Vec<u32>,
    /// The document of each passage.
    passage_doc: Vec<u32>,
    gram_ids: FastMap<u32, u32>,
    /// Trigram postings in one contiguous array (CSR layout: `gram_offsets[id]..[id + 1]`),
    /// so a query walks memory linearly instead of chasing one allocation per trigram.
    gram_offsets: Vec<u32>,
    /// (passage, trigram weight / the passage's vector length): dividing by |p| at build
    /// time leaves only the division by |q| to each query.
    gram_postings: Vec<(u32, f32)>,
    gram_idf: Vec<f64>,
    /// Number of passages with a trigram vector.
    passage_count: usize,
}

/// Packs a trigram of ASCII bytes into one integer (words are ASCII after normalisation).
fn gram_key(g: &[u8]) -> u32 {
    (u32::from(g[0]) << 16) | (u32::from(g[1]) << 8) | u32::from(g[2])
}

/// A query trigram the index does not know is passed as its key with this bit set: it has no
/// postings but still lengthens the query vector (ids and keys both fit in 24 bits).
const UNKNOWN_GRAM: u32 = 1 << 31;

/// Calls `f` with each trigram key of one word padded with spaces (" ktp " -> " kt", "ktp",
/// "tp "); non-ASCII bytes are skipped.
fn for_each_gram(word: &str, mut f: impl FnMut(u32)) {
    let bytes = word.as_bytes();
    let ascii = bytes.iter().filter(|b| b.is_ascii()).count();
    if ascii == 0 {
        // " " + "" + " " is shorter than a trigram.
        return;
    }
    let mut window = [b' ', 0, 0];
    let mut filled = 1;
    for &b in bytes
        .iter()
        .filter(|b| b.is_ascii())
        .chain(std::iter::once(&b' '))
    {
        if filled < 3 {
            window[filled] = b;
            filled += 1;
            if filled < 3 {
                continue;
            }
        } else {
            window = [window[1], window[2], b];
        }
        f(gram_key(&window));
    }
}

/// Trigrams of each word padded with spaces (" ktp " -> " kt", "ktp", "tp "), counted,
/// sorted by trigram.
pub fn trigrams<S: AsRef<str>>(words: &[S]) -> Vec<(u32, u32)> {
    let mut keys = Vec::with_capacity(words.len() * 8);
    for w in words {
        for_each_gram(w.as_ref(), |k| keys.push(k));
    }
    keys.sort_unstable();
    let mut grams: Vec<(u32, u32)> = Vec::with_capacity(keys.len());
    for k in keys {
        match grams.last_mut() {
            Some((g, n)) if *g == k => *n += 1,
            _ => grams.push((k, 1)),
        }
    }
    grams
}

/// Per-document accumulators of one search.
#[derive(Debug, Clone, Copy, Default)]
struct DocAcc {
    bm25: f64,
    covered: f64,
    matched: u16,
}

/// Buffers a search reuses from one message to the next on the same thread (they stay sized
/// for the largest index searched on it: under 1 MiB at 10 000 entries, ~12 KiB for the seed).
#[derive(Debug, Default)]
struct Scratch {
    docs: Vec<DocAcc>,
    /// Trigram dot product per passage, zero where no query trigram hit.
    dots: Vec<f32>,
    /// The documents that share a stem with the query, in the order first met.
    stem_docs: Vec<u32>,
    /// How often each trigram id occurs in the query; all zero between searches.
    gram_counts: Vec<u16>,
    /// The trigram ids with a nonzero count, in first-seen order.
    touched: Vec<u32>,
    /// The query's trigrams the index does not know (marked keys).
    unknown: Vec<u32>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// The `k` best documents seen so far, best first, kept by insertion: `k` is small (the
/// decision looks at ten candidates). An entry is only a score and a document number, and a
/// document below the last place is turned away by one comparison.
struct TopK<F> {
    k: usize,
    best: Vec<(f64, u32)>,
    /// Whether entry `a` ranks before entry `b`.
    before: F,
}

impl<F: Fn(&(f64, u32), &(f64, u32)) -> bool> TopK<F> {
    /// Most offers end at the first test: kept inline, the insertion itself is not.
    #[inline(always)]
    fn offer(&mut self, entry: (f64, u32)) {
        if self.best.len() == self.k {
            match self.best.last() {
                Some(last) if entry.0 < last.0 => return,
                Some(last) if !(self.before)(&entry, last) => return,
                _ => {}
            }
        }
        self.insert(entry);
    }

    #[inline(never)]
    fn insert(&mut self, entry: (f64, u32)) {
        if self.best.len() == self.k {
            self.best.pop();
        }
        let at = self.best.partition_point(|e| (self.before)(e, &entry));
        self.best.insert(at, entry);
    }
}

impl Index {
    pub fn build(inputs: Vec<DocInput>) -> Self {
        let mut index = Index::default();
        let mut passage_grams: Vec<Vec<(u32, u32)>> = Vec::new();
        let mut gram_df: FastMap<u32, u32> = FastMap::default();
        let mut term_df: Vec<u32> = Vec::new();
        index.doc_passages.push(0);
        for (doc, input) in inputs.into_iter().enumerate() {
            let mut tf: FastMap<u32, f64> = FastMap::default();
            let mut len = 0.0;
            for passage in &input.passages {
                for stem in &passage.stems {
                    let next = index.term_ids.len() as u32;
                    let id = *index.term_ids.entry(stem.clone()).or_insert(next);
                    if id as usize == index.postings.len() {
                        index.postings.push(Vec::new());
                        term_df.push(0);
                    }
                    *tf.entry(id).or_insert(0.0) += passage.weight;
                    len += passage.weight;
                }
                if passage.words.is_empty() {
                    continue;
                }
                let grams = trigrams(&passage.words);
                for (g, _) in &grams {
                    *gram_df.entry(*g).or_insert(0) += 1;
                }
                passage_grams.push(grams);
            }
            let mut tf: Vec<(u32, f64)> = tf.into_iter().collect();
            tf.sort_unstable_by_key(|(id, _)| *id);
            for (id, f) in tf {
                index.postings[id as usize].push((doc as u32, f as f32));
                term_df[id as usize] += 1;
            }
            index.doc_passages.push(passage_grams.len() as u32);
            index.doc_len.push(len);
            index.docs.push(input.info);
        }
        let n = index.docs.len().max(1) as f64;
        index.avg_len = (index.doc_len.iter().sum::<f64>() / n).max(1.0);
        index.doc_norm = index
            .doc_len
            .iter()
            .map(|len| 1.0 - B + B * len / index.avg_len)
            .collect();
        index.idf = term_df
            .iter()
            .map(|&df| bm25_idf(n, f64::from(df)))
            .collect();
        let passages = passage_grams.len().max(1) as f64;
        let mut grams_sorted: Vec<(u32, u32)> = gram_df.into_iter().collect();
        grams_sorted.sort_unstable();
        for (g, df) in grams_sorted {
            let id = index.gram_idf.len() as u32;
            index.gram_ids.insert(g, id);
            index.gram_idf.push((passages / f64::from(df)).ln() + 1.0);
        }
        let mut per_gram: Vec<Vec<(u32, f32)>> = vec![Vec::new(); index.gram_idf.len()];
        let mut weights: Vec<(u32, f64)> = Vec::new();
        for (p, grams) in passage_grams.iter().enumerate() {
            weights.clear();
            let mut norm = 0.0;
            for (g, count) in grams {
                if let Some(&id) = index.gram_ids.get(g) {
                    let w = f64::from(*count) * index.gram_idf[id as usize];
                    norm += w * w;
                    weights.push((id, w));
                }
            }
            let inverse_norm = 1.0 / norm.sqrt().max(1e-9);
            for &(id, w) in &weights {
                per_gram[id as usize].push((p as u32, (w * inverse_norm) as f32));
            }
        }
        index.passage_count = passage_grams.len();
        for (doc, bounds) in index.doc_passages.windows(2).enumerate() {
            let passages = bounds[1].saturating_sub(bounds[0]) as usize;
            index
                .passage_doc
                .extend(std::iter::repeat_n(doc as u32, passages));
        }
        index.gram_offsets.reserve(per_gram.len() + 1);
        index.gram_offsets.push(0);
        for list in per_gram {
            index.gram_postings.extend(list);
            index.gram_offsets.push(index.gram_postings.len() as u32);
        }
        index
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    pub fn has_term(&self, stem: &str) -> bool {
        self.term(stem).is_some()
    }

    /// The query term for a stem: its id when some document has it.
    pub fn term(&self, stem: &str) -> Option<u32> {
        self.term_ids.get(stem).copied()
    }

    /// Appends the trigrams of one query word as [`Query::grams`] wants them: the index's id
    /// of each, or the key marked unknown. Worth caching per known word: a message's words
    /// are nearly all known.
    pub fn word_grams(&self, word: &str, out: &mut Vec<u32>) {
        for_each_gram(word, |key| {
            out.push(
                self.gram_ids
                    .get(&key)
                    .copied()
                    .unwrap_or(key | UNKNOWN_GRAM),
            )
        });
    }

    /// The idf a term would have if it occurred in no document: what an unknown query word
    /// weighs (it is information the corpus cannot match).
    pub fn unknown_idf(&self) -> f64 {
        bm25_idf(self.docs.len().max(1) as f64, 0.0)
    }

    /// The `k` best documents for the query, by `fused` (higher first; equal scores by id),
    /// among those that share a stem or a trigram with it.
    pub fn search(&self, query: &Query<'_>, k: usize, fusion: &Fusion) -> Vec<(f64, DocScore)> {
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => self.search_with(query, k, fusion, &mut scratch),
            // Only reachable if a search ran inside a search; fresh buffers keep it correct.
            Err(_) => self.search_with(query, k, fusion, &mut Scratch::default()),
        })
    }

    fn search_with(
        &self,
        query: &Query<'_>,
        k: usize,
        fusion: &Fusion,
        scratch: &mut Scratch,
    ) -> Vec<(f64, DocScore)> {
        // Dense accumulators: a few hundred kilobytes at most even at 10 000 entries, and far
        // cheaper than a map entry per posting. They live in a per-thread scratch space:
        // allocating and freeing them for every message cost more than the scoring itself.
        let n_docs = self.docs.len();
        let Scratch {
            docs: acc,
            dots,
            stem_docs,
            gram_counts,
            touched,
            unknown,
        } = scratch;
        acc.clear();
        acc.resize(n_docs, DocAcc::default());
        // Plain slices from here on: through `&mut Vec` the compiler reloads the buffer's
        // address and length at every posting, since a store might have changed them.
        let acc = acc.as_mut_slice();
        stem_docs.clear();
        let mut denominator = 0.0;
        let mut coverage_total = 0.0;
        let sat_typical = TYPICAL_TF * (K1 + 1.0) / (TYPICAL_TF + K1);
        for (i, &(term, weight)) in query.terms.iter().enumerate() {
            if query.terms[..i].iter().any(|(t, _)| *t == term) {
                continue;
            }
            match term {
                QueryTerm::Known(id) => {
                    let idf = self.idf[id as usize];
                    denominator += weight * idf * sat_typical;
                    coverage_total += weight * idf;
                    for &(doc, tf) in &self.postings[id as usize] {
                        let d = doc as usize;
                        let tf = f64::from(tf);
                        let norm = self.doc_norm[d];
                        let a = &mut acc[d];
                        if a.matched == 0 {
                            stem_docs.push(doc);
                        }
                        a.bm25 += weight * idf * tf * (K1 + 1.0) / (tf + K1 * norm);
                        a.covered += weight * idf;
                        a.matched = a.matched.saturating_add(1);
                    }
                }
                QueryTerm::Unknown(_) => {
                    let idf = self.unknown_idf() * query.unknown_weight;
                    denominator += weight * idf * sat_typical;
                    coverage_total += weight * idf;
                }
            }
        }
        // Trigram dot products, accumulated without a branch per posting (the passages of
        // one index fit in the first-level cache). The query's trigrams arrive word by word;
        // counting them per id merges repeats without sorting.
        let passages = self.passage_count;
        let common = (passages as f64 * COMMON_GRAM_SHARE).max(COMMON_GRAM_MIN) as usize;
        gram_counts.resize(self.gram_idf.len(), 0);
        touched.clear();
        unknown.clear();
        for &gram in query.grams {
            if gram & UNKNOWN_GRAM != 0 {
                unknown.push(gram);
                continue;
            }
            let Some(count) = gram_counts.get_mut(gram as usize) else {
                continue;
            };
            if *count == 0 {
                touched.push(gram);
            }
            *count = count.saturating_add(1);
        }
        // An unknown trigram still lengthens the query vector.
        unknown.sort_unstable();
        let unknown_idf = (passages.max(1) as f64).ln() + 1.0;
        let mut q_norm = 0.0;
        for repeats in unknown.chunk_by(|a, b| a == b) {
            let w = repeats.len() as f64 * unknown_idf;
            q_norm += w * w;
        }
        dots.clear();
        dots.resize(passages, 0.0);
        let dots = dots.as_mut_slice();
        for &id in touched.iter() {
            // Taken, not read: the counts are all zero again for the next message.
            let count = std::mem::take(&mut gram_counts[id as usize]);
            let w = f64::from(count) * self.gram_idf[id as usize];
            q_norm += w * w;
            let range = self.gram_offsets[id as usize] as usize
                ..self.gram_offsets[id as usize + 1] as usize;
            let postings = &self.gram_postings[range];
            if postings.len() > common {
                continue;
            }
            let wf = w as f32;
            for &(p, pw) in postings {
                dots[p as usize] += wf * pw;
            }
        }
        let q_norm = q_norm.sqrt();
        // Shares of a total: one reciprocal per message instead of a division per document.
        let reciprocal = |total: f64| if total > 0.0 { 1.0 / total } else { 0.0 };
        let (per_denominator, per_coverage) = (reciprocal(denominator), reciprocal(coverage_total));
        let per_q_norm = reciprocal(q_norm);
        if k == 0 {
            return Vec::new();
        }
        let mut top = TopK {
            k,
            best: Vec::with_capacity(k + 1),
            before: |a: &(f64, u32), b: &(f64, u32)| match b.0.total_cmp(&a.0) {
                std::cmp::Ordering::Equal => {
                    self.docs[a.1 as usize].id < self.docs[b.1 as usize].id
                }
                order => order == std::cmp::Ordering::Less,
            },
        };
        let score_of = |d: usize, best: f32| {
            let a = &acc[d];
            DocScore {
                doc: d,
                bm25: (a.bm25 * per_denominator).min(1.0),
                ngram: (f64::from(best) * per_q_norm).min(1.0),
                coverage: (a.covered * per_coverage).min(1.0),
                matched: usize::from(a.matched),
            }
        };
        let fused = |d: usize, best: f32| fusion.score(&score_of(d, best), self.docs[d].kind);
        // Documents that share a stem with the query first: they hold nearly every top
        // place, so the rest mostly fall below the last place at once instead of pushing
        // their way in and out of the list.
        for &d in stem_docs.iter() {
            let d = d as usize;
            top.offer((fused(d, self.best_passage(dots, d)), d as u32));
        }
        // A document without a query stem scores at most `slope` times its best passage's
        // dot product: below `needed` it cannot reach the last place (the margin covers
        // rounding), so only documents with a passage at `needed` or above are scored.
        let floor = match top.best.get(k - 1) {
            Some(&(score, _)) => score,
            None => f64::NEG_INFINITY,
        };
        let slope = fusion.ngram_only_slope() * per_q_norm;
        let needed = floor / slope * (1.0 - 1e-6);
        if floor > 0.0 && slope > 0.0 && needed.is_finite() {
            let needed = needed as f32;
            let mut last = usize::MAX;
            // Sixteen passages at a time: a chunk with no passage high enough (nearly all)
            // costs a few vector comparisons.
            for (c, chunk) in dots.chunks(16).enumerate() {
                if !chunk.iter().fold(false, |hit, &x| hit | (x >= needed)) {
                    continue;
                }
                for (i, &x) in chunk.iter().enumerate() {
                    let d = self.passage_doc[c * 16 + i] as usize;
                    // A document's passages are contiguous: `last` skips its repeats.
                    if x >= needed && d != last && acc[d].matched == 0 {
                        last = d;
                        top.offer((fused(d, self.best_passage(dots, d)), d as u32));
                    }
                }
            }
        } else {
            for (d, a) in acc.iter().enumerate() {
                if a.matched > 0 {
                    continue;
                }
                let best = self.best_passage(dots, d);
                if best == 0.0 {
                    continue;
                }
                top.offer((fused(d, best), d as u32));
            }
        }
        // The few winners' scores are computed again rather than carried through every
        // insertion.
        top.best
            .iter()
            .map(|&(f, d)| (f, score_of(d as usize, self.best_passage(dots, d as usize))))
            .collect()
    }

    /// Best trigram cosine over the document's passages (they are contiguous) times |q|:
    /// the postings carry 1/|p| already. A plain comparison compiles to one `maxss` (no
    /// NaN can occur) and no branch.
    #[inline(always)]
    fn best_passage(&self, dots: &[f32], doc: usize) -> f32 {
        let range = self.doc_passages[doc] as usize..self.doc_passages[doc + 1] as usize;
        dots[range]
            .iter()
            .fold(0.0f32, |m, &x| if x > m { x } else { m })
    }
}

/// How a document's scores become one:
/// `clamp01((bm25_weight·bm25 + (1 − bm25_weight)·ngram) · kind factor · penalty)`. A value,
/// not a closure, so that the search can tell which documents cannot reach the top.
#[derive(Debug, Clone, Copy)]
pub struct Fusion {
    pub bm25_weight: f64,
    pub faq_factor: f64,
    pub service_factor: f64,
    /// Applied to every document (e.g. a question about another city).
    pub penalty: f64,
}

impl Fusion {
    pub fn score(&self, s: &DocScore, kind: DocKind) -> f64 {
        let kind_factor = match kind {
            DocKind::Faq => self.faq_factor,
            DocKind::Service => self.service_factor,
        };
        super::clamp01(
            (self.bm25_weight * s.bm25 + (1.0 - self.bm25_weight) * s.ngram)
                * kind_factor
                * self.penalty,
        )
    }

    /// The most a document's score grows per unit of trigram cosine when it has no BM25.
    fn ngram_only_slope(&self) -> f64 {
        (1.0 - self.bm25_weight) * self.faq_factor.max(self.service_factor) * self.penalty
    }
}

/// One content term of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryTerm<'a> {
    /// A stem some document has ([`Index::term`]).
    Known(u32),
    /// A stem no document has: it only counts in the normaliser.
    Unknown(&'a str),
}

/// What a search looks for.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    /// Content terms with a weight each.
    pub terms: &'a [(QueryTerm<'a>, f64)],
    /// Trigrams of the content words, word after word ([`Index::word_grams`]).
    pub grams: &'a [u32],
    /// Share of the rarest corpus word's idf that an unknown word weighs.
    pub unknown_weight: f64,
}

fn bm25_idf(n: f64, df: f64) -> f64 {
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORDS: [&str; 32] = [
        "akta", "lahir", "kartu", "keluarga", "pindah", "datang", "jalan", "rusak", "lampu",
        "mati", "sampah", "banjir", "pajak", "bumi", "izin", "usaha", "sekolah", "guru", "pasar",
        "harga", "air", "bersih", "taman", "kota", "rumah", "sakit", "obat", "bidan", "nikah",
        "cerai", "tanah", "sewa",
    ];

    /// Documents of two to five passages of two to four words, FAQ and service mixed: many
    /// share trigrams without sharing a stem, which is what the pruning works on.
    fn corpus() -> Index {
        let mut seed = 7u64;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize % n
        };
        let inputs = (0..120)
            .map(|d| DocInput {
                info: DocInfo {
                    id: format!("doc-{d:03}"),
                    kind: if d % 5 == 0 {
                        DocKind::Service
                    } else {
                        DocKind::Faq
                    },
                    category: "umum".to_string(),
                },
                passages: (0..2 + next(4))
                    .map(|_| {
                        let words: Vec<String> = (0..2 + next(3))
                            .map(|_| WORDS[next(WORDS.len())].to_string())
                            .collect();
                        Passage {
                            stems: words.clone(),
                            words,
                            weight: 1.0,
                        }
                    })
                    .collect(),
            })
            .collect();
        Index::build(inputs)
    }

    #[test]
    fn the_pruned_top_k_is_the_head_of_the_full_ranking() {
        let index = corpus();
        // Trigrams weigh more than in the engine, so that documents without a query stem
        // compete for the top places.
        let fusion = Fusion {
            bm25_weight: 0.3,
            faq_factor: 1.0,
            service_factor: 0.9,
            penalty: 0.8,
        };
        let mut trigram_only_in_top = 0;
        for (i, stem) in WORDS.iter().enumerate() {
            for shift in [1, 7, 13] {
                // A stem the corpus has, and two misspelt words it only shares trigrams with.
                let typo = |w: &str| format!("{w}h");
                let (b, c) = (
                    typo(WORDS[(i + shift) % WORDS.len()]),
                    typo(WORDS[(i + 2 * shift) % WORDS.len()]),
                );
                let words = [*stem, b.as_str(), c.as_str()];
                let mut grams = Vec::new();
                for w in words {
                    index.word_grams(w, &mut grams);
                }
                let terms: Vec<(QueryTerm<'_>, f64)> = words
                    .iter()
                    .map(|w| {
                        (
                            index
                                .term(w)
                                .map_or(QueryTerm::Unknown(w), QueryTerm::Known),
                            1.0,
                        )
                    })
                    .collect();
                let query = Query {
                    terms: &terms,
                    grams: &grams,
                    unknown_weight: 0.5,
                };
                let all = index.search(&query, index.len(), &fusion);
                let top = index.search(&query, 5, &fusion);
                assert_eq!(top[..], all[..5], "query {words:?}");
                trigram_only_in_top += top.iter().filter(|(_, s)| s.bm25 == 0.0).count();
            }
        }
        // The pruned part of the ranking did place documents in the top 5.
        assert!(trigram_only_in_top > 0);
    }
}
