//! The one error shape of the API: `{"code", "message", "fields"?}` — `code` is stable
//! English for programs, `message` Indonesian for the operator, `fields` per-field messages
//! of a 422. Every rejection of axum's extractors is mapped here, so no input ends in a
//! plain-text body or a 500.

use std::collections::BTreeMap;

use axum::{
    extract::rejection::{JsonRejection, PathRejection, QueryRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use tracing::warn;

use crate::ports::PortError;

use super::auth::AuthError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    fields: &'a BTreeMap<String, String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: BTreeMap::new(),
        }
    }

    pub fn invalid_body(detail: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("Isi permintaan tidak dapat dibaca: {detail}"),
        )
    }

    pub fn invalid_query(detail: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("Parameter permintaan tidak dapat dibaca: {detail}"),
        )
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Peran Anda tidak diizinkan membuka halaman ini.",
        )
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Data yang diminta tidak ditemukan.",
        )
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    pub fn stale() -> Self {
        Self::conflict("Data sudah diubah orang lain; muat ulang lalu coba lagi.")
    }

    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "transition_refused", message)
    }

    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Layanan sedang bermasalah; coba lagi sebentar.",
        )
    }

    /// A 422 with one message per field (`fields`); `message` summarises.
    pub fn invalid_fields(fields: BTreeMap<String, String>) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_field",
            message: "Beberapa isian tidak valid.".to_string(),
            fields,
        }
    }

    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::invalid_fields(BTreeMap::from([(field.to_string(), message.into())]))
    }

    /// Store trouble is the caller's to retry; what the store said stays in the log.
    pub fn store(error: PortError) -> Self {
        match error {
            PortError::NotFound(_) => Self::not_found(),
            PortError::Conflict(_) => Self::stale(),
            other => {
                warn!(error = %other, "store failed under an API request");
                Self::unavailable()
            }
        }
    }
}

impl From<PortError> for ApiError {
    fn from(error: PortError) -> Self {
        ApiError::store(error)
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Backend(error) => {
                warn!(%error, "authenticator backend failed");
                ApiError::unavailable()
            }
            other => ApiError::unauthenticated(other.to_string()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::invalid_body("header Content-Type harus application/json")
            }
            JsonRejection::BytesRejection(bytes)
                if bytes.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "invalid_body",
                    "Isi permintaan terlalu besar.",
                )
            }
            other => ApiError::invalid_body(other.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::invalid_query(rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        // A path that does not parse names nothing that exists.
        ApiError::not_found()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            code: self.code,
            message: &self.message,
            fields: &self.fields,
        };
        (self.status, Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
