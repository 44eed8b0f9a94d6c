//! Project chores, run as `cargo xtask <command>` (see `.cargo/config.toml`).
//!
//! Arguments are parsed by hand rather than with clap: there are two commands and
//! one flag, and the xtask already pays for compiling the generator.

mod ci;
mod generate;
mod public_api;
mod spec_diff;
mod upstream;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The workspace root (the xtask lives one level below it).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  generate           regenerate crates/fastly-tokens-raw/src/generated.rs from openapi/fastly-tokens.yaml
  generate --check   fail with a diff if the committed generated.rs is stale
  contract           contract checks: spec lint, fixtures, requests and responses through Prism,
                     model coverage (installs its pinned npm tools)
  spec-diff OLD NEW [--fail-on breaking|any] [--paths GLOB[,GLOB]] [--json]
                     every change between two OpenAPI documents with a rule id and whether it
                     breaks this client (default paths: those of openapi/fastly-tokens.yaml)
  public-api [--bless] the public API of the library crates, compared with api/*.txt
  upstream FILE [--accept]
                     what Fastly changed in the token part of its published OpenAPI document
                     (FILE, newly downloaded) since openapi/upstream/; --accept records it
  bench [--with-fastly-api] [--runs N] [--scale S] [--workloads A,B] [--build-cost]
        [--instructions]
                     benchmark against the reqwest floors (bare and configured as ours), the
                     hyper floor (and fastly-api 15.0.0, built on demand); --instructions
                     prints per-call instruction counts from callgrind; see BENCHMARKS.md
  ci                 everything CI runs: generate --check, fmt, clippy, tests, docs, contract
  help               show this message";

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
    let harness = workspace_root().join("target/release/harness");
    let status = std::process::Command::new(&harness)
        .args(args)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", harness.display()))?;
    if status.success() {
        Ok(())
    } else {
        Err("the benchmark harness failed".to_string())
    }
}

/// `--fail-on breaking|any`, `--paths GLOB[,GLOB]`, `--json`.
fn spec_diff_options(args: &[&str]) -> Result<spec_diff::Options, String> {
    let mut options = spec_diff::Options::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match *arg {
            "--json" => options.json = true,
            "--fail-on" => {
                let v = it.next().ok_or("--fail-on needs breaking or any")?;
                options.fail_on = Some(
                    spec_diff::Severity::parse_fail_on(v)
                        .ok_or(format!("--fail-on {v:?}: expected breaking or any"))?,
                );
            }
            "--paths" => {
                options.paths = Some(it.next().ok_or("--paths needs a glob")?.to_string());
            }
            other => return Err(format!("unknown spec-diff argument {other:?}\n\n{USAGE}")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["generate"] => generate::run(generate::Mode::Write),
        ["generate", "--check"] => generate::run(generate::Mode::Check),
        ["ci"] => ci::run(),
        ["spec-diff", old, new, rest @ ..] => {
            spec_diff_options(rest).and_then(|options| spec_diff::run(old, new, &options))
        }
        ["bench", rest @ ..] => bench(rest),
        ["public-api"] => public_api::run(false),
        ["public-api", "--bless"] => public_api::run(true),
        ["upstream", file] => upstream::run(file, false),
        ["upstream", file, "--accept"] => upstream::run(file, true),
        ["contract", rest @ ..] => ci::cargo(ci::CONTRACT, &[&["--"], rest].concat()),
        ["help" | "--help" | "-h"] | [] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => Err(format!("unknown arguments {other:?}\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
