//! What `plan` shows and `apply` does: the declared tokens against the live ones, one action
//! per declared token and per token to revoke, each with its reason. A pure function of the
//! file, the listing and the time, so it is tested without a server.

use std::time::Duration;

use chrono::{DateTime, Utc};
use fastly_tokens::{AutomationToken, Role, Token, TokenId};

use crate::declared::{Declared, Kind, Wanted};
use crate::output::clean;

/// A live token as the plan compares it.
#[derive(Debug, Clone)]
pub(crate) struct Live {
    pub(crate) id: TokenId,
    pub(crate) kind: Kind,
    pub(crate) name: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) services: Vec<String>,
    pub(crate) role: Option<Role>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) expires_at: Option<DateTime<Utc>>,
    /// The token this command runs with.
    pub(crate) in_use: bool,
    /// The caller's own, or an automation token: a declared token is matched only among
    /// these (another user's token of the same name is neither replaced nor pruned).
    pub(crate) mine: bool,
}

impl Live {
    pub(crate) fn user(t: &Token, in_use: &TokenId, me: &fastly_tokens::UserId) -> Self {
        Self {
            mine: t.user_id() == me,
            id: t.id().clone(),
            kind: Kind::User,
            name: t.name().to_string(),
            scopes: sorted(t.scopes().iter().map(|s| s.as_str().to_string())),
            services: sorted(t.services().iter().map(ToString::to_string)),
            role: None,
            created_at: t.created_at(),
            expires_at: t.expires_at(),
            in_use: t.id() == in_use,
        }
    }

    pub(crate) fn automation(t: &AutomationToken, in_use: &TokenId) -> Self {
        let id = t.id().as_token_id();
        Self {
            mine: true,
            in_use: &id == in_use,
            id,
            kind: Kind::Automation,
            name: t.name().to_string(),
            scopes: sorted(t.scopes().iter().map(|s| s.as_str().to_string())),
            services: sorted(t.services().iter().map(ToString::to_string)),
            role: t.role().cloned(),
            created_at: t.created_at(),
            expires_at: t.expires_at(),
        }
    }
}

fn sorted(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = items.collect();
    v.sort();
    v.dedup();
    v
}

/// What happens to one token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Act {
    /// Declared, missing: create it and deliver its secret.
    Create,
    /// Declared, but expiring, expired or no longer as declared: a new one is created and
    /// delivered, then this one revoked.
    Rotate,
    /// Not wanted: matched by `[prune]`, or an older duplicate of a declared name.
    Revoke,
    /// As declared.
    Ok,
}

impl Act {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Act::Create => "create",
            Act::Rotate => "rotate",
            Act::Revoke => "revoke",
            Act::Ok => "ok",
        }
    }
}

/// One line of the plan.
#[derive(Debug, Clone)]
pub(crate) struct Action {
    pub(crate) act: Act,
    pub(crate) kind: Kind,
    pub(crate) name: String,
    /// The declared token (index into [`Declared::tokens`]), for create and rotate.
    pub(crate) wanted: Option<usize>,
    /// The live token it concerns (rotate: the one replaced; revoke: the one revoked).
    pub(crate) live: Option<Live>,
    pub(crate) reason: String,
}

