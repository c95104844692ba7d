//! What the protocol tests share: a fixed clock, the test key pair and its
//! secret lookups, Base64, the fuzz package's directory and two callback
//! parameters to sign.

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use cbspec_protocol::auth::{Credentials, ServerView};

/// `{"callbackUrl":"http://cb.example.test:9000/notify","callbackBody":"bucket=${bucket}"}`.
pub const CALLBACK: &str = "eyJjYWxsYmFja1VybCI6Imh0dHA6Ly9jYi5leGFtcGxlLnRlc3Q6OTAwMC9ub3RpZnkiLCJjYWxsYmFja0JvZHkiOiJidWNrZXQ9JHtidWNrZXR9In0=";
/// `{"callbackUrl":"http://evil.example.test/","callbackBody":"x"}`.
pub const OTHER_CALLBACK: &str =
    "eyJjYWxsYmFja1VybCI6Imh0dHA6Ly9ldmlsLmV4YW1wbGUudGVzdC8iLCJjYWxsYmFja0JvZHkiOiJ4In0=";

/// A moment given as Unix seconds.
pub fn at(unix_seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(unix_seconds)
}

/// The tests' fixed "now": 2026-11-22T05:38:01Z.
pub fn now() -> SystemTime {
    at(1_795_325_881)
}

/// The verifying server at [`now`], in cn-hangzhou.
pub fn server() -> ServerView<'static> {
    ServerView {
        now: now(),
        region: "cn-hangzhou",
    }
}

/// The test key pair.
pub fn credentials() -> Credentials {
    Credentials::new("test-ak", "test-secret")
}

/// The verifier's secret lookup for [`credentials`].
pub fn secrets(access_key_id: &str) -> Option<String> {
    (access_key_id == "test-ak").then(|| "test-secret".to_owned())
}

/// A lookup that knows the key id but holds another secret.
pub fn wrong_secrets(access_key_id: &str) -> Option<String> {
    (access_key_id == "test-ak").then(|| "another-secret".to_owned())
}

/// Standard padded Base64.
pub fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// The repository's `fuzz/` directory.
pub fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}
