#![no_main]
//! Invariants: see `cbspec::fuzzing::string_to_sign_parts`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec::fuzzing::string_to_sign_parts(data));
