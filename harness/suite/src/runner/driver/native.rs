//! The native driver: cbspec's own client performs every upload type,
//! carrier and auth scheme in process.

use std::future::Future;
use std::pin::Pin;
use std::time::SystemTime;

use bytes::Bytes;
use serde_json::Value;

use crate::runner::observation::ObservedAnswer;
use crate::scenario::{AuthVersion, CarrierChoice, CredentialChoice, LoadedScenario, Operation};
use cbspec_client::{Auth, CallError, OssAnswer, OssCall, OssClient};
use cbspec_emulator::TemporaryCredential;
use cbspec_protocol::auth::post_policy::{encode_policy, sign_v1, sign_v4};
use cbspec_protocol::auth::Credentials;
use cbspec_protocol::carrier::{
    CALLBACK_HEADER, CALLBACK_PARAM, CALLBACK_VAR_HEADER, CALLBACK_VAR_PARAM,
};

use super::{Driver, DriverOutcome, UploadPlan};

/// The native client, in process: every operation, carrier and auth scheme.
#[derive(Debug, Clone)]
pub struct NativeDriver {
    client: OssClient,
    temporary: Option<TemporaryCredential>,
}

impl NativeDriver {
    /// A driver over a client, with the target's temporary credential for
    /// the scenarios that sign with one.
    pub fn new(client: OssClient, temporary: Option<TemporaryCredential>) -> Self {
        Self { client, temporary }
    }
}

/// What the native upload functions need.
struct NativeCall<'a> {
    client: &'a OssClient,
    bucket: &'a str,
    /// The SecurityToken every request carries when signed with a
    /// temporary credential.
    token: Option<&'a str>,
}

/// Adds the SecurityToken where OSS reads it for the call's signature
/// scheme; signed with the rest of the request.
// spec: CB-EMU-STS
fn with_token(call: OssCall, token: Option<&str>) -> OssCall {
    let Some(token) = token else {
        return call;
    };
    match call.auth {
        Auth::V1Presigned => call.query("security-token", Some(token)),
        Auth::V4Presigned => call.query("x-oss-security-token", Some(token)),
        _ => call.header("x-oss-security-token", token),
    }
}

impl Driver for NativeDriver {
    fn name(&self) -> &str {
        "native"
    }

    fn perform<'a>(
        &'a self,
        plan: &'a UploadPlan<'a>,
    ) -> Pin<Box<dyn Future<Output = DriverOutcome> + Send + 'a>> {
        Box::pin(async move {
            let loaded = plan.scenario;
            let upload = &loaded.scenario.upload;
            let (mut credentials, token) =
                match (upload.credentials, &self.temporary) {
                    (CredentialChoice::LongTerm, _) => (self.client.credentials().clone(), None),
                    (CredentialChoice::Temporary, Some(t)) => (
                        Credentials::new(t.access_key_id.clone(), t.access_key_secret.clone()),
                        Some(t.security_token.as_str()),
                    ),
                    (CredentialChoice::Temporary, None) => return DriverOutcome::Unsupported(
                        "the scenario signs with a temporary credential and the target has none"
                            .into(),
                    ),
                };
            // A wrong secret is the native driver's way of sending a bad signature.
            if upload.wrong_secret {
                credentials.access_key_secret.push_str("-wrong");
            }
            let client = &self.client.with_credentials(credentials);
            let ctx = NativeCall {
                client,
                bucket: plan.bucket,
                token,
            };
            let callback = plan.callback.as_deref();
            let vars = plan.vars.as_deref();
            let key = upload.key.as_str();
            let content = Bytes::from(loaded.content.clone());
            let header_auth = match upload.auth {
                AuthVersion::V1 => Auth::V1Header,
                AuthVersion::V4 => Auth::V4Header,
            };
            let result = match upload.operation {
                Operation::Put | Operation::PresignV1 | Operation::PresignV4 => {
                    let auth = match upload.operation {
                        Operation::PresignV1 => Auth::V1Presigned,
                        Operation::PresignV4 => Auth::V4Presigned,
                        _ => header_auth,
                    };
                    let mut call =
                        OssCall::new("PUT", plan.bucket, Some(key)).body(content.clone());
                    if let Some(ct) = &upload.content_type {
                        call = call.header("Content-Type", ct.clone());
                    }
                    for (name, value) in &upload.headers {
                        call = call.header(name, value.clone());
                    }
                    let call =
                        with_carrier(call, upload.effective_carrier(), callback, vars).auth(auth);
                    client
                        .send(with_token(call, token))
                        .await
                        .map_err(NativeError::from)
                }
                Operation::Post => post(loaded, &ctx, callback, content).await,
                Operation::Multipart => multipart(loaded, &ctx, callback, vars, header_auth).await,
            };
            match result {
                Ok(answer) => DriverOutcome::Answer(observed(answer)),
                Err(e) => DriverOutcome::Failed {
                    cause: match &e {
                        NativeError::Call(call) => Some(call.cause),
                        _ => None,
                    },
                    message: e.to_string(),
                },
            }
        })
    }
}

