#![no_main]
//! Invariants: see `cbspec::fuzzing::auth_v1`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec::fuzzing::auth_v1(data));
