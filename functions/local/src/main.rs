//! `prolink`: the whole system in one local process, plus its command-line tools.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, sync::Arc};

use anyhow::Context;
use clap::{Parser, Subcommand};
use prolink::{
    adapters::{
        aws::{aws_sdk_config, DynamoStore},
        sqlite::{SqliteDb, SqliteStore},
    },
    app::{
        content_import::{import_dir, ImportError, DEFAULT_SEED_DIR},
        local::{serve, LocalOptions, DB_FILE},
    },
    ports::{ContentStore, SystemClock},
};

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
    }
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
            std::fs::create_dir_all(&data)
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
