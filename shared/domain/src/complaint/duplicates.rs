//! Possible duplicates: a new complaint about a problem already reported and still being
//! handled (same category, close by, recent), and "ikut melapor" — following that complaint
//! instead of filing another.

use super::{
    lifecycle::{TransitionError, MAX_EVENTS},
    model::{Actor, ActorKind, Complaint, ComplaintEvent, ComplaintLocation, Privacy, Status},
};

/// Two pins at most this far apart are the same place (a pin is placed by hand, often from
/// across the road or the neighbour's house).
pub const DUPLICATE_RADIUS_M: f64 = 100.0;
/// Only complaints received this recently are offered.
pub const DUPLICATE_WINDOW_MS: i64 = 30 * 86_400_000;
/// The mean Earth radius (IUGG, R₁ = 6 371 008.8 m). The haversine formula on a sphere is off
/// by at most ~0.5 % against the WGS-84 ellipsoid, i.e. under 0.5 m at 100 m.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// The internal note of a follow event (operators only: who follows is in `followers`).
pub const FOLLOW_NOTE: &str = "Warga lain ikut melapor.";

/// The 29 kelurahan of Kota Probolinggo (5 kecamatan), lower case as in the gazetteer
/// `infra/seed/lexicon-places.tsv` (a test checks that every name is there). A const list,
/// not the gazetteer itself: the gazetteer mixes kelurahan with kecamatan and landmarks.
pub const KELURAHAN: [&str; 29] = [
    // Kecamatan Mayangan
    "mayangan",
    "jati",
    "sukabumi",
    "mangunharjo",
    "wiroborang",
    // Kecamatan Kanigaran
    "kanigaran",
    "kebonsari kulon",
    "kebonsari wetan",
    "sukoharjo",
    "tisnonegaran",
    "curahgrinting",
    // Kecamatan Kademangan
    "kademangan",
    "pilang",
    "ketapang",
    "triwung kidul",
    "triwung lor",
    "pohsangit kidul",
    // Kecamatan Kedopok
    "kedopok",
    "jrebeng kulon",
    "jrebeng lor",
    "jrebeng wetan",
    "kareng lor",
    "sumber wetan",
    // Kecamatan Wonoasih
    "wonoasih",
    "jrebeng kidul",
    "kedunggaleng",
    "kedungasem",
    "pakistaji",
    "sumbertaman",
];

/// Kelurahan that share their name with their kecamatan: "Kec. Kanigaran" names the
/// kecamatan (six kelurahan), not the kelurahan.
const KECAMATAN: [&str; 5] = ["mayangan", "kanigaran", "kademangan", "kedopok", "wonoasih"];
const KECAMATAN_MARKERS: [&str; 3] = ["kec", "kecamatan", "kc"];
const KELURAHAN_MARKERS: [&str; 4] = ["kel", "kelurahan", "desa", "ds"];
/// The longest kelurahan name in words, allowing a name written apart ("curah grinting").
const MAX_NAME_WORDS: usize = 3;

