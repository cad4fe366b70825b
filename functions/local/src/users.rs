//! `prolink user …`: operator accounts of the local mode, for the first admin and for an
//! admin locked out of the dashboard. Passwords come from standard input, never from the
//! command line (which `ps` and the shell history would keep).

use std::io::BufRead;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;

use prolink_app::api::auth::{
    validate_password, validate_role_opd, validate_username, LocalUserDirectory,
};
use prolink_app::ports::{Clock, NewUser, PortError, Role, UserDirectory, UserPatch, UserStore};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an operator account; the password is read from standard input (one line).
    Add {
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The OPD of an `opd` user (required for that role, refused for the others).
        #[arg(long = "opd", value_name = "OPD_ID")]
        opd_id: Option<String>,
    },
    /// Set a new password (read from standard input); also lifts a sign-in lockout.
    Passwd { name: String },
    /// Disable an account: it can no longer sign in or refresh its session.
    Disable { name: String },
}

fn parse_role(value: &str) -> Result<Role, String> {
    Role::parse(value).ok_or_else(|| "pilih salah satu: admin, operator, opd, viewer".to_string())
}

/// One line of standard input without its line ending; the rest of the line is the password.
fn read_password(input: &mut impl BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    input.read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    validate_password(&password).map_err(|error| anyhow::anyhow!("{error}"))?;
    Ok(password)
}

/// Runs `command` and says what happened in Indonesian; a refusal is `ExitCode::FAILURE`
/// with the reason on standard error.
pub async fn run(
    command: UserCommand,
    users: Arc<dyn UserStore>,
    clock: &dyn Clock,
    input: &mut impl BufRead,
) -> anyhow::Result<ExitCode> {
    let directory = LocalUserDirectory::new(users);
    let now = clock.now_ms();
    let outcome = match command {
        UserCommand::Add { name, role, opd_id } => {
            if let Err(error) =
                validate_username(&name).and_then(|()| validate_role_opd(role, opd_id.as_deref()))
            {
                return refuse(&error.to_string());
            }
            eprintln!("Ketik kata sandi untuk {name} (minimal 10 karakter), lalu Enter:");
            let password = match read_password(input) {
                Ok(password) => password,
                Err(error) => return refuse(&error.to_string()),
            };
            let user = NewUser {
                username: name.clone(),
                role,
                opd_id,
                password,
            };
            directory
                .create_user(&user, now)
                .await
                .map(|user| format!("Pengguna {} ({}) dibuat.", user.username, user.role.label()))
                .map_err(|error| match error {
                    PortError::Conflict(_) => format!("Nama pengguna {name} sudah dipakai."),
                    other => port_failure(other),
                })
        }
        UserCommand::Passwd { name } => {
            eprintln!("Ketik kata sandi baru untuk {name} (minimal 10 karakter), lalu Enter:");
            let password = match read_password(input) {
                Ok(password) => password,
                Err(error) => return refuse(&error.to_string()),
            };
            let patch = UserPatch {
                password: Some(password),
                ..UserPatch::default()
            };
            update(&directory, &name, &patch, now)
                .await
                .map(|_| format!("Kata sandi {name} diganti; kunci masuk (jika ada) dibuka."))
        }
        UserCommand::Disable { name } => {
            let patch = UserPatch {
                disabled: Some(true),
                ..UserPatch::default()
            };
            update(&directory, &name, &patch, now)
                .await
                .map(|_| format!("Pengguna {name} dinonaktifkan."))
        }
    };
    match outcome {
        Ok(message) => {
            println!("{message}");
            Ok(ExitCode::SUCCESS)
        }
        Err(message) => refuse(&message),
    }
}

async fn update(
    directory: &LocalUserDirectory,
    name: &str,
    patch: &UserPatch,
    now: i64,
) -> Result<(), String> {
    directory
        .update_user(name, patch, now)
        .await
        .map(|_| ())
        .map_err(|error| match error {
            PortError::NotFound(_) => format!("Pengguna {name} tidak ditemukan."),
            other => port_failure(other),
        })
}

fn port_failure(error: PortError) -> String {
    match error {
        PortError::Invalid(reason) => reason,
        other => format!("Penyimpanan pengguna bermasalah: {other}"),
    }
}

fn refuse(message: &str) -> anyhow::Result<ExitCode> {
    eprintln!("{message}");
    Ok(ExitCode::FAILURE)
}
