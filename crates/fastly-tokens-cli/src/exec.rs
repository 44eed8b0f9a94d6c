//! `fastly-tokens exec`: a token that lives as long as one command.

use std::time::Duration;

use fastly_tokens::Error;
use fastly_tokens::secrecy::ExposeSecret as _;

use crate::commands::{self, Context};
use crate::errors;
use crate::{ExecArgs, ExitClass, Failure};

/// Shortest TTL accepted (as for any new token).
const MIN_TTL: Duration = Duration::from_secs(60);

pub(crate) async fn run(ctx: &Context, args: ExecArgs) -> Result<u8, Failure> {
    if args.ttl < MIN_TTL {
        return Err(Failure::usage(
            "--ttl is under a minute; a token must live at least a minute",
        ));
    }
    let scopes = commands::scopes(&args.scopes)?;
    let services = commands::services(ctx, &args.services)?;
    let Some((program, program_args)) = args.command.split_first() else {
        return Err(Failure::usage("name the command to run after `--`"));
    };
    let expires_at = commands::expiry(ctx.now, Some(args.ttl), None, false)?;
    let login = ctx.login(&args.credentials)?;
    let mut request = ctx
        .client
        .create_token(login.credentials)
        .name(args.name.as_str())
        .scopes(scopes);
    if !services.is_empty() {
        request = request.services(services);
    }
    if let Some(at) = expires_at {
        request = request.expires_at(at);
    }
    if let Some(otp) = login.otp {
        request = request.otp(otp);
    }
    let created = match ctx.waiting(request.send()).await {
        Ok(created) => created,
        Err(Error::CreatedUndecoded(partial)) => {
            // The token exists but its answer was incomplete: revoke it rather than run the
            // command with a token whose settings are unknown.
            let secret = partial.access_token().clone();
            let revoked = match ctx.client_for(&secret, fastly_tokens::DEFAULT_CONNECT_TIMEOUT) {
                Ok(own) => own.revoke_current_token().await.is_ok(),
                Err(_) => false,
            };
            return Err(Failure {
                class: ExitClass::Partial,
                message: format!(
                    "Fastly created the token but its answer was incomplete ({}); it was {}; the command was not run",
                    partial.reason(),
                    if revoked {
                        "revoked"
                    } else {
                        "NOT revoked: find it with `fastly-tokens list`"
                    }
                ),
                ..Failure::default()
            });
        }
        Err(e) => return Err(errors::failure(&e, ctx.keys, login.password)),
    };
    let (token, secret) = created.into_parts();
    let status = run_child(program, program_args, secret.expose_secret()).await;
    // Revoke with the token itself, which works whatever the caller's own credentials are; a
    // read-only token may not revoke itself, and then the caller's API token revokes it by id.
    let own = ctx.client_for(&secret, fastly_tokens::DEFAULT_CONNECT_TIMEOUT)?;
    let revoked = match own.revoke_current_token().await {
        Ok(()) => Ok(()),
        // The command may have revoked it already.
        Err(e) if e.is_unauthorized() => Ok(()),
        Err(e) if e.is_forbidden() => ctx.client.revoke_token(token.id()).await.map(drop),
        Err(e) => Err(e),
    };
    if let Err(e) = revoked {
        return Err(Failure {
            class: ExitClass::Partial,
            message: format!(
                "the command finished but revoking its token {} failed: {}; it expires at {} anyway, \
                 or revoke it with `fastly-tokens revoke {} --yes`",
                token.id(),
                errors::message(&e, ctx.keys, false),
                token.expires_at().map_or("-".to_string(), |t| t
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                token.id()
            ),
            ..Failure::default()
        });
    }
    match status {
        Ok(code) => Ok(code),
        Err(message) => Err(Failure {
            class: ExitClass::Usage,
            message: format!("{message}; its token {} was revoked", token.id()),
            ..Failure::default()
        }),
    }
}

/// Runs the command with the token in `FASTLY_API_TOKEN`, forwarding SIGINT and SIGTERM to
/// it; returns its exit status (128 + signal when a signal ended it, as shells report).
async fn run_child(program: &str, args: &[String], secret: &str) -> Result<u8, String> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .env("FASTLY_API_TOKEN", secret)
        .kill_on_drop(false)
        .spawn()
        .map_err(|e| format!("cannot run {program:?}: {e}"))?;
    let pid = child.id().map(|id| nix::unistd::Pid::from_raw(id as i32));
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let mut terminate = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let forward = |sig: nix::sys::signal::Signal| {
        if let Some(pid) = pid {
            let _ = nix::sys::signal::kill(pid, sig);
        }
    };
    loop {
        tokio::select! {
            status = child.wait() => {
                let status = status.map_err(|e| format!("waiting for {program:?}: {e}"))?;
                return Ok(exit_code(status));
            }
            _ = interrupt.recv() => forward(nix::sys::signal::Signal::SIGINT),
            _ = terminate.recv() => forward(nix::sys::signal::Signal::SIGTERM),
        }
    }
}

fn exit_code(status: std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt as _;
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code).unwrap_or(1),
        (None, Some(sig)) => u8::try_from(128 + sig).unwrap_or(1),
        _ => 1,
    }
}
