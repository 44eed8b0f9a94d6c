//! The `--json` documents. Each command prints exactly one on stdout; an error prints
//! [`ErrorDoc`] on stderr. Their JSON Schemas are committed in `schemas/`
//! (`fastly-tokens schema NAME`).

use chrono::{DateTime, Utc};
use fastly_tokens::Token;
use schemars::JsonSchema;
use serde::Serialize;

use crate::failure::TokenState;

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

/// `rotate` (dry runs included). `old` comes last: the document is written in two parts, the
/// new secret first and flushed before the old token is revoked, then what became of the old
/// token, so that a rotation never revokes a token before its replacement reached stdout.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RotateDoc {
    pub dry_run: bool,
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
    /// The token replaced: `revoked`, `already_gone`, `kept` (with `error` when revoking it
    /// failed), or `would_revoke` in a dry run.
    pub old: TokenResult,
}

/// What a rotation creates.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RotatePlan {
    /// The user who owns the old token.
    pub old_owner: String,
    /// The user who will own the new token: the API token's user.
    pub owner: String,
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

/// `plan`: one action per declared token and per token to revoke.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PlanDoc {
    /// Actions other than `ok`; the exit code is 10 when this is not 0.
    pub changes: usize,
    /// Non-read requests the changes take when nothing fails.
    pub writes: u32,
    pub actions: Vec<PlanAction>,
}

/// One action of a plan.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PlanAction {
    /// `create`, `rotate`, `revoke` or `ok`.
    pub action: &'static str,
    /// `user` or `automation`.
    pub kind: &'static str,
    pub name: String,
    /// The live token concerned: rotate, the one replaced; revoke, the one revoked; ok, the
    /// one kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub reason: String,
    /// Where a new secret goes (create, rotate): `file PATH` or `command CMD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliver: Option<String>,
}

/// `apply`: what was done to each token.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ApplyDoc {
    pub dry_run: bool,
    /// Non-read requests this run planned to send (compensating revokes after a failure come
    /// on top), and the cap it was given (`--max-writes`).
    pub writes: u32,
    pub max_writes: u32,
    /// Results that are `pending`: the next run does them.
    pub pending: usize,
    /// Results that are `failed`.
    pub failed: usize,
    pub results: Vec<ApplyResult>,
}

/// One token of an `apply`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ApplyResult {
    /// `create`, `rotate`, `revoke` or `ok`.
    pub action: &'static str,
    /// `user` or `automation`.
    pub kind: &'static str,
    pub name: String,
    /// `done`, `ok` (nothing to do), `failed`, `pending` (not attempted: --max-writes, a 429
    /// or a signal) or `would` (dry run).
    pub status: &'static str,
    /// The token replaced or revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_id: Option<String>,
    /// The token created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_id: Option<String>,
    /// Where the new secret went.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handed_to: Option<String>,
    /// Why the action was planned.
    pub reason: String,
    /// Why it failed or is pending; for a failure, every token it left and its state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<TokenState>,
}

/// An error under `--json`, on stderr.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorDoc {
    pub error: ErrorBody,
}

/// The error's class (its exit code's name), HTTP status, message, and the rate-limit reset.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorBody {
    /// `usage`, `auth`, `not_found`, `rate_limited`, `partial`, `network`, `server`, `local`
    /// or `interrupted` (a signal; `exit_code` is 128 + its number).
    pub class: String,
    pub exit_code: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub message: String,
    /// For a 429: when Fastly's hourly window resets (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit_reset: Option<DateTime<Utc>>,
    /// When a command that minted a token stopped before the end: every token it left
    /// behind (the new one and the one it replaces) and its state.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<TokenState>,
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
        "plan" => schemars::schema_for!(PlanDoc),
        "apply" => schemars::schema_for!(ApplyDoc),
        "triage" => schemars::schema_for!(TriageDoc),
        _ => return None,
    })
}

/// Every schema name, for `fastly-tokens schema --help` and the tests.
pub const SCHEMAS: [&str; 13] = [
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
    "plan",
    "apply",
    "triage",
];

/// What `triage` found out about one leaked key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    /// It works, and is still live (no `--revoke`, the token in use, or stopped by a signal).
    Live,
    /// It worked, and this run revoked it (`via` says how).
    Revoked,
    /// Dry run: it works and would be revoked.
    WouldRevoke,
    /// It works, and revoking it failed (`error` says why); run again.
    RevokeFailed,
    /// Fastly does not accept it (401): revoked or expired.
    Dead,
    /// It could not be checked (`error` says why: a timeout, a network or server error).
    Unknown,
}

/// One distinct key of a `triage` report.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TriagedKey {
    /// The key's name: its first four characters, `..`, and the first 8 hex digits of its
    /// SHA-256. The same key has the same fingerprint in every run.
    pub fingerprint: String,
    pub status: KeyStatus,
    /// How it was revoked: `self` (with the key itself) or `by-id` (with your token, when the
    /// key may not revoke itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// Why it is unknown, why its revoke failed, or why a live key was not revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The token the key belongs to, as Fastly described it to the key itself (live keys).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
    /// `user`, `automation` or `session` (a browser session); absent when it could not be
    /// told (telling a user token from an automation token takes a token of yours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The scanners' rules or detectors that found it.
    pub rules: Vec<String>,
    /// Everywhere it was found, in the report's order.
    pub locations: Vec<crate::reports::Location>,
}

/// `triage`: every distinct Fastly key of a scanner's report.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TriageDoc {
    /// The report's format: `trufflehog`, `gitleaks` or `sarif`.
    pub format: String,
    /// Findings in the report, of every rule.
    pub findings: usize,
    /// Findings that are Fastly keys (a key found in two places counts twice).
    pub fastly_findings: usize,
    /// Findings of a Fastly rule whose value is not a whole key (redacted or cut): not checked.
    pub not_keys: usize,
    /// `--revoke --dry-run`.
    pub dry_run: bool,
    pub keys: Vec<TriagedKey>,
    pub live: usize,
    pub revoked: usize,
    pub would_revoke: usize,
    pub revoke_failed: usize,
    pub dead: usize,
    pub unknown: usize,
}
