//! The questions the bot could not answer, for the content team: the newest
//! [`RECENT_LIMIT`] (texts already masked), grouped by similarity over the answering
//! engine's own terms ([`prolink_domain::nlp::grouping`]), and resolved per group — linked to
//! an FAQ (whose training phrases gain the group's examples, as a content revision) or
//! dismissed. A resolved question is marked (the [`DedupStore`] port, until the question
//! itself expires) and no longer listed.
//!
//! [`DedupStore`]: crate::ports::DedupStore

use std::collections::BTreeMap;

use axum::{extract::State, Json};
use serde::{Deserialize, Serialize};

use prolink_domain::nlp::grouping::{group_by_similarity, GROUP_SIMILARITY};

use crate::ids::short_hash;
use crate::ports::UnansweredQuestion;

use super::error::{ApiError, ApiResult};
use super::extract::{bad_cursor, page_limit, Caller, JsonBody, PathParam, QueryParams};
use super::views::wib_iso;
use super::{content, trail, ApiState};

/// How many of the newest unanswered questions are grouped.
pub const RECENT_LIMIT: usize = 1000;
/// Examples shown (and added to an FAQ) per group.
const EXAMPLES: usize = 5;
/// Candidate FAQ ids shown per group.
const CANDIDATES: usize = 3;
/// Resolution marks looked up at once.
const MARK_CONCURRENCY: usize = 16;

fn mark_key(question_id: &str) -> String {
    format!("unanswered.resolved#{question_id}")
}

/// One group of similar questions, oldest first.
struct Group {
    id: String,
    questions: Vec<UnansweredQuestion>,
}

impl Group {
    /// Distinct texts, newest first.
    fn examples(&self) -> Vec<String> {
        let mut examples: Vec<String> = Vec::new();
        for question in self.questions.iter().rev() {
            if examples.len() >= EXAMPLES {
                break;
            }
            if !examples.contains(&question.text) {
                examples.push(question.text.clone());
            }
        }
        examples
    }

    /// The FAQ ids the engine ranked best for the group's questions, by summed score.
    fn candidates(&self) -> Vec<String> {
        let mut scores: BTreeMap<&str, f64> = BTreeMap::new();
        for question in &self.questions {
            for (id, score) in &question.candidates {
                let score = if score.is_finite() { *score } else { 0.0 };
                *scores.entry(id.as_str()).or_insert(0.0) += score;
            }
        }
        let mut ranked: Vec<(&str, f64)> = scores.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        ranked
            .into_iter()
            .take(CANDIDATES)
            .map(|(id, _)| id.to_string())
            .collect()
    }

    fn view(&self) -> GroupView {
        let first = self.questions.first().map_or(0, |q| q.asked_ms);
        let last = self.questions.last().map_or(0, |q| q.asked_ms);
        GroupView {
            id: self.id.clone(),
            count: self.questions.len(),
            examples: self.examples(),
            first_asked: wib_iso(first),
            last_asked: wib_iso(last),
            candidates: self.candidates(),
        }
    }
}

/// The questions not yet resolved.
async fn open_questions(state: &ApiState) -> ApiResult<Vec<UnansweredQuestion>> {
    let recent = state.signals.recent_unanswered(RECENT_LIMIT).await?;
    let mut open = Vec::with_capacity(recent.len());
    for chunk in recent.chunks(MARK_CONCURRENCY) {
        let mut lookups = tokio::task::JoinSet::new();
        for (position, question) in chunk.iter().enumerate() {
            let marks = state.marks.clone();
            let key = mark_key(&question.id);
            lookups.spawn(async move { (position, marks.is_marked(&key).await) });
        }
        let mut resolved = vec![false; chunk.len()];
        while let Some(joined) = lookups.join_next().await {
            let (position, marked) = joined.map_err(|_| ApiError::unavailable())?;
            if let Some(slot) = resolved.get_mut(position) {
                *slot = marked?;
            }
        }
        open.extend(
            chunk
                .iter()
                .zip(resolved)
                .filter(|(_, resolved)| !resolved)
                .map(|(question, _)| question.clone()),
        );
    }
    Ok(open)
}

