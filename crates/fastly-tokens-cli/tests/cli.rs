//! The `fastly-tokens` binary end to end: against its own `--fake` (snapshots, with a fixed clock)
//! and against a fake started here (exit codes, injected failures, secrets).

use std::io::Write;
use std::process::{Command, Output, Stdio};

use fastly_tokens_fake::{FakeFastly, Fault};

const NOW: &str = "2026-11-22T12:00:00Z";

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fastly-tokens"));
    cmd.env_remove("FASTLY_API_TOKEN").env("NO_COLOR", "1");
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
        pipe.write_all(input.as_bytes()).expect("stdin");
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

/// Against a fake started by the test, with `key` in FASTLY_API_TOKEN.
fn against(fake: &FakeFastly, key: &str, args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = bin();
    cmd.env("FASTLY_API_TOKEN", key)
        .args(["--endpoint", fake.base_url(), "--now", NOW])
        .args(args);
    run(cmd, stdin)
}

#[test]
fn current_human_and_json() {
    let human = fake(&["current"]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    insta::assert_snapshot!("current", human.stdout);
    let json = fake(&["current", "--json"]);
    assert_eq!(json.code, 0);
    insta::assert_snapshot!("current_json", json.stdout);
}

#[test]
fn list_human_and_json() {
    let human = fake(&["list"]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    insta::assert_snapshot!("list", human.stdout);
    let json = fake(&["list", "--json"]);
    let parsed: serde_json::Value = serde_json::from_str(&json.stdout).expect("valid JSON");
    assert_eq!(parsed.as_array().map(Vec::len), Some(5));
    let customer = fake(&["list", "--customer", "5eEdCustomer0000000001"]);
    assert_eq!(customer.code, 0);
    assert_eq!(
        customer.stdout.lines().count(),
        9,
        "header + 8 tokens:\n{}",
        customer.stdout
    );
}

#[test]
fn show_one_token() {
    let out = fake(&["show", "5eEdTok020000000000000"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!("show", out.stdout);
    let missing = fake(&["show", "NoSuchToken00000000000"]);
    assert_eq!(missing.code, 4, "not found: {}", missing.stderr);
    assert!(
        missing
            .stderr
            .starts_with("error: get_token failed: Fastly answered 404"),
        "{}",
        missing.stderr
    );
    assert_eq!(missing.stderr.lines().count(), 1, "one line");
    let invalid = fake(&["show", "../tokens"]);
    assert_eq!(invalid.code, 2, "{}", invalid.stderr);
}

#[test]
fn audit_reports_seeded_findings_and_gates_ci() {
    let out = fake(&["audit"]);
    assert_eq!(out.code, 1, "findings exit 1: {}", out.stderr);
    insta::assert_snapshot!("audit", out.stdout);
    let json = fake(&["audit", "--json"]);
    assert_eq!(json.code, 1);
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
    let parsed: serde_json::Value = serde_json::from_str(&relaxed.stdout).expect("json");
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
    let json = fake(&["create", "--name", "ci", "--json"]);
    let parsed: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(parsed["access_token"].as_str().map(str::len), Some(32));
    assert_eq!(parsed["token"]["name"], "ci");
}

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
    insta::assert_snapshot!("revoke_json", json.stdout);

    let current = fake(&["revoke", "--current", "--yes"]);
    assert_eq!(current.code, 0, "{}", current.stderr);
    assert!(current.stdout.contains("the token in use"));
}

#[test]
fn revoke_from_file_reports_partial_failure() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let fake = rt.block_on(fastly_tokens_fake::start()).expect("fake");
    let _guard = rt.enter();
    let alice = fake.seed().user("alice").key.clone();
    let bobs = fake.seed().token("bob-global").id.clone();
    let mine = fake.add_tokens("alice", 2);
    let file = std::env::temp_dir().join(format!("fastly-tokens-ids-{}.txt", std::process::id()));
    std::fs::write(
        &file,
        format!(
            "# stale tokens\n{}\n\n{}  # second\n{bobs}\n",
            mine[0], mine[1]
        ),
    )
    .expect("write");
    let out = against(
        &fake,
        &alice,
        &[
            "revoke",
            "--from-file",
            file.to_str().expect("path"),
            "--yes",
        ],
        None,
    );
    let _ = std::fs::remove_file(&file);
    assert_eq!(
        out.code, 6,
        "partial failure: {}\n{}",
        out.stdout, out.stderr
    );
    assert_eq!(out.stdout.matches("revoked ").count(), 2, "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!("FAILED        {bobs}")),
        "{}",
        out.stdout
    );
    assert!(fake.is_live(&bobs));
    assert!(!fake.is_live(&mine[0]) && !fake.is_live(&mine[1]));
}

#[test]
fn rotate_with_a_failure_between_create_and_revoke_says_what_state_things_are_in() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let fake = rt.block_on(fastly_tokens_fake::start()).expect("fake");
    let alice = fake.seed().user("alice").clone();
    let old = fake.seed().token("ci-purge").id.clone();
    // The revoke of the old token fails on every attempt.
    fake.inject_matching("DELETE", "/tokens/", Fault::Status(503), 3);
    let before = fake.live_tokens();
    let out = against(
        &fake,
        &alice.key,
        &[
            "rotate",
            &old,
            "--username",
            &alice.login,
            "--password-stdin",
            "--otp",
            "123456",
        ],
        Some(&format!("{}\n", alice.password)),
    );
    assert_eq!(out.code, 6, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("shown only once"),
        "the new secret is printed before the revoke"
    );
    assert!(
        out.stderr
            .contains("Both tokens work now; revoke the old one with `fastly-tokens revoke"),
        "{}",
        out.stderr
    );
    assert!(fake.is_live(&old), "old token untouched");
    assert_eq!(fake.live_tokens(), before + 1, "the new token exists");
    assert!(!out.stdout.contains(&alice.password) && !out.stderr.contains(&alice.password));

    // Without the fault, rotate completes and the old token is gone.
    let ok = against(
        &fake,
        &alice.key,
        &[
            "rotate",
            &old,
            "--username",
            &alice.login,
            "--password-stdin",
            "--otp",
            "123456",
            "--json",
        ],
        Some(&format!("{}\n", alice.password)),
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(!fake.is_live(&old));
    let parsed: serde_json::Value = serde_json::from_str(&ok.stdout).expect("json");
    assert_eq!(parsed["token"]["name"], "ci-purge");
    assert_eq!(parsed["token"]["scope"], "purge_select global:read");
}

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
    assert!(limited.stderr.contains("until"), "{}", limited.stderr);

    let mut cmd = bin();
    cmd.env("FASTLY_API_TOKEN", "k")
        .args(["--endpoint", "http://127.0.0.1:1", "current"]);
    let network = run(cmd, None);
    assert_eq!(network.code, 7, "{}", network.stderr);

    let mut cmd = bin();
    cmd.args(["current"]);
    let no_token = run(cmd, None);
    assert_eq!(no_token.code, 2);
    assert!(
        no_token.stderr.contains("no API token"),
        "{}",
        no_token.stderr
    );

    let usage = fake_usage(&["create"]);
    assert_eq!(usage, 2, "missing --name");
}

fn fake_usage(args: &[&str]) -> i32 {
    fake(args).code
}

#[test]
fn every_command_has_help_with_an_example() {
    for command in [
        "current", "list", "show", "create", "revoke", "audit", "rotate",
    ] {
        let mut cmd = bin();
        cmd.args([command, "--help"]);
        let out = run(cmd, None);
        assert_eq!(out.code, 0);
        assert!(out.stdout.contains("Example:"), "{command}: {}", out.stdout);
    }
    let mut cmd = bin();
    cmd.arg("--help");
    let top = run(cmd, None);
    assert!(top.stdout.contains("Exit codes:"), "{}", top.stdout);
}

#[test]
fn the_api_token_never_appears_in_any_output() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let fake = rt.block_on(fastly_tokens_fake::start()).expect("fake");
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
        vec!["audit", "--json"],
        vec!["revoke", &ids[0], "--dry-run"],
        vec!["revoke", &ids[1], "--yes", "--json"],
        vec!["revoke", "5eEdTok000000000000000", "--yes"],
        vec!["create", "--name", "x"],
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
}
