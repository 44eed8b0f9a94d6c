//! `fastly-tokens plan` and `apply`: tokens as code. `plan` reads the account and prints one
//! action per token (`reconcile.rs`); `apply` carries the changes out, each create and rotate
//! through the hand-off core (`handoff.rs`), so every new secret is delivered before the token
//! it replaces is revoked, and a failed delivery revokes the new token and keeps the old.

use std::io;
use std::time::Instant;

use chrono::{DateTime, Utc};
use std::collections::HashSet;

use fastly_tokens::{CustomerId, TokenId};

use crate::args::{ApplyArgs, PlanArgs};
use crate::context::Context;
use crate::declared::{self, Declared, Deliver, Kind, Wanted};
use crate::docs::{ApplyDoc, ApplyResult, PlanAction, PlanDoc};
use crate::handoff::{self, Announce, Old, Plan, Sink};
use crate::input;
use crate::ledger;
use crate::mint::{Minted, Request, Spec};
use crate::output::{self, Out, clean};
use crate::reconcile::{self, Act, Action, Live};
use crate::signals::Signals;
use crate::sink::FileTarget;
use crate::unattended::Unattended;
use crate::{ExitClass, Failure};

/// The file, the plan against the account as it is now, and the ids of every live token read.
async fn read(
    ctx: &Context,
    args: &PlanArgs,
) -> Result<(Declared, Vec<Action>, HashSet<TokenId>), Failure> {
    let declared = declared::load(&args.file).map_err(Failure::usage)?;
    let me = ctx.call(ctx.client.current_token()).await?;
    let users = match &args.customer {
        Some(customer) => {
            let customer: CustomerId = customer.parse().map_err(|e| ctx.fail(&e))?;
            ctx.call(ctx.client.list_customer_tokens(&customer)).await?
        }
        None => ctx.call(ctx.client.list_tokens()).await?,
    };
    let mut live: Vec<Live> = users
        .iter()
        .filter(|t| !t.is_browser_session())
        .map(|t| Live::user(t, me.id(), me.user_id()))
        .collect();
    let wants_automation = declared.tokens.iter().any(|w| w.kind == Kind::Automation);
    if wants_automation || !declared.prune.is_empty() {
        match ctx.waiting(ctx.client.list_automation_tokens()).await {
            Ok(tokens) => live.extend(tokens.iter().map(|t| Live::automation(t, me.id()))),
            // Only [prune] wanted them: say so, and plan the user tokens.
            Err(e) if !wants_automation && e.is_forbidden() => output::err_line(
                "warning: this token may not list automation tokens (403): [prune] applies to \
                 user tokens only",
            ),
            Err(e) => return Err(ctx.fail(&e)),
        }
    }
    let actions = reconcile::plan(&declared, &live, ctx.now);
    let known = live.into_iter().map(|l| l.id).collect();
    Ok((declared, actions, known))
}

/// Where a declared token's secret goes, in words.
fn deliver_text(wanted: &Wanted) -> String {
    match &wanted.deliver {
        Deliver::File(path) => format!("file {}", path.display()),
        Deliver::Exec(command) => format!("command `{}`", clean(command)),
    }
}

fn plan_doc(declared: &Declared, actions: &[Action]) -> PlanDoc {
    PlanDoc {
        changes: actions.iter().filter(|a| a.act != Act::Ok).count(),
        writes: actions.iter().map(Action::writes).sum(),
        actions: actions
            .iter()
            .map(|a| PlanAction {
                action: a.act.as_str(),
                kind: a.kind.as_str(),
                name: a.name.clone(),
                id: a.live.as_ref().map(|l| l.id.to_string()),
                reason: a.reason.clone(),
                deliver: match a.act {
                    Act::Create | Act::Rotate => {
                        a.wanted.map(|i| deliver_text(&declared.tokens[i]))
                    }
                    Act::Revoke | Act::Ok => None,
                },
            })
            .collect(),
    }
}

