//! `contender <NAME> <workload> <base-url> [scale] [requests]`: runs one workload with one
//! client implementation and prints its measurements as JSON. `requests` overrides the
//! workload's count (the instruction-count mode runs two counts and takes the difference).
//!
//! NAME: `fastly-tokens`; `reqwest` (the bare floor: reqwest + serde, default settings);
//! `reqwest-configured` (the same, configured as `fastly-tokens` configures reqwest: attempt,
//! connect and operation timeouts, User-Agent, a same-origin redirect policy); `hyper`;
//! `fastly-api` (with `--features fastly-api`).

use std::time::Duration;

use bytes::Bytes;
use fastly_tokens_bench::{Contender, FloorAutomationPage, FloorToken, Workload, drive};
use http_body_util::{BodyExt as _, Full};

/// The client, and the bulk ids parsed once (a program revoking ids has them as `TokenId`s,
/// e.g. from `list_tokens`; parsing is not part of a revoke call).
#[derive(Clone)]
struct FastlyTokens(
    fastly_tokens::Client,
    std::rc::Rc<std::cell::OnceCell<Vec<fastly_tokens::TokenId>>>,
);

impl Contender for FastlyTokens {
    async fn current(&self) -> Result<(), String> {
        self.0
            .current_token()
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }
    async fn list(&self, customer: &str) -> Result<usize, String> {
        let customer = customer
            .parse()
            .map_err(|e: fastly_tokens::Error| e.to_string())?;
        self.0
            .list_customer_tokens(&customer)
            .await
            .map(|v| v.len())
            .map_err(|e| e.to_string())
    }
    async fn revoke(&self, id: &str) -> Result<(), String> {
        let id: fastly_tokens::TokenId = id
            .parse()
            .map_err(|e: fastly_tokens::Error| e.to_string())?;
        self.0
            .revoke_token(&id)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }
    async fn bulk(&self, ids: &[String]) -> Result<(), String> {
        let ids = self
            .1
            .get_or_init(|| ids.iter().filter_map(|s| s.parse().ok()).collect());
        let report = self.0.revoke_tokens(ids).await.map_err(|e| e.to_string())?;
        if report.all_gone() {
            Ok(())
        } else {
            Err("not all revoked".into())
        }
    }
    async fn bulk_all(&self, ids: &[String]) -> Result<(), String> {
        let ids: Vec<fastly_tokens::TokenId> = ids.iter().filter_map(|s| s.parse().ok()).collect();
        let report = self
            .0
            .revoke_tokens(&ids)
            .await
            .map_err(|e| e.to_string())?;
        if report.all_gone() && report.len() == fastly_tokens_bench::BULK_IDS {
            Ok(())
        } else {
            Err("not all revoked".into())
        }
    }
    async fn automation(&self) -> Result<usize, String> {
        self.0
            .list_automation_tokens()
            .await
            .map(|v| v.len())
            .map_err(|e| e.to_string())
    }
}

/// The typed JSON:API body a careful plain-serde client would write.
#[derive(serde::Serialize)]
struct BulkBody<'a> {
    data: Vec<BulkItem<'a>>,
}

#[derive(serde::Serialize)]
struct BulkItem<'a> {
    r#type: &'static str,
    id: &'a str,
}

fn bulk_body(ids: &[String]) -> Result<Vec<u8>, String> {
    let body = BulkBody {
        data: ids
            .iter()
            .map(|id| BulkItem {
                r#type: "token",
                id,
            })
            .collect(),
    };
    serde_json::to_vec(&body).map_err(|e| e.to_string())
}

/// The floor for any reqwest-based client: reqwest + serde, no validation, no typing.
/// `deadline` is the configured floor's operation timeout around each call.
#[derive(Clone)]
struct Reqwest {
    http: reqwest::Client,
    base: String,
    deadline: Option<Duration>,
}

impl Reqwest {
    /// Runs `call` under the operation timeout, when this floor has one.
    async fn bounded<T>(&self, call: impl Future<Output = Result<T, String>>) -> Result<T, String> {
        match self.deadline {
            Some(limit) => tokio::time::timeout(limit, call)
                .await
                .map_err(|_| "operation timeout".to_string())?,
            None => call.await,
        }
    }

    async fn page(&self, page: u64) -> Result<FloorAutomationPage, String> {
        let r = self
            .http
            .get(format!(
                "{}/automation-tokens?page={page}&per_page=100",
                self.base
            ))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        r.json::<FloorAutomationPage>()
            .await
            .map_err(|e| e.to_string())
    }
}

