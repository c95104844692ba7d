//! Round-trip and negative tests for OSS request authentication: what we sign
//! verifies, and any change to a signed input makes verification fail with
//! the OSS error a real endpoint would return.
//!
//! Expected error codes and messages are written out literally (OSS wording
//! where OSS documents it, see `protocol::auth::AuthError`).

use std::time::{Duration, SystemTime};

use crate::support::{at, credentials, now, secrets, wrong_secrets, CALLBACK, OTHER_CALLBACK};

use cbspec_protocol::auth::{v1, v4, verify_request, AuthError, AuthScheme, SignableRequest};

use crate::support::server;

fn put_with_callback() -> SignableRequest {
    SignableRequest::new("PUT", Some("examplebucket"), Some("dir/obj v1.txt"))
        .with_header("Content-Type", "text/plain")
        .with_header("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==")
        .with_header("x-oss-callback", CALLBACK)
        .with_header("x-oss-meta-owner", "alice")
}

fn assert_mismatch<T: std::fmt::Debug>(result: Result<T, AuthError>, what: &str) {
    match result {
        Err(error @ AuthError::SignatureDoesNotMatch { .. }) => {
            assert_eq!(error.code(), "SignatureDoesNotMatch", "{what}");
            assert_eq!(error.status(), 403, "{what}");
            assert!(error.string_to_sign().is_some(), "{what}");
        }
        other => panic!("{what}: expected SignatureDoesNotMatch, got {other:?}"),
    }
}

/// Replaces the first header with this name (case-insensitive) in place.
fn replace_header(request: &mut SignableRequest, name: &str, value: &str) {
    let slot = request
        .headers
        .iter_mut()
        .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
        .expect("header present");
    slot.1 = value.to_owned();
}

mod v1_header {
    use super::*;

    fn signed() -> SignableRequest {
        let mut request = put_with_callback();
        v1::sign_header(&mut request, &credentials(), now());
        request
    }

    #[test]
    fn signed_request_verifies_and_carries_a_date() {
        let request = signed();
        assert_eq!(
            request.header("date"),
            Some("Sun, 22 Nov 2026 05:38:01 GMT")
        );
        assert_eq!(
            v1::verify_header(&request, secrets),
            Ok("test-ak".to_owned())
        );
        assert_eq!(
            verify_request(&request, secrets, &server()).map(|auth| auth.map(|a| a.scheme)),
            Ok(Some(AuthScheme::V1Header))
        );
    }

    #[test]
    fn changed_method_fails() {
        let mut request = signed();
        request.method = "POST".to_owned();
        let result = v1::verify_header(&request, secrets);
        assert!(result
            .as_ref()
            .unwrap_err()
            .string_to_sign()
            .unwrap()
            .starts_with("POST\n"));
        assert_mismatch(result, "method");
    }

    #[test]
    fn changed_signed_headers_fail() {
        for (name, value) in [
            ("x-oss-callback", OTHER_CALLBACK),
            ("x-oss-meta-owner", "mallory"),
            ("Content-Type", "text/html"),
            ("Content-MD5", "XrY7u+Ae7tCTyyK7j1rNww=="),
            ("Date", "Sun, 22 Nov 2026 05:38:02 GMT"),
        ] {
            let mut request = signed();
            replace_header(&mut request, name, value);
            assert_mismatch(v1::verify_header(&request, secrets), name);
        }
    }

    #[test]
    fn added_oss_header_fails_but_other_headers_are_not_signed() {
        let request = signed().with_header("x-oss-callback-var", CALLBACK);
        assert_mismatch(
            v1::verify_header(&request, secrets),
            "added x-oss-callback-var",
        );
        let request = signed().with_header("User-Agent", "anything");
        assert_eq!(
            v1::verify_header(&request, secrets),
            Ok("test-ak".to_owned())
        );
    }

