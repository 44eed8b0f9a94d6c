//! `fastly-tokens`: Fastly API token hygiene from the terminal and from CI.
//!
//! Every command goes through the public `fastly-tokens` crate; there is no second HTTP path.
//! Exit codes are documented in [`ExitClass`] and in `--help`. Every command that mints a
//! secret goes through the hand-off core ([`handoff`]).

mod args;
mod audited;
mod cmd;
mod context;
mod declared;
mod docs;
mod errors;
mod failure;
mod handoff;
mod input;
mod junit;
mod ledger;
mod mint;
mod output;
mod policy;
mod profile;
mod reconcile;
mod reports;
mod sarif;
mod signals;
mod sink;
mod unattended;

use std::process::ExitCode;

use clap::Parser as _;

pub(crate) use args::Cli;
pub(crate) use failure::{ExitClass, Failure};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let json = cli.global.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let failure = Failure::local(format!("cannot start the async runtime: {e}"));
            report(&failure, json);
            return ExitCode::from(failure.code());
        }
    };
    let result = runtime.block_on(cmd::run(cli));
    // A request still in flight (a revoke after a signal) is not waited for beyond this.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match output::settle(result) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            report(&failure, json);
            ExitCode::from(failure.code())
        }
    }
}

/// A command line clap refused: clap's own text, or with `--json` the error document, exit 2.
/// `--help` and `--version` print as usual.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        // Help and version go to stdout like any output: a full disk is not a success.
        let text = e.render().to_string();
        return match output::Out.write_line(text.trim_end()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                let failure = Failure::local(format!("cannot write to stdout: {e}"));
                report(&failure, false);
                ExitCode::from(failure.code())
            }
            _ => ExitCode::SUCCESS,
        };
    }
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand || !wants_json() {
        let _ = e.print();
        return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
    }
    let text = e.render().to_string();
    let message = text
        .split("\n\n")
        .next()
        .unwrap_or(&text)
        .trim()
        .trim_start_matches("error: ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let failure = Failure::usage(message);
    report(&failure, true);
    ExitCode::from(failure.code())
}

/// Whether `--json` is among the arguments (before a `--`, after which they are `exec`'s).
fn wants_json() -> bool {
    std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

/// Writes a failure on stderr: one line of text, or the JSON error document.
fn report(failure: &Failure, json: bool) {
    if json {
        let doc = docs::ErrorDoc {
            error: docs::ErrorBody {
                class: failure.class_name().to_string(),
                exit_code: failure.code(),
                status: failure.status,
                message: failure.message.clone(),
                rate_limit_reset: failure.rate_limit_reset,
                tokens: failure.tokens.clone(),
            },
        };
        if let Ok(text) = serde_json::to_string(&doc) {
            output::err_line(text);
            return;
        }
    }
    output::err_line(format!("error: {}", output::clean(&failure.message)));
}
