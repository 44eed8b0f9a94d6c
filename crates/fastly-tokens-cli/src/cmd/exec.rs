//! `fastly-tokens exec`: a token that lives as long as one command. It is minted through the
//! hand-off core, given to the command in `FASTLY_API_TOKEN`, and revoked when the command
//! ends, however it ends: success, failure, a signal (passed on to it), or a command that
//! could not start.

use crate::args::ExecArgs;
use crate::context::Context;
use crate::handoff;
use crate::ledger::{self, Ledger};
use crate::mint::{self, MIN_LIFETIME, Request, Spec};
use crate::signals::{self, Foreground, Signals};
use crate::sink;
use crate::{ExitClass, Failure};

pub(crate) async fn run(ctx: &Context, args: ExecArgs) -> Result<u8, Failure> {
    if args.ttl < MIN_LIFETIME {
        return Err(Failure::usage(
            "--ttl is under a minute; a token must live at least a minute",
        ));
    }
    let Some((program, program_args)) = args.command.split_first() else {
        return Err(Failure::usage("name the command to run after `--`"));
    };
    let expires_at = mint::expiry(ctx.now, Some(args.ttl), None, false)?;
    let spec = Spec::from_flags(ctx, args.name.clone(), &args.access, expires_at)?;
    let login = ctx.login(&args.credentials)?;
    let mut signals = Signals::install()?;
    let mut ledger = Ledger::new(None);
    let minted =
        handoff::mint_step(ctx, &mut signals, &mut ledger, &spec, Request::User(login)).await?;
    if let Some(warning) = &minted.warning {
        // Its settings are unknown: the command is not given it.
        let why = format!("{warning}; the command was not run");
        return Err(handoff::undo(ctx, &mut signals, &mut ledger, &minted, &why).await);
    }

    let mut command = tokio::process::Command::new(program);
    command
        .args(program_args)
        .env("FASTLY_API_TOKEN", mint::expose(&minted))
        // The one-time code given to this process is not the command's business.
        .env_remove("FASTLY_OTP");
    let ran = match signals::spawn_in_group(&mut command) {
        Ok(mut child) => {
            let foreground = Foreground::give(&child);
            let status = signals.wait_child(&mut child).await;
            drop(foreground);
            status
                .map(|s| (sink::exit_code(s), sink::exited(s)))
                .map_err(|e| {
                    (
                        ExitClass::Other as u8,
                        format!("waiting for {program:?}: {e}"),
                    )
                })
        }
        // As a shell says it: 127 not found, 126 found but not executable.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err((127, format!("cannot run {program:?}: command not found")))
        }
        Err(e) => Err((126, format!("cannot run {program:?}: {e}"))),
    };
    drop(command);

    let command_had_it = ran.is_ok();
    ledger.new = match signals.shield(mint::revoke_minted(ctx, &minted)).await {
        Ok(_) => ledger::New::Revoked,
        // The command had the secret in its environment: the token is not secretless.
        Err(_) if command_had_it => ledger::New::Live {
            at: format!("the command {program:?} (FASTLY_API_TOKEN)"),
        },
        Err(why) => ledger::New::RevokeFailed { why },
    };
    let id = minted.shown_id();
    match (ran, &ledger.new) {
        // A signal fastly-tokens itself received ends it with 128 + n, as every minting
        // command does, once the token is revoked (the command had it passed on).
        (Ok(_), ledger::New::Revoked) if signals.received().is_some() => Ok(signals
            .received()
            .map_or(1, |n| u8::try_from(128 + n).unwrap_or(1))),
        (Ok((code, _)), ledger::New::Revoked) => Ok(code),
        (Err((code, why)), ledger::New::Revoked) => Err(Failure {
            class: ExitClass::Usage,
            message: format!("{why}; its token {id} was revoked"),
            exit: Some(code),
            signal: signals.received(),
            ..Failure::default()
        }),
        (ran, _) => {
            let (code, what) = match ran {
                Ok((code, how)) => (code, format!("the command {how}")),
                Err((code, why)) => (code, why),
            };
            let expires = spec.expires_at.map_or("-".to_string(), |t| {
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            });
            Err(Failure {
                class: ExitClass::Partial,
                message: format!(
                    "{what} (its exit code {code} is replaced by 6), but revoking its token \
                     {id} failed; it expires at {expires} anyway, or revoke it with {}. {}",
                    minted.revoke_hint(),
                    ledger.account()
                ),
                tokens: ledger.tokens(),
                signal: signals.received(),
                ..Failure::default()
            })
        }
    }
}
