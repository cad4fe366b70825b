//! Import rules: the correctness checks of `../shared/tools/validate_content.py` plus the
//! WhatsApp limits of every place a text is shown (list rows, list headers, text messages).
//! Character counts are Unicode scalar values, like Python's `len`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::Datelike;

mod menu_rules;

use super::{
    menu::BACK_ROW_ID, render::TEXT_LIMIT, render::UNVERIFIED_NOTE, ComplaintCategory,
    ContentBundle, Faq, HolidayCalendar, MenuAction, Menus, Opd, RecordError, Service, Topic,
    TopicType, COMPLAINT_CATEGORIES_FILE, FAQ_CATEGORIES, FAQ_FILE, MENUS_FILE, OPDS_FILE,
    SERVICES_FILE, TOPICS_FILE,
};
use crate::channel::limits;

/// How holiday-calendar errors name the file, whatever years its name carries.
pub(super) const HOLIDAYS_LABEL: &str = "holidays-*.json";

/// The README's editorial length for an answer; longer ones are only a warning because
/// WhatsApp itself accepts up to [`TEXT_LIMIT`].
pub const ANSWER_SOFT_LIMIT: usize = 900;

// The channel's limits, where the content is shown (the dialog renders within them).
const ROW_TITLE: usize = limits::LIST_ROW_TITLE;
const ROW_DESCRIPTION: usize = limits::LIST_ROW_DESCRIPTION;
const LIST_HEADER: usize = limits::LIST_HEADER;
/// The README caps list bodies at 1024 (Meta allows 4096) so a menu stays readable.
const LIST_BODY: usize = 1024;
const LIST_FOOTER: usize = limits::LIST_FOOTER;
const LIST_BUTTON: usize = limits::LIST_BUTTON;
const SECTION_TITLE: usize = limits::LIST_SECTION_TITLE;
const WHATSAPP_MAX_ROWS: usize = limits::LIST_MAX_ROWS;
/// The complaint notice is shown with the *Kirim* reply button, whose body allows 1024.
const NOTICE_LIMIT: usize = limits::BUTTONS_BODY;
const NAME_LIMIT: usize = 200;
/// Keeps every generated row id (`prefix:` + id) far below WhatsApp's 200.
const ID_LIMIT: usize = 100;
/// Training phrases per entry: enough for the engine (Dialogflow and Rasa advise 10–20+ per
/// intent) and still reviewable by a person.
pub const PHRASES_LIMIT: usize = 60;
/// One phrase is one citizen's message; longer narratives belong in the evaluation sets.
const PHRASE_LENGTH_LIMIT: usize = 600;

/// Topics the code relies on (broadcasts, emergency information).
const REQUIRED_TOPICS: [&str; 8] = [
    "pengumuman-umum",
    "darurat-bencana",
    "kesehatan",
    "pendidikan",
    "lowongan-kerja",
    "wisata-event",
    "pajak",
    "layanan-publik",
];
const KECAMATAN: [&str; 5] = [
    "kecamatan:kademangan",
    "kecamatan:kanigaran",
    "kecamatan:kedopok",
    "kecamatan:mayangan",
    "kecamatan:wonoasih",
];
const WEEKDAYS: [&str; 7] = [
    "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu",
];

