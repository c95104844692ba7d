//! Bucket CORS: Put/Get/DeleteBucketCors, `OPTIONS` preflights answered
//! from the rules, and the `Access-Control-*` headers of actual responses
//! (a browser reads a callback's answer, its ETag or its request id only
//! if the rule exposes them).
//!
//! Matching is pure ([`find_rule`]); the handlers read and write the store.

use serde::{Deserialize, Serialize};

use super::response::{OssError, OssResponse};
use super::service::{OssRequest, Service};
use super::store::{CorsConfiguration, CorsRule};
use super::xml::{self, parse_document};
use cbspec_protocol::headers::Headers;

/// The most rules a bucket may have.
pub const MAX_RULES: usize = 10;

/// The methods a rule may allow.
pub const METHODS: [&str; 5] = ["GET", "PUT", "DELETE", "POST", "HEAD"];

#[derive(Debug, Serialize, Deserialize)]
struct CorsDocument {
    #[serde(rename = "CORSRule", default)]
    rules: Vec<CorsRuleDocument>,
    #[serde(
        rename = "ResponseVary",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    response_vary: Option<bool>,
}

#[derive(Debug, Serialize, Deserialize)]
struct CorsRuleDocument {
    #[serde(rename = "AllowedOrigin", default)]
    allowed_origins: Vec<String>,
    #[serde(rename = "AllowedMethod", default)]
    allowed_methods: Vec<String>,
    #[serde(rename = "AllowedHeader", default)]
    allowed_headers: Vec<String>,
    #[serde(rename = "ExposeHeader", default)]
    expose_headers: Vec<String>,
    #[serde(
        rename = "MaxAgeSeconds",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    max_age_seconds: Option<u64>,
}

fn invalid(message: impl Into<String>) -> OssError {
    OssError::invalid_argument(message)
}

/// Reads and checks a `CORSConfiguration` document.
fn parse_configuration(body: &[u8]) -> Result<CorsConfiguration, OssError> {
    let doc: CorsDocument = parse_document(body, "CORSConfiguration")?;
    if doc.rules.is_empty() {
        return Err(xml::malformed_xml());
    }
    if doc.rules.len() > MAX_RULES {
        return Err(invalid(format!(
            "A bucket may have at most {MAX_RULES} CORS rules; {} were given.",
            doc.rules.len()
        )));
    }
    let mut rules = Vec::with_capacity(doc.rules.len());
    for rule in doc.rules {
        if rule.allowed_origins.is_empty() || rule.allowed_methods.is_empty() {
            return Err(invalid(
                "Each CORSRule needs at least one AllowedOrigin and one AllowedMethod.",
            ));
        }
        for method in &rule.allowed_methods {
            if !METHODS.contains(&method.trim()) {
                return Err(invalid(format!(
                    "AllowedMethod {method:?} is not one of GET, PUT, DELETE, POST, HEAD."
                )));
            }
        }
        for pattern in rule.allowed_origins.iter().chain(&rule.allowed_headers) {
            if pattern.matches('*').count() > 1 {
                return Err(invalid(format!(
                    "{pattern:?} has more than one '*'; a pattern may have one."
                )));
            }
        }
        rules.push(CorsRule {
            allowed_origins: rule.allowed_origins.into_iter().map(trimmed).collect(),
            allowed_methods: rule.allowed_methods.into_iter().map(trimmed).collect(),
            allowed_headers: rule.allowed_headers.into_iter().map(trimmed).collect(),
            expose_headers: rule.expose_headers.into_iter().map(trimmed).collect(),
            max_age_seconds: rule.max_age_seconds,
        });
    }
    Ok(CorsConfiguration {
        rules,
        response_vary: doc.response_vary.unwrap_or(false),
    })
}

fn trimmed(s: String) -> String {
    s.trim().to_owned()
}

/// A pattern with at most one `*` against a value (header names compared
/// case-insensitively by the caller lower-casing both).
fn wildcard_match(pattern: &str, value: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == value,
        Some((prefix, suffix)) => {
            value.len() >= prefix.len() + suffix.len()
                && value.starts_with(prefix)
                && value.ends_with(suffix)
        }
    }
}

