//! End to end: the public client against the stateful fake (`fastly-tokens-fake`) over real HTTP.

use std::time::Duration;

use fastly_tokens::secrecy::ExposeSecret;
use fastly_tokens::{Client, Credentials, RevokeOutcome, Scope, TokenId};
use fastly_tokens_fake::{FakeFastly, Fault};

mod common;

use common::{fake_client as client_for, tids as ids};

#[tokio::test]
async fn every_operation_against_the_fake() {
    let fake = fastly_tokens_fake::start().await.expect("fake");
    let alice = fake.seed().user("alice").clone();
    let client = client_for(&fake, &alice.key);

    let me = client.current_token().await.expect("current");
    assert_eq!(me.name(), "alice-global");
    assert_eq!(
        me.user_agent(),
        Some(concat!("fastly-tokens/", env!("CARGO_PKG_VERSION")))
    );

    let mine = client.list_tokens().await.expect("list");
    assert_eq!(mine.len(), alice.tokens.len());
    assert!(mine.iter().all(|t| t.user_id().as_str() == alice.id));

    let customer = client
        .list_customer_tokens(&fake.seed().customer_id.parse().expect("id"))
        .await
        .expect("customer list");
    assert_eq!(customer.len(), 8);

    let dashboards = fake.seed().token("dashboards");
    let t = client
        .get_token(&dashboards.id.parse().expect("id"))
        .await
        .expect("get");
    assert!(t.scopes().is_read_only());

    let created = client
        .create_token(Credentials::password(
            alice.login.as_str(),
            alice.password.as_str(),
        ))
        .name("e2e")
        .scopes([Scope::PurgeAll])
        .services([fake.seed().services[1]
            .parse::<fastly_tokens::ServiceId>()
            .expect("id")])
        .otp(alice.otp.clone().expect("alice has 2FA"))
        .send()
        .await
        .expect("create");
    assert_eq!(created.token().scopes().as_str(), "purge_all");
    assert_eq!(created.token().services().len(), 1);
    assert!(fake.is_live(created.token().id().as_str()));

    // The new key works, and is the token it says it is.
    let new_client = client_for(&fake, created.access_token().expose_secret());
    assert_eq!(
        new_client.current_token().await.expect("works").id(),
        created.token().id()
    );

    assert_eq!(
        client
            .revoke_token(created.token().id())
            .await
            .expect("revoke"),
        RevokeOutcome::Revoked
    );
    assert!(!fake.is_live(created.token().id().as_str()));
    assert!(
        new_client
            .current_token()
            .await
            .expect_err("revoked")
            .is_unauthorized()
    );

    let extra = ids(&fake.add_tokens("alice", 3));
    let report = client.revoke_tokens(&extra).await.expect("report");
    assert!(report.all_gone());
    assert_eq!(report.requests(), 1);
    assert!(extra.iter().all(|id| !fake.is_live(id.as_str())));

    let bob = fake.seed().user("bob");
    let bob_client = client_for(&fake, &bob.key);
    bob_client
        .revoke_current_token()
        .await
        .expect("revoke self");
    assert!(
        bob_client
            .current_token()
            .await
            .expect_err("gone")
            .is_unauthorized()
    );

    let bulk = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "DELETE" && r.path == "/tokens")
        .expect("bulk request");
    assert_eq!(
        bulk.content_type.as_deref(),
        Some("application/vnd.api+json; ext=bulk")
    );
}

#[tokio::test]
async fn read_only_tokens_cannot_write() {
    let fake = fastly_tokens_fake::start().await.expect("fake");
    let key = &fake.seed().token("dashboards").key;
    let client = client_for(&fake, key);
    let err = client.revoke_current_token().await.expect_err("403");
    assert!(err.is_forbidden());
    assert!(
        err.to_string().contains("Read only tokens are not allowed"),
        "{err}"
    );
    client.current_token().await.expect("reads are fine");
}

