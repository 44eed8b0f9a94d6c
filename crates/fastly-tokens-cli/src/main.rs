//! `fastly-tokens`: Fastly API token hygiene from the terminal and from CI.
//!
//! Every command goes through the public `fastly-tokens` crate; there is no second HTTP path.
//! Exit codes are documented in [`ExitClass`] and in `--help`.

mod automation;
mod commands;
mod errors;
mod exec;
mod output;
mod policy;
mod profile;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{ArgGroup, Args, Parser, Subcommand};

const EXIT_CODES: &str = "\
Exit codes:
  0  success (also when stdout is closed early, e.g. by `| head`)
  1  audit found something (audit only)
  2  usage: bad flags or input, refused or cancelled operation, or input Fastly rejected
     (400 invalid_scope, 422)
  3  authentication or permission: 401/403, or a wrong or missing one-time password
  4  not found (404)
  5  rate limited (429): retry after the reset time printed
  6  partial: some ids were not revoked, rotate did not finish, a token was created but its
     answer was incomplete, or stdout closed before a new secret was written
  7  network: could not connect, connection broke, or --timeout / --connect-timeout elapsed
  8  other server or protocol error (5xx, undecodable answer)

With --json, every command prints one JSON document on stdout, and an error prints
{\"error\": {\"class\", \"exit_code\", \"status\"?, \"message\", \"rate_limit_reset\"?}} on stderr.
`fastly-tokens schema NAME` prints each document's JSON Schema.";

/// Manage Fastly API tokens: list, inspect, audit, create, rotate and revoke.
///
/// The API token comes from --token, else FASTLY_API_TOKEN, else the Fastly CLI's stored token
/// (--profile NAME, or its default; ~/.config/fastly/config.toml). It is never printed. Try any
/// command without an account with --fake.
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

    /// Use this stored token of the Fastly CLI (its config file's `[auth.tokens.NAME]` or
    /// `[profile.NAME]`). Without it, and without --token or FASTLY_API_TOKEN, the Fastly
    /// CLI's default token is used when there is one.
    #[arg(long, global = true)]
    profile: Option<String>,

    /// API endpoint (the Fastly CLI's FASTLY_API_ENDPOINT variable is read too).
    #[arg(long, env = "FASTLY_API_ENDPOINT", default_value = fastly_tokens::DEFAULT_BASE_URL, global = true)]
    endpoint: String,

    /// Print one JSON document on stdout instead of text; errors as JSON on stderr.
    #[arg(long, global = true)]
    json: bool,

    /// Run against an in-process fake Fastly with demo data (no account needed). Each
    /// invocation starts a fresh fake: what one command changes (a revoke, a create) is not
    /// seen by the next.
    #[arg(long, global = true)]
    fake: bool,

    /// Longest one API call may take, retries included (e.g. 30s, 2m).
    #[arg(long, global = true, default_value = "60s", value_parser = duration)]
    timeout: Duration,

    /// Longest connecting to the API may take.
    #[arg(long, global = true, default_value = "10s", value_parser = duration)]
    connect_timeout: Duration,

    /// Pretend the current time is this (RFC 3339); with --fake it also sets the fake's clock.
    /// For reproducible output in tests and demos.
    #[arg(long, global = true, hide = true, env = "FASTLY_TOKENS_NOW", value_parser = timestamp)]
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
        /// List every token of this customer (needs the right role); adds a USER column.
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
    ///
    /// At least one --scope is required (Fastly would default to `global`), and an expiry:
    /// --expires-in, --expires-at, or --no-expiry for a token that never expires.
    #[command(
        after_help = "Example:\n  printf '%s' \"$PASSWORD\" | fastly-tokens create --name ci-purge --scope purge_select \\\n      --service 4aXkQ2mXbV1yQp0tR9sT7e --expires-in 90d --username me@example.com \\\n      --password-stdin --otp 123456"
    )]
    Create(CreateArgs),

    /// Revoke tokens by id, from a file, or the token in use (--current).
    ///
    /// Duplicates are revoked once. Asks for confirmation on a terminal, needs --yes
    /// elsewhere; --dry-run shows what would be revoked.
    #[command(
        after_help = "Example:\n  fastly-tokens revoke 3krg2uUGZzb2W9Euo4moOY --yes\n  fastly-tokens revoke --from-file stale-ids.txt --dry-run\n  fastly-tokens revoke --current --yes\n  fastly-tokens revoke --user 1tSCjJnpQYBBCAsIfI6pX0 --dry-run      # offboarding\n  printf '%s' \"$LEAKED\" | fastly-tokens revoke --secret-stdin --yes   # a leaked key"
    )]
    Revoke(RevokeArgs),

    /// Report tokens never used, unused for long, expired, expiring soon, or over-broad, or
    /// check every token against a policy file (--policy). Browser sessions are their own
    /// kind. Exits 1 when there are findings, 2 when the policy file is wrong, so it can gate CI.
    #[command(
        after_help = "Example:\n  fastly-tokens audit --unused-for 90d --expiring-within 14d\n  fastly-tokens audit --policy token-policy.toml --junit audit.xml\n  fastly-tokens --fake audit --json\n\nThe policy format is in the README (\"Token policy\")."
    )]
    Audit {
        /// A token last used longer ago than this is reported [default: 90d].
        #[arg(long, value_parser = duration, conflicts_with = "policy")]
        unused_for: Option<Duration>,
        /// A token expiring within this is reported [default: 14d].
        #[arg(long, value_parser = duration, conflicts_with = "policy")]
        expiring_within: Option<Duration>,
        /// Check against this TOML policy instead of the flags above.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// Also write the result as JUnit XML (one test case per token) to FILE.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Audit every token of this customer instead of your own.
        #[arg(long)]
        customer: Option<String>,
        /// Which tokens: user (browser sessions included), automation, or all (automation
        /// tokens are skipped with a note when the API token may not list them).
        #[arg(long, default_value = "all", value_parser = ["user", "automation", "all"])]
        kind: String,
    },

    /// Replace an API token by a new one with the same name, scopes and services, check the
    /// new one works, print it, then revoke the old one.
    ///
    /// Browser sessions are refused. The token in use is refused unless --current is given
    /// (then FASTLY_API_TOKEN must be replaced by the new secret). Asks for confirmation on a
    /// terminal, needs --yes elsewhere; --dry-run shows the plan.
    #[command(
        after_help = "Example:\n  printf '%s' \"$PASSWORD\" | fastly-tokens rotate 3krg2uUGZzb2W9Euo4moOY --expires-in 90d \\\n      --username me@example.com --password-stdin --otp 123456 --yes\n  fastly-tokens rotate --current --dry-run"
    )]
    Rotate(RotateArgs),

    /// Automation tokens: list, show, create (superuser, sudo), revoke.
    ///
    /// With --fake, these commands run as the fake's superuser (root).
    #[command(subcommand)]
    Automation(AutomationCommand),

    /// Run a command with a short-lived token: created to expire after --ttl, given to the
    /// command in FASTLY_API_TOKEN, revoked when the command ends (success, failure, or
    /// SIGINT/SIGTERM, which are forwarded to it). Exits with the command's status.
    #[command(
        after_help = "Example:\n  printf '%s' \"$PASSWORD\" | fastly-tokens exec --ttl 15m --scope purge_select \\\n      --username me@example.com --password-stdin --otp 123456 -- fastly purge --all --service-id SID"
    )]
    Exec(ExecArgs),

    /// Leaked-key triage: whose token is this secret? Reads the key from stdin (never an
    /// argument) and shows the token it belongs to, using the key itself on `/tokens/self`.
    /// The key is never printed.
    #[command(
        after_help = "Example:\n  pbpaste | fastly-tokens whois --secret-stdin\n  printf '%s' \"$LEAKED\" | fastly-tokens revoke --secret-stdin --yes"
    )]
    Whois {
        /// Read the secret from stdin (required: a secret never goes in an argument).
        #[arg(long, required = true)]
        secret_stdin: bool,
    },

    /// Print a shell completion script: bash, zsh, fish, elvish, powershell.
    #[command(
        after_help = "Example:\n  fastly-tokens completions bash > ~/.local/share/bash-completion/completions/fastly-tokens\n  fastly-tokens completions zsh > ~/.zfunc/_fastly-tokens"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },

    /// Print the man page (roff), generated from this command's own help.
    #[command(
        after_help = "Example:\n  fastly-tokens man > ~/.local/share/man/man1/fastly-tokens.1"
    )]
    Man,

    /// Print the JSON Schema of a `--json` document: token (current, show), list, create,
    /// revoke, audit, rotate, automation-token (automation show), automation-list,
    /// automation-create, error.
    #[command(after_help = "Example:\n  fastly-tokens schema revoke > revoke.schema.json")]
    Schema {
        /// Which document.
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(output::SCHEMAS))]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum AutomationCommand {
    /// List the customer's automation tokens (every page), sorted by name.
    #[command(
        after_help = "Example:\n  fastly-tokens automation list\n  fastly-tokens --fake automation list --json"
    )]
    List,
    /// Show one automation token.
    #[command(after_help = "Example:\n  fastly-tokens automation show 7i6HN3TK9wS159v2gPAZ8A")]
    Show {
        /// Automation token id.
        id: String,
    },
    /// Create an automation token (superuser only; enters sudo mode with your password first).
    /// Its secret is printed once.
    ///
    /// At least one --scope is required, and an expiry (--expires-in, --expires-at, or
    /// --no-expiry). Accounts with two-factor authentication or forced SSO cannot create them.
    #[command(
        after_help = "Example:\n  printf '%s' \"$PASSWORD\" | fastly-tokens automation create --name ci-deploy --role engineer \\\n      --scope purge_select --service 4aXkQ2mXbV1yQp0tR9sT7e --expires-in 90d \\\n      --username admin@example.com --password-stdin"
    )]
    Create(AutomationCreateArgs),
    /// Revoke automation tokens by id (through Fastly's `DELETE /tokens/{id}`).
    #[command(
        after_help = "Example:\n  fastly-tokens automation revoke 7i6HN3TK9wS159v2gPAZ8A --dry-run\n  fastly-tokens automation revoke 7i6HN3TK9wS159v2gPAZ8A --yes"
    )]
    Revoke {
        /// Automation token ids.
        #[arg(required = true)]
        ids: Vec<String>,
        /// Show what would be revoked, revoke nothing.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask for confirmation (needed when not on a terminal).
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("expiry").required(true).args(["expires_in", "expires_at", "no_expiry"])))]
struct AutomationCreateArgs {
    /// Token name.
    #[arg(long)]
    name: String,
    /// Role: engineer, billing, user, tls_admin, tls_viewer (default: Fastly's).
    #[arg(long, value_parser = non_empty("--role"))]
    role: Option<String>,
    /// Scope (repeat for several): global, global:read, purge_select, purge_all. Required.
    #[arg(long = "scope", required = true, value_parser = non_empty("--scope"))]
    scopes: Vec<String>,
    /// Service id to limit the token to (repeat for several; default: all services).
    #[arg(long = "service", value_parser = non_empty("--service"))]
    services: Vec<String>,
    /// Expire after this long, e.g. 90d (at least 1 minute).
    #[arg(long, value_parser = duration)]
    expires_in: Option<Duration>,
    /// Expire at this time, RFC 3339; at least 1 minute from now.
    #[arg(long, value_parser = timestamp)]
    expires_at: Option<DateTime<Utc>>,
    /// Create a token that never expires (must be asked for explicitly).
    #[arg(long)]
    no_expiry: bool,
    /// Allow the token to manage TLS.
    #[arg(long)]
    tls_access: bool,
    /// Your login, to enter sudo mode (creating needs it).
    #[arg(long)]
    username: Option<String>,
    /// Read your password from stdin (prompted without echo on a terminal).
    #[arg(long, requires = "username")]
    password_stdin: bool,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("expiry").required(true).args(["expires_in", "expires_at", "no_expiry"])))]
