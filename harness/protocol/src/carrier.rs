//! Where the callback parameters travel (header, query or PostObject form),
//! the conflicts between carriers, the size limit, and the full decoding of
//! one upload's callback request.

use super::config::{CallbackConfig, DecodeOptions, ValidatedCallback};
use super::custom_vars::CustomVariables;
use super::rejection::{Rejection, RejectionKind};

/// The request header that carries the callback.
// spec: CB-CARRIER-HEADER
pub const CALLBACK_HEADER: &str = "x-oss-callback";
/// The request header that carries the custom variables.
pub const CALLBACK_VAR_HEADER: &str = "x-oss-callback-var";
/// The query parameter (and PostObject form field) that carries the callback.
// spec: CB-CARRIER-QUERY, CB-CARRIER-FORM
pub const CALLBACK_PARAM: &str = "callback";
/// The query parameter that carries the custom variables.
pub const CALLBACK_VAR_PARAM: &str = "callback-var";

/// The most bytes of Base64 text `callback` or `callback-var` may have in
/// a header or query parameter (5 KB, measured on the text as received).
// spec: CB-CARRIER-SIZE
pub const MAX_ENCODED_PARAM_LEN: usize = 5 * 1024;

/// Which carrier a callback came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    /// `x-oss-callback` / `x-oss-callback-var` request headers.
    Header,
    /// `callback` / `callback-var` query parameters (presigned URLs).
    Query,
    /// PostObject form fields: `callback` plus one `x:<name>` per variable.
    PostForm,
}

/// The callback parameters of one request, before decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCallbackParams {
    /// Where the callback came from.
    pub carrier: Carrier,
    /// The Base64 `callback` value.
    pub callback: String,
    /// The variables as sent.
    pub vars: RawVariables,
}

/// Custom variables as sent, before decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawVariables {
    /// No variables were sent.
    None,
    /// Base64 JSON from the header or query carrier.
    Encoded(String),
    /// `x:` form fields from PostObject, raw values.
    FormFields(Vec<(String, String)>),
}

/// A fully decoded and validated callback request.
#[derive(Debug, Clone, PartialEq)]
pub struct CallbackRequest {
    /// Where it came from.
    pub carrier: Carrier,
    /// The validated configuration.
    pub callback: ValidatedCallback,
    /// The custom variables.
    pub vars: CustomVariables,
}

impl RawCallbackParams {
    /// Picks the callback of a PutObject or CompleteMultipartUpload request
    /// out of its headers and query parameters.
    ///
    /// Both carriers at once are refused; no `callback` at all means no
    /// callback (variables alone are ignored). The callback and its variables
    /// may come by different carriers.
    // spec: CB-CARRIER-HEADER, CB-CARRIER-QUERY, CB-CARRIER-CONFLICT-CALLBACK, CB-CARRIER-CONFLICT-VAR, CB-PRESIGN-QUERY, CB-PRESIGN-HEADER
    pub fn from_header_and_query(
        header_callback: Option<&str>,
        header_var: Option<&str>,
        query_callback: Option<&str>,
        query_var: Option<&str>,
    ) -> Result<Option<Self>, Rejection> {
        if let (Some(header), Some(_)) = (header_callback, query_callback) {
            return Err(Rejection::new(
                RejectionKind::CallbackInHeaderAndQuery,
                header,
            ));
        }
        if let (Some(header), Some(_)) = (header_var, query_var) {
            return Err(Rejection::new(RejectionKind::VarInHeaderAndQuery, header));
        }
        let (carrier, callback) = match (header_callback, query_callback) {
            (Some(h), None) => (Carrier::Header, h),
            (None, Some(q)) => (Carrier::Query, q),
            _ => return Ok(None),
        };
        let vars = header_var
            .or(query_var)
            .map_or(RawVariables::None, |v| RawVariables::Encoded(v.to_owned()));
        Ok(Some(Self {
            carrier,
            callback: callback.to_owned(),
            vars,
        }))
    }

