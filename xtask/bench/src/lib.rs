//! Shared pieces of the benchmark: canned bodies, the workloads, one driver for every
//! contender, and self-measurement (CPU from `getrusage`, peak RSS from `/proc`).

use std::future::Future;
use std::time::Instant;

use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};

/// One canned token, shaped like the real GET responses.
pub fn token_json(i: usize) -> String {
    format!(
        r#"{{"id":"Tok{i:019}","user_id":"1tSCjJnpQYBBCAsIfI6pX0","customer_id":"51MumwLiSJyFTWhtbByYgR","name":"token {i}","last_used_at":"2026-10-14T11:36:43Z","created_at":"2026-10-14T11:25:39Z","expires_at":null,"ip":"203.0.113.48","user_agent":"curl/8.5.0","sudo_expires_at":null,"scopes":["global"],"scope":"global","services":["4aXkQ2mXbV1yQp0tR9sT7e"],"service_id":"4aXkQ2mXbV1yQp0tR9sT7e"}}"#
    )
}

pub fn list_json(n: usize) -> String {
    let items: Vec<String> = (0..n).map(token_json).collect();
    format!("[{}]", items.join(","))
}

/// Automation tokens in all for the paginated workload, and per page (the client's page size).
pub const AUTOMATION_TOKENS: usize = 5_000;
pub const AUTOMATION_PER_PAGE: usize = 100;

/// One canned automation token, shaped like `GET /automation-tokens` items (2025 recordings:
/// `scopes` a space-delimited string, `services` null when unrestricted).
pub fn automation_json(i: usize) -> String {
    format!(
        r#"{{"id":"Aut{i:019}","creator_id":"1tSCjJnpQYBBCAsIfI6pX0","customer_id":"51MumwLiSJyFTWhtbByYgR","name":"deploy {i}","access_token":"","role":"engineer","ip":"203.0.113.48","user_agent":"terraform/1.9","scopes":"global:read purge_select","services":null,"service_id":null,"sudo_expires_at":null,"last_used_at":"2026-10-14T11:36:43Z","created_at":"2026-10-14T11:25:39Z","expires_at":"2027-10-14T11:25:39Z","tls_access":false}}"#
    )
}

/// Page `page` (1-based) of the automation list, with Fastly's `meta`.
pub fn automation_page_json(page: usize) -> String {
    automation_page_json_of(AUTOMATION_TOKENS, page)
}

/// Page `page` (1-based) of an automation list of `total` tokens.
pub fn automation_page_json_of(total: usize, page: usize) -> String {
    let total_pages = total.div_ceil(AUTOMATION_PER_PAGE);
    let first = (page - 1) * AUTOMATION_PER_PAGE;
    let last = (first + AUTOMATION_PER_PAGE).min(total);
    let items: Vec<String> = (first..last).map(automation_json).collect();
    format!(
        r#"{{"data":[{}],"meta":{{"current_page":{page},"per_page":{AUTOMATION_PER_PAGE},"record_count":{total},"total_pages":{total_pages}}}}}"#,
        items.join(",")
    )
}

/// User tokens `GET /tokens` answers with (the CLI's `audit` workload in latency mode).
pub const AUDIT_USER_TOKENS: usize = 2_000;

/// What a plain serde client decodes of an automation token: every field, as strings.
#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "decoded to pay the cost, not read")]
pub struct FloorAutomationToken {
    pub id: String,
    pub creator_id: Option<String>,
    pub customer_id: Option<String>,
    pub name: String,
    pub role: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub scopes: Option<String>,
    pub services: Option<Vec<String>>,
    pub service_id: Option<String>,
    pub sudo_expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub tls_access: Option<bool>,
}

/// One page of the floor's automation list.
#[derive(Debug, Deserialize)]
pub struct FloorAutomationPage {
    pub data: Vec<FloorAutomationToken>,
    pub meta: FloorMeta,
}

#[derive(Debug, Deserialize)]
pub struct FloorMeta {
    pub total_pages: Option<u64>,
}

/// What a plain serde client decodes: every field, as strings (no typed timestamps or scopes).
#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "decoded to pay the cost, not read")]
pub struct FloorToken {
    pub id: String,
    pub user_id: String,
    pub customer_id: Option<String>,
    pub name: String,
    pub scope: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub services: Vec<String>,
    pub service_id: Option<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub sudo_expires_at: Option<String>,
}

/// The operations a contender implements.
pub trait Contender: Clone {
    fn current(&self) -> impl Future<Output = Result<(), String>>;
    fn list(&self, customer: &str) -> impl Future<Output = Result<usize, String>>;
    fn revoke(&self, id: &str) -> impl Future<Output = Result<(), String>>;
    fn bulk(&self, ids: &[String]) -> impl Future<Output = Result<(), String>>;
    /// Revokes every id of a long list: chunks of 100 one after another, as a caller of a
    /// client with only a one-request bulk call writes it.
    fn bulk_all(&self, ids: &[String]) -> impl Future<Output = Result<(), String>> {
        async move {
            for chunk in ids.chunks(100) {
                self.bulk(chunk).await?;
            }
            Ok(())
        }
    }
    /// Every automation token, page by page; `Err(UNSUPPORTED)` for a client without them.
    fn automation(&self) -> impl Future<Output = Result<usize, String>> {
        async { Err(UNSUPPORTED.to_string()) }
    }
}

