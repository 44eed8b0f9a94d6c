//! The smaller promises of the CLI trust work: usage errors as JSON, capped secrets on stdin,
//! the token in use never revoked by accident, another user's token never rotated silently, a
//! closed stdout that cannot change `audit`'s verdict, a full stdout that is never success.

use std::process::Stdio;

use super::*;

/// Runs the CLI against `fake` with `key`, `stdin` written to it, and stdout sent to `stdout`
/// (`None`: a pipe whose reader is already closed). The exit code and stderr.
fn minting(
    fake: &FakeFastly,
    key: &str,
    args: &[&str],
    stdin: &str,
    stdout: Option<Stdio>,
) -> (Option<i32>, String) {
    let mut cmd = bin();
    cmd.env("FASTLY_API_TOKEN", key)
        .args(["--endpoint", fake.base_url()])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(stdout.unwrap_or_else(Stdio::piped))
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("runs");
    drop(child.stdout.take());
    if let Some(mut pipe) = child.stdin.take() {
        let _ = pipe.write_all(stdin.as_bytes());
    }
    let out = child.wait_with_output().expect("finishes");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn with_json_every_error_is_the_error_document_usage_included() {
    for args in [
        &["--json", "create", "--name", "x", "--no-expiry"][..],
        &["--json", "show"],
        &["--json", "audit", "--kind", "everything"],
        &["--json", "no-such-command"],
        &[
            "--json",
            "create",
            "--name",
            "",
            "--scope",
            "global:read",
            "--no-expiry",
        ],
    ] {
        let out = fake(args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}");
        let doc = valid("error", out.stderr.trim());
        assert_eq!(doc["error"]["class"], "usage", "{args:?}");
        assert_eq!(doc["error"]["exit_code"], 2, "{args:?}");
        assert!(!doc["error"]["message"].as_str().unwrap_or("").is_empty());
    }
    // --help is still help.
    let help = fake(&["--json", "--help"]);
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("Exit codes:"));
}

#[test]
fn a_secret_on_stdin_is_capped_before_anything_is_sent() {
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").clone();
    let huge = "k".repeat(1 << 20);
    for args in [
        &["whois", "--secret-stdin"][..],
        &["revoke", "--secret-stdin", "--yes"],
    ] {
        fake.clear_requests();
        let out = against(&fake, &alice.key, args, Some(&huge));
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("longer than 4096 bytes"),
            "{}",
            out.stderr
        );
        assert!(
            fake.requests().is_empty(),
            "nothing was sent: {:?}",
            fake.requests()
        );
    }
}

