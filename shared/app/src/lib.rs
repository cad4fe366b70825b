//! PROLINK SAKTI's application layer: the ports every adapter implements (all traits in
//! [`ports`]), the use cases (dialog worker, complaint worker, scheduler, sender, content
//! import, answering), the axum routers, and the Graph API client shared by both deployments.
//!
//! Depends on the domain and on the WhatsApp wire types; never on an adapter of a store.

pub mod answering;
pub mod api;
pub mod broadcast;
pub mod citizen_rights;
pub mod complaint_media;
pub mod complaint_rules;
pub mod complaint_worker;
pub mod config;
pub mod content_cache;
pub mod content_import;
pub mod conversation_rules;
pub mod conversations;
pub mod dialog_input;
pub mod graph;
pub mod graph_media;
pub mod graph_templates;
pub mod ids;
pub mod lapor;
pub mod lapor_http;
pub mod notifier;
pub mod operator_contacts;
pub mod operator_rules;
pub mod ports;
pub mod queue_body;
pub mod render;
pub mod rephrasing;
pub mod retention;
pub mod scheduler;
pub mod sender;
pub mod stats;
pub mod tasks;
pub mod webhook_item;
pub mod webhook_router;
pub mod worker;
