//! Shared by the integration test binaries: constants, fixtures, a client for a mock server, and
//! every operation behind one enum so tests can loop over them.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::sync::Arc;
use std::time::Duration;

use fastly_tokens::{Client, Credentials, Error, RetryPolicy, TokenId};
use httpmock::prelude::*;

pub const KEY: &str = "test-key-AAAAAAAAAAAAAAAAAAAAAAAAAAAA";
pub const PASSWORD: &str = "pass-word-BBBBBBBBBBBB";
pub const OTP: &str = "918273";
pub const ACCESS_TOKEN: &str = "FIXTUREfixtureFIXTUREfixture-_00";

#[allow(unused_macros, reason = "not every test binary reads fixtures")]
macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../../openapi/fixtures/", $name))
    };
}

/// Everything an error shows: `Display`, `Debug`, and the whole `source()` chain.
pub fn shown(error: &Error) -> String {
    let mut out = format!("{error}\n{error:?}");
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        out.push_str(&format!("\n{s} {s:?}"));
        source = s.source();
    }
    out
}

pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(2))
}

/// A client for `base_url` with `key` and millisecond backoff, so retries do not slow tests.
pub fn fast_client(base_url: &str, key: &str) -> Client {
    Client::builder()
        .token(key)
        .base_url(base_url)
        .retry(fast_retries())
        .build()
        .expect("client")
}

/// [`fast_client`] for a mock server, with [`KEY`].
pub fn client(server: &MockServer) -> Client {
    fast_client(&server.base_url(), KEY)
}

/// [`fast_client`] for a fake, with `key`.
pub fn fake_client(fake: &fastly_tokens_fake::FakeFastly, key: &str) -> Client {
    fast_client(fake.base_url(), key)
}

pub fn tid(s: &str) -> TokenId {
    s.parse().expect("token id")
}

/// Validated ids from the fake's strings.
pub fn tids(raw: &[String]) -> Vec<TokenId> {
    raw.iter().map(|s| tid(s)).collect()
}

/// A catch-all mock answering 599 to any request no other mock matched, so an unexpected
/// request fails the test with its method and path instead of a confusing 404 (octocrab's
/// tests do the same). Register it after the specific mocks.
pub async fn unexpected_requests_fail(server: &MockServer) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(599).body("unexpected request: no mock matched");
        })
        .await
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Current,
    List,
    Customer,
    Get,
    Revoke,
    RevokeSelf,
    Bulk,
    Create,
    AutomationList,
    AutomationGet,
    AutomationCreate,
}

impl Op {
    pub const ALL: [Op; 11] = [
        Op::Current,
        Op::List,
        Op::Customer,
        Op::Get,
        Op::Revoke,
        Op::RevokeSelf,
        Op::Bulk,
        Op::Create,
        Op::AutomationList,
        Op::AutomationGet,
        Op::AutomationCreate,
    ];

    pub fn method_and_path(self) -> (httpmock::Method, &'static str) {
        match self {
            Op::Current => (GET, "/tokens/self"),
            Op::List => (GET, "/tokens"),
            Op::Customer => (GET, "/customer/51MumwLiSJyFTWhtbByYgR/tokens"),
            Op::Get => (GET, "/tokens/3krg2uUGZzb2W9Euo4moOY"),
            Op::Revoke => (DELETE, "/tokens/3krg2uUGZzb2W9Euo4moOY"),
            Op::RevokeSelf => (DELETE, "/tokens/self"),
            Op::Bulk => (DELETE, "/tokens"),
            Op::Create => (POST, "/tokens"),
            Op::AutomationList => (GET, "/automation-tokens"),
            Op::AutomationGet => (GET, "/automation-tokens/4bAutoTok0000000000002"),
            Op::AutomationCreate => (POST, "/automation-tokens"),
        }
    }

    /// The client method.
    pub fn name(self) -> &'static str {
        match self {
            Op::Current => "current_token",
            Op::List => "list_tokens",
            Op::Customer => "list_customer_tokens",
            Op::Get => "get_token",
            Op::Revoke => "revoke_token",
            Op::RevokeSelf => "revoke_current_token",
            Op::Bulk => "revoke_tokens",
            Op::Create => "create_token",
            Op::AutomationList => "list_automation_tokens",
            Op::AutomationGet => "get_automation_token",
            Op::AutomationCreate => "create_automation_token",
        }
    }

    pub fn idempotent(self) -> bool {
        !matches!(self, Op::Create | Op::AutomationCreate)
    }

    /// Runs the operation; bulk revoke's per-id failure (shared by the report) is surfaced as
    /// the error.
    pub async fn run(self, client: &Client) -> Result<(), Arc<Error>> {
        let id = tid("3krg2uUGZzb2W9Euo4moOY");
        let result = match self {
            Op::Current => client.current_token().await.map(drop),
            Op::List => client.list_tokens().await.map(drop),
            Op::Customer => client
                .list_customer_tokens(&"51MumwLiSJyFTWhtbByYgR".parse().expect("id"))
                .await
                .map(drop),
            Op::Get => client.get_token(&id).await.map(drop),
            Op::Revoke => client.revoke_token(&id).await.map(drop),
            Op::RevokeSelf => client.revoke_current_token().await,
            Op::Bulk => {
                let report = client.revoke_tokens([id]).await?;
                return match report.entries().first() {
                    Some((_, fastly_tokens::RevokeStatus::Failed(e))) => Err(e.clone()),
                    _ => Ok(()),
                };
            }
            Op::AutomationList => client.list_automation_tokens().await.map(drop),
            Op::AutomationGet => client
                .get_automation_token(&"4bAutoTok0000000000002".parse().expect("id"))
                .await
                .map(drop),
            // Without `.sudo(..)`: one request, as the other operations make.
            Op::AutomationCreate => client
                .create_automation_token("ci")
                .scopes([fastly_tokens::Scope::GlobalRead])
                .send()
                .await
                .map(drop),
            Op::Create => client
                .create_token(Credentials::password("ops@example.com", PASSWORD))
                .otp(OTP)
                .scopes([fastly_tokens::Scope::GlobalRead])
                .send()
                .await
                .map(drop),
        };
        result.map_err(Arc::new)
    }
}

// ---------------------------------------------------------------------------------------------
// A scripted HTTP/1.1 server on loopback, for servers that misbehave in ways httpmock cannot.
// ---------------------------------------------------------------------------------------------

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Reads one HTTP/1.1 request (headers and a Content-Length body) and returns its bytes.
pub async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(buf);
        }
    }
}

/// A whole HTTP/1.1 response with `connection: close`.
pub fn http_response(status: u16, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\nconnection: close\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// What a scripted server does with each request: the bytes to answer with, or `None` to
/// keep the connection open and never answer.
pub type Script = fn(&[u8]) -> Option<Vec<u8>>;

/// Starts a server on 127.0.0.1 that answers every request with `script`. Returns its base
/// URL and a counter of requests received.
pub async fn scripted_server(script: Script) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base_url = format!("http://{}", listener.local_addr().expect("addr"));
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let Some(request) = read_request(&mut stream).await else {
                    return;
                };
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                match script(&request) {
                    Some(bytes) => {
                        let _ = stream.write_all(&bytes).await;
                        let _ = stream.shutdown().await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(600)).await,
                }
            });
        }
    });
    (base_url, count)
}
