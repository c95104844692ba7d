#![no_main]
//! Invariants: see `cbspec_protocol::testing::fuzz::diff_form_encoding`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec_protocol::testing::fuzz::diff_form_encoding(data));
