//! The `/tokens` family: the eight user-token operations with the real API's semantics
//! (who may see and revoke what, the bulk body, create with a password, an OTP or sudo).

use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::reply::{NOT_FOUND, READ_ONLY, Reply, UNAUTHORIZED};
use crate::state::{KNOWN_SCOPES, State, StoredToken, authenticate, new_access_token};

const BULK_CONTENT_TYPE: &str = "application/vnd.api+json; ext=bulk";

/// `/tokens...` and `/customer/{id}/tokens`; `segments` is the whole path.
pub(crate) fn route(
    state: &mut State,
    method: &str,
    segments: &[&str],
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    match (method, segments) {
        ("POST", ["tokens"]) => create(state, headers, body),
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
            let reply = match (m, segments) {
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
    if user.otp.is_some() {
        let sent = headers.get("fastly-otp").and_then(|v| v.to_str().ok());
        if !user.accepts_otp(sent, state.now()) {
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
