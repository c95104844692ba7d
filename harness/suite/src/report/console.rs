//! The human report. Failures first, each as a short block: the mismatch,
//! the requirement it breaks with its statement, expected and observed with
//! the first difference marked, and the transcript with `-v`. Then
//! non-strict and info results, then unsupported and xfail grouped by
//! reason, a recap of the requirements that fail most, the run's facts, the
//! verdict table and the closing line. `-q` keeps the recap and the line.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use super::summary::Summary;
use crate::runner::observation::Mismatch;
use crate::runner::{RunFacts, ScenarioResult, Verdict};
use crate::scenario::Requirement;

/// How much to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    /// The recap and the closing line.
    Quiet,
    /// Failure blocks without transcripts (the default).
    #[default]
    Normal,
    /// Failure blocks with transcripts, and every unsupported scenario.
    Verbose,
}

/// The console's look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConsoleStyle {
    /// ANSI colours.
    pub color: bool,
    /// How much.
    pub detail: Detail,
}

/// Whether to colour: `always`, `never`, or `auto` (a terminal, and
/// `NO_COLOR` unset or empty, per no-color.org).
pub fn color_wanted(choice: &str, is_terminal: bool) -> bool {
    match choice {
        "always" => true,
        "never" => false,
        _ => is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

fn verdict_style(verdict: Verdict) -> Style {
    let color = match verdict {
        Verdict::Pass => AnsiColor::Green,
        Verdict::Fail | Verdict::Xpass => AnsiColor::Red,
        Verdict::NonStrict => AnsiColor::Yellow,
        Verdict::Info => AnsiColor::Blue,
        Verdict::Unsupported => AnsiColor::BrightBlack,
        Verdict::Xfail => AnsiColor::Magenta,
    };
    Style::new().fg_color(Some(color.into())).bold()
}

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_owned()
        }
    }

    fn verdict(&self, verdict: Verdict) -> String {
        self.paint(
            verdict_style(verdict),
            &format!("{:<11}", verdict.word().to_uppercase()),
        )
    }
}

/// Where two texts first differ (a char index), or `None` when equal.
pub fn first_difference(expected: &str, observed: &str) -> Option<usize> {
    let mut a = expected.chars();
    let mut b = observed.chars();
    let mut i = 0;
    loop {
        match (a.next(), b.next()) {
            (None, None) => return None,
            (x, y) if x == y => i += 1,
            _ => return Some(i),
        }
    }
}

fn mismatch_block(
    out: &mut String,
    m: &Mismatch,
    requirements: &HashMap<String, Requirement>,
    shown: &mut Vec<String>,
    p: &Painter,
) {
    let _ = writeln!(
        out,
        "  ✗ {}{}",
        m.what,
        p.paint(Style::new().bold(), &m.requirement_tag())
    );
    if let Some(id) = &m.requirement {
        // Each requirement's statement once per scenario.
        if !shown.contains(id) {
            if let Some(req) = requirements.get(id) {
                let _ = writeln!(out, "    {id}: {}", req.statement);
            }
            shown.push(id.clone());
        }
    }
    let _ = writeln!(out, "    expected: {}", m.expected);
    let _ = writeln!(out, "    observed: {}", m.observed);
    if let Some(at) = first_difference(&m.expected, &m.observed) {
        // Under the observed value: "    observed: " is 14 columns.
        if at < 200 {
            let _ = writeln!(
                out,
                "              {}{}",
                " ".repeat(at),
                p.paint(
                    Style::new().fg_color(Some(AnsiColor::Red.into())),
                    "^ differs from here"
                )
            );
        } else {
            let _ = writeln!(out, "              (first difference at character {at})");
        }
    }
}

