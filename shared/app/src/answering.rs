//! The answering use cases around [`Engine`]: build it from a seed directory, answer a stream
//! of messages as JSON lines (`prolink ask --json --stdin`), and evaluate it on a labelled
//! file (`prolink eval FILE.jsonl`).

use std::{
    fmt,
    io::{self, BufRead, Write},
    path::Path,
};

use serde::Deserialize;

use prolink_domain::nlp::{Answer, AnswerKind, Engine, KnowledgeBase, Ranking, Thresholds};

/// Imports the seed directory (all-or-nothing, see `content::load_dir`) and builds the engine.
pub fn engine_from_seed_dir(path: impl AsRef<Path>) -> Result<Engine, String> {
    let bundle = crate::content_import::load_dir(path).map_err(|report| report.to_string())?;
    Ok(Engine::build(&KnowledgeBase::from(&bundle)))
}

/// One JSON object per answer, exactly the wire shape of [`Answer`].
pub fn answer_json(engine: &Engine, message: &str) -> String {
    let answer = engine.answer(message);
    serde_json::to_string(&answer).unwrap_or_else(|_| {
        // Serialising a struct of strings and numbers cannot fail; keep the line count intact.
        String::from(r#"{"kind":"fallback","id":null,"score":0.0,"alternatives":[]}"#)
    })
}

/// A one-line human-readable answer for `prolink ask TEXT`.
pub fn answer_text(engine: &Engine, message: &str) -> String {
    let a = engine.answer(message);
    let mut line = format!(
        "{} {} (skor {:.2})",
        a.kind.as_str(),
        a.id.as_deref().unwrap_or("-"),
        a.score
    );
    if !a.alternatives.is_empty() {
        line.push_str(&format!(" | alternatif: {}", a.alternatives.join(", ")));
    }
    line
}

/// `prolink ask --json --stdin`: one message per input line, one JSON object per output
/// line, same order (an empty line gets a fallback object, so lines stay aligned).
/// Returns how many lines were answered.
pub fn ask_lines(
    engine: &Engine,
    input: impl BufRead,
    mut output: impl Write,
) -> io::Result<usize> {
    let mut n = 0;
    for line in input.lines() {
        let line = line?;
        writeln!(output, "{}", answer_json(engine, &line))?;
        n += 1;
    }
    output.flush()?;
    Ok(n)
}

/// One labelled message: `expect` is a FAQ id, `complaint:<category>`, `emergency` or
/// `fallback`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EvalCase {
    pub q: String,
    pub expect: String,
}

/// Reads JSON lines; malformed lines are returned separately (line number and reason).
pub fn parse_cases(input: impl BufRead) -> (Vec<EvalCase>, Vec<String>) {
    let mut cases = Vec::new();
    let mut invalid = Vec::new();
    for (i, line) in input.lines().enumerate() {
        match line {
            Ok(l) if l.trim().is_empty() => {}
            Ok(l) => match serde_json::from_str::<EvalCase>(&l) {
                Ok(c) => cases.push(c),
                Err(e) => invalid.push(format!("baris {}: {e}", i + 1)),
            },
            Err(e) => invalid.push(format!("baris {}: {e}", i + 1)),
        }
    }
    (cases, invalid)
}

/// A message the engine got wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Miss {
    /// The message with PII masked.
    pub q: String,
    pub expect: String,
    pub got: String,
    pub score: f64,
    pub alternatives: Vec<String>,
}

/// Evaluation figures. "Answered" = the bot acted on an id (FAQ, service, complaint,
/// emergency, tracking); greetings, small talk, suggestions and fallbacks are not answers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EvalReport {
    pub total: usize,
    pub top1: usize,
    pub top3: usize,
    pub reciprocal_rank_sum: f64,
    pub answered: usize,
    pub answered_correct: usize,
    pub predicted_fallback: usize,
    pub predicted_fallback_correct: usize,
    pub expected_fallback: usize,
    pub expected_fallback_caught: usize,
    pub wrong_confident: usize,
    pub misses: Vec<Miss>,
    pub invalid_lines: Vec<String>,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

