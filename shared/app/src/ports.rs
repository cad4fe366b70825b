//! The I/O boundary. Domain and app code only see these traits; adapters (SQLite, DynamoDB,
//! SQS, Graph API, simulator outbox) implement them. Each trait is capability-sized so that a
//! Lambda only needs the adapters it really touches.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use prolink_domain::nlp::rephrase::{RephraseError, Rephrased, SourcePassage};

/// Failure of an adapter. `Conflict` is a lost conditional write (optimistic concurrency or
/// an idempotency mark that already exists); everything else is infrastructure trouble that
/// the caller may retry.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    #[error("conditional write lost: {0}")]
    Conflict(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("backend unavailable: {0}")]
    Backend(String),
}

impl PortError {
    pub fn backend(error: impl std::fmt::Display) -> Self {
        PortError::Backend(error.to_string())
    }
}

pub type PortResult<T> = Result<T, PortError>;

/// Wall clock in Unix milliseconds. Injected so tests (and the simulator's time travel) can
/// move time without sleeping.
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> i64;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }
}

// ---------------------------------------------------------------------------------------------
// Queues
// ---------------------------------------------------------------------------------------------

/// A message to enqueue with SQS FIFO semantics: messages of one `group_id` are delivered in
/// order, one in-flight batch per group at a time; a second message with the same `dedup_id`
/// inside the deduplication window is accepted but not delivered again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMessage {
    /// ≤ 128 characters of `[A-Za-z0-9!-~]` (SQS rule).
    pub group_id: String,
    /// ≤ 128 characters of `[A-Za-z0-9!-~]` (SQS rule).
    pub dedup_id: String,
    pub body: String,
}

/// A message handed to a consumer. `receipt` identifies this delivery (SQS receipt handle);
/// `message_id` identifies the message across deliveries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub message_id: String,
    pub receipt: String,
    pub group_id: String,
    pub dedup_id: String,
    pub body: String,
    /// How many times this message has been received, this delivery included (≥ 1).
    pub receive_count: u32,
}

/// A FIFO queue with a dead-letter queue behind it. On AWS the Lambda event source mapping
/// does `receive`/`delete`; the methods are still implemented by the SQS adapter for the
/// conformance suite and for tools.
#[async_trait]
pub trait Queue: Send + Sync {
    /// Enqueues all messages or fails; a failure means the caller must not acknowledge the
    /// source (the webhook answers 500 so Meta retries). Deduplicated messages count as sent.
    async fn send_batch(&self, messages: &[OutgoingMessage]) -> PortResult<()>;

    /// Receives up to `max` visible messages, hiding them for `visibility`. A message whose
    /// receive count would exceed the queue's `max_receives` moves to the dead-letter queue
    /// instead of being delivered.
    async fn receive(&self, max: usize, visibility: Duration) -> PortResult<Vec<Delivery>>;

    /// Acknowledges a delivery: the message is gone for good.
    async fn delete(&self, receipt: &str) -> PortResult<()>;

    /// Changes the remaining invisibility of a delivery (zero: redeliver at once).
    async fn change_visibility(&self, receipt: &str, visibility: Duration) -> PortResult<()>;

    /// Peeks at up to `max` messages of the dead-letter queue (for operators and tests).
    async fn dead_letters(&self, max: usize) -> PortResult<Vec<Delivery>>;

    /// Gives back a delivery that was never attempted (held behind a failed item of its
    /// group): visible again at once and, where the queue can, without counting the receive,
    /// so it does not follow a poison item into the dead-letter queue. SQS cannot uncount a
    /// receive; the default only makes it visible again.
    async fn release_unattempted(&self, receipt: &str) -> PortResult<()> {
        self.change_visibility(receipt, Duration::ZERO).await
    }
}

// ---------------------------------------------------------------------------------------------
// Stores
// ---------------------------------------------------------------------------------------------

/// Idempotency marks: "this key has been fully processed". Marks expire after `expires_at_ms`
/// (≥ 7 days, as Meta retries deliveries for 7 days).
#[async_trait]
pub trait DedupStore: Send + Sync {
    /// True when an unexpired mark exists.
    async fn is_marked(&self, key: &str) -> PortResult<bool>;
    /// Conditional insert: `Ok(true)` when this call created the mark, `Ok(false)` when an
    /// unexpired mark already existed (an expired one is replaced).
    async fn mark(&self, key: &str, expires_at_ms: i64) -> PortResult<bool>;
}

/// A webhook body as received, kept for audits and for payloads we could not parse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawInbound {
    /// Unique per POST (uuid).
    pub id: String,
    pub received_at_ms: i64,
    /// "queued", "ignored", "unparsable" …
    pub outcome: String,
    pub body: String,
    pub expires_at_ms: i64,
}

#[async_trait]
pub trait RawInboundLog: Send + Sync {
    async fn record(&self, raw: &RawInbound) -> PortResult<()>;
    /// Newest first, unexpired only.
    async fn recent(&self, limit: usize) -> PortResult<Vec<RawInbound>>;
}

/// A delivery status of one outbound message as reported by Meta.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRecord {
    pub wamid: String,
    /// sent, delivered, read, failed, played …
    pub status: String,
    pub timestamp: i64,
    pub recipient: Option<String>,
    /// Our outbox id echoed back through `biz_opaque_callback_data`.
    pub outbox_id: Option<String>,
    pub error_code: Option<i64>,
    pub expires_at_ms: i64,
}

#[async_trait]
pub trait StatusLog: Send + Sync {
    /// Idempotent on (wamid, status).
    async fn record_status(&self, status: &StatusRecord) -> PortResult<()>;
    /// All statuses of one wamid, in the order sent < delivered < read < others.
    async fn statuses_of(&self, wamid: &str) -> PortResult<Vec<StatusRecord>>;
}

// ---------------------------------------------------------------------------------------------
// Messaging
// ---------------------------------------------------------------------------------------------

/// One outbound message: the exact JSON body of `POST /{phone-number-id}/messages`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboundMessage {
    /// Deterministic id (derived from the inbound wamid and the reply's position), so a
    /// redelivered inbound message cannot produce a second copy; sent to Meta as
    /// `biz_opaque_callback_data`.
    pub outbox_id: String,
    pub body: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendReceipt {
    /// The wamid Meta (or the simulator) assigned.
    pub wamid: String,
    /// False when the outbox already held this id and nothing was sent again.
    pub newly_sent: bool,
}

