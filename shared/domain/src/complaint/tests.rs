//! The complaint lifecycle against the issue and `../shared/DESIGN.md` §5, with the real seed
//! holiday table. Expected dates are counted by hand from `infra/seed/holidays-2025-2026.json`
//! (the comments show the count), never with the calendar functions under test.

use std::collections::HashSet;
use std::sync::LazyLock;

use chrono::NaiveDate;
use ActorKind::{Citizen, Operator, System};
use Status::*;

use super::lifecycle::{MAX_EVENTS, MAX_PHOTOS, NOTE_MAX_CHARS};
use super::*;
use crate::calendar::CoverageGap;
use crate::content::HolidayCalendar;

pub(super) static SEED: LazyLock<HolidayCalendar> = LazyLock::new(|| {
    serde_json::from_str(include_str!(
        "../../../../infra/seed/holidays-2025-2026.json"
    ))
    .expect("the seed holiday table parses")
});

/// A category with 3 working days to answer and 14 to resolve.
const SLA: Sla = Sla {
    response_days: 3,
    resolution_days: 14,
};
const CITIZEN_KEY: &str = "wa:6281234567890";
const NOTE: &str = "Catatan untuk pelapor.";
const KINDS: [ActorKind; 3] = [Citizen, Operator, System];

pub(super) fn rules() -> Rules<'static> {
    Rules {
        sla: SLA,
        holidays: &SEED,
    }
}

pub(super) fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// Unix ms of a WIB wall-clock time, computed with chrono alone (WIB = UTC+7).
pub(super) fn wib(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    let utc = date(y, m, d)
        .and_hms_opt(h, min, 0)
        .expect("valid time")
        .and_utc();
    utc.timestamp_millis() - 7 * 3600 * 1000
}

/// The instant a deadline day ends: 00:00 WIB of the next day, i.e. 17:00 UTC of that day.
fn end_of_wib_day(y: i32, m: u32, d: u32) -> i64 {
    date(y, m, d)
        .and_hms_opt(17, 0, 0)
        .expect("valid time")
        .and_utc()
        .timestamp_millis()
}

fn actor(kind: ActorKind) -> Actor {
    match kind {
        Citizen => Actor::citizen(CITIZEN_KEY),
        Operator => Actor::operator("op-diskominfo-1"),
        System => Actor::system("scheduler"),
    }
}

fn photo(id: &str) -> Photo {
    Photo {
        media_id: id.to_string(),
        mime_type: Some("image/jpeg".to_string()),
        sha256: None,
        caption: None,
        stored_key: None,
        fetch_error: None,
    }
}

fn submission(at_ms: i64) -> Submission {
    Submission {
        ticket: "PS-7K3QX9".to_string(),
        citizen_key: CITIZEN_KEY.to_string(),
        reporter_name: Some("Budi".to_string()),
        category_id: "jalan-rusak".to_string(),
        opd_id: "dpupr".to_string(),
        description: "Jalan berlubang di depan SDN 1.".to_string(),
        location: None,
        photos: vec![photo("m1"), photo("m2")],
        privacy: Privacy::Biasa,
        source_wamid: "wamid.SUBMIT".to_string(),
        at_ms,
    }
}

/// Received on Friday 2026-03-13 at 10:00 WIB, just before Nyepi and Idulfitri.
fn received() -> Complaint {
    submit(submission(wib(2026, 3, 13, 10, 0)), &rules())
}

fn change(id: &str, at_ms: i64, kind: ActorKind, to: Status, note: Option<&str>) -> Change {
    Change {
        event_id: id.to_string(),
        at_ms,
        actor: actor(kind),
        to,
        public_note: note.map(str::to_string),
        internal_note: None,
    }
}

/// A change that must succeed (with a public note).
fn step(complaint: &Complaint, id: &str, at_ms: i64, kind: ActorKind, to: Status) -> Complaint {
    apply(complaint, change(id, at_ms, kind, to, Some(NOTE)), &rules())
        .unwrap_or_else(|e| panic!("{id}: {e}"))
}

fn info_text(text: &str) -> AddedInfo {
    AddedInfo {
        text: Some(text.to_string()),
        ..AddedInfo::default()
    }
}

/// A complaint brought to `target` through the shortest realistic path, all changes on Monday
/// 2026-03-16 from 09:00 WIB, an hour apart. None of these paths passes through `diproses`
/// unless `target` comes after it.
fn in_state(target: Status) -> Complaint {
    let to_opd: &[(Status, ActorKind)] = &[(Diverifikasi, Operator), (Diteruskan, Operator)];
    let done: &[(Status, ActorKind)] = &[(Diproses, Operator), (Selesai, Operator)];
    let path: Vec<(Status, ActorKind)> = match target {
        Diterima => vec![],
        Diverifikasi => vec![(Diverifikasi, Operator)],
        PerluDilengkapi => vec![(Diverifikasi, Operator), (PerluDilengkapi, Operator)],
        Ditolak => vec![(Ditolak, Operator)],
        BukanWewenang => vec![(BukanWewenang, Operator)],
        Diteruskan => to_opd.to_vec(),
        Diproses => [to_opd, &[(Diproses, Operator)]].concat(),
        Selesai => [to_opd, done].concat(),
        DibukaKembali => [to_opd, done, &[(DibukaKembali, Citizen)]].concat(),
        Ditutup => [to_opd, done, &[(Ditutup, Citizen)]].concat(),
        Dicabut => vec![(Dicabut, Citizen)],
    };
    let mut complaint = received();
    for (i, (to, kind)) in path.into_iter().enumerate() {
        let hour = 9 + u32::try_from(i).expect("short path");
        let id = format!("path.{i}.{to}");
        complaint = step(&complaint, &id, wib(2026, 3, 16, hour, 0), kind, to);
    }
    assert_eq!(complaint.status, target, "path to {target}");
    complaint
}

// ---- Statuses ----

