//! `fastly-tokens rotate`: a new token with the old one's name, scopes and services, its
//! secret delivered (stdout, `--write-to`, `--exec`) before the old token is revoked. The steps
//! and what happens when one fails are the hand-off core's (`handoff.rs`).

use std::io;

use chrono::{DateTime, Utc};
use fastly_tokens::Token;

use super::create::{created_doc, print_secret};
use super::read;
use crate::args::RotateArgs;
use crate::context::Context;
use crate::docs::{Outcome, RotateDoc, RotatePlan, TokenResult};
use crate::handoff::{self, Announce, Old, Plan, Sink};
use crate::input;
use crate::ledger;
use crate::mint::{self, MIN_LIFETIME, Minted, NewToken, Request, Spec};
use crate::output::{self, Out, clean};
use crate::sink::FileTarget;
use crate::{ExitClass, Failure};

pub(crate) async fn run(ctx: &Context, args: RotateArgs) -> Result<ExitClass, Failure> {
    let me = ctx.call(ctx.client.current_token()).await?;
    let old = match &args.id {
        None => me.clone(),
        Some(id) => {
            let id = read::token_id(ctx, id)?;
            if &id == me.id() && !args.current {
                return Err(Failure::usage(format!(
                    "refusing to rotate {id} ({}): it is the token in use (FASTLY_API_TOKEN); \
                     use `rotate --current`, then replace FASTLY_API_TOKEN with the new secret",
                    clean(me.name())
                )));
            }
            ctx.call(ctx.client.get_token(&id))
                .await
                .map_err(|f| f.context(". Nothing was changed."))?
        }
    };
    if old.is_browser_session() {
        return Err(Failure::usage(format!(
            "refusing to rotate {} ({}): it is a manage.fastly.com browser session, not an API \
             token; rotating would mint a global API token. Sign out of the session instead, \
             or revoke it with `fastly-tokens revoke {}`",
            old.id(),
            clean(old.name()),
            old.id()
        )));
    }
    let owner_changes = old.user_id() != me.user_id();
    if owner_changes && !args.change_owner {
        return Err(Failure::usage(format!(
            "refusing to rotate {} ({}): it belongs to user {}, and the replacement would belong \
             to you ({}), with its scopes ({}); pass --change-owner if that is intended, or let \
             its owner rotate it. Nothing was changed.",
            old.id(),
            clean(old.name()),
            old.user_id(),
            me.user_id(),
            clean(old.scopes().as_str())
        )));
    }
    let in_use = old.id() == me.id();
    let expires_at = expiry(ctx, &old, &args)?;
    let plan = RotatePlan {
        old_owner: old.user_id().to_string(),
        owner: me.user_id().to_string(),
        name: old.name().to_string(),
        scope: old.scopes().as_str().to_string(),
        services: old.services().iter().map(ToString::to_string).collect(),
        expires_at,
    };
    let mut plan_lines = vec![
        format!(
            "create  {}  scopes {}  services {}  expires {}  owner {}",
            output::cell(&plan.name, 60),
            clean(&plan.scope),
            output::services(&old),
            output::when(expires_at, "never"),
            plan.owner
        ),
        format!(
            "revoke  {}  {}  owner {}{}",
            old.id(),
            output::cell(old.name(), 60),
            plan.old_owner,
            if in_use { "  (the token in use)" } else { "" }
        ),
    ];
    if owner_changes {
        plan_lines.push(format!(
            "owner changes: the new token belongs to {}, not {} (--change-owner)",
            plan.owner, plan.old_owner
        ));
    }
    let old_result = TokenResult {
        id: old.id().to_string(),
        name: Some(old.name().to_string()),
        status: Outcome::WouldRevoke,
        error: None,
        via: None,
    };
    if args.dry_run {
        if ctx.json {
            ctx.out.json(&RotateDoc {
                dry_run: true,
                new: None,
                plan,
                replaces_token_in_use: in_use,
                handed_to: None,
                old: old_result,
            })?;
        } else {
            for line in &plan_lines {
                ctx.out.line(line)?;
            }
            ctx.out.line("dry run: nothing was created or revoked")?;
        }
        return Ok(ExitClass::Success);
    }
    // Where the secret goes is checked before anything is created.
    let sink = match (&args.write_to, &args.exec) {
        (Some(path), _) => Sink::File(FileTarget::prepare(path)?),
        (None, Some(command)) => Sink::Command(command.clone()),
        (None, None) => Sink::Stdout,
    };
    input::confirm(
        &plan_lines,
        &format!("Rotate {}?", old.id()),
        args.yes,
        "nothing was changed",
    )?;
    let login = ctx.login(&args.credentials)?;
    let handoff_plan = Plan {
        spec: Spec {
            name: old.name().to_string(),
            scopes: old.scopes().iter().cloned().collect(),
            services: old.services().to_vec(),
            expires_at,
        },
        request: Request::User(login),
        sink,
        verify: true,
        old: Some(Old {
            id: old.id().clone(),
            name: old.name().to_string(),
            in_use,
        }),
        keep_old: args.keep_old,
    };
    let mut announce = RotateAnnounce {
        json: ctx.json,
        plan,
        in_use,
        old: old_result,
    };
    handoff::run(ctx, handoff_plan, &mut announce).await
}

