//! Performs one cbspec upload with ali-oss-rs and reports what the SDK gave
//! back. Everything the SDK cannot express becomes `Unsupported` with the
//! reason; nothing the SDK returned is repaired.
//!
//! Facts about ali-oss-rs 0.3.1 this file relies on (read from its source):
//! - it signs with V4 (`OSS4-HMAC-SHA256`) only;
//! - it always addresses `<bucket>.<endpoint>` (virtual-hosted style), with no
//!   path-style option;
//! - the callback travels only in the `x-oss-callback` / `x-oss-callback-var`
//!   headers, on PutObject, InitiateMultipartUpload (it shares PutObject's
//!   options) and CompleteMultipartUpload; UploadPart takes no options;
//! - presigning makes GET URLs only (`presign_url`); `presign_raw_request`
//!   signs headers, not the URL;
//! - any 2xx is `Ok`, and with a callback the result is the response body as
//!   a `String`, so a 203 (callback failed) comes back as `Ok` too;
//! - the HTTP status is exposed only by `Error::StatusError` (an error answer
//!   with an empty body); `Ok` values and `Error::ApiError` carry none.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ali_oss_rs::error::Error as SdkError;
use ali_oss_rs::multipart::MultipartUploadsOperations;
use ali_oss_rs::multipart_common::{
    CompleteMultipartUploadOptions, CompleteMultipartUploadRequest, CompleteMultipartUploadResult,
    UploadPartRequest,
};
use ali_oss_rs::object::ObjectOperations;
use ali_oss_rs::object_common::{
    Callback, CallbackBodyType, CallbackBuilder, PutObjectOptions, PutObjectOptionsBuilder,
    PutObjectResult,
};
use ali_oss_rs::{Client, ClientBuilder};
use serde::Deserialize;
use serde_json::{Map, Value};

/// One `upload` request (drivers/PROTOCOL.md §2). Unknown fields are ignored.
#[derive(Debug, Deserialize)]
pub struct Upload {
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub access_key_secret: String,
    pub bucket: String,
    pub key: String,
    pub content_file: String,
    pub content_type: Option<String>,
    #[serde(default)]
    pub headers: Map<String, Value>,
    pub operation: String,
    pub auth: String,
    /// Whether the scenario tests signing itself; when it does not, any
    /// signing version will do (drivers/PROTOCOL.md).
    #[serde(default = "auth_matters")]
    pub auth_required: bool,
    pub part_size: Option<u64>,
    pub carrier: Option<String>,
    #[serde(default)]
    pub callback_on_every_request: bool,
    pub callback: Option<CallbackSpec>,
    pub callback_base64: Option<String>,
    pub vars: Option<Map<String, Value>>,
    pub vars_base64: Option<String>,
    pub timeout_ms: Option<u64>,
}

/// The callback in the SDK's own terms (`null` members: left out).
#[derive(Debug, Deserialize)]
pub struct CallbackSpec {
    pub url: Option<String>,
    pub host: Option<String>,
    pub body: Option<String>,
    pub body_type: Option<String>,
    /// A `Value` so that a non-boolean SNI is reported as inexpressible
    /// rather than failing the whole request's parse.
    pub sni: Option<Value>,
    #[serde(default)]
    pub extra: Map<String, Value>,
}

/// The fields of an error the SDK exposed; `None` for what it does not.
#[derive(Debug, Default)]
pub struct ErrorFields {
    pub code: Option<String>,
    pub message: Option<String>,
    pub ec: Option<String>,
    pub request_id: Option<String>,
}

/// How the upload ended, in the protocol's terms.
#[derive(Debug)]
pub enum Outcome {
    Answer {
        /// `None`: the SDK did not expose the HTTP status.
        status: Option<u16>,
        raised: bool,
        headers: BTreeMap<String, String>,
        body: Option<String>,
        error: Option<ErrorFields>,
    },
    Failed(String),
    Unsupported(String),
}

const DEFAULT_TIMEOUT_MS: u64 = 10_000;

/// Performs `upload` and reports the outcome.
pub async fn perform(upload: Upload) -> Outcome {
    match plan(&upload) {
        Ok(plan) => execute(&upload, plan).await,
        Err(why) => Outcome::Unsupported(why),
    }
}

