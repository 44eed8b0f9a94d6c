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
    let bytes = text.as_bytes();
    let mut found: Option<&str> = None;
    for span in run_spans(text) {
        let before = span.start.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(span.end).copied();
        let piece =
            matches!(before, Some(b'+' | b'/')) || matches!(after, Some(b'+' | b'/' | b'='));
        let run = &text[span];
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
    /// Each leak's places so far (a report can name one key at a hundred thousand lines).
    placed: FxHashSet<(usize, Location)>,
    /// Every value any finding reported (of any vendor), and every key-shaped run in one, to
    /// scrub from what is shown.
    secrets: FxHashSet<String>,
    /// Values another vendor's rule reported (unquoted), and each key-shaped run in one: a key
    /// found there is that vendor's secret, unless a Fastly rule gave it as its whole value.
    vendors: FxHashSet<String>,
    /// Per leak: whether a Fastly rule's whole value was the key.
    claimed: Vec<bool>,
}

/// Secrets shorter than this are not scrubbed from locations: they would cut words of paths.
/// (Also the length of the prefix [`Scrub`] indexes secrets by.)
const SCRUBBED_FROM: usize = 8;

/// Runs of the key alphabet at least this long in text a scanner wrote about a finding (a
/// SARIF message) are taken as secrets to scrub.
const RUN_SCRUBBED_FROM: usize = 20;

/// A location field or rule name longer than this is not shown (only its length): no path,
/// commit or repository URL is this long, and it bounds what scrubbing costs, since no
/// secret longer than this needs to be looked for.
const SHOWN_UP_TO: usize = 512;

/// The byte ranges of the maximal runs of the key alphabet (`[A-Za-z0-9_-]`) in `text`. They
/// start and end at ASCII bytes, so at character boundaries.
fn run_spans(text: &str) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let alphabet = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    let bytes = text.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() && !alphabet(bytes[at]) {
            at += 1;
        }
        let start = at;
        while at < bytes.len() && alphabet(bytes[at]) {
            at += 1;
        }
        (start < at).then_some(start..at)
    })
}

