//! Reports of a run: the console summary, JSON lines, JUnit XML and a
//! self-contained HTML page. Each writer takes the results and nothing else.

pub mod console;
pub mod html;
pub mod json;
pub mod junit;
pub mod matrix;

use std::collections::BTreeMap;

use crate::runner::{ScenarioResult, Verdict};

/// How many scenarios got each verdict.
pub fn tally(results: &[ScenarioResult]) -> BTreeMap<Verdict, usize> {
    let mut counts = BTreeMap::new();
    for r in results {
        *counts.entry(r.verdict).or_insert(0) += 1;
    }
    counts
}
