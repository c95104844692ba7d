//! Reports of a run: the console, JSON lines, JUnit XML and a
//! self-contained HTML page. Every reporter renders the same [`Summary`]
//! (counts, run info, failures by requirement) and the run's facts, so the
//! reports of one run agree.

pub mod console;
pub mod html;
pub mod json;
pub mod junit;
pub mod matrix;
pub mod summary;

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

pub use console::{ConsoleStyle, Detail};
pub use summary::{RunInfo, Summary};

use crate::runner::{RunFacts, ScenarioResult};
use crate::scenario::Requirement;

/// What goes on standard output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleFormat {
    /// Failures with requirement text and diffs, then a summary.
    Human(ConsoleStyle),
    /// JSON lines: a header, one line per scenario as it finishes, a summary.
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

fn emit(console: &mut impl Write, text: &str) -> Result<(), ReportError> {
    console
        .write_all(text.as_bytes())
        .and_then(|()| console.flush())
        .map_err(ReportError::Console)
}

impl Outputs {
    /// Before the first scenario: the JSON header line (nothing for people).
    pub fn start(&self, console: &mut impl Write, info: &RunInfo) -> Result<(), ReportError> {
        match self.console {
            ConsoleFormat::Json => emit(console, &(json::header_line(info) + "\n")),
            ConsoleFormat::Human(_) => Ok(()),
        }
    }

    /// As each scenario finishes: its JSON line (people get the report at the end).
    pub fn scenario(
        &self,
        console: &mut impl Write,
        result: &ScenarioResult,
    ) -> Result<(), ReportError> {
        match self.console {
            ConsoleFormat::Json => emit(console, &(json::line(result) + "\n")),
            ConsoleFormat::Human(_) => Ok(()),
        }
    }

    /// After the run: the human report or the JSON summary line, then the
    /// report files.
    pub fn finish(
        &self,
        console: &mut impl Write,
        results: &[ScenarioResult],
        requirements: &HashMap<String, Requirement>,
        facts: &RunFacts,
        summary: &Summary,
    ) -> Result<(), ReportError> {
        let text = match self.console {
            ConsoleFormat::Human(style) => {
                console::render(results, requirements, summary, facts, style)
            }
            ConsoleFormat::Json => json::summary_line(summary, facts) + "\n",
        };
        emit(console, &text)?;
        let write_file = |path: &PathBuf, text: String| {
            std::fs::write(path, text).map_err(|source| ReportError::File {
                path: path.clone(),
                source,
            })
        };
        if let Some(path) = &self.junit {
            write_file(path, junit::render(results, self.strict, summary, facts))?;
        }
        if let Some(path) = &self.html {
            let title = format!(
                "cbspec {}: {} scenarios, driver {}",
                summary.info.command, summary.total, summary.info.driver
            );
            write_file(
                path,
                html::render(results, &title, summary, facts, requirements),
            )?;
        }
        Ok(())
    }
}
