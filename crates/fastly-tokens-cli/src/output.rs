//! Everything the CLI writes: terminal-safe text, tables, and the JSON documents with their
//! schemas.
//!
//! Two rules hold for every byte written here:
//! * **stdout may be closed** (`| head`): a write that fails with a broken pipe ends the command
//!   quietly (see [`Out`]) instead of panicking the way `println!` does;
//! * **server text is not trusted**: names, user agents and messages come from the server (or
//!   from whoever named a token), so [`clean`] escapes control and bidirectional-override
//!   characters before they reach a terminal, and table cells are cut to a width.

use std::borrow::Cow;
use std::io::Write;

use chrono::{DateTime, Utc};
use fastly_tokens::Token;
use schemars::JsonSchema;
use serde::Serialize;

use crate::{ExitClass, Failure};

/// Escapes what could drive a terminal: C0/C1 control characters (escape sequences, carriage
/// returns, bells) and the Unicode bidirectional overrides and isolates (which reorder what is
/// shown). Everything else is kept, so ordinary names print as they are.
pub fn clean(s: &str) -> Cow<'_, str> {
    fn unsafe_char(c: char) -> bool {
        c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    }
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`clean`], then cut to `max` characters with an ellipsis.
pub fn cell(s: &str, max: usize) -> String {
    let cleaned = clean(s);
    if cleaned.chars().count() <= max {
        return cleaned.into_owned();
    }
    let mut out: String = cleaned.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Writes a line on stderr; a closed stderr is ignored (there is nowhere left to report it).
pub fn err_line(text: impl AsRef<str>) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr
        .write_all(text.as_ref().as_bytes())
        .and_then(|()| stderr.write_all(b"\n"));
}

/// stdout, where a closed pipe is an ordinary way for a command to end.
pub struct Out;

impl Out {
    /// Writes `text` and a newline.
    pub fn line(&self, text: impl AsRef<str>) -> Result<(), Failure> {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(text.as_ref().as_bytes())
            .and_then(|()| stdout.write_all(b"\n"))
            .and_then(|()| stdout.flush())
            .map_err(closed)
    }

    /// Writes one JSON document.
    pub fn json<T: Serialize>(&self, value: &T) -> Result<(), Failure> {
        let text = serde_json::to_string_pretty(value).map_err(|e| Failure {
            class: ExitClass::Other,
            message: format!("cannot encode the output as JSON: {e}"),
            ..Failure::default()
        })?;
        self.line(text)
    }
}

fn closed(e: std::io::Error) -> Failure {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Failure::closed_stdout()
    } else {
        Failure {
            class: ExitClass::Other,
            message: format!("cannot write to stdout: {e}"),
            ..Failure::default()
        }
    }
}

