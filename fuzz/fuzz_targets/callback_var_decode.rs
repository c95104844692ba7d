#![no_main]
//! Invariants: see `cbspec::fuzzing::callback_var_decode`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec::fuzzing::callback_var_decode(data));
