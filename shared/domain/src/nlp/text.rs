//! Text normalisation: PII masking (run first, so nothing after it — logs included — sees a NIK
//! or a phone number), then lowercasing, URL/emoji/punctuation removal, reduplication and
//! elongation. Everything here is pure and allocation-light: it runs on every message.

/// Placeholder for a 16-digit NIK (or KK number: same shape, same sensitivity).
pub const NIK_MASK: &str = "[NIK]";
/// Placeholder for an Indonesian phone number (+62…, 62 8…, 08…, (0335) …).
pub const PHONE_MASK: &str = "[TELP]";
/// Placeholder for any other run of 10 or more digits (BPJS card, NOP PBB, account numbers).
pub const NUMBER_MASK: &str = "[NOMOR]";
/// Placeholder for an e-mail address.
pub const EMAIL_MASK: &str = "[EMAIL]";

/// The placeholders as the tokeniser sees them (after lowercasing).
const LOWER_MASKS: [&str; 4] = ["[nik]", "[telp]", "[nomor]", "[email]"];

/// Replaces NIK/KK numbers, phone numbers, other long digit runs and e-mail addresses by
/// placeholders. Digit groups separated by one space, dot or dash are joined first, because
/// citizens type `0812-3456-7890` or `3574 0123 4567 0001`.
pub fn mask_pii(text: &str) -> String {
    let without_email = mask_emails(text);
    mask_digit_runs(&without_email)
}

/// Borrows the text when it has no `@` (nearly always): the digit pass copies it anyway.
fn mask_emails(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('@') {
        return std::borrow::Cow::Borrowed(text);
    }
    let masked: String = text
        .split(' ')
        .map(|word| {
            if looks_like_email(word) {
                EMAIL_MASK
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    std::borrow::Cow::Owned(masked)
}

fn looks_like_email(word: &str) -> bool {
    let trimmed = word.trim_matches(|c: char| !c.is_alphanumeric());
    match trimmed.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        }
        None => false,
    }
}

/// A maximal group of consecutive ASCII digits, by byte offsets.
#[derive(Clone, Copy)]
struct Group {
    start: usize,
    end: usize,
}

fn mask_digit_runs(text: &str) -> String {
    let bytes = text.as_bytes();
    // Collect digit groups; a "chain" is a sequence of groups separated by exactly one
    // separator character (space, dot, dash) or wrapped like "(0335) 4438894".
    let mut groups: Vec<Group> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            groups.push(Group { start, end: i });
        } else {
            i += 1;
        }
    }
    if groups.is_empty() {
        return text.to_string();
    }
    let mut replacements: Vec<(usize, usize, &str)> = Vec::new();
    let mut g = 0;
    while g < groups.len() {
        // Extend the chain while the gap to the next group is one separator.
        let mut chain_end = g;
        while chain_end + 1 < groups.len()
            && joinable(bytes, groups[chain_end].end, groups[chain_end + 1].start)
        {
            chain_end += 1;
        }
        // Longest PII span starting at g inside the chain, else move on by one group.
        let mut matched = None;
        let mut last = chain_end;
        loop {
            let digits = collect_digits(bytes, &groups[g..=last]);
            let plus = groups[g].start > 0 && bytes[groups[g].start - 1] == b'+';
            let bounded = !alnum_at(
                bytes,
                groups[g].start.wrapping_sub(if plus { 2 } else { 1 }),
            ) && !alnum_at(bytes, groups[last].end);
            if bounded {
                if let Some(mask) = classify(&digits, plus) {
                    matched = Some((last, mask, plus));
                    break;
                }
            }
            if last == g {
                break;
            }
            last -= 1;
        }
        match matched {
            Some((last, mask, plus)) => {
                let mut start = groups[g].start;
                if plus {
                    start -= 1;
                }
                // "(0335) 4438894": swallow the opening parenthesis too.
                if start > 0 && bytes[start - 1] == b'(' {
                    start -= 1;
                }
                replacements.push((start, groups[last].end, mask));
                g = last + 1;
            }
            None => g += 1,
        }
    }
    if replacements.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut cursor = 0;
    for (start, end, mask) in replacements {
        out.push_str(&text[cursor..start]);
        out.push_str(mask);
        cursor = end;
    }
    out.push_str(&text[cursor..]);
    out
}

