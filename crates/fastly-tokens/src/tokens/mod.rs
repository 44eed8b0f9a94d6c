//! The `/tokens` family: one `impl Client` block with its eight operations, in the order of
//! the crate docs' table. Creating (`create`) and bulk revoking (`bulk`) have modules of their
//! own; both use only the engine in `client.rs`.

pub(crate) mod bulk;
pub(crate) mod create;

use fastly_tokens_raw::types as raw;

use crate::answer;
use crate::client::Client;
use crate::convert;
use crate::error::Error;
use crate::ids::{CustomerId, TokenId};
use crate::model::{RevokeOutcome, Token};
use crate::op::{Op, Operation};
use bulk::BulkRevokeReport;
use create::{CreateTokenBuilder, Credentials};

impl Op {
    pub(crate) const GET_TOKEN_CURRENT: Op = Op::new(
        Operation::CurrentToken,
        answer::decode_reason::<raw::TokenResponse>,
    );
    pub(crate) const GET_TOKEN: Op = Op::new(
        Operation::GetToken,
        answer::decode_reason::<raw::TokenResponse>,
    );
    pub(crate) const LIST_TOKENS_USER: Op = Op::new(
        Operation::ListTokens,
        answer::decode_reason::<Vec<raw::TokenResponse>>,
    );
    pub(crate) const LIST_TOKENS_CUSTOMER: Op = Op::new(
        Operation::ListCustomerTokens,
        answer::decode_reason::<Vec<raw::TokenResponse>>,
    );
    // Revokes accept any 2xx without reading the body: nothing to decode.
    pub(crate) const REVOKE_TOKEN: Op =
        Op::new(Operation::RevokeToken, answer::decode_reason::<()>).rate_limited();
    pub(crate) const REVOKE_TOKEN_CURRENT: Op =
        Op::new(Operation::RevokeCurrentToken, answer::decode_reason::<()>).rate_limited();
}

