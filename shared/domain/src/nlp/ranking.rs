//! Ranking one message: intent (ticket, emergency, greeting/small talk, complaint with its
//! category) and retrieval candidates, then the calibrated decision.

use super::{
    classifier,
    intent::{self, CueScores},
    lexicon::{for_each_non_overlapping, CueClass, PhraseMatch, PlaceKind},
    verdict::{Answer, AnswerKind, Thresholds},
    Analysis, Engine, LearnedClass,
};

/// A message of at most this many words (fillers not counted) is terse.
const TERSE_WORDS: usize = 6;
/// What a terse statement of a problem adds to its complaint strength: one problem cue (1.5)
/// then reaches the report threshold (1.6).
const TERSE_BONUS: f64 = 0.5;

/// The question cue "kapan" weighs at the end of a clause (`lexicon-intent.tsv`): what a
/// report's closing "kapan …?" no longer counts as asking.
const WHEN_INFO: f64 = 1.5;
/// Complaint strength at which a message is a report without any problem word.
const TOLD_REPORT: f64 = 2.0;
/// ... if it names a category's topic this strongly.
const TOLD_REPORT_CATEGORY: f64 = 1.5;
/// The same for a plain statement, which asks nothing anywhere: the report threshold's own
/// strength (`Thresholds::complaint`). A citizen who tells the city's line of a problem at
/// their door ("selokan … ketutup cor-coran, tiap hujan air balik ke jalan") reports it.
const TOLD_STATEMENT: f64 = 1.6;

/// Number words a duration is written with ("tiga hari", "dua bulan").
const NUMERALS: [&str; 12] = [
    "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan", "sepuluh", "sebelas",
    "belasan", "puluhan",
];

/// A number in digits or in words ("2", "dua"), as durations are written.
fn is_number(word: &str) -> bool {
    word.bytes().all(|b| b.is_ascii_digit()) || NUMERALS.contains(&word)
}

#[derive(Debug, Clone, Copy, Default)]
struct MoneyDemand {
    found: bool,
    personal: bool,
}

/// A ranked retrieval candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate<'e> {
    /// Borrowed from the engine: a message's ten candidates cost no copy or count.
    pub id: &'e str,
    pub kind: AnswerKind,
    pub category: &'e str,
    pub score: f64,
    pub bm25: f64,
    pub ngram: f64,
    pub coverage: f64,
    /// Distinct query stems found in the entry.
    pub matched: usize,
}

/// The intent part of a ranking.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent<'e> {
    Empty,
    Tracking(String),
    Emergency,
    Greeting,
    Smalltalk,
    /// Complaint strength and category scores (best first).
    Complaint {
        strength: f64,
        categories: Vec<(&'e str, f64)>,
    },
    Question,
}

/// Everything the decision needs, before thresholds: lets the evaluation sweep thresholds
/// without re-running the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking<'e> {
    pub intent: Intent<'e>,
    /// Complaint strength even when the intent is a question (for calibration).
    pub complaint_strength: f64,
    pub complaint_categories: Vec<(&'e str, f64)>,
    pub candidates: Vec<Candidate<'e>>,
    /// The classifier's log-likelihoods, computed only when the decision asks for them: see
    /// [`Ranking::learned`].
    learned: LazyLearned<'e>,
    /// A short question about another city's services (see `Engine::about_elsewhere`).
    pub elsewhere: bool,
    /// The message names another city as where something is, and not Probolinggo
    /// (`CityElsewhere::problem_there`): not a report of the city's.
    pub problem_elsewhere: bool,
    /// The message names an authority or company outside the city government (`luar` in
    /// `lexicon-offices.tsv`: land certificates at the BPN, elections, the internet provider)
    /// or another city's office (`Engine::office_of_elsewhere`): not a report of the city's,
    /// and no entry answers it but one that names such an authority itself
    /// (`names_another_office`).
    pub outside: bool,
    /// Content words of the message that no entry knows (typos repaired first): often the
    /// very thing asked about ("jam buka *perpustakaan*", "syarat *paspor*"), which the
    /// aspect words around it cannot answer.
    pub unknown_words: usize,
    /// The entry whose training phrase the message is, word for word.
    pub taught: Option<(&'e str, AnswerKind)>,
    /// The message ends with a question (see `Analysis::ends_asking`).
    pub ends_asking: bool,
    /// The message asks for a person to talk to (a `Human` and a `Connect` cue): the scope
    /// model, which has learned chit-chat about the bot as out of scope, holds nothing back.
    pub asks_for_a_person: bool,
    pub emergency_category: Option<&'e str>,
    pub lainnya: Option<&'e str>,
    offices: NamedOffices<'e>,
}

/// The offices a message names, and those each entry belongs to or names.
#[derive(Debug, Clone)]
struct NamedOffices<'e> {
    named: Vec<u16>,
    entries: &'e super::fxhash::FastMap<Box<str>, Box<[u16]>>,
}

impl PartialEq for NamedOffices<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.named == other.named
    }
}

/// The classifier's view of one message, computed the first time the decision needs it
/// (messages that retrieval answers or classes with certainty never need it).
#[derive(Debug, Clone)]
struct LazyLearned<'e> {
    source: Option<&'e super::LazyClassifier>,
    /// The engine's lexicon, which the classifier's n-grams read.
    lexicon: &'e super::lexicon::Lexicon,
    /// The message's words (tokenised once, for the taught phrases and the n-grams).
    words: super::text::Words,
    /// The message's n-grams, shared by both models.
    grams: std::sync::OnceLock<classifier::Grams>,
    /// The entries' log-likelihoods (`None`: no n-gram known).
    log_likelihoods: std::sync::OnceLock<Option<Vec<f64>>>,
    /// The scope model's probability of "out of scope", asked only by the decisions that
    /// need it.
    out_of_scope: std::sync::OnceLock<f64>,
}

