//! `audit --policy FILE`: a token policy in TOML, checked rule by rule.
//!
//! Without a file, `audit`'s flags make the built-in policy ([`Policy::builtin`]), so the
//! command behaves as it did before policies existed. Every finding names the rule that
//! produced it; an exception silences named rules for a token until it expires, after which
//! the exception itself is a finding (as `cargo deny` treats stale advisories ignores).

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::audited::Audited;
use crate::output;

/// Every rule id a finding or an exception may name.
pub(crate) const RULES: &[&str] = &[
    "expired",
    "expiring_soon",
    "never_used",
    "unused",
    "over_broad",
    "expiry_required",
    "max_lifetime",
    "scope_not_allowed",
    "services_required",
    "ip_not_allowed",
    "exception_expired",
];

/// One finding: the rule that produced it and a readable explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub rule: &'static str,
    pub message: String,
}

/// A policy file, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    rules: RulesFile,
    #[serde(default)]
    scopes: Vec<ScopeRuleFile>,
    #[serde(default, rename = "exception")]
    exceptions: Vec<ExceptionFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    max_lifetime: Option<String>,
    #[serde(default)]
    require_expiry: bool,
    unused_for: Option<String>,
    expiring_within: Option<String>,
    #[serde(default)]
    report_never_used: bool,
    #[serde(default = "yes")]
    over_broad: bool,
    #[serde(default)]
    services_required_for_writes: bool,
    #[serde(default)]
    allowed_ips: Vec<String>,
    #[serde(default)]
    audit_sessions: bool,
    /// Scope names `[[scopes]] allow` may use besides Fastly's known ones (a scope Fastly
    /// added after this version).
    #[serde(default)]
    extra_scopes: Vec<String>,
}

fn yes() -> bool {
    true
}

