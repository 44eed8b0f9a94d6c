//! `triage`: secret scanners' reports (TruffleHog JSON lines, gitleaks JSON, SARIF) written here
//! after each scanner's documented output, run against a fake with real keys: the right tokens
//! are revoked and no others, keys never appear in any output, and the SARIF validates against
//! the OASIS SARIF 2.1.0 schema.

use fastly_tokens::secrecy::ExposeSecret as _;
use std::process::Stdio;

use fastly_tokens::{Client, Credentials, Scope};

use super::*;

/// A token of alice's created through the library; its id and key.
fn mint(
    rt: &tokio::runtime::Runtime,
    fake: &FakeFastly,
    name: &str,
    scope: Scope,
) -> (String, String) {
    let alice = fake.seed().user("alice").clone();
    let client = Client::builder()
        .base_url(fake.base_url())
        .build()
        .expect("client");
    let created = rt
        .block_on(
            client
                .create_token(Credentials::password(
                    alice.login.as_str(),
                    alice.password.as_str(),
                ))
                .name(name)
                .scopes([scope])
                .otp(alice.otp.clone().unwrap_or_default())
                .send(),
        )
        .expect("created");
    (
        created.token().id().to_string(),
        created.access_token().expose_secret().to_string(),
    )
}

struct Keys {
    writer: (String, String),
    reader: (String, String),
    dead: (String, String),
    /// A live Fastly key, but reported by another vendor's rule: never sent anywhere.
    other: (String, String),
}

fn keys(rt: &tokio::runtime::Runtime, fake: &FakeFastly) -> Keys {
    let keys = Keys {
        writer: mint(rt, fake, "leaked-writer", Scope::Global),
        reader: mint(rt, fake, "leaked-reader", Scope::GlobalRead),
        dead: mint(rt, fake, "leaked-dead", Scope::Global),
        other: mint(rt, fake, "not-fastlys-finding", Scope::Global),
    };
    let client = Client::builder()
        .base_url(fake.base_url())
        .token(keys.dead.1.as_str())
        .build()
        .expect("client");
    rt.block_on(client.revoke_current_token()).expect("revoked");
    keys
}

fn trufflehog(k: &Keys) -> String {
    let line = |detector: &str, raw: &str, file: &str, n: u32| {
        format!(
            "{{\"SourceMetadata\":{{\"Data\":{{\"Git\":{{\"commit\":\"9f2c1e0a\",\"file\":\"{file}\",\
             \"email\":\"dev <dev@example.com>\",\"repository\":\"https://github.com/example/app\",\
             \"timestamp\":\"2026-11-01 10:00:00 +0000\",\"line\":{n}}}}}}},\"SourceID\":1,\
             \"SourceType\":16,\"SourceName\":\"trufflehog - git\",\"DetectorType\":834,\
             \"DetectorName\":\"{detector}\",\"DecoderName\":\"PLAIN\",\"Verified\":true,\
             \"Raw\":\"{raw}\",\"RawV2\":\"\",\"Redacted\":\"\",\"ExtraData\":null,\
             \"StructuredData\":null}}"
        )
    };
    [
        line("FastlyPersonalToken", &k.writer.1, "deploy/.env", 3),
        line("FastlyPersonalToken", &k.writer.1, "ci/purge.sh", 12),
        line("FastlyPersonalToken", &k.writer.1, "deploy/.env", 3),
        line("Github", &k.other.1, "README.md", 1),
        "{\"level\":\"info-0\",\"ts\":\"2026-11-01T10:00:00Z\",\"msg\":\"finished scanning\"}"
            .to_string(),
        line(
            "FastlyPersonalToken",
            &k.reader.1,
            "dashboards/config.yml",
            7,
        ),
        line("FastlyPersonalToken", &k.dead.1, "old/notes.txt", 40),
    ]
    .join("\n")
}

