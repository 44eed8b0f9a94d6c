//! `fastly-tokens automation list|show|create|revoke`.

use std::collections::HashMap;

use fastly_tokens::secrecy::ExposeSecret as _;
use fastly_tokens::{AutomationToken, AutomationTokenId, Error, Role};

use crate::commands::{self, Context};
use crate::errors;
use crate::output::{self, Outcome, RevokeDoc, TokenResult};
use crate::{AutomationCommand, AutomationCreateArgs, ExitClass, Failure};

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
    let scopes = commands::scopes(&args.scopes)?;
    let services = commands::services(ctx, &args.services)?;
    let role = args
        .role
        .as_deref()
        .map(str::parse::<Role>)
        .transpose()
        .map_err(|e| ctx.fail(&e))?;
    let expires_at = commands::expiry(ctx.now, args.expires_in, args.expires_at, args.no_expiry)?;
    // Sudo needs the superuser's password: read it, or use the fake's demo root.
    let (username, password) = match (&args.username, ctx.fake_user("root")) {
        (Some(user), _) => {
            if !args.password_stdin {
                return Err(Failure::usage(
                    "--username needs --password-stdin (the password is read from stdin, never from a flag)",
                ));
            }
            (user.clone(), commands::read_password(user)?)
        }
        (None, Some(root)) => (root.login, root.password.into()),
        (None, None) => {
            return Err(Failure::usage(
                "creating an automation token needs sudo mode: pass --username and --password-stdin",
            ));
        }
    };
    let mut request = ctx
        .client
        .create_automation_token(args.name.as_str())
        .scopes(scopes)
        .sudo(username, password);
    if let Some(role) = role {
        request = request.role(role);
    }
    if !services.is_empty() {
        request = request.services(services);
    }
    if let Some(at) = expires_at {
        request = request.expires_at(at);
    }
    if args.tls_access {
        request = request.tls_access(true);
    }
    match ctx.waiting(request.send()).await {
        Ok(created) => {
            let doc = output::AutomationCreatedDoc {
                token_id: Some(created.token().id().to_string()),
                token: Some(created.token().clone()),
                access_token: created.access_token().expose_secret().to_string(),
                warning: None,
            };
            print_created(ctx, &doc)?;
            Ok(ExitClass::Success)
        }
        Err(Error::CreatedUndecoded(partial)) => {
            let warning = format!(
                "Fastly created automation token {} but its answer was incomplete ({}); the secret was printed: store it, or revoke the token",
                partial
                    .token_id()
                    .map_or_else(|| "(id unknown)".to_string(), ToString::to_string),
                partial.reason()
            );
            let doc = output::AutomationCreatedDoc {
                token: None,
                token_id: partial.token_id().map(ToString::to_string),
                access_token: partial.access_token().expose_secret().to_string(),
                warning: Some(warning.clone()),
            };
            print_created(ctx, &doc)?;
            Err(Failure {
                class: ExitClass::Partial,
                message: warning,
                ..Failure::default()
            })
        }
        Err(e) => Err(errors::failure(&e, ctx.keys, false)),
    }
}

fn print_created(ctx: &Context, doc: &output::AutomationCreatedDoc) -> Result<(), Failure> {
    let show = |out: &output::Out| match &doc.token {
        Some(token) => output::print_automation(out, token).and_then(|()| out.line("")),
        None => Ok(()),
    };
    commands::print_new_secret(
        ctx,
        doc,
        show,
        &doc.access_token,
        doc.token_id.clone(),
        "fastly-tokens automation revoke",
    )
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
    let (distinct, duplicates) = commands::dedupe(as_tokens);
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
        let results = entries
            .iter()
            .map(|(id, name)| TokenResult {
                id: id.to_string(),
                name: name.clone(),
                status: Outcome::WouldRevoke,
                error: None,
                via: None,
            })
            .collect();
        commands::print_revoke(ctx, &RevokeDoc::new(true, results, duplicates))?;
        return Ok(ExitClass::Success);
    }
    commands::confirm(
        &commands::listing(&entries, "revoke"),
        &format!("Revoke {} automation token(s)?", distinct.len()),
        yes,
        "nothing was revoked",
    )?;
    let ids: Vec<AutomationTokenId> = distinct
        .iter()
        .filter_map(|id| id.as_str().parse().ok())
        .collect();
    let report = ctx.call(ctx.client.revoke_automation_tokens(&ids)).await?;
    let results =
        commands::revoke_results(ctx, report.entries(), |id| names.get(id.as_str()).cloned());
    let doc = RevokeDoc::new(false, results, duplicates);
    commands::print_revoke(ctx, &doc)?;
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
