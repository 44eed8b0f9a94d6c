//! A stateful, in-memory fake of Fastly's Tokens API, served over real HTTP/1.1 on loopback.
//!
//! It behaves like api.fastly.com for the eight `/tokens` operations: keys resolve to tokens
//! (stored only as hashes), expired or revoked keys get 401, read-only tokens get 403 on writes,
//! users see only their own tokens, 2FA users must send `Fastly-OTP`, non-read requests carry
//! `Fastly-RateLimit-*` headers from an hourly budget and get 429 once it is spent. Tests can move
//! its clock and inject faults.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let fake = fastly_tokens_fake::start().await?;
//! let alice = fake.seed().user("alice");
//! println!("GET {}/tokens/self with Fastly-Key: {}", fake.base_url(), alice.key);
//! fake.advance(std::time::Duration::from_secs(3600)); // the rate-limit window resets
//! fake.inject(fastly_tokens_fake::Fault::Status(503), 2); // the next two requests fail
//! # Ok(()) }
//! ```
//!
//! # Control API (for tests in any language)
//!
//! The same controls are served over HTTP under `/__fake/`, outside the fake Fastly (no
//! faults apply to them, and they are not in the request log). With the binary
//! (`fastly-tokens-fake --seed-json`, which prints `{"base_url", "seed"}` as its first line):
//!
//! ```text
//! curl -s $URL/__fake/seed                                   # users, keys, token ids (JSON)
//! curl -s -X POST $URL/__fake/faults -d '{"status":503,"times":2}'
//! curl -s -X POST $URL/__fake/faults -d '{"method":"DELETE","path_prefix":"/tokens/","drop_connection":true}'
//! curl -s -X POST $URL/__fake/faults -d '{"latency_ms":1500}'
//! curl -s -X DELETE $URL/__fake/faults                       # clear every fault
//! curl -s -X POST $URL/__fake/clock -d '{"advance_seconds":3600}'   # answers {"now": ...}
//! curl -s $URL/__fake/requests                               # [{"method","path","content_type","status"}]
//! curl -s -X DELETE $URL/__fake/requests
//! curl -s -X POST $URL/__fake/rate-limits/reset
//! ```
#![deny(missing_docs)]

// The crate README's example is compiled as a doctest so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod automation;
mod control;
mod faults;
mod http;
mod reply;
mod seed;
mod shared;
mod state;
mod tokens;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State as AxumState;
use chrono::{DateTime, Utc};

pub use automation::{DEFAULT_PER_PAGE, MAX_PER_PAGE};
pub use faults::Fault;
pub use seed::{Seed, SeedToken, SeedUser};
pub use shared::RecordedRequest;
use shared::{Shared, SharedState, lock};
use state::{State, StoredToken};

/// Default hourly budget of non-read requests per user, as on Fastly.
pub const DEFAULT_HOURLY_LIMIT: u32 = 1000;

/// Options for [`FakeFastly`]; see [`FakeFastly::builder`].
#[derive(Debug, Clone)]
pub struct FakeBuilder {
    addr: SocketAddr,
    hourly_limit: u32,
    now: Option<DateTime<Utc>>,
}

impl FakeBuilder {
    /// Address to listen on (default `127.0.0.1:0`, a free port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }
    /// Non-read requests per user per hour (default 1000).
    pub fn hourly_limit(mut self, n: u32) -> Self {
        self.hourly_limit = n;
        self
    }
    /// Freeze the clock at this time (default: the real clock). [`FakeFastly::advance`] still
    /// moves it.
    pub fn now(mut self, now: DateTime<Utc>) -> Self {
        self.now = Some(now);
        self
    }