/// What `execute` needs once the request is known to be expressible.
struct Plan {
    multipart: bool,
    callback: Option<Callback>,
}

/// Why the SDK cannot express the upload (becomes `Outcome::Unsupported`).
fn reason(why: impl Into<String>) -> String {
    why.into()
}

/// Decides whether the SDK can express the upload, and builds its callback.
/// `Err` (here and in the helpers below) is the reason it cannot.
fn plan(upload: &Upload) -> Result<Plan, String> {
    let multipart = match upload.operation.as_str() {
        "put" => false,
        "multipart" => true,
        "post" => return Err(reason("ali-oss-rs has no PostObject call")),
        "presign-v1" | "presign-v4" => return Err(reason(
            "ali-oss-rs presigns GET URLs only (presign_url); presign_raw_request signs headers, \
                 not a URL, so it cannot make a presigned PUT",
        )),
        other => return Err(reason(format!("unknown operation {other:?}"))),
    };
    match upload.auth.as_str() {
        "v4" => {}
        // The SDK's only signing version stands in when the scenario does
        // not test signing.
        "v1" if !upload.auth_required => {}
        "v1" => return Err(reason("ali-oss-rs signs with V4 (OSS4-HMAC-SHA256) only")),
        other => return Err(reason(format!("unknown auth {other:?}"))),
    }

    let has_callback = upload.callback.is_some() || upload.callback_base64.is_some();
    if has_callback {
        match upload.carrier.as_deref().unwrap_or("header") {
            "header" => {}
            "query" | "header-and-query" => {
                return Err(reason(
                    "ali-oss-rs sends the callback only in the x-oss-callback headers",
                ))
            }
            "form" => return Err(reason("ali-oss-rs has no PostObject call")),
            other => return Err(reason(format!("unknown carrier {other:?}"))),
        }
        if multipart && upload.callback_on_every_request {
            return Err(reason(
                "ali-oss-rs's UploadPart takes no options, so it cannot carry a callback",
            ));
        }
    }

    if upload.vars.is_none() && upload.vars_base64.is_some() {
        return Err(reason(
            "ali-oss-rs builds the custom variables itself from names and values; these have no such form",
        ));
    }
    let callback = match &upload.callback {
        Some(spec) => Some(build_callback(spec, upload.vars.as_ref())?),
        None if upload.callback_base64.is_some() => {
            return Err(reason(
                "ali-oss-rs builds the callback itself from fields; this one has no field form",
            ))
        }
        None => {
            if upload.vars_base64.is_some() {
                return Err(reason(
                    "ali-oss-rs sends custom variables only as part of a callback",
                ));
            }
            None
        }
    };
    Ok(Plan {
        multipart,
        callback,
    })
}