#[test]
fn status_names_labels_and_finality() {
    let names = [
        "diterima",
        "diverifikasi",
        "perlu_dilengkapi",
        "ditolak",
        "bukan_wewenang",
        "diteruskan",
        "diproses",
        "selesai",
        "dibuka_kembali",
        "ditutup",
        "dicabut",
    ];
    assert_eq!(Status::ALL.len(), names.len());
    for (status, name) in Status::ALL.into_iter().zip(names) {
        assert_eq!(status.as_str(), name);
        assert_eq!(status.to_string(), name);
        assert_eq!(Status::parse(name), Some(status));
        // The stored (serde) name is the same as the one the API and docs use.
        assert_eq!(
            serde_json::to_string(&status).expect("serialises"),
            format!("\"{name}\"")
        );
    }
    assert_eq!(Status::parse("Diterima"), None);
    assert_eq!(Status::parse("closed"), None);

    let finals: HashSet<Status> = [Ditolak, BukanWewenang, Ditutup, Dicabut].into();
    for status in Status::ALL {
        assert_eq!(status.is_final(), finals.contains(&status), "{status}");
        assert_eq!(status.is_open(), !finals.contains(&status), "{status}");
    }
    assert_eq!(PerluDilengkapi.label(), "Perlu dilengkapi");
    assert_eq!(BukanWewenang.label(), "Bukan wewenang Pemkot");
}

// ---- 1. The transition table ----

/// The allowed (from, to, actor) triples, written from DESIGN §5 independently of
/// `TRANSITIONS`:
/// - Diskominfo (operator) triages a new or verified complaint: verify, forward to the OPD
///   (straight from `diterima` when it is clear at once), ask for more information, reject, or
///   declare it outside the city's authority.
/// - While `perlu_dilengkapi` the clock is paused; the citizen's answer (or an operator) resumes
///   it where it stood (verification, the OPD, or processing); silence closes it (scheduler),
///   an operator may close it too.
/// - The OPD (operator) starts work, asks for information, declares it outside the city's
///   authority, or sends it back to Diskominfo for routing; then finishes it.
/// - After `selesai` the citizen rates (closing it) or says "belum selesai" (reopening it);
///   an operator may do either; the scheduler closes it after 10 working days of silence.
/// - A reopened complaint goes back to work, or is answered again at once.
/// - The citizen withdraws before `diproses`, from any open state before it.
/// - Nothing leaves `ditolak`, `bukan_wewenang`, `ditutup`, `dicabut`.
fn expected_allowed() -> HashSet<(Status, Status, ActorKind)> {
    [
        (Diterima, Diverifikasi, Operator),
        (Diterima, Diteruskan, Operator),
        (Diterima, PerluDilengkapi, Operator),
        (Diterima, Ditolak, Operator),
        (Diterima, BukanWewenang, Operator),
        (Diterima, Dicabut, Citizen),
        (Diverifikasi, Diteruskan, Operator),
        (Diverifikasi, PerluDilengkapi, Operator),
        (Diverifikasi, Ditolak, Operator),
        (Diverifikasi, BukanWewenang, Operator),
        (Diverifikasi, Dicabut, Citizen),
        (PerluDilengkapi, Diverifikasi, Citizen),
        (PerluDilengkapi, Diverifikasi, Operator),
        (PerluDilengkapi, Diteruskan, Citizen),
        (PerluDilengkapi, Diteruskan, Operator),
        (PerluDilengkapi, Diproses, Citizen),
        (PerluDilengkapi, Diproses, Operator),
        (PerluDilengkapi, Ditutup, Operator),
        (PerluDilengkapi, Ditutup, System),
        (PerluDilengkapi, Dicabut, Citizen),
        (Diteruskan, Diproses, Operator),
        (Diteruskan, PerluDilengkapi, Operator),
        (Diteruskan, BukanWewenang, Operator),
        (Diteruskan, Diverifikasi, Operator),
        (Diteruskan, Dicabut, Citizen),
        (Diproses, Selesai, Operator),
        (Diproses, PerluDilengkapi, Operator),
        (Selesai, DibukaKembali, Citizen),
        (Selesai, DibukaKembali, Operator),
        (Selesai, Ditutup, Citizen),
        (Selesai, Ditutup, Operator),
        (Selesai, Ditutup, System),
        (DibukaKembali, Diproses, Operator),
        (DibukaKembali, Selesai, Operator),
    ]
    .into()
}

