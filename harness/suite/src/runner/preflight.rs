//! The preflight: before the first scenario against a remote endpoint, check
//! step by step that a run can mean anything. The endpoint answers, the
//! credentials are accepted, the bucket exists (or is created), and a canary
//! upload's callback reaches the capture server through each base URL with
//! a signature that verifies under the profile's key prefixes. Each failed
//! step stops the run with a message that names the step and the likely fix,
//! instead of 466 verdicts that all say the same thing.
//!
//! The classification of each answer ([`classify_probe`], [`judge_canary`])
//! is pure and unit-tested; [`preflight`] only sends and waits.

use std::time::Duration;

use cbspec_capture::{CaptureHandle, CapturedRequest, SignatureVerdict};
use cbspec_client::{Auth, CallError, OssAnswer, OssCall};
use cbspec_protocol::callback_json::CallbackFields;
use cbspec_protocol::carrier::CALLBACK_HEADER;
use cbspec_protocol::error_document::ErrorDocument;

use super::facts::PreflightStepReport;
use super::targets::RemoteEndpoint;
use crate::scenario::AuthVersion;

/// A preflight step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The endpoint answers HTTP at all.
    Endpoint,
    /// It accepts the key pair.
    Credentials,
    /// The bucket exists (or `--create-bucket` made it).
    Bucket,
    /// A canary upload's callback arrives over HTTP, correctly signed.
    Callback,
    /// The same over HTTPS, by the TLS name.
    CallbackHttps,
}

impl Step {
    /// The step's name in messages and reports.
    pub fn word(self) -> &'static str {
        match self {
            Step::Endpoint => "endpoint",
            Step::Credentials => "credentials",
            Step::Bucket => "bucket",
            Step::Callback => "callback",
            Step::CallbackHttps => "callback-https",
        }
    }
}

/// A failed preflight step: which, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("preflight step {} failed: {message}", step.word())]
pub struct PreflightError {
    /// The step.
    pub step: Step,
    /// What was found and the likely fix.
    pub message: String,
}

fn fail(step: Step, message: impl Into<String>) -> PreflightError {
    PreflightError {
        step,
        message: message.into(),
    }
}

/// How the preflight runs.
#[derive(Debug, Clone)]
pub struct PreflightOptions {
    /// Make the bucket when it does not exist.
    pub create_bucket: bool,
    /// How long to wait for the canary's callback after the upload answered.
    pub callback_wait: Duration,
}

impl Default for PreflightOptions {
    fn default() -> Self {
        Self {
            create_bucket: false,
            callback_wait: Duration::from_secs(10),
        }
    }
}

/// What the probe for a missing object said about the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeFinding {
    /// 404 NoSuchKey: the endpoint, the key pair and the bucket are fine.
    Ready,
    /// 404 NoSuchBucket.
    NoBucket,
}

/// Classifies the answer to a signed GET of an object that does not exist.
pub fn classify_probe(
    endpoint: &str,
    bucket: &str,
    answer: &OssAnswer,
) -> Result<ProbeFinding, PreflightError> {
    let text = answer.text();
    let document = ErrorDocument::from_xml(&text).ok();
    let code = document.as_ref().map(|d| d.code.as_str()).unwrap_or("");
    let message = document.as_ref().map(|d| d.message.as_str()).unwrap_or("");
    match (answer.status, code) {
        (404, "NoSuchKey") => Ok(ProbeFinding::Ready),
        (404, "NoSuchBucket") => Ok(ProbeFinding::NoBucket),
        (403, "InvalidAccessKeyId") => Err(fail(
            Step::Credentials,
            format!("{endpoint} does not know the access key id ({message}): check OSS_ACCESS_KEY_ID or --access-key-id"),
        )),
        (403, "SignatureDoesNotMatch") => Err(fail(
            Step::Credentials,
            format!("{endpoint} refused the signature ({message}): check OSS_ACCESS_KEY_SECRET or --access-key-secret, and --region (V4 signatures include it)"),
        )),
        (403, "RequestTimeTooSkewed") => Err(fail(
            Step::Credentials,
            format!("{endpoint} says this machine's clock is off ({message}): fix the clock"),
        )),
        (403, code) => Err(fail(
            Step::Credentials,
            format!("{endpoint} refused access to bucket {bucket:?}: 403 {code} {message}: check that the key pair may read and write the bucket"),
        )),
        (status, "") => Err(fail(
            Step::Endpoint,
            format!("{endpoint} answered {status} without an OSS error document (body: {:?}): is --endpoint an OSS endpoint?", excerpt(&text)),
        )),
        (status, code) => Err(fail(
            Step::Endpoint,
            format!("{endpoint} answered a GET of a missing object with {status} {code} ({message}) instead of 404 NoSuchKey"),
        )),
    }
}