fn alnum_at(bytes: &[u8], index: usize) -> bool {
    bytes.get(index).is_some_and(|b| b.is_ascii_alphanumeric())
}

fn joinable(bytes: &[u8], end: usize, next_start: usize) -> bool {
    let gap = &bytes[end..next_start];
    matches!(
        gap,
        [b' ' | b'-' | b'.'] | [b')', b' '] | [b')'] | [b')', b'-']
    )
}

fn collect_digits(bytes: &[u8], groups: &[Group]) -> String {
    let mut digits = String::new();
    for group in groups {
        for &b in &bytes[group.start..group.end] {
            digits.push(char::from(b));
        }
    }
    digits
}

fn classify(digits: &str, plus: bool) -> Option<&'static str> {
    let n = digits.len();
    if n == 16 {
        return Some(NIK_MASK);
    }
    let international = digits.starts_with("62")
        && (10..=15).contains(&n)
        && (plus || digits[2..].starts_with('8'));
    let national = digits.starts_with('0') && (9..=13).contains(&n);
    if international || national {
        return Some(PHONE_MASK);
    }
    if n >= 10 {
        return Some(NUMBER_MASK);
    }
    None
}

/// Lowercases and splits a (masked) message into word tokens: URLs, emoji, placeholders and
/// punctuation go; apostrophes join (`jum'at` → `jumat`); `anak-anak`, `anak2` and
/// `dibentak-bentak` reduce to one word; `300rb` splits into `300 rb`.
pub fn tokenize(text: &str) -> Vec<String> {
    Words::of(text).iter().map(str::to_string).collect()
}

/// A message's [`tokenize`]d words in one buffer: tokenised once and read by everything that
/// works on the plain words (the taught-phrase key, the classifier's n-grams).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Words {
    buf: String,
    spans: Vec<(usize, usize)>,
}

impl Words {
    pub fn of(text: &str) -> Self {
        let mut words = Self {
            buf: String::with_capacity(text.len()),
            spans: Vec::new(),
        };
        tokenize_into(text, &mut words.buf, &mut words.spans);
        words
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.spans.iter().map(|&(start, end)| &self.buf[start..end])
    }

    /// The words joined by single spaces.
    pub fn joined(&self) -> String {
        let mut out = String::with_capacity(self.buf.len());
        for (i, word) in self.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(word);
        }
        out
    }
}

