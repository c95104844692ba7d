//! What the command-line tests share: running the real `cbspec` binary and
//! reading what it printed.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

use base64::Engine;

/// The repository root (`harness/cli/../..`).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `cbspec ARGS` in the package directory, as a user outside the
/// repository root would.
pub fn cbspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cbspec"))
        .args(args)
        .output()
        .expect("the cbspec binary runs")
}

/// Runs `cbspec ARGS` from the repository root (where `spec/` and
/// `scenarios/` are found by default) with `env` set and no OSS credentials
/// inherited from the caller's environment.
pub fn cbspec_in_root(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cbspec"))
        .current_dir(root())
        .args(args)
        .env_remove("OSS_ACCESS_KEY_ID")
        .env_remove("OSS_ACCESS_KEY_SECRET")
        .envs(env.iter().copied())
        .output()
        .expect("the cbspec binary runs")
}

/// Standard output as UTF-8 (panics on anything else: cbspec prints UTF-8).
pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// Standard error as UTF-8.
pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Bytes as text, lossily (for failure messages and loose matching).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Standard padded Base64.
pub fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}