impl PartialEq for LazyLearned<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.words == other.words && self.source.is_some() == other.source.is_some()
    }
}

impl Engine {
    fn cue_scores(&self, a: &Analysis) -> CueScores {
        let matches = self
            .cue_matcher
            .find_with(&a.tokens, |i| self.facts(a, i).map(|f| &f.cue_first[..]));
        intent::score_cues(
            matches,
            &self.cue_class,
            &self.cue_weight,
            a.tokens.len(),
            |t| a.marks.get(t).is_some_and(|m| m.at_edge),
            |t| a.marks.get(t).is_some_and(|m| m.question_clause),
        )
    }

    fn complaint_categories(&self, a: &Analysis) -> Vec<(&str, f64)> {
        // "... di jalan Suroyo", "depan gang 3": a street in an address says where, not what
        // is broken; it must not pull every report towards jalan-rusak.
        const BEFORE_ADDRESS: [&str; 8] = [
            "di", "depan", "dekat", "sekitar", "ke", "samping", "belakang", "ujung",
        ];
        const ROAD_STATE: [&str; 10] = [
            "rusak",
            "berlubang",
            "lubang",
            "ambles",
            "retak",
            "hancur",
            "jelek",
            "becek",
            "bergelombang",
            "bolong",
        ];
        let tokens = &a.tokens;
        let address: Vec<bool> = (0..tokens.len())
            .map(|i| {
                i > 0
                    && matches!(&*tokens[i], "jalan" | "gang")
                    && BEFORE_ADDRESS.contains(&&*tokens[i - 1])
                    && !tokens
                        .get(i + 1)
                        .is_some_and(|n| ROAD_STATE.contains(&&**n))
            })
            .collect();
        let mut matches: Vec<PhraseMatch> = self
            .complaint_matcher
            .find_with(tokens, |i| self.facts(a, i).map(|f| &f.complaint_first[..]))
            .into_iter()
            .filter(|m| !(m.start..m.start + m.len).any(|t| address[t]))
            .collect();
        // Per category: longest cues first, each token once with its heaviest cue.
        matches.sort_by_key(|m| self.complaint_category[m.pattern]);
        let mut scores: Vec<(&str, f64)> = Vec::new();
        let mut covered = Vec::new();
        let mut best: Vec<(usize, f64)> = Vec::new();
        for group in matches.chunk_by_mut(|a, b| {
            self.complaint_category[a.pattern] == self.complaint_category[b.pattern]
        }) {
            let ci = self.complaint_category[group[0].pattern];
            if self.categories[ci].emergency {
                continue;
            }
            best.clear();
            for_each_non_overlapping(group, &mut covered, |m| {
                let w = self.complaint_weight[m.pattern];
                match best.iter_mut().find(|(start, _)| *start == m.start) {
                    Some(e) => e.1 = e.1.max(w),
                    None => best.push((m.start, w)),
                }
            });
            let total: f64 = best.iter().map(|(_, w)| w).sum();
            if total > 0.0 {
                scores.push((&self.categories[ci].id, total));
            }
        }
        scores.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        scores
    }

    /// A duration of weeks or more written with a number ("sudah 2 bulan", "sejak tiga
    /// minggu"): only after "sudah", "sejak", "selama", "hampir", as "hamil 8 bulan" and
    /// "umur 7 tahun" are not how long anything has lasted.
    fn lasts_weeks(a: &Analysis) -> bool {
        a.tokens.windows(3).any(|w| {
            let since = matches!(&*w[0], "sudah" | "sejak" | "selama" | "hampir");
            since && is_number(&w[1]) && matches!(&*w[2], "minggu" | "bulan" | "tahun")
        })
    }

    /// Duration written with a number ("2 bln", "3 hari", "3x"), in digits or in words
    /// ("tiga hari"; Javanese and Madurese numerals arrive here as Indonesian ones): strong
    /// evidence of a report.
    fn number_time(a: &Analysis) -> f64 {
        const UNITS: [&str; 7] = ["hari", "minggu", "bulan", "tahun", "jam", "x", "kali"];
        let mut bonus: f64 = 0.0;
        for w in a.tokens.windows(2) {
            if is_number(&w[0]) && UNITS.contains(&&*w[1]) {
                bonus += 1.0;
            }
        }
        bonus.min(1.5)
    }

