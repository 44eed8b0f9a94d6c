//! Tokens as code: `plan` and `apply` against the fake, end to end (files and commands
//! receiving secrets, the fake's clock advanced past `rotate_before`, `[prune]`), under faults
//! at each step and a signal, with `--max-writes`, and with a one-time code from a TOTP secret
//! checked on the fake's clock. After every run the hand-off invariant is checked: no live
//! token of a declared name whose secret was not delivered.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::signals::{finish, kill, scratch};
use super::*;

/// `fastly-tokens <args>` in `dir`, as `user` (their key, login and password from the
/// environment), on the fake's clock.
fn as_user(fake: &FakeFastly, user: &str, dir: &Path, args: &[&str]) -> Command {
    let who = fake.seed().user(user).clone();
    let mut cmd = bin();
    cmd.current_dir(dir)
        .env("FASTLY_API_TOKEN", &who.key)
        .env("FASTLY_USERNAME", &who.login)
        .env("FASTLY_PASSWORD", &who.password)
        .args(["--endpoint", fake.base_url()])
        .args(["--now", &fake.now().to_rfc3339()])
        .args(args);
    cmd
}

fn tokens_cli(fake: &FakeFastly, dir: &Path, args: &[&str]) -> Run {
    run(as_user(fake, "root", dir, args), None)
}

fn plan(fake: &FakeFastly, dir: &Path) -> Run {
    tokens_cli(fake, dir, &["plan", "-f", "tokens.toml"])
}

fn apply(fake: &FakeFastly, dir: &Path) -> Run {
    tokens_cli(fake, dir, &["apply", "-f", "tokens.toml", "--yes"])
}

/// The live tokens named `name` (user tokens of anyone, and automation tokens), by id.
fn live_named(fake: &FakeFastly, dir: &Path, name: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for args in [
        &["list", "--json"][..],
        &["automation", "list", "--json"][..],
    ] {
        let out = tokens_cli(fake, dir, args);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let tokens: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
        for t in tokens.as_array().expect("array") {
            if t["name"] == name {
                ids.push(t["id"].as_str().expect("id").to_string());
            }
        }
    }
    ids
}

/// The token `secret` authenticates as, or `None` when it does not work.
fn whose(fake: &FakeFastly, secret: &str) -> Option<String> {
    let mut cmd = bin();
    cmd.env("FASTLY_API_TOKEN", secret.trim()).args([
        "--endpoint",
        fake.base_url(),
        "current",
        "--json",
    ]);
    let out = run(cmd, None);
    (out.code == 0).then(|| {
        let t: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
        t["id"].as_str().expect("id").to_string()
    })
}

/// The invariant after any run: each declared name has at most one live token, and when it
/// has one, the secret in its delivery file is that token's.
fn delivered_or_absent(fake: &FakeFastly, dir: &Path, names: &[(&str, &str)]) {
    for (name, file) in names {
        let live = live_named(fake, dir, name);
        assert!(live.len() <= 1, "{name}: {live:?}");
        if let Some(id) = live.first() {
            let secret = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
            assert_eq!(
                whose(fake, &secret).as_deref(),
                Some(id.as_str()),
                "{name}: the live token's secret is not in {file}"
            );
        }
    }
}

fn non_reads(fake: &FakeFastly) -> usize {
    fake.requests().iter().filter(|r| r.method != "GET").count()
}

fn write(dir: &Path, text: &str) {
    std::fs::write(dir.join("tokens.toml"), text).expect("write the file");
}

const NAMES: [(&str, &str); 2] = [
    ("tac-purge", "secrets/purge"),
    ("tac-deploy", "secrets/deploy"),
];

