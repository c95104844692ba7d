//! The OSS error document for every callback validation failure, as the
//! emulator will send it, recorded as insta snapshots in `snapshots/errors/`.
//!
//! Each case goes through the real decoding path (carrier selection, size,
//! Base64, JSON, fields, template, variables) from raw request values.

use crate::support::b64;
use cbspec_protocol::carrier::RawCallbackParams;
use cbspec_protocol::config::DecodeOptions;

const REQUEST_ID: &str = "5C3D9175B6FC201293AD4890";
const HOST_ID: &str = "examplebucket.oss-cn-hangzhou.aliyuncs.com";

/// Decodes raw header values the way the emulator will, and renders the
/// rejection as XML.
fn error_xml(
    header_callback: Option<&str>,
    header_var: Option<&str>,
    query_callback: Option<&str>,
    query_var: Option<&str>,
) -> String {
    let rejection = match RawCallbackParams::from_header_and_query(
        header_callback,
        header_var,
        query_callback,
        query_var,
    ) {
        Err(rejection) => rejection,
        Ok(Some(raw)) => raw
            .decode(DecodeOptions::production())
            .expect_err("every case here must be rejected"),
        Ok(None) => panic!("no callback found in the case"),
    };
    rejection.to_error_document(REQUEST_ID, HOST_ID).to_xml()
}

fn callback(url: &str, body_json: &str) -> String {
    b64(&format!(
        r#"{{"callbackUrl":"{url}","callbackBody":{body_json}}}"#
    ))
}

macro_rules! snapshot {
    ($name:expr, $xml:expr) => {
        insta::with_settings!({
            snapshot_path => "../../../snapshots/errors",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!($name, $xml);
        })
    };
}

const GOOD: &str = r#""bucket=${bucket}""#;

// spec: CB-CFG-BASE64
#[test]
fn callback_not_base64() {
    snapshot!(
        "CB-CFG-BASE64",
        error_xml(Some("x123-*&"), None, None, None)
    );
}

// spec: CB-CFG-JSON
#[test]
fn callback_not_json() {
    let text =
        r#"{"callbackUrl":"www.oss-callback.com/test.php","callbackBody":"{"bucket":${bucket}}"}"#;
    snapshot!("CB-CFG-JSON", error_xml(Some(&b64(text)), None, None, None));
}

// spec: CB-URL-PORT
#[test]
fn url_port_not_a_number() {
    snapshot!(
        "CB-URL-PORT",
        error_xml(
            Some(&callback("www.callback-example.com:test", GOOD)),
            None,
            None,
            None
        )
    );
}

// spec: CB-URL-MAX5
#[test]
fn six_urls() {
    let six = "https://callback1.com;https://callback2.com;https://callback3.com;https://callback4.com;https://callback5.com;https://callback6.com;";
    snapshot!(
        "CB-URL-MAX5",
        error_xml(Some(&callback(six, GOOD)), None, None, None)
    );
}

// spec: CB-URL-PRIVATE
#[test]
fn private_address() {
    snapshot!(
        "CB-URL-PRIVATE",
        error_xml(
            Some(&callback("http://192.168.1.1/cb", GOOD)),
            None,
            None,
            None
        )
    );
}

// spec: CB-CARRIER-SIZE
#[test]
fn callback_over_5kb() {
    let big = callback("a.example.com", &format!("\"{}\"", "a".repeat(4000)));
    snapshot!(
        "CB-CARRIER-SIZE-callback",
        error_xml(Some(&big), None, None, None)
    );
}