    #[test]
    fn callback_query_is_a_signed_sub_resource() {
        let mut request = SignableRequest::new("PUT", Some("examplebucket"), Some("k"))
            .with_query("callback", Some(CALLBACK));
        v1::sign_header(&mut request, &credentials(), now());
        assert_eq!(
            v1::verify_header(&request, secrets),
            Ok("test-ak".to_owned())
        );
        request.query[0].1 = Some(OTHER_CALLBACK.to_owned());
        assert_mismatch(v1::verify_header(&request, secrets), "callback query");
        let request = request.with_query("callback-var", Some(CALLBACK));
        assert_mismatch(v1::verify_header(&request, secrets), "callback-var query");
    }

    #[test]
    fn wrong_secret_fails_and_unknown_key_is_refused() {
        assert_mismatch(v1::verify_header(&signed(), wrong_secrets), "secret");
        let error = v1::verify_header(&signed(), |_| None).unwrap_err();
        assert_eq!(error.code(), "InvalidAccessKeyId");
        assert_eq!(error.status(), 403);
        assert_eq!(
            error.message(),
            "The OSS Access Key Id you provided does not exist in our records."
        );
    }

    // spec: CB-AUTH-V1-DATE — ali-oss sends x-oss-date and no Date.
    #[test]
    fn x_oss_date_alone_verifies_and_wins_over_date() {
        let mut request =
            put_with_callback().with_header("x-oss-date", "Sun, 22 Nov 2026 05:38:01 GMT");
        v1::sign_header(&mut request, &credentials(), now());
        assert_eq!(request.header("date"), None);
        assert_eq!(
            v1::verify_header(&request, secrets),
            Ok("test-ak".to_owned())
        );
        // A Date header added later does not displace x-oss-date in the slot.
        let with_date = request
            .clone()
            .with_header("Date", "Mon, 01 Jan 2024 00:00:00 GMT");
        assert_eq!(
            v1::verify_header(&with_date, secrets),
            Ok("test-ak".to_owned())
        );
        replace_header(&mut request, "x-oss-date", "Sun, 22 Nov 2026 05:38:02 GMT");
        assert_mismatch(v1::verify_header(&request, secrets), "x-oss-date");
    }

    #[test]
    fn malformed_or_dateless_requests_are_refused() {
        let mut request = signed();
        replace_header(&mut request, "Authorization", "OSS test-ak");
        let error = v1::verify_header(&request, secrets).unwrap_err();
        assert_eq!((error.code(), error.status()), ("InvalidArgument", 400));

        let mut request = signed();
        request.headers.retain(|(name, _)| name != "Date");
        let error = v1::verify_header(&request, secrets).unwrap_err();
        assert_eq!((error.code(), error.status()), ("AccessDenied", 403));
    }
}

mod v1_presign {
    use super::*;

    fn presigned(request: SignableRequest, expires: SystemTime) -> SignableRequest {
        let added = v1::presign_query(&request, &credentials(), expires);
        let mut request = request;
        request
            .query
            .extend(added.into_iter().map(|(name, value)| (name, Some(value))));
        request
    }

    fn put_with_callback_query() -> SignableRequest {
        SignableRequest::new("PUT", Some("examplebucket"), Some("k"))
            .with_header("Content-Type", "text/plain")
            .with_query("callback", Some(CALLBACK))
    }

    #[test]
    fn verifies_until_expiry_then_expires() {
        let expires = at(1_795_326_781);
        let request = presigned(put_with_callback_query(), expires);
        assert_eq!(
            v1::verify_presigned(&request, secrets, expires),
            Ok("test-ak".to_owned())
        );
        assert_eq!(
            verify_request(&request, secrets, &server()).map(|auth| auth.map(|a| a.scheme)),
            Ok(Some(AuthScheme::V1Presigned))
        );
        let error = v1::verify_presigned(&request, secrets, at(1_795_326_782)).unwrap_err();
        assert_eq!(error, AuthError::access_denied("Request has expired."));
        assert_eq!((error.code(), error.status()), ("AccessDenied", 403));
    }

