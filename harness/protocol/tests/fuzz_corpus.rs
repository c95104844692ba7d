//! Replays every committed fuzz corpus file and crash regression of the
//! pure-core targets through the same functions the cargo-fuzz targets call,
//! and checks the fuzz package's layout for every target.

use std::fs;

use cbspec_protocol::testing::fuzz::{replay_corpus, TARGETS};

use crate::support::fuzz_dir;

#[test]
fn every_core_target_replays_its_corpus_and_regressions() {
    for (name, target) in TARGETS {
        let ran = replay_corpus(&fuzz_dir(), name, target);
        assert!(
            ran >= 2,
            "{name}: only {ran} corpus inputs; commit a seed corpus"
        );
    }
}

#[test]
fn every_core_target_has_a_fuzz_binary_calling_this_crate() {
    for (name, _) in TARGETS {
        let source = fs::read_to_string(fuzz_dir().join(format!("fuzz_targets/{name}.rs")))
            .unwrap_or_else(|e| panic!("fuzz/fuzz_targets/{name}.rs: {e}"));
        assert!(
            source.contains(&format!("cbspec_protocol::testing::fuzz::{name}")),
            "fuzz/fuzz_targets/{name}.rs must call cbspec_protocol::testing::fuzz::{name}"
        );
    }
}

/// Every target file (the server ones included) is a `[[bin]]` of the fuzz
/// package and has a dictionary and a seed corpus.
#[test]
fn every_fuzz_target_file_is_listed_with_a_dictionary_and_corpus() {
    let manifest = fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    let mut files = 0;
    for entry in fs::read_dir(fuzz_dir().join("fuzz_targets")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        files += 1;
        assert!(
            manifest.contains(&format!("path = \"fuzz_targets/{name}.rs\"")),
            "fuzz/Cargo.toml has no [[bin]] for {name}"
        );
        assert!(
            fuzz_dir().join(format!("dict/{name}.dict")).is_file(),
            "fuzz/dict/{name}.dict is missing"
        );
        assert!(
            fuzz_dir().join(format!("corpus/{name}")).is_dir(),
            "fuzz/corpus/{name}/ is missing"
        );
    }
    assert_eq!(
        manifest.matches("[[bin]]").count(),
        files,
        "fuzz/Cargo.toml lists every target file once"
    );
    // The 13 pure-core targets plus the emulator's and the capture server's.
    assert_eq!(files, TARGETS.len() + 2);
}
