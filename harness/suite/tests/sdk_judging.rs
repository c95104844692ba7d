//! Judging an SDK from the wire and from what it surfaced
//! (drivers/PROTOCOL.md §4). Every request below is written out as an SDK
//! would send it; expected verdicts name the requirement they cite.
//! spec: CB-SDK-CARRIER, CB-SDK-CONFIG-FAITHFUL, CB-SDK-STATUS, CB-SDK-ERROR-FIELDS,
//! CB-CARRIER-BASE64, CB-VAR-CLIENT-PREFIX, CB-URL-CLIENT-ENCODE, CB-OUT-SDK-203, CB-OUT-SDK-200-BODY

use std::time::SystemTime;

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use bytes::Bytes;
use cbspec_emulator::RequestRecord;
use cbspec_protocol::callback_json::CallbackFields;
use cbspec_suite::runner::driver::sent::{judge_sent, Intended};
use cbspec_suite::runner::driver::surfaced::judge_surfaced;
use cbspec_suite::runner::observation::{
    Mismatch, ObservedAnswer, SurfacedAnswer, SurfacedBody, SurfacedError,
};
use cbspec_suite::scenario::{CarrierChoice, Operation};
use serde_json::Map;

use crate::support::b64;

const BASE: &str = "oss.localhost";
const CALLBACK_URL: &str = "http://127.0.0.1:9000/s/1/cb";

fn record(method: &str, target: &str, headers: &[(&str, &str)]) -> RequestRecord {
    RequestRecord {
        request_id: "5C3D9175B6FC201293AD4890".into(),
        received_at: SystemTime::now(),
        peer: "127.0.0.1:50000".parse().unwrap(),
        method: method.into(),
        target: target.into(),
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        body: Bytes::new(),
        status: 200,
        error_code: None,
        response_headers: Vec::new(),
        response_body: Bytes::new(),
    }
}

fn fields(sni: Option<bool>) -> CallbackFields {
    CallbackFields {
        url: CALLBACK_URL.into(),
        host: None,
        body: Some("bucket=${bucket}&v=${x:v}".into()),
        body_type: Some("application/x-www-form-urlencoded".into()),
        sni,
        extra: Map::new(),
    }
}

/// What the caller asked for: a form callback with callbackSNI false and one variable.
fn intended<'a>(
    operation: Operation,
    carrier: CarrierChoice,
    callback: &'a CallbackFields,
    vars: &'a [(String, String)],
) -> Intended<'a> {
    Intended {
        operation,
        carrier,
        callback: Some(callback),
        callback_encoded: Some("(the native encoding, unused when fields are given)"),
        vars: Some(vars),
        vars_encoded: Some("(unused)"),
    }
}

const FAITHFUL_JSON: &str = r#"{"callbackUrl":"http://127.0.0.1:9000/s/1/cb","callbackBody":"bucket=${bucket}&v=${x:v}","callbackBodyType":"application/x-www-form-urlencoded","callbackSNI":false}"#;

fn requirements(mismatches: &[Mismatch]) -> Vec<(String, String)> {
    mismatches
        .iter()
        .map(|m| (m.what.clone(), m.requirement.clone().unwrap_or_default()))
        .collect()
}

fn one_var() -> Vec<(String, String)> {
    vec![("x:v".to_owned(), "1".to_owned())]
}

