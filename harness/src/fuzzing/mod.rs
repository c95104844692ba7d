//! Fuzz entry points: each takes raw bytes (decoding structure with
//! `arbitrary` where that helps), runs one part of cbspec, and panics if an
//! invariant breaks — not only on crashes.
//!
//! The cargo-fuzz targets in `fuzz/fuzz_targets/` are one-line calls into
//! these, and `harness/tests/fuzz_corpus.rs` replays the committed corpus and
//! every crash regression through the same functions under plain
//! `cargo test`, so a finding stays a regression test on stable Rust.

mod auth;
mod differential;
mod protocol;
mod servers;

pub use auth::{auth_v1, auth_v4, post_policy};
pub use differential::{diff_callback_json, diff_form_encoding, diff_sdk_encoders};
pub use protocol::{
    callback_config_decode, callback_url_parse, callback_var_decode, signature_verify,
    string_to_sign_parts, template_expand, template_structured,
};
pub use servers::{capture_request, emulator_request};

/// A fuzz entry point.
pub type FuzzTarget = fn(&[u8]);

/// Every target, by name: what `fuzz/fuzz_targets/<name>.rs` calls.
pub const TARGETS: [(&str, FuzzTarget); 15] = [
    ("callback_config_decode", callback_config_decode),
    ("callback_var_decode", callback_var_decode),
    ("callback_url_parse", callback_url_parse),
    ("template_expand", template_expand),
    ("template_structured", template_structured),
    ("signature_verify", signature_verify),
    ("string_to_sign", string_to_sign_parts),
    ("auth_v1", auth_v1),
    ("auth_v4", auth_v4),
    ("post_policy", post_policy),
    ("emulator_request", emulator_request),
    ("capture_request", capture_request),
    ("diff_callback_json", diff_callback_json),
    ("diff_form_encoding", diff_form_encoding),
    ("diff_sdk_encoders", diff_sdk_encoders),
];
