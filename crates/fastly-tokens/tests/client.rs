//! The public client against an httpmock server on loopback: what goes on the wire, what comes
//! back, how errors, retries, rate limits and ids behave.

#[macro_use]
mod common;

use std::time::Duration;

use chrono::{TimeZone, Utc};
use common::*;
use fastly_tokens::secrecy::ExposeSecret;
use fastly_tokens::{
    Client, Credentials, CustomerId, Error, Operation, RetryPolicy, RevokeOutcome, Scope,
    ServiceId, TokenId,
};
use httpmock::prelude::*;

// ---------------------------------------------------------------------------------------------
// Every operation on the wire, and its decoding.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn current_token_sends_key_and_user_agent_and_decodes_every_field() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/tokens/self")
                .header("fastly-key", KEY)
                .header("accept", "application/json")
                // progenitor's `api-version` is removed at generation time (fix-up 6).
                .header_missing("api-version")
                .header(
                    "user-agent",
                    concat!("fastly-tokens/", env!("CARGO_PKG_VERSION")),
                );
            then.status(200)
                .header("content-type", "application/json")
                .body(fixture!("get_token_current.200.json"));
        })
        .await;
    let token = client(&server).current_token().await.expect("ok");
    mock.assert_async().await;
    assert_eq!(token.id().as_str(), "6FzGpbNZ8sPqk2yXwT3vHm");
    assert_eq!(token.user_id().as_str(), "1tSCjJnpQYBBCAsIfI6pX0");
    assert_eq!(
        token.customer_id().map(|c| c.as_str()),
        Some("51MumwLiSJyFTWhtbByYgR")
    );
    assert_eq!(token.name(), "deploy-bot");
    assert!(token.scopes().is_global());
    assert_eq!(token.services().len(), 1);
    assert_eq!(
        token.service_id().map(|s| s.as_str()),
        Some("4aXkQ2mXbV1yQp0tR9sT7e")
    );
    assert_eq!(token.expires_at(), None);
    assert_eq!(token.sudo_expires_at(), None);
    assert_eq!(token.ip(), Some("203.0.113.48"));
    assert_eq!(token.user_agent(), Some("fastly-tokens/0.1.0"));
    assert_eq!(
        token.created_at(),
        Utc.with_ymd_and_hms(2026, 10, 14, 11, 25, 39).unwrap()
    );
    assert!(!token.is_expired_at(Utc::now()));
}

#[tokio::test]
async fn list_tokens_decodes_multi_and_unknown_scopes_nulls_and_unknown_fields() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/tokens").header("fastly-key", KEY);
            then.status(200)
                .header("content-type", "application/json")
                .body(fixture!("list_tokens_user.200.json"));
        })
        .await;
    let unexpected = unexpected_requests_fail(&server).await;
    let tokens = client(&server).list_tokens().await.expect("ok");
    mock.assert_async().await;
    unexpected.assert_calls_async(0).await;
    assert_eq!(tokens.len(), 4);
    let session = &tokens[0];
    assert_eq!(session.name(), "manage.fastly.com browser session");
    assert!(session.sudo_expires_at().is_some());
    assert!(session.is_unrestricted());
    let read_only = &tokens[2];
    assert!(read_only.scopes().is_read_only());
    assert_eq!(read_only.last_used_at(), None);
    assert_eq!((read_only.ip(), read_only.user_agent()), (None, None));
    let now = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    assert!(read_only.expires_within(Duration::from_secs(14 * 86_400), now));
    assert!(!read_only.expires_within(Duration::from_secs(86_400), now));
    assert!(read_only.is_expired_at(Utc.with_ymd_and_hms(2027, 1, 14, 10, 20, 53).unwrap()));
    let multi = &tokens[3];
    assert_eq!(
        multi.scopes().to_string(),
        "purge_select global:read edge:future"
    );
    assert!(multi.scopes().contains(&Scope::PurgeSelect));
    assert_eq!(
        multi.scopes().unknown().collect::<Vec<_>>(),
        ["edge:future"]
    );
    assert_eq!(multi.services().len(), 2);
    // `.000Z` and `+00:00` formats.
    assert_eq!(
        multi.last_used_at(),
        Some(Utc.with_ymd_and_hms(2026, 10, 14, 11, 26, 13).unwrap())
    );
    assert_eq!(
        multi.created_at(),
        Utc.with_ymd_and_hms(2026, 10, 14, 11, 25, 39).unwrap()
    );
}

