//! The content routes: FAQ, services, complaint categories, OPDs, topics, menus and holidays,
//! each entry in the JSON shape of its seed file. A change loads the live bundle, applies the
//! one entry, validates the whole bundle with the import's rules, appends a revision (the
//! number is the content's `version`: of two operators changing the same version one wins,
//! the other gets 409) and stores the bundle through the shared [`ContentSource`], so the
//! local bot answers from it at once.
//!
//! [`ContentSource`]: crate::content_cache::ContentSource

use std::collections::BTreeMap;

use axum::{extract::State, http::StatusCode, Json};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::Value;

use prolink_domain::content::{
    validate, ComplaintCategory, ContentBundle, Faq, Holiday, HolidayType, Menu, Opd, RecordError,
    Service, Topic, COMPLAINT_CATEGORIES_FILE, FAQ_FILE, HOLIDAYS_FILE_PREFIX, MENUS_FILE,
    OPDS_FILE, PHRASES_LIMIT, SERVICES_FILE, TOPICS_FILE,
};

use crate::ports::{ContentAction, ContentRevision, PageRequest, PortError, RevisionSummary};

use super::error::{ApiError, ApiResult};
use super::extract::{
    bad_cursor, list_error, page_limit, store_page, whole_number, Caller, JsonBody, PathParam,
    QueryParams,
};
use super::views::wib_iso;
use super::{trail, ApiState};

/// The kinds of content entries, as named in the paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Faq,
    Services,
    Categories,
    Opds,
    Topics,
    Menus,
    Holidays,
}

impl Kind {
    const ALL: [Kind; 7] = [
        Kind::Faq,
        Kind::Services,
        Kind::Categories,
        Kind::Opds,
        Kind::Topics,
        Kind::Menus,
        Kind::Holidays,
    ];

    fn parse(name: &str) -> ApiResult<Kind> {
        Kind::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
            .ok_or_else(ApiError::not_found)
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Faq => "faq",
            Kind::Services => "services",
            Kind::Categories => "categories",
            Kind::Opds => "opds",
            Kind::Topics => "topics",
            Kind::Menus => "menus",
            Kind::Holidays => "holidays",
        }
    }

    /// Where the entries are in the bundle's JSON.
    fn pointer(self) -> &'static str {
        match self {
            Kind::Faq => "/faqs",
            Kind::Services => "/services",
            Kind::Categories => "/categories",
            Kind::Opds => "/opds",
            Kind::Topics => "/topics",
            Kind::Menus => "/menus/menus",
            Kind::Holidays => "/holidays/entries",
        }
    }

    /// The field naming an entry: a holiday is named by its date.
    fn key(self) -> &'static str {
        match self {
            Kind::Holidays => "date",
            _ => "id",
        }
    }

    /// Whether the entries carry `verified` (and so `verified_by`/`verified_at`).
    fn verifiable(self) -> bool {
        !matches!(self, Kind::Menus | Kind::Holidays)
    }

    /// The kind whose seed file the import's validation names.
    fn of_file(file: &str) -> Option<Kind> {
        Some(match file {
            FAQ_FILE => Kind::Faq,
            SERVICES_FILE => Kind::Services,
            COMPLAINT_CATEGORIES_FILE => Kind::Categories,
            OPDS_FILE => Kind::Opds,
            TOPICS_FILE => Kind::Topics,
            MENUS_FILE => Kind::Menus,
            other if other.starts_with(HOLIDAYS_FILE_PREFIX) => Kind::Holidays,
            _ => return None,
        })
    }

    /// The entry parsed with its domain type (every rule of the seed file's shape) and
    /// written back the way the bundle stores it.
    fn normalize(self, entry: Value) -> Result<Value, BTreeMap<String, String>> {
        match self {
            Kind::Faq => typed::<Faq>(entry),
            Kind::Services => typed::<Service>(entry),
            Kind::Categories => typed::<ComplaintCategory>(entry),
            Kind::Opds => typed::<Opd>(entry),
            Kind::Topics => typed::<Topic>(entry),
            Kind::Menus => typed::<Menu>(entry),
            Kind::Holidays => typed::<Holiday>(entry),
        }
    }
}

