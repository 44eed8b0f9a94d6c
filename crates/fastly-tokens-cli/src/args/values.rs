//! Value parsers the flags share: durations, RFC 3339 times, and values that must not be empty.

use std::time::Duration;

use chrono::{DateTime, Utc};

pub(crate) fn duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (examples: 90d, 12h, 2w, 30s)"))
}

pub(crate) fn timestamp(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{e}: expected an RFC 3339 time such as 2027-01-31T00:00:00Z"))
}

/// A value parser refusing empty and whitespace-only values (an unset shell variable).
pub(crate) fn non_empty(flag: &'static str) -> impl Fn(&str) -> Result<String, String> + Clone {
    move |s: &str| {
        if s.trim().is_empty() {
            Err(format!(
                "{flag} is empty (an unset shell variable?); give a value"
            ))
        } else {
            Ok(s.to_string())
        }
    }
}
