//! Global keywords and greetings: recognised from any state, in any case, with punctuation,
//! stretched letters (`haloooo`) and polite fillers (`menu min`, `stop ya kak`) around them.
//!
//! A keyword must be the whole message (fillers aside): `mulai` alone opts in, but
//! "mulai kapan pendaftaran SPMB?" is a question, and "stop kontak rusak" is not an opt-out.

/// A command typed by the citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// `MENU`: the main menu.
    Menu,
    /// `BATAL`: cancel the flow in progress (or end a handoff).
    Cancel,
    /// `BANTUAN`: what the bot understands.
    Help,
    /// `OPERATOR` / `PETUGAS`: hand the conversation to a human.
    Operator,
    /// `STOP` / `BERHENTI`: opt out of broadcasts (complaint notifications continue).
    Stop,
    /// `MULAI` / `LANGGANAN`: opt in, choosing topics.
    Start,
    /// A greeting alone: opens the main menu.
    Greeting,
    /// `HAPUS DATA SAYA`: the citizen asks for their data to be erased (UU 27/2022); an
    /// admin confirms it, the bot only records the request.
    EraseData,
}

const MENU: &[&str] = &[
    "menu",
    "menu utama",
    "main menu",
    "lihat menu",
    "tampilkan menu",
    "buka menu",
];
const CANCEL: &[&str] = &[
    "batal",
    "batalkan",
    "cancel",
    "gak jadi",
    "tidak jadi",
    "ga jadi",
];
const HELP: &[&str] = &["bantuan", "help", "panduan", "petunjuk"];
const OPERATOR: &[&str] = &[
    "operator",
    "petugas",
    "bicara dengan petugas",
    "bicara ke petugas",
    "hubungi petugas",
    "chat petugas",
    "minta petugas",
    "bicara dengan operator",
    "hubungi operator",
    "cs",
    "customer service",
];
const STOP: &[&str] = &[
    "stop",
    "berhenti",
    "stop langganan",
    "berhenti langganan",
    "unsubscribe",
    "unreg",
];
const ERASE_DATA: &[&str] = &[
    "hapus data saya",
    "hapus data",
    "hapus semua data saya",
    "hapus data pribadi saya",
];
const START: &[&str] = &[
    "mulai",
    "langganan",
    "langganan info",
    "mulai langganan",
    "subscribe",
];
/// Words that may make up a greeting (in any combination, e.g. `selamat pagi`,
/// `assalamualaikum wr wb`, `halo selamat siang`).
const GREETING_WORDS: &[&str] = &[
    "halo",
    "hallo",
    "helo",
    "hello",
    "hai",
    "hi",
    "hei",
    "hey",
    "hy",
    "pagi",
    "siang",
    "sore",
    "malam",
    "selamat",
    "met",
    "assalamualaikum",
    "asalamualaikum",
    "assalamu",
    "alaikum",
    "ass",
    "askum",
    "wr",
    "wb",
    "warahmatullahi",
    "wabarakatuh",
    "salam",
    "permisi",
    "punten",
    "kulonuwun",
    "sugeng",
    "enjing",
    "sonten",
    "dalu",
    "p",
    "ping",
    "tes",
    "test",
    "om",
    "swastiastu",
    "shalom",
];
/// Forms of address and particles that do not change what a short message means.
const FILLERS: &[&str] = &[
    "min", "mimin", "admin", "kak", "ka", "kakak", "pak", "bu", "bapak", "ibu", "mas", "mbak",
    "mba", "gan", "sis", "lur", "bos", "ya", "iya", "dong", "donk", "deh", "nih", "sih", "aja",
    "saja", "please", "pls", "kah", "lah", "yah", "ok", "oke",
];

/// Lowercase words of `text`: letters and digits only (apostrophes join, everything else
/// separates), each run of a repeated letter squeezed to one (`haloooo` → `halo`,
/// `langganan` → `langanan`; keyword lists are squeezed the same way before comparing).
pub fn words(text: &str) -> Vec<String> {
    let mut cleaned = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() {
            cleaned.extend(c.to_lowercase());
        } else if c == '\'' || c == '’' || c == '`' {
            // "assalamu'alaikum" is one word.
        } else {
            cleaned.push(' ');
        }
    }
    cleaned.split_whitespace().map(squeeze).collect()
}

/// `word` with each run of a repeated letter squeezed to one (digits are kept as typed).
pub fn squeeze(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut last = None;
    for c in word.chars() {
        if Some(c) != last || c.is_ascii_digit() {
            out.push(c);
        }
        last = Some(c);
    }
    out
}

fn squeezed_phrase(phrase: &str) -> String {
    words(phrase).join(" ")
}

fn is_in(word: &str, list: &[&str]) -> bool {
    list.iter().any(|w| squeeze(w) == word)
}

