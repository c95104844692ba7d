//! The conformance matrix: SDK × feature, from one run of the suite per
//! driver, as Markdown (`docs/conformance-matrix.md`). Pure: no I/O.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use crate::runner::{Expectations, ScenarioResult, Verdict};
use crate::scenario::LoadedScenario;

/// One driver's run.
pub struct DriverRun {
    /// Registry name (`native`, `oss2`, …).
    pub name: String,
    /// SDK package and version, e.g. `oss2 2.19.1`, and runtime.
    pub sdk: String,
    /// Its results, one per scenario.
    pub results: Vec<ScenarioResult>,
    /// Its expectation file: known deviations and expected failures.
    pub expectations: Expectations,
}

impl DriverRun {
    /// Each listed deviation with its reason and how many scenarios showed
    /// it; a deviation no scenario showed is stale and should be removed.
    pub fn deviation_hits(&self) -> Vec<(&str, &str, usize)> {
        self.expectations
            .deviations()
            .into_iter()
            .map(|(requirement, reason)| {
                let hits = self
                    .results
                    .iter()
                    .filter(|r| r.known_deviations.iter().any(|k| k == requirement))
                    .count();
                (requirement, reason, hits)
            })
            .collect()
    }
}

/// A driver that could not be started, and why.
pub struct Missing {
    /// Registry name.
    pub name: String,
    /// Why it did not run.
    pub why: String,
}

/// The columns a scenario's result counts in. Upload type and body type are
/// the result's own (as in the HTML report); the rest comes from the scenario.
fn features(result: &ScenarioResult, scenario: &LoadedScenario) -> Vec<String> {
    let s = &scenario.scenario;
    let mut out = vec![format!("upload: {}", result.operation)];
    match result.body_type.as_str() {
        "form" => out.push("body: form".into()),
        "json" => out.push("body: JSON".into()),
        _ => {}
    }
    if s.callback.as_ref().is_some_and(|c| c.sni.is_some()) {
        out.push("callbackSNI".into());
    }
    if s.vars.is_some() {
        out.push("custom variables".into());
    }
    if s.expect.status == 203 {
        out.push("203 handling".into());
    }
    if s.expect.status >= 400 {
        out.push("error answers".into());
    }
    out
}

const COLUMNS: [&str; 11] = [
    "upload: PutObject",
    "upload: PostObject",
    "upload: CompleteMultipartUpload",
    "upload: presigned PUT V1",
    "upload: presigned PUT V4",
    "body: form",
    "body: JSON",
    "callbackSNI",
    "custom variables",
    "203 handling",
    "error answers",
];

#[derive(Default)]
struct Cell {
    passed: usize,
    known: Vec<String>,
    unsupported: usize,
    failing: Vec<String>,
}

fn some_ids(ids: &[String]) -> String {
    let shown: Vec<String> = ids.iter().take(3).map(|id| format!("`{id}`")).collect();
    let more = if ids.len() > 3 {
        format!(" +{} more", ids.len() - 3)
    } else {
        String::new()
    };
    format!("{}{more}", shown.join(", "))
}

impl Cell {
    /// `✓` only when every scenario that ran passed; a known deviation is
    /// still a deviation, so it shows as `✗ … known`.
    fn render(&self) -> String {
        let ran = self.passed + self.known.len() + self.failing.len();
        if ran == 0 {
            return if self.unsupported > 0 {
                "unsupported".into()
            } else {
                "–".into()
            };
        }
        let mut text = if !self.failing.is_empty() {
            let mut text = format!(
                "✗ {}/{ran}: {}",
                self.failing.len(),
                some_ids(&self.failing)
            );
            if !self.known.is_empty() {
                let _ = write!(text, " (and {} known)", self.known.len());
            }
            text
        } else if !self.known.is_empty() {
            format!(
                "✗ {}/{ran} known: {}",
                self.known.len(),
                some_ids(&self.known)
            )
        } else {
            format!("✓ {}/{ran}", self.passed)
        };
        if self.unsupported > 0 {
            let _ = write!(text, " ({} unsupported)", self.unsupported);
        }
        text
    }
}

