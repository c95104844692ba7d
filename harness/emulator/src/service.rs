//! Request handling: authentication, dispatch to an operation, and the
//! callback step shared by every upload type.

use cbspec_protocol::headers::Headers;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;

use super::callback::{CallbackResult, CallbackSender};
use super::image::image_info;
use super::journal::Journal;
use super::response::{OssError, OssResponse};
use super::store::{now_secs, ObjectMeta, Store, StoreError, StoredObject};
use cbspec_protocol::auth::{verify_request, Credentials, ServerView, SignableRequest};
use cbspec_protocol::callback_url::AddressPolicy;
use cbspec_protocol::carrier::{
    CallbackRequest, RawCallbackParams, CALLBACK_HEADER, CALLBACK_PARAM, CALLBACK_VAR_HEADER,
    CALLBACK_VAR_PARAM,
};
use cbspec_protocol::checksum;
use cbspec_protocol::config::DecodeOptions;
use cbspec_protocol::facts::{SystemVariable, UploadFacts};
use cbspec_protocol::routing::{check_object_key, route, Resource};
use cbspec_protocol::template::Placeholder;

/// The content type OSS stores when the upload names none.
// spec: CB-SYS-MIMETYPE-DEFAULT
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// Everything a handler needs, shared by all connections.
#[derive(Debug)]
pub struct Service {
    pub(crate) store: Arc<Store>,
    pub(crate) journal: Journal,
    pub(crate) callbacks: CallbackSender,
    pub(crate) credentials: Credentials,
    pub(crate) region: String,
    pub(crate) base_domain: String,
    pub(crate) address_policy: AddressPolicy,
    /// The account id reported as requester and owner.
    pub(crate) account_id: String,
    /// The PEM served at the public key path.
    pub(crate) public_key_pem: String,
}

/// Where the emulator serves its callback public key. `_` cannot appear in a
/// bucket name, so the path never shadows a bucket.
pub const PUBLIC_KEY_PATH: &str = "/_cbspec/callback_pub_key.pem";

/// A request as handlers see it: fully read, headers in order.
#[derive(Debug, Clone)]
pub struct OssRequest {
    /// Method, upper case.
    pub method: String,
    /// Path and query as sent.
    pub target: String,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
    /// The TCP peer.
    pub peer: SocketAddr,
    /// The request id assigned to this request.
    pub request_id: String,
}

impl OssRequest {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.header(name)
    }
}

/// The facts of a stored upload that feed the callback and the response.
pub(crate) struct StoredUpload {
    pub bucket: String,
    pub key: String,
    pub etag: String,
    pub crc64: u64,
    pub size: u64,
    pub content_type: String,
    /// Base64 MD5 for PutObject/PostObject; `None` for multipart.
    pub content_md5: Option<String>,
    pub operation: &'static str,
    /// The stored bytes (for imageInfo).
    pub data: Bytes,
}

impl Service {
    /// Handles one request; never panics on client input and never answers
    /// 5xx for anything the client sent.
    pub async fn handle(self: &Arc<Self>, request: &OssRequest) -> Result<OssResponse, OssError> {
        if request.method == "GET" && request.target == PUBLIC_KEY_PATH {
            // spec: CB-KEY-EMULATOR
            return Ok(OssResponse {
                status: 200,
                headers: vec![("Content-Type".into(), "application/x-pem-file".into())],
                body: Bytes::from(self.public_key_pem.clone()),
            });
        }
        let resource = route(request.header("host"), &request.target, &self.base_domain)
            .map_err(|e| OssError::invalid_argument(e.0))?;

        if request.method == "POST" && resource.key.is_none() && resource.bucket.is_some() {
            // PostObject authenticates with its form, not with headers.
            return super::post_object::post_object(self, request, &resource).await;
        }

        self.authenticate(request, &resource)?;
        check_sub_resources(&request.method, &resource)?;
        if let Some(key) = &resource.key {
            check_object_key(key).map_err(OssError::invalid_object_name)?;
        }
        let bucket = resource.bucket.clone();
        match (request.method.as_str(), bucket, resource.key.clone()) {
            ("GET", None, None) => Ok(super::buckets::list_buckets(self)),
            (_, None, _) => Err(OssError::not_allowed("service-level request")),
            ("PUT", Some(b), None) => super::buckets::put_bucket(self, &b).await,
            ("DELETE", Some(b), None) => super::buckets::delete_bucket(self, &b).await,
            ("GET", Some(b), None) => super::buckets::list_objects(self, &b, &resource),
            ("HEAD", Some(b), None) => super::buckets::head_bucket(self, &b),
            ("PUT", Some(b), Some(k)) if resource.has("uploadId") => {
                super::multipart::upload_part(self, request, &resource, &b, &k)
            }
            ("PUT", Some(b), Some(k)) => self.put_object(request, &resource, &b, &k).await,
            ("GET", Some(b), Some(k)) if resource.has("uploadId") => {
                super::multipart::list_parts(self, &resource, &b, &k)
            }
            ("GET", Some(b), Some(k)) => super::objects::get_object(self, request, &b, &k, true),
            ("HEAD", Some(b), Some(k)) => super::objects::get_object(self, request, &b, &k, false),
            ("DELETE", Some(b), Some(k)) if resource.has("uploadId") => {
                super::multipart::abort(self, &resource, &b, &k)
            }
            ("DELETE", Some(b), Some(k)) => super::objects::delete_object(self, &b, &k).await,
            ("POST", Some(b), Some(k)) if resource.has("uploads") => {
                super::multipart::initiate(self, request, &resource, &b, &k)
            }
            ("POST", Some(b), Some(k)) if resource.has("uploadId") => {
                super::multipart::complete(self, request, &resource, &b, &k).await
            }
            (method, Some(_), _) => {
                Err(OssError::not_allowed(&format!("{method} on this resource")))
            }
        }
    }

