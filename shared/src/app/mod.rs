//! Use cases and HTTP routers.

pub mod answering;
pub mod complaint_media;
pub mod complaint_worker;
pub mod content_cache;
pub mod content_import;
pub mod lambda;
pub mod local;
pub mod scheduler;
pub mod sender;
pub mod simulator;
pub mod tasks;
pub mod webhook;
pub mod worker;
