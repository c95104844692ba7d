//! A whole run as data: what `cbspec run` decides from its arguments (the
//! scenarios, the driver, the target, the expectations) and the one call
//! that carries it out, so the binary only parses and reports.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use super::driver::external::{AdapterPool, DriverSpec};
use super::driver::protocol::Hello;
use super::{
    DriverChoice, Expectations, RunError, RunOptions, ScenarioResult, Session, SessionConfig,
    TargetChoice,
};
use crate::scenario::{LoadedScenario, Requirement};

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
    /// Parallelism and deadlines.
    pub options: RunOptions,
}

/// Carries out a plan: starts the driver (telling `on_driver` what the
/// adapter said about itself), the capture server and the target, runs every
/// scenario (calling `progress` after each), shuts everything down and
/// returns the results in plan order.
pub async fn execute_plan(
    plan: RunPlan,
    on_driver: impl FnOnce(&str, &Hello),
    progress: Arc<dyn Fn(&ScenarioResult) + Send + Sync>,
) -> Result<Vec<ScenarioResult>, RunError> {
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
    let session = Session::start(SessionConfig {
        target: plan.target,
        driver,
        capture_listen: plan.capture_listen,
        requirements: plan.requirements,
        expectations: plan.expectations,
    })
    .await?;
    let results = session.run(&plan.scenarios, &plan.options, progress).await;
    session.shutdown().await;
    Ok(results)
}
