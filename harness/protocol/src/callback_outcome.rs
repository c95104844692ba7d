//! Judging the callback server's answer, and the 203 `CallbackFailed`
//! messages OSS gives the uploader when a callback fails.

use super::error_document::ErrorDocument;

/// The largest callback response body accepted (1 MiB).
// spec: CB-RESP-SIZE
pub const MAX_RESPONSE_BODY: u64 = 1024 * 1024;

/// The UTF-8 byte order mark, which makes a JSON body invalid to OSS.
const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

/// Why a callback failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackFailure {
    /// The server answered with a status other than 200 (redirects included).
    // spec: CB-RESP-STATUS-200, CB-OUT-MSG-STATUS, CB-REQ-NO-REDIRECT
    Status(u16),
    /// No connection could be made within the timeout (refused, unreachable,
    /// unresolvable, TLS handshake failure).
    // spec: CB-OUT-MSG-CONNECT
    Connect,
    /// Connected, but the full answer did not arrive within the timeout.
    // spec: CB-OUT-MSG-TIMEOUT, CB-RESP-TIME
    Timeout,
    /// The body is not JSON, or starts with a BOM.
    // spec: CB-RESP-JSON, CB-RESP-BOM, CB-OUT-MSG-JSON
    NotJson,
    /// No Content-Length, or a body over the size limit.
    // spec: CB-RESP-CONTENT-LENGTH, CB-RESP-SIZE, CB-OUT-MSG-LENGTH
    TooLong,
    /// The object claims to be an image but its dimensions cannot be read.
    // spec: CB-OUT-MSG-IMAGE
    ImageInfo,
}

impl CallbackFailure {
    /// The exact 203 Message.
    pub fn message(&self) -> String {
        match self {
            CallbackFailure::Status(code) => format!("Error status : {code}."),
            CallbackFailure::Connect => {
                "Error status : -1.OSS can not connect to your callbackUrl, please check it.".into()
            }
            CallbackFailure::Timeout => "Cost too long time".into(),
            CallbackFailure::NotJson => "Response body is not valid json format.".into(),
            CallbackFailure::TooLong => {
                "Error Status : 400.User server return too long content-length value".into()
            }
            CallbackFailure::ImageInfo => "Get image info failed".into(),
        }
    }

    /// The EC of the 203 answer.
    pub fn ec(&self) -> &'static str {
        match self {
            CallbackFailure::NotJson => "0007-00000205",
            _ => "0007-00000203",
        }
    }

    /// The 203 body sent to the uploader.
    // spec: CB-OUT-203-XML
    pub fn to_error_document(&self, request_id: &str, host_id: &str) -> ErrorDocument {
        let ec = self.ec();
        ErrorDocument {
            code: "CallbackFailed".into(),
            message: self.message(),
            request_id: request_id.into(),
            host_id: host_id.into(),
            argument_name: None,
            argument_value: None,
            ec: Some(ec.into()),
            recommend_doc: Some(ErrorDocument::recommend_doc_for(ec)),
            extra: Vec::new(),
        }
    }
}

/// Judges a complete answer from the callback server: exactly 200, a
/// Content-Length, a body within the limit, and JSON without a BOM.
///
/// `content_length` is the header as received (`None` when absent, e.g. a
/// chunked answer).
// spec: CB-RESP-STATUS-200, CB-RESP-CONTENT-LENGTH, CB-RESP-SIZE, CB-RESP-JSON, CB-RESP-BOM, CB-RESP-JSON-VALUE
pub fn judge_response(
    status: u16,
    content_length: Option<u64>,
    body: &[u8],
) -> Result<(), CallbackFailure> {
    if status != 200 {
        return Err(CallbackFailure::Status(status));
    }
    match content_length {
        Some(len) if len <= MAX_RESPONSE_BODY => {}
        _ => return Err(CallbackFailure::TooLong),
    }
    if body.len() as u64 > MAX_RESPONSE_BODY {
        return Err(CallbackFailure::TooLong);
    }
    if body.starts_with(UTF8_BOM) || serde_json::from_slice::<serde_json::Value>(body).is_err() {
        return Err(CallbackFailure::NotJson);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // spec: CB-RESP-STATUS-200, CB-OUT-MSG-STATUS
    #[test]
    fn only_exactly_200_succeeds() {
        assert_eq!(judge_response(200, Some(15), br#"{"Status":"OK"}"#), Ok(()));
        for status in [201, 204, 301, 400, 404, 405, 500, 502] {
            let err = judge_response(status, Some(2), b"{}").unwrap_err();
            assert_eq!(err.message(), format!("Error status : {status}."));
            assert_eq!(err.ec(), "0007-00000203");
        }
    }

    // spec: CB-RESP-JSON, CB-RESP-BOM, CB-OUT-MSG-JSON
    #[test]
    fn body_must_be_json_without_bom() {
        for body in [
            &b"OK"[..],
            b"",
            b"<html></html>",
            b"\xEF\xBB\xBF{\"a\":\"b\"}",
            b"{\"a\":",
        ] {
            let err = judge_response(200, Some(body.len() as u64), body).unwrap_err();
            assert_eq!(err, CallbackFailure::NotJson, "{body:?}");
            assert_eq!(err.message(), "Response body is not valid json format.");
            assert_eq!(err.ec(), "0007-00000205");
        }
        assert_eq!(judge_response(200, Some(4), b"null"), Ok(()));
    }

    // spec: CB-RESP-CONTENT-LENGTH, CB-RESP-SIZE, CB-OUT-MSG-LENGTH
    #[test]
    fn content_length_is_required_and_bounded() {
        let err = judge_response(200, None, b"{}").unwrap_err();
        assert_eq!(
            err.message(),
            "Error Status : 400.User server return too long content-length value"
        );
        assert_eq!(
            judge_response(200, Some(MAX_RESPONSE_BODY + 1), b"{}"),
            Err(CallbackFailure::TooLong)
        );
        assert_eq!(judge_response(200, Some(MAX_RESPONSE_BODY), b"{}"), Ok(()));
    }

    // spec: CB-OUT-203-XML
    #[test]
    fn the_203_document_matches_the_documented_shape() {
        let xml = CallbackFailure::Status(301)
            .to_error_document(
                "5C3D9175B6FC201293AD4890",
                "bucket.oss-cn-hangzhou.aliyuncs.com",
            )
            .to_xml();
        // The body quoted in the digest §8.3.
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n  <Code>CallbackFailed</Code>\n  <Message>Error status : 301.</Message>\n  <RequestId>5C3D9175B6FC201293AD4890</RequestId>\n  <HostId>bucket.oss-cn-hangzhou.aliyuncs.com</HostId>\n  <EC>0007-00000203</EC>\n  <RecommendDoc>https://api.aliyun.com/troubleshoot?q=0007-00000203</RecommendDoc>\n</Error>\n"
        );
    }
}