fn declaration(service: &str, purge_deliver: &str) -> String {
    format!(
        r#"[defaults]
lifetime = "90d"
rotate_before = "14d"

[[token]]
name = "tac-purge"
kind = "user"
scope = ["purge_select"]
services = ["{service}"]
lifetime = "30d"
deliver = {{ exec = "{purge_deliver}" }}

[[token]]
name = "tac-deploy"
kind = "automation"
role = "engineer"
scope = ["global"]
services = ["{service}"]
deliver = {{ file = "secrets/deploy" }}

[prune]
names = ["tac-*"]
"#
    )
}

const TO_FILE: &str = "cat > secrets/purge";

fn lifecycle_dir(tag: &str) -> PathBuf {
    let dir = scratch(&format!("declare-{tag}"));
    std::fs::create_dir_all(dir.join("secrets")).expect("secrets/");
    dir
}

#[test]
fn plan_apply_plan_advance_plan_apply_prune_on_the_fake() {
    let (_rt, fake) = started();
    let dir = lifecycle_dir("lifecycle");
    let service = fake.seed().services[0].clone();
    write(&dir, &declaration(&service, TO_FILE));
    let mut transcript = Vec::new();
    let mut step = |what: &str, out: &Run, requests: usize| {
        transcript.push(format!(
            "$ fastly-tokens {what}   (exit {}, {requests} non-read requests)\n{}",
            out.code, out.stdout
        ));
    };

    // An account without any of them: everything is created and delivered.
    let first = plan(&fake, &dir);
    assert_eq!(first.code, 10, "changes pending: {}", first.stderr);
    assert!(
        first.stdout.contains("create  user        tac-purge"),
        "{}",
        first.stdout
    );
    assert!(
        first.stdout.contains("create  automation  tac-deploy"),
        "{}",
        first.stdout
    );
    step("plan -f tokens.toml", &first, 0);
    fake.clear_requests();
    let applied = apply(&fake, &dir);
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
    // POST /tokens; POST /sudo and POST /automation-tokens.
    assert_eq!(non_reads(&fake), 3, "{:?}", fake.requests());
    step("apply -f tokens.toml --yes", &applied, 3);
    delivered_or_absent(&fake, &dir, &NAMES);
    assert_eq!(live_named(&fake, &dir, "tac-purge").len(), 1);
    assert_eq!(live_named(&fake, &dir, "tac-deploy").len(), 1);

    // Idempotent: nothing left to do.
    let again = plan(&fake, &dir);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert!(again.stdout.contains("no changes"), "{}", again.stdout);
    step("plan -f tokens.toml", &again, 0);
    let first_purge = live_named(&fake, &dir, "tac-purge");

    // 20 days later the 30-day token is within its 14 days; the 90-day one is not.
    fake.advance(Duration::from_secs(20 * 86_400));
    let later = plan(&fake, &dir);
    assert_eq!(later.code, 10);
    assert!(
        later.stdout.contains("rotate  user        tac-purge")
            && later.stdout.contains("within rotate_before (14d)"),
        "{}",
        later.stdout
    );
    assert!(
        later.stdout.contains("ok      automation  tac-deploy"),
        "{}",
        later.stdout
    );
    step("plan -f tokens.toml   (clock advanced 20 days)", &later, 0);
    fake.clear_requests();
    let rotated = apply(&fake, &dir);
    assert_eq!(rotated.code, 0, "{}{}", rotated.stdout, rotated.stderr);
    assert_eq!(
        non_reads(&fake),
        2,
        "create and revoke: {:?}",
        fake.requests()
    );
    step("apply -f tokens.toml --yes", &rotated, 2);
    delivered_or_absent(&fake, &dir, &NAMES);
    let second_purge = live_named(&fake, &dir, "tac-purge");
    assert_ne!(first_purge, second_purge, "a new token replaced the old");
    assert!(!fake.is_live(&first_purge[0]), "the old token was revoked");

    // tac-purge leaves the file; [prune] matches it.
    let only_deploy = declaration(&service, TO_FILE);
    let start = only_deploy
        .find("[[token]]\nname = \"tac-purge\"")
        .expect("block");
    let end = only_deploy
        .find("[[token]]\nname = \"tac-deploy\"")
        .expect("block");
    write(
        &dir,
        &format!("{}{}", &only_deploy[..start], &only_deploy[end..]),
    );
    let pruning = plan(&fake, &dir);
    assert_eq!(pruning.code, 10);
    assert!(
        pruning.stdout.contains("revoke  user        tac-purge")
            && pruning.stdout.contains("matches [prune] \"tac-*\""),
        "{}",
        pruning.stdout
    );
    fake.clear_requests();
    let pruned = apply(&fake, &dir);
    assert_eq!(pruned.code, 0, "{}{}", pruned.stdout, pruned.stderr);
    assert_eq!(non_reads(&fake), 1);
    step(
        "apply -f tokens.toml --yes   (tac-purge removed from the file)",
        &pruned,
        1,
    );
    assert!(!fake.is_live(&second_purge[0]));
    assert_eq!(plan(&fake, &dir).code, 0);
    // The transcript the closing note quotes (secrets are never in it).
    eprintln!("{}", transcript.join("\n"));
}

