//! Secret hygiene: across traces at TRACE level and the `Debug`/`Display` of every public type
//! and error, the API key, password, OTP and created access token never appear.
//!
//! A binary of its own because it installs a global tracing subscriber: with a thread-local one,
//! tracing's per-callsite interest cache, filled by concurrently running tests, can hide events.

#[macro_use]
mod common;

use std::sync::{Arc, Mutex};

use common::*;
use fastly_tokens::{Client, Credentials};
use httpmock::prelude::*;

// ---------------------------------------------------------------------------------------------
// Secrets: nothing secret in traces, Debug or Display of anything.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_never_appear_in_traces_debug_or_display() {
    let captured = Captured::default();
    let writer = captured.clone();
    // Everything at TRACE except the mock server's own logs: it is the server side, and it
    // logs the requests it receives (key included), which is its job, not the client's.
    use tracing_subscriber::layer::SubscriberExt as _;
    let filter = tracing_subscriber::filter::Targets::new()
        .with_default(tracing::Level::TRACE)
        .with_target("httpmock", tracing::level_filters::LevelFilter::OFF);
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(move || writer.clone())
        .with_ansi(false);
    let subscriber =
        tracing_subscriber::registry().with(tracing_subscriber::Layer::with_filter(layer, filter));
    tracing::subscriber::set_global_default(subscriber).expect("first subscriber");

    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/tokens");
            then.status(200)
                .header("content-type", "application/json")
                .body(fixture!("create_token.200.json"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/tokens/self");
            then.status(401)
                .header("content-type", "application/json")
                .body(fixture!("error.401.json"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/tokens");
            then.status(503).body("upstream failed");
        })
        .await;

    let client = client(&server);
    let mut shown = Vec::new();
    shown.push(format!("{client:?}"));
    let created = client
        .create_token(Credentials::password("ops@example.com", PASSWORD))
        .otp(OTP)
        .name("x")
        .scopes([fastly_tokens::Scope::GlobalRead])
        .send()
        .await
        .expect("created");
    shown.push(format!("{created:?}"));
    shown.push(format!("{:?}", created.token()));
    shown.push(format!("{:?}", Credentials::password("u", PASSWORD)));
    shown.push(format!(
        "{:?}",
        client
            .create_token(Credentials::password("u", PASSWORD))
            .otp(OTP)
    ));
    for op in Op::ALL {
        if let Err(e) = op.run(&client).await {
            shown.push(format!("{e}"));
            shown.push(format!("{e:?}"));
            let mut source = std::error::Error::source(&*e);
            while let Some(s) = source {
                shown.push(format!("{s} {s:?}"));
                source = s.source();
            }
        }
    }
    let report = client.revoke_tokens([tid("abc")]).await.expect("report");
    shown.push(format!("{report:?}"));
    shown.push(format!("{:?}", Client::builder().token(KEY)));

    shown.extend(hostile_servers().await);

    let traces = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf8");
    assert!(
        traces.contains("fastly_tokens"),
        "tracing was captured: {traces}"
    );
    assert!(
        traces.contains("create_token"),
        "spans name operations: {traces}"
    );
    let everything = format!("{traces}\n{}", shown.join("\n"));
    for secret in [
        KEY,
        PASSWORD,
        OTP,
        ACCESS_TOKEN,
        ODD_PASSWORD,
        "odd%2Fpass",
        URL_SECRET,
    ] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked:\n{everything}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile servers: each case asserts its outcome; everything shown is checked above, with the
// traces these calls produced.
// ---------------------------------------------------------------------------------------------

/// A password whose form encoding differs from itself, so an echo holds `odd%2Fpass%40…`.
const ODD_PASSWORD: &str = "odd/pass@word SECRET";
/// A secret a careless caller puts into the base URL.
const URL_SECRET: &str = "url-SECRET-_value";

fn echo_200(request: &[u8]) -> Option<Vec<u8>> {
    Some(http_response(200, "application/json", request))
}

fn echo_in_error(request: &[u8]) -> Option<Vec<u8>> {
    let text = String::from_utf8_lossy(request).into_owned();
    let body = serde_json::json!({ "msg": text, "detail": text, "code": text }).to_string();
    Some(http_response(400, "application/json", body.as_bytes()))
}

fn created_201(_: &[u8]) -> Option<Vec<u8>> {
    Some(http_response(
        201,
        "application/json",
        fixture!("create_token.200.json").as_bytes(),
    ))
}

fn created_bad_timestamp(_: &[u8]) -> Option<Vec<u8>> {
    let body = fixture!("create_token.200.json").replacen(
        "\"created_at\":\"",
        "\"created_at\":\"not-a-time ",
        1,
    );
    assert!(body.contains("not-a-time"), "the fixture has a created_at");
    Some(http_response(200, "application/json", body.as_bytes()))
}

fn revoked_200(_: &[u8]) -> Option<Vec<u8>> {
    Some(http_response(
        200,
        "application/json",
        b"{\"status\":\"ok\"}",
    ))
}

fn silent(_: &[u8]) -> Option<Vec<u8>> {
    None
}

fn client_for(base_url: &str) -> Client {
    Client::builder()
        .token(KEY)
        .base_url(base_url)
        .retry(fast_retries())
        .attempt_timeout(std::time::Duration::from_millis(300))
        .operation_timeout(std::time::Duration::from_millis(700))
        .build()
        .expect("client")
}

fn create<'a>(client: &'a Client, password: &str) -> fastly_tokens::CreateTokenBuilder<'a> {
    client
        .create_token(Credentials::password("ops@example.com", password))
        .scopes([fastly_tokens::Scope::GlobalRead])
        .otp(OTP)
}