struct CreateArgs {
    /// Token name.
    #[arg(long)]
    name: String,
    /// Scope (repeat for several): global, global:read, purge_select, purge_all. Required.
    #[arg(long = "scope", required = true, value_parser = non_empty("--scope"))]
    scopes: Vec<String>,
    /// Service id to limit the token to (repeat for several; default: all services).
    #[arg(long = "service", value_parser = non_empty("--service"))]
    services: Vec<String>,
    /// Expire after this long, e.g. 90d (at least 1 minute).
    #[arg(long, value_parser = duration)]
    expires_in: Option<Duration>,
    /// Expire at this time, RFC 3339 (e.g. 2027-01-31T00:00:00Z); at least 1 minute from now.
    #[arg(long, value_parser = timestamp)]
    expires_at: Option<DateTime<Utc>>,
    /// Create a token that never expires (must be asked for explicitly).
    #[arg(long)]
    no_expiry: bool,
    #[command(flatten)]
    credentials: CredentialArgs,
}

#[derive(Debug, Args)]
struct ExecArgs {
    /// How long the token lives (at least 1 minute), e.g. 15m.
    #[arg(long, value_parser = duration)]
    ttl: Duration,
    /// Scope (repeat for several). Required.
    #[arg(long = "scope", required = true, value_parser = non_empty("--scope"))]
    scopes: Vec<String>,
    /// Service id to limit the token to (repeat for several; default: all services).
    #[arg(long = "service", value_parser = non_empty("--service"))]
    services: Vec<String>,
    /// The token's name.
    #[arg(long, default_value = "fastly-tokens exec")]
    name: String,
    #[command(flatten)]
    credentials: CredentialArgs,
    /// The command and its arguments, after `--`.
    #[arg(required = true, allow_hyphen_values = true, last = true)]
    command: Vec<String>,
}

