//! Fastly's rate-limit headers, parsed leniently.
//!
//! Non-read requests answer with `Fastly-RateLimit-Remaining` (an integer) and
//! `Fastly-RateLimit-Reset` (UTC epoch seconds of the next top of the hour). A malformed value is
//! ignored (treated as absent), never a panic: one peer client panics on exactly that.

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, HeaderName};

/// Built once: looking a `&str` up in a `HeaderMap` parses it into a name first.
const REMAINING: HeaderName = HeaderName::from_static("fastly-ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("fastly-ratelimit-reset");

/// The rate-limit state reported by one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    remaining: Option<u64>,
    reset: Option<DateTime<Utc>>,
}

impl RateLimit {
    /// Non-read requests left in the current hourly window.
    pub fn remaining(&self) -> Option<u64> {
        self.remaining
    }

    /// When the window resets.
    pub fn reset(&self) -> Option<DateTime<Utc>> {
        self.reset
    }

    /// Reads the two headers; `None` when neither is present and well-formed.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let number = |name: &HeaderName| -> Option<u64> {
            headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok()
        };
        let remaining = number(&REMAINING);
        let reset = number(&RESET)
            .and_then(|secs| i64::try_from(secs).ok())
            .and_then(|secs| DateTime::from_timestamp(secs, 0));
        if remaining.is_none() && reset.is_none() {
            return None;
        }
        Some(Self { remaining, reset })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_bytes(v).expect("header"));
        }
        map
    }

    #[test]
    fn parses_real_values() {
        let rl = RateLimit::from_headers(&headers(&[
            ("fastly-ratelimit-remaining", b"4993"),
            ("fastly-ratelimit-reset", b"1635879600"),
        ]))
        .expect("present");
        assert_eq!(rl.remaining(), Some(4993));
        assert_eq!(
            rl.reset().map(|r| r.to_rfc3339()),
            Some("2021-11-02T19:00:00+00:00".to_string())
        );
    }

    #[test]
    fn malformed_values_are_ignored() {
        for bad in [
            &b"-1"[..],
            b"abc",
            b"",
            b"1e9",
            b"99999999999999999999999",
            b"\xff\xfe",
        ] {
            let rl = RateLimit::from_headers(&headers(&[
                ("fastly-ratelimit-remaining", bad),
                ("fastly-ratelimit-reset", bad),
            ]));
            assert_eq!(rl, None, "{bad:?}");
        }
        let half = RateLimit::from_headers(&headers(&[
            ("fastly-ratelimit-remaining", b"12"),
            ("fastly-ratelimit-reset", b"soon"),
        ]))
        .expect("remaining is usable");
        assert_eq!((half.remaining(), half.reset()), (Some(12), None));
    }

    #[test]
    fn absent_headers() {
        assert_eq!(RateLimit::from_headers(&HeaderMap::new()), None);
    }
}
