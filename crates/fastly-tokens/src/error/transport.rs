//! [`TransportError`]: the request did not complete, and which limit ended it.

use std::time::Duration;

use crate::op::Operation;

/// What kind of transport failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// Could not connect (refused, unreachable, DNS, TLS handshake).
    Connect,
    /// A limit elapsed: see [`TransportError::timeout`] for which one.
    Timeout,
    /// The connection broke while sending the request or reading the response.
    Interrupted,
}

/// Which time limit ended a call. Set with
/// [`ClientBuilder::connect_timeout`](crate::ClientBuilder::connect_timeout),
/// [`attempt_timeout`](crate::ClientBuilder::attempt_timeout) and
/// [`operation_timeout`](crate::ClientBuilder::operation_timeout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Timeout {
    /// Connecting (TCP and TLS) took longer than this.
    Connect(Duration),
    /// One attempt (connecting, sending, the whole answer) took longer than this; every retry
    /// did too.
    Attempt(Duration),
    /// The whole call, retries and backoff included, took longer than this.
    Operation(Duration),
}

/// The request did not complete.
#[derive(Debug, thiserror::Error)]
#[error("{} failed: {}", self.operation.method(), self.describe())]
#[non_exhaustive]
pub struct TransportError {
    pub(crate) operation: Operation,
    pub(crate) kind: TransportKind,
    pub(crate) timeout: Option<Timeout>,
    pub(crate) attempts: u32,
    #[source]
    pub(crate) source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    /// The kind of failure.
    pub fn kind(&self) -> TransportKind {
        self.kind
    }
    /// The operation that failed.
    pub fn operation(&self) -> Operation {
        self.operation
    }
    /// The limit that ended the call, for a timeout.
    pub fn timeout(&self) -> Option<Timeout> {
        self.timeout
    }
    /// HTTP attempts made (1 when the call is never retried).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
    fn describe(&self) -> String {
        let tries = match self.attempts {
            0 | 1 => String::new(),
            n => format!(" ({n} attempts)"),
        };
        let mut text = match (self.kind, self.timeout) {
            (TransportKind::Timeout, Some(Timeout::Operation(t))) => format!(
                "the call did not finish within its operation timeout of {t:?}{tries}; check the network, or raise the operation timeout"
            ),
            (TransportKind::Timeout, Some(Timeout::Connect(t))) => format!(
                "could not connect within the connect timeout of {t:?}{tries}; check the base URL, proxy and network"
            ),
            (TransportKind::Timeout, Some(Timeout::Attempt(t))) => format!(
                "no complete answer within the attempt timeout of {t:?}{tries}; check the network, or raise the attempt timeout"
            ),
            (TransportKind::Timeout, None) => format!("timed out{tries}; check the network"),
            (TransportKind::Connect, _) => format!(
                "could not connect to the API{tries}; check the base URL, proxy and network"
            ),
            (TransportKind::Interrupted, _) if self.operation.creates() => {
                format!("the connection broke before the answer was complete{tries}")
            }
            (TransportKind::Interrupted, _) => {
                format!("the connection broke before the answer was complete{tries}; retry")
            }
        };
        if self.operation.creates()
            && self.kind != TransportKind::Connect
            && !matches!(self.timeout, Some(Timeout::Connect(_)))
        {
            text.push_str(
                "; the request may have reached Fastly and created the token: list the tokens and revoke any you do not recognise",
            );
        }
        text
    }
}
