//! Configuration names, read the same way in every mode. Every environment variable the
//! project reads is named here, so the template check can prove each Lambda gets all of its
//! variables.

pub const WHATSAPP_APP_SECRET: &str = "WHATSAPP_APP_SECRET";
pub const WHATSAPP_APP_SECRET_PREVIOUS: &str = "WHATSAPP_APP_SECRET_PREVIOUS";
pub const WHATSAPP_VERIFY_TOKEN: &str = "WHATSAPP_VERIFY_TOKEN";
pub const WHATSAPP_ACCESS_TOKEN: &str = "WHATSAPP_ACCESS_TOKEN";
pub const WHATSAPP_PHONE_NUMBER_ID: &str = "WHATSAPP_PHONE_NUMBER_ID";
pub const WHATSAPP_API_VERSION: &str = "WHATSAPP_API_VERSION";
pub const WHATSAPP_GRAPH_URL: &str = "WHATSAPP_GRAPH_URL";
/// WhatsApp Business Account id: where the broadcast templates are listed (optional).
pub const WHATSAPP_BUSINESS_ACCOUNT_ID: &str = "WHATSAPP_BUSINESS_ACCOUNT_ID";
/// AWS only: ARN of the Secrets Manager secret holding the WhatsApp credentials as JSON.
pub const WHATSAPP_SECRET_ARN: &str = "WHATSAPP_SECRET_ARN";
pub const PROLINK_DATA_DIR: &str = "PROLINK_DATA_DIR";
/// AWS only: the single DynamoDB table.
pub const PROLINK_TABLE: &str = "PROLINK_TABLE";
/// AWS only: URL of the inbound FIFO queue.
pub const PROLINK_INBOUND_QUEUE_URL: &str = "PROLINK_INBOUND_QUEUE_URL";
/// AWS only: URL of the inbound queue's dead-letter queue, where the dialog worker parks a
/// poison item itself (see `prolink_aws::lambda::Parking`).
pub const PROLINK_INBOUND_DLQ_URL: &str = "PROLINK_INBOUND_DLQ_URL";
/// AWS only: URL of the complaint tasks queue (standard SQS).
pub const PROLINK_TASKS_QUEUE_URL: &str = "PROLINK_TASKS_QUEUE_URL";
/// AWS only: the private bucket for complaint photos.
pub const PROLINK_MEDIA_BUCKET: &str = "PROLINK_MEDIA_BUCKET";
/// JSON object of operators' WhatsApp numbers: `{"<opd_id>": ["62…"], "supervisor": […],
/// "pimpinan": […]}`. Only the first-start seed of the dashboard's `operator_contacts` setting,
/// used while no admin has saved it (see `operator_contacts`). Local mode only: the Lambda
/// functions never read it (the numbers stay out of the function configuration).
pub const PROLINK_OPERATOR_CONTACTS: &str = "PROLINK_OPERATOR_CONTACTS";
/// Days raw inbound payloads and status records are kept (UU 27/2022: no longer than needed).
pub const PROLINK_RETENTION_DAYS: &str = "PROLINK_RETENTION_DAYS";

