//! Everything the CLI writes as text: terminal-safe strings, tables, and stdout that survives
//! its reader going away. The JSON documents are in `docs.rs`.
//!
//! Two rules hold for every byte written here:
//! * **stdout may be closed** (`| head`) **or full**: a failed write never panics (as `println!`
//!   would) and never changes what the command does; see [`Out`] and [`settle`];
//! * **server text is not trusted**: names, user agents and messages come from the server (or
//!   from whoever named a token), so [`clean`] escapes control and bidirectional-override
//!   characters before they reach a terminal, and table cells are cut to a width.

use std::borrow::Cow;
use std::io::{ErrorKind, Write};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use fastly_tokens::Token;
use serde::Serialize;

use crate::{ExitClass, Failure};

/// Escapes what could drive a terminal: C0/C1 control characters (escape sequences, carriage
/// returns, bells) and the Unicode bidirectional overrides and isolates (which reorder what is
/// shown). Everything else is kept, so ordinary names print as they are.
pub fn clean(s: &str) -> Cow<'_, str> {
    fn unsafe_char(c: char) -> bool {
        c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    }
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`clean`], then cut to `max` characters with an ellipsis.
pub fn cell(s: &str, max: usize) -> String {
    let cleaned = clean(s);
    if cleaned.chars().count() <= max {
        return cleaned.into_owned();
    }
    let mut out: String = cleaned.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Writes a line on stderr; a closed stderr is ignored (there is nowhere left to report it).
pub fn err_line(text: impl AsRef<str>) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr
        .write_all(text.as_ref().as_bytes())
        .and_then(|()| stderr.write_all(b"\n"));
}

/// The first error writing stdout: a closed pipe, a full disk. Later writes are skipped.
static STDOUT_FAILED: Mutex<Option<(ErrorKind, String)>> = Mutex::new(None);

