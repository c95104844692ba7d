//! Replays every committed fuzz corpus file and crash regression of the
//! pure-core targets through the same functions the cargo-fuzz targets call,
//! and checks the fuzz package's layout for every target.

use std::fs;

use cbspec_protocol::testing::fuzz::{check_committed_target, TARGETS};

use crate::support::fuzz_dir;

#[test]
fn every_core_target_is_fuzzed_as_replayed() {
    for (name, target) in TARGETS {
        let called_as = format!("cbspec_protocol::testing::fuzz::{name}");
        check_committed_target(&fuzz_dir(), name, &called_as, target);
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
