//! `exec` under faults, and what it reads from stdin: the password (one line), the one-time
//! code (the next line, or FASTLY_OTP), and nothing more: the rest is the command's.

use std::process::Stdio;

use super::signals::scratch;
use super::*;

#[test]
fn exec_under_every_fault_revokes_or_names_its_token() {
    // (case, fault, command, exit code, the command ran, tokens left alive, stderr says)
    struct Case {
        name: &'static str,
        fault: Option<(&'static str, &'static str, Fault, usize)>,
        command: &'static str,
        code: i32,
        ran: bool,
        left: usize,
        says: &'static [&'static str],
    }
    let cases = [
        Case {
            name: "nothing goes wrong",
            fault: None,
            command: "touch RAN; exit 3",
            code: 3,
            ran: true,
            left: 0,
            says: &[],
        },
        Case {
            name: "the create fails",
            fault: Some(("POST", "/tokens", Fault::Status(503), 3)),
            command: "touch RAN",
            code: 8,
            ran: false,
            left: 0,
            says: &["creating the token failed"],
        },
        Case {
            name: "the create's answer is lost",
            fault: Some(("POST", "/tokens", Fault::TruncateBody, 1)),
            command: "touch RAN",
            code: 6,
            ran: false,
            left: 1,
            says: &["may exist", "fastly-tokens list"],
        },
        Case {
            name: "the command is not found",
            fault: None,
            command: "",
            code: 127,
            ran: false,
            left: 0,
            says: &["command not found", "was revoked"],
        },
        Case {
            name: "revoking at the end fails",
            fault: Some(("DELETE", "/tokens/self", Fault::Status(503), 3)),
            command: "touch RAN; exit 3",
            code: 6,
            ran: true,
            left: 1,
            says: &[
                "exited with status 3",
                "its exit code 3 is replaced by 6",
                "its secret went to the command",
                "fastly-tokens revoke",
            ],
        },
    ];
    for case in cases {
        let (_rt, fake) = started();
        let alice = fake.seed().user("alice").clone();
        let before = fake.live_tokens();
        let dir = scratch(&format!(
            "exec-{}",
            case.name.replace(' ', "-").replace('\'', "")
        ));
        let ran = dir.join("RAN");
        let script = case.command.replace("RAN", &ran.display().to_string());
        if let Some((method, path, fault, times)) = case.fault.clone() {
            fake.inject_matching(method, path, fault, times);
        }
        let command: Vec<&str> = if case.command.is_empty() {
            vec!["no-such-command-here"]
        } else {
            vec!["sh", "-c", &script]
        };
        let out = against(
            &fake,
            &alice.key,
            &exec_args(&alice, &command),
            Some(&format!("{}\n", alice.password)),
        );
        let said = format!("{}: {}", case.name, out.stderr);
        assert_eq!(out.code, case.code, "{said}");
        assert_eq!(ran.exists(), case.ran, "{said}");
        assert_eq!(fake.live_tokens(), before + case.left, "{said}");
        for words in case.says {
            assert!(out.stderr.contains(words), "{words:?} in {said}");
        }
        assert!(!out.stderr.contains(&alice.password), "{said}");
        assert_cli_words(&out.stderr);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn exec_reads_one_line_of_password_and_one_of_code_and_leaves_the_rest_to_the_command() {
    let (_rt, fake) = started();
    let alice = fake.seed().user("alice").clone();
    let otp = alice.otp.clone().expect("alice uses 2FA");
    let dir = scratch("exec-stdin");
    let rest = dir.join("rest");
    let environ = dir.join("environ");
    let script = format!(
        "cat > {}; env > {}; tr '\\0' ' ' < /proc/$PPID/cmdline >> {}",
        rest.display(),
        environ.display(),
        environ.display()
    );
    let mut cmd = bin();
    cmd.env("FASTLY_API_TOKEN", &alice.key)
        .args(["--endpoint", fake.base_url()])
        .args([
            "exec",
            "--ttl",
            "15m",
            "--scope",
            "purge_select",
            "--username",
            &alice.login,
            "--password-stdin",
            "--otp-stdin",
            "--",
            "sh",
            "-c",
            &script,
        ]);
    let out = run(
        cmd,
        Some(&format!(
            "{}\n{otp}\nfor the command\nand more\n",
            alice.password
        )),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(&rest).expect("the command's stdin"),
        "for the command\nand more\n"
    );
    let seen = std::fs::read_to_string(&environ).expect("environment");
    assert!(
        !seen.contains(&otp),
        "the code is in neither its environment nor argv: {seen}"
    );
    assert!(!seen.contains(&alice.password));
    assert!(seen.contains("FASTLY_API_TOKEN="), "it got its token");

    // FASTLY_OTP is read, and not passed on.
    let mut cmd = bin();
    cmd.env("FASTLY_API_TOKEN", &alice.key)
        .env("FASTLY_OTP", &otp)
        .args(["--endpoint", fake.base_url()])
        .args([
            "exec",
            "--ttl",
            "15m",
            "--scope",
            "purge_select",
            "--username",
            &alice.login,
            "--password-stdin",
            "--",
            "sh",
            "-c",
            &format!("env > {}", environ.display()),
        ]);
    let out = run(cmd, Some(&format!("{}\n", alice.password)));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let seen = std::fs::read_to_string(&environ).expect("environment");
    assert!(!seen.contains("FASTLY_OTP"), "{seen}");

    // A password line longer than the cap is a usage error, before anything is created.
    let before = fake.live_tokens();
    let huge = "p".repeat(1 << 20);
    let mut cmd = bin();
    cmd.env("FASTLY_API_TOKEN", &alice.key)
        .args(["--endpoint", fake.base_url()])
        .args(exec_args(&alice, &["true"]))
        .stdin(Stdio::piped());
    let out = run(cmd, Some(&huge));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("longer than 4096 bytes"),
        "{}",
        out.stderr
    );
    assert_eq!(fake.live_tokens(), before);
    let _ = std::fs::remove_dir_all(&dir);
}
