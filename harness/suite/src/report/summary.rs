//! The one summary every reporter renders: what ran (cbspec version and
//! commit, driver and SDK, target, start and duration), how many scenarios
//! got each verdict, and the failures ranked by the requirement they break.
//! Pure: built from the results, so every report of a run agrees.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::runner::{RunFacts, ScenarioResult, Verdict};
use crate::scenario::Requirement;

/// What ran, known before the first scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunInfo {
    /// `cbspec` and its version.
    pub tool: String,
    /// The commit cbspec was built from, or `unknown`.
    pub commit: String,
    /// The command (`run`, `probe`).
    pub command: String,
    /// The driver's registry name (`native`, `oss2`, …).
    pub driver: String,
    /// The SDK and its version, with the runtime, when an adapter uploads.
    pub sdk: Option<String>,
    /// What was tested: the embedded emulator, an endpoint profile, a receiver.
    pub target: String,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    /// The same, as a time.
    #[serde(skip)]
    pub started: SystemTime,
}

impl RunInfo {
    /// The info of a run starting now.
    pub fn now(command: &str, driver: &str, target: String) -> Self {
        let started = SystemTime::now();
        Self {
            tool: format!("cbspec {}", env!("CARGO_PKG_VERSION")),
            commit: option_env!("CBSPEC_COMMIT").unwrap_or("unknown").to_owned(),
            command: command.to_owned(),
            driver: driver.to_owned(),
            sdk: None,
            target,
            started_at: rfc3339(started),
            started,
        }
    }

    /// A name for this run's suite in JUnit files: driver and command, so
    /// that files from a CI matrix merge without colliding.
    pub fn suite_name(&self) -> String {
        format!("cbspec.{}.{}", self.command, self.driver)
    }
}

/// RFC 3339 UTC, to the second.
pub fn rfc3339(at: SystemTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::from(at)
        .format(&format)
        .unwrap_or_else(|_| "unknown".into())
}

/// One requirement that failing scenarios break, with them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RankedRequirement {
    /// The requirement ID.
    pub id: String,
    /// Its level word (`MUST`, `SHOULD`, `IMPLEMENTATION-DEFINED`), or `unknown`.
    pub level: String,
    /// Its statement.
    pub statement: String,
    /// The scenarios whose mismatches break it, in id order.
    pub scenarios: Vec<String>,
}

/// Everything the reports agree on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// What ran.
    pub info: RunInfo,
    /// Scenarios run.
    pub total: usize,
    /// Scenarios per verdict, every verdict listed (zeros included).
    pub counts: BTreeMap<String, usize>,
    /// Wall time of the run, in milliseconds.
    pub duration_ms: u64,
    /// Callback requests the capture server received for the scenarios.
    pub callbacks_received: usize,
    /// Requirements broken by failing (`fail`, `non-strict`, `xpass`)
    /// scenarios, most scenarios first.
    pub failures_by_requirement: Vec<RankedRequirement>,
    /// Whether the run failed (with `strict`, non-strict counts too).
    pub failed: bool,
}

impl Summary {
    /// Builds the summary of a run.
    pub fn new(
        info: RunInfo,
        results: &[ScenarioResult],
        facts: &RunFacts,
        requirements: &HashMap<String, Requirement>,
        duration: Duration,
        strict: bool,
    ) -> Self {
        let mut counts: BTreeMap<String, usize> = Verdict::ALL
            .iter()
            .map(|v| (v.word().to_owned(), 0))
            .collect();
        for r in results {
            *counts.entry(r.verdict.word().to_owned()).or_default() += 1;
        }
        let mut by_requirement: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in results.iter().filter(|r| {
            matches!(
                r.verdict,
                Verdict::Fail | Verdict::NonStrict | Verdict::Xpass
            )
        }) {
            let mut ids: Vec<String> = r
                .mismatches
                .iter()
                .filter_map(|m| m.requirement.clone())
                .collect();
            if ids.is_empty() {
                ids = r.requirements.clone();
            }
            ids.sort();
            ids.dedup();
            for id in ids {
                by_requirement.entry(id).or_default().push(r.id.clone());
            }
        }
        let mut ranked: Vec<RankedRequirement> = by_requirement
            .into_iter()
            .map(|(id, mut scenarios)| {
                scenarios.sort();
                let requirement = requirements.get(&id);
                RankedRequirement {
                    level: requirement.map_or("unknown".into(), |r| r.level.word().to_owned()),
                    statement: requirement.map(|r| r.statement.clone()).unwrap_or_default(),
                    id,
                    scenarios,
                }
            })
            .collect();
        ranked.sort_by(|a, b| {
            b.scenarios
                .len()
                .cmp(&a.scenarios.len())
                .then(a.id.cmp(&b.id))
        });
        Self {
            info,
            total: results.len(),
            counts,
            duration_ms: duration.as_millis() as u64,
            callbacks_received: facts.callbacks_received,
            failures_by_requirement: ranked,
            failed: results.iter().any(|r| r.verdict.is_failure(strict)),
        }
    }

