//! The Fastly CLI's stored tokens, read from its config file (`fastly-tokens --profile NAME`, or
//! its default when no token is given otherwise).
//!
//! Two layouts exist, from the Fastly CLI's `pkg/config` (`auth.go`, `migrate_auth.go`):
//!
//! ```toml
//! [auth]                       # current
//! default = "work"
//! [auth.tokens.work]
//! type = "static"
//! token = "..."
//!
//! [profile.user]               # older (`fastly profile create`)
//! default = true
//! email = "me@example.com"
//! token = "..."
//! ```
//!
//! Only the token is read. SSO entries are refused: their short-lived tokens are refreshed by
//! the Fastly CLI, not here. The file is where the Fastly CLI keeps it: the user config
//! directory (`$XDG_CONFIG_HOME` or `~/.config` on Linux), `fastly/config.toml`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use fastly_tokens::secrecy::SecretString;

use crate::Failure;

#[derive(Debug, Default, serde::Deserialize)]
struct File {
    #[serde(default)]
    auth: Auth,
    #[serde(default)]
    profile: BTreeMap<String, LegacyProfile>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct Auth {
    #[serde(default)]
    default: String,
    #[serde(default)]
    tokens: BTreeMap<String, AuthToken>,
}

#[derive(Debug, serde::Deserialize)]
struct AuthToken {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    token: String,
}

#[derive(Debug, serde::Deserialize)]
struct LegacyProfile {
    #[serde(default)]
    default: bool,
    #[serde(default)]
    token: String,
}

/// The Fastly CLI's config file.
pub fn path() -> Option<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(config.join("fastly").join("config.toml"))
}

/// A token from the Fastly CLI's config: the named profile, or with `None` the default one.
/// `Ok(None)` when no name was asked for and there is no file or no default.
pub fn token(name: Option<&str>) -> Result<Option<(String, SecretString)>, Failure> {
    let Some(path) = path() else {
        return match name {
            Some(_) => Err(Failure::usage(
                "--profile: cannot locate the Fastly CLI's config file (no HOME or XDG_CONFIG_HOME)",
            )),
            None => Ok(None),
        };
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && name.is_none() => return Ok(None),
        Err(e) => {
            return Err(Failure::usage(format!(
                "--profile: cannot read {}: {e}",
                path.display()
            )));
        }
    };
    check_mode(&path, "Fastly API tokens")?;
    // The parser's message may quote the file, and the file holds tokens: say where only.
    let file: File = toml::from_str(&text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let line = text[..s.start.min(text.len())].lines().count().max(1);
                format!(" (around line {line})")
            })
            .unwrap_or_default();
        Failure::usage(format!(
            "{} is not a Fastly CLI config file this version can read{at}",
            path.display()
        ))
    })?;
    pick(file, name, &path.display().to_string())
}

/// A file of secrets others may read exposes them: refused when anyone may read or write it
/// (as ssh refuses such a key), a warning when its group may read it. `holds` says what it
/// holds, for the message.
pub(crate) fn check_mode(path: &std::path::Path, holds: &str) -> Result<(), Failure> {
    use std::os::unix::fs::PermissionsExt as _;
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    let mode = meta.permissions().mode() & 0o777;
    let fix = format!("run `chmod 600 {}`", path.display());
    if mode & 0o006 != 0 {
        return Err(Failure::usage(format!(
            "{} holds {holds} and any user of this machine may read or change it \
             (mode {mode:03o}); refusing to use it: {fix}",
            path.display()
        )));
    }
    if mode & 0o060 != 0 {
        crate::output::err_line(format!(
            "warning: {} holds {holds} and its group may read it (mode {mode:03o}): {fix}",
            path.display()
        ));
    }
    Ok(())
}

fn pick(
    file: File,
    name: Option<&str>,
    shown: &str,
) -> Result<Option<(String, SecretString)>, Failure> {
    let wanted = match name {
        Some(n) => Some(n.to_string()),
        None if !file.auth.default.is_empty() => Some(file.auth.default.clone()),
        None => file
            .profile
            .iter()
            .find(|(_, p)| p.default)
            .map(|(n, _)| n.clone()),
    };
    let Some(wanted) = wanted else {
        return Ok(None);
    };
    if let Some(entry) = file.auth.tokens.get(&wanted) {
        if entry.kind == "sso" {
            return Err(Failure::usage(format!(
                "profile {wanted:?} in {shown} is an SSO login, whose tokens the Fastly CLI refreshes; \
                 use a static token (FASTLY_API_TOKEN) instead"
            )));
        }
        return non_empty(&wanted, &entry.token, shown).map(Some);
    }
    if let Some(profile) = file.profile.get(&wanted) {
        return non_empty(&wanted, &profile.token, shown).map(Some);
    }
    let mut known: Vec<&String> = file.auth.tokens.keys().chain(file.profile.keys()).collect();
    known.sort();
    known.dedup();
    Err(Failure::usage(format!(
        "no profile {wanted:?} in {shown} (profiles: {})",
        if known.is_empty() {
            "none".to_string()
        } else {
            known
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    )))
}

fn non_empty(name: &str, token: &str, shown: &str) -> Result<(String, SecretString), Failure> {
    if token.trim().is_empty() {
        return Err(Failure::usage(format!(
            "profile {name:?} in {shown} has no token"
        )));
    }
    Ok((name.to_string(), SecretString::from(token.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fastly_tokens::secrecy::ExposeSecret as _;

    fn parse(text: &str) -> File {
        toml::from_str(text).expect("parses")
    }

    const CURRENT: &str = r#"
config_version = 5
[fastly]
api_endpoint = "https://api.fastly.com"
[auth]
default = "work"
[auth.tokens.work]
type = "static"
token = "WORK-TOKEN-SECRET"
email = "me@example.com"
[auth.tokens.sso]
type = "sso"
token = ""
access_token = "short-lived"
"#;

    const LEGACY: &str = r#"
[profile.user]
default = false
email = "me@example.com"
token = "USER-TOKEN-SECRET"
[profile.ops]
default = true
token = "OPS-TOKEN-SECRET"
"#;

    #[test]
    fn the_default_and_named_tokens_of_both_layouts() {
        let got = pick(parse(CURRENT), None, "f")
            .expect("ok")
            .expect("a default");
        assert_eq!(
            (got.0.as_str(), got.1.expose_secret()),
            ("work", "WORK-TOKEN-SECRET")
        );
        let got = pick(parse(LEGACY), None, "f")
            .expect("ok")
            .expect("a default");
        assert_eq!(
            (got.0.as_str(), got.1.expose_secret()),
            ("ops", "OPS-TOKEN-SECRET")
        );
        let got = pick(parse(LEGACY), Some("user"), "f")
            .expect("ok")
            .expect("named");
        assert_eq!(got.1.expose_secret(), "USER-TOKEN-SECRET");
        assert!(pick(parse("[fastly]\n"), None, "f").expect("ok").is_none());
    }

    #[test]
    fn refusals_name_the_profiles_and_never_a_token() {
        let err = pick(parse(CURRENT), Some("sso"), "f").expect_err("sso");
        assert!(err.message.contains("SSO"), "{}", err.message);
        let err = pick(parse(LEGACY), Some("nope"), "f").expect_err("unknown");
        assert!(err.message.contains("ops, user"), "{}", err.message);
        assert!(!err.message.contains("SECRET"), "{}", err.message);
    }
}
