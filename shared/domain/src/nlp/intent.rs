//! Intent detection before retrieval: ticket numbers, emergencies, greetings and small talk,
//! and complaint reports with their category. Rules over weighted cue phrases
//! (`lexicon-intent.tsv`, `lexicon-complaint.tsv`); the weights and thresholds are documented
//! in docs/nlp.md.

use super::lexicon::{for_each_non_overlapping, CueClass, PhraseMatch};

pub use crate::complaint::ticket::find_ticket;

/// Sum of cue weights per class, longest matches first, plus where the info cues sit.
#[derive(Debug, Clone, Default)]
pub struct CueScores {
    pub by_class: [f64; CueClass::ALL.len()],
    /// Tokens covered by a greeting / small-talk cue.
    pub social_covered: Vec<bool>,
    /// Tokens covered by a praise cue (small talk only beside thanks or an acknowledgement:
    /// see `Engine::rank`).
    pub praise_covered: Vec<bool>,
    pub has_greet: bool,
    /// An opener cue ("mau tanya", "bisa bantu"): the writer has a matter to tell next.
    pub has_opener: bool,
    pub has_thanks: bool,
    pub has_ack_or_laugh: bool,
}

impl CueScores {
    pub fn get(&self, class: CueClass) -> f64 {
        self.by_class[class.index()]
    }

    /// Takes up to `up_to` from `from` (never below 0) and adds `add` to `to`: question words
    /// that, in a report, protest or ask the city to act.
    pub fn move_cue(&mut self, from: CueClass, up_to: f64, to: CueClass, add: f64) {
        let kept = (self.get(from) - up_to).max(0.0);
        self.by_class[from.index()] = kept;
        self.by_class[to.index()] += add;
    }
}

/// Scores the cue matches of one message. `classes[m.pattern]` and `weights[m.pattern]`
/// describe each pattern; `at_edge(t)` tells whether token `t` sits at the start or the end
/// of its clause and `question_clause(t)` whether its clause is a question (info cues weigh
/// fully there, half inside a narrative).
pub fn score_cues(
    mut matches: Vec<PhraseMatch>,
    classes: &[CueClass],
    weights: &[f64],
    token_count: usize,
    at_edge: impl Fn(usize) -> bool,
    question_clause: impl Fn(usize) -> bool,
) -> CueScores {
    let mut scores = CueScores {
        social_covered: vec![false; token_count],
        praise_covered: vec![false; token_count],
        ..CueScores::default()
    };
    matches.sort_by_key(|m| classes[m.pattern].index());
    let mut covered = Vec::new();
    for group in matches.chunk_by_mut(|a, b| classes[a.pattern] == classes[b.pattern]) {
        let class = classes[group[0].pattern];
        for_each_non_overlapping(group, &mut covered, |m| {
            let mut w = weights[m.pattern];
            if class == CueClass::Info {
                let span = m.start..m.start + m.len;
                let edge = span.clone().any(&at_edge);
                let asked = span.into_iter().any(&question_clause);
                if !edge && !asked {
                    w *= 0.5;
                }
            }
            scores.by_class[class.index()] += w;
            if class == CueClass::Praise {
                for t in m.start..m.start + m.len {
                    if let Some(c) = scores.praise_covered.get_mut(t) {
                        *c = true;
                    }
                }
            }
            let social = matches!(
                class,
                CueClass::Greet
                    | CueClass::Thanks
                    | CueClass::Ack
                    | CueClass::Laugh
                    | CueClass::Opener
            );
            if social {
                for t in m.start..m.start + m.len {
                    if let Some(c) = scores.social_covered.get_mut(t) {
                        *c = true;
                    }
                }
                match class {
                    CueClass::Greet => scores.has_greet = true,
                    CueClass::Opener => scores.has_opener = true,
                    CueClass::Thanks => scores.has_thanks = true,
                    _ => scores.has_ack_or_laugh = true,
                }
            }
        });
    }
    scores
}

/// A life-threat cue worth two alone: a second one ("kebakaran … terjebak") makes a threat
/// that a question's form does not calm down.
const TWO_THREATS: f64 = 4.0;

/// What a message tells of the writer's documents ("ktp saya rusak", "kk ikut terbakar").
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DocumentHarm {
    /// Words telling a document's loss or damage, each right after the document.
    pub told: usize,
    /// Of those, threat words ("terbakar", "hanyut"): here they tell the document's fate,
    /// not a threat to anyone.
    pub by_threat_words: usize,
}

