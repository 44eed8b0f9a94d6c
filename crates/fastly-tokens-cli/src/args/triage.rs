//! The flags of `triage` (leaked keys from secret scanners' reports).

use std::path::PathBuf;

use clap::Args;
use clap::builder::TypedValueParser as _;

use crate::reports::Format;

/// Distinct keys checked by default; more is refused unless `--max-keys` says so.
pub(crate) const DEFAULT_MAX_KEYS: usize = 1000;

/// Keys checked (or revoked) at a time by default.
pub(crate) const DEFAULT_CONCURRENCY: usize = 8;

#[derive(Debug, Args)]
pub(crate) struct TriageArgs {
    /// The scanner's report: a file, or `-` for stdin. It is read, never copied or written.
    #[arg(value_name = "REPORT")]
    pub(crate) report: String,
    /// The report's format (detected from its content when not given).
    #[arg(long, value_enum)]
    pub(crate) format: Option<Format>,
    /// Revoke every live key found: with the key itself (`DELETE /tokens/self`), or by id
    /// with your token when the key may not revoke itself. Never the token in use.
    #[arg(long)]
    pub(crate) revoke: bool,
    /// With --revoke: show what would be revoked, revoke nothing.
    #[arg(long, requires = "revoke")]
    pub(crate) dry_run: bool,
    /// With --revoke: do not ask for confirmation (needed when there is no terminal).
    #[arg(long, requires = "revoke")]
    pub(crate) yes: bool,
    /// Also write the results as SARIF 2.1.0 to this file (for GitHub code scanning).
    #[arg(long, value_name = "FILE")]
    pub(crate) sarif: Option<PathBuf>,
    /// Keys checked (and revoked) at a time, 1 to 64.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY,
          value_parser = clap::value_parser!(u16).range(1..=64).map(usize::from))]
    pub(crate) concurrency: usize,
    /// Refuse a report with more distinct Fastly keys than this (each is one request).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_KEYS)]
    pub(crate) max_keys: usize,
}
