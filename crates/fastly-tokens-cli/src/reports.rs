//! Secret scanners' reports, read by `triage`: TruffleHog's JSON lines, gitleaks' JSON report,
//! and SARIF 2.1.0 (gitleaks' `--report-format sarif`, or any SARIF whose results carry the
//! secret in a snippet or a property).
//!
//! Only Fastly keys are kept: a finding of a Fastly detector or rule, or of a generic rule
//! whose value has a Fastly key's exact shape (32 characters of the URL-safe base64 alphabet).
//! A value found by another vendor's rule is never taken, even when it has that shape: it would
//! be sent to Fastly to be checked, and it is not Fastly's secret to see.
//!
//! A report holds live secrets: nothing here quotes its text. Errors name a line or a finding by
//! number; keys are held as [`SecretString`]s and named by their [`fingerprint`].

use std::collections::BTreeSet;

use fastly_tokens::secrecy::SecretString;
use rustc_hash::FxHashMap;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The largest report read (bytes). TruffleHog's JSON lines for a large monorepo's history are
/// tens of megabytes; more than this is not a report.
pub(crate) const MAX_REPORT: u64 = 256 * 1024 * 1024;

/// The formats `triage` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// TruffleHog v3 `--json`: one finding per line.
    Trufflehog,
    /// gitleaks' JSON report (`--report-format json`): an array of findings.
    Gitleaks,
    /// SARIF 2.1.0 (gitleaks `--report-format sarif`, and other scanners).
    Sarif,
}

impl Format {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Format::Trufflehog => "trufflehog",
            Format::Gitleaks => "gitleaks",
            Format::Sarif => "sarif",
        }
    }
}

/// Where a key was found, as the report says it.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub struct Location {
    /// The file (a path or URI as the scanner wrote it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The line, counted from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The commit it was found in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The repository, when the scanner names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let file = self.file.as_deref().unwrap_or("(no file named)");
        write!(f, "{}", crate::output::cell(file, 200))?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(commit) = &self.commit {
            write!(f, " commit {}", crate::output::cell(commit, 40))?;
        }
        if let Some(repo) = &self.repository {
            write!(f, " in {}", crate::output::cell(repo, 120))?;
        }
        Ok(())
    }
}

/// One distinct key and everywhere it was found.
pub(crate) struct Leak {
    pub(crate) key: SecretString,
    pub(crate) fingerprint: String,
    /// Distinct locations, in the report's order.
    pub(crate) locations: Vec<Location>,
    /// The rules or detectors that found it.
    pub(crate) rules: BTreeSet<String>,
}

impl std::fmt::Debug for Leak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leak")
            .field("fingerprint", &self.fingerprint)
            .field("locations", &self.locations)
            .finish_non_exhaustive()
    }
}

/// What a report held.
#[derive(Debug)]
pub(crate) struct Report {
    pub(crate) format: Format,
    /// Findings of any kind in the report.
    pub(crate) findings: usize,
    /// Findings that are Fastly keys (before de-duplication).
    pub(crate) fastly_findings: usize,
    /// Findings of a Fastly rule whose value is not a Fastly key (cut, redacted, or not one).
    pub(crate) not_keys: usize,
    /// The distinct keys, in the order first found.
    pub(crate) leaks: Vec<Leak>,
}

/// Whether `s` has a Fastly API key's shape: 32 characters of `[A-Za-z0-9_-]`.
pub(crate) fn has_key_shape(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A key's name in every output: its first four characters and the first 8 hex digits of its
/// SHA-256, stable across runs (so reports can be compared) and of no use to find the key.
pub(crate) fn fingerprint(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let head: String = key.chars().take(4).collect();
    let mut hex = String::with_capacity(8);
    for byte in &digest[..4] {
        use std::fmt::Write as _;
        let _ = write!(hex, "{byte:02x}");
    }
    format!("{head}..{hex}")
}

fn is_fastly_rule(rule: &str) -> bool {
    rule.to_ascii_lowercase().contains("fastly")
}

fn is_generic_rule(rule: &str) -> bool {
    rule.to_ascii_lowercase().contains("generic")
}

/// The one Fastly-shaped key in `text`: all of it, or the only 32-character run of the key
/// alphabet in it (a snippet or a matched line). None when there is none or more than one.
fn key_in(text: &str) -> Option<&str> {
    let trimmed = text.trim().trim_matches(|c| c == '"' || c == '\'');
    if has_key_shape(trimmed) {
        return Some(trimmed);
    }
    let mut found: Option<&str> = None;
    for run in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')) {
        if has_key_shape(run) {
            match found {
                Some(other) if other != run => return None,
                _ => found = Some(run),
            }
        }
    }
    found
}

