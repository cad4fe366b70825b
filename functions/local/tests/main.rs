//! `prolink serve` as a real process on loopback: what a newcomer and Meta would see.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use rand::{seq::SliceRandom, SeedableRng};
use serde_json::{json, Value};

use prolink_whatsapp::signature::signature_header_value;

mod complaints;
mod poster;

struct Server {
    child: Child,
    base: String,
    secret: String,
}

impl Server {
    fn start(data: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_prolink"))
            .args(["serve", "--addr", "127.0.0.1:0", "--data"])
            .arg(data)
            .env_remove("WHATSAPP_ACCESS_TOKEN")
            .env_remove("WHATSAPP_PHONE_NUMBER_ID")
            .env_remove("WHATSAPP_APP_SECRET")
            .env_remove("WHATSAPP_VERIFY_TOKEN")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("prolink starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("prolink printed its address")
                .expect("stdout line");
            if let Some(addr) = line.strip_prefix("READY ") {
                break addr.trim().to_string();
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let secrets: Value = serde_json::from_slice(
            &std::fs::read(data.join("local-secrets.json")).expect("secrets file"),
        )
        .expect("secrets json");
        Server {
            child,
            base: format!("http://{addr}"),
            secret: secrets["app_secret"]
                .as_str()
                .expect("app_secret")
                .to_string(),
        }
    }

    fn kill9(mut self) {
        // std's kill sends SIGKILL on Unix: no shutdown hook runs.
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn text_payload(from: &str, wamid: &str, text: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "104857600000001", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "6281119990000", "phone_number_id": "109876543210987" },
            "contacts": [{ "profile": { "name": "Warga" }, "wa_id": from }],
            "messages": [{ "from": from, "id": wamid,
                           "timestamp": std::time::SystemTime::now()
                               .duration_since(std::time::UNIX_EPOCH)
                               .expect("clock after 1970")
                               .as_secs()
                               .to_string(),
                           "type": "text",
                           "text": { "body": text } }]
        }}]}]
    }))
    .expect("json")
}

async fn post_webhook(
    client: &reqwest::Client,
    server_base: &str,
    secret: &str,
    body: Vec<u8>,
) -> u16 {
    let signature = signature_header_value(secret, &body);
    client
        .post(format!("{server_base}/webhook"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(body)
        .send()
        .await
        .expect("webhook reachable")
        .status()
        .as_u16()
}

async fn replies_for(client: &reqwest::Client, base: &str, user: &str) -> Vec<Value> {
    let body: Value = client
        .get(format!("{base}/simulator/api/messages?user={user}"))
        .send()
        .await
        .expect("simulator reachable")
        .json()
        .await
        .expect("json");
    body["messages"].as_array().cloned().unwrap_or_default()
}

/// Polls until every citizen has `expected` replies or the deadline passes.
async fn wait_for_replies(
    client: &reqwest::Client,
    base: &str,
    citizens: &[String],
    expected: usize,
) -> Vec<(String, usize)> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut counts = Vec::new();
        for citizen in citizens {
            counts.push((
                citizen.clone(),
                replies_for(client, base, citizen).await.len(),
            ));
        }
        let done = counts.iter().all(|(_, count)| *count >= expected);
        if done || Instant::now() > deadline {
            return counts;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn halo_in_the_simulator_gets_the_menu() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(&dir.path().join("data"));
    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(format!("{}/healthz", server.base))
            .send()
            .await
            .expect("health")
            .status(),
        200
    );
    let page = client
        .get(format!("{}/simulator", server.base))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("Simulator WhatsApp"));
    let response = client
        .post(format!("{}/simulator/api/send", server.base))
        .json(&json!({ "from": "6281234500001", "name": "Budi", "text": "halo" }))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    let citizens = vec!["6281234500001".to_string()];
    wait_for_replies(&client, &server.base, &citizens, 1).await;
    let replies = replies_for(&client, &server.base, "6281234500001").await;
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0]["interactive"]["type"], "list");
    let rows = replies[0]["interactive"]["action"]["sections"][0]["rows"]
        .as_array()
        .expect("rows");
    assert!(rows.iter().any(|row| row["title"] == "Layanan Publik"));
}

