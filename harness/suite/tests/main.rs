//! The suite crate's integration tests, one binary: the scenario loader, the
//! driver protocol against misbehaving adapters, SDK judging and requirement
//! traceability. The scenarios themselves run in `tests/scenarios.rs`, one
//! test case each.

mod attribution;
mod driver_adapters;
mod scenario_files;
mod sdk_judging;
mod spec_ids;
mod support;
