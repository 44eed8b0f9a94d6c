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

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;

use crate::ids::TokenId;
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
        self.operation().is_some_and(is_create)
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

    /// The operation (OpenAPI operation id, e.g. `revoke_token`) that failed, if a request was
    /// attempted.
    pub fn operation(&self) -> Option<&'static str> {
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
        self.operation().map(method_of)
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

/// Longest server-provided text kept in an error (Fastly's messages are a sentence).
const MAX_SERVER_TEXT: usize = 500;

fn scrubbed(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for secret in secrets {
        if !secret.is_empty() && out.contains(secret) {
            out = out.replace(secret, "[REDACTED]");
        }
    }
    if out.chars().count() > MAX_SERVER_TEXT {
        out = out.chars().take(MAX_SERVER_TEXT).collect::<String>() + "…";
    }
    out
}

/// Whether an operation id mints a token.
pub(crate) fn is_create(operation: &str) -> bool {
    matches!(operation, "create_token" | "create_automation_token")
}

/// The [`Client`](crate::Client) method that runs an operation id.
pub(crate) fn method_of(operation: &'static str) -> &'static str {
    match operation {
        "get_token_current" => "current_token",
        "list_tokens_user" => "list_tokens",
        "list_tokens_customer" => "list_customer_tokens",
        "get_token" => "get_token",
        "revoke_token" => "revoke_token",
        "revoke_token_current" => "revoke_current_token",
        "bulk_revoke_tokens" => "revoke_tokens",
        "create_token" => "create_token",
        "list_automation_tokens" => "list_automation_tokens",
        "get_automation_token" => "get_automation_token",
        "list_automation_token_services" => "automation_token_services",
        "create_automation_token" => "create_automation_token",
        "enter_sudo" => "enter_sudo",
        other => other,
    }
}

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
    pub(crate) auth: Auth,
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
    /// The public method whose call failed.
    pub fn method(&self) -> &'static str {
        method_of(self.operation)
    }
    /// The host a stopped redirect pointed to.
    pub fn redirect_host(&self) -> Option<&str> {
        self.redirect_to.as_deref()
    }

    fn hint(&self) -> &'static str {
        // A create is never repeated blindly: it could mint a second token.
        if is_create(self.operation) {
            match self.status {
                403 if self
                    .message
                    .as_deref()
                    .is_some_and(|m| m.contains("POST /sudo")) =>
                {
                    return "; enter sudo mode first (re-authenticate with the password), then create within its window";
                }
                429 => {
                    return "; the hourly budget of non-read requests is spent: nothing was created, create after the reset time";
                }
                500..=599 => {
                    return "; Fastly had a server error: list the tokens before creating again";
                }
                _ => {}
            }
        }
        match (self.status, self.code.as_deref(), self.auth) {
            (400, Some("2fa.verify"), _) => {
                "; the account uses two-factor authentication: send the current one-time password (OTP)"
            }
            (400, Some("invalid_grant"), _) => "; check the user name and password",
            (401, _, Auth::Password) => "; check the user name and password",
            (401, _, Auth::EnvToken) => {
                "; check the API token in FASTLY_API_TOKEN: it may be wrong, expired or revoked"
            }
            (401, _, Auth::Token) => {
                "; check the API token the client was given: it may be wrong, expired or revoked"
            }
            (403, _, _)
                if self
                    .message
                    .as_deref()
                    .is_some_and(|m| m.contains("POST /sudo")) =>
            {
                "; enter sudo mode first (re-authenticate with the password), then retry within its window"
            }
            (403, _, _) => {
                "; the token lacks the rights for this (read-only scope, sudo, superuser role, or another customer)"
            }
            (404, _, _) => "; it does not exist or was already revoked",
            (429, _, _) => {
                "; the hourly budget of non-read requests is spent, retry after the reset time"
            }
            (300..=399, _, _) => {
                "; redirects to another host are not followed, so the API key is not sent there"
            }
            (500..=599, _, _) => "; Fastly had a server error, retry later",
            _ => "",
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed: Fastly answered {}",
            self.method(),
            self.status
        )?;
        if let Some(m) = &self.message {
            write!(f, " {m:?}")?;
        }
        if let Some(d) = &self.detail {
            write!(f, " ({d:?})")?;
        }
        if let Some(c) = &self.code {
            write!(f, " [code {c:?}]")?;
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
    /// A limit elapsed: see [`TransportError::timeout`] for which one.
    Timeout,
    /// The connection broke while sending the request or reading the response.
    Interrupted,
}