/// Why a send failed, decided by Meta's `error.code` rather than the HTTP status.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// Worth retrying later (throttling, temporary downtime, connection errors).
    #[error("temporary send failure (code {code:?}): {message}")]
    Retryable { code: Option<i64>, message: String },
    /// The request may or may not have reached Meta (5xx, timeout after sending).
    #[error("ambiguous send failure: {message}")]
    Ambiguous { message: String },
    /// Outside the 24-hour customer service window (131047).
    #[error("outside the 24-hour window")]
    OutsideWindow,
    /// Token or account problem (0, 190, 368 …): stop and alert an operator.
    #[error("credentials or account problem (code {code}): {message}")]
    Fatal { code: i64, message: String },
    /// Any other Meta error: recorded, not retried.
    #[error("rejected by Meta (code {code}): {message}")]
    Rejected { code: i64, message: String },
    /// Our own builder refused the message (limits).
    #[error("invalid message: {0}")]
    Invalid(String),
}

#[async_trait]
pub trait Messenger: Send + Sync {
    async fn send(&self, message: &OutboundMessage) -> Result<SendReceipt, SendError>;
}

/// The simulator outbox: every message the bot "sent" while no Graph credentials are set.
#[async_trait]
pub trait OutboxReader: Send + Sync {
    /// Messages whose `to` or `recipient` equals `user`, oldest first.
    async fn messages_for(&self, user: &str) -> PortResult<Vec<RecordedMessage>>;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedMessage {
    pub outbox_id: String,
    pub wamid: String,
    pub recorded_at_ms: i64,
    pub body: serde_json::Value,
}

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

/// The WhatsApp credentials. Locally from `WHATSAPP_*` variables (or generated on first run);
/// on AWS from one Secrets Manager secret, re-read after a refresh interval so a rotation needs
/// no redeploy. Never logged: `Debug` is redacted.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct WhatsAppSecrets {
    pub app_secret: String,
    /// Accepted next to `app_secret` while a rotation is under way.
    #[serde(default)]
    pub app_secret_previous: Option<String>,
    pub verify_token: String,
    #[serde(default)]
    pub access_token: Option<String>,
}

impl std::fmt::Debug for WhatsAppSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsAppSecrets")
            .field("app_secret", &"<redacted>")
            .field(
                "app_secret_previous",
                &self.app_secret_previous.as_ref().map(|_| "<redacted>"),
            )
            .field("verify_token", &"<redacted>")
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

#[async_trait]
pub trait SecretsProvider: Send + Sync {
    async fn whatsapp(&self) -> PortResult<WhatsAppSecrets>;
}

/// Secrets fixed for the life of the process (local mode, tests).
#[derive(Debug, Clone)]
pub struct StaticSecrets(pub WhatsAppSecrets);

#[async_trait]
impl SecretsProvider for StaticSecrets {
    async fn whatsapp(&self) -> PortResult<WhatsAppSecrets> {
        Ok(self.0.clone())
    }
}

// ---------------------------------------------------------------------------------------------
// Conversation (the conversation issue): content, citizens, sessions, outbox, operator signals
// ---------------------------------------------------------------------------------------------

/// The imported seed content (FAQ, services, categories, OPDs, topics, holidays, menus).
#[async_trait]
pub trait ContentStore: Send + Sync {
    /// The current bundle, or `None` when nothing was ever imported.
    async fn load_content(&self) -> PortResult<Option<prolink_domain::content::ContentBundle>>;
    /// Replaces the whole bundle atomically: readers see the old or the new one, never a mix.
    async fn replace_content(
        &self,
        bundle: &prolink_domain::content::ContentBundle,
    ) -> PortResult<()>;
}

pub use prolink_domain::citizen::CitizenProfile;

#[async_trait]
pub trait CitizenStore: Send + Sync {
    async fn get_citizen(&self, key: &str) -> PortResult<Option<CitizenProfile>>;
    /// Conditional write: `profile.version` must equal the stored version (0 = must not
    /// exist yet); on success the stored version is `profile.version + 1`, which is returned.
    /// A lost race is `PortError::Conflict`.
    async fn put_citizen(&self, profile: &CitizenProfile) -> PortResult<u64>;
    /// The canonical key an identifier (wa_id, user id, old key) points to.
    async fn resolve_alias(&self, identifier: &str) -> PortResult<Option<String>>;
    /// Points `identifier` at `key` (overwrites an older pointer).
    async fn put_alias(&self, identifier: &str, key: &str) -> PortResult<()>;
}

/// The dialog session of one citizen: opaque JSON owned by the dialog engine, with a TTL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSession {
    pub key: String,
    pub data: String,
    /// Optimistic concurrency, as for citizens (0 = does not exist yet).
    pub version: u64,
    pub expires_at_ms: i64,
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// `None` when absent or expired.
    async fn load_session(&self, key: &str) -> PortResult<Option<StoredSession>>;
    /// Conditional on `session.version` as for citizens (an expired session counts as
    /// absent); returns the new version. A lost race is `PortError::Conflict`.
    async fn save_session(&self, session: &StoredSession) -> PortResult<u64>;
    async fn delete_session(&self, key: &str) -> PortResult<()>;
}

/// Where an outbound message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Recorded, not yet accepted by Meta.
    Pending,
    /// Meta accepted it (we have a wamid) or reported `sent`.
    Sent,
    Delivered,
    Read,
    /// Meta reported a failure; see `last_error_code`.
    Failed,
    /// Given up: outside the 24-hour window without a fitting template, or rejected.
    Undeliverable,
}

impl OutboxState {
    /// Delivery states only move forward (statuses arrive out of order).
    pub fn rank(self) -> u8 {
        match self {
            OutboxState::Pending => 0,
            OutboxState::Sent => 1,
            OutboxState::Delivered => 2,
            OutboxState::Read => 3,
            OutboxState::Failed => 4,
            OutboxState::Undeliverable => 5,
        }
    }
}

/// An outbound message as recorded before it is sent (`outbox_id` travels to Meta as
/// `biz_opaque_callback_data` and comes back on every status).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxRecord {
    pub outbox_id: String,
    pub citizen_key: String,
    pub body: serde_json::Value,
    pub state: OutboxState,
    #[serde(default)]
    pub wamid: Option<String>,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub last_error_code: Option<i64>,
    #[serde(default)]
    pub last_error: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub expires_at_ms: i64,
}

#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Conditional insert: `Ok(false)` when the id already exists (nothing changed).
    async fn create_outbox(&self, record: &OutboxRecord) -> PortResult<bool>;
    async fn get_outbox(&self, outbox_id: &str) -> PortResult<Option<OutboxRecord>>;
    /// Unconditional overwrite of the record (callers read-modify-write per outbox id, and
    /// one outbox id is only ever handled by the worker of its citizen's FIFO group).
    async fn put_outbox(&self, record: &OutboxRecord) -> PortResult<()>;
}