pub(crate) fn observed(answer: OssAnswer) -> ObservedAnswer {
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
            call = call.header(CALLBACK_HEADER, cb);
        }
        if query {
            call = call.query(CALLBACK_PARAM, Some(cb));
        }
    }
    if let Some(v) = vars {
        if header {
            call = call.header(CALLBACK_VAR_HEADER, v);
        }
        if query {
            call = call.query(CALLBACK_VAR_PARAM, Some(v));
        }
    }
    call
}

/// Why the native client could not make an upload.
#[derive(Debug, thiserror::Error)]
pub enum NativeError {
    /// The request did not get an answer.
    #[error(transparent)]
    Call(#[from] CallError),
    /// The scenario's extra POST policy conditions are not JSON.
    #[error("upload.policy_conditions is not a JSON array: {0}")]
    PolicyConditions(serde_json::Error),
    /// InitiateMultipartUpload succeeded without an UploadId.
    #[error("InitiateMultipartUpload answered no UploadId: {0}")]
    NoUploadId(String),
}

async fn post(
    loaded: &LoadedScenario,
    ctx: &NativeCall<'_>,
    callback: Option<&str>,
    content: Bytes,
) -> Result<OssAnswer, NativeError> {
    let upload = &loaded.scenario.upload;
    let mut conditions = vec![
        serde_json::json!({ "bucket": ctx.bucket }),
        serde_json::json!(["content-length-range", 0, 1_073_741_824u64]),
    ];
    if let Some(extra) = &upload.policy_conditions {
        let text = extra.replace("{callback}", callback.unwrap_or_default());
        match serde_json::from_str::<Vec<Value>>(&text) {
            Ok(extra) => conditions.extend(extra),
            Err(e) => return Err(NativeError::PolicyConditions(e)),
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
    if let Some(token) = ctx.token {
        fields.push(("x-oss-security-token".to_owned(), token.to_owned()));
    }
    if let Some(cb) = callback {
        fields.push((CALLBACK_PARAM.to_owned(), cb.to_owned()));
    }
    if let Some(vars) = &loaded.scenario.vars {
        for (name, value) in &vars.values {
            fields.push((name.clone(), value.clone()));
        }
    }
    ctx.client
        .post_object(ctx.bucket, fields, "upload.bin", content)
        .await
        .map_err(NativeError::from)
}

async fn multipart(
    loaded: &LoadedScenario,
    ctx: &NativeCall<'_>,
    callback: Option<&str>,
    vars: Option<&str>,
    auth: Auth,
) -> Result<OssAnswer, NativeError> {
    let upload = &loaded.scenario.upload;
    let key = upload.key.as_str();
    let carrier = upload.effective_carrier();
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
    // The scenario's extra headers go on Initiate (metadata) and Complete
    // (the answer a browser reads), not on the parts.
    for (name, value) in &upload.headers {
        init = init.header(name, value.clone());
    }
    let answer = ctx.client.send(with_token(init, ctx.token)).await?;
    if answer.status != 200 {
        return Ok(answer);
    }
    let upload_id = answer
        .xml_element("UploadId")
        .ok_or_else(|| NativeError::NoUploadId(answer.text()))?;
    let part_size = upload.effective_part_size();
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
        let answer = ctx.client.send(with_token(call, ctx.token)).await?;
        if answer.status != 200 {
            return Ok(answer);
        }
        let etag = answer.header("etag").unwrap_or_default().to_owned();
        parts.push_str(&format!(
            "<Part><PartNumber>{number}</PartNumber><ETag>{etag}</ETag></Part>"
        ));
    }
    let mut complete = OssCall::new("POST", ctx.bucket, Some(key))
        .query("uploadId", Some(&upload_id))
        .body(format!(
            "<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>"
        ))
        .auth(auth);
    for (name, value) in &upload.headers {
        complete = complete.header(name, value.clone());
    }
    ctx.client
        .send(with_token(
            with_carrier(complete, carrier, callback, vars),
            ctx.token,
        ))
        .await
        .map_err(NativeError::from)
}
