//! Implementations of the ports.

pub mod aws;
pub mod graph;
pub mod sqlite;