/// Every rule an imported bundle must pass; all violations are returned, in file order.
pub fn validate(bundle: &ContentBundle) -> Result<(), Vec<RecordError>> {
    let errors = check(bundle, &BTreeSet::new());
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Runs the rules. `broken` names files that had parse errors: rules over a whole file and
/// references between files are skipped then, since the missing records would make them lie.
pub(super) fn check(bundle: &ContentBundle, broken: &BTreeSet<String>) -> Vec<RecordError> {
    let mut v = Checker {
        errors: Vec::new(),
        refs: broken.is_empty(),
    };
    let whole = |file: &str| !broken.contains(file);
    let holidays_whole = !broken
        .iter()
        .any(|f| f.starts_with(super::HOLIDAYS_FILE_PREFIX));
    v.opds(&bundle.opds);
    let opds: HashSet<&str> = bundle.opds.iter().map(|o| o.id.as_str()).collect();
    let topic_names: HashSet<&str> = bundle.topics.iter().map(|t| t.name.as_str()).collect();
    v.faqs(&bundle.faqs, &opds, &topic_names);
    v.services(&bundle.services, &opds);
    v.categories(&bundle.categories, &opds, whole(COMPLAINT_CATEGORIES_FILE));
    v.topics(&bundle.topics, &opds, whole(TOPICS_FILE));
    v.holidays(&bundle.holidays, holidays_whole);
    v.menus(bundle, whole(MENUS_FILE));
    v.errors
}

/// Things a person should look at but that do not block an import.
pub fn warnings(bundle: &ContentBundle) -> Vec<RecordError> {
    let mut out = Vec::new();
    for f in &bundle.faqs {
        let n = chars(&f.answer);
        if n > ANSWER_SOFT_LIMIT {
            out.push(RecordError::new(
                FAQ_FILE,
                &f.id,
                format!(
                    "`answer` lebih dari {ANSWER_SOFT_LIMIT} karakter ({n}); sebaiknya diringkas"
                ),
            ));
        }
    }
    let row_titles: HashSet<&str> = bundle
        .menus
        .menus
        .iter()
        .flat_map(|m| m.rows.iter().map(|r| r.title.as_str()))
        .collect();
    for f in &bundle.faqs {
        for label in menu_mentions(&f.answer) {
            if !row_titles.contains(label) {
                out.push(RecordError::new(
                    FAQ_FILE,
                    &f.id,
                    format!("`answer` menyebut menu *{label}*, tetapi tidak ada baris menu dengan judul itu"),
                ));
            }
        }
    }
    let mut used: HashSet<&str> = HashSet::new();
    for (opd_id, opd_ids) in bundle
        .faqs
        .iter()
        .map(|f| (&f.opd_id, &f.opd_ids))
        .chain(bundle.services.iter().map(|s| (&s.opd_id, &s.opd_ids)))
        .chain(bundle.categories.iter().map(|c| (&c.opd_id, &c.opd_ids)))
    {
        used.insert(opd_id);
        used.extend(opd_ids.iter().flatten().map(String::as_str));
    }
    used.extend(bundle.topics.iter().map(|t| t.opd_id.as_str()));
    used.extend(bundle.opds.iter().filter_map(|o| o.parent.as_deref()));
    for o in &bundle.opds {
        if !used.contains(o.id.as_str()) {
            out.push(RecordError::new(
                OPDS_FILE,
                &o.id,
                "tidak dirujuk oleh entri mana pun dan bukan induk OPD lain",
            ));
        }
    }
    out
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Lowercase ASCII words separated by `-`.
fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Approximates Unicode's "Symbol, other" / private-use classes the Python validator rejects,
/// while allowing the `‹ ›` quotes of the paging rows.
fn is_emoji(c: char) -> bool {
    matches!(u32::from(c),
        0xA9 | 0xAE | 0x200D | 0x20E3 | 0x2122 | 0x2139 | 0x3030 | 0x303D | 0x3297 | 0x3299
        | 0x2190..=0x21FF
        | 0x2300..=0x23FF
        | 0x2460..=0x24FF
        | 0x2500..=0x27BF
        | 0x2900..=0x297F
        | 0x2B00..=0x2BFF
        | 0xE000..=0xF8FF
        | 0xFE00..=0xFE0F
        | 0x1F000..)
}

/// Topic names quoted in an answer as "topik <Name> agar/untuk …", like the Python validator's
/// `topik ([A-Z][^\n.,*]*?)(?= agar| untuk|[\n.,]|$)`.
fn topic_mentions(text: &str) -> Vec<&str> {
    const LEAD: &str = "topik ";
    let mut out = Vec::new();
    let mut start = 0;
    while let Some(pos) = text[start..].find(LEAD) {
        let from = start + pos + LEAD.len();
        let rest = &text[from..];
        let mut end = None;
        if rest.starts_with(|c: char| c.is_ascii_uppercase()) {
            let mut idx = 1;
            loop {
                let tail = &rest[idx..];
                if tail.is_empty()
                    || tail.starts_with(" agar")
                    || tail.starts_with(" untuk")
                    || tail.starts_with(['\n', '.', ','])
                {
                    end = Some(idx);
                    break;
                }
                match tail.chars().next() {
                    Some('*') | None => break,
                    Some(c) => idx += c.len_utf8(),
                }
            }
        }
        match end {
            Some(e) => {
                out.push(&rest[..e]);
                start = from + e;
            }
            None => start = from,
        }
    }
    out
}

/// Menu labels an answer tells the citizen to tap: `menu *X*`, `pilih *X*`, `*MENU* → *X*`.
fn menu_mentions(text: &str) -> BTreeSet<&str> {
    let mut out = BTreeSet::new();
    for lead in ["menu *", "pilih *", "*MENU* → *"] {
        let mut start = 0;
        while let Some(pos) = text[start..].find(lead) {
            let from = start + pos + lead.len();
            start = from;
            if let Some(len) = text[from..].find('*') {
                if len > 0 && !text[from..from + len].contains('\n') {
                    out.insert(&text[from..from + len]);
                }
            }
        }
    }
    out
}

fn duplicates<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<(&'a str, usize)> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for id in ids {
        *counts.entry(id).or_default() += 1;
    }
    counts.into_iter().filter(|(_, n)| *n > 1).collect()
}

struct Checker {
    errors: Vec<RecordError>,
    /// False when some file did not parse: references between files are not checked then.
    refs: bool,
}

impl Checker {
    fn err(&mut self, file: &str, id: &str, reason: impl Into<String>) {
        self.errors.push(RecordError::new(file, id, reason));
    }

    fn required(&mut self, file: &str, id: &str, field: &str, value: &str) -> bool {
        if value.trim().is_empty() {
            self.err(file, id, format!("`{field}` kosong"));
            return false;
        }
        true
    }

    fn text(&mut self, file: &str, id: &str, field: &str, value: &str, limit: usize) {
        if !self.required(file, id, field, value) {
            return;
        }
        let n = chars(value);
        if n > limit {
            self.err(
                file,
                id,
                format!("`{field}` lebih dari {limit} karakter ({n})"),
            );
        }
    }

    /// A list-row text: one plain line, no emoji, no WhatsApp formatting.
    fn plain(&mut self, file: &str, id: &str, field: &str, value: &str, limit: usize) {
        self.text(file, id, field, value, limit);
        if value.trim().is_empty() {
            return;
        }
        if value.chars().any(is_emoji) {
            self.err(file, id, format!("`{field}` mengandung emoji"));
        }
        if value.contains(['\n', '\r']) {
            self.err(file, id, format!("`{field}` tidak boleh berisi baris baru"));
        }
        if value.contains(['*', '_', '~']) {
            self.err(
                file,
                id,
                format!("`{field}` tidak boleh berisi format WhatsApp (*, _, ~)"),
            );
        }
        if value != value.trim() || value.contains("  ") {
            self.err(file, id, format!("`{field}` berisi spasi berlebih"));
        }
    }

    fn strings(&mut self, file: &str, id: &str, field: &str, values: &[String], min: usize) {
        if values.len() < min {
            self.err(
                file,
                id,
                format!(
                    "`{field}` harus berisi minimal {min} entri ({})",
                    values.len()
                ),
            );
        }
        if values.iter().any(|s| s.trim().is_empty()) {
            self.err(file, id, format!("`{field}` berisi teks kosong"));
        }
    }

    /// Training phrases: optional, each one message long, no repeats within the entry.
    fn phrases(&mut self, file: &str, id: &str, phrases: &[String]) {
        if phrases.len() > PHRASES_LIMIT {
            self.err(
                file,
                id,
                format!(
                    "`phrases` berisi lebih dari {PHRASES_LIMIT} entri ({})",
                    phrases.len()
                ),
            );
        }
        self.strings(file, id, "phrases", phrases, 0);
        if let Some(long) = phrases.iter().find(|p| chars(p) > PHRASE_LENGTH_LIMIT) {
            self.err(
                file,
                id,
                format!(
                    "`phrases` berisi teks lebih dari {PHRASE_LENGTH_LIMIT} karakter: \"{}…\"",
                    long.chars().take(40).collect::<String>()
                ),
            );
        }
        let mut seen = HashSet::new();
        for phrase in phrases {
            if !seen.insert(phrase.trim().to_lowercase()) {
                self.err(
                    file,
                    id,
                    format!("`phrases` berisi entri ganda: \"{phrase}\""),
                );
            }
        }
    }

    fn unique_ids<'a>(&mut self, file: &str, ids: impl Iterator<Item = &'a str>) {
        for (id, n) in duplicates(ids) {
            self.err(file, id, format!("id ganda: dipakai {n} kali"));
        }
    }

    fn id_length(&mut self, file: &str, id: &str) {
        let n = chars(id);
        if n > ID_LIMIT {
            self.err(file, id, format!("id lebih dari {ID_LIMIT} karakter ({n})"));
        }
    }

    fn opd_refs(
        &mut self,
        file: &str,
        id: &str,
        opd_id: &str,
        opd_ids: Option<&Vec<String>>,
        opds: &HashSet<&str>,
    ) {
        if !self.required(file, id, "opd_id", opd_id) {
            return;
        }
        if self.refs && !opds.contains(opd_id) {
            self.err(
                file,
                id,
                format!("`opd_id` `{opd_id}` tidak ada di {OPDS_FILE}"),
            );
        }
        let Some(many) = opd_ids else {
            return;
        };
        let distinct: HashSet<&String> = many.iter().collect();
        if many.len() < 2 || distinct.len() != many.len() {
            self.err(
                file,
                id,
                "`opd_ids` harus berisi 2 id atau lebih yang berbeda",
            );
        } else if many[0] != opd_id {
            self.err(
                file,
                id,
                format!("`opd_ids[0]` harus sama dengan `opd_id` (`{opd_id}`)"),
            );
        }
        if self.refs {
            for m in many.iter().filter(|m| !opds.contains(m.as_str())) {
                self.err(
                    file,
                    id,
                    format!("`opd_ids` berisi `{m}` yang tidak ada di {OPDS_FILE}"),
                );
            }
        }
    }

    fn category(&mut self, file: &str, id: &str, category: &str) {
        if !FAQ_CATEGORIES.contains(&category) {
            self.err(
                file,
                id,
                format!("`category` `{category}` tidak ada dalam daftar kategori"),
            );
        }
    }

    fn opds(&mut self, opds: &[Opd]) {
        let f = OPDS_FILE;
        self.unique_ids(f, opds.iter().map(|o| o.id.as_str()));
        let parents: HashMap<&str, Option<&str>> = opds
            .iter()
            .map(|o| (o.id.as_str(), o.parent.as_deref()))
            .collect();
        for o in opds {
            let id = o.id.as_str();
            if !is_slug(id) {
                self.err(f, id, "id harus slug huruf kecil (a-z, 0-9, -)");
            }
            self.plain(f, id, "short_name", &o.short_name, ROW_TITLE);
            self.text(f, id, "name", &o.name, NAME_LIMIT);
            let Some(parent) = o.parent.as_deref() else {
                continue;
            };
            if !parents.contains_key(parent) {
                self.err(
                    f,
                    id,
                    format!("`parent` `{parent}` tidak ada di {OPDS_FILE}"),
                );
                continue;
            }
            let mut seen = HashSet::from([id]);
            let mut next = Some(parent);
            while let Some(p) = next {
                if !seen.insert(p) {
                    self.err(f, id, "rantai `parent` berputar (siklus)");
                    break;
                }
                next = parents.get(p).copied().flatten();
            }
        }
    }

    fn faqs(&mut self, faqs: &[Faq], opds: &HashSet<&str>, topic_names: &HashSet<&str>) {
        let f = FAQ_FILE;
        let answer_limit = TEXT_LIMIT - chars(UNVERIFIED_NOTE);
        self.unique_ids(f, faqs.iter().map(|e| e.id.as_str()));
        for e in faqs {
            let id = e.id.as_str();
            self.id_length(f, id);
            self.category(f, id, &e.category);
            match id.split_once('.') {
                Some((prefix, slug)) if is_slug(slug) => {
                    if prefix != e.category {
                        self.err(
                            f,
                            id,
                            format!("awalan id harus sama dengan `category` (`{}`)", e.category),
                        );
                    }
                }
                _ => self.err(
                    f,
                    id,
                    "id harus berbentuk `<category>.<slug>` (huruf kecil, angka, -)",
                ),
            }
            self.plain(f, id, "title", &e.title, ROW_TITLE);
            self.plain(f, id, "summary", &e.summary, ROW_DESCRIPTION);
            self.required(f, id, "question", &e.question);
            self.text(f, id, "answer", &e.answer, answer_limit);
            self.required(f, id, "opd", &e.opd);
            if !(3..=5).contains(&e.alt_questions.len()) {
                self.err(
                    f,
                    id,
                    format!(
                        "`alt_questions` harus berisi 3 sampai 5 entri ({})",
                        e.alt_questions.len()
                    ),
                );
            }
            self.strings(f, id, "alt_questions", &e.alt_questions, 0);
            self.phrases(f, id, &e.phrases);
            self.strings(f, id, "keywords", &e.keywords, 1);
            if e.keywords.iter().any(|k| k.to_lowercase() != *k) {
                self.err(f, id, "`keywords` harus huruf kecil");
            }
            self.opd_refs(f, id, &e.opd_id, e.opd_ids.as_ref(), opds);
            if self.refs {
                for name in topic_mentions(&e.answer) {
                    if !topic_names.contains(name) {
                        self.err(
                            f,
                            id,
                            format!(
                                "`answer` menyebut topik `{name}` yang tidak ada di {TOPICS_FILE}"
                            ),
                        );
                    }
                }
            }
        }
        let mut by_title: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for e in faqs {
            by_title
                .entry(e.title.to_lowercase())
                .or_default()
                .push(&e.id);
        }
        for ids in by_title.values().filter(|ids| ids.len() > 1) {
            for id in ids {
                self.err(
                    f,
                    id,
                    format!("`title` sama dengan FAQ lain ({})", ids.join(", ")),
                );
            }
        }
    }

    fn services(&mut self, services: &[Service], opds: &HashSet<&str>) {
        let f = SERVICES_FILE;
        self.unique_ids(f, services.iter().map(|s| s.id.as_str()));
        for s in services {
            let id = s.id.as_str();
            self.id_length(f, id);
            self.category(f, id, &s.category);
            let well_formed = id
                .strip_prefix("svc.")
                .and_then(|rest| rest.split_once('.'))
                .filter(|(_, slug)| is_slug(slug));
            match well_formed {
                Some((category, _)) if category == s.category => {}
                _ => self.err(
                    f,
                    id,
                    format!("id harus berbentuk `svc.{}.<slug>`", s.category),
                ),
            }
            self.plain(f, id, "short_name", &s.short_name, ROW_TITLE);
            // The full name is the list-row description under the short name.
            self.plain(f, id, "name", &s.name, ROW_DESCRIPTION);
            self.required(f, id, "description", &s.description);
            self.required(f, id, "opd", &s.opd);
            self.strings(f, id, "requirements", &s.requirements, 1);
            self.phrases(f, id, &s.phrases);
            self.strings(f, id, "steps", &s.steps, 1);
            self.required(f, id, "cost", &s.cost);
            self.required(f, id, "duration", &s.duration);
            self.required(f, id, "location", &s.location);
            let url = s.online_url.trim();
            if !(url.is_empty() || url.starts_with("https://") || url.starts_with("http://")) {
                self.err(f, id, "`online_url` harus diawali http:// atau https://");
            }
            if s.channel == super::Channel::Online && url.is_empty() {
                self.err(f, id, "`channel` online tetapi `online_url` kosong");
            }
            self.opd_refs(f, id, &s.opd_id, s.opd_ids.as_ref(), opds);
        }
        for ((category, name), n) in duplicates_by(services, |s| (&s.category, &s.short_name)) {
            self.err(
                f,
                "",
                format!("`short_name` `{name}` dipakai {n} kali di kategori `{category}`"),
            );
        }
    }

    fn categories(&mut self, cats: &[ComplaintCategory], opds: &HashSet<&str>, whole: bool) {
        let f = COMPLAINT_CATEGORIES_FILE;
        self.unique_ids(f, cats.iter().map(|c| c.id.as_str()));
        for c in cats {
            let id = c.id.as_str();
            self.id_length(f, id);
            if !is_slug(id) {
                self.err(f, id, "id harus slug huruf kecil (a-z, 0-9, -)");
            }
            self.required(f, id, "name", &c.name);
            self.required(f, id, "description", &c.description);
            self.plain(f, id, "short_name", &c.short_name, ROW_TITLE);
            self.plain(
                f,
                id,
                "short_description",
                &c.short_description,
                ROW_DESCRIPTION,
            );
            self.text(f, id, "notice", &c.notice, NOTICE_LIMIT);
            self.required(f, id, "opd", &c.opd);
            self.required(f, id, "sla_class", &c.sla_class);
            self.strings(f, id, "keywords", &c.keywords, 1);
            self.phrases(f, id, &c.phrases);
            let (response, resolution) =
                (c.sla_working_days_response, c.sla_working_days_resolution);
            if c.emergency {
                if response != 0 || resolution != 0 {
                    self.err(
                        f,
                        id,
                        "kategori darurat (`emergency`: true) harus ber-SLA 0 (segera, di luar hari kerja)",
                    );
                }
                if c.forward_to_lapor {
                    self.err(
                        f,
                        id,
                        "kategori darurat tidak boleh diteruskan ke SP4N-LAPOR! (`forward_to_lapor`)",
                    );
                }
            } else {
                if resolution == 0 {
                    self.err(
                        f,
                        id,
                        "`sla_working_days_resolution` 0 hanya untuk kategori darurat",
                    );
                }
                if response > resolution {
                    self.err(
                        f,
                        id,
                        format!(
                            "`sla_working_days_response` ({response}) lebih dari `sla_working_days_resolution` ({resolution})"
                        ),
                    );
                }
            }
            self.opd_refs(f, id, &c.opd_id, c.opd_ids.as_ref(), opds);
        }
        for (name, n) in duplicates(cats.iter().map(|c| c.short_name.as_str())) {
            self.err(f, "", format!("`short_name` `{name}` dipakai {n} kali"));
        }
        let emergencies = cats.iter().filter(|c| c.emergency).count();
        if whole && emergencies != 1 {
            self.err(
                f,
                "",
                format!("harus ada tepat satu kategori dengan `emergency`: true ({emergencies})"),
            );
        }
    }

    fn topics(&mut self, topics: &[Topic], opds: &HashSet<&str>, whole: bool) {
        let f = TOPICS_FILE;
        self.unique_ids(f, topics.iter().map(|t| t.id.as_str()));
        for t in topics {
            let id = t.id.as_str();
            self.id_length(f, id);
            let area = id.strip_prefix("kecamatan:");
            if !is_slug(area.unwrap_or(id)) {
                self.err(f, id, "id harus slug atau `kecamatan:<slug>`");
            }
            if (t.kind == TopicType::Wilayah) != area.is_some() {
                self.err(
                    f,
                    id,
                    "`type` wilayah tepat untuk id `kecamatan:<slug>`, selain itu tema",
                );
            }
            self.plain(f, id, "name", &t.name, ROW_TITLE);
            self.plain(f, id, "description", &t.description, ROW_DESCRIPTION);
            if self.required(f, id, "opd_id", &t.opd_id)
                && self.refs
                && !opds.contains(t.opd_id.as_str())
            {
                self.err(
                    f,
                    id,
                    format!("`opd_id` `{}` tidak ada di {OPDS_FILE}", t.opd_id),
                );
            }
        }
        let names: Vec<String> = topics.iter().map(|t| t.name.to_lowercase()).collect();
        for (name, n) in duplicates(names.iter().map(String::as_str)) {
            self.err(f, "", format!("`name` `{name}` dipakai {n} kali"));
        }
        if !whole {
            return;
        }
        let ids: HashSet<&str> = topics.iter().map(|t| t.id.as_str()).collect();
        for need in REQUIRED_TOPICS.iter().filter(|n| !ids.contains(*n)) {
            self.err(f, need, "topik wajib tidak ada");
        }
        let mut kec: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|i| i.starts_with("kecamatan:"))
            .collect();
        kec.sort_unstable();
        if kec != KECAMATAN {
            self.err(
                f,
                "",
                format!(
                    "topik wilayah harus tepat 5 kecamatan Kota Probolinggo ({})",
                    KECAMATAN.join(", ")
                ),
            );
        }
    }

    fn holidays(&mut self, cal: &HolidayCalendar, whole: bool) {
        let f = HOLIDAYS_LABEL;
        if whole && cal.entries.is_empty() {
            self.err(f, "", "`entries` kosong");
        }
        for (date, n) in duplicates_by(&cal.entries, |e| e.date) {
            self.err(
                f,
                &date.to_string(),
                format!("tanggal ganda: dipakai {n} kali"),
            );
        }
        let mut actual: BTreeMap<String, BTreeMap<String, u32>> = BTreeMap::new();
        for e in &cal.entries {
            let id = e.date.to_string();
            let expected = WEEKDAYS[e.date.weekday().num_days_from_monday() as usize];
            if e.day != expected {
                self.err(
                    f,
                    &id,
                    format!(
                        "`day` {} tidak sesuai tanggal (seharusnya {expected})",
                        e.day
                    ),
                );
            }
            if e.year != e.date.year() {
                self.err(f, &id, format!("`year` {} tidak sesuai tanggal", e.year));
            }
            self.required(f, &id, "name", &e.name);
            let kind = match e.kind {
                super::HolidayType::LiburNasional => "libur_nasional",
                super::HolidayType::CutiBersama => "cuti_bersama",
            };
            *actual
                .entry(e.date.year().to_string())
                .or_default()
                .entry(kind.to_string())
                .or_default() += 1;
        }
        if whole && !cal.counts.is_empty() {
            let years: BTreeSet<&String> = cal.counts.keys().chain(actual.keys()).collect();
            for year in years {
                for kind in ["libur_nasional", "cuti_bersama"] {
                    let get = |m: &BTreeMap<String, BTreeMap<String, u32>>| {
                        m.get(year).and_then(|k| k.get(kind)).copied().unwrap_or(0)
                    };
                    let (declared, found) = (get(&cal.counts), get(&actual));
                    if declared != found {
                        self.err(
                            f,
                            "counts",
                            format!("`counts` {year} {kind} = {declared}, tetapi `entries` berisi {found}"),
                        );
                    }
                }
            }
        }
    }
}

