//! The crate's one error type, with context structs for each kind.
//!
//! Modelled on smithy-rs' error RFC: `#[non_exhaustive]`, no foreign types in the public API,
//! `Display` says what went wrong at this layer in one sentence, `source()` chains to the cause.
//! No message ever contains the API key, a password, an OTP or an access token: none of them is
//! ever passed to these types.

use std::fmt;
use std::time::Duration;

use crate::ratelimit::RateLimit;

/// Everything that can go wrong in a `fastly-tokens` call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Fastly answered with an error status (4xx/5xx, or an unexpected 3xx).
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The request did not complete: connection refused or reset, timeout, TLS failure.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// Fastly answered, but the body could not be understood.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The input was rejected before any request was sent.
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

impl Error {
    /// The API error, when Fastly answered with an error status.
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status, when Fastly answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Decode(e) => e.status,
            _ => None,
        }
    }

    /// Whether repeating the same request later may succeed: connection failures, timeouts,
    /// 408, 429, 500, 502, 503 and 504.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport(_) => true,
            Error::Api(e) => matches!(e.status, 408 | 429 | 500 | 502 | 503 | 504),
            _ => false,
        }
    }

    /// A 404: the token (or customer) does not exist, e.g. it was already revoked.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// A 401: the API token is missing, unknown, expired or revoked.
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(401)
    }

    /// A 403: the token may not do this (read-only token, sudo required, wrong customer).
    pub fn is_forbidden(&self) -> bool {
        self.status() == Some(403)
    }

    /// A 429: the hourly budget of non-read requests is spent. See [`Error::rate_limit`].
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(429)
    }

    /// A timeout (connect or whole request).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Transport(e) if e.kind == TransportKind::Timeout)
    }

    /// Input rejected before sending.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Error::InvalidInput(_))
    }

    /// The rate-limit headers of the failing response, if it had any.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        match self {
            Error::Api(e) => e.rate_limit.as_ref(),
            _ => None,
        }
    }

    /// The operation (OpenAPI operation id, e.g. `revoke_token`) that failed, if a request was
    /// attempted.
    pub fn operation(&self) -> Option<&'static str> {
        match self {
            Error::Api(e) => Some(e.operation),
            Error::Transport(e) => Some(e.operation),
            Error::Decode(e) => Some(e.operation),
            Error::InvalidInput(_) => None,
        }
    }
}

/// Fastly answered with an error status.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    pub(crate) operation: &'static str,
    pub(crate) status: u16,
    pub(crate) message: Option<String>,
    pub(crate) detail: Option<String>,
    pub(crate) code: Option<String>,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) redirect_to: Option<String>,
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }
    /// Fastly's `msg`, when the body had one.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
    /// Fastly's `detail`, when the body had one.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
    /// Fastly's machine-readable `code`, e.g. `2fa.verify` on a create with a missing OTP.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }
    /// Rate-limit headers of the response.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.rate_limit.as_ref()
    }
    /// The operation id that failed.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    fn hint(&self) -> &'static str {
        match (self.status, self.code.as_deref()) {
            (400, Some("2fa.verify")) => {
                "; the account uses two-factor authentication: send the current one-time code with `.otp(..)`"
            }
            (401, _) => {
                "; check the API token (FASTLY_API_TOKEN): it may be wrong, expired or revoked"
            }
            (403, _) => {
                "; the token lacks the rights for this (read-only scope, sudo, or another customer)"
            }
            (404, _) => "; it does not exist or was already revoked",
            (429, _) => {
                "; the hourly budget of non-read requests is spent, retry after the reset time"
            }
            (300..=399, _) => {
                "; redirects to another host are not followed, so the API key is not sent there"
            }
            (500..=599, _) => "; Fastly had a server error, retry later",
            _ => "",
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed: Fastly answered {}",
            self.operation, self.status
        )?;
        if let Some(m) = &self.message {
            write!(f, " {m:?}")?;
        }
        if let Some(d) = &self.detail {
            write!(f, " ({d})")?;
        }
        if let Some(c) = &self.code {
            write!(f, " [code {c}]")?;
        }
        if let Some(to) = &self.redirect_to {
            write!(f, " redirecting to {to}")?;
        }
        if self.status == 429
            && let Some(reset) = self.rate_limit.as_ref().and_then(RateLimit::reset)
        {
            write!(f, " until {}", reset.format("%Y-%m-%dT%H:%M:%SZ"))?;
        }
        f.write_str(self.hint())
    }
}