    /// The authentication a request's head alone decides (everything but
    /// PostObject, whose credentials are in its form, and the public key):
    /// run before the body is read, so a refused upload is never buffered.
    /// A head that does not route is left to [`Service::handle`] to report.
    // spec: CB-EMU-REFUSE-EARLY
    pub(crate) fn authenticate_head(
        &self,
        method: &str,
        target: &str,
        headers: &[(String, String)],
    ) -> Result<(), OssError> {
        if method == "GET" && target == PUBLIC_KEY_PATH {
            return Ok(());
        }
        let Ok(resource) = route(headers.header("host"), target, &self.base_domain) else {
            return Ok(());
        };
        if method == "POST" && resource.key.is_none() && resource.bucket.is_some() {
            return Ok(());
        }
        self.authenticate_parts(method, headers, &resource)
    }

    /// Checks the request's signature (header or presigned, V1 or V4).
    fn authenticate(&self, request: &OssRequest, resource: &Resource) -> Result<(), OssError> {
        self.authenticate_parts(&request.method, &request.headers, resource)
    }

    // spec: CB-AUTH-V1-HEADER, CB-AUTH-V4-HEADER, CB-AUTH-V1-PRESIGN, CB-AUTH-V4-PRESIGN, CB-AUTH-MISMATCH
    fn authenticate_parts(
        &self,
        method: &str,
        headers: &[(String, String)],
        resource: &Resource,
    ) -> Result<(), OssError> {
        // Which of two signatures would be checked is ambiguous; refuse.
        // spec: CB-SIG-DUPLICATE-HEADERS
        let authorizations = headers.headers_named("authorization").count();
        if authorizations > 1 {
            return Err(OssError::invalid_argument(format!(
                "The request has {authorizations} Authorization headers; send exactly one."
            )));
        }
        let signable = SignableRequest {
            method: method.to_owned(),
            bucket: resource.bucket.clone(),
            key: resource.key.clone(),
            query: resource.query.clone(),
            headers: headers.to_vec(),
        };
        let secret_for = |ak: &str| {
            (ak == self.credentials.access_key_id)
                .then(|| self.credentials.access_key_secret.clone())
        };
        let server = ServerView {
            now: SystemTime::now(),
            region: &self.region,
        };
        match verify_request(&signable, secret_for, &server)? {
            Some(_) => Ok(()),
            None => Err(OssError::new(
                403,
                "AccessDenied",
                "AccessDenied: anonymous access is not allowed; sign the request (V1 or V4).",
            )),
        }
    }

    /// Decoding options in force.
    pub(crate) fn decode_options(&self) -> DecodeOptions {
        DecodeOptions {
            address_policy: self.address_policy,
        }
    }

    /// The callback of a PutObject or CompleteMultipartUpload request,
    /// decoded and validated before anything is stored.
    // spec: CB-OUT-VALIDATION-NO-STORE, CB-CARRIER-HEADER, CB-CARRIER-QUERY
    pub(crate) fn header_or_query_callback(
        &self,
        request: &OssRequest,
        resource: &Resource,
    ) -> Result<Option<CallbackRequest>, OssError> {
        let raw = RawCallbackParams::from_header_and_query(
            request.header(CALLBACK_HEADER),
            request.header(CALLBACK_VAR_HEADER),
            resource.param(CALLBACK_PARAM),
            resource.param(CALLBACK_VAR_PARAM),
        )?;
        Ok(match raw {
            Some(raw) => Some(raw.decode(self.decode_options())?),
            None => None,
        })
    }

