//! The commands. Each returns the exit class of a completed run, or a [`Failure`].

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use chrono::{DateTime, Utc};
use fastly_tokens::secrecy::{ExposeSecret, SecretString};
use fastly_tokens::{
    Client, CreatedToken, Credentials, CustomerId, RevokeOutcome, RevokeStatus, Scope, ServiceId,
    Token, TokenId,
};
use serde_json::json;

use crate::output::{self, print_json};
use crate::{Cli, Command, CreateArgs, CredentialArgs, ExitClass, Failure, RevokeArgs};

struct Context {
    client: Client,
    endpoint: String,
    json: bool,
    now: DateTime<Utc>,
    /// The in-process fake, kept alive for the command's duration.
    fake: Option<fastly_tokens_fake::FakeFastly>,
}

impl Context {
    async fn new(cli: &Cli) -> Result<Self, Failure> {
        let g = &cli.global;
        let now = g.now.unwrap_or_else(Utc::now);
        let (endpoint, token, fake) = if g.fake {
            let mut builder = fastly_tokens_fake::FakeFastly::builder();
            if let Some(now) = g.now {
                builder = builder.now(now);
            }
            let fake = builder
                .start()
                .await
                .map_err(|e| Failure::usage(format!("cannot start the fake server: {e}")))?;
            let key = fake.seed().user("alice").key.clone();
            (fake.base_url().to_string(), Some(key), Some(fake))
        } else {
            (
                g.endpoint.clone(),
                g.token.clone().filter(|t| !t.is_empty()),
                None,
            )
        };
        let mut builder = Client::builder().base_url(endpoint.as_str());
        if let Some(token) = token {
            builder = builder.token(token);
        }
        Ok(Self {
            client: builder.build()?,
            endpoint,
            json: g.json,
            now,
            fake,
        })
    }

    /// A client for another token against the same endpoint.
    fn client_for(&self, token: &SecretString) -> Result<Client, Failure> {
        Ok(Client::builder()
            .token(token.expose_secret())
            .base_url(self.endpoint.as_str())
            .build()?)
    }

    fn credentials(&self, args: &CredentialArgs) -> Result<(Credentials, Option<String>), Failure> {
        if let Some(fake) = &self.fake
            && args.username.is_none()
        {
            // Demo credentials of the fake's 2FA user, so every command can be tried as is.
            let alice = fake.seed().user("alice");
            return Ok((
                Credentials::password(alice.login.as_str(), alice.password.as_str()),
                args.otp.clone().or_else(|| alice.otp.clone()),
            ));
        }
        let credentials = match &args.username {
            None => Credentials::api_token(),
            Some(user) => {
                if !args.password_stdin {
                    return Err(Failure::usage(
                        "--username needs --password-stdin (the password is read from stdin, never from a flag)",
                    ));
                }
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line).map_err(|e| {
                    Failure::usage(format!("cannot read the password from stdin: {e}"))
                })?;
                let password = SecretString::from(line.trim_end_matches(['\r', '\n']).to_string());
                Credentials::password(user.as_str(), password)
            }
        };
        Ok((credentials, args.otp.clone()))
    }
}

pub async fn run(cli: Cli) -> Result<ExitClass, Failure> {
    let ctx = Context::new(&cli).await?;
    match cli.command {
        Command::Current => current(&ctx).await,
        Command::List { customer } => list(&ctx, customer.as_deref()).await,
        Command::Show { id } => show(&ctx, &id).await,
        Command::Create(args) => create(&ctx, args).await,
        Command::Revoke(args) => revoke(&ctx, args).await,
        Command::Audit {
            unused_for,
            expiring_within,
            customer,
        } => audit(&ctx, unused_for, expiring_within, customer.as_deref()).await,
        Command::Rotate {
            id,
            expires_in,
            credentials,
        } => rotate(&ctx, &id, expires_in, &credentials).await,
    }
}

fn token_id(raw: &str) -> Result<TokenId, Failure> {
    raw.parse().map_err(Failure::from)
}

async fn tokens(ctx: &Context, customer: Option<&str>) -> Result<Vec<Token>, Failure> {
    let mut tokens = match customer {
        Some(c) => {
            let customer: CustomerId = c.parse()?;
            ctx.client.list_customer_tokens(&customer).await?
        }
        None => ctx.client.list_tokens().await?,
    };
    tokens.sort_by(|a, b| {
        a.name()
            .to_lowercase()
            .cmp(&b.name().to_lowercase())
            .then_with(|| a.id().cmp(b.id()))
    });
    Ok(tokens)
}

