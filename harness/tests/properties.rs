//! Property tests for the protocol core: encode → decode round trips,
//! expansion read back by independent parsers (`form_urlencoded`,
//! `serde_json`), and no panics on arbitrary input.
//!
//! Failing cases are persisted under `harness/proptest-regressions/` and
//! committed, so they are replayed first on every run.

use cbspec::protocol::callback_url::{parse_url_list, AddressPolicy};
use cbspec::protocol::config::{CallbackConfig, DecodeOptions};
use cbspec::protocol::custom_vars::CustomVariables;
use cbspec::protocol::error_document::ErrorDocument;
use cbspec::protocol::facts::{ImageInfo, SystemVariable, UploadFacts};
use cbspec::protocol::signature::{decode_key_url, CallbackPublicKey, CallbackSigner, VerifyError};
use cbspec::protocol::template::{BodyType, Template};
use proptest::prelude::*;
use serde_json::Value;

/// Characters that break naive encoders: reserved URL characters, quotes,
/// backslash, `$`, braces, controls, non-ASCII and astral-plane characters.
const TRICKY: &str = "[a-zA-Z0-9 /:?#\\[\\]@!$&'()*+,;=%\"\\\\{}~._\\-\n\t\u{1}é中😀]";

fn tricky_text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::string::string_regex(TRICKY).unwrap(), 0..max)
        .prop_map(|parts| parts.concat())
}

fn var_name() -> impl Strategy<Value = String> {
    "[a-z0-9_.:\\-é中]{1,10}".prop_map(|n| format!("x:{n}"))
}

fn custom_vars() -> impl Strategy<Value = CustomVariables> {
    proptest::collection::vec((var_name(), tricky_text(12)), 0..6)
        .prop_map(|pairs| CustomVariables::new(pairs).expect("generated names are valid"))
}

fn callback_url() -> impl Strategy<Value = String> {
    let host = prop_oneof![
        // A DNS name: at least two labels, the last one alphabetic (an
        // all-digit name like `0.0` is neither a domain nor an IPv4 address).
        (
            proptest::collection::vec("[a-z0-9\\-]{1,8}", 1..3),
            "[a-z]{2,6}"
        )
            .prop_map(|(labels, tld)| format!("{}.{tld}", labels.join("."))),
        (1u8..=223, any::<u8>(), any::<u8>(), 1u8..=254)
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
    ];
    let scheme = prop_oneof![Just(""), Just("http://"), Just("https://")];
    let port = proptest::option::of(1u16..=65535);
    let path = "(/[a-zA-Z0-9%._~\\-]{0,8}){0,3}";
    let query = proptest::option::of("[a-zA-Z0-9=&%+._~\\-/]{0,12}");
    (scheme, host, port, path, query).prop_map(|(scheme, host, port, path, query)| {
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        let query = query.map(|q| format!("?{q}")).unwrap_or_default();
        format!("{scheme}{host}{port}{path}{query}")
    })
}

/// A placeholder name: a system variable, a custom variable or an unknown name.
fn placeholder_name() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(SystemVariable::ALL.to_vec()).prop_map(|v| v.name().to_owned()),
        var_name(),
        "[A-Za-z.:]{0,6}",
    ]
}

/// A callbackBody that OSS accepts: literals without `$`, and placeholders.
fn template_text() -> impl Strategy<Value = String> {
    let literal = tricky_text(6).prop_map(|t| t.replace('$', ""));
    let segment = prop_oneof![
        literal,
        placeholder_name().prop_map(|n| format!("${{{n}}}"))
    ];
    proptest::collection::vec(segment, 1..8)
        .prop_map(|parts| parts.concat())
        .prop_filter("callbackBody must not be empty", |t| !t.is_empty())
}

fn callback_config() -> impl Strategy<Value = CallbackConfig> {
    let urls = proptest::collection::vec(callback_url(), 0..=5).prop_map(|u| u.join(";"));
    let unknown = proptest::collection::vec(
        (
            "[a-zA-Z]{1,8}".prop_filter("not a known field", |n| !n.starts_with("callback")),
            tricky_text(6),
        ),
        0..3,
    );
    (
        urls,
        proptest::option::of(tricky_text(10)),
        template_text(),
        proptest::option::of(prop_oneof![Just(BodyType::Form), Just(BodyType::Json)]),
        proptest::option::of(any::<bool>()),
        unknown,
    )
        .prop_map(|(url, host, body, body_type, sni, unknown)| {
            let mut unknown_fields: Vec<(String, Value)> = Vec::new();
            for (name, value) in unknown {
                if !unknown_fields.iter().any(|(n, _)| *n == name) {
                    unknown_fields.push((name, Value::from(value)));
                }
            }
            CallbackConfig {
                url,
                host,
                body,
                body_type,
                sni,
                policy: None,
                unknown_fields,
            }
        })
}

fn upload_facts() -> impl Strategy<Value = UploadFacts> {
    (
        (
            "[a-z0-9\\-]{3,20}",
            tricky_text(16),
            "[0-9A-F]{32}(-[0-9]{1,3})?",
        ),
        (proptest::option::of(any::<u64>()), tricky_text(8)),
        proptest::option::of((any::<u32>(), any::<u32>(), "jpg|png|gif|bmp|webp")),
        (
            proptest::option::of(any::<u64>()),
            "([A-Za-z0-9+/]{22}==)?",
            "(vpc-[a-z0-9]{8})?",
        ),
        (
            "[0-9]{1,3}(\\.[0-9]{1,3}){3}",
            "[0-9A-F]{24}",
            "PutObject|PostObject|CompleteMultipartUpload",
        ),
    )
        .prop_map(
            |(
                (bucket, object, etag),
                (size, mime_type),
                image,
                (crc64, content_md5, vpc_id),
                (client_ip, request_id, operation),
            )| {
                UploadFacts {
                    bucket,
                    object,
                    etag,
                    size,
                    mime_type,
                    image: image.map(|(h, w, f)| ImageInfo {
                        height: h.into(),
                        width: w.into(),
                        format: f,
                    }),
                    crc64,
                    content_md5,
                    vpc_id,
                    client_ip,
                    request_id,
                    operation,
                }
            },
        )
}

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
    CallbackSigner::from_pem(include_str!("../keys/emulator-dev-key.pem")).unwrap()
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
