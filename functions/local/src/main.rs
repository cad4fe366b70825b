//! `prolink`: the whole system in one local process, plus its command-line tools.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, sync::Arc};

use anyhow::Context;
use clap::{Parser, Subcommand};

use prolink_app::answering::{answer_json, answer_text, ask_lines, evaluate};
use prolink_app::content_import::{
    embedded_seed, import_dir, load_dir, ImportError, DEFAULT_SEED_DIR,
};
use prolink_app::ports::{ContentStore, Queue, SystemClock};
use prolink_aws::{aws_sdk_config, DynamoStore};
use prolink_domain::nlp::{Engine, KnowledgeBase};
use prolink_embedded::serve::{
    ensure_content, serve, LocalOptions, DB_FILE, INBOUND_MAX_RECEIVES, INBOUND_QUEUE, TASKS_QUEUE,
};
use prolink_embedded::sqlite::{SqliteDb, SqliteQueue, SqliteStore};

mod loadtest;
mod poster;
mod users;

#[derive(Parser)]
#[command(
    name = "prolink",
    version,
    about = "PROLINK SAKTI — chatbot WhatsApp Pemkot Probolinggo (mode lokal)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run webhook, dialog worker and simulator in one process.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Data folder (SQLite store, queue and local secrets).
        #[arg(long, env = "PROLINK_DATA_DIR", default_value = "./data")]
        data: PathBuf,
    },
    /// Import the seed content (FAQ, services, categories, OPDs, topics, holidays, menus),
    /// all or nothing: one bad record and nothing changes.
    Import {
        /// Data folder of the local store (ignored with --dynamodb-table).
        #[arg(long, env = "PROLINK_DATA_DIR", default_value = "./data")]
        data: PathBuf,
        /// Import into this DynamoDB table instead (AWS configuration from the environment).
        #[arg(long, value_name = "NAME")]
        dynamodb_table: Option<String>,
        /// Folder with the seed files.
        #[arg(default_value = DEFAULT_SEED_DIR)]
        seed_dir: PathBuf,
    },
    /// Ask the answering engine: what would the bot make of this message?
    Ask {
        /// Data folder of the local store (the seed is imported when it is empty).
        #[arg(long, env = "PROLINK_DATA_DIR", default_value = "./data")]
        data: PathBuf,
        /// One JSON object per answer: {"kind", "id", "score", "alternatives"}.
        #[arg(long)]
        json: bool,
        /// Read one message per line from standard input; one answer per line, same order.
        #[arg(long, conflicts_with = "text")]
        stdin: bool,
        /// The message (several words are joined with spaces).
        #[arg(required_unless_present = "stdin")]
        text: Vec<String>,
    },
    /// Evaluate the answering engine on labelled messages (lines {"q", "expect"}).
    Eval {
        /// Data folder of the local store (the seed is imported when it is empty).
        #[arg(long, env = "PROLINK_DATA_DIR", default_value = "./data")]
        data: PathBuf,
        /// JSON Lines file: expect = a FAQ id, complaint:<category>, emergency or fallback.
        file: PathBuf,
    },
    /// Operator accounts of the local mode (sign-in to the dashboard).
    User {
        /// Data folder of the local store.
        #[arg(
            long,
            env = "PROLINK_DATA_DIR",
            default_value = "./data",
            global = true
        )]
        data: PathBuf,
        #[command(subcommand)]
        command: users::UserCommand,
    },
    /// Socialisation material from the content: an A4 poster and a 1080×1080 image with the
    /// main menu and a QR code to wa.me/<number>?text=halo.
    Poster {
        /// Folder to write poster-a4.svg and social-1080.svg into.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The bot's WhatsApp number: 62 followed by the number, no + or spaces.
        #[arg(long, env = "PROLINK_WHATSAPP_NUMBER", value_name = "62…")]
        number: String,
        /// Folder with the seed files (default: infra/seed, or the copy built into the binary).
        #[arg(long, value_name = "DIR")]
        seed: Option<PathBuf>,
    },
    /// AWS, once after upgrading a table that already had subscribers: adds citizens who
    /// opted in to broadcasts before the subscriber index existed to the broadcast audience.
    BackfillSubscribers {
        /// The DynamoDB table (AWS configuration from the environment).
        #[arg(long, value_name = "NAME")]
        dynamodb_table: String,
    },
    /// Messages that failed 5 times and were moved aside (dead-letter queue).
    Dlq {
        /// Data folder of the local store.
        #[arg(
            long,
            env = "PROLINK_DATA_DIR",
            default_value = "./data",
            global = true
        )]
        data: PathBuf,
        #[command(subcommand)]
        command: DlqCommand,
    },
    /// Load test of a `prolink serve` (started here, or running): signed webhooks from many
    /// citizens, each reply checked in the server's own outbox records.
    Loadtest(loadtest::LoadtestArgs),
}

