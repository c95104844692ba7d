//! Sending callbacks: one POST per URL, in order, until one succeeds.
//!
//! What to send and how to judge the answer is protocol logic
//! (`protocol::callback_request`, `protocol::callback_outcome`); this module
//! only does the network part, with a timeout for every URL.

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use reqwest::header::{HeaderName, HeaderValue};
use tokio::net::TcpStream;

use super::journal::{AttemptOutcome, CallbackAttempt, Journal};
use cbspec_protocol::callback_outcome::{judge_response, CallbackFailure, MAX_RESPONSE_BODY};
use cbspec_protocol::callback_request::{build_callback_request, CallbackContext};
use cbspec_protocol::callback_url::Scheme;
use cbspec_protocol::config::ValidatedCallback;
use cbspec_protocol::signature::CallbackSigner;

/// How callbacks are sent.
#[derive(Debug, Clone)]
pub struct CallbackSettings {
    /// Time allowed for each URL (connect plus complete answer).
    pub timeout: Duration,
    /// Extra trusted CA certificates (PEM) for HTTPS callback servers.
    pub extra_ca_pem: Vec<Vec<u8>>,
    /// Host names pinned to addresses, so tests can use HTTPS names on loopback.
    pub resolve: Vec<(String, SocketAddr)>,
    /// Send nothing: every attempt fails as an unreachable URL. For running
    /// the emulator in process on arbitrary input (fuzzing), where a
    /// callback URL could name any host.
    pub offline: bool,
}

impl Default for CallbackSettings {
    fn default() -> Self {
        Self {
            // spec: CB-REQ-TIMEOUT
            timeout: Duration::from_secs(5),
            extra_ca_pem: Vec::new(),
            resolve: Vec::new(),
            offline: false,
        }
    }
}

/// Why the callback clients could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the callback HTTP client: {0}")]
pub struct CallbackSetupError(String);

/// Sends callbacks. Two clients, because SNI is a per-connection setting.
#[derive(Debug, Clone)]
pub struct CallbackSender {
    offline: bool,
    timeout: Duration,
    resolve: Vec<(String, SocketAddr)>,
    with_sni: reqwest::Client,
    without_sni: reqwest::Client,
    signer: CallbackSigner,
    pub_key_url: String,
    journal: Journal,
}

/// The result of running a callback configuration.
#[derive(Debug)]
pub enum CallbackResult {
    /// A URL answered acceptably; its body goes to the uploader.
    Succeeded(Bytes),
    /// Every URL failed; the last failure is reported.
    // spec: CB-OUT-ALL-FAIL
    Failed(CallbackFailure),
}

