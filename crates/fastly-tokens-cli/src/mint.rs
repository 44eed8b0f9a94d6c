//! Minting: what a new token will be (name, scopes, services, expiry), the create call, and
//! revoking a token with its own key. Every command that makes a token builds its request
//! here, an answer that came back incomplete is handled here, and "revoke with its own key,
//! else by id with the caller's token" is written here, once.

use std::time::Duration;

use chrono::{DateTime, Utc};
use fastly_tokens::secrecy::{ExposeSecret as _, SecretString};
use fastly_tokens::{
    AutomationToken, AutomationTokenId, Error, RevokeOutcome, Role, Scope, ServiceId, Token,
    TokenId,
};

use crate::args::{AccessArgs, ExpiryArgs};
use crate::context::{Context, Login};
use crate::errors;
use crate::{ExitClass, Failure};

/// Shortest lifetime a new token may be given: an expiry closer than this is a mistake
/// (`--expires-in 0s`, a date in the past), not a token anyone can use.
pub(crate) const MIN_LIFETIME: Duration = Duration::from_secs(60);

/// What a new token will be.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub(crate) name: String,
    pub(crate) scopes: Vec<Scope>,
    pub(crate) services: Vec<ServiceId>,
    pub(crate) expires_at: Option<DateTime<Utc>>,
}

impl Spec {
    /// The token the flags describe: `--name`, `--scope`, `--service`, and its expiry.
    pub(crate) fn from_flags(
        ctx: &Context,
        name: String,
        access: &AccessArgs,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<Self, Failure> {
        Ok(Self {
            name,
            scopes: scopes(&access.scopes)?,
            services: services(ctx, &access.services)?,
            expires_at,
        })
    }
}

/// The expiry the `--expires-in`, `--expires-at` and `--no-expiry` flags ask for.
pub(crate) fn expiry_flags(
    now: DateTime<Utc>,
    flags: &ExpiryArgs,
) -> Result<Option<DateTime<Utc>>, Failure> {
    expiry(now, flags.expires_in, flags.expires_at, flags.no_expiry)
}

/// Who creates it, and how.
pub(crate) enum Request {
    /// A user token, with a password (and one-time code) or the API token in sudo mode.
    User(Login),
    /// An automation token: a superuser in sudo mode.
    Automation {
        role: Option<Role>,
        tls_access: bool,
        username: String,
        password: SecretString,
    },
}

/// The token as Fastly described it.
#[derive(Debug)]
pub(crate) enum NewToken {
    User(Token),
    Automation(AutomationToken),
}

/// A token the server created: its id (unknown only when the answer was incomplete), its
/// secret, and what is known of it.
pub(crate) struct Minted {
    pub(crate) id: Option<TokenId>,
    pub(crate) secret: SecretString,
    pub(crate) token: Option<NewToken>,
    pub(crate) automation: bool,
    /// Set when Fastly's answer did not fully decode: why. The token exists; its settings are
    /// not known.
    pub(crate) warning: Option<String>,
}

impl Minted {
    /// The id for messages: the id, or "(id unknown)".
    pub(crate) fn shown_id(&self) -> String {
        self.id
            .as_ref()
            .map_or_else(|| "(id unknown)".to_string(), ToString::to_string)
    }

    /// The command that revokes it by hand.
    pub(crate) fn revoke_hint(&self) -> String {
        match (&self.id, self.automation) {
            (Some(id), false) => format!("`fastly-tokens revoke {id} --yes`"),
            (Some(id), true) => format!("`fastly-tokens automation revoke {id} --yes`"),
            (None, _) => "`fastly-tokens list` to find it, then `revoke`".to_string(),
        }
    }
}

/// Sends the create. A create whose answer was lost (the token may exist) is a partial
/// failure that says so; an answer that did not fully decode still gives the secret, and the
/// token is returned with a warning.
pub(crate) async fn mint(ctx: &Context, spec: &Spec, request: Request) -> Result<Minted, Failure> {
    let (sent, password, automation) = match request {
        Request::User(login) => {
            let mut create = ctx
                .client
                .create_token(login.credentials)
                .name(spec.name.as_str())
                .scopes(spec.scopes.iter().cloned());
            if !spec.services.is_empty() {
                create = create.services(spec.services.iter().cloned());
            }
            if let Some(at) = spec.expires_at {
                create = create.expires_at(at);
            }
            if let Some(otp) = login.otp {
                create = create.otp(otp);
            }
            let sent = ctx.waiting(create.send()).await.map(|created| {
                let (token, secret) = created.into_parts();
                (token.id().clone(), secret, NewToken::User(token))
            });
            (sent, login.password, false)
        }
        Request::Automation {
            role,
            tls_access,
            username,
            password,
        } => {
            let mut create = ctx
                .client
                .create_automation_token(spec.name.as_str())
                .scopes(spec.scopes.iter().cloned())
                .sudo(username, password);
            if let Some(role) = role {
                create = create.role(role);
            }
            if !spec.services.is_empty() {
                create = create.services(spec.services.iter().cloned());
            }
            if let Some(at) = spec.expires_at {
                create = create.expires_at(at);
            }
            if tls_access {
                create = create.tls_access(true);
            }
            let sent = ctx.waiting(create.send()).await.map(|created| {
                let (token, secret) = created.into_parts();
                (
                    token.id().as_token_id(),
                    secret,
                    NewToken::Automation(token),
                )
            });
            (sent, false, true)
        }
    };
    match sent {
        Ok((id, secret, token)) => Ok(Minted {
            id: Some(id),
            secret,
            token: Some(token),
            automation,
            warning: None,
        }),
        Err(Error::CreatedUndecoded(partial)) => Ok(Minted {
            id: partial.token_id().cloned(),
            warning: Some(format!(
                "Fastly created the token but its answer was incomplete ({})",
                partial.reason()
            )),
            secret: partial.into_access_token(),
            token: None,
            automation,
        }),
        Err(e) => Err(errors::failure(&e, ctx.keys, password)),
    }
}

/// How a token was revoked: with its own key (`DELETE /tokens/self`), or by id with the
/// caller's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    OwnKey,
    ById,
}