#[tokio::test]
async fn list_customer_tokens_uses_the_customer_path() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/customer/51MumwLiSJyFTWhtbByYgR/tokens")
                .header("fastly-key", KEY);
            then.status(200)
                .header("content-type", "application/json")
                .body(fixture!("list_tokens_customer.200.json"));
        })
        .await;
    let unexpected = unexpected_requests_fail(&server).await;
    let customer: CustomerId = "51MumwLiSJyFTWhtbByYgR".parse().expect("id");
    let tokens = client(&server)
        .list_customer_tokens(&customer)
        .await
        .expect("ok");
    unexpected.assert_calls_async(0).await;
    mock.assert_async().await;
    assert_eq!(tokens.len(), 2);
    assert!(tokens[1].scopes().contains(&Scope::PurgeAll));
}

#[tokio::test]
async fn get_token_by_id() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/tokens/3krg2uUGZzb2W9Euo4moOY")
                .header("fastly-key", KEY);
            then.status(200)
                .header("content-type", "application/json")
                .body(fixture!("get_token.200.json"));
        })
        .await;
    let token = client(&server)
        .get_token(&tid("3krg2uUGZzb2W9Euo4moOY"))
        .await
        .expect("ok");
    mock.assert_async().await;
    assert_eq!(token.name(), "dashboards");
}

#[tokio::test]
async fn revoke_token_204_and_404_are_distinct_outcomes_and_rate_limits_are_recorded() {
    let server = MockServer::start_async().await;
    let gone = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/tokens/2j1hEyxXOEqYaSipeZHaW4");
            then.status(204)
                .header("fastly-ratelimit-remaining", "998")
                .header("fastly-ratelimit-reset", "1635879600");
        })
        .await;
    let missing = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/tokens/5NSGsvF9ybBxXAdEQhcYPz");
            then.status(404)
                .header("content-type", "application/json")
                .body(fixture!("error.404.json"));
        })
        .await;
    let client = client(&server);
    assert_eq!(client.last_rate_limit(), None);
    assert_eq!(
        client
            .revoke_token(&tid("2j1hEyxXOEqYaSipeZHaW4"))
            .await
            .expect("ok"),
        RevokeOutcome::Revoked
    );
    let rl = client.last_rate_limit().expect("recorded");
    assert_eq!(rl.remaining(), Some(998));
    assert_eq!(rl.reset(), Utc.timestamp_opt(1_635_879_600, 0).single());
    assert_eq!(
        client
            .revoke_token(&tid("5NSGsvF9ybBxXAdEQhcYPz"))
            .await
            .expect("404 is not an error"),
        RevokeOutcome::AlreadyGone
    );
    gone.assert_async().await;
    missing.assert_calls_async(1).await; // a 404 is final, not retried
}

#[tokio::test]
async fn revoke_current_token_uses_the_self_route() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/tokens/self")
                .header("fastly-key", KEY);
            then.status(204);
        })
        .await;
    client(&server).revoke_current_token().await.expect("ok");
    mock.assert_async().await;
}

#[tokio::test]
async fn create_token_with_password_sends_form_otp_and_no_key() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/tokens")
                .header_missing("fastly-key")
                .header("fastly-otp", OTP)
                .header_missing("api-version")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(
                    "name=deploy-ci&scope=purge_select+global%3Aread\
                     &services%5B%5D=4aXkQ2mXbV1yQp0tR9sT7e&services%5B%5D=1BcDeFgHiJkLmNoPqRsTuv\
                     &expires_at=2030-01-01T00%3A00%3A00Z\
                     &username=ops%40example.com&password=pass-word-BBBBBBBBBBBB",
                );
            then.status(200)
                .header("content-type", "application/json")
                .body(fixture!("create_token.200.json"));
        })
        .await;
    let services: Vec<ServiceId> = ["4aXkQ2mXbV1yQp0tR9sT7e", "1BcDeFgHiJkLmNoPqRsTuv"]
        .iter()
        .map(|s| s.parse().expect("id"))
        .collect();
    let created = client(&server)
        .create_token(Credentials::password("ops@example.com", PASSWORD))
        .name("deploy-ci")
        .scopes([Scope::PurgeSelect, Scope::GlobalRead])
        .services(services)
        .expires_at(Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap())
        .otp(OTP)
        .send()
        .await
        .expect("created");
    mock.assert_async().await;
    assert_eq!(created.access_token().expose_secret(), ACCESS_TOKEN);
    assert_eq!(created.token().id().as_str(), "2j1hEyxXOEqYaSipeZHaW4");
    assert!(created.token().updated_at().is_some());
    assert!(!format!("{created:?}").contains(ACCESS_TOKEN));
}