impl Action {
    /// Non-read requests it takes when nothing fails: the create (and `POST /sudo` for an
    /// automation token), the revoke.
    pub(crate) fn writes(&self) -> u32 {
        let create = match self.kind {
            Kind::User => 1,
            Kind::Automation => 2,
        };
        match self.act {
            Act::Create => create,
            Act::Rotate => create + 1,
            Act::Revoke => 1,
            Act::Ok => 0,
        }
    }
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A duration as the file writes it: whole days as `30d`, anything else as humantime does.
fn span(d: Duration) -> String {
    let secs = d.as_secs();
    if secs > 0 && secs.is_multiple_of(86_400) {
        format!("{}d", secs / 86_400)
    } else {
        humantime::format_duration(Duration::from_secs(secs)).to_string()
    }
}

/// Why `live` does not match `wanted` at `now`, or `None` when it does.
fn drift(wanted: &Wanted, live: &Live, now: DateTime<Utc>) -> Option<String> {
    match live.expires_at {
        Some(at) if at <= now => return Some(format!("expired at {}", day(at))),
        Some(at) => {
            let left = (at - now).to_std().unwrap_or_default();
            if left <= wanted.rotate_before {
                return Some(format!(
                    "expires at {}, within rotate_before ({})",
                    day(at),
                    span(wanted.rotate_before)
                ));
            }
        }
        None => {
            return Some(format!(
                "never expires; declared lifetime is {}",
                span(wanted.lifetime)
            ));
        }
    }
    let scopes = sorted(wanted.scopes.iter().map(|s| s.as_str().to_string()));
    if scopes != live.scopes {
        return Some(format!(
            "scope is {}, declared {}",
            clean(&live.scopes.join(" ")),
            scopes.join(" ")
        ));
    }
    let services = sorted(wanted.services.iter().map(ToString::to_string));
    if services != live.services {
        let shown = |s: &[String]| {
            if s.is_empty() {
                "every service".to_string()
            } else {
                s.join(", ")
            }
        };
        return Some(format!(
            "services are {}, declared {}",
            clean(&shown(&live.services)),
            shown(&services)
        ));
    }
    if let Some(role) = &wanted.role
        && live.role.as_ref() != Some(role)
    {
        return Some(format!(
            "role is {}, declared {}",
            clean(live.role.as_ref().map_or("unknown", Role::as_str)),
            role.as_str()
        ));
    }
    if let Some(at) = live.expires_at {
        let lifetime = (at - live.created_at).to_std().unwrap_or_default();
        // The expiry is set from the client's clock, the creation time by Fastly's: allow an
        // hour, or 1% of the lifetime.
        let tolerance = (wanted.lifetime / 100).max(Duration::from_secs(3600));
        let off = lifetime.abs_diff(wanted.lifetime);
        if off > tolerance {
            return Some(format!(
                "lifetime is {}, declared {}",
                span(lifetime),
                span(wanted.lifetime)
            ));
        }
    }
    None
}

/// The plan: for each declared token (in file order) create, rotate or ok; then every token to
/// revoke (older duplicates of a declared name, then `[prune]` matches). Browser sessions
/// are never touched; the token in use is never pruned.
pub(crate) fn plan(declared: &Declared, live: &[Live], now: DateTime<Utc>) -> Vec<Action> {
    let mut actions = Vec::new();
    let mut revokes = Vec::new();
    for (index, wanted) in declared.tokens.iter().enumerate() {
        let mut same: Vec<&Live> = live
            .iter()
            .filter(|l| l.mine && l.kind == wanted.kind && l.name == wanted.name)
            .collect();
        // Newest first; among equals, by id, so the plan is the same on every run.
        same.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
        let (act, reason, kept) = match same.first() {
            None => (Act::Create, "missing".to_string(), None),
            Some(newest) => match drift(wanted, newest, now) {
                Some(why) => (Act::Rotate, why, Some((*newest).clone())),
                None => (
                    Act::Ok,
                    format!(
                        "as declared; expires at {}",
                        newest.expires_at.map_or("never".to_string(), day)
                    ),
                    Some((*newest).clone()),
                ),
            },
        };
        actions.push(Action {
            act,
            kind: wanted.kind,
            name: wanted.name.clone(),
            wanted: Some(index),
            live: kept,
            reason,
        });
        if let Some(newest) = same.first() {
            for older in &same[1..] {
                revokes.push(Action {
                    act: Act::Revoke,
                    kind: wanted.kind,
                    name: wanted.name.clone(),
                    wanted: None,
                    live: Some((*older).clone()),
                    reason: format!(
                        "a duplicate of {}: the newest, {}, is kept",
                        clean(&wanted.name),
                        newest.id
                    ),
                });
            }
        }
    }
    for l in live {
        let declared_here = declared
            .tokens
            .iter()
            .any(|w| w.kind == l.kind && w.name == l.name);
        if declared_here || l.name == fastly_tokens::BROWSER_SESSION_NAME {
            continue;
        }
        let Some(pattern) = declared.prune.iter().find(|p| p.matches(&l.name)) else {
            continue;
        };
        let (act, reason) = if l.in_use {
            (
                Act::Ok,
                format!(
                    "matches [prune] {:?} but is the token in use: not revoked (revoke it with \
                     `fastly-tokens revoke --current`)",
                    pattern.as_str()
                ),
            )
        } else {
            (
                Act::Revoke,
                format!("matches [prune] {:?} and is not declared", pattern.as_str()),
            )
        };
        revokes.push(Action {
            act,
            kind: l.kind,
            name: l.name.clone(),
            wanted: None,
            live: Some(l.clone()),
            reason,
        });
    }
    actions.extend(revokes);
    actions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::declared::parse;
    use std::path::Path;

    const FILE: &str = r#"
[defaults]
lifetime = "30d"
rotate_before = "7d"
[[token]]
name = "ci-purge"
kind = "user"
scope = ["purge_select"]
services = ["SU1Z0isxPaozGVKXdv0eY"]
deliver = { file = "k" }
[[token]]
name = "deploy"
kind = "automation"
role = "engineer"
scope = ["global"]
deliver = { exec = "cat >/dev/null" }
[prune]
names = ["ci-*"]
"#;

    fn now() -> DateTime<Utc> {
        "2026-06-01T00:00:00Z".parse().expect("time")
    }

    fn live(id: &str, kind: Kind, name: &str, scope: &str, age_days: i64) -> Live {
        let created_at = now() - chrono::Duration::days(age_days);
        Live {
            id: id.parse().expect("id"),
            kind,
            name: name.to_string(),
            scopes: vec![scope.to_string()],
            services: if kind == Kind::User {
                vec!["SU1Z0isxPaozGVKXdv0eY".to_string()]
            } else {
                Vec::new()
            },
            role: (kind == Kind::Automation).then_some(Role::Engineer),
            created_at,
            expires_at: Some(created_at + chrono::Duration::days(30)),
            in_use: false,
            mine: true,
        }
    }

    fn acts(actions: &[Action]) -> Vec<(Act, &str, String)> {
        actions
            .iter()
            .map(|a| {
                (
                    a.act,
                    a.name.as_str(),
                    a.live.as_ref().map_or(String::new(), |l| l.id.to_string()),
                )
            })
            .collect()
    }

    #[test]
    fn an_empty_account_creates_everything() {
        let d = parse(FILE, Path::new(".")).expect("file");
        let p = plan(&d, &[], now());
        assert_eq!(
            acts(&p),
            vec![
                (Act::Create, "ci-purge", String::new()),
                (Act::Create, "deploy", String::new())
            ]
        );
    }

    #[test]
    fn fresh_tokens_are_ok_and_expiring_ones_rotate() {
        let d = parse(FILE, Path::new(".")).expect("file");
        let fresh = [
            live("purge1", Kind::User, "ci-purge", "purge_select", 1),
            live("deploy1", Kind::Automation, "deploy", "global", 1),
        ];
        let p = plan(&d, &fresh, now());
        assert!(p.iter().all(|a| a.act == Act::Ok), "{p:?}");
        let old = [
            live("purge1", Kind::User, "ci-purge", "purge_select", 24),
            live("deploy1", Kind::Automation, "deploy", "global", 31),
        ];
        let p = plan(&d, &old, now());
        assert_eq!(p[0].act, Act::Rotate);
        assert!(
            p[0].reason.contains("within rotate_before (7d)"),
            "{}",
            p[0].reason
        );
        assert_eq!(p[1].act, Act::Rotate);
        assert!(p[1].reason.starts_with("expired at"), "{}", p[1].reason);
    }

    #[test]
    fn drift_in_scope_services_role_or_lifetime_rotates() {
        let d = parse(FILE, Path::new(".")).expect("file");
        let mut scope = live("purge1", Kind::User, "ci-purge", "global", 1);
        let p = plan(&d, std::slice::from_ref(&scope), now());
        assert!(
            p[0].reason.starts_with("scope is global"),
            "{}",
            p[0].reason
        );
        scope.scopes = vec!["purge_select".into()];
        scope.services.clear();
        let p = plan(&d, std::slice::from_ref(&scope), now());
        assert!(
            p[0].reason.starts_with("services are every service"),
            "{}",
            p[0].reason
        );
        let mut role = live("deploy1", Kind::Automation, "deploy", "global", 1);
        role.role = Some(Role::Billing);
        let p = plan(&d, &[role], now());
        assert!(
            p[1].reason.starts_with("role is billing"),
            "{}",
            p[1].reason
        );
        let mut lifetime = live("purge1", Kind::User, "ci-purge", "purge_select", 1);
        lifetime.expires_at = Some(lifetime.created_at + chrono::Duration::days(365));
        let p = plan(&d, &[lifetime.clone()], now());
        assert!(
            p[0].reason.starts_with("lifetime is 365d, declared 30d"),
            "{}",
            p[0].reason
        );
        lifetime.expires_at = None;
        let p = plan(&d, &[lifetime], now());
        assert!(p[0].reason.starts_with("never expires"), "{}", p[0].reason);
    }

    #[test]
    fn duplicates_and_prune_matches_are_revoked_but_never_the_token_in_use() {
        let d = parse(FILE, Path::new(".")).expect("file");
        let mut in_use = live("ciMine", Kind::User, "ci-mine", "global", 1);
        in_use.in_use = true;
        let mut foreign = live("theirs", Kind::User, "ci-purge", "global", 0);
        foreign.mine = false;
        let tokens = [
            live("purge1", Kind::User, "ci-purge", "purge_select", 3),
            live("purge2", Kind::User, "ci-purge", "purge_select", 1),
            live("ciOld", Kind::User, "ci-old", "global", 1),
            live("other", Kind::User, "deploy-old", "global", 1),
            in_use,
            foreign,
        ];
        let p = plan(&d, &tokens, now());
        assert_eq!(
            acts(&p),
            vec![
                (Act::Ok, "ci-purge", "purge2".to_string()),
                (Act::Create, "deploy", String::new()),
                (Act::Revoke, "ci-purge", "purge1".to_string()),
                (Act::Revoke, "ci-old", "ciOld".to_string()),
                (Act::Ok, "ci-mine", "ciMine".to_string()),
            ]
        );
        assert!(p[4].reason.contains("the token in use"), "{}", p[4].reason);
        let writes: u32 = p.iter().map(Action::writes).sum();
        assert_eq!(
            writes,
            2 + 1 + 1,
            "automation create (sudo + create), two revokes"
        );
    }
}
