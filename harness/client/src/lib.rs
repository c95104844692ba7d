//! The native OSS client: builds, signs and sends requests for every upload
//! type and callback carrier, with V1 or V4 authentication.
//!
//! It is deliberately literal: callers say exactly which headers, query
//! parameters and auth scheme to use, so the harness can put any byte it
//! wants on the wire (including invalid callbacks).

use cbspec_protocol::headers::Headers;
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use cbspec_protocol::auth::{v1, v4, Credentials, SignableRequest};
use cbspec_protocol::routing::path_style_target;

/// How a request is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: OSS ak:sig` with `Date`.
    V1Header,
    /// `Authorization: OSS4-HMAC-SHA256 ...`.
    V4Header,
    /// A V1 presigned URL valid for an hour.
    V1Presigned,
    /// A V4 presigned URL valid for an hour.
    V4Presigned,
    /// No signature.
    Anonymous,
}

/// One request to send.
#[derive(Debug, Clone)]
pub struct OssCall {
    /// HTTP method.
    pub method: String,
    /// Bucket (path style).
    pub bucket: Option<String>,
    /// Object key, unencoded.
    pub key: Option<String>,
    /// Query parameters, unencoded; `None` for a bare name.
    pub query: Vec<(String, Option<String>)>,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
    /// Authentication.
    pub auth: Auth,
}

impl OssCall {
    /// A call with no query, headers or body, signed with V1.
    pub fn new(method: &str, bucket: &str, key: Option<&str>) -> Self {
        Self {
            method: method.to_owned(),
            bucket: Some(bucket.to_owned()),
            key: key.map(str::to_owned),
            query: Vec::new(),
            headers: Vec::new(),
            body: Bytes::new(),
            auth: Auth::V1Header,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &str, value: Option<&str>) -> Self {
        self.query.push((name.to_owned(), value.map(str::to_owned)));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the auth scheme.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }
}

/// An answer.
#[derive(Debug, Clone)]
pub struct OssAnswer {
    /// HTTP status.
    pub status: u16,
    /// Headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
}

impl OssAnswer {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.header(name)
    }

    /// The text of the first `<name>` element of an XML body (e.g. the
    /// `UploadId` of InitiateMultipartUpload), if there is one.
    pub fn xml_element(&self, name: &str) -> Option<String> {
        let text = self.text();
        let (open, close) = (format!("<{name}>"), format!("</{name}>"));
        let start = text.find(&open)? + open.len();
        let end = start + text[start..].find(&close)?;
        Some(
            quick_xml::escape::unescape(&text[start..end])
                .ok()?
                .into_owned(),
        )
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What went wrong below HTTP when a call failed, as far as the error
/// chain tells: the first thing a user checks differs for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportCause {
    /// Nothing listens at the address (connection refused).
    Refused,
    /// The peer closed or reset the connection mid-exchange.
    Reset,
    /// The connection or the answer took longer than the client's timeout.
    TimedOut,
    /// The TLS handshake failed (certificate, name, protocol).
    Tls,
    /// The host name did not resolve.
    Dns,
    /// The request could not even be built (a bad method or URL).
    Request,
    /// Anything else.
    Other,
}

impl TransportCause {
    /// A few words for people, and what to check.
    pub fn describe(self) -> &'static str {
        match self {
            TransportCause::Refused => {
                "connection refused: is the endpoint running at that address and port?"
            }
            TransportCause::Reset => "connection reset or closed by the peer",
            TransportCause::TimedOut => {
                "timed out: is the address reachable, or the endpoint overloaded?"
            }
            TransportCause::Tls => {
                "TLS handshake failed: check the certificate, its names and the CA"
            }
            TransportCause::Dns => {
                "the host name does not resolve: check the name, or use --resolve"
            }
            TransportCause::Request => "the request could not be built",
            TransportCause::Other => "transport error",
        }
    }

