//! The learned classifier: multinomial naive Bayes over TF-IDF weighted character and word
//! n-grams of every training text (titles, questions, keywords, training phrases and the
//! out-of-scope examples), with temperature-scaled probabilities.
//!
//! Why this model: on the seed content it ranks the right entry first for far more unseen
//! messages than retrieval over the same texts (docs/nlp.md has the figures), character
//! n-grams absorb informal spelling, Javanese and Madurese word forms without a lexicon, and
//! training is counting: a few tens of milliseconds at the first message that needs it, no
//! stored model and nothing to download. A discriminative model (logistic regression) was
//! as accurate on top-1 but needs an iterative fit of 163 × 45 000 weights at every cold start.
//!
//! The raw naive Bayes posteriors are far too sure of themselves (its independence
//! assumption counts every overlapping n-gram as separate evidence); dividing the
//! log-likelihoods by a temperature before the softmax makes them probabilities the decision
//! can use (temperature scaling: the log-loss minimum on held-out training phrases, by
//! cross-validation; docs/nlp.md).

use super::{
    fxhash::{FastMap, FxHasher},
    lexicon::Lexicon,
    text,
};
use std::{borrow::Cow, hash::Hasher};

/// Additive smoothing of the per-class n-gram counts.
pub const SMOOTHING: f64 = 0.1;
/// N-grams found in more than this share of the training texts are not features (chosen by
/// cross-validation, docs/nlp.md: 10 % scores slightly better than keeping all).
pub const MAX_DF_SHARE: f64 = 0.1;
/// ... and in more texts than this.
pub const MAX_DF_FLOOR: u32 = 20;
/// Character n-gram lengths (each word padded with one space on both sides).
const CHAR_GRAMS: std::ops::RangeInclusive<usize> = 3..=4;

/// The scope model's classes (see `Engine::build`).
pub const IN_SCOPE: usize = 0;
pub const OUT_OF_SCOPE: usize = 1;

/// How the class priors are set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prior {
    /// From the number of examples per class.
    Empirical,
    /// Equal for every class (for a class whose examples are many only because its topic
    /// is wide, like "out of scope").
    Uniform,
}

/// The trained model.
#[derive(Debug, Clone)]
pub struct NaiveBayes {
    /// Per n-gram: everything a message needs of it, in the map's own slot, so that a
    /// message's n-gram costs one probe and one read of its postings (the per-message time
    /// is memory reads: two hundred n-grams against tens of thousands of features).
    features: FastMap<u64, Feature>,
    /// All features' postings, one after the other: the classes that saw a feature, with
    /// `ln(1 + count / SMOOTHING)`.
    postings: Vec<(u16, f32)>,
    /// Per class: `ln P(class)`.
    prior: Vec<f64>,
    /// Median norm of a training text's blocks (characters, words): a message's weights are
    /// divided by it instead of by its own norm, so that a longer message carries more
    /// evidence and a two-word one is not as sure as a full question.
    typical_norm: [f64; 2],
    /// Per class: `ln(SMOOTHING / (total count + SMOOTHING × features))`, the log
    /// probability of an n-gram the class never saw.
    unseen: Vec<f64>,
}

/// One feature of the model.
#[derive(Debug, Clone, Copy)]
struct Feature {
    /// Dense index (training counts are kept per index).
    id: u32,
    idf: f32,
    /// Its postings: `postings[start..end]`.
    start: u32,
    end: u32,
}

impl Feature {
    /// TF-IDF weight of the feature seen `count` times in a text (sublinear term frequency).
    fn weight(&self, count: f64) -> f64 {
        let idf = f64::from(self.idf);
        // Nearly every n-gram of a message is there once: `ln(1) = 0` without the call.
        if count == 1.0 {
            idf
        } else {
            (1.0 + count.ln()) * idf
        }
    }
}

/// A text's known features with their weights.
type Weights = Vec<(Feature, f64)>;

/// One scored class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub class: usize,
    pub probability: f64,
}

/// The n-grams of one text (hashed), in the two blocks that are weighted separately:
/// characters of each word, and words and word pairs after the lexicon's replacements.
/// Computed once per text and shared by every model that reads it.
#[derive(Debug, Clone, Default)]
pub struct Grams {
    chars: Counted,
    words: Counted,
}

/// Distinct n-gram hashes with how often each was seen, in hash order.
type Counted = Vec<(u64, f64)>;

