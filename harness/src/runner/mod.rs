//! Runs scenarios against a target through a driver and judges them.
//!
//! The target is any OSS endpoint reached over HTTP: the embedded emulator
//! is judged exactly like any other endpoint.

pub mod driver;
pub mod driver_protocol;
pub mod execute;
pub mod expectations;
pub mod external;
pub mod judge;
pub mod sdk;
pub mod select;
pub mod targets;
pub mod transcript;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

pub use driver::{Driver, DriverOutcome, NativeDriver, UploadPlan};
use execute::{execute, ScenarioContext};
pub use execute::{Capture, Endpoints, KeyLocks, WireLog};
pub use expectations::Expectations;
use judge::{judge, Mismatch, Tokens};

use crate::client::OssClient;
use crate::scenario::{LoadedScenario, Need, Requirement};

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
}

/// What the target offers.
#[derive(Debug, Clone, Default)]
pub struct Capabilities {
    /// Needs the target satisfies.
    pub offers: BTreeSet<Need>,
    /// Whether the target is the embedded emulator (held to IMPLEMENTATION-DEFINED choices).
    pub is_reference: bool,
}

impl Capabilities {
    /// Offers every need.
    pub fn everything() -> Self {
        Self {
            offers: [
                Need::PrivateCallbacks,
                Need::ShortTimeout,
                Need::TlsCapture,
                Need::ProductionRules,
            ]
            .into(),
            is_reference: true,
        }
    }

    /// Offers these needs.
    pub fn with(needs: &[Need], is_reference: bool) -> Self {
        Self {
            offers: needs.iter().copied().collect(),
            is_reference,
        }
    }

    fn missing(&self, needs: &[Need]) -> Vec<Need> {
        needs
            .iter()
            .copied()
            .filter(|n| !self.offers.contains(n))
            .collect()
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

/// Runs scenarios in parallel and returns their results in input order.
/// `progress` is called after each scenario finishes.
pub async fn run(
    scenarios: &[LoadedScenario],
    target: Arc<Target>,
    capture: Arc<dyn Capture>,
    requirements: Arc<HashMap<String, Requirement>>,
    expectations: Arc<Expectations>,
    options: &RunOptions,
    progress: Arc<dyn Fn(&ScenarioResult) + Send + Sync>,
) -> Vec<ScenarioResult> {
    let gate = Arc::new(tokio::sync::Semaphore::new(options.jobs.max(1)));
    let mut tasks = Vec::new();
    for (index, loaded) in scenarios.iter().cloned().enumerate() {
        let (target, capture, requirements, expectations, gate, progress) = (
            target.clone(),
            capture.clone(),
            requirements.clone(),
            expectations.clone(),
            gate.clone(),
            progress.clone(),
        );
        let deadline = options.deadline;
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.ok();
            let result = run_one(
                index,
                &loaded,
                &target,
                capture.as_ref(),
                &requirements,
                &expectations,
                deadline,
            )
            .await;
            progress(&result);
            result
        }));
    }
    let mut results = Vec::with_capacity(tasks.len());
    for (task, loaded) in tasks.into_iter().zip(scenarios) {
        results.push(task.await.unwrap_or_else(|e| ScenarioResult {
            id: loaded.scenario.id.clone(),
            title: loaded.scenario.title.clone(),
            requirements: loaded.scenario.requirements.clone(),
            operation: loaded.scenario.upload.operation.name().to_owned(),
            body_type: body_type_of(loaded),
            verdict: Verdict::Fail,
            message: format!("the runner crashed on this scenario: {e}"),
            mismatches: Vec::new(),
            transcript: String::new(),
            duration: Duration::ZERO,
            location: format!("{}:{}", loaded.file.display(), loaded.line),
            known_deviations: Vec::new(),
        }));
    }
    results
}

