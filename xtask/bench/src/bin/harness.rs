//! `harness [--runs N] [--scale S] [--with-fastly-api] [--build-cost]`: runs every contender on
//! every workload against the canned server, client and server pinned to one core, N times,
//! and prints medians and pair-by-pair ratios to the reqwest floor as Markdown. Also measures
//! the rate-limit budget of revoking 10,000 tokens through the fake, and (with --build-cost)
//! the clean release build of a one-call program per client, and the cost of parsing
//! timestamps (the `timestamps` binary).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fastly_tokens_bench::{Stats, Workload};

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn pinned(bin: &Path) -> Command {
    // Client and server on the same core: on 2 cores, cross-core wake-ups dominate otherwise.
    let mut cmd = Command::new("taskset");
    cmd.arg("-c").arg("0").arg(bin);
    cmd
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<usize>().ok())
    };
    let runs = value("--runs").unwrap_or(5);
    let scale = value("--scale").unwrap_or(1);
    let dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."));

    let mut contenders = vec!["reqwest", "fastly-tokens", "hyper"];
    if flag("--with-fastly-api") {
        contenders.push("fastly-api");
    }

    let mut server = pinned(&dir.join("server"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the canned server");
    let mut first_line = String::new();
    {
        use std::io::BufRead;
        let stdout = server.stdout.take().expect("stdout");
        std::io::BufReader::new(stdout)
            .read_line(&mut first_line)
            .expect("server URL");
    }
    let url = first_line.trim().to_string();

    println!("# fastly-tokens benchmark");
    println!();
    println!("- date: {}", chrono_like_now());
    println!(
        "- machine: {} cores; loadavg at start: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg()
    );
    println!("- runs: {runs}; scale: 1/{scale}; client and server pinned to CPU 0 (taskset)");
    println!();

    // (contender, workload) -> per-run stats
    let mut results: BTreeMap<(String, String), Vec<Stats>> = BTreeMap::new();
    let mut loads = Vec::new();
    for run in 0..runs {
        loads.push(loadavg());
        for workload in Workload::ALL {
            // Rotate the order each run so no contender always goes first.
            let mut order = contenders.clone();
            let n = order.len();
            order.rotate_left(run % n);
            for contender in order {
                let out = pinned(&dir.join("contender"))
                    .args([contender, workload.name(), &url, &scale.to_string()])
                    .output()
                    .expect("run contender");
                let stats: Stats = match serde_json::from_slice(&out.stdout) {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!(
                            "{contender} {}: no result ({e}): {}",
                            workload.name(),
                            String::from_utf8_lossy(&out.stderr)
                        );
                        continue;
                    }
                };
                if stats.errors > 0 {
                    eprintln!("{contender} {}: {} errors", workload.name(), stats.errors);
                }
                results
                    .entry((contender.to_string(), workload.name().to_string()))
                    .or_default()
                    .push(stats);
            }
        }
    }
    let _ = server.kill();
    println!("- loadavg before each run: {}", loads.join(" | "));
    println!();

    println!("## Client cost per workload (medians of {runs} runs)");
    println!();
    println!(
        "| workload | contender | CPU ms / 1k req | ratio to reqwest (median of per-run ratios) | req/s | p50 µs | p99 µs | peak RSS KiB |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for workload in Workload::ALL {
        let floor = results.get(&("reqwest".to_string(), workload.name().to_string()));
        for contender in &contenders {
            let Some(stats) = results.get(&(contender.to_string(), workload.name().to_string()))
            else {
                continue;
            };
            let per_1k = |s: &Stats| s.cpu_ms / s.requests as f64 * 1000.0;
            let ratios: Vec<f64> = stats
                .iter()
                .zip(floor.into_iter().flatten())
                .map(|(s, f)| per_1k(s) / per_1k(f))
                .collect();
            println!(
                "| {} | {contender} | {:.1} | {:.3} | {:.0} | {:.0} | {:.0} | {:.0} |",
                workload.name(),
                median(stats.iter().map(per_1k).collect()),
                median(ratios),
                median(
                    stats
                        .iter()
                        .map(|s| s.requests as f64 / (s.wall_ms / 1e3))
                        .collect()
                ),
                median(stats.iter().map(|s| s.p50_us).collect()),
                median(stats.iter().map(|s| s.p99_us).collect()),
                median(stats.iter().map(|s| s.peak_rss_kib as f64).collect()),
            );
        }
    }
    println!();

    rate_limit_budget();

    println!("## Timestamps: the cost of parsing them when decoding a list");
    println!();
    match pinned(&dir.join("timestamps")).output() {
        Ok(out) => print!("{}", String::from_utf8_lossy(&out.stdout)),
        Err(e) => println!("(timestamps did not run: {e})"),
    }
    println!();

    if flag("--build-cost") {
        build_cost(&dir);
    }
}

