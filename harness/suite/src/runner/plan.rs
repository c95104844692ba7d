//! A whole run as data: what `cbspec run` decides from its arguments (the
//! scenarios, the driver, the target, the expectations) and the one call
//! that carries it out, so the binary only parses and reports.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use super::driver::external::{AdapterPool, DriverSpec};
use super::driver::protocol::Hello;
use super::facts::{PreflightSummary, RunFacts};
use super::preflight::{preflight, PreflightOptions};
use super::{
    DriverChoice, Expectations, RunError, RunOptions, ScenarioResult, Session, SessionConfig,
    TargetChoice, Verdict,
};
use crate::scenario::{LoadedScenario, Requirement};
use cbspec_capture::TlsIdentity;

/// Who performs the uploads, before anything is started.
#[derive(Debug, Clone)]
pub enum DriverPlan {
    /// cbspec's own client.
    Native,
    /// An SDK adapter, started from `root` with up to `pool_size` processes.
    Adapter {
        /// How to start it.
        spec: DriverSpec,
        /// The directory relative program paths are resolved from.
        root: PathBuf,
        /// How many adapter processes may run at once.
        pool_size: usize,
    },
}

/// A run, decided but not started.
pub struct RunPlan {
    /// The scenarios, in the order results are wanted.
    pub scenarios: Vec<LoadedScenario>,
    /// The requirements they cite.
    pub requirements: HashMap<String, Requirement>,
    /// Known failures and deviations of the driver.
    pub expectations: Expectations,
    /// Who uploads.
    pub driver: DriverPlan,
    /// Against what.
    pub target: TargetChoice,
    /// Where the capture server's HTTP listener binds.
    pub capture_listen: SocketAddr,
    /// Where its HTTPS listener binds (see [`SessionConfig::capture_https_listen`]).
    pub capture_https_listen: Option<SocketAddr>,
    /// The certificate the HTTPS listener serves.
    pub capture_tls: Option<TlsIdentity>,
    /// The preflight against a remote endpoint; `None` skips it.
    pub preflight: Option<PreflightOptions>,
    /// Parallelism and deadlines.
    pub options: RunOptions,
}

/// What a carried-out plan gives: each scenario's result, in plan order,
/// and the facts of the whole run.
pub struct RunOutcome {
    /// The results, in plan order.
    pub results: Vec<ScenarioResult>,
    /// What the capture server received, transport errors, the preflight.
    pub facts: RunFacts,
}

/// Carries out a plan: starts the driver (telling `on_driver` what the
/// adapter said about itself), the capture server and the target, runs the
/// preflight against a remote endpoint, runs every scenario (calling
/// `progress` after each), shuts everything down and returns the results in
/// plan order with the run's facts.
pub async fn execute_plan(
    plan: RunPlan,
    on_driver: impl FnOnce(&str, &Hello),
    progress: Arc<dyn Fn(&ScenarioResult) + Send + Sync>,
) -> Result<RunOutcome, RunError> {
    let driver = match plan.driver {
        DriverPlan::Native => DriverChoice::Native,
        DriverPlan::Adapter {
            spec,
            root,
            pool_size,
        } => {
            let pool = AdapterPool::start(spec, &root, pool_size).await?;
            on_driver(pool.name(), pool.hello());
            DriverChoice::Sdk(pool)
        }
    };
    let described = match &plan.target {
        TargetChoice::Embedded => "the embedded emulator".to_owned(),
        TargetChoice::Remote(remote) => remote.profile.to_string(),
    };
    let remote = match &plan.target {
        TargetChoice::Remote(remote) => Some(remote.as_ref().clone()),
        TargetChoice::Embedded => None,
    };
    let session = Session::start(SessionConfig {
        target: plan.target,
        driver,
        capture_listen: plan.capture_listen,
        capture_https_listen: plan.capture_https_listen,
        capture_tls: plan.capture_tls,
        requirements: plan.requirements,
        expectations: plan.expectations,
    })
    .await?;
    let preflight_summary = match (&remote, &plan.preflight) {
        (None, _) => PreflightSummary::NotNeeded,
        (Some(_), None) => PreflightSummary::Skipped,
        (Some(remote), Some(options)) => {
            let nonce = format!(
                "{:x}",
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_nanos()
            );
            match preflight(remote, session.capture(), options, &nonce).await {
                Ok(steps) => PreflightSummary::Passed(steps),
                Err(e) => {
                    session.shutdown().await;
                    return Err(RunError::Preflight(e));
                }
            }
        }
    };
    let results = session.run(&plan.scenarios, &plan.options, progress).await;
    let expecting = results
        .iter()
        .zip(&plan.scenarios)
        .filter(|(r, s)| {
            r.verdict != Verdict::Unsupported && !s.scenario.expect.callback.is_empty()
        })
        .count();
    let facts = RunFacts::collect(
        described,
        preflight_summary,
        &session.capture().requests(),
        &results,
        expecting,
    );
    session.shutdown().await;
    Ok(RunOutcome { results, facts })
}
