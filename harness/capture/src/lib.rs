//! The capturing callback server: the receiver end of an upload callback,
//! over HTTP and HTTPS (SNI recorded, optionally required), that records
//! every request byte for byte, checks its signature the way a careful
//! receiver must, and answers as each path is programmed.
//!
//! It imports nothing from the emulator: the harness judges the emulator
//! exactly as it judges any other endpoint, by what arrives here.
//!
//! Choices: each connection carries one request (the server answers
//! `Connection: close`), so the header lines can be recorded as sent. A head
//! over `max_header_bytes` gets 431 and is not recorded; a body over
//! `max_body_bytes` gets 413, or a body slower than `read_timeout` 408, and
//! the request is recorded with a `note` and an unchecked signature.

mod answer;
mod config;
mod recorder;
mod server;
mod signature_check;
mod tls;
mod wire;

#[cfg(feature = "testing")]
pub mod testing;

use cbspec_protocol::signature::KeyUrlPrefix;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

pub use answer::{Answer, BOM, DEFAULT_BODY};
pub use config::{CaptureConfig, DEFAULT_TLS_NAMES};
pub use recorder::CapturedRequest;
pub use signature_check::SignatureVerdict;
pub use tls::{generate_identity, GeneratedIdentity, TlsIdentity};

use answer::Programs;
use recorder::{lock, Recorder};
use server::Shared;
use signature_check::KeyCache;

/// Why a capture server could not start.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// A listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The self-signed certificate could not be made (e.g. an invalid name).
    #[error("cannot make the TLS certificate: {0}; check the TLS names")]
    Certificate(String),
    /// The HTTP client that fetches public keys could not be built.
    #[error("cannot set up the key-fetching HTTP client: {0}")]
    KeyClient(String),
}

/// Starts capture servers.
pub struct CaptureServer;

impl CaptureServer {
    /// Binds the listeners and starts serving on the current tokio runtime.
    pub async fn start(config: CaptureConfig) -> Result<CaptureHandle, CaptureError> {
        // rustls is built without a default crypto provider so that only ring
        // is compiled; install it once per process.
        let _ = rustls::crypto::ring::default_provider().install_default();

        let (tls_config, ca_pem) = match &config.tls_identity {
            Some(identity) => tls::from_identity(identity)?,
            None => tls::self_signed(&config.tls_names)?,
        };
        let keys = KeyCache::new(config.key_allowlist.clone(), config.key_fetch_timeout)
            .map_err(|e| CaptureError::KeyClient(e.to_string()))?;
        let http = bind(config.http_listen).await?;
        let http_addr = local_addr(&http, config.http_listen)?;
        let https = match config.https_listen {
            Some(addr) => {
                let listener = bind(addr).await?;
                let bound = local_addr(&listener, addr)?;
                Some((listener, bound))
            }
            None => None,
        };
        let https_addr = https.as_ref().map(|(_, addr)| *addr);

        let shared = Arc::new(Shared {
            config,
            recorder: Recorder::default(),
            programs: Programs::default(),
            keys,
            verifications: Arc::new(tokio::sync::Semaphore::new(server::VERIFICATIONS_IN_FLIGHT)),
        });
        let (shutdown, watch_shutdown) = watch::channel(false);
        let mut tasks = vec![tokio::spawn(server::accept_loop(
            http,
            None,
            shared.clone(),
            watch_shutdown.clone(),
        ))];
        if let Some((listener, _)) = https {
            tasks.push(tokio::spawn(server::accept_loop(
                listener,
                Some(tls_config),
                shared.clone(),
                watch_shutdown,
            )));
        }
        Ok(CaptureHandle {
            http_addr,
            https_addr,
            ca_pem,
            shared,
            shutdown,
            tasks: Mutex::new(tasks),
        })
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, CaptureError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| CaptureError::Bind { addr, source })
}

fn local_addr(listener: &TcpListener, asked: SocketAddr) -> Result<SocketAddr, CaptureError> {
    listener.local_addr().map_err(|source| CaptureError::Bind {
        addr: asked,
        source,
    })
}

