//! `cbspec run`: runs the scenario suite against the embedded emulator or
//! any OSS endpoint, with the capture server receiving the callbacks.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;

use super::{usage, CliError};
use cbspec_capture::TlsIdentity;
use cbspec_protocol::auth::Credentials;
use cbspec_suite::profile::{Addressing, EndpointProfile, ProfileOverrides};
use cbspec_suite::report::{Outputs, RunInfo, Summary};
use cbspec_suite::runner::driver::external::{load_registry, DriverSpec};
use cbspec_suite::runner::driver::protocol::Hello;
use cbspec_suite::runner::select::{Partition, Selection};
use cbspec_suite::runner::{
    execute_plan, DriverPlan, Expectations, PreflightOptions, RemoteEndpoint, RunOptions,
    RunOutcome, RunPlan, ScenarioResult, TargetChoice,
};

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
    /// The reports.
    #[command(flatten)]
    reports: super::ReportArgs,
    /// Write a self-contained HTML report here.
    #[arg(long)]
    report: Option<PathBuf>,
    /// The scenario directory.
    #[arg(long, default_value = "scenarios")]
    scenarios: PathBuf,
    /// The requirement file.
    #[arg(long, default_value = "spec/requirements.md")]
    spec: PathBuf,
    /// The endpoint profile (TOML): what the endpoint under test is and can
    /// do. Every flag below overrides the profile's key of the same name.
    /// Giving a profile or --endpoint runs against that endpoint instead of
    /// the embedded emulator.
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Run against this OSS endpoint (`endpoint`).
    #[arg(long)]
    endpoint: Option<String>,
    /// The endpoint's region (`region`).
    #[arg(long, value_parser = super::non_empty)]
    region: Option<String>,
    /// The bucket to use on the endpoint (`bucket`).
    #[arg(long)]
    bucket: Option<String>,
    /// A second endpoint, same key pair and bucket, that refuses private
    /// callback addresses, for the production-rules scenarios (`production_endpoint`).
    #[arg(long = "production-endpoint")]
    production_endpoint: Option<String>,
    /// Where the endpoint reaches the capture server's HTTP listener, e.g. a
    /// tunnel to --capture-listen (`callback_base_url`).
    #[arg(long = "callback-base-url")]
    callback_base_url: Option<String>,
    /// Where the endpoint reaches the HTTPS listener, by a name its
    /// certificate covers (`callback_https_base_url`).
    #[arg(long = "callback-https-base-url")]
    callback_https_base_url: Option<String>,
    /// A key-URL prefix the endpoint signs callbacks with (repeatable;
    /// replaces the profile's `key_url_prefixes`; default: the two official ones).
    #[arg(long = "allow-key-url-prefix")]
    allow_key_url_prefix: Vec<String>,
    /// Whether the endpoint calls back loopback and private addresses (`private_callbacks`).
    #[arg(long = "private-callbacks")]
    private_callbacks: Option<bool>,
    /// The endpoint's callback timeout, e.g. 1s, or `unknown` (`callback_timeout`; default 5s).
    #[arg(long = "callback-timeout")]
    callback_timeout: Option<String>,
    /// The uploader address the endpoint reports in ${clientIp}, or
    /// `unknown` (`client_ip`; default unknown: that value is judged `info`).
    #[arg(long = "client-ip")]
    client_ip: Option<String>,
    /// How requests name the bucket: path or virtual-hosted (`addressing`).
    #[arg(long, value_parser = parse_addressing)]
    addressing: Option<Addressing>,
    /// Hold the endpoint to the emulator's IMPLEMENTATION-DEFINED choices (`reference`).
    #[arg(long = "reference")]
    reference: Option<bool>,
    /// A temporary (STS) credential of the endpoint, AK:SECRET:TOKEN, for
    /// the scenarios that sign with one (`needs = ["temporary-credentials"]`).
    #[arg(
        long = "sts-credential",
        env = "CBSPEC_STS_CREDENTIAL",
        hide_env_values = true
    )]
    sts_credential: Option<String>,
    /// Resolve this endpoint host name to this address, as curl's --resolve
    /// (e.g. bucket.oss.example=127.0.0.1; repeatable).
    #[arg(long = "resolve", value_parser = super::resolve_entry)]
    resolve: Vec<(String, std::net::IpAddr)>,
    /// Make the bucket when the preflight finds it missing.
    #[arg(long = "create-bucket")]
    create_bucket: bool,
    /// Do not check the endpoint, credentials, bucket and callback path before the run.
    #[arg(long = "skip-preflight")]
    skip_preflight: bool,
    /// How long the preflight waits for its canary callback.
    #[arg(long = "preflight-wait", default_value = "10s", value_parser = preflight_wait)]
    preflight_wait: Duration,
    /// Where the capture server's HTTP listener binds.
    #[arg(long = "capture-listen", default_value = "127.0.0.1:0")]
    capture_listen: SocketAddr,
    /// Where its HTTPS listener binds (against an endpoint; the embedded run
    /// takes a free port).
    #[arg(long = "capture-https-listen")]
    capture_https_listen: Option<SocketAddr>,
    /// The certificate (PEM, leaf first) the HTTPS listener serves instead
    /// of a self-signed one (see `cbspec tls-cert`).
    #[arg(long = "capture-tls-cert", requires = "capture_tls_key")]
    capture_tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long = "capture-tls-key", requires = "capture_tls_cert")]
    capture_tls_key: Option<PathBuf>,
    /// The key pair for the endpoint.
    #[command(flatten)]
    credentials: super::CredentialArgs,
}

