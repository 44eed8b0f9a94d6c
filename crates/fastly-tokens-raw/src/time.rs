//! `Timestamp`: the type generated code uses for `format: date-time` (fix-up 4 in
//! `openapi/README.md`).
//!
//! Fastly's timestamps are RFC 3339 in three shapes (`2021-11-02T18:46:13Z`,
//! `2020-06-22T03:19:48.000Z`, `2016-06-22T03:19:48+00:00`). They are parsed with chrono's
//! `DateTime::parse_from_rfc3339`, falling back to chrono's generic `FromStr` (which accepts a
//! little more), so nothing chrono accepts is refused.
//!
//! An earlier version parsed them by hand, measured only against chrono's generic `FromStr`
//! (about 550 ns each). Measured against `parse_from_rfc3339` instead
//! (`xtask/bench/src/bin/timestamps.rs`, two runs pinned to one core of a 2-core machine), the
//! two cost the same within noise, 31-35 ns a timestamp, and the difference was -0.8% to +0.2%
//! of decoding a list of 1,000 or 10,000 tokens: under the 2% that would justify hand-written
//! code, so the library's own entry point is used.

use chrono::{DateTime, Utc};

/// A point in time, as `DateTime<Utc>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub DateTime<Utc>);

impl From<Timestamp> for DateTime<Utc> {
    fn from(t: Timestamp) -> Self {
        t.0
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        Timestamp(t)
    }
}

impl std::ops::Deref for Timestamp {
    type Target = DateTime<Utc>;
    fn deref(&self) -> &DateTime<Utc> {
        &self.0
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    }
}

impl std::str::FromStr for Timestamp {
    type Err = chrono::ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match DateTime::parse_from_rfc3339(s) {
            Ok(t) => Ok(Timestamp(t.with_timezone(&Utc))),
            // chrono's generic parser accepts a little more (a space for `T`); keep accepting it.
            Err(_) => s.parse::<DateTime<Utc>>().map(Timestamp),
        }
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Timestamp;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an RFC 3339 date-time string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Timestamp, E> {
                // The message names what was expected, never the value: it may come from a
                // hostile server, and messages end up in logs.
                v.parse()
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Other("a string"), &self))
            }
        }
        d.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_fastly_shapes_and_offsets_agree_with_chrono() {
        for s in [
            "2021-11-02T18:46:13Z",
            "2020-06-22T03:19:48.000Z",
            "2016-06-22T03:19:48+00:00",
            "2016-06-22T03:19:48.123456789-07:30",
            "2024-02-29T23:59:59.5+14:00",
            "1970-01-01T00:00:00Z",
            "2021-11-02t18:46:13z",
            "2021-11-02 18:46:13Z",
        ] {
            let parsed: Timestamp = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(parsed.0, s.parse::<DateTime<Utc>>().expect("chrono"), "{s}");
        }
    }

    #[test]
    fn anything_else_fails() {
        for bad in [
            "",
            "2021-13-02T18:46:13Z",
            "2021-02-30T00:00:00Z",
            "2021-11-02T25:00:00Z",
            "2021-11-02T18:46:13",
            "2021-11-02T18:46:13.Z",
            "yesterday",
            "2021-11-02T18:46:13+99:00",
        ] {
            assert!(bad.parse::<Timestamp>().is_err(), "{bad}");
        }
    }

    #[test]
    fn round_trips_through_json() {
        let t: Timestamp = serde_json::from_str("\"2021-11-02T18:46:13Z\"").expect("decodes");
        assert_eq!(
            serde_json::to_string(&t).expect("encodes"),
            "\"2021-11-02T18:46:13Z\""
        );
        assert!(serde_json::from_str::<Timestamp>("17").is_err());
    }
}
