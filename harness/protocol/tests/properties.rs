//! Property tests for the protocol core: encode → decode round trips,
//! expansion read back by independent parsers (`form_urlencoded`,
//! `serde_json`), and no panics on arbitrary input.
//!
//! Failing cases are persisted under `harness/proptest-regressions/` and
//! committed, so they are replayed first on every run.

use cbspec_protocol::callback_url::{parse_url_list, AddressPolicy};
use cbspec_protocol::config::{CallbackConfig, DecodeOptions};
use cbspec_protocol::custom_vars::CustomVariables;
use cbspec_protocol::error_document::ErrorDocument;
use cbspec_protocol::facts::UploadFacts;
use cbspec_protocol::signature::{decode_key_url, CallbackPublicKey, CallbackSigner, VerifyError};
use cbspec_protocol::template::{BodyType, Template};
use cbspec_protocol::testing::generators::{
    callback_config, custom_vars, placeholder_name, template_text, upload_facts,
};
use proptest::prelude::*;
use serde_json::Value;

/// What a variable holds for an upload, read from the struct fields here
/// rather than through the code under test. `None` means no value.
fn expected(facts: &UploadFacts, vars: &CustomVariables, name: &str) -> Option<Value> {
    let text = |s: &str| (!s.is_empty()).then(|| Value::from(s));
    let number = |n: Option<u64>| n.map(Value::from);
    match name {
        "bucket" => text(&facts.bucket),
        "object" => text(&facts.object),
        "etag" => text(&facts.etag),
        "size" => number(facts.size),
        "mimeType" => text(&facts.mime_type),
        "imageInfo.height" => number(facts.image.as_ref().map(|i| i.height)),
        "imageInfo.width" => number(facts.image.as_ref().map(|i| i.width)),
        "imageInfo.format" => facts.image.as_ref().and_then(|i| text(&i.format)),
        "crc64" => number(facts.crc64),
        "contentMd5" => text(&facts.content_md5),
        "vpcId" => text(&facts.vpc_id),
        "clientIp" => text(&facts.client_ip),
        "reqId" => text(&facts.request_id),
        "operation" => text(&facts.operation),
        custom => vars.get(custom).map(Value::from),
    }
}