    /// Someone asks for an amount of money ("minta 50rb", "dipungut Rp 20.000"): the core of
    /// a pungli report, which no single cue word captures.
    fn money_demand(a: &Analysis) -> MoneyDemand {
        const DEMAND: [&str; 19] = [
            "minta",
            "meminta",
            "diminta",
            "dimintai",
            "pungut",
            "dipungut",
            "memungut",
            "ditarik",
            "menarik",
            "narik",
            "disuruh",
            "suruh",
            "wajib",
            "dipotong",
            "potong",
            "memotong",
            "motong",
            "dipangkas",
            // "disunat 50rb": cut, in chat.
            "disunat",
        ];
        // People (not institutions): an individual asking money for themselves is pungli
        // whatever the service (labelling rule of the eval files).
        // ("mengaku dari dinas": someone claiming to be of an office.)
        const PERSONS: [&str; 24] = [
            "petugas",
            "pengurus",
            "oknum",
            "pegawai",
            "staf",
            "staff",
            "orang",
            "pak",
            "bu",
            "bapak",
            "ibu",
            "kepala",
            "ketua",
            "lurah",
            "camat",
            "satpam",
            "guru",
            "calo",
            "pendamping",
            "perangkat",
            "kader",
            "operator",
            "mengaku",
            "ngaku",
        ];
        // "dipotong 50rb sama pendamping": the person named after the amount, as the agent.
        const AGENT: [&str; 3] = ["oleh", "sama", "dengan"];
        // Aid in kind is cut by the kilo or the litre ("beras dipotong 2 kilo").
        const UNITS: [&str; 10] = [
            "rb", "ribu", "k", "juta", "jt", "rupiah", "perak", "kg", "kilo", "liter",
        ];
        let t = &a.tokens;
        for i in 0..t.len() {
            let number = t[i].bytes().all(|b| b.is_ascii_digit());
            let amount = (number && t.get(i + 1).is_some_and(|u| UNITS.contains(&&**u)))
                || (t[i] == "rp"
                    && t.get(i + 1)
                        .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())));
            if !amount {
                continue;
            }
            if let Some(v) = t[i.saturating_sub(4)..i]
                .iter()
                .position(|w| DEMAND.contains(&&**w))
            {
                let verb = i.saturating_sub(4) + v;
                // "petugasnya", "oknumnya": the person with the possessive.
                let person = |w: &str| {
                    PERSONS.contains(&w)
                        || w.strip_suffix("nya").is_some_and(|b| PERSONS.contains(&b))
                };
                // "50 rb" and "rp 50000" are both two tokens; the agent may follow a word
                // naming the money ("50rb uang administrasi sama petugasnya").
                let after = i + 2;
                let agent = (after..t.len().min(after + 3)).any(|a| {
                    AGENT.contains(&&*t[a])
                        && t[a + 1..t.len().min(a + 3)].iter().any(|w| person(w))
                });
                // The person may be named up to six words before the verb ("pendamping bpnt
                // di kampung saya motong 100rb").
                let personal = agent || t[verb.saturating_sub(6)..verb].iter().any(|w| person(w));
                return MoneyDemand {
                    found: true,
                    personal,
                };
            }
        }
        MoneyDemand::default()
    }

    /// "kapan" among the message's last five words, asking when something will happen
    /// ("kapan diganti?", "kapan ngalir lagi?", "sampai kapan?"), not when a thing is
    /// ("batas waktunya kapan?": "kapan" last, after its noun).
    fn asks_when(a: &Analysis) -> bool {
        let t = &a.tokens;
        (t.len().saturating_sub(5)..t.len())
            .any(|i| t[i] == "kapan" && (i + 1 < t.len() || (i > 0 && t[i - 1] == "sampai")))
    }

    /// The message's last words are a rhetorical question: "apa begitu …", "masa begini …",
    /// "apa pantas …".
    fn ends_rhetorically(a: &Analysis) -> bool {
        let tail = &a.tokens[a.tokens.len().saturating_sub(6)..];
        tail.windows(2).any(|w| {
            matches!(&*w[0], "apa" | "apakah" | "masa" | "masak")
                && matches!(
                    &*w[1],
                    "begitu" | "begini" | "gitu" | "gini" | "pantas" | "layak"
                )
        })
    }

    /// A report that ends "kapan diperbaiki?", "minta dicek ta?", "tolong ditindak ya?": it
    /// asks the city to act (when, or please), which is the report's request, not a question
    /// the FAQ entry on the matter answers.
    fn asks_for_action(a: &Analysis) -> bool {
        // Passives that ask to be told or helped, not for something to be done.
        const TELL: [&str; 6] = [
            "dijelaskan",
            "dijawab",
            "diinfokan",
            "diinfo",
            "dibantu",
            "diarahkan",
        ];
        // "minta dipotong ke siapa?", "minta dipangkas lewat mana": asked of whom or where,
        // the request is a question about the channel.
        if a.tokens
            .last()
            .is_some_and(|t| matches!(&**t, "siapa" | "mana" | "bagaimana"))
        {
            return false;
        }
        let start = a.tokens.len().saturating_sub(4);
        let tail = &a.tokens[start..];
        tail.iter()
            .position(|t| matches!(&**t, "kapan" | "minta" | "mohon" | "tolong"))
            // "bisa minta dipangkas?" asks whether the service exists: the FAQ entry's
            // question, unlike "minta dicek ya".
            .filter(|&at| {
                tail[at] == "kapan"
                    || !a.tokens[(start + at).saturating_sub(2)..start + at]
                        .iter()
                        .any(|t| matches!(&**t, "bisa" | "boleh" | "apa" | "apakah"))
            })
            .is_some_and(|at| {
                tail[at + 1..]
                    .iter()
                    .any(|t| t.len() >= 5 && t.starts_with("di") && !TELL.contains(&&**t))
            })
    }

    /// "ktp saya rusak", "ijazah hilang", "kk ikut terbakar": damage to the writer's own
    /// document is a request for a replacement (a FAQ), not a report about a public service
    /// nor an emergency.
    fn document_harm(a: &Analysis) -> intent::DocumentHarm {
        // "dompet ikut hanyut, ktp di dalam": the wallet carries the documents.
        const DOCUMENTS: [&str; 15] = [
            "dompet",
            "ktp",
            "kk",
            "akta",
            "ijazah",
            "sppt",
            "kartu",
            "kia",
            "kis",
            "stnk",
            "sim",
            "buku",
            "sertifikat",
            "rapor",
            "paspor",
        ];
        // "sim saya mati", "ktp sudah habis masa berlakunya": expired is the document's state
        // too, renewed at the office that issued it.
        const DAMAGE: [&str; 12] = [
            "rusak",
            "patah",
            "hilang",
            "sobek",
            "robek",
            "basah",
            "luntur",
            "hancur",
            "mati",
            "habis",
            "kedaluwarsa",
            "kadaluarsa",
        ];
        // Damage by the threats the emergency cues name: a document's fate here.
        const THREAT_DAMAGE: [&str; 7] = [
            "terbakar",
            "kebakar",
            "hangus",
            "hanyut",
            "terendam",
            "terbawa",
            "tenggelam",
        ];
        // "mobil kia", "motor kia": the car make, not the child's identity card.
        const VEHICLES: [&str; 2] = ["mobil", "motor"];
        let t = &a.tokens;
        let is_document = |j: usize| {
            DOCUMENTS.contains(&&*t[j])
                && !(&*t[j] == "kia" && j > 0 && VEHICLES.contains(&&*t[j - 1]))
        };
        // Words between a document and its state that say nothing of it ("sim a yang sudah
        // mati", "ktp saya ini hilang"): not counted in the three words looked back over.
        const BETWEEN: [&str; 10] = [
            "yang", "sudah", "telah", "saya", "kami", "ini", "itu", "a", "b", "c",
        ];
        let named_before = |i: usize| {
            let mut counted = 0;
            for j in (0..i).rev() {
                if counted == 3 {
                    break;
                }
                counted += usize::from(!BETWEEN.contains(&&*t[j]));
                if is_document(j) {
                    return true;
                }
            }
            false
        };
        let mut harm = intent::DocumentHarm::default();
        for (i, word) in t.iter().enumerate() {
            let threat = THREAT_DAMAGE.contains(&&**word);
            if (threat || DAMAGE.contains(&&**word)) && named_before(i) {
                harm.told += 1;
                harm.by_threat_words += usize::from(threat);
            }
        }
        harm
    }

    /// Runs the whole pipeline up to, but not including, the thresholds.
    pub fn rank(&self, message: &str) -> Ranking<'_> {
        let emergency_category = self.categories.iter().find(|c| c.emergency).map(|c| &*c.id);
        let lainnya = self
            .categories
            .iter()
            .find(|c| &*c.id == "lainnya")
            .map(|c| &*c.id);
        let mut ranking = Ranking {
            intent: Intent::Question,
            complaint_strength: 0.0,
            complaint_categories: Vec::new(),
            candidates: Vec::new(),
            learned: LazyLearned {
                source: self.classifier.as_deref(),
                lexicon: &self.lexicon,
                // Only where something reads them (the ranking outlives `message`).
                words: if self.classifier.is_some() || !self.taught.is_empty() {
                    super::text::Words::of(message)
                } else {
                    super::text::Words::default()
                },
                grams: std::sync::OnceLock::new(),
                log_likelihoods: std::sync::OnceLock::new(),
                out_of_scope: std::sync::OnceLock::new(),
            },
            elsewhere: false,
            problem_elsewhere: false,
            outside: false,
            asks_for_a_person: false,
            unknown_words: 0,
            taught: None,
            ends_asking: false,
            offices: NamedOffices {
                named: Vec::new(),
                entries: &self.entry_offices,
            },
            emergency_category,
            lainnya,
        };
        if let Some(ticket) = intent::find_ticket(message) {
            ranking.intent = Intent::Tracking(ticket);
            return ranking;
        }
        let a = self.analyse(message);
        if a.tokens.is_empty() {
            ranking.intent = Intent::Empty;
            return ranking;
        }
        // Offices count only where the message asks about one as such (an address, hours):
        // one named in a story ("meninggal di rsud") is not what is asked.
        let offices = self.office_matches(&a);
        let mut office_words: Vec<u16> =
            offices.iter().map(|m| self.office_of[m.pattern]).collect();
        ranking.outside = office_words.contains(&super::compile::OUTSIDE);
        office_words.retain(|&o| o != super::compile::OUTSIDE);
        if office_words.contains(&super::compile::ASPECT) {
            office_words.retain(|&o| o != super::compile::ASPECT);
            ranking.offices.named = office_words;
        }
        let cues = self.cue_scores(&a);
        ranking.asks_for_a_person =
            cues.get(CueClass::Human) > 0.0 && cues.get(CueClass::Connect) > 0.0;
        // Place names serve both retrieval and the complaint strength: matched once.
        let places = self
            .place_matcher
            .find_with(&a.tokens, |i| self.facts(&a, i).map(|f| &f.place_first[..]));
        // Another city's office ("dukcapil surabaya") is outside the city government too.
        let office_elsewhere = self.office_of_elsewhere(&a, &places, &offices);
        ranking.outside |= office_elsewhere;
        let city = self.city_elsewhere(&a, &places);
        ranking.problem_elsewhere = city.problem_there();
        ranking.elsewhere = self.about_elsewhere(&a, city, office_elsewhere);
        ranking.ends_asking = a.ends_asking && !Self::asks_for_action(&a);
        ranking.candidates = self.retrieve(&a, &places, ranking.elsewhere);
        ranking.unknown_words = self.unknown_content_words(&a).count();
        let document = Self::document_harm(&a);
        // Weeks or months of a problem ("sudah 2 bulan tidak gerak") are not an emergency,
        // which happens now.
        let mut cues = cues;
        if Self::lasts_weeks(&a) {
            cues.by_class[CueClass::Calm.index()] += 2.0;
        }
        let money = Self::money_demand(&a);
        // A person asking money ("setelah rumah saya kebakaran, petugas yang datang minta
        // uang bensin 200 ribu") is what the message reports, whatever danger it mentions.
        if !money.personal
            && intent::is_emergency(
                &cues,
                a.surface.upper_ratio > 0.6,
                a.surface.exclamations,
                a.ends_asking,
                document,
            )
        {
            ranking.intent = Intent::Emergency;
            return ranking;
        }
        let social_only =
            cues.has_greet || cues.has_opener || cues.has_thanks || cues.has_ack_or_laugh;
        // Thanks and acknowledgements come with words about the answer ("makasih, infonya
        // sangat membantu", "wah mantap infonya"): those are small talk too, unless the
        // message goes on to ask something.
        let praised = (cues.has_thanks || cues.has_ack_or_laugh) && !a.ends_asking;
        let covered = |i: usize| cues.social_covered[i] || (praised && cues.praise_covered[i]);
        let uncovered_content =
            (0..a.tokens.len()).any(|i| !covered(i) && a.marks[i].is_content_word());
        if social_only && !uncovered_content {
            // An opener ("halo kak, mau tanya", "makasih, mau tanya lagi") waits for the
            // matter: the greeting's menu, whatever acknowledgement comes with it.
            ranking.intent = if !cues.has_opener && (cues.has_thanks || cues.has_ack_or_laugh) {
                Intent::Smalltalk
            } else {
                Intent::Greeting
            };
            return ranking;
        }
        // A report that ends in a rhetorical question ("…, dibentak. Apa begitu cara melayani
        // warga?", "masa begini terus?"): its question words protest, they do not ask.
        if (cues.get(CueClass::Problem) > 0.0 || cues.get(CueClass::Vent) > 0.0)
            && Self::ends_rhetorically(&a)
        {
            let info = cues.get(CueClass::Info);
            cues.move_cue(CueClass::Info, info, CueClass::Vent, info.min(2.0));
            ranking.ends_asking = false;
        }
        // "lampu jalan mati 10 hari, kpn diganti?", "air mati dari kemarin, kapan ngalir
        // lagi?": in a report, asking when is asking the city to act, not for information.
        if cues.get(CueClass::Problem) > 0.0 && Self::asks_when(&a) {
            cues.move_cue(CueClass::Info, WHEN_INFO, CueClass::Request, 1.0);
            ranking.ends_asking = false;
        }
        let problem = &mut cues.by_class[CueClass::Problem.index()];
        if money.found {
            *problem += 2.0;
        }
        // Each damage word told of a document weighs against the problem cues.
        *problem = (*problem - 1.5 * document.told as f64).max(0.0);
        let local_places = places
            .iter()
            .filter(|m| self.place_kind[m.pattern] == PlaceKind::Kota)
            .count();
        cues.by_class[CueClass::Place.index()] += local_places as f64;
        let mut strength = intent::complaint_strength(&cues, Self::number_time(&a), a.asked);
        // A terse statement of a problem ("atap kelas sdn 3 bocor", "blt blm cair sampe
        // skrg") has no room for the time, place and "mine" cues a told report carries: a few
        // words that state a problem and ask nothing are a report (not when what is damaged
        // is the writer's own document: "ktp saya rusak kena banjir").
        let meaningful = a.marks.iter().filter(|m| !m.filler).count();
        if meaningful <= TERSE_WORDS
            && document.told == 0
            && !a.asked
            && !ranking.ends_asking
            && cues.get(CueClass::Problem) > 0.0
            && cues.get(CueClass::Info) == 0.0
        {
            strength += TERSE_BONUS;
        }
        let mut categories = self.complaint_categories(&a);
        if money.personal {
            // A person asking money for themselves is pungli whatever the service it was
            // asked for in (the labelling rule): ahead of the service's own category by so
            // much that the classifier is not asked to choose between them.
            let top = categories.first().map_or(0.0, |(_, score)| *score);
            categories.retain(|(id, _)| *id != "pungli-korupsi");
            if let Some(c) = self.categories.iter().find(|c| &*c.id == "pungli-korupsi") {
                categories.insert(0, (&c.id, 2.0 * top + 2.0));
            }
        }
        ranking.complaint_strength = strength;
        ranking.complaint_categories = categories.clone();
        // A problem told without one of the listed problem words ("posyandu lansia sudah tidak
        // ada kegiatan sejak Januari", "pabrik kayu … debunya menyembur tiap hari, anakku asma
        // kambuh"): the report's other signs (time, place, frustration, "mine") are strong,
        // a category's topic is named, and nothing is asked. A plain statement, without a
        // question word anywhere, needs only the report threshold's strength.
        // Telling what one wants ("mau ganti ke puskesmas dekat rumah") asks how.
        let wants = a
            .tokens
            .iter()
            .any(|t| matches!(&**t, "mau" | "ingin" | "akan" | "hendak"));
        let statement =
            cues.get(CueClass::Info) == 0.0 && !a.asked && !ranking.ends_asking && !wants;
        let told_at = if statement {
            TOLD_STATEMENT
        } else {
            TOLD_REPORT
        };
        let told_without_a_problem_word = strength >= told_at
            && !ranking.ends_asking
            && categories
                .first()
                .is_some_and(|(_, score)| *score >= TOLD_REPORT_CATEGORY);
        if cues.get(CueClass::Problem) > 0.0
            || cues.get(CueClass::Request) >= 1.5
            || told_without_a_problem_word
        {
            ranking.intent = Intent::Complaint {
                strength,
                categories,
            };
        }
        // Only where the content has phrases.
        if !self.taught.is_empty() {
            if let Some(Some((id, kind))) = self
                .taught
                .get(&super::compile::taught_key(&ranking.learned.words))
            {
                ranking.taught = Some((id.as_str(), *kind));
            }
        }
        ranking
    }

    /// Debug view of one message: tokens, stems, cue sums, complaint strength, candidates.
    pub fn explain(&self, message: &str) -> String {
        let a = self.analyse(message);
        let cues = self.cue_scores(&a);
        let r = self.rank(message);
        let mut out = String::new();
        out.push_str(&format!("tokens: {:?}\nstems: {:?}\n", a.tokens, a.stems));
        let repaired: Vec<String> = a
            .repaired_from
            .iter()
            .zip(&a.tokens)
            .filter_map(|(typed, token)| typed.as_ref().map(|t| format!("{t} -> {token}")))
            .collect();
        if !repaired.is_empty() {
            out.push_str(&format!("repaired: {repaired:?}\n"));
        }
        let named: Vec<String> = CueClass::ALL
            .iter()
            .filter(|c| cues.get(**c) != 0.0)
            .map(|c| format!("{c:?}={:.2}", cues.get(*c)))
            .collect();
        out.push_str(&format!("cues: {}\n", named.join(" ")));
        out.push_str(&format!(
            "intent: {:?}\ncomplaint strength: {:.2} categories: {:?}\n",
            r.intent, r.complaint_strength, r.complaint_categories
        ));
        for c in r.candidates.iter().take(5) {
            out.push_str(&format!(
                "  {:.3} bm25={:.3} ngram={:.3} cov={:.2} {}\n",
                c.score, c.bm25, c.ngram, c.coverage, c.id
            ));
        }
        let learned = r.learned(self.thresholds.temperature);
        if !learned.is_empty() {
            out.push_str("classifier:\n");
        }
        for (class, p) in learned.iter().take(5) {
            out.push_str(&format!(
                "  {p:.3} {} ({})\n",
                class.id,
                class.kind.as_str()
            ));
        }
        let unknown: Vec<&str> = self.unknown_content_words(&a).collect();
        out.push_str(&format!(
            "unknown words: {}; {unknown:?}; out of scope: {:.3}\n",
            r.unknown_words,
            r.out_of_scope()
        ));
        out
    }
}

