//! Answering-engine benchmark (plain timing loop, no harness):
//! `cargo bench -p prolink-app --bench nlp`.
//!
//! Prints index build time, p50/p99 latency per message on the seed corpus (messages of
//! `../shared/eval/dev.jsonl` when present, else the FAQ questions) and on a synthetic
//! 10 000-entry corpus, peak memory (VmHWM) and the size of the dialog worker binary.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    hint::black_box,
    path::PathBuf,
    sync::atomic::{AtomicBool, AtomicU64, Ordering},
    time::{Duration, Instant},
};

use prolink_app::answering;
use prolink_domain::nlp::{Engine, KbFaq, KnowledgeBase};

/// Counts heap allocations while `COUNTING` is set: allocations are a large share of a
/// message's cost, so their number per message is a figure of its own. The flag is one
/// relaxed load per allocation while the latency loops run uncounted.
struct CountingAllocator;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Mean heap allocations (and reallocations) per call of `run` over the messages.
fn allocations_per_message(messages: &[String], mut run: impl FnMut(&str)) -> f64 {
    ALLOCATIONS.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    for m in messages {
        run(black_box(m));
    }
    COUNTING.store(false, Ordering::Relaxed);
    ALLOCATIONS.load(Ordering::Relaxed) as f64 / messages.len().max(1) as f64
}

const ROUNDS: usize = 20;
const BUILD_RUNS: usize = 15;
const SYNTHETIC_ENTRIES: usize = 10_000;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn time_builds(kb: &KnowledgeBase, runs: usize) -> (Duration, Duration) {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let engine = Engine::build(kb);
        times.push(start.elapsed());
        black_box(engine);
    }
    times.sort();
    (times[0], percentile(&times, 50.0))
}

/// The learned classifier (training phrases), which the engine trains at the first message
/// that needs it: (min, median) of that one-off cost.
fn time_classifier_trainings(kb: &KnowledgeBase, runs: usize) -> Option<(Duration, Duration)> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let engine = Engine::build(kb);
        let start = Instant::now();
        if !engine.prepare_classifier() {
            return None;
        }
        times.push(start.elapsed());
        black_box(engine);
    }
    times.sort();
    Some((times[0], percentile(&times, 50.0)))
}

/// Each message `rounds` times through `work`: the times, sorted.
fn time_each(messages: &[String], rounds: usize, mut work: impl FnMut(&str)) -> Vec<Duration> {
    let mut times = Vec::with_capacity(messages.len() * rounds);
    for _ in 0..rounds {
        for m in messages {
            let start = Instant::now();
            work(black_box(m));
            times.push(start.elapsed());
        }
    }
    times.sort();
    times
}

/// The answer's latency, after one pass that warms the caches.
fn time_queries(engine: &Engine, messages: &[String], rounds: usize) -> Vec<Duration> {
    for m in messages {
        black_box(engine.answer(m));
    }
    time_each(messages, rounds, |m| {
        black_box(engine.answer(m));
    })
}

fn report_latency(label: &str, times: &[Duration]) {
    let mean = times.iter().sum::<Duration>() / times.len().max(1) as u32;
    println!(
        "{label}: {} answers  p50 {}  p99 {}  max {}  mean {}",
        times.len(),
        micros(percentile(times, 50.0)),
        micros(percentile(times, 99.0)),
        micros(*times.last().unwrap_or(&Duration::ZERO)),
        micros(mean),
    );
}

/// xorshift64*: a deterministic generator, so every run benchmarks the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A pronounceable pseudo-word, so the synthetic corpus has a realistic vocabulary size
/// (~20 000 distinct words) and realistic word lengths.
fn pseudo_word(rng: &mut Rng) -> String {
    const SYLLABLES: [&str; 24] = [
        "ka", "ra", "ngu", "ta", "si", "mo", "pe", "lan", "du", "bu", "ri", "sa", "ma", "ja", "wi",
        "no", "ge", "tan", "ban", "har", "pu", "lo", "ke", "dang",
    ];
    let n = 2 + rng.below(3);
    (0..n)
        .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
        .collect()
}

