//! A tour of every operation of `fastly-tokens`.
//!
//! ```text
//! cargo run -p fastly-tokens --example tour            # against an in-process fake, no account needed
//! FASTLY_API_TOKEN=... cargo run -p fastly-tokens --example tour -- --real   # read-only calls to api.fastly.com
//! ```

use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, Utc};
use fastly_tokens::{Client, Credentials, Error, RevokeOutcome, Scope, ServiceId, Token, TokenId};

fn when(t: Option<DateTime<Utc>>, none: &str) -> String {
    t.map_or_else(|| none.to_string(), |t| t.format("%Y-%m-%d").to_string())
}

fn table(tokens: &[Token]) {
    println!(
        "   {:22}  {:34}  {:26}  {:8}  {:10}  {:10}",
        "id", "name", "scopes", "services", "last used", "expires"
    );
    for t in tokens {
        println!(
            "   {:22}  {:34}  {:26}  {:8}  {:10}  {:10}",
            t.id(),
            t.name(),
            t.scopes(),
            if t.is_unrestricted() {
                "all".to_string()
            } else {
                t.services().len().to_string()
            },
            when(t.last_used_at(), "never"),
            when(t.expires_at(), "never"),
        );
    }
}

async fn real() -> Result<(), Error> {
    let client = Client::from_env()?;
    println!("Read-only calls against {}\n", client.base_url());
    let me = client.current_token().await?;
    println!(
        "current_token(): {} ({}), expires {}",
        me.name(),
        me.scopes(),
        when(me.expires_at(), "never")
    );
    let tokens = client.list_tokens().await?;
    println!("list_tokens(): {} tokens", tokens.len());
    table(&tokens);
    Ok(())
}

