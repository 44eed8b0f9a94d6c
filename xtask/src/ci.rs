//! `cargo xtask ci`: everything CI checks, in the order that fails fastest, as one command.
//!
//! `.ci/run` runs exactly this (it is the README's test command), so a contributor reproduces CI
//! locally with the same command.

use std::process::Command;
use std::time::Instant;

use crate::generate;

struct Step {
    name: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
}

/// `cargo xtask contract`, as a cargo command (extra arguments go after `--`).
pub const CONTRACT: &[&str] = &["run", "--quiet", "--locked", "--package", "xtask-contract"];

const STEPS: &[Step] = &[
    Step {
        name: "format",
        args: &["fmt", "--all", "--", "--check"],
        env: &[],
    },
    Step {
        name: "clippy",
        args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
    },
    // The library without its default `tracing` feature (the smaller binary) still builds,
    // warning-free.
    Step {
        name: "no-tracing",
        args: &[
            "clippy",
            "--package",
            "fastly-tokens",
            "--lib",
            "--no-default-features",
            "--features",
            "rustls",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
    },
    Step {
        name: "tests",
        args: &["test", "--workspace", "--locked"],
        env: &[],
    },
    Step {
        name: "docs",
        args: &["doc", "--workspace", "--no-deps", "--locked"],
        env: &[("RUSTDOCFLAGS", "-D warnings")],
    },
    // Packages every published crate and builds each from its `.crate` against the others'
    // packages, so a file a package needs but does not ship fails here. `--allow-dirty` keeps
    // the command usable with uncommitted work; CI runs on a clean clone.
    Step {
        name: "package",
        args: &[
            "package",
            "--workspace",
            "--locked",
            "--allow-dirty",
            "--exclude",
            "xtask",
            "--exclude",
            "xtask-contract",
            "--exclude",
            "xtask-readme",
        ],
        env: &[],
    },
    Step {
        name: "contract",
        args: CONTRACT,
        env: &[],
    },
];

/// Runs `cargo <args> <extra>` in the workspace root; fails when it does.
pub fn cargo(args: &[&str], extra: &[&str]) -> Result<(), String> {
    let all: Vec<&str> = args.iter().chain(extra).copied().collect();
    cargo_with_env(&all, &[])
}

fn cargo_with_env(args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let status = Command::new(&cargo)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(crate::workspace_root())
        .status()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed", args.join(" ")))
    }
}

pub fn run() -> Result<(), String> {
    let mut failed = Vec::new();
    let mut timings = Vec::new();

    let started = Instant::now();
    println!("==> generated code is fresh (cargo xtask generate --check)");
    if let Err(e) = generate::run(generate::Mode::Check) {
        eprintln!("{e}");
        failed.push("generate --check");
    }
    timings.push(("generate --check", started.elapsed()));

    for step in STEPS {
        let started = Instant::now();
        println!("==> {}: cargo {}", step.name, step.args.join(" "));
        if step.name == "package" {
            forget_packaged_sources();
        }
        if let Err(e) = cargo_with_env(step.args, step.env) {
            eprintln!("{e}");
            failed.push(step.name);
        }
        timings.push((step.name, started.elapsed()));
    }

    // Any change of the public API shows in review as a diff of api/*.txt.
    let started = Instant::now();
    println!("==> public-api: cargo xtask public-api (rustdoc JSON item listing)");
    if let Err(e) = crate::public_api::run(false) {
        eprintln!("{e}");
        failed.push("public-api");
    }
    timings.push(("public-api", started.elapsed()));

    // The fake over HTTP only, from another language: what a team outside Rust relies on.
    let started = Instant::now();
    println!("==> fake-http: the fake binary driven by Python's standard library");
    if let Err(e) = fake_http() {
        eprintln!("{e}");
        failed.push("fake-http");
    }
    timings.push(("fake-http", started.elapsed()));

    println!("\n==> summary");
    for (name, took) in &timings {
        let mark = if failed.contains(name) {
            "FAILED"
        } else {
            "ok"
        };
        println!("  {name:18} {mark:6} {:>6.1}s", took.as_secs_f64());
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("failed steps: {}", failed.join(", ")))
    }
}

/// `cargo package` builds each package from its `.crate` through a temporary local registry
/// (`target/package/tmp-registry`), which cargo unpacks under `$CARGO_HOME/registry/src/-<hash
/// of that path>/`, and it reuses an unpacked copy of the same name and version when one is
/// there. After a change that keeps the version (0.1.0 here), a later run from a clone at the
/// same path verified against the previous run's sources: a change to `fastly-tokens-raw`
/// failed `fastly-tokens`' verification with the old raw types (seen on a machine that had
/// run CI before). Removing our crates' unpacked copies first makes the step check this tree.
/// Only local registries' directories (names starting with `-`) are touched, never crates.io's.
fn forget_packaged_sources() {
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cargo")));
    let Some(src) = home.map(|h| h.join("registry").join("src")) else {
        return;
    };
    let Ok(registries) = std::fs::read_dir(&src) else {
        return;
    };
    for registry in registries.flatten() {
        if !registry.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(registry.path()) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry
                .file_name()
                .to_string_lossy()
                .starts_with("fastly-tokens")
            {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

/// Builds the fake's binary and runs `xtask/fake-http/test_fake.py` against it.
fn fake_http() -> Result<(), String> {
    // The binary the tests step built (same features as the rest of the workspace: building
    // the package alone would unify features differently and rebuild tokio, serde...).
    cargo_with_env(
        &["test", "--workspace", "--locked", "--no-run", "--quiet"],
        &[],
    )?;
    let root = crate::workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let binary = target.join("debug").join("fastly-tokens-fake");
    let status = Command::new("python3")
        .arg(root.join("xtask/fake-http/test_fake.py"))
        .arg(&binary)
        .current_dir(&root)
        .status()
        .map_err(|e| format!("cannot run python3 (is it installed?): {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err("the fake's HTTP tests failed (output above)".to_string())
    }
}
