//! The conformance matrix: SDK × feature, from one run of the suite per
//! driver, as Markdown (`docs/conformance-matrix.md`). Pure: no I/O.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use crate::runner::{Expectations, ScenarioResult, Verdict};
use crate::scenario::{LoadedScenario, Requirement};

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
    known: usize,
    unsupported: usize,
    failing: usize,
}

impl Cell {
    /// `passed/ran` always (unsupported scenarios are not in `ran`), then
    /// the failing, known and unsupported counts when there are any; the
    /// scenario IDs are listed below the table, not in the cell.
    fn render(&self) -> String {
        let ran = self.passed + self.known + self.failing;
        let mut parts = Vec::new();
        if ran > 0 {
            let mark = if self.failing == 0 && self.known == 0 {
                "✓ "
            } else {
                ""
            };
            parts.push(format!("{mark}{}/{ran}", self.passed));
        }
        if self.failing > 0 {
            parts.push(format!("✗ {}", self.failing));
        }
        if self.known > 0 {
            parts.push(format!("known {}", self.known));
        }
        if self.unsupported > 0 {
            parts.push(format!("n/a {}", self.unsupported));
        }
        if parts.is_empty() {
            "–".into()
        } else {
            parts.join(" · ")
        }
    }
}

/// The requirements the SDK checks judge (drivers/PROTOCOL.md §4): what an
/// SDK maintainer asks about.
pub const SDK_REQUIREMENTS: [&str; 8] = [
    "CB-SDK-CARRIER",
    "CB-CARRIER-BASE64",
    "CB-SDK-CONFIG-FAITHFUL",
    "CB-VAR-CLIENT-PREFIX",
    "CB-SDK-STATUS",
    "CB-OUT-SDK-200-BODY",
    "CB-OUT-SDK-203",
    "CB-SDK-ERROR-FIELDS",
];

/// A link to a scenario's definition (`scenarios/x.toml#Lnn`), relative to `docs/`.
fn scenario_link(result: &ScenarioResult) -> String {
    match result.location.rsplit_once(':') {
        Some((file, line)) => format!("[`{}`](../{file}#L{line})", result.id),
        None => format!("`{}`", result.id),
    }
}

/// A link to a requirement's entry in `spec/requirements.md`, relative to `docs/`.
fn requirement_link(id: &str) -> String {
    format!(
        "[{id}](../spec/requirements.md#{})",
        id.to_ascii_lowercase()
    )
}

/// What the matrix says about where it came from.
pub struct Provenance<'a> {
    /// The run's date (UTC, `YYYY-MM-DD`).
    pub date: &'a str,
    /// The command that produced it.
    pub command: &'a str,
    /// `cbspec <version>`.
    pub tool: &'a str,
    /// The commit cbspec was built from.
    pub commit: &'a str,
}

