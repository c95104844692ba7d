//! Judging what an SDK put on the wire, from the emulator's journal: the
//! carrier and parameter names on the completing request, the Base64 JSON
//! encoding, every callback member as the caller gave it, `x:` added once.
//! Pure: no I/O. Every mismatch names the requirement it breaks
//! (drivers/PROTOCOL.md §4), so an expectation file can list a known
//! deviation by requirement.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use cbspec_emulator::RequestRecord;
use cbspec_protocol::callback_json::CallbackFields;
use cbspec_protocol::carrier::{
    CALLBACK_HEADER, CALLBACK_PARAM, CALLBACK_VAR_HEADER, CALLBACK_VAR_PARAM,
};
use cbspec_protocol::headers::Headers;
use cbspec_protocol::routing::route;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};
use serde_json::{Map, Value};

use crate::runner::observation::{Mismatch, ObservedAnswer};
use crate::scenario::{CarrierChoice, Operation};

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
    record.headers.header(name)
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
        out.push(Mismatch::of(
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
            out.push(Mismatch::of(
                "CB-CARRIER-BASE64",
                what,
                "padded standard Base64".into(),
                format!("{value:?} ({e})"),
            ));
            return None;
        }
    };
    let Ok(text) = String::from_utf8(bytes) else {
        out.push(Mismatch::of(
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
            out.push(Mismatch::of(
                "CB-VAR-CLIENT-JSON",
                what,
                "a JSON object".into(),
                format!("{other}"),
            ));
            None
        }
        Err(e) => {
            out.push(Mismatch::of(
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
                    out.push(Mismatch::of(
                        "CB-SDK-CONFIG-FAITHFUL",
                        &what,
                        value.to_string(),
                        Value::from(got.clone()).to_string(),
                    ));
                }
            }
            Some(got) if got == value => {}
            Some(got) => out.push(Mismatch::of(
                "CB-SDK-CONFIG-FAITHFUL",
                &what,
                value.to_string(),
                got.to_string(),
            )),
            None => out.push(Mismatch::of(
                "CB-SDK-CONFIG-FAITHFUL",
                &what,
                value.to_string(),
                "the member left out".into(),
            )),
        }
    }
    for (name, value) in sent {
        if !wanted.contains_key(name) {
            out.push(Mismatch::of(
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
            Some(got) => out.push(Mismatch::of(
                "CB-SDK-CONFIG-FAITHFUL",
                &what,
                Value::from(value.clone()).to_string(),
                got.to_string(),
            )),
            None if sent.contains_key(&format!("x:{name}")) => out.push(Mismatch::of(
                "CB-VAR-CLIENT-PREFIX",
                &what,
                format!("the name {name:?}"),
                format!("{:?}: the x: prefix added twice", format!("x:{name}")),
            )),
            None => out.push(Mismatch::of(
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
            out.push(Mismatch::of(
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
        out.push(Mismatch::of(
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
        let carried = carried(record, CALLBACK_HEADER, CALLBACK_PARAM);
        if let Some(value) = check_carrier(
            &mut out,
            intended.carrier,
            carried,
            CALLBACK_HEADER,
            CALLBACK_PARAM,
        ) {
            match intended.callback {
                Some(fields) => {
                    if let Some(sent) = decode_object(&mut out, "sent.callback", &value) {
                        compare_callback(&mut out, fields, &sent);
                    }
                }
                // A value the caller encoded itself must arrive unchanged.
                None if value != encoded => out.push(Mismatch::of(
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
        let carried = carried(record, CALLBACK_VAR_HEADER, CALLBACK_VAR_PARAM);
        if let Some(value) = check_carrier(
            &mut out,
            intended.carrier,
            carried,
            CALLBACK_VAR_HEADER,
            CALLBACK_VAR_PARAM,
        ) {
            match intended.vars {
                Some(vars) => {
                    if let Some(sent) = decode_object(&mut out, "sent.callback-var", &value) {
                        compare_vars(&mut out, vars, &sent);
                    }
                }
                None if value != encoded => out.push(Mismatch::of(
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
