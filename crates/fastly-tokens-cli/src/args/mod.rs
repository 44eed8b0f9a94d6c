//! The command line: every flag and command, with help text and examples. Checks clap can make
//! (flags required together, value lists, non-empty values) are made here, before anything runs.

mod declare;
mod mint;
mod triage;
mod values;

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};

use values::{duration, non_empty, timestamp};

pub(crate) use declare::{ApplyArgs, PlanArgs, UnattendedArgs};
pub(crate) use mint::{
    AccessArgs, AutomationCreateArgs, CreateArgs, CredentialArgs, ExecArgs, ExpiryArgs, RotateArgs,
};
pub(crate) use triage::TriageArgs;

const EXIT_CODES: &str = "\
Exit codes:
  0  success: everything the command promised happened (a read-only command also ends 0 when
     stdout is closed early, e.g. by `| head`)
  1  audit found something (audit only; also when stdout is closed early)
  2  usage: bad flags or input, refused or cancelled operation, or input Fastly rejected
     (400 invalid_scope, 422)
  3  authentication or permission: 401/403, or a wrong or missing one-time password
  4  not found (404)
  5  rate limited (429): retry after the reset time printed
  6  partial: a command that minted a token stopped before the end (stdout closed or full, a
     failed hand-off, a failed revoke): stderr names every token it left and its state
  7  network: could not connect, connection broke, or --timeout / --connect-timeout elapsed
  8  other server or protocol error (5xx, undecodable answer)
  9  local: stdout or a file could not be written (no space, I/O error)
  10 plan and apply: changes are pending (plan: the account differs from the file; apply:
     what did not fit in --max-writes, or was not reached after a 429)
  11 triage: a live leaked key was found and is still live (not revoked, or --dry-run)
  126, 127  exec: the command is not executable, or not found (its token was revoked)
  128+n  signal n (SIGHUP 129, SIGINT 130, SIGTERM 143): what was minted was revoked or named