async fn tour() -> Result<(), Box<dyn std::error::Error>> {
    let fake = fastly_tokens_fake::start().await?;
    let alice = fake.seed().user("alice");
    println!(
        "fastly-tokens tour: every operation against an in-process fake Fastly at {}",
        fake.base_url()
    );
    println!(
        "(no credentials needed; acting as {} with a demo key)\n",
        alice.login
    );

    let client = Client::builder()
        .token(alice.key.as_str())
        .base_url(fake.base_url())
        .build()?;

    println!("1. current_token()   GET /tokens/self");
    let me = client.current_token().await?;
    println!(
        "   {} [{}], scopes {}, created {}, last used {} from {}\n",
        me.name(),
        me.id(),
        me.scopes(),
        when(Some(me.created_at()), "-"),
        when(me.last_used_at(), "never"),
        me.ip().unwrap_or("-")
    );

    println!("2. list_tokens()   GET /tokens");
    let mine = client.list_tokens().await?;
    table(&mine);
    println!();

    let dashboards = fake.seed().token("dashboards");
    println!("3. get_token({})   GET /tokens/{{id}}", dashboards.id);
    let t = client.get_token(&dashboards.id.parse()?).await?;
    println!(
        "   {}: read-only? {}; expires {}\n",
        t.name(),
        t.scopes().is_read_only(),
        when(t.expires_at(), "never")
    );

    println!(
        "4. list_customer_tokens({})   GET /customer/{{id}}/tokens",
        fake.seed().customer_id
    );
    let all = client
        .list_customer_tokens(&fake.seed().customer_id.parse()?)
        .await?;
    println!(
        "   {} tokens across the account (alice is an admin)\n",
        all.len()
    );

    println!("5. create_token(..)   POST /tokens (form, services[], Fastly-OTP)");
    let services: Vec<ServiceId> = fake
        .seed()
        .services
        .iter()
        .map(|s| s.parse())
        .collect::<Result<_, _>>()?;
    let attempt = client
        .create_token(Credentials::password(
            alice.login.as_str(),
            alice.password.as_str(),
        ))
        .name("tour-ci")
        .scopes([Scope::PurgeSelect, Scope::GlobalRead])
        .services(services.clone())
        .send()
        .await;
    if let Err(e) = attempt {
        println!("   without the one-time code: {e}");
    }
    let created = client
        .create_token(Credentials::password(
            alice.login.as_str(),
            alice.password.as_str(),
        ))
        .name("tour-ci")
        .scopes([Scope::PurgeSelect, Scope::GlobalRead])
        .services(services)
        .expires_at(Utc::now() + chrono::Duration::days(90))
        .otp(alice.otp.clone().unwrap_or_default())
        .send()
        .await?;
    println!(
        "   with it: created {} [{}] scopes {} for {} services, expires {}",
        created.token().name(),
        created.token().id(),
        created.token().scopes(),
        created.token().services().len(),
        when(created.token().expires_at(), "never")
    );
    println!(
        "   access token: {:?} (a secret: shown by the fake only once, never printed by Debug)",
        created.access_token()
    );
    if let Some(rl) = client.last_rate_limit() {
        println!(
            "   rate limit: {} non-read requests left this hour",
            rl.remaining().unwrap_or_default()
        );
    }
    println!();

    println!(
        "6. revoke_token({})   DELETE /tokens/{{id}}",
        created.token().id()
    );
    let outcome = client.revoke_token(created.token().id()).await?;
    println!("   first time: {outcome:?}");
    let again = client.revoke_token(created.token().id()).await?;
    println!(
        "   second time: {again:?} (a 404 on revoke is reported apart: the token is gone either way)"
    );
    assert_eq!(
        (outcome, again),
        (RevokeOutcome::Revoked, RevokeOutcome::AlreadyGone)
    );
    println!();

    println!("7. revoke_tokens([..])   DELETE /tokens (JSON:API bulk, chunked)");
    let extra: Vec<TokenId> = fake
        .add_tokens("alice", 250)
        .iter()
        .map(|s| s.parse())
        .collect::<Result<_, _>>()?;
    let mut ids = extra.clone();
    ids.push("NoSuchToken00000000000".parse()?);
    let report = client.revoke_tokens(&ids).await?;
    println!(
        "   {} ids in {} requests: {} revoked, {} already gone, {} failed",
        report.len(),
        report.requests(),
        report.revoked().count(),
        report.already_gone().count(),
        report.failed().count()
    );
    println!();

    println!("8. audit (computed from list_tokens)");
    let now = Utc::now();
    for t in client.list_tokens().await? {
        let mut findings = Vec::new();
        if t.is_expired_at(now) {
            findings.push("expired".to_string());
        } else if t.expires_within(Duration::from_secs(14 * 86_400), now) {
            findings.push("expires within 14 days".to_string());
        }
        match t.last_used_at() {
            None => findings.push("never used".to_string()),
            Some(at) if now - at > chrono::Duration::days(90) => {
                findings.push(format!("unused for {} days", (now - at).num_days()))
            }
            _ => {}
        }
        if t.scopes().is_global() && t.is_unrestricted() {
            findings.push("global scope on every service".to_string());
        }
        if !findings.is_empty() {
            println!("   {:34} {}", t.name(), findings.join(", "));
        }
    }
    println!();

    println!("9. bad input never reaches the server");
    for bad in ["self", "../tokens", ""] {
        let err = bad.parse::<TokenId>().expect_err("rejected");
        println!("   {bad:?}: {err}");
    }
    println!();

    println!("10. revoke_current_token()   DELETE /tokens/self (on a throwaway client)");
    let bob = fake.seed().user("bob");
    let throwaway = client
        .create_token(Credentials::password(
            bob.login.as_str(),
            bob.password.as_str(),
        ))
        .name("throwaway")
        // Not read-only: a `global:read` token may not revoke anything, itself included.
        .scopes([Scope::PurgeSelect])
        .send()
        .await?;
    let bob_client = Client::builder()
        .token(fastly_tokens::secrecy::ExposeSecret::expose_secret(
            throwaway.access_token(),
        ))
        .base_url(fake.base_url())
        .build()?;
    bob_client.revoke_current_token().await?;
    let err = bob_client
        .current_token()
        .await
        .expect_err("the key no longer works");
    println!("   revoked; the same key now gets: {err}");
    println!();

    println!("11. automation tokens   /automation-tokens (as root, the fake's superuser)");
    let root = fake.seed().user("root");
    let admin = Client::builder()
        .token(root.key.as_str())
        .base_url(fake.base_url())
        .build()?;
    for t in admin.list_automation_tokens().await? {
        println!(
            "   list: {:22}  {:16}  role {:8}  scopes {:12}  last used {}",
            t.id(),
            t.name(),
            t.role().map_or("-", |r| r.as_str()),
            t.scopes(),
            when(t.last_used_at(), "never")
        );
    }
    let created = admin
        .create_automation_token("tour-ci")
        .role(fastly_tokens::Role::Engineer)
        .scopes([Scope::PurgeSelect])
        .expires_at(Utc::now() + chrono::Duration::days(30))
        .sudo(root.login.as_str(), root.password.as_str()) // POST /sudo first
        .send()
        .await?;
    println!(
        "   create_automation_token(..): {} ({}), last used {} (Fastly's \"\" sentinel read as unset)",
        created.token().id(),
        created.token().scopes(),
        when(created.token().last_used_at(), "never")
    );
    let got = admin.get_automation_token(created.token().id()).await?;
    println!(
        "   get_automation_token: {} role {:?}",
        got.name(),
        got.role()
    );
    let outcome = admin.revoke_automation_token(created.token().id()).await?;
    println!("   revoke_automation_token: {outcome:?} (through DELETE /tokens/{{id}})");
    println!(
        "\nDone. Every call above went over HTTP to the fake; see `fastly-tokens-fake` to use it in your tests."
    );
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let real_mode = std::env::args().any(|a| a == "--real");
    let result = if real_mode {
        real().await.map_err(Into::into)
    } else {
        if std::env::var_os(fastly_tokens::TOKEN_ENV).is_some() {
            println!(
                "(FASTLY_API_TOKEN is set but ignored: pass --real for read-only calls to the real API)\n"
            );
        }
        tour().await
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