/// A fault at one step of one token: the run fails that token (exit 6), leaves no undelivered
/// live token, and a rerun once the fault is gone completes the work.
#[test]
fn a_fault_at_any_step_keeps_the_invariant_and_a_rerun_completes() {
    // (name, purge delivery command, fault to inject, what it does to the old token)
    type Inject = fn(&FakeFastly, &str);
    let none: Inject = |_, _| {};
    let cases: [(&str, &str, Inject); 6] = [
        ("delivery exits non-zero", "cat >/dev/null; exit 3", none),
        ("delivery never reads", "true", none),
        (
            "create fails (503 x3)",
            TO_FILE,
            |f: &FakeFastly, _: &str| {
                f.inject_matching("POST", "/tokens", Fault::Status(503), 3);
            },
        ),
        ("create answer lost", TO_FILE, |f: &FakeFastly, _: &str| {
            f.inject_matching("POST", "/tokens", Fault::TruncateBody, 1);
        }),
        (
            "new secret refused at verify",
            TO_FILE,
            |f: &FakeFastly, _: &str| {
                f.inject_matching_after("GET", "/tokens/self", 1, Fault::Status(401), 1);
            },
        ),
        (
            "revoking the old fails (503 x3)",
            TO_FILE,
            |f: &FakeFastly, old: &str| {
                f.inject_matching("DELETE", &format!("/tokens/{old}"), Fault::Status(503), 3);
            },
        ),
    ];
    for (i, (what, command, inject)) in cases.into_iter().enumerate() {
        let (_rt, fake) = started();
        let dir = lifecycle_dir(&format!("fault-{i}"));
        let service = fake.seed().services[0].clone();
        write(&dir, &declaration(&service, TO_FILE));
        assert_eq!(apply(&fake, &dir).code, 0, "{what}: setting up");
        fake.advance(Duration::from_secs(20 * 86_400));
        let old = live_named(&fake, &dir, "tac-purge");
        write(&dir, &declaration(&service, command));
        inject(&fake, &old[0]);
        let faulted = apply(&fake, &dir);
        assert_eq!(
            faulted.code, 6,
            "{what}: {}{}",
            faulted.stdout, faulted.stderr
        );
        assert!(
            faulted.stdout.contains("failed"),
            "{what}: {}",
            faulted.stdout
        );
        fake.clear_faults();
        // The invariant holds at once, even for a create whose answer was lost: the token it
        // left is found by name and revoked. When only the old token's revoke failed, both
        // work and the new one is delivered: the next run revokes the old as a duplicate.
        if what == "revoking the old fails (503 x3)" {
            assert_eq!(live_named(&fake, &dir, "tac-purge").len(), 2, "{what}");
            assert!(
                faulted.stderr.contains("revoking the old token failed"),
                "{}",
                faulted.stderr
            );
        } else {
            delivered_or_absent(&fake, &dir, &NAMES);
        }
        if what == "create answer lost" {
            assert!(
                faulted.stderr.contains("was found and revoked"),
                "{}",
                faulted.stderr
            );
        }
        if what != "revoking the old fails (503 x3)" {
            assert!(fake.is_live(&old[0]), "{what}: the old token is kept");
        }
        // The rerun, with a working delivery, finishes.
        write(&dir, &declaration(&service, TO_FILE));
        let rerun = apply(&fake, &dir);
        assert_eq!(rerun.code, 0, "{what}: {}{}", rerun.stdout, rerun.stderr);
        delivered_or_absent(&fake, &dir, &NAMES);
        assert!(
            !fake.is_live(&old[0]),
            "{what}: the old token is gone after the rerun"
        );
        let after = plan(&fake, &dir);
        assert_eq!(after.code, 0, "{what}: {}", after.stdout);
    }
}