    #[test]
    fn changed_inputs_fail() {
        let expires = at(1_795_326_781);
        let base = presigned(put_with_callback_query(), expires);

        let mut request = base.clone();
        request.query[0].1 = Some(OTHER_CALLBACK.to_owned());
        assert_mismatch(v1::verify_presigned(&request, secrets, now()), "callback");

        let mut request = base.clone();
        request.method = "GET".to_owned();
        assert_mismatch(v1::verify_presigned(&request, secrets, now()), "method");

        let mut request = base.clone();
        let expires_slot = request
            .query
            .iter_mut()
            .find(|(n, _)| n == "Expires")
            .unwrap();
        expires_slot.1 = Some("1795326782".to_owned());
        assert_mismatch(v1::verify_presigned(&request, secrets, now()), "Expires");

        assert_mismatch(v1::verify_presigned(&base, wrong_secrets, now()), "secret");
    }

    #[test]
    fn missing_parameters_are_invalid_arguments() {
        let mut request = presigned(put_with_callback_query(), at(1_795_326_781));
        request.query.retain(|(name, _)| name != "Signature");
        let error = v1::verify_presigned(&request, secrets, now()).unwrap_err();
        assert_eq!((error.code(), error.status()), ("InvalidArgument", 400));
    }
}

mod v4_header {
    use super::*;

    fn signed(additional: &[&str]) -> SignableRequest {
        let mut request =
            put_with_callback().with_header("Host", "examplebucket.oss-cn-hangzhou.aliyuncs.com");
        v4::sign_header(
            &mut request,
            &credentials(),
            "cn-hangzhou",
            now(),
            additional,
        );
        request
    }

    #[test]
    fn signed_request_verifies() {
        let request = signed(&[]);
        assert_eq!(request.header("x-oss-date"), Some("20261122T053801Z"));
        assert_eq!(
            request.header("x-oss-content-sha256"),
            Some("UNSIGNED-PAYLOAD")
        );
        assert!(request.header("authorization").unwrap().starts_with(
            "OSS4-HMAC-SHA256 Credential=test-ak/20261122/cn-hangzhou/oss/aliyun_v4_request,Signature="
        ));
        assert_eq!(
            v4::verify_header(&request, secrets),
            Ok("test-ak".to_owned())
        );
        assert_eq!(
            verify_request(&request, secrets, &server()).map(|auth| auth.map(|a| a.scheme)),
            Ok(Some(AuthScheme::V4Header))
        );
    }

    // spec: CB-AUTH-V4-SEPARATOR — oss2 writes `, Signature=`, the v2 SDKs `,Signature=`.
    #[test]
    fn both_separators_verify() {
        for additional in [&[][..], &["host"][..]] {
            let request = signed(additional);
            let authorization = request.header("authorization").unwrap().to_owned();
            let spaced = authorization
                .replace(",Signature=", ", Signature=")
                .replace(",AdditionalHeaders=", ", AdditionalHeaders=");
            assert_ne!(spaced, authorization);
            let mut respaced = request.clone();
            respaced.set_header("Authorization", spaced);
            assert_eq!(
                v4::verify_header(&respaced, secrets),
                Ok("test-ak".to_owned())
            );
        }
    }

    #[test]
    fn changed_signed_inputs_fail() {
        let mut request = signed(&[]);
        request.method = "POST".to_owned();
        assert_mismatch(v4::verify_header(&request, secrets), "method");

        for (name, value) in [
            ("x-oss-callback", OTHER_CALLBACK),
            ("x-oss-meta-owner", "mallory"),
            ("Content-Type", "text/html"),
            ("Content-MD5", "XrY7u+Ae7tCTyyK7j1rNww=="),
            ("x-oss-date", "20261122T053802Z"),
        ] {
            let mut request = signed(&[]);
            replace_header(&mut request, name, value);
            assert_mismatch(v4::verify_header(&request, secrets), name);
        }

        let request = signed(&[]).with_query("callback", Some(CALLBACK));
        assert_mismatch(v4::verify_header(&request, secrets), "added callback query");

        let mut request = signed(&[]);
        request.key = Some("dir/obj v2.txt".to_owned());
        assert_mismatch(v4::verify_header(&request, secrets), "key");

        assert_mismatch(v4::verify_header(&signed(&[]), wrong_secrets), "secret");
    }

