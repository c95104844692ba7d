//! The capturing callback server as a client sees it: byte-exact
//! recording, every programmed answer kind, HTTPS with and without SNI,
//! signature verdicts (allowlist before any fetch, one fetch per key URL),
//! and limits that cut off oversized and slow clients. Loopback only.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use cbspec_capture::{Answer, CaptureConfig, CaptureHandle, CaptureServer, SignatureVerdict};
use cbspec_protocol::signature::{encode_key_url, CallbackSigner, OFFICIAL_KEY_URL};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const NAME: &str = "cb.example.test";
const WAIT: Duration = Duration::from_secs(5);
const DEV_KEY: &str = include_str!("../../keys/emulator-dev-key.pem");
const DEV_PUBLIC_KEY: &str = include_str!("../../keys/emulator-dev-key.pub.pem");

async fn capture(config: CaptureConfig) -> CaptureHandle {
    CaptureServer::start(CaptureConfig {
        read_timeout: Duration::from_secs(3),
        connection_timeout: Duration::from_secs(20),
        ..config
    })
    .await
    .expect("the capture server starts")
}

async fn default_capture() -> CaptureHandle {
    capture(CaptureConfig::default()).await
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .http1_only()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn https_client(handle: &CaptureHandle, sni: bool) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(handle.ca_pem().as_bytes()).unwrap();
    reqwest::Client::builder()
        .http1_only()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .resolve(NAME, handle.https_addr().unwrap())
        .tls_certs_only([ca])
        .tls_sni(sni)
        .build()
        .unwrap()
}

/// Sends raw bytes and reads until the server closes (bounded).
async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut out)).await;
    out
}

