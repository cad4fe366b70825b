//! AWS adapters against a moto server. Start one with
//! `source tests/lib/moto.sh && moto_install && moto_start`; set `PROLINK_SKIP_AWS_TESTS=1` to
//! skip these tests on purpose.

use std::sync::Arc;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::types::AttributeValue;

use prolink_app::ports::{
    CitizenProfile, CitizenStore, ContentStore, DedupStore, OperatorSignals, OutboxRecord,
    OutboxState, OutboxStore, OutgoingMessage, PortError, Queue, RawInbound, RawInboundLog,
    SecretsProvider, SessionStore, StatusLog, StatusRecord, StoredSession, UnansweredQuestion,
    WhatsAppSecrets,
};
use prolink_aws::{
    create_fifo_queue_with_dlq, create_table, DynamoStore, SecretsManagerProvider, SqsQueue,
};

use prolink_app::ports::{ComplaintQuery, ComplaintStore, Page, PageRequest};
use prolink_domain::complaint::{Complaint, Status};
use prolink_embedded::sqlite::{SqliteDb, SqliteStore};

use crate::support::{seed, ManualClock};

const DAY_MS: i64 = 86_400_000;
/// 2026-03-02T10:00:00Z.
const T0: i64 = 1_772_445_600_000;

/// The moto endpoint, or `None` when the tests are skipped on purpose.
fn endpoint() -> Option<String> {
    if let Ok(endpoint) = std::env::var("PROLINK_TEST_AWS_ENDPOINT") {
        if !endpoint.is_empty() {
            return Some(endpoint);
        }
    }
    if std::env::var("PROLINK_SKIP_AWS_TESTS").as_deref() == Ok("1") {
        eprintln!("AWS adapter tests skipped (PROLINK_SKIP_AWS_TESTS=1)");
        return None;
    }
    panic!(
        "PROLINK_TEST_AWS_ENDPOINT is not set. To run the AWS adapter tests, start moto: \
         source tests/lib/moto.sh && moto_install && moto_start \
         (or set PROLINK_SKIP_AWS_TESTS=1 to skip them)"
    );
}

/// SDK configuration for moto; `None` when skipped.
pub(crate) async fn aws() -> Option<SdkConfig> {
    let endpoint = endpoint()?;
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "ap-southeast-3".to_owned());
    Some(
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(Region::new(region))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "test", "test", None, None, "moto",
            ))
            .load()
            .await,
    )
}

macro_rules! aws_or_skip {
    () => {
        match aws().await {
            Some(config) => config,
            None => return,
        }
    };
}

pub(crate) fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

// ---------------------------------------------------------------------------------------------
// DynamoDB
// ---------------------------------------------------------------------------------------------

async fn new_store(config: &SdkConfig, clock: Arc<ManualClock>) -> (DynamoStore, String) {
    let client = aws_sdk_dynamodb::Client::new(config);
    let table = unique("prolink-test");
    create_table(&client, &table).await.expect("create table");
    (DynamoStore::new(client, table.clone(), clock), table)
}

fn raw(id: &str, received_at_ms: i64, expires_at_ms: i64) -> RawInbound {
    RawInbound {
        id: id.to_owned(),
        received_at_ms,
        outcome: "queued".to_owned(),
        body: format!("{{\"id\":\"{id}\"}}"),
        expires_at_ms,
    }
}

fn status(wamid: &str, name: &str, timestamp: i64, expires_at_ms: i64) -> StatusRecord {
    StatusRecord {
        wamid: wamid.to_owned(),
        status: name.to_owned(),
        timestamp,
        recipient: Some("6281234567890".to_owned()),
        outbox_id: Some(format!("out-{wamid}")),
        error_code: (name == "failed").then_some(131_047),
        expires_at_ms,
    }
}

