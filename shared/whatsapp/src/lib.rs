//! WhatsApp Cloud API: what Meta sends us and what we send to Meta.

pub mod outbound;
pub mod signature;
pub mod webhook;