/// Which format `text` is: SARIF (one document with `runs`), gitleaks (an array), or TruffleHog
/// (JSON objects one per line, with `DetectorName`).
pub(crate) fn detect(text: &str) -> Result<Format, String> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.is_empty() {
        return Err("the report is empty".to_string());
    }
    if trimmed.starts_with('[') {
        return Ok(Format::Gitleaks);
    }
    if !trimmed.starts_with('{') {
        return Err(unrecognised());
    }
    if let Ok(Value::Object(doc)) = serde_json::from_str::<Value>(trimmed) {
        if doc.contains_key("runs") {
            return Ok(Format::Sarif);
        }
        if doc.contains_key("DetectorName") {
            return Ok(Format::Trufflehog);
        }
        return Err(unrecognised());
    }
    let first = trimmed.lines().next().unwrap_or_default();
    match serde_json::from_str::<Value>(first) {
        Ok(Value::Object(o))
            if o.contains_key("DetectorName") || o.contains_key("SourceMetadata") =>
        {
            Ok(Format::Trufflehog)
        }
        _ => Err(unrecognised()),
    }
}

fn unrecognised() -> String {
    "not a report triage reads: expected TruffleHog's JSON lines (--json), a gitleaks JSON \
     report, or SARIF 2.1.0; give --format to say which"
        .to_string()
}

/// Reads a report (its format detected unless `forced`).
pub(crate) fn read(text: &str, forced: Option<Format>) -> Result<Report, String> {
    let format = match forced {
        Some(f) => f,
        None => detect(text)?,
    };
    let text = text.trim_start_matches('\u{feff}');
    let mut collector = Collector::new(format);
    match format {
        Format::Trufflehog => trufflehog(text, &mut collector)?,
        Format::Gitleaks => gitleaks(text, &mut collector)?,
        Format::Sarif => sarif(text, &mut collector)?,
    }
    Ok(collector.finish())
}

/// Gathers findings into distinct keys.
struct Collector {
    report: Report,
    index: FxHashMap<String, usize>,
}

impl Collector {
    fn new(format: Format) -> Self {
        Self {
            report: Report {
                format,
                findings: 0,
                fastly_findings: 0,
                not_keys: 0,
                leaks: Vec::new(),
            },
            index: FxHashMap::default(),
        }
    }

    /// One finding: its rule, the text holding its value, and where it was.
    fn finding(&mut self, rule: &str, value: Option<&str>, location: Location) {
        self.report.findings += 1;
        let fastly = is_fastly_rule(rule);
        let key = value.and_then(key_in);
        let key = match key {
            Some(k) if fastly || is_generic_rule(rule) => k,
            _ => {
                if fastly {
                    self.report.not_keys += 1;
                }
                return;
            }
        };
        self.report.fastly_findings += 1;
        let at = match self.index.get(key) {
            Some(&i) => i,
            None => {
                self.index.insert(key.to_string(), self.report.leaks.len());
                self.report.leaks.push(Leak {
                    key: SecretString::from(key.to_string()),
                    fingerprint: fingerprint(key),
                    locations: Vec::new(),
                    rules: BTreeSet::new(),
                });
                self.report.leaks.len() - 1
            }
        };
        let leak = &mut self.report.leaks[at];
        if !leak.locations.contains(&location) {
            leak.locations.push(location);
        }
        leak.rules.insert(crate::output::cell(rule, 80));
    }

    fn finish(self) -> Report {
        self.report
    }
}

fn string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn number(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64().filter(|&n| n > 0),
        Value::String(s) => s.parse().ok().filter(|&n| n > 0),
        _ => None,
    }
}

