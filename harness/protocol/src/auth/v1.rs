//! V1 signatures: `Authorization: OSS <ak>:<sig>` and presigned URLs with
//! `OSSAccessKeyId`, `Expires`, `Signature`.
//!
//! `Signature = Base64(HMAC-SHA1(secret, StringToSign))` with
//! `StringToSign = VERB\nContent-MD5\nContent-Type\nDate\nCanonicalizedOSSHeaders + CanonicalizedResource`.

use std::time::SystemTime;

use base64::prelude::{Engine as _, BASE64_STANDARD};
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::{
    secret_or_error, signatures_equal, unix_seconds, AuthError, Credentials, SignableRequest,
    REQUEST_EXPIRED_MESSAGE,
};

/// The query parameters OSS signs as sub-resources in V1.
///
/// The union of the three official lists: Go SDK v2 `oss/signer/v1.go`
/// (`requiredSignedParametersMap`), Python SDK v2
/// `alibabacloud_oss_v2/signer/v1.py` (`_subresource_key_set`, which adds
/// `resourceGroup`) and oss2 `oss2/auth.py` (`Auth._subresource_key_set`, the
/// longest, with bucket-configuration names). Query names starting with
/// `x-oss-` are signed as well (Go SDK v2 rule; oss2 lists the `x-oss-*` names
/// it uses individually; Python v2 omits them). A server that signs fewer
/// names than a client would refuse the client, so the emulator signs every
/// name any official SDK signs.
// spec: CB-AUTH-V1-SUBRESOURCE
pub const SUB_RESOURCES: &[&str] = &[
    "accessPoint",
    "accessPointPolicy",
    "acl",
    "append",
    "asyncFetch",
    "bucketArchiveDirectRead",
    "bucketInfo",
    "callback",
    "callback-var",
    "cloudboxes",
    "cname",
    "comp",
    "continuation-token",
    "cors",
    "delete",
    "encryption",
    "endTime",
    "group",
    "httpsConfig",
    "inventory",
    "inventoryId",
    "lifecycle",
    "link",
    "live",
    "location",
    "logging",
    "metaQuery",
    "objectInfo",
    "objectMeta",
    "partNumber",
    "policy",
    "position",
    "publicAccessBlock",
    "qos",
    "qosInfo",
    "qosRequester",
    "redundancyTransition",
    "referer",
    "regionList",
    "replication",
    "replicationLocation",
    "replicationProgress",
    "requestPayment",
    "requesterQosInfo",
    "resourceGroup",
    "resourcePool",
    "resourcePoolBuckets",
    "resourcePoolInfo",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "security-token",
    "sequential",
    "startTime",
    "stat",
    "status",
    "style",
    "styleName",
    "symlink",
    "tagging",
    "transferAcceleration",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "vod",
    "website",
    "worm",
    "wormExtend",
    "wormId",
];

/// Whether V1 signs this query parameter as a sub-resource.
pub fn is_signed_sub_resource(name: &str) -> bool {
    name.starts_with("x-oss-") || SUB_RESOURCES.contains(&name)
}

/// The value that fills the date slot of a header-signed request: the
/// `x-oss-date` header when present, else `Date`.
///
/// ali-oss sends only `x-oss-date` (browsers cannot set `Date`); oss2 and the
/// Python SDK v2 read `x-oss-date` first, so a request carrying both is signed
/// with `x-oss-date`.
// spec: CB-AUTH-V1-DATE
pub fn date_slot(request: &SignableRequest) -> Option<&str> {
    request
        .header("x-oss-date")
        .filter(|value| !value.is_empty())
        .or_else(|| request.header("date"))
}

/// `/bucket/key` (or `/bucket/`, or `/`) plus the signed sub-resources, sorted
/// by name, decoded, `name=value` or bare `name` when the value is empty.
// spec: CB-AUTH-V1-SUBRESOURCE
pub fn canonical_resource(request: &SignableRequest) -> String {
    let mut resource = String::from("/");
    if let Some(bucket) = &request.bucket {
        resource.push_str(bucket);
        resource.push('/');
    }
    if let Some(key) = &request.key {
        resource.push_str(key);
    }
    let mut signed: Vec<(&str, &str)> = request
        .query
        .iter()
        .filter(|(name, _)| is_signed_sub_resource(name))
        .map(|(name, value)| (name.as_str(), value.as_deref().unwrap_or("")))
        .collect();
    signed.sort();
    for (index, (name, value)) in signed.iter().enumerate() {
        resource.push(if index == 0 { '?' } else { '&' });
        resource.push_str(name);
        if !value.is_empty() {
            resource.push('=');
            resource.push_str(value);
        }
    }
    resource
}

/// The V1 string to sign, with `date` in the date slot (the `Date` or
/// `x-oss-date` header for header auth, the `Expires` value for presigned
/// URLs).
// spec: CB-AUTH-V1-HEADER
pub fn string_to_sign(request: &SignableRequest, date: &str) -> String {
    let mut text = String::new();
    text.push_str(&request.method);
    text.push('\n');
    text.push_str(request.header("content-md5").unwrap_or(""));
    text.push('\n');
    text.push_str(request.header("content-type").unwrap_or(""));
    text.push('\n');
    text.push_str(date);
    text.push('\n');
    // The `x-oss-callback` / `x-oss-callback-var` headers are signed here.
    for (name, value) in request.canonical_headers(|name| name.starts_with("x-oss-")) {
        text.push_str(&name);
        text.push(':');
        text.push_str(&value);
        text.push('\n');
    }
    text.push_str(&canonical_resource(request));
    text
}

