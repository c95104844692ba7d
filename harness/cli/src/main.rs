//! The `cbspec` command line: argument parsing and dispatch. Each
//! subcommand lives in its own module and returns its exit code.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc instead of the system allocator: the emulator and the capture
/// server allocate and free small buffers (headers, journal records) for
/// every request, and glibc's malloc and free were the largest cost after
/// the kernel's in a profile of PutObject under 16 connections
/// (`docs/performance.md` has the side-by-side figures).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod capture;
mod emulator;
mod input;
mod matrix;
mod probe;
mod render;
mod run;
mod signal;
mod tls_cert;
mod vectors;
mod verify;

/// Conformance harness and fuzzing suite for Alibaba Cloud OSS upload callbacks.
#[derive(Debug, Parser)]
#[command(name = "cbspec", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the exact callback body OSS would send for a callback config.
    Render(render::RenderArgs),
    /// Check the signature of a callback request as a receiver must.
    Verify(verify::VerifyArgs),
    /// Run the reference OSS endpoint, callbacks included, until interrupted.
    Emulator(Box<emulator::EmulatorArgs>),
    /// Run the scenario suite against the embedded emulator or an OSS endpoint.
    Run(Box<run::RunArgs>),
    /// Run the capturing callback server (HTTP and HTTPS), printing each callback and its signature verdict.
    Capture(capture::CaptureArgs),
    /// Run the suite once per driver (native and each SDK adapter) and write the conformance matrix.
    Matrix(matrix::MatrixArgs),
    /// Write a CA and a certificate it signed for the capture server's HTTPS listener.
    TlsCert(tls_cert::TlsCertArgs),
    /// Test a callback receiver with correctly signed and forged callbacks.
    Probe(Box<probe::ProbeArgs>),
    /// Write (or --check) the signature test vectors under spec/vectors/.
    Vectors(vectors::VectorsArgs),
}

/// An OSS key pair, from flags or the SDKs' usual environment variables;
/// shared by every command that signs or checks OSS requests.
#[derive(Debug, clap::Args)]
struct CredentialArgs {
    /// Access key id.
    #[arg(long = "access-key-id", env = "OSS_ACCESS_KEY_ID")]
    access_key_id: Option<String>,
    /// Access key secret.
    #[arg(
        long = "access-key-secret",
        env = "OSS_ACCESS_KEY_SECRET",
        hide_env_values = true
    )]
    access_key_secret: Option<String>,
}

/// Output format on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OutputFormat {
    /// Failures with their requirements and differences, then a summary.
    Human,
    /// JSON lines: a header, one line per scenario or case, a summary.
    Json,
}

/// The reports `run` and `probe` both write, and how the console looks.
#[derive(Debug, clap::Args)]
struct ReportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: OutputFormat,
    /// Write JUnit XML here.
    #[arg(long)]
    junit: Option<std::path::PathBuf>,
    /// Colour: auto (a terminal, and NO_COLOR unset), always or never.
    #[arg(long, default_value = "auto", value_parser = ["auto", "always", "never"])]
    color: String,
    /// Only the failing requirements and the closing line.
    #[arg(short, long, conflicts_with = "verbose")]
    quiet: bool,
    /// Transcripts with each failure, and every unsupported scenario's id.
    #[arg(short, long)]
    verbose: bool,
}

impl ReportArgs {
    /// What goes on standard output.
    fn console(&self) -> cbspec_suite::report::ConsoleFormat {
        match self.format {
            OutputFormat::Human => cbspec_suite::report::ConsoleFormat::Human(self.style()),
            OutputFormat::Json => cbspec_suite::report::ConsoleFormat::Json,
        }
    }

    /// Whether people read the output (so a progress bar and notes on
    /// standard error are welcome).
    fn for_people(&self) -> bool {
        self.format == OutputFormat::Human
    }

    fn style(&self) -> cbspec_suite::report::ConsoleStyle {
        use cbspec_suite::report::Detail;
        cbspec_suite::report::ConsoleStyle {
            color: cbspec_suite::report::console::color_wanted(
                &self.color,
                std::io::IsTerminal::is_terminal(&std::io::stdout()),
            ),
            detail: if self.quiet {
                Detail::Quiet
            } else if self.verbose {
                Detail::Verbose
            } else {
                Detail::Normal
            },
        }
    }
}

