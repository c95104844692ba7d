#![no_main]
//! Invariants: see `cbspec::fuzzing::post_policy`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec::fuzzing::post_policy(data));
