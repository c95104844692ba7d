//! The normalised wire transcript of a scenario: what was sent and what
//! came back, with per-run values (request ids, dates, ports, signatures)
//! replaced by stable placeholders so it can be snapshotted and diffed.

use std::fmt::Write;

use super::observation::{Observation, ObservedAnswer, SurfacedAnswer, SurfacedBody, Tokens};
use crate::scenario::LoadedScenario;

/// Headers worth showing; the rest are noise for a reader.
const SHOWN_UPLOAD_HEADERS: [&str; 5] = [
    "content-type",
    "etag",
    "x-oss-hash-crc64ecma",
    "content-md5",
    "x-oss-request-id",
];
const SHOWN_CALLBACK_HEADERS: [&str; 12] = [
    "host",
    "content-type",
    "content-length",
    "content-md5",
    "user-agent",
    "x-oss-bucket",
    "x-oss-request-id",
    "x-oss-requester",
    "x-oss-signature-version",
    "x-oss-tag",
    "x-oss-pub-key-url",
    "authorization",
];

/// Replaces the content of an XML element with a placeholder.
fn mask_element(text: &str, element: &str, placeholder: &str) -> String {
    let (open, close) = (format!("<{element}>"), format!("</{element}>"));
    match (text.find(&open), text.find(&close)) {
        (Some(start), Some(end)) if start < end => {
            format!("{}{open}{placeholder}{}", &text[..start], &text[end..])
        }
        _ => text.to_owned(),
    }
}

/// Shows a Base64 ArgumentValue (an echoed callback header) decoded, so the
/// per-run values inside it can be normalised like the rest.
fn decode_base64_argument(text: &str) -> String {
    use base64::Engine;
    let (open, close) = ("<ArgumentValue>", "</ArgumentValue>");
    let (Some(start), Some(end)) = (text.find(open), text.find(close)) else {
        return text.to_owned();
    };
    let value = &text[start + open.len()..end.max(start + open.len())];
    match base64::engine::general_purpose::STANDARD
        .decode(value)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|decoded| decoded.starts_with('{'))
    {
        Some(decoded) => format!("{}{open}base64({decoded}){}", &text[..start], &text[end..]),
        None => text.to_owned(),
    }
}

fn normalise(text: &str, tokens: &Tokens, request_id: &str, prefix: &str) -> String {
    // A SignatureDoesNotMatch answer echoes the string to sign, which holds
    // the request date and callback URLs with this run's ports.
    let text = &decode_base64_argument(&mask_element(text, "StringToSign", "{string_to_sign}"));
    // The scenario's capture prefix depends on its position in the run.
    let mut out = text.replace(&format!("{prefix}/"), "/{prefix}/");
    if !request_id.is_empty() {
        out = out.replace(request_id, "{request_id}");
    }
    if !tokens.captures.is_empty() {
        out = out.replace(&tokens.captures, "{captures}");
    }
    if !tokens.capture.is_empty() {
        out = out.replace(&tokens.capture, "{capture}");
    }
    out
}

fn answer_lines(
    out: &mut String,
    label: &str,
    answer: &ObservedAnswer,
    tokens: &Tokens,
    request_id: &str,
    prefix: &str,
) {
    let _ = writeln!(out, "{label}: {}", answer.status);
    for name in SHOWN_UPLOAD_HEADERS {
        if let Some(value) = answer.header(name) {
            let value = if name == "x-oss-request-id" {
                "{request_id}".to_owned()
            } else {
                value.to_owned()
            };
            let _ = writeln!(out, "  {name}: {value}");
        }
    }
    if !answer.body.is_empty() {
        let body = clip(&String::from_utf8_lossy(&answer.body));
        let _ = writeln!(
            out,
            "  body: {}",
            normalise(&body, tokens, request_id, prefix).replace('\n', "\n        ")
        );
    }
}

/// The first 600 characters of a long text, with its full length.
fn clip(text: &str) -> String {
    match text.char_indices().nth(600) {
        Some((cut, _)) => format!("{}… ({} bytes)", &text[..cut], text.len()),
        None => text.to_owned(),
    }
}