impl Default for RulesFile {
    fn default() -> Self {
        Self {
            max_lifetime: None,
            require_expiry: false,
            unused_for: None,
            expiring_within: None,
            report_never_used: false,
            over_broad: true,
            services_required_for_writes: false,
            allowed_ips: Vec::new(),
            audit_sessions: false,
            extra_scopes: Vec::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScopeRuleFile {
    name: String,
    allow: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExceptionFile {
    token: Option<String>,
    name: Option<String>,
    #[serde(default)]
    rules: Vec<String>,
    reason: String,
    expires: DateValue,
}

/// `expires = 2027-01-31` (a TOML date) or `expires = "2027-01-31"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum DateValue {
    Date(toml::value::Datetime),
    Text(String),
}

/// A checked policy.
#[derive(Debug)]
pub(crate) struct Policy {
    max_lifetime: Option<Duration>,
    require_expiry: bool,
    unused_for: Option<Duration>,
    expiring_within: Option<Duration>,
    report_never_used: bool,
    over_broad: bool,
    services_required_for_writes: bool,
    allowed_ips: Vec<ipnet::IpNet>,
    audit_sessions: bool,
    scopes: Vec<(glob::Pattern, Vec<String>)>,
    exceptions: Vec<Exception>,
}

#[derive(Debug)]
struct Exception {
    token: Option<String>,
    name: Option<glob::Pattern>,
    rules: Vec<&'static str>,
    reason: String,
    expires: NaiveDate,
}

impl Exception {
    fn covers(&self, t: &Audited<'_>) -> bool {
        self.token.as_deref().is_some_and(|id| id == t.id)
            || self.name.as_ref().is_some_and(|p| p.matches(t.name))
    }
    fn label(&self) -> String {
        match (&self.token, &self.name) {
            (Some(id), _) => format!("token {id}"),
            (None, Some(p)) => format!("name '{}'", p.as_str()),
            (None, None) => "?".to_string(),
        }
    }
}

fn duration(field: &str, raw: Option<&str>) -> Result<Option<Duration>, String> {
    raw.map(|raw| {
        humantime::parse_duration(raw)
            .map_err(|e| format!("rules.{field} = {raw:?}: {e} (e.g. \"90d\", \"12h\")"))
    })
    .transpose()
}

fn pattern(raw: &str, what: &str) -> Result<glob::Pattern, String> {
    glob::Pattern::new(raw).map_err(|e| format!("{what} = {raw:?} is not a name pattern: {e}"))
}

impl Policy {
    /// The policy `audit` applies without `--policy`: today's flags.
    pub(crate) fn builtin(unused_for: Duration, expiring_within: Duration) -> Self {
        Self {
            max_lifetime: None,
            require_expiry: false,
            unused_for: Some(unused_for),
            expiring_within: Some(expiring_within),
            report_never_used: true,
            over_broad: true,
            services_required_for_writes: false,
            allowed_ips: Vec::new(),
            audit_sessions: false,
            scopes: Vec::new(),
            exceptions: Vec::new(),
        }
    }

    /// Reads and checks a policy file. The error says what is wrong and where.
    pub(crate) fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the policy {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("policy {}: {e}", path.display()))
    }

    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        // toml's Display draws the offending line under a multi-line header; a one-line
        // message with the position reads better on stderr and does not repeat the file.
        let file: PolicyFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|span| {
                let before = text.as_bytes().get(..span.start).unwrap_or_default();
                before.iter().filter(|b| **b == b'\n').count() + 1
            });
            match line {
                Some(line) => format!("line {line}: {}", e.message().trim_end()),
                None => e.message().trim_end().to_string(),
            }
        })?;
        let r = file.rules;
        let allowed_ips = r
            .allowed_ips
            .iter()
            .map(|raw| {
                raw.parse::<ipnet::IpNet>()
                    .or_else(|_| raw.parse::<IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        format!(
                            "rules.allowed_ips: {raw:?} is not an address or CIDR range (e.g. \"203.0.113.0/24\")"
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        let scopes = file
            .scopes
            .into_iter()
            .map(|s| {
                if s.allow.is_empty() {
                    return Err(format!(
                        "[[scopes]] name = {:?}: allow is empty (list the scopes such tokens may have)",
                        s.name
                    ));
                }
                for scope in &s.allow {
                    let known = !matches!(scope.parse(), Ok(fastly_tokens::Scope::Other(_)));
                    if !known && !r.extra_scopes.contains(scope) {
                        return Err(format!(
                            "[[scopes]] name = {:?}: {scope:?} is not a Fastly scope (global, \
                             global:read, purge_select, purge_all); a scope Fastly added since \
                             goes in rules.extra_scopes",
                            s.name
                        ));
                    }
                }
                Ok((pattern(&s.name, "[[scopes]] name")?, s.allow))
            })
            .collect::<Result<_, String>>()?;
        let exceptions = file
            .exceptions
            .into_iter()
            .map(|e| {
                if e.token.is_none() == e.name.is_none() {
                    return Err(
                        "[[exception]]: give exactly one of token (an id) or name (a pattern)"
                            .to_string(),
                    );
                }
                if e.reason.trim().is_empty() {
                    return Err("[[exception]]: reason is empty (say why)".to_string());
                }
                let raw = match &e.expires {
                    DateValue::Date(d) => d.to_string(),
                    DateValue::Text(s) => s.clone(),
                };
                let expires = NaiveDate::parse_from_str(&raw, "%Y-%m-%d").map_err(|_| {
                    format!("[[exception]] expires = {raw:?}: not a date (e.g. 2027-01-31)")
                })?;
                let rules = e
                    .rules
                    .iter()
                    .map(|rule| {
                        RULES
                            .iter()
                            .find(|known| {
                                **known == rule.as_str() && **known != "exception_expired"
                            })
                            .copied()
                            .ok_or_else(|| {
                                format!(
                                    "[[exception]] rules: unknown rule {rule:?} (one of: {})",
                                    RULES[..RULES.len() - 1].join(", ")
                                )
                            })
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Exception {
                    name: e
                        .name
                        .as_deref()
                        .map(|n| pattern(n, "[[exception]] name"))
                        .transpose()?,
                    token: e.token,
                    rules,
                    reason: e.reason,
                    expires,
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(Self {
            max_lifetime: duration("max_lifetime", r.max_lifetime.as_deref())?,
            require_expiry: r.require_expiry,
            unused_for: duration("unused_for", r.unused_for.as_deref())?,
            expiring_within: duration("expiring_within", r.expiring_within.as_deref())?,
            report_never_used: r.report_never_used,
            over_broad: r.over_broad,
            services_required_for_writes: r.services_required_for_writes,
            allowed_ips,
            audit_sessions: r.audit_sessions,
            scopes,
            exceptions,
        })
    }

    /// The findings for one token, exceptions applied.
    pub(crate) fn check(&self, t: &Audited<'_>, now: DateTime<Utc>) -> Vec<Finding> {
        let mut raw = self.raw_findings(t, now);
        let today = now.date_naive();
        let mut out = Vec::new();
        for e in self.exceptions.iter().filter(|e| e.covers(t)) {
            let silenced = |f: &Finding| e.rules.is_empty() || e.rules.contains(&f.rule);
            if !raw.iter().any(silenced) {
                continue;
            }
            if e.expires < today {
                out.push(Finding {
                    rule: "exception_expired",
                    message: format!(
                        "the exception for {} expired on {} ({}); renew or remove it",
                        e.label(),
                        e.expires,
                        output::cell(&e.reason, 80)
                    ),
                });
            } else {
                raw.retain(|f| !silenced(f));
            }
        }
        raw.extend(out);
        raw
    }

    fn raw_findings(&self, t: &Audited<'_>, now: DateTime<Utc>) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut push = |rule, message: String| out.push(Finding { rule, message });
        // A browser session expires with the browser's login; only where it was used from
        // says something, unless the policy asks for sessions to be audited as tokens.
        let session_only_ip = t.kind == "session" && !self.audit_sessions;
        if !session_only_ip {
            match t.expires_at {
                Some(at) if at <= now => {
                    push("expired", format!("expired {}", output::when(Some(at), "")))
                }
                Some(at) if self.expiring_within.is_some_and(|w| within(now, at, w)) => push(
                    "expiring_soon",
                    format!("expires {}", output::when(Some(at), "")),
                ),
                _ => {}
            }
            match (t.expires_at, self.max_lifetime) {
                (None, Some(max)) => push(
                    "expiry_required",
                    format!("never expires (policy: at most {})", span(max)),
                ),
                (None, None) if self.require_expiry => {
                    push("expiry_required", "never expires".to_string())
                }
                (Some(at), Some(max)) => {
                    let life = at.signed_duration_since(t.created_at);
                    if life.to_std().is_ok_and(|life| life > max) {
                        push(
                            "max_lifetime",
                            format!(
                                "lives {} days (policy: at most {})",
                                life.num_days(),
                                span(max)
                            ),
                        );
                    }
                }
                _ => {}
            }
            match t.last_used_at {
                None if self.report_never_used => push("never_used", "never used".to_string()),
                Some(at) => {
                    let idle = now.signed_duration_since(at);
                    if self
                        .unused_for
                        .is_some_and(|max| idle.to_std().is_ok_and(|idle| idle > max))
                    {
                        push("unused", format!("unused for {} days", idle.num_days()));
                    }
                }
                None => {}
            }
            if self.over_broad && t.global && t.unrestricted {
                push("over_broad", "global scope on every service".to_string());
            }
            if self.services_required_for_writes && !t.read_only && t.unrestricted {
                push(
                    "services_required",
                    "may write to every service (policy: name services for non-read scopes)"
                        .to_string(),
                );
            }
            if let Some((p, allow)) = self.scopes.iter().find(|(p, _)| p.matches(t.name)) {
                let denied: Vec<&str> = t
                    .scopes
                    .iter()
                    .copied()
                    .filter(|s| !allow.iter().any(|a| a == s))
                    .collect();
                if !denied.is_empty() {
                    push(
                        "scope_not_allowed",
                        format!(
                            "scope {} not allowed for names matching '{}'",
                            denied.join(" "),
                            p.as_str()
                        ),
                    );
                }
            }
        }
        if !self.allowed_ips.is_empty()
            && let Some(ip) = t.ip
        {
            match ip.parse::<IpAddr>() {
                Ok(addr) if self.allowed_ips.iter().any(|net| net.contains(&addr)) => {}
                Ok(addr) => push("ip_not_allowed", format!("last used from {addr}")),
                Err(_) => push(
                    "ip_not_allowed",
                    "last used from an address that is not an IP address".to_string(),
                ),
            }
        }
        out
    }
}

/// `90d` rather than humantime's `2months 29days 2h 52m 48s`.
fn span(d: Duration) -> String {
    match d.as_secs() {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        _ => humantime::format_duration(d).to_string(),
    }
}

fn within(now: DateTime<Utc>, at: DateTime<Utc>, window: Duration) -> bool {
    let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
    now.checked_add_signed(window)
        .is_none_or(|limit| at <= limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_names_are_checked_with_an_escape_hatch() {
        let typo = "[[scopes]]\nname = \"ci-*\"\nallow = [\"globl\"]";
        let e = Policy::parse(typo).expect_err("a typo is not a scope");
        assert!(e.contains("\"globl\" is not a Fastly scope"), "{e}");
        let extra = format!("[rules]\nextra_scopes = [\"globl\"]\n{typo}");
        assert!(Policy::parse(&extra).is_ok());
        assert!(
            Policy::parse("[[scopes]]\nname = \"*\"\nallow = [\"global:read\", \"purge_all\"]")
                .is_ok()
        );
    }

    #[test]
    fn rejects_what_it_cannot_apply() {
        for (text, says) in [
            ("[rules]\nmax_lifetme = \"90d\"", "line 2: unknown field"),
            ("[rules]\nmax_lifetime = \"soon\"", "rules.max_lifetime"),
            ("[rules]\nallowed_ips = [\"10.0.0.0/33\"]", "CIDR"),
            ("[[scopes]]\nname = \"ci-*\"\nallow = []", "allow is empty"),
            (
                "[[exception]]\nreason = \"x\"\nexpires = 2027-01-01",
                "exactly one of",
            ),
            (
                "[[exception]]\ntoken = \"a\"\nreason = \" \"\nexpires = 2027-01-01",
                "reason is empty",
            ),
            (
                "[[exception]]\ntoken = \"a\"\nreason = \"r\"\nexpires = \"next year\"",
                "not a date",
            ),
            (
                "[[exception]]\ntoken = \"a\"\nrules = [\"overbroad\"]\nreason = \"r\"\nexpires = 2027-01-01",
                "unknown rule",
            ),
        ] {
            let err = Policy::parse(text).expect_err("rejected");
            assert!(err.contains(says), "{text:?} -> {err}");
        }
        Policy::parse("").expect("ok");
        Policy::parse("[rules]\nallowed_ips = [\"10.0.0.1\", \"2001:db8::/32\"]").expect("ok");
        Policy::parse("[[exception]]\nname = \"x*\"\nreason = \"r\"\nexpires = \"2027-01-01\"")
            .expect("ok");
    }
}
