//! `cbspec probe`: tests a callback receiver. It sends the receiver
//! callbacks exactly as OSS builds them, some correctly signed and some
//! forged, signed by keys that cbspec's own key server publishes, and judges
//! the answers: what must be accepted, what must be rejected, which key URLs
//! must never be fetched, whether OSS would relay each acceptance, and how
//! the receiver holds up under a burst.
//!
//! The cases are data (`cases`), the judging is pure (`judge`); this module
//! only serves keys, sends and times. Requests go to the receiver's URL and
//! nowhere else, one case at a time, each bounded by OSS's own limits (5 s,
//! 1 MiB), and a burst is bounded by its count.

pub mod cases;
pub mod judge;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use cbspec_capture::{Answer as KeyAnswer, CaptureConfig, CaptureHandle, CaptureServer};
use cbspec_protocol::callback_outcome::MAX_RESPONSE_BODY;
use cbspec_protocol::signature::CallbackSigner;

use crate::runner::facts::RunFacts;
use crate::runner::verdict::decide;
use crate::runner::{Expectations, ScenarioResult};
use crate::scenario::Requirement;
use cases::{
    build_cases, ProbeCase, ProbeRequest, ProbeSetup, SetupError, ATTACKER_PATHS, KEY_FILE,
    TRUSTED_PREFIX_PATH,
};
use judge::{
    judge_case, latency_report, AcceptRule, Answer, ForgedFetch, LatencyReport,
    OSS_CALLBACK_TIMEOUT,
};

/// The key pair whose public half the key server publishes as trusted.
pub const TRUSTED_KEY_PEM: &str = include_str!("../../../keys/emulator-dev-key.pem");
/// The attacker's key pair, published under the look-alike key URLs.
pub const ATTACKER_KEY_PEM: &str = include_str!("../../../keys/other-test-key.pem");

/// How to probe.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// The receiver's callback URL.
    pub url: String,
    /// `form` or `json`, as the body type's content type.
    pub body_type: String,
    /// The callbackBody template.
    pub template: String,
    /// Custom variables.
    pub vars: Vec<(String, String)>,
    /// Where the key server listens (the receiver allows
    /// `http://<this>/trusted/`).
    pub key_listen: SocketAddr,
    /// How a 2xx answer tells acceptance from rejection.
    pub accept: AcceptRule,
    /// A burst of correctly signed callbacks: how many, how many at once.
    pub load: Option<(usize, usize)>,
    /// Extra CA certificates (PEM) for an HTTPS receiver.
    pub extra_ca_pem: Vec<Vec<u8>>,
}

/// Why the probe could not run; nothing was sent.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The receiver URL is not one OSS would call.
    #[error("--url {url:?}: {why}")]
    Url {
        /// The URL.
        url: String,
        /// What is wrong.
        why: String,
    },
    /// Nothing answers at the receiver's address.
    #[error("the receiver at {addr} cannot be reached: {why}; is it running?")]
    Unreachable {
        /// host:port.
        addr: String,
        /// The connect error.
        why: String,
    },
    /// The template or variables are ones OSS would refuse.
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// The key server could not start (e.g. its address is in use).
    #[error("the key server cannot listen on {addr}: {why}; give another --key-listen")]
    KeyServer {
        /// The address.
        addr: SocketAddr,
        /// Why.
        why: String,
    },
    /// A key could not be read (a broken build).
    #[error("a probe key is unusable: {0}")]
    Key(String),
    /// The HTTP client could not be built (e.g. a bad CA file).
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

/// What a probe found.
pub struct ProbeOutcome {
    /// One result per case (and one for the burst), in order.
    pub results: Vec<ScenarioResult>,
    /// The run's facts, for the reporters.
    pub facts: RunFacts,
    /// The burst's figures, when one was sent.
    pub load: Option<LatencyReport>,
}

