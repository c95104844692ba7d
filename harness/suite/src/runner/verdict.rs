//! Verdict policy, pure: from a scenario's mismatches, the requirement
//! levels, the driver's expectation file and whether the target is the
//! reference, decide the verdict and the one-line message. Kept out of the
//! async orchestration so every rule is unit-tested on its own.

use std::collections::HashMap;

use super::expectations::Expectations;
use super::observation::Mismatch;
use super::Verdict;
use crate::scenario::{Level, Requirement};

/// What the policy decided for one scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The verdict.
    pub verdict: Verdict,
    /// One line for people.
    pub message: String,
    /// Requirements whose mismatches the expectations list as known
    /// deviations of the driver, sorted.
    pub known_deviations: Vec<String>,
}

/// Decides a judged scenario's verdict from its mismatches, each already
/// charged to a requirement (see `attribution`). A mismatch whose
/// requirement the expectations list as a known deviation does not count
/// against the driver; each other one counts at its own requirement's level
/// (an untagged one at the scenario's strictest); an xfail entry for the
/// scenario turns a failure into `xfail` and a pass into `xpass`.
pub fn decide(
    scenario_id: &str,
    scenario_requirements: &[String],
    mismatches: &[Mismatch],
    requirements: &HashMap<String, Requirement>,
    expectations: &Expectations,
    is_reference: bool,
) -> Decision {
    let failed = !mismatches.is_empty();
    let (known, unknown): (Vec<&Mismatch>, Vec<&Mismatch>) = mismatches.iter().partition(|m| {
        m.requirement
            .as_deref()
            .is_some_and(|id| expectations.deviation(id).is_some())
    });
    let mut known_deviations: Vec<String> =
        known.iter().filter_map(|m| m.requirement.clone()).collect();
    known_deviations.sort();
    known_deviations.dedup();
    let mut verdict = if !failed {
        Verdict::Pass
    } else if unknown.is_empty() {
        Verdict::Xfail
    } else {
        unknown
            .iter()
            .map(|m| verdict_for_mismatch(m, scenario_requirements, requirements, is_reference))
            .min_by_key(|v| severity(*v))
            .unwrap_or(Verdict::Fail)
    };
    // The message leads with the mismatch that decided the verdict.
    let leading = unknown
        .iter()
        .find(|m| {
            verdict_for_mismatch(m, scenario_requirements, requirements, is_reference) == verdict
        })
        .or(unknown.first())
        .or(known.first());
    let mut message = match leading {
        Some(first) if mismatches.len() > 1 => {
            format!("{first} (+{} more)", mismatches.len() - 1)
        }
        Some(first) => first.to_string(),
        None => "as expected".into(),
    };
    if !known_deviations.is_empty() {
        let reasons: Vec<String> = known_deviations
            .iter()
            .map(|id| format!("{id}: {}", expectations.deviation(id).unwrap_or_default()))
            .collect();
        message = format!("{message} [known deviation: {}]", reasons.join("; "));
    }
    if let Some(reason) = expectations.reason(scenario_id) {
        verdict = if failed {
            Verdict::Xfail
        } else {
            Verdict::Xpass
        };
        message = format!("{message} [expected to fail: {reason}]");
    }
    Decision {
        verdict,
        message,
        known_deviations,
    }
}

/// Fail before non-strict before info.
fn severity(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Fail => 0,
        Verdict::NonStrict => 1,
        _ => 2,
    }
}

