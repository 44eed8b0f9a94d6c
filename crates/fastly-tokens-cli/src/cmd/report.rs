//! The revoke report, shared by `revoke` (every form) and `automation revoke`: one result per
//! distinct id, in input order, as text or the `revoke` document.

use fastly_tokens::{RevokeStatus, TokenId};
use rustc_hash::FxHashSet;

use crate::Failure;
use crate::context::Context;
use crate::docs::{Outcome, RevokeDoc, TokenResult};
use crate::errors;
use crate::input::LISTED;
use crate::output::{self, clean};

/// Distinct ids in input order, and the ids that were given more than once.
pub(crate) fn dedupe(ids: Vec<TokenId>) -> (Vec<TokenId>, Vec<TokenId>) {
    let mut seen: FxHashSet<TokenId> = FxHashSet::default();
    let mut repeated: FxHashSet<TokenId> = FxHashSet::default();
    let mut distinct = Vec::with_capacity(ids.len());
    let mut duplicates = Vec::new();
    for id in ids {
        if seen.contains(&id) {
            if repeated.insert(id.clone()) {
                duplicates.push(id);
            }
        } else {
            seen.insert(id.clone());
            distinct.push(id);
        }
    }
    (distinct, duplicates)
}

/// The dry run's results: every token as "would revoke", with its name when known.
pub(crate) fn would_revoke(entries: &[(TokenId, Option<String>)]) -> Vec<TokenResult> {
    entries
        .iter()
        .map(|(id, name)| TokenResult {
            id: id.to_string(),
            name: name.clone(),
            status: Outcome::WouldRevoke,
            error: None,
            via: None,
        })
        .collect()
}

/// One result per revoke report entry, named from `names`.
pub(crate) fn results(
    ctx: &Context,
    entries: &[(TokenId, RevokeStatus)],
    names: impl Fn(&TokenId) -> Option<String>,
) -> Vec<TokenResult> {
    entries
        .iter()
        .map(|(id, status)| {
            let (status, error) = match status {
                RevokeStatus::Revoked => (Outcome::Revoked, None),
                RevokeStatus::AlreadyGone => (Outcome::AlreadyGone, None),
                RevokeStatus::Failed(e) => {
                    (Outcome::Failed, Some(errors::message(e, ctx.keys, false)))
                }
                _ => (Outcome::Failed, Some("unknown outcome".to_string())),
            };
            TokenResult {
                id: id.to_string(),
                name: names(id),
                status,
                error,
                via: None,
            }
        })
        .collect()
}

fn status_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Revoked => "revoked      ",
        Outcome::AlreadyGone => "already gone ",
        Outcome::Failed => "FAILED       ",
        Outcome::WouldRevoke => "would revoke ",
        Outcome::Kept => "kept         ",
    }
}

pub(crate) fn print_revoke(ctx: &Context, doc: &RevokeDoc) -> Result<(), Failure> {
    if ctx.json {
        return ctx.out.json(doc);
    }
    let shown: Vec<&TokenResult> = if doc.dry_run {
        doc.results.iter().take(LISTED).collect()
    } else {
        doc.results.iter().collect()
    };
    for r in shown {
        let name = r
            .name
            .as_deref()
            .map(|n| format!("  {}", output::cell(n, 60)))
            .unwrap_or_default();
        let error = r
            .error
            .as_deref()
            .map(|e| format!(": {}", clean(e)))
            .unwrap_or_default();
        ctx.out
            .line(format!("{}{}{name}{error}", status_word(r.status), r.id))?;
    }
    if doc.dry_run && doc.results.len() > LISTED {
        ctx.out
            .line(format!("… and {} more", doc.results.len() - LISTED))?;
    }
    if !doc.duplicates.is_empty() {
        ctx.out.line(format!(
            "{} id(s) were given more than once and count once",
            doc.duplicates.len()
        ))?;
    }
    if doc.dry_run {
        ctx.out.line(format!(
            "{} token(s) would be revoked (dry run: nothing was revoked)",
            doc.would_revoke
        ))?;
    } else {
        ctx.out.line(format!(
            "{} revoked, {} already gone, {} failed",
            doc.revoked, doc.already_gone, doc.failed
        ))?;
    }
    Ok(())
}
