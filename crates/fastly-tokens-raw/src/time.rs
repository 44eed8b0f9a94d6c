//! `Timestamp`: the type generated code uses for `format: date-time` (fix-up 4 in
//! `openapi/README.md`).
//!
//! Fastly's timestamps are RFC 3339 in three shapes (`2021-11-02T18:46:13Z`,
//! `2020-06-22T03:19:48.000Z`, `2016-06-22T03:19:48+00:00`). chrono parses them with a generic
//! format machine that was the largest single cost of decoding a token (see `BENCHMARKS.md`);
//! this parser handles exactly `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` by hand and hands
//! anything else to chrono, so nothing chrono accepts is refused.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

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

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// The fast path: `YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+HH:MM|-HH:MM)`.
fn parse_fast(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(digits(&b[0..4])?).ok()?,
        digits(&b[5..7])?,
        digits(&b[8..10])?,
    )?;
    let (h, m, sec) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    let mut rest = &b[19..];
    let mut nanos = 0u32;
    if let Some((b'.', frac)) = rest.split_first() {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return None;
        }
        nanos = digits(&frac[..n])? * 10u32.pow(9 - n as u32);
        rest = &frac[n..];
    }
    let offset_secs: i32 = match rest {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hours = i32::try_from(digits(&[*h1, *h2])?).ok()?;
            let minutes = i32::try_from(digits(&[*m1, *m2])?).ok()?;
            let total = hours * 3600 + minutes * 60;
            if *sign == b'-' { -total } else { total }
        }
        _ => return None,
    };
    let local = date.and_hms_nano_opt(h, m, sec, nanos)?;
    let offset = FixedOffset::east_opt(offset_secs)?;
    Some(
        local
            .and_local_timezone(offset)
            .single()?
            .with_timezone(&Utc),
    )
}

impl std::str::FromStr for Timestamp {
    type Err = chrono::ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match parse_fast(s) {
            Some(t) => Ok(Timestamp(t)),
            None => s.parse::<DateTime<Utc>>().map(Timestamp),
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
        ] {
            let fast = parse_fast(s).unwrap_or_else(|| panic!("fast path for {s}"));
            assert_eq!(fast, s.parse::<DateTime<Utc>>().expect("chrono"), "{s}");
        }
    }

    #[test]
    fn anything_else_falls_back_to_chrono_or_fails_like_it() {
        // Lowercase separator and space: not the fast path, but chrono accepts them.
        for s in ["2021-11-02t18:46:13z", "2021-11-02 18:46:13Z"] {
            assert_eq!(parse_fast(s), None, "{s}");
            assert_eq!(
                s.parse::<Timestamp>().ok().map(|t| t.0),
                s.parse::<DateTime<Utc>>().ok(),
                "{s}"
            );
        }
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