pub fn when(t: Option<DateTime<Utc>>, none: &str) -> String {
    t.map_or_else(
        || none.to_string(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

fn day(t: Option<DateTime<Utc>>, none: &str) -> String {
    t.map_or_else(|| none.to_string(), |t| t.format("%Y-%m-%d").to_string())
}

pub fn services(t: &Token) -> String {
    if t.is_unrestricted() {
        "all".to_string()
    } else {
        t.services()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

pub fn print_token(out: &Out, t: &Token) -> Result<(), Failure> {
    let rows = [
        ("name", clean(t.name()).into_owned()),
        ("id", t.id().to_string()),
        ("user", t.user_id().to_string()),
        (
            "customer",
            t.customer_id().map_or("-".to_string(), ToString::to_string),
        ),
        ("scopes", clean(t.scopes().as_str()).into_owned()),
        ("services", services(t)),
        ("created", when(Some(t.created_at()), "-")),
        ("last used", last_used(t.last_used_at(), t.ip())),
        (
            "user agent",
            clean(t.user_agent().unwrap_or("-")).into_owned(),
        ),
        ("expires", when(t.expires_at(), "never")),
    ];
    print_fields(out, &rows)
}

/// "when from where" for a token's last use.
fn last_used(at: Option<DateTime<Utc>>, ip: Option<&str>) -> String {
    match (at, ip) {
        (Some(at), Some(ip)) => format!("{} from {}", when(Some(at), ""), clean(ip)),
        (at, _) => when(at, "never"),
    }
}

/// `key  value` lines, the keys padded to one column.
fn print_fields(out: &Out, rows: &[(&str, String)]) -> Result<(), Failure> {
    for (k, v) in rows {
        out.line(format!("{}{v}", pad(k, 12)))?;
    }
    Ok(())
}

/// A table: the header, then the rows, each column as wide as its widest cell.
fn print_grid(out: &Out, header: &[&str], rows: &[Vec<String>]) -> Result<(), Failure> {
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(rows) {
        let line: Vec<String> = row.iter().zip(&widths).map(|(c, w)| pad(c, *w)).collect();
        out.line(line.join("  ").trim_end())?;
    }
    Ok(())
}

/// `s` followed by spaces up to `width` characters. Written out rather than with `{:<w$}`:
/// format widths are capped at 65,535 and a longer name would panic.
fn pad(s: &str, width: usize) -> String {
    let len = s.chars().count();
    let mut out = String::with_capacity(s.len() + width.saturating_sub(len));
    out.push_str(s);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(len)));
    out
}

/// Widest a name is shown in a table; the whole name is in `show` and `--json`.
const NAME_WIDTH: usize = 40;

/// The token table; with `owner`, a USER column (for a customer's tokens).
pub fn print_table(out: &Out, tokens: &[Token], owner: bool) -> Result<(), Failure> {
    let mut header = vec!["NAME", "ID"];
    if owner {
        header.push("USER");
    }
    header.extend(["SCOPES", "SERVICES", "LAST USED", "EXPIRES"]);
    let rows: Vec<Vec<String>> = tokens
        .iter()
        .map(|t| {
            let mut row = vec![cell(t.name(), NAME_WIDTH), t.id().to_string()];
            if owner {
                row.push(t.user_id().to_string());
            }
            row.extend([
                cell(t.scopes().as_str(), NAME_WIDTH),
                if t.is_unrestricted() {
                    "all".to_string()
                } else {
                    t.services().len().to_string()
                },
                day(t.last_used_at(), "never"),
                day(t.expires_at(), "never"),
            ]);
            row
        })
        .collect();
    print_grid(out, &header, &rows)
}

/// One automation token, as `show` prints a user token.
pub fn print_automation(out: &Out, t: &fastly_tokens::AutomationToken) -> Result<(), Failure> {
    let services = if t.is_unrestricted() {
        "all".to_string()
    } else {
        t.services()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let rows = [
        ("name", clean(t.name()).into_owned()),
        ("id", t.id().to_string()),
        (
            "role",
            t.role()
                .map_or("-".to_string(), |r| clean(r.as_str()).into_owned()),
        ),
        ("scopes", clean(t.scopes().as_str()).into_owned()),
        ("services", services),
        (
            "creator",
            t.creator_id().map_or("-".to_string(), ToString::to_string),
        ),
        (
            "tls access",
            t.tls_access().map_or("-".to_string(), |b| {
                if b { "yes" } else { "no" }.to_string()
            }),
        ),
        ("created", when(Some(t.created_at()), "-")),
        ("last used", last_used(t.last_used_at(), t.ip())),
        (
            "user agent",
            clean(t.user_agent().unwrap_or("-")).into_owned(),
        ),
        ("expires", when(t.expires_at(), "never")),
    ];
    print_fields(out, &rows)
}

/// The automation token table.
pub fn print_automation_table(
    out: &Out,
    tokens: &[fastly_tokens::AutomationToken],
) -> Result<(), Failure> {
    let header = [
        "NAME",
        "ID",
        "ROLE",
        "SCOPES",
        "SERVICES",
        "LAST USED",
        "EXPIRES",
    ];
    let rows: Vec<Vec<String>> = tokens
        .iter()
        .map(|t| {
            vec![
                cell(t.name(), NAME_WIDTH),
                t.id().to_string(),
                t.role().map_or("-".to_string(), |r| cell(r.as_str(), 20)),
                cell(t.scopes().as_str(), NAME_WIDTH),
                if t.is_unrestricted() {
                    "all".to_string()
                } else {
                    t.services().len().to_string()
                },
                day(t.last_used_at(), "never"),
                day(t.expires_at(), "never"),
            ]
        })
        .collect();
    print_grid(out, &header, &rows)
}

// ---------------------------------------------------------------------------------------------
// JSON documents. Each command prints exactly one on stdout; an error prints [`ErrorDoc`] on
// stderr. Their JSON Schemas are committed in `schemas/` (`fastly-tokens schema NAME`).
// ---------------------------------------------------------------------------------------------

/// `create`: the new token and its secret (printed only here, once).
#[derive(Debug, Serialize, JsonSchema)]
pub struct CreatedDoc {
    /// The new token, with Fastly's field names; `null` only when Fastly's answer did not
    /// decode (then `warning` says why, and the secret is still here).
    pub token: Option<Token>,
    /// The new token's id (also in `token`), when known.
    pub token_id: Option<String>,
    /// The secret to use as `Fastly-Key`; Fastly returns it only once. Absent only from a
    /// `rotate` whose secret was handed to `--write-to` or `--exec` instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// Present when Fastly's answer did not fully decode: why (the token exists and works).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// What happened, or would happen, to one token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Revoked by this run.
    Revoked,
    /// Fastly did not know it (already revoked).
    AlreadyGone,
    /// Not revoked; `error` says why. Revoking again is safe.
    Failed,
    /// Dry run: would be revoked.
    WouldRevoke,
    /// Left as it was (rotate: the old token when the replacement could not be finished).
    Kept,
}

/// One token of a `revoke` or `rotate`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TokenResult {
    pub id: String,
    /// The token's name, when it is one of the tokens the API token can list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub status: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How it was revoked when that is not the bulk path: `self` (the leaked key revoked
    /// itself) or `by-id` (your token revoked it by id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

/// `revoke` (dry runs included): one result per distinct id, in input order.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RevokeDoc {
    pub dry_run: bool,
    pub results: Vec<TokenResult>,
    pub revoked: usize,
    pub already_gone: usize,
    pub failed: usize,
    pub would_revoke: usize,
    /// Ids given more than once (each is revoked once).
    pub duplicates: Vec<String>,
}

impl RevokeDoc {
    pub fn new(dry_run: bool, results: Vec<TokenResult>, duplicates: Vec<String>) -> Self {
        let count = |o: Outcome| results.iter().filter(|r| r.status == o).count();
        Self {
            dry_run,
            revoked: count(Outcome::Revoked),
            already_gone: count(Outcome::AlreadyGone),
            failed: count(Outcome::Failed),
            would_revoke: count(Outcome::WouldRevoke),
            results,
            duplicates,
        }
    }
}

/// `audit`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AuditDoc {
    pub audited: usize,
    pub now: String,
    pub findings: Vec<AuditEntry>,
}

/// The findings of one token.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AuditEntry {
    pub id: String,
    pub name: String,
    /// `user`, `automation` or `session` (a browser session).
    pub kind: String,
    /// The rules this token breaks: `expired`, `expiring_soon`, `never_used`, `unused`,
    /// `over_broad`, `expiry_required`, `max_lifetime`, `scope_not_allowed`,
    /// `services_required`, `ip_not_allowed`, `exception_expired`.
    pub findings: Vec<String>,
    /// Each finding with its explanation, in the order of `findings`.
    pub details: Vec<AuditFinding>,
}

/// One finding of `audit`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AuditFinding {
    pub rule: String,
    pub message: String,
}

