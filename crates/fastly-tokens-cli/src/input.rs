//! What the CLI reads: passwords, one-time codes and secrets from stdin (capped, and one line
//! at a time where the rest of stdin belongs to someone else), ids from a file, and the answer
//! to a confirmation.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::os::fd::AsFd as _;

use fastly_tokens::TokenId;
use fastly_tokens::secrecy::SecretString;

use crate::Failure;
use crate::output;

/// Longest password, one-time code or secret read from stdin. A Fastly API token is 32
/// characters; anything longer than this is a file piped by mistake, and sending it as a header
/// would only earn a 431.
pub(crate) const MAX_SECRET: usize = 4096;

/// How many tokens a dry run or a confirmation lists by name before summing up the rest.
pub(crate) const LISTED: usize = 20;

/// One line of stdin, read a byte at a time straight from the file descriptor (no buffer), so
/// that what follows the line stays on stdin: for `--otp-stdin`, and for `exec`'s command.
fn stdin_line(what: &str) -> Result<String, Failure> {
    let fd = std::io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .map_err(|e| Failure::usage(format!("cannot read {what} from stdin: {e}")))?;
    let mut stdin = std::fs::File::from(fd);
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match stdin.read(&mut byte) {
            Ok(0) => break,
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) => {
                if line.len() == MAX_SECRET {
                    return Err(too_long(what));
                }
                line.push(byte[0]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(Failure::usage(format!(
                    "cannot read {what} from stdin: {e}"
                )));
            }
        }
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| Failure::usage(format!("{what} on stdin is not UTF-8")))
}

fn too_long(what: &str) -> Failure {
    Failure::usage(format!(
        "{what} on stdin is longer than {MAX_SECRET} bytes; a Fastly API token is 32 characters: \
         was a file piped by mistake?"
    ))
}

/// The password: prompted without echo on a terminal, else the first line of stdin.
pub(crate) fn password(user: &str) -> Result<SecretString, Failure> {
    let password = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("Password for {}: ", output::clean(user)))
            .map_err(|e| Failure::usage(format!("cannot read the password: {e}")))?
    } else {
        stdin_line("the password")?
    };
    if password.is_empty() {
        return Err(Failure::usage("the password is empty"));
    }
    if password.len() > MAX_SECRET {
        return Err(too_long("the password"));
    }
    Ok(SecretString::from(password))
}

/// The one-time code: prompted on a terminal, else the next line of stdin (after the password).
pub(crate) fn otp() -> Result<SecretString, Failure> {
    let code = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("One-time code: ")
            .map_err(|e| Failure::usage(format!("cannot read the one-time code: {e}")))?
    } else {
        stdin_line("the one-time code")?
    };
    let code = code.trim();
    if code.is_empty() {
        return Err(Failure::usage(
            "--otp-stdin: no one-time code on stdin (give it on the line after the password)",
        ));
    }
    Ok(SecretString::from(code.to_string()))
}

/// A secret (a leaked key) from stdin, never an argument: prompted without echo on a terminal,
/// else all of stdin, at most [`MAX_SECRET`] bytes.
pub(crate) fn secret() -> Result<SecretString, Failure> {
    let text = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Secret (not echoed): ")
            .map_err(|e| Failure::usage(format!("cannot read the secret: {e}")))?
    } else {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(MAX_SECRET as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::usage(format!("cannot read the secret from stdin: {e}")))?;
        if bytes.len() > MAX_SECRET {
            return Err(too_long("the secret"));
        }
        String::from_utf8(bytes).map_err(|_| Failure::usage("the secret on stdin is not UTF-8"))?
    };
    let secret = text.trim();
    if secret.is_empty() {
        return Err(Failure::usage("no secret on stdin"));
    }
    if secret.len() > MAX_SECRET {
        return Err(too_long("the secret"));
    }
    Ok(SecretString::from(secret.to_string()))
}

/// Ids from a file (`-` for stdin): one per line, `#` comments and blank lines ignored.
pub(crate) fn ids(path: &str) -> Result<Vec<String>, Failure> {
    let text = if path == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(path)
    }
    .map_err(|e| Failure::usage(format!("cannot read ids from {}: {e}", output::clean(path))))?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

/// Asks on a terminal; elsewhere only `--yes` goes ahead. `listing` says what will happen.
pub(crate) fn confirm(
    listing: &[String],
    question: &str,
    yes: bool,
    nothing: &str,
) -> Result<(), Failure> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::usage(format!(
            "{question} Refusing without --yes when stdin is not a terminal; {nothing}"
        )));
    }
    for line in listing {
        output::err_line(line);
    }
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{question} [y/N] ");
    let _ = stderr.flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Failure::usage(format!("cancelled; {nothing}")))
    }
}

/// [`confirm`] for a command whose stdin is its input (`triage -`): the question goes to the
/// terminal (`/dev/tty`) when stderr is one; without a terminal, only `--yes` goes ahead.
pub(crate) fn confirm_on_tty(
    listing: &[String],
    question: &str,
    yes: bool,
    nothing: &str,
) -> Result<(), Failure> {
    if yes {
        return Ok(());
    }
    let tty = std::io::stderr()
        .is_terminal()
        .then(|| {
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/tty")
                .ok()
        })
        .flatten();
    let Some(mut tty) = tty else {
        return Err(Failure::usage(format!(
            "{question} Refusing without --yes when there is no terminal to ask on; {nothing}"
        )));
    };
    for line in listing {
        output::err_line(line);
    }
    let _ = write!(tty, "{question} [y/N] ");
    let _ = tty.flush();
    let mut answer = String::new();
    let _ = std::io::BufReader::new(tty).read_line(&mut answer);
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Failure::usage(format!("cancelled; {nothing}")))
    }
}

/// "name (id)" lines for the first [`LISTED`] tokens, then a count of the rest.
pub(crate) fn listing(entries: &[(TokenId, Option<String>)], verb: &str) -> Vec<String> {
    let mut lines: Vec<String> = entries
        .iter()
        .take(LISTED)
        .map(|(id, name)| match name {
            Some(name) => format!("{verb} {id}  {}", output::cell(name, 60)),
            None => format!("{verb} {id}  (not among the tokens this API token can list)"),
        })
        .collect();
    if entries.len() > LISTED {
        lines.push(format!("… and {} more", entries.len() - LISTED));
    }
    lines
}
