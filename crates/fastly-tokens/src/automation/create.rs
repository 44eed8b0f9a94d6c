//! `create_automation_token`: the builder, and the sudo step before it.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use crate::answer;
use crate::automation::model::{CreatedAutomationToken, Role};
use crate::client::Client;
use crate::convert;
use crate::error::{Error, InvalidInput};
use crate::ids::ServiceId;
use crate::op::{Op, Operation};
use crate::scope::ScopeSet;
use fastly_tokens_raw::types as raw;

impl Op {
    pub(crate) const CREATE_AUTOMATION_TOKEN: Op = Op::new(
        Operation::CreateAutomationToken,
        answer::decode_reason::<raw::AutomationTokenCreatedResponse>,
    )
    .rate_limited();
}

/// A sudo window closer than this to its end is entered again before creating: the create
/// must arrive while it still holds.
const SUDO_MARGIN: chrono::Duration = chrono::Duration::seconds(30);

/// Builder for [`Client::create_automation_token`]. [`scopes`](Self::scopes) is required (no
/// implicit `global`); Fastly's defaults apply to the rest (role `engineer`... as Fastly
/// decides, every service, no expiry, no TLS access).
#[derive(Debug)]
#[must_use = "call .send().await to create the token"]
pub struct CreateAutomationTokenBuilder<'a> {
    client: &'a Client,
    name: String,
    role: Option<Role>,
    scopes: Option<ScopeSet>,
    services: Vec<ServiceId>,
    expires_at: Option<DateTime<Utc>>,
    tls_access: Option<bool>,
    sudo: Option<(String, SecretString)>,
}

impl<'a> CreateAutomationTokenBuilder<'a> {
    pub(crate) fn new(client: &'a Client, name: String) -> Self {
        Self {
            client,
            name,
            role: None,
            scopes: None,
            services: Vec::new(),
            expires_at: None,
            tls_access: None,
            sudo: None,
        }
    }

    /// The role the token acts with.
    pub fn role(mut self, role: Role) -> Self {
        self.role = Some(role);
        self
    }

    /// Its scopes. Required: there is no default scope.
    ///
    /// Takes scopes, or a token's own set: `.scopes(token.scopes())`.
    pub fn scopes(mut self, scopes: impl crate::scope::IntoScopes) -> Self {
        self.scopes = Some(scopes.into_scopes());
        self
    }

    /// Limit the token to these services (default: every service).
    ///
    /// Takes ids or references to them, e.g. a token's own: `.services(token.services())`.
    pub fn services<S: Into<ServiceId>>(mut self, services: impl IntoIterator<Item = S>) -> Self {
        self.services = services.into_iter().map(Into::into).collect();
        self
    }

    /// When the token stops working (default: never).
    pub fn expires_at(mut self, at: DateTime<Utc>) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// Whether the token may manage TLS (default: Fastly's, no).
    pub fn tls_access(mut self, allow: bool) -> Self {
        self.tls_access = Some(allow);
        self
    }

    /// Enter sudo mode with this password first, unless the client is still within a sudo
    /// window it entered (more than 30 s left). Without it, the create relies on a window
    /// entered earlier ([`Client::enter_sudo`]); Fastly answers 403 "You must POST /sudo"
    /// otherwise. `Debug` redacts the password.
    pub fn sudo(mut self, username: impl Into<String>, password: impl Into<SecretString>) -> Self {
        self.sudo = Some((username.into(), password.into()));
        self
    }

    /// Enters sudo if needed, then sends the create once (never retried: a retry could create
    /// a second token). Any 2xx answer counts; when it holds an `access_token` that the rest
    /// of the answer does not let decode, the secret is returned in
    /// [`Error::CreatedUndecoded`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] before sending for an empty name, no scopes, or a scope or role
    /// that is not one printable word; [`Error::Api`] 403 when the user is not a superuser or
    /// not in sudo mode, 400 `invalid_scope`, 422 for an expiry Fastly refuses; see [`Error`].
    pub async fn send(self) -> Result<CreatedAutomationToken, Error> {
        if self.name.trim().is_empty() {
            return Err(InvalidInput::new("token name", "it is empty").into());
        }
        let Some(scopes) = &self.scopes else {
            return Err(InvalidInput::new(
                "scopes",
                "none given; name at least one (there is no implicit `global`: ask for it explicitly if it is meant)",
            )
            .into());
        };
        scopes.check()?;
        if let Some(role) = &self.role {
            role.check()?;
        }
        let raw = self.client.keyed()?;
        if let Some((username, password)) = &self.sudo {
            let fresh = self
                .client
                .sudo_until()
                .is_some_and(|until| until - Utc::now() > SUDO_MARGIN);
            if !fresh {
                self.client
                    .enter_sudo(username, password.expose_secret().to_string())
                    .await?;
            }
        }
        let body = fastly_tokens_raw::types::CreateAutomationTokenRequest {
            name: self.name.into(),
            role: self.role.map(|r| r.as_str().to_string().into()),
            scope: Some(scopes.as_str().to_string().into()),
            services: self.services.iter().map(|s| s.as_str().into()).collect(),
            expires_at: self.expires_at.map(Into::into),
            tls_access: self.tls_access,
        };
        let answer = self
            .client
            .run(
                Op::CREATE_AUTOMATION_TOKEN,
                self.client.auth(),
                &[],
                || async { answer::accept_created(raw.create_automation_token(&body).await).await },
            )
            .await?;
        convert::created_automation(answer)
    }
}
