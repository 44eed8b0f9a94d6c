//! Identifier newtypes, validated at construction so that no id can change the request path.
//!
//! Fastly ids are base62 strings (e.g. `2j1hEyxXOEqYaSipeZHaW4`). Accepting only non-empty ASCII
//! alphanumeric strings, and refusing the literal `self`, means `revoke_token(&id)` can never
//! revoke the caller's own token (`DELETE /tokens/self`) or reach another route (`../x`, `a/b`).

use std::fmt;
use std::str::FromStr;

use compact_str::CompactString;

use crate::error::input::InvalidInput;

/// Longest id accepted. Real ids are 21-22 characters; this leaves room without allowing
/// arbitrarily large path segments.
const MAX_ID_LEN: usize = 64;

/// ASCII letters and digits, by byte value (the last bytes of [`alphanumeric`]).
static ALPHANUMERIC: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    table
};

/// Whether every byte is an ASCII letter or digit (every decoded token runs this five
/// times). Eight bytes at a time: a byte is a letter or digit when its high bit is clear and,
/// with the case bit set, it falls in `0-9` or `a-z`, tested for all eight at once with carries
/// that stop at each byte's high bit. The rest goes through a table. Measured with `cargo xtask
/// bench --instructions` per 22-character id: an early-exit `all(is_ascii_alphanumeric)` 200
/// instructions, a branch-free fold 137, a table 110, this about 45.
fn alphanumeric(value: &str) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // High bit of each byte set where that byte (high bit clear) is >= `lo`, resp. > `hi`.
    let at_least = |x: u64, lo: u8| x + ONES * u64::from(0x80 - lo);
    let above = |x: u64, hi: u8| x + ONES * u64::from(0x7f - hi);
    let bytes = value.as_bytes();
    let mut chunks = bytes.chunks_exact(8);
    let mut ok = true;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let ascii = w & HIGH == 0;
        let low7 = w & !HIGH;
        let folded = low7 | (ONES * 0x20);
        let digit = at_least(low7, b'0') & !above(low7, b'9');
        let letter = at_least(folded, b'a') & !above(folded, b'z');
        ok &= ascii & ((digit | letter) & HIGH == HIGH);
    }
    chunks
        .remainder()
        .iter()
        .fold(ok, |ok, &b| ok & ALPHANUMERIC[usize::from(b)])
}

fn validate(kind: &'static str, value: &str) -> Result<(), InvalidInput> {
    // The common case first, without building anything (every decoded token runs this).
    if (1..=MAX_ID_LEN).contains(&value.len())
        && alphanumeric(value)
        && !(value.len() == 4 && value.eq_ignore_ascii_case("self"))
    {
        return Ok(());
    }
    let reason = if value.is_empty() {
        "it is empty"
    } else if value.len() > MAX_ID_LEN {
        "it is longer than 64 characters"
    } else if !alphanumeric(value) {
        "it must contain only ASCII letters and digits"
    } else if value.eq_ignore_ascii_case("self") {
        "`self` is not an id: it names the token in use, which has operations of its own"
    } else {
        return Ok(());
    };
    // Never the whole value: it may be huge, or a secret pasted where an id belongs.
    Err(InvalidInput::new(
        kind,
        format!("{}: {reason}", crate::text::excerpt(value, 8)),
    ))
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        ///
        /// Construct with [`new`](Self::new) or [`str::parse`]; both reject anything that is not
        /// 1-64 ASCII letters and digits, and the literal `self`.
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(CompactString);

        impl $name {
            /// Validates and wraps an id.
            ///
            /// # Errors
            ///
            /// [`Error::InvalidInput`](crate::Error::InvalidInput) when the value is empty,
            /// too long, not ASCII alphanumeric, or `self`.
            pub fn new(value: impl Into<String>) -> Result<Self, crate::Error> {
                Self::from_text(CompactString::from(value.into()))
            }

            /// Validates and wraps an id decoded by the raw crate (no copy: ids are short
            /// enough to live inline).
            pub(crate) fn from_text(value: CompactString) -> Result<Self, crate::Error> {
                validate($kind, &value)?;
                Ok(Self(value))
            }

            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = crate::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = crate::Error;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }

        /// So that a create builder takes what a token returns: `.services(token.services())`.
        impl From<&$name> for $name {
            fn from(id: &$name) -> Self {
                id.clone()
            }
        }

        impl TryFrom<String> for $name {
            type Error = crate::Error;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "pattern": "^[A-Za-z0-9]{1,64}$" })
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = CompactString::deserialize(d)?;
                validate($kind, &s).map_err(serde::de::Error::custom)?;
                Ok(Self(s))
            }
        }
    };
}