impl EvalReport {
    pub fn top1_accuracy(&self) -> f64 {
        ratio(self.top1, self.total)
    }
    pub fn top3_recall(&self) -> f64 {
        ratio(self.top3, self.total)
    }
    pub fn mrr(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.reciprocal_rank_sum / self.total as f64
        }
    }
    pub fn answer_rate(&self) -> f64 {
        ratio(self.answered, self.total)
    }
    pub fn answered_accuracy(&self) -> f64 {
        ratio(self.answered_correct, self.answered)
    }
    pub fn fallback_precision(&self) -> f64 {
        ratio(self.predicted_fallback_correct, self.predicted_fallback)
    }
    pub fn fallback_recall(&self) -> f64 {
        ratio(self.expected_fallback_caught, self.expected_fallback)
    }
    /// Wrong answers given with confidence, as a share of all messages.
    pub fn wrong_confident_rate(&self) -> f64 {
        ratio(self.wrong_confident, self.total)
    }
    /// Out-of-scope messages that got an answer, as a share of the out-of-scope messages.
    pub fn out_of_scope_answered(&self) -> f64 {
        ratio(
            self.expected_fallback - self.expected_fallback_caught,
            self.expected_fallback,
        )
    }
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "pesan                     {}", self.total)?;
        writeln!(
            f,
            "top-1 accuracy            {} ({}/{})",
            pct(self.top1_accuracy()),
            self.top1,
            self.total
        )?;
        writeln!(
            f,
            "top-3 recall              {} ({}/{})",
            pct(self.top3_recall()),
            self.top3,
            self.total
        )?;
        writeln!(f, "MRR                       {:.3}", self.mrr())?;
        writeln!(
            f,
            "answer rate               {} ({}/{})",
            pct(self.answer_rate()),
            self.answered,
            self.total
        )?;
        writeln!(
            f,
            "accuracy when answered    {} ({}/{})",
            pct(self.answered_accuracy()),
            self.answered_correct,
            self.answered
        )?;
        writeln!(
            f,
            "fallback precision        {} ({}/{})",
            pct(self.fallback_precision()),
            self.predicted_fallback_correct,
            self.predicted_fallback
        )?;
        writeln!(
            f,
            "fallback recall           {} ({}/{})",
            pct(self.fallback_recall()),
            self.expected_fallback_caught,
            self.expected_fallback
        )?;
        writeln!(
            f,
            "wrong confident answers   {} of all messages ({})",
            pct(self.wrong_confident_rate()),
            self.wrong_confident
        )?;
        writeln!(
            f,
            "out-of-scope answered     {} ({}/{})",
            pct(self.out_of_scope_answered()),
            self.expected_fallback - self.expected_fallback_caught,
            self.expected_fallback
        )?;
        for line in &self.invalid_lines {
            writeln!(f, "baris tidak valid: {line}")?;
        }
        if !self.misses.is_empty() {
            writeln!(f, "\nmeleset ({}):", self.misses.len())?;
            for m in &self.misses {
                let alts = if m.alternatives.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", m.alternatives.join(", "))
                };
                writeln!(
                    f,
                    "- {:?}\n    harap {}  dapat {} ({:.2}){}",
                    m.q, m.expect, m.got, m.score, alts
                )?;
            }
        }
        Ok(())
    }
}

/// Label of each alternative in the ranked list, in the form the eval file uses.
fn alternative_label(answer: &Answer, id: &str) -> String {
    match answer.kind {
        AnswerKind::Complaint => format!("complaint:{id}"),
        _ => id.to_string(),
    }
}

fn score_case(report: &mut EvalReport, case: &EvalCase, answer: &Answer, masked: String) {
    report.total += 1;
    let label = answer.label();
    let answered = label != "fallback";
    let expect_fallback = case.expect == "fallback";
    let correct = label == case.expect;
    let mut ranked: Vec<String> = Vec::new();
    if answered {
        ranked.push(label.clone());
    }
    ranked.extend(
        answer
            .alternatives
            .iter()
            .map(|id| alternative_label(answer, id)),
    );
    let rank = if expect_fallback {
        (!answered).then_some(1)
    } else {
        ranked.iter().position(|l| *l == case.expect).map(|p| p + 1)
    };
    if correct {
        report.top1 += 1;
    }
    if rank.is_some_and(|r| r <= 3) {
        report.top3 += 1;
    }
    if let Some(r) = rank {
        report.reciprocal_rank_sum += 1.0 / r as f64;
    }
    if answered {
        report.answered += 1;
        if correct {
            report.answered_correct += 1;
        } else {
            report.wrong_confident += 1;
        }
    } else {
        report.predicted_fallback += 1;
        if expect_fallback {
            report.predicted_fallback_correct += 1;
        }
    }
    if expect_fallback {
        report.expected_fallback += 1;
        if !answered {
            report.expected_fallback_caught += 1;
        }
    }
    if !correct {
        report.misses.push(Miss {
            q: masked,
            expect: case.expect.clone(),
            got: label,
            score: answer.score,
            alternatives: answer.alternatives.clone(),
        });
    }
}

