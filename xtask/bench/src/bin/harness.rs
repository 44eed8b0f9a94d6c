//! `harness [--runs N] [--scale S] [--with-fastly-api] [--workloads A,B] [--build-cost]
//! [--instructions]`: runs every contender on every workload against the canned server,
//! client and server pinned to one core, N times, and prints medians and run-by-run ratios to
//! the two reqwest floors (bare and configured) and to fastly-api as Markdown. Also measures
//! the rate-limit budget of revoking 10,000 tokens through the fake, the cost of parsing
//! timestamps (the `timestamps` binary) and, with `--build-cost`, the clean release build of
//! a one-call program per client (`xtask/bench/build-cost/`, each with a committed lock file).
//! `--instructions` prints per-call instruction counts from callgrind instead of timings.
//! `--rtt-ms MS` is the latency mode: the server holds every answer MS milliseconds, and wall
//! time per call is shown next to the workload's critical path.

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

/// The CPU model from `/proc/cpuinfo`, read at run time (not assumed).
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string())
}

/// The floors every ratio is taken against, in the order the tables show them.
const BARE_FLOOR: &str = "reqwest";
const CONFIGURED_FLOOR: &str = "reqwest-configured";

struct Options {
    runs: usize,
    scale: usize,
    contenders: Vec<&'static str>,
    workloads: Vec<Workload>,
}

/// Runs every contender on every workload against the canned server and prints
/// BENCHMARKS.md's tables (`cargo xtask bench <flags>`).
#[derive(Debug, clap::Parser)]
#[command(name = "harness")]
struct Args {
    /// Runs of each contender on each workload (timings are medians over them).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Multiplies every workload's call count.
    #[arg(long, default_value_t = 1)]
    scale: usize,
    /// Also run the official fastly-api crate (built with the `fastly-api` feature).
    #[arg(long)]
    with_fastly_api: bool,
    /// Only these workloads (comma-separated).
    #[arg(long, value_delimiter = ',', value_parser = workload)]
    workloads: Vec<Workload>,
    /// Also time a clean release build of a one-call program per client.
    #[arg(long)]
    build_cost: bool,
    /// Per-call instruction counts under callgrind instead of timings.
    #[arg(long)]
    instructions: bool,
    /// Latency mode: the server holds every answer this many milliseconds; prints wall time
    /// per call beside the critical path (the fewest sequential round trips) and the
    /// sequential floor (one round trip per request).
    #[arg(long, value_name = "MS")]
    rtt_ms: Option<u64>,
}

fn workload(name: &str) -> Result<Workload, String> {
    Workload::parse(name).ok_or_else(|| {
        format!(
            "{name:?} is not a workload ({})",
            Workload::ALL.map(Workload::name).join(", ")
        )
    })
}