/// A receiver URL OSS could call: http or https, a host, no fragment.
fn check_url(url: &str) -> Result<(String, u16), ProbeError> {
    let bad = |why: &str| ProbeError::Url {
        url: url.to_owned(),
        why: why.to_owned(),
    };
    let parsed = url::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("OSS calls http:// and https:// URLs only"));
    }
    if parsed.fragment().is_some() || !parsed.username().is_empty() {
        return Err(bad("a callback URL has no user or fragment"));
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| bad("the URL has no host"))?
        .trim_matches(['[', ']'])
        .to_owned();
    let port = parsed.port_or_known_default().unwrap_or(80);
    Ok((host, port))
}

/// Sends one request and reads the answer within OSS's limits.
async fn send(client: &reqwest::Client, request: &ProbeRequest) -> Answer {
    let mut builder = client.post(&request.url).body(request.body.clone());
    for (name, value) in &request.headers {
        // reqwest writes Content-Length from the body itself.
        if name.eq_ignore_ascii_case("content-length") {
            continue;
        }
        builder = builder.header(name.as_str(), value.as_str());
    }
    let exchange = async {
        let mut response = builder.send().await?;
        let status = response.status().as_u16();
        let header = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_length =
            header(reqwest::header::CONTENT_LENGTH).and_then(|v| v.trim().parse().ok());
        let location = header(reqwest::header::LOCATION);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            body.extend_from_slice(&chunk);
            // One byte past OSS's limit is enough to know it is too long.
            if body.len() as u64 > MAX_RESPONSE_BODY {
                break;
            }
        }
        Ok::<Answer, reqwest::Error>(Answer::Http {
            status,
            content_length,
            body,
            location,
        })
    };
    // The client's own timeout and this one are both OSS's 5 s; whichever
    // fires first, the answer is the same.
    match tokio::time::timeout(OSS_CALLBACK_TIMEOUT, exchange).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(e)) if e.is_timeout() => Answer::TimedOut,
        Ok(Err(e)) => Answer::Broken(e.to_string()),
        Err(_) => Answer::TimedOut,
    }
}

/// The key server's requests since `seen`, other than the trusted key's own
/// URL under its own authority.
fn forged_fetches(key_server: &CaptureHandle, seen: usize, authority: &str) -> Vec<ForgedFetch> {
    let trusted_target = format!("{TRUSTED_PREFIX_PATH}{KEY_FILE}");
    key_server
        .requests()
        .into_iter()
        .skip(seen)
        .filter(|r| {
            let host = r.header("host").unwrap_or_default();
            !(r.target == trusted_target && host.eq_ignore_ascii_case(authority))
        })
        .map(|r| ForgedFetch {
            url: format!(
                "{} {}{}",
                r.method,
                r.header("host").unwrap_or("(no Host)"),
                r.target
            ),
            peer: r.peer.ip().to_string(),
        })
        .collect()
}