/// The plan as text lines: one per action, then the summary.
fn plan_lines(doc: &PlanDoc, file: &str) -> Vec<String> {
    let mut lines: Vec<String> = doc
        .actions
        .iter()
        .map(|a| {
            let mut line = format!(
                "{:<6}  {:<10}  {}  {}",
                a.action,
                a.kind,
                output::cell(&a.name, 40),
                a.id.as_deref().unwrap_or("-")
            );
            line.push_str(&format!("  {}", a.reason));
            if let Some(to) = &a.deliver {
                line.push_str(&format!("; secret to {to}"));
            }
            line
        })
        .collect();
    lines.push(match doc.changes {
        0 => "no changes: the account matches the file".to_string(),
        n => format!(
            "{n} change{} ({} non-read request{}); `fastly-tokens apply -f {file}` makes them",
            if n == 1 { "" } else { "s" },
            doc.writes,
            if doc.writes == 1 { "" } else { "s" },
        ),
    });
    lines
}

fn print_plan(ctx: &Context, doc: &PlanDoc, file: &str) -> Result<ExitClass, Failure> {
    if ctx.json {
        ctx.out.json(doc)?;
    } else {
        for line in plan_lines(doc, file) {
            ctx.out.line(line)?;
        }
    }
    Ok(if doc.changes == 0 {
        ExitClass::Success
    } else {
        ExitClass::Pending
    })
}

pub(crate) async fn plan(ctx: &Context, args: PlanArgs) -> Result<ExitClass, Failure> {
    let (declared, actions, _) = read(ctx, &args).await?;
    let file = clean(&args.file.display().to_string()).into_owned();
    print_plan(ctx, &plan_doc(&declared, &actions), &file)
}

/// Collects what the hand-off core reports for one token; prints a progress line in text
/// mode. Never fails: the secret goes to a file or a command, and the report is the summary.
#[derive(Default)]
struct Collect {
    json: bool,
    new_id: Option<String>,
    handed_to: Option<String>,
    old: Option<&'static str>,
}

impl Announce for Collect {
    fn delivered(&mut self, out: &Out, new: &Minted, handed_to: Option<&str>) -> io::Result<()> {
        self.new_id = new.id.as_ref().map(ToString::to_string);
        self.handed_to = handed_to.map(str::to_string);
        if !self.json {
            let _ = out.write_line(format!(
                "created {}; its secret was handed to the {}",
                new.shown_id(),
                handed_to.unwrap_or("?")
            ));
        }
        Ok(())
    }

    fn finished(&mut self, out: &Out, old: Option<(&Old, &ledger::Old)>) -> io::Result<()> {
        if let Some((old, fate)) = old {
            self.old = Some(match fate {
                ledger::Old::Revoked => "revoked",
                ledger::Old::AlreadyGone => "already gone",
                ledger::Old::Kept | ledger::Old::Works => "kept",
                ledger::Old::RevokeFailed { .. } => "revoke failed",
            });
            if !self.json {
                let _ = out.write_line(format!(
                    "{} the old token {}",
                    self.old.unwrap_or("kept"),
                    old.id
                ));
            }
        }
        Ok(())
    }
}

/// Why the run stops attempting changes (the rest is pending).
enum Stop {
    Signal(i32),
    RateLimited(String),
}

