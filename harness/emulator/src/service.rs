//! Request handling: authentication, dispatch to an operation, and the
//! callback step shared by every upload type.

use cbspec_protocol::headers::Headers;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::blob::Blob;
use super::callback::{CallbackResult, CallbackSender};
use super::image::image_info_of;
use super::journal::Journal;
use super::metadata::UploadMeta;
use super::operation::{identify, Level, Operation, Unsupported};
use super::response::{OssError, OssResponse};
use super::spool::Spooled;
use super::store::{BucketConfig, ObjectMeta, ObjectType, Store, StoreError, StoredObject};
use super::sts::{check_token, TemporaryCredential, TemporaryCredentials};
use super::xml::Owner;
use cbspec_protocol::auth::{verify_request, Credentials, ServerView, SignableRequest};
use cbspec_protocol::callback_url::AddressPolicy;
use cbspec_protocol::carrier::{
    CallbackRequest, RawCallbackParams, CALLBACK_HEADER, CALLBACK_PARAM, CALLBACK_VAR_HEADER,
    CALLBACK_VAR_PARAM,
};
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
    /// Temporary (STS) credentials accepted besides the long-term pair.
    pub(crate) temporary: TemporaryCredentials,
    /// How long an archived object's restore takes.
    pub(crate) restore_delay: Duration,
}

