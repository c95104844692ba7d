//! PostObject policies: parsing, evaluation against a submitted form, and the
//! V1 / V4 policy signatures.
//!
//! The form carries `policy` = Base64(JSON). V1 signs that Base64 text with
//! `Signature = Base64(HMAC-SHA1(secret, policy))` next to `OSSAccessKeyId`;
//! V4 signs it with `x-oss-signature = hex(HMAC-SHA256(signing key, policy))`
//! next to `x-oss-signature-version`, `x-oss-credential` and `x-oss-date`.
//!
//! Form field names are compared case-insensitively, in the policy and for
//! the authentication fields: the ali-oss live test
//! `signPostObjectPolicyV4()` (test/node/object.test.js) sends the field
//! `Content-Type` against the condition `$content-type` and `Cache-Control`
//! against `$cache-control`, and real OSS accepts it. Values are compared
//! exactly.

use std::time::SystemTime;

use base64::prelude::{Engine as _, BASE64_STANDARD};
use serde_json::Value;

use super::v4::{self, Scope};
use super::{
    format_iso8601_basic, parse_iso8601_extended, secret_or_error, signatures_equal, v1, AuthError,
    Credentials, POLICY_CONDITION_FAILED_PREFIX, POLICY_EXPIRED_MESSAGE,
};

/// One condition of a policy's `conditions` array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// `{"field": "value"}` or `["eq", "$field", "value"]`: exact match.
    Eq {
        /// The field name without `$`.
        field: String,
        /// The required value.
        value: String,
    },
    /// `["starts-with", "$field", "prefix"]`.
    StartsWith {
        /// The field name without `$`.
        field: String,
        /// The required prefix (empty allows anything).
        prefix: String,
    },
    /// `["in", "$field", ["a", "b"]]`: the value is one of the list.
    In {
        /// The field name without `$`.
        field: String,
        /// The allowed values.
        values: Vec<String>,
    },
    /// `["not-in", "$field", ["a", "b"]]`: the value is none of the list.
    NotIn {
        /// The field name without `$`.
        field: String,
        /// The forbidden values.
        values: Vec<String>,
    },
    /// `["content-length-range", min, max]`: the file size in bytes,
    /// inclusive at both ends.
    ContentLengthRange {
        /// Smallest allowed size.
        min: u64,
        /// Largest allowed size.
        max: u64,
    },
}

/// A decoded PostObject policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostPolicy {
    /// After this instant the policy refuses every upload.
    pub expiration: SystemTime,
    /// The conditions, in document order (the first failure is reported).
    pub conditions: Vec<Condition>,
}

/// The parts of a PostObject request a policy is judged against.
#[derive(Debug, Clone, Copy)]
pub struct PostForm<'a> {
    /// The bucket the form is posted to; `{"bucket": ...}` compares with it.
    pub bucket: &'a str,
    /// Every form field except the file, names as sent.
    pub fields: &'a [(String, String)],
    /// The size of the `file` part in bytes.
    pub file_size: u64,
}

impl PostForm<'_> {
    /// The value of a field, name compared case-insensitively; `bucket`
    /// resolves to the addressed bucket.
    pub fn field(&self, name: &str) -> Option<&str> {
        if name.eq_ignore_ascii_case("bucket") {
            return Some(self.bucket);
        }
        self.fields
            .iter()
            .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn required(&self, name: &str) -> Result<&str, AuthError> {
        self.field(name)
            .filter(|value| !value.is_empty())
            .ok_or_else(|| {
                AuthError::invalid_argument(format!("The form field {name} is required."))
            })
    }
}

/// Strips the `$` that names a form field. A name without it is accepted too
/// (the OSS error-code pages show conditions written both ways).
fn field_name(text: &str) -> String {
    text.strip_prefix('$').unwrap_or(text).to_owned()
}

fn string_value(value: &Value, what: &str) -> Result<String, AuthError> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| AuthError::invalid_policy(format!("{what} must be a string.")))
}

fn size_value(value: &Value) -> Result<u64, AuthError> {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|text| text.parse().ok()))
        .ok_or_else(|| {
            AuthError::invalid_policy("content-length-range bounds must be non-negative integers.")
        })
}

