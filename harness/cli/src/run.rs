//! `cbspec run`: runs the scenario suite against the embedded emulator or
//! any OSS endpoint, with the capture server receiving the callbacks.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::{Args, ValueEnum};

use super::{usage, CliError};
use cbspec_protocol::auth::Credentials;
use cbspec_suite::report::{ConsoleFormat, Outputs};
use cbspec_suite::runner::driver::external::{load_registry, DriverSpec};
use cbspec_suite::runner::driver::protocol::Hello;
use cbspec_suite::runner::select::{Partition, Selection};
use cbspec_suite::runner::{
    execute_plan, DriverPlan, Expectations, RemoteEndpoint, RunOptions, RunPlan, ScenarioResult,
    TargetChoice,
};

/// Output format on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Failures with requirement text, diffs and transcripts, then a summary.
    Human,
    /// One JSON object per scenario per line.
    Json,
}

/// Arguments of `cbspec run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Scenario id globs (e.g. 'put/*'); none selects all.
    ids: Vec<String>,
    /// Only scenarios with this tag (repeatable: any of them).
    #[arg(long = "tag")]
    tags: Vec<String>,
    /// Only scenarios naming this requirement ID (repeatable).
    #[arg(long = "requirement")]
    requirements: Vec<String>,
    /// Print the selected scenario ids, one per line, and run nothing.
    #[arg(long)]
    list: bool,
    /// Keep the K-th of N stable slices (e.g. 2/4).
    #[arg(long)]
    partition: Option<Partition>,
    /// Scenarios run at once.
    #[arg(long, default_value_t = 16)]
    jobs: usize,
    /// TOML file of expected failures and known driver deviations, each
    /// with a reason (default with --driver NAME: drivers/expectations/NAME.toml if present).
    #[arg(long)]
    expectations: Option<PathBuf>,
    /// Who performs the uploads: `native` (cbspec's client) or an SDK
    /// adapter named in the driver registry (oss2, oss-v2, ali-oss, ali-oss-rs).
    #[arg(long, default_value = "native")]
    driver: String,
    /// Run this adapter command instead of the registry's (words split on
    /// spaces), e.g. for an adapter under development.
    #[arg(long = "driver-command", requires = "driver")]
    driver_command: Option<String>,
    /// The driver registry.
    #[arg(long = "drivers-file", default_value = "drivers/drivers.toml")]
    drivers_file: PathBuf,
    /// Count non-strict verdicts as failures.
    #[arg(long)]
    strict: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Write JUnit XML here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write a self-contained HTML report here.
    #[arg(long)]
    report: Option<PathBuf>,
    /// The scenario directory.
    #[arg(long, default_value = "scenarios")]
    scenarios: PathBuf,
    /// The requirement file.
    #[arg(long, default_value = "spec/requirements.md")]
    spec: PathBuf,
    /// Run against this OSS endpoint instead of the embedded emulator.
    #[arg(long, requires_all = ["region", "bucket", "callback_base_url"])]
    endpoint: Option<String>,
    /// The endpoint's region.
    #[arg(long, value_parser = super::non_empty)]
    region: Option<String>,
    /// The bucket to use on the endpoint.
    #[arg(long)]
    bucket: Option<String>,
    /// Where the endpoint reaches the capture server (e.g. a tunnel to --capture-listen).
    #[arg(long = "callback-base-url")]
    callback_base_url: Option<String>,
    /// Where the capture server listens.
    #[arg(long = "capture-listen", default_value = "127.0.0.1:0")]
    capture_listen: SocketAddr,
    /// The key pair for --endpoint.
    #[command(flatten)]
    credentials: super::CredentialArgs,
}

