//! Fuzz entry points for the protocol core: callback config, variables,
//! templates and signatures.
//!

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};

use crate::callback_url::{parse_url, parse_url_list, AddressPolicy};
use crate::config::{CallbackConfig, DecodeOptions};
use crate::custom_vars::CustomVariables;
use crate::facts::{FactValue, ImageInfo, UploadFacts};
use crate::rejection::RejectionKind;
use crate::signature::{string_to_sign, CallbackPublicKey, VerifyError};
use crate::template::{BodyType, Placeholder, Template};
use crate::testing::generators::{ArbFacts, ArbTemplate, ArbVars};

/// Callback config decoding: whatever decodes must re-encode and decode to
/// the same value, and its template must print back to callbackBody.
pub fn callback_config_decode(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let options = DecodeOptions::default();
    for decoded in [
        CallbackConfig::decode_base64(&text, options),
        CallbackConfig::decode_json(&text, options),
    ]
    .into_iter()
    .flatten()
    {
        let again = CallbackConfig::decode_base64(&decoded.config.to_base64(), options)
            .expect("an encoded valid config decodes");
        assert_eq!(
            again.config, decoded.config,
            "encode → decode changed the config"
        );
        assert_eq!(again.urls, decoded.urls);
        assert_eq!(decoded.template.to_string(), decoded.config.body);
    }
}

/// callback-var decoding: whatever decodes round-trips through Base64 JSON
/// and through the PostObject form representation.
pub fn callback_var_decode(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for decoded in [
        CustomVariables::from_base64(&text),
        CustomVariables::from_json(&text),
    ]
    .into_iter()
    .flatten()
    {
        let again =
            CustomVariables::from_base64(&decoded.to_base64()).expect("encoded vars decode");
        assert_eq!(again, decoded, "encode → decode changed the variables");
        let fields = decoded.to_form_fields();
        let from_form =
            CustomVariables::from_form_fields(fields.iter().map(|(n, v)| (n.as_str(), v.as_str())))
                .expect("form fields of valid vars are valid");
        assert_eq!(from_form, decoded, "form round trip changed the variables");
    }
}

/// Facts whose text values hold every character class that encodings get
/// wrong: reserved URL characters, quotes, backslashes, controls, `$`,
/// non-ASCII and an astral-plane character. Built once per process: every
/// input's time goes to the template code, not to this fixture.
fn tricky_facts() -> &'static UploadFacts {
    static FACTS: OnceLock<UploadFacts> = OnceLock::new();
    FACTS.get_or_init(|| UploadFacts {
        bucket: "cb-bucket".into(),
        object: "a/${bucket} b+c&d=e%f\"g\\h\ni\u{1}中😀".into(),
        etag: "D8E8FCA2DC0F896FD7CB4CB0031BA249".into(),
        size: Some(5),
        mime_type: "text/plain; charset=utf-8".into(),
        image: Some(ImageInfo {
            height: 539,
            width: 810,
            format: "jpg".into(),
        }),
        crc64: Some(u64::MAX),
        content_md5: "x1STW4EVzp0ZZRKUY72zTQ==".into(),
        vpc_id: String::new(),
        client_ip: "203.0.113.7".into(),
        request_id: "63F2302A7CF84230346C6D0D".into(),
        operation: "PutObject".into(),
    })
}

fn tricky_vars() -> &'static CustomVariables {
    static VARS: OnceLock<CustomVariables> = OnceLock::new();
    VARS.get_or_init(|| {
        CustomVariables::new([
            ("x:a", "1"),
            ("x:q", "say \"hi\" ${x:a} %24%7B&=+"),
            ("x:empty", ""),
            ("x:键值1", "值2"),
        ])
        .expect("fixed names are valid")
    })
}

/// What a placeholder should expand to, straight from the facts and
/// variables (not from the expansion code): `None` means no value.
fn expected_value(p: &Placeholder, facts: &UploadFacts, vars: &CustomVariables) -> Option<String> {
    match p {
        Placeholder::System(v) => match facts.value(*v) {
            FactValue::Empty => None,
            FactValue::Text(t) => Some(t.to_owned()),
            FactValue::Number(n) => Some(n.to_string()),
        },
        Placeholder::Custom(name) => vars.get(name).map(str::to_owned),
        Placeholder::Unknown(_) => None,
    }
}

