//! Setting up what scenarios run against: the embedded emulator (with the
//! capture server wired in) or a remote endpoint.

use cbspec_protocol::headers::Headers;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::driver::DriverChoice;
use super::execute::{Capture, Endpoints, KeyLocks, WireLog};
use super::observation::{ObservedCallback, Tokens};
use super::{Capabilities, Lane, RunError, Target};
use crate::scenario::{AnswerSpec, Need};
use cbspec_capture::{Answer, CaptureHandle};
use cbspec_client::OssClient;
use cbspec_emulator::{
    CallbackSettings, Emulator, EmulatorConfig, EmulatorHandle, Journal, JournalLimits,
    RequestRecord,
};
use cbspec_protocol::auth::Credentials;
use cbspec_protocol::routing::route;

/// The bucket the suite uses on the embedded emulator.
pub const SUITE_BUCKET: &str = "cbspec-suite";
/// The name HTTPS callbacks use; the emulator resolves it to the capture server.
pub const TLS_NAME: &str = "cb.example.test";

/// The capture server as the runner sees it.
pub struct CaptureAdapter(pub std::sync::Arc<CaptureHandle>);

impl Capture for CaptureAdapter {
    fn program(&self, path: &str, spec: &AnswerSpec) {
        let mut answer = Answer::ok();
        if spec.reset {
            answer = Answer::reset();
        }
        if let Some(status) = spec.status {
            answer = answer.with_status(status);
        }
        if let Some(body) = &spec.body {
            answer = answer.with_body(body.clone().into_bytes());
        }
        if let Some(ms) = spec.delay_ms {
            answer = answer.with_delay(Duration::from_millis(ms));
        }
        if spec.bom {
            answer = answer.with_bom();
        }
        if spec.chunked {
            answer = answer.with_chunked();
        }
        if let Some(size) = spec.oversize {
            answer = answer.with_oversize(size);
        }
        self.0.program(path, answer);
    }

    fn observed(&self, prefix: &str) -> Vec<ObservedCallback> {
        let with_slash = format!("{prefix}/");
        self.0
            .requests_under(&with_slash)
            .into_iter()
            .map(|r| {
                let relative = r
                    .target
                    .strip_prefix(prefix)
                    .unwrap_or(&r.target)
                    .to_owned();
                let (path, query) = match relative.find('?') {
                    Some(i) => (relative[..i].to_owned(), relative[i..].to_owned()),
                    None => (relative, String::new()),
                };
                ObservedCallback {
                    method: r.method.clone(),
                    path,
                    query,
                    headers: r.headers.clone(),
                    body: r.body.to_vec(),
                    signature_valid: r.signature.is_valid(),
                    signature_detail: r.signature.to_string(),
                    sni: r.sni.clone(),
                    tls: r.tls,
                }
            })
            .collect()
    }
}

/// The emulator's journal as the runner reads it.
pub struct EmulatorWire {
    journal: Journal,
    base_domain: String,
}

impl EmulatorWire {
    /// The wire log of a running emulator.
    pub fn new(handle: &EmulatorHandle, base_domain: &str) -> Self {
        Self {
            journal: handle.journal().clone(),
            base_domain: base_domain.to_owned(),
        }
    }
}

impl WireLog for EmulatorWire {
    fn records_for(&self, bucket: &str, key: &str, since: SystemTime) -> Vec<RequestRecord> {
        let mut records: Vec<RequestRecord> = self
            .journal
            .requests()
            .into_iter()
            .filter(|r| r.received_at >= since)
            .filter(|r| {
                let host = r.headers.header("host");
                route(host, &r.target, &self.base_domain).is_ok_and(|resource| {
                    resource.bucket.as_deref() == Some(bucket)
                        && (resource.key.as_deref() == Some(key)
                            // A PostObject addresses the bucket; its key is a form field.
                            || (resource.key.is_none() && r.method == "POST"))
                })
            })
            .collect();
        // The journal is in completion order; judging wants arrival order.
        records.sort_by_key(|r| r.received_at);
        records
    }

    fn base_domain(&self) -> &str {
        &self.base_domain
    }
}

/// A remote OSS endpoint.
#[derive(Debug, Clone)]
pub struct RemoteEndpoint {
    /// `http(s)://host[:port]`.
    pub endpoint: String,
    /// Region.
    pub region: String,
    /// Bucket.
    pub bucket: String,
    /// Where that endpoint reaches the capture server.
    pub callback_base_url: String,
    /// Key pair.
    pub credentials: Credentials,
}

