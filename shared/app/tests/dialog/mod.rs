//! The dialog engine against the real seed content, one module per feature, all driven by
//! [`chat::Chat`] with a clock that is a plain number.

mod answers;
mod chat;
mod complaint_form;
mod duplicates;
mod emergencies;
mod fits_whatsapp;
mod follow_up;
mod handoff;
mod input_types;
mod menus;
mod subscriptions;
mod tracking;

pub(crate) use chat::{citizen, list_tap, message, text};
