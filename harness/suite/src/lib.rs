//! The conformance suite: the scenario model and loader, the runner that
//! drives an endpoint through a driver and judges what it observed, and the
//! reports (console, JSON lines, JUnit, HTML, the conformance matrix).
//!
//! It judges every endpoint (the embedded emulator included) over HTTP, so it
//! depends on the emulator only to start one, never to look inside it.

pub mod probe;
pub mod profile;
pub mod report;
pub mod runner;
pub mod scenario;
