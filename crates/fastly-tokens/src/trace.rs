//! Logging through `tracing` when the `tracing` feature is on (the default), and nothing at
//! all when it is off: the macros below expand to nothing, so neither the events nor their
//! formatting are in the binary. Every call site writes `debug!`/`warn!` as with `tracing`.

#[cfg(feature = "tracing")]
macro_rules! debug {
    ($($arg:tt)*) => { ::tracing::debug!($($arg)*) };
}

#[cfg(not(feature = "tracing"))]
macro_rules! debug {
    ($($arg:tt)*) => {{}};
}

#[cfg(feature = "tracing")]
macro_rules! warn {
    ($($arg:tt)*) => { ::tracing::warn!($($arg)*) };
}

#[cfg(not(feature = "tracing"))]
macro_rules! warn {
    ($($arg:tt)*) => {{}};
}

/// The span of one call, or nothing.
#[cfg(feature = "tracing")]
pub(crate) type Span = tracing::Span;

/// Without the `tracing` feature: a span that records nothing.
#[cfg(not(feature = "tracing"))]
#[derive(Clone)]
pub(crate) struct Span;

/// The span of one call to `operation`, its fields filled in as the call goes.
#[cfg(feature = "tracing")]
pub(crate) fn call_span(operation: &'static str) -> Span {
    tracing::debug_span!(
        "fastly_tokens",
        operation,
        attempts = tracing::field::Empty,
        status = tracing::field::Empty,
        elapsed_ms = tracing::field::Empty,
    )
}

#[cfg(not(feature = "tracing"))]
pub(crate) fn call_span(_operation: &'static str) -> Span {
    Span
}

/// Records the call's progress on its span.
#[cfg(feature = "tracing")]
pub(crate) fn progress(span: &Span, attempts: u32, elapsed_ms: u64, status: Option<u16>) {
    span.record("attempts", attempts);
    span.record("elapsed_ms", elapsed_ms);
    if let Some(status) = status {
        span.record("status", status);
    }
}

#[cfg(not(feature = "tracing"))]
pub(crate) fn progress(_span: &Span, _attempts: u32, _elapsed_ms: u64, _status: Option<u16>) {}

/// `work`, inside `span`.
#[cfg(feature = "tracing")]
pub(crate) fn within<F: std::future::Future>(
    work: F,
    span: Span,
) -> tracing::instrument::Instrumented<F> {
    tracing::Instrument::instrument(work, span)
}

#[cfg(not(feature = "tracing"))]
pub(crate) fn within<F: std::future::Future>(work: F, _span: Span) -> F {
    work
}
