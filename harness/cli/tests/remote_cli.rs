//! `cbspec run` against endpoints started as their own processes, over real
//! loopback sockets: a `cbspec emulator` pair described by the shipped
//! profile (HTTP and HTTPS callbacks), a dead port, an endpoint that never
//! calls back, and profiles and flags that are wrong.
// spec: CB-KEY-ALLOWLIST, CB-TLS-SNI-NAME, CB-URL-PRIVATE

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::{cbspec_in_root as cbspec, root, text};

const KEY: [(&str, &str); 2] = [
    ("OSS_ACCESS_KEY_ID", "remote-test-key"),
    ("OSS_ACCESS_KEY_SECRET", "remote-test-secret"),
];
const BUCKET: &str = "cbspec-remote";

/// A port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// A scratch directory of this test's own.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cbspec-remote-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A `cbspec emulator` process, killed when dropped.
struct EmulatorProcess {
    child: Child,
    endpoint: String,
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `cbspec emulator` on a free port with `extra` flags and waits
/// until it says it is serving.
fn start_emulator(extra: &[&str]) -> EmulatorProcess {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cbspec"))
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--callback-timeout",
            "1s",
            "--bucket",
            BUCKET,
        ])
        .args(extra)
        .envs(KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cbspec emulator starts");
    let stdout = child.stdout.take().unwrap();
    let mut endpoint = String::new();
    // The emulator prints a few lines and then "serving"; a closed pipe
    // (a failed start) ends the loop too.
    for line in BufReader::new(stdout).lines().take(20) {
        let Ok(line) = line else { break };
        if let Some(rest) = line.strip_prefix("endpoint:") {
            endpoint = rest.trim().to_owned();
        }
        if line.starts_with("serving") {
            break;
        }
    }
    assert!(
        endpoint.starts_with("http://127.0.0.1:"),
        "the emulator did not start"
    );
    EmulatorProcess { child, endpoint }
}

