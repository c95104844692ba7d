//! The human report: one line per scenario that needs attention, each
//! failure with the requirement text, expected vs observed and the wire
//! transcript, then a summary table.

use std::collections::HashMap;
use std::fmt::Write;

use super::tally;
use crate::runner::observation::Mismatch;
use crate::runner::{RunFacts, ScenarioResult, Verdict};
use crate::scenario::Requirement;

/// The full human report.
pub fn render(
    results: &[ScenarioResult],
    requirements: &HashMap<String, Requirement>,
    strict: bool,
    facts: &RunFacts,
) -> String {
    let mut out = String::new();
    for r in results.iter().filter(|r| r.verdict != Verdict::Pass) {
        let _ = writeln!(out, "{:<11} {}  ({})", r.verdict.word(), r.id, r.location);
        if r.verdict.is_failure(strict)
            || r.verdict == Verdict::Info
            || r.verdict == Verdict::NonStrict
        {
            let _ = writeln!(out, "  {}", r.title);
            for id in &r.requirements {
                if let Some(req) = requirements.get(id) {
                    let _ = writeln!(out, "  {id} [{}]: {}", req.level, req.statement);
                }
            }
            for m in &r.mismatches {
                let _ = writeln!(
                    out,
                    "  - {}{}\n      expected: {}\n      observed: {}",
                    m.what,
                    breaks(m),
                    m.expected,
                    m.observed
                );
            }
            if r.mismatches.is_empty() {
                let _ = writeln!(out, "  {}", r.message);
            }
            if !r.transcript.is_empty() {
                let _ = writeln!(out, "  transcript:");
                for line in r.transcript.lines() {
                    let _ = writeln!(out, "    {line}");
                }
            }
        } else {
            let _ = writeln!(out, "  {}", r.message);
        }
    }
    let _ = writeln!(out, "\nrun:");
    for line in facts.lines() {
        let _ = writeln!(out, "  {line}");
    }
    for warning in facts.warnings() {
        let _ = writeln!(out, "warning: {warning}");
    }
    let counts = tally(results);
    let _ = writeln!(out, "\n{:<12} {:>6}", "verdict", "count");
    for verdict in Verdict::ALL {
        let _ = writeln!(
            out,
            "{:<12} {:>6}",
            verdict.word(),
            counts.get(&verdict).copied().unwrap_or(0)
        );
    }
    let failed = results
        .iter()
        .filter(|r| r.verdict.is_failure(strict))
        .count();
    let passed = results.len() - failed;
    let _ = writeln!(out, "{passed} passed, {failed} failed");
    out
}

/// ` [CB-X MUST]`: the requirement a mismatch breaks and its level, and why
/// it is only recorded when it is.
pub(crate) fn breaks(m: &Mismatch) -> String {
    let mut out = match (&m.requirement, m.level) {
        (Some(id), Some(level)) => format!(" [{id} {level}]"),
        (Some(id), None) => format!(" [{id}]"),
        _ => String::new(),
    };
    if let Some(why) = &m.unknowable {
        out.push_str(&format!(" (recorded only: {why})"));
    }
    out
}
