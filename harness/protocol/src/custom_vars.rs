//! Custom variables (`x:name` → string), the `callback-var` parameter.
//!
//! PutObject and CompleteMultipartUpload carry them as Base64 JSON in the
//! `x-oss-callback-var` header or `callback-var` query parameter; PostObject
//! carries each as its own `x:<name>` form field with the raw value.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

use super::rejection::{Rejection, RejectionKind};

/// The prefix every custom variable name carries.
// spec: CB-VAR-PREFIX
pub const CUSTOM_PREFIX: &str = "x:";

/// The custom variables of one upload, in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomVariables {
    entries: Vec<(String, String)>,
}

impl CustomVariables {
    /// Builds a set from `(name, value)` pairs, checking every name.
    ///
    /// A later duplicate replaces the earlier value, as JSON object decoding does.
    pub fn new<I, K, V>(pairs: I) -> Result<Self, Rejection>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let mut vars = Self::default();
        for (name, value) in pairs {
            let name = name.into();
            check_name(&name)?;
            vars.insert(name, value.into());
        }
        Ok(vars)
    }

    fn insert(&mut self, name: String, value: String) {
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((name, value)),
        }
    }

    /// The value of `x:name` (the full name, prefix included).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The variables in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The JSON object text, `{"x:a":"1",...}`, compact, in order.
    // spec: CB-VAR-JSON-MAP
    pub fn to_json(&self) -> String {
        let map: serde_json::Map<String, Value> = self
            .entries
            .iter()
            .map(|(n, v)| (n.clone(), Value::String(v.clone())))
            .collect();
        Value::Object(map).to_string()
    }

    /// The header/query form: standard padded Base64 of the UTF-8 JSON.
    // spec: CB-CARRIER-BASE64
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.to_json())
    }

    /// Decodes the header/query form.
    // spec: CB-VAR-BASE64, CB-VAR-JSON, CB-VAR-NOT-MAP, CB-VAR-VALUE-STRING
    pub fn from_base64(encoded: &str) -> Result<Self, Rejection> {
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| Rejection::new(RejectionKind::VarNotBase64, encoded))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            Rejection::new(
                RejectionKind::VarNotJson {
                    reason: format!("not UTF-8: {e}"),
                },
                encoded,
            )
        })?;
        Self::from_json(&text)
    }

    /// Decodes the JSON text of callback-var.
    pub fn from_json(text: &str) -> Result<Self, Rejection> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            Rejection::new(
                RejectionKind::VarNotJson {
                    reason: e.to_string(),
                },
                text,
            )
        })?;
        let Value::Object(map) = value else {
            return Err(Rejection::new(
                RejectionKind::VarNotStringMap {
                    reason: format!("the top level is {}, not an object", json_type(&value)),
                },
                text,
            ));
        };
        let mut vars = Self::default();
        for (name, value) in map {
            let Value::String(value) = value else {
                return Err(Rejection::new(
                    RejectionKind::VarNotStringMap {
                        reason: format!("{name:?} holds {}, not a string", json_type(&value)),
                    },
                    text,
                ));
            };
            check_name(&name).map_err(|r| Rejection::new(r.kind, text))?;
            vars.insert(name, value);
        }
        Ok(vars)
    }

    /// The PostObject form: one `x:<name>` field per variable, raw value.
    // spec: CB-VAR-POST-FIELDS, CB-CARRIER-FORM
    pub fn to_form_fields(&self) -> Vec<(String, String)> {
        self.entries.clone()
    }

    /// Collects the `x:` fields of a PostObject form; other fields are not
    /// variables and are skipped.
    // spec: CB-VAR-POST-FIELDS, CB-CARRIER-POST-VAR-FIELD
    pub fn from_form_fields<'a, I>(fields: I) -> Result<Self, Rejection>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        Self::new(
            fields
                .into_iter()
                .filter(|(name, _)| name.starts_with(CUSTOM_PREFIX)),
        )
    }
}