/// Renders the matrix.
pub fn render(
    scenarios: &[LoadedScenario],
    runs: &[DriverRun],
    missing: &[Missing],
    provenance: &Provenance<'_>,
    requirements: &HashMap<String, Requirement>,
) -> String {
    let by_id: HashMap<&str, &LoadedScenario> = scenarios
        .iter()
        .map(|s| (s.scenario.id.as_str(), s))
        .collect();
    let mut out = String::new();
    let _ = writeln!(out, "# cbspec conformance matrix\n");
    let _ = writeln!(
        out,
        "Generated on {} by `{}` with {} (commit {}) from one run of the {} scenarios per driver against the embedded emulator. \
         Do not edit by hand.\n",
        provenance.date,
        provenance.command,
        provenance.tool,
        provenance.commit,
        scenarios.len()
    );
    let _ = writeln!(
        out,
        "A cell is `passed/ran` for the scenarios that exercise the feature (`✓` when all of them passed), then `✗ n` \
         failing scenarios, `known n` expected failures (SDK bugs listed with their reasons in \
         `drivers/expectations/NAME.toml`) and `n/a n` scenarios the SDK cannot express (not in `ran`). The scenarios \
         behind each count are listed per driver below. What is judged: drivers/PROTOCOL.md §4; requirement IDs: \
         spec/requirements.md.\n"
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
                    Verdict::Xfail => cell.known += 1,
                    Verdict::Unsupported => cell.unsupported += 1,
                    Verdict::Fail | Verdict::NonStrict | Verdict::Xpass => cell.failing += 1,
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
    sdk_requirements(&mut out, runs, requirements);
    for run in runs {
        details(&mut out, run);
    }
    out
}

/// One row per SDK requirement, one column per driver: `✓ n` judged in n
/// scenarios and never broken, `✗ n` broken in n, `known n` a listed
/// deviation seen in n.
fn sdk_requirements(
    out: &mut String,
    runs: &[DriverRun],
    requirements: &HashMap<String, Requirement>,
) {
    let _ = writeln!(out, "\n## SDK requirements\n");
    let _ = writeln!(
        out,
        "What each SDK sent and handed its caller, requirement by requirement. `✓ n`: judged in n scenarios, never \
         broken; `✗ n`: broken in n scenarios; `known n`: a deviation listed with its reason, seen in n scenarios. \
         The native client is cbspec's own and is not judged on these.\n"
    );
    let names: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
    let _ = writeln!(out, "| requirement | level | {} |", names.join(" | "));
    let _ = writeln!(out, "|---|---|{}", "---|".repeat(names.len()));
    for id in SDK_REQUIREMENTS {
        let level = requirements.get(id).map_or("unknown", |r| r.level.word());
        let cells: Vec<String> = runs
            .iter()
            .map(|run| {
                if run.name == "native" {
                    return "not judged".to_owned();
                }
                let judged = run
                    .results
                    .iter()
                    .filter(|r| r.verdict != Verdict::Unsupported)
                    .count();
                let names = |r: &&ScenarioResult| {
                    r.mismatches
                        .iter()
                        .any(|m| m.requirement.as_deref() == Some(id))
                };
                // Known: a listed deviation, or a listed expected failure
                // whose mismatches break this requirement.
                let known = run
                    .results
                    .iter()
                    .filter(|r| {
                        r.known_deviations.iter().any(|k| k == id)
                            || (r.verdict == Verdict::Xfail && names(r))
                    })
                    .count();
                let broken = run
                    .results
                    .iter()
                    .filter(|r| r.verdict.is_failure(true))
                    .filter(|r| !r.known_deviations.iter().any(|k| k == id))
                    .filter(names)
                    .count();
                match (broken, known) {
                    (0, 0) => format!("✓ {judged}"),
                    (0, k) => format!("known {k}"),
                    (b, 0) => format!("✗ {b}"),
                    (b, k) => format!("✗ {b} · known {k}"),
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "| {} | {level} | {} |",
            requirement_link(id),
            cells.join(" | ")
        );
    }
}

fn details(out: &mut String, run: &DriverRun) {
    let count = |v: Verdict| run.results.iter().filter(|r| r.verdict == v).count();
    let _ = writeln!(out, "\n## {} ({})\n", run.name, run.sdk);
    let _ = writeln!(
        out,
        "{} scenarios: {} passed, {} failed, {} non-strict, {} unsupported, {} xfail, {} xpass, {} info.\n",
        run.results.len(),
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::NonStrict),
        count(Verdict::Unsupported),
        count(Verdict::Xfail),
        count(Verdict::Xpass),
        count(Verdict::Info),
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
            let broken: Vec<String> = r
                .mismatches
                .iter()
                .filter_map(|m| m.requirement.as_deref())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .map(requirement_link)
                .collect();
            let _ = writeln!(
                out,
                "- {} ({}, {}): {}",
                scenario_link(r),
                r.verdict.word(),
                broken.join(", "),
                one_line(&r.message)
            );
        }
        let _ = writeln!(out);
    }
    let deviations = run.deviation_hits();
    let xfails: Vec<(&str, &str)> = run.expectations.xfails();
    if !deviations.is_empty() || !xfails.is_empty() {
        let _ = writeln!(out, "Known SDK bugs:\n");
        for (requirement, reason, hits) in deviations {
            let _ = writeln!(
                out,
                "- {} ({hits} scenarios): {reason}",
                requirement_link(requirement)
            );
        }
        for (id, reason) in xfails {
            let link = run
                .results
                .iter()
                .find(|r| r.id == id)
                .map_or_else(|| format!("`{id}`"), scenario_link);
            let _ = writeln!(out, "- scenario {link}: {reason}");
        }
        let _ = writeln!(out);
    }
    let mut reasons: BTreeMap<String, Vec<&ScenarioResult>> = BTreeMap::new();
    for r in run
        .results
        .iter()
        .filter(|r| r.verdict == Verdict::Unsupported)
    {
        reasons.entry(one_line(&r.message)).or_default().push(r);
    }
    if !reasons.is_empty() {
        let _ = writeln!(out, "Unsupported (the SDK cannot express these):\n");
        let mut sorted: Vec<(String, Vec<&ScenarioResult>)> = reasons.into_iter().collect();
        sorted.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
        for (reason, results) in sorted {
            let listed = if results.len() <= 3 {
                format!(
                    ": {}",
                    results
                        .iter()
                        .map(|r| scenario_link(r))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                String::new()
            };
            let _ = writeln!(out, "- {} × {reason}{listed}", results.len());
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

    #[test]
    fn cells_say_what_ran_and_how_it_went() {
        let all_passed = Cell {
            passed: 4,
            unsupported: 2,
            ..Cell::default()
        };
        assert_eq!(all_passed.render(), "✓ 4/4 · n/a 2");
        let known = Cell {
            passed: 3,
            known: 1,
            ..Cell::default()
        };
        assert_eq!(known.render(), "3/4 · known 1");
        let failing = Cell {
            passed: 1,
            known: 2,
            failing: 5,
            ..Cell::default()
        };
        assert_eq!(failing.render(), "1/8 · ✗ 5 · known 2");
        let nothing_ran = Cell {
            unsupported: 7,
            ..Cell::default()
        };
        assert_eq!(nothing_ran.render(), "n/a 7");
        assert_eq!(Cell::default().render(), "–");
    }

    #[test]
    fn links_lead_to_the_scenario_line_and_the_spec_entry() {
        assert_eq!(
            requirement_link("CB-SDK-CARRIER"),
            "[CB-SDK-CARRIER](../spec/requirements.md#cb-sdk-carrier)"
        );
    }
}
