//! Performing one scenario: building the callback parameters, uploading
//! through the driver, collecting the callbacks and reading the object back.

use std::time::{Duration, Instant, SystemTime};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;
use serde_json::{Map, Value};

use super::judge::{Observation, ObservedAnswer, ObservedCallback};
use crate::client::{Auth, OssAnswer, OssCall, OssClient};
use crate::protocol::auth::post_policy::{encode_policy, sign_v1, sign_v4};
use crate::scenario::{AnswerSpec, AuthVersion, CarrierChoice, LoadedScenario, Operation};

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
    /// The driver.
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

fn observed(answer: OssAnswer) -> ObservedAnswer {
    ObservedAnswer {
        status: answer.status,
        headers: answer.headers,
        body: answer.body.to_vec(),
    }
}

/// Adds the callback parameters to a PUT-like call through the chosen carrier.
fn with_carrier(
    mut call: OssCall,
    carrier: CarrierChoice,
    callback: Option<&str>,
    vars: Option<&str>,
) -> OssCall {
    let header = matches!(
        carrier,
        CarrierChoice::Header | CarrierChoice::HeaderAndQuery
    );
    let query = matches!(
        carrier,
        CarrierChoice::Query | CarrierChoice::HeaderAndQuery
    );
    if let Some(cb) = callback {
        if header {
            call = call.header("x-oss-callback", cb);
        }
        if query {
            call = call.query("callback", Some(cb));
        }
    }
    if let Some(v) = vars {
        if header {
            call = call.header("x-oss-callback-var", v);
        }
        if query {
            call = call.query("callback-var", Some(v));
        }
    }
    call
}

