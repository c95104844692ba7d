//! The driver protocol's messages (drivers/PROTOCOL.md): what the runner
//! sends an adapter and how its answers are read. Pure: no processes here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::runner::observation::{SurfacedAnswer, SurfacedBody, SurfacedError};
use cbspec_protocol::callback_json::CallbackFields;
// The scenario enums serialize as the protocol's words (`presign-v1`,
// `header-and-query`, `v4`), so the two cannot drift apart.
use crate::scenario::{AuthVersion, CarrierChoice, Operation};

/// The protocol version this runner speaks.
pub const PROTOCOL_VERSION: u64 = 1;

/// The adapter's first line.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Hello {
    /// Protocol version.
    pub protocol: u64,
    /// The adapter's name.
    pub driver: String,
    /// SDK package name.
    pub sdk: String,
    /// SDK version actually loaded.
    pub sdk_version: String,
    /// Language runtime.
    #[serde(default)]
    pub runtime: String,
}

/// What an adapter got wrong in a line it printed: the message says what
/// was expected, and quotes (a shortened copy of) the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProtocolError(pub String);

/// Reads the hello line, refusing anything but protocol version 1.
pub fn parse_hello(line: &str) -> Result<Hello, ProtocolError> {
    hello_of(line).map_err(ProtocolError)
}

fn hello_of(line: &str) -> Result<Hello, String> {
    let value: Value = serde_json::from_str(line)
        .map_err(|e| format!("the first line is not JSON ({e}): {}", shorten(line)))?;
    if value.get("type").and_then(Value::as_str) != Some("hello") {
        return Err(format!(
            "the first line must be {{\"type\":\"hello\",…}}, got: {}",
            shorten(line)
        ));
    }
    let hello: Hello = serde_json::from_value(value)
        .map_err(|e| format!("the hello line is incomplete ({e}): {}", shorten(line)))?;
    if hello.protocol != PROTOCOL_VERSION {
        return Err(format!(
            "the adapter speaks protocol {}, this cbspec speaks {PROTOCOL_VERSION}",
            hello.protocol
        ));
    }
    Ok(hello)
}

/// The callback in the SDK's own terms.
#[derive(Debug, Clone, Serialize)]
pub struct CallbackMessage {
    url: String,
    host: Option<String>,
    body: Option<String>,
    body_type: Option<String>,
    sni: Option<bool>,
    extra: Map<String, Value>,
}

impl From<&CallbackFields> for CallbackMessage {
    fn from(fields: &CallbackFields) -> Self {
        Self {
            url: fields.url.clone(),
            host: fields.host.clone(),
            body: fields.body.clone(),
            body_type: fields.body_type.clone(),
            sni: fields.sni,
            extra: fields.extra.clone(),
        }
    }
}

/// One upload request (runner → adapter).
#[derive(Debug, Clone, Serialize)]
pub struct UploadMessage {
    #[serde(rename = "type")]
    /// Always `upload`.
    pub kind: &'static str,
    /// Echoed in the result, to pair answers with requests.
    pub id: u64,
    /// `http(s)://host:port` of the endpoint.
    pub endpoint: String,
    /// The region (V4 scope).
    pub region: String,
    /// The key id to sign with.
    pub access_key_id: String,
    /// Its secret.
    pub access_key_secret: String,
    /// The bucket.
    pub bucket: String,
    /// The object key.
    pub key: String,
    /// A file holding the object content.
    pub content_file: String,
    /// The Content-Type to send, if the scenario sets one.
    pub content_type: Option<String>,
    /// Extra request headers.
    pub headers: BTreeMap<String, String>,
    /// Extra PostObject form fields.
    pub fields: BTreeMap<String, String>,
    /// The upload type.
    pub operation: Operation,
    /// The signing version.
    pub auth: AuthVersion,
    /// Whether the scenario binds the signing version (false: any correct signature will do).
    pub auth_required: bool,
    /// Multipart part size in bytes.
    pub part_size: usize,
    /// Where the callback parameters travel.
    pub carrier: CarrierChoice,
    /// Whether every multipart request carries the callback, not only the completing one.
    pub callback_on_every_request: bool,
    /// The callback in the SDK's own terms, when the scenario gives it as fields.
    pub callback: Option<CallbackMessage>,
    /// The exact `callback` value, always set when there is a callback.
    pub callback_base64: Option<String>,
    /// The custom variables as a map, when given that way.
    pub vars: Option<Map<String, Value>>,
    /// The exact `callback-var` value.
    pub vars_base64: Option<String>,
    /// How long the SDK may take, in milliseconds.
    pub timeout_ms: u64,
    /// Temporary (STS) credentials for the same account, when the target
    /// has them: an SDK whose users sign with STS (Browser.js) uses these
    /// instead of the long-term pair.
    pub sts: Option<StsMessage>,
}