fn gitleaks(k: &Keys) -> String {
    let finding = |rule: &str, secret: &str, file: &str, n: u32| {
        format!(
            "{{\"Description\":\"d\",\"StartLine\":{n},\"EndLine\":{n},\"StartColumn\":9,\
             \"EndColumn\":41,\"Match\":\"FASTLY_API_TOKEN={secret}\",\"Secret\":\"{secret}\",\
             \"File\":\"{file}\",\"SymlinkFile\":\"\",\"Commit\":\"9f2c1e0a\",\"Entropy\":4.9,\
             \"Author\":\"dev\",\"Email\":\"dev@example.com\",\"Date\":\"2026-11-01T10:00:00Z\",\
             \"Message\":\"m\",\"Tags\":[],\"RuleID\":\"{rule}\",\"Fingerprint\":\"9f2c1e0a:{file}:{rule}:{n}\"}}"
        )
    };
    format!(
        "[\n{}\n]",
        [
            finding("fastly-api-token", &k.writer.1, "deploy/.env", 3),
            finding("fastly-api-token", &k.writer.1, "ci/purge.sh", 12),
            finding("github-pat", &k.other.1, "README.md", 1),
            finding("generic-api-key", &k.reader.1, "dashboards/config.yml", 7),
            finding("fastly-api-token", &k.dead.1, "old/notes.txt", 40),
            finding("fastly-api-token", "REDACTED", "old/redacted.txt", 1),
        ]
        .join(",\n")
    )
}

fn sarif_report(k: &Keys) -> String {
    let result = |rule: &str, secret: &str, file: &str, n: u32| {
        format!(
            "{{\"message\":{{\"text\":\"{rule} has detected secret for file {file}.\"}},\
             \"ruleId\":\"{rule}\",\"locations\":[{{\"physicalLocation\":{{\"artifactLocation\":\
             {{\"uri\":\"{file}\"}},\"region\":{{\"startLine\":{n},\"startColumn\":9,\
             \"endLine\":{n},\"endColumn\":41,\"snippet\":{{\"text\":\"{secret}\"}}}}}}}}],\
             \"partialFingerprints\":{{\"commitSha\":\"9f2c1e0a\",\"email\":\"dev@example.com\",\
             \"author\":\"dev\",\"date\":\"2026-11-01T10:00:00Z\",\"commitMessage\":\"m\"}}}}"
        )
    };
    format!(
        "{{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n  \
         \"runs\": [{{\"tool\":{{\"driver\":{{\"name\":\"gitleaks\",\"rules\":[]}}}},\"results\":[{}]}}]\n}}",
        [
            result("fastly-api-token", &k.writer.1, "deploy/.env", 3),
            result("fastly-api-token", &k.writer.1, "ci/purge.sh", 12),
            result("github-pat", &k.other.1, "README.md", 1),
            result("fastly-api-token", &k.reader.1, "dashboards/config.yml", 7),
            result("fastly-api-token", &k.dead.1, "old/notes.txt", 40),
        ]
        .join(",")
    )
}

fn report_file(tag: &str, text: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("fastly-tokens-triage-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("report");
    std::fs::write(&path, text).expect("report");
    path
}

fn assert_no_key(k: &Keys, texts: &[&str]) {
    for (_, key) in [&k.writer, &k.reader, &k.dead, &k.other] {
        for text in texts {
            assert!(!text.contains(key.as_str()), "a key in the output:\n{text}");
        }
    }
}

fn self_checks(fake: &FakeFastly) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/tokens/self")
        .count()
}

