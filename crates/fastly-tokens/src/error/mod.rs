//! The crate's one error type, with context structs for each kind.
//!
//! Modelled on smithy-rs' error RFC: `#[non_exhaustive]`, no foreign types in the public API,
//! `Display` says what went wrong at this layer in one sentence, `source()` chains to the cause.
//!
//! # What an error may quote
//!
//! Errors are shown to people and written to logs, so what they contain is decided here, once:
//!
//! * Fastly's own `msg`, `detail` and `code` from a JSON error body (status 400 or more), the
//!   status, the rate-limit reset time, the host a redirect pointed to;
//! * for a body that could not be decoded: the JSON path and the kind of failure
//!   (`` `created_at`: invalid value, expected an RFC 3339 date-time string ``), the line and
//!   column of a syntax error, the body's length;
//! * for rejected input: what is wrong, the length, and at most a short prefix of an id.
//!
//! Never: raw bytes of a response body (a success body may hold a new access token, and a
//! server that echoes the request would hand back `Fastly-Key` and `Fastly-OTP`), serde's own
//! messages (they quote the offending value), the user name, query or fragment of a URL, or
//! any secret. A created token's secret is only ever held as a [`SecretString`].

pub(crate) mod api;
pub(crate) mod decode;
pub(crate) mod input;
pub(crate) mod transport;

pub use api::ApiError;
pub use decode::{CreatedUndecoded, DecodeError};
pub use input::{ConfigError, InvalidInput};
pub use transport::{Timeout, TransportError, TransportKind};

use crate::op::Operation;
use crate::ratelimit::RateLimit;
use crate::text::scrubbed;

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
    /// The client, as configured, cannot make this call (e.g. it has no API token); nothing
    /// was sent.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Fastly created a token and returned its secret, but the rest of the answer could not be
    /// decoded. The secret is kept in the error, so it is not lost: store it or revoke the
    /// token. Only [`CreateTokenBuilder::send`](crate::CreateTokenBuilder::send) returns this.
    #[error(transparent)]
    CreatedUndecoded(Box<CreatedUndecoded>),
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