    /// Picks the callback of a PostObject request out of its form fields:
    /// the `callback` field (name matched case-insensitively, as OSS form
    /// field names are) and every `x:` field. A `callback-var` field is not
    /// a carrier for PostObject and is ignored.
    // spec: CB-CARRIER-FORM, CB-POST-FIELD, CB-CARRIER-POST-VAR-FIELD
    pub fn from_post_form<'a, I>(fields: I) -> Option<Self>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut callback = None;
        let mut vars = Vec::new();
        for (name, value) in fields {
            if name.eq_ignore_ascii_case(CALLBACK_PARAM) {
                callback = Some(value.to_owned());
            } else if name.starts_with("x:") {
                vars.push((name.to_owned(), value.to_owned()));
            }
        }
        callback.map(|callback| Self {
            carrier: Carrier::PostForm,
            callback,
            vars: RawVariables::FormFields(vars),
        })
    }

    /// Decodes and validates everything, in OSS's order: size, the callback
    /// (Base64, JSON, fields, template), then the variables.
    // spec: CB-CFG-ORDER, CB-CARRIER-SIZE
    pub fn decode(&self, options: DecodeOptions) -> Result<CallbackRequest, Rejection> {
        // The 5 KB limit does not apply to PostObject form fields.
        if self.carrier != Carrier::PostForm {
            if self.callback.len() > MAX_ENCODED_PARAM_LEN {
                return Err(Rejection::new(
                    RejectionKind::CallbackTooLarge {
                        len: self.callback.len(),
                    },
                    self.callback.clone(),
                ));
            }
            if let RawVariables::Encoded(v) = &self.vars {
                if v.len() > MAX_ENCODED_PARAM_LEN {
                    return Err(Rejection::new(
                        RejectionKind::VarTooLarge { len: v.len() },
                        v.clone(),
                    ));
                }
            }
        }
        let callback = CallbackConfig::decode_base64(&self.callback, options)?;
        let vars = match &self.vars {
            RawVariables::None => CustomVariables::default(),
            RawVariables::Encoded(v) => CustomVariables::from_base64(v)?,
            RawVariables::FormFields(fields) => CustomVariables::from_form_fields(
                fields.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            )?,
        };
        Ok(CallbackRequest {
            carrier: self.carrier,
            callback,
            vars,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CB: &str =
        "eyJjYWxsYmFja1VybCI6ImEuZXhhbXBsZS5jb20iLCJjYWxsYmFja0JvZHkiOiJiPSR7YnVja2V0fSJ9";

    // spec: CB-CARRIER-CONFLICT-CALLBACK, CB-CARRIER-CONFLICT-VAR
    #[test]
    fn both_carriers_at_once_are_refused() {
        let err =
            RawCallbackParams::from_header_and_query(Some(CB), None, Some(CB), None).unwrap_err();
        assert_eq!(err.ec(), "0007-00000027");
        let err =
            RawCallbackParams::from_header_and_query(Some(CB), Some("e30="), None, Some("e30="))
                .unwrap_err();
        assert_eq!(err.ec(), "0007-00000028");
        assert_eq!(err.argument_name(), "callback-var");
    }

    // spec: CB-CARRIER-HEADER, CB-CARRIER-QUERY
    #[test]
    fn picks_the_single_carrier_and_ignores_lone_variables() {
        let raw = RawCallbackParams::from_header_and_query(None, None, Some(CB), Some("e30="))
            .unwrap()
            .unwrap();
        assert_eq!(raw.carrier, Carrier::Query);
        assert_eq!(raw.vars, RawVariables::Encoded("e30=".into()));
        assert_eq!(
            RawCallbackParams::from_header_and_query(None, Some("e30="), None, None),
            Ok(None)
        );
    }

    // spec: CB-CARRIER-SIZE
    #[test]
    fn five_kilobytes_of_base64_is_the_limit_except_for_forms() {
        let padded_body = "a".repeat(4000);
        let config = CallbackConfig::new("a.example.com", padded_body);
        let encoded = config.to_base64();
        assert!(encoded.len() > MAX_ENCODED_PARAM_LEN);
        let raw = RawCallbackParams::from_header_and_query(Some(&encoded), None, None, None)
            .unwrap()
            .unwrap();
        let err = raw.decode(DecodeOptions::default()).unwrap_err();
        assert_eq!(
            err.message(),
            "The callback exceeds the size limit of 5 KB."
        );

        let form = RawCallbackParams::from_post_form([("callback", encoded.as_str())]).unwrap();
        assert!(form.decode(DecodeOptions::default()).is_ok());

        // Ten variables of 1024 characters, refused by live OSS (Java SDK test).
        let big: Vec<(String, String)> = (0..10)
            .map(|i| (format!("x:v{i}"), "v".repeat(1024)))
            .collect();
        let vars = CustomVariables::new(big).unwrap().to_base64();
        let raw = RawCallbackParams::from_header_and_query(Some(CB), Some(&vars), None, None)
            .unwrap()
            .unwrap();
        assert_eq!(
            raw.decode(DecodeOptions::default()).unwrap_err().ec(),
            "0007-00000101"
        );

        let exactly = "A".repeat(MAX_ENCODED_PARAM_LEN);
        let raw = RawCallbackParams::from_header_and_query(Some(&exactly), None, None, None)
            .unwrap()
            .unwrap();
        assert_eq!(
            raw.decode(DecodeOptions::default()).unwrap_err().ec(),
            "0007-00000003",
            "5120 bytes pass the size check and fail later as not JSON"
        );
    }

    // spec: CB-CARRIER-FORM, CB-CARRIER-POST-VAR-FIELD
    #[test]
    fn post_forms_carry_x_fields_and_ignore_callback_var() {
        let raw = RawCallbackParams::from_post_form([
            ("key", "a.txt"),
            ("Callback", CB),
            ("callback-var", "not even base64"),
            ("x:uid", "7"),
        ])
        .unwrap();
        let req = raw.decode(DecodeOptions::default()).unwrap();
        assert_eq!(req.carrier, Carrier::PostForm);
        assert_eq!(req.vars.iter().collect::<Vec<_>>(), [("x:uid", "7")]);
        assert!(RawCallbackParams::from_post_form([("key", "a.txt")]).is_none());
    }

    #[test]
    fn the_callback_is_checked_before_the_variables() {
        let raw = RawCallbackParams::from_header_and_query(Some("%%%"), Some("%%%"), None, None)
            .unwrap()
            .unwrap();
        assert_eq!(
            raw.decode(DecodeOptions::default()).unwrap_err().ec(),
            "0007-00000002"
        );
    }
}
