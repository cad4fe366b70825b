//! What the API shows of a complaint, per role: list summaries and the full record. Times
//! are ISO-8601 in WIB (`+07:00`), dates are WIB calendar days. An OPD user never sees a
//! reporter's full number, nor their name or number when the privacy is *Anonim*/*Rahasia*.

use chrono::NaiveDate;
use serde::Serialize;

use prolink_domain::{
    calendar,
    complaint::{
        sla::{self, SlaAction},
        ActorKind, AddedInfo, Complaint, ComplaintLocation, Privacy, Rating, Status,
    },
    content::{ContentBundle, HolidayCalendar},
};

use crate::ports::Role;

/// Where a complaint stands against its running SLA target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    OnTime,
    /// The scheduler's last reminder point (80 % of the running working days) has passed.
    Near,
    /// A running target's deadline day is over.
    Overdue,
}

impl SlaState {
    pub fn label(self) -> &'static str {
        match self {
            SlaState::OnTime => "Tepat waktu",
            SlaState::Near => "Mendekati tenggat",
            SlaState::Overdue => "Lewat tenggat",
        }
    }
}

/// The share of a target after which a complaint counts as near its deadline: the
/// scheduler's last reminder (`sla::REMINDER_PERCENTS`).
const NEAR_PERCENT: u32 = 80;

/// From the SLA points the scheduler acts on (no second derivation of the clocks): overdue
/// once a running target's deadline day has ended, near once its 80 % reminder point has
/// come; a complaint whose clocks stand still (paused, answered, closed) is on time.
pub fn sla_state(complaint: &Complaint, now_ms: i64, holidays: &HolidayCalendar) -> SlaState {
    let mut state = SlaState::OnTime;
    for point in sla::points(complaint, holidays) {
        let deadline = match &point.action {
            SlaAction::Reminder {
                percent, deadline, ..
            } => {
                if *percent >= NEAR_PERCENT && now_ms >= point.at_ms {
                    state = SlaState::Near;
                }
                *deadline
            }
            SlaAction::Escalation { deadline, .. } => *deadline,
            SlaAction::ProgressNote { .. } | SlaAction::AutoClose => continue,
        };
        if now_ms >= calendar::end_of_day_ms(deadline) {
            return SlaState::Overdue;
        }
    }
    state
}

/// ISO-8601 in WIB (`2026-01-05T10:00:00+07:00`).
pub fn wib_iso(ms: i64) -> String {
    calendar::wib_datetime(ms)
        .format("%Y-%m-%dT%H:%M:%S+07:00")
        .to_string()
}

/// `6281*****789`: the first four and the last three characters stay readable.
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len().max(3));
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 3..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// How much of the reporter a role sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// Diskominfo and admins: everything.
    Full,
    /// OPD, privacy *Biasa*: the name, the number masked.
    Masked,
    /// OPD, privacy *Anonim*/*Rahasia*: nothing that identifies.
    Hidden,
}

pub fn exposure(role: Role, privacy: Privacy) -> Exposure {
    match role {
        Role::Admin | Role::Operator => Exposure::Full,
        _ if privacy.identity_visible_to_opd() => Exposure::Masked,
        _ => Exposure::Hidden,
    }
}

