//! PROLINK SAKTI's rules, with no I/O: it never reads a file, a clock or the network. The
//! caller passes the time in and stores, sends and logs what comes out.
//!
//! - [`complaint`]: lifecycle, SLA clocks, duplicates, ratings, the notices a change causes.
//! - [`calendar`]: working days in WIB minus holidays and cuti bersama.
//! - [`dialog`]: one conversation turn, from a [`dialog::Input`] to replies and effects.
//! - [`nlp`]: the answering engine.
//! - [`content`]: the content model and its validation.
//! - [`channel`]: the shapes and limits of the messages the dialog renders.
//! - [`citizen`]: who a citizen is (keys, profile, consent).
//! - [`operator`]: the roles of the people who work on complaints.
//! - [`lapor`]: the hand-off to SP4N-LAPOR! (its form, its statuses, its clock).
//! - [`open_data`]: what a complaint may show in public (redaction, rounding, kecamatan).

pub mod calendar;
pub mod channel;
pub mod citizen;
pub mod complaint;
pub mod content;
pub mod dialog;
pub mod erasure;
pub mod lapor;
pub mod nlp;
pub mod open_data;
pub mod operator;