async fn hostile_servers() -> Vec<String> {
    use fastly_tokens::secrecy::ExposeSecret as _;
    let mut shown = Vec::new();
    let mut show = |e: &fastly_tokens::Error| shown.push(common::shown(e));

    // An echo service: every 200 body is the request, key, OTP and password included.
    let (url, _) = scripted_server(echo_200).await;
    let client = client_for(&url);
    for op in Op::ALL {
        match op.run(&client).await {
            Err(e) => {
                assert!(matches!(*e, fastly_tokens::Error::Decode(_)), "{op:?}: {e}");
                show(&e);
            }
            Ok(()) => assert!(
                matches!(op, Op::Revoke | Op::RevokeSelf | Op::Bulk),
                "{op:?}: a 2xx to a revoke is a revoke"
            ),
        }
    }
    let e = create(&client, ODD_PASSWORD)
        .send()
        .await
        .expect_err("echo");
    show(&e);

    // The request echoed into Fastly's own error fields: scrubbed, encoded forms included.
    let (url, _) = scripted_server(echo_in_error).await;
    let client = client_for(&url);
    for op in Op::ALL {
        let e = op.run(&client).await.expect_err("400");
        assert_eq!(e.status(), Some(400), "{op:?}");
        let api = e.as_api().expect("api error");
        assert!(
            api.message().is_some_and(|m| m.contains("[REDACTED]")),
            "{e}"
        );
        show(&e);
    }
    let e = create(&client, ODD_PASSWORD).send().await.expect_err("400");
    show(&e);

    // A create answered 201: the token is delivered.
    let (url, _) = scripted_server(created_201).await;
    let created = create(&client_for(&url), PASSWORD)
        .send()
        .await
        .expect("a 201 with a token body is a created token");
    assert_eq!(created.access_token().expose_secret(), ACCESS_TOKEN);

    // A create whose answer does not decode: the secret is in the error, not lost.
    let (url, count) = scripted_server(created_bad_timestamp).await;
    let e = create(&client_for(&url), PASSWORD)
        .send()
        .await
        .expect_err("undecodable");
    match &e {
        fastly_tokens::Error::CreatedUndecoded(partial) => {
            assert_eq!(partial.access_token().expose_secret(), ACCESS_TOKEN);
            assert!(partial.token_id().is_some());
            assert!(
                partial.reason().contains("created_at"),
                "{}",
                partial.reason()
            );
        }
        other => panic!("secret lost: {other}"),
    }
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
    show(&e);

    // A revoke answered 200: revoked.
    let (url, _) = scripted_server(revoked_200).await;
    let client = client_for(&url);
    assert_eq!(
        client
            .revoke_token(&tid("3krg2uUGZzb2W9Euo4moOY"))
            .await
            .expect("revoked"),
        fastly_tokens::RevokeOutcome::Revoked
    );
    client.revoke_current_token().await.expect("revoked");
    assert!(
        client
            .revoke_tokens([tid("abc")])
            .await
            .expect("report")
            .all_gone()
    );

    // A silent server: the call ends at the operation timeout, with the attempts counted.
    let (url, count) = scripted_server(silent).await;
    let started = std::time::Instant::now();
    let e = client_for(&url).current_token().await.expect_err("silent");
    let took = started.elapsed();
    assert!(e.is_timeout(), "{e}");
    let fastly_tokens::Error::Transport(t) = &e else {
        panic!("{e}")
    };
    assert_eq!(
        t.timeout(),
        Some(fastly_tokens::Timeout::Operation(
            std::time::Duration::from_millis(700)
        ))
    );
    assert!(e.to_string().contains("operation timeout"), "{e}");
    assert!(took < std::time::Duration::from_secs(3), "took {took:?}");
    assert_eq!(
        count.load(std::sync::atomic::Ordering::SeqCst),
        3,
        "3 attempts in 700 ms"
    );
    show(&e);

    // Credentials in the base URL: refused without repeating them.
    for url in [
        format!("http://user:{URL_SECRET}@127.0.0.1:1"),
        format!("http://{URL_SECRET}@127.0.0.1:1"),
        format!("https://api.fastly.com/?api_key={URL_SECRET}"),
        format!("https://api.fastly.com/#{URL_SECRET}"),
        format!("ftp://{URL_SECRET}@x"),
        format!("not a url {URL_SECRET}"),
    ] {
        let e = Client::builder()
            .token(KEY)
            .base_url(&url)
            .build()
            .expect_err("refused");
        assert!(e.is_invalid_input(), "{e}");
        show(&e);
    }
    shown
}