fn result_for(
    case: &ProbeCase,
    mismatches: Vec<crate::runner::observation::Mismatch>,
    requirements: &HashMap<String, Requirement>,
    duration: Duration,
    transcript: String,
) -> ScenarioResult {
    let mut mismatches = mismatches;
    for m in &mut mismatches {
        m.level = m
            .requirement
            .as_deref()
            .and_then(|id| requirements.get(id))
            .map(|r| r.level);
    }
    let mut ids: Vec<String> = vec![case.requirement.to_owned()];
    for m in &mismatches {
        if let Some(id) = &m.requirement {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
    }
    // The same verdict policy as the scenarios': the worst broken level.
    let decision = decide(
        &case.id,
        &ids,
        &mismatches,
        requirements,
        &Expectations::default(),
        false,
    );
    ScenarioResult {
        id: case.id.clone(),
        title: case.title.clone(),
        requirements: ids,
        operation: "probe".into(),
        body_type: case.id.split('/').next().unwrap_or("-").to_owned(),
        verdict: decision.verdict,
        message: decision.message,
        mismatches,
        transcript,
        duration,
        location: "harness/suite/src/probe/cases.rs".into(),
        known_deviations: Vec::new(),
        transport_failure: None,
        tags: vec![
            "probe".into(),
            case.id.split('/').next().unwrap_or_default().to_owned(),
        ],
    }
}

fn transcript(request: &ProbeRequest, answer: &Answer) -> String {
    let mut out = format!("> POST {}\n", request.url);
    for (name, value) in &request.headers {
        out.push_str(&format!("> {name}: {value}\n"));
    }
    out.push_str(&format!(
        "> body: {:?}\n",
        String::from_utf8_lossy(&request.body)
    ));
    match answer {
        Answer::Http { status, body, .. } => {
            let text = String::from_utf8_lossy(body);
            let short: String = text.chars().take(300).collect();
            out.push_str(&format!("< {status} {short:?}\n"));
        }
        Answer::TimedOut => out.push_str("< (no answer within 5 s)\n"),
        Answer::Broken(why) => out.push_str(&format!("< (no answer: {why})\n")),
    }
    out
}

/// Runs the probe: checks the inputs and that the receiver is reachable
/// (nothing is sent if not), starts the key server, sends each case in turn
/// and judges it, then the burst.
pub async fn run_probe(
    config: &ProbeConfig,
    requirements: &HashMap<String, Requirement>,
) -> Result<ProbeOutcome, ProbeError> {
    let (host, port) = check_url(&config.url)?;
    let trusted =
        CallbackSigner::from_pem(TRUSTED_KEY_PEM).map_err(|e| ProbeError::Key(e.to_string()))?;
    let attacker =
        CallbackSigner::from_pem(ATTACKER_KEY_PEM).map_err(|e| ProbeError::Key(e.to_string()))?;
    // The cases are built (and the template checked) before any connection.
    let placeholder = ProbeSetup {
        url: config.url.clone(),
        body_type: config.body_type.clone(),
        template: config.template.clone(),
        vars: config.vars.clone(),
        key_authority: config.key_listen.to_string(),
    };
    build_cases(&placeholder, &trusted, &attacker, SystemTime::now())?;
    let addr = format!("{host}:{port}");
    match tokio::time::timeout(
        OSS_CALLBACK_TIMEOUT,
        tokio::net::TcpStream::connect((host.as_str(), port)),
    )
    .await
    {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            return Err(ProbeError::Unreachable {
                addr,
                why: e.to_string(),
            })
        }
        Err(_) => {
            return Err(ProbeError::Unreachable {
                addr,
                why: "no connection within 5 s".into(),
            })
        }
    }
    let key_server = CaptureServer::start(CaptureConfig {
        http_listen: config.key_listen,
        https_listen: None,
        ..CaptureConfig::default()
    })
    .await
    .map_err(|e| ProbeError::KeyServer {
        addr: config.key_listen,
        why: e.to_string(),
    })?;
    let outcome = probe_with(config, requirements, &key_server, &trusted, &attacker).await;
    key_server.shutdown().await;
    outcome
}