impl Contender for Reqwest {
    async fn current(&self) -> Result<(), String> {
        self.bounded(self.current_once()).await
    }
    async fn list(&self, customer: &str) -> Result<usize, String> {
        self.bounded(self.list_once(customer)).await
    }
    async fn revoke(&self, id: &str) -> Result<(), String> {
        self.bounded(self.revoke_once(id)).await
    }
    async fn bulk(&self, ids: &[String]) -> Result<(), String> {
        self.bounded(self.bulk_once(ids)).await
    }
    async fn automation(&self) -> Result<usize, String> {
        // Fetches the same pages as fastly-tokens (until `meta.total_pages`) and keeps every
        // token, as `list_automation_tokens` does.
        let mut all = Vec::new();
        let mut page = 1;
        loop {
            let body = self.bounded(self.page(page)).await?;
            all.extend(body.data);
            if page >= body.meta.total_pages.unwrap_or(0) {
                return Ok(all.len());
            }
            page += 1;
        }
    }
}

impl Reqwest {
    async fn current_once(&self) -> Result<(), String> {
        let r = self
            .http
            .get(format!("{}/tokens/self", self.base))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        r.json::<FloorToken>()
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }
    async fn list_once(&self, customer: &str) -> Result<usize, String> {
        let r = self
            .http
            .get(format!("{}/customer/{customer}/tokens", self.base))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        r.json::<Vec<FloorToken>>()
            .await
            .map(|v| v.len())
            .map_err(|e| e.to_string())
    }
    async fn revoke_once(&self, id: &str) -> Result<(), String> {
        let r = self
            .http
            .delete(format!("{}/tokens/{id}", self.base))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        (r.status() == 204)
            .then_some(())
            .ok_or_else(|| r.status().to_string())
    }
    async fn bulk_once(&self, ids: &[String]) -> Result<(), String> {
        let r = self
            .http
            .delete(format!("{}/tokens", self.base))
            .header("content-type", "application/vnd.api+json; ext=bulk")
            .body(bulk_body(ids)?)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        (r.status() == 204)
            .then_some(())
            .ok_or_else(|| r.status().to_string())
    }
}

/// The floor below reqwest: hyper's client with serde.
#[derive(Clone)]
struct Hyper {
    http: hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        Full<Bytes>,
    >,
    base: String,
}

impl Hyper {
    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<(u16, Bytes), String> {
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("fastly-key", "bench-key")
            .header("accept", "application/json");
        if body.is_some() {
            req = req.header("content-type", "application/vnd.api+json; ext=bulk");
        }
        let req = req
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| e.to_string())?;
        let resp = self.http.request(req).await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, bytes))
    }
}

impl Contender for Hyper {
    async fn current(&self) -> Result<(), String> {
        let (_, b) = self.send("GET", "/tokens/self", None).await?;
        serde_json::from_slice::<FloorToken>(&b)
            .map(drop)
            .map_err(|e| e.to_string())
    }
    async fn list(&self, customer: &str) -> Result<usize, String> {
        let (_, b) = self
            .send("GET", &format!("/customer/{customer}/tokens"), None)
            .await?;
        serde_json::from_slice::<Vec<FloorToken>>(&b)
            .map(|v| v.len())
            .map_err(|e| e.to_string())
    }
    async fn revoke(&self, id: &str) -> Result<(), String> {
        let (s, _) = self.send("DELETE", &format!("/tokens/{id}"), None).await?;
        (s == 204).then_some(()).ok_or_else(|| s.to_string())
    }
    async fn bulk(&self, ids: &[String]) -> Result<(), String> {
        let (s, _) = self
            .send("DELETE", "/tokens", Some(bulk_body(ids)?))
            .await?;
        (s == 204).then_some(()).ok_or_else(|| s.to_string())
    }
}

#[cfg(feature = "fastly-api")]
mod official {
    use super::*;
    use fastly_api::apis::configuration::{ApiKey, Configuration};
    use fastly_api::apis::tokens_api;
    use std::collections::HashMap;

    /// fastly-api takes `&mut Configuration` per call: concurrent calls each need a clone.
    #[derive(Clone)]
    pub struct FastlyApi(pub Configuration);

    impl FastlyApi {
        pub fn new(base: &str) -> Self {
            FastlyApi(Configuration {
                base_path: base.to_string(),
                api_key: Some(ApiKey {
                    prefix: None,
                    key: "bench-key".to_string(),
                }),
                ..Configuration::default()
            })
        }
    }