impl Client {
    /// The token this client authenticates with (`GET /tokens/self`).
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), fastly_tokens::Error> {
    /// let me = client.current_token().await?;
    /// println!("{} ({}) expires {:?}", me.name(), me.scopes(), me.expires_at());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Api`] with 401 when the token is invalid; see [`Error`] for the rest.
    pub async fn current_token(&self) -> Result<Token, Error> {
        let op = Op::GET_TOKEN_CURRENT;
        let raw = self.keyed()?;
        let value = self
            .run(op, self.auth(), &[], || raw.get_token_current())
            .await?;
        convert::token(op.operation, value.into_inner())
    }

    /// Every token of the authenticated user, browser sessions included (`GET /tokens`).
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), fastly_tokens::Error> {
    /// for token in client.list_tokens().await? {
    ///     println!("{:24} {:24} {}", token.id(), token.name(), token.scopes());
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn list_tokens(&self) -> Result<Vec<Token>, Error> {
        let op = Op::LIST_TOKENS_USER;
        let raw = self.keyed()?;
        let value = self
            .run(op, self.auth(), &[], || raw.list_tokens_user())
            .await?;
        convert::tokens(op.operation, value.into_inner())
    }

    /// Every token of a customer (`GET /customer/{customer_id}/tokens`); needs the right role.
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let customer: fastly_tokens::CustomerId = "51MumwLiSJyFTWhtbByYgR".parse()?;
    /// let tokens = client.list_customer_tokens(&customer).await?;
    /// println!("{} tokens", tokens.len());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Api`] with 403 for another customer without superuser rights.
    pub async fn list_customer_tokens(&self, customer: &CustomerId) -> Result<Vec<Token>, Error> {
        let op = Op::LIST_TOKENS_CUSTOMER;
        let raw = self.keyed()?;
        let value = self
            .run(op, self.auth(), &[], || {
                raw.list_tokens_customer(customer.as_str())
            })
            .await?;
        convert::tokens(op.operation, value.into_inner())
    }

    /// One token by id (`GET /tokens/{token_id}`).
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let id: fastly_tokens::TokenId = "3krg2uUGZzb2W9Euo4moOY".parse()?;
    /// match client.get_token(&id).await {
    ///     Ok(token) => println!("{} last used {:?}", token.name(), token.last_used_at()),
    ///     Err(e) if e.is_not_found() => println!("no such token"),
    ///     Err(e) => return Err(e.into()),
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Api`] with 404 ([`Error::is_not_found`]) for an unknown id.
    pub async fn get_token(&self, id: &TokenId) -> Result<Token, Error> {
        let op = Op::GET_TOKEN;
        let raw = self.keyed()?;
        let value = self
            .run(op, self.auth(), &[], || raw.get_token(id.as_str()))
            .await?;
        convert::token(op.operation, value.into_inner())
    }

    /// Revokes one token (`DELETE /tokens/{token_id}`). A 404 is not an error but
    /// [`RevokeOutcome::AlreadyGone`]. The caller's own token cannot be named here
    /// ([`TokenId`] refuses `self`); use [`revoke_current_token`](Self::revoke_current_token).
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use fastly_tokens::RevokeOutcome;
    /// let id: fastly_tokens::TokenId = "3krg2uUGZzb2W9Euo4moOY".parse()?;
    /// match client.revoke_token(&id).await? {
    ///     RevokeOutcome::Revoked => println!("revoked"),
    ///     RevokeOutcome::AlreadyGone => println!("was already gone"),
    ///     _ => println!("gone"), // the enum is non-exhaustive
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// See [`Error`]; 404 is reported as `Ok(AlreadyGone)`.
    pub async fn revoke_token(&self, id: &TokenId) -> Result<RevokeOutcome, Error> {
        let raw = self.keyed()?;
        let call = || async { answer::accept_revoked(raw.revoke_token(id.as_str()).await) };
        match self.run(Op::REVOKE_TOKEN, self.auth(), &[], call).await {
            Ok(_) => Ok(RevokeOutcome::Revoked),
            Err(e) if e.is_not_found() => Ok(RevokeOutcome::AlreadyGone),
            Err(e) => Err(e),
        }
    }

    /// Revokes the token this client authenticates with (`DELETE /tokens/self`). The client
    /// is unusable for keyed calls afterwards.
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), fastly_tokens::Error> {
    /// client.revoke_current_token().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn revoke_current_token(&self) -> Result<(), Error> {
        let raw = self.keyed()?;
        let call = || async { answer::accept_revoked(raw.revoke_token_current().await) };
        self.run(Op::REVOKE_TOKEN_CURRENT, self.auth(), &[], call)
            .await?;
        Ok(())
    }

    /// Revokes many tokens through the bulk endpoint (`DELETE /tokens`), in chunks of
    /// [`bulk_chunk_size`](crate::ClientBuilder::bulk_chunk_size). Duplicate ids are revoked once.
    /// After the first chunk, up to
    /// [`revokes_in_flight`](crate::ClientBuilder::revokes_in_flight) chunks are sent at a time
    /// while the hourly budget of non-read requests the answers report exceeds the chunks in
    /// flight (see that setter for the limits of this).
    ///
    /// The report accounts for every distinct id exactly once, in input order: revoked, already
    /// gone, or failed with the reason. When a chunk is refused as a whole (400, 403, 404, 422),
    /// it is halved and each half retried, down to single revokes, to find out which ids
    /// failed. After a 401 or a 429 (once retries and any allowed wait are exhausted), the
    /// remaining ids are reported failed with that error without further requests (chunks already
    /// in flight finish their request).
    ///
    /// "Failed" means "not confirmed revoked": if an attempt's answer was lost (a dropped
    /// connection, a timeout) the server may have acted before a later attempt failed. Revoking
    /// failed ids again is always safe; ids that were in fact revoked come back as already gone.
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let ids: Vec<fastly_tokens::TokenId> = vec!["2j1hEyxXOEqYaSipeZHaW4".parse()?];
    /// let report = client.revoke_tokens(ids).await?;
    /// for (id, why) in report.failed() {
    ///     eprintln!("{id}: {why}");
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// Only when nothing could be attempted (the client has no token); every other failure is
    /// in the report.
    pub async fn revoke_tokens<I>(&self, ids: I) -> Result<BulkRevokeReport, Error>
    where
        I: IntoIterator,
        I::Item: std::borrow::Borrow<TokenId>,
    {
        self.keyed()?;
        Ok(bulk::revoke(self, ids, bulk::Lookup::UserToken).await)
    }

    /// Starts creating a token (`POST /tokens`); finish with
    /// [`send`](CreateTokenBuilder::send). Never retried automatically.
    ///
    /// ```no_run
    /// # async fn run(client: fastly_tokens::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use fastly_tokens::{Credentials, Scope};
    /// use fastly_tokens::secrecy::ExposeSecret; // re-exported: no secrecy dependency needed
    /// let created = client
    ///     .create_token(Credentials::password("me@example.com", "my password"))
    ///     .name("ci-purge")
    ///     .scopes([Scope::PurgeSelect])
    ///     .services(["4aXkQ2mXbV1yQp0tR9sT7e".parse::<fastly_tokens::ServiceId>()?])
    ///     .expires_at(fastly_tokens::chrono::Utc::now() + fastly_tokens::chrono::Duration::days(90))
    ///     .otp("123456")
    ///     .send()
    ///     .await?;
    /// store_somewhere_safe(created.access_token().expose_secret());
    /// # Ok(()) }
    /// # fn store_somewhere_safe(_: &str) {}
    /// ```
    pub fn create_token(&self, credentials: Credentials) -> CreateTokenBuilder<'_> {
        CreateTokenBuilder::new(self, credentials)
    }
}
