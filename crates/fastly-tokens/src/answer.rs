//! Accepting what the server answered: which answers count as success (any 2xx for creates
//! and revokes), how a failure becomes this crate's [`Error`], and why a body did not decode,
//! said without quoting it.

use fastly_tokens_raw::ResponseValue;
use fastly_tokens_raw::types as raw;

use crate::error::{
    ApiError, CreatedUndecoded, DecodeError, Error, InvalidInput, Timeout, TransportError,
    TransportKind,
};
use crate::http::Auth;
use crate::ids::TokenId;
use crate::op::{Op, Operation};
use crate::ratelimit::RateLimit;
use crate::text::Text;

pub(crate) type RawError = fastly_tokens_raw::Error<raw::GenericTokenError>;

/// What a 2xx answer to a create held: the token (`T`, a generated created-token type), or
/// bytes that did not decode.
#[derive(Debug)]
pub(crate) enum CreateAnswer<T> {
    Token(Box<T>),
    Undecoded { body: bytes::Bytes, reason: String },
}

/// Any 2xx answer to a create is kept: Fastly answers 200, several of its SDK documents say
/// 201, and either way the token exists. An undecodable body is kept too, for
/// [`created`](crate::convert::created) to recover the secret from.
pub(crate) async fn accept_created<T: serde::de::DeserializeOwned>(
    result: Result<ResponseValue<T>, RawError>,
) -> Result<ResponseValue<CreateAnswer<T>>, RawError> {
    const OK: reqwest::StatusCode = reqwest::StatusCode::OK;
    match result {
        Ok(value) => {
            let (status, headers) = (value.status(), value.headers().clone());
            let token = CreateAnswer::Token(Box::new(value.into_inner()));
            Ok(ResponseValue::new(token, status, headers))
        }
        Err(RawError::InvalidResponsePayload(body, _)) => {
            let reason = decode_reason::<T>(&body);
            let answer = CreateAnswer::Undecoded { body, reason };
            Ok(ResponseValue::new(answer, OK, Default::default()))
        }
        Err(RawError::UnexpectedResponse(response)) if response.status().is_success() => {
            let (status, headers) = (response.status(), response.headers().clone());
            let body = response
                .bytes()
                .await
                .map_err(RawError::ResponseBodyError)?;
            let answer = match serde_json::from_slice::<T>(&body) {
                Ok(token) => CreateAnswer::Token(Box::new(token)),
                Err(_) => {
                    let reason = decode_reason::<T>(&body);
                    CreateAnswer::Undecoded { body, reason }
                }
            };
            Ok(ResponseValue::new(answer, status, headers))
        }
        Err(e) => Err(e),
    }
}

/// Any 2xx answer to a revoke means the token is gone: the spec says 204, a 200 (with any
/// body, which is not read) must not be reported as a failure of a revoke that happened.
#[allow(
    clippy::result_large_err,
    reason = "passes the generated client's own result through unchanged"
)]
pub(crate) fn accept_revoked(
    result: Result<ResponseValue<()>, RawError>,
) -> Result<ResponseValue<()>, RawError> {
    match result {
        Err(RawError::UnexpectedResponse(response)) if response.status().is_success() => Ok(
            ResponseValue::new((), response.status(), response.headers().clone()),
        ),
        other => other,
    }
}

/// A create's 2xx answer that did not decode: the secret in it, if any, goes to the caller in
/// [`Error::CreatedUndecoded`]; without one, a decode error that says a token may exist.
pub(crate) fn undecoded(operation: Operation, status: u16, body: &[u8], reason: String) -> Error {
    let value: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let mut value = value.unwrap_or_default();
    let secret = match value.get_mut("access_token").map(serde_json::Value::take) {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s),
        _ => None,
    };
    let token_id = value
        .get("id")
        .and_then(serde_json::Value::as_str)
        .and_then(|id| TokenId::new(id).ok());
    match secret {
        Some(secret) => salvaged(operation, status, token_id, reason, secret.into()),
        None => Error::Decode(DecodeError::new(
            operation,
            Some(status),
            reason,
            body.len(),
        )),
    }
}

pub(crate) fn reason_of(e: &Error) -> String {
    match e {
        Error::Decode(d) => d.reason().to_string(),
        other => other.to_string(),
    }
}

pub(crate) fn salvaged(
    operation: Operation,
    status: u16,
    token_id: Option<TokenId>,
    reason: String,
    access_token: secrecy::SecretString,
) -> Error {
    warn!(
        status,
        token_id = token_id.as_ref().map(TokenId::as_str),
        %reason,
        "a token was created but its answer did not decode; its secret is returned in the error"
    );
    Error::from(CreatedUndecoded {
        operation,
        status,
        token_id,
        reason,
        access_token,
    })
}

/// Why `body` does not decode as `T`, as a JSON path and a kind, never quoting the body.
///
/// serde_json's own messages quote the offending value (`invalid type: string "…"`), which may
/// be a secret, so they are not used: only their category, position, and the `expected …` part,
/// which comes from this crate's types.
pub(crate) fn decode_reason<T: serde::de::DeserializeOwned>(body: &[u8]) -> String {
    let de = &mut serde_json::Deserializer::from_slice(body);
    let error = match serde_path_to_error::deserialize::<_, T>(&mut *de) {
        Ok(_) => match de.end() {
            Ok(()) => return "the body decodes now; it failed while being read".to_string(),
            Err(e) => return describe_json_error("", &e),
        },
        Err(e) => e,
    };
    let path = safe_path(error.path());
    describe_json_error(&path, error.inner())
}

