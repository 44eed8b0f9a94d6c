//! Answers that did not decode: [`DecodeError`], and [`CreatedUndecoded`], which keeps the
//! secret of a token that was created anyway.

use secrecy::SecretString;

use crate::ids::TokenId;
use crate::op::Operation;

/// Fastly answered but the body could not be decoded.
///
/// The message says where and how decoding failed; it never quotes the body (see the module
/// docs: a success body may hold a secret, and an echoing server returns the request).
#[derive(Debug, thiserror::Error)]
#[error(
    "{} failed: the {} answer could not be decoded ({reason}; {} bytes){}; check that the base URL points at the Fastly API (not a proxy or web page)",
    self.operation.method(),
    status.map_or_else(|| "server's".to_string(), |s| s.to_string()),
    body_len,
    if operation.creates() { "; a token may have been created: list the tokens and revoke any you do not recognise" } else { "" }
)]
#[non_exhaustive]
pub struct DecodeError {
    pub(crate) operation: Operation,
    pub(crate) status: Option<u16>,
    pub(crate) reason: String,
    pub(crate) body_len: usize,
}

impl DecodeError {
    pub(crate) fn new(
        operation: Operation,
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
    self.operation.method(),
    token_id.as_ref().map(|id| format!(" with id {id}")).unwrap_or_default()
)]
#[non_exhaustive]
pub struct CreatedUndecoded {
    pub(crate) operation: Operation,
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
        if self.operation != Operation::CreateAutomationToken {
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