#[tokio::test]
async fn dynamo_table_has_the_documented_schema_and_ttl() {
    let config = aws_or_skip!();
    let clock = ManualClock::at(T0);
    let (store, table) = new_store(&config, clock).await;
    let client = aws_sdk_dynamodb::Client::new(&config);

    let described = client
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .expect("describe")
        .table
        .expect("table");
    let keys: Vec<(String, String)> = described
        .key_schema()
        .iter()
        .map(|k| {
            (
                k.attribute_name().to_owned(),
                k.key_type().as_str().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [("PK".into(), "HASH".into()), ("SK".into(), "RANGE".into())]
    );
    let mut gsis: Vec<(String, Vec<String>)> = described
        .global_secondary_indexes()
        .iter()
        .map(|g| {
            (
                g.index_name().unwrap_or_default().to_owned(),
                g.key_schema()
                    .iter()
                    .map(|k| format!("{}:{}", k.attribute_name(), k.key_type().as_str()))
                    .collect(),
            )
        })
        .collect();
    gsis.sort();
    let expected: Vec<(String, Vec<String>)> = (1..=6)
        .map(|i| {
            (
                format!("GSI{i}"),
                vec![format!("GSI{i}PK:HASH"), format!("GSI{i}SK:RANGE")],
            )
        })
        .collect();
    assert_eq!(gsis, expected);
    let ttl = client
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .expect("ttl")
        .time_to_live_description
        .expect("ttl description");
    assert_eq!(ttl.attribute_name(), Some("expires_at"));

    // The TTL attribute is in whole seconds, rounded up from the port's milliseconds.
    store
        .mark("wamid.TTL", T0 + 7 * DAY_MS + 1)
        .await
        .expect("mark");
    let item = client
        .get_item()
        .table_name(&table)
        .key("PK", AttributeValue::S("DEDUP#wamid.TTL".into()))
        .key("SK", AttributeValue::S("DEDUP".into()))
        .send()
        .await
        .expect("get")
        .item
        .expect("item exists");
    assert_eq!(
        item.get("expires_at"),
        Some(&AttributeValue::N(
            ((T0 + 7 * DAY_MS) / 1000 + 1).to_string()
        ))
    );
}

#[tokio::test]
async fn dynamo_dedup_conditional_write_has_one_winner() {
    let config = aws_or_skip!();
    let clock = ManualClock::at(T0);
    let (store, table) = new_store(&config, clock.clone()).await;
    // A second Lambda instance on the same table.
    let other = DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), table, clock.clone());
    let expires = T0 + 7 * DAY_MS;

    assert!(!store.is_marked("wamid.A").await.expect("is_marked"));
    assert!(store.mark("wamid.A", expires).await.expect("mark"));
    assert!(!other.mark("wamid.A", expires).await.expect("second mark"));
    assert!(other.is_marked("wamid.A").await.expect("is_marked"));
    assert!(!other
        .is_marked("wamid.B")
        .await
        .expect("is_marked other key"));

    let attempts = (0..8).map(|i| {
        let store = if i % 2 == 0 {
            store.clone()
        } else {
            other.clone()
        };
        tokio::spawn(async move { store.mark("wamid.RACE", expires).await })
    });
    let mut winners = 0;
    for attempt in attempts {
        if attempt.await.expect("join").expect("mark") {
            winners += 1;
        }
    }
    assert_eq!(winners, 1, "exactly one concurrent mark may win");
}

#[tokio::test]
async fn dynamo_dedup_expired_mark_is_absent_and_replaced() {
    let config = aws_or_skip!();
    let clock = ManualClock::at(T0);
    let (store, _) = new_store(&config, clock.clone()).await;

    assert!(store.mark("wamid.E", T0 + 1_000).await.expect("mark"));
    clock.advance(Duration::from_millis(999));
    assert!(store.is_marked("wamid.E").await.expect("still live"));
    assert!(!store
        .mark("wamid.E", T0 + 5_000)
        .await
        .expect("live mark wins"));
    clock.advance(Duration::from_millis(1));
    // moto never deletes expired items: the adapter's own filter must hide it.
    assert!(!store.is_marked("wamid.E").await.expect("expired"));
    assert!(store.mark("wamid.E", T0 + 10_000).await.expect("replace"));
    assert!(store.is_marked("wamid.E").await.expect("re-marked"));
}

#[tokio::test]
async fn dynamo_raw_log_recent_is_newest_first_across_days() {
    let config = aws_or_skip!();
    let clock = ManualClock::at(T0);
    let (store, _) = new_store(&config, clock.clone()).await;
    let keep = T0 + 30 * DAY_MS;

    // Two today, one yesterday, one five days ago, one expired, one beyond the look-back.
    store
        .record(&raw("today-1", T0 - 2_000, keep))
        .await
        .expect("record");
    store
        .record(&raw("today-2", T0 - 1_000, keep))
        .await
        .expect("record");
    store
        .record(&raw("yesterday", T0 - DAY_MS, keep))
        .await
        .expect("record");
    store
        .record(&raw("five-days", T0 - 5 * DAY_MS, keep))
        .await
        .expect("record");
    store
        .record(&raw("expired", T0 - 1_500, T0 - 1))
        .await
        .expect("record");
    store
        .record(&raw("ancient", T0 - 40 * DAY_MS, keep))
        .await
        .expect("record");

    let ids =
        |records: Vec<RawInbound>| -> Vec<String> { records.into_iter().map(|r| r.id).collect() };
    let all = store.recent(10).await.expect("recent");
    assert_eq!(all[0], raw("today-2", T0 - 1_000, keep));
    assert_eq!(ids(all), ["today-2", "today-1", "yesterday", "five-days"]);
    assert_eq!(
        ids(store.recent(3).await.expect("recent")),
        ["today-2", "today-1", "yesterday"]
    );
    assert!(store.recent(0).await.expect("recent").is_empty());

    let short = store.clone().with_raw_lookback_days(2);
    assert_eq!(
        ids(short.recent(10).await.expect("recent")),
        ["today-2", "today-1", "yesterday"]
    );
}

#[tokio::test]
async fn dynamo_raw_log_truncates_bodies_above_the_item_limit() {
    let config = aws_or_skip!();
    let clock = ManualClock::at(T0);
    let (store, _) = new_store(&config, clock).await;
    let mut big = raw("big", T0, T0 + DAY_MS);
    big.body = "é".repeat(300_000); // 600 KB: above DynamoDB's 400 KB item limit

    store.record(&big).await.expect("record");
    let stored = store.recent(1).await.expect("recent");
    assert_eq!(stored.len(), 1);
    assert!(stored[0].body.len() <= 350_000);
    assert!(big.body.starts_with(&stored[0].body));
}

