//! Setting up what scenarios run against: the embedded emulator (with the
//! capture server wired in) or a remote endpoint.

use cbspec_protocol::headers::Headers;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::driver::DriverChoice;
use super::execute::{Capture, Endpoints, KeyLocks, WireLog};
use super::observation::{ObservedCallback, Tokens};
use super::{Capabilities, Lane, RunError, Target};
use crate::profile::{Addressing, EndpointProfile};
use crate::scenario::AnswerSpec;
use cbspec_capture::{Answer, CaptureHandle};
use cbspec_client::{ClientOptions, OssCall, OssClient};
use cbspec_emulator::{
    CallbackSettings, Emulator, EmulatorConfig, EmulatorHandle, Journal, JournalLimits,
    RequestRecord, TemporaryCredential,
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

/// A remote OSS endpoint: its profile, the key pair, and the names the
/// client resolves itself.
#[derive(Debug, Clone)]
pub struct RemoteEndpoint {
    /// What the endpoint is and can do.
    pub profile: EndpointProfile,
    /// Key pair.
    pub credentials: Credentials,
    /// Host names the client connects to at these addresses (`--resolve`).
    pub resolve: Vec<(String, std::net::IpAddr)>,
}

impl RemoteEndpoint {
    /// A native client for the main endpoint (or, with `production`, the
    /// production one) as the profile describes it.
    pub fn client(&self, production: bool) -> Result<OssClient, RunError> {
        let endpoint = if production {
            self.profile
                .production_endpoint
                .as_deref()
                .unwrap_or(&self.profile.endpoint)
        } else {
            &self.profile.endpoint
        };
        OssClient::with_options(
            endpoint,
            self.credentials.clone(),
            &self.profile.region,
            &ClientOptions {
                timeout: Duration::from_secs(30),
                addressing: match self.profile.addressing {
                    Addressing::Path => cbspec_client::Addressing::Path,
                    Addressing::VirtualHosted => cbspec_client::Addressing::VirtualHosted,
                },
                resolve: self.resolve.clone(),
            },
        )
        .map_err(|e| RunError::Client(e.to_string()))
    }
}

/// An address where nothing listens (the port is reserved and released).
fn refused_addr() -> Result<std::net::SocketAddr, RunError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(RunError::ReservePort)
}

/// `host[:port]` of a URL, as a `Host` header carries it.
fn authority(url: &str) -> String {
    url.split("://")
        .nth(1)
        .unwrap_or(url)
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A remote endpoint as a target, as its profile describes it: the key-URL
/// prefixes it signs with are allowed on the capture server, and each need
/// it lacks makes the scenarios that need it `unsupported`, with the reason.
pub fn endpoint_target(
    remote: &RemoteEndpoint,
    capture: &CaptureHandle,
    choice: &DriverChoice,
) -> Result<Target, RunError> {
    let profile = &remote.profile;
    for prefix in &profile.key_url_prefixes {
        capture.allow_key_url_prefix(prefix.clone());
    }
    let client = remote.client(false)?;
    let production = match &profile.production_endpoint {
        Some(_) => {
            let client = remote.client(true)?;
            Some(Lane {
                driver: choice.driver_for(
                    &client,
                    &remote.credentials,
                    remote.profile.temporary_credential.as_ref(),
                ),
                client,
                wire: None,
            })
        }
        None => None,
    };
    let https = profile.callback_https_base_url.clone();
    let tls_name = https
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    Ok(Target {
        main: Lane {
            driver: choice.driver_for(
                &client,
                &remote.credentials,
                remote.profile.temporary_credential.as_ref(),
            ),
            client,
            wire: None,
        },
        production,
        key_locks: KeyLocks::default(),
        bucket: profile.bucket.clone(),
        capabilities: profile.capabilities(),
        endpoints: Endpoints {
            capture_http: profile.callback_base_url.clone(),
            capture_https: https.clone(),
            refused: format!("http://{}", refused_addr()?),
        },
        tokens: Tokens {
            bucket: String::new(),
            capture: authority(&profile.callback_base_url),
            captures: https.as_deref().map(authority).unwrap_or_default(),
            tls_name,
            client_ip: profile.client_ip.value().map(ToString::to_string),
        },
    })
}

/// The CORS rule an SDK run puts on the suite bucket, as the Browser.js
/// documentation tells its users to: pages served from any loopback port
/// may upload, and read the headers the SDK needs. Put by the runner, not
/// the browser adapter, because an adapter holds only the scenario's
/// credentials, which are wrong on purpose in the wrong-secret scenarios.
const BROWSER_CORS_RULE: &str = "<CORSConfiguration><CORSRule><AllowedOrigin>http://127.0.0.1:*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod><AllowedMethod>DELETE</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-oss-request-id</ExposeHeader><ExposeHeader>x-oss-hash-crc64ecma</ExposeHeader><ExposeHeader>x-oss-next-append-position</ExposeHeader><ExposeHeader>x-oss-object-type</ExposeHeader><ExposeHeader>Content-MD5</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>";

async fn allow_browser_uploads(client: &OssClient) -> Result<(), RunError> {
    let call = OssCall::new("PUT", SUITE_BUCKET, None)
        .query("cors", None)
        .body(BROWSER_CORS_RULE);
    match client.send(call).await {
        Ok(answer) if answer.status == 200 => Ok(()),
        Ok(answer) => Err(RunError::Client(format!(
            "the embedded emulator refused the browser CORS rule: {} {}",
            answer.status,
            answer.text()
        ))),
        Err(e) => Err(RunError::Client(e.to_string())),
    }
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
    // What an STS-signing SDK (Browser.js) and the temporary-credentials
    // scenarios use. Fixed values, as the long-term pair's are: error
    // documents name the key id and quote the token in StringToSign, and
    // snapshots keep them.
    let temporary = TemporaryCredential {
        access_key_id: "STS.cbspecsuitetemporary".into(),
        access_key_secret: "cbspec-suite-temporary-secret".into(),
        security_token: "cbspec-suite-temporary-token".into(),
        expiration: None,
    };
    let config = EmulatorConfig {
        credentials: credentials.clone(),
        temporary_credentials: vec![temporary.clone()],
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

    if matches!(choice, DriverChoice::Sdk(_)) {
        for lane in [&client, &production_client] {
            allow_browser_uploads(lane).await?;
        }
    }

    let http = capture.http_addr();
    Ok((
        Target {
            main: Lane {
                driver: choice.driver_for(&client, &credentials, Some(&temporary)),
                client,
                wire: Some(Arc::new(EmulatorWire::new(&emulator, &base_domain))),
            },
            production: Some(Lane {
                driver: choice.driver_for(&production_client, &credentials, Some(&temporary)),
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
                tls_name: TLS_NAME.to_owned(),
                client_ip: Some("127.0.0.1".into()),
            },
        },
        vec![emulator, production],
    ))
}