#[tokio::test]
async fn create_response_without_customer_id_decodes() {
    // Create responses recorded in 2019 have no `customer_id`.
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/tokens");
            then.status(200)
                .header("content-type", "application/json")
                .body(fixture!("create_token.200.legacy.json"));
        })
        .await;
    let created = client(&server)
        .create_token(Credentials::password("ops@example.com", PASSWORD))
        .scopes([fastly_tokens::Scope::GlobalRead])
        .send()
        .await
        .expect("created");
    assert_eq!(created.token().customer_id(), None);
    assert_eq!(created.token().service_id(), None);
    assert!(created.token().scopes().contains(&Scope::PurgeAll));
    assert_eq!(
        created.token().expires_at(),
        Some(Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap())
    );
}

#[tokio::test]
async fn create_token_with_api_token_sends_the_key() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/tokens")
                .header("fastly-key", KEY)
                .header_missing("fastly-otp")
                .body("name=n&scope=global%3Aread");
            then.status(403)
                .header("content-type", "application/json")
                .body(r#"{"msg":"You must POST /sudo to access this endpoint"}"#);
        })
        .await;
    let err = client(&server)
        .create_token(Credentials::api_token())
        .name("n")
        .scopes([fastly_tokens::Scope::GlobalRead])
        .send()
        .await
        .expect_err("403");
    mock.assert_async().await;
    assert!(err.is_forbidden());
    assert!(err.to_string().contains("You must POST /sudo"), "{err}");
}

#[tokio::test]
async fn bulk_revoke_chunks_thousands_of_ids_and_accounts_for_each() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/tokens")
                .header("content-type", "application/vnd.api+json; ext=bulk")
                .header("fastly-key", KEY);
            then.status(204);
        })
        .await;
    let mut ids: Vec<TokenId> = (0..2_500).map(|i| tid(&format!("tok{i:05}"))).collect();
    ids.push(tid("tok00007")); // a duplicate is revoked and reported once
    let report = client(&server).revoke_tokens(&ids).await.expect("report");
    mock.assert_calls_async(25).await;
    assert_eq!(report.len(), 2_500);
    assert_eq!(report.revoked().count(), 2_500);
    assert_eq!(report.requests(), 25);
    assert!(report.all_gone());
    for (i, (id, _)) in report.entries().iter().enumerate() {
        assert_eq!(id.as_str(), format!("tok{i:05}"));
    }
}

#[tokio::test]
async fn bulk_revoke_body_is_the_jsonapi_document() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/tokens")
                .body(r#"{"data":[{"type":"token","id":"aaa1"},{"type":"token","id":"bbb2"}]}"#);
            then.status(204);
        })
        .await;
    let report = client(&server)
        .revoke_tokens([tid("aaa1"), tid("bbb2")])
        .await
        .expect("report");
    mock.assert_async().await;
    assert!(report.all_gone());
}

