#![no_main]
//! Invariants: see `cbspec_protocol::testing::fuzz::post_policy`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec_protocol::testing::fuzz::post_policy(data));
