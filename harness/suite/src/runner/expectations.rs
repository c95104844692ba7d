//! Expectation files: scenarios known to fail on a target, and a driver's
//! known deviations from a requirement, each with a written reason
//! (s3-tests markers, tlsfuzzer run plans).

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    xfail: Vec<Entry>,
    #[serde(default)]
    deviation: Vec<Deviation>,
    #[serde(default)]
    unsupported: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Deviation {
    requirement: String,
    reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: String,
    reason: String,
}

/// Why an expectation file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ExpectationsError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not valid TOML of the expected shape.
    #[error("{0}")]
    Syntax(String),
    /// An entry gives no reason.
    #[error("{kind} entry {name:?} has an empty reason; {hint}")]
    NoReason {
        /// `xfail` or `deviation`.
        kind: &'static str,
        /// Its scenario id or requirement ID.
        name: String,
        /// What the reason should say.
        hint: &'static str,
    },
    /// The same entry twice.
    #[error("{kind} entry {name:?} is listed twice")]
    Duplicate {
        /// `xfail` or `deviation`.
        kind: &'static str,
        /// Its scenario id or requirement ID.
        name: String,
    },
    /// Any of the above, in this file.
    #[error("{}: {source}", path.display())]
    InFile {
        /// The file.
        path: std::path::PathBuf,
        /// The problem.
        source: Box<ExpectationsError>,
    },
}

/// Scenario id → why it is expected to fail, and requirement ID → why the
/// driver is known to deviate from it.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    reasons: HashMap<String, String>,
    deviations: HashMap<String, String>,
    /// Scenarios the driver cannot express at all (not a bug of the SDK).
    cannot_express: HashMap<String, String>,
}

impl Expectations {
    /// Reads a TOML file of `[[xfail]] id = "..." reason = "..."` and
    /// `[[deviation]] requirement = "..." reason = "..."` entries.
    pub fn load(path: &Path) -> Result<Self, ExpectationsError> {
        let text = std::fs::read_to_string(path).map_err(|source| ExpectationsError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|e| ExpectationsError::InFile {
            path: path.to_owned(),
            source: Box::new(e),
        })
    }

    /// Parses the file text; every entry needs a non-empty reason.
    pub fn parse(text: &str) -> Result<Self, ExpectationsError> {
        let file: File =
            toml::from_str(text).map_err(|e| ExpectationsError::Syntax(e.to_string()))?;
        let mut reasons = HashMap::new();
        for entry in file.xfail {
            if entry.reason.trim().is_empty() {
                return Err(ExpectationsError::NoReason {
                    kind: "xfail",
                    name: entry.id,
                    hint: "say why it is expected to fail",
                });
            }
            if reasons.insert(entry.id.clone(), entry.reason).is_some() {
                return Err(ExpectationsError::Duplicate {
                    kind: "xfail",
                    name: entry.id,
                });
            }
        }
        let mut deviations = HashMap::new();
        for entry in file.deviation {
            if entry.reason.trim().is_empty() {
                return Err(ExpectationsError::NoReason {
                    kind: "deviation",
                    name: entry.requirement,
                    hint: "say what the driver does instead",
                });
            }
            if deviations
                .insert(entry.requirement.clone(), entry.reason)
                .is_some()
            {
                return Err(ExpectationsError::Duplicate {
                    kind: "deviation",
                    name: entry.requirement,
                });
            }
        }
        let mut cannot_express = HashMap::new();
        for entry in file.unsupported {
            if entry.reason.trim().is_empty() {
                return Err(ExpectationsError::NoReason {
                    kind: "unsupported",
                    name: entry.id,
                    hint: "say why the driver cannot make this upload",
                });
            }
            if reasons.contains_key(&entry.id)
                || cannot_express
                    .insert(entry.id.clone(), entry.reason)
                    .is_some()
            {
                return Err(ExpectationsError::Duplicate {
                    kind: "unsupported",
                    name: entry.id,
                });
            }
        }
        Ok(Self {
            reasons,
            deviations,
            cannot_express,
        })
    }

