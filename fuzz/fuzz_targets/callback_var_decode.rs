#![no_main]
//! Invariants: see `cbspec_protocol::testing::fuzz::callback_var_decode`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec_protocol::testing::fuzz::callback_var_decode(data));