/// `rotate` (dry runs included).
#[derive(Debug, Serialize, JsonSchema)]
pub struct RotateDoc {
    pub dry_run: bool,
    /// The token replaced: `revoked`, `already_gone`, `kept` (with `error`), or
    /// `would_revoke` in a dry run.
    pub old: TokenResult,
    /// The replacement, with its secret; absent in a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<CreatedDoc>,
    /// The replacement's settings (dry run: what would be created).
    pub plan: RotatePlan,
    /// Whether the old token was the one in use: FASTLY_API_TOKEN must be replaced.
    pub replaces_token_in_use: bool,
    /// Where the new secret went instead of stdout (`--write-to FILE`, `--exec CMD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handed_to: Option<String>,
}

/// What a rotation creates.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RotatePlan {
    pub name: String,
    pub scope: String,
    pub services: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// `automation create`: the new automation token and its secret (printed only here, once).
#[derive(Debug, Serialize, JsonSchema)]
pub struct AutomationCreatedDoc {
    /// The new token; `null` only when Fastly's answer did not decode.
    pub token: Option<fastly_tokens::AutomationToken>,
    /// The new token's id, when known.
    pub token_id: Option<String>,
    /// The secret to use as `Fastly-Key`; Fastly returns it only once.
    pub access_token: String,
    /// Present when Fastly's answer did not fully decode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// An error under `--json`, on stderr.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorDoc {
    pub error: ErrorBody,
}