impl CallbackSender {
    /// Builds the sender.
    pub fn new(
        settings: &CallbackSettings,
        signer: CallbackSigner,
        pub_key_url: String,
        journal: Journal,
    ) -> Result<Self, CallbackSetupError> {
        let mut certs = Vec::new();
        for pem in &settings.extra_ca_pem {
            // A file with no certificate in it would be accepted silently and
            // trust nothing; say so instead.
            let bundle = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| CallbackSetupError(format!("--callback-ca: {e}")))?;
            if bundle.is_empty() {
                return Err(CallbackSetupError(
                    "--callback-ca: the file holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
                        .into(),
                ));
            }
            certs.extend(bundle);
        }
        let build = |sni: bool| {
            let mut builder = reqwest::Client::builder()
                // spec: CB-REQ-NO-REDIRECT
                .redirect(reqwest::redirect::Policy::none())
                .timeout(settings.timeout)
                .connect_timeout(settings.timeout)
                .pool_max_idle_per_host(0)
                .http1_only()
                .no_proxy()
                // spec: CB-TLS-SNI-TRUE, CB-TLS-SNI-FALSE
                .tls_sni(sni)
                .tls_certs_merge(certs.clone());
            for (name, addr) in &settings.resolve {
                builder = builder.resolve(name, *addr);
            }
            builder
                .build()
                .map_err(|e| CallbackSetupError(e.to_string()))
        };
        Ok(Self {
            offline: settings.offline,
            timeout: settings.timeout,
            resolve: settings.resolve.clone(),
            with_sni: build(true)?,
            without_sni: build(false)?,
            signer,
            pub_key_url,
            journal,
        })
    }

    /// Tries each URL in order, stopping at the first success.
    // spec: CB-URL-ORDER, CB-REQ-FAILOVER, CB-REQ-NO-RETRY, CB-REQ-SYNC
    pub async fn run(
        &self,
        callback: &ValidatedCallback,
        body: &[u8],
        bucket: &str,
        request_id: &str,
        requester: &str,
    ) -> CallbackResult {
        let mut last = CallbackFailure::Connect;
        for url in &callback.urls {
            let context = CallbackContext {
                bucket,
                request_id,
                requester,
                owner: requester,
                date: SystemTime::now(),
                pub_key_url: &self.pub_key_url,
            };
            let request = build_callback_request(callback, url, body, &self.signer, &context);
            let client = if url.scheme == Scheme::Https && callback.sni() {
                &self.with_sni
            } else {
                &self.without_sni
            };
            let started_at = SystemTime::now();
            let clock = Instant::now();
            let (status, outcome) = if self.offline {
                (None, Err(CallbackFailure::Connect))
            } else if url.scheme == Scheme::Http {
                self.send_plain(&request).await
            } else {
                self.send(client, &request).await
            };
            self.journal.record_callback(CallbackAttempt {
                upload_request_id: request_id.to_owned(),
                url: url.to_string(),
                headers: request.headers.clone(),
                body: Bytes::copy_from_slice(body),
                started_at,
                duration: clock.elapsed(),
                outcome: match &outcome {
                    Ok(body) => AttemptOutcome::Accepted { body: body.clone() },
                    Err(failure) => AttemptOutcome::Failed {
                        status,
                        message: failure.message(),
                    },
                },
            });
            match outcome {
                Ok(answer) => return CallbackResult::Succeeded(answer),
                Err(failure) => last = failure,
            }
        }
        CallbackResult::Failed(last)
    }

    /// A plain-HTTP callback over its own new connection, with hyper's
    /// connection API. Measured (`bench/run http`, docs/performance.md),
    /// reqwest's client machinery (pool, connector service, two timers,
    /// request builder) cost more CPU per callback than the connection
    /// itself, and a callback needs none of it: one connection per callback
    /// is the rule, there is nothing to pool. The address is the one the
    /// WHATWG parser reads from the URL, as reqwest would connect to (and as
    /// the private-address rule checked); HTTPS callbacks keep reqwest for
    /// TLS and SNI. The request on the wire is the same: the same headers in
    /// the same order, Content-Length from the body.
    // spec: CB-REQ-NO-REDIRECT, CB-REQ-TIMEOUT, CB-REQ-HTTP-VERSION
    async fn send_plain(
        &self,
        request: &cbspec_protocol::callback_request::CallbackHttpRequest,
    ) -> (Option<u16>, Result<Bytes, CallbackFailure>) {
        match tokio::time::timeout(self.timeout, self.exchange_plain(request)).await {
            Ok(result) => result,
            Err(_) => (None, Err(CallbackFailure::Timeout)),
        }
    }

    async fn exchange_plain(
        &self,
        request: &cbspec_protocol::callback_request::CallbackHttpRequest,
    ) -> (Option<u16>, Result<Bytes, CallbackFailure>) {
        let connect_failed = (None, Err(CallbackFailure::Connect));
        let Ok(url) = url::Url::parse(&request.url.to_string()) else {
            return connect_failed;
        };
        let Some(port) = url.port_or_known_default() else {
            return connect_failed;
        };
        let addresses: Vec<SocketAddr> = match url.host() {
            Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(ip.into(), port)],
            Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(ip.into(), port)],
            Some(url::Host::Domain(name)) => {
                match self
                    .resolve
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                {
                    Some((_, pinned)) => vec![SocketAddr::new(pinned.ip(), port)],
                    None => match tokio::net::lookup_host((name, port)).await {
                        Ok(found) => found.collect(),
                        Err(_) => return connect_failed,
                    },
                }
            }
            None => return connect_failed,
        };
        let mut stream = None;
        for address in addresses {
            if let Ok(connected) = TcpStream::connect(address).await {
                stream = Some(connected);
                break;
            }
        }
        let Some(stream) = stream else {
            return connect_failed;
        };
        let _ = stream.set_nodelay(true);
        let Ok((mut sender, connection)) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await
        else {
            return connect_failed;
        };
        tokio::spawn(connection);
        let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
        let mut builder = http::Request::post(target);
        let Some(headers) = wire_headers(request) else {
            return connect_failed;
        };
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        let Ok(outgoing) = builder.body(Full::new(Bytes::from(request.body.clone()))) else {
            return connect_failed;
        };
        let response = match sender.send_request(outgoing).await {
            Ok(response) => response,
            Err(_) => return connect_failed,
        };
        let status = response.status().as_u16();
        let content_length = response
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        // Read at most one frame past the limit: enough to know it is too long.
        let mut body = Vec::new();
        let mut incoming = response.into_body();
        while let Some(frame) = incoming.frame().await {
            let Ok(frame) = frame else {
                return (Some(status), Err(CallbackFailure::Connect));
            };
            if let Ok(data) = frame.into_data() {
                body.extend_from_slice(&data);
                if body.len() as u64 > MAX_RESPONSE_BODY {
                    return (Some(status), Err(CallbackFailure::TooLong));
                }
            }
        }
        let verdict = judge_response(status, content_length, &body).map(|()| Bytes::from(body));
        (Some(status), verdict)
    }

    async fn send(
        &self,
        client: &reqwest::Client,
        request: &cbspec_protocol::callback_request::CallbackHttpRequest,
    ) -> (Option<u16>, Result<Bytes, CallbackFailure>) {
        let mut builder = client
            .post(request.url.to_string())
            .body(request.body.clone());
        let Some(headers) = wire_headers(request) else {
            return (None, Err(CallbackFailure::Connect));
        };
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        let mut response = match builder.send().await {
            Ok(response) => response,
            Err(e) if e.is_connect() => return (None, Err(CallbackFailure::Connect)),
            Err(e) if e.is_timeout() => return (None, Err(CallbackFailure::Timeout)),
            Err(_) => return (None, Err(CallbackFailure::Connect)),
        };
        let status = response.status().as_u16();
        let content_length = response
            .headers()
            .get(reqwest::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        // Read at most one byte past the limit: enough to know it is too long.
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    body.extend_from_slice(&chunk);
                    if body.len() as u64 > MAX_RESPONSE_BODY {
                        return (Some(status), Err(CallbackFailure::TooLong));
                    }
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => return (Some(status), Err(CallbackFailure::Timeout)),
                Err(_) => return (Some(status), Err(CallbackFailure::Connect)),
            }
        }
        let verdict = judge_response(status, content_length, &body).map(|()| Bytes::from(body));
        (Some(status), verdict)
    }
}

/// The callback's headers as HTTP header values, in order, without
/// Content-Length (both clients write it from the body); `None` when one
/// cannot be carried by HTTP (a callbackHost with control characters), which
/// fails the attempt as unreachable.
fn wire_headers(
    request: &cbspec_protocol::callback_request::CallbackHttpRequest,
) -> Option<Vec<(HeaderName, HeaderValue)>> {
    request
        .headers
        .iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("content-length"))
        .map(|(name, value)| {
            Some((
                HeaderName::from_bytes(name.as_bytes()).ok()?,
                HeaderValue::from_str(value).ok()?,
            ))
        })
        .collect()
}
