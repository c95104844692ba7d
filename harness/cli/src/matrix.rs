//! `cbspec matrix`: runs the suite once per driver (native and every SDK
//! adapter in the registry) against the embedded emulator and writes the
//! conformance matrix.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use clap::Args;

use super::{usage, CliError};
use cbspec_suite::report::matrix::{self, DriverRun, Missing};
use cbspec_suite::runner::driver::external::{load_registry, AdapterPool};
use cbspec_suite::runner::{
    DriverChoice, Expectations, RunOptions, ScenarioResult, Session, SessionConfig,
};

/// Arguments of `cbspec matrix`.
#[derive(Debug, Args)]
pub(crate) struct MatrixArgs {
    /// Drivers to run (default: native and every driver in the registry).
    #[arg(long = "driver")]
    drivers: Vec<String>,
    /// Where to write the Markdown matrix.
    #[arg(long, default_value = "docs/conformance-matrix.md")]
    out: PathBuf,
    /// Fail (exit 2) when a driver cannot be started, instead of listing it as not run.
    #[arg(long = "require-all")]
    require_all: bool,
    /// Count non-strict verdicts (SHOULD deviations not listed in the driver's expectations) as failures.
    #[arg(long)]
    strict: bool,
    /// Scenarios run at once per driver.
    #[arg(long, default_value_t = 8)]
    jobs: usize,
    /// The driver registry.
    #[arg(long = "drivers-file", default_value = "drivers/drivers.toml")]
    drivers_file: PathBuf,
    /// Directory of per-driver expectation files (`NAME.toml`).
    #[arg(long = "expectations-dir", default_value = "drivers/expectations")]
    expectations_dir: PathBuf,
    /// The scenario directory.
    #[arg(long, default_value = "scenarios")]
    scenarios: PathBuf,
    /// The requirement file.
    #[arg(long, default_value = "spec/requirements.md")]
    spec: PathBuf,
}

/// Runs `cbspec matrix`.
pub(crate) fn run(args: &MatrixArgs) -> Result<u8, CliError> {
    let (requirements, scenarios) = super::load_suite(&args.spec, &args.scenarios)?;
    let registry = load_registry(&args.drivers_file)?;
    let names: Vec<String> = if args.drivers.is_empty() {
        std::iter::once("native".to_owned())
            .chain(registry.drivers().iter().map(|d| d.name.clone()))
            .collect()
    } else {
        args.drivers.clone()
    };
    let runtime = super::new_runtime()?;
    runtime.block_on(async {
        let mut runs = Vec::new();
        let mut missing = Vec::new();
        for name in &names {
            let expectations_path = args.expectations_dir.join(format!("{name}.toml"));
            let expectations = if expectations_path.is_file() {
                Expectations::load(&expectations_path)?
            } else {
                Expectations::default()
            };
            let (choice, sdk) = if name == "native" {
                (
                    DriverChoice::Native,
                    format!("cbspec {}", env!("CARGO_PKG_VERSION")),
                )
            } else {
                let spec = registry.find(name)?;
                match AdapterPool::start(spec.clone(), Path::new("."), args.jobs.clamp(1, 4)).await
                {
                    Ok(pool) => {
                        let hello = pool.hello();
                        let sdk =
                            format!("{} {} ({})", hello.sdk, hello.sdk_version, hello.runtime);
                        (DriverChoice::Sdk(pool), sdk)
                    }
                    Err(e) if args.require_all => return Err(e.into()),
                    Err(e) => {
                        eprintln!("skipping driver {name}: {e}");
                        missing.push(Missing {
                            name: name.clone(),
                            why: e.to_string(),
                        });
                        continue;
                    }
                }
            };
            eprintln!("running the suite with driver {name}: {sdk}");
            let options = RunOptions {
                jobs: args.jobs,
                ..RunOptions::default()
            };
            let config =
                SessionConfig::embedded(choice, requirements.clone(), expectations.clone());
            let session = Session::start(config).await?;
            let results = session
                .run(&scenarios, &options, Arc::new(|_: &ScenarioResult| {}))
                .await;
            session.shutdown().await;
            runs.push(DriverRun {
                name: name.clone(),
                sdk,
                results,
                expectations,
            });
        }
        let date = time::OffsetDateTime::now_utc().date().to_string();
        let command = std::env::args()
            .skip(1)
            .fold("cbspec".to_owned(), |line, word| format!("{line} {word}"));
        let info = cbspec_suite::report::RunInfo::now("matrix", "all", String::new());
        let provenance = matrix::Provenance {
            date: &date,
            command: &command,
            tool: &info.tool,
            commit: &info.commit,
        };
        let text = matrix::render(&scenarios, &runs, &missing, &provenance, &requirements);
        if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Err(e) = std::fs::create_dir_all(dir) {
                return Err(usage(format!("cannot create {}: {e}", dir.display())));
            }
        }
        if let Err(e) = std::fs::write(&args.out, &text) {
            return Err(usage(format!("cannot write {}: {e}", args.out.display())));
        }
        let mut failed = false;
        for run in &runs {
            let bad: Vec<&ScenarioResult> = run
                .results
                .iter()
                .filter(|r| r.verdict.is_failure(args.strict))
                .collect();
            let stale: Vec<&str> = run
                .deviation_hits()
                .into_iter()
                .filter(|(_, _, hits)| *hits == 0)
                .map(|(requirement, _, _)| requirement)
                .collect();
            eprintln!(
                "{}: {} scenarios, {} failing{}",
                run.name,
                run.results.len(),
                bad.len(),
                if stale.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; listed deviations no scenario showed (remove them): {}",
                        stale.join(", ")
                    )
                }
            );
            for r in bad.iter().take(20) {
                eprintln!(
                    "  {} {}: {}",
                    r.verdict.word(),
                    r.id,
                    r.message.lines().next().unwrap_or_default()
                );
            }
            failed |= !bad.is_empty() || !stale.is_empty();
        }
        eprintln!("wrote {}", args.out.display());
        Ok(u8::from(failed))
    })
}
