//! What a handler answers: a status, headers and a body, plus the OSS error
//! type every failure is turned into.

use bytes::Bytes;

use cbspec_protocol::auth::AuthError;
use cbspec_protocol::error_document::ErrorDocument;
use cbspec_protocol::rejection::Rejection;

use super::store::StoreError;

/// A complete answer.
#[derive(Debug, Clone)]
pub struct OssResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers besides the ones every answer gets (request id, date, server).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
    /// A body streamed from storage instead of `body` (a GetObject of an
    /// object held in a file): read chunk by chunk as the client takes it.
    pub stream: Option<crate::blob::Blob>,
}

impl OssResponse {
    /// An empty answer with a status.
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Bytes::new(),
            stream: None,
        }
    }

    /// An XML answer.
    pub fn xml(status: u16, xml: String) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".into(), "application/xml".into())],
            body: Bytes::from(xml),
            stream: None,
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// An OSS error answer before the request id and host are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OssError {
    /// HTTP status (4xx; never 5xx for anything a client sent).
    pub status: u16,
    /// OSS error code.
    pub code: &'static str,
    /// Message.
    pub message: String,
    /// EC, when one is documented.
    pub ec: Option<&'static str>,
    /// ArgumentName / ArgumentValue (boxed: rare, and keeps the error small).
    pub argument: Option<Box<(String, String)>>,
    /// Further elements (`StringToSign`, `OSSAccessKeyId`, ...).
    pub extra: Vec<(String, String)>,
    /// Response headers the error answer carries besides the usual ones
    /// (`x-oss-next-append-position` on a refused append).
    pub headers: Vec<(String, String)>,
}

impl OssError {
    /// An error with a status, code and message.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            ec: None,
            argument: None,
            extra: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// 400 InvalidArgument.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(400, "InvalidArgument", message)
    }

    /// 400 InvalidObjectName, with the EC of the broken naming rule.
    // spec: CB-EMU-OBJECT-NAME
    pub fn invalid_object_name(e: cbspec_protocol::routing::KeyError) -> Self {
        let mut error = Self::new(
            400,
            "InvalidObjectName",
            format!("The specified object is not valid: {e}."),
        );
        error.ec = Some(e.ec());
        error
    }

    /// 400 InvalidDigest: the body does not match its Content-MD5.
    pub fn invalid_digest() -> Self {
        Self::new(
            400,
            "InvalidDigest",
            "The Content-MD5 you specified was invalid.",
        )
    }

    /// 416 InvalidRange, with the object's size.
    pub fn invalid_range(size: u64) -> Self {
        let mut error = Self::new(
            416,
            "InvalidRange",
            "The requested range cannot be satisfied.",
        );
        error
            .extra
            .push(("ActualObjectSize".into(), size.to_string()));
        error
    }

    /// 404 NoSuchBucket.
    pub fn no_such_bucket() -> Self {
        Self::new(404, "NoSuchBucket", "The specified bucket does not exist.")
    }

    /// 405 MethodNotAllowed for an operation the emulator does not offer.
    pub fn not_allowed(what: &str) -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            format!("The specified method is not allowed against this resource ({what})."),
        )
    }

    /// Renders the XML document.
    pub fn to_document(&self, request_id: &str, host_id: &str) -> ErrorDocument {
        ErrorDocument {
            code: self.code.to_owned(),
            message: self.message.clone(),
            request_id: request_id.to_owned(),
            host_id: host_id.to_owned(),
            argument_name: self.argument.as_ref().map(|a| a.0.clone()),
            argument_value: self.argument.as_ref().map(|a| a.1.clone()),
            ec: self.ec.map(str::to_owned),
            recommend_doc: self.ec.map(ErrorDocument::recommend_doc_for),
            extra: self.extra.clone(),
        }
    }
}

impl From<Rejection> for OssError {
    // spec: CB-ERR-400
    fn from(r: Rejection) -> Self {
        Self {
            status: r.status(),
            code: r.code(),
            message: r.message().to_owned(),
            ec: Some(r.ec()),
            argument: Some(Box::new((
                r.argument_name().to_owned(),
                r.argument_value.clone(),
            ))),
            extra: Vec::new(),
            headers: Vec::new(),
        }
    }
}

impl From<AuthError> for OssError {
    // spec: CB-AUTH-MISMATCH
    fn from(e: AuthError) -> Self {
        let mut error = Self::new(e.status(), e.code(), e.message());
        error.ec = e.ec();
        error.extra = e.extra_elements();
        if let Some(sts) = e.string_to_sign() {
            error.extra.push(("StringToSign".into(), sts.to_owned()));
        }
        if let AuthError::SignatureDoesNotMatch { access_key_id, .. }
        | AuthError::InvalidAccessKeyId { access_key_id } = &e
        {
            error
                .extra
                .push(("OSSAccessKeyId".into(), access_key_id.clone()));
        }
        error
    }
}

/// A body the emulator could not store (its spool or data directory is
/// full or unwritable): the emulator's fault, said plainly, and the upload
/// leaves nothing behind.
pub fn storage_failure(error: &std::io::Error) -> OssError {
    OssError::new(
        500,
        "InternalError",
        format!("The emulator could not store the request body: {error}. Free space in its data directory or --spill-dir, then retry."),
    )
}

impl From<StoreError> for OssError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoSuchBucket => Self::no_such_bucket(),
            StoreError::BucketNotEmpty => Self::new(409, "BucketNotEmpty", "The bucket has objects. Please delete them first."),
            StoreError::NoSuchUpload => Self::new(
                404,
                "NoSuchUpload",
                "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
            ),
            StoreError::BadConfig(path) => Self::new(500, "InternalError", format!("The emulator's bucket configuration {path} is unreadable; restore it from a backup or delete it to reset the bucket's ACL, CORS and callback policies.")),
            // The disk failing is the emulator's fault; say so plainly.
            StoreError::Io(io) => Self::new(500, "InternalError", format!("The emulator could not write its data directory: {io}")),
        }
    }
}
