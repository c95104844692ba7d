//! `cbspec probe` against small receivers written for these tests, over
//! loopback: a correct one, and one each with a flaw real receivers have.
//! The probe must pass the first and report each flaw with its requirement.
// spec: CB-RCV-ACCEPT-SIGNED, CB-RCV-REJECT-TAMPERED, CB-RCV-REJECT-FOREIGN-KEY, CB-RCV-KEY-ALLOWLIST, CB-RCV-NO-FETCH, CB-RCV-REJECT-MALFORMED, CB-RCV-DUPLICATE-HEADERS, CB-RCV-ANSWER-RELAYABLE, CB-RCV-TIMELY

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use cbspec_protocol::signature::{decode_key_url, CallbackPublicKey, KeyUrlAllowlist};

use crate::support::{cbspec_in_root as cbspec, text};

/// How a test receiver goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flaw {
    /// None: allowlist by parsed prefix, exactly one Authorization, verify.
    Correct,
    /// Fetches the key from whatever URL the request names.
    FetchesAnyKeyUrl,
    /// Allows a key URL when it contains the trusted prefix anywhere.
    SubstringAllowlist,
    /// Verifies the path alone, as if the query were not signed.
    IgnoresQuery,
    /// Never verifies anything.
    NeverVerifies,
    /// Correct, but answers with a byte order mark before the JSON.
    AnswersWithBom,
    /// Correct, but answers plain text.
    AnswersNonJson,
    /// Correct, but answers every callback with a body that never ends.
    StreamsForever,
    /// Correct, but never answers a callback that carries `cbspec_empty`.
    HangsOnEmptyVariable,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// One request as received: target, headers (in order, names lower-cased) and body.
type Request = (String, Vec<(String, String)>, Vec<u8>);

/// Each case's verdict and the requirements its mismatches name, by id.
type Findings = BTreeMap<String, (String, Vec<String>)>;

/// One HTTP/1.1 request.
fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut buf).ok()?;
        if n == 0 || data.len() > 1 << 20 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let target = lines.next()?.split(' ').nth(1)?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = data[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&buf[..n]);
    }
    Some((target, headers, body))
}

