//! Property tests (proptest, not coverage-guided fuzzing) over everything the server controls: response bodies (token-shaped and
//! arbitrary), status codes, rate-limit header values, and the scope parser. 10,000 cases each
//! by default (`PROPTEST_CASES` overrides); the property is "a typed result, never a panic", plus
//! lossless round trips where they are promised.

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::answer;
use crate::convert;
use crate::http::Auth;
use crate::op::{Op, Operation};
use crate::ratelimit::RateLimit;
use crate::scope::ScopeSet;

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
        let _ = convert::token(Operation::GetToken, t);
    }
    let _ = create_outcome(200, bytes.to_vec());
    if let Ok(list) = serde_json::from_slice::<Vec<fastly_tokens_raw::types::TokenResponse>>(bytes)
    {
        for t in list {
            let _ = convert::token(Operation::GetToken, t);
        }
    }
}

fn runtime() -> Option<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().build().ok()
}

fn response(status: u16, headers: &[(&str, &[u8])], body: Vec<u8>) -> Option<reqwest::Response> {
    let mut builder = http::Response::builder().status(status);
    for (name, value) in headers {
        if let Ok(v) = http::HeaderValue::from_bytes(value) {
            builder = builder.header(*name, v);
        }
    }
    Some(reqwest::Response::from(builder.body(body).ok()?))
}

/// What `create_token` makes of a 2xx answer with this body, as the client does: the
/// generated decoding for 200, the unexpected-status path for any other 2xx.
fn create_outcome(status: u16, body: Vec<u8>) -> Option<Result<crate::CreatedToken, crate::Error>> {
    type Created = fastly_tokens_raw::types::TokenCreatedResponse;
    let raw = if status == 200 {
        match serde_json::from_slice::<Created>(&body) {
            Ok(t) => Ok(fastly_tokens_raw::ResponseValue::new(
                t,
                reqwest::StatusCode::OK,
                Default::default(),
            )),
            Err(e) => Err(answer::RawError::InvalidResponsePayload(body.into(), e)),
        }
    } else {
        Err(answer::RawError::UnexpectedResponse(response(
            status,
            &[],
            body,
        )?))
    };
    let answer = runtime()?.block_on(answer::accept_created(raw));
    Some(match answer {
        Ok(answer) => convert::created(answer),
        Err(e) => Err(runtime()?.block_on(answer::error(
            Op::CREATE_TOKEN,
            Auth::Password,
            e,
            LIMITS,
            1,
        ))),
    })
}

const LIMITS: answer::Limits = answer::Limits {
    connect: std::time::Duration::from_secs(1),
    attempt: std::time::Duration::from_secs(1),
};

/// Turns a whole HTTP response into this crate's error, as the client does for statuses the
/// spec does not declare, including the scrubbing of the caller's secrets.
fn error_from(
    status: u16,
    remaining: &[u8],
    reset: &[u8],
    body: Vec<u8>,
    secrets: &[&str],
) -> Option<crate::Error> {
    let response = response(
        status,
        &[
            ("fastly-ratelimit-remaining", remaining),
            ("fastly-ratelimit-reset", reset),
        ],
        body,
    )?;
    let mut error = runtime()?.block_on(answer::error(
        Op::GET_TOKEN,
        Auth::Token,
        answer::RawError::UnexpectedResponse(response),
        LIMITS,
        1,
    ));
    error.scrub(secrets);
    Some(error)
}

/// Everything an error shows: `Display`, `Debug`, and the whole `source()` chain.
fn shown(error: &crate::Error) -> String {
    let mut out = format!("{error}\n{error:?}");
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        out.push_str(&format!("\n{s} {s:?}"));
        source = s.source();
    }
    out
}

/// A secret as Fastly makes them: the `-` and `_` keep it from ever being a valid id or a
/// field name, which errors may quote.
const SECRET: &str = "SeCrEt-_0123456789abcdefSECRET-_";