/// Which time limit ended a call. Set with
/// [`ClientBuilder::connect_timeout`](crate::ClientBuilder::connect_timeout),
/// [`attempt_timeout`](crate::ClientBuilder::attempt_timeout) and
/// [`operation_timeout`](crate::ClientBuilder::operation_timeout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Timeout {
    /// Connecting (TCP and TLS) took longer than this.
    Connect(Duration),
    /// One attempt (connecting, sending, the whole answer) took longer than this; every retry
    /// did too.
    Attempt(Duration),
    /// The whole call, retries and backoff included, took longer than this.
    Operation(Duration),
}

/// The request did not complete.
#[derive(Debug, thiserror::Error)]
#[error("{} failed: {}", method_of(self.operation), self.describe())]
#[non_exhaustive]
pub struct TransportError {
    pub(crate) operation: &'static str,
    pub(crate) kind: TransportKind,
    pub(crate) timeout: Option<Timeout>,
    pub(crate) attempts: u32,
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
    /// The limit that ended the call, for a timeout.
    pub fn timeout(&self) -> Option<Timeout> {
        self.timeout
    }
    /// HTTP attempts made (1 when the call is never retried).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
    fn describe(&self) -> String {
        let tries = match self.attempts {
            0 | 1 => String::new(),
            n => format!(" ({n} attempts)"),
        };
        let mut text = match (self.kind, self.timeout) {
            (TransportKind::Timeout, Some(Timeout::Operation(t))) => format!(
                "the call did not finish within its operation timeout of {t:?}{tries}; check the network, or raise the operation timeout"
            ),
            (TransportKind::Timeout, Some(Timeout::Connect(t))) => format!(
                "could not connect within the connect timeout of {t:?}{tries}; check the base URL, proxy and network"
            ),
            (TransportKind::Timeout, Some(Timeout::Attempt(t))) => format!(
                "no complete answer within the attempt timeout of {t:?}{tries}; check the network, or raise the attempt timeout"
            ),
            (TransportKind::Timeout, None) => format!("timed out{tries}; check the network"),
            (TransportKind::Connect, _) => format!(
                "could not connect to the API{tries}; check the base URL, proxy and network"
            ),
            (TransportKind::Interrupted, _) if is_create(self.operation) => {
                format!("the connection broke before the answer was complete{tries}")
            }
            (TransportKind::Interrupted, _) => {
                format!("the connection broke before the answer was complete{tries}; retry")
            }
        };
        if is_create(self.operation)
            && self.kind != TransportKind::Connect
            && !matches!(self.timeout, Some(Timeout::Connect(_)))
        {
            text.push_str(
                "; the request may have reached Fastly and created the token: list the tokens and revoke any you do not recognise",
            );
        }
        text
    }
}

/// Fastly answered but the body could not be decoded.
///
/// The message says where and how decoding failed; it never quotes the body (see the module
/// docs: a success body may hold a secret, and an echoing server returns the request).
#[derive(Debug, thiserror::Error)]
#[error(
    "{} failed: the {} answer could not be decoded ({reason}; {} bytes){}; check that the base URL points at the Fastly API (not a proxy or web page)",
    method_of(self.operation),
    status.map_or_else(|| "server's".to_string(), |s| s.to_string()),
    body_len,
    if is_create(operation) { "; a token may have been created: list the tokens and revoke any you do not recognise" } else { "" }
)]
#[non_exhaustive]
pub struct DecodeError {
    pub(crate) operation: &'static str,
    pub(crate) status: Option<u16>,
    pub(crate) reason: String,
    pub(crate) body_len: usize,
}

