//! Request handling: the eight operations with the real API's semantics, then faults on top.
//!
//! Routing is one function matching (method, path) rather than axum's router: the fake must
//! answer unknown routes, wrong methods and fault injection uniformly, as Fastly would.

use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::faults::{Fault, Faults};
use crate::state::{Charge, State, StoredToken, new_access_token};

pub(crate) struct Shared {
    pub seed_json: Value,
    pub state: Mutex<State>,
    pub faults: Mutex<Faults>,
    pub requests: Mutex<Vec<RecordedRequest>>,
}

/// One request the fake received, for assertions in tests (the key is not kept).
#[derive(Debug, Clone, serde::Serialize)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The status answered.
    pub status: u16,
    /// The query string, if any (e.g. `page=2&per_page=100`).
    pub query: Option<String>,
    /// Every header as received, names in lower case, in order; the values of `Fastly-Key`,
    /// `Fastly-OTP`, `Authorization` and `Cookie` are `[REDACTED]`.
    pub headers: Vec<(String, String)>,
}

/// Headers whose values are secrets: recorded as `[REDACTED]`.
const SECRET_HEADERS: [&str; 4] = ["fastly-key", "fastly-otp", "authorization", "cookie"];

fn recorded_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let name = name.as_str().to_string();
            let value = if SECRET_HEADERS.contains(&name.as_str()) {
                "[REDACTED]".to_string()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name, value)
        })
        .collect()
}

pub(crate) type SharedState = Arc<Shared>;

/// Locks a mutex, recovering from poisoning: a panicking test must not wedge the fake for the
/// tests after it. The crate's one lock helper.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shared { .. }")
    }
}

pub(crate) struct Reply {
    status: StatusCode,
    body: Option<Value>,
    charge: Option<Charge>,
}

impl Reply {
    pub(crate) fn json(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
            charge: None,
        }
    }
    pub(crate) fn error(status: StatusCode, msg: &str) -> Self {
        Self::json(status, json!({ "msg": msg }))
    }
    fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            body: None,
            charge: None,
        }
    }
    pub(crate) fn charged(mut self, charge: Charge) -> Self {
        self.charge = Some(charge);
        self
    }
}

pub(crate) const UNAUTHORIZED: &str = "Provided credentials are missing or invalid";
pub(crate) const READ_ONLY: &str = "Read only tokens are not allowed to access this endpoint";
pub(crate) const NOT_FOUND: &str = "Token lookup failed.";
const BULK_CONTENT_TYPE: &str = "application/vnd.api+json; ext=bulk";

pub(crate) async fn handle(
    shared: SharedState,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // The control API is not part of the fake Fastly: no faults, not recorded.
    if let Some(rest) = uri.path().strip_prefix(crate::control::PREFIX) {
        return render(crate::control::handle(&shared, &method, rest, &body), None);
    }
    let fault = lock(&shared.faults).next(method.as_str(), uri.path());
    if let Some(Fault::Latency(d)) = &fault {
        tokio::time::sleep(*d).await;
    }
    let reply = match &fault {
        Some(Fault::Status(429)) => {
            // As Fastly answers a spent budget: nothing left until the hour's end.
            let now = lock(&shared.state).now().timestamp();
            Reply::json(
                StatusCode::TOO_MANY_REQUESTS,
                json!({ "msg": "injected fault" }),
            )
            .charged(crate::state::Charge {
                allowed: false,
                remaining: 0,
                reset: now - now.rem_euclid(3600) + 3600,
            })
        }
        Some(Fault::Status(status)) => Reply::json(
            StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            json!({ "msg": "injected fault" }),
        ),
        _ => {
            let mut state = lock(&shared.state);
            route(
                &mut state,
                &method,
                uri.path(),
                uri.query(),
                &headers,
                &body,
            )
        }
    };
    lock(&shared.requests).push(RecordedRequest {
        method: method.to_string(),
        path: uri.path().to_string(),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        status: reply.status.as_u16(),
        query: uri.query().map(str::to_string),
        headers: recorded_headers(&headers),
    });
    render(reply, fault)
}

