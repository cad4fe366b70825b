//! The one integration-test binary of the `prolink` crate.
mod app;
mod aws;
mod conformance;
mod content;
mod graph;
mod lambda;
mod nlp;
mod template;
mod whatsapp;
