#![no_main]
//! Invariants: see `cbspec_capture::testing::capture_request`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec_capture::testing::capture_request(data));
