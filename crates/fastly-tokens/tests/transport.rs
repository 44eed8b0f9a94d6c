//! The configurable transport: a caller's reqwest configuration is applied, and the client's
//! guarantees are applied over it; `FASTLY_API_ENDPOINT` names another endpoint.

#[macro_use]
mod common;

use common::*;
use fastly_tokens::{Client, reqwest};

/// A plain HTTP proxy: it answers only requests in absolute form (`GET http://host/path`),
/// which is how a client talks to a proxy and never to an origin.
fn proxy(request: &[u8]) -> Option<Vec<u8>> {
    let head = String::from_utf8_lossy(request);
    if head.starts_with("GET http://127.0.0.1:1/tokens/self ") {
        Some(http_response(
            200,
            "application/json",
            fixture!("get_token_current.200.json").as_bytes(),
        ))
    } else {
        Some(http_response(
            400,
            "application/json",
            br#"{"msg":"not a proxy request"}"#,
        ))
    }
}

#[tokio::test]
async fn a_configured_proxy_carries_the_requests() {
    let (proxy_url, seen) = scripted_server(proxy).await;
    // Nothing listens on 127.0.0.1:1: the call succeeds only through the proxy.
    let client = Client::builder()
        .token(KEY)
        .base_url("http://127.0.0.1:1")
        .configure_http(move |http| {
            http.proxy(reqwest::Proxy::http(&proxy_url).expect("proxy URL"))
        })
        .build()
        .expect("client");
    let me = client.current_token().await.expect("through the proxy");
    assert_eq!(me.name(), "deploy-bot");
    assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// Redirects to another host name than the base URL's.
fn redirect_elsewhere(_: &[u8]) -> Option<Vec<u8>> {
    Some(
        b"HTTP/1.1 302 Found\r\nlocation: http://localhost:1/tokens/self\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            .to_vec(),
    )
}

#[tokio::test]
async fn the_callers_redirect_policy_cannot_send_the_key_elsewhere() {
    let (url, seen) = scripted_server(redirect_elsewhere).await;
    let client = Client::builder()
        .token(KEY)
        .base_url(&url)
        .retry(fastly_tokens::RetryPolicy::none())
        // The caller tries to follow every redirect; the client's own policy wins.
        .configure_http(|http| http.redirect(reqwest::redirect::Policy::limited(10)))
        .build()
        .expect("client");
    let err = client.current_token().await.expect_err("not followed");
    assert_eq!(err.status(), Some(302), "{err}");
    assert!(
        err.to_string().contains("redirecting to localhost"),
        "{err}"
    );
    assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn default_headers_set_by_the_caller_do_not_replace_the_key() {
    fn needs_key(request: &[u8]) -> Option<Vec<u8>> {
        let head = String::from_utf8_lossy(request).to_ascii_lowercase();
        Some(
            if head.contains(&format!("fastly-key: {}", KEY.to_ascii_lowercase())) {
                http_response(
                    200,
                    "application/json",
                    fixture!("get_token_current.200.json").as_bytes(),
                )
            } else {
                http_response(401, "application/json", br#"{"msg":"no key"}"#)
            },
        )
    }
    let (url, _) = scripted_server(needs_key).await;
    let client = Client::builder()
        .token(KEY)
        .base_url(&url)
        .configure_http(|http| {
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert(
                "fastly-key",
                reqwest::header::HeaderValue::from_static("other"),
            );
            http.default_headers(headers)
        })
        .build()
        .expect("client");
    client
        .current_token()
        .await
        .expect("the client's key is sent");
    assert!(!format!("{client:?}").contains(KEY));
}

#[test]
fn from_env_reads_the_endpoint_variable() {
    // Environment mutation is unsafe in edition 2024: check in a child process.
    let exe = std::env::current_exe().expect("exe");
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "endpoint_child",
            "--nocapture",
            "--include-ignored",
        ])
        .env("FASTLY_API_TOKEN", KEY)
        .env("FASTLY_API_ENDPOINT", "http://127.0.0.1:8099")
        .output()
        .expect("child runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
#[ignore = "run by from_env_reads_the_endpoint_variable in a child process"]
fn endpoint_child() {
    let client = Client::from_env().expect("client");
    assert_eq!(client.base_url(), "http://127.0.0.1:8099");
}
