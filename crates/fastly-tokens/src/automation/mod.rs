//! The `/automation-tokens` family: automation tokens (not tied to a person, with a [`Role`],
//! created by a superuser in sudo mode) and `POST /sudo`.
//!
//! Who may create them: only users with the superuser role, from a user token, in sudo mode;
//! accounts with forced SSO or two-factor authentication cannot create them at all (Fastly's
//! documentation). Once created, an automation token authenticates every API call its scope
//! allows, this crate's included ([`Client::new`] with its secret).
//!
//! Revocation goes through `DELETE /tokens/{id}`, which is what Fastly's web UI and go-fastly
//! use and what real recordings show answering 204; `DELETE /automation-tokens/{id}` is not
//! used (no source shows it working).

pub(crate) mod create;
pub(crate) mod model;

use rustc_hash::FxHashSet;

use chrono::{DateTime, Utc};
use fastly_tokens_raw::types as raw;
use futures_util::stream::FuturesOrdered;
use futures_util::{Stream, StreamExt as _, stream};
use secrecy::{ExposeSecret, SecretString};

use crate::answer;
use crate::client::Client;
use crate::convert;
use crate::error::{Error, InvalidInput};
use crate::ids::{AutomationTokenId, ServiceId};
use crate::model::RevokeOutcome;
use crate::op::{Op, Operation};
use crate::tokens::bulk::{self, BulkRevokeReport, Lookup};
use create::CreateAutomationTokenBuilder;
use model::AutomationToken;

/// Tokens asked for per page when listing (`per_page`); Fastly's own clients use 100.
pub const AUTOMATION_PAGE_SIZE: u64 = 100;
/// Most pages a listing follows: a guard against a server whose `meta` never ends (100,000
/// pages of 100 is ten million tokens).
pub const MAX_AUTOMATION_PAGES: u64 = 100_000;

impl Op {
    pub(crate) const LIST_AUTOMATION_TOKENS: Op = Op::new(
        Operation::ListAutomationTokens,
        answer::decode_reason::<raw::AutomationTokenList>,
    );
    pub(crate) const GET_AUTOMATION_TOKEN: Op = Op::new(
        Operation::GetAutomationToken,
        answer::decode_reason::<raw::AutomationTokenResponse>,
    );
    pub(crate) const LIST_AUTOMATION_TOKEN_SERVICES: Op = Op::new(
        Operation::AutomationTokenServices,
        answer::decode_reason::<raw::AutomationTokenServices>,
    );
    // Entering sudo twice only restarts the window: safe to retry.
    pub(crate) const ENTER_SUDO: Op = Op::new(
        Operation::EnterSudo,
        answer::decode_reason::<raw::SudoResponse>,
    )
    .rate_limited();
}

/// One page of [`Client::automation_token_page`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AutomationTokenPage {
    /// The tokens on this page.
    pub tokens: Vec<AutomationToken>,
    /// This page's number (1-based), as asked for.
    pub page: u64,
    /// Pages in all, from Fastly's `meta` (`None` when the answer had none).
    pub total_pages: Option<u64>,
    /// Tokens on all pages, from Fastly's `meta`.
    pub record_count: Option<u64>,
}

impl AutomationTokenPage {
    /// Whether a later page may hold more tokens: `meta.total_pages` says so, or, without a
    /// `meta`, this page was full.
    pub fn has_more(&self, per_page: u64) -> bool {
        match self.total_pages {
            Some(total) => self.page < total,
            None => self.tokens.len() as u64 >= per_page && !self.tokens.is_empty(),
        }
    }
}

impl Client {
    /// One page of the customer's automation tokens (`GET /automation-tokens?page=&per_page=`).
    /// Most callers want [`list_automation_tokens`](Self::list_automation_tokens) or
    /// [`automation_tokens`](Self::automation_tokens), which follow the pages.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a zero `page` or `per_page`; see [`Error`] for the rest.
    pub async fn automation_token_page(
        &self,
        page: u64,
        per_page: u64,
    ) -> Result<AutomationTokenPage, Error> {
        let (Some(page_nz), Some(per_page_nz)) = (
            std::num::NonZeroU64::new(page),
            std::num::NonZeroU64::new(per_page),
        ) else {
            return Err(InvalidInput::new("page", "page and per_page start at 1").into());
        };
        let op = Op::LIST_AUTOMATION_TOKENS;
        let raw = self.keyed()?;
        let value = self
            .run(op, self.auth(), &[], || {
                raw.list_automation_tokens(Some(page_nz), Some(per_page_nz))
            })
            .await?;
        let body = value.into_inner();
        let count = |n: Option<i64>| n.and_then(|n| u64::try_from(n).ok());
        Ok(AutomationTokenPage {
            tokens: body
                .data
                .into_iter()
                .map(|t| convert::automation_item(op.operation, t))
                .collect::<Result<_, _>>()?,
            page,
            total_pages: count(body.meta.total_pages),
            record_count: count(body.meta.record_count),
        })
    }