/// Builds the SDK's `Callback` from the request's fields and variables.
///
/// Uses `CallbackBuilder` for everything it has a setter for, because its
/// `custom_variable` is the SDK's documented way to pass variables: it takes
/// the name without `x:` and adds the prefix itself. The builder composes the
/// body only from typed `CallbackBodyParameter`s, so the scenario's body
/// template goes into the public `body` field verbatim.
fn build_callback(
    spec: &CallbackSpec,
    vars: Option<&Map<String, Value>>,
) -> Result<Callback, String> {
    if !spec.extra.is_empty() {
        let names: Vec<&str> = spec.extra.keys().map(String::as_str).collect();
        return Err(reason(format!(
            "ali-oss-rs's Callback has no room for other members ({})",
            names.join(", ")
        )));
    }
    let Some(url) = &spec.url else {
        return Err(reason(
            "ali-oss-rs always sends callbackUrl (Callback.url is a String)",
        ));
    };
    let Some(body) = &spec.body else {
        return Err(reason(
            "ali-oss-rs always sends callbackBody (Callback.body is a String)",
        ));
    };

    let mut builder = CallbackBuilder::new(url.clone());
    if let Some(host) = &spec.host {
        builder = builder.host(host.clone());
    }
    match &spec.sni {
        None | Some(Value::Null) => {}
        Some(Value::Bool(sni)) => builder = builder.sni(*sni),
        Some(other) => {
            return Err(reason(format!(
                "ali-oss-rs's callbackSNI is a bool, not {other}"
            )))
        }
    }
    if let Some(body_type) = &spec.body_type {
        let body_type = match body_type.as_str() {
            "application/x-www-form-urlencoded" => CallbackBodyType::FormUrlEncoded,
            "application/json" => CallbackBodyType::Json,
            other => {
                return Err(reason(format!(
                    "ali-oss-rs's CallbackBodyType has only form and JSON, not {other:?}"
                )))
            }
        };
        builder = builder.body_type(body_type);
    }

    let mut wanted: Vec<(&str, &str)> = Vec::new();
    for (name, value) in vars.into_iter().flatten() {
        let Value::String(value) = value else {
            return Err(reason(format!(
                "ali-oss-rs takes custom variable values as strings; {name:?} is {value}"
            )));
        };
        let Some(bare) = name.strip_prefix("x:") else {
            return Err(reason(format!(
                "ali-oss-rs adds the x: prefix to every custom variable, so {name:?} cannot be sent"
            )));
        };
        builder = builder.custom_variable(bare, value.clone());
        wanted.push((name, value));
    }

    let mut callback = builder.build();
    callback.body = body.clone();

    // The builder normalises names (it strips one `x:` before adding its
    // own), so a name such as `x:x:a` would silently become `x:a`; that
    // caller request is not expressible.
    for (name, value) in &wanted {
        if callback.custom_variables.get(*name).map(String::as_str) != Some(*value) {
            return Err(reason(format!(
                "ali-oss-rs's custom_variable rewrites the name {name:?}"
            )));
        }
    }
    if callback.custom_variables.len() != wanted.len() {
        return Err(reason(
            "ali-oss-rs's custom_variable merged two variable names",
        ));
    }
    Ok(callback)
}

/// Maps the request's extra headers onto the SDK's typed options. Headers the
/// options have no setter for are not expressible.
fn put_options(upload: &Upload, callback: Option<Callback>) -> Result<PutObjectOptions, String> {
    let mut builder = PutObjectOptionsBuilder::new();
    if let Some(content_type) = &upload.content_type {
        builder = builder.mime_type(content_type.clone());
    }
    for (name, value) in &upload.headers {
        let Value::String(value) = value else {
            return Err(reason(format!("header {name:?} has a non-string value")));
        };
        let lower = name.to_ascii_lowercase();
        builder = match lower.as_str() {
            "cache-control" => builder.cache_control(value.clone()),
            "content-disposition" => builder.content_disposition(value.clone()),
            "expires" => builder.expires(value.clone()),
            _ if lower.starts_with("x-oss-meta-") => builder.metadata(lower.clone(), value.clone()),
            _ => {
                return Err(reason(format!(
                    "ali-oss-rs's PutObjectOptions has no setter for header {name:?}"
                )))
            }
        };
    }
    if let Some(callback) = callback {
        builder = builder.callback(callback);
    }
    Ok(builder.build())
}

/// Builds the SDK client for this request.
///
/// ali-oss-rs always requests `<bucket>.<endpoint>`. For an IP endpoint (the
/// emulator) that host name is not a valid URL host, so the client gets the
/// OSS public endpoint name for the region, `oss-<region>.aliyuncs.com`, and
/// the `reqwest::Client` handed to the SDK (its `ClientBuilder::client` hook)
/// resolves `<bucket>.oss-<region>.aliyuncs.com` to the endpoint's address.
/// The URL carries no port, so the `Host` header is exactly
/// `<bucket>.oss-<region>.aliyuncs.com`, which the emulator accepts, while
/// reqwest connects to the overriding address's port. Other endpoints are
/// given to the SDK unchanged.
fn client(upload: &Upload) -> Result<Client, String> {
    let timeout = Duration::from_millis(upload.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS));
    let mut http = ali_oss_rs::reqwest::Client::builder()
        .connect_timeout(timeout)
        .read_timeout(timeout);

    let mut endpoint = upload.endpoint.clone();
    let (scheme, rest) = match upload.endpoint.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => ("https".to_owned(), upload.endpoint.as_str()),
    };
    let authority = rest.split('/').next().unwrap_or_default();
    if let Some((ip, port)) = ip_authority(authority) {
        let port = port.unwrap_or(if scheme == "http" { 80 } else { 443 });
        let base = format!("oss-{}.aliyuncs.com", upload.region);
        http = http.resolve(
            &format!("{}.{base}", upload.bucket),
            SocketAddr::new(ip, port),
        );
        endpoint = format!("{scheme}://{base}");
    }

    let http = http
        .build()
        .map_err(|e| format!("building the HTTP client: {e}"))?;
    ClientBuilder::new(&upload.access_key_id, &upload.access_key_secret, endpoint)
        .region(upload.region.clone())
        .client(http)
        .build()
        .map_err(|e| format!("ali-oss-rs ClientBuilder::build: {e}"))
}