#[test]
fn an_unwritable_file_creates_nothing_and_a_rerun_completes() {
    let (_rt, fake) = started();
    let dir = lifecycle_dir("unwritable");
    std::fs::remove_dir_all(dir.join("secrets")).expect("no secrets/ folder");
    let service = fake.seed().services[0].clone();
    write(&dir, &declaration(&service, "cat >/dev/null"));
    let before = fake.live_tokens();
    fake.clear_requests();
    let out = apply(&fake, &dir);
    assert_eq!(out.code, 6, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("deliver.file secrets/deploy"),
        "{}",
        out.stderr
    );
    assert!(
        live_named(&fake, &dir, "tac-deploy").is_empty(),
        "nothing created for it"
    );
    // The user token was delivered to its command; the automation token was never minted.
    assert_eq!(fake.live_tokens(), before + 1);
    assert!(
        !fake
            .requests()
            .iter()
            .any(|r| r.path == "/automation-tokens" && r.method == "POST"),
        "the folder is checked before the create"
    );
    std::fs::create_dir_all(dir.join("secrets")).expect("secrets/");
    let rerun = apply(&fake, &dir);
    assert_eq!(rerun.code, 0, "{}{}", rerun.stdout, rerun.stderr);
    assert_eq!(live_named(&fake, &dir, "tac-deploy").len(), 1);
}

#[test]
fn a_signal_during_a_delivery_leaves_no_undelivered_token() {
    let (_rt, fake) = started();
    let dir = lifecycle_dir("signal");
    let service = fake.seed().services[0].clone();
    // The purge token's command says it started, then waits: the signal comes meanwhile.
    let waiting = "touch started; sleep 20; cat > secrets/purge";
    write(&dir, &declaration(&service, waiting));
    let mut cmd = as_user(
        &fake,
        "root",
        &dir,
        &["apply", "-f", "tokens.toml", "--yes"],
    );
    cmd.process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().expect("runs");
    let pid = child.id();
    let start = Instant::now();
    while !dir.join("started").exists() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the delivery never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    kill("TERM", &pid.to_string());
    let out = finish(child);
    assert_eq!(out.code, 143, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("pending"), "{}", out.stdout);
    delivered_or_absent(&fake, &dir, &NAMES);
    assert!(
        live_named(&fake, &dir, "tac-purge").is_empty(),
        "the new token was revoked"
    );
    write(&dir, &declaration(&service, TO_FILE));
    let rerun = apply(&fake, &dir);
    assert_eq!(rerun.code, 0, "{}{}", rerun.stdout, rerun.stderr);
    delivered_or_absent(&fake, &dir, &NAMES);
    assert_eq!(plan(&fake, &dir).code, 0);
}

