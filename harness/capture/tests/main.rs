//! The capture server's integration tests, one binary: recording, answers,
//! HTTPS with SNI and signature verdicts over loopback, and the fuzz corpus
//! replayed in process.

mod capture_server;
mod fuzz_corpus;
