//! Deployment artifacts agree with the code: template.yaml (one SAM function per Lambda crate,
//! built from the workspace root, with every environment variable that crate reads) and the
//! sample Lambda events under events/.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_yaml::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

fn template_text() -> String {
    let path = repo_root().join("template.yaml");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// serde_yaml keeps CloudFormation short tags (`!Ref X`) as `Value::Tagged`; this test only
/// reads plain keys and strings, so a tagged value simply counts as "present".
fn template() -> Value {
    serde_yaml::from_str(&template_text()).unwrap_or_else(|error| panic!("template.yaml: {error}"))
}

fn get<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |node, key| node.get(*key))
}

fn mapping_keys(value: Option<&Value>) -> BTreeSet<String> {
    value
        .and_then(Value::as_mapping)
        .map(|mapping| {
            mapping
                .keys()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The binary a Lambda crate produces: its only `[[bin]]` name, else its package name.
/// A line scanner is enough for the workspace's own hand-written manifests.
fn binary_name(manifest: &Path) -> String {
    let text = std::fs::read_to_string(manifest)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", manifest.display()));
    let mut section = String::new();
    let mut package_name = None;
    let mut bin_names = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.starts_with('[') {
            section = line.to_owned();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.trim() != "name" {
            continue;
        }
        let value = value.trim().trim_matches('"').to_owned();
        match section.as_str() {
            "[package]" => package_name = Some(value),
            "[[bin]]" => bin_names.push(value),
            _ => {}
        }
    }
    match bin_names.as_slice() {
        [] => package_name.unwrap_or_else(|| panic!("{}: no [package] name", manifest.display())),
        [only] => only.clone(),
        many => panic!(
            "{}: several binaries {many:?}; a Lambda crate must build exactly one",
            manifest.display()
        ),
    }
}

/// Binary name → crate directory, for every Lambda crate under functions/.
fn lambda_crates() -> BTreeMap<String, PathBuf> {
    let functions = repo_root().join("functions");
    let entries = std::fs::read_dir(&functions)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", functions.display()));
    let mut crates = BTreeMap::new();
    for entry in entries.flatten() {
        let dir = entry.path();
        let manifest = dir.join("Cargo.toml");
        // `local` is the all-in-one binary for a laptop, never deployed.
        if dir.file_name().is_some_and(|name| name == "local") || !manifest.is_file() {
            continue;
        }
        crates.insert(binary_name(&manifest), dir);
    }
    crates
}

/// Logical id → resource, for every AWS::Serverless::Function.
fn sam_functions(template: &Value) -> BTreeMap<String, Value> {
    get(template, &["Resources"])
        .and_then(Value::as_mapping)
        .map(|resources| {
            resources
                .iter()
                .filter(|(_, resource)| {
                    resource.get("Type").and_then(Value::as_str)
                        == Some("AWS::Serverless::Function")
                })
                .filter_map(|(name, resource)| Some((name.as_str()?.to_owned(), resource.clone())))
                .collect()
        })
        .unwrap_or_default()
}

fn function_binary(resource: &Value) -> Option<&str> {
    get(resource, &["Metadata", "BuildProperties", "Binary"]).and_then(Value::as_str)
}

#[test]
fn every_lambda_crate_has_exactly_one_function_built_from_the_workspace_root() {
    let template = template();
    let functions = sam_functions(&template);
    let crates = lambda_crates();
    assert!(
        crates.contains_key("webhook") && crates.contains_key("dialog-worker"),
        "expected the webhook and dialog-worker crates, found {:?}",
        crates.keys().collect::<Vec<_>>()
    );

    for binary in crates.keys() {
        let matching: Vec<&String> = functions
            .iter()
            .filter(|(_, resource)| function_binary(resource) == Some(binary.as_str()))
            .map(|(name, _)| name)
            .collect();
        assert_eq!(
            matching.len(),
            1,
            "crate binary `{binary}` must be built by exactly one function, found {matching:?}"
        );
    }

    for (name, resource) in &functions {
        let binary = function_binary(resource)
            .unwrap_or_else(|| panic!("{name}: no Metadata.BuildProperties.Binary"));
        assert!(
            crates.contains_key(binary),
            "{name}: Binary `{binary}` is not a crate under functions/"
        );
        assert_eq!(
            get(resource, &["Metadata", "BuildMethod"]).and_then(Value::as_str),
            Some("rust-cargolambda"),
            "{name}: BuildMethod"
        );
        // cargo-lambda writes target/lambda/<bin>/bootstrap at the workspace root, and SAM
        // looks for it under CodeUri: any other folder breaks `sam build`.
        assert_eq!(
            get(resource, &["Properties", "CodeUri"]).and_then(Value::as_str),
            Some("."),
            "{name}: CodeUri must be the workspace root"
        );
    }
}

#[test]
fn every_function_gets_every_variable_its_binary_reads() {
    let template = template();
    let globals = mapping_keys(get(
        &template,
        &["Globals", "Function", "Environment", "Variables"],
    ));
    let functions = sam_functions(&template);
    assert!(
        !functions.is_empty(),
        "no AWS::Serverless::Function in template.yaml"
    );

    for (name, resource) in &functions {
        let Some(binary) = function_binary(resource) else {
            panic!("{name}: no Metadata.BuildProperties.Binary");
        };
        let mut present = globals.clone();
        present.extend(mapping_keys(get(
            resource,
            &["Properties", "Environment", "Variables"],
        )));
        let missing: Vec<&str> = prolink_app::config::lambda_environment(binary)
            .iter()
            .copied()
            .filter(|variable| !present.contains(*variable))
            .collect();
        assert!(
            missing.is_empty(),
            "{name} ({binary}) lacks environment variables {missing:?}"
        );
    }
}

#[test]
fn deployed_functions_read_their_secret_by_arn_not_from_the_template() {
    let text = template_text();
    assert!(
        !text.contains("{{resolve:"),
        "dynamic references put secrets into the function configuration; read them at run time"
    );
    let template = template();
    let plain_secret_names = [
        prolink_app::config::WHATSAPP_APP_SECRET,
        prolink_app::config::WHATSAPP_APP_SECRET_PREVIOUS,
        prolink_app::config::WHATSAPP_ACCESS_TOKEN,
        prolink_app::config::WHATSAPP_VERIFY_TOKEN,
    ];
    let globals = mapping_keys(get(
        &template,
        &["Globals", "Function", "Environment", "Variables"],
    ));
    for (name, resource) in sam_functions(&template) {
        let mut present = globals.clone();
        present.extend(mapping_keys(get(
            &resource,
            &["Properties", "Environment", "Variables"],
        )));
        for secret in plain_secret_names {
            assert!(
                !present.contains(secret),
                "{name}: {secret} must not be a plain environment variable on AWS"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// events/: the sample Lambda events are what API Gateway and SQS really deliver
// ---------------------------------------------------------------------------------------------

const EVENTS_APP_SECRET: &[u8] = b"events-test-secret";

fn event_text(name: &str) -> String {
    let path = repo_root().join("events").join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

fn hex_hmac_sha256(key: &[u8], body: &[u8]) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[test]
fn webhook_get_event_is_a_v2_handshake_request() {
    let request = lambda_http::request::from_str(&event_text("apigw-webhook-get.json"))
        .expect("API Gateway v2 event");
    assert_eq!(request.method(), "GET");
    assert_eq!(request.uri().path(), "/webhook");
    let query = request.uri().query().unwrap_or_default();
    for expected in [
        "hub.mode=subscribe",
        "hub.verify_token=events-test-verify-token",
        "hub.challenge=1158201444",
    ] {
        assert!(query.split('&').any(|pair| pair == expected), "{query}");
    }
}

#[test]
fn webhook_post_event_is_signed_and_yields_the_first_queued_item() {
    let request = lambda_http::request::from_str(&event_text("apigw-webhook-post.json"))
        .expect("API Gateway v2 event");
    assert_eq!(request.method(), "POST");
    assert_eq!(request.uri().path(), "/webhook");
    let body = request.body().as_ref();
    let signature = request
        .headers()
        .get("x-hub-signature-256")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    assert_eq!(
        signature,
        format!("sha256={}", hex_hmac_sha256(EVENTS_APP_SECRET, body))
    );

    let payload = prolink_whatsapp::webhook::parse_payload(body).expect("webhook payload");
    let items = prolink_app::webhook_item::webhook_items(&payload);
    assert_eq!(items.len(), 1, "{items:?}");
    let batch: aws_lambda_events::sqs::SqsEvent =
        serde_json::from_str(&event_text("sqs-inbound-batch.json")).expect("SQS event");
    let first_body = batch.records.first().and_then(|r| r.body.clone());
    assert_eq!(
        Some(serde_json::to_string(&items[0]).expect("serialize")),
        first_body,
        "the first SQS record must be what the webhook enqueues for the POST event"
    );
}

#[test]
fn sqs_event_records_are_webhook_items_with_their_fifo_ids() {
    use prolink_app::webhook_item::WebhookItem;

    let batch: aws_lambda_events::sqs::SqsEvent =
        serde_json::from_str(&event_text("sqs-inbound-batch.json")).expect("SQS event");
    assert_eq!(batch.records.len(), 2);
    let mut message_ids = BTreeSet::new();
    for record in &batch.records {
        let body = record.body.as_deref().expect("body");
        let item: WebhookItem = serde_json::from_str(body).expect("queue body is a WebhookItem");
        assert_eq!(serde_json::to_string(&item).ok().as_deref(), Some(body));
        let attribute = |name: &str| record.attributes.get(name).map(String::as_str);
        assert_eq!(attribute("MessageGroupId"), Some(item.group_id().as_str()));
        assert_eq!(
            attribute("MessageDeduplicationId"),
            Some(item.dedup_id().as_str())
        );
        assert_eq!(attribute("ApproximateReceiveCount"), Some("1"));
        assert!(record
            .event_source_arn
            .as_deref()
            .is_some_and(|arn| arn.ends_with(".fifo")));
        message_ids.insert(record.message_id.clone().expect("messageId"));
    }
    assert_eq!(message_ids.len(), 2, "messageIds must be distinct");
}

/// The table declares the indexes `create_table` creates for the tests (GSI1…GSI6 on
/// `GSIxPK`/`GSIxSK`, projecting everything), each key attribute defined as a string.
#[test]
fn table_declares_every_index_the_stores_query() {
    let template = template();
    let table = get(&template, &["Resources", "Table", "Properties"]).expect("Table resource");
    let strings = |path: &[&str]| -> Vec<String> {
        get(table, path)
            .and_then(Value::as_sequence)
            .map(|items| {
                items
                    .iter()
                    .map(|item| {
                        let text = |key: &str| {
                            item.get(key)
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_owned()
                        };
                        format!("{}:{}", text("AttributeName"), text("AttributeType"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut expected_attributes = vec!["PK:S".to_owned(), "SK:S".to_owned()];
    let mut expected_indexes = Vec::new();
    for i in 1..=6 {
        expected_attributes.push(format!("GSI{i}PK:S"));
        expected_attributes.push(format!("GSI{i}SK:S"));
        expected_indexes.push(format!("GSI{i}:GSI{i}PK:HASH,GSI{i}SK:RANGE:ALL"));
    }
    assert_eq!(strings(&["AttributeDefinitions"]), expected_attributes);
    let indexes: Vec<String> = get(table, &["GlobalSecondaryIndexes"])
        .and_then(Value::as_sequence)
        .expect("indexes")
        .iter()
        .map(|index| {
            let name = index.get("IndexName").and_then(Value::as_str).unwrap_or("");
            let keys: Vec<String> = index
                .get("KeySchema")
                .and_then(Value::as_sequence)
                .map(|keys| {
                    keys.iter()
                        .map(|k| {
                            format!(
                                "{}:{}",
                                k.get("AttributeName").and_then(Value::as_str).unwrap_or(""),
                                k.get("KeyType").and_then(Value::as_str).unwrap_or("")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let projection = get(index, &["Projection", "ProjectionType"])
                .and_then(Value::as_str)
                .unwrap_or("");
            format!("{name}:{}:{projection}", keys.join(","))
        })
        .collect();
    assert_eq!(indexes, expected_indexes);
}

/// Issue #20: a dead letter is never silent. Every dead-letter queue (the two redrive
/// targets and the scheduler's failed-invocation queue) has a CloudWatch alarm on its depth.
#[test]
fn every_dead_letter_queue_has_a_depth_alarm() {
    let template = template();
    let text = template_text();
    let resources = get(&template, &["Resources"])
        .and_then(Value::as_mapping)
        .expect("Resources");
    let alarms: Vec<&Value> = resources
        .values()
        .filter(|resource| {
            get(resource, &["Type"]).and_then(Value::as_str) == Some("AWS::CloudWatch::Alarm")
        })
        .collect();
    for queue in [
        "InboundDeadLetterQueue",
        "TasksDeadLetterQueue",
        "SchedulerDeadLetterQueue",
    ] {
        let watched = alarms.iter().any(|alarm| {
            let metric = get(alarm, &["Properties", "MetricName"]).and_then(Value::as_str);
            let dimensions = serde_yaml::to_string(
                get(alarm, &["Properties", "Dimensions"]).unwrap_or(&Value::Null),
            )
            .unwrap_or_default();
            metric == Some("ApproximateNumberOfMessagesVisible")
                && dimensions.contains(&format!("{queue}.QueueName"))
        });
        assert!(watched, "no depth alarm on {queue}");
    }
    assert!(
        text.contains("QueueLogicalId: SchedulerDeadLetterQueue"),
        "the scheduler's schedule has a dead-letter queue"
    );
}

/// Issue #20: the webhook role writes only raw-log items (`RAW#<day>` partitions), not the
/// whole table.
#[test]
fn the_webhook_role_puts_only_raw_log_items() {
    let text = template_text();
    let role = text
        .split("\n  WebhookRole:")
        .nth(1)
        .and_then(|rest| rest.split("\n  # ---").next())
        .expect("WebhookRole");
    let put = role
        .split("Action: dynamodb:PutItem")
        .nth(1)
        .and_then(|rest| rest.split("- Effect:").next())
        .expect("the webhook role may put items");
    assert!(put.contains("dynamodb:LeadingKeys"), "{put}");
    assert!(put.contains("\"RAW#*\""), "{put}");
    // Reads are fenced the same way: only the erasure tombstones.
    let get = role
        .split("Action: dynamodb:GetItem")
        .nth(1)
        .and_then(|rest| rest.split("- Effect:").next())
        .expect("the webhook role reads tombstones");
    assert!(get.contains("\"ERASED#*\""), "{get}");
    assert!(
        !role.contains("[dynamodb:PutItem, dynamodb:GetItem]"),
        "reads and writes are fenced to different key prefixes"
    );
}