fn main() {
    let args = <Args as clap::Parser>::parse();
    let workloads = if args.workloads.is_empty() {
        Workload::ALL.to_vec()
    } else {
        args.workloads.clone()
    };
    let mut contenders = vec![BARE_FLOOR, CONFIGURED_FLOOR, "fastly-tokens", "hyper"];
    if args.with_fastly_api {
        contenders.push("fastly-api");
    }
    let options = Options {
        runs: args.runs,
        scale: args.scale,
        contenders,
        workloads,
    };
    let dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."));

    if let Some(rtt) = args.rtt_ms {
        latency(&dir, rtt, args.runs, args.with_fastly_api);
        return;
    }

    let (mut server, url) = start_server(&dir);

    println!("# fastly-tokens benchmark");
    println!();
    println!("- date: {}", chrono_like_now());
    println!(
        "- machine: {} ({} cores); loadavg at start: {}",
        cpu_model(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg()
    );

    if args.instructions {
        println!("- mode: instruction counts (valgrind --tool=callgrind), one run");
        println!();
        instructions(&dir, &url, &options);
        let _ = server.kill();
        return;
    }
    println!(
        "- runs: {}; scale: 1/{}; client and server pinned to CPU 0 (taskset)",
        options.runs, options.scale
    );
    println!();

    let results = timed_runs(&dir, &url, &options);
    let _ = server.kill();
    print_cpu_table(&results, &options);

    if options.workloads.len() == Workload::ALL.len() {
        rate_limit_budget();
        println!("## Timestamps: the cost of parsing them when decoding a list");
        println!();
        match pinned(&dir.join("timestamps")).output() {
            Ok(out) => print!("{}", String::from_utf8_lossy(&out.stdout)),
            Err(e) => println!("(timestamps did not run: {e})"),
        }
        println!();
    }

    if args.build_cost {
        build_cost(&dir);
    }
}

/// Latency mode: wall time per call against a server that holds each answer `rtt` ms, one
/// request after another and at the default in flight, beside the critical path; `fastly-api`
/// (when built) where it can do the workload; and the CLI's `audit --kind all` over 2,000 user
/// and 2,000 automation tokens (when `FASTLY_TOKENS_BENCH_CLI` names the release binary, as
/// `cargo xtask bench --rtt-ms` does).
fn latency(dir: &Path, rtt: u64, runs: usize, with_fastly_api: bool) {
    use fastly_tokens_bench::{AUTOMATION_PER_PAGE, AUTOMATION_TOKENS, BULK_IDS};
    let (mut server, url) = start_server_with(dir, &[("FASTLY_TOKENS_BENCH_RTT_MS", rtt)]);
    let pages = AUTOMATION_TOKENS.div_ceil(AUTOMATION_PER_PAGE);
    let chunks = BULK_IDS.div_ceil(100);
    println!("## Latency: wall time per call at {rtt} ms per round trip (medians of {runs} runs)");
    println!();
    println!(
        "`cargo xtask bench --rtt-ms {rtt} --runs {runs}{}`; the critical path is the fewest sequential round trips at that many requests in flight, times the round trip; the sequential floor is one round trip per request.",
        if with_fastly_api {
            " --with-fastly-api"
        } else {
            ""
        }
    );
    println!();
    println!(
        "| workload | contender | requests | in flight | wall ms | critical path ms | wall / critical path | sequential floor ms | peak RSS KiB |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    let row = |workload: &str,
               contender: &str,
               requests: usize,
               k: usize,
               trips: usize,
               wall: f64,
               rss: u64| {
        let critical = (trips as u64 * rtt) as f64;
        let rss = if rss == 0 {
            "".to_string()
        } else {
            rss.to_string()
        };
        println!(
            "| {workload} | {contender} | {requests} | {k} | {wall:.1} | {critical:.0} | {:.3} | {} | {rss} |",
            wall / critical,
            requests as u64 * rtt
        );
    };
    // (workload, calls per run, requests per call, critical path in round trips at k)
    let listing = |k: usize| 1 + (pages - 1).div_ceil(k);
    let bulk = |k: usize| chunks.div_ceil(k);
    let one = |_: usize| 1;
    let workloads: [(Workload, usize, usize, &dyn Fn(usize) -> usize); 3] = [
        (Workload::Current, 5, 1, &one),
        (Workload::Auto5000, 1, pages, &listing),
        (Workload::Bulk10000, 1, chunks, &bulk),
    ];
    for (workload, calls, requests, trips) in workloads {
        let mut contenders: Vec<(&str, usize)> = vec![("fastly-tokens", 1)];
        if requests > 1 {
            contenders.push(("fastly-tokens", fastly_tokens::DEFAULT_PAGES_IN_FLIGHT));
        }
        if with_fastly_api && workload != Workload::Auto5000 {
            contenders.push(("fastly-api", 1));
        }
        for (contender, k) in contenders {
            let mut walls = Vec::new();
            let mut rss = Vec::new();
            for _ in 0..runs.max(1) {
                let mut cmd = Command::new(dir.join("contender"));
                cmd.env("FASTLY_TOKENS_BENCH_PAGES_IN_FLIGHT", k.to_string())
                    .env("FASTLY_TOKENS_BENCH_REVOKES_IN_FLIGHT", k.to_string())
                    .args([contender, workload.name(), &url, "1", &calls.to_string()]);
                if let Outcome::Measured(stats) = run_contender(&mut cmd, contender, workload) {
                    walls.push(stats.wall_ms / calls as f64);
                    rss.push(stats.peak_rss_kib as f64);
                }
            }
            row(
                workload.name(),
                contender,
                requests,
                k,
                trips(k),
                median(walls),
                median(rss) as u64,
            );
        }
    }
    let _ = server.kill();
    audit_at_latency(dir, rtt, runs, &row);
    println!();
}

/// The CLI's `audit --kind all` over 2,000 user tokens (one `GET /tokens`) and 2,000 automation
/// tokens (20 pages), against its own server; wall time of the whole process.
fn audit_at_latency(
    dir: &Path,
    rtt: u64,
    runs: usize,
    row: &dyn Fn(&str, &str, usize, usize, usize, f64, u64),
) {
    const AUTOMATION: u64 = 2_000;
    let Some(cli) = std::env::var_os("FASTLY_TOKENS_BENCH_CLI") else {
        eprintln!(
            "audit: FASTLY_TOKENS_BENCH_CLI not set (cargo xtask bench --rtt-ms sets it); left out"
        );
        return;
    };
    let (mut server, url) = start_server_with(
        dir,
        &[
            ("FASTLY_TOKENS_BENCH_RTT_MS", rtt),
            ("FASTLY_TOKENS_BENCH_AUTOMATION_TOKENS", AUTOMATION),
        ],
    );
    let pages = (AUTOMATION as usize).div_ceil(fastly_tokens_bench::AUTOMATION_PER_PAGE);
    let k = fastly_tokens::DEFAULT_PAGES_IN_FLIGHT;
    let mut walls = Vec::new();
    for _ in 0..runs.max(1) {
        let started = std::time::Instant::now();
        let out = Command::new(&cli)
            .args(["audit", "--kind", "all", "--json", "--endpoint", &url])
            .env("FASTLY_API_TOKEN", "bench-key")
            .output()
            .expect("run the CLI");
        let wall = started.elapsed().as_secs_f64() * 1e3;
        // Exit 1: the policy found something (the canned tokens are old); either way every
        // token was read.
        let audited = serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .ok()
            .and_then(|doc| doc.get("audited").and_then(serde_json::Value::as_u64))
            .map(|n| n as usize);
        let expected = fastly_tokens_bench::AUDIT_USER_TOKENS + AUTOMATION as usize;
        if matches!(out.status.code(), Some(0 | 1)) && audited == Some(expected) {
            walls.push(wall);
        } else {
            eprintln!(
                "audit: exit {:?}, {audited:?} tokens: {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    // The user list and the automation pages side by side: the pages' critical path.
    row(
        "audit --kind all (CLI)",
        "fastly-tokens",
        1 + pages,
        k,
        1 + (pages - 1).div_ceil(k),
        median(walls),
        0,
    );
    let _ = server.kill();
}

fn start_server(dir: &Path) -> (std::process::Child, String) {
    start_server_with(dir, &[])
}

fn start_server_with(dir: &Path, env: &[(&str, u64)]) -> (std::process::Child, String) {
    let mut command = pinned(&dir.join("server"));
    for (k, v) in env {
        command.env(k, v.to_string());
    }
    let mut server = command
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
    (server, first_line.trim().to_string())
}

/// What one contender process reported, or that it does not implement the workload.
enum Outcome {
    Measured(Stats),
    Unsupported,
    Failed,
}

fn run_contender(cmd: &mut Command, contender: &str, workload: Workload) -> Outcome {
    let out = cmd.output().expect("run contender");
    if out.status.code() == Some(3) {
        return Outcome::Unsupported;
    }
    match serde_json::from_slice::<Stats>(&out.stdout) {
        Ok(stats) => {
            if stats.errors > 0 {
                eprintln!("{contender} {}: {} errors", workload.name(), stats.errors);
            }
            Outcome::Measured(stats)
        }
        Err(e) => {
            eprintln!(
                "{contender} {}: no result ({e}): {}",
                workload.name(),
                String::from_utf8_lossy(&out.stderr)
            );
            Outcome::Failed
        }
    }
}

/// (contender, workload) -> run id -> stats.
type Results = BTreeMap<(String, String), BTreeMap<usize, Stats>>;

fn timed_runs(dir: &Path, url: &str, options: &Options) -> Results {
    let mut results = Results::new();
    let mut loads = Vec::new();
    for run in 0..options.runs {
        loads.push(loadavg());
        for &workload in &options.workloads {
            // Rotate the order each run so no contender always goes first.
            let mut order = options.contenders.clone();
            let n = order.len();
            order.rotate_left(run % n);
            for contender in order {
                let mut cmd = pinned(&dir.join("contender"));
                cmd.args([contender, workload.name(), url, &options.scale.to_string()]);
                if let Outcome::Measured(mut stats) = run_contender(&mut cmd, contender, workload) {
                    stats.run = run;
                    results
                        .entry((contender.to_string(), workload.name().to_string()))
                        .or_default()
                        .insert(run, stats);
                }
            }
        }
    }
    println!("- loadavg before each run: {}", loads.join(" | "));
    println!();
    results
}

/// Median over runs of `value(run) / floor(run)`, pairing the two by run id: a run in which
/// either side failed is left out rather than paired with another run.
fn paired_ratio(
    stats: &BTreeMap<usize, Stats>,
    floor: Option<&BTreeMap<usize, Stats>>,
    value: impl Fn(&Stats) -> f64,
) -> f64 {
    let Some(floor) = floor else {
        return f64::NAN;
    };
    median(
        stats
            .iter()
            .filter_map(|(run, s)| floor.get(run).map(|f| value(s) / value(f)))
            .collect(),
    )
}

fn print_cpu_table(results: &Results, options: &Options) {
    let runs = options.runs;
    println!("## Client cost per workload (medians of {runs} runs)");
    println!();
    println!(
        "Ratios are medians of per-run ratios, each paired with the same run of the other \
         contender."
    );
    println!();
    println!(
        "| workload | contender | CPU ms / 1k req | ratio to reqwest | ratio to configured floor | ratio to fastly-api | req/s | p50 µs | p99 µs | peak RSS KiB |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let per_1k = |s: &Stats| s.cpu_ms / s.requests as f64 * 1000.0;
    let fmt = |x: f64| {
        if x.is_nan() {
            "".to_string()
        } else {
            format!("{x:.3}")
        }
    };
    for workload in &options.workloads {
        let of =
            |contender: &str| results.get(&(contender.to_string(), workload.name().to_string()));
        for contender in &options.contenders {
            let Some(stats) = of(contender) else {
                continue;
            };
            let all = |f: &dyn Fn(&Stats) -> f64| median(stats.values().map(f).collect());
            println!(
                "| {} | {contender} | {:.1} | {} | {} | {} | {:.0} | {:.0} | {:.0} | {:.0} |",
                workload.name(),
                all(&per_1k),
                fmt(paired_ratio(stats, of(BARE_FLOOR), per_1k)),
                fmt(paired_ratio(stats, of(CONFIGURED_FLOOR), per_1k)),
                fmt(paired_ratio(stats, of("fastly-api"), per_1k)),
                all(&|s| s.requests as f64 / (s.wall_ms / 1e3)),
                all(&|s| s.p50_us),
                all(&|s| s.p99_us),
                all(&|s| s.peak_rss_kib as f64),
            );
        }
    }
    println!();
}

/// Calls per workload for the instruction counts: (fewer, more). The difference divided by
/// the difference in calls is the cost of one call, start-up and warm-up cancelled out.
fn instruction_calls(workload: Workload) -> Option<(usize, usize)> {
    match workload {
        Workload::Current | Workload::Revoke | Workload::Current32 => Some((500, 2_500)),
        Workload::Bulk100 => Some((100, 500)),
        // A list arrives in chunks whose number varies from run to run (about 1% of a list's
        // instructions); 40 lists of difference average that out.
        Workload::List1000 => Some((5, 45)),
        Workload::Auto5000 => Some((1, 5)),
        // One call of 10,000 tokens: the list of 1,000 measures the same per-token work.
        Workload::List10000 => None,
        // Latency mode only: the same per-chunk work as bulk100.
        Workload::Bulk10000 => None,
    }
}

/// Instructions a contender process executed for `calls` calls of `workload`, from
/// callgrind's `Collected :` line.
fn collected(
    dir: &Path,
    url: &str,
    contender: &str,
    workload: Workload,
    calls: usize,
) -> Result<u64, String> {
    let out = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            "--collect-atstart=yes",
        ])
        .arg(dir.join("contender"))
        .args([contender, workload.name(), url, "1", &calls.to_string()])
        .output()
        .map_err(|e| format!("valgrind: {e}"))?;
    if out.status.code() == Some(3) {
        return Err(fastly_tokens_bench::UNSUPPORTED.to_string());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stats: Stats = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("no result ({e}): {}", stderr.lines().last().unwrap_or("")))?;
    if stats.errors > 0 {
        return Err(format!("{} errors", stats.errors));
    }
    stderr
        .lines()
        .find_map(|l| l.split("Collected :").nth(1))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| "callgrind printed no `Collected :` line".to_string())
}

/// `--instructions`: per-call instruction counts of every contender under callgrind. Counts,
/// unlike times, do not depend on what else the machine is doing, so they can be compared in
/// review; valgrind must be installed (`apt-get install valgrind`), or this is skipped.
fn instructions(dir: &Path, url: &str, options: &Options) {
    if Command::new("valgrind").arg("--version").output().is_err() {
        println!(
            "skipped: valgrind is not installed (`apt-get install valgrind`); the instruction \
             counts need callgrind"
        );
        return;
    }
    println!("## Instructions per call (callgrind, (I(more) - I(fewer)) / (more - fewer))");
    println!();
    println!(
        "| workload | contender | calls | instructions per call | ratio to reqwest | ratio to configured floor | ratio to fastly-api |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    for &workload in &options.workloads {
        let Some((fewer, more)) = instruction_calls(workload) else {
            continue;
        };
        let mut per_call: BTreeMap<&str, f64> = BTreeMap::new();
        for &contender in &options.contenders {
            let counts = collected(dir, url, contender, workload, fewer)
                .and_then(|a| collected(dir, url, contender, workload, more).map(|b| (a, b)));
            match counts {
                Ok((a, b)) => {
                    per_call.insert(contender, (b as f64 - a as f64) / (more - fewer) as f64);
                }
                Err(e) if e == fastly_tokens_bench::UNSUPPORTED => {}
                Err(e) => eprintln!("{contender} {}: {e}", workload.name()),
            }
        }
        let ratio = |x: f64, floor: &str| {
            per_call
                .get(floor)
                .map_or(String::new(), |f| format!("{:.3}", x / f))
        };
        for &contender in &options.contenders {
            let Some(&x) = per_call.get(contender) else {
                continue;
            };
            println!(
                "| {} | {contender} | {fewer} → {more} | {x:.0} | {} | {} | {} |",
                workload.name(),
                ratio(x, BARE_FLOOR),
                ratio(x, CONFIGURED_FLOOR),
                ratio(x, "fastly-api"),
            );
        }
    }
    println!();
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

/// The one-call programs (`xtask/bench/build-cost/<dir>`), each with a committed Cargo.lock.
const ONE_CALL: &[(&str, &str)] = &[
    ("fastly-tokens", "fastly-tokens"),
    ("fastly-tokens with `tracing`", "fastly-tokens-tracing"),
    ("fastly-api", "fastly-api"),
    ("reqwest floor", "reqwest-floor"),
];

/// Clean release build time, dependency count and stripped size of a one-call program per
/// client, all with native-tls (fastly-api's only TLS backend), each resolved from its
/// committed lock file (`--locked`), so two runs build the same crates.
fn build_cost(dir: &Path) {
    let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("build-cost");
    println!(
        "## Build cost of a program that calls `get_token_current` (release, native-tls, clean)"
    );
    println!();
    println!("| client | clean release build | crates in the build | stripped binary |");
    println!("|---|---:|---:|---:|");
    for (name, project) in ONE_CALL {
        let manifest = sources.join(project).join("Cargo.toml");
        let target = dir.join("build-cost").join(project);
        let _ = std::fs::remove_dir_all(&target);
        let cargo = |args: &[&str]| {
            let mut cmd = Command::new("cargo");
            cmd.args(args)
                .arg("--manifest-path")
                .arg(&manifest)
                .env("CARGO_TARGET_DIR", &target);
            cmd
        };
        // Fetch first so the timing is compilation only.
        let _ = cargo(&["fetch", "--locked"]).status();
        let started = Instant::now();
        let status = cargo(&["build", "--release", "--quiet", "--locked"])
            .status()
            .expect("cargo");
        let took: Duration = started.elapsed();
        if !status.success() {
            println!("| {name} | build failed | | |");
            continue;
        }
        let tree = cargo(&[
            "tree",
            "--locked",
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "--no-dedupe",
        ])
        .output()
        .expect("cargo tree");
        let mut crates: Vec<String> = String::from_utf8_lossy(&tree.stdout)
            .lines()
            .map(|l| l.split(" (").next().unwrap_or(l).trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        crates.sort();
        crates.dedup();
        let bin = target.join("release/one-call");
        let stripped = target.join("one-call.stripped");
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
