//! Performing one scenario: programming the capture server, building the
//! callback parameters, uploading through the driver, collecting the
//! callbacks and reading the object back with the native client.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{Map, Value};

use super::driver::{observed, Driver, DriverOutcome, UploadPlan};
use super::judge::{Observation, ObservedCallback};
use crate::client::{Auth, OssCall, OssClient};
use crate::scenario::{AnswerSpec, AuthVersion, LoadedScenario};

/// The capture server as the runner uses it: program answers, read what
/// arrived. A trait so the runner can be tested without sockets.
pub trait Capture: Send + Sync {
    /// Sets the answer for one absolute path.
    fn program(&self, path: &str, answer: &AnswerSpec);
    /// The requests that arrived under `prefix`, paths made relative to it.
    fn observed(&self, prefix: &str) -> Vec<ObservedCallback>;
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
}

fn resolve_url(url: &str, ctx: &ScenarioContext<'_>) -> String {
    let prefixed = |base: &str, path: &str| format!("{base}{}{path}", ctx.prefix);
    if let Some(path) = url.strip_prefix("capture:") {
        prefixed(&ctx.endpoints.capture_http, path)
    } else if let Some(path) = url.strip_prefix("captures:") {
        prefixed(
            ctx.endpoints
                .capture_https
                .as_deref()
                .unwrap_or("https://capture-https-unavailable.invalid"),
            path,
        )
    } else if let Some(path) = url.strip_prefix("refused:") {
        prefixed(&ctx.endpoints.refused, path)
    } else {
        url.to_owned()
    }
}

/// The `callback` parameter value, or `None` when the scenario has none.
pub fn callback_param(loaded: &LoadedScenario, ctx: &ScenarioContext<'_>) -> Option<String> {
    let cb = loaded.scenario.callback.as_ref()?;
    if let Some(raw) = &cb.raw {
        return Some(raw.clone());
    }
    if let Some(json) = &cb.json {
        let base = format!("{}{}", ctx.endpoints.capture_http, ctx.prefix);
        return Some(STANDARD.encode(json.replace("{capture}", &base)));
    }
    let mut map = Map::new();
    let mut urls: Vec<String> = cb.urls.iter().map(|u| resolve_url(u, ctx)).collect();
    if cb.trailing_semicolon {
        urls.push(String::new());
    }
    map.insert("callbackUrl".into(), Value::from(urls.join(";")));
    if let Some(host) = &cb.host {
        map.insert("callbackHost".into(), Value::from(host.clone()));
    }
    if let Some(body) = &cb.body {
        map.insert("callbackBody".into(), Value::from(body.clone()));
    }
    if let Some(body_type) = &cb.body_type {
        let value = match body_type.as_str() {
            "form" => "application/x-www-form-urlencoded",
            "json" => "application/json",
            other => other,
        };
        map.insert("callbackBodyType".into(), Value::from(value));
    }
    if let Some(sni) = cb.sni {
        map.insert("callbackSNI".into(), Value::from(sni));
    }
    for (name, value) in &cb.extra {
        map.insert(
            name.clone(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        );
    }
    Some(STANDARD.encode(Value::Object(map).to_string()))
}

/// The `callback-var` parameter value, if any.
fn vars_param(loaded: &LoadedScenario) -> Option<String> {
    let vars = loaded.scenario.vars.as_ref()?;
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
    };
    let outcome = ctx.driver.perform(&plan).await;
    let key = scenario.upload.key.as_str();
    let header_auth = match scenario.upload.auth {
        AuthVersion::V1 => Auth::V1Header,
        AuthVersion::V4 => Auth::V4Header,
    };
    let mut observation = Observation::default();
    match outcome {
        DriverOutcome::Answer(answer) => observation.answer = Some(answer),
        DriverOutcome::Failed(e) => observation.transport_error = Some(e),
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
