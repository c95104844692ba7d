//! Judging an SDK: what it put on the wire (from the emulator's journal)
//! and what it handed its caller (from the adapter's result). Pure: no I/O.
//!
//! Every mismatch found here names the requirement it breaks, so a run can
//! tell an SDK's deviation from the endpoint's and an expectation file can
//! list a known deviation by requirement (drivers/PROTOCOL.md §4).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};
use serde_json::{Map, Value};

use super::judge::{Mismatch, ObservedAnswer};
use crate::emulator::{route, RequestRecord};
use crate::protocol::error_document::ErrorDocument;
use crate::scenario::{CarrierChoice, Operation};

/// The callback as a caller gives it to an SDK that builds the JSON itself.
#[derive(Debug, Clone, PartialEq)]
pub struct CallbackFields {
    /// `callbackUrl`, several URLs joined by `;`.
    pub url: String,
    /// `callbackHost`.
    pub host: Option<String>,
    /// `callbackBody`.
    pub body: Option<String>,
    /// `callbackBodyType`, as the full media type.
    pub body_type: Option<String>,
    /// `callbackSNI`.
    pub sni: Option<bool>,
    /// Any other members the scenario adds.
    pub extra: Map<String, Value>,
}

impl CallbackFields {
    /// The JSON object cbspec's native client sends, members in the order
    /// the official documentation lists them.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("callbackUrl".into(), Value::from(self.url.clone()));
        let optional = [
            ("callbackHost", self.host.clone().map(Value::from)),
            ("callbackBody", self.body.clone().map(Value::from)),
            ("callbackBodyType", self.body_type.clone().map(Value::from)),
            ("callbackSNI", self.sni.map(Value::from)),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                map.insert(name.into(), value);
            }
        }
        for (name, value) in &self.extra {
            map.insert(name.clone(), value.clone());
        }
        map
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

/// What the caller asked the SDK to send, for judging the wire.
#[derive(Debug, Clone, Copy)]
pub struct Intended<'a> {
    /// The scenario's operation.
    pub operation: Operation,
    /// The carrier the scenario asked for.
    pub carrier: CarrierChoice,
    /// The callback as fields, when the scenario gives it that way.
    pub callback: Option<&'a CallbackFields>,
    /// The encoded callback value (always set when there is a callback).
    pub callback_encoded: Option<&'a str>,
    /// The variables as `(x:name, value)`, when given that way.
    pub vars: Option<&'a [(String, String)]>,
    /// The encoded callback-var value.
    pub vars_encoded: Option<&'a str>,
}

fn mismatch(requirement: &str, what: &str, expected: String, observed: String) -> Mismatch {
    Mismatch {
        what: what.to_owned(),
        expected,
        observed,
        requirement: Some(requirement.to_owned()),
    }
}

/// The request that completes the upload, among one scenario's requests
/// for its object (oldest first): the last PUT for a PutObject or presigned
/// PUT, the last `POST ?uploadId=` for a multipart upload.
pub fn completing_request<'r>(
    operation: Operation,
    records: &'r [RequestRecord],
    base_domain: &str,
) -> Option<&'r RequestRecord> {
    records.iter().rev().find(|record| {
        let Ok(resource) = route(header(record, "host"), &record.target, base_domain) else {
            return false;
        };
        match operation {
            Operation::Put | Operation::PresignV1 | Operation::PresignV4 => {
                record.method == "PUT" && !resource.has("partNumber")
            }
            Operation::Multipart => record.method == "POST" && resource.has("uploadId"),
            Operation::Post => record.method == "POST" && resource.key.is_none(),
        }
    })
}

fn header<'a>(record: &'a RequestRecord, name: &str) -> Option<&'a str> {
    record
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The endpoint's answer to a journaled request, as the runner judges answers.
pub fn answer_of(record: &RequestRecord) -> ObservedAnswer {
    let mut headers = vec![("x-oss-request-id".to_owned(), record.request_id.clone())];
    headers.extend(record.response_headers.iter().cloned());
    ObservedAnswer {
        status: record.status,
        headers,
        body: record.response_body.to_vec(),
    }
}

/// Where one parameter travelled on the completing request.
struct Carried {
    header: Option<String>,
    query: Option<String>,
}

fn carried(record: &RequestRecord, header_name: &str, query_name: &str) -> Carried {
    let query = record
        .target
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (name == query_name).then(|| percent_decode_str(value).decode_utf8_lossy().into_owned())
        })
        .next();
    Carried {
        header: header(record, header_name).map(str::to_owned),
        query,
    }
}