/// Runs `cbspec run`: turns the arguments into a plan, carries it out in
/// one call, and writes the reports.
pub(crate) fn run(args: &RunArgs) -> Result<u8, CliError> {
    let (requirements, scenarios) = super::load_suite(&args.spec, &args.scenarios)?;
    let selected = selection(args)?.apply(scenarios);
    if args.list {
        for s in &selected {
            println!("{}", s.scenario.id);
        }
        return Ok(0);
    }
    if selected.is_empty() {
        return Err(usage("no scenario matches the selection"));
    }
    // A report that cannot be written should fail now, not after the run.
    for path in [&args.junit, &args.report].into_iter().flatten() {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir.filter(|d| !d.is_dir()) {
            return Err(usage(format!(
                "cannot write {}: the directory {} does not exist",
                path.display(),
                dir.display()
            )));
        }
    }
    let outputs = Outputs {
        console: match args.format {
            Format::Human => ConsoleFormat::Human,
            Format::Json => ConsoleFormat::Json,
        },
        strict: args.strict,
        junit: args.junit.clone(),
        html: args.report.clone(),
    };
    let plan = RunPlan {
        scenarios: selected,
        requirements: requirements.clone(),
        expectations: expectations(args)?,
        driver: driver_plan(args)?,
        target: target_choice(args)?,
        capture_listen: args.capture_listen,
        options: RunOptions {
            jobs: args.jobs,
            ..RunOptions::default()
        },
    };
    let total = plan.scenarios.len();
    let show_progress =
        args.format == Format::Human && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let bar = show_progress.then(|| indicatif::ProgressBar::new(total as u64));
    let progress_bar = bar.clone();
    let progress = Arc::new(move |result: &ScenarioResult| {
        if let Some(bar) = &progress_bar {
            bar.inc(1);
            bar.set_message(result.id.clone());
        }
    });
    let announce = |name: &str, hello: &Hello| {
        eprintln!(
            "driver {name}: {} {} ({})",
            hello.sdk, hello.sdk_version, hello.runtime
        );
    };
    let started = Instant::now();
    let results = super::new_runtime()?.block_on(execute_plan(plan, announce, progress))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    outputs.write(&mut std::io::stdout().lock(), &results, &requirements)?;
    if args.format == Format::Human {
        eprintln!(
            "ran {} scenarios in {:.2} s",
            results.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(u8::from(
        results.iter().any(|r| r.verdict.is_failure(args.strict)),
    ))
}

/// The scenarios the id globs, tags, requirements and partition select.
fn selection(args: &RunArgs) -> Result<Selection, CliError> {
    let globs = args
        .ids
        .iter()
        .map(|text| {
            glob::Pattern::new(text).map_err(|e| usage(format!("scenario glob {text:?}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Selection {
        globs,
        tags: args.tags.clone(),
        requirements: args.requirements.clone(),
        partition: args.partition,
    })
}

/// `--expectations`, or the driver's own file under `drivers/expectations/`.
fn expectations(args: &RunArgs) -> Result<Expectations, CliError> {
    let default = PathBuf::from(format!("drivers/expectations/{}.toml", args.driver));
    let path = args
        .expectations
        .clone()
        .or_else(|| (args.driver != "native" && default.is_file()).then_some(default));
    Ok(match path {
        Some(path) => Expectations::load(&path)?,
        None => Expectations::default(),
    })
}

/// The embedded emulator, or the endpoint named on the command line.
fn target_choice(args: &RunArgs) -> Result<TargetChoice, CliError> {
    let Some(endpoint) = &args.endpoint else {
        return Ok(TargetChoice::Embedded);
    };
    let (Some(id), Some(secret)) = (
        &args.credentials.access_key_id,
        &args.credentials.access_key_secret,
    ) else {
        return Err(usage(
            "--endpoint needs OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET (or the flags)",
        ));
    };
    Ok(TargetChoice::Remote(RemoteEndpoint {
        endpoint: endpoint.clone(),
        region: args.region.clone().unwrap_or_default(),
        bucket: args.bucket.clone().unwrap_or_default(),
        callback_base_url: args.callback_base_url.clone().unwrap_or_default(),
        credentials: Credentials::new(id.clone(), secret.clone()),
    }))
}

/// The native client, or the SDK adapter to start (from the repository
/// root, at most 4 processes).
fn driver_plan(args: &RunArgs) -> Result<DriverPlan, CliError> {
    let adapter = |spec: DriverSpec| DriverPlan::Adapter {
        spec,
        root: PathBuf::from("."),
        pool_size: args.jobs.clamp(1, 4),
    };
    if let Some(command) = &args.driver_command {
        let words: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
        if words.is_empty() {
            return Err(usage("--driver-command is empty"));
        }
        return Ok(adapter(DriverSpec {
            name: args.driver.clone(),
            command: words,
            description: String::new(),
        }));
    }
    if args.driver == "native" {
        return Ok(DriverPlan::Native);
    }
    let registry = load_registry(&args.drivers_file)?;
    registry
        .find(&args.driver)
        .cloned()
        .map(adapter)
        .map_err(|e| usage(format!("{e}; or give --driver-command")))
}
