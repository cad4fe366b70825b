//! The sample events in `events/` through the real Lambda handlers: lambda_http's API Gateway
//! v2 parsing into the shared router, and an SQS batch through `handle_sqs_batch`. Stores are
//! SQLite here (the AWS adapters have their own suite on moto); what is under test is the
//! Lambda translation layer.

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use axum::body::Body;
use tower::ServiceExt;

use prolink_app::ports::{
    OutboxReader, Queue, StaticSecrets, StatusLog, SystemClock, WhatsAppSecrets,
};
use prolink_app::webhook_router::{router, WebhookState};
use prolink_app::worker::WorkerSettings;
use prolink_aws::lambda::handle_sqs_batch;
use prolink_embedded::sqlite::{SqliteDb, SqliteQueue, SqliteStore};

use crate::support::TestApp;

fn event(name: &str) -> String {
    let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn secrets() -> Arc<StaticSecrets> {
    Arc::new(StaticSecrets(WhatsAppSecrets {
        app_secret: "events-test-secret".into(),
        app_secret_previous: None,
        verify_token: "events-test-verify-token".into(),
        access_token: None,
    }))
}

/// The sample SQS batch with the message timestamp set to now, so the reply falls inside the
/// 24-hour window the message opened.
fn fresh_sqs_event() -> SqsEvent {
    let mut sqs: SqsEvent =
        serde_json::from_str(&event("sqs-inbound-batch.json")).expect("SQS event");
    let now = chrono::Utc::now().timestamp().to_string();
    for record in &mut sqs.records {
        let Some(body) = record.body.as_deref() else {
            continue;
        };
        let mut item: serde_json::Value = serde_json::from_str(body).expect("queue body");
        if item["item"] == "message" {
            item["message"]["timestamp"] = serde_json::Value::String(now.clone());
            record.body = Some(item.to_string());
        }
    }
    sqs
}

struct Webhook {
    router: axum::Router,
    queue: Arc<SqliteQueue>,
}

fn webhook() -> Webhook {
    let clock = Arc::new(SystemClock);
    let db = SqliteDb::open_in_memory().expect("db");
    let queue = Arc::new(SqliteQueue::new(db.clone(), "inbound", 5, clock.clone()));
    let router = router(Arc::new(WebhookState {
        queue: queue.clone(),
        raw_log: Arc::new(SqliteStore::new(db, clock.clone())),
        secrets: secrets(),
        clock,
        retention_days: 30,
        erasures: None,
    }));
    Webhook { router, queue }
}

/// Converts a lambda_http request (as the runtime hands it over) into the router's request.
async fn call(router: axum::Router, request: lambda_http::Request) -> (u16, Vec<u8>) {
    let (parts, body) = request.into_parts();
    let request = axum::http::Request::from_parts(parts, Body::from(body.to_vec()));
    let response = router.oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    (status, bytes.to_vec())
}

#[tokio::test]
async fn apigw_get_event_completes_the_handshake() {
    let webhook = webhook();
    let request =
        lambda_http::request::from_str(&event("apigw-webhook-get.json")).expect("v2 GET event");
    let (status, body) = call(webhook.router, request).await;
    assert_eq!(status, 200);
    assert_eq!(body, b"1158201444");
}

#[tokio::test]
async fn apigw_post_event_is_verified_and_queued() {
    let webhook = webhook();
    let request =
        lambda_http::request::from_str(&event("apigw-webhook-post.json")).expect("v2 POST event");
    let (status, _) = call(webhook.router.clone(), request).await;
    assert_eq!(status, 200);
    assert_eq!(webhook.queue.depth().await.expect("depth"), 1);

    // The same event with a tampered body is refused before anything is queued.
    let mut tampered: serde_json::Value =
        serde_json::from_str(&event("apigw-webhook-post.json")).expect("json");
    let body = tampered["body"]
        .as_str()
        .expect("body")
        .replace("Selamat", "Salamat");
    tampered["body"] = serde_json::Value::String(body);
    let request = lambda_http::request::from_str(&tampered.to_string()).expect("event");
    let (status, _) = call(webhook.router, request).await;
    assert_eq!(status, 401);
    assert_eq!(webhook.queue.depth().await.expect("depth"), 1);
}

#[tokio::test]
async fn sqs_event_runs_through_the_worker_with_partial_failures() {
    // The production send policy: the Lambda runs the worker as deployed.
    let harness = TestApp::builder()
        .settings(WorkerSettings::new(30, true))
        .build();
    let worker = harness.dialog_worker();
    let outbox = harness.simulator_outbox();
    let sqs = fresh_sqs_event();
    let records = sqs.records.len();
    assert!(records >= 2);

    let response = handle_sqs_batch(&worker, sqs.clone()).await;
    assert!(response.batch_item_failures.is_empty());
    let replies = outbox.messages_for("6281234567890").await.expect("outbox");
    assert_eq!(replies.len(), 1, "the text gets one reply, the status none");
    // Redelivery of the same batch changes nothing.
    let response = handle_sqs_batch(&worker, sqs.clone()).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(
        outbox
            .messages_for("6281234567890")
            .await
            .expect("outbox")
            .len(),
        1
    );

    // A poison record fails alone: the status after it belongs to another group.
    let mut poisoned = sqs;
    poisoned.records[0].body = Some("{not json".into());
    poisoned.records[0].message_id = Some("poison-1".into());
    if let Some(dedup) = poisoned.records[0]
        .attributes
        .get_mut("MessageDeduplicationId")
    {
        *dedup = "poison-1".into();
    }
    let response = handle_sqs_batch(&worker, poisoned.clone()).await;
    let failed: Vec<String> = response
        .batch_item_failures
        .iter()
        .map(|failure| failure.item_identifier.clone())
        .collect();
    assert_eq!(failed, ["poison-1"]);
}

#[tokio::test]
async fn sqs_status_record_is_stored() {
    let harness = TestApp::builder()
        .settings(WorkerSettings::new(30, true))
        .build();
    let worker = harness.dialog_worker();
    let sqs: SqsEvent = serde_json::from_str(&event("sqs-inbound-batch.json")).expect("SQS event");
    let status_wamid = sqs
        .records
        .iter()
        .filter_map(|record| record.body.as_deref())
        .filter_map(|body| serde_json::from_str::<serde_json::Value>(body).ok())
        .find(|item| item["item"] == "status")
        .and_then(|item| item["status"]["id"].as_str().map(str::to_string))
        .expect("the batch carries a status");
    assert!(handle_sqs_batch(&worker, sqs)
        .await
        .batch_item_failures
        .is_empty());
    let records = harness
        .app
        .store
        .statuses_of(&status_wamid)
        .await
        .expect("statuses");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].status, "delivered");
}