    impl Contender for FastlyApi {
        async fn current(&self) -> Result<(), String> {
            let mut c = self.0.clone();
            tokens_api::get_token_current(&mut c)
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
        async fn list(&self, customer: &str) -> Result<usize, String> {
            let mut c = self.0.clone();
            let params = tokens_api::ListTokensCustomerParams {
                customer_id: customer.to_string(),
            };
            tokens_api::list_tokens_customer(&mut c, params)
                .await
                .map(|v| v.len())
                .map_err(|e| e.to_string())
        }
        async fn revoke(&self, id: &str) -> Result<(), String> {
            let mut c = self.0.clone();
            let params = tokens_api::RevokeTokenParams {
                token_id: id.to_string(),
            };
            tokens_api::revoke_token(&mut c, params)
                .await
                .map_err(|e| e.to_string())
        }
        async fn bulk(&self, ids: &[String]) -> Result<(), String> {
            let mut c = self.0.clone();
            let data: Vec<_> = ids
                .iter()
                .map(|id| serde_json::json!({"type": "token", "id": id}))
                .collect();
            let mut body = HashMap::new();
            body.insert("data".to_string(), serde_json::json!(data));
            let params = tokens_api::BulkRevokeTokensParams {
                request_body: Some(body),
            };
            tokens_api::bulk_revoke_tokens(&mut c, params)
                .await
                .map_err(|e| e.to_string())
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [name, workload, base, rest @ ..] = args.as_slice() else {
        eprintln!(
            "usage: contender <fastly-tokens|reqwest|hyper|fastly-api> <workload> <base-url> [scale]"
        );
        std::process::exit(2);
    };
    let Some(workload) = Workload::parse(workload) else {
        eprintln!("unknown workload {workload}");
        std::process::exit(2);
    };
    let scale = rest.first().and_then(|s| s.parse().ok()).unwrap_or(1);
    let n = rest
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| workload.requests(scale));
    let stats = match name.as_str() {
        "fastly-tokens" => {
            // Latency mode compares requests in flight (1: one page or chunk after another).
            let in_flight = |var: &str, default: usize| {
                std::env::var(var)
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(default)
            };
            let pages = in_flight(
                "FASTLY_TOKENS_BENCH_PAGES_IN_FLIGHT",
                fastly_tokens::DEFAULT_PAGES_IN_FLIGHT,
            );
            let chunks = in_flight(
                "FASTLY_TOKENS_BENCH_REVOKES_IN_FLIGHT",
                fastly_tokens::DEFAULT_REVOKES_IN_FLIGHT,
            );
            let client = fastly_tokens::Client::builder()
                .token("bench-key")
                .base_url(base.as_str())
                .retry(fastly_tokens::RetryPolicy::none())
                .pages_in_flight(pages)
                .revokes_in_flight(chunks)
                .build()
                .expect("client");
            drive(name, FastlyTokens(client, Default::default()), workload, n).await
        }
        "reqwest" | "reqwest-configured" => {
            let mut headers = reqwest::header::HeaderMap::new();
            let mut key = reqwest::header::HeaderValue::from_static("bench-key");
            key.set_sensitive(true);
            headers.insert("fastly-key", key);
            headers.insert(
                "accept",
                reqwest::header::HeaderValue::from_static("application/json"),
            );
            let mut builder = reqwest::Client::builder().default_headers(headers);
            let mut deadline = None;
            if name == "reqwest-configured" {
                // What fastly-tokens sets (its `builder.rs` and `Client::run`): the same
                // timeouts, a User-Agent of the same shape, and a same-origin redirect policy.
                let origin = reqwest::Url::parse(base).expect("base URL");
                builder = builder
                    .user_agent(concat!("fastly-tokens/", "0.1.0"))
                    .timeout(fastly_tokens::DEFAULT_ATTEMPT_TIMEOUT)
                    .connect_timeout(fastly_tokens::DEFAULT_CONNECT_TIMEOUT)
                    .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                        let same = attempt.url().scheme() == origin.scheme()
                            && attempt.url().host_str() == origin.host_str()
                            && attempt.url().port_or_known_default()
                                == origin.port_or_known_default();
                        if same && attempt.previous().len() < 5 {
                            attempt.follow()
                        } else {
                            attempt.stop()
                        }
                    }));
                deadline = Some(fastly_tokens::DEFAULT_OPERATION_TIMEOUT);
            }
            let http = builder.build().expect("client");
            drive(
                name,
                Reqwest {
                    http,
                    base: base.clone(),
                    deadline,
                },
                workload,
                n,
            )
            .await
        }
        "hyper" => {
            let http =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build_http();
            drive(
                name,
                Hyper {
                    http,
                    base: base.clone(),
                },
                workload,
                n,
            )
            .await
        }
        #[cfg(feature = "fastly-api")]
        "fastly-api" => drive(name, official::FastlyApi::new(base), workload, n).await,
        other => {
            eprintln!("unknown contender {other} (fastly-api needs --features fastly-api)");
            std::process::exit(2);
        }
    };
    println!("{}", serde_json::to_string(&stats).expect("json"));
}