/// Great-circle distance in metres between two (latitude, longitude) points in degrees
/// (haversine: a = sin²(Δφ/2) + cos φ₁ · cos φ₂ · sin²(Δλ/2), d = 2R · asin(√a), with
/// R = [`EARTH_RADIUS_M`]).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (phi1, phi2) = (a.0.to_radians(), b.0.to_radians());
    let d_phi = (b.0 - a.0).to_radians();
    let d_lambda = (b.1 - a.1).to_radians();
    let h = (d_phi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (d_lambda / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// The kelurahan a text names (a typed address, a pin's place name and address), as listed
/// in [`KELURAHAN`]. Case, punctuation and a name written apart or together
/// ("Kebon Sari Kulon", "kebonsarikulon") do not matter. When several are named, the one
/// marked "Kel."/"Kelurahan"/"Desa" wins, else the last one that is not also a kecamatan
/// name (addresses go from the street to the larger areas), else the last one; a name right
/// after "Kec."/"Kecamatan" is the kecamatan and does not count.
pub fn kelurahan_in(text: &str) -> Option<&'static str> {
    let words = normalized_words(text);
    let mut found: Vec<(&'static str, bool)> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let hit = (1..=MAX_NAME_WORDS.min(words.len() - i))
            .rev()
            .find_map(|n| {
                let joined = words[i..i + n].concat();
                KELURAHAN
                    .iter()
                    .find(|k| k.replace(' ', "") == joined)
                    .map(|k| (*k, n))
            });
        let Some((name, n)) = hit else {
            i += 1;
            continue;
        };
        let before = i.checked_sub(1).map(|j| words[j].as_str());
        let names_kecamatan =
            KECAMATAN.contains(&name) && before.is_some_and(|w| KECAMATAN_MARKERS.contains(&w));
        if !names_kecamatan {
            let marked = before.is_some_and(|w| KELURAHAN_MARKERS.contains(&w));
            found.push((name, marked));
        }
        i += n;
    }
    found
        .iter()
        .rev()
        .find(|(_, marked)| *marked)
        .or_else(|| found.iter().rev().find(|(n, _)| !KECAMATAN.contains(n)))
        .or_else(|| found.last())
        .map(|(name, _)| *name)
}

/// "kebonsari kulon" → "Kebonsari Kulon".
pub fn kelurahan_label(name: &str) -> String {
    name.split(' ')
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The kelurahan of a complaint's location, if it names one.
pub fn kelurahan_of(location: &ComplaintLocation) -> Option<&'static str> {
    kelurahan_in(&location_text(location))
}

fn location_text(location: &ComplaintLocation) -> String {
    match location {
        ComplaintLocation::Pin { name, address, .. } => [name.as_deref(), address.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", "),
        ComplaintLocation::Typed { text } => text.clone(),
    }
}

fn normalized_words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

fn pin_of(location: &ComplaintLocation) -> Option<(f64, f64)> {
    match location {
        ComplaintLocation::Pin {
            latitude,
            longitude,
            ..
        } => Some((*latitude, *longitude)),
        ComplaintLocation::Typed { .. } => None,
    }
}

/// Metres between two locations when both are pins.
pub fn pin_distance_m(a: &ComplaintLocation, b: &ComplaintLocation) -> Option<f64> {
    Some(distance_m(pin_of(a)?, pin_of(b)?))
}

/// How well two locations match: both pins within [`DUPLICATE_RADIUS_M`] (by distance), else —
/// when either has no pin — the same kelurahan named in both. Two pins are never matched by
/// kelurahan: a kelurahan spans a kilometre or more, pins say exactly where.
fn place_match(new: &ComplaintLocation, other: &ComplaintLocation) -> Option<(u8, f64)> {
    if let Some(metres) = pin_distance_m(new, other) {
        return (metres <= DUPLICATE_RADIUS_M).then_some((0, metres));
    }
    let here = kelurahan_of(new)?;
    (kelurahan_of(other)? == here).then_some((1, 0.0))
}

/// Whether a complaint can be followed: still being handled. `selesai` is excluded: a new
/// report after the OPD said it is done shows the problem persists, and following a
/// complaint about to close would bury it.
fn followable(complaint: &Complaint) -> bool {
    !complaint.status.is_final() && complaint.status != Status::Selesai
}

/// Whether `citizen_key` follows `complaint` ("ikut melapor").
pub fn follows(complaint: &Complaint, citizen_key: &str) -> bool {
    complaint.followers.iter().any(|f| f == citizen_key)
}

/// The open complaint `new` probably repeats, among `candidates` (the worker loads recent
/// complaints of the same category). A match is of the same category, another ticket,
/// still being handled (not final, not `selesai`), received within [`DUPLICATE_WINDOW_MS`]
/// before `now_ms`, not *Rahasia* (offering it would reveal it to another citizen), and at
/// the same place: both pins within [`DUPLICATE_RADIUS_M`], or the same kelurahan when
/// either has no pin (never two pins by kelurahan). A candidate that is itself a duplicate
/// is replaced by its original (when among the candidates and still followable), so
/// citizens gather on one ticket. Pin matches beat kelurahan matches; then the nearest,
/// then the most recent.
pub fn find_duplicate<'a>(
    new: &Complaint,
    candidates: &'a [Complaint],
    now_ms: i64,
) -> Option<&'a Complaint> {
    let here = new.location.as_ref()?;
    // Only an earlier complaint can be the original (ties broken by ticket): a backlog or two
    // workers at once must never link two reports to each other, or the older to the newer.
    let earlier = |c: &Complaint| (c.received_ms, &c.ticket) < (new.received_ms, &new.ticket);
    let eligible = |c: &Complaint| {
        earlier(c)
            && c.category_id == new.category_id
            && followable(c)
            && c.privacy != Privacy::Rahasia
    };
    candidates
        .iter()
        .filter(|c| eligible(c) && now_ms - c.received_ms <= DUPLICATE_WINDOW_MS)
        .filter_map(|c| {
            let (tier, metres) = place_match(here, c.location.as_ref()?)?;
            let target = match &c.duplicate_of {
                None => c,
                Some(original) => candidates
                    .iter()
                    .find(|o| &o.ticket == original && o.duplicate_of.is_none() && eligible(o))?,
            };
            Some((tier, metres, c.received_ms, target))
        })
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(b.2.cmp(&a.2)))
        .map(|(_, _, _, target)| target)
}

