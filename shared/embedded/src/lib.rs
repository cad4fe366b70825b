//! The embedded default: everything PROLINK SAKTI needs on one machine without AWS. One
//! SQLite file holds the stores and the queues ([`sqlite`]), photos sit in a folder
//! ([`blob_local`]), a WhatsApp simulator stands for Meta ([`simulator`]), and [`serve`]
//! wires the application's routers and workers into one process.
//!
//! Only the `prolink` binary links this crate: no Lambda carries SQLite or the simulator.

pub mod blob_local;
pub mod dashboard;
pub mod issuer;
pub mod serve;
pub mod simulator;
pub mod sqlite;
