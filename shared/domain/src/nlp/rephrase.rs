//! Optional generative step (off by default): an LLM (Amazon Bedrock Converse behind the
//! `Rephraser` port of the application) may rephrase the retrieved passages for the citizen's question. The
//! output is checked in code before anyone sees it: it must cite passage ids, and every
//! number, date, phone number and URL in it must occur in the cited passages. Any failure —
//! port error, missing citation, invented fact — falls back to the verbatim answer.

/// A retrieved passage the model may use, with the id it must cite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePassage {
    pub id: String,
    pub text: String,
}

/// What the model returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rephrased {
    pub text: String,
    /// Ids of the passages the text is based on.
    pub cited: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RephraseError {
    #[error("model unavailable: {0}")]
    Unavailable(String),
    #[error("model output unusable: {0}")]
    Malformed(String),
}

/// Why a rephrased text was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardViolation {
    #[error("no passage cited")]
    NoCitation,
    #[error("cites an unknown passage: {0}")]
    UnknownCitation(String),
    #[error("number not in the passages: {0}")]
    Number(String),
    #[error("URL not in the passages: {0}")]
    Url(String),
    #[error("date word not in the passages: {0}")]
    DateWord(String),
    #[error("empty text")]
    Empty,
}

impl GuardViolation {
    /// The kind of violation without the offending text, for logs: the model may have echoed
    /// something of the citizen's question.
    pub fn kind(&self) -> &'static str {
        match self {
            GuardViolation::NoCitation => "no_citation",
            GuardViolation::UnknownCitation(_) => "unknown_citation",
            GuardViolation::Number(_) => "number",
            GuardViolation::Url(_) => "url",
            GuardViolation::DateWord(_) => "date_word",
            GuardViolation::Empty => "empty",
        }
    }
}

/// Told to the citizen under every rephrased answer: the wording is the machine's, the facts
/// are the official entry's, and the menu is one word away.
pub const SUMMARY_NOTE: &str =
    "_Ringkasan otomatis dari informasi resmi; balas MENU untuk pilihan lain._";

/// The message a citizen gets for a rephrased answer: the text without the passage ids the
/// model may have quoted inline (they mean nothing to a citizen), then [`SUMMARY_NOTE`].
pub fn rephrased_message(text: &str, passages: &[SourcePassage]) -> String {
    let mut cleaned = text.to_string();
    for p in passages {
        let quoted_forms = [
            format!(" [{}]", p.id),
            format!("[{}]", p.id),
            format!(" ({})", p.id),
            format!("({})", p.id),
        ];
        for quoted in quoted_forms {
            cleaned = cleaned.replace(&quoted, "");
        }
    }
    let lines: Vec<&str> = cleaned.lines().map(str::trim_end).collect();
    format!("{}\n\n{SUMMARY_NOTE}", lines.join("\n").trim())
}

const MONTHS: [&str; 24] = [
    "januari",
    "februari",
    "maret",
    "april",
    "mei",
    "juni",
    "juli",
    "agustus",
    "september",
    "oktober",
    "november",
    "desember",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "agu",
    "agt",
    "sep",
    "okt",
    "nov",
    "des",
];

const NUMBER_WORDS: [&str; 20] = [
    "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan", "sepuluh",
    "sebelas", "belas", "puluh", "seratus", "ratus", "seribu", "ribu", "juta", "miliar",
    "setengah",
];