#[tokio::test]
async fn users_cannot_revoke_or_list_what_is_not_theirs() {
    let fake = fastly_tokens_fake::start().await.expect("fake");
    let bob = client_for(&fake, &fake.seed().user("bob").key);
    let alices: TokenId = fake.seed().token("alice-global").id.parse().expect("id");
    let report = bob.revoke_tokens([alices.clone()]).await.expect("report");
    let (_, err) = report.failed().next().expect("refused");
    assert!(err.is_forbidden(), "{err}");
    assert!(fake.is_live(alices.as_str()));
    let err = bob
        .list_customer_tokens(&fake.seed().customer_id.parse().expect("id"))
        .await
        .expect_err("not an admin");
    assert!(err.is_forbidden());
    // A superuser may.
    let root = client_for(&fake, &fake.seed().user("root").key);
    assert_eq!(
        root.revoke_token(&alices).await.expect("ok"),
        RevokeOutcome::Revoked
    );
}

#[tokio::test]
async fn expiry_follows_the_fake_clock() {
    let fake = fastly_tokens_fake::start().await.expect("fake");
    let ci = fake.seed().token("ci-purge");
    let client = client_for(&fake, &ci.key);
    client.current_token().await.expect("valid today");
    fake.advance(Duration::from_secs(11 * 86_400));
    let err = client.current_token().await.expect_err("expired");
    assert!(err.is_unauthorized());
}

#[tokio::test]
async fn the_hourly_budget_runs_out_and_resets() {
    let fake = FakeFastly::builder()
        .hourly_limit(3)
        .start()
        .await
        .expect("fake");
    let client = client_for(&fake, &fake.seed().user("alice").key);
    let ids = ids(&fake.add_tokens("alice", 4));
    for id in &ids[..3] {
        assert_eq!(
            client.revoke_token(id).await.expect("within budget"),
            RevokeOutcome::Revoked
        );
        let rl = client.last_rate_limit().expect("headers");
        assert!(rl.reset().is_some());
    }
    assert_eq!(
        client.last_rate_limit().and_then(|r| r.remaining()),
        Some(0)
    );
    let err = client.revoke_token(&ids[3]).await.expect_err("spent");
    assert!(err.is_rate_limited());
    assert!(err.rate_limit().and_then(|r| r.reset()).is_some());
    client.list_tokens().await.expect("reads are not limited");
    fake.advance(Duration::from_secs(3600));
    assert_eq!(
        client.revoke_token(&ids[3]).await.expect("new window"),
        RevokeOutcome::Revoked
    );
}

#[tokio::test]
async fn two_factor_users_must_send_the_otp() {
    let fake = fastly_tokens_fake::start().await.expect("fake");
    let alice = fake.seed().user("alice");
    let client = Client::builder()
        .base_url(fake.base_url())
        .build()
        .expect("keyless");
    let err = client
        .create_token(Credentials::password(
            alice.login.as_str(),
            alice.password.as_str(),
        ))
        .scopes([fastly_tokens::Scope::GlobalRead])
        .send()
        .await
        .expect_err("no otp");
    assert_eq!(err.as_api().and_then(|a| a.code()), Some("2fa.verify"));
    let err = client
        .create_token(Credentials::password(
            alice.login.as_str(),
            alice.password.as_str(),
        ))
        .otp("000000")
        .scopes([fastly_tokens::Scope::GlobalRead])
        .send()
        .await
        .expect_err("wrong otp");
    assert_eq!(err.as_api().and_then(|a| a.code()), Some("2fa.verify"));
    let err = client
        .create_token(Credentials::password(alice.login.as_str(), "wrong"))
        .scopes([fastly_tokens::Scope::GlobalRead])
        .send()
        .await
        .expect_err("bad password");
    assert_eq!(err.as_api().and_then(|a| a.code()), Some("invalid_grant"));
}