/// Accepts one token, as admin: what is under test is the Lambda layer, not the JWT check.
struct EventToken;

#[async_trait::async_trait]
impl prolink_app::api::auth::Authenticator for EventToken {
    async fn authenticate(
        &self,
        bearer_token: &str,
    ) -> Result<prolink_app::api::auth::Principal, prolink_app::api::auth::AuthError> {
        if bearer_token != "lambda-event-token" {
            return Err(prolink_app::api::auth::AuthError::Invalid(
                "not the event's token".into(),
            ));
        }
        Ok(prolink_app::api::auth::Principal {
            username: "petugas.diskominfo".into(),
            role: prolink_app::ports::Role::Admin,
            opd_id: None,
        })
    }
}

fn api_state(app: &TestApp) -> prolink_app::api::ApiState {
    let store = Arc::new(app.app.store.as_ref().clone());
    let clock: Arc<dyn prolink_app::ports::Clock> = Arc::new(SystemClock);
    let blobs = Arc::new(prolink_embedded::blob_local::LocalBlobStore::new(
        app.dir().join("lambda-api-blobs"),
        b"lambda-test-key".to_vec(),
        clock.clone(),
    ));
    prolink_app::api::ApiState {
        auth: Arc::new(EventToken),
        complaints: store.clone(),
        tasks: app.app.tasks.clone(),
        content: Arc::new(prolink_app::content_cache::ContentSource::new(
            store.clone(),
            prolink_app::content_cache::CONTENT_REFRESH,
        )),
        content_revisions: store.clone(),
        signals: store.clone(),
        marks: store.clone(),
        broadcasts: store.clone(),
        citizens: store.clone(),
        users: Arc::new(prolink_app::api::auth::LocalUserDirectory::new(
            store.clone(),
        )),
        audit: store.clone(),
        alerts: store.clone(),
        settings: store.clone(),
        stats: store.clone(),
        blobs: blobs.clone(),
        blob_eraser: blobs,
        citizen_data: store.clone(),
        clock,
        config: prolink_app::api::ApiConfig {
            audit_retention_days: 730,
            requests_per_minute: 300,
        },
        conversations: store.clone(),
        sessions: store.clone(),
        sender: app.app.api.sender.clone(),
        lapor: prolink_app::lapor::LaporLink::manual(store),
    }
}

