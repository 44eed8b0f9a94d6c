//! Property tests over everything the server controls: response bodies (token-shaped and
//! arbitrary), status codes, rate-limit header values, and the scope parser. 10,000 cases each
//! by default (`PROPTEST_CASES` overrides); the property is "a typed result, never a panic", plus
//! lossless round trips where they are promised.

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::convert;
use crate::model::ScopeSet;
use crate::ratelimit::RateLimit;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Timestamps in the formats Fastly uses, and broken ones.
fn timestamp() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        (0i64..4_102_444_800).prop_map(|s| json!(
            chrono::DateTime::from_timestamp(s, 0)
                .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        )),
        (0i64..4_102_444_800).prop_map(|s| json!(
            chrono::DateTime::from_timestamp(s, 0)
                .map(|t| t.format("%Y-%m-%dT%H:%M:%S.000Z").to_string())
        )),
        (0i64..4_102_444_800).prop_map(|s| json!(
            chrono::DateTime::from_timestamp(s, 0)
                .map(|t| t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string())
        )),
        ".{0,30}".prop_map(Value::String),
        any_json(),
    ]
}

fn id_like() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[A-Za-z0-9]{1,30}".prop_map(Value::String),
        ".{0,30}".prop_map(Value::String),
        any_json(),
    ]
}

/// Token-shaped objects: every field present, missing, null, mistyped or odd, plus extras.
fn token_json() -> impl Strategy<Value = Value> {
    (
        (id_like(), id_like(), prop::option::of(id_like()), ".{0,30}"),
        prop::option::of(prop_oneof![
            "[a-z:_ ]{0,40}".prop_map(Value::String),
            any_json()
        ]),
        prop::collection::vec(id_like(), 0..4),
        prop::option::of(id_like()),
        (timestamp(), timestamp(), timestamp(), timestamp()),
        prop::collection::btree_map("[a-z_]{1,10}", any_json(), 0..3),
    )
        .prop_map(
            |((id, user, customer, name), scope, services, service, times, extra)| {
                let mut obj = serde_json::Map::new();
                obj.insert("id".into(), id);
                obj.insert("user_id".into(), user);
                if let Some(c) = customer {
                    obj.insert("customer_id".into(), c);
                }
                obj.insert("name".into(), json!(name));
                if let Some(s) = scope {
                    obj.insert("scope".into(), s);
                }
                obj.insert("services".into(), Value::Array(services));
                if let Some(s) = service {
                    obj.insert("service_id".into(), s);
                }
                obj.insert("created_at".into(), times.0);
                obj.insert("last_used_at".into(), times.1);
                obj.insert("expires_at".into(), times.2);
                obj.insert("sudo_expires_at".into(), times.3);
                obj.insert(
                    "access_token".into(),
                    json!("FUZZfuzzFUZZfuzzFUZZfuzzFUZZfuzz"),
                );
                for (k, v) in extra {
                    obj.entry(k).or_insert(v);
                }
                Value::Object(obj)
            },
        )
}

/// Decodes like the client: generated types, then the public conversion.
fn decode(bytes: &[u8]) {
    if let Ok(t) = serde_json::from_slice::<fastly_tokens_raw::types::TokenResponse>(bytes) {
        let _ = convert::token("fuzz", t);
    }
    if let Ok(t) = serde_json::from_slice::<fastly_tokens_raw::types::TokenCreatedResponse>(bytes) {
        let _ = convert::created("fuzz", t);
    }
    if let Ok(list) = serde_json::from_slice::<Vec<fastly_tokens_raw::types::TokenResponse>>(bytes)
    {
        for t in list {
            let _ = convert::token("fuzz", t);
        }
    }
}

/// Turns a whole HTTP response into this crate's error, as the client does for statuses the
/// spec does not declare.
fn error_from(status: u16, remaining: &[u8], reset: &[u8], body: Vec<u8>) -> Option<crate::Error> {
    let mut builder = http::Response::builder().status(status);
    for (name, value) in [
        ("fastly-ratelimit-remaining", remaining),
        ("fastly-ratelimit-reset", reset),
    ] {
        if let Ok(v) = http::HeaderValue::from_bytes(value) {
            builder = builder.header(name, v);
        }
    }
    let response = reqwest::Response::from(builder.body(body).ok()?);
    let runtime = tokio::runtime::Builder::new_current_thread().build().ok()?;
    Some(runtime.block_on(convert::error(
        "fuzz",
        convert::RawError::UnexpectedResponse(response),
        std::time::Duration::from_secs(1),
    )))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn token_shaped_bodies_never_panic(value in token_json()) {
        let bytes = serde_json::to_vec(&value).unwrap_or_default();
        decode(&bytes);
        decode(&serde_json::to_vec(&json!([value])).unwrap_or_default());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        decode(&bytes);
    }

    #[test]
    fn scope_sets_round_trip(raw in "[ a-z:_\\t]{0,60}") {
        let set = ScopeSet::parse(&raw);
        prop_assert_eq!(set.to_string(), raw.clone());
        prop_assert_eq!(&ScopeSet::parse(&set.to_string()), &set);
        prop_assert_eq!(set.len(), raw.split_whitespace().count());
        let rebuilt = ScopeSet::from_scopes(set.iter().cloned());
        prop_assert_eq!(rebuilt.iter().collect::<Vec<_>>(), set.iter().collect::<Vec<_>>());
    }

    #[test]
    fn rate_limit_headers_never_panic(
        remaining in prop::collection::vec(any::<u8>(), 0..24),
        reset in prop::collection::vec(any::<u8>(), 0..24),
    ) {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Ok(v) = reqwest::header::HeaderValue::from_bytes(&remaining) {
            headers.insert("fastly-ratelimit-remaining", v);
        }
        if let Ok(v) = reqwest::header::HeaderValue::from_bytes(&reset) {
            headers.insert("fastly-ratelimit-reset", v);
        }
        if let Some(rl) = RateLimit::from_headers(&headers) {
            let _ = (rl.remaining(), rl.reset());
        }
    }

    #[test]
    fn any_status_headers_and_body_give_a_typed_error(
        status in 100u16..1000,
        remaining in "[0-9a-z-]{0,12}",
        reset in "[0-9 -]{0,22}",
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..256),
            any_json().prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        ],
    ) {
        if let Some(err) = error_from(status, remaining.as_bytes(), reset.as_bytes(), body) {
            // Display and Debug must not panic either, and the status is kept.
            let _ = (err.to_string(), format!("{err:?}"));
            if status >= 300 {
                prop_assert_eq!(err.status(), Some(status));
            }
        }
    }
}
