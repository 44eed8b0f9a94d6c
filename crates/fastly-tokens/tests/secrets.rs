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
    for secret in [KEY, PASSWORD, OTP, ACCESS_TOKEN] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked:\n{everything}"
        );
    }
}
