//! At scale, against the fake with injected faults: bulk revoke of 10,000 ids loses none and
//! counts none twice; one shared client under 64 concurrent tasks accounts for every call.
//!
//! `FASTLY_TOKENS_FULL_SCALE=1` raises the load test from 20,000 to 100,000 calls.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fastly_tokens::{Client, TokenId};
use fastly_tokens_fake::{FakeFastly, Fault};

mod common;

fn client(fake: &FakeFastly, timeout: Duration) -> Client {
    Client::builder()
        .token(fake.seed().user("alice").key.as_str())
        .base_url(fake.base_url())
        .attempt_timeout(timeout)
        .retry(common::fast_retries())
        .build()
        .expect("client")
}

fn ids(raw: Vec<String>) -> Vec<TokenId> {
    common::tids(&raw)
}

/// Revokes 10,000 ids while chunks fail (503), time out, lose their response after the server
/// acted, and the hourly budget runs out mid-run; then finishes after the reset. One chunk at a
/// time (where each fault lands on a known chunk) and 8 in flight (the default: the faults land
/// wherever they land) account for every id the same way and spend the same requests: 70
/// granted, one 429, none after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_revoke_of_10_000_ids_under_faults_accounts_for_every_id() {
    let one = under_faults(1).await;
    let eight = under_faults(8).await;
    assert_eq!(
        one, eight,
        "(DELETE requests, answers 429) one at a time vs 8 in flight"
    );
    assert_eq!(one.1, 1, "one 429, then no more requests");
}

/// What a run under faults spent: `DELETE` requests the server saw (retries included), and
/// 429 answers among them.
async fn under_faults(in_flight: usize) -> (usize, usize) {
    // 10,000 ids = 100 chunks; the budget allows 70 requests this hour.
    let fake = FakeFastly::builder()
        .hourly_limit(70)
        .start()
        .await
        .expect("fake");
    let all = ids(fake.add_tokens("alice", 10_000));
    let client = Client::builder()
        .token(fake.seed().user("alice").key.as_str())
        .base_url(fake.base_url())
        .attempt_timeout(Duration::from_millis(500))
        .retry(common::fast_retries())
        .revokes_in_flight(in_flight)
        .build()
        .expect("client");

    fake.inject(Fault::Status(503), 2); // chunk 1: retried twice, then succeeds
    fake.inject(Fault::Latency(Duration::from_secs(2)), 1); // chunk 2: times out once
    fake.inject(Fault::DropConnection, 1); // chunk 2 retry: revoked, but the answer is lost
    fake.inject(Fault::Status(502), 3); // chunk 3: fails 3 times -> reported failed

    let first = client.revoke_tokens(&all).await.expect("report");
    assert_eq!(first.len(), all.len(), "one entry per id");
    let mut seen: HashMap<&TokenId, usize> = HashMap::new();
    for (id, _) in first.entries() {
        *seen.entry(id).or_default() += 1;
    }
    assert!(seen.values().all(|&n| n == 1), "an id was reported twice");
    assert_eq!(seen.len(), all.len(), "an id was lost");

    // Every id reported gone is gone on the server. "Failed" means "not confirmed": when an
    // attempt's answer was lost the server may have acted, so a failed id may already be gone;
    // the second pass below reports such ids as already gone.
    for (id, status) in first.entries() {
        if status.is_gone() {
            assert!(!fake.is_live(id.as_str()), "{id} reported gone but live");
        }
    }
    let failed: Vec<TokenId> = first.failed().map(|(id, _)| id.clone()).collect();
    let rate_limited = first.failed().filter(|(_, e)| e.is_rate_limited()).count();
    let server_errors = first
        .failed()
        .filter(|(_, e)| e.status() == Some(502))
        .count();
    let transport = first
        .failed()
        .filter(|(_, e)| e.is_timeout() || matches!(e, fastly_tokens::Error::Transport(_)))
        .count();
    if in_flight == 1 {
        // Side by side, the three 502s fall on three chunks, whose retries succeed.
        assert!(server_errors > 0, "a chunk failed after three 502s");
    }
    assert!(rate_limited > 0, "the budget ran out mid-run");
    assert_eq!(
        failed.len(),
        server_errors + rate_limited + transport,
        "only the injected failures"
    );
    assert_eq!(failed.len() % 100, 0, "whole chunks fail together");
    let already_gone = first.already_gone().count();
    let deletes: Vec<u16> = fake
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.status)
        .collect();
    let spent = (deletes.len(), deletes.iter().filter(|&&s| s == 429).count());

    // After the reset, revoking the failed ids finishes the job.
    fake.advance(Duration::from_secs(3600));
    let second = client.revoke_tokens(&failed).await.expect("report");
    assert!(second.all_gone(), "{:?}", second.failed().next());
    assert_eq!(second.len(), failed.len());
    assert_eq!(
        fake.live_tokens(),
        fake.seed()
            .users
            .iter()
            .map(|u| u.tokens.len())
            .sum::<usize>()
            + fake.seed().automation.len()
    );

    // The outcome equals a fault-free run's, modulo the failures it named.
    let clean_fake = FakeFastly::builder()
        .hourly_limit(1_000)
        .start()
        .await
        .expect("fake");
    let clean_ids = ids(clean_fake.add_tokens("alice", 10_000));
    let clean = client_for_clean(&clean_fake)
        .revoke_tokens(&clean_ids)
        .await
        .expect("report");
    assert_eq!(clean.revoked().count(), 10_000);
    assert_eq!(
        first.revoked().count() + already_gone + failed.len(),
        clean.revoked().count(),
        "same ids, partitioned into revoked / already gone / named failures"
    );
    println!(
        "10,000 ids, {in_flight} in flight: {} revoked, {already_gone} already gone (lost answer, retried), {} failed \
         ({server_errors} after 3 x 502, {transport} transport, {rate_limited} rate-limited), {} requests; \
         finished after the reset with {} more requests",
        first.revoked().count(),
        failed.len(),
        first.requests(),
        second.requests()
    );
    spent
}