/// The error's class (its exit code's name), HTTP status, message, and the rate-limit reset.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorBody {
    /// `usage`, `auth`, `not_found`, `rate_limited`, `partial`, `network` or `server`.
    pub class: String,
    pub exit_code: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub message: String,
    /// For a 429: when Fastly's hourly window resets (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit_reset: Option<DateTime<Utc>>,
}

/// The JSON Schema of each document, by name (`fastly-tokens schema NAME`).
pub fn schema(name: &str) -> Option<schemars::Schema> {
    Some(match name {
        "token" => schemars::schema_for!(Token),
        "list" => schemars::schema_for!(Vec<Token>),
        "create" => schemars::schema_for!(CreatedDoc),
        "revoke" => schemars::schema_for!(RevokeDoc),
        "audit" => schemars::schema_for!(AuditDoc),
        "rotate" => schemars::schema_for!(RotateDoc),
        "error" => schemars::schema_for!(ErrorDoc),
        "automation-token" => schemars::schema_for!(fastly_tokens::AutomationToken),
        "automation-list" => schemars::schema_for!(Vec<fastly_tokens::AutomationToken>),
        "automation-create" => schemars::schema_for!(AutomationCreatedDoc),
        _ => return None,
    })
}

/// Every schema name, for `fastly-tokens schema --help` and the tests.
pub const SCHEMAS: [&str; 10] = [
    "token",
    "list",
    "create",
    "revoke",
    "audit",
    "rotate",
    "error",
    "automation-token",
    "automation-list",
    "automation-create",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_escapes_what_drives_a_terminal_and_keeps_the_rest() {
        assert_eq!(clean("deploy-ci été 🚀"), "deploy-ci été 🚀");
        assert_eq!(
            clean("evil\u{1b}[2J\u{1b}[31m"),
            "evil\\u{1b}[2J\\u{1b}[31m"
        );
        assert_eq!(clean("a\rb\u{7}"), "a\\u{d}b\\u{7}");
        assert_eq!(clean("x\u{202E}gpj.exe"), "x\\u{202e}gpj.exe");
        assert_eq!(clean("\u{9b}31m"), "\\u{9b}31m");
    }

    #[test]
    fn cells_are_cut_and_padding_never_uses_format_widths() {
        let long = "n".repeat(70_000);
        assert_eq!(cell(&long, 10).chars().count(), 10);
        assert_eq!(pad(&long, 80_000).chars().count(), 80_000);
        assert_eq!(pad("ab", 4), "ab  ");
    }
}