    /// PutObject.
    async fn put_object(
        self: &Arc<Self>,
        request: &OssRequest,
        resource: &Resource,
        bucket: &str,
        key: &str,
    ) -> Result<OssResponse, OssError> {
        if request.header("x-oss-copy-source").is_some() {
            return Err(OssError::not_allowed("CopyObject is not emulated"));
        }
        if resource.has("append") {
            return Err(OssError::not_allowed("AppendObject is not emulated"));
        }
        if !self.store.bucket_exists(bucket) {
            return Err(OssError::no_such_bucket());
        }
        let callback = self.header_or_query_callback(request, resource)?;
        let data = request.body.clone();
        let content_md5 = checksum::content_md5(&data);
        // spec: CB-CHK-CONTENT-MD5
        if let Some(sent) = request.header("content-md5") {
            if sent.trim() != content_md5 {
                return Err(OssError::new(
                    400,
                    "InvalidDigest",
                    "The Content-MD5 you specified was invalid.",
                ));
            }
        }
        let content_type = request
            .header("content-type")
            .filter(|t| !t.is_empty())
            .unwrap_or(DEFAULT_CONTENT_TYPE)
            .to_owned();
        let upload = StoredUpload {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            etag: checksum::etag(&data),
            crc64: checksum::crc64(&data),
            size: data.len() as u64,
            content_type,
            content_md5: Some(content_md5),
            operation: "PutObject",
            data,
        };
        self.store_object(&upload, user_meta(request)).await?;
        Ok(self
            .finish_upload(request, &upload, callback, OssResponse::empty(200))
            .await)
    }

    /// Stores an upload's object.
    pub(crate) async fn store_object(
        &self,
        upload: &StoredUpload,
        user_meta: Vec<(String, String)>,
    ) -> Result<(), OssError> {
        let object = StoredObject {
            data: upload.data.clone(),
            meta: ObjectMeta {
                content_type: upload.content_type.clone(),
                etag: upload.etag.clone(),
                crc64: upload.crc64,
                last_modified: now_secs(),
                user_meta,
            },
        };
        let (bucket, key) = (upload.bucket.clone(), upload.key.clone());
        Ok(self
            .with_store(move |store| store.put_object(&bucket, &key, object))
            .await?)
    }