/// Parses `entry` as `T`; every field that does not parse, and every field `T` does not
/// have, is a per-field message.
fn typed<T: DeserializeOwned + Serialize>(entry: Value) -> Result<Value, BTreeMap<String, String>> {
    let Value::Object(given) = &entry else {
        return Err(BTreeMap::from([(
            "entry".to_string(),
            "Harus berupa objek JSON.".to_string(),
        )]));
    };
    let given = given.clone();
    let parsed: T = serde_path_to_error::deserialize(entry).map_err(|error| {
        let path = error.path().to_string();
        let message = error.inner().to_string();
        let field = match message.strip_prefix("missing field `") {
            Some(rest) => {
                let name = rest.split('`').next().unwrap_or_default();
                if path == "." {
                    name.to_string()
                } else {
                    format!("{path}.{name}")
                }
            }
            None => path,
        };
        BTreeMap::from([(format!("entry.{field}"), describe(&message))])
    })?;
    let normalized = serde_json::to_value(&parsed).map_err(|_| {
        BTreeMap::from([(
            "entry".to_string(),
            "Isian tidak dapat disimpan.".to_string(),
        )])
    })?;
    let known = normalized.as_object().cloned().unwrap_or_default();
    let unknown: BTreeMap<String, String> = given
        .iter()
        // A field written only when it has a value (`None`, an empty list) is absent from
        // `normalized` when given empty: that is not an unknown field.
        .filter(|(key, value)| {
            !known.contains_key(*key)
                && !value.is_null()
                && !value.as_array().is_some_and(Vec::is_empty)
        })
        .map(|(key, _)| (format!("entry.{key}"), "Kolom tidak dikenal.".to_string()))
        .collect();
    if unknown.is_empty() {
        Ok(normalized)
    } else {
        Err(unknown)
    }
}

/// serde's English reason as a short Indonesian one.
fn describe(message: &str) -> String {
    if message.starts_with("missing field") {
        "Kolom wajib tidak ada.".to_string()
    } else if let Some(rest) = message.strip_prefix("unknown variant ") {
        match rest.split_once(", expected ") {
            Some((_, allowed)) => format!("Nilai tidak dikenal (pilihan: {allowed})."),
            None => "Nilai tidak dikenal.".to_string(),
        }
    } else if message.starts_with("invalid type") {
        "Tipe nilai salah.".to_string()
    } else {
        format!("Nilai tidak valid ({message}).")
    }
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// The newest revision's number: the content's `version` (0 before the first change).
async fn current_version(state: &ApiState) -> ApiResult<u64> {
    let newest = state
        .content_revisions
        .list_revisions(&PageRequest {
            limit: 1,
            after: None,
        })
        .await?;
    Ok(newest.items.first().map_or(0, |r| r.number))
}

/// The live bundle as stored (past the workers' cache), or the seed built into the binary
/// while nothing was imported.
async fn live_bundle(state: &ApiState) -> ApiResult<ContentBundle> {
    match state.content.stored().await? {
        Some(bundle) => Ok(bundle),
        None => crate::content_import::embedded_seed().map_err(|_| ApiError::unavailable()),
    }
}

/// The version first, then the bundle: a change in between makes the version stale (409),
/// never a newer bundle look older.
async fn versioned(state: &ApiState) -> ApiResult<(u64, Value)> {
    let version = current_version(state).await?;
    let bundle = live_bundle(state).await?;
    let json = serde_json::to_value(&bundle).map_err(|_| ApiError::unavailable())?;
    Ok((version, json))
}

fn entries(bundle: &Value, kind: Kind) -> &[Value] {
    bundle
        .pointer(kind.pointer())
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
}

fn entry_id(entry: &Value, kind: Kind) -> Option<&str> {
    entry.get(kind.key()).and_then(Value::as_str)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct EntryList {
    items: Vec<Value>,
    next_cursor: Option<String>,
    version: u64,
}

pub async fn list(
    State(state): State<ApiState>,
    PathParam(kind): PathParam<String>,
    QueryParams(params): QueryParams<ListParams>,
) -> ApiResult<Json<EntryList>> {
    let kind = Kind::parse(&kind)?;
    let limit = page_limit(params.limit)?;
    let start = match params.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => 0,
        Some(cursor) => cursor.parse::<usize>().map_err(|_| bad_cursor())?,
    };
    let (version, bundle) = versioned(&state).await?;
    let all = entries(&bundle, kind);
    let end = start.saturating_add(limit).min(all.len());
    Ok(Json(EntryList {
        items: all.get(start..end).unwrap_or_default().to_vec(),
        next_cursor: (end < all.len()).then(|| end.to_string()),
        version,
    }))
}

/// One entry and the content's version: what a GET returns and a PUT takes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryBody {
    entry: Value,
    #[serde(deserialize_with = "whole_number")]
    version: u64,
}