/// The first rule that allows this origin, method and request headers.
pub fn find_rule<'a>(
    config: &'a CorsConfiguration,
    origin: &str,
    method: &str,
    request_headers: &[String],
) -> Option<&'a CorsRule> {
    config.rules.iter().find(|rule| {
        rule.allowed_origins
            .iter()
            .any(|p| wildcard_match(p, origin))
            && rule.allowed_methods.iter().any(|m| m == method)
            && request_headers.iter().all(|h| {
                let h = h.to_ascii_lowercase();
                rule.allowed_headers
                    .iter()
                    .any(|p| wildcard_match(&p.to_ascii_lowercase(), &h))
            })
    })
}

/// The headers a matching rule adds to an answer.
fn rule_headers(rule: &CorsRule, origin: &str, vary: bool) -> Vec<(String, String)> {
    let allow_origin = if rule.allowed_origins.iter().any(|o| o == "*") {
        "*".to_owned()
    } else {
        origin.to_owned()
    };
    let mut headers = vec![
        ("Access-Control-Allow-Origin".to_owned(), allow_origin),
        (
            "Access-Control-Allow-Methods".to_owned(),
            rule.allowed_methods.join(", "),
        ),
    ];
    if !rule.expose_headers.is_empty() {
        headers.push((
            "Access-Control-Expose-Headers".to_owned(),
            rule.expose_headers.join(", "),
        ));
    }
    if let Some(age) = rule.max_age_seconds {
        headers.push(("Access-Control-Max-Age".to_owned(), age.to_string()));
    }
    if vary {
        headers.push(("Vary".to_owned(), "Origin".to_owned()));
    }
    headers
}

fn forbidden(message: &str) -> OssError {
    OssError::new(403, "AccessForbidden", message)
}

/// OSS's message for a preflight no rule allows (its spelling).
pub const NOT_ALLOWED_MESSAGE: &str = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Requet-Headers are not whitelisted by the resource's CORS spec.";

/// An `OPTIONS` preflight: not authenticated (browsers send none).
// spec: CB-EMU-CORS
pub fn preflight(
    service: &Service,
    request: &OssRequest,
    bucket: &str,
) -> Result<OssResponse, OssError> {
    let origin = request.header("origin").ok_or_else(|| {
        OssError::new(
            400,
            "BadRequest",
            "Insufficient information. Origin request header needed",
        )
    })?;
    let method = request
        .header("access-control-request-method")
        .ok_or_else(|| {
            OssError::new(
                400,
                "BadRequest",
                "Insufficient information. Request Access-Control-Request-Method header needed",
            )
        })?;
    let requested: Vec<String> = request
        .header("access-control-request-headers")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
        .collect();
    let config = service.store.bucket_config(bucket)?;
    let Some(cors) = &config.cors else {
        return Err(forbidden(
            "CORSResponse: CORS is not enabled for this bucket.",
        ));
    };
    let rule = find_rule(cors, origin, method.trim(), &requested)
        .ok_or_else(|| forbidden(NOT_ALLOWED_MESSAGE))?;
    let mut response = OssResponse::empty(200);
    response.headers = rule_headers(rule, origin, cors.response_vary);
    if !requested.is_empty() {
        response.headers.push((
            "Access-Control-Allow-Headers".to_owned(),
            requested.join(", "),
        ));
    }
    Ok(response)
}

/// The `Access-Control-*` headers for an actual (non-preflight) request
/// with an `Origin`, whatever its outcome: a browser reads a 203 or an
/// error only through them.
// spec: CB-EMU-CORS
pub fn actual_request_headers(
    service: &Service,
    headers: &[(String, String)],
    method: &str,
    bucket: &str,
) -> Vec<(String, String)> {
    let Some(origin) = headers.header("origin") else {
        return Vec::new();
    };
    let Ok(config) = service.store.bucket_config(bucket) else {
        return Vec::new();
    };
    let Some(cors) = &config.cors else {
        return Vec::new();
    };
    match find_rule(cors, origin, method, &[]) {
        Some(rule) => rule_headers(rule, origin, cors.response_vary),
        None => Vec::new(),
    }
}

/// PutBucketCors: replaces the rules.
pub async fn put_bucket_cors(
    service: &Service,
    request: &OssRequest,
    bucket: &str,
) -> Result<OssResponse, OssError> {
    let cors = parse_configuration(&request.body)?;
    service
        .modify_bucket_config(bucket, move |config| {
            config.cors = Some(cors);
            Ok(())
        })
        .await?;
    Ok(OssResponse::empty(200))
}

