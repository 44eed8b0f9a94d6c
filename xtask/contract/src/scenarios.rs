//! What the live checks run: every public client operation, and every error path of the fake.

use std::path::Path;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use fastly_tokens::{
    AutomationTokenId, Client, Credentials, RetryPolicy, Role, Scope, ServiceId, TokenId,
};

use crate::live::{Prism, Recorder, violations};

fn client(base_url: &str, key: Option<&str>) -> Result<Client, Vec<String>> {
    let mut builder = Client::builder()
        .base_url(base_url)
        .retry(RetryPolicy::none())
        .attempt_timeout(Duration::from_secs(20));
    if let Some(key) = key {
        builder = builder.token(key);
    }
    builder.build().map_err(|e| vec![format!("client: {e}")])
}

fn id(s: &str) -> TokenId {
    s.parse()
        .unwrap_or_else(|_| unreachable!("literal ids are valid"))
}

/// 3. Every public operation, with every parameter, through `prism mock --errors`.
pub async fn requests(
    tools: &Path,
    spec: &Path,
    spec_json: &serde_json::Value,
) -> Result<String, Vec<String>> {
    let prism = Prism::start(tools, spec, None).await.map_err(|e| vec![e])?;
    let rec = Recorder::start(prism.base_url.clone())
        .await
        .map_err(|e| vec![e.to_string()])?;
    let c = client(&rec.base_url, Some("contract-check-key"))?;
    let mut errors = Vec::new();
    let mut outcome = |label: &str, result: Result<(), String>| {
        if let Err(e) = result {
            errors.push(format!(
                "{label}: the client failed against Prism's mock: {e}"
            ));
        }
    };
    let done = |r: Result<(), fastly_tokens::Error>| r.map_err(|e| e.to_string());
    let services: Vec<ServiceId> = ["4aXkQ2mXbV1yQp0tR9sT7e", "1BcDeFgHiJkLmNoPqRsTuv"]
        .iter()
        .filter_map(|s| s.parse::<fastly_tokens::ServiceId>().ok())
        .collect();

    rec.label("get_token_current");
    outcome("get_token_current", done(c.current_token().await.map(drop)));
    rec.label("list_tokens_user");
    outcome("list_tokens_user", done(c.list_tokens().await.map(drop)));
    rec.label("list_tokens_customer");
    let customer = "51MumwLiSJyFTWhtbByYgR"
        .parse()
        .map_err(|e| vec![format!("{e}")])?;
    outcome(
        "list_tokens_customer",
        done(c.list_customer_tokens(&customer).await.map(drop)),
    );
    rec.label("get_token");
    outcome(
        "get_token",
        done(c.get_token(&id("3krg2uUGZzb2W9Euo4moOY")).await.map(drop)),
    );
    rec.label("revoke_token");
    outcome(
        "revoke_token",
        done(
            c.revoke_token(&id("2j1hEyxXOEqYaSipeZHaW4"))
                .await
                .map(drop),
        ),
    );
    rec.label("revoke_token_current");
    outcome("revoke_token_current", done(c.revoke_current_token().await));
    rec.label("bulk_revoke_tokens");
    let report = c
        .revoke_tokens([
            id("3krg2uUGZzb2W9Euo4moOY"),
            id("71ZA6hv2FO6tGEQIE203Xj"),
            id("5NSGsvF9ybBxXAdEQhcYPz"),
        ])
        .await;
    outcome(
        "bulk_revoke_tokens",
        match report {
            Ok(r) if r.all_gone() => Ok(()),
            Ok(r) => Err(r
                .failed()
                .map(|(id, e)| format!("{id}: {e}"))
                .collect::<Vec<_>>()
                .join("; ")),
            Err(e) => Err(e.to_string()),
        },
    );
    rec.label("create_token");
    outcome(
        "create_token",
        done(
            c.create_token(Credentials::password("ops@example.com", "correct-horse"))
                .name("contract")
                .scopes([Scope::PurgeSelect, Scope::GlobalRead])
                .services(services)
                .expires_at(
                    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0)
                        .single()
                        .unwrap_or_default(),
                )
                .otp("123456")
                .send()
                .await
                .map(drop),
        ),
    );
    rec.label("create_token (api token)");
    outcome(
        "create_token (api token)",
        done(
            c.create_token(Credentials::api_token())
                .name("contract")
                .scopes([fastly_tokens::Scope::GlobalRead])
                .send()
                .await
                .map(drop),
        ),
    );
    rec.label("list_automation_tokens");
    outcome(
        "list_automation_tokens",
        done(c.list_automation_tokens().await.map(drop)),
    );
    let automation: AutomationTokenId = "4bAutoTok0000000000002"
        .parse()
        .map_err(|e| vec![format!("{e}")])?;
    rec.label("get_automation_token");
    outcome(
        "get_automation_token",
        done(c.get_automation_token(&automation).await.map(drop)),
    );
    rec.label("list_automation_token_services");
    outcome(
        "list_automation_token_services",
        done(c.automation_token_services(&automation).await.map(drop)),
    );
    rec.label("enter_sudo");
    outcome(
        "enter_sudo",
        done(
            c.enter_sudo("admin@example.com", "correct-horse")
                .await
                .map(drop),
        ),
    );
    rec.label("create_automation_token");
    outcome(
        "create_automation_token",
        done(
            c.create_automation_token("contract")
                .role(Role::Engineer)
                .scopes([Scope::PurgeSelect, Scope::GlobalRead])
                .services(
                    ["4aXkQ2mXbV1yQp0tR9sT7e"]
                        .iter()
                        .filter_map(|s| s.parse::<fastly_tokens::ServiceId>().ok()),
                )
                .expires_at(
                    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0)
                        .single()
                        .unwrap_or_default(),
                )
                .tls_access(false)
                .send()
                .await
                .map(drop),
        ),
    );

    let seen = rec.seen();
    for label in [
        "list_automation_tokens",
        "get_automation_token",
        "list_automation_token_services",
        "enter_sudo",
        "create_automation_token",
        "get_token_current",
        "list_tokens_user",
        "list_tokens_customer",
        "get_token",
        "revoke_token",
        "revoke_token_current",
        "bulk_revoke_tokens",
        "create_token",
        "create_token (api token)",
    ] {
        if !seen.iter().any(|s| s.label == label) {
            errors.push(format!("{label}: no request reached Prism"));
        }
    }
    errors.extend(violations(&seen));
    errors.extend(crate::wire::check_bodies(spec_json, &seen));
    if errors.is_empty() {
        Ok(format!(
            "{} requests from 14 operation variants: no Prism violations; media types and \
             bodies match the spec exactly",
            seen.len()
        ))
    } else {
        Err(errors)
    }
}

