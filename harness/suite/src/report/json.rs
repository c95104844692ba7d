//! `--format json`: one JSON object per scenario per line.

use serde_json::json;

use crate::runner::{RunFacts, ScenarioResult};

/// One line for one scenario: `id`, `verdict`, `requirements`,
/// `duration_ms`, `message`, plus the mismatches and where it is defined.
pub fn line(result: &ScenarioResult) -> String {
    json!({
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

/// The last line: the run's facts, under a `run` key so that a reader of
/// scenario lines can tell it apart (it has no `id`).
pub fn run_line(facts: &RunFacts) -> String {
    json!({ "run": facts, "warnings": facts.warnings() }).to_string()
}
