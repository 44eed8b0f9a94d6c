//! Request handling: the control API, then faults, then the route, and every request
//! recorded. Only the router lives here; each family answers in its own file (`tokens.rs`,
//! `automation.rs`), replies are built in `reply.rs`.
//!
//! Routing is one function matching (method, path) rather than axum's router: the fake must
//! answer unknown routes, wrong methods and fault injection uniformly, as Fastly would.

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::json;

use crate::faults::Fault;
use crate::reply::{Reply, render};
use crate::shared::{RecordedRequest, SharedState, lock, recorded_headers};
use crate::state::State;

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
        ("POST", ["sudo"]) => crate::automation::sudo(state, headers, body),
        (m, ["automation-tokens", ..]) => {
            crate::automation::route(state, m, &segments[1..], query, headers, body)
        }
        (m, ["tokens", ..] | ["customer", ..]) => {
            crate::tokens::route(state, m, &segments, headers, body)
        }
        _ => Reply::error(StatusCode::NOT_FOUND, "Not found"),
    }
}
