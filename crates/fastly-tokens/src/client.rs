//! [`Client`], its builder, the retry policy, and the calls that need no builder of their own.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument as _;

use crate::bulk::BulkRevokeReport;
use crate::convert::{self, RawError};
use crate::create::{CreateTokenBuilder, Credentials};
use crate::error::{Auth, Timeout, TransportError, TransportKind};
use crate::error::{Error, InvalidInput};
use crate::ids::{CustomerId, TokenId};
use crate::model::Token;
use crate::ratelimit::RateLimit;

/// Fastly's API endpoint.
pub const DEFAULT_BASE_URL: &str = "https://api.fastly.com";
/// Default limit for one attempt (one HTTP request), from connecting to the last byte of the
/// body.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default limit for a whole call: every attempt, backoff and rate-limit wait included. A
/// server that accepts connections and never answers ends a call after this long.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(60);
/// Default limit for establishing a connection (TCP and TLS).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default number of ids per bulk revoke request.
pub const DEFAULT_BULK_CHUNK_SIZE: usize = 100;
/// Environment variable read by [`Client::from_env`].
pub const TOKEN_ENV: &str = "FASTLY_API_TOKEN";

/// When and how calls are retried.
///
/// Only idempotent calls (GET and DELETE) are retried, on connection failures, timeouts, 408,
/// 500, 502, 503 and 504, with exponential backoff and "equal jitter" (each delay is drawn
/// between half and all of the exponential value, so it never collapses to zero).
/// Retries stop when the client's [operation timeout](ClientBuilder::operation_timeout) is
/// reached. `create_token` is never
/// retried. A 429 is retried only when Fastly's `Fastly-RateLimit-Reset` is within
/// [`max_rate_limit_wait`](Self::max_rate_limit_wait) (default: zero, so a 429 is returned at
/// once, carrying the reset time): Fastly's window is hourly, so blind retries only waste time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    /// 2 retries (3 attempts), backoff from 200 ms doubling up to 5 s, no waiting on 429.
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_rate_limit_wait: Duration::ZERO,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }
    /// Retries after the first attempt (0 disables retries).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }
    /// Backoff before the first retry; it doubles each retry.
    pub fn initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }
    /// Upper bound of one backoff.
    pub fn max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }
    /// Longest wait for a rate-limit reset before retrying a 429 (idempotent calls only).
    pub fn max_rate_limit_wait(mut self, d: Duration) -> Self {
        self.max_rate_limit_wait = d;
        self
    }

    /// The delay before retry number `retry` (1-based), with equal jitter in [50%, 100%].
    fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)))
            .min(self.max_backoff);
        exp.mul_f64(rand::random_range(0.5..=1.0))
    }
}

/// Builds a [`Client`]. Obtain one with [`Client::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder {
    token: Option<SecretString>,
    token_from_env: bool,
    base_url: String,
    attempt_timeout: Duration,
    operation_timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
    retry: RetryPolicy,
    allow_insecure_http: bool,
    bulk_chunk_size: usize,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            token: None,
            token_from_env: false,
            base_url: DEFAULT_BASE_URL.to_string(),
            attempt_timeout: DEFAULT_ATTEMPT_TIMEOUT,
            operation_timeout: DEFAULT_OPERATION_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            user_agent: concat!("fastly-tokens/", env!("CARGO_PKG_VERSION")).to_string(),
            retry: RetryPolicy::default(),
            allow_insecure_http: false,
            bulk_chunk_size: DEFAULT_BULK_CHUNK_SIZE,
        }
    }
}

