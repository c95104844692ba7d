//! Bucket configuration a scenario needs before its upload: a bucket
//! callback policy, stored with PutBucketCallbackPolicy, read back, and
//! after the upload deleted, with every step judged against CB-POLICY-API;
//! or CORS rules, put, preflighted and deleted, judged against CB-EMU-CORS.

use super::execute::{encoded_callback, encoded_vars, ScenarioContext};
use super::observation::Mismatch;
use crate::scenario::{BucketCorsSetup, CallbackPolicySetup};
use cbspec_client::{Auth, OssAnswer, OssCall};

const POLICY_API: &str = "CB-POLICY-API";
const CORS: &str = "CB-EMU-CORS";

fn mismatch(what: &str, expected: impl Into<String>, observed: impl Into<String>) -> Mismatch {
    charged(POLICY_API, what, expected, observed)
}

fn charged(
    requirement: &str,
    what: &str,
    expected: impl Into<String>,
    observed: impl Into<String>,
) -> Mismatch {
    Mismatch {
        what: what.to_owned(),
        expected: expected.into(),
        observed: observed.into(),
        requirement: Some(requirement.to_owned()),
        level: None,
        unknowable: None,
    }
}

fn cors_call(method: &str, bucket: &str) -> OssCall {
    OssCall::new(method, bucket, None).query("cors", None)
}

/// Puts the scenario's CORS rules, then sends its preflight (unsigned, as a
/// browser does) and judges the answer.
// spec: CB-EMU-CORS
pub async fn store_cors(
    setup: &BucketCorsSetup,
    ctx: &ScenarioContext<'_>,
    mismatches: &mut Vec<Mismatch>,
) {
    let put = ctx
        .client
        .send(cors_call("PUT", ctx.bucket).body(setup.xml.clone()))
        .await;
    if !matches!(&put, Ok(a) if a.status == 200) {
        mismatches.push(charged(CORS, "PutBucketCors", "200", describe(&put)));
        return;
    }
    let Some(preflight) = &setup.preflight else {
        return;
    };
    let mut call = OssCall::new("OPTIONS", ctx.bucket, Some("cors-preflight-probe"))
        .header("Origin", preflight.origin.clone())
        .header("Access-Control-Request-Method", preflight.method.clone())
        .auth(Auth::Anonymous);
    if let Some(headers) = &preflight.headers {
        call = call.header("Access-Control-Request-Headers", headers.clone());
    }
    let answer = ctx.client.send(call).await;
    match &answer {
        Ok(a) => {
            if a.status != preflight.status {
                mismatches.push(charged(
                    CORS,
                    "preflight.status",
                    preflight.status.to_string(),
                    describe(&answer),
                ));
            }
            for (name, value) in &preflight.expect_headers {
                let seen = a.header(name).unwrap_or("(absent)");
                if seen != value {
                    mismatches.push(charged(
                        CORS,
                        &format!("preflight.header.{name}"),
                        value.clone(),
                        seen,
                    ));
                }
            }
        }
        Err(_) => mismatches.push(charged(
            CORS,
            "preflight",
            preflight.status.to_string(),
            describe(&answer),
        )),
    }
}

/// Deletes the CORS rules: DeleteBucketCors answers 204.
// spec: CB-EMU-CORS
pub async fn delete_cors(ctx: &ScenarioContext<'_>, mismatches: &mut Vec<Mismatch>) {
    let delete = ctx.client.send(cors_call("DELETE", ctx.bucket)).await;
    if !matches!(&delete, Ok(a) if a.status == 204) {
        mismatches.push(charged(CORS, "DeleteBucketCors", "204", describe(&delete)));
    }
}

fn policy_call(method: &str, bucket: &str) -> OssCall {
    OssCall::new(method, bucket, None)
        .query("policy", None)
        .query("comp", Some("callback"))
}