fn dev_signer() -> CallbackSigner {
    CallbackSigner::from_pem(include_str!("../../keys/emulator-dev-key.pem")).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct("proptest-regressions/properties.txt"),
        )),
        ..ProptestConfig::default()
    })]

    // spec: CB-CARRIER-BASE64, CB-CFG-UNKNOWN-FIELDS
    #[test]
    fn config_encode_decode_round_trips(config in callback_config()) {
        let decoded = CallbackConfig::decode_base64(&config.to_base64(), DecodeOptions::default())
            .map_err(|r| TestCaseError::fail(r.to_string()))?;
        prop_assert_eq!(&decoded.config, &config);
        prop_assert_eq!(decoded.urls.len(), config.url.split(';').filter(|s| !s.is_empty()).count());
    }

    // spec: CB-VAR-JSON-MAP, CB-VAR-POST-FIELDS
    #[test]
    fn vars_encode_decode_round_trips(vars in custom_vars()) {
        prop_assert_eq!(&CustomVariables::from_base64(&vars.to_base64()).unwrap(), &vars);
        let fields = vars.to_form_fields();
        let from_form = CustomVariables::from_form_fields(fields.iter().map(|(n, v)| (n.as_str(), v.as_str()))).unwrap();
        prop_assert_eq!(&from_form, &vars);
    }

    // spec: CB-FORM-ENCODE-VALUES, CB-FORM-ENCODING-SET, CB-FORM-EMPTY
    #[test]
    fn form_expansion_url_decodes_back_to_the_values(
        names in proptest::collection::vec(placeholder_name(), 0..10),
        facts in upload_facts(),
        vars in custom_vars(),
    ) {
        let text: Vec<String> = names.iter().enumerate().map(|(i, n)| format!("k{i}=${{{n}}}")).collect();
        let body = Template::parse(&text.join("&")).unwrap().expand(BodyType::Form, &facts, &vars);
        prop_assert!(body.bytes().all(|b| b.is_ascii_graphic()), "form body must be printable ASCII: {body:?}");
        let decoded: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        prop_assert_eq!(decoded.len(), names.len());
        for (i, name) in names.iter().enumerate() {
            let want = match expected(&facts, &vars, name) {
                None => String::new(),
                Some(Value::String(s)) => s,
                Some(other) => other.to_string(),
            };
            prop_assert_eq!(&decoded[i], &(format!("k{i}"), want), "placeholder ${{{}}}", name);
        }
    }

    // spec: CB-JSON-STRING-LITERAL, CB-JSON-NUMBER-BARE, CB-JSON-ESCAPE, CB-JSON-EMPTY
    #[test]
    fn json_expansion_of_a_json_template_parses_and_holds_the_values(
        names in proptest::collection::vec(placeholder_name(), 0..10),
        facts in upload_facts(),
        vars in custom_vars(),
    ) {
        let fields: Vec<String> = names.iter().enumerate().map(|(i, n)| format!("\"k{i}\":${{{n}}}")).collect();
        let body = Template::parse(&format!("{{{}}}", fields.join(","))).unwrap().expand(BodyType::Json, &facts, &vars);
        let parsed: Value = serde_json::from_str(&body).map_err(|e| TestCaseError::fail(format!("{e}: {body}")))?;
        for (i, name) in names.iter().enumerate() {
            let want = expected(&facts, &vars, name).unwrap_or(Value::Null);
            prop_assert_eq!(&parsed[format!("k{i}")], &want, "placeholder ${{{}}}", name);
        }
    }

    // spec: CB-TPL-PLACEHOLDER
    #[test]
    fn valid_templates_print_back_unchanged(text in template_text()) {
        prop_assert_eq!(Template::parse(&text).unwrap().to_string(), text);
    }

    // spec: CB-SIG-ALGORITHM, CB-SIG-STRING-TO-SIGN
    #[test]
    fn signatures_verify_only_for_the_signed_content(
        target in "/[a-zA-Z0-9%/._~\\-]{0,20}(\\?[a-zA-Z0-9=&%+]{0,12})?",
        body in proptest::collection::vec(any::<u8>(), 0..64),
        extra in any::<u8>(),
    ) {
        let signer = dev_signer();
        let key = signer.public_key();
        let auth = signer.sign(&target, &body);
        prop_assert_eq!(key.verify(&target, &body, &auth), Ok(()));
        let mut tampered = body.clone();
        tampered.push(extra);
        let mismatch = matches!(key.verify(&target, &tampered, &auth), Err(VerifyError::ContentMismatch { .. }));
        prop_assert!(mismatch);
    }

    #[test]
    fn error_documents_round_trip(
        message in "[^\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\r]{0,40}",
        value in proptest::option::of("[^\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\r]{0,40}"),
    ) {
        let doc = ErrorDocument {
            code: "InvalidArgument".into(),
            message,
            request_id: "63F2302A7CF84230346C6D0D".into(),
            host_id: "b.oss-cn-hangzhou.aliyuncs.com".into(),
            argument_name: value.as_ref().map(|_| "callback".to_owned()),
            argument_value: value,
            ec: Some("0007-00000003".into()),
            recommend_doc: Some(ErrorDocument::recommend_doc_for("0007-00000003")),
            extra: Vec::new(),
        };
        prop_assert_eq!(ErrorDocument::from_xml(&doc.to_xml()), Ok(doc));
    }

    /// No parser panics on arbitrary text, whatever it returns.
    #[test]
    fn parsers_never_panic(text in "\\PC{0,200}", bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let lossy = String::from_utf8_lossy(&bytes);
        for input in [text.as_str(), lossy.as_ref()] {
            let _ = CallbackConfig::decode_base64(input, DecodeOptions::production());
            let _ = CallbackConfig::decode_json(input, DecodeOptions::default());
            let _ = CustomVariables::from_base64(input);
            let _ = CustomVariables::from_json(input);
            let _ = Template::parse(input);
            let _ = parse_url_list(input, AddressPolicy::Production);
            let _ = ErrorDocument::from_xml(input);
            let _ = decode_key_url(input);
            let _ = CallbackPublicKey::official().verify(input, &bytes, input);
        }
    }
}