impl std::error::Error for ApiError {}

/// What kind of transport failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// Could not connect (refused, unreachable, DNS, TLS handshake).
    Connect,
    /// The connect or whole-request timeout elapsed.
    Timeout,
    /// The connection broke while sending the request or reading the response.
    Interrupted,
}

/// The request did not complete.
#[derive(Debug, thiserror::Error)]
#[error("{operation} failed: {}", self.describe())]
#[non_exhaustive]
pub struct TransportError {
    pub(crate) operation: &'static str,
    pub(crate) kind: TransportKind,
    pub(crate) timeout: Option<Duration>,
    #[source]
    pub(crate) source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    /// The kind of failure.
    pub fn kind(&self) -> TransportKind {
        self.kind
    }
    /// The operation id that failed.
    pub fn operation(&self) -> &'static str {
        self.operation
    }
    fn describe(&self) -> String {
        match (self.kind, self.timeout) {
            (TransportKind::Timeout, Some(t)) => format!(
                "no complete answer within {t:?}; raise the client's `.timeout(..)` or check the network"
            ),
            (TransportKind::Timeout, None) => "timed out; check the network".to_string(),
            (TransportKind::Connect, _) => {
                "could not connect to the API; check the base URL, proxy and network".to_string()
            }
            (TransportKind::Interrupted, _) => {
                "the connection broke before the answer was complete; retry".to_string()
            }
        }
    }
}

/// Fastly answered but the body could not be decoded.
#[derive(Debug, thiserror::Error)]
#[error(
    "{operation} failed: the {} response body could not be decoded ({reason}); body starts {snippet:?}; check that the base URL points at the Fastly API (not a proxy or web page)",
    status.map_or_else(|| "server's".to_string(), |s| s.to_string())
)]
#[non_exhaustive]
pub struct DecodeError {
    pub(crate) operation: &'static str,
    pub(crate) status: Option<u16>,
    pub(crate) reason: String,
    pub(crate) snippet: String,
}

impl DecodeError {
    /// Most bytes of the body kept for diagnosis.
    pub const SNIPPET_LEN: usize = 200;

    pub(crate) fn new(
        operation: &'static str,
        status: Option<u16>,
        reason: impl fmt::Display,
        body: &[u8],
    ) -> Self {
        let end = body.len().min(Self::SNIPPET_LEN);
        Self {
            operation,
            status,
            reason: reason.to_string(),
            snippet: String::from_utf8_lossy(&body[..end]).into_owned(),
        }
    }
    /// The HTTP status, when known.
    pub fn status(&self) -> Option<u16> {
        self.status
    }
    /// Why decoding failed.
    pub fn reason(&self) -> &str {
        &self.reason
    }
    /// The first bytes of the body (lossily UTF-8), at most [`Self::SNIPPET_LEN`].
    pub fn body_snippet(&self) -> &str {
        &self.snippet
    }
}

/// Input rejected before any request was sent.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid {what}: {message}")]
#[non_exhaustive]
pub struct InvalidInput {
    pub(crate) what: &'static str,
    pub(crate) message: String,
}

impl InvalidInput {
    pub(crate) fn new(what: &'static str, message: impl Into<String>) -> Self {
        Self {
            what,
            message: message.into(),
        }
    }
    /// What was invalid, e.g. `token id` or `base URL`.
    pub fn what(&self) -> &'static str {
        self.what
    }
    /// Why.
    pub fn message(&self) -> &str {
        &self.message
    }
}
