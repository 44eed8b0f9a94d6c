//! The generated client on the wire: for each of the eight operations, the exact method, path,
//! headers and body, and the decoding of response bodies shaped like the real recorded ones.

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
async fn get_token_current_on_the_wire_and_decoded() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/tokens/self")
                .header("fastly-key", KEY)
                .header("accept", "application/json")
                .header_missing("api-version");
            then.status(200)
                .header("content-type", "application/json")
                .body(fixture!("get_token_current.200.json"));
        })
        .await;
    let token = client(&server)
        .get_token_current()
        .await
        .expect("200")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(token.id, "6FzGpbNZ8sPqk2yXwT3vHm");
    assert_eq!(token.scope.0, "global");
    assert_eq!(token.expires_at, None);
    assert_eq!(token.sudo_expires_at, None);
    assert_eq!(token.service_id.as_deref(), Some("4aXkQ2mXbV1yQp0tR9sT7e"));
    assert_eq!(
        token.last_used_at.map(|t| t.0),
        Some(Utc.with_ymd_and_hms(2026, 10, 14, 11, 36, 43).unwrap())
    );
}

#[tokio::test]
async fn list_tokens_user_decodes_nulls_multi_scope_unknown_fields_and_three_time_formats() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/tokens")
                .header("fastly-key", KEY)
                .header("accept", "application/json");
            then.status(200)
                .header("content-type", "application/json")
                .body(fixture!("list_tokens_user.200.json"));
        })
        .await;
    let tokens = client(&server)
        .list_tokens_user()
        .await
        .expect("200")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(tokens.len(), 4);
    assert_eq!(
        tokens[0].sudo_expires_at.map(|t| t.0),
        Some(Utc.with_ymd_and_hms(2026, 10, 14, 11, 25, 52).unwrap())
    );
    assert_eq!(tokens[2].last_used_at, None);
    assert_eq!(tokens[2].ip, None);
    assert_eq!(tokens[2].user_agent, None);
    let multi = &tokens[3];
    assert_eq!(multi.scope.0, "purge_select global:read edge:future");
    assert_eq!(multi.scopes, ["purge_select", "global:read", "edge:future"]);
    // `.000Z` and `+00:00` decode like `Z`.
    assert_eq!(
        multi.last_used_at.map(|t| t.0),
        Some(Utc.with_ymd_and_hms(2026, 10, 14, 11, 26, 13).unwrap())
    );
    assert_eq!(
        multi.created_at.0,
        Utc.with_ymd_and_hms(2026, 10, 14, 11, 25, 39).unwrap()
    );
}

#[tokio::test]
async fn get_token_by_id() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/tokens/3krg2uUGZzb2W9Euo4moOY")
                .header("fastly-key", KEY);
            then.status(200)
                .header("content-type", "application/json")
                .body(fixture!("get_token.200.json"));
        })
        .await;
    let token = client(&server)
        .get_token("3krg2uUGZzb2W9Euo4moOY")
        .await
        .expect("200")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(token.scope.0, "global:read");
    assert_eq!(
        token.expires_at.map(|t| t.0),
        Some(Utc.with_ymd_and_hms(2027, 1, 14, 10, 20, 53).unwrap())
    );
}

#[tokio::test]
async fn get_token_404_is_a_typed_error_with_fastlys_message() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/tokens/nope0000000000000000");
            then.status(404)
                .header("content-type", "application/json")
                .body(fixture!("error.404.json"));
        })
        .await;
    let err = client(&server)
        .get_token("nope0000000000000000")
        .await
        .expect_err("404");
    mock.assert_async().await;
    match err {
        Error::ErrorResponse(rv) => {
            assert_eq!(rv.status().as_u16(), 404);
            assert_eq!(rv.msg.as_deref(), Some("Token lookup failed."));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn list_tokens_customer_path() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/customer/51MumwLiSJyFTWhtbByYgR/tokens")
                .header("fastly-key", KEY);
            then.status(200)
                .header("content-type", "application/json")
                .body(fixture!("list_tokens_customer.200.json"));
        })
        .await;
    let tokens = client(&server)
        .list_tokens_customer("51MumwLiSJyFTWhtbByYgR")
        .await
        .expect("200")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[1].user_id, "7PqRsTuVwXyZ0AbCdEfGh2");
}

#[tokio::test]
async fn revoke_token_is_a_delete_with_no_body_and_exposes_rate_limit_headers() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/tokens/2j1hEyxXOEqYaSipeZHaW4")
                .header("fastly-key", KEY)
                .header_missing("content-type")
                .body("");
            then.status(204)
                .header("fastly-ratelimit-remaining", "998")
                .header("fastly-ratelimit-reset", "1635879600");
        })
        .await;
    let rv = client(&server)
        .revoke_token("2j1hEyxXOEqYaSipeZHaW4")
        .await
        .expect("204");
    mock.assert_async().await;
    assert_eq!(rv.status().as_u16(), 204);
    assert_eq!(
        rv.headers()
            .get("fastly-ratelimit-remaining")
            .and_then(|v| v.to_str().ok()),
        Some("998")
    );
}

#[tokio::test]
async fn revoke_token_current_uses_the_self_route() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/tokens/self")
                .header("fastly-key", KEY);
            then.status(204);
        })
        .await;
    client(&server).revoke_token_current().await.expect("204");
    mock.assert_async().await;
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
