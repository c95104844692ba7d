//! `--report FILE.html`: one self-contained page, rendered from
//! `templates/report.html` with minijinja. The run's facts at the top, the
//! upload type × body type matrix (every cell and badge filters the list),
//! the failing requirements, the scenarios with failures first and passing
//! ones folded away, each mismatch with its requirement's text and the
//! differing part marked, and a per-requirement view. Light and dark, and
//! readable on a phone.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use minijinja::{context, Environment};
use serde::Serialize;

use super::console::first_difference;
use super::summary::Summary;
use crate::runner::{RunFacts, ScenarioResult, Verdict};
use crate::scenario::Requirement;

const TEMPLATE: &str = include_str!("templates/report.html");

/// The body-type column as people read it.
fn body_type_label(body_type: &str) -> &str {
    match body_type {
        "form" => "form",
        "json" => "JSON",
        "-" => "no callback",
        "other" => "other body type",
        other => other,
    }
}

/// An id as an HTML anchor: letters, digits and `-` only.
fn anchor(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `(same before, differing part, same after)` of `text` against `other`.
fn split_difference(text: &str, other: &str) -> (String, String, String) {
    let Some(start) = first_difference(text, other) else {
        return (text.to_owned(), String::new(), String::new());
    };
    let a: Vec<char> = text.chars().collect();
    let b: Vec<char> = other.chars().collect();
    let mut common_tail = 0;
    while common_tail < a.len() - start.min(a.len())
        && common_tail < b.len() - start.min(b.len())
        && a[a.len() - 1 - common_tail] == b[b.len() - 1 - common_tail]
    {
        common_tail += 1;
    }
    let start = start.min(a.len());
    let end = a.len() - common_tail;
    (
        a[..start].iter().collect(),
        a[start..end.max(start)].iter().collect(),
        a[end.max(start)..].iter().collect(),
    )
}

#[derive(Serialize)]
struct MismatchView {
    what: String,
    requirement: Option<String>,
    level: String,
    statement: String,
    recorded_only: Option<String>,
    expected: (String, String, String),
    observed: (String, String, String),
}

#[derive(Serialize)]
struct ScenarioView {
    id: String,
    anchor: String,
    title: String,
    verdict: &'static str,
    operation: String,
    body_type: String,
    tags: Vec<String>,
    message: String,
    location: String,
    requirements: Vec<String>,
    mismatches: Vec<MismatchView>,
    transcript: String,
}

#[derive(Serialize)]
struct Count {
    verdict: &'static str,
    count: usize,
}

#[derive(Serialize)]
struct MatrixRow {
    operation: String,
    body_type: String,
    cells: Vec<Count>,
}

#[derive(Serialize)]
struct ScenarioLink {
    id: String,
    anchor: String,
    verdict: &'static str,
}

#[derive(Serialize)]
struct RequirementRow {
    id: String,
    level: String,
    statement: String,
    counts: Vec<Count>,
    not_passing: Vec<ScenarioLink>,
}

/// Failures first, in the order a maintainer reads them.
fn rank(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Fail => 0,
        Verdict::Xpass => 1,
        Verdict::NonStrict => 2,
        Verdict::Info => 3,
        Verdict::Xfail => 4,
        Verdict::Unsupported => 5,
        Verdict::Pass => 6,
    }
}

