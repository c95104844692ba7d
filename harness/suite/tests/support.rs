//! What the suite crate's tests share: the repository root they read the
//! spec, scenarios and drivers from, and Base64.

#![allow(dead_code)]

use std::path::PathBuf;

use base64::Engine;

/// The repository root (`harness/suite/../..`).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Standard padded Base64.
pub fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}
