//! `--report FILE.html`: one self-contained page: a scenario × verdict
//! matrix grouped by upload type and body type, with transcripts.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::tally;
use crate::runner::{RunFacts, ScenarioResult, Verdict};

fn esc(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

fn colour(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "#1a7f37",
        Verdict::Fail | Verdict::Xpass => "#cf222e",
        Verdict::NonStrict => "#bf8700",
        Verdict::Info => "#0969da",
        Verdict::Unsupported => "#6e7781",
        Verdict::Xfail => "#8250df",
    }
}

/// The page.
pub fn render(results: &[ScenarioResult], title: &str, facts: &RunFacts) -> String {
    let mut groups: BTreeMap<(String, String), Vec<&ScenarioResult>> = BTreeMap::new();
    for r in results {
        groups
            .entry((r.operation.clone(), r.body_type.clone()))
            .or_default()
            .push(r);
    }
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>\
body{{font-family:system-ui,sans-serif;margin:2em;color:#1f2328}}table{{border-collapse:collapse;margin-bottom:1.5em}}\
td,th{{border:1px solid #d0d7de;padding:.3em .6em;text-align:left;vertical-align:top}}th{{background:#f6f8fa}}\
.v{{color:#fff;border-radius:.3em;padding:.1em .5em;font-weight:600}}pre{{background:#f6f8fa;padding:.6em;overflow:auto;max-width:100em}}\
details summary{{cursor:pointer}}</style></head><body><h1>{t}</h1>",
        t = esc(title)
    );
    let counts = tally(results);
    out.push_str("<p>");
    for (verdict, n) in &counts {
        let _ = write!(
            out,
            "<span class=\"v\" style=\"background:{}\">{} {n}</span> ",
            colour(*verdict),
            verdict.word()
        );
    }
    out.push_str("</p>\n<h2>Run</h2><ul class=\"facts\">");
    for line in facts.lines() {
        let _ = write!(out, "<li>{}</li>", esc(&line));
    }
    for warning in facts.warnings() {
        let _ = write!(
            out,
            "<li class=\"warning\"><b>warning:</b> {}</li>",
            esc(&warning)
        );
    }
    out.push_str("</ul>\n<h2>Matrix</h2><table><tr><th>upload type</th><th>body type</th>");
    for v in Verdict::ALL {
        let _ = write!(out, "<th>{}</th>", v.word());
    }
    out.push_str("</tr>\n");
    for ((operation, body_type), rs) in &groups {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td>",
            esc(operation),
            esc(body_type)
        );
        for v in Verdict::ALL {
            let n = rs.iter().filter(|r| r.verdict == v).count();
            let _ = write!(
                out,
                "<td>{}</td>",
                if n == 0 { String::new() } else { n.to_string() }
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n<h2>Scenarios</h2>\n");
    for ((operation, body_type), rs) in &groups {
        let _ = writeln!(out, "<h3>{} · {}</h3><table><tr><th>verdict</th><th>scenario</th><th>requirements</th><th>details</th></tr>", esc(operation), esc(body_type));
        for r in rs {
            let _ = write!(
                out,
                "<tr><td><span class=\"v\" style=\"background:{}\">{}</span></td><td><b>{}</b><br>{}</td><td>{}</td><td><details><summary>{}</summary>",
                colour(r.verdict),
                r.verdict.word(),
                esc(&r.id),
                esc(&r.title),
                esc(&r.requirements.join(" ")),
                esc(&r.message)
            );
            for m in &r.mismatches {
                let _ = write!(
                    out,
                    "<p><b>{}</b>{}<br>expected: <code>{}</code><br>observed: <code>{}</code></p>",
                    esc(&m.what),
                    esc(&super::console::breaks(m)),
                    esc(&m.expected),
                    esc(&m.observed)
                );
            }
            let _ = writeln!(out, "<pre>{}</pre></details></td></tr>", esc(&r.transcript));
        }
        out.push_str("</table>\n");
    }
    out.push_str("</body></html>\n");
    out
}
