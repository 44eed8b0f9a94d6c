//! The `fastly-tokens` binary end to end: against its own `--fake` (snapshots, with a fixed clock)
//! and against a fake started here (exit codes, injected failures, secrets). Every `--json`
//! document is validated against its committed schema (`schemas/`).

use std::io::Write;
use std::process::{Command, Output, Stdio};

use fastly_tokens_fake::{FakeFastly, Fault};

#[path = "cli/declare.rs"]
mod declare;
#[path = "cli/exec.rs"]
mod exec;
#[path = "cli/files.rs"]
mod files;
#[path = "cli/handoff.rs"]
mod handoff;
#[path = "cli/signals.rs"]
mod signals;
#[path = "cli/triage.rs"]
mod triage;
#[path = "cli/trust.rs"]
mod trust;

const NOW: &str = "2026-11-22T12:00:00Z";

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fastly-tokens"));
    // Hermetic: no token, endpoint or Fastly CLI config of the machine running the tests.
    cmd.env_remove("FASTLY_API_TOKEN")
        .env_remove("FASTLY_API_ENDPOINT")
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("fastly-tokens-tests-no-config"),
        )
        .env("NO_COLOR", "1");
    cmd
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(mut cmd: Command, stdin: Option<&str>) -> Run {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("binary runs");
    if let Some(input) = stdin
        && let Some(mut pipe) = child.stdin.take()
    {
        // The command may exit before reading (a usage error): that is not a test failure.
        let _ = pipe.write_all(input.as_bytes());
    }
    drop(child.stdin.take());
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("finishes");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// `fastly-tokens --fake --now NOW <args>`.
fn fake(args: &[&str]) -> Run {
    let mut cmd = bin();
    cmd.args(["--fake", "--now", NOW]).args(args);
    run(cmd, None)
}

/// Against a fake started by the test (real clock), with `key` in FASTLY_API_TOKEN.
fn against(fake: &FakeFastly, key: &str, args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = bin();
    cmd.env("FASTLY_API_TOKEN", key)
        .args(["--endpoint", fake.base_url()])
        .args(args);
    run(cmd, stdin)
}

/// A fake on a runtime that lives as long as the test.
fn started() -> (tokio::runtime::Runtime, FakeFastly) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let fake = rt.block_on(fastly_tokens_fake::start()).expect("fake");
    (rt, fake)
}

