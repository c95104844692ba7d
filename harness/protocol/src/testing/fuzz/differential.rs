//! Differential fuzz entry points: cbspec's encoders against independent
//! straightforward models, and against the encodings SDKs are known to use.

use std::sync::atomic::{AtomicUsize, Ordering};

use arbitrary::{Arbitrary, Unstructured};
use percent_encoding::utf8_percent_encode;
use serde_json::Value;

use crate::template::FORM_VALUE_ENCODE_SET;
use crate::testing::generators::ArbConfig;

/// A JSON string literal written the plainest way: quote, backslash and
/// control characters escaped, everything else as is. The model the real
/// encoder is compared with.
fn model_json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn model_config_json(arb: &ArbConfig) -> String {
    let mut fields = vec![format!("\"callbackUrl\":{}", model_json_string(&arb.url))];
    if let Some(host) = &arb.host {
        fields.push(format!("\"callbackHost\":{}", model_json_string(host)));
    }
    fields.push(format!("\"callbackBody\":{}", model_json_string(&arb.body)));
    if let Some(json) = arb.json {
        let value = if json {
            "application/json"
        } else {
            "application/x-www-form-urlencoded"
        };
        fields.push(format!("\"callbackBodyType\":\"{value}\""));
    }
    if let Some(sni) = arb.sni {
        fields.push(format!("\"callbackSNI\":{sni}"));
    }
    format!("{{{}}}", fields.join(","))
}

/// The callback JSON encoder against the model: both must parse to the same
/// JSON value, and cbspec's must carry every field exactly.
pub fn diff_callback_json(data: &[u8]) {
    let mut input = Unstructured::new(data);
    let Ok(arb) = ArbConfig::arbitrary(&mut input) else {
        return;
    };
    let ours = arb.config().to_json();
    let ours_value: Value =
        serde_json::from_str(&ours).expect("cbspec's callback JSON always parses");
    let model_value: Value =
        serde_json::from_str(&model_config_json(&arb)).expect("the model's JSON parses");
    assert_eq!(
        ours_value, model_value,
        "cbspec and the model disagree on {arb:?}"
    );
    assert_eq!(ours_value["callbackUrl"], Value::from(arb.url.clone()));
    assert_eq!(ours_value["callbackBody"], Value::from(arb.body.clone()));
}

/// The model of form-value encoding: unreserved bytes as they are, every
/// other byte `%XX` in upper-case hex.
fn model_form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Form-value encoding: equal to the byte-wise model, and `form_urlencoded`
/// (an independent reader) decodes it back to the original value.
pub fn diff_form_encoding(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let ours = utf8_percent_encode(&text, FORM_VALUE_ENCODE_SET).to_string();
    assert_eq!(ours, model_form_encode(&text));
    let body = format!("k={ours}&z=1");
    let decoded: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(
        decoded,
        vec![
            ("k".to_owned(), text.into_owned()),
            ("z".to_owned(), "1".to_owned())
        ]
    );
}

/// How many inputs made an SDK encoding disagree with cbspec's, by kind.
static JAVA_INVALID: AtomicUsize = AtomicUsize::new(0);
static JAVA_INJECTED: AtomicUsize = AtomicUsize::new(0);
static ALI_OSS_REENCODED: AtomicUsize = AtomicUsize::new(0);

/// The Java SDK's callback JSON: string concatenation without escaping
/// (`OSSUtils.jsonizeCallback`, digest §3).
fn java_concat_json(arb: &ArbConfig) -> String {
    let mut out = format!(
        "{{\"callbackUrl\":\"{}\",\"callbackBody\":\"{}\"",
        arb.url, arb.body
    );
    if let Some(host) = &arb.host {
        out.push_str(&format!(",\"callbackHost\":\"{host}\""));
    }
    if let Some(json) = arb.json {
        let value = if json {
            "application/json"
        } else {
            "application/x-www-form-urlencoded"
        };
        out.push_str(&format!(",\"callbackBodyType\":\"{value}\""));
    }
    out.push('}');
    out
}

