//! V4 signatures (`OSS4-HMAC-SHA256`): the `Authorization` header and
//! presigned URLs (`x-oss-signature-version`, `x-oss-credential`,
//! `x-oss-date`, `x-oss-expires`, `x-oss-signature`).
//!
//! Canonicalisation follows Go SDK v2 `oss/signer/v4.go` and Python SDK v2
//! `alibabacloud_oss_v2/signer/v4.py`, which agree:
//!
//! ```text
//! CanonicalRequest = VERB \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n AdditionalHeaders \n HashedPayload
//! StringToSign     = OSS4-HMAC-SHA256 \n x-oss-date \n Scope \n hex(SHA256(CanonicalRequest))
//! SigningKey       = HMAC(HMAC(HMAC(HMAC("aliyun_v4" + secret, date), region), product), "aliyun_v4_request")
//! Signature        = hex(HMAC-SHA256(SigningKey, StringToSign))
//! ```

use std::time::{Duration, SystemTime};

use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

use super::{
    parse_iso8601_basic, secret_or_error, signatures_equal, unix_seconds, AuthError, Credentials,
    SignableRequest, MAX_V4_PRESIGN_SECS, REQUEST_EXPIRED_MESSAGE,
};

/// The algorithm name, first word of the `Authorization` header and value of
/// `x-oss-signature-version`.
pub const ALGORITHM: &str = "OSS4-HMAC-SHA256";

/// The only payload hash OSS accepts in `x-oss-content-sha256`.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// The products an OSS V4 scope may name.
pub const PRODUCTS: [&str; 2] = ["oss", "oss-cloudbox"];

/// The last component of every V4 scope.
pub const SCOPE_TERMINATOR: &str = "aliyun_v4_request";

/// Everything but the RFC 3986 unreserved characters is encoded (the SDKs'
/// `noEscape` table and Python's `quote(safe='')`).
const QUERY_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// As [`QUERY_ENCODE`], but `/` separates key segments and stays literal.
const PATH_ENCODE: &AsciiSet = &QUERY_ENCODE.remove(b'/');

/// The credential scope `date/region/product/aliyun_v4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// `yyyymmdd`, the day of `x-oss-date`.
    pub date: String,
    /// The region id without the `oss-` prefix, e.g. `cn-hangzhou`.
    pub region: String,
    /// `oss` (CloudBox uses `oss-cloudbox`).
    pub product: String,
}

impl Scope {
    /// The scope of a signature made at `time` for an OSS region.
    pub fn new(time: SystemTime, region: &str) -> Self {
        Self {
            date: super::format_iso8601_basic(time)[..8].to_owned(),
            region: region.to_owned(),
            product: "oss".to_owned(),
        }
    }

    /// Parses the part of a credential after the access key id.
    fn parse(date: &str, region: &str, product: &str, terminator: &str) -> Option<Self> {
        let valid = date.len() == 8
            && date.bytes().all(|b| b.is_ascii_digit())
            && !region.is_empty()
            && !product.is_empty()
            && terminator == SCOPE_TERMINATOR;
        valid.then(|| Self {
            date: date.to_owned(),
            region: region.to_owned(),
            product: product.to_owned(),
        })
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}/{}/{SCOPE_TERMINATOR}",
            self.date, self.region, self.product
        )
    }
}

/// Splits `<ak>/<yyyymmdd>/<region>/<product>/aliyun_v4_request`.
pub fn parse_credential(credential: &str) -> Result<(String, Scope), AuthError> {
    let invalid = || {
        AuthError::invalid_argument(format!(
            "Invalid credential {credential:?}: expected <AccessKeyId>/<yyyymmdd>/<region>/oss/aliyun_v4_request."
        ))
    };
    let mut parts = credential.rsplitn(5, '/');
    let terminator = parts.next().ok_or_else(invalid)?;
    let product = parts.next().ok_or_else(invalid)?;
    let region = parts.next().ok_or_else(invalid)?;
    let date = parts.next().ok_or_else(invalid)?;
    let access_key_id = parts
        .next()
        .filter(|ak| !ak.is_empty())
        .ok_or_else(invalid)?;
    let scope = Scope::parse(date, region, product, terminator).ok_or_else(invalid)?;
    // The product is `oss` (`oss-cloudbox` for CloudBox), per the OSS V4
    // signing documentation; a signature scoped to another product (`s3`)
    // is not an OSS signature.
    // spec: CB-AUTH-V4-SCOPE
    if !PRODUCTS.contains(&scope.product.as_str()) {
        return Err(invalid());
    }
    Ok((access_key_id.to_owned(), scope))
}

