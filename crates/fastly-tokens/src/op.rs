//! What an operation is: [`Operation`], the public name of each call an error can come from,
//! and `Op`, the engine's view of one (retried or not, rate-limited or not, how to explain a
//! body that does not decode). Everything else about an operation is written once, in its
//! family's file (`tokens/`, `automation/`).
//!
//! The matches below are exhaustive, so a new [`Operation`] without its method name or its
//! wording does not compile; a test keeps the list equal to the spec's operation ids.

use std::fmt;

use fastly_tokens_raw::operation_ids as ids;

/// A call of the API, as errors name it: see [`Error::operation`](crate::Error::operation).
///
/// Each has the [`Client`](crate::Client) method that runs it ([`method`](Self::method)), its
/// OpenAPI operation id ([`id`](Self::id)) and a phrase for messages
/// ([`activity`](Self::activity)). `Display` shows the method name.
///
/// ```
/// use fastly_tokens::Operation;
/// assert_eq!(Operation::CurrentToken.id(), "get_token_current");
/// assert_eq!(Operation::CurrentToken.to_string(), "current_token");
/// assert_eq!(Operation::RevokeTokens.activity(), "revoking tokens");
/// assert!(Operation::CreateAutomationToken.creates());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Operation {
    /// [`Client::current_token`](crate::Client::current_token): `GET /tokens/self`.
    CurrentToken,
    /// [`Client::list_tokens`](crate::Client::list_tokens): `GET /tokens`.
    ListTokens,
    /// [`Client::list_customer_tokens`](crate::Client::list_customer_tokens).
    ListCustomerTokens,
    /// [`Client::get_token`](crate::Client::get_token): `GET /tokens/{id}`.
    GetToken,
    /// [`Client::revoke_token`](crate::Client::revoke_token) (and
    /// [`revoke_automation_token`](crate::Client::revoke_automation_token)).
    RevokeToken,
    /// [`Client::revoke_current_token`](crate::Client::revoke_current_token).
    RevokeCurrentToken,
    /// [`Client::revoke_tokens`](crate::Client::revoke_tokens) (and
    /// [`revoke_automation_tokens`](crate::Client::revoke_automation_tokens)).
    RevokeTokens,
    /// [`Client::create_token`](crate::Client::create_token).
    CreateToken,
    /// [`Client::list_automation_tokens`](crate::Client::list_automation_tokens) and its pages.
    ListAutomationTokens,
    /// [`Client::get_automation_token`](crate::Client::get_automation_token).
    GetAutomationToken,
    /// [`Client::automation_token_services`](crate::Client::automation_token_services).
    AutomationTokenServices,
    /// [`Client::create_automation_token`](crate::Client::create_automation_token).
    CreateAutomationToken,
    /// [`Client::enter_sudo`](crate::Client::enter_sudo).
    EnterSudo,
}

impl Operation {
    /// Every operation, in the order of the crate docs' table.
    #[cfg(test)]
    pub(crate) const ALL: [Operation; 13] = [
        Operation::CurrentToken,
        Operation::ListTokens,
        Operation::ListCustomerTokens,
        Operation::GetToken,
        Operation::RevokeToken,
        Operation::RevokeCurrentToken,
        Operation::RevokeTokens,
        Operation::CreateToken,
        Operation::ListAutomationTokens,
        Operation::GetAutomationToken,
        Operation::AutomationTokenServices,
        Operation::CreateAutomationToken,
        Operation::EnterSudo,
    ];

