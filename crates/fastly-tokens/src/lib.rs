//! A safe, ergonomic client for Fastly API tokens: list, inspect, create, audit and revoke.
//!
//! ```no_run
//! use fastly_tokens::{Client, Scope};
//!
//! # async fn run() -> Result<(), fastly_tokens::Error> {
//! // Reads FASTLY_API_TOKEN; a missing or empty value is a clear error.
//! let client = Client::from_env()?;
//!
//! let me = client.current_token().await?;
//! println!("authenticated as token {} ({})", me.name(), me.scopes());
//!
//! // Audit: tokens with full access to every service that expire within two weeks.
//! let now = fastly_tokens::chrono::Utc::now(); // chrono, re-exported
//! for token in client.list_tokens().await? {
//!     if token.scopes().is_global() && token.is_unrestricted() {
//!         println!("over-broad: {} {}", token.id(), token.name());
//!     }
//!     if token.expires_within(std::time::Duration::from_secs(14 * 86_400), now) {
//!         println!("expiring: {} at {:?}", token.name(), token.expires_at());
//!     }
//! }
//!
//! // Revoke unused read-only tokens in one bulk request per 100 ids.
//! let stale: Vec<_> = client
//!     .list_tokens()
//!     .await?
//!     .into_iter()
//!     .filter(|t| t.scopes().contains(&Scope::GlobalRead) && t.last_used_at().is_none())
//!     .map(|t| t.id().clone())
//!     .collect();
//! let report = client.revoke_tokens(&stale).await?;
//! println!("revoked {}, failed {}", report.revoked().count(), report.failed().count());
//! # Ok(()) }
//! ```
//!
//! # Operations
//!
//! | method | operation id | request |
//! |---|---|---|
//! | [`Client::current_token`] | `get_token_current` | `GET /tokens/self` |
//! | [`Client::list_tokens`] | `list_tokens_user` | `GET /tokens` |
//! | [`Client::list_customer_tokens`] | `list_tokens_customer` | `GET /customer/{customer_id}/tokens` |
//! | [`Client::get_token`] | `get_token` | `GET /tokens/{token_id}` |
//! | [`Client::revoke_token`] | `revoke_token` | `DELETE /tokens/{token_id}` |
//! | [`Client::revoke_current_token`] | `revoke_token_current` | `DELETE /tokens/self` |
//! | [`Client::revoke_tokens`] | `bulk_revoke_tokens` | `DELETE /tokens` (JSON:API bulk) |
//! | [`Client::create_token`] | `create_token` | `POST /tokens` (form, optional `Fastly-OTP`) |
//! | [`Client::list_automation_tokens`], [`Client::automation_tokens`] (a `Stream`), [`Client::automation_token_page`] | `list_automation_tokens` | `GET /automation-tokens?page=&per_page=` |
//! | [`Client::get_automation_token`] | `get_automation_token` | `GET /automation-tokens/{id}` |
//! | [`Client::automation_token_services`] | `list_automation_token_services` | `GET /automation-tokens/{id}/services` |
//! | [`Client::create_automation_token`] | `create_automation_token` | `POST /automation-tokens` (JSON; after `POST /sudo` when needed) |
//! | [`Client::enter_sudo`] | `enter_sudo` | `POST /sudo` (form) |
//! | [`Client::revoke_automation_token`], [`Client::revoke_automation_tokens`] | `revoke_token`, `bulk_revoke_tokens` | `DELETE /tokens/{id}`, `DELETE /tokens` |
//!
//! Automation tokens are created only by superusers, from a user token in sudo mode, and not
//! on accounts with forced SSO or two-factor authentication (Fastly's rule).
//!
//! # What it guarantees
//!
//! * **Ids are validated before sending**: [`TokenId`] and friends accept only ASCII letters and
//!   digits and refuse `self`, so no call can reach another route by accident.
//! * **No implicit privilege**: [`CreateTokenBuilder::scopes`] is required (Fastly would
//!   default to `global`), and every scope is checked before sending: one printable word
//!   each, so [`Scope::Other`]`("purge_select global")` is refused rather than sent as two
//!   scopes.
//! * **Decoding follows the real API**: multi-scope and unknown-scope tokens, `null`s, unknown
//!   fields and the three timestamp formats Fastly uses all decode.
//! * **Nothing the server did is lost**: any 2xx answer to a revoke is
//!   [`RevokeOutcome::Revoked`] (Fastly answers 204; the body of another 2xx is not read).
//!   Any 2xx answer to a create whose body holds an `access_token` returns the secret: as a
//!   [`CreatedToken`], or, when the rest does not decode, in [`Error::CreatedUndecoded`] with
//!   the token id. Reads accept only 200. A create that times out or breaks after sending says
//!   the token may exist.
//! * **Errors** are one [`Error`] with predicates ([`Error::is_not_found`],
//!   [`Error::is_rate_limited`], ...) naming the method that failed; nothing panics on bad
//!   input from the caller or the server. They quote Fastly's `msg`, `detail` and `code` (with
//!   the key, password and OTP of the call redacted, should a server reflect them), the
//!   status, and for an undecodable body the JSON path and kind of failure and its length,
//!   never the body's bytes. Rejected input is described, not repeated: no user info or query
//!   of a URL, at most 8 characters of an id.
//! * **Retries** only for idempotent calls, with backoff and jitter ([`RetryPolicy`]); a 429 is
//!   returned with its reset time rather than retried blindly. Creates are never retried.
//! * **Bounded calls**: 10 s to connect ([`DEFAULT_CONNECT_TIMEOUT`]), 30 s per attempt
//!   ([`DEFAULT_ATTEMPT_TIMEOUT`]), and 60 s for a whole call, retries and backoff included
//!   ([`DEFAULT_OPERATION_TIMEOUT`]); [`TransportError::timeout`] says which limit was hit.
//!   Response bodies are capped at 32 MiB.
//! * **Secrets** (API key, password, OTP, new access tokens) are [`secrecy::SecretString`]s:
//!   redacted in `Debug`, never in `Display`, logs or errors, zeroized on drop. `Fastly-Key` is a
//!   sensitive header and is never sent to another host on a redirect.
//! * **Transport**: https by default (rustls; `native-tls` feature available); plain http only
//!   for loopback addresses unless explicitly allowed.
//! * **Tracing** (the default `tracing` feature): one `fastly_tokens` span per call
//!   (operation, attempts, status, elapsed); its events carry errors' `Display`, so the same
//!   rules hold for logs. Without the feature nothing is logged and the code is not built.
//!
//! # Feature flags
//!
//! | feature | default | what it does |
//! |---|---|---|
//! | `rustls` | yes | TLS through rustls with the webpki roots |
//! | `native-tls` | no | TLS through the platform's library instead (turn `rustls` off with `default-features = false`) |
//! | `tracing` | yes | a `tracing` span per call and debug events (see above); off, the binary is smaller and nothing is logged |
//! | `schemars` | no | `schemars::JsonSchema` for the public models (the CLI's JSON schemas and the contract checks use it) |
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[macro_use]
mod trace;
mod answer;
mod automation;
mod builder;
mod client;
mod convert;
mod error;
mod http;
mod ids;
mod model;
mod op;
#[cfg(test)]
mod proptests;
mod ratelimit;
mod retry;
mod scope;
mod text;
mod tokens;

