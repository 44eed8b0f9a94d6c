//! How requests are sent and authenticated: the settings an HTTP client is built from, the one
//! place it is built (the guarantees: timeouts, same-origin redirects, no environment proxy for
//! loopback, `Fastly-Key` as a sensitive header), and how the caller authenticates.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::error::input::{ConfigError, InvalidInput};

/// How the client that made a call authenticates: decides which hint an error gives, so that
/// a hint never names a variable or setter the caller did not use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// `Fastly-Key` from [`TOKEN_ENV`](crate::TOKEN_ENV).
    EnvToken,
    /// `Fastly-Key` given to the builder.
    Token,
    /// A user name and password (create only).
    Password,
}

/// The caller's configuration of the underlying `reqwest::ClientBuilder`
/// ([`ClientBuilder::configure_http`](crate::ClientBuilder::configure_http)).
#[derive(Clone)]
pub(crate) struct HttpHook(pub(crate) Arc<Configure>);

type Configure = dyn Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync;

impl std::fmt::Debug for HttpHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpHook(..)")
    }
}

/// What building an HTTP client needs; kept to build the key-less one on first use.
#[derive(Debug)]
pub(crate) struct HttpConfig {
    pub(crate) origin: url::Url,
    pub(crate) user_agent: HeaderValue,
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) hook: Option<HttpHook>,
}

pub(crate) fn http_client(
    key: Option<HeaderValue>,
    config: &HttpConfig,
) -> Result<reqwest::Client, ConfigError> {
    let mut headers = HeaderMap::new();
    if let Some(key) = key {
        headers.insert("fastly-key", key);
    }
    let mut builder = reqwest::Client::builder();
    if is_loopback(&config.origin) {
        // A fake or a local proxy on this machine is never reached through a proxy named by
        // the environment (HTTP_PROXY on a CI runner), as Go's net/http does; a proxy the
        // caller sets in `configure_http` still applies.
        builder = builder.no_proxy();
    }
    if let Some(hook) = &config.hook {
        builder = (hook.0)(builder);
    }
    // Applied last, over the caller's configuration: what the guarantees rest on.
    builder
        .default_headers(headers)
        .user_agent(config.user_agent.clone())
        .timeout(config.timeout)
        .connect_timeout(config.connect_timeout)
        .redirect(same_origin_redirects(config.origin.clone()))
        .build()
        .map_err(|e| ConfigError::new(format!("the HTTP client could not be built: {e}")))
}

pub(crate) fn key_header(token: &SecretString) -> Result<HeaderValue, InvalidInput> {
    let token = token.expose_secret();
    if token.trim().is_empty() {
        return Err(InvalidInput::new("API token", "it is empty"));
    }
    // The message never includes the value: it is a secret.
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(InvalidInput::new(
            "API token",
            "it contains whitespace or non-ASCII characters (copy-paste residue?)",
        ));
    }
    let mut value = HeaderValue::from_str(token)
        .map_err(|_| InvalidInput::new("API token", "it is not a valid header value"))?;
    value.set_sensitive(true);
    Ok(value)
}

pub(crate) fn is_loopback(url: &url::Url) -> bool {
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
/// [`Error::Api`](crate::Error::Api) with the 3xx status.
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