pub async fn get_one(
    State(state): State<ApiState>,
    PathParam((kind, id)): PathParam<(String, String)>,
) -> ApiResult<Json<EntryBody>> {
    let kind = Kind::parse(&kind)?;
    let (version, bundle) = versioned(&state).await?;
    let entry = entries(&bundle, kind)
        .iter()
        .find(|e| entry_id(e, kind) == Some(id.as_str()))
        .cloned()
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(EntryBody { entry, version }))
}

// ---------------------------------------------------------------------------------------------
// Changing
// ---------------------------------------------------------------------------------------------

/// A change decided by a route, made by [`commit`].
struct Change {
    kind: Option<Kind>,
    entry_id: Option<String>,
    action: ContentAction,
    restored_from: Option<u64>,
    bundle: ContentBundle,
}

/// Validates the changed bundle with the import's rules, appends the revision after
/// `version`, stores the bundle as the live content and audits the change. Errors the live
/// bundle already had are not the change's fault and do not refuse it.
async fn commit(
    state: &ApiState,
    caller: &Caller,
    version: u64,
    before: &ContentBundle,
    change: Change,
) -> ApiResult<RevisionSummary> {
    if let Err(errors) = validate(&change.bundle) {
        let old = validate(before).err().unwrap_or_default();
        let new: Vec<RecordError> = errors.into_iter().filter(|e| !old.contains(e)).collect();
        if !new.is_empty() {
            return Err(ApiError::invalid_fields(fields_of(
                &new,
                change.kind,
                change.entry_id.as_deref(),
            )));
        }
    }
    let summary = RevisionSummary {
        number: version.saturating_add(1),
        at_ms: state.clock.now_ms(),
        actor: caller.username().to_string(),
        action: change.action,
        kind: change.kind.map(|k| k.name().to_string()),
        entry_id: change.entry_id.clone(),
        restored_from: change.restored_from,
    };
    state
        .content_revisions
        .append_revision(&ContentRevision {
            summary: summary.clone(),
            bundle: change.bundle.clone(),
        })
        .await
        .map_err(|error| match error {
            PortError::Conflict(_) => ApiError::stale(),
            other => ApiError::store(other),
        })?;
    state.content.replace(change.bundle).await?;
    let subject = match (&change.kind, &change.entry_id) {
        (Some(kind), Some(id)) => format!("{}/{id}", kind.name()),
        _ => format!("revisi {}", summary.number),
    };
    let detail = match change.restored_from {
        Some(from) => format!("revisi {} (dari revisi {from})", summary.number),
        None => format!("revisi {}", summary.number),
    };
    trail::record(
        state,
        caller,
        &format!("content.{}", change.action.as_str()),
        Some(&subject),
        Some(detail),
    )
    .await?;
    Ok(summary)
}

/// The import's record errors as per-field messages: the changed entry's own under
/// `entry.<field>`, other entries' (a reference the change broke) under `<kind>/<id>`.
fn fields_of(
    errors: &[RecordError],
    kind: Option<Kind>,
    id: Option<&str>,
) -> BTreeMap<String, String> {
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    for error in errors {
        let of = Kind::of_file(&error.file);
        let key = if of.is_some() && of == kind && Some(error.id.as_str()) == id {
            match error
                .reason
                .strip_prefix('`')
                .and_then(|r| r.split_once('`'))
            {
                Some((field, _)) => format!("entry.{field}"),
                None => "entry".to_string(),
            }
        } else {
            let name = of.map_or(error.file.clone(), |k| k.name().to_string());
            if error.id.is_empty() {
                name.to_string()
            } else {
                format!("{name}/{}", error.id)
            }
        };
        fields
            .entry(key)
            .and_modify(|m| {
                m.push_str("; ");
                m.push_str(&error.reason);
            })
            .or_insert_with(|| error.reason.clone());
    }
    fields
}

