//! Performing one scenario: programming the capture server, building the
//! callback parameters, uploading through the driver, collecting the
//! callbacks and reading the object back with the native client.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{Map, Value};

use super::driver::sent::{answer_of, completing_request, judge_sent, Intended};
use super::driver::surfaced::judge_surfaced;
use super::driver::{observed, Driver, DriverOutcome, UploadPlan};
use super::observation::{Mismatch, Observation, ObservedCallback, SurfacedAnswer};
use crate::scenario::{
    AnswerSpec, AuthVersion, Callback, CallbackTarget, CredentialChoice, LoadedScenario, Operation,
    Vars,
};
use cbspec_client::{Auth, OssCall, OssClient};
use cbspec_emulator::RequestRecord;
use cbspec_protocol::callback_json::CallbackFields;

/// The capture server as the runner uses it: program answers, read what
/// arrived. A trait so the runner can be tested without sockets.
pub trait Capture: Send + Sync {
    /// Sets the answer for one absolute path.
    fn program(&self, path: &str, answer: &AnswerSpec);
    /// The requests that arrived under `prefix`, paths made relative to it.
    fn observed(&self, prefix: &str) -> Vec<ObservedCallback>;
}

/// What an endpoint received, for judging what an SDK put on the wire. The
/// embedded emulator has one (its journal); a remote endpoint does not.
pub trait WireLog: Send + Sync {
    /// The requests for one object received at or after `since`, oldest first.
    fn records_for(&self, bucket: &str, key: &str, since: SystemTime) -> Vec<RequestRecord>;
    /// The base domain the endpoint routes virtual-hosted requests by.
    fn base_domain(&self) -> &str;
}

/// One lock per object key, so that only one scenario at a time touches an
/// object and its journal records belong to that scenario alone.
#[derive(Debug, Default)]
pub struct KeyLocks {
    locks: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl KeyLocks {
    /// Waits for exclusive use of `bucket/key`.
    pub async fn lock(&self, bucket: &str, key: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self
                .locks
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            locks.entry(format!("{bucket}/{key}")).or_default().clone()
        };
        lock.lock_owned().await
    }
}

/// Where a scenario's callback URLs point.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// `http://host:port` of the capture server as the target reaches it.
    pub capture_http: String,
    /// `https://cb.example.test:port`, when HTTPS capture is available.
    pub capture_https: Option<String>,
    /// `http://127.0.0.1:port` of a port nothing listens on.
    pub refused: String,
}

/// What one scenario runs with.
pub struct ScenarioContext<'a> {
    /// The driver that performs the upload.
    pub driver: &'a dyn Driver,
    /// The native client the harness reads the object back with.
    pub client: &'a OssClient,
    /// The bucket.
    pub bucket: &'a str,
    /// The capture server.
    pub capture: &'a dyn Capture,
    /// URL bases.
    pub endpoints: &'a Endpoints,
    /// This scenario's capture path prefix, e.g. `/s/17`.
    pub prefix: String,
    /// The endpoint's journal, when it has one.
    pub wire: Option<&'a dyn WireLog>,
    /// Per-object locks, used when the wire is judged.
    pub key_locks: &'a KeyLocks,
}

fn resolve_url(url: &CallbackTarget, ctx: &ScenarioContext<'_>) -> String {
    let prefixed = |base: &str, path: &str| format!("{base}{}{path}", ctx.prefix);
    match url {
        CallbackTarget::Capture(path) => prefixed(&ctx.endpoints.capture_http, path),
        CallbackTarget::CaptureTls(path) => prefixed(
            ctx.endpoints
                .capture_https
                .as_deref()
                .unwrap_or("https://capture-https-unavailable.invalid"),
            path,
        ),
        CallbackTarget::Refused(path) => prefixed(&ctx.endpoints.refused, path),
        CallbackTarget::Literal(url) => url.clone(),
    }
}

/// The `callback` parameter value, or `None` when the scenario has none.
pub fn callback_param(loaded: &LoadedScenario, ctx: &ScenarioContext<'_>) -> Option<String> {
    encoded_callback(loaded.scenario.callback.as_ref()?, ctx)
}

/// A callback as its Base64 parameter value.
pub fn encoded_callback(cb: &Callback, ctx: &ScenarioContext<'_>) -> Option<String> {
    if let Some(raw) = &cb.raw {
        return Some(raw.clone());
    }
    if let Some(json) = &cb.json {
        let base = format!("{}{}", ctx.endpoints.capture_http, ctx.prefix);
        return Some(STANDARD.encode(json.replace("{capture}", &base)));
    }
    Some(fields_of(cb, ctx).to_base64())
}

