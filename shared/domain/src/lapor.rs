//! SP4N-LAPOR! (the national complaint system every regional government must use,
//! KepmenPANRB 680/2020): what a complaint becomes on LAPOR's public form, how a status read
//! back from LAPOR may move ours, the form of a LAPOR tracking id, the retry schedule of the
//! outbox and LAPOR's verification clock. Pure: the adapter and the outbox live in the app.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::{self, Counted};
use crate::complaint::{
    is_allowed,
    lifecycle::{MAX_EVENTS, NOTE_MAX_CHARS},
    Actor, ActorKind, Complaint, ComplaintEvent, Privacy, Status, TransitionError,
};
use crate::content::HolidayCalendar;

/// LAPOR verifies (or sends back) a report within this many working days of receiving it.
pub const VERIFICATION_WORKING_DAYS: u32 = 3;
/// Prefix of the complaint event that records the LAPOR tracking id (`lapor.id.1234567`): the
/// id lives on the timeline, so the citizen's `CEK` and the dashboard read it from there.
pub const TRACKING_EVENT_PREFIX: &str = "lapor.id.";
/// The actor id of changes that came from LAPOR.
pub const LAPOR_ACTOR: &str = "sp4n-lapor";
/// Longest title the form gets (LAPOR shows it in lists).
pub const TITLE_MAX_CHARS: usize = 100;
/// First retry after a failed post, doubled per failure up to [`RETRY_MAX_MS`].
pub const RETRY_BASE_MS: i64 = 60_000;
pub const RETRY_MAX_MS: i64 = 60 * 60_000;

/// LAPOR's first choice on its form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// Every complaint of the bot is one: a citizen reports a problem.
    #[default]
    Pengaduan,
    Aspirasi,
    PermintaanInformasi,
}

impl Classification {
    pub fn label(self) -> &'static str {
        match self {
            Classification::Pengaduan => "Pengaduan",
            Classification::Aspirasi => "Aspirasi",
            Classification::PermintaanInformasi => "Permintaan Informasi",
        }
    }
}

/// The fields of LAPOR's public web form, in its order: `(key, label)`. The copy view, the
/// CSV and JSON exports and the adapter's mapping all follow this list.
pub const FORM_FIELDS: [(&str, &str); 10] = [
    ("klasifikasi", "Klasifikasi"),
    ("judul", "Judul laporan"),
    ("isi", "Isi laporan"),
    ("tanggal_kejadian", "Tanggal kejadian"),
    ("lokasi", "Lokasi kejadian"),
    ("instansi_tujuan", "Instansi tujuan"),
    ("kategori", "Kategori"),
    ("lampiran", "Lampiran"),
    ("anonim", "Anonim"),
    ("rahasia", "Rahasia"),
];

/// A complaint as LAPOR's form asks for it. Never holds the reporter's identity: that travels
/// apart ([`Reporter`]) and only when the citizen did not choose anonymity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaporForm {
    pub klasifikasi: Classification,
    pub judul: String,
    pub isi: String,
    pub tanggal_kejadian: NaiveDate,
    pub lokasi: Option<String>,
    pub instansi_tujuan: String,
    pub kategori: String,
    /// Names (or links) of the photos to attach.
    pub lampiran: Vec<String>,
    pub anonim: bool,
    pub rahasia: bool,
}

impl LaporForm {
    /// The form's values as text, in [`FORM_FIELDS`] order (what an operator pastes).
    pub fn values(&self) -> Vec<(&'static str, &'static str, String)> {
        let yes_no = |b: bool| if b { "Ya" } else { "Tidak" }.to_string();
        let texts = [
            self.klasifikasi.label().to_string(),
            self.judul.clone(),
            self.isi.clone(),
            self.tanggal_kejadian.format("%Y-%m-%d").to_string(),
            self.lokasi.clone().unwrap_or_default(),
            self.instansi_tujuan.clone(),
            self.kategori.clone(),
            self.lampiran.join("\n"),
            yes_no(self.anonim),
            yes_no(self.rahasia),
        ];
        FORM_FIELDS
            .iter()
            .zip(texts)
            .map(|((key, label), text)| (*key, *label, text))
            .collect()
    }
}

/// Who reported, sent to LAPOR only for a complaint of [`Privacy::Biasa`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reporter {
    pub name: Option<String>,
    /// The WhatsApp number (digits), when the citizen key is one.
    pub phone: Option<String>,
}