/// Judges the canary: the upload's answer and what arrived at the capture
/// server under the canary's path (and anywhere else, for strays). Returns
/// what it found on success.
pub fn judge_canary(
    step: Step,
    url: &str,
    upload: &OssAnswer,
    arrived: &[CapturedRequest],
    strays: &[CapturedRequest],
    wait: Duration,
) -> Result<String, PreflightError> {
    let text = upload.text();
    let Some(request) = arrived.first() else {
        let answered = match upload.status {
            200 => "the endpoint answered 200 without calling back: does it implement upload callbacks?".to_owned(),
            203 => format!(
                "the endpoint answered 203 CallbackFailed: {}",
                ErrorDocument::from_xml(&text)
                    .map(|d| d.message)
                    .unwrap_or_else(|_| excerpt(&text))
            ),
            400 if text.contains("Private address") => "the endpoint refuses private callback addresses: give a public callback base URL (a tunnel), or run an endpoint that allows them".to_owned(),
            status => format!("the endpoint answered {status}: {}", excerpt(&text)),
        };
        let elsewhere = if strays.is_empty() {
            String::new()
        } else {
            let targets: Vec<&str> = strays.iter().take(3).map(|r| r.target.as_str()).collect();
            format!(
                "; the capture server did receive {} requests elsewhere ({}): does the base URL's path lead to the capture server unchanged?",
                strays.len(),
                targets.join(", ")
            )
        };
        return Err(fail(
            step,
            format!(
                "no callback reached {url} within {wait:?}: is the address public? is the tunnel up? ({answered}){elsewhere}"
            ),
        ));
    };
    match &request.signature {
        SignatureVerdict::Valid { .. } => {}
        SignatureVerdict::KeyUrlRefused { url: key_url, .. } => {
            let prefix = key_url
                .rsplit_once('/')
                .map_or(key_url.as_str(), |(base, _)| base);
            return Err(fail(
                step,
                format!(
                    "a callback arrived, but it is signed with the key at {key_url}, which the profile does not allow: add --allow-key-url-prefix {prefix}/ (or key_url_prefixes in the profile) if that is the endpoint's own key"
                ),
            ));
        }
        other => {
            return Err(fail(
                step,
                format!("a callback arrived, but its signature does not verify: {other}"),
            ));
        }
    }
    if step == Step::CallbackHttps && !request.tls {
        return Err(fail(step, "the HTTPS canary arrived over plain HTTP"));
    }
    if upload.status != 200 {
        return Err(fail(
            step,
            format!(
                "the callback arrived and verified, but the upload answered {} instead of relaying the capture server's 200: {}",
                upload.status,
                excerpt(&text)
            ),
        ));
    }
    let key_url = request.signature.key_url().unwrap_or_default();
    Ok(format!(
        "callback from {} via {url}, signed with {key_url}{}",
        request.peer.ip(),
        request
            .sni
            .as_deref()
            .map(|sni| format!(", SNI {sni}"))
            .unwrap_or_default()
    ))
}

fn excerpt(text: &str) -> String {
    let line = text.replace(['\n', '\r'], " ");
    if line.chars().count() > 200 {
        format!("{}…", line.chars().take(200).collect::<String>())
    } else {
        line
    }
}

fn transport(step: Step, endpoint: &str, e: &CallError) -> PreflightError {
    fail(
        step,
        format!(
            "{endpoint} did not answer: {} ({}); check --endpoint",
            e.cause.describe(),
            e.detail
        ),
    )
}