/// Checks a custom variable name: `x:` prefix, a non-empty name after it,
/// no upper-case ASCII letter. Non-ASCII names (`x:键值1`) are accepted, as
/// the Java SDK's live tests show.
// spec: CB-VAR-PREFIX, CB-VAR-KEY-CASE
pub fn check_name(name: &str) -> Result<(), Rejection> {
    let ok = name
        .strip_prefix(CUSTOM_PREFIX)
        .is_some_and(|rest| !rest.is_empty())
        && !name.bytes().any(|b| b.is_ascii_uppercase());
    if ok {
        Ok(())
    } else {
        Err(Rejection::new(
            RejectionKind::VarBadName {
                name: name.to_owned(),
            },
            name,
        ))
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // spec: CB-VAR-JSON-MAP, CB-CARRIER-BASE64
    #[test]
    fn decodes_the_documented_example() {
        // Appendix B: the new S1 example's callback-var.
        let vars = CustomVariables::from_base64(
            "eyJ4OnVpZCI6ICIxMjM0NSIsICJ4Om9yZGVyX2lkIjogIjY3ODkwIn0=",
        )
        .unwrap();
        assert_eq!(vars.get("x:uid"), Some("12345"));
        assert_eq!(vars.get("x:order_id"), Some("67890"));
        assert_eq!(
            vars.iter().collect::<Vec<_>>(),
            [("x:uid", "12345"), ("x:order_id", "67890")]
        );
    }

    // spec: CB-VAR-BASE64, CB-VAR-JSON, CB-VAR-NOT-MAP, CB-VAR-VALUE-STRING
    #[test]
    fn each_malformed_form_has_its_ec() {
        let ec = |b64: &str| CustomVariables::from_base64(b64).unwrap_err().ec();
        assert_eq!(ec("x123-*&"), "0007-00000102");
        assert_eq!(ec(&STANDARD.encode("{\"x:a\":")), "0007-00000103");
        assert_eq!(ec(&STANDARD.encode([0xff, 0xfe])), "0007-00000103");
        assert_eq!(
            ec(&STANDARD.encode("{\"x:a\":{\"b\":\"c\"}}")),
            "0007-00000104"
        );
        assert_eq!(ec(&STANDARD.encode("{\"x:a\":1}")), "0007-00000104");
        assert_eq!(ec(&STANDARD.encode("{\"x:a\":true}")), "0007-00000104");
        assert_eq!(ec(&STANDARD.encode("[\"x:a\"]")), "0007-00000104");
    }

    // spec: CB-VAR-PREFIX, CB-VAR-KEY-CASE
    #[test]
    fn names_need_the_prefix_and_no_upper_case() {
        assert!(check_name("x:var1").is_ok());
        assert!(check_name("x:键值1").is_ok());
        assert!(check_name("x:my_var").is_ok());
        for bad in ["var1", "x:", "X:var", "x:Var", "y:var", ""] {
            let err = check_name(bad).unwrap_err();
            assert_eq!(err.ec(), "0007-00000104", "{bad}");
            assert_eq!(err.argument_name(), "callback-var");
        }
    }

    // spec: CB-VAR-POST-FIELDS
    #[test]
    fn form_fields_pick_only_x_prefixed_names() {
        let vars = CustomVariables::from_form_fields([
            ("key", "a.txt"),
            ("x:uid", "42"),
            ("callback", "e30="),
            ("x:note", "a b&c"),
        ])
        .unwrap();
        assert_eq!(
            vars.to_form_fields(),
            [
                ("x:uid".to_owned(), "42".to_owned()),
                ("x:note".to_owned(), "a b&c".to_owned())
            ]
        );
    }

    #[test]
    fn encodes_compact_json_with_escapes() {
        let vars = CustomVariables::new([("x:q", "say \"hi\"\\"), ("x:zh", "值2")]).unwrap();
        assert_eq!(vars.to_json(), r#"{"x:q":"say \"hi\"\\","x:zh":"值2"}"#);
    }
}
