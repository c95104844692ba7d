//! OSS request authentication: V1 (HMAC-SHA1) and V4 (OSS4-HMAC-SHA256)
//! header signatures, presigned URLs and PostObject policies, for both sides
//! of the wire: the client signs, the emulator verifies.
//!
//! Pure: no I/O, no clock reads. Every function that depends on the current
//! time takes it as a parameter, so tests and fuzz targets are deterministic.
//!
//! The canonicalisation rules follow the official SDK signers, which are the
//! only published definition: Go SDK v2 `oss/signer/v1.go` and `v4.go`,
//! Python SDK v2 `alibabacloud_oss_v2/signer/`, oss2 `oss2/auth.py`.

mod error;
pub mod post_policy;
mod timefmt;
pub mod v1;
pub mod v4;

use std::time::SystemTime;

pub use error::{
    AuthError, INVALID_ACCESS_KEY_MESSAGE, MAX_CLOCK_SKEW_SECS, MAX_V4_PRESIGN_SECS,
    POLICY_CONDITION_FAILED_PREFIX, POLICY_EXPIRED_MESSAGE, REQUEST_EXPIRED_MESSAGE,
    REQUEST_TIME_TOO_SKEWED_MESSAGE, SIGNATURE_MISMATCH_MESSAGE,
};
pub use timefmt::{
    format_iso8601_basic, format_iso8601_extended, parse_iso8601_basic, parse_iso8601_extended,
};

/// An access key pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The public half, sent on the wire.
    pub access_key_id: String,
    /// The shared secret, never sent.
    pub access_key_secret: String,
}

impl Credentials {
    /// A key pair from its two halves.
    pub fn new(access_key_id: impl Into<String>, access_key_secret: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
        }
    }
}

/// What a signature covers, independent of any HTTP crate so that the client,
/// the emulator and fuzz targets can all build one.
///
/// `bucket` and `key` are what the request addresses, whatever the URL style
/// (virtual host, path style, CNAME): OSS signs `/bucket/key` in every case.
/// The key and the query are *decoded*; each signer re-encodes as its version
/// requires.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignableRequest {
    /// The HTTP method, upper case (`PUT`, `POST`, ...).
    pub method: String,
    /// The bucket the request addresses, if any (`None` for service-level
    /// requests such as ListBuckets).
    pub bucket: Option<String>,
    /// The decoded object key, if the request addresses an object.
    pub key: Option<String>,
    /// Decoded query parameters in wire order; `None` is a bare `?name`.
    pub query: Vec<(String, Option<String>)>,
    /// Headers in wire order, names in any case.
    pub headers: Vec<(String, String)>,
}

impl SignableRequest {
    /// A request with a method and target and no query or headers yet.
    pub fn new(method: impl Into<String>, bucket: Option<&str>, key: Option<&str>) -> Self {
        Self {
            method: method.into(),
            bucket: bucket.map(str::to_owned),
            key: key.map(str::to_owned),
            query: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// Adds a header (builder style).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds a query parameter (builder style); `None` is a bare `?name`.
    pub fn with_query(mut self, name: impl Into<String>, value: Option<&str>) -> Self {
        self.query.push((name.into(), value.map(str::to_owned)));
        self
    }

    /// The first value of a header, name compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_values(name).next()
    }

    /// Every value of a header in wire order, name compared case-insensitively.
    pub fn header_values<'a, 'n>(
        &'a self,
        name: &'n str,
    ) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
        self.headers
            .iter()
            .filter(move |(candidate, _)| candidate.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Replaces every value of a header with one value.
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        self.headers
            .retain(|(candidate, _)| !candidate.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.into()));
    }

    /// The value of the first query parameter with this exact name (query
    /// names are case-sensitive in OSS); `Some(None)` for a bare `?name`.
    pub fn query_param(&self, name: &str) -> Option<Option<&str>> {
        self.query
            .iter()
            .find(|(candidate, _)| candidate == name)
            .map(|(_, value)| value.as_deref())
    }

    /// The non-empty value of a query parameter, if present.
    fn query_value(&self, name: &str) -> Option<&str> {
        self.query_param(name).flatten().filter(|v| !v.is_empty())
    }

    /// Header names lower-cased with their values trimmed and repeated values
    /// joined by `,` (as Go's signer does), sorted by name, for the names the
    /// predicate selects.
    fn canonical_headers(&self, mut include: impl FnMut(&str) -> bool) -> Vec<(String, String)> {
        let mut merged: Vec<(String, String)> = Vec::new();
        for (name, value) in &self.headers {
            let lower = name.to_ascii_lowercase();
            if !include(&lower) {
                continue;
            }
            match merged.iter_mut().find(|(seen, _)| *seen == lower) {
                Some((_, joined)) => {
                    joined.push(',');
                    joined.push_str(value.trim());
                }
                None => merged.push((lower, value.trim().to_owned())),
            }
        }
        merged.sort_by(|a, b| a.0.cmp(&b.0));
        merged
    }
}

/// Which scheme authenticated a request, and as whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// The access key id whose secret produced a matching signature.
    pub access_key_id: String,
    /// The scheme that carried the signature.
    pub scheme: AuthScheme,
}

/// The four ways a non-POST request can carry a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthScheme {
    /// `Authorization: OSS ak:sig`.
    V1Header,
    /// `?OSSAccessKeyId=&Expires=&Signature=`.
    V1Presigned,
    /// `Authorization: OSS4-HMAC-SHA256 Credential=...`.
    V4Header,
    /// `?x-oss-signature-version=OSS4-HMAC-SHA256&...`.
    V4Presigned,
}