#[tokio::test]
async fn dynamo_statuses_are_ordered_idempotent_and_expire() {
    let config = aws_or_skip!();
    let clock = ManualClock::at(T0);
    let (store, _) = new_store(&config, clock.clone()).await;
    let keep = T0 + 30 * DAY_MS;

    for name in ["read", "failed", "sent", "delivered"] {
        store
            .record_status(&status("wamid.S", name, T0 / 1000, keep))
            .await
            .expect("record");
    }
    // A retried webhook repeats a status with other data: the first report stays.
    store
        .record_status(&status("wamid.S", "sent", T0 / 1000 + 99, keep))
        .await
        .expect("record again");
    // Statuses past read are ordered by time, not by name.
    store
        .record_status(&status("wamid.S", "played", T0 / 1000 - 5, keep))
        .await
        .expect("record played");
    store
        .record_status(&status("wamid.OTHER", "sent", T0 / 1000, keep))
        .await
        .expect("record other");

    let statuses = store.statuses_of("wamid.S").await.expect("statuses");
    let names: Vec<&str> = statuses.iter().map(|s| s.status.as_str()).collect();
    assert_eq!(names, ["sent", "delivered", "read", "played", "failed"]);
    assert_eq!(statuses[0], status("wamid.S", "sent", T0 / 1000, keep));
    assert_eq!(statuses[4].error_code, Some(131_047));
    assert!(store
        .statuses_of("wamid.NONE")
        .await
        .expect("none")
        .is_empty());

    clock.advance(Duration::from_millis((31 * DAY_MS) as u64));
    assert!(store
        .statuses_of("wamid.S")
        .await
        .expect("expired")
        .is_empty());
}

// ---------------------------------------------------------------------------------------------
// SQS
// ---------------------------------------------------------------------------------------------

async fn new_queue(config: &SdkConfig, max_receives: u32) -> SqsQueue {
    let client = aws_sdk_sqs::Client::new(config);
    let (url, dlq) = create_fifo_queue_with_dlq(
        &client,
        &unique("prolink-test"),
        max_receives,
        Duration::from_secs(30),
    )
    .await
    .expect("create queue");
    SqsQueue::new(client, url, Some(dlq))
}

fn outgoing(group: &str, dedup: &str, body: &str) -> OutgoingMessage {
    OutgoingMessage {
        group_id: group.to_owned(),
        dedup_id: dedup.to_owned(),
        body: body.to_owned(),
    }
}

#[tokio::test]
async fn sqs_fifo_deduplicates_on_dedup_id() {
    let config = aws_or_skip!();
    let queue = new_queue(&config, 5).await;

    queue
        .send_batch(&[outgoing("citizen-1", "wamid.1", "first")])
        .await
        .expect("send");
    // Meta redelivers the same wamid: accepted, not delivered twice.
    queue
        .send_batch(&[
            outgoing("citizen-1", "wamid.1", "first again"),
            outgoing("citizen-1", "wamid.2", "second"),
        ])
        .await
        .expect("send duplicate");

    let deliveries = queue
        .receive(10, Duration::from_secs(30))
        .await
        .expect("receive");
    let bodies: Vec<&str> = deliveries.iter().map(|d| d.body.as_str()).collect();
    assert_eq!(bodies, ["first", "second"]);
    assert_eq!(deliveries[0].group_id, "citizen-1");
    assert_eq!(deliveries[0].dedup_id, "wamid.1");
    assert_eq!(deliveries[0].receive_count, 1);
}

#[tokio::test]
async fn sqs_sends_more_than_one_batch_and_keeps_group_order() {
    let config = aws_or_skip!();
    let queue = new_queue(&config, 5).await;
    let messages: Vec<OutgoingMessage> = (0..25)
        .map(|i| outgoing(&format!("g{}", i % 3), &format!("d{i}"), &format!("{i}")))
        .collect();
    queue.send_batch(&messages).await.expect("send");

    let mut received = Vec::new();
    for _ in 0..10 {
        let batch = queue
            .receive(10, Duration::from_secs(30))
            .await
            .expect("receive");
        for delivery in &batch {
            queue.delete(&delivery.receipt).await.expect("delete");
        }
        if batch.is_empty() {
            break;
        }
        received.extend(batch);
    }
    assert_eq!(received.len(), 25);
    for group in ["g0", "g1", "g2"] {
        let order: Vec<u32> = received
            .iter()
            .filter(|d| d.group_id == group)
            .map(|d| d.body.parse().expect("number"))
            .collect();
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(order, sorted, "group {group} out of order");
    }
    assert!(queue
        .receive(10, Duration::from_secs(30))
        .await
        .expect("receive")
        .is_empty());
}

#[tokio::test]
async fn sqs_rejected_batch_call_fails() {
    let config = aws_or_skip!();
    let queue = new_queue(&config, 5).await;
    // A FIFO queue requires a group id: SQS refuses the whole call.
    let result = queue
        .send_batch(&[outgoing("g", "ok", "fine"), outgoing("", "bad", "no group")])
        .await;
    assert!(
        matches!(result, Err(PortError::Backend(_))),
        "unexpected {result:?}"
    );
}

