//! The callbackBody template: parsing `${...}` placeholders and expanding
//! them in form or JSON mode.

use std::fmt;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::custom_vars::{CustomVariables, CUSTOM_PREFIX};
use super::facts::{FactValue, SystemVariable, UploadFacts};
use super::rejection::{Rejection, RejectionKind};

/// The body type, which is also the callback request's Content-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyType {
    /// `application/x-www-form-urlencoded`, the default.
    // spec: CB-CFG-BODYTYPE-DEFAULT
    Form,
    /// `application/json`.
    Json,
}

impl BodyType {
    /// The Content-Type value.
    // spec: CB-HDR-CONTENT-TYPE
    pub fn content_type(self) -> &'static str {
        match self {
            BodyType::Form => "application/x-www-form-urlencoded",
            BodyType::Json => "application/json",
        }
    }

    /// Reads a callbackBodyType value; only the two exact strings are accepted.
    // spec: CB-CFG-BODYTYPE-VALUE
    pub fn from_content_type(value: &str) -> Option<Self> {
        match value {
            "application/x-www-form-urlencoded" => Some(BodyType::Form),
            "application/json" => Some(BodyType::Json),
            _ => None,
        }
    }
}

/// What a placeholder refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placeholder {
    /// One of the 14 system variables.
    System(SystemVariable),
    /// A custom variable, full name including `x:`.
    Custom(String),
    /// Any other name (`${key}`, `${Bucket}`, `${}`): expands to no value.
    // spec: CB-SYS-UNKNOWN
    Unknown(String),
}

impl Placeholder {
    fn from_name(name: &str) -> Self {
        if let Some(var) = SystemVariable::from_name(name) {
            Placeholder::System(var)
        } else if name.starts_with(CUSTOM_PREFIX) {
            Placeholder::Custom(name.to_owned())
        } else {
            Placeholder::Unknown(name.to_owned())
        }
    }

    /// The name written between `${` and `}`.
    pub fn name(&self) -> &str {
        match self {
            Placeholder::System(v) => v.name(),
            Placeholder::Custom(n) | Placeholder::Unknown(n) => n,
        }
    }
}

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Text copied as is ("constants").
    Literal(String),
    /// A `${...}` placeholder.
    Placeholder(Placeholder),
}

/// A parsed callbackBody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    segments: Vec<Segment>,
}

/// Form-mode encoding: every byte but ASCII letters, digits, `-`, `.`, `_`
/// and `~` becomes `%XX` (upper-case hex); space is `%20`, never `+`.
// spec: CB-FORM-UNRESERVED, CB-FORM-ENCODING-SET
pub const FORM_VALUE_ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

impl Template {
    /// Parses callbackBody.
    ///
    /// Every `$` must open a `${...}`; there is no escape for a literal `$`.
    /// Percent-encoded placeholders (`%24%7Bbucket%7D`) are plain text.
    // spec: CB-TPL-PLACEHOLDER, CB-TPL-DOLLAR-BRACE, CB-TPL-UNCLOSED, CB-TPL-LITERAL-DOLLAR, CB-TPL-PERCENT
    pub fn parse(body: &str) -> Result<Self, Rejection> {
        let mut segments = Vec::new();
        let mut rest = body;
        let mut offset = 0;
        while let Some(dollar) = rest.find('$') {
            if dollar > 0 {
                segments.push(Segment::Literal(rest[..dollar].to_owned()));
            }
            let at = offset + dollar;
            let after = &rest[dollar + 1..];
            if !after.starts_with('{') {
                return Err(Rejection::new(
                    RejectionKind::DollarWithoutBrace { offset: at },
                    body,
                ));
            }
            let Some(close) = after.find('}') else {
                return Err(Rejection::new(
                    RejectionKind::UnclosedPlaceholder { offset: at },
                    body,
                ));
            };
            segments.push(Segment::Placeholder(Placeholder::from_name(
                &after[1..close],
            )));
            let consumed = dollar + 1 + close + 1;
            rest = &rest[consumed..];
            offset += consumed;
        }
        if !rest.is_empty() {
            segments.push(Segment::Literal(rest.to_owned()));
        }
        Ok(Template { segments })
    }

    /// The parsed pieces, in order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The placeholders, in order of appearance.
    pub fn placeholders(&self) -> impl Iterator<Item = &Placeholder> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Placeholder(p) => Some(p),
            Segment::Literal(_) => None,
        })
    }

    /// Expands the template for one upload.
    ///
    /// Form mode percent-encodes each substituted value and leaves the
    /// template text alone. JSON mode inserts each value as a JSON literal
    /// wherever the placeholder sits (strings quoted, numbers bare, no value
    /// as `null`) and never checks that the result is JSON. Custom variables
    /// the template does not reference are not sent anywhere.
    // spec: CB-FORM-ENCODE-VALUES, CB-FORM-EMPTY, CB-JSON-STRING-LITERAL, CB-JSON-NUMBER-BARE, CB-JSON-ESCAPE, CB-JSON-NOT-VALIDATED, CB-JSON-EMPTY, CB-VAR-UNREFERENCED, CB-VAR-MISSING
    pub fn expand(
        &self,
        body_type: BodyType,
        facts: &UploadFacts,
        vars: &CustomVariables,
    ) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Placeholder(placeholder) => {
                    let value = match placeholder {
                        Placeholder::System(var) => Substitution::from(facts.value(*var)),
                        Placeholder::Custom(name) => vars
                            .get(name)
                            .map_or(Substitution::Missing, Substitution::Text),
                        Placeholder::Unknown(_) => Substitution::Missing,
                    };
                    value.render(body_type, &mut out);
                }
            }
        }
        out
    }
}

