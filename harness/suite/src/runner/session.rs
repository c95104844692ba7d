//! A run session, the runner's one entry point: start the capture server
//! and the target (the embedded emulator pair, or a remote endpoint) once,
//! run any scenarios against them, in parallel or one at a time, then shut
//! everything down. `cbspec run`, `cbspec matrix` and the per-scenario test
//! cases all go through it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cbspec_capture::{CaptureConfig, CaptureHandle, CaptureServer, TlsIdentity};
use cbspec_emulator::EmulatorHandle;

use super::attribution::attribute;
use super::driver::DriverChoice;
use super::error::RunError;
use super::execute::{execute, Capture, ScenarioContext};
use super::judge::judge;
use super::targets::{embedded_target, endpoint_target, CaptureAdapter, RemoteEndpoint};
use super::verdict::decide;
use super::{body_type_of, transcript, Expectations, RunOptions, ScenarioResult, Target, Verdict};
use crate::scenario::{LoadedScenario, Need, Requirement};

/// What scenarios run against.
#[derive(Debug, Clone)]
pub enum TargetChoice {
    /// A fresh embedded emulator pair (the second with production rules).
    Embedded,
    /// An OSS endpoint reached over the network.
    Remote(Box<RemoteEndpoint>),
}

/// How to start a session.
#[derive(Clone)]
pub struct SessionConfig {
    /// The endpoint under test.
    pub target: TargetChoice,
    /// Who performs the uploads.
    pub driver: DriverChoice,
    /// Where the capture server's HTTP listener binds.
    pub capture_listen: SocketAddr,
    /// Where its HTTPS listener binds. Against the embedded emulator `None`
    /// takes a free port on the HTTP listener's address; against a remote
    /// endpoint `None` means no HTTPS listener.
    pub capture_https_listen: Option<SocketAddr>,
    /// The certificate the HTTPS listener serves (default: self-signed at start).
    pub capture_tls: Option<TlsIdentity>,
    /// The requirements scenarios cite, for judging levels.
    pub requirements: HashMap<String, Requirement>,
    /// Known failures and deviations of the driver.
    pub expectations: Expectations,
}

impl SessionConfig {
    /// A session against a fresh embedded emulator, capture on a free
    /// loopback port.
    pub fn embedded(
        driver: DriverChoice,
        requirements: HashMap<String, Requirement>,
        expectations: Expectations,
    ) -> Self {
        Self {
            target: TargetChoice::Embedded,
            driver,
            capture_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            capture_https_listen: None,
            capture_tls: None,
            requirements,
            expectations,
        }
    }
}

/// A started session.
pub struct Session {
    target: Arc<Target>,
    /// The capture server, as the runner reads it (the handle is inside).
    capture: Arc<CaptureAdapter>,
    emulators: Vec<EmulatorHandle>,
    requirements: Arc<HashMap<String, Requirement>>,
    expectations: Arc<Expectations>,
}

impl Session {
    /// Starts the capture server and the target.
    pub async fn start(config: SessionConfig) -> Result<Session, RunError> {
        let https_listen = match (&config.target, config.capture_https_listen) {
            (_, Some(addr)) => Some(addr),
            (TargetChoice::Embedded, None) => Some(SocketAddr::new(config.capture_listen.ip(), 0)),
            (TargetChoice::Remote(_), None) => None,
        };
        if let TargetChoice::Remote(remote) = &config.target {
            if remote.profile.callback_https_base_url.is_some() && https_listen.is_none() {
                return Err(RunError::NoHttpsListener);
            }
        }
        let capture = Arc::new(
            CaptureServer::start(CaptureConfig {
                http_listen: config.capture_listen,
                https_listen,
                tls_identity: config.capture_tls.clone(),
                ..CaptureConfig::default()
            })
            .await?,
        );
        let started = match &config.target {
            TargetChoice::Embedded => embedded_target(&capture, &config.driver).await,
            TargetChoice::Remote(remote) => {
                endpoint_target(remote, &capture, &config.driver).map(|target| (target, Vec::new()))
            }
        };
        let (target, emulators) = match started {
            Ok(started) => started,
            Err(e) => {
                capture.shutdown().await;
                return Err(e);
            }
        };
        Ok(Session {
            target: Arc::new(target),
            capture: Arc::new(CaptureAdapter(capture)),
            emulators,
            requirements: Arc::new(config.requirements),
            expectations: Arc::new(config.expectations),
        })
    }

