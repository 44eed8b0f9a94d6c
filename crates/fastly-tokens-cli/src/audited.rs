//! A token as `audit` sees it: the same facts for user tokens, browser sessions and automation
//! tokens, borrowed from the library's models.

use chrono::{DateTime, Utc};

/// What an audit looks at, for any kind of token.
pub(crate) struct Audited<'a> {
    pub id: String,
    pub name: &'a str,
    /// `user`, `automation` or `session` (a browser session).
    pub kind: &'static str,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub ip: Option<&'a str>,
    pub scopes: Vec<&'a str>,
    pub global: bool,
    pub read_only: bool,
    pub unrestricted: bool,
}

impl<'a> Audited<'a> {
    pub(crate) fn user(t: &'a fastly_tokens::Token) -> Self {
        Self {
            id: t.id().to_string(),
            name: t.name(),
            kind: if t.is_browser_session() {
                "session"
            } else {
                "user"
            },
            created_at: t.created_at(),
            expires_at: t.expires_at(),
            last_used_at: t.last_used_at(),
            ip: t.ip(),
            scopes: t.scopes().iter().map(|s| s.as_str()).collect(),
            global: t.scopes().is_global(),
            read_only: t.scopes().is_read_only(),
            unrestricted: t.is_unrestricted(),
        }
    }
    pub(crate) fn automation(t: &'a fastly_tokens::AutomationToken) -> Self {
        Self {
            id: t.id().to_string(),
            name: t.name(),
            kind: "automation",
            created_at: t.created_at(),
            expires_at: t.expires_at(),
            last_used_at: t.last_used_at(),
            ip: t.ip(),
            scopes: t.scopes().iter().map(|s| s.as_str()).collect(),
            global: t.scopes().is_global(),
            read_only: t.scopes().is_read_only(),
            unrestricted: t.is_unrestricted(),
        }
    }
}