#[test]
fn max_writes_applies_what_fits_and_reports_the_rest() {
    let (_rt, fake) = started();
    let dir = lifecycle_dir("budget");
    let mut text = String::from("[defaults]\nlifetime = \"30d\"\n");
    for i in 0..60 {
        text.push_str(&format!(
            "\n[[token]]\nname = \"bulk-{i:02}\"\nkind = \"user\"\nscope = [\"global:read\"]\n\
             deliver = {{ file = \"secrets/bulk-{i:02}\" }}\n"
        ));
    }
    write(&dir, &text);
    fake.clear_requests();
    let out = tokens_cli(
        &fake,
        &dir,
        &[
            "apply",
            "-f",
            "tokens.toml",
            "--yes",
            "--max-writes",
            "20",
            "--json",
        ],
    );
    assert_eq!(out.code, 10, "pending: {}", out.stderr);
    let doc = valid("apply", &out.stdout);
    assert_eq!(doc["pending"], 40);
    assert_eq!(doc["writes"], 20);
    assert!(
        non_reads(&fake) <= 20,
        "{} non-read requests",
        non_reads(&fake)
    );
    let planned = plan(&fake, &dir);
    assert_eq!(planned.code, 10);
    assert_eq!(
        planned.stdout.matches("create  user").count(),
        40,
        "{}",
        planned.stdout
    );
    let rest = tokens_cli(&fake, &dir, &["apply", "-f", "tokens.toml", "--yes"]);
    assert_eq!(rest.code, 0, "{}", rest.stderr);
    assert_eq!(plan(&fake, &dir).code, 0);
}

#[test]
fn a_totp_secret_gives_each_create_a_code_on_the_fakes_clock_and_no_secret_is_shown() {
    let (_rt, fake) = started();
    // Far from the real clock: only a code computed for --now is accepted.
    fake.advance(Duration::from_secs(3 * 86_400));
    let dir = lifecycle_dir("totp");
    let alice = fake.seed().user("alice").clone();
    let totp = alice.totp_secret.clone().expect("alice has 2FA");
    write(
        &dir,
        "[defaults]\nlifetime = \"30d\"\n[[token]]\nname = \"tac-totp\"\nkind = \"user\"\n\
         scope = [\"global:read\"]\ndeliver = { file = \"secrets/totp\" }\n",
    );
    let mut wrong = as_user(
        &fake,
        "alice",
        &dir,
        &["apply", "-f", "tokens.toml", "--yes"],
    );
    wrong.env("FASTLY_TOTP_SECRET", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let refused = run(wrong, None);
    assert_eq!(refused.code, 6, "{}{}", refused.stdout, refused.stderr);
    assert!(refused.stderr.contains("one-time"), "{}", refused.stderr);
    let mut right = as_user(
        &fake,
        "alice",
        &dir,
        &["apply", "-f", "tokens.toml", "--yes"],
    );
    right.env("FASTLY_TOTP_SECRET", &totp);
    let done = run(right, None);
    assert_eq!(done.code, 0, "{}{}", done.stdout, done.stderr);
    let secret = std::fs::read_to_string(dir.join("secrets/totp")).expect("delivered");
    assert!(whose(&fake, &secret).is_some());
    for out in [&refused, &done] {
        for hidden in [&alice.password, &totp, &alice.key, &secret] {
            assert!(!out.stdout.contains(hidden.as_str()), "{}", out.stdout);
            assert!(!out.stderr.contains(hidden.as_str()), "{}", out.stderr);
        }
    }
}

#[test]
fn plan_and_apply_documents_and_usage_errors() {
    let (_rt, fake) = started();
    let dir = lifecycle_dir("docs");
    let service = fake.seed().services[0].clone();
    write(&dir, &declaration(&service, TO_FILE));
    let planned = tokens_cli(&fake, &dir, &["plan", "-f", "tokens.toml", "--json"]);
    assert_eq!(planned.code, 10);
    let doc = valid("plan", &planned.stdout);
    assert_eq!(doc["changes"], 2);
    assert_eq!(doc["writes"], 3);
    let dry = tokens_cli(
        &fake,
        &dir,
        &["apply", "-f", "tokens.toml", "--dry-run", "--json"],
    );
    assert_eq!((dry.code, dry.stdout.clone()), (10, planned.stdout.clone()));
    // Not a terminal and no --yes: refused before anything is sent.
    fake.clear_requests();
    let unconfirmed = tokens_cli(&fake, &dir, &["apply", "-f", "tokens.toml"]);
    assert_eq!(unconfirmed.code, 2, "{}", unconfirmed.stderr);
    assert_eq!(non_reads(&fake), 0);
    // No password anywhere: said, nothing sent.
    let mut cmd = as_user(
        &fake,
        "root",
        &dir,
        &["apply", "-f", "tokens.toml", "--yes"],
    );
    cmd.env_remove("FASTLY_PASSWORD");
    let no_password = run(cmd, None);
    assert_eq!(no_password.code, 2);
    assert!(
        no_password.stderr.contains("FASTLY_PASSWORD"),
        "{}",
        no_password.stderr
    );
    assert_eq!(non_reads(&fake), 0);
    // A mistake in the file names its line.
    write(
        &dir,
        "[defaults]\nlifetime = \"90d\"\nrotate_befor = \"1d\"\n",
    );
    let bad = plan(&fake, &dir);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr
            .contains("tokens.toml: line 3: unknown field `rotate_befor`"),
        "{}",
        bad.stderr
    );
    let applied = tokens_cli(
        &fake,
        &dir,
        &["apply", "-f", "tokens.toml", "--json", "--yes"],
    );
    assert_eq!(applied.code, 2);
    valid("error", &applied.stderr);
}