/// Emergency rule: a life-threat cue that nothing calms down, or an incident with urgency.
/// `asking`: the message ends asking (`Analysis::ends_asking`).
pub fn is_emergency(
    cues: &CueScores,
    shouting: bool,
    exclamations: usize,
    asking: bool,
    document: DocumentHarm,
) -> bool {
    let strong = cues.get(CueClass::Emergency);
    let danger = cues.get(CueClass::Danger);
    let mut urgent = cues.get(CueClass::Urgent);
    if shouting {
        urgent += 1.0;
    }
    if exclamations >= 2 {
        urgent += 1.0;
    }
    // A question about a danger asked from nowhere in particular ("apakah 112 bisa dipakai
    // untuk lapor kebakaran?", "damkar itu cuma buat kebakaran?"): nothing puts it here and
    // now (no place, no "my", no one it befell, no time, no urgency, no incident), so the
    // citizen asks about the danger and the answer is the entry about it. A report of one is
    // placed somewhere, touches someone or presses ("rumah saya kebakaran, nomor damkar
    // berapa?", "bapak jatuh dari pohon, kepalanya berdarah, harus bagaimana").
    let situated = [
        CueClass::Place,
        CueClass::Mine,
        CueClass::Person,
        CueClass::Time,
    ]
    .into_iter()
    .any(|class| cues.get(class) > 0.0)
        || danger + urgent > 0.0;
    if asking && !situated && strong < TWO_THREATS {
        return false;
    }
    // The threat harmed a document ("kartu keluarga ikut terbakar waktu rumah kebakaran",
    // "ktp hanyut kena banjir"): the citizen tells what happened to ask for a new one. Only
    // urgency or a threat to someone besides ("… anak saya terjebak") make it an emergency
    // still; a threat word said of the document is not one (worth two, as every threat word).
    // Danger cues count with them ("air sudah sedada … akta kerendem, kami tidak bisa
    // keluar").
    let threats_to_people = strong + danger - 2.0 * document.by_threat_words as f64;
    if document.told > 0 && urgent == 0.0 && threats_to_people < TWO_THREATS {
        return false;
    }
    // Asking for the number calms a threat told from outside ("kemarin ada kebakaran di
    // pasar, berapa korbannya?") but not one that is the writer's own ("rumah saya
    // kebakaran, nomor damkar berapa?") or pressing ("tolong ada orang tenggelam, nomor sar
    // berapa?"): whoever asks for the number then needs it now, and the emergency reply
    // gives it. So is one told at a concrete spot with nothing that makes it past or
    // hypothetical ("ada kebakaran di gang 3 dekat masjid, damkar nomor berapa?"): it is
    // happening there.
    let placed_now = cues.get(CueClass::Place) >= 1.0 && cues.get(CueClass::Calm) == 0.0;
    let contact = if cues.get(CueClass::Mine) > 0.0 || urgent > 0.0 || placed_now {
        0.0
    } else {
        cues.get(CueClass::Contact)
    };
    // Asking the city to repair what collapsed ("plengsengan ambrol …, mohon segera
    // diperbaiki") reports damage; nobody in it is in danger now.
    let repair = if cues.get(CueClass::Request) >= 2.0 && cues.get(CueClass::Person) == 0.0 {
        1.0
    } else {
        0.0
    };
    let calm = contact
        + cues.get(CueClass::Calm)
        + repair
        + if cues.get(CueClass::Info) >= 2.0 {
            1.0
        } else {
            0.0
        };
    if strong >= 2.0 && calm < 2.0 {
        return true;
    }
    if strong >= 1.5 && danger + urgent >= 1.0 && calm < 2.0 {
        return true;
    }
    danger >= 1.0 && urgent >= 2.0 && calm < 1.0
}

/// How much a message reads like a report of a concrete problem rather than a question.
pub fn complaint_strength(cues: &CueScores, time_bonus: f64, asked: bool) -> f64 {
    let problem = cues.get(CueClass::Problem).min(4.0);
    let time = (cues.get(CueClass::Time) + time_bonus).min(2.0);
    let place = cues.get(CueClass::Place).min(2.0);
    let request = cues.get(CueClass::Request).min(2.0);
    let vent = cues.get(CueClass::Vent).min(2.0);
    let mine = cues.get(CueClass::Mine).min(1.0);
    let mut info = cues.get(CueClass::Info).min(4.0);
    if cues.get(CueClass::Report) > 0.0 && info >= 1.0 {
        // "lapor ... ke mana": a question about reporting, not a report.
        info += 1.0;
    }
    if asked {
        info += 1.0;
    }
    problem + 0.6 * time + 0.6 * place + request + vent + 0.4 * mine - info
}