    #[test]
    fn additional_headers_are_signed_only_when_declared() {
        let mut request = signed(&["host"]);
        assert!(request
            .header("authorization")
            .unwrap()
            .contains(",AdditionalHeaders=host,"));
        replace_header(&mut request, "Host", "other.example");
        assert_mismatch(v4::verify_header(&request, secrets), "declared host");

        let mut request = signed(&[]);
        replace_header(&mut request, "Host", "other.example");
        assert_eq!(
            v4::verify_header(&request, secrets),
            Ok("test-ak".to_owned())
        );
    }

    #[test]
    fn malformed_requests_are_refused_with_oss_codes() {
        let mut request = signed(&[]);
        request.headers.retain(|(name, _)| name != "x-oss-date");
        let error = v4::verify_header(&request, secrets).unwrap_err();
        assert_eq!(
            (error.code(), error.status()),
            ("MissingSecurityHeader", 400)
        );

        // OSS EC 0002-00000214: the payload hash must be UNSIGNED-PAYLOAD.
        let mut request = signed(&[]);
        replace_header(
            &mut request,
            "x-oss-content-sha256",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        );
        assert_eq!(
            v4::verify_header(&request, secrets).unwrap_err().code(),
            "InvalidArgument"
        );

        // OSS EC 0002-00000209: AdditionalHeaders present but empty.
        let mut request = signed(&[]);
        let authorization = request
            .header("authorization")
            .unwrap()
            .replace(",Signature=", ",AdditionalHeaders=,Signature=");
        request.set_header("Authorization", authorization);
        assert_eq!(
            v4::verify_header(&request, secrets).unwrap_err().code(),
            "InvalidArgument"
        );

        for bad in [
            "OSS4-HMAC-SHA256 Signature=00",
            "OSS4-HMAC-SHA256 Credential=test-ak/20261122/cn-hangzhou/oss/aliyun_v4_request",
            "OSS4-HMAC-SHA256 Credential=test-ak/2026112/cn-hangzhou/oss/aliyun_v4_request,Signature=00",
            "OSS4-HMAC-SHA256 Credential=test-ak/20261122/cn-hangzhou/oss/aws4_request,Signature=00",
            "OSS4-HMAC-SHA256Credential=test-ak/20261122/cn-hangzhou/oss/aliyun_v4_request,Signature=00",
        ] {
            let mut request = signed(&[]);
            request.set_header("Authorization", bad);
            let error = v4::verify_header(&request, secrets).unwrap_err();
            assert_eq!((error.code(), error.status()), ("InvalidArgument", 400), "{bad}");
        }

        // The credential's day must be x-oss-date's day.
        let mut request = signed(&[]);
        let authorization = request
            .header("authorization")
            .unwrap()
            .replace("/20261122/", "/20261121/");
        request.set_header("Authorization", authorization);
        assert_eq!(
            v4::verify_header(&request, secrets).unwrap_err().code(),
            "InvalidArgument"
        );
    }
}

mod v4_presign {
    use super::*;

    fn presigned(request: SignableRequest, additional: &[&str]) -> SignableRequest {
        let added = v4::presign_query(
            &request,
            &credentials(),
            "cn-hangzhou",
            now(),
            Duration::from_secs(900),
            additional,
        );
        let mut request = request;
        request
            .query
            .extend(added.into_iter().map(|(name, value)| (name, Some(value))));
        request
    }

    fn put_with_callback_query() -> SignableRequest {
        SignableRequest::new("PUT", Some("examplebucket"), Some("dir/ä.txt"))
            .with_header("Content-Type", "text/plain")
            .with_header("Host", "examplebucket.oss-cn-hangzhou.aliyuncs.com")
            .with_query("callback", Some(CALLBACK))
            .with_query("callback-var", Some(CALLBACK))
    }

    #[test]
    fn verifies_until_expiry_then_expires() {
        let request = presigned(put_with_callback_query(), &["host"]);
        assert_eq!(
            v4::verify_presigned(&request, secrets, at(1_795_325_881 + 900)),
            Ok("test-ak".to_owned())
        );
        let error = v4::verify_presigned(&request, secrets, at(1_795_325_881 + 901)).unwrap_err();
        assert_eq!(error, AuthError::access_denied("Request has expired."));
        assert_eq!(error.status(), 403);
    }

