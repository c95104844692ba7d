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

/// Why a call could not be made.
#[derive(Debug, thiserror::Error)]
#[error("request to the OSS endpoint failed: {0}")]
pub struct CallError(String);

/// A client for one endpoint and key pair.
#[derive(Debug, Clone)]
pub struct OssClient {
    endpoint: String,
    credentials: Credentials,
    region: String,
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
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| CallError(e.to_string()))?;
        Ok(Self {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            credentials,
            region: region.to_owned(),
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
        let url = format!("{}{}", self.endpoint, Self::target(&call, &extra_query));
        let method = reqwest::Method::from_bytes(call.method.as_bytes())
            .map_err(|e| CallError(e.to_string()))?;
        let mut builder = self.http.request(method, url).body(call.body.clone());
        for (name, value) in &signable.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let response = builder.send().await.map_err(|e| CallError(e.to_string()))?;
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
        let body = response
            .bytes()
            .await
            .map_err(|e| CallError(e.to_string()))?;
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
}