impl ClientBuilder {
    /// The API token sent as `Fastly-Key`. Without one, only
    /// [`create_token`](Client::create_token) with a password works.
    pub fn token(mut self, token: impl Into<SecretString>) -> Self {
        self.token = Some(token.into());
        self.token_from_env = false;
        self
    }
    /// Another endpoint, e.g. a fake server in tests. Must be `https://`, or `http://` on a
    /// loopback address (`127.0.0.1`, `::1`, `localhost`) unless
    /// [`allow_insecure_http`](Self::allow_insecure_http) is set.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }
    /// Limit for one attempt: connecting, sending, and reading the whole answer (default
    /// [`DEFAULT_ATTEMPT_TIMEOUT`]). A retry gets a fresh attempt limit.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }
    /// Limit for a whole call, retries, backoff and rate-limit waits included (default
    /// [`DEFAULT_OPERATION_TIMEOUT`]). When it elapses the call ends with
    /// [`Timeout::Operation`](crate::Timeout::Operation). Each request of
    /// [`revoke_tokens`](Client::revoke_tokens) is one call.
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = timeout;
        self
    }
    /// Limit for connecting (default [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }
    /// The `User-Agent` (default `fastly-tokens/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }
    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
    /// Accept a plain `http://` base URL on a non-loopback host. The API key then crosses the
    /// network unencrypted: only for trusted test networks.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }
    /// Ids per bulk revoke request (default [`DEFAULT_BULK_CHUNK_SIZE`], at least 1).
    pub fn bulk_chunk_size(mut self, size: usize) -> Self {
        self.bulk_chunk_size = size.max(1);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an empty or malformed token, a base URL that is not https
    /// (or loopback http), or a user agent that is not a valid header value.
    pub fn build(self) -> Result<Client, Error> {
        let base_url = checked_base_url(&self.base_url, self.allow_insecure_http)?;
        let key = match &self.token {
            None => None,
            Some(token) => Some(key_header(token)?),
        };
        let user_agent = HeaderValue::from_str(&self.user_agent)
            .map_err(|_| InvalidInput::new("user agent", "it is not a valid HTTP header value"))?;
        let config = HttpConfig {
            origin: base_url.clone(),
            user_agent,
            timeout: self.attempt_timeout,
            connect_timeout: self.connect_timeout,
        };
        let auth = if self.token_from_env {
            Auth::EnvToken
        } else {
            Auth::Token
        };
        let base = base_url.as_str().trim_end_matches('/').to_string();
        let keyed = match key {
            Some(key) => Some(fastly_tokens_raw::Client::new_with_client(
                &base,
                http_client(Some(key), &config)?,
            )),
            None => None,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                keyed,
                anonymous: std::sync::OnceLock::new(),
                http_config: config,
                operation_timeout: self.operation_timeout,
                key: self.token,
                auth,
                retry: self.retry,
                bulk_chunk_size: self.bulk_chunk_size,
                last_rate_limit: Mutex::new(None),
                base_url: base,
            }),
        })
    }
}

/// What building an HTTP client needs; kept to build the key-less one on first use.
#[derive(Debug)]
struct HttpConfig {
    origin: url::Url,
    user_agent: HeaderValue,
    timeout: Duration,
    connect_timeout: Duration,
}

fn http_client(
    key: Option<HeaderValue>,
    config: &HttpConfig,
) -> Result<reqwest::Client, InvalidInput> {
    let mut headers = HeaderMap::new();
    if let Some(key) = key {
        headers.insert("fastly-key", key);
    }
    reqwest::Client::builder()
        .default_headers(headers)
        .user_agent(config.user_agent.clone())
        .timeout(config.timeout)
        .connect_timeout(config.connect_timeout)
        .redirect(same_origin_redirects(config.origin.clone()))
        .build()
        .map_err(|e| {
            InvalidInput::new(
                "client configuration",
                format!("the HTTP client could not be built: {e}"),
            )
        })
}

fn key_header(token: &SecretString) -> Result<HeaderValue, Error> {
    let token = token.expose_secret();
    if token.trim().is_empty() {
        return Err(InvalidInput::new("API token", "it is empty").into());
    }
    // The message never includes the value: it is a secret.
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(InvalidInput::new(
            "API token",
            "it contains whitespace or non-ASCII characters (copy-paste residue?)",
        )
        .into());
    }
    let mut value = HeaderValue::from_str(token)
        .map_err(|_| InvalidInput::new("API token", "it is not a valid header value"))?;
    value.set_sensitive(true);
    Ok(value)
}