    /// A stable one-word name, for machine-readable reports.
    pub fn word(self) -> &'static str {
        match self {
            TransportCause::Refused => "refused",
            TransportCause::Reset => "reset",
            TransportCause::TimedOut => "timeout",
            TransportCause::Tls => "tls",
            TransportCause::Dns => "dns",
            TransportCause::Request => "request",
            TransportCause::Other => "other",
        }
    }

    /// The cause an I/O error names, looking through the io::Errors it
    /// wraps: tokio-rustls puts the TLS error two io::Errors deep, and an
    /// io::Error's `source()` skips what it wraps.
    fn of_io(mut io: &std::io::Error) -> Option<Self> {
        use std::io::ErrorKind;
        loop {
            match io.kind() {
                ErrorKind::ConnectionRefused => return Some(Self::Refused),
                ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
                | ErrorKind::UnexpectedEof => return Some(Self::Reset),
                ErrorKind::TimedOut => return Some(Self::TimedOut),
                _ => {}
            }
            let inner = io.get_ref()?;
            if inner.downcast_ref::<rustls::Error>().is_some() {
                return Some(Self::Tls);
            }
            io = inner.downcast_ref::<std::io::Error>()?;
        }
    }

    /// Classifies an error by walking its source chain: the I/O error kind
    /// where there is one, else the resolver's and TLS stack's own errors.
    pub fn of(error: &(dyn std::error::Error + 'static)) -> Self {
        let mut texts = Vec::new();
        let mut next = Some(error);
        while let Some(e) = next {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                if let Some(cause) = Self::of_io(io) {
                    return cause;
                }
            }
            if e.downcast_ref::<rustls::Error>().is_some() {
                return Self::Tls;
            }
            if let Some(r) = e.downcast_ref::<reqwest::Error>() {
                if r.is_timeout() {
                    return Self::TimedOut;
                }
                if r.is_builder() {
                    return Self::Request;
                }
            }
            texts.push(e.to_string());
            next = e.source();
        }
        let text = texts.join(": ");
        if text.contains("dns error") || text.contains("failed to lookup address") {
            Self::Dns
        } else if text.contains("certificate") || text.contains("tls") {
            Self::Tls
        } else if text.contains("connection closed") || text.contains("reset") {
            Self::Reset
        } else {
            Self::Other
        }
    }
}

/// Why a call could not be made: the cause, and the whole error chain.
#[derive(Debug, Clone, thiserror::Error)]
#[error("request to the OSS endpoint failed: {} ({detail})", cause.describe())]
pub struct CallError {
    /// What went wrong below HTTP.
    pub cause: TransportCause,
    /// The error chain, for people.
    pub detail: String,
}

impl CallError {
    fn new(error: &(dyn std::error::Error + 'static)) -> Self {
        let mut detail = error.to_string();
        let mut next = error.source();
        while let Some(e) = next {
            let text = e.to_string();
            if !detail.contains(&text) {
                detail = format!("{detail}: {text}");
            }
            next = e.source();
        }
        Self {
            cause: TransportCause::of(error),
            detail,
        }
    }

    fn request(detail: impl Into<String>) -> Self {
        Self {
            cause: TransportCause::Request,
            detail: detail.into(),
        }
    }
}

/// How requests name the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Addressing {
    /// `scheme://endpoint/bucket/key`.
    #[default]
    Path,
    /// `scheme://bucket.endpoint/key`.
    VirtualHosted,
}

/// How a client connects, beyond the endpoint and key pair.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Whole-call timeout.
    pub timeout: Duration,
    /// Path or virtual-hosted requests.
    pub addressing: Addressing,
    /// Host names resolved to these addresses instead of through DNS (the
    /// port comes from the URL), as curl's `--resolve`.
    pub resolve: Vec<(String, std::net::IpAddr)>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            addressing: Addressing::Path,
            resolve: Vec::new(),
        }
    }
}