/// `host[:port]` when host is an IP address (IPv6 in brackets).
fn ip_authority(authority: &str) -> Option<(IpAddr, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, tail) = rest.split_once(']')?;
        (host, tail.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let ip: IpAddr = host.parse().ok()?;
    let port = match port {
        Some(p) => Some(p.parse().ok()?),
        None => None,
    };
    Some((ip, port))
}

async fn execute(upload: &Upload, plan: Plan) -> Outcome {
    let content = match std::fs::read(&upload.content_file) {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(format!("reading {}: {e}", upload.content_file)),
    };
    let client = match client(upload) {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(e),
    };
    if plan.multipart {
        multipart(&client, upload, content, plan.callback).await
    } else {
        put(&client, upload, content, plan.callback).await
    }
}

async fn put(
    client: &Client,
    upload: &Upload,
    content: Vec<u8>,
    callback: Option<Callback>,
) -> Outcome {
    let options = match put_options(upload, callback) {
        Ok(o) => o,
        Err(why) => return Outcome::Unsupported(why),
    };
    match client
        .put_object_from_buffer(&upload.bucket, &upload.key, content, Some(options))
        .await
    {
        Ok(PutObjectResult::CallbackResponse(body)) => ok_answer(BTreeMap::new(), Some(body)),
        Ok(PutObjectResult::ApiResponse(api)) => {
            // Without a callback the SDK hands over typed fields parsed from
            // response headers (ETag with its quotes removed by the SDK);
            // they are reported under the headers they came from.
            let mut headers = BTreeMap::new();
            headers.insert("x-oss-request-id".to_owned(), api.request_id);
            headers.insert("etag".to_owned(), api.etag);
            headers.insert("content-md5".to_owned(), api.content_md5);
            headers.insert(
                "x-oss-hash-crc64ecma".to_owned(),
                api.hash_crc64ecma.to_string(),
            );
            if let Some(version) = api.version_id {
                headers.insert("x-oss-version-id".to_owned(), version);
            }
            ok_answer(headers, None)
        }
        Err(e) => from_error(e),
    }
}

/// Initiate (with the content type and headers), one UploadPart per
/// `part_size` chunk, Complete with the callback. The first step the SDK
/// reports as failed ends the upload with that step's error.
async fn multipart(
    client: &Client,
    upload: &Upload,
    content: Vec<u8>,
    callback: Option<Callback>,
) -> Outcome {
    let initiate_options = match put_options(upload, None) {
        Ok(o) => o,
        Err(why) => return Outcome::Unsupported(why),
    };
    let initiated = match client
        .initiate_multipart_uploads(&upload.bucket, &upload.key, Some(initiate_options))
        .await
    {
        Ok(r) => r,
        Err(e) => return from_error(e),
    };

    let part_size =
        usize::try_from(upload.part_size.unwrap_or(102_400).max(1)).unwrap_or(usize::MAX);
    let mut parts = Vec::new();
    for (index, chunk) in content.chunks(part_size).enumerate() {
        let Ok(number) = u32::try_from(index + 1) else {
            return Outcome::Unsupported("more parts than a u32 part number holds".into());
        };
        let request = UploadPartRequest::new(number, &initiated.upload_id);
        match client
            .upload_part_from_buffer(&upload.bucket, &upload.key, chunk.to_vec(), request)
            .await
        {
            Ok(part) => parts.push((number, part.etag)),
            Err(e) => return from_error(e),
        }
    }

    let data = CompleteMultipartUploadRequest {
        upload_id: initiated.upload_id.clone(),
        parts,
    };
    let options = CompleteMultipartUploadOptions { callback };
    match client
        .complete_multipart_uploads(&upload.bucket, &upload.key, data, Some(options))
        .await
    {
        Ok(CompleteMultipartUploadResult::CallbackResponse(body)) => {
            ok_answer(BTreeMap::new(), Some(body))
        }
        // Without a callback the SDK parses the XML into fields and keeps
        // no body or headers.
        Ok(CompleteMultipartUploadResult::ApiResponse(_)) => ok_answer(BTreeMap::new(), None),
        Err(e) => from_error(e),
    }
}

