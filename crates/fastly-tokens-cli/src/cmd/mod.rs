//! The commands, one file each (`read.rs` holds the read-only ones). Each returns the exit
//! code of a completed run, or a [`Failure`].

mod audit;
mod automation;
mod create;
mod declare;
mod exec;
mod read;
mod report;
mod revoke;
mod revoke_one;
mod rotate;
mod triage;

use crate::args::{Cli, Command};
use crate::context::Context;
use crate::output::{Out, clean};
use crate::{ExitClass, Failure};

/// Runs the command; the exit code (a class's code, or `exec`'s command's own status).
pub(crate) async fn run(cli: Cli) -> Result<u8, Failure> {
    match &cli.command {
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut command, "fastly-tokens", &mut script);
            Out.line(String::from_utf8_lossy(&script).trim_end())?;
            return Ok(ExitClass::Success as u8);
        }
        Command::Man => {
            let command = <Cli as clap::CommandFactory>::command();
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .map_err(|e| Failure::local(format!("cannot render the man page: {e}")))?;
            Out.line(String::from_utf8_lossy(&page).trim_end())?;
            return Ok(ExitClass::Success as u8);
        }
        Command::Schema { name } => {
            let schema = crate::docs::schema(name)
                .ok_or_else(|| Failure::usage(format!("no schema named {}", clean(name))))?;
            Out.json(&schema)?;
            return Ok(ExitClass::Success as u8);
        }
        _ => {}
    }
    let ctx = Context::new(&cli).await?;
    let class = match cli.command {
        Command::Current => read::current(&ctx).await,
        Command::List { customer } => read::list(&ctx, customer.as_deref()).await,
        Command::Show { id } => read::show(&ctx, &id).await,
        Command::Whois { .. } => read::whois(&ctx).await,
        Command::Create(args) => create::run(&ctx, args).await,
        Command::Revoke(args) if args.secret_stdin => revoke_one::leaked(&ctx, &args).await,
        Command::Revoke(args) if args.current => revoke_one::current(&ctx, &args).await,
        Command::Revoke(args) => revoke::run(&ctx, args).await,
        Command::Audit(args) => audit::run(&ctx, args).await,
        Command::Rotate(args) => rotate::run(&ctx, args).await,
        Command::Automation(command) => automation::run(&ctx, command).await,
        Command::Plan(args) => declare::plan(&ctx, args).await,
        Command::Apply(args) => declare::apply(&ctx, args).await,
        Command::Exec(args) => return exec::run(&ctx, args).await,
        Command::Triage(args) => return triage::run(&ctx, args).await,
        Command::Schema { .. } | Command::Completions { .. } | Command::Man => {
            Ok(ExitClass::Success)
        }
    };
    class.map(|c| c as u8)
}
