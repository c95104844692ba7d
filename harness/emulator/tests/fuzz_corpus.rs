//! Replays the committed corpus and regressions of the `emulator_request`
//! fuzz target through the function it calls.

use std::path::PathBuf;

use cbspec_protocol::testing::fuzz::replay_corpus;

#[test]
fn emulator_request_replays_its_corpus_and_regressions() {
    let fuzz_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let source =
        std::fs::read_to_string(fuzz_dir.join("fuzz_targets/emulator_request.rs")).unwrap();
    assert!(source.contains("cbspec_emulator::testing::emulator_request"));
    let ran = replay_corpus(
        &fuzz_dir,
        "emulator_request",
        cbspec_emulator::testing::emulator_request,
    );
    assert!(ran >= 2, "only {ran} corpus inputs; commit a seed corpus");
}
