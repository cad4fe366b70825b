//! Text messages built from the content: FAQ answers and service cards, with the policy for
//! entries that are not verified yet (`PROLINK_SHOW_UNVERIFIED`).

use super::{Channel, Faq, Opd, Service};

/// WhatsApp's limit for a text message body, in characters.
pub const TEXT_LIMIT: usize = crate::channel::limits::TEXT_BODY;
/// Appended to an unverified entry when such entries are shown.
pub const UNVERIFIED_NOTE: &str = "\n\n_Informasi ini sedang diverifikasi._";

/// The text to send for a FAQ: the answer verbatim when verified; when not verified, the
/// answer with [`UNVERIFIED_NOTE`] if `show_unverified`, otherwise a referral to the
/// responsible OPD (by its registry name) instead of facts nobody has confirmed.
pub fn show_unverified_policy(faq: &Faq, opds: &[Opd], show_unverified: bool) -> String {
    if faq.verified {
        faq.answer.clone()
    } else if show_unverified {
        format!("{}{UNVERIFIED_NOTE}", faq.answer)
    } else {
        referral(&faq.title, opd_name(opds, &faq.opd_id, &faq.opd))
    }
}

/// [`service_card`] under the same policy as [`show_unverified_policy`].
pub fn service_card_policy(service: &Service, opds: &[Opd], show_unverified: bool) -> Vec<String> {
    if service.verified {
        service_card(service, opds)
    } else if show_unverified {
        split_message(
            &format!("{}{UNVERIFIED_NOTE}", card_text(service, opds)),
            TEXT_LIMIT,
        )
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
    if !s.description.trim().is_empty() {
        lines.push(s.description.trim().to_string());
    }
    lines.push(String::new());
    lines.push("*Persyaratan:*".to_string());
    lines.extend(s.requirements.iter().map(|r| format!("- {}", r.trim())));
    lines.push(String::new());
    lines.push("*Langkah:*".to_string());
    lines.extend(
        s.steps
            .iter()
            .enumerate()
            .map(|(i, step)| format!("{}. {}", i + 1, step.trim())),
    );
    lines.push(String::new());
    lines.push(format!("*Biaya:* {}", s.cost.trim()));
    lines.push(format!("*Lama proses:* {}", s.duration.trim()));
    lines.push(format!(
        "*Cara pengajuan:* {}",
        match s.channel {
            Channel::Offline => "datang langsung",
            Channel::Online => "online",
            Channel::Both => "online atau datang langsung",
        }
    ));
    lines.push(format!("*Tempat:* {}", s.location.trim()));
    if !s.online_url.trim().is_empty() {
        lines.push(format!("*Layanan online:* {}", s.online_url.trim()));
    }
    lines.push(format!(
        "*Penanggung jawab:* {}",
        opd_name(opds, &s.opd_id, &s.opd)
    ));
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