/// What the form needs besides the complaint.
pub struct FormContext<'a> {
    /// The category's name as operators read it.
    pub category: &'a str,
    /// The responsible OPD's name (named in the text: LAPOR routes to the government).
    pub opd: &'a str,
    /// LAPOR's name of our government (`instansi_tujuan`).
    pub instansi: &'a str,
    pub attachments: Vec<String>,
}

/// LAPOR's anonymity choices from ours: *anonim* hides the reporter from the institution,
/// *rahasia* also keeps the report out of public view (as [`Privacy`] says).
pub fn privacy_flags(privacy: Privacy) -> (bool, bool) {
    match privacy {
        Privacy::Biasa => (false, false),
        Privacy::Anonim => (true, false),
        Privacy::Rahasia => (true, true),
    }
}

/// The form of a complaint. The text names the ticket so that LAPOR's officers and ours can
/// find each other's record; it never names the reporter.
pub fn form(complaint: &Complaint, context: &FormContext) -> LaporForm {
    let (anonim, rahasia) = privacy_flags(complaint.privacy);
    let mut isi = complaint.description.trim().to_string();
    for event in &complaint.events {
        if let Some(text) = event.info.as_ref().and_then(|i| i.text.as_deref()) {
            if !text.trim().is_empty() {
                isi.push_str(&format!("\n\nTambahan dari pelapor: {}", text.trim()));
            }
        }
    }
    isi.push_str(&format!(
        "\n\nPerangkat daerah penanggung jawab: {}\nNomor tiket PROLINK SAKTI: {}",
        context.opd, complaint.ticket
    ));
    LaporForm {
        klasifikasi: Classification::Pengaduan,
        judul: title(context.category, &complaint.description),
        isi,
        tanggal_kejadian: calendar::wib_date(complaint.received_ms),
        lokasi: complaint.location.as_ref().map(|l| l.describe()),
        instansi_tujuan: context.instansi.to_string(),
        kategori: context.category.to_string(),
        lampiran: context.attachments.clone(),
        anonim,
        rahasia,
    }
}

/// The reporter's identity when it may go to LAPOR: never for an anonymous or confidential
/// complaint, never for an anonymised one (its key is no longer a number).
pub fn reporter(complaint: &Complaint) -> Option<Reporter> {
    if complaint.privacy != Privacy::Biasa {
        return None;
    }
    let digits = complaint.citizen_key.trim_start_matches('+');
    let phone = (digits.len() >= 8 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.to_string());
    let name = complaint
        .reporter_name
        .as_ref()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    (phone.is_some() || name.is_some()).then_some(Reporter { name, phone })
}

/// `Kategori: first words of the description…`, at most [`TITLE_MAX_CHARS`] characters.
fn title(category: &str, description: &str) -> String {
    let first_line = description.lines().next().unwrap_or("").trim();
    let full = format!("{category}: {first_line}");
    if full.chars().count() <= TITLE_MAX_CHARS {
        return full;
    }
    let cut: String = full.chars().take(TITLE_MAX_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackingIdError {
    #[error("Nomor pelacakan SP4N-LAPOR! harus berupa 5–12 angka (boleh diawali #).")]
    Malformed,
}

/// A LAPOR tracking id as an operator pastes it (`#1234567`, ` 1234567 `): the digits.
pub fn parse_tracking_id(raw: &str) -> Result<String, TrackingIdError> {
    let trimmed = raw.trim();
    let digits = trimmed.strip_prefix('#').unwrap_or(trimmed).trim();
    if (5..=12).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits.to_string())
    } else {
        Err(TrackingIdError::Malformed)
    }
}

/// The LAPOR tracking id recorded on the complaint's timeline (the newest, should it have
/// been corrected).
pub fn tracking_id(complaint: &Complaint) -> Option<&str> {
    complaint
        .events
        .iter()
        .rev()
        .find_map(|e| e.id.strip_prefix(TRACKING_EVENT_PREFIX))
}

