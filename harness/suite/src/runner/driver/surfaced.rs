//! Judging what an SDK handed its caller (from the adapter's result) against
//! the endpoint's answer on the wire: the status, raised for >= 300, the
//! callback reply after a 200, a 203 reported as `CallbackFailed`, and the
//! error fields. Pure: no I/O.

use cbspec_protocol::error_document::ErrorDocument;
use serde_json::Value;

use crate::runner::observation::{
    Mismatch, ObservedAnswer, SurfacedAnswer, SurfacedBody, SurfacedError,
};

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
        out.push(Mismatch::of(
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
                out.push(Mismatch::of(
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
                    out.push(Mismatch::of(
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
                out.push(Mismatch::of(
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
                out.push(Mismatch::of(
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
            out.push(Mismatch::of(
                requirement,
                &format!("surfaced.error.{name}"),
                format!("{expected:?}"),
                got.map_or_else(|| "not exposed".to_owned(), |g| format!("{g:?}")),
            ));
        }
    }
}
