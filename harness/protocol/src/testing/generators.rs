//! Generators written once and shared by the property tests (proptest
//! strategies) and the fuzz targets (`Arbitrary` inputs): callback configs,
//! custom variables, templates, upload facts and signable requests.

use arbitrary::Arbitrary;
use proptest::prelude::*;
use serde_json::Value;

use crate::auth::SignableRequest;
use crate::config::CallbackConfig;
use crate::custom_vars::CustomVariables;
use crate::facts::{ImageInfo, SystemVariable, UploadFacts};
use crate::template::BodyType;

/// Characters that break naive encoders: reserved URL characters, quotes,
/// backslash, `$`, braces, controls, non-ASCII and astral-plane characters.
pub const TRICKY_CHARS: &str = "[a-zA-Z0-9 /:?#\\[\\]@!$&'()*+,;=%\"\\\\{}~._\\-\n\t\u{1}é中😀]";

/// Text made of [`TRICKY_CHARS`], up to `max` characters.
pub fn tricky_text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        proptest::string::string_regex(TRICKY_CHARS).expect("valid regex"),
        0..max,
    )
    .prop_map(|parts| parts.concat())
}

/// A valid custom variable name: `x:` and no upper-case ASCII.
pub fn var_name() -> impl Strategy<Value = String> {
    "[a-z0-9_.:\\-é中]{1,10}".prop_map(|n| format!("x:{n}"))
}

/// A valid set of custom variables with tricky values.
pub fn custom_vars() -> impl Strategy<Value = CustomVariables> {
    proptest::collection::vec((var_name(), tricky_text(12)), 0..6)
        .prop_map(|pairs| CustomVariables::new(pairs).expect("generated names are valid"))
}

/// A callback URL OSS accepts (scheme-less, http or https; name or IPv4).
pub fn callback_url() -> impl Strategy<Value = String> {
    let host = prop_oneof![
        // A DNS name: at least two labels, the last alphabetic (an all-digit
        // name like `0.0` is neither a domain nor an IPv4 address).
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
pub fn placeholder_name() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(SystemVariable::ALL.to_vec()).prop_map(|v| v.name().to_owned()),
        var_name(),
        "[A-Za-z.:]{0,6}",
    ]
}

/// A callbackBody OSS accepts: literals without `$`, and placeholders.
pub fn template_text() -> impl Strategy<Value = String> {
    let literal = tricky_text(6).prop_map(|t| t.replace('$', ""));
    let segment = prop_oneof![
        literal,
        placeholder_name().prop_map(|n| format!("${{{n}}}"))
    ];
    proptest::collection::vec(segment, 1..8)
        .prop_map(|parts| parts.concat())
        .prop_filter("callbackBody must not be empty", |t| !t.is_empty())
}

