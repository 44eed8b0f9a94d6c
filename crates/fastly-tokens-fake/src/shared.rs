//! What every request shares: the state, the fault queue and the record of requests, behind
//! one lock helper.

use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use serde_json::Value;

use crate::faults::Faults;
use crate::state::State;

pub(crate) struct Shared {
    pub seed_json: Value,
    pub state: Mutex<State>,
    pub faults: Mutex<Faults>,
    pub requests: Mutex<Vec<RecordedRequest>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shared { .. }")
    }
}

pub(crate) type SharedState = Arc<Shared>;

/// Locks a mutex, recovering from poisoning: a panicking test must not wedge the fake for the
/// tests after it. The crate's one lock helper.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
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

pub(crate) fn recorded_headers(headers: &HeaderMap) -> Vec<(String, String)> {
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
