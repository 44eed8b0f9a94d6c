//! `fastly-tokens revoke`: ids given, from a file, or every token of a user (offboarding);
//! `--current` and `--secret-stdin` are in `revoke_one.rs`.

use std::collections::HashMap;

use fastly_tokens::{CustomerId, Error, RevokeStatus, TokenId};

use super::report::{dedupe, print_revoke, results, would_revoke};
use crate::args::RevokeArgs;
use crate::context::Context;
use crate::docs::RevokeDoc;
use crate::errors;
use crate::input;
use crate::output::clean;
use crate::{ExitClass, Failure};

pub(crate) async fn run(ctx: &Context, args: RevokeArgs) -> Result<ExitClass, Failure> {
    let mut raw = args.ids.clone();
    if let Some(path) = &args.from_file {
        raw.extend(input::ids(path)?);
    }
    let mut user_names: HashMap<String, String> = HashMap::new();
    if let Some(user) = &args.user {
        let found = user_token_ids(ctx, &args, user).await?;
        raw.extend(found.iter().map(|(id, _)| id.clone()));
        user_names.extend(found);
        if raw.is_empty() {
            print_revoke(ctx, &RevokeDoc::new(args.dry_run, Vec::new(), Vec::new()))?;
            return Ok(ExitClass::Success);
        }
    }
    if raw.is_empty() {
        return Err(Failure::usage(
            "no ids given: pass ids, --from-file FILE, --user, --secret-stdin, or --current",
        ));
    }
    // Every id is checked before anything is sent, then the whole input is de-duplicated.
    let mut ids: Vec<TokenId> = Vec::with_capacity(raw.len());
    let mut bad = Vec::new();
    for (n, r) in raw.iter().enumerate() {
        match r.parse::<TokenId>() {
            Ok(id) => ids.push(id),
            Err(e) => bad.push(format!("#{}: {e}", n + 1)),
        }
    }
    if !bad.is_empty() {
        let shown: Vec<&str> = bad.iter().take(5).map(String::as_str).collect();
        let more = if bad.len() > 5 {
            format!("; … and {} more", bad.len() - 5)
        } else {
            String::new()
        };
        return Err(Failure::usage(format!(
            "{} invalid id(s) (numbered in input order), nothing was revoked: {}{more}",
            bad.len(),
            shown.join("; ")
        )));
    }
    let (ids, duplicates) = dedupe(ids);
    let me = ctx.call(ctx.client.current_token()).await?;
    if ids.contains(me.id()) {
        return Err(Failure::usage(format!(
            "refusing to revoke {} ({}): it is the token in use; use --current to revoke it",
            me.id(),
            clean(me.name())
        )));
    }
    // Names for the listing; a failed listing only costs the names. Automation tokens are
    // named too (when this API token may list them), and revoked through their own path.
    let mut names: HashMap<TokenId, String> = ctx
        .waiting(ctx.client.list_tokens())
        .await
        .map(|tokens| {
            tokens
                .into_iter()
                .map(|t| (t.id().clone(), t.name().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let automation: HashMap<TokenId, String> = ctx
        .waiting(ctx.client.list_automation_tokens())
        .await
        .map(|tokens| {
            tokens
                .into_iter()
                .map(|t| (t.id().as_token_id(), t.name().to_string()))
                .collect()
        })
        .unwrap_or_default();
    names.extend(
        automation
            .iter()
            .map(|(id, name)| (id.clone(), format!("{name} (automation)"))),
    );
    for (id, name) in user_names {
        if let Ok(id) = id.parse::<TokenId>() {
            names.entry(id).or_insert(name);
        }
    }
    let entries: Vec<(TokenId, Option<String>)> = ids
        .iter()
        .map(|id| (id.clone(), names.get(id).cloned()))
        .collect();
    let duplicates: Vec<String> = duplicates.iter().map(ToString::to_string).collect();
    if args.dry_run {
        let results = would_revoke(&entries);
        print_revoke(ctx, &RevokeDoc::new(true, results, duplicates))?;
        return Ok(ExitClass::Success);
    }
    input::confirm(
        &input::listing(&entries, "revoke"),
        &format!("Revoke {} token(s)?", ids.len()),
        args.yes,
        "nothing was revoked",
    )?;
    let (automation_ids, user_ids): (Vec<&TokenId>, Vec<&TokenId>) =
        ids.iter().partition(|id| automation.contains_key(*id));
    let mut statuses: HashMap<TokenId, RevokeStatus> = HashMap::new();
    if !user_ids.is_empty() {
        let report = ctx.call(ctx.client.revoke_tokens(user_ids)).await?;
        statuses.extend(report.entries().iter().cloned());
    }
    if !automation_ids.is_empty() {
        let as_automation: Vec<fastly_tokens::AutomationTokenId> = automation_ids
            .iter()
            .filter_map(|id| id.as_str().parse().ok())
            .collect();
        let report = ctx
            .call(ctx.client.revoke_automation_tokens(&as_automation))
            .await?;
        statuses.extend(report.entries().iter().cloned());
    }
    let entries: Vec<(TokenId, RevokeStatus)> = ids
        .iter()
        .filter_map(|id| statuses.remove(id).map(|s| (id.clone(), s)))
        .collect();
    let failed_errors: Vec<&Error> = entries
        .iter()
        .filter_map(|(_, s)| match s {
            RevokeStatus::Failed(e) => Some(e.as_ref()),
            _ => None,
        })
        .collect();
    let results = results(ctx, &entries, |id| names.get(id).cloned());
    let doc = RevokeDoc::new(false, results, duplicates);
    print_revoke(ctx, &doc)?;
    if doc.failed == 0 {
        return Ok(ExitClass::Success);
    }
    let classes: Vec<ExitClass> = failed_errors.iter().map(|e| errors::class(e)).collect();
    let class = if doc.failed == doc.results.len() && classes.iter().all(|c| *c == classes[0]) {
        classes[0]
    } else {
        ExitClass::Partial
    };
    Err(Failure {
        class,
        message: format!(
            "{} of {} token(s) were not revoked (see above); rerun with the failed ids, revoking again is safe",
            doc.failed,
            doc.results.len()
        ),
        ..Failure::default()
    })
}

/// `revoke --user`: the ids of every token of a user, from the customer's token list.
async fn user_token_ids(
    ctx: &Context,
    args: &RevokeArgs,
    user: &str,
) -> Result<Vec<(String, String)>, Failure> {
    let user: fastly_tokens::UserId = user.parse().map_err(|e| ctx.fail(&e))?;
    let customer: CustomerId = match &args.customer {
        Some(c) => c.parse().map_err(|e| ctx.fail(&e))?,
        None => ctx
            .call(ctx.client.current_token())
            .await?
            .customer_id()
            .cloned()
            .ok_or_else(|| Failure::usage("the token in use names no customer: pass --customer"))?,
    };
    let tokens = ctx.call(ctx.client.list_customer_tokens(&customer)).await?;
    Ok(tokens
        .iter()
        .filter(|t| t.user_id() == &user)
        .filter(|t| !(args.keep_sessions && t.is_browser_session()))
        .map(|t| (t.id().to_string(), t.name().to_string()))
        .collect())
}
