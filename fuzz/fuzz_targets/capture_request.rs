#![no_main]
//! Invariants: see `cbspec::fuzzing::capture_request`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec::fuzzing::capture_request(data));
