//! The complaint record and its event timeline.

use serde::{Deserialize, Serialize};

use crate::calendar::CoverageGap;

/// Where a complaint is in its life (`../shared/DESIGN.md` §5, SP4N-LAPOR! practice). The
/// serialised names are the Indonesian state names used in the data, the API and the docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Diterima,
    Diverifikasi,
    PerluDilengkapi,
    Ditolak,
    BukanWewenang,
    Diteruskan,
    Diproses,
    Selesai,
    DibukaKembali,
    Ditutup,
    Dicabut,
}

impl Status {
    pub const ALL: [Status; 11] = [
        Status::Diterima,
        Status::Diverifikasi,
        Status::PerluDilengkapi,
        Status::Ditolak,
        Status::BukanWewenang,
        Status::Diteruskan,
        Status::Diproses,
        Status::Selesai,
        Status::DibukaKembali,
        Status::Ditutup,
        Status::Dicabut,
    ];

    /// The stored name (`perlu_dilengkapi`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Diterima => "diterima",
            Status::Diverifikasi => "diverifikasi",
            Status::PerluDilengkapi => "perlu_dilengkapi",
            Status::Ditolak => "ditolak",
            Status::BukanWewenang => "bukan_wewenang",
            Status::Diteruskan => "diteruskan",
            Status::Diproses => "diproses",
            Status::Selesai => "selesai",
            Status::DibukaKembali => "dibuka_kembali",
            Status::Ditutup => "ditutup",
            Status::Dicabut => "dicabut",
        }
    }

    pub fn parse(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// What a citizen or an operator reads.
    pub fn label(self) -> &'static str {
        match self {
            Status::Diterima => "Diterima",
            Status::Diverifikasi => "Diverifikasi",
            Status::PerluDilengkapi => "Perlu dilengkapi",
            Status::Ditolak => "Ditolak",
            Status::BukanWewenang => "Bukan wewenang Pemkot",
            Status::Diteruskan => "Diteruskan ke OPD",
            Status::Diproses => "Sedang diproses",
            Status::Selesai => "Selesai ditangani",
            Status::DibukaKembali => "Dibuka kembali",
            Status::Ditutup => "Ditutup",
            Status::Dicabut => "Dicabut pelapor",
        }
    }

    /// No transition leaves these states.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::Ditolak | Status::BukanWewenang | Status::Ditutup | Status::Dicabut
        )
    }

    /// Still waiting for the city (or for the citizen's answer).
    pub fn is_open(self) -> bool {
        !self.is_final()
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who acts. Operators of Diskominfo and of an OPD are both `Operator` here; what each role
/// may see and touch is the operator API's business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Citizen,
    Operator,
    /// The scheduler (auto-close) and the bot itself.
    System,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub kind: ActorKind,
    /// Citizen key, operator user id or `scheduler`/`bot`.
    pub id: String,
}

impl Actor {
    pub fn citizen(key: &str) -> Actor {
        Actor {
            kind: ActorKind::Citizen,
            id: key.to_string(),
        }
    }

    pub fn operator(id: &str) -> Actor {
        Actor {
            kind: ActorKind::Operator,
            id: id.to_string(),
        }
    }

    pub fn system(id: &str) -> Actor {
        Actor {
            kind: ActorKind::System,
            id: id.to_string(),
        }
    }
}

/// Who may see the reporter and the report (as SP4N-LAPOR! allows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Privacy {
    /// Identity visible to the handling officers; details may appear in public statistics.
    #[default]
    Biasa,
    /// The reporter's identity is hidden from the OPD (Diskominfo still knows it, to answer).
    Anonim,
    /// Excluded from any public detail; identity hidden from the OPD too.
    Rahasia,
}

impl Privacy {
    pub fn label(self) -> &'static str {
        match self {
            Privacy::Biasa => "Biasa (identitas terlihat petugas)",
            Privacy::Anonim => "Anonim (identitas disembunyikan dari OPD)",
            Privacy::Rahasia => "Rahasia (tidak ditampilkan ke publik)",
        }
    }

    /// Whether the OPD may see who reported.
    pub fn identity_visible_to_opd(self) -> bool {
        self == Privacy::Biasa
    }
}

/// Where the problem is: a WhatsApp location pin or an address the citizen typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ComplaintLocation {
    Pin {
        latitude: f64,
        longitude: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        address: Option<String>,
    },
    Typed {
        text: String,
    },
}

impl ComplaintLocation {
    /// One line for summaries and timelines.
    pub fn describe(&self) -> String {
        match self {
            ComplaintLocation::Pin {
                latitude,
                longitude,
                name,
                address,
            } => {
                let place = [name.as_deref(), address.as_deref()]
                    .into_iter()
                    .flatten()
                    .filter(|s| !s.trim().is_empty())
                    .collect::<Vec<_>>()
                    .join(", ");
                if place.is_empty() {
                    format!("Titik lokasi {latitude:.5}, {longitude:.5}")
                } else {
                    format!("{place} ({latitude:.5}, {longitude:.5})")
                }
            }
            ComplaintLocation::Typed { text } => text.clone(),
        }
    }
}

