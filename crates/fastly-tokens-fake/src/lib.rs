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
#![deny(missing_docs)]

mod faults;
mod http;
mod state;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State as AxumState;
use chrono::{DateTime, Utc};

pub use faults::Fault;
pub use http::RecordedRequest;
use http::Shared;
pub use state::User;
use state::{State, StoredToken};

/// Default hourly budget of non-read requests per user, as on Fastly.
pub const DEFAULT_HOURLY_LIMIT: u32 = 1000;

/// A seeded user and the tokens created for them.
#[derive(Debug, Clone)]
pub struct SeedUser {
    /// Short name used to look the user up (`alice`, `bob`, `root`).
    pub handle: &'static str,
    /// User id.
    pub id: String,
    /// Login (email).
    pub login: String,
    /// Password.
    pub password: String,
    /// The OTP this user must send, if 2FA is on.
    pub otp: Option<String>,
    /// The key of the user's main `global` token.
    pub key: String,
    /// The user's seeded tokens.
    pub tokens: Vec<SeedToken>,
}

/// A seeded token.
#[derive(Debug, Clone)]
pub struct SeedToken {
    /// Token id.
    pub id: String,
    /// Token name.
    pub name: String,
    /// Its key (the access token), for using it.
    pub key: String,
}

/// What the fake starts with.
#[derive(Debug, Clone)]
pub struct Seed {
    /// The demo customer every seeded user belongs to.
    pub customer_id: String,
    /// Service ids tokens can be limited to.
    pub services: Vec<String>,
    /// alice (admin, 2FA), bob (plain user), root (superuser).
    pub users: Vec<SeedUser>,
}

impl Seed {
    /// A seeded user by handle.
    ///
    /// # Panics
    ///
    /// If there is no such handle: a test-setup mistake.
    pub fn user(&self, handle: &str) -> &SeedUser {
        self.users
            .iter()
            .find(|u| u.handle == handle)
            .unwrap_or_else(|| panic!("no seeded user {handle:?}; have alice, bob, root"))
    }

    /// A seeded token by name, across users.
    ///
    /// # Panics
    ///
    /// If there is no such token: a test-setup mistake.
    pub fn token(&self, name: &str) -> &SeedToken {
        self.users
            .iter()
            .flat_map(|u| &u.tokens)
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("no seeded token {name:?}"))
    }
}

/// Options for [`FakeFastly`]; see [`FakeFastly::builder`].
#[derive(Debug, Clone)]
pub struct Builder {
    addr: SocketAddr,
    hourly_limit: u32,
    now: Option<DateTime<Utc>>,
}

impl Builder {
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
        let seed = seed(&mut state);
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            faults: Mutex::new(faults::Faults::default()),
            requests: Mutex::new(Vec::new()),
        });
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let app = axum::Router::new()
            .fallback(
                |AxumState(shared): AxumState<http::SharedState>,
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

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shared { .. }")
    }
}

/// Starts a fake with the default options on `127.0.0.1:0`.
///
/// # Errors
///
/// When no loopback port can be bound.
pub async fn start() -> std::io::Result<FakeFastly> {
    FakeFastly::builder().start().await
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl FakeFastly {
    /// Options.
    pub fn builder() -> Builder {
        Builder {
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
        lock(&self.shared.faults).push_matching(method, path_prefix, fault, times);
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

fn seed(state: &mut State) -> Seed {
    let now = state.now();
    let day = chrono::Duration::days(1);
    let customer_id = "5eEdCustomer0000000001".to_string();
    let services = vec![
        "5eEdService00000000001".to_string(),
        "5eEdService00000000002".to_string(),
    ];
    let users = [
        (
            "alice",
            "5eEdUserA1ice000000001",
            "alice@example.com",
            Some("123456"),
            true,
            false,
        ),
        (
            "bob",
            "5eEdUserB0b00000000002",
            "bob@example.com",
            None,
            false,
            false,
        ),
        (
            "root",
            "5eEdUserR00t0000000003",
            "root@example.com",
            None,
            false,
            true,
        ),
    ];
    let mut seeded = Vec::new();
    for (handle, id, login, otp, is_admin, is_superuser) in users {
        let user = User {
            id: id.to_string(),
            customer_id: customer_id.clone(),
            login: login.to_string(),
            password: format!("{handle}-demo-password"),
            otp: otp.map(str::to_string),
            is_admin,
            is_superuser,
        };
        state.users.push(user.clone());
        seeded.push(SeedUser {
            handle,
            id: user.id.clone(),
            login: user.login.clone(),
            password: user.password.clone(),
            otp: user.otp.clone(),
            key: String::new(),
            tokens: Vec::new(),
        });
    }
    // (owner, name, scope, services, created days ago, expires in days, last used days ago)
    type Row = (
        usize,
        &'static str,
        &'static str,
        &'static [usize],
        i64,
        Option<i64>,
        Option<i64>,
    );
    let rows: [Row; 8] = [
        (0, "alice-global", "global", &[], 200, None, Some(0)),
        (
            0,
            "manage.fastly.com browser session",
            "global",
            &[],
            1,
            None,
            Some(0),
        ),
        (0, "dashboards", "global:read", &[0], 30, Some(60), None),
        (
            0,
            "ci-purge",
            "purge_select global:read",
            &[0, 1],
            300,
            Some(10),
            Some(120),
        ),
        (0, "old-deploy", "global", &[1], 400, Some(-5), Some(40)),
        (1, "bob-global", "global", &[], 50, None, Some(2)),
        (1, "bob-purge", "purge_all", &[0], 20, Some(200), Some(1)),
        (2, "root-global", "global", &[], 900, None, Some(0)),
    ];
    for (i, (owner, name, scope, svc, created, expires, used)) in rows.into_iter().enumerate() {
        let user = state.users[owner].clone();
        let key = format!(
            "fake-{}-key-{i:02}-{}",
            seeded[owner].handle,
            "x".repeat(12)
        );
        let mut token = StoredToken::new(
            &user,
            &key,
            name,
            scope,
            svc.iter().map(|&s| services[s].clone()).collect(),
            now - day * created as i32,
            expires.map(|d| now + day * d as i32),
        );
        // Deterministic ids make demo output and snapshots stable.
        let id = format!("5eEdTok{:02}{}", i, "0".repeat(13));
        token.id = id.clone();
        if let Some(days) = used {
            token.last_used_at = Some(now - day * days as i32);
            token.ip = Some("203.0.113.10".to_string());
            token.user_agent = Some("fastly-tokens-demo".to_string());
        }
        if name.starts_with("manage.fastly.com") {
            token.sudo_expires_at = Some(now + chrono::Duration::minutes(5));
        }
        state.insert(token);
        if seeded[owner].key.is_empty() {
            seeded[owner].key = key.clone();
        }
        seeded[owner].tokens.push(SeedToken {
            id,
            name: name.to_string(),
            key,
        });
    }
    Seed {
        customer_id,
        services,
        users: seeded,
    }
}
