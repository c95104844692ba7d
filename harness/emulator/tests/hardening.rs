//! The emulator against a hostile client, over real loopback sockets:
//! uploads refused from the head before their bodies are read, stalled
//! bodies answered instead of waited for, a bounded journal, a deep
//! listener backlog, OSS's object naming rules, and the private-address
//! rule in every spelling the connecting client accepts. Every loop is
//! bounded in count and time.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use crate::support::*;
use cbspec_client::OssCall;
use cbspec_emulator::{EmulatorConfig, JournalLimits, ServerLimits};
use cbspec_protocol::auth::{v1, SignableRequest};
use cbspec_protocol::error_document::ErrorDocument;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const WAIT: Duration = Duration::from_secs(5);

fn config(limits: ServerLimits) -> EmulatorConfig {
    EmulatorConfig {
        credentials: credentials(),
        buckets: vec![BUCKET.to_owned()],
        limits,
        ..EmulatorConfig::default()
    }
}

/// Sends `head` (and `body`, if any) and reads the answer until the server
/// closes or `WAIT` passes; `None` when nothing came in time.
pub(crate) async fn exchange(addr: SocketAddr, head: &str, body: &[u8]) -> Option<String> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let read = async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    answer.extend_from_slice(&buffer[..n]);
                    // One whole answer is enough: head plus Content-Length.
                    if let Some(text) = complete(&answer) {
                        return Some(text);
                    }
                }
            }
        }
        complete(&answer)
    };
    tokio::time::timeout(WAIT, read).await.ok().flatten()
}

fn complete(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().ok())
        })
        .flatten()?;
    (body.len() >= length).then_some(text)
}

pub(crate) fn error_of(answer: &str) -> ErrorDocument {
    let body = answer.split_once("\r\n\r\n").unwrap().1;
    ErrorDocument::from_xml(body).unwrap()
}

/// A V1-signed PUT head for `key` declaring `length` body bytes.
pub(crate) fn signed_put_head(addr: SocketAddr, key: &str, length: usize) -> String {
    signed_put_head_at(addr, key, length, SystemTime::now())
}

/// The same, signed (and dated) at `at`.
fn signed_put_head_at(addr: SocketAddr, key: &str, length: usize, at: SystemTime) -> String {
    let mut request = SignableRequest::new("PUT", Some(BUCKET), Some(key))
        .with_header("Content-Type", "application/octet-stream");
    v1::sign_header(&mut request, &credentials(), at);
    let mut head =
        format!("PUT /{BUCKET}/{key} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {length}\r\n");
    for (name, value) in &request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head
}

/// An anonymous upload is refused before one byte of its body is sent, and
/// a declared length over the limit is refused the same way.
// spec: CB-EMU-REFUSE-EARLY
#[tokio::test]
async fn uploads_are_refused_from_the_head_before_the_body_is_read() {
    let handle = emulator_with(config(ServerLimits {
        max_body_bytes: 1024 * 1024,
        ..ServerLimits::default()
    }))
    .await;
    let addr = handle.addr();
    // Within the size limit, so only the missing signature can refuse it.
    let anonymous = format!(
        "PUT /{BUCKET}/big.bin HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n",
        1024 * 1024 - 1
    );
    let answer = exchange(addr, &anonymous, b"")
        .await
        .expect("an answer without the body");
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert_eq!(error_of(&answer).code, "AccessDenied");
    let oversized = signed_put_head(addr, "big.bin", 2 * 1024 * 1024);
    let answer = exchange(addr, &oversized, b"")
        .await
        .expect("an answer without the body");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert_eq!(error_of(&answer).code, "EntityTooLarge");
    // Refused requests keep no body in the journal.
    assert!(handle
        .journal()
        .requests()
        .iter()
        .all(|r| r.body.is_empty()));
    handle.shutdown().await;
}

