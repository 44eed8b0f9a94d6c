//! Every conversion from `fastly-tokens-raw` types into this crate's public models lives here,
//! so no foreign type leaks into the public API. Each model has one field mapping that all of
//! its raw shapes go through ([`Fields`] for user tokens, [`AutoFields`] for automation tokens).

use chrono::{DateTime, Datelike, Utc};
use fastly_tokens_raw::ResponseValue;
use fastly_tokens_raw::types as raw;

use crate::answer::{CreateAnswer, reason_of, salvaged, undecoded};
use crate::automation::model::{AutomationToken, CreatedAutomationToken, Role};
use crate::error::{DecodeError, Error};
use crate::ids::{AutomationTokenId, CustomerId, ServiceId, TokenId, UserId};
use crate::model::{CreatedToken, Token};
use crate::op::Operation;
use crate::scope::ScopeSet;
use crate::text::Text;

fn id<T>(
    operation: Operation,
    field: &str,
    value: Text,
    make: fn(Text) -> Result<T, Error>,
) -> Result<T, Error> {
    let len = value.len();
    // The value is not quoted: it came from the server and could be anything.
    make(value).map_err(|_| {
        Error::Decode(DecodeError::new(
            operation,
            Some(200),
            format!("`{field}`: not a valid id (1-64 ASCII letters and digits)"),
            len,
        ))
    })
}

/// Service ids as Fastly lists them, validated.
pub(crate) fn service_list(
    operation: Operation,
    values: Vec<Text>,
) -> Result<Vec<ServiceId>, Error> {
    service_ids(operation, values)
}

fn service_ids(operation: Operation, values: Vec<Text>) -> Result<Vec<ServiceId>, Error> {
    values
        .into_iter()
        .map(|v| id(operation, "services", v, ServiceId::from_text))
        .collect()
}

/// The fields both raw token types share, so one function builds a [`Token`] from either.
struct Fields {
    id: Text,
    user_id: Text,
    customer_id: Option<Text>,
    name: Text,
    scope: Text,
    services: Vec<Text>,
    service_id: Option<Text>,
    created_at: DateTime<Utc>,
    updated_at: Option<DateTime<Utc>>,
    deleted_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    sudo_expires_at: Option<DateTime<Utc>>,
    ip: Option<Text>,
    user_agent: Option<Text>,
}

macro_rules! fields {
    ($t:expr, $customer_id:expr) => {{
        let t = $t;
        Fields {
            id: t.id,
            user_id: t.user_id,
            customer_id: $customer_id(t.customer_id),
            name: t.name,
            scope: t.scope,
            services: t.services,
            service_id: t.service_id,
            created_at: t.created_at.0,
            updated_at: t.updated_at.map(|t| t.0),
            deleted_at: t.deleted_at.map(|t| t.0),
            last_used_at: t.last_used_at.map(|t| t.0),
            expires_at: t.expires_at.map(|t| t.0),
            sudo_expires_at: t.sudo_expires_at.map(|t| t.0),
            ip: t.ip,
            user_agent: t.user_agent,
        }
    }};
}

fn build(operation: Operation, t: Fields) -> Result<Token, Error> {
    Ok(Token {
        id: id(operation, "id", t.id, TokenId::from_text)?,
        user_id: id(operation, "user_id", t.user_id, UserId::from_text)?,
        customer_id: t
            .customer_id
            .map(|c| id(operation, "customer_id", c, CustomerId::from_text))
            .transpose()?,
        name: t.name,
        scope: ScopeSet::from_text(t.scope),
        services: service_ids(operation, t.services)?,
        service_id: t
            .service_id
            .map(|s| id(operation, "service_id", s, ServiceId::from_text))
            .transpose()?,
        created_at: t.created_at,
        updated_at: t.updated_at,
        deleted_at: t.deleted_at,
        last_used_at: t.last_used_at,
        expires_at: t.expires_at,
        sudo_expires_at: t.sudo_expires_at,
        ip: t.ip,
        user_agent: t.user_agent,
    })
}

