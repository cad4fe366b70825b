//! The operator API: one axum router under `/api`, served by `lambda_http` behind the API
//! Gateway HTTP API and by `prolink serve` on the local port.

pub mod auth;
