//! `triage REPORT`: every Fastly key a secret scanner found, checked with the key itself on
//! `/tokens/self` (reads only, a few at a time): live, dead or unknown, whose token and what it
//! can do, and where it was found. With `--revoke`, each live key is revoked with the key itself,
//! or by id with the caller's token when the key may not revoke itself; never the token in use.
//!
//! Keys are named only by their fingerprint; the report is read, never copied or written.

use std::cell::Cell;
use std::io::Read as _;

use fastly_tokens::secrecy::{ExposeSecret as _, SecretString};
use fastly_tokens::{AutomationTokenId, RevokeOutcome, Token, TokenId};
use futures_util::stream::{self, StreamExt as _};

use crate::args::TriageArgs;
use crate::context::Context;
use crate::docs::{KeyStatus, TriageDoc, TriagedKey};
use crate::input;
use crate::mint;
use crate::output::{self, cell, clean};
use crate::reports::{self, Leak};
use crate::signals::Signals;
use crate::{ExitClass, Failure, sarif};

/// What checking one key found.
enum Check {
    Live(Box<Token>, Option<&'static str>),
    Dead,
    Unknown(String),
}

pub(crate) async fn run(ctx: &Context, args: TriageArgs) -> Result<u8, Failure> {
    let text = read_report(&args.report)?;
    let report = reports::read(text.expose_secret(), args.format).map_err(Failure::usage)?;
    drop(text);
    if report.leaks.len() > args.max_keys {
        return Err(Failure::usage(format!(
            "the report has {} distinct Fastly keys, more than --max-keys {} (each is one \
             request): raise --max-keys to check them all",
            report.leaks.len(),
            args.max_keys
        )));
    }
    let checks: Vec<Check> = stream::iter(&report.leaks)
        .map(|leak| check(ctx, leak))
        .buffered(args.concurrency)
        .collect()
        .await;
    let mut keys: Vec<TriagedKey> = report
        .leaks
        .iter()
        .zip(checks)
        .map(|(leak, check)| triaged(leak, check))
        .collect();
    let mut signal = None;
    if args.revoke {
        signal = revoke(ctx, &args, &report.leaks, &mut keys).await?;
    }
    let count = |s: KeyStatus| keys.iter().filter(|k| k.status == s).count();
    let doc = TriageDoc {
        format: report.format.as_str().to_string(),
        findings: report.findings,
        fastly_findings: report.fastly_findings,
        not_keys: report.not_keys,
        dry_run: args.dry_run,
        live: count(KeyStatus::Live),
        revoked: count(KeyStatus::Revoked),
        would_revoke: count(KeyStatus::WouldRevoke),
        revoke_failed: count(KeyStatus::RevokeFailed),
        dead: count(KeyStatus::Dead),
        unknown: count(KeyStatus::Unknown),
        keys,
    };
    // What was done is printed first: a SARIF file that cannot be written must not hide it.
    if ctx.json {
        ctx.out.json(&doc)?;
    } else {
        print(ctx, &doc)?;
    }
    if let Some(path) = &args.sarif {
        let rendered = sarif::render(&doc)?;
        sarif::write(path, &rendered.text)?;
        if rendered.placeless > 0 {
            output::err_line(format!(
                "{} place(s) with no file named (or named by a URL) are not in the SARIF file \
                 (code scanning cannot place them); they are in the output above",
                rendered.placeless
            ));
        }
    }
    if let Some(n) = signal {
        return Ok(u8::try_from(128 + n).unwrap_or(255));
    }
    Ok(if doc.revoke_failed > 0 {
        ExitClass::Partial
    } else if doc.live + doc.would_revoke > 0 {
        ExitClass::LiveKey
    } else if doc.unknown > 0 {
        ExitClass::Network
    } else {
        ExitClass::Success
    } as u8)
}

/// The report's text (a file, or `-` for stdin), at most [`reports::MAX_REPORT`] bytes, held as
/// a secret: it is full of keys.
fn read_report(path: &str) -> Result<SecretString, Failure> {
    let shown = clean(path).into_owned();
    let fail =
        |e: &dyn std::fmt::Display| Failure::usage(format!("cannot read the report {shown}: {e}"));
    let mut bytes = Vec::new();
    let read = if path == "-" {
        std::io::stdin()
            .lock()
            .take(reports::MAX_REPORT + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(reports::MAX_REPORT + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| fail(&e))?;
    if bytes.len() as u64 > reports::MAX_REPORT {
        return Err(fail(&format_args!(
            "it is larger than {} MiB",
            reports::MAX_REPORT / 1024 / 1024
        )));
    }
    let text = String::from_utf8(bytes).map_err(|_| fail(&"it is not UTF-8 text"))?;
    Ok(SecretString::from(text))
}

/// Checks one key with itself; a live key's kind is told with the caller's token when there is
/// one (an automation token's id is found among the automation tokens).
async fn check(ctx: &Context, leak: &Leak) -> Check {
    let client = match ctx.client_for(&leak.key) {
        Ok(c) => c,
        Err(f) => return Check::Unknown(f.message),
    };
    match ctx.waiting(client.current_token()).await {
        Ok(token) => {
            let kind = kind_of(ctx, &token).await;
            Check::Live(Box::new(token), kind)
        }
        Err(e) if e.is_unauthorized() => Check::Dead,
        Err(e) => Check::Unknown(e.to_string()),
    }
}

async fn kind_of(ctx: &Context, token: &Token) -> Option<&'static str> {
    if token.is_browser_session() {
        return Some("session");
    }
    if !ctx.has_token() {
        return None;
    }
    let id: AutomationTokenId = token.id().as_str().parse().ok()?;
    match ctx.waiting(ctx.client.get_automation_token(&id)).await {
        Ok(_) => Some("automation"),
        Err(e) if e.status() == Some(404) => Some("user"),
        Err(_) => None,
    }
}

fn triaged(leak: &Leak, check: Check) -> TriagedKey {
    let (status, error, token, kind) = match check {
        Check::Live(token, kind) => (KeyStatus::Live, None, Some(*token), kind),
        Check::Dead => (KeyStatus::Dead, None, None, None),
        Check::Unknown(why) => (KeyStatus::Unknown, Some(why), None, None),
    };
    TriagedKey {
        fingerprint: leak.fingerprint.clone(),
        status,
        via: None,
        error,
        token,
        kind: kind.map(str::to_string),
        rules: leak.rules.iter().cloned().collect(),
        locations: leak.locations.clone(),
    }
}

/// `--revoke`: every live key but the token in use, after confirmation, a few at a time. A
/// signal stops new revokes; those in flight finish and are reported. The signal, if any.
async fn revoke(
    ctx: &Context,
    args: &TriageArgs,
    leaks: &[Leak],
    keys: &mut [TriagedKey],
) -> Result<Option<i32>, Failure> {
    let mut targets: Vec<(usize, TokenId, bool)> = Vec::new();
    for (i, key) in keys.iter_mut().enumerate() {
        let Some(token) = &key.token else { continue };
        if ctx.is_token_in_use(&leaks[i].key) {
            key.error = Some(
                "not revoked: it is the token this command runs with (revoke it with \
                 `revoke --current`)"
                    .to_string(),
            );
            continue;
        }
        targets.push((
            i,
            token.id().clone(),
            key.kind.as_deref() == Some("automation"),
        ));
    }
    if targets.is_empty() {
        return Ok(None);
    }
    if args.dry_run {
        for (i, _, _) in &targets {
            keys[*i].status = KeyStatus::WouldRevoke;
        }
        return Ok(None);
    }
    let listing: Vec<String> = targets
        .iter()
        .take(input::LISTED)
        .map(|(i, id, _)| {
            let name = keys[*i].token.as_ref().map_or("", |t| t.name());
            format!(
                "revoke key {}: token {id}  {}",
                keys[*i].fingerprint,
                cell(name, 60)
            )
        })
        .chain(
            (targets.len() > input::LISTED)
                .then(|| format!("… and {} more", targets.len() - input::LISTED)),
        )
        .collect();
    let question = format!("Revoke {} live leaked key(s)?", targets.len());
    if args.report == "-" {
        input::confirm_on_tty(&listing, &question, args.yes, "nothing was revoked")?;
    } else {
        input::confirm(&listing, &question, args.yes, "nothing was revoked")?;
    }
    let mut signals = Signals::install()?;
    let stop = Cell::new(false);
    let mut work = stream::iter(targets)
        .map(|(i, id, automation)| {
            let stop = &stop;
            async move {
                if stop.get() {
                    return (i, None);
                }
                let own = ctx.has_token().then_some(&id);
                (
                    i,
                    Some(mint::revoke_with_key(ctx, &leaks[i].key, own, automation).await),
                )
            }
        })
        .buffer_unordered(args.concurrency);
    let mut received = None;
    loop {
        tokio::select! {
            biased;
            next = work.next() => {
                let Some((i, result)) = next else { break };
                let key = &mut keys[i];
                match result {
                    None => {
                        key.error = Some("not revoked: stopped by a signal".to_string());
                    }
                    Some(Ok((via, outcome))) => {
                        key.status = KeyStatus::Revoked;
                        key.via = Some(via.as_str().to_string());
                        if outcome == RevokeOutcome::AlreadyGone {
                            key.error = Some("it was already revoked when this run got to it".to_string());
                        }
                    }
                    Some(Err(f)) => {
                        key.status = KeyStatus::RevokeFailed;
                        key.error = Some(match f.status {
                            Some(status @ (401 | 403)) if !ctx.has_token() => format!(
                                "the key may not revoke itself (Fastly answered {status}), and \
                                 no token of yours was given to revoke it by id: set \
                                 FASTLY_API_TOKEN and run again"
                            ),
                            _ => f.message,
                        });
                    }
                }
            }
            n = signals.wait("finishing the revokes in flight, starting no more") => {
                stop.set(true);
                received.get_or_insert(n);
            }
        }
    }
    Ok(received.or(signals.received()))
}

fn print(ctx: &Context, doc: &TriageDoc) -> Result<(), Failure> {
    ctx.out.line(format!(
        "{} distinct Fastly key(s) in {} finding(s) of a {} report ({} finding(s) in all{})",
        doc.keys.len(),
        doc.fastly_findings,
        doc.format,
        doc.findings,
        if doc.not_keys > 0 {
            format!(
                "; {} of a Fastly rule without a whole key, not checked",
                doc.not_keys
            )
        } else {
            String::new()
        }
    ))?;
    if doc.keys.is_empty() {
        return Ok(());
    }
    let header = [
        "KEY",
        "STATUS",
        "TOKEN",
        "NAME",
        "KIND",
        "USER",
        "SCOPES",
        "SERVICES",
        "EXPIRES",
        "LAST USED",
    ];
    let rows: Vec<Vec<String>> = doc
        .keys
        .iter()
        .map(|k| {
            let status = match (k.status, k.via.as_deref()) {
                (KeyStatus::Revoked, Some("by-id")) => "revoked (by id)".to_string(),
                (KeyStatus::Revoked, _) => "revoked (self)".to_string(),
                (s, _) => serde_json::to_value(s)
                    .ok()
                    .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
                    .unwrap_or_default(),
            };
            let mut row = vec![k.fingerprint.clone(), status];
            match &k.token {
                Some(t) => row.extend([
                    t.id().to_string(),
                    cell(t.name(), 30),
                    k.kind.clone().unwrap_or_else(|| "?".to_string()),
                    t.user_id().to_string(),
                    cell(t.scopes().as_str(), 30),
                    if t.is_unrestricted() {
                        "all".to_string()
                    } else {
                        t.services().len().to_string()
                    },
                    output::when(t.expires_at(), "never"),
                    match (t.last_used_at(), t.ip()) {
                        (Some(at), Some(ip)) => {
                            format!("{} from {}", output::when(Some(at), ""), cell(ip, 40))
                        }
                        (at, _) => output::when(at, "never"),
                    },
                ]),
                None => row.extend(std::iter::repeat_n("-".to_string(), 8)),
            }
            row
        })
        .collect();
    output::print_grid(&ctx.out, &header, &rows)?;
    for k in &doc.keys {
        ctx.out.line(String::new())?;
        ctx.out.line(format!("key {}:", k.fingerprint))?;
        if let Some(e) = &k.error {
            ctx.out.line(format!("  note      {}", clean(e)))?;
        }
        for location in &k.locations {
            ctx.out.line(format!("  found at  {location}"))?;
        }
    }
    let mut summary = Vec::new();
    for (n, what) in [
        (doc.live, "live and not revoked"),
        (doc.would_revoke, "would be revoked"),
        (doc.revoked, "revoked"),
        (doc.revoke_failed, "failed to revoke"),
        (doc.dead, "dead"),
        (doc.unknown, "could not be checked"),
    ] {
        if n > 0 {
            summary.push(format!("{n} {what}"));
        }
    }
    ctx.out.line(String::new())?;
    ctx.out.line(summary.join(", "))?;
    if doc.live > 0 {
        ctx.out.line(
            "a live key can act as its token: revoke it with --revoke (see `triage --help`)",
        )?;
    }
    Ok(())
}