#[test]
fn a_faithful_header_upload_has_no_mismatch_whatever_the_member_order() {
    let cb = fields(Some(false));
    let vars = one_var();
    // Members in another order and JSON with spaces, as Python's json.dumps writes it.
    let reordered = r#"{"callbackSNI": false, "callbackBodyType": "application/x-www-form-urlencoded", "callbackBody": "bucket=${bucket}&v=${x:v}", "callbackUrl": "http://127.0.0.1:9000/s/1/cb"}"#;
    for json in [FAITHFUL_JSON, reordered] {
        let put = record(
            "PUT",
            "/cbspec-suite/a.txt",
            &[
                ("Host", "127.0.0.1:9000"),
                ("x-oss-callback", &b64(json)),
                ("x-oss-callback-var", &b64(r#"{"x:v":"1"}"#)),
            ],
        );
        let found = judge_sent(
            &intended(Operation::Put, CarrierChoice::Header, &cb, &vars),
            &[put],
            BASE,
        );
        assert!(found.is_empty(), "{found:?}");
    }
}

#[test]
fn a_left_out_sni_false_and_a_doubled_prefix_are_named() {
    let cb = fields(Some(false));
    let vars = one_var();
    let without_sni = r#"{"callbackUrl":"http://127.0.0.1:9000/s/1/cb","callbackBody":"bucket=${bucket}&v=${x:v}","callbackBodyType":"application/x-www-form-urlencoded"}"#;
    // Virtual-hosted, as ali-oss sends it to an IP endpoint.
    let put = record(
        "PUT",
        "/a.txt",
        &[
            ("host", "cbspec-suite.oss-cn-hangzhou.aliyuncs.com"),
            ("x-oss-callback", &b64(without_sni)),
            ("x-oss-callback-var", &b64(r#"{"x:x:v":"1"}"#)),
        ],
    );
    let found = judge_sent(
        &intended(Operation::Put, CarrierChoice::Header, &cb, &vars),
        &[put],
        BASE,
    );
    assert_eq!(
        requirements(&found),
        vec![
            (
                "sent.callback.callbackSNI".to_owned(),
                "CB-SDK-CONFIG-FAITHFUL".to_owned()
            ),
            (
                "sent.callback-var.x:v".to_owned(),
                "CB-VAR-CLIENT-PREFIX".to_owned()
            ),
        ]
    );
    assert_eq!(found[0].observed, "the member left out");
}

#[test]
fn the_wrong_carrier_and_unpadded_base64_are_named() {
    let cb = fields(Some(false));
    let vars = one_var();
    let unpadded = STANDARD_NO_PAD.encode(FAITHFUL_JSON);
    assert_ne!(
        unpadded,
        b64(FAITHFUL_JSON),
        "the fixture must lack padding"
    );
    // The scenario asked for headers; the SDK put the callback in the query.
    let put = record(
        "PUT",
        &format!("/cbspec-suite/a.txt?callback={unpadded}"),
        &[
            ("Host", "127.0.0.1:9000"),
            ("x-oss-callback-var", &b64(r#"{"x:v":"1"}"#)),
        ],
    );
    let found = judge_sent(
        &intended(Operation::Put, CarrierChoice::Header, &cb, &vars),
        &[put],
        BASE,
    );
    assert_eq!(
        requirements(&found),
        vec![
            (
                "sent.callback.carrier".to_owned(),
                "CB-SDK-CARRIER".to_owned()
            ),
            ("sent.callback".to_owned(), "CB-CARRIER-BASE64".to_owned()),
        ]
    );
    assert_eq!(found[0].expected, "the x-oss-callback header only");
    assert_eq!(found[0].observed, "the callback query parameter only");
}

#[test]
fn encoding_what_must_be_encoded_is_right_and_encoding_a_percent_again_is_not() {
    let vars = one_var();
    let with_space = CallbackFields {
        url: "http://127.0.0.1:9000/s/1/a b".into(),
        ..fields(None)
    };
    let json = |url: &str| {
        format!(
            r#"{{"callbackUrl":"{url}","callbackBody":"bucket=${{bucket}}&v=${{x:v}}","callbackBodyType":"application/x-www-form-urlencoded"}}"#
        )
    };
    let send = |cb: &CallbackFields, url: &str| {
        let put = record(
            "PUT",
            "/cbspec-suite/a.txt",
            &[
                ("Host", "127.0.0.1:9000"),
                ("x-oss-callback", &b64(&json(url))),
                ("x-oss-callback-var", &b64(r#"{"x:v":"1"}"#)),
            ],
        );
        judge_sent(
            &intended(Operation::Put, CarrierChoice::Header, cb, &vars),
            &[put],
            BASE,
        )
    };
    assert!(send(&with_space, "http://127.0.0.1:9000/s/1/a%20b").is_empty());
    let already_encoded = CallbackFields {
        url: "http://127.0.0.1:9000/s/1/a%20b".into(),
        ..fields(None)
    };
    let found = send(&already_encoded, "http://127.0.0.1:9000/s/1/a%2520b");
    assert_eq!(
        requirements(&found),
        vec![(
            "sent.callback.callbackUrl".to_owned(),
            "CB-SDK-CONFIG-FAITHFUL".to_owned()
        )]
    );
}

#[test]
fn multipart_callbacks_are_judged_on_complete_only() {
    let cb = fields(Some(false));
    let vars = one_var();
    let header = b64(FAITHFUL_JSON);
    let var = b64(r#"{"x:v":"1"}"#);
    let host = ("Host", "127.0.0.1:9000");
    let initiate = record(
        "POST",
        "/cbspec-suite/m.bin?uploads",
        &[
            host,
            ("x-oss-callback", &header),
            ("x-oss-callback-var", &var),
        ],
    );
    let part = record(
        "PUT",
        "/cbspec-suite/m.bin?partNumber=1&uploadId=U1",
        &[host],
    );
    let bare_complete = record("POST", "/cbspec-suite/m.bin?uploadId=U1", &[host]);
    let found = judge_sent(
        &intended(Operation::Multipart, CarrierChoice::Header, &cb, &vars),
        &[initiate.clone(), part.clone(), bare_complete],
        BASE,
    );
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found
        .iter()
        .all(|m| m.requirement.as_deref() == Some("CB-SDK-CARRIER")));
    assert_eq!(found[0].observed, "neither");

    let complete = record(
        "POST",
        "/cbspec-suite/m.bin?uploadId=U1",
        &[
            host,
            ("x-oss-callback", &header),
            ("x-oss-callback-var", &var),
        ],
    );
    let found = judge_sent(
        &intended(Operation::Multipart, CarrierChoice::Header, &cb, &vars),
        &[initiate, part, complete],
        BASE,
    );
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn a_pass_through_value_must_arrive_unchanged() {
    let raw = "eyJjYWxsYmFja1VybCI6Imh0dHA6Ly94In0="; // {"callbackUrl":"http://x"}
    let intended = Intended {
        operation: Operation::Put,
        carrier: CarrierChoice::Header,
        callback: None,
        callback_encoded: Some(raw),
        vars: None,
        vars_encoded: None,
    };
    let same = record(
        "PUT",
        "/b/k",
        &[("Host", "127.0.0.1:1"), ("x-oss-callback", raw)],
    );
    assert!(judge_sent(&intended, &[same], BASE).is_empty());
    let trimmed = record(
        "PUT",
        "/b/k",
        &[
            ("Host", "127.0.0.1:1"),
            ("x-oss-callback", raw.trim_end_matches('=')),
        ],
    );
    assert_eq!(
        requirements(&judge_sent(&intended, &[trimmed], BASE)),
        vec![(
            "sent.callback".to_owned(),
            "CB-SDK-CONFIG-FAITHFUL".to_owned()
        )]
    );
}

const CALLBACK_FAILED: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n  <Code>CallbackFailed</Code>\n  <Message>Error status : 502.</Message>\n  <RequestId>5C3D9175B6FC201293AD4890</RequestId>\n  <HostId>b.oss-cn-hangzhou.aliyuncs.com</HostId>\n  <EC>0007-00000203</EC>\n</Error>\n";

fn wire(status: u16, body: &str) -> ObservedAnswer {
    ObservedAnswer {
        status,
        headers: Vec::new(),
        body: body.as_bytes().to_vec(),
    }
}

fn surfaced(
    status: Option<u16>,
    raised: bool,
    body: SurfacedBody,
    error: Option<SurfacedError>,
) -> SurfacedAnswer {
    SurfacedAnswer {
        status,
        raised,
        headers: Vec::new(),
        body,
        error,
    }
}

#[test]
fn a_203_returned_as_success_is_one_deviation() {
    let found = judge_surfaced(
        &wire(203, CALLBACK_FAILED),
        true,
        &surfaced(
            Some(203),
            false,
            SurfacedBody::Text(CALLBACK_FAILED.into()),
            None,
        ),
    );
    assert_eq!(
        requirements(&found),
        vec![("surfaced.raised".to_owned(), "CB-OUT-SDK-203".to_owned())]
    );
}

#[test]
fn a_203_raised_with_its_fields_passes_and_a_missing_ec_is_named() {
    let mut error = SurfacedError {
        code: Some("CallbackFailed".into()),
        message: Some("Error status : 502.".into()),
        ec: Some("0007-00000203".into()),
        request_id: Some("5C3D9175B6FC201293AD4890".into()),
        ..SurfacedError::default()
    };
    let answer = wire(203, CALLBACK_FAILED);
    assert!(judge_surfaced(
        &answer,
        true,
        &surfaced(Some(203), true, SurfacedBody::None, Some(error.clone()))
    )
    .is_empty());
    error.ec = None;
    let found = judge_surfaced(
        &answer,
        true,
        &surfaced(None, true, SurfacedBody::None, Some(error)),
    );
    assert_eq!(
        requirements(&found),
        vec![(
            "surfaced.error.EC".to_owned(),
            "CB-SDK-ERROR-FIELDS".to_owned()
        )]
    );
    assert_eq!(found[0].observed, "not exposed");
}

#[test]
fn the_callback_reply_must_be_handed_over() {
    let answer = wire(200, r#"{"Status":"OK"}"#);
    let parsed = surfaced(
        Some(200),
        false,
        SurfacedBody::Json(serde_json::json!({"Status": "OK"})),
        None,
    );
    assert!(judge_surfaced(&answer, true, &parsed).is_empty());
    let text = surfaced(
        Some(200),
        false,
        SurfacedBody::Text(r#"{"Status":"OK"}"#.into()),
        None,
    );
    assert!(judge_surfaced(&answer, true, &text).is_empty());
    let dropped = surfaced(Some(200), false, SurfacedBody::None, None);
    assert_eq!(
        requirements(&judge_surfaced(&answer, true, &dropped)),
        vec![("surfaced.body".to_owned(), "CB-OUT-SDK-200-BODY".to_owned())]
    );
    // Without a callback there is no reply to hand over.
    assert!(judge_surfaced(&answer, false, &dropped).is_empty());
    let wrong_status = surfaced(Some(204), true, SurfacedBody::None, None);
    assert_eq!(
        requirements(&judge_surfaced(&answer, false, &wrong_status)),
        vec![
            ("surfaced.status".to_owned(), "CB-SDK-STATUS".to_owned()),
            ("surfaced.raised".to_owned(), "CB-SDK-STATUS".to_owned()),
        ]
    );
}

#[test]
fn an_error_reported_as_success_is_a_status_failure() {
    let invalid = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n  <Code>InvalidArgument</Code>\n  <Message>The callback configuration is not json format.</Message>\n  <RequestId>5C3D9175B6FC201293AD4890</RequestId>\n  <HostId>h</HostId>\n  <EC>0007-00000003</EC>\n</Error>\n";
    let found = judge_surfaced(
        &wire(400, invalid),
        true,
        &surfaced(Some(400), false, SurfacedBody::Text(invalid.into()), None),
    );
    assert_eq!(
        requirements(&found),
        vec![("surfaced.raised".to_owned(), "CB-SDK-STATUS".to_owned())]
    );
}
