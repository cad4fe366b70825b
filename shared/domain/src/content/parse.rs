//! Turns the raw file texts into a [`ContentBundle`], one record at a time, so a bad record is
//! reported with its file and id instead of failing the whole file with one serde message.

use std::collections::{BTreeMap, BTreeSet};

use serde::{de::DeserializeOwned, Deserialize};
use serde_json::{Map, Value};

use super::{
    validate, ComplaintCategory, ContentBundle, Faq, HolidayCalendar, ImportReport, Menu, MenuRow,
    Menus, Opd, Paging, PagingRow, RecordError, Service, Topic, COMPLAINT_CATEGORIES_FILE,
    FAQ_FILE, HOLIDAYS_FILE_PREFIX, MENUS_FILE, MISSING_FILE, OPDS_FILE, SERVICES_FILE,
    TOPICS_FILE,
};

/// Parses and validates the seed files given as `file name → content`. Unknown file names are
/// ignored. Returns the bundle only when every file parsed and every rule of [`validate`]
/// passed; otherwise every error found (parse errors, and the rules that can still be checked
/// on the records that did parse).
pub fn parse_bundle(files: &BTreeMap<String, String>) -> Result<ContentBundle, ImportReport> {
    let mut p = Parser::default();

    let faqs = p.array_file::<Faq>(files, FAQ_FILE, "id");
    let services = p.array_file::<Service>(files, SERVICES_FILE, "id");
    let categories = p.array_file::<ComplaintCategory>(files, COMPLAINT_CATEGORIES_FILE, "id");
    let opds = p.array_file::<Opd>(files, OPDS_FILE, "id");
    let topics = p.array_file::<Topic>(files, TOPICS_FILE, "id");
    let holidays = p.holidays(files);
    let menus = match p
        .text(files, MENUS_FILE)
        .and_then(|t| p.json(MENUS_FILE, t))
    {
        Some(value) => p.menus(value),
        None => None,
    };

    let complete = p.errors.is_empty();
    let bundle = ContentBundle {
        faqs,
        services,
        categories,
        opds,
        topics,
        holidays: holidays.unwrap_or_else(|| HolidayCalendar {
            description: String::new(),
            counts: BTreeMap::new(),
            sources: BTreeMap::new(),
            status_legend: BTreeMap::new(),
            verification_note: String::new(),
            entries: Vec::new(),
        }),
        menus: menus.unwrap_or_else(empty_menus),
    };
    if complete {
        validate::validate(&bundle).map_err(|errors| ImportReport { errors })?;
        return Ok(bundle);
    }
    let mut errors = p.errors;
    errors.extend(validate::check(&bundle, &p.broken));
    Err(ImportReport { errors })
}

/// Stands in for a `menus.json` that could not be read, so the other files can still be checked.
fn empty_menus() -> Menus {
    let row = || PagingRow {
        title: String::new(),
        description: String::new(),
    };
    Menus {
        root: String::new(),
        paging: Paging {
            max_rows: 10,
            items_per_page: 9,
            more_row: row(),
            back_row: row(),
        },
        menus: Vec::new(),
    }
}

#[derive(Default)]
struct Parser {
    errors: Vec<RecordError>,
    /// Files with at least one error: checks over the whole file are skipped for them.
    broken: BTreeSet<String>,
}

impl Parser {
    fn fail(&mut self, file: &str, id: &str, reason: String) {
        self.errors.push(RecordError::new(file, id, reason));
        self.broken.insert(file.to_string());
    }