/// The page.
pub fn render(
    results: &[ScenarioResult],
    title: &str,
    summary: &Summary,
    facts: &RunFacts,
    requirements: &HashMap<String, Requirement>,
) -> String {
    let level_of = |id: &str| {
        requirements
            .get(id)
            .map_or(("unknown".to_owned(), String::new()), |r| {
                (r.level.word().to_owned(), r.statement.clone())
            })
    };
    let mut ordered: Vec<&ScenarioResult> = results.iter().collect();
    ordered.sort_by(|a, b| rank(a.verdict).cmp(&rank(b.verdict)).then(a.id.cmp(&b.id)));
    let scenarios: Vec<ScenarioView> = ordered
        .iter()
        .map(|r| ScenarioView {
            id: r.id.clone(),
            anchor: anchor(&r.id),
            title: r.title.clone(),
            verdict: r.verdict.word(),
            operation: r.operation.clone(),
            body_type: body_type_label(&r.body_type).to_owned(),
            tags: r.tags.clone(),
            message: r.message.clone(),
            location: r.location.clone(),
            requirements: r.requirements.clone(),
            mismatches: r
                .mismatches
                .iter()
                .map(|m| {
                    let (level, statement) = m
                        .requirement
                        .as_deref()
                        .map_or((String::new(), String::new()), level_of);
                    MismatchView {
                        what: m.what.clone(),
                        requirement: m.requirement.clone(),
                        level,
                        statement,
                        recorded_only: m.unknowable.clone(),
                        expected: split_difference(&m.expected, &m.observed),
                        observed: split_difference(&m.observed, &m.expected),
                    }
                })
                .collect(),
            transcript: r.transcript.clone(),
        })
        .collect();
    let mut groups: BTreeMap<(String, String), Vec<&ScenarioResult>> = BTreeMap::new();
    for r in results {
        groups
            .entry((
                r.operation.clone(),
                body_type_label(&r.body_type).to_owned(),
            ))
            .or_default()
            .push(r);
    }
    let matrix: Vec<MatrixRow> = groups
        .iter()
        .map(|((operation, body_type), rs)| MatrixRow {
            operation: operation.clone(),
            body_type: body_type.clone(),
            cells: Verdict::ALL
                .iter()
                .map(|v| Count {
                    verdict: v.word(),
                    count: rs.iter().filter(|r| r.verdict == *v).count(),
                })
                .collect(),
        })
        .collect();
    let mut by_requirement: BTreeMap<String, Vec<&ScenarioResult>> = BTreeMap::new();
    for r in results {
        let mut ids: BTreeSet<String> = r.requirements.iter().cloned().collect();
        ids.extend(r.mismatches.iter().filter_map(|m| m.requirement.clone()));
        for id in ids {
            by_requirement.entry(id).or_default().push(r);
        }
    }
    let requirement_rows: Vec<RequirementRow> = by_requirement
        .iter()
        .map(|(id, rs)| {
            let (level, statement) = level_of(id);
            RequirementRow {
                id: id.clone(),
                level,
                statement,
                counts: Verdict::ALL
                    .iter()
                    .map(|v| Count {
                        verdict: v.word(),
                        count: rs.iter().filter(|r| r.verdict == *v).count(),
                    })
                    .filter(|c| c.count > 0)
                    .collect(),
                not_passing: rs
                    .iter()
                    .filter(|r| r.verdict != Verdict::Pass)
                    .map(|r| ScenarioLink {
                        id: r.id.clone(),
                        anchor: anchor(&r.id),
                        verdict: r.verdict.word(),
                    })
                    .collect(),
            }
        })
        .collect();
    let tags: BTreeSet<&String> = results.iter().flat_map(|r| &r.tags).collect();
    let counts: Vec<Count> = Verdict::ALL
        .iter()
        .map(|v| Count {
            verdict: v.word(),
            count: summary.count(*v),
        })
        .collect();
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    if let Err(e) = env.add_template("report.html", TEMPLATE) {
        return format!("<!-- cannot load the report template: {e} -->");
    }
    let rendered = env.get_template("report.html").and_then(|t| {
        t.render(context! {
            title,
            summary,
            closing_line => summary.closing_line(),
            seconds => format!("{:.2}", summary.duration_ms as f64 / 1000.0),
            fact_lines => facts.lines(),
            warnings => facts.warnings(),
            counts,
            verdicts => Verdict::ALL.iter().map(|v| v.word()).collect::<Vec<_>>(),
            matrix,
            ranked => &summary.failures_by_requirement,
            scenarios,
            requirement_rows,
            tags,
        })
    });
    rendered.unwrap_or_else(|e| format!("<!-- cannot render the report: {e} -->"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_differing_part_is_what_lies_between_the_common_ends() {
        let parts = |a: &str, b: &str| split_difference(a, b);
        assert_eq!(
            parts("etag=ABC&s=1", "etag=abc&s=1"),
            ("etag=".into(), "ABC".into(), "&s=1".into())
        );
        assert_eq!(
            parts("same", "same"),
            ("same".into(), String::new(), String::new())
        );
        assert_eq!(
            parts("abc", "abcd"),
            ("abc".into(), String::new(), String::new())
        );
        assert_eq!(
            parts("abcd", "abc"),
            ("abc".into(), "d".into(), String::new())
        );
        assert_eq!(
            parts("xaaa", "yaaa"),
            (String::new(), "x".into(), "aaa".into())
        );
    }

    #[test]
    fn anchors_are_safe_and_groups_have_names() {
        assert_eq!(anchor("put/header/form/basic"), "put-header-form-basic");
        assert_eq!(anchor("a b\"<"), "a-b--");
        assert_eq!(body_type_label("-"), "no callback");
        assert_eq!(body_type_label("other"), "other body type");
    }
}
