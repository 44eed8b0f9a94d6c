//! How a command ends: an exit class (the code says what the user must do) and, for a failure,
//! the message and the facts `--json` reports.

use chrono::{DateTime, Utc};

/// The class of an outcome, and its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExitClass {
    #[default]
    Success = 0,
    Findings = 1,
    Usage = 2,
    Auth = 3,
    NotFound = 4,
    RateLimited = 5,
    Partial = 6,
    Network = 7,
    Other = 8,
    Local = 9,
    /// `plan` and `apply`: changes are pending.
    Pending = 10,
    /// `triage`: a leaked key is live and was not revoked.
    LiveKey = 11,
}

impl ExitClass {
    /// The name used in JSON errors.
    pub fn name(self) -> &'static str {
        match self {
            ExitClass::Success => "success",
            ExitClass::Findings => "findings",
            ExitClass::Usage => "usage",
            ExitClass::Auth => "auth",
            ExitClass::NotFound => "not_found",
            ExitClass::RateLimited => "rate_limited",
            ExitClass::Partial => "partial",
            ExitClass::Network => "network",
            ExitClass::Other => "server",
            ExitClass::Local => "local",
            ExitClass::Pending => "pending",
            ExitClass::LiveKey => "live_key",
        }
    }
}

/// One token a minting command leaves behind, and its state (for the account on stderr and
/// the `tokens` of the JSON error document).
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct TokenState {
    /// The token id, or `unknown` when Fastly's answer did not say it.
    pub id: String,
    /// `new` (minted by this run) or `old` (the token it replaces).
    pub role: String,
    /// `revoked`, `works` (with `secret_at` saying where its secret is), `may_exist`, or
    /// `revoke_failed` (it works and must be revoked by hand).
    pub state: String,
    /// Where the new secret went: `stdout`, `file PATH`, `command ...`, `nowhere`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_at: Option<String>,
}

/// A failure of a command: a message for stderr, its exit class, and facts for `--json`.
#[derive(Debug, Default)]
pub struct Failure {
    pub class: ExitClass,
    pub message: String,
    pub status: Option<u16>,
    pub rate_limit_reset: Option<DateTime<Utc>>,
    /// A signal ended the command: exit 128 + this number.
    pub signal: Option<i32>,
    /// An exit code other than the class's (`exec`: 126, 127).
    pub exit: Option<u8>,
    /// Every token a minting command leaves behind, when it stopped after the mint.
    pub tokens: Vec<TokenState>,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            class: ExitClass::Usage,
            message: message.into(),
            ..Failure::default()
        }
    }

    pub fn local(message: impl Into<String>) -> Self {
        Failure {
            class: ExitClass::Local,
            message: message.into(),
            ..Failure::default()
        }
    }

    /// The same failure with more to say (what state things are in, what to run).
    pub fn context(mut self, more: impl std::fmt::Display) -> Self {
        self.message = format!("{}{more}", self.message);
        self
    }

    /// The process exit code: the class's, or 128 + the signal's number.
    pub fn code(&self) -> u8 {
        match (self.signal, self.exit) {
            (Some(n), _) => u8::try_from(128 + n).unwrap_or(255),
            (None, Some(code)) => code,
            (None, None) => self.class as u8,
        }
    }

    /// The class name in the JSON error document.
    pub fn class_name(&self) -> &'static str {
        if self.signal.is_some() {
            "interrupted"
        } else {
            self.class.name()
        }
    }
}
