//! `prolink loadtest`: N citizens × M messages of signed webhooks against `prolink serve` (one
//! it starts on a fresh data folder, or a running one), optionally killing the server with
//! SIGKILL midway and starting it again. It checks every accepted message against the server's
//! own outbox records (the reply of wamid `w` is outbox record `out.<hash(w#0)>`; the
//! simulator's view would hide repeats) and prints accepted/s, webhook p50/p99, end-to-end
//! replies/s, how soon replies resumed after the restart, and the server's peak RSS.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use prolink_app::ports::{OutboxState, OutboxStore, SystemClock, WhatsAppSecrets};
use prolink_app::worker::outbox_id;
use prolink_embedded::serve::{load_or_create_secrets, DB_FILE, SECRETS_FILE};
use prolink_embedded::sqlite::{SqliteDb, SqliteStore};
use prolink_whatsapp::signature::signature_header_value;

#[derive(clap::Args, Debug)]
pub struct LoadtestArgs {
    /// Base URL of a running `prolink serve` (with --data: its data folder). Without it the
    /// load test starts its own server on a fresh data folder and stops it at the end.
    #[arg(long, requires = "data")]
    url: Option<String>,
    /// Data folder of the server: its app secret signs the webhooks, its outbox records are
    /// checked. With a started server: the folder to use (default: a fresh temporary one).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Distinct citizens (phone numbers).
    #[arg(long, default_value_t = 100)]
    citizens: usize,
    /// Messages per citizen.
    #[arg(long, default_value_t = 10)]
    messages: usize,
    /// Webhook requests per second; 0 sends as fast as the connections allow (bursts).
    #[arg(long, default_value_t = 0)]
    rate: u32,
    /// Concurrent connections.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Kill the started server with SIGKILL once this share (0–1) of the messages is
    /// accepted, then start it again on the same folder and port.
    #[arg(long)]
    kill_at: Option<f64>,
    /// How long to wait for the replies after the last message was accepted.
    #[arg(long, default_value_t = 120)]
    timeout_secs: u64,
    /// Before the messages: this many concurrent unsigned POSTs (defect 9's memory bound),
    /// with the server's peak RSS before and after (a server the load test starts).
    #[arg(long, default_value_t = 0)]
    unsigned_posts: usize,
    /// Size of each unsigned POST in MiB.
    #[arg(long, default_value_t = 3)]
    unsigned_mib: usize,
    /// Writes one line per accepted webhook request to this file: when it was sent (ms after
    /// the start, whose Unix time in ms is the first line, `# …`) and how long it took (ms),
    /// to see when the slow ones happen and line them up with the server's own timings.
    #[arg(long)]
    latency_log: Option<PathBuf>,
    /// What every citizen writes.
    #[arg(long, default_value = "jam buka kantor kecamatan")]
    text: String,
}

/// The server the load test started.
struct Server {
    child: Child,
    addr: String,
}

async fn start_server(data: &Path, addr: &str) -> anyhow::Result<Server> {
    let exe = std::env::current_exe().context("finding the prolink binary")?;
    let mut child = Command::new(exe)
        .args(["serve", "--addr", addr, "--data"])
        .arg(data)
        // A test server: the simulator answers (no Graph credentials), and the secrets are the
        // ones generated into its data folder, which the load test signs with.
        .env_remove("WHATSAPP_ACCESS_TOKEN")
        .env_remove("WHATSAPP_PHONE_NUMBER_ID")
        .env_remove("WHATSAPP_APP_SECRET")
        .env_remove("WHATSAPP_APP_SECRET_PREVIOUS")
        .env_remove("WHATSAPP_VERIFY_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting prolink serve")?;
    let stdout = child.stdout.take().context("server stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = lines.next_line().await? {
            if let Some(addr) = line.strip_prefix("READY ") {
                return Ok::<_, std::io::Error>(Some(addr.trim().to_string()));
            }
        }
        Ok(None)
    })
    .await
    .context("prolink serve not ready within 120 s")??;
    let addr = ready.context("prolink serve stopped during start-up")?;
    // Keep draining stdout so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(Server { child, addr })
}