fn string_list(value: &Value, operator: &str) -> Result<Vec<String>, AuthError> {
    let wrong_type = || {
        // OSS EC 0006-00000224: `in` / `not-in` need a list.
        AuthError::invalid_policy(format!("{operator} requires a list of strings."))
    };
    value
        .as_array()
        .ok_or_else(wrong_type)?
        .iter()
        .map(|item| item.as_str().map(str::to_owned).ok_or_else(wrong_type))
        .collect()
}

fn parse_condition(condition: &Value) -> Result<Condition, AuthError> {
    match condition {
        Value::Object(map) => {
            let mut entries = map.iter();
            match (entries.next(), entries.next()) {
                (Some((field, value)), None) => Ok(Condition::Eq {
                    field: field_name(field),
                    value: string_value(value, field)?,
                }),
                // Wording from the OSS PostObject error FAQ.
                _ => Err(AuthError::invalid_policy(
                    "Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.",
                )),
            }
        }
        Value::Array(items) => {
            let [operator, first, second] = items.as_slice() else {
                return Err(AuthError::invalid_policy(format!(
                    "Invalid Condition: {condition} must have exactly three elements."
                )));
            };
            let operator = string_value(operator, "a condition operator")?.to_ascii_lowercase();
            match operator.as_str() {
                "eq" => Ok(Condition::Eq {
                    field: field_name(&string_value(first, "a condition field")?),
                    value: string_value(second, "an eq value")?,
                }),
                "starts-with" => Ok(Condition::StartsWith {
                    field: field_name(&string_value(first, "a condition field")?),
                    prefix: string_value(second, "a starts-with prefix")?,
                }),
                "in" | "not-in" => {
                    let field = field_name(&string_value(first, "a condition field")?);
                    let values = string_list(second, &operator)?;
                    Ok(if operator == "in" {
                        Condition::In { field, values }
                    } else {
                        Condition::NotIn { field, values }
                    })
                }
                "content-length-range" => Ok(Condition::ContentLengthRange {
                    min: size_value(first)?,
                    max: size_value(second)?,
                }),
                _ => Err(AuthError::invalid_policy(format!(
                    "Invalid Condition: unknown operator {operator:?}."
                ))),
            }
        }
        // OSS EC 0006-00000222: a condition must be a map or a list.
        _ => Err(AuthError::invalid_policy(format!(
            "Invalid Condition: {condition} is neither a map nor a list."
        ))),
    }
}

impl PostPolicy {
    /// Parses the policy JSON (already Base64-decoded).
    pub fn parse(json: &[u8]) -> Result<Self, AuthError> {
        let document: Value = serde_json::from_slice(json)
            .map_err(|error| AuthError::invalid_policy(format!("not valid JSON: {error}")))?;
        let expiration_text = document
            .get("expiration")
            .and_then(Value::as_str)
            .ok_or_else(|| AuthError::invalid_policy("Policy has no expiration string."))?;
        let expiration = parse_iso8601_extended(expiration_text).ok_or_else(|| {
            AuthError::invalid_policy(format!(
                "Invalid 'expiration' value: {expiration_text:?} is not ISO 8601 UTC (yyyy-mm-ddThh:mm:ss.sssZ)."
            ))
        })?;
        let conditions = document
            .get("conditions")
            .and_then(Value::as_array)
            .ok_or_else(|| AuthError::invalid_policy("Policy has no conditions list."))?
            .iter()
            .map(parse_condition)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            expiration,
            conditions,
        })
    }

    /// Decodes the `policy` form field (Base64 of the JSON) and parses it.
    pub fn decode(policy_base64: &str) -> Result<Self, AuthError> {
        let json = BASE64_STANDARD
            .decode(policy_base64.trim())
            .map_err(|error| AuthError::invalid_policy(format!("not valid Base64: {error}")))?;
        Self::parse(&json)
    }

    /// Judges a form against the policy: expiry first, then each condition
    /// in order; the first failure is returned.
    ///
    /// Only what the policy names is checked: a `callback` field (or `x:`
    /// variable) the policy does not mention passes unchecked, unlike S3's
    /// "Extra input fields" rule.
    // spec: CB-AUTH-POST-CONDITIONS
    // spec: CB-POST-POLICY-UNPINNED
    pub fn check(&self, form: &PostForm<'_>, now: SystemTime) -> Result<(), AuthError> {
        if now >= self.expiration {
            return Err(AuthError::access_denied(POLICY_EXPIRED_MESSAGE));
        }
        for condition in &self.conditions {
            check_condition(condition, form)?;
        }
        Ok(())
    }
}

