//! Public models of user tokens: [`Token`], [`CreatedToken`], and what a revoke did
//! ([`RevokeOutcome`]). Scopes are in `scope.rs`.
//!
//! Every field Fastly returns is here, typed: timestamps are `DateTime<Utc>` (all three formats
//! seen in the wild decode: `…Z`, `….000Z`, `…+00:00`), nullable fields are `Option`.

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::ids::{CustomerId, ServiceId, TokenId, UserId};
use crate::scope::ScopeSet;

/// The name Fastly gives the token of a `manage.fastly.com` browser session.
pub const BROWSER_SESSION_NAME: &str = "manage.fastly.com browser session";

/// An API token as Fastly describes it (never the secret itself; see [`CreatedToken`]).
///
/// `Serialize` gives Fastly's field names (`scope` as the space-delimited string), and
/// `Deserialize` reads that back (ids validated), so tokens can be cached or kept as fixtures.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Token {
    pub(crate) id: TokenId,
    pub(crate) user_id: UserId,
    pub(crate) customer_id: Option<CustomerId>,
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub(crate) name: crate::text::Text,
    pub(crate) scope: ScopeSet,
    pub(crate) services: Vec<ServiceId>,
    pub(crate) service_id: Option<ServiceId>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: Option<DateTime<Utc>>,
    pub(crate) deleted_at: Option<DateTime<Utc>>,
    pub(crate) last_used_at: Option<DateTime<Utc>>,
    pub(crate) expires_at: Option<DateTime<Utc>>,
    pub(crate) sudo_expires_at: Option<DateTime<Utc>>,
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub(crate) ip: Option<crate::text::Text>,
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub(crate) user_agent: Option<crate::text::Text>,
}

impl Token {
    /// The token's id.
    pub fn id(&self) -> &TokenId {
        &self.id
    }
    /// The user the token belongs to.
    pub fn user_id(&self) -> &UserId {
        &self.user_id
    }
    /// The customer (account) of that user. Always present in GET responses; missing from
    /// some create responses (recorded in 2019).
    pub fn customer_id(&self) -> Option<&CustomerId> {
        self.customer_id.as_ref()
    }
    /// The token's name (browser sessions are named `manage.fastly.com browser session`).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Its scopes (Fastly's `scope`; the redundant `scopes` array carries the same values).
    pub fn scopes(&self) -> &ScopeSet {
        &self.scope
    }
    /// Services the token is limited to; empty means every service.
    pub fn services(&self) -> &[ServiceId] {
        &self.services
    }
    /// Fastly's legacy single `service_id`: with several services it holds one of them.
    pub fn service_id(&self) -> Option<&ServiceId> {
        self.service_id.as_ref()
    }
    /// Whether this is a `manage.fastly.com` browser session rather than an API token: named
    /// `manage.fastly.com browser session`, or carrying a sudo expiry (only sessions do). A
    /// session cannot be rotated into an API token without granting what the browser had.
    pub fn is_browser_session(&self) -> bool {
        self.name == BROWSER_SESSION_NAME || self.sudo_expires_at.is_some()
    }
    /// Whether the token works on every service.
    pub fn is_unrestricted(&self) -> bool {
        self.services.is_empty()
    }
    /// When it was created.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    /// When it was last updated (returned on create).
    pub fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.updated_at
    }
    /// When it was deleted, if Fastly says so.
    pub fn deleted_at(&self) -> Option<DateTime<Utc>> {
        self.deleted_at
    }
    /// When it was last used; `None` for a token never used.
    pub fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.last_used_at
    }
    /// When it expires; `None` for a token that never expires.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.expires_at
    }
    /// Sudo expiry, for browser sessions in sudo mode.
    pub fn sudo_expires_at(&self) -> Option<DateTime<Utc>> {
        self.sudo_expires_at
    }
    /// The address it was last used from.
    pub fn ip(&self) -> Option<&str> {
        self.ip.as_deref()
    }
    /// The user agent that last used it.
    pub fn user_agent(&self) -> Option<&str> {
        self.user_agent.as_deref()
    }

    /// Whether the token has expired at `now` (expiry is inclusive).
    ///
    /// ```
    /// # fn check(token: &fastly_tokens::Token) {
    /// if token.is_expired_at(fastly_tokens::chrono::Utc::now()) {
    ///     println!("{} has expired", token.name());
    /// }
    /// # }
    /// ```
    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// Whether the token expires within `window` of `now` (an already expired token does).
    /// A token that never expires never does.
    pub fn expires_within(&self, window: std::time::Duration, now: DateTime<Utc>) -> bool {
        expires_within(self.expires_at, window, now)
    }
}

/// Whether an expiry falls within `window` of `now` (shared by both token kinds).
pub(crate) fn expires_within(
    expires_at: Option<DateTime<Utc>>,
    window: std::time::Duration,
    now: DateTime<Utc>,
) -> bool {
    let Ok(window) = chrono::Duration::from_std(window) else {
        return expires_at.is_some();
    };
    match (expires_at, now.checked_add_signed(window)) {
        (Some(at), Some(limit)) => at <= limit,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// A token just created: its description and, once, its secret access token.
///
/// `Debug` shows `access_token: SecretBox<str>([REDACTED])`; read it with
/// [`secrecy::ExposeSecret`].
#[derive(Debug, Clone)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct CreatedToken {
    #[cfg_attr(feature = "schemars", schemars(flatten))]
    pub(crate) token: Token,
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub(crate) access_token: SecretString,
}

impl CreatedToken {
    /// The token's description (its id, name, scopes...).
    pub fn token(&self) -> &Token {
        &self.token
    }
    /// The secret to send as `Fastly-Key`. Fastly returns it only in this response.
    pub fn access_token(&self) -> &SecretString {
        &self.access_token
    }
    /// Both parts.
    pub fn into_parts(self) -> (Token, SecretString) {
        (self.token, self.access_token)
    }
}

/// What [`Client::revoke_token`](crate::Client::revoke_token) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub enum RevokeOutcome {
    /// The token was revoked now.
    Revoked,
    /// Fastly answered 404: the token does not exist, most likely already revoked.
    AlreadyGone,
}
