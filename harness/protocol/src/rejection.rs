//! Why OSS refuses an upload's callback parameters: the 400 `InvalidArgument`
//! answers, each with its exact Message, EC and ArgumentName.
//!
//! One enum for the whole decoding layer (carriers, config, URLs, template,
//! variables) because OSS reports them all the same way and checks them in
//! one fixed order (spec: CB-CFG-ORDER). The strings here are the contract:
//! the emulator sends them and the harness compares endpoints against them.

use super::error_document::ErrorDocument;

/// What was wrong with the callback parameters, as OSS classifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RejectionKind {
    /// `x-oss-callback` header and `callback` query parameter both present.
    // spec: CB-CARRIER-CONFLICT-CALLBACK
    CallbackInHeaderAndQuery,
    /// `x-oss-callback-var` header and `callback-var` query parameter both present.
    // spec: CB-CARRIER-CONFLICT-VAR
    VarInHeaderAndQuery,
    /// The Base64 `callback` text is longer than 5 KB.
    // spec: CB-CARRIER-SIZE
    CallbackTooLarge {
        /// Length of the Base64 text in bytes.
        len: usize,
    },
    /// The Base64 `callback-var` text is longer than 5 KB.
    // spec: CB-CARRIER-SIZE
    VarTooLarge {
        /// Length of the Base64 text in bytes.
        len: usize,
    },
    /// `callback` is not standard padded Base64.
    // spec: CB-CFG-BASE64
    CallbackNotBase64,
    /// `callback` decodes, but not to a UTF-8 JSON object.
    // spec: CB-CFG-JSON, CB-CFG-OBJECT
    CallbackNotJson {
        /// What the JSON parser said, for people.
        reason: String,
    },
    /// `callbackUrl` is not a string or one of its URLs is malformed.
    // spec: CB-URL-SCHEME, CB-URL-PORT, CB-URL-HOST-DOT, CB-URL-IPV6, CB-URL-CHARSET, CB-CFG-URL-TYPE
    UrlInvalid {
        /// The offending URL (or the JSON value when it is not a string).
        url: String,
        /// Which rule it broke, for people.
        reason: String,
    },
    /// More than five URLs.
    // spec: CB-URL-MAX5
    TooManyUrls {
        /// How many non-empty URLs were given.
        count: usize,
    },
    /// A URL names a loopback, private or otherwise internal address.
    // spec: CB-URL-PRIVATE
    PrivateAddress {
        /// The host as written in the URL.
        host: String,
    },
    /// `callbackHost` is present but not a string.
    // spec: CB-CFG-HOST-TYPE
    HostNotString,
    /// `callbackBody` is present but not a string.
    // spec: CB-CFG-BODY-TYPE
    BodyNotString,
    /// `callbackBody` is missing or the empty string.
    // spec: CB-CFG-BODY-REQUIRED, CB-CFG-BODY-EMPTY
    BodyEmpty,
    /// `callbackBodyType` is present but not a string.
    // spec: CB-CFG-BODYTYPE-TYPE
    BodyTypeNotString,
    /// `callbackBodyType` is a string other than the two supported types.
    // spec: CB-CFG-BODYTYPE-VALUE
    BodyTypeUnsupported {
        /// The value given.
        value: String,
    },
    /// `callbackSNI` is present but not a JSON boolean.
    // spec: CB-CFG-SNI-TYPE
    SniNotBoolean,
    /// `callbackPolicy` reached the decoder: it names no policy the bucket
    /// has (an endpoint with policies substitutes a known one first), or it
    /// is not a string.
    // spec: CB-CFG-POLICY, CB-POLICY-BUCKET
    PolicyNotFound,
    /// A `$` in callbackBody is not immediately followed by `{`.
    // spec: CB-TPL-DOLLAR-BRACE
    DollarWithoutBrace {
        /// Byte offset of the `$` in callbackBody.
        offset: usize,
    },
    /// A `${` in callbackBody has no closing `}`.
    // spec: CB-TPL-UNCLOSED
    UnclosedPlaceholder {
        /// Byte offset of the `$` in callbackBody.
        offset: usize,
    },
    /// `callback-var` is not standard padded Base64.
    // spec: CB-VAR-BASE64
    VarNotBase64,
    /// `callback-var` decodes, but not to UTF-8 JSON.
    // spec: CB-VAR-JSON
    VarNotJson {
        /// What the JSON parser said, for people.
        reason: String,
    },
    /// `callback-var` is JSON but not an object of strings to strings.
    // spec: CB-VAR-NOT-MAP, CB-VAR-VALUE-STRING
    VarNotStringMap {
        /// Which entry broke the rule, for people.
        reason: String,
    },
    /// A custom variable name does not start with `x:`, is empty after it,
    /// or has an upper-case ASCII letter.
    // spec: CB-VAR-PREFIX, CB-VAR-KEY-CASE
    VarBadName {
        /// The offending name.
        name: String,
    },
}