async fn current(ctx: &Context) -> Result<ExitClass, Failure> {
    let token = ctx.client.current_token().await?;
    if ctx.json {
        print_json(&output::token_json(&token));
    } else {
        output::print_token(&token);
    }
    Ok(ExitClass::Success)
}

async fn list(ctx: &Context, customer: Option<&str>) -> Result<ExitClass, Failure> {
    let tokens = tokens(ctx, customer).await?;
    if ctx.json {
        print_json(&json!(
            tokens.iter().map(output::token_json).collect::<Vec<_>>()
        ));
    } else {
        output::print_table(&tokens);
    }
    Ok(ExitClass::Success)
}

async fn show(ctx: &Context, id: &str) -> Result<ExitClass, Failure> {
    let token = ctx.client.get_token(&token_id(id)?).await?;
    if ctx.json {
        print_json(&output::token_json(&token));
    } else {
        output::print_token(&token);
    }
    Ok(ExitClass::Success)
}

fn print_created(ctx: &Context, created: &CreatedToken) {
    let secret = created.access_token().expose_secret();
    if ctx.json {
        print_json(&output::created_json(created.token(), secret));
    } else {
        output::print_token(created.token());
        println!();
        println!("Access token (shown only once; store it now, it cannot be retrieved again):");
        println!("{secret}");
    }
}

fn expiry(
    now: DateTime<Utc>,
    expires_in: Option<Duration>,
) -> Result<Option<DateTime<Utc>>, Failure> {
    expires_in
        .map(|d| {
            chrono::Duration::from_std(d)
                .ok()
                .and_then(|d| now.checked_add_signed(d))
                .ok_or_else(|| Failure::usage("the expiry is too far in the future"))
        })
        .transpose()
}

async fn create(ctx: &Context, args: CreateArgs) -> Result<ExitClass, Failure> {
    let scopes = args
        .scopes
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(|s| s.parse::<Scope>())
        .collect::<Result<Vec<_>, _>>()?;
    let services = args
        .services
        .iter()
        .map(|s| s.parse::<ServiceId>())
        .collect::<Result<Vec<_>, _>>()?;
    let expires_at = match args.expires_at {
        Some(at) => Some(at),
        None => expiry(ctx.now, args.expires_in)?,
    };
    let (credentials, otp) = ctx.credentials(&args.credentials)?;
    let mut request = ctx
        .client
        .create_token(credentials)
        .name(args.name.as_str());
    if !scopes.is_empty() {
        request = request.scopes(scopes);
    }
    if !services.is_empty() {
        request = request.services(services);
    }
    if let Some(at) = expires_at {
        request = request.expires_at(at);
    }
    if let Some(otp) = otp {
        request = request.otp(otp);
    }
    let created = request.send().await?;
    print_created(ctx, &created);
    Ok(ExitClass::Success)
}

fn read_ids(path: &str) -> Result<Vec<String>, Failure> {
    let text = if path == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(path)
    }
    .map_err(|e| Failure::usage(format!("cannot read ids from {path}: {e}")))?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

fn confirm(question: &str, yes: bool) -> Result<(), Failure> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::usage(format!(
            "{question}: refusing without --yes when stdin is not a terminal"
        )));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Failure::usage("cancelled; nothing was revoked"))
    }
}

/// Ids per `revoke_tokens` call: small enough to show progress, large enough to use whole
/// bulk chunks.
const PROGRESS_STEP: usize = 500;