/// A question the bot could not answer, for the content team (text already PII-masked).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnansweredQuestion {
    pub id: String,
    pub citizen_key: String,
    pub text: String,
    /// Best candidate ids with their scores, for triage.
    #[serde(default)]
    pub candidates: Vec<(String, f64)>,
    pub asked_ms: i64,
    pub expires_at_ms: i64,
}

/// Something an operator must look at (token expired, account restricted, outdated holiday
/// table, a citizen waiting for a human …). Shown on the dashboard in a later issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorAlert {
    /// Deterministic where the cause is (so a retried message raises it once).
    pub id: String,
    /// "graph_token", "graph_account", "handoff", "calendar" …
    pub kind: String,
    /// Operator-facing text in Indonesian.
    pub message: String,
    #[serde(default)]
    pub citizen_key: Option<String>,
    pub raised_ms: i64,
    /// The OPD it concerns (a complaint's OPD); `None` for Diskominfo's own alerts. OPD users
    /// see only their OPD's alerts.
    #[serde(default)]
    pub opd_id: Option<String>,
}

#[async_trait]
pub trait OperatorSignals: Send + Sync {
    async fn record_unanswered(&self, question: &UnansweredQuestion) -> PortResult<()>;
    /// Newest first.
    async fn recent_unanswered(&self, limit: usize) -> PortResult<Vec<UnansweredQuestion>>;
    /// Idempotent on `alert.id`.
    async fn raise_alert(&self, alert: &OperatorAlert) -> PortResult<()>;
    /// Newest first.
    async fn recent_alerts(&self, limit: usize) -> PortResult<Vec<OperatorAlert>>;
}

// ---------------------------------------------------------------------------------------------
// Complaints
// ---------------------------------------------------------------------------------------------

/// One page of a list; pass `next` back as `after` to continue.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Opaque cursor; `None` on the last page.
    pub next: Option<String>,
}

/// How much of a list to read: at most `limit` items after the cursor of a previous page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageRequest {
    pub limit: usize,
    pub after: Option<String>,
}

/// Which complaints a list asks for. Every field narrows; the store picks the index.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ComplaintQuery {
    pub status: Option<prolink_domain::complaint::Status>,
    pub opd_id: Option<String>,
    /// Received at or after this instant (Unix ms).
    pub received_from_ms: Option<i64>,
    /// Received before this instant (Unix ms, exclusive).
    pub received_to_ms: Option<i64>,
}

/// Complaints with their whole timeline (one record per ticket, `docs/data-model.md`).
#[async_trait]
pub trait ComplaintStore: Send + Sync {
    /// Conditional insert on the ticket (`complaint.version` must be 0). `Ok(None)` when it
    /// was created (stored version 1); `Ok(Some(existing))` when the ticket already exists,
    /// whoever wrote it: nothing changed.
    async fn create_complaint(
        &self,
        complaint: &prolink_domain::complaint::Complaint,
    ) -> PortResult<Option<prolink_domain::complaint::Complaint>>;
    /// Consistent read; the ticket as stored (`PS-XXXXXX`).
    async fn get_complaint(
        &self,
        ticket: &str,
    ) -> PortResult<Option<prolink_domain::complaint::Complaint>>;
    /// Conditional write: `complaint.version` must equal the stored version; the stored
    /// version becomes `complaint.version + 1`, which is returned. A lost race is
    /// `PortError::Conflict`, an unknown ticket `PortError::NotFound`.
    async fn update_complaint(
        &self,
        complaint: &prolink_domain::complaint::Complaint,
    ) -> PortResult<u64>;
    /// A citizen's complaints (by canonical citizen key), newest first.
    async fn complaints_of_citizen(
        &self,
        citizen_key: &str,
        limit: usize,
    ) -> PortResult<Vec<prolink_domain::complaint::Complaint>>;
    /// Complaints currently in `status`, newest first.
    async fn complaints_by_status(
        &self,
        status: prolink_domain::complaint::Status,
        page: &PageRequest,
    ) -> PortResult<Page<prolink_domain::complaint::Complaint>>;
    /// Complaints of one OPD (any status), newest first.
    async fn complaints_by_opd(
        &self,
        opd_id: &str,
        page: &PageRequest,
    ) -> PortResult<Page<prolink_domain::complaint::Complaint>>;
    /// Complaints matching `query`, newest first (by `received_ms`, then ticket), read from
    /// an index: OPD and status together, one of them, or every complaint. Never a scan.
    async fn list_complaints(
        &self,
        query: &ComplaintQuery,
        page: &PageRequest,
    ) -> PortResult<Page<prolink_domain::complaint::Complaint>>;
    /// Open complaints with `next_due_ms <= due_before_ms`, earliest due first.
    async fn complaints_due(
        &self,
        due_before_ms: i64,
        limit: usize,
    ) -> PortResult<Vec<prolink_domain::complaint::Complaint>>;
}

// ---------------------------------------------------------------------------------------------
// Media
// ---------------------------------------------------------------------------------------------

/// A file a citizen sent, downloaded from WhatsApp and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedMedia {
    pub bytes: Vec<u8>,
    pub mime_type: String,
    /// Lower-case hex SHA-256 of `bytes` (verified against Meta's value when it gave one).
    pub sha256_hex: String,
}

/// Why a media download did not give a usable file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// Meta no longer has it (ids live 7 days) or never had it: asking again will not help.
    #[error("media no longer available: {0}")]
    Gone(String),
    /// The file breaks a rule (type, size, hash): asking again will not help.
    #[error("media rejected: {0}")]
    Rejected(String),
    /// Network trouble, throttling, an expired token …: retry later.
    #[error("media download failed: {0}")]
    Transient(String),
}

/// Downloads what citizens sent (Graph API media endpoints; the simulator's copy locally).
#[async_trait]
pub trait MediaSource: Send + Sync {
    /// GET the media id for a fresh URL (valid 5 minutes), GET the file with the bearer
    /// token, check type and size against WhatsApp's documented image limits and the hash
    /// against `expected_sha256` (base64 or hex) when given.
    async fn fetch(
        &self,
        media_id: &str,
        expected_sha256: Option<&str>,
    ) -> Result<FetchedMedia, MediaError>;
}

/// Private file storage (S3 bucket with SSE on AWS, a folder locally).
/// Longest key accepted (S3 allows 1024 bytes; ours are ~50).
pub const MAX_KEY_BYTES: usize = 512;