/// A refused set of callback parameters: the kind plus the value OSS echoes
/// back in `ArgumentValue`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// What was wrong.
    pub kind: RejectionKind,
    /// The text OSS puts in `ArgumentValue`: the decoded parameter where it
    /// decodes, else the raw value received.
    pub argument_value: String,
}

impl Rejection {
    /// Pairs a kind with the `ArgumentValue` to report.
    pub fn new(kind: RejectionKind, argument_value: impl Into<String>) -> Self {
        Self {
            kind,
            argument_value: argument_value.into(),
        }
    }

    /// The HTTP status of the answer: always 400.
    // spec: CB-ERR-400
    pub fn status(&self) -> u16 {
        400
    }

    /// The OSS error code: always `InvalidArgument`.
    // spec: CB-ERR-400
    pub fn code(&self) -> &'static str {
        "InvalidArgument"
    }

    /// The exact `Message` text.
    pub fn message(&self) -> &'static str {
        use RejectionKind::*;
        match &self.kind {
            CallbackInHeaderAndQuery => {
                "The callback cannot be specified in both the header and the query string."
            }
            VarInHeaderAndQuery => {
                "The callback-var cannot be specified in both the header and the query string."
            }
            CallbackTooLarge { .. } => "The callback exceeds the size limit of 5 KB.",
            VarTooLarge { .. } => "The callback-var exceeds the size limit of 5 KB.",
            CallbackNotBase64 => "The callback configuration is not base64 encoded.",
            CallbackNotJson { .. } => "The callback configuration is not json format.",
            UrlInvalid { .. } => "The callbackUrl is invalid.",
            TooManyUrls { .. } => "The number of callbackUrl exceeds the limit of 5.",
            PrivateAddress { .. } => "Private address is forbidden to callback.",
            HostNotString => "The callbackHost must be a string.",
            BodyNotString => "The callbackBody must be a string.",
            BodyEmpty => "The callbackBody is empty.",
            BodyTypeNotString => "The callbackBodyType must be a string.",
            BodyTypeUnsupported { .. } => {
                "The callbackBodyType must be application/x-www-form-urlencoded or application/json."
            }
            SniNotBoolean => "The callback sni is invalid.",
            PolicyNotFound => "The bucket callback policy named by callbackPolicy does not exist.",
            DollarWithoutBrace { .. } => "Left brace must be adjacent to dollar sign.",
            UnclosedPlaceholder { .. } => "Right brace is missing in callbackBody.",
            VarNotBase64 => "The callback-var configuration is not base64 encoded.",
            VarNotJson { .. } => "The callback-var configuration is not json format.",
            VarNotStringMap { .. } => "The callback-var must map strings to strings.",
            VarBadName { .. } => {
                "The custom variable name must start with x: and contain no upper-case letters."
            }
        }
    }

    /// The EC code (`0007-xxxxxxxx`).
    pub fn ec(&self) -> &'static str {
        use RejectionKind::*;
        match &self.kind {
            CallbackNotBase64 => "0007-00000002",
            CallbackNotJson { .. } => "0007-00000003",
            UrlInvalid { .. } => "0007-00000004",
            TooManyUrls { .. } => "0007-00000005",
            CallbackTooLarge { .. } => "0007-00000006",
            PolicyNotFound => "0007-00000007",
            PrivateAddress { .. } => "0007-00000008",
            HostNotString => "0007-00000009",
            BodyNotString => "0007-00000010",
            BodyEmpty => "0007-00000011",
            BodyTypeNotString | BodyTypeUnsupported { .. } => "0007-00000012",
            SniNotBoolean => "0007-00000013",
            CallbackInHeaderAndQuery => "0007-00000027",
            VarInHeaderAndQuery => "0007-00000028",
            VarTooLarge { .. } => "0007-00000101",
            VarNotBase64 => "0007-00000102",
            VarNotJson { .. } => "0007-00000103",
            VarNotStringMap { .. } | VarBadName { .. } => "0007-00000104",
            DollarWithoutBrace { .. } | UnclosedPlaceholder { .. } => "0007-00000105",
        }
    }

    /// The `ArgumentName` OSS reports.
    pub fn argument_name(&self) -> &'static str {
        use RejectionKind::*;
        match &self.kind {
            // The documented 0007-00000105 answer names `ReplaceKeyPrefix`
            // (sic); reproduced because clients may match on it.
            // spec: CB-TPL-DOLLAR-BRACE
            DollarWithoutBrace { .. } | UnclosedPlaceholder { .. } => "ReplaceKeyPrefix",
            VarInHeaderAndQuery
            | VarTooLarge { .. }
            | VarNotBase64
            | VarNotJson { .. }
            | VarNotStringMap { .. }
            | VarBadName { .. } => "callback-var",
            _ => "callback",
        }
    }

    /// A sentence for people: what exactly was wrong and what to do.
    pub fn detail(&self) -> String {
        use RejectionKind::*;
        match &self.kind {
            CallbackInHeaderAndQuery => "send the callback either as the x-oss-callback header or as the callback query parameter, not both".into(),
            VarInHeaderAndQuery => "send the variables either as the x-oss-callback-var header or as the callback-var query parameter, not both".into(),
            CallbackTooLarge { len } => format!("the Base64 callback is {len} bytes; OSS accepts at most 5120"),
            VarTooLarge { len } => format!("the Base64 callback-var is {len} bytes; OSS accepts at most 5120"),
            CallbackNotBase64 => "the callback must be the standard, padded Base64 of the UTF-8 JSON text".into(),
            CallbackNotJson { reason } => format!("the decoded callback is not a JSON object ({reason}); escape quotes inside callbackBody as \\\""),
            UrlInvalid { url, reason } => format!("callbackUrl {url:?}: {reason}"),
            TooManyUrls { count } => format!("callbackUrl lists {count} URLs; at most 5 are allowed"),
            PrivateAddress { host } => format!("{host} is a loopback or private address, which OSS refuses; use a publicly reachable callback URL (the cbspec emulator allows it unless --production-rules is set)"),
            HostNotString => "callbackHost must be a JSON string".into(),
            BodyNotString => "callbackBody must be a JSON string holding the template".into(),
            BodyEmpty => "callbackBody is missing or empty; give a template such as bucket=${bucket}&object=${object}".into(),
            BodyTypeNotString => "callbackBodyType must be a JSON string".into(),
            BodyTypeUnsupported { value } => format!("callbackBodyType {value:?} is not application/x-www-form-urlencoded or application/json"),
            SniNotBoolean => "callbackSNI must be the JSON boolean true or false, not a string or number".into(),
            PolicyNotFound => "callbackPolicy must be a string naming a callback policy stored on the bucket (PUT ?policy&comp=callback)".into(),
            DollarWithoutBrace { offset } => format!("the '$' at byte {offset} of callbackBody is not followed by '{{'; write placeholders as ${{name}}"),
            UnclosedPlaceholder { offset } => format!("the '${{' at byte {offset} of callbackBody has no closing '}}'"),
            VarNotBase64 => "the callback-var must be the standard, padded Base64 of the UTF-8 JSON text".into(),
            VarNotJson { reason } => format!("the decoded callback-var is not JSON ({reason})"),
            VarNotStringMap { reason } => format!("callback-var must be a JSON object whose values are strings: {reason}"),
            VarBadName { name } => format!("custom variable {name:?} must start with x:, have a name after it, and contain no upper-case ASCII letters"),
        }
    }

    /// The OSS error document for this rejection.
    pub fn to_error_document(&self, request_id: &str, host_id: &str) -> ErrorDocument {
        let ec = self.ec();
        ErrorDocument {
            code: self.code().to_owned(),
            message: self.message().to_owned(),
            request_id: request_id.to_owned(),
            host_id: host_id.to_owned(),
            argument_name: Some(self.argument_name().to_owned()),
            argument_value: Some(self.argument_value.clone()),
            ec: Some(ec.to_owned()),
            recommend_doc: Some(ErrorDocument::recommend_doc_for(ec)),
            extra: Vec::new(),
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "400 InvalidArgument (EC {}): {} {}",
            self.ec(),
            self.message(),
            self.detail()
        )
    }
}

impl std::error::Error for Rejection {}
