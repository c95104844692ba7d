//! Fuzz entry points: each takes raw bytes (decoding structure with
//! `arbitrary` where that helps), runs one part of cbspec, and panics if an
//! invariant breaks — not only on crashes.
//!
//! These are the targets that need only the pure core; the two server
//! targets live beside their servers (`cbspec_emulator::testing`,
//! `cbspec_capture::testing`). The cargo-fuzz targets in `fuzz/fuzz_targets/`
//! are one-line calls into these, and each crate's tests replay the committed
//! corpus and every crash regression through the same functions under plain
//! `cargo test`, so a finding stays a regression test on stable Rust.

mod auth;
mod differential;
mod protocol;

pub use auth::{auth_v1, auth_v4, post_policy};
pub use differential::{diff_callback_json, diff_form_encoding, diff_sdk_encoders};
pub use protocol::{
    callback_config_decode, callback_url_parse, callback_var_decode, signature_verify,
    string_to_sign_parts, template_expand, template_structured,
};

/// A fuzz entry point.
pub type FuzzTarget = fn(&[u8]);

/// Every pure-core target, by name: what `fuzz/fuzz_targets/<name>.rs` calls.
pub const TARGETS: [(&str, FuzzTarget); 13] = [
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
    ("diff_callback_json", diff_callback_json),
    ("diff_form_encoding", diff_form_encoding),
    ("diff_sdk_encoders", diff_sdk_encoders),
];

/// Runs `target` over every committed input for it, `fuzz/corpus/<name>/*`
/// and `fuzz/regressions/<name>/*` under `fuzz_dir`, and returns how many
/// ran; panics naming the input that broke an invariant. The crates' tests
/// call it so a campaign's findings stay regression tests on stable Rust.
///
/// (It reads files, unlike the rest of this crate: it is test support, only
/// compiled with the `testing` feature.)
pub fn replay_corpus(fuzz_dir: &std::path::Path, name: &str, target: FuzzTarget) -> usize {
    let mut count = 0;
    for sub in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz_dir.join(sub).join(name)) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("readable corpus directory").path();
            let data = std::fs::read(&path).expect("readable corpus file");
            // Name the input on failure: the panic message alone is not enough.
            let result = std::panic::catch_unwind(|| target(&data));
            assert!(
                result.is_ok(),
                "fuzz input {} broke an invariant",
                path.display()
            );
            count += 1;
        }
    }
    count
}

/// The checks every crate's fuzz-corpus test makes for one of its targets:
/// `fuzz/fuzz_targets/<name>.rs` calls `called_as` (so the binary fuzzes
/// the function the test replays), and the committed inputs (at least two
/// seeds) all replay without breaking an invariant.
pub fn check_committed_target(
    fuzz_dir: &std::path::Path,
    name: &str,
    called_as: &str,
    target: FuzzTarget,
) {
    let file = fuzz_dir.join(format!("fuzz_targets/{name}.rs"));
    let source =
        std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    assert!(
        source.contains(called_as),
        "{} must call {called_as}",
        file.display()
    );
    let ran = replay_corpus(fuzz_dir, name, target);
    assert!(
        ran >= 2,
        "{name}: only {ran} corpus inputs; commit a seed corpus"
    );
}