/// Counts the hashes of one block: sorted and run-length counted (a message has about a
/// hundred n-grams; a hash map for them cost more than the sort).
fn counted(mut hashes: Vec<u64>) -> Counted {
    hashes.sort_unstable();
    let mut out: Counted = Vec::with_capacity(hashes.len());
    for hash in hashes {
        match out.last_mut() {
            Some((last, count)) if *last == hash => *count += 1.0,
            _ => out.push((hash, 1.0)),
        }
    }
    out
}

/// Runs of three or more equal letters ("pagiii", "tolooong") count as one.
fn squash_elongation(word: &str) -> Cow<'_, str> {
    // Nearly every word has no such run: borrowed as it is, without a copy.
    let (mut previous, mut run, mut elongated) = ('\0', 0, false);
    for c in word.chars() {
        run = if c == previous { run + 1 } else { 1 };
        previous = c;
        elongated |= run >= 3;
    }
    if !elongated {
        return Cow::Borrowed(word);
    }
    let mut out = String::with_capacity(word.len());
    let chars: Vec<char> = word.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut j = i;
        while j < chars.len() && chars[j] == c {
            j += 1;
        }
        let run = if j - i >= 3 { 1 } else { j - i };
        out.extend(std::iter::repeat_n(c, run));
        i = j;
    }
    Cow::Owned(out)
}

fn hash_chars(chars: &[char]) -> u64 {
    let mut h = FxHasher::default();
    h.write_u8(b'c');
    for c in chars {
        h.write_u32(u32::from(*c));
    }
    h.finish()
}

fn hash_words(words: &[&str]) -> u64 {
    let mut h = FxHasher::default();
    h.write_u8(b'w');
    for w in words {
        h.write(w.as_bytes());
        h.write_u8(0xff);
    }
    h.finish()
}

impl Grams {
    /// The n-grams of `message`; with a lexicon, the word block is taken after its
    /// replacements (project rows only: chat spellings, Javanese and Madurese words and
    /// government synonyms become one canonical word; IndoCollex rows stay off, as they
    /// would rewrite words of the content).
    pub fn of(message: &str, lexicon: Option<&Lexicon>) -> Self {
        Self::of_words(&text::Words::of(message), lexicon)
    }

    /// [`Grams::of`] a message already tokenised.
    pub fn of_words(words: &text::Words, lexicon: Option<&Lexicon>) -> Self {
        let tokens: Vec<Cow<str>> = words.iter().map(squash_elongation).collect();
        // Two n-grams per letter (3- and 4-grams): sized once.
        let letters: usize = tokens.iter().map(|t| t.len() + 2).sum();
        let mut chars: Vec<u64> = Vec::with_capacity(letters * 2);
        let mut padded: Vec<char> = Vec::new();
        for t in &tokens {
            padded.clear();
            padded.push(' ');
            padded.extend(t.chars());
            padded.push(' ');
            for n in CHAR_GRAMS {
                if padded.len() < n {
                    // A word shorter than the n-gram counts once, whole.
                    chars.push(hash_chars(&padded));
                    break;
                }
                chars.extend(padded.windows(n).map(hash_chars));
            }
        }
        let borrowed: Vec<&str> = tokens.iter().map(|t| t.as_ref()).collect();
        let mut canonical: Vec<&str> = Vec::with_capacity(borrowed.len() + 2);
        match lexicon {
            Some(lexicon) => lexicon.apply_to(&borrowed, |_| true, &mut canonical),
            None => canonical.extend(&borrowed),
        }
        canonical.retain(|t| t.chars().nth(1).is_some());
        let mut words: Vec<u64> = Vec::with_capacity(canonical.len() * 2);
        words.extend(canonical.iter().map(|w| hash_words(&[w])));
        words.extend(canonical.windows(2).map(hash_words));
        let (chars, words) = (counted(chars), counted(words));
        Grams { chars, words }
    }
}