fn describe(answer: &Result<OssAnswer, cbspec_client::CallError>) -> String {
    match answer {
        Ok(a) => format!("{} {}", a.status, a.xml_element("Code").unwrap_or_default())
            .trim()
            .to_owned(),
        Err(e) => format!("no answer ({e})"),
    }
}

/// The `BucketCallbackPolicy` document for one policy.
pub fn policy_document(name: &str, callback: &str, callback_var: &str) -> String {
    let escape = |t: &str| quick_xml::escape::escape(t).into_owned();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BucketCallbackPolicy><PolicyItem><PolicyName>{}</PolicyName><Callback>{}</Callback><CallbackVar>{}</CallbackVar></PolicyItem></BucketCallbackPolicy>",
        escape(name),
        escape(callback),
        escape(callback_var)
    )
}

fn encoded(setup: &CallbackPolicySetup, ctx: &ScenarioContext<'_>) -> (String, String) {
    (
        encoded_callback(&setup.callback, ctx).unwrap_or_default(),
        setup
            .vars
            .as_ref()
            .and_then(encoded_vars)
            .unwrap_or_default(),
    )
}

/// Stores the policy and reads it back: PUT answers 200, GET answers 200
/// with the same name, callback and variables.
// spec: CB-POLICY-API
pub async fn store_policy(
    setup: &CallbackPolicySetup,
    ctx: &ScenarioContext<'_>,
    mismatches: &mut Vec<Mismatch>,
) {
    let (callback, vars) = encoded(setup, ctx);
    let put = ctx
        .client
        .send(policy_call("PUT", ctx.bucket).body(policy_document(&setup.name, &callback, &vars)))
        .await;
    if !matches!(&put, Ok(a) if a.status == 200) {
        mismatches.push(mismatch("PutBucketCallbackPolicy", "200", describe(&put)));
        return;
    }
    let get = ctx.client.send(policy_call("GET", ctx.bucket)).await;
    match &get {
        Ok(a) if a.status == 200 => {
            for (element, value) in [
                ("PolicyName", setup.name.as_str()),
                ("Callback", callback.as_str()),
                ("CallbackVar", vars.as_str()),
            ] {
                let seen = a.xml_element(element).unwrap_or_default();
                if seen != value {
                    mismatches.push(mismatch(
                        &format!("GetBucketCallbackPolicy <{element}>"),
                        value,
                        seen,
                    ));
                }
            }
        }
        _ => mismatches.push(mismatch("GetBucketCallbackPolicy", "200", describe(&get))),
    }
}

/// Deletes the policy and checks it is gone: DELETE answers 204, then GET
/// fails with `BucketCallbackPolicyNotExist`.
// spec: CB-POLICY-API
pub async fn check_and_delete_policy(ctx: &ScenarioContext<'_>, mismatches: &mut Vec<Mismatch>) {
    let delete = ctx.client.send(policy_call("DELETE", ctx.bucket)).await;
    if !matches!(&delete, Ok(a) if a.status == 204) {
        mismatches.push(mismatch(
            "DeleteBucketCallbackPolicy",
            "204",
            describe(&delete),
        ));
        return;
    }
    let get = ctx.client.send(policy_call("GET", ctx.bucket)).await;
    let code = match &get {
        Ok(a) => a.xml_element("Code").unwrap_or_default(),
        Err(_) => String::new(),
    };
    if code != "BucketCallbackPolicyNotExist" {
        mismatches.push(mismatch(
            "GetBucketCallbackPolicy after DeleteBucketCallbackPolicy",
            "an error with Code BucketCallbackPolicyNotExist",
            describe(&get),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_escapes_its_values() {
        assert_eq!(
            policy_document("p<1>", "ZXk=", ""),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BucketCallbackPolicy><PolicyItem><PolicyName>p&lt;1&gt;</PolicyName><Callback>ZXk=</Callback><CallbackVar></CallbackVar></PolicyItem></BucketCallbackPolicy>"
        );
    }
}
