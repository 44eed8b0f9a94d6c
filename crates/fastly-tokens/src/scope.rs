//! Scopes: [`Scope`], and [`ScopeSet`], the lossless set parsed from Fastly's space-delimited
//! `scope` string that keeps scopes this crate does not know yet; what the create builders take
//! ([`IntoScopes`]).

use std::fmt;
use std::str::FromStr;

/// One token scope. Unknown scopes are kept verbatim in [`Scope::Other`], so a scope Fastly adds
/// later never breaks decoding.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Scope {
    /// `global`: full access to the account's configuration.
    Global,
    /// `global:read`: read-only access.
    GlobalRead,
    /// `purge_select`: purge by URL or surrogate key.
    PurgeSelect,
    /// `purge_all`: purge everything.
    PurgeAll,
    /// A scope this version does not know, kept as sent.
    Other(String),
}

impl Scope {
    /// The wire name, e.g. `global:read`.
    pub fn as_str(&self) -> &str {
        match self {
            Scope::Global => "global",
            Scope::GlobalRead => "global:read",
            Scope::PurgeSelect => "purge_select",
            Scope::PurgeAll => "purge_all",
            Scope::Other(s) => s,
        }
    }

    fn from_wire(s: &str) -> Self {
        Scope::known(s)
            .cloned()
            .unwrap_or_else(|| Scope::Other(s.to_string()))
    }

    /// A scope this version knows, as a `'static` value (so a [`ScopeSet`] of known scopes
    /// stores nothing but its string).
    fn known(s: &str) -> Option<&'static Scope> {
        static GLOBAL: Scope = Scope::Global;
        static GLOBAL_READ: Scope = Scope::GlobalRead;
        static PURGE_SELECT: Scope = Scope::PurgeSelect;
        static PURGE_ALL: Scope = Scope::PurgeAll;
        match s {
            "global" => Some(&GLOBAL),
            "global:read" => Some(&GLOBAL_READ),
            "purge_select" => Some(&PURGE_SELECT),
            "purge_all" => Some(&PURGE_ALL),
            _ => None,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A scope serializes as its name.
impl serde::Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A scope deserializes from its name, checked as [`str::parse`] checks it.
impl<'de> serde::Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

impl FromStr for Scope {
    type Err = crate::Error;
    /// Parses one scope name. Any non-empty name without whitespace is accepted (unknown names
    /// become [`Scope::Other`]).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let scope = Scope::from_wire(s);
        scope.check()?;
        Ok(scope)
    }
}

/// Longest scope name sent. Fastly's are at most a dozen characters.
const MAX_SCOPE_LEN: usize = 64;

impl Scope {
    /// Whether this scope can be sent as one item of the space-delimited `scope` field: 1-64
    /// printable ASCII characters, no whitespace. [`Scope::Other`] can hold anything, and a
    /// space in it would smuggle a second scope (`"purge_select global"` is two scopes, one of
    /// them `global`), so every scope is checked before a request is sent.
    pub(crate) fn check(&self) -> Result<(), crate::error::input::InvalidInput> {
        let s = self.as_str();
        let why = if s.is_empty() {
            "it is empty"
        } else if s.len() > MAX_SCOPE_LEN {
            "it is longer than 64 characters"
        } else if !s.bytes().all(|b| b.is_ascii_graphic()) {
            "a scope name is printable ASCII without whitespace (one scope per item)"
        } else {
            return Ok(());
        };
        Err(crate::error::input::InvalidInput::new(
            "scope",
            format!("{}: {why}", crate::text::excerpt(s, 32)),
        ))
    }
}

/// The scopes of a token, parsed from Fastly's space-delimited `scope` string.
///
/// Parsing is lossless: [`Display`](fmt::Display) prints back exactly the string that was parsed,
/// unknown scopes are kept, and order is preserved.
///
/// ```
/// use fastly_tokens::{Scope, ScopeSet};
/// let set: ScopeSet = "purge_select global:read".parse().unwrap();
/// assert!(set.contains(&Scope::PurgeSelect));
/// assert!(!set.is_read_only());
/// assert_eq!(set.to_string(), "purge_select global:read");
/// ```
#[derive(Debug, Clone)]
pub struct ScopeSet {
    /// As decoded: inline for up to 24 bytes (`global`, `purge_select global:read`).
    raw: crate::text::Text,
    /// The scopes this version does not know, in order; known ones are read from `raw` as
    /// needed. Nearly every token has only known scopes, so decoding one allocates nothing
    /// here (a `Vec` of every scope was an allocation per decoded token).
    unknown: Vec<Scope>,
    /// The scopes a caller built the set from ([`from_scopes`](Self::from_scopes)), kept as
    /// given so that [`check`](Self::check) sees a scope with a space in it, not the two
    /// words it would smuggle. `None` for sets parsed from a string.
    given: Option<Vec<Scope>>,
}

/// The scopes of a [`ScopeSet`], in the order Fastly sent them: [`ScopeSet::iter`], or a
/// `&ScopeSet` in a `for` loop or a builder (`.scopes(token.scopes())`).
#[derive(Debug, Clone)]
pub struct ScopeIter<'a> {
    words: std::str::SplitWhitespace<'a>,
    unknown: std::slice::Iter<'a, Scope>,
}

