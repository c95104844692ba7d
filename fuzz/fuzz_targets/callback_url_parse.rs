#![no_main]
//! Invariants: see `cbspec_protocol::testing::fuzz::callback_url_parse`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cbspec_protocol::testing::fuzz::callback_url_parse(data));