/// moto only ever fails entries for a bad DelaySeconds, which the adapter never sends, so a
/// partial failure is replayed from a canned SQS JSON response.
#[tokio::test]
async fn sqs_failed_entries_fail_the_batch() {
    use wiremock::matchers::{header, method};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("x-amz-target", "AmazonSQS.SendMessageBatch"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/x-amz-json-1.0")
                .set_body_json(serde_json::json!({
                    "Successful": [{
                        "Id": "m0",
                        "MessageId": "5fea7756-0ea4-451a-a703-a558b933e274",
                        "MD5OfMessageBody": "d41d8cd98f00b204e9800998ecf8427e"
                    }],
                    "Failed": [{
                        "Id": "m1",
                        "SenderFault": false,
                        "Code": "InternalError",
                        "Message": "try again"
                    }]
                })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(server.uri())
        .region(Region::new("ap-southeast-3"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "test", "test", None, None, "wiremock",
        ))
        .load()
        .await;
    let queue = SqsQueue::new(
        aws_sdk_sqs::Client::new(&config),
        format!("{}/000000000000/inbound.fifo", server.uri()),
        None,
    );

    let result = queue
        .send_batch(&[outgoing("g", "d0", "one"), outgoing("g", "d1", "two")])
        .await;
    match result {
        Err(PortError::Backend(message)) => {
            assert!(message.contains("1 of 2"), "{message}");
            assert!(message.contains("InternalError"), "{message}");
        }
        other => panic!("expected Backend, got {other:?}"),
    }
}

#[tokio::test]
async fn sqs_redrives_to_the_dead_letter_queue_after_max_receives() {
    let config = aws_or_skip!();
    let queue = new_queue(&config, 2).await;
    queue
        .send_batch(&[outgoing("citizen-9", "wamid.poison", "poison")])
        .await
        .expect("send");

    for expected_count in 1..=2 {
        let deliveries = queue
            .receive(10, Duration::from_secs(30))
            .await
            .expect("receive");
        assert_eq!(deliveries.len(), 1);
        assert_eq!(deliveries[0].receive_count, expected_count);
        // The handler failed: make it visible again at once.
        queue
            .change_visibility(&deliveries[0].receipt, Duration::ZERO)
            .await
            .expect("change visibility");
    }
    // The third receive would exceed max_receives = 2: moved to the DLQ instead.
    assert!(queue
        .receive(10, Duration::from_secs(30))
        .await
        .expect("receive")
        .is_empty());

    let dead = queue.dead_letters(10).await.expect("dead letters");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body, "poison");
    assert_eq!(dead[0].group_id, "citizen-9");
    assert_eq!(dead[0].dedup_id, "wamid.poison");
    // A peek leaves the dead letter in place.
    let again = queue.dead_letters(10).await.expect("dead letters again");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].message_id, dead[0].message_id);
}

#[tokio::test]
async fn sqs_visibility_hides_and_delete_removes() {
    let config = aws_or_skip!();
    let queue = new_queue(&config, 5).await;
    queue
        .send_batch(&[outgoing("g", "d1", "one")])
        .await
        .expect("send");

    let first = queue
        .receive(10, Duration::from_secs(30))
        .await
        .expect("receive");
    assert_eq!(first.len(), 1);
    assert!(queue
        .receive(10, Duration::from_secs(30))
        .await
        .expect("receive while hidden")
        .is_empty());
    queue
        .change_visibility(&first[0].receipt, Duration::ZERO)
        .await
        .expect("release");
    let second = queue
        .receive(10, Duration::from_secs(30))
        .await
        .expect("receive again");
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].message_id, first[0].message_id);
    assert_eq!(second[0].receive_count, 2);
    queue.delete(&second[0].receipt).await.expect("delete");
    assert!(queue
        .receive(10, Duration::ZERO)
        .await
        .expect("receive after delete")
        .is_empty());
    assert!(queue.dead_letters(10).await.expect("dlq").is_empty());
}

// ---------------------------------------------------------------------------------------------
// Secrets Manager
// ---------------------------------------------------------------------------------------------

fn secrets(app_secret: &str) -> WhatsAppSecrets {
    WhatsAppSecrets {
        app_secret: app_secret.to_owned(),
        app_secret_previous: None,
        verify_token: "verify-me".to_owned(),
        access_token: Some("EAAG-token".to_owned()),
    }
}

async fn new_secret(client: &aws_sdk_secretsmanager::Client, value: &str) -> String {
    client
        .create_secret()
        .name(unique("prolink/whatsapp"))
        .secret_string(value)
        .send()
        .await
        .expect("create secret")
        .arn
        .expect("arn")
}