/// Checks a base URL. Messages show only its scheme, host, port and path (`shown`): a URL may
/// carry a secret in its user info or query, which is exactly what is refused here.
fn checked_base_url(raw: &str, allow_insecure_http: bool) -> Result<url::Url, Error> {
    let invalid = |why: String| Error::from(InvalidInput::new("base URL", why));
    let url = url::Url::parse(raw).map_err(|e| {
        invalid(format!(
            "it is not an absolute URL ({e}; {} characters)",
            raw.chars().count()
        ))
    })?;
    let shown = {
        let mut shown = url.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        shown.set_query(None);
        shown.set_fragment(None);
        crate::error::excerpt(shown.as_str(), 100)
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(format!(
            "{shown} (user info removed): a base URL carries no user name or password; the API \
             key is sent in a header"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(format!(
            "{shown} (query removed): a base URL has no query or fragment; the API key is sent \
             in a header"
        )));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if allow_insecure_http || is_loopback(&url) => Ok(url),
        "http" => Err(invalid(format!(
            "{shown}: plain http would send the API key unencrypted; use https or a loopback \
             address (or allow insecure http explicitly)"
        ))),
        other => Err(invalid(format!(
            "{shown}: unsupported scheme {}",
            crate::error::excerpt(other, 16)
        ))),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Follows redirects only within the base URL's origin, so `Fastly-Key` (a default header)
/// never reaches another host. reqwest strips only well-known auth headers on cross-host
/// redirects, not custom ones like `Fastly-Key`. A stopped redirect surfaces as an
/// [`Error::Api`] with the 3xx status.
fn same_origin_redirects(origin: url::Url) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        let same = attempt.url().scheme() == origin.scheme()
            && attempt.url().host_str() == origin.host_str()
            && attempt.url().port_or_known_default() == origin.port_or_known_default();
        if same && attempt.previous().len() < 5 {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// Whether a failed call may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// GET and DELETE: repeating them has no further effect.
    Idempotent,
    /// `create_token`: a repeat could create a second token.
    Never,
}

/// One operation of the spec, as the engine needs it: its id, whether it is retried, and how
/// to explain a success body that does not decode.
#[derive(Clone, Copy)]
pub(crate) struct Op {
    pub(crate) id: &'static str,
    pub(crate) retry: Retry,
    pub(crate) decode_reason: fn(&[u8]) -> String,
}

impl Op {
    const fn read(id: &'static str, decode_reason: fn(&[u8]) -> String) -> Self {
        Op {
            id,
            retry: Retry::Idempotent,
            decode_reason,
        }
    }
    pub(crate) const GET_TOKEN_CURRENT: Op = Op::read(
        "get_token_current",
        convert::decode_reason::<fastly_tokens_raw::types::TokenResponse>,
    );
    pub(crate) const GET_TOKEN: Op = Op::read(
        "get_token",
        convert::decode_reason::<fastly_tokens_raw::types::TokenResponse>,
    );
    pub(crate) const LIST_TOKENS_USER: Op = Op::read(
        "list_tokens_user",
        convert::decode_reason::<Vec<fastly_tokens_raw::types::TokenResponse>>,
    );
    pub(crate) const LIST_TOKENS_CUSTOMER: Op = Op::read(
        "list_tokens_customer",
        convert::decode_reason::<Vec<fastly_tokens_raw::types::TokenResponse>>,
    );
    // Revokes accept any 2xx without reading the body: nothing to decode.
    pub(crate) const REVOKE_TOKEN: Op = Op::read("revoke_token", convert::decode_reason::<()>);
    pub(crate) const REVOKE_TOKEN_CURRENT: Op =
        Op::read("revoke_token_current", convert::decode_reason::<()>);
    pub(crate) const BULK_REVOKE_TOKENS: Op =
        Op::read("bulk_revoke_tokens", convert::decode_reason::<()>);
    pub(crate) const CREATE_TOKEN: Op = Op {
        id: "create_token",
        retry: Retry::Never,
        decode_reason: convert::decode_reason::<fastly_tokens_raw::types::TokenCreatedResponse>,
    };
}

/// A client for Fastly's `/tokens` API.
///
/// Cheap to clone (an `Arc`), `Send + Sync`; every call takes `&self`, so one client serves
/// many concurrent tasks. See the [crate docs](crate) for an example.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    /// Sends `Fastly-Key`; `None` when the builder had no token.
    keyed: Option<fastly_tokens_raw::Client>,
    /// Sends no key: `create_token` with a password. Built on first use: each reqwest client
    /// loads the TLS root store (measured: ~20 M instructions), and most programs never create.
    anonymous: std::sync::OnceLock<Result<fastly_tokens_raw::Client, InvalidInput>>,
    http_config: HttpConfig,
    operation_timeout: Duration,
    /// The key, kept to scrub it from any server-provided text (an echoing server).
    key: Option<SecretString>,
    auth: Auth,
    retry: RetryPolicy,
    bulk_chunk_size: usize,
    last_rate_limit: Mutex<Option<RateLimit>>,
    base_url: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Hand-written: the key lives inside reqwest's default headers; show only safe facts.
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("has_token", &self.inner.keyed.is_some())
            .field("retry", &self.inner.retry)
            .field("attempt_timeout", &self.inner.http_config.timeout)
            .field("operation_timeout", &self.inner.operation_timeout)
            .finish_non_exhaustive()
    }
}

/// What [`Client::revoke_token`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum RevokeOutcome {
    /// The token was revoked now.
    Revoked,
    /// Fastly answered 404: the token does not exist, most likely already revoked.
    AlreadyGone,
}

