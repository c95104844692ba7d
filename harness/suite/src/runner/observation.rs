//! What a scenario run observed: the upload's answer, the callbacks the
//! capture server caught, what an SDK handed its caller, and the mismatches
//! found. Plain data shared by the judges (`judge`, `driver::sent`,
//! `driver::surfaced`), the transcript and the reports, so none of them
//! depends on another.

use std::fmt;

use cbspec_protocol::error_document::ErrorDocument;
use cbspec_protocol::headers::Headers;
use serde_json::Value;

use crate::scenario::Level;

/// One callback request as the capture server saw it, relative to the
/// scenario's path prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedCallback {
    /// Method.
    pub method: String,
    /// Path relative to the scenario prefix.
    pub path: String,
    /// Raw query with `?`, or empty.
    pub query: String,
    /// Headers in arrival order.
    pub headers: Vec<(String, String)>,
    /// Raw body.
    pub body: Vec<u8>,
    /// Whether the signature verified, and the verdict text.
    pub signature_valid: bool,
    /// The signature verdict, for people.
    pub signature_detail: String,
    /// SNI, if the request came over TLS with one.
    pub sni: Option<String>,
    /// Whether it came over TLS.
    pub tls: bool,
}

impl ObservedCallback {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.header(name)
    }
}

/// A plain HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedAnswer {
    /// Status.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl ObservedAnswer {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.header(name)
    }
}

/// Everything one scenario run observed.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    /// The upload's answer (`None` when the request itself failed).
    pub answer: Option<ObservedAnswer>,
    /// Why the upload could not be made, if it could not.
    pub transport_error: Option<String>,
    /// What went wrong below HTTP, when the native client could tell.
    pub transport_cause: Option<cbspec_client::TransportCause>,
    /// Callback requests, in arrival order.
    pub callbacks: Vec<ObservedCallback>,
    /// The GET after the upload, when the scenario checks the object.
    pub object: Option<ObservedAnswer>,
    /// Set when the driver could not express the upload.
    pub unsupported: Option<String>,
    /// What an SDK driver handed its caller, when the driver is one.
    pub surfaced: Option<SurfacedAnswer>,
    /// Differences found beside the upload's answer: in what an SDK sent and
    /// how it surfaced the answer, and in a scenario's bucket setup (a
    /// callback policy stored, read back and deleted).
    pub sdk_mismatches: Vec<Mismatch>,
}

/// Per-run values substituted for tokens in expected values.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    /// `{bucket}`.
    pub bucket: String,
    /// `{capture}`: host:port of the HTTP capture listener as the target sees it.
    pub capture: String,
    /// `{captures}`: host:port of the HTTPS capture listener, by name.
    pub captures: String,
    /// `{tls_name}`: the name HTTPS callbacks use (their expected SNI).
    pub tls_name: String,
    /// `{client_ip}`: the uploader address the endpoint reports, when the
    /// profile declares it.
    pub client_ip: Option<String>,
}

/// What `{client_ip}` expands to when the endpoint's view of the uploader is
/// unknown: no endpoint sends it, so the value is always a mismatch, which
/// the verdict then records as `info` (see `attribution`).
pub const UNKNOWN_CLIENT_IP: &str = "<client-ip-unknown>";

impl Tokens {
    /// `text` with every token replaced by this run's value.
    pub fn apply(&self, text: &str, request_id: &str) -> String {
        text.replace("{bucket}", &self.bucket)
            .replace("{captures}", &self.captures)
            .replace("{capture}", &self.capture)
            .replace("{tls_name}", &self.tls_name)
            .replace(
                "{client_ip}",
                self.client_ip.as_deref().unwrap_or(UNKNOWN_CLIENT_IP),
            )
            .replace("{request_id}", request_id)
    }
}