/// The callback as fields, when the scenario gives it that way (not as raw
/// or hand-written JSON text).
pub fn callback_fields(
    loaded: &LoadedScenario,
    ctx: &ScenarioContext<'_>,
) -> Option<CallbackFields> {
    let cb = loaded.scenario.callback.as_ref()?;
    if cb.raw.is_some() || cb.json.is_some() {
        return None;
    }
    Some(fields_of(cb, ctx))
}

/// A callback given as fields (not raw or hand-written JSON).
fn fields_of(cb: &Callback, ctx: &ScenarioContext<'_>) -> CallbackFields {
    let mut urls: Vec<String> = cb.urls.iter().map(|u| resolve_url(u, ctx)).collect();
    if cb.trailing_semicolon {
        urls.push(String::new());
    }
    CallbackFields {
        url: urls.join(";"),
        host: cb.host.clone(),
        body: cb.body.clone(),
        body_type: cb.body_type.as_deref().map(|t| {
            match t {
                "form" => "application/x-www-form-urlencoded",
                "json" => "application/json",
                other => other,
            }
            .to_owned()
        }),
        sni: cb.sni,
        extra: cb
            .extra
            .iter()
            .map(|(name, value)| {
                (
                    name.clone(),
                    serde_json::to_value(value).unwrap_or(Value::Null),
                )
            })
            .collect(),
    }
}

/// The custom variables as `(x:name, value)`, when given that way.
fn vars_fields(loaded: &LoadedScenario) -> Option<Vec<(String, String)>> {
    let vars = loaded.scenario.vars.as_ref()?;
    (vars.raw.is_none() && vars.json.is_none()).then(|| vars.values.clone())
}

/// The `callback-var` parameter value, if any.
fn vars_param(loaded: &LoadedScenario) -> Option<String> {
    encoded_vars(loaded.scenario.vars.as_ref()?)
}

/// Variables as their Base64 parameter value.
pub fn encoded_vars(vars: &Vars) -> Option<String> {
    if let Some(raw) = &vars.raw {
        return Some(raw.clone());
    }
    if let Some(json) = &vars.json {
        return Some(STANDARD.encode(json));
    }
    let map: Map<String, Value> = vars
        .values
        .iter()
        .map(|(n, v)| (n.clone(), Value::from(v.clone())))
        .collect();
    Some(STANDARD.encode(Value::Object(map).to_string()))
}