/// A running capture server. Every method may be called while it runs, from
/// any task. Dropping the handle stops accepting (as [`Self::shutdown`] does,
/// without waiting).
#[derive(Debug)]
pub struct CaptureHandle {
    http_addr: SocketAddr,
    https_addr: Option<SocketAddr>,
    ca_pem: String,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl CaptureHandle {
    /// The plain-HTTP listener's address.
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// The HTTPS listener's address, if one was configured.
    pub fn https_addr(&self) -> Option<SocketAddr> {
        self.https_addr
    }

    /// `http://addr<path>`: a callback URL on the plain listener.
    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.http_addr)
    }

    /// `https://<host>:port<path>`: a callback URL on the HTTPS listener for
    /// one of the certificate's names (resolve it to [`Self::https_addr`]).
    pub fn https_url(&self, host: &str, path: &str) -> Option<String> {
        self.https_addr
            .map(|addr| format!("https://{host}:{}{path}", addr.port()))
    }

    /// The certificate (PEM) the HTTPS listener presents (self-signed unless
    /// one was given); clients trust it as a CA.
    pub fn ca_pem(&self) -> String {
        self.ca_pem.clone()
    }

    /// Answers requests to exactly `path` (the target without its query)
    /// with `answer`; a later program for the same path replaces it.
    pub fn program(&self, path: &str, answer: Answer) {
        self.shared.programs.set(path, answer);
    }

    /// Forgets the programs of every path starting with `prefix` (`""`: all).
    pub fn clear_program(&self, prefix: &str) {
        self.shared.programs.clear(prefix);
    }

    /// Allows keys to be fetched from URLs starting with `prefix` from now
    /// on (e.g. an emulator's key URL base).
    // spec: CB-KEY-ALLOWLIST
    pub fn allow_key_url_prefix(&self, prefix: KeyUrlPrefix) {
        self.shared.keys.allow_prefix(prefix);
    }

    /// Every request recorded, in arrival order.
    pub fn requests(&self) -> Vec<CapturedRequest> {
        self.shared.recorder.all()
    }

    /// The requests whose target starts with `path_prefix`, in arrival order.
    pub fn requests_under(&self, path_prefix: &str) -> Vec<CapturedRequest> {
        self.shared.recorder.under(path_prefix)
    }

    /// Waits until `count` requests under `path_prefix` are recorded, or
    /// `timeout` passes; returns the requests under the prefix either way.
    pub async fn wait_for(
        &self,
        path_prefix: &str,
        count: usize,
        timeout: Duration,
    ) -> Vec<CapturedRequest> {
        self.shared
            .recorder
            .wait_for(path_prefix, count, timeout)
            .await
    }

    /// Forgets every request recorded so far (a long-running server's memory
    /// is otherwise bounded only by what it receives).
    pub fn clear_requests(&self) {
        self.shared.recorder.clear();
    }

    /// A live feed of requests as they are recorded (what `cbspec capture`
    /// prints); a receiver that falls far behind loses the oldest.
    pub fn subscribe(&self) -> broadcast::Receiver<CapturedRequest> {
        self.shared.recorder.subscribe()
    }

    /// Stops accepting, lets connections in flight finish (up to 10 s), and
    /// waits. Calling it again does nothing; what was recorded stays readable.
    pub async fn shutdown(&self) {
        let _ = self.shutdown.send(true);
        let tasks: Vec<JoinHandle<()>> = std::mem::take(&mut *lock(&self.tasks));
        for task in tasks {
            let _ = task.await;
        }
    }
}

/// Parses a raw HTTP request (head and body bytes, as received) and judges
/// its callback signature exactly as the server does, without any network:
/// only the bundled official key is available. For fuzzing the recorder and
/// the verdicts.
pub async fn judge_raw_request(
    raw: &[u8],
) -> Option<(String, String, Vec<(String, String)>, SignatureVerdict)> {
    let tap = wire::HeadBytes::with_cap(64 * 1024);
    let head = {
        let mut head = tap
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        head.push_bytes(raw);
        head.parse()?
    };
    let body_start = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(raw.len(), |i| i + 4);
    // One offline cache per process: building one (an HTTP client) costs far
    // more than judging a request.
    static CACHE: std::sync::OnceLock<Option<signature_check::KeyCache>> =
        std::sync::OnceLock::new();
    let cache = CACHE
        .get_or_init(|| {
            signature_check::KeyCache::offline(
                cbspec_protocol::signature::KeyUrlAllowlist::default(),
            )
            .ok()
        })
        .as_ref()?;
    let verdict = cache
        .verdict(&head.target, &head.headers, &raw[body_start..])
        .await;
    Some((head.method, head.target, head.headers, verdict))
}