/// One difference between expected and observed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// What was compared, e.g. `callback[0].body`.
    pub what: String,
    /// Expected value.
    pub expected: String,
    /// Observed value.
    pub observed: String,
    /// The requirement this difference breaks. The SDK checks name theirs
    /// when they find it; [`super::attribution`] names it for the rest.
    pub requirement: Option<String>,
    /// That requirement's level, once attributed.
    pub level: Option<Level>,
    /// Why the expected value cannot be known for this endpoint (e.g. the
    /// profile declares its view of the client IP unknown): such a
    /// difference is recorded as `info`, never judged.
    pub unknowable: Option<String>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, observed {}{}",
            self.what,
            self.expected,
            self.observed,
            self.requirement_tag()
        )
    }
}

impl Mismatch {
    /// ` [CB-X MUST]`: the requirement the mismatch breaks and its level,
    /// then why it is only recorded when it is; empty when it names none.
    pub fn requirement_tag(&self) -> String {
        let mut out = match (&self.requirement, self.level) {
            (Some(id), Some(level)) => format!(" [{id} {level}]"),
            (Some(id), None) => format!(" [{id}]"),
            _ => String::new(),
        };
        if let Some(why) = &self.unknowable {
            out.push_str(&format!(" (recorded only: {why})"));
        }
        out
    }

    /// A difference that breaks `requirement` rather than the scenario's own.
    pub fn of(requirement: &str, what: &str, expected: String, observed: String) -> Self {
        Mismatch {
            what: what.to_owned(),
            expected,
            observed,
            requirement: Some(requirement.to_owned()),
            level: None,
            unknowable: None,
        }
    }
}

/// What the SDK handed its caller as its answer's body.
#[derive(Debug, Clone, PartialEq)]
pub enum SurfacedBody {
    /// The SDK gave no body.
    None,
    /// The body as text.
    Text(String),
    /// Only an already parsed JSON value.
    Json(Value),
}

/// The error fields an SDK exposed; `None` for each it does not expose.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SurfacedError {
    /// `Code`.
    pub code: Option<String>,
    /// `Message`.
    pub message: Option<String>,
    /// `EC`.
    pub ec: Option<String>,
    /// `RequestId`.
    pub request_id: Option<String>,
    /// `ArgumentName`.
    pub argument_name: Option<String>,
    /// `ArgumentValue`.
    pub argument_value: Option<String>,
}

/// What an SDK handed its caller, as its adapter reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct SurfacedAnswer {
    /// The status the SDK reported (`None` when it does not expose one).
    pub status: Option<u16>,
    /// Whether the SDK signalled failure.
    pub raised: bool,
    /// Response headers the SDK exposed.
    pub headers: Vec<(String, String)>,
    /// The body it gave.
    pub body: SurfacedBody,
    /// The error fields it exposed, if it reported an error.
    pub error: Option<SurfacedError>,
}

impl SurfacedAnswer {
    /// The answer as the SDK shows it, for targets without a journal: an
    /// error the SDK raised becomes the error document its fields describe.
    pub fn as_observed(&self) -> ObservedAnswer {
        let body = match (&self.body, &self.error) {
            (SurfacedBody::Text(text), _) => text.clone().into_bytes(),
            (SurfacedBody::Json(value), _) => value.to_string().into_bytes(),
            (SurfacedBody::None, Some(error)) => ErrorDocument {
                code: error.code.clone().unwrap_or_default(),
                message: error.message.clone().unwrap_or_default(),
                request_id: error.request_id.clone().unwrap_or_default(),
                host_id: String::new(),
                argument_name: error.argument_name.clone(),
                argument_value: error.argument_value.clone(),
                ec: error.ec.clone(),
                recommend_doc: None,
                extra: Vec::new(),
            }
            .to_xml()
            .into_bytes(),
            (SurfacedBody::None, None) => Vec::new(),
        };
        ObservedAnswer {
            // 0 stands for "not exposed": no expected status matches it.
            status: self.status.unwrap_or(0),
            headers: self.headers.clone(),
            body,
        }
    }
}
