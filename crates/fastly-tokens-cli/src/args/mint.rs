//! The flags of the commands that mint a token: `create`, `automation create`, `rotate`,
//! `exec`.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{ArgGroup, Args};

use super::values::{duration, non_empty, timestamp};

/// A new token's expiry: exactly one of the three is required.
#[derive(Debug, Args)]
#[group(id = "expiry", required = true, multiple = false)]
pub(crate) struct ExpiryArgs {
    /// Expire after this long, e.g. 90d (at least 1 minute).
    #[arg(long, value_parser = duration)]
    pub(crate) expires_in: Option<Duration>,
    /// Expire at this time, RFC 3339 (e.g. 2027-01-31T00:00:00Z); at least 1 minute from now.
    #[arg(long, value_parser = timestamp)]
    pub(crate) expires_at: Option<DateTime<Utc>>,
    /// Create a token that never expires (must be asked for explicitly).
    #[arg(long)]
    pub(crate) no_expiry: bool,
}

/// What a new token may do: its scopes (at least one: Fastly's default would be `global`) and
/// the services it is limited to.
#[derive(Debug, Args)]
pub(crate) struct AccessArgs {
    /// Scope (repeat for several): global, global:read, purge_select, purge_all. Required.
    #[arg(long = "scope", required = true, value_parser = non_empty("--scope"))]
    pub(crate) scopes: Vec<String>,
    /// Service id to limit the token to (repeat for several; default: all services).
    #[arg(long = "service", value_parser = non_empty("--service"))]
    pub(crate) services: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// Token name.
    #[arg(long, value_parser = non_empty("--name"))]
    pub(crate) name: String,
    #[command(flatten)]
    pub(crate) access: AccessArgs,
    #[command(flatten)]
    pub(crate) expiry: ExpiryArgs,
    #[command(flatten)]
    pub(crate) credentials: CredentialArgs,
}

#[derive(Debug, Args)]
pub(crate) struct AutomationCreateArgs {
    /// Token name.
    #[arg(long, value_parser = non_empty("--name"))]
    pub(crate) name: String,
    /// Role: engineer, billing, user, tls_admin, tls_viewer (default: Fastly's).
    #[arg(long, value_parser = non_empty("--role"))]
    pub(crate) role: Option<String>,
    #[command(flatten)]
    pub(crate) access: AccessArgs,
    #[command(flatten)]
    pub(crate) expiry: ExpiryArgs,
    /// Allow the token to manage TLS.
    #[arg(long)]
    pub(crate) tls_access: bool,
    /// Your login, to enter sudo mode (creating needs it).
    #[arg(long, requires = "password_stdin", value_parser = non_empty("--username"))]
    pub(crate) username: Option<String>,
    /// Read your password from stdin: its first line (prompted without echo on a terminal).
    #[arg(long, requires = "username")]
    pub(crate) password_stdin: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ExecArgs {
    /// How long the token lives (at least 1 minute), e.g. 15m.
    #[arg(long, value_parser = duration)]
    pub(crate) ttl: Duration,
    #[command(flatten)]
    pub(crate) access: AccessArgs,
    /// The token's name.
    #[arg(long, default_value = "fastly-tokens exec", value_parser = non_empty("--name"))]
    pub(crate) name: String,
    #[command(flatten)]
    pub(crate) credentials: CredentialArgs,
    /// The command and its arguments, after `--`.
    #[arg(required = true, allow_hyphen_values = true, last = true)]
    pub(crate) command: Vec<String>,
}

/// How a user token is created: with a password (and a one-time code), or with the API token
/// in sudo mode.
#[derive(Debug, Args)]
pub(crate) struct CredentialArgs {
    /// Account login for username/password credentials (without it, the API token is used,
    /// which Fastly accepts only in sudo mode). Needs --password-stdin.
    #[arg(long, requires = "password_stdin", value_parser = non_empty("--username"))]
    pub(crate) username: Option<String>,
    /// Read the password from stdin: its first line only, so the rest stays for --otp-stdin and
    /// for `exec`'s command (prompted without echo on a terminal).
    #[arg(long, requires = "username")]
    pub(crate) password_stdin: bool,
    /// Current one-time code, for accounts with two-factor authentication. Visible in `ps` and
    /// to `exec`'s command: prefer --otp-stdin or FASTLY_OTP.
    #[arg(long, env = "FASTLY_OTP", hide_env_values = true, value_parser = non_empty("--otp"), conflicts_with = "otp_stdin")]
    pub(crate) otp: Option<String>,
    /// Read the one-time code from stdin: the line after the password (prompted on a
    /// terminal). Never visible in `ps`.
    #[arg(long)]
    pub(crate) otp_stdin: bool,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").required(true).args(["id", "current"])))]
pub(crate) struct RotateArgs {
    /// Id of the token to replace.
    pub(crate) id: Option<String>,
    /// Rotate the token in use (FASTLY_API_TOKEN); its new secret must replace it.
    #[arg(long, conflicts_with = "id")]
    pub(crate) current: bool,
    /// Lifetime of the new token, e.g. 90d. Default: the old token's lifetime (its expiry
    /// minus its creation), counted from now; a token without expiry needs --expires-in or
    /// --no-expiry.
    #[arg(long, value_parser = duration, conflicts_with = "no_expiry")]
    pub(crate) expires_in: Option<Duration>,
    /// The new token never expires.
    #[arg(long)]
    pub(crate) no_expiry: bool,
    /// Show what would be created and revoked, change nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Do not ask for confirmation (needed when not on a terminal).
    #[arg(long)]
    pub(crate) yes: bool,
    /// Write the new secret to this file instead of printing it: replaced atomically (never a
    /// partial file), synced, keeping an existing file's owner, group and mode (new files are
    /// 0600). A symlink is followed to the file it names. Checked before anything is created.
    #[arg(long, conflicts_with = "exec", value_name = "FILE")]
    pub(crate) write_to: Option<PathBuf>,
    /// Hand the new secret to this shell command on its stdin (never in its arguments or
    /// environment), e.g. `gh secret set FASTLY_API_TOKEN`. It must read the whole secret and
    /// exit 0 before the old token is revoked; otherwise the new token is revoked and the old
    /// one kept.
    #[arg(long, value_parser = non_empty("--exec"), value_name = "COMMAND")]
    pub(crate) exec: Option<String>,
    /// Keep the old token (revoke it later; the command to do so is printed).
    #[arg(long)]
    pub(crate) keep_old: bool,
    /// Rotate a token another user owns: the replacement belongs to you (the API token's
    /// user), not to them. Without it such a token is refused.
    #[arg(long)]
    pub(crate) change_owner: bool,
    #[command(flatten)]
    pub(crate) credentials: CredentialArgs,
}
