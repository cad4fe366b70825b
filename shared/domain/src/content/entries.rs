//! Serde model of the seed files (schema: the content README of the team kit, see
//! `infra/seed/README.md`). Field names follow the JSON exactly so a record round-trips.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{de::Error as _, Deserialize, Deserializer, Serialize};

/// The 13 FAQ categories of the README; services use the same list.
pub const FAQ_CATEGORIES: [&str; 13] = [
    "umum",
    "kependudukan",
    "perizinan",
    "kesehatan",
    "pendidikan",
    "sosial",
    "ketenagakerjaan",
    "pajak",
    "prasarana",
    "lingkungan",
    "informasi-publik",
    "darurat",
    "wisata",
];

/// `faq.json`: one answerable question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Faq {
    pub id: String,
    pub category: String,
    pub title: String,
    pub summary: String,
    pub question: String,
    pub alt_questions: Vec<String>,
    pub answer: String,
    pub keywords: Vec<String>,
    /// Training phrases: how citizens really ask for this entry (informal spellings,
    /// situations, Javanese, Madurese). The answering engine's classifier is trained on them;
    /// citizens never see them. Optional; reviewed like the rest of the content.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phrases: Vec<String>,
    pub opd: String,
    pub opd_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opd_ids: Option<Vec<String>>,
    #[serde(default)]
    pub source: String,
    pub verified: bool,
    /// Who set `verified` through the operator API (absent in the seed files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_by: Option<String>,
    /// When, ISO-8601 in WIB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
    #[serde(default)]
    pub todo: String,
}

/// How a service is applied for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Offline,
    Online,
    Both,
}

/// `services.json`: one entry of the public-service catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub short_name: String,
    pub opd: String,
    pub opd_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opd_ids: Option<Vec<String>>,
    pub category: String,
    pub description: String,
    pub requirements: Vec<String>,
    pub steps: Vec<String>,
    pub cost: String,
    pub duration: String,
    pub channel: Channel,
    pub location: String,
    #[serde(default)]
    pub online_url: String,
    /// Training phrases: how citizens really ask for this entry (informal spellings,
    /// situations, Javanese, Madurese). The answering engine's classifier is trained on them;
    /// citizens never see them. Optional; reviewed like the rest of the content.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phrases: Vec<String>,
    #[serde(default)]
    pub source: String,
    pub verified: bool,
    /// Who set `verified` through the operator API (absent in the seed files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_by: Option<String>,
    /// When, ISO-8601 in WIB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
    #[serde(default)]
    pub todo: String,
}

/// `complaint-categories.json`: one complaint (aduan) category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintCategory {
    pub id: String,
    pub name: String,
    pub short_name: String,
    pub short_description: String,
    pub description: String,
    pub opd: String,
    pub opd_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opd_ids: Option<Vec<String>>,
    #[serde(deserialize_with = "working_days")]
    pub sla_working_days_response: u32,
    #[serde(deserialize_with = "working_days")]
    pub sla_working_days_resolution: u32,
    pub requires_location: bool,
    pub emergency: bool,
    pub keywords: Vec<String>,
    /// Training phrases: reports of this kind as citizens write them (informal spellings,
    /// situations, Javanese, Madurese). The answering engine's classifier is trained on them;
    /// citizens never see them. Optional; reviewed like the rest of the content.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phrases: Vec<String>,
    pub sla_class: String,
    pub notice: String,
    pub forward_to_lapor: bool,
    #[serde(default)]
    pub routing_note: String,
    pub verified: bool,
    /// Who set `verified` through the operator API (absent in the seed files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_by: Option<String>,
    /// When, ISO-8601 in WIB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
    #[serde(default)]
    pub todo: String,
}

/// Gives the operator a readable reason instead of serde's "expected u32".
fn working_days<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let value = i64::deserialize(deserializer)?;
    u32::try_from(value)
        .map_err(|_| D::Error::custom(format!("harus bilangan bulat ≥ 0, bukan {value}")))
}

/// `opds.json`: a responsible body referenced by `opd_id`/`opd_ids`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opd {
    pub id: String,
    pub name: String,
    pub short_name: String,
    #[serde(default)]
    pub parent: Option<String>,
    pub external: bool,
    #[serde(default)]
    pub source: String,
    pub verified: bool,
    /// Who set `verified` through the operator API (absent in the seed files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_by: Option<String>,
    /// When, ISO-8601 in WIB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
    #[serde(default)]
    pub todo: String,
}