#[tokio::test]
async fn refused_bulk_chunk_is_sifted_then_halved() {
    let server = MockServer::start_async().await;
    let bulk = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/tokens");
            then.status(400)
                .header("content-type", "application/json")
                .body(r#"{"msg":"Token revocation error."}"#);
        })
        .await;
    // Lookups (free reads): good1 and other3 exist, gone2 does not.
    let mut lookups = Vec::new();
    for (id, status, body) in [
        ("good1", 200, fixture!("get_token.200.json")),
        ("gone2", 404, fixture!("error.404.json")),
        ("other3", 200, fixture!("get_token.200.json")),
    ] {
        lookups.push(
            server
                .mock_async(move |when, then| {
                    when.method(GET).path(format!("/tokens/{id}"));
                    then.status(status)
                        .header("content-type", "application/json")
                        .body(body);
                })
                .await,
        );
    }
    let ok = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/tokens/good1");
            then.status(204);
        })
        .await;
    let forbidden = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/tokens/other3");
            then.status(403)
                .header("content-type", "application/json")
                .body(fixture!("error.403.json"));
        })
        .await;
    let report = client(&server)
        .revoke_tokens([tid("good1"), tid("gone2"), tid("other3")])
        .await
        .expect("report");
    // [good1 gone2 other3] refused -> lookups find gone2 missing -> [good1 other3] refused ->
    // halved: [good1] alone (204), [other3] alone (403).
    bulk.assert_calls_async(2).await;
    for lookup in &lookups {
        lookup.assert_calls_async(1).await;
    }
    ok.assert_calls_async(1).await;
    forbidden.assert_calls_async(1).await;
    assert_eq!(
        report
            .entries()
            .iter()
            .map(|(id, _)| id.as_str())
            .collect::<Vec<_>>(),
        ["good1", "gone2", "other3"],
        "input order"
    );
    assert_eq!(
        report.revoked().map(|i| i.as_str()).collect::<Vec<_>>(),
        ["good1"]
    );
    assert_eq!(
        report
            .already_gone()
            .map(|i| i.as_str())
            .collect::<Vec<_>>(),
        ["gone2"]
    );
    let failed: Vec<_> = report.failed().collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0.as_str(), "other3");
    assert!(failed[0].1.is_forbidden());
    assert_eq!((report.requests(), report.lookups()), (4, 3));
}

#[tokio::test]
async fn a_forbidden_bulk_chunk_is_sifted_but_never_called_gone() {
    // "Not yours" may look like "not found" to a lookup: after a 403, an id the lookup cannot
    // see is failed with the refusal, never reported gone, and costs no further write.
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(403)
                .header("content-type", "application/json")
                .body(fixture!("error.403.json"));
        })
        .await;
    let lookups = server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(404);
        })
        .await;
    let report = client(&server)
        .revoke_tokens([tid("aaa1"), tid("bbb2")])
        .await
        .expect("report");
    lookups.assert_calls_async(2).await;
    assert_eq!(report.failed().count(), 2);
    assert!(report.failed().all(|(_, e)| e.is_forbidden()));
    assert_eq!(report.already_gone().count(), 0);
    assert_eq!(report.requests(), 1, "the refused chunk only");
}

#[tokio::test]
async fn bulk_revoke_stops_after_401_and_reports_the_rest_failed() {
    let server = MockServer::start_async().await;
    let bulk = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/tokens");
            then.status(401)
                .header("content-type", "application/json")
                .body(fixture!("error.401.json"));
        })
        .await;
    let client = Client::builder()
        .token(KEY)
        .base_url(server.base_url())
        .bulk_chunk_size(10)
        .build()
        .expect("client");
    let ids: Vec<TokenId> = (0..35).map(|i| tid(&format!("t{i}"))).collect();
    let report = client.revoke_tokens(&ids).await.expect("report");
    bulk.assert_calls_async(1).await;
    assert_eq!(report.len(), 35);
    assert_eq!(report.failed().count(), 35);
    assert!(report.failed().all(|(_, e)| e.is_unauthorized()));
}