/// The maximal runs of the key alphabet in `text`.
fn runs(text: &str) -> impl Iterator<Item = &str> {
    run_spans(text).map(|span| &text[span])
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
            placed: FxHashSet::default(),
            secrets: FxHashSet::default(),
            vendors: FxHashSet::default(),
            claimed: Vec::new(),
        }
    }

    /// Text a scanner wrote about a finding (not its value): its long runs of the key alphabet
    /// are scrubbed too (a message quoting the secret).
    fn mentioned(&mut self, text: &str) {
        for run in runs(text) {
            if (RUN_SCRUBBED_FROM..=SHOWN_UP_TO).contains(&run.len()) && !self.secrets.contains(run)
            {
                self.secrets.insert(run.to_string());
            }
        }
    }

    fn remember(&mut self, value: &str) {
        let value = value.trim();
        if (SCRUBBED_FROM..=SHOWN_UP_TO).contains(&value.len()) && !self.secrets.contains(value) {
            self.secrets.insert(value.to_string());
        }
        // Each key-shaped piece on its own too: a value holding two keys is not taken, and
        // each may sit in a file name.
        for run in runs(value) {
            if has_key_shape(run) && !self.secrets.contains(run) {
                self.secrets.insert(run.to_string());
            }
        }
    }

    /// One finding: its rule, the texts that may hold its value (best first), and where it
    /// was. A Fastly rule's value is the first of them present (a line holding the key is
    /// searched; a placeholder is not a key, and the next text, such as the matched line, is
    /// not searched for someone else's key); a generic rule's must be the key itself; another
    /// vendor's is never taken.
    fn finding(&mut self, rule: &str, values: &[Option<&str>], location: Location) {
        self.report.findings += 1;
        for value in values.iter().flatten() {
            self.remember(value);
        }
        let fastly = is_fastly_rule(rule);
        let generic = !fastly && is_generic_rule(rule);
        let first = values.iter().flatten().next().copied();
        let (key, whole) = if fastly {
            (first.and_then(key_in), first.and_then(whole_key).is_some())
        } else if generic {
            (values.iter().flatten().find_map(|v| whole_key(v)), false)
        } else {
            for value in values.iter().flatten() {
                let unquoted = value.trim().trim_matches(|c| c == '"' || c == '\'');
                self.vendors.insert(unquoted.to_string());
                for run in runs(unquoted).filter(|r| has_key_shape(r)) {
                    self.vendors.insert(run.to_string());
                }
            }
            (None, false)
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
                self.claimed.push(false);
                self.report.leaks.len() - 1
            }
        };
        self.claimed[at] |= whole;
        if self.placed.insert((at, location.clone())) {
            self.report.leaks[at].locations.push(location);
        }
        self.report.leaks[at].rules.insert(rule.to_string());
    }

    /// The report, with every secret it holds taken out of what will be shown (see
    /// [`Scrub`]). A key another vendor's rule also reported is that vendor's, unless a
    /// Fastly rule gave it as its whole value: it is dropped, never checked.
    fn finish(mut self) -> Report {
        let mut claimed = self.claimed.iter().copied();
        let vendors = &self.vendors;
        let mut dropped = 0;
        self.report.leaks.retain(|leak| {
            let claimed = claimed.next().unwrap_or(false);
            let theirs = !claimed
                && vendors.contains(fastly_tokens::secrecy::ExposeSecret::expose_secret(
                    &leak.key,
                ));
            if theirs {
                dropped += leak.locations.len();
            }
            !theirs
        });
        self.report.fastly_findings = self.report.fastly_findings.saturating_sub(dropped);
        if self.report.leaks.is_empty() {
            return self.report;
        }
        let mut scrub = Scrub::default();
        for leak in &self.report.leaks {
            let key = fastly_tokens::secrecy::ExposeSecret::expose_secret(&leak.key);
            scrub.key(key, &leak.fingerprint);
        }
        for secret in self.secrets.drain() {
            scrub.secret(secret);
        }
        for leak in &mut self.report.leaks {
            let mut seen: FxHashSet<Location> = FxHashSet::default();
            let mut locations: Vec<Location> = Vec::with_capacity(leak.locations.len());
            for location in leak.locations.drain(..) {
                let location = Location {
                    file: location.file.map(|f| scrub.text(&f)),
                    line: location.line,
                    commit: location.commit.map(|c| scrub.text(&c)),
                    repository: location.repository.map(|r| scrub.text(&r)),
                };
                if seen.insert(location.clone()) {
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

/// Takes secrets out of text shown to people:
/// - a text longer than [`SHOWN_UP_TO`] is not shown, only its length;
/// - a URL's user and password are dropped;
/// - every stretch covered by a secret of the report is replaced, overlapping secrets as one
///   stretch (so a secret that overlaps a key cannot leave part of either shown), by the key's
///   fingerprint when the stretch is exactly a checked key, else `[REDACTED]`;
/// - every run of exactly 32 characters of the key alphabet left is replaced the same way,
///   whether or not the report named it: it may be a Fastly key (a file named by an MD5 in hex
///   is shown as `[REDACTED]` too).
///
/// Hand-written rather than with `aho-corasick` (tried first): its automaton costs about 300
/// bytes of memory per byte of secret (a report of many private keys took gigabytes), and its
/// overlapping search, which merging overlaps needs, grew cubically on nested secrets
/// (`A`×8 … `A`×4096: 307 s). Here secrets are indexed by their first 8 bytes: the texts are
/// short (at most [`SHOWN_UP_TO`]), each position looks up one bucket, and a bucket of more
/// than [`BUCKET_LIMIT`] secrets sharing a prefix redacts the whole text instead of being
/// searched: time is bounded by the texts' length, memory by the secrets'.
#[derive(Default)]
struct Scrub {
    by_prefix: FxHashMap<[u8; SCRUBBED_FROM], Vec<usize>>,
    secrets: Vec<String>,
    /// Checked keys and their fingerprints.
    keys: FxHashMap<String, String>,
}

/// Secrets sharing their first 8 bytes beyond which a text holding that prefix is redacted
/// whole.
const BUCKET_LIMIT: usize = 64;

impl Scrub {
    fn key(&mut self, key: &str, fingerprint: &str) {
        self.keys.insert(key.to_string(), fingerprint.to_string());
        self.secret(key.to_string());
    }

    fn secret(&mut self, secret: String) {
        let Some(prefix) = secret
            .as_bytes()
            .get(..SCRUBBED_FROM)
            .and_then(|p| <[u8; SCRUBBED_FROM]>::try_from(p).ok())
        else {
            return;
        };
        if secret.len() > SHOWN_UP_TO {
            return;
        }
        let bucket = self.by_prefix.entry(prefix).or_default();
        // Past the limit the bucket only needs to be known to be full.
        if bucket.len() <= BUCKET_LIMIT {
            bucket.push(self.secrets.len());
            self.secrets.push(secret);
        }
    }

    fn text(&self, text: &str) -> String {
        if text.len() > SHOWN_UP_TO {
            return format!("[not shown: {} bytes]", text.len());
        }
        let text = without_userinfo(text);
        let bytes = text.as_bytes();
        // The end of the longest secret starting at each position.
        let mut reach = vec![0usize; bytes.len()];
        for at in 0..bytes.len().saturating_sub(SCRUBBED_FROM - 1) {
            let Ok(window) = <[u8; SCRUBBED_FROM]>::try_from(&bytes[at..at + SCRUBBED_FROM]) else {
                continue;
            };
            let Some(bucket) = self.by_prefix.get(&window) else {
                continue;
            };
            if bucket.len() > BUCKET_LIMIT {
                return "[REDACTED]".to_string();
            }
            for &i in bucket {
                let secret = self.secrets[i].as_bytes();
                if bytes[at..].starts_with(secret) {
                    reach[at] = reach[at].max(at + secret.len());
                }
            }
        }
        // Stretches: overlapping secrets merged. A secret's bytes are valid UTF-8 starting
        // with a leading byte, so every start and end is a character boundary.
        let mut out = String::with_capacity(text.len());
        let (mut at, mut copied) = (0, 0);
        while at < bytes.len() {
            if reach[at] <= at {
                at += 1;
                continue;
            }
            let start = at;
            let mut end = reach[at];
            while at < end {
                end = end.max(reach[at]);
                at += 1;
            }
            out.push_str(&text[copied..start]);
            let stretch = &text[start..end];
            out.push_str(self.keys.get(stretch).map_or("[REDACTED]", String::as_str));
            copied = end;
        }
        out.push_str(&text[copied..]);
        self.shaped_runs(&out)
    }

    /// Replaces every run of exactly 32 characters of the key alphabet.
    fn shaped_runs(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for span in run_spans(text) {
            let run = &text[span.clone()];
            if has_key_shape(run) {
                out.push_str(&text[copied..span.start]);
                out.push_str(self.keys.get(run).map_or("[REDACTED]", String::as_str));
                copied = span.end;
            }
        }
        out.push_str(&text[copied..]);
        out
    }
}

/// Text without the user and password of any URL in it: a repository URL can carry a token
/// (`https://x-access-token:…@github.com/…`). In each `scheme://…` up to the next space, the
/// part up to the last `@` is user information when it holds a `:` or no `/` (a password may
/// hold `/` or `?`; a path after a host may hold `@`, as in `/o/r@v1`).
fn without_userinfo(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("://") || !text.contains('@') {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(scheme_end) = rest.find("://") {
        let authority_start = scheme_end + 3;
        out.push_str(&rest[..authority_start]);
        rest = &rest[authority_start..];
        let token_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        if let Some(at) = rest[..token_end].rfind('@') {
            let user = &rest[..at];
            if user.contains(':') || !user.contains('/') {
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out.into()
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
        let (raw, raw_v2) = (string(finding.get("Raw")), string(finding.get("RawV2")));
        // RawV2 can be Raw with more after it (AWS: the key id, then the secret key): the
        // rest is a secret on its own.
        if let (Some(raw), Some(v2)) = (&raw, &raw_v2)
            && let Some(rest) = v2.strip_prefix(raw.as_str())
        {
            c.remember(rest);
        }
        c.finding(&detector, &[raw.as_deref(), raw_v2.as_deref()], location);
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
            // The rule: its id, else the run's rule its index points at.
            let rule = string(result.get("ruleId"))
                .or_else(|| string(result.get("rule").and_then(|r| r.get("id"))))
                .or_else(|| {
                    let index = result
                        .get("ruleIndex")
                        .or_else(|| result.get("rule").and_then(|r| r.get("index")))
                        .and_then(Value::as_u64)?;
                    let rules = run
                        .get("tool")
                        .and_then(|t| t.get("driver"))
                        .and_then(|d| d.get("rules"))
                        .and_then(Value::as_array)?;
                    string(rules.get(usize::try_from(index).ok()?)?.get("id"))
                })
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
            // The value: the snippet (gitleaks puts the secret there), else a property
            // holding exactly a key. Every other string of the result that could quote it is
            // remembered to be scrubbed.
            let properties: Vec<&str> = result
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|p| p.values().filter_map(Value::as_str))
                .collect();
            for text in properties
                .iter()
                .copied()
                .chain(snippet("contextRegion"))
                .chain(
                    result
                        .get("message")
                        .and_then(|m| m.get("text"))
                        .and_then(Value::as_str),
                )
            {
                c.mentioned(text);
            }
            let value = snippet("region")
                .or_else(|| snippet("contextRegion"))
                .or_else(|| properties.iter().copied().find(|p| whole_key(p).is_some()));
            let values = [value];
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

    /// The red team's reproducers (the keys here are made up).
    #[test]
    fn no_secret_survives_in_what_is_shown() {
        let k2 = "ZyXwZyXwZyXwZyXwZyXwZyXwZyXwZyXw";
        let gh = "ghp_0123456789abcdefghijABCDEFGHIJ012345";
        let aws = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY0";
        let shown = |report: &Report| {
            report
                .leaks
                .iter()
                .map(|l| format!("{:?} {:?}", l.locations, l.rules))
                .collect::<String>()
        };
        // A secret overlapping the start of a key does not leave the rest of it shown.
        let text = format!(
            "[{{\"RuleID\":\"generic-api-key\",\"Secret\":\"zzzzzzzz{}\",\"File\":\"x\"}},\
             {{\"RuleID\":\"fastly-api-token\",\"Secret\":\"{KEY}\",\"File\":\"cfg/zzzzzzzz{KEY}.env\"}}]",
            &KEY[..4]
        );
        let report = read(&text, None).expect("reads");
        assert!(!shown(&report).contains(&KEY[4..]), "{}", shown(&report));
        // A key of a value holding two (not taken), in another finding's file name; the rest
        // of an AWS RawV2; a token a SARIF message quotes; a 32-character run nobody named.
        let text = format!(
            "{{\"DetectorName\":\"FastlyPersonalToken\",\"Raw\":\"A={OTHER} B={k2}\"}}\n\
             {{\"DetectorName\":\"AWS\",\"Raw\":\"AKIAIOSFODNN7EXAMPLE\",\"RawV2\":\"AKIAIOSFODNN7EXAMPLE{aws}\"}}\n\
             {{\"DetectorName\":\"FastlyPersonalToken\",\"Raw\":\"{KEY}\",\"SourceMetadata\":{{\"Data\":{{\"Git\":\
             {{\"file\":\"backup-{OTHER}/{aws}/{}.env\",\"line\":1}}}}}}}}\n",
            "d41d8cd98f00b204e9800998ecf8427e"
        );
        let report = read(&text, None).expect("reads");
        let seen = shown(&report);
        for secret in [OTHER, k2, aws, "d41d8cd98f00b204e9800998ecf8427e"] {
            assert!(!seen.contains(secret), "{secret}: {seen}");
        }
        let sarif = format!(
            "{{\"runs\":[{{\"tool\":{{\"driver\":{{\"rules\":[{{\"id\":\"fastly-api-token\"}}]}}}},\"results\":[\
             {{\"ruleId\":\"github-pat\",\"message\":{{\"text\":\"found token {gh} here\"}}}},\
             {{\"ruleIndex\":0,\"locations\":[{{\"physicalLocation\":{{\"artifactLocation\":\
             {{\"uri\":\"src/{gh}/a.env\"}},\"region\":{{\"snippet\":{{\"text\":\"{KEY}\"}}}}}}}}]}}]}}]}}"
        );
        let report = read(&sarif, None).expect("reads");
        assert_eq!(report.leaks.len(), 1, "the rule found by its index");
        assert!(!shown(&report).contains(gh), "{}", shown(&report));
        // A secret starting before a key it holds: neither part is shown.
        let stripe = format!("Sup3rS3cretPrefixValue99.{KEY}.tail");
        let text = format!(
            "{{\"DetectorName\":\"Stripe\",\"Raw\":\"{stripe}\"}}\n\
             {{\"DetectorName\":\"FastlyPersonalToken\",\"Raw\":\"{KEY}\",\"SourceMetadata\":{{\"Data\":{{\"Git\":\
             {{\"file\":\"backup/{stripe}.env\",\"commit\":\"{}\"}}}}}}}}\n",
            "x".repeat(600)
        );
        let report = read(&text, None).expect("reads");
        let seen = shown(&report);
        assert!(
            !seen.contains("Sup3rS3cret") && !seen.contains(&KEY[4..]),
            "{seen}"
        );
        assert!(seen.contains("[not shown: 600 bytes]"), "{seen}");
        // Users and passwords of URLs, however written.
        for (url, left) in [
            (
                "https://user:hunter2/pass@github.com/o/r.git",
                "https://github.com/o/r.git",
            ),
            (
                "https://bob:pa?ss@github.com/o/r.git",
                "https://github.com/o/r.git",
            ),
            (
                "https://github.com/a https://bob:s3cretpass99@github.com/o/r.git",
                "https://github.com/a https://github.com/o/r.git",
            ),
            ("https://github.com/o/r@v1", "https://github.com/o/r@v1"),
        ] {
            assert_eq!(without_userinfo(url), left);
        }
    }

    #[test]
    fn another_vendors_value_is_theirs_even_when_a_generic_rule_or_a_matched_line_has_it() {
        let text = format!(
            "[{{\"RuleID\":\"datadog-access-token\",\"Secret\":\"{OTHER}\",\"File\":\"a\"}},\
             {{\"RuleID\":\"generic-api-key\",\"Secret\":\"{OTHER}\",\"File\":\"a\"}},\
             {{\"RuleID\":\"fastly-api-token\",\"Secret\":\"${{FASTLY_KEY}}\",\
             \"Match\":\"FASTLY_KEY=${{FASTLY_KEY}} DD_API_KEY={OTHER}\",\"File\":\"b\"}},\
             {{\"RuleID\":\"datadog-access-token\",\"Secret\":\"'{KEY}'\",\"File\":\"c\"}},\
             {{\"RuleID\":\"generic-api-key\",\"Secret\":\"{KEY}\",\"File\":\"c\"}},\
             {{\"RuleID\":\"fastly-api-token\",\"Secret\":\"FASTLY=${{X}} DD={KEY}\",\"File\":\"d\"}}]"
        );
        let report = read(&text, None).expect("reads");
        assert!(report.leaks.is_empty(), "{:?}", report.leaks);
        assert_eq!(report.not_keys, 1);
    }

    #[test]
    fn a_long_secret_costs_little() {
        // An automaton over one 100 KB secret took minutes to build; such a secret is not
        // looked for (no shown text is that long).
        let long = "A".repeat(100_000);
        let text = format!(
            "{{\"DetectorName\":\"Github\",\"Raw\":\"{long}\"}}\n\
             {{\"DetectorName\":\"Fastly\",\"Raw\":\"{KEY}\",\"SourceMetadata\":{{\"Data\":{{\"Git\":{{\"file\":\"a\"}}}}}}}}\n"
        );
        let report = read(&text, None).expect("reads");
        assert_eq!(report.leaks.len(), 1);
        // Nested secrets (A×8 … A×500) and a place made of them: a bucket of that many
        // secrets redacts the text rather than being searched.
        let mut nested: String = (8..500)
            .map(|n| {
                format!(
                    "{{\"DetectorName\":\"Github\",\"Raw\":\"{}\"}}\n",
                    "A".repeat(n)
                )
            })
            .collect();
        nested.push_str(&format!(
            "{{\"DetectorName\":\"Fastly\",\"Raw\":\"{KEY}\",\"SourceMetadata\":{{\"Data\":{{\"Git\":{{\"file\":\"{}\"}}}}}}}}\n",
            "A".repeat(500)
        ));
        let report = read(&nested, None).expect("reads");
        assert_eq!(
            report.leaks[0].locations[0].file.as_deref(),
            Some("[REDACTED]")
        );
        let report = read(
            &format!("{{\"DetectorName\":\"Github\",\"Raw\":\"{long}\"}}"),
            None,
        )
        .expect("reads");
        assert!(report.leaks.is_empty());
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