/// [`tokenize`] without a string per token: appends the tokens' text to `buf` and one byte
/// range of `buf` per token to `spans` (what every message takes; the words of a message
/// were a large share of its allocations).
pub fn tokenize_into(text: &str, buf: &mut String, spans: &mut Vec<(usize, usize)>) {
    let start = buf.len();
    // Only a word with non-ASCII letters or a placeholder needs a lower-cased copy first:
    // the rest is lower-cased byte by byte as it is written.
    let mut lower = String::new();
    let mut write_word = |word: &str| {
        let bytes = word.as_bytes();
        let starts_with = |prefix: &str| {
            bytes
                .get(..prefix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
        };
        if starts_with("http://") || starts_with("https://") || starts_with("www.") {
            buf.push(' ');
            return;
        }
        if word.is_ascii() && !bytes.contains(&b'[') {
            for &b in bytes {
                match b.to_ascii_lowercase() {
                    b'\'' | b'`' => {}
                    c @ (b'a'..=b'z' | b'0'..=b'9' | b'-') => buf.push(char::from(c)),
                    _ => buf.push(' '),
                }
            }
        } else {
            lower.clear();
            lower.extend(word.chars().flat_map(char::to_lowercase));
            if lower.contains('[') {
                for mask in LOWER_MASKS {
                    if lower.contains(mask) {
                        lower = lower.replace(mask, " ");
                    }
                }
            }
            for c in lower.chars() {
                match c {
                    '\'' | '’' | '`' | '‘' => {}
                    'a'..='z' | '0'..='9' | '-' => buf.push(c),
                    'é' | 'è' | 'ê' => buf.push('e'),
                    'á' | 'à' | 'â' => buf.push('a'),
                    _ => buf.push(' '),
                }
            }
        }
        buf.push(' ');
    };
    // ASCII whitespace is Unicode whitespace but for the vertical tab.
    if text.is_ascii() && !text.contains('\x0B') {
        text.split_ascii_whitespace().for_each(&mut write_word);
    } else {
        text.split_whitespace().for_each(&mut write_word);
    }
    // Everything written above is ASCII, so byte offsets are character boundaries.
    let end = buf.len();
    let mut pos = start;
    // A word has one part unless it is hyphenated: parts are kept on the stack, and only a
    // word of more than eight parts needs the heap.
    let mut inline = [(0usize, 0usize); 8];
    let mut spilled: Vec<(usize, usize)> = Vec::new();
    while pos < end {
        if buf.as_bytes()[pos] == b' ' {
            pos += 1;
            continue;
        }
        let word_end = buf.as_bytes()[pos..end]
            .iter()
            .position(|&b| b == b' ')
            .map_or(end, |n| pos + n);
        let mut count = 0;
        for_each_part(buf, pos, word_end, |part| {
            if let Some(slot) = inline.get_mut(count) {
                *slot = part;
            }
            count += 1;
        });
        let parts = if count <= inline.len() {
            &inline[..count]
        } else {
            spilled.clear();
            for_each_part(buf, pos, word_end, |part| spilled.push(part));
            &spilled[..]
        };
        if let [(a0, a1), (b0, b1)] = *parts {
            if buf[a0..a1] == buf[b0..b1] && LEXICAL_REDUPLICATIONS.contains(&&buf[a0..a1]) {
                push_joined(buf, &buf[a0..a1].repeat(2), spans);
                pos = word_end;
                continue;
            }
        }
        let kept = collapse_hyphen_reduplication(buf, parts);
        for &(s, e) in &parts[kept] {
            push_part(buf, s, e, spans);
        }
        pos = word_end;
    }
}

/// Reduplications that are words of their own, not a plural or an intensive: "oleh-oleh"
/// (souvenirs) is not "oleh" (by, a stopword), and "tidak jadi-jadi" (never gets done, a
/// complaint) is not "tidak jadi" (never mind). Written with a hyphen or a 2 they become one
/// token, the word twice ("oleholeh", "jadijadi"); the lexicon reads them with a space the
/// same way.
const LEXICAL_REDUPLICATIONS: [&str; 2] = ["oleh", "jadi"];

/// Question words whose reduplication is indefinite ("tidak ada apa-apa").
const INDEFINITE_REDUPLICATIONS: [&str; 2] = ["apa", "siapa"];

/// Appends `token` to `buf` and its span to `spans`.
fn push_joined(buf: &mut String, token: &str, spans: &mut Vec<(usize, usize)>) {
    let at = buf.len();
    buf.push_str(token);
    spans.push((at, buf.len()));
}

/// Calls `f` with the byte range of each non-empty hyphen-separated part of `buf[from..to]`.
fn for_each_part(buf: &str, from: usize, to: usize, mut f: impl FnMut((usize, usize))) {
    let mut part_start = from;
    for i in from..=to {
        if i == to || buf.as_bytes()[i] == b'-' {
            if i > part_start {
                f((part_start, i));
            }
            part_start = i + 1;
        }
    }
}

/// The parts a hyphenated word keeps (byte ranges of `buf`): `anak-anak` → `anak`,
/// `anak-anaknya` → `anaknya`, anything else → all its parts.
fn collapse_hyphen_reduplication(buf: &str, parts: &[(usize, usize)]) -> std::ops::Range<usize> {
    if let [(a0, a1), (b0, b1)] = parts {
        let (a, b) = (&buf[*a0..*a1], &buf[*b0..*b1]);
        // "apa-apa", "siapa-siapa" mean anything, anyone, not the question words: both
        // parts stay, and the lexicon reads the pair.
        if a == b && INDEFINITE_REDUPLICATIONS.contains(&a) {
            return 0..2;
        }
        // anak-anak, tiba-tiba; dibentak-bentak; anak-anaknya.
        if a == b || (a.ends_with(b) && b.len() >= 3) {
            return 0..1;
        }
        if let Some(rest) = b.strip_prefix(a) {
            if matches!(rest, "nya" | "an" | "ku" | "mu") {
                return 1..2;
            }
        }
    }
    0..parts.len()
}

/// Adds the token(s) of one part `buf[s..e]`; a part that is rewritten ("anak2nya" →
/// "anaknya") is appended to `buf` first.
fn push_part(buf: &mut String, s: usize, e: usize, spans: &mut Vec<(usize, usize)>) {
    let part = &buf[s..e];
    let bytes = part.as_bytes();
    // Chat reduplication: anak2, jadi2, anak2nya.
    if let Some(pos) = part.find('2') {
        let (head, tail) = (&part[..pos], &part[pos + 1..]);
        if head.len() >= 2
            && head.bytes().all(|b| b.is_ascii_lowercase())
            && tail.bytes().all(|b| b.is_ascii_lowercase())
        {
            // "apa2" is "apa-apa": two parts, which the lexicon reads as "anything".
            if tail.is_empty() && INDEFINITE_REDUPLICATIONS.contains(&head) {
                let head = head.to_string();
                push_joined(buf, &head, spans);
                push_joined(buf, &head, spans);
                return;
            }
            let joined = if tail.is_empty() && LEXICAL_REDUPLICATIONS.contains(&head) {
                head.repeat(2)
            } else {
                format!("{head}{tail}")
            };
            push_joined(buf, &joined, spans);
            return;
        }
    }
    // 300rb, 17th, 3x, 2bln: a number followed by a unit.
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits > 0 && digits < bytes.len() && bytes[digits..].iter().all(|b| b.is_ascii_lowercase())
    {
        spans.push((s, s + digits));
        spans.push((s + digits, e));
        return;
    }
    spans.push((s, e));
}

/// Whether a token has a run of three equal bytes: the cheap test before
/// [`fix_elongation`].
pub fn looks_elongated(token: &str) -> bool {
    token
        .as_bytes()
        .windows(3)
        .any(|w| w[0] == w[1] && w[1] == w[2])
}

/// Repairs elongated words ("tolongggg", "pleasee"): every run of three or more equal letters
/// becomes two letters when that spelling is known, else one.
///
/// Takes the token by value: almost no word is elongated, and those that are not come back
/// without a copy.
pub fn fix_elongation(token: String, is_known: impl Fn(&str) -> bool) -> String {
    if !looks_elongated(&token) {
        return token;
    }
    let chars: Vec<char> = token.chars().collect();
    let mut has_run = false;
    let mut i = 0;
    while i < chars.len() {
        let mut j = i;
        while j < chars.len() && chars[j] == chars[i] {
            j += 1;
        }
        if j - i >= 3 && chars[i].is_alphabetic() {
            has_run = true;
        }
        i = j;
    }
    if !has_run {
        return token;
    }
    let collapse = |keep: usize| -> String {
        let mut out = String::with_capacity(token.len());
        let mut i = 0;
        while i < chars.len() {
            let mut j = i;
            while j < chars.len() && chars[j] == chars[i] {
                j += 1;
            }
            let run = j - i;
            let n = if run >= 3 && chars[i].is_alphabetic() {
                keep
            } else {
                run
            };
            for _ in 0..n {
                out.push(chars[i]);
            }
            i = j;
        }
        out
    };
    let two = collapse(2);
    if is_known(&two) {
        return two;
    }
    collapse(1)
}

/// Surface features of the raw message that intent detection uses (they vanish in the tokens).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Surface {
    pub question_mark: bool,
    pub exclamations: usize,
    /// Share of upper-case letters among letters (shouting), 0 when there are fewer than 8.
    pub upper_ratio: f64,
}

