//! Replays the committed corpus and regressions of the `capture_request`
//! fuzz target through the function it calls.

use std::path::PathBuf;

use cbspec_protocol::testing::fuzz::check_committed_target;

#[test]
fn capture_request_replays_its_corpus_and_regressions() {
    check_committed_target(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz"),
        "capture_request",
        "cbspec_capture::testing::capture_request",
        cbspec_capture::testing::capture_request,
    );
}