#[tokio::test]
async fn every_delivery_three_times_in_shuffled_order_gives_one_reply_each() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(&dir.path().join("data"));
    let client = reqwest::Client::new();
    let citizens: Vec<String> = (0..300).map(|index| format!("62857{index:08}")).collect();
    let mut deliveries: Vec<Vec<u8>> = Vec::new();
    for citizen in &citizens {
        let payload = text_payload(citizen, &format!("wamid.LOAD.{citizen}"), "halo");
        for _ in 0..3 {
            deliveries.push(payload.clone());
        }
    }
    deliveries.shuffle(&mut rand::rngs::StdRng::seed_from_u64(20261127));
    let deliveries = Arc::new(tokio::sync::Mutex::new(deliveries));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let deliveries = deliveries.clone();
        let client = client.clone();
        let base = server.base.clone();
        let secret = server.secret.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(body) = deliveries.lock().await.pop() else {
                    return;
                };
                assert_eq!(post_webhook(&client, &base, &secret, body).await, 200);
            }
        }));
    }
    for task in tasks {
        task.await.expect("sender");
    }
    let counts = wait_for_replies(&client, &server.base, &citizens, 1).await;
    // Give any duplicate a chance to show up before judging.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (citizen, _) in counts {
        let replies = replies_for(&client, &server.base, &citizen).await;
        assert_eq!(replies.len(), 1, "{citizen} got {} replies", replies.len());
    }
}

#[tokio::test]
async fn messages_accepted_before_a_sigkill_are_answered_after_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let server = Server::start(&data);
    let client = reqwest::Client::new();
    let citizens: Vec<String> = (0..150).map(|index| format!("62858{index:08}")).collect();
    let base = server.base.clone();
    let secret = server.secret.clone();
    for citizen in &citizens {
        let body = text_payload(citizen, &format!("wamid.CRASH.{citizen}"), "halo");
        assert_eq!(post_webhook(&client, &base, &secret, body).await, 200);
    }
    server.kill9();

    let server = Server::start(&data);
    let counts = wait_for_replies(&client, &server.base, &citizens, 1).await;
    let unanswered: Vec<&String> = counts
        .iter()
        .filter(|(_, count)| *count != 1)
        .map(|(citizen, _)| citizen)
        .collect();
    assert!(
        unanswered.is_empty(),
        "not answered exactly once: {unanswered:?}"
    );
}

