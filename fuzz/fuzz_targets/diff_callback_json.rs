#![no_main]
//! Invariants: see `cbspec::fuzzing::diff_callback_json`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec::fuzzing::diff_callback_json(data));
