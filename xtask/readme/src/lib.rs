//! The repository README's Rust examples, compiled as doctests so they cannot rot. A crate of
//! its own, unpublished, because the README lives outside every published package.

#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

/// Every example of the `fastly-tokens` API docs (collected by `build.rs`), compiled with only
/// `fastly-tokens`, `fastly-tokens-fake` and `tokio`, as a user's project would.
#[cfg(doctest)]
#[doc = include_str!(concat!(env!("OUT_DIR"), "/api-examples.md"))]
struct ApiDoctests;