/// Renders the transcript.
pub fn render(
    loaded: &LoadedScenario,
    observation: &Observation,
    prefix: &str,
    tokens: &Tokens,
) -> String {
    let scenario = &loaded.scenario;
    let mut out = String::new();
    let _ = writeln!(out, "scenario: {}", scenario.id);
    let _ = writeln!(
        out,
        "upload: {} key={:?} auth={:?} carrier={:?} bytes={}",
        scenario.upload.operation.name(),
        scenario.upload.key,
        scenario.upload.auth,
        scenario.upload.carrier,
        loaded.content.len()
    );
    let request_id = observation
        .answer
        .as_ref()
        .and_then(|a| a.header("x-oss-request-id"))
        .unwrap_or_default()
        .to_owned();
    match (&observation.answer, &observation.transport_error) {
        (Some(answer), _) => answer_lines(&mut out, "answer", answer, tokens, &request_id, prefix),
        (None, Some(error)) => {
            let _ = writeln!(out, "answer: none ({error})");
        }
        (None, None) => {
            let _ = writeln!(out, "answer: none");
        }
    }
    if let Some(surfaced) = &observation.surfaced {
        surfaced_lines(&mut out, surfaced, tokens, &request_id, prefix);
    }
    for (i, cb) in observation.callbacks.iter().enumerate() {
        let _ = writeln!(
            out,
            "callback[{i}]: {} {}{} tls={} sni={}",
            cb.method,
            cb.path,
            cb.query,
            cb.tls,
            cb.sni.as_deref().unwrap_or("-")
        );
        for name in SHOWN_CALLBACK_HEADERS {
            if let Some(value) = cb.header(name) {
                let shown = match name {
                    // Signatures and the key URL change with the key and the port.
                    "authorization" => format!("<{} bytes of Base64>", value.len()),
                    "x-oss-pub-key-url" => "<Base64 key URL>".to_owned(),
                    // The body may hold per-run values (${reqId}); what is
                    // stable, and worth seeing, is whether the digest fits.
                    "content-md5" if value == cbspec_protocol::checksum::content_md5(&cb.body) => {
                        "<matches the body>".to_owned()
                    }
                    "content-md5" => format!("{value} (does NOT match the body)"),
                    _ => normalise(value, tokens, &request_id, prefix),
                };
                let _ = writeln!(out, "  {name}: {shown}");
            }
        }
        let _ = writeln!(
            out,
            "  signature: {}",
            if cb.signature_valid {
                "valid".to_owned()
            } else {
                cb.signature_detail.clone()
            }
        );
        let _ = writeln!(
            out,
            "  body: {}",
            normalise(
                &String::from_utf8_lossy(&cb.body),
                tokens,
                &request_id,
                prefix
            )
        );
    }
    if let Some(object) = &observation.object {
        let _ = writeln!(
            out,
            "object: GET {} ({} bytes)",
            object.status,
            if object.status == 200 {
                object.body.len()
            } else {
                0
            }
        );
        for name in ["etag", "x-oss-hash-crc64ecma", "content-type"] {
            if let (200, Some(value)) = (object.status, object.header(name)) {
                let _ = writeln!(out, "  {name}: {value}");
            }
        }
    }
    out
}

/// What the SDK handed its caller, beside the endpoint's real answer.
fn surfaced_lines(
    out: &mut String,
    surfaced: &SurfacedAnswer,
    tokens: &Tokens,
    request_id: &str,
    prefix: &str,
) {
    let _ = writeln!(
        out,
        "sdk surfaced: status={} raised={}",
        surfaced
            .status
            .map_or_else(|| "(not exposed)".to_owned(), |s| s.to_string()),
        surfaced.raised
    );
    match &surfaced.body {
        SurfacedBody::None => {}
        SurfacedBody::Text(text) => {
            let _ = writeln!(
                out,
                "  body: {}",
                normalise(&clip(text), tokens, request_id, prefix).replace('\n', "\n        ")
            );
        }
        SurfacedBody::Json(value) => {
            let _ = writeln!(
                out,
                "  body (parsed JSON): {}",
                normalise(&clip(&value.to_string()), tokens, request_id, prefix)
            );
        }
    }
    if let Some(error) = &surfaced.error {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(not exposed)".into());
        let _ = writeln!(
            out,
            "  error: Code={} EC={} Message={}",
            show(&error.code),
            show(&error.ec),
            normalise(&show(&error.message), tokens, request_id, prefix)
        );
    }
}
