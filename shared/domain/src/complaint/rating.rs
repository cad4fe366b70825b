//! The citizen's answer to `selesai`: *Sudah* with a 1–5 rating (which closes the complaint)
//! and an optional comment, or *Belum* (which reopens it for the OPD).

use super::{
    lifecycle::{apply, Change, Rules, TransitionError, MAX_EVENTS},
    model::{Actor, ActorKind, AddedInfo, Complaint, ComplaintEvent, Rating, Status},
};

pub use super::limits::COMMENT_MAX_CHARS;
pub const MIN_SCORE: u8 = 1;
pub const MAX_SCORE: u8 = 5;

/// The public note of the closing event.
pub fn rated_note(score: u8) -> String {
    format!("Dinilai pelapor: {score}/{MAX_SCORE}")
}

/// The public note of a reopening by the citizen.
pub fn reopen_note(reason: Option<&str>) -> String {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(reason) => format!("Pelapor menyatakan belum selesai: {reason}"),
        None => "Pelapor menyatakan belum selesai.".to_string(),
    }
}

/// Records the rating of a `selesai` complaint and closes it (`selesai → ditutup`) in one
/// event. The rating is the reporter's verdict: the citizen gives it, an operator may record
/// one given by phone, the scheduler never rates (it closes through `auto_close`).
pub fn rate(
    complaint: &Complaint,
    score: u8,
    event_id: &str,
    at_ms: i64,
    actor: Actor,
    rules: &Rules,
) -> Result<Complaint, TransitionError> {
    if complaint.has_event(event_id) {
        return Err(TransitionError::AlreadyApplied);
    }
    if !(MIN_SCORE..=MAX_SCORE).contains(&score) {
        return Err(TransitionError::InvalidScore(score));
    }
    if actor.kind == ActorKind::System || complaint.status != Status::Selesai {
        return Err(TransitionError::NotAllowed {
            from: complaint.status,
            to: Status::Ditutup,
            actor: actor.kind,
        });
    }
    let change = Change {
        event_id: event_id.to_string(),
        at_ms,
        actor,
        to: Status::Ditutup,
        public_note: Some(rated_note(score)),
        internal_note: None,
    };
    let mut next = apply(complaint, change, rules)?;
    next.rating = Some(Rating {
        score,
        comment: None,
        at_ms,
    });
    Ok(next)
}

/// Adds the citizen's comment to their rating, once. The complaint is closed by then, which
/// [`super::add_info`] refuses; this is the one addition a closed complaint takes: an event
/// without a status change carrying the comment (public: the citizen's own words), and
/// `rating.comment`.
pub fn add_rating_comment(
    complaint: &Complaint,
    comment: &str,
    event_id: &str,
    at_ms: i64,
) -> Result<Complaint, TransitionError> {
    if complaint.has_event(event_id) {
        return Err(TransitionError::AlreadyApplied);
    }
    let Some(rating) = &complaint.rating else {
        return Err(TransitionError::NotRated);
    };
    if rating.comment.is_some() {
        return Err(TransitionError::AlreadyCommented);
    }
    if complaint.events.len() >= MAX_EVENTS {
        return Err(TransitionError::TimelineFull);
    }
    let comment = comment.trim();
    if comment.is_empty() {
        return Err(TransitionError::EmptyComment);
    }
    if comment.chars().count() > COMMENT_MAX_CHARS {
        return Err(TransitionError::CommentTooLong);
    }
    let mut next = complaint.clone();
    next.rating = Some(Rating {
        comment: Some(comment.to_string()),
        ..rating.clone()
    });
    next.updated_ms = at_ms;
    next.events.push(ComplaintEvent {
        id: event_id.to_string(),
        at_ms,
        actor: Actor::citizen(&complaint.citizen_key),
        from: Some(complaint.status),
        to: complaint.status,
        public_note: None,
        internal_note: None,
        info: Some(AddedInfo {
            text: Some(comment.to_string()),
            ..AddedInfo::default()
        }),
    });
    Ok(next)
}

