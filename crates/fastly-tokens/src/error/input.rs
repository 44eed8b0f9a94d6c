//! Errors raised before anything is sent: [`ConfigError`] and [`InvalidInput`].

/// The client, as built, cannot make this call; nothing was sent.
#[derive(Debug, Clone, thiserror::Error)]
#[error("client configuration: {message}")]
#[non_exhaustive]
pub struct ConfigError {
    pub(crate) message: String,
}

impl ConfigError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
    /// What is missing or wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Input rejected before any request was sent.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid {what}: {message}")]
#[non_exhaustive]
pub struct InvalidInput {
    pub(crate) what: &'static str,
    pub(crate) message: String,
}

impl InvalidInput {
    pub(crate) fn new(what: &'static str, message: impl Into<String>) -> Self {
        Self {
            what,
            message: message.into(),
        }
    }
    /// What was invalid, e.g. `token id` or `base URL`.
    pub fn what(&self) -> &'static str {
        self.what
    }
    /// Why.
    pub fn message(&self) -> &str {
        &self.message
    }
}
