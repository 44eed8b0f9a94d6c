//! `create_token`: credentials and the request builder.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use crate::answer;
use crate::client::Client;
use crate::convert;
use crate::error::{Error, InvalidInput};
use crate::http::Auth;
use crate::ids::ServiceId;
use crate::model::CreatedToken;
use crate::op::{Op, Operation};
use crate::scope::ScopeSet;
use fastly_tokens_raw::types as raw;

impl Op {
    pub(crate) const CREATE_TOKEN: Op = Op::new(
        Operation::CreateToken,
        answer::decode_reason::<raw::TokenCreatedResponse>,
    )
    .rate_limited();
}

/// How to authenticate a token creation.
///
/// Fastly creates tokens for a user who proves who they are: with the account's user name and
/// password (the usual way, sent as form fields, no API key), or with an API token of a user in
/// sudo mode. Accounts with two-factor authentication also need
/// [`otp`](CreateTokenBuilder::otp).
#[derive(Debug, Clone)]
pub struct Credentials(Kind);

#[derive(Debug, Clone)]
enum Kind {
    Password {
        username: String,
        password: SecretString,
    },
    ApiToken,
}

impl Credentials {
    /// The account's user name (email) and password. `Debug` redacts the password.
    pub fn password(username: impl Into<String>, password: impl Into<SecretString>) -> Self {
        Self(Kind::Password {
            username: username.into(),
            password: password.into(),
        })
    }

    /// The client's own API token (`Fastly-Key`). Fastly answers 403 "You must POST /sudo to
    /// access this endpoint" unless the user is in sudo mode.
    pub fn api_token() -> Self {
        Self(Kind::ApiToken)
    }
}

/// Builder for [`Client::create_token`]. [`scopes`](Self::scopes) is required: Fastly would
/// default to `global` (full access), and this crate never grants that implicitly. The other
/// fields are optional: Fastly's defaults apply (all services, no expiry).
#[derive(Debug)]
#[must_use = "call .send().await to create the token"]
pub struct CreateTokenBuilder<'a> {
    client: &'a Client,
    credentials: Credentials,
    name: Option<String>,
    scopes: Option<ScopeSet>,
    services: Vec<ServiceId>,
    expires_at: Option<DateTime<Utc>>,
    otp: Option<SecretString>,
}

impl<'a> CreateTokenBuilder<'a> {
    pub(crate) fn new(client: &'a Client, credentials: Credentials) -> Self {
        Self {
            client,
            credentials,
            name: None,
            scopes: None,
            services: Vec::new(),
            expires_at: None,
            otp: None,
        }
    }

    /// The token's name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Its scopes, sent space-delimited. Required: there is no default scope. Each must be one
    /// printable word; [`Scope::Other`](crate::Scope::Other) with whitespace is refused before sending.
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

    /// The current one-time code, for accounts with two-factor authentication (sent as the
    /// `Fastly-OTP` header). `Debug` redacts it.
    pub fn otp(mut self, code: impl Into<SecretString>) -> Self {
        self.otp = Some(code.into());
        self
    }

    /// Sends the request once (never retried: a retry could create a second token).
    ///
    /// Any 2xx answer counts: Fastly answers 200, some of its SDK documents say 201. When the
    /// answer holds an `access_token` but the rest cannot be decoded, the secret is returned in
    /// [`Error::CreatedUndecoded`] rather than dropped.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] before sending for no scopes (there is no implicit `global`), a
    /// scope that is not one printable word, an empty name, user name or password, or an OTP
    /// that is not 4-10 digits; [`Error::Api`] with 400 and [`code`](crate::ApiError::code)
    /// `2fa.verify` for a missing or wrong OTP; 400 `invalid_scope` or 422 for a scope or
    /// expiry Fastly refuses; [`Error::CreatedUndecoded`] as above; see [`Error`] for the rest.
    /// A timeout or broken connection after the request was sent says the token may exist.
    pub async fn send(self) -> Result<CreatedToken, Error> {
        if self.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
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
        if let Some(otp) = &self.otp {
            let otp = otp.expose_secret();
            // The message never repeats the code.
            if !(4..=10).contains(&otp.len()) || !otp.bytes().all(|b| b.is_ascii_digit()) {
                return Err(
                    InvalidInput::new("one-time password", "it must be 4-10 digits").into(),
                );
            }
        }
        let mut form = fastly_tokens_raw::form::CreateTokenRequest {
            name: self.name,
            scope: Some(scopes.as_str().to_string()),
            services: self
                .services
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
            expires_at: self.expires_at,
            username: None,
            password: None,
        };
        let (raw, auth) = match &self.credentials.0 {
            Kind::Password { username, password } => {
                if username.trim().is_empty() {
                    return Err(InvalidInput::new("user name", "it is empty").into());
                }
                if password.expose_secret().is_empty() {
                    return Err(InvalidInput::new("password", "it is empty").into());
                }
                form.username = Some(username.clone());
                form.password = Some(password.expose_secret().to_string());
                (self.client.anonymous()?, Auth::Password)
            }
            Kind::ApiToken => (self.client.keyed()?, self.client.auth()),
        };
        let otp = self.otp.as_ref().map(|o| o.expose_secret());
        let password = form.password.clone().map(SecretString::from);
        let secrets: Vec<&str> = otp
            .into_iter()
            .chain(password.as_ref().map(|p| p.expose_secret()))
            .collect();
        let result = self
            .client
            .run(Op::CREATE_TOKEN, auth, &secrets, || async {
                answer::accept_created(raw.create_token(otp, &form).await).await
            })
            .await;
        // The form held a plain copy of the password; wipe it now rather than when freed.
        if let Some(password) = form.password.as_mut() {
            secrecy::zeroize::Zeroize::zeroize(password);
        }
        convert::created(result?)
    }
}