fn carrier_words(carrier: CarrierChoice, header_name: &str, query_name: &str) -> String {
    match carrier {
        CarrierChoice::Header => format!("the {header_name} header only"),
        CarrierChoice::Query => format!("the {query_name} query parameter only"),
        CarrierChoice::HeaderAndQuery => {
            format!("both the {header_name} header and the {query_name} query parameter")
        }
        CarrierChoice::Form => format!("the {query_name} form field"),
    }
}

fn carried_words(carried: &Carried, header_name: &str, query_name: &str) -> String {
    match (&carried.header, &carried.query) {
        (Some(_), Some(_)) => {
            format!("both the {header_name} header and the {query_name} query parameter")
        }
        (Some(_), None) => format!("the {header_name} header only"),
        (None, Some(_)) => format!("the {query_name} query parameter only"),
        (None, None) => "neither".to_owned(),
    }
}

/// Checks the carrier of one parameter and returns the value to inspect.
fn check_carrier(
    out: &mut Vec<Mismatch>,
    carrier: CarrierChoice,
    carried: Carried,
    header_name: &str,
    query_name: &str,
) -> Option<String> {
    let right = match carrier {
        CarrierChoice::Header => carried.header.is_some() && carried.query.is_none(),
        CarrierChoice::Query => carried.query.is_some() && carried.header.is_none(),
        CarrierChoice::HeaderAndQuery => carried.header.is_some() && carried.query.is_some(),
        CarrierChoice::Form => true,
    };
    if !right {
        out.push(mismatch(
            "CB-SDK-CARRIER",
            &format!("sent.{query_name}.carrier"),
            carrier_words(carrier, header_name, query_name),
            carried_words(&carried, header_name, query_name),
        ));
    }
    match carrier {
        CarrierChoice::Query => carried.query.or(carried.header),
        _ => carried.header.or(carried.query),
    }
}

/// Decodes a sent parameter: padded standard Base64 of UTF-8 JSON, an object.
fn decode_object(out: &mut Vec<Mismatch>, what: &str, value: &str) -> Option<Map<String, Value>> {
    let bytes = match STANDARD.decode(value) {
        Ok(bytes) => bytes,
        Err(e) => {
            out.push(mismatch(
                "CB-CARRIER-BASE64",
                what,
                "padded standard Base64".into(),
                format!("{value:?} ({e})"),
            ));
            return None;
        }
    };
    let Ok(text) = String::from_utf8(bytes) else {
        out.push(mismatch(
            "CB-CARRIER-BASE64",
            what,
            "Base64 of UTF-8 text".into(),
            "bytes that are not UTF-8".into(),
        ));
        return None;
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Some(map),
        Ok(other) => {
            out.push(mismatch(
                "CB-VAR-CLIENT-JSON",
                what,
                "a JSON object".into(),
                format!("{other}"),
            ));
            None
        }
        Err(e) => {
            out.push(mismatch(
                "CB-VAR-CLIENT-JSON",
                what,
                "JSON text".into(),
                format!("{text:?} ({e})"),
            ));
            None
        }
    }
}

/// Characters a client must percent-encode in a callback URL: controls,
/// space and (always, in `utf8_percent_encode`) every non-ASCII byte.
const MUST_ENCODE: &AsciiSet = &CONTROLS.add(b' ');

fn same_url(expected: &str, observed: &str) -> bool {
    // Percent-encoding what must be encoded is what CB-URL-CLIENT-ENCODE
    // asks of a client; encoding anything else (a `%` already there) changes
    // the URL.
    expected == observed || utf8_percent_encode(expected, MUST_ENCODE).to_string() == observed
}

fn compare_callback(out: &mut Vec<Mismatch>, expected: &CallbackFields, sent: &Map<String, Value>) {
    let wanted = expected.to_json();
    for (name, value) in &wanted {
        let what = format!("sent.callback.{name}");
        match sent.get(name) {
            Some(Value::String(got)) if name == "callbackUrl" => {
                if !value.as_str().is_some_and(|url| same_url(url, got)) {
                    out.push(mismatch(
                        "CB-SDK-CONFIG-FAITHFUL",
                        &what,
                        value.to_string(),
                        Value::from(got.clone()).to_string(),
                    ));
                }
            }
            Some(got) if got == value => {}
            Some(got) => out.push(mismatch(
                "CB-SDK-CONFIG-FAITHFUL",
                &what,
                value.to_string(),
                got.to_string(),
            )),
            None => out.push(mismatch(
                "CB-SDK-CONFIG-FAITHFUL",
                &what,
                value.to_string(),
                "the member left out".into(),
            )),
        }
    }
    for (name, value) in sent {
        if !wanted.contains_key(name) {
            out.push(mismatch(
                "CB-SDK-CONFIG-FAITHFUL",
                &format!("sent.callback.{name}"),
                "no such member (the caller did not give it)".into(),
                value.to_string(),
            ));
        }
    }
}

