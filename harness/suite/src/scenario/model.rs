//! The scenario model, as written in `scenarios/*.toml` (format documented
//! in `scenarios/README.md`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One file: a list of `[[scenario]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// The scenarios, in file order.
    #[serde(default)]
    pub scenario: Vec<toml::Spanned<Scenario>>,
}

/// One scripted upload and what must happen.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Stable, meaningful id, e.g. `put/header/form/basic`.
    pub id: String,
    /// One line for people.
    pub title: String,
    /// Requirement IDs from `spec/requirements.md` this scenario checks.
    pub requirements: Vec<String>,
    /// Free-form tags for `--tag`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Target capabilities the scenario relies on (see [`Need`]).
    #[serde(default)]
    pub needs: Vec<Need>,
    /// The upload.
    pub upload: Upload,
    /// The callback configuration; absent means no callback parameters.
    pub callback: Option<Callback>,
    /// Custom variables.
    pub vars: Option<Vars>,
    /// A bucket callback policy stored before the upload (and checked,
    /// then deleted, after it).
    pub callback_policy: Option<CallbackPolicySetup>,
    /// Bucket CORS rules put before the upload and deleted after it.
    pub bucket_cors: Option<BucketCorsSetup>,
    /// What the capture server answers, by scenario-relative path.
    #[serde(default)]
    pub answer: Vec<AnswerSpec>,
    /// Expectations.
    pub expect: Expect,
}

/// Something only some targets offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Need {
    /// Callbacks to loopback addresses (the capture server runs locally).
    PrivateCallbacks,
    /// A callback timeout shorter than the real 5 s (the emulator's knob).
    ShortTimeout,
    /// HTTPS callbacks to a name the target resolves to the capture server
    /// and a certificate it trusts.
    TlsCapture,
    /// The target refuses private callback addresses (production rules).
    ProductionRules,
    /// The target reaches the capture server at a loopback or private
    /// address (so that production rules refuse it).
    PrivateCapture,
    /// Bucket callback policies (`?policy&comp=callback`).
    CallbackPolicies,
    /// Temporary (STS) credentials the runner can sign with.
    TemporaryCredentials,
    /// Bucket CORS rules (`?cors`) and preflights.
    Cors,
}

/// The upload operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// PutObject with header authentication.
    Put,
    /// PostObject with a signed policy.
    Post,
    /// Initiate, UploadPart × n, CompleteMultipartUpload (callback on complete).
    Multipart,
    /// PutObject through a V1 presigned URL.
    PresignV1,
    /// PutObject through a V4 presigned URL.
    PresignV4,
}

impl Operation {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Put => "PutObject",
            Operation::Post => "PostObject",
            Operation::Multipart => "CompleteMultipartUpload",
            Operation::PresignV1 => "presigned PUT V1",
            Operation::PresignV4 => "presigned PUT V4",
        }
    }

    /// Where the callback parameters go when the scenario does not say: the
    /// query of a presigned URL, a PostObject's form, headers otherwise.
    pub fn default_carrier(self) -> CarrierChoice {
        match self {
            Operation::PresignV1 | Operation::PresignV4 => CarrierChoice::Query,
            Operation::Post => CarrierChoice::Form,
            Operation::Put | Operation::Multipart => CarrierChoice::Header,
        }
    }
}

/// Header authentication version.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Deserialize, Serialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum AuthVersion {
    /// HMAC-SHA1.
    #[default]
    V1,
    /// OSS4-HMAC-SHA256.
    V4,
}

impl AuthVersion {
    /// `v1` or `v4`, as profiles write it.
    pub fn word(self) -> &'static str {
        match self {
            AuthVersion::V1 => "v1",
            AuthVersion::V4 => "v4",
        }
    }
}

impl Need {
    /// The need as scenario files write it.
    pub fn word(self) -> &'static str {
        match self {
            Need::PrivateCallbacks => "private-callbacks",
            Need::ShortTimeout => "short-timeout",
            Need::TlsCapture => "tls-capture",
            Need::ProductionRules => "production-rules",
            Need::PrivateCapture => "private-capture",
            Need::CallbackPolicies => "callback-policies",
            Need::TemporaryCredentials => "temporary-credentials",
            Need::Cors => "cors",
        }
    }
}

/// Where the callback parameters go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CarrierChoice {
    /// `x-oss-callback` / `x-oss-callback-var` headers.
    Header,
    /// `callback` / `callback-var` query parameters.
    Query,
    /// PostObject form fields.
    Form,
    /// Header and query at once (the conflict cases).
    HeaderAndQuery,
}