impl From<CreatedUndecoded> for Error {
    fn from(e: CreatedUndecoded) -> Self {
        Error::CreatedUndecoded(Box::new(e))
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
            Error::CreatedUndecoded(e) => Some(e.status),
            _ => None,
        }
    }

    /// Whether repeating the same request later may succeed: connection failures, timeouts,
    /// 408, 429, 500, 502, 503 and 504. Always `false` for a create (user or automation
    /// token): repeating one could mint a second token. See [`Error::may_have_created`].
    pub fn is_retryable(&self) -> bool {
        if self.is_create() {
            return false;
        }
        match self {
            Error::Transport(_) => true,
            Error::Api(e) => matches!(e.status, 408 | 429 | 500 | 502 | 503 | 504),
            _ => false,
        }
    }

    /// Whether a create ([`Client::create_token`](crate::Client::create_token) or
    /// [`Client::create_automation_token`](crate::Client::create_automation_token)) may have
    /// minted a token whose secret the caller does not have: the request was sent, and its
    /// answer was lost (the connection broke, or a timeout other than the connect timeout
    /// ended the call) or could not be read. List the tokens and revoke any you do not
    /// recognise before creating again.
    ///
    /// `false` for [`Error::CreatedUndecoded`]: that token certainly exists, and its secret is
    /// in the error.
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), fastly_tokens::Error> {
    /// use fastly_tokens::{Credentials, Scope};
    /// let sent = client
    ///     .create_token(Credentials::api_token())
    ///     .scopes([Scope::GlobalRead])
    ///     .send()
    ///     .await;
    /// if let Err(e) = &sent {
    ///     if e.may_have_created() {
    ///         // Do not create again: look for a token nobody has the secret of, and revoke it.
    ///         let tokens = client.list_tokens().await?;
    ///         # let _ = tokens;
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn may_have_created(&self) -> bool {
        self.is_create()
            && match self {
                Error::Transport(t) => {
                    t.kind != TransportKind::Connect
                        && !matches!(t.timeout, Some(Timeout::Connect(_)))
                }
                Error::Decode(_) => true,
                _ => false,
            }
    }

    /// Whether the failed call was a create.
    fn is_create(&self) -> bool {
        self.operation().is_some_and(Operation::creates)
    }

    /// A 404: the token (or customer) does not exist, e.g. it was already revoked.
    pub fn is_not_found(&self) -> bool {
        self.as_api().is_some_and(|e| e.status == 404)
    }

    /// A 401: the API token is missing, unknown, expired or revoked (or, for a create with a
    /// password, the user name or password is wrong).
    pub fn is_unauthorized(&self) -> bool {
        self.as_api().is_some_and(|e| e.status == 401)
    }

    /// A 403: the token may not do this (read-only token, sudo required, wrong customer).
    pub fn is_forbidden(&self) -> bool {
        self.as_api().is_some_and(|e| e.status == 403)
    }

    /// A 429: the hourly budget of non-read requests is spent. See [`Error::rate_limit`].
    pub fn is_rate_limited(&self) -> bool {
        self.as_api().is_some_and(|e| e.status == 429)
    }

    /// A timeout: connect, one attempt, or the whole call. See [`TransportError::timeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Transport(e) if e.kind == TransportKind::Timeout)
    }

    /// Input rejected before sending.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Error::InvalidInput(_))
    }

    /// The client's configuration does not allow the call (no API token, no HTTP client).
    pub fn is_config(&self) -> bool {
        matches!(self, Error::Config(_))
    }

    /// A wrong or missing one-time password on a create: Fastly's 400 with code `2fa.verify`.
    pub fn is_otp_required(&self) -> bool {
        self.as_api()
            .is_some_and(|e| e.status == 400 && e.code.as_deref() == Some("2fa.verify"))
    }

    /// A wrong user name or password on a create: Fastly's 400 with code `invalid_grant`.
    pub fn is_invalid_login(&self) -> bool {
        self.as_api()
            .is_some_and(|e| e.status == 400 && e.code.as_deref() == Some("invalid_grant"))
    }

    /// Fastly refused the request's content (400 or 422 that is not about the login or the
    /// one-time password, e.g. `invalid_scope` or an expiry it does not accept): fix the input.
    pub fn is_rejected_input(&self) -> bool {
        self.as_api().is_some_and(|e| matches!(e.status, 400 | 422))
            && !self.is_otp_required()
            && !self.is_invalid_login()
    }

    /// The rate-limit headers of the failing response, if it had any.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        match self {
            Error::Api(e) => e.rate_limit.as_ref(),
            _ => None,
        }
    }

    /// The operation that failed, if a request was attempted.
    pub fn operation(&self) -> Option<Operation> {
        match self {
            Error::Api(e) => Some(e.operation),
            Error::Transport(e) => Some(e.operation),
            Error::Decode(e) => Some(e.operation),
            Error::CreatedUndecoded(e) => Some(e.operation),
            Error::InvalidInput(_) | Error::Config(_) => None,
        }
    }

    /// The public method whose call failed (e.g. `current_token` for `get_token_current`), if
    /// a request was attempted. Messages name this, not the operation id.
    pub fn method(&self) -> Option<&'static str> {
        self.operation().map(Operation::method)
    }
}

impl Error {
    /// Redacts `secrets` (the key, a password, an OTP) wherever server-provided text is kept:
    /// a server that reflects the request into Fastly's `msg`/`detail` fields would otherwise
    /// put them in the message. Also caps that text, so a hostile body cannot make a message
    /// of megabytes.
    pub(crate) fn scrub(&mut self, secrets: &[&str]) {
        if let Error::Api(e) = self {
            for field in [&mut e.message, &mut e.detail, &mut e.code] {
                if let Some(text) = field.as_mut() {
                    *text = scrubbed(text, secrets);
                }
            }
        }
    }
}
