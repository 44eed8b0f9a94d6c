//! Signals with real processes: the CLI runs in its own process group (as a shell job does),
//! signals are sent with `kill` to that group (what a terminal's Ctrl-C does) or to the CLI
//! alone (what a CI runner or a closed ssh session does), and a child that traps each signal
//! writes it to a log, so the test sees how many times it arrived.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::*;

/// A shell script that logs each signal it receives, says when it is ready, and runs until a
/// signal ends it.
fn trapping(log: &Path, first: &str) -> String {
    let log = log.display();
    format!(
        "trap 'echo INT >> {log}; exit 130' INT; trap 'echo TERM >> {log}; exit 143' TERM; \
         trap 'echo HUP >> {log}; exit 129' HUP; {first} echo ready >> {log}; \
         while :; do sleep 0.05; done"
    )
}

pub(super) fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "fastly-tokens-signals-{}-{tag}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// Starts the CLI in a process group of its own, with the password on stdin.
pub(super) fn spawn(fake: &FakeFastly, args: &[&str]) -> Child {
    let alice = fake.seed().user("alice").clone();
    let mut cmd = bin();
    cmd.env("FASTLY_API_TOKEN", &alice.key)
        .args(["--endpoint", fake.base_url()])
        .args(args)
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("runs");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(format!("{}\n", alice.password).as_bytes());
    }
    child
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "waited too long for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn log_lines(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// `kill -SIG target`: a pid, or `-pgid` for a whole process group.
pub(super) fn kill(signal: &str, target: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), "--", target])
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{signal} {target}");
}

