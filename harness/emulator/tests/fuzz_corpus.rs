//! Replays the committed corpus and regressions of the `emulator_request`
//! fuzz target through the function it calls.

use std::path::PathBuf;

use cbspec_protocol::testing::fuzz::check_committed_target;

#[test]
fn emulator_request_replays_its_corpus_and_regressions() {
    check_committed_target(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz"),
        "emulator_request",
        "cbspec_emulator::testing::emulator_request",
        cbspec_emulator::testing::emulator_request,
    );
}