/// The URL a call goes to: `/bucket/key` on the endpoint (path style), or
/// `/key` on `bucket.<endpoint host>` (virtual-hosted). Pure, for tests.
pub fn request_url(
    endpoint: &str,
    addressing: Addressing,
    call: &OssCall,
    extra_query: &[(String, String)],
) -> String {
    match (addressing, call.bucket.as_deref()) {
        (Addressing::VirtualHosted, Some(bucket)) => {
            let (scheme, authority) = endpoint.split_once("://").unwrap_or(("http", endpoint));
            let path_style = OssClient::target(call, extra_query);
            let rest = path_style
                .strip_prefix('/')
                .and_then(|t| t.strip_prefix(bucket))
                .unwrap_or(&path_style);
            let rest = if rest.starts_with('/') {
                rest.to_owned()
            } else {
                format!("/{rest}")
            };
            format!("{scheme}://{bucket}.{authority}{rest}")
        }
        _ => format!("{endpoint}{}", OssClient::target(call, extra_query)),
    }
}

/// A client for one endpoint and key pair.
#[derive(Debug, Clone)]
pub struct OssClient {
    endpoint: String,
    credentials: Credentials,
    region: String,
    addressing: Addressing,
    http: reqwest::Client,
}

impl OssClient {
    /// A client for `endpoint` (`http://host:port`, path style).
    pub fn new(
        endpoint: &str,
        credentials: Credentials,
        region: &str,
        timeout: Duration,
    ) -> Result<Self, CallError> {
        Self::with_options(
            endpoint,
            credentials,
            region,
            &ClientOptions {
                timeout,
                ..ClientOptions::default()
            },
        )
    }

    /// A client for `endpoint` with the given addressing and name overrides.
    pub fn with_options(
        endpoint: &str,
        credentials: Credentials,
        region: &str,
        options: &ClientOptions,
    ) -> Result<Self, CallError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .timeout(options.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy();
        for (name, ip) in &options.resolve {
            builder = builder.resolve(name, std::net::SocketAddr::new(*ip, 0));
        }
        let http = builder.build().map_err(|e| CallError::new(&e))?;
        Ok(Self {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            credentials,
            region: region.to_owned(),
            addressing: options.addressing,
            http,
        })
    }

    /// The request target (`/bucket/key?query`) for a call, unsigned.
    pub fn target(call: &OssCall, extra_query: &[(String, String)]) -> String {
        path_style_target(
            call.bucket.as_deref(),
            call.key.as_deref(),
            &call.query,
            extra_query,
        )
    }

    /// Signs and sends a call.
    pub async fn send(&self, call: OssCall) -> Result<OssAnswer, CallError> {
        let now = SystemTime::now();
        let mut signable = SignableRequest {
            method: call.method.clone(),
            bucket: call.bucket.clone(),
            key: call.key.clone(),
            query: call.query.clone(),
            headers: call.headers.clone(),
        };
        let mut extra_query = Vec::new();
        match call.auth {
            Auth::V1Header => {
                v1::sign_header(&mut signable, &self.credentials, now);
            }
            Auth::V4Header => {
                v4::sign_header(&mut signable, &self.credentials, &self.region, now, &[]);
            }
            Auth::V1Presigned => {
                extra_query = v1::presign_query(
                    &signable,
                    &self.credentials,
                    now + Duration::from_secs(3600),
                );
            }
            Auth::V4Presigned => {
                extra_query = v4::presign_query(
                    &signable,
                    &self.credentials,
                    &self.region,
                    now,
                    Duration::from_secs(3600),
                    &[],
                );
            }
            Auth::Anonymous => {}
        }
        let url = request_url(&self.endpoint, self.addressing, &call, &extra_query);
        let method = reqwest::Method::from_bytes(call.method.as_bytes())
            .map_err(|e| CallError::request(e.to_string()))?;
        let mut builder = self.http.request(method, url).body(call.body.clone());
        for (name, value) in &signable.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let response = builder.send().await.map_err(|e| CallError::new(&e))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response.bytes().await.map_err(|e| CallError::new(&e))?;
        Ok(OssAnswer {
            status,
            headers,
            body,
        })
    }

