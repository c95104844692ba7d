//! Shared test material behind the `testing` feature: generators written
//! once for property tests and fuzz targets alike, and the fuzz entry points
//! themselves. Optional, so a receiver author who wants only the verifier
//! does not compile proptest and arbitrary.

pub mod fuzz;
pub mod generators;
