//! The engine every operation runs on: [`Client`], its shared state, and [`Client::run`]
//! (retries, the operation timeout, rate-limit bookkeeping, the tracing span, and scrubbing of
//! the call's secrets from server text). The operations themselves are `impl Client` blocks by
//! family ([`crate::tokens`]); nothing here knows about any of them.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};

use crate::answer::{self, RawError};
use crate::error::{ConfigError, Error, Timeout, TransportError, TransportKind};
use crate::http::{Auth, HttpConfig, http_client};
use crate::op::Op;
use crate::ratelimit::RateLimit;
use crate::retry::{Decision, RetryPolicy};

/// A client for Fastly's `/tokens` API.
///
/// Cheap to clone (an `Arc`), `Send + Sync`; every call takes `&self`, so one client serves
/// many concurrent tasks. See the [crate docs](crate) for an example.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    /// Sends `Fastly-Key`; `None` when the builder had no token.
    pub(crate) keyed: Option<fastly_tokens_raw::Client>,
    /// Sends no key: `create_token` with a password. Built on first use: each reqwest client
    /// loads the TLS root store (measured: ~20 M instructions), and most programs never create.
    pub(crate) anonymous: std::sync::OnceLock<Result<fastly_tokens_raw::Client, ConfigError>>,
    pub(crate) http_config: HttpConfig,
    pub(crate) operation_timeout: Duration,
    /// The key, kept to scrub it from any server-provided text (an echoing server).
    pub(crate) key: Option<SecretString>,
    pub(crate) auth: Auth,
    pub(crate) retry: RetryPolicy,
    pub(crate) bulk_chunk_size: usize,
    pub(crate) pages_in_flight: usize,
    pub(crate) revokes_in_flight: usize,
    pub(crate) last_rate_limit: Mutex<Option<RateLimit>>,
    /// End of the sudo window this client last entered (`POST /sudo`).
    pub(crate) sudo_until: Mutex<Option<chrono::DateTime<chrono::Utc>>>,
    pub(crate) base_url: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Hand-written: the key lives inside reqwest's default headers; show only safe facts.
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("has_token", &self.inner.keyed.is_some())
            .field("retry", &self.inner.retry)
            .field("attempt_timeout", &self.inner.http_config.timeout)
            .field("operation_timeout", &self.inner.operation_timeout)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The rate-limit headers of the most recent response that carried them (only non-read
    /// requests do). Malformed headers are ignored.
    pub fn last_rate_limit(&self) -> Option<RateLimit> {
        *self
            .inner
            .last_rate_limit
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn keyed(&self) -> Result<&fastly_tokens_raw::Client, Error> {
        self.inner.keyed.as_ref().ok_or_else(|| {
            ConfigError::new(
                "this client has no API token, and only a create with a user name and password \
                 works without one",
            )
            .into()
        })
    }

    pub(crate) fn anonymous(&self) -> Result<&fastly_tokens_raw::Client, Error> {
        self.inner
            .anonymous
            .get_or_init(|| {
                http_client(None, &self.inner.http_config).map(|http| {
                    fastly_tokens_raw::Client::new_with_client(&self.inner.base_url, http)
                })
            })
            .as_ref()
            .map_err(|e| Error::Config(e.clone()))
    }

    /// Remembers the end of a sudo window entered with this client.
    pub(crate) fn record_sudo(&self, until: chrono::DateTime<chrono::Utc>) {
        *self
            .inner
            .sudo_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(until);
    }

    /// The end of the sudo window this client last entered, if any.
    pub(crate) fn sudo_until(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        *self
            .inner
            .sudo_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn bulk_chunk_size(&self) -> usize {
        self.inner.bulk_chunk_size
    }

    fn record_rate_limit(&self, rate_limit: Option<RateLimit>) {
        if let Some(rl) = rate_limit {
            *self
                .inner
                .last_rate_limit
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(rl);
        }
    }

    /// How this client authenticates keyed calls (for error hints).
    pub(crate) fn auth(&self) -> Auth {
        self.inner.auth
    }

    fn limits(&self) -> answer::Limits {
        answer::Limits {
            connect: self.inner.http_config.connect_timeout,
            attempt: self.inner.http_config.timeout,
        }
    }

    /// Runs one operation with retries, rate-limit bookkeeping, the operation timeout and a
    /// tracing span. `extra_secrets` (a password, an OTP) are scrubbed from any
    /// server-provided text of the error, like the key.
    pub(crate) async fn run<T, F, Fut>(
        &self,
        op: Op,
        auth: Auth,
        extra_secrets: &[&str],
        mut call: F,
    ) -> Result<fastly_tokens_raw::ResponseValue<T>, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<fastly_tokens_raw::ResponseValue<T>, RawError>>,
    {
        let span = crate::trace::call_span(op.operation.id());
        let started = Instant::now();
        let mut attempt: u32 = 0;
        let attempts = async {
            loop {
                attempt += 1;
                let result = call().await;
                let elapsed_ms = started.elapsed().as_millis() as u64;
                let mut error = match result {
                    Ok(value) => {
                        if op.rate_limited {
                            self.record_rate_limit(RateLimit::from_headers(value.headers()));
                        }
                        let status = value.status().as_u16();
                        crate::trace::progress(&span, attempt, elapsed_ms, Some(status));
                        debug!(attempt, status, "succeeded");
                        return Ok(value);
                    }
                    Err(raw) => answer::error(op, auth, raw, self.limits(), attempt).await,
                };
                self.scrub(&mut error, extra_secrets);
                self.record_rate_limit(error.rate_limit().copied());
                crate::trace::progress(&span, attempt, elapsed_ms, error.status());
                match self.inner.retry.decide(&error, op.retry, attempt) {
                    Decision::Backoff(delay) | Decision::WaitForReset(delay) => {
                        debug!(attempt, ?delay, error = %error, "retrying");
                        tokio::time::sleep(delay).await;
                    }
                    Decision::GiveUp => {
                        debug!(attempt, error = %error, "failed");
                        return Err(error);
                    }
                }
            }
        };
        let limit = self.inner.operation_timeout;
        let result =
            tokio::time::timeout(limit, crate::trace::within(attempts, span.clone())).await;
        match result {
            Ok(done) => done,
            Err(_elapsed) => {
                let error = Error::Transport(TransportError {
                    operation: op.operation,
                    kind: TransportKind::Timeout,
                    timeout: Some(Timeout::Operation(limit)),
                    attempts: attempt,
                    source: None,
                });
                #[cfg(feature = "tracing")]
                span.in_scope(|| debug!(attempt, error = %error, "operation timeout"));
                Err(error)
            }
        }
    }

    /// Replaces any secret this call sent that a server reflected into its error text.
    fn scrub(&self, error: &mut Error, extra: &[&str]) {
        let key = self.inner.key.as_ref().map(|k| k.expose_secret());
        let plain: Vec<&str> = key
            .into_iter()
            .chain(extra.iter().copied())
            .filter(|s| s.len() >= 4)
            .collect();
        // A form body carries them percent-encoded; an echo of it would too.
        let encoded: Vec<String> = plain
            .iter()
            .map(|s| url::form_urlencoded::byte_serialize(s.as_bytes()).collect())
            .collect();
        let secrets: Vec<&str> = plain
            .iter()
            .copied()
            .chain(encoded.iter().map(String::as_str))
            .collect();
        error.scrub(&secrets);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_send_sync_clone() {
        fn assert_traits<T: Send + Sync + Clone + 'static>() {}
        assert_traits::<Client>();
    }

    #[test]
    fn every_operation_reads_rate_limit_headers_exactly_where_the_spec_declares_them() {
        use fastly_tokens_raw::operation_ids::{ALL, RATE_LIMITED};
        let ops = [
            Op::BULK_REVOKE_TOKENS,
            Op::CREATE_AUTOMATION_TOKEN,
            Op::CREATE_TOKEN,
            Op::ENTER_SUDO,
            Op::GET_AUTOMATION_TOKEN,
            Op::GET_TOKEN,
            Op::GET_TOKEN_CURRENT,
            Op::LIST_AUTOMATION_TOKENS,
            Op::LIST_AUTOMATION_TOKEN_SERVICES,
            Op::LIST_TOKENS_CUSTOMER,
            Op::LIST_TOKENS_USER,
            Op::REVOKE_TOKEN,
            Op::REVOKE_TOKEN_CURRENT,
        ];
        let mut ids: Vec<&str> = ops.iter().map(|op| op.operation.id()).collect();
        ids.sort_unstable();
        assert_eq!(ids, ALL, "an operation of the spec has no `Op` here");
        for op in ops {
            let id = op.operation.id();
            assert_eq!(op.rate_limited, RATE_LIMITED.contains(&id), "{id}");
        }
    }

    #[test]
    fn debug_shows_no_token() {
        let client = Client::new("super-secret-key-value").expect("valid");
        let shown = format!("{client:?}");
        assert!(!shown.contains("super-secret-key-value"), "{shown}");
        assert!(shown.contains("has_token: true"));
    }
}
