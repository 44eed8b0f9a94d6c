//! Automation tokens and sudo mode: `GET/POST /automation-tokens`, `GET
//! /automation-tokens/{id}[/services]` and `POST /sudo`, as the 2025 recordings show them.
//!
//! Where no source says what Fastly does, the fake picks the plausible answer and says so:
//! `per_page` defaults to [`DEFAULT_PER_PAGE`] and is capped at [`MAX_PER_PAGE`]; a page past
//! the last is empty; an unknown id is 404 with `Token lookup failed.`; listing needs a
//! superuser or an admin of the customer; a wrong sudo password is 400 `invalid_grant`.

use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::reply::{NOT_FOUND, READ_ONLY, Reply, UNAUTHORIZED};
use crate::state::{Automation, KNOWN_SCOPES, State, StoredToken, authenticate, new_access_token};

/// Items per page when the request names none (undocumented by Fastly; the fake's choice).
pub const DEFAULT_PER_PAGE: usize = 20;
/// Largest page served; a larger `per_page` is capped (undocumented by Fastly; 100 works).
pub const MAX_PER_PAGE: usize = 100;
/// How long `POST /sudo` lasts (recorded: five minutes).
const SUDO_WINDOW: chrono::Duration = chrono::Duration::minutes(5);
const MUST_SUDO: &str = "You must POST /sudo to access this endpoint";

fn query_number(query: Option<&str>, name: &str) -> Result<Option<usize>, Reply> {
    let Some(query) = query else {
        return Ok(None);
    };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    match pairs.iter().find(|(k, _)| k == name) {
        None => Ok(None),
        Some((_, v)) => match v.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(Some(n)),
            _ => Err(Reply::json(
                StatusCode::BAD_REQUEST,
                json!({ "msg": "Bad request", "detail": format!("{name} must be a positive integer") }),
            )),
        },
    }
}

pub(crate) fn route(
    state: &mut State,
    method: &str,
    rest: &[&str],
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    let Some(caller) = authenticate(state, headers) else {
        return Reply::error(StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    };
    let result = match (method, rest) {
        ("GET", []) => list(state, &caller, query),
        ("POST", []) => create(state, &caller, headers, body),
        ("GET", [id]) => {
            find(state, &caller, id).map(|t| Reply::json(StatusCode::OK, t.to_automation_json()))
        }
        ("GET", [id, "services"]) => services(state, &caller, id, query),
        _ => Err(Reply::error(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
        )),
    };
    result.unwrap_or_else(|reply| reply)
}

fn may_list(state: &State, caller: &StoredToken) -> bool {
    state
        .user(&caller.user_id)
        .is_some_and(|u| u.is_superuser || (u.is_admin && u.customer_id == caller.customer_id))
}

fn list(state: &State, caller: &StoredToken, query: Option<&str>) -> Result<Reply, Reply> {
    if !may_list(state, caller) {
        return Err(Reply::error(
            StatusCode::FORBIDDEN,
            "You are not authorized to perform this action",
        ));
    }
    let page = query_number(query, "page")?.unwrap_or(1);
    let per_page = query_number(query, "per_page")?
        .unwrap_or(DEFAULT_PER_PAGE)
        .min(MAX_PER_PAGE);
    let all: Vec<&StoredToken> = state
        .tokens
        .values()
        .filter(|t| !t.revoked && t.automation.is_some() && t.customer_id == caller.customer_id)
        .collect();
    let data: Vec<Value> = all
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(|t| t.to_automation_list_json())
        .collect();
    Ok(Reply::json(
        StatusCode::OK,
        json!({
            "data": data,
            "meta": {
                "per_page": per_page,
                "current_page": page,
                "record_count": all.len(),
                "total_pages": all.len().div_ceil(per_page),
            }
        }),
    ))
}

fn find<'s>(state: &'s State, caller: &StoredToken, id: &str) -> Result<&'s StoredToken, Reply> {
    match state.tokens.get(id) {
        Some(t) if !t.revoked && t.automation.is_some() && t.customer_id == caller.customer_id => {
            Ok(t)
        }
        _ => Err(Reply::error(StatusCode::NOT_FOUND, NOT_FOUND)),
    }
}

fn services(
    state: &State,
    caller: &StoredToken,
    id: &str,
    query: Option<&str>,
) -> Result<Reply, Reply> {
    let token = find(state, caller, id)?;
    let page = query_number(query, "page")?.unwrap_or(1);
    let per_page = query_number(query, "per_page")?
        .unwrap_or(DEFAULT_PER_PAGE)
        .min(MAX_PER_PAGE);
    let data: Vec<&String> = token
        .services
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .collect();
    Ok(Reply::json(StatusCode::OK, json!({ "data": data })))
}