#[derive(Debug, Args)]
struct CredentialArgs {
    /// Account login for username/password credentials (without it, the API token is used,
    /// which Fastly accepts only in sudo mode).
    #[arg(long)]
    username: Option<String>,
    /// Read the password from stdin (prompted without echo on a terminal).
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
    /// Offboarding: every token of this user (from the customer's token list).
    #[arg(long, conflicts_with_all = ["ids", "from_file", "current", "secret_stdin"])]
    user: Option<String>,
    /// With --user: the customer whose tokens to list (default: the token in use's).
    #[arg(long, requires = "user")]
    customer: Option<String>,
    /// With --user: leave the user's manage.fastly.com browser sessions alone.
    #[arg(long, requires = "user")]
    keep_sessions: bool,
    /// Leaked-key triage: revoke the token whose secret is read from stdin (never an argument),
    /// through `DELETE /tokens/self` with that key, or by id with your own token when the
    /// leaked key may not revoke itself.
    #[arg(long, conflicts_with_all = ["ids", "from_file", "current"])]
    secret_stdin: bool,
    /// Show what would be revoked, revoke nothing.
    #[arg(long)]
    dry_run: bool,
    /// Do not ask for confirmation (needed when not on a terminal).
    #[arg(long)]
    yes: bool,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").required(true).args(["id", "current"])))]
struct RotateArgs {
    /// Id of the token to replace.
    id: Option<String>,
    /// Rotate the token in use (FASTLY_API_TOKEN); its new secret must replace it.
    #[arg(long)]
    current: bool,
    /// Lifetime of the new token, e.g. 90d. Default: the old token's lifetime (its expiry
    /// minus its creation), counted from now; a token without expiry needs --expires-in or
    /// --no-expiry.
    #[arg(long, value_parser = duration, conflicts_with = "no_expiry")]
    expires_in: Option<Duration>,
    /// The new token never expires.
    #[arg(long)]
    no_expiry: bool,
    /// Show what would be created and revoked, change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Do not ask for confirmation (needed when not on a terminal).
    #[arg(long)]
    yes: bool,
    /// Write the new secret to this file instead of printing it (created 0600, replaced
    /// atomically: never a partial file). The old token is revoked only if this succeeds.
    #[arg(long, conflicts_with = "exec")]
    write_to: Option<PathBuf>,
    /// Hand the new secret to this shell command on its stdin (never in its arguments or
    /// environment), e.g. `gh secret set FASTLY_API_TOKEN`. It must exit 0 before the old token
    /// is revoked; otherwise the new token is revoked and the old one kept.
    #[arg(long)]
    exec: Option<String>,
    /// Keep the old token (revoke it later; the command to do so is printed).
    #[arg(long)]
    keep_old: bool,
    #[command(flatten)]
    credentials: CredentialArgs,
}

fn duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (examples: 90d, 12h, 2w, 30s)"))
}

