//! Drivers: what performs a scenario's upload. The native client runs in
//! process; external SDK adapters implement the same trait, answering
//! `Unsupported` for what their SDK cannot do, so new scenarios never break
//! old drivers.

pub mod external;
pub mod native;
pub mod protocol;
pub mod sent;
pub mod surfaced;

pub(crate) use native::observed;
pub use native::{NativeDriver, NativeError};

use cbspec_emulator::TemporaryCredential;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::runner::observation::{ObservedAnswer, SurfacedAnswer};
use crate::scenario::LoadedScenario;
use cbspec_client::OssClient;
use cbspec_protocol::auth::Credentials;
use cbspec_protocol::callback_json::CallbackFields;
use external::{AdapterPool, ExternalDriver};

/// One upload to perform: the scenario (in its own terms, for drivers that
/// build the callback themselves) and the encoded parameters (for drivers
/// that pass them through).
pub struct UploadPlan<'a> {
    /// The scenario.
    pub scenario: &'a LoadedScenario,
    /// The bucket.
    pub bucket: &'a str,
    /// The `callback` parameter value, with callback URLs resolved.
    pub callback: Option<String>,
    /// The `callback-var` parameter value.
    pub vars: Option<String>,
    /// The callback as fields, for SDKs that build the JSON themselves;
    /// `None` when the scenario gives it only as raw text.
    pub callback_fields: Option<CallbackFields>,
    /// The custom variables as `(x:name, value)`, likewise.
    pub vars_fields: Option<Vec<(String, String)>>,
}

/// How a driver's attempt ended.
#[derive(Debug, Clone)]
pub enum DriverOutcome {
    /// The endpoint answered (the native client sees the raw answer).
    Answer(ObservedAnswer),
    /// An SDK got an answer and handed this to its caller.
    Surfaced(Box<SurfacedAnswer>),
    /// The request could not be made (connection, timeout, SDK error).
    Failed {
        /// What went wrong below HTTP, when the native client knows it.
        cause: Option<cbspec_client::TransportCause>,
        /// What went wrong, for people.
        message: String,
    },
    /// The driver cannot express this upload.
    Unsupported(String),
}

impl DriverOutcome {
    /// A failure with no transport cause (an SDK or adapter error).
    pub fn failed(message: impl Into<String>) -> Self {
        DriverOutcome::Failed {
            cause: None,
            message: message.into(),
        }
    }
}

/// Performs uploads.
pub trait Driver: Send + Sync {
    /// The driver's name in reports.
    fn name(&self) -> &str;
    /// Whether the driver is an SDK whose requests and surfaced answers are
    /// judged (drivers/PROTOCOL.md §4); the native client is the reference.
    fn is_sdk(&self) -> bool {
        false
    }
    /// Performs one upload.
    fn perform<'a>(
        &'a self,
        plan: &'a UploadPlan<'a>,
    ) -> Pin<Box<dyn Future<Output = DriverOutcome> + Send + 'a>>;
}

/// Who performs the uploads: the native client, or an SDK adapter.
#[derive(Clone, Default)]
pub enum DriverChoice {
    /// cbspec's own client.
    #[default]
    Native,
    /// An SDK through its adapter processes.
    Sdk(Arc<AdapterPool>),
}

impl DriverChoice {
    pub(crate) fn driver_for(
        &self,
        client: &OssClient,
        credentials: &Credentials,
        temporary: Option<&TemporaryCredential>,
    ) -> Arc<dyn Driver> {
        match self {
            DriverChoice::Native => Arc::new(NativeDriver::new(client.clone(), temporary.cloned())),
            DriverChoice::Sdk(pool) => Arc::new(ExternalDriver::new(
                pool.clone(),
                client.endpoint(),
                client.region(),
                credentials.clone(),
                temporary.cloned(),
            )),
        }
    }
}
