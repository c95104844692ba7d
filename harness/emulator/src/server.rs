//! The HTTP side: accepting connections, reading requests within limits,
//! turning handler results into responses, and graceful shutdown.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use cbspec_protocol::headers::Headers;
use futures_util::{FutureExt, TryStreamExt};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::journal::RequestRecord;
use super::response::{OssError, OssResponse};
use super::service::{OssRequest, Service};
use super::spool::{Spooled, Spooler};

/// How much of a body too large for memory the journal keeps.
const JOURNALED_BODY_PREFIX: usize = 64 * 1024;

/// A response body: whole, or streamed from storage.
type ResponseBody = BoxBody<Bytes, std::io::Error>;

/// Limits on what a client may send, and on the listener. Every one is a
/// flag of `cbspec emulator` (README, "Limits").
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// Largest request body (object or part) accepted; a larger declared
    /// `Content-Length` is refused before any of the body is read, and a
    /// chunked body is cut off when it passes the limit.
    pub max_body_bytes: u64,
    /// Largest total size of the request headers accepted.
    pub max_header_bytes: usize,
    /// Time allowed for a request head to arrive.
    pub header_timeout: Duration,
    /// Longest silence allowed between two pieces of a request body.
    pub body_idle_timeout: Duration,
    /// Longest a whole request body may take to arrive.
    pub body_total_timeout: Duration,
    /// Connections the kernel may queue before they are accepted (capped by
    /// `net.core.somaxconn`).
    pub backlog: u32,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            // OSS's own limit for one PutObject or UploadPart: 5 GiB.
            max_body_bytes: 5 * 1024 * 1024 * 1024,
            max_header_bytes: 64 * 1024,
            header_timeout: Duration::from_secs(30),
            body_idle_timeout: Duration::from_secs(30),
            body_total_timeout: Duration::from_secs(600),
            backlog: 4096,
        }
    }
}

/// Serves until `shutdown` turns true, then lets open requests finish.
pub async fn serve(
    listener: TcpListener,
    service: Arc<Service>,
    limits: ServerLimits,
    mut shutdown: watch::Receiver<bool>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let service = service.clone();
                let handler = service_fn(move |req| {
                    let service = service.clone();
                    async move { Ok::<_, Infallible>(handle(service, req, peer, limits).await) }
                });
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(limits.header_timeout)
                    // hyper refuses heads far beyond our own header limit by itself.
                    .max_buf_size((limits.max_header_bytes * 4).max(8192))
                    .serve_connection(TokioIo::new(stream), handler);
                let watched = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = watched.await;
                });
            }
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    // Give requests in flight (callbacks included) time to finish.
    let _ = tokio::time::timeout(Duration::from_secs(30), graceful.shutdown()).await;
}

fn new_request_id() -> String {
    hex::encode_upper(rand::random::<[u8; 12]>())
}

async fn handle(
    service: Arc<Service>,
    req: hyper::Request<Incoming>,
    peer: SocketAddr,
    limits: ServerLimits,
) -> hyper::Response<ResponseBody> {
    let method = req.method().as_str().to_owned();
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |pq| pq.as_str().to_owned());
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let header_bytes: usize = headers.iter().map(|(n, v)| n.len() + v.len() + 4).sum();
    // Everything that can be decided from the head is decided before one
    // byte of the body is read, so an anonymous or oversized upload costs
    // nothing: the header limit, the declared length, the signature.
    // spec: CB-EMU-REFUSE-EARLY
    let early = if header_bytes > limits.max_header_bytes {
        Err(header_error(header_bytes, limits))
    } else {
        declared_length_ok(&headers, limits)
            .and_then(|()| service.authenticate_head(&method, &target, &headers))
    };
    let body = match early {
        Err(error) => Err(error),
        Ok(()) => {
            read_body(
                req.into_body(),
                limits,
                Spooler::new(service.store.spool_settings()),
            )
            .await
        }
    };
    let (request_id, response) =
        respond(&service, method.clone(), target, headers, body, peer).await;
    to_hyper(response, &request_id, &method)
}

/// Refuses a declared `Content-Length` above the limit (or not a number).
fn declared_length_ok(headers: &[(String, String)], limits: ServerLimits) -> Result<(), OssError> {
    let Some(declared) = headers.header("content-length") else {
        return Ok(());
    };
    match declared.trim().parse::<u64>() {
        Ok(length) if length > limits.max_body_bytes => Err(too_large(limits)),
        Ok(_) => Ok(()),
        Err(_) => Err(OssError::invalid_argument(format!(
            "Content-Length {declared:?} is not a number of bytes."
        ))),
    }
}

fn too_large(limits: ServerLimits) -> OssError {
    OssError::new(
        400,
        "EntityTooLarge",
        format!(
            "Your proposed upload exceeds the maximum allowed size of {} bytes (cbspec emulator --max-body-bytes).",
            limits.max_body_bytes
        ),
    )
}

/// Reads a body within the size limit and the two body timeouts: a client
/// that stops sending mid-body is answered, not waited for forever. The
/// body is hashed and spooled as it arrives, never held whole; on any
/// failure the spooler is dropped, which deletes what it wrote.
// spec: CB-EMU-BODY-TIMEOUT, CB-EMU-STREAMING
async fn read_body(
    mut body: Incoming,
    limits: ServerLimits,
    mut spooler: Spooler,
) -> Result<Spooled, OssError> {
    let deadline = tokio::time::Instant::now() + limits.body_total_timeout;
    loop {
        let wait = limits
            .body_idle_timeout
            .min(deadline.saturating_duration_since(tokio::time::Instant::now()));
        let frame = match tokio::time::timeout(wait, body.frame()).await {
            Err(_) => return Err(body_timeout(limits)),
            Ok(None) => return spooler.finish().await.map_err(storage_error),
            Ok(Some(Err(e))) => {
                return Err(OssError::invalid_argument(format!(
                    "The request body could not be read: {e}"
                )))
            }
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            if spooler.len() + data.len() as u64 > limits.max_body_bytes {
                return Err(too_large(limits));
            }
            spooler.push(&data).await.map_err(storage_error)?;
        }
    }
}