impl<'e> Ranking<'e> {
    /// The classifier's probabilities for this message at `temperature`: its probable classes
    /// best first, then the improbable ones (`classifier::probabilities`); empty without
    /// training phrases.
    pub fn learned(&self, temperature: f64) -> Vec<(&'e LearnedClass, f64)> {
        let Some(source) = self.learned.source else {
            return Vec::new();
        };
        let Some(jll) = self.learned_scores(source) else {
            return Vec::new();
        };
        let classes = &source.learned(self.learned.lexicon).classes;
        classifier::probabilities(jll, temperature)
            .into_iter()
            .map(|s| (&classes[s.class], s.probability))
            .collect()
    }

    fn learned_grams(&self) -> &classifier::Grams {
        self.learned.grams.get_or_init(|| {
            classifier::Grams::of_words(&self.learned.words, Some(self.learned.lexicon))
        })
    }

    fn learned_scores(&self, source: &'e super::LazyClassifier) -> Option<&Vec<f64>> {
        self.learned
            .log_likelihoods
            .get_or_init(|| {
                source
                    .learned(self.learned.lexicon)
                    .model
                    .log_likelihoods(self.learned_grams())
            })
            .as_ref()
    }

    /// The message names an office that `entry` neither belongs to nor names ("kantor damkar
    /// alamatnya di mana" and the Dispendukcapil's address and hours): its answer would be
    /// another office's. An authority outside the city government counts wherever the
    /// message names it, unless the entry names one too (the BPHTB entry tells that the tax
    /// is paid before the BPN registers the deed).
    fn names_another_office(&self, entry: &str) -> bool {
        let own = self.offices.entries.get(entry);
        let outside =
            self.outside && !own.is_some_and(|own| own.contains(&super::compile::OUTSIDE));
        outside
            || own.is_some_and(|own| {
                self.offices
                    .named
                    .iter()
                    .any(|office| !own.contains(office))
            })
    }