    /// Runs scenarios in parallel (`options.jobs` at once) and returns their
    /// results in input order; `progress` is called after each finishes.
    pub async fn run(
        &self,
        scenarios: &[LoadedScenario],
        options: &RunOptions,
        progress: Arc<dyn Fn(&ScenarioResult) + Send + Sync>,
    ) -> Vec<ScenarioResult> {
        let gate = Arc::new(tokio::sync::Semaphore::new(options.jobs.max(1)));
        let mut tasks = Vec::new();
        for (index, loaded) in scenarios.iter().cloned().enumerate() {
            let runner = self.shared();
            let (gate, progress) = (gate.clone(), progress.clone());
            let deadline = options.deadline;
            tasks.push(tokio::spawn(async move {
                let _permit = gate.acquire_owned().await.ok();
                let result = runner.run_scenario(index, &loaded, deadline).await;
                progress(&result);
                result
            }));
        }
        let mut results = Vec::with_capacity(tasks.len());
        for (task, loaded) in tasks.into_iter().zip(scenarios) {
            results.push(task.await.unwrap_or_else(|e| {
                let mut result = blank_result(loaded);
                result.verdict = Verdict::Fail;
                result.message = format!("the runner crashed on this scenario: {e}");
                result
            }));
        }
        results
    }

    /// Runs one scenario. `index` names its capture path (`/s/<index>`) and
    /// must differ between scenarios that run at the same time.
    pub async fn run_scenario(
        &self,
        index: usize,
        loaded: &LoadedScenario,
        deadline: Duration,
    ) -> ScenarioResult {
        self.shared().run_scenario(index, loaded, deadline).await
    }

    /// The capture server (for the preflight and the run's facts).
    pub fn capture(&self) -> &CaptureHandle {
        &self.capture.0
    }

    /// What the scenarios run against.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Stops the emulators and the capture server.
    pub async fn shutdown(self) {
        for emulator in self.emulators {
            emulator.shutdown().await;
        }
        self.capture.0.shutdown().await;
    }

    fn shared(&self) -> SharedRunner {
        SharedRunner {
            target: self.target.clone(),
            capture: self.capture.clone(),
            requirements: self.requirements.clone(),
            expectations: self.expectations.clone(),
        }
    }
}

/// What a spawned scenario task holds of the session.
struct SharedRunner {
    target: Arc<Target>,
    capture: Arc<CaptureAdapter>,
    requirements: Arc<HashMap<String, Requirement>>,
    expectations: Arc<Expectations>,
}

fn blank_result(loaded: &LoadedScenario) -> ScenarioResult {
    let scenario = &loaded.scenario;
    ScenarioResult {
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
        transport_failure: None,
        tags: scenario.tags.clone(),
    }
}

impl SharedRunner {
    async fn run_scenario(
        &self,
        index: usize,
        loaded: &LoadedScenario,
        deadline: Duration,
    ) -> ScenarioResult {
        let target = self.target.as_ref();
        let capture: &dyn Capture = self.capture.as_ref();
        let scenario = &loaded.scenario;
        let started = Instant::now();
        let mut result = blank_result(loaded);
        if let Some(why) = self.expectations.cannot_express(&scenario.id) {
            result.verdict = Verdict::Unsupported;
            result.message = format!("the driver cannot make this upload: {why}");
            return result;
        }
        if let Some(why) = target
            .capabilities
            .refusal(&scenario.needs, scenario.upload.signing())
        {
            result.verdict = Verdict::Unsupported;
            result.message = format!("the target does not offer {why}");
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
        result.transport_failure =
            observation
                .transport_error
                .as_ref()
                .map(|message| super::TransportFailure {
                    cause: observation.transport_cause,
                    message: message.clone(),
                });
        let mut tokens = target.tokens.clone();
        tokens.bucket = target.bucket.clone();
        result.mismatches = judge(&scenario.expect, &observation, &tokens);
        result
            .mismatches
            .extend(observation.sdk_mismatches.iter().cloned());
        attribute(
            &mut result.mismatches,
            scenario,
            &observation,
            &tokens,
            &self.requirements,
        );
        result.transcript = transcript::render(loaded, &observation, &ctx.prefix, &tokens);
        let decision = decide(
            &scenario.id,
            &scenario.requirements,
            &result.mismatches,
            &self.requirements,
            &self.expectations,
            target.capabilities.is_reference,
        );
        result.verdict = decision.verdict;
        result.message = decision.message;
        result.known_deviations = decision.known_deviations;
        result
    }
}
