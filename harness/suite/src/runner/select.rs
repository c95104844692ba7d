//! Choosing which scenarios run: id globs, tags, requirement IDs and
//! partitions for CI sharding.

use crate::scenario::LoadedScenario;

/// A `K/N` partition: the K-th of N slices (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// Which slice, 1..=N.
    pub index: usize,
    /// How many slices.
    pub count: usize,
}

impl std::str::FromStr for Partition {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("--partition {text:?}: write K/N with 1 <= K <= N, e.g. 2/4");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
}

/// The filters of `cbspec run`.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Id globs (`put/*`); empty selects all.
    pub globs: Vec<glob::Pattern>,
    /// Required tags (any of them).
    pub tags: Vec<String>,
    /// Required requirement IDs (any of them).
    pub requirements: Vec<String>,
    /// A slice of the result.
    pub partition: Option<Partition>,
}

impl Selection {
    /// Applies the filters; the result is sorted by id so partitions are stable.
    pub fn apply(&self, scenarios: Vec<LoadedScenario>) -> Vec<LoadedScenario> {
        let mut kept: Vec<LoadedScenario> = scenarios
            .into_iter()
            .filter(|s| {
                self.globs.is_empty() || self.globs.iter().any(|g| g.matches(&s.scenario.id))
            })
            .filter(|s| {
                self.tags.is_empty() || self.tags.iter().any(|t| s.scenario.tags.contains(t))
            })
            .filter(|s| {
                self.requirements.is_empty()
                    || self
                        .requirements
                        .iter()
                        .any(|r| s.scenario.requirements.contains(r))
            })
            .collect();
        kept.sort_by(|a, b| a.scenario.id.cmp(&b.scenario.id));
        match self.partition {
            None => kept,
            Some(p) => kept
                .into_iter()
                .enumerate()
                .filter(|(i, _)| i % p.count == p.index - 1)
                .map(|(_, s)| s)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_parse_and_refuse_nonsense() {
        assert_eq!(
            "2/4".parse::<Partition>(),
            Ok(Partition { index: 2, count: 4 })
        );
        for bad in ["0/4", "5/4", "x/2", "2", "1/0"] {
            assert!(bad.parse::<Partition>().is_err(), "{bad}");
        }
    }
}