/// A path with only index segments and field names that look like this API's (lower-case
/// identifiers): an unknown key of a hostile body is not repeated.
fn safe_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } if is_field_name(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            _ => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push('?');
            }
        }
    }
    out
}

fn is_field_name(key: &str) -> bool {
    (1..=32).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

fn describe_json_error(path: &str, e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = format!("line {}, column {}", e.line(), e.column());
    match e.classify() {
        Category::Syntax => format!("not valid JSON: syntax error at {at}"),
        Category::Eof => format!("the JSON ends early, at {at}"),
        Category::Io => "the body could not be read".to_string(),
        Category::Data => {
            let message = e.to_string();
            let message = message
                .rsplit_once(" at line ")
                .map_or(message.as_str(), |(m, _)| m);
            let expected = message
                .rsplit_once(", expected ")
                .map(|(_, x)| x)
                .filter(|x| x.len() <= 80 && x.bytes().all(|b| b.is_ascii_graphic() || b == b' '));
            let place = if path.is_empty() {
                "the body".to_string()
            } else {
                format!("`{path}`")
            };
            if let Some(field) = message
                .strip_prefix("missing field `")
                .and_then(|f| f.strip_suffix('`'))
                .filter(|f| is_field_name(f))
            {
                let at = if path.is_empty() {
                    String::new()
                } else {
                    format!(" in `{path}`")
                };
                return format!("field `{field}` is missing{at}");
            }
            let kind = if message.starts_with("invalid type") {
                "has the wrong JSON type"
            } else {
                "has an invalid value"
            };
            match expected {
                Some(x) => format!("{place} {kind}, expected {x}"),
                None => format!("{place} {kind}"),
            }
        }
    }
}

/// Time limits in force for a call, to say which one ended it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) connect: std::time::Duration,
    pub(crate) attempt: std::time::Duration,
}

pub(crate) fn transport(
    operation: Operation,
    e: reqwest::Error,
    limits: Limits,
    attempts: u32,
) -> Error {
    if fastly_tokens_raw::is_body_too_large(&e) {
        return Error::Decode(DecodeError::new(
            operation,
            None,
            format!(
                "the body exceeds the {} MiB cap",
                fastly_tokens_raw::MAX_RESPONSE_BYTES / (1024 * 1024)
            ),
            fastly_tokens_raw::MAX_RESPONSE_BYTES,
        ));
    }
    let (kind, timeout) = if e.is_timeout() && e.is_connect() {
        (
            TransportKind::Timeout,
            Some(Timeout::Connect(limits.connect)),
        )
    } else if e.is_timeout() {
        (
            TransportKind::Timeout,
            Some(Timeout::Attempt(limits.attempt)),
        )
    } else if e.is_connect() {
        (TransportKind::Connect, None)
    } else {
        (TransportKind::Interrupted, None)
    };
    Error::Transport(TransportError {
        operation,
        kind,
        timeout,
        attempts,
        // reqwest's errors name the URL; the base URL holds no secret (the builder refuses
        // user info and queries), and the key travels in a header, never in the URL.
        source: Some(Box::new(e.without_url())),
    })
}

/// Turns any error of the generated client into this crate's [`Error`].
pub(crate) async fn error(op: Op, auth: Auth, e: RawError, limits: Limits, attempts: u32) -> Error {
    let operation = op.operation;
    match e {
        RawError::ErrorResponse(rv) => {
            let status = rv.status().as_u16();
            let rate_limit = RateLimit::from_headers(rv.headers());
            let body = rv.into_inner();
            Error::from(ApiError {
                operation,
                status,
                message: body.msg.map(Text::into_string),
                detail: body.detail.map(Text::into_string),
                code: body.code.map(Text::into_string),
                rate_limit,
                redirect_to: None,
                auth,
            })
        }
        RawError::CommunicationError(e)
        | RawError::ResponseBodyError(e)
        | RawError::InvalidUpgrade(e) => transport(operation, e, limits, attempts),
        // The raw crate replaces undecodable error bodies with `{}`, so a payload that does
        // not decode comes from a success status (the only one the spec lists: 200).
        RawError::InvalidResponsePayload(body, _) => Error::Decode(DecodeError::new(
            operation,
            Some(200),
            (op.decode_reason)(&body),
            body.len(),
        )),
        RawError::UnexpectedResponse(response) => {
            unexpected(operation, auth, response, limits, attempts).await
        }
        RawError::InvalidRequest(message) => {
            Error::InvalidInput(InvalidInput::new("request", message))
        }
        RawError::Custom(message) => Error::Transport(TransportError {
            operation,
            kind: TransportKind::Interrupted,
            timeout: None,
            attempts,
            source: Some(message.into()),
        }),
    }
}

/// A status the spec does not declare for this operation (5xx, 3xx, an odd 2xx...).
async fn unexpected(
    operation: Operation,
    auth: Auth,
    response: reqwest::Response,
    limits: Limits,
    attempts: u32,
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
        return transport(operation, e, limits, attempts);
    }
    if status < 300 {
        return Error::Decode(DecodeError::new(
            operation,
            Some(status),
            format!("status {status} is not one this operation answers with"),
            body.len(),
        ));
    }
    let (message, detail, code) = match fastly_tokens_raw::fastly_error(&body) {
        Some(p) => (
            p.msg.map(Text::into_string),
            p.detail.map(Text::into_string),
            p.code.map(Text::into_string),
        ),
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
        auth,
    })
}