/// Runs the preflight against a remote endpoint. `nonce` keeps the canary
/// objects and capture paths of concurrent runs apart.
pub async fn preflight(
    remote: &RemoteEndpoint,
    capture: &CaptureHandle,
    options: &PreflightOptions,
    nonce: &str,
) -> Result<Vec<PreflightStepReport>, PreflightError> {
    let profile = &remote.profile;
    let client = remote
        .client(false)
        .map_err(|e| fail(Step::Endpoint, e.to_string()))?;
    let auth = if profile.signing.contains(&AuthVersion::V4) {
        Auth::V4Header
    } else {
        Auth::V1Header
    };
    let mut steps = Vec::new();
    let report = |steps: &mut Vec<PreflightStepReport>, step: Step, detail: String| {
        steps.push(PreflightStepReport {
            step: step.word().into(),
            detail,
        });
    };
    let probe_key = format!("cbspec-preflight/{nonce}/absent");
    let probe_call = || OssCall::new("GET", &profile.bucket, Some(&probe_key)).auth(auth);
    let answer = client
        .send(probe_call())
        .await
        .map_err(|e| transport(Step::Endpoint, &profile.endpoint, &e))?;
    let mut finding = classify_probe(&profile.endpoint, &profile.bucket, &answer)?;
    report(
        &mut steps,
        Step::Endpoint,
        format!("{} answers", profile.endpoint),
    );
    report(
        &mut steps,
        Step::Credentials,
        "the key pair is accepted".into(),
    );
    if finding == ProbeFinding::NoBucket {
        if !options.create_bucket {
            return Err(fail(
                Step::Bucket,
                format!(
                    "the bucket {:?} does not exist on {}: create it, or give --create-bucket",
                    profile.bucket, profile.endpoint
                ),
            ));
        }
        let created = client
            .send(OssCall::new("PUT", &profile.bucket, None).auth(auth))
            .await
            .map_err(|e| transport(Step::Bucket, &profile.endpoint, &e))?;
        if created.status != 200 {
            return Err(fail(
                Step::Bucket,
                format!(
                    "PutBucket {:?} answered {}: {}",
                    profile.bucket,
                    created.status,
                    excerpt(&created.text())
                ),
            ));
        }
        let again = client
            .send(probe_call())
            .await
            .map_err(|e| transport(Step::Bucket, &profile.endpoint, &e))?;
        finding = classify_probe(&profile.endpoint, &profile.bucket, &again)?;
        if finding != ProbeFinding::Ready {
            return Err(fail(
                Step::Bucket,
                format!(
                    "PutBucket {:?} answered 200 but the bucket still does not exist",
                    profile.bucket
                ),
            ));
        }
        report(
            &mut steps,
            Step::Bucket,
            format!("created {:?}", profile.bucket),
        );
    } else {
        report(
            &mut steps,
            Step::Bucket,
            format!("{:?} exists", profile.bucket),
        );
    }
    let mut bases = vec![(Step::Callback, profile.callback_base_url.clone())];
    if let Some(https) = &profile.callback_https_base_url {
        bases.push((Step::CallbackHttps, https.clone()));
    }
    for (step, base) in bases {
        let path = format!("/preflight/{nonce}/{}", step.word());
        let url = format!("{base}{path}");
        let fields = CallbackFields {
            url: url.clone(),
            body: Some("bucket=${bucket}&object=${object}".into()),
            sni: (step == Step::CallbackHttps).then_some(true),
            ..CallbackFields::default()
        };
        let key = format!("cbspec-preflight/{nonce}/{}.txt", step.word());
        // The recorder keeps arrival order: what came after `seen` is this canary's.
        let seen = capture.requests().len();
        let upload = client
            .send(
                OssCall::new("PUT", &profile.bucket, Some(&key))
                    .header("Content-Type", "text/plain")
                    .header(CALLBACK_HEADER, fields.to_base64())
                    .body(format!("cbspec preflight canary {nonce}\n"))
                    .auth(auth),
            )
            .await
            .map_err(|e| transport(step, &profile.endpoint, &e))?;
        let arrived = capture.wait_for(&path, 1, options.callback_wait).await;
        let strays: Vec<CapturedRequest> = capture
            .requests()
            .into_iter()
            .skip(seen)
            .filter(|r| !r.target.starts_with(&path))
            .collect();
        let found = judge_canary(
            step,
            &url,
            &upload,
            &arrived,
            &strays,
            options.callback_wait,
        )?;
        report(&mut steps, step, found);
        // The canary is not part of the run; a failed delete leaves only a
        // small object under cbspec-preflight/.
        let _ = client
            .send(OssCall::new("DELETE", &profile.bucket, Some(&key)).auth(auth))
            .await;
    }
    Ok(steps)
}
