//! What a handler answers ([`Reply`]: a status, a JSON body, the rate-limit charge), Fastly's
//! own messages, and how a reply becomes a response with any injected fault applied.

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use crate::faults::Fault;
use crate::state::Charge;

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
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
    pub(crate) fn no_content() -> Self {
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

pub(crate) fn render(reply: Reply, fault: Option<Fault>) -> Response {
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