// spec: CB-CARRIER-SIZE
#[test]
fn callback_var_over_5kb() {
    let big = b64(&format!(r#"{{"x:v":"{}"}}"#, "v".repeat(4000)));
    snapshot!(
        "CB-CARRIER-SIZE-callback-var",
        error_xml(
            Some(&callback("a.example.com", GOOD)),
            Some(&big),
            None,
            None
        )
    );
}

// spec: CB-CFG-POLICY
#[test]
fn bucket_policy_reference() {
    snapshot!(
        "CB-CFG-POLICY",
        error_xml(
            Some(&b64(r#"{"callbackPolicy":"test_2"}"#)),
            None,
            None,
            None
        )
    );
}

// spec: CB-CFG-HOST-TYPE
#[test]
fn host_not_a_string() {
    let text = r#"{"callbackUrl":"a.example.com","callbackHost":123,"callbackBody":"b"}"#;
    snapshot!(
        "CB-CFG-HOST-TYPE",
        error_xml(Some(&b64(text)), None, None, None)
    );
}

// spec: CB-CFG-BODY-TYPE
#[test]
fn body_not_a_string() {
    snapshot!(
        "CB-CFG-BODY-TYPE",
        error_xml(
            Some(&callback("www.oss-callback.com/test.php", "[1, 2, 3]")),
            None,
            None,
            None
        )
    );
}

// spec: CB-CFG-BODY-EMPTY
#[test]
fn body_empty() {
    snapshot!(
        "CB-CFG-BODY-EMPTY",
        error_xml(
            Some(&callback("www.oss-callback.com/test.php", "\"\"")),
            None,
            None,
            None
        )
    );
}

// spec: CB-CFG-BODYTYPE-TYPE
#[test]
fn body_type_not_a_string() {
    let text = r#"{"callbackUrl":"www.oss-callback.com/test.php","callbackBody":"{\"mimeType\":${mimeType},\"size\":${size}}","callbackBodyType":123}"#;
    snapshot!(
        "CB-CFG-BODYTYPE-TYPE",
        error_xml(Some(&b64(text)), None, None, None)
    );
}

// spec: CB-CFG-BODYTYPE-VALUE
#[test]
fn body_type_unsupported() {
    let text = r#"{"callbackUrl":"www.oss-callback.com/test.php","callbackBody":"{\"mimeType\":${mimeType},\"size\":${size}}","callbackBodyType":"image/jpg"}"#;
    snapshot!(
        "CB-CFG-BODYTYPE-VALUE",
        error_xml(Some(&b64(text)), None, None, None)
    );
}

// spec: CB-CFG-SNI-TYPE
#[test]
fn sni_as_a_string() {
    let text = r#"{"callbackUrl":"https://a.example.com/cb","callbackBody":"b=${bucket}","callbackSNI":"true"}"#;
    snapshot!(
        "CB-CFG-SNI-TYPE",
        error_xml(Some(&b64(text)), None, None, None)
    );
}

// spec: CB-CARRIER-CONFLICT-CALLBACK
#[test]
fn callback_in_header_and_query() {
    let cb = callback("a.example.com", GOOD);
    snapshot!(
        "CB-CARRIER-CONFLICT-CALLBACK",
        error_xml(Some(&cb), None, Some(&cb), None)
    );
}

// spec: CB-CARRIER-CONFLICT-VAR
#[test]
fn callback_var_in_header_and_query() {
    let cb = callback("a.example.com", GOOD);
    let vars = b64(r#"{"x:a":"1"}"#);
    snapshot!(
        "CB-CARRIER-CONFLICT-VAR",
        error_xml(Some(&cb), Some(&vars), None, Some(&vars))
    );
}

// spec: CB-VAR-BASE64
#[test]
fn callback_var_not_base64() {
    snapshot!(
        "CB-VAR-BASE64",
        error_xml(
            Some(&callback("a.example.com", GOOD)),
            Some("x123-*&"),
            None,
            None
        )
    );
}

// spec: CB-VAR-JSON
#[test]
fn callback_var_not_json() {
    snapshot!(
        "CB-VAR-JSON",
        error_xml(
            Some(&callback("a.example.com", GOOD)),
            Some(&b64(r#"{"x:a":"1""#)),
            None,
            None
        )
    );
}

// spec: CB-VAR-NOT-MAP
#[test]
fn callback_var_nested_object() {
    let vars = b64(r#"{"x:a":{"b":"c"}}"#);
    snapshot!(
        "CB-VAR-NOT-MAP",
        error_xml(
            Some(&callback("a.example.com", GOOD)),
            Some(&vars),
            None,
            None
        )
    );
}

// spec: CB-VAR-PREFIX
#[test]
fn callback_var_without_prefix() {
    let vars = b64(r#"{"my_var":"1"}"#);
    snapshot!(
        "CB-VAR-PREFIX",
        error_xml(
            Some(&callback("a.example.com", GOOD)),
            Some(&vars),
            None,
            None
        )
    );
}

// spec: CB-TPL-DOLLAR-BRACE
#[test]
fn dollar_without_brace() {
    // The documented 0007-00000105 example.
    let body = r#""size=${size}&my_var=$x:my_var}""#;
    snapshot!(
        "CB-TPL-DOLLAR-BRACE",
        error_xml(
            Some(&callback("https://oss-calllback.com/index.html", body)),
            None,
            None,
            None
        )
    );
}

// spec: CB-TPL-UNCLOSED
#[test]
fn unclosed_placeholder() {
    snapshot!(
        "CB-TPL-UNCLOSED",
        error_xml(
            Some(&callback("a.example.com", r#""object=${object""#)),
            None,
            None,
            None
        )
    );
}