impl Client {
    /// A client for `https://api.fastly.com` with default settings.
    ///
    /// ```
    /// let client = fastly_tokens::Client::new("my-api-token")?;
    /// # Ok::<(), fastly_tokens::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an empty token or one with whitespace.
    pub fn new(token: impl Into<SecretString>) -> Result<Self, Error> {
        Self::builder().token(token).build()
    }

    /// A client whose token comes from `FASTLY_API_TOKEN`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the variable is unset, empty or not valid UTF-8.
    pub fn from_env() -> Result<Self, Error> {
        match std::env::var(TOKEN_ENV) {
            Ok(token) if !token.trim().is_empty() => {
                let mut builder = Self::builder().token(token);
                builder.token_from_env = true;
                builder.build()
            }
            Ok(_) => Err(InvalidInput::new(
                "API token",
                format!("{TOKEN_ENV} is set but empty; set it to a Fastly API token"),
            )
            .into()),
            Err(std::env::VarError::NotPresent) => Err(InvalidInput::new(
                "API token",
                format!("{TOKEN_ENV} is not set; set it to a Fastly API token"),
            )
            .into()),
            Err(std::env::VarError::NotUnicode(_)) => Err(InvalidInput::new(
                "API token",
                format!("{TOKEN_ENV} is not valid UTF-8"),
            )
            .into()),
        }
    }