/// ali-oss runs callbackUrl through JavaScript's `encodeURI`, which leaves
/// `%` alone only as a literal: an already-encoded URL is encoded twice.
fn ali_oss_encode_uri(url: &str) -> String {
    url.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            b';' | b',' | b'/' | b'?' | b':' | b'@' | b'&' | b'=' | b'+' | b'$' | b'-' | b'_'
            | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')' | b'#' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Whether `text` holds a character JSON cannot carry raw in a string.
fn needs_json_escape(text: &str) -> bool {
    text.chars()
        .any(|c| c == '"' || c == '\\' || (c as u32) < 0x20)
}

/// SDK encoders that are known to be fragile, against cbspec's. Asserted:
/// cbspec's JSON always parses and carries every field exactly; and where no
/// field holds a character that needs escaping, the Java SDK's concatenation
/// (as modelled) gives exactly cbspec's fields, so the model and cbspec's
/// encoder agree wherever the SDK is not at fault. Counted (and printed with
/// `CBSPEC_FUZZ_REPORT` set), as SDK findings rather than cbspec failures:
/// concatenation that produces invalid JSON or changed fields (injection),
/// and ali-oss's `encodeURI` changing an already encoded URL.
pub fn diff_sdk_encoders(data: &[u8]) {
    let mut input = Unstructured::new(data);
    let Ok(arb) = ArbConfig::arbitrary(&mut input) else {
        return;
    };
    let ours: Value = serde_json::from_str(&arb.config().to_json())
        .expect("cbspec's callback JSON always parses");
    assert_eq!(ours["callbackUrl"], Value::from(arb.url.clone()));
    assert_eq!(ours["callbackBody"], Value::from(arb.body.clone()));
    assert_eq!(
        ours.get("callbackHost").and_then(Value::as_str),
        arb.host.as_deref()
    );
    let fields = [
        "callbackUrl",
        "callbackBody",
        "callbackHost",
        "callbackBodyType",
    ];
    let safe = !needs_json_escape(&arb.url)
        && !needs_json_escape(&arb.body)
        && !arb.host.as_deref().is_some_and(needs_json_escape);
    if safe {
        let java: Value = serde_json::from_str(&java_concat_json(&arb))
            .unwrap_or_else(|e| panic!("concatenation of safe text must parse ({e}): {arb:?}"));
        for field in fields {
            assert_eq!(java.get(field), ours.get(field), "{field} of {arb:?}");
        }
    }
    let report = std::env::var_os("CBSPEC_FUZZ_REPORT").is_some();
    match serde_json::from_str::<Value>(&java_concat_json(&arb)) {
        Err(_) => {
            if JAVA_INVALID.fetch_add(1, Ordering::Relaxed) < 3 && report {
                eprintln!("java-concat: invalid JSON for {arb:?}");
            }
        }
        Ok(java) => {
            let same = fields
                .iter()
                .all(|field| java.get(field) == ours.get(field));
            if !same && JAVA_INJECTED.fetch_add(1, Ordering::Relaxed) < 3 && report {
                eprintln!("java-concat: fields changed (JSON injection) for {arb:?}: {java}");
            }
        }
    }
    if arb.url.contains('%')
        && ali_oss_encode_uri(&arb.url) != arb.url
        && ALI_OSS_REENCODED.fetch_add(1, Ordering::Relaxed) < 3
        && report
    {
        eprintln!(
            "ali-oss encodeURI: {:?} becomes {:?}",
            arb.url,
            ali_oss_encode_uri(&arb.url)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdk_models_reproduce_the_documented_weaknesses() {
        let arb = ArbConfig {
            url: "http://a.example.com/cb".into(),
            host: None,
            body: r#"{"bucket":${bucket}}"#.into(),
            json: Some(true),
            sni: None,
        };
        // Digest §10 pitfall 1: unescaped quotes break the Java SDK's JSON.
        assert!(serde_json::from_str::<Value>(&java_concat_json(&arb)).is_err());
        // An already percent-encoded URL is encoded again by encodeURI.
        assert_eq!(
            ali_oss_encode_uri("http://a.example.com/%E4%B8%AD"),
            "http://a.example.com/%25E4%25B8%25AD"
        );
        assert_eq!(model_json_string("a\"b\\c\u{1}"), r#""a\"b\\c\u0001""#);
    }
}
