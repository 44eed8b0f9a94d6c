//! `fastly-tokens-fake`: serve the fake on loopback (or another address) for tests in any
//! language, and print how to reach it.
//!
//! Arguments are parsed by hand: a handful of flags do not justify clap's compile time in a
//! crate whose users mostly link the library.

use std::net::SocketAddr;
use std::process::ExitCode;

const USAGE: &str = "\
fastly-tokens-fake: a stateful fake of Fastly's token APIs, for tests in any language

usage: fastly-tokens-fake [--bind ADDR] [--port N] [--hourly-limit N] [--seed-json]

  --bind ADDR        address to listen on (default 127.0.0.1:0, a free loopback port).
                     The fake serves its seeded keys and a control API: keep it on loopback
                     unless the network is a test network.
  --port N           shorthand for --bind 127.0.0.1:N
  --hourly-limit N   non-read requests per user per hour (default 1000)
  --seed-json        print one JSON line first: {\"base_url\", \"seed\"} (users, keys, token ids)
  --version          print the version
  -h, --help         print this help

Control API under /__fake/ (seed, faults, clock, requests, rate-limits/reset): see the
crate docs, https://docs.rs/fastly-tokens-fake.";

struct Options {
    bind: SocketAddr,
    limit: u32,
    seed_json: bool,
}

enum Parsed {
    Run(Options),
    Print(String),
}

fn parse(args: &[String]) -> Result<Parsed, String> {
    let mut options = Options {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        limit: fastly_tokens_fake::DEFAULT_HOURLY_LIMIT,
        seed_json: false,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value\n\n{USAGE}"))
        };
        match flag.as_str() {
            "--bind" => {
                let v = value()?;
                options.bind = v
                    .parse()
                    .map_err(|e| format!("--bind {v:?}: {e} (expected e.g. 127.0.0.1:8080)"))?;
            }
            "--port" => {
                let port: u16 = value()?.parse().map_err(|e| format!("--port: {e}"))?;
                options.bind = SocketAddr::from(([127, 0, 0, 1], port));
            }
            "--hourly-limit" => {
                options.limit = value()?
                    .parse()
                    .map_err(|e| format!("--hourly-limit: {e}"))?;
            }
            "--seed-json" => options.seed_json = true,
            "--version" | "-V" => {
                return Ok(Parsed::Print(format!(
                    "fastly-tokens-fake {}",
                    env!("CARGO_PKG_VERSION")
                )));
            }
            "-h" | "--help" => return Ok(Parsed::Print(USAGE.to_string())),
            other => return Err(format!("unknown argument {other:?}\n\n{USAGE}")),
        }
    }
    Ok(Parsed::Run(options))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(Parsed::Run(options)) => options,
        Ok(Parsed::Print(text)) => {
            println!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let fake = match fastly_tokens_fake::FakeFastly::builder()
        .addr(options.bind)
        .hourly_limit(options.limit)
        .start()
        .await
    {
        Ok(f) => f,
        Err(e) => {
            eprintln!("cannot listen on {}: {e}", options.bind);
            return ExitCode::FAILURE;
        }
    };
    if options.seed_json {
        let line = serde_json::json!({ "base_url": fake.base_url(), "seed": fake.seed() });
        println!("{line}");
    } else {
        println!("fake Fastly token API on {}", fake.base_url());
        println!("(demo credentials of a fake server; they work nowhere else)");
        for user in &fake.seed().users {
            println!(
                "  {:6} login {:20} password {:24} otp {:8} key {}",
                user.handle,
                user.login,
                user.password,
                user.otp.as_deref().unwrap_or("-"),
                user.key
            );
        }
        println!(
            "try: curl -H 'Fastly-Key: {}' {}/tokens/self",
            fake.seed().user("alice").key,
            fake.base_url()
        );
        println!(
            "control: curl {}/__fake/seed   (faults, clock, requests: see --help)",
            fake.base_url()
        );
    }
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