/// 4. The fake behind `prism proxy --errors`: successes and every error path it produces.
pub async fn responses(tools: &Path, spec: &Path) -> Result<String, Vec<String>> {
    let fake = fastly_tokens_fake::FakeFastly::builder()
        .hourly_limit(40)
        .start()
        .await
        .map_err(|e| vec![format!("fake: {e}")])?;
    let prism = Prism::start(tools, spec, Some(fake.base_url()))
        .await
        .map_err(|e| vec![e])?;
    let rec = Recorder::start(prism.base_url.clone())
        .await
        .map_err(|e| vec![e.to_string()])?;
    let seed = fake.seed().clone();
    let alice_user = seed.user("alice");
    let bob_user = seed.user("bob");
    let alice = client(&rec.base_url, Some(&alice_user.key))?;
    let bob = client(&rec.base_url, Some(&bob_user.key))?;
    let root = client(&rec.base_url, Some(&seed.user("root").key))?;
    let keyless = client(&rec.base_url, None)?;
    let wrong = client(&rec.base_url, Some("not-a-real-key"))?;
    let read_only = client(&rec.base_url, Some(&seed.token("dashboards").key))?;
    let customer = seed.customer_id.parse().map_err(|e| vec![format!("{e}")])?;
    let alices_token = id(&seed.token("alice-global").id);
    let unknown = id("NoSuchToken00000000000");

    // (label, expected status): the scenario must have produced that status.
    let mut expected: Vec<(&str, u16)> = Vec::new();
    macro_rules! run {
        ($label:literal, $status:literal, $call:expr) => {{
            rec.label($label);
            let _ = $call.await;
            expected.push(($label, $status));
        }};
    }
    run!("get_token_current 200", 200, alice.current_token());
    run!("get_token_current 401", 401, wrong.current_token());
    run!("list_tokens_user 200", 200, alice.list_tokens());
    run!(
        "list_tokens_customer 200",
        200,
        alice.list_customer_tokens(&customer)
    );
    run!(
        "list_tokens_customer 403",
        403,
        bob.list_customer_tokens(&customer)
    );
    run!("get_token 200", 200, alice.get_token(&alices_token));
    run!("get_token 404", 404, alice.get_token(&unknown));
    run!(
        "create_token 200",
        200,
        keyless
            .create_token(Credentials::password(
                bob_user.login.as_str(),
                bob_user.password.as_str()
            ))
            .name("contract")
            .scopes([Scope::PurgeAll])
            .services(
                seed.services
                    .iter()
                    .filter_map(|s| s.parse::<fastly_tokens::ServiceId>().ok())
            )
            .expires_at(Utc::now() + chrono::Duration::days(30))
            .send()
    );
    run!(
        "create_token 400 2fa",
        400,
        keyless
            .create_token(Credentials::password(
                alice_user.login.as_str(),
                alice_user.password.as_str()
            ))
            .scopes([fastly_tokens::Scope::GlobalRead])
            .send()
    );
    run!(
        "create_token 400 invalid_grant",
        400,
        keyless
            .create_token(Credentials::password("nobody@example.com", "wrong"))
            .scopes([fastly_tokens::Scope::GlobalRead])
            .send()
    );
    run!(
        "create_token 403 sudo",
        403,
        alice
            .create_token(Credentials::api_token())
            .scopes([fastly_tokens::Scope::GlobalRead])
            .send()
    );
    rec.label("create_token 422");
    let _ = reqwest::Client::new()
        .post(format!("{}/tokens", rec.base_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "username={}&password={}&expires_at=next+week",
            bob_user.login, bob_user.password
        ))
        .send()
        .await;
    expected.push(("create_token 422", 422));
    run!(
        "create_token 401",
        401,
        wrong
            .create_token(Credentials::api_token())
            .scopes([fastly_tokens::Scope::GlobalRead])
            .send()
    );
    let fresh: Vec<TokenId> = fake.add_tokens("alice", 3).iter().map(|s| id(s)).collect();
    run!("revoke_token 204", 204, alice.revoke_token(&fresh[0]));
    run!("revoke_token 404", 404, alice.revoke_token(&unknown));
    run!("revoke_token 403", 403, bob.revoke_token(&alices_token));
    run!(
        "revoke_token 403 read-only",
        403,
        read_only.revoke_token(&alices_token)
    );
    run!(
        "bulk_revoke_tokens 204",
        204,
        alice.revoke_tokens(&fresh[1..])
    );
    run!(
        "bulk_revoke_tokens 400",
        400,
        alice.revoke_tokens([unknown.clone()])
    );
    run!(
        "bulk_revoke_tokens 403",
        403,
        bob.revoke_tokens([alices_token.clone()])
    );
    let bob_purge = client(&rec.base_url, Some(&seed.token("bob-purge").key))?;
    run!(
        "revoke_token_current 204",
        204,
        bob_purge.revoke_current_token()
    );
    run!(
        "revoke_token_current 403",
        403,
        read_only.revoke_current_token()
    );
    // Automation tokens (root is the superuser; bob may not list them).
    let root_user = seed.user("root").clone();
    let seeded_automation: AutomationTokenId = seed
        .automation_token("deploy")
        .id
        .parse()
        .map_err(|e| vec![format!("{e}")])?;
    let unknown_automation: AutomationTokenId = "NoSuchAutomation000000"
        .parse()
        .map_err(|e| vec![format!("{e}")])?;
    run!(
        "list_automation_tokens 200",
        200,
        root.list_automation_tokens()
    );
    run!(
        "list_automation_tokens 403",
        403,
        bob.list_automation_tokens()
    );
    run!(
        "get_automation_token 200",
        200,
        root.get_automation_token(&seeded_automation)
    );
    run!(
        "get_automation_token 404",
        404,
        root.get_automation_token(&unknown_automation)
    );
    run!(
        "list_automation_token_services 200",
        200,
        root.automation_token_services(&seeded_automation)
    );
    run!(
        "create_automation_token 403 sudo",
        403,
        root.create_automation_token("contract")
            .scopes([Scope::GlobalRead])
            .send()
    );
    run!(
        "enter_sudo 400",
        400,
        root.enter_sudo(root_user.login.as_str(), "wrong")
    );
    run!(
        "enter_sudo 200",
        200,
        root.enter_sudo(root_user.login.as_str(), root_user.password.as_str())
    );
    run!(
        "create_automation_token 200",
        200,
        root.create_automation_token("contract")
            .role(Role::Engineer)
            .scopes([Scope::PurgeSelect])
            .services(
                seed.services
                    .iter()
                    .filter_map(|s| s.parse::<fastly_tokens::ServiceId>().ok())
            )
            .send()
    );
    run!(
        "create_automation_token 400",
        400,
        root.create_automation_token("contract")
            .scopes([Scope::Other("edge:unknown".into())])
            .send()
    );
    run!(
        "create_automation_token 403 superuser",
        403,
        bob.create_automation_token("contract")
            .scopes([Scope::GlobalRead])
            .send()
    );
    run!(
        "revoke_token 204 automation",
        204,
        root.revoke_automation_token(&seeded_automation)
    );
    rec.label("revoke_token 429");
    for _ in 0..45 {
        if root.revoke_token(&unknown).await.is_err() {
            break;
        }
    }
    expected.push(("revoke_token 429", 429));

    let seen = rec.seen();
    let mut errors = violations(&seen);
    for (label, status) in &expected {
        if !seen
            .iter()
            .any(|s| s.label == *label && s.status == *status)
        {
            let got: Vec<u16> = seen
                .iter()
                .filter(|s| s.label == *label)
                .map(|s| s.status)
                .collect();
            errors.push(format!(
                "{label}: expected the fake to answer {status}, got {got:?}"
            ));
        }
    }
    if errors.is_empty() {
        Ok(format!(
            "{} responses in {} scenarios (every status the fake produces), no violations",
            seen.len(),
            expected.len()
        ))
    } else {
        Err(errors)
    }
}