    /// The OpenAPI operation id (`get_token_current`).
    pub const fn id(self) -> &'static str {
        match self {
            Operation::CurrentToken => ids::GET_TOKEN_CURRENT,
            Operation::ListTokens => ids::LIST_TOKENS_USER,
            Operation::ListCustomerTokens => ids::LIST_TOKENS_CUSTOMER,
            Operation::GetToken => ids::GET_TOKEN,
            Operation::RevokeToken => ids::REVOKE_TOKEN,
            Operation::RevokeCurrentToken => ids::REVOKE_TOKEN_CURRENT,
            Operation::RevokeTokens => ids::BULK_REVOKE_TOKENS,
            Operation::CreateToken => ids::CREATE_TOKEN,
            Operation::ListAutomationTokens => ids::LIST_AUTOMATION_TOKENS,
            Operation::GetAutomationToken => ids::GET_AUTOMATION_TOKEN,
            Operation::AutomationTokenServices => ids::LIST_AUTOMATION_TOKEN_SERVICES,
            Operation::CreateAutomationToken => ids::CREATE_AUTOMATION_TOKEN,
            Operation::EnterSudo => ids::ENTER_SUDO,
        }
    }

    /// The [`Client`](crate::Client) method that runs it (`current_token`). Messages name
    /// this, not the operation id.
    pub const fn method(self) -> &'static str {
        match self {
            Operation::CurrentToken => "current_token",
            Operation::ListTokens => "list_tokens",
            Operation::ListCustomerTokens => "list_customer_tokens",
            Operation::GetToken => "get_token",
            Operation::RevokeToken => "revoke_token",
            Operation::RevokeCurrentToken => "revoke_current_token",
            Operation::RevokeTokens => "revoke_tokens",
            Operation::CreateToken => "create_token",
            Operation::ListAutomationTokens => "list_automation_tokens",
            Operation::GetAutomationToken => "get_automation_token",
            Operation::AutomationTokenServices => "automation_token_services",
            Operation::CreateAutomationToken => "create_automation_token",
            Operation::EnterSudo => "enter_sudo",
        }
    }

    /// What the call was doing, for a message: "`<activity>` failed: ..." (`reading the token
    /// in use`).
    pub const fn activity(self) -> &'static str {
        match self {
            Operation::CurrentToken => "reading the token in use",
            Operation::ListTokens | Operation::ListCustomerTokens => "listing tokens",
            Operation::GetToken => "reading the token",
            Operation::RevokeToken => "revoking the token",
            Operation::RevokeCurrentToken => "revoking the token in use",
            Operation::RevokeTokens => "revoking tokens",
            Operation::CreateToken => "creating the token",
            Operation::ListAutomationTokens => "listing automation tokens",
            Operation::GetAutomationToken => "reading the automation token",
            Operation::AutomationTokenServices => "listing the automation token's services",
            Operation::CreateAutomationToken => "creating the automation token",
            Operation::EnterSudo => "entering sudo mode",
        }
    }

    /// Whether it mints a token: never retried, and a failure may leave a token behind (see
    /// [`Error::may_have_created`](crate::Error::may_have_created)).
    pub const fn creates(self) -> bool {
        matches!(
            self,
            Operation::CreateToken | Operation::CreateAutomationToken
        )
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.method())
    }
}

/// Whether a failed call may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// GET and DELETE: repeating them has no further effect.
    Idempotent,
    /// A create: a repeat could create a second token.
    Never,
}

/// One operation, as the engine ([`Client::run`](crate::Client)) needs it. Each family file
/// defines its operations' `Op`s as constants.
#[derive(Clone, Copy)]
pub(crate) struct Op {
    pub(crate) operation: Operation,
    pub(crate) retry: Retry,
    /// Why a success body does not decode, never quoting it.
    pub(crate) decode_reason: fn(&[u8]) -> String,
    /// Its successes carry Fastly's rate-limit headers (the spec's
    /// [`RATE_LIMITED`](fastly_tokens_raw::operation_ids::RATE_LIMITED); a test keeps the two in
    /// step). Other successes are not searched for them: reads never carry them.
    pub(crate) rate_limited: bool,
}

impl Op {
    /// A retried operation whose successes carry no rate-limit headers.
    pub(crate) const fn new(operation: Operation, decode_reason: fn(&[u8]) -> String) -> Self {
        Op {
            operation,
            retry: if operation.creates() {
                Retry::Never
            } else {
                Retry::Idempotent
            },
            decode_reason,
            rate_limited: false,
        }
    }

    /// The same operation, whose successes carry rate-limit headers.
    pub(crate) const fn rate_limited(mut self) -> Self {
        self.rate_limited = true;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_of_the_spec_is_an_operation_once() {
        let mut ids: Vec<&str> = Operation::ALL.iter().map(|o| o.id()).collect();
        ids.sort_unstable();
        assert_eq!(ids, ids::ALL, "the spec and `Operation` disagree");
    }

    #[test]
    fn the_crate_docs_table_lists_every_method() {
        let docs = include_str!("lib.rs");
        for operation in Operation::ALL {
            let row = format!("| [`Client::{}`]", operation.method());
            assert!(
                docs.contains(&row),
                "the crate docs' operation table has no row for {}",
                operation.method()
            );
            assert!(
                docs.contains(&format!("`{}`", operation.id())),
                "the crate docs' table does not name {}",
                operation.id()
            );
        }
    }
}