fn result_block(
    out: &mut String,
    r: &ScenarioResult,
    requirements: &HashMap<String, Requirement>,
    style: ConsoleStyle,
    p: &Painter,
) {
    let _ = writeln!(out, "{} {}  ({})", p.verdict(r.verdict), r.id, r.location);
    let _ = writeln!(out, "  {}", r.title);
    let mut shown = Vec::new();
    for m in &r.mismatches {
        mismatch_block(out, m, requirements, &mut shown, p);
    }
    if r.mismatches.is_empty() || matches!(r.verdict, Verdict::Xpass) {
        let _ = writeln!(out, "  {}", r.message);
    }
    if style.detail == Detail::Verbose && !r.transcript.is_empty() {
        let _ = writeln!(out, "  transcript:");
        for line in r.transcript.lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
}

/// The whole human report.
pub fn render(
    results: &[ScenarioResult],
    requirements: &HashMap<String, Requirement>,
    summary: &Summary,
    facts: &RunFacts,
    style: ConsoleStyle,
) -> String {
    let p = Painter { color: style.color };
    let mut out = String::new();
    if style.detail != Detail::Quiet {
        for verdict in [
            Verdict::Fail,
            Verdict::Xpass,
            Verdict::NonStrict,
            Verdict::Info,
        ] {
            for r in results.iter().filter(|r| r.verdict == verdict) {
                result_block(&mut out, r, requirements, style, &p);
            }
        }
        if style.detail != Detail::Verbose
            && results
                .iter()
                .any(|r| r.verdict.is_failure(true) && !r.transcript.is_empty())
        {
            let _ = writeln!(out, "(transcripts: -v)");
        }
        // Unsupported and xfail, grouped by reason.
        for verdict in [Verdict::Unsupported, Verdict::Xfail] {
            let mut by_reason: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for r in results.iter().filter(|r| r.verdict == verdict) {
                by_reason
                    .entry(r.message.as_str())
                    .or_default()
                    .push(r.id.as_str());
            }
            if by_reason.is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                "\n{} ({}):",
                p.verdict(verdict).trim_end(),
                summary.count(verdict)
            );
            for (reason, ids) in &by_reason {
                let listed = if style.detail == Detail::Verbose || ids.len() <= 3 {
                    ids.join(", ")
                } else {
                    format!("{}, … (+{} more)", ids[..3].join(", "), ids.len() - 3)
                };
                let _ = writeln!(out, "  {} × {reason}\n      {listed}", ids.len());
            }
        }
    }
    if !summary.failures_by_requirement.is_empty() {
        let gap = if out.is_empty() { "" } else { "\n" };
        let _ = writeln!(out, "{gap}failing requirements (most scenarios first):");
        for r in summary.failures_by_requirement.iter().take(20) {
            let some: Vec<&str> = r.scenarios.iter().take(3).map(String::as_str).collect();
            let more = if r.scenarios.len() > 3 {
                format!(" (+{} more)", r.scenarios.len() - 3)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "  {:>4}  {} [{}]: {}{more}",
                r.scenarios.len(),
                r.id,
                r.level,
                some.join(", ")
            );
        }
    }
    if style.detail != Detail::Quiet {
        let _ = writeln!(out, "\nrun:");
        let _ = writeln!(
            out,
            "  {} ({}), {} {}",
            summary.info.tool, summary.info.commit, summary.info.command, summary.info.driver
        );
        if let Some(sdk) = &summary.info.sdk {
            let _ = writeln!(out, "  sdk: {sdk}");
        }
        let _ = writeln!(
            out,
            "  started {}, took {:.2} s",
            summary.info.started_at,
            summary.duration_ms as f64 / 1000.0
        );
        for line in facts.lines() {
            let _ = writeln!(out, "  {line}");
        }
        let _ = writeln!(out, "\n{:<12} {:>6}", "verdict", "count");
        for verdict in Verdict::ALL {
            let _ = writeln!(out, "{:<12} {:>6}", verdict.word(), summary.count(verdict));
        }
    }
    for warning in facts.warnings() {
        let _ = writeln!(
            out,
            "{} {warning}",
            p.paint(
                Style::new().fg_color(Some(AnsiColor::Yellow.into())).bold(),
                "warning:"
            )
        );
    }
    let line = summary.closing_line();
    let style_line = if summary.failed {
        verdict_style(Verdict::Fail)
    } else {
        verdict_style(Verdict::Pass)
    };
    let _ = writeln!(out, "{}", p.paint(style_line, &line));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_difference_is_found_by_character() {
        assert_eq!(first_difference("abc", "abc"), None);
        assert_eq!(first_difference("abc", "abd"), Some(2));
        assert_eq!(first_difference("ab", "abc"), Some(2));
        assert_eq!(first_difference("é1", "é2"), Some(1));
    }

    fn sample() -> (Vec<ScenarioResult>, RunFacts, Summary) {
        use crate::runner::facts::PreflightSummary;
        let result = |id: &str, verdict: Verdict, message: &str| ScenarioResult {
            id: id.into(),
            title: format!("title of {id}"),
            requirements: vec!["CB-OWN".into()],
            operation: "PutObject".into(),
            body_type: "form".into(),
            verdict,
            message: message.into(),
            mismatches: if verdict == Verdict::Fail {
                vec![Mismatch {
                    what: "callback[0].body".into(),
                    expected: "\"etag=ABC\"".into(),
                    observed: "\"etag=abc\"".into(),
                    requirement: Some("CB-SYS-ETAG".into()),
                    level: Some(crate::scenario::Level::Must),
                    unknowable: None,
                }]
            } else {
                Vec::new()
            },
            transcript: "upload: PutObject".into(),
            duration: std::time::Duration::ZERO,
            location: "scenarios/x.toml:1".into(),
            known_deviations: Vec::new(),
            transport_failure: None,
            tags: Vec::new(),
        };
        let results = vec![
            result("a/fails", Verdict::Fail, "etag differs"),
            result("b/passes", Verdict::Pass, "as expected"),
            result(
                "c/unsupported",
                Verdict::Unsupported,
                "the target does not offer tls-capture",
            ),
            result(
                "d/unsupported",
                Verdict::Unsupported,
                "the target does not offer tls-capture",
            ),
        ];
        let facts = RunFacts::collect("t".into(), PreflightSummary::NotNeeded, &[], &results, 0);
        let summary = Summary::new(
            super::super::summary::RunInfo::now("run", "native", "t".into()),
            &results,
            &facts,
            &HashMap::new(),
            std::time::Duration::ZERO,
            false,
        );
        (results, facts, summary)
    }

    #[test]
    fn failures_come_first_with_the_difference_marked_and_unsupported_grouped() {
        let (results, facts, summary) = sample();
        let out = render(
            &results,
            &HashMap::new(),
            &summary,
            &facts,
            ConsoleStyle::default(),
        );
        let fail = out.find("FAIL        a/fails").unwrap();
        let grouped = out
            .find("2 × the target does not offer tls-capture")
            .unwrap();
        assert!(fail < grouped, "{out}");
        assert!(out.contains("[CB-SYS-ETAG MUST]"), "{out}");
        // Under `observed: "etag=abc"`, the caret sits under the `a` of abc.
        let observed = out
            .lines()
            .position(|l| l.contains("observed: \"etag=abc\""))
            .unwrap();
        let caret = out.lines().nth(observed + 1).unwrap();
        assert_eq!(
            caret.find('^'),
            out.lines().nth(observed).unwrap().find("abc"),
            "{out}"
        );
        assert!(
            !out.contains("upload: PutObject"),
            "transcripts only with -v"
        );
        assert!(!out.contains('\u{1b}'), "no colour unless asked");
        assert_eq!(
            out.lines().last().unwrap(),
            "1 passed, 1 failed, 0 non-strict, 2 unsupported, 0 xfail, 0 xpass, 0 info"
        );
    }

    #[test]
    fn quiet_keeps_the_recap_and_the_line_and_verbose_adds_transcripts() {
        let (results, facts, summary) = sample();
        let quiet = render(
            &results,
            &HashMap::new(),
            &summary,
            &facts,
            ConsoleStyle {
                color: false,
                detail: Detail::Quiet,
            },
        );
        assert!(!quiet.contains("a/fails  ("), "{quiet}");
        assert!(quiet.contains("CB-SYS-ETAG [unknown]: a/fails"), "{quiet}");
        assert_eq!(quiet.lines().count(), 3, "{quiet}");
        let verbose = render(
            &results,
            &HashMap::new(),
            &summary,
            &facts,
            ConsoleStyle {
                color: true,
                detail: Detail::Verbose,
            },
        );
        assert!(
            verbose.contains("upload: PutObject")
                && verbose.contains("c/unsupported, d/unsupported")
        );
        assert!(verbose.contains("\u{1b}["), "colour when asked");
    }

    #[test]
    fn colour_follows_the_choice_and_the_terminal() {
        assert!(color_wanted("always", false));
        assert!(!color_wanted("never", true));
        assert!(!color_wanted("auto", false));
    }
}
