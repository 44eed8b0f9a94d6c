//! The CLI's words for the library's errors: flags and commands instead of Rust methods, and
//! an exit class by what the user must do.

use fastly_tokens::{Error, Operation, Timeout, TransportKind};

use crate::{ExitClass, Failure};

/// How the API token was given, so a 401 names the right place to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// FASTLY_API_TOKEN or --token.
    User,
    /// The in-process fake's demo key.
    Fake,
    /// A token stored by the Fastly CLI (`--profile`, or its default).
    Profile,
}

/// The exit class of a library error, by what the user must do about it.
pub fn class(e: &Error) -> ExitClass {
    match e {
        Error::InvalidInput(_) | Error::Config(_) => ExitClass::Usage,
        Error::Transport(_) => ExitClass::Network,
        Error::CreatedUndecoded(_) => ExitClass::Partial,
        e if e.is_otp_required()
            || e.is_invalid_login()
            || e.is_unauthorized()
            || e.is_forbidden() =>
        {
            ExitClass::Auth
        }
        e if e.is_rejected_input() => ExitClass::Usage,
        e if e.is_not_found() => ExitClass::NotFound,
        e if e.is_rate_limited() => ExitClass::RateLimited,
        _ => ExitClass::Other,
    }
}

/// The message for a library error, in the CLI's terms.
pub fn message(e: &Error, keys: KeySource, password: bool) -> String {
    // The library's wording for each operation: a new one cannot come without it.
    let doing = e.operation().map_or("the request", Operation::activity);
    message_doing(e, keys, password, doing)
}

/// [`message`], saying what was being done in the caller's words: revoking a leaked or minted
/// key with itself goes through `revoke_current_token`, whose own words ("the token in use")
/// would name the wrong token.
pub fn message_doing(e: &Error, keys: KeySource, password: bool, doing: &str) -> String {
    let create = e.operation().is_some_and(Operation::creates);
    match e {
        Error::Config(_) => {
            "no API token: set FASTLY_API_TOKEN (or pass --token), or try with --fake".to_string()
        }
        Error::InvalidInput(i) if i.message().contains("`self`") => {
            format!("{i}; for the token in use, use --current")
        }
        Error::InvalidInput(i) => i.to_string(),
        Error::Api(api) => {
            let mut text = format!("{doing} failed: Fastly answered {}", api.status());
            if let Some(m) = api.message() {
                text.push_str(&format!(" {m:?}"));
            }
            if let Some(d) = api.detail() {
                text.push_str(&format!(" ({d:?})"));
            }
            if let Some(c) = api.code() {
                text.push_str(&format!(" [code {c:?}]"));
            }
            let hint = match api.status() {
                _ if e.is_otp_required() => {
                    "the account uses two-factor authentication: pass the current code with --otp"
                        .to_string()
                }
                _ if e.is_invalid_login() => "check --username and the password".to_string(),
                401 if create && password => "check --username and the password".to_string(),
                401 if keys == KeySource::Fake => "the fake refused its own demo key".to_string(),
                401 if keys == KeySource::Profile => {
                    "check the Fastly CLI's stored token (--profile, or its default in \
                     ~/.config/fastly/config.toml): it may be wrong, expired or revoked"
                        .to_string()
                }
                401 => "check FASTLY_API_TOKEN (or --token): it may be wrong, expired or revoked"
                    .to_string(),
                403 if api.message().is_some_and(|m| m.contains("POST /sudo")) => {
                    "this needs sudo mode: pass --username and --password-stdin".to_string()
                }
                403 if create && !password => "creating a token with the API token needs sudo \
                     mode; pass --username and --password-stdin instead"
                    .to_string(),
                403 => "the token lacks the rights for this (read-only scope, sudo mode, or \
                        another customer)"
                    .to_string(),
                404 => "no such token (it may already be revoked)".to_string(),
                429 => match e.rate_limit().and_then(|r| r.reset()) {
                    Some(reset) => format!(
                        "the hourly budget of non-read requests is spent; retry after {}",
                        reset.format("%Y-%m-%dT%H:%M:%SZ")
                    ),
                    None => {
                        "the hourly budget of non-read requests is spent; retry later".to_string()
                    }
                },
                400 | 422 if create => "check --scope, --service and the expiry".to_string(),
                300..=399 => format!(
                    "redirects{} are not followed, so the API token is not sent elsewhere; check --endpoint",
                    api.redirect_host()
                        .map(|h| format!(" to {h}"))
                        .unwrap_or_default()
                ),
                500..=599 => "Fastly had a server error; retry later".to_string(),
                _ => String::new(),
            };
            if hint.is_empty() {
                text
            } else {
                format!("{text}; {hint}")
            }
        }
        Error::Transport(t) => {
            let mut text = match (t.kind(), t.timeout()) {
                (_, Some(Timeout::Operation(d))) => format!(
                    "{doing} failed: no answer within --timeout {}; check the network and --endpoint, or raise --timeout",
                    humantime::format_duration(d)
                ),
                (_, Some(Timeout::Attempt(d))) => format!(
                    "{doing} failed: no complete answer within {} per attempt; check the network, or raise --timeout",
                    humantime::format_duration(d)
                ),
                (_, Some(Timeout::Connect(d))) => format!(
                    "{doing} failed: could not connect within --connect-timeout {}; check --endpoint and the network",
                    humantime::format_duration(d)
                ),
                (TransportKind::Connect, _) => format!(
                    "{doing} failed: could not connect to the API; check --endpoint, the proxy and the network"
                ),
                _ => format!(
                    "{doing} failed: the connection broke before the answer was complete; retry"
                ),
            };
            if e.may_have_created() {
                text.push_str("; the token may have been created: run `fastly-tokens list` and revoke any you do not recognise");
            }
            text
        }
        Error::Decode(d) => format!(
            "{doing} failed: Fastly's answer could not be read ({}); check that --endpoint points at the Fastly API{}",
            d.reason(),
            if e.may_have_created() {
                "; the token may have been created: run `fastly-tokens list` and revoke any you do not recognise"
            } else {
                ""
            }
        ),
        other => other.to_string(),
    }
}

/// A [`Failure`] for a library error.
pub fn failure(e: &Error, keys: KeySource, password: bool) -> Failure {
    Failure {
        // Exit 6 (partial), not 7 or 8: a token may exist now, and the caller has to look.
        class: if e.may_have_created() {
            ExitClass::Partial
        } else {
            class(e)
        },
        message: message(e, keys, password),
        status: e.status(),
        rate_limit_reset: e.rate_limit().and_then(|r| r.reset()),
        ..Failure::default()
    }
}
