//! Canned-response Fastly Tokens server on loopback for the benchmark: it answers from
//! pre-built bodies so that its own cost is small and equal for every contender.
//! Prints its base URL on the first line of stdout. With `FASTLY_TOKENS_BENCH_RTT_MS` set, it
//! holds every answer that long (latency mode: `harness --rtt-ms`); with
//! `FASTLY_TOKENS_BENCH_AUTOMATION_TOKENS` the automation list has that many tokens (default
//! 5,000). `GET /tokens` answers 2,000 user tokens (the CLI's `audit`).

use axum::body::{Body, Bytes};
use axum::http::{Method, Response, StatusCode, Uri};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let token = Bytes::from(fastly_tokens_bench::token_json(0));
    let list1000 = Bytes::from(fastly_tokens_bench::list_json(1_000));
    let list10000 = Bytes::from(fastly_tokens_bench::list_json(10_000));
    let own = Bytes::from(fastly_tokens_bench::list_json(
        fastly_tokens_bench::AUDIT_USER_TOKENS,
    ));
    let automation: usize = std::env::var("FASTLY_TOKENS_BENCH_AUTOMATION_TOKENS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(fastly_tokens_bench::AUTOMATION_TOKENS);
    let pages: Vec<Bytes> = (1..=automation.div_ceil(fastly_tokens_bench::AUTOMATION_PER_PAGE))
        .map(|p| Bytes::from(fastly_tokens_bench::automation_page_json_of(automation, p)))
        .collect();
    let pages = std::sync::Arc::new(pages);
    let rtt = std::time::Duration::from_millis(
        std::env::var("FASTLY_TOKENS_BENCH_RTT_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    );
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri| {
        let (token, list1000, list10000) = (token.clone(), list1000.clone(), list10000.clone());
        let own = own.clone();
        let pages = pages.clone();
        async move {
            if !rtt.is_zero() {
                tokio::time::sleep(rtt).await;
            }
            let json = |body: Bytes| {
                Response::builder()
                    .status(StatusCode::OK)
                    .header("content-type", "application/json")
                    .body(Body::from(body))
            };
            let path = uri.path();
            let response = match (method, path) {
                (Method::GET, "/tokens/self") => json(token),
                (Method::GET, "/tokens") => json(own),
                (Method::GET, "/customer/c1000/tokens") => json(list1000),
                (Method::GET, "/customer/c10000/tokens") => json(list10000),
                (Method::GET, "/automation-tokens") => {
                    // `page=N` (1-based); `per_page` is always the canned 100.
                    let page = uri
                        .query()
                        .unwrap_or("")
                        .split('&')
                        .find_map(|kv| kv.strip_prefix("page="))
                        .and_then(|n| n.parse::<usize>().ok())
                        .unwrap_or(1);
                    match pages.get(page.wrapping_sub(1)) {
                        Some(body) => json(body.clone()),
                        None => json(Bytes::from_static(br#"{"data":[],"meta":{}}"#)),
                    }
                }
                (Method::DELETE, p) if p.starts_with("/tokens") => Response::builder()
                    .status(StatusCode::NO_CONTENT)
                    .header("fastly-ratelimit-remaining", "999")
                    .header("fastly-ratelimit-reset", "1635879600")
                    .body(Body::empty()),
                _ => Response::builder()
                    .status(StatusCode::NOT_FOUND)
                    .body(Body::empty()),
            };
            response.unwrap_or_else(|_| Response::new(Body::empty()))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    println!("http://{}", listener.local_addr().expect("addr"));
    axum::serve(listener, app).await.expect("serve");
}
