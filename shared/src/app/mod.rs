//! Use cases and HTTP routers.

pub mod answering;
pub mod lambda;
pub mod local;
pub mod simulator;
pub mod webhook;
pub mod worker;