/// Sends one simulator message and waits until the bot's reply count grows past `before`.
async fn converse(
    client: &reqwest::Client,
    base: &str,
    user: &str,
    payload: Value,
    before: usize,
) -> Vec<Value> {
    let mut payload = payload;
    payload["from"] = json!(user);
    payload["name"] = json!("Sari");
    let response = client
        .post(format!("{base}/simulator/api/send"))
        .json(&payload)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200, "simulator accepted {payload}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let replies = replies_for(client, base, user).await;
        if replies.len() > before || Instant::now() > deadline {
            // Let multi-part answers (service cards) arrive completely.
            tokio::time::sleep(Duration::from_millis(300)).await;
            return replies_for(client, base, user).await[before..].to_vec();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn text_of(reply: &Value) -> String {
    match reply["type"].as_str() {
        Some("text") => reply["text"]["body"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        Some("interactive") => reply["interactive"]["body"]["text"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    }
}

#[tokio::test]
async fn menu_catalog_faq_and_handoff_through_prolink_serve() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(&dir.path().join("data"));
    let client = reqwest::Client::new();
    let base = server.base.clone();
    let user = "6281234500077";
    let mut seen = 0;

    let replies = converse(&client, &base, user, json!({ "text": "halo" }), seen).await;
    seen += replies.len();
    assert_eq!(replies[0]["interactive"]["type"], "list", "{replies:?}");

    let replies = converse(
        &client,
        &base,
        user,
        json!({ "reply": { "kind": "list", "id": "menu.layanan", "title": "Layanan Publik" } }),
        seen,
    )
    .await;
    seen += replies.len();
    let rows: Vec<String> = replies[0]["interactive"]["action"]["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|section| section["rows"].as_array().cloned().unwrap_or_default())
        .filter_map(|row| row["title"].as_str().map(str::to_string))
        .collect();
    assert!(rows.len() >= 5, "service categories listed: {rows:?}");

    let faq: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../infra/seed/faq.json"
        ))
        .expect("seed faq"),
    )
    .expect("json");
    let entry = faq
        .as_array()
        .expect("faq list")
        .iter()
        .find(|entry| entry["id"] == "kependudukan.ktp-el-baru")
        .expect("KTP-el entry");
    let first_line = entry["answer"]
        .as_str()
        .expect("answer")
        .lines()
        .next()
        .expect("line")
        .to_string();
    let replies = converse(
        &client,
        &base,
        user,
        json!({ "text": "apa syarat membuat ktp-el pertama kali?" }),
        seen,
    )
    .await;
    seen += replies.len();
    assert!(
        replies
            .iter()
            .any(|reply| text_of(reply).contains(&first_line)),
        "FAQ answer expected, got {replies:?}"
    );

    let replies = converse(&client, &base, user, json!({ "text": "petugas" }), seen).await;
    assert!(
        replies
            .iter()
            .any(|reply| text_of(reply).contains("teruskan ke petugas")),
        "handoff notice expected, got {replies:?}"
    );
}

/// Issue #20: a tiny `prolink loadtest` with a kill -9 halfway: every accepted message is
/// answered once by the server's own outbox records, and the replies resume within 5 s of the
/// kill (the restart releases the dead process's deliveries instead of waiting out the 30 s
/// visibility timeout).
#[test]
fn loadtest_with_a_kill_answers_every_message_and_resumes_within_5_s() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = Command::new(env!("CARGO_BIN_EXE_prolink"))
        .args([
            "loadtest",
            "--citizens",
            "4",
            "--messages",
            "3",
            "--connections",
            "4",
            "--kill-at",
            "0.5",
            "--timeout-secs",
            "60",
            "--latency-log",
        ])
        .arg(dir.path().join("latency.tsv"))
        .arg("--data")
        .arg(dir.path().join("data"))
        .env("RUST_LOG", "warn")
        .output()
        .expect("prolink loadtest runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("replies       : 12 of 12"), "{stdout}");
    assert!(stdout.contains("missing       : 0"), "{stdout}");
    let resumed: f64 = stdout
        .split("replies resumed ")
        .nth(1)
        .and_then(|rest| rest.split(" s after the kill").next())
        .and_then(|secs| secs.parse().ok())
        .unwrap_or_else(|| panic!("no resume time in:\n{stdout}"));
    assert!(resumed < 5.0, "replies resumed {resumed} s after the kill");
    // The latency log: the start's Unix time, a header, one line per accepted request in the
    // order sent.
    let log = std::fs::read_to_string(dir.path().join("latency.tsv")).expect("latency log");
    let mut lines = log.lines();
    assert!(lines.next().is_some_and(|l| l.starts_with("# ")), "{log}");
    assert_eq!(lines.next(), Some("sent_ms\tlatency_ms"));
    let sent: Vec<f64> = lines
        .map(|line| {
            let (sent, latency) = line.split_once('\t').expect("two columns");
            assert!(latency.parse::<f64>().is_ok_and(|ms| ms >= 0.0), "{line}");
            sent.parse().expect("sent_ms")
        })
        .collect();
    assert_eq!(sent.len(), 12, "{log}");
    assert!(sent.windows(2).all(|w| w[0] <= w[1]), "{log}");
}

/// One `prolink serve` per data folder: the deliveries it finds in flight at start can only
/// belong to a process that is gone.
#[test]
fn a_second_serve_on_the_same_data_folder_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let first = Server::start(&data);
    let second = Command::new(env!("CARGO_BIN_EXE_prolink"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(&data)
        .env("RUST_LOG", "warn")
        .output()
        .expect("prolink runs");
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("sedang dipakai"), "{stderr}");
    first.kill9();
    // The OS dropped the killed server's lock.
    let _again = Server::start(&data);
}

/// Every subcommand says what it does in `prolink --help` (a doc comment once slid onto the
/// wrong variant and left `dlq` blank while another command carried two descriptions).
#[test]
fn every_command_is_described_once_in_the_help() {
    let output = Command::new(env!("CARGO_BIN_EXE_prolink"))
        .arg("--help")
        .output()
        .expect("prolink --help");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect();
    assert!(commands.len() >= 9, "{help}");
    for line in commands {
        let mut parts = line.trim().splitn(2, char::is_whitespace);
        let name = parts.next().unwrap_or_default();
        let description = parts.next().unwrap_or_default().trim();
        assert!(
            !description.is_empty(),
            "`{name}` has no description:\n{help}"
        );
        // One sentence's worth per command: two descriptions run together end a sentence
        // and start another about something else.
        assert!(
            description.matches(". ").count() <= 1,
            "`{name}` carries more than its own description: {description}"
        );
    }
}