    /// Seeds the data, binds and starts serving on the current tokio runtime.
    ///
    /// # Errors
    ///
    /// When the address cannot be bound.
    pub async fn start(self) -> std::io::Result<FakeFastly> {
        let mut state = State::new(self.hourly_limit);
        state.fixed_now = self.now;
        let seed = seed::seed(&mut state);
        let shared = Arc::new(Shared {
            seed_json: serde_json::to_value(&seed).unwrap_or_default(),
            state: Mutex::new(state),
            faults: Mutex::new(faults::Faults::default()),
            requests: Mutex::new(Vec::new()),
        });
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let app = axum::Router::new()
            .fallback(
                |AxumState(shared): AxumState<SharedState>,
                 method: axum::http::Method,
                 uri: axum::http::Uri,
                 headers: axum::http::HeaderMap,
                 body: axum::body::Bytes| async move {
                    http::handle(shared, method, uri, headers, body).await
                },
            )
            .with_state(shared.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(FakeFastly {
            base_url: format!("http://{addr}"),
            addr,
            seed,
            shared,
            _stop: stop,
        })
    }
}

/// A running fake. Dropping it stops the server.
#[derive(Debug)]
pub struct FakeFastly {
    base_url: String,
    addr: SocketAddr,
    seed: Seed,
    shared: Arc<Shared>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Starts a fake with the default options on `127.0.0.1:0`.
///
/// # Errors
///
/// When no loopback port can be bound.
pub async fn start() -> std::io::Result<FakeFastly> {
    FakeFastly::builder().start().await
}

impl FakeFastly {
    /// Options.
    pub fn builder() -> FakeBuilder {
        FakeBuilder {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            hourly_limit: DEFAULT_HOURLY_LIMIT,
            now: None,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The seeded users, tokens and keys.
    pub fn seed(&self) -> &Seed {
        &self.seed
    }

    /// The fake's current time.
    pub fn now(&self) -> DateTime<Utc> {
        lock(&self.shared.state).now()
    }

    /// Moves the clock forward (expires tokens, reaches the rate-limit reset).
    pub fn advance(&self, by: Duration) {
        let by = chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
        let mut state = lock(&self.shared.state);
        state.clock_offset += by;
    }

    /// Queues `fault` for the next `times` requests.
    pub fn inject(&self, fault: Fault, times: usize) {
        lock(&self.shared.faults).push(fault, times);
    }

    /// Applies `fault` to the next `times` requests with this method whose path starts with
    /// `path_prefix` (e.g. `"DELETE", "/tokens/"`), before any queued fault.
    pub fn inject_matching(&self, method: &str, path_prefix: &str, fault: Fault, times: usize) {
        lock(&self.shared.faults).push_matching(method, path_prefix, 0, fault, times);
    }

    /// Like [`inject_matching`](Self::inject_matching), but lets the first `skip` matching
    /// requests through: e.g. the second `GET /tokens/self` of a command, where the first
    /// one checked the caller's own token.
    pub fn inject_matching_after(
        &self,
        method: &str,
        path_prefix: &str,
        skip: usize,
        fault: Fault,
        times: usize,
    ) {
        lock(&self.shared.faults).push_matching(method, path_prefix, skip, fault, times);
    }

    /// After the queue is empty, apply one of `faults` to each request with `probability`.
    pub fn inject_random(&self, probability: f64, faults: Vec<Fault>) {
        lock(&self.shared.faults).set_random(probability, faults);
    }

    /// Removes every queued and random fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
    }

    /// Refills every user's hourly budget.
    pub fn reset_rate_limits(&self) {
        lock(&self.shared.state).reset_budgets();
    }

    /// Creates `count` `global` tokens for a seeded user directly (no request, no budget
    /// spent); returns their ids.
    pub fn add_tokens(&self, handle: &str, count: usize) -> Vec<String> {
        let user_id = self.seed.user(handle).id.clone();
        let mut state = lock(&self.shared.state);
        let Some(user) = state.user(&user_id).cloned() else {
            return Vec::new();
        };
        let now = state.now();
        (0..count)
            .map(|i| {
                let key = state::new_access_token();
                state
                    .insert(StoredToken::new(
                        &user,
                        &key,
                        &format!("bulk-{i}"),
                        "global",
                        Vec::new(),
                        now,
                        None,
                    ))
                    .id
                    .clone()
            })
            .collect()
    }

    /// Adds `count` automation tokens created by root (named `automation-<n>`, scope
    /// `global:read`), for tests that need many; returns their ids in creation order.
    pub fn add_automation_tokens(&self, count: usize) -> Vec<String> {
        let root_id = self.seed.user("root").id.clone();
        let mut state = lock(&self.shared.state);
        let Some(root) = state.user(&root_id).cloned() else {
            return Vec::new();
        };
        let now = state.now();
        (0..count)
            .map(|i| {
                let key = state::new_access_token();
                let mut token = StoredToken::new(
                    &root,
                    &key,
                    &format!("automation-{i}"),
                    "global:read",
                    Vec::new(),
                    now,
                    None,
                );
                token.automation = Some(state::Automation {
                    role: "engineer".to_string(),
                    tls_access: false,
                });
                state.insert(token).id.clone()
            })
            .collect()
    }

    /// Whether the token with this id exists and is not revoked.
    pub fn is_live(&self, token_id: &str) -> bool {
        lock(&self.shared.state)
            .tokens
            .get(token_id)
            .is_some_and(|t| !t.revoked)
    }

    /// Number of live (not revoked) tokens.
    pub fn live_tokens(&self) -> usize {
        lock(&self.shared.state)
            .tokens
            .values()
            .filter(|t| !t.revoked)
            .count()
    }
}