    #[test]
    fn changed_inputs_fail() {
        let base = presigned(put_with_callback_query(), &["host"]);

        let mut request = base.clone();
        request.query[0].1 = Some(OTHER_CALLBACK.to_owned());
        assert_mismatch(v4::verify_presigned(&request, secrets, now()), "callback");

        let mut request = base.clone();
        request.query.retain(|(name, _)| name != "callback-var");
        assert_mismatch(
            v4::verify_presigned(&request, secrets, now()),
            "removed callback-var",
        );

        let mut request = base.clone();
        replace_header(&mut request, "Host", "other.example");
        assert_mismatch(v4::verify_presigned(&request, secrets, now()), "host");

        let mut request = base.clone();
        let expires = request
            .query
            .iter_mut()
            .find(|(n, _)| n == "x-oss-expires")
            .unwrap();
        expires.1 = Some("86400".to_owned());
        assert_mismatch(
            v4::verify_presigned(&request, secrets, now()),
            "x-oss-expires",
        );

        let mut request = base.clone();
        request.method = "GET".to_owned();
        assert_mismatch(v4::verify_presigned(&request, secrets, now()), "method");

        assert_mismatch(v4::verify_presigned(&base, wrong_secrets, now()), "secret");
    }

    #[test]
    fn missing_signature_is_an_invalid_argument() {
        // OSS EC 0002-00000219.
        let mut request = presigned(put_with_callback_query(), &[]);
        request.query.retain(|(name, _)| name != "x-oss-signature");
        let error = v4::verify_presigned(&request, secrets, now()).unwrap_err();
        assert_eq!((error.code(), error.status()), ("InvalidArgument", 400));
    }
}

#[test]
fn unsigned_requests_are_anonymous_and_unknown_schemes_invalid() {
    let request = put_with_callback();
    assert_eq!(verify_request(&request, secrets, &server()), Ok(None));
    let request = put_with_callback().with_header("Authorization", "Bearer abc");
    let error = verify_request(&request, secrets, &server()).unwrap_err();
    assert_eq!((error.code(), error.status()), ("InvalidArgument", 400));
}

/// What OSS checks around a valid signature: the request time within 15
/// minutes of its clock, and a V4 scope for its own region and product, and
/// a V4 presigned URL valid for at most 7 days. Each refusal is OSS's code,
/// status and EC.
mod server_view {
    use super::*;

    fn minutes(n: u64) -> Duration {
        Duration::from_secs(n * 60)
    }

    fn v1_signed_at(time: SystemTime) -> SignableRequest {
        let mut request = put_with_callback();
        v1::sign_header(&mut request, &credentials(), time);
        request
    }

    fn v4_signed(region: &str, time: SystemTime) -> SignableRequest {
        let mut request =
            put_with_callback().with_header("Host", "examplebucket.oss-cn-hangzhou.aliyuncs.com");
        v4::sign_header(&mut request, &credentials(), region, time, &[]);
        request
    }

    fn skewed(result: Result<Option<cbspec_protocol::auth::Authenticated>, AuthError>) {
        let error = result.unwrap_err();
        assert!(
            matches!(error, AuthError::RequestTimeTooSkewed { .. }),
            "{error:?}"
        );
        assert_eq!(
            (error.status(), error.code(), error.ec()),
            (403, "RequestTimeTooSkewed", Some("0002-00000504"))
        );
        assert_eq!(
            error.message(),
            "The difference between the request time and the current time is too large."
        );
        let extra = error.extra_elements();
        assert!(extra.contains(&("MaxAllowedSkewMilliseconds".to_owned(), "900000".to_owned())));
        assert!(extra.iter().any(|(name, _)| name == "RequestTime"));
    }

    // spec: CB-AUTH-CLOCK-SKEW
    #[test]
    fn a_v1_date_more_than_15_minutes_off_is_too_skewed() {
        let ok = |time| verify_request(&v1_signed_at(time), secrets, &server());
        assert!(ok(now() - minutes(14)).unwrap().is_some());
        assert!(ok(now() + minutes(14)).unwrap().is_some());
        skewed(ok(now() - minutes(16)));
        skewed(ok(now() - Duration::from_secs(86_400)));
        skewed(ok(now() + Duration::from_secs(365 * 86_400)));
        // The signature alone still verifies: the clock is the server's check.
        assert!(v1::verify_header(&v1_signed_at(now() - minutes(16)), secrets).is_ok());
    }

