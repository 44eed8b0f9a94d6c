//! The read-only commands: `current`, `list`, `show`, `whois`.

use fastly_tokens::{Client, CustomerId, Token, TokenId};

use crate::context::Context;
use crate::input;
use crate::output;
use crate::{ExitClass, Failure};

pub(crate) fn token_id(ctx: &Context, raw: &str) -> Result<TokenId, Failure> {
    raw.parse().map_err(|e| ctx.fail(&e))
}

/// Your tokens, or a customer's, sorted by name (case-insensitively), then id.
pub(crate) async fn tokens(ctx: &Context, customer: Option<&str>) -> Result<Vec<Token>, Failure> {
    let mut tokens = match customer {
        Some(c) => {
            let customer: CustomerId = c.parse().map_err(|e| ctx.fail(&e))?;
            ctx.call(ctx.client.list_customer_tokens(&customer)).await?
        }
        None => ctx.call(ctx.client.list_tokens()).await?,
    };
    tokens.sort_by(|a, b| {
        a.name()
            .to_lowercase()
            .cmp(&b.name().to_lowercase())
            .then_with(|| a.id().cmp(b.id()))
    });
    Ok(tokens)
}

pub(crate) async fn current(ctx: &Context) -> Result<ExitClass, Failure> {
    let token = ctx.call(ctx.client.current_token()).await?;
    print_one(ctx, &token)
}

fn print_one(ctx: &Context, token: &Token) -> Result<ExitClass, Failure> {
    if ctx.json {
        ctx.out.json(token)?;
    } else {
        output::print_token(&ctx.out, token)?;
    }
    Ok(ExitClass::Success)
}

pub(crate) async fn list(ctx: &Context, customer: Option<&str>) -> Result<ExitClass, Failure> {
    let tokens = tokens(ctx, customer).await?;
    if ctx.json {
        ctx.out.json(&tokens)?;
    } else {
        output::print_table(&ctx.out, &tokens, customer.is_some())?;
    }
    Ok(ExitClass::Success)
}

pub(crate) async fn show(ctx: &Context, id: &str) -> Result<ExitClass, Failure> {
    let id = token_id(ctx, id)?;
    let token = ctx.call(ctx.client.get_token(&id)).await?;
    print_one(ctx, &token)
}

/// The token a leaked key belongs to; a key that does not authenticate is said plainly.
pub(crate) async fn owner_of(ctx: &Context, leaked: &Client) -> Result<Token, Failure> {
    match ctx.waiting(leaked.current_token()).await {
        Ok(token) => Ok(token),
        Err(e) if e.is_unauthorized() => Err(Failure {
            class: crate::ExitClass::Auth,
            message: "that secret does not authenticate: it is already revoked or expired, or \
                      not a Fastly API token"
                .to_string(),
            status: Some(401),
            ..Failure::default()
        }),
        Err(e) => Err(ctx.fail(&e)),
    }
}

pub(crate) async fn whois(ctx: &Context) -> Result<ExitClass, Failure> {
    let secret = input::secret()?;
    let leaked = ctx.client_for(&secret)?;
    let token = owner_of(ctx, &leaked).await?;
    print_one(ctx, &token)
}