/// `prolink eval FILE.jsonl`: every metric and every miss.
pub fn evaluate(engine: &Engine, lines: impl BufRead) -> EvalReport {
    let (cases, invalid) = parse_cases(lines);
    let mut report = evaluate_cases(engine, &cases, &engine.thresholds());
    report.invalid_lines = invalid;
    report
}

/// Evaluates parsed cases with the given thresholds.
pub fn evaluate_cases(engine: &Engine, cases: &[EvalCase], thresholds: &Thresholds) -> EvalReport {
    let rankings: Vec<Ranking> = cases.iter().map(|c| engine.rank(&c.q)).collect();
    report_from_rankings(cases, &rankings, thresholds)
}

/// Evaluates cases already ranked (`rankings[i]` is `cases[i]`'s), so that several
/// thresholds can be tried without ranking the messages again.
pub fn report_from_rankings(
    cases: &[EvalCase],
    rankings: &[Ranking],
    thresholds: &Thresholds,
) -> EvalReport {
    let mut report = EvalReport::default();
    for (case, ranking) in cases.iter().zip(rankings) {
        let answer = ranking.decide(thresholds);
        score_case(
            &mut report,
            case,
            &answer,
            prolink_domain::nlp::text::mask_pii(&case.q),
        );
    }
    report
}

/// One row of a threshold sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRow {
    pub thresholds: Thresholds,
    pub top1: f64,
    pub wrong_confident: f64,
    pub out_of_scope_answered: f64,
    pub answer_rate: f64,
}

/// Sweeps the retrieval thresholds (answer, margin, suggest stay ordered) around `base` and
/// returns every combination with its figures, best top-1 first among those that meet the
/// targets (wrong confident ≤ 2 %, out-of-scope answered ≤ 5 %). Used to choose and document
/// the thresholds; the pipeline runs once per message.
pub fn sweep(engine: &Engine, cases: &[EvalCase], base: Thresholds) -> Vec<SweepRow> {
    let rankings: Vec<Ranking> = cases.iter().map(|c| engine.rank(&c.q)).collect();
    let mut rows = Vec::new();
    for answer in [0.38, 0.42, 0.46, 0.50, 0.55] {
        for margin in [0.02, 0.04, 0.06] {
            for floor in [0.22, 0.25, 0.28, 0.31, 0.34] {
                for ratio in [1.3, 1.5, 1.7, 2.0] {
                    for (complaint, sure) in [1.3_f64, 1.6, 2.0]
                        .into_iter()
                        .flat_map(|c| [0.6_f64, 0.7, 0.8, 1.01].into_iter().map(move |s| (c, s)))
                    {
                        let t = Thresholds {
                            answer,
                            margin,
                            floor,
                            ratio,
                            complaint,
                            sure: sure.max(answer),
                            suggest: base.suggest.min(floor),
                            ..base
                        };
                        let r = report_from_rankings(cases, &rankings, &t);
                        rows.push(SweepRow {
                            thresholds: t,
                            top1: r.top1_accuracy(),
                            wrong_confident: r.wrong_confident_rate(),
                            out_of_scope_answered: r.out_of_scope_answered(),
                            answer_rate: r.answer_rate(),
                        });
                    }
                }
            }
        }
    }
    let meets = |r: &SweepRow| r.wrong_confident <= 0.02 && r.out_of_scope_answered <= 0.05;
    rows.sort_by(|a, b| {
        meets(b)
            .cmp(&meets(a))
            .then(b.top1.total_cmp(&a.top1))
            .then(a.wrong_confident.total_cmp(&b.wrong_confident))
    });
    rows
}