fn timestamp(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{e}: expected an RFC 3339 time such as 2027-01-31T00:00:00Z"))
}

/// A value parser refusing empty and whitespace-only values (an unset shell variable).
fn non_empty(flag: &'static str) -> impl Fn(&str) -> Result<String, String> + Clone {
    move |s: &str| {
        if s.trim().is_empty() {
            Err(format!(
                "{flag} is empty (an unset shell variable?); give a value"
            ))
        } else {
            Ok(s.to_string())
        }
    }
}

/// The class of an outcome, and its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExitClass {
    #[default]
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
    /// The name used in JSON errors.
    pub fn name(self) -> &'static str {
        match self {
            ExitClass::Success => "success",
            ExitClass::Findings => "findings",
            ExitClass::Usage => "usage",
            ExitClass::Auth => "auth",
            ExitClass::NotFound => "not_found",
            ExitClass::RateLimited => "rate_limited",
            ExitClass::Partial => "partial",
            ExitClass::Network => "network",
            ExitClass::Other => "server",
        }
    }
}

/// A failure of a command: a message for stderr, its exit class, and facts for `--json`.
#[derive(Debug, Default)]
pub struct Failure {
    pub class: ExitClass,
    pub message: String,
    pub status: Option<u16>,
    pub rate_limit_reset: Option<DateTime<Utc>>,
    /// stdout was closed: end without a message.
    pub quiet: bool,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            class: ExitClass::Usage,
            message: message.into(),
            ..Failure::default()
        }
    }

    pub fn closed_stdout() -> Self {
        Failure {
            quiet: true,
            ..Failure::default()
        }
    }

    /// The same failure with more to say (what state things are in, what to run).
    pub fn context(mut self, more: impl std::fmt::Display) -> Self {
        if !self.quiet {
            self.message = format!("{}{more}", self.message);
        }
        self
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.global.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            output::err_line(format!("error: cannot start the async runtime: {e}"));
            return ExitCode::from(ExitClass::Other as u8);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(failure) if failure.quiet => ExitCode::from(failure.class as u8),
        Err(failure) => {
            report(&failure, json);
            ExitCode::from(failure.class as u8)
        }
    }
}

/// Writes a failure on stderr: one line of text, or the JSON error document.
fn report(failure: &Failure, json: bool) {
    if json {
        let doc = output::ErrorDoc {
            error: output::ErrorBody {
                class: failure.class.name().to_string(),
                exit_code: failure.class as u8,
                status: failure.status,
                message: failure.message.clone(),
                rate_limit_reset: failure.rate_limit_reset,
            },
        };
        if let Ok(text) = serde_json::to_string(&doc) {
            output::err_line(text);
            return;
        }
    }
    output::err_line(format!("error: {}", output::clean(&failure.message)));
}
