//! `--format json`: JSON lines, written as the run goes. The first line is
//! the header (`"type":"header"`: what runs), then one `"type":"scenario"`
//! line per scenario as each finishes (completion order, not file order),
//! then the `"type":"summary"` line with the counts, the failing
//! requirements and the run's facts.

use serde_json::json;

use super::summary::{RunInfo, Summary};
use crate::runner::{RunFacts, ScenarioResult};

/// The header line.
pub fn header_line(info: &RunInfo) -> String {
    json!({ "type": "header", "run": info }).to_string()
}

/// One line for one scenario: `id`, `verdict`, `requirements`,
/// `duration_ms`, `message`, the mismatches (each with its requirement and
/// level), any transport error, and where the scenario is defined.
pub fn line(result: &ScenarioResult) -> String {
    json!({
        "type": "scenario",
        "id": result.id,
        "verdict": result.verdict.word(),
        "requirements": result.requirements,
        "duration_ms": result.duration.as_millis() as u64,
        "message": result.message,
        "operation": result.operation,
        "body_type": result.body_type,
        "location": result.location,
        "mismatches": result.mismatches.iter().map(|m| json!({
            "what": m.what, "expected": m.expected, "observed": m.observed,
            "requirement": m.requirement, "level": m.level.map(|l| l.word()),
            "recorded_only": m.unknowable,
        })).collect::<Vec<_>>(),
        "transport_error": result.transport_failure.as_ref().map(|f| json!({
            "cause": f.cause.map_or("driver", |c| c.word()), "message": f.message,
        })),
    })
    .to_string()
}

/// The last line.
pub fn summary_line(summary: &Summary, facts: &RunFacts) -> String {
    json!({
        "type": "summary",
        "summary": summary,
        "closing_line": summary.closing_line(),
        "run": facts,
        "warnings": facts.warnings(),
    })
    .to_string()
}
