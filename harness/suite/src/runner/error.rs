//! Why a run could not start or a setup step failed: the runner's one error
//! type, so the binary maps each to a message and an exit code in one place.

use cbspec_capture::CaptureError;
use cbspec_emulator::StartError;

/// A run that could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The capture server did not start.
    #[error("cannot start the capture server: {0}")]
    Capture(#[from] CaptureError),
    /// An embedded emulator did not start.
    #[error("cannot start the emulator: {0}")]
    Emulator(#[from] StartError),
    /// The native client could not be built.
    #[error("cannot build the OSS client: {0}")]
    Client(String),
    /// No port could be reserved for the "refused" callback URL.
    #[error("cannot reserve a closed port for refused callbacks: {0}")]
    ReservePort(std::io::Error),
    /// The capture server was started without the HTTPS listener the
    /// embedded target needs.
    #[error("the capture server has no HTTPS listener: give --capture-https-listen ADDR for the HTTPS callback base URL")]
    NoHttpsListener,
    /// A preflight step failed: the run would mean nothing.
    #[error(transparent)]
    Preflight(#[from] super::preflight::PreflightError),
    /// The emulator's key URL is not a usable allowlist prefix.
    #[error("the emulator's key URL base cannot be allowed: {0}")]
    KeyPrefix(cbspec_protocol::signature::PrefixError),
    /// The SDK adapter did not start.
    #[error(transparent)]
    Adapter(#[from] crate::runner::driver::external::AdapterError),
    /// A remote endpoint was named without what it needs.
    #[error("{0}")]
    Remote(String),
}