#[test]
fn every_report_format_gives_the_same_keys_checked_and_nothing_revoked() {
    let (rt, fake) = started();
    let k = keys(&rt, &fake);
    let alice = fake.seed().user("alice").key.clone();
    for (format, text) in [
        ("trufflehog", trufflehog(&k)),
        ("gitleaks", gitleaks(&k)),
        ("sarif", sarif_report(&k)),
    ] {
        let path = report_file(format, &text);
        fake.clear_requests();
        let out = against(
            &fake,
            &alice,
            &["triage", path.to_str().expect("utf-8"), "--json"],
            None,
        );
        assert_eq!(
            out.code, 11,
            "{format}: live keys left live: {}",
            out.stderr
        );
        assert_no_key(&k, &[&out.stdout, &out.stderr]);
        let doc = valid("triage", &out.stdout);
        assert_eq!(doc["format"], format);
        let keys = doc["keys"].as_array().expect("keys");
        assert_eq!(
            keys.len(),
            3,
            "{format}: writer, reader, dead; never the other vendor's"
        );
        assert_eq!(
            self_checks(&fake),
            3,
            "{format}: one check per distinct key"
        );
        assert_eq!(keys[0]["status"], "live");
        assert_eq!(keys[0]["token"]["id"], k.writer.0.as_str());
        assert_eq!(keys[0]["kind"], "user");
        assert_eq!(
            keys[0]["locations"].as_array().map(Vec::len),
            Some(2),
            "{format}"
        );
        assert_eq!(keys[0]["locations"][0]["file"], "deploy/.env");
        assert_eq!(keys[0]["locations"][0]["line"], 3);
        assert_eq!(keys[0]["locations"][0]["commit"], "9f2c1e0a");
        assert_eq!(keys[1]["token"]["id"], k.reader.0.as_str());
        assert_eq!(keys[2]["status"], "dead");
        assert_eq!(
            (doc["live"].as_u64(), doc["dead"].as_u64()),
            (Some(2), Some(1))
        );
        let fp = keys[0]["fingerprint"].as_str().expect("fingerprint");
        assert!(fp.starts_with(&k.writer.1[..4]) && fp.len() == 14, "{fp}");
        assert!(fake.is_live(&k.writer.0) && fake.is_live(&k.reader.0) && fake.is_live(&k.other.0));
        // Every request was a read.
        assert!(
            fake.requests().iter().all(|r| r.method == "GET"),
            "{format}"
        );
        if format == "gitleaks" {
            assert_eq!(doc["not_keys"], 1, "the redacted finding");
        }
    }
    // The text table names each key by its fingerprint and says where it was found.
    let path = report_file("text", &gitleaks(&k));
    let out = against(
        &fake,
        &alice,
        &["triage", path.to_str().expect("utf-8")],
        None,
    );
    assert_eq!(out.code, 11, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("found at  deploy/.env:3 commit 9f2c1e0a"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("leaked-writer"), "{}", out.stdout);
    assert!(
        out.stdout.contains("2 live and not revoked, 1 dead"),
        "{}",
        out.stdout
    );
    assert_no_key(&k, &[&out.stdout, &out.stderr]);
    eprintln!("sample text output:\n{}", out.stdout);
}

#[test]
fn revoke_kills_the_live_keys_by_the_right_route_and_writes_valid_sarif() {
    let (rt, fake) = started();
    let k = keys(&rt, &fake);
    let alice = fake.seed().user("alice").key.clone();
    let dir = report_file("revoke", "");
    let sarif_path = dir.with_file_name("fastly-keys.sarif");

    // Without a terminal, --revoke needs --yes; a dry run revokes nothing and says so.
    let refused = against(
        &fake,
        &alice,
        &["triage", "-", "--revoke"],
        Some(&trufflehog(&k)),
    );
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    let dry = against(
        &fake,
        &alice,
        &["triage", "-", "--revoke", "--dry-run", "--json"],
        Some(&trufflehog(&k)),
    );
    assert_eq!(dry.code, 11, "{}", dry.stderr);
    assert_eq!(valid("triage", &dry.stdout)["would_revoke"], 2);
    assert!(fake.is_live(&k.writer.0) && fake.is_live(&k.reader.0));

    fake.clear_requests();
    let out = against(
        &fake,
        &alice,
        &[
            "triage",
            "-",
            "--revoke",
            "--yes",
            "--json",
            "--sarif",
            sarif_path.to_str().expect("utf-8"),
        ],
        Some(&trufflehog(&k)),
    );
    assert_eq!(out.code, 0, "every live key revoked: {}", out.stderr);
    let doc = valid("triage", &out.stdout);
    assert_eq!(doc["keys"][0]["status"], "revoked");
    assert_eq!(doc["keys"][0]["via"], "self");
    assert_eq!(doc["keys"][1]["status"], "revoked");
    assert_eq!(
        doc["keys"][1]["via"], "by-id",
        "a read-only key may not revoke itself"
    );
    assert!(!fake.is_live(&k.writer.0) && !fake.is_live(&k.reader.0));
    assert!(
        fake.is_live(&k.other.0),
        "another vendor's finding is never touched"
    );
    assert!(
        fake.is_live(&fake.seed().token("alice-global").id),
        "the token in use neither"
    );
    let deletes: Vec<String> = fake
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path.clone())
        .collect();
    assert!(
        deletes.contains(&format!("/tokens/{}", k.reader.0)),
        "{deletes:?}"
    );
    assert!(
        !deletes
            .iter()
            .any(|p| p.contains(&k.other.0) || p.contains(&k.dead.0)),
        "{deletes:?}"
    );

    let sarif = std::fs::read_to_string(&sarif_path).expect("SARIF written");
    assert_no_key(&k, &[&out.stdout, &out.stderr, &sarif]);
    let log = valid_sarif(&sarif);
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 4, "one result per location: 2 + 1 + 1");
    assert_eq!(results[0]["ruleId"], "live-key-revoked");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "deploy/.env"
    );
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
    assert_eq!(results[3]["ruleId"], "dead-key");
    assert_eq!(results[3]["level"], "note");
    eprintln!("sample SARIF:\n{sarif}");

    // Run again: the keys are dead now, nothing is left to do.
    let again = against(
        &fake,
        &alice,
        &["triage", "-", "--revoke", "--yes", "--json"],
        Some(&trufflehog(&k)),
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(valid("triage", &again.stdout)["dead"], 3);
}