fn json_string(text: &str) -> String {
    Value::from(text).to_string()
}

fn json_list(values: &[String]) -> String {
    let items: Vec<String> = values.iter().map(|value| json_string(value)).collect();
    format!("[{}]", items.join(", "))
}

fn condition_failed(operator: &str, field: &str, operand: String) -> AuthError {
    // Rendered like the messages OSS users quote, e.g.
    // `Policy Condition failed: ["in", "$content-type", ...]`.
    AuthError::access_denied(format!(
        "{POLICY_CONDITION_FAILED_PREFIX}[\"{operator}\", {}, {operand}]",
        json_string(&format!("${field}"))
    ))
}

fn check_condition(condition: &Condition, form: &PostForm<'_>) -> Result<(), AuthError> {
    // A missing field compares as the empty string.
    let value_of = |field: &str| form.field(field).unwrap_or("").to_owned();
    match condition {
        // `{"callback": "<Base64>"}` lands here: a pinned callback must be
        // sent exactly as signed.
        // spec: CB-POST-POLICY-PIN
        Condition::Eq { field, value } => {
            if value_of(field) != *value {
                return Err(condition_failed("eq", field, json_string(value)));
            }
        }
        Condition::StartsWith { field, prefix } => {
            if !value_of(field).starts_with(prefix.as_str()) {
                return Err(condition_failed("starts-with", field, json_string(prefix)));
            }
        }
        Condition::In { field, values } => {
            if !values.contains(&value_of(field)) {
                return Err(condition_failed("in", field, json_list(values)));
            }
        }
        Condition::NotIn { field, values } => {
            if values.contains(&value_of(field)) {
                return Err(condition_failed("not-in", field, json_list(values)));
            }
        }
        Condition::ContentLengthRange { min, max } => {
            if form.file_size > *max {
                return Err(AuthError::EntityTooLarge {
                    size: form.file_size,
                    max: *max,
                });
            }
            if form.file_size < *min {
                return Err(AuthError::EntityTooSmall {
                    size: form.file_size,
                    min: *min,
                });
            }
        }
    }
    Ok(())
}

/// Base64 of a policy's JSON text, the value of the `policy` form field.
pub fn encode_policy(json: &str) -> String {
    BASE64_STANDARD.encode(json.as_bytes())
}

/// The V1 authentication form fields for a Base64 policy: `OSSAccessKeyId`,
/// `policy`, `Signature`.
// spec: CB-AUTH-POST-V1
pub fn sign_v1(credentials: &Credentials, policy_base64: &str) -> Vec<(String, String)> {
    vec![
        (
            "OSSAccessKeyId".to_owned(),
            credentials.access_key_id.clone(),
        ),
        ("policy".to_owned(), policy_base64.to_owned()),
        (
            "Signature".to_owned(),
            v1::hmac_sha1_base64(&credentials.access_key_secret, policy_base64),
        ),
    ]
}

