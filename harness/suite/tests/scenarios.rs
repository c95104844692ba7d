//! The whole scenario suite against the embedded emulator, one test case per
//! scenario, named by its id: `cargo test -p cbspec-suite --test scenarios --
//! put/header/form/basic` runs one, `--exact` and `--skip` work, and every
//! failing scenario is listed on its own. Each passes, and its normalised
//! transcript matches the insta snapshot in `snapshots/scenarios/`.
//!
//! Beside the scenarios, one case checks that every MUST requirement is
//! covered by a scenario or a listed exception.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use cbspec_suite::runner::{
    DriverChoice, Expectations, RunOptions, Session, SessionConfig, Verdict,
};
use cbspec_suite::scenario::{
    covered_requirements, load_dir, read_requirements, Level, LoadedScenario, Requirement,
};
use libtest_mimic::{Arguments, Failed, Trial};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One emulator pair and capture server for every case, started on first use
/// (so `--list` starts nothing), on a runtime the cases share.
struct Shared {
    runtime: tokio::runtime::Runtime,
    session: Session,
}

fn shared(requirements: &Arc<HashMap<String, Requirement>>) -> Result<&'static Shared, Failed> {
    static SHARED: OnceLock<Result<Shared, String>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let session = runtime
                .block_on(Session::start(SessionConfig::embedded(
                    DriverChoice::Native,
                    requirements.as_ref().clone(),
                    Expectations::default(),
                )))
                .map_err(|e| e.to_string())?;
            Ok(Shared { runtime, session })
        })
        .as_ref()
        .map_err(|e| Failed::from(format!("cannot start the embedded target: {e}")))
}

fn run_case(
    index: usize,
    loaded: &LoadedScenario,
    requirements: &Arc<HashMap<String, Requirement>>,
) -> Result<(), Failed> {
    let shared = shared(requirements)?;
    let result = shared.runtime.block_on(shared.session.run_scenario(
        index,
        loaded,
        RunOptions::default().deadline,
    ));
    if result.verdict != Verdict::Pass {
        return Err(format!(
            "{} {}: {}\n{}",
            result.verdict.word(),
            result.id,
            result.message,
            result.transcript
        )
        .into());
    }
    let snapshot = std::panic::catch_unwind(|| {
        insta::with_settings!({
            snapshot_path => "../../../snapshots/scenarios",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(result.id.replace('/', "__"), &result.transcript);
        });
    });
    snapshot.map_err(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        Failed::from(format!("the transcript differs from its snapshot: {why}"))
    })
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

fn every_must_requirement_is_covered(
    requirements: &HashMap<String, Requirement>,
    scenarios: &[LoadedScenario],
) -> Result<(), Failed> {
    let covered = covered_requirements(scenarios);
    let text = std::fs::read_to_string(root().join("spec/coverage-exceptions.toml"))
        .map_err(|e| format!("spec/coverage-exceptions.toml: {e}"))?;
    let exceptions: Exceptions =
        toml::from_str(&text).map_err(|e| format!("spec/coverage-exceptions.toml: {e}"))?;
    let mut problems = Vec::new();
    for exception in &exceptions.exception {
        if exception.reason.trim().is_empty() {
            problems.push(format!("{}: an exception needs a reason", exception.id));
        }
        if requirements
            .get(&exception.id)
            .is_none_or(|r| r.level != Level::Must)
        {
            problems.push(format!("{} is not a MUST requirement", exception.id));
        }
        if covered.contains(&exception.id) {
            problems.push(format!(
                "{} is covered by a scenario now; drop the exception",
                exception.id
            ));
        }
        for file in &exception.covered_by {
            let cites = std::fs::read_to_string(root().join(file)).is_ok_and(|text| {
                text.lines()
                    .any(|l| l.contains("spec: ") && l.contains(&exception.id))
            });
            if !cites {
                problems.push(format!("{file} does not cite {}", exception.id));
            }
        }
    }
    let mut missing: Vec<&String> = requirements
        .iter()
        .filter(|(id, r)| {
            r.level == Level::Must
                && !covered.contains(*id)
                && !exceptions.exception.iter().any(|e| &e.id == *id)
        })
        .map(|(id, _)| id)
        .collect();
    missing.sort();
    if !missing.is_empty() {
        problems.push(format!(
            "MUST requirements neither named by a scenario nor excepted: {missing:?}"
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n").into())
    }
}

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let requirements = match read_requirements(&root().join("spec/requirements.md")) {
        Ok(r) => Arc::new(r),
        Err(e) => {
            eprintln!("spec/requirements.md: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut scenarios = match load_dir(&root().join("scenarios"), &requirements) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    scenarios.sort_by(|a, b| a.scenario.id.cmp(&b.scenario.id));
    let scenarios = Arc::new(scenarios);

    let mut trials = Vec::with_capacity(scenarios.len() + 1);
    {
        let (requirements, scenarios) = (requirements.clone(), scenarios.clone());
        trials.push(Trial::test(
            "coverage::every_must_requirement_is_covered_by_a_scenario_or_a_listed_exception",
            move || every_must_requirement_is_covered(&requirements, &scenarios),
        ));
    }
    for index in 0..scenarios.len() {
        let (requirements, scenarios) = (requirements.clone(), scenarios.clone());
        let id = scenarios[index].scenario.id.clone();
        trials.push(Trial::test(id, move || {
            run_case(index, &scenarios[index], &requirements)
        }));
    }
    libtest_mimic::run(&args, trials).exit_code()
}