async fn revoke(ctx: &Context, args: RevokeArgs) -> Result<ExitClass, Failure> {
    if args.current {
        let me = ctx.client.current_token().await?;
        if args.dry_run {
            println!("would revoke the token in use: {} ({})", me.id(), me.name());
            return Ok(ExitClass::Success);
        }
        confirm(
            &format!("Revoke the token in use, {} ({})?", me.id(), me.name()),
            args.yes,
        )?;
        ctx.client.revoke_current_token().await?;
        if ctx.json {
            print_json(&json!({ "results": [{ "id": me.id(), "status": "revoked" }] }));
        } else {
            println!("revoked {} ({}), the token in use", me.id(), me.name());
        }
        return Ok(ExitClass::Success);
    }
    let mut raw = args.ids.clone();
    if let Some(path) = &args.from_file {
        raw.extend(read_ids(path)?);
    }
    if raw.is_empty() {
        return Err(Failure::usage(
            "no ids given: pass ids, --from-file FILE, or --current",
        ));
    }
    // Every id is checked before anything is sent.
    let mut ids = Vec::with_capacity(raw.len());
    let mut bad = Vec::new();
    for r in &raw {
        match r.parse::<TokenId>() {
            Ok(id) => ids.push(id),
            Err(e) => bad.push(e.to_string()),
        }
    }
    if !bad.is_empty() {
        return Err(Failure::usage(format!(
            "{} invalid id(s), nothing was revoked: {}",
            bad.len(),
            bad.join("; ")
        )));
    }
    let me = ctx.client.current_token().await?;
    if ids.contains(me.id()) {
        return Err(Failure::usage(format!(
            "refusing to revoke {} ({}): it is the token in use; use --current to revoke it",
            me.id(),
            me.name()
        )));
    }
    if args.dry_run {
        if ctx.json {
            print_json(&json!({ "dry_run": true, "would_revoke": ids }));
        } else {
            for id in &ids {
                println!("would revoke {id}");
            }
            println!(
                "{} token(s) would be revoked (dry run: nothing was revoked)",
                ids.len()
            );
        }
        return Ok(ExitClass::Success);
    }
    confirm(&format!("Revoke {} token(s)?", ids.len()), args.yes)?;
    let progress = std::io::stderr().is_terminal() && ids.len() > PROGRESS_STEP;
    let mut results: Vec<(TokenId, RevokeStatus)> = Vec::with_capacity(ids.len());
    for (i, part) in ids.chunks(PROGRESS_STEP).enumerate() {
        let report = ctx.client.revoke_tokens(part).await?;
        results.extend(report.entries().iter().cloned());
        if progress {
            // One line of progress, rewritten in place: a progress-bar crate would be a
            // dependency for this single line.
            eprint!(
                "\rrevoking: {}/{} ",
                (i * PROGRESS_STEP + part.len()).min(ids.len()),
                ids.len()
            );
        }
    }
    if progress {
        eprintln!();
    }
    let failed: Vec<&fastly_tokens::Error> = results
        .iter()
        .filter_map(|(_, s)| match s {
            RevokeStatus::Failed(e) => Some(e.as_ref()),
            _ => None,
        })
        .collect();
    if ctx.json {
        let entries: Vec<_> = results
            .iter()
            .map(|(id, s)| match s {
                RevokeStatus::Revoked => json!({ "id": id, "status": "revoked" }),
                RevokeStatus::AlreadyGone => json!({ "id": id, "status": "already_gone" }),
                RevokeStatus::Failed(e) => {
                    json!({ "id": id, "status": "failed", "error": e.to_string() })
                }
                _ => json!({ "id": id, "status": "unknown" }),
            })
            .collect();
        print_json(&json!({
            "results": entries,
            "revoked": results.iter().filter(|(_, s)| matches!(s, RevokeStatus::Revoked)).count(),
            "already_gone": results.iter().filter(|(_, s)| matches!(s, RevokeStatus::AlreadyGone)).count(),
            "failed": failed.len(),
        }));
    } else {
        for (id, status) in &results {
            match status {
                RevokeStatus::Revoked => println!("revoked       {id}"),
                RevokeStatus::AlreadyGone => println!("already gone  {id}"),
                RevokeStatus::Failed(e) => println!("FAILED        {id}: {e}"),
                _ => println!("unknown       {id}"),
            }
        }
    }
    if failed.is_empty() {
        return Ok(ExitClass::Success);
    }
    let classes: Vec<ExitClass> = failed.iter().map(|e| ExitClass::of(e)).collect();
    let all_failed = failed.len() == results.len();
    let class = if all_failed && classes.iter().all(|c| *c == classes[0]) {
        classes[0]
    } else {
        ExitClass::Partial
    };
    Err(Failure {
        class,
        message: format!(
            "{} of {} token(s) were not revoked (see above); rerun with the failed ids, revoking again is safe",
            failed.len(),
            results.len()
        ),
    })
}

/// Audit findings, as stable codes (JSON) and readable text.
fn findings(
    t: &Token,
    now: DateTime<Utc>,
    unused_for: Duration,
    expiring_within: Duration,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if t.is_expired_at(now) {
        out.push((
            "expired",
            format!("expired {}", output::when(t.expires_at(), "")),
        ));
    } else if t.expires_within(expiring_within, now) {
        out.push((
            "expiring_soon",
            format!("expires {}", output::when(t.expires_at(), "")),
        ));
    }
    match t.last_used_at() {
        None => out.push(("never_used", "never used".to_string())),
        Some(at) => {
            let idle = now.signed_duration_since(at);
            if idle.to_std().is_ok_and(|idle| idle > unused_for) {
                out.push(("unused", format!("unused for {} days", idle.num_days())));
            }
        }
    }
    if t.scopes().is_global() && t.is_unrestricted() {
        out.push(("over_broad", "global scope on every service".to_string()));
    }
    out
}

