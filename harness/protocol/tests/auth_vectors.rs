//! Known-answer tests for OSS request authentication.
//!
//! Every input and expected value below is a published test vector of an
//! official SDK, cited above its test with repository, commit and file. The
//! SDKs compute them with their own signers; nothing here is produced by the
//! code under test. Each vector is checked both ways: our signer must produce
//! the published signature, and our verifier must accept the published
//! signature (and reject it once one input changes).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cbspec_protocol::auth::{
    v1, v4, verify_signature, AuthError, AuthScheme, Credentials, SignableRequest,
};

fn at(unix_seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(unix_seconds)
}

/// The SDK tests sign with access key `ak` / secret `sk`.
fn sdk_credentials() -> Credentials {
    Credentials::new("ak", "sk")
}

fn sdk_secrets(access_key_id: &str) -> Option<String> {
    (access_key_id == "ak").then(|| "sk".to_owned())
}

/// Wed, 28 Dec 2022 10:27:41 GMT, the date of the V1 header vectors.
const V1_DATE: &str = "Wed, 28 Dec 2022 10:27:41 GMT";

fn v1_put_nelson() -> SignableRequest {
    SignableRequest::new("PUT", Some("examplebucket"), Some("nelson"))
        .with_header("Content-MD5", "eB5eJF1ptWaXm4bijSPyxw==")
        .with_header("Content-Type", "text/html")
        .with_header("x-oss-meta-author", "alice")
        .with_header("x-oss-meta-magic", "abracadabra")
        .with_header("x-oss-date", V1_DATE)
}

fn sign_v1(mut request: SignableRequest) -> (SignableRequest, String) {
    let now = httpdate::parse_http_date(V1_DATE).unwrap();
    let authorization = v1::sign_header(&mut request, &sdk_credentials(), now);
    (request, authorization)
}

// Source: aliyun/alibabacloud-oss-go-sdk-v2 @ b3226d1b080a191be6e724f757316b3b28f1179d,
// oss/signer/signer_test.go, TestV1AuthHeader case 1 (same vector in
// aliyun/alibabacloud-oss-python-sdk-v2 tests/unit/signer/test_v1.py test_auth_header_1).
// The request carries only x-oss-date, as ali-oss sends it (CB-AUTH-V1-DATE).
#[test]
fn v1_header_put_object() {
    let request = v1_put_nelson();
    assert_eq!(
        v1::string_to_sign(&request, V1_DATE),
        "PUT\neB5eJF1ptWaXm4bijSPyxw==\ntext/html\nWed, 28 Dec 2022 10:27:41 GMT\nx-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\nx-oss-meta-author:alice\nx-oss-meta-magic:abracadabra\n/examplebucket/nelson"
    );
    let (signed, authorization) = sign_v1(request);
    assert_eq!(authorization, "OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M=");
    assert_eq!(
        signed.header("date"),
        None,
        "x-oss-date alone fills the date slot"
    );
    assert_eq!(v1::verify_header(&signed, sdk_secrets), Ok("ak".to_owned()));
}

// Source: aliyun/alibabacloud-oss-go-sdk-v2 @ b3226d1b, oss/signer/signer_test.go,
// TestV1AuthHeader case 2 (sub-resource `acl`).
#[test]
fn v1_header_with_sub_resource() {
    let request = v1_put_nelson().with_query("acl", None);
    assert!(v1::string_to_sign(&request, V1_DATE).ends_with("\n/examplebucket/nelson?acl"));
    let (signed, authorization) = sign_v1(request);
    assert_eq!(authorization, "OSS ak:/afkugFbmWDQ967j1vr6zygBLQk=");
    assert_eq!(v1::verify_header(&signed, sdk_secrets), Ok("ak".to_owned()));
}

// Source: aliyun/alibabacloud-oss-go-sdk-v2 @ b3226d1b, oss/signer/signer_test.go,
// TestV1AuthHeader case 3: a parameter that is not a sub-resource is not signed.
#[test]
fn v1_header_ignores_plain_query_parameters() {
    let request = SignableRequest::new("GET", Some("examplebucket"), None)
        .with_query("resourceGroup", None)
        .with_query("non-resousce", Some("null"))
        .with_header("x-oss-date", V1_DATE);
    assert_eq!(
        v1::string_to_sign(&request, V1_DATE),
        "GET\n\n\nWed, 28 Dec 2022 10:27:41 GMT\nx-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\n/examplebucket/?resourceGroup"
    );
    let (_, authorization) = sign_v1(request);
    assert_eq!(authorization, "OSS ak:vkQmfuUDyi1uDi3bKt67oemssIs=");
}