/// The V4 authentication form fields for a Base64 policy signed at `now`:
/// `policy`, `x-oss-signature-version`, `x-oss-credential`, `x-oss-date`,
/// `x-oss-signature`.
///
/// The policy should pin `x-oss-credential` and `x-oss-date` (as the ali-oss
/// live test does); build them with [`Scope::new`] and
/// [`format_iso8601_basic`] from the same `now`.
// spec: CB-AUTH-POST-V4
pub fn sign_v4(
    credentials: &Credentials,
    region: &str,
    now: SystemTime,
    policy_base64: &str,
) -> Vec<(String, String)> {
    let scope = Scope::new(now, region);
    vec![
        ("policy".to_owned(), policy_base64.to_owned()),
        (
            "x-oss-signature-version".to_owned(),
            v4::ALGORITHM.to_owned(),
        ),
        (
            "x-oss-credential".to_owned(),
            format!("{}/{scope}", credentials.access_key_id),
        ),
        ("x-oss-date".to_owned(), format_iso8601_basic(now)),
        (
            "x-oss-signature".to_owned(),
            v4::signature(&credentials.access_key_secret, &scope, policy_base64),
        ),
    ]
}

/// A PostObject form whose signature and policy passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPost {
    /// The signer.
    pub access_key_id: String,
    /// The decoded policy the form satisfied.
    pub policy: PostPolicy,
}

fn mismatch(access_key_id: &str, policy_base64: &str) -> AuthError {
    AuthError::SignatureDoesNotMatch {
        access_key_id: access_key_id.to_owned(),
        string_to_sign: policy_base64.to_owned(),
    }
}

/// Verifies a PostObject form: the V4 fields when `x-oss-signature-version`
/// is present, else the V1 fields, then the policy against the form.
///
/// The signature is checked before the policy, so a form whose policy was
/// edited after signing gets `SignatureDoesNotMatch`. `Ok(None)`: the form
/// carries no signature (an anonymous upload, allowed only by bucket ACL);
/// a policy it carries is still enforced.
// spec: CB-AUTH-MISMATCH
pub fn verify_post(
    form: &PostForm<'_>,
    secret_for: impl Fn(&str) -> Option<String>,
    now: SystemTime,
) -> Result<Option<VerifiedPost>, AuthError> {
    let access_key_id = if let Some(version) = form.field("x-oss-signature-version") {
        // spec: CB-AUTH-POST-V4
        if version != v4::ALGORITHM {
            return Err(AuthError::invalid_argument(format!(
                "x-oss-signature-version {version:?} is not supported; use {}.",
                v4::ALGORITHM
            )));
        }
        let (access_key_id, scope) = v4::parse_credential(form.required("x-oss-credential")?)?;
        let datetime = form.required("x-oss-date")?;
        if !datetime.starts_with(&scope.date) {
            return Err(AuthError::invalid_argument(format!(
                "The x-oss-credential date {} does not match x-oss-date {datetime}.",
                scope.date
            )));
        }
        let provided = form.required("x-oss-signature")?;
        let policy_base64 = form.required("policy")?;
        let secret = secret_or_error(&secret_for, &access_key_id)?;
        let expected = v4::signature(&secret, &scope, policy_base64);
        if !signatures_equal(&expected, &provided.to_ascii_lowercase()) {
            return Err(mismatch(&access_key_id, policy_base64));
        }
        Some(access_key_id)
    } else if form.field("OSSAccessKeyId").is_some() || form.field("Signature").is_some() {
        // spec: CB-AUTH-POST-V1
        let access_key_id = form.required("OSSAccessKeyId")?;
        let provided = form.required("Signature")?;
        let policy_base64 = form.required("policy")?;
        let secret = secret_or_error(&secret_for, access_key_id)?;
        let expected = v1::hmac_sha1_base64(&secret, policy_base64);
        if !signatures_equal(&expected, provided) {
            return Err(mismatch(access_key_id, policy_base64));
        }
        Some(access_key_id.to_owned())
    } else {
        None
    };
    let policy = match form.field("policy").filter(|text| !text.is_empty()) {
        Some(text) => Some(PostPolicy::decode(text)?),
        None => None,
    };
    if let Some(policy) = &policy {
        policy.check(form, now)?;
    }
    match (access_key_id, policy) {
        (Some(access_key_id), Some(policy)) => Ok(Some(VerifiedPost {
            access_key_id,
            policy,
        })),
        // A signature over an empty policy field: nothing to enforce, refuse.
        (Some(_), None) => Err(AuthError::invalid_policy("the policy form field is empty")),
        (None, _) => Ok(None),
    }
}