/// A photo as WhatsApp delivered it. Media ids expire; the complaint worker copies the file to
/// storage (`stored_key`) soon after submission.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Photo {
    pub media_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_key: Option<String>,
    /// Why the copy to storage failed for good (the citizen is asked to send it again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch_error: Option<String>,
}

/// The citizen's verdict after `selesai`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    /// 1 (sangat buruk) … 5 (sangat baik).
    pub score: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub at_ms: i64,
}

/// Information the citizen added after submission (answering `perlu_dilengkapi`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AddedInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<Photo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<ComplaintLocation>,
}

/// One change in a complaint's life. `from == to` for events that add information without
/// changing the status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplaintEvent {
    /// Derived from what caused it (message id, operator request id), so a retried cause
    /// is recognised and not applied twice.
    pub id: String,
    pub at_ms: i64,
    pub actor: Actor,
    /// `None` for the event that created the complaint.
    pub from: Option<Status>,
    pub to: Status,
    /// Shown to the citizen (timeline, notification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_note: Option<String>,
    /// Operators only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<AddedInfo>,
}

impl ComplaintEvent {
    pub fn changes_status(&self) -> bool {
        self.from != Some(self.to)
    }
}

/// The complaint's clocks, recomputed from its events by [`super::schedule`] after every
/// change (a pause or a category change moves them).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Deadlines {
    /// Last day for the first answer (response), inclusive, WIB.
    pub response_date: Option<chrono::NaiveDate>,
    /// Last day for resolution, inclusive, WIB.
    pub resolution_date: Option<chrono::NaiveDate>,
    /// Working days the clock stood still in `perlu_dilengkapi`, all told (already added to
    /// the response date; the resolution date only adds those since the last reopening).
    #[serde(default)]
    pub paused_working_days: u32,
    /// While `perlu_dilengkapi`: the last day the citizen has to answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complete_by_date: Option<chrono::NaiveDate>,
    /// After `selesai`: the last day before it closes without the citizen's answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_by_date: Option<chrono::NaiveDate>,
    /// When the first answer was given (the response target is then met).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responded_ms: Option<i64>,
    /// The holiday table did not cover a year these dates cross.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar_gap: Option<CoverageGap>,
}

/// A complaint (aduan) with its whole timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Complaint {
    /// `PS-7K3QX9`.
    pub ticket: String,
    /// The canonical citizen key (identity merges keep it).
    pub citizen_key: String,
    /// WhatsApp profile name at submission, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter_name: Option<String>,
    pub category_id: String,
    /// The responsible OPD (`opd_id` of the category at submission, changed by triage).
    pub opd_id: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<ComplaintLocation>,
    #[serde(default)]
    pub photos: Vec<Photo>,
    #[serde(default)]
    pub privacy: Privacy,
    pub status: Status,
    pub received_ms: i64,
    #[serde(default)]
    pub deadlines: Deadlines,
    /// The earliest SLA point not yet acted on (a reminder, an escalation, a progress note,
    /// an auto-close: `sla::next_point_ms`), for the scheduler's by-deadline index; `None`
    /// once nothing more can come (always once final).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_due_ms: Option<i64>,
    /// The message that submitted it (a redelivery finds the same complaint).
    pub source_wamid: String,
    pub events: Vec<ComplaintEvent>,
    /// The citizen's rating after `selesai`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<Rating>,
    /// Citizens who chose to follow this complaint instead of filing their own ("ikut
    /// melapor"); they are told of its public changes too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub followers: Vec<String>,
    /// An open complaint this one probably repeats (same category, close by, recent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// Optimistic concurrency: incremented by every successful write (0 = not stored yet).
    #[serde(default)]
    pub version: u64,
    pub updated_ms: i64,
}

impl Complaint {
    /// Every photo of the complaint: those it was submitted with, then those the citizen added
    /// later (the timeline's additional information), in that order.
    pub fn all_photos(&self) -> impl Iterator<Item = &Photo> {
        self.photos.iter().chain(
            self.events
                .iter()
                .filter_map(|e| e.info.as_ref())
                .flat_map(|info| info.photos.iter()),
        )
    }
}

impl Complaint {
    pub fn has_event(&self, event_id: &str) -> bool {
        self.events.iter().any(|e| e.id == event_id)
    }

    /// The public timeline: status changes and citizen additions, without internal notes.
    pub fn public_events(&self) -> impl Iterator<Item = &ComplaintEvent> {
        self.events
            .iter()
            .filter(|e| e.changes_status() || e.public_note.is_some() || e.info.is_some())
    }
}