impl NaiveBayes {
    /// Trains on `(class, n-grams)` examples of classes `0..classes` (others are ignored).
    /// Trains on `examples`; n-grams found in more than `max_df_share` of them and in more
    /// than `max_df_floor` texts are not features (a share of 1.0 keeps all; the floor keeps
    /// a small content's words: in five texts every word is in a fifth of them).
    pub fn train(
        classes: usize,
        examples: &[(usize, &Grams)],
        prior: Prior,
        max_df_share: f64,
        max_df_floor: u32,
    ) -> Self {
        let docs: Vec<(usize, &Grams)> = examples
            .iter()
            .copied()
            .filter(|(class, _)| *class < classes)
            .collect();
        let mut ids: FastMap<u64, u32> = FastMap::default();
        let mut df: Vec<u32> = Vec::new();
        for (_, g) in &docs {
            for (key, _) in g.chars.iter().chain(&g.words) {
                let next = ids.len() as u32;
                let id = *ids.entry(*key).or_insert(next);
                if id as usize == df.len() {
                    df.push(0);
                }
                df[id as usize] += 1;
            }
        }
        let n = docs.len() as f64;
        // N-grams in a large share of all texts ("ang", " ya ") say nothing about the class
        // but have the longest postings: left out, as a vectoriser's max_df would.
        let max_df = ((n * max_df_share) as u32).max(max_df_floor);
        let mut kept: Vec<u32> = Vec::with_capacity(df.len());
        let mut kept_df: Vec<u32> = Vec::with_capacity(df.len());
        for &d in &df {
            if d <= max_df {
                kept.push(kept_df.len() as u32);
                kept_df.push(d);
            } else {
                kept.push(u32::MAX);
            }
        }
        let idf = |d: u32| (((1.0 + n) / (1.0 + d as f64)).ln() + 1.0) as f32;
        let features: FastMap<u64, Feature> = ids
            .into_iter()
            .filter_map(|(key, id)| {
                let id = kept[id as usize];
                (id != u32::MAX).then(|| {
                    let feature = Feature {
                        id,
                        idf: idf(kept_df[id as usize]),
                        start: 0,
                        end: 0,
                    };
                    (key, feature)
                })
            })
            .collect();
        let mut model = Self {
            features,
            postings: Vec::new(),
            prior: Vec::new(),
            typical_norm: [1.0, 1.0],
            unseen: Vec::new(),
        };
        let weighed: Vec<(usize, Weights, [f64; 2])> = docs
            .iter()
            .map(|(class, g)| {
                let (weights, norms) = model.weigh(g, None);
                (*class, weights, norms)
            })
            .collect();
        for b in 0..2 {
            let mut norms: Vec<f64> = weighed.iter().map(|(_, _, n)| n[b]).collect();
            norms.sort_by(f64::total_cmp);
            if let Some(&median) = norms.get(norms.len() / 2) {
                if median > 0.0 {
                    model.typical_norm[b] = median;
                }
            }
        }
        // Per feature, the classes that saw it: examples come class by class, so a class's
        // count is nearly always the last one pushed; any other order is merged below.
        let mut counts: Vec<Vec<(u16, f64)>> = vec![Vec::new(); model.features.len()];
        let mut totals = vec![0.0f64; classes];
        let mut docs_per_class = vec![0.0f64; classes];
        for (class, weights, _) in &weighed {
            docs_per_class[*class] += 1.0;
            for &(feature, x) in weights {
                let per_class = &mut counts[feature.id as usize];
                match per_class.last_mut() {
                    Some(last) if last.0 as usize == *class => last.1 += x,
                    _ => per_class.push((*class as u16, x)),
                }
                totals[*class] += x;
            }
        }
        let vocabulary = model.features.len() as f64;
        let per_feature: Vec<Vec<(u16, f32)>> = counts
            .into_iter()
            .map(|mut per_class| {
                per_class.sort_by_key(|(c, _)| *c);
                per_class.dedup_by(|later, kept| {
                    let same = later.0 == kept.0;
                    if same {
                        kept.1 += later.1;
                    }
                    same
                });
                per_class
                    .into_iter()
                    .map(|(c, x)| (c, (1.0 + x / SMOOTHING).ln() as f32))
                    .collect()
            })
            .collect();
        let mut starts = Vec::with_capacity(per_feature.len() + 1);
        for list in &per_feature {
            starts.push(model.postings.len() as u32);
            model.postings.extend_from_slice(list);
        }
        starts.push(model.postings.len() as u32);
        for feature in model.features.values_mut() {
            feature.start = starts[feature.id as usize];
            feature.end = starts[feature.id as usize + 1];
        }
        model.prior = docs_per_class
            .iter()
            .map(|&d| match prior {
                _ if d == 0.0 => f64::NEG_INFINITY,
                Prior::Empirical => (d / n).ln(),
                Prior::Uniform => -(classes as f64).ln(),
            })
            .collect();
        model.unseen = totals
            .iter()
            .map(|&t| (SMOOTHING / (t + SMOOTHING * vocabulary)).ln())
            .collect();
        model
    }

