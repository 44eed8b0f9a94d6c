//! [`ClientBuilder`]: every setting, and the transport-safety checks applied when building
//! (https or loopback only, no credentials in the base URL, a sensitive `Fastly-Key` that
//! never follows a redirect to another host).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::HeaderValue;
use secrecy::SecretString;

use crate::client::{Client, Inner};
use crate::error::{Error, InvalidInput};
use crate::http::{Auth, HttpConfig, HttpHook, http_client, is_loopback, key_header};
use crate::retry::RetryPolicy;

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
/// Default number of automation-token pages fetched at a time once the first page has said
/// how many there are: 50 pages take 1 + 7 round trips instead of 50.
pub const DEFAULT_PAGES_IN_FLIGHT: usize = 8;

/// Bulk revoke chunks sent at a time by default (see [`ClientBuilder::revokes_in_flight`]).
pub const DEFAULT_REVOKES_IN_FLIGHT: usize = 8;
/// Environment variable read by [`Client::from_env`].
pub const TOKEN_ENV: &str = "FASTLY_API_TOKEN";
/// Environment variable [`Client::from_env`] reads for another endpoint (as the Fastly CLI
/// does); unset or empty means [`DEFAULT_BASE_URL`].
pub const ENDPOINT_ENV: &str = "FASTLY_API_ENDPOINT";

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
    pages_in_flight: usize,
    revokes_in_flight: usize,
    http_hook: Option<HttpHook>,
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
            pages_in_flight: DEFAULT_PAGES_IN_FLIGHT,
            revokes_in_flight: DEFAULT_REVOKES_IN_FLIGHT,
            http_hook: None,
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
    /// Configures the underlying HTTP client: proxies, extra root certificates, a client
    /// identity, pool settings, a local address. The function receives reqwest's builder,
    /// [`reqwest::ClientBuilder`] (re-exported as [`crate::reqwest`], so the versions match),
    /// and returns it.
    ///
    /// It is `Fn`, not `FnOnce`, because it may run twice: for the HTTP client that sends the
    /// API key, built by [`build`](Self::build), and for the one without a key that a create
    /// with a user name and password uses, built on first use. A value it captures (a
    /// `reqwest::Proxy`, a certificate) is therefore cloned inside it.
    ///
    /// **Proxies.** Without this, reqwest's rules apply: `HTTPS_PROXY`, `HTTP_PROXY`,
    /// `ALL_PROXY` and `NO_PROXY` from the environment. A loopback base URL (`127.0.0.1`, `::1`,
    /// `localhost`: the fake, a local tunnel) never goes through an environment proxy; a proxy
    /// set here applies to it too. `http.no_proxy()` here turns environment proxies off for
    /// every base URL.
    ///
    /// It runs first. The client then applies, over whatever it set, what its guarantees rest
    /// on: the redirect policy that keeps `Fastly-Key` on the base URL's origin, the key as a
    /// sensitive default header (default headers set here are replaced), the user agent and
    /// the timeouts. So a proxy or a certificate can be added, but the key cannot be made to
    /// follow a redirect to another host.
    ///
    /// ```
    /// let client = fastly_tokens::Client::builder()
    ///     .token("my-api-token")
    ///     .configure_http(|http: fastly_tokens::reqwest::ClientBuilder| {
    ///         http.proxy(fastly_tokens::reqwest::Proxy::all("http://proxy.internal:3128").expect("proxy URL"))
    ///             .pool_max_idle_per_host(4)
    ///     })
    ///     .build()?;
    /// # Ok::<(), fastly_tokens::Error>(())
    /// ```
    pub fn configure_http<F>(mut self, configure: F) -> Self
    where
        F: Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync + 'static,
    {
        self.http_hook = Some(HttpHook(std::sync::Arc::new(configure)));
        self
    }

    /// Ids per bulk revoke request (default [`DEFAULT_BULK_CHUNK_SIZE`], at least 1).
    pub fn bulk_chunk_size(mut self, size: usize) -> Self {
        self.bulk_chunk_size = size.max(1);
        self
    }

    /// Automation-token pages requested at a time by
    /// [`automation_tokens`](crate::Client::automation_tokens) once the first page has given
    /// `meta.total_pages` (default [`DEFAULT_PAGES_IN_FLIGHT`], at least 1; 1 is one page after
    /// another). Tokens still arrive in page order, each once, and each page keeps its own
    /// retries and timeout. After an error, or a page that says it is the last, the pages
    /// already requested (at most this many minus one) are dropped unread.
    pub fn pages_in_flight(mut self, pages: usize) -> Self {
        self.pages_in_flight = pages.max(1);
        self
    }

    /// Bulk revoke chunks ([`revoke_tokens`](crate::Client::revoke_tokens),
    /// [`revoke_automation_tokens`](crate::Client::revoke_automation_tokens)) sent at a time
    /// (default [`DEFAULT_REVOKES_IN_FLIGHT`], at least 1; 1 is one chunk after another).
    ///
    /// The first chunk goes alone; after it, more go out side by side only while the hourly
    /// budget of non-read requests the answers reported (`Fastly-RateLimit-Remaining`, the
    /// least seen in the current window) exceeds the chunks in flight, so the end of a budget
    /// is met one chunk at a time, with one 429, as before. A 401 or 429 starts no more chunks,
    /// and no more lookups. Limits of this: answers without the headers set no limit (up to
    /// this many in flight); a chunk refused as a whole is split one request after another,
    /// and those further requests are not counted ahead, so near the end of a budget, refused
    /// chunks side by side can meet the 429 a few requests sooner than one at a time would.
    pub fn revokes_in_flight(mut self, chunks: usize) -> Self {
        self.revokes_in_flight = chunks.max(1);
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
            hook: self.http_hook.clone(),
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
                pages_in_flight: self.pages_in_flight,
                revokes_in_flight: self.revokes_in_flight,
                last_rate_limit: Mutex::new(None),
                sudo_until: Mutex::new(None),
                base_url: base,
            }),
        })
    }
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
        crate::text::excerpt(shown.as_str(), 100)
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
            crate::text::excerpt(other, 16)
        ))),
    }
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

    /// A client whose token comes from `FASTLY_API_TOKEN`, and whose endpoint comes from
    /// `FASTLY_API_ENDPOINT` when that is set (the Fastly CLI's variables).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the token variable is unset, empty or not valid UTF-8, or
    /// the endpoint is not an acceptable base URL.
    pub fn from_env() -> Result<Self, Error> {
        match std::env::var(TOKEN_ENV) {
            Ok(token) if !token.trim().is_empty() => {
                let mut builder = Self::builder().token(token);
                builder.token_from_env = true;
                // The Fastly CLI's variable for another endpoint.
                if let Ok(endpoint) = std::env::var(ENDPOINT_ENV)
                    && !endpoint.trim().is_empty()
                {
                    builder = builder.base_url(endpoint.trim());
                }
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
