//! `cbspec probe`: sends a callback receiver correctly signed and forged
//! callbacks, as OSS builds them, and reports what it accepted, rejected
//! and fetched.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{usage, CliError};
use cbspec_suite::probe::judge::AcceptRule;
use cbspec_suite::probe::{run_probe, ProbeConfig};
use cbspec_suite::report::{Outputs, RunInfo, Summary};

/// The callback body type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BodyType {
    /// application/x-www-form-urlencoded
    Form,
    /// application/json
    Json,
}

/// Arguments of `cbspec probe`.
#[derive(Debug, Args)]
pub(crate) struct ProbeArgs {
    /// The receiver's callback URL (the only address requests go to).
    #[arg(long)]
    url: String,
    /// The callback body type.
    #[arg(long = "body-type", value_enum, default_value = "form")]
    body_type: BodyType,
    /// The callbackBody template (default: bucket, object, etag, size and mimeType in the body type's syntax).
    #[arg(long = "callback-body")]
    callback_body: Option<String>,
    /// A custom variable, `x:name=value` (repeatable).
    #[arg(long = "var", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    /// Where cbspec's key server listens; the receiver must allow exactly
    /// the key-URL prefix http://ADDR/trusted/.
    #[arg(long = "key-listen", default_value = "127.0.0.1:9107")]
    key_listen: SocketAddr,
    /// How a 2xx answer tells acceptance from rejection: `status` (any 2xx
    /// accepts), `body-contains:TEXT`, or `json:/POINTER=VALUE` (e.g. json:/Status=OK).
    #[arg(long = "accept-when", default_value = "status", value_parser = parse_rule)]
    accept_when: AcceptRule,
    /// Also send N correctly signed callbacks as a burst.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    load: Option<u32>,
    /// How many of the burst at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1024))]
    concurrency: u32,
    /// Extra CA certificate (PEM) for an HTTPS receiver (repeatable).
    #[arg(long = "ca")]
    ca: Vec<PathBuf>,
    /// The reports.
    #[command(flatten)]
    reports: super::ReportArgs,
    /// The requirement file.
    #[arg(long, default_value = "spec/requirements.md")]
    spec: PathBuf,
}

fn parse_var(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not x:name=value"))?;
    if !name.starts_with("x:") {
        return Err(format!("{name:?}: custom variable names start with x:"));
    }
    Ok((name.to_owned(), value.to_owned()))
}

fn parse_rule(text: &str) -> Result<AcceptRule, String> {
    text.parse()
}

/// Runs the probe and writes the reports; exit 1 when the receiver broke a
/// MUST requirement.
pub(crate) fn run(args: &ProbeArgs) -> Result<u8, CliError> {
    let requirements = cbspec_suite::scenario::read_requirements(&args.spec)?;
    let (content_type, template) = match args.body_type {
        BodyType::Form => (
            "application/x-www-form-urlencoded",
            "bucket=${bucket}&object=${object}&etag=${etag}&size=${size}&mimeType=${mimeType}",
        ),
        BodyType::Json => (
            "application/json",
            r#"{"bucket":${bucket},"object":${object},"etag":${etag},"size":${size},"mimeType":${mimeType}}"#,
        ),
    };
    let mut extra_ca_pem = Vec::new();
    for path in &args.ca {
        extra_ca_pem.push(
            std::fs::read(path)
                .map_err(|e| usage(format!("cannot read --ca {}: {e}", path.display())))?,
        );
    }
    if let Some(dir) = args
        .reports
        .junit
        .as_ref()
        .and_then(|p| p.parent())
        .filter(|d| !d.as_os_str().is_empty() && !d.is_dir())
    {
        return Err(usage(format!(
            "cannot write the JUnit file: the directory {} does not exist",
            dir.display()
        )));
    }
    let config = ProbeConfig {
        url: args.url.clone(),
        body_type: content_type.to_owned(),
        template: args
            .callback_body
            .clone()
            .unwrap_or_else(|| template.to_owned()),
        vars: args.vars.clone(),
        key_listen: args.key_listen,
        accept: args.accept_when.clone(),
        load: args.load.map(|n| (n as usize, args.concurrency as usize)),
        extra_ca_pem,
    };
    let outputs = Outputs {
        console: args.reports.console(),
        strict: false,
        junit: args.reports.junit.clone(),
        html: None,
    };
    let info = RunInfo::now("probe", "receiver", format!("receiver {}", args.url));
    let started = std::time::Instant::now();
    let outcome = super::new_runtime()?
        .block_on(run_probe(&config, &requirements))
        .map_err(usage)?;
    let mut stdout = std::io::stdout().lock();
    outputs.start(&mut stdout, &info)?;
    for result in &outcome.results {
        outputs.scenario(&mut stdout, result)?;
    }
    let summary = Summary::new(
        info,
        &outcome.results,
        &outcome.facts,
        &requirements,
        started.elapsed(),
        false,
    );
    outputs.finish(
        &mut stdout,
        &outcome.results,
        &requirements,
        &outcome.facts,
        &summary,
    )?;
    Ok(u8::from(
        outcome.results.iter().any(|r| r.verdict.is_failure(false)),
    ))
}
