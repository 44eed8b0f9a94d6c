//! `triage --sarif FILE`: the results as SARIF 2.1.0, one result per place a key was found,
//! one rule per outcome, so GitHub code scanning (and any SARIF viewer) shows each leaked key at
//! its file and line with what was done about it.
//!
//! Written with serde from the few SARIF objects it needs rather than with the `serde-sarif`
//! crate: that crate generates the whole SARIF object model (about a hundred types, with
//! builders) from the schema in a build script, for a document of four rules and a result per
//! location; and 0.8.0 does not build on its own (its generated code needs serde's `derive`
//! feature, which it does not ask for). The tests validate what this writes against the OASIS
//! SARIF 2.1.0 JSON Schema.

use std::path::Path;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

use crate::Failure;
use crate::docs::{KeyStatus, TriageDoc, TriagedKey};
use crate::output::clean;

/// The rules: one per outcome, with its SARIF level.
const RULES: [(&str, &str, &str, &str); 4] = [
    (
        "live-key",
        "error",
        "A live Fastly API key is exposed",
        "Fastly accepts this key: whoever reads this file can act as its token. Revoke it \
         (fastly-tokens triage REPORT --revoke), then remove it from the history.",
    ),
    (
        "live-key-revoked",
        "warning",
        "An exposed Fastly API key was revoked",
        "This key was live and has been revoked by fastly-tokens triage. Remove it from the \
         history and give its users a new token.",
    ),
    (
        "dead-key",
        "note",
        "An exposed Fastly API key that no longer works",
        "Fastly does not accept this key (revoked or expired). Remove it from the history.",
    ),
    (
        "unverified",
        "warning",
        "An exposed Fastly API key that could not be checked",
        "Whether Fastly accepts this key is not known (a timeout, a network or server error). \
         Run fastly-tokens triage again.",
    ),
];

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
struct Run<'a> {
    tool: Tool,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    full_description: Text,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<SarifLocation>,
    partial_fingerprints: Fingerprints,
    properties: Properties<'a>,
}

/// What GitHub tracks an alert by across runs: the key and the place, so that one key found
/// in two places is two alerts, and the same place in the next run is the same alert.
#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "fastlyKeyLocation/v1")]
    key_location: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Properties<'a> {
    key_fingerprint: &'a str,
    status: KeyStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    physical_location: Physical,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical {
    artifact_location: Artifact,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct Artifact {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u64,
}

/// The rule of a key's outcome.
fn rule_of(status: KeyStatus) -> usize {
    match status {
        KeyStatus::Live | KeyStatus::WouldRevoke | KeyStatus::RevokeFailed => 0,
        KeyStatus::Revoked => 1,
        KeyStatus::Dead => 2,
        KeyStatus::Unknown => 3,
    }
}

/// What the result says: the key, its token, and what was done.
fn message(key: &TriagedKey) -> String {
    let token = key.token.as_ref().map_or(String::new(), |t| {
        format!(
            " It belongs to token {} \"{}\" of user {} (scopes {}).",
            t.id(),
            clean(t.name()),
            t.user_id(),
            clean(t.scopes().as_str())
        )
    });
    match key.status {
        KeyStatus::Live => format!(
            "A live Fastly API key ({}) is exposed here.{token} It was not revoked{}.",
            key.fingerprint,
            key.error
                .as_deref()
                .map_or(String::new(), |e| format!(": {}", clean(e)))
        ),
        KeyStatus::WouldRevoke => format!(
            "A live Fastly API key ({}) is exposed here.{token} A dry run: it would be revoked.",
            key.fingerprint
        ),
        KeyStatus::RevokeFailed => format!(
            "A live Fastly API key ({}) is exposed here.{token} Revoking it failed: {}.",
            key.fingerprint,
            clean(key.error.as_deref().unwrap_or("unknown error"))
        ),
        KeyStatus::Revoked => format!(
            "A Fastly API key ({}) was exposed here and has been revoked ({}).{token}",
            key.fingerprint,
            match key.via.as_deref() {
                Some("by-id") => "by id, with the caller's token",
                _ => "with the key itself",
            }
        ),
        KeyStatus::Dead => format!(
            "A Fastly API key ({}) is exposed here; Fastly no longer accepts it.",
            key.fingerprint
        ),
        KeyStatus::Unknown => format!(
            "A Fastly API key ({}) is exposed here and could not be checked: {}.",
            key.fingerprint,
            clean(key.error.as_deref().unwrap_or("unknown error"))
        ),
    }
}

/// A path as a SARIF URI reference: characters outside RFC 3986's allowed set percent-encoded.
/// `None` for a URL of another scheme, which code scanning cannot place.
fn uri(path: &str) -> Option<String> {
    if let Some(rest) = path.strip_prefix("file://") {
        return Some(format!(
            "file://{}",
            utf8_percent_encode(rest, NOT_IN_A_PATH)
        ));
    }
    if let Some((scheme, _)) = path.split_once("://")
        && !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    Some(utf8_percent_encode(path, NOT_IN_A_PATH).to_string())
}

/// Everything but RFC 3986's unreserved characters, `/`, and the sub-delimiters and `@` a path
/// segment may hold (`:` is encoded: in a first segment it would read as a scheme).
const NOT_IN_A_PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b'@');

