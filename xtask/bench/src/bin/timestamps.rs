//! `timestamps`: what parsing timestamps costs when decoding a list, for the raw crate's
//! `Timestamp` (`fastly_tokens_raw::time`, which uses chrono's `parse_from_rfc3339`) against
//! chrono's generic `FromStr`, the baseline any hand-written parser must beat by 2% of a list's
//! decode to be worth keeping (see that module's docs for the measurement that retired one).
//!
//! For a list of 1,000 and of 10,000 tokens (the canned bodies of the list workloads), measures
//! in one process, alternating, the median time of: decoding the whole list with the generated
//! types, parsing every timestamp of the list with `Timestamp`, and parsing them with chrono's
//! generic `FromStr`. Prints a Markdown table with the difference as a share of decoding the
//! list. The harness runs it; it runs alone too.

use std::hint::black_box;
use std::str::FromStr as _;
use std::time::Instant;

use fastly_tokens_bench::{FloorToken, list_json};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Nanoseconds per call of `f`, median of `rounds` rounds of `iters` calls.
fn time(rounds: usize, iters: usize, mut f: impl FnMut()) -> Vec<f64> {
    (0..rounds)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..iters {
                f();
            }
            started.elapsed().as_nanos() as f64 / iters as f64
        })
        .collect()
}

fn main() {
    println!(
        "| list | decode the list (ns) | its timestamps, `Timestamp` (ns) | with chrono's generic `FromStr` (ns) | difference, share of the decode |"
    );
    println!("|---|---|---|---|---|");
    for (n, iters) in [(1_000usize, 50usize), (10_000, 5)] {
        let body = list_json(n);
        let floor: Vec<FloorToken> = serde_json::from_str(&body).expect("canned body");
        let stamps: Vec<String> = floor
            .iter()
            .flat_map(|t| {
                [
                    Some(t.created_at.clone()),
                    t.last_used_at.clone(),
                    t.expires_at.clone(),
                ]
            })
            .flatten()
            .collect();
        let (mut decode, mut hand, mut chrono) = (Vec::new(), Vec::new(), Vec::new());
        // Alternate the three so that drift on a busy machine hits them alike.
        for _ in 0..9 {
            decode.extend(time(1, iters, || {
                let list: Vec<fastly_tokens_raw::types::TokenResponse> =
                    serde_json::from_str(black_box(&body)).expect("decodes");
                black_box(list);
            }));
            hand.extend(time(1, iters, || {
                for s in &stamps {
                    black_box(fastly_tokens_raw::time::Timestamp::from_str(black_box(s)).ok());
                }
            }));
            chrono.extend(time(1, iters, || {
                for s in &stamps {
                    black_box(black_box(s).parse::<chrono::DateTime<chrono::Utc>>().ok());
                }
            }));
        }
        let (decode, hand, chrono) = (median(decode), median(hand), median(chrono));
        println!(
            "| {n} ({} timestamps) | {decode:.0} | {hand:.0} | {chrono:.0} | {:+.1}% |",
            stamps.len(),
            (chrono - hand) / decode * 100.0
        );
    }
}