// ---------------------------------------------------------------------------------------------
// Errors: every documented status, with Fastly's message.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_operation_maps_every_error_status_with_fastlys_message() {
    let cases: [(u16, &str); 5] = [
        (
            400,
            r#"{"msg":"Token revocation error.","detail":"try later","code":"invalid_request"}"#,
        ),
        (401, fixture!("error.401.json")),
        (403, fixture!("error.403.json")),
        (404, fixture!("error.404.json")),
        (422, fixture!("create_token.422.json")),
    ];
    for op in Op::ALL {
        for (status, body) in cases {
            if status == 404 && matches!(op, Op::Revoke | Op::Bulk) {
                continue; // a 404 on revoke is an outcome, tested above
            }
            let server = MockServer::start_async().await;
            let (method, path) = op.method_and_path();
            let mock = server
                .mock_async(|when, then| {
                    when.method(method).path(path);
                    then.status(status)
                        .header("content-type", "application/json")
                        .body(body);
                })
                .await;
            // A refused bulk chunk is sifted with lookups: the token exists.
            let lookup = if matches!(op, Op::Bulk) {
                Some(
                    server
                        .mock_async(|when, then| {
                            when.method(GET).path("/tokens/3krg2uUGZzb2W9Euo4moOY");
                            then.status(200)
                                .header("content-type", "application/json")
                                .body(fixture!("get_token.200.json"));
                        })
                        .await,
                )
            } else {
                None
            };
            // ... then retried id by id.
            let single = server
                .mock_async(|when, then| {
                    when.method(DELETE).path("/tokens/3krg2uUGZzb2W9Euo4moOY");
                    then.status(status)
                        .header("content-type", "application/json")
                        .body(body);
                })
                .await;
            let err = op.run(&client(&server)).await.expect_err("error status");
            let expected_msg =
                serde_json::from_str::<serde_json::Value>(body).expect("json")["msg"]
                    .as_str()
                    .expect("msg")
                    .to_string();
            assert_eq!(err.status(), Some(status), "{op:?} {status}: {err}");
            let api = err.as_api().expect("api error");
            assert_eq!(
                api.message(),
                Some(expected_msg.as_str()),
                "{op:?} {status}"
            );
            assert!(err.to_string().contains(&expected_msg), "{op:?}: {err}");
            assert_eq!(err.is_not_found(), status == 404);
            assert_eq!(err.is_unauthorized(), status == 401);
            assert!(!err.is_retryable(), "{op:?} {status}");
            mock.assert_calls_async(1).await;
            let fell_back = matches!(op, Op::Bulk) && matches!(status, 400 | 403 | 422);
            if !matches!(op, Op::Revoke) {
                single.assert_calls_async(usize::from(fell_back)).await;
            }
            if let Some(lookup) = &lookup {
                // Sifted on 400/403/422 (reads before writes), not on 401, which stops
                // everything.
                let sifted = matches!(status, 400 | 403 | 422);
                lookup.assert_calls_async(usize::from(sifted)).await;
            }
            if status == 400 {
                assert_eq!(api.detail(), Some("try later"));
                assert_eq!(api.code(), Some("invalid_request"));
            }
        }
    }
}

#[tokio::test]
async fn create_2fa_refusal_says_to_send_the_otp() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/tokens");
            then.status(400)
                .header("content-type", "application/json")
                .body(fixture!("create_token.400.json"));
        })
        .await;
    let err = client(&server)
        .create_token(Credentials::password("ops@example.com", PASSWORD))
        .scopes([fastly_tokens::Scope::GlobalRead])
        .send()
        .await
        .expect_err("400");
    assert_eq!(err.as_api().and_then(|a| a.code()), Some("2fa.verify"));
    assert!(err.is_otp_required());
    assert!(err.to_string().contains("one-time password"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Retries and rate limits.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn idempotent_calls_retry_5xx_and_408_create_never_does() {
    for status in [408u16, 500, 502, 503, 504] {
        for op in Op::ALL {
            let server = MockServer::start_async().await;
            let (method, path) = op.method_and_path();
            let mock = server
                .mock_async(|when, then| {
                    when.method(method).path(path);
                    then.status(status)
                        .header("content-type", "text/html")
                        .body("<html><body>Bad gateway</body></html>");
                })
                .await;
            let err = op.run(&client(&server)).await.expect_err("fails");
            assert_eq!(err.status(), Some(status), "{op:?}");
            // A create is never retryable: repeating it could mint a second token.
            let create = matches!(
                err.operation(),
                Some(Operation::CreateToken | Operation::CreateAutomationToken)
            );
            assert_eq!(err.operation().is_some_and(Operation::creates), create);
            assert_eq!(err.is_retryable(), !create, "{op:?} {status}");
            let expected = if op.idempotent() { 3 } else { 1 };
            mock.assert_calls_async(expected).await;
        }
    }
}

#[tokio::test]
async fn retry_count_is_configurable_and_zero_disables() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/tokens/self");
            then.status(503);
        })
        .await;
    let c = Client::builder()
        .token(KEY)
        .base_url(server.base_url())
        .retry(fast_retries().max_retries(5))
        .build()
        .expect("client");
    c.current_token().await.expect_err("503");
    mock.assert_calls_async(6).await;
    mock.delete_async().await;

    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/tokens/self");
            then.status(503);
        })
        .await;
    let c = Client::builder()
        .token(KEY)
        .base_url(server.base_url())
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    c.current_token().await.expect_err("503");
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_429_is_returned_at_once_with_its_reset_by_default() {
    let server = MockServer::start_async().await;
    let reset = Utc::now().timestamp() + 1_800;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/tokens/self");
            then.status(429)
                .header("content-type", "application/json")
                .header("fastly-ratelimit-remaining", "0")
                .header("fastly-ratelimit-reset", reset.to_string())
                .body(fixture!("error.429.json"));
        })
        .await;
    let err = client(&server)
        .revoke_current_token()
        .await
        .expect_err("429");
    mock.assert_calls_async(1).await;
    assert!(err.is_rate_limited());
    let rl = err.rate_limit().expect("headers");
    assert_eq!(rl.remaining(), Some(0));
    assert_eq!(rl.reset().map(|r| r.timestamp()), Some(reset));
    let until = chrono::DateTime::from_timestamp(reset, 0)
        .expect("reset")
        .format(" until %Y-%m-%dT%H:%M:%SZ")
        .to_string();
    assert!(err.to_string().contains(&until), "{err}");
}

