//! Implementations of the ports.

pub mod aws;
pub(crate) mod complaint_rules;
pub(crate) mod conversation_rules;
pub mod graph;
pub mod sqlite;
