//! When a failed call is sent again: the policy (how often, how long to wait) and the
//! classifiers (which operations may be repeated, and what to do after which error), after
//! smithy-rs' retry classifiers.

use std::time::Duration;

use crate::error::Error;
use crate::op::Retry;
use crate::ratelimit::RateLimit;

/// When and how calls are retried.
///
/// Only idempotent calls (GET and DELETE) are retried, on connection failures, timeouts, 408,
/// 500, 502, 503 and 504, with exponential backoff and "equal jitter" (each delay is drawn
/// between half and all of the exponential value, so it never collapses to zero).
/// Retries stop when the client's [operation timeout](crate::ClientBuilder::operation_timeout) is
/// reached. `create_token` is never
/// retried. A 429 is retried only when Fastly's `Fastly-RateLimit-Reset` is within
/// [`max_rate_limit_wait`](Self::max_rate_limit_wait) (default: zero, so a 429 is returned at
/// once, carrying the reset time): Fastly's window is hourly, so blind retries only waste time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    /// 2 retries (3 attempts), backoff from 200 ms doubling up to 5 s, no waiting on 429.
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_rate_limit_wait: Duration::ZERO,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }
    /// Retries after the first attempt (0 disables retries).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }
    /// Backoff before the first retry; it doubles each retry.
    pub fn initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }
    /// Upper bound of one backoff.
    pub fn max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }
    /// Longest wait for a rate-limit reset before retrying a 429 (idempotent calls only).
    pub fn max_rate_limit_wait(mut self, d: Duration) -> Self {
        self.max_rate_limit_wait = d;
        self
    }

    /// The delay before retry number `retry` (1-based), with equal jitter in [50%, 100%].
    fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)))
            .min(self.max_backoff);
        exp.mul_f64(0.5 + 0.5 * unit_random())
    }
}

/// A number in [0, 1] that differs from call to call and process to process, for jitter.
/// std's `RandomState` is seeded from the OS once per thread and advanced for every instance, so
/// hashing nothing with a new one gives a fresh pseudo-random `u64`. Jitter only has to keep
/// clients from retrying in step, not be unpredictable, and this keeps `rand` (and its
/// ChaCha generator) out of every program that links the client (measured: part of the
/// stripped-binary growth in BENCHMARKS.md).
fn unit_random() -> f64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    // The top 53 bits, as a fraction of 2^53.
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Return the error.
    GiveUp,
    /// Retry after an exponential backoff with jitter.
    Backoff(Duration),
    /// A 429 whose reset is within the policy's allowed wait: retry when it resets.
    WaitForReset(Duration),
}

impl RetryPolicy {
    /// Classifies a failed attempt of an operation.
    pub(crate) fn decide(&self, error: &Error, retry: Retry, attempt: u32) -> Decision {
        if retry == Retry::Never || attempt > self.max_retries {
            return Decision::GiveUp;
        }
        if error.is_rate_limited() {
            let Some(reset) = error.rate_limit().and_then(RateLimit::reset) else {
                return Decision::GiveUp;
            };
            let wait = (reset - chrono::Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO);
            return if wait <= self.max_rate_limit_wait && !self.max_rate_limit_wait.is_zero() {
                Decision::WaitForReset(wait)
            } else {
                Decision::GiveUp
            };
        }
        if error.is_retryable() {
            Decision::Backoff(self.backoff(attempt))
        } else {
            Decision::GiveUp
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_is_in_range_and_varies() {
        let draws: Vec<f64> = (0..1_000).map(|_| unit_random()).collect();
        assert!(draws.iter().all(|d| (0.0..=1.0).contains(d)));
        let distinct: std::collections::BTreeSet<u64> = draws.iter().map(|d| d.to_bits()).collect();
        assert!(distinct.len() > 990, "{} distinct of 1,000", distinct.len());
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!((0.4..0.6).contains(&mean), "mean {mean}");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(300));
        for _ in 0..100 {
            let first = policy.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = policy.backoff(3);
            assert!(third >= Duration::from_millis(150) && third <= Duration::from_millis(300));
        }
    }

    #[test]
    fn create_is_never_retried_and_reads_are() {
        let policy = RetryPolicy::default();
        let err = Error::Transport(crate::error::TransportError {
            operation: crate::op::Operation::GetToken,
            kind: crate::error::TransportKind::Interrupted,
            timeout: None,
            attempts: 1,
            source: None,
        });
        assert_eq!(policy.decide(&err, Retry::Never, 1), Decision::GiveUp);
        assert!(matches!(
            policy.decide(&err, Retry::Idempotent, 1),
            Decision::Backoff(_)
        ));
        assert_eq!(policy.decide(&err, Retry::Idempotent, 3), Decision::GiveUp);
    }
}
