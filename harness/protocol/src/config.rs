//! The callback configuration: the JSON object inside the Base64 `callback`
//! parameter, decoded and validated exactly as OSS does, and encoded for
//! clients.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

use super::callback_url::{parse_url_list, AddressPolicy, CallbackUrl};
use super::rejection::{Rejection, RejectionKind};
use super::template::{BodyType, Template};

/// The field names OSS reads; anything else is an unknown field.
const KNOWN_FIELDS: [&str; 6] = [
    "callbackUrl",
    "callbackHost",
    "callbackBody",
    "callbackBodyType",
    "callbackSNI",
    "callbackPolicy",
];

/// The callback configuration as written by a client.
///
/// Optional fields keep their absence, so encode → decode gives back the
/// same value. Unknown fields are kept, in order, so tools can show them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CallbackConfig {
    /// `callbackUrl`: up to five `;`-separated URLs; empty means no callback.
    pub url: String,
    /// `callbackHost`: the `Host` header of the callback request.
    pub host: Option<String>,
    /// `callbackBody`: the template.
    pub body: String,
    /// `callbackBodyType`: form (default) or JSON.
    pub body_type: Option<BodyType>,
    /// `callbackSNI`: send SNI on HTTPS callbacks (default false).
    pub sni: Option<bool>,
    /// `callbackPolicy`: the name of a bucket callback policy.
    pub policy: Option<String>,
    /// Fields OSS does not define, in order (e.g. `additionalHeaders`, or a
    /// misspelled `calbackBodyType`).
    // spec: CB-CFG-UNKNOWN-FIELDS
    pub unknown_fields: Vec<(String, Value)>,
}

/// How strictly to validate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Whether loopback and private callback URLs are accepted.
    pub address_policy: AddressPolicy,
}

impl DecodeOptions {
    /// The real service's rules: private addresses refused.
    pub fn production() -> Self {
        Self {
            address_policy: AddressPolicy::Production,
        }
    }
}

/// A configuration that passed every check, with its parsed parts.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedCallback {
    /// The configuration as decoded.
    pub config: CallbackConfig,
    /// The URLs, in the order OSS tries them; empty when none is configured.
    pub urls: Vec<CallbackUrl>,
    /// The parsed callbackBody.
    pub template: Template,
}

impl ValidatedCallback {
    /// Whether a callback will be sent at all.
    // spec: CB-CFG-URL-ABSENT
    pub fn is_enabled(&self) -> bool {
        !self.urls.is_empty()
    }

    /// The body type in force (form unless JSON was asked for).
    // spec: CB-CFG-BODYTYPE-DEFAULT
    pub fn body_type(&self) -> BodyType {
        self.config.body_type.unwrap_or(BodyType::Form)
    }

    /// Whether HTTPS callbacks send SNI (false unless asked for).
    // spec: CB-CFG-SNI-DEFAULT, CB-TLS-SNI-TRUE, CB-TLS-SNI-FALSE
    pub fn sni(&self) -> bool {
        self.config.sni.unwrap_or(false)
    }

    /// The `Host` header for a request to `url`: callbackHost when given,
    /// else the URL's host and port as written.
    // spec: CB-CFG-HOST-DEFAULT, CB-CFG-HOST-EMPTY, CB-HDR-HOST
    pub fn host_header(&self, url: &CallbackUrl) -> String {
        match self.config.host.as_deref() {
            Some(host) if !host.is_empty() => host.to_owned(),
            _ => url.authority(),
        }
    }
}