impl Surface {
    pub fn of(text: &str) -> Self {
        let mut letters = 0usize;
        let mut upper = 0usize;
        let mut question_mark = false;
        let mut exclamations = 0usize;
        let mut ascii = |b: u8| {
            letters += usize::from(b.is_ascii_alphabetic());
            upper += usize::from(b.is_ascii_uppercase());
            question_mark |= b == b'?';
            exclamations += usize::from(b == b'!');
        };
        // One pass over the bytes of an ASCII message (nearly all); the Unicode letter tables
        // only for other characters.
        let (mut other_letters, mut other_upper) = (0, 0);
        if text.is_ascii() {
            text.bytes().for_each(ascii);
        } else {
            for c in text.chars() {
                if c.is_ascii() {
                    ascii(c as u8);
                } else if c.is_alphabetic() {
                    other_letters += 1;
                    other_upper += usize::from(c.is_uppercase());
                }
            }
        }
        letters += other_letters;
        upper += other_upper;
        Self {
            question_mark,
            exclamations,
            upper_ratio: if letters >= 8 {
                upper as f64 / letters as f64
            } else {
                0.0
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_separated_phone_and_keeps_short_numbers() {
        assert_eq!(mask_pii("wa 0812-3456-7890 rt 02"), "wa [TELP] rt 02");
        assert_eq!(mask_pii("jam 7 sampai 12"), "jam 7 sampai 12");
    }

    #[test]
    fn placeholders_are_known_to_the_tokeniser_in_lower_case() {
        let masks = [NIK_MASK, PHONE_MASK, NUMBER_MASK, EMAIL_MASK].map(str::to_lowercase);
        assert_eq!(masks, LOWER_MASKS);
        assert!(tokenize(&mask_pii("nik 3574012345670001 email a@b.id"))
            .iter()
            .all(|t| t == "nik" || t == "email"));
    }

    #[test]
    fn hyphen_and_digit_reduplication() {
        assert_eq!(
            tokenize("anak-anak anak2nya dibentak-bentak"),
            ["anak", "anaknya", "dibentak"]
        );
        assert_eq!(tokenize("300rb"), ["300", "rb"]);
        // A reduplication that is a word of its own keeps both halves, however written.
        assert_eq!(
            tokenize("oleh-oleh oleh2 dibuat oleh"),
            ["oleholeh", "oleholeh", "dibuat", "oleh"]
        );
        assert_eq!(
            tokenize("ga jadi2, tidak jadi-jadi, jadi gimana"),
            ["ga", "jadijadi", "tidak", "jadijadi", "jadi", "gimana"]
        );
    }

    #[test]
    fn every_hyphen_part_is_kept_however_many() {
        // Up to eight parts stay on the tokeniser's stack; ten take the heap path.
        assert_eq!(
            tokenize("a1-b2x-c-d-e-f-g-h-i-j"),
            ["a1", "b2x", "c", "d", "e", "f", "g", "h", "i", "j"]
        );
        assert_eq!(tokenize("KTP-el"), ["ktp", "el"]);
    }

    #[test]
    fn urls_and_placeholders_are_dropped_in_any_case() {
        assert_eq!(
            tokenize("Lihat HTTPS://x.id www.Y.id [NIK]/[TELP] Jl.Kartini Ktp"),
            ["lihat", "jl", "kartini", "ktp"]
        );
    }
}
