#![no_main]
//! Invariants: see `cbspec_protocol::testing::fuzz::auth_v1`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec_protocol::testing::fuzz::auth_v1(data));
