//! `fastly-tokens audit`: every token against the built-in policy or a policy file; exit 1
//! on findings, whether or not anyone reads stdout to the end.

use std::time::Duration;

use super::read;
use crate::args::{AuditArgs, AuditKind};
use crate::audited::Audited;
use crate::context::Context;
use crate::docs;
use crate::output;
use crate::policy::Policy;
use crate::{ExitClass, Failure};

pub(crate) async fn run(ctx: &Context, args: AuditArgs) -> Result<ExitClass, Failure> {
    let policy = match &args.policy {
        Some(path) => Policy::load(path).map_err(Failure::usage)?,
        None => Policy::builtin(
            args.unused_for.unwrap_or(Duration::from_secs(90 * 86_400)),
            args.expiring_within
                .unwrap_or(Duration::from_secs(14 * 86_400)),
        ),
    };
    let customer = args.customer.as_deref();
    // Both lists side by side (reads only): the audit waits for the longer, not the sum.
    let users = async {
        if args.kind == AuditKind::Automation {
            Ok(Vec::new())
        } else {
            read::tokens(ctx, customer).await
        }
    };
    let automation = async {
        match args.kind {
            AuditKind::User => Ok(Some(Vec::new())),
            AuditKind::Automation => ctx
                .call(ctx.client.list_automation_tokens())
                .await
                .map(Some),
            AuditKind::All => match ctx.waiting(ctx.client.list_automation_tokens()).await {
                Ok(tokens) => Ok(Some(tokens)),
                Err(e) if e.is_forbidden() || e.is_unauthorized() => Ok(None),
                Err(e) => Err(ctx.fail(&e)),
            },
        }
    };
    // The first failure ends the audit at once (the other read is dropped).
    let (users, automation) = tokio::try_join!(users, automation)?;
    let automation = automation.unwrap_or_else(|| {
        output::err_line(
            "note: automation tokens were not audited: this API token may not list them (--kind user to silence)",
        );
        Vec::new()
    });
    let mut audited: Vec<Audited<'_>> = users.iter().map(Audited::user).collect();
    let mut automated: Vec<Audited<'_>> = automation.iter().map(Audited::automation).collect();
    automated.sort_by_key(|t| t.name.to_lowercase());
    audited.extend(automated);
    let report: Vec<(usize, Vec<crate::policy::Finding>)> = audited
        .iter()
        .enumerate()
        .map(|(i, t)| (i, policy.check(t, ctx.now)))
        .filter(|(_, f)| !f.is_empty())
        .collect();
    if let Some(path) = &args.junit {
        let xml = crate::junit::junit(&audited, &report, ctx.now)
            .map_err(|e| Failure::local(format!("cannot write JUnit XML: {e}")))?;
        std::fs::write(path, xml)
            .map_err(|e| Failure::local(format!("cannot write {}: {e}", path.display())))?;
    }
    if ctx.json {
        ctx.out.json(&docs::AuditDoc {
            audited: audited.len(),
            now: ctx.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            findings: report
                .iter()
                .map(|(i, f)| {
                    let t = &audited[*i];
                    docs::AuditEntry {
                        id: t.id.clone(),
                        name: t.name.to_string(),
                        kind: t.kind.to_string(),
                        findings: f.iter().map(|f| f.rule.to_string()).collect(),
                        details: f
                            .iter()
                            .map(|f| docs::AuditFinding {
                                rule: f.rule.to_string(),
                                message: f.message.clone(),
                            })
                            .collect(),
                    }
                })
                .collect(),
        })?;
    } else {
        for (i, f) in &report {
            let t = &audited[*i];
            let kind = match t.kind {
                "user" => "",
                "automation" => " (automation)",
                _ => " (browser session)",
            };
            ctx.out.line(format!(
                "{}  {}{kind}: {}",
                t.id,
                output::cell(t.name, 60),
                f.iter()
                    .map(|f| format!("{} [{}]", f.message, f.rule))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))?;
        }
        ctx.out.line(format!(
            "{} of {} token(s) have findings",
            report.len(),
            audited.len()
        ))?;
    }
    Ok(if report.is_empty() {
        ExitClass::Success
    } else {
        ExitClass::Findings
    })
}