fn chrono_like_now() -> String {
    let out = Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%dT%H:%M:%SZ")
        .output();
    out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// Revoking 10,000 tokens through the fake: bulk versus one by one.
fn rate_limit_budget() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        println!("## Rate-limit budget: revoking 10,000 tokens through the fake");
        println!();
        println!("| method | non-read requests | wall time | fits a 1,000/hour budget |");
        println!("|---|---:|---:|---|");
        for bulk in [true, false] {
            let fake = fastly_tokens_fake::FakeFastly::builder()
                .hourly_limit(20_000)
                .start()
                .await
                .expect("fake");
            let ids: Vec<fastly_tokens::TokenId> = fake
                .add_tokens("alice", 10_000)
                .iter()
                .map(|s| s.parse().expect("id"))
                .collect();
            let client = fastly_tokens::Client::builder()
                .token(fake.seed().user("alice").key.as_str())
                .base_url(fake.base_url())
                .build()
                .expect("client");
            fake.clear_requests();
            let started = Instant::now();
            if bulk {
                let report = client.revoke_tokens(&ids).await.expect("report");
                assert!(report.all_gone());
            } else {
                for id in &ids {
                    let _ = client.revoke_token(id).await.expect("revoke");
                }
            }
            let wall = started.elapsed();
            let spent = fake.requests().iter().filter(|r| r.method != "GET").count();
            println!(
                "| {} | {spent} | {:.2} s | {} |",
                if bulk {
                    "`revoke_tokens` (bulk, 100 per request)"
                } else {
                    "`revoke_token` × 10,000"
                },
                wall.as_secs_f64(),
                if spent <= 1_000 {
                    "yes"
                } else {
                    "no: waits for resets (10 hours)"
                }
            );
        }
        println!();
    });
}

const ONE_CALL: &[(&str, &str, &str)] = &[
    (
        "fastly-tokens",
        r#"fastly-tokens = { path = "FASTLY_TOKENS_PATH", default-features = false, features = ["native-tls"] }
tokio = { version = "1", features = ["rt", "macros"] }"#,
        r#"#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = fastly_tokens::Client::from_env().expect("token");
    match client.current_token().await {
        Ok(t) => println!("{} {:?}", t.name(), t.expires_at()),
        Err(e) => eprintln!("{e}"),
    }
}"#,
    ),
    (
        "fastly-api",
        r#"fastly-api = "=15.0.0"
tokio = { version = "1", features = ["rt", "macros"] }"#,
        r#"#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut cfg = fastly_api::apis::configuration::Configuration::default();
    match fastly_api::apis::tokens_api::get_token_current(&mut cfg).await {
        Ok(t) => println!("{:?} {:?}", t.name, t.expires_at),
        Err(e) => eprintln!("{e}"),
    }
}"#,
    ),
    (
        "reqwest floor",
        r#"reqwest = { version = "0.13", default-features = false, features = ["json", "native-tls"] }
serde = { version = "1", features = ["derive"] }
tokio = { version = "1", features = ["rt", "macros"] }"#,
        r#"#[derive(serde::Deserialize, Debug)]
struct Token { name: Option<String>, expires_at: Option<String> }
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let key = std::env::var("FASTLY_API_TOKEN").unwrap_or_default();
    let r = reqwest::Client::new().get("https://api.fastly.com/tokens/self").header("fastly-key", key).send().await;
    match r { Ok(r) => println!("{:?}", r.json::<Token>().await.map(|t| (t.name, t.expires_at))), Err(e) => eprintln!("{e}") }
}"#,
    ),
];

/// Clean release build time, dependency count and stripped size of a one-call program per
/// client, all with native-tls (fastly-api's only TLS backend).
fn build_cost(dir: &Path) {
    let root = dir.join("build-cost");
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let fastly_tokens = workspace.join("crates/fastly-tokens");
    println!(
        "## Build cost of a program that calls `get_token_current` (release, native-tls, clean)"
    );
    println!();
    println!("| client | clean release build | crates in the build | stripped binary |");
    println!("|---|---:|---:|---:|");
    for (name, deps, main) in ONE_CALL {
        let project = root.join(name.replace(' ', "-"));
        let _ = std::fs::remove_dir_all(&project);
        std::fs::create_dir_all(project.join("src")).expect("mkdir");
        let deps = deps.replace("FASTLY_TOKENS_PATH", &fastly_tokens.display().to_string());
        std::fs::write(
            project.join("Cargo.toml"),
            format!("[workspace]\n[package]\nname = \"one-call\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[dependencies]\n{deps}\n"),
        )
        .expect("write");
        std::fs::write(project.join("src/main.rs"), main).expect("write");
        // Fetch first so the timing is compilation only.
        let _ = Command::new("cargo")
            .arg("fetch")
            .current_dir(&project)
            .status();
        let started = Instant::now();
        let status = Command::new("cargo")
            .args(["build", "--release", "--quiet"])
            .current_dir(&project)
            .env("CARGO_TARGET_DIR", project.join("target"))
            .status()
            .expect("cargo");
        let took: Duration = started.elapsed();
        if !status.success() {
            println!("| {name} | build failed | | |");
            continue;
        }
        let tree = Command::new("cargo")
            .args([
                "tree",
                "-e",
                "normal,build",
                "--prefix",
                "none",
                "--no-dedupe",
            ])
            .current_dir(&project)
            .output()
            .expect("cargo tree");
        let mut crates: Vec<String> = String::from_utf8_lossy(&tree.stdout)
            .lines()
            .map(|l| l.split(" (").next().unwrap_or(l).trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        crates.sort();
        crates.dedup();
        let bin = project.join("target/release/one-call");
        let stripped = project.join("one-call.stripped");
        let _ = Command::new("strip")
            .arg("-o")
            .arg(&stripped)
            .arg(&bin)
            .status();
        let size = std::fs::metadata(&stripped).map(|m| m.len()).unwrap_or(0);
        println!(
            "| {name} | {:.0} s | {} | {:.2} MiB |",
            took.as_secs_f64(),
            crates.len(),
            size as f64 / (1024.0 * 1024.0)
        );
    }
    println!();
}
