//! Replays every committed fuzz corpus file and crash regression through the
//! same library functions the cargo-fuzz targets call, so findings stay
//! regression tests under plain `cargo test` on stable Rust.

use std::fs;
use std::path::Path;

/// Runs `target` over `fuzz/corpus/<name>/*` and `fuzz/regressions/<name>/*`;
/// returns how many inputs ran.
fn replay(name: &str, target: fn(&[u8])) -> usize {
    let fuzz_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut count = 0;
    for sub in ["corpus", "regressions"] {
        let dir = fuzz_dir.join(sub).join(name);
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("readable corpus directory").path();
            let data = fs::read(&path).expect("readable corpus file");
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

#[test]
fn callback_config_decode_corpus() {
    assert!(
        replay(
            "callback_config_decode",
            cbspec::fuzzing::callback_config_decode
        ) >= 5
    );
}

#[test]
fn callback_var_decode_corpus() {
    assert!(replay("callback_var_decode", cbspec::fuzzing::callback_var_decode) >= 3);
}

#[test]
fn template_expand_corpus() {
    assert!(replay("template_expand", cbspec::fuzzing::template_expand) >= 3);
}

#[test]
fn signature_verify_corpus() {
    assert!(replay("signature_verify", cbspec::fuzzing::signature_verify) >= 3);
}