/// Where the emulator mints temporary credentials (`POST`, signed with the
/// long-term key), an AssumeRole stand-in. `_` cannot appear in a bucket
/// name, so the path never shadows a bucket.
pub const STS_PATH: &str = "/_cbspec/sts";

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
    /// The body when it is held in memory (every body up to the spool's
    /// memory limit); empty when it spilled to a file (see `payload`).
    pub body: Bytes,
    /// The body as received, with its digests: what the uploads store.
    pub payload: Spooled,
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
    pub data: Blob,
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
                stream: None,
            });
        }
        let resource = route(request.header("host"), &request.target, &self.base_domain)
            .map_err(|e| OssError::invalid_argument(e.0))?;
        if resource.bucket.as_deref() == Some("_cbspec") && resource.key.as_deref() == Some("sts") {
            return self.mint_temporary_credentials(request, &resource);
        }
        let level = match (&resource.bucket, &resource.key) {
            (None, _) => Level::Service,
            (Some(_), None) => Level::Bucket,
            (Some(_), Some(_)) => Level::Object,
        };
        if request.method == "OPTIONS" {
            // Browsers send preflights without credentials.
            let bucket = resource
                .bucket
                .as_deref()
                .ok_or_else(|| OssError::not_allowed("OPTIONS on the service"))?;
            return super::cors::preflight(self, request, bucket);
        }
        let identified = identify(
            &request.method,
            level,
            &resource.query,
            request.header("x-oss-copy-source").is_some(),
        );
        if identified == Ok(Operation::PostObject) {
            // PostObject authenticates with its form, not with headers.
            return super::post_object::post_object(self, request, &resource).await;
        }
        self.authenticate(request, &resource)?;
        let operation = identified.map_err(|unsupported| match unsupported {
            Unsupported::SubResource(sub) => {
                OssError::not_allowed(&format!("{} ?{sub} is not emulated", request.method))
            }
            Unsupported::Method => {
                OssError::not_allowed(&format!("{} on this resource", request.method))
            }
        })?;
        if let Some(key) = &resource.key {
            check_object_key(key).map_err(OssError::invalid_object_name)?;
        }
        // Only the uploads take a body too large for memory; every other
        // body is an XML document OSS bounds far below the spool limit.
        let takes_large_body = matches!(
            operation,
            Operation::PutObject | Operation::UploadPart | Operation::AppendObject
        );
        if request.payload.blob.is_file() && !takes_large_body {
            return Err(OssError::invalid_argument(format!(
                "The request body of {} bytes is too large for this operation; only object and part uploads take bodies over {} bytes.",
                request.payload.digests().len,
                self.store.spool_settings().memory_limit
            )));
        }
        let bucket = resource.bucket.clone().unwrap_or_default();
        let key = resource.key.clone().unwrap_or_default();
        self.dispatch(operation, request, &resource, &bucket, &key)
            .await
    }

    /// Runs an identified, authenticated operation.
    async fn dispatch(
        self: &Arc<Self>,
        operation: Operation,
        request: &OssRequest,
        resource: &Resource,
        b: &str,
        k: &str,
    ) -> Result<OssResponse, OssError> {
        use super::{
            append, bucket_info, buckets, callback_policy, copy, cors, delete_multiple, multipart,
            object_config, objects,
        };
        use Operation::*;
        match operation {
            ListBuckets => bucket_info::list_buckets(self, request, resource),
            PutBucket => buckets::put_bucket(self, request, b).await,
            DeleteBucket => buckets::delete_bucket(self, b).await,
            HeadBucket => buckets::head_bucket(self, b),
            ListObjects => buckets::list_objects(self, b, resource),
            PostObject => super::post_object::post_object(self, request, resource).await,
            DeleteMultipleObjects => {
                delete_multiple::delete_multiple(self, request, resource, b).await
            }
            PutBucketAcl => object_config::put_bucket_acl(self, request, b).await,
            GetBucketAcl => object_config::get_bucket_acl(self, b),
            PutBucketCors => cors::put_bucket_cors(self, request, b).await,
            GetBucketCors => cors::get_bucket_cors(self, b),
            DeleteBucketCors => cors::delete_bucket_cors(self, b).await,
            PutBucketCallbackPolicy => callback_policy::put_policies(self, request, b).await,
            GetBucketCallbackPolicy => callback_policy::get_policies(self, b),
            DeleteBucketCallbackPolicy => callback_policy::delete_policies(self, b).await,
            GetBucketInfo => bucket_info::get_bucket_info(self, request, b),
            GetBucketLocation => bucket_info::get_bucket_location(self, b),
            GetBucketStat => bucket_info::get_bucket_stat(self, b),
            ListMultipartUploads => multipart::list_uploads(self, resource, b),
            PutObject => self.put_object(request, resource, b, k).await,
            CopyObject => copy::copy_object(self, request, b, k).await,
            GetObject => objects::get_object(self, request, resource, b, k, true),
            HeadObject => objects::get_object(self, request, resource, b, k, false),
            GetObjectMeta => objects::get_object_meta(self, b, k),
            DeleteObject => objects::delete_object(self, b, k).await,
            AppendObject => append::append_object(self, request, resource, b, k).await,
            RestoreObject => object_config::restore_object(self, request, b, k).await,
            PutObjectAcl => object_config::put_object_acl(self, request, b, k).await,
            GetObjectAcl => object_config::get_object_acl(self, b, k),
            PutObjectTagging => object_config::put_object_tagging(self, request, b, k).await,
            GetObjectTagging => object_config::get_object_tagging(self, b, k),
            DeleteObjectTagging => object_config::delete_object_tagging(self, b, k).await,
            PutSymlink => object_config::put_symlink(self, request, b, k).await,
            GetSymlink => object_config::get_symlink(self, b, k),
            InitiateMultipartUpload => multipart::initiate(self, request, resource, b, k),
            UploadPart => multipart::upload_part(self, request, resource, b, k),
            UploadPartCopy => copy::upload_part_copy(self, request, resource, b, k).await,
            CompleteMultipartUpload => multipart::complete(self, request, resource, b, k).await,
            AbortMultipartUpload => multipart::abort(self, resource, b, k),
            ListParts => multipart::list_parts(self, resource, b, k),
        }
    }

    /// `POST /_cbspec/sts[?duration-seconds=N]`, signed with the long-term
    /// key: a fresh temporary credential as JSON, in the shape of STS
    /// AssumeRole's answer.
    fn mint_temporary_credentials(
        &self,
        request: &OssRequest,
        resource: &Resource,
    ) -> Result<OssResponse, OssError> {
        if request.method != "POST" {
            return Err(OssError::not_allowed("only POST mints credentials"));
        }
        let who = self.authenticate(request, resource)?;
        if who != self.credentials.access_key_id {
            return Err(OssError::new(
                403,
                "AccessDenied",
                "Temporary credentials are minted with the long-term AccessKey only.",
            ));
        }
        let seconds = match resource.param("duration-seconds") {
            None => 3600,
            Some(text) => match text.parse::<u64>() {
                Ok(n) if (1..=43_200).contains(&n) => n,
                _ => {
                    return Err(OssError::invalid_argument(
                        "duration-seconds must be an integer from 1 to 43200.",
                    ))
                }
            },
        };
        let credential = TemporaryCredential::mint(Duration::from_secs(seconds));
        self.temporary.insert(credential.clone());
        let body = serde_json::json!({
            "RequestId": request.request_id,
            "Credentials": {
                "AccessKeyId": credential.access_key_id,
                "AccessKeySecret": credential.access_key_secret,
                "SecurityToken": credential.security_token,
                "Expiration": credential.expiration_text(),
            }
        });
        Ok(OssResponse {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Bytes::from(body.to_string()),
            stream: None,
        })
    }

    /// The authentication a request's head alone decides (everything but
    /// PostObject, whose credentials are in its form, preflights and the
    /// public key): run before the body is read, so a refused upload is
    /// never buffered. A head that does not route is left to
    /// [`Service::handle`] to report.
    // spec: CB-EMU-REFUSE-EARLY
    pub(crate) fn authenticate_head(
        &self,
        method: &str,
        target: &str,
        headers: &[(String, String)],
    ) -> Result<(), OssError> {
        if (method == "GET" && target == PUBLIC_KEY_PATH) || method == "OPTIONS" {
            return Ok(());
        }
        let Ok(resource) = route(headers.header("host"), target, &self.base_domain) else {
            return Ok(());
        };
        if method == "POST" && resource.key.is_none() && resource.bucket.is_some() {
            return Ok(());
        }
        self.authenticate_parts(method, headers, &resource)
            .map(|_| ())
    }

    /// Checks the request's signature (header or presigned, V1 or V4);
    /// returns the AccessKeyId that signed it.
    fn authenticate(&self, request: &OssRequest, resource: &Resource) -> Result<String, OssError> {
        self.authenticate_parts(&request.method, &request.headers, resource)
    }

    /// The secret of a long-term or temporary AccessKeyId.
    pub(crate) fn secret_for(&self, access_key_id: &str) -> Option<String> {
        if access_key_id == self.credentials.access_key_id {
            return Some(self.credentials.access_key_secret.clone());
        }
        self.temporary
            .get(access_key_id)
            .map(|c| c.access_key_secret)
    }

    /// After a signature matched: a temporary key needs its token, which
    /// must be current; a long-term key must come without one.
    // spec: CB-EMU-STS
    pub(crate) fn check_security_token(
        &self,
        access_key_id: &str,
        token: Option<&str>,
    ) -> Result<(), OssError> {
        check_token(
            self.temporary.get(access_key_id).as_ref(),
            access_key_id,
            token,
            SystemTime::now(),
        )
    }

    // spec: CB-AUTH-V1-HEADER, CB-AUTH-V4-HEADER, CB-AUTH-V1-PRESIGN, CB-AUTH-V4-PRESIGN, CB-AUTH-MISMATCH
    fn authenticate_parts(
        &self,
        method: &str,
        headers: &[(String, String)],
        resource: &Resource,
    ) -> Result<String, OssError> {
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
        let server = ServerView {
            now: SystemTime::now(),
            region: &self.region,
        };
        match verify_request(&signable, |ak| self.secret_for(ak), &server)? {
            Some(authenticated) => {
                let token = headers
                    .header("x-oss-security-token")
                    .or(resource.param("security-token"))
                    .or(resource.param("x-oss-security-token"));
                self.check_security_token(&authenticated.access_key_id, token)?;
                Ok(authenticated.access_key_id)
            }
            None => Err(OssError::new(
                403,
                "AccessDenied",
                "AccessDenied: anonymous access is not allowed; sign the request (V1 or V4).",
            )),
        }
    }

    /// The owner reported in ACLs, listings and bucket info.
    pub(crate) fn owner(&self) -> Owner {
        Owner {
            id: self.account_id.clone(),
            display_name: self.account_id.clone(),
        }
    }

    /// Changes a bucket's configuration (off the async workers when it
    /// touches the disk).
    pub(crate) async fn modify_bucket_config(
        &self,
        bucket: &str,
        change: impl FnOnce(&mut BucketConfig) -> Result<(), OssError> + Send + 'static,
    ) -> Result<(), OssError> {
        let bucket = bucket.to_owned();
        self.with_store_result(move |store| store.modify_bucket_config(&bucket, change))
            .await
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
        self.decode_callback(raw, resource.bucket.as_deref().unwrap_or_default())
    }

    /// Decodes a request's callback, first replacing a reference to a
    /// bucket callback policy with the policy.
    // spec: CB-POLICY-REFERENCE
    pub(crate) fn decode_callback(
        &self,
        raw: Option<RawCallbackParams>,
        bucket: &str,
    ) -> Result<Option<CallbackRequest>, OssError> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        let raw = super::callback_policy::resolve(self, bucket, raw)?;
        Ok(Some(raw.decode(self.decode_options())?))
    }

    /// PutObject.
    async fn put_object(
        self: &Arc<Self>,
        request: &OssRequest,
        resource: &Resource,
        bucket: &str,
        key: &str,
    ) -> Result<OssResponse, OssError> {
        if !self.store.bucket_exists(bucket) {
            return Err(OssError::no_such_bucket());
        }
        let callback = self.header_or_query_callback(request, resource)?;
        let meta = UploadMeta::from_headers(&request.headers)?;
        // Hashed once: on the way for a spilled body, here for one in memory.
        let digests = request.payload.digests();
        let content_md5 = digests.content_md5();
        check_content_md5(request, &content_md5)?;
        let content_type = super::metadata::content_type_of(&request.headers);
        let upload = StoredUpload {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            etag: digests.etag(),
            crc64: digests.crc64,
            size: digests.len,
            content_type,
            content_md5: Some(content_md5),
            operation: "PutObject",
            data: request.payload.blob.clone(),
        };
        self.store_object(&upload, meta, ObjectType::Normal).await?;
        Ok(self
            .finish_upload(request, &upload, callback, OssResponse::empty(200))
            .await)
    }

    /// Stores an upload's object.
    /// Stores an upload's object; with `x-oss-forbid-overwrite` the check
    /// that none exists and the write happen under one store lock.
    pub(crate) async fn store_object(
        &self,
        upload: &StoredUpload,
        upload_meta: UploadMeta,
        object_type: ObjectType,
    ) -> Result<(), OssError> {
        let forbid_overwrite = upload_meta.forbid_overwrite;
        let mut meta = ObjectMeta::new(
            upload.content_type.clone(),
            upload.etag.clone(),
            upload.crc64,
        );
        upload_meta.apply(&mut meta);
        meta.object_type = object_type;
        let object = StoredObject {
            data: upload.data.clone(),
            meta,
        };
        let (bucket, key) = (upload.bucket.clone(), upload.key.clone());
        self.with_store_result(move |store| {
            store.modify_object(&bucket, &key, |current| {
                if forbid_overwrite && current.is_some() {
                    return Err(OssError::new(
                        409,
                        "FileAlreadyExists",
                        "The object you specified already exists and can not be overwritten.",
                    ));
                }
                Ok((Some(object), ()))
            })
        })
        .await
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

    /// [`Service::with_store`] for a change that decides with OSS errors.
    pub(crate) async fn with_store_result<T: Send + 'static>(
        &self,
        change: impl FnOnce(&Store) -> Result<T, OssError> + Send + 'static,
    ) -> Result<T, OssError> {
        if !self.store.is_persistent() {
            return change(&self.store);
        }
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || change(&store))
            .await
            .unwrap_or_else(|e| Err(StoreError::Io(std::io::Error::other(e)).into()))
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
                    stream: None,
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
        let image = image_info_of(&upload.data);
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

/// A sent `Content-MD5` must be the Base64 MD5 of the body (`content_md5`).
// spec: CB-CHK-CONTENT-MD5
pub(crate) fn check_content_md5(request: &OssRequest, content_md5: &str) -> Result<(), OssError> {
    match request.header("content-md5") {
        Some(sent) if sent.trim() != content_md5 => Err(OssError::invalid_digest()),
        _ => Ok(()),
    }
}
