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

use aho_corasick::{AhoCorasick, MatchKind};
use fastly_tokens::secrecy::SecretString;
use percent_encoding::percent_decode_str;
use rustc_hash::{FxHashMap, FxHashSet};
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

/// Whether a rule finds secrets of no particular vendor (gitleaks' `generic-api-key`): its
/// words are all of the generic vocabulary. `aws-generic-secret` is AWS's, not generic: its
/// values are never sent to Fastly.
fn is_generic_rule(rule: &str) -> bool {
    const WORDS: &[&str] = &[
        "generic",
        "api",
        "key",
        "keys",
        "secret",
        "secrets",
        "token",
        "tokens",
        "access",
        "password",
        "credential",
        "credentials",
        "high",
        "entropy",
        "string",
        "hardcoded",
    ];
    let lower = rule.to_ascii_lowercase();
    let mut generic = false;
    for word in lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !WORDS.contains(&word) {
            return false;
        }
        generic |= word == "generic";
    }
    generic
}

/// `text` when all of it (trimmed, unquoted) has a key's shape: the only value a generic rule
/// gives (a 32-character piece of a longer secret, or of a JWT, is someone else's secret).
fn whole_key(text: &str) -> Option<&str> {
    let trimmed = text.trim().trim_matches(|c| c == '"' || c == '\'');
    has_key_shape(trimmed).then_some(trimmed)
}

/// The one Fastly-shaped key in what a Fastly rule matched: all of it, or the only 32-character
/// run of the key alphabet in it (a snippet or a matched line) that is not a piece of a longer
/// base64 value (`+`, `/` on either side, `=` after). None when there is none or more than one.
fn key_in(text: &str) -> Option<&str> {
    if let Some(key) = whole_key(text) {
        return Some(key);
    }
    let alphabet = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    let bytes = text.as_bytes();
    let mut found: Option<&str> = None;
    let mut at = 0;
    while at < bytes.len() {
        if !alphabet(bytes[at]) {
            at += 1;
            continue;
        }
        let start = at;
        while at < bytes.len() && alphabet(bytes[at]) {
            at += 1;
        }
        // Runs start and end at ASCII bytes, so these are character boundaries.
        let run = &text[start..at];
        let before = start.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at).copied();
        let piece =
            matches!(before, Some(b'+' | b'/')) || matches!(after, Some(b'+' | b'/' | b'='));
        if has_key_shape(run) && !piece {
            match found {
                Some(other) if other != run => return None,
                _ => found = Some(run),
            }
        }
    }
    found
}

/// Which format `text` is: SARIF (one document with `runs`), gitleaks (an array), or TruffleHog
/// (JSON objects one per line, with `DetectorName`). An empty report, or one of TruffleHog's
/// JSON log lines only, is TruffleHog's: it prints nothing else when it finds nothing.
pub(crate) fn detect(text: &str) -> Result<Format, String> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.is_empty() {
        return Ok(Format::Trufflehog);
    }
    if trimmed.starts_with('[') {
        return Ok(Format::Gitleaks);
    }
    if !trimmed.starts_with('{') {
        return Err(unrecognised());
    }
    if let Ok(Value::Object(doc)) = serde_json::from_str::<Value>(trimmed)
        && doc.contains_key("runs")
    {
        return Ok(Format::Sarif);
    }
    // JSON lines: the first finding decides; log lines before it are passed over.
    for line in trimmed.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(o))
                if o.contains_key("DetectorName") || o.contains_key("SourceMetadata") =>
            {
                return Ok(Format::Trufflehog);
            }
            Ok(Value::Object(o)) if is_log_line(&o) => {}
            _ => return Err(unrecognised()),
        }
    }
    Ok(Format::Trufflehog)
}

/// One of TruffleHog's own JSON log lines (`{"level":…,"msg":…}`), when its stderr was mixed in.
fn is_log_line(line: &Map<String, Value>) -> bool {
    line.contains_key("level") && line.contains_key("msg")
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
    /// Every value any finding reported (of any vendor), to scrub from what is shown.
    secrets: FxHashSet<String>,
}