/// The new token's expiry: `--expires-in`, `--no-expiry`, or the old token's lifetime counted
/// from now.
fn expiry(ctx: &Context, old: &Token, args: &RotateArgs) -> Result<Option<DateTime<Utc>>, Failure> {
    if args.no_expiry || args.expires_in.is_some() {
        return mint::expiry(ctx.now, args.expires_in, None, args.no_expiry);
    }
    let Some(at) = old.expires_at() else {
        return Err(Failure::usage(format!(
            "{} never expires; give the new token an expiry with --expires-in (e.g. 90d), or \
             keep none with --no-expiry",
            old.id()
        )));
    };
    let lifetime = at.signed_duration_since(old.created_at());
    let lifetime = lifetime.to_std().unwrap_or_default().max(MIN_LIFETIME);
    mint::expiry(ctx.now, Some(lifetime), None, false)
}

/// The rotate document in two parts (the new secret, then the old token's fate), or the
/// text.
struct RotateAnnounce {
    json: bool,
    plan: RotatePlan,
    in_use: bool,
    old: TokenResult,
}

/// The head of the rotate document: everything but `old`, which comes last.
#[derive(serde::Serialize)]
struct RotateHead<'a> {
    dry_run: bool,
    new: crate::docs::CreatedDoc,
    plan: &'a RotatePlan,
    replaces_token_in_use: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    handed_to: Option<&'a str>,
}

impl Announce for RotateAnnounce {
    fn delivered(&mut self, out: &Out, new: &Minted, handed_to: Option<&str>) -> io::Result<()> {
        if self.json {
            let head = RotateHead {
                dry_run: false,
                new: created_doc(new, handed_to.is_none()),
                plan: &self.plan,
                replaces_token_in_use: self.in_use,
                handed_to,
            };
            let text = output::to_json(&head).map_err(|f| io::Error::other(f.message))?;
            // `{ ... \n}` without its closing brace: the rest follows in `finished`.
            let open = text.strip_suffix("\n}").unwrap_or(&text);
            return out.write_line(format!("{open},"));
        }
        if let Some(NewToken::User(token)) = &new.token {
            let _ = output::print_token(out, token);
            let _ = out.line("");
        }
        match handed_to {
            None => print_secret(out, new),
            Some(to) => out.write_line(format!("the new secret was handed to the {to}")),
        }
    }

    fn finished(&mut self, out: &Out, old: Option<(&Old, &ledger::Old)>) -> io::Result<()> {
        let Some((old, fate)) = old else {
            return Ok(());
        };
        let (status, error) = match fate {
            ledger::Old::Revoked => (Outcome::Revoked, None),
            ledger::Old::AlreadyGone => (Outcome::AlreadyGone, None),
            ledger::Old::Kept | ledger::Old::Works => (Outcome::Kept, None),
            ledger::Old::RevokeFailed { why } => (Outcome::Kept, Some(why.clone())),
        };
        if self.json {
            self.old.status = status;
            self.old.error = error;
            let text = output::to_json(&self.old).map_err(|f| io::Error::other(f.message))?;
            return out.write_line(format!("  \"old\": {}\n}}", text.replace('\n', "\n  ")));
        }
        let id = &old.id;
        match fate {
            ledger::Old::Kept => out.write_line(format!(
                "\nkept the old token {id}; revoke it later with `fastly-tokens revoke {id} --yes`"
            )),
            ledger::Old::Revoked | ledger::Old::AlreadyGone => {
                out.write_line(format!(
                    "\n{} the old token {id} ({})",
                    if status == Outcome::Revoked {
                        "revoked"
                    } else {
                        "already gone:"
                    },
                    output::cell(&old.name, 60)
                ))?;
                if old.in_use {
                    out.write_line(
                        "it was the token in use: replace FASTLY_API_TOKEN with the new secret",
                    )?;
                }
                Ok(())
            }
            ledger::Old::RevokeFailed { .. } | ledger::Old::Works => Ok(()),
        }
    }
}
