//! The routes around the complaints: who am I, the alert board, operator accounts, the
//! operator-contacts setting and the audit trail.

use std::collections::{BTreeMap, HashMap};

use axum::{extract::State, http::StatusCode, Json};
use serde::{Deserialize, Serialize};

use prolink_domain::content::ContentBundle;

use crate::ports::{
    AlertRecord, AlertState, AuditQuery, AuditRecord, NewUser, PageRequest, PortError, Role,
    StoredSetting, UserPatch, UserRecord,
};

use super::complaints::ListPage;
use super::error::{ApiError, ApiResult};
use super::extract::{list_error, store_page, Caller, JsonBody, PathParam, QueryParams};
use super::views::wib_iso;
use super::{trail, ApiState};

// ---------------------------------------------------------------------------------------------
// Me
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
pub struct Me {
    username: String,
    role: Role,
    opd_id: Option<String>,
}

pub async fn me(caller: Caller) -> Json<Me> {
    Json(Me {
        username: caller.principal.username,
        role: caller.principal.role,
        opd_id: caller.principal.opd_id,
    })
}

// ---------------------------------------------------------------------------------------------
// Alerts
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsQuery {
    state: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct AlertView {
    id: String,
    kind: String,
    message: String,
    opd_id: Option<String>,
    raised_at: String,
    state: AlertState,
    resolved_at: Option<String>,
    resolved_by: Option<String>,
}

impl From<AlertRecord> for AlertView {
    fn from(record: AlertRecord) -> Self {
        AlertView {
            id: record.alert.id,
            kind: record.alert.kind,
            message: record.alert.message,
            opd_id: record.alert.opd_id,
            raised_at: wib_iso(record.alert.raised_ms),
            state: record.state,
            resolved_at: record.resolved_ms.map(wib_iso),
            resolved_by: record.resolved_by,
        }
    }
}

/// The OPD an alert list is narrowed to: the caller's own for an OPD user.
fn alert_scope(caller: &Caller) -> Option<&str> {
    match caller.role() {
        Role::Opd => caller.principal.opd_id.as_deref(),
        _ => None,
    }
}

pub async fn list_alerts(
    State(state): State<ApiState>,
    caller: Caller,
    QueryParams(query): QueryParams<AlertsQuery>,
) -> ApiResult<Json<ListPage<AlertView>>> {
    let alert_state = match query.state.as_deref().map(str::trim) {
        None | Some("open") => AlertState::Open,
        Some("resolved") => AlertState::Resolved,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "state",
                "Status peringatan harus open atau resolved.",
            ))
        }
    };
    let page = store_page(query.cursor, query.limit)?;
    let page = state
        .alerts
        .list_alerts(alert_state, alert_scope(&caller), &page)
        .await
        .map_err(list_error)?;
    Ok(Json(ListPage {
        items: page.items.into_iter().map(AlertView::from).collect(),
        next_cursor: page.next,
    }))
}

pub async fn resolve_alert(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> ApiResult<Json<AlertView>> {
    if id.is_empty() || id.len() > 256 {
        return Err(ApiError::not_found());
    }
    let alert = state
        .alerts
        .get_alert(&id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if let Some(own) = alert_scope(&caller) {
        if alert.alert.opd_id.as_deref() != Some(own) {
            return Err(ApiError::not_found());
        }
    }
    let resolved = state
        .alerts
        .resolve_alert(&id, caller.username(), state.clock.now_ms())
        .await?
        .ok_or_else(ApiError::not_found)?;
    trail::record(&state, &caller, "alert.resolve", Some(&id), None).await?;
    Ok(Json(resolved.into()))
}

// ---------------------------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------------------------

/// Longest password accepted (argon2 takes any length; a megabyte of it is an attack).
const MAX_PASSWORD_CHARS: usize = 256;
const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Debug, Serialize)]
pub struct UserView {
    username: String,
    role: Role,
    opd_id: Option<String>,
    disabled: bool,
    created_at: String,
    updated_at: String,
}