impl Via {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Via::OwnKey => "self",
            Via::ById => "by-id",
        }
    }
}

/// Revokes the token whose secret is `key`: with the key itself, which works whatever the
/// caller's own rights are; when the key may not (a read-only token: 403) or no longer
/// authenticates (401), by id with the caller's token (a token already gone is
/// `AlreadyGone`).
pub(crate) async fn revoke_with_key(
    ctx: &Context,
    key: &SecretString,
    id: Option<&TokenId>,
    automation: bool,
) -> Result<(Via, RevokeOutcome), Failure> {
    let own = ctx.client_for(key)?;
    let with_own_key = |e: &fastly_tokens::Error| Failure {
        message: errors::message_doing(e, ctx.keys, false, "revoking the token with its own key"),
        ..ctx.fail(e)
    };
    match ctx.waiting(own.revoke_current_token()).await {
        Ok(()) => Ok((Via::OwnKey, RevokeOutcome::Revoked)),
        Err(e) if e.is_forbidden() || e.is_unauthorized() => {
            let Some(id) = id else {
                return Err(with_own_key(&e));
            };
            let outcome = if automation {
                let id: AutomationTokenId = id.as_str().parse().map_err(|e| ctx.fail(&e))?;
                ctx.call(ctx.client.revoke_automation_token(&id)).await?
            } else {
                ctx.call(ctx.client.revoke_token(id)).await?
            };
            Ok((Via::ById, outcome))
        }
        Err(e) => Err(with_own_key(&e)),
    }
}

/// Revokes a minted token (compensation, or the end of `exec`); the error says why not.
pub(crate) async fn revoke_minted(ctx: &Context, minted: &Minted) -> Result<Via, String> {
    revoke_with_key(ctx, &minted.secret, minted.id.as_ref(), minted.automation)
        .await
        .map(|(via, _)| via)
        .map_err(|f| f.message)
}

/// Whether a secret works and is the token it should be.
pub(crate) async fn verify(ctx: &Context, minted: &Minted) -> Result<(), String> {
    let client = ctx.client_for(&minted.secret).map_err(|f| f.message)?;
    match ctx.waiting(client.current_token()).await {
        Ok(t) if Some(t.id()) == minted.id.as_ref() => Ok(()),
        Ok(t) => Err(format!(
            "the new token {} authenticates as {}, not itself",
            minted.shown_id(),
            t.id()
        )),
        Err(e) => Err(match e.status() {
            Some(status) => format!(
                "the new token {} was created but does not work: checking it with its own \
                 secret was answered {status}",
                minted.shown_id()
            ),
            None => format!(
                "the new token {} was created but could not be checked ({})",
                minted.shown_id(),
                errors::message(&e, ctx.keys, false)
            ),
        }),
    }
}

/// The secret, for the one place each hand-off writes it.
pub(crate) fn expose(minted: &Minted) -> &str {
    minted.secret.expose_secret()
}

/// The expiry of a new token: exactly one of a lifetime, a time, or "never", and never less
/// than [`MIN_LIFETIME`] away.
pub(crate) fn expiry(
    now: DateTime<Utc>,
    expires_in: Option<Duration>,
    expires_at: Option<DateTime<Utc>>,
    no_expiry: bool,
) -> Result<Option<DateTime<Utc>>, Failure> {
    if no_expiry {
        return Ok(None);
    }
    let at = match (expires_in, expires_at) {
        (_, Some(at)) => at,
        (Some(d), None) => chrono::Duration::from_std(d)
            .ok()
            .and_then(|d| now.checked_add_signed(d))
            .ok_or_else(|| Failure::usage("the expiry is too far in the future"))?,
        (None, None) => {
            return Err(Failure::usage(
                "give the token an expiry with --expires-in (e.g. 90d) or --expires-at \
                 (RFC 3339), or ask for one that never expires with --no-expiry",
            ));
        }
    };
    let min = now + chrono::Duration::from_std(MIN_LIFETIME).unwrap_or_default();
    if at < min {
        return Err(Failure::usage(format!(
            "the expiry {} is in the past or less than a minute away; a new token must live at \
             least a minute",
            at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )));
    }
    Ok(Some(at))
}

/// `--service` values as validated ids.
pub(crate) fn services(ctx: &Context, values: &[String]) -> Result<Vec<ServiceId>, Failure> {
    values
        .iter()
        .map(|s| s.parse::<ServiceId>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ctx.fail(&e))
}

/// `--scope` values (each may hold several, space-separated); at least one.
pub(crate) fn scopes(values: &[String]) -> Result<Vec<Scope>, Failure> {
    let mut scopes = Vec::new();
    for value in values {
        for word in value.split_whitespace() {
            scopes.push(
                word.parse::<Scope>()
                    .map_err(|e| Failure::usage(e.to_string()))?,
            );
        }
    }
    if scopes.is_empty() {
        return Err(Failure {
            class: ExitClass::Usage,
            message: "at least one --scope is required (there is no default: Fastly's would be \
                      `global`)"
                .to_string(),
            ..Failure::default()
        });
    }
    Ok(scopes)
}