/// An `Ok` from the SDK: it reports no HTTP status with it.
fn ok_answer(headers: BTreeMap<String, String>, body: Option<String>) -> Outcome {
    Outcome::Answer {
        status: None,
        raised: false,
        headers,
        body,
        error: None,
    }
}

/// Sorts the SDK's errors into "the SDK got an HTTP answer" and "it did not".
fn from_error(error: SdkError) -> Outcome {
    match error {
        // A non-2xx answer with an XML error body. The SDK's ErrorResponse
        // keeps Code, Message, RequestId, EC (empty strings when absent) but
        // not the status.
        SdkError::ApiError(response) => Outcome::Answer {
            status: None,
            raised: true,
            headers: BTreeMap::new(),
            body: None,
            error: Some(ErrorFields {
                code: Some(response.code),
                message: Some(response.message),
                ec: Some(response.ec),
                request_id: Some(response.request_id),
            }),
        },
        // A non-2xx answer with an empty (or unreadable) body: only the
        // status survives.
        SdkError::StatusError(status) => Outcome::Answer {
            status: Some(status.as_u16()),
            raised: true,
            headers: BTreeMap::new(),
            body: None,
            error: Some(ErrorFields::default()),
        },
        // Raised while parsing an answer's XML (an error body that is not
        // XML, or a success body it cannot read): an answer arrived, but the
        // SDK exposes nothing of it.
        SdkError::XmlParseError(e) => {
            eprintln!("ali-oss-rs could not parse an answer's XML: {e}");
            Outcome::Answer {
                status: None,
                raised: true,
                headers: BTreeMap::new(),
                body: None,
                error: Some(ErrorFields::default()),
            }
        }
        // Transport errors (connect, timeout) and client-side errors before
        // sending (validation, header values, URL building, file I/O).
        other => Outcome::Failed(format!("{other:?}")),
    }
}

/// Older runners do not send `auth_required`: then the version is binding.
fn auth_matters() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(body_type: Option<&str>) -> CallbackSpec {
        CallbackSpec {
            url: Some("http://127.0.0.1:1/cb".into()),
            host: None,
            body: Some("a=${x:my}".into()),
            body_type: body_type.map(Into::into),
            sni: Some(Value::Bool(false)),
            extra: Map::new(),
        }
    }

    fn vars(pairs: &[(&str, &str)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect()
    }

    #[test]
    fn the_sdk_adds_the_prefix_back_exactly_once() {
        let cb = build_callback(&spec(None), Some(&vars(&[("x:my", "v")]))).unwrap();
        assert_eq!(
            cb.custom_variables.get("x:my").map(String::as_str),
            Some("v")
        );
        assert_eq!(cb.body, "a=${x:my}");
        assert_eq!(cb.sni, Some(false));
    }

    #[test]
    fn inexpressible_callbacks_are_unsupported() {
        for v in [vars(&[("my", "v")]), vars(&[("x:x:my", "v")])] {
            assert!(build_callback(&spec(None), Some(&v)).is_err());
        }
        assert!(build_callback(&spec(Some("text/plain")), None).is_err());
    }

    #[test]
    fn ip_endpoints_are_recognised() {
        assert_eq!(
            ip_authority("127.0.0.1:9000"),
            Some(("127.0.0.1".parse().unwrap(), Some(9000)))
        );
        assert_eq!(
            ip_authority("[::1]:80"),
            Some(("::1".parse().unwrap(), Some(80)))
        );
        assert_eq!(ip_authority("oss-cn-hangzhou.aliyuncs.com"), None);
    }
}