impl<'a> Iterator for ScopeIter<'a> {
    type Item = &'a Scope;

    fn next(&mut self) -> Option<&'a Scope> {
        loop {
            let word = self.words.next()?;
            match Scope::known(word) {
                Some(known) => return Some(known),
                // The unknown ones were collected from the same words in the same order.
                None => {
                    if let Some(unknown) = self.unknown.next() {
                        return Some(unknown);
                    }
                }
            }
        }
    }
}

impl<'a> IntoIterator for &'a ScopeSet {
    type Item = &'a Scope;
    type IntoIter = ScopeIter<'a>;

    fn into_iter(self) -> ScopeIter<'a> {
        self.iter()
    }
}

/// What the create builders' `scopes` takes: any collection or iterator of [`Scope`]s, or a
/// token's own set, so that settings copy without conversions: `.scopes(token.scopes())`.
pub trait IntoScopes {
    /// The set.
    fn into_scopes(self) -> ScopeSet;
}

impl<I: IntoIterator<Item = Scope>> IntoScopes for I {
    fn into_scopes(self) -> ScopeSet {
        ScopeSet::from_scopes(self)
    }
}

impl IntoScopes for &ScopeSet {
    fn into_scopes(self) -> ScopeSet {
        ScopeSet::from_scopes(self.iter().cloned())
    }
}

/// Two sets are equal when their wire strings are: that is what Fastly receives.
impl PartialEq for ScopeSet {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl Eq for ScopeSet {}

impl std::hash::Hash for ScopeSet {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.raw.hash(state);
    }
}

impl ScopeSet {
    /// Parses a space-delimited scope string. Never fails: every whitespace-separated word is a
    /// scope, and the original string is kept for printing.
    pub fn parse(raw: &str) -> Self {
        Self::from_text(raw.into())
    }

    /// [`parse`](Self::parse) for an owned string, without copying it (decoding uses this).
    pub(crate) fn from_text(raw: crate::text::Text) -> Self {
        let unknown = raw
            .split_whitespace()
            .filter(|w| Scope::known(w).is_none())
            .map(|w| Scope::Other(w.to_string()))
            .collect();
        Self {
            raw,
            unknown,
            given: None,
        }
    }

    /// A set from individual scopes, printed space-separated.
    pub fn from_scopes(scopes: impl IntoIterator<Item = Scope>) -> Self {
        let scopes: Vec<Scope> = scopes.into_iter().collect();
        let raw = scopes
            .iter()
            .map(Scope::as_str)
            .collect::<Vec<_>>()
            .join(" ");
        Self {
            given: Some(scopes),
            ..Self::from_text(raw.into())
        }
    }

