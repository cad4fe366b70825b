//! PROLINK SAKTI shared crate: everything that is not an entry point.
//!
//! - `whatsapp`: Cloud API webhook models, signature check, outbound builders, Graph client.
//! - `domain`: pure logic (no I/O).
//! - `ports`: the traits every adapter implements.
//! - `adapters`: SQLite (local), DynamoDB/SQS (AWS), Graph API, simulator outbox.
//! - `app`: use cases wiring domain and ports; the axum routers.

pub mod adapters;
pub mod app;
pub mod config;
pub mod domain;
pub mod ports;
pub mod whatsapp;