#[derive(Subcommand, Clone, Copy)]
enum DlqCommand {
    /// Show the dead letters of both queues (ids and receive counts, not the content).
    List,
    /// Put every dead letter back on its queue; a running `serve` processes each once more.
    Redrive,
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve { addr, data } => {
            serve(LocalOptions {
                addr,
                data_dir: data,
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            data,
            dynamodb_table,
            seed_dir,
        } => import(data, dynamodb_table, seed_dir).await,
        Command::Ask {
            data,
            json,
            stdin,
            text,
        } => {
            let engine = local_engine(&data).await?;
            if stdin {
                let input = std::io::stdin().lock();
                let output = std::io::stdout().lock();
                if json {
                    ask_lines(&engine, input, output).context("membaca/menulis pesan")?;
                } else {
                    for line in std::io::BufRead::lines(input) {
                        println!("{}", answer_text(&engine, &line?));
                    }
                }
            } else {
                let message = text.join(" ");
                if json {
                    println!("{}", answer_json(&engine, &message));
                } else {
                    println!("{}", answer_text(&engine, &message));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval { data, file } => {
            let engine = local_engine(&data).await?;
            let reader = std::fs::File::open(&file)
                .with_context(|| format!("membuka {}", file.display()))?;
            let report = evaluate(&engine, std::io::BufReader::new(reader));
            println!("{report}");
            Ok(ExitCode::SUCCESS)
        }
        Command::User { data, command } => {
            let users = local_user_store(&data)?;
            let mut input = std::io::stdin().lock();
            users::run(command, users, &SystemClock, &mut input).await
        }
        Command::Dlq { data, command } => dlq(&data, command).await,
        Command::BackfillSubscribers { dynamodb_table } => {
            let sdk = aws_sdk_config().await;
            let store =
                DynamoStore::from_sdk_config(&sdk, dynamodb_table.clone(), Arc::new(SystemClock));
            let added = store
                .backfill_subscribers()
                .await
                .map_err(|error| anyhow::anyhow!("mengisi daftar pelanggan siaran: {error}"))?;
            println!("{added} profil warga ditambahkan ke daftar pelanggan siaran di tabel {dynamodb_table}.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Poster { out, number, seed } => {
            if let Err(error) = poster::check_number(&number) {
                eprintln!("{error}");
                return Ok(ExitCode::FAILURE);
            }
            let content = match seed {
                Some(dir) => load_dir(&dir),
                None if std::path::Path::new(DEFAULT_SEED_DIR).is_dir() => {
                    load_dir(DEFAULT_SEED_DIR)
                }
                None => embedded_seed(),
            };
            let content = match content {
                Ok(content) => content,
                Err(report) => {
                    eprintln!("{report}");
                    return Ok(ExitCode::FAILURE);
                }
            };
            poster::write_all(&content, &number, &out)?;
            println!(
                "{} dan {} ditulis ke {}",
                poster::POSTER_FILE,
                poster::SOCIAL_FILE,
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Loadtest(args) => loadtest::run(args).await,
    }
}

/// `prolink dlq list|redrive` over the local queues. The bodies hold citizens' messages and
/// phone numbers, so `list` shows only what identifies a dead letter.
async fn dlq(data: &std::path::Path, command: DlqCommand) -> anyhow::Result<ExitCode> {
    let path = data.join(DB_FILE);
    if !path.exists() {
        anyhow::bail!("belum ada data lokal di {}", data.display());
    }
    let db = SqliteDb::open(&path)
        .map_err(|error| anyhow::anyhow!("membuka {}: {error}", path.display()))?;
    for (name, max_receives) in [
        (INBOUND_QUEUE, INBOUND_MAX_RECEIVES),
        (TASKS_QUEUE, prolink_app::config::TASKS_MAX_RECEIVES),
    ] {
        let queue = SqliteQueue::new(db.clone(), name, max_receives, Arc::new(SystemClock));
        match command {
            DlqCommand::List => {
                let dead = queue
                    .dead_letters(1000)
                    .await
                    .map_err(|error| anyhow::anyhow!("membaca antrean gagal {name}: {error}"))?;
                println!("Antrean {name}: {} pesan gagal", dead.len());
                for letter in dead {
                    println!(
                        "  {}  diterima {} kali  dedup {}",
                        letter.message_id, letter.receive_count, letter.dedup_id
                    );
                }
            }
            DlqCommand::Redrive => {
                let moved = queue.redrive_dead_letters().await.map_err(|error| {
                    anyhow::anyhow!("memproses ulang antrean gagal {name}: {error}")
                })?;
                println!("Antrean {name}: {moved} pesan dikembalikan untuk diproses ulang");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The users table of the local store.
fn local_user_store(
    data: &std::path::Path,
) -> anyhow::Result<Arc<dyn prolink_app::ports::UserStore>> {
    prolink_embedded::private_fs::create_private_dir_all(data)
        .with_context(|| format!("membuat folder data {}", data.display()))?;
    let path = data.join(DB_FILE);
    let db = SqliteDb::open(&path)
        .map_err(|error| anyhow::anyhow!("membuka {}: {error}", path.display()))?;
    Ok(Arc::new(SqliteStore::new(db, Arc::new(SystemClock))))
}

/// The answering engine over the local store's content, importing the seed on first use as
/// `serve` does.
async fn local_engine(data: &std::path::Path) -> anyhow::Result<Engine> {
    prolink_embedded::private_fs::create_private_dir_all(data)
        .with_context(|| format!("membuat folder data {}", data.display()))?;
    let path = data.join(DB_FILE);
    let db = SqliteDb::open(&path)
        .map_err(|error| anyhow::anyhow!("membuka {}: {error}", path.display()))?;
    let store = SqliteStore::new(db, Arc::new(SystemClock));
    ensure_content(&store).await?;
    let bundle = store
        .load_content()
        .await
        .map_err(|error| anyhow::anyhow!("membaca konten: {error}"))?
        .context("konten belum diimpor")?;
    Ok(Engine::build(&KnowledgeBase::from(&bundle)))
}

async fn import(
    data: PathBuf,
    dynamodb_table: Option<String>,
    seed_dir: PathBuf,
) -> anyhow::Result<ExitCode> {
    let clock = Arc::new(SystemClock);
    let (store, target): (Arc<dyn ContentStore>, String) = match dynamodb_table {
        Some(table) => {
            let sdk = aws_sdk_config().await;
            let target = format!("tabel DynamoDB {table}");
            (
                Arc::new(DynamoStore::from_sdk_config(&sdk, table, clock)),
                target,
            )
        }
        None => {
            prolink_embedded::private_fs::create_private_dir_all(&data)
                .with_context(|| format!("membuat folder data {}", data.display()))?;
            let path = data.join(DB_FILE);
            let db = SqliteDb::open(&path)
                .map_err(|error| anyhow::anyhow!("membuka {}: {error}", path.display()))?;
            (
                Arc::new(SqliteStore::new(db, clock)),
                path.display().to_string(),
            )
        }
    };
    match import_dir(store.as_ref(), &seed_dir).await {
        Ok(summary) => {
            println!(
                "Konten dari {} diimpor ke {target}: {summary}",
                seed_dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(ImportError::Rejected(report)) => {
            eprintln!("Folder {}: {report}", seed_dir.display());
            eprintln!("Perbaiki berkas di atas lalu jalankan `prolink import` lagi.");
            Ok(ExitCode::FAILURE)
        }
        Err(error @ ImportError::Store(_)) => {
            eprintln!("{error}. Konten sebelumnya tetap dipakai.");
            Ok(ExitCode::FAILURE)
        }
    }
}
