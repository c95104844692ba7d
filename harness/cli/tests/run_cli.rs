//! `cbspec run` as CI and people use it: listing, partitions, reports, exit
//! codes, and a broken endpoint caught with useful diffs.

use crate::support::{cbspec_in_root as cbspec, text};

#[test]
fn list_and_partitions_are_stable_and_complete() {
    let all = cbspec(&["run", "--list"], &[]);
    assert_eq!(all.status.code(), Some(0), "{}", text(&all.stderr));
    let all: Vec<String> = text(&all.stdout).lines().map(str::to_owned).collect();
    assert!(all.len() >= 200, "only {} scenarios", all.len());
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted, "listed in id order");
    let mut union = Vec::new();
    for k in 1..=3 {
        let part = cbspec(&["run", "--list", "--partition", &format!("{k}/3")], &[]);
        union.extend(text(&part.stdout).lines().map(str::to_owned));
    }
    union.sort();
    assert_eq!(
        union, all,
        "the three partitions cover every scenario exactly once"
    );
    let globbed = cbspec(&["run", "--list", "put/header/form/basic"], &[]);
    assert_eq!(text(&globbed.stdout), "put/header/form/basic\n");
    let bad = cbspec(&["run", "--partition", "4/3"], &[]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn a_selection_runs_and_writes_junit_json_and_html() {
    let dir = std::env::temp_dir().join(format!("cbspec-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junit = dir.join("out.xml");
    let html = dir.join("out.html");
    let out = cbspec(
        &[
            "run",
            "put/header/*",
            "--format",
            "json",
            "--junit",
            junit.to_str().unwrap(),
            "--report",
            html.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let mut lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // A header first, the summary last, scenarios between.
    let header = lines.remove(0);
    assert_eq!(header["type"], "header", "{header}");
    assert_eq!(header["run"]["driver"], "native");
    assert!(header["run"]["tool"]
        .as_str()
        .unwrap()
        .starts_with("cbspec "));
    // The summary line holds the counts and the run's facts: every scenario
    // here expects one callback, and the capture server saw each, validly signed.
    let run = lines.pop().unwrap();
    assert_eq!(run["type"], "summary", "{run}");
    assert_eq!(
        run["summary"]["counts"]["pass"].as_u64(),
        Some(lines.len() as u64)
    );
    assert_eq!(run["summary"]["total"].as_u64(), Some(lines.len() as u64));
    assert_eq!(
        run["closing_line"],
        format!(
            "{} passed, 0 failed, 0 non-strict, 0 unsupported, 0 xfail, 0 xpass, 0 info",
            lines.len()
        )
    );
    assert_eq!(run["run"]["preflight"]["state"], "not-needed", "{run}");
    assert_eq!(
        run["run"]["callbacks_received"].as_u64(),
        Some(lines.len() as u64),
        "{run}"
    );
    assert_eq!(
        run["run"]["signatures"]["valid"].as_u64(),
        Some(lines.len() as u64),
        "{run}"
    );
    assert_eq!(run["warnings"], serde_json::json!([]));
    assert!(!lines.is_empty());
    for line in &lines {
        assert_eq!(line["type"], "scenario", "{line}");
        assert_eq!(line["verdict"], "pass", "{line}");
        assert!(line["id"].as_str().unwrap().starts_with("put/header/"));
        assert!(line["requirements"]
            .as_array()
            .is_some_and(|r| !r.is_empty()));
        assert!(line["duration_ms"].is_u64() && line["message"].is_string());
    }
    let junit = std::fs::read_to_string(&junit).unwrap();
    assert!(
        junit.contains(&format!("tests=\"{}\"", lines.len())),
        "{junit}"
    );
    assert!(junit.contains("failures=\"0\""));
    // Merged CI results do not collide: the suite names the driver; the
    // suite carries its timestamp and the run's facts.
    assert!(
        junit.contains("<testsuite name=\"cbspec.run.native\""),
        "{junit}"
    );
    assert!(
        junit.contains("timestamp=\"") && junit.contains("<property name=\"closing_line\""),
        "{junit}"
    );
    let html = std::fs::read_to_string(&html).unwrap();
    assert!(
        html.starts_with("<!DOCTYPE html>")
            && html.contains("id=\"s-put-header-form-basic\"")
            && html.contains("<h2 id=\"matrix\">Matrix</h2>")
            && html.contains("name=\"viewport\"")
            && html.contains(&format!("{} passed, 0 failed", lines.len())),
        "{html}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_server_that_stores_nothing_and_never_calls_back_fails_with_diffs() {
    // Answers 200 with an empty body to everything and calls nobody back.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(false).unwrap();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for stream in listener.incoming().take(2000) {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_millis(200)));
            let mut buf = [0u8; 65536];
            let _ = stream.read(&mut buf);
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    let endpoint = format!("http://{addr}");
    let out = cbspec(
        &[
            "run",
            "put/header/form/basic",
            "val/*",
            "--endpoint",
            &endpoint,
            "--region",
            "cn-hangzhou",
            "--bucket",
            "b1",
            "--callback-base-url",
            "http://capture.invalid",
            "--skip-preflight",
        ],
        &[("OSS_ACCESS_KEY_ID", "ak"), ("OSS_ACCESS_KEY_SECRET", "sk")],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("preflight: skipped (--skip-preflight)")
            && stdout.contains("callbacks received: 0")
            && stdout
                .contains("warning: no callback request reached the capture server during the run"),
        "the run says that no callback arrived: {stdout}"
    );
    assert!(
        stdout.contains("FAIL        put/header/form/basic"),
        "{stdout}"
    );
    assert!(
        stdout.contains("expected: 1 request(s)") && stdout.contains("observed: 0 request(s)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("[CB-CARRIER-HEADER MUST]") && stdout.contains("    CB-CARRIER-HEADER: "),
        "the broken requirement and its text are quoted: {stdout}"
    );
    assert!(
        !stdout.contains("transcript:") && stdout.contains("(transcripts: -v)"),
        "{stdout}"
    );
    // The closing line counts what the table counts: nothing passed here.
    let closing = stdout.lines().last().unwrap();
    assert!(
        closing.starts_with("0 passed, ") && !closing.contains(" 0 failed"),
        "{closing}"
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        cbspec(&["run", "--spec", "/nonexistent.md"], &[])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        cbspec(&["run", "no/such/scenario"], &[]).status.code(),
        Some(2)
    );
    let out = cbspec(
        &[
            "run",
            "--endpoint",
            "http://127.0.0.1:9",
            "--region",
            "r",
            "--bucket",
            "b",
            "--callback-base-url",
            "http://x",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("OSS_ACCESS_KEY_ID"));
}

#[test]
fn unknown_drivers_and_missing_adapters_are_usage_errors_that_say_what_to_do() {
    let out = cbspec(&["run", "--driver", "no-such-sdk", "put/*"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("unknown driver \"no-such-sdk\""),
        "{stderr}"
    );
    assert!(stderr.contains("ali-oss-rs (Rust SDK"), "{stderr}");
    assert!(stderr.contains("--driver-command"), "{stderr}");

    let out = cbspec(
        &[
            "matrix",
            "--driver",
            "no-such-sdk",
            "--out",
            "/nonexistent/m.md",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown driver"));

    let out = cbspec(
        &[
            "run",
            "--driver",
            "mine",
            "--driver-command",
            "drivers/.no-such-venv/bin/python adapter.py",
            "put/*",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("cannot start"), "{stderr}");
    assert!(stderr.contains("drivers/setup"), "{stderr}");
}

/// A report into a directory that does not exist fails before the run, not
/// after it.
#[test]
fn a_report_into_a_missing_directory_fails_before_running() {
    for flag in ["--junit", "--report"] {
        let out = cbspec(&["run", flag, "/nonexistent-cbspec-dir/out.xml"], &[]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        // Only the up-front check says this; a write after the run would
        // report the operating system's error instead.
        assert!(
            text(&out.stderr).contains("does not exist"),
            "{}",
            text(&out.stderr)
        );
        assert!(!text(&out.stdout).contains("verdict"), "nothing ran");
    }
}

/// The template adapter in drivers/example/ (the model for SDKs this
/// machine cannot install) passes every PutObject scenario it can express
/// and reports the rest unsupported: a template that fails would teach the
/// wrong thing.
#[test]
fn the_template_adapter_passes_the_put_scenarios() {
    let out = cbspec(
        &[
            "run",
            "--driver",
            "template",
            "--driver-command",
            "python3 drivers/example/template_adapter.py",
            "--tag",
            "put",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let summary: serde_json::Value = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|record| record["type"] == "summary")
        .expect("a summary record");
    let counts = &summary["summary"]["counts"];
    assert_eq!(counts["fail"].as_u64(), Some(0), "{summary}");
    assert!(counts["pass"].as_u64().unwrap_or(0) >= 40, "{summary}");
}