/// Parses a `--json` document and validates it against `schemas/<schema>.schema.json`.
fn valid(schema: &str, text: &str) -> serde_json::Value {
    let path = format!(
        "{}/schemas/{schema}.schema.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let schema_text = std::fs::read_to_string(&path).expect("committed schema");
    let schema_json: serde_json::Value = serde_json::from_str(&schema_text).expect("schema json");
    let validator = jsonschema::validator_for(&schema_json).expect("a valid schema");
    let value: serde_json::Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{schema}: {errors:?}\n{text}");
    value
}

/// Text a CLI user should never see: advice for Rust callers.
const RUST_ADVICE: [&str; 6] = [
    ".token(",
    "Client::",
    "_current_token",
    ".otp(",
    ".timeout(",
    "from_env",
];

fn assert_cli_words(text: &str) {
    for advice in RUST_ADVICE {
        assert!(!text.contains(advice), "{advice:?} in: {text}");
    }
}

#[test]
fn current_human_and_json() {
    let human = fake(&["current"]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    insta::assert_snapshot!("current", human.stdout);
    let json = fake(&["current", "--json"]);
    assert_eq!(json.code, 0);
    valid("token", &json.stdout);
    insta::assert_snapshot!("current_json", json.stdout);
}

#[test]
fn list_human_and_json() {
    let human = fake(&["list"]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    insta::assert_snapshot!("list", human.stdout);
    let json = fake(&["list", "--json"]);
    let parsed = valid("list", &json.stdout);
    assert_eq!(parsed.as_array().map(Vec::len), Some(5));
    let customer = fake(&["list", "--customer", "5eEdCustomer0000000001"]);
    assert_eq!(customer.code, 0);
    insta::assert_snapshot!("list_customer", customer.stdout);
    assert!(customer.stdout.starts_with("NAME  "), "{}", customer.stdout);
    assert!(
        customer
            .stdout
            .lines()
            .next()
            .is_some_and(|h| h.contains("USER"))
    );
    assert_eq!(customer.stdout.lines().count(), 9, "header + 8 tokens");
    valid(
        "list",
        &fake(&["list", "--customer", "5eEdCustomer0000000001", "--json"]).stdout,
    );
}

#[test]
fn show_one_token() {
    let out = fake(&["show", "5eEdTok020000000000000"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!("show", out.stdout);
    valid(
        "token",
        &fake(&["show", "5eEdTok020000000000000", "--json"]).stdout,
    );
    let missing = fake(&["show", "NoSuchToken00000000000"]);
    assert_eq!(missing.code, 4, "not found: {}", missing.stderr);
    assert!(
        missing
            .stderr
            .starts_with("error: reading the token failed: Fastly answered 404"),
        "{}",
        missing.stderr
    );
    assert_eq!(missing.stderr.lines().count(), 1, "one line");
    let invalid = fake(&["show", "../tokens"]);
    assert_eq!(invalid.code, 2, "{}", invalid.stderr);
    let own = fake(&["show", "self"]);
    assert_eq!(own.code, 2);
    assert!(own.stderr.contains("use --current"), "{}", own.stderr);
    assert_cli_words(&own.stderr);
}

#[test]
fn audit_reports_seeded_findings_and_gates_ci() {
    let out = fake(&["audit"]);
    assert_eq!(out.code, 1, "findings exit 1: {}", out.stderr);
    insta::assert_snapshot!("audit", out.stdout);
    let json = fake(&["audit", "--json"]);
    assert_eq!(json.code, 1);
    valid("audit", &json.stdout);
    insta::assert_snapshot!("audit_json", json.stdout);
    // Looser thresholds turn some findings off.
    let relaxed = fake(&[
        "audit",
        "--unused-for",
        "400d",
        "--expiring-within",
        "1d",
        "--json",
    ]);
    let parsed = valid("audit", &relaxed.stdout);
    let codes: Vec<String> = parsed["findings"]
        .as_array()
        .expect("array")
        .iter()
        .flat_map(|f| f["findings"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c.as_str().map(str::to_string))
        .collect();
    assert!(
        !codes.contains(&"unused".to_string()) && !codes.contains(&"expiring_soon".to_string()),
        "{codes:?}"
    );
    assert!(codes.contains(&"expired".to_string()));
}

/// A policy file in the test's own temporary directory.
fn policy_file(tag: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "fastly-tokens-policy-{tag}-{}.toml",
        std::process::id()
    ));
    std::fs::write(&path, text).expect("policy written");
    path
}

const POLICY: &str = r#"
[rules]
max_lifetime = "90d"
require_expiry = true
unused_for = "30d"
expiring_within = "7d"
report_never_used = true
services_required_for_writes = true
allowed_ips = ["203.0.113.0/24"]

[[scopes]]
name = "ci-*"
allow = ["global:read"]

[[exception]]
token = "5eEdTok000000000000000"
rules = ["over_broad", "services_required"]
reason = "break-glass token, INFRA-1"
expires = 2027-01-31

[[exception]]
name = "old-*"
reason = "being migrated, INFRA-2"
expires = 2026-10-01
"#;

#[test]
fn audit_policy_names_rules_applies_exceptions_and_writes_junit() {
    let policy = policy_file("gate", POLICY);
    let junit = policy.with_extension("xml");
    let p = policy.to_str().expect("utf-8 path");
    let j = junit.to_str().expect("utf-8 path");
    let out = fake(&["audit", "--policy", p, "--junit", j]);
    assert_eq!(out.code, 1, "findings exit 1: {}", out.stderr);
    insta::assert_snapshot!("audit_policy", out.stdout);
    let xml = std::fs::read_to_string(&junit).expect("JUnit written");
    // The timestamp is the run's; everything else is the policy's verdict.
    let xml = match xml.split_once("timestamp=\"") {
        Some((head, tail)) => format!(
            "{head}timestamp=\"[run]{}",
            &tail[tail.find('"').expect("closing quote")..]
        ),
        None => panic!("no timestamp in {xml}"),
    };
    insta::assert_snapshot!("audit_policy_junit", xml);

    let json = fake(&["audit", "--policy", p, "--json"]);
    let doc = valid("audit", &json.stdout);
    let by_id = |id: &str| -> Vec<String> {
        doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["id"] == id)
            .flat_map(|f| f["findings"].as_array().cloned().unwrap_or_default())
            .filter_map(|c| c.as_str().map(str::to_string))
            .collect()
    };
    // The active exception silences only the rules it names.
    let global = by_id("5eEdTok000000000000000");
    assert!(
        global.contains(&"expiry_required".to_string()),
        "{global:?}"
    );
    assert!(global.contains(&"ip_not_allowed".to_string()), "{global:?}");
    assert!(!global.contains(&"over_broad".to_string()), "{global:?}");
    assert!(
        !global.contains(&"services_required".to_string()),
        "{global:?}"
    );
    // An expired exception is itself a finding and silences nothing.
    let old = by_id("5eEdTok040000000000000");
    assert!(old.contains(&"exception_expired".to_string()), "{old:?}");
    assert!(old.contains(&"expired".to_string()), "{old:?}");
    // A scope outside the name pattern's allow list.
    assert!(by_id("5eEdTok030000000000000").contains(&"scope_not_allowed".to_string()));
    // Browser sessions are their own kind, not over-broad; only allowed_ips applies to them.
    let sessions: Vec<&serde_json::Value> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kind"] == "session")
        .collect();
    for s in &sessions {
        assert_eq!(s["findings"], serde_json::json!(["ip_not_allowed"]), "{s}");
    }
    assert!(xml.contains("classname=\"fastly-tokens.session\""), "{xml}");
    for entry in doc["findings"].as_array().expect("findings") {
        assert_eq!(
            entry["findings"].as_array().map(Vec::len),
            entry["details"].as_array().map(Vec::len),
            "every finding has its explanation: {entry}"
        );
    }

    // A policy that allows everything the fake holds: no findings, exit 0, JUnit all passing.
    let lax = policy_file(
        "lax",
        "[rules]\nover_broad = false\n\n[[exception]]\ntoken = \"5eEdTok040000000000000\"\nrules = [\"expired\"]\nreason = \"kept for the audit trail\"\nexpires = \"2099-01-01\"\n",
    );
    let clean = fake(&[
        "audit",
        "--policy",
        lax.to_str().expect("utf-8"),
        "--junit",
        j,
    ]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    let xml = std::fs::read_to_string(&junit).expect("JUnit written");
    assert!(
        xml.contains("failures=\"0\"") && !xml.contains("<failure"),
        "{xml}"
    );

    // A wrong policy is an error (2), not a finding (1), and says where.
    let typo = policy_file("typo", "[rules]\nmax_lifetme = \"90d\"\n");
    let bad = fake(&["audit", "--policy", typo.to_str().expect("utf-8")]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("max_lifetme"), "{}", bad.stderr);
    let missing = fake(&["audit", "--policy", "/nonexistent/policy.toml"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("cannot read the policy"),
        "{}",
        missing.stderr
    );
    let both = fake(&["audit", "--policy", p, "--unused-for", "10d"]);
    assert_eq!(
        both.code, 2,
        "flags and a policy do not mix: {}",
        both.stderr
    );
    // The README's commented example is a working policy, and documents every rule.
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README");
    let section = &readme[readme.find("### Token policy").expect("policy section")..];
    let start = section.find("```toml\n").expect("toml block") + "```toml\n".len();
    let example = &section[start..start + section[start..].find("```").expect("block end")];
    let documented = policy_file("readme", example);
    let run = fake(&[
        "audit",
        "--policy",
        documented.to_str().expect("utf-8"),
        "--json",
    ]);
    assert_eq!(run.code, 1, "the README policy applies: {}", run.stderr);
    valid("audit", &run.stdout);
    for rule in [
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
    ] {
        assert!(
            section.contains(&format!("[{rule}]")),
            "{rule} is documented"
        );
    }
    let _ = std::fs::remove_file(documented);
    for f in [policy, junit, lax, typo] {
        let _ = std::fs::remove_file(f);
    }
}

// ---------------------------------------------------------------------------------------------
// create: no privilege by accident.
// ---------------------------------------------------------------------------------------------

#[test]
fn create_prints_the_secret_once_clearly_marked() {
    let out = fake(&[
        "create",
        "--name",
        "ci",
        "--scope",
        "purge_select",
        "--scope",
        "global:read",
        "--service",
        "5eEdService00000000001",
        "--expires-in",
        "90d",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("shown only once"), "{}", out.stdout);
    assert!(
        out.stdout.contains("scopes      purge_select global:read"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("expires     2027-02-20 12:00 UTC"),
        "{}",
        out.stdout
    );
    let json = fake(&[
        "create",
        "--name",
        "ci",
        "--scope",
        "global:read",
        "--no-expiry",
        "--json",
    ]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let parsed = valid("create", &json.stdout);
    assert_eq!(parsed["access_token"].as_str().map(str::len), Some(32));
    assert_eq!(parsed["token"]["name"], "ci");
    assert_eq!(parsed["token"]["scope"], "global:read");
    assert_eq!(parsed["token"]["expires_at"], serde_json::Value::Null);
}

#[test]
fn create_refuses_implicit_scope_or_expiry_and_creates_nothing() {
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").clone();
    let before = fake.live_tokens();
    let create = |extra: &[&str]| {
        let mut args = vec![
            "create",
            "--name",
            "ci",
            "--username",
            &alice.login,
            "--password-stdin",
            "--otp",
            "123456",
        ];
        args.extend_from_slice(extra);
        against(
            &fake,
            &alice.key,
            &args,
            Some(&format!("{}\n", alice.password)),
        )
    };
    let cases: [(&[&str], &str); 8] = [
        (&["--scope", "", "--no-expiry"], "--scope is empty"),
        (&["--scope", "  ", "--no-expiry"], "--scope is empty"),
        (&["--no-expiry"], "--scope"),
        (&["--scope", "purge_select"], "--no-expiry"),
        (
            &["--scope", "purge_select", "--expires-in", "0s"],
            "at least a minute",
        ),
        (
            &["--scope", "purge_select", "--expires-in", "30s"],
            "at least a minute",
        ),
        (
            &[
                "--scope",
                "purge_select",
                "--expires-at",
                "2020-01-01T00:00:00Z",
            ],
            "in the past",
        ),
        (
            &["--scope", "purge_select", "--expires-at", "yesterday"],
            "RFC 3339",
        ),
    ];
    for (extra, says) in cases {
        let out = create(extra);
        assert_eq!(out.code, 2, "{extra:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{extra:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{extra:?}: {}", out.stdout);
    }
    assert_eq!(
        fake.live_tokens(),
        before,
        "no refused create reached the server"
    );
    let ok = create(&["--scope", "purge_select", "--expires-in", "2m"]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert_eq!(fake.live_tokens(), before + 1);
}

// ---------------------------------------------------------------------------------------------
// Exit codes by cause, and errors under --json.
// ---------------------------------------------------------------------------------------------

#[test]
fn exit_codes_per_class() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let fake = rt
        .block_on(FakeFastly::builder().hourly_limit(0).start())
        .expect("fake");
    let alice = fake.seed().user("alice").key.clone();

    let auth = against(&fake, "wrong-key", &["current"], None);
    assert_eq!(auth.code, 3);
    assert!(
        auth.stderr.contains("FASTLY_API_TOKEN"),
        "a 401 points at the token: {}",
        auth.stderr
    );

    let limited = against(&fake, &alice, &["revoke", "--current", "--yes"], None);
    assert_eq!(limited.code, 5, "{}", limited.stderr);
    assert!(limited.stderr.contains("retry after"), "{}", limited.stderr);
    let limited = against(
        &fake,
        &alice,
        &["revoke", "--current", "--yes", "--json"],
        None,
    );
    assert_eq!(limited.code, 5);
    let error = valid("error", &limited.stderr);
    assert_eq!(error["error"]["class"], "rate_limited");
    assert_eq!(error["error"]["exit_code"], 5);
    assert_eq!(error["error"]["status"], 429);
    assert!(error["error"]["rate_limit_reset"].is_string(), "{error}");
    assert!(limited.stdout.is_empty());

    let mut cmd = bin();
    cmd.env("FASTLY_API_TOKEN", "k")
        .args(["--endpoint", "http://127.0.0.1:1", "current"]);
    let network = run(cmd, None);
    assert_eq!(network.code, 7, "{}", network.stderr);

    let mut cmd = bin();
    cmd.args(["current", "--json"]);
    let no_token = run(cmd, None);
    assert_eq!(no_token.code, 2);
    let error = valid("error", &no_token.stderr);
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no API token: set FASTLY_API_TOKEN")),
        "{error}"
    );

    assert_eq!(fake_usage(&["create"]), 2, "missing --name");
}

#[test]
fn rejected_input_is_usage_and_a_wrong_otp_is_auth() {
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").clone();
    let create = |scope: &str, otp: &str| {
        against(
            &fake,
            &alice.key,
            &[
                "create",
                "--name",
                "x",
                "--scope",
                scope,
                "--no-expiry",
                "--username",
                &alice.login,
                "--password-stdin",
                "--otp",
                otp,
            ],
            Some(&format!("{}\n", alice.password)),
        )
    };
    let scope = create("edge:unknown", "123456");
    assert_eq!(
        scope.code, 2,
        "400 invalid_scope is usage: {}",
        scope.stderr
    );
    assert!(scope.stderr.contains("invalid_scope"), "{}", scope.stderr);
    let otp = create("global:read", "000000");
    assert_eq!(otp.code, 3, "a wrong OTP is auth: {}", otp.stderr);
    assert!(otp.stderr.contains("--otp"), "{}", otp.stderr);
    assert_cli_words(&format!("{}{}", scope.stderr, otp.stderr));
    let password = against(
        &fake,
        &alice.key,
        &[
            "create",
            "--name",
            "x",
            "--scope",
            "global:read",
            "--no-expiry",
            "--username",
            &alice.login,
            "--password-stdin",
            "--otp",
            "123456",
        ],
        Some("not-the-password\n"),
    );
    assert_eq!(
        password.code, 3,
        "a wrong password is auth: {}",
        password.stderr
    );
    assert!(
        password
            .stderr
            .contains("check --username and the password"),
        "{}",
        password.stderr
    );
}

#[test]
fn the_endpoint_comes_from_fastly_api_endpoint_too() {
    let (_rt, fake) = started();
    let mut cmd = bin();
    cmd.env("FASTLY_API_TOKEN", &fake.seed().user("alice").key)
        .env("FASTLY_API_ENDPOINT", fake.base_url())
        .args(["current", "--json"]);
    let out = run(cmd, None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(valid("token", &out.stdout)["name"], "alice-global");
}

#[test]
fn a_silent_endpoint_ends_at_timeout_with_cli_advice() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    // Accept and hold connections, never answer.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    let mut cmd = bin();
    cmd.env("FASTLY_API_TOKEN", "k")
        .args(["--endpoint", &url, "--timeout", "1s", "current"]);
    let started = std::time::Instant::now();
    let out = run(cmd, None);
    let took = started.elapsed();
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert!(out.stderr.contains("--timeout 1s"), "{}", out.stderr);
    assert!(took < std::time::Duration::from_secs(5), "took {took:?}");
    assert_cli_words(&out.stderr);
}

// ---------------------------------------------------------------------------------------------
// Never panic, never corrupt the terminal.
// ---------------------------------------------------------------------------------------------

/// Runs with stdout already closed by the reader.
fn closed_stdout(args: &[&str]) -> Run {
    let mut cmd = bin();
    cmd.args(["--fake", "--now", NOW]).args(args);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("runs");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("finishes");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn every_command_survives_a_closed_stdout() {
    let commands: [&[&str]; 13] = [
        &["current"],
        &["current", "--json"],
        &["list"],
        &["list", "--json"],
        &["show", "5eEdTok020000000000000"],
        &["audit"],
        &["audit", "--json"],
        &["revoke", "5eEdTok020000000000000", "--dry-run"],
        &["revoke", "5eEdTok020000000000000", "--yes", "--json"],
        &["revoke", "--current", "--dry-run", "--json"],
        &["rotate", "5eEdTok030000000000000", "--dry-run"],
        &["schema", "revoke"],
        &["--help"],
    ];
    for args in commands {
        let out = closed_stdout(args);
        assert!(!out.stderr.contains("panicked"), "{args:?}: {}", out.stderr);
        assert_ne!(out.code, 101, "{args:?}");
        // Quietly, like ripgrep: the reader went away, nothing to report; the exit code is the
        // command's own (audit: findings).
        let expected = if args[0] == "audit" { 1 } else { 0 };
        assert_eq!(out.code, expected, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.is_empty() || args[0] == "--help",
            "{args:?}: {}",
            out.stderr
        );
    }
    // A secret that could not be written is not a quiet ending.
    for args in [
        &[
            "create",
            "--name",
            "x",
            "--scope",
            "global:read",
            "--no-expiry",
        ][..],
        &[
            "create",
            "--name",
            "x",
            "--scope",
            "global:read",
            "--no-expiry",
            "--json",
        ],
    ] {
        let out = closed_stdout(args);
        assert_eq!(out.code, 6, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr
                .contains("the new secret could not be written to stdout")
                && out.stderr.contains("was revoked"),
            "the token nobody could see was revoked: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"));
    }
}

#[test]
fn server_text_cannot_drive_the_terminal_or_panic_the_table() {
    let (rt, fake) = started();
    let alice = fake.seed().user("alice").clone();
    let client = fastly_tokens::Client::builder()
        .token(alice.key.as_str())
        .base_url(fake.base_url())
        .build()
        .expect("client");
    for name in ["evil\u{1b}[2J\u{1b}[31m\u{7}", &"n".repeat(70_000)] {
        rt.block_on(
            client
                .create_token(fastly_tokens::Credentials::password(
                    alice.login.as_str(),
                    alice.password.as_str(),
                ))
                .otp(alice.otp.clone().unwrap_or_default())
                .name(name)
                .scopes([fastly_tokens::Scope::GlobalRead])
                .send(),
        )
        .expect("created");
    }
    for args in [&["list"][..], &["audit"]] {
        let out = against(&fake, &alice.key, args, None);
        assert!(out.code == 0 || out.code == 1, "{args:?}: {}", out.stderr);
        assert!(!out.stdout.contains('\u{1b}') && !out.stdout.contains('\u{7}'));
        assert!(out.stdout.contains("evil\\u{1b}[2J"), "{}", out.stdout);
        assert!(
            out.stdout.lines().all(|l| l.chars().count() < 400),
            "cells are cut"
        );
    }
    let json = against(&fake, &alice.key, &["list", "--json"], None);
    let parsed = valid("list", &json.stdout);
    assert!(
        parsed
            .as_array()
            .expect("array")
            .iter()
            .any(|t| t["name"].as_str().is_some_and(|n| n.len() == 70_000)),
        "JSON keeps names whole"
    );
}

// ---------------------------------------------------------------------------------------------
// revoke: honest counts, complete JSON.
// ---------------------------------------------------------------------------------------------

#[test]
fn revoke_dry_run_refusals_and_results() {
    let dry = fake(&[
        "revoke",
        "5eEdTok020000000000000",
        "5eEdTok030000000000000",
        "--dry-run",
    ]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    insta::assert_snapshot!("revoke_dry_run", dry.stdout);

    let in_use = fake(&["revoke", "5eEdTok000000000000000", "--yes"]);
    assert_eq!(in_use.code, 2);
    assert!(
        in_use
            .stderr
            .contains("it is the token in use; use --current"),
        "{}",
        in_use.stderr
    );

    let unconfirmed = fake(&["revoke", "5eEdTok020000000000000"]);
    assert_eq!(unconfirmed.code, 2, "not a terminal, no --yes");
    assert!(
        unconfirmed.stderr.contains("--yes"),
        "{}",
        unconfirmed.stderr
    );

    let invalid = fake(&["revoke", "5eEdTok020000000000000", "a/b", "--yes"]);
    assert_eq!(invalid.code, 2);
    assert!(
        invalid.stderr.contains("nothing was revoked"),
        "{}",
        invalid.stderr
    );

    let done = fake(&[
        "revoke",
        "5eEdTok020000000000000",
        "NoSuchToken00000000000",
        "--yes",
    ]);
    assert_eq!(done.code, 0, "{}", done.stderr);
    insta::assert_snapshot!("revoke", done.stdout);

    let json = fake(&["revoke", "5eEdTok020000000000000", "--yes", "--json"]);
    valid("revoke", &json.stdout);
    insta::assert_snapshot!("revoke_json", json.stdout);

    let current_dry = fake(&["revoke", "--current", "--dry-run", "--json"]);
    let parsed = valid("revoke", &current_dry.stdout);
    assert_eq!(parsed["would_revoke"], 1);
    assert_eq!(parsed["results"][0]["status"], "would_revoke");

    let current = fake(&["revoke", "--current", "--yes", "--json"]);
    assert_eq!(current.code, 0, "{}", current.stderr);
    let parsed = valid("revoke", &current.stdout);
    assert_eq!(
        (parsed["revoked"].as_u64(), parsed["failed"].as_u64()),
        (Some(1), Some(0))
    );
    let current = fake(&["revoke", "--current", "--yes"]);
    assert!(
        current.stdout.contains("the token in use"),
        "{}",
        current.stdout
    );
}

#[test]
fn revoke_from_file_deduplicates_and_reports_partial_failure() {
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").key.clone();
    let bobs = fake.seed().token("bob-global").id.clone();
    let mine = fake.add_tokens("alice", 30);
    // 630 lines: 30 distinct ids of alice's, each repeated 20 times, then bob's token; the
    // first id also appears on line 601, past any 500-id slice.
    let mut lines = vec!["# stale tokens".to_string()];
    for round in 0..20 {
        for id in &mine {
            lines.push(if round == 0 {
                format!("{id}  # first")
            } else {
                id.clone()
            });
        }
    }
    lines.push(bobs.clone());
    lines.push(String::new());
    let file = std::env::temp_dir().join(format!("fastly-tokens-ids-{}.txt", std::process::id()));
    std::fs::write(&file, lines.join("\n")).expect("write");
    let path = file.to_str().expect("path");

    let dry = against(
        &fake,
        &alice,
        &["revoke", "--from-file", path, "--dry-run", "--json"],
        None,
    );
    let dry = valid("revoke", &dry.stdout);
    assert_eq!(dry["would_revoke"], 31, "one per distinct id");
    assert_eq!(dry["duplicates"].as_array().map(Vec::len), Some(30));
    let human = against(
        &fake,
        &alice,
        &["revoke", "--from-file", path, "--dry-run"],
        None,
    );
    assert!(
        human.stdout.contains("… and 11 more"),
        "first 20 listed: {}",
        human.stdout
    );
    assert!(
        human.stdout.contains("31 token(s) would be revoked"),
        "{}",
        human.stdout
    );
    assert_eq!(dry["results"][30]["id"], bobs.as_str());
    assert!(
        dry["results"][30].get("name").is_none(),
        "bob's is not among alice's tokens"
    );
    assert_eq!(dry["results"][0]["name"], "bulk-0");

    let out = against(
        &fake,
        &alice,
        &["revoke", "--from-file", path, "--yes", "--json"],
        None,
    );
    let _ = std::fs::remove_file(&file);
    assert_eq!(
        out.code, 6,
        "partial failure: {}\n{}",
        out.stdout, out.stderr
    );
    let doc = valid("revoke", &out.stdout);
    assert_eq!(
        doc["results"].as_array().map(Vec::len),
        Some(31),
        "no id counted twice"
    );
    assert_eq!(
        (doc["revoked"].as_u64(), doc["failed"].as_u64()),
        (Some(30), Some(1))
    );
    let failed = &doc["results"][30];
    assert_eq!(failed["id"], bobs.as_str());
    assert_eq!(failed["status"], "failed");
    assert!(fake.is_live(&bobs));
    assert!(mine.iter().all(|id| !fake.is_live(id)));
}

// ---------------------------------------------------------------------------------------------
// rotate: refusals, dry run, confirmation, and what happened to each token.
// ---------------------------------------------------------------------------------------------

fn rotate(fake: &FakeFastly, key: &str, args: &[&str], password: &str) -> Run {
    let alice = fake.seed().user("alice").clone();
    let mut all = args.to_vec();
    all.extend([
        "--username",
        &alice.login,
        "--password-stdin",
        "--otp",
        "123456",
    ]);
    against(fake, key, &all, Some(&format!("{password}\n")))
}

#[test]
fn rotate_refuses_sessions_the_token_in_use_and_unconfirmed_runs() {
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").clone();
    let session = fake
        .seed()
        .token("manage.fastly.com browser session")
        .id
        .clone();
    let in_use = fake.seed().token("alice-global").id.clone();
    let ci = fake.seed().token("ci-purge").id.clone();
    let before = fake.live_tokens();

    let out = rotate(
        &fake,
        &alice.key,
        &["rotate", &session, "--yes", "--no-expiry"],
        &alice.password,
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("browser session"), "{}", out.stderr);

    let out = rotate(
        &fake,
        &alice.key,
        &["rotate", &in_use, "--yes", "--no-expiry"],
        &alice.password,
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("rotate --current"), "{}", out.stderr);

    let out = rotate(&fake, &alice.key, &["rotate", &ci], &alice.password);
    assert_eq!(out.code, 2, "no terminal, no --yes: {}", out.stderr);
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);

    let out = rotate(
        &fake,
        &alice.key,
        &["rotate", "--current", "--yes"],
        &alice.password,
    );
    assert_eq!(
        out.code, 2,
        "a never-expiring token needs a choice: {}",
        out.stderr
    );
    assert!(out.stderr.contains("--no-expiry"), "{}", out.stderr);

    let dry = against(
        &fake,
        &alice.key,
        &["rotate", &ci, "--dry-run", "--json"],
        None,
    );
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    let plan = valid("rotate", &dry.stdout);
    assert_eq!(plan["old"]["status"], "would_revoke");
    assert_eq!(plan["plan"]["scope"], "purge_select global:read");
    assert!(plan["new"].is_null());
    let dry = against(&fake, &alice.key, &["rotate", &ci, "--dry-run"], None);
    assert!(
        dry.stdout
            .contains("dry run: nothing was created or revoked"),
        "{}",
        dry.stdout
    );

    assert_eq!(fake.live_tokens(), before, "nothing was created or revoked");
    assert!(fake.is_live(&session) && fake.is_live(&in_use) && fake.is_live(&ci));
}

#[test]
fn rotate_current_says_the_secret_must_replace_the_token_in_use() {
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").clone();
    let in_use = fake.seed().token("alice-global").id.clone();
    let out = rotate(
        &fake,
        &alice.key,
        &[
            "rotate",
            "--current",
            "--yes",
            "--expires-in",
            "30d",
            "--json",
        ],
        &alice.password,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = valid("rotate", &out.stdout);
    assert_eq!(doc["old"]["id"], in_use.as_str());
    assert_eq!(doc["old"]["status"], "revoked");
    assert_eq!(doc["replaces_token_in_use"], true);
    assert_eq!(doc["new"]["token"]["name"], "alice-global");
    assert!(!fake.is_live(&in_use));
    let new_key = doc["new"]["access_token"].as_str().expect("secret");
    let works = against(&fake, new_key, &["current", "--json"], None);
    assert_eq!(works.code, 0, "the new secret works: {}", works.stderr);
}

#[test]
fn rotate_with_a_failure_between_create_and_revoke_says_what_state_things_are_in() {
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").clone();
    let old = fake.seed().token("ci-purge").id.clone();
    // The revoke of the old token fails on every attempt.
    fake.inject_matching("DELETE", "/tokens/", Fault::Status(503), 3);
    let before = fake.live_tokens();
    let out = rotate(
        &fake,
        &alice.key,
        &["rotate", &old, "--yes"],
        &alice.password,
    );
    assert_eq!(out.code, 6, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("shown only once"),
        "the new secret is printed before the revoke"
    );
    assert!(
        out.stderr.contains(&format!(
            "the old token {old} still works: revoking it failed"
        )) && out.stderr.contains(&format!(
            "revoke it with `fastly-tokens revoke {old} --yes`"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("its secret went to stdout"),
        "{}",
        out.stderr
    );
    assert!(fake.is_live(&old), "old token untouched");
    assert_eq!(fake.live_tokens(), before + 1, "the new token exists");
    assert!(!out.stdout.contains(&alice.password) && !out.stderr.contains(&alice.password));

    // Without the fault, rotate completes, the old token is gone, and the JSON says so.
    let ok = rotate(
        &fake,
        &alice.key,
        &["rotate", &old, "--yes", "--json"],
        &alice.password,
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(!fake.is_live(&old));
    let parsed = valid("rotate", &ok.stdout);
    assert_eq!(parsed["new"]["token"]["name"], "ci-purge");
    assert_eq!(parsed["new"]["token"]["scope"], "purge_select global:read");
    assert_eq!(parsed["old"]["status"], "revoked");
    assert_eq!(parsed["replaces_token_in_use"], false);
}

// ---------------------------------------------------------------------------------------------
// Help, schemas, secrets.
// ---------------------------------------------------------------------------------------------

fn fake_usage(args: &[&str]) -> i32 {
    fake(args).code
}

#[test]
fn every_command_has_help_with_an_example() {
    for command in [
        "current",
        "list",
        "show",
        "create",
        "revoke",
        "audit",
        "rotate",
        "schema",
        "automation list",
        "automation show",
        "automation create",
        "automation revoke",
        "completions",
        "man",
        "exec",
        "whois",
        "plan",
        "apply",
    ] {
        let mut cmd = bin();
        cmd.args(command.split(' ')).arg("--help");
        let out = run(cmd, None);
        assert_eq!(out.code, 0);
        assert!(out.stdout.contains("Example:"), "{command}: {}", out.stdout);
    }
    let mut cmd = bin();
    cmd.arg("--help");
    let top = run(cmd, None);
    assert!(top.stdout.contains("Exit codes:"), "{}", top.stdout);
    assert!(top.stdout.contains("starts a fresh fake"), "{}", top.stdout);
    // The README's exit-code table is the binary's.
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README");
    for line in top
        .stdout
        .lines()
        .filter(|l| l.starts_with("  ") && l.trim().len() > 3)
    {
        let code = line.split_whitespace().next().unwrap_or("");
        if code.parse::<u8>().is_ok() {
            assert!(
                readme.contains(&format!("| {code} |")),
                "exit code {code} is in the README's table"
            );
        }
    }
}

#[test]
fn committed_schemas_are_the_binarys() {
    for name in [
        "token",
        "list",
        "create",
        "revoke",
        "audit",
        "rotate",
        "error",
        "automation-token",
        "automation-list",
        "automation-create",
        "plan",
        "apply",
        "triage",
    ] {
        let mut cmd = bin();
        cmd.args(["schema", name]);
        let out = run(cmd, None);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let path = format!("{}/schemas/{name}.schema.json", env!("CARGO_MANIFEST_DIR"));
        if std::env::var_os("FASTLY_TOKENS_BLESS").is_some() {
            std::fs::write(&path, &out.stdout).expect("write schema");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            committed, out.stdout,
            "schemas/{name}.schema.json is out of date; rerun with FASTLY_TOKENS_BLESS=1 and review"
        );
    }
}

#[test]
fn the_api_token_never_appears_in_any_output() {
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").clone();
    let ids = fake.add_tokens("alice", 2);
    let mut outputs = Vec::new();
    let commands: Vec<Vec<&str>> = vec![
        vec!["current"],
        vec!["current", "--json"],
        vec!["list"],
        vec!["list", "--json"],
        vec!["show", &ids[0]],
        vec!["show", "NoSuchToken00000000000"],
        vec!["show", "NoSuchToken00000000000", "--json"],
        vec!["audit", "--json"],
        vec!["revoke", &ids[0], "--dry-run"],
        vec!["revoke", &ids[1], "--yes", "--json"],
        vec!["revoke", "5eEdTok000000000000000", "--yes"],
        vec![
            "create",
            "--name",
            "x",
            "--scope",
            "global:read",
            "--no-expiry",
        ],
        vec!["rotate", "--current", "--dry-run", "--no-expiry", "--json"],
        vec!["list", "--customer", "nope/../x"],
        vec!["--help"],
    ];
    for args in &commands {
        let out = against(&fake, &alice.key, args, None);
        outputs.push(format!("{args:?}\n{}\n{}", out.stdout, out.stderr));
    }
    // The same key passed as a flag (discouraged, but possible), with a failing call.
    let mut cmd = bin();
    cmd.args([
        "--token",
        &alice.key,
        "--endpoint",
        "http://127.0.0.1:1",
        "current",
    ]);
    let out = run(cmd, None);
    outputs.push(format!("{}\n{}", out.stdout, out.stderr));
    let all = outputs.join("\n");
    assert!(!all.contains(&alice.key), "the API token leaked:\n{all}");
    assert!(!all.contains(&alice.password));
    assert_cli_words(&all);
}

// ---------------------------------------------------------------------------------------------
// Automation tokens.
// ---------------------------------------------------------------------------------------------

#[test]
fn automation_list_show_and_create_against_the_fake() {
    let human = fake(&["automation", "list"]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    insta::assert_snapshot!("automation_list", human.stdout);
    let json = fake(&["automation", "list", "--json"]);
    let parsed = valid("automation-list", &json.stdout);
    assert_eq!(parsed.as_array().map(Vec::len), Some(2));
    assert_eq!(parsed[0]["scope"], "global");
    let show = fake(&["automation", "show", "5eEdAuto01000000000000", "--json"]);
    assert_eq!(show.code, 0, "{}", show.stderr);
    let token = valid("automation-token", &show.stdout);
    assert_eq!(token["name"], "deploy");
    let missing = fake(&["automation", "show", "NoSuchAutomation000000"]);
    assert_eq!(missing.code, 4, "{}", missing.stderr);
    assert!(
        missing
            .stderr
            .contains("reading the automation token failed"),
        "{}",
        missing.stderr
    );

    let refused = fake(&["automation", "create", "--name", "x", "--no-expiry"]);
    assert_eq!(refused.code, 2, "no scope: {}", refused.stderr);
    let refused = fake(&["automation", "create", "--name", "x", "--scope", ""]);
    assert_eq!(refused.code, 2, "empty scope: {}", refused.stderr);
    let created = fake(&[
        "automation",
        "create",
        "--name",
        "ci",
        "--role",
        "engineer",
        "--scope",
        "purge_select",
        "--expires-in",
        "30d",
        "--json",
    ]);
    assert_eq!(created.code, 0, "{}", created.stderr);
    let doc = valid("automation-create", &created.stdout);
    assert_eq!(doc["token"]["role"], "engineer");
    assert_eq!(
        doc["token"]["last_used_at"],
        serde_json::Value::Null,
        "the \"\" sentinel is null"
    );
    assert_eq!(doc["access_token"].as_str().map(str::len), Some(32));
}

#[test]
fn automation_create_needs_a_superuser_in_sudo_and_says_so() {
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").clone();
    let root = fake.seed().user("root").clone();
    let create = |key: &str, login: &str, password: &str| {
        against(
            &fake,
            key,
            &[
                "automation",
                "create",
                "--name",
                "x",
                "--scope",
                "global:read",
                "--no-expiry",
                "--username",
                login,
                "--password-stdin",
            ],
            Some(&format!("{password}\n")),
        )
    };
    let out = create(&alice.key, &alice.login, &alice.password);
    assert_eq!(out.code, 3, "not a superuser: {}", out.stderr);
    let wrong = create(&root.key, &root.login, "wrong-password");
    assert_eq!(
        wrong.code, 3,
        "a wrong sudo password is auth: {}",
        wrong.stderr
    );
    assert!(
        wrong.stderr.contains("entering sudo mode failed"),
        "{}",
        wrong.stderr
    );
    let before = fake.live_tokens();
    let ok = create(&root.key, &root.login, &root.password);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert_eq!(fake.live_tokens(), before + 1);
    assert!(!ok.stdout.contains(&root.password) && !ok.stderr.contains(&root.password));
    assert_cli_words(&format!("{}{}{}", out.stderr, wrong.stderr, ok.stderr));
}

#[test]
fn automation_revoke_and_mixed_revoke_from_file_and_audit_cover_both_kinds() {
    let (_rt, fake) = started();
    let root = fake.seed().user("root").key.clone();
    let automation = fake.add_automation_tokens(3);
    let users = fake.add_tokens("root", 2);

    let dry = against(
        &fake,
        &root,
        &[
            "automation",
            "revoke",
            &automation[0],
            &automation[0],
            "--dry-run",
            "--json",
        ],
        None,
    );
    let doc = valid("revoke", &dry.stdout);
    assert_eq!(doc["would_revoke"], 1);
    assert_eq!(doc["duplicates"].as_array().map(Vec::len), Some(1));
    assert!(
        doc["results"][0]["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("automation-"))
    );
    let done = against(
        &fake,
        &root,
        &["automation", "revoke", &automation[0], "--yes", "--json"],
        None,
    );
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert_eq!(valid("revoke", &done.stdout)["revoked"], 1);
    assert!(!fake.is_live(&automation[0]));

    let audit = against(&fake, &root, &["audit", "--json"], None);
    let report = valid("audit", &audit.stdout);
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["kind"] == "automation"),
        "{report}"
    );

    // One file, both kinds: each revoked through its own path, one result per id.
    let file = std::env::temp_dir().join(format!("fastly-tokens-mixed-{}.txt", std::process::id()));
    std::fs::write(
        &file,
        format!(
            "{}\n{}\n{}\n{}\n",
            users[0], automation[1], users[1], automation[2]
        ),
    )
    .expect("write");
    let path = file.to_str().expect("path");
    let out = against(
        &fake,
        &root,
        &["revoke", "--from-file", path, "--yes", "--json"],
        None,
    );
    let _ = std::fs::remove_file(&file);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let doc = valid("revoke", &out.stdout);
    assert_eq!(doc["revoked"], 4);
    assert_eq!(doc["results"][1]["id"], automation[1].as_str());
    assert!(
        doc["results"][1]["name"]
            .as_str()
            .is_some_and(|n| n.ends_with("(automation)"))
    );
    assert!(
        users
            .iter()
            .chain(&automation[1..])
            .all(|id| !fake.is_live(id))
    );
}

// ---------------------------------------------------------------------------------------------
// Conventions: the Fastly CLI's stored tokens, completions, man page.
// ---------------------------------------------------------------------------------------------

#[test]
fn the_fastly_clis_stored_token_is_used_and_never_mixed_with_another() {
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").key.clone();
    let bob = fake.seed().user("bob").key.clone();
    let dir = std::env::temp_dir().join(format!("fastly-tokens-profile-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("fastly")).expect("dir");
    std::fs::write(
        dir.join("fastly/config.toml"),
        format!(
            "config_version = 5\n[auth]\ndefault = \"alice\"\n[auth.tokens.alice]\ntype = \"static\"\ntoken = \"{alice}\"\n\n[profile.bob]\ndefault = false\ntoken = \"{bob}\"\n"
        ),
    )
    .expect("config");
    let config = dir.join("fastly/config.toml");
    let chmod = |mode: u32| {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    chmod(0o600);
    let cli = |args: &[&str], env_token: Option<&str>| {
        let mut cmd = bin();
        cmd.env("XDG_CONFIG_HOME", &dir)
            .args(["--endpoint", fake.base_url()])
            .args(args);
        if let Some(t) = env_token {
            cmd.env("FASTLY_API_TOKEN", t);
        }
        run(cmd, None)
    };
    let default = cli(&["current", "--json"], None);
    assert_eq!(default.code, 0, "{}", default.stderr);
    assert_eq!(valid("token", &default.stdout)["name"], "alice-global");
    let named = cli(&["--profile", "bob", "current", "--json"], None);
    assert_eq!(named.code, 0, "{}", named.stderr);
    assert_eq!(valid("token", &named.stdout)["name"], "bob-global");
    // FASTLY_API_TOKEN beats the default; with an explicit --profile it is a usage error.
    let env = cli(&["current", "--json"], Some(&bob));
    assert_eq!(valid("token", &env.stdout)["name"], "bob-global");
    let both = cli(&["--profile", "bob", "current"], Some(&alice));
    assert_eq!(both.code, 2, "{}", both.stderr);
    let unknown = cli(&["--profile", "carol", "current"], None);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("profiles: alice, bob"),
        "{}",
        unknown.stderr
    );
    // A file others may read is refused, as ssh refuses such a key; one its group may read is
    // used with a warning.
    chmod(0o644);
    let open = cli(&["current", "--json"], None);
    assert_eq!(open.code, 2, "{}", open.stderr);
    assert!(open.stderr.contains("chmod 600"), "{}", open.stderr);
    assert!(open.stdout.is_empty());
    chmod(0o640);
    let group = cli(&["current", "--json"], None);
    assert_eq!(group.code, 0, "{}", group.stderr);
    assert!(
        group.stderr.contains("warning:") && group.stderr.contains("its group may read it"),
        "{}",
        group.stderr
    );
    for out in [&default, &named, &env, &both, &unknown, &open, &group] {
        assert!(!out.stdout.contains(&alice) && !out.stderr.contains(&alice));
        assert!(!out.stdout.contains(&bob) && !out.stderr.contains(&bob));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn completions_and_the_man_page_come_from_the_command_definition() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let mut cmd = bin();
        cmd.args(["completions", shell]);
        let out = run(cmd, None);
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        assert!(
            out.stdout.contains("automation"),
            "{shell} completes subcommands"
        );
    }
    let mut cmd = bin();
    cmd.arg("man");
    let man = run(cmd, None);
    assert_eq!(man.code, 0, "{}", man.stderr);
    assert!(man.stdout.starts_with(".ie") || man.stdout.contains(".TH fastly-tokens 1"));
    assert!(
        man.stdout.contains("FASTLY_API_TOKEN"),
        "the man page documents the token"
    );
}

// ---------------------------------------------------------------------------------------------
// Workflows: leaked-key triage, offboarding.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_leaked_key_is_identified_and_revoked_without_knowing_its_id() {
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").key.clone();
    let writer = fake.seed().token("ci-purge").clone();
    let reader = fake.seed().token("dashboards").clone();

    // whois: the key on stdin, never printed.
    let who = against(
        &fake,
        &alice,
        &["whois", "--secret-stdin", "--json"],
        Some(&writer.key),
    );
    assert_eq!(who.code, 0, "{}", who.stderr);
    assert_eq!(valid("token", &who.stdout)["id"], writer.id.as_str());
    assert!(!who.stdout.contains(&writer.key) && !who.stderr.contains(&writer.key));
    let unknown = against(
        &fake,
        &alice,
        &["whois", "--secret-stdin"],
        Some("not-a-key"),
    );
    assert_eq!(unknown.code, 3, "{}", unknown.stderr);

    // A key that may revoke itself does, through /tokens/self.
    let dry = against(
        &fake,
        &alice,
        &["revoke", "--secret-stdin", "--dry-run", "--json"],
        Some(&writer.key),
    );
    assert_eq!(valid("revoke", &dry.stdout)["would_revoke"], 1);
    assert!(fake.is_live(&writer.id));
    let out = against(
        &fake,
        &alice,
        &["revoke", "--secret-stdin", "--yes", "--json"],
        Some(&writer.key),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = valid("revoke", &out.stdout);
    assert_eq!(doc["results"][0]["via"], "self");
    assert!(!fake.is_live(&writer.id));

    // A read-only key may not: the caller's own token revokes it by id.
    let out = against(
        &fake,
        &alice,
        &["revoke", "--secret-stdin", "--yes", "--json"],
        Some(&reader.key),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = valid("revoke", &out.stdout);
    assert_eq!(doc["results"][0]["via"], "by-id");
    assert_eq!(doc["results"][0]["id"], reader.id.as_str());
    assert!(!fake.is_live(&reader.id));
    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains(&reader.key));
    }
    // A secret never goes in an argument.
    let mut cmd = bin();
    cmd.args(["whois", &reader.key]);
    assert_eq!(run(cmd, None).code, 2);
}

#[test]
fn offboarding_revokes_every_token_of_a_user() {
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").key.clone();
    let bob = fake.seed().user("bob").clone();
    let bobs: Vec<String> = bob.tokens.iter().map(|t| t.id.clone()).collect();
    let dry = against(
        &fake,
        &alice,
        &["revoke", "--user", &bob.id, "--dry-run", "--json"],
        None,
    );
    let doc = valid("revoke", &dry.stdout);
    assert_eq!(doc["would_revoke"], bobs.len());
    assert!(
        doc["results"][0]["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("bob-"))
    );
    assert!(
        bobs.iter().all(|id| fake.is_live(id)),
        "a dry run changes nothing"
    );
    let out = against(
        &fake,
        &alice,
        &["revoke", "--user", &bob.id, "--yes", "--json"],
        None,
    );
    // alice is an admin but not a superuser: Fastly lets users revoke only their own tokens.
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    let root = fake.seed().user("root").key.clone();
    let out = against(
        &fake,
        &root,
        &["revoke", "--user", &bob.id, "--yes", "--json"],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(valid("revoke", &out.stdout)["revoked"], bobs.len());
    assert!(bobs.iter().all(|id| !fake.is_live(id)));
    let none = against(
        &fake,
        &root,
        &["revoke", "--user", &bob.id, "--yes", "--json"],
        None,
    );
    assert_eq!(none.code, 0);
    assert_eq!(
        valid("revoke", &none.stdout)["results"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
}

// ---------------------------------------------------------------------------------------------
// exec: a token that lives as long as one command.
// ---------------------------------------------------------------------------------------------

fn exec_args<'a>(alice: &'a fastly_tokens_fake::SeedUser, command: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "exec",
        "--ttl",
        "15m",
        "--scope",
        "purge_select",
        "--username",
        &alice.login,
        "--password-stdin",
        "--otp",
        "123456",
        "--",
    ];
    args.extend_from_slice(command);
    args
}

#[test]
fn exec_gives_the_command_a_token_revokes_it_and_exits_with_its_status() {
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").clone();
    let before = fake.live_tokens();
    // The command sees a working token in FASTLY_API_TOKEN: it asks the API who it is.
    let me = env!("CARGO_BIN_EXE_fastly-tokens");
    let endpoint = fake.base_url().to_string();
    let script = format!("{me} --endpoint {endpoint} current --json && exit 7");
    let out = against(
        &fake,
        &alice.key,
        &exec_args(&alice, &["sh", "-c", &script]),
        Some(&format!("{}\n", alice.password)),
    );
    assert_eq!(out.code, 7, "the command's status: {}", out.stderr);
    let token = valid("token", &out.stdout);
    assert_eq!(token["name"], "fastly-tokens exec");
    assert_eq!(token["scope"], "purge_select");
    assert!(token["expires_at"].is_string(), "it expires after the TTL");
    assert_eq!(fake.live_tokens(), before, "revoked when the command ended");
    assert!(!fake.is_live(token["id"].as_str().expect("id")));

    let failed = against(
        &fake,
        &alice.key,
        &exec_args(&alice, &["sh", "-c", "exit 3"]),
        Some(&format!("{}\n", alice.password)),
    );
    assert_eq!(failed.code, 3);
    assert_eq!(fake.live_tokens(), before, "revoked after a failure too");
    let missing = against(
        &fake,
        &alice.key,
        &exec_args(&alice, &["no-such-command-here"]),
        Some(&format!("{}\n", alice.password)),
    );
    assert_eq!(
        missing.code, 127,
        "as a shell says not found: {}",
        missing.stderr
    );
    assert!(
        missing.stderr.contains("command not found"),
        "{}",
        missing.stderr
    );
    assert!(missing.stderr.contains("was revoked"), "{}", missing.stderr);
    assert_eq!(fake.live_tokens(), before);

    // The create's answer is cut short before the secret: a token may exist that nobody can
    // use; the command is not run, and the exit class says to look (6), not "server" (8).
    fake.inject_matching("POST", "/tokens", Fault::TruncateBody, 1);
    let cut = against(
        &fake,
        &alice.key,
        &exec_args(&alice, &["sh", "-c", "echo ran"]),
        Some(&format!("{}\n", alice.password)),
    );
    assert_eq!(cut.code, 6, "{}", cut.stderr);
    assert!(!cut.stdout.contains("ran"), "the command did not run");
    assert!(cut.stderr.contains("fastly-tokens list"), "{}", cut.stderr);
}

// ---------------------------------------------------------------------------------------------
// rotate into a secret store.
// ---------------------------------------------------------------------------------------------

#[test]
fn rotate_faults_before_the_hand_off_leave_the_old_token_working() {
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").clone();
    let old = fake.seed().token("ci-purge").id.clone();
    let one = format!("/tokens/{old}");
    // (step, method, path prefix, fault, exit code, tokens created)
    let steps: [(&str, &str, &str, Fault, i32, usize); 4] = [
        ("who am I", "GET", "/tokens/self", Fault::Status(503), 8, 0),
        (
            "look up the old token",
            "GET",
            &one,
            Fault::Status(404),
            4,
            0,
        ),
        ("create", "POST", "/tokens", Fault::Status(503), 8, 0),
        (
            "create, answer cut short",
            "POST",
            "/tokens",
            Fault::TruncateBody,
            6,
            1,
        ),
    ];
    for (step, method, path, fault, code, created) in steps {
        fake.clear_faults();
        fake.inject_matching(method, path, fault, 3);
        let before = fake.live_tokens();
        let out = rotate(
            &fake,
            &alice.key,
            &["rotate", &old, "--yes"],
            &alice.password,
        );
        assert_eq!(out.code, code, "{step}: {}\n{}", out.stdout, out.stderr);
        assert!(fake.is_live(&old), "{step}: the old token still works");
        assert_eq!(fake.live_tokens(), before + created, "{step}");
        // Once the create was sent, the output says what became of the old token.
        if method == "POST" {
            assert!(
                out.stderr.contains(&format!("{old} still works"))
                    || out.stderr.contains(&format!("{old} was not revoked")),
                "{step}: says the old token is kept: {}",
                out.stderr
            );
        }
        assert!(!out.stdout.contains(&alice.password) && !out.stderr.contains(&alice.password));
        assert_cli_words(&out.stderr);
    }
}

#[test]
fn rotate_with_a_new_token_that_does_not_work_keeps_the_old_one() {
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").clone();
    let old = fake.seed().token("ci-purge").id.clone();
    // The first `GET /tokens/self` checks the caller; the second verifies the new token.
    fake.inject_matching_after("GET", "/tokens/self", 1, Fault::Status(401), 1);
    let before = fake.live_tokens();
    let out = rotate(
        &fake,
        &alice.key,
        &["rotate", &old, "--yes"],
        &alice.password,
    );
    assert_eq!(out.code, 6, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("does not work"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("the old token {old} still works")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("was revoked"), "{}", out.stderr);
    assert!(fake.is_live(&old));
    assert_eq!(
        fake.live_tokens(),
        before,
        "a new token that does not work is revoked (by id: its own key cannot)"
    );
    assert!(!out.stdout.contains("shown only once"), "{}", out.stdout);

    // The same with a hand-off: nothing reaches the file.
    let file =
        std::env::temp_dir().join(format!("fastly-tokens-verify-{}.token", std::process::id()));
    let _ = std::fs::remove_file(&file);
    fake.inject_matching_after("GET", "/tokens/self", 1, Fault::Status(401), 1);
    let before = fake.live_tokens();
    let handed = rotate(
        &fake,
        &alice.key,
        &[
            "rotate",
            &old,
            "--yes",
            "--write-to",
            file.to_str().expect("utf-8"),
        ],
        &alice.password,
    );
    assert_eq!(handed.code, 6, "{}\n{}", handed.stdout, handed.stderr);
    assert!(
        handed.stderr.contains("the new token ") && handed.stderr.contains(" was revoked"),
        "{}",
        handed.stderr
    );
    assert!(fake.is_live(&old));
    assert_eq!(fake.live_tokens(), before, "the new token was revoked");
    assert!(!file.exists(), "nothing was handed over");
    assert!(!handed.stdout.contains("shown only once"));
}

#[test]
fn rotate_writes_the_new_secret_to_a_file_or_a_command_before_revoking() {
    use std::os::unix::fs::PermissionsExt as _;
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").clone();
    let dir = std::env::temp_dir().join(format!("fastly-tokens-rotate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("token");
    std::fs::write(&file, "old secret").expect("existing file");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let path = file.to_str().expect("path");

    // --write-to: replaced whole keeping the file's mode, the secret never on stdout; the old
    // token revoked.
    let old = fake.seed().token("ci-purge").id.clone();
    let out = rotate(
        &fake,
        &alice.key,
        &["rotate", &old, "--yes", "--write-to", path, "--json"],
        &alice.password,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = valid("rotate", &out.stdout);
    assert!(
        doc["new"].get("access_token").is_none(),
        "not on stdout: {doc}"
    );
    assert!(
        doc["handed_to"]
            .as_str()
            .is_some_and(|h| h.starts_with("file "))
    );
    assert_eq!(doc["old"]["status"], "revoked");
    let secret = std::fs::read_to_string(&file).expect("written");
    assert_eq!(secret.len(), 32);
    assert_eq!(
        std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777,
        0o640,
        "an existing file keeps its mode"
    );
    assert!(!out.stdout.contains(&secret) && !out.stderr.contains(&secret));
    let works = against(&fake, &secret, &["current", "--json"], None);
    assert_eq!(works.code, 0, "the written secret works");
    assert!(!fake.is_live(&old));
    assert!(
        std::fs::read_dir(&dir).expect("dir").count() == 1,
        "no temporary file left"
    );

    // --exec: the secret on the command's stdin; a failing command revokes the new token and
    // keeps the old one.
    let old = fake.seed().token("dashboards").id.clone();
    let before = fake.live_tokens();
    let out = rotate(
        &fake,
        &alice.key,
        &[
            "rotate",
            &old,
            "--yes",
            "--no-expiry",
            "--exec",
            "cat > /dev/null; exit 9",
        ],
        &alice.password,
    );
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert!(
        out.stderr.contains("handing the new secret over failed"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("revoked"), "{}", out.stderr);
    assert!(fake.is_live(&old), "the old token is kept");
    assert_eq!(fake.live_tokens(), before, "the new token is gone");
    let captured = dir.join("captured");
    let command = format!("cat > {}", captured.display());
    let out = rotate(
        &fake,
        &alice.key,
        &[
            "rotate",
            &old,
            "--yes",
            "--no-expiry",
            "--exec",
            &command,
            "--keep-old",
        ],
        &alice.password,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("kept the old token"), "{}", out.stdout);
    assert!(fake.is_live(&old), "--keep-old");
    let handed = std::fs::read_to_string(&captured).expect("the command got the secret");
    let works = against(&fake, &handed, &["current", "--json"], None);
    assert_eq!(works.code, 0);
    assert!(!out.stdout.contains(&handed));
    let _ = std::fs::remove_dir_all(&dir);
}
