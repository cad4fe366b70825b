//! Grouping similar messages (the unanswered questions the content team triages): each
//! message is the set of its content stems as the engine analyses it ([`Engine::terms`]),
//! and a greedy pass puts each message into the most similar earlier group when their
//! Jaccard similarity reaches [`GROUP_SIMILARITY`].
//!
//! [`Engine::terms`]: super::Engine::terms

use super::Engine;

/// Least Jaccard similarity of two term sets for one group: "syarat ktp hilang" and
/// "syarat ganti ktp yang hilang" (3 of 4 stems shared) group, "syarat ktp" and "syarat
/// akta" (1 of 3) do not.
pub const GROUP_SIMILARITY: f64 = 0.5;

impl Engine {
    /// The message's content stems (no stopwords, no chat fillers), sorted and unique: the
    /// terms retrieval matches on, after masking, lexicon and typo repair.
    pub fn terms(&self, message: &str) -> Vec<String> {
        let analysis = self.analyse(message);
        let mut terms: Vec<String> = analysis
            .stems
            .iter()
            .zip(&analysis.marks)
            .filter(|(stem, marks)| marks.is_content_word() && !stem.is_empty())
            .map(|(stem, _)| stem.to_string())
            .collect();
        terms.sort();
        terms.dedup();
        terms
    }
}

/// Jaccard similarity of two sorted, unique term lists (0 when both are empty).
pub fn jaccard(a: &[String], b: &[String]) -> f64 {
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        match x.cmp(y) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - shared;
    if union == 0 {
        0.0
    } else {
        shared as f64 / union as f64
    }
}

/// Groups the term lists (each sorted and unique), in their order: each joins the earlier
/// group whose first member it is most similar to (ties: the earliest group) when that
/// similarity reaches `threshold`, else starts a group. Returns each group's member
/// indices, in order; a group's first member is its seed, so a group stays the same group
/// while later members join it. A message without terms is a group of its own.
pub fn group_by_similarity(terms: &[Vec<String>], threshold: f64) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (index, own) in terms.iter().enumerate() {
        let mut best: Option<(usize, f64)> = None;
        for (g, members) in groups.iter().enumerate() {
            let Some(seed) = members.first().and_then(|&m| terms.get(m)) else {
                continue;
            };
            let similarity = jaccard(own, seed);
            if similarity >= threshold && best.is_none_or(|(_, s)| similarity > s) {
                best = Some((g, similarity));
            }
        }
        match best.and_then(|(g, _)| groups.get_mut(g)) {
            Some(group) => group.push(index),
            None => groups.push(vec![index]),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nlp::KnowledgeBase;

    fn set(words: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        v.sort();
        v.dedup();
        v
    }

    #[test]
    fn jaccard_counts_shared_terms() {
        assert_eq!(jaccard(&set(&["a", "b"]), &set(&["a", "b"])), 1.0);
        assert_eq!(jaccard(&set(&["a", "b", "c"]), &set(&["a", "d"])), 0.25);
        assert_eq!(jaccard(&[], &[]), 0.0);
    }

    #[test]
    fn greedy_groups_follow_the_seed() {
        let terms = vec![
            set(&["syarat", "ktp", "hilang"]),
            set(&["syarat", "akta"]),
            set(&["syarat", "ganti", "ktp", "hilang"]),
            set(&[]),
            set(&["akta", "syarat", "lahir"]),
            set(&[]),
        ];
        let groups = group_by_similarity(&terms, GROUP_SIMILARITY);
        assert_eq!(groups, vec![vec![0, 2], vec![1, 4], vec![3], vec![5]]);
    }

    fn engine() -> Engine {
        let kb = KnowledgeBase::from_json(
            include_str!("../../../../infra/seed/faq.json"),
            include_str!("../../../../infra/seed/services.json"),
            include_str!("../../../../infra/seed/complaint-categories.json"),
        );
        match kb {
            Ok(kb) => Engine::build(&kb),
            Err(error) => panic!("{error}"),
        }
    }

    #[test]
    fn similar_questions_group_with_the_engines_terms() {
        let engine = engine();
        let questions = [
            "kapan jadwal posyandu di kelurahan mangunharjo?",
            "jadwal posyandu mangunharjo kapan ya min",
            "Jadwal POSYANDUUU mangunharjo kapan??",
            "berapa biaya sewa gedung olahraga",
            "biaya sewa gedung olahraga berapa kak",
            "wifi gratis di alun-alun",
        ];
        let terms: Vec<Vec<String>> = questions.iter().map(|q| engine.terms(q)).collect();
        assert!(!terms[0].is_empty());
        assert!(
            !terms[0].iter().any(|t| t == "min" || t == "di"),
            "{:?}",
            terms[0]
        );
        let groups = group_by_similarity(&terms, GROUP_SIMILARITY);
        assert_eq!(
            groups,
            vec![vec![0, 1, 2], vec![3, 4], vec![5]],
            "{terms:?}"
        );
    }
}
