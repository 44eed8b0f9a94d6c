//! `plan -f FILE` and `apply -f FILE`: the file that declares which tokens should exist, read
//! and checked before anything is asked of Fastly. Every mistake is a usage error naming its
//! line: unknown keys, a bad duration, an unknown scope or role, a duplicate identity (kind
//! and name), a token without `deliver`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use fastly_tokens::{Role, Scope, ServiceId};
use serde::Deserialize;
use toml::Spanned;

use crate::output::clean;

/// `rotate_before` when neither the token nor `[defaults]` sets it: as `audit`'s
/// `--expiring-within`.
pub(crate) const DEFAULT_ROTATE_BEFORE: Duration = Duration::from_secs(14 * 24 * 3600);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    #[serde(default)]
    defaults: DefaultsToml,
    #[serde(default)]
    token: Vec<Spanned<TokenToml>>,
    #[serde(default)]
    prune: Option<PruneToml>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultsToml {
    lifetime: Option<Spanned<String>>,
    rotate_before: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenToml {
    name: Spanned<String>,
    kind: Spanned<String>,
    scope: Vec<Spanned<String>>,
    #[serde(default)]
    services: Vec<Spanned<String>>,
    lifetime: Option<Spanned<String>>,
    rotate_before: Option<Spanned<String>>,
    role: Option<Spanned<String>>,
    deliver: DeliverToml,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "lowercase")]
enum DeliverToml {
    Exec(String),
    File(PathBuf),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PruneToml {
    names: Vec<Spanned<String>>,
}

/// Which API a declared token lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Kind {
    User,
    Automation,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Automation => "automation",
        }
    }
}

/// Where a declared token's secret goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Deliver {
    /// A shell command, given the secret on stdin.
    Exec(String),
    /// A file (relative paths are relative to the declaring file's folder).
    File(PathBuf),
}

/// One declared token, checked.
#[derive(Debug, Clone)]
pub(crate) struct Wanted {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    pub(crate) scopes: Vec<Scope>,
    pub(crate) services: Vec<ServiceId>,
    pub(crate) role: Option<Role>,
    pub(crate) lifetime: Duration,
    pub(crate) rotate_before: Duration,
    pub(crate) deliver: Deliver,
    /// Its `[[token]]`'s line, for messages.
    pub(crate) line: usize,
}

/// The whole file, checked.
#[derive(Debug)]
pub(crate) struct Declared {
    pub(crate) tokens: Vec<Wanted>,
    /// `[prune] names`: live tokens matching one of these that the file does not declare are
    /// revoked.
    pub(crate) prune: Vec<glob::Pattern>,
}

/// Reads and checks `path`; the error names the file and the line.
pub(crate) fn load(path: &Path) -> Result<Declared, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let base = path.parent().unwrap_or_else(|| Path::new("."));
    parse(&text, base).map_err(|e| format!("{}: {e}", path.display()))
}

/// The 1-based line of byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let before = text.as_bytes().get(..offset).unwrap_or_default();
    before.iter().filter(|b| **b == b'\n').count() + 1
}