/// Server-kept verification: `verified_by`/`verified_at` name who set `verified` and when;
/// an entry that stays verified keeps them, an unverified one has none.
fn verification(
    kind: Kind,
    entry: &mut Value,
    previous: Option<&Value>,
    caller: &Caller,
    now_ms: i64,
) {
    let Some(map) = entry.as_object_mut().filter(|_| kind.verifiable()) else {
        return;
    };
    map.remove("verified_by");
    map.remove("verified_at");
    if map.get("verified") != Some(&Value::Bool(true)) {
        return;
    }
    let previous = previous
        .and_then(Value::as_object)
        .filter(|p| p.get("verified") == Some(&Value::Bool(true)));
    match previous {
        Some(previous) => {
            for key in ["verified_by", "verified_at"] {
                if let Some(value) = previous.get(key) {
                    map.insert(key.to_string(), value.clone());
                }
            }
        }
        None => {
            map.insert(
                "verified_by".to_string(),
                Value::String(caller.username().to_string()),
            );
            map.insert("verified_at".to_string(), Value::String(wib_iso(now_ms)));
        }
    }
}

/// The bundle back from its JSON, with the holiday counts following the entries.
fn rebuilt(bundle: Value, kind: Kind) -> ApiResult<ContentBundle> {
    let mut bundle: ContentBundle = serde_json::from_value(bundle)
        .map_err(|error| ApiError::invalid_field("entry", format!("Isian tidak valid: {error}")))?;
    if kind == Kind::Holidays && !bundle.holidays.counts.is_empty() {
        let mut counts: BTreeMap<String, BTreeMap<String, u32>> = BTreeMap::new();
        for holiday in &bundle.holidays.entries {
            let per_year = counts.entry(holiday.year.to_string()).or_default();
            for name in ["libur_nasional", "cuti_bersama"] {
                per_year.entry(name.to_string()).or_insert(0);
            }
            let name = match holiday.kind {
                HolidayType::LiburNasional => "libur_nasional",
                HolidayType::CutiBersama => "cuti_bersama",
            };
            *per_year.entry(name.to_string()).or_insert(0) += 1;
        }
        bundle.holidays.counts = counts;
    }
    Ok(bundle)
}

fn entries_mut(bundle: &mut Value, kind: Kind) -> ApiResult<&mut Vec<Value>> {
    bundle
        .pointer_mut(kind.pointer())
        .and_then(Value::as_array_mut)
        .ok_or_else(ApiError::unavailable)
}

/// Creates (`id` None) or replaces one entry.
async fn write_entry(
    state: &ApiState,
    caller: &Caller,
    kind: Kind,
    id: Option<String>,
    body: EntryBody,
) -> ApiResult<(StatusCode, Json<EntryBody>)> {
    let mut entry = kind
        .normalize(body.entry)
        .map_err(ApiError::invalid_fields)?;
    let given_id = entry_id(&entry, kind).unwrap_or_default().to_string();
    if let Some(id) = &id {
        if *id != given_id {
            return Err(ApiError::invalid_field(
                &format!("entry.{}", kind.key()),
                "Id entri tidak boleh diubah; buat entri baru lalu pensiunkan yang lama.",
            ));
        }
    }
    let (version, mut json) = versioned(state).await?;
    if body.version != version {
        return Err(ApiError::stale());
    }
    let before = live_bundle_of(&json)?;
    let now_ms = state.clock.now_ms();
    let list = entries_mut(&mut json, kind)?;
    let position = list
        .iter()
        .position(|e| entry_id(e, kind) == Some(given_id.as_str()));
    let (action, status) = match (&id, position) {
        (None, Some(_)) => {
            return Err(ApiError::conflict(
                "Id ini sudah dipakai entri lain; pilih id lain.",
            ))
        }
        (None, None) => (ContentAction::Create, StatusCode::CREATED),
        (Some(_), None) => return Err(ApiError::not_found()),
        (Some(_), Some(_)) => (ContentAction::Update, StatusCode::OK),
    };
    verification(
        kind,
        &mut entry,
        position.and_then(|p| list.get(p)),
        caller,
        now_ms,
    );
    match position.and_then(|p| list.get_mut(p)) {
        Some(slot) => *slot = entry.clone(),
        None => list.push(entry.clone()),
    }
    let bundle = rebuilt(json, kind)?;
    let summary = commit(
        state,
        caller,
        version,
        &before,
        Change {
            kind: Some(kind),
            entry_id: Some(given_id),
            action,
            restored_from: None,
            bundle,
        },
    )
    .await?;
    Ok((
        status,
        Json(EntryBody {
            entry,
            version: summary.number,
        }),
    ))
}

