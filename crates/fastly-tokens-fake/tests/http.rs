//! The fake's HTTP semantics that the typed client cannot provoke: missing keys, wrong media
//! types, malformed forms and dates, HTTP Basic, the response field set.

use fastly_tokens_fake::FakeFastly;
use serde_json::Value;

async fn fake() -> FakeFastly {
    fastly_tokens_fake::start().await.expect("fake")
}

#[tokio::test]
async fn missing_or_unknown_keys_get_fastlys_401() {
    let fake = fake().await;
    let http = reqwest::Client::new();
    for key in [None, Some("not-a-key")] {
        let mut req = http.get(format!("{}/tokens/self", fake.base_url()));
        if let Some(k) = key {
            req = req.header("fastly-key", k);
        }
        let resp = req.send().await.expect("answer");
        assert_eq!(resp.status(), 401);
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["msg"], "Provided credentials are missing or invalid");
    }
}

#[tokio::test]
async fn get_responses_have_the_real_field_set_nulls_and_time_format() {
    let fake = fake().await;
    let resp = reqwest::Client::new()
        .get(format!("{}/tokens", fake.base_url()))
        .header("fastly-key", &fake.seed().user("alice").key)
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers().get("fastly-ratelimit-remaining").is_none(),
        "GETs are not limited"
    );
    let body: Vec<Value> = resp.json().await.expect("json");
    let dashboards = body
        .iter()
        .find(|t| t["name"] == "dashboards")
        .expect("seeded");
    let mut keys: Vec<&str> = dashboards
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "created_at",
            "customer_id",
            "expires_at",
            "id",
            "ip",
            "last_used_at",
            "name",
            "scope",
            "scopes",
            "service_id",
            "services",
            "sudo_expires_at",
            "user_agent",
            "user_id"
        ]
    );
    assert_eq!(dashboards["last_used_at"], Value::Null);
    assert_eq!(dashboards["ip"], Value::Null);
    let created = dashboards["created_at"].as_str().expect("string");
    assert_eq!(created.len(), 20, "{created}");
    assert!(
        created.ends_with('Z') && !created.contains('.'),
        "{created}"
    );
}

#[tokio::test]
async fn bulk_revoke_requires_the_jsonapi_bulk_media_type() {
    let fake = fake().await;
    let ids = fake.add_tokens("alice", 1);
    let body = format!(r#"{{"data":[{{"type":"token","id":"{}"}}]}}"#, ids[0]);
    let http = reqwest::Client::new();
    let send = |content_type: &'static str| {
        http.delete(format!("{}/tokens", fake.base_url()))
            .header("fastly-key", &fake.seed().user("alice").key)
            .header("content-type", content_type)
            .body(body.clone())
            .send()
    };
    assert_eq!(
        send("application/json").await.expect("answer").status(),
        415
    );
    assert!(fake.is_live(&ids[0]));
    let resp = send("application/vnd.api+json; ext=bulk")
        .await
        .expect("answer");
    assert_eq!(resp.status(), 204);
    assert!(resp.headers().get("fastly-ratelimit-remaining").is_some());
    assert!(!fake.is_live(&ids[0]));
}

#[tokio::test]
async fn create_checks_dates_scopes_and_accepts_http_basic() {
    let fake = fake().await;
    let bob = fake.seed().user("bob");
    let http = reqwest::Client::new();
    let post = |form: String| {
        http.post(format!("{}/tokens", fake.base_url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
    };
    let creds = format!("username={}&password={}", bob.login, bob.password);
    let resp = post(format!("{creds}&expires_at=next+tuesday"))
        .await
        .expect("answer");
    assert_eq!(resp.status(), 422);
    let resp = post(format!("{creds}&scope=global+teleport"))
        .await
        .expect("answer");
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["code"], "invalid_scope");

    let resp = http
        .post(format!("{}/tokens", fake.base_url()))
        .basic_auth(&bob.login, Some(&bob.password))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=basic&services%5B%5D=s1&services%5B%5D=s2")
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["services"], serde_json::json!(["s1", "s2"]));
    assert_eq!(body["service_id"], "s2");
    assert_eq!(body["access_token"].as_str().map(str::len), Some(32));
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let fake = fake().await;
    let http = reqwest::Client::new();
    let resp = http
        .get(format!("{}/service", fake.base_url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 404);
    let resp = http
        .put(format!("{}/tokens/self", fake.base_url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 405);
}

#[tokio::test]
async fn the_control_api_queues_an_undecodable_success_and_logs_redacted_headers() {
    let fake = fake().await;
    let http = reqwest::Client::new();
    let queued = http
        .post(format!("{}/__fake/faults", fake.base_url()))
        .body(r#"{"method":"GET","path_prefix":"/tokens/self","undecodable_body":true}"#)
        .send()
        .await
        .expect("answer");
    assert_eq!(queued.status(), 200);
    let key = fake.seed().user("alice").key.clone();
    let resp = http
        .get(format!("{}/tokens/self?x=1", fake.base_url()))
        .header("fastly-key", &key)
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["created_at"], "not a time");
    let log: Value = http
        .get(format!("{}/__fake/requests", fake.base_url()))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    let text = log.to_string();
    assert!(!text.contains(&key), "{text}");
    assert!(text.contains("[REDACTED]"), "{text}");
    assert_eq!(log[0]["query"], "x=1", "{text}");
}
