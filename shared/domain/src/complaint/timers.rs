//! What happens by itself when a complaint's clock runs out. The scheduler reads due
//! complaints (`ComplaintStore::complaints_due`) and applies these changes; the citizen is
//! told through the public note, like for any other status change.

use super::{
    lifecycle::Change,
    model::{Actor, Complaint, Status},
    schedule::{CLOSE_AFTER_WORKING_DAYS, COMPLETE_WITHIN_WORKING_DAYS},
};
// Both live below `lifecycle` (the SLA points need them to compute `next_due_ms`); this
// module, which builds a `lifecycle::Change`, sits above it and only passes them on.
pub use super::{schedule::auto_close_due_ms, sla::SCHEDULER};

pub fn incomplete_note() -> String {
    format!(
        "Aduan ditutup karena informasi tambahan yang diminta belum kami terima dalam \
         {COMPLETE_WITHIN_WORKING_DAYS} hari kerja. Bila masalahnya masih ada, silakan buat \
         aduan baru dengan keterangan lengkap."
    )
}

pub fn unrated_note() -> String {
    format!(
        "Aduan ditutup karena tidak ada tanggapan dari pelapor dalam \
         {CLOSE_AFTER_WORKING_DAYS} hari kerja setelah dinyatakan selesai. Terima kasih."
    )
}

/// The automatic closing due at `now_ms`, if any: `perlu_dilengkapi` without an answer
/// closes as incomplete, `selesai` without the citizen's answer closes. The event id derives
/// from the ticket and the due instant, so overlapping or retried ticks apply it once.
pub fn auto_close(complaint: &Complaint, now_ms: i64) -> Option<Change> {
    let due = auto_close_due_ms(complaint)?;
    if now_ms < due {
        return None;
    }
    let (public_note, internal_note) = match complaint.status {
        Status::PerluDilengkapi => (
            incomplete_note(),
            "Ditutup otomatis: tidak dilengkapi pelapor (tidak lengkap).",
        ),
        Status::Selesai => (
            unrated_note(),
            "Ditutup otomatis: pelapor tidak menanggapi hasil penanganan.",
        ),
        _ => return None,
    };
    Some(Change {
        event_id: format!("auto-close.{}.{due}", complaint.ticket),
        at_ms: now_ms,
        actor: Actor::system(SCHEDULER),
        to: Status::Ditutup,
        public_note: Some(public_note),
        internal_note: Some(internal_note.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        calendar,
        complaint::{apply, submit, Rules, Sla, Submission, TransitionError},
        content::HolidayCalendar,
    };

    fn holidays() -> HolidayCalendar {
        serde_json::from_str(include_str!(
            "../../../../infra/seed/holidays-2025-2026.json"
        ))
        .unwrap_or_else(|error| panic!("seed holidays: {error}"))
    }

    fn at(y: i32, m: u32, d: u32, h: u32) -> i64 {
        let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        calendar::wib_to_ms(date.and_hms_opt(h, 0, 0).unwrap_or_default())
    }

    #[test]
    fn an_unanswered_request_for_information_closes_after_five_working_days() {
        let holidays = holidays();
        let rules = Rules {
            sla: Sla {
                response_days: 3,
                resolution_days: 14,
            },
            holidays: &holidays,
        };
        // Received Monday 2 November 2026; information requested Tuesday 3 November.
        let received = submit(
            Submission {
                ticket: "PS-7K3QX9".into(),
                citizen_key: "6281".into(),
                reporter_name: None,
                category_id: "jalan-rusak".into(),
                opd_id: "dpupr-pkp".into(),
                description: "Jalan berlubang di depan pasar".into(),
                location: None,
                photos: Vec::new(),
                privacy: Default::default(),
                source_wamid: "wamid.1".into(),
                at_ms: at(2026, 11, 2, 9),
            },
            &rules,
        );
        assert_eq!(
            auto_close(&received, at(2027, 1, 1, 0)),
            None,
            "not while diterima"
        );
        let waiting = apply(
            &received,
            Change {
                event_id: "op.1".into(),
                at_ms: at(2026, 11, 3, 10),
                actor: Actor::operator("op"),
                to: Status::PerluDilengkapi,
                public_note: Some("Mohon kirim foto lokasi.".into()),
                internal_note: None,
            },
            &rules,
        )
        .unwrap_or_else(|error| panic!("{error}"));
        // Five working days after Tuesday 3 November: 4, 5, 6, 9, 10 November; the clock
        // runs out when Tuesday 10 November ends (00:00 WIB on the 11th).
        let due = at(2026, 11, 11, 0);
        assert_eq!(waiting.next_due_ms, Some(due));
        assert_eq!(auto_close(&waiting, due - 1), None);
        let change = auto_close(&waiting, due + 60_000).unwrap_or_else(|| panic!("due"));
        assert_eq!(change.to, Status::Ditutup);
        assert_eq!(change.actor, Actor::system(SCHEDULER));
        assert_eq!(
            change.public_note.as_deref(),
            Some(incomplete_note().as_str())
        );
        let closed = apply(&waiting, change.clone(), &rules).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(closed.status, Status::Ditutup);
        assert_eq!(closed.next_due_ms, None);
        assert_eq!(auto_close(&closed, due + 120_000), None);
        // A second tick computes the same change: it is recognised, not applied twice.
        let again = auto_close(&waiting, due + 90_000).unwrap_or_else(|| panic!("due"));
        assert_eq!(again.event_id, change.event_id);
        assert_eq!(
            apply(&closed, again, &rules),
            Err(TransitionError::AlreadyApplied)
        );
    }
}
