#![no_main]
//! Invariants: see `cbspec::fuzzing::emulator_request`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec::fuzzing::emulator_request(data));