/// 404 NoSuchCORSConfiguration.
fn no_configuration() -> OssError {
    OssError::new(
        404,
        "NoSuchCORSConfiguration",
        "The CORS Configuration does not exist.",
    )
}

/// GetBucketCors.
pub fn get_bucket_cors(service: &Service, bucket: &str) -> Result<OssResponse, OssError> {
    let cors = service
        .store
        .bucket_config(bucket)?
        .cors
        .ok_or_else(no_configuration)?;
    let doc = CorsDocument {
        rules: cors
            .rules
            .into_iter()
            .map(|r| CorsRuleDocument {
                allowed_origins: r.allowed_origins,
                allowed_methods: r.allowed_methods,
                allowed_headers: r.allowed_headers,
                expose_headers: r.expose_headers,
                max_age_seconds: r.max_age_seconds,
            })
            .collect(),
        response_vary: Some(cors.response_vary),
    };
    Ok(OssResponse::xml(
        200,
        xml::to_xml("CORSConfiguration", &doc),
    ))
}

/// DeleteBucketCors.
pub async fn delete_bucket_cors(service: &Service, bucket: &str) -> Result<OssResponse, OssError> {
    service
        .modify_bucket_config(bucket, |config| {
            config.cors = None;
            Ok(())
        })
        .await?;
    Ok(OssResponse::empty(204))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(xml: &str) -> CorsConfiguration {
        parse_configuration(xml.as_bytes()).unwrap()
    }

    const RULES: &str = "<CORSConfiguration><CORSRule><AllowedOrigin>http://*.example.test</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-oss-*</AllowedHeader><AllowedHeader>Content-Type</AllowedHeader><ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-oss-request-id</ExposeHeader><MaxAgeSeconds>100</MaxAgeSeconds></CORSRule><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule><ResponseVary>true</ResponseVary></CORSConfiguration>";

    #[test]
    fn rules_match_origin_method_and_headers() {
        let cors = config(RULES);
        assert!(cors.response_vary);
        let headers = |h: &[&str]| h.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let first = &cors.rules[0];
        assert_eq!(
            find_rule(
                &cors,
                "http://app.example.test",
                "PUT",
                &headers(&["X-OSS-Callback", "content-type"])
            ),
            Some(first)
        );
        // Not an allowed header, another origin, another method.
        assert_eq!(
            find_rule(
                &cors,
                "http://app.example.test",
                "PUT",
                &headers(&["authorization"])
            ),
            None
        );
        assert_eq!(find_rule(&cors, "http://example.test", "PUT", &[]), None);
        assert_eq!(
            find_rule(&cors, "http://evil.test", "GET", &[]),
            Some(&cors.rules[1])
        );
        assert_eq!(find_rule(&cors, "http://evil.test", "DELETE", &[]), None);
        assert_eq!(
            rule_headers(first, "http://app.example.test", true),
            vec![
                (
                    "Access-Control-Allow-Origin".to_owned(),
                    "http://app.example.test".to_owned()
                ),
                (
                    "Access-Control-Allow-Methods".to_owned(),
                    "PUT, GET".to_owned()
                ),
                (
                    "Access-Control-Expose-Headers".to_owned(),
                    "ETag, x-oss-request-id".to_owned()
                ),
                ("Access-Control-Max-Age".to_owned(), "100".to_owned()),
                ("Vary".to_owned(), "Origin".to_owned()),
            ]
        );
    }

    #[test]
    fn bad_configurations_are_refused() {
        let bad = [
            "<CORSConfiguration></CORSConfiguration>",
            "<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
            "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>",
            "<CORSConfiguration><CORSRule><AllowedOrigin>*.*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
            "<CORSConfiguration><CORSRule>",
            "<Other><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></Other>",
        ];
        for xml in bad {
            let error = parse_configuration(xml.as_bytes()).unwrap_err();
            assert_eq!(error.status, 400, "{xml}");
            assert!(!error.message.contains("quick"), "{}", error.message);
        }
        let eleven = format!(
            "<CORSConfiguration>{}</CORSConfiguration>",
            "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>".repeat(11)
        );
        assert_eq!(
            parse_configuration(eleven.as_bytes()).unwrap_err().code,
            "InvalidArgument"
        );
    }
}
