//! `prolink`: the whole system in one local process, plus its command-line tools.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Parser, Subcommand};
use prolink::app::local::{serve, LocalOptions};

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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
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
            .await
        }
    }
}
