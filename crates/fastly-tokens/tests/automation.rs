//! Automation tokens: the wire format of each operation (httpmock, recorded shapes), the whole
//! flow against the fake (sudo, create, list with pages, get, services, revoke), and a 5,000-token
//! paginated list under faults fetched whole with each token once.

#[macro_use]
mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use fastly_tokens::secrecy::ExposeSecret as _;
use fastly_tokens::{AutomationTokenId, Error, RevokeOutcome, Role, Scope};
use fastly_tokens_fake::{FakeFastly, Fault};
use futures_util::StreamExt as _;
use httpmock::prelude::*;

fn aid(s: &str) -> AutomationTokenId {
    s.parse().expect("automation token id")
}

// Bodies modelled on the 2025 recordings: the list's `scopes` string, `services: null`, the
// get without customer/creator/tls, the create's `""` sentinels.
const LIST_PAGE_1: &str = r#"{"data":[{"id":"4bAutoTok0000000000001","creator_id":"1tSCjJnpQYBBCAsIfI6pX0","customer_id":"51MumwLiSJyFTWhtbByYgR","name":"fastly-exporter","access_token":"","role":"engineer","ip":"203.0.113.196","user_agent":"Fastly-Exporter (9.0.0)","scopes":"global:read purge_select","services":[],"service_id":null,"sudo_expires_at":null,"last_used_at":"2026-10-22T03:27:50Z","created_at":"2026-01-15T11:51:55Z","expires_at":null,"tls_access":false}],"meta":{"per_page":1,"current_page":1,"record_count":2,"total_pages":2}}"#;
const LIST_PAGE_2: &str = r#"{"data":[{"id":"4bAutoTok0000000000002","creator_id":"1tSCjJnpQYBBCAsIfI6pX0","customer_id":"51MumwLiSJyFTWhtbByYgR","name":"deploy","access_token":"","role":"ngwaf_future_role","ip":null,"user_agent":null,"scopes":"global","services":null,"service_id":null,"sudo_expires_at":null,"last_used_at":null,"created_at":"2026-10-25T05:12:57Z","expires_at":null,"tls_access":false,"new_field":{"x":1}}],"meta":{"per_page":1,"current_page":2,"record_count":2,"total_pages":2}}"#;
const GET_BODY: &str = r#"{"id":"4bAutoTok0000000000002","services":null,"name":"deploy","role":"engineer","access_token":"","scope":"global","ip":null,"created_at":"2026-10-25T05:12:57Z","last_used_at":null,"expires_at":null,"user_agent":null}"#;
const CREATED: &str = r#"{"id":"4bAutoTok0000000000003","services":["4aXkQ2mXbV1yQp0tR9sT7e"],"name":"ci","role":"engineer","access_token":"AUTOMATIONautomation-_SECRET0000","scope":"purge_select","ip":"","created_at":"2026-11-02T12:01:39Z","last_used_at":"0001-01-01T00:00:00Z","expires_at":"","user_agent":"","tls_access":false,"customer_id":"51MumwLiSJyFTWhtbByYgR"}"#;
const AUTOMATION_SECRET: &str = "AUTOMATIONautomation-_SECRET0000";

#[tokio::test]
async fn list_follows_meta_pages_and_decodes_the_list_shape() {
    let server = MockServer::start_async().await;
    let page1 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/automation-tokens")
                .query_param("page", "1")
                .query_param("per_page", "100")
                .header("fastly-key", KEY)
                .header("accept", "application/json");
            then.status(200)
                .header("content-type", "application/json")
                .body(LIST_PAGE_1);
        })
        .await;
    let page2 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/automation-tokens")
                .query_param("page", "2")
                .query_param("per_page", "100");
            then.status(200)
                .header("content-type", "application/json")
                .body(LIST_PAGE_2);
        })
        .await;
    let unexpected = unexpected_requests_fail(&server).await;
    let tokens = client(&server)
        .list_automation_tokens()
        .await
        .expect("list");
    page1.assert_async().await;
    page2.assert_async().await;
    unexpected.assert_calls_async(0).await;
    assert_eq!(tokens.len(), 2);
    let exporter = &tokens[0];
    assert_eq!(exporter.name(), "fastly-exporter");
    assert_eq!(exporter.role(), Some(&Role::Engineer));
    assert_eq!(exporter.scopes().as_str(), "global:read purge_select");
    assert!(exporter.scopes().contains(&Scope::PurgeSelect));
    assert_eq!(
        exporter.creator_id().map(|c| c.as_str()),
        Some("1tSCjJnpQYBBCAsIfI6pX0")
    );
    assert_eq!(exporter.tls_access(), Some(false));
    assert!(exporter.is_unrestricted());
    let deploy = &tokens[1];
    assert_eq!(
        deploy.role(),
        Some(&Role::Other("ngwaf_future_role".into()))
    );
    assert!(deploy.is_unrestricted(), "services null is every service");
    assert_eq!((deploy.ip(), deploy.last_used_at()), (None, None));
}