    /// Runs a store change: off the async workers when it touches the disk
    /// (a write ends with fsync, which can take milliseconds and would stall
    /// every connection on that worker), inline when the store is in memory.
    // spec: CB-EMU-BACKLOG
    pub(crate) async fn with_store<T: Send + 'static>(
        &self,
        change: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        if !self.store.is_persistent() {
            return change(&self.store);
        }
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || change(&store))
            .await
            .unwrap_or_else(|e| Err(StoreError::Io(std::io::Error::other(e))))
    }

    /// The answer to a stored upload: the plain answer without a callback,
    /// else the callback's outcome (200 with the receiver's body, or 203).
    // spec: CB-OUT-UPLOAD-FIRST, CB-OUT-200-BODY, CB-OUT-200-CONTENT-TYPE, CB-OUT-203, CB-OUT-MPU-REPLACE
    pub(crate) async fn finish_upload(
        &self,
        request: &OssRequest,
        upload: &StoredUpload,
        callback: Option<CallbackRequest>,
        without_callback: OssResponse,
    ) -> OssResponse {
        let mut headers = vec![
            ("ETag".to_owned(), format!("\"{}\"", upload.etag)),
            ("x-oss-hash-crc64ecma".to_owned(), upload.crc64.to_string()),
        ];
        if let Some(md5) = &upload.content_md5 {
            headers.push(("Content-MD5".to_owned(), md5.clone()));
        }
        let callback = match callback {
            Some(cb) if cb.callback.is_enabled() => cb,
            _ => {
                let mut response = without_callback;
                response.headers.extend(headers);
                return response;
            }
        };
        let result = match self.facts(request, upload, &callback) {
            Ok(facts) => {
                let body_type = callback.callback.body_type();
                let body = callback
                    .callback
                    .template
                    .expand(body_type, &facts, &callback.vars);
                self.callbacks
                    .run(
                        &callback.callback,
                        body.as_bytes(),
                        &upload.bucket,
                        &request.request_id,
                        &self.account_id,
                    )
                    .await
            }
            Err(failure) => CallbackResult::Failed(failure),
        };
        match result {
            CallbackResult::Succeeded(body) => {
                headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
                OssResponse {
                    status: 200,
                    headers,
                    body,
                }
            }
            CallbackResult::Failed(failure) => {
                let host_id = self.host_id(request, Some(&upload.bucket));
                let xml = failure
                    .to_error_document(&request.request_id, &host_id)
                    .to_xml();
                let mut response = OssResponse::xml(203, xml);
                response.headers.extend(headers);
                response
            }
        }
    }

    /// The system variables for an upload.
    fn facts(
        &self,
        request: &OssRequest,
        upload: &StoredUpload,
        callback: &CallbackRequest,
    ) -> Result<UploadFacts, cbspec_protocol::callback_outcome::CallbackFailure> {
        let image = image_info(&upload.data);
        // spec: CB-OUT-MSG-IMAGE
        let wants_image = callback.callback.template.placeholders().any(|p| {
            matches!(
                p,
                Placeholder::System(
                    SystemVariable::ImageHeight
                        | SystemVariable::ImageWidth
                        | SystemVariable::ImageFormat
                )
            )
        });
        if wants_image && image.is_none() && upload.content_type.starts_with("image/") {
            return Err(cbspec_protocol::callback_outcome::CallbackFailure::ImageInfo);
        }
        Ok(UploadFacts {
            bucket: upload.bucket.clone(),
            object: upload.key.clone(),
            etag: upload.etag.clone(),
            size: Some(upload.size),
            mime_type: upload.content_type.clone(),
            image,
            crc64: Some(upload.crc64),
            content_md5: upload.content_md5.clone().unwrap_or_default(),
            vpc_id: String::new(),
            client_ip: request.peer.ip().to_string(),
            request_id: request.request_id.clone(),
            operation: upload.operation.to_owned(),
        })
    }

    /// The HostId reported in errors: the bucket's virtual host.
    pub(crate) fn host_id(&self, request: &OssRequest, bucket: Option<&str>) -> String {
        let host = request.header("host").unwrap_or("localhost");
        let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
        match bucket {
            Some(b) if !host.starts_with(&format!("{b}.")) => format!("{b}.{host}"),
            _ => host.to_owned(),
        }
    }
}

/// Query parameters that carry authentication, not an operation.
const AUTH_PARAMS: [&str; 11] = [
    "OSSAccessKeyId",
    "Expires",
    "Signature",
    "security-token",
    "x-oss-security-token",
    "x-oss-signature-version",
    "x-oss-credential",
    "x-oss-date",
    "x-oss-expires",
    "x-oss-signature",
    "x-oss-additional-headers",
];

/// Refuses requests whose query names an operation the emulator does not
/// offer (`?acl`, `?tagging`, `?append`, ...), instead of silently treating
/// them as plain PutObject, GetObject or ListObjects. Authentication
/// parameters (presigned URLs) are allowed everywhere.
fn check_sub_resources(method: &str, resource: &Resource) -> Result<(), OssError> {
    let allowed: &[&str] = match (resource.key.is_some(), method) {
        (true, "PUT") => &[CALLBACK_PARAM, CALLBACK_VAR_PARAM, "uploadId", "partNumber"],
        (true, "POST") => &[
            CALLBACK_PARAM,
            CALLBACK_VAR_PARAM,
            "uploads",
            "uploadId",
            "encoding-type",
        ],
        (true, "GET") => &[
            "uploadId",
            "max-parts",
            "part-number-marker",
            "encoding-type",
            "versionId",
        ],
        (true, "HEAD") => &["versionId"],
        (true, "DELETE") => &["uploadId", "versionId"],
        (false, "GET") => &[
            "prefix",
            "delimiter",
            "marker",
            "max-keys",
            "list-type",
            "continuation-token",
            "start-after",
            "encoding-type",
            "fetch-owner",
        ],
        _ => &[],
    };
    match resource.query.iter().find(|(name, _)| {
        !allowed.contains(&name.as_str())
            && !AUTH_PARAMS.contains(&name.as_str())
            && !name.starts_with("response-")
    }) {
        Some((name, _)) => Err(OssError::not_allowed(&format!(
            "{method} ?{name} is not emulated"
        ))),
        None => Ok(()),
    }
}

/// The `x-oss-meta-*` headers, names lower-cased.
pub(crate) fn user_meta(request: &OssRequest) -> Vec<(String, String)> {
    request
        .headers
        .iter()
        .filter(|(n, _)| n.to_ascii_lowercase().starts_with("x-oss-meta-"))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
        .collect()
}