/// The upload.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upload {
    /// Which operation.
    pub operation: Operation,
    /// Auth version for header-signed and POST uploads.
    #[serde(default)]
    pub auth: AuthVersion,
    /// Carrier; default: header (put, multipart), query (presign), form (post).
    pub carrier: Option<CarrierChoice>,
    /// Object key, unique across the suite.
    pub key: String,
    /// Content as text.
    #[serde(default)]
    pub content: String,
    /// Content from a file under `scenarios/` (replaces `content`).
    pub content_file: Option<String>,
    /// Bytes of `pad_byte` placed before `content` (for 100 KiB parts).
    #[serde(default)]
    pub pad: usize,
    /// The padding byte, as a one-character string (default `a`).
    pub pad_byte: Option<PadByte>,
    /// Multipart part size (default 102400).
    pub part_size: Option<usize>,
    /// Content-Type sent with the upload.
    pub content_type: Option<String>,
    /// Extra request headers (or PostObject fields for `post`); a multipart
    /// upload sends them on Initiate and Complete.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Extra PostObject form fields, placed before the callback.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Extra POST policy conditions (a JSON array text); `{callback}` stands
    /// for the callback field's value, to pin it.
    pub policy_conditions: Option<String>,
    /// Sign with a wrong secret, to see the endpoint refuse the signature.
    #[serde(default)]
    pub wrong_secret: bool,
    /// Sign with the long-term pair (default) or the temporary credential.
    #[serde(default)]
    pub credentials: CredentialChoice,
    /// Multipart: send the callback parameters on Initiate and every
    /// UploadPart as well as on Complete.
    #[serde(default)]
    pub callback_on_every_request: bool,
}

impl Upload {
    /// The signing version the upload is made with: a presigned URL's own,
    /// or `auth` for header-signed and POST uploads.
    pub fn signing(&self) -> AuthVersion {
        match self.operation {
            Operation::PresignV1 => AuthVersion::V1,
            Operation::PresignV4 => AuthVersion::V4,
            _ => self.auth,
        }
    }

    /// The carrier this upload uses: the scenario's, or the operation's default.
    pub fn effective_carrier(&self) -> CarrierChoice {
        self.carrier
            .unwrap_or_else(|| self.operation.default_carrier())
    }

    /// The multipart part size: the scenario's, or 100 KiB, OSS's minimum
    /// for every part but the last.
    pub fn effective_part_size(&self) -> usize {
        self.part_size.unwrap_or(102_400).max(1)
    }
}

/// A bucket callback policy a scenario stores first: PutBucketCallbackPolicy
/// with this name, callback and variables; the upload names it with
/// `{"callbackPolicy":"<name>"}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackPolicySetup {
    /// `PolicyName`.
    pub name: String,
    /// The policy's callback, in the shape of `[scenario.callback]`.
    pub callback: Callback,
    /// The policy's `CallbackVar`.
    pub vars: Option<Vars>,
}

/// CORS rules a scenario puts on the bucket first (PutBucketCors), and
/// the preflight the runner then sends and judges.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketCorsSetup {
    /// The `CORSConfiguration` document, as sent.
    pub xml: String,
    /// A preflight to send before the upload: `Origin`,
    /// `Access-Control-Request-Method` and `-Headers`, and what must come back.
    pub preflight: Option<Preflight>,
}

/// An `OPTIONS` request and the answer it must get.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preflight {
    /// `Origin`.
    pub origin: String,
    /// `Access-Control-Request-Method`.
    pub method: String,
    /// `Access-Control-Request-Headers`, if any.
    pub headers: Option<String>,
    /// Expected status.
    pub status: u16,
    /// Answer headers that must have these values (names lower-case).
    #[serde(default)]
    pub expect_headers: BTreeMap<String, String>,
}

/// Whose key signs the upload.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialChoice {
    /// The long-term AccessKey pair.
    #[default]
    LongTerm,
    /// The target's temporary (STS) credential, its token sent with the
    /// upload (`needs = ["temporary-credentials"]`).
    Temporary,
}

/// The callback configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Callback {
    /// URLs: `capture:/path`, `captures:/path` (HTTPS, SNI name
    /// `cb.example.test`), `refused:/path` (a closed port), or a literal URL.
    #[serde(default)]
    pub urls: Vec<CallbackTarget>,
    /// Separator override for the joined list (default `;`); `trailing-semicolon` adds one.
    #[serde(default)]
    pub trailing_semicolon: bool,
    /// `callbackHost`.
    pub host: Option<String>,
    /// `callbackBody`.
    pub body: Option<String>,
    /// `callbackBodyType`: `form`, `json`, or a literal value.
    pub body_type: Option<String>,
    /// `callbackSNI`.
    pub sni: Option<bool>,
    /// Further JSON fields (unknown fields, wrong types), added as given.
    #[serde(default)]
    pub extra: BTreeMap<String, toml::Value>,
    /// Raw JSON text instead of the structured fields; `{capture}` becomes
    /// the scenario's capture URL base.
    pub json: Option<String>,
    /// Raw value sent as the parameter, not encoded at all.
    pub raw: Option<String>,
}