#[tokio::test]
async fn get_services_and_revoke_on_the_wire() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/automation-tokens/4bAutoTok0000000000002")
                .header("fastly-key", KEY);
            then.status(200)
                .header("content-type", "application/json")
                .body(GET_BODY);
        })
        .await;
    let services = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/automation-tokens/4bAutoTok0000000000002/services")
                .query_param("per_page", "100");
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"data":["4aXkQ2mXbV1yQp0tR9sT7e"]}"#);
        })
        .await;
    // Revocation goes through the user-token route, as Fastly's UI and go-fastly do.
    let revoke = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/tokens/4bAutoTok0000000000002")
                .header("fastly-key", KEY);
            then.status(204);
        })
        .await;
    let unexpected = unexpected_requests_fail(&server).await;
    let c = client(&server);
    let id = aid("4bAutoTok0000000000002");
    let token = c.get_automation_token(&id).await.expect("get");
    assert_eq!(token.scopes().as_str(), "global");
    assert_eq!(token.customer_id(), None);
    assert_eq!(token.tls_access(), None);
    let svc = c.automation_token_services(&id).await.expect("services");
    assert_eq!(svc.len(), 1);
    assert_eq!(
        c.revoke_automation_token(&id).await.expect("revoke"),
        RevokeOutcome::Revoked
    );
    get.assert_async().await;
    services.assert_async().await;
    revoke.assert_async().await;
    unexpected.assert_calls_async(0).await;
    assert!(aid("4bAutoTok0000000000002").as_str().len() == 22);
    assert!("../x".parse::<AutomationTokenId>().is_err());
}

#[tokio::test]
async fn create_enters_sudo_then_sends_json_and_reads_the_sentinels() {
    let server = MockServer::start_async().await;
    let sudo = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/sudo")
                .header("fastly-key", KEY)
                .header("content-type", "application/x-www-form-urlencoded")
                .form_urlencoded_tuple("username", "admin@example.com")
                .form_urlencoded_tuple("password", PASSWORD);
            then.status(200)
                .header("content-type", "application/json")
                .body(format!(
                    r#"{{"expiry_time":"{}"}}"#,
                    (chrono::Utc::now() + chrono::Duration::minutes(5))
                        .format("%Y-%m-%dT%H:%M:%S+00:00")
                ));
        })
        .await;
    let create = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/automation-tokens")
                .header("fastly-key", KEY)
                .header("content-type", "application/json")
                .json_body(serde_json::json!({
                    "name": "ci",
                    "role": "engineer",
                    "scope": "purge_select",
                    "services": ["4aXkQ2mXbV1yQp0tR9sT7e"],
                    "tls_access": false
                }));
            then.status(200)
                .header("content-type", "application/json")
                .body(CREATED);
        })
        .await;
    let unexpected = unexpected_requests_fail(&server).await;
    let c = client(&server);
    let build = || {
        c.create_automation_token("ci")
            .role(Role::Engineer)
            .scopes([Scope::PurgeSelect])
            .services(["4aXkQ2mXbV1yQp0tR9sT7e"
                .parse::<fastly_tokens::ServiceId>()
                .expect("id")])
            .tls_access(false)
            .sudo("admin@example.com", PASSWORD)
    };
    let created = build().send().await.expect("created");
    assert_eq!(created.access_token().expose_secret(), AUTOMATION_SECRET);
    let token = created.token();
    assert_eq!(token.last_used_at(), None, "year 1 is unset");
    assert_eq!(token.expires_at(), None, "\"\" is unset");
    assert_eq!((token.ip(), token.user_agent()), (None, None));
    assert_eq!(
        token.customer_id().map(|c| c.as_str()),
        Some("51MumwLiSJyFTWhtbByYgR")
    );
    // A second create within the window does not ask for sudo again.
    build().send().await.expect("created again");
    sudo.assert_calls_async(1).await;
    create.assert_calls_async(2).await;
    unexpected.assert_calls_async(0).await;
    assert!(!format!("{created:?}").contains(AUTOMATION_SECRET));
}