fn duplicates_by<'a, T, K: Ord>(items: &'a [T], key: impl Fn(&'a T) -> K) -> Vec<(K, usize)> {
    let mut counts: BTreeMap<K, usize> = BTreeMap::new();
    for item in items {
        *counts.entry(key(item)).or_default() += 1;
    }
    counts.into_iter().filter(|(_, n)| *n > 1).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(is_slug("rsud-mohamad-saleh"));
        assert!(is_slug("112"));
        assert!(!is_slug("Dinkes"));
        assert!(!is_slug("a--b"));
        assert!(!is_slug("-a"));
        assert!(!is_slug(""));
        assert!(!is_slug("a.b"));
    }

    #[test]
    fn emoji_detection_allows_paging_quotes() {
        assert!("Lainnya ›".chars().all(|c| !is_emoji(c)));
        assert!("‹ Menu Utama".chars().all(|c| !is_emoji(c)));
        assert!("Jalan rusak/berlubang (KTP-el)"
            .chars()
            .all(|c| !is_emoji(c)));
        assert!("Darurat 🚨".chars().any(is_emoji));
        assert!("⚠️ Awas".chars().any(is_emoji));
        assert!("★".chars().any(is_emoji));
    }

    #[test]
    fn topic_mentions_follow_the_python_regex() {
        let text = "Pilih topik Lowongan Kerja agar dapat info.\nAtau topik Event & Wisata.\n\
                    topik kecil tidak dihitung, topik *Tebal* juga tidak, topik Pajak";
        assert_eq!(
            topic_mentions(text),
            vec!["Lowongan Kerja", "Event & Wisata", "Pajak"]
        );
    }

    #[test]
    fn menu_mentions_find_all_three_forms() {
        let text = "Pilih menu *Buat Aduan*, lalu pilih *Kirim*. Atau ketik *MENU* → *Cek Aduan*.";
        let found: Vec<&str> = menu_mentions(text).into_iter().collect();
        assert_eq!(found, vec!["Buat Aduan", "Cek Aduan", "Kirim"]);
    }
}