fn live_bundle_of(json: &Value) -> ApiResult<ContentBundle> {
    serde_json::from_value(json.clone()).map_err(|_| ApiError::unavailable())
}

pub async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(kind): PathParam<String>,
    JsonBody(body): JsonBody<EntryBody>,
) -> ApiResult<(StatusCode, Json<EntryBody>)> {
    let kind = Kind::parse(&kind)?;
    write_entry(&state, &caller, kind, None, body).await
}

pub async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam((kind, id)): PathParam<(String, String)>,
    JsonBody(body): JsonBody<EntryBody>,
) -> ApiResult<(StatusCode, Json<EntryBody>)> {
    let kind = Kind::parse(&kind)?;
    write_entry(&state, &caller, kind, Some(id), body).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetireParams {
    /// A query value is text: `u64` parses it (the JSON bodies' `whole_number` would not).
    version: u64,
}

#[derive(Debug, Serialize)]
pub struct VersionView {
    version: u64,
}

pub async fn retire(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam((kind, id)): PathParam<(String, String)>,
    QueryParams(params): QueryParams<RetireParams>,
) -> ApiResult<Json<VersionView>> {
    let kind = Kind::parse(&kind)?;
    let (version, mut json) = versioned(&state).await?;
    let before = live_bundle_of(&json)?;
    let list = entries_mut(&mut json, kind)?;
    let position = list
        .iter()
        .position(|e| entry_id(e, kind) == Some(id.as_str()))
        .ok_or_else(ApiError::not_found)?;
    if params.version != version {
        return Err(ApiError::stale());
    }
    list.remove(position);
    let bundle = rebuilt(json, kind)?;
    let summary = commit(
        &state,
        &caller,
        version,
        &before,
        Change {
            kind: Some(kind),
            entry_id: Some(id),
            action: ContentAction::Retire,
            restored_from: None,
            bundle,
        },
    )
    .await
    .map_err(|mut error| {
        if error.code == "invalid_field" {
            error.message =
                "Entri ini masih dirujuk entri lain; ubah rujukan itu lebih dulu.".to_string();
        }
        error
    })?;
    Ok(Json(VersionView {
        version: summary.number,
    }))
}

/// Adds `phrases` (citizens' own questions, from the unanswered groups) to the training
/// phrases of FAQ `faq_id` as one content revision (an `update` of the entry, like a PUT):
/// duplicates of its question, alternative questions or phrases (ignoring case and spacing)
/// are skipped, and no more are added than the import's limit allows. The classifier is
/// trained on them from that revision on (`prolink_domain::nlp::Engine::build`). Returns the
/// phrases added and the new version (`None`: nothing to add, no revision). An unknown FAQ is
/// 422 on `faq_id`.
pub(super) async fn add_faq_phrases(
    state: &ApiState,
    caller: &Caller,
    faq_id: &str,
    phrases: &[String],
) -> ApiResult<(Vec<String>, Option<u64>)> {
    let kind = Kind::Faq;
    let (version, mut json) = versioned(state).await?;
    let before = live_bundle_of(&json)?;
    let list = entries_mut(&mut json, kind)?;
    let Some(entry) = list.iter_mut().find(|e| entry_id(e, kind) == Some(faq_id)) else {
        return Err(ApiError::invalid_field("faq_id", "FAQ tidak ditemukan."));
    };
    let key = |text: &str| {
        text.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let mut known: Vec<String> = Vec::new();
    if let Some(question) = entry.get("question").and_then(Value::as_str) {
        known.push(key(question));
    }
    if let Some(alt) = entry.get("alt_questions").and_then(Value::as_array) {
        known.extend(alt.iter().filter_map(Value::as_str).map(key));
    }
    let Some(object) = entry.as_object_mut() else {
        return Err(ApiError::unavailable());
    };
    let Some(alt) = object
        .entry("phrases")
        .or_insert_with(|| Value::Array(Vec::new()))
        .as_array_mut()
    else {
        return Err(ApiError::unavailable());
    };
    known.extend(alt.iter().filter_map(Value::as_str).map(key));
    let mut added = Vec::new();
    for phrase in phrases {
        let phrase = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
        if alt.len() >= PHRASES_LIMIT {
            break;
        }
        if phrase.is_empty() || known.contains(&key(&phrase)) {
            continue;
        }
        known.push(key(&phrase));
        alt.push(Value::String(phrase.clone()));
        added.push(phrase);
    }
    if added.is_empty() {
        return Ok((added, None));
    }
    let bundle = rebuilt(json, kind)?;
    let summary = commit(
        state,
        caller,
        version,
        &before,
        Change {
            kind: Some(kind),
            entry_id: Some(faq_id.to_string()),
            action: ContentAction::Update,
            restored_from: None,
            bundle,
        },
    )
    .await?;
    Ok((added, Some(summary.number)))
}

// ---------------------------------------------------------------------------------------------
// Revisions
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
pub struct RevisionView {
    number: u64,
    at: String,
    actor: String,
    action: ContentAction,
    kind: Option<String>,
    entry_id: Option<String>,
    restored_from: Option<u64>,
}

impl From<RevisionSummary> for RevisionView {
    fn from(r: RevisionSummary) -> Self {
        RevisionView {
            number: r.number,
            at: wib_iso(r.at_ms),
            actor: r.actor,
            action: r.action,
            kind: r.kind,
            entry_id: r.entry_id,
            restored_from: r.restored_from,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct RevisionList {
    items: Vec<RevisionView>,
    next_cursor: Option<String>,
}

pub async fn list_revisions(
    State(state): State<ApiState>,
    QueryParams(params): QueryParams<ListParams>,
) -> ApiResult<Json<RevisionList>> {
    let page = store_page(params.cursor, params.limit)?;
    let page = state
        .content_revisions
        .list_revisions(&page)
        .await
        .map_err(list_error)?;
    Ok(Json(RevisionList {
        items: page.items.into_iter().map(RevisionView::from).collect(),
        next_cursor: page.next,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestoreBody {
    #[serde(deserialize_with = "whole_number")]
    version: u64,
}

pub async fn restore(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(number): PathParam<u64>,
    JsonBody(body): JsonBody<RestoreBody>,
) -> ApiResult<Json<RevisionView>> {
    let revision = state
        .content_revisions
        .get_revision(number)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let version = current_version(&state).await?;
    if body.version != version {
        return Err(ApiError::stale());
    }
    let before = live_bundle(&state).await?;
    let summary = commit(
        &state,
        &caller,
        version,
        &before,
        Change {
            kind: None,
            entry_id: None,
            action: ContentAction::Restore,
            restored_from: Some(number),
            bundle: revision.bundle,
        },
    )
    .await?;
    Ok(Json(RevisionView::from(summary)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_errors_become_fields() {
        let errors = [
            RecordError::new(
                FAQ_FILE,
                "umum.a",
                "`answer` lebih dari 4000 karakter (4100)",
            ),
            RecordError::new(FAQ_FILE, "umum.a", "`answer` kosong"),
            RecordError::new(FAQ_FILE, "umum.a", "id harus berbentuk …"),
            RecordError::new(COMPLAINT_CATEGORIES_FILE, "jalan-rusak", "`opd_id` `x` …"),
            RecordError::new("holidays-*.json", "counts", "`counts` …"),
        ];
        let fields = fields_of(&errors, Some(Kind::Faq), Some("umum.a"));
        assert_eq!(
            fields.get("entry.answer").map(String::as_str),
            Some("`answer` lebih dari 4000 karakter (4100); `answer` kosong")
        );
        assert!(fields.contains_key("entry"));
        assert!(fields.contains_key("categories/jalan-rusak"));
        assert!(fields.contains_key("holidays/counts"));
    }

    #[test]
    fn entries_are_parsed_per_field() {
        let missing = typed::<Opd>(serde_json::json!({"id": "x"}))
            .err()
            .unwrap_or_default();
        assert!(missing.contains_key("entry.name"), "{missing:?}");
        let unknown = typed::<Opd>(serde_json::json!({
            "id": "x", "name": "X", "short_name": "X", "external": false,
            "verified": true, "colour": "red"
        }))
        .err()
        .unwrap_or_default();
        assert_eq!(unknown.keys().collect::<Vec<_>>(), ["entry.colour"]);
        let wrong = typed::<Opd>(serde_json::json!({
            "id": "x", "name": "X", "short_name": "X", "external": "no", "verified": true
        }))
        .err()
        .unwrap_or_default();
        assert!(wrong.contains_key("entry.external"), "{wrong:?}");
    }
}
