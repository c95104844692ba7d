//! The reference OSS endpoint: a real HTTP server that stores objects and
//! sends signed upload callbacks exactly as the protocol module describes.
//!
//! It imports nothing from the harness's capture server or runner: the
//! harness judges it over HTTP like any other endpoint.

mod append;
pub mod blob;
mod bucket_info;
mod buckets;
mod callback;
mod callback_policy;
mod conditions;
mod copy;
mod cors;
mod delete_multiple;
mod image;
mod journal;
mod metadata;
mod multipart;
mod object_config;
mod objects;
mod operation;
mod post_object;
mod response;
mod server;
mod service;
mod spool;
mod store;
mod sts;
mod xml;

#[cfg(feature = "testing")]
pub mod testing;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use callback::CallbackSettings;
pub use journal::{AttemptOutcome, CallbackAttempt, Journal, JournalLimits, RequestRecord};
pub use server::ServerLimits;
pub use service::{PUBLIC_KEY_PATH, STS_PATH};
pub use spool::SpoolSettings;
pub use sts::{CredentialSpecError, TemporaryCredential};

use cbspec_protocol::auth::Credentials;
use cbspec_protocol::callback_url::AddressPolicy;
use cbspec_protocol::signature::{CallbackSigner, KeyError};

/// The committed 1024-bit development key the emulator signs callbacks with
/// unless another is configured.
// spec: CB-KEY-EMULATOR
pub const DEV_SIGNING_KEY_PEM: &str = include_str!("../../keys/emulator-dev-key.pem");

/// How to run an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Persist objects here; `None` keeps everything in memory.
    pub data_dir: Option<PathBuf>,
    /// Where bodies and objects larger than `memory_object_limit` are kept
    /// without a data directory (anonymous files); `None` is the system's
    /// temporary directory. With a data directory they go to its `spool`.
    pub spill_dir: Option<PathBuf>,
    /// Bodies and objects up to this many bytes are held in memory; larger
    /// ones are streamed to a file as they arrive.
    pub memory_object_limit: usize,
    /// The region (V4 scope, bucket Location).
    pub region: String,
    /// The only accepted key pair.
    pub credentials: Credentials,
    /// PEM of the RSA key callbacks are signed with.
    pub signing_key_pem: String,
    /// Callback sending: timeout, extra CAs, pinned names.
    pub callbacks: CallbackSettings,
    /// Whether loopback/private callback URLs are refused (the real rule).
    pub production_rules: bool,
    /// Virtual-hosted requests for `<bucket>.<base_domain>` (besides
    /// `<bucket>.oss-<region>.aliyuncs.com`, always recognised).
    pub base_domain: String,
    /// Buckets created at start.
    pub buckets: Vec<String>,
    /// Request size limits.
    pub limits: ServerLimits,
    /// How much traffic the journal keeps.
    pub journal: JournalLimits,
    /// Temporary (STS) credentials accepted from the start (more can be
    /// minted at [`STS_PATH`]).
    pub temporary_credentials: Vec<TemporaryCredential>,
    /// How long a RestoreObject takes before the archived object is readable.
    pub restore_delay: Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            spill_dir: None,
            memory_object_limit: SpoolSettings::default().memory_limit,
            region: "cn-hangzhou".into(),
            credentials: Credentials::new("cbspec-access-key", "cbspec-secret-key"),
            signing_key_pem: DEV_SIGNING_KEY_PEM.into(),
            callbacks: CallbackSettings::default(),
            production_rules: false,
            base_domain: "oss.localhost".into(),
            buckets: Vec::new(),
            limits: ServerLimits::default(),
            journal: JournalLimits::default(),
            temporary_credentials: Vec::new(),
            restore_delay: Duration::from_secs(1),
        }
    }
}

/// Why an emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The signing key is not a usable RSA key.
    #[error("the signing key is unusable: {0}")]
    SigningKey(#[from] KeyError),
    /// The data directory could not be opened.
    #[error("cannot open the data directory: {0}")]
    DataDir(String),
    /// The callback client could not be built.
    #[error(transparent)]
    Callbacks(#[from] callback::CallbackSetupError),
    /// A configured bucket name is invalid.
    #[error(
        "bucket {0:?} is not a valid OSS bucket name (3-63 lower-case letters, digits, hyphens)"
    )]
    BucketName(String),
}

