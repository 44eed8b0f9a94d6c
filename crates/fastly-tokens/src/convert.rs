//! Every conversion from `fastly-tokens-raw` (and reqwest/progenitor) types into this crate's
//! public types lives here, so no foreign type leaks into the public API.

use fastly_tokens_raw::types as raw;

use crate::error::{ApiError, DecodeError, Error, InvalidInput, TransportError, TransportKind};
use crate::ids::{CustomerId, ServiceId, TokenId, UserId};
use crate::model::{CreatedToken, ScopeSet, Token};
use crate::ratelimit::RateLimit;

pub(crate) type RawError = fastly_tokens_raw::Error<raw::GenericTokenError>;

fn id<T>(
    operation: &'static str,
    field: &str,
    value: String,
    make: fn(String) -> Result<T, Error>,
) -> Result<T, Error> {
    make(value).map_err(|e| {
        Error::Decode(DecodeError::new(
            operation,
            Some(200),
            format!("field `{field}`: {e}"),
            b"",
        ))
    })
}

fn service_ids(operation: &'static str, values: Vec<String>) -> Result<Vec<ServiceId>, Error> {
    values
        .into_iter()
        .map(|v| id(operation, "services", v, ServiceId::new))
        .collect()
}

/// The fields both raw token types share, so one function builds a [`Token`] from either.
struct Fields {
    id: String,
    user_id: String,
    customer_id: Option<String>,
    name: String,
    scope: raw::TokenScope,
    services: Vec<String>,
    service_id: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: Option<chrono::DateTime<chrono::Utc>>,
    deleted_at: Option<chrono::DateTime<chrono::Utc>>,
    last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
    sudo_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    ip: Option<String>,
    user_agent: Option<String>,
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

fn build(operation: &'static str, t: Fields) -> Result<Token, Error> {
    Ok(Token {
        id: id(operation, "id", t.id, TokenId::new)?,
        user_id: id(operation, "user_id", t.user_id, UserId::new)?,
        customer_id: t
            .customer_id
            .map(|c| id(operation, "customer_id", c, CustomerId::new))
            .transpose()?,
        name: t.name,
        scope: ScopeSet::from_string(t.scope.0),
        services: service_ids(operation, t.services)?,
        service_id: t
            .service_id
            .map(|s| id(operation, "service_id", s, ServiceId::new))
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

pub(crate) fn token(operation: &'static str, t: raw::TokenResponse) -> Result<Token, Error> {
    build(operation, fields!(t, Some))
}

pub(crate) fn created(
    operation: &'static str,
    mut t: raw::TokenCreatedResponse,
) -> Result<CreatedToken, Error> {
    let access_token = secrecy::SecretString::from(std::mem::take(&mut t.access_token));
    let token = build(operation, fields!(t, |c| c))?;
    Ok(CreatedToken {
        token,
        access_token,
    })
}

pub(crate) fn transport(
    operation: &'static str,
    e: reqwest::Error,
    timeout: std::time::Duration,
) -> Error {
    if fastly_tokens_raw::is_body_too_large(&e) {
        return Error::Decode(DecodeError::new(
            operation,
            None,
            format!(
                "the body exceeds the {} MiB cap",
                fastly_tokens_raw::MAX_RESPONSE_BYTES / (1024 * 1024)
            ),
            b"",
        ));
    }
    let kind = if e.is_timeout() {
        TransportKind::Timeout
    } else if e.is_connect() {
        TransportKind::Connect
    } else {
        TransportKind::Interrupted
    };
    Error::Transport(TransportError {
        operation,
        kind,
        timeout: (kind == TransportKind::Timeout).then_some(timeout),
        source: Some(Box::new(e)),
    })
}

/// Turns any error of the generated client into this crate's [`Error`].
pub(crate) async fn error(
    operation: &'static str,
    e: RawError,
    timeout: std::time::Duration,
) -> Error {
    match e {
        RawError::ErrorResponse(rv) => {
            let status = rv.status().as_u16();
            let rate_limit = RateLimit::from_headers(rv.headers());
            let body = rv.into_inner();
            Error::from(ApiError {
                operation,
                status,
                message: body.msg,
                detail: body.detail,
                code: body.code,
                rate_limit,
                redirect_to: None,
            })
        }
        RawError::CommunicationError(e)
        | RawError::ResponseBodyError(e)
        | RawError::InvalidUpgrade(e) => transport(operation, e, timeout),
        // The raw crate replaces undecodable error bodies with `{}`, so a payload that does
        // not decode comes from a success status.
        RawError::InvalidResponsePayload(body, e) => Error::Decode(DecodeError::new(
            operation,
            None,
            format!("success response: {e}"),
            &body,
        )),
        RawError::UnexpectedResponse(response) => unexpected(operation, response, timeout).await,
        RawError::InvalidRequest(message) => {
            Error::InvalidInput(InvalidInput::new("request", message))
        }
        RawError::Custom(message) => Error::Transport(TransportError {
            operation,
            kind: TransportKind::Interrupted,
            timeout: None,
            source: Some(message.into()),
        }),
    }
}

/// A status the spec does not declare for this operation (5xx, 3xx, an odd 2xx...).
async fn unexpected(
    operation: &'static str,
    response: reqwest::Response,
    timeout: std::time::Duration,
) -> Error {
    let status = response.status().as_u16();
    let rate_limit = RateLimit::from_headers(response.headers());
    let redirect_to = response
        .status()
        .is_redirection()
        .then(|| {
            response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| response.url().join(l).ok())
                .and_then(|u| u.host_str().map(str::to_string))
        })
        .flatten();
    let mut response = response;
    let (body, _, broken) = fastly_tokens_raw::read_error_body(&mut response).await;
    // For an error status, the status is the news; for a success, a broken body is not.
    if let (Some(e), true) = (broken, status < 300) {
        return transport(operation, e, timeout);
    }
    if status < 300 {
        return Error::Decode(DecodeError::new(
            operation,
            Some(status),
            format!("status {status} is not one this operation answers with"),
            &body,
        ));
    }
    let parsed: Option<raw::GenericTokenError> = serde_json::from_slice(&body).ok();
    let (message, detail, code) = match parsed {
        Some(p) => (p.msg, p.detail, p.code),
        None => (None, None, None),
    };
    Error::from(ApiError {
        operation,
        status,
        message,
        detail,
        code,
        rate_limit,
        redirect_to,
    })
}