#[test]
fn revoking_the_key_in_use_by_its_secret_needs_current() {
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").clone();
    let before = fake.live_tokens();
    let out = against(
        &fake,
        &alice.key,
        &["revoke", "--secret-stdin", "--yes"],
        Some(&alice.key),
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("the token in use") && out.stderr.contains("--current"),
        "{}",
        out.stderr
    );
    assert_eq!(fake.live_tokens(), before, "nothing was revoked");
    let out = against(
        &fake,
        &alice.key,
        &["revoke", "--secret-stdin", "--current", "--yes", "--json"],
        Some(&alice.key),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(valid("revoke", &out.stdout)["revoked"], 1);
    assert_eq!(fake.live_tokens(), before - 1);
    assert!(!out.stdout.contains(&alice.key) && !out.stderr.contains(&alice.key));
}

#[test]
fn rotating_another_users_token_needs_change_owner_and_the_plan_says_so() {
    let (_rt, fake) = started();
    let root = fake.seed().user("root").clone();
    let alice = fake.seed().user("alice").clone();
    let old = fake.seed().token("ci-purge").id.clone();
    let with_root = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--username", &root.login, "--password-stdin"]);
        against(
            &fake,
            &root.key,
            &all,
            Some(&format!("{}\n", root.password)),
        )
    };
    let refused = with_root(&["rotate", &old, "--yes"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains(&format!("belongs to user {}", alice.id)),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("--change-owner"),
        "{}",
        refused.stderr
    );
    assert!(fake.is_live(&old));
    let plan = with_root(&["rotate", &old, "--dry-run", "--change-owner"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout.contains(&format!("owner {}", alice.id)),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("owner changes"), "{}", plan.stdout);
    let json = with_root(&["rotate", &old, "--dry-run", "--change-owner", "--json"]);
    let doc = valid("rotate", &json.stdout);
    assert_eq!(doc["plan"]["old_owner"], alice.id.as_str());
    assert_eq!(doc["plan"]["owner"], root.id.as_str());
}

#[test]
fn a_closed_stdout_keeps_audits_findings_and_a_full_one_is_never_success() {
    // `audit | head` cannot turn findings into a pass.
    for args in [&["audit"][..], &["audit", "--json"]] {
        let mut cmd = bin();
        cmd.args(["--fake", "--now", NOW])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("runs");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("finishes");
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // stdout on a full disk: a local failure (9), not a success and not a server error.
    for args in [&["list"][..], &["audit"], &["schema", "revoke"]] {
        let mut cmd = bin();
        cmd.args(["--fake", "--now", NOW])
            .args(args)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create("/dev/full").expect("/dev/full"))
            .stderr(Stdio::piped());
        let out = cmd.output().expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(9), "{args:?}: {stderr}");
        assert!(stderr.contains("cannot write to stdout"), "{stderr}");
    }
    // A created token whose secret hits a full disk is revoked, and said so.
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").clone();
    let before = fake.live_tokens();
    let full = std::fs::File::create("/dev/full").expect("/dev/full");
    let (code, stderr) = minting(
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
        &format!("{}\n", alice.password),
        Some(Stdio::from(full)),
    );
    assert_eq!(code, Some(6), "{stderr}");
    assert!(
        stderr.contains("No space left on device") && stderr.contains("was revoked"),
        "{stderr}"
    );
    assert_eq!(fake.live_tokens(), before);

    // The same for an automation token, its secret cut off by a closed stdout.
    let root = fake.seed().user("root").clone();
    let before = fake.live_tokens();
    let (code, stderr) = minting(
        &fake,
        &root.key,
        &[
            "automation",
            "create",
            "--name",
            "ci",
            "--scope",
            "global:read",
            "--no-expiry",
            "--username",
            &root.login,
            "--password-stdin",
        ],
        &format!("{}\n", root.password),
        None,
    );
    assert_eq!(code, Some(6), "{stderr}");
    assert!(
        stderr.contains("could not be written to stdout") && stderr.contains("was revoked"),
        "{stderr}"
    );
    assert_eq!(
        fake.live_tokens(),
        before,
        "the automation token was revoked"
    );
}

#[test]
fn loopback_is_never_reached_through_an_environment_proxy() {
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").clone();
    let mut cmd = bin();
    // A proxy nobody listens on, named the ways CI runners name it.
    for var in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env(var, "http://127.0.0.1:9");
    }
    cmd.env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env("FASTLY_API_TOKEN", &alice.key)
        .args(["--endpoint", fake.base_url(), "current", "--json"]);
    let out = run(cmd, None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(valid("token", &out.stdout)["name"], "alice-global");
}

#[test]
fn a_secret_is_never_printed_where_it_is_lost_or_echoed() {
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").clone();
    let old = fake.seed().token("ci-purge").id.clone();
    let otp = alice.otp.clone().unwrap_or_default();
    let creds = format!("{}\n{otp}\n", alice.password);
    // stdout is /dev/null, or closed (which a process sees as /dev/null): refused first.
    for closed in [false, true] {
        for args in [
            &[
                "create",
                "--name",
                "x",
                "--scope",
                "global:read",
                "--no-expiry",
            ][..],
            &["rotate", &old, "--yes"],
        ] {
            let before = fake.live_tokens();
            // `>&-`: the CLI starts with no fd 1 and the runtime reopens it as /dev/null.
            let stdout = if closed {
                Stdio::null()
            } else {
                Stdio::from(std::fs::File::create("/dev/null").expect("/dev/null"))
            };
            let all = [
                args,
                &[
                    "--username",
                    &alice.login,
                    "--password-stdin",
                    "--otp-stdin",
                ],
            ];
            let (code, stderr) = minting(&fake, &alice.key, &all.concat(), &creds, Some(stdout));
            assert_eq!(code, Some(2), "{args:?}: {stderr}");
            assert!(stderr.contains("/dev/null"), "{stderr}");
            assert_eq!(fake.live_tokens(), before, "nothing was created");
            assert!(fake.is_live(&old));
        }
    }
    // The hand-off command's stdout is not shown (it could echo the secret), and it gets
    // neither this process's API token nor the one-time code.
    let dir = std::env::temp_dir().join(format!("fastly-tokens-echo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let env = dir.join("env");
    let command = format!("cat; env > {}", env.display());
    let mut cmd = bin();
    cmd.env("FASTLY_API_TOKEN", &alice.key)
        .env("FASTLY_OTP", &otp)
        .args(["--endpoint", fake.base_url()])
        .args(["rotate", &old, "--yes", "--exec", &command])
        .args(["--username", &alice.login, "--password-stdin"]);
    let out = run(cmd, Some(&format!("{}\n", alice.password)));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let seen = std::fs::read_to_string(&env).expect("env");
    assert!(!seen.contains(&alice.key), "the API token is not passed on");
    assert!(!seen.contains("FASTLY_OTP"), "{seen}");
    let new_ids = fake.live_tokens();
    assert!(new_ids > 0);
    // No 32-character secret on stdout or stderr: the only secret printed would be the new one.
    for text in [&out.stdout, &out.stderr] {
        assert!(
            !text
                .split_whitespace()
                .any(|w| w.len() == 32 && !w.contains('/')),
            "{text}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn help_on_a_full_disk_is_not_a_success() {
    for args in [&["--help"][..], &["--version"], &["create", "--help"]] {
        let out = bin()
            .args(args)
            .stdout(std::fs::File::create("/dev/full").expect("/dev/full"))
            .stderr(Stdio::piped())
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(9), "{args:?}");
    }
}