/// Checks a blob key: `/`-separated segments of `[A-Za-z0-9._-]`, none empty, `.` or `..`;
/// so no absolute path, no backslash, no traversal, and nothing a URL must escape.
pub fn validate_key(key: &str) -> PortResult<()> {
    let invalid = |why: &str| Err(PortError::Invalid(format!("blob key {key:?}: {why}")));
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        return invalid("must be 1..=512 bytes");
    }
    if key.starts_with('/') || key.contains('\\') {
        return invalid("absolute paths and backslashes are not allowed");
    }
    for segment in key.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return invalid("empty, '.' and '..' segments are not allowed");
        }
        if !segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            return invalid("only letters, digits, '.', '_', '-' and '/' are allowed");
        }
    }
    Ok(())
}

#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Idempotent: writing the same key again replaces it.
    async fn put_blob(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> PortResult<()>;
    /// The bytes and content type, `None` when absent.
    async fn get_blob(&self, key: &str) -> PortResult<Option<(Vec<u8>, String)>>;
    /// A URL that lets its holder read `key` for `ttl` only (S3 presigned GET; a signed
    /// local URL), for operators' dashboards.
    async fn presign_get(&self, key: &str, ttl: Duration) -> PortResult<String>;
}

impl From<prolink_whatsapp::outbound::BuildError> for SendError {
    fn from(error: prolink_whatsapp::outbound::BuildError) -> Self {
        SendError::Invalid(error.to_string())
    }
}

// ---------------------------------------------------------------------------------------------
// Optional generative step
// ---------------------------------------------------------------------------------------------

/// The LLM port. The adapter sends [`prolink_domain::nlp::rephrase::converse_prompt`] to Bedrock Converse and parses the
/// cited ids; tests use a fake.
#[async_trait]
pub trait Rephraser: Send + Sync {
    async fn rephrase(
        &self,
        question: &str,
        passages: &[SourcePassage],
    ) -> Result<Rephrased, RephraseError>;
}

// ---------------------------------------------------------------------------------------------
// Answering
// ---------------------------------------------------------------------------------------------

/// What the dialog needs to know about a free-text message, asked before the turn so the
/// dialog itself stays a pure function of what it is given. The NLP engine implements it;
/// tests use fixed answers.
pub trait Answerer: Send + Sync {
    fn answer(&self, text: &str) -> prolink_domain::dialog::Answered;

    /// Builds now whatever the answerer would otherwise build at the first message that
    /// needs it (the engine's classifier), so that no message waits for it.
    fn prepare(&self) {}

    /// The terms the answerer matches `text` on, sorted and unique (grouping similar
    /// unanswered questions); by default the lowercase words.
    fn terms(&self, text: &str) -> Vec<String> {
        let mut words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        words.sort();
        words.dedup();
        words
    }
}

impl Answerer for prolink_domain::nlp::Engine {
    fn answer(&self, text: &str) -> prolink_domain::dialog::Answered {
        prolink_domain::nlp::Engine::answer(self, text).into()
    }

    fn prepare(&self) {
        self.prepare_classifier();
    }

    fn terms(&self, text: &str) -> Vec<String> {
        prolink_domain::nlp::Engine::terms(self, text)
    }
}

// ---------------------------------------------------------------------------------------------
// Operators: users, audit trail, alert board, settings
// ---------------------------------------------------------------------------------------------

pub use prolink_domain::operator::Role;

/// An operator account as the table keeps it (keyed by username). On AWS Cognito holds the
/// password and the group; the table still holds the role and the OPD, which the API reads
/// (cached) so no pre-token trigger is needed. Locally the table is the whole account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// 3..=64 characters of `[a-z0-9._-]`, lower case.
    pub username: String,
    pub role: Role,
    /// Required for `opd`, absent for every other role.
    #[serde(default)]
    pub opd_id: Option<String>,
    /// argon2id PHC string; only the local issuer keeps passwords.
    #[serde(default)]
    pub password_hash: Option<String>,
    #[serde(default)]
    pub disabled: bool,
    /// Failed sign-ins (Unix ms) inside the lockout window, oldest first.
    #[serde(default)]
    pub failed_logins: Vec<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// Optimistic concurrency as for citizens (0 = does not exist yet).
    #[serde(default)]
    pub version: u64,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("username", &self.username)
            .field("role", &self.role)
            .field("opd_id", &self.opd_id)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "<redacted>"),
            )
            .field("disabled", &self.disabled)
            .field("failed_logins", &self.failed_logins.len())
            .field("version", &self.version)
            .finish()
    }
}

#[async_trait]
pub trait UserStore: Send + Sync {
    async fn get_user(&self, username: &str) -> PortResult<Option<UserRecord>>;
    /// Conditional on `user.version` as for citizens; returns the new version. A lost race
    /// (or creating a name that exists) is `PortError::Conflict`.
    async fn put_user(&self, user: &UserRecord) -> PortResult<u64>;
    /// Every user, by username ascending.
    async fn list_users(&self, page: &PageRequest) -> PortResult<Page<UserRecord>>;
}

/// One line of the audit trail: who did or read what, when, from where. Append-only: no
/// port method updates or deletes one (expiry by `expires_at_ms` is the store's TTL).
/// Citizens are named by their opaque id, never by phone number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Unique and time-ordered (`<13-digit ms>-<uuid>`).
    pub id: String,
    pub at_ms: i64,
    /// Username, or the name tried for a failed sign-in.
    pub actor: String,
    /// The actor's role (`admin` …), `-` when unknown (failed sign-in).
    pub role: String,
    /// `complaint.read`, `complaint.transition`, `auth.login_failed` …
    pub action: String,
    /// Ticket, username, alert id, citizen id … the record is about.
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub ip: Option<String>,
    /// Short operator-readable detail (`diterima → diverifikasi`); never personal data.
    #[serde(default)]
    pub detail: Option<String>,
    pub expires_at_ms: i64,
}

/// Filters of the audit trail; both may be given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub subject: Option<String>,
}

#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Idempotent on `record.id`; an existing record is never changed.
    async fn append_audit(&self, record: &AuditRecord) -> PortResult<()>;
    /// Newest first, unexpired only, from an index per actor / per subject (or the whole
    /// trail by time).
    async fn query_audit(
        &self,
        query: &AuditQuery,
        page: &PageRequest,
    ) -> PortResult<Page<AuditRecord>>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    Open,
    Resolved,
}

/// An alert with its state, as the dashboard lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRecord {
    #[serde(flatten)]
    pub alert: OperatorAlert,
    pub state: AlertState,
    #[serde(default)]
    pub resolved_ms: Option<i64>,
    #[serde(default)]
    pub resolved_by: Option<String>,
}

