//! The raw crate's own glue on the wire: what it changes about the generated client (the bulk
//! media type, the repeated `services[]` form field, the OTP header, error bodies that are not
//! Fastly's JSON, the TLS features). The method, path, headers and body of every operation are
//! asserted in one place, through the public client: `crates/fastly-tokens/tests/client.rs`.

use chrono::{TimeZone, Utc};
use fastly_tokens_raw::{Client, Error, form::CreateTokenRequest};
use httpmock::prelude::*;
use reqwest::header::{HeaderMap, HeaderValue};

const KEY: &str = "raw-test-api-key-0000000000000000";

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../../openapi/fixtures/", $name))
    };
}

fn client(server: &MockServer) -> Client {
    let mut key = HeaderValue::from_static(KEY);
    key.set_sensitive(true);
    let mut headers = HeaderMap::new();
    headers.insert("fastly-key", key);
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("reqwest client");
    Client::new_with_client(&server.base_url(), http)
}

#[tokio::test]
async fn bulk_revoke_sends_the_jsonapi_bulk_content_type_and_typed_body() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/tokens")
                .header("fastly-key", KEY)
                .header("content-type", "application/vnd.api+json; ext=bulk")
                .header_missing("api-version")
                .body(
                    r#"{"data":[{"type":"token","id":"2j1hEyxXOEqYaSipeZHaW4"},{"type":"token","id":"5NSGsvF9ybBxXAdEQhcYPz"}]}"#,
                );
            then.status(204);
        })
        .await;
    let body = fastly_tokens_raw::bulk::BulkRevokeRequest::for_ids([
        "2j1hEyxXOEqYaSipeZHaW4",
        "5NSGsvF9ybBxXAdEQhcYPz",
    ]);
    client(&server)
        .bulk_revoke_tokens(&body)
        .await
        .expect("204");
    mock.assert_async().await;
}

#[tokio::test]
async fn create_token_sends_repeated_services_and_the_otp_header() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/tokens")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "application/json")
                .header("fastly-otp", "123456")
                .body(
                    "name=deploy-ci&scope=purge_select+global%3Aread\
                     &services%5B%5D=4aXkQ2mXbV1yQp0tR9sT7e&services%5B%5D=1BcDeFgHiJkLmNoPqRsTuv\
                     &expires_at=2030-01-01T00%3A00%3A00Z\
                     &username=ops%40example.com&password=p%40ss+word",
                );
            then.status(200)
                .header("content-type", "application/json")
                .header("fastly-ratelimit-remaining", "997")
                .header("fastly-ratelimit-reset", "1635879600")
                .body(fixture!("create_token.200.json"));
        })
        .await;
    let form = CreateTokenRequest {
        name: Some("deploy-ci".into()),
        scope: Some("purge_select global:read".into()),
        services: vec![
            "4aXkQ2mXbV1yQp0tR9sT7e".into(),
            "1BcDeFgHiJkLmNoPqRsTuv".into(),
        ],
        expires_at: Some(Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()),
        username: Some("ops@example.com".into()),
        password: Some("p@ss word".into()),
    };
    let created = client(&server)
        .create_token(Some("123456"), &form)
        .await
        .expect("200")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(created.access_token, "FIXTUREfixtureFIXTUREfixture-_00");
    assert_eq!(created.services.len(), 2);
    assert!(
        created.scopes.is_empty(),
        "create responses carry no `scopes`"
    );
    assert_eq!(
        created.updated_at.map(|t| t.0),
        Some(Utc.with_ymd_and_hms(2026, 11, 2, 18, 46, 13).unwrap())
    );
}

#[tokio::test]
async fn create_token_without_otp_sends_no_otp_header() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/tokens")
                .header_missing("fastly-otp")
                .body("name=n");
            then.status(400)
                .header("content-type", "application/json")
                .body(fixture!("create_token.400.json"));
        })
        .await;
    let form = CreateTokenRequest {
        name: Some("n".into()),
        ..Default::default()
    };
    let err = client(&server)
        .create_token(None, &form)
        .await
        .expect_err("400");
    mock.assert_async().await;
    match err {
        Error::ErrorResponse(rv) => assert_eq!(rv.code.as_deref(), Some("2fa.verify")),
        other => panic!("unexpected {other:?}"),
    }
}

/// progenitor-client builds reqwest without TLS; this crate's `rustls`/`native-tls` features
/// (one is turned on by `fastly-tokens`) restore it. Without TLS, reqwest refuses an https URL
/// before connecting (a "builder" error); with it, the request reaches the TLS handshake.
#[cfg(any(feature = "rustls", feature = "native-tls"))]
#[tokio::test]
async fn https_base_urls_reach_the_tls_handshake() {
    let server = MockServer::start_async().await; // plain HTTP: the handshake must fail
    let http = reqwest::Client::builder().build().expect("client");
    let client = Client::new_with_client(&format!("https://127.0.0.1:{}", server.port()), http);
    match client.get_token_current().await {
        Err(Error::CommunicationError(e)) => {
            assert!(
                !e.is_builder(),
                "https is unsupported: TLS feature missing: {e:?}"
            );
            assert!(e.is_connect(), "{e:?}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn an_error_status_with_a_non_json_body_keeps_its_status_and_headers() {
    // Without the glue, progenitor reports InvalidResponsePayload: no status, no headers.
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(DELETE).path("/tokens/self");
            then.status(429)
                .header("fastly-ratelimit-reset", "1635879600")
                .body("<html>slow down</html>");
        })
        .await;
    match client(&server).revoke_token_current().await {
        Err(Error::ErrorResponse(rv)) => {
            assert_eq!(rv.status().as_u16(), 429);
            assert_eq!(
                rv.headers()
                    .get("fastly-ratelimit-reset")
                    .and_then(|v| v.to_str().ok()),
                Some("1635879600")
            );
            assert_eq!(rv.msg, None, "the HTML body is not Fastly's message");
            assert_eq!(rv.detail, None);
        }
        other => panic!("unexpected {other:?}"),
    }
}
