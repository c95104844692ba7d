//! The protocol crate's integration tests, one binary (ripgrep's
//! `autotests = false` pattern): each module is one concern, and `support`
//! holds what they share.

mod auth_post_policy;
mod auth_roundtrip;
mod auth_vectors;
mod error_snapshots;
mod fuzz_corpus;
mod properties;
mod published_vectors;
mod security_properties;
mod signature_vectors;
mod support;
