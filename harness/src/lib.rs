//! cbspec: a conformance test harness and fuzzing suite for Alibaba Cloud OSS
//! upload callbacks.
//!
//! The [`protocol`] module is the pure core: no I/O, no async, no globals.
//! Everything that talks to the network builds on it.

pub mod protocol;
pub mod report;
pub mod runner;
pub mod scenario;

pub mod capture;
pub mod cli;
pub mod client;
pub mod emulator;

pub mod fuzzing;
pub mod generators;