/// TruffleHog v3 `--json`: one object per line. Log lines TruffleHog writes as JSON (when its
/// stderr was mixed in) have no `DetectorName` and are passed over; a line that is not JSON is
/// an error naming its number.
fn trufflehog(text: &str, c: &mut Collector) -> Result<(), String> {
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let finding: Map<String, Value> = serde_json::from_str(line).map_err(|e| {
            format!(
                "line {} of the TruffleHog report is not a JSON object ({})",
                i + 1,
                e.classify_text()
            )
        })?;
        let Some(detector) = string(finding.get("DetectorName")) else {
            continue;
        };
        let value = string(finding.get("Raw")).or_else(|| string(finding.get("RawV2")));
        // SourceMetadata.Data.<source>: {file, line, commit, repository, ...}
        let source = finding
            .get("SourceMetadata")
            .and_then(|m| m.get("Data"))
            .and_then(Value::as_object)
            .and_then(|d| d.values().find_map(Value::as_object));
        let location = source.map_or_else(Location::default, |s| Location {
            file: string(s.get("file")).or_else(|| string(s.get("path"))),
            line: number(s.get("line")),
            commit: string(s.get("commit")),
            repository: string(s.get("repository")),
        });
        c.finding(&detector, value.as_deref(), location);
    }
    Ok(())
}

/// gitleaks' JSON report: an array of findings with `RuleID`, `Secret` (or `Match`), `File`,
/// `StartLine`, `Commit`.
fn gitleaks(text: &str, c: &mut Collector) -> Result<(), String> {
    let findings: Vec<Map<String, Value>> = serde_json::from_str(text).map_err(|e| {
        format!(
            "the gitleaks report is not a JSON array of findings ({} at line {})",
            e.classify_text(),
            e.line()
        )
    })?;
    for finding in &findings {
        let rule = string(finding.get("RuleID")).unwrap_or_default();
        let value = string(finding.get("Secret")).or_else(|| string(finding.get("Match")));
        let location = Location {
            file: string(finding.get("File")),
            line: number(finding.get("StartLine")),
            commit: string(finding.get("Commit")),
            repository: None,
        };
        c.finding(&rule, value.as_deref(), location);
    }
    Ok(())
}

/// SARIF 2.1.0: every result of every run. The value is the result's snippet (gitleaks puts the
/// secret there), else a string property of the result with a key's shape.
fn sarif(text: &str, c: &mut Collector) -> Result<(), String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "the SARIF report is not JSON ({} at line {})",
            e.classify_text(),
            e.line()
        )
    })?;
    let runs = doc
        .get("runs")
        .and_then(Value::as_array)
        .ok_or("the SARIF report has no runs")?;
    for run in runs {
        let results = run.get("results").and_then(Value::as_array);
        for result in results.into_iter().flatten() {
            let rule = string(result.get("ruleId"))
                .or_else(|| string(result.get("rule").and_then(|r| r.get("id"))))
                .unwrap_or_default();
            let physical = result
                .get("locations")
                .and_then(Value::as_array)
                .and_then(|l| l.first())
                .and_then(|l| l.get("physicalLocation"));
            let snippet = |region: &str| {
                physical
                    .and_then(|p| p.get(region))
                    .and_then(|r| r.get("snippet"))
                    .and_then(|s| s.get("text"))
                    .and_then(Value::as_str)
            };
            let value = snippet("region")
                .filter(|s| key_in(s).is_some())
                .or_else(|| snippet("contextRegion").filter(|s| key_in(s).is_some()))
                .or_else(|| shaped_property(result.get("properties")));
            let commit = string(
                result
                    .get("partialFingerprints")
                    .and_then(|p| p.get("commitSha")),
            )
            .or_else(|| string(result.get("properties").and_then(|p| p.get("commit"))));
            let location = Location {
                file: string(
                    physical
                        .and_then(|p| p.get("artifactLocation"))
                        .and_then(|a| a.get("uri")),
                ),
                line: number(
                    physical
                        .and_then(|p| p.get("region"))
                        .and_then(|r| r.get("startLine")),
                ),
                commit,
                repository: None,
            };
            c.finding(&rule, value, location);
        }
    }
    Ok(())
}

/// The first string property (one level deep) holding a key-shaped value.
fn shaped_property(properties: Option<&Value>) -> Option<&str> {
    properties?
        .as_object()?
        .values()
        .filter_map(Value::as_str)
        .find(|s| key_in(s).is_some())
}

