//! `revoke --current` (the token in use) and `revoke --secret-stdin` (a leaked key, by its
//! secret). Either may be the token this command runs with, and then only `--current` goes
//! ahead.

use fastly_tokens::RevokeOutcome;

use super::read;
use super::report::print_revoke;
use crate::args::RevokeArgs;
use crate::context::Context;
use crate::docs::{Outcome, RevokeDoc, TokenResult};
use crate::input;
use crate::mint::{self, Via};
use crate::output::clean;
use crate::{ExitClass, Failure};

/// `revoke --secret-stdin`: kill a leaked key without knowing its id.
pub(crate) async fn leaked(ctx: &Context, args: &RevokeArgs) -> Result<ExitClass, Failure> {
    let secret = input::secret()?;
    let leaked = ctx.client_for(&secret)?;
    let token = read::owner_of(ctx, &leaked).await?;
    if ctx.is_token_in_use(&secret) && !args.current {
        return Err(Failure::usage(format!(
            "refusing to revoke {} ({}): that secret is the token in use; add --current to \
             revoke it anyway",
            token.id(),
            clean(token.name())
        )));
    }
    let entry = vec![(token.id().clone(), Some(token.name().to_string()))];
    let result = |status, via: Option<Via>| TokenResult {
        id: token.id().to_string(),
        name: Some(token.name().to_string()),
        status,
        error: None,
        via: via.map(|v| v.as_str().to_string()),
    };
    if args.dry_run {
        let doc = RevokeDoc::new(true, vec![result(Outcome::WouldRevoke, None)], Vec::new());
        print_revoke(ctx, &doc)?;
        return Ok(ExitClass::Success);
    }
    input::confirm(
        &input::listing(&entry, "revoke the leaked token"),
        "Revoke the token this secret belongs to?",
        args.yes,
        "nothing was revoked",
    )?;
    // The leaked key revokes itself; a read-only one may not, and then your own token revokes
    // it by id.
    let (via, outcome) = mint::revoke_with_key(ctx, &secret, Some(token.id()), false).await?;
    let outcome = match outcome {
        RevokeOutcome::AlreadyGone => Outcome::AlreadyGone,
        _ => Outcome::Revoked,
    };
    let doc = RevokeDoc::new(false, vec![result(outcome, Some(via))], Vec::new());
    print_revoke(ctx, &doc)?;
    if !ctx.json {
        ctx.out.line(match via {
            Via::OwnKey => "revoked with the leaked key itself (DELETE /tokens/self)",
            Via::ById => {
                "the leaked key may not revoke itself (read-only): revoked by id with your token"
            }
        })?;
    }
    Ok(ExitClass::Success)
}

/// `revoke --current`.
pub(crate) async fn current(ctx: &Context, args: &RevokeArgs) -> Result<ExitClass, Failure> {
    let me = ctx.call(ctx.client.current_token()).await?;
    let entry = vec![(me.id().clone(), Some(me.name().to_string()))];
    let result = |status| TokenResult {
        id: me.id().to_string(),
        name: Some(me.name().to_string()),
        status,
        error: None,
        via: None,
    };
    if args.dry_run {
        let doc = RevokeDoc::new(true, vec![result(Outcome::WouldRevoke)], Vec::new());
        print_revoke(ctx, &doc)?;
        return Ok(ExitClass::Success);
    }
    input::confirm(
        &input::listing(&entry, "revoke the token in use"),
        "Revoke the token in use? Commands using it will stop working.",
        args.yes,
        "nothing was revoked",
    )?;
    ctx.call(ctx.client.revoke_current_token()).await?;
    print_revoke(
        ctx,
        &RevokeDoc::new(false, vec![result(Outcome::Revoked)], Vec::new()),
    )?;
    if !ctx.json {
        ctx.out
            .line("that was the token in use: replace FASTLY_API_TOKEN")?;
    }
    Ok(ExitClass::Success)
}