#[tokio::test]
async fn secrets_are_cached_then_refreshed_after_rotation() {
    let config = aws_or_skip!();
    let client = aws_sdk_secretsmanager::Client::new(&config);
    let first = secrets("secret-v1");
    let arn = new_secret(&client, &serde_json::to_string(&first).expect("json")).await;
    let clock = ManualClock::at(T0);
    let provider = SecretsManagerProvider::new(client.clone(), arn.clone(), clock.clone())
        .with_refresh(Duration::from_secs(300));

    assert_eq!(provider.whatsapp().await.expect("read"), first);

    let mut rotated = secrets("secret-v2");
    rotated.app_secret_previous = Some("secret-v1".to_owned());
    client
        .put_secret_value()
        .secret_id(&arn)
        .secret_string(serde_json::to_string(&rotated).expect("json"))
        .send()
        .await
        .expect("rotate");

    clock.advance(Duration::from_secs(299));
    assert_eq!(provider.whatsapp().await.expect("cached"), first);
    clock.advance(Duration::from_secs(1));
    assert_eq!(provider.whatsapp().await.expect("refreshed"), rotated);

    // Secrets Manager unreachable (here: the secret is gone): keep serving the last value.
    client
        .delete_secret()
        .secret_id(&arn)
        .force_delete_without_recovery(true)
        .send()
        .await
        .expect("delete");
    clock.advance(Duration::from_secs(301));
    assert_eq!(
        provider.whatsapp().await.expect("stale but served"),
        rotated
    );
}