/// A plain HTTP GET of a key, as a receiver's HTTP client makes it: the URL
/// parsed (and normalised) by the `url` crate, `http` only.
fn fetch_key(url: &str) -> Option<CallbackPublicKey> {
    let url = url::Url::parse(url).ok()?;
    if url.scheme() != "http" {
        return None;
    }
    let host = url.host_str()?;
    let port = url.port_or_known_default()?;
    let mut stream = TcpStream::connect((host, port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let authority = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    };
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let body = answer.split_once("\r\n\r\n")?.1;
    CallbackPublicKey::from_pem(body).ok()
}

/// Whether the receiver with `flaw` trusts the callback.
fn trusts(
    flaw: Flaw,
    trusted_prefix: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> bool {
    if flaw == Flaw::NeverVerifies {
        return true;
    }
    let all = |name: &str| -> Vec<&str> {
        headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let (auths, key_urls) = (all("authorization"), all("x-oss-pub-key-url"));
    let (Some(auth), Some(key_url)) = (auths.first(), key_urls.first()) else {
        return false;
    };
    if auths.len() != 1 {
        return false;
    }
    let Ok(url) = decode_key_url(key_url) else {
        return false;
    };
    // Every test receiver bundles the official key, as careful receivers
    // do, so no fetch leaves loopback.
    let official = KeyUrlAllowlist::default()
        .check(&url)
        .is_ok_and(|allowed| allowed.is_official());
    let key = match flaw {
        _ if official => Some(CallbackPublicKey::official()),
        Flaw::FetchesAnyKeyUrl => fetch_key(&url),
        Flaw::SubstringAllowlist => url
            .contains(trusted_prefix)
            .then(|| fetch_key(&url))
            .flatten(),
        _ => {
            let allowlist = KeyUrlAllowlist::default().with_prefix(trusted_prefix.parse().unwrap());
            match allowlist.check(&url) {
                Ok(allowed) => fetch_key(allowed.as_str()),
                Err(_) => None,
            }
        }
    };
    let Some(key) = key else { return false };
    let signed_target = if flaw == Flaw::IgnoresQuery {
        target.split('?').next().unwrap_or(target)
    } else {
        target
    };
    key.verify(signed_target, body, auth).is_ok()
}

/// Starts a receiver in a thread of its own.
fn start_receiver(flaw: Flaw, key_port: u16, limit: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let trusted_prefix = format!("http://127.0.0.1:{key_port}/trusted/");
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        // Serves at most `limit` connections and stops by itself after two
        // minutes, whatever the test does.
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        let mut served = 0;
        while served < limit && std::time::Instant::now() < deadline {
            let mut stream = match listener.accept() {
                Ok((stream, _)) => stream,
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
            };
            served += 1;
            let _ = stream.set_nonblocking(false);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let Some((target, headers, body)) = read_request(&mut stream) else {
                continue;
            };
            let ok = trusts(flaw, &trusted_prefix, &target, &headers, &body);
            if flaw == Flaw::HangsOnEmptyVariable
                && String::from_utf8_lossy(&body).contains("cbspec_empty")
            {
                // Longer than OSS's 5 s; the probe must give up first.
                std::thread::sleep(Duration::from_secs(6));
                continue;
            }
            if flaw == Flaw::StreamsForever {
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
                let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "x".repeat(64 * 1024));
                // Until the probe hangs up (bounded: at most 64 MiB).
                for _ in 0..1024 {
                    if stream.write_all(chunk.as_bytes()).is_err() {
                        break;
                    }
                }
                continue;
            }
            let (status, content_type, answer): (&str, &str, Vec<u8>) = match (ok, flaw) {
                (true, Flaw::AnswersWithBom) => (
                    "200 OK",
                    "application/json",
                    b"\xEF\xBB\xBF{\"Status\":\"OK\"}".to_vec(),
                ),
                (true, Flaw::AnswersNonJson) => ("200 OK", "text/plain", b"OK".to_vec()),
                (true, _) => (
                    "200 OK",
                    "application/json",
                    b"{\"Status\":\"OK\"}".to_vec(),
                ),
                (false, _) => (
                    "403 Forbidden",
                    "application/json",
                    b"{\"Status\":\"verify failed\"}".to_vec(),
                ),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                answer.len()
            );
            let _ = stream.write_all(&answer);
        }
    });
    format!("http://127.0.0.1:{}/oss/callback", addr.port())
}

/// Runs the probe against a receiver with `flaw`; returns the exit code and
/// each case's verdict with the requirements its mismatches name.
fn probe(flaw: Flaw, extra: &[&str]) -> (Option<i32>, Findings, serde_json::Value) {
    // A port free_port() saw free can be taken before the probe binds it
    // (an outgoing loopback connection of another test picks its ephemeral
    // port from the same range): then the probe says it cannot listen, and
    // the run is repeated on another port, a bounded number of times.
    let mut attempts = 0;
    let out = loop {
        attempts += 1;
        let key_port = free_port();
        let url = start_receiver(flaw, key_port, 2000);
        let key_listen = format!("127.0.0.1:{key_port}");
        let mut args = vec![
            "probe",
            "--url",
            &url,
            "--key-listen",
            &key_listen,
            "--format",
            "json",
        ];
        args.extend(extra);
        let out = cbspec(&args, &[]);
        let port_taken =
            out.status.code() == Some(2) && text(&out.stderr).contains("cannot listen");
        if !port_taken || attempts == 3 {
            break out;
        }
    };
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}\n{}", text(&out.stderr)))
        })
        .collect();
    let run = lines
        .iter()
        .find(|l| l["type"] == "summary")
        .cloned()
        .unwrap_or_default();
    let cases = lines
        .iter()
        .filter(|l| l["type"] == "scenario")
        .map(|l| {
            let broken: Vec<String> = l["mismatches"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|m| m["requirement"].as_str().map(str::to_owned))
                .collect();
            (
                l["id"].as_str().unwrap().to_owned(),
                (l["verdict"].as_str().unwrap().to_owned(), broken),
            )
        })
        .collect();
    (out.status.code(), cases, run)
}

