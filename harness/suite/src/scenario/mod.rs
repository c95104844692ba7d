//! Scenarios: the model of a scripted upload and its expectations, and the
//! loader that reads `scenarios/*.toml` with file:line errors.

pub mod loader;
pub mod model;

pub use loader::{
    covered_requirements, load_dir, read_requirements, Level, LoadError, LoadErrors,
    LoadedScenario, Requirement, SpecError,
};
pub use model::*;
