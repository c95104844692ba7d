#![no_main]
//! Invariants: see `cbspec::fuzzing::diff_form_encoding`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec::fuzzing::diff_form_encoding(data));