pub(crate) fn token(operation: Operation, t: raw::TokenResponse) -> Result<Token, Error> {
    build(operation, fields!(t, Some))
}

/// A listing: every token converted, or the first that fails.
pub(crate) fn tokens(
    operation: Operation,
    list: Vec<raw::TokenResponse>,
) -> Result<Vec<Token>, Error> {
    list.into_iter().map(|t| token(operation, t)).collect()
}

/// The public [`CreatedToken`] from a create's answer; never drops a secret the answer held.
pub(crate) fn created(
    answer: ResponseValue<CreateAnswer<raw::TokenCreatedResponse>>,
) -> Result<CreatedToken, Error> {
    const OP: Operation = Operation::CreateToken;
    let status = answer.status().as_u16();
    match answer.into_inner() {
        CreateAnswer::Token(t) => {
            let mut t = *t;
            let access_token =
                secrecy::SecretString::from(std::mem::take(&mut t.access_token).into_string());
            let token_id = TokenId::from_text(t.id.clone()).ok();
            match build(OP, fields!(t, |c| c)) {
                Ok(token) => Ok(CreatedToken {
                    token,
                    access_token,
                }),
                Err(e) => Err(salvaged(OP, status, token_id, reason_of(&e), access_token)),
            }
        }
        CreateAnswer::Undecoded { body, reason } => Err(undecoded(OP, status, &body, reason)),
    }
}

/// The fields every raw automation-token shape carries (or lacks), so one function builds an
/// [`AutomationToken`] from any of them. Times are already parsed; "unset" ones are dropped in
/// [`automation`].
struct AutoFields {
    id: Text,
    name: Text,
    role: Option<Role>,
    scope: Option<Text>,
    services: Option<Vec<Text>>,
    customer_id: Option<Text>,
    creator_id: Option<Text>,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    ip: Option<Text>,
    user_agent: Option<Text>,
    tls_access: Option<bool>,
    service_id: Option<Text>,
    sudo_expires_at: Option<DateTime<Utc>>,
}

fn automation(operation: Operation, t: AutoFields) -> Result<AutomationToken, Error> {
    let set = |t: Option<DateTime<Utc>>| t.filter(|t| !is_unset_time(t));
    Ok(AutomationToken {
        id: id(operation, "id", t.id, AutomationTokenId::from_text)?,
        name: t.name,
        role: t.role,
        scope: ScopeSet::from_text(t.scope.unwrap_or_default()),
        services: service_ids(operation, t.services.unwrap_or_default())?,
        customer_id: t
            .customer_id
            .map(|c| id(operation, "customer_id", c, CustomerId::from_text))
            .transpose()?,
        creator_id: t
            .creator_id
            .map(|c| id(operation, "creator_id", c, UserId::from_text))
            .transpose()?,
        created_at: t.created_at,
        last_used_at: set(t.last_used_at),
        expires_at: set(t.expires_at),
        ip: non_empty(t.ip),
        user_agent: non_empty(t.user_agent),
        tls_access: t.tls_access,
        service_id: t
            .service_id
            .map(|s| id(operation, "service_id", s, ServiceId::from_text))
            .transpose()?,
        sudo_expires_at: set(t.sudo_expires_at),
    })
}

/// An automation token from a list item (`scopes` string, `creator_id`, `tls_access`).
pub(crate) fn automation_item(
    operation: Operation,
    t: raw::AutomationTokenListItem,
) -> Result<AutomationToken, Error> {
    let fields = AutoFields {
        id: t.id,
        name: t.name,
        role: t.role.map(Role::from_wire),
        scope: t.scopes,
        services: t.services,
        customer_id: t.customer_id,
        creator_id: t.creator_id,
        created_at: t.created_at.0,
        last_used_at: t.last_used_at.map(|t| t.0),
        expires_at: t.expires_at.map(|t| t.0),
        ip: t.ip,
        user_agent: t.user_agent,
        tls_access: t.tls_access,
        service_id: t.service_id,
        sudo_expires_at: t.sudo_expires_at.map(|t| t.0),
    };
    automation(operation, fields)
}