id_type!(
    /// The id of an API token (not the secret access token itself).
    TokenId,
    "token id"
);
id_type!(
    /// The id of an automation token (not its secret). Automation tokens are revoked through
    /// the user-token route, so [`AutomationTokenId::as_token_id`] gives the same id as a
    /// [`TokenId`].
    AutomationTokenId,
    "automation token id"
);

impl AutomationTokenId {
    /// The same id as a [`TokenId`], for `DELETE /tokens/{id}` (how Fastly revokes automation
    /// tokens). Both types validate alike, so this cannot fail.
    pub fn as_token_id(&self) -> TokenId {
        TokenId(self.0.clone())
    }
}

id_type!(
    /// The id of a Fastly customer (account).
    CustomerId,
    "customer id"
);
id_type!(
    /// The id of a Fastly service.
    ServiceId,
    "service id"
);
id_type!(
    /// The id of a Fastly user.
    UserId,
    "user id"
);

#[cfg(test)]
mod tests {

    #[test]
    fn alphanumeric_agrees_with_std_for_every_byte_and_position() {
        for b in 0..=255u8 {
            for at in [0, 5, 7, 8, 13, 15, 16, 21] {
                let mut bytes = b"2j1hEyxXOEqYaSipeZHaW4".to_vec();
                bytes[at] = b;
                // Non-UTF-8 bytes cannot be in a `str`; the check works on bytes anyway.
                if let Ok(s) = std::str::from_utf8(&bytes) {
                    assert_eq!(
                        alphanumeric(s),
                        s.bytes().all(|c| c.is_ascii_alphanumeric()),
                        "byte {b:#04x} at {at}"
                    );
                }
            }
            let lone = [b];
            if let Ok(s) = std::str::from_utf8(&lone) {
                assert_eq!(alphanumeric(s), b.is_ascii_alphanumeric(), "{b:#04x}");
            }
        }
        assert!(!alphanumeric("abcé"));
        assert!(alphanumeric(""));
    }

    use super::*;

    #[test]
    fn accepts_base62_ids() {
        let id = TokenId::new("2j1hEyxXOEqYaSipeZHaW4").expect("valid");
        assert_eq!(id.as_str(), "2j1hEyxXOEqYaSipeZHaW4");
        assert_eq!(id.to_string(), "2j1hEyxXOEqYaSipeZHaW4");
        assert_eq!(format!("{id:?}"), "TokenId(\"2j1hEyxXOEqYaSipeZHaW4\")");
    }

    #[test]
    fn rejects_anything_that_could_change_the_path() {
        for bad in [
            "", "self", "SELF", "../x", "a/b", "a b", "a%2Fb", "é", "a?b", "a#b", ".", "a\n",
        ] {
            let err = TokenId::new(bad).expect_err(bad);
            assert!(err.is_invalid_input(), "{bad:?}: {err}");
            assert!(err.to_string().contains("token id"), "{err}");
        }
        assert!(CustomerId::new("x".repeat(65)).is_err());
        assert!(CustomerId::new("x".repeat(64)).is_ok());
    }

    #[test]
    fn messages_quote_at_most_a_short_prefix() {
        let huge = format!("AAAAAAAA{}", "SECRET-".repeat(1500));
        let err = TokenId::new(huge).expect_err("too long").to_string();
        assert!(err.len() < 120, "{err}");
        assert!(!err.contains("SECRET"), "{err}");
        assert!(
            err.contains("\"AAAAAAAA\"…") && err.contains("10508 characters"),
            "{err}"
        );
        let err = TokenId::new("ab\u{1b}[2J")
            .expect_err("control")
            .to_string();
        assert!(
            !err.contains('\u{1b}'),
            "control characters are escaped: {err}"
        );
    }

    #[test]
    fn deserializing_validates_too() {
        assert!(serde_json::from_str::<ServiceId>("\"abc123\"").is_ok());
        assert!(serde_json::from_str::<ServiceId>("\"a/b\"").is_err());
    }
}