/// Waits for the CLI, at most 30 s: a CLI that does not end is killed (with its group) and the
/// test fails instead of hanging.
pub(super) fn finish(child: Child) -> Run {
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let Ok(out) = rx.recv_timeout(Duration::from_secs(30)) else {
        kill("KILL", &format!("-{pid}"));
        panic!("the CLI (pid {pid}) did not end within 30 s");
    };
    let out = out.expect("finishes");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn exec_passes_each_signal_to_its_command_once_and_revokes_the_token() {
    // (signal, sent to the whole group?, exit code)
    let cases = [
        ("INT", true, 130),
        ("TERM", false, 143),
        ("HUP", false, 129),
        ("TERM", true, 143),
    ];
    for (signal, group, code) in cases {
        let (_rt, fake) = started();
        let alice = fake.seed().user("alice").clone();
        let before = fake.live_tokens();
        let dir = scratch(&format!("exec-{signal}-{group}"));
        let log = dir.join("log");
        let script = trapping(&log, "");
        let child = spawn(&fake, &exec_args(&alice, &["sh", "-c", &script]));
        let pid = child.id().to_string();
        wait_for("the command to start", || {
            log_lines(&log).contains(&"ready".to_string())
        });
        assert_eq!(
            fake.live_tokens(),
            before + 1,
            "the command holds a live token"
        );
        let target = if group {
            format!("-{pid}")
        } else {
            pid.clone()
        };
        kill(signal, &target);
        let out = finish(child);
        let case = format!(
            "{signal} to {}: {}",
            if group { "the group" } else { "the CLI" },
            out.stderr
        );
        assert_eq!(out.code, code, "the command's status: {case}");
        let seen: Vec<String> = log_lines(&log)
            .into_iter()
            .filter(|l| l != "ready")
            .collect();
        assert_eq!(
            seen,
            [signal.to_string()],
            "the command saw it once: {case}"
        );
        assert_eq!(fake.live_tokens(), before, "its token was revoked: {case}");
        assert!(!out.stderr.contains(&alice.password), "{case}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_signal_during_the_create_revokes_what_it_created() {
    for command in ["exec", "rotate"] {
        let (_rt, fake) = started();
        let alice = fake.seed().user("alice").clone();
        let old = fake.seed().token("ci-purge").id.clone();
        let before = fake.live_tokens();
        let dir = scratch(&format!("mint-{command}"));
        let ran = dir.join("ran");
        let touch = format!("touch {}", ran.display());
        // The create takes a while to answer; the signal arrives meanwhile.
        fake.inject_matching(
            "POST",
            "/tokens",
            Fault::Latency(Duration::from_millis(1500)),
            1,
        );
        let args: Vec<&str> = if command == "exec" {
            exec_args(&alice, &["sh", "-c", &touch])
        } else {
            vec![
                "rotate",
                &old,
                "--yes",
                "--exec",
                &touch,
                "--username",
                &alice.login,
                "--password-stdin",
                "--otp",
                "123456",
            ]
        };
        let child = spawn(&fake, &args);
        std::thread::sleep(Duration::from_millis(700));
        kill("TERM", &child.id().to_string());
        let out = finish(child);
        assert_eq!(out.code, 143, "{command}: {}", out.stderr);
        assert!(out.stderr.contains("SIGTERM"), "{command}: {}", out.stderr);
        assert!(
            out.stderr.contains("was revoked"),
            "{command}: {}",
            out.stderr
        );
        assert_eq!(
            fake.live_tokens(),
            before,
            "{command}: the new token was revoked"
        );
        assert!(fake.is_live(&old), "{command}: the old token is kept");
        assert!(!ran.exists(), "{command}: nothing was handed the secret");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_signal_during_the_hand_off_revokes_the_new_token_and_keeps_the_old() {
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").clone();
    let old = fake.seed().token("ci-purge").id.clone();
    let before = fake.live_tokens();
    let dir = scratch("hand-off");
    let log = dir.join("log");
    // The command reads the secret, then stalls (a secret store that hangs).
    let script = trapping(&log, "cat > /dev/null;");
    let child = spawn(
        &fake,
        &[
            "rotate",
            &old,
            "--yes",
            "--exec",
            &script,
            "--username",
            &alice.login,
            "--password-stdin",
            "--otp",
            "123456",
        ],
    );
    wait_for("the hand-off command", || {
        log_lines(&log).contains(&"ready".to_string())
    });
    kill("TERM", &child.id().to_string());
    let out = finish(child);
    assert_eq!(out.code, 143, "{}", out.stderr);
    let seen: Vec<String> = log_lines(&log)
        .into_iter()
        .filter(|l| l != "ready")
        .collect();
    assert_eq!(
        seen,
        ["TERM"],
        "the command saw the signal once: {}",
        out.stderr
    );
    assert!(fake.is_live(&old), "the old token is kept: {}", out.stderr);
    assert_eq!(
        fake.live_tokens(),
        before,
        "the new token was revoked: {}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(&format!("the old token {old} still works")),
        "{}",
        out.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_signal_after_delivery_revokes_nothing_more_and_names_both_tokens() {
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").clone();
    let old = fake.seed().token("ci-purge").id.clone();
    let dir = scratch("after-delivery");
    let file = dir.join("secret");
    // The revoke of the old token is slow; the signal arrives while it is in flight.
    fake.inject_matching(
        "DELETE",
        &format!("/tokens/{old}"),
        Fault::Latency(Duration::from_millis(1500)),
        1,
    );
    let child = spawn(
        &fake,
        &[
            "rotate",
            &old,
            "--yes",
            "--write-to",
            file.to_str().expect("utf-8"),
            "--username",
            &alice.login,
            "--password-stdin",
            "--otp",
            "123456",
        ],
    );
    wait_for("the secret file", || file.exists());
    std::thread::sleep(Duration::from_millis(300));
    kill("HUP", &child.id().to_string());
    let out = finish(child);
    assert_eq!(out.code, 129, "{}", out.stderr);
    // The revoke in flight was finished, not abandoned; the new secret is in the file.
    assert!(!fake.is_live(&old), "{}", out.stderr);
    let secret = std::fs::read_to_string(&file).expect("delivered");
    let who = against(&fake, &secret, &["current", "--json"], None);
    assert_eq!(who.code, 0, "the delivered secret works");
    assert!(
        out.stderr
            .contains(&format!("the old token {old} was revoked")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("its secret went to file"),
        "{}",
        out.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn exec_ends_with_128_plus_n_when_a_signal_arrives_during_its_final_revoke() {
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").clone();
    let before = fake.live_tokens();
    fake.inject_matching(
        "DELETE",
        "/tokens/self",
        Fault::Latency(Duration::from_millis(1500)),
        1,
    );
    let child = spawn(&fake, &exec_args(&alice, &["sh", "-c", "exit 0"]));
    std::thread::sleep(Duration::from_millis(700));
    kill("TERM", &child.id().to_string());
    let out = finish(child);
    assert_eq!(out.code, 143, "{}", out.stderr);
    assert_eq!(
        fake.live_tokens(),
        before,
        "the revoke in flight was finished"
    );
}