/// `tema` (theme) or `wilayah` (area, exactly the `kecamatan:` ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TopicType {
    Tema,
    Wilayah,
}

/// `topics.json`: a broadcast topic for *Langganan Info*. Array order is display order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: TopicType,
    pub name: String,
    pub description: String,
    pub opd_id: String,
    #[serde(default)]
    pub source: String,
    pub verified: bool,
    /// Who set `verified` through the operator API (absent in the seed files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_by: Option<String>,
    /// When, ISO-8601 in WIB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
    #[serde(default)]
    pub todo: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayType {
    LiburNasional,
    CutiBersama,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayStatus {
    Confirmed,
    Tentative,
}

/// One non-working date (national holiday or cuti bersama).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub date: NaiveDate,
    /// Indonesian weekday name as written in the file ("Senin" … "Minggu").
    pub day: String,
    pub year: i32,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: HolidayType,
    pub status: HolidayStatus,
    #[serde(default)]
    pub basis: String,
    #[serde(default)]
    pub note: String,
}

/// `holidays-*.json`: the calendar used for working-day maths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolidayCalendar {
    #[serde(default)]
    pub description: String,
    /// year → type (`libur_nasional` / `cuti_bersama`) → number of entries.
    #[serde(default)]
    pub counts: BTreeMap<String, BTreeMap<String, u32>>,
    #[serde(default)]
    pub sources: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub status_legend: BTreeMap<String, String>,
    #[serde(default)]
    pub verification_note: String,
    pub entries: Vec<Holiday>,
}

impl HolidayCalendar {
    /// Every non-working date listed (both types, both statuses).
    pub fn dates(&self) -> BTreeSet<NaiveDate> {
        self.entries.iter().map(|e| e.date).collect()
    }

    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.entries.iter().any(|e| e.date == date)
    }
}

/// `menus.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Menus {
    pub root: String,
    pub paging: Paging,
    pub menus: Vec<Menu>,
}

/// The paging rule shared by the static menus and the lists built at runtime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paging {
    pub max_rows: usize,
    pub items_per_page: usize,
    pub more_row: PagingRow,
    pub back_row: PagingRow,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PagingRow {
    pub title: String,
    pub description: String,
}

/// One WhatsApp interactive list message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Menu {
    pub id: String,
    pub header: String,
    pub body: String,
    pub footer: String,
    pub button: String,
    pub section_title: String,
    pub rows: Vec<MenuRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuRow {
    pub id: String,
    pub title: String,
    pub description: String,
    pub action: MenuAction,
}

/// What tapping a row does. An unknown `type` or an extra field is rejected at import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", try_from = "RawAction")]
pub enum MenuAction {
    /// Open another list of `menus.json`.
    Submenu {
        menu: String,
    },
    /// List the FAQ `title`/`summary` of a category.
    FaqCategory {
        category: String,
    },
    /// List the `services.json` `short_name`s of a category.
    ServiceCategory {
        category: String,
    },
    ComplaintStart,
    /// The citizen's own tickets / ask for a ticket number.
    ComplaintList,
    /// The 112 message; stops any form.
    Emergency,
    Subscriptions,
    /// Talk to an operator.
    Handoff,
    Faq {
        id: String,
    },
}

/// The action as written, checked by hand: serde's internally tagged enums silently accept
/// extra fields on unit variants (`{"type":"handoff","menu":"x"}`), which would hide typos.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    #[serde(rename = "type")]
    kind: String,
    menu: Option<String>,
    category: Option<String>,
    id: Option<String>,
}

const ACTION_TYPES: &str = "submenu, faq_category, service_category, complaint_start, \
                            complaint_list, emergency, subscriptions, handoff, faq";

impl TryFrom<RawAction> for MenuAction {
    type Error = String;

