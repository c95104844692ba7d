//! Reports of a run: the console summary, JSON lines, JUnit XML and a
//! self-contained HTML page. Each writer takes the results and the run's
//! facts (what the capture server received, transport errors, preflight).

pub mod console;
pub mod html;
pub mod json;
pub mod junit;
pub mod matrix;

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;

use crate::runner::{RunFacts, ScenarioResult, Verdict};
use crate::scenario::Requirement;

/// What goes on standard output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleFormat {
    /// Failures with requirement text, diffs and transcripts, then a summary.
    Human,
    /// One JSON object per scenario per line.
    Json,
}

/// Every report a run writes.
#[derive(Debug, Clone)]
pub struct Outputs {
    /// The console format.
    pub console: ConsoleFormat,
    /// Whether non-strict results count as failures.
    pub strict: bool,
    /// Where to write JUnit XML, if anywhere.
    pub junit: Option<PathBuf>,
    /// Where to write the HTML report, if anywhere.
    pub html: Option<PathBuf>,
}

/// A report that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Standard output is gone.
    #[error("cannot write the console report: {0}")]
    Console(std::io::Error),
    /// A report file.
    #[error("cannot write {}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl Outputs {
    /// Writes the console report to `console` and the report files.
    pub fn write(
        &self,
        console: &mut impl Write,
        results: &[ScenarioResult],
        requirements: &HashMap<String, Requirement>,
        facts: &RunFacts,
    ) -> Result<(), ReportError> {
        let text = match self.console {
            ConsoleFormat::Human => console::render(results, requirements, self.strict, facts),
            ConsoleFormat::Json => {
                let mut text: String = results.iter().map(|r| json::line(r) + "\n").collect();
                text.push_str(&json::run_line(facts));
                text.push('\n');
                text
            }
        };
        console
            .write_all(text.as_bytes())
            .and_then(|()| console.flush())
            .map_err(ReportError::Console)?;
        let write_file = |path: &PathBuf, text: String| {
            std::fs::write(path, text).map_err(|source| ReportError::File {
                path: path.clone(),
                source,
            })
        };
        if let Some(path) = &self.junit {
            write_file(path, junit::render(results, self.strict, facts))?;
        }
        if let Some(path) = &self.html {
            let title = format!("cbspec run: {} scenarios", results.len());
            write_file(path, html::render(results, &title, facts))?;
        }
        Ok(())
    }
}

/// How many scenarios got each verdict.
pub fn tally(results: &[ScenarioResult]) -> BTreeMap<Verdict, usize> {
    let mut counts = BTreeMap::new();
    for r in results {
        *counts.entry(r.verdict).or_insert(0) += 1;
    }
    counts
}
