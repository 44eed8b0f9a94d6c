//! The commands. Each returns the exit class of a completed run, or a [`Failure`].

use std::collections::HashMap;
use std::future::Future;
use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use chrono::{DateTime, Utc};
use fastly_tokens::secrecy::{ExposeSecret, SecretString};
use fastly_tokens::{
    Client, Credentials, CustomerId, Error, RevokeStatus, Scope, ServiceId, Token, TokenId,
};
use rustc_hash::FxHashSet;

use crate::errors::{self, KeySource};
use crate::output::{self, CreatedDoc, Out, Outcome, RevokeDoc, TokenResult, clean};
use crate::policy::{Audited, Policy};
use crate::{Cli, Command, CreateArgs, CredentialArgs, ExitClass, Failure, RevokeArgs, RotateArgs};

/// Shortest lifetime a new token may be given: an expiry closer than this is a mistake
/// (`--expires-in 0s`, a date in the past), not a token anyone can use.
const MIN_LIFETIME: Duration = Duration::from_secs(60);

/// How many tokens a dry run or a confirmation lists by name before summing up the rest.
const LISTED: usize = 20;

/// After this long without an answer, say on a terminal that the command is waiting.
const NOTICE_AFTER: Duration = Duration::from_secs(2);

pub(crate) struct Context {
    pub(crate) client: Client,
    endpoint: String,
    pub(crate) json: bool,
    pub(crate) now: DateTime<Utc>,
    timeout: Duration,
    pub(crate) keys: KeySource,
    pub(crate) out: Out,
    /// The in-process fake, kept alive for the command's duration.
    fake: Option<fastly_tokens_fake::FakeFastly>,
}

/// Credentials for a create, and whether they are a password (for error wording).
pub(crate) struct Login {
    pub(crate) credentials: Credentials,
    pub(crate) otp: Option<String>,
    pub(crate) password: bool,
}

impl Context {
    async fn new(cli: &Cli) -> Result<Self, Failure> {
        let g = &cli.global;
        let now = g.now.unwrap_or_else(Utc::now);
        let (endpoint, token, fake, keys) = if g.fake {
            let mut builder = fastly_tokens_fake::FakeFastly::builder();
            if let Some(now) = g.now {
                builder = builder.now(now);
            }
            let fake = builder
                .start()
                .await
                .map_err(|e| Failure::usage(format!("cannot start the fake server: {e}")))?;
            // Automation tokens need a superuser: the fake's root; everything else runs as alice.
            let who = if matches!(cli.command, Command::Automation(_)) {
                "root"
            } else {
                "alice"
            };
            let key = fake.seed().user(who).key.clone();
            (
                fake.base_url().to_string(),
                Some(key),
                Some(fake),
                KeySource::Fake,
            )
        } else {
            // --token, else FASTLY_API_TOKEN (clap merges the two), else the Fastly CLI's
            // stored token. Never two sources at once: a token other than the one asked for
            // must not be used silently.
            let given = g.token.clone().filter(|t| !t.trim().is_empty());
            match (given, &g.profile) {
                (Some(_), Some(name)) => {
                    return Err(Failure::usage(format!(
                        "--profile {} and a token from --token or FASTLY_API_TOKEN: use one of them",
                        clean(name)
                    )));
                }
                (Some(token), None) => (g.endpoint.clone(), Some(token), None, KeySource::User),
                (None, profile) => match crate::profile::token(profile.as_deref())? {
                    Some((_, token)) => (
                        g.endpoint.clone(),
                        Some(token.expose_secret().to_string()),
                        None,
                        KeySource::Profile,
                    ),
                    None => (g.endpoint.clone(), None, None, KeySource::User),
                },
            }
        };
        let mut builder = client_builder(&endpoint, g.timeout, g.connect_timeout);
        if let Some(token) = token {
            builder = builder.token(token);
        }
        let client = builder
            .build()
            .map_err(|e| errors::failure(&e, keys, false))?;
        Ok(Self {
            client,
            endpoint,
            json: g.json,
            now,
            timeout: g.timeout,
            keys,
            out: Out,
            fake,
        })
    }

    /// A library error in the CLI's words.
    pub(crate) fn fail(&self, e: &Error) -> Failure {
        errors::failure(e, self.keys, false)
    }

    /// Awaits `work`; on a terminal, says so once when it takes longer than [`NOTICE_AFTER`].
    pub(crate) async fn waiting<F: Future>(&self, work: F) -> F::Output {
        let work = std::pin::pin!(work);
        let mut work = work;
        tokio::select! {
            done = &mut work => done,
            () = tokio::time::sleep(NOTICE_AFTER) => {
                if std::io::stderr().is_terminal() {
                    output::err_line(format!(
                        "waiting for {} (gives up after --timeout {})…",
                        clean(&self.endpoint),
                        humantime::format_duration(self.timeout)
                    ));
                }
                work.await
            }
        }
    }

