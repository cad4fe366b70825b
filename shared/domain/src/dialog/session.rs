//! The per-citizen dialog state, stored by the worker as opaque JSON with a TTL
//! (`ports::StoredSession`) and saved with an optimistic version around each message.

use serde::{Deserialize, Serialize};

use crate::calendar::DAY_MS;
use crate::complaint::{ComplaintLocation, Photo, Privacy};

/// How long a session lives after the citizen's last message. Longer than a handoff, so the
/// lapse notice is still due when the citizen comes back the next day.
pub const SESSION_TTL_MS: i64 = 7 * DAY_MS;
/// A handoff lapses this long after it was requested (Meta's customer service window is as
/// long: after it an operator could not answer freely anyway).
pub const HANDOFF_TTL_MS: i64 = DAY_MS;

#[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq)]
#[serde(default)]
pub struct Session {
    /// The last list the bot sent (`main`, `info-1`, `page:faq.umum:2`, `suggest`, …).
    /// Informational: every row id routes by itself, whatever list is current.
    pub menu: Option<String>,
    /// A multi-step flow in progress.
    pub flow: Option<Flow>,
    /// Set while the conversation belongs to a human operator.
    pub handoff: Option<Handoff>,
    pub last_inbound_ms: Option<i64>,
    /// FAQ/service ids offered in the last "Apakah maksud Anda …" list, to tell the NLP
    /// calibration which suggestion the citizen took.
    pub suggestions: Vec<String>,
    /// A complaint form set aside by an emergency, the menu or a handoff; starting a
    /// complaint again continues it, `BATAL` discards it.
    pub suspended_complaint: Option<ComplaintDraft>,
    /// Messages until `until_ms` add to this ticket (a burst answering `perlu_dilengkapi`,
    /// or details after the citizen reopened it).
    pub attach: Option<AttachWindow>,
    /// After a rating: the next text until `until_ms` is the rating's comment (once).
    pub rating_comment: Option<AttachWindow>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct AttachWindow {
    pub ticket: String,
    pub until_ms: i64,
}

/// A multi-step flow. Keywords still work inside it (`BATAL` ends it).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Flow {
    /// Choosing broadcast topics (*Langganan Info*).
    Subscription,
    /// The complaint form.
    Complaint(ComplaintDraft),
}

/// The question the complaint form asked last (what a typed answer is for).
#[derive(Serialize, Deserialize, Default, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DraftStep {
    #[default]
    Consent,
    Category,
    ConfirmCategory,
    Description,
    Location,
    Photos,
    Privacy,
    Summary,
    EditChoice,
}

/// The complaint form's data so far.
#[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq)]
#[serde(default)]
pub struct ComplaintDraft {
    pub step: DraftStep,
    pub category: Option<String>,
    /// False while the category was only guessed from the citizen's words.
    pub category_confirmed: bool,
    pub description: Option<String>,
    pub location: Option<ComplaintLocation>,
    /// The citizen chose to send no location (only where the category allows it).
    pub location_skipped: bool,
    pub photos: Vec<Photo>,
    /// The citizen is done with photos (or skipped them).
    pub photos_done: bool,
    pub privacy: Option<Privacy>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handoff {
    pub since_ms: i64,
    pub until_ms: i64,
}

impl Session {
    /// Reads a stored session. A session that no longer parses (written by an older version
    /// of the bot) starts over instead of blocking the citizen's conversation; the worker,
    /// which reads sessions inside its own envelope, logs that case.
    pub fn from_json(data: &str) -> Session {
        serde_json::from_str(data).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        // A struct of strings, integers and enums always serialises.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string())
    }

    /// When the stored session may be dropped.
    pub fn expires_at_ms(&self, now_ms: i64) -> i64 {
        let handoff_end = self.handoff.map_or(0, |h| h.until_ms + DAY_MS);
        (now_ms + SESSION_TTL_MS).max(handoff_end)
    }

    /// A handoff that has not lapsed at `now_ms`.
    pub fn active_handoff(&self, now_ms: i64) -> Option<Handoff> {
        self.handoff.filter(|h| now_ms < h.until_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_tolerates_old_or_broken_data() {
        let session = Session {
            menu: Some("info-1".into()),
            flow: Some(Flow::Complaint(ComplaintDraft {
                category: Some("jalan-rusak".into()),
                ..ComplaintDraft::default()
            })),
            handoff: Some(Handoff {
                since_ms: 1,
                until_ms: 2,
            }),
            last_inbound_ms: Some(3),
            suggestions: vec!["faq:x".into()],
            suspended_complaint: None,
            attach: None,
            rating_comment: Some(AttachWindow {
                ticket: "PS-7K3QX9".into(),
                until_ms: 4,
            }),
        };
        assert_eq!(Session::from_json(&session.to_json()), session);
        assert_eq!(Session::from_json("{}"), Session::default());
        assert_eq!(Session::from_json("not json"), Session::default());
        let with_unknown = r#"{"flow":{"kind":"subscription"},"future_field":1}"#;
        assert_eq!(
            Session::from_json(with_unknown).flow,
            Some(Flow::Subscription)
        );
    }

    #[test]
    fn expiry_outlives_a_handoff() {
        let mut session = Session::default();
        assert_eq!(session.expires_at_ms(0), SESSION_TTL_MS);
        session.handoff = Some(Handoff {
            since_ms: 0,
            until_ms: 30 * DAY_MS,
        });
        assert_eq!(session.expires_at_ms(0), 31 * DAY_MS);
        assert!(session.active_handoff(30 * DAY_MS - 1).is_some());
        assert!(session.active_handoff(30 * DAY_MS).is_none());
    }
}