/// Peak resident memory (VmHWM) of a process, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

fn webhook_body(from: &str, wamid: &str, text: &str, timestamp: u64) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "102290129340398", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "6281119990000", "phone_number_id": "100000000000001" },
            "contacts": [{ "profile": { "name": "Uji Beban" }, "wa_id": from }],
            "messages": [{ "from": from, "id": wamid, "timestamp": timestamp.to_string(),
                           "type": "text", "text": { "body": text } }]
        } }] }]
    }))
    .expect("a JSON value serialises")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `posts` concurrent POSTs of `mib` MiB without a signature, each on its own connection.
async fn unsigned_flood(
    base: &str,
    pid: Option<u32>,
    posts: usize,
    mib: usize,
) -> anyhow::Result<()> {
    let before = pid.and_then(peak_rss_kib);
    // Shared, not copied per request: the client's own memory stays out of the picture.
    let body: &'static [u8] = Vec::leak(vec![b'a'; mib * 1024 * 1024]);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(posts);
    for _ in 0..posts {
        // A client per request: one connection each, as many senders would open.
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        let url = format!("{base}/webhook");
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .map(|response| response.status().as_u16())
        }));
    }
    let mut statuses = std::collections::BTreeMap::<String, usize>::new();
    for task in tasks {
        let status = match task.await? {
            Ok(status) => status.to_string(),
            Err(error) if error.is_connect() => "connection refused".to_string(),
            Err(_) => "connection closed".to_string(),
        };
        *statuses.entry(status).or_default() += 1;
    }
    let after = pid.and_then(peak_rss_kib);
    let mib_of = |kib: Option<u64>| {
        kib.map_or("n/a".to_string(), |k| {
            format!("{:.1} MiB", k as f64 / 1024.0)
        })
    };
    println!(
        "unsigned POSTs: {posts} × {mib} MiB concurrently in {:.2} s, answers {statuses:?}; server peak RSS {} before, {} after",
        started.elapsed().as_secs_f64(),
        mib_of(before),
        mib_of(after)
    );
    Ok(())
}

