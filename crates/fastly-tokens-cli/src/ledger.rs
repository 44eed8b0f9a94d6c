//! The ledger of a minting command: every token it created or touched and the state each is
//! in, so that however the command stops (a failed step, a closed stdout, a signal) stderr
//! names every token that exists and what to do about it.

use fastly_tokens::TokenId;

use crate::failure::TokenState;
use crate::mint::Minted;

/// The new token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum New {
    /// Not created (yet).
    None,
    /// The create's answer was lost: a token may exist, its secret seen by no one.
    MayExist,
    /// It exists and works; its secret is where `at` says (`nowhere` before delivery).
    Live { at: String },
    /// Revoked by this run.
    Revoked,
    /// It exists, its secret reached no one, and revoking it failed.
    RevokeFailed { why: String },
}

/// The token being replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Old {
    Works,
    Revoked,
    AlreadyGone,
    /// `--keep-old`.
    Kept,
    RevokeFailed {
        why: String,
    },
}

#[derive(Debug)]
pub(crate) struct Ledger {
    new_id: Option<TokenId>,
    new_hint: String,
    pub(crate) new: New,
    old_id: Option<TokenId>,
    pub(crate) old: Old,
}

impl Ledger {
    /// A ledger for a command that replaces `old` (rotate), or creates only.
    pub(crate) fn new(old: Option<&TokenId>) -> Self {
        Self {
            new_id: None,
            new_hint: String::new(),
            new: New::None,
            old_id: old.cloned(),
            old: Old::Works,
        }
    }

    pub(crate) fn minted(&mut self, minted: &Minted) {
        self.new_id = minted.id.clone();
        self.new_hint = minted.revoke_hint();
        self.new = New::Live {
            at: "nowhere".to_string(),
        };
    }

    fn new_id(&self) -> String {
        self.new_id
            .as_ref()
            .map_or_else(|| "(id unknown)".to_string(), ToString::to_string)
    }

    /// One sentence per token, for stderr.
    pub(crate) fn account(&self) -> String {
        let mut parts = Vec::new();
        let id = self.new_id();
        match &self.new {
            New::None => {}
            New::MayExist => parts.push(
                "a new token may exist (the create's answer was lost): find it with \
                 `fastly-tokens list` and revoke it"
                    .to_string(),
            ),
            New::Live { at } if at == "nowhere" => parts.push(format!(
                "the new token {id} works but its secret reached no one: revoke it with {}",
                self.new_hint
            )),
            New::Live { at } => {
                parts.push(format!("the new token {id} works; its secret went to {at}"));
            }
            New::Revoked => parts.push(format!("the new token {id} was revoked")),
            New::RevokeFailed { why } => parts.push(format!(
                "the new token {id} was NOT revoked ({why}) and its secret reached no one: \
                 revoke it with {}",
                self.new_hint
            )),
        }
        if let Some(old) = &self.old_id {
            parts.push(match &self.old {
                Old::Works => format!("the old token {old} still works"),
                Old::Revoked => format!("the old token {old} was revoked"),
                Old::AlreadyGone => format!("the old token {old} was already gone"),
                Old::Kept => format!(
                    "the old token {old} was kept (--keep-old): revoke it later with \
                     `fastly-tokens revoke {old} --yes`"
                ),
                Old::RevokeFailed { why } => format!(
                    "the old token {old} still works: revoking it failed ({why}); revoke it \
                     with `fastly-tokens revoke {old} --yes`"
                ),
            });
        }
        if parts.is_empty() {
            "nothing was created".to_string()
        } else {
            format!("Tokens now: {}.", parts.join("; "))
        }
    }

    /// The same facts for the JSON error document.
    pub(crate) fn tokens(&self) -> Vec<TokenState> {
        let mut tokens = Vec::new();
        let new = |state: &str, at: Option<&str>| TokenState {
            id: self
                .new_id
                .as_ref()
                .map_or_else(|| "unknown".to_string(), ToString::to_string),
            role: "new".to_string(),
            state: state.to_string(),
            secret_at: at.map(str::to_string),
        };
        match &self.new {
            New::None => {}
            New::MayExist => tokens.push(new("may_exist", None)),
            New::Live { at } => tokens.push(new("works", Some(at))),
            New::Revoked => tokens.push(new("revoked", None)),
            New::RevokeFailed { .. } => tokens.push(new("revoke_failed", Some("nowhere"))),
        }
        if let Some(old) = &self.old_id {
            tokens.push(TokenState {
                id: old.to_string(),
                role: "old".to_string(),
                state: match self.old {
                    Old::Works | Old::Kept => "works",
                    Old::Revoked => "revoked",
                    Old::AlreadyGone => "already_gone",
                    Old::RevokeFailed { .. } => "revoke_failed",
                }
                .to_string(),
                secret_at: None,
            });
        }
        tokens
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> TokenId {
        s.parse().expect("valid id")
    }

    #[test]
    fn the_account_names_every_token_and_what_to_run() {
        let old = id("5eEdTok030000000000000");
        let mut ledger = Ledger::new(Some(&old));
        assert_eq!(
            ledger.account(),
            "Tokens now: the old token 5eEdTok030000000000000 still works."
        );
        ledger.new_id = Some(id("NewTok0000000000000000"));
        ledger.new_hint = "`fastly-tokens revoke NewTok0000000000000000 --yes`".to_string();
        ledger.new = New::Live {
            at: "nowhere".to_string(),
        };
        let text = ledger.account();
        assert!(
            text.contains("reached no one: revoke it with `fastly-tokens revoke NewTok"),
            "{text}"
        );
        ledger.new = New::Live {
            at: "file /tmp/x".to_string(),
        };
        ledger.old = Old::RevokeFailed {
            why: "503".to_string(),
        };
        let text = ledger.account();
        assert!(text.contains("its secret went to file /tmp/x"), "{text}");
        assert!(
            text.contains("revoke it with `fastly-tokens revoke 5eEdTok030000000000000 --yes`"),
            "{text}"
        );
        let tokens = ledger.tokens();
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens[0].state, "works");
        assert_eq!(tokens[1].state, "revoke_failed");
        assert_eq!(Ledger::new(None).account(), "nothing was created");
    }
}
