//! [`ApiError`]: Fastly answered with an error status; its message and the hint that says
//! what to do.

use std::fmt;

use crate::http::Auth;
use crate::op::Operation;
use crate::ratelimit::RateLimit;

/// Fastly answered with an error status.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    pub(crate) operation: Operation,
    pub(crate) status: u16,
    pub(crate) message: Option<String>,
    pub(crate) detail: Option<String>,
    pub(crate) code: Option<String>,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) redirect_to: Option<String>,
    pub(crate) auth: Auth,
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }
    /// Fastly's `msg`, when the body had one.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
    /// Fastly's `detail`, when the body had one.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
    /// Fastly's machine-readable `code`, e.g. `2fa.verify` on a create with a missing OTP.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }
    /// Rate-limit headers of the response.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.rate_limit.as_ref()
    }
    /// The operation that failed.
    pub fn operation(&self) -> Operation {
        self.operation
    }
    /// The public method whose call failed.
    pub fn method(&self) -> &'static str {
        self.operation.method()
    }
    /// The host a stopped redirect pointed to.
    pub fn redirect_host(&self) -> Option<&str> {
        self.redirect_to.as_deref()
    }

    fn hint(&self) -> &'static str {
        // A create is never repeated blindly: it could mint a second token.
        if self.operation.creates() {
            match self.status {
                403 if self
                    .message
                    .as_deref()
                    .is_some_and(|m| m.contains("POST /sudo")) =>
                {
                    return "; enter sudo mode first (re-authenticate with the password), then create within its window";
                }
                429 => {
                    return "; the hourly budget of non-read requests is spent: nothing was created, create after the reset time";
                }
                500..=599 => {
                    return "; Fastly had a server error: list the tokens before creating again";
                }
                _ => {}
            }
        }
        match (self.status, self.code.as_deref(), self.auth) {
            (400, Some("2fa.verify"), _) => {
                "; the account uses two-factor authentication: send the current one-time password (OTP)"
            }
            (400, Some("invalid_grant"), _) => "; check the user name and password",
            (401, _, Auth::Password) => "; check the user name and password",
            (401, _, Auth::EnvToken) => {
                "; check the API token in FASTLY_API_TOKEN: it may be wrong, expired or revoked"
            }
            (401, _, Auth::Token) => {
                "; check the API token the client was given: it may be wrong, expired or revoked"
            }
            (403, _, _)
                if self
                    .message
                    .as_deref()
                    .is_some_and(|m| m.contains("POST /sudo")) =>
            {
                "; enter sudo mode first (re-authenticate with the password), then retry within its window"
            }
            (403, _, _) => {
                "; the token lacks the rights for this (read-only scope, sudo, superuser role, or another customer)"
            }
            (404, _, _) => "; it does not exist or was already revoked",
            (429, _, _) => {
                "; the hourly budget of non-read requests is spent, retry after the reset time"
            }
            (300..=399, _, _) => {
                "; redirects to another host are not followed, so the API key is not sent there"
            }
            (500..=599, _, _) => "; Fastly had a server error, retry later",
            _ => "",
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed: Fastly answered {}",
            self.method(),
            self.status
        )?;
        if let Some(m) = &self.message {
            write!(f, " {m:?}")?;
        }
        if let Some(d) = &self.detail {
            write!(f, " ({d:?})")?;
        }
        if let Some(c) = &self.code {
            write!(f, " [code {c:?}]")?;
        }
        if let Some(to) = &self.redirect_to {
            write!(f, " redirecting to {to}")?;
        }
        if self.status == 429
            && let Some(reset) = self.rate_limit.as_ref().and_then(RateLimit::reset)
        {
            // RFC 3339 written directly: `format("%Y…")` would link chrono's strftime
            // interpreter (about 20 KB of a one-call program) for this one message.
            write!(
                f,
                " until {}",
                reset.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )?;
        }
        f.write_str(self.hint())
    }
}

impl std::error::Error for ApiError {}