/// Renders the matrix. `date` is the run's date (UTC, `YYYY-MM-DD`) and
/// `command` the command that produced it.
pub fn render(
    scenarios: &[LoadedScenario],
    runs: &[DriverRun],
    missing: &[Missing],
    date: &str,
    command: &str,
) -> String {
    let by_id: HashMap<&str, &LoadedScenario> = scenarios
        .iter()
        .map(|s| (s.scenario.id.as_str(), s))
        .collect();
    let mut out = String::new();
    let _ = writeln!(out, "# cbspec conformance matrix\n");
    let _ = writeln!(
        out,
        "Generated on {date} by `{command}` from one run of the {} scenarios per driver against the embedded emulator. \
         Do not edit by hand.\n",
        scenarios.len()
    );
    let _ = writeln!(
        out,
        "A cell counts the scenarios that exercise the feature: `✓ passed/ran` when all passed; `✗ failed/ran` with \
         the failing scenario IDs; `✗ n/ran known` when the only failures are deviations listed, with their reasons, in \
         `drivers/expectations/NAME.toml` (below). *unsupported* counts scenarios the SDK has no API for; they are not \
         in `ran`. What is judged: drivers/PROTOCOL.md §4; requirement IDs: spec/requirements.md.\n"
    );
    let _ = writeln!(out, "| driver | SDK | {} |", COLUMNS.join(" | "));
    let _ = writeln!(out, "|---|---|{}", "---|".repeat(COLUMNS.len()));
    for run in runs {
        let mut cells: BTreeMap<&str, Cell> = BTreeMap::new();
        for result in &run.results {
            let Some(scenario) = by_id.get(result.id.as_str()) else {
                continue;
            };
            for feature in features(result, scenario) {
                let Some(column) = COLUMNS.iter().find(|c| **c == feature) else {
                    continue;
                };
                let cell = cells.entry(column).or_default();
                match result.verdict {
                    Verdict::Pass | Verdict::Info => cell.passed += 1,
                    Verdict::Xfail => cell.known.push(result.id.clone()),
                    Verdict::Unsupported => cell.unsupported += 1,
                    Verdict::Fail | Verdict::NonStrict | Verdict::Xpass => {
                        cell.failing.push(result.id.clone())
                    }
                }
            }
        }
        let row: Vec<String> = COLUMNS
            .iter()
            .map(|c| cells.get(c).map_or_else(|| "–".to_owned(), Cell::render))
            .collect();
        let _ = writeln!(out, "| {} | {} | {} |", run.name, run.sdk, row.join(" | "));
    }
    for m in missing {
        let _ = writeln!(
            out,
            "| {} | not run: {} | {} |",
            m.name,
            m.why.lines().next().unwrap_or_default(),
            vec!["–"; COLUMNS.len()].join(" | ")
        );
    }
    for run in runs {
        details(&mut out, run);
    }
    out
}

fn details(out: &mut String, run: &DriverRun) {
    let count = |v: Verdict| run.results.iter().filter(|r| r.verdict == v).count();
    let _ = writeln!(out, "\n## {} ({})\n", run.name, run.sdk);
    let _ = writeln!(
        out,
        "{} scenarios: {} pass, {} fail, {} non-strict, {} info, {} known (xfail), {} xpass, {} unsupported.\n",
        run.results.len(),
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::NonStrict),
        count(Verdict::Info),
        count(Verdict::Xfail),
        count(Verdict::Xpass),
        count(Verdict::Unsupported)
    );
    let failing: Vec<&ScenarioResult> = run
        .results
        .iter()
        .filter(|r| {
            matches!(
                r.verdict,
                Verdict::Fail | Verdict::NonStrict | Verdict::Xpass
            )
        })
        .collect();
    if !failing.is_empty() {
        let _ = writeln!(out, "Failing:\n");
        for r in failing {
            let _ = writeln!(
                out,
                "- `{}` ({}): {}",
                r.id,
                r.verdict.word(),
                one_line(&r.message)
            );
        }
        let _ = writeln!(out);
    }
    let deviations = run.deviation_hits();
    let xfails = run.expectations.xfails();
    if !deviations.is_empty() || !xfails.is_empty() {
        let _ = writeln!(out, "Known deviations:\n");
        for (requirement, reason, hits) in deviations {
            let _ = writeln!(out, "- {requirement} ({hits} scenarios): {reason}");
        }
        for (id, reason) in xfails {
            let _ = writeln!(out, "- scenario `{id}`: {reason}");
        }
        let _ = writeln!(out);
    }
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for r in run
        .results
        .iter()
        .filter(|r| r.verdict == Verdict::Unsupported)
    {
        *reasons.entry(one_line(&r.message)).or_default() += 1;
    }
    if !reasons.is_empty() {
        let _ = writeln!(out, "Unsupported:\n");
        let mut sorted: Vec<(String, usize)> = reasons.into_iter().collect();
        sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (reason, n) in sorted {
            let _ = writeln!(out, "- {n} × {reason}");
        }
    }
}

fn one_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().replace('|', "\\|");
    if line.chars().count() > 240 {
        format!("{}…", line.chars().take(240).collect::<String>())
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("s/{i}")).collect()
    }

    #[test]
    fn cells_say_what_ran_and_how_it_went() {
        let all_passed = Cell {
            passed: 4,
            unsupported: 2,
            ..Cell::default()
        };
        assert_eq!(all_passed.render(), "✓ 4/4 (2 unsupported)");
        let known = Cell {
            passed: 3,
            known: ids(1),
            ..Cell::default()
        };
        assert_eq!(known.render(), "✗ 1/4 known: `s/1`");
        let failing = Cell {
            passed: 1,
            known: ids(2),
            failing: ids(5),
            ..Cell::default()
        };
        assert_eq!(
            failing.render(),
            "✗ 5/8: `s/1`, `s/2`, `s/3` +2 more (and 2 known)"
        );
        let nothing_ran = Cell {
            unsupported: 7,
            ..Cell::default()
        };
        assert_eq!(nothing_ran.render(), "unsupported");
        assert_eq!(Cell::default().render(), "–");
    }
}