/// Template parsing and expansion in both modes.
///
/// A template that parses prints back unchanged. Its placeholders, laid out
/// as a form (`k0=${..}&k1=${..}`), expand to a body that `form_urlencoded`
/// reads back to the original values; laid out as a JSON array, they expand
/// to JSON that parses and holds the values (strings, bare numbers, `null`).
/// A template that does not parse is refused at a `$`.
pub fn template_expand(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let template = match Template::parse(&text) {
        Ok(t) => t,
        Err(rejection) => {
            let offset = match rejection.kind {
                RejectionKind::DollarWithoutBrace { offset }
                | RejectionKind::UnclosedPlaceholder { offset } => offset,
                other => panic!("template parse returned a non-template rejection {other:?}"),
            };
            assert_eq!(
                text.as_bytes().get(offset),
                Some(&b'$'),
                "error offset must point at a '$'"
            );
            return;
        }
    };
    assert_eq!(
        template.to_string(),
        text,
        "parse → print is not the identity"
    );

    let facts = tricky_facts();
    let vars = tricky_vars();
    // Both modes run on the original template too: they must not panic, and
    // form mode must leave no '$' (values are percent-encoded, literals have none).
    let form_body = template.expand(BodyType::Form, facts, vars);
    assert!(
        !form_body.contains('$'),
        "form expansion leaked a '$': {form_body:?}"
    );
    let _ = template.expand(BodyType::Json, facts, vars);

    check_layouts(&template, facts, vars);
}

/// Lays a template's placeholders out as a form and as a JSON array, and
/// checks both read back (through `form_urlencoded` and `serde_json`) to the
/// values straight from the facts and variables.
fn check_layouts(template: &Template, facts: &UploadFacts, vars: &CustomVariables) {
    let placeholders: Vec<&Placeholder> = template.placeholders().collect();

    let form_template: Vec<String> = placeholders
        .iter()
        .enumerate()
        .map(|(i, p)| format!("k{i}=${{{}}}", p.name()))
        .collect();
    let form_template =
        Template::parse(&form_template.join("&")).expect("generated form template parses");
    let body = form_template.expand(BodyType::Form, facts, vars);
    let decoded: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    if placeholders.is_empty() {
        assert!(decoded.is_empty());
    }
    for (i, p) in placeholders.iter().enumerate() {
        let expected = expected_value(p, facts, vars).unwrap_or_default();
        assert_eq!(
            decoded.get(i),
            Some(&(format!("k{i}"), expected)),
            "form value {i} of {body:?}"
        );
    }

    let json_template: Vec<String> = placeholders
        .iter()
        .map(|p| format!("${{{}}}", p.name()))
        .collect();
    let json_template = Template::parse(&format!("[{}]", json_template.join(",")))
        .expect("generated JSON template parses");
    let body = json_template.expand(BodyType::Json, facts, vars);
    let parsed: serde_json::Value =
        serde_json::from_str(&body).expect("JSON-shaped template expands to JSON");
    let array = parsed.as_array().expect("an array");
    assert_eq!(array.len(), placeholders.len());
    for (p, got) in placeholders.iter().zip(array) {
        let expected = match expected_value(p, facts, vars) {
            None => serde_json::Value::Null,
            Some(v) => match p {
                Placeholder::System(var) if var.kind() == crate::facts::ValueKind::Number => {
                    serde_json::Value::Number(v.parse::<u64>().expect("numeric fact").into())
                }
                _ => serde_json::Value::String(v),
            },
        };
        assert_eq!(got, &expected, "JSON value for ${{{}}}", p.name());
    }
}

/// A real OSS-signed callback (digest Appendix A, V1): target, body,
/// Authorization. One is enough for the invariant; each costs two RSA
/// public-key operations per input.
const OSS_SIGNED: [(&str, &str, &str); 1] = [(
    "/index.php?id=1&index=2",
    "bucket=yonghu-test",
    "kKQeGTRccDKyHB3H9vF+xYMSrmhMZjzzl2/kdD1ktNVgbWEfYTQG0G2SU/RaHBovRCE8OkQDjC3uG33esH2txA==",
)];

fn official_key() -> &'static CallbackPublicKey {
    static KEY: OnceLock<CallbackPublicKey> = OnceLock::new();
    KEY.get_or_init(CallbackPublicKey::official)
}