    /// The known features of a text with their TF-IDF weights (sublinear term frequency),
    /// each block divided by `scale` or, without one, by its own norm; and the blocks' norms
    /// before that division.
    fn weigh(&self, g: &Grams, scale: Option<[f64; 2]>) -> (Weights, [f64; 2]) {
        let mut out = Vec::with_capacity(g.chars.len() + g.words.len());
        let mut norms = [0.0; 2];
        for (b, block) in [&g.chars, &g.words].into_iter().enumerate() {
            let start = out.len();
            for (key, count) in block {
                if let Some(&feature) = self.features.get(key) {
                    out.push((feature, feature.weight(*count)));
                }
            }
            norms[b] = out[start..].iter().map(|(_, x)| x * x).sum::<f64>().sqrt();
            let divisor = scale.map_or(norms[b], |s| s[b]);
            if divisor > 0.0 {
                out[start..].iter_mut().for_each(|(_, x)| *x /= divisor);
            }
        }
        (out, norms)
    }

    /// Joint log-likelihood of the text under each class; `None` when the text has no
    /// n-gram the model knows.
    pub fn log_likelihoods(&self, grams: &Grams) -> Option<Vec<f64>> {
        // `weigh` with the fixed typical norm, without its norms (this runs for most messages;
        // `weigh` is for training).
        let mut jll = self.prior.clone();
        let mut mass = 0.0;
        // Two passes: the look-ups first, then the postings. Both are cache misses (tens of
        // thousands of features); in one loop each postings read waited for its look-up,
        // apart the look-ups of several n-grams are under way at once.
        let mut found: Vec<(&[(u16, f32)], f64)> =
            Vec::with_capacity(grams.chars.len() + grams.words.len());
        // `typical_norm` is positive by construction (`train` keeps 1.0 for a zero median).
        for (block, scale) in [&grams.chars, &grams.words]
            .into_iter()
            .zip(self.typical_norm)
        {
            found.extend(block.iter().filter_map(|(key, count)| {
                let feature = self.features.get(key)?;
                let postings = &self.postings[feature.start as usize..feature.end as usize];
                Some((postings, feature.weight(*count) / scale))
            }));
        }
        if found.is_empty() {
            return None;
        }
        for &(postings, x) in &found {
            mass += x;
            for &(class, w) in postings {
                jll[class as usize] += x * f64::from(w);
            }
        }
        for (l, unseen) in jll.iter_mut().zip(&self.unseen) {
            *l += unseen * mass;
        }
        Some(jll)
    }

    /// Probability of class `class` at temperature 1.
    pub fn probability_of(&self, grams: &Grams, class: usize) -> Option<f64> {
        let jll = self.log_likelihoods(grams)?;
        let (max, _, sum) = relative_exps(&jll, 1.0)?;
        Some((jll.get(class)? - max).exp() / sum)
    }
}

/// Below this a class's probability is left out of [`probabilities`]: most of the 163
/// classes of a message are far under it, and sorting them was a tenth of a message's time.
pub const NEGLIGIBLE: f64 = 1e-9;

/// `e^x` for `x ≤ 0`, read as 0 below [`UNDERFLOW`]. Naive Bayes log-likelihoods lie hundreds
/// apart, so most classes' `exp` underflows, and the C library's underflow path (it sets
/// `errno`) made the softmax cost more than the model itself. The cut is exact for every use:
/// `e^-60` is far under [`NEGLIGIBLE`] of a sum that is at least 1.
fn relative_exp(x: f64) -> f64 {
    if x < UNDERFLOW {
        0.0
    } else {
        x.exp()
    }
}

/// See [`relative_exp`].
const UNDERFLOW: f64 = -60.0;

/// The softmax's parts at temperature `t` (positive): the largest log-likelihood, each
/// class's [`relative_exp`] of its distance to it, and their sum; `None` when there is
/// nothing to normalise by.
fn relative_exps(log_likelihoods: &[f64], t: f64) -> Option<(f64, Vec<f64>, f64)> {
    let max = log_likelihoods
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let exp: Vec<f64> = log_likelihoods
        .iter()
        .map(|l| relative_exp((l - max) / t))
        .collect();
    let sum: f64 = exp.iter().sum();
    (sum > 0.0 && sum.is_finite()).then_some((max, exp, sum))
}