#[test]
fn a_failed_revoke_a_stalled_check_and_bad_reports_have_their_own_exit_codes() {
    let (rt, fake) = started();
    let k = keys(&rt, &fake);
    let alice = fake.seed().user("alice").key.clone();

    // The writer's self-revoke and the by-id fallback both fail: partial, and it stays live.
    let text = format!(
        "[{{\"RuleID\":\"fastly-api-token\",\"Secret\":\"{}\",\"File\":\"a\",\"StartLine\":1}}]",
        k.writer.1
    );
    fake.inject_matching("DELETE", "/tokens", Fault::Status(503), 20);
    let out = against(
        &fake,
        &alice,
        &["triage", "-", "--revoke", "--yes", "--json"],
        Some(&text),
    );
    fake.clear_faults();
    assert_eq!(out.code, 6, "{}", out.stderr);
    let doc = valid("triage", &out.stdout);
    assert_eq!(doc["keys"][0]["status"], "revoke_failed");
    assert!(fake.is_live(&k.writer.0));
    assert_no_key(&k, &[&out.stdout, &out.stderr]);

    // Without a token of the caller's, a read-only key that may not revoke itself stays live,
    // and the run says what to give.
    let text = format!(
        "[{{\"RuleID\":\"fastly-api-token\",\"Secret\":\"{}\",\"File\":\"a\"}}]",
        k.reader.1
    );
    let mut cmd = bin();
    cmd.args([
        "--endpoint",
        fake.base_url(),
        "triage",
        "-",
        "--revoke",
        "--yes",
        "--json",
    ]);
    let out = run(cmd, Some(&text));
    assert_eq!(out.code, 6, "{}", out.stderr);
    let doc = valid("triage", &out.stdout);
    assert!(
        doc["keys"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("FASTLY_API_TOKEN")),
        "{doc}"
    );
    assert!(fake.is_live(&k.reader.0));

    // A check that stalls past --timeout: unknown, and the run says it could not tell (7).
    let stalled = format!(
        "[{{\"RuleID\":\"fastly-api-token\",\"Secret\":\"{}\",\"File\":\"b\",\"StartLine\":2}}]",
        k.reader.1
    );
    fake.inject_matching(
        "GET",
        "/tokens/self",
        Fault::Latency(std::time::Duration::from_secs(5)),
        10,
    );
    let out = against(
        &fake,
        &alice,
        &["--timeout", "1s", "triage", "-", "--json"],
        Some(&stalled),
    );
    fake.clear_faults();
    assert_eq!(out.code, 7, "{}", out.stderr);
    let doc = valid("triage", &out.stdout);
    assert_eq!(doc["keys"][0]["status"], "unknown");
    assert!(
        doc["keys"][0]["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );

    // The key in use is reported live and never revoked.
    let mine = fake.seed().token("alice-global").clone();
    let (in_use_id, in_use) = mint(&rt, &fake, "in-use", Scope::Global);
    let text =
        format!("[{{\"RuleID\":\"fastly-api-token\",\"Secret\":\"{in_use}\",\"File\":\"c\"}}]");
    let out = against(
        &fake,
        &in_use,
        &["triage", "-", "--revoke", "--yes", "--json"],
        Some(&text),
    );
    assert_eq!(out.code, 11, "{}", out.stderr);
    assert!(fake.is_live(&in_use_id) && fake.is_live(&mine.id));
    assert!(!out.stdout.contains(&in_use));

    // Unreadable, unrecognised: usage errors that quote nothing of it.
    let missing = against(&fake, &alice, &["triage", "/nonexistent/report.json"], None);
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    for text in [format!("hello {}", k.writer.1), "{\"a\":1}".to_string()] {
        let out = against(&fake, &alice, &["triage", "-"], Some(&text));
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert_no_key(&k, &[&out.stdout, &out.stderr]);
    }
    let broken = format!(
        "{{\"DetectorName\":\"Fastly\",\"Raw\":\"{}\"}}\n{} trailing",
        k.writer.1, k.writer.1
    );
    let out = against(&fake, &alice, &["triage", "-"], Some(&broken));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("line 2"), "{}", out.stderr);
    assert_no_key(&k, &[&out.stdout, &out.stderr]);
    // Forced to a format it is not.
    let out = against(
        &fake,
        &alice,
        &["triage", "-", "--format", "sarif"],
        Some(&gitleaks(&k)),
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_no_key(&k, &[&out.stdout, &out.stderr]);
}

#[test]
fn a_clean_scan_passes() {
    // TruffleHog prints nothing when it finds nothing, or only its JSON log lines when its
    // stderr is mixed in: that is a clean scan, not a usage error.
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").key.clone();
    let log = "{\"level\":\"info-0\",\"ts\":\"2026-11-01T10:00:00Z\",\"logger\":\"trufflehog\",\
               \"msg\":\"finished scanning\",\"chunks\":10,\"bytes\":2048,\"verified_secrets\":0}";
    for text in ["", "\n", log, &format!("{log}\n{log}\n")] {
        let out = against(&fake, &alice, &["triage", "-", "--json"], Some(text));
        assert_eq!(out.code, 0, "{text:?}: {}", out.stderr);
        let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
        assert_eq!(doc["findings"], 0);
        assert_eq!(doc["keys"], serde_json::json!([]));
    }
    assert_eq!(self_checks(&fake), 0);
}

#[test]
fn secrets_in_places_and_other_vendors_secrets_stay_put() {
    let (rt, fake) = started();
    let k = keys(&rt, &fake);
    let alice = fake.seed().user("alice").key.clone();
    let (w, r, other) = (&k.writer.1, &k.reader.1, &k.other.1);
    // A Fastly key in a file name, another in the commit field, a third (another vendor's
    // finding) as a repository URL's password, and a detector name holding a key.
    let line = |detector: &str, raw: &str, file: &str, commit: &str, repo: &str| {
        format!(
            "{{\"SourceMetadata\":{{\"Data\":{{\"Git\":{{\"commit\":\"{commit}\",\"file\":\"{file}\",\
             \"repository\":\"{repo}\",\"line\":3}}}}}},\"DetectorName\":\"{detector}\",\
             \"Raw\":\"{raw}\",\"RawV2\":\"\"}}"
        )
    };
    let report = [
        line(
            "FastlyPersonalToken",
            w,
            &format!("keys/{w}.env"),
            r,
            &format!("https://x-access-token:{other}@github.com/example/app"),
        ),
        line(
            &format!("Fastly {r}"),
            r,
            "a.env",
            "9f2c1e0a",
            "https://github.com/example/app",
        ),
        line(
            "Github",
            other,
            "README.md",
            "9f2c1e0a",
            "https://github.com/example/app",
        ),
    ]
    .join("\n");
    let dir = tempfile::tempdir().expect("dir");
    let sarif = dir.path().join("out.sarif");
    let sarif_arg = sarif.to_str().expect("utf-8");
    let text = against(&fake, &alice, &["triage", "-"], Some(&report));
    let json = against(
        &fake,
        &alice,
        &["triage", "-", "--json", "--sarif", sarif_arg],
        Some(&report),
    );
    assert_eq!(
        (text.code, json.code),
        (11, 11),
        "{}{}",
        text.stderr,
        json.stderr
    );
    let sarif_text = std::fs::read_to_string(&sarif).expect("sarif");
    valid_sarif(&sarif_text);
    assert_no_key(
        &k,
        &[
            &text.stdout,
            &text.stderr,
            &json.stdout,
            &json.stderr,
            &sarif_text,
        ],
    );
    assert!(
        text.stdout.contains("github.com/example/app") && !text.stdout.contains("x-access-token")
    );

    // Another vendor's values, and a generic rule's value that only holds a key-shaped run (an
    // AWS secret key, a JWT), are never sent to Fastly, even when they are live Fastly keys.
    fake.clear_requests();
    let finding = |rule: &str, secret: &str| {
        format!("{{\"RuleID\":\"{rule}\",\"Secret\":\"{secret}\",\"File\":\"f\",\"StartLine\":1}}")
    };
    let gitleaks = format!(
        "[{}]",
        [
            finding("aws-generic-secret", other),
            finding("generic-api-key", &format!("AKIAabc/{other}")),
            finding(
                "generic-api-key",
                &format!("eyJhbGciOiJIUzI1NiJ9.{other}.c2ln")
            ),
            finding("generic-api-key", &format!("{other}==")),
        ]
        .join(",")
    );
    let out = against(
        &fake,
        &alice,
        &["triage", "-", "--revoke", "--yes", "--json"],
        Some(&gitleaks),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(
        (
            doc["findings"].as_u64(),
            doc["keys"].as_array().map(Vec::len)
        ),
        (Some(4), Some(0))
    );
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

/// Validates a SARIF log against the OASIS SARIF 2.1.0 JSON Schema (committed under
/// `tests/schemas/`).
fn valid_sarif(text: &str) -> serde_json::Value {
    let value: serde_json::Value = serde_json::from_str(text).expect("SARIF is JSON");
    let errors = sarif_errors(&value);
    assert!(errors.is_empty(), "SARIF: {errors:?}");
    // The check bites: a level SARIF does not have is refused.
    let mut wrong = value.clone();
    wrong["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(
        !sarif_errors(&wrong).is_empty(),
        "the schema check refuses a wrong level"
    );
    value
}

fn sarif_errors(value: &serde_json::Value) -> Vec<String> {
    let schema_text = std::fs::read_to_string(format!(
        "{}/tests/schemas/sarif-schema-2.1.0.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("the SARIF schema");
    // The published schema's `run.language` pattern has a stray `]` that a strict regex
    // engine refuses; it is corrected here as later SARIF schemas write it. Nothing this
    // command writes has a `language`.
    let schema_text = schema_text.replace(
        r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#,
        r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#,
    );
    let schema: serde_json::Value = serde_json::from_str(&schema_text).expect("schema json");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// The README's recipe, as written: its pipe from `trufflehog` (a stub printing a report) and
/// its GitHub Actions steps, with `fastly-tokens` on PATH, against the fake.
#[test]
fn the_readme_recipe_runs_as_written() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README");
    let section = readme
        .split("**Leaked keys from a secret scanner")
        .nth(1)
        .and_then(|s| s.split("**Offboarding").next())
        .expect("the leaked-keys recipe");
    let pipe = section
        .lines()
        .find(|l| l.starts_with("trufflehog ") && l.contains("| fastly-tokens triage - --revoke"))
        .expect("the trufflehog pipe");
    let steps: Vec<&str> = section
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- run: "))
        .collect();
    assert_eq!(steps.len(), 2, "{section}");
    let uploaded = section
        .lines()
        .find_map(|l| l.trim().strip_prefix("sarif_file: "))
        .expect("the upload step");
    assert!(section.contains("github/codeql-action/upload-sarif"));

    let (rt, fake) = started();
    let k = keys(&rt, &fake);
    let dir = report_file("readme", &trufflehog(&k))
        .parent()
        .expect("dir")
        .to_path_buf();
    let bin_dir = dir.join("bin");
    std::fs::create_dir_all(&bin_dir).expect("bin/");
    let stub = bin_dir.join("trufflehog");
    std::fs::write(&stub, "#!/bin/sh\ncat \"$(dirname \"$0\")/../report\"\n").expect("stub");
    std::fs::set_permissions(&stub, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let link = bin_dir.join("fastly-tokens");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_fastly-tokens"), &link).expect("symlink");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let shell = |line: &str| {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", line])
            .current_dir(&dir)
            .env("PATH", &path)
            .env("FASTLY_API_TOKEN", &fake.seed().user("alice").key)
            .env("FASTLY_API_ENDPOINT", fake.base_url())
            .env(
                "XDG_CONFIG_HOME",
                std::env::temp_dir().join("fastly-tokens-tests-no-config"),
            );
        run(cmd, None)
    };
    // At a terminal it asks; here (no terminal) it refuses and revokes nothing.
    let out = shell(pipe);
    assert_eq!(out.code, 2, "{pipe}: {}", out.stderr);
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);
    assert!(fake.is_live(&k.writer.0));
    // The CI steps: the report, then triage with --yes and the SARIF the upload step takes.
    for step in &steps {
        let out = shell(step);
        assert_eq!(out.code, 0, "{step}: {}{}", out.stdout, out.stderr);
        assert_no_key(&k, &[&out.stdout, &out.stderr]);
    }
    assert!(!fake.is_live(&k.writer.0) && !fake.is_live(&k.reader.0));
    assert!(fake.is_live(&k.other.0));
    let sarif = std::fs::read_to_string(dir.join(uploaded)).expect("the uploaded SARIF");
    assert_no_key(&k, &[&sarif]);
    valid_sarif(&sarif);
}

/// `triage REPORT | head`: a closed stdout changes neither the verdict nor what is revoked.
#[test]
fn a_closed_stdout_keeps_the_verdict() {
    let (rt, fake) = started();
    let k = keys(&rt, &fake);
    let path = report_file("closed", &gitleaks(&k));
    let alice = fake.seed().user("alice").key.clone();
    for (args, code) in [
        (vec!["triage", path.to_str().expect("utf-8")], 11),
        (
            vec!["triage", path.to_str().expect("utf-8"), "--revoke", "--yes"],
            0,
        ),
    ] {
        let mut cmd = bin();
        cmd.env("FASTLY_API_TOKEN", &alice)
            .args(["--endpoint", fake.base_url()])
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("runs");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("finishes");
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(!fake.is_live(&k.writer.0) && !fake.is_live(&k.reader.0));
}

/// A signal during `--revoke`: the revoke in flight finishes, no new one starts, the document
/// says which key is revoked and which is still live, and the exit code is 128 + n.
#[test]
fn a_signal_stops_new_revokes_and_reports_what_was_done() {
    let (rt, fake) = started();
    let k = keys(&rt, &fake);
    let path = report_file("signal", &gitleaks(&k));
    fake.inject_matching(
        "DELETE",
        "/tokens/self",
        Fault::Latency(std::time::Duration::from_millis(1500)),
        5,
    );
    fake.clear_requests();
    let child = super::signals::spawn(
        &fake,
        &[
            "triage",
            path.to_str().expect("utf-8"),
            "--revoke",
            "--yes",
            "--json",
            "--concurrency",
            "1",
        ],
    );
    let started = std::time::Instant::now();
    // Every key checked (3) and each live one's kind told (2): the first revoke is next.
    while fake.requests().len() < 5 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "checks never ended"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    std::thread::sleep(std::time::Duration::from_millis(400));
    super::signals::kill("TERM", &child.id().to_string());
    let out = super::signals::finish(child);
    assert_eq!(out.code, 143, "{}", out.stderr);
    assert!(out.stderr.contains("SIGTERM"), "{}", out.stderr);
    let doc = valid("triage", &out.stdout);
    assert_eq!(
        doc["keys"][0]["status"], "revoked",
        "the revoke in flight finished"
    );
    assert_eq!(
        doc["keys"][1]["status"], "live",
        "no new revoke after the signal"
    );
    assert!(!fake.is_live(&k.writer.0) && fake.is_live(&k.reader.0));
    assert_no_key(&k, &[&out.stdout, &out.stderr]);
}