/// A temporary credential as STS hands it out.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StsMessage {
    /// `STS.`-prefixed key id.
    pub access_key_id: String,
    /// Its secret (with `-wrong` appended when the scenario signs wrongly).
    pub access_key_secret: String,
    /// The token every request must carry.
    pub security_token: String,
}

/// An adapter's answer to one upload.
#[derive(Debug, Clone, PartialEq)]
pub enum AdapterResult {
    /// The SDK got an HTTP answer.
    Answer(Box<SurfacedAnswer>),
    /// No HTTP answer reached the SDK.
    Failed(String),
    /// The SDK cannot express the upload.
    Unsupported(String),
}

#[derive(Debug, Deserialize)]
struct ErrorFields {
    code: Option<String>,
    message: Option<String>,
    ec: Option<String>,
    request_id: Option<String>,
    argument_name: Option<String>,
    argument_value: Option<String>,
}

/// Reads a result line for request `id`. Any problem is an error that says
/// what the adapter got wrong, so its author can fix it.
pub fn parse_result(line: &str, id: u64) -> Result<AdapterResult, ProtocolError> {
    result_of(line, id).map_err(ProtocolError)
}

fn result_of(line: &str, id: u64) -> Result<AdapterResult, String> {
    let value: Value = serde_json::from_str(line)
        .map_err(|e| format!("a result line is not JSON ({e}): {}", shorten(line)))?;
    let field = |name: &str| value.get(name).filter(|v| !v.is_null());
    if field("type").and_then(Value::as_str) != Some("result") {
        return Err(format!(
            "expected a {{\"type\":\"result\",…}} line, got: {}",
            shorten(line)
        ));
    }
    if field("id").and_then(Value::as_u64) != Some(id) {
        return Err(format!(
            "the result answers id {}, but the request was id {id}",
            field("id").map_or_else(|| "none".to_owned(), Value::to_string)
        ));
    }
    let text = |name: &str| field(name).and_then(Value::as_str).map(str::to_owned);
    match field("outcome").and_then(Value::as_str) {
        Some("unsupported") => Ok(AdapterResult::Unsupported(
            text("reason").unwrap_or_else(|| "no reason given".into()),
        )),
        Some("failed") => Ok(AdapterResult::Failed(
            text("error_text").unwrap_or_else(|| "no error text given".into()),
        )),
        Some("answer") => {
            // `null` says the SDK does not expose the status (ali-oss-rs).
            let status = match field("status") {
                None => None,
                Some(value) => Some(
                    value
                        .as_u64()
                        .and_then(|s| u16::try_from(s).ok())
                        .filter(|s| (100..=599).contains(s))
                        .ok_or_else(|| {
                            format!(
                                "\"status\" must be an HTTP status number or null: {}",
                                shorten(line)
                            )
                        })?,
                ),
            };
            let raised = field("raised").and_then(Value::as_bool).ok_or_else(|| {
                format!(
                    "an answer result needs \"raised\": true or false: {}",
                    shorten(line)
                )
            })?;
            let headers = match field("headers") {
                None => Vec::new(),
                Some(Value::Object(map)) => map
                    .iter()
                    .map(|(n, v)| {
                        (
                            n.to_ascii_lowercase(),
                            v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                        )
                    })
                    .collect(),
                Some(other) => return Err(format!("\"headers\" must be an object, got {other}")),
            };
            // `"body_json": null` is a parsed JSON null, not an absent body.
            let body = match (field("body"), value.get("body_json")) {
                (Some(Value::String(text)), None) => SurfacedBody::Text(text.clone()),
                (Some(other), None) => {
                    return Err(format!(
                        "\"body\" must be text (use \"body_json\" for a parsed value), got {other}"
                    ))
                }
                (None, Some(json)) => SurfacedBody::Json(json.clone()),
                (None, None) => SurfacedBody::None,
                (Some(_), Some(_)) => {
                    return Err("a result gives \"body\" or \"body_json\", not both".into())
                }
            };
            let error = match field("error") {
                None => None,
                Some(raw) => {
                    let fields: ErrorFields = serde_json::from_value(raw.clone()).map_err(|e| {
                        format!("\"error\" must be an object of text fields ({e}): {raw}")
                    })?;
                    Some(SurfacedError {
                        code: fields.code,
                        message: fields.message,
                        ec: fields.ec,
                        request_id: fields.request_id,
                        argument_name: fields.argument_name,
                        argument_value: fields.argument_value,
                    })
                }
            };
            Ok(AdapterResult::Answer(Box::new(SurfacedAnswer {
                status,
                raised,
                headers,
                body,
                error,
            })))
        }
        other => Err(format!(
            "\"outcome\" must be \"answer\", \"failed\" or \"unsupported\", got {}",
            other.map_or_else(|| "nothing".to_owned(), |o| format!("{o:?}"))
        )),
    }
}