/// A body that could not be stored (the spool's disk is full, say): the
/// upload fails and nothing of it remains.
fn storage_error(error: std::io::Error) -> OssError {
    super::response::storage_failure(&error)
}

fn body_timeout(limits: ServerLimits) -> OssError {
    // Code and message as S3-compatible services answer a stalled body;
    // OSS documents none.
    OssError::new(
        400,
        "RequestTimeout",
        format!(
            "Your socket connection to the server was not read from or written to within the timeout period (no body data for {:?}, or the whole body took over {:?}).",
            limits.body_idle_timeout, limits.body_total_timeout
        ),
    )
}

fn header_error(header_bytes: usize, limits: ServerLimits) -> OssError {
    OssError::invalid_argument(format!(
        "The request headers are {header_bytes} bytes; at most {} are accepted.",
        limits.max_header_bytes
    ))
}

/// Answers one fully read request (or the error reading it produced) and
/// journals it: everything but the HTTP framing, so the same path serves
/// sockets and in-process callers.
pub(crate) async fn respond(
    service: &Arc<Service>,
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Result<Spooled, OssError>,
    peer: SocketAddr,
) -> (String, OssResponse) {
    let received_at = SystemTime::now();
    let request_id = new_request_id();
    let payload = body.as_ref().cloned().unwrap_or_default();
    let request = OssRequest {
        method,
        target,
        headers,
        body: match &payload.blob {
            super::blob::Blob::Memory(bytes) => bytes.clone(),
            super::blob::Blob::File(_) => Bytes::new(),
        },
        payload,
        peer,
        request_id: request_id.clone(),
    };
    let outcome = match body {
        Err(error) => Err(error),
        Ok(_) => AssertUnwindSafe(service.handle(&request))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| {
                Err(OssError::new(
                    500,
                    "InternalError",
                    "The emulator hit a bug handling this request; please report it with the request.",
                ))
            }),
    };
    let bucket = cbspec_protocol::routing::route(
        request.header("host"),
        &request.target,
        &service.base_domain,
    )
    .ok()
    .and_then(|r| r.bucket);
    let (mut response, error_code) = match outcome {
        Ok(response) => (response, None),
        Err(error) => {
            let host_id = service.host_id(&request, bucket.as_deref());
            let xml = error.to_document(&request_id, &host_id).to_xml();
            let mut response = OssResponse::xml(error.status, xml);
            // OSS names the EC in a header too, and a HEAD answer, which has
            // no body, carries the whole error document Base64-encoded in
            // x-oss-err (how SDKs report NoSuchKey from a HEAD).
            if let Some(ec) = error.ec {
                response.headers.push(("x-oss-ec".into(), ec.to_owned()));
            }
            if request.method == "HEAD" {
                use base64::Engine;
                let encoded = base64::engine::general_purpose::STANDARD.encode(&response.body);
                response.headers.push(("x-oss-err".into(), encoded));
            }
            response.headers.extend(error.headers.iter().cloned());
            (response, Some(error.code.to_owned()))
        }
    };
    if request.method != "OPTIONS" {
        if let Some(bucket) = &bucket {
            response.headers.extend(super::cors::actual_request_headers(
                service,
                &request.headers,
                &request.method,
                bucket,
            ));
        }
    }
    service.journal.record_request(RequestRecord {
        request_id: request_id.clone(),
        received_at,
        peer,
        method: request.method,
        target: request.target,
        headers: request.headers,
        // A spilled body is kept as its first bytes only: the journal
        // holds no more than memory allows.
        body: match &request.payload.blob {
            super::blob::Blob::Memory(bytes) => bytes.clone(),
            spilled => spilled
                .read_at(0, JOURNALED_BODY_PREFIX)
                .unwrap_or_default(),
        },
        status: response.status,
        error_code,
        response_headers: response.headers.clone(),
        response_body: response.body.clone(),
    });
    (request_id, response)
}

fn to_hyper(
    response: OssResponse,
    request_id: &str,
    method: &str,
) -> hyper::Response<ResponseBody> {
    let mut builder = hyper::Response::builder()
        .status(response.status)
        .header("x-oss-request-id", request_id)
        .header("Date", httpdate::fmt_http_date(SystemTime::now()))
        .header("Server", "AliyunOSS");
    let explicit_length = response
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-length"));
    for (name, value) in &response.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let body: ResponseBody = match (method, response.stream) {
        ("HEAD", _) => empty_body(),
        (_, Some(blob)) => {
            if !explicit_length {
                builder = builder.header("Content-Length", blob.len());
            }
            // spec: CB-EMU-STREAMING
            StreamBody::new(super::blob::chunk_stream(blob).map_ok(hyper::body::Frame::data))
                .boxed()
        }
        (_, None) => {
            if !explicit_length {
                builder = builder.header("Content-Length", response.body.len());
            }
            Full::new(response.body)
                .map_err(|never| match never {})
                .boxed()
        }
    };
    builder.body(body).unwrap_or_else(|_| {
        // A header value the handler produced was not valid HTTP: a bug, but
        // the client still gets a well-formed answer.
        let mut fallback = hyper::Response::new(empty_body());
        *fallback.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    })
}

fn empty_body() -> ResponseBody {
    Full::new(Bytes::new())
        .map_err(|never| match never {})
        .boxed()
}
