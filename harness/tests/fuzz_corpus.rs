//! Replays every committed fuzz corpus file and crash regression through the
//! same library functions the cargo-fuzz targets call, so findings stay
//! regression tests under plain `cargo test` on stable Rust.

use std::fs;
use std::path::Path;

use cbspec::fuzzing::TARGETS;

fn fuzz_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// Runs `target` over `fuzz/corpus/<name>/*` and `fuzz/regressions/<name>/*`;
/// returns how many inputs ran.
fn replay(name: &str, target: fn(&[u8])) -> usize {
    let mut count = 0;
    for sub in ["corpus", "regressions"] {
        let dir = fuzz_dir().join(sub).join(name);
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
fn every_target_replays_its_corpus_and_regressions() {
    for (name, target) in TARGETS {
        let ran = replay(name, target);
        assert!(
            ran >= 2,
            "{name}: only {ran} corpus inputs; commit a seed corpus"
        );
    }
}

#[test]
fn every_target_has_a_fuzz_binary_and_a_dictionary() {
    for (name, _) in TARGETS {
        let source = fs::read_to_string(fuzz_dir().join(format!("fuzz_targets/{name}.rs")))
            .unwrap_or_else(|e| panic!("fuzz/fuzz_targets/{name}.rs: {e}"));
        assert!(
            source.contains("cbspec::fuzzing::"),
            "{name} must call into cbspec::fuzzing"
        );
        assert!(
            fuzz_dir().join(format!("dict/{name}.dict")).is_file(),
            "fuzz/dict/{name}.dict is missing"
        );
    }
    let manifest = fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    assert_eq!(
        manifest.matches("[[bin]]").count(),
        TARGETS.len(),
        "fuzz/Cargo.toml lists every target once"
    );
}