/// Exit code for a usage or setup error (also what clap uses).
const EXIT_USAGE: u8 = 2;

/// Why a command could not do its job: bad input, a missing file, a server
/// or adapter that would not start. `main` prints each one as `error: ...`
/// and exits with [`EXIT_USAGE`]; a command's own verdicts (pass, fail,
/// signature invalid) are its `Ok` exit code.
#[derive(Debug, thiserror::Error)]
enum CliError {
    /// Input the command cannot use, with what to do instead.
    #[error("{0}")]
    Usage(String),
    /// The requirement file.
    #[error("{0} (run from the repository root, or pass --spec)")]
    Spec(#[from] cbspec_suite::scenario::SpecError),
    /// The scenario files (every problem, one per line).
    #[error("the scenario files have errors:\n{0}")]
    Scenarios(#[from] cbspec_suite::scenario::LoadErrors),
    /// The driver registry.
    #[error(transparent)]
    Registry(#[from] cbspec_suite::runner::driver::external::RegistryError),
    /// An SDK adapter that would not start.
    #[error(transparent)]
    Adapter(#[from] cbspec_suite::runner::driver::external::AdapterError),
    /// A value given inline or as `@file`.
    #[error(transparent)]
    Input(#[from] input::InputError),
    /// An expectation file.
    #[error(transparent)]
    Expectations(#[from] cbspec_suite::runner::ExpectationsError),
    /// A run that could not be set up.
    #[error(transparent)]
    Run(#[from] cbspec_suite::runner::RunError),
    /// A report file or the console.
    #[error(transparent)]
    Report(#[from] cbspec_suite::report::ReportError),
    /// The async runtime.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

/// A flag value that must not be empty (`--region ''`, `--tls-name ''`).
fn non_empty(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(text.to_owned())
    }
}

/// A `--resolve NAME=IP` entry (as curl's `--resolve`, without the port:
/// the port comes from each URL).
fn resolve_entry(text: &str) -> Result<(String, std::net::IpAddr), String> {
    let (name, ip) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not NAME=IP, e.g. cb.example.test=127.0.0.1"))?;
    if name.is_empty() || name.contains([':', '/', ' ']) {
        return Err(format!("{name:?} is not a host name"));
    }
    let ip = ip
        .parse()
        .map_err(|_| format!("{ip:?} is not an IP address (in {text:?})"))?;
    Ok((name.to_ascii_lowercase(), ip))
}

/// A usage error with this message.
fn usage(message: impl std::fmt::Display) -> CliError {
    CliError::Usage(message.to_string())
}

/// Reads the requirements and the scenario suite, as `run` and `matrix` need
/// them.
fn load_suite(
    spec: &std::path::Path,
    scenarios: &std::path::Path,
) -> Result<
    (
        std::collections::HashMap<String, cbspec_suite::scenario::Requirement>,
        Vec<cbspec_suite::scenario::LoadedScenario>,
    ),
    CliError,
> {
    let requirements = cbspec_suite::scenario::read_requirements(spec)?;
    let loaded = cbspec_suite::scenario::load_dir(scenarios, &requirements)?;
    Ok((requirements, loaded))
}

/// The async runtime the network commands run on.
fn new_runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Runtime::new().map_err(CliError::Runtime)
}

/// Parses the arguments and runs the subcommand: its exit code, or the
/// error that stopped it.
fn try_main() -> Result<u8, CliError> {
    let cli = Cli::parse();
    match cli.command {
        Command::Render(args) => render::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Emulator(args) => emulator::run(&args),
        Command::Capture(args) => capture::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Matrix(args) => matrix::run(&args),
        Command::TlsCert(args) => tls_cert::run(&args),
        Command::Probe(args) => probe::run(&args),
        Command::Vectors(args) => vectors::run(&args),
    }
}

/// The one place errors become a message and an exit code.
fn main() -> ExitCode {
    match try_main() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