/// Adds `citizen_key` to the followers of `original` ("ikut melapor"): they are told of its
/// public changes and may see its public timeline. An event without a status change and with
/// an internal note only records it for the operators. `AlreadyApplied` when there is
/// nothing to do: the same cause, an existing follower, or the reporter themself.
pub fn follow(
    original: &Complaint,
    citizen_key: &str,
    event_id: &str,
    at_ms: i64,
) -> Result<Complaint, TransitionError> {
    if original.has_event(event_id)
        || original.citizen_key == citizen_key
        || follows(original, citizen_key)
    {
        return Err(TransitionError::AlreadyApplied);
    }
    if !followable(original) {
        return Err(TransitionError::CannotFollow(original.status));
    }
    if original.events.len() >= MAX_EVENTS {
        return Err(TransitionError::TimelineFull);
    }
    let mut next = original.clone();
    next.followers.push(citizen_key.to_string());
    next.updated_ms = at_ms;
    next.events.push(ComplaintEvent {
        id: event_id.to_string(),
        at_ms,
        actor: Actor::citizen(citizen_key),
        from: Some(original.status),
        to: original.status,
        public_note: None,
        internal_note: Some(FOLLOW_NOTE.to_string()),
        info: None,
    });
    Ok(next)
}

/// The internal note recording that the citizen chose to keep `new` separate.
pub fn separate_note(original: &str) -> String {
    format!("Pelapor memilih tetap terpisah dari {original}.")
}