impl fmt::Display for Template {
    /// Writes the template text back: parse → display → parse is stable.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => f.write_str(text)?,
                Segment::Placeholder(p) => write!(f, "${{{}}}", p.name())?,
            }
        }
        Ok(())
    }
}

/// One value about to be substituted.
enum Substitution<'a> {
    /// No value at all: form mode writes nothing, JSON mode `null`.
    Missing,
    /// A string value, possibly empty (an explicitly empty custom variable).
    Text(&'a str),
    /// A number, written as bare digits in both modes.
    Number(u64),
}

impl<'a> From<FactValue<'a>> for Substitution<'a> {
    fn from(value: FactValue<'a>) -> Self {
        match value {
            FactValue::Empty => Substitution::Missing,
            FactValue::Text(t) => Substitution::Text(t),
            FactValue::Number(n) => Substitution::Number(n),
        }
    }
}

impl Substitution<'_> {
    fn render(&self, body_type: BodyType, out: &mut String) {
        match (self, body_type) {
            (Substitution::Missing, BodyType::Form) => {}
            (Substitution::Missing, BodyType::Json) => out.push_str("null"),
            (Substitution::Text(t), BodyType::Form) => {
                out.extend(utf8_percent_encode(t, FORM_VALUE_ENCODE_SET));
            }
            (Substitution::Text(t), BodyType::Json) => {
                out.push_str(&serde_json::Value::from(*t).to_string());
            }
            (Substitution::Number(n), _) => out.push_str(&n.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(body: &str) -> RejectionKind {
        Template::parse(body).unwrap_err().kind
    }

    // spec: CB-TPL-PLACEHOLDER, CB-SYS-UNKNOWN
    #[test]
    fn splits_literals_and_classifies_placeholders() {
        let t = Template::parse("a=${bucket}&b=${x:uid}&c=${Bucket}&d=${}&e=${imageInfo.width}")
            .unwrap();
        assert_eq!(
            t.segments(),
            [
                Segment::Literal("a=".into()),
                Segment::Placeholder(Placeholder::System(SystemVariable::Bucket)),
                Segment::Literal("&b=".into()),
                Segment::Placeholder(Placeholder::Custom("x:uid".into())),
                Segment::Literal("&c=".into()),
                Segment::Placeholder(Placeholder::Unknown("Bucket".into())),
                Segment::Literal("&d=".into()),
                Segment::Placeholder(Placeholder::Unknown(String::new())),
                Segment::Literal("&e=".into()),
                Segment::Placeholder(Placeholder::System(SystemVariable::ImageWidth)),
            ]
        );
    }

    // spec: CB-TPL-DOLLAR-BRACE, CB-TPL-UNCLOSED, CB-TPL-LITERAL-DOLLAR
    #[test]
    fn every_dollar_must_open_a_placeholder() {
        assert_eq!(
            parse_err("size=${size}&my_var=$x:my_var}"),
            RejectionKind::DollarWithoutBrace { offset: 20 }
        );
        assert_eq!(
            parse_err("filename=$(filename)"),
            RejectionKind::DollarWithoutBrace { offset: 9 }
        );
        assert_eq!(
            parse_err("price=5$"),
            RejectionKind::DollarWithoutBrace { offset: 7 }
        );
        assert_eq!(
            parse_err("$$"),
            RejectionKind::DollarWithoutBrace { offset: 0 }
        );
        assert_eq!(
            parse_err("a=${object"),
            RejectionKind::UnclosedPlaceholder { offset: 2 }
        );
        assert_eq!(
            parse_err("中=${"),
            RejectionKind::UnclosedPlaceholder { offset: 4 }
        );
    }

    // spec: CB-TPL-PERCENT
    #[test]
    fn percent_encoded_placeholders_are_plain_text() {
        let t = Template::parse("bucket=%24%7Bbucket%7D").unwrap();
        assert_eq!(t.placeholders().count(), 0);
        let facts = UploadFacts {
            bucket: "b".into(),
            ..UploadFacts::default()
        };
        assert_eq!(
            t.expand(BodyType::Form, &facts, &CustomVariables::default()),
            "bucket=%24%7Bbucket%7D"
        );
    }

    // spec: CB-VAR-UNREFERENCED, CB-JSON-ESCAPE
    #[test]
    fn values_are_not_re_expanded_and_unreferenced_vars_vanish() {
        let vars = CustomVariables::new([("x:a", "${bucket}"), ("x:unused", "secret")]).unwrap();
        let facts = UploadFacts {
            bucket: "b".into(),
            ..UploadFacts::default()
        };
        let t = Template::parse("${x:a}").unwrap();
        assert_eq!(t.expand(BodyType::Json, &facts, &vars), "\"${bucket}\"");
        assert_eq!(t.expand(BodyType::Form, &facts, &vars), "%24%7Bbucket%7D");
        let json = Template::parse("{\"v\":${x:a}}")
            .unwrap()
            .expand(BodyType::Json, &facts, &vars);
        assert!(!json.contains("secret"));
        let escaped = CustomVariables::new([("x:a", "q\"b\\s/\n\u{1}中")]).unwrap();
        assert_eq!(
            t.expand(BodyType::Json, &facts, &escaped),
            "\"q\\\"b\\\\s/\\n\\u0001中\""
        );
    }
}
