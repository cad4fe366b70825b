//! Text messages built from the content: FAQ answers and service cards, with the policy for
//! entries that are not verified yet (`PROLINK_SHOW_UNVERIFIED`).
//!
//! Placeholders the content team leaves in a field ("Perlu verifikasi", "alamat kantor perlu
//! verifikasi") are for the team, not for citizens: such a field is left out of the card, and
//! the fact that an entry is still being checked is said once per message, briefly.

use super::{Channel, Faq, Opd, Service};

/// WhatsApp's limit for a text message body, in characters.
pub const TEXT_LIMIT: usize = crate::channel::limits::TEXT_BODY;
/// Appended to an unverified entry when such entries are shown.
pub const UNVERIFIED_NOTE: &str = "\n\n_Informasi ini sedang diverifikasi._";
/// The FAQ category that describes PROLINK SAKTI itself (how to complain, track a ticket,
/// subscribe, privacy). What the bot does is defined by its own code, so there is nothing an
/// OPD could confirm: these entries are answered as written, never with the note or a
/// referral that would send a citizen away from the channel they are asking about.
pub const HELP_CATEGORY: &str = "umum";

/// Lower-case phrases that mark a value nobody has confirmed yet.
const PLACEHOLDER_MARKERS: [&str; 2] = ["perlu verifikasi", "belum terkonfirmasi"];
/// Lower-case phrases by which a text already says it is being verified (the entry's own
/// "…: sedang kami verifikasi", or [`UNVERIFIED_NOTE`]).
const SAYS_UNVERIFIED: [&str; 3] = [
    "sedang kami verifikasi",
    "sedang diverifikasi",
    "masih dalam verifikasi",
];

/// The text to send for a FAQ: the answer verbatim when verified or a help entry
/// ([`HELP_CATEGORY`]); when not verified, the answer with [`UNVERIFIED_NOTE`] if
/// `show_unverified` (unless the answer already says what is being verified), otherwise a
/// referral to the responsible OPD (by its registry name) instead of facts nobody has
/// confirmed.
pub fn show_unverified_policy(faq: &Faq, opds: &[Opd], show_unverified: bool) -> String {
    if faq.verified || faq.category == HELP_CATEGORY {
        faq.answer.clone()
    } else if show_unverified {
        with_note(&faq.answer)
    } else {
        referral(&faq.title, opd_name(opds, &faq.opd_id, &faq.opd))
    }
}

/// `text` with [`UNVERIFIED_NOTE`], unless it says so already: once per message is enough.
fn with_note(text: &str) -> String {
    if says_unverified(text) {
        text.to_string()
    } else {
        format!("{text}{UNVERIFIED_NOTE}")
    }
}

/// Whether `text` already tells the reader that something in it is being verified.
pub fn says_unverified(text: &str) -> bool {
    let lower = text.to_lowercase();
    SAYS_UNVERIFIED.iter().any(|p| lower.contains(p))
}

/// A field's value without what nobody has confirmed: a parenthesis or a `;` clause holding
/// a placeholder ("(alamat perlu verifikasi)", "; pencairan santunan perlu verifikasi") is
/// dropped, and `None` when nothing known is left ("Perlu verifikasi").
pub fn known_value(value: &str) -> Option<String> {
    let is_placeholder = |piece: &str| {
        let lower = piece.to_lowercase();
        PLACEHOLDER_MARKERS.iter().any(|m| lower.contains(m))
    };
    // Parentheses first: "Puskesmas (alamat perlu verifikasi)" keeps "Puskesmas".
    let mut kept = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(open) = rest.find('(') {
        let Some(close) = rest[open..].find(')').map(|i| open + i) else {
            break;
        };
        kept.push_str(&rest[..open]);
        if !is_placeholder(&rest[open..=close]) {
            kept.push_str(&rest[open..=close]);
        }
        rest = &rest[close + 1..];
    }
    kept.push_str(rest);
    let clauses: Vec<String> = kept
        .split(';')
        .filter(|clause| !is_placeholder(clause))
        .map(|clause| clause.split_whitespace().collect::<Vec<_>>().join(" "))
        .map(|clause| clause.trim_end_matches([',', ':']).trim().to_string())
        .filter(|clause| !clause.is_empty())
        .collect();
    (!clauses.is_empty()).then(|| clauses.join("; "))
}