/// Runs the scenario's upload and gathers everything it produced.
pub async fn execute(loaded: &LoadedScenario, ctx: &ScenarioContext<'_>) -> Observation {
    let scenario = &loaded.scenario;
    let wrong_client;
    let wrong;
    let ctx = if scenario.upload.wrong_secret {
        let mut credentials = ctx.client.credentials().clone();
        credentials.access_key_secret.push_str("-wrong");
        wrong_client = ctx.client.with_credentials(credentials);
        wrong = ScenarioContext {
            client: &wrong_client,
            bucket: ctx.bucket,
            capture: ctx.capture,
            endpoints: ctx.endpoints,
            prefix: ctx.prefix.clone(),
        };
        &wrong
    } else {
        ctx
    };
    for answer in &scenario.answer {
        ctx.capture
            .program(&format!("{}{}", ctx.prefix, answer.path), answer);
    }
    let callback = callback_param(loaded, ctx);
    let vars = vars_param(loaded);
    let upload = &scenario.upload;
    let key = upload.key.as_str();
    let content = Bytes::from(loaded.content.clone());
    let header_auth = match upload.auth {
        AuthVersion::V1 => Auth::V1Header,
        AuthVersion::V4 => Auth::V4Header,
    };
    let base_put = || {
        let mut call = OssCall::new("PUT", ctx.bucket, Some(key)).body(content.clone());
        if let Some(ct) = &upload.content_type {
            call = call.header("Content-Type", ct.clone());
        }
        for (name, value) in &upload.headers {
            call = call.header(name, value.clone());
        }
        call
    };

    let result = match upload.operation {
        Operation::Put | Operation::PresignV1 | Operation::PresignV4 => {
            let (auth, default_carrier) = match upload.operation {
                Operation::PresignV1 => (Auth::V1Presigned, CarrierChoice::Query),
                Operation::PresignV4 => (Auth::V4Presigned, CarrierChoice::Query),
                _ => (header_auth, CarrierChoice::Header),
            };
            let carrier = upload.carrier.unwrap_or(default_carrier);
            let call =
                with_carrier(base_put(), carrier, callback.as_deref(), vars.as_deref()).auth(auth);
            ctx.client.send(call).await.map_err(|e| e.to_string())
        }
        Operation::Post => post(loaded, ctx, callback.as_deref(), content.clone()).await,
        Operation::Multipart => {
            multipart(
                loaded,
                ctx,
                callback.as_deref(),
                vars.as_deref(),
                header_auth,
            )
            .await
        }
    };

    let mut observation = Observation::default();
    match result {
        Ok(answer) => observation.answer = Some(observed(answer)),
        Err(e) => observation.transport_error = Some(e),
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

async fn post(
    loaded: &LoadedScenario,
    ctx: &ScenarioContext<'_>,
    callback: Option<&str>,
    content: Bytes,
) -> Result<OssAnswer, String> {
    let upload = &loaded.scenario.upload;
    let mut conditions = vec![
        serde_json::json!({ "bucket": ctx.bucket }),
        serde_json::json!(["content-length-range", 0, 1_073_741_824u64]),
    ];
    if let Some(extra) = &upload.policy_conditions {
        let text = extra.replace("{callback}", callback.unwrap_or_default());
        match serde_json::from_str::<Vec<Value>>(&text) {
            Ok(extra) => conditions.extend(extra),
            Err(e) => return Err(format!("upload.policy_conditions is not a JSON array: {e}")),
        }
    }
    let policy = encode_policy(
        &serde_json::json!({ "expiration": "2099-01-01T00:00:00.000Z", "conditions": conditions })
            .to_string(),
    );
    let mut fields = vec![("key".to_owned(), upload.key.clone())];
    if let Some(ct) = &upload.content_type {
        fields.push(("Content-Type".to_owned(), ct.clone()));
    }
    fields.extend(match upload.auth {
        AuthVersion::V1 => sign_v1(ctx.client.credentials(), &policy),
        AuthVersion::V4 => sign_v4(
            ctx.client.credentials(),
            ctx.client.region(),
            SystemTime::now(),
            &policy,
        ),
    });
    for (name, value) in &upload.fields {
        fields.push((name.clone(), value.clone()));
    }
    if let Some(cb) = callback {
        fields.push(("callback".to_owned(), cb.to_owned()));
    }
    if let Some(vars) = &loaded.scenario.vars {
        for (name, value) in &vars.values {
            fields.push((name.clone(), value.clone()));
        }
    }
    ctx.client
        .post_object(ctx.bucket, fields, "upload.bin", content)
        .await
        .map_err(|e| e.to_string())
}

async fn multipart(
    loaded: &LoadedScenario,
    ctx: &ScenarioContext<'_>,
    callback: Option<&str>,
    vars: Option<&str>,
    auth: Auth,
) -> Result<OssAnswer, String> {
    let upload = &loaded.scenario.upload;
    let key = upload.key.as_str();
    let carrier = upload.carrier.unwrap_or(CarrierChoice::Header);
    let everywhere = |call: OssCall| {
        if upload.callback_on_every_request {
            with_carrier(call, carrier, callback, vars)
        } else {
            call
        }
    };
    let mut init = everywhere(
        OssCall::new("POST", ctx.bucket, Some(key))
            .query("uploads", None)
            .auth(auth),
    );
    if let Some(ct) = &upload.content_type {
        init = init.header("Content-Type", ct.clone());
    }
    let answer = ctx.client.send(init).await.map_err(|e| e.to_string())?;
    if answer.status != 200 {
        return Ok(answer);
    }
    let text = answer.text();
    let upload_id = text
        .split("<UploadId>")
        .nth(1)
        .and_then(|rest| rest.split("</UploadId>").next())
        .ok_or_else(|| format!("InitiateMultipartUpload answered no UploadId: {text}"))?
        .to_owned();
    let part_size = upload.part_size.unwrap_or(102_400).max(1);
    let mut parts = String::new();
    for (index, chunk) in loaded.content.chunks(part_size).enumerate() {
        let number = (index + 1).to_string();
        let call = everywhere(
            OssCall::new("PUT", ctx.bucket, Some(key))
                .query("partNumber", Some(&number))
                .query("uploadId", Some(&upload_id))
                .body(chunk.to_vec())
                .auth(auth),
        );
        let answer = ctx.client.send(call).await.map_err(|e| e.to_string())?;
        if answer.status != 200 {
            return Ok(answer);
        }
        let etag = answer.header("etag").unwrap_or_default().to_owned();
        parts.push_str(&format!(
            "<Part><PartNumber>{number}</PartNumber><ETag>{etag}</ETag></Part>"
        ));
    }
    let complete = OssCall::new("POST", ctx.bucket, Some(key))
        .query("uploadId", Some(&upload_id))
        .body(format!(
            "<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>"
        ))
        .auth(auth);
    ctx.client
        .send(with_carrier(complete, carrier, callback, vars))
        .await
        .map_err(|e| e.to_string())
}
