//! The emulator's integration tests, one binary: callbacks, operations and
//! HTTPS callbacks over loopback, the fuzz corpus replayed in process, and
//! `support` for the programmable receiver they share.

mod emulator_breadth;
mod emulator_callbacks;
mod emulator_operations;
mod emulator_tls;
mod fuzz_corpus;
mod hardening;
mod storage;
mod streaming;
mod support;
