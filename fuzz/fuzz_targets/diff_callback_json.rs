#![no_main]
//! Invariants: see `cbspec_protocol::testing::fuzz::diff_callback_json`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec_protocol::testing::fuzz::diff_callback_json(data));
