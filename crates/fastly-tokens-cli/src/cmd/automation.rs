//! `fastly-tokens automation list|show|create|revoke`. Create goes through the hand-off core.

use std::collections::HashMap;

use fastly_tokens::{AutomationToken, AutomationTokenId, Role};

use super::create::CreateAnnounce;
use super::report;
use crate::args::{AutomationCommand, AutomationCreateArgs};
use crate::context::Context;
use crate::docs::RevokeDoc;
use crate::errors;
use crate::handoff::{self, Plan, Sink};
use crate::input;
use crate::mint::{self, Request, Spec};
use crate::output;
use crate::{ExitClass, Failure};

pub(crate) async fn run(ctx: &Context, command: AutomationCommand) -> Result<ExitClass, Failure> {
    match command {
        AutomationCommand::List => list(ctx).await,
        AutomationCommand::Show { id } => show(ctx, &id).await,
        AutomationCommand::Create(args) => create(ctx, args).await,
        AutomationCommand::Revoke { ids, dry_run, yes } => revoke(ctx, &ids, dry_run, yes).await,
    }
}

fn automation_id(ctx: &Context, raw: &str) -> Result<AutomationTokenId, Failure> {
    raw.parse().map_err(|e| ctx.fail(&e))
}

async fn list(ctx: &Context) -> Result<ExitClass, Failure> {
    let mut tokens = ctx.call(ctx.client.list_automation_tokens()).await?;
    tokens.sort_by(|a, b| {
        a.name()
            .to_lowercase()
            .cmp(&b.name().to_lowercase())
            .then_with(|| a.id().cmp(b.id()))
    });
    if ctx.json {
        ctx.out.json(&tokens)?;
    } else {
        output::print_automation_table(&ctx.out, &tokens)?;
    }
    Ok(ExitClass::Success)
}

async fn show(ctx: &Context, id: &str) -> Result<ExitClass, Failure> {
    let id = automation_id(ctx, id)?;
    let token = ctx.call(ctx.client.get_automation_token(&id)).await?;
    if ctx.json {
        ctx.out.json(&token)?;
    } else {
        output::print_automation(&ctx.out, &token)?;
    }
    Ok(ExitClass::Success)
}

async fn create(ctx: &Context, args: AutomationCreateArgs) -> Result<ExitClass, Failure> {
    let role = args
        .role
        .as_deref()
        .map(str::parse::<Role>)
        .transpose()
        .map_err(|e| ctx.fail(&e))?;
    let expires_at = mint::expiry_flags(ctx.now, &args.expiry)?;
    let spec = Spec::from_flags(ctx, args.name, &args.access, expires_at)?;
    // Sudo needs the superuser's password: read it, or use the fake's demo root.
    let (username, password) = match (&args.username, ctx.fake_user("root")) {
        // clap requires --password-stdin with --username.
        (Some(user), _) => (user.clone(), input::password(user)?),
        (None, Some(root)) => (root.login, root.password.into()),
        (None, None) => {
            return Err(Failure::usage(
                "creating an automation token needs sudo mode: pass --username and --password-stdin",
            ));
        }
    };
    let plan = Plan {
        spec,
        request: Request::Automation {
            role,
            tls_access: args.tls_access,
            username,
            password,
        },
        sink: Sink::Stdout,
        verify: false,
        old: None,
        keep_old: false,
    };
    handoff::run(ctx, plan, &mut CreateAnnounce { json: ctx.json }).await
}

async fn revoke(
    ctx: &Context,
    raw: &[String],
    dry_run: bool,
    yes: bool,
) -> Result<ExitClass, Failure> {
    let mut ids = Vec::with_capacity(raw.len());
    for r in raw {
        ids.push(automation_id(ctx, r)?);
    }
    let as_tokens: Vec<fastly_tokens::TokenId> =
        ids.iter().map(AutomationTokenId::as_token_id).collect();
    let (distinct, duplicates) = report::dedupe(as_tokens);
    let names: HashMap<String, String> = ctx
        .waiting(ctx.client.list_automation_tokens())
        .await
        .map(|tokens: Vec<AutomationToken>| {
            tokens
                .into_iter()
                .map(|t| (t.id().to_string(), t.name().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let entries: Vec<(fastly_tokens::TokenId, Option<String>)> = distinct
        .iter()
        .map(|id| (id.clone(), names.get(id.as_str()).cloned()))
        .collect();
    let duplicates: Vec<String> = duplicates.iter().map(ToString::to_string).collect();
    if dry_run {
        let results = report::would_revoke(&entries);
        report::print_revoke(ctx, &RevokeDoc::new(true, results, duplicates))?;
        return Ok(ExitClass::Success);
    }
    input::confirm(
        &input::listing(&entries, "revoke"),
        &format!("Revoke {} automation token(s)?", distinct.len()),
        yes,
        "nothing was revoked",
    )?;
    let ids: Vec<AutomationTokenId> = distinct
        .iter()
        .filter_map(|id| id.as_str().parse().ok())
        .collect();
    let report = ctx.call(ctx.client.revoke_automation_tokens(&ids)).await?;
    let results = report::results(ctx, report.entries(), |id| names.get(id.as_str()).cloned());
    let doc = RevokeDoc::new(false, results, duplicates);
    report::print_revoke(ctx, &doc)?;
    if doc.failed == 0 {
        return Ok(ExitClass::Success);
    }
    let class = report
        .failed()
        .map(|(_, e)| errors::class(e))
        .next()
        .filter(|_| doc.failed == doc.results.len())
        .unwrap_or(ExitClass::Partial);
    Err(Failure {
        class,
        message: format!(
            "{} of {} automation token(s) were not revoked (see above); revoking again is safe",
            doc.failed,
            doc.results.len()
        ),
        ..Failure::default()
    })
}
