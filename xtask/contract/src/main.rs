//! `cargo xtask contract`: the spec, the client and the fake checked by third-party validators.
//!
//! 1. spec lint (Redocly CLI, pinned in `xtask/contract/package-lock.json`);
//! 2. every response fixture, and real recorded bodies when `FASTLY_TOKENS_RECORDINGS` names a
//!    folder of them, validate against the spec (JSON Schema);
//! 3. every client operation's requests pass Prism's mock with request validation;
//! 4. the fake's responses, successes and every error path, pass Prism's validating proxy;
//! 5. every property of the spec's token schemas is in the public `Token` / `CreatedToken`.
//!
//! Any failure names the check and the operation, and the command exits non-zero.

mod drift;
mod live;

/// Names a folder of real recorded response bodies (`<operation>.<status>.json`, as in
/// `openapi/fixtures`) to validate too; the check is skipped without it.
const RECORDINGS_ENV: &str = "FASTLY_TOKENS_RECORDINGS";
mod scenarios;
mod schema;
mod wire;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Installs the pinned npm tools unless `node_modules` already matches the lock file.
fn install_tools(tools: &Path) -> Result<(), String> {
    let lock = std::fs::read(tools.join("package-lock.json"))
        .map_err(|e| format!("cannot read xtask/contract/package-lock.json: {e}"))?;
    let stamp_path = tools.join("node_modules/.installed-lock");
    if std::fs::read(&stamp_path).is_ok_and(|s| s == lock)
        && tools.join("node_modules/.bin/prism").exists()
    {
        return Ok(());
    }
    println!("    installing pinned tools: npm ci (xtask/contract/package-lock.json)");
    let status = std::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(tools)
        .status()
        .map_err(|e| format!("cannot run npm (Node.js and npm are required): {e}"))?;
    if !status.success() {
        return Err("npm ci failed".to_string());
    }
    std::fs::write(&stamp_path, lock).map_err(|e| e.to_string())
}

fn lint(tools: &Path, spec: &Path) -> Result<String, Vec<String>> {
    let out = std::process::Command::new(tools.join("node_modules/.bin/redocly"))
        .arg("lint")
        .arg(spec)
        .args(["--format", "codeframe"])
        .env("REDOCLY_TELEMETRY", "off")
        .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
        .output()
        .map_err(|e| vec![format!("cannot run redocly: {e}")])?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Fail on warnings too (not on Redocly's own banner about the Node.js version).
    let warnings = text.contains("You have ") && text.contains(" warning");
    if out.status.success() && !warnings {
        Ok("Redocly: valid, no warnings".to_string())
    } else {
        Err(vec![format!(
            "redocly lint {} failed:\n{text}",
            spec.display()
        )])
    }
}

fn report(name: &str, result: Result<String, Vec<String>>, failures: &mut Vec<String>) {
    match result {
        Ok(summary) => println!("ok  {name}: {summary}"),
        Err(errors) => {
            println!("FAIL {name}:");
            for e in &errors {
                println!("     {e}");
            }
            failures.extend(errors.into_iter().map(|e| format!("{name}: {e}")));
        }
    }
}

/// `--live [--json]`: the drift check against the real API (see `drift.rs`).
async fn live(spec: &Value, json: bool) -> ExitCode {
    let token = std::env::var("FASTLY_API_TOKEN").unwrap_or_default();
    if token.trim().is_empty() {
        eprintln!(
            "the live drift check needs FASTLY_API_TOKEN (a global:read token is enough; only \
             read-only calls are made); nothing was called"
        );
        return ExitCode::from(3);
    }
    let endpoint = std::env::var("FASTLY_API_ENDPOINT")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| fastly_tokens::DEFAULT_BASE_URL.to_string());
    match drift::run(spec, &endpoint, token.trim()).await {
        Ok(report) => {
            if json {
                match serde_json::to_string_pretty(&report) {
                    Ok(text) => println!("{text}"),
                    Err(e) => eprintln!("cannot encode the report: {e}"),
                }
            } else {
                print!("{}", drift::render(&report));
            }
            ExitCode::from(report.exit_code())
        }
        Err(e) => {
            eprintln!("live drift check: {e}");
            ExitCode::from(4)
        }
    }
}

/// Contract checks: the spec, the client and the fake agree (lint, fixtures, requests and
/// responses through Prism, model coverage); with --live, the real API against the spec.
#[derive(Debug, clap::Parser)]
#[command(name = "cargo xtask contract")]
struct Args {
    /// Check what the real API serves against the spec instead (read-only calls with
    /// FASTLY_API_TOKEN; exit 1 new fields, 2 a type or null the spec does not allow, 3 no
    /// token).
    #[arg(long)]
    live: bool,
    /// With --live: the report as JSON, for a nightly job.
    #[arg(long, requires = "live")]
    json: bool,
    /// The spec to check [default: the repository's openapi/fastly-tokens.yaml].
    #[arg(long, value_name = "FILE")]
    spec: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = <Args as clap::Parser>::parse();
    let root = root();
    let spec_path = args
        .spec
        .clone()
        .unwrap_or_else(|| root.join("openapi/fastly-tokens.yaml"));
    let tools = root.join("xtask/contract");
    let mut failures = Vec::new();

    let spec: Value = match std::fs::read_to_string(&spec_path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_yaml::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot read {}: {e}", spec_path.display());
            return ExitCode::FAILURE;
        }
    };
    if args.live {
        return live(&spec, args.json).await;
    }
    if let Err(e) = install_tools(&tools) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }

    report("1 spec lint", lint(&tools, &spec_path), &mut failures);
    report(
        "2 fixtures validate",
        schema::validate_fixtures(&spec, &root.join("openapi/fixtures"))
            .map(|n| format!("{n} fixture checks")),
        &mut failures,
    );
    match std::env::var_os(RECORDINGS_ENV) {
        None => println!(
            "skipped  2 recordings validate: set {RECORDINGS_ENV} to a folder of recorded response bodies"
        ),
        Some(dir) => {
            let dir = std::path::PathBuf::from(dir);
            match schema::validate_recordings(&spec, &dir) {
                Ok(0) => println!(
                    "skipped  2 recordings validate: no recorded bodies in {}",
                    dir.display()
                ),
                result => report(
                    "2 recordings validate",
                    result.map(|n| format!("{n} real response bodies")),
                    &mut failures,
                ),
            }
        }
    }
    report(
        "3 requests validate (Prism mock)",
        scenarios::requests(&tools, &spec_path, &spec).await,
        &mut failures,
    );
    report(
        "4 responses validate (Prism proxy -> fake)",
        scenarios::responses(&tools, &spec_path).await,
        &mut failures,
    );
    report(
        "5 public model covers the spec",
        schema::model_coverage(&spec).map(|n| format!("{n} properties represented")),
        &mut failures,
    );

    if failures.is_empty() {
        println!("contract checks passed");
        ExitCode::SUCCESS
    } else {
        eprintln!("contract checks failed: {} problem(s)", failures.len());
        ExitCode::FAILURE
    }
}
