//! Traceability: every requirement ID cited in code, tests, scenarios or
//! fuzz targets (`spec: CB-...`) must exist in `spec/requirements.md`, and
//! the requirement file itself must be well-formed.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use crate::support::root;

/// `(id, level)` for every `### CB-...` heading in the requirement file.
fn requirements() -> Vec<(String, String)> {
    let text = fs::read_to_string(root().join("spec/requirements.md"))
        .expect("spec/requirements.md exists");
    let mut out = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(id) = line.strip_prefix("### ") else {
            continue;
        };
        let id = id.trim().to_owned();
        let level = lines
            .next()
            .and_then(|l| l.strip_prefix("- Level: "))
            .unwrap_or_else(|| panic!("{id}: the line after the heading must be `- Level: ...`"))
            .trim()
            .to_owned();
        out.push((id, level));
    }
    out
}

fn is_id(word: &str) -> bool {
    let mut parts = word.split('-');
    parts.next() == Some("CB")
        && word.split('-').count() >= 3
        && parts.all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
}

/// Every ID cited after `spec:` in the files below `dir` with the given extensions.
fn cited_ids(dir: &Path, exts: &[&str], found: &mut BTreeSet<(String, String)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if !path.ends_with("target") {
                cited_ids(&path, exts, found);
            }
            continue;
        }
        if !path
            .extension()
            .is_some_and(|e| exts.iter().any(|x| e == *x))
        {
            continue;
        }
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        for line in text.lines() {
            let Some((_, rest)) = line.split_once("spec: ") else {
                continue;
            };
            for word in rest.split(|c: char| c == ',' || c.is_whitespace()) {
                let word = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
                if word.starts_with("CB-") {
                    found.insert((word.to_owned(), path.display().to_string()));
                }
            }
        }
    }
}

#[test]
fn requirement_file_is_well_formed() {
    let reqs = requirements();
    assert!(reqs.len() >= 90, "only {} requirements", reqs.len());
    let mut seen = BTreeSet::new();
    for (id, level) in &reqs {
        assert!(is_id(id), "{id} is not of the form CB-<AREA>-<NAME>");
        assert!(seen.insert(id.clone()), "{id} is defined twice");
        assert!(
            ["MUST", "SHOULD", "IMPLEMENTATION-DEFINED"].contains(&level.as_str()),
            "{id} has level {level:?}"
        );
    }
}

#[test]
fn every_cited_id_exists() {
    let known: BTreeSet<String> = requirements().into_iter().map(|(id, _)| id).collect();
    let root = root();
    let mut cited = BTreeSet::new();
    // Every crate's sources and tests: `harness/<crate>/{src,tests}`.
    cited_ids(&root.join("harness"), &["rs"], &mut cited);
    cited_ids(&root.join("fuzz/fuzz_targets"), &["rs"], &mut cited);
    cited_ids(&root.join("scenarios"), &["toml"], &mut cited);
    assert!(
        cited.len() > 50,
        "suspiciously few citations found: {}",
        cited.len()
    );
    let missing: Vec<String> = cited
        .iter()
        .filter(|(id, _)| !known.contains(id))
        .map(|(id, file)| format!("{id} (cited in {file})"))
        .collect();
    assert!(
        missing.is_empty(),
        "cited IDs missing from spec/requirements.md:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_id_check_catches_a_missing_id() {
    // Guards the checker itself: an ID that cannot exist is flagged.
    let known: BTreeSet<String> = requirements().into_iter().map(|(id, _)| id).collect();
    assert!(is_id("CB-URL-MAX5"));
    assert!(!is_id("CB-url-max5"));
    assert!(!known.contains("CB-NO-SUCH-REQUIREMENT"));
    assert!(known.contains("CB-URL-MAX5"));
}