/// The verdict one mismatch calls for: its requirement's level (the
/// scenario's strictest when it names none); `info` when its expected value
/// cannot be known for the endpoint. The reference emulator is held to
/// IMPLEMENTATION-DEFINED choices.
pub fn verdict_for_mismatch(
    mismatch: &Mismatch,
    scenario_requirements: &[String],
    requirements: &HashMap<String, Requirement>,
    is_reference: bool,
) -> Verdict {
    if mismatch.unknowable.is_some() {
        return Verdict::Info;
    }
    let own = mismatch
        .requirement
        .as_deref()
        .and_then(|id| requirements.get(id))
        .map(|r| r.level);
    let level = own.or_else(|| {
        scenario_requirements
            .iter()
            .filter_map(|id| requirements.get(id).map(|r| r.level))
            .min_by_key(|l| match l {
                Level::Must => 0,
                Level::Should => 1,
                Level::ImplementationDefined => 2,
            })
    });
    match level {
        Some(Level::Must) => Verdict::Fail,
        Some(Level::Should) => Verdict::NonStrict,
        _ if is_reference => Verdict::Fail,
        _ => Verdict::Info,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requirement(level: Level) -> Requirement {
        Requirement {
            level,
            statement: String::new(),
        }
    }

    fn requirements() -> HashMap<String, Requirement> {
        [
            ("R-MUST".to_owned(), requirement(Level::Must)),
            ("R-SHOULD".to_owned(), requirement(Level::Should)),
            (
                "R-IMPL".to_owned(),
                requirement(Level::ImplementationDefined),
            ),
        ]
        .into()
    }

    fn mismatch(requirement: Option<&str>) -> Mismatch {
        Mismatch {
            what: "status".into(),
            expected: "200".into(),
            observed: "203".into(),
            requirement: requirement.map(str::to_owned),
            level: None,
            unknowable: None,
        }
    }

    fn expectations(text: &str) -> Expectations {
        Expectations::parse(text).unwrap()
    }

    #[test]
    fn no_mismatch_passes() {
        let d = decide(
            "s",
            &["R-MUST".into()],
            &[],
            &requirements(),
            &Expectations::default(),
            true,
        );
        assert_eq!(d.verdict, Verdict::Pass);
        assert_eq!(d.message, "as expected");
    }

    #[test]
    fn the_strictest_broken_requirement_decides() {
        let reqs = requirements();
        let none = Expectations::default();
        let own = |ids: &[&str]| ids.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let untagged = [mismatch(None)];
        assert_eq!(
            decide(
                "s",
                &own(&["R-SHOULD", "R-MUST"]),
                &untagged,
                &reqs,
                &none,
                false
            )
            .verdict,
            Verdict::Fail
        );
        assert_eq!(
            decide(
                "s",
                &own(&["R-SHOULD", "R-IMPL"]),
                &untagged,
                &reqs,
                &none,
                false
            )
            .verdict,
            Verdict::NonStrict
        );
        // IMPLEMENTATION-DEFINED: recorded for another endpoint, binding for the reference.
        assert_eq!(
            decide("s", &own(&["R-IMPL"]), &untagged, &reqs, &none, false).verdict,
            Verdict::Info
        );
        assert_eq!(
            decide("s", &own(&["R-IMPL"]), &untagged, &reqs, &none, true).verdict,
            Verdict::Fail
        );
        // A tagged mismatch is judged by its own requirement, not the scenario's.
        let tagged = [mismatch(Some("R-SHOULD"))];
        assert_eq!(
            decide("s", &own(&["R-MUST"]), &tagged, &reqs, &none, false).verdict,
            Verdict::NonStrict
        );
    }

    #[test]
    fn a_known_deviation_excuses_only_its_own_requirement() {
        let reqs = requirements();
        let exp = expectations(
            "[[deviation]]\nrequirement = \"R-SHOULD\"\nreason = \"drops falsy members\"\n",
        );
        let only_known = [mismatch(Some("R-SHOULD"))];
        let d = decide("s", &["R-MUST".into()], &only_known, &reqs, &exp, false);
        assert_eq!(d.verdict, Verdict::Xfail);
        assert_eq!(d.known_deviations, ["R-SHOULD"]);
        assert!(
            d.message
                .ends_with("[known deviation: R-SHOULD: drops falsy members]"),
            "{}",
            d.message
        );
        let with_other = [mismatch(Some("R-SHOULD")), mismatch(Some("R-MUST"))];
        let d = decide("s", &[], &with_other, &reqs, &exp, false);
        assert_eq!(d.verdict, Verdict::Fail);
        assert!(
            d.message
                .starts_with("status: expected 200, observed 203 [R-MUST] (+1 more)"),
            "{}",
            d.message
        );
    }

    #[test]
    fn an_xfail_entry_turns_failure_into_xfail_and_a_pass_into_xpass() {
        let reqs = requirements();
        let exp = expectations("[[xfail]]\nid = \"s\"\nreason = \"known SDK bug\"\n");
        let failing = [mismatch(None)];
        let d = decide("s", &["R-MUST".into()], &failing, &reqs, &exp, false);
        assert_eq!(d.verdict, Verdict::Xfail);
        assert!(d.message.ends_with("[expected to fail: known SDK bug]"));
        let d = decide("s", &["R-MUST".into()], &[], &reqs, &exp, false);
        assert_eq!(d.verdict, Verdict::Xpass);
        // Another scenario is not affected.
        assert_eq!(
            decide("t", &["R-MUST".into()], &failing, &reqs, &exp, false).verdict,
            Verdict::Fail
        );
    }

    #[test]
    fn each_mismatch_counts_at_its_own_requirement() {
        let reqs = requirements();
        let none = Expectations::default();
        // A scenario about IMPLEMENTATION-DEFINED behaviour whose mismatch
        // breaks a MUST fails, even against another endpoint.
        let tagged = [mismatch(Some("R-MUST"))];
        assert_eq!(
            decide("s", &["R-IMPL".into()], &tagged, &reqs, &none, false).verdict,
            Verdict::Fail
        );
        // The verdict and the message follow the strictest mismatch.
        let mixed = [mismatch(Some("R-IMPL")), mismatch(Some("R-SHOULD"))];
        let d = decide("s", &["R-IMPL".into()], &mixed, &reqs, &none, false);
        assert_eq!(d.verdict, Verdict::NonStrict);
        assert!(d.message.contains("[R-SHOULD]"), "{}", d.message);
        // A value the endpoint's profile leaves unknown is only recorded.
        let mut unknowable = mismatch(Some("R-MUST"));
        unknowable.unknowable = Some("client IP unknown".into());
        assert_eq!(
            decide("s", &["R-MUST".into()], &[unknowable], &reqs, &none, true).verdict,
            Verdict::Info
        );
    }
}