/// The alerts raised through [`OperatorSignals::raise_alert`], by state.
#[async_trait]
pub trait AlertBoard: Send + Sync {
    /// Newest first; `opd_id` narrows to one OPD's alerts.
    async fn list_alerts(
        &self,
        state: AlertState,
        opd_id: Option<&str>,
        page: &PageRequest,
    ) -> PortResult<Page<AlertRecord>>;
    async fn get_alert(&self, id: &str) -> PortResult<Option<AlertRecord>>;
    /// Marks an open alert resolved; resolving a resolved one changes nothing and returns
    /// it as it is. `None` for an unknown id.
    async fn resolve_alert(
        &self,
        id: &str,
        by: &str,
        at_ms: i64,
    ) -> PortResult<Option<AlertRecord>>;
}

/// A named setting (`operator_contacts` …) as JSON, with optimistic concurrency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredSetting {
    pub key: String,
    pub value: serde_json::Value,
    pub updated_ms: i64,
    pub updated_by: String,
    /// 0 = does not exist yet.
    pub version: u64,
}

#[async_trait]
pub trait SettingsStore: Send + Sync {
    async fn get_setting(&self, key: &str) -> PortResult<Option<StoredSetting>>;
    /// Conditional on `setting.version`; returns the new version.
    async fn put_setting(&self, setting: &StoredSetting) -> PortResult<u64>;
}

/// A user to create. Locally `password` becomes the argon2id hash; on AWS it is Cognito's
/// temporary password (the user sets their own at first sign-in).
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct NewUser {
    pub username: String,
    pub role: Role,
    #[serde(default)]
    pub opd_id: Option<String>,
    pub password: String,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("role", &self.role)
            .field("opd_id", &self.opd_id)
            .finish_non_exhaustive()
    }
}

/// A change to a user; absent fields stay as they are.
#[derive(Clone, PartialEq, Eq, Default, Deserialize)]
pub struct UserPatch {
    #[serde(default)]
    pub role: Option<Role>,
    /// `Some(None)` removes the OPD (`"opd_id": null`).
    #[serde(default, with = "double_option")]
    pub opd_id: Option<Option<String>>,
    #[serde(default)]
    pub disabled: Option<bool>,
    /// A password reset.
    #[serde(default)]
    pub password: Option<String>,
}

impl std::fmt::Debug for UserPatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserPatch")
            .field("role", &self.role)
            .field("opd_id", &self.opd_id)
            .field("disabled", &self.disabled)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// `null` and absent are different for a patch: serde's default would merge them.
mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

/// Operator accounts behind one port: the local table (argon2id passwords) at home, the
/// Cognito user pool plus the table (role, OPD) on AWS. Validation (names, role and OPD
/// combinations, password strength) happens before, in the API.
#[async_trait]
pub trait UserDirectory: Send + Sync {
    async fn list_users(&self, page: &PageRequest) -> PortResult<Page<UserRecord>>;
    /// `PortError::Conflict` when the name is taken.
    async fn create_user(&self, user: &NewUser, at_ms: i64) -> PortResult<UserRecord>;
    /// `PortError::NotFound` for an unknown name.
    async fn update_user(
        &self,
        username: &str,
        patch: &UserPatch,
        at_ms: i64,
    ) -> PortResult<UserRecord>;
}

// ---------------------------------------------------------------------------------------------
// Statistics counters
// ---------------------------------------------------------------------------------------------

/// One counter of one WIB day, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCounter {
    /// `yyyy-mm-dd` (WIB).
    pub day: String,
    /// `msg_in`, `cmp_opened#opd#dishub` … (`docs/data-model.md`).
    pub counter: String,
    pub value: i64,
}

/// One addition to one counter of one WIB day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterAdd {
    /// `yyyy-mm-dd` (WIB).
    pub day: String,
    pub counter: String,
    pub delta: i64,
}

/// Counters kept incrementally as events happen (one small write per event), read back per
/// day range, never by scanning. `crate::stats` names the counters and the events.
#[async_trait]
pub trait StatsCounters: Send + Sync {
    /// Applies every addition of `event_id` once: `Ok(true)` when this call counted them,
    /// `Ok(false)` when the event had already been counted (a redelivery); the mark and the
    /// additions are written together or not at all. At most
    /// [`crate::stats::MAX_ADDS_PER_EVENT`] additions; the same (day, counter) twice is
    /// summed (`PortError::Invalid` for empty ids, malformed days or counters).
    async fn add(&self, event_id: &str, adds: &[CounterAdd]) -> PortResult<bool>;
    /// [`add`](Self::add) for each event, in order, one result per event: each event is
    /// counted once and on its own (an invalid or failing event costs only itself). A store
    /// that can write several events in one transaction overrides it: a message's counts
    /// (four events in, two out) are then one commit instead of six.
    async fn add_each(&self, events: &[crate::stats::EventCounts]) -> Vec<PortResult<bool>> {
        crate::stats::add_one_at_a_time(self, events).await
    }
    /// Every counter of the days `from_day ..= to_day` (at most
    /// [`crate::stats::MAX_READ_DAYS`] days), by day, then counter.
    async fn read_counters(&self, from_day: &str, to_day: &str) -> PortResult<Vec<DayCounter>>;
}

// ---------------------------------------------------------------------------------------------
// Content revisions (the content part of the operator API)
// ---------------------------------------------------------------------------------------------

/// What a content revision did to the live bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentAction {
    Create,
    Update,
    Retire,
    Restore,
}

impl ContentAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentAction::Create => "create",
            ContentAction::Update => "update",
            ContentAction::Retire => "retire",
            ContentAction::Restore => "restore",
        }
    }
}

/// Who changed what in a revision, without the bundle (what lists show).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionSummary {
    /// 1, 2, 3 … in the order the changes were made; the API's `version` of the content.
    pub number: u64,
    pub at_ms: i64,
    pub actor: String,
    pub action: ContentAction,
    /// `faq`, `services` … (the API's kind); `None` for a restore.
    #[serde(default)]
    pub kind: Option<String>,
    /// The entry's id (a holiday's date); `None` for a restore.
    #[serde(default)]
    pub entry_id: Option<String>,
    /// The revision a restore brought back.
    #[serde(default)]
    pub restored_from: Option<u64>,
}

/// One revision: the summary and the whole bundle as it was live after the change, so any
/// revision can be restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentRevision {
    pub summary: RevisionSummary,
    pub bundle: prolink_domain::content::ContentBundle,
}

/// The history of content changes made through the operator API. Append-only.
#[async_trait]
pub trait ContentRevisions: Send + Sync {
    /// Conditional insert on `summary.number` (≥ 1): `PortError::Conflict` when a revision
    /// with that number exists — two operators changing the same version, one wins.
    async fn append_revision(&self, revision: &ContentRevision) -> PortResult<()>;
    /// Newest first; `next` is the cursor of the following (older) page.
    async fn list_revisions(&self, page: &PageRequest) -> PortResult<Page<RevisionSummary>>;
    async fn get_revision(&self, number: u64) -> PortResult<Option<ContentRevision>>;
}