    /// The scopes, in the order Fastly sent them.
    pub fn iter(&self) -> ScopeIter<'_> {
        ScopeIter {
            words: self.raw.split_whitespace(),
            unknown: self.unknown.iter(),
        }
    }

    /// Number of scopes.
    pub fn len(&self) -> usize {
        self.raw.split_whitespace().count()
    }

    /// No scope at all (an empty `scope` string).
    pub fn is_empty(&self) -> bool {
        self.raw.split_whitespace().next().is_none()
    }

    /// Whether the set contains `scope`.
    pub fn contains(&self, scope: &Scope) -> bool {
        self.iter().any(|s| s == scope)
    }

    /// Only `global:read`: the token cannot change anything. Unknown scopes make this `false`,
    /// because they might grant writes.
    pub fn is_read_only(&self) -> bool {
        !self.is_empty() && self.iter().all(|s| *s == Scope::GlobalRead)
    }

    /// Has the `global` scope (full access).
    pub fn is_global(&self) -> bool {
        self.contains(&Scope::Global)
    }

    /// May purge (`global`, `purge_all` or `purge_select`).
    pub fn can_purge(&self) -> bool {
        self.iter()
            .any(|s| matches!(s, Scope::Global | Scope::PurgeAll | Scope::PurgeSelect))
    }

    /// Scopes this version does not know.
    pub fn unknown(&self) -> impl Iterator<Item = &str> {
        self.unknown.iter().filter_map(|s| match s {
            Scope::Other(o) => Some(o.as_str()),
            _ => None,
        })
    }

    /// The string as Fastly sent it.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Whether this set can be sent: at least one scope, each valid ([`Scope::check`]), and
    /// the wire string is exactly the scopes joined by single spaces (so a set parsed from a
    /// string with tabs or control characters is refused rather than sent as is).
    pub(crate) fn check(&self) -> Result<(), crate::error::input::InvalidInput> {
        let scopes: Vec<&Scope> = match &self.given {
            Some(given) => given.iter().collect(),
            None => self.iter().collect(),
        };
        if scopes.is_empty() {
            return Err(crate::error::input::InvalidInput::new(
                "scopes",
                "the list is empty; name at least one scope (Fastly would default to `global`)",
            ));
        }
        for scope in &scopes {
            scope.check()?;
        }
        let joined = scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        if joined != self.raw {
            return Err(crate::error::input::InvalidInput::new(
                "scopes",
                "the scope string has separators other than single spaces",
            ));
        }
        Ok(())
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.raw)
    }
}

impl FromStr for ScopeSet {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::parse(s))
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for ScopeSet {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ScopeSet".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "description": "space-delimited scopes" })
    }
}

impl serde::Serialize for ScopeSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

impl<'de> serde::Deserialize<'de> for ScopeSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_set_round_trips_and_keeps_unknown_scopes() {
        for raw in [
            "global",
            "global:read purge_select",
            "purge_all  edge:future",
            "",
            " global ",
        ] {
            let set = ScopeSet::parse(raw);
            assert_eq!(set.to_string(), raw);
            assert_eq!(set, ScopeSet::parse(&set.to_string()));
        }
        let set = ScopeSet::parse("purge_all edge:future");
        assert_eq!(set.unknown().collect::<Vec<_>>(), ["edge:future"]);
        assert!(set.can_purge());
        assert!(!set.is_read_only());
    }

    #[test]
    fn read_only_means_only_global_read() {
        assert!(ScopeSet::parse("global:read").is_read_only());
        assert!(!ScopeSet::parse("global:read purge_select").is_read_only());
        assert!(!ScopeSet::parse("global:read something:new").is_read_only());
        assert!(!ScopeSet::parse("").is_read_only());
        assert!(ScopeSet::parse("global").is_global());
    }

    #[test]
    fn from_scopes_joins_with_spaces() {
        let set = ScopeSet::from_scopes([Scope::PurgeSelect, Scope::GlobalRead]);
        assert_eq!(set.as_str(), "purge_select global:read");
        assert_eq!(set.len(), 2);
    }

    #[test]
    fn scope_names_are_checked() {
        assert_eq!("global:read".parse::<Scope>().ok(), Some(Scope::GlobalRead));
        assert!("a b".parse::<Scope>().is_err());
        assert!("".parse::<Scope>().is_err());
        assert_eq!(
            "x:y".parse::<Scope>().ok(),
            Some(Scope::Other("x:y".into()))
        );
        assert!("a\u{1b}[2J".parse::<Scope>().is_err());
        assert!("ü".parse::<Scope>().is_err());
    }

    #[test]
    fn no_scope_can_smuggle_another_onto_the_wire() {
        for bad in [
            vec![Scope::Other("purge_select global".into())],
            vec![Scope::Other("".into())],
            vec![Scope::Other("a\tglobal".into())],
            vec![Scope::Other("a\u{0}".into())],
            vec![Scope::PurgeSelect, Scope::Other("x\nglobal".into())],
            vec![],
        ] {
            let set = ScopeSet::from_scopes(bad.clone());
            assert!(set.check().is_err(), "{bad:?}");
        }
        assert!(ScopeSet::parse("purge_all\tglobal").check().is_err());
        assert!(ScopeSet::parse(" global").check().is_err());
        assert!(ScopeSet::parse("purge_all global:read").check().is_ok());
        assert!(
            ScopeSet::from_scopes([Scope::Other("edge:new".into())])
                .check()
                .is_ok()
        );
    }
}