/// A body that stops arriving is answered 400 RequestTimeout, for each of
/// 100 such connections at once.
// spec: CB-EMU-BODY-TIMEOUT
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_is_answered_not_waited_for() {
    let handle = emulator_with(config(ServerLimits {
        body_idle_timeout: Duration::from_millis(300),
        body_total_timeout: Duration::from_secs(2),
        ..ServerLimits::default()
    }))
    .await;
    let addr = handle.addr();
    let stalled = (0..100).map(|i| {
        let head = signed_put_head(addr, &format!("stalled-{i}"), 1000);
        tokio::spawn(async move { exchange(addr, &head, b"x").await })
    });
    for answer in futures_util::future::join_all(stalled).await {
        let answer = answer
            .unwrap()
            .expect("the server answered within the bound");
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        assert_eq!(error_of(&answer).code, "RequestTimeout");
    }
    handle.shutdown().await;
}

/// The journal keeps the newest records within its limits.
// spec: CB-EMU-JOURNAL-BOUNDED
#[tokio::test]
async fn the_journal_is_a_bounded_ring() {
    let handle = emulator_with(EmulatorConfig {
        journal: JournalLimits {
            max_records: 5,
            max_body_bytes: 64 * 1024,
        },
        ..config(ServerLimits::default())
    })
    .await;
    let client = client(&handle);
    for i in 0..20 {
        let put = client
            .send(OssCall::new("PUT", BUCKET, Some(&format!("k{i}"))).body(vec![b'a'; 10_000]))
            .await
            .unwrap();
        assert_eq!(put.status, 200);
    }
    let kept = handle.journal().requests();
    // 5 records of 10,000 bytes are within 64 KiB: the record limit binds.
    assert_eq!(kept.len(), 5);
    assert!(kept.last().unwrap().target.ends_with("/k19"));
    assert!(handle.journal().retained_body_bytes() <= 64 * 1024);
    handle.shutdown().await;
}

/// The listener queues as many connections as configured (the kernel's
/// own cap permitting), and a burst of 2,000 connections is served whole.
// spec: CB-EMU-BACKLOG
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_two_thousand_connections_is_served() {
    let handle = emulator_with(config(ServerLimits {
        backlog: 2048,
        ..ServerLimits::default()
    }))
    .await;
    let addr = handle.addr();
    // `ss` shows a listening socket's backlog in its Send-Q column.
    let ss = std::process::Command::new("ss")
        .args(["-ltnH", &format!("sport = :{}", addr.port())])
        .output()
        .expect("ss (iproute2) lists listening sockets");
    let line = String::from_utf8_lossy(&ss.stdout).into_owned();
    let send_q: u32 = line
        .split_whitespace()
        .nth(2)
        .and_then(|q| q.parse().ok())
        .unwrap_or_else(|| panic!("no listener line: {line:?}"));
    let somaxconn: u32 = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(4096);
    assert_eq!(send_q, 2048.min(somaxconn), "listen backlog: {line}");
    let head = format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let burst = (0..2000).map(|_| {
        let head = head.clone();
        tokio::spawn(async move { exchange(addr, &head, b"").await })
    });
    let answered = futures_util::future::join_all(burst)
        .await
        .into_iter()
        .filter(|a| {
            a.as_ref()
                .is_ok_and(|a| a.as_ref().is_some_and(|t| t.starts_with("HTTP/1.1 403")))
        })
        .count();
    assert_eq!(answered, 2000);
    handle.shutdown().await;
}