#[tokio::test]
async fn injected_faults_are_retried_or_reported() {
    let fake = fastly_tokens_fake::start().await.expect("fake");
    let client = client_for(&fake, &fake.seed().user("alice").key);

    fake.inject(Fault::Status(503), 2);
    client
        .current_token()
        .await
        .expect("third attempt succeeds");

    fake.inject(Fault::DropConnection, 1);
    client
        .list_tokens()
        .await
        .expect("retried after a dropped connection");

    fake.inject(Fault::TruncateBody, 1);
    let err = client.current_token().await.expect_err("truncated");
    assert!(matches!(err, fastly_tokens::Error::Decode(_)), "{err:?}");

    fake.inject(Fault::Status(503), 1);
    let err = client
        .create_token(Credentials::api_token())
        .scopes([fastly_tokens::Scope::GlobalRead])
        .send()
        .await
        .expect_err("create is not retried");
    assert_eq!(err.status(), Some(503));
    assert!(!err.is_retryable(), "a create is never retryable: {err}");
    assert!(!err.may_have_created(), "a 503 created nothing");
    assert!(!err.to_string().contains("retry"), "{err}");
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_may_have_created_and_is_never_retryable() {
    use fastly_tokens::Error;
    let fake = fastly_tokens_fake::start().await.expect("fake");
    let alice = fake.seed().user("alice").clone();
    let root = fake.seed().user("root").clone();
    let client = client_for(&fake, &alice.key);
    let root_client = client_for(&fake, &root.key);
    for fault in [Fault::DropConnection, Fault::TruncateBody] {
        // A user token: the fake mints it, then the answer is lost.
        let before = fake.live_tokens();
        fake.inject_matching("POST", "/tokens", fault.clone(), 1);
        let err = client
            .create_token(Credentials::password(
                alice.login.as_str(),
                alice.password.as_str(),
            ))
            .otp(alice.otp.clone().unwrap_or_default())
            .scopes([Scope::GlobalRead])
            .send()
            .await
            .expect_err("answer lost");
        assert_eq!(
            fake.live_tokens(),
            before + 1,
            "{fault:?}: the token exists"
        );
        assert!(err.may_have_created(), "{fault:?}: {err:?}");
        assert!(!err.is_retryable(), "{fault:?}: {err}");
        assert!(!err.to_string().contains("retry"), "{fault:?}: {err}");
        assert!(err.to_string().contains("list the tokens"), "{err}");
        // The same for an automation token (sudo first, then the create).
        fake.inject_matching("POST", "/automation-tokens", fault.clone(), 1);
        let err = root_client
            .create_automation_token("ci")
            .scopes([Scope::GlobalRead])
            .sudo(root.login.as_str(), root.password.as_str())
            .send()
            .await
            .expect_err("answer lost");
        assert!(!matches!(err, Error::CreatedUndecoded(_)), "{err:?}");
        assert!(err.may_have_created(), "{fault:?}: {err:?}");
        assert!(!err.is_retryable(), "{fault:?}: {err}");
    }
    // Nothing sent: a refused connection created nothing.
    let closed = Client::builder()
        .token(alice.key.as_str())
        .base_url("http://127.0.0.1:9")
        .retry(fastly_tokens::RetryPolicy::none())
        .build()
        .expect("client");
    let err = closed
        .create_token(Credentials::api_token())
        .scopes([Scope::GlobalRead])
        .send()
        .await
        .expect_err("refused");
    assert!(!err.may_have_created(), "{err:?}");
}

#[tokio::test]
async fn bulk_revoke_under_faults_accounts_for_every_id() {
    let fake = fastly_tokens_fake::start().await.expect("fake");
    let client = client_for(&fake, &fake.seed().user("alice").key);
    let mut wanted = ids(&fake.add_tokens("alice", 1_000));
    let gone: TokenId = "AlreadyGone00000000000".parse().expect("id");
    wanted.insert(500, gone.clone());
    fake.inject(Fault::Status(503), 2); // first chunk retried
    fake.inject(Fault::Status(502), 3); // next chunk fails after 3 attempts
    let report = client.revoke_tokens(&wanted).await.expect("report");
    assert_eq!(report.len(), 1_001);
    let failed: Vec<_> = report.failed().collect();
    assert_eq!(failed.len(), 100, "one chunk failed");
    assert!(failed.iter().all(|(_, e)| e.status() == Some(502)));
    assert_eq!(report.already_gone().collect::<Vec<_>>(), [&gone]);
    assert_eq!(report.revoked().count(), 900);
    for (id, status) in report.entries() {
        assert_eq!(
            fake.is_live(id.as_str()),
            !status.is_gone() && id != &gone,
            "{id}"
        );
    }
}

#[tokio::test]
async fn a_bulk_answer_lost_after_the_server_acted_is_not_counted_twice() {
    let fake = fastly_tokens_fake::start().await.expect("fake");
    let client = client_for(&fake, &fake.seed().user("alice").key);
    let wanted = ids(&fake.add_tokens("alice", 8));
    // The server revokes all 8, then the connection drops before the answer arrives. The retry
    // is refused (they are gone), halved down to single revokes, which answer 404.
    fake.inject(Fault::DropConnection, 1);
    let report = client.revoke_tokens(&wanted).await.expect("report");
    assert_eq!(report.len(), 8);
    assert_eq!(report.already_gone().count(), 8, "{:?}", report.entries());
    assert_eq!(report.revoked().count(), 0);
    assert!(wanted.iter().all(|id| !fake.is_live(id.as_str())));
}

#[tokio::test]
async fn a_tokens_settings_copy_into_a_create_without_conversions() {
    let fake = fastly_tokens_fake::start().await.expect("fake");
    let alice = fake.seed().user("alice").clone();
    let client = client_for(&fake, &alice.key);
    let old = client
        .get_token(&fake.seed().token("ci-purge").id.parse().expect("id"))
        .await
        .expect("old");
    let created = client
        .create_token(Credentials::password(
            alice.login.as_str(),
            alice.password.as_str(),
        ))
        .otp(alice.otp.clone().unwrap_or_default())
        .name(old.name())
        .scopes(old.scopes())
        .services(old.services())
        .send()
        .await
        .expect("created");
    assert_eq!(created.token().scopes(), old.scopes());
    assert_eq!(created.token().services(), old.services());
    let listed: Vec<&Scope> = old.scopes().into_iter().collect();
    assert_eq!(listed.len(), old.scopes().len());

    // Automation tokens answer `expires_within` as user tokens do.
    let root = fake.seed().user("root").clone();
    let automation = client_for(&fake, &root.key)
        .list_automation_tokens()
        .await
        .expect("list");
    let now = fake.now();
    for token in &automation {
        let window = std::time::Duration::from_secs(30 * 86_400);
        let expected = token
            .expires_at()
            .is_some_and(|at| at <= now + chrono::Duration::days(30));
        assert_eq!(
            token.expires_within(window, now),
            expected,
            "{}",
            token.id()
        );
    }
}

#[tokio::test]
async fn the_fake_produces_every_documented_case() {
    use fastly_tokens::Error;
    let fake = fastly_tokens_fake::start().await.expect("fake");
    let alice = fake.seed().user("alice").clone();
    let client = client_for(&fake, &alice.key);

    // A 429 carries Fastly's rate-limit headers: the reset is the end of the fake's hour.
    fake.inject_matching("DELETE", "/tokens/self", Fault::Status(429), 1);
    let err = client.revoke_current_token().await.expect_err("429");
    assert!(err.is_rate_limited());
    let reset = err
        .rate_limit()
        .and_then(|r| r.reset())
        .expect("a reset time");
    let now = fake.now();
    assert!(
        reset > now && reset <= now + chrono::Duration::hours(1),
        "{reset} vs {now}"
    );
    assert_eq!(err.rate_limit().and_then(|r| r.remaining()), Some(0));

    // A create whose answer does not decode after the token was minted: the secret is kept.
    let before = fake.live_tokens();
    fake.inject_matching("POST", "/tokens", Fault::UndecodableBody, 1);
    let err = client
        .create_token(Credentials::password(
            alice.login.as_str(),
            alice.password.as_str(),
        ))
        .otp(alice.otp.clone().unwrap_or_default())
        .scopes([Scope::GlobalRead])
        .send()
        .await
        .expect_err("undecodable");
    let Error::CreatedUndecoded(partial) = &err else {
        panic!("expected CreatedUndecoded: {err:?}");
    };
    assert!(
        !err.may_have_created(),
        "it was created, and its secret is in the error"
    );
    assert_eq!(fake.live_tokens(), before + 1);
    let own = client_for(&fake, partial.access_token().expose_secret());
    assert_eq!(
        own.current_token().await.expect("works").id(),
        partial.token_id().expect("id")
    );

    // The request log keeps the query and the headers, secrets redacted.
    fake.clear_requests();
    let root = fake.seed().user("root").clone();
    client_for(&fake, &root.key)
        .list_automation_tokens()
        .await
        .expect("list");
    let requests = fake.requests();
    let list = requests
        .iter()
        .find(|r| r.path == "/automation-tokens")
        .expect("the list request");
    assert!(
        list.query.as_deref().is_some_and(|q| q.contains("page=")),
        "{list:?}"
    );
    let header = |name: &str| {
        list.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header("fastly-key").as_deref(), Some("[REDACTED]"));
    assert!(
        header("user-agent").is_some_and(|ua| ua.starts_with("fastly-tokens/")),
        "{list:?}"
    );
    let logged = format!("{requests:?}");
    assert!(!logged.contains(&root.key) && !logged.contains(&alice.key));
}

#[tokio::test]
async fn models_round_trip_through_their_json() {
    use fastly_tokens::{AutomationToken, Token};
    let fake = fastly_tokens_fake::start().await.expect("fake");
    let alice = client_for(&fake, &fake.seed().user("alice").key);
    let tokens = alice.list_tokens().await.expect("list");
    assert!(!tokens.is_empty());
    let json = serde_json::to_string(&tokens).expect("serialize");
    let back: Vec<Token> = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(back, tokens);
    let root = client_for(&fake, &fake.seed().user("root").key);
    let automation = root.list_automation_tokens().await.expect("list");
    let json = serde_json::to_string(&automation).expect("serialize");
    let back: Vec<AutomationToken> = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(back, automation);
    // Scopes serialize as their names; an id that is not one is refused on the way in.
    assert_eq!(
        serde_json::to_string(&Scope::PurgeSelect).expect("json"),
        "\"purge_select\""
    );
    let scope: Scope = serde_json::from_str("\"global:read\"").expect("scope");
    assert_eq!(scope, Scope::GlobalRead);
    assert!(serde_json::from_str::<Scope>("\"two words\"").is_err());
    let bad = json.replacen(automation[0].id().to_string().as_str(), "not/an/id", 1);
    assert!(serde_json::from_str::<Vec<AutomationToken>>(&bad).is_err());
}

#[tokio::test]
async fn a_bulk_revoke_with_someone_elses_tokens_spends_reads_before_writes() {
    let fake = fastly_tokens_fake::start().await.expect("fake");
    let alice = client_for(&fake, &fake.seed().user("alice").key);
    let mine = ids(&fake.add_tokens("alice", 470));
    let bobs = ids(&fake.add_tokens("bob", 30));
    // Interleaved, so every chunk of 100 holds some of bob's, and two ids given twice.
    let mut wanted: Vec<TokenId> = Vec::new();
    let mut theirs = bobs.iter();
    for (n, id) in mine.iter().enumerate() {
        wanted.push(id.clone());
        if n % 16 == 0
            && let Some(b) = theirs.next()
        {
            wanted.push(b.clone());
        }
    }
    wanted.extend(theirs.cloned());
    wanted.push(mine[0].clone());
    wanted.push(bobs[0].clone());
    let report = alice.revoke_tokens(&wanted).await.expect("report");
    assert_eq!(report.len(), 500);
    assert_eq!(report.duplicates(), [mine[0].clone(), bobs[0].clone()]);
    assert_eq!(report.revoked().count(), 470);
    let failed: Vec<_> = report.failed().collect();
    assert_eq!(failed.len(), 30);
    assert!(failed.iter().all(|(_, e)| e.is_forbidden()), "{failed:?}");
    assert!(
        bobs.iter().all(|id| fake.is_live(id.as_str())),
        "bob's tokens untouched"
    );
    assert!(mine.iter().all(|id| !fake.is_live(id.as_str())));
    // Each refused chunk costs its one request plus one resend: 5 chunks, at most 10 writes.
    assert!(
        report.requests() <= 10,
        "{} non-read requests",
        report.requests()
    );
    assert_eq!(
        report.lookups(),
        500,
        "every id of the refused chunks was looked up once"
    );
}
