//! `fastly-tokens`: Fastly API token hygiene from the terminal and from CI.
//!
//! Every command goes through the public `fastly-tokens` crate; there is no second HTTP path.
//! Exit codes are documented in [`ExitClass`] and in `--help`.

mod commands;
mod output;

use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use fastly_tokens::Error;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  audit found something (audit only)
  2  usage error (bad flags or input, refused operation)
  3  authentication or permission (401/403): check FASTLY_API_TOKEN
  4  not found (404)
  5  rate limited (429): retry after the reset time printed
  6  partial failure: some ids were not revoked, or rotate did not finish
  7  network: could not connect, connection broke, or timed out
  8  other server or protocol error (5xx, undecodable answer)";

/// Manage Fastly API tokens: list, inspect, audit, create, rotate and revoke.
///
/// The API token comes from FASTLY_API_TOKEN (preferred) or --token; it is never printed.
/// Try any command without an account with --fake.
#[derive(Debug, Parser)]
#[command(name = "fastly-tokens", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct Global {
    /// API token (prefer the FASTLY_API_TOKEN environment variable: flags show up in `ps`).
    #[arg(long, env = "FASTLY_API_TOKEN", hide_env_values = true, global = true)]
    token: Option<String>,

    /// API endpoint.
    #[arg(long, default_value = fastly_tokens::DEFAULT_BASE_URL, global = true)]
    endpoint: String,

    /// Print stable JSON on stdout instead of text (see the README for the schema).
    #[arg(long, global = true)]
    json: bool,

    /// Run against an in-process fake Fastly with demo data (no account needed).
    #[arg(long, global = true)]
    fake: bool,

    /// Pretend the current time is this (RFC 3339); with --fake it also sets the fake's clock.
    /// For reproducible output in tests and demos.
    #[arg(long, global = true, hide = true, env = "FASTLY_TOKENS_NOW")]
    now: Option<DateTime<Utc>>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show the token in use: name, scopes, services, created, last used, expiry, IP.
    #[command(
        after_help = "Example:\n  FASTLY_API_TOKEN=... fastly-tokens current\n  fastly-tokens --fake current --json"
    )]
    Current,

    /// List tokens (yours, or a customer's with --customer), as a table sorted by name.
    #[command(
        after_help = "Example:\n  fastly-tokens list\n  fastly-tokens list --customer 51MumwLiSJyFTWhtbByYgR --json"
    )]
    List {
        /// List every token of this customer (needs the right role).
        #[arg(long)]
        customer: Option<String>,
    },

    /// Show one token.
    #[command(after_help = "Example:\n  fastly-tokens show 3krg2uUGZzb2W9Euo4moOY")]
    Show {
        /// Token id.
        id: String,
    },

    /// Create a token; its secret is printed once.
    #[command(
        after_help = "Example:\n  printf '%s' \"$PASSWORD\" | fastly-tokens create --name ci-purge --scope purge_select \\\n      --service 4aXkQ2mXbV1yQp0tR9sT7e --expires-in 90d --username me@example.com \\\n      --password-stdin --otp 123456"
    )]
    Create(CreateArgs),

    /// Revoke tokens by id, from a file, or the token in use (--current).
    #[command(
        after_help = "Example:\n  fastly-tokens revoke 3krg2uUGZzb2W9Euo4moOY --yes\n  fastly-tokens revoke --from-file stale-ids.txt --dry-run\n  fastly-tokens revoke --current --yes"
    )]
    Revoke(RevokeArgs),

    /// Report tokens never used, unused for long, expired, expiring soon, or over-broad.
    /// Exits 1 when there are findings, so it can gate CI.
    #[command(
        after_help = "Example:\n  fastly-tokens audit --unused-for 90d --expiring-within 14d\n  fastly-tokens --fake audit --json"
    )]
    Audit {
        /// A token last used longer ago than this is reported.
        #[arg(long, default_value = "90d", value_parser = duration)]
        unused_for: Duration,
        /// A token expiring within this is reported.
        #[arg(long, default_value = "14d", value_parser = duration)]
        expiring_within: Duration,
        /// Audit every token of this customer instead of your own.
        #[arg(long)]
        customer: Option<String>,
    },

    /// Replace a token by a new one with the same name, scopes and services, then revoke it.
    #[command(
        after_help = "Example:\n  printf '%s' \"$PASSWORD\" | fastly-tokens rotate 3krg2uUGZzb2W9Euo4moOY --expires-in 90d \\\n      --username me@example.com --password-stdin --otp 123456"
    )]
    Rotate {
        /// Id of the token to replace.
        id: String,
        /// Expiry of the new token (default: the old one's expiry, if it had one).
        #[arg(long, value_parser = duration)]
        expires_in: Option<Duration>,
        #[command(flatten)]
        credentials: CredentialArgs,
    },
}

