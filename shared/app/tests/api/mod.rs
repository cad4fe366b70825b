//! The operator API (`prolink_app::api`) driven through its router, on the local app's
//! SQLite store and tasks queue, with the complaint worker sending to the simulator outbox.

mod harness;

mod access;
mod changes;
mod conversations;
mod hostile;
mod listing;
mod openapi;