    /// The scope model's probability that the message is about something the bot does not
    /// handle (1 without training phrases or when no n-gram of the message is known).
    pub fn out_of_scope(&self) -> f64 {
        let Some(source) = self.learned.source else {
            return 1.0;
        };
        *self.learned.out_of_scope.get_or_init(|| {
            source
                .learned(self.learned.lexicon)
                .scope
                .probability_of(self.learned_grams(), classifier::OUT_OF_SCOPE)
                .unwrap_or(1.0)
        })
    }

    /// Whether the scope model holds the message out of scope at `limit`: never a message
    /// that asks for a person (see `asks_for_a_person`).
    fn held_out_of_scope(&self, limit: f64) -> bool {
        !self.asks_for_a_person && self.out_of_scope() >= limit
    }

    /// The classifier's entries (FAQ entries and services) from `min` probability, best first.
    fn learned_entries(learned: &[(&'e LearnedClass, f64)], min: f64) -> Vec<String> {
        learned
            .iter()
            .filter(|(c, p)| matches!(c.kind, AnswerKind::Faq | AnswerKind::Service) && *p >= min)
            .take(3)
            .map(|(c, _)| c.id.clone())
            .collect()
    }

    /// Where retrieval is not sure: the classifier's first class when it is probable enough.
    /// A complaint category makes the message a report (an emergency for the emergency
    /// category); an entry is answered only when the scope model does not hold the message
    /// out of scope and the question is not about another city.
    fn learned_answer(
        &self,
        learned: &[(&'e LearnedClass, f64)],
        t: &Thresholds,
    ) -> Option<Answer> {
        let (first, p) = *learned.first()?;
        match first.kind {
            AnswerKind::Complaint if p >= t.learned_complaint => {
                let kind = if Some(first.id.as_str()) == self.emergency_category {
                    AnswerKind::Emergency
                } else {
                    AnswerKind::Complaint
                };
                Some(Answer::plain(kind, Some(first.id.clone()), p))
            }
            AnswerKind::Faq | AnswerKind::Service
                if p >= t.learned_answer
                    && !self.elsewhere
                    && !self.names_another_office(&first.id)
                    && !self.held_out_of_scope(t.learned_out_of_scope) =>
            {
                let mut answer = Answer::plain(first.kind, Some(first.id.clone()), p);
                answer.alternatives = Self::learned_entries(&learned[1..], t.learned_suggest);
                Some(answer)
            }
            _ => None,
        }
    }

    /// A message that tells of a problem and ends by asking about it ("pohon depan sekolah
    /// miring, bisa minta dipangkas?", "jalan perumahan rusak, itu tanggung jawab siapa?")
    /// is a question when both models name the same entry for it, the classifier surely:
    /// the entry answers it and tells how to report. A report that ends with a request
    /// ("tolong segera ditambal") stays a report, and so does every emergency.
    /// `learned`: the classifier's probabilities, computed only if this rule gets to them.
    fn question_after_report<'l>(
        &self,
        learned: impl FnOnce() -> &'l [(&'e LearnedClass, f64)],
        t: &Thresholds,
    ) -> Option<Answer>
    where
        'e: 'l,
    {
        if !self.ends_asking || self.elsewhere {
            return None;
        }
        let (first, p) = *learned().first()?;
        // Retrieval need only have the entry among its first three ("ada bantuan benerin
        // rumah?": the road entry's words come first, the classifier is sure of the
        // house-repair aid).
        let agreed = first.kind == AnswerKind::Faq
            && self.candidates.iter().take(3).any(|c| c.id == first.id)
            && p >= t.learned_answer
            && !self.names_another_office(&first.id);
        agreed.then(|| Answer::plain(AnswerKind::Faq, Some(first.id.clone()), p))
    }

    /// The entry the classifier prefers to `answered`, when it holds more than half of the
    /// probability (a majority no other class can reach, so no threshold to tune).
    fn contradiction(learned: &[(&'e LearnedClass, f64)], answered: &str) -> Option<&'e str> {
        learned
            .first()
            .filter(|(c, p)| {
                matches!(c.kind, AnswerKind::Faq | AnswerKind::Service)
                    && c.id != answered
                    && *p > 0.5
            })
            .map(|(c, _)| c.id.as_str())
    }

    /// The classifier's category for a report (whose cues name none, or name contested
    /// ones): its most probable complaint category that is not the emergency one, when it
    /// holds at least `min_share` of the probability of all categories.
    fn learned_category(
        &self,
        learned: &[(&'e LearnedClass, f64)],
        min_share: f64,
    ) -> Option<&'e str> {
        let categories: f64 = learned
            .iter()
            .filter(|(c, _)| c.kind == AnswerKind::Complaint)
            .map(|(_, p)| p)
            .sum();
        // The most probable one, the first of equals: the classifier ranks only its probable
        // classes, and a report's categories can all be improbable (their shares are what
        // counts here).
        learned
            .iter()
            .filter(|(c, _)| {
                c.kind == AnswerKind::Complaint && Some(c.id.as_str()) != self.emergency_category
            })
            .reduce(|best, other| if other.1 > best.1 { other } else { best })
            .filter(|(_, p)| categories > 0.0 && p / categories >= min_share)
            .map(|(c, _)| c.id.as_str())
    }

    /// Applies the thresholds.
    pub fn decide(&self, t: &Thresholds) -> Answer {
        match &self.intent {
            Intent::Empty => return Answer::plain(AnswerKind::Fallback, None, 0.0),
            Intent::Tracking(ticket) => {
                return Answer::plain(AnswerKind::Tracking, Some(ticket.clone()), 1.0)
            }
            Intent::Greeting => return Answer::plain(AnswerKind::Greeting, None, 1.0),
            Intent::Smalltalk => return Answer::plain(AnswerKind::Smalltalk, None, 1.0),
            Intent::Emergency => {
                let mut answer = Answer::plain(
                    AnswerKind::Emergency,
                    self.emergency_category.map(str::to_string),
                    1.0,
                );
                answer.alternatives = self
                    .candidates
                    .iter()
                    .filter(|c| {
                        c.category == "darurat" && c.kind == AnswerKind::Faq && c.score >= t.suggest
                    })
                    .take(3)
                    .map(|c| c.id.to_string())
                    .collect();
                return answer;
            }
            Intent::Complaint {
                strength,
                categories,
            } => {
                // A fault of the internet provider or the election office is not the
                // city's to take as a report.
                if *strength >= t.complaint && !self.outside && !self.problem_elsewhere {
                    // The classifier's probabilities, once for both rules that may read them.
                    let once = std::cell::OnceCell::new();
                    let learned = || once.get_or_init(|| self.learned(t.temperature)).as_slice();
                    if let Some(answer) = self.question_after_report(learned, t) {
                        return answer;
                    }
                    let best = categories.first().filter(|(_, s)| *s >= t.category);
                    // Cue lists weigh words, not what the report is about ("jalan depan rumah
                    // rusak" has cues of roads and of disasters): where a second category's
                    // cues come close, the classifier chooses among the ones the cues found.
                    let contested = categories
                        .get(1)
                        .is_some_and(|(_, s)| best.is_some_and(|(_, b)| *s >= b * t.contested));
                    let learned_category = || self.learned_category(learned(), t.learned_category);
                    let id = match best {
                        Some((id, _)) if contested => Some(
                            learned_category()
                                .filter(|l| categories.iter().any(|(c, _)| c == l))
                                .unwrap_or(*id),
                        ),
                        Some((id, _)) => Some(*id),
                        // A problem no category's cue names, which the scope model holds
                        // out of scope ("tiktok tidak bisa dibuka", "hp mati kena air"), is
                        // the citizen's own, not the city's to take as a report.
                        None if self.held_out_of_scope(t.learned_out_of_scope) => {
                            learned_category()
                        }
                        None => learned_category().or(self.lainnya),
                    };
                    if let Some(id) = id {
                        let mut answer = Answer::plain(
                            AnswerKind::Complaint,
                            Some(id.to_string()),
                            1.0 - (-strength / 2.0).exp(),
                        );
                        answer.alternatives = categories
                            .iter()
                            .filter(|(c, _)| *c != id)
                            .take(3)
                            .map(|(c, _)| c.to_string())
                            .collect();
                        return answer;
                    }
                }
            }
            Intent::Question => {}
        }
        if let Some((id, kind)) = self.taught {
            let mut answer = Answer::plain(kind, Some(id.to_string()), 1.0);
            answer.alternatives = self
                .candidates
                .iter()
                .filter(|c| c.id != id && c.score >= t.suggest)
                .take(3)
                .map(|c| c.id.to_string())
                .collect();
            return answer;
        }
        let Some(top) = self.candidates.first() else {
            return self
                .learned_answer(&self.learned(t.temperature), t)
                .unwrap_or_else(|| Answer::plain(AnswerKind::Fallback, None, 0.0));
        };
        // Ambiguity is measured against the next entry of the same kind: a FAQ entry and the
        // service that describes the same procedure are not competing answers.
        let second = self
            .candidates
            .iter()
            .skip(1)
            .find(|c| c.kind == top.kind)
            .map_or(0.0, |c| c.score);
        let main_rule =
            top.score >= t.answer && (top.score - second >= t.margin || top.score >= t.sure);
        let floor_rule = !self.elsewhere
            && top.score >= t.floor
            && top.score >= t.ratio * second
            && top.matched >= 2;
        let confident = main_rule || floor_rule;
        // Retrieval matched the words around a topic it does not know ("jam buka" of "jam
        // buka kantor pos"): the scope model, which has seen such questions, may hold it back.
        let confident = confident
            && !(self.unknown_words > 0 && self.held_out_of_scope(t.learned_out_of_scope));
        let confident = confident && !self.names_another_office(top.id);
        // Retrieval matches the words of an entry; the classifier has learned how citizens
        // word each entry. Where retrieval answers under `challenge` and the classifier holds
        // another entry more probable than all the others together, the two read the message
        // differently and retrieval's answer is not taken on its own: the classifier answers
        // when it is sure enough, else the citizen chooses between the two. `challenge` is
        // the cross-validation's choice (docs/nlp.md): at `sure` it catches wrong answers of
        // retrieval's main rule too, where at first only its floor rule (scores under
        // `answer`) was checked; the price is the classifier on more messages
        // (docs/performance.md). Two entries within `margin` are a close call at any score
        // (over `sure` the main rule answers them): the classifier checks it as well.
        let challenged = confident && (top.score < t.challenge || top.score - second < t.margin);
        let learned = if confident && !challenged {
            Vec::new()
        } else {
            self.learned(t.temperature)
        };
        let contradicted = challenged
            .then(|| Self::contradiction(&learned, top.id))
            .flatten();
        if let Some(other) = contradicted {
            if let Some(answer) = self.learned_answer(&learned, t) {
                return answer;
            }
            let mut answer = Answer::plain(AnswerKind::Fallback, None, top.score);
            answer.alternatives = vec![other.to_string(), top.id.to_string()];
            return answer;
        }
        // A topic the city does not handle, whose word the content happens to mention ("syarat
        // bikin paspor": "paspor" is in one entry's story, "syarat bikin" is the KTP entry's):
        // retrieval hesitates, the classifier does not confirm the entry, and the scope model
        // is sure the message is out of scope. Asked only then: most answers under `challenge`
        // are confirmed by the classifier, and the scope model is another pass over the
        // message's n-grams.
        let confirmed = || {
            learned
                .first()
                .is_some_and(|(c, p)| c.id == top.id && *p >= t.confirm)
        };
        // A weak answer (the floor rule's) the classifier gives almost no chance: the two
        // words retrieval matched ("baru", "buat" of "tukar uang baru buat lebaran") are not
        // what the message is about.
        let unsupported = || {
            !main_rule
                && learned
                    .iter()
                    .find(|(c, _)| c.id == top.id)
                    .is_none_or(|(_, p)| *p < t.floor_support)
        };
        // (Without a classifier, a content without phrases, there is nothing to ask.)
        let held_back = challenged
            && !learned.is_empty()
            && !confirmed()
            && (unsupported() || self.held_out_of_scope(t.sure_out_of_scope));
        if confident && !held_back {
            let mut answer = Answer::plain(top.kind, Some(top.id.to_string()), top.score);
            answer.alternatives = self.candidates[1..]
                .iter()
                .filter(|c| c.score >= t.suggest)
                .take(3)
                .map(|c| c.id.to_string())
                .collect();
            return answer;
        }
        if let Some(answer) = self.learned_answer(&learned, t) {
            return answer;
        }
        let mut answer = Answer::plain(AnswerKind::Fallback, None, top.score);
        // Suggestions only where something matched (retrieval's judgement, so that small talk
        // and other matters keep their plain fallback) or the classifier holds an entry above
        // half of all probability (a long story dilutes retrieval's scores, not the
        // classifier's: "saya baru buka warung makan … izin apa yang harus saya buat"), and
        // the scope model does not hold the message out of scope.
        let out_of_scope = || !learned.is_empty() && self.held_out_of_scope(t.learned_out_of_scope);
        let classifier_majority = learned.first().is_some_and(|(c, p)| {
            matches!(c.kind, AnswerKind::Faq | AnswerKind::Service) && *p > 0.5
        });
        if (top.score >= t.suggest || classifier_majority) && !out_of_scope() {
            // The classifier knows how citizens word things: its entries are the better
            // suggestions, retrieval's when it has none.
            let suggestions = Self::learned_entries(&learned, t.learned_suggest);
            answer.alternatives = if suggestions.is_empty() {
                self.candidates
                    .iter()
                    .filter(|c| c.score >= t.suggest)
                    .take(3)
                    .map(|c| c.id.to_string())
                    .collect()
            } else {
                suggestions
            };
        }
        answer
    }
}