    /// Sends a PostObject form: `fields` in order, then the file part.
    ///
    /// The multipart body is written out here rather than by a form builder
    /// so the harness controls every byte: field order, names as given, and
    /// forms other clients would refuse to build.
    pub async fn post_object(
        &self,
        bucket: &str,
        fields: Vec<(String, String)>,
        file_name: &str,
        file: Bytes,
    ) -> Result<OssAnswer, CallError> {
        let boundary = format!("cbspec{}", hex::encode(rand::random::<[u8; 12]>()));
        let mut body = Vec::new();
        for (name, value) in &fields {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(&file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let call = OssCall::new("POST", bucket, None)
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .auth(Auth::Anonymous);
        self.send(call).await
    }

    /// The same client with another key pair (e.g. a wrong secret).
    pub fn with_credentials(&self, credentials: Credentials) -> Self {
        Self {
            credentials,
            ..self.clone()
        }
    }

    /// The key pair.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The endpoint, `scheme://host:port`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Path or virtual-hosted requests.
    pub fn addressing(&self) -> Addressing {
        self.addressing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_hosted_urls_move_the_bucket_into_the_host() {
        let call = OssCall::new("PUT", "b1", Some("dir/a b.txt")).query("uploads", None);
        assert_eq!(
            request_url("http://127.0.0.1:9000", Addressing::Path, &call, &[]),
            "http://127.0.0.1:9000/b1/dir/a%20b.txt?uploads"
        );
        assert_eq!(
            request_url(
                "https://oss-cn-hangzhou.aliyuncs.com",
                Addressing::VirtualHosted,
                &call,
                &[]
            ),
            "https://b1.oss-cn-hangzhou.aliyuncs.com/dir/a%20b.txt?uploads"
        );
        // The bucket itself (PutBucket, PostObject) is `/` on the bucket host.
        let bucket = OssCall::new("POST", "b1", None);
        assert_eq!(
            request_url(
                "http://oss.localhost:9000",
                Addressing::VirtualHosted,
                &bucket,
                &[]
            ),
            "http://b1.oss.localhost:9000/"
        );
    }

    /// A GET through the real client, for the cause of its failure.
    async fn cause_of(endpoint: &str) -> TransportCause {
        let client = OssClient::new(
            endpoint,
            Credentials::new("k", "s"),
            "cn-hangzhou",
            Duration::from_secs(2),
        )
        .unwrap();
        let call = OssCall::new("GET", "b1", Some("k")).auth(Auth::Anonymous);
        client.send(call).await.unwrap_err().cause
    }

    // Over real loopback sockets: what each failure looks like through
    // reqwest, hyper and rustls, not a hand-made error.
    #[tokio::test]
    async fn real_failures_are_classified_by_cause() {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dead = free.local_addr().unwrap();
        drop(free);
        assert_eq!(
            cause_of(&format!("http://{dead}")).await,
            TransportCause::Refused
        );
        // A plain-HTTP server spoken to over https: the handshake fails.
        let plain = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let plain_addr = plain.local_addr().unwrap();
        std::thread::spawn(move || {
            use std::io::{Read, Write};
            for stream in plain.incoming().take(2) {
                let Ok(mut stream) = stream else { continue };
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            }
        });
        assert_eq!(
            cause_of(&format!("https://{plain_addr}")).await,
            TransportCause::Tls
        );
        // A server that closes the connection without answering.
        let closer = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let closer_addr = closer.local_addr().unwrap();
        std::thread::spawn(move || {
            use std::io::Read;
            for stream in closer.incoming().take(2) {
                let Ok(mut stream) = stream else { continue };
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf);
            }
        });
        assert_eq!(
            cause_of(&format!("http://{closer_addr}")).await,
            TransportCause::Reset
        );
        // A name that cannot resolve (RFC 6761 reserves .invalid).
        assert_eq!(
            cause_of("http://cbspec-no-such-host.invalid:9").await,
            TransportCause::Dns
        );
    }

    #[test]
    fn transport_causes_come_from_the_error_chain() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(TransportCause::of(&refused), TransportCause::Refused);
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert_eq!(TransportCause::of(&reset), TransportCause::Reset);
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("client error (Connect)")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let wrapped = Outer(std::io::Error::from(std::io::ErrorKind::TimedOut));
        assert_eq!(TransportCause::of(&wrapped), TransportCause::TimedOut);
        let dns = std::io::Error::other("dns error: failed to lookup address information");
        assert_eq!(TransportCause::of(&dns), TransportCause::Dns);
    }
}
