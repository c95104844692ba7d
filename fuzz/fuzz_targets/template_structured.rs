#![no_main]
//! Invariants: see `cbspec::fuzzing::template_structured`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec::fuzzing::template_structured(data));