fn compare_vars(out: &mut Vec<Mismatch>, expected: &[(String, String)], sent: &Map<String, Value>) {
    for (name, value) in expected {
        let what = format!("sent.callback-var.{name}");
        match sent.get(name) {
            Some(Value::String(got)) if got == value => {}
            Some(got) => out.push(mismatch(
                "CB-SDK-CONFIG-FAITHFUL",
                &what,
                Value::from(value.clone()).to_string(),
                got.to_string(),
            )),
            None if sent.contains_key(&format!("x:{name}")) => out.push(mismatch(
                "CB-VAR-CLIENT-PREFIX",
                &what,
                format!("the name {name:?}"),
                format!("{:?}: the x: prefix added twice", format!("x:{name}")),
            )),
            None => out.push(mismatch(
                "CB-SDK-CONFIG-FAITHFUL",
                &what,
                Value::from(value.clone()).to_string(),
                "the variable left out".into(),
            )),
        }
    }
    for (name, value) in sent {
        let known = expected.iter().any(|(n, _)| n == name)
            || name
                .strip_prefix("x:")
                .is_some_and(|inner| expected.iter().any(|(n, _)| n == inner));
        if !known {
            out.push(mismatch(
                "CB-SDK-CONFIG-FAITHFUL",
                &format!("sent.callback-var.{name}"),
                "no such variable (the caller did not give it)".into(),
                value.to_string(),
            ));
        }
    }
}

/// Judges what the SDK sent for one scenario, from the journal records of
/// its object (oldest first).
pub fn judge_sent(
    intended: &Intended<'_>,
    records: &[RequestRecord],
    base_domain: &str,
) -> Vec<Mismatch> {
    let mut out = Vec::new();
    // PostObject form fields are built by the caller in every SDK we know
    // (none has a PostObject call), so there is no SDK encoding to judge.
    if intended.operation == Operation::Post
        || (intended.callback_encoded.is_none() && intended.vars_encoded.is_none())
    {
        return out;
    }
    let Some(record) = completing_request(intended.operation, records, base_domain) else {
        out.push(mismatch(
            "CB-SDK-CARRIER",
            "sent.request",
            format!(
                "a {} request carrying the callback",
                intended.operation.name()
            ),
            "no such request reached the endpoint".into(),
        ));
        return out;
    };
    if let Some(encoded) = intended.callback_encoded {
        let carried = carried(record, "x-oss-callback", "callback");
        if let Some(value) = check_carrier(
            &mut out,
            intended.carrier,
            carried,
            "x-oss-callback",
            "callback",
        ) {
            match intended.callback {
                Some(fields) => {
                    if let Some(sent) = decode_object(&mut out, "sent.callback", &value) {
                        compare_callback(&mut out, fields, &sent);
                    }
                }
                // A value the caller encoded itself must arrive unchanged.
                None if value != encoded => out.push(mismatch(
                    "CB-SDK-CONFIG-FAITHFUL",
                    "sent.callback",
                    format!("{encoded:?} unchanged"),
                    format!("{value:?}"),
                )),
                None => {}
            }
        }
    }
    if let Some(encoded) = intended.vars_encoded {
        let carried = carried(record, "x-oss-callback-var", "callback-var");
        if let Some(value) = check_carrier(
            &mut out,
            intended.carrier,
            carried,
            "x-oss-callback-var",
            "callback-var",
        ) {
            match intended.vars {
                Some(vars) => {
                    if let Some(sent) = decode_object(&mut out, "sent.callback-var", &value) {
                        compare_vars(&mut out, vars, &sent);
                    }
                }
                None if value != encoded => out.push(mismatch(
                    "CB-SDK-CONFIG-FAITHFUL",
                    "sent.callback-var",
                    format!("{encoded:?} unchanged"),
                    format!("{value:?}"),
                )),
                None => {}
            }
        }
    }
    out
}