#[test]
fn is_allowed_matches_the_table_for_every_triple() {
    let expected = expected_allowed();
    assert_eq!(expected.len(), 34);
    let mut checked = 0;
    for from in Status::ALL {
        for to in Status::ALL {
            for kind in KINDS {
                assert_eq!(
                    is_allowed(from, to, kind),
                    expected.contains(&(from, to, kind)),
                    "{from} -> {to} by {kind:?}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 11 * 11 * 3);
    // The table itself lists nothing else (e.g. an actor list with a duplicate or a
    // self-transition that `is_allowed` would hide).
    let listed: HashSet<(Status, Status, ActorKind)> = TRANSITIONS
        .iter()
        .flat_map(|(from, to, kinds)| kinds.iter().map(move |k| (*from, *to, *k)))
        .collect();
    assert_eq!(listed, expected);
}

#[test]
fn next_states_lists_exactly_the_allowed_targets() {
    let expected = expected_allowed();
    for from in Status::ALL {
        for kind in KINDS {
            let got: HashSet<Status> = next_states(from, kind).into_iter().collect();
            let want: HashSet<Status> = expected
                .iter()
                .filter(|(f, _, k)| *f == from && *k == kind)
                .map(|(_, t, _)| *t)
                .collect();
            assert_eq!(got, want, "{from} by {kind:?}");
        }
    }
    assert_eq!(
        next_states(Diteruskan, Citizen),
        vec![Dicabut],
        "at the OPD the citizen can only withdraw"
    );
}

#[test]
fn final_states_have_no_exits_and_open_states_have_one() {
    for from in Status::ALL {
        let exits: Vec<Status> = KINDS
            .into_iter()
            .flat_map(|k| next_states(from, k))
            .collect();
        if from.is_final() {
            assert!(exits.is_empty(), "{from} has exits {exits:?}");
        } else {
            assert!(!exits.is_empty(), "{from} is a dead end");
        }
    }
}

#[test]
fn apply_refuses_exactly_what_the_table_refuses() {
    let expected = expected_allowed();
    let at = wib(2026, 3, 17, 9, 0);
    for from in Status::ALL {
        let complaint = in_state(from);
        for to in Status::ALL {
            for kind in KINDS {
                let request = Change {
                    internal_note: Some("catatan internal".to_string()),
                    ..change("t.1", at, kind, to, Some(NOTE))
                };
                let result = apply(&complaint, request, &rules());
                // The table allows a citizen's answer back to several states; `apply` takes
                // only the one the complaint stood in before the request.
                let beyond_resume = from == PerluDilengkapi
                    && kind == Citizen
                    && to != Dicabut
                    && to != resume_state(&complaint);
                if expected.contains(&(from, to, kind)) && !beyond_resume {
                    let next = result.unwrap_or_else(|e| panic!("{from} -> {to}: {e}"));
                    assert_eq!(next.status, to);
                    assert_eq!(next.updated_ms, at);
                    assert_eq!(next.version, complaint.version);
                    assert_eq!(next.events.len(), complaint.events.len() + 1);
                    assert_eq!(next.events[..complaint.events.len()], complaint.events[..]);
                    let event = next.events.last().expect("an event");
                    assert_eq!(event.id, "t.1");
                    assert_eq!(event.at_ms, at);
                    assert_eq!(event.actor, actor(kind));
                    assert_eq!(event.from, Some(from));
                    assert_eq!(event.to, to);
                    assert_eq!(event.public_note.as_deref(), Some(NOTE));
                    assert_eq!(event.internal_note.as_deref(), Some("catatan internal"));
                    assert_eq!(event.info, None);
                } else {
                    let err = result.expect_err("refused");
                    assert_eq!(
                        err,
                        TransitionError::NotAllowed {
                            from,
                            to,
                            actor: kind
                        },
                        "{from} -> {to} by {kind:?}"
                    );
                    let message = err.to_string();
                    assert!(message.contains(from.label()), "{message}");
                    assert!(message.contains(to.label()), "{message}");
                }
            }
        }
    }
}

#[test]
fn refusal_reasons_are_indonesian() {
    let err = apply(
        &in_state(Diterima),
        change("t.1", wib(2026, 3, 16, 9, 0), Operator, Selesai, Some(NOTE)),
        &rules(),
    )
    .expect_err("diterima cannot jump to selesai");
    assert_eq!(
        err.to_string(),
        "Status aduan *Diterima* tidak dapat diubah menjadi *Selesai ditangani* oleh petugas."
    );
    let err = apply(
        &in_state(Diteruskan),
        change("t.2", wib(2026, 3, 16, 15, 0), Citizen, Ditutup, None),
        &rules(),
    )
    .expect_err("the citizen cannot close a forwarded complaint");
    assert_eq!(
        err.to_string(),
        "Status aduan *Diteruskan ke OPD* tidak dapat diubah menjadi *Ditutup* oleh pelapor."
    );
    let err = TransitionError::NotAllowed {
        from: Ditutup,
        to: DibukaKembali,
        actor: System,
    };
    assert_eq!(
        err.to_string(),
        "Status aduan *Ditutup* tidak dapat diubah menjadi *Dibuka kembali* oleh sistem."
    );
}

// ---- Withdrawal ----

#[test]
fn citizen_can_withdraw_only_before_processing() {
    let withdrawable: HashSet<Status> =
        [Diterima, Diverifikasi, PerluDilengkapi, Diteruskan].into();
    for status in Status::ALL {
        let complaint = in_state(status);
        assert_eq!(
            can_withdraw(&complaint),
            withdrawable.contains(&status),
            "{status}"
        );
        if withdrawable.contains(&status) {
            // Withdrawal needs no note.
            let next = apply(
                &complaint,
                change("w.1", wib(2026, 3, 17, 9, 0), Citizen, Dicabut, None),
                &rules(),
            )
            .unwrap_or_else(|e| panic!("{status}: {e}"));
            assert_eq!(next.status, Dicabut);
            assert_eq!(next.next_due_ms, None);
            assert!(!can_withdraw(&next));
        }
    }
}

#[test]
fn never_withdrawn_once_processed_even_when_waiting_for_the_citizen() {
    let processed = in_state(Diproses);
    let waiting = step(
        &processed,
        "pd.1",
        wib(2026, 3, 17, 9, 0),
        Operator,
        PerluDilengkapi,
    );
    // The table alone would allow it from `perlu_dilengkapi`: the history refuses it.
    assert!(is_allowed(PerluDilengkapi, Dicabut, Citizen));
    assert!(!can_withdraw(&waiting));
    let err = apply(
        &waiting,
        change("w.1", wib(2026, 3, 17, 10, 0), Citizen, Dicabut, None),
        &rules(),
    )
    .expect_err("processed once");
    assert_eq!(err, TransitionError::WithdrawAfterProcessing);
    assert_eq!(
        err.to_string(),
        "Aduan yang sudah pernah *Sedang diproses* tidak dapat dicabut lagi."
    );

    // Reopened, then waiting again: still processed once.
    let reopened = in_state(DibukaKembali);
    let working = step(&reopened, "p.2", wib(2026, 3, 17, 9, 0), Operator, Diproses);
    let waiting = step(
        &working,
        "pd.2",
        wib(2026, 3, 17, 10, 0),
        Operator,
        PerluDilengkapi,
    );
    assert!(!can_withdraw(&waiting));
    assert_eq!(
        apply(
            &waiting,
            change("w.2", wib(2026, 3, 17, 11, 0), Citizen, Dicabut, None),
            &rules(),
        ),
        Err(TransitionError::WithdrawAfterProcessing)
    );

    // Waiting before ever being processed (at the OPD): withdrawal is still possible.
    let at_opd = in_state(Diteruskan);
    let waiting = step(
        &at_opd,
        "pd.3",
        wib(2026, 3, 17, 9, 0),
        Operator,
        PerluDilengkapi,
    );
    assert!(can_withdraw(&waiting));
}

// ---- 2. Notes ----

#[test]
fn answers_to_the_citizen_need_a_public_note() {
    let verified = in_state(Diverifikasi);
    let processing = in_state(Diproses);
    let at = wib(2026, 3, 17, 9, 0);
    let cases = [
        (&verified, Ditolak),
        (&verified, BukanWewenang),
        (&verified, PerluDilengkapi),
        (&processing, Selesai),
    ];
    for (complaint, to) in cases {
        for missing in [None, Some(""), Some("   \n\t ")] {
            let result = apply(
                complaint,
                change("n.1", at, Operator, to, missing),
                &rules(),
            );
            assert_eq!(
                result,
                Err(TransitionError::NoteRequired(to)),
                "{to} with {missing:?}"
            );
        }
        // An internal note does not stand in for the public one.
        let request = Change {
            internal_note: Some("alasan internal".to_string()),
            ..change("n.1", at, Operator, to, None)
        };
        assert_eq!(
            apply(complaint, request, &rules()),
            Err(TransitionError::NoteRequired(to))
        );
        assert!(apply(
            complaint,
            change("n.1", at, Operator, to, Some(NOTE)),
            &rules()
        )
        .is_ok());
    }
    assert_eq!(
        TransitionError::NoteRequired(BukanWewenang).to_string(),
        "Status *Bukan wewenang Pemkot* wajib disertai catatan untuk pelapor."
    );

    // Other changes need none; a blank note is stored as no note.
    let forwarded = apply(
        &verified,
        change("n.2", at, Operator, Diteruskan, Some("  ")),
        &rules(),
    )
    .expect("forwarding needs no note");
    assert_eq!(forwarded.events.last().expect("event").public_note, None);
}

#[test]
fn notes_are_trimmed_and_limited_in_characters() {
    let verified = in_state(Diverifikasi);
    let at = wib(2026, 3, 17, 9, 0);

    let next = apply(
        &verified,
        Change {
            internal_note: Some("  cek lapangan dulu \n".to_string()),
            ..change(
                "n.1",
                at,
                Operator,
                BukanWewenang,
                Some("  Silakan lapor ke Polres Probolinggo Kota.  "),
            )
        },
        &rules(),
    )
    .expect("valid notes");
    let event = next.events.last().expect("event");
    assert_eq!(
        event.public_note.as_deref(),
        Some("Silakan lapor ke Polres Probolinggo Kota.")
    );
    assert_eq!(event.internal_note.as_deref(), Some("cek lapangan dulu"));

    assert_eq!(NOTE_MAX_CHARS, 1000);
    let too_long = "a".repeat(1001);
    assert_eq!(
        apply(
            &verified,
            change("n.2", at, Operator, Ditolak, Some(&too_long)),
            &rules()
        ),
        Err(TransitionError::NoteTooLong)
    );
    assert_eq!(
        apply(
            &verified,
            Change {
                internal_note: Some(too_long.clone()),
                ..change("n.2", at, Operator, Ditolak, Some(NOTE))
            },
            &rules()
        ),
        Err(TransitionError::NoteTooLong)
    );
    assert_eq!(
        TransitionError::NoteTooLong.to_string(),
        "Catatan terlalu panjang (maksimal 1000 karakter)."
    );

    // 1000 characters of two bytes each: counted in characters, after trimming.
    let at_limit = format!("  {}  ", "é".repeat(1000));
    let next = apply(
        &verified,
        change("n.3", at, Operator, Ditolak, Some(&at_limit)),
        &rules(),
    )
    .expect("1000 characters are allowed");
    let stored = next.events.last().and_then(|e| e.public_note.clone());
    assert_eq!(stored.map(|n| n.chars().count()), Some(1000));
}

#[test]
fn public_events_hide_internal_only_events() {
    let complaint = in_state(Diteruskan);
    let mut complaint = apply(
        &complaint,
        Change {
            internal_note: Some("OPD minta data tambahan".to_string()),
            ..change(
                "pd.1",
                wib(2026, 3, 17, 9, 0),
                Operator,
                PerluDilengkapi,
                Some("Mohon kirim foto lokasi."),
            )
        },
        &rules(),
    )
    .expect("ask for information");
    // An operator's internal remark without a status change (as the operator API may add).
    complaint.events.push(ComplaintEvent {
        id: "remark.1".to_string(),
        at_ms: wib(2026, 3, 17, 10, 0),
        actor: actor(Operator),
        from: Some(PerluDilengkapi),
        to: PerluDilengkapi,
        public_note: None,
        internal_note: Some("pelapor sulit dihubungi".to_string()),
        info: None,
    });
    // A public remark without a status change.
    complaint.events.push(ComplaintEvent {
        id: "remark.2".to_string(),
        at_ms: wib(2026, 3, 17, 11, 0),
        actor: actor(Operator),
        from: Some(PerluDilengkapi),
        to: PerluDilengkapi,
        public_note: Some("Kami tunggu fotonya.".to_string()),
        internal_note: None,
        info: None,
    });
    let complaint = add_info(
        &complaint,
        "info.1",
        wib(2026, 3, 17, 12, 0),
        actor(Citizen),
        info_text("Fotonya menyusul."),
        &rules(),
    )
    .expect("the citizen answers");

    let ids: Vec<&str> = complaint.public_events().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "submit.wamid.SUBMIT",
            "path.0.diverifikasi",
            "path.1.diteruskan",
            "pd.1",
            "remark.2",
            "info.1"
        ]
    );
    assert!(complaint.has_event("remark.1"));
    // The internal note stays on its event only; it never becomes the public text.
    let pd = complaint
        .events
        .iter()
        .find(|e| e.id == "pd.1")
        .expect("pd.1");
    assert_eq!(pd.public_note.as_deref(), Some("Mohon kirim foto lokasi."));
    assert_eq!(pd.internal_note.as_deref(), Some("OPD minta data tambahan"));
}

// ---- 3. Idempotency and limits ----

#[test]
fn a_retried_cause_is_applied_once() {
    let complaint = in_state(Diverifikasi);
    let before = complaint.clone();
    let at = wib(2026, 3, 17, 9, 0);

    // The same request again, the creation event's id, a request reusing an id with
    // another target: all already applied, even the one the table would now refuse.
    for (id, to, kind) in [
        ("path.0.diverifikasi", Diverifikasi, Operator),
        ("path.0.diverifikasi", Diteruskan, Operator),
        ("submit.wamid.SUBMIT", Dicabut, Citizen),
        ("path.0.diverifikasi", Selesai, System),
    ] {
        assert_eq!(
            apply(&complaint, change(id, at, kind, to, Some(NOTE)), &rules()),
            Err(TransitionError::AlreadyApplied),
            "{id} -> {to}"
        );
    }
    assert_eq!(
        add_info(
            &complaint,
            "submit.wamid.SUBMIT",
            at,
            actor(Citizen),
            info_text("lagi"),
            &rules()
        ),
        Err(TransitionError::AlreadyApplied)
    );
    assert_eq!(complaint, before);

    // Applying a change, then retrying it on the result.
    let request = change("req-42", at, Operator, Diteruskan, None);
    let next = apply(&complaint, request.clone(), &rules()).expect("first time");
    let after = next.clone();
    assert_eq!(
        apply(&next, request, &rules()),
        Err(TransitionError::AlreadyApplied)
    );
    assert_eq!(next, after);
    assert_eq!(next.events.iter().filter(|e| e.id == "req-42").count(), 1);
}

#[test]
fn a_full_timeline_refuses_further_changes() {
    let mut complaint = in_state(Diverifikasi);
    let at = wib(2026, 3, 17, 9, 0);
    while complaint.events.len() < MAX_EVENTS {
        let n = complaint.events.len();
        complaint.events.push(ComplaintEvent {
            id: format!("remark.{n}"),
            at_ms: at,
            actor: actor(Operator),
            from: Some(Diverifikasi),
            to: Diverifikasi,
            public_note: None,
            internal_note: Some("catatan".to_string()),
            info: None,
        });
    }
    assert_eq!(complaint.events.len(), 200);
    assert_eq!(
        apply(
            &complaint,
            change("x", at, Operator, Diteruskan, None),
            &rules()
        ),
        Err(TransitionError::TimelineFull)
    );
    assert_eq!(
        add_info(
            &complaint,
            "y",
            at,
            actor(Citizen),
            info_text("a"),
            &rules()
        ),
        Err(TransitionError::TimelineFull)
    );
    complaint.events.pop();
    assert!(apply(
        &complaint,
        change("x", at, Operator, Diteruskan, None),
        &rules()
    )
    .is_ok());
}

// ---- 4. Clocks ----

// Seed holidays around the example (2026):
//   Wed 18 Mar cuti bersama Nyepi, Thu 19 Mar Nyepi, Fri 20 Mar cuti bersama Idulfitri,
//   Sat 21 / Sun 22 Mar Idulfitri, Mon 23 and Tue 24 Mar cuti bersama Idulfitri,
//   Fri 3 Apr Wafat Yesus Kristus, Fri 1 May Hari Buruh.
// Working days after Fri 13 Mar: Mon 16 (1), Tue 17 (2), Wed 25 (3), Thu 26 (4), Fri 27 (5),
//   Mon 30 (6), Tue 31 (7), Wed 1 Apr (8), Thu 2 (9), Mon 6 (10), Tue 7 (11), Wed 8 (12),
//   Thu 9 (13), Fri 10 (14), Mon 13 (15), Tue 14 (16).

#[test]
fn submit_starts_a_complaint_with_its_clocks() {
    let at = wib(2026, 3, 13, 10, 0);
    let complaint = received();
    assert_eq!(complaint.status, Diterima);
    assert_eq!(complaint.version, 0);
    assert_eq!(complaint.received_ms, at);
    assert_eq!(complaint.updated_ms, at);
    assert_eq!(complaint.ticket, "PS-7K3QX9");
    assert_eq!(complaint.citizen_key, CITIZEN_KEY);
    assert_eq!(complaint.source_wamid, "wamid.SUBMIT");
    assert_eq!(complaint.photos, vec![photo("m1"), photo("m2")]);
    assert_eq!(complaint.events.len(), 1);
    let event = &complaint.events[0];
    assert_eq!(event.id, "submit.wamid.SUBMIT");
    assert_eq!(event.at_ms, at);
    assert_eq!(event.actor, Actor::citizen(CITIZEN_KEY));
    assert_eq!(event.from, None);
    assert_eq!(event.to, Diterima);
    assert!(event.public_note.is_some());
    assert_eq!(event.internal_note, None);
    assert_eq!(
        complaint.deadlines,
        Deadlines {
            // 3rd working day after Fri 13 Mar: Mon 16, Tue 17, (Nyepi and Idulfitri
            // 18–24 Mar), Wed 25.
            response_date: Some(date(2026, 3, 25)),
            // 14th: Fri 10 Apr (Fri 3 Apr is Wafat Yesus Kristus).
            resolution_date: Some(date(2026, 4, 10)),
            paused_working_days: 0,
            complete_by_date: None,
            close_by_date: None,
            responded_ms: None,
            calendar_gap: None,
        }
    );
    // Unanswered: the scheduler's first point is the response reminder at 50 % of 3 working
    // days (the 2nd, Tue 17 Mar) at 07.30 WIB; the resolution's first (7th of 14: Tue 31
    // Mar) comes later.
    assert_eq!(complaint.next_due_ms, Some(wib(2026, 3, 17, 7, 30)));
    // The same submission gives the same complaint (a redelivered message).
    assert_eq!(received(), complaint);
}

#[test]
fn next_due_follows_the_response_then_the_resolution_then_the_auto_close() {
    // `next_due_ms` is the earliest SLA point not recorded (no scheduler acts here, so the
    // points stay pending): the response reminder at 50 % (2nd of 3 working days, Tue 17
    // Mar 07.30), then, once answered, the resolution reminder at 50 % (7th of 14, Tue 31
    // Mar 07.30), then the auto-close.
    let complaint = received();
    let complaint = step(
        &complaint,
        "v",
        wib(2026, 3, 16, 9, 0),
        Operator,
        Diverifikasi,
    );
    let complaint = step(
        &complaint,
        "f",
        wib(2026, 3, 16, 10, 0),
        Operator,
        Diteruskan,
    );
    // Verifying and forwarding do not answer the citizen yet.
    assert_eq!(complaint.deadlines.responded_ms, None);
    assert_eq!(complaint.next_due_ms, Some(wib(2026, 3, 17, 7, 30)));

    let started = wib(2026, 3, 16, 11, 0);
    let complaint = step(&complaint, "p", started, Operator, Diproses);
    assert_eq!(complaint.deadlines.responded_ms, Some(started));
    assert_eq!(complaint.next_due_ms, Some(wib(2026, 3, 31, 7, 30)));

    // Finished on Wed 8 Apr: 10 working days later is Wed 22 Apr (Thu 9, Fri 10, Mon 13 …
    // Fri 17, Mon 20, Tue 21, Wed 22).
    let complaint = step(&complaint, "s", wib(2026, 4, 8, 10, 0), Operator, Selesai);
    assert_eq!(complaint.deadlines.close_by_date, Some(date(2026, 4, 22)));
    assert_eq!(complaint.next_due_ms, Some(end_of_wib_day(2026, 4, 22)));
    assert_eq!(complaint.deadlines.responded_ms, Some(started));

    // Silence: the scheduler closes it.
    let closed = step(
        &complaint,
        "auto-close",
        end_of_wib_day(2026, 4, 22),
        System,
        Ditutup,
    );
    assert_eq!(closed.next_due_ms, None);
    assert_eq!(closed.deadlines.close_by_date, None);
    // The targets stay on record for statistics.
    assert_eq!(closed.deadlines.response_date, Some(date(2026, 3, 25)));
    assert_eq!(closed.deadlines.resolution_date, Some(date(2026, 4, 10)));
}

#[test]
fn a_pause_moves_the_resolution_target_by_the_working_days_paused() {
    let complaint = in_state(Diteruskan);
    // The OPD asks for more on Tuesday 31 Mar.
    let asked = wib(2026, 3, 31, 10, 0);
    let waiting = step(&complaint, "pd", asked, Operator, PerluDilengkapi);
    assert_eq!(waiting.deadlines.responded_ms, Some(asked));
    // 5 working days after Tue 31 Mar: Wed 1, Thu 2, (Fri 3 Apr holiday), Mon 6, Tue 7, Wed 8.
    assert_eq!(waiting.deadlines.complete_by_date, Some(date(2026, 4, 8)));
    assert_eq!(waiting.next_due_ms, Some(end_of_wib_day(2026, 4, 8)));
    assert_eq!(resume_state(&waiting), Diteruskan);

    // The citizen answers on Thursday 2 Apr: Wed 1 and Thu 2 were paused.
    let answer = AddedInfo {
        text: Some("Lokasinya di gang sebelah masjid.".to_string()),
        photos: vec![photo("m3")],
        location: None,
    };
    let resumed = add_info(
        &waiting,
        "wamid.ANSWER",
        wib(2026, 4, 2, 14, 0),
        actor(Citizen),
        answer.clone(),
        &rules(),
    )
    .expect("the citizen answers");
    assert_eq!(resumed.status, Diteruskan);
    assert_eq!(resumed.deadlines.paused_working_days, 2);
    // The request itself answered the citizen, so the response target stays Wed 25 Mar: a
    // late first answer cannot hide behind the pause it opened.
    assert_eq!(resumed.deadlines.response_date, Some(date(2026, 3, 25)));
    // 14 + 2 = 16th: Tue 14 Apr (was Fri 10 Apr).
    assert_eq!(resumed.deadlines.resolution_date, Some(date(2026, 4, 14)));
    assert_eq!(resumed.deadlines.complete_by_date, None);
    assert_eq!(resumed.deadlines.responded_ms, Some(asked));
    // The resolution's 50 % reminder is due on its 7th running working day: Tue 31 Mar, the
    // day of the request (the pause began after it). No scheduler recorded it here, so it is
    // still the earliest point; the 80 % one is the 12th running day, pushed by the two
    // paused days: Wed 8 Apr + 2 = Fri 10 Apr.
    assert_eq!(resumed.next_due_ms, Some(wib(2026, 3, 31, 7, 30)));
    let event = resumed.events.last().expect("event");
    assert_eq!(event.from, Some(PerluDilengkapi));
    assert_eq!(event.to, Diteruskan);
    assert_eq!(event.info.as_ref(), Some(&answer));

    // Processed, finished and reopened on Mon 13 Apr: a fresh 14 working days from the
    // reopening (Tue 14 … Thu 30 Apr = 13, Fri 1 May Hari Buruh, Mon 4 May = 14); the pause
    // before it no longer counts for the resolution, but the response date stays put.
    let working = step(&resumed, "p", wib(2026, 4, 6, 9, 0), Operator, Diproses);
    let done = step(&working, "s", wib(2026, 4, 8, 9, 0), Operator, Selesai);
    let reopened = step(
        &done,
        "belum",
        wib(2026, 4, 13, 9, 0),
        Citizen,
        DibukaKembali,
    );
    assert_eq!(reopened.deadlines.resolution_date, Some(date(2026, 5, 4)));
    assert_eq!(reopened.deadlines.response_date, Some(date(2026, 3, 25)));
    assert_eq!(reopened.deadlines.paused_working_days, 2);
    assert_eq!(reopened.deadlines.close_by_date, None);
    // A fresh period, fresh points: 50 % of 14 = 7th working day after Mon 13 Apr (Tue 14,
    // Wed 15, Thu 16, Fri 17, Mon 20, Tue 21, Wed 22).
    assert_eq!(reopened.next_due_ms, Some(wib(2026, 4, 22, 7, 30)));
}

#[test]
fn a_pause_over_holidays_or_within_a_day_counts_nothing() {
    // Asked on Tue 17 Mar, answered on Thu 19 Mar: Wed 18 and Thu 19 are Nyepi holidays.
    let complaint = in_state(Diverifikasi);
    let waiting = step(
        &complaint,
        "pd",
        wib(2026, 3, 17, 10, 0),
        Operator,
        PerluDilengkapi,
    );
    // 5 working days after Tue 17 Mar: Wed 25, Thu 26, Fri 27, Mon 30, Tue 31.
    assert_eq!(waiting.deadlines.complete_by_date, Some(date(2026, 3, 31)));
    assert_eq!(resume_state(&waiting), Diverifikasi);
    let resumed = add_info(
        &waiting,
        "a",
        wib(2026, 3, 19, 20, 0),
        actor(Citizen),
        info_text("ini fotonya"),
        &rules(),
    )
    .expect("answer");
    assert_eq!(resumed.status, Diverifikasi);
    assert_eq!(resumed.deadlines.paused_working_days, 0);
    assert_eq!(resumed.deadlines.response_date, Some(date(2026, 3, 25)));
    assert_eq!(resumed.deadlines.resolution_date, Some(date(2026, 4, 10)));

    // Asked and answered on the same working day.
    let at_opd = in_state(Diteruskan);
    let waiting = step(
        &at_opd,
        "pd",
        wib(2026, 3, 31, 9, 0),
        Operator,
        PerluDilengkapi,
    );
    let resumed = add_info(
        &waiting,
        "a",
        wib(2026, 3, 31, 15, 0),
        actor(Citizen),
        info_text("sudah"),
        &rules(),
    )
    .expect("answer");
    assert_eq!(resumed.deadlines.paused_working_days, 0);
    assert_eq!(resumed.deadlines.response_date, Some(date(2026, 3, 25)));
    assert_eq!(resumed.deadlines.resolution_date, Some(date(2026, 4, 10)));
}

#[test]
fn silence_while_incomplete_lets_the_scheduler_close_it() {
    let waiting = step(
        &in_state(Diteruskan),
        "pd",
        wib(2026, 3, 31, 10, 0),
        Operator,
        PerluDilengkapi,
    );
    let due = waiting.next_due_ms.expect("due");
    assert_eq!(due, end_of_wib_day(2026, 4, 8));
    let closed = apply(
        &waiting,
        change(
            "autoclose.incomplete",
            due,
            System,
            Ditutup,
            Some("Aduan ditutup karena data tidak dilengkapi."),
        ),
        &rules(),
    )
    .expect("the scheduler may close it");
    assert_eq!(closed.status, Ditutup);
    assert_eq!(closed.next_due_ms, None);
    assert_eq!(closed.deadlines.complete_by_date, None);
    let event = closed.events.last().expect("event");
    assert_eq!(event.actor.kind, System);
    assert_eq!(event.from, Some(PerluDilengkapi));
    // The scheduler may not make any other move.
    assert_eq!(next_states(PerluDilengkapi, System), vec![Ditutup]);
}

#[test]
fn resume_state_is_where_the_complaint_stood_before_the_pause() {
    let at = wib(2026, 3, 17, 9, 0);
    let from_processing = step(&in_state(Diproses), "pd", at, Operator, PerluDilengkapi);
    assert_eq!(resume_state(&from_processing), Diproses);
    let resumed = add_info(
        &from_processing,
        "a",
        wib(2026, 3, 17, 10, 0),
        actor(Citizen),
        info_text("ok"),
        &rules(),
    )
    .expect("answer");
    assert_eq!(resumed.status, Diproses);

    // Asked straight from `diterima`: it resumes as verified (it has been looked at).
    let from_new = step(&received(), "pd", at, Operator, PerluDilengkapi);
    assert_eq!(resume_state(&from_new), Diverifikasi);

    // The latest pause counts: verified → paused → resumed → forwarded → paused again.
    let first = step(
        &in_state(Diverifikasi),
        "pd.1",
        at,
        Operator,
        PerluDilengkapi,
    );
    let back = add_info(
        &first,
        "a.1",
        wib(2026, 3, 17, 10, 0),
        actor(Citizen),
        info_text("x"),
        &rules(),
    )
    .expect("answer");
    let forwarded = step(&back, "f", wib(2026, 3, 17, 11, 0), Operator, Diteruskan);
    let second = step(
        &forwarded,
        "pd.2",
        wib(2026, 3, 17, 12, 0),
        Operator,
        PerluDilengkapi,
    );
    assert_eq!(resume_state(&second), Diteruskan);
}

#[test]
fn dates_in_an_uncovered_year_are_flagged() {
    // Received Mon 21 Dec 2026: response on Mon 28 Dec (Tue 22, Wed 23, then Thu 24 cuti
    // bersama and Fri 25 Natal, Mon 28); resolution 14 working days later runs into 2027,
    // which the seed does not cover (Fri 1 Jan 2027 then counts as a working day):
    // 28 Dec (3), 29 (4), 30 (5), 31 (6), 1 Jan (7), 4 (8) … 8 (12), 11 (13), Tue 12 Jan (14).
    let complaint = submit(submission(wib(2026, 12, 21, 10, 0)), &rules());
    assert_eq!(complaint.deadlines.response_date, Some(date(2026, 12, 28)));
    assert_eq!(complaint.deadlines.resolution_date, Some(date(2027, 1, 12)));
    assert_eq!(
        complaint.deadlines.calendar_gap,
        Some(CoverageGap { year: 2027 })
    );
    // Within the covered years there is no gap.
    assert_eq!(received().deadlines.calendar_gap, None);
}

// ---- 5. Adding information ----

#[test]
fn added_photos_are_deduplicated_and_capped() {
    let complaint = in_state(Diproses);
    let info = AddedInfo {
        text: None,
        photos: vec![photo("m2"), photo("m3"), photo("m3"), photo("m4")],
        location: None,
    };
    let next = add_info(
        &complaint,
        "i.1",
        wib(2026, 3, 17, 9, 0),
        actor(Citizen),
        info,
        &rules(),
    )
    .expect("added");
    let ids: Vec<&str> = next.photos.iter().map(|p| p.media_id.as_str()).collect();
    assert_eq!(ids, ["m1", "m2", "m3", "m4"]);

    assert_eq!(MAX_PHOTOS, 10);
    let mut full = in_state(Diproses);
    full.photos = (1..=9).map(|i| photo(&format!("m{i}"))).collect();
    let info = AddedInfo {
        text: None,
        photos: vec![photo("m1"), photo("n1"), photo("n2"), photo("n3")],
        location: None,
    };
    let next = add_info(
        &full,
        "i.2",
        wib(2026, 3, 17, 9, 0),
        actor(Citizen),
        info.clone(),
        &rules(),
    )
    .expect("added");
    let ids: Vec<&str> = next.photos.iter().map(|p| p.media_id.as_str()).collect();
    assert_eq!(
        ids,
        ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "n1"]
    );
    // The event keeps what the citizen sent.
    assert_eq!(next.events.last().and_then(|e| e.info.clone()), Some(info));
}

#[test]
fn an_added_location_only_fills_a_missing_one() {
    let complaint = in_state(Diteruskan);
    assert_eq!(complaint.location, None);
    let typed = ComplaintLocation::Typed {
        text: "Jl. Panglima Sudirman depan pasar".to_string(),
    };
    let pin = ComplaintLocation::Pin {
        latitude: -7.7543,
        longitude: 113.2159,
        name: None,
        address: None,
    };
    let first = add_info(
        &complaint,
        "l.1",
        wib(2026, 3, 17, 9, 0),
        actor(Citizen),
        AddedInfo {
            location: Some(typed.clone()),
            ..AddedInfo::default()
        },
        &rules(),
    )
    .expect("added");
    assert_eq!(first.location, Some(typed.clone()));
    let second = add_info(
        &first,
        "l.2",
        wib(2026, 3, 17, 10, 0),
        actor(Citizen),
        AddedInfo {
            location: Some(pin.clone()),
            ..AddedInfo::default()
        },
        &rules(),
    )
    .expect("added");
    assert_eq!(second.location, Some(typed));
    // Still on the timeline for the operator to see.
    let event = second.events.last().expect("event");
    assert_eq!(
        event.info.as_ref().and_then(|i| i.location.clone()),
        Some(pin)
    );
}

#[test]
fn nothing_is_added_to_a_final_complaint() {
    for status in [Ditolak, BukanWewenang, Ditutup, Dicabut] {
        let complaint = in_state(status);
        for kind in KINDS {
            assert_eq!(
                add_info(
                    &complaint,
                    "late",
                    wib(2026, 3, 17, 9, 0),
                    actor(kind),
                    info_text("masih ada?"),
                    &rules()
                ),
                Err(TransitionError::NotAllowed {
                    from: status,
                    to: status,
                    actor: kind
                }),
                "{status}"
            );
        }
    }
}

#[test]
fn added_information_changes_the_status_only_when_answering_a_request() {
    let at = wib(2026, 3, 17, 9, 0);
    // Open states other than `perlu_dilengkapi`, and an operator's addition while waiting:
    // recorded without a status change, clocks untouched.
    let waiting = step(
        &in_state(Diteruskan),
        "pd",
        wib(2026, 3, 16, 15, 0),
        Operator,
        PerluDilengkapi,
    );
    let cases = [
        (in_state(Diterima), Citizen),
        (in_state(Diverifikasi), Citizen),
        (in_state(Diteruskan), Citizen),
        (in_state(Diproses), Citizen),
        (in_state(Selesai), Citizen),
        (in_state(DibukaKembali), Citizen),
        (in_state(Diproses), Operator),
        (waiting.clone(), Operator),
    ];
    for (complaint, kind) in cases {
        let status = complaint.status;
        let info = info_text("tambahan keterangan");
        let next = add_info(&complaint, "i", at, actor(kind), info.clone(), &rules())
            .unwrap_or_else(|e| panic!("{status}: {e}"));
        assert_eq!(next.status, status);
        assert_eq!(next.updated_ms, at);
        assert_eq!(next.deadlines, complaint.deadlines, "{status}");
        assert_eq!(next.next_due_ms, complaint.next_due_ms, "{status}");
        let event = next.events.last().expect("event");
        assert_eq!(event.from, Some(status));
        assert_eq!(event.to, status);
        assert!(!event.changes_status());
        assert_eq!(event.actor, actor(kind));
        assert_eq!(event.info, Some(info));
        assert_eq!(event.public_note, None);
        assert_eq!(event.internal_note, None);
    }

    // The citizen's answer while waiting resumes the complaint.
    let resumed = add_info(
        &waiting,
        "i",
        at,
        actor(Citizen),
        info_text("ini datanya"),
        &rules(),
    )
    .expect("answer");
    assert_eq!(resumed.status, Diteruskan);
    let event = resumed.events.last().expect("event");
    assert_eq!(event.from, Some(PerluDilengkapi));
    assert_eq!(event.to, Diteruskan);
    assert!(event.changes_status());
}