/// Custom variables.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vars {
    /// Name → value, in order.
    #[serde(default)]
    pub values: Vec<(String, String)>,
    /// Raw JSON text instead of `values`.
    pub json: Option<String>,
    /// Raw value sent as the parameter, not encoded.
    pub raw: Option<String>,
}

/// What the capture server answers on one path.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerSpec {
    /// Scenario-relative path, e.g. `/cb`.
    pub path: String,
    /// Status (default 200).
    pub status: Option<u16>,
    /// Body (default `{"Status":"OK"}`).
    pub body: Option<String>,
    /// Delay before answering, in milliseconds.
    pub delay_ms: Option<u64>,
    /// Prefix the body with a UTF-8 BOM.
    #[serde(default)]
    pub bom: bool,
    /// Send no Content-Length (chunked).
    #[serde(default)]
    pub chunked: bool,
    /// Answer a JSON string body of this many bytes.
    pub oversize: Option<usize>,
    /// Close the connection without answering.
    #[serde(default)]
    pub reset: bool,
}

/// What must be observed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Upload answer status.
    pub status: u16,
    /// Exact upload answer body.
    pub body: Option<String>,
    /// Error document Code.
    pub code: Option<String>,
    /// Error document Message.
    pub message: Option<String>,
    /// Error document EC.
    pub ec: Option<String>,
    /// Error document ArgumentName.
    pub argument_name: Option<String>,
    /// Error document ArgumentValue.
    pub argument_value: Option<String>,
    /// Callback requests, in arrival order; the count must match exactly.
    #[serde(default)]
    pub callback: Vec<ExpectedCallback>,
    /// The stored object, read back after the upload.
    pub object: Option<ExpectedObject>,
    /// Answer headers that must have these values (names lower-case).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// One callback request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedCallback {
    /// Scenario-relative path.
    pub path: String,
    /// Raw query including `?` (default none).
    #[serde(default)]
    pub query: String,
    /// `Host` header; `{capture}` / `{captures}` stand for the listener's host:port.
    pub host: Option<String>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// Exact body; `{bucket}`, `{request_id}`, `{client_ip}` stand for per-run values.
    pub body: Option<String>,
    /// Further headers that must have these values.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// `valid` (default), `invalid` or `any`.
    #[serde(default)]
    pub signature: SignatureExpectation,
    /// SNI seen: a name, or `""` for none.
    pub sni: Option<String>,
    /// Headers whose value must be an RFC 1123 GMT date (`Date`).
    #[serde(default)]
    pub http_date_headers: Vec<String>,
}

/// The stored object.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedObject {
    /// Whether a GET finds it.
    pub stored: bool,
    /// Size in bytes.
    pub size: Option<u64>,
    /// ETag without quotes.
    pub etag: Option<String>,
    /// `x-oss-hash-crc64ecma`.
    pub crc64: Option<String>,
    /// Stored Content-Type.
    pub content_type: Option<String>,
}

/// Where a scenario's callback URL points: the capture server's HTTP or
/// HTTPS listener, a closed port, or a literal URL written as is.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum CallbackTarget {
    /// `capture:/path`: the HTTP listener, under the scenario's prefix.
    Capture(String),
    /// `captures:/path`: the HTTPS listener by its test name, under the prefix.
    CaptureTls(String),
    /// `refused:/path`: a port where nothing listens.
    Refused(String),
    /// Any other text without `://`, or an `http://` / `https://` URL: sent as written.
    Literal(String),
}

impl TryFrom<String> for CallbackTarget {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        type Kind = fn(String) -> CallbackTarget;
        let kinds: [(&str, Kind); 3] = [
            ("capture:", CallbackTarget::Capture),
            ("captures:", CallbackTarget::CaptureTls),
            ("refused:", CallbackTarget::Refused),
        ];
        for (prefix, kind) in kinds {
            if let Some(path) = text.strip_prefix(prefix) {
                return if path.starts_with('/') {
                    Ok(kind(path.to_owned()))
                } else {
                    Err(format!(
                        "{text:?}: the path after {prefix} must start with '/'"
                    ))
                };
            }
        }
        if text.starts_with("http://") || text.starts_with("https://") || !text.contains("://") {
            Ok(CallbackTarget::Literal(text))
        } else {
            Err(format!(
                "{text:?}: use capture:/path, captures:/path, refused:/path or a literal URL"
            ))
        }
    }
}

/// What a caught callback's signature must be.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureExpectation {
    /// It verifies (the default).
    #[default]
    Valid,
    /// It does not verify.
    Invalid,
    /// Not judged.
    Any,
}

/// One padding byte, written as a one-character ASCII string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct PadByte(pub u8);

impl TryFrom<String> for PadByte {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        match text.as_bytes() {
            [byte] if byte.is_ascii() => Ok(PadByte(*byte)),
            _ => Err(format!("{text:?} must be one ASCII character")),
        }
    }
}
