//! What the routes take from a request, parsed at the edge: the caller (authenticated and
//! role-checked by the layer every route of the table gets), JSON bodies and queries whose
//! rejections become the API's error shape, and the paging parameters.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::{
    extract::{FromRequest, FromRequestParts, Request, State},
    http::{header, request::Parts, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde::de::DeserializeOwned;

use crate::ports::{PageRequest, Role};

use super::auth::{AuthError, Principal};
use super::error::ApiError;
use super::{ApiState, ClientIp};

/// Default page size of every list.
pub const DEFAULT_LIMIT: usize = 50;
/// Largest page size a caller may ask for.
pub const MAX_LIMIT: usize = 100;

/// The roles a route admits, put into the request by the route's own layer (see
/// `routes::router`) so the authorising layer below can read them.
#[derive(Debug, Clone, Copy)]
pub struct AllowedRoles(pub &'static [Role]);

/// Default of the requests one user may make per minute (per process: a Lambda instance, or
/// `serve`). A dashboard makes a few a minute; this only stops a runaway script or a stolen
/// token scraping the complaints.
pub const REQUESTS_PER_MINUTE: u32 = 300;

/// Fixed one-minute windows per username, kept in memory.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    counts: Mutex<HashMap<String, (i64, u32)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute: per_minute.max(1),
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request; false once the user's window is used up.
    pub fn admit(&self, username: &str, now_ms: i64) -> bool {
        let window = now_ms.div_euclid(60_000);
        let Ok(mut counts) = self.counts.lock() else {
            // A poisoned lock only means another request panicked: do not lock everyone out.
            return true;
        };
        // Old windows are dropped now and then so the map stays small.
        if counts.len() > 10_000 {
            counts.retain(|_, (w, _)| *w == window);
        }
        let entry = counts.entry(username.to_string()).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1 <= self.per_minute
    }
}

/// The verified caller and the address they called from.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub ip: Option<String>,
}

impl Caller {
    pub fn role(&self) -> Role {
        self.principal.role
    }

    pub fn username(&self) -> &str {
        &self.principal.username
    }
}

/// Authenticates the bearer token and checks the route's roles before the handler (or any
/// body parsing) runs: 401 without a valid token, 403 for a role the route does not admit.
pub async fn authorize(
    State((state, limiter)): State<(ApiState, Arc<RateLimiter>)>,
    mut request: Request,
    next: Next,
) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|token| !token.is_empty())
        .map(str::to_string);
    let Some(token) = token else {
        return ApiError::from(AuthError::Missing).into_response();
    };
    let principal = match state.auth.authenticate(&token).await {
        Ok(principal) => principal,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let allowed = request
        .extensions()
        .get::<AllowedRoles>()
        .map_or(&[][..], |roles| roles.0);
    if !limiter.admit(&principal.username, state.clock.now_ms()) {
        return ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Terlalu banyak permintaan; tunggu sebentar lalu coba lagi.",
        )
        .into_response();
    }
    if !allowed.contains(&principal.role) {
        return ApiError::forbidden().into_response();
    }
    // An OPD account without an OPD would see nothing sensible: refuse it outright.
    if principal.role == Role::Opd && principal.opd_id.is_none() {
        return ApiError::forbidden().into_response();
    }
    let ip = request
        .extensions()
        .get::<ClientIp>()
        .map(|ip| ip.0.clone());
    request.extensions_mut().insert(Caller { principal, ip });
    next.run(request).await
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // Only reachable without the layer through a wiring bug: fail closed.
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::unauthenticated(AuthError::Missing.to_string()))
    }
}

/// `axum::Json` with the API's rejection.
pub struct JsonBody<T>(pub T);

/// A request body as `T`, only from a JSON object: serde also builds a struct from an array
/// of its fields in order (`[]`, `["x", 3]`), which no client of this API means to send.
pub fn json_object<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    if !value.is_object() {
        return Err(ApiError::invalid_body(
            "isi permintaan harus berupa objek JSON ({ … })",
        ));
    }
    serde_json::from_value(value).map_err(|error| ApiError::invalid_body(error.to_string()))
}

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) =
            axum::Json::<serde_json::Value>::from_request(request, state).await?;
        json_object(value).map(JsonBody)
    }
}