/// From this probability a class is ranked by [`probabilities`]; the classes under it follow
/// in class order. Every decision reads classes far above it (the first class, suggestions
/// from 0.1) or looks one up by id; sorting the hundred-odd classes under it was a twentieth
/// of a message's time.
pub const RANKED: f64 = 1e-4;

/// Softmax of log-likelihoods divided by `temperature` (a non-positive one counts as 1.0):
/// the classes from [`RANKED`] best first, then the others from [`NEGLIGIBLE`] in class
/// order; classes under [`NEGLIGIBLE`] are left out.
pub fn probabilities(log_likelihoods: &[f64], temperature: f64) -> Vec<Scored> {
    let t = if temperature > 0.0 { temperature } else { 1.0 };
    let Some((_, exp, sum)) = relative_exps(log_likelihoods, t) else {
        return Vec::new();
    };
    // Sorted as integers: a non-negative float's bits order as the float does, so the key
    // (probability descending, then class ascending) is one u128 comparison; the float
    // comparator chain made this sort a twentieth of a message's time.
    let mut ranked: Vec<u128> = exp
        .iter()
        .enumerate()
        .filter(|(_, e)| *e / sum >= RANKED)
        .map(|(class, e)| (u128::from(!(e / sum).to_bits()) << 64) | class as u128)
        .collect();
    ranked.sort_unstable();
    let scored = |class: usize| Scored {
        class,
        probability: exp[class] / sum,
    };
    let improbable =
        (0..exp.len()).filter(|&class| (NEGLIGIBLE..RANKED).contains(&(exp[class] / sum)));
    ranked
        .into_iter()
        .map(|key| key as u64 as usize)
        .chain(improbable)
        .map(scored)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn train(classes: usize, texts: &[(usize, &str)], prior: Prior) -> NaiveBayes {
        let grams: Vec<(usize, Grams)> = texts
            .iter()
            .map(|(class, text)| (*class, Grams::of(text, None)))
            .collect();
        let examples: Vec<(usize, &Grams)> = grams.iter().map(|(c, g)| (*c, g)).collect();
        NaiveBayes::train(classes, &examples, prior, 1.0, 0)
    }

    fn classify(m: &NaiveBayes, message: &str, temperature: f64) -> Vec<Scored> {
        m.log_likelihoods(&Grams::of(message, None))
            .map(|jll| probabilities(&jll, temperature))
            .unwrap_or_default()
    }

    #[test]
    fn the_softmax_reads_far_classes_as_zero_without_changing_any_probability_it_keeps() {
        assert_eq!(relative_exp(-1.0), (-1.0f64).exp());
        assert_eq!(relative_exp(0.0), 1.0);
        for x in [-60.1, -745.2, -1e9, f64::NEG_INFINITY] {
            assert_eq!(relative_exp(x), 0.0);
        }
        // What a cut class would have weighed is far under what any kept class is shown at.
        assert!(UNDERFLOW.exp() < NEGLIGIBLE * 1e-12);
        let scored = probabilities(&[-3.0, -2000.0, -1.0, -80.0], 1.0);
        let exact = |l: f64| (l + 1.0).exp() / (1.0 + (-2.0f64).exp());
        assert_eq!(scored.len(), 2);
        assert_eq!((scored[0].class, scored[1].class), (2, 0));
        assert!((scored[0].probability - exact(-1.0)).abs() < 1e-12);
        assert!((scored[1].probability - exact(-3.0)).abs() < 1e-12);
    }

    #[test]
    fn classes_rank_by_probability_then_by_class() {
        // Ties keep the lower class first; tiny and zero-exponent classes rank by value.
        let scored = probabilities(&[0.0, 1.0, 1.0, -2.0, 0.5, 1.0], 1.0);
        assert_eq!(
            scored.iter().map(|s| s.class).collect::<Vec<_>>(),
            [1, 2, 5, 4, 0, 3]
        );
        assert!(scored
            .windows(2)
            .all(|w| w[0].probability >= w[1].probability));
    }

    #[test]
    fn classes_under_the_ranked_share_follow_in_class_order_and_none_is_lost() {
        // Log-likelihoods of 0, -5, -12, -10, -1 and -30: the third, fourth and sixth class
        // are under `RANKED` (e^-10 / sum ≈ 3·10⁻⁵), the sixth under `NEGLIGIBLE` too.
        let scored = probabilities(&[0.0, -5.0, -12.0, -10.0, -1.0, -30.0], 1.0);
        assert_eq!(
            scored.iter().map(|s| s.class).collect::<Vec<_>>(),
            [0, 4, 1, 2, 3]
        );
        let (ranked, rest) = scored.split_at(3);
        assert!(ranked.iter().all(|s| s.probability >= RANKED));
        assert!(rest
            .iter()
            .all(|s| s.probability < RANKED && s.probability >= NEGLIGIBLE));
        assert!(ranked
            .windows(2)
            .all(|w| w[0].probability >= w[1].probability));
        let total: f64 = scored.iter().map(|s| s.probability).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
    }

    #[test]
    fn negligible_classes_leave_the_ranking_but_keep_their_own_probability() {
        let m = model();
        let grams = Grams::of("bikin ktp baru gimana cara membuat ktp elektronik", None);
        let jll = m.log_likelihoods(&grams).unwrap_or_default();
        // Sharpened until the other classes fall under the limit.
        let scored = probabilities(&jll, 0.01);
        assert_eq!(scored.iter().map(|s| s.class).collect::<Vec<_>>(), [0]);
        let all = probabilities(&jll, 1.0);
        assert!(all.iter().all(|s| s.probability >= NEGLIGIBLE), "{all:?}");
        let total: f64 = all.iter().map(|s| s.probability).sum();
        assert!((total - 1.0).abs() < 1e-6, "{total}");
        // One class's probability is computed whole, however small.
        let p = m.probability_of(&grams, 2).unwrap_or(1.0);
        assert!(p < 0.5 && p > 0.0, "{p}");
    }

    fn model() -> NaiveBayes {
        train(
            3,
            &[
                (0, "cara membuat ktp elektronik"),
                (0, "bikin ktp baru gimana"),
                (0, "ktp sy ilang harus gmn"),
                (1, "jadwal buka puskesmas"),
                (1, "puskesmas buka jam berapa"),
                (1, "jam layanan puskesmas hari sabtu"),
                (2, "resep nasi goreng"),
                (2, "skor bola tadi malam"),
            ],
            Prior::Empirical,
        )
    }

    #[test]
    fn ranks_the_class_whose_examples_share_the_most_grams() {
        let m = model();
        let ktp = classify(&m, "gmn cara bikin ktp", 1.0);
        assert_eq!(ktp[0].class, 0, "{ktp:?}");
        let clinic = classify(&m, "puskesmasnya bukak jam piro", 1.0);
        assert_eq!(clinic[0].class, 1, "{clinic:?}");
        let food = classify(&m, "resep goreng", 1.0);
        assert_eq!(food[0].class, 2, "{food:?}");
    }

    #[test]
    fn probabilities_sum_to_one_and_a_higher_temperature_flattens_them() {
        let m = model();
        let sharp = classify(&m, "cara bikin ktp", 1.0);
        let soft = classify(&m, "cara bikin ktp", 8.0);
        let total: f64 = sharp.iter().map(|s| s.probability).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        assert_eq!(sharp[0].class, soft[0].class);
        assert!(
            soft[0].probability < sharp[0].probability,
            "{sharp:?} {soft:?}"
        );
        assert!(soft[0].probability > 1.0 / 3.0);
    }

    #[test]
    fn a_text_without_known_grams_gets_no_class() {
        let m = model();
        assert!(classify(&m, "", 1.0).is_empty());
        assert!(classify(&m, "🙂 ... !!!", 1.0).is_empty());
        assert!(classify(&m, "qqqqqq", 1.0).is_empty());
    }

    #[test]
    fn an_n_gram_in_too_many_texts_is_not_a_feature() {
        let texts = [
            (0, "ktp baru"),
            (0, "ktp hilang"),
            (1, "pajak baru"),
            (1, "pajak lunas"),
        ];
        let grams: Vec<(usize, Grams)> = texts
            .iter()
            .map(|(class, text)| (*class, Grams::of(text, None)))
            .collect();
        let examples: Vec<(usize, &Grams)> = grams.iter().map(|(c, g)| (*c, g)).collect();
        // "baru" is in half the texts: kept at 1.0, dropped at 0.25 ("ktp" and "pajak" are
        // in half too, so only words of one text remain).
        let all = NaiveBayes::train(2, &examples, Prior::Uniform, 1.0, 0);
        let pruned = NaiveBayes::train(2, &examples, Prior::Uniform, 0.25, 1);
        let floored = NaiveBayes::train(2, &examples, Prior::Uniform, 0.25, 2);
        assert!(all.log_likelihoods(&Grams::of("baru", None)).is_some());
        assert!(pruned.log_likelihoods(&Grams::of("baru", None)).is_none());
        assert!(pruned.log_likelihoods(&Grams::of("hilang", None)).is_some());
        // Two texts are not "too many" with a floor of two.
        assert!(floored.log_likelihoods(&Grams::of("baru", None)).is_some());
    }

    #[test]
    fn a_uniform_prior_ignores_how_many_examples_a_class_has() {
        let texts = [
            (0, "apa kabar"),
            (1, "apa saja"),
            (1, "apa itu"),
            (1, "apa ya"),
            (1, "apa kata"),
            (1, "apa lagi"),
        ];
        let empirical = train(2, &texts, Prior::Empirical);
        let uniform = train(2, &texts, Prior::Uniform);
        let p = |m: &NaiveBayes| {
            classify(m, "apa", 1.0)
                .iter()
                .find(|s| s.class == 0)
                .map_or(0.0, |s| s.probability)
        };
        assert!(
            p(&uniform) > p(&empirical),
            "{} {}",
            p(&uniform),
            p(&empirical)
        );
    }

    #[test]
    fn a_longer_message_with_the_same_cues_is_surer() {
        let m = model();
        let short = classify(&m, "ktp", 1.0);
        let long = classify(&m, "cara bikin ktp baru gimana ya, ktp sy ilang", 1.0);
        assert_eq!(short[0].class, 0);
        assert_eq!(long[0].class, 0);
        assert!(
            long[0].probability > short[0].probability,
            "{short:?} {long:?}"
        );
    }

    #[test]
    fn the_lexicon_turns_regional_and_chat_words_into_the_contents_words() {
        // "piye" is Javanese for "bagaimana": with the lexicon it shares the word block.
        let texts = [(0, "bagaimana cara daftar"), (1, "jadwal buka kantor")];
        let lexicon = Lexicon::builtin();
        let with: Vec<(usize, Grams)> = texts
            .iter()
            .map(|(c, t)| (*c, Grams::of(t, Some(&lexicon))))
            .collect();
        let examples: Vec<(usize, &Grams)> = with.iter().map(|(c, g)| (*c, g)).collect();
        let m = NaiveBayes::train(2, &examples, Prior::Uniform, 1.0, 0);
        let asked = Grams::of("piye carane", Some(&lexicon));
        let plain = Grams::of("piye carane", None);
        let p = |g: &Grams| m.probability_of(g, 0).unwrap_or(0.0);
        assert!(p(&asked) > p(&plain), "{} {}", p(&asked), p(&plain));
    }

    #[test]
    fn elongated_letters_count_once() {
        for (word, squashed) in [
            ("tolooong", "tolong"),
            ("pagiii", "pagi"),
            ("sabtu", "sabtu"),
            ("tunggu", "tunggu"),
            ("éééh", "éh"),
        ] {
            assert_eq!(squash_elongation(word), squashed);
        }
    }

    #[test]
    fn the_order_of_the_examples_does_not_change_the_model() {
        let texts = [
            (0, "cara membuat ktp"),
            (1, "jadwal puskesmas"),
            (0, "ktp hilang"),
            (1, "puskesmas buka"),
        ];
        let mut grouped = texts;
        grouped.sort_by_key(|(c, _)| *c);
        let a = train(2, &texts, Prior::Empirical);
        let b = train(2, &grouped, Prior::Empirical);
        for message in ["ktp puskesmas", "cara buka", "jadwal ktp hilang"] {
            let (pa, pb) = (classify(&a, message, 1.0), classify(&b, message, 1.0));
            assert_eq!(pa.len(), pb.len());
            for (x, y) in pa.iter().zip(&pb) {
                assert_eq!(x.class, y.class, "{message}");
                assert!((x.probability - y.probability).abs() < 1e-9, "{message}");
            }
        }
    }

    #[test]
    fn out_of_range_classes_are_ignored_not_a_panic() {
        let m = train(1, &[(5, "apa saja"), (0, "resep kue")], Prior::Empirical);
        assert_eq!(classify(&m, "resep", 1.0).len(), 1);
    }
}