fn stdout_failed() -> Option<(ErrorKind, String)> {
    STDOUT_FAILED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

/// stdout. A write that fails (a closed pipe: `| head`; a full disk) does not stop the
/// command: [`Out::line`] keeps the error for [`settle`] and skips later writes, so what the
/// command does, and its exit class, never depend on whether someone reads its output. A
/// hand-off, where the secret on stdout *is* the delivery, uses [`Out::write_line`] and looks
/// at the result.
pub struct Out;

impl Out {
    /// Writes `text` and a newline; a failed write is kept for the end of the command.
    pub fn line(&self, text: impl AsRef<str>) -> Result<(), Failure> {
        let _ = self.write_line(text);
        Ok(())
    }

    /// Writes and flushes `text` and a newline, and says whether it arrived.
    pub fn write_line(&self, text: impl AsRef<str>) -> std::io::Result<()> {
        if let Some((kind, message)) = stdout_failed() {
            return Err(std::io::Error::new(kind, message));
        }
        let mut stdout = std::io::stdout().lock();
        let written = stdout
            .write_all(text.as_ref().as_bytes())
            .and_then(|()| stdout.write_all(b"\n"))
            .and_then(|()| stdout.flush());
        if let Err(e) = &written {
            let mut failed = STDOUT_FAILED
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            failed.get_or_insert_with(|| (e.kind(), e.to_string()));
        }
        written
    }

    /// Writes one JSON document; a failed write is kept for the end of the command.
    pub fn json<T: Serialize>(&self, value: &T) -> Result<(), Failure> {
        self.line(to_json(value)?)
    }
}

/// Whether stdout goes nowhere: `/dev/null`, which is also what a closed stdout (`>&-`) is
/// reopened as when the process starts. A secret printed there is lost, so a command that
/// would deliver one on stdout refuses before creating anything.
pub fn stdout_is_null() -> bool {
    use std::os::fd::AsFd as _;
    use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
    let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() else {
        return false;
    };
    let (Ok(out), Ok(null)) = (
        std::fs::File::from(fd).metadata(),
        std::fs::metadata("/dev/null"),
    ) else {
        return false;
    };
    out.file_type().is_char_device() && out.rdev() == null.rdev()
}

/// Whether stdout is a pipe whose reader has gone (`| head -c 10` after it exited): what was
/// written there and not yet read is lost. Checked before a credential is retired.
pub fn stdout_reader_gone() -> bool {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::os::fd::AsFd as _;
    let stdout = std::io::stdout();
    let mut fds = [PollFd::new(stdout.as_fd(), PollFlags::empty())];
    match poll(&mut fds, PollTimeout::ZERO) {
        Ok(_) => fds[0]
            .revents()
            .is_some_and(|r| r.intersects(PollFlags::POLLERR | PollFlags::POLLHUP)),
        Err(_) => false,
    }
}

/// A document as pretty JSON.
pub fn to_json<T: Serialize>(value: &T) -> Result<String, Failure> {
    serde_json::to_string_pretty(value).map_err(|e| Failure {
        class: ExitClass::Other,
        message: format!("cannot encode the output as JSON: {e}"),
        ..Failure::default()
    })
}

/// A command's result with stdout's fate: a closed pipe changes nothing (the command did
/// everything; `audit` keeps its findings code), any other write error (no space, I/O) turns a
/// success or findings into a local failure (exit 9).
pub fn settle(result: Result<u8, Failure>) -> Result<u8, Failure> {
    match (result, stdout_failed()) {
        (Ok(code), Some((kind, message)))
            if kind != ErrorKind::BrokenPipe && code <= ExitClass::Findings as u8 =>
        {
            Err(Failure::local(format!("cannot write to stdout: {message}")))
        }
        (result, _) => result,
    }
}

pub fn when(t: Option<DateTime<Utc>>, none: &str) -> String {
    t.map_or_else(
        || none.to_string(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

fn day(t: Option<DateTime<Utc>>, none: &str) -> String {
    t.map_or_else(|| none.to_string(), |t| t.format("%Y-%m-%d").to_string())
}

pub fn services(t: &Token) -> String {
    if t.is_unrestricted() {
        "all".to_string()
    } else {
        t.services()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

pub fn print_token(out: &Out, t: &Token) -> Result<(), Failure> {
    let rows = [
        ("name", clean(t.name()).into_owned()),
        ("id", t.id().to_string()),
        ("user", t.user_id().to_string()),
        (
            "customer",
            t.customer_id().map_or("-".to_string(), ToString::to_string),
        ),
        ("scopes", clean(t.scopes().as_str()).into_owned()),
        ("services", services(t)),
        ("created", when(Some(t.created_at()), "-")),
        ("last used", last_used(t.last_used_at(), t.ip())),
        (
            "user agent",
            clean(t.user_agent().unwrap_or("-")).into_owned(),
        ),
        ("expires", when(t.expires_at(), "never")),
    ];
    print_fields(out, &rows)
}

/// "when from where" for a token's last use.
fn last_used(at: Option<DateTime<Utc>>, ip: Option<&str>) -> String {
    match (at, ip) {
        (Some(at), Some(ip)) => format!("{} from {}", when(Some(at), ""), clean(ip)),
        (at, _) => when(at, "never"),
    }
}

/// `key  value` lines, the keys padded to one column.
fn print_fields(out: &Out, rows: &[(&str, String)]) -> Result<(), Failure> {
    for (k, v) in rows {
        out.line(format!("{}{v}", pad(k, 12)))?;
    }
    Ok(())
}

/// A table: the header, then the rows, each column as wide as its widest cell.
pub fn print_grid(out: &Out, header: &[&str], rows: &[Vec<String>]) -> Result<(), Failure> {
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(rows) {
        let line: Vec<String> = row.iter().zip(&widths).map(|(c, w)| pad(c, *w)).collect();
        out.line(line.join("  ").trim_end())?;
    }
    Ok(())
}

/// `s` followed by spaces up to `width` characters. Written out rather than with `{:<w$}`:
/// format widths are capped at 65,535 and a longer name would panic.
fn pad(s: &str, width: usize) -> String {
    let len = s.chars().count();
    let mut out = String::with_capacity(s.len() + width.saturating_sub(len));
    out.push_str(s);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(len)));
    out
}

/// Widest a name is shown in a table; the whole name is in `show` and `--json`.
const NAME_WIDTH: usize = 40;

/// The token table; with `owner`, a USER column (for a customer's tokens).
pub fn print_table(out: &Out, tokens: &[Token], owner: bool) -> Result<(), Failure> {
    let mut header = vec!["NAME", "ID"];
    if owner {
        header.push("USER");
    }
    header.extend(["SCOPES", "SERVICES", "LAST USED", "EXPIRES"]);
    let rows: Vec<Vec<String>> = tokens
        .iter()
        .map(|t| {
            let mut row = vec![cell(t.name(), NAME_WIDTH), t.id().to_string()];
            if owner {
                row.push(t.user_id().to_string());
            }
            row.extend([
                cell(t.scopes().as_str(), NAME_WIDTH),
                if t.is_unrestricted() {
                    "all".to_string()
                } else {
                    t.services().len().to_string()
                },
                day(t.last_used_at(), "never"),
                day(t.expires_at(), "never"),
            ]);
            row
        })
        .collect();
    print_grid(out, &header, &rows)
}

/// One automation token, as `show` prints a user token.
pub fn print_automation(out: &Out, t: &fastly_tokens::AutomationToken) -> Result<(), Failure> {
    let services = if t.is_unrestricted() {
        "all".to_string()
    } else {
        t.services()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let rows = [
        ("name", clean(t.name()).into_owned()),
        ("id", t.id().to_string()),
        (
            "role",
            t.role()
                .map_or("-".to_string(), |r| clean(r.as_str()).into_owned()),
        ),
        ("scopes", clean(t.scopes().as_str()).into_owned()),
        ("services", services),
        (
            "creator",
            t.creator_id().map_or("-".to_string(), ToString::to_string),
        ),
        (
            "tls access",
            t.tls_access().map_or("-".to_string(), |b| {
                if b { "yes" } else { "no" }.to_string()
            }),
        ),
        ("created", when(Some(t.created_at()), "-")),
        ("last used", last_used(t.last_used_at(), t.ip())),
        (
            "user agent",
            clean(t.user_agent().unwrap_or("-")).into_owned(),
        ),
        ("expires", when(t.expires_at(), "never")),
    ];
    print_fields(out, &rows)
}

/// The automation token table.
pub fn print_automation_table(
    out: &Out,
    tokens: &[fastly_tokens::AutomationToken],
) -> Result<(), Failure> {
    let header = [
        "NAME",
        "ID",
        "ROLE",
        "SCOPES",
        "SERVICES",
        "LAST USED",
        "EXPIRES",
    ];
    let rows: Vec<Vec<String>> = tokens
        .iter()
        .map(|t| {
            vec![
                cell(t.name(), NAME_WIDTH),
                t.id().to_string(),
                t.role().map_or("-".to_string(), |r| cell(r.as_str(), 20)),
                cell(t.scopes().as_str(), NAME_WIDTH),
                if t.is_unrestricted() {
                    "all".to_string()
                } else {
                    t.services().len().to_string()
                },
                day(t.last_used_at(), "never"),
                day(t.expires_at(), "never"),
            ]
        })
        .collect();
    print_grid(out, &header, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_escapes_what_drives_a_terminal_and_keeps_the_rest() {
        assert_eq!(clean("deploy-ci été 🚀"), "deploy-ci été 🚀");
        assert_eq!(
            clean("evil\u{1b}[2J\u{1b}[31m"),
            "evil\\u{1b}[2J\\u{1b}[31m"
        );
        assert_eq!(clean("a\rb\u{7}"), "a\\u{d}b\\u{7}");
        assert_eq!(clean("x\u{202E}gpj.exe"), "x\\u{202e}gpj.exe");
        assert_eq!(clean("\u{9b}31m"), "\\u{9b}31m");
    }

    #[test]
    fn cells_are_cut_and_padding_never_uses_format_widths() {
        let long = "n".repeat(70_000);
        assert_eq!(cell(&long, 10).chars().count(), 10);
        assert_eq!(pad(&long, 80_000).chars().count(), 80_000);
        assert_eq!(pad("ab", 4), "ab  ");
    }
}