/// CA, certificate and key for `cb.example.test`, written by `cbspec tls-cert`.
fn tls_files(dir: &Path) -> (String, String, String) {
    let [ca, cert, key] =
        ["ca.pem", "cert.pem", "key.pem"].map(|f| dir.join(f).display().to_string());
    let out = cbspec(
        &[
            "tls-cert",
            "--name",
            "cb.example.test",
            "--ca-out",
            &ca,
            "--cert-out",
            &cert,
            "--key-out",
            &key,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    (ca, cert, key)
}

/// The scenario lines and the summary line of a `--format json` run.
fn json_lines(stdout: &[u8]) -> (Vec<serde_json::Value>, serde_json::Value) {
    let lines: Vec<serde_json::Value> = text(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let run = lines
        .iter()
        .find(|l| l["type"] == "summary")
        .cloned()
        .expect("a summary line");
    let scenarios = lines
        .into_iter()
        .filter(|l| l["type"] == "scenario")
        .collect();
    (scenarios, run)
}

fn ids_with(lines: &[serde_json::Value], verdict: &str) -> BTreeSet<String> {
    lines
        .iter()
        .filter(|l| l["verdict"] == verdict)
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Scenarios from every corner the profile decides: plain HTTP callbacks,
/// HTTPS with and without SNI, the production-rules refusals (including the
/// loopback capture address), `${clientIp}`, and both sides of the timeout.
const SELECTION: [&str; 6] = [
    "put/form/*",
    "put/json/https-*",
    "val/url/private-*",
    "sys/all14/put/*",
    "out/timeout/*",
    "route/host/https-*",
];

#[test]
fn a_separately_started_emulator_passes_what_the_embedded_one_passes() {
    let dir = scratch("pair");
    let (ca, cert, key) = tls_files(&dir);
    let resolve = "cb.example.test=127.0.0.1";
    let main = start_emulator(&["--callback-ca", &ca, "--resolve", resolve]);
    let production = start_emulator(&[
        "--callback-ca",
        &ca,
        "--resolve",
        resolve,
        "--production-rules",
    ]);
    // Both held at once, so the two are distinct (a port freed by the first
    // call could be handed out again by the second).
    let (http, https) = {
        let first = TcpListener::bind("127.0.0.1:0").unwrap();
        let second = TcpListener::bind("127.0.0.1:0").unwrap();
        (
            first.local_addr().unwrap().port(),
            second.local_addr().unwrap().port(),
        )
    };
    let capture_listen = format!("127.0.0.1:{http}");
    let capture_https_listen = format!("127.0.0.1:{https}");
    let base = format!("http://127.0.0.1:{http}");
    let https_base = format!("https://cb.example.test:{https}");
    let main_prefix = format!("{}/_cbspec/", main.endpoint);
    let production_prefix = format!("{}/_cbspec/", production.endpoint);
    let profile = root().join("profiles/cbspec-emulator.toml");
    let mut args = vec!["run"];
    args.extend(SELECTION);
    args.extend([
        "--format",
        "json",
        "--profile",
        profile.to_str().unwrap(),
        "--endpoint",
        &main.endpoint,
        "--production-endpoint",
        &production.endpoint,
        "--callback-base-url",
        &base,
        "--callback-https-base-url",
        &https_base,
        "--allow-key-url-prefix",
        &main_prefix,
        "--allow-key-url-prefix",
        &production_prefix,
        "--capture-listen",
        &capture_listen,
        "--capture-https-listen",
        &capture_https_listen,
        "--capture-tls-cert",
        &cert,
        "--capture-tls-key",
        &key,
    ]);
    let remote = cbspec(&args, &KEY);
    assert_eq!(
        remote.status.code(),
        Some(0),
        "{}{}",
        text(&remote.stdout),
        text(&remote.stderr)
    );
    let (remote_lines, run) = json_lines(&remote.stdout);

    let mut embedded_args = vec!["run", "--format", "json"];
    embedded_args.extend(SELECTION);
    let embedded = cbspec(&embedded_args, &[]);
    assert_eq!(
        embedded.status.code(),
        Some(0),
        "{}",
        text(&embedded.stderr)
    );
    let (embedded_lines, _) = json_lines(&embedded.stdout);

    assert!(
        remote_lines.len() >= 40,
        "only {} scenarios",
        remote_lines.len()
    );
    assert_eq!(remote_lines.len(), embedded_lines.len());
    assert_eq!(
        ids_with(&remote_lines, "pass"),
        ids_with(&embedded_lines, "pass"),
        "the same scenarios pass remotely as embedded"
    );
    assert_eq!(
        ids_with(&remote_lines, "pass").len(),
        remote_lines.len(),
        "{run}"
    );

    let facts = &run["run"];
    assert_eq!(facts["preflight"]["state"], "passed", "{run}");
    let steps: Vec<&str> = facts["preflight"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "endpoint",
            "credentials",
            "bucket",
            "callback",
            "callback-https"
        ]
    );
    let main_key = format!("{main_prefix}callback_pub_key.pem");
    let received = facts["callbacks_received"].as_u64().unwrap();
    assert!(received > 0);
    assert_eq!(
        facts["key_urls"][&main_key].as_u64(),
        Some(received),
        "{run}"
    );
    assert_eq!(
        facts["signatures"]["valid"].as_u64(),
        Some(received),
        "{run}"
    );
    assert_eq!(
        facts["peers"]["127.0.0.1"].as_u64(),
        Some(received),
        "{run}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `cbspec run` against `endpoint` with the suite bucket and a capture
/// server on a free loopback port (returned as its base URL), plus `extra`.
fn run_against(endpoint: &str, extra: &[&str]) -> (std::process::Output, String) {
    let http = free_port();
    let base = format!("http://127.0.0.1:{http}");
    let listen = format!("127.0.0.1:{http}");
    let mut args = vec![
        "run",
        "--endpoint",
        endpoint,
        "--region",
        "cn-hangzhou",
        "--bucket",
        BUCKET,
        "--callback-base-url",
        &base,
        "--capture-listen",
        &listen,
    ];
    args.extend(extra);
    (cbspec(&args, &KEY), base)
}

#[test]
fn a_dead_port_stops_at_the_preflight_before_any_upload() {
    let dead = format!("http://127.0.0.1:{}", free_port());
    let (out, _) = run_against(&dead, &["--format", "json"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("preflight step endpoint failed")
            && stderr.contains(&format!("{dead} did not answer: connection refused")),
        "{stderr}"
    );
    // The JSON header says what was about to run; not one scenario did.
    assert!(
        !text(&out.stdout).contains("\"type\":\"scenario\""),
        "no scenario ran: {}",
        text(&out.stdout)
    );
}

/// An OSS look-alike that stores nothing and never calls back: 404 NoSuchKey
/// to every GET, 200 to everything else; it serves `limit` connections.
fn never_calling_back(limit: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(limit) {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
            let mut buf = vec![0u8; 1 << 20];
            let n = stream.read(&mut buf).unwrap_or(0);
            let answer = if buf[..n].starts_with(b"GET ") {
                let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>absent</Message></Error>";
                format!(
                    "HTTP/1.1 404 Not Found\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            } else {
                "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
            };
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    format!("http://{addr}")
}

#[test]
fn an_endpoint_that_never_calls_back_stops_at_the_canary() {
    let endpoint = never_calling_back(20);
    let (out, base) = run_against(&endpoint, &["--preflight-wait", "1s"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("preflight step callback failed")
            && stderr.contains(&format!("no callback reached {base}/preflight/"))
            && stderr.contains("within 1s: is the address public? is the tunnel up?")
            && stderr.contains("answered 200 without calling back"),
        "{stderr}"
    );
}

#[test]
fn the_preflight_names_the_key_url_the_profile_does_not_allow() {
    let main = start_emulator(&[]);
    let (out, _) = run_against(&main.endpoint, &["--private-callbacks", "true"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("preflight step callback failed")
            && stderr.contains(&format!(
                "signed with the key at {}/_cbspec/callback_pub_key.pem",
                main.endpoint
            ))
            && stderr.contains(&format!(
                "add --allow-key-url-prefix {}/_cbspec/",
                main.endpoint
            )),
        "{stderr}"
    );
}

#[test]
fn the_preflight_checks_credentials_and_bucket_and_can_create_it() {
    let main = start_emulator(&[]);
    let http = free_port();
    let capture_listen = format!("127.0.0.1:{http}");
    let base = format!("http://127.0.0.1:{http}");
    let prefix = format!("{}/_cbspec/", main.endpoint);
    let run = |bucket: &str, extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec![
            "run",
            "put/form/*",
            "--endpoint",
            &main.endpoint,
            "--region",
            "cn-hangzhou",
            "--bucket",
            bucket,
            "--private-callbacks",
            "true",
            "--allow-key-url-prefix",
            &prefix,
            "--callback-base-url",
            &base,
            "--capture-listen",
            &capture_listen,
        ];
        args.extend(extra);
        cbspec(&args, env)
    };
    let wrong = run(
        BUCKET,
        &[],
        &[
            ("OSS_ACCESS_KEY_ID", "remote-test-key"),
            ("OSS_ACCESS_KEY_SECRET", "wrong"),
        ],
    );
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        text(&wrong.stderr).contains("preflight step credentials failed")
            && text(&wrong.stderr).contains("check OSS_ACCESS_KEY_SECRET"),
        "{}",
        text(&wrong.stderr)
    );
    let missing = run("made-by-preflight", &[], &KEY);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains(
            "preflight step bucket failed: the bucket \"made-by-preflight\" does not exist"
        ) && text(&missing.stderr).contains("--create-bucket"),
        "{}",
        text(&missing.stderr)
    );
    let created = run("made-by-preflight", &["--create-bucket"], &KEY);
    let stdout = text(&created.stdout);
    assert_eq!(
        created.status.code(),
        Some(0),
        "{stdout}{}",
        text(&created.stderr)
    );
    assert!(
        stdout.contains("bucket: created \"made-by-preflight\""),
        "{stdout}"
    );
    // Private callbacks without production rules: the production scenarios
    // are unsupported, with the reason.
    assert!(stdout.contains(", 0 failed,"), "{stdout}");
}

#[test]
fn bad_profiles_and_flags_are_refused_with_file_line_or_flag() {
    let dir = scratch("profiles");
    let write = |name: &str, body: &str| {
        let path = dir.join(name);
        std::fs::write(&path, body).unwrap();
        path.display().to_string()
    };
    let cases = [
        (
            write(
                "unknown.toml",
                "endpoint = \"http://127.0.0.1:1\"\nbukcet = \"b\"\n",
            ),
            vec!["unknown.toml", "line 2", "unknown field `bukcet`"],
        ),
        (
            write(
                "timeout.toml",
                "region = \"r\"\ncallback_timeout = \"fast\"\n",
            ),
            vec!["timeout.toml", "line 2", "callback timeout \"fast\""],
        ),
        (
            write(
                "prefix.toml",
                "key_url_prefixes = [\"ftp://keys.example/\"]\n",
            ),
            vec![
                "prefix.toml",
                "line 1",
                "key URL prefix \"ftp://keys.example/\"",
            ],
        ),
        (
            write("ip.toml", "client_ip = \"localhost\"\n"),
            vec!["ip.toml", "line 1", "is not an IP address"],
        ),
        (
            write("missing.toml", "endpoint = \"http://127.0.0.1:1\"\n"),
            vec!["`region` is not set: give --region"],
        ),
    ];
    for (path, wanted) in &cases {
        let out = cbspec(&["run", "--profile", path], &KEY);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{path}: {stderr}");
        for w in wanted {
            assert!(stderr.contains(w), "{path}: wanted {w:?} in {stderr}");
        }
    }
    let profile = root().join("profiles/cbspec-emulator.toml");
    let profile = profile.to_str().unwrap();
    let flag_cases: [(&[&str], &str); 5] = [
        (
            &["--callback-timeout", "fast"],
            "--callback-timeout: callback timeout \"fast\"",
        ),
        (&["--client-ip", "nope"], "--client-ip: client IP \"nope\""),
        (
            &["--allow-key-url-prefix", "http://"],
            "--allow-key-url-prefix: \"http://\"",
        ),
        (
            &["--endpoint", "ftp://x"],
            "--endpoint: \"ftp://x\": the scheme must be http or https",
        ),
        (
            &["--capture-listen", "127.0.0.1:1"],
            "does not lead to the capture server",
        ),
    ];
    for (extra, wanted) in flag_cases {
        let mut args = vec!["run", "--profile", profile];
        args.extend(extra);
        let out = cbspec(&args, &KEY);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(
            stderr.contains(wanted),
            "{extra:?}: wanted {wanted:?} in {stderr}"
        );
    }
    let stray = cbspec(&["run", "--allow-key-url-prefix", "http://k.example/"], &[]);
    assert_eq!(stray.status.code(), Some(2));
    assert!(text(&stray.stderr).contains("describes a remote endpoint"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn virtual_hosted_addressing_reaches_the_bucket_by_host_name() {
    // Against path-style requests to a bucket host, every object key would
    // gain the bucket as a first segment and `${object}` would differ.
    let main = start_emulator(&[]);
    let port = main.endpoint.rsplit(':').next().unwrap().to_owned();
    let endpoint = format!("http://oss.localhost:{port}");
    let resolve = format!("{BUCKET}.oss.localhost=127.0.0.1");
    let prefix = format!("{}/_cbspec/", main.endpoint);
    let http = free_port();
    let out = cbspec(
        &[
            "run",
            "put/form/*",
            "put/json/http/*",
            "multipart/form/http/*",
            "presign-v4/form/http/*",
            "--format",
            "json",
            "--endpoint",
            &endpoint,
            "--resolve",
            &resolve,
            "--addressing",
            "virtual-hosted",
            "--region",
            "cn-hangzhou",
            "--bucket",
            BUCKET,
            "--private-callbacks",
            "true",
            "--callback-timeout",
            "1s",
            "--client-ip",
            "127.0.0.1",
            "--allow-key-url-prefix",
            &prefix,
            "--callback-base-url",
            &format!("http://127.0.0.1:{http}"),
            "--capture-listen",
            &format!("127.0.0.1:{http}"),
        ],
        &KEY,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let (lines, _) = json_lines(&out.stdout);
    let passed = ids_with(&lines, "pass");
    assert!(passed.len() >= 20, "{passed:?}");
    assert!(
        passed.iter().any(|id| id.starts_with("multipart/")),
        "{passed:?}"
    );
    assert!(
        passed.iter().any(|id| id.starts_with("presign-v4/")),
        "{passed:?}"
    );
}