async fn probe_with(
    config: &ProbeConfig,
    requirements: &HashMap<String, Requirement>,
    key_server: &CaptureHandle,
    trusted: &CallbackSigner,
    attacker: &CallbackSigner,
) -> Result<ProbeOutcome, ProbeError> {
    let authority = key_server.http_addr().to_string();
    let pem = |signer: &CallbackSigner| {
        KeyAnswer::ok()
            .with_header("Content-Type", "application/x-pem-file")
            .with_body(signer.public_key().to_pem())
    };
    key_server.program(&format!("{TRUSTED_PREFIX_PATH}{KEY_FILE}"), pem(trusted));
    for path in ATTACKER_PATHS {
        key_server.program(path, pem(attacker));
    }
    let setup = ProbeSetup {
        url: config.url.clone(),
        body_type: config.body_type.clone(),
        template: config.template.clone(),
        vars: config.vars.clone(),
        key_authority: authority.clone(),
    };
    let cases = build_cases(&setup, trusted, attacker, SystemTime::now())?;
    let mut builder = reqwest::Client::builder()
        // OSS follows no redirect (CB-REQ-NO-REDIRECT).
        .redirect(reqwest::redirect::Policy::none())
        .timeout(OSS_CALLBACK_TIMEOUT)
        .connect_timeout(OSS_CALLBACK_TIMEOUT)
        .pool_max_idle_per_host(0)
        .http1_only()
        .no_proxy();
    for pem in &config.extra_ca_pem {
        let bundle = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| ProbeError::Client(format!("--ca: {e}")))?;
        builder = builder.tls_certs_merge(bundle);
    }
    let client = builder
        .build()
        .map_err(|e| ProbeError::Client(e.to_string()))?;

    let mut results = Vec::new();
    let mut fetches: BTreeMap<String, usize> = BTreeMap::new();
    for case in &cases {
        let seen = key_server.requests().len();
        let started = Instant::now();
        let answer = send(&client, &case.request).await;
        let duration = started.elapsed();
        let forged = forged_fetches(key_server, seen, &authority);
        for r in key_server.requests().into_iter().skip(seen) {
            *fetches
                .entry(format!(
                    "{}{}",
                    r.header("host").unwrap_or_default(),
                    r.target
                ))
                .or_default() += 1;
        }
        let mismatches = judge_case(case, &answer, &config.accept, &forged);
        results.push(result_for(
            case,
            mismatches,
            requirements,
            duration,
            transcript(&case.request, &answer),
        ));
    }

    let mut load_report = None;
    if let Some((count, concurrency)) = config.load {
        let request = Arc::new(cases[0].request.clone());
        let gate = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..count {
            let (client, request, gate) = (client.clone(), request.clone(), gate.clone());
            let rule = config.accept.clone();
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await.ok();
                let started = Instant::now();
                let answer = send(&client, &request).await;
                let accepted = matches!(&answer, Answer::Http { status, body, .. } if rule.accepts(*status, body))
                    && judge::relay_failure(&answer).is_none();
                (started.elapsed(), matches!(answer, Answer::TimedOut), accepted)
            });
        }
        let (mut durations, mut timed_out, mut not_accepted) = (Vec::new(), 0, 0);
        while let Some(Ok((took, timeout, accepted))) = tasks.join_next().await {
            if timeout {
                timed_out += 1;
            } else {
                durations.push(took);
            }
            if !accepted {
                not_accepted += 1;
            }
        }
        let report = latency_report(&durations, not_accepted, timed_out);
        let burst = ProbeCase {
            id: "load/burst".into(),
            title: format!("{count} correctly signed callbacks, {concurrency} at a time"),
            requirement: "CB-RCV-TIMELY",
            expected: cases::Expected::Accept,
            request: cases[0].request.clone(),
        };
        let mut mismatches = Vec::new();
        if report.over_timeout > 0 || report.not_accepted > 0 {
            mismatches.push(crate::runner::observation::Mismatch {
                what: "burst".into(),
                expected: "every callback accepted within 5 s".into(),
                observed: format!(
                    "{} of {} over OSS's 5 s timeout (203 \"Cost too long time\"), {} not accepted or not relayable",
                    report.over_timeout, report.sent, report.not_accepted
                ),
                requirement: Some("CB-RCV-TIMELY".into()),
                level: None,
                unknowable: None,
            });
        }
        let mut result = result_for(&burst, mismatches, requirements, report.max, String::new());
        result.message = format!(
            "{}; latency p50 {:?}, p99 {:?}, max {:?}",
            result.message, report.p50, report.p99, report.max
        );
        results.push(result);
        load_report = Some(report);
    }

    let facts = RunFacts::for_receiver(
        format!(
            "receiver {} (key server http://{authority}, trusted prefix {})",
            config.url,
            setup.trusted_prefix()
        ),
        fetches,
    );
    Ok(ProbeOutcome {
        results,
        facts,
        load: load_report,
    })
}