fn parse_addressing(text: &str) -> Result<Addressing, String> {
    text.parse()
}

fn preflight_wait(text: &str) -> Result<Duration, String> {
    match cbspec_emulator::parse_duration(text) {
        Ok(d) if d.is_zero() => Err("must be above zero".into()),
        Ok(d) => Ok(d),
        Err(e) => Err(e.to_string()),
    }
}

/// Runs `cbspec run`: turns the arguments into a plan, carries it out in
/// one call, and writes the reports.
pub(crate) fn run(args: &RunArgs) -> Result<u8, CliError> {
    let (requirements, scenarios) = super::load_suite(&args.spec, &args.scenarios)?;
    let selected = selection(args)?.apply(scenarios);
    // A profile is checked even when nothing runs, so `--list` validates it.
    let profile = profile_of(args)?;
    if args.list {
        if let Some(profile) = &profile {
            eprintln!("{profile}");
        }
        // A reader that stops early (`| head`) closes the pipe: that ends
        // the listing, it is not an error.
        let mut out = std::io::stdout().lock();
        for s in &selected {
            if std::io::Write::write_fmt(&mut out, format_args!("{}\n", s.scenario.id)).is_err() {
                break;
            }
        }
        return Ok(0);
    }
    if selected.is_empty() {
        return Err(usage("no scenario matches the selection"));
    }
    // A report that cannot be written should fail now, not after the run.
    for path in [&args.reports.junit, &args.report].into_iter().flatten() {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir.filter(|d| !d.is_dir()) {
            return Err(usage(format!(
                "cannot write {}: the directory {} does not exist",
                path.display(),
                dir.display()
            )));
        }
    }
    let target = target_choice(args)?;
    if let TargetChoice::Remote(remote) = &target {
        remote
            .profile
            .check_capture_listeners(args.capture_listen, args.capture_https_listen)
            .map_err(usage)?;
        if args.reports.for_people() {
            eprintln!("{}", remote.profile);
        }
    }
    let outputs = Outputs {
        console: args.reports.console(),
        strict: args.strict,
        junit: args.reports.junit.clone(),
        html: args.report.clone(),
    };
    let described = match &target {
        TargetChoice::Embedded => "the embedded emulator".to_owned(),
        TargetChoice::Remote(remote) => remote.profile.to_string(),
    };
    let info = Arc::new(std::sync::Mutex::new(RunInfo::now(
        "run",
        &args.driver,
        described,
    )));
    let plan = RunPlan {
        scenarios: selected,
        requirements: requirements.clone(),
        expectations: expectations(args)?,
        driver: driver_plan(args)?,
        target,
        capture_listen: args.capture_listen,
        capture_https_listen: args.capture_https_listen,
        capture_tls: capture_tls(args)?,
        preflight: (!args.skip_preflight).then_some(PreflightOptions {
            create_bucket: args.create_bucket,
            callback_wait: args.preflight_wait,
        }),
        options: RunOptions {
            jobs: args.jobs,
            ..RunOptions::default()
        },
    };
    // The header goes out before the first scenario: now for the native
    // client, once the adapter has said which SDK it runs otherwise.
    if matches!(plan.driver, DriverPlan::Native) {
        outputs.start(&mut std::io::stdout().lock(), &lock(&info))?;
    }
    let total = plan.scenarios.len();
    let show_progress =
        args.reports.for_people() && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let bar = show_progress.then(|| indicatif::ProgressBar::new(total as u64));
    let progress_bar = bar.clone();
    let streaming = outputs.clone();
    let progress = Arc::new(move |result: &ScenarioResult| {
        if let Some(bar) = &progress_bar {
            bar.inc(1);
            bar.set_message(result.id.clone());
        }
        // A closed stdout ends the stream; the run itself goes on.
        let _ = streaming.scenario(&mut std::io::stdout().lock(), result);
    });
    let announced = info.clone();
    let header = outputs.clone();
    let announce = move |name: &str, hello: &Hello| {
        eprintln!(
            "driver {name}: {} {} ({})",
            hello.sdk, hello.sdk_version, hello.runtime
        );
        let mut info = lock(&announced);
        info.sdk = Some(format!(
            "{} {} ({})",
            hello.sdk, hello.sdk_version, hello.runtime
        ));
        let _ = header.start(&mut std::io::stdout().lock(), &info);
    };
    let started = Instant::now();
    let outcome = super::new_runtime()?.block_on(execute_plan(plan, announce, progress));
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let RunOutcome { results, facts } = outcome?;
    let summary = Summary::new(
        lock(&info).clone(),
        &results,
        &facts,
        &requirements,
        started.elapsed(),
        args.strict,
    );
    outputs.finish(
        &mut std::io::stdout().lock(),
        &results,
        &requirements,
        &facts,
        &summary,
    )?;
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

/// The endpoint the profile and flags describe, or `None` for the embedded
/// emulator (then no remote-only flag may be given).
fn profile_of(args: &RunArgs) -> Result<Option<EndpointProfile>, CliError> {
    let overrides = ProfileOverrides {
        endpoint: args.endpoint.clone(),
        region: args.region.clone(),
        bucket: args.bucket.clone(),
        production_endpoint: args.production_endpoint.clone(),
        callback_base_url: args.callback_base_url.clone(),
        callback_https_base_url: args.callback_https_base_url.clone(),
        key_url_prefixes: args.allow_key_url_prefix.clone(),
        private_callbacks: args.private_callbacks,
        callback_timeout: args.callback_timeout.clone(),
        client_ip: args.client_ip.clone(),
        addressing: args.addressing,
        reference: args.reference,
        sts_credential: args.sts_credential.clone(),
    };
    Ok(Some(match (&args.profile, &args.endpoint) {
        (Some(path), _) => EndpointProfile::load(path, &overrides).map_err(usage)?,
        (None, Some(_)) => EndpointProfile::from_flags(&overrides).map_err(usage)?,
        (None, None) => {
            let remote_only = [
                ("--region", args.region.is_some()),
                ("--bucket", args.bucket.is_some()),
                ("--production-endpoint", args.production_endpoint.is_some()),
                ("--callback-base-url", args.callback_base_url.is_some()),
                (
                    "--callback-https-base-url",
                    args.callback_https_base_url.is_some(),
                ),
                (
                    "--allow-key-url-prefix",
                    !args.allow_key_url_prefix.is_empty(),
                ),
                ("--private-callbacks", args.private_callbacks.is_some()),
                ("--callback-timeout", args.callback_timeout.is_some()),
                ("--client-ip", args.client_ip.is_some()),
                ("--addressing", args.addressing.is_some()),
                ("--reference", args.reference.is_some()),
                ("--resolve", !args.resolve.is_empty()),
                ("--create-bucket", args.create_bucket),
                (
                    "--capture-https-listen",
                    args.capture_https_listen.is_some(),
                ),
                ("--capture-tls-cert", args.capture_tls_cert.is_some()),
            ];
            if let Some((flag, _)) = remote_only.iter().find(|(_, given)| *given) {
                return Err(usage(format!(
                    "{flag} describes a remote endpoint: give --profile FILE or --endpoint URL too"
                )));
            }
            return Ok(None);
        }
    }))
}

/// The embedded emulator, or the endpoint the profile and flags describe.
fn target_choice(args: &RunArgs) -> Result<TargetChoice, CliError> {
    let Some(profile) = profile_of(args)? else {
        return Ok(TargetChoice::Embedded);
    };
    let (Some(id), Some(secret)) = (
        &args.credentials.access_key_id,
        &args.credentials.access_key_secret,
    ) else {
        return Err(usage(
            "a remote endpoint needs OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET (or the flags)",
        ));
    };
    Ok(TargetChoice::Remote(Box::new(RemoteEndpoint {
        profile,
        credentials: Credentials::new(id.clone(), secret.clone()),
        resolve: args.resolve.clone(),
    })))
}

/// The HTTPS listener's certificate and key, when given.
fn capture_tls(args: &RunArgs) -> Result<Option<TlsIdentity>, CliError> {
    let (Some(cert), Some(key)) = (&args.capture_tls_cert, &args.capture_tls_key) else {
        return Ok(None);
    };
    let read = |flag: &str, path: &PathBuf| {
        std::fs::read_to_string(path)
            .map_err(|e| usage(format!("cannot read {flag} {}: {e}", path.display())))
    };
    Ok(Some(TlsIdentity {
        cert_pem: read("--capture-tls-cert", cert)?,
        key_pem: read("--capture-tls-key", key)?,
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
            // An adapter under development is not pinned.
            version: None,
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

/// The run info, whoever held it last (a panic elsewhere cannot poison a report).
fn lock(info: &std::sync::Mutex<RunInfo>) -> std::sync::MutexGuard<'_, RunInfo> {
    info.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