/// [`service_card`] under the same policy as [`show_unverified_policy`].
pub fn service_card_policy(service: &Service, opds: &[Opd], show_unverified: bool) -> Vec<String> {
    if service.verified {
        service_card(service, opds)
    } else if show_unverified {
        split_message(&with_note(&card_text(service, opds)), TEXT_LIMIT)
    } else {
        vec![referral(
            &service.name,
            opd_name(opds, &service.opd_id, &service.opd),
        )]
    }
}

/// A service as WhatsApp messages: requirements, numbered steps, cost, duration, channel,
/// place, online link and responsible OPD, split at line boundaries into parts of at most
/// [`TEXT_LIMIT`] characters.
pub fn service_card(service: &Service, opds: &[Opd]) -> Vec<String> {
    split_message(&card_text(service, opds), TEXT_LIMIT)
}

fn card_text(s: &Service, opds: &[Opd]) -> String {
    let mut lines = vec![format!("*{}*", s.name.trim())];
    if let Some(description) = known_value(&s.description) {
        lines.push(description);
    }
    let requirements: Vec<String> = s
        .requirements
        .iter()
        .filter_map(|r| known_value(r))
        .collect();
    if !requirements.is_empty() {
        lines.push(String::new());
        lines.push("*Persyaratan:*".to_string());
        lines.extend(requirements.iter().map(|r| format!("- {r}")));
    }
    let steps: Vec<String> = s
        .steps
        .iter()
        .filter_map(|step| known_value(step))
        .collect();
    if !steps.is_empty() {
        lines.push(String::new());
        lines.push("*Langkah:*".to_string());
        lines.extend(
            steps
                .iter()
                .enumerate()
                .map(|(i, step)| format!("{}. {step}", i + 1)),
        );
    }
    lines.push(String::new());
    let mut field = |label: &str, value: &str| {
        if let Some(value) = known_value(value) {
            lines.push(format!("*{label}:* {value}"));
        }
    };
    field("Biaya", &s.cost);
    field("Lama proses", &s.duration);
    field(
        "Cara pengajuan",
        match s.channel {
            Channel::Offline => "datang langsung",
            Channel::Online => "online",
            Channel::Both => "online atau datang langsung",
        },
    );
    field("Tempat", &s.location);
    field("Layanan online", &s.online_url);
    field("Penanggung jawab", opd_name(opds, &s.opd_id, &s.opd));
    lines.join("\n")
}

/// The registry name of the OPD; the entry's own `opd` text if the id is unknown (validation
/// prevents that for imported content, but rendering must never fail).
fn opd_name<'a>(opds: &'a [Opd], opd_id: &str, fallback: &'a str) -> &'a str {
    opds.iter()
        .find(|o| o.id == opd_id)
        .map_or(fallback, |o| o.name.as_str())
}

fn referral(subject: &str, opd: &str) -> String {
    format!(
        "Maaf, informasi *{}* masih dalam verifikasi sehingga belum dapat kami sampaikan.\n\n\
         Untuk sementara, silakan hubungi langsung *{}*, atau ketik *OPERATOR* untuk bicara \
         dengan petugas.",
        subject.trim(),
        opd.trim()
    )
}

/// Splits `text` into parts of at most `limit` characters (at least 1), breaking between lines;
/// a single line longer than `limit` is broken at its last space before the limit, or hard at
/// the limit if it has none. Blank lines at a break are dropped; no part is empty.
pub fn split_message(text: &str, limit: usize) -> Vec<String> {
    let limit = limit.max(1);
    let mut parts = Vec::new();
    let mut lines: Vec<&str> = Vec::new();
    let mut len = 0;
    for line in text.split('\n') {
        let n = line.chars().count();
        if n > limit {
            flush(&mut parts, &mut lines, &mut len);
            parts.extend(split_long_line(line, limit));
            continue;
        }
        let needed = if lines.is_empty() { n } else { len + 1 + n };
        if needed > limit {
            flush(&mut parts, &mut lines, &mut len);
            len = n;
        } else {
            len = needed;
        }
        lines.push(line);
    }
    flush(&mut parts, &mut lines, &mut len);
    parts
}

