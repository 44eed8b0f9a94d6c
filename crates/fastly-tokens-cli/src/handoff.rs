//! The hand-off core: every command that mints a secret goes through here (`create`,
//! `automation create`, `rotate`, `exec`). Its steps, in order:
//!
//! 1. **mint**: create the token (a signal meanwhile waits for the answer, so the token is
//!    known and can be revoked);
//! 2. **verify** (rotate): the new secret authenticates as the new token. Checked before
//!    delivery, so that a secret store never receives a secret that does not work;
//! 3. **deliver** and **confirm**: stdout written and flushed without error, or the file
//!    synced and renamed into place, or the command read the whole secret and exited 0;
//! 4. **retire**: revoke the old token (rotate), only now.
//!
//! Any stop after the mint runs the compensation of the step it stopped at: before delivery
//! is confirmed the new token is revoked (with its own key, else by id) and the old one kept;
//! after it, nothing is revoked that was not promised, and both tokens are named. Such a stop
//! ends with the partial class (6), or 128 + n after signal n, and stderr names every token
//! that exists and its state ([`Ledger`]). Exit 0 means every step happened.

use std::io;

use fastly_tokens::{RevokeOutcome, TokenId};

use crate::context::Context;
use crate::ledger::{self, Ledger};
use crate::mint::{self, Minted, Request, Spec};
use crate::output::{Out, clean};
use crate::signals::Signals;
use crate::sink::{self, FileTarget};
use crate::{ExitClass, Failure};

/// Where the new secret goes.
#[derive(Debug)]
pub(crate) enum Sink {
    Stdout,
    File(FileTarget),
    /// A shell command, given the secret on its stdin.
    Command(String),
}

/// The token a rotation replaces.
#[derive(Debug, Clone)]
pub(crate) struct Old {
    pub(crate) id: TokenId,
    pub(crate) name: String,
    pub(crate) in_use: bool,
}

/// What a command asks of the core.
pub(crate) struct Plan {
    pub(crate) spec: Spec,
    pub(crate) request: Request,
    pub(crate) sink: Sink,
    /// Check the new secret works before delivering it.
    pub(crate) verify: bool,
    /// The token to retire once the new secret is delivered.
    pub(crate) old: Option<Old>,
    /// Keep `old` (`--keep-old`): report it, revoke nothing.
    pub(crate) keep_old: bool,
}

/// What a command writes on stdout at the two points of a hand-off. Each returns the result
/// of its writes: with [`Sink::Stdout`], a failed `delivered` means the secret did not arrive.
pub(crate) trait Announce {
    /// After the new token is verified, before the old one is touched: with [`Sink::Stdout`]
    /// the secret itself (this is the delivery); otherwise the token, and `handed_to`.
    fn delivered(&mut self, out: &Out, new: &Minted, handed_to: Option<&str>) -> io::Result<()>;
    /// At the end: what became of the old token, when there is one.
    fn finished(&mut self, out: &Out, old: Option<(&Old, &ledger::Old)>) -> io::Result<()>;
}

/// Why a command stopped at signal `n`.
fn interrupted(n: i32, when: &str) -> String {
    format!("interrupted by {}{when}", crate::signals::name(n))
}

/// A stop after the mint: the failure, with the ledger's account and tokens.
fn stop(ledger: &Ledger, why: &str, signals: &Signals) -> Failure {
    Failure {
        class: ExitClass::Partial,
        message: format!("{why}. {}", ledger.account()),
        signal: signals.received(),
        tokens: ledger.tokens(),
        ..Failure::default()
    }
}

/// Compensation before delivery: revoke the new token (the old one is untouched).
pub(crate) async fn undo(
    ctx: &Context,
    signals: &mut Signals,
    ledger: &mut Ledger,
    minted: &Minted,
    why: &str,
) -> Failure {
    ledger.new = match signals.shield(mint::revoke_minted(ctx, minted)).await {
        Ok(_) => ledger::New::Revoked,
        Err(why) => ledger::New::RevokeFailed { why },
    };
    stop(ledger, why, signals)
}

/// Step 1: mint, then stop at once (revoking what was minted) if a signal came meanwhile.
pub(crate) async fn mint_step(
    ctx: &Context,
    signals: &mut Signals,
    ledger: &mut Ledger,
    spec: &Spec,
    request: Request,
) -> Result<Minted, Failure> {
    match signals.shield(mint::mint(ctx, spec, request)).await {
        Ok(minted) => {
            ledger.minted(&minted);
            if let Some(n) = signals.received() {
                let why = interrupted(n, "");
                return Err(undo(ctx, signals, ledger, &minted, &why).await);
            }
            Ok(minted)
        }
        Err(mut failure) => {
            if failure.class == ExitClass::Partial {
                ledger.new = ledger::New::MayExist;
            }
            failure.message = format!("{}. {}", failure.message, ledger.account());
            failure.signal = signals.received();
            failure.tokens = ledger.tokens();
            Err(failure)
        }
    }
}

/// Runs a plan to its end; `Ok` only when every step happened.
pub(crate) async fn run(
    ctx: &Context,
    plan: Plan,
    announce: &mut dyn Announce,
) -> Result<ExitClass, Failure> {
    if matches!(plan.sink, Sink::Stdout) && crate::output::stdout_is_null() {
        return Err(Failure::usage(
            "stdout is /dev/null (or was closed): the new secret would be lost; send it to a \
             file or a pipe, or use --write-to / --exec (rotate). Nothing was created",
        ));
    }
    let mut signals = Signals::install()?;
    run_with(ctx, plan, announce, &mut signals).await
}