/// The open questions grouped, largest group first (then the most recently asked).
async fn groups(state: &ApiState) -> ApiResult<Vec<Group>> {
    let mut questions = open_questions(state).await?;
    // Oldest first: a group's seed is its oldest question, so its id stays while newer
    // questions join it.
    questions.sort_by(|a, b| a.asked_ms.cmp(&b.asked_ms).then_with(|| a.id.cmp(&b.id)));
    let loaded = state
        .content
        .load()
        .await
        .map_err(|_| ApiError::unavailable())?;
    let answerer = loaded.ready_answerer().await;
    let terms: Vec<Vec<String>> = questions.iter().map(|q| answerer.terms(&q.text)).collect();
    let mut slots: Vec<Option<UnansweredQuestion>> = questions.into_iter().map(Some).collect();
    let mut groups: Vec<Group> = group_by_similarity(&terms, GROUP_SIMILARITY)
        .into_iter()
        .filter_map(|members| {
            let questions: Vec<UnansweredQuestion> = members
                .into_iter()
                .filter_map(|m| slots.get_mut(m).and_then(Option::take))
                .collect();
            let seed = questions.first()?;
            Some(Group {
                id: format!(
                    "g{}",
                    short_hash(&seed.id).chars().take(16).collect::<String>()
                ),
                questions,
            })
        })
        .collect();
    groups.sort_by(|a, b| {
        b.questions
            .len()
            .cmp(&a.questions.len())
            .then_with(|| {
                let last = |g: &Group| g.questions.last().map_or(0, |q| q.asked_ms);
                last(b).cmp(&last(a))
            })
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(groups)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct GroupView {
    id: String,
    count: usize,
    examples: Vec<String>,
    first_asked: String,
    last_asked: String,
    candidates: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct GroupList {
    items: Vec<GroupView>,
    next_cursor: Option<String>,
}

pub async fn list(
    State(state): State<ApiState>,
    QueryParams(params): QueryParams<ListParams>,
) -> ApiResult<Json<GroupList>> {
    let limit = page_limit(params.limit)?;
    let start = match params.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => 0,
        Some(cursor) => cursor.parse::<usize>().map_err(|_| bad_cursor())?,
    };
    let all = groups(&state).await?;
    let end = start.saturating_add(limit).min(all.len());
    Ok(Json(GroupList {
        items: all
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .map(Group::view)
            .collect(),
        next_cursor: (end < all.len()).then(|| end.to_string()),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    #[serde(default)]
    faq_id: Option<String>,
    #[serde(default)]
    dismiss: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct ResolveView {
    group: String,
    /// How many questions were resolved.
    count: usize,
    faq_id: Option<String>,
    dismissed: bool,
    /// The examples added to the FAQ's training phrases.
    added: Vec<String>,
    /// The content's version after the change (`null`: no revision was needed).
    version: Option<u64>,
}

pub async fn resolve(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(group_id): PathParam<String>,
    JsonBody(body): JsonBody<ResolveBody>,
) -> ApiResult<Json<ResolveView>> {
    let faq_id = body
        .faq_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty());
    let dismiss = body.dismiss == Some(true);
    if faq_id.is_some() == dismiss {
        return Err(ApiError::invalid_field(
            "faq_id",
            "Isi salah satu: `faq_id` (FAQ yang menjawab) atau `dismiss: true` (abaikan).",
        ));
    }
    let group = groups(&state)
        .await?
        .into_iter()
        .find(|g| g.id == group_id)
        .ok_or_else(ApiError::not_found)?;
    let (added, version) = match faq_id {
        Some(faq_id) => {
            content::add_faq_phrases(&state, &caller, faq_id, &group.examples()).await?
        }
        None => (Vec::new(), None),
    };
    for question in &group.questions {
        state
            .marks
            .mark(&mark_key(&question.id), question.expires_at_ms)
            .await?;
    }
    let detail = match faq_id {
        Some(faq_id) => format!(
            "{} pertanyaan ke FAQ {faq_id}, {} frasa ditambahkan",
            group.questions.len(),
            added.len()
        ),
        None => format!("{} pertanyaan diabaikan", group.questions.len()),
    };
    trail::record(
        &state,
        &caller,
        "unanswered.resolve",
        Some(&format!("unanswered/{}", group.id)),
        Some(detail),
    )
    .await?;
    Ok(Json(ResolveView {
        group: group.id,
        count: group.questions.len(),
        faq_id: faq_id.map(str::to_string),
        dismissed: dismiss,
        added,
        version,
    }))
}
