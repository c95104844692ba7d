//! Run-level facts: what the capture server received during the whole run
//! (how many callback requests, from which peers, naming which key URLs,
//! with which signature verdicts), the transport errors by cause, and what
//! the preflight found. Every report shows them, because per-scenario
//! verdicts alone cannot tell "the endpoint never calls back" from "the
//! endpoint calls back wrongly". Pure: built from recorded data.

use std::collections::BTreeMap;

use serde::Serialize;

use cbspec_capture::CapturedRequest;

use super::ScenarioResult;

/// The capture path prefix every scenario's callbacks land under.
pub const SCENARIO_CAPTURE_PREFIX: &str = "/s/";

/// What one preflight step found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreflightStepReport {
    /// The step's name (`endpoint`, `credentials`, `bucket`, `callback`, `callback-https`).
    pub step: String,
    /// What it found.
    pub detail: String,
}

/// Whether and how the preflight ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "steps")]
pub enum PreflightSummary {
    /// The target is the embedded emulator: there is nothing to check.
    NotNeeded,
    /// `--skip-preflight` was given.
    Skipped,
    /// Every step passed.
    Passed(Vec<PreflightStepReport>),
}

/// Transport errors of one cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransportErrors {
    /// How many scenarios' uploads failed this way.
    pub count: usize,
    /// The first scenario it happened in, and its message.
    pub first: (String, String),
}

/// What a run tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Subject {
    /// An OSS endpoint (`cbspec run`).
    #[default]
    Endpoint,
    /// A callback receiver (`cbspec probe`).
    Receiver,
}

/// The facts of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunFacts {
    /// What kind of thing was tested.
    pub subject: Subject,
    /// What ran against what, for people.
    pub target: String,
    /// The preflight.
    pub preflight: PreflightSummary,
    /// Callback requests the capture server received for the scenarios.
    pub callbacks_received: usize,
    /// How many scenarios expected at least one callback.
    pub scenarios_expecting_callbacks: usize,
    /// Callback requests by peer address (IP only).
    pub peers: BTreeMap<String, usize>,
    /// Callback requests by the key URL they named.
    pub key_urls: BTreeMap<String, usize>,
    /// Callback requests by signature verdict.
    pub signatures: BTreeMap<String, usize>,
    /// Failed uploads by cause (`refused`, `reset`, `timeout`, `tls`, `dns`, `driver`, ...).
    pub transport_errors: BTreeMap<String, TransportErrors>,
    /// `cbspec probe`: requests the key server received, by `Host` and target.
    pub key_fetches: BTreeMap<String, usize>,
}

impl RunFacts {
    /// Collects the facts from what the capture server recorded and the
    /// scenarios' results. Requests outside the scenario paths (the
    /// preflight canaries, strays) are not counted as the run's callbacks.
    pub fn collect(
        target: String,
        preflight: PreflightSummary,
        requests: &[CapturedRequest],
        results: &[ScenarioResult],
        scenarios_expecting_callbacks: usize,
    ) -> Self {
        let mut facts = RunFacts {
            subject: Subject::Endpoint,
            target,
            preflight,
            callbacks_received: 0,
            scenarios_expecting_callbacks,
            peers: BTreeMap::new(),
            key_urls: BTreeMap::new(),
            signatures: BTreeMap::new(),
            transport_errors: BTreeMap::new(),
            key_fetches: BTreeMap::new(),
        };
        for request in requests
            .iter()
            .filter(|r| r.target.starts_with(SCENARIO_CAPTURE_PREFIX))
        {
            facts.callbacks_received += 1;
            *facts
                .peers
                .entry(request.peer.ip().to_string())
                .or_default() += 1;
            let key_url = request.signature.key_url().unwrap_or("(none)").to_owned();
            *facts.key_urls.entry(key_url).or_default() += 1;
            *facts
                .signatures
                .entry(request.signature.word().to_owned())
                .or_default() += 1;
        }
        for result in results {
            let Some(failure) = &result.transport_failure else {
                continue;
            };
            let cause = failure.cause.map_or("driver", |c| c.word()).to_owned();
            facts
                .transport_errors
                .entry(cause)
                .and_modify(|e| e.count += 1)
                .or_insert_with(|| TransportErrors {
                    count: 1,
                    first: (result.id.clone(), failure.message.clone()),
                });
        }
        facts
    }

    /// The facts of a `cbspec probe` run: what was probed and the requests
    /// the key server received, by `Host` and target.
    pub fn for_receiver(target: String, key_fetches: BTreeMap<String, usize>) -> Self {
        RunFacts {
            subject: Subject::Receiver,
            key_fetches,
            ..Self::collect(target, PreflightSummary::NotNeeded, &[], &[], 0)
        }
    }

    /// Warnings a person must see: no callback at all although scenarios
    /// expected some, callbacks whose key URL the capture server refused,
    /// and uploads that never got an answer.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.callbacks_received == 0 && self.scenarios_expecting_callbacks > 0 {
            out.push(format!(
                "no callback request reached the capture server during the run, although {} scenarios expected one: does the endpoint implement upload callbacks, and can it reach the callback base URL?",
                self.scenarios_expecting_callbacks
            ));
        }
        if let Some(refused) = self.signatures.get("key-url-refused") {
            out.push(format!(
                "{refused} callback requests named a key URL the capture server refused: allow the endpoint's key URL with --allow-key-url-prefix or the profile's key_url_prefixes"
            ));
        }
        for (cause, errors) in &self.transport_errors {
            out.push(format!(
                "{} uploads got no answer ({cause}); first in {}: {}",
                errors.count, errors.first.0, errors.first.1
            ));
        }
        out
    }

    /// The facts as indented lines for people (console, HTML, JUnit).
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!("target: {}", self.target)];
        let counted = |map: &BTreeMap<String, usize>| {
            if map.is_empty() {
                "none".to_owned()
            } else {
                map.iter()
                    .map(|(k, n)| format!("{k} ({n})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        if self.subject == Subject::Receiver {
            out.push(format!(
                "key server requests: {}",
                counted(&self.key_fetches)
            ));
            return out;
        }
        out.push(match &self.preflight {
            PreflightSummary::NotNeeded => "preflight: not needed (embedded emulator)".into(),
            PreflightSummary::Skipped => "preflight: skipped (--skip-preflight)".into(),
            PreflightSummary::Passed(steps) => format!(
                "preflight: passed ({})",
                steps
                    .iter()
                    .map(|s| format!("{}: {}", s.step, s.detail))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        });
        out.push(format!(
            "callbacks received: {} (scenarios expecting callbacks: {})",
            self.callbacks_received, self.scenarios_expecting_callbacks
        ));
        out.push(format!("callback peers: {}", counted(&self.peers)));
        out.push(format!("callback key URLs: {}", counted(&self.key_urls)));
        out.push(format!(
            "callback signatures: {}",
            counted(&self.signatures)
        ));
        if self.transport_errors.is_empty() {
            out.push("transport errors: none".into());
        } else {
            for (cause, errors) in &self.transport_errors {
                out.push(format!(
                    "transport errors ({cause}): {}; first in {}: {}",
                    errors.count, errors.first.0, errors.first.1
                ));
            }
        }
        out
    }
}
