//! The engine's verdict on one message and the thresholds that decide it: what
//! `prolink ask --json` prints and what the dialog acts on.

use serde::{Deserialize, Serialize};

use super::clamp01;

/// What a message is about: the engine's verdict and what the dialog acts on (one type for
/// both, re-exported as `dialog::AnswerKind`). Serialised lowercase, as `prolink ask --json`
/// prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnswerKind {
    Faq,
    Service,
    Complaint,
    Emergency,
    Tracking,
    Greeting,
    /// The dialog's own copy of this enum wrote `small_talk`; still read.
    #[serde(alias = "small_talk")]
    Smalltalk,
    Fallback,
}

impl AnswerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerKind::Faq => "faq",
            AnswerKind::Service => "service",
            AnswerKind::Complaint => "complaint",
            AnswerKind::Emergency => "emergency",
            AnswerKind::Tracking => "tracking",
            AnswerKind::Greeting => "greeting",
            AnswerKind::Smalltalk => "smalltalk",
            AnswerKind::Fallback => "fallback",
        }
    }
}

/// The engine's verdict, serialised exactly as `prolink ask --json` prints it:
/// `{"kind", "id", "score", "alternatives"}`.
///
/// - `faq`/`service`: `id` is the entry to show verbatim; `alternatives` the runners-up.
/// - `complaint`: `id` is the complaint category; `emergency`: the emergency category (or
///   `null` when the knowledge base has none) with the matching `darurat.*` FAQ entries as
///   alternatives; `tracking`: the normalised ticket id.
/// - `fallback` with alternatives: "Apakah maksud Anda …" (the three best entries); without:
///   the bot does not know.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub kind: AnswerKind,
    pub id: Option<String>,
    pub score: f64,
    pub alternatives: Vec<String>,
}

/// What the dialog does with an [`Answer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Act on `id` (show the entry, start the complaint form, show 112, look up the ticket).
    Answer,
    /// Ask "Apakah maksud Anda …" with these entry ids (at most three).
    Suggest(Vec<String>),
    /// Say the bot does not know and offer the menu / an officer (greetings and small talk
    /// included: they get the menu, not an answer from the knowledge base).
    Fallback,
}

impl Answer {
    pub fn decision(&self) -> Decision {
        match (&self.id, self.kind) {
            (Some(_), _) => Decision::Answer,
            (None, AnswerKind::Emergency) => Decision::Answer,
            (None, AnswerKind::Fallback) if !self.alternatives.is_empty() => {
                Decision::Suggest(self.alternatives.clone())
            }
            _ => Decision::Fallback,
        }
    }

    /// The label the evaluation compares with (`faq id`, `complaint:<id>`, `emergency`,
    /// `fallback`): greetings, small talk and suggestions count as not answered.
    pub fn label(&self) -> String {
        match (self.kind, &self.id) {
            (AnswerKind::Faq, Some(id)) => id.clone(),
            (AnswerKind::Service, Some(id)) => id.clone(),
            (AnswerKind::Complaint, Some(id)) => format!("complaint:{id}"),
            (AnswerKind::Emergency, _) => "emergency".to_string(),
            (AnswerKind::Tracking, Some(id)) => format!("tracking:{id}"),
            _ => "fallback".to_string(),
        }
    }

    pub(super) fn plain(kind: AnswerKind, id: Option<String>, score: f64) -> Self {
        Self {
            kind,
            id,
            score: clamp01(score),
            alternatives: Vec::new(),
        }
    }
}

/// Decision thresholds (chosen on `../shared/eval/dev.jsonl`, figures in docs/nlp.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Minimum fused retrieval score to answer with the top entry.
    pub answer: f64,
    /// Minimum lead of the top entry over the next different entry to answer...
    pub margin: f64,
    /// ...unless the top score is at least this high.
    pub sure: f64,
    /// A lower score still answers when the top entry scores at least `ratio` times the next
    /// different entry (a clear winner in a long or unusual message)...
    pub floor: f64,
    /// ...see `floor`.
    pub ratio: f64,
    /// Minimum score to offer "Apakah maksud Anda …".
    pub suggest: f64,
    /// Minimum complaint strength (problem + time + place + request − question cues).
    pub complaint: f64,
    /// Minimum category cue score to name a complaint category (else `lainnya`).
    pub category: f64,
    /// The classifier's temperature: its log-likelihoods are divided by it before the
    /// softmax (the log-loss minimum on held-out training phrases; docs/nlp.md).
    pub temperature: f64,
    /// Where retrieval is not confident, the classifier's first entry is answered from this
    /// probability...
    pub learned_answer: f64,
    /// ...and the scope model's probability of "out of scope" is below this (also no
    /// suggestions from this probability).
    pub learned_out_of_scope: f64,
    /// The classifier's first class, a complaint category, makes the message a report from
    /// this probability.
    pub learned_complaint: f64,
    /// A report whose cues name no category takes the classifier's best category when it
    /// holds this share of the probability of all categories (else `lainnya`).
    pub learned_category: f64,
    /// A report's runner-up category is contested when its cue score is at least this share
    /// of the winner's; among contested categories the classifier chooses.
    pub contested: f64,
    /// Minimum probability of an entry the classifier suggests.
    pub learned_suggest: f64,
    /// A retrieval answer scoring under this is checked against the classifier: when the
    /// classifier holds another entry above half of all probability, retrieval does not
    /// answer alone (`Ranking::decide`).
    pub challenge: f64,
    /// A retrieval answer under `challenge` that the classifier does not confirm (its first
    /// class is another entry, or this one under `confirm`) is held back when the scope
    /// model's probability of "out of scope" is at least this.
    pub sure_out_of_scope: f64,
    /// The classifier confirms retrieval's entry when it is its first class with at least
    /// this probability (see `sure_out_of_scope`, `floor_support`).
    pub confirm: f64,
    /// An answer of retrieval's floor rule (under `answer`) is held back when the classifier
    /// gives its entry less than this probability.
    pub floor_support: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            answer: 0.42,
            margin: 0.04,
            sure: 0.80,
            floor: 0.28,
            ratio: 1.5,
            suggest: 0.25,
            complaint: 1.6,
            category: 1.5,
            temperature: 1.0,
            learned_answer: 0.95,
            learned_out_of_scope: 0.5,
            learned_complaint: 0.9,
            learned_category: 0.5,
            contested: 0.5,
            learned_suggest: 0.1,
            challenge: 0.8,
            sure_out_of_scope: 0.8,
            confirm: 0.8,
            floor_support: 0.2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_keeps_its_wire_name() {
        let wire = [
            (AnswerKind::Faq, "faq"),
            (AnswerKind::Service, "service"),
            (AnswerKind::Complaint, "complaint"),
            (AnswerKind::Emergency, "emergency"),
            (AnswerKind::Tracking, "tracking"),
            (AnswerKind::Greeting, "greeting"),
            (AnswerKind::Smalltalk, "smalltalk"),
            (AnswerKind::Fallback, "fallback"),
        ];
        for (kind, name) in wire {
            assert_eq!(kind.as_str(), name);
            let json = serde_json::to_string(&kind).unwrap_or_default();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<AnswerKind>(&json).ok(), Some(kind));
        }
        assert_eq!(
            serde_json::from_str::<AnswerKind>("\"small_talk\"").ok(),
            Some(AnswerKind::Smalltalk)
        );
    }
}