    /// Why the driver cannot make scenario `id`'s upload at all, when the
    /// file says so (`[[unsupported]]`): the scenario is `unsupported`, not
    /// run, and kept apart from the SDK's real deviations.
    pub fn cannot_express(&self, id: &str) -> Option<&str> {
        self.cannot_express.get(id).map(String::as_str)
    }

    /// Why the driver is known to deviate from a requirement, if it is listed.
    /// Only mismatches tagged with that requirement (the SDK checks) are
    /// excused, never a scenario's own expectations.
    pub fn deviation(&self, requirement: &str) -> Option<&str> {
        self.deviations.get(requirement).map(String::as_str)
    }

    /// The reason a scenario is expected to fail, if it is listed.
    pub fn reason(&self, id: &str) -> Option<&str> {
        self.reasons.get(id).map(String::as_str)
    }

    /// Listed scenarios and their reasons, sorted by id.
    pub fn xfails(&self) -> Vec<(&str, &str)> {
        sorted(&self.reasons)
    }

    /// Listed deviations and their reasons, sorted by requirement.
    pub fn deviations(&self) -> Vec<(&str, &str)> {
        sorted(&self.deviations)
    }
}

fn sorted(map: &HashMap<String, String>) -> Vec<(&str, &str)> {
    let mut pairs: Vec<(&str, &str)> = map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    pairs.sort();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_a_driver_cannot_express_are_kept_apart_from_its_bugs() {
        let e = Expectations::parse(
            "[[unsupported]]\nid = \"a\"\nreason = \"the SDK always sends a Content-Type\"\n[[xfail]]\nid = \"b\"\nreason = \"double-encodes the URL\"\n",
        )
        .unwrap();
        assert_eq!(
            e.cannot_express("a"),
            Some("the SDK always sends a Content-Type")
        );
        assert_eq!(e.reason("a"), None, "not an expected failure");
        assert_eq!(e.cannot_express("b"), None);
        assert!(Expectations::parse("[[unsupported]]\nid = \"a\"\nreason = \" \"\n").is_err());
        let both = Expectations::parse(
            "[[xfail]]\nid = \"a\"\nreason = \"x\"\n[[unsupported]]\nid = \"a\"\nreason = \"y\"\n",
        );
        assert!(
            matches!(both, Err(ExpectationsError::Duplicate { .. })),
            "{both:?}"
        );
    }

    #[test]
    fn reasons_are_required() {
        let ok = Expectations::parse(
            "[[xfail]]\nid = \"a\"\nreason = \"ali-oss omits callbackSNI when false\"\n",
        )
        .unwrap();
        assert_eq!(ok.reason("a"), Some("ali-oss omits callbackSNI when false"));
        assert!(Expectations::parse("[[xfail]]\nid = \"a\"\nreason = \"\"\n").is_err());
        assert!(Expectations::parse("[[xfail]]\nid = \"a\"\n").is_err());
        assert!(Expectations::parse(
            "[[xfail]]\nid = \"a\"\nreason = \"r\"\n[[xfail]]\nid = \"a\"\nreason = \"r\"\n"
        )
        .is_err());
    }

    #[test]
    fn deviations_name_a_requirement_and_a_reason() {
        let ok = Expectations::parse(
            "[[deviation]]\nrequirement = \"CB-OUT-SDK-203\"\nreason = \"oss2 returns 203 as a success\"\n",
        )
        .unwrap();
        assert_eq!(
            ok.deviation("CB-OUT-SDK-203"),
            Some("oss2 returns 203 as a success")
        );
        assert_eq!(ok.deviation("CB-SDK-STATUS"), None);
        assert_eq!(ok.reason("CB-OUT-SDK-203"), None);
        assert_eq!(
            ok.deviations(),
            vec![("CB-OUT-SDK-203", "oss2 returns 203 as a success")]
        );
        assert!(ok.xfails().is_empty());
        assert!(
            Expectations::parse("[[deviation]]\nrequirement = \"X\"\nreason = \" \"\n").is_err()
        );
        assert!(Expectations::parse("[[deviation]]\nid = \"X\"\nreason = \"r\"\n").is_err());
    }
}