/// 10 000 FAQ entries: the seed entries, then copies of them in which every other word is
/// replaced by a word from a 20 000-word pseudo vocabulary (so entries differ and postings
/// grow like a real corpus), with the seed services and complaint categories.
fn synthetic(kb: &KnowledgeBase, entries: usize) -> KnowledgeBase {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let vocabulary: Vec<String> = (0..20_000).map(|_| pseudo_word(&mut rng)).collect();
    let mutate = |text: &str, rng: &mut Rng| -> String {
        text.split_whitespace()
            .enumerate()
            .map(|(i, w)| {
                if i % 2 == 1 {
                    vocabulary[rng.below(vocabulary.len())].clone()
                } else {
                    w.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = kb.clone();
    let mut i = 0;
    while out.faqs.len() < entries {
        let template = &kb.faqs[i % kb.faqs.len()];
        let faq = KbFaq {
            id: format!("{}-syn{}", template.id, i),
            category: template.category.clone(),
            title: mutate(&template.title, &mut rng),
            question: mutate(&template.question, &mut rng),
            alt_questions: template
                .alt_questions
                .iter()
                .map(|q| mutate(q, &mut rng))
                .collect(),
            keywords: template
                .keywords
                .iter()
                .map(|k| mutate(k, &mut rng))
                .collect(),
            phrases: template
                .phrases
                .iter()
                .map(|p| mutate(p, &mut rng))
                .collect(),
            answer: mutate(&template.answer, &mut rng),
            opd_id: template.opd_id.clone(),
            opd_ids: template.opd_ids.clone(),
        };
        out.faqs.push(faq);
        i += 1;
    }
    out
}

fn main() {
    let seed_dir = manifest_dir().join("../../infra/seed");
    let bundle = match prolink_app::content_import::load_dir(&seed_dir) {
        Ok(b) => b,
        Err(report) => {
            eprintln!("seed import failed: {report}");
            std::process::exit(1);
        }
    };
    let kb = KnowledgeBase::from(&bundle);
    let rss_before = status_kib("VmRSS:").unwrap_or(0);

    let dev = std::fs::read_to_string(manifest_dir().join("../../../shared/eval/dev.jsonl")).ok();
    let (messages, source): (Vec<String>, &str) = match &dev {
        Some(text) => {
            let (cases, _) = answering::parse_cases(text.as_bytes());
            (
                cases.into_iter().map(|c| c.q).collect(),
                "dev.jsonl messages",
            )
        }
        None => (
            kb.faqs.iter().map(|f| f.question.clone()).collect(),
            "FAQ questions",
        ),
    };

    println!(
        "== seed corpus: {} FAQ entries, {} services, {} complaint categories",
        kb.faqs.len(),
        kb.services.len(),
        kb.categories.len()
    );
    let (min, median) = time_builds(&kb, BUILD_RUNS);
    println!(
        "index build: min {}  median {}  ({BUILD_RUNS} runs)",
        micros(min),
        micros(median)
    );
    match time_classifier_trainings(&kb, BUILD_RUNS) {
        Some((min, median)) => println!(
            "classifier training (training phrases; at the first message that needs it): min {}  median {}  ({BUILD_RUNS} runs)",
            micros(min),
            micros(median)
        ),
        None => println!("classifier training: none (no training phrases)"),
    }
    let engine = Engine::build(&kb);
    let rss_engine = status_kib("VmRSS:").unwrap_or(0);
    println!(
        "vocabulary: {} words; RSS with engine {} KiB (+{} KiB)",
        engine.vocabulary_size(),
        rss_engine,
        rss_engine.saturating_sub(rss_before)
    );
    let times = time_queries(&engine, &messages, ROUNDS);
    report_latency(&format!("latency ({source}, {ROUNDS} rounds)"), &times);
    // What a message costs when the classifier is asked too (retrieval not confident).
    let learned_times = time_each(&messages, ROUNDS, |m| {
        let ranking = engine.rank(m);
        black_box(ranking.learned(engine.thresholds().temperature));
        black_box(ranking.out_of_scope());
    });
    report_latency(
        "  ranking with the classifier asked on every message",
        &learned_times,
    );
    let analyse_times = time_each(&messages, ROUNDS, |m| {
        black_box(engine.analyse(m));
    });
    report_latency(
        "  of which normalisation (mask, tokens, lexicon, repair, stems)",
        &analyse_times,
    );
    println!(
        "heap allocations per message: {:.1} (normalisation {:.1})",
        allocations_per_message(&messages, |m| {
            black_box(engine.answer(m));
        }),
        allocations_per_message(&messages, |m| {
            black_box(engine.analyse(m));
        }),
    );
    println!(
        "peak RSS so far (VmHWM): {} KiB",
        status_kib("VmHWM:").unwrap_or(0)
    );

    // Profiling aid: NLP_BENCH_QUERY_ROUNDS=N repeats the seed query loop N more times and stops.
    if let Some(rounds) = std::env::var("NLP_BENCH_QUERY_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        black_box(time_queries(&engine, &messages, rounds));
        return;
    }

    println!("\n== synthetic corpus: {SYNTHETIC_ENTRIES} FAQ entries");
    let big = synthetic(&kb, SYNTHETIC_ENTRIES);
    let (min, median) = time_builds(&big, 3);
    println!(
        "index build: min {}  median {}  (3 runs)",
        micros(min),
        micros(median)
    );
    let big_engine = Engine::build(&big);
    println!("vocabulary: {} words", big_engine.vocabulary_size());
    let times = time_queries(&big_engine, &messages, 5);
    report_latency(&format!("latency ({source}, 5 rounds)"), &times);
    println!(
        "peak RSS (VmHWM): {} KiB",
        status_kib("VmHWM:").unwrap_or(0)
    );

    println!();
    let target = manifest_dir().join("../../target/release");
    for name in ["dialog-worker", "bootstrap"] {
        match std::fs::metadata(target.join(name)) {
            Ok(meta) => println!(
                "binary {name}: {:.1} MiB ({} bytes)",
                meta.len() as f64 / 1048576.0,
                meta.len()
            ),
            Err(_) => println!("binary {name}: not built (cargo build --release -p dialog-worker)"),
        }
    }
    if let Ok(exe) = std::env::current_exe() {
        if let Ok(meta) = std::fs::metadata(&exe) {
            println!(
                "this bench binary (links the whole prolink crate): {:.1} MiB",
                meta.len() as f64 / 1048576.0
            );
        }
    }
}