#[tokio::test]
async fn a_429_without_or_with_malformed_headers_is_a_plain_rate_limited_error() {
    for headers in [
        vec![],
        vec![
            ("fastly-ratelimit-remaining", "lots"),
            ("fastly-ratelimit-reset", "-5"),
        ],
    ] {
        let server = MockServer::start_async().await;
        let mock = server
            .mock_async(|when, then| {
                when.method(DELETE).path("/tokens/self");
                let mut then = then.status(429);
                for (k, v) in &headers {
                    then = then.header(*k, *v);
                }
                then.body("");
            })
            .await;
        let c = Client::builder()
            .token(KEY)
            .base_url(server.base_url())
            .retry(fast_retries().max_rate_limit_wait(Duration::from_secs(60)))
            .build()
            .expect("client");
        let err = c.revoke_current_token().await.expect_err("429");
        mock.assert_calls_async(1).await; // no reset time: nothing to wait for
        assert!(err.is_rate_limited());
        assert!(err.rate_limit().is_none());
    }
}

#[tokio::test]
async fn a_429_whose_reset_is_near_is_waited_for_when_allowed() {
    let server = MockServer::start_async().await;
    let reset = Utc::now().timestamp(); // the window resets now
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/tokens");
            then.status(429)
                .header("fastly-ratelimit-remaining", "0")
                .header("fastly-ratelimit-reset", reset.to_string());
        })
        .await;
    let c = Client::builder()
        .token(KEY)
        .base_url(server.base_url())
        .retry(fast_retries().max_rate_limit_wait(Duration::from_secs(2)))
        .build()
        .expect("client");
    let err = c.list_tokens().await.expect_err("still 429");
    assert!(err.is_rate_limited());
    mock.assert_calls_async(3).await; // waited and retried up to the retry budget
}

#[tokio::test]
async fn malformed_rate_limit_headers_on_success_are_ignored() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(DELETE).path("/tokens/self");
            then.status(204)
                .header("fastly-ratelimit-remaining", "ninety")
                .header("fastly-ratelimit-reset", "99999999999999999999999");
        })
        .await;
    let c = client(&server);
    c.revoke_current_token()
        .await
        .expect("success despite headers");
    assert_eq!(c.last_rate_limit(), None);
}

// ---------------------------------------------------------------------------------------------
// Transport safety, timeouts, decoding.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed_and_the_key_stays_home() {
    let elsewhere = MockServer::start_async().await;
    let trap = elsewhere
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).body("[]");
        })
        .await;
    let server = MockServer::start_async().await;
    let target = elsewhere.url("/tokens");
    server
        .mock_async(|when, then| {
            when.method(GET).path("/tokens");
            then.status(302).header("location", target.as_str());
        })
        .await;
    let err = client(&server).list_tokens().await.expect_err("302");
    assert_eq!(err.status(), Some(302));
    assert!(err.to_string().contains("127.0.0.1"), "{err}");
    trap.assert_calls_async(0).await;
}

