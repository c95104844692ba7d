//! The `cbspec` command line: argument parsing and dispatch. Each
//! subcommand lives in its own module and returns its exit code.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod capture;
mod emulator;
mod input;
mod matrix;
mod render;
mod run;
mod signal;
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
    Emulator(emulator::EmulatorArgs),
    /// Run the scenario suite against the embedded emulator or an OSS endpoint.
    Run(Box<run::RunArgs>),
    /// Run the capturing callback server (HTTP and HTTPS), printing each callback and its signature verdict.
    Capture(capture::CaptureArgs),
    /// Run the suite once per driver (native and each SDK adapter) and write the conformance matrix.
    Matrix(matrix::MatrixArgs),
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

/// Exit code for a usage or setup error (also what clap uses).
const EXIT_USAGE: u8 = 2;

/// Says what was wrong with a command's input or setup and gives the exit code for it.
fn usage(message: &str) -> u8 {
    eprintln!("error: {message}");
    EXIT_USAGE
}

/// Reads the requirements and the scenario suite, as `run` and `matrix` need
/// them; on failure, says why and gives the exit code.
fn load_suite(
    spec: &std::path::Path,
    scenarios: &std::path::Path,
) -> Result<
    (
        std::collections::HashMap<String, cbspec_suite::scenario::Requirement>,
        Vec<cbspec_suite::scenario::LoadedScenario>,
    ),
    u8,
> {
    let requirements = cbspec_suite::scenario::read_requirements(spec).map_err(|e| {
        usage(&format!(
            "{e} (run from the repository root, or pass --spec)"
        ))
    })?;
    let loaded = cbspec_suite::scenario::load_dir(scenarios, &requirements).map_err(|errors| {
        eprintln!("{errors}");
        usage("the scenario files have errors (listed above)")
    })?;
    Ok((requirements, loaded))
}

/// The async runtime the network commands run on; `None` (after saying why)
/// when the process cannot start one.
fn new_runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => Some(runtime),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            None
        }
    }
}

/// Parses the process arguments and runs the subcommand.
fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Render(args) => render::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Emulator(args) => emulator::run(&args),
        Command::Capture(args) => capture::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Matrix(args) => matrix::run(&args),
    };
    ExitCode::from(code)
}