/// What the verifying server knows beyond the request: its clock and its
/// region (a V4 signature must be scoped to it).
#[derive(Debug, Clone, Copy)]
pub struct ServerView<'a> {
    /// The server's current time.
    pub now: SystemTime,
    /// The region the endpoint serves, e.g. `cn-hangzhou`.
    pub region: &'a str,
}

/// Verifies whichever signature a request carries, the emulator's single
/// entry point: the signature itself, then what OSS checks around it (the
/// request time within 15 minutes of the server's clock for header
/// signatures, the V4 scope's region). `Ok(None)` means the request is
/// anonymous (no `Authorization` header, no signature query): whether that is
/// allowed is bucket policy, not authentication.
pub fn verify_request(
    request: &SignableRequest,
    secret_for: impl Fn(&str) -> Option<String>,
    server: &ServerView<'_>,
) -> Result<Option<Authenticated>, AuthError> {
    let authenticated = verify_signature(request, secret_for, server.now)?;
    if let Some(authenticated) = &authenticated {
        check_request_time(request, authenticated.scheme, server.now)?;
        check_region(request, authenticated.scheme, server.region)?;
    }
    Ok(authenticated)
}

/// The request time of a header-signed request must be within
/// [`MAX_CLOCK_SKEW_SECS`] of `now`, either way. Presigned URLs carry their
/// own expiry instead.
// spec: CB-AUTH-CLOCK-SKEW
fn check_request_time(
    request: &SignableRequest,
    scheme: AuthScheme,
    now: SystemTime,
) -> Result<(), AuthError> {
    let (written, time) = match scheme {
        AuthScheme::V1Header => {
            let written = v1::date_slot(request).unwrap_or_default();
            let time = httpdate::parse_http_date(written).map_err(|_| {
                AuthError::access_denied(format!(
                    "The date {written:?} is not an RFC 1123 GMT date (e.g. Sun, 22 Nov 2026 05:38:01 GMT)."
                ))
            })?;
            (written, time)
        }
        AuthScheme::V4Header => {
            let written = request.header("x-oss-date").unwrap_or_default();
            // verify_signature has parsed it already.
            let Some(time) = parse_iso8601_basic(written) else {
                return Ok(());
            };
            (written, time)
        }
        AuthScheme::V1Presigned | AuthScheme::V4Presigned => return Ok(()),
    };
    let skew = unix_seconds(now).abs_diff(unix_seconds(time));
    if skew > MAX_CLOCK_SKEW_SECS {
        return Err(AuthError::RequestTimeTooSkewed {
            request_time: written.to_owned(),
            server_time: httpdate::fmt_http_date(now),
        });
    }
    Ok(())
}

/// A V4 signature must be scoped to the endpoint's region.
// spec: CB-AUTH-V4-SCOPE
fn check_region(
    request: &SignableRequest,
    scheme: AuthScheme,
    region: &str,
) -> Result<(), AuthError> {
    let credential = match scheme {
        AuthScheme::V4Header => {
            v4::parse_authorization(request.header("authorization").unwrap_or(""))
                .map(|a| a.scope.region)?
        }
        AuthScheme::V4Presigned => {
            let credential = request.query_value("x-oss-credential").unwrap_or_default();
            v4::parse_credential(credential)?.1.region
        }
        AuthScheme::V1Header | AuthScheme::V1Presigned => return Ok(()),
    };
    if credential != region {
        return Err(AuthError::WrongRegion {
            region: credential,
            expected: region.to_owned(),
            presigned: scheme == AuthScheme::V4Presigned,
        });
    }
    Ok(())
}

/// Verifies whichever signature a request carries, without the checks that
/// need the server's view (clock skew, region): what the known-answer
/// vectors, made at fixed past times, can be checked with.
pub fn verify_signature(
    request: &SignableRequest,
    secret_for: impl Fn(&str) -> Option<String>,
    now: SystemTime,
) -> Result<Option<Authenticated>, AuthError> {
    let (scheme, result) = if let Some(authorization) = request.header("authorization") {
        if authorization.starts_with(v4::ALGORITHM) {
            (AuthScheme::V4Header, v4::verify_header(request, secret_for))
        } else if authorization.starts_with("OSS ") {
            (AuthScheme::V1Header, v1::verify_header(request, secret_for))
        } else {
            return Err(AuthError::invalid_argument(
                "Authorization header is invalid: expected `OSS <AccessKeyId>:<Signature>` or `OSS4-HMAC-SHA256 Credential=...`.",
            ));
        }
    } else if request.query_param("x-oss-signature-version").is_some() {
        (
            AuthScheme::V4Presigned,
            v4::verify_presigned(request, secret_for, now),
        )
    } else if request.query_param("Signature").is_some()
        || request.query_param("OSSAccessKeyId").is_some()
    {
        (
            AuthScheme::V1Presigned,
            v1::verify_presigned(request, secret_for, now),
        )
    } else {
        return Ok(None);
    };
    result.map(|access_key_id| {
        Some(Authenticated {
            access_key_id,
            scheme,
        })
    })
}

/// Compares two signatures without an early exit, so that the emulator does
/// not leak how many leading characters were right.
fn signatures_equal(expected: &str, provided: &str) -> bool {
    expected.len() == provided.len()
        && expected
            .bytes()
            .zip(provided.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Looks up a secret, mapping an unknown key to OSS's error.
fn secret_or_error(
    secret_for: impl Fn(&str) -> Option<String>,
    access_key_id: &str,
) -> Result<String, AuthError> {
    secret_for(access_key_id).ok_or_else(|| AuthError::InvalidAccessKeyId {
        access_key_id: access_key_id.to_owned(),
    })
}

/// Whole seconds since the Unix epoch; times before it count as 0.
fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
