//! The whole scenario suite against the embedded emulator: every scenario
//! passes, its normalised transcript matches the insta snapshot in
//! `snapshots/scenarios/`, and every MUST requirement is covered.

use std::collections::HashMap;
use std::path::Path;

use cbspec::runner::targets::{run_embedded, DriverChoice};
use cbspec::runner::{Expectations, RunOptions, Verdict};
use cbspec::scenario::{covered_requirements, load_dir, read_requirements};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

#[derive(serde::Deserialize)]
struct Exceptions {
    exception: Vec<Exception>,
}

#[derive(serde::Deserialize)]
struct Exception {
    id: String,
    reason: String,
    covered_by: Vec<String>,
}

#[test]
fn every_must_requirement_is_covered_by_a_scenario_or_a_listed_exception() {
    let requirements = read_requirements(&root().join("spec/requirements.md")).unwrap();
    let scenarios = load_dir(&root().join("scenarios"), &requirements).unwrap();
    let covered = covered_requirements(&scenarios);
    let exceptions: Exceptions = toml::from_str(
        &std::fs::read_to_string(root().join("spec/coverage-exceptions.toml")).unwrap(),
    )
    .unwrap();
    for exception in &exceptions.exception {
        assert!(
            !exception.reason.trim().is_empty(),
            "{}: an exception needs a reason",
            exception.id
        );
        assert!(
            requirements
                .get(&exception.id)
                .is_some_and(|r| r.level == "MUST"),
            "{} is not a MUST requirement",
            exception.id
        );
        assert!(
            !covered.contains(&exception.id),
            "{} is covered by a scenario now; drop the exception",
            exception.id
        );
        for file in &exception.covered_by {
            let text = std::fs::read_to_string(root().join(file))
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            assert!(
                text.lines()
                    .any(|l| l.contains("spec: ") && l.contains(&exception.id)),
                "{file} does not cite {}",
                exception.id
            );
        }
    }
    let excepted: Vec<&str> = exceptions.exception.iter().map(|e| e.id.as_str()).collect();
    let mut missing: Vec<&String> = requirements
        .iter()
        .filter(|(id, r)| {
            r.level == "MUST" && !covered.contains(*id) && !excepted.contains(&id.as_str())
        })
        .map(|(id, _)| id)
        .collect();
    missing.sort();
    assert!(
        missing.is_empty(),
        "MUST requirements neither named by a scenario nor excepted: {missing:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_suite_passes_against_the_emulator() {
    let requirements = read_requirements(&root().join("spec/requirements.md")).unwrap();
    let mut scenarios = load_dir(&root().join("scenarios"), &requirements).unwrap();
    scenarios.sort_by(|a, b| a.scenario.id.cmp(&b.scenario.id));
    let results = run_embedded(
        &scenarios,
        &requirements,
        &Expectations::default(),
        &DriverChoice::Native,
        &RunOptions::default(),
    )
    .await
    .unwrap();

    let failures: Vec<String> = results
        .iter()
        .filter(|r| r.verdict != Verdict::Pass)
        .map(|r| {
            format!(
                "{} {}: {}\n{}",
                r.verdict.word(),
                r.id,
                r.message,
                r.transcript
            )
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} scenario(s) did not pass:\n{}",
        failures.len(),
        failures.join("\n")
    );

    let by_id: HashMap<&str, &str> = results
        .iter()
        .map(|r| (r.id.as_str(), r.transcript.as_str()))
        .collect();
    for scenario in &scenarios {
        let id = scenario.scenario.id.as_str();
        insta::with_settings!({
            snapshot_path => "../../snapshots/scenarios",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(id.replace('/', "__"), by_id[id]);
        });
    }
}