#[derive(Debug, Args)]
struct CreateArgs {
    /// Token name.
    #[arg(long)]
    name: String,
    /// Scope (repeat for several): global, global:read, purge_select, purge_all.
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// Service id to limit the token to (repeat for several; default: all services).
    #[arg(long = "service")]
    services: Vec<String>,
    /// Expire after this long, e.g. 90d.
    #[arg(long, value_parser = duration, conflicts_with = "expires_at")]
    expires_in: Option<Duration>,
    /// Expire at this time (RFC 3339).
    #[arg(long)]
    expires_at: Option<DateTime<Utc>>,
    #[command(flatten)]
    credentials: CredentialArgs,
}

#[derive(Debug, Args)]
struct CredentialArgs {
    /// Account login for username/password credentials (without it, the API token is used,
    /// which Fastly accepts only in sudo mode).
    #[arg(long)]
    username: Option<String>,
    /// Read the password from the first line of stdin.
    #[arg(long, requires = "username")]
    password_stdin: bool,
    /// Current one-time code, for accounts with two-factor authentication.
    #[arg(long)]
    otp: Option<String>,
}

#[derive(Debug, Args)]
struct RevokeArgs {
    /// Token ids.
    ids: Vec<String>,
    /// Revoke the token in use.
    #[arg(long, conflicts_with_all = ["ids", "from_file"])]
    current: bool,
    /// Read ids from a file, one per line (`-` for stdin; `#` comments and blank lines ignored).
    #[arg(long)]
    from_file: Option<String>,
    /// Show what would be revoked, revoke nothing.
    #[arg(long)]
    dry_run: bool,
    /// Do not ask for confirmation (needed when not on a terminal).
    #[arg(long)]
    yes: bool,
}

fn duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (examples: 90d, 12h, 2w)"))
}

/// The class of an outcome, and its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitClass {
    Success = 0,
    Findings = 1,
    Usage = 2,
    Auth = 3,
    NotFound = 4,
    RateLimited = 5,
    Partial = 6,
    Network = 7,
    Other = 8,
}

impl ExitClass {
    pub fn of(error: &Error) -> Self {
        match error {
            Error::InvalidInput(_) => ExitClass::Usage,
            Error::Transport(_) => ExitClass::Network,
            e if e.is_unauthorized() || e.is_forbidden() => ExitClass::Auth,
            e if e.is_not_found() => ExitClass::NotFound,
            e if e.is_rate_limited() => ExitClass::RateLimited,
            _ => ExitClass::Other,
        }
    }
}

/// A failure of a command: one line for stderr, and its exit class.
#[derive(Debug)]
pub struct Failure {
    pub class: ExitClass,
    pub message: String,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure {
            class: ExitClass::of(&e),
            message: e.to_string(),
        }
    }
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            class: ExitClass::Usage,
            message: message.into(),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(ExitClass::Other as u8);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(class) => ExitCode::from(class as u8),
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.class as u8)
        }
    }
}