fn shorten(line: &str) -> String {
    if line.chars().count() > 300 {
        format!("{}…", line.chars().take(300).collect::<String>())
    } else {
        line.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_use_the_protocols_words() {
        let message = UploadMessage {
            kind: "upload",
            id: 3,
            endpoint: "http://127.0.0.1:1".into(),
            region: "cn-hangzhou".into(),
            access_key_id: "id".into(),
            access_key_secret: "secret".into(),
            bucket: "b".into(),
            key: "k".into(),
            content_file: "/tmp/3.bin".into(),
            content_type: None,
            headers: BTreeMap::new(),
            fields: BTreeMap::new(),
            operation: Operation::PresignV1,
            auth: AuthVersion::V4,
            auth_required: true,
            part_size: 102_400,
            carrier: CarrierChoice::HeaderAndQuery,
            callback_on_every_request: false,
            callback: Some(CallbackMessage::from(&CallbackFields {
                url: "http://127.0.0.1:2/cb".into(),
                host: None,
                body: Some("b=${bucket}".into()),
                body_type: None,
                sni: Some(false),
                extra: Map::new(),
            })),
            callback_base64: None,
            vars: None,
            vars_base64: None,
            timeout_ms: 10_000,
            sts: None,
        };
        let json: Value = serde_json::to_value(&message).unwrap();
        assert_eq!(json["type"], "upload");
        assert_eq!(json["operation"], "presign-v1");
        assert_eq!(json["auth"], "v4");
        assert_eq!(json["carrier"], "header-and-query");
        assert_eq!(json["content_type"], Value::Null);
        assert_eq!(
            json["callback"],
            serde_json::json!({"url": "http://127.0.0.1:2/cb", "host": null, "body": "b=${bucket}",
                               "body_type": null, "sni": false, "extra": {}})
        );
    }

    #[test]
    fn hello_needs_protocol_one() {
        let hello = parse_hello(
            r#"{"type":"hello","protocol":1,"driver":"oss2","sdk":"oss2","sdk_version":"2.19.1","runtime":"CPython 3.11.7"}"#,
        )
        .unwrap();
        assert_eq!(hello.sdk_version, "2.19.1");
        let err = parse_hello(
            r#"{"type":"hello","protocol":2,"driver":"x","sdk":"x","sdk_version":"1"}"#,
        )
        .unwrap_err();
        assert!(err.0.contains("protocol 2"), "{err}");
        assert!(parse_hello("Traceback (most recent call last):")
            .unwrap_err()
            .0
            .contains("not JSON"));
        assert!(parse_hello(r#"{"type":"result"}"#)
            .unwrap_err()
            .0
            .contains("hello"));
    }

    #[test]
    fn answers_keep_what_the_sdk_exposed() {
        let line = r#"{"type":"result","id":7,"outcome":"answer","status":203,"raised":true,"headers":{"X-Oss-Request-Id":"AB"},"body":null,"error":{"code":"CallbackFailed","message":"Error status : 502.","ec":null,"request_id":"AB"}}"#;
        let AdapterResult::Answer(answer) = parse_result(line, 7).unwrap() else {
            panic!("an answer")
        };
        assert_eq!(answer.status, Some(203));
        assert!(answer.raised);
        assert_eq!(
            answer.headers,
            vec![("x-oss-request-id".into(), "AB".into())]
        );
        assert_eq!(answer.body, SurfacedBody::None);
        let error = answer.error.unwrap();
        assert_eq!(error.code.as_deref(), Some("CallbackFailed"));
        assert_eq!(error.ec, None);
    }

    #[test]
    fn parsed_bodies_are_kept_as_json() {
        let null = r#"{"type":"result","id":1,"outcome":"answer","status":200,"raised":false,"body":null,"body_json":null}"#;
        let AdapterResult::Answer(answer) = parse_result(null, 1).unwrap() else {
            panic!("an answer")
        };
        assert_eq!(answer.body, SurfacedBody::Json(Value::Null));
        let line = r#"{"type":"result","id":1,"outcome":"answer","status":200,"raised":false,"body_json":{"Status":"OK"}}"#;
        let AdapterResult::Answer(answer) = parse_result(line, 1).unwrap() else {
            panic!("an answer")
        };
        assert_eq!(
            answer.body,
            SurfacedBody::Json(serde_json::json!({"Status": "OK"}))
        );
    }

    #[test]
    fn broken_results_say_what_is_wrong() {
        let cases = [
            ("not json", "not JSON"),
            (
                r#"{"type":"result","id":2,"outcome":"answer","status":200,"raised":false}"#,
                "request was id 1",
            ),
            (
                r#"{"type":"result","id":1,"outcome":"answer","status":200}"#,
                "\"raised\"",
            ),
            (
                r#"{"type":"result","id":1,"outcome":"answer","status":200,"raised":false,"body":{"a":1}}"#,
                "body_json",
            ),
            (r#"{"type":"result","id":1,"outcome":"maybe"}"#, "\"maybe\""),
            (
                r#"{"type":"result","id":1,"outcome":"answer","status":9999,"raised":false}"#,
                "HTTP status",
            ),
        ];
        for (line, expected) in cases {
            let err = parse_result(line, 1).unwrap_err();
            assert!(err.0.contains(expected), "{line}: {err}");
        }
        assert_eq!(
            parse_result(
                r#"{"type":"result","id":1,"outcome":"unsupported","reason":"no PostObject call"}"#,
                1
            )
            .unwrap(),
            AdapterResult::Unsupported("no PostObject call".into())
        );
        assert_eq!(
            parse_result(
                r#"{"type":"result","id":1,"outcome":"failed","error_text":"ConnectTimeout"}"#,
                1
            )
            .unwrap(),
            AdapterResult::Failed("ConnectTimeout".into())
        );
    }
}