// ---------------------------------------------------------------------------------------------
// Conversations: the message log per citizen and one summary per conversation
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

/// One message of a conversation as the log keeps it: what the person saw, not the wire
/// body. Keyed by (citizen, `at_ms`, `id`); `id` is the wamid of an inbound message and the
/// outbox id of an outbound one, so a redelivery writes the same entry again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedMessage {
    pub citizen_key: String,
    pub id: String,
    pub at_ms: i64,
    pub direction: Direction,
    /// The operator (username) who wrote an outbound message; `None` for the citizen and the
    /// bot.
    #[serde(default)]
    pub actor: Option<String>,
    /// `text`, `interactive`, `button`, `image`, `document`, `location`, `template` …
    pub kind: String,
    #[serde(default)]
    pub text: Option<String>,
    /// The choices as shown (button and row titles) or the one the citizen tapped.
    #[serde(default)]
    pub choices: Vec<String>,
    /// WhatsApp media id (inbound) or link (outbound) — a reference, never the file.
    #[serde(default)]
    pub media_ref: Option<String>,
    /// Delivery state of an outbound message (the outbox record's).
    #[serde(default)]
    pub delivery: Option<OutboxState>,
    pub expires_at_ms: i64,
}

/// One conversation (one per citizen): who, whether an operator has it, since when the
/// citizen waits. No TTL: kept like the profile (its `id` must stay stable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ConversationSummary {
    pub citizen_key: String,
    /// Opaque, random, never derived from the phone number; names the citizen in URLs.
    pub id: String,
    /// The WhatsApp profile name.
    #[serde(default)]
    pub name: Option<String>,
    /// The citizen's phone number (WhatsApp id), when known.
    #[serde(default)]
    pub phone: Option<String>,
    /// Set while the dialog session is in handoff (from the session's `since_ms`/`until_ms`).
    #[serde(default)]
    pub handoff_since_ms: Option<i64>,
    #[serde(default)]
    pub handoff_until_ms: Option<i64>,
    /// The first citizen message (or the handoff request) no operator answered yet; `None`
    /// once an operator replied, or outside a handoff.
    #[serde(default)]
    pub waiting_since_ms: Option<i64>,
    /// The `waiting_since_ms` the no-reply alert was raised for.
    #[serde(default)]
    pub alerted_for_ms: Option<i64>,
    #[serde(default)]
    pub claimed_by: Option<String>,
    #[serde(default)]
    pub claimed_ms: Option<i64>,
    #[serde(default)]
    pub last_operator_reply_ms: Option<i64>,
    pub last_message_ms: i64,
    #[serde(default)]
    pub last_inbound_ms: Option<i64>,
    /// Optimistic concurrency as for citizens (0 = does not exist yet).
    #[serde(default)]
    pub version: u64,
}

impl ConversationSummary {
    /// A handoff that has not lapsed at `now_ms`.
    pub fn in_handoff(&self, now_ms: i64) -> bool {
        self.handoff_since_ms.is_some() && self.handoff_until_ms.is_some_and(|u| now_ms < u)
    }
}

/// Which conversations a list asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationFilter {
    /// In handoff: waiting ones first, oldest waiting first; then answered ones, oldest
    /// handoff first (index `handoff`).
    Handoff,
    /// Every conversation, last message newest first (index `recent`).
    Recent,
}

#[async_trait]
pub trait ConversationLog: Send + Sync {
    /// Idempotent on (citizen, `at_ms`, `id`): `Ok(false)` when the entry exists (unchanged).
    async fn append_message(&self, message: &LoggedMessage) -> PortResult<bool>;
    /// The delivery state of an existing, live entry; `Ok(false)` when there is none.
    async fn set_delivery(
        &self,
        citizen_key: &str,
        at_ms: i64,
        id: &str,
        state: OutboxState,
    ) -> PortResult<bool>;
    /// A citizen's live messages, newest first.
    async fn messages_of(
        &self,
        citizen_key: &str,
        page: &PageRequest,
    ) -> PortResult<Page<LoggedMessage>>;
    /// Consistent read by citizen key.
    async fn get_conversation(&self, citizen_key: &str) -> PortResult<Option<ConversationSummary>>;
    /// By opaque id (an index: eventually consistent on DynamoDB).
    async fn conversation_by_id(&self, id: &str) -> PortResult<Option<ConversationSummary>>;
    /// Conditional on `summary.version` (0 = must not exist); returns the new version. A lost
    /// race is `PortError::Conflict`.
    async fn put_conversation(&self, summary: &ConversationSummary) -> PortResult<u64>;
    async fn list_conversations(
        &self,
        filter: ConversationFilter,
        page: &PageRequest,
    ) -> PortResult<Page<ConversationSummary>>;
}

// ---------------------------------------------------------------------------------------------
// Retention (UU 27/2022 PDP)
// ---------------------------------------------------------------------------------------------

/// What outlived its retention, found through indexes and removed (`docs/data-model.md`,
/// "Retention"): final complaints by the time they were closed, resolved alerts by the time
/// they were resolved.
#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// Final complaints closed before `closed_before_ms` (`complaint_rules::closed_ms`),
    /// earliest closed first. Open complaints are never listed.
    async fn complaints_closed_before(
        &self,
        closed_before_ms: i64,
        limit: usize,
    ) -> PortResult<Vec<prolink_domain::complaint::Complaint>>;
    /// Deletes the complaint (its item or row, and with it every index entry) only while its
    /// stored version is `version`: a change since the read wins. `Ok(false)` when it changed
    /// or is gone.
    async fn delete_complaint(&self, ticket: &str, version: u64) -> PortResult<bool>;
    /// Resolved alerts resolved before `resolved_before_ms`, earliest raised first.
    async fn alerts_resolved_before(
        &self,
        resolved_before_ms: i64,
        limit: usize,
    ) -> PortResult<Vec<AlertRecord>>;
    /// Deletes an alert in any state; deleting nothing is fine.
    async fn delete_alert(&self, id: &str) -> PortResult<()>;
}

// ---------------------------------------------------------------------------------------------
// Citizens' data rights (UU 27/2022): erasure, its tombstones, the citizens' requests
// ---------------------------------------------------------------------------------------------

/// What an erasure removed or changed, per kind (`messages`, `complaints_redacted` …): the
/// API's `removed`.
pub type ErasureCounts = std::collections::BTreeMap<String, u64>;