/// A running emulator. Dropping the handle does not stop it; call
/// [`EmulatorHandle::shutdown`].
#[derive(Debug)]
pub struct EmulatorHandle {
    addr: SocketAddr,
    journal: Journal,
    public_key_pem: String,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl EmulatorHandle {
    /// The socket address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://addr`, the endpoint clients use (path style).
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The URL of the public key callbacks are signed with.
    pub fn public_key_url(&self) -> String {
        format!("{}{PUBLIC_KEY_PATH}", self.endpoint())
    }

    /// The public key PEM (also served at [`Self::public_key_url`]).
    pub fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }

    /// The journal of requests and callback attempts.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Stops accepting, lets requests in flight finish (up to 30 s), and waits.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// Binds a listener with room for `backlog` queued connections: tokio's
/// default of 1024 resets connections under a burst of a few thousand.
// spec: CB-EMU-BACKLOG
fn bind(addr: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}

/// The emulator.
pub struct Emulator;

impl Emulator {
    /// Binds, prepares storage and starts serving on the current tokio runtime.
    pub async fn start(config: EmulatorConfig) -> Result<EmulatorHandle, StartError> {
        // reqwest and rustls are built without a default crypto provider so
        // that only ring is compiled; install it once per process.
        let _ = rustls::crypto::ring::default_provider().install_default();

        let signer = CallbackSigner::from_pem(&config.signing_key_pem)?;
        let public_key_pem = signer.public_key().to_pem();
        let listener =
            bind(config.listen, config.limits.backlog).map_err(|source| StartError::Bind {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;

        let pub_key_url = format!("http://{addr}{PUBLIC_KEY_PATH}");
        let journal = Journal::with_limits(config.journal);
        let service = Arc::new(build_service(
            &config,
            signer,
            public_key_pem.clone(),
            pub_key_url,
            journal.clone(),
        )?);
        let (shutdown, watch_shutdown) = watch::channel(false);
        let task = tokio::spawn(server::serve(
            listener,
            service,
            config.limits,
            watch_shutdown,
        ));
        Ok(EmulatorHandle {
            addr,
            journal,
            public_key_pem,
            shutdown,
            task,
        })
    }
}

/// The request handler and its state, shared by the socket server and the
/// in-process front.
fn build_service(
    config: &EmulatorConfig,
    signer: CallbackSigner,
    public_key_pem: String,
    pub_key_url: String,
    journal: Journal,
) -> Result<service::Service, StartError> {
    let store = match &config.data_dir {
        Some(dir) => store::Store::open_with_memory_limit(dir, config.memory_object_limit)
            .map_err(|e| StartError::DataDir(format!("{}: {e}", dir.display())))?,
        None => {
            let spool = SpoolSettings {
                dir: config.spill_dir.clone().unwrap_or_else(std::env::temp_dir),
                memory_limit: config.memory_object_limit,
                named: false,
            };
            // A spill directory that cannot take a file fails the start,
            // not the first large upload.
            tempfile::tempfile_in(&spool.dir).map_err(|e| {
                StartError::DataDir(format!(
                    "the spill directory {} cannot hold files ({e}); pass --spill-dir with a writable directory",
                    spool.dir.display()
                ))
            })?;
            store::Store::in_memory_spilling(spool)
        }
    };
    for bucket in &config.buckets {
        if !buckets::is_valid_bucket_name(bucket) {
            return Err(StartError::BucketName(bucket.clone()));
        }
        store
            .create_bucket(bucket, store::BucketConfig::default())
            .map_err(|e| StartError::DataDir(e.to_string()))?;
    }

    let callbacks =
        callback::CallbackSender::new(&config.callbacks, signer, pub_key_url, journal.clone())?;
    Ok(service::Service {
        store: Arc::new(store),
        journal,
        callbacks,
        credentials: config.credentials.clone(),
        region: config.region.clone(),
        base_domain: config.base_domain.clone(),
        address_policy: if config.production_rules {
            AddressPolicy::Production
        } else {
            AddressPolicy::AllowPrivate
        },
        account_id: "1000000000000001".into(),
        public_key_pem,
        temporary: sts::TemporaryCredentials::new(config.temporary_credentials.clone()),
        restore_delay: config.restore_delay,
    })
}

/// The emulator without sockets: each request goes straight to the same
/// handler the server uses. For fuzzing and for embedding in other tools.
pub struct InProcessEmulator {
    service: Arc<service::Service>,
}

/// An in-process answer.
#[derive(Debug, Clone)]
pub struct InProcessAnswer {
    /// HTTP status.
    pub status: u16,
    /// Headers (without the framing ones the server adds).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: bytes::Bytes,
    /// The request id assigned.
    pub request_id: String,
}

impl InProcessEmulator {
    /// Builds the handler and storage (callbacks as configured; set
    /// `callbacks.offline` for arbitrary input).
    pub fn new(config: EmulatorConfig) -> Result<Self, StartError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let signer = CallbackSigner::from_pem(&config.signing_key_pem)?;
        let public_key_pem = signer.public_key().to_pem();
        let service = build_service(
            &config,
            signer,
            public_key_pem,
            "http://in-process.invalid/_cbspec/callback_pub_key.pem".into(),
            Journal::with_limits(config.journal),
        )?;
        Ok(Self {
            service: Arc::new(service),
        })
    }

    /// Handles one request as if it had arrived over HTTP from 127.0.0.1.
    pub async fn request(
        &self,
        method: &str,
        target: &str,
        headers: Vec<(String, String)>,
        body: bytes::Bytes,
    ) -> InProcessAnswer {
        let peer = SocketAddr::from(([127, 0, 0, 1], 1));
        let (request_id, response) = server::respond(
            &self.service,
            method.to_owned(),
            target.to_owned(),
            headers,
            Ok(spool::Spooled::from_bytes(body)),
            peer,
        )
        .await;
        let body = match response.stream {
            // In process, a large object is read into the answer.
            Some(blob) => tokio::task::spawn_blocking(move || blob.to_bytes(u64::MAX))
                .await
                .ok()
                .and_then(Result::ok)
                .flatten()
                .unwrap_or_default(),
            None => response.body,
        };
        InProcessAnswer {
            status: response.status,
            headers: response.headers,
            body,
            request_id,
        }
    }

    /// The journal.
    pub fn journal(&self) -> &Journal {
        &self.service.journal
    }
}

/// A duration that [`parse_duration`] cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// No number first.
    #[error("{0:?} is not a duration; write e.g. 5s, 500ms, 2m or 1h")]
    NotANumber(String),
    /// A unit other than ms, s, m or h.
    #[error("{0:?} has an unknown unit; use ms, s, m or h")]
    UnknownUnit(String),
    /// More than a day, or more than the clock can count.
    #[error("{0:?} is longer than a day; give a shorter duration")]
    TooLong(String),
}

/// Parses a duration such as `5s`, `500ms`, `2m` or `1h` (for `--callback-timeout`).
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: u64 = number
        .parse()
        .map_err(|_| DurationError::NotANumber(text.to_owned()))?;
    let duration = parse_unit(text, value, unit)?;
    if duration > Duration::from_secs(86_400) {
        return Err(DurationError::TooLong(text.to_owned()));
    }
    Ok(duration)
}

fn parse_unit(text: &str, value: u64, unit: &str) -> Result<Duration, DurationError> {
    match unit {
        "ms" => Ok(Duration::from_millis(value)),
        "s" | "" => Ok(Duration::from_secs(value)),
        "m" => value
            .checked_mul(60)
            .map(Duration::from_secs)
            .ok_or_else(|| DurationError::TooLong(text.to_owned())),
        "h" => value
            .checked_mul(3600)
            .map(Duration::from_secs)
            .ok_or_else(|| DurationError::TooLong(text.to_owned())),
        _ => Err(DurationError::UnknownUnit(text.to_owned())),
    }
}