pub(crate) async fn apply(ctx: &Context, args: ApplyArgs) -> Result<ExitClass, Failure> {
    let started = Instant::now();
    let (declared, actions, known) = read(ctx, &args.plan).await?;
    let file = clean(&args.plan.file.display().to_string()).into_owned();
    let doc = plan_doc(&declared, &actions);
    if args.dry_run {
        return print_plan(ctx, &doc, &file);
    }
    let mints = actions
        .iter()
        .any(|a| matches!(a.act, Act::Create | Act::Rotate));
    let login = if mints {
        Some(Unattended::load(ctx, &args.login)?.ok_or_else(|| {
            Failure::usage(
                "creating tokens needs the account's login: pass --username or set \
                 FASTLY_USERNAME, with FASTLY_PASSWORD or --password-file. Nothing was changed",
            )
        })?)
    } else {
        None
    };
    if doc.changes > 0 {
        let listing = plan_lines(&doc, &file);
        input::confirm(
            &listing,
            &format!("Apply {} change(s) from {file}?", doc.changes),
            args.yes,
            "nothing was changed",
        )?;
    }
    // The token in use is touched last: after it is revoked, this run's key no longer works.
    let mut order: Vec<&Action> = actions.iter().collect();
    order.sort_by_key(|a| a.live.as_ref().is_some_and(|l| l.in_use) && a.act != Act::Ok);

    let mut signals = Signals::install()?;
    let mut stop: Option<Stop> = None;
    let mut spent = 0u32;
    let mut results = Vec::new();
    for action in order {
        let mut result = ApplyResult {
            action: action.act.as_str(),
            kind: action.kind.as_str(),
            name: action.name.clone(),
            status: "ok",
            old_id: action.live.as_ref().map(|l| l.id.to_string()),
            new_id: None,
            handed_to: None,
            reason: action.reason.clone(),
            error: None,
            tokens: Vec::new(),
        };
        if action.act == Act::Ok {
            results.push(result);
            continue;
        }
        let cost = action.writes();
        let pending = match &stop {
            Some(Stop::Signal(n)) => Some(format!(
                "not attempted: interrupted by {}",
                crate::signals::name(*n)
            )),
            Some(Stop::RateLimited(why)) => Some(format!("not attempted: {why}")),
            None if spent + cost > args.max_writes => Some(format!(
                "not attempted: it takes {cost} non-read request(s) and {} of --max-writes {} \
                 are left; the next run does it",
                args.max_writes - spent,
                args.max_writes
            )),
            None => None,
        };
        if let Some(why) = pending {
            result.status = "pending";
            result.error = Some(why);
            results.push(result);
            continue;
        }
        spent += cost;
        let outcome = match action.act {
            Act::Revoke => revoke(ctx, &mut signals, action).await,
            Act::Create | Act::Rotate => {
                let wanted = action.wanted.map(|i| &declared.tokens[i]);
                match (wanted, &login) {
                    (Some(wanted), Some(login)) => {
                        let at = now(ctx, started);
                        mint(ctx, &mut signals, action, wanted, login, at, &mut result).await
                    }
                    _ => Err(Failure::usage("no login to create tokens with")),
                }
            }
            Act::Ok => Ok(()),
        };
        match outcome {
            Ok(()) => result.status = "done",
            Err(mut failure) => {
                let lost = failure
                    .tokens
                    .iter()
                    .any(|t| t.role == "new" && t.state == "may_exist");
                if lost {
                    // A create whose answer was lost left a token nobody has the secret of:
                    // it is the one of this name that was not there before. Revoke it, so no
                    // undelivered token stays live (and the next plan does not take it for
                    // the declared one).
                    let swept = sweep(ctx, &mut signals, action, &known).await;
                    failure.message = format!("{} {swept}", failure.message);
                }
                output::err_line(format!(
                    "{} {} {:?}: {}",
                    action.act.as_str(),
                    action.kind.as_str(),
                    clean(&action.name),
                    failure.message
                ));
                result.status = "failed";
                result.error = Some(failure.message.clone());
                result.tokens = failure.tokens.clone();
                if failure.class == ExitClass::RateLimited {
                    stop = Some(Stop::RateLimited(
                        "Fastly's hourly budget of non-read requests is spent (429)".to_string(),
                    ));
                }
            }
        }
        results.push(result);
        if let Some(n) = signals.received() {
            stop = Some(Stop::Signal(n));
        }
    }
    let failed = results.iter().filter(|r| r.status == "failed").count();
    let pending = results.iter().filter(|r| r.status == "pending").count();
    let done = results.iter().filter(|r| r.status == "done").count();
    let report = ApplyDoc {
        dry_run: false,
        writes: spent,
        max_writes: args.max_writes,
        pending,
        failed,
        results,
    };
    if ctx.json {
        ctx.out.json(&report)?;
    } else {
        for r in &report.results {
            ctx.out.line(format!(
                "{:<7}  {:<6}  {:<10}  {}  {}",
                r.status,
                r.action,
                r.kind,
                output::cell(&r.name, 40),
                r.error.as_deref().unwrap_or(&r.reason)
            ))?;
        }
        ctx.out.line(format!(
            "{done} done, {failed} failed, {pending} pending; {spent} non-read request(s) planned \
             of --max-writes {}",
            args.max_writes
        ))?;
    }
    if let Some(Stop::Signal(n)) = stop {
        return Err(Failure {
            class: ExitClass::Partial,
            message: format!(
                "interrupted by {}: {done} change(s) done, {pending} left for the next run; \
                 no new token was left undelivered",
                crate::signals::name(n)
            ),
            signal: Some(n),
            ..Failure::default()
        });
    }
    Ok(if failed > 0 {
        ExitClass::Partial
    } else if pending > 0 {
        ExitClass::Pending
    } else {
        ExitClass::Success
    })
}

