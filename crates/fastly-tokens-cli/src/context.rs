//! What every command shares: the client (and the fake behind `--fake`), the output mode, the
//! clock, the credentials asked for a create, and running a call with the waiting notice.

use std::future::Future;
use std::io::IsTerminal;
use std::time::Duration;

use chrono::{DateTime, Utc};
use fastly_tokens::secrecy::{ExposeSecret, SecretString};
use fastly_tokens::{Client, Credentials, Error};

use crate::Failure;
use crate::args::{Cli, Command, CredentialArgs};
use crate::errors::{self, KeySource};
use crate::input;
use crate::output::{self, Out, clean};

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
    /// The API token in use, to recognise it when it is given again (`revoke --secret-stdin`).
    token: Option<SecretString>,
    /// The in-process fake, kept alive for the command's duration.
    fake: Option<fastly_tokens_fake::FakeFastly>,
    /// Whether a "waiting for" notice is showing for a call still in progress.
    noticed: std::sync::atomic::AtomicBool,
}

/// Credentials for a create, and whether they are a password (for error wording).
pub(crate) struct Login {
    pub(crate) credentials: Credentials,
    pub(crate) otp: Option<SecretString>,
    pub(crate) password: bool,
}

impl Context {
    pub(crate) async fn new(cli: &Cli) -> Result<Self, Failure> {
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
            // Automation tokens (and telling them apart in triage) need a superuser: the fake's
            // root; everything else runs as alice.
            let who = if matches!(
                cli.command,
                Command::Automation(_) | Command::Plan(_) | Command::Apply(_) | Command::Triage(_)
            ) {
                "root"
            } else {
                "alice"
            };
            let key = fake.seed().user(who).key.clone();
            (
                fake.base_url().to_string(),
                Some(SecretString::from(key)),
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
                (Some(token), None) => (
                    g.endpoint.clone(),
                    Some(SecretString::from(token)),
                    None,
                    KeySource::User,
                ),
                (None, profile) => match crate::profile::token(profile.as_deref())? {
                    Some((_, token)) => (g.endpoint.clone(), Some(token), None, KeySource::Profile),
                    None => (g.endpoint.clone(), None, None, KeySource::User),
                },
            }
        };
        let mut builder = client_builder(&endpoint, g.timeout, g.connect_timeout);
        if let Some(token) = &token {
            builder = builder.token(token.expose_secret());
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
            token,
            fake,
            noticed: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// A library error in the CLI's words.
    pub(crate) fn fail(&self, e: &Error) -> Failure {
        errors::failure(e, self.keys, false)
    }

    /// Whether `secret` is the API token this command runs with.
    pub(crate) fn is_token_in_use(&self, secret: &SecretString) -> bool {
        self.token
            .as_ref()
            .is_some_and(|t| t.expose_secret() == secret.expose_secret())
    }

    /// Whether this command runs with an API token of the caller's (to revoke by id).
    pub(crate) fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// Awaits `work`; on a terminal, says so once when it takes longer than [`NOTICE_AFTER`].
    pub(crate) async fn waiting<F: Future>(&self, work: F) -> F::Output {
        let mut work = std::pin::pin!(work);
        tokio::select! {
            done = &mut work => done,
            () = tokio::time::sleep(NOTICE_AFTER) => {
                // One notice at a time: two reads side by side (`audit`) say it once.
                let printed = std::io::stderr().is_terminal()
                    && !self.noticed.swap(true, std::sync::atomic::Ordering::Relaxed);
                if printed {
                    output::err_line(format!(
                        "waiting for {} (gives up after --timeout {})…",
                        clean(&self.endpoint),
                        humantime::format_duration(self.timeout)
                    ));
                }
                let done = work.await;
                if printed {
                    self.noticed.store(false, std::sync::atomic::Ordering::Relaxed);
                }
                done
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

    /// A client for another token (a new one, a leaked one) against the same endpoint and
    /// limits.
    pub(crate) fn client_for(&self, token: &SecretString) -> Result<Client, Failure> {
        client_builder(
            &self.endpoint,
            self.timeout,
            fastly_tokens::DEFAULT_CONNECT_TIMEOUT,
        )
        .token(token.expose_secret())
        .build()
        .map_err(|e| self.fail(&e))
    }

    /// The fake's seeded user `handle`, when running against `--fake`.
    pub(crate) fn fake_user(&self, handle: &str) -> Option<fastly_tokens_fake::SeedUser> {
        self.fake.as_ref().map(|f| f.seed().user(handle).clone())
    }

    /// The credentials of a user-token create: the password (first line of stdin) and the
    /// one-time code (`--otp`, `FASTLY_OTP`, or the next line of stdin), or the API token.
    pub(crate) fn login(&self, args: &CredentialArgs) -> Result<Login, Failure> {
        if let Some(alice) = self.fake_user("alice")
            && args.username.is_none()
        {
            // Demo credentials of the fake's 2FA user, so every command can be tried as is.
            let otp = self
                .otp(args)?
                .or_else(|| alice.otp.clone().map(SecretString::from));
            return Ok(Login {
                credentials: Credentials::password(alice.login.as_str(), alice.password.as_str()),
                otp,
                password: true,
            });
        }
        let Some(user) = &args.username else {
            return Ok(Login {
                credentials: Credentials::api_token(),
                otp: self.otp(args)?,
                password: false,
            });
        };
        // clap requires --password-stdin with --username.
        let password = input::password(user)?;
        Ok(Login {
            credentials: Credentials::password(user.as_str(), password),
            otp: self.otp(args)?,
            password: true,
        })
    }

    fn otp(&self, args: &CredentialArgs) -> Result<Option<SecretString>, Failure> {
        if args.otp_stdin {
            return input::otp().map(Some);
        }
        Ok(args.otp.clone().map(SecretString::from))
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