    fn try_from(raw: RawAction) -> Result<Self, String> {
        let RawAction {
            kind,
            menu,
            category,
            id,
        } = raw;
        let unknown = |k: &str| format!("jenis aksi `{k}` tidak dikenal (pilihan: {ACTION_TYPES})");
        let wanted = match kind.as_str() {
            "submenu" => Some("menu"),
            "faq_category" | "service_category" => Some("category"),
            "faq" => Some("id"),
            "complaint_start" | "complaint_list" | "emergency" | "subscriptions" | "handoff" => {
                None
            }
            other => return Err(unknown(other)),
        };
        let mut value = None;
        for (field, v) in [("menu", menu), ("category", category), ("id", id)] {
            let Some(v) = v else { continue };
            if Some(field) != wanted {
                return Err(format!("aksi `{kind}` tidak memakai kolom `{field}`"));
            }
            value = Some(v);
        }
        if let Some(field) = wanted {
            if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
                return Err(format!(
                    "aksi `{kind}` membutuhkan kolom `{field}` yang tidak kosong"
                ));
            }
        }
        let value = value.unwrap_or_default();
        Ok(match kind.as_str() {
            "submenu" => MenuAction::Submenu { menu: value },
            "faq_category" => MenuAction::FaqCategory { category: value },
            "service_category" => MenuAction::ServiceCategory { category: value },
            "faq" => MenuAction::Faq { id: value },
            "complaint_start" => MenuAction::ComplaintStart,
            "complaint_list" => MenuAction::ComplaintList,
            "emergency" => MenuAction::Emergency,
            "subscriptions" => MenuAction::Subscriptions,
            "handoff" => MenuAction::Handoff,
            other => return Err(unknown(other)),
        })
    }
}

impl MenuAction {
    /// The `type` string as written in `menus.json`.
    pub fn type_name(&self) -> &'static str {
        match self {
            MenuAction::Submenu { .. } => "submenu",
            MenuAction::FaqCategory { .. } => "faq_category",
            MenuAction::ServiceCategory { .. } => "service_category",
            MenuAction::ComplaintStart => "complaint_start",
            MenuAction::ComplaintList => "complaint_list",
            MenuAction::Emergency => "emergency",
            MenuAction::Subscriptions => "subscriptions",
            MenuAction::Handoff => "handoff",
            MenuAction::Faq { .. } => "faq",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_rejects_unknown_type_and_extra_fields() {
        let ok: Result<MenuAction, _> =
            serde_json::from_str(r#"{"type":"submenu","menu":"info-1"}"#);
        assert_eq!(
            ok.ok(),
            Some(MenuAction::Submenu {
                menu: "info-1".into()
            })
        );
        let unit: Result<MenuAction, _> = serde_json::from_str(r#"{"type":"handoff"}"#);
        assert_eq!(unit.ok(), Some(MenuAction::Handoff));
        assert!(serde_json::from_str::<MenuAction>(r#"{"type":"teleport"}"#).is_err());
        assert!(
            serde_json::from_str::<MenuAction>(r#"{"type":"faq","id":"x","menu":"y"}"#).is_err()
        );
        assert!(serde_json::from_str::<MenuAction>(r#"{"type":"faq"}"#).is_err());
        assert!(serde_json::from_str::<MenuAction>(r#"{"type":"faq","id":" "}"#).is_err());
        assert!(serde_json::from_str::<MenuAction>(r#"{"type":"handoff","menu":"main"}"#).is_err());
        assert!(
            serde_json::from_str::<MenuAction>(r#"{"type":"handoff","colour":"red"}"#).is_err()
        );
        let all = [
            MenuAction::Submenu { menu: "m".into() },
            MenuAction::FaqCategory {
                category: "c".into(),
            },
            MenuAction::ServiceCategory {
                category: "c".into(),
            },
            MenuAction::ComplaintStart,
            MenuAction::ComplaintList,
            MenuAction::Emergency,
            MenuAction::Subscriptions,
            MenuAction::Handoff,
            MenuAction::Faq { id: "f".into() },
        ];
        for a in all {
            let json = serde_json::to_value(&a).unwrap_or_default();
            assert_eq!(json["type"], a.type_name());
            assert_eq!(serde_json::from_value::<MenuAction>(json).ok(), Some(a));
        }
    }

    #[test]
    fn negative_sla_is_rejected_with_reason() {
        #[derive(Deserialize, Debug)]
        struct S {
            #[serde(deserialize_with = "working_days")]
            _d: u32,
        }
        let err = serde_json::from_str::<S>(r#"{"_d":-1}"#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("harus bilangan bulat ≥ 0, bukan -1"), "{err}");
    }
}
