//! `fastly-tokens-fake [--port N] [--hourly-limit N]`: serve the fake on loopback and print the
//! seeded credentials.
//!
//! Arguments are parsed by hand: two numeric flags do not justify clap's compile time here.

use std::net::SocketAddr;
use std::process::ExitCode;

const USAGE: &str = "usage: fastly-tokens-fake [--port N] [--hourly-limit N]";

fn parse(args: &[String]) -> Result<(u16, u32), String> {
    let (mut port, mut limit) = (0u16, fastly_tokens_fake::DEFAULT_HOURLY_LIMIT);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = || {
            it.clone()
                .next()
                .ok_or(format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--port" => port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--hourly-limit" => {
                limit = value()?
                    .parse()
                    .map_err(|e| format!("--hourly-limit: {e}"))?
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
        it.next();
    }
    Ok((port, limit))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (port, limit) = match parse(&args) {
        Ok(v) => v,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let fake = match fastly_tokens_fake::FakeFastly::builder()
        .addr(SocketAddr::from(([127, 0, 0, 1], port)))
        .hourly_limit(limit)
        .start()
        .await
    {
        Ok(f) => f,
        Err(e) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("fake Fastly Tokens API on {}", fake.base_url());
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
        "try: FASTLY_API_TOKEN={} curl -H \"Fastly-Key: $FASTLY_API_TOKEN\" {}/tokens/self",
        fake.seed().user("alice").key,
        fake.base_url()
    );
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