/// Secrets shorter than this are not scrubbed from locations: they would cut words of paths.
const SCRUBBED_FROM: usize = 8;

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
            secrets: FxHashSet::default(),
        }
    }

    /// One finding: its rule, the texts that may hold its value (best first), and where it
    /// was. A Fastly rule's value may be a line holding the key; a generic rule's must be the
    /// key itself; another vendor's is never taken.
    fn finding(&mut self, rule: &str, values: &[Option<&str>], location: Location) {
        self.report.findings += 1;
        for value in values.iter().flatten() {
            let value = value.trim();
            if value.len() >= SCRUBBED_FROM && !self.secrets.contains(value) {
                self.secrets.insert(value.to_string());
            }
        }
        let fastly = is_fastly_rule(rule);
        let key = if fastly {
            values.iter().flatten().find_map(|v| key_in(v))
        } else if is_generic_rule(rule) {
            values.iter().flatten().find_map(|v| whole_key(v))
        } else {
            None
        };
        let Some(key) = key else {
            if fastly {
                self.report.not_keys += 1;
            }
            return;
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
        leak.rules.insert(rule.to_string());
    }

    /// The report, with every secret it holds taken out of what will be shown: a key (of this
    /// report, any vendor's) in a file name, a commit, a repository URL or a rule name is
    /// replaced by its fingerprint (a Fastly key) or `[REDACTED]`, and a URL's user and
    /// password are dropped.
    fn finish(mut self) -> Report {
        let mut patterns: Vec<(String, String)> = Vec::with_capacity(self.secrets.len());
        for leak in &self.report.leaks {
            let key = fastly_tokens::secrecy::ExposeSecret::expose_secret(&leak.key);
            patterns.push((key.to_string(), leak.fingerprint.clone()));
        }
        for secret in self.secrets.drain() {
            if !self.index.contains_key(&secret) {
                patterns.push((secret, "[REDACTED]".to_string()));
            }
        }
        let scrub = Scrub::new(patterns);
        for leak in &mut self.report.leaks {
            let mut locations: Vec<Location> = Vec::with_capacity(leak.locations.len());
            for location in leak.locations.drain(..) {
                let location = Location {
                    file: location.file.map(|f| scrub.text(&f)),
                    line: location.line,
                    commit: location.commit.map(|c| scrub.text(&c)),
                    repository: location.repository.map(|r| scrub.text(&r)),
                };
                if !locations.contains(&location) {
                    locations.push(location);
                }
            }
            leak.locations = locations;
            leak.rules = std::mem::take(&mut leak.rules)
                .into_iter()
                .map(|r| crate::output::cell(&scrub.text(&r), 80))
                .collect();
        }
        self.report
    }
}

/// Replaces secrets in text shown to people (one automaton for all of them: a report can hold
/// tens of thousands).
struct Scrub {
    automaton: Option<AhoCorasick>,
    replacements: Vec<String>,
}

impl Scrub {
    fn new(patterns: Vec<(String, String)>) -> Self {
        let (needles, replacements): (Vec<String>, Vec<String>) = patterns.into_iter().unzip();
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&needles)
            .ok();
        Self {
            automaton,
            replacements,
        }
    }

    fn text(&self, text: &str) -> String {
        let text = without_userinfo(text);
        match &self.automaton {
            Some(a) => a.replace_all(&text, &self.replacements),
            // Too many secrets to build the automaton: show nothing rather than risk one.
            None => "[REDACTED]".to_string(),
        }
    }
}