    /// Runs a library call: the waiting notice, and its error in the CLI's words.
    pub(crate) async fn call<T>(
        &self,
        work: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Failure> {
        self.waiting(work).await.map_err(|e| self.fail(&e))
    }

    /// A client for another token against the same endpoint and limits.
    pub(crate) fn client_for(
        &self,
        token: &SecretString,
        connect: Duration,
    ) -> Result<Client, Failure> {
        client_builder(&self.endpoint, self.timeout, connect)
            .token(token.expose_secret())
            .build()
            .map_err(|e| self.fail(&e))
    }

    /// The fake's seeded user `handle`, when running against `--fake`.
    pub(crate) fn fake_user(&self, handle: &str) -> Option<fastly_tokens_fake::SeedUser> {
        self.fake.as_ref().map(|f| f.seed().user(handle).clone())
    }

    pub(crate) fn login(&self, args: &CredentialArgs) -> Result<Login, Failure> {
        if let Some(fake) = &self.fake
            && args.username.is_none()
        {
            // Demo credentials of the fake's 2FA user, so every command can be tried as is.
            let alice = fake.seed().user("alice");
            return Ok(Login {
                credentials: Credentials::password(alice.login.as_str(), alice.password.as_str()),
                otp: args.otp.clone().or_else(|| alice.otp.clone()),
                password: true,
            });
        }
        let Some(user) = &args.username else {
            return Ok(Login {
                credentials: Credentials::api_token(),
                otp: args.otp.clone(),
                password: false,
            });
        };
        if !args.password_stdin {
            return Err(Failure::usage(
                "--username needs --password-stdin (the password is read from stdin, never from a flag)",
            ));
        }
        let password = read_password(user)?;
        Ok(Login {
            credentials: Credentials::password(user.as_str(), password),
            otp: args.otp.clone(),
            password: true,
        })
    }
}

fn client_builder(
    endpoint: &str,
    timeout: Duration,
    connect_timeout: Duration,
) -> fastly_tokens::ClientBuilder {
    Client::builder()
        .base_url(endpoint)
        .operation_timeout(timeout)
        .attempt_timeout(timeout.min(fastly_tokens::DEFAULT_ATTEMPT_TIMEOUT))
        .connect_timeout(connect_timeout)
}

/// The password: prompted without echo on a terminal, else the first line of stdin.
pub(crate) fn read_password(user: &str) -> Result<SecretString, Failure> {
    let password = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("Password for {}: ", clean(user)))
            .map_err(|e| Failure::usage(format!("cannot read the password: {e}")))?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::usage(format!("cannot read the password from stdin: {e}")))?;
        line.truncate(line.trim_end_matches(['\r', '\n']).len());
        line
    };
    if password.is_empty() {
        return Err(Failure::usage("the password is empty"));
    }
    Ok(SecretString::from(password))
}

/// Runs the command; the exit code (a class's code, or `exec`'s command's own status).
pub async fn run(cli: Cli) -> Result<u8, Failure> {
    if let Command::Exec(_) = &cli.command {
        let ctx = Context::new(&cli).await?;
        let Command::Exec(args) = cli.command else {
            return Ok(ExitClass::Usage as u8);
        };
        return crate::exec::run(&ctx, args).await;
    }
    dispatch(cli).await.map(|class| class as u8)
}

async fn dispatch(cli: Cli) -> Result<ExitClass, Failure> {
    match &cli.command {
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut command, "fastly-tokens", &mut script);
            Out.line(String::from_utf8_lossy(&script).trim_end())?;
            return Ok(ExitClass::Success);
        }
        Command::Man => {
            let command = <Cli as clap::CommandFactory>::command();
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .map_err(|e| Failure::usage(format!("cannot render the man page: {e}")))?;
            Out.line(String::from_utf8_lossy(&page).trim_end())?;
            return Ok(ExitClass::Success);
        }
        _ => {}
    }
    if let Command::Schema { name } = &cli.command {
        let schema = output::schema(name)
            .ok_or_else(|| Failure::usage(format!("no schema named {}", clean(name))))?;
        Out.json(&schema)?;
        return Ok(ExitClass::Success);
    }
    let ctx = Context::new(&cli).await?;
    match cli.command {
        Command::Current => current(&ctx).await,
        Command::List { customer } => list(&ctx, customer.as_deref()).await,
        Command::Show { id } => show(&ctx, &id).await,
        Command::Create(args) => create(&ctx, args).await,
        Command::Revoke(args) => revoke(&ctx, args).await,
        Command::Audit {
            unused_for,
            expiring_within,
            policy,
            junit,
            customer,
            kind,
        } => {
            let policy = match policy {
                Some(path) => Policy::load(&path).map_err(Failure::usage)?,
                None => Policy::builtin(
                    unused_for.unwrap_or(Duration::from_secs(90 * 86_400)),
                    expiring_within.unwrap_or(Duration::from_secs(14 * 86_400)),
                ),
            };
            audit(&ctx, &policy, junit.as_deref(), customer.as_deref(), &kind).await
        }
        Command::Automation(command) => crate::automation::run(&ctx, command).await,
        Command::Whois { .. } => whois(&ctx).await,
        Command::Rotate(args) => rotate(&ctx, args).await,
        Command::Schema { .. } | Command::Completions { .. } | Command::Man | Command::Exec(_) => {
            Ok(ExitClass::Success)
        }
    }
}