/// Records the tracking id on the timeline: a public note without a status change. Allowed on
/// a closed complaint too (a reference number changes nothing of the case). `recorded_by`
/// (an operator, or LAPOR's answer) goes into the internal note; the actor is the system, so
/// the note never counts as the city's first answer.
pub fn record_tracking_id(
    complaint: &Complaint,
    lapor_id: &str,
    at_ms: i64,
    recorded_by: &str,
) -> Result<Complaint, TransitionError> {
    let id = format!("{TRACKING_EVENT_PREFIX}{lapor_id}");
    if tracking_id(complaint) == Some(lapor_id) || complaint.has_event(&id) {
        return Err(TransitionError::AlreadyApplied);
    }
    if complaint.events.len() >= MAX_EVENTS {
        return Err(TransitionError::TimelineFull);
    }
    let mut next = complaint.clone();
    next.updated_ms = at_ms;
    next.events.push(ComplaintEvent {
        id,
        at_ms,
        actor: Actor::system(LAPOR_ACTOR),
        from: Some(complaint.status),
        to: complaint.status,
        public_note: Some(format!(
            "Aduan ini juga tercatat di SP4N-LAPOR! dengan nomor pelacakan #{lapor_id}."
        )),
        internal_note: Some(clip(&format!("Dicatat oleh {recorded_by}."))),
        info: None,
    });
    Ok(next)
}

fn clip(text: &str) -> String {
    text.chars().take(NOTE_MAX_CHARS).collect()
}

/// LAPOR's statuses as far as they concern us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoteStatus {
    BelumTerverifikasi,
    Terverifikasi,
    Proses,
    Selesai,
    /// Archived or refused by LAPOR's administrators.
    Arsip,
}

impl RemoteStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RemoteStatus::BelumTerverifikasi => "belum_terverifikasi",
            RemoteStatus::Terverifikasi => "terverifikasi",
            RemoteStatus::Proses => "proses",
            RemoteStatus::Selesai => "selesai",
            RemoteStatus::Arsip => "arsip",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RemoteStatus::BelumTerverifikasi => "Belum terverifikasi",
            RemoteStatus::Terverifikasi => "Terverifikasi",
            RemoteStatus::Proses => "Proses",
            RemoteStatus::Selesai => "Selesai",
            RemoteStatus::Arsip => "Arsip",
        }
    }

    /// LAPOR's wording in any case and spacing (`Belum Terverifikasi`, `belum_terverifikasi`,
    /// `Ditindaklanjuti`); `None` for a word we do not know.
    pub fn parse(raw: &str) -> Option<RemoteStatus> {
        let words: String = raw
            .trim()
            .to_lowercase()
            .split(|c: char| c.is_whitespace() || c == '_' || c == '-')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        Some(match words.as_str() {
            "belum terverifikasi" | "menunggu verifikasi" | "baru" => {
                RemoteStatus::BelumTerverifikasi
            }
            "terverifikasi" | "belum ditindaklanjuti" | "didisposisikan" | "diteruskan" => {
                RemoteStatus::Terverifikasi
            }
            "proses" | "diproses" | "ditindaklanjuti" | "sedang diproses" => RemoteStatus::Proses,
            "selesai" | "tuntas" => RemoteStatus::Selesai,
            "arsip" | "diarsipkan" | "ditolak" => RemoteStatus::Arsip,
            _ => return None,
        })
    }

    /// Our state this LAPOR state may move a complaint to (only forward, never a refusal:
    /// archiving or verification there is LAPOR's own bookkeeping).
    fn target(self) -> Option<Status> {
        match self {
            RemoteStatus::Proses => Some(Status::Diproses),
            RemoteStatus::Selesai => Some(Status::Selesai),
            _ => None,
        }
    }
}

/// How far along the handling path a state is; states off that path (waiting for the
/// citizen, reopened by them, final) are never moved by LAPOR.
fn progress(status: Status) -> Option<u8> {
    match status {
        Status::Diterima => Some(0),
        Status::Diverifikasi => Some(1),
        Status::Diteruskan => Some(2),
        Status::Diproses => Some(3),
        Status::Selesai => Some(4),
        _ => None,
    }
}

/// What a status read from LAPOR does to our complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusDecision {
    /// Ours is there already.
    Unchanged,
    /// Ours moves forward to this state (the lifecycle allows it).
    Move(Status),
    /// Recorded as a note for the operators; ours stays.
    Note,
}

