//! Project chores, run as `cargo xtask <command>` (see `.cargo/config.toml`).
//!
//! Arguments are parsed with clap (derive), as the CLI's are: every command answers `--help`,
//! an unknown flag is an error that names it, and the usage text cannot go stale.

mod ci;
mod generate;
#[cfg(test)]
mod layers;
mod public_api;
mod spec_diff;
mod upstream;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The workspace root (the xtask lives one level below it).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Project chores: code generation, checks and benchmarks (`cargo xtask <command>`).
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Xtask {
    #[command(subcommand)]
    command: Chore,
}

#[derive(Debug, Subcommand)]
enum Chore {
    /// Regenerate crates/fastly-tokens-raw/src/generated.rs from openapi/fastly-tokens.yaml.
    Generate {
        /// Fail with a diff if the committed generated.rs is stale; write nothing.
        #[arg(long)]
        check: bool,
    },
    /// Contract checks: spec lint, fixtures, requests and responses through Prism, model
    /// coverage (installs its pinned npm tools). Arguments go to the contract checker
    /// (`--live`, `--json`).
    Contract {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Every change between two OpenAPI documents, with a rule id and whether it breaks this
    /// client.
    SpecDiff {
        /// The older document.
        old: String,
        /// The newer document.
        new: String,
        /// Exit non-zero on changes of this severity: breaking or any.
        #[arg(long, value_name = "breaking|any", value_parser = fail_on)]
        fail_on: Option<spec_diff::Severity>,
        /// Compare these paths (glob, comma-separated) instead of those of
        /// openapi/fastly-tokens.yaml.
        #[arg(long, value_name = "GLOB[,GLOB]")]
        paths: Option<String>,
        /// Every change as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The public API of the library crates, compared with api/*.txt.
    PublicApi {
        /// Record the current listing.
        #[arg(long)]
        bless: bool,
    },
    /// What Fastly changed in the token part of its published OpenAPI document since
    /// openapi/upstream/.
    Upstream {
        /// Fastly's newly downloaded document.
        file: String,
        /// Record it as reviewed.
        #[arg(long)]
        accept: bool,
    },
    /// Benchmarks against the reqwest and hyper floors (and fastly-api with
    /// --with-fastly-api); arguments go to the harness: --runs N, --scale S, --workloads A,B,
    /// --build-cost, --instructions. See BENCHMARKS.md.
    Bench {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Everything CI runs: generate --check, fmt, clippy, tests, docs, package, contract,
    /// public-api, the fake from Python.
    Ci,
}

fn fail_on(v: &str) -> Result<spec_diff::Severity, String> {
    spec_diff::Severity::parse_fail_on(v).ok_or(format!("expected breaking or any, not {v:?}"))
}

/// Builds the benchmark workspace (`xtask/bench`, outside the main one so that fastly-api is
/// never built by default) in release, then runs its harness.
fn bench(args: &[&str]) -> Result<(), String> {
    let manifest = workspace_root().join("xtask/bench/Cargo.toml");
    let manifest = manifest.to_string_lossy().to_string();
    // The workspace's one target directory, like every other build here.
    let target = workspace_root().join("target");
    let target = target.to_string_lossy().to_string();
    let mut build = vec![
        "build",
        "--release",
        "--locked",
        "--manifest-path",
        manifest.as_str(),
        "--target-dir",
        target.as_str(),
    ];
    if args.contains(&"--with-fastly-api") {
        build.extend(["--features", "fastly-api"]);
    }
    ci::cargo(&build, &[])?;
    let mut harness = std::process::Command::new(workspace_root().join("target/release/harness"));
    if args.iter().any(|a| a.starts_with("--rtt-ms")) {
        // The latency mode also times the CLI's `audit` (a release build of this workspace's).
        ci::cargo(
            &["build", "--release", "--locked", "-p", "fastly-tokens-cli"],
            &[],
        )?;
        harness.env(
            "FASTLY_TOKENS_BENCH_CLI",
            workspace_root().join("target/release/fastly-tokens"),
        );
    }
    let status = harness
        .args(args)
        .status()
        .map_err(|e| format!("cannot run the benchmark harness: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err("the benchmark harness failed".to_string())
    }
}

fn main() -> ExitCode {
    let Xtask { command } = Xtask::parse();
    let result = match command {
        Chore::Generate { check: false } => generate::run(generate::Mode::Write),
        Chore::Generate { check: true } => generate::run(generate::Mode::Check),
        Chore::Ci => ci::run(),
        Chore::SpecDiff {
            old,
            new,
            fail_on,
            paths,
            json,
        } => {
            let options = spec_diff::Options {
                json,
                fail_on,
                paths,
            };
            spec_diff::run(&old, &new, &options)
        }
        Chore::Bench { args } => bench(&args.iter().map(String::as_str).collect::<Vec<_>>()),
        Chore::PublicApi { bless } => public_api::run(bless),
        Chore::Upstream { file, accept } => upstream::run(&file, accept),
        Chore::Contract { args } => {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            ci::cargo(ci::CONTRACT, &[&["--"], args.as_slice()].concat())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn every_command_answers_help_and_unknown_flags_are_named() {
        Xtask::command().debug_assert();
        for command in Xtask::command().get_subcommands() {
            let name = command.get_name();
            let help = Xtask::try_parse_from(["cargo xtask", name, "--help"])
                .expect_err("help is an early exit");
            assert_eq!(help.kind(), clap::error::ErrorKind::DisplayHelp, "{name}");
        }
        let unknown = Xtask::try_parse_from(["cargo xtask", "upstream", "--bogus"])
            .expect_err("unknown flag");
        assert!(unknown.to_string().contains("--bogus"), "{unknown}");
    }
}
