//! The accept loops (plain and TLS), one hyper connection per TCP
//! connection, and the request handler: read within limits, hand the request
//! to the recorder and the signature check, answer as programmed.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use futures_util::FutureExt;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

use super::answer::{AnswerBody, Programs};
use super::config::CaptureConfig;
use super::recorder::{lock, CapturedRequest, Recorder};
use super::signature_check::{KeyCache, SignatureVerdict};
use super::tls;
use super::wire::{HeadBytes, HeadTap, ResetOnDrop};

/// hyper's smallest allowed read buffer; heads up to this size always pass.
const HYPER_MIN_BUF: usize = 8192;

/// How long shutdown waits for connections in flight before cutting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Signature checks running at once. A request past this waits for a slot
/// before it is answered: under a flood of forged callbacks the backlog is
/// the senders' open connections, not an unbounded queue of tasks (each
/// holding a body and costing RSA and MD5 work).
// spec: CB-CAP-VERIFY-BOUNDED
pub(crate) const VERIFICATIONS_IN_FLIGHT: usize = 64;

/// State shared by every connection of one capture server.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: CaptureConfig,
    pub(crate) recorder: Recorder,
    pub(crate) programs: Programs,
    pub(crate) keys: KeyCache,
    /// Slots for signature checks in flight ([`VERIFICATIONS_IN_FLIGHT`]).
    pub(crate) verifications: Arc<tokio::sync::Semaphore>,
}

/// What one connection knows about itself.
struct Connection {
    shared: Arc<Shared>,
    peer: SocketAddr,
    sni: Option<String>,
    tls: bool,
    head: Arc<Mutex<HeadBytes>>,
    /// Read by [`ResetOnDrop`] when the connection is dropped.
    reset: Arc<AtomicBool>,
    /// Tells the connection task to drop hyper's connection now.
    reset_now: Notify,
}

/// Accepts until `shutdown` changes (or its sender is dropped), then lets
/// open connections finish for up to [`SHUTDOWN_GRACE`].
pub(crate) async fn accept_loop(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(connection(stream, peer, tls.clone(), shared.clone(), shutdown.clone()));
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
        connections.abort_all();
    }
}

/// One TCP connection from accept to close, bounded as a whole by
/// `connection_timeout` so that no client can pin a task.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    tls: Option<Arc<rustls::ServerConfig>>,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
) {
    let reset = Arc::new(AtomicBool::new(false));
    let tcp = ResetOnDrop::new(stream, reset.clone());
    let limits = shared.config.clone();
    let head_cap = limits.max_header_bytes.max(HYPER_MIN_BUF);
    let work = async move {
        let mut connection = Connection {
            shared,
            peer,
            sni: None,
            tls: false,
            head: HeadBytes::with_cap(head_cap),
            reset,
            reset_now: Notify::new(),
        };
        match tls {
            None => serve_http(tcp, connection, shutdown).await,
            Some(config) => {
                let handshake = tls::accept(tcp, config, limits.require_sni);
                let Ok(Some((stream, sni))) =
                    tokio::time::timeout(limits.read_timeout, handshake).await
                else {
                    return;
                };
                connection.tls = true;
                connection.sni = sni;
                serve_http(stream, connection, shutdown).await;
            }
        }
    };
    let _ = tokio::time::timeout(limits.connection_timeout, work).await;
}