fn split_response(raw: &[u8]) -> (String, Vec<u8>) {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head")
        + 4;
    (
        String::from_utf8_lossy(&raw[..end]).to_lowercase(),
        raw[end..].to_vec(),
    )
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn a_post_is_recorded_byte_exact_and_answered_ok() {
    let handle = default_capture().await;
    let request = b"POST /cb/exact?x=%2F&y=+ HTTP/1.1\r\n\
Host: cb.example.test\r\n\
X-Oss-Tag: a\r\n\
content-type: application/x-www-form-urlencoded\r\n\
X-Oss-Tag: b\r\n\
Content-Length: 14\r\n\
\r\n\
bucket=a+b&c=\xff";
    let response = raw_exchange(handle.http_addr(), request).await;
    let (head, body) = split_response(&response);
    assert!(head.starts_with("http/1.1 200 ok\r\n"), "{head}");
    assert!(head.contains("content-length: 15\r\n"), "{head}");
    assert!(
        head.contains("content-type: application/json\r\n"),
        "{head}"
    );
    assert!(!head.contains("transfer-encoding"), "{head}");
    assert_eq!(body, br#"{"Status":"OK"}"#);

    let got = handle.wait_for("/cb/exact", 1, WAIT).await;
    assert_eq!(got.len(), 1);
    let got = &got[0];
    assert_eq!(got.method, "POST");
    assert_eq!(got.target, "/cb/exact?x=%2F&y=+");
    assert_eq!(
        got.headers,
        owned(&[
            ("Host", "cb.example.test"),
            ("X-Oss-Tag", "a"),
            ("content-type", "application/x-www-form-urlencoded"),
            ("X-Oss-Tag", "b"),
            ("Content-Length", "14"),
        ])
    );
    assert_eq!(&got.body[..], b"bucket=a+b&c=\xff");
    assert!(!got.tls);
    assert_eq!(got.sni, None);
    assert!(got.peer.ip().is_loopback());
    assert_eq!(got.note, None);
    assert!(
        matches!(got.signature, SignatureVerdict::Missing { .. }),
        "{:?}",
        got.signature
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn a_chunked_request_body_is_recorded_unchunked() {
    let handle = default_capture().await;
    let request = b"POST /cb/chunked-in HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    let (head, _) = split_response(&raw_exchange(handle.http_addr(), request).await);
    assert!(head.starts_with("http/1.1 200"), "{head}");
    let got = handle.wait_for("/cb/chunked-in", 1, WAIT).await;
    assert_eq!(&got[0].body[..], b"hello world");
    handle.shutdown().await;
}

#[tokio::test]
async fn status_headers_and_body_are_answered_as_programmed() {
    let handle = default_capture().await;
    handle.program("/cb/p", Answer::ok().with_status(500));
    // The last program for a path wins.
    handle.program(
        "/cb/p",
        Answer::json(203, r#"{"custom":true}"#).with_header("X-Extra", "yes"),
    );
    let response = client()
        .post(handle.http_url("/cb/p?ignored=query"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 203);
    assert_eq!(response.headers()["x-extra"], "yes");
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.text().await.unwrap(), r#"{"custom":true}"#);

    // Exact path match: a longer path is not programmed.
    let other = client()
        .post(handle.http_url("/cb/p/deeper"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 200);

    handle.clear_program("/cb/");
    let cleared = client()
        .post(handle.http_url("/cb/p"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status().as_u16(), 200);
    assert_eq!(cleared.text().await.unwrap(), r#"{"Status":"OK"}"#);
    assert_eq!(handle.wait_for("/cb/p", 3, WAIT).await.len(), 3);
    handle.shutdown().await;
}

#[tokio::test]
async fn a_delayed_answer_takes_at_least_the_delay() {
    let handle = default_capture().await;
    handle.program(
        "/cb/slow",
        Answer::ok().with_delay(Duration::from_millis(600)),
    );
    let started = Instant::now();
    let response = client()
        .post(handle.http_url("/cb/slow"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(started.elapsed() >= Duration::from_millis(600));
    // The record does not wait for the answer.
    assert_eq!(handle.requests_under("/cb/slow").len(), 1);
    handle.shutdown().await;
}

#[tokio::test]
async fn a_bom_answer_starts_with_ef_bb_bf() {
    let handle = default_capture().await;
    handle.program("/cb/bom", Answer::ok().with_bom());
    let response = client()
        .post(handle.http_url("/cb/bom"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.content_length(), Some(18));
    let body = response.bytes().await.unwrap();
    assert_eq!(&body[..], b"\xEF\xBB\xBF{\"Status\":\"OK\"}");
    handle.shutdown().await;
}

#[tokio::test]
async fn a_chunked_answer_has_no_content_length() {
    let handle = default_capture().await;
    handle.program(
        "/cb/chunked",
        Answer::json(200, r#"{"a":1}"#).with_chunked(),
    );
    let raw = raw_exchange(
        handle.http_addr(),
        b"POST /cb/chunked HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
    )
    .await;
    let (head, body) = split_response(&raw);
    assert!(head.contains("transfer-encoding: chunked\r\n"), "{head}");
    assert!(!head.contains("content-length"), "{head}");
    assert_eq!(body, b"7\r\n{\"a\":1}\r\n0\r\n\r\n");

    let response = client()
        .post(handle.http_url("/cb/chunked"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.content_length(), None);
    assert_eq!(response.text().await.unwrap(), r#"{"a":1}"#);
    handle.shutdown().await;
}

#[tokio::test]
async fn an_oversize_answer_is_a_json_string_of_that_length() {
    let handle = default_capture().await;
    handle.program("/cb/big", Answer::ok().with_oversize(3 * 1024 * 1024 + 1));
    let response = client()
        .post(handle.http_url("/cb/big"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.content_length(), Some(3 * 1024 * 1024 + 1));
    let body = response.bytes().await.unwrap();
    assert_eq!(body.len(), 3 * 1024 * 1024 + 1);
    assert!(serde_json::from_slice::<String>(&body).is_ok());
    handle.shutdown().await;
}

#[tokio::test]
async fn a_reset_answer_is_a_client_error_and_still_recorded() {
    let handle = default_capture().await;
    handle.program("/cb/reset", Answer::reset());
    let error = client()
        .post(handle.http_url("/cb/reset"))
        .body("payload")
        .send()
        .await
        .expect_err("no answer, only a reset");
    assert!(!error.is_timeout(), "{error:?}");
    let got = handle.wait_for("/cb/reset", 1, WAIT).await;
    assert_eq!(&got[0].body[..], b"payload");

    // On the wire: the read ends with an RST (ECONNRESET), not an answer.
    let mut stream = TcpStream::connect(handle.http_addr()).await.unwrap();
    stream
        .write_all(b"POST /cb/reset HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(WAIT, stream.read_to_end(&mut buf))
        .await
        .expect("the server closes promptly");
    assert!(buf.is_empty());
    assert_eq!(
        read.expect_err("a reset, not a clean close").kind(),
        std::io::ErrorKind::ConnectionReset
    );
    handle.shutdown().await;
}

// spec: CB-TLS-HTTPS, CB-TLS-SNI-TRUE, CB-TLS-SNI-NAME, CB-TLS-SNI-FALSE
#[tokio::test]
async fn https_records_the_sni_or_its_absence() {
    let handle = default_capture().await;
    let url = handle.https_url(NAME, "/cb/tls?q=1").unwrap();
    let with_sni = https_client(&handle, true)
        .post(&url)
        .body("over tls")
        .send()
        .await
        .unwrap();
    assert_eq!(with_sni.status().as_u16(), 200);
    let without_sni = https_client(&handle, false)
        .post(&url)
        .body("no sni")
        .send()
        .await
        .unwrap();
    assert_eq!(without_sni.status().as_u16(), 200);

    let got = handle.wait_for("/cb/tls", 2, WAIT).await;
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|r| r.tls && r.target == "/cb/tls?q=1"));
    let by_body = |body: &[u8]| got.iter().find(|r| &r.body[..] == body).unwrap();
    assert_eq!(by_body(b"over tls").sni.as_deref(), Some(NAME));
    assert_eq!(by_body(b"no sni").sni, None);
    handle.shutdown().await;
}

// spec: CB-TLS-SNI-FALSE
#[tokio::test]
async fn require_sni_refuses_handshakes_without_it() {
    let handle = capture(CaptureConfig {
        require_sni: true,
        ..CaptureConfig::default()
    })
    .await;
    let url = handle.https_url(NAME, "/cb/needs-sni").unwrap();
    let refused = https_client(&handle, false).post(&url).send().await;
    assert!(refused.is_err(), "{refused:?}");
    let accepted = https_client(&handle, true).post(&url).send().await.unwrap();
    assert_eq!(accepted.status().as_u16(), 200);
    let got = handle.wait_for("/cb/needs-sni", 1, WAIT).await;
    assert_eq!(got.len(), 1, "only the handshake with SNI got through");
    assert_eq!(got[0].sni.as_deref(), Some(NAME));
    handle.shutdown().await;
}

/// Programs the capture server to serve the development public key, and
/// returns the key URL.
fn serve_dev_key(handle: &CaptureHandle) -> String {
    handle.program(
        "/keys/dev.pem",
        Answer::ok()
            .with_header("Content-Type", "application/x-pem-file")
            .with_body(DEV_PUBLIC_KEY),
    );
    handle.http_url("/keys/dev.pem")
}

async fn send_signed(
    handle: &CaptureHandle,
    target: &str,
    signed_body: &[u8],
    sent_body: &'static [u8],
    key_url: &str,
) -> reqwest::StatusCode {
    let signer = CallbackSigner::from_pem(DEV_KEY).unwrap();
    client()
        .post(handle.http_url(target))
        .header("Authorization", signer.sign(target, signed_body))
        .header("x-oss-pub-key-url", encode_key_url(key_url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(sent_body)
        .send()
        .await
        .unwrap()
        .status()
}

// spec: CB-KEY-ALLOWLIST, CB-KEY-CACHE, CB-SIG-STRING-TO-SIGN
#[tokio::test]
async fn an_allowed_key_is_fetched_once_and_verifies() {
    let handle = default_capture().await;
    let key_url = serve_dev_key(&handle);
    handle.allow_key_url_prefix(handle.http_url("/keys/").parse().unwrap());
    let target = "/cb/sig/a%20b?x=1&y=%2F";
    let body = b"bucket=examplebucket&object=a.txt";
    let sends = (0..6).map(|_| send_signed(&handle, target, body, body, &key_url));
    for status in futures_util::future::join_all(sends).await {
        assert_eq!(status.as_u16(), 200);
    }
    let got = handle.wait_for("/cb/sig/", 6, WAIT).await;
    assert_eq!(got.len(), 6);
    for request in &got {
        assert_eq!(
            request.signature,
            SignatureVerdict::Valid {
                key_url: key_url.clone()
            }
        );
    }
    assert_eq!(
        handle.requests_under("/keys/").len(),
        1,
        "six concurrent callbacks, one key fetch"
    );
    // Later callbacks use the cached key.
    send_signed(&handle, target, body, body, &key_url).await;
    handle.wait_for("/cb/sig/", 7, WAIT).await;
    assert_eq!(handle.requests_under("/keys/").len(), 1);
    handle.shutdown().await;
}

// spec: CB-SIG-BODY-RAW
#[tokio::test]
async fn a_changed_body_is_invalid_with_content_differs() {
    let handle = default_capture().await;
    let key_url = serve_dev_key(&handle);
    handle.allow_key_url_prefix(handle.http_url("/keys/").parse().unwrap());
    send_signed(&handle, "/cb/tampered", b"size=1", b"size=2", &key_url).await;
    let got = handle.wait_for("/cb/tampered", 1, WAIT).await;
    match &got[0].signature {
        SignatureVerdict::Invalid {
            key_url: url,
            reason,
        } => {
            assert_eq!(url, &key_url);
            assert!(reason.contains("content differs"), "{reason}");
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    handle.shutdown().await;
}

// spec: CB-KEY-ALLOWLIST
#[tokio::test]
async fn a_key_url_outside_the_allowlist_is_refused_and_never_fetched() {
    let handle = default_capture().await;
    let key_url = serve_dev_key(&handle);
    send_signed(&handle, "/cb/refused", b"b", b"b", &key_url).await;
    let got = handle.wait_for("/cb/refused", 1, WAIT).await;
    match &got[0].signature {
        SignatureVerdict::KeyUrlRefused { url, reason } => {
            assert_eq!(url, &key_url);
            assert!(reason.contains("gosspublic.alicdn.com"), "{reason}");
        }
        other => panic!("expected KeyUrlRefused, got {other:?}"),
    }
    // Give a stray fetch every chance to show up.
    let fetched = handle
        .wait_for("/keys/", 1, Duration::from_millis(300))
        .await;
    assert!(fetched.is_empty(), "the key server saw {fetched:?}");
    handle.shutdown().await;
}

#[tokio::test]
async fn an_allowed_url_without_a_key_is_unavailable() {
    let handle = default_capture().await;
    handle.allow_key_url_prefix(handle.http_url("/keys/").parse().unwrap());
    handle.program("/keys/gone.pem", Answer::json(404, "{}"));
    let missing_key = handle.http_url("/keys/gone.pem");
    send_signed(&handle, "/cb/nokey", b"b", b"b", &missing_key).await;
    let not_pem = handle.http_url("/keys/not-pem");
    send_signed(&handle, "/cb/notpem", b"b", b"b", &not_pem).await;
    let got = handle.wait_for("/cb/no", 2, WAIT).await;
    assert_eq!(got.len(), 2);
    for (request, why) in got
        .iter()
        .zip(["answered 404", "did not answer a PEM public key"])
    {
        match &request.signature {
            SignatureVerdict::KeyUnavailable { reason, .. } => {
                assert!(reason.contains(why), "{reason}")
            }
            other => panic!("expected KeyUnavailable, got {other:?}"),
        }
    }
    handle.shutdown().await;
}

// spec: CB-KEY-OFFICIAL, CB-SIG-VECTORS
#[tokio::test]
async fn the_official_vector_verifies_without_any_fetch() {
    let handle = default_capture().await;
    let status = client()
        .post(handle.http_url("/index.php?id=1&index=2"))
        .header(
            "authorization",
            "kKQeGTRccDKyHB3H9vF+xYMSrmhMZjzzl2/kdD1ktNVgbWEfYTQG0G2SU/RaHBovRCE8OkQDjC3uG33esH2txA==",
        )
        .header(
            "x-oss-pub-key-url",
            "aHR0cDovL2dvc3NwdWJsaWMuYWxpY2RuLmNvbS9jYWxsYmFja19wdWJfa2V5X3YxLnBlbQ==",
        )
        .body("bucket=yonghu-test")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 200);
    let got = handle.wait_for("/index.php", 1, WAIT).await;
    assert_eq!(
        got[0].signature,
        SignatureVerdict::Valid {
            key_url: "http://gosspublic.alicdn.com/callback_pub_key_v1.pem".into()
        }
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn missing_signature_headers_are_missing() {
    let handle = default_capture().await;
    client()
        .post(handle.http_url("/cb/unsigned/none"))
        .send()
        .await
        .unwrap();
    client()
        .post(handle.http_url("/cb/unsigned/auth-only"))
        .header("Authorization", "AAAA")
        .send()
        .await
        .unwrap();
    client()
        .post(handle.http_url("/cb/unsigned/bad-url"))
        .header("Authorization", "AAAA")
        .header("x-oss-pub-key-url", "%%%not base64")
        .send()
        .await
        .unwrap();
    let got = handle.wait_for("/cb/unsigned/", 3, WAIT).await;
    let whats: Vec<String> = got
        .iter()
        .map(|r| match &r.signature {
            SignatureVerdict::Missing { what } => what.clone(),
            other => panic!("expected Missing, got {other:?}"),
        })
        .collect();
    assert!(whats[0].contains("no Authorization"), "{whats:?}");
    assert!(whats[1].contains("no x-oss-pub-key-url"), "{whats:?}");
    assert!(whats[2].contains("not the Base64"), "{whats:?}");
    handle.shutdown().await;
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413_and_noted() {
    let handle = capture(CaptureConfig {
        max_body_bytes: 1024,
        ..CaptureConfig::default()
    })
    .await;
    // Declared too large: refused before the body is read.
    let started = Instant::now();
    let raw = raw_exchange(
        handle.http_addr(),
        b"POST /cb/big/declared HTTP/1.1\r\nHost: h\r\nContent-Length: 999999999\r\n\r\nsome",
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(3));
    let (head, _) = split_response(&raw);
    assert!(head.starts_with("http/1.1 413"), "{head}");

    // Chunked past the limit: cut off at the limit.
    let mut chunked =
        b"POST /cb/big/chunked HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n"
            .to_vec();
    chunked.extend_from_slice(&[b'a'; 0x800]);
    chunked.extend_from_slice(b"\r\n0\r\n\r\n");
    let raw = raw_exchange(handle.http_addr(), &chunked).await;
    if !raw.is_empty() {
        let (head, _) = split_response(&raw);
        assert!(head.starts_with("http/1.1 413"), "{head}");
    }

    let got = handle.wait_for("/cb/big/", 2, WAIT).await;
    assert_eq!(got.len(), 2);
    for request in &got {
        assert!(
            request.note.as_deref().unwrap_or_default().contains("413"),
            "{:?}",
            request.note
        );
        assert!(matches!(
            request.signature,
            SignatureVerdict::NotChecked { .. }
        ));
    }
    assert_eq!(got[0].body.len(), 0);
    assert_eq!(got[1].body.len(), 1024);
    handle.shutdown().await;
}

#[tokio::test]
async fn an_oversized_head_is_refused_with_431() {
    let handle = capture(CaptureConfig {
        max_header_bytes: 16 * 1024,
        ..CaptureConfig::default()
    })
    .await;
    let mut request = b"POST /cb/head HTTP/1.1\r\nHost: h\r\nX-Big: ".to_vec();
    request.extend_from_slice(&[b'a'; 32 * 1024]);
    request.extend_from_slice(b"\r\nContent-Length: 0\r\n\r\n");
    let raw = raw_exchange(handle.http_addr(), &request).await;
    if !raw.is_empty() {
        let (head, _) = split_response(&raw);
        assert!(head.starts_with("http/1.1 431"), "{head}");
    }
    assert!(handle
        .wait_for("/cb/head", 1, Duration::from_millis(200))
        .await
        .is_empty());
    handle.shutdown().await;
}

/// Connects, sends `sent`, stalls, and returns how long until the server
/// closed the connection, with what it answered.
async fn stall(addr: SocketAddr, sent: &[u8]) -> (Duration, Vec<u8>) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(sent).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the server cuts the stalled client off")
        .ok();
    (started.elapsed(), answer)
}

#[tokio::test]
async fn slow_clients_are_cut_off_within_the_read_timeout() {
    let handle = CaptureServer::start(CaptureConfig {
        read_timeout: Duration::from_millis(500),
        ..CaptureConfig::default()
    })
    .await
    .unwrap();
    let limit = Duration::from_secs(3);

    // Half a head, then nothing.
    let (took, _) = stall(
        handle.http_addr(),
        b"POST /cb/slow-head HTTP/1.1\r\nHost: h\r\n",
    )
    .await;
    assert!(took < limit, "half a head held the connection {took:?}");

    // Nothing at all.
    let (took, _) = stall(handle.http_addr(), b"").await;
    assert!(took < limit, "an idle connection was held {took:?}");

    // A TLS client that never says hello.
    let (took, _) = stall(handle.https_addr().unwrap(), b"").await;
    assert!(took < limit, "a silent TLS client was held {took:?}");

    // A whole head, half a body.
    let (took, answer) = stall(
        handle.http_addr(),
        b"POST /cb/slow-body HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nonly this",
    )
    .await;
    assert!(took < limit, "half a body held the connection {took:?}");
    assert!(answer.starts_with(b"HTTP/1.1 408"), "{answer:?}");
    let got = handle.wait_for("/cb/slow-body", 1, WAIT).await;
    assert_eq!(&got[0].body[..], b"only this");
    assert!(got[0].note.as_deref().unwrap_or_default().contains("408"));
    assert!(handle.requests_under("/cb/slow-head").is_empty());
    handle.shutdown().await;
}

#[tokio::test]
async fn wait_for_is_bounded_and_shutdown_keeps_the_records() {
    let handle = default_capture().await;
    let started = Instant::now();
    assert!(handle
        .wait_for("/nothing", 1, Duration::from_millis(200))
        .await
        .is_empty());
    assert!(started.elapsed() < Duration::from_secs(2));

    client()
        .post(handle.http_url("/cb/kept"))
        .send()
        .await
        .unwrap();
    handle.wait_for("/cb/kept", 1, WAIT).await;
    let addr = handle.http_addr();
    handle.shutdown().await;
    handle.shutdown().await;
    assert!(TcpStream::connect(addr).await.is_err());
    assert_eq!(handle.requests().len(), 1);
}

#[tokio::test]
async fn shutdown_lets_a_delayed_answer_finish() {
    let handle = std::sync::Arc::new(default_capture().await);
    handle.program(
        "/cb/in-flight",
        Answer::ok().with_delay(Duration::from_millis(500)),
    );
    let url = handle.http_url("/cb/in-flight");
    let in_flight = tokio::spawn(async move { client().post(url).send().await });
    handle.wait_for("/cb/in-flight", 1, WAIT).await;
    handle.shutdown().await;
    let response = in_flight
        .await
        .unwrap()
        .expect("the answer in flight was sent");
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn odd_programmed_statuses_never_hang_or_break_the_server() {
    let handle = default_capture().await;
    for status in [100u16, 101, 199, 204, 304, 999, 0, 1000] {
        let path = format!("/cb/odd/{status}");
        handle.program(&path, Answer::ok().with_status(status));
        let raw = tokio::time::timeout(
            Duration::from_secs(5),
            raw_exchange(
                handle.http_addr(),
                format!("POST {path} HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n").as_bytes(),
            ),
        )
        .await
        .unwrap_or_else(|_| panic!("status {status} hung"));
        let text = String::from_utf8_lossy(&raw);
        assert!(text.starts_with("HTTP/1.1 "), "status {status}: {text:?}");
    }
    let after = client()
        .post(handle.http_url("/cb/fine"))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status().as_u16(), 200);
    handle.shutdown().await;
}

/// The allowlist decides on the URL as the fetcher reads it: every spelling
/// of `..` that the WHATWG parser resolves is refused, and nothing outside
/// the prefix is fetched.
// spec: CB-KEY-ALLOWLIST, CB-KEY-URL-NORMALISED, CB-KEY-URL-NO-USERINFO
#[tokio::test]
async fn dot_segments_and_userinfo_cannot_escape_the_allowlist() {
    let handle = default_capture().await;
    handle.allow_key_url_prefix(handle.http_url("/keys/").parse().unwrap());
    // The attacker's key, outside the prefix.
    handle.program(
        "/x.pem",
        Answer::ok()
            .with_header("Content-Type", "application/x-pem-file")
            .with_body(DEV_PUBLIC_KEY),
    );
    let base = handle.http_url("");
    let escapes = [
        format!("{base}/keys/../x.pem"),
        format!("{base}/keys/%2e%2e/x.pem"),
        format!("{base}/keys/.%2E/x.pem"),
        format!("{base}/keys/..\\x.pem"),
        format!("{base}/keys/\t../x.pem"),
        format!(
            "http://{}@127.0.0.2:9/keys/x.pem",
            base.trim_start_matches("http://")
        ),
    ];
    for (i, key_url) in escapes.iter().enumerate() {
        send_signed(&handle, &format!("/cb/escape/{i}"), b"b", b"b", key_url).await;
    }
    let got = handle.wait_for("/cb/escape/", escapes.len(), WAIT).await;
    assert_eq!(got.len(), escapes.len());
    for request in &got {
        assert!(
            matches!(request.signature, SignatureVerdict::KeyUrlRefused { .. }),
            "{}: {:?}",
            request.target,
            request.signature
        );
    }
    let fetched = handle
        .wait_for("/x.pem", 1, Duration::from_millis(300))
        .await;
    assert!(
        fetched.is_empty(),
        "the attacker's key was fetched: {fetched:?}"
    );
    handle.shutdown().await;
}

/// What is fetched, cached and reported is the URL that was checked.
// spec: CB-KEY-URL-NORMALISED
#[tokio::test]
async fn the_checked_url_is_the_one_fetched() {
    let handle = default_capture().await;
    let key_url = serve_dev_key(&handle);
    handle.allow_key_url_prefix(handle.http_url("/keys/").parse().unwrap());
    let roundabout = handle.http_url("/keys/sub/../dev.pem");
    send_signed(&handle, "/cb/roundabout", b"b", b"b", &roundabout).await;
    let got = handle.wait_for("/cb/roundabout", 1, WAIT).await;
    assert_eq!(
        got[0].signature,
        SignatureVerdict::Valid {
            key_url: key_url.clone()
        }
    );
    let fetches = handle.requests_under("/keys/");
    assert_eq!(fetches.len(), 1);
    assert_eq!(fetches[0].target, "/keys/dev.pem");
    handle.shutdown().await;
}

/// A second Authorization or x-oss-pub-key-url header fails the check even
/// when the first one verifies: a receiver cannot know which one to trust.
// spec: CB-SIG-DUPLICATE-HEADERS
#[tokio::test]
async fn duplicated_signature_headers_fail_verification() {
    let handle = default_capture().await;
    let key_url = serve_dev_key(&handle);
    handle.allow_key_url_prefix(handle.http_url("/keys/").parse().unwrap());
    let signer = CallbackSigner::from_pem(DEV_KEY).unwrap();
    let target = "/cb/dup/auth";
    let good = signer.sign(target, b"b");
    client()
        .post(handle.http_url(target))
        .header("Authorization", good.clone())
        .header("Authorization", good.clone())
        .header("x-oss-pub-key-url", encode_key_url(&key_url))
        .body(&b"b"[..])
        .send()
        .await
        .unwrap();
    let target = "/cb/dup/key";
    client()
        .post(handle.http_url(target))
        .header("Authorization", signer.sign(target, b"b"))
        .header("x-oss-pub-key-url", encode_key_url(&key_url))
        .header("X-OSS-Pub-Key-Url", encode_key_url(OFFICIAL_KEY_URL))
        .body(&b"b"[..])
        .send()
        .await
        .unwrap();
    let got = handle.wait_for("/cb/dup/", 2, WAIT).await;
    let verdicts: Vec<(String, usize)> = got
        .iter()
        .map(|r| match &r.signature {
            SignatureVerdict::Duplicated { header, count } => (header.clone(), *count),
            other => panic!("{}: expected Duplicated, got {other:?}", r.target),
        })
        .collect();
    assert!(
        verdicts.contains(&("authorization".to_owned(), 2)),
        "{verdicts:?}"
    );
    assert!(
        verdicts.contains(&("x-oss-pub-key-url".to_owned(), 2)),
        "{verdicts:?}"
    );
    assert!(got.iter().all(|r| !r.signature.is_valid()));
    handle.shutdown().await;
}

/// A key server that answers every request 404 after `delay`, counting the
/// most requests it ever held at once.
async fn slow_key_server(
    delay: Duration,
) -> (SocketAddr, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let current = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let seen_peak = peak.clone();
    tokio::spawn(async move {
        // Bounded: the test sends a fixed number of callbacks.
        for _ in 0..1000 {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let (current, peak) = (current.clone(), peak.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buffer = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tokio::time::timeout(WAIT, stream.read(&mut buffer)).await {
                        Ok(Ok(n)) if n > 0 => head.extend_from_slice(&buffer[..n]),
                        _ => return,
                    }
                }
                let now = current.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(delay).await;
                current.fetch_sub(1, Ordering::SeqCst);
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    )
                    .await;
            });
        }
    });
    (addr, seen_peak)
}

/// A flood of forged callbacks, each naming its own slow key URL: the
/// checks in flight never exceed the bound (the key server sees at most that
/// many fetches at once), and every request is still answered and recorded.
// spec: CB-CAP-VERIFY-BOUNDED
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_forged_callbacks_is_checked_a_bounded_number_at_a_time() {
    use std::sync::atomic::Ordering;
    const FLOOD: usize = 200;
    let handle = default_capture().await;
    let (keys, peak) = slow_key_server(Duration::from_millis(250)).await;
    handle.allow_key_url_prefix(format!("http://{keys}/k/").parse().unwrap());
    let client = client();
    let sends = (0..FLOOD).map(|i| {
        let request = client
            .post(handle.http_url(&format!("/flood/{i}")))
            .header("Authorization", "Zm9yZ2Vk")
            .header(
                "x-oss-pub-key-url",
                encode_key_url(&format!("http://{keys}/k/{i}.pem")),
            )
            .body("bucket=b");
        async move { request.send().await.map(|r| r.status().as_u16()) }
    });
    let started = Instant::now();
    for status in futures_util::future::join_all(sends).await {
        assert_eq!(status.unwrap(), 200);
    }
    let got = handle
        .wait_for("/flood/", FLOOD, Duration::from_secs(30))
        .await;
    assert_eq!(got.len(), FLOOD);
    assert!(got
        .iter()
        .all(|r| matches!(r.signature, SignatureVerdict::KeyUnavailable { .. })));
    let peak = peak.load(Ordering::SeqCst);
    assert!(peak <= 64, "{peak} key fetches were in flight at once");
    assert!(peak >= 8, "the checks ran in parallel (peak {peak})");
    // 200 checks of 250 ms each, 64 at a time: at least 4 rounds.
    assert!(
        started.elapsed() >= Duration::from_millis(750),
        "{:?}",
        started.elapsed()
    );
    handle.shutdown().await;
}