// Source: aliyun/alibabacloud-oss-go-sdk-v2 @ b3226d1b, oss/signer/signer_test.go,
// TestV1AuthHeader case 4: sub-resources are sorted.
#[test]
fn v1_header_sorts_sub_resources() {
    let request = SignableRequest::new("GET", Some("examplebucket"), None)
        .with_query("resourceGroup", None)
        .with_query("acl", None)
        .with_header("x-oss-date", V1_DATE);
    assert!(v1::string_to_sign(&request, V1_DATE).ends_with("\n/examplebucket/?acl&resourceGroup"));
    let (signed, authorization) = sign_v1(request);
    assert_eq!(authorization, "OSS ak:x3E5TgOvl/i7PN618s5mEvpJDYk=");
    assert_eq!(v1::verify_header(&signed, sdk_secrets), Ok("ak".to_owned()));
}

fn presigned_signature(query: &[(String, String)]) -> &str {
    query
        .iter()
        .find(|(name, _)| name == "Signature" || name == "x-oss-signature")
        .map(|(_, value)| value.as_str())
        .expect("a signature parameter")
}

fn with_presign(mut request: SignableRequest, added: &[(String, String)]) -> SignableRequest {
    request.query.extend(
        added
            .iter()
            .map(|(name, value)| (name.clone(), Some(value.clone()))),
    );
    request
}

// Source: aliyun/alibabacloud-oss-go-sdk-v2 @ b3226d1b, oss/signer/signer_test.go,
// TestV1AuthQuery case 1: signed URL
// `...?Expires=1699807420&OSSAccessKeyId=ak&Signature=dcLTea%2BYh9ApirQ8o8dOPqtvJXQ%3D&versionId=versionId`.
#[test]
fn v1_presigned_get_with_version_id() {
    let request = SignableRequest::new("GET", Some("bucket"), Some("key"))
        .with_query("versionId", Some("versionId"));
    let added = v1::presign_query(&request, &sdk_credentials(), at(1_699_807_420));
    assert_eq!(
        added,
        [
            ("OSSAccessKeyId".to_owned(), "ak".to_owned()),
            ("Expires".to_owned(), "1699807420".to_owned()),
            (
                "Signature".to_owned(),
                "dcLTea+Yh9ApirQ8o8dOPqtvJXQ=".to_owned()
            ),
        ]
    );
    let presigned = with_presign(request, &added);
    assert_eq!(
        v1::verify_presigned(&presigned, sdk_secrets, at(1_699_807_420)),
        Ok("ak".to_owned())
    );
}

// Source: aliyun/alibabacloud-oss-go-sdk-v2 @ b3226d1b, oss/signer/signer_test.go,
// TestV1AuthQuery case 2 (STS token as the `security-token` sub-resource,
// key `key+123`): Signature=jzKYRrM5y6Br0dRFPaTGOsbrDhY%3D.
#[test]
fn v1_presigned_with_security_token() {
    let request = SignableRequest::new("GET", Some("bucket"), Some("key+123"))
        .with_query("versionId", Some("versionId"))
        .with_query("security-token", Some("token"));
    let added = v1::presign_query(&request, &sdk_credentials(), at(1_699_808_204));
    assert_eq!(presigned_signature(&added), "jzKYRrM5y6Br0dRFPaTGOsbrDhY=");
}

// Source: aliyun/alibabacloud-oss-python-sdk-v2 @ ebe9a43fc6ca04df7382db3b1d86a8aa8f105549,
// tests/unit/signer/test_v1.py, test_auth_query_param_with_token: an x-oss-
// header is signed, other headers and plain parameters are not, and the
// decoded `response-content-disposition` value is signed.
// Signature=3GJoEOv5LX2ASp0HJk%2FhAk%2BqLJc%3D.
// The test appends its parameters with a second `?`
// (`key?versionId=versionId?param1=value1&...`), so the first parameter
// arrives as `versionId` = `versionId?param1=value1`; the inputs here are
// what that URL decodes to.
#[test]
fn v1_presigned_with_headers_and_decoded_sub_resource_value() {
    let request = SignableRequest::new("GET", Some("bucket"), Some("key"))
        .with_header("x-oss-head1", "value")
        .with_header("abc", "value")
        .with_header("ZAbc", "value")
        .with_header("XYZ", "value")
        .with_header("content-type", "application/octet-stream")
        .with_query("versionId", Some("versionId?param1=value1"))
        .with_query("+param1", Some("value3"))
        .with_query("|param1", Some("value4"))
        .with_query("+param2", Some(""))
        .with_query("|param2", Some(""))
        .with_query("param2", Some(""))
        .with_query(
            "response-content-disposition",
            Some("attachment; filename=example.txt"),
        )
        .with_query("security-token", Some("token"));
    let added = v1::presign_query(&request, &sdk_credentials(), at(1_699_808_204));
    assert_eq!(presigned_signature(&added), "3GJoEOv5LX2ASp0HJk/hAk+qLJc=");
    let presigned = with_presign(request, &added);
    assert_eq!(
        v1::verify_presigned(&presigned, sdk_secrets, at(1_699_808_000)),
        Ok("ak".to_owned())
    );
}

