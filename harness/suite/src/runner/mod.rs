//! Runs scenarios against a target through a driver and judges them.
//!
//! The target is any OSS endpoint reached over HTTP: the embedded emulator
//! is judged exactly like any other endpoint.

pub mod attribution;
mod bucket_setup;
pub mod driver;
mod error;
pub mod execute;
pub mod expectations;
pub mod facts;
pub mod judge;
pub mod observation;
pub mod plan;
pub mod preflight;
pub mod select;
pub mod session;
pub mod targets;
pub mod transcript;
pub mod verdict;

pub use driver::DriverChoice;
pub use error::RunError;
pub use facts::RunFacts;
pub use plan::{execute_plan, DriverPlan, RunOutcome, RunPlan};
pub use preflight::{PreflightError, PreflightOptions};
pub use session::{Session, SessionConfig, TargetChoice};
pub use targets::RemoteEndpoint;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

pub use driver::{Driver, DriverOutcome, NativeDriver, UploadPlan};
pub use execute::{Capture, Endpoints, KeyLocks, WireLog};
pub use expectations::{Expectations, ExpectationsError};
use observation::{Mismatch, Tokens};

use crate::scenario::{AuthVersion, LoadedScenario, Need};
use cbspec_client::OssClient;

/// A scenario's outcome, as in design.md's judging rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Everything matched.
    Pass,
    /// A MUST requirement was broken.
    Fail,
    /// Only SHOULD requirements were broken.
    NonStrict,
    /// An implementation-defined behaviour was recorded, not judged.
    Info,
    /// The target cannot do what the scenario needs.
    Unsupported,
    /// Failed, as the expectations file says it will.
    Xfail,
    /// Listed as expected to fail, but passed.
    Xpass,
}

impl Verdict {
    /// Every verdict, in the order reports list them.
    pub const ALL: [Verdict; 7] = [
        Verdict::Pass,
        Verdict::Fail,
        Verdict::NonStrict,
        Verdict::Info,
        Verdict::Unsupported,
        Verdict::Xfail,
        Verdict::Xpass,
    ];

    /// The word used in every report.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::NonStrict => "non-strict",
            Verdict::Info => "info",
            Verdict::Unsupported => "unsupported",
            Verdict::Xfail => "xfail",
            Verdict::Xpass => "xpass",
        }
    }

    /// Whether the verdict makes the run fail (`strict` also counts non-strict).
    pub fn is_failure(self, strict: bool) -> bool {
        matches!(self, Verdict::Fail | Verdict::Xpass) || (strict && self == Verdict::NonStrict)
    }
}

/// The outcome of one scenario.
#[derive(Debug, Clone)]
pub struct ScenarioResult {
    /// Scenario id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Requirement IDs.
    pub requirements: Vec<String>,
    /// Operation name, for grouping.
    pub operation: String,
    /// Body type (`form`, `json`, or `-`), for grouping.
    pub body_type: String,
    /// The verdict.
    pub verdict: Verdict,
    /// One line for people.
    pub message: String,
    /// Every mismatch.
    pub mismatches: Vec<Mismatch>,
    /// Normalised wire transcript.
    pub transcript: String,
    /// How long it took.
    pub duration: Duration,
    /// Where it is defined.
    pub location: String,
    /// Requirements whose mismatches here the expectations file lists as
    /// known deviations of the driver.
    pub known_deviations: Vec<String>,
    /// Why the upload got no answer, when it got none.
    pub transport_failure: Option<TransportFailure>,
    /// The scenario's tags, for filtering reports.
    pub tags: Vec<String>,
}

/// An upload that got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportFailure {
    /// What went wrong below HTTP, when the native client could tell.
    pub cause: Option<cbspec_client::TransportCause>,
    /// The message.
    pub message: String,
}

/// What the target offers: every need it lacks, with the reason that
/// `unsupported` verdicts give, and the signing versions it accepts.
#[derive(Debug, Clone, Default)]
pub struct Capabilities {
    /// Needs the target does not satisfy, each with why.
    pub lacks: BTreeMap<Need, String>,
    /// Whether the target is the embedded emulator (held to IMPLEMENTATION-DEFINED choices).
    pub is_reference: bool,
    /// Signing versions the target accepts.
    pub signing: BTreeSet<AuthVersion>,
}

impl Capabilities {
    /// Offers every need and both signing versions (the embedded emulator).
    pub fn everything() -> Self {
        Self {
            lacks: BTreeMap::new(),
            is_reference: true,
            signing: [AuthVersion::V1, AuthVersion::V4].into(),
        }
    }

    /// Why the target cannot run a scenario with these needs and this
    /// signing version, or `None` when it can.
    pub(crate) fn refusal(&self, needs: &[Need], signing: AuthVersion) -> Option<String> {
        let mut reasons: Vec<String> = needs
            .iter()
            .filter_map(|n| self.lacks.get(n).map(|why| format!("{}: {why}", n.word())))
            .collect();
        if !self.signing.contains(&signing) {
            reasons.push(format!(
                "{} signing: the profile's signing list does not include it",
                signing.word()
            ));
        }
        (!reasons.is_empty()).then(|| reasons.join("; "))
    }
}

/// One endpoint as scenarios use it: the driver that uploads, the native
/// client that reads objects back, and the endpoint's journal if it has one.
pub struct Lane {
    /// The driver that performs uploads.
    pub driver: Arc<dyn Driver>,
    /// The native client the harness reads objects back with.
    pub client: OssClient,
    /// What the endpoint received (the embedded emulator's journal).
    pub wire: Option<Arc<dyn WireLog>>,
}

/// A target: the endpoint, and a second one with production rules when the
/// target is the emulator.
pub struct Target {
    /// The endpoint most scenarios use.
    pub main: Lane,
    /// The endpoint for scenarios needing production rules, if different.
    pub production: Option<Lane>,
    /// The bucket.
    pub bucket: String,
    /// What it offers.
    pub capabilities: Capabilities,
    /// URL bases for callbacks.
    pub endpoints: Endpoints,
    /// `{capture}` / `{captures}` / `{client_ip}` values.
    pub tokens: Tokens,
    /// Per-object locks for judging an SDK's wire traffic.
    pub key_locks: KeyLocks,
}

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Scenarios at once.
    pub jobs: usize,
    /// Per-scenario deadline.
    pub deadline: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            jobs: 16,
            deadline: Duration::from_secs(30),
        }
    }
}

pub(crate) fn body_type_of(loaded: &LoadedScenario) -> String {
    loaded
        .scenario
        .callback
        .as_ref()
        .and_then(|c| c.body_type.clone())
        .map_or_else(
            || {
                if loaded.scenario.callback.is_some() {
                    "form".into()
                } else {
                    "-".into()
                }
            },
            |t| match t.as_str() {
                "json" | "form" => t,
                _ => "other".into(),
            },
        )
}