/// Bodies that contain [`SECRET`]: anywhere in arbitrary bytes, as any JSON value of a
/// token-shaped object (the access token, a timestamp, an id, an unknown key), or as Fastly's
/// `msg` (an echoing server).
fn bodies_with_secret() -> impl Strategy<Value = Vec<u8>> {
    let in_bytes =
        (prop::collection::vec(any::<u8>(), 0..128), 0usize..128).prop_map(|(mut bytes, at)| {
            let at = at.min(bytes.len());
            bytes.splice(at..at, SECRET.bytes());
            bytes
        });
    let fields = prop::sample::select(vec![
        "access_token",
        "id",
        "created_at",
        "expires_at",
        "name",
        "scope",
        "user_id",
        "msg",
        "detail",
        "services",
        SECRET,
    ]);
    let in_json = (token_json(), fields, any::<bool>(), any::<bool>()).prop_map(
        |(mut value, field, as_array, truncate)| {
            let secret = if as_array {
                json!([SECRET])
            } else {
                json!(SECRET)
            };
            if let Value::Object(obj) = &mut value {
                obj.insert(field.to_string(), secret);
            }
            let mut bytes = serde_json::to_vec(&value).unwrap_or_default();
            if truncate {
                bytes.truncate(bytes.len() * 2 / 3);
            }
            bytes
        },
    );
    let echo = Just(
        format!(
            "POST /tokens HTTP/1.1\r\nfastly-key: {SECRET}\r\nfastly-otp: {SECRET}\r\n\r\npassword={SECRET}"
        )
        .into_bytes(),
    );
    prop_oneof![in_bytes, in_json, echo]
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
        if let Some(err) = error_from(status, remaining.as_bytes(), reset.as_bytes(), body, &[]) {
            // Display and Debug must not panic either, and the status is kept.
            let _ = (err.to_string(), format!("{err:?}"));
            if status >= 300 {
                prop_assert_eq!(err.status(), Some(status));
            }
        }
    }

    #[test]
    fn no_error_shows_a_secret_from_any_body_under_any_status(
        status in prop_oneof![Just(200u16), Just(201), Just(204), 100u16..600],
        body in bodies_with_secret(),
    ) {
        if let Some(err) = error_from(status, b"", b"", body.clone(), &[SECRET]) {
            let text = shown(&err);
            prop_assert!(!text.contains(SECRET), "status {}: {}", status, text);
        }
        if (200..300).contains(&status) {
            match create_outcome(status, body.clone()) {
                Some(Err(err)) => {
                    let text = shown(&err);
                    prop_assert!(!text.contains(SECRET), "create {}: {}", status, text);
                }
                Some(Ok(created)) => {
                    // A server may put any text in a name or scope, and `Debug` shows those;
                    // what must never show is the access token.
                    let text = format!("{:?}", created.access_token());
                    prop_assert!(!text.contains(SECRET), "create {}: {}", status, text);
                }
                None => {}
            }
            let reasons = [
                answer::decode_reason::<fastly_tokens_raw::types::TokenResponse>(&body),
                answer::decode_reason::<Vec<fastly_tokens_raw::types::TokenResponse>>(&body),
            ];
            for reason in reasons {
                prop_assert!(!reason.contains(SECRET), "{}", reason);
            }
        }
    }

    #[test]
    fn a_created_secret_is_never_lost(
        status in 200u16..300,
        field in prop::sample::select(vec!["created_at", "id", "user_id", "services", "scope", "name"]),
        bad in prop_oneof![Just(json!(42)), Just(json!("not a time")), Just(json!(["x"])), Just(json!({}))],
    ) {
        let mut value = json!({
            "id": "2j1hEyxXOEqYaSipeZHaW4", "user_id": "1tSCjJnpQYBBCAsIfI6pX0",
            "customer_id": "51MumwLiSJyFTWhtbByYgR", "name": "n", "scope": "global",
            "services": [], "created_at": "2026-11-02T18:46:13Z", "access_token": SECRET,
        });
        value[field] = bad;
        let body = serde_json::to_vec(&value).unwrap_or_default();
        let outcome = create_outcome(status, body);
        use secrecy::ExposeSecret as _;
        match outcome {
            Some(Ok(created)) => prop_assert_eq!(created.access_token().expose_secret(), SECRET),
            Some(Err(crate::Error::CreatedUndecoded(partial))) => {
                prop_assert_eq!(partial.access_token().expose_secret(), SECRET);
                prop_assert_eq!(partial.status(), status);
                prop_assert!(!partial.to_string().contains(SECRET));
            }
            Some(Err(other)) => prop_assert!(false, "secret lost: {}", other),
            None => {}
        }
    }

    #[test]
    fn automation_shapes_decode_with_sentinels_nulls_and_unknowns(
        unset in prop_oneof![Just(json!(null)), Just(json!("")), Just(json!("0001-01-01T00:00:00Z"))],
        text_unset in prop_oneof![Just(json!(null)), Just(json!(""))],
        scopes in "(global|global:read|purge_select|purge_all|edge:[a-z]{1,8})( (global|global:read|purge_select|purge_all|edge:[a-z]{1,8})){0,3}",
        services in prop_oneof![Just(json!(null)), Just(json!([])), Just(json!(["4aXkQ2mXbV1yQp0tR9sT7e"]))],
        role in prop_oneof![Just(json!("engineer")), Just(json!("ngwaf_admin")), Just(json!(null))],
        extra in prop::collection::btree_map("[a-z_]{1,10}", any_json(), 0..3),
    ) {
        let mut item = json!({
            "id": "4bAutoTok0000000000001", "creator_id": "1tSCjJnpQYBBCAsIfI6pX0",
            "customer_id": "51MumwLiSJyFTWhtbByYgR", "name": "n", "access_token": "",
            "role": role, "ip": null, "user_agent": null, "scopes": scopes,
            "services": services, "service_id": null, "sudo_expires_at": null,
            "last_used_at": null, "created_at": "2026-01-15T11:51:55Z", "expires_at": null,
            "tls_access": false,
        });
        if let Value::Object(obj) = &mut item {
            for (k, v) in extra.clone() {
                obj.entry(k).or_insert(v);
            }
        }
        if let Ok(raw) = serde_json::from_value::<fastly_tokens_raw::types::AutomationTokenListItem>(item) {
            let token = convert::automation_item(Operation::ListAutomationTokens, raw);
            if let Ok(token) = token {
                prop_assert_eq!(token.scopes().len(), scopes.split_whitespace().count());
            }
        }
        let mut created = json!({
            "id": "4bAutoTok0000000000003", "services": services, "name": "n", "role": role,
            "access_token": SECRET, "scope": scopes, "ip": text_unset.clone(),
            "created_at": "2026-11-02T12:01:39Z", "last_used_at": unset, "expires_at": unset,
            "user_agent": text_unset, "tls_access": false,
            "customer_id": "51MumwLiSJyFTWhtbByYgR",
        });
        if let Value::Object(obj) = &mut created {
            for (k, v) in extra {
                obj.entry(k).or_insert(v);
            }
        }
        let body = serde_json::to_vec(&created).unwrap_or_default();
        let raw = match serde_json::from_slice::<fastly_tokens_raw::types::AutomationTokenCreatedResponse>(&body) {
            Ok(t) => Ok(fastly_tokens_raw::ResponseValue::new(t, reqwest::StatusCode::OK, Default::default())),
            Err(e) => Err(answer::RawError::InvalidResponsePayload(body.into(), e)),
        };
        let answer = runtime().and_then(|rt| rt.block_on(answer::accept_created(raw)).ok());
        use secrecy::ExposeSecret as _;
        match answer.map(convert::created_automation) {
            Some(Ok(created)) => {
                prop_assert_eq!(created.access_token().expose_secret(), SECRET);
                prop_assert_eq!(created.token().last_used_at(), None);
                prop_assert_eq!(created.token().expires_at(), None);
                prop_assert_eq!(created.token().ip(), None);
            }
            Some(Err(crate::Error::CreatedUndecoded(partial))) => {
                prop_assert_eq!(partial.access_token().expose_secret(), SECRET);
            }
            Some(Err(other)) => prop_assert!(false, "secret lost: {}", other),
            None => {}
        }
    }
}