With --json, every command prints one JSON document on stdout, and an error (usage errors
included) prints {\"error\": {\"class\", \"exit_code\", \"status\"?, \"message\",
\"rate_limit_reset\"?, \"tokens\"?}} on stderr. `fastly-tokens schema NAME` prints each
document's JSON Schema.";

/// Manage Fastly API tokens: list, inspect, audit, create, rotate and revoke.
///
/// The API token comes from --token, else FASTLY_API_TOKEN, else the Fastly CLI's stored token
/// (--profile NAME, or its default; ~/.config/fastly/config.toml). It is never printed. Try any
/// command without an account with --fake.
#[derive(Debug, Parser)]
#[command(name = "fastly-tokens", version, after_help = EXIT_CODES)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Args)]
pub(crate) struct Global {
    /// API token (prefer the FASTLY_API_TOKEN environment variable: flags show up in `ps`).
    #[arg(long, env = "FASTLY_API_TOKEN", hide_env_values = true, global = true)]
    pub(crate) token: Option<String>,

    /// Use this stored token of the Fastly CLI (its config file's `[auth.tokens.NAME]` or
    /// `[profile.NAME]`). Without it, and without --token or FASTLY_API_TOKEN, the Fastly
    /// CLI's default token is used when there is one.
    #[arg(long, global = true)]
    pub(crate) profile: Option<String>,

    /// API endpoint (the Fastly CLI's FASTLY_API_ENDPOINT variable is read too).
    #[arg(long, env = "FASTLY_API_ENDPOINT", default_value = fastly_tokens::DEFAULT_BASE_URL, global = true)]
    pub(crate) endpoint: String,

    /// Print one JSON document on stdout instead of text; errors (usage errors included) as
    /// JSON on stderr.
    #[arg(long, global = true)]
    pub(crate) json: bool,

    /// Run against an in-process fake Fastly with demo data (no account needed). Each
    /// invocation starts a fresh fake: what one command changes (a revoke, a create) is not
    /// seen by the next.
    #[arg(long, global = true)]
    pub(crate) fake: bool,

    /// Longest one API call may take, retries included (e.g. 30s, 2m).
    #[arg(long, global = true, default_value = "60s", value_parser = duration)]
    pub(crate) timeout: Duration,

    /// Longest connecting to the API may take.
    #[arg(long, global = true, default_value = "10s", value_parser = duration)]
    pub(crate) connect_timeout: Duration,

    /// Pretend the current time is this (RFC 3339); with --fake it also sets the fake's clock.
    /// For reproducible output in tests and demos.
    #[arg(long, global = true, hide = true, env = "FASTLY_TOKENS_NOW", value_parser = timestamp)]
    pub(crate) now: Option<DateTime<Utc>>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
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
        #[arg(long, value_parser = non_empty("--customer"))]
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
    /// --expires-in, --expires-at, or --no-expiry for a token that never expires. If the
    /// secret cannot be written to stdout (closed, full), the new token is revoked (exit 6).
    #[command(
        after_help = "Example:\n  printf '%s' \"$PASSWORD\" | fastly-tokens create --name ci-purge --scope purge_select \\\n      --service 4aXkQ2mXbV1yQp0tR9sT7e --expires-in 90d --username me@example.com \\\n      --password-stdin --otp-stdin"
    )]
    Create(CreateArgs),

    /// Revoke tokens by id, from a file, the token in use (--current), a user's (--user) or a
    /// leaked key's (--secret-stdin).
    ///
    /// Duplicates are revoked once. Asks for confirmation on a terminal, needs --yes
    /// elsewhere; --dry-run shows what would be revoked.
    #[command(
        after_help = "Example:\n  fastly-tokens revoke 3krg2uUGZzb2W9Euo4moOY --yes\n  fastly-tokens revoke --from-file stale-ids.txt --dry-run\n  fastly-tokens revoke --current --yes\n  fastly-tokens revoke --user 1tSCjJnpQYBBCAsIfI6pX0 --dry-run      # offboarding\n  printf '%s' \"$LEAKED\" | fastly-tokens revoke --secret-stdin --yes   # a leaked key"
    )]
    Revoke(RevokeArgs),

    /// Report tokens never used, unused for long, expired, expiring soon, or over-broad, or
    /// check every token against a policy file (--policy). Browser sessions are their own
    /// kind. Exits 1 when there are findings (also when stdout is closed early), 2 when the
    /// policy file is wrong, so it can gate CI.
    #[command(
        after_help = "Example:\n  fastly-tokens audit --unused-for 90d --expiring-within 14d\n  fastly-tokens audit --policy token-policy.toml --junit audit.xml\n  fastly-tokens --fake audit --json\n\nThe policy format is in the README (\"Token policy\")."
    )]
    Audit(AuditArgs),

    /// Replace an API token by a new one with the same name, scopes and services: create it,
    /// check it works, deliver its secret (stdout, --write-to or --exec), then revoke the old.
    ///
    /// The old token is revoked only after the new secret was delivered; if delivery fails,
    /// or a signal arrives before it, the new token is revoked and the old one kept. Browser
    /// sessions are refused, and so are the token in use (unless --current) and another
    /// user's token (unless --change-owner). Asks for confirmation on a terminal, needs --yes
    /// elsewhere; --dry-run shows the plan.
    #[command(
        after_help = "Example:\n  printf '%s' \"$PASSWORD\" | fastly-tokens rotate 3krg2uUGZzb2W9Euo4moOY --expires-in 90d \\\n      --username me@example.com --password-stdin --otp-stdin --yes\n  fastly-tokens rotate --current --dry-run"
    )]
    Rotate(RotateArgs),

    /// Automation tokens: list, show, create (superuser, sudo), revoke.
    ///
    /// With --fake, these commands run as the fake's superuser (root).
    #[command(subcommand)]
    Automation(AutomationCommand),

    /// Run a command with a short-lived token: created to expire after --ttl, given to the
    /// command in FASTLY_API_TOKEN, revoked when the command ends, however it ends.
    ///
    /// The command runs in its own process group (with the terminal, when there is one), so
    /// a Ctrl-C reaches it once; SIGINT, SIGTERM and SIGHUP sent to fastly-tokens are passed
    /// on to it. Exits with the command's status (127 not found, 126 not executable), or
    /// 128+n when fastly-tokens itself received signal n.
    #[command(
        after_help = "Example:\n  printf '%s\\n%s\\n' \"$PASSWORD\" \"$OTP\" | fastly-tokens exec --ttl 15m --scope purge_select \\\n      --username me@example.com --password-stdin --otp-stdin -- fastly purge --all --service-id SID"
    )]
    Exec(ExecArgs),

    /// Compare the account with a file declaring which tokens should exist: one action per
    /// token (create, rotate, revoke, ok) and why. Exits 10 when there are changes, 0 when
    /// none. Reads only.
    #[command(
        after_help = "Example:\n  fastly-tokens plan -f tokens.toml\n  fastly-tokens plan -f tokens.toml --json\n\nThe file format is in the README (\"Tokens as code\")."
    )]
    Plan(PlanArgs),

    /// Make the account match the file: create what is missing, rotate what expires or
    /// drifted (each new secret delivered to its file or command before the old token is
    /// revoked), revoke what [prune] matches. Asks for confirmation on a terminal, needs
    /// --yes elsewhere. The password comes from FASTLY_PASSWORD or --password-file, a one-time
    /// code from FASTLY_TOTP_SECRET or --totp-secret-file: nothing secret on the command line.
    #[command(
        after_help = "Example:\n  FASTLY_USERNAME=ci@example.com FASTLY_PASSWORD=... \\\n      fastly-tokens apply -f tokens.toml --yes --max-writes 100"
    )]
    Apply(ApplyArgs),

    /// Check every Fastly key a secret scanner found (TruffleHog, gitleaks, SARIF): live or
    /// dead, whose token, what it can do, where it was found; with --revoke, kill the live
    /// ones.
    ///
    /// Keys are never printed: each is named by a fingerprint (its first four characters and
    /// a short hash) that stays the same across runs. Exits 11 when a live key is left live, 6
    /// when a revoke failed, 2 when the report cannot be read.
    #[command(
        after_help = "Example:\n  trufflehog git file://. --json | fastly-tokens triage -\n  gitleaks detect --report-format sarif --report-path leaks.sarif\n  fastly-tokens triage leaks.sarif --revoke --yes --sarif fastly-keys.sarif"
    )]
    Triage(TriageArgs),

    /// Leaked-key triage: whose token is this secret? Reads the key from stdin (never an
    /// argument) and shows the token it belongs to, using the key itself on `/tokens/self`.
    ///
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
    /// automation-create, plan, apply, error.
    #[command(after_help = "Example:\n  fastly-tokens schema revoke > revoke.schema.json")]
    Schema {
        /// Which document.
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(crate::docs::SCHEMAS))]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AutomationCommand {
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
pub(crate) struct RevokeArgs {
    /// Token ids.
    pub(crate) ids: Vec<String>,
    /// Revoke the token in use (also needed with --secret-stdin when the key is the one in
    /// use).
    #[arg(long, conflicts_with_all = ["ids", "from_file"])]
    pub(crate) current: bool,
    /// Read ids from a file, one per line (`-` for stdin; `#` comments and blank lines ignored).
    #[arg(long, value_parser = non_empty("--from-file"))]
    pub(crate) from_file: Option<String>,
    /// Offboarding: every token of this user (from the customer's token list).
    #[arg(long, conflicts_with_all = ["ids", "from_file", "current", "secret_stdin"], value_parser = non_empty("--user"))]
    pub(crate) user: Option<String>,
    /// With --user: the customer whose tokens to list (default: the token in use's).
    #[arg(long, requires = "user", value_parser = non_empty("--customer"))]
    pub(crate) customer: Option<String>,
    /// With --user: leave the user's manage.fastly.com browser sessions alone.
    #[arg(long, requires = "user")]
    pub(crate) keep_sessions: bool,
    /// Leaked-key triage: revoke the token whose secret is read from stdin (never an argument),
    /// through `DELETE /tokens/self` with that key, or by id with your own token when the
    /// leaked key may not revoke itself.
    #[arg(long, conflicts_with_all = ["ids", "from_file"])]
    pub(crate) secret_stdin: bool,
    /// Show what would be revoked, revoke nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Do not ask for confirmation (needed when not on a terminal).
    #[arg(long)]
    pub(crate) yes: bool,
}

/// Which tokens `audit` looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AuditKind {
    /// User tokens, browser sessions included.
    User,
    /// Automation tokens.
    Automation,
    /// Both (automation tokens are skipped with a note when the API token may not list them).
    All,
}

#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// A token last used longer ago than this is reported [default: 90d].
    #[arg(long, value_parser = duration, conflicts_with = "policy")]
    pub(crate) unused_for: Option<Duration>,
    /// A token expiring within this is reported [default: 14d].
    #[arg(long, value_parser = duration, conflicts_with = "policy")]
    pub(crate) expiring_within: Option<Duration>,
    /// Check against this TOML policy instead of the flags above.
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: Option<PathBuf>,
    /// Also write the result as JUnit XML (one test case per token) to FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) junit: Option<PathBuf>,
    /// Audit every token of this customer instead of your own.
    #[arg(long, value_parser = non_empty("--customer"))]
    pub(crate) customer: Option<String>,
    /// Which tokens.
    #[arg(long, value_enum, default_value_t = AuditKind::All)]
    pub(crate) kind: AuditKind,
}