/// Whether FAQ/service entries still marked `"verified": false` are answered (with a note)
/// or replaced by a referral to the responsible OPD. On by default locally, off in production.
pub const PROLINK_SHOW_UNVERIFIED: &str = "PROLINK_SHOW_UNVERIFIED";
/// Dialog worker only: the Bedrock model id or inference profile that rewords FAQ answers
/// (the optional generative step). Unset or empty: off, every answer is sent as written.
pub const PROLINK_REPHRASE_MODEL_ID: &str = "PROLINK_REPHRASE_MODEL_ID";
/// Days audit records are kept (default [`DEFAULT_AUDIT_RETENTION_DAYS`]).
pub const PROLINK_AUDIT_RETENTION_DAYS: &str = "PROLINK_AUDIT_RETENTION_DAYS";
/// Days a complaint (with its photos and alerts) is kept after it was closed, i.e. reached a
/// final status (default [`DEFAULT_COMPLAINT_RETENTION_DAYS`]); resolved alerts are kept as
/// long after their resolution.
pub const PROLINK_COMPLAINT_RETENTION_DAYS: &str = "PROLINK_COMPLAINT_RETENTION_DAYS";
/// Requests one operator may make per minute (per Lambda instance or `serve` process).
pub const PROLINK_API_REQUESTS_PER_MINUTE: &str = "PROLINK_API_REQUESTS_PER_MINUTE";
/// API on AWS only: the Cognito user pool whose access tokens sign operators in.
pub const PROLINK_USER_POOL_ID: &str = "PROLINK_USER_POOL_ID";
/// API on AWS only: the dashboard's app client id (the `client_id` claim of access tokens).
pub const PROLINK_USER_POOL_CLIENT_ID: &str = "PROLINK_USER_POOL_CLIENT_ID";

/// Minutes a handoff may wait for an operator's reply before an alert is raised (default 15).
pub const PROLINK_HANDOFF_ALERT_MINUTES: &str = "PROLINK_HANDOFF_ALERT_MINUTES";

pub const DEFAULT_API_VERSION: &str = "v25.0";
pub const DEFAULT_GRAPH_URL: &str = "https://graph.facebook.com";
pub const DEFAULT_RETENTION_DAYS: i64 = 90;
/// Two years: long enough for an inspectorate's yearly audit and the one before it.
pub const DEFAULT_AUDIT_RETENTION_DAYS: i64 = 730;
/// Five years after closing (365 × 5 + 1 leap day).
pub const DEFAULT_COMPLAINT_RETENTION_DAYS: i64 = 1826;
/// Meta retries a webhook for up to 7 days, so an idempotency mark must outlive that.
pub const DEDUP_TTL_DAYS: i64 = 8;
/// Receives of a complaint task before the queue dead-letters it (template redrive policy
/// and the local queue alike): enough for a night's deferral plus retries.
pub const TASKS_MAX_RECEIVES: u32 = 8;

/// The environment variables each Lambda function reads (checked against template.yaml).
pub fn lambda_environment(function: &str) -> &'static [&'static str] {
    match function {
        "webhook" => &[
            WHATSAPP_SECRET_ARN,
            PROLINK_TABLE,
            PROLINK_INBOUND_QUEUE_URL,
            PROLINK_RETENTION_DAYS,
        ],
        "dialog-worker" => &[
            WHATSAPP_SECRET_ARN,
            WHATSAPP_PHONE_NUMBER_ID,
            WHATSAPP_API_VERSION,
            WHATSAPP_GRAPH_URL,
            PROLINK_TABLE,
            PROLINK_TASKS_QUEUE_URL,
            PROLINK_INBOUND_DLQ_URL,
            PROLINK_RETENTION_DAYS,
            PROLINK_SHOW_UNVERIFIED,
            PROLINK_REPHRASE_MODEL_ID,
        ],
        "complaint-worker" => &[
            WHATSAPP_SECRET_ARN,
            WHATSAPP_PHONE_NUMBER_ID,
            WHATSAPP_API_VERSION,
            WHATSAPP_GRAPH_URL,
            PROLINK_TABLE,
            PROLINK_TASKS_QUEUE_URL,
            PROLINK_MEDIA_BUCKET,
            PROLINK_RETENTION_DAYS,
        ],
        "scheduler" => &[
            WHATSAPP_SECRET_ARN,
            WHATSAPP_PHONE_NUMBER_ID,
            WHATSAPP_API_VERSION,
            WHATSAPP_GRAPH_URL,
            PROLINK_TABLE,
            PROLINK_TASKS_QUEUE_URL,
            PROLINK_RETENTION_DAYS,
            PROLINK_HANDOFF_ALERT_MINUTES,
            PROLINK_MEDIA_BUCKET,
            PROLINK_COMPLAINT_RETENTION_DAYS,
            crate::lapor_http::PROLINK_LAPOR_BASE_URL,
        ],
        "api" => &[
            WHATSAPP_SECRET_ARN,
            WHATSAPP_PHONE_NUMBER_ID,
            WHATSAPP_API_VERSION,
            WHATSAPP_GRAPH_URL,
            PROLINK_RETENTION_DAYS,
            PROLINK_TABLE,
            PROLINK_TASKS_QUEUE_URL,
            PROLINK_MEDIA_BUCKET,
            PROLINK_AUDIT_RETENTION_DAYS,
            PROLINK_API_REQUESTS_PER_MINUTE,
            PROLINK_USER_POOL_ID,
            PROLINK_USER_POOL_CLIENT_ID,
            crate::lapor_http::PROLINK_LAPOR_BASE_URL,
        ],
        _ => &[],
    }
}