pub async fn run(args: LoadtestArgs) -> anyhow::Result<std::process::ExitCode> {
    let total = args.citizens.saturating_mul(args.messages);
    anyhow::ensure!(total > 0, "--citizens and --messages must be at least 1");
    anyhow::ensure!(
        args.kill_at.is_none() || args.url.is_none(),
        "--kill-at needs a server the load test starts (no --url)"
    );
    let temp = match (&args.url, &args.data) {
        (None, None) => Some(std::env::temp_dir().join(format!(
            "prolink-loadtest-{}-{}",
            std::process::id(),
            now_ms()
        ))),
        _ => None,
    };
    let data = args
        .data
        .clone()
        .or_else(|| temp.clone())
        .context("a data folder")?;

    let server: Arc<tokio::sync::Mutex<Option<Server>>> = Arc::new(tokio::sync::Mutex::new(None));
    let base = match &args.url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => {
            // A free loopback port, kept across the restart.
            let port = std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port();
            let started = start_server(&data, &format!("127.0.0.1:{port}")).await?;
            let base = format!("http://{}", started.addr);
            *server.lock().await = Some(started);
            base
        }
    };
    if args.unsigned_posts > 0 {
        let pid = server.lock().await.as_ref().and_then(|s| s.child.id());
        unsigned_flood(&base, pid, args.unsigned_posts, args.unsigned_mib).await?;
    }
    let secrets = if args.url.is_some() {
        // A running server: the same environment and folder give the same secret.
        load_or_create_secrets(&data)?.secrets
    } else {
        let path = data.join(SECRETS_FILE);
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_slice::<WhatsAppSecrets>(&bytes)
            .with_context(|| format!("{} is not valid JSON", path.display()))?
    };
    let db = SqliteDb::open(&data.join(DB_FILE))
        .map_err(|error| anyhow::anyhow!("opening the server's store: {error}"))?;
    let outbox = SqliteStore::new(db, Arc::new(SystemClock));

    let run_id = format!("{:x}", now_ms());
    let timestamp = u64::try_from(now_ms() / 1000).unwrap_or(0);
    // Round robin over the citizens: message j of every citizen before message j + 1.
    let requests: Arc<Vec<(String, Vec<u8>, String)>> = Arc::new(
        (0..args.messages)
            .flat_map(|j| (0..args.citizens).map(move |i| (i, j)))
            .map(|(i, j)| {
                let from = format!("6289{:09}", i);
                let wamid = format!("wamid.load.{run_id}.{i}.{j}");
                let body = webhook_body(&from, &wamid, &args.text, timestamp);
                let signature = signature_header_value(&secrets.app_secret, &body);
                (wamid, body, signature)
            })
            .collect(),
    );

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .timeout(Duration::from_secs(30))
        .build()?;
    let next = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let down = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let start_ms = now_ms();

    // The killer: SIGKILL at the given share, then the same server again.
    let restart: Arc<Mutex<Option<(i64, i64)>>> = Arc::new(Mutex::new(None));
    let first_peak = Arc::new(Mutex::new(None));
    let killer = args.kill_at.map(|share| {
        let (server, accepted, down, restart, data, first_peak) = (
            server.clone(),
            accepted.clone(),
            down.clone(),
            restart.clone(),
            data.clone(),
            first_peak.clone(),
        );
        let at = ((total as f64) * share.clamp(0.0, 1.0)) as usize;
        tokio::spawn(async move {
            while accepted.load(Ordering::SeqCst) < at {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            let mut guard = server.lock().await;
            let Some(mut old) = guard.take() else {
                return Ok(());
            };
            if let Some(pid) = old.child.id() {
                *first_peak.lock().expect("peak") = peak_rss_kib(pid);
            }
            down.store(true, Ordering::SeqCst);
            old.child.start_kill()?; // SIGKILL
            old.child.wait().await?;
            let killed_ms = now_ms();
            let again = start_server(&data, &old.addr).await?;
            let ready_ms = now_ms();
            *restart.lock().expect("restart") = Some((killed_ms, ready_ms));
            *guard = Some(again);
            down.store(false, Ordering::SeqCst);
            anyhow::Ok(())
        })
    });

    let mut senders = Vec::new();
    for _ in 0..args.connections.max(1) {
        let (client, next, accepted, refused, latencies, requests, base) = (
            client.clone(),
            next.clone(),
            accepted.clone(),
            refused.clone(),
            latencies.clone(),
            requests.clone(),
            base.clone(),
        );
        let rate = args.rate;
        senders.push(tokio::spawn(async move {
            loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some((_, body, signature)) = requests.get(index) else {
                    return;
                };
                if rate > 0 {
                    let due = start + Duration::from_secs_f64(index as f64 / f64::from(rate));
                    tokio::time::sleep_until(due.into()).await;
                }
                // Like Meta: what is not answered 200 is delivered again.
                loop {
                    let sent = Instant::now();
                    let sent_at = sent.duration_since(start);
                    let response = client
                        .post(format!("{base}/webhook"))
                        .header("content-type", "application/json")
                        .header("X-Hub-Signature-256", signature)
                        .body(body.clone())
                        .send()
                        .await;
                    let elapsed = sent.elapsed();
                    match response {
                        Ok(response) if response.status().is_success() => {
                            latencies
                                .lock()
                                .expect("latencies")
                                .push((elapsed, sent_at));
                            accepted.fetch_add(1, Ordering::SeqCst);
                            break;
                        }
                        _ => {
                            refused.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                }
            }
        }));
    }
    for sender in senders {
        sender.await?;
    }
    let send_secs = start.elapsed().as_secs_f64();
    if let Some(killer) = killer {
        killer.await??;
    }

    // Replies, by the server's own outbox records.
    let mut pending: HashSet<&str> = requests.iter().map(|(w, _, _)| w.as_str()).collect();
    let mut reply_times: Vec<i64> = Vec::with_capacity(total);
    let mut resent = 0usize;
    let deadline = Instant::now() + Duration::from_secs(args.timeout_secs);
    while !pending.is_empty() && Instant::now() < deadline {
        let mut found = Vec::new();
        for wamid in &pending {
            if let Ok(Some(record)) = outbox.get_outbox(&outbox_id(wamid, 0)).await {
                if record.state != OutboxState::Pending {
                    if record.attempts > 1 {
                        resent += 1;
                    }
                    reply_times.push(record.created_ms);
                    found.push(*wamid);
                }
            }
        }
        for wamid in found {
            pending.remove(wamid);
        }
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    reply_times.sort_unstable();

    let mut peak = None;
    if let Some(server) = server.lock().await.as_mut() {
        peak = server.child.id().and_then(peak_rss_kib);
        let _ = server.child.start_kill();
        let _ = server.child.wait().await;
    }
    let first_peak = *first_peak.lock().expect("peak");

    let mut timed = latencies.lock().expect("latencies").clone();
    if let Some(path) = &args.latency_log {
        let mut lines = format!("# {start_ms}\nsent_ms\tlatency_ms\n");
        timed.sort_unstable_by_key(|(_, sent_at)| *sent_at);
        for &(elapsed, sent_at) in &timed {
            lines.push_str(&format!(
                "{:.3}\t{:.3}\n",
                sent_at.as_secs_f64() * 1000.0,
                elapsed.as_secs_f64() * 1000.0
            ));
        }
        std::fs::write(path, lines).with_context(|| format!("writing {}", path.display()))?;
    }
    let mut latencies: Vec<Duration> = timed.into_iter().map(|(elapsed, _)| elapsed).collect();
    latencies.sort_unstable();
    let replies = reply_times.len();
    let last_reply = reply_times.last().copied().unwrap_or(start_ms);
    let e2e_secs = ((last_reply - start_ms) as f64 / 1000.0).max(0.001);
    println!(
        "prolink loadtest: {} citizens × {} messages = {total}",
        args.citizens, args.messages
    );
    println!(
        "  accepted      : {} in {send_secs:.2} s = {:.0}/s ({} refused or unreachable, delivered again)",
        accepted.load(Ordering::SeqCst),
        accepted.load(Ordering::SeqCst) as f64 / send_secs,
        refused.load(Ordering::SeqCst)
    );
    println!(
        "  webhook       : p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&latencies, 50.0).as_secs_f64() * 1000.0,
        percentile(&latencies, 99.0).as_secs_f64() * 1000.0,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
    );
    println!(
        "  replies       : {replies} of {total} by the outbox records, {:.0}/s end to end (first webhook to last reply, {e2e_secs:.2} s)",
        replies as f64 / e2e_secs
    );
    println!("  missing       : {}", pending.len());
    println!("  sent again    : {resent} (outbox records with more than one attempt)");
    if let Some((killed_ms, ready_ms)) = *restart.lock().expect("restart") {
        let resumed = reply_times.iter().find(|&&t| t >= ready_ms).copied();
        println!(
            "  kill -9       : restarted in {:.2} s; replies resumed {} after the kill",
            (ready_ms - killed_ms) as f64 / 1000.0,
            resumed.map_or("never".to_string(), |t| format!(
                "{:.2} s",
                (t - killed_ms) as f64 / 1000.0
            ))
        );
    }
    let mib = |kib: Option<u64>| {
        kib.map_or("n/a".to_string(), |k| {
            format!("{:.1} MiB", k as f64 / 1024.0)
        })
    };
    match (args.url.is_some(), first_peak) {
        (true, _) => println!("  peak RSS      : n/a (server not started by the load test)"),
        (false, Some(first)) => println!(
            "  peak RSS      : {} before the kill, {} after the restart",
            mib(Some(first)),
            mib(peak)
        ),
        (false, None) => println!("  peak RSS      : {}", mib(peak)),
    }
    if let Some(temp) = temp {
        let _ = std::fs::remove_dir_all(temp);
    }
    let exactly_once = pending.is_empty() && (resent == 0 || args.kill_at.is_some());
    Ok(if exactly_once {
        std::process::ExitCode::SUCCESS
    } else {
        eprintln!("Tidak semua pesan yang diterima dibalas tepat satu kali.");
        std::process::ExitCode::FAILURE
    })
}
