//! Credentials for a job nobody watches (`apply`): the login and password from the
//! environment or a file, and a fresh one-time code for each create from the account's TOTP
//! secret (RFC 6238, `totp-rs`). Nothing here is read from argv, and nothing is ever printed:
//! the values live in `SecretString`s, and a delivery command's environment is cleared of them
//! (`sink.rs`).

use std::path::Path;

use chrono::{DateTime, Utc};
use fastly_tokens::Credentials;
use fastly_tokens::secrecy::{ExposeSecret, SecretBox, SecretString};

use crate::Failure;
use crate::args::UnattendedArgs;
use crate::context::{Context, Login};
use crate::input::MAX_SECRET;

/// The variables read here; a delivery command never inherits them.
pub(crate) const SECRET_VARIABLES: [&str; 2] = ["FASTLY_PASSWORD", "FASTLY_TOTP_SECRET"];

/// The login that creates tokens.
pub(crate) struct Unattended {
    pub(crate) username: String,
    password: SecretString,
    /// The decoded TOTP secret, when the account has two-factor authentication.
    totp: Option<SecretBox<Vec<u8>>>,
}

impl std::fmt::Debug for Unattended {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unattended")
            .field("username", &self.username)
            .field("totp", &self.totp.is_some())
            .finish_non_exhaustive()
    }
}

/// The first line of a secret file, which only its owner may read.
fn first_line(path: &Path, what: &str) -> Result<SecretString, Failure> {
    crate::profile::check_mode(path, what)?;
    let text = std::fs::read(path)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
    if text.len() > MAX_SECRET * 4 {
        return Err(Failure::usage(format!(
            "{} is longer than a {what} can be",
            path.display()
        )));
    }
    // Never quoted: the bytes are a secret.
    let text = String::from_utf8(text)
        .map_err(|_| Failure::usage(format!("{} is not UTF-8 text", path.display())))?;
    let line = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches('\r');
    if line.trim().is_empty() {
        return Err(Failure::usage(format!(
            "{}: its first line is empty; it should hold the {what}",
            path.display()
        )));
    }
    Ok(SecretString::from(line.to_string()))
}

fn from_env(name: &str) -> Option<SecretString> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(SecretString::from)
}

impl Unattended {
    /// The login from the flags and the environment (with `--fake`, the fake's superuser).
    /// `Ok(None)` when no login is given: a plan that creates nothing needs none.
    pub(crate) fn load(ctx: &Context, args: &UnattendedArgs) -> Result<Option<Self>, Failure> {
        let fake = ctx.fake_user("root");
        let Some(username) = args
            .username
            .clone()
            .or_else(|| fake.as_ref().map(|u| u.login.clone()))
        else {
            return Ok(None);
        };
        let password = match &args.password_file {
            Some(path) => first_line(path, "a password")?,
            None => match from_env("FASTLY_PASSWORD") {
                Some(p) => p,
                None => match fake.as_ref().filter(|u| u.login == username) {
                    Some(u) => SecretString::from(u.password.clone()),
                    None => {
                        return Err(Failure::usage(
                            "creating tokens needs the account's password: set \
                             FASTLY_PASSWORD or pass --password-file FILE (never an argument)",
                        ));
                    }
                },
            },
        };
        let encoded = match &args.totp_secret_file {
            Some(path) => Some(first_line(path, "a TOTP secret")?),
            None => from_env("FASTLY_TOTP_SECRET"),
        };
        let totp = encoded
            .map(|s| {
                // Authenticator apps show the secret in groups, sometimes in lower case.
                let normal: String = s
                    .expose_secret()
                    .chars()
                    .filter(|c| !c.is_whitespace() && *c != '=')
                    .map(|c| c.to_ascii_uppercase())
                    .collect();
                totp_rs::Secret::Encoded(normal)
                    .to_bytes()
                    .map(|b| SecretBox::new(Box::new(b)))
                    .map_err(|_| {
                        Failure::usage(
                            "the TOTP secret is not base32 (the letters and digits shown when \
                             two-factor authentication was set up)",
                        )
                    })
            })
            .transpose()?;
        Ok(Some(Self {
            username,
            password,
            totp,
        }))
    }

    /// The one-time code at `at`, when the account has a TOTP secret.
    pub(crate) fn code(&self, at: DateTime<Utc>) -> Option<SecretString> {
        let secret = self.totp.as_ref()?;
        // 6 digits, 30-second steps, SHA-1: RFC 6238's defaults, which Fastly's 2FA uses.
        let totp = totp_rs::TOTP::new_unchecked(
            totp_rs::Algorithm::SHA1,
            6,
            1,
            30,
            secret.expose_secret().clone(),
        );
        let seconds = u64::try_from(at.timestamp()).ok()?;
        Some(SecretString::from(totp.generate(seconds)))
    }

    /// A user-token create's credentials, with a code for `at`.
    pub(crate) fn login(&self, at: DateTime<Utc>) -> Login {
        Login {
            credentials: Credentials::password(
                self.username.as_str(),
                self.password.expose_secret(),
            ),
            otp: self.code(at),
            password: true,
        }
    }

    /// The password, for sudo mode (automation tokens).
    pub(crate) fn password(&self) -> SecretString {
        self.password.clone()
    }
}