fn token_id(ctx: &Context, raw: &str) -> Result<TokenId, Failure> {
    raw.parse().map_err(|e| ctx.fail(&e))
}

async fn tokens(ctx: &Context, customer: Option<&str>) -> Result<Vec<Token>, Failure> {
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

async fn current(ctx: &Context) -> Result<ExitClass, Failure> {
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

async fn list(ctx: &Context, customer: Option<&str>) -> Result<ExitClass, Failure> {
    let tokens = tokens(ctx, customer).await?;
    if ctx.json {
        ctx.out.json(&tokens)?;
    } else {
        output::print_table(&ctx.out, &tokens, customer.is_some())?;
    }
    Ok(ExitClass::Success)
}

async fn show(ctx: &Context, id: &str) -> Result<ExitClass, Failure> {
    let id = token_id(ctx, id)?;
    let token = ctx.call(ctx.client.get_token(&id)).await?;
    print_one(ctx, &token)
}

/// Prints a new token's document under `--json`, else the token (`show`) and its secret,
/// once. A closed stdout here is not a quiet ending: the token exists and its secret did not
/// reach anyone, so the failure says how to revoke it (`revoke`: the command that does).
pub(crate) fn print_new_secret<D: serde::Serialize>(
    ctx: &Context,
    doc: &D,
    show: impl FnOnce(&Out) -> Result<(), Failure>,
    secret: &str,
    id: Option<String>,
    revoke: &str,
) -> Result<(), Failure> {
    let printed = if ctx.json {
        ctx.out.json(doc)
    } else {
        show(&ctx.out).and_then(|()| {
            ctx.out.line(
                "Access token (shown only once; store it now, it cannot be retrieved again):",
            )?;
            ctx.out.line(secret)
        })
    };
    printed.map_err(|f| {
        if !f.quiet {
            return f;
        }
        let id = id.unwrap_or_else(|| "the new token".to_string());
        Failure {
            class: ExitClass::Partial,
            message: format!(
                "stdout closed before the new access token was written; {id} exists: revoke it \
                 with `{revoke} {id} --yes` unless its secret was stored"
            ),
            ..Failure::default()
        }
    })
}

/// [`print_new_secret`] for a user token.
pub(crate) fn print_created(
    ctx: &Context,
    doc: &CreatedDoc,
    id: Option<&TokenId>,
) -> Result<(), Failure> {
    let show = |out: &Out| match &doc.token {
        Some(token) => output::print_token(out, token).and_then(|()| out.line("")),
        None => Ok(()),
    };
    print_new_secret(
        ctx,
        doc,
        show,
        doc.access_token.as_deref().unwrap_or_default(),
        id.map(ToString::to_string),
        "fastly-tokens revoke",
    )
}

/// One result per revoke report entry, named from `names`.
pub(crate) fn revoke_results(
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

/// The expiry of a new token: exactly one of a lifetime, a time, or "never", and never less
/// than [`MIN_LIFETIME`] away.
pub(crate) fn expiry(
    now: DateTime<Utc>,
    expires_in: Option<Duration>,
    expires_at: Option<DateTime<Utc>>,
    no_expiry: bool,
) -> Result<Option<DateTime<Utc>>, Failure> {
    if no_expiry {
        return Ok(None);
    }
    let at = match (expires_in, expires_at) {
        (_, Some(at)) => at,
        (Some(d), None) => chrono::Duration::from_std(d)
            .ok()
            .and_then(|d| now.checked_add_signed(d))
            .ok_or_else(|| Failure::usage("the expiry is too far in the future"))?,
        (None, None) => {
            return Err(Failure::usage(
                "give the token an expiry with --expires-in (e.g. 90d) or --expires-at \
                 (RFC 3339), or ask for one that never expires with --no-expiry",
            ));
        }
    };
    let min = now + chrono::Duration::from_std(MIN_LIFETIME).unwrap_or_default();
    if at < min {
        return Err(Failure::usage(format!(
            "the expiry {} is in the past or less than a minute away; a new token must live at \
             least a minute",
            at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )));
    }
    Ok(Some(at))
}

/// `--service` values as validated ids.
pub(crate) fn services(ctx: &Context, values: &[String]) -> Result<Vec<ServiceId>, Failure> {
    values
        .iter()
        .map(|s| s.parse::<ServiceId>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ctx.fail(&e))
}

pub(crate) fn scopes(values: &[String]) -> Result<Vec<Scope>, Failure> {
    let mut scopes = Vec::new();
    for value in values {
        let mut words = value.split_whitespace().peekable();
        if words.peek().is_none() {
            return Err(Failure::usage(
                "--scope is empty (an unset shell variable?); name a scope",
            ));
        }
        for word in words {
            scopes.push(
                word.parse::<Scope>()
                    .map_err(|e| Failure::usage(e.to_string()))?,
            );
        }
    }
    if scopes.is_empty() {
        return Err(Failure::usage(
            "at least one --scope is required (there is no default: Fastly's would be `global`)",
        ));
    }
    Ok(scopes)
}

/// Sends a create and turns its answer into the document to print; a token created with an
/// incomplete answer is still printed, and reported as partial.
async fn send_create(
    ctx: &Context,
    request: fastly_tokens::CreateTokenBuilder<'_>,
    password: bool,
) -> Result<(CreatedDoc, Option<TokenId>, Option<Failure>), Failure> {
    match ctx.waiting(request.send()).await {
        Ok(created) => {
            let (token, secret) = created.into_parts();
            let id = token.id().clone();
            Ok((
                CreatedDoc {
                    token_id: Some(id.to_string()),
                    token: Some(token),
                    access_token: Some(secret.expose_secret().to_string()),
                    warning: None,
                },
                Some(id),
                None,
            ))
        }
        Err(Error::CreatedUndecoded(partial)) => {
            let id = partial.token_id().cloned();
            let shown = id
                .as_ref()
                .map_or_else(|| "(id unknown)".to_string(), |i| i.to_string());
            let warning = format!(
                "Fastly created token {shown} but its answer was incomplete ({}); the secret was printed: store it, or revoke the token",
                partial.reason()
            );
            let doc = CreatedDoc {
                token: None,
                token_id: id.as_ref().map(ToString::to_string),
                access_token: Some(partial.access_token().expose_secret().to_string()),
                warning: Some(warning.clone()),
            };
            let failure = Failure {
                class: ExitClass::Partial,
                message: warning,
                ..Failure::default()
            };
            Ok((doc, id, Some(failure)))
        }
        Err(e) => Err(errors::failure(&e, ctx.keys, password)),
    }
}

async fn create(ctx: &Context, args: CreateArgs) -> Result<ExitClass, Failure> {
    let scopes = scopes(&args.scopes)?;
    let services = services(ctx, &args.services)?;
    let expires_at = expiry(ctx.now, args.expires_in, args.expires_at, args.no_expiry)?;
    let login = ctx.login(&args.credentials)?;
    let mut request = ctx
        .client
        .create_token(login.credentials)
        .name(args.name.as_str())
        .scopes(scopes);
    if !services.is_empty() {
        request = request.services(services);
    }
    if let Some(at) = expires_at {
        request = request.expires_at(at);
    }
    if let Some(otp) = login.otp {
        request = request.otp(otp);
    }
    let (doc, id, partial) = send_create(ctx, request, login.password).await?;
    print_created(ctx, &doc, id.as_ref())?;
    match partial {
        Some(failure) => Err(failure),
        None => Ok(ExitClass::Success),
    }
}

fn read_ids(path: &str) -> Result<Vec<String>, Failure> {
    let text = if path == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(path)
    }
    .map_err(|e| Failure::usage(format!("cannot read ids from {}: {e}", clean(path))))?;
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

/// A secret from stdin (never an argument): prompted without echo on a terminal.
fn read_secret() -> Result<SecretString, Failure> {
    let text = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Secret (not echoed): ")
            .map_err(|e| Failure::usage(format!("cannot read the secret: {e}")))?
    } else {
        std::io::read_to_string(std::io::stdin())
            .map_err(|e| Failure::usage(format!("cannot read the secret from stdin: {e}")))?
    };
    let secret = text.trim().to_string();
    if secret.is_empty() {
        return Err(Failure::usage("no secret on stdin"));
    }
    Ok(SecretString::from(secret))
}

/// A client for a secret given on stdin, against the same endpoint and limits.
fn client_for_secret(ctx: &Context, secret: &SecretString) -> Result<Client, Failure> {
    ctx.client_for(secret, fastly_tokens::DEFAULT_CONNECT_TIMEOUT)
}

/// The token a leaked key belongs to; a key that does not authenticate is said plainly.
async fn owner_of(ctx: &Context, leaked: &Client) -> Result<Token, Failure> {
    match ctx.waiting(leaked.current_token()).await {
        Ok(token) => Ok(token),
        Err(e) if e.is_unauthorized() => Err(Failure {
            class: ExitClass::Auth,
            message: "that secret does not authenticate: it is already revoked or expired, or \
                      not a Fastly API token"
                .to_string(),
            status: Some(401),
            ..Failure::default()
        }),
        Err(e) => Err(ctx.fail(&e)),
    }
}

async fn whois(ctx: &Context) -> Result<ExitClass, Failure> {
    let secret = read_secret()?;
    let leaked = client_for_secret(ctx, &secret)?;
    let token = owner_of(ctx, &leaked).await?;
    print_one(ctx, &token)
}

/// `revoke --secret-stdin`: kill a leaked key without knowing its id.
async fn revoke_leaked(ctx: &Context, args: &RevokeArgs) -> Result<ExitClass, Failure> {
    let secret = read_secret()?;
    let leaked = client_for_secret(ctx, &secret)?;
    let token = owner_of(ctx, &leaked).await?;
    let entry = vec![(token.id().clone(), Some(token.name().to_string()))];
    let result = |status, via: Option<&str>| TokenResult {
        id: token.id().to_string(),
        name: Some(token.name().to_string()),
        status,
        error: None,
        via: via.map(str::to_string),
    };
    if args.dry_run {
        let doc = RevokeDoc::new(true, vec![result(Outcome::WouldRevoke, None)], Vec::new());
        print_revoke(ctx, &doc)?;
        return Ok(ExitClass::Success);
    }
    confirm(
        &listing(&entry, "revoke the leaked token"),
        "Revoke the token this secret belongs to?",
        args.yes,
        "nothing was revoked",
    )?;
    // The leaked key revokes itself; a read-only one may not (403 on every non-GET route),
    // and then your own token revokes it by id.
    let (via, outcome) = match ctx.waiting(leaked.revoke_current_token()).await {
        Ok(()) => ("self", Outcome::Revoked),
        Err(e) if e.is_forbidden() => {
            let outcome = match ctx.call(ctx.client.revoke_token(token.id())).await? {
                fastly_tokens::RevokeOutcome::AlreadyGone => Outcome::AlreadyGone,
                _ => Outcome::Revoked,
            };
            ("by-id", outcome)
        }
        Err(e) => return Err(ctx.fail(&e)),
    };
    let doc = RevokeDoc::new(false, vec![result(outcome, Some(via))], Vec::new());
    print_revoke(ctx, &doc)?;
    if !ctx.json {
        ctx.out.line(match via {
            "self" => "revoked with the leaked key itself (DELETE /tokens/self)",
            _ => "the leaked key is read-only and may not revoke itself: revoked by id with your token",
        })?;
    }
    Ok(ExitClass::Success)
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

async fn revoke(ctx: &Context, args: RevokeArgs) -> Result<ExitClass, Failure> {
    if args.current {
        return revoke_current(ctx, &args).await;
    }
    if args.secret_stdin {
        return revoke_leaked(ctx, &args).await;
    }
    let mut raw = args.ids.clone();
    if let Some(path) = &args.from_file {
        raw.extend(read_ids(path)?);
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
        let results = entries
            .iter()
            .map(|(id, name)| TokenResult {
                id: id.to_string(),
                name: name.clone(),
                status: Outcome::WouldRevoke,
                error: None,
                via: None,
            })
            .collect();
        print_revoke(ctx, &RevokeDoc::new(true, results, duplicates))?;
        return Ok(ExitClass::Success);
    }
    confirm(
        &listing(&entries, "revoke"),
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
    let results = revoke_results(ctx, &entries, |id| names.get(id).cloned());
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

async fn revoke_current(ctx: &Context, args: &RevokeArgs) -> Result<ExitClass, Failure> {
    let me = ctx.call(ctx.client.current_token()).await?;
    let entry = vec![(me.id().clone(), Some(me.name().to_string()))];
    let result = |status| TokenResult {
        id: me.id().to_string(),
        name: Some(me.name().to_string()),
        status,
        error: None,
        via: None,
    };
    if args.dry_run {
        let doc = RevokeDoc::new(true, vec![result(Outcome::WouldRevoke)], Vec::new());
        print_revoke(ctx, &doc)?;
        return Ok(ExitClass::Success);
    }
    confirm(
        &listing(&entry, "revoke the token in use"),
        "Revoke the token in use? Commands using it will stop working.",
        args.yes,
        "nothing was revoked",
    )?;
    ctx.call(ctx.client.revoke_current_token()).await?;
    print_revoke(
        ctx,
        &RevokeDoc::new(false, vec![result(Outcome::Revoked)], Vec::new()),
    )?;
    if !ctx.json {
        ctx.out
            .line("that was the token in use: replace FASTLY_API_TOKEN")?;
    }
    Ok(ExitClass::Success)
}

async fn audit(
    ctx: &Context,
    policy: &Policy,
    junit: Option<&std::path::Path>,
    customer: Option<&str>,
    kind: &str,
) -> Result<ExitClass, Failure> {
    let users = if kind == "automation" {
        Vec::new()
    } else {
        tokens(ctx, customer).await?
    };
    let automation = match kind {
        "user" => Vec::new(),
        "automation" => ctx.call(ctx.client.list_automation_tokens()).await?,
        _ => match ctx.waiting(ctx.client.list_automation_tokens()).await {
            Ok(tokens) => tokens,
            Err(e) if e.is_forbidden() || e.is_unauthorized() => {
                output::err_line(
                    "note: automation tokens were not audited: this API token may not list them (--kind user to silence)",
                );
                Vec::new()
            }
            Err(e) => return Err(ctx.fail(&e)),
        },
    };
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
    if let Some(path) = junit {
        let xml = crate::policy::junit(&audited, &report, ctx.now)
            .map_err(|e| Failure::usage(format!("cannot write JUnit XML: {e}")))?;
        std::fs::write(path, xml)
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))?;
    }
    if ctx.json {
        ctx.out.json(&output::AuditDoc {
            audited: audited.len(),
            now: ctx.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            findings: report
                .iter()
                .map(|(i, f)| {
                    let t = &audited[*i];
                    output::AuditEntry {
                        id: t.id.clone(),
                        name: t.name.to_string(),
                        kind: t.kind.to_string(),
                        findings: f.iter().map(|f| f.rule.to_string()).collect(),
                        details: f
                            .iter()
                            .map(|f| output::AuditFinding {
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

/// The new token's expiry on rotate: `--expires-in`, `--no-expiry`, or the old token's
/// lifetime counted from now.
fn rotate_expiry(
    ctx: &Context,
    old: &Token,
    args: &RotateArgs,
) -> Result<Option<DateTime<Utc>>, Failure> {
    if args.no_expiry || args.expires_in.is_some() {
        return expiry(ctx.now, args.expires_in, None, args.no_expiry);
    }
    let Some(at) = old.expires_at() else {
        return Err(Failure::usage(format!(
            "{} never expires; give the new token an expiry with --expires-in (e.g. 90d), or \
             keep none with --no-expiry",
            old.id()
        )));
    };
    let lifetime = at.signed_duration_since(old.created_at());
    let lifetime = lifetime.to_std().unwrap_or_default().max(MIN_LIFETIME);
    expiry(ctx.now, Some(lifetime), None, false)
}

async fn rotate(ctx: &Context, args: RotateArgs) -> Result<ExitClass, Failure> {
    let me = ctx.call(ctx.client.current_token()).await?;
    let old = match (&args.id, args.current) {
        (_, true) => me.clone(),
        (Some(id), false) => {
            let id = token_id(ctx, id)?;
            if &id == me.id() {
                return Err(Failure::usage(format!(
                    "refusing to rotate {id} ({}): it is the token in use (FASTLY_API_TOKEN); \
                     use `rotate --current`, then replace FASTLY_API_TOKEN with the new secret",
                    clean(me.name())
                )));
            }
            ctx.call(ctx.client.get_token(&id))
                .await
                .map_err(|f| f.context(". Nothing was changed."))?
        }
        (None, false) => return Err(Failure::usage("name the token to rotate, or --current")),
    };
    if old.is_browser_session() {
        return Err(Failure::usage(format!(
            "refusing to rotate {} ({}): it is a manage.fastly.com browser session, not an API \
             token; rotating would mint a global API token. Sign out of the session instead, \
             or revoke it with `fastly-tokens revoke {}`",
            old.id(),
            clean(old.name()),
            old.id()
        )));
    }
    let in_use = old.id() == me.id();
    let expires_at = rotate_expiry(ctx, &old, &args)?;
    let plan = output::RotatePlan {
        name: old.name().to_string(),
        scope: old.scopes().as_str().to_string(),
        services: old.services().iter().map(ToString::to_string).collect(),
        expires_at,
    };
    let old_result = |status, error| TokenResult {
        id: old.id().to_string(),
        name: Some(old.name().to_string()),
        status,
        error,
        via: None,
    };
    let plan_lines = vec![
        format!(
            "create  {}  scopes {}  services {}  expires {}",
            output::cell(&plan.name, 60),
            clean(&plan.scope),
            output::services(&old),
            output::when(expires_at, "never")
        ),
        format!(
            "revoke  {}  {}{}",
            old.id(),
            output::cell(old.name(), 60),
            if in_use { "  (the token in use)" } else { "" }
        ),
    ];
    if args.dry_run {
        if ctx.json {
            ctx.out.json(&output::RotateDoc {
                dry_run: true,
                old: old_result(Outcome::WouldRevoke, None),
                new: None,
                plan,
                replaces_token_in_use: in_use,
                handed_to: None,
            })?;
        } else {
            for line in &plan_lines {
                ctx.out.line(line)?;
            }
            ctx.out.line("dry run: nothing was created or revoked")?;
        }
        return Ok(ExitClass::Success);
    }
    confirm(
        &plan_lines,
        &format!("Rotate {}?", old.id()),
        args.yes,
        "nothing was changed",
    )?;
    let login = ctx.login(&args.credentials)?;
    let mut request = ctx
        .client
        .create_token(login.credentials)
        .name(old.name())
        .scopes(old.scopes().iter().cloned());
    if !old.services().is_empty() {
        request = request.services(old.services().iter().cloned());
    }
    if let Some(at) = expires_at {
        request = request.expires_at(at);
    }
    if let Some(otp) = login.otp {
        request = request.otp(otp);
    }
    let kept = format!("; {} was not revoked and still works", old.id());
    let (created, new_id, partial) =
        send_create(ctx, request, login.password)
            .await
            .map_err(|f| match f.class {
                ExitClass::Partial => f.context(format!("{kept}.")),
                _ => f.context(format!(". Nothing was changed; {} still works.", old.id())),
            })?;
    // The old token is revoked only once the new one is known to work and its secret has
    // been written out; otherwise both are left working and the new secret is still printed.
    let problem = match (&partial, &new_id) {
        (Some(failure), _) => Some(failure.message.clone()),
        (None, None) => Some("the new token's id is unknown".to_string()),
        (None, Some(new_id)) => {
            let connect = fastly_tokens::DEFAULT_CONNECT_TIMEOUT;
            let secret = SecretString::from(created.access_token.clone().unwrap_or_default());
            match ctx.client_for(&secret, connect) {
                Ok(client) => match ctx.call(client.current_token()).await {
                    Ok(t) if t.id() == new_id => None,
                    Ok(t) => Some(format!(
                        "the new token {new_id} authenticates as {}, not itself",
                        t.id()
                    )),
                    Err(f) => Some(format!(
                        "the new token {new_id} was created but does not work ({})",
                        f.message
                    )),
                },
                Err(f) => Some(f.message),
            }
        }
    };
    if let Some(problem) = problem {
        // With a hand-off asked for, the secret must not reach stdout (a CI log): a new token
        // that is not known to work is revoked instead, and the old one kept.
        if args.write_to.is_some() || args.exec.is_some() {
            let secret = SecretString::from(created.access_token.clone().unwrap_or_default());
            let dropped = match ctx.client_for(&secret, fastly_tokens::DEFAULT_CONNECT_TIMEOUT) {
                Ok(own) => own.revoke_current_token().await.is_ok(),
                Err(_) => false,
            };
            return Err(Failure {
                class: ExitClass::Partial,
                message: format!(
                    "{problem}; the new token was {} and nothing was handed over{kept}",
                    if dropped {
                        "revoked"
                    } else {
                        "NOT revoked (find it with `fastly-tokens list`)"
                    }
                ),
                ..Failure::default()
            });
        }
        let revoke_new = new_id.as_ref().map_or_else(
            || "find it with `fastly-tokens list`".to_string(),
            |id| format!("revoke it with `fastly-tokens revoke {id} --yes` if unwanted"),
        );
        emit_rotation(
            ctx,
            created,
            new_id.as_ref(),
            old_result(Outcome::Kept, Some(problem.clone())),
            plan,
            in_use,
        )?;
        return Err(Failure {
            class: ExitClass::Partial,
            message: format!("{problem}{kept}. The new secret was printed; {revoke_new}."),
            ..Failure::default()
        });
    }
    // The hand-off: the secret goes to a file or a command, or to stdout, before the old token
    // is revoked, so a failed hand-off (or a closed stdout) leaves the old token working.
    let mut created = created;
    let handed_to = match (&args.write_to, &args.exec) {
        (None, None) => {
            if !ctx.json {
                print_created(ctx, &created, new_id.as_ref())
                    .map_err(|f| f.context(kept.clone()))?;
            }
            None
        }
        (target_file, command) => {
            let secret = SecretString::from(created.access_token.take().unwrap_or_default());
            let handed = match (target_file, command) {
                (Some(path), _) => {
                    write_secret(path, &secret).map(|()| format!("file {}", path.display()))
                }
                (None, Some(command)) => {
                    exec_secret(command, &secret).map(|()| format!("command `{}`", clean(command)))
                }
                (None, None) => Ok(String::new()),
            };
            match handed {
                Ok(to) => {
                    if !ctx.json {
                        if let Some(token) = &created.token {
                            output::print_token(&ctx.out, token)?;
                            ctx.out.line("")?;
                        }
                        ctx.out
                            .line(format!("the new secret was handed to the {to}"))?;
                    }
                    Some(to)
                }
                Err(why) => {
                    // The secret reached no one: revoke the new token, keep the old one.
                    let dropped = match (
                        ctx.client_for(&secret, fastly_tokens::DEFAULT_CONNECT_TIMEOUT),
                        &new_id,
                    ) {
                        (Ok(own), Some(id)) => match own.revoke_current_token().await {
                            Ok(()) => true,
                            Err(e) if e.is_forbidden() => ctx.client.revoke_token(id).await.is_ok(),
                            Err(_) => false,
                        },
                        _ => false,
                    };
                    let new = new_id
                        .as_ref()
                        .map_or_else(|| "the new token".to_string(), ToString::to_string);
                    return Err(Failure {
                        class: ExitClass::Partial,
                        message: format!(
                            "handing the new secret over failed ({why}); {} {new}; {} was not revoked and still works",
                            if dropped {
                                "revoked"
                            } else {
                                "could NOT revoke"
                            },
                            old.id()
                        ),
                        ..Failure::default()
                    });
                }
            }
        }
    };
    let revoked = if args.keep_old {
        Ok(Outcome::Kept)
    } else if in_use {
        ctx.waiting(ctx.client.revoke_current_token())
            .await
            .map(|()| Outcome::Revoked)
    } else {
        ctx.waiting(ctx.client.revoke_token(old.id()))
            .await
            .map(|o| match o {
                fastly_tokens::RevokeOutcome::Revoked => Outcome::Revoked,
                fastly_tokens::RevokeOutcome::AlreadyGone => Outcome::AlreadyGone,
                // Any other outcome the library may add still means the token no longer works.
                _ => Outcome::Revoked,
            })
    };
    let new_id = new_id.map(|id| id.to_string()).unwrap_or_default();
    match revoked {
        Ok(outcome) => {
            if ctx.json {
                ctx.out.json(&output::RotateDoc {
                    dry_run: false,
                    old: old_result(outcome, None),
                    new: Some(created),
                    plan,
                    replaces_token_in_use: in_use,
                    handed_to,
                })?;
            } else if outcome == Outcome::Kept {
                ctx.out.line("")?;
                ctx.out.line(format!(
                    "kept the old token {}; revoke it later with `fastly-tokens revoke {} --yes`",
                    old.id(),
                    old.id()
                ))?;
            } else {
                ctx.out.line("")?;
                ctx.out.line(format!(
                    "revoked the old token {} ({})",
                    old.id(),
                    output::cell(old.name(), 60)
                ))?;
                if in_use {
                    ctx.out.line(
                        "it was the token in use: replace FASTLY_API_TOKEN with the new secret",
                    )?;
                }
            }
            Ok(ExitClass::Success)
        }
        Err(e) => {
            let message = errors::message(&e, ctx.keys, false);
            if ctx.json {
                ctx.out.json(&output::RotateDoc {
                    dry_run: false,
                    old: old_result(Outcome::Kept, Some(message.clone())),
                    new: Some(created),
                    plan,
                    replaces_token_in_use: in_use,
                    handed_to,
                })?;
            }
            Err(Failure {
                class: ExitClass::Partial,
                message: format!(
                    "the new token {new_id} works and was handed over, but revoking the old token {} failed: {message}. \
                     Both tokens work now; revoke the old one with `fastly-tokens revoke {} --yes`.",
                    old.id(),
                    old.id()
                ),
                ..Failure::default()
            })
        }
    }
}

/// Writes a secret to `path`: a new 0600 file in the same folder, synced, then renamed over
/// `path`, so readers see the old file or the whole new one, never a part.
fn write_secret(path: &std::path::Path, secret: &SecretString) -> Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| format!("{} names no file", path.display()))?;
    let temp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)?;
        file.write_all(secret.expose_secret().as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        format!("cannot write {}: {e}", path.display())
    })
}

/// Runs `sh -c command` with the secret on its stdin (never in its arguments or environment);
/// its output goes to stderr, so `--json` stays one document. It must exit 0.
fn exec_secret(command: &str, secret: &SecretString) -> Result<(), String> {
    use std::os::fd::AsFd as _;
    let stderr = std::io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .map_err(|e| e.to_string())?;
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::from(stderr))
        .spawn()
        .map_err(|e| format!("cannot run the command: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that exits without reading is judged by its status below.
        let _ = stdin.write_all(secret.expose_secret().as_bytes());
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the command exited with {status}"))
    }
}

/// Prints a rotation that stopped after the create: the new secret is never withheld.
fn emit_rotation(
    ctx: &Context,
    created: CreatedDoc,
    new_id: Option<&TokenId>,
    old: TokenResult,
    plan: output::RotatePlan,
    in_use: bool,
) -> Result<(), Failure> {
    if ctx.json {
        ctx.out.json(&output::RotateDoc {
            dry_run: false,
            old,
            new: Some(created),
            plan,
            replaces_token_in_use: in_use,
            handed_to: None,
        })
    } else {
        print_created(ctx, &created, new_id)
    }
}