impl CallbackConfig {
    /// A configuration with a URL list and a body, everything else default.
    pub fn new(url: impl Into<String>, body: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            body: body.into(),
            ..Self::default()
        }
    }

    /// The JSON text, compact, fields in the documented order, then the
    /// policy and unknown fields: the one encoder in `callback_json`.
    pub fn to_json(&self) -> String {
        crate::callback_json::CallbackFields::from(self).to_json_text()
    }

    /// The header/query/form value: standard padded Base64 of the UTF-8 JSON.
    // spec: CB-CARRIER-BASE64
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.to_json())
    }

    /// Decodes and validates the Base64 `callback` parameter.
    // spec: CB-CFG-BASE64
    pub fn decode_base64(
        encoded: &str,
        options: DecodeOptions,
    ) -> Result<ValidatedCallback, Rejection> {
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| Rejection::new(RejectionKind::CallbackNotBase64, encoded))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            Rejection::new(
                RejectionKind::CallbackNotJson {
                    reason: format!("not UTF-8: {e}"),
                },
                String::from_utf8_lossy(e.as_bytes()).into_owned(),
            )
        })?;
        Self::decode_json(&text, options)
    }

    /// Decodes and validates the JSON text, checking fields in OSS's order:
    /// callbackUrl, callbackHost, callbackBody, callbackBodyType,
    /// callbackSNI, then the template syntax. The first failure wins.
    // spec: CB-CFG-JSON, CB-CFG-OBJECT, CB-CFG-ORDER
    pub fn decode_json(text: &str, options: DecodeOptions) -> Result<ValidatedCallback, Rejection> {
        let reject = |kind| Rejection::new(kind, text);
        let value: Value = serde_json::from_str(text).map_err(|e| {
            reject(RejectionKind::CallbackNotJson {
                reason: e.to_string(),
            })
        })?;
        let Value::Object(map) = value else {
            return Err(reject(RejectionKind::CallbackNotJson {
                reason: "the top level is not a JSON object".into(),
            }));
        };

        // A policy reference replaces the inline fields, so it is judged first.
        // spec: CB-CFG-POLICY, CB-POLICY-BUCKET
        if map.contains_key("callbackPolicy") {
            return Err(reject(RejectionKind::PolicyNotFound));
        }

        // spec: CB-CFG-URL-TYPE, CB-CFG-URL-ABSENT
        let url = match map.get("callbackUrl") {
            None => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(reject(RejectionKind::UrlInvalid {
                    url: other.to_string(),
                    reason: "callbackUrl must be a JSON string".into(),
                }))
            }
        };
        let urls = parse_url_list(&url, options.address_policy)
            .map_err(|r| Rejection::new(r.kind, text))?;

        // spec: CB-CFG-HOST-TYPE
        let host = match map.get("callbackHost") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(reject(RejectionKind::HostNotString)),
        };

        // spec: CB-CFG-BODY-REQUIRED, CB-CFG-BODY-TYPE, CB-CFG-BODY-EMPTY
        let body = match map.get("callbackBody") {
            None => return Err(reject(RejectionKind::BodyEmpty)),
            Some(Value::String(s)) if s.is_empty() => return Err(reject(RejectionKind::BodyEmpty)),
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(reject(RejectionKind::BodyNotString)),
        };

        // spec: CB-CFG-BODYTYPE-TYPE, CB-CFG-BODYTYPE-VALUE
        let body_type = match map.get("callbackBodyType") {
            None => None,
            Some(Value::String(s)) => {
                Some(BodyType::from_content_type(s).ok_or_else(|| {
                    reject(RejectionKind::BodyTypeUnsupported { value: s.clone() })
                })?)
            }
            Some(_) => return Err(reject(RejectionKind::BodyTypeNotString)),
        };

        // spec: CB-CFG-SNI-TYPE
        let sni = match map.get("callbackSNI") {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => return Err(reject(RejectionKind::SniNotBoolean)),
        };

        let template = Template::parse(&body)?;

        let unknown_fields = map
            .into_iter()
            .filter(|(name, _)| !KNOWN_FIELDS.contains(&name.as_str()))
            .collect();

        Ok(ValidatedCallback {
            config: CallbackConfig {
                url,
                host,
                body,
                body_type,
                sni,
                policy: None,
                unknown_fields,
            },
            urls,
            template,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reject_json(text: &str) -> Rejection {
        CallbackConfig::decode_json(text, DecodeOptions::default()).unwrap_err()
    }

    // spec: CB-CFG-JSON
    #[test]
    fn unescaped_quotes_are_the_classic_not_json_error() {
        // Pitfall 1 in the digest §10: quotes inside callbackBody not escaped.
        let text = r#"{"callbackUrl":"www.oss-callback.com/test.php","callbackBody":"{"bucket":${bucket}}"}"#;
        let err = reject_json(text);
        assert_eq!(err.ec(), "0007-00000003");
        assert_eq!(
            err.message(),
            "The callback configuration is not json format."
        );
        assert_eq!(err.argument_name(), "callback");
        assert_eq!(err.argument_value, text);
    }

    // spec: CB-CFG-BODY-TYPE, CB-CFG-BODY-EMPTY, CB-CFG-BODY-REQUIRED, CB-CFG-HOST-TYPE, CB-CFG-BODYTYPE-TYPE, CB-CFG-BODYTYPE-VALUE, CB-CFG-SNI-TYPE, CB-CFG-URL-TYPE, CB-CFG-OBJECT
    #[test]
    fn field_type_errors_map_to_their_ec() {
        let cases = [
            (
                r#"{"callbackUrl":"www.oss-callback.com/test.php","callbackBody":[1,2,3]}"#,
                "0007-00000010",
            ),
            (
                r#"{"callbackUrl":"www.oss-callback.com/test.php","callbackBody":""}"#,
                "0007-00000011",
            ),
            (
                r#"{"callbackUrl":"www.oss-callback.com/test.php"}"#,
                "0007-00000011",
            ),
            (
                r#"{"callbackUrl":"a.example.com","callbackHost":1,"callbackBody":"b"}"#,
                "0007-00000009",
            ),
            (
                r#"{"callbackUrl":"www.oss-callback.com/test.php","callbackBody":"{\"mimeType\":${mimeType},\"size\":${size}}","callbackBodyType":123}"#,
                "0007-00000012",
            ),
            (
                r#"{"callbackUrl":"www.oss-callback.com/test.php","callbackBody":"b","callbackBodyType":"image/jpg"}"#,
                "0007-00000012",
            ),
            (
                r#"{"callbackUrl":"a.example.com","callbackBody":"b","callbackSNI":"true"}"#,
                "0007-00000013",
            ),
            (
                r#"{"callbackUrl":"a.example.com","callbackBody":"b","callbackSNI":123}"#,
                "0007-00000013",
            ),
            (
                r#"{"callbackUrl":["a.example.com"],"callbackBody":"b"}"#,
                "0007-00000004",
            ),
            (
                r#"{"callbackUrl":null,"callbackBody":"b"}"#,
                "0007-00000004",
            ),
            (
                r#"{"callbackUrl":"a.example.com","callbackBody":null}"#,
                "0007-00000010",
            ),
            (
                r#"{"callbackUrl":"a.example.com","callbackBody":"b","callbackSNI":null}"#,
                "0007-00000013",
            ),
            (r#"["callbackUrl"]"#, "0007-00000003"),
        ];
        for (text, ec) in cases {
            assert_eq!(reject_json(text).ec(), ec, "{text}");
        }
        assert_eq!(
            reject_json(
                r#"{"callbackUrl":"a.example.com","callbackBody":"b","callbackSNI":"true"}"#
            )
            .message(),
            "The callback sni is invalid."
        );
    }

    // spec: CB-CFG-ORDER
    #[test]
    fn the_first_failing_field_in_oss_order_wins() {
        // Bad URL and bad body type together: the URL is checked first.
        let err = reject_json(
            r#"{"callbackBodyType":"x","callbackBody":"","callbackUrl":"my.com:test"}"#,
        );
        assert_eq!(err.ec(), "0007-00000004");
        // Bad SNI and bad template together: SNI first.
        let err =
            reject_json(r#"{"callbackUrl":"a.example.com","callbackBody":"$x","callbackSNI":1}"#);
        assert_eq!(err.ec(), "0007-00000013");
    }

    // spec: CB-TPL-DOLLAR-BRACE
    #[test]
    fn template_errors_surface_from_the_config() {
        let err = reject_json(
            r#"{"callbackUrl":"https://oss-calllback.com/index.html","callbackBody":"size=${size}&my_var=$x:my_var}"}"#,
        );
        assert_eq!(err.ec(), "0007-00000105");
        assert_eq!(err.argument_name(), "ReplaceKeyPrefix");
        assert_eq!(err.argument_value, "size=${size}&my_var=$x:my_var}");
        // The obsolete $(object) form is refused the same way.
        let err = reject_json(r#"{"callbackUrl":"a.example.com","callbackBody":"o=$(object)"}"#);
        assert_eq!(err.ec(), "0007-00000105");
    }

    // spec: CB-CFG-UNKNOWN-FIELDS, CB-CFG-BODYTYPE-DEFAULT, CB-CFG-SNI-DEFAULT, CB-CFG-HOST-DEFAULT
    #[test]
    fn decodes_the_documented_example_with_defaults_and_unknown_fields() {
        let text = r#"{"callbackHost": "your.callback.com", "callbackUrl": "http://oss-demo.aliyuncs.com:23450", "callbackBody": "bucket=${bucket}&object=${object}&uid=${x:uid}&order=${x:order_id}", "callbackBodyType": "application/x-www-form-urlencoded", "callbackSNI": false, "calbackBodyType": "application/json"}"#;
        let cb = CallbackConfig::decode_json(text, DecodeOptions::production()).unwrap();
        assert_eq!(cb.urls.len(), 1);
        assert_eq!(cb.host_header(&cb.urls[0]), "your.callback.com");
        assert_eq!(cb.body_type(), BodyType::Form);
        assert!(!cb.sni());
        assert_eq!(
            cb.config.unknown_fields,
            vec![(
                "calbackBodyType".to_owned(),
                Value::from("application/json")
            )]
        );

        let bare = CallbackConfig::decode_json(
            r#"{"callbackUrl":"121.43.113.8:23456/index.html","callbackBody":"b"}"#,
            DecodeOptions::production(),
        )
        .unwrap();
        assert_eq!(bare.body_type(), BodyType::Form);
        assert!(!bare.sni());
        assert_eq!(bare.host_header(&bare.urls[0]), "121.43.113.8:23456");

        let empty_host = CallbackConfig::decode_json(
            r#"{"callbackUrl":"https://a.example.com/cb","callbackHost":"","callbackBody":"b"}"#,
            DecodeOptions::production(),
        )
        .unwrap();
        assert_eq!(empty_host.host_header(&empty_host.urls[0]), "a.example.com");
    }

    // spec: CB-CFG-URL-ABSENT
    #[test]
    fn missing_or_empty_url_means_no_callback() {
        for text in [
            r#"{"callbackBody":"b"}"#,
            r#"{"callbackUrl":"","callbackBody":"b"}"#,
        ] {
            let cb = CallbackConfig::decode_json(text, DecodeOptions::production()).unwrap();
            assert!(!cb.is_enabled(), "{text}");
        }
    }

    // spec: CB-CFG-POLICY
    #[test]
    fn bucket_policy_references_are_refused() {
        let err = reject_json(r#"{"callbackPolicy":"test_2"}"#);
        assert_eq!(err.ec(), "0007-00000007");
    }

    // spec: CB-CFG-BASE64
    #[test]
    fn the_documented_non_base64_value_is_refused() {
        let err = CallbackConfig::decode_base64("x123-*&", DecodeOptions::default()).unwrap_err();
        assert_eq!(err.ec(), "0007-00000002");
        assert_eq!(
            err.message(),
            "The callback configuration is not base64 encoded."
        );
        assert_eq!(err.argument_value, "x123-*&");
    }

    #[test]
    fn encodes_in_documented_field_order_and_round_trips() {
        let config = CallbackConfig {
            url: "https://a.example.com/cb".into(),
            host: Some("h.example.com".into()),
            body: "{\"o\":${object}}".into(),
            body_type: Some(BodyType::Json),
            sni: Some(true),
            policy: None,
            unknown_fields: vec![("x-extra".into(), Value::from(1))],
        };
        assert_eq!(
            config.to_json(),
            r#"{"callbackUrl":"https://a.example.com/cb","callbackHost":"h.example.com","callbackBody":"{\"o\":${object}}","callbackBodyType":"application/json","callbackSNI":true,"x-extra":1}"#
        );
        let decoded =
            CallbackConfig::decode_base64(&config.to_base64(), DecodeOptions::default()).unwrap();
        assert_eq!(decoded.config, config);
    }
}
