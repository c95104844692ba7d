//! Bucket callback policies (`?policy&comp=callback`): named callback
//! configurations stored with the bucket, which an upload uses by sending
//! `{"callbackPolicy":"<name>"}` as its callback.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::response::{OssError, OssResponse};
use super::service::{OssRequest, Service};
use super::store::CallbackPolicy;
use super::xml::{self, malformed_xml, parse_document};
use cbspec_protocol::carrier::{RawCallbackParams, RawVariables};
use cbspec_protocol::config::CallbackConfig;
use cbspec_protocol::custom_vars::CustomVariables;

/// The most policies one bucket keeps (a choice: the sources give none).
pub const MAX_POLICIES: usize = 5;

#[derive(Debug, Serialize, Deserialize)]
struct PolicyDocument {
    #[serde(rename = "PolicyItem", default)]
    items: Vec<PolicyItem>,
}

#[derive(Debug, Serialize, Deserialize)]
struct PolicyItem {
    #[serde(rename = "PolicyName")]
    name: String,
    #[serde(rename = "Callback")]
    callback: String,
    #[serde(rename = "CallbackVar", default)]
    callback_var: String,
}

/// 404 BucketCallbackPolicyNotExist.
// spec: CB-POLICY-API
pub fn policy_not_exist() -> OssError {
    OssError::new(
        404,
        "BucketCallbackPolicyNotExist",
        "The bucket callback policy does not exist.",
    )
}

/// PutBucketCallbackPolicy: replaces the bucket's policies. Each policy's
/// callback is validated as an upload's would be, so a stored policy never
/// fails later for a reason the PUT could have said.
// spec: CB-POLICY-API
pub async fn put_policies(
    service: &Service,
    request: &OssRequest,
    bucket: &str,
) -> Result<OssResponse, OssError> {
    let doc: PolicyDocument = parse_document(&request.body, "BucketCallbackPolicy")?;
    if doc.items.is_empty() {
        return Err(malformed_xml());
    }
    if doc.items.len() > MAX_POLICIES {
        return Err(OssError::invalid_argument(format!(
            "A bucket may have at most {MAX_POLICIES} callback policies; {} were given.",
            doc.items.len()
        )));
    }
    let mut policies: Vec<CallbackPolicy> = Vec::new();
    for item in doc.items {
        let name = item.name.trim().to_owned();
        if name.is_empty() || policies.iter().any(|p| p.name == name) {
            return Err(OssError::invalid_argument(format!(
                "PolicyName {name:?} is empty or given twice."
            )));
        }
        CallbackConfig::decode_base64(item.callback.trim(), service.decode_options())?;
        if !item.callback_var.trim().is_empty() {
            CustomVariables::from_base64(item.callback_var.trim())?;
        }
        policies.push(CallbackPolicy {
            name,
            callback: item.callback.trim().to_owned(),
            callback_var: item.callback_var.trim().to_owned(),
        });
    }
    service
        .modify_bucket_config(bucket, move |config| {
            config.callback_policies = policies;
            Ok(())
        })
        .await?;
    Ok(OssResponse::empty(200))
}

/// GetBucketCallbackPolicy.
// spec: CB-POLICY-API
pub fn get_policies(service: &Service, bucket: &str) -> Result<OssResponse, OssError> {
    let policies = service.store.bucket_config(bucket)?.callback_policies;
    if policies.is_empty() {
        return Err(policy_not_exist());
    }
    let doc = PolicyDocument {
        items: policies
            .into_iter()
            .map(|p| PolicyItem {
                name: p.name,
                callback: p.callback,
                callback_var: p.callback_var,
            })
            .collect(),
    };
    Ok(OssResponse::xml(
        200,
        xml::to_xml("BucketCallbackPolicy", &doc),
    ))
}

/// DeleteBucketCallbackPolicy.
// spec: CB-POLICY-API
pub async fn delete_policies(service: &Service, bucket: &str) -> Result<OssResponse, OssError> {
    service
        .modify_bucket_config(bucket, |config| {
            config.callback_policies.clear();
            Ok(())
        })
        .await?;
    Ok(OssResponse::empty(204))
}

/// The policy name a callback refers to, if its JSON is an object with a
/// `callbackPolicy` string. Anything else (not Base64, not JSON, no such
/// field) is left to the ordinary decoding and its errors.
pub fn policy_reference(callback_base64: &str) -> Option<String> {
    let bytes = STANDARD.decode(callback_base64.trim()).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get("callbackPolicy")?.as_str().map(str::to_owned)
}

/// Replaces a callback that names a bucket policy with that policy's
/// callback. The policy's variables apply unless the request sends its
/// own (chosen: the request is the more specific). A name the bucket does
/// not have is refused before anything is stored.
// spec: CB-POLICY-REFERENCE, CB-POLICY-BUCKET
pub fn resolve(
    service: &Service,
    bucket: &str,
    raw: RawCallbackParams,
) -> Result<RawCallbackParams, OssError> {
    let Some(name) = policy_reference(&raw.callback) else {
        return Ok(raw);
    };
    let policies = service.store.bucket_config(bucket)?.callback_policies;
    let Some(policy) = policies.into_iter().find(|p| p.name == name) else {
        // The decoder's PolicyNotFound rejection: callbackPolicy names
        // nothing this bucket has.
        return Ok(raw);
    };
    let vars = match raw.vars {
        RawVariables::None if !policy.callback_var.is_empty() => {
            RawVariables::Encoded(policy.callback_var)
        }
        vars => vars,
    };
    Ok(RawCallbackParams {
        carrier: raw.carrier,
        callback: policy.callback,
        vars,
    })
}
