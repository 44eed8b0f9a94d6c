//! The repository README's Rust examples, compiled as doctests so they cannot rot. A crate of
//! its own, unpublished, because the README lives outside every published package.

#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