/// Runs the scenario's upload and gathers everything it produced.
pub async fn execute(loaded: &LoadedScenario, ctx: &ScenarioContext<'_>) -> Observation {
    let scenario = &loaded.scenario;
    for answer in &scenario.answer {
        ctx.capture
            .program(&format!("{}{}", ctx.prefix, answer.path), answer);
    }
    let plan = UploadPlan {
        scenario: loaded,
        bucket: ctx.bucket,
        callback: callback_param(loaded, ctx),
        vars: vars_param(loaded),
        callback_fields: callback_fields(loaded, ctx),
        vars_fields: vars_fields(loaded),
    };
    let key = scenario.upload.key.as_str();
    // An SDK's requests are told apart in the journal by their object, so
    // no other scenario may touch the object meanwhile.
    let wire = ctx.wire.filter(|_| ctx.driver.is_sdk());
    let _object_lock = match wire {
        Some(_) => Some(ctx.key_locks.lock(ctx.bucket, key).await),
        None => None,
    };
    if let Some(why) = sdk_cannot_run(loaded, ctx) {
        return Observation {
            unsupported: Some(why),
            ..Observation::default()
        };
    }
    // A stored policy is bucket-wide: one policy scenario at a time.
    let _policy_lock = match &scenario.callback_policy {
        Some(_) => Some(
            ctx.key_locks
                .lock(ctx.bucket, "?policy&comp=callback")
                .await,
        ),
        None => None,
    };
    // CORS rules are bucket-wide too.
    let _cors_lock = match &scenario.bucket_cors {
        Some(_) => Some(ctx.key_locks.lock(ctx.bucket, "?cors").await),
        None => None,
    };
    let mut setup_mismatches = Vec::new();
    if let Some(setup) = &scenario.callback_policy {
        super::bucket_setup::store_policy(setup, ctx, &mut setup_mismatches).await;
    }
    if let Some(setup) = &scenario.bucket_cors {
        super::bucket_setup::store_cors(setup, ctx, &mut setup_mismatches).await;
    }
    let since = SystemTime::now();
    let outcome = ctx.driver.perform(&plan).await;
    if scenario.callback_policy.is_some() {
        super::bucket_setup::check_and_delete_policy(ctx, &mut setup_mismatches).await;
    }
    if scenario.bucket_cors.is_some() {
        super::bucket_setup::delete_cors(ctx, &mut setup_mismatches).await;
    }
    let header_auth = match scenario.upload.auth {
        AuthVersion::V1 => Auth::V1Header,
        AuthVersion::V4 => Auth::V4Header,
    };
    let mut observation = Observation {
        sdk_mismatches: setup_mismatches,
        ..Observation::default()
    };
    match outcome {
        DriverOutcome::Answer(answer) => observation.answer = Some(answer),
        DriverOutcome::Surfaced(surfaced) => {
            judge_sdk(&mut observation, &plan, wire, since, *surfaced);
        }
        DriverOutcome::Failed { cause, message } => {
            observation.transport_error = Some(message);
            observation.transport_cause = cause;
        }
        DriverOutcome::Unsupported(why) => {
            observation.unsupported = Some(why);
            return observation;
        }
    }

    // Callbacks are synchronous, so they have arrived by now; the short wait
    // only guards against a target that answers before it calls back.
    let expected = scenario.expect.callback.len();
    let deadline = Instant::now() + Duration::from_millis(if expected == 0 { 50 } else { 2000 });
    loop {
        observation.callbacks = ctx.capture.observed(&ctx.prefix);
        if observation.callbacks.len() >= expected.max(1) || Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    if scenario.expect.object.is_some() {
        if let Ok(answer) = ctx
            .client
            .send(OssCall::new("GET", ctx.bucket, Some(key)).auth(header_auth))
            .await
        {
            observation.object = Some(observed(answer));
        }
    }
    observation
}

/// Why an SDK adapter is not given a scenario, decided before any bucket
/// set-up: it would change what every other upload of the run sees.
fn sdk_cannot_run(loaded: &LoadedScenario, ctx: &ScenarioContext<'_>) -> Option<String> {
    if !ctx.driver.is_sdk() {
        return None;
    }
    let scenario = &loaded.scenario;
    if scenario.bucket_cors.is_some() {
        // During an SDK run the bucket keeps the CORS rule the Browser.js
        // adapter needs; replacing it would break that adapter's uploads.
        return Some("the scenario replaces the bucket's CORS rules, which an SDK run keeps for the browser adapter; the native run judges them".into());
    }
    if scenario.upload.credentials == CredentialChoice::Temporary {
        // Adapters sign as their SDK's users do (Browser.js always with
        // `sts`); the protocol has no way to ask for STS per upload.
        return Some("the scenario signs with a temporary credential; SDK adapters sign as their SDK's users do, not per scenario".into());
    }
    None
}

/// Fills in an SDK's observation: the endpoint's real answer from the
/// journal (so the scenario judges the endpoint), and the SDK's own
/// mismatches (what it sent, how it surfaced the answer). Without a journal
/// the answer is what the SDK surfaced.
fn judge_sdk(
    observation: &mut Observation,
    plan: &UploadPlan<'_>,
    wire: Option<&dyn WireLog>,
    since: SystemTime,
    surfaced: SurfacedAnswer,
) {
    let upload = &plan.scenario.scenario.upload;
    let Some(wire) = wire else {
        observation.answer = Some(surfaced.as_observed());
        observation.surfaced = Some(surfaced);
        return;
    };
    let records = wire.records_for(plan.bucket, &upload.key, since);
    let intended = Intended {
        operation: upload.operation,
        carrier: upload.effective_carrier(),
        callback: plan.callback_fields.as_ref(),
        callback_encoded: plan.callback.as_deref(),
        vars: plan.vars_fields.as_deref(),
        vars_encoded: plan.vars.as_deref(),
    };
    let completing = completing_request(upload.operation, &records, wire.base_domain());
    // When an earlier step failed (a refused InitiateMultipartUpload), that
    // step's answer is what the SDK had to surface.
    let answered = completing.or(records.last());
    match answered {
        Some(record) => {
            let answer = answer_of(record);
            if completing.is_some() {
                observation.sdk_mismatches.extend(judge_sent(
                    &intended,
                    &records,
                    wire.base_domain(),
                ));
            }
            // A presigned PUT is sent by the adapter's plain HTTP client, not
            // by the SDK, so how it was surfaced says nothing about the SDK.
            if !matches!(
                upload.operation,
                Operation::PresignV1 | Operation::PresignV4
            ) {
                observation.sdk_mismatches.extend(judge_surfaced(
                    &answer,
                    plan.callback.is_some() && completing.is_some(),
                    &surfaced,
                ));
            }
            observation.answer = Some(answer);
        }
        None => {
            // Nothing reached the endpoint for this object: the SDK addressed
            // some other key (or none), so the scenario's own checks fail and
            // there is no wire to judge.
            observation.sdk_mismatches.push(Mismatch {
                what: "sent.request".into(),
                expected: format!("requests for the object {:?}", upload.key),
                observed: "none reached the endpoint (did the SDK address another key?)".into(),
                requirement: None,
                level: None,
                unknowable: None,
            });
            observation.answer = Some(surfaced.as_observed());
        }
    }
    observation.surfaced = Some(surfaced);
}