/// `axum::extract::Query` with the API's rejection.
pub struct QueryParams<T>(pub T);

impl<S, T> FromRequestParts<S> for QueryParams<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(QueryParams(value))
    }
}

/// `axum::extract::Path` with the API's rejection (404: a path that does not parse names
/// nothing).
pub struct PathParam<T>(pub T);

impl<S, T> FromRequestParts<S> for PathParam<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(value) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(PathParam(value))
    }
}

/// `limit` checked: absent → [`DEFAULT_LIMIT`], 1..=[`MAX_LIMIT`], else a 422 on `limit`.
pub fn page_limit(limit: Option<i64>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT as i64).contains(&n) => {
            Ok(usize::try_from(n).unwrap_or(DEFAULT_LIMIT))
        }
        Some(_) => Err(ApiError::invalid_field(
            "limit",
            format!("Jumlah per halaman harus antara 1 dan {MAX_LIMIT}."),
        )),
    }
}

/// A page request over a store's own cursor (lists that need no filtering of their own).
pub fn store_page(cursor: Option<String>, limit: Option<i64>) -> Result<PageRequest, ApiError> {
    let limit = page_limit(limit)?;
    let after = cursor.filter(|c| !c.is_empty());
    if let Some(cursor) = &after {
        if cursor.len() > 2048 || !cursor.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad_cursor());
        }
    }
    Ok(PageRequest { limit, after })
}

pub fn bad_cursor() -> ApiError {
    ApiError::invalid_field(
        "cursor",
        "Penanda halaman tidak valid; muat ulang daftar dari awal.",
    )
}

/// A store's `Invalid` under a list request can only come from the cursor it was given.
pub fn list_error(error: crate::ports::PortError) -> ApiError {
    match error {
        crate::ports::PortError::Invalid(_) => bad_cursor(),
        other => ApiError::store(other),
    }
}

/// Largest whole number a JSON double holds exactly (2^53).
const MAX_EXACT_F64: f64 = 9_007_199_254_740_992.0;

/// A version number as JSON Schema's `integer` allows it: `3` and `3.0` alike (serde's `u64`
/// refuses the second, which a client built from the schema may send).
pub fn whole_number<'de, D>(deserializer: D) -> Result<u64, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::de::Error;
    let number = <serde_json::Number as serde::Deserialize>::deserialize(deserializer)?;
    if let Some(value) = number.as_u64() {
        return Ok(value);
    }
    match number.as_f64() {
        Some(value) if value.fract() == 0.0 && (0.0..=MAX_EXACT_F64).contains(&value) => {
            Ok(value as u64)
        }
        _ => Err(D::Error::custom("expected a whole number of at least 0")),
    }
}

/// [`whole_number`] for an optional field (`null` or absent: `None`).
pub fn optional_whole_number<'de, D>(deserializer: D) -> Result<Option<u64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(serde::Deserialize)]
    struct Whole(#[serde(deserialize_with = "whole_number")] u64);
    Ok(<Option<Whole> as serde::Deserialize>::deserialize(deserializer)?.map(|w| w.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "optional_whole_number")]
        version: Option<u64>,
    }

    fn version(json: &str) -> Result<Option<u64>, serde_json::Error> {
        serde_json::from_str::<Body>(json).map(|b| b.version)
    }

    #[test]
    fn versions_accept_integral_numbers_only() {
        assert_eq!(version("{}").ok(), Some(None));
        assert_eq!(version(r#"{"version": null}"#).ok(), Some(None));
        assert_eq!(version(r#"{"version": 7}"#).ok(), Some(Some(7)));
        assert_eq!(version(r#"{"version": 7.0}"#).ok(), Some(Some(7)));
        for bad in ["7.5", "-1", "-1.0", "1e300", "\"7\"", "true"] {
            assert!(
                version(&format!(r#"{{"version": {bad}}}"#)).is_err(),
                "{bad}"
            );
        }
    }
}