fn render(reply: Reply, fault: Option<Fault>) -> Response {
    let mut builder = Response::builder()
        .status(reply.status)
        .header(header::CACHE_CONTROL, "no-store");
    if let Some(charge) = reply.charge {
        builder = builder
            .header("fastly-ratelimit-remaining", charge.remaining)
            .header("fastly-ratelimit-reset", charge.reset);
    }
    let bytes = match &reply.body {
        Some(v) => {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
            serde_json::to_vec(v).unwrap_or_default()
        }
        None => Vec::new(),
    };
    let body = match fault {
        Some(Fault::TruncateBody) => Body::from(bytes[..bytes.len() / 2].to_vec()),
        Some(Fault::UndecodableBody) if reply.status.is_success() => {
            let mut value = reply.body.clone().unwrap_or(Value::Null);
            if let Some(object) = value.as_object_mut() {
                object.insert("created_at".to_string(), json!("not a time"));
            }
            Body::from(serde_json::to_vec(&value).unwrap_or_default())
        }
        Some(Fault::DropConnection) => {
            // Headers go out, then the body stream fails: hyper aborts the connection. A 204
            // cannot carry a body to break, so it goes out as a 200 whose body never arrives.
            if reply.status == StatusCode::NO_CONTENT {
                builder = builder.status(StatusCode::OK);
            }
            let len = bytes.len().max(1);
            builder = builder.header(header::CONTENT_LENGTH, len);
            Body::from_stream(futures_util::stream::iter([Err::<Bytes, _>(
                std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected drop"),
            )]))
        }
        _ => Body::from(bytes),
    };
    builder.body(body).unwrap_or_else(|_| {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

fn route(
    state: &mut State,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    match (method.as_str(), segments.as_slice()) {
        ("POST", ["tokens"]) => create(state, headers, body),
        ("POST", ["sudo"]) => crate::automation::sudo(state, headers, body),
        (m, ["automation-tokens", ..]) => {
            crate::automation::route(state, m, &segments[1..], query, headers, body)
        }
        (m, ["tokens", rest @ ..]) | (m, ["customer", _, "tokens", rest @ ..])
            if rest.len() <= 1 && matches!(m, "GET" | "DELETE") =>
        {
            let Some(caller) = authenticate(state, headers) else {
                return Reply::error(StatusCode::UNAUTHORIZED, UNAUTHORIZED);
            };
            let is_write = m == "DELETE";
            let charge = if is_write {
                if caller.is_read_only() {
                    return Reply::error(StatusCode::FORBIDDEN, READ_ONLY);
                }
                let charge = state.charge(&caller.user_id);
                if !charge.allowed {
                    return Reply::error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded")
                        .charged(charge);
                }
                Some(charge)
            } else {
                None
            };
            let reply = match (m, segments.as_slice()) {
                ("GET", ["tokens", "self"]) => {
                    Reply::json(StatusCode::OK, state_token(state, &caller.id))
                }
                ("GET", ["tokens"]) => list(state, |t| {
                    t.user_id == caller.user_id && t.automation.is_none()
                }),
                ("GET", ["tokens", id]) => get(state, &caller, id),
                ("GET", ["customer", customer, "tokens"]) => {
                    customer_list(state, &caller, customer)
                }
                ("DELETE", ["tokens", "self"]) => {
                    revoke_ids(state, std::slice::from_ref(&caller.id));
                    Reply::no_content()
                }
                ("DELETE", ["tokens", id]) => revoke_one(state, &caller, id),
                ("DELETE", ["tokens"]) => bulk(state, &caller, headers, body),
                _ => Reply::error(StatusCode::NOT_FOUND, "Not found"),
            };
            match charge {
                Some(c) => reply.charged(c),
                None => reply,
            }
        }
        (_, ["tokens", ..]) | (_, ["customer", ..]) => {
            Reply::error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
        }
        _ => Reply::error(StatusCode::NOT_FOUND, "Not found"),
    }
}

fn state_token(state: &State, id: &str) -> Value {
    state
        .tokens
        .get(id)
        .map(StoredToken::to_json)
        .unwrap_or(Value::Null)
}

/// Resolves `Fastly-Key` and records the use (last used, IP, user agent), as Fastly does.
pub(crate) fn authenticate(state: &mut State, headers: &HeaderMap) -> Option<StoredToken> {
    let key = headers.get("fastly-key")?.to_str().ok()?;
    let id = state.resolve(key)?.id.clone();
    let now = state.now();
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let token = state.tokens.get_mut(&id)?;
    token.last_used_at = Some(now);
    token.ip = Some("127.0.0.1".to_string());
    token.user_agent = user_agent;
    Some(token.clone())
}

fn list(state: &State, keep: impl Fn(&StoredToken) -> bool) -> Reply {
    let now = state.now();
    let tokens: Vec<Value> = state
        .tokens
        .values()
        .filter(|t| !t.revoked && keep(t))
        // Expired tokens are still listed by Fastly until they are cleaned up.
        .filter(|t| {
            t.expires_at
                .is_none_or(|at| at > now - chrono::Duration::days(30))
        })
        .map(StoredToken::to_json)
        .collect();
    Reply::json(StatusCode::OK, Value::Array(tokens))
}

fn may_act_on(state: &State, caller: &StoredToken, token: &StoredToken) -> bool {
    token.user_id == caller.user_id || state.user(&caller.user_id).is_some_and(|u| u.is_superuser)
}

fn get(state: &State, caller: &StoredToken, id: &str) -> Reply {
    match state.tokens.get(id) {
        // Automation tokens have routes of their own (an assumption: no source says what
        // `/tokens/{id}` answers for one).
        Some(t) if !t.revoked && t.automation.is_none() && may_act_on(state, caller, t) => {
            Reply::json(StatusCode::OK, t.to_json())
        }
        _ => Reply::error(StatusCode::NOT_FOUND, NOT_FOUND),
    }
}

fn customer_list(state: &State, caller: &StoredToken, customer: &str) -> Reply {
    let allowed = state
        .user(&caller.user_id)
        .is_some_and(|u| u.is_superuser || (u.is_admin && u.customer_id == customer));
    if !allowed {
        return Reply::error(
            StatusCode::FORBIDDEN,
            "You are not authorized to perform this action",
        );
    }
    list(state, |t| {
        t.customer_id == customer && t.automation.is_none()
    })
}

fn revoke_ids(state: &mut State, ids: &[String]) {
    for id in ids {
        if let Some(t) = state.tokens.get_mut(id) {
            t.revoked = true;
            state.by_hash.remove(&t.key_hash);
        }
    }
}

/// Fastly's refusal to revoke another user's token.
fn not_yours() -> Reply {
    Reply::error(
        StatusCode::FORBIDDEN,
        "Users may only revoke their own tokens",
    )
}

fn revoke_one(state: &mut State, caller: &StoredToken, id: &str) -> Reply {
    match state.tokens.get(id) {
        Some(t) if !t.revoked => {
            if !may_act_on(state, caller, t) {
                return not_yours();
            }
            revoke_ids(state, &[id.to_string()]);
            Reply::no_content()
        }
        _ => Reply::error(StatusCode::NOT_FOUND, NOT_FOUND),
    }
}

fn bulk(state: &mut State, caller: &StoredToken, headers: &HeaderMap, body: &[u8]) -> Reply {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let normalized: String = content_type
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if !normalized.eq_ignore_ascii_case("application/vnd.api+json;ext=bulk") {
        return Reply::json(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            json!({ "msg": "Unsupported media type", "detail": format!("expected {BULK_CONTENT_TYPE}") }),
        );
    }
    let ids: Option<Vec<String>> = serde_json::from_slice::<Value>(body).ok().and_then(|doc| {
        doc.get("data")?
            .as_array()?
            .iter()
            .map(|item| {
                (item.get("type")?.as_str()? == "token")
                    .then(|| item.get("id")?.as_str().map(str::to_string))
                    .flatten()
            })
            .collect()
    });
    let Some(ids) = ids else {
        return Reply::json(
            StatusCode::BAD_REQUEST,
            json!({ "msg": "Bad request", "detail": "expected {\"data\":[{\"type\":\"token\",\"id\":\"...\"}]}" }),
        );
    };
    // All or nothing, so a refused request changes no state.
    for id in &ids {
        match state.tokens.get(id) {
            Some(t) if !t.revoked => {
                if !may_act_on(state, caller, t) {
                    return not_yours();
                }
            }
            _ => {
                return Reply::json(
                    StatusCode::BAD_REQUEST,
                    json!({ "msg": "Token revocation error.", "detail": format!("token {id} not found") }),
                );
            }
        }
    }
    revoke_ids(state, &ids);
    Reply::no_content()
}

pub(crate) const KNOWN_SCOPES: [&str; 4] = ["global", "global:read", "purge_select", "purge_all"];

fn create(state: &mut State, headers: &HeaderMap, body: &[u8]) -> Reply {
    let Ok(form) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) else {
        return Reply::json(
            StatusCode::BAD_REQUEST,
            json!({ "msg": "Bad request", "code": "invalid_request" }),
        );
    };
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let (mut username, mut password) = (field("username"), field("password"));
    if username.is_none()
        && let Some((u, p)) = basic_auth(headers)
    {
        (username, password) = (Some(u), Some(p));
    }
    let key_holder = headers
        .get("fastly-key")
        .and_then(|v| v.to_str().ok())
        .and_then(|k| state.resolve(k).cloned());
    let user = match (&username, &password) {
        (Some(u), Some(p)) => match state
            .users
            .iter()
            .find(|x| &x.login == u && &x.password == p)
        {
            Some(user) => user.clone(),
            None => {
                return Reply::json(
                    StatusCode::BAD_REQUEST,
                    json!({ "msg": "Invalid username or password", "code": "invalid_grant" }),
                );
            }
        },
        _ => {
            return match key_holder {
                // Fastly requires sudo (a password) to create a token with a token.
                Some(_) => Reply::error(
                    StatusCode::FORBIDDEN,
                    "You must POST /sudo to access this endpoint",
                ),
                None => Reply::error(StatusCode::UNAUTHORIZED, UNAUTHORIZED),
            };
        }
    };
    let charge = state.charge(&user.id);
    if !charge.allowed {
        return Reply::error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded").charged(charge);
    }
    if let Some(expected) = &user.otp {
        let sent = headers.get("fastly-otp").and_then(|v| v.to_str().ok());
        if sent != Some(expected.as_str()) {
            return Reply::json(
                StatusCode::BAD_REQUEST,
                json!({ "msg": "Invalid one-time password", "code": "2fa.verify" }),
            )
            .charged(charge);
        }
    }
    let scope = field("scope").unwrap_or_else(|| "global".to_string());
    if scope.split_whitespace().next().is_none()
        || scope.split_whitespace().any(|s| !KNOWN_SCOPES.contains(&s))
    {
        return Reply::json(
            StatusCode::BAD_REQUEST,
            json!({ "msg": "Invalid scope", "code": "invalid_scope" }),
        )
        .charged(charge);
    }
    let expires_at = match field("expires_at") {
        None => None,
        Some(raw) => match DateTime::parse_from_rfc3339(&raw) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => {
                return Reply::error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "The format of the date and time supplied to the `expires_at` parameter is invalid.",
                )
                .charged(charge);
            }
        },
    };
    let services: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "services[]")
        .map(|(_, v)| v.clone())
        .collect();
    let name = field("name").unwrap_or_else(|| "token".to_string());
    let access_token = new_access_token();
    let now = state.now();
    let token = state.insert(StoredToken::new(
        &user,
        &access_token,
        &name,
        &scope,
        services,
        now,
        expires_at,
    ));
    Reply::json(StatusCode::OK, token.to_created_json(&access_token)).charged(charge)
}

fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}
