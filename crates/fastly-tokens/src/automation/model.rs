//! [`AutomationToken`], [`Role`] and [`CreatedAutomationToken`]: one model for the three shapes
//! Fastly returns (list item, get, create).

use std::fmt;

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::ids::{AutomationTokenId, CustomerId, ServiceId, UserId};
use crate::scope::ScopeSet;

/// The role an automation token acts with. Unknown roles are kept verbatim in
/// [`Role::Other`], so a role Fastly adds later never breaks decoding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// `engineer`: read, write, purge and activate on service configuration.
    Engineer,
    /// `billing`.
    Billing,
    /// `user`: read access to services.
    User,
    /// `tls_admin`.
    TlsAdmin,
    /// `tls_viewer`.
    TlsViewer,
    /// A role this version does not know, kept as sent.
    Other(String),
}

impl Role {
    /// The wire name, e.g. `engineer`.
    pub fn as_str(&self) -> &str {
        match self {
            Role::Engineer => "engineer",
            Role::Billing => "billing",
            Role::User => "user",
            Role::TlsAdmin => "tls_admin",
            Role::TlsViewer => "tls_viewer",
            Role::Other(s) => s,
        }
    }

    pub(crate) fn from_wire(s: impl AsRef<str> + Into<String>) -> Self {
        match s.as_ref() {
            "engineer" => Role::Engineer,
            "billing" => Role::Billing,
            "user" => Role::User,
            "tls_admin" => Role::TlsAdmin,
            "tls_viewer" => Role::TlsViewer,
            _ => Role::Other(s.into()),
        }
    }

    /// Whether the role can be sent: 1-64 printable ASCII characters without whitespace.
    pub(crate) fn check(&self) -> Result<(), crate::error::input::InvalidInput> {
        let s = self.as_str();
        if (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(())
        } else {
            Err(crate::error::input::InvalidInput::new(
                "role",
                format!(
                    "{}: a role is 1-64 printable ASCII characters",
                    crate::text::excerpt(s, 32)
                ),
            ))
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = crate::Error;
    /// Parses a role name; unknown names become [`Role::Other`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let role = Role::from_wire(s.to_string());
        role.check()?;
        Ok(role)
    }
}

impl serde::Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Role {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Role {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Role".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "description": "engineer, billing, user, tls_admin, tls_viewer, or a newer role" })
    }
}

/// An automation token as Fastly describes it (never the secret; see
/// [`CreatedAutomationToken`]).
///
/// Fastly answers in three shapes: a list item (with `scopes` as a string, `creator_id`,
/// `customer_id`, `tls_access`), a get (with `scope`, without those three), and a create
/// (with sentinels such as `""` or `0001-01-01T00:00:00Z` for unset values). All three decode
/// to this one model: a sentinel is `None`, `scopes`/`scope` are one [`ScopeSet`], and a field a
/// shape lacks is `None`.
///
/// `Serialize` gives Fastly's field names (`scope` as the space-delimited string), and
/// `Deserialize` reads that back (ids validated).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct AutomationToken {
    pub(crate) id: AutomationTokenId,
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub(crate) name: crate::text::Text,
    pub(crate) role: Option<Role>,
    pub(crate) scope: ScopeSet,
    pub(crate) services: Vec<ServiceId>,
    pub(crate) customer_id: Option<CustomerId>,
    pub(crate) creator_id: Option<UserId>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) last_used_at: Option<DateTime<Utc>>,
    pub(crate) expires_at: Option<DateTime<Utc>>,
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub(crate) ip: Option<crate::text::Text>,
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub(crate) user_agent: Option<crate::text::Text>,
    pub(crate) tls_access: Option<bool>,
    pub(crate) service_id: Option<ServiceId>,
    pub(crate) sudo_expires_at: Option<DateTime<Utc>>,
}

impl AutomationToken {
    /// The token's id.
    pub fn id(&self) -> &AutomationTokenId {
        &self.id
    }
    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The role it acts with, when the answer named one.
    pub fn role(&self) -> Option<&Role> {
        self.role.as_ref()
    }
    /// Its scopes (the list's `scopes` string or the get's `scope`).
    pub fn scopes(&self) -> &ScopeSet {
        &self.scope
    }
    /// Services it is limited to; empty (Fastly's `[]` or `null`) means every service.
    pub fn services(&self) -> &[ServiceId] {
        &self.services
    }
    /// Whether it works on every service.
    pub fn is_unrestricted(&self) -> bool {
        self.services.is_empty()
    }
    /// The customer (account); only list and create answers carry it.
    pub fn customer_id(&self) -> Option<&CustomerId> {
        self.customer_id.as_ref()
    }
    /// The user who created it; only list answers carry it.
    pub fn creator_id(&self) -> Option<&UserId> {
        self.creator_id.as_ref()
    }
    /// When it was created.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    /// When it was last used; `None` if never (or unset in a create answer).
    pub fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.last_used_at
    }
    /// When it stops working; `None` if never.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.expires_at
    }
    /// Address it was last used from.
    pub fn ip(&self) -> Option<&str> {
        self.ip.as_deref()
    }
    /// User agent that last used it.
    pub fn user_agent(&self) -> Option<&str> {
        self.user_agent.as_deref()
    }
    /// Whether it may manage TLS; only list and create answers carry it.
    pub fn tls_access(&self) -> Option<bool> {
        self.tls_access
    }
    /// Legacy single service (list answers only; recorded only as `null`).
    pub fn service_id(&self) -> Option<&ServiceId> {
        self.service_id.as_ref()
    }
    /// Sudo expiry (list answers only; recorded only as `null`).
    pub fn sudo_expires_at(&self) -> Option<DateTime<Utc>> {
        self.sudo_expires_at
    }
    /// Whether it has expired at `now`.
    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// Whether the token expires within `window` of `now` (an already expired token does).
    /// A token that never expires never does. As [`Token::expires_within`](crate::Token::expires_within).
    pub fn expires_within(&self, window: std::time::Duration, now: DateTime<Utc>) -> bool {
        crate::model::expires_within(self.expires_at, window, now)
    }
}

/// An automation token just created: its description and, once, its secret.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct CreatedAutomationToken {
    #[cfg_attr(feature = "schemars", schemars(flatten))]
    pub(crate) token: AutomationToken,
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub(crate) access_token: SecretString,
}

impl CreatedAutomationToken {
    /// The token's description.
    pub fn token(&self) -> &AutomationToken {
        &self.token
    }
    /// The secret to send as `Fastly-Key`. Fastly returns it only in the create answer.
    pub fn access_token(&self) -> &SecretString {
        &self.access_token
    }
    /// Both parts.
    pub fn into_parts(self) -> (AutomationToken, SecretString) {
        (self.token, self.access_token)
    }
}
