//! Expectation files: scenarios known to fail on a target, each with a
//! written reason (s3-tests markers, tlsfuzzer run plans).

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    xfail: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: String,
    reason: String,
}

/// Scenario id → why it is expected to fail.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    reasons: HashMap<String, String>,
}

impl Expectations {
    /// Reads a TOML file of `[[xfail]] id = "..." reason = "..."` entries.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses the file text; every entry needs a non-empty reason.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut reasons = HashMap::new();
        for entry in file.xfail {
            if entry.reason.trim().is_empty() {
                return Err(format!(
                    "xfail entry {:?} has an empty reason; say why it is expected to fail",
                    entry.id
                ));
            }
            if reasons.insert(entry.id.clone(), entry.reason).is_some() {
                return Err(format!("xfail entry {:?} is listed twice", entry.id));
            }
        }
        Ok(Self { reasons })
    }

    /// The reason a scenario is expected to fail, if it is listed.
    pub fn reason(&self, id: &str) -> Option<&str> {
        self.reasons.get(id).map(String::as_str)
    }

    /// Listed ids.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.reasons.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
