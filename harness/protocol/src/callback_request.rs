//! The HTTP request OSS sends to a callback URL: method, target, headers and
//! body, built without performing any I/O.

use std::time::SystemTime;

use super::callback_url::CallbackUrl;
use super::checksum::content_md5;
use super::config::ValidatedCallback;
use super::signature::{encode_key_url, CallbackSigner};

/// The User-Agent of callback requests.
// spec: CB-HDR-USER-AGENT
pub const CALLBACK_USER_AGENT: &str = "aliyun-oss-callback";

/// Who and what the callback is about, beyond the template.
#[derive(Debug, Clone)]
pub struct CallbackContext<'a> {
    /// Bucket name (`x-oss-bucket`).
    pub bucket: &'a str,
    /// Upload request id (`x-oss-request-id`).
    pub request_id: &'a str,
    /// Requester's account id (`x-oss-requester`).
    pub requester: &'a str,
    /// Bucket owner's account id (`x-oss-owner`).
    pub owner: &'a str,
    /// When the request is sent (`Date`).
    pub date: SystemTime,
    /// The public key URL put in `x-oss-pub-key-url`.
    pub pub_key_url: &'a str,
}

/// A callback request ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackHttpRequest {
    /// Where to connect and what to ask for.
    pub url: CallbackUrl,
    /// Headers, in the order OSS sends them.
    pub headers: Vec<(String, String)>,
    /// The expanded body.
    pub body: Vec<u8>,
}

/// Builds the signed POST for one URL of the list.
// spec: CB-REQ-METHOD, CB-HDR-HOST, CB-HDR-CONTENT-LENGTH, CB-HDR-CONTENT-TYPE, CB-HDR-CONTENT-MD5, CB-HDR-DATE, CB-HDR-USER-AGENT, CB-HDR-AUTHORIZATION, CB-HDR-PUB-KEY-URL, CB-HDR-BUCKET, CB-HDR-REQUEST-ID, CB-HDR-REQUESTER, CB-HDR-OWNER, CB-HDR-SIGNATURE-VERSION, CB-HDR-TAG, CB-REQ-HTTP-VERSION
pub fn build_callback_request(
    callback: &ValidatedCallback,
    url: &CallbackUrl,
    body: &[u8],
    signer: &CallbackSigner,
    context: &CallbackContext<'_>,
) -> CallbackHttpRequest {
    let headers = vec![
        ("Host".to_owned(), callback.host_header(url)),
        ("Content-Length".to_owned(), body.len().to_string()),
        (
            "Content-Type".to_owned(),
            callback.body_type().content_type().to_owned(),
        ),
        ("Content-MD5".to_owned(), content_md5(body)),
        ("Date".to_owned(), httpdate::fmt_http_date(context.date)),
        ("User-Agent".to_owned(), CALLBACK_USER_AGENT.to_owned()),
        ("Authorization".to_owned(), signer.sign(&url.target, body)),
        (
            "x-oss-pub-key-url".to_owned(),
            encode_key_url(context.pub_key_url),
        ),
        ("x-oss-bucket".to_owned(), context.bucket.to_owned()),
        ("x-oss-request-id".to_owned(), context.request_id.to_owned()),
        ("x-oss-requester".to_owned(), context.requester.to_owned()),
        ("x-oss-owner".to_owned(), context.owner.to_owned()),
        ("x-oss-signature-version".to_owned(), "1.0".to_owned()),
        ("x-oss-tag".to_owned(), "CALLBACK".to_owned()),
        ("Connection".to_owned(), "close".to_owned()),
    ];
    CallbackHttpRequest {
        url: url.clone(),
        headers,
        body: body.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CallbackConfig, DecodeOptions};
    use crate::signature::decode_key_url;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn headers_follow_the_captured_request() {
        let cb = CallbackConfig::decode_json(
            r#"{"callbackUrl":"http://127.0.0.1:8080/cb?x=1","callbackHost":"app.example.com","callbackBody":"b=${bucket}","callbackBodyType":"application/json"}"#,
            DecodeOptions::default(),
        )
        .unwrap();
        let signer =
            CallbackSigner::from_pem(include_str!("../../keys/emulator-dev-key.pem")).unwrap();
        let context = CallbackContext {
            bucket: "examplebucket",
            request_id: "5C3D9175B6FC201293AD4890",
            requester: "1234567890",
            owner: "1234567890",
            // Sun, 02 Jun 2019 15:13:06 GMT, the date of the digest's 2019 capture.
            date: UNIX_EPOCH + Duration::from_secs(1_559_488_386),
            pub_key_url: "http://127.0.0.1:9000/cbspec/callback_pub_key.pem",
        };
        let req = build_callback_request(&cb, &cb.urls[0], b"{\"a\":1}", &signer, &context);
        let get = |name: &str| {
            req.headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("Host"), Some("app.example.com"));
        assert_eq!(get("Content-Length"), Some("7"));
        assert_eq!(get("Content-Type"), Some("application/json"));
        assert_eq!(get("Date"), Some("Sun, 02 Jun 2019 15:13:06 GMT"));
        assert_eq!(get("User-Agent"), Some("aliyun-oss-callback"));
        assert_eq!(get("x-oss-signature-version"), Some("1.0"));
        assert_eq!(get("x-oss-tag"), Some("CALLBACK"));
        assert_eq!(
            decode_key_url(get("x-oss-pub-key-url").unwrap()).unwrap(),
            "http://127.0.0.1:9000/cbspec/callback_pub_key.pem"
        );
        let auth = get("Authorization").unwrap();
        assert_eq!(
            signer.public_key().verify("/cb?x=1", b"{\"a\":1}", auth),
            Ok(())
        );
    }
}