/// The operator API's event through lambda_http into the router the Lambda serves: the
/// function verifies the bearer itself (the placeholder token of the event is refused even
/// though API Gateway's authorizer put claims beside it), and the audit trail records
/// API Gateway's `sourceIp`, not a header the client could forge.
#[tokio::test]
async fn apigw_api_event_is_verified_again_and_audited_with_the_source_ip() {
    use prolink_app::ports::{AuditLog, AuditQuery, PageRequest};

    let app = TestApp::new();
    let router = prolink_aws::lambda::api_router(api_state(&app));

    let request =
        lambda_http::request::from_str(&event("apigw-api-get-me.json")).expect("v2 API event");
    let (status, body) = call(router.clone(), request).await;
    assert_eq!(status, 401, "{}", String::from_utf8_lossy(&body));
    let error: serde_json::Value = serde_json::from_slice(&body).expect("a JSON error");
    assert_eq!(error["code"], "unauthenticated");

    let mut export: serde_json::Value =
        serde_json::from_str(&event("apigw-api-get-me.json")).expect("json");
    export["rawPath"] = "/api/complaints.csv".into();
    export["requestContext"]["http"]["path"] = "/api/complaints.csv".into();
    export["headers"]["authorization"] = "Bearer lambda-event-token".into();
    export["headers"]["x-forwarded-for"] = "10.9.8.7".into();
    let request = lambda_http::request::from_str(&export.to_string()).expect("event");
    let (status, body) = call(router, request).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(
        body.starts_with("\u{feff}".as_bytes()),
        "the CSV starts with a BOM"
    );

    let trail = app
        .app
        .store
        .query_audit(
            &AuditQuery {
                actor: Some("petugas.diskominfo".into()),
                subject: None,
            },
            &PageRequest {
                limit: 10,
                after: None,
            },
        )
        .await
        .expect("audit trail");
    let export = trail
        .items
        .iter()
        .find(|record| record.action == "complaint.export")
        .expect("the export is audited");
    assert_eq!(export.ip.as_deref(), Some("36.68.12.34"));
}

/// Issue #20 on SQS: a receive cannot be given back uncounted, so the poison item must leave
/// its group before its followers are received 5 times. From the 3rd receive on, a failing
/// item is parked: sent to the dead-letter queue by the worker, deleted from the inbound
/// queue (not reported as a failure) and an operator alert raised. Its held-back followers
/// are still reported, to come back behind it.
#[tokio::test]
async fn sqs_poison_item_is_parked_in_the_dead_letter_queue_after_three_receives() {
    let harness = TestApp::builder()
        .settings(WorkerSettings::new(30, true))
        .build();
    let worker = harness.dialog_worker();
    let dlq = Arc::new(SqliteQueue::new(
        harness.app.db.clone(),
        "inbound-dlq-test",
        5,
        Arc::new(SystemClock),
    ));
    let parking = prolink_aws::lambda::Parking {
        dead_letters: dlq.clone(),
        signals: harness.app.store.clone(),
        after_receives: prolink_aws::lambda::PARK_AFTER_RECEIVES,
    };
    let mut sqs = fresh_sqs_event();
    let group = sqs.records[0]
        .attributes
        .get("MessageGroupId")
        .cloned()
        .expect("group");
    sqs.records[0].body = Some("{not json".into());
    sqs.records[0].message_id = Some("poison-1".into());
    sqs.records[0]
        .attributes
        .insert("MessageDeduplicationId".into(), "poison-1".into());
    let mut follower = sqs.records[0].clone();
    follower.message_id = Some("follower-1".into());
    follower.body = fresh_sqs_event().records[0].body.clone();
    follower
        .attributes
        .insert("MessageDeduplicationId".into(), "follower-1".into());
    sqs.records.insert(1, follower);

    for receive in 1..=3u32 {
        for record in &mut sqs.records {
            record
                .attributes
                .insert("ApproximateReceiveCount".into(), receive.to_string());
        }
        let response =
            prolink_aws::lambda::handle_sqs_batch_parking(&worker, sqs.clone(), Some(&parking))
                .await;
        let failed: Vec<String> = response
            .batch_item_failures
            .iter()
            .map(|failure| failure.item_identifier.clone())
            .collect();
        if receive < 3 {
            assert_eq!(failed, ["poison-1", "follower-1"], "receive {receive}");
            assert!(dlq.dead_letters(10).await.expect("dlq").is_empty());
        } else {
            assert_eq!(failed, ["follower-1"], "the poison item left its group");
        }
    }
    // Parked: on the dead-letter queue, in its group, with its dedup id.
    let parked = dlq
        .receive(10, std::time::Duration::from_secs(30))
        .await
        .expect("dlq");
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].body, "{not json");
    assert_eq!(parked[0].group_id, group);
    let alerts = prolink_app::ports::OperatorSignals::recent_alerts(&*harness.app.store, 10)
        .await
        .expect("alerts");
    assert!(
        alerts.iter().any(|alert| alert.kind == "dead_letter"),
        "{alerts:?}"
    );
}
