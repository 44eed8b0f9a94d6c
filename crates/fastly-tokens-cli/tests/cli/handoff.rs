//! The hand-off core end to end: `rotate` (secret on stdout as text or JSON, `--write-to`,
//! `--exec`) against a fault at each step, and the invariant checked on the fake after every
//! case:
//!
//! * every token minted is delivered (its secret works and is where the command said) and
//!   named in the output, or it is revoked; the one exception is a create whose answer never
//!   arrived, which the command must call "may exist";
//! * the old token is retired only if the new one was delivered;
//! * the exit code is 0 only if everything promised happened.

use std::collections::BTreeSet;
use std::process::Stdio;

use super::*;

/// Where `rotate` sends the new secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sink {
    Text,
    Json,
    File,
    Command,
}

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trouble {
    Nothing,
    CreateFails,
    CreateAnswerLost,
    CreateAnswerIncomplete,
    VerifyFails,
    RetireFails,
    ClosedStdout,
    FullStdout,
    HandOffFails,
    HandOffDoesNotRead,
}

/// What the fake and the output must show afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum New {
    /// No token was created.
    None,
    /// Created, then revoked by the command.
    Revoked,
    /// Alive and its secret delivered.
    Delivered,
    /// Alive, its secret never reached the command: the output says it "may exist".
    MayExist,
}

/// The expected outcome of one cell: exit code, whether the old token still works, and the
/// new token's fate. This table is the one in the closing note and the README.
fn expected(sink: Sink, trouble: Trouble) -> Option<(i32, bool, New)> {
    let stdout_is_the_sink = matches!(sink, Sink::Text | Sink::Json);
    Some(match trouble {
        Trouble::Nothing => (0, false, New::Delivered),
        Trouble::CreateFails => (8, true, New::None),
        Trouble::CreateAnswerLost => (6, true, New::MayExist),
        // The secret arrived but the token's settings did not: printed, never handed to a
        // file or a command; the old token is kept either way.
        Trouble::CreateAnswerIncomplete if stdout_is_the_sink => (6, true, New::Delivered),
        Trouble::CreateAnswerIncomplete => (6, true, New::Revoked),
        Trouble::VerifyFails => (6, true, New::Revoked),
        Trouble::RetireFails => (6, true, New::Delivered),
        Trouble::ClosedStdout | Trouble::FullStdout if stdout_is_the_sink => {
            (6, true, New::Revoked)
        }
        // The secret went to the file or the command; only the report was lost.
        Trouble::ClosedStdout | Trouble::FullStdout => (6, false, New::Delivered),
        Trouble::HandOffFails | Trouble::HandOffDoesNotRead if sink == Sink::Command => {
            (6, true, New::Revoked)
        }
        Trouble::HandOffFails | Trouble::HandOffDoesNotRead => return None,
    })
}

/// Ids of alice's live tokens named `ci-purge`.
fn ci_purge_ids(fake: &FakeFastly) -> BTreeSet<String> {
    let alice = fake.seed().user("alice").clone();
    let list = against(fake, &alice.key, &["list", "--json"], None);
    let tokens = valid("list", &list.stdout);
    tokens
        .as_array()
        .expect("array")
        .iter()
        .filter(|t| t["name"] == "ci-purge")
        .filter_map(|t| t["id"].as_str().map(str::to_string))
        .collect()
}

/// The secret in a rotate's stdout: the line after the marker, or the JSON's `access_token`.
fn secret_in(stdout: &str) -> Option<String> {
    let mut lines = stdout.lines();
    if lines.any(|l| l.starts_with("Access token (shown only once")) {
        return lines.next().map(str::to_string);
    }
    let at = stdout.find("\"access_token\": \"")? + "\"access_token\": \"".len();
    stdout[at..].split('"').next().map(str::to_string)
}