pub use automation::create::CreateAutomationTokenBuilder;
pub use automation::model::{AutomationToken, CreatedAutomationToken, Role};
pub use automation::{AUTOMATION_PAGE_SIZE, AutomationTokenPage, MAX_AUTOMATION_PAGES};
pub use builder::{
    ClientBuilder, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_BASE_URL, DEFAULT_BULK_CHUNK_SIZE,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_OPERATION_TIMEOUT, DEFAULT_PAGES_IN_FLIGHT,
    DEFAULT_REVOKES_IN_FLIGHT, ENDPOINT_ENV, TOKEN_ENV,
};
/// The `chrono` the models' times use, so callers need no `chrono` dependency of their own.
pub use chrono;
pub use client::Client;
pub use error::{
    ApiError, ConfigError, CreatedUndecoded, DecodeError, Error, InvalidInput, Timeout,
    TransportError, TransportKind,
};
/// The combinators of [`Client::automation_tokens`]' `Stream` (`next`, `filter`...), so
/// callers need no `futures` dependency of their own.
pub use futures_util::StreamExt;
pub use ids::{AutomationTokenId, CustomerId, ServiceId, TokenId, UserId};
pub use model::{BROWSER_SESSION_NAME, CreatedToken, RevokeOutcome, Token};
pub use op::Operation;
pub use ratelimit::RateLimit;
pub use reqwest;
pub use retry::RetryPolicy;
pub use scope::{IntoScopes, Scope, ScopeIter, ScopeSet};
pub use secrecy;
pub use tokens::bulk::{BulkRevokeReport, RevokeStatus};
pub use tokens::create::{CreateTokenBuilder, Credentials};

#[doc = include_str!("../docs/fault-matrix.md")]
pub mod fault_matrix {}

// The crate README's example is compiled as a doctest so it cannot rot (the repository's
// README is checked by the unpublished `xtask/readme` crate: it is not in this package).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
