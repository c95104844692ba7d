#![no_main]
//! Invariants: see `cbspec_protocol::testing::fuzz::signature_verify`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec_protocol::testing::fuzz::signature_verify(data));