    fn text<'a>(&mut self, files: &'a BTreeMap<String, String>, file: &str) -> Option<&'a str> {
        let text = files.get(file).map(String::as_str);
        if text.is_none() {
            self.fail(file, "", MISSING_FILE.to_string());
        }
        text
    }

    fn json(&mut self, file: &str, text: &str) -> Option<Value> {
        match serde_json::from_str(text) {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(file, "", format!("JSON tidak valid: {e}"));
                None
            }
        }
    }

    fn record<T: DeserializeOwned>(&mut self, file: &str, id: &str, value: Value) -> Option<T> {
        match serde_path_to_error::deserialize(value) {
            Ok(v) => Some(v),
            Err(e) => {
                let reason = describe(&e.path().to_string(), &e.inner().to_string());
                self.fail(file, id, reason);
                None
            }
        }
    }

    fn array_file<T: DeserializeOwned>(
        &mut self,
        files: &BTreeMap<String, String>,
        file: &str,
        key: &str,
    ) -> Vec<T> {
        match self.text(files, file).and_then(|t| self.json(file, t)) {
            Some(value) => self.array(file, value, key),
            None => Vec::new(),
        }
    }

    fn array<T: DeserializeOwned>(&mut self, file: &str, value: Value, key: &str) -> Vec<T> {
        let Value::Array(items) = value else {
            self.fail(file, "", "isi berkas harus berupa array JSON".to_string());
            return Vec::new();
        };
        items
            .into_iter()
            .enumerate()
            .filter_map(|(i, v)| {
                let id = label(&v, key, i);
                self.record(file, &id, v)
            })
            .collect()
    }

    fn object(&mut self, file: &str, id: &str, value: Value) -> Option<Map<String, Value>> {
        match value {
            Value::Object(map) => Some(map),
            _ => {
                self.fail(file, id, "harus berupa objek JSON".to_string());
                None
            }
        }
    }

    /// Takes the array `key` out of `obj` so the rest can be parsed on its own.
    fn take_array(
        &mut self,
        file: &str,
        id: &str,
        obj: &mut Map<String, Value>,
        key: &str,
    ) -> Vec<Value> {
        match obj.insert(key.to_string(), Value::Array(Vec::new())) {
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.fail(file, id, format!("`{key}` harus berupa array"));
                Vec::new()
            }
            None => {
                self.fail(file, id, format!("kolom wajib `{key}` tidak ada"));
                Vec::new()
            }
        }
    }

    fn holidays(&mut self, files: &BTreeMap<String, String>) -> Option<HolidayCalendar> {
        let found: Vec<&String> = files
            .keys()
            .filter(|name| name.starts_with(HOLIDAYS_FILE_PREFIX) && name.ends_with(".json"))
            .collect();
        let file = match found.as_slice() {
            [one] => one.as_str(),
            [] => {
                self.fail(
                    validate::HOLIDAYS_LABEL,
                    "",
                    "berkas kalender libur tidak ada".to_string(),
                );
                return None;
            }
            many => {
                for name in many {
                    self.fail(
                        name,
                        "",
                        "lebih dari satu berkas kalender libur; gabungkan menjadi satu".to_string(),
                    );
                }
                return None;
            }
        };
        let value = self.text(files, file).and_then(|t| self.json(file, t))?;
        let mut obj = self.object(file, "", value)?;
        let entries = self.take_array(file, "", &mut obj, "entries");
        let mut calendar: HolidayCalendar = self.record(file, "", Value::Object(obj))?;
        calendar.entries = entries
            .into_iter()
            .enumerate()
            .filter_map(|(i, v)| {
                let id = label(&v, "date", i);
                self.record(file, &id, v)
            })
            .collect();
        Some(calendar)
    }

    fn menus(&mut self, value: Value) -> Option<Menus> {
        #[derive(Deserialize)]
        struct Head {
            root: String,
            paging: Paging,
        }
        let file = MENUS_FILE;
        let mut obj = self.object(file, "", value)?;
        let raw_menus = self.take_array(file, "", &mut obj, "menus");
        let head: Option<Head> = self.record(file, "", Value::Object(obj));
        let mut menus = Vec::new();
        for (i, raw) in raw_menus.into_iter().enumerate() {
            let id = label(&raw, "id", i);
            let Some(mut obj) = self.object(file, &id, raw) else {
                continue;
            };
            let raw_rows = self.take_array(file, &id, &mut obj, "rows");
            let menu: Option<Menu> = self.record(file, &id, Value::Object(obj));
            let rows: Vec<MenuRow> = raw_rows
                .into_iter()
                .enumerate()
                .filter_map(|(k, v)| {
                    let row_id = match v.get("id").and_then(Value::as_str) {
                        Some(r) if !r.is_empty() => r.to_string(),
                        _ => format!("{id} rows[{k}]"),
                    };
                    self.record(file, &row_id, v)
                })
                .collect();
            if let Some(mut menu) = menu {
                menu.rows = rows;
                menus.push(menu);
            }
        }
        let head = head?;
        Some(Menus {
            root: head.root,
            paging: head.paging,
            menus,
        })
    }
}

/// The record's id, or its position when it has none.
fn label(value: &Value, key: &str, index: usize) -> String {
    match value.get(key).and_then(Value::as_str) {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => format!("[{index}]"),
    }
}

/// Rewrites serde's English message into a reason an operator can act on.
fn describe(path: &str, message: &str) -> String {
    let at = if path == "." {
        String::new()
    } else {
        format!(" di `{path}`")
    };
    if let Some(rest) = message.strip_prefix("missing field ") {
        return format!("kolom wajib {rest} tidak ada{at}");
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        return match rest.split_once(", expected ") {
            Some((got, allowed)) => format!("nilai {got} tidak dikenal{at} (pilihan: {allowed})"),
            None => format!("nilai {rest} tidak dikenal{at}"),
        };
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let field = rest.split_once(", expected").map_or(rest, |(f, _)| f);
        return format!("kolom {field} tidak dikenal{at}");
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let rest = rest.replacen(", expected ", "; seharusnya ", 1);
        return format!("tipe nilai salah{at}: {rest}");
    }
    format!("nilai tidak valid{at}: {message}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_translates_common_serde_messages() {
        assert_eq!(
            describe(".", "missing field `title`"),
            "kolom wajib `title` tidak ada"
        );
        assert_eq!(
            describe("action", "missing field `menu`"),
            "kolom wajib `menu` tidak ada di `action`"
        );
        assert!(
            describe("action", "unknown variant `x`, expected `a` or `b`")
                .starts_with("nilai `x` tidak dikenal di `action`")
        );
        assert_eq!(
            describe(
                "verified",
                "invalid type: string \"ya\", expected a boolean"
            ),
            "tipe nilai salah di `verified`: string \"ya\"; seharusnya a boolean"
        );
    }

    #[test]
    fn missing_files_are_all_reported() {
        let report = parse_bundle(&BTreeMap::new())
            .err()
            .unwrap_or(ImportReport { errors: Vec::new() });
        for file in [FAQ_FILE, SERVICES_FILE, OPDS_FILE, TOPICS_FILE, MENUS_FILE] {
            assert!(
                report
                    .errors
                    .iter()
                    .any(|e| e.file == file && e.reason == "berkas tidak ada"),
                "{file}: {report}"
            );
        }
        assert!(report
            .errors
            .iter()
            .any(|e| e.reason == "berkas kalender libur tidak ada"));
    }
}
