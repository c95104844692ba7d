//! `--junit FILE`: JUnit XML, one testcase per scenario.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::runner::{RunFacts, ScenarioResult, Verdict};

/// The JUnit document for a run.
pub fn render(results: &[ScenarioResult], strict: bool, facts: &RunFacts) -> String {
    let mut suite = TestSuite::new("cbspec");
    suite.add_property((
        "callbacks_received",
        facts.callbacks_received.to_string().as_str(),
    ));
    suite.add_property(("target", facts.target.as_str()));
    let mut run_text = facts.lines().join("\n");
    for warning in facts.warnings() {
        run_text.push_str(&format!("\nwarning: {warning}"));
    }
    suite.system_out = Some(run_text.into());
    for r in results {
        let status = match r.verdict {
            Verdict::Pass | Verdict::Info | Verdict::Xfail => TestCaseStatus::success(),
            Verdict::NonStrict if !strict => TestCaseStatus::success(),
            Verdict::Unsupported => TestCaseStatus::skipped(),
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
        case.set_classname(format!("cbspec.{}", r.operation.replace(' ', "_")));
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
    let mut report = Report::new("cbspec");
    report.add_test_suite(suite);
    report
        .to_string()
        .unwrap_or_else(|e| format!("<!-- cannot render JUnit: {e} -->"))
}
