//! The HTTP side: accepting connections, reading requests within limits,
//! turning handler results into responses, and graceful shutdown.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::FutureExt;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::journal::RequestRecord;
use super::response::{OssError, OssResponse};
use super::service::{OssRequest, Service};

/// Limits on what a client may send.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// Largest request body (object or part) accepted.
    pub max_body_bytes: usize,
    /// Largest total size of the request headers accepted.
    pub max_header_bytes: usize,
    /// Time allowed for a request head to arrive.
    pub header_timeout: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 256 * 1024 * 1024,
            max_header_bytes: 64 * 1024,
            header_timeout: Duration::from_secs(30),
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
) -> hyper::Response<Full<Bytes>> {
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
    let body = if header_bytes > limits.max_header_bytes {
        Err(header_error(header_bytes, limits))
    } else {
        match Limited::new(req.into_body(), limits.max_body_bytes)
            .collect()
            .await
        {
            Ok(collected) => Ok(collected.to_bytes()),
            Err(e)
                if e.downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some() =>
            {
                Err(OssError::new(
                    400,
                    "EntityTooLarge",
                    format!(
                        "Your proposed upload exceeds the maximum allowed size of {} bytes.",
                        limits.max_body_bytes
                    ),
                ))
            }
            Err(e) => Err(OssError::invalid_argument(format!(
                "The request body could not be read: {e}"
            ))),
        }
    };
    let (request_id, response) =
        respond(&service, method.clone(), target, headers, body, peer).await;
    to_hyper(response, &request_id, &method)
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
    body: Result<Bytes, OssError>,
    peer: SocketAddr,
) -> (String, OssResponse) {
    let received_at = SystemTime::now();
    let request_id = new_request_id();
    let request = OssRequest {
        method,
        target,
        headers,
        body: body.clone().unwrap_or_default(),
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
    let (response, error_code) = match outcome {
        Ok(response) => (response, None),
        Err(error) => {
            let bucket = cbspec_protocol::routing::route(
                request.header("host"),
                &request.target,
                &service.base_domain,
            )
            .ok()
            .and_then(|r| r.bucket);
            let host_id = service.host_id(&request, bucket.as_deref());
            let xml = error.to_document(&request_id, &host_id).to_xml();
            (
                OssResponse::xml(error.status, xml),
                Some(error.code.to_owned()),
            )
        }
    };
    service.journal.record_request(RequestRecord {
        request_id: request_id.clone(),
        received_at,
        peer,
        method: request.method,
        target: request.target,
        headers: request.headers,
        body: request.body,
        status: response.status,
        error_code,
        response_headers: response.headers.clone(),
        response_body: response.body.clone(),
    });
    (request_id, response)
}

fn to_hyper(response: OssResponse, request_id: &str, method: &str) -> hyper::Response<Full<Bytes>> {
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
    let body = if method == "HEAD" {
        Bytes::new()
    } else {
        response.body
    };
    if !explicit_length && method != "HEAD" {
        builder = builder.header("Content-Length", body.len());
    }
    builder.body(Full::new(body)).unwrap_or_else(|_| {
        // A header value the handler produced was not valid HTTP: a bug, but
        // the client still gets a well-formed answer.
        let mut fallback = hyper::Response::new(Full::new(Bytes::from_static(b"")));
        *fallback.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    })
}
