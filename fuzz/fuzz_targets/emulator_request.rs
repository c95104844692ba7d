#![no_main]
//! Invariants: see `cbspec_emulator::testing::emulator_request`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec_emulator::testing::emulator_request(data));