/// Ids of the `bulk10000` workload.
pub const BULK_IDS: usize = 10_000;

/// The error of a workload a contender does not implement (the harness leaves it out).
pub const UNSUPPORTED: &str = "unsupported";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// `get_token_current` × 20,000, one at a time.
    Current,
    /// `list_tokens` of 1,000 tokens × 500.
    List1000,
    /// `revoke_token` × 20,000.
    Revoke,
    /// `get_token_current` × 20,000, 32 in flight.
    Current32,
    /// Bulk revoke of 100 ids × 5,000.
    Bulk100,
    /// One list of 10,000 tokens (peak RSS).
    List10000,
    /// Every automation token of 5,000, 100 per page (50 pages) × 20.
    Auto5000,
    /// Bulk revoke of 10,000 ids (100 requests of 100); latency mode only.
    Bulk10000,
}

impl Workload {
    pub const ALL: [Workload; 7] = [
        Workload::Current,
        Workload::List1000,
        Workload::Revoke,
        Workload::Current32,
        Workload::Bulk100,
        Workload::List10000,
        Workload::Auto5000,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Workload::Current => "current",
            Workload::List1000 => "list1000",
            Workload::Revoke => "revoke",
            Workload::Current32 => "current32",
            Workload::Bulk100 => "bulk100",
            Workload::List10000 => "list10000",
            Workload::Auto5000 => "auto5000",
            Workload::Bulk10000 => "bulk10000",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .chain([Workload::Bulk10000])
            .find(|w| w.name() == s)
    }
    /// Requests at full scale; `scale` divides it (for quick runs).
    pub fn requests(self, scale: usize) -> usize {
        let n = match self {
            Workload::Current | Workload::Revoke | Workload::Current32 => 20_000,
            Workload::List1000 => 500,
            Workload::Bulk100 => 5_000,
            Workload::List10000 => 1,
            Workload::Auto5000 => 20,
            Workload::Bulk10000 => 1,
        };
        (n / scale.max(1)).max(1)
    }
}

#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct Stats {
    /// Which run of the harness this is (set by the harness; ratios pair results by it).
    #[serde(default)]
    pub run: usize,
    pub contender: String,
    pub workload: String,
    pub requests: usize,
    pub errors: usize,
    pub wall_ms: f64,
    /// User + system CPU of this process during the workload.
    pub cpu_ms: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub peak_rss_kib: u64,
}

/// User + system CPU time of this process so far, in milliseconds.
pub fn cpu_ms() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct we pass; no other invariants.
    #[allow(unsafe_code)]
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| t.tv_sec as f64 * 1e3 + t.tv_usec as f64 / 1e3;
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)])
}

/// Runs `workload` `n` times with `client` and measures it.
pub async fn drive<C: Contender>(name: &str, client: C, workload: Workload, n: usize) -> Stats {
    let ids: Vec<String> = (0..100).map(|i| format!("Revoke{i:016}")).collect();
    let all_ids: Vec<String> = if workload == Workload::Bulk10000 {
        (0..BULK_IDS).map(|i| format!("Revoke{i:016}")).collect()
    } else {
        Vec::new()
    };
    let cpu_before = cpu_ms();
    let started = Instant::now();
    let mut latencies: Vec<u32> = Vec::with_capacity(n);
    let mut errors = 0;
    let timed = |start: Instant| start.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
    match workload {
        Workload::Current32 => {
            let results: Vec<(bool, u32)> = futures_util::stream::iter(0..n)
                .map(|_| {
                    let c = client.clone();
                    async move {
                        let t = Instant::now();
                        let ok = c.current().await.is_ok();
                        (ok, timed(t))
                    }
                })
                .buffer_unordered(32)
                .collect()
                .await;
            for (ok, us) in results {
                errors += usize::from(!ok);
                latencies.push(us);
            }
        }
        _ => {
            for i in 0..n {
                let t = Instant::now();
                let ok = match workload {
                    Workload::Current => client.current().await.is_ok(),
                    Workload::List1000 => client.list("c1000").await.is_ok_and(|n| n == 1000),
                    Workload::List10000 => client.list("c10000").await.is_ok_and(|n| n == 10_000),
                    Workload::Revoke => client.revoke(&format!("Revoke{i:016}")).await.is_ok(),
                    Workload::Bulk100 => client.bulk(&ids).await.is_ok(),
                    Workload::Bulk10000 => client.bulk_all(&all_ids).await.is_ok(),
                    Workload::Auto5000 => match client.automation().await {
                        Ok(n) => n == AUTOMATION_TOKENS,
                        Err(e) if e == UNSUPPORTED => {
                            eprintln!("{UNSUPPORTED}");
                            std::process::exit(3);
                        }
                        Err(_) => false,
                    },
                    Workload::Current32 => unreachable!("handled above"),
                };
                errors += usize::from(!ok);
                latencies.push(timed(t));
            }
        }
    }
    let wall = started.elapsed();
    let cpu = cpu_ms() - cpu_before;
    latencies.sort_unstable();
    Stats {
        run: 0,
        contender: name.to_string(),
        workload: workload.name().to_string(),
        requests: n,
        errors,
        wall_ms: wall.as_secs_f64() * 1e3,
        cpu_ms: cpu,
        p50_us: percentile(&latencies, 0.5),
        p99_us: percentile(&latencies, 0.99),
        peak_rss_kib: peak_rss_kib(),
    }
}