fn same_json(expected_text: &[u8], surfaced: &Value) -> bool {
    serde_json::from_slice::<Value>(expected_text).is_ok_and(|v| &v == surfaced)
}

/// Judges how the SDK surfaced the endpoint's answer `wire` to its caller.
pub fn judge_surfaced(
    wire: &ObservedAnswer,
    had_callback: bool,
    surfaced: &SurfacedAnswer,
) -> Vec<Mismatch> {
    let mut out = Vec::new();
    if let Some(status) = surfaced.status.filter(|s| *s != wire.status) {
        out.push(mismatch(
            "CB-SDK-STATUS",
            "surfaced.status",
            wire.status.to_string(),
            status.to_string(),
        ));
    }
    let wire_text = String::from_utf8_lossy(&wire.body);
    match wire.status {
        200 => {
            if surfaced.raised {
                out.push(mismatch(
                    "CB-SDK-STATUS",
                    "surfaced.raised",
                    "a success for a 200".into(),
                    format!("a failure {}", describe_error(surfaced.error.as_ref())),
                ));
            }
            if had_callback {
                let right = match &surfaced.body {
                    SurfacedBody::Text(text) => text.as_bytes() == wire.body.as_slice(),
                    SurfacedBody::Json(value) => same_json(&wire.body, value),
                    SurfacedBody::None => false,
                };
                if !right {
                    out.push(mismatch(
                        "CB-OUT-SDK-200-BODY",
                        "surfaced.body",
                        format!("{wire_text:?} (the callback server's reply)"),
                        match &surfaced.body {
                            SurfacedBody::Text(text) => format!("{text:?}"),
                            SurfacedBody::Json(value) => format!("the JSON value {value}"),
                            SurfacedBody::None => "no body".into(),
                        },
                    ));
                }
            }
        }
        // An SDK that reports success has no error fields to judge: the one
        // deviation is reporting success.
        203 if had_callback => {
            if surfaced.raised {
                judge_error_fields(&mut out, &wire_text, surfaced, "CB-OUT-SDK-203");
            } else {
                out.push(mismatch(
                    "CB-OUT-SDK-203",
                    "surfaced.raised",
                    "a failure with Code CallbackFailed".into(),
                    "a success".into(),
                ));
            }
        }
        status if status >= 300 => {
            if surfaced.raised {
                judge_error_fields(&mut out, &wire_text, surfaced, "CB-SDK-ERROR-FIELDS");
            } else {
                out.push(mismatch(
                    "CB-SDK-STATUS",
                    "surfaced.raised",
                    format!("a failure for a {status}"),
                    "a success".into(),
                ));
            }
        }
        _ => {}
    }
    out
}

fn describe_error(error: Option<&SurfacedError>) -> String {
    error.and_then(|e| e.code.clone()).map_or_else(
        || "without a code".into(),
        |code| format!("with Code {code}"),
    )
}

/// Compares the error fields the SDK exposed with the error document the
/// endpoint sent; `code_requirement` is the one a wrong or missing Code breaks.
fn judge_error_fields(
    out: &mut Vec<Mismatch>,
    wire_text: &str,
    surfaced: &SurfacedAnswer,
    code_requirement: &str,
) {
    let Ok(doc) = ErrorDocument::from_xml(wire_text) else {
        // The endpoint's own answer is judged elsewhere; nothing to compare.
        return;
    };
    let exposed = surfaced.error.clone().unwrap_or_default();
    let fields = [
        (
            "Code",
            Some(doc.code.clone()),
            exposed.code.clone(),
            code_requirement,
        ),
        (
            "Message",
            Some(doc.message.clone()),
            exposed.message.clone(),
            "CB-SDK-ERROR-FIELDS",
        ),
        (
            "EC",
            doc.ec.clone(),
            exposed.ec.clone(),
            "CB-SDK-ERROR-FIELDS",
        ),
        (
            "RequestId",
            Some(doc.request_id.clone()),
            exposed.request_id.clone(),
            "CB-SDK-ERROR-FIELDS",
        ),
    ];
    for (name, expected, got, requirement) in fields {
        let Some(expected) = expected else { continue };
        if got.as_deref() != Some(expected.as_str()) {
            out.push(mismatch(
                requirement,
                &format!("surfaced.error.{name}"),
                format!("{expected:?}"),
                got.map_or_else(|| "not exposed".to_owned(), |g| format!("{g:?}")),
            ));
        }
    }
}