/// The SARIF log of a triage.
pub(crate) fn render(doc: &TriageDoc) -> Result<Rendered, Failure> {
    let rules = RULES
        .iter()
        .map(|(id, level, short, full)| Rule {
            id,
            name: id,
            short_description: Text {
                text: (*short).to_string(),
            },
            full_description: Text {
                text: (*full).to_string(),
            },
            default_configuration: Configuration { level },
        })
        .collect();
    let mut results = Vec::new();
    let mut placeless = 0;
    for key in &doc.keys {
        let index = rule_of(key.status);
        let text = message(key);
        for location in &key.locations {
            // GitHub refuses a whole upload with a result it cannot place
            // ("expected at least one location"): such places are in the JSON and text output.
            // So does a URL (`https://…`: "unrecognized SARIF location URI scheme"); a
            // `file://` URI is kept as one.
            let Some((file, uri)) = location.file.as_deref().and_then(|f| Some((f, uri(f)?)))
            else {
                placeless += 1;
                continue;
            };
            results.push(SarifResult {
                rule_id: RULES[index].0,
                rule_index: index,
                level: RULES[index].1,
                message: Text { text: text.clone() },
                locations: vec![SarifLocation {
                    physical_location: Physical {
                        artifact_location: Artifact { uri },
                        region: location.line.map(|start_line| Region { start_line }),
                    },
                }],
                // The same key at the same place of the same repository is one alert across
                // commits and runs.
                partial_fingerprints: Fingerprints {
                    key_location: format!(
                        "{}:{}{}:{}",
                        key.fingerprint,
                        location
                            .repository
                            .as_deref()
                            .map(|r| format!("{r}:"))
                            .unwrap_or_default(),
                        file,
                        location.line.unwrap_or(0)
                    ),
                },
                properties: Properties {
                    key_fingerprint: &key.fingerprint,
                    status: key.status,
                    token_id: key.token.as_ref().map(|t| t.id().to_string()),
                    commit: location.commit.as_deref(),
                },
            });
        }
    }
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "fastly-tokens",
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    rules,
                },
            },
            results,
        }],
    };
    Ok(Rendered {
        text: crate::output::to_json(&log)?,
        placeless,
    })
}

/// A SARIF log, and how many places were left out of it for want of a file.
pub(crate) struct Rendered {
    pub(crate) text: String,
    pub(crate) placeless: usize,
}

/// Writes the log to `path`: a temporary file in the same folder, renamed over it, so a reader
/// never sees half a file.
pub(crate) fn write(path: &Path, text: &str) -> Result<(), Failure> {
    use std::io::Write as _;
    let shown = clean(&path.display().to_string()).into_owned();
    let fail = |e: &dyn std::fmt::Display| {
        Failure::local(format!("cannot write the SARIF file {shown}: {e}"))
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".fastly-tokens-sarif")
        .tempfile_in(&dir)
        .map_err(|e| fail(&e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.as_file().sync_all())
        .map_err(|e| fail(&e))?;
    file.persist(path).map_err(|e| fail(&e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri("src/config.yml").as_deref(), Some("src/config.yml"));
        assert_eq!(uri("my dir/a%b.env").as_deref(), Some("my%20dir/a%25b.env"));
        assert_eq!(uri("été").as_deref(), Some("%C3%A9t%C3%A9"));
        assert_eq!(uri("C:a.env").as_deref(), Some("C%3Aa.env"));
        assert_eq!(
            uri("file:///home/ci/repo/a b.env").as_deref(),
            Some("file:///home/ci/repo/a%20b.env")
        );
        assert_eq!(uri("https://github.com/o/r/blob/main/a.env"), None);
    }
}