/// An automation token from `GET /automation-tokens/{id}` (`scope`; no customer, creator or
/// TLS flag).
pub(crate) fn automation_token(
    operation: Operation,
    t: raw::AutomationTokenResponse,
) -> Result<AutomationToken, Error> {
    let fields = AutoFields {
        id: t.id,
        name: t.name,
        role: t.role.map(Role::from_wire),
        scope: t.scope,
        services: t.services,
        customer_id: None,
        creator_id: None,
        created_at: t.created_at.0,
        last_used_at: t.last_used_at.map(|t| t.0),
        expires_at: t.expires_at.map(|t| t.0),
        ip: t.ip,
        user_agent: t.user_agent,
        tls_access: None,
        service_id: None,
        sudo_expires_at: None,
    };
    automation(operation, fields)
}

/// A create answer's timestamp: `""` and year 1 are "unset"; anything else must be RFC 3339.
fn sentinel_time(
    operation: Operation,
    field: &str,
    value: Option<Text>,
) -> Result<Option<DateTime<Utc>>, Error> {
    let Some(value) = non_empty(value) else {
        return Ok(None);
    };
    let len = value.len();
    match value.parse::<fastly_tokens_raw::time::Timestamp>() {
        Ok(t) if is_unset_time(&t.0) => Ok(None),
        Ok(t) => Ok(Some(t.0)),
        Err(_) => Err(Error::Decode(DecodeError::new(
            operation,
            Some(200),
            format!("`{field}` has an invalid value, expected an RFC 3339 date-time string"),
            len,
        ))),
    }
}

/// The public [`CreatedAutomationToken`] from a create's answer; like [`created`], it never
/// drops a secret the answer held.
pub(crate) fn created_automation(
    answer: ResponseValue<CreateAnswer<raw::AutomationTokenCreatedResponse>>,
) -> Result<CreatedAutomationToken, Error> {
    const OP: Operation = Operation::CreateAutomationToken;
    let status = answer.status().as_u16();
    let mut t = match answer.into_inner() {
        CreateAnswer::Token(t) => *t,
        CreateAnswer::Undecoded { body, reason } => {
            return Err(undecoded(OP, status, &body, reason));
        }
    };
    let access_token =
        secrecy::SecretString::from(std::mem::take(&mut t.access_token).into_string());
    let token_id = TokenId::from_text(t.id.clone()).ok();
    let build = |t: raw::AutomationTokenCreatedResponse| -> Result<AutomationToken, Error> {
        let created_at = sentinel_time(OP, "created_at", t.created_at)?.ok_or_else(|| {
            Error::Decode(DecodeError::new(
                OP,
                Some(status),
                "field `created_at` is missing",
                0,
            ))
        })?;
        let fields = AutoFields {
            id: t.id,
            name: t.name,
            role: t.role.map(Role::from_wire),
            scope: t.scope,
            services: t.services,
            customer_id: t.customer_id,
            creator_id: None,
            created_at,
            last_used_at: sentinel_time(OP, "last_used_at", t.last_used_at)?,
            expires_at: sentinel_time(OP, "expires_at", t.expires_at)?,
            ip: t.ip,
            user_agent: t.user_agent,
            tls_access: t.tls_access,
            service_id: None,
            sudo_expires_at: None,
        };
        automation(OP, fields)
    };
    match build(t) {
        Ok(token) => Ok(CreatedAutomationToken {
            token,
            access_token,
        }),
        Err(e) => Err(salvaged(OP, status, token_id, reason_of(&e), access_token)),
    }
}

/// Fastly's "unset" timestamps in create answers: `""` (2025) and year 1 (2024). Any year-1
/// time means "unset": no token was used or expires in year 1.
fn is_unset_time(t: &DateTime<Utc>) -> bool {
    t.year() <= 1
}

/// `""` and absent are the same "unset" for strings of a create answer.
fn non_empty(s: Option<Text>) -> Option<Text> {
    s.filter(|s| !s.is_empty())
}