fn failing(cases: &Findings) -> BTreeMap<&str, Vec<&str>> {
    let failing: BTreeMap<&str, Vec<&str>> = cases
        .iter()
        .filter(|(_, (verdict, _))| verdict != "pass")
        .map(|(id, (_, broken))| (id.as_str(), broken.iter().map(String::as_str).collect()))
        .collect();
    // The probe's findings, for people reading the test log.
    eprintln!("findings: {failing:#?}");
    failing
}

#[test]
fn a_correct_receiver_passes_every_case_and_a_burst() {
    let junit = std::env::temp_dir().join(format!("cbspec-probe-{}.xml", std::process::id()));
    let junit_arg = junit.display().to_string();
    let (code, cases, run) = probe(
        Flaw::Correct,
        &["--load", "40", "--concurrency", "8", "--junit", &junit_arg],
    );
    assert_eq!(code, Some(0), "{cases:?}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(&format!("tests=\"{}\"", cases.len())) && xml.contains("failures=\"0\""),
        "{xml}"
    );
    std::fs::remove_file(&junit).ok();
    assert!(cases.len() >= 23, "{cases:?}");
    assert!(failing(&cases).is_empty(), "{:?}", failing(&cases));
    assert_eq!(cases["load/burst"].0, "pass");
    // The key server saw only the trusted key's URL, under its own host.
    let fetches = run["run"]["key_fetches"].as_object().unwrap();
    assert_eq!(fetches.len(), 1, "{fetches:?}");
    assert!(
        fetches
            .keys()
            .all(|k| k.ends_with("/trusted/callback_pub_key.pem")),
        "{fetches:?}"
    );
}

#[test]
fn a_receiver_that_fetches_any_key_url_is_caught_forging_and_fetching() {
    let (code, cases, _) = probe(Flaw::FetchesAnyKeyUrl, &[]);
    assert_eq!(code, Some(1));
    let failing = failing(&cases);
    for id in [
        "key-url/other-path",
        "key-url/userinfo",
        "key-url/dot-segments",
        "key-url/upper-case",
        "key-url/in-query",
        "key-url/other-host",
    ] {
        let broken = &failing[id];
        assert!(broken.contains(&"CB-RCV-KEY-ALLOWLIST"), "{id}: {broken:?}");
        assert!(broken.contains(&"CB-RCV-NO-FETCH"), "{id}: {broken:?}");
    }
    // Nothing else is wrong with it.
    assert!(
        failing.keys().all(|id| id.starts_with("key-url/")),
        "{failing:?}"
    );
}

#[test]
fn a_substring_allowlist_is_beaten_by_dot_segments_and_the_query() {
    let (code, cases, _) = probe(Flaw::SubstringAllowlist, &[]);
    assert_eq!(code, Some(1));
    let failing = failing(&cases);
    assert_eq!(
        failing.keys().copied().collect::<Vec<_>>(),
        ["key-url/dot-segments", "key-url/in-query"],
        "{failing:?}"
    );
    assert!(failing["key-url/in-query"].contains(&"CB-RCV-NO-FETCH"));
}

#[test]
fn a_receiver_that_ignores_the_query_accepts_a_forgery_and_rejects_a_real_callback() {
    let (code, cases, _) = probe(Flaw::IgnoresQuery, &[]);
    assert_eq!(code, Some(1));
    let failing = failing(&cases);
    assert_eq!(failing["reject/query-dropped"], ["CB-RCV-REJECT-TAMPERED"]);
    assert_eq!(failing["accept/with-query"], ["CB-RCV-ACCEPT-SIGNED"]);
    assert_eq!(failing.len(), 2, "{failing:?}");
}