/// A citizen identifier (key, number) as `exposure` allows.
fn citizen_id(value: &str, exposure: Exposure) -> Option<String> {
    match exposure {
        Exposure::Full => Some(value.to_string()),
        Exposure::Masked => Some(mask(value)),
        Exposure::Hidden => None,
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Reporter {
    pub name: Option<String>,
    /// The WhatsApp number (or the WhatsApp user id when the number is hidden by WhatsApp).
    pub phone: Option<String>,
}

fn reporter(complaint: &Complaint, phone: Option<&str>, exposure: Exposure) -> Reporter {
    let phone = phone.unwrap_or(&complaint.citizen_key);
    Reporter {
        name: match exposure {
            Exposure::Hidden => None,
            _ => complaint.reporter_name.clone(),
        },
        phone: citizen_id(phone, exposure),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub ticket: String,
    pub status: Status,
    pub status_label: &'static str,
    pub category_id: String,
    pub category_name: Option<String>,
    pub opd_id: String,
    pub opd_name: Option<String>,
    pub received_at: String,
    pub sla: SlaState,
    pub sla_label: &'static str,
    pub response_date: Option<NaiveDate>,
    pub resolution_date: Option<NaiveDate>,
    pub privacy: Privacy,
    pub reporter: Reporter,
    pub duplicate_of: Option<String>,
}

pub fn summary(complaint: &Complaint, role: Role, content: &ContentBundle, now_ms: i64) -> Summary {
    let state = sla_state(complaint, now_ms, &content.holidays);
    Summary {
        ticket: complaint.ticket.clone(),
        status: complaint.status,
        status_label: complaint.status.label(),
        category_id: complaint.category_id.clone(),
        category_name: content
            .category(&complaint.category_id)
            .map(|c| c.name.clone()),
        opd_id: complaint.opd_id.clone(),
        opd_name: content.opd(&complaint.opd_id).map(|o| o.name.clone()),
        received_at: wib_iso(complaint.received_ms),
        sla: state,
        sla_label: state.label(),
        response_date: complaint.deadlines.response_date,
        resolution_date: complaint.deadlines.resolution_date,
        privacy: complaint.privacy,
        reporter: reporter(complaint, None, exposure(role, complaint.privacy)),
        duplicate_of: complaint.duplicate_of.clone(),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ActorView {
    pub kind: ActorKind,
    pub id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub id: String,
    pub at: String,
    pub actor: ActorView,
    pub from: Option<Status>,
    pub to: Status,
    pub public_note: Option<String>,
    pub internal_note: Option<String>,
    pub info: Option<AddedInfo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PhotoView {
    pub caption: Option<String>,
    pub mime_type: Option<String>,
    /// Readable for five minutes; `null` while the copy to storage has not happened.
    pub url: Option<String>,
    pub fetch_error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeadlinesView {
    pub response_date: Option<NaiveDate>,
    pub resolution_date: Option<NaiveDate>,
    pub paused_working_days: u32,
    pub complete_by_date: Option<NaiveDate>,
    pub close_by_date: Option<NaiveDate>,
    pub responded_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SlaPointView {
    pub at: String,
    /// `reminder`, `escalation`, `progress_note`, `auto_close`.
    pub kind: &'static str,
    pub clock: Option<&'static str>,
    pub percent: Option<u32>,
    pub level: Option<u8>,
    pub deadline: Option<NaiveDate>,
    /// Acted on already (or made pointless by a later point).
    pub done: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct FollowersView {
    pub count: usize,
    pub ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    #[serde(flatten)]
    pub summary: Summary,
    pub description: String,
    pub location: Option<ComplaintLocation>,
    pub location_text: Option<String>,
    pub privacy_label: &'static str,
    pub photos: Vec<PhotoView>,
    pub timeline: Vec<EventView>,
    pub deadlines: DeadlinesView,
    pub sla_points: Vec<SlaPointView>,
    pub next_due_at: Option<String>,
    pub followers: FollowersView,
    pub rating: Option<Rating>,
    pub allowed_transitions: Vec<Status>,
    pub version: u64,
    pub updated_at: String,
}

pub struct DetailInput<'a> {
    pub complaint: &'a Complaint,
    pub role: Role,
    pub content: &'a ContentBundle,
    pub now_ms: i64,
    /// The reporter's WhatsApp number from their profile, when known.
    pub phone: Option<&'a str>,
    /// Presigned URLs, in the order of `complaint.photos`.
    pub photo_urls: Vec<Option<String>>,
    pub allowed_transitions: Vec<Status>,
}

pub fn detail(input: DetailInput<'_>) -> Detail {
    let DetailInput {
        complaint,
        role,
        content,
        now_ms,
        phone,
        photo_urls,
        allowed_transitions,
    } = input;
    let exposure = exposure(role, complaint.privacy);
    let mut summary = summary(complaint, role, content, now_ms);
    summary.reporter = reporter(complaint, phone, exposure);
    // Followers chose to be known to the city, not to the OPD: masked for it whatever the
    // privacy of this complaint.
    let follower_exposure = match exposure {
        Exposure::Full => Exposure::Full,
        _ => Exposure::Masked,
    };
    let timeline = complaint
        .events
        .iter()
        .map(|event| EventView {
            id: event.id.clone(),
            at: wib_iso(event.at_ms),
            actor: ActorView {
                kind: event.actor.kind,
                id: match event.actor.kind {
                    ActorKind::Citizen if event.actor.id == complaint.citizen_key => {
                        citizen_id(&event.actor.id, exposure)
                    }
                    ActorKind::Citizen => citizen_id(&event.actor.id, follower_exposure),
                    _ => Some(event.actor.id.clone()),
                },
            },
            from: event.from,
            to: event.to,
            public_note: event.public_note.clone(),
            internal_note: event.internal_note.clone(),
            info: event.info.clone(),
        })
        .collect();
    let pending = sla::pending_points(complaint, &content.holidays);
    let sla_points = sla::points(complaint, &content.holidays)
        .into_iter()
        .map(|point| {
            let done = !pending.contains(&point);
            let (kind, clock, percent, level, deadline) = match &point.action {
                SlaAction::Reminder {
                    clock,
                    percent,
                    deadline,
                } => (
                    "reminder",
                    Some(clock.as_str()),
                    Some(*percent),
                    None,
                    Some(*deadline),
                ),
                SlaAction::Escalation {
                    clock,
                    level,
                    deadline,
                } => (
                    "escalation",
                    Some(clock.as_str()),
                    None,
                    Some(*level),
                    Some(*deadline),
                ),
                SlaAction::ProgressNote { .. } => ("progress_note", None, None, None, None),
                SlaAction::AutoClose => ("auto_close", None, None, None, None),
            };
            SlaPointView {
                at: wib_iso(point.at_ms),
                kind,
                clock,
                percent,
                level,
                deadline,
                done,
            }
        })
        .collect();
    let photos = complaint
        .photos
        .iter()
        .zip(photo_urls.into_iter().chain(std::iter::repeat(None)))
        .map(|(photo, url)| PhotoView {
            caption: photo.caption.clone(),
            mime_type: photo.mime_type.clone(),
            url,
            fetch_error: photo.fetch_error.clone(),
        })
        .collect();
    let deadlines = &complaint.deadlines;
    Detail {
        summary,
        description: complaint.description.clone(),
        location: complaint.location.clone(),
        location_text: complaint.location.as_ref().map(ComplaintLocation::describe),
        privacy_label: complaint.privacy.label(),
        photos,
        timeline,
        deadlines: DeadlinesView {
            response_date: deadlines.response_date,
            resolution_date: deadlines.resolution_date,
            paused_working_days: deadlines.paused_working_days,
            complete_by_date: deadlines.complete_by_date,
            close_by_date: deadlines.close_by_date,
            responded_at: deadlines.responded_ms.map(wib_iso),
        },
        sla_points,
        next_due_at: complaint.next_due_ms.map(wib_iso),
        followers: FollowersView {
            count: complaint.followers.len(),
            ids: complaint
                .followers
                .iter()
                .filter_map(|f| citizen_id(f, follower_exposure))
                .collect(),
        },
        rating: complaint.rating.clone(),
        allowed_transitions,
        version: complaint.version,
        updated_at: wib_iso(complaint.updated_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_four_and_three() {
        for (input, expected) in [
            ("628123456789", "6281*****789"),
            ("6281234567", "6281***567"),
            ("1234567", "*******"),
            ("", "***"),
        ] {
            assert_eq!(mask(input), expected, "{input}");
        }
    }

    #[test]
    fn exposure_follows_role_and_privacy() {
        assert_eq!(exposure(Role::Operator, Privacy::Rahasia), Exposure::Full);
        assert_eq!(exposure(Role::Opd, Privacy::Biasa), Exposure::Masked);
        assert_eq!(exposure(Role::Opd, Privacy::Anonim), Exposure::Hidden);
        assert_eq!(exposure(Role::Opd, Privacy::Rahasia), Exposure::Hidden);
    }

    #[test]
    fn times_are_wib() {
        assert_eq!(wib_iso(0), "1970-01-01T07:00:00+07:00");
    }
}