async fn audit(
    ctx: &Context,
    unused_for: Duration,
    expiring_within: Duration,
    customer: Option<&str>,
) -> Result<ExitClass, Failure> {
    let tokens = tokens(ctx, customer).await?;
    let report: Vec<(&Token, Vec<(&'static str, String)>)> = tokens
        .iter()
        .map(|t| (t, findings(t, ctx.now, unused_for, expiring_within)))
        .filter(|(_, f)| !f.is_empty())
        .collect();
    if ctx.json {
        print_json(&json!({
            "audited": tokens.len(),
            "now": ctx.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "findings": report.iter().map(|(t, f)| json!({
                "id": t.id(),
                "name": t.name(),
                "findings": f.iter().map(|(code, _)| *code).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }));
    } else {
        for (t, f) in &report {
            println!(
                "{}  {}: {}",
                t.id(),
                t.name(),
                f.iter()
                    .map(|(_, text)| text.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        println!(
            "{} of {} token(s) have findings",
            report.len(),
            tokens.len()
        );
    }
    Ok(if report.is_empty() {
        ExitClass::Success
    } else {
        ExitClass::Findings
    })
}

async fn rotate(
    ctx: &Context,
    id: &str,
    expires_in: Option<Duration>,
    credentials: &CredentialArgs,
) -> Result<ExitClass, Failure> {
    let old_id = token_id(id)?;
    let old = ctx.client.get_token(&old_id).await.map_err(|e| Failure {
        class: ExitClass::of(&e),
        message: format!("{e}. Nothing was changed."),
    })?;
    // Same lifetime as the old token, unless --expires-in says otherwise.
    let expires_at = match expires_in {
        Some(_) => expiry(ctx.now, expires_in)?,
        None => old
            .expires_at()
            .map(|at| ctx.now + at.signed_duration_since(old.created_at())),
    };
    let (creds, otp) = ctx.credentials(credentials)?;
    let mut request = ctx
        .client
        .create_token(creds)
        .name(old.name())
        .scopes(old.scopes().iter().cloned());
    if !old.services().is_empty() {
        request = request.services(old.services().iter().cloned());
    }
    if let Some(at) = expires_at {
        request = request.expires_at(at);
    }
    if let Some(otp) = otp {
        request = request.otp(otp);
    }
    let created = request.send().await.map_err(|e| Failure {
        class: ExitClass::of(&e),
        message: format!(
            "creating the replacement failed: {e}. Nothing was changed; {old_id} still works."
        ),
    })?;
    let verified = match ctx.client_for(created.access_token()) {
        Ok(client) => client.current_token().await.map_err(Failure::from),
        Err(f) => Err(f),
    };
    match verified {
        Ok(t) if t.id() == created.id() => {}
        Ok(t) => {
            return Err(Failure {
                class: ExitClass::Partial,
                message: format!(
                    "the new token {} authenticates as {}, not itself; {old_id} was not revoked and still works. \
                     Revoke the new one with `fastly-tokens revoke {} --yes`.",
                    created.id(),
                    t.id(),
                    created.id()
                ),
            });
        }
        Err(f) => {
            return Err(Failure {
                class: ExitClass::Partial,
                message: format!(
                    "the new token {} was created but does not work ({}); {old_id} was not revoked and still works. \
                     Revoke the new one with `fastly-tokens revoke {} --yes` and retry.",
                    created.id(),
                    f.message,
                    created.id()
                ),
            });
        }
    }
    print_created(ctx, &created);
    match ctx.client.revoke_token(&old_id).await {
        Ok(RevokeOutcome::Revoked | RevokeOutcome::AlreadyGone) => {
            if !ctx.json {
                println!();
                println!("revoked the old token {old_id} ({})", old.name());
            }
            Ok(ExitClass::Success)
        }
        Err(e) => Err(Failure {
            class: ExitClass::Partial,
            message: format!(
                "the new token {} works and was printed above, but revoking the old token {old_id} failed: {e}. \
                 Both tokens work now; revoke the old one with `fastly-tokens revoke {old_id} --yes`.",
                created.id()
            ),
        }),
    }
}