#[tokio::test]
async fn secrets_fail_without_a_cached_value_and_never_echo_the_secret() {
    let config = aws_or_skip!();
    let client = aws_sdk_secretsmanager::Client::new(&config);
    let clock = ManualClock::at(T0);

    let missing = SecretsManagerProvider::new(client.clone(), unique("missing"), clock.clone());
    assert!(matches!(
        missing.whatsapp().await,
        Err(PortError::Backend(_))
    ));

    // Valid JSON of the wrong shape: serde would quote the value in its message.
    let arn = new_secret(
        &client,
        r#"{"app_secret": 12345678, "verify_token": "hunter2"}"#,
    )
    .await;
    let wrong = SecretsManagerProvider::new(client, arn, clock);
    match wrong.whatsapp().await {
        Err(PortError::Invalid(message)) => {
            assert!(!message.contains("12345678"), "secret leaked: {message}");
            assert!(!message.contains("hunter2"), "secret leaked: {message}");
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Shared conformance suite
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn conformance_store_suite_on_dynamodb() {
    let config = aws_or_skip!();
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = unique("prolink-conformance");
    create_table(&client, &table).await.expect("create table");
    // The suite runs on real time.
    let store = Arc::new(DynamoStore::new(
        client,
        table,
        Arc::new(prolink_app::ports::SystemClock),
    ));
    crate::conformance::store::run_store_suite(crate::conformance::store::StoreUnderTest {
        dedup: store.clone(),
        raw: store.clone(),
        status: store,
    })
    .await;
}

#[tokio::test]
async fn conformance_queue_suite_on_sqs() {
    let config = aws_or_skip!();
    crate::conformance::queue::run_queue_suite(|max_receives| {
        let config = config.clone();
        async move {
            let client = aws_sdk_sqs::Client::new(&config);
            let (url, dlq) = create_fifo_queue_with_dlq(
                &client,
                &unique("prolink-conformance"),
                max_receives,
                Duration::from_secs(30),
            )
            .await
            .expect("create queue");
            Arc::new(SqsQueue::new(client, url, Some(dlq))) as Arc<dyn Queue>
        }
    })
    .await;
}

#[tokio::test]
async fn conformance_conversation_suite_on_dynamodb() {
    let config = aws_or_skip!();
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = unique("prolink-conformance");
    create_table(&client, &table).await.expect("create table");
    // Small chunks: the seed then spans several items and the transaction deletes several.
    let store = Arc::new(
        DynamoStore::new(client, table, Arc::new(prolink_app::ports::SystemClock))
            .with_content_chunk_bytes(40_000),
    );
    crate::conformance::conversation::run_conversation_suite(
        crate::conformance::conversation::ConversationUnderTest {
            outbox: store.clone(),
            citizens: store.clone(),
            sessions: store.clone(),
            content: store.clone(),
            signals: store,
        },
    )
    .await;
}

/// A fresh table of its own for one conformance suite, on the system clock.
async fn conformance_store(config: &SdkConfig) -> DynamoStore {
    let client = aws_sdk_dynamodb::Client::new(config);
    let table = unique("prolink-conformance");
    create_table(&client, &table).await.expect("create table");
    DynamoStore::new(client, table, Arc::new(prolink_app::ports::SystemClock))
}

#[tokio::test]
async fn conformance_complaint_suite_on_dynamodb() {
    let config = aws_or_skip!();
    let store = Arc::new(conformance_store(&config).await);
    crate::conformance::complaint::run_complaint_suite(store).await;
}

#[tokio::test]
async fn conformance_stats_suite_on_dynamodb() {
    let config = aws_or_skip!();
    let store = Arc::new(conformance_store(&config).await);
    crate::conformance::stats::run_stats_suite(store).await;
}

#[tokio::test]
async fn conformance_citizen_data_suite_on_dynamodb() {
    let config = aws_or_skip!();
    let store = Arc::new(conformance_store(&config).await);
    crate::conformance::citizen_data::run_citizen_data_suite(
        crate::conformance::citizen_data::CitizenDataUnderTest::of(store),
    )
    .await;
}

#[tokio::test]
async fn conformance_message_log_suite_on_dynamodb() {
    let config = aws_or_skip!();
    let store = Arc::new(conformance_store(&config).await);
    crate::conformance::message_log::run_message_log_suite(store).await;
}

#[tokio::test]
async fn conformance_operator_suite_on_dynamodb() {
    let config = aws_or_skip!();
    let store = Arc::new(conformance_store(&config).await);
    crate::conformance::operator::run_operator_suite(
        crate::conformance::operator::OperatorUnderTest {
            users: store.clone(),
            audit: store.clone(),
            signals: store.clone(),
            alerts: store.clone(),
            settings: store.clone(),
            complaints: store,
        },
    )
    .await;
}

#[tokio::test]
async fn conformance_content_revisions_suite_on_dynamodb() {
    let config = aws_or_skip!();
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = unique("prolink-conformance");
    create_table(&client, &table).await.expect("create table");
    // Small chunks: a revision spans several items.
    let store = Arc::new(
        DynamoStore::new(client, table, Arc::new(prolink_app::ports::SystemClock))
            .with_content_chunk_bytes(40_000),
    );
    crate::conformance::content_revisions::run_content_revisions_suite(store).await;
}

/// The same complaints list in the same order with the same cursors in both stores, page by
/// page, for every index a list can use: a dashboard behaves alike locally and on AWS.
#[tokio::test]
async fn dynamodb_and_sqlite_list_complaints_alike() {
    let config = aws_or_skip!();
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = unique("prolink-conformance");
    create_table(&client, &table).await.expect("create table");
    let clock = Arc::new(prolink_app::ports::SystemClock);
    let dynamo: Arc<dyn ComplaintStore> = Arc::new(DynamoStore::new(client, table, clock.clone()));
    let sqlite: Arc<dyn ComplaintStore> = Arc::new(SqliteStore::new(
        SqliteDb::open_in_memory().expect("open"),
        clock,
    ));
    let fixture = crate::conformance::operator::list_fixture(&sqlite, T0).await;
    for complaint in &fixture.complaints {
        let fresh = Complaint {
            version: 0,
            ..complaint.clone()
        };
        assert_eq!(dynamo.create_complaint(&fresh).await.expect("copy"), None);
    }
    let statuses = [None, Some(Status::Diterima), Some(Status::Ditolak)];
    let opds = [None, Some(fixture.opds[1].clone())];
    let ranges = [
        (None, None),
        (Some(T0 + 20 * 60_000), Some(T0 + 50 * 60_000)),
    ];
    for status in statuses {
        for opd in &opds {
            for (from, to) in ranges {
                let query = ComplaintQuery {
                    status,
                    opd_id: opd.clone(),
                    received_from_ms: from,
                    received_to_ms: to,
                };
                let mut after = None;
                let mut pages = 0;
                loop {
                    let request = PageRequest { limit: 6, after };
                    let local = sqlite
                        .list_complaints(&query, &request)
                        .await
                        .expect("sqlite");
                    let aws = dynamo
                        .list_complaints(&query, &request)
                        .await
                        .expect("dynamo");
                    let tickets = |page: &Page<Complaint>| -> Vec<String> {
                        page.items.iter().map(|c| c.ticket.clone()).collect()
                    };
                    assert_eq!(tickets(&aws), tickets(&local), "{query:?} page {pages}");
                    assert_eq!(aws.next, local.next, "{query:?} page {pages}");
                    pages += 1;
                    match local.next {
                        Some(next) => after = Some(next),
                        None => break,
                    }
                }
                assert!(pages > 1, "{query:?} spans pages");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// DynamoDB: conversation items
// ---------------------------------------------------------------------------------------------

async fn raw_item(
    config: &SdkConfig,
    table: &str,
    pk: &str,
    sk: &str,
) -> Option<std::collections::HashMap<String, AttributeValue>> {
    aws_sdk_dynamodb::Client::new(config)
        .get_item()
        .table_name(table)
        .key("PK", AttributeValue::S(pk.to_owned()))
        .key("SK", AttributeValue::S(sk.to_owned()))
        .send()
        .await
        .expect("get")
        .item
}

async fn partition_size(config: &SdkConfig, table: &str, pk: &str) -> usize {
    let mut count = 0;
    let mut start = None;
    loop {
        let output = aws_sdk_dynamodb::Client::new(config)
            .query()
            .table_name(table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(pk.to_owned()))
            .select(aws_sdk_dynamodb::types::Select::Count)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("query");
        count += usize::try_from(output.count).expect("count");
        match output.last_evaluated_key {
            Some(key) => start = Some(key),
            None => return count,
        }
    }
}

fn string_attribute(
    item: &std::collections::HashMap<String, AttributeValue>,
    name: &str,
) -> String {
    match item.get(name) {
        Some(AttributeValue::S(value)) => value.clone(),
        Some(AttributeValue::N(value)) => value.clone(),
        other => panic!("{name}: {other:?}"),
    }
}

#[tokio::test]
async fn dynamo_session_and_outbox_items_carry_ttl_seconds() {
    let config = aws_or_skip!();
    let clock = ManualClock::at(T0);
    let (store, table) = new_store(&config, clock.clone()).await;
    let expires = T0 + 30 * 60 * 1000 + 1;
    store
        .save_session(&StoredSession {
            key: "ID.7".into(),
            data: "{}".into(),
            version: 0,
            expires_at_ms: expires,
        })
        .await
        .expect("session");
    let session = raw_item(&config, &table, "CIT#ID.7", "SESSION")
        .await
        .expect("session item");
    assert_eq!(
        string_attribute(&session, "expires_at"),
        (expires / 1000 + 1).to_string()
    );
    assert_eq!(string_attribute(&session, "version"), "1");

    store
        .create_outbox(&OutboxRecord {
            outbox_id: "wamid.IN:0".into(),
            citizen_key: "ID.7".into(),
            body: serde_json::json!({"to": "6281234567890", "n": 1.5}),
            state: OutboxState::Pending,
            wamid: None,
            attempts: 0,
            last_error_code: None,
            last_error: None,
            created_ms: T0,
            updated_ms: T0,
            expires_at_ms: expires,
        })
        .await
        .expect("outbox");
    let outbox = raw_item(&config, &table, "OUT#wamid.IN:0", "OUT")
        .await
        .expect("outbox item");
    assert_eq!(
        string_attribute(&outbox, "expires_at"),
        (expires / 1000 + 1).to_string()
    );
    assert_eq!(string_attribute(&outbox, "state"), "pending");

    // The session expires with the clock even though moto never deletes the item.
    clock.advance(Duration::from_millis(30 * 60 * 1000 + 1));
    assert_eq!(store.load_session("ID.7").await.expect("load"), None);
    assert_eq!(store.get_outbox("wamid.IN:0").await.expect("get"), None);
}

#[tokio::test]
async fn dynamo_content_survives_large_bundles_and_cleans_old_revisions() {
    let config = aws_or_skip!();
    let clock = ManualClock::at(T0);
    let (store, table) = new_store(&config, clock.clone()).await;
    let seed = seed();

    // ≈ 1.2 MB of JSON: four default-sized chunks, more than one 1 MB Query page.
    let mut large = seed.clone();
    for faq in large.faqs.iter_mut().take(60) {
        faq.answer = format!("{} {}", faq.answer, "Keterangan tambahan. ".repeat(700));
    }
    store.replace_content(&large).await.expect("replace large");
    let first = raw_item(&config, &table, "CONTENT", "CURRENT")
        .await
        .expect("pointer");
    let first_revision = string_attribute(&first, "revision");
    let first_chunks: usize = string_attribute(&first, "chunks").parse().expect("chunks");
    assert!(first_chunks >= 4, "{first_chunks} chunks");
    assert_eq!(string_attribute(&first, "version"), "1");
    assert_eq!(
        partition_size(&config, &table, &format!("CONTENT#{first_revision}")).await,
        first_chunks
    );

    // A second instance (cold cache) reads it whole.
    let other = DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), table.clone(), clock);
    assert_eq!(
        other.load_content().await.expect("load"),
        Some(large.clone())
    );

    store.replace_content(&seed).await.expect("replace");
    let second = raw_item(&config, &table, "CONTENT", "CURRENT")
        .await
        .expect("pointer");
    assert_eq!(string_attribute(&second, "version"), "2");
    assert_ne!(string_attribute(&second, "revision"), first_revision);
    assert_eq!(
        partition_size(&config, &table, &format!("CONTENT#{first_revision}")).await,
        0,
        "the old revision's chunks are deleted in the same transaction"
    );
    assert_eq!(
        other.load_content().await.expect("load"),
        Some(seed.clone()),
        "a cached copy of the old revision is not served"
    );

    // Far above what one transaction can carry: refused, nothing changed.
    let mut huge = seed.clone();
    for faq in &mut huge.faqs {
        faq.answer = "x".repeat(40_000);
    }
    let result = store.replace_content(&huge).await;
    assert!(
        matches!(result, Err(PortError::Invalid(_))),
        "{} FAQs: {result:?}",
        huge.faqs.len()
    );
    assert_eq!(store.load_content().await.expect("load"), Some(seed));
}

#[tokio::test]
async fn dynamo_concurrent_imports_conflict_and_never_mix() {
    let config = aws_or_skip!();
    let clock = ManualClock::at(T0);
    let (store, table) = new_store(&config, clock.clone()).await;
    let seed = seed();
    let bundles: Vec<_> = (0..6)
        .map(|i| {
            let mut bundle = seed.clone();
            bundle.faqs.truncate(10 + i);
            bundle
        })
        .collect();
    let tasks: Vec<_> = bundles
        .iter()
        .cloned()
        .map(|bundle| {
            let store = DynamoStore::new(
                aws_sdk_dynamodb::Client::new(&config),
                table.clone(),
                clock.clone(),
            )
            .with_content_chunk_bytes(4_000);
            tokio::spawn(async move { store.replace_content(&bundle).await })
        })
        .collect();
    let mut succeeded = 0;
    for task in tasks {
        match task.await.expect("join") {
            Ok(()) => succeeded += 1,
            Err(PortError::Conflict(_)) => {}
            Err(other) => panic!("a lost import is a Conflict, got {other:?}"),
        }
    }
    assert!(succeeded >= 1);
    let loaded = store.load_content().await.expect("load").expect("content");
    assert!(
        bundles.contains(&loaded),
        "the stored bundle is one import, whole"
    );
    let pointer = raw_item(&config, &table, "CONTENT", "CURRENT")
        .await
        .expect("pointer");
    assert_eq!(string_attribute(&pointer, "version"), succeeded.to_string());
}

#[tokio::test]
async fn dynamo_unanswered_questions_span_monthly_partitions() {
    let config = aws_or_skip!();
    let clock = ManualClock::at(T0); // 2026-03-02
    let (store, table) = new_store(&config, clock.clone()).await;
    let question = |id: &str, asked_ms: i64| UnansweredQuestion {
        id: id.to_owned(),
        citizen_key: "ID.1".to_owned(),
        text: format!("pertanyaan {id}"),
        candidates: vec![("faq-1".to_owned(), 0.25)],
        asked_ms,
        expires_at_ms: T0 + 400 * DAY_MS,
    };
    let march = question("march", T0 - 1_000);
    let february = question("february", T0 - 5 * DAY_MS);
    let december = question("december", T0 - 80 * DAY_MS);
    let last_year = question("last-year", T0 - 360 * DAY_MS);
    for q in [&december, &march, &last_year, &february] {
        store.record_unanswered(q).await.expect("record");
    }
    let item = raw_item(&config, &table, "UNANS#february", "UNANS")
        .await
        .expect("item");
    assert_eq!(string_attribute(&item, "GSI1PK"), "UNANS#2026-02");

    assert_eq!(
        store.recent_unanswered(10).await.expect("recent"),
        vec![march.clone(), february.clone(), december.clone(), last_year]
    );
    assert_eq!(
        store.recent_unanswered(2).await.expect("recent"),
        vec![march.clone(), february.clone()]
    );
    // March + February + January + the next month (clock skew): December is out of reach.
    let short = DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), table, clock)
        .with_unanswered_lookback_months(3);
    assert_eq!(
        short.recent_unanswered(10).await.expect("recent"),
        vec![march, february]
    );
}

#[tokio::test]
async fn dynamo_citizen_profile_round_trips_with_empty_and_missing_fields() {
    let config = aws_or_skip!();
    let clock = ManualClock::at(T0);
    let (store, table) = new_store(&config, clock).await;
    let bare = CitizenProfile {
        key: "6281234567890".into(),
        ..CitizenProfile::default()
    };
    assert_eq!(store.put_citizen(&bare).await.expect("create"), 1);
    assert_eq!(
        store.get_citizen("6281234567890").await.expect("get"),
        Some(CitizenProfile { version: 1, ..bare })
    );
    let item = raw_item(&config, &table, "CIT#6281234567890", "PROFILE")
        .await
        .expect("item");
    assert!(
        !item.contains_key("name"),
        "absent fields are not stored as NULL"
    );
}

#[tokio::test]
async fn conformance_lapor_suite_on_dynamodb() {
    let config = aws_or_skip!();
    let store = Arc::new(conformance_store(&config).await);
    crate::conformance::lapor::run_lapor_suite(store).await;
}

#[tokio::test]
async fn conformance_broadcast_suite_on_dynamodb() {
    let config = aws_or_skip!();
    let store = Arc::new(conformance_store(&config).await);
    crate::conformance::broadcast::run_broadcast_suite(store).await;
}

/// A profile opted in before the subscriber index existed (no `GSI1` keys) is invisible to
/// broadcasts until the one-off backfill adds it; the backfill changes nothing the second time
/// and leaves opted-out profiles alone.
#[tokio::test]
async fn dynamo_backfill_adds_old_opted_in_profiles_to_the_subscriber_list() {
    use prolink_app::ports::{BroadcastStore, CitizenProfile, CitizenStore};
    let config = aws_or_skip!();
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = unique("prolink-backfill");
    create_table(&client, &table).await.expect("create table");
    let store = DynamoStore::new(
        client.clone(),
        table.clone(),
        Arc::new(prolink_app::ports::SystemClock),
    );
    for (key, opted_in) in [("6281200000001", true), ("6281200000002", false)] {
        store
            .put_citizen(&CitizenProfile {
                key: key.into(),
                wa_id: Some(key.into()),
                ..CitizenProfile::default()
            })
            .await
            .expect("profile");
        if opted_in {
            // As an older release wrote it: opted in, without the index keys.
            client
                .update_item()
                .table_name(&table)
                .key("PK", AttributeValue::S(format!("CIT#{key}")))
                .key("SK", AttributeValue::S("PROFILE".into()))
                .update_expression("SET broadcast_opt_in = :yes")
                .expression_attribute_values(":yes", AttributeValue::Bool(true))
                .send()
                .await
                .expect("old-style opt-in");
        }
    }
    assert!(
        store.subscribers(None, 10).await.expect("list").is_empty(),
        "the old profile is not in the index"
    );
    assert_eq!(store.backfill_subscribers().await.expect("backfill"), 1);
    let subscribers = store.subscribers(None, 10).await.expect("list");
    assert_eq!(subscribers.len(), 1);
    assert_eq!(subscribers[0].profile.key, "6281200000001");
    assert_eq!(store.backfill_subscribers().await.expect("again"), 0);
}