    // spec: CB-AUTH-CLOCK-SKEW
    #[test]
    fn an_x_oss_date_that_is_not_a_date_is_refused() {
        let mut request = put_with_callback().with_header("x-oss-date", "yesterday");
        v1::sign_header(&mut request, &credentials(), now());
        let error = verify_request(&request, secrets, &server()).unwrap_err();
        assert_eq!((error.status(), error.code()), (403, "AccessDenied"));
    }

    // spec: CB-AUTH-CLOCK-SKEW
    #[test]
    fn a_v4_x_oss_date_more_than_15_minutes_off_is_too_skewed() {
        let check = |time| verify_request(&v4_signed("cn-hangzhou", time), secrets, &server());
        assert!(check(now() - minutes(10)).unwrap().is_some());
        skewed(check(now() - Duration::from_secs(86_400)));
        skewed(check(now() + minutes(20)));
    }

    // spec: CB-AUTH-V4-SCOPE
    #[test]
    fn a_v4_signature_for_another_region_or_product_is_refused() {
        let error = verify_request(&v4_signed("us-west-1", now()), secrets, &server()).unwrap_err();
        assert!(
            matches!(error, AuthError::WrongRegion { ref region, .. } if region == "us-west-1")
        );
        assert_eq!(
            (error.status(), error.code(), error.ec()),
            (400, "InvalidArgument", Some("0002-00000228"))
        );
        // Another product: rewrite the scope, as a client signing for S3 would.
        let mut s3 = v4_signed("cn-hangzhou", now());
        let authorization = s3
            .header("authorization")
            .unwrap()
            .replace("/oss/aliyun_v4_request", "/s3/aliyun_v4_request");
        s3.set_header("Authorization", authorization);
        let error = verify_request(&s3, secrets, &server()).unwrap_err();
        assert_eq!(error.code(), "InvalidArgument");
        assert!(error.message().contains("oss/aliyun_v4_request"), "{error}");
    }

    fn v4_presigned(region: &str, expires_in: u64) -> SignableRequest {
        let request = SignableRequest::new("GET", Some("examplebucket"), Some("a.txt"))
            .with_header("Host", "examplebucket.oss-cn-hangzhou.aliyuncs.com");
        let added = v4::presign_query(
            &request,
            &credentials(),
            region,
            now(),
            Duration::from_secs(expires_in),
            &[],
        );
        let mut request = request;
        request
            .query
            .extend(added.into_iter().map(|(name, value)| (name, Some(value))));
        request
    }

    // spec: CB-AUTH-V4-SCOPE, CB-AUTH-V4-PRESIGN-EXPIRES
    #[test]
    fn a_v4_presigned_url_for_another_region_or_over_7_days_is_refused() {
        assert!(
            verify_request(&v4_presigned("cn-hangzhou", 604_800), secrets, &server())
                .unwrap()
                .is_some()
        );
        let error =
            verify_request(&v4_presigned("cn-hangzhou", 604_801), secrets, &server()).unwrap_err();
        assert_eq!(
            (error.status(), error.code(), error.ec()),
            (400, "InvalidArgument", Some("0002-00000232"))
        );
        let ten_years = 10 * 365 * 86_400;
        let error = verify_request(&v4_presigned("cn-hangzhou", ten_years), secrets, &server())
            .unwrap_err();
        assert!(
            matches!(error, AuthError::ExpiresOutOfRange { .. }),
            "{error:?}"
        );
        let error =
            verify_request(&v4_presigned("cn-hangzhou", 0), secrets, &server()).unwrap_err();
        assert!(
            matches!(error, AuthError::ExpiresOutOfRange { expires: 0 }),
            "{error:?}"
        );
        let error =
            verify_request(&v4_presigned("us-west-1", 900), secrets, &server()).unwrap_err();
        assert_eq!(error.ec(), Some("0002-00000226"));
    }
}