/// `POST /sudo`: the key's user re-enters their password; sudo lasts five minutes.
pub(crate) fn sudo(state: &mut State, headers: &HeaderMap, body: &[u8]) -> Reply {
    let Some(caller) = authenticate(state, headers) else {
        return Reply::error(StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    };
    let charge = state.charge(&caller.user_id);
    if !charge.allowed {
        return Reply::error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded").charged(charge);
    }
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let Some(user) = state.user(&caller.user_id).cloned() else {
        return Reply::error(StatusCode::UNAUTHORIZED, UNAUTHORIZED).charged(charge);
    };
    if field("username") != Some(user.login.as_str())
        || field("password") != Some(user.password.as_str())
    {
        return Reply::json(
            StatusCode::BAD_REQUEST,
            json!({ "msg": "Invalid username or password", "code": "invalid_grant" }),
        )
        .charged(charge);
    }
    let until = state.now() + SUDO_WINDOW;
    state.sudo_until.insert(user.id.clone(), until);
    Reply::json(
        StatusCode::OK,
        json!({ "expiry_time": until.format("%Y-%m-%dT%H:%M:%S+00:00").to_string() }),
    )
    .charged(charge)
}

#[derive(serde::Deserialize)]
struct CreateBody {
    name: Option<String>,
    role: Option<String>,
    scope: Option<String>,
    services: Option<Vec<String>>,
    expires_at: Option<String>,
    tls_access: Option<bool>,
}

fn create(
    state: &mut State,
    caller: &StoredToken,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Reply, Reply> {
    if caller.is_read_only() {
        return Err(Reply::error(StatusCode::FORBIDDEN, READ_ONLY));
    }
    let charge = state.charge(&caller.user_id);
    if !charge.allowed {
        return Err(
            Reply::error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded").charged(charge),
        );
    }
    let Some(user) = state.user(&caller.user_id).cloned() else {
        return Err(Reply::error(StatusCode::UNAUTHORIZED, UNAUTHORIZED));
    };
    if !user.is_superuser {
        return Err(Reply::error(
            StatusCode::FORBIDDEN,
            "Only superusers may create automation tokens",
        ));
    }
    if user.otp.is_some() {
        return Err(Reply::error(
            StatusCode::FORBIDDEN,
            "Automation tokens cannot be created on accounts with two-factor authentication",
        ));
    }
    let now = state.now();
    if state
        .sudo_until
        .get(&user.id)
        .is_none_or(|until| *until <= now)
    {
        return Err(Reply::error(StatusCode::FORBIDDEN, MUST_SUDO));
    }
    let is_json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    let parsed: Option<CreateBody> = is_json.then(|| serde_json::from_slice(body).ok()).flatten();
    let Some(request) = parsed.filter(|r| r.name.as_deref().is_some_and(|n| !n.trim().is_empty()))
    else {
        return Err(Reply::json(
            StatusCode::BAD_REQUEST,
            json!({ "msg": "Bad request", "code": "invalid_request", "detail": "a JSON body with a name" }),
        ));
    };
    let scope = request.scope.unwrap_or_else(|| "global".to_string());
    if scope.split_whitespace().next().is_none()
        || scope.split_whitespace().any(|s| !KNOWN_SCOPES.contains(&s))
    {
        return Err(Reply::json(
            StatusCode::BAD_REQUEST,
            json!({ "msg": "Invalid scope", "code": "invalid_scope" }),
        ));
    }
    let expires_at = match request.expires_at.as_deref() {
        None | Some("") => None,
        Some(raw) => match DateTime::parse_from_rfc3339(raw) {
            Ok(t) if t.with_timezone(&Utc) > now => Some(t.with_timezone(&Utc)),
            _ => {
                return Err(Reply::json(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!({ "msg": "Unprocessable entity", "detail": "expires_at must be a future RFC 3339 time" }),
                ));
            }
        },
    };
    let key = new_access_token();
    let mut token = StoredToken::new(
        &user,
        &key,
        request.name.as_deref().unwrap_or_default(),
        &scope,
        request.services.unwrap_or_default(),
        now,
        expires_at,
    );
    token.automation = Some(Automation {
        role: request.role.unwrap_or_else(|| "engineer".to_string()),
        tls_access: request.tls_access.unwrap_or(false),
    });
    let created = state.insert(token).to_automation_created_json(&key);
    // The 2025 recording of this answer carries no rate-limit headers (the 2024 one did).
    Ok(Reply::json(StatusCode::OK, created))
}