/// The citizen says the problem is not solved (*Belum*): `selesai → dibuka_kembali`, which
/// gives the OPD a fresh resolution period and alerts it (the notification follows the event).
pub fn reopen(
    complaint: &Complaint,
    reason: Option<&str>,
    event_id: &str,
    at_ms: i64,
    rules: &Rules,
) -> Result<Complaint, TransitionError> {
    apply(
        complaint,
        Change {
            event_id: event_id.to_string(),
            at_ms,
            actor: Actor::citizen(&complaint.citizen_key),
            to: Status::DibukaKembali,
            public_note: Some(reopen_note(reason)),
            internal_note: None,
        },
        rules,
    )
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;
    use crate::{
        complaint::{add_info, schedule::Sla, submit, Privacy, Submission},
        content::HolidayCalendar,
    };

    static HOLIDAYS: LazyLock<HolidayCalendar> = LazyLock::new(|| {
        serde_json::from_str(include_str!(
            "../../../../infra/seed/holidays-2025-2026.json"
        ))
        .expect("the seed holiday table parses")
    });
    const KEY: &str = "6281234567890";
    /// Monday 30 November 2026, 10:00 WIB.
    const T0: i64 = 1_796_007_600_000;
    const HOUR: i64 = 3_600_000;

    fn rules() -> Rules<'static> {
        Rules {
            sla: Sla {
                response_days: 3,
                resolution_days: 14,
            },
            holidays: &HOLIDAYS,
        }
    }

    fn operator(complaint: &Complaint, to: Status, note: Option<&str>) -> Complaint {
        let change = Change {
            event_id: format!("op.{}", complaint.events.len()),
            at_ms: complaint.updated_ms + HOUR,
            actor: Actor::operator("opd-1"),
            to,
            public_note: note.map(str::to_string),
            internal_note: None,
        };
        apply(complaint, change, &rules()).expect("operator change")
    }

    fn new_complaint() -> Complaint {
        submit(
            Submission {
                ticket: "PS-RATE01".into(),
                citizen_key: KEY.into(),
                reporter_name: None,
                category_id: "jalan-rusak".into(),
                opd_id: "dpupr".into(),
                description: "Jalan berlubang di depan sekolah".into(),
                location: None,
                photos: Vec::new(),
                privacy: Privacy::Biasa,
                source_wamid: "wamid.SUBMIT".into(),
                at_ms: T0,
            },
            &rules(),
        )
    }

    fn finished() -> Complaint {
        let c = operator(&new_complaint(), Status::Diteruskan, None);
        let c = operator(&c, Status::Diproses, None);
        operator(&c, Status::Selesai, Some("Lubang sudah ditambal."))
    }

    #[test]
    fn a_rating_closes_a_finished_complaint_in_one_event() {
        let done = finished();
        assert!(done.next_due_ms.is_some());
        let at = done.updated_ms + HOUR;
        let rated = rate(&done, 4, "rate.m1", at, Actor::citizen(KEY), &rules()).expect("rated");
        assert_eq!(rated.status, Status::Ditutup);
        assert_eq!(
            rated.rating,
            Some(Rating {
                score: 4,
                comment: None,
                at_ms: at
            })
        );
        assert_eq!(rated.events.len(), done.events.len() + 1);
        let event = rated.events.last().expect("event");
        assert_eq!(event.from, Some(Status::Selesai));
        assert_eq!(event.to, Status::Ditutup);
        assert_eq!(event.public_note.as_deref(), Some("Dinilai pelapor: 4/5"));
        assert_eq!(event.actor, Actor::citizen(KEY));
        // Closed: nothing is due any more.
        assert_eq!(rated.next_due_ms, None);
        assert_eq!(rated.version, done.version);
        // The same cause again is recognised; another one finds it closed.
        assert_eq!(
            rate(&rated, 4, "rate.m1", at, Actor::citizen(KEY), &rules()),
            Err(TransitionError::AlreadyApplied)
        );
        assert!(matches!(
            rate(&rated, 5, "rate.m2", at, Actor::citizen(KEY), &rules()),
            Err(TransitionError::NotAllowed {
                from: Status::Ditutup,
                ..
            })
        ));
    }

    #[test]
    fn scores_outside_one_to_five_and_unfinished_complaints_are_refused() {
        let done = finished();
        for score in [0, 6, 255] {
            let result = rate(&done, score, "rate.x", T0, Actor::citizen(KEY), &rules());
            assert_eq!(result, Err(TransitionError::InvalidScore(score)));
        }
        assert_eq!(
            TransitionError::InvalidScore(6).to_string(),
            "Nilai harus antara 1 dan 5 (bukan 6)."
        );
        for score in MIN_SCORE..=MAX_SCORE {
            let rated = rate(&done, score, "rate.x", T0, Actor::citizen(KEY), &rules());
            assert_eq!(rated.map(|c| c.rating.map(|r| r.score)), Ok(Some(score)));
        }
        let open = operator(&new_complaint(), Status::Diteruskan, None);
        assert_eq!(
            rate(&open, 5, "rate.x", T0, Actor::citizen(KEY), &rules()),
            Err(TransitionError::NotAllowed {
                from: Status::Diteruskan,
                to: Status::Ditutup,
                actor: ActorKind::Citizen,
            })
        );
        // The scheduler closes without a rating; it never gives one.
        assert!(matches!(
            rate(&done, 3, "rate.x", T0, Actor::system("scheduler"), &rules()),
            Err(TransitionError::NotAllowed { .. })
        ));
        // An operator may record a rating given by phone.
        assert!(rate(&done, 3, "rate.x", T0, Actor::operator("op"), &rules()).is_ok());
    }

    #[test]
    fn one_comment_after_the_rating_is_kept_with_it_and_in_the_timeline() {
        let done = finished();
        let rated = rate(&done, 2, "rate.m1", T0, Actor::citizen(KEY), &rules()).expect("rated");
        // Closed complaints take no other information.
        let info = AddedInfo {
            text: Some("x".into()),
            ..AddedInfo::default()
        };
        assert!(add_info(&rated, "i", T0, Actor::citizen(KEY), info, &rules()).is_err());

        assert_eq!(
            add_rating_comment(&done, "bagus", "c.1", T0),
            Err(TransitionError::NotRated)
        );
        assert_eq!(
            add_rating_comment(&rated, "  \n ", "c.1", T0),
            Err(TransitionError::EmptyComment)
        );
        let long = "a".repeat(COMMENT_MAX_CHARS + 1);
        assert_eq!(
            add_rating_comment(&rated, &long, "c.1", T0),
            Err(TransitionError::CommentTooLong)
        );
        let fits = "é".repeat(COMMENT_MAX_CHARS);
        assert!(add_rating_comment(&rated, &fits, "c.1", T0).is_ok());

        let at = T0 + HOUR;
        let commented = add_rating_comment(&rated, "  Tambalannya sudah retak lagi. ", "c.1", at)
            .expect("comment");
        let rating = commented.rating.clone().expect("rating");
        assert_eq!(rating.score, 2);
        assert_eq!(
            rating.comment.as_deref(),
            Some("Tambalannya sudah retak lagi.")
        );
        assert_eq!(commented.status, Status::Ditutup);
        let event = commented.events.last().expect("event");
        assert_eq!(
            (event.from, event.to),
            (Some(Status::Ditutup), Status::Ditutup)
        );
        assert_eq!(
            event.info.as_ref().and_then(|i| i.text.as_deref()),
            Some("Tambalannya sudah retak lagi.")
        );
        assert_eq!(event.actor, Actor::citizen(KEY));
        assert!(commented.public_events().any(|e| e.id == "c.1"));
        assert_eq!(commented.updated_ms, at);
        assert_eq!(
            add_rating_comment(&commented, "lagi", "c.1", at),
            Err(TransitionError::AlreadyApplied)
        );
        assert_eq!(
            add_rating_comment(&commented, "lagi", "c.2", at),
            Err(TransitionError::AlreadyCommented)
        );
    }

    #[test]
    fn belum_reopens_with_a_public_note_and_a_fresh_resolution_period() {
        let done = finished();
        // A week after the submission: the fresh period ends a week later than the first.
        let at = T0 + 7 * 24 * HOUR;
        let reopened = reopen(&done, None, "reopen.m1", at, &rules()).expect("reopened");
        assert_eq!(reopened.status, Status::DibukaKembali);
        let event = reopened.events.last().expect("event");
        assert_eq!(event.actor, Actor::citizen(KEY));
        assert_eq!(
            event.public_note.as_deref(),
            Some("Pelapor menyatakan belum selesai.")
        );
        let first = done.deadlines.resolution_date.expect("resolution date");
        assert!(
            reopened.deadlines.resolution_date > Some(first),
            "{:?}",
            reopened.deadlines
        );
        assert_eq!(reopened.deadlines.close_by_date, None);
        let with_reason =
            reopen(&done, Some(" lubang masih ada "), "reopen.m2", at, &rules()).expect("ok");
        assert_eq!(
            with_reason
                .events
                .last()
                .and_then(|e| e.public_note.as_deref()),
            Some("Pelapor menyatakan belum selesai: lubang masih ada")
        );
        // Additions are taken while it is reopened.
        let info = AddedInfo {
            text: Some("Masih berlubang".into()),
            ..AddedInfo::default()
        };
        let added = add_info(
            &reopened,
            "info.m2",
            at,
            Actor::citizen(KEY),
            info,
            &rules(),
        )
        .expect("added");
        assert_eq!(added.status, Status::DibukaKembali);
        assert_eq!(
            reopen(&reopened, None, "reopen.m1", at, &rules()),
            Err(TransitionError::AlreadyApplied)
        );
        let open = operator(&new_complaint(), Status::Diteruskan, None);
        assert!(reopen(&open, None, "reopen.m3", at, &rules()).is_err());
    }
}
