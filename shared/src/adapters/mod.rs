//! Implementations of the ports.

pub mod aws;
pub mod blob_local;
pub(crate) mod complaint_rules;
pub(crate) mod conversation_rules;
pub mod graph;
pub mod graph_media;
pub mod sqlite;