/// Numbers of a text as digit strings. A dot, colon or comma between digits stays inside
/// the number ("08.00" -> "0800", "50.000" -> "50000"); a space or dash joins two groups only
/// when both have three or more digits, as in phone numbers ("0823-5065-7770"), so a range
/// like "08.00-14.00" stays two numbers.
fn numbers(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let run_len = |from: usize| {
        chars[from..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let mut out = Vec::new();
    let mut current = String::new();
    let mut group = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            current.push(c);
            group += 1;
        } else if !current.is_empty() && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
            let joins = match c {
                '.' | ':' | ',' => true,
                ' ' | '-' => group >= 3 && run_len(i + 1) >= 3,
                _ => false,
            };
            if joins {
                group = 0;
            } else {
                out.push(std::mem::take(&mut current));
                group = 0;
            }
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
            group = 0;
        }
        i += 1;
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn urls(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| {
                matches!(
                    c,
                    '(' | ')' | ',' | '.' | '*' | '_' | '"' | '\'' | ';' | ':' | '!' | '?'
                )
            })
            .to_lowercase()
        })
        .filter(|w| {
            w.starts_with("http://")
                || w.starts_with("https://")
                || w.starts_with("www.")
                || [".go.id", ".id/", ".com", ".org", ".net", ".co.id", ".id"]
                    .iter()
                    .any(|s| {
                        w.contains(s) && w.chars().any(char::is_alphabetic) && !w.contains('@')
                    })
        })
        .map(|w| {
            w.trim_start_matches("https://")
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .to_string()
        })
        .collect()
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Checks a rephrased text against the passages it may use.
pub fn guard(output: &Rephrased, passages: &[SourcePassage]) -> Result<(), GuardViolation> {
    if output.text.trim().is_empty() {
        return Err(GuardViolation::Empty);
    }
    if output.cited.is_empty() {
        return Err(GuardViolation::NoCitation);
    }
    let mut source = String::new();
    for id in &output.cited {
        match passages.iter().find(|p| &p.id == id) {
            Some(p) => {
                source.push_str(&p.text);
                source.push('\n');
            }
            None => return Err(GuardViolation::UnknownCitation(id.clone())),
        }
    }
    // The text itself may mention the cited ids; they are not facts.
    let mut text = output.text.clone();
    for id in &output.cited {
        text = text.replace(id.as_str(), " ");
    }
    let source_numbers = numbers(&source);
    // Phone numbers may be grouped differently ("(0335) 4438894" vs "0335 4438894"): long
    // numbers are also looked up in the source's digits run together.
    let source_digits: String = source.chars().filter(char::is_ascii_digit).collect();
    for n in numbers(&text) {
        let found =
            source_numbers.iter().any(|s| s == &n) || (n.len() >= 7 && source_digits.contains(&n));
        if !found {
            return Err(GuardViolation::Number(n));
        }
    }
    let source_urls = urls(&source);
    for u in urls(&text) {
        if !source_urls.iter().any(|s| s == &u) {
            return Err(GuardViolation::Url(u));
        }
    }
    let source_words = words(&source);
    for w in words(&text) {
        let is_date_word = MONTHS.contains(&w.as_str()) || NUMBER_WORDS.contains(&w.as_str());
        if is_date_word && !source_words.contains(&w) {
            return Err(GuardViolation::DateWord(w));
        }
    }
    Ok(())
}

/// System and user prompt for Bedrock Converse: rephrase only from the passages, cite ids.
pub fn converse_prompt(question: &str, passages: &[SourcePassage]) -> (String, String) {
    let system = "Anda adalah asisten layanan WhatsApp resmi Pemerintah Kota Probolinggo. \
Jawab HANYA dengan informasi dari potongan teks yang diberikan, dalam Bahasa Indonesia yang \
singkat dan sopan. Jangan menambah angka, tanggal, nomor telepon, alamat web, biaya, atau syarat \
yang tidak tertulis di potongan teks. Akhiri jawaban dengan baris `SUMBER: <id>[, <id>]` berisi \
id potongan yang Anda pakai. Jika potongan tidak menjawab pertanyaan, tulis hanya `TIDAK TAHU`."
        .to_string();
    let mut user = String::new();
    for p in passages {
        user.push_str(&format!("[{}]\n{}\n\n", p.id, p.text));
    }
    user.push_str(&format!("Pertanyaan warga: {question}"));
    (system, user)
}

/// Parses a model reply written as `converse_prompt` asks (`… SUMBER: a, b`).
pub fn parse_reply(reply: &str) -> Result<Rephrased, RephraseError> {
    let trimmed = reply.trim();
    if trimmed.eq_ignore_ascii_case("TIDAK TAHU") {
        return Err(RephraseError::Malformed("model did not know".to_string()));
    }
    let Some(pos) = trimmed.rfind("SUMBER:") else {
        return Err(RephraseError::Malformed("no SUMBER line".to_string()));
    };
    let cited: Vec<String> = trimmed[pos + "SUMBER:".len()..]
        .split(',')
        .map(|s| s.trim().trim_matches(|c| c == '[' || c == ']').to_string())
        .filter(|s| !s.is_empty())
        .collect();
    Ok(Rephrased {
        text: trimmed[..pos].trim().to_string(),
        cited,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_group_like_people_write_them() {
        assert_eq!(numbers("08.00-14.00"), ["0800", "1400"]);
        assert_eq!(
            numbers("0823-5065-7770 dan 50.000"),
            ["082350657770", "50000"]
        );
        assert_eq!(numbers("(0335) 4438894"), ["0335", "4438894"]);
        assert_eq!(numbers("0335 4438894"), ["03354438894"]);
    }

    #[test]
    fn rephrased_message_drops_quoted_ids_and_adds_the_note() {
        let passages = [SourcePassage {
            id: "faq.ktp".to_string(),
            text: "Bawa KK.".to_string(),
        }];
        assert_eq!(
            rephrased_message("Cukup bawa KK [faq.ktp].  \nGratis (faq.ktp)", &passages),
            format!("Cukup bawa KK.\nGratis\n\n{SUMMARY_NOTE}")
        );
    }
}
