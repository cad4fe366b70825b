//! The optional generative step around the [`Rephraser`] port: reworded only when the
//! model's text passes the domain's guard, verbatim on any doubt.

use prolink_domain::nlp::rephrase::{guard, SourcePassage};

use crate::ports::Rephraser;

/// Rephrases with the model when one is configured and its output passes [`guard`];
/// otherwise returns `verbatim`. `question` must already be PII-masked.
pub async fn rephrase_or_verbatim(
    rephraser: Option<&dyn Rephraser>,
    question: &str,
    passages: &[SourcePassage],
    verbatim: &str,
) -> String {
    let Some(model) = rephraser else {
        return verbatim.to_string();
    };
    match model.rephrase(question, passages).await {
        Ok(out) => match guard(&out, passages) {
            Ok(()) => out.text,
            Err(violation) => {
                tracing::warn!(
                    violation = violation.kind(),
                    "rephrased answer rejected, using the verbatim answer"
                );
                verbatim.to_string()
            }
        },
        Err(error) => {
            tracing::warn!(%error, "rephraser failed, using the verbatim answer");
            verbatim.to_string()
        }
    }
}