/// Headers V4 always signs: `x-oss-*`, `content-type`, `content-md5`.
fn is_default_signed(lower_name: &str) -> bool {
    lower_name.starts_with("x-oss-") || lower_name == "content-type" || lower_name == "content-md5"
}

/// The additional-headers list a signer should declare for the headers a
/// caller wants signed: lower-cased, without the default-signed ones, only
/// those the request carries, sorted and unique (Go SDK v2
/// `getCommonAdditionalHeaders`).
pub fn additional_headers_for(request: &SignableRequest, wanted: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = wanted
        .iter()
        .map(|name| name.to_ascii_lowercase())
        .filter(|name| !is_default_signed(name))
        .filter(|name| request.header(name).is_some_and(|value| !value.is_empty()))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// `/bucket/key`, every byte but unreserved characters and `/` encoded as
/// `%XX`.
pub fn canonical_uri(request: &SignableRequest) -> String {
    let mut uri = String::from("/");
    if let Some(bucket) = &request.bucket {
        uri.push_str(bucket);
        uri.push('/');
    }
    if let Some(key) = &request.key {
        uri.push_str(key);
    }
    utf8_percent_encode(&uri, PATH_ENCODE).to_string()
}

/// Every query parameter but `x-oss-signature`, names and values encoded,
/// sorted by encoded name then value, `name=value` or bare `name` when the
/// value is empty. The `callback` / `callback-var` parameters of a presigned
/// upload are covered here.
pub fn canonical_query(request: &SignableRequest) -> String {
    let mut pairs: Vec<(String, String)> = request
        .query
        .iter()
        .filter(|(name, _)| name != "x-oss-signature")
        .map(|(name, value)| {
            (
                utf8_percent_encode(name, QUERY_ENCODE).to_string(),
                utf8_percent_encode(value.as_deref().unwrap_or(""), QUERY_ENCODE).to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(name, value)| {
            if value.is_empty() {
                name.clone()
            } else {
                format!("{name}={value}")
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The payload hash slot: the `x-oss-content-sha256` header, or
/// `UNSIGNED-PAYLOAD` when absent (as the SDK signers default it; presigned
/// URLs never carry the header).
// spec: CB-AUTH-V4-UNSIGNED-PAYLOAD
fn hashed_payload(request: &SignableRequest) -> &str {
    request
        .header("x-oss-content-sha256")
        .filter(|value| !value.is_empty())
        .unwrap_or(UNSIGNED_PAYLOAD)
}

/// The V4 canonical request. `additional_headers` are the lower-cased names
/// declared in `AdditionalHeaders` / `x-oss-additional-headers`.
pub fn canonical_request(request: &SignableRequest, additional_headers: &[String]) -> String {
    let headers = request.canonical_headers(|name| {
        is_default_signed(name) || additional_headers.iter().any(|extra| extra == name)
    });
    let mut text = String::new();
    text.push_str(&request.method);
    text.push('\n');
    text.push_str(&canonical_uri(request));
    text.push('\n');
    text.push_str(&canonical_query(request));
    text.push('\n');
    for (name, value) in headers {
        text.push_str(&name);
        text.push(':');
        text.push_str(&value);
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&additional_headers.join(";"));
    text.push('\n');
    text.push_str(hashed_payload(request));
    text
}

/// `OSS4-HMAC-SHA256\n<datetime>\n<scope>\n<hex sha256(canonical request)>`.
pub fn string_to_sign(datetime: &str, scope: &Scope, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{datetime}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    )
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// The derived signing key: `aliyun_v4<secret>` → date → region → product →
/// `aliyun_v4_request`.
pub fn signing_key(secret: &str, scope: &Scope) -> [u8; 32] {
    let key = hmac_sha256(
        format!("aliyun_v4{secret}").as_bytes(),
        scope.date.as_bytes(),
    );
    let key = hmac_sha256(&key, scope.region.as_bytes());
    let key = hmac_sha256(&key, scope.product.as_bytes());
    hmac_sha256(&key, SCOPE_TERMINATOR.as_bytes())
}

/// `hex(HMAC-SHA256(signing_key(secret, scope), message))`, the V4 signature
/// primitive, also used for V4 POST policies.
pub fn signature(secret: &str, scope: &Scope, message: &str) -> String {
    hex::encode(hmac_sha256(&signing_key(secret, scope), message.as_bytes()))
}

/// Signs a request for V4 header authentication and returns the
/// `Authorization` value after setting it on the request.
///
/// Sets `x-oss-date` from `now` and `x-oss-content-sha256:
/// UNSIGNED-PAYLOAD` first, as the SDKs do. `additional_headers` names
/// non-default headers to sign as well (e.g. `host`); see
/// [`additional_headers_for`]. Writes `,Signature=` without a space, as
/// Go SDK v2, Python SDK v2 and ali-oss do.
// spec: CB-AUTH-V4-HEADER
pub fn sign_header(
    request: &mut SignableRequest,
    credentials: &Credentials,
    region: &str,
    now: SystemTime,
    additional_headers: &[&str],
) -> String {
    let datetime = super::format_iso8601_basic(now);
    request.set_header("x-oss-date", datetime.clone());
    request.set_header("x-oss-content-sha256", UNSIGNED_PAYLOAD);
    let scope = Scope::new(now, region);
    let additional = additional_headers_for(request, additional_headers);
    let canonical = canonical_request(request, &additional);
    let signed = signature(
        &credentials.access_key_secret,
        &scope,
        &string_to_sign(&datetime, &scope, &canonical),
    );
    let mut authorization = format!(
        "{ALGORITHM} Credential={}/{scope}",
        credentials.access_key_id
    );
    if !additional.is_empty() {
        authorization.push_str(",AdditionalHeaders=");
        authorization.push_str(&additional.join(";"));
    }
    authorization.push_str(",Signature=");
    authorization.push_str(&signed);
    request.set_header("Authorization", authorization.clone());
    authorization
}

/// The parsed parameters of a V4 `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationV4 {
    /// The access key id from `Credential`.
    pub access_key_id: String,
    /// The scope from `Credential`.
    pub scope: Scope,
    /// `AdditionalHeaders`, lower-cased, in the order given.
    pub additional_headers: Vec<String>,
    /// `Signature`, hex.
    pub signature: String,
}

/// Parses `OSS4-HMAC-SHA256 Credential=..., AdditionalHeaders=..., Signature=...`.
///
/// Parameters are separated by `,` with optional white space: oss2 writes
/// `, Signature=`, Go SDK v2, Python SDK v2 and ali-oss write `,Signature=`.
/// `AdditionalHeaders` is optional, but present-and-empty is refused (OSS
/// EC 0002-00000209).
// spec: CB-AUTH-V4-SEPARATOR
pub fn parse_authorization(value: &str) -> Result<AuthorizationV4, AuthError> {
    let invalid =
        |why: &str| AuthError::invalid_argument(format!("Authorization header is invalid: {why}"));
    let rest = value
        .strip_prefix(ALGORITHM)
        .filter(|rest| rest.starts_with(' '))
        .ok_or_else(|| invalid("it must start with `OSS4-HMAC-SHA256 `."))?;
    let mut credential = None;
    let mut additional_headers = None;
    let mut signature = None;
    for parameter in rest.split(',') {
        let (name, value) = parameter
            .trim()
            .split_once('=')
            .ok_or_else(|| invalid("each parameter must be name=value."))?;
        let slot = match name {
            "Credential" => &mut credential,
            "AdditionalHeaders" => &mut additional_headers,
            "Signature" => &mut signature,
            _ => return Err(invalid(&format!("unknown parameter {name:?}."))),
        };
        if slot.replace(value.trim()).is_some() {
            return Err(invalid(&format!("parameter {name} is repeated.")));
        }
    }
    let (access_key_id, scope) =
        parse_credential(credential.ok_or_else(|| invalid("Credential is missing."))?)?;
    let signature = signature
        .filter(|value| !value.is_empty())
        .ok_or_else(|| invalid("Signature is missing."))?;
    let additional_headers = match additional_headers {
        None => Vec::new(),
        Some("") => return Err(invalid("AdditionalHeaders is empty; omit it instead.")),
        Some(list) => list.split(';').map(str::to_ascii_lowercase).collect(),
    };
    Ok(AuthorizationV4 {
        access_key_id,
        scope,
        additional_headers,
        signature: signature.to_owned(),
    })
}

/// Refuses an `x-oss-content-sha256` other than `UNSIGNED-PAYLOAD` (OSS EC
/// 0002-00000214 says to change it to that value).
// spec: CB-AUTH-V4-UNSIGNED-PAYLOAD
fn check_payload_hash(request: &SignableRequest) -> Result<(), AuthError> {
    match request.header("x-oss-content-sha256") {
        Some(value) if value != UNSIGNED_PAYLOAD => Err(AuthError::invalid_argument(format!(
            "x-oss-content-sha256 is {value:?}; it must be UNSIGNED-PAYLOAD."
        ))),
        _ => Ok(()),
    }
}

/// Checks a signature once the string to sign is known.
fn check_signature(
    secret_for: impl Fn(&str) -> Option<String>,
    access_key_id: &str,
    scope: &Scope,
    expected_string: String,
    provided: &str,
) -> Result<String, AuthError> {
    let secret = secret_or_error(secret_for, access_key_id)?;
    let expected = signature(&secret, scope, &expected_string);
    if signatures_equal(&expected, &provided.to_ascii_lowercase()) {
        Ok(access_key_id.to_owned())
    } else {
        Err(AuthError::SignatureDoesNotMatch {
            access_key_id: access_key_id.to_owned(),
            string_to_sign: expected_string,
        })
    }
}

/// Checks that `x-oss-date` parses and falls on the credential's day.
fn check_datetime(datetime: &str, scope: &Scope) -> Result<SystemTime, AuthError> {
    let time = parse_iso8601_basic(datetime).ok_or_else(|| {
        AuthError::invalid_argument(format!(
            "x-oss-date {datetime:?} is not in the form yyyymmddThhmmssZ."
        ))
    })?;
    if !datetime.starts_with(&scope.date) {
        return Err(AuthError::invalid_argument(format!(
            "The Credential date {} does not match x-oss-date {datetime}.",
            scope.date
        )));
    }
    Ok(time)
}

/// Verifies a V4 `Authorization` header and returns the access key id.
///
/// As for V1, the request time is not compared with a clock here.
// spec: CB-AUTH-V4-HEADER
// spec: CB-AUTH-MISMATCH
pub fn verify_header(
    request: &SignableRequest,
    secret_for: impl Fn(&str) -> Option<String>,
) -> Result<String, AuthError> {
    let authorization = parse_authorization(request.header("authorization").unwrap_or(""))?;
    let datetime =
        request
            .header("x-oss-date")
            .ok_or_else(|| AuthError::MissingSecurityHeader {
                header: "x-oss-date".to_owned(),
            })?;
    check_datetime(datetime, &authorization.scope)?;
    check_payload_hash(request)?;
    let canonical = canonical_request(request, &authorization.additional_headers);
    check_signature(
        secret_for,
        &authorization.access_key_id,
        &authorization.scope,
        string_to_sign(datetime, &authorization.scope, &canonical),
        &authorization.signature,
    )
}

/// The query parameters a V4 presigned URL adds, decoded, in the order the
/// SDKs write them; `x-oss-signature` last. The URL is valid from `now` for
/// `expires_in`.
///
/// Sub-resources the URL should carry (`callback`, `callback-var`, ...) must
/// already be in `request.query`: the whole query is signed.
// spec: CB-AUTH-V4-PRESIGN
pub fn presign_query(
    request: &SignableRequest,
    credentials: &Credentials,
    region: &str,
    now: SystemTime,
    expires_in: Duration,
    additional_headers: &[&str],
) -> Vec<(String, String)> {
    let datetime = super::format_iso8601_basic(now);
    let scope = Scope::new(now, region);
    let additional = additional_headers_for(request, additional_headers);
    let mut added = vec![
        ("x-oss-signature-version".to_owned(), ALGORITHM.to_owned()),
        ("x-oss-date".to_owned(), datetime.clone()),
        ("x-oss-expires".to_owned(), expires_in.as_secs().to_string()),
        (
            "x-oss-credential".to_owned(),
            format!("{}/{scope}", credentials.access_key_id),
        ),
    ];
    if !additional.is_empty() {
        added.push(("x-oss-additional-headers".to_owned(), additional.join(";")));
    }
    let mut signed_request = request.clone();
    signed_request.query.extend(
        added
            .iter()
            .map(|(name, value)| (name.clone(), Some(value.clone()))),
    );
    let canonical = canonical_request(&signed_request, &additional);
    let signed = signature(
        &credentials.access_key_secret,
        &scope,
        &string_to_sign(&datetime, &scope, &canonical),
    );
    added.push(("x-oss-signature".to_owned(), signed));
    added
}

/// Verifies a V4 presigned URL and returns the access key id; a URL used
/// after `x-oss-date + x-oss-expires` is refused with "Request has expired.".
// spec: CB-AUTH-V4-PRESIGN
// spec: CB-AUTH-MISMATCH
pub fn verify_presigned(
    request: &SignableRequest,
    secret_for: impl Fn(&str) -> Option<String>,
    now: SystemTime,
) -> Result<String, AuthError> {
    let required = |name: &str| {
        request.query_value(name).ok_or_else(|| {
            AuthError::invalid_argument(format!(
                "Presigned URL is missing the {name} query parameter."
            ))
        })
    };
    let version = required("x-oss-signature-version")?;
    if version != ALGORITHM {
        return Err(AuthError::invalid_argument(format!(
            "x-oss-signature-version {version:?} is not supported; use {ALGORITHM}."
        )));
    }
    let (access_key_id, scope) = parse_credential(required("x-oss-credential")?)?;
    let datetime = required("x-oss-date")?;
    let expires_in: u64 = required("x-oss-expires")?
        .parse()
        .map_err(|_| AuthError::invalid_argument("x-oss-expires must be a number of seconds."))?;
    // spec: CB-AUTH-V4-PRESIGN-EXPIRES
    if !(1..=MAX_V4_PRESIGN_SECS).contains(&expires_in) {
        return Err(AuthError::ExpiresOutOfRange {
            expires: expires_in,
        });
    }
    let provided = required("x-oss-signature")?;
    let signed_at = check_datetime(datetime, &scope)?;
    if unix_seconds(now) > unix_seconds(signed_at).saturating_add(expires_in) {
        return Err(AuthError::access_denied(REQUEST_EXPIRED_MESSAGE));
    }
    check_payload_hash(request)?;
    let additional: Vec<String> = match request.query_value("x-oss-additional-headers") {
        None => Vec::new(),
        Some(list) => list.split(';').map(str::to_ascii_lowercase).collect(),
    };
    let canonical = canonical_request(request, &additional);
    check_signature(
        secret_for,
        &access_key_id,
        &scope,
        string_to_sign(datetime, &scope, &canonical),
        provided,
    )
}