/// Checks `text`; relative `file` deliveries are resolved against `base`.
pub(crate) fn parse(text: &str, base: &Path) -> Result<Declared, String> {
    let file: FileToml = toml::from_str(text).map_err(|e| {
        // One line with the position, as `audit --policy` says it.
        match e.span() {
            Some(span) => format!(
                "line {}: {}",
                line_of(text, span.start),
                e.message().trim_end()
            ),
            None => e.message().trim_end().to_string(),
        }
    })?;
    let at = |span: std::ops::Range<usize>| line_of(text, span.start);
    let duration = |value: &Spanned<String>, key: &str| -> Result<Duration, String> {
        let parsed = humantime::parse_duration(value.get_ref()).map_err(|e| {
            format!(
                "line {}: {key} = {:?}: {e} (e.g. \"90d\", \"12h\")",
                at(value.span()),
                clean(value.get_ref())
            )
        })?;
        if parsed < crate::mint::MIN_LIFETIME {
            return Err(format!(
                "line {}: {key} = {:?} is shorter than a minute",
                at(value.span()),
                clean(value.get_ref())
            ));
        }
        Ok(parsed)
    };
    let default_lifetime = file
        .defaults
        .lifetime
        .as_ref()
        .map(|v| duration(v, "lifetime"))
        .transpose()?;
    let default_rotate_before = file
        .defaults
        .rotate_before
        .as_ref()
        .map(|v| duration(v, "rotate_before"))
        .transpose()?;

    let mut tokens: Vec<Wanted> = Vec::new();
    for spanned in &file.token {
        let line = at(spanned.span());
        let t = spanned.get_ref();
        let name = t.name.get_ref().trim();
        if name.is_empty() || name.chars().any(char::is_control) || name.len() > 255 {
            return Err(format!(
                "line {}: name must be 1 to 255 printable characters",
                at(t.name.span())
            ));
        }
        let kind = match t.kind.get_ref().as_str() {
            "user" => Kind::User,
            "automation" => Kind::Automation,
            other => {
                return Err(format!(
                    "line {}: kind = {:?}: expected \"user\" or \"automation\"",
                    at(t.kind.span()),
                    clean(other)
                ));
            }
        };
        if let Some(first) = tokens.iter().find(|w| w.kind == kind && w.name == name) {
            return Err(format!(
                "line {line}: the {} token {:?} is declared twice (first on line {}); a kind and \
                 a name identify one token",
                kind.as_str(),
                clean(name),
                first.line
            ));
        }
        let mut scopes = Vec::new();
        for value in &t.scope {
            for word in value.get_ref().split_whitespace() {
                match word.parse::<Scope>() {
                    Ok(Scope::Other(_)) | Err(_) => {
                        return Err(format!(
                            "line {}: unknown scope {:?} (one of: global, global:read, \
                             purge_select, purge_all)",
                            at(value.span()),
                            clean(word)
                        ));
                    }
                    Ok(scope) => scopes.push(scope),
                }
            }
        }
        if scopes.is_empty() {
            return Err(format!(
                "line {line}: scope is empty; name at least one (there is no default: Fastly's \
                 would be `global`)"
            ));
        }
        let services = t
            .services
            .iter()
            .map(|s| {
                s.get_ref()
                    .parse::<ServiceId>()
                    .map_err(|e| format!("line {}: services: {e}", at(s.span())))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let role = match (&t.role, kind) {
            (None, _) => None,
            (Some(role), Kind::User) => {
                return Err(format!(
                    "line {}: role applies to automation tokens only",
                    at(role.span())
                ));
            }
            (Some(role), Kind::Automation) => Some(match role.get_ref().as_str() {
                "engineer" => Role::Engineer,
                "billing" => Role::Billing,
                "user" => Role::User,
                "tls_admin" => Role::TlsAdmin,
                "tls_viewer" => Role::TlsViewer,
                other => {
                    return Err(format!(
                        "line {}: unknown role {:?} (one of: engineer, billing, user, \
                         tls_admin, tls_viewer)",
                        at(role.span()),
                        clean(other)
                    ));
                }
            }),
        };
        let lifetime = match &t.lifetime {
            Some(v) => duration(v, "lifetime")?,
            None => default_lifetime.ok_or_else(|| {
                format!(
                    "line {line}: no lifetime: set lifetime here or in [defaults] (tokens as \
                     code always expire, so that they are rotated)"
                )
            })?,
        };
        let rotate_before = match &t.rotate_before {
            Some(v) => duration(v, "rotate_before")?,
            None => default_rotate_before.unwrap_or(DEFAULT_ROTATE_BEFORE),
        };
        if rotate_before >= lifetime {
            return Err(format!(
                "line {line}: rotate_before ({}) must be shorter than the lifetime ({}), or the \
                 token would be replaced on every run",
                humantime::format_duration(rotate_before),
                humantime::format_duration(lifetime)
            ));
        }
        let deliver = match &t.deliver {
            DeliverToml::Exec(command) if command.trim().is_empty() => {
                return Err(format!("line {line}: deliver.exec is empty"));
            }
            DeliverToml::Exec(command) => Deliver::Exec(command.clone()),
            DeliverToml::File(path) if path.as_os_str().is_empty() => {
                return Err(format!("line {line}: deliver.file is empty"));
            }
            DeliverToml::File(path) => Deliver::File(base.join(path)),
        };
        tokens.push(Wanted {
            name: name.to_string(),
            kind,
            scopes,
            services,
            role,
            lifetime,
            rotate_before,
            deliver,
            line,
        });
    }
    let prune = file
        .prune
        .map(|p| p.names)
        .unwrap_or_default()
        .iter()
        .map(|p| {
            glob::Pattern::new(p.get_ref()).map_err(|e| {
                format!(
                    "line {}: prune.names: {:?} is not a name pattern: {e}",
                    at(p.span()),
                    clean(p.get_ref())
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Declared { tokens, prune })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
[defaults]
lifetime = "90d"
rotate_before = "14d"

[[token]]
name = "ci-purge"
kind = "user"
scope = ["purge_select"]
services = ["SU1Z0isxPaozGVKXdv0eY"]
lifetime = "30d"
deliver = { exec = "gh secret set FASTLY_PURGE_TOKEN" }

[[token]]
name = "deploy"
kind = "automation"
role = "engineer"
scope = ["global"]
services = ["SU1Z0isxPaozGVKXdv0eY"]
deliver = { file = "secrets/deploy-key" }

[prune]
names = ["ci-*"]
"#;

    #[test]
    fn the_readme_example_reads() {
        let d = parse(EXAMPLE, Path::new("/etc/tokens")).expect("valid");
        assert_eq!(d.tokens.len(), 2);
        let purge = &d.tokens[0];
        assert_eq!((purge.kind, purge.name.as_str()), (Kind::User, "ci-purge"));
        assert_eq!(purge.lifetime, Duration::from_secs(30 * 86400));
        assert_eq!(purge.rotate_before, Duration::from_secs(14 * 86400));
        assert_eq!(purge.line, 6);
        let deploy = &d.tokens[1];
        assert_eq!(deploy.role, Some(Role::Engineer));
        assert_eq!(deploy.lifetime, Duration::from_secs(90 * 86400));
        assert_eq!(
            deploy.deliver,
            Deliver::File(PathBuf::from("/etc/tokens/secrets/deploy-key"))
        );
        assert!(d.prune[0].matches("ci-old"));
    }

    #[test]
    fn every_mistake_names_its_line() {
        let cases = [
            (
                "[defaults]\nlifetme = \"9d\"",
                "line 2: unknown field `lifetme`",
            ),
            (
                "[defaults]\nlifetime = \"ninety\"",
                "line 2: lifetime = \"ninety\"",
            ),
            (
                "[defaults]\nlifetime = \"9d\"\n[[token]]\nname = \"a\"\nkind = \"user\"\nscope = [\"purge_evrything\"]\ndeliver = { file = \"x\" }",
                "line 6: unknown scope \"purge_evrything\"",
            ),
            (
                "[defaults]\nlifetime = \"9d\"\n[[token]]\nname = \"a\"\nkind = \"automation\"\nrole = \"boss\"\nscope = [\"global\"]\ndeliver = { file = \"x\" }",
                "line 6: unknown role \"boss\"",
            ),
            (
                "[defaults]\nlifetime = \"9d\"\n[[token]]\nname = \"a\"\nkind = \"user\"\nscope = [\"global\"]\n",
                "missing field `deliver`",
            ),
            (
                "[defaults]\nlifetime = \"30d\"\n[[token]]\nname = \"a\"\nkind = \"user\"\nscope = [\"global\"]\ndeliver = { file = \"x\" }\n[[token]]\nname = \"a\"\nkind = \"user\"\nscope = [\"global\"]\ndeliver = { file = \"y\" }",
                "line 8: the user token \"a\" is declared twice (first on line 3)",
            ),
            (
                "[[token]]\nname = \"a\"\nkind = \"user\"\nscope = [\"global\"]\ndeliver = { file = \"x\" }",
                "line 1: no lifetime",
            ),
            (
                "[defaults]\nlifetime = \"9d\"\n[[token]]\nname = \"a\"\nkind = \"user\"\nscope = [\"global\"]\ndeliver = { ftp = \"x\" }",
                "line 7: unknown variant `ftp`",
            ),
            (
                "[defaults]\nlifetime = \"9d\"\nrotate_before = \"10d\"\n[[token]]\nname = \"a\"\nkind = \"user\"\nscope = [\"global\"]\ndeliver = { file = \"x\" }",
                "line 4: rotate_before (10days) must be shorter",
            ),
            (
                "[defaults]\nlifetime = \"9d\"\n[[token]]\nname = \"a\"\nkind = \"user\"\nrole = \"engineer\"\nscope = [\"global\"]\ndeliver = { file = \"x\" }",
                "line 6: role applies to automation tokens only",
            ),
            ("[prune]\nnames = [\"ci-[\"]", "line 2: prune.names"),
        ];
        for (text, expected) in cases {
            let e = parse(text, Path::new(".")).expect_err(text);
            assert!(
                e.contains(expected),
                "{text:?}\n  gave {e:?}\n  not {expected:?}"
            );
        }
    }
}