/// `Base64(HMAC-SHA1(secret, string_to_sign))`, the V1 signature primitive,
/// also used for V1 POST policies.
pub fn hmac_sha1_base64(secret: &str, message: &str) -> String {
    let mut mac =
        Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(message.as_bytes());
    BASE64_STANDARD.encode(mac.finalize().into_bytes())
}

/// Signs a request for header authentication and returns the
/// `Authorization` value, `OSS <ak>:<signature>`, after setting it on the
/// request.
///
/// When the request has neither `Date` nor `x-oss-date`, `Date` is set from
/// `now` first (a request without a date cannot be verified).
// spec: CB-AUTH-V1-HEADER
pub fn sign_header(
    request: &mut SignableRequest,
    credentials: &Credentials,
    now: SystemTime,
) -> String {
    if date_slot(request).is_none() {
        request.set_header("Date", httpdate::fmt_http_date(now));
    }
    let date = date_slot(request).unwrap_or_default().to_owned();
    let signature = hmac_sha1_base64(
        &credentials.access_key_secret,
        &string_to_sign(request, &date),
    );
    let authorization = format!("OSS {}:{}", credentials.access_key_id, signature);
    request.set_header("Authorization", authorization.clone());
    authorization
}

/// Splits `OSS <ak>:<signature>`.
fn parse_authorization(value: &str) -> Result<(&str, &str), AuthError> {
    value
        .strip_prefix("OSS ")
        .and_then(|credential| credential.trim().rsplit_once(':'))
        .filter(|(ak, signature)| !ak.is_empty() && !signature.is_empty())
        .ok_or_else(|| {
            AuthError::invalid_argument(
                "Authorization header is invalid: expected `OSS <AccessKeyId>:<Signature>`.",
            )
        })
}

/// Verifies a V1 `Authorization` header and returns the access key id.
///
/// The request time is not checked against a clock here (that is a
/// separate, configurable emulator policy); a missing date is refused because
/// nothing could be signed in its slot.
// spec: CB-AUTH-V1-HEADER
// spec: CB-AUTH-MISMATCH
pub fn verify_header(
    request: &SignableRequest,
    secret_for: impl Fn(&str) -> Option<String>,
) -> Result<String, AuthError> {
    let authorization = request.header("authorization").ok_or_else(|| {
        AuthError::access_denied("Anonymous access is forbidden for this operation.")
    })?;
    let (access_key_id, provided) = parse_authorization(authorization)?;
    let date = date_slot(request).ok_or_else(|| {
        // Wording is ours: OSS documents no message for a missing date.
        AuthError::access_denied("Missing Date Header: send Date or x-oss-date.")
    })?;
    check_signature(request, date, access_key_id, provided, secret_for)
}

/// The query parameters a V1 presigned URL adds: `OSSAccessKeyId`, `Expires`
/// (Unix seconds, which fills the date slot) and `Signature`. The values are
/// decoded; URL-encode them when writing the URL.
///
/// Sub-resources the URL should carry (`callback`, `callback-var`,
/// `versionId`, ...) must already be in `request.query`: they are signed.
// spec: CB-AUTH-V1-PRESIGN
pub fn presign_query(
    request: &SignableRequest,
    credentials: &Credentials,
    expires: SystemTime,
) -> Vec<(String, String)> {
    let expires = unix_seconds(expires).to_string();
    let signature = hmac_sha1_base64(
        &credentials.access_key_secret,
        &string_to_sign(request, &expires),
    );
    vec![
        (
            "OSSAccessKeyId".to_owned(),
            credentials.access_key_id.clone(),
        ),
        ("Expires".to_owned(), expires),
        ("Signature".to_owned(), signature),
    ]
}

/// Verifies a V1 presigned URL and returns the access key id; a URL whose
/// `Expires` is before `now` is refused with OSS's "Request has expired.".
// spec: CB-AUTH-V1-PRESIGN
// spec: CB-AUTH-MISMATCH
pub fn verify_presigned(
    request: &SignableRequest,
    secret_for: impl Fn(&str) -> Option<String>,
    now: SystemTime,
) -> Result<String, AuthError> {
    let missing = |name: &str| {
        AuthError::invalid_argument(format!(
            "Presigned URL is missing the {name} query parameter."
        ))
    };
    let access_key_id = request
        .query_value("OSSAccessKeyId")
        .ok_or_else(|| missing("OSSAccessKeyId"))?;
    let expires_text = request
        .query_value("Expires")
        .ok_or_else(|| missing("Expires"))?;
    let provided = request
        .query_value("Signature")
        .ok_or_else(|| missing("Signature"))?;
    let expires: u64 = expires_text.parse().map_err(|_| {
        AuthError::invalid_argument("Expires must be a number of seconds since the Unix epoch.")
    })?;
    if unix_seconds(now) > expires {
        return Err(AuthError::access_denied(REQUEST_EXPIRED_MESSAGE));
    }
    check_signature(request, expires_text, access_key_id, provided, secret_for)
}

/// Recomputes the signature over `request` with `date` in the date slot and
/// compares it with the one provided; the error carries the string to sign
/// the emulator expected, as OSS's does.
fn check_signature(
    request: &SignableRequest,
    date: &str,
    access_key_id: &str,
    provided: &str,
    secret_for: impl Fn(&str) -> Option<String>,
) -> Result<String, AuthError> {
    let secret = secret_or_error(secret_for, access_key_id)?;
    let expected_string = string_to_sign(request, date);
    let expected = hmac_sha1_base64(&secret, &expected_string);
    if signatures_equal(&expected, provided) {
        Ok(access_key_id.to_owned())
    } else {
        Err(AuthError::SignatureDoesNotMatch {
            access_key_id: access_key_id.to_owned(),
            string_to_sign: expected_string,
        })
    }
}