/// A valid callback configuration, unknown fields included.
pub fn callback_config() -> impl Strategy<Value = CallbackConfig> {
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

/// The facts of an upload, with tricky text values.
pub fn upload_facts() -> impl Strategy<Value = UploadFacts> {
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

/// A placeholder name from fuzz input.
#[derive(Debug, Clone, Arbitrary)]
pub enum ArbName {
    /// One of the 14 system variables, by index.
    System(u8),
    /// A custom variable name (sanitised into `x:` form).
    Custom(String),
    /// Any other name (without `}`).
    Unknown(String),
}

impl ArbName {
    /// The name as written inside `${...}`.
    pub fn text(&self) -> String {
        match self {
            ArbName::System(i) => SystemVariable::ALL[usize::from(*i) % SystemVariable::ALL.len()]
                .name()
                .to_owned(),
            ArbName::Custom(n) => sanitise_var_name(n),
            ArbName::Unknown(n) => n.replace('}', ""),
        }
    }
}

/// Turns any string into a valid custom variable name.
pub fn sanitise_var_name(raw: &str) -> String {
    let rest: String = raw
        .chars()
        .filter(|c| !c.is_ascii_uppercase() && *c != '}')
        .collect();
    format!(
        "x:{}",
        if rest.is_empty() {
            "v".to_owned()
        } else {
            rest
        }
    )
}

/// A template from fuzz input: literals (without `$`) and placeholders.
#[derive(Debug, Clone, Arbitrary)]
pub struct ArbTemplate {
    /// The pieces, in order.
    pub segments: Vec<ArbSegment>,
}

/// One piece of an [`ArbTemplate`].
#[derive(Debug, Clone, Arbitrary)]
pub enum ArbSegment {
    /// Literal text (its `$` removed).
    Literal(String),
    /// A placeholder.
    Placeholder(ArbName),
}

impl ArbTemplate {
    /// The callbackBody text.
    pub fn text(&self) -> String {
        self.segments
            .iter()
            .map(|s| match s {
                ArbSegment::Literal(t) => t.replace('$', ""),
                ArbSegment::Placeholder(n) => format!("${{{}}}", n.text()),
            })
            .collect()
    }
}

/// Upload facts from fuzz input.
#[derive(Debug, Clone, Arbitrary)]
pub struct ArbFacts {
    /// Object key.
    pub object: String,
    /// Content type.
    pub mime_type: String,
    /// Size.
    pub size: Option<u64>,
    /// CRC-64.
    pub crc64: Option<u64>,
    /// Image dimensions.
    pub image: Option<(u32, u32)>,
    /// VPC id.
    pub vpc_id: String,
}

impl ArbFacts {
    /// As [`UploadFacts`].
    pub fn facts(&self) -> UploadFacts {
        UploadFacts {
            bucket: "fuzz-bucket".into(),
            object: self.object.clone(),
            etag: "EC2CD1F5844FA3C44A915FE9ACAB4770".into(),
            size: self.size,
            mime_type: self.mime_type.clone(),
            image: self.image.map(|(h, w)| ImageInfo {
                height: h.into(),
                width: w.into(),
                format: "png".into(),
            }),
            crc64: self.crc64,
            content_md5: "7CzR9YRPo8RKkV/prKtHcA==".into(),
            vpc_id: self.vpc_id.clone(),
            client_ip: "203.0.113.7".into(),
            request_id: "63F2302A7CF84230346C6D0D".into(),
            operation: "PutObject".into(),
        }
    }
}

/// Custom variables from fuzz input (names sanitised, values as given).
#[derive(Debug, Clone, Arbitrary)]
pub struct ArbVars(pub Vec<(String, String)>);

impl ArbVars {
    /// As [`CustomVariables`].
    pub fn vars(&self) -> CustomVariables {
        CustomVariables::new(
            self.0
                .iter()
                .map(|(n, v)| (sanitise_var_name(n), v.clone())),
        )
        .expect("sanitised names are valid")
    }
}

/// A callback configuration from fuzz input, for the encoder targets.
#[derive(Debug, Clone, Arbitrary)]
pub struct ArbConfig {
    /// callbackUrl text.
    pub url: String,
    /// callbackHost.
    pub host: Option<String>,
    /// callbackBody.
    pub body: String,
    /// callbackBodyType: JSON when true, form when false.
    pub json: Option<bool>,
    /// callbackSNI.
    pub sni: Option<bool>,
}

impl ArbConfig {
    /// As a [`CallbackConfig`].
    pub fn config(&self) -> CallbackConfig {
        CallbackConfig {
            url: self.url.clone(),
            host: self.host.clone(),
            body: self.body.clone(),
            body_type: self
                .json
                .map(|j| if j { BodyType::Json } else { BodyType::Form }),
            sni: self.sni,
            policy: None,
            unknown_fields: Vec::new(),
        }
    }
}

/// A request to sign, from fuzz input.
#[derive(Debug, Clone, Arbitrary)]
pub struct ArbSignable {
    /// Method index.
    pub method: u8,
    /// Bucket (sanitised to a valid name).
    pub bucket: Option<String>,
    /// Object key.
    pub key: Option<String>,
    /// Query parameters.
    pub query: Vec<(String, Option<String>)>,
    /// Headers (names sanitised to header-name characters).
    pub headers: Vec<(String, String)>,
    /// Region.
    pub region: String,
}

impl ArbSignable {
    /// As a [`SignableRequest`].
    pub fn request(&self) -> SignableRequest {
        const METHODS: [&str; 5] = ["GET", "PUT", "POST", "DELETE", "HEAD"];
        let bucket = self.bucket.as_ref().map(|b| {
            let name: String = b
                .chars()
                .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                .take(20)
                .collect();
            if name.len() < 3 {
                "fuzz-bucket".to_owned()
            } else {
                name
            }
        });
        let headers = self
            .headers
            .iter()
            .map(|(n, v)| {
                let name: String = n
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                (
                    if name.is_empty() {
                        "x-oss-meta-a".to_owned()
                    } else {
                        name
                    },
                    v.replace(['\r', '\n'], " "),
                )
            })
            .collect();
        SignableRequest {
            method: METHODS[usize::from(self.method) % METHODS.len()].to_owned(),
            key: bucket.as_ref().and(self.key.clone()),
            bucket,
            query: self.query.clone(),
            headers,
        }
    }
}