/// An address where nothing listens (the port is reserved and released).
fn refused_addr() -> Result<std::net::SocketAddr, RunError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(RunError::ReservePort)
}

/// A remote endpoint as a target. It refuses private callback addresses and
/// cannot reach the local HTTPS listener by name, so it offers only
/// `production-rules`; it is not the reference, so IMPLEMENTATION-DEFINED
/// differences are `info`.
pub fn endpoint_target(remote: &RemoteEndpoint, choice: &DriverChoice) -> Result<Target, RunError> {
    let base = remote.callback_base_url.trim_end_matches('/').to_owned();
    let authority = base
        .split("://")
        .nth(1)
        .unwrap_or(&base)
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let client = OssClient::new(
        &remote.endpoint,
        remote.credentials.clone(),
        &remote.region,
        Duration::from_secs(30),
    )
    .map_err(|e| RunError::Client(e.to_string()))?;
    Ok(Target {
        main: Lane {
            driver: choice.driver_for(&client, &remote.credentials),
            client,
            wire: None,
        },
        production: None,
        key_locks: KeyLocks::default(),
        bucket: remote.bucket.clone(),
        capabilities: Capabilities::with(&[Need::ProductionRules], false),
        endpoints: Endpoints {
            capture_http: base,
            capture_https: None,
            refused: format!("http://{}", refused_addr()?),
        },
        tokens: Tokens {
            bucket: String::new(),
            capture: authority,
            captures: String::new(),
            client_ip: String::new(),
        },
    })
}

/// The embedded emulator as a target: two instances (the second with
/// production rules), a 1 s callback timeout, trusting the capture server's
/// certificate and resolving `cb.example.test` to its HTTPS listener.
pub async fn embedded_target(
    capture: &CaptureHandle,
    choice: &DriverChoice,
) -> Result<(Target, Vec<EmulatorHandle>), RunError> {
    let https = capture.https_addr().ok_or(RunError::NoHttpsListener)?;
    let credentials = Credentials::new("cbspec-suite-key", "cbspec-suite-secret");
    let config = EmulatorConfig {
        credentials: credentials.clone(),
        buckets: vec![SUITE_BUCKET.to_owned()],
        callbacks: CallbackSettings {
            // The suite tests both sides of the timeout without waiting 5 s.
            timeout: Duration::from_secs(1),
            extra_ca_pem: vec![capture.ca_pem().into_bytes()],
            resolve: vec![(TLS_NAME.to_owned(), https)],
            ..CallbackSettings::default()
        },
        // The runner judges SDKs from the journal: keep a whole run.
        journal: JournalLimits {
            max_records: 1_000_000,
            max_body_bytes: 1 << 30,
        },
        ..EmulatorConfig::default()
    };
    let base_domain = config.base_domain.clone();
    let emulator = Emulator::start(config.clone()).await?;
    let production = Emulator::start(EmulatorConfig {
        production_rules: true,
        ..config
    })
    .await?;
    for handle in [&emulator, &production] {
        let prefix = format!("{}/", handle.endpoint())
            .parse()
            .map_err(RunError::KeyPrefix)?;
        capture.allow_key_url_prefix(prefix);
    }
    let region = "cn-hangzhou";
    let timeout = Duration::from_secs(30);
    let client = OssClient::new(&emulator.endpoint(), credentials.clone(), region, timeout)
        .map_err(|e| RunError::Client(e.to_string()))?;
    let production_client =
        OssClient::new(&production.endpoint(), credentials.clone(), region, timeout)
            .map_err(|e| RunError::Client(e.to_string()))?;

    let http = capture.http_addr();
    Ok((
        Target {
            main: Lane {
                driver: choice.driver_for(&client, &credentials),
                client,
                wire: Some(Arc::new(EmulatorWire::new(&emulator, &base_domain))),
            },
            production: Some(Lane {
                driver: choice.driver_for(&production_client, &credentials),
                client: production_client,
                wire: Some(Arc::new(EmulatorWire::new(&production, &base_domain))),
            }),
            key_locks: KeyLocks::default(),
            bucket: SUITE_BUCKET.to_owned(),
            capabilities: Capabilities::everything(),
            endpoints: Endpoints {
                capture_http: format!("http://{http}"),
                capture_https: Some(format!("https://{TLS_NAME}:{}", https.port())),
                refused: format!("http://{}", refused_addr()?),
            },
            tokens: Tokens {
                bucket: String::new(),
                capture: http.to_string(),
                captures: format!("{TLS_NAME}:{}", https.port()),
                client_ip: "127.0.0.1".into(),
            },
        },
        vec![emulator, production],
    ))
}
