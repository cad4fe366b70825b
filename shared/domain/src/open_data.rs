//! What a complaint may show in public (open data, Open311): descriptions without personal
//! data, coordinates rounded to about 100 m, and the kecamatan a location names. Pure.

use crate::complaint::duplicates::{kelurahan_of, KELURAHAN};
use crate::complaint::ComplaintLocation;
use crate::nlp::text::mask_pii;

/// Placeholder for a person's name.
pub const NAME_MASK: &str = "[NAMA]";
/// Decimal places kept of a public coordinate: 0.001° is 111 m of latitude (and ≈ 110 m of
/// longitude at Probolinggo's 7.7° S).
pub const COORDINATE_DECIMALS: i32 = 3;
/// The kecamatan label when a location names none (or there is no location).
pub const UNKNOWN_KECAMATAN: &str = "tidak diketahui";

/// The five kecamatan of Kota Probolinggo and their kelurahan, as in [`KELURAHAN`] (a test
/// checks both lists agree).
pub const KECAMATAN: [(&str, &[&str]); 5] = [
    (
        "mayangan",
        &["mayangan", "jati", "sukabumi", "mangunharjo", "wiroborang"],
    ),
    (
        "kanigaran",
        &[
            "kanigaran",
            "kebonsari kulon",
            "kebonsari wetan",
            "sukoharjo",
            "tisnonegaran",
            "curahgrinting",
        ],
    ),
    (
        "kademangan",
        &[
            "kademangan",
            "pilang",
            "ketapang",
            "triwung kidul",
            "triwung lor",
            "pohsangit kidul",
        ],
    ),
    (
        "kedopok",
        &[
            "kedopok",
            "jrebeng kulon",
            "jrebeng lor",
            "jrebeng wetan",
            "kareng lor",
            "sumber wetan",
        ],
    ),
    (
        "wonoasih",
        &[
            "wonoasih",
            "jrebeng kidul",
            "kedunggaleng",
            "kedungasem",
            "pakistaji",
            "sumbertaman",
        ],
    ),
];

/// Words after which citizens write their own or someone's name.
const NAME_INTRODUCERS: [&[&str]; 5] = [
    &["nama", "saya"],
    &["saya", "bernama"],
    &["atas", "nama"],
    &["an"],
    &["bernama"],
];
/// How many capitalised words after an introducer are taken for a name.
const MAX_INTRODUCED_NAME_WORDS: usize = 3;

/// A description fit for the public: NIK/KK numbers, phone numbers, other long numbers and
/// e-mail addresses masked (as everywhere, `nlp::text::mask_pii`), then every word of the
/// reporter's known name (3 letters or more, any case) and the capitalised words after
/// "nama saya", "saya bernama", "atas nama", "a.n.", "bernama" replaced by [`NAME_MASK`].
pub fn redact_description(text: &str, reporter_name: Option<&str>) -> String {
    let masked = mask_pii(text);
    let name_words: Vec<String> = reporter_name
        .unwrap_or("")
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .collect();
    let tokens: Vec<&str> = masked.split(' ').collect();
    let bare = |token: &str| -> String {
        token
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase()
    };
    let mut hide = vec![false; tokens.len()];
    for (i, token) in tokens.iter().enumerate() {
        let word = bare(token);
        // A name word inside a token ("Budi," "(Budi)"); the whole token goes.
        if !word.is_empty()
            && word
                .split(|c: char| !c.is_alphabetic())
                .any(|part| name_words.iter().any(|n| n == part))
        {
            hide[i] = true;
        }
        for introducer in NAME_INTRODUCERS {
            let end = i + introducer.len();
            if end > tokens.len() {
                continue;
            }
            let matches = tokens[i..end]
                .iter()
                .zip(introducer.iter())
                .all(|(t, w)| bare(t).replace('.', "") == *w);
            if !matches {
                continue;
            }
            let mut j = end;
            while j < tokens.len() && j < end + MAX_INTRODUCED_NAME_WORDS {
                let candidate = tokens[j].trim_start_matches(|c: char| !c.is_alphanumeric());
                if !candidate.chars().next().is_some_and(char::is_uppercase) {
                    break;
                }
                hide[j] = true;
                let ends_clause = tokens[j].ends_with([',', '.', ';', ':', ')']);
                j += 1;
                if ends_clause {
                    break;
                }
            }
        }
    }
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    for (token, hidden) in tokens.iter().zip(hide) {
        if hidden {
            let trailing: String = token
                .chars()
                .rev()
                .take_while(|c| matches!(c, ',' | '.' | ';' | ':' | '!' | '?' | ')'))
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            // Consecutive name words become one placeholder.
            if out.last().is_some_and(|last| last == NAME_MASK) {
                if let Some(last) = out.last_mut() {
                    last.push_str(&trailing);
                }
            } else {
                out.push(format!("{NAME_MASK}{trailing}"));
            }
        } else {
            out.push((*token).to_string());
        }
    }
    out.join(" ")
}

/// A coordinate rounded to [`COORDINATE_DECIMALS`] places (about 100 m).
pub fn round_coordinate(degrees: f64) -> f64 {
    let factor = 10f64.powi(COORDINATE_DECIMALS);
    let rounded = (degrees * factor).round() / factor;
    // -0.0 prints as "-0"; no coordinate of the city is near it anyway.
    if rounded == 0.0 {
        0.0
    } else {
        rounded
    }
}

