#![no_main]
//! Invariants: see `cbspec::fuzzing::diff_sdk_encoders`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec::fuzzing::diff_sdk_encoders(data));