#[tokio::test]
async fn headers_slower_than_the_timeout_are_a_timeout_error() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/tokens/self");
            then.status(200)
                .delay(Duration::from_secs(3))
                .body(fixture!("get_token_current.200.json"));
        })
        .await;
    let c = Client::builder()
        .token(KEY)
        .base_url(server.base_url())
        .attempt_timeout(Duration::from_millis(200))
        .retry(fast_retries().max_retries(1))
        .build()
        .expect("client");
    let started = std::time::Instant::now();
    let err = c.current_token().await.expect_err("timeout");
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(3));
    mock.assert_calls_async(2).await;
}

#[tokio::test]
async fn connection_refused_is_a_transport_error_after_retries() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let c = Client::builder()
        .token(KEY)
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry(fast_retries())
        .build()
        .expect("client");
    let err = c.current_token().await.expect_err("refused");
    assert!(
        matches!(&err, Error::Transport(t) if t.kind() == fastly_tokens::TransportKind::Connect),
        "{err:?}"
    );
    assert!(err.to_string().contains("could not connect"), "{err}");
}

#[tokio::test]
async fn invalid_json_and_wrong_shapes_are_decode_errors_with_a_snippet() {
    for body in [
        "{\"id\":",
        "not json at all",
        "[1,2,3]",
        "{\"id\":\"a/b\",\"user_id\":\"u\",\"customer_id\":\"c\",\"name\":\"n\",\"scope\":\"global\",\"created_at\":\"2021-01-01T00:00:00Z\"}",
    ] {
        let server = MockServer::start_async().await;
        let mock = server
            .mock_async(|when, then| {
                when.method(GET).path("/tokens/self");
                then.status(200)
                    .header("content-type", "application/json")
                    .body(body);
            })
            .await;
        let err = client(&server).current_token().await.expect_err(body);
        assert!(matches!(err, Error::Decode(_)), "{body}: {err:?}");
        assert!(!err.is_retryable());
        mock.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn an_html_502_page_is_an_api_error_without_a_message() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/tokens");
            then.status(502)
                .header("content-type", "text/html")
                .body("<html>".repeat(100_000));
        })
        .await;
    let err = client(&server).list_tokens().await.expect_err("502");
    assert_eq!(err.status(), Some(502));
    assert_eq!(err.as_api().and_then(|a| a.message()), None);
    assert!(err.to_string().contains("server error"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Input validation happens before anything is sent.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn invalid_input_never_reaches_the_server() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    for bad in ["self", "", "../x", "a/b"] {
        assert!(TokenId::new(bad).is_err(), "{bad:?}");
        assert!(CustomerId::new(bad).is_err(), "{bad:?}");
    }
    let c = client(&server);
    for otp in ["12", "12345678901", "12a456", "123 56"] {
        let err = c
            .create_token(Credentials::password("ops@example.com", PASSWORD))
            .otp(otp)
            .scopes([fastly_tokens::Scope::GlobalRead])
            .send()
            .await
            .expect_err(otp);
        assert!(err.is_invalid_input(), "{err}");
        assert!(!err.to_string().contains(otp), "{err}");
    }
    for (user, pass) in [("", PASSWORD), ("ops@example.com", "")] {
        let err = c
            .create_token(Credentials::password(user, pass))
            .scopes([fastly_tokens::Scope::GlobalRead])
            .send()
            .await
            .expect_err("empty");
        assert!(err.is_invalid_input());
    }
    let err = c
        .create_token(Credentials::api_token())
        .name("  ")
        .scopes([fastly_tokens::Scope::GlobalRead])
        .send()
        .await
        .expect_err("empty name");
    assert!(err.is_invalid_input());
    let err = c
        .create_token(Credentials::api_token())
        .scopes([])
        .send()
        .await
        .expect_err("no scopes");
    assert!(err.is_invalid_input());
    let keyless = Client::builder()
        .base_url(server.base_url())
        .build()
        .expect("keyless client");
    let err = keyless.list_tokens().await.expect_err("no key");
    assert!(err.is_config(), "{err}");
    assert!(err.to_string().contains("no API token"), "{err}");
    assert!(keyless.revoke_tokens([tid("abc")]).await.is_err());
    any.assert_calls_async(0).await;
}

#[test]
fn from_env_reports_missing_and_empty_values() {
    // SAFETY-free: edition 2024 makes env mutation unsafe; run in a child process instead.
    let exe = std::env::current_exe().expect("exe");
    for (value, expect) in [(None, "is not set"), (Some(""), "is set but empty")] {
        let mut cmd = std::process::Command::new(&exe);
        cmd.args([
            "--exact",
            "from_env_child",
            "--nocapture",
            "--include-ignored",
        ]);
        match value {
            None => cmd.env_remove("FASTLY_API_TOKEN"),
            Some(v) => cmd.env("FASTLY_API_TOKEN", v),
        };
        cmd.env("FROM_ENV_EXPECT", expect);
        let out = cmd.output().expect("child runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
#[ignore = "run by from_env_reports_missing_and_empty_values in a child process"]
fn from_env_child() {
    let expect = std::env::var("FROM_ENV_EXPECT").expect("set by parent");
    let err = Client::from_env().expect_err("no usable token");
    assert!(err.is_invalid_input());
    assert!(err.to_string().contains(&expect), "{err}");
    assert!(err.to_string().contains("FASTLY_API_TOKEN"), "{err}");
}

/// Bulk revoke chunks go out `revokes_in_flight` at a time after the first (which goes alone),
/// one request per chunk, every id in the report in input order; and never more at once than
/// the hourly budget the answers report can pay for. A scripted server counts how many
/// requests it holds at once and answers with the budget left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_chunks_go_out_side_by_side_within_the_budget() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::AsyncWriteExt as _;

    const CHUNKS: usize = 12;
    // (in flight, budget at the start, most requests held at once): with 3 left, the first
    // answer says 2, so 2 go side by side, then one at a time as the budget nears 0.
    for (in_flight, budget, expected_max) in [(4, 1_000, 4), (1, 1_000, 1), (8, 3usize, 2)] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (active, max, served, max_during_first) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
        );
        {
            let (active, max, served, first) = (
                active.clone(),
                max.clone(),
                served.clone(),
                max_during_first.clone(),
            );
            tokio::spawn(async move {
                while let Ok((mut stream, _)) = listener.accept().await {
                    let (active, max, served, first) =
                        (active.clone(), max.clone(), served.clone(), first.clone());
                    tokio::spawn(async move {
                        while let Some(request) = read_request(&mut stream).await {
                            assert!(request.starts_with(b"DELETE /tokens "), "only bulk revokes");
                            let n = served.fetch_add(1, Ordering::SeqCst) + 1;
                            let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                            max.fetch_max(now, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(40)).await;
                            if n == 1 {
                                first.store(active.load(Ordering::SeqCst), Ordering::SeqCst);
                            }
                            active.fetch_sub(1, Ordering::SeqCst);
                            let left = budget.saturating_sub(n);
                            let response = format!(
                                "HTTP/1.1 204 No Content\r\nfastly-ratelimit-remaining: {left}\r\n\
                                 fastly-ratelimit-reset: 4102444800\r\n\r\n"
                            );
                            if stream.write_all(response.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                    });
                }
            });
        }
        let client = fastly_tokens::Client::builder()
            .token(KEY)
            .base_url(&base)
            .bulk_chunk_size(5)
            .revokes_in_flight(in_flight)
            .build()
            .expect("client");
        let ids: Vec<TokenId> = (0..CHUNKS * 5)
            .map(|i| format!("2j1hEyxXOEqYaSipeZH{i:03}").parse().expect("id"))
            .collect();
        let report = client.revoke_tokens(&ids).await.expect("report");
        let listed: Vec<&TokenId> = report.entries().iter().map(|(id, _)| id).collect();
        assert_eq!(
            listed,
            ids.iter().collect::<Vec<_>>(),
            "input order, each once"
        );
        assert!(report.all_gone(), "{:?}", report.failed().next());
        assert_eq!(report.requests(), CHUNKS, "one request per chunk");
        assert_eq!(served.load(Ordering::SeqCst), CHUNKS, "and no more");
        assert_eq!(
            max_during_first.load(Ordering::SeqCst),
            1,
            "the first goes alone"
        );
        assert_eq!(
            max.load(Ordering::SeqCst),
            expected_max,
            "{in_flight} in flight, budget {budget}"
        );
    }
}