trait Classify {
    fn classify_text(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    /// serde_json's message without its detail (which can quote a piece of the input).
    fn classify_text(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "a syntax error",
            serde_json::error::Category::Data => "not the expected shape",
            serde_json::error::Category::Eof => "it ends too early",
        }
    }
}

#[cfg(test)]
impl Leak {
    fn expose(&self) -> &str {
        fastly_tokens::secrecy::ExposeSecret::expose_secret(&self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "X-srxc_zLpchro9ngNBVgyofN_jqQFJ2";
    const OTHER: &str = "abcdefghijklmnopqrstuvwxyz012345";

    #[test]
    fn shape_and_fingerprint() {
        assert!(has_key_shape(KEY));
        assert!(!has_key_shape(&KEY[1..]));
        assert!(!has_key_shape("X-srxc_zLpchro9ngNBVgyofN_jqQFJ+"));
        let fp = fingerprint(KEY);
        assert_eq!(fp, fingerprint(KEY), "stable");
        assert!(fp.starts_with("X-sr.."), "{fp}");
        assert_eq!(fp.len(), 4 + 2 + 8);
        assert_ne!(fp, fingerprint(OTHER));
    }

    #[test]
    fn a_key_is_found_in_a_snippet_only_when_it_is_the_only_one() {
        assert_eq!(key_in(KEY), Some(KEY));
        assert_eq!(key_in(&format!("\"{KEY}\"")), Some(KEY));
        assert_eq!(key_in(&format!("FASTLY_API_TOKEN={KEY} # ci")), Some(KEY));
        assert_eq!(key_in(&format!("{KEY} {KEY}")), Some(KEY));
        assert_eq!(key_in(&format!("{KEY} {OTHER}")), None);
        assert_eq!(key_in("fastly = REDACTED"), None);
    }

    #[test]
    fn formats_are_told_apart_by_content() {
        assert_eq!(detect("[]"), Ok(Format::Gitleaks));
        assert_eq!(
            detect("{\n  \"version\": \"2.1.0\",\n  \"runs\": []\n}"),
            Ok(Format::Sarif)
        );
        assert_eq!(
            detect("{\"DetectorName\":\"Fastly\"}\n{\"DetectorName\":\"AWS\"}\n"),
            Ok(Format::Trufflehog)
        );
        assert!(detect("").is_err());
        assert!(detect("hello").is_err());
        assert!(detect("{\"a\":1}").is_err());
    }

    #[test]
    fn other_vendors_values_are_never_taken_even_with_the_shape() {
        let text = format!(
            "[{{\"RuleID\":\"github-pat\",\"Secret\":\"{OTHER}\",\"File\":\"a\"}},\
             {{\"RuleID\":\"generic-api-key\",\"Secret\":\"{KEY}\",\"File\":\"b\",\"StartLine\":3}},\
             {{\"RuleID\":\"fastly-api-token\",\"Secret\":\"{KEY}\",\"File\":\"b\",\"StartLine\":3}},\
             {{\"RuleID\":\"fastly-api-token\",\"Secret\":\"REDACTED\",\"File\":\"c\"}}]"
        );
        let report = read(&text, None).expect("reads");
        assert_eq!(report.findings, 4);
        assert_eq!(report.fastly_findings, 2);
        assert_eq!(report.not_keys, 1);
        assert_eq!(report.leaks.len(), 1);
        assert_eq!(report.leaks[0].locations.len(), 1, "same place once");
        assert_eq!(report.leaks[0].expose(), KEY);
        assert!(
            !format!("{report:?}").contains(KEY),
            "Debug keeps the key out"
        );
    }

    #[test]
    fn errors_never_quote_the_report() {
        let text = format!("{{\"DetectorName\":\"Fastly\",\"Raw\":\"{KEY}\"}}\n{KEY} oops\n");
        let e = read(&text, None).expect_err("line 2 is not JSON");
        assert!(e.contains("line 2"), "{e}");
        assert!(!e.contains(KEY) && !e.contains("oops"), "{e}");
        let e = read(&format!("[{{\"Secret\":\"{KEY}\""), Some(Format::Gitleaks))
            .expect_err("not JSON");
        assert!(!e.contains(KEY), "{e}");
    }
}