/// The citizen keeps their complaint separate from the one it was linked to (*Tetap
/// terpisah*): the link stays for the operators, an internal-only event records the choice
/// (once). `AlreadyApplied` when there is nothing to record: the same cause, the choice made
/// before, or no link.
pub fn keep_separate(
    new: &Complaint,
    event_id: &str,
    at_ms: i64,
) -> Result<Complaint, TransitionError> {
    let Some(original) = new.duplicate_of.as_deref() else {
        return Err(TransitionError::AlreadyApplied);
    };
    let note = separate_note(original);
    if new.has_event(event_id)
        || new
            .events
            .iter()
            .any(|e| e.internal_note.as_deref() == Some(note.as_str()))
    {
        return Err(TransitionError::AlreadyApplied);
    }
    if new.status.is_final() {
        return Err(TransitionError::NotAllowed {
            from: new.status,
            to: new.status,
            actor: ActorKind::Citizen,
        });
    }
    if new.events.len() >= MAX_EVENTS {
        return Err(TransitionError::TimelineFull);
    }
    let mut next = new.clone();
    next.updated_ms = at_ms;
    next.events.push(ComplaintEvent {
        id: event_id.to_string(),
        at_ms,
        actor: Actor::citizen(&new.citizen_key),
        from: Some(new.status),
        to: new.status,
        public_note: None,
        internal_note: Some(note),
        info: None,
    });
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::complaint::{Deadlines, Photo};

    const DAY: i64 = 86_400_000;
    /// Monday 30 November 2026, 10:00 WIB.
    const NOW: i64 = 1_796_007_600_000;
    /// Alun-alun Kota Probolinggo, roughly.
    const ALUN: (f64, f64) = (-7.7543, 113.2159);

    fn pin(at: (f64, f64), address: Option<&str>) -> ComplaintLocation {
        ComplaintLocation::Pin {
            latitude: at.0,
            longitude: at.1,
            name: None,
            address: address.map(str::to_string),
        }
    }

    fn typed(text: &str) -> ComplaintLocation {
        ComplaintLocation::Typed { text: text.into() }
    }

    fn complaint(ticket: &str, location: Option<ComplaintLocation>, days_ago: i64) -> Complaint {
        let received_ms = NOW - days_ago * DAY;
        Complaint {
            ticket: ticket.into(),
            citizen_key: format!("62811{ticket}"),
            reporter_name: None,
            category_id: "jalan-rusak".into(),
            opd_id: "dpupr".into(),
            description: "Jalan berlubang".into(),
            location,
            photos: Vec::<Photo>::new(),
            privacy: Privacy::Biasa,
            status: Status::Diteruskan,
            received_ms,
            deadlines: Deadlines::default(),
            next_due_ms: None,
            source_wamid: format!("wamid.{ticket}"),
            events: vec![ComplaintEvent {
                id: format!("submit.{ticket}"),
                at_ms: received_ms,
                actor: Actor::citizen("x"),
                from: None,
                to: Status::Diterima,
                public_note: None,
                internal_note: None,
                info: None,
            }],
            rating: None,
            followers: Vec::new(),
            duplicate_of: None,
            version: 1,
            updated_ms: received_ms,
        }
    }

    /// `metres` north of `from` (one degree of latitude is 2πR/360 m on the sphere).
    fn north(from: (f64, f64), metres: f64) -> (f64, f64) {
        let degrees = metres / (2.0 * std::f64::consts::PI * EARTH_RADIUS_M / 360.0);
        (from.0 + degrees, from.1)
    }

    #[test]
    fn haversine_gives_known_distances() {
        // Along a meridian the distance is exactly R·Δφ.
        let metres_per_degree = 2.0 * std::f64::consts::PI * EARTH_RADIUS_M / 360.0;
        assert!((metres_per_degree - 111_195.08).abs() < 0.01);
        for metres in [80.0, 150.0, 1_000.0] {
            let d = distance_m(ALUN, north(ALUN, metres));
            assert!((d - metres).abs() < 1e-6, "{metres}: {d}");
        }
        // Along the parallel at 7.7543° S one degree of longitude is cos φ shorter: 0.001° is
        // 111 195.08 · cos(7.7543°) / 1000 = 110.18 m.
        let east = distance_m(ALUN, (ALUN.0, ALUN.1 + 0.001));
        assert!((east - 110.18).abs() < 0.01, "{east}");
        // Diagonal: 60 m north and 60 m east ≈ 84.85 m (flat at this scale).
        let ne = north((ALUN.0, ALUN.1 + 60.0 / 110_180.0), 60.0);
        assert!((distance_m(ALUN, ne) - 84.85).abs() < 0.1);
        // Symmetric, zero on the spot; Probolinggo – Surabaya is about 75 km as the crow flies.
        assert_eq!(distance_m(ALUN, ALUN), 0.0);
        let surabaya = (-7.2575, 112.7521);
        let d = distance_m(ALUN, surabaya);
        assert!((d - distance_m(surabaya, ALUN)).abs() < 1e-6);
        assert!((74_000.0..76_000.0).contains(&d), "{d}");
    }

    #[test]
    fn kelurahan_are_found_in_addresses_whatever_the_writing() {
        let cases = [
            (
                "Jl. Suroyo, Tisnonegaran, Kec. Kanigaran",
                Some("tisnonegaran"),
            ),
            ("jl suroyo TISNONEGARAN", Some("tisnonegaran")),
            (
                "Gg. Mawar RT 02/RW 03 Kel.Kebon Sari Kulon",
                Some("kebonsari kulon"),
            ),
            ("kebonsarikulon", Some("kebonsari kulon")),
            ("dekat pasar, curah grinting", Some("curahgrinting")),
            ("Jrebeng Lor, Kedopok", Some("jrebeng lor")),
            ("Kelurahan Kedopok, Kecamatan Kedopok", Some("kedopok")),
            // A kecamatan alone is not a kelurahan.
            ("Kec. Kanigaran, Kota Probolinggo", None),
            ("kecamatan mayangan", None),
            ("Mayangan", Some("mayangan")),
            // A street named after another kelurahan comes first; the kelurahan after it.
            ("Jl. Ketapang no 5, Sukabumi", Some("sukabumi")),
            (
                "Jl. Jati, Kel. Wiroborang, Kec. Mayangan",
                Some("wiroborang"),
            ),
            // Marked beats order.
            ("Kel. Pilang dekat Jl. Triwung Lor", Some("pilang")),
            // Ambiguous halves and other places are not kelurahan.
            ("Jrebeng", None),
            ("Jl. Pohsangit", None),
            ("jalan raya kraksaan", None),
            ("jatiroto", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(kelurahan_in(text), expected, "{text}");
        }
        assert_eq!(kelurahan_label("kebonsari kulon"), "Kebonsari Kulon");
        assert_eq!(kelurahan_label("jati"), "Jati");
    }

    #[test]
    fn every_kelurahan_is_in_the_gazetteer_once() {
        let gazetteer = include_str!("../../../../infra/seed/lexicon-places.tsv");
        let kota: Vec<&str> = gazetteer
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('\t'))
            .filter(|(_, kind)| kind.trim() == "kota")
            .map(|(name, _)| name)
            .collect();
        for name in KELURAHAN {
            assert!(kota.contains(&name), "{name} not in the gazetteer");
            assert_eq!(KELURAHAN.iter().filter(|k| **k == name).count(), 1);
        }
        for name in KECAMATAN {
            assert!(KELURAHAN.contains(&name));
        }
    }

    #[test]
    fn a_pin_within_100_m_of_an_open_complaint_is_a_duplicate_150_m_is_not() {
        let near = complaint("PS-NEAR01", Some(pin(north(ALUN, 80.0), None)), 3);
        let far = complaint("PS-FAR001", Some(pin(north(ALUN, 150.0), None)), 1);
        let new = complaint("PS-NEW001", Some(pin(ALUN, None)), 0);
        let candidates = vec![far.clone(), near.clone(), new.clone()];
        assert_eq!(
            find_duplicate(&new, &candidates, NOW).map(|c| c.ticket.as_str()),
            Some("PS-NEAR01")
        );
        assert_eq!(find_duplicate(&new, &[far.clone(), new.clone()], NOW), None);
        // The nearest wins over the most recent.
        let nearer = complaint("PS-NEAR02", Some(pin(north(ALUN, 20.0), None)), 10);
        let all = vec![near.clone(), nearer.clone()];
        assert_eq!(
            find_duplicate(&new, &all, NOW).map(|c| c.ticket.as_str()),
            Some("PS-NEAR02")
        );
        // At the same distance, the most recent.
        let twin = complaint("PS-NEAR03", Some(pin(north(ALUN, 80.0), None)), 1);
        let all = vec![near.clone(), twin];
        assert_eq!(
            find_duplicate(&new, &all, NOW).map(|c| c.ticket.as_str()),
            Some("PS-NEAR03")
        );
        // Another category is another problem.
        let mut trash = near.clone();
        trash.category_id = "sampah".into();
        assert_eq!(find_duplicate(&new, &[trash], NOW), None);
        // Never itself, even under another copy.
        assert_eq!(find_duplicate(&new, std::slice::from_ref(&new), NOW), None);
        // No location: nothing to compare.
        let nowhere = complaint("PS-NEW002", None, 0);
        assert_eq!(find_duplicate(&nowhere, &candidates, NOW), None);
    }

    #[test]
    fn only_an_earlier_complaint_can_be_the_original() {
        // Two reports of one hole, handled late or by two workers at once: only the newer
        // one is linked, never both to each other.
        let older = complaint("PS-OLDER1", Some(pin(ALUN, None)), 2);
        let newer = complaint("PS-NEWER1", Some(pin(north(ALUN, 30.0), None)), 1);
        let both = vec![older.clone(), newer.clone()];
        assert_eq!(find_duplicate(&older, &both, NOW), None);
        assert_eq!(
            find_duplicate(&newer, &both, NOW).map(|c| c.ticket.as_str()),
            Some("PS-OLDER1")
        );
        // Received in the same millisecond: the ticket order decides, one way only.
        let twin_a = complaint("PS-AAAAA1", Some(pin(ALUN, None)), 1);
        let twin_b = complaint("PS-BBBBB1", Some(pin(ALUN, None)), 1);
        let twins = vec![twin_a.clone(), twin_b.clone()];
        assert_eq!(find_duplicate(&twin_a, &twins, NOW), None);
        assert!(find_duplicate(&twin_b, &twins, NOW).is_some());
    }

    #[test]
    fn only_open_recent_and_public_complaints_are_offered() {
        let new = complaint("PS-NEW001", Some(pin(ALUN, None)), 0);
        let at = |days: i64| complaint("PS-OLD001", Some(pin(north(ALUN, 50.0), None)), days);
        assert!(find_duplicate(&new, &[at(30)], NOW).is_some());
        let mut just_out = at(30);
        just_out.received_ms -= 1;
        assert_eq!(find_duplicate(&new, &[just_out], NOW), None);
        for status in Status::ALL {
            let mut c = at(5);
            c.status = status;
            let offered = find_duplicate(&new, std::slice::from_ref(&c), NOW).is_some();
            assert_eq!(
                offered,
                !status.is_final() && status != Status::Selesai,
                "{status}"
            );
        }
        let mut secret = at(5);
        secret.privacy = Privacy::Rahasia;
        assert_eq!(find_duplicate(&new, &[secret], NOW), None);
        let mut anonymous = at(5);
        anonymous.privacy = Privacy::Anonim;
        assert!(find_duplicate(&new, &[anonymous], NOW).is_some());
    }

    #[test]
    fn without_a_pin_the_same_kelurahan_matches() {
        let new = complaint("PS-NEW001", Some(typed("depan SDN 2, Kel. Jati")), 0);
        let pinned = complaint(
            "PS-PIN001",
            Some(pin(
                (-7.74, 113.22),
                Some("Jl. Cokroaminoto, Jati, Kec. Mayangan"),
            )),
            4,
        );
        let written = complaint("PS-TYP001", Some(typed("Jati, mayangan")), 2);
        let elsewhere = complaint("PS-TYP002", Some(typed("Jl. Jati, Sukabumi")), 1);
        let vague = complaint("PS-TYP003", Some(typed("dekat alun-alun")), 1);
        let all = vec![pinned.clone(), written.clone(), elsewhere, vague];
        // Both match: the most recent.
        assert_eq!(
            find_duplicate(&new, &all, NOW).map(|c| c.ticket.as_str()),
            Some("PS-TYP001")
        );
        assert_eq!(
            find_duplicate(&new, std::slice::from_ref(&pinned), NOW).map(|c| c.ticket.as_str()),
            Some("PS-PIN001")
        );
        // A pin against a typed address: by kelurahan too.
        let new_pin = complaint(
            "PS-NEW002",
            Some(pin((-7.75, 113.2), Some("Jati, Mayangan"))),
            0,
        );
        assert_eq!(
            find_duplicate(&new_pin, std::slice::from_ref(&written), NOW)
                .map(|c| c.ticket.as_str()),
            Some("PS-TYP001")
        );
        // Two pins never match by kelurahan: 2.5 km apart in the same kelurahan is not the
        // same place.
        assert_eq!(find_duplicate(&new_pin, &[pinned], NOW), None);
        // A pin match beats a kelurahan match.
        let close_pin = complaint("PS-PIN002", Some(pin((-7.7504, 113.2), None)), 20);
        let both = vec![written, close_pin];
        assert_eq!(
            find_duplicate(&new_pin, &both, NOW).map(|c| c.ticket.as_str()),
            Some("PS-PIN002")
        );
        // No kelurahan named: no match.
        let vague_new = complaint("PS-NEW003", Some(typed("dekat alun-alun")), 0);
        let vague_old = complaint("PS-OLD003", Some(typed("dekat alun-alun")), 1);
        assert_eq!(find_duplicate(&vague_new, &[vague_old], NOW), None);
    }

    #[test]
    fn a_duplicate_leads_to_its_original_never_to_itself() {
        let new = complaint("PS-NEW001", Some(pin(ALUN, None)), 0);
        let original = complaint("PS-ORIG01", Some(pin(north(ALUN, 90.0), None)), 9);
        let mut copy = complaint("PS-COPY01", Some(pin(north(ALUN, 10.0), None)), 2);
        copy.duplicate_of = Some(original.ticket.clone());
        let all = vec![copy.clone(), original.clone()];
        assert_eq!(
            find_duplicate(&new, &all, NOW).map(|c| c.ticket.as_str()),
            Some("PS-ORIG01")
        );
        // The original beyond 100 m of the new one is still reached through its copy.
        let mut far_original = original.clone();
        far_original.location = Some(pin(north(ALUN, 500.0), None));
        let all = vec![copy.clone(), far_original];
        assert_eq!(
            find_duplicate(&new, &all, NOW).map(|c| c.ticket.as_str()),
            Some("PS-ORIG01")
        );
        // An original that closed, or that was not loaded, is not offered through the copy.
        let mut closed = original.clone();
        closed.status = Status::Ditutup;
        assert_eq!(find_duplicate(&new, &[copy.clone(), closed], NOW), None);
        assert_eq!(find_duplicate(&new, &[copy], NOW), None);
    }

    #[test]
    fn following_adds_the_citizen_once_with_an_internal_event() {
        let original = complaint("PS-ORIG01", Some(pin(ALUN, None)), 3);
        let at = NOW + 1_000;
        let followed = follow(&original, "6289999", "follow.m1", at).expect("followed");
        assert_eq!(followed.followers, vec!["6289999".to_string()]);
        assert!(follows(&followed, "6289999"));
        assert!(!follows(&original, "6289999"));
        assert_eq!(followed.status, original.status);
        assert_eq!(followed.updated_ms, at);
        assert_eq!(followed.version, original.version);
        let event = followed.events.last().expect("event");
        assert_eq!(
            (event.from, event.to),
            (Some(Status::Diteruskan), Status::Diteruskan)
        );
        assert_eq!(event.internal_note.as_deref(), Some(FOLLOW_NOTE));
        assert_eq!(event.public_note, None);
        assert_eq!(event.actor, Actor::citizen("6289999"));
        // Not in the public timeline.
        assert_eq!(
            followed.public_events().count(),
            original.public_events().count()
        );
        // Once: the same cause, another cause, the reporter themself.
        for (key, id) in [
            ("6289999", "follow.m1"),
            ("6289999", "follow.m2"),
            (original.citizen_key.as_str(), "follow.m3"),
        ] {
            assert_eq!(
                follow(&followed, key, id, at),
                Err(TransitionError::AlreadyApplied),
                "{key} {id}"
            );
        }
        let two = follow(&followed, "6287777", "follow.m4", at).expect("second follower");
        assert_eq!(two.followers.len(), 2);
        // Refused once it is no longer handled.
        for status in [Status::Selesai, Status::Ditutup, Status::Dicabut] {
            let mut done = original.clone();
            done.status = status;
            assert_eq!(
                follow(&done, "6289999", "follow.m5", at),
                Err(TransitionError::CannotFollow(status))
            );
        }
        assert_eq!(
            TransitionError::CannotFollow(Status::Ditutup).to_string(),
            "Aduan berstatus *Ditutup* tidak dapat diikuti lagi."
        );
    }

    #[test]
    fn keeping_a_duplicate_separate_is_noted_once_for_the_operators() {
        let mut new = complaint("PS-NEW001", Some(pin(ALUN, None)), 0);
        assert_eq!(
            keep_separate(&new, "separate.m1", NOW),
            Err(TransitionError::AlreadyApplied)
        );
        new.duplicate_of = Some("PS-ORIG01".into());
        let kept = keep_separate(&new, "separate.m1", NOW).expect("noted");
        assert_eq!(kept.status, new.status);
        assert_eq!(kept.duplicate_of.as_deref(), Some("PS-ORIG01"));
        let event = kept.events.last().expect("event");
        assert_eq!(
            event.internal_note.as_deref(),
            Some("Pelapor memilih tetap terpisah dari PS-ORIG01.")
        );
        assert_eq!(event.public_note, None);
        assert_eq!(kept.public_events().count(), new.public_events().count());
        for id in ["separate.m1", "separate.m2"] {
            assert_eq!(
                keep_separate(&kept, id, NOW),
                Err(TransitionError::AlreadyApplied)
            );
        }
        new.status = Status::Dicabut;
        assert!(matches!(
            keep_separate(&new, "separate.m3", NOW),
            Err(TransitionError::NotAllowed { .. })
        ));
    }
}