/// The README's recipe, as written: its file (with a `gh` on PATH that stores what it is
/// given) and its `apply` command line, against the fake.
#[test]
fn the_readme_recipe_runs_as_written() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README");
    let section = readme
        .split("### Tokens as code")
        .nth(1)
        .expect("a \"Tokens as code\" section");
    let toml_block = section
        .split("```toml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the recipe's file");
    let (_rt, fake) = started();
    let dir = lifecycle_dir("readme");
    std::fs::write(dir.join("fastly-tokens.toml"), toml_block).expect("write");
    // `gh secret set NAME` reads the secret on stdin: this one keeps it in gh-NAME.
    let bin_dir = dir.join("bin");
    std::fs::create_dir_all(&bin_dir).expect("bin/");
    let gh = bin_dir.join("gh");
    std::fs::write(&gh, "#!/bin/sh\ncat > \"$(dirname \"$0\")/../gh-$3\"\n").expect("gh");
    std::fs::set_permissions(&gh, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // The recipe's services are placeholders for the reader's own; the fake knows these.
    let text = toml_block.replace("SU1Z0isxPaozGVKXdv0eY", &fake.seed().services[0]);
    std::fs::write(dir.join("fastly-tokens.toml"), text).expect("write");
    let command = section
        .lines()
        .find(|l| l.trim_start().starts_with("fastly-tokens apply"))
        .expect("the recipe's apply line")
        .trim();
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let mut cmd = as_user(&fake, "root", &dir, &args);
    cmd.env("PATH", &path);
    let out = run(cmd, None);
    assert_eq!(out.code, 0, "{command}: {}{}", out.stdout, out.stderr);
    let mut cmd = as_user(&fake, "root", &dir, &["plan", "-f", "fastly-tokens.toml"]);
    cmd.env("PATH", &path);
    assert_eq!(run(cmd, None).code, 0);
    let stored: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("gh-"))
        .collect();
    assert!(!stored.is_empty(), "gh was given a secret");
    for entry in stored {
        let secret = std::fs::read_to_string(entry.path()).expect("secret");
        assert!(
            whose(&fake, &secret).is_some(),
            "{:?} works",
            entry.file_name()
        );
    }
}