#[tokio::test]
async fn create_refuses_implicit_scope_and_keeps_a_secret_from_an_odd_answer() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.method(POST).path("/automation-tokens");
            then.status(201)
                .header("content-type", "application/json")
                .body(CREATED.replace("\"2026-11-02T12:01:39Z\"", "\"not a time\""));
        })
        .await;
    let c = client(&server);
    let err = c
        .create_automation_token("ci")
        .send()
        .await
        .expect_err("no scopes");
    assert!(err.is_invalid_input(), "{err}");
    let err = c
        .create_automation_token("ci")
        .scopes([Scope::Other("purge_select global".into())])
        .send()
        .await
        .expect_err("smuggled scope");
    assert!(err.is_invalid_input(), "{err}");
    any.assert_calls_async(0).await;
    let err = c
        .create_automation_token("ci")
        .scopes([Scope::GlobalRead])
        .send()
        .await
        .expect_err("undecodable");
    match &err {
        Error::CreatedUndecoded(partial) => {
            assert_eq!(partial.access_token().expose_secret(), AUTOMATION_SECRET);
            assert_eq!(partial.status(), 201);
            assert!(
                partial.reason().contains("created_at"),
                "{}",
                partial.reason()
            );
            assert_eq!(
                partial
                    .automation_token_id()
                    .map(|t| t.to_string())
                    .as_deref(),
                Some("4bAutoTok0000000000003"),
                "an automation create reports an automation token id"
            );
            assert!(
                !err.may_have_created(),
                "it was created, and its secret is here"
            );
            assert_eq!(
                partial.token_id().map(|t| t.as_str()),
                Some("4bAutoTok0000000000003")
            );
        }
        other => panic!("secret lost: {other}"),
    }
    assert!(!shown(&err).contains(AUTOMATION_SECRET));
    assert!(
        err.to_string().starts_with("create_automation_token"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Against the fake.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_whole_flow_against_the_fake() {
    let fake = fastly_tokens_fake::start().await.expect("fake");
    let root = fake.seed().user("root").clone();
    let client = fake_client(&fake, &root.key);

    let seeded = client.list_automation_tokens().await.expect("list");
    assert_eq!(seeded.len(), 2);
    let exporter = fake.seed().automation_token("fastly-exporter");
    assert!(seeded.iter().any(|t| t.id().as_str() == exporter.id));

    // Without sudo: 403, with the hint.
    let err = client
        .create_automation_token("ci")
        .scopes([Scope::GlobalRead])
        .send()
        .await
        .expect_err("sudo needed");
    assert!(err.is_forbidden(), "{err}");
    assert!(err.to_string().contains("sudo"), "{err}");

    let created = client
        .create_automation_token("ci")
        .role(Role::User)
        .scopes([Scope::GlobalRead])
        .expires_at(fake.now() + chrono::Duration::days(30))
        .sudo(root.login.as_str(), root.password.as_str())
        .send()
        .await
        .expect("created");
    let id = created.token().id().clone();
    assert_eq!(created.token().role(), Some(&Role::User));
    assert!(created.token().expires_at().is_some());

    // The new secret authenticates.
    let as_automation = fake_client(&fake, created.access_token().expose_secret());
    assert_eq!(
        as_automation
            .current_token()
            .await
            .expect("works")
            .id()
            .as_str(),
        id.as_str()
    );

    let got = client.get_automation_token(&id).await.expect("get");
    assert_eq!(got.name(), "ci");
    assert!(
        client
            .automation_token_services(&id)
            .await
            .expect("services")
            .is_empty()
    );

    // A plain user may neither list nor create.
    let bob = fake_client(&fake, &fake.seed().user("bob").key);
    assert!(
        bob.list_automation_tokens()
            .await
            .expect_err("403")
            .is_forbidden()
    );

    assert_eq!(
        client.revoke_automation_token(&id).await.expect("revoke"),
        RevokeOutcome::Revoked
    );
    assert_eq!(
        client.revoke_automation_token(&id).await.expect("again"),
        RevokeOutcome::AlreadyGone
    );
    assert!(
        client
            .get_automation_token(&id)
            .await
            .expect_err("gone")
            .is_not_found()
    );
    assert!(
        as_automation
            .current_token()
            .await
            .expect_err("revoked")
            .is_unauthorized()
    );

    // Bulk: live ones revoked, an unknown id already gone.
    let many = fake.add_automation_tokens(5);
    let mut ids: Vec<AutomationTokenId> = many.iter().map(|s| aid(s)).collect();
    ids.push(aid("NoSuchAutomation000000"));
    let report = client.revoke_automation_tokens(&ids).await.expect("report");
    assert_eq!(report.revoked().count(), 5);
    assert_eq!(report.already_gone().count(), 1);
    assert!(many.iter().all(|id| !fake.is_live(id)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paginated_list_of_5000_under_faults_arrives_whole_each_token_once() {
    let fake = FakeFastly::builder().start().await.expect("fake");
    let added = fake.add_automation_tokens(5_000);
    let root = fake.seed().user("root").key.clone();
    let client = fastly_tokens::Client::builder()
        .token(root.as_str())
        .base_url(fake.base_url())
        .retry(fast_retries().max_retries(4))
        .attempt_timeout(Duration::from_secs(2))
        .build()
        .expect("client");
    // Pages fail, lose their connection or stall while the list is walked (a 200 whose body is
    // cut short is a decode error, which is not retried: see the fault matrix).
    // Targeted faults are used up in order by the next matching requests: page 1 fails twice
    // with 503 and once with a dropped connection, then arrives slowly; page 2 gets a 502.
    fake.inject_matching("GET", "/automation-tokens", Fault::Status(503), 2);
    fake.inject_matching("GET", "/automation-tokens", Fault::DropConnection, 1);
    fake.inject_matching(
        "GET",
        "/automation-tokens",
        Fault::Latency(Duration::from_millis(50)),
        1,
    );
    fake.inject_matching("GET", "/automation-tokens", Fault::Status(502), 1);
    let mut seen = HashSet::new();
    let mut stream = std::pin::pin!(client.automation_tokens());
    let mut count = 0;
    while let Some(token) = stream.next().await {
        let token = token.expect("every page arrives after retries");
        assert!(seen.insert(token.id().clone()), "{} twice", token.id());
        count += 1;
    }
    assert_eq!(count, 5_002, "5,000 added and the 2 seeded");
    assert!(added.iter().all(|id| seen.contains(&aid(id))));
    let pages = fake
        .requests()
        .iter()
        .filter(|r| r.path == "/automation-tokens" && r.status == 200)
        .count();
    // 51 pages (5,002 tokens at 100 a page) plus the dropped attempt, which the fake records as
    // the 200 whose body never arrived.
    assert_eq!(
        pages, 52,
        "5,002 tokens at 100 a page, and one dropped answer"
    );
}

/// Pages after the first go out `pages_in_flight` at a time, and the tokens still arrive in
/// page order, each once, with one request per page. The server answers later pages sooner, so
/// order kept is order restored, and counts how many requests it holds at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_go_out_in_parallel_and_tokens_arrive_in_page_order() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::AsyncWriteExt as _;

    const PAGES: usize = 10;
    let page_body = |page: usize| {
        LIST_PAGE_1
            .replace(
                "4bAutoTok0000000000001",
                &format!("4bAutoTok00000000000{page:02}"),
            )
            .replace(
                r#""current_page":1,"record_count":2,"total_pages":2"#,
                &format!(r#""current_page":{page},"record_count":{PAGES},"total_pages":{PAGES}"#),
            )
    };
    for (in_flight, expected_max) in [(4, 4), (1, 1)] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (active, max, requests) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
        );
        {
            let (active, max, requests) = (active.clone(), max.clone(), requests.clone());
            tokio::spawn(async move {
                while let Ok((mut stream, _)) = listener.accept().await {
                    let (active, max, requests) = (active.clone(), max.clone(), requests.clone());
                    let page_body = page_body;
                    tokio::spawn(async move {
                        let Some(request) = read_request(&mut stream).await else {
                            return;
                        };
                        let head = String::from_utf8_lossy(&request).into_owned();
                        let page: usize = head
                            .split(['?', '&', ' '])
                            .find_map(|kv| kv.strip_prefix("page="))
                            .and_then(|n| n.parse().ok())
                            .unwrap_or(0);
                        requests.fetch_add(1, Ordering::SeqCst);
                        let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                        max.fetch_max(now, Ordering::SeqCst);
                        let wait = if page == 1 {
                            0
                        } else {
                            (PAGES + 1 - page) as u64 * 30
                        };
                        tokio::time::sleep(Duration::from_millis(wait)).await;
                        active.fetch_sub(1, Ordering::SeqCst);
                        let body = page_body(page);
                        let response = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = stream.write_all(response.as_bytes()).await;
                    });
                }
            });
        }
        let client = fastly_tokens::Client::builder()
            .token(KEY)
            .base_url(&base)
            .pages_in_flight(in_flight)
            .build()
            .expect("client");
        let tokens = client.list_automation_tokens().await.expect("every page");
        let ids: Vec<String> = tokens.iter().map(|t| t.id().to_string()).collect();
        let expected: Vec<String> = (1..=PAGES)
            .map(|p| format!("4bAutoTok00000000000{p:02}"))
            .collect();
        assert_eq!(
            ids, expected,
            "page order, each once ({in_flight} in flight)"
        );
        assert_eq!(
            requests.load(Ordering::SeqCst),
            PAGES,
            "one request per page"
        );
        assert_eq!(
            max.load(Ordering::SeqCst),
            expected_max,
            "{in_flight} in flight"
        );
    }
}