/// The time of a create: the run's clock (`--now` follows a fake's) plus the time spent.
fn now(ctx: &Context, started: Instant) -> DateTime<Utc> {
    ctx.now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default()
}

/// Finds and revokes the tokens named as `action`'s that were not live when the run began:
/// what a create whose answer was lost left behind. Says what it did.
async fn sweep(
    ctx: &Context,
    signals: &mut Signals,
    action: &Action,
    known: &HashSet<TokenId>,
) -> String {
    let listed: Result<Vec<(TokenId, String)>, fastly_tokens::Error> = match action.kind {
        Kind::User => signals.shield(ctx.client.list_tokens()).await.map(|ts| {
            ts.iter()
                .map(|t| (t.id().clone(), t.name().to_string()))
                .collect()
        }),
        Kind::Automation => signals
            .shield(ctx.client.list_automation_tokens())
            .await
            .map(|ts| {
                ts.iter()
                    .map(|t| (t.id().as_token_id(), t.name().to_string()))
                    .collect()
            }),
    };
    let found: Vec<TokenId> = match listed {
        Ok(tokens) => tokens
            .into_iter()
            .filter(|(id, name)| *name == action.name && !known.contains(id))
            .map(|(id, _)| id)
            .collect(),
        Err(e) => {
            return format!(
                "Listing to find it failed ({}): find it with `fastly-tokens list` and revoke it.",
                ctx.fail(&e).message
            );
        }
    };
    if found.is_empty() {
        return "It was looked for by name and not found: it was not created.".to_string();
    }
    let mut said = Vec::new();
    for id in found {
        match signals.shield(ctx.client.revoke_token(&id)).await {
            Ok(_) => said.push(format!("{id} was found and revoked")),
            Err(e) => said.push(format!(
                "{id} was found but revoking it failed ({}): revoke it with `fastly-tokens \
                 revoke {id} --yes` before the next run",
                ctx.fail(&e).message
            )),
        }
    }
    format!("The token whose answer was lost: {}.", said.join("; "))
}

async fn revoke(ctx: &Context, signals: &mut Signals, action: &Action) -> Result<(), Failure> {
    let Some(live) = &action.live else {
        return Ok(());
    };
    match signals
        .shield(ctx.waiting(ctx.client.revoke_token(&live.id)))
        .await
    {
        // Revoked now or already gone: either way it no longer works.
        Ok(_) => Ok(()),
        Err(e) => Err(ctx.fail(&e)),
    }
}

async fn mint(
    ctx: &Context,
    signals: &mut Signals,
    action: &Action,
    wanted: &Wanted,
    login: &Unattended,
    at: DateTime<Utc>,
    result: &mut ApplyResult,
) -> Result<(), Failure> {
    let sink = match &wanted.deliver {
        Deliver::File(path) => Sink::File(FileTarget::prepare_as(path, "deliver.file")?),
        Deliver::Exec(command) => Sink::Command(command.clone()),
    };
    let lifetime = chrono::Duration::from_std(wanted.lifetime)
        .map_err(|_| Failure::usage("the lifetime is too long"))?;
    let request = match wanted.kind {
        Kind::User => Request::User(login.login(at)),
        Kind::Automation => Request::Automation {
            role: wanted.role.clone(),
            tls_access: false,
            username: login.username.clone(),
            password: login.password(),
        },
    };
    let plan = Plan {
        spec: Spec {
            name: wanted.name.clone(),
            scopes: wanted.scopes.clone(),
            services: wanted.services.clone(),
            expires_at: Some(at + lifetime),
        },
        request,
        sink,
        verify: true,
        old: action
            .live
            .as_ref()
            .filter(|_| action.act == Act::Rotate)
            .map(|l| Old {
                id: l.id.clone(),
                name: l.name.clone(),
                in_use: l.in_use,
            }),
        keep_old: false,
    };
    let mut collect = Collect {
        json: ctx.json,
        ..Collect::default()
    };
    let outcome = handoff::run_with(ctx, plan, &mut collect, signals).await;
    result.new_id = collect.new_id;
    result.handed_to = collect.handed_to;
    outcome.map(|_| ())
}
