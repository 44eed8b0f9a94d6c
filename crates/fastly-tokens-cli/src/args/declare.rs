//! The flags of `plan` and `apply` (tokens as code).

use std::path::PathBuf;

use clap::Args;

use super::values::non_empty;

/// Non-read requests `apply` may send by default: a quarter of Fastly's hourly budget of 1,000.
pub(crate) const DEFAULT_MAX_WRITES: u32 = 250;

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// The file declaring the tokens (TOML; see "Tokens as code" in the README).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// Read every user token of this customer (for `[prune]`) instead of only yours. Declared
    /// user tokens are always matched among your own.
    #[arg(long, value_parser = non_empty("--customer"))]
    pub(crate) customer: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    #[command(flatten)]
    pub(crate) plan: PlanArgs,
    /// Show the plan, change nothing (the same as `plan`, exit 0).
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Do not ask for confirmation (needed when not on a terminal).
    #[arg(long)]
    pub(crate) yes: bool,
    /// Send at most this many non-read requests (creates, `POST /sudo`, revokes); what does
    /// not fit is reported pending (exit 10) for the next run. Fastly allows 1,000 an hour.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_WRITES)]
    pub(crate) max_writes: u32,
    #[command(flatten)]
    pub(crate) login: UnattendedArgs,
}

/// Credentials read without argv, for a job nobody watches. Minting needs the account's
/// password (and sudo mode for automation tokens); a one-time code comes from the TOTP secret.
#[derive(Debug, Args)]
pub(crate) struct UnattendedArgs {
    /// Account login (email) that creates the tokens (a superuser for automation tokens).
    #[arg(long, env = "FASTLY_USERNAME", value_parser = non_empty("--username"))]
    pub(crate) username: Option<String>,
    /// Read the password from this file (its first line), instead of FASTLY_PASSWORD.
    #[arg(long, value_name = "FILE")]
    pub(crate) password_file: Option<PathBuf>,
    /// Read the TOTP secret (base32, as shown when two-factor authentication was set up) from
    /// this file, instead of FASTLY_TOTP_SECRET; each create gets a fresh one-time code.
    #[arg(long, value_name = "FILE")]
    pub(crate) totp_secret_file: Option<PathBuf>,
}
