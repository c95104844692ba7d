//! `--junit FILE`: JUnit XML that CI systems merge cleanly. The suite and
//! class names carry the driver, so files from a CI matrix do not collide;
//! the suite has its time, timestamp and the run's facts as properties; an
//! unsupported or xfail case is skipped with its reason; a failure names
//! the requirement each mismatch breaks.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::summary::Summary;
use crate::runner::{RunFacts, ScenarioResult, Verdict};

/// The JUnit document for a run.
pub fn render(
    results: &[ScenarioResult],
    strict: bool,
    summary: &Summary,
    facts: &RunFacts,
) -> String {
    let info = &summary.info;
    let mut suite = TestSuite::new(info.suite_name());
    suite.set_time(std::time::Duration::from_millis(summary.duration_ms));
    suite.set_timestamp(chrono::DateTime::<chrono::Utc>::from(info.started).fixed_offset());
    for (name, value) in [
        ("cbspec", info.tool.clone()),
        ("commit", info.commit.clone()),
        ("driver", info.driver.clone()),
        ("sdk", info.sdk.clone().unwrap_or_else(|| "-".into())),
        ("target", facts.target.clone()),
        ("started_at", info.started_at.clone()),
        ("callbacks_received", facts.callbacks_received.to_string()),
        ("closing_line", summary.closing_line()),
    ] {
        suite.add_property((name, value.as_str()));
    }
    let mut run_text = facts.lines().join("\n");
    for warning in facts.warnings() {
        run_text.push_str(&format!("\nwarning: {warning}"));
    }
    suite.system_out = Some(run_text.into());
    for r in results {
        let status = match r.verdict {
            Verdict::Pass | Verdict::Info => TestCaseStatus::success(),
            Verdict::NonStrict if !strict => TestCaseStatus::success(),
            Verdict::Unsupported | Verdict::Xfail => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(format!("{}: {}", r.verdict.word(), r.message));
                status
            }
            Verdict::Fail | Verdict::Xpass | Verdict::NonStrict => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                let details: Vec<String> = r.mismatches.iter().map(ToString::to_string).collect();
                status
                    .set_message(r.message.clone())
                    .set_type(r.verdict.word())
                    .set_description(format!("{}\n\n{}", details.join("\n"), r.transcript));
                status
            }
        };
        let mut case = TestCase::new(r.id.clone(), status);
        case.set_classname(format!(
            "{}.{}",
            info.suite_name(),
            r.operation.replace(' ', "_")
        ));
        case.set_time(r.duration);
        case.system_out = Some(
            format!(
                "verdict: {}\nrequirements: {}\n{}",
                r.verdict.word(),
                r.requirements.join(", "),
                r.message
            )
            .into(),
        );
        suite.add_test_case(case);
    }
    let mut report = Report::new(info.suite_name());
    report.add_test_suite(suite);
    report
        .to_string()
        .unwrap_or_else(|e| format!("<!-- cannot render JUnit: {e} -->"))
}
