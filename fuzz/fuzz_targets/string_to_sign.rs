#![no_main]
//! Invariants: see `cbspec_protocol::testing::fuzz::string_to_sign_parts`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec_protocol::testing::fuzz::string_to_sign_parts(data));
