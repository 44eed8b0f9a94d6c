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

pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(2))
}

pub fn client(server: &MockServer) -> Client {
    Client::builder()
        .token(KEY)
        .base_url(server.base_url())
        .retry(fast_retries())
        .build()
        .expect("client")
}

pub fn tid(s: &str) -> TokenId {
    s.parse().expect("token id")
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
}

impl Op {
    pub const ALL: [Op; 8] = [
        Op::Current,
        Op::List,
        Op::Customer,
        Op::Get,
        Op::Revoke,
        Op::RevokeSelf,
        Op::Bulk,
        Op::Create,
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
        }
    }

    pub fn idempotent(self) -> bool {
        !matches!(self, Op::Create)
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
            Op::Create => client
                .create_token(Credentials::password("ops@example.com", PASSWORD))
                .otp(OTP)
                .send()
                .await
                .map(drop),
        };
        result.map_err(Arc::new)
    }
}
