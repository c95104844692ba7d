#![no_main]
//! Invariants: see `cbspec::fuzzing::signature_verify`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec::fuzzing::signature_verify(data));
