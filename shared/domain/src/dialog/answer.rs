//! What the answering engine made of a free-text message, as the dialog acts on it. The
//! application's `Answerer` port answers the message before the turn (the NLP engine,
//! `crate::nlp`, is its implementation) and hands the result in through `DialogEnv`.

use serde::{Deserialize, Serialize};

pub use crate::nlp::AnswerKind;

/// What the dialog does with the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Confident: act on `kind`/`id`.
    Answer,
    /// Not sure: offer `alternatives` ("Apakah maksud Anda …").
    Suggest,
    /// No idea: offer the menu or an officer.
    Fallback,
}

/// The answer to one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answered {
    pub kind: AnswerKind,
    /// FAQ id, service id, complaint category id, ticket id (`PS-7K3QX9`) …; for
    /// `Emergency` the emergency category when known.
    pub id: Option<String>,
    /// Confidence of the top entry, 0 to 1.
    pub score: f64,
    /// Best FAQ/service ids, best first (for `Suggest`; for `Emergency`, the `darurat.*` FAQ
    /// entries that fit the message).
    pub alternatives: Vec<String>,
    /// Score of each alternative, same order, when the answerer knows them (may be shorter
    /// than `alternatives`, or empty).
    #[serde(default)]
    pub alternative_scores: Vec<f64>,
    pub decision: Decision,
}

impl Answered {
    pub fn fallback() -> Self {
        Self {
            kind: AnswerKind::Fallback,
            id: None,
            score: 0.0,
            alternatives: Vec::new(),
            alternative_scores: Vec::new(),
            decision: Decision::Fallback,
        }
    }

    /// Candidates for the content team: the top id and the alternatives with their scores
    /// (0 where the answerer did not report one).
    pub fn candidates(&self) -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> = Vec::new();
        if let Some(id) = &self.id {
            out.push((id.clone(), self.score));
        }
        for (i, alt) in self.alternatives.iter().enumerate() {
            if out.iter().any(|(id, _)| id == alt) {
                continue;
            }
            out.push((
                alt.clone(),
                self.alternative_scores.get(i).copied().unwrap_or(0.0),
            ));
        }
        out
    }
}

/// The engine's answer as the dialog acts on it.
impl From<crate::nlp::Answer> for Answered {
    fn from(answer: crate::nlp::Answer) -> Answered {
        use crate::nlp::Decision as NlpDecision;
        // The engine reports greetings and small talk as "nothing to look up"; for the dialog
        // they are answers of their own (the menu, a short acknowledgement).
        let decision = match (answer.decision(), answer.kind) {
            (_, AnswerKind::Greeting | AnswerKind::Smalltalk) => Decision::Answer,
            (NlpDecision::Answer, _) => Decision::Answer,
            (NlpDecision::Suggest(_), _) => Decision::Suggest,
            (NlpDecision::Fallback, _) => Decision::Fallback,
        };
        Answered {
            kind: answer.kind,
            id: answer.id,
            score: answer.score,
            alternatives: answer.alternatives,
            alternative_scores: Vec::new(),
            decision,
        }
    }
}