fn client_for_clean(fake: &FakeFastly) -> Client {
    client(fake, Duration::from_secs(10))
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// One client shared by 64 tasks, mixed calls, random faults: no deadlock, no panic, every call
/// accounted for, memory bounded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_64_tasks_mixed_calls_with_random_faults() {
    let total: usize = if std::env::var_os("FASTLY_TOKENS_FULL_SCALE").is_some() {
        100_000
    } else {
        20_000
    };
    let fake = FakeFastly::builder()
        .hourly_limit(u32::MAX)
        .start()
        .await
        .expect("fake");
    fake.inject_random(
        0.05,
        vec![
            Fault::Status(503),
            Fault::Status(500),
            Fault::Latency(Duration::from_millis(5)),
            Fault::DropConnection,
            Fault::TruncateBody,
        ],
    );
    let client = client(&fake, Duration::from_secs(5));
    let dashboards: TokenId = fake.seed().token("dashboards").id.parse().expect("id");
    let next = Arc::new(AtomicUsize::new(0));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let rss_before = peak_rss_kib();
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (client, next, ok, failed, dashboards) = (
                client.clone(),
                next.clone(),
                ok.clone(),
                failed.clone(),
                dashboards.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= total {
                        break;
                    }
                    let unknown: TokenId = format!("Gone{i:018}").parse().expect("id");
                    let result = match i % 4 {
                        0 => client.current_token().await.map(drop),
                        1 => client.list_tokens().await.map(drop),
                        2 => client.get_token(&dashboards).await.map(drop),
                        _ => client.revoke_token(&unknown).await.map(drop),
                    };
                    match result {
                        Ok(()) => ok.fetch_add(1, Ordering::SeqCst),
                        Err(_) => failed.fetch_add(1, Ordering::SeqCst),
                    };
                }
            })
        })
        .collect();
    let all = tokio::time::timeout(Duration::from_secs(600), async {
        for t in tasks {
            t.await.expect("no task panicked");
        }
    })
    .await;
    assert!(all.is_ok(), "deadlock or stall: not done within 10 minutes");
    let (ok, failed) = (ok.load(Ordering::SeqCst), failed.load(Ordering::SeqCst));
    assert_eq!(ok + failed, total, "every call accounted for");
    // Faults hit 5% of requests and are mostly retried away; truncated bodies are not retried.
    assert!(failed < total / 20, "{failed} of {total} failed");
    let peak = peak_rss_kib();
    if let (Some(before), Some(peak)) = (rss_before, peak) {
        // The whole test process (fake included) stays small: no growth per call.
        assert!(peak < 512 * 1024, "peak RSS {peak} KiB");
        println!(
            "{total} calls by 64 tasks: {ok} ok, {failed} failed; peak RSS {peak} KiB (before: {before} KiB)"
        );
    }
}