/// OSS's object naming rules, each with its EC; and a second Authorization
/// header is refused, not silently ignored.
// spec: CB-EMU-OBJECT-NAME, CB-SIG-DUPLICATE-HEADERS
#[tokio::test]
async fn object_names_and_duplicate_authorization_are_refused() {
    let handle = emulator_with(config(ServerLimits::default())).await;
    let client = client(&handle);
    let long = "k".repeat(1024);
    for (key, ec) in [
        (long.as_str(), "0016-00000003"),
        ("/lead.txt", "0016-00000005"),
    ] {
        let put = client
            .send(OssCall::new("PUT", BUCKET, Some(key)).body(b"x".to_vec()))
            .await
            .unwrap();
        assert_eq!(put.status, 400, "{key:.20}: {}", put.text());
        let doc = ErrorDocument::from_xml(&put.text()).unwrap();
        assert_eq!(
            (doc.code.as_str(), doc.ec.as_deref()),
            ("InvalidObjectName", Some(ec))
        );
    }
    let ok = client
        .send(OssCall::new("PUT", BUCKET, Some(&"k".repeat(1023))).body(b"x".to_vec()))
        .await
        .unwrap();
    assert_eq!(ok.status, 200);

    let addr = handle.addr();
    let mut head = signed_put_head(addr, "dup.txt", 1);
    let authorization = head
        .lines()
        .find(|l| l.starts_with("Authorization:"))
        .unwrap()
        .to_owned();
    head = head.replacen("\r\n\r\n", &format!("\r\n{authorization}\r\n\r\n"), 1);
    let answer = exchange(addr, &head, b"x").await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(error_of(&answer)
        .message
        .contains("2 Authorization headers"));
    handle.shutdown().await;
}

/// A CompleteMultipartUpload body whose root is another element is
/// MalformedXML, not a completion.
// spec: CB-MPU-COMPLETE-ROOT
#[tokio::test]
async fn a_completion_body_with_another_root_is_malformed() {
    let handle = emulator_with(config(ServerLimits::default())).await;
    let client = client(&handle);
    let init = client
        .send(OssCall::new("POST", BUCKET, Some("m.bin")).query("uploads", None))
        .await
        .unwrap();
    let upload_id = init.xml_element("UploadId").unwrap();
    let part = client
        .send(
            OssCall::new("PUT", BUCKET, Some("m.bin"))
                .query("partNumber", Some("1"))
                .query("uploadId", Some(&upload_id))
                .body(b"part".to_vec()),
        )
        .await
        .unwrap();
    let etag = part.header("etag").unwrap().to_owned();
    let body = format!("<Other><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></Other>");
    let complete = client
        .send(
            OssCall::new("POST", BUCKET, Some("m.bin"))
                .query("uploadId", Some(&upload_id))
                .body(body.into_bytes()),
        )
        .await
        .unwrap();
    assert_eq!(complete.status, 400, "{}", complete.text());
    assert_eq!(
        ErrorDocument::from_xml(&complete.text()).unwrap().code,
        "MalformedXML"
    );
    handle.shutdown().await;
}

/// Under production rules, a callback URL that spells 127.0.0.1 any other
/// way is refused, and nothing connects to the listener behind it; the same
/// URLs do reach it when the HTTP client is pointed at them, so the refusal
/// is what stands between an upload and the loopback service.
// spec: CB-URL-PRIVATE, CB-URL-PRIVATE-AS-CONNECTED
#[tokio::test]
async fn non_canonical_loopback_callbacks_are_refused_and_never_sent() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    let server = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            // Read the head before answering, so the client sees no reset.
            let _ = read_request(&mut stream).await;
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 15\r\nConnection: close\r\n\r\n{\"Status\":\"OK\"}")
                .await;
        }
    });
    let handle = emulator_with(EmulatorConfig {
        production_rules: true,
        ..config(ServerLimits::default())
    })
    .await;
    let client = client(&handle);
    let spellings = [
        "0x7f.0.0.1",
        "0x7f.1",
        "127.1",
        "0177.0.0.1",
        "2130706433",
        "127.0.0.0x1",
    ];
    for host in spellings {
        let url = format!("http://{host}:{port}/cb");
        let callback =
            b64(&serde_json::json!({"callbackUrl": url, "callbackBody": "x=1"}).to_string());
        let put = client
            .send(
                OssCall::new("PUT", BUCKET, Some("evil.txt"))
                    .header("x-oss-callback", callback)
                    .body(b"x".to_vec()),
            )
            .await
            .unwrap();
        assert_eq!(put.status, 400, "{url}: {}", put.text());
        let doc = ErrorDocument::from_xml(&put.text()).unwrap();
        assert_eq!(doc.ec.as_deref(), Some("0007-00000008"), "{url}");
    }
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 0);
    // The connecting client reads every one of them as 127.0.0.1.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for host in spellings {
        let got = http
            .post(format!("http://{host}:{port}/cb"))
            .timeout(WAIT)
            .send()
            .await;
        match got {
            Ok(answer) => assert_eq!(answer.status(), 200, "{host}"),
            Err(e) => panic!("{host}: {e:?}"),
        }
    }
    assert_eq!(
        accepted.load(std::sync::atomic::Ordering::SeqCst),
        spellings.len()
    );
    handle.shutdown().await;
    server.abort();
}

