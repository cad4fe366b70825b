//! The one integration-test binary of the `prolink` crate.
mod app;
mod aws;
mod complaint_tasks;
mod complaint_worker;
mod conformance;
mod content;
mod content_import;
mod dialog;
mod graph;
mod lambda;
mod media;
mod nlp;
mod notify;
mod sender;
mod simulator;
mod template;
mod whatsapp;