/// Serves one request with hyper over `io`.
async fn serve_http<S>(io: S, connection: Connection, mut shutdown: watch::Receiver<bool>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let limits = &connection.shared.config;
    let max_buf = limits.max_header_bytes.max(HYPER_MIN_BUF);
    let read_timeout = limits.read_timeout;
    let tapped = HeadTap::new(io, connection.head.clone());
    let connection = Arc::new(connection);
    let for_service = connection.clone();
    let service = service_fn(move |request| {
        let connection = for_service.clone();
        async move { Ok::<_, Infallible>(handle(connection, request).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(read_timeout)
        // One request per connection: the teed head bytes then belong to
        // exactly one request, so headers can be recorded as sent.
        .keep_alive(false)
        // Heads over the limit get hyper's own 431 and are not recorded:
        // there is no complete request to record.
        .max_buf_size(max_buf)
        .serve_connection(TokioIo::new(tapped), service);
    tokio::pin!(conn);
    let mut draining = false;
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            // Dropping hyper's connection drops the socket; the reset flag
            // makes that an RST.
            _ = connection.reset_now.notified() => return,
            _ = shutdown.changed(), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// How reading a request body ended.
enum BodyRead {
    Complete(Bytes),
    TooLarge(Bytes),
    TooSlow(Bytes),
    Broken(Bytes, String),
}

/// Reads a body of at most `max` bytes within `timeout`.
async fn read_body(mut body: Incoming, max: usize, timeout: Duration) -> BodyRead {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut out = BytesMut::new();
    loop {
        match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return BodyRead::TooSlow(out.freeze()),
            Ok(None) => return BodyRead::Complete(out.freeze()),
            Ok(Some(Err(e))) => return BodyRead::Broken(out.freeze(), e.to_string()),
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    out.extend_from_slice(&data);
                    if out.len() > max {
                        out.truncate(max);
                        return BodyRead::TooLarge(out.freeze());
                    }
                }
            }
        }
    }
}

/// Handles the one request of a connection.
async fn handle(
    connection: Arc<Connection>,
    request: hyper::Request<Incoming>,
) -> hyper::Response<AnswerBody> {
    let shared = connection.shared.clone();
    let arrived_at = SystemTime::now();
    let seq = shared.recorder.arrival();
    let raw = lock(&connection.head).parse();
    let (method, target, headers) = match raw {
        Some(head) => (head.method, head.target, head.headers),
        // Cannot happen for a head hyper accepted within the tap's cap;
        // hyper's view (lower-cased, grouped) is the fallback.
        None => (
            request.method().as_str().to_owned(),
            request
                .uri()
                .path_and_query()
                .map_or_else(|| request.uri().to_string(), |pq| pq.as_str().to_owned()),
            request
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
        ),
    };
    let limits = &shared.config;
    let declared_length = request
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let body = match declared_length {
        // Refused before reading: nothing of the body is kept.
        Some(n) if n > limits.max_body_bytes as u64 => BodyRead::TooLarge(Bytes::new()),
        _ => {
            read_body(
                request.into_body(),
                limits.max_body_bytes,
                limits.read_timeout,
            )
            .await
        }
    };
    let mut captured = CapturedRequest {
        method,
        target,
        headers,
        body: Bytes::new(),
        tls: connection.tls,
        sni: connection.sni.clone(),
        peer: connection.peer,
        arrived_at,
        signature: SignatureVerdict::NotChecked {
            reason: String::new(),
        },
        note: None,
    };
    let refusal = match body {
        BodyRead::Complete(body) => {
            captured.body = body;
            None
        }
        BodyRead::TooLarge(prefix) => {
            captured.body = prefix;
            Some((
                413,
                format!(
                    "body over max_body_bytes ({} bytes): answered 413; the body kept is at most that long",
                    limits.max_body_bytes
                ),
            ))
        }
        BodyRead::TooSlow(prefix) => {
            captured.body = prefix;
            Some((
                408,
                format!(
                    "body not complete within the read timeout ({:?}): answered 408; the body kept is what arrived",
                    limits.read_timeout
                ),
            ))
        }
        BodyRead::Broken(prefix, why) => {
            captured.body = prefix;
            Some((
                400,
                format!("the body broke off ({why}); the body kept is what arrived"),
            ))
        }
    };

    if let Some((status, note)) = refusal {
        captured.signature = SignatureVerdict::NotChecked {
            reason: "the request body was not received in full".to_owned(),
        };
        captured.note = Some(note.clone());
        shared.recorder.record(seq, captured);
        return plain(status, note);
    }

    // The check may fetch a key (up to key_fetch_timeout); it runs beside
    // the answer so that the capture server's own work never changes the
    // timing a sender sees. The record appears when the verdict is in.
    let answer = shared.programs.answer_for(&captured.target);
    let checker = shared.clone();
    let Ok(slot) = shared.verifications.clone().acquire_owned().await else {
        return plain(503, "cbspec capture: shutting down".to_owned());
    };
    tokio::spawn(async move {
        let _slot = slot;
        let verdict = AssertUnwindSafe(checker.keys.verdict(
            &captured.target,
            &captured.headers,
            &captured.body,
        ))
        .catch_unwind()
        .await
        .unwrap_or_else(|_| SignatureVerdict::NotChecked {
            reason: "the signature check panicked; this is a cbspec bug, please report it"
                .to_owned(),
        });
        captured.signature = verdict;
        checker.recorder.record(seq, captured);
    });

    if answer.reset {
        connection.reset.store(true, Ordering::SeqCst);
        connection.reset_now.notify_one();
        // The connection task drops this future along with the connection.
        return std::future::pending().await;
    }
    if !answer.delay.is_zero() {
        tokio::time::sleep(answer.delay).await;
    }
    answer
        .to_response()
        .unwrap_or_else(|e| plain(500, format!("cbspec capture: {e}")))
}

/// A short text answer for refusals.
fn plain(status: u16, text: String) -> hyper::Response<AnswerBody> {
    let mut response = hyper::Response::new(BodyExt::boxed(Full::new(Bytes::from(text))));
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