#[test]
fn a_receiver_that_never_verifies_fails_every_forgery() {
    let (code, cases, _) = probe(Flaw::NeverVerifies, &[]);
    assert_eq!(code, Some(1));
    let failing = failing(&cases);
    let rejects: Vec<&String> = cases
        .keys()
        .filter(|id| !id.starts_with("accept/"))
        .collect();
    assert_eq!(failing.len(), rejects.len(), "{failing:?}");
    assert_eq!(failing["reject/foreign-key"], ["CB-RCV-REJECT-FOREIGN-KEY"]);
    assert_eq!(failing["replay/oss-signed-v1"], ["CB-RCV-REJECT-MALFORMED"]);
    assert_eq!(
        failing["malformed/authorization-twice"],
        ["CB-RCV-DUPLICATE-HEADERS"]
    );
    assert_eq!(
        cases["malformed/authorization-twice"].0, "non-strict",
        "a SHOULD"
    );
}

#[test]
fn answers_oss_would_not_relay_are_reported_with_the_203_they_cause() {
    for flaw in [Flaw::AnswersWithBom, Flaw::AnswersNonJson] {
        let (code, cases, _) = probe(flaw, &["--accept-when", "status"]);
        assert_eq!(code, Some(1));
        let failing = failing(&cases);
        assert_eq!(
            failing.keys().copied().collect::<Vec<_>>(),
            [
                "accept/empty-variable",
                "accept/non-ascii-object",
                "accept/signed",
                "accept/with-query"
            ],
            "{flaw:?}"
        );
        assert!(
            failing.values().all(|b| *b == ["CB-RCV-ANSWER-RELAYABLE"]),
            "{failing:?}"
        );
    }
    // The human report quotes the message OSS would give the uploader.
    let key_port = free_port();
    let url = start_receiver(Flaw::AnswersWithBom, key_port, 100);
    let out = cbspec(
        &[
            "probe",
            "--url",
            &url,
            "--key-listen",
            &format!("127.0.0.1:{key_port}"),
        ],
        &[],
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Response body is not valid json format."),
        "{stdout}"
    );
    assert!(
        stdout.contains("[CB-RCV-ANSWER-RELAYABLE MUST]"),
        "{stdout}"
    );
}

#[test]
fn a_receiver_that_streams_or_hangs_is_cut_off_at_oss_limits() {
    let started = std::time::Instant::now();
    let (code, cases, _) = probe(Flaw::StreamsForever, &[]);
    assert_eq!(code, Some(1));
    let streamed = failing(&cases);
    assert!(
        streamed["accept/signed"].contains(&"CB-RCV-ANSWER-RELAYABLE"),
        "{streamed:?}"
    );
    let (_, cases, _) = probe(Flaw::HangsOnEmptyVariable, &[]);
    let failing = failing(&cases);
    assert_eq!(
        failing.keys().copied().collect::<Vec<_>>(),
        ["accept/empty-variable"],
        "only the case it hangs on"
    );
    assert_eq!(
        failing["accept/empty-variable"],
        ["CB-RCV-ACCEPT-SIGNED", "CB-RCV-ANSWER-RELAYABLE"]
    );
    // One 5 s timeout and the rest on loopback: bounded.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    let dead = format!("http://127.0.0.1:{}/cb", free_port());
    let out = cbspec(&["probe", "--url", &dead], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot be reached"),
        "{}",
        text(&out.stderr)
    );
    let out = cbspec(&["probe", "--url", "ftp://127.0.0.1/cb"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("OSS calls http:// and https:// URLs only"));
    // A receiver that counts connections: none may arrive for bad input.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/cb", listener.local_addr().unwrap());
    let out = cbspec(
        &["probe", "--url", &url, "--callback-body", "a=${bucket"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("OSS would refuse this callback (400"),
        "{}",
        text(&out.stderr)
    );
    assert!(listener.accept().is_err(), "nothing was sent");
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_addr = busy.local_addr().unwrap().to_string();
    let receiver = start_receiver(Flaw::Correct, 1, 10);
    let out = cbspec(
        &["probe", "--url", &receiver, "--key-listen", &busy_addr],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("the key server cannot listen"),
        "{}",
        text(&out.stderr)
    );
    for (flag, value) in [
        ("--accept-when", "2xx"),
        ("--var", "uid=1"),
        ("--load", "0"),
    ] {
        let out = cbspec(&["probe", "--url", &receiver, flag, value], &[]);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
    }
}
