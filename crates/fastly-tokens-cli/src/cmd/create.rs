//! `fastly-tokens create`: a user token, its secret delivered on stdout once.

use std::io;

use crate::args::CreateArgs;
use crate::context::Context;
use crate::docs::{AutomationCreatedDoc, CreatedDoc};
use crate::handoff::{self, Announce, Old, Plan, Sink};
use crate::ledger;
use crate::mint::{self, Minted, NewToken, Request, Spec};
use crate::output::{self, Out};
use crate::{ExitClass, Failure};

pub(crate) async fn run(ctx: &Context, args: CreateArgs) -> Result<ExitClass, Failure> {
    let expires_at = mint::expiry_flags(ctx.now, &args.expiry)?;
    let spec = Spec::from_flags(ctx, args.name, &args.access, expires_at)?;
    let login = ctx.login(&args.credentials)?;
    let plan = Plan {
        spec,
        request: Request::User(login),
        sink: Sink::Stdout,
        verify: false,
        old: None,
        keep_old: false,
    };
    handoff::run(ctx, plan, &mut CreateAnnounce { json: ctx.json }).await
}

/// The `create` document of a new user token; `with_secret` is false when the secret went to
/// a file or a command instead.
pub(crate) fn created_doc(new: &Minted, with_secret: bool) -> CreatedDoc {
    CreatedDoc {
        token: match &new.token {
            Some(NewToken::User(t)) => Some(t.clone()),
            _ => None,
        },
        token_id: new.id.as_ref().map(ToString::to_string),
        access_token: with_secret.then(|| mint::expose(new).to_string()),
        warning: new.warning.clone(),
    }
}

/// Writes the secret, once, clearly marked; the write's result is the delivery's.
pub(crate) fn print_secret(out: &Out, new: &Minted) -> io::Result<()> {
    if let Some(warning) = &new.warning {
        out.line(format!("warning: {}", output::clean(warning)))
            .map_err(|f| io::Error::other(f.message))?;
    }
    out.line("Access token (shown only once; store it now, it cannot be retrieved again):")
        .map_err(|f| io::Error::other(f.message))?;
    out.write_line(mint::expose(new))
}

/// A JSON document written strictly (the delivery's result).
pub(crate) fn write_json<T: serde::Serialize>(out: &Out, doc: &T) -> io::Result<()> {
    let text = output::to_json(doc).map_err(|f| io::Error::other(f.message))?;
    out.write_line(text)
}

/// Prints a new token (user or automation) and its secret, once: the delivery of `create` and
/// `automation create`.
pub(crate) struct CreateAnnounce {
    pub(crate) json: bool,
}

impl Announce for CreateAnnounce {
    fn delivered(&mut self, out: &Out, new: &Minted, _: Option<&str>) -> io::Result<()> {
        if self.json && new.automation {
            return write_json(
                out,
                &AutomationCreatedDoc {
                    token: match &new.token {
                        Some(NewToken::Automation(token)) => Some(token.clone()),
                        _ => None,
                    },
                    token_id: new.id.as_ref().map(ToString::to_string),
                    access_token: mint::expose(new).to_string(),
                    warning: new.warning.clone(),
                },
            );
        }
        if self.json {
            return write_json(out, &created_doc(new, true));
        }
        let _ = match &new.token {
            Some(NewToken::User(token)) => output::print_token(out, token),
            Some(NewToken::Automation(token)) => output::print_automation(out, token),
            None => Ok(()),
        }
        .and_then(|()| match new.token {
            Some(_) => out.line(""),
            None => Ok(()),
        });
        print_secret(out, new)
    }

    fn finished(&mut self, _: &Out, _: Option<(&Old, &ledger::Old)>) -> io::Result<()> {
        Ok(())
    }
}