/// The keyword a whole message is, if any.
pub fn detect(text: &str) -> Option<Keyword> {
    let all = words(text);
    if all.is_empty() {
        return None;
    }
    let meaningful: Vec<&str> = all
        .iter()
        .map(String::as_str)
        .filter(|w| !is_in(w, FILLERS))
        .collect();
    if meaningful.is_empty() {
        // "min", "kak", "admin": someone calling for attention.
        return Some(Keyword::Greeting);
    }
    let phrase = meaningful.join(" ");
    let table: [(&[&str], Keyword); 7] = [
        (MENU, Keyword::Menu),
        (CANCEL, Keyword::Cancel),
        (HELP, Keyword::Help),
        (OPERATOR, Keyword::Operator),
        (STOP, Keyword::Stop),
        (START, Keyword::Start),
        (ERASE_DATA, Keyword::EraseData),
    ];
    for (list, keyword) in table {
        if list.iter().any(|k| squeezed_phrase(k) == phrase) {
            return Some(keyword);
        }
    }
    if meaningful.iter().all(|w| is_in(w, GREETING_WORDS)) {
        return Some(Keyword::Greeting);
    }
    None
}

/// Whether a message (in a topic choice) means "I am done".
pub fn is_done(text: &str) -> bool {
    let phrase = words(text)
        .into_iter()
        .filter(|w| !is_in(w, FILLERS))
        .collect::<Vec<_>>()
        .join(" ");
    [
        "selesai",
        "sudah",
        "cukup",
        "done",
        "sudah cukup",
        "udah",
        "sdh",
    ]
    .iter()
    .any(|k| squeezed_phrase(k) == phrase)
}

/// Whether the whole message is one of the phrases of `list`: its words (see [`words`])
/// joined by single spaces equal an entry as written.
pub(super) fn phrase_in(text: &str, list: &[&str]) -> bool {
    let said = words(text).join(" ");
    list.iter().any(|w| *w == said)
}

/// Whether two texts are the same words (case, punctuation and stretching aside).
pub fn same_words(a: &str, b: &str) -> bool {
    let a = words(a);
    !a.is_empty() && a == words(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The help text names every command a citizen can type (its first phrase, in bold
    /// capitals), so a new command is not a secret.
    #[test]
    fn the_help_text_names_every_command() {
        for list in [MENU, CANCEL, HELP, OPERATOR, STOP, START, ERASE_DATA] {
            let shown = format!("*{}*", list[0].to_uppercase());
            assert!(
                crate::dialog::texts::HELP.contains(&shown),
                "{shown} is missing from the help text"
            );
        }
    }

    #[test]
    fn keywords_ignore_case_punctuation_stretching_and_fillers() {
        assert_eq!(detect("MENU"), Some(Keyword::Menu));
        assert_eq!(detect("  menu!!  "), Some(Keyword::Menu));
        assert_eq!(detect("menu utama min"), Some(Keyword::Menu));
        assert_eq!(detect("Batal."), Some(Keyword::Cancel));
        assert_eq!(detect("bantuan?"), Some(Keyword::Help));
        assert_eq!(detect("OPERATOR"), Some(Keyword::Operator));
        assert_eq!(detect("petugas dong kak"), Some(Keyword::Operator));
        assert_eq!(detect("STOP"), Some(Keyword::Stop));
        assert_eq!(detect("HAPUS DATA SAYA"), Some(Keyword::EraseData));
        assert_eq!(detect("  hapus   Data  saya!! "), Some(Keyword::EraseData));
        assert_eq!(detect("Hapus data saya ya min"), Some(Keyword::EraseData));
        assert_eq!(detect("hapus data saya dari aduan kemarin bagaimana"), None);
        assert_eq!(detect("Berhenti"), Some(Keyword::Stop));
        assert_eq!(detect("mulai"), Some(Keyword::Start));
        assert_eq!(detect("LANGGANAN"), Some(Keyword::Start));
        assert_eq!(detect("langganaaan"), Some(Keyword::Start));
    }

    #[test]
    fn greetings_alone_are_greetings() {
        for g in [
            "halo",
            "Haloooo min",
            "hai kak",
            "Selamat pagi",
            "pagi",
            "Assalamu'alaikum wr. wb.",
            "assalamualaikum",
            "permisi",
            "P",
            "Hallo, selamat siang pak",
            "min",
        ] {
            assert_eq!(detect(g), Some(Keyword::Greeting), "{g}");
        }
    }

    #[test]
    fn keywords_inside_sentences_are_not_commands() {
        for t in [
            "mulai kapan pendaftaran spmb",
            "stop kontak di balai kota rusak",
            "halo mau tanya syarat ktp",
            "menu makanan khas probolinggo apa",
            "petugas kebersihan tidak datang",
            "",
            "   ",
        ] {
            assert_eq!(detect(t), None, "{t}");
        }
    }

    #[test]
    fn done_words() {
        assert!(is_done("Selesai"));
        assert!(is_done("sudah kak"));
        assert!(!is_done("sudah bayar pbb"));
        assert!(same_words("Info Kesehatan", "info   kesehatan!"));
        assert!(!same_words("", ""));
    }
}