/// `scheme://user:password@host/…` without `user:password@`: a repository URL can carry a token
/// (`https://x-access-token:…@github.com/…`).
fn without_userinfo(text: &str) -> std::borrow::Cow<'_, str> {
    let Some(scheme_end) = text.find("://") else {
        return text.into();
    };
    let authority_start = scheme_end + 3;
    let rest = &text[authority_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}{}", &text[..authority_start], &rest[at + 1..]).into(),
        None => text.into(),
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
        c.finding(
            &detector,
            &[
                string(finding.get("Raw")).as_deref(),
                string(finding.get("RawV2")).as_deref(),
            ],
            location,
        );
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
        let location = Location {
            file: string(finding.get("File")),
            line: number(finding.get("StartLine")),
            commit: string(finding.get("Commit")),
            repository: None,
        };
        c.finding(
            &rule,
            &[
                string(finding.get("Secret")).as_deref(),
                string(finding.get("Match")).as_deref(),
            ],
            location,
        );
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
        // Only objects are results; anything else in the array is not a finding.
        for result in results.into_iter().flatten().filter(|r| r.is_object()) {
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
            let properties = result
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|p| p.values().filter_map(Value::as_str));
            let values: Vec<Option<&str>> = [snippet("region"), snippet("contextRegion")]
                .into_iter()
                .chain(properties.map(Some))
                .collect();
            let commit = string(
                result
                    .get("partialFingerprints")
                    .and_then(|p| p.get("commitSha")),
            )
            .or_else(|| string(result.get("properties").and_then(|p| p.get("commit"))));
            let location = Location {
                // A SARIF URI is percent-encoded: a location holds the path itself.
                file: string(
                    physical
                        .and_then(|p| p.get("artifactLocation"))
                        .and_then(|a| a.get("uri")),
                )
                .map(|uri| percent_decode_str(&uri).decode_utf8_lossy().into_owned()),
                line: number(
                    physical
                        .and_then(|p| p.get("region"))
                        .and_then(|r| r.get("startLine")),
                ),
                commit,
                repository: None,
            };
            c.finding(&rule, &values, location);
        }
    }
    Ok(())
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
        // A piece of a longer base64 value is not a key.
        assert_eq!(key_in(&format!("x/{KEY}")), None);
        assert_eq!(key_in(&format!("{KEY}+x")), None);
        assert_eq!(key_in(&format!("{KEY}==")), None);
    }

    #[test]
    fn only_generic_rules_and_whole_values_of_them_are_taken() {
        assert!(is_generic_rule("generic-api-key"));
        assert!(is_generic_rule("Generic High Entropy Secret"));
        assert!(!is_generic_rule("aws-generic-secret"));
        assert!(!is_generic_rule("generic-github-token"));
        assert!(!is_generic_rule("api-key"), "not said to be generic");
        // An AWS secret key (40 characters with `/`) and a JWT hold 32-character runs.
        let aws = format!("wJalrXUtnFEMI/{}", &OTHER[..26]);
        let jwt = format!("eyJhbGciOiJIUzI1NiJ9.{KEY}.c2lnbmF0dXJl");
        let text = format!(
            "[{{\"RuleID\":\"generic-api-key\",\"Secret\":\"{aws}\",\"File\":\"a\"}},\
             {{\"RuleID\":\"generic-api-key\",\"Secret\":\"{jwt}\",\"File\":\"b\"}},\
             {{\"RuleID\":\"aws-generic-secret\",\"Secret\":\"{KEY}\",\"File\":\"c\"}},\
             {{\"RuleID\":\"generic-api-key\",\"Secret\":\"token={OTHER}\",\"File\":\"d\"}}]"
        );
        let report = read(&text, None).expect("reads");
        assert_eq!(report.findings, 4);
        assert!(report.leaks.is_empty(), "{:?}", report.leaks);
    }

    #[test]
    fn keys_and_other_secrets_are_scrubbed_from_every_place_shown() {
        let pat = "ghp_0123456789abcdefghijklmnopqrstuvwxyz";
        let text = format!(
            "{{\"DetectorName\":\"Fastly {KEY}\",\"Raw\":\"{KEY}\",\"SourceMetadata\":{{\"Data\":{{\"Git\":\
             {{\"file\":\"leak-{KEY}.env\",\"commit\":\"{OTHER}\",\"line\":2,\
             \"repository\":\"https://x-access-token:hunter2hunter2@github.com/o/{pat}.git\"}}}}}}}}\n\
             {{\"DetectorName\":\"Fastly\",\"Raw\":\"{OTHER}\"}}\n\
             {{\"DetectorName\":\"Github\",\"Raw\":\"{pat}\"}}\n"
        );
        let report = read(&text, None).expect("reads");
        assert_eq!(report.leaks.len(), 2);
        let shown = format!(
            "{:?} {:?}",
            report.leaks[0].locations, report.leaks[0].rules
        );
        for secret in [KEY, OTHER, pat, "hunter2", "x-access-token"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        let place = &report.leaks[0].locations[0];
        assert_eq!(
            place.file.as_deref(),
            Some(format!("leak-{}.env", fingerprint(KEY)).as_str())
        );
        assert_eq!(place.commit.as_deref(), Some(fingerprint(OTHER).as_str()));
        assert_eq!(
            place.repository.as_deref(),
            Some("https://github.com/o/[REDACTED].git")
        );
    }

    #[test]
    fn sarif_uris_are_read_as_paths() {
        let text = format!(
            "{{\"runs\":[{{\"results\":[7,\"x\",{{\"ruleId\":\"fastly-api-token\",\
             \"locations\":[{{\"physicalLocation\":{{\"artifactLocation\":{{\"uri\":\"my%20dir/a%25b.env\"}},\
             \"region\":{{\"startLine\":4,\"snippet\":{{\"text\":\"{KEY}\"}}}}}}}}]}}]}}]}}"
        );
        let report = read(&text, None).expect("reads");
        assert_eq!(report.findings, 1, "junk results are not findings");
        assert_eq!(
            report.leaks[0].locations[0].file.as_deref(),
            Some("my dir/a%b.env")
        );
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
        // TruffleHog prints nothing, or only its JSON log lines, when it finds nothing.
        assert_eq!(detect(""), Ok(Format::Trufflehog));
        assert_eq!(detect(" \n"), Ok(Format::Trufflehog));
        let log =
            "{\"level\":\"info-0\",\"ts\":\"2026-12-04T05:00:00Z\",\"msg\":\"finished scanning\"}";
        assert_eq!(detect(log), Ok(Format::Trufflehog));
        assert_eq!(
            detect(&format!("{log}\n{{\"DetectorName\":\"Fastly\"}}\n")),
            Ok(Format::Trufflehog)
        );
        let empty = read(&format!("{log}\n"), None).expect("a clean scan");
        assert_eq!((empty.findings, empty.leaks.len()), (0, 0));
        assert!(detect("hello").is_err());
        assert!(detect("{\"a\":1}\n{\"b\":2}").is_err());
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