fn flush(parts: &mut Vec<String>, lines: &mut Vec<&str>, len: &mut usize) {
    let joined = lines.join("\n");
    let trimmed = joined.trim_matches('\n');
    if !trimmed.trim().is_empty() {
        parts.push(trimmed.to_string());
    }
    lines.clear();
    *len = 0;
}

fn split_long_line(line: &str, limit: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest = line;
    while rest.chars().count() > limit {
        // Byte offset just past the `limit`-th character.
        let cut = rest
            .char_indices()
            .nth(limit)
            .map_or(rest.len(), |(i, _)| i);
        let at = if rest[cut..].starts_with(' ') {
            cut
        } else {
            rest[..cut].rfind(' ').filter(|&i| i > 0).unwrap_or(cut)
        };
        pieces.push(rest[..at].to_string());
        rest = rest[at..].trim_start_matches(' ');
    }
    if !rest.is_empty() {
        pieces.push(rest.to_string());
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_left_out_of_a_value() {
        let cases = [
            ("Perlu verifikasi", None),
            ("Perlu verifikasi (standar lokal belum terkonfirmasi)", None),
            ("1 hari kerja", Some("1 hari kerja")),
            (
                "Dokumen 1 hari kerja; pencairan santunan perlu verifikasi",
                Some("Dokumen 1 hari kerja"),
            ),
            (
                "Kantor Dispendukcapil atau loket di MPP (Jl. Basuki Rachmad); alamat kantor perlu verifikasi",
                Some("Kantor Dispendukcapil atau loket di MPP (Jl. Basuki Rachmad)"),
            ),
            ("RSUD dr. Mohamad Saleh (alamat perlu verifikasi)", Some("RSUD dr. Mohamad Saleh")),
            (
                "Laman SPMB (URL perlu verifikasi) dan sekolah tujuan",
                Some("Laman SPMB dan sekolah tujuan"),
            ),
            ("Seharusnya gratis (PERLU VERIFIKASI)", Some("Seharusnya gratis")),
            ("Gratis (tanpa biaya)", Some("Gratis (tanpa biaya)")),
            ("Verifikasi data", Some("Verifikasi data")),
            ("Kurung tak tertutup (perlu verifikasi", None),
            ("  ", None),
        ];
        for (value, expected) in cases {
            assert_eq!(known_value(value).as_deref(), expected, "{value}");
        }
    }

    #[test]
    fn the_note_is_added_only_when_the_text_does_not_say_it() {
        assert_eq!(with_note("Jam buka"), format!("Jam buka{UNVERIFIED_NOTE}"));
        let says = "Jam buka & tiket: sedang kami verifikasi.";
        assert_eq!(with_note(says), says);
        let noted = with_note("Jam buka");
        assert_eq!(with_note(&noted), noted);
    }

    #[test]
    fn short_text_is_one_part() {
        assert_eq!(split_message("a\nb", 10), vec!["a\nb".to_string()]);
        assert!(split_message("", 10).is_empty());
    }

    #[test]
    fn splits_between_lines() {
        let parts = split_message("aaaa\nbbbb\ncccc", 9);
        assert_eq!(parts, vec!["aaaa\nbbbb".to_string(), "cccc".to_string()]);
    }

    #[test]
    fn long_line_breaks_at_spaces_and_counts_characters() {
        let line = "ééé ééé ééé";
        let parts = split_message(line, 7);
        assert_eq!(parts, vec!["ééé ééé".to_string(), "ééé".to_string()]);
        let hard = split_message("abcdefghij", 4);
        assert_eq!(hard, vec!["abcd", "efgh", "ij"]);
    }

    #[test]
    fn blank_lines_at_a_break_are_dropped() {
        let parts = split_message("aaaa\n\nbbbb", 5);
        assert_eq!(parts, vec!["aaaa".to_string(), "bbbb".to_string()]);
    }
}