/// One erasure for a store to carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureOrder {
    /// The canonical citizen key (often the phone number itself).
    pub citizen_key: String,
    /// The conversation's opaque id: the citizen's erasure request is closed under it.
    pub citizen_id: String,
    /// Every form of the identity to search for, and the anonymous key complaints keep.
    pub identity: prolink_domain::erasure::ErasedIdentity,
    /// Hashes of the identifiers (`crate::citizen_rights::identifier_hash`), one tombstone
    /// each: queued work and late webhooks for the number are dropped on sight.
    pub tombstones: Vec<String>,
    pub erased_at_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErasureRequestState {
    /// Waiting for an admin.
    Menunggu,
    /// The citizen was erased.
    Selesai,
}

/// A citizen's "HAPUS DATA SAYA", waiting for an admin to confirm it. Keyed by the opaque
/// citizen id, so asking again does not add a second one. Never holds the phone number; the
/// name goes when the request is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureRequest {
    pub citizen_id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub requested_ms: i64,
    pub state: ErasureRequestState,
    #[serde(default)]
    pub done_ms: Option<i64>,
}

/// Everything a store does for the right to erasure. Export needs no method of its own: the
/// other ports read a citizen's data by key already.
#[async_trait]
pub trait CitizenData: Send + Sync {
    /// Removes what this store holds about the citizen: profile, aliases, session, message
    /// log, conversation summary, outbox and delivery-status records, unanswered questions,
    /// alerts naming them, statistics marks derived from the key, their part of raw webhook
    /// payloads, queued items still waiting (where the queue is in the store); anonymises
    /// their complaints ([`prolink_domain::erasure::anonymise_complaint`]); writes the
    /// tombstones and closes the erasure request. Repeatable: a second run finds nothing.
    async fn erase_citizen(&self, order: &ErasureOrder) -> PortResult<ErasureCounts>;
    /// When the identifier with this hash was erased; `None` when it never was (or the
    /// citizen has come back since).
    async fn erased_at(&self, identifier_hash: &str) -> PortResult<Option<i64>>;
    /// The citizen wrote again after the erasure: a new, consenting conversation starts.
    async fn lift_erasure(&self, identifier_hash: &str) -> PortResult<()>;
    /// Conditional insert keyed by `request.citizen_id`: `Ok(false)` when one is already
    /// waiting (nothing changed). A done request is replaced by the new one.
    async fn request_erasure(&self, request: &ErasureRequest) -> PortResult<bool>;
    /// Newest first; the cursor is opaque.
    async fn list_erasure_requests(&self, page: &PageRequest) -> PortResult<Page<ErasureRequest>>;
}

/// Deleting stored files (a citizen's complaint photos on erasure, a purged complaint's photos
/// after its retention). Apart from [`BlobStore`] so that only the functions that erase need
/// the permission (`s3:DeleteObject`).
#[async_trait]
pub trait BlobEraser: Send + Sync {
    /// Idempotent: deleting an absent key is fine.
    async fn delete_blob(&self, key: &str) -> PortResult<()>;
}

// ---------------------------------------------------------------------------------------------
// Broadcasts (issue #19)
// ---------------------------------------------------------------------------------------------

/// Where a broadcast is in its life. `draft → scheduled → sending → done`; `cancelled` by an
/// operator before it finished; `stopped` by the sender (template paused or disabled, the
/// number's quality dropping) with an operator alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BroadcastState {
    Draft,
    Scheduled,
    Sending,
    Done,
    Cancelled,
    Stopped,
}

impl BroadcastState {
    pub fn as_str(self) -> &'static str {
        match self {
            BroadcastState::Draft => "draft",
            BroadcastState::Scheduled => "scheduled",
            BroadcastState::Sending => "sending",
            BroadcastState::Done => "done",
            BroadcastState::Cancelled => "cancelled",
            BroadcastState::Stopped => "stopped",
        }
    }

    /// Scheduled or sending: the scheduler still has work for it.
    pub fn is_active(self) -> bool {
        matches!(self, BroadcastState::Scheduled | BroadcastState::Sending)
    }
}

/// The approved template a broadcast sends, with its positional parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BroadcastTemplate {
    pub name: String,
    pub language: String,
    /// The body's `{{1}}`, `{{2}}` … values, in order.
    #[serde(default)]
    pub parameters: Vec<String>,
    /// The text header's `{{1}}` value, if the template has one.
    #[serde(default)]
    pub header_parameters: Vec<String>,
}

/// Who receives a broadcast: every opted-in citizen, or those subscribed to one of `topics`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct BroadcastAudience {
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub topics: Vec<String>,
}

impl BroadcastAudience {
    /// Whether a citizen belongs to it: opted in, and (unless `all`) subscribed to one of its
    /// topics. Read at send time, so an opt-out before the send wins.
    pub fn includes(&self, citizen: &CitizenProfile) -> bool {
        citizen.broadcast_opt_in
            && (self.all || citizen.topics.iter().any(|t| self.topics.contains(t)))
    }
}

/// One broadcast as stored. Holds no citizen's phone number or key: the send position is a
/// subscriber cursor (`BroadcastStore::subscribers`), which is opaque and never a phone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BroadcastRecord {
    /// `bc-` and 20 lower-case hex digits.
    pub id: String,
    pub name: String,
    pub template: BroadcastTemplate,
    pub audience: BroadcastAudience,
    /// When to send (`None`: as soon as it is scheduled).
    #[serde(default)]
    pub send_at_ms: Option<i64>,
    /// Sent in the quiet hours too (admin only).
    #[serde(default)]
    pub urgent: bool,
    pub state: BroadcastState,
    /// Recipients counted when it was created (and again when scheduled).
    pub audience_size: u64,
    /// Recipients of the audience handled so far (sent, resumed or failed).
    #[serde(default)]
    pub progress: u64,
    /// The subscriber cursor after the last one handled; `None` before the first.
    #[serde(default)]
    pub cursor: Option<String>,
    /// When the scheduler should next look at it; set only while scheduled or sending (the
    /// due index holds exactly those).
    #[serde(default)]
    pub next_run_ms: Option<i64>,
    /// Why it stopped (Indonesian, for operators).
    #[serde(default)]
    pub stop_reason: Option<String>,
    pub created_by: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    #[serde(default)]
    pub started_ms: Option<i64>,
    #[serde(default)]
    pub finished_ms: Option<i64>,
    /// Optimistic concurrency as for citizens (0 = does not exist yet).
    #[serde(default)]
    pub version: u64,
}

/// One opted-in citizen as the sender reads it, with the opaque cursor that follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    pub cursor: String,
    pub profile: CitizenProfile,
}