    /// A builder for every setting.
    ///
    /// ```
    /// use std::time::Duration;
    /// use fastly_tokens::{Client, RetryPolicy};
    /// let client = Client::builder()
    ///     .token("my-api-token")
    ///     .attempt_timeout(Duration::from_secs(10))
    ///     .operation_timeout(Duration::from_secs(30))
    ///     .retry(RetryPolicy::default().max_retries(4))
    ///     .build()?;
    /// # Ok::<(), fastly_tokens::Error>(())
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The rate-limit headers of the most recent response that carried them (only non-read
    /// requests do). Malformed headers are ignored.
    pub fn last_rate_limit(&self) -> Option<RateLimit> {
        *self
            .inner
            .last_rate_limit
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn keyed(&self) -> Result<&fastly_tokens_raw::Client, Error> {
        self.inner.keyed.as_ref().ok_or_else(|| {
            InvalidInput::new(
                "client configuration",
                "this client has no API token, and only a create with a user name and password \
                 works without one",
            )
            .into()
        })
    }

    pub(crate) fn anonymous(&self) -> Result<&fastly_tokens_raw::Client, Error> {
        self.inner
            .anonymous
            .get_or_init(|| {
                http_client(None, &self.inner.http_config).map(|http| {
                    fastly_tokens_raw::Client::new_with_client(&self.inner.base_url, http)
                })
            })
            .as_ref()
            .map_err(|e| Error::InvalidInput(e.clone()))
    }

    pub(crate) fn bulk_chunk_size(&self) -> usize {
        self.inner.bulk_chunk_size
    }

    fn record_rate_limit(&self, rate_limit: Option<RateLimit>) {
        if let Some(rl) = rate_limit {
            *self
                .inner
                .last_rate_limit
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(rl);
        }
    }

    /// How this client authenticates keyed calls (for error hints).
    pub(crate) fn auth(&self) -> Auth {
        self.inner.auth
    }

    fn limits(&self) -> convert::Limits {
        convert::Limits {
            connect: self.inner.http_config.connect_timeout,
            attempt: self.inner.http_config.timeout,
        }
    }

    /// Runs one operation with retries, rate-limit bookkeeping, the operation timeout and a
    /// tracing span. `extra_secrets` (a password, an OTP) are scrubbed from any
    /// server-provided text of the error, like the key.
    pub(crate) async fn run<T, F, Fut>(
        &self,
        op: Op,
        auth: Auth,
        extra_secrets: &[&str],
        mut call: F,
    ) -> Result<fastly_tokens_raw::ResponseValue<T>, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<fastly_tokens_raw::ResponseValue<T>, RawError>>,
    {
        let span = tracing::debug_span!(
            "fastly_tokens",
            operation = op.id,
            attempts = tracing::field::Empty,
            status = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let mut attempt: u32 = 0;
        let attempts = async {
            loop {
                attempt += 1;
                let result = call().await;
                let span = tracing::Span::current();
                span.record("attempts", attempt);
                span.record("elapsed_ms", started.elapsed().as_millis() as u64);
                let mut error = match result {
                    Ok(value) => {
                        self.record_rate_limit(RateLimit::from_headers(value.headers()));
                        span.record("status", value.status().as_u16());
                        tracing::debug!(attempt, status = value.status().as_u16(), "succeeded");
                        return Ok(value);
                    }
                    Err(raw) => convert::error(op, auth, raw, self.limits(), attempt).await,
                };
                self.scrub(&mut error, extra_secrets);
                self.record_rate_limit(error.rate_limit().copied());
                if let Some(status) = error.status() {
                    span.record("status", status);
                }
                match self.retry_delay(&error, op.retry, attempt) {
                    Some(delay) => {
                        tracing::debug!(attempt, ?delay, error = %error, "retrying");
                        tokio::time::sleep(delay).await;
                    }
                    None => {
                        tracing::debug!(attempt, error = %error, "failed");
                        return Err(error);
                    }
                }
            }
        };
        let limit = self.inner.operation_timeout;
        let result = tokio::time::timeout(limit, attempts.instrument(span.clone())).await;
        match result {
            Ok(done) => done,
            Err(_elapsed) => {
                let error = Error::Transport(TransportError {
                    operation: op.id,
                    kind: TransportKind::Timeout,
                    timeout: Some(Timeout::Operation(limit)),
                    attempts: attempt,
                    source: None,
                });
                span.in_scope(|| tracing::debug!(attempt, error = %error, "operation timeout"));
                Err(error)
            }
        }
    }

    /// Replaces any secret this call sent that a server reflected into its error text.
    fn scrub(&self, error: &mut Error, extra: &[&str]) {
        let key = self.inner.key.as_ref().map(|k| k.expose_secret());
        let plain: Vec<&str> = key
            .into_iter()
            .chain(extra.iter().copied())
            .filter(|s| s.len() >= 4)
            .collect();
        // A form body carries them percent-encoded; an echo of it would too.
        let encoded: Vec<String> = plain
            .iter()
            .map(|s| url::form_urlencoded::byte_serialize(s.as_bytes()).collect())
            .collect();
        let secrets: Vec<&str> = plain
            .iter()
            .copied()
            .chain(encoded.iter().map(String::as_str))
            .collect();
        error.scrub(&secrets);
    }

    fn retry_delay(&self, error: &Error, retry: Retry, attempt: u32) -> Option<Duration> {
        let policy = &self.inner.retry;
        if retry == Retry::Never || attempt > policy.max_retries {
            return None;
        }
        if error.is_rate_limited() {
            let reset = error.rate_limit().and_then(RateLimit::reset)?;
            let wait = (reset - chrono::Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO);
            return (wait <= policy.max_rate_limit_wait && !policy.max_rate_limit_wait.is_zero())
                .then_some(wait);
        }
        error.is_retryable().then(|| policy.backoff(attempt))
    }

    /// The token this client authenticates with (`GET /tokens/self`).
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), fastly_tokens::Error> {
    /// let me = client.current_token().await?;
    /// println!("{} ({}) expires {:?}", me.name(), me.scopes(), me.expires_at());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Api`] with 401 when the token is invalid; see [`Error`] for the rest.
    pub async fn current_token(&self) -> Result<Token, Error> {
        let op = Op::GET_TOKEN_CURRENT;
        let raw = self.keyed()?;
        let value = self
            .run(op, self.auth(), &[], || raw.get_token_current())
            .await?;
        convert::token(op.id, value.into_inner())
    }

    /// Every token of the authenticated user, browser sessions included (`GET /tokens`).
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), fastly_tokens::Error> {
    /// for token in client.list_tokens().await? {
    ///     println!("{:24} {:24} {}", token.id(), token.name(), token.scopes());
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn list_tokens(&self) -> Result<Vec<Token>, Error> {
        let op = Op::LIST_TOKENS_USER;
        let raw = self.keyed()?;
        let value = self
            .run(op, self.auth(), &[], || raw.list_tokens_user())
            .await?;
        value
            .into_inner()
            .into_iter()
            .map(|t| convert::token(op.id, t))
            .collect()
    }

    /// Every token of a customer (`GET /customer/{customer_id}/tokens`); needs the right role.
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let customer: fastly_tokens::CustomerId = "51MumwLiSJyFTWhtbByYgR".parse()?;
    /// let tokens = client.list_customer_tokens(&customer).await?;
    /// println!("{} tokens", tokens.len());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Api`] with 403 for another customer without superuser rights.
    pub async fn list_customer_tokens(&self, customer: &CustomerId) -> Result<Vec<Token>, Error> {
        let op = Op::LIST_TOKENS_CUSTOMER;
        let raw = self.keyed()?;
        let value = self
            .run(op, self.auth(), &[], || {
                raw.list_tokens_customer(customer.as_str())
            })
            .await?;
        value
            .into_inner()
            .into_iter()
            .map(|t| convert::token(op.id, t))
            .collect()
    }

    /// One token by id (`GET /tokens/{token_id}`).
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let id: fastly_tokens::TokenId = "3krg2uUGZzb2W9Euo4moOY".parse()?;
    /// match client.get_token(&id).await {
    ///     Ok(token) => println!("{} last used {:?}", token.name(), token.last_used_at()),
    ///     Err(e) if e.is_not_found() => println!("no such token"),
    ///     Err(e) => return Err(e.into()),
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Api`] with 404 ([`Error::is_not_found`]) for an unknown id.
    pub async fn get_token(&self, id: &TokenId) -> Result<Token, Error> {
        let op = Op::GET_TOKEN;
        let raw = self.keyed()?;
        let value = self
            .run(op, self.auth(), &[], || raw.get_token(id.as_str()))
            .await?;
        convert::token(op.id, value.into_inner())
    }

    /// Revokes one token (`DELETE /tokens/{token_id}`). A 404 is not an error but
    /// [`RevokeOutcome::AlreadyGone`]. The caller's own token cannot be named here
    /// ([`TokenId`] refuses `self`); use [`revoke_current_token`](Self::revoke_current_token).
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use fastly_tokens::RevokeOutcome;
    /// let id: fastly_tokens::TokenId = "3krg2uUGZzb2W9Euo4moOY".parse()?;
    /// match client.revoke_token(&id).await? {
    ///     RevokeOutcome::Revoked => println!("revoked"),
    ///     RevokeOutcome::AlreadyGone => println!("was already gone"),
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// See [`Error`]; 404 is reported as `Ok(AlreadyGone)`.
    pub async fn revoke_token(&self, id: &TokenId) -> Result<RevokeOutcome, Error> {
        let raw = self.keyed()?;
        let call = || async { convert::accept_revoked(raw.revoke_token(id.as_str()).await) };
        match self.run(Op::REVOKE_TOKEN, self.auth(), &[], call).await {
            Ok(_) => Ok(RevokeOutcome::Revoked),
            Err(e) if e.is_not_found() => Ok(RevokeOutcome::AlreadyGone),
            Err(e) => Err(e),
        }
    }

    /// Revokes the token this client authenticates with (`DELETE /tokens/self`). The client
    /// is unusable for keyed calls afterwards.
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), fastly_tokens::Error> {
    /// client.revoke_current_token().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn revoke_current_token(&self) -> Result<(), Error> {
        let raw = self.keyed()?;
        let call = || async { convert::accept_revoked(raw.revoke_token_current().await) };
        self.run(Op::REVOKE_TOKEN_CURRENT, self.auth(), &[], call)
            .await?;
        Ok(())
    }

    /// Revokes many tokens through the bulk endpoint (`DELETE /tokens`), in chunks of
    /// [`bulk_chunk_size`](ClientBuilder::bulk_chunk_size). Duplicate ids are revoked once.
    ///
    /// The report accounts for every distinct id exactly once, in input order: revoked, already
    /// gone, or failed with the reason. When a chunk is refused as a whole (400, 403, 404, 422),
    /// it is halved and each half retried, down to single revokes, to find out which ids
    /// failed. After a 401 or a 429 (once retries and any allowed wait are exhausted), the
    /// remaining ids are reported failed with that error without further requests.
    ///
    /// "Failed" means "not confirmed revoked": if an attempt's answer was lost (a dropped
    /// connection, a timeout) the server may have acted before a later attempt failed. Revoking
    /// failed ids again is always safe; ids that were in fact revoked come back as already gone.
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let ids: Vec<fastly_tokens::TokenId> = vec!["2j1hEyxXOEqYaSipeZHaW4".parse()?];
    /// let report = client.revoke_tokens(ids).await?;
    /// for (id, why) in report.failed() {
    ///     eprintln!("{id}: {why}");
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// Only when nothing could be attempted (the client has no token); every other failure is
    /// in the report.
    pub async fn revoke_tokens<I>(&self, ids: I) -> Result<BulkRevokeReport, Error>
    where
        I: IntoIterator,
        I::Item: std::borrow::Borrow<TokenId>,
    {
        self.keyed()?;
        Ok(crate::bulk::revoke(self, ids).await)
    }

    /// Starts creating a token (`POST /tokens`); finish with
    /// [`send`](CreateTokenBuilder::send). Never retried automatically.
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use fastly_tokens::{Credentials, Scope};
    /// use secrecy::ExposeSecret;
    /// let created = client
    ///     .create_token(Credentials::password("me@example.com", "my password"))
    ///     .name("ci-purge")
    ///     .scopes([Scope::PurgeSelect])
    ///     .services(["4aXkQ2mXbV1yQp0tR9sT7e".parse()?])
    ///     .expires_at(chrono::Utc::now() + chrono::Duration::days(90))
    ///     .otp("123456")
    ///     .send()
    ///     .await?;
    /// store_somewhere_safe(created.access_token().expose_secret());
    /// # Ok(()) }
    /// # fn store_somewhere_safe(_: &str) {}
    /// ```
    pub fn create_token(&self, credentials: Credentials) -> CreateTokenBuilder<'_> {
        CreateTokenBuilder::new(self, credentials)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_send_sync_clone() {
        fn assert_traits<T: Send + Sync + Clone + 'static>() {}
        assert_traits::<Client>();
    }

    #[test]
    fn base_url_rules() {
        for ok in [
            "https://api.fastly.com",
            "https://api.fastly.com/",
            "http://127.0.0.1:8080",
            "http://[::1]:1",
            "http://localhost:3000/prefix",
        ] {
            assert!(checked_base_url(ok, false).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.fastly.com",
            "ftp://x",
            "not a url",
            "https://h/?q=1",
            "https://u@h",
        ] {
            let err = checked_base_url(bad, false).expect_err(bad);
            assert!(err.is_invalid_input(), "{err}");
        }
        assert!(checked_base_url("http://10.0.0.1", true).is_ok());
    }

    #[test]
    fn bad_tokens_are_refused_without_echoing_them() {
        for bad in [
            "",
            "   ",
            "has space-secret",
            "tab\tsecret",
            "ünïcode-secret",
        ] {
            let err = Client::new(bad).expect_err(bad);
            assert!(err.is_invalid_input());
            assert!(!err.to_string().contains("secret"), "{err}");
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(300));
        for _ in 0..100 {
            let first = policy.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = policy.backoff(3);
            assert!(third >= Duration::from_millis(150) && third <= Duration::from_millis(300));
        }
    }

    #[test]
    fn debug_shows_no_token() {
        let client = Client::new("super-secret-key-value").expect("valid");
        let shown = format!("{client:?}");
        assert!(!shown.contains("super-secret-key-value"), "{shown}");
        assert!(shown.contains("has_token: true"));
    }
}