/// Reads an optional variable, treating an empty value as unset.
pub fn env_opt(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// Retention in days from `PROLINK_RETENTION_DAYS`, falling back to the default on absent or
/// unreadable values (a typo must not make the bot keep data forever or drop it at once).
pub fn retention_days() -> i64 {
    env_opt(PROLINK_RETENTION_DAYS)
        .and_then(|value| value.trim().parse::<i64>().ok())
        .filter(|days| (1..=3650).contains(days))
        .unwrap_or(DEFAULT_RETENTION_DAYS)
}

/// `PROLINK_AUDIT_RETENTION_DAYS`, 30 days to 10 years; anything else keeps the default.
pub fn audit_retention_days() -> i64 {
    env_opt(PROLINK_AUDIT_RETENTION_DAYS)
        .and_then(|value| value.trim().parse::<i64>().ok())
        .filter(|days| (30..=3650).contains(days))
        .unwrap_or(DEFAULT_AUDIT_RETENTION_DAYS)
}

/// `PROLINK_COMPLAINT_RETENTION_DAYS`, 1 to 10 years; anything else keeps the default. The
/// lower bound is deliberate: a typo ("5" meant as years) must not erase the city's
/// complaints after five days.
pub fn complaint_retention_days() -> i64 {
    env_opt(PROLINK_COMPLAINT_RETENTION_DAYS)
        .and_then(|value| value.trim().parse::<i64>().ok())
        .filter(|days| (365..=3653).contains(days))
        .unwrap_or(DEFAULT_COMPLAINT_RETENTION_DAYS)
}

/// `PROLINK_HANDOFF_ALERT_MINUTES` in milliseconds, 1 minute to 24 hours; anything else keeps
/// the default.
pub fn handoff_alert_after_ms() -> i64 {
    env_opt(PROLINK_HANDOFF_ALERT_MINUTES)
        .and_then(|value| value.trim().parse::<i64>().ok())
        .filter(|minutes| (1..=1440).contains(minutes))
        .unwrap_or(crate::conversations::DEFAULT_HANDOFF_ALERT_MINUTES)
        * 60_000
}

/// `PROLINK_API_REQUESTS_PER_MINUTE`, at least 10; anything else keeps the API's default.
pub fn api_requests_per_minute() -> u32 {
    env_opt(PROLINK_API_REQUESTS_PER_MINUTE)
        .and_then(|value| value.trim().parse::<u32>().ok())
        .filter(|limit| *limit >= 10)
        .unwrap_or(crate::api::extract::REQUESTS_PER_MINUTE)
}

/// Reads a yes/no setting; anything unreadable keeps the default (and is logged).
pub fn flag(name: &str, default: bool) -> bool {
    match env_opt(name).map(|value| value.trim().to_ascii_lowercase()) {
        None => default,
        Some(value) => match value.as_str() {
            "1" | "true" | "yes" | "on" | "ya" => true,
            "0" | "false" | "no" | "off" | "tidak" => false,
            _ => {
                tracing::warn!(name, "unreadable yes/no setting; keeping the default");
                default
            }
        },
    }
}
