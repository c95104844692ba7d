#![no_main]
//! Invariants: see `cbspec_protocol::testing::fuzz::template_structured`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec_protocol::testing::fuzz::template_structured(data));