    /// How many scenarios got `verdict`.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.counts.get(verdict.word()).copied().unwrap_or(0)
    }

    /// The closing line CI parsers read: every verdict, true to the table.
    pub fn closing_line(&self) -> String {
        let order = [
            (Verdict::Pass, "passed"),
            (Verdict::Fail, "failed"),
            (Verdict::NonStrict, "non-strict"),
            (Verdict::Unsupported, "unsupported"),
            (Verdict::Xfail, "xfail"),
            (Verdict::Xpass, "xpass"),
            (Verdict::Info, "info"),
        ];
        order
            .iter()
            .map(|(v, word)| format!("{} {word}", self.count(*v)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::facts::PreflightSummary;

    fn result(id: &str, verdict: Verdict, broken: Option<&str>) -> ScenarioResult {
        ScenarioResult {
            id: id.into(),
            title: String::new(),
            requirements: vec!["CB-OWN".into()],
            operation: "PutObject".into(),
            body_type: "form".into(),
            verdict,
            message: String::new(),
            mismatches: broken
                .map(|id| {
                    vec![crate::runner::observation::Mismatch {
                        what: "x".into(),
                        expected: "a".into(),
                        observed: "b".into(),
                        requirement: Some(id.into()),
                        level: None,
                        unknowable: None,
                    }]
                })
                .unwrap_or_default(),
            transcript: String::new(),
            duration: Duration::ZERO,
            location: String::new(),
            known_deviations: Vec::new(),
            transport_failure: None,
            tags: Vec::new(),
        }
    }

    fn summary(results: &[ScenarioResult]) -> Summary {
        let facts = RunFacts::collect(String::new(), PreflightSummary::NotNeeded, &[], results, 0);
        Summary::new(
            RunInfo::now("run", "native", "t".into()),
            results,
            &facts,
            &HashMap::new(),
            Duration::from_secs(1),
            false,
        )
    }

    #[test]
    fn the_closing_line_counts_every_verdict_as_the_table_does() {
        // The shape of an ali-oss run: passes, unsupported and xfail, nothing failed.
        let mut results: Vec<ScenarioResult> = (0..255)
            .map(|i| result(&format!("p{i}"), Verdict::Pass, None))
            .collect();
        results.extend((0..171).map(|i| result(&format!("u{i}"), Verdict::Unsupported, None)));
        results.extend((0..40).map(|i| result(&format!("x{i}"), Verdict::Xfail, None)));
        let s = summary(&results);
        assert_eq!(
            s.closing_line(),
            "255 passed, 0 failed, 0 non-strict, 171 unsupported, 40 xfail, 0 xpass, 0 info"
        );
        assert!(!s.failed);
        // A never-answering endpoint: no passes at all.
        let mut results: Vec<ScenarioResult> = (0..294)
            .map(|i| result(&format!("f{i}"), Verdict::Fail, Some("CB-A")))
            .collect();
        results.extend((0..168).map(|i| result(&format!("u{i}"), Verdict::Unsupported, None)));
        results.extend((0..4).map(|i| result(&format!("i{i}"), Verdict::Info, None)));
        let s = summary(&results);
        assert_eq!(
            s.closing_line(),
            "0 passed, 294 failed, 0 non-strict, 168 unsupported, 0 xfail, 0 xpass, 4 info"
        );
        assert!(s.failed);
        assert_eq!(s.counts.values().sum::<usize>(), s.total);
    }

    #[test]
    fn failures_are_ranked_by_the_requirement_they_break() {
        let s = summary(&[
            result("a", Verdict::Fail, Some("CB-B")),
            result("b", Verdict::Fail, Some("CB-A")),
            result("c", Verdict::NonStrict, Some("CB-A")),
            result("d", Verdict::Pass, None),
            result("e", Verdict::Xfail, Some("CB-C")),
            result("f", Verdict::Xpass, None),
        ]);
        let ranked: Vec<(&str, usize)> = s
            .failures_by_requirement
            .iter()
            .map(|r| (r.id.as_str(), r.scenarios.len()))
            .collect();
        assert_eq!(ranked, [("CB-A", 2), ("CB-B", 1), ("CB-OWN", 1)]);
    }
}