    /// Every automation token of the customer, page by page, as a stream: for accounts with
    /// thousands, tokens arrive as each page does. Follows `meta.total_pages` (Fastly sends no
    /// `Link` header), yields each id once even if pages shift while listing, and ends after
    /// an error. Once page 1 has said how many pages there are, up to
    /// [`pages_in_flight`](crate::ClientBuilder::pages_in_flight) pages are requested at a time
    /// (default 8: 50 pages take 8 round trips rather than 50); tokens still arrive in page
    /// order.
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), fastly_tokens::Error> {
    /// use fastly_tokens::StreamExt as _; // re-exported: no futures dependency needed
    /// let mut tokens = std::pin::pin!(client.automation_tokens());
    /// while let Some(token) = tokens.next().await {
    ///     let token = token?;
    ///     println!("{} {} {:?}", token.id(), token.name(), token.role());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn automation_tokens(&self) -> impl Stream<Item = Result<AutomationToken, Error>> + '_ {
        struct Walk<F: std::future::Future> {
            /// The next page to request.
            next: u64,
            /// The last page known to exist (page 1 until an answer says more).
            last: u64,
            /// An error or the last page was seen: nothing more is requested or yielded.
            done: bool,
            /// Pages requested and not yet yielded, answered in page order.
            in_flight: FuturesOrdered<F>,
            /// Ids already yielded. FxHash, not std's SipHash: the set lives for one listing
            /// of validated ids, and SipHash with rehashing was 1,600 instructions per token
            /// (measured with `cargo xtask bench --instructions`, workload auto5000).
            seen: FxHashSet<AutomationTokenId>,
        }
        let limit = self.inner.pages_in_flight.max(1);
        let fetch = move |page: u64| self.automation_token_page(page, AUTOMATION_PAGE_SIZE);
        let start = Walk {
            next: 1,
            last: 1,
            done: false,
            in_flight: FuturesOrdered::new(),
            seen: FxHashSet::default(),
        };
        stream::unfold(start, move |mut walk| async move {
            // Page 1 says how many pages there are; then up to `limit` are in flight at once.
            while !walk.done && walk.in_flight.len() < limit && walk.next <= walk.last {
                walk.in_flight.push_back(fetch(walk.next));
                walk.next += 1;
            }
            match walk.in_flight.next().await? {
                Ok(p) => {
                    if p.has_more(AUTOMATION_PAGE_SIZE) && p.page < MAX_AUTOMATION_PAGES {
                        // Without `meta`, a full page means one more page may exist.
                        let end = p.total_pages.map_or(p.page + 1, |total| {
                            total.clamp(p.page + 1, MAX_AUTOMATION_PAGES)
                        });
                        walk.last = walk.last.max(end);
                    } else {
                        walk.done = true;
                        walk.in_flight = FuturesOrdered::new();
                    }
                    walk.seen.reserve(p.tokens.len());
                    let fresh: Vec<Result<AutomationToken, Error>> = p
                        .tokens
                        .into_iter()
                        .filter(|t| walk.seen.insert(t.id().clone()))
                        .map(Ok)
                        .collect();
                    Some((fresh, walk))
                }
                Err(e) => {
                    walk.done = true;
                    walk.in_flight = FuturesOrdered::new();
                    Some((vec![Err(e)], walk))
                }
            }
        })
        .flat_map(stream::iter)
    }

    /// Every automation token of the customer (all pages; see
    /// [`automation_tokens`](Self::automation_tokens)).
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), fastly_tokens::Error> {
    /// for token in client.list_automation_tokens().await? {
    ///     println!("{} {} last used {:?}", token.name(), token.scopes(), token.last_used_at());
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// The first error of any page; see [`Error`].
    pub async fn list_automation_tokens(&self) -> Result<Vec<AutomationToken>, Error> {
        let mut all = Vec::new();
        let mut tokens = std::pin::pin!(self.automation_tokens());
        while let Some(token) = tokens.next().await {
            all.push(token?);
        }
        Ok(all)
    }

    /// One automation token (`GET /automation-tokens/{id}`).
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let id: fastly_tokens::AutomationTokenId = "7i6HN3TK9wS159v2gPAZ8A".parse()?;
    /// let token = client.get_automation_token(&id).await?;
    /// println!("{} acts as {:?}", token.name(), token.role());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Api`] with 404 for an unknown id; see [`Error`].
    pub async fn get_automation_token(
        &self,
        id: &AutomationTokenId,
    ) -> Result<AutomationToken, Error> {
        let op = Op::GET_AUTOMATION_TOKEN;
        let raw = self.keyed()?;
        let value = self
            .run(op, self.auth(), &[], || {
                raw.get_automation_token(id.as_str())
            })
            .await?;
        convert::automation_token(op.operation, value.into_inner())
    }

    /// The services an automation token is limited to (`GET /automation-tokens/{id}/services`);
    /// empty means every service. The first [`AUTOMATION_PAGE_SIZE`] are asked for: the
    /// endpoint's pagination is undocumented and its answer has no `meta`.
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let id: fastly_tokens::AutomationTokenId = "7i6HN3TK9wS159v2gPAZ8A".parse()?;
    /// for service in client.automation_token_services(&id).await? {
    ///     println!("{service}");
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn automation_token_services(
        &self,
        id: &AutomationTokenId,
    ) -> Result<Vec<ServiceId>, Error> {
        let op = Op::LIST_AUTOMATION_TOKEN_SERVICES;
        let raw = self.keyed()?;
        let per_page = std::num::NonZeroU64::new(AUTOMATION_PAGE_SIZE);
        let value = self
            .run(op, self.auth(), &[], || {
                raw.list_automation_token_services(id.as_str(), None, per_page)
            })
            .await?;
        convert::service_list(op.operation, value.into_inner().data.unwrap_or_default())
    }

    /// Enters sudo mode (`POST /sudo`): the user of this client's API token re-authenticates
    /// with their password. Returns the end of the window (Fastly: five minutes), which the
    /// client remembers so that [`create_automation_token`](Self::create_automation_token)
    /// does not ask again within it.
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), fastly_tokens::Error> {
    /// let until = client.enter_sudo("admin@example.com", "password").await?;
    /// println!("sudo until {until}");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an empty user name or password; [`Error::Api`] 400
    /// (`invalid_grant`) for a wrong one; see [`Error`].
    pub async fn enter_sudo(
        &self,
        username: &str,
        password: impl Into<SecretString>,
    ) -> Result<DateTime<Utc>, Error> {
        let password: SecretString = password.into();
        if username.trim().is_empty() {
            return Err(InvalidInput::new("user name", "it is empty").into());
        }
        if password.expose_secret().is_empty() {
            return Err(InvalidInput::new("password", "it is empty").into());
        }
        let raw = self.keyed()?;
        let mut form = raw::SudoRequest {
            username: username.into(),
            password: password.expose_secret().into(),
        };
        let result = self
            .run(
                Op::ENTER_SUDO,
                self.auth(),
                &[password.expose_secret()],
                || raw.enter_sudo(&form),
            )
            .await;
        secrecy::zeroize::Zeroize::zeroize(&mut form.password);
        let until = result?.into_inner().expiry_time.0;
        self.record_sudo(until);
        Ok(until)
    }

    /// Starts creating an automation token (`POST /automation-tokens`, after `POST /sudo`
    /// when needed); finish with [`send`](CreateAutomationTokenBuilder::send). Never retried.
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use fastly_tokens::{Role, Scope};
    /// use fastly_tokens::secrecy::ExposeSecret; // re-exported: no secrecy dependency needed
    /// let created = client
    ///     .create_automation_token("ci-deploy")
    ///     .role(Role::Engineer)
    ///     .scopes([Scope::PurgeSelect])
    ///     .services(["4aXkQ2mXbV1yQp0tR9sT7e".parse::<fastly_tokens::ServiceId>()?])
    ///     .expires_at(fastly_tokens::chrono::Utc::now() + fastly_tokens::chrono::Duration::days(90))
    ///     .sudo("admin@example.com", "password") // skipped within a sudo window
    ///     .send()
    ///     .await?;
    /// store_in_ci_secrets(created.access_token().expose_secret());
    /// # Ok(()) }
    /// # fn store_in_ci_secrets(_: &str) {}
    /// ```
    pub fn create_automation_token(
        &self,
        name: impl Into<String>,
    ) -> CreateAutomationTokenBuilder<'_> {
        CreateAutomationTokenBuilder::new(self, name.into())
    }

    /// Revokes an automation token through `DELETE /tokens/{id}` (Fastly's route for every
    /// kind of token). A 404 is [`RevokeOutcome::AlreadyGone`].
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let id: fastly_tokens::AutomationTokenId = "7i6HN3TK9wS159v2gPAZ8A".parse()?;
    /// let outcome = client.revoke_automation_token(&id).await?;
    /// println!("{outcome:?}");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn revoke_automation_token(
        &self,
        id: &AutomationTokenId,
    ) -> Result<RevokeOutcome, Error> {
        self.revoke_token(&id.as_token_id()).await
    }

    /// Revokes many automation tokens through the bulk path (`DELETE /tokens`), with the same
    /// report as [`revoke_tokens`](Self::revoke_tokens). When a chunk is refused, ids are looked
    /// up with `GET /automation-tokens/{id}` (not the user-token route) to find which are gone.
    ///
    /// # Errors
    ///
    /// Only when nothing could be attempted (the client has no token).
    pub async fn revoke_automation_tokens<I>(&self, ids: I) -> Result<BulkRevokeReport, Error>
    where
        I: IntoIterator,
        I::Item: std::borrow::Borrow<AutomationTokenId>,
    {
        self.keyed()?;
        let ids: Vec<_> = ids
            .into_iter()
            .map(|id| std::borrow::Borrow::<AutomationTokenId>::borrow(&id).as_token_id())
            .collect();
        Ok(bulk::revoke(self, ids, Lookup::Automation).await)
    }
}