/// [`run`] with signals caught by the caller, for a command that runs several hand-offs
/// (`apply`): a signal between two of them is noted too, so the caller stops there.
pub(crate) async fn run_with(
    ctx: &Context,
    plan: Plan,
    announce: &mut dyn Announce,
    signals: &mut Signals,
) -> Result<ExitClass, Failure> {
    let mut ledger = Ledger::new(plan.old.as_ref().map(|o| &o.id));
    let minted = mint_step(ctx, signals, &mut ledger, &plan.spec, plan.request).await?;

    if let Some(warning) = &minted.warning {
        // The token exists but its settings are unknown. On stdout the secret is never
        // withheld (the caller decides); a file or a command is not given a token nobody has
        // checked. Either way the old token is kept.
        if matches!(plan.sink, Sink::Stdout) && announce.delivered(&ctx.out, &minted, None).is_ok()
        {
            ledger.new = ledger::New::Live {
                at: "stdout".to_string(),
            };
            // The document begun on stdout is finished: the old token was kept.
            let _ = announce.finished(&ctx.out, plan.old.as_ref().map(|o| (o, &ledger.old)));
            return Err(stop(
                &ledger,
                &format!("{warning}; store its secret (printed above) or revoke it"),
                signals,
            ));
        }
        return Err(undo(ctx, signals, &mut ledger, &minted, warning).await);
    }

    if plan.verify {
        if let Err(why) = signals.shield(mint::verify(ctx, &minted)).await {
            return Err(undo(ctx, signals, &mut ledger, &minted, &why).await);
        }
        if let Some(n) = signals.received() {
            let why = interrupted(n, "");
            return Err(undo(ctx, signals, &mut ledger, &minted, &why).await);
        }
    }

    // Deliver and confirm.
    let handed = match &plan.sink {
        Sink::Stdout => Ok(None),
        Sink::File(file) => file
            .write(mint::expose(&minted))
            .map(|()| Some(file.describe())),
        Sink::Command(command) => sink::command(signals, command, mint::expose(&minted))
            .await
            .map(|()| Some(format!("command `{}`", clean(command)))),
    };
    let handed_to = match handed {
        Ok(to) => to,
        Err(why) => {
            let why = format!("handing the new secret over failed: {why}");
            return Err(undo(ctx, signals, &mut ledger, &minted, &why).await);
        }
    };
    let announced = announce.delivered(&ctx.out, &minted, handed_to.as_deref());
    let report_cut = match (&handed_to, announced) {
        (None, Err(e)) => {
            let why = format!("the new secret could not be written to stdout ({e})");
            return Err(undo(ctx, signals, &mut ledger, &minted, &why).await);
        }
        // The secret is in its file or command; only the report is cut short. Carry on.
        (Some(_), Err(e)) => Some(e),
        (_, Ok(())) => None,
    };
    // A reader that went away after the secret was written (`| head -c 10`) did not keep it:
    // delivery is not confirmed, and nothing is retired.
    if handed_to.is_none() && crate::output::stdout_reader_gone() {
        let why = "stdout's reader went away: the new secret may not have been kept";
        let failure = undo(ctx, signals, &mut ledger, &minted, why).await;
        let _ = announce.finished(&ctx.out, plan.old.as_ref().map(|o| (o, &ledger.old)));
        return Err(failure);
    }
    ledger.new = ledger::New::Live {
        at: handed_to.clone().unwrap_or_else(|| "stdout".to_string()),
    };
    if let Some(n) = signals.received() {
        // Delivered: nothing more is undone, and nothing more is done.
        let why = interrupted(n, " before the old token was revoked");
        let _ = announce.finished(&ctx.out, plan.old.as_ref().map(|o| (o, &ledger.old)));
        return Err(stop(&ledger, &why, signals));
    }

    // Retire.
    if let Some(old) = &plan.old {
        ledger.old = if plan.keep_old {
            ledger::Old::Kept
        } else {
            signals.shield(retire(ctx, old)).await
        };
    }
    let finished = announce.finished(&ctx.out, plan.old.as_ref().map(|o| (o, &ledger.old)));
    if let Some(n) = signals.received() {
        let why = interrupted(n, "");
        return Err(stop(&ledger, &why, signals));
    }
    if let ledger::Old::RevokeFailed { .. } = &ledger.old {
        return Err(stop(
            &ledger,
            "the new token works and was delivered, but revoking the old token failed",
            signals,
        ));
    }
    if let Some(e) = report_cut.or(finished.err()) {
        let why = format!(
            "stdout failed before the report was complete ({e}), though every step happened"
        );
        return Err(stop(&ledger, &why, signals));
    }
    Ok(ExitClass::Success)
}

/// Revokes the old token: `DELETE /tokens/self` when it is the one in use, else by id.
async fn retire(ctx: &Context, old: &Old) -> ledger::Old {
    let revoked = if old.in_use {
        ctx.waiting(ctx.client.revoke_current_token())
            .await
            .map(|()| RevokeOutcome::Revoked)
    } else {
        ctx.waiting(ctx.client.revoke_token(&old.id)).await
    };
    match revoked {
        Ok(RevokeOutcome::AlreadyGone) => ledger::Old::AlreadyGone,
        // Any other outcome the library may add still means the token no longer works.
        Ok(_) => ledger::Old::Revoked,
        Err(e) => ledger::Old::RevokeFailed {
            why: crate::errors::message(&e, ctx.keys, false),
        },
    }
}