#[async_trait]
pub trait BroadcastStore: Send + Sync {
    /// Conditional on `broadcast.version` (0 = must not exist); returns the new version. A
    /// lost race is `PortError::Conflict`.
    async fn put_broadcast(&self, broadcast: &BroadcastRecord) -> PortResult<u64>;
    async fn get_broadcast(&self, id: &str) -> PortResult<Option<BroadcastRecord>>;
    /// Newest first (by `created_ms`, then id); the cursor is opaque.
    async fn list_broadcasts(&self, page: &PageRequest) -> PortResult<Page<BroadcastRecord>>;
    /// Scheduled or sending broadcasts with `next_run_ms <= due_before_ms`, earliest first.
    async fn broadcasts_due(
        &self,
        due_before_ms: i64,
        limit: usize,
    ) -> PortResult<Vec<BroadcastRecord>>;
    /// Opted-in citizens (`broadcast_opt_in`) after `after` (a cursor from this method), in a
    /// stable order that puts citizens who opt in later at the end. Never a table scan.
    async fn subscribers(&self, after: Option<&str>, limit: usize) -> PortResult<Vec<Subscriber>>;
}

// ---------------------------------------------------------------------------------------------
// WhatsApp templates as Meta knows them
// ---------------------------------------------------------------------------------------------

/// One message template as Graph's template endpoint lists it
/// (`GET /{waba-id}/message_templates?fields=name,language,status,category`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TemplateReport {
    pub name: String,
    pub language: String,
    /// `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED` …
    pub status: String,
    #[serde(default)]
    pub category: String,
}

/// The templates of the WhatsApp Business Account. The `message_template_status_update`
/// webhook reports changes; this port reads the whole list, so statuses Meta set before the
/// webhook was subscribed (or a missed delivery) are known too.
#[async_trait]
pub trait TemplateDirectory: Send + Sync {
    async fn list_templates(&self) -> PortResult<Vec<TemplateReport>>;
}

// ---------------------------------------------------------------------------------------------
// SP4N-LAPOR! (issue #23): the outbox of reports for the national complaint system
// ---------------------------------------------------------------------------------------------

/// Where a complaint's LAPOR report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LaporTaskState {
    /// Not yet at LAPOR: posted on the tick (API mode) or copied by hand (manual mode).
    Pending,
    /// LAPOR holds the report (its tracking id is known); its status is pulled on the tick.
    Linked,
    /// Given up after the last failed attempt (or a refusal): an operator alert was raised,
    /// and the complaint page shows it. An operator may retry it or copy it by hand.
    Parked,
}

/// One complaint's LAPOR sync task, keyed by its ticket (a complaint has at most one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaporTask {
    pub ticket: String,
    /// The reporter's key when the task was made, so the citizen erasure finds the task; the
    /// erasure puts the anonymous key here and sets `anonymised`.
    pub citizen_key: String,
    pub state: LaporTaskState,
    /// Sent with every create and looked up before a retry: a retried create never makes a
    /// second LAPOR report.
    pub idempotency_key: String,
    #[serde(default)]
    pub lapor_id: Option<String>,
    /// Failed attempts since the last success.
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub last_error: Option<String>,
    /// When the tick acts on it next (post again while pending, pull the status while
    /// linked); `None` while parked.
    #[serde(default)]
    pub next_run_ms: Option<i64>,
    /// LAPOR's status as last read.
    #[serde(default)]
    pub remote_status: Option<prolink_domain::lapor::RemoteStatus>,
    /// When LAPOR received the report (starts its verification clock).
    #[serde(default)]
    pub sent_ms: Option<i64>,
    /// `kategori` (the category forwards every complaint) or the operator who chose it.
    pub requested_by: String,
    /// The citizen was erased: the report goes (or went) without any identity.
    #[serde(default)]
    pub anonymised: bool,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// Optimistic concurrency (0 = does not exist yet).
    #[serde(default)]
    pub version: u64,
}

#[async_trait]
pub trait LaporStore: Send + Sync {
    /// Conditional on `task.version` (0 = must not exist); returns the new version. A lost
    /// race is `PortError::Conflict`.
    async fn put_lapor_task(&self, task: &LaporTask) -> PortResult<u64>;
    async fn get_lapor_task(&self, ticket: &str) -> PortResult<Option<LaporTask>>;
    /// Tasks with `next_run_ms <= due_before_ms`, earliest first. Never a table scan.
    async fn lapor_tasks_due(&self, due_before_ms: i64, limit: usize)
        -> PortResult<Vec<LaporTask>>;
}

/// What the adapter posts: the form (never an identity) and, only for a complaint whose
/// reporter did not choose anonymity, who reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LaporSubmission {
    pub idempotency_key: String,
    pub ticket: String,
    pub form: prolink_domain::lapor::LaporForm,
    pub reporter: Option<prolink_domain::lapor::Reporter>,
}

/// LAPOR's view of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaporRemote {
    pub status: prolink_domain::lapor::RemoteStatus,
    /// The institution's latest answer there, if any.
    pub answer: Option<String>,
}

/// Why a LAPOR call failed. `Unavailable` and `Malformed` are retried (a malformed answer to
/// a create may hide a report that was made: the retry looks it up first); `Rejected` is not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LaporError {
    #[error("SP4N-LAPOR! tidak dapat dihubungi: {0}")]
    Unavailable(String),
    #[error("jawaban SP4N-LAPOR! tidak dapat dibaca: {0}")]
    Malformed(String),
    #[error("SP4N-LAPOR! menolak laporan: {0}")]
    Rejected(String),
}

/// LAPOR's integration API, as far as we use it.
#[async_trait]
pub trait LaporGateway: Send + Sync {
    /// The tracking id of the report made with this idempotency key, if one was made.
    async fn find(&self, idempotency_key: &str) -> Result<Option<String>, LaporError>;
    /// Makes the report; returns its tracking id.
    async fn create(&self, submission: &LaporSubmission) -> Result<String, LaporError>;
    async fn status(&self, lapor_id: &str) -> Result<LaporRemote, LaporError>;
}

/// Where LAPOR's API token comes from: the same secret as the WhatsApp credentials (its
/// `lapor_token` field) on AWS, the local secrets file or `LAPOR_TOKEN` locally. Never logged.
#[async_trait]
pub trait LaporTokenSource: Send + Sync {
    /// `None` when no token is configured (the adapter then sends no `Authorization`).
    async fn lapor_token(&self) -> PortResult<Option<String>>;
}

/// A token fixed for the life of the process (local mode, tests).
#[derive(Clone)]
pub struct StaticLaporToken(pub Option<String>);

impl std::fmt::Debug for StaticLaporToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StaticLaporToken(<redacted>)")
    }
}

#[async_trait]
impl LaporTokenSource for StaticLaporToken {
    async fn lapor_token(&self) -> PortResult<Option<String>> {
        Ok(self.0.clone())
    }
}