/// The kecamatan (lower case, as in [`KECAMATAN`]) a location names: the kecamatan of the
/// kelurahan it names, else a kecamatan named on its own ("Kec. Kedopok"); `None` when it
/// names neither.
pub fn kecamatan_of(location: &ComplaintLocation) -> Option<&'static str> {
    if let Some(kelurahan) = kelurahan_of(location) {
        return KECAMATAN
            .iter()
            .find(|(_, list)| list.contains(&kelurahan))
            .map(|(kecamatan, _)| *kecamatan);
    }
    let text = match location {
        ComplaintLocation::Pin { name, address, .. } => {
            format!(
                "{} {}",
                name.as_deref().unwrap_or(""),
                address.as_deref().unwrap_or("")
            )
        }
        ComplaintLocation::Typed { text } => text.clone(),
    };
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).collect();
    KECAMATAN
        .iter()
        .map(|(kecamatan, _)| *kecamatan)
        .find(|kecamatan| words.contains(kecamatan))
}

/// The kecamatan label of a complaint's location for statistics: "Mayangan" …, or
/// [`UNKNOWN_KECAMATAN`].
pub fn kecamatan_label(location: Option<&ComplaintLocation>) -> String {
    location
        .and_then(kecamatan_of)
        .map_or_else(|| UNKNOWN_KECAMATAN.to_string(), capitalise)
}

fn capitalise(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// Every kelurahan of [`KELURAHAN`] belongs to exactly one kecamatan here.
pub fn kecamatan_table_is_complete() -> bool {
    KELURAHAN.iter().all(|k| {
        KECAMATAN
            .iter()
            .filter(|(_, list)| list.contains(k))
            .count()
            == 1
    }) && KECAMATAN.iter().map(|(_, l)| l.len()).sum::<usize>() == KELURAHAN.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin(name: Option<&str>, address: Option<&str>) -> ComplaintLocation {
        ComplaintLocation::Pin {
            latitude: -7.75,
            longitude: 113.21,
            name: name.map(str::to_string),
            address: address.map(str::to_string),
        }
    }

    #[test]
    fn personal_data_leaves_the_description() {
        let text = "Jalan rusak depan rumah Budi Santoso, NIK 3574012345670001, hubungi \
                    0812-3456-7890 atau +62 812 3456 7891 atau budi.s@example.com. Nama saya \
                    Siti Aminah, tetangga.";
        let out = redact_description(text, Some("Budi Santoso"));
        for secret in [
            "Budi",
            "Santoso",
            "3574012345670001",
            "0812",
            "3456",
            "7891",
            "budi.s@example.com",
            "example",
            "Siti",
            "Aminah",
        ] {
            assert!(!out.contains(secret), "{secret} left in {out}");
        }
        assert!(out.starts_with("Jalan rusak depan rumah [NAMA],"), "{out}");
        assert!(out.contains("tetangga."), "{out}");
        assert!(out.contains("[NIK]") && out.contains("[EMAIL]"), "{out}");
    }

    #[test]
    fn ordinary_text_is_kept() {
        let text = "Lampu PJU di Jl. Suroyo mati sejak 3 hari, mohon diperbaiki.";
        assert_eq!(redact_description(text, Some("Al")), text);
        assert_eq!(redact_description(text, None), text);
        // "nama saya" followed by lower case: not a name.
        let text = "nama saya tidak penting, jalannya berlubang";
        assert_eq!(redact_description(text, None), text);
    }

    #[test]
    fn name_words_match_any_case_and_punctuation() {
        let out = redact_description("laporan dari BUDI, dan budi;", Some("budi"));
        assert_eq!(out, "laporan dari [NAMA], dan [NAMA];");
    }

    #[test]
    fn coordinates_round_to_three_places() {
        assert_eq!(round_coordinate(-7.756_789), -7.757);
        assert_eq!(round_coordinate(113.215_49), 113.215);
        assert_eq!(round_coordinate(0.000_4), 0.0);
        // At most ~80 m off: half of 0.001° on both axes.
        let (lat, lon) = (-7.754_49, 113.216_51);
        let moved = crate::complaint::duplicates::distance_m(
            (lat, lon),
            (round_coordinate(lat), round_coordinate(lon)),
        );
        assert!(moved < 80.0, "{moved}");
    }

    #[test]
    fn kecamatan_from_kelurahan_or_named() {
        assert!(kecamatan_table_is_complete());
        let typed = |t: &str| ComplaintLocation::Typed { text: t.into() };
        assert_eq!(
            kecamatan_of(&typed("Jl. Mastrip, Kel. Jrebeng Kidul")),
            Some("wonoasih")
        );
        assert_eq!(
            kecamatan_of(&typed("dekat pasar, Kec. Kedopok")),
            Some("kedopok")
        );
        assert_eq!(
            kecamatan_of(&pin(Some("Masjid"), Some("Jl. Anggrek, Sukabumi"))),
            Some("mayangan")
        );
        assert_eq!(kecamatan_of(&typed("depan alun-alun")), None);
        assert_eq!(kecamatan_label(None), UNKNOWN_KECAMATAN);
        assert_eq!(
            kecamatan_label(Some(&typed("Kelurahan Pilang"))),
            "Kademangan"
        );
    }
}