/// LAPOR's state moves ours only forward along the handling path and only where the
/// lifecycle allows an officer that move (LAPOR's dispositions are an officer's); anything
/// else is a note for the operators.
pub fn decide_status(current: Status, remote: RemoteStatus) -> StatusDecision {
    let Some(target) = remote.target() else {
        return StatusDecision::Note;
    };
    if current == target {
        return StatusDecision::Unchanged;
    }
    match (progress(current), progress(target)) {
        (Some(ours), Some(theirs))
            if theirs > ours && is_allowed(current, target, ActorKind::Operator) =>
        {
            StatusDecision::Move(target)
        }
        _ => StatusDecision::Note,
    }
}

/// The wait before the next attempt after `failures` failed posts: one minute, doubled per
/// failure, at most an hour.
pub fn retry_delay_ms(failures: u32) -> i64 {
    let doublings = failures.saturating_sub(1).min(10);
    (RETRY_BASE_MS << doublings).min(RETRY_MAX_MS)
}

/// The last day LAPOR has to verify a report it received at `sent_ms`.
pub fn verification_due(sent_ms: i64, holidays: &HolidayCalendar) -> Counted<NaiveDate> {
    calendar::add_working_days(
        calendar::wib_date(sent_ms),
        VERIFICATION_WORKING_DAYS,
        holidays,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_ids_as_pasted() {
        let cases = [
            ("1234567", Ok("1234567")),
            ("#1234567", Ok("1234567")),
            ("  # 98765 ", Ok("98765")),
            ("1234", Err(TrackingIdError::Malformed)),
            ("12345678901234", Err(TrackingIdError::Malformed)),
            ("12a4567", Err(TrackingIdError::Malformed)),
            ("", Err(TrackingIdError::Malformed)),
            ("١٢٣٤٥٦٧", Err(TrackingIdError::Malformed)),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                parse_tracking_id(raw),
                expected.map(str::to_string),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn lapor_moves_ours_only_forward_where_the_lifecycle_allows() {
        use RemoteStatus as R;
        use Status as S;
        let cases = [
            (S::Diproses, R::Selesai, StatusDecision::Move(S::Selesai)),
            (S::Diteruskan, R::Proses, StatusDecision::Move(S::Diproses)),
            (S::Diproses, R::Proses, StatusDecision::Unchanged),
            // Backwards: ours is further.
            (S::Selesai, R::Proses, StatusDecision::Note),
            // Forward, but the lifecycle has no such move (the OPD must work on it first).
            (S::Diterima, R::Selesai, StatusDecision::Note),
            (S::Diterima, R::Proses, StatusDecision::Note),
            // Waiting for the citizen, reopened by them, closed: never LAPOR's to move.
            (S::PerluDilengkapi, R::Proses, StatusDecision::Note),
            (S::DibukaKembali, R::Selesai, StatusDecision::Note),
            (S::Ditutup, R::Selesai, StatusDecision::Note),
            (S::Diproses, R::Arsip, StatusDecision::Note),
            (S::Diterima, R::Terverifikasi, StatusDecision::Note),
        ];
        for (ours, theirs, expected) in cases {
            assert_eq!(decide_status(ours, theirs), expected, "{ours:?} {theirs:?}");
        }
    }

    #[test]
    fn statuses_in_lapor_wording() {
        let cases = [
            (
                "Belum Terverifikasi",
                Some(RemoteStatus::BelumTerverifikasi),
            ),
            (
                "belum_terverifikasi",
                Some(RemoteStatus::BelumTerverifikasi),
            ),
            ("SELESAI", Some(RemoteStatus::Selesai)),
            (" Ditindaklanjuti ", Some(RemoteStatus::Proses)),
            ("arsip", Some(RemoteStatus::Arsip)),
            ("unknown", None),
            ("", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(RemoteStatus::parse(raw), expected, "{raw:?}");
        }
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        let delays: Vec<i64> = (1..=9).map(retry_delay_ms).collect();
        assert_eq!(
            delays,
            [1, 2, 4, 8, 16, 32, 60, 60, 60]
                .map(|m| m * 60_000)
                .to_vec()
        );
        assert_eq!(retry_delay_ms(u32::MAX), RETRY_MAX_MS);
    }

    #[test]
    fn titles_are_bounded() {
        let long = "a".repeat(300);
        let t = title("Jalan Rusak", &long);
        assert_eq!(t.chars().count(), TITLE_MAX_CHARS);
        assert!(t.ends_with('…'));
        assert_eq!(title("Jalan", "Lubang\nbesar"), "Jalan: Lubang");
    }
}
