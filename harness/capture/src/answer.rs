//! What the capture server answers on a path: programmable per path, so a
//! scenario can play every kind of callback receiver OSS may meet (slow,
//! chunked, BOM-prefixed, oversized, resetting).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;

use super::recorder::lock;

/// The UTF-8 byte-order mark some receivers put before their JSON.
pub const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// The body of the default answer.
pub const DEFAULT_BODY: &str = r#"{"Status":"OK"}"#;

/// The response body type the capture server hands to hyper.
pub(crate) type AnswerBody = BoxBody<Bytes, Infallible>;

/// One programmed answer. `Answer::default()` is what unprogrammed paths get:
/// 200, `Content-Type: application/json`, `{"Status":"OK"}` with a
/// Content-Length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status code.
    pub status: u16,
    /// Headers sent in this order (the default answer has `Content-Type`).
    pub headers: Vec<(String, String)>,
    /// The body (ignored when `oversize` is set).
    pub body: Bytes,
    /// Waits this long before answering (to trip the sender's timeout).
    pub delay: Duration,
    /// Prefixes the body with the UTF-8 BOM `EF BB BF`.
    pub bom: bool,
    /// Sends the body chunked: `Transfer-Encoding: chunked`, no Content-Length.
    pub chunked: bool,
    /// Answers a JSON string literal exactly this many bytes long instead of
    /// `body` (to exceed the sender's answer-size limit).
    pub oversize: Option<usize>,
    /// Closes the connection with a TCP RST instead of answering.
    pub reset: bool,
}

impl Default for Answer {
    fn default() -> Self {
        Self::json(200, DEFAULT_BODY)
    }
}

impl Answer {
    /// The default answer: 200 `{"Status":"OK"}`.
    pub fn ok() -> Self {
        Self::default()
    }

    /// `status` with a JSON body.
    pub fn json(status: u16, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
            body: body.into(),
            delay: Duration::ZERO,
            bom: false,
            chunked: false,
            oversize: None,
            reset: false,
        }
    }

    /// No answer at all: the connection is reset once the request is read.
    pub fn reset() -> Self {
        Self {
            reset: true,
            ..Self::default()
        }
    }

    /// Sets the status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Sets a header, replacing any of the same name (case-insensitively);
    /// push onto `headers` directly to send a name twice.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
        self.headers.push((name, value.into()));
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Waits before answering.
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Prefixes the body with the UTF-8 BOM.
    pub fn with_bom(mut self) -> Self {
        self.bom = true;
        self
    }

    /// Sends the body chunked, without Content-Length.
    pub fn with_chunked(mut self) -> Self {
        self.chunked = true;
        self
    }

    /// Answers a JSON string body of exactly `bytes` bytes.
    pub fn with_oversize(mut self, bytes: usize) -> Self {
        self.oversize = Some(bytes);
        self
    }

    /// The body bytes as they go on the wire (BOM and oversize applied).
    pub fn wire_body(&self) -> Bytes {
        let payload = match self.oversize {
            Some(n) => oversize_body(n),
            None => self.body.clone(),
        };
        if self.bom {
            let mut out = Vec::with_capacity(BOM.len() + payload.len());
            out.extend_from_slice(&BOM);
            out.extend_from_slice(&payload);
            Bytes::from(out)
        } else {
            payload
        }
    }

    /// The hyper response for this answer (everything but `delay` and
    /// `reset`, which the server carries out). Fails when a programmed
    /// status or header cannot be sent over HTTP.
    pub(crate) fn to_response(&self) -> Result<hyper::Response<AnswerBody>, String> {
        let mut builder = hyper::Response::builder().status(self.status);
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let body = self.wire_body();
        // hyper writes Content-Length for a body of known size and switches to
        // chunked encoding for a stream of unknown size, so both framings
        // are expressible without writing HTTP by hand.
        let body: AnswerBody = if self.chunked {
            let frames = futures_util::stream::iter([Ok::<_, Infallible>(Frame::data(body))]);
            BodyExt::boxed(StreamBody::new(frames))
        } else {
            BodyExt::boxed(Full::new(body))
        };
        builder
            .body(body)
            .map_err(|e| format!("the programmed answer is not valid HTTP: {e}"))
    }
}

/// The programmed answers, by exact path (the target without its query).
#[derive(Debug, Default)]
pub(crate) struct Programs(Mutex<HashMap<String, Answer>>);

impl Programs {
    /// Programs `path`; a later program for the same path replaces it.
    pub(crate) fn set(&self, path: &str, answer: Answer) {
        lock(&self.0).insert(path.to_owned(), answer);
    }

    /// Forgets every program whose path starts with `prefix`.
    pub(crate) fn clear(&self, prefix: &str) {
        lock(&self.0).retain(|path, _| !path.starts_with(prefix));
    }

    /// The answer for a request target: its path's program, or the default.
    pub(crate) fn answer_for(&self, target: &str) -> Answer {
        let path = target.split('?').next().unwrap_or_default();
        lock(&self.0).get(path).cloned().unwrap_or_default()
    }
}

/// A JSON string literal (`"xxx…"`) of exactly `n` bytes; below 2 bytes no
/// literal fits, so it is `n` bytes of `x`.
fn oversize_body(n: usize) -> Bytes {
    if n < 2 {
        return Bytes::from(vec![b'x'; n]);
    }
    let mut out = vec![b'x'; n];
    out[0] = b'"';
    out[n - 1] = b'"';
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversize_is_an_exact_length_json_string() {
        let body = Answer::ok().with_oversize(10).wire_body();
        assert_eq!(&body[..], b"\"xxxxxxxx\"");
        assert!(serde_json::from_slice::<String>(&body).is_ok());
        assert_eq!(Answer::ok().with_oversize(1).wire_body().len(), 1);
    }

    #[test]
    fn bom_goes_before_the_body() {
        let body = Answer::ok().with_bom().wire_body();
        assert_eq!(&body[..3], &BOM);
        assert_eq!(&body[3..], DEFAULT_BODY.as_bytes());
    }

    #[test]
    fn with_header_replaces_case_insensitively() {
        let answer = Answer::ok().with_header("content-type", "text/plain");
        assert_eq!(
            answer.headers,
            vec![("content-type".to_owned(), "text/plain".to_owned())]
        );
    }

    #[test]
    fn an_unsendable_answer_is_an_error_not_a_panic() {
        assert!(Answer::ok().with_status(1000).to_response().is_err());
        assert!(Answer::ok()
            .with_header("bad name", "v")
            .to_response()
            .is_err());
    }
}