fn body_type_of(loaded: &LoadedScenario) -> String {
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

async fn run_one(
    index: usize,
    loaded: &LoadedScenario,
    target: &Target,
    capture: &dyn Capture,
    requirements: &HashMap<String, Requirement>,
    expectations: &Expectations,
    deadline: Duration,
) -> ScenarioResult {
    let scenario = &loaded.scenario;
    let started = Instant::now();
    let mut result = ScenarioResult {
        id: scenario.id.clone(),
        title: scenario.title.clone(),
        requirements: scenario.requirements.clone(),
        operation: scenario.upload.operation.name().to_owned(),
        body_type: body_type_of(loaded),
        verdict: Verdict::Pass,
        message: String::new(),
        mismatches: Vec::new(),
        transcript: String::new(),
        duration: Duration::ZERO,
        location: format!("{}:{}", loaded.file.display(), loaded.line),
        known_deviations: Vec::new(),
    };
    let missing = target.capabilities.missing(&scenario.needs);
    if !missing.is_empty() {
        result.verdict = Verdict::Unsupported;
        result.message = format!("the target does not offer {missing:?}");
        return result;
    }
    let lane = match &target.production {
        Some(production) if scenario.needs.contains(&Need::ProductionRules) => production,
        _ => &target.main,
    };
    let driver = lane.driver.as_ref();
    let ctx = ScenarioContext {
        driver,
        client: &lane.client,
        bucket: &target.bucket,
        capture,
        endpoints: &target.endpoints,
        prefix: format!("/s/{index}"),
        wire: lane.wire.as_deref(),
        key_locks: &target.key_locks,
    };
    let observation = match tokio::time::timeout(deadline, execute(loaded, &ctx)).await {
        Ok(observation) => observation,
        Err(_) => {
            result.verdict = Verdict::Fail;
            result.message =
                format!("the scenario did not finish within its {deadline:?} deadline");
            result.duration = started.elapsed();
            return result;
        }
    };
    result.duration = started.elapsed();
    if let Some(why) = &observation.unsupported {
        result.verdict = Verdict::Unsupported;
        result.message = format!("driver {}: {why}", driver.name());
        return result;
    }
    let mut tokens = target.tokens.clone();
    tokens.bucket = target.bucket.clone();
    result.mismatches = judge(&scenario.expect, &observation, &tokens);
    result
        .mismatches
        .extend(observation.sdk_mismatches.iter().cloned());
    result.transcript = transcript::render(loaded, &observation, &ctx.prefix, &tokens);
    let failed = !result.mismatches.is_empty();
    // A mismatch tagged with a requirement the expectations list as a known
    // deviation of this driver does not count against it.
    let (known, unknown): (Vec<&Mismatch>, Vec<&Mismatch>) =
        result.mismatches.iter().partition(|m| {
            m.requirement
                .as_deref()
                .is_some_and(|id| expectations.deviation(id).is_some())
        });
    let mut known_ids: Vec<String> = known.iter().filter_map(|m| m.requirement.clone()).collect();
    known_ids.sort();
    known_ids.dedup();
    let broken: Vec<String> = unknown
        .iter()
        .flat_map(|m| match &m.requirement {
            Some(id) => vec![id.clone()],
            None => scenario.requirements.clone(),
        })
        .collect();
    result.verdict = if !failed {
        Verdict::Pass
    } else if unknown.is_empty() {
        Verdict::Xfail
    } else {
        verdict_for_failure(&broken, requirements, target.capabilities.is_reference)
    };
    result.message = match unknown.first().or(known.first()) {
        Some(first) => format!(
            "{first}{}",
            if result.mismatches.len() > 1 {
                format!(" (+{} more)", result.mismatches.len() - 1)
            } else {
                String::new()
            }
        ),
        None => "as expected".into(),
    };
    if !known_ids.is_empty() {
        let reasons: Vec<String> = known_ids
            .iter()
            .map(|id| format!("{id}: {}", expectations.deviation(id).unwrap_or_default()))
            .collect();
        result.message = format!(
            "{} [known deviation: {}]",
            result.message,
            reasons.join("; ")
        );
    }
    result.known_deviations = known_ids;
    if let Some(reason) = expectations.reason(&scenario.id) {
        result.verdict = if failed {
            Verdict::Xfail
        } else {
            Verdict::Xpass
        };
        result.message = format!("{} [expected to fail: {reason}]", result.message);
    }
    result
}

/// The verdict for a scenario with mismatches: its strictest requirement
/// decides. The reference emulator is held to IMPLEMENTATION-DEFINED choices.
pub fn verdict_for_failure(
    ids: &[String],
    requirements: &HashMap<String, Requirement>,
    is_reference: bool,
) -> Verdict {
    let levels: Vec<&str> = ids
        .iter()
        .filter_map(|id| requirements.get(id))
        .map(|r| r.level.as_str())
        .collect();
    if levels.contains(&"MUST") {
        Verdict::Fail
    } else if levels.contains(&"SHOULD") {
        Verdict::NonStrict
    } else if is_reference {
        Verdict::Fail
    } else {
        Verdict::Info
    }
}