/// Signature verification: never panics on any input, and a real OSS
/// signature is accepted exactly when the input's string-to-sign is the one
/// OSS signed (otherwise it is a content mismatch, never a wrong key).
///
/// Input layout: target, `\n`, authorization, `\n`, body. Signing itself
/// is left to the property tests: a private-key operation per input would
/// slow this target a hundredfold.
pub fn signature_verify(data: &[u8]) {
    let mut parts = data.splitn(3, |b| *b == b'\n');
    let target = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let authorization = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let body = parts.next().unwrap_or_default();

    let official = official_key();
    let _ = official.verify(&target, body, &authorization);

    let received = string_to_sign(&target, body);
    for (signed_target, signed_body, signature) in OSS_SIGNED {
        let result = official.verify(&target, body, signature);
        if received == string_to_sign(signed_target, signed_body.as_bytes()) {
            assert_eq!(result, Ok(()), "OSS's own signature must verify");
        } else {
            assert!(
                matches!(result, Err(VerifyError::ContentMismatch { .. })),
                "OSS's signature over other content must be a content mismatch, got {result:?}"
            );
        }
    }
}

/// callbackUrl parsing: every URL accepted prints back to text that parses
/// to the same URL; at most five are accepted; what production rules accept
/// is accepted when private addresses are allowed too; every refusal is one
/// of the three URL ECs.
pub fn callback_url_parse(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match parse_url_list(&text, AddressPolicy::AllowPrivate) {
        Ok(urls) => {
            assert!(urls.len() <= 5, "{} URLs accepted", urls.len());
            for url in &urls {
                let printed = url.to_string();
                let again =
                    parse_url(&printed, AddressPolicy::AllowPrivate).expect("a printed URL parses");
                assert_eq!(
                    (&again.host, again.port, &again.target, again.scheme),
                    (&url.host, url.port, &url.target, url.scheme),
                    "{printed}"
                );
            }
        }
        Err(rejection) => {
            assert!(
                ["0007-00000004", "0007-00000005"].contains(&rejection.ec()),
                "unexpected EC {}",
                rejection.ec()
            );
        }
    }
    match parse_url_list(&text, AddressPolicy::Production) {
        Ok(urls) => assert_eq!(Ok(urls), parse_url_list(&text, AddressPolicy::AllowPrivate)),
        Err(rejection) => {
            assert!(["0007-00000004", "0007-00000005", "0007-00000008"].contains(&rejection.ec()))
        }
    }
}

/// Structure-aware template expansion: a generated template always parses,
/// prints back unchanged, and its JSON-array and form layouts read back to
/// the generated facts and variables (the same checks as
/// [`template_expand`], from valid templates only).
pub fn template_structured(data: &[u8]) {
    let mut input = Unstructured::new(data);
    let (Ok(template), Ok(facts), Ok(vars)) = (
        ArbTemplate::arbitrary(&mut input),
        ArbFacts::arbitrary(&mut input),
        ArbVars::arbitrary(&mut input),
    ) else {
        return;
    };
    let text = template.text();
    if text.is_empty() {
        return;
    }
    let parsed = Template::parse(&text).expect("a generated template parses");
    assert_eq!(parsed.to_string(), text);
    check_layouts(&parsed, &facts.facts(), &vars.vars());
}

/// The string to sign: the body follows one `\n`, the raw query with its
/// `?` precedes it, and the path before that is the percent-decoded path.
pub fn string_to_sign_parts(data: &[u8]) {
    let mut input = Unstructured::new(data);
    let (Ok(target), Ok(body)) = (
        String::arbitrary(&mut input),
        Vec::<u8>::arbitrary(&mut input),
    ) else {
        return;
    };
    let sts = string_to_sign(&target, &body);
    assert!(sts.ends_with(&body));
    let head = &sts[..sts.len() - body.len()];
    assert_eq!(head.last(), Some(&b'\n'));
    let head = &head[..head.len() - 1];
    let (path, query) = target.split_at(target.find('?').unwrap_or(target.len()));
    assert!(
        head.ends_with(query.as_bytes()),
        "the raw query ends the signed head"
    );
    let decoded: Vec<u8> = percent_encoding::percent_decode_str(path).collect();
    assert_eq!(&head[..head.len() - query.len()], &decoded[..]);
}