impl DecodeError {
    pub(crate) fn new(
        operation: &'static str,
        status: Option<u16>,
        reason: impl Into<String>,
        body_len: usize,
    ) -> Self {
        Self {
            operation,
            status,
            reason: reason.into(),
            body_len,
        }
    }
    /// The HTTP status, when known.
    pub fn status(&self) -> Option<u16> {
        self.status
    }
    /// Why decoding failed: a JSON path and the kind of failure, never the body's content.
    pub fn reason(&self) -> &str {
        &self.reason
    }
    /// Length of the body in bytes (as read; bodies over the cap are not read whole).
    pub fn body_len(&self) -> usize {
        self.body_len
    }
}

/// Fastly created a token and returned its secret, but the answer could not be decoded
/// completely (an unexpected success status whose body is not a token, a field in a format
/// this version does not know, an id it refuses).
///
/// Returned by [`CreateTokenBuilder::send`](crate::CreateTokenBuilder::send) and
/// [`CreateAutomationTokenBuilder::send`](crate::CreateAutomationTokenBuilder::send). The
/// secret is here so it is never lost. Store it, or revoke the token
/// ([`token_id`](Self::token_id), or [`automation_token_id`](Self::automation_token_id) for an
/// automation token; or find it by name with
/// [`Client::list_tokens`](crate::Client::list_tokens)).
///
/// ```no_run
/// # async fn run(client: fastly_tokens::Client) -> Result<(), fastly_tokens::Error> {
/// use fastly_tokens::{Credentials, Error, Scope};
/// let result = client
///     .create_token(Credentials::password("me@example.com", "pw"))
///     .scopes([Scope::GlobalRead])
///     .send()
///     .await;
/// match result {
///     Ok(created) => { /* store created.access_token() */ }
///     Err(Error::CreatedUndecoded(partial)) => {
///         // Still a working token: store partial.access_token() or revoke partial.token_id().
///     }
///     Err(e) => return Err(e),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, thiserror::Error)]
#[error(
    "{}: Fastly created a token{} (status {status}) and returned its access token, but the rest of the answer could not be decoded ({reason}); the access token is kept in this error: store it, or revoke the token",
    method_of(self.operation),
    token_id.as_ref().map(|id| format!(" with id {id}")).unwrap_or_default()
)]
#[non_exhaustive]
pub struct CreatedUndecoded {
    pub(crate) operation: &'static str,
    pub(crate) status: u16,
    pub(crate) token_id: Option<TokenId>,
    pub(crate) reason: String,
    pub(crate) access_token: SecretString,
}

impl CreatedUndecoded {
    /// The new token's secret. `Debug` prints `[REDACTED]`.
    pub fn access_token(&self) -> &SecretString {
        &self.access_token
    }
    /// Moves the secret out.
    pub fn into_access_token(self) -> SecretString {
        self.access_token
    }
    /// The new token's id, when the answer had a valid one.
    pub fn token_id(&self) -> Option<&TokenId> {
        self.token_id.as_ref()
    }
    /// The new automation token's id, when the create was
    /// [`create_automation_token`](crate::Client::create_automation_token) and the answer had
    /// a valid id; `None` for a user-token create.
    pub fn automation_token_id(&self) -> Option<crate::AutomationTokenId> {
        if self.operation != "create_automation_token" {
            return None;
        }
        self.token_id
            .as_ref()
            .and_then(|id| id.as_str().parse().ok())
    }
    /// The HTTP status of the answer.
    pub fn status(&self) -> u16 {
        self.status
    }
    /// Why the rest could not be decoded.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// The client, as built, cannot make this call; nothing was sent.
#[derive(Debug, Clone, thiserror::Error)]
#[error("client configuration: {message}")]
#[non_exhaustive]
pub struct ConfigError {
    pub(crate) message: String,
}

impl ConfigError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
    /// What is missing or wrong.
    pub fn message(&self) -> &str {
        &self.message
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

/// A short, printable rendering of caller input for a message: at most `keep` characters,
/// control characters escaped, with the total length when cut. Values that may be secrets
/// (keys, passwords, codes) are never passed here at all.
pub(crate) fn excerpt(value: &str, keep: usize) -> String {
    let count = value.chars().count();
    let shown: String = value.chars().take(keep).collect();
    if count <= keep {
        format!("{:?}", shown)
    } else {
        format!("{:?}… ({count} characters)", shown)
    }
}