fn run_case(sink: Sink, trouble: Trouble) {
    let Some((code, old_lives, new)) = expected(sink, trouble) else {
        return;
    };
    let case = format!("{sink:?} × {trouble:?}");
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").clone();
    let old = fake.seed().token("ci-purge").id.clone();
    let before = ci_purge_ids(&fake);
    let live_before = fake.live_tokens();
    let dir = std::env::temp_dir().join(format!(
        "fastly-tokens-handoff-{}-{sink:?}-{trouble:?}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("secret");
    let captured = dir.join("captured");
    let command = match trouble {
        Trouble::HandOffFails => format!("cat > {}; exit 9", captured.display()),
        Trouble::HandOffDoesNotRead => "true".to_string(),
        _ => format!("cat > {}", captured.display()),
    };
    let mut args = vec!["rotate".to_string(), old.clone(), "--yes".to_string()];
    match sink {
        Sink::Text => {}
        Sink::Json => args.push("--json".to_string()),
        Sink::File => args.extend(["--write-to".to_string(), file.display().to_string()]),
        Sink::Command => args.extend(["--exec".to_string(), command]),
    }
    args.extend([
        "--username".to_string(),
        alice.login.clone(),
        "--password-stdin".to_string(),
        "--otp-stdin".to_string(),
    ]);
    match trouble {
        Trouble::CreateFails => fake.inject_matching("POST", "/tokens", Fault::Status(503), 3),
        Trouble::CreateAnswerLost => {
            fake.inject_matching("POST", "/tokens", Fault::TruncateBody, 1)
        }
        Trouble::CreateAnswerIncomplete => {
            fake.inject_matching("POST", "/tokens", Fault::UndecodableBody, 1);
        }
        // The first `GET /tokens/self` checks the caller; the second verifies the new token.
        Trouble::VerifyFails => {
            fake.inject_matching_after("GET", "/tokens/self", 1, Fault::Status(401), 1);
        }
        Trouble::RetireFails => {
            fake.inject_matching("DELETE", &format!("/tokens/{old}"), Fault::Status(503), 3);
        }
        _ => {}
    }
    let mut cmd = bin();
    cmd.env("FASTLY_API_TOKEN", &alice.key)
        .args(["--endpoint", fake.base_url()])
        .args(&args)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped());
    match trouble {
        Trouble::FullStdout => {
            cmd.stdout(std::fs::File::create("/dev/full").expect("/dev/full"));
        }
        _ => {
            cmd.stdout(Stdio::piped());
        }
    }
    let mut child = cmd.spawn().expect("runs");
    if trouble == Trouble::ClosedStdout {
        drop(child.stdout.take());
    }
    if let Some(mut stdin) = child.stdin.take() {
        let otp = alice.otp.clone().unwrap_or_default();
        let _ = stdin.write_all(format!("{}\n{otp}\n", alice.password).as_bytes());
    }
    let output = child.wait_with_output().expect("finishes");
    let out = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    let said = format!("{case}\nstdout: {}\nstderr: {}", out.stdout, out.stderr);
    assert_eq!(out.code, code, "exit code: {said}");
    assert_eq!(fake.is_live(&old), old_lives, "old token: {said}");
    assert!(!out.stderr.contains("panicked"), "{said}");
    assert!(!said.contains(&alice.password), "{said}");

    // Where the secret went, if anywhere.
    let delivered = match sink {
        _ if matches!(trouble, Trouble::ClosedStdout | Trouble::FullStdout)
            && matches!(sink, Sink::Text | Sink::Json) =>
        {
            None
        }
        Sink::Text | Sink::Json => secret_in(&out.stdout),
        Sink::File => std::fs::read_to_string(&file).ok(),
        Sink::Command => std::fs::read_to_string(&captured).ok(),
    };
    let after = ci_purge_ids(&fake);
    let minted: Vec<&String> = after.difference(&before).collect();
    match new {
        New::None => {
            assert!(minted.is_empty(), "nothing created: {said}");
            assert_eq!(fake.live_tokens(), live_before, "{said}");
        }
        New::Revoked => {
            assert!(minted.is_empty(), "the new token was revoked: {said}");
            assert!(out.stderr.contains("was revoked"), "says so: {said}");
        }
        New::MayExist => {
            assert_eq!(minted.len(), 1, "{said}");
            assert!(out.stderr.contains("may exist"), "{said}");
            assert!(out.stderr.contains("fastly-tokens list"), "{said}");
        }
        New::Delivered => {
            assert_eq!(minted.len(), 1, "{said}");
            let secret = delivered
                .clone()
                .unwrap_or_else(|| panic!("delivered: {said}"));
            let who = against(&fake, &secret, &["current", "--json"], None);
            assert_eq!(who.code, 0, "the delivered secret works: {said}");
            assert_eq!(
                &valid("token", &who.stdout)["id"],
                minted[0].as_str(),
                "{said}"
            );
            // Named in the output (stdout when it could be read, else the account on stderr).
            if matches!(trouble, Trouble::Nothing) || !out.stderr.is_empty() {
                assert!(
                    out.stdout.contains(minted[0].as_str())
                        || out.stderr.contains(minted[0].as_str()),
                    "the new token is named: {said}"
                );
            }
            if sink != Sink::Text && sink != Sink::Json {
                assert!(
                    !out.stdout.contains(&secret) && !out.stderr.contains(&secret),
                    "{said}"
                );
            }
        }
    }
    // The invariant, whatever the table says.
    if !fake.is_live(&old) {
        assert!(
            new == New::Delivered,
            "old retired only after delivery: {said}"
        );
    }
    if out.code == 0 {
        assert!(!fake.is_live(&old) && new == New::Delivered, "{said}");
    } else {
        // A stop after the mint names every token and its state.
        if new != New::None && trouble != Trouble::CreateFails {
            assert!(out.stderr.contains("Tokens now:"), "{said}");
            assert!(out.stderr.contains(&old), "{said}");
        }
    }
    if sink == Sink::Json && out.code == 0 {
        let doc = valid("rotate", &out.stdout);
        assert_eq!(doc["old"]["status"], "revoked", "{said}");
    }
    if sink == Sink::Json && trouble == Trouble::CreateAnswerIncomplete {
        // The document begun before the stop is finished: one valid document, old kept.
        let doc = valid("rotate", &out.stdout);
        assert_eq!(doc["old"]["status"], "kept", "{said}");
        assert!(doc["new"]["warning"].is_string(), "{said}");
    }
    if sink == Sink::Json && trouble == Trouble::RetireFails {
        let doc = valid("rotate", &out.stdout);
        assert_eq!(doc["old"]["status"], "kept", "{said}");
        assert!(doc["old"]["error"].is_string(), "{said}");
    }
    assert_cli_words(&out.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

const TROUBLES: [Trouble; 10] = [
    Trouble::Nothing,
    Trouble::CreateFails,
    Trouble::CreateAnswerLost,
    Trouble::CreateAnswerIncomplete,
    Trouble::VerifyFails,
    Trouble::RetireFails,
    Trouble::ClosedStdout,
    Trouble::FullStdout,
    Trouble::HandOffFails,
    Trouble::HandOffDoesNotRead,
];

#[test]
fn rotate_to_stdout_as_text_under_every_fault() {
    for trouble in TROUBLES {
        run_case(Sink::Text, trouble);
    }
}

#[test]
fn rotate_to_stdout_as_json_under_every_fault() {
    for trouble in TROUBLES {
        run_case(Sink::Json, trouble);
    }
}

#[test]
fn rotate_to_a_file_under_every_fault() {
    for trouble in TROUBLES {
        run_case(Sink::File, trouble);
    }
}

#[test]
fn rotate_to_a_command_under_every_fault() {
    for trouble in TROUBLES {
        run_case(Sink::Command, trouble);
    }
}
