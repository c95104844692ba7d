//! `--format json`: one JSON object per scenario per line.

use serde_json::json;

use crate::runner::ScenarioResult;

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
        })).collect::<Vec<_>>(),
    })
    .to_string()
}
