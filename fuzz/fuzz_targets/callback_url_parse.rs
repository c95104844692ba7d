#![no_main]
//! Invariants: see `cbspec::fuzzing::callback_url_parse`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec::fuzzing::callback_url_parse(data));
