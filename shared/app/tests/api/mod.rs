//! The operator API (`prolink_app::api`) driven through its router, on the local app's
//! SQLite store and on DynamoDB (moto), with the local tasks queue and the complaint worker
//! sending to the simulator outbox. Every test that touches a store runs on both
//! (`on_both_stores!`).

#[macro_use]
mod harness;

mod access;
mod backends;
mod broadcasts;
mod changes;
mod citizens;
mod content;
mod conversations;
mod hostile;
mod lapor;
mod listing;
mod openapi;
mod retention;
mod stats;
mod unanswered;