/// A PostObject form field that is not UTF-8 is refused, not stored with
/// the bad bytes replaced.
// spec: CB-POST-FIELD-UTF8
#[tokio::test]
async fn a_post_object_field_that_is_not_utf8_is_refused() {
    let handle = emulator_with(config(ServerLimits::default())).await;
    let mut body = b"--zz\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk".to_vec();
    body.extend_from_slice(&[0xff, 0xfe]);
    body.extend_from_slice(
        b".txt\r\n--zz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nX\r\n--zz--\r\n",
    );
    let post = client(&handle)
        .send(
            OssCall::new("POST", BUCKET, None)
                .header("Content-Type", "multipart/form-data; boundary=zz")
                .body(body)
                .auth(cbspec_client::Auth::Anonymous),
        )
        .await
        .unwrap();
    assert_eq!(post.status, 400, "{}", post.text());
    assert!(
        post.text()
            .contains("The form field key is not UTF-8 text."),
        "{}",
        post.text()
    );
    let listed = client(&handle)
        .send(OssCall::new("GET", BUCKET, None))
        .await
        .unwrap();
    assert!(!listed.text().contains("<Key>k"), "{}", listed.text());
    handle.shutdown().await;
}

/// Over a socket, as a client replaying a captured request would send it:
/// a correctly signed request dated a day ago is 403 RequestTimeTooSkewed
/// with OSS's EC, and a V4 request signed for another region is
/// refused with its EC. (The real SDKs in the matrix, which sign with the
/// current time and the emulator's region, pass.)
// spec: CB-AUTH-CLOCK-SKEW, CB-AUTH-V4-SCOPE
#[tokio::test]
async fn replayed_and_misscoped_requests_are_refused_on_the_wire() {
    let handle = emulator_with(config(ServerLimits::default())).await;
    let addr = handle.addr();
    let day_ago = SystemTime::now() - Duration::from_secs(86_400);
    let answer = exchange(addr, &signed_put_head_at(addr, "old.txt", 1, day_ago), b"x")
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    let doc = error_of(&answer);
    assert_eq!(doc.code, "RequestTimeTooSkewed");
    assert_eq!(doc.ec.as_deref(), Some("0002-00000504"));
    assert!(doc
        .extra
        .iter()
        .any(|(n, v)| n == "MaxAllowedSkewMilliseconds" && v == "900000"));
    // A request signed 5 minutes ago is fine.
    let recent = SystemTime::now() - Duration::from_secs(300);
    let answer = exchange(addr, &signed_put_head_at(addr, "new.txt", 1, recent), b"x")
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let elsewhere = cbspec_client::OssClient::new(
        &handle.endpoint(),
        credentials(),
        "us-west-1",
        Duration::from_secs(10),
    )
    .unwrap();
    for (auth, ec) in [
        (cbspec_client::Auth::V4Header, "0002-00000228"),
        (cbspec_client::Auth::V4Presigned, "0002-00000226"),
    ] {
        let put = elsewhere
            .send(
                OssCall::new("PUT", BUCKET, Some("w.txt"))
                    .body(b"x".to_vec())
                    .auth(auth),
            )
            .await
            .unwrap();
        assert_eq!(put.status, 400, "{auth:?}: {}", put.text());
        let doc = ErrorDocument::from_xml(&put.text()).unwrap();
        assert_eq!(doc.ec.as_deref(), Some(ec), "{auth:?}");
    }
    handle.shutdown().await;
}