impl From<UserRecord> for UserView {
    fn from(user: UserRecord) -> Self {
        UserView {
            username: user.username,
            role: user.role,
            opd_id: user.opd_id,
            disabled: user.disabled,
            created_at: wib_iso(user.created_ms),
            updated_at: wib_iso(user.updated_ms),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    cursor: Option<String>,
    limit: Option<i64>,
}

pub async fn list_users(
    State(state): State<ApiState>,
    QueryParams(query): QueryParams<PageQuery>,
) -> ApiResult<Json<ListPage<UserView>>> {
    let page = store_page(query.cursor, query.limit)?;
    let page = state.users.list_users(&page).await.map_err(list_error)?;
    Ok(Json(ListPage {
        items: page.items.into_iter().map(UserView::from).collect(),
        next_cursor: page.next,
    }))
}

pub fn valid_username(name: &str) -> bool {
    (3..=64).contains(&name.len())
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

fn check_password(password: &str, errors: &mut BTreeMap<String, String>) {
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        errors.insert(
            "password".to_string(),
            format!("Kata sandi minimal {MIN_PASSWORD_CHARS} karakter."),
        );
    } else if length > MAX_PASSWORD_CHARS {
        errors.insert(
            "password".to_string(),
            format!("Kata sandi maksimal {MAX_PASSWORD_CHARS} karakter."),
        );
    }
}

/// An OPD account needs an OPD of the content; no other role may have one.
fn check_role_opd(
    role: Role,
    opd_id: Option<&str>,
    content: &ContentBundle,
    errors: &mut BTreeMap<String, String>,
) {
    match (role, opd_id) {
        (Role::Opd, None) => {
            errors.insert(
                "opd_id".to_string(),
                "Akun petugas OPD wajib memilih OPD.".to_string(),
            );
        }
        (Role::Opd, Some(id)) if content.opd(id).is_none() => {
            errors.insert("opd_id".to_string(), format!("OPD tidak dikenal: {id}."));
        }
        (Role::Opd, Some(_)) | (_, None) => {}
        (_, Some(_)) => {
            errors.insert(
                "opd_id".to_string(),
                "Hanya akun petugas OPD yang memiliki OPD.".to_string(),
            );
        }
    }
}

async fn content(
    state: &ApiState,
) -> ApiResult<std::sync::Arc<crate::content_cache::LoadedContent>> {
    state
        .content
        .load()
        .await
        .map_err(|_| ApiError::unavailable())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUserBody {
    username: String,
    role: Role,
    #[serde(default)]
    opd_id: Option<String>,
    password: String,
}

pub async fn create_user(
    State(state): State<ApiState>,
    caller: Caller,
    JsonBody(body): JsonBody<CreateUserBody>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let loaded = content(&state).await?;
    let mut errors = BTreeMap::new();
    if !valid_username(&body.username) {
        errors.insert(
            "username".to_string(),
            "Nama pengguna 3–64 karakter: huruf kecil, angka, titik, garis bawah, tanda hubung."
                .to_string(),
        );
    }
    check_password(&body.password, &mut errors);
    let opd_id = body.opd_id.filter(|id| !id.trim().is_empty());
    check_role_opd(body.role, opd_id.as_deref(), &loaded.bundle, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::invalid_fields(errors));
    }
    let new = NewUser {
        username: body.username,
        role: body.role,
        opd_id,
        password: body.password,
    };
    let created = state
        .users
        .create_user(&new, state.clock.now_ms())
        .await
        .map_err(|error| match error {
            PortError::Conflict(_) => ApiError::conflict("Nama pengguna sudah dipakai."),
            other => ApiError::store(other),
        })?;
    trail::record(
        &state,
        &caller,
        "user.create",
        Some(&created.username),
        Some(format!("peran {}", created.role.as_str())),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// The directory has no single-user read: the list is short (tens of accounts), so it is
/// paged through.
async fn find_user(state: &ApiState, username: &str) -> ApiResult<Option<UserRecord>> {
    let mut after = None;
    for _ in 0..100 {
        let page = state
            .users
            .list_users(&PageRequest { limit: 100, after })
            .await?;
        if let Some(user) = page.items.into_iter().find(|u| u.username == username) {
            return Ok(Some(user));
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(None),
        }
    }
    Ok(None)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchUserBody {
    #[serde(default)]
    role: Option<Role>,
    /// `null` removes the OPD.
    #[serde(default, with = "double_option")]
    opd_id: Option<Option<String>>,
    #[serde(default)]
    disabled: Option<bool>,
    #[serde(default)]
    password: Option<String>,
}

mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

pub async fn patch_user(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(username): PathParam<String>,
    JsonBody(body): JsonBody<PatchUserBody>,
) -> ApiResult<Json<UserView>> {
    if !valid_username(&username) {
        return Err(ApiError::not_found());
    }
    let current = find_user(&state, &username)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let loaded = content(&state).await?;
    let mut errors = BTreeMap::new();
    let role = body.role.unwrap_or(current.role);
    let opd_id = match &body.opd_id {
        Some(value) => value.clone().filter(|id| !id.trim().is_empty()),
        // A role change away from OPD drops the OPD with it.
        None if role != Role::Opd => None,
        None => current.opd_id.clone(),
    };
    check_role_opd(role, opd_id.as_deref(), &loaded.bundle, &mut errors);
    if let Some(password) = &body.password {
        check_password(password, &mut errors);
    }
    // An admin who locks themself out needs another admin to get back in.
    if username == caller.username() {
        if body.disabled == Some(true) {
            errors.insert(
                "disabled".to_string(),
                "Anda tidak dapat menonaktifkan akun sendiri.".to_string(),
            );
        }
        if role != current.role {
            errors.insert(
                "role".to_string(),
                "Anda tidak dapat mengubah peran akun sendiri.".to_string(),
            );
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid_fields(errors));
    }
    let patch = UserPatch {
        role: body.role,
        opd_id: (opd_id != current.opd_id).then_some(opd_id),
        disabled: body.disabled,
        password: body.password,
    };
    let mut changes = Vec::new();
    if patch.role.is_some_and(|r| r != current.role) {
        changes.push(format!(
            "peran {} → {}",
            current.role.as_str(),
            role.as_str()
        ));
    }
    if patch.opd_id.is_some() {
        changes.push("OPD diubah".to_string());
    }
    if let Some(disabled) = patch.disabled {
        changes.push(
            if disabled {
                "dinonaktifkan"
            } else {
                "diaktifkan"
            }
            .to_string(),
        );
    }
    if patch.password.is_some() {
        changes.push("kata sandi diatur ulang".to_string());
    }
    let updated = state
        .users
        .update_user(&username, &patch, state.clock.now_ms())
        .await?;
    trail::record(
        &state,
        &caller,
        "user.update",
        Some(&updated.username),
        Some(changes.join(", ")),
    )
    .await?;
    Ok(Json(updated.into()))
}

// ---------------------------------------------------------------------------------------------
// Settings: operator contacts
// ---------------------------------------------------------------------------------------------

pub const OPERATOR_CONTACTS_KEY: &str = "operator_contacts";
/// The ladder roles the contacts map holds next to the OPD ids (`sla::ESCALATION_ROLES`).
const LADDER_KEYS: [&str; 2] = ["supervisor", "pimpinan"];

#[derive(Debug, Serialize)]
pub struct ContactsView {
    /// OPD id, `supervisor` or `pimpinan` → WhatsApp numbers (`62…`).
    contacts: BTreeMap<String, Vec<String>>,
    /// 0 while nothing is stored yet (the environment's value is shown).
    version: u64,
    updated_at: Option<String>,
    updated_by: Option<String>,
}

fn contacts_of(setting: Option<StoredSetting>) -> ContactsView {
    match setting {
        Some(setting) => ContactsView {
            contacts: crate::notifier::OperatorDirectory::from_setting(&setting.value)
                .map(|d| d.0.into_iter().collect())
                .unwrap_or_default(),
            version: setting.version,
            updated_at: Some(wib_iso(setting.updated_ms)),
            updated_by: Some(setting.updated_by),
        },
        None => {
            // First start: what the deployment's variable says, to be saved from here on.
            let seed = crate::config::env_opt(crate::config::PROLINK_OPERATOR_CONTACTS);
            let contacts = crate::notifier::OperatorDirectory::parse(seed.as_deref())
                .map(|d| d.0.into_iter().collect())
                .unwrap_or_default();
            ContactsView {
                contacts,
                version: 0,
                updated_at: None,
                updated_by: None,
            }
        }
    }
}

pub async fn get_contacts(State(state): State<ApiState>) -> ApiResult<Json<ContactsView>> {
    let setting = state.settings.get_setting(OPERATOR_CONTACTS_KEY).await?;
    Ok(Json(contacts_of(setting)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactsBody {
    contacts: HashMap<String, Vec<String>>,
    #[serde(deserialize_with = "super::extract::whole_number")]
    version: u64,
}

/// `62` and 8–13 more digits: an Indonesian WhatsApp number as Meta writes it.
pub fn valid_number(number: &str) -> bool {
    number.len() >= 10
        && number.len() <= 15
        && number.starts_with("62")
        && number.bytes().all(|b| b.is_ascii_digit())
}

pub async fn put_contacts(
    State(state): State<ApiState>,
    caller: Caller,
    JsonBody(body): JsonBody<ContactsBody>,
) -> ApiResult<Json<ContactsView>> {
    let loaded = content(&state).await?;
    let mut errors = BTreeMap::new();
    let mut contacts = BTreeMap::new();
    for (key, numbers) in body.contacts {
        if !LADDER_KEYS.contains(&key.as_str()) && loaded.bundle.opd(&key).is_none() {
            errors.insert(
                format!("contacts.{key}"),
                "Harus id OPD, supervisor, atau pimpinan.".to_string(),
            );
            continue;
        }
        if numbers.len() > 20 {
            errors.insert(format!("contacts.{key}"), "Maksimal 20 nomor.".to_string());
            continue;
        }
        let mut clean = Vec::new();
        for (index, number) in numbers.iter().enumerate() {
            let number = number.trim();
            if valid_number(number) {
                if !clean.iter().any(|n: &String| n == number) {
                    clean.push(number.to_string());
                }
            } else {
                errors.insert(
                    format!("contacts.{key}[{index}]"),
                    "Nomor WhatsApp harus diawali 62 dan berisi 10–15 angka.".to_string(),
                );
            }
        }
        contacts.insert(key, clean);
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid_fields(errors));
    }
    let setting = StoredSetting {
        key: OPERATOR_CONTACTS_KEY.to_string(),
        value: serde_json::to_value(&contacts).unwrap_or_default(),
        updated_ms: state.clock.now_ms(),
        updated_by: caller.username().to_string(),
        version: body.version,
    };
    let version = state.settings.put_setting(&setting).await?;
    trail::record(
        &state,
        &caller,
        "settings.operator_contacts",
        Some(OPERATOR_CONTACTS_KEY),
        Some(format!("{} kelompok nomor", contacts.len())),
    )
    .await?;
    Ok(Json(contacts_of(Some(StoredSetting {
        version,
        ..setting
    }))))
}

// ---------------------------------------------------------------------------------------------
// Audit trail
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    actor: Option<String>,
    subject: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct AuditView {
    id: String,
    at: String,
    actor: String,
    role: String,
    action: String,
    subject: Option<String>,
    ip: Option<String>,
    detail: Option<String>,
}

impl From<AuditRecord> for AuditView {
    fn from(record: AuditRecord) -> Self {
        AuditView {
            id: record.id,
            at: wib_iso(record.at_ms),
            actor: record.actor,
            role: record.role,
            action: record.action,
            subject: record.subject,
            ip: record.ip,
            detail: record.detail,
        }
    }
}

pub async fn list_audit(
    State(state): State<ApiState>,
    QueryParams(params): QueryParams<AuditParams>,
) -> ApiResult<Json<ListPage<AuditView>>> {
    let page = store_page(params.cursor, params.limit)?;
    let query = AuditQuery {
        actor: params.actor.filter(|a| !a.trim().is_empty()),
        subject: params.subject.filter(|s| !s.trim().is_empty()),
    };
    let page = state
        .audit
        .query_audit(&query, &page)
        .await
        .map_err(list_error)?;
    Ok(Json(ListPage {
        items: page.items.into_iter().map(AuditView::from).collect(),
        next_cursor: page.next,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_and_numbers() {
        for (name, ok) in [
            ("ani", true),
            ("ani.w_2-x", true),
            ("an", false),
            ("Ani", false),
            ("ani wulan", false),
            (&"a".repeat(65), false),
        ] {
            assert_eq!(valid_username(name), ok, "{name}");
        }
        for (number, ok) in [
            ("6281234567890", true),
            ("081234567890", false),
            ("+6281234567890", false),
            ("62812", false),
        ] {
            assert_eq!(valid_number(number), ok, "{number}");
        }
    }
}