/// The request shared by the Go SDK v2 V4 vectors: key `1234+-/123/1.txt`,
/// default-signed and unsigned headers, and a query whose names need encoding.
fn v4_sdk_request(content_type: &str) -> SignableRequest {
    let mut request = SignableRequest::new("PUT", Some("bucket"), Some("1234+-/123/1.txt"))
        .with_header("x-oss-head1", "value")
        .with_header("abc", "value")
        .with_header("ZAbc", "value")
        .with_header("XYZ", "value")
        .with_header("content-type", content_type);
    for (name, value) in [
        ("param1", "value1"),
        ("+param1", "value3"),
        ("|param1", "value4"),
        ("+param2", ""),
        ("|param2", ""),
        ("param2", ""),
    ] {
        request = request.with_query(name, Some(value));
    }
    request
}

// Source: aliyun/alibabacloud-oss-go-sdk-v2 @ b3226d1b, oss/signer/signer_test.go,
// TestV4AuthHeader (same vector in alibabacloud-oss-python-sdk-v2
// tests/unit/signer/test_v4.py test_auth_header).
#[test]
fn v4_header_put_object() {
    let mut request = v4_sdk_request("text/plain");
    let authorization = v4::sign_header(
        &mut request,
        &sdk_credentials(),
        "cn-hangzhou",
        at(1_702_743_657),
        &[],
    );
    assert_eq!(
        authorization,
        "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe"
    );
    assert_eq!(request.header("x-oss-date"), Some("20231216T162057Z"));
    assert_eq!(
        v4::verify_header(&request, sdk_secrets),
        Ok("ak".to_owned())
    );
}

// Source: aliyun/alibabacloud-oss-go-sdk-v2 @ b3226d1b, oss/signer/signer_test.go,
// TestV4AuthHeaderToken (the STS token travels as the x-oss-security-token header).
#[test]
fn v4_header_with_security_token() {
    let mut request = v4_sdk_request("text/plain").with_header("x-oss-security-token", "token");
    let authorization = v4::sign_header(
        &mut request,
        &sdk_credentials(),
        "cn-hangzhou",
        at(1_702_784_856),
        &[],
    );
    assert!(authorization
        .ends_with(",Signature=b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea"));
}

// Source: aliyun/alibabacloud-oss-go-sdk-v2 @ b3226d1b, oss/signer/signer_test.go,
// TestV4AuthHeaderWithAdditionalHeaders, both cases: requested names are
// lower-cased and sorted; default-signed and absent names are dropped.
#[test]
fn v4_header_with_additional_headers() {
    let expected = "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=abc;zabc,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f";
    for wanted in [
        &["ZAbc", "abc"][..],
        &["x-oss-no-exist", "ZAbc", "x-oss-head1", "abc"][..],
    ] {
        let mut request = v4_sdk_request("text/plain");
        let authorization = v4::sign_header(
            &mut request,
            &sdk_credentials(),
            "cn-hangzhou",
            at(1_702_747_512),
            wanted,
        );
        assert_eq!(authorization, expected, "additional headers {wanted:?}");
        assert_eq!(
            v4::verify_header(&request, sdk_secrets),
            Ok("ak".to_owned())
        );
    }
}

// Source: aliyun/alibabacloud-oss-go-sdk-v2 @ b3226d1b, oss/signer/signer_test.go,
// TestV4AuthHeaderWithCloudBox: product `oss-cloudbox`, region `cb-123`,
// exercised through the canonical-request building blocks.
#[test]
fn v4_building_blocks_with_cloudbox_scope() {
    let request = v4_sdk_request("text/plain")
        .with_header("x-oss-content-sha256", "UNSIGNED-PAYLOAD")
        .with_header("x-oss-date", "20231216T162057Z");
    let scope = v4::Scope {
        date: "20231216".to_owned(),
        region: "cb-123".to_owned(),
        product: "oss-cloudbox".to_owned(),
    };
    let canonical = v4::canonical_request(&request, &[]);
    let string_to_sign = v4::string_to_sign("20231216T162057Z", &scope, &canonical);
    assert_eq!(
        v4::signature("sk", &scope, &string_to_sign),
        "94ce1f12c17d148ea681030275a94449d3357f5b5b21133996eec80af3e08a43"
    );
}

