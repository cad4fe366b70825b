//! The operator API: one axum router under `/api`, served by `lambda_http` behind the API
//! Gateway HTTP API and by `prolink serve` on the local port.

use std::sync::Arc;

use crate::content_cache::ContentSource;
use crate::ports::{
    AlertBoard, AuditLog, BlobEraser, BlobStore, BroadcastStore, CitizenData, CitizenStore, Clock,
    ComplaintStore, ContentRevisions, ConversationLog, DedupStore, OperatorSignals, Queue,
    SessionStore, SettingsStore, StatsCounters, UserDirectory,
};
use crate::sender::ReliableSender;

mod admin;
pub mod auth;
mod broadcasts;
mod citizens;
pub mod complaints;
mod content;
pub mod conversations;
pub mod error;
pub mod extract;
mod lapor;
mod open_data;
mod routes;
mod stats;
mod trail;
mod unanswered;
pub mod views;

pub use admin::OPERATOR_CONTACTS_KEY;
pub use error::{ApiError, ApiResult};
pub use open_data::PUBLIC_PATHS;
pub use routes::{router, routes, RouteDef, MAX_BODY_BYTES};
pub use trail::audit_id;

/// The caller's address as the deployment saw it (API Gateway's `sourceIp`, the local socket's
/// peer), put into each request's extensions by the deployment; the audit trail records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIp(pub String);

/// Settings of the API read from the environment.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// `PROLINK_AUDIT_RETENTION_DAYS` (default 730).
    pub audit_retention_days: i64,
    /// Requests one user may make per minute per process (`PROLINK_API_REQUESTS_PER_MINUTE`,
    /// default [`extract::REQUESTS_PER_MINUTE`]).
    pub requests_per_minute: u32,
}

/// Everything the routes use; each deployment fills it with its adapters.
#[derive(Clone)]
pub struct ApiState {
    pub auth: Arc<dyn auth::Authenticator>,
    pub complaints: Arc<dyn ComplaintStore>,
    /// The complaint tasks queue: a status change queues the citizen's notification here.
    pub tasks: Arc<dyn Queue>,
    pub content: Arc<ContentSource>,
    /// The content changes made through the API; the newest number is the content's version.
    pub content_revisions: Arc<dyn ContentRevisions>,
    pub citizens: Arc<dyn CitizenStore>,
    pub users: Arc<dyn UserDirectory>,
    pub audit: Arc<dyn AuditLog>,
    pub alerts: Arc<dyn AlertBoard>,
    pub settings: Arc<dyn SettingsStore>,
    pub blobs: Arc<dyn BlobStore>,
    /// The statistics counters (`/api/stats`, reports, `/public/stats`).
    pub stats: Arc<dyn StatsCounters>,
    pub clock: Arc<dyn Clock>,
    pub config: ApiConfig,
    /// The message log and conversation summaries.
    pub conversations: Arc<dyn ConversationLog>,
    /// Dialog sessions (an operator's hand-back ends the session's handoff).
    pub sessions: Arc<dyn SessionStore>,
    /// The same reliable sender as the bot's (outbox, retries), logging what it sends.
    pub sender: Arc<ReliableSender>,
    /// The questions the bot could not answer (`/api/unanswered`).
    pub signals: Arc<dyn OperatorSignals>,
    /// Expiring marks: an unanswered question resolved or dismissed is marked here until
    /// the question itself expires.
    pub marks: Arc<dyn DedupStore>,
    /// Official broadcasts and the opted-in citizens they reach.
    pub broadcasts: Arc<dyn BroadcastStore>,
    /// Citizens' data rights: erasure, tombstones, the citizens' erasure requests.
    pub citizen_data: Arc<dyn CitizenData>,
    /// Deletes an erased citizen's photo files (the same bucket or folder as `blobs`).
    pub blob_eraser: Arc<dyn BlobEraser>,
    /// The SP4N-LAPOR! outbox and its mode.
    pub lapor: crate::lapor::LaporLink,
}
