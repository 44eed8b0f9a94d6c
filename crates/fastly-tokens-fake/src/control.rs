//! The control API under `/__fake/`: what the Rust API offers ([`crate::FakeFastly::inject`],
//! `advance`, `requests`...), over HTTP, so tests in any language can drive the fake. See the
//! crate docs for each route.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::faults::Fault;
use crate::reply::Reply;
use crate::shared::{Shared, lock};

/// Where the control routes live.
pub(crate) const PREFIX: &str = "/__fake/";

#[derive(serde::Deserialize)]
struct FaultRequest {
    /// Answer this status instead of handling the request.
    status: Option<u16>,
    /// Wait this long, then answer normally.
    latency_ms: Option<u64>,
    /// Send the headers, then break the connection.
    #[serde(default)]
    drop_connection: bool,
    /// Send only the first half of the body.
    #[serde(default)]
    truncate_body: bool,
    /// Send a success whose `created_at` does not decode (a create keeps its secret).
    #[serde(default)]
    undecodable_body: bool,
    /// How many requests it applies to (default 1).
    times: Option<usize>,
    /// With `method` and `path_prefix`: matching requests to let through first (default 0).
    #[serde(default)]
    skip: usize,
    /// With `path_prefix`: only requests with this method and a path starting so.
    method: Option<String>,
    path_prefix: Option<String>,
}

fn bad(detail: impl Into<String>) -> Reply {
    Reply::json(
        StatusCode::BAD_REQUEST,
        json!({ "msg": "Bad control request", "detail": detail.into() }),
    )
}

pub(crate) fn handle(shared: &Shared, method: &Method, rest: &str, body: &[u8]) -> Reply {
    match (method.as_str(), rest.trim_end_matches('/')) {
        ("GET", "seed") => Reply::json(StatusCode::OK, shared.seed_json.clone()),
        ("POST", "faults") => {
            let request: FaultRequest = match serde_json::from_slice(body) {
                Ok(r) => r,
                Err(e) => return bad(format!("expected a fault object: {e}")),
            };
            let fault = match (
                request.status,
                request.latency_ms,
                request.drop_connection,
                request.truncate_body,
                request.undecodable_body,
            ) {
                (Some(s), None, false, false, false) if (100..=599).contains(&s) => {
                    Fault::Status(s)
                }
                (None, Some(ms), false, false, false) => Fault::Latency(Duration::from_millis(ms)),
                (None, None, true, false, false) => Fault::DropConnection,
                (None, None, false, true, false) => Fault::TruncateBody,
                (None, None, false, false, true) => Fault::UndecodableBody,
                _ => {
                    return bad(
                        "give exactly one of status (100-599), latency_ms, drop_connection, \
                         truncate_body, undecodable_body",
                    );
                }
            };
            let times = request.times.unwrap_or(1);
            let mut faults = lock(&shared.faults);
            match (request.method, request.path_prefix) {
                (Some(m), Some(p)) => faults.push_matching(&m, &p, request.skip, fault, times),
                (None, None) if request.skip == 0 => faults.push(fault, times),
                (None, None) => return bad("skip needs method and path_prefix"),
                _ => return bad("method and path_prefix go together"),
            }
            Reply::json(StatusCode::OK, json!({ "queued": times }))
        }
        ("DELETE", "faults") => {
            lock(&shared.faults).clear();
            Reply::json(StatusCode::OK, json!({ "cleared": true }))
        }
        ("GET", "clock") => clock(shared),
        ("POST", "clock") => {
            let seconds = serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|v| v.get("advance_seconds").and_then(Value::as_i64));
            match seconds {
                Some(s) if s >= 0 => {
                    lock(&shared.state).clock_offset += chrono::Duration::seconds(s);
                    clock(shared)
                }
                _ => bad("expected {\"advance_seconds\": N} with N >= 0"),
            }
        }
        ("GET", "requests") => Reply::json(
            StatusCode::OK,
            serde_json::to_value(lock(&shared.requests).clone()).unwrap_or_default(),
        ),
        ("DELETE", "requests") => {
            lock(&shared.requests).clear();
            Reply::json(StatusCode::OK, json!({ "cleared": true }))
        }
        ("POST", "rate-limits/reset") => {
            lock(&shared.state).reset_budgets();
            Reply::json(StatusCode::OK, json!({ "reset": true }))
        }
        _ => Reply::error(StatusCode::NOT_FOUND, "No such control route"),
    }
}

fn clock(shared: &Shared) -> Reply {
    let now = lock(&shared.state).now();
    Reply::json(
        StatusCode::OK,
        json!({ "now": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true) }),
    )
}