// Source: aliyun/alibabacloud-oss-go-sdk-v2 @ b3226d1b, oss/signer/signer_test.go,
// TestV4AuthQuery: signed at 1702781677, valid 599 s
// (also alibabacloud-oss-python-sdk-v2 tests/unit/signer/test_v4.py test_auth_query).
#[test]
fn v4_presigned_put() {
    let request = v4_sdk_request("application/octet-stream");
    let added = v4::presign_query(
        &request,
        &sdk_credentials(),
        "cn-hangzhou",
        at(1_702_781_677),
        Duration::from_secs(599),
        &[],
    );
    let value = |name: &str| {
        added
            .iter()
            .find(|(candidate, _)| candidate == name)
            .map(|(_, value)| value.as_str())
    };
    assert_eq!(value("x-oss-signature-version"), Some("OSS4-HMAC-SHA256"));
    assert_eq!(value("x-oss-expires"), Some("599"));
    assert_eq!(
        value("x-oss-credential"),
        Some("ak/20231217/cn-hangzhou/oss/aliyun_v4_request")
    );
    assert_eq!(value("x-oss-additional-headers"), None);
    assert_eq!(
        value("x-oss-signature"),
        Some("a39966c61718be0d5b14e668088b3fa07601033f6518ac7b523100014269c0fe")
    );
    let presigned = with_presign(request, &added);
    assert_eq!(
        v4::verify_presigned(&presigned, sdk_secrets, at(1_702_781_677 + 599)),
        Ok("ak".to_owned())
    );
    assert_eq!(
        v4::verify_presigned(&presigned, sdk_secrets, at(1_702_781_677 + 600)),
        Err(AuthError::access_denied("Request has expired."))
    );
}

// Source: aliyun/alibabacloud-oss-go-sdk-v2 @ b3226d1b, oss/signer/signer_test.go,
// TestV4AuthQueryToken: x-oss-date 20231217T035628Z, token as the
// x-oss-security-token query parameter.
#[test]
fn v4_presigned_with_security_token() {
    let request = v4_sdk_request("application/octet-stream")
        .with_query("x-oss-security-token", Some("token"));
    let added = v4::presign_query(
        &request,
        &sdk_credentials(),
        "cn-hangzhou",
        at(1_702_785_388),
        Duration::from_secs(599),
        &[],
    );
    assert!(added.contains(&("x-oss-date".to_owned(), "20231217T035628Z".to_owned())));
    assert_eq!(
        presigned_signature(&added),
        "3817ac9d206cd6dfc90f1c09c00be45005602e55898f26f5ddb06d7892e1f8b5"
    );
}

// Source: aliyun/alibabacloud-oss-go-sdk-v2 @ b3226d1b, oss/signer/signer_test.go,
// TestV4AuthQueryWithAdditionalHeaders, both cases: x-oss-additional-headers=abc;zabc.
#[test]
fn v4_presigned_with_additional_headers() {
    for wanted in [
        &["ZAbc", "abc"][..],
        &["x-oss-no-exist", "abc", "x-oss-head1", "ZAbc"][..],
    ] {
        let request = v4_sdk_request("application/octet-stream");
        let added = v4::presign_query(
            &request,
            &sdk_credentials(),
            "cn-hangzhou",
            at(1_702_783_809),
            Duration::from_secs(599),
            wanted,
        );
        assert!(added.contains(&("x-oss-date".to_owned(), "20231217T033009Z".to_owned())));
        assert!(added.contains(&("x-oss-additional-headers".to_owned(), "abc;zabc".to_owned())));
        assert_eq!(
            presigned_signature(&added),
            "6bd984bfe531afb6db1f7550983a741b103a8c58e5e14f83ea474c2322dfa2b7",
            "additional headers {wanted:?}"
        );
        let presigned = with_presign(request, &added);
        assert_eq!(
            verify_signature(&presigned, sdk_secrets, at(1_702_783_900))
                .map(|auth| auth.map(|a| a.scheme)),
            Ok(Some(AuthScheme::V4Presigned))
        );
    }
}

// The published V4 header signature, verified with oss2's `, Signature=`
// separator (toolchain.md §4: oss2 2.19.1 writes comma+space) instead of the
// SDK's `,Signature=`: both must verify (CB-AUTH-V4-SEPARATOR).
#[test]
fn v4_published_signature_verifies_with_either_separator() {
    let mut request = v4_sdk_request("text/plain")
        .with_header("x-oss-content-sha256", "UNSIGNED-PAYLOAD")
        .with_header("x-oss-date", "20231216T162057Z");
    let credential = "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request";
    let signature = "Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe";
    for separator in [",", ", "] {
        request.set_header(
            "Authorization",
            format!("{credential}{separator}{signature}"),
        );
        assert_eq!(
            v4::verify_header(&request, sdk_secrets),
            Ok("ak".to_owned()),
            "separator {separator:?}"
        );
    }
    request.set_header(
        "Authorization",
        format!("{credential},{}", signature.replace("e21d", "e21e")),
    );
    assert!(matches!(
        v4::verify_header(&request, sdk_secrets),
        Err(AuthError::SignatureDoesNotMatch { .. })
    ));
}
