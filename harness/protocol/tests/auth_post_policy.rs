//! PostObject policy tests: each condition passes and fails, expiry, the
//! callback pin, and V1 / V4 policy signatures round-tripped and tampered.
//!
//! No official SDK publishes a fixed POST-policy signature vector (ali-oss's
//! `calculatePostSignature` / `signPostObjectPolicyV4` tests run against live
//! OSS with the current date), so signatures are checked by round trip and
//! by the V4 signing key, which the header vectors in `auth_vectors.rs` pin.

use crate::support::{at, credentials, now, secrets, CALLBACK, OTHER_CALLBACK};

use cbspec_protocol::auth::post_policy::{
    encode_policy, sign_v1, sign_v4, verify_post, Condition, PostForm, PostPolicy,
};
use cbspec_protocol::auth::AuthError;

// The policies below expire 2026-11-22T06:00:00Z (Unix 1795327200), after
// `support::now()`.

fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

fn policy(conditions: &str) -> PostPolicy {
    PostPolicy::parse(
        format!(r#"{{"expiration": "2026-11-22T06:00:00.000Z", "conditions": [{conditions}]}}"#)
            .as_bytes(),
    )
    .expect("test policy parses")
}

fn check(policy: &PostPolicy, form_fields: &[(&str, &str)], size: u64) -> Result<(), AuthError> {
    let form_fields = fields(form_fields);
    policy.check(
        &PostForm {
            bucket: "examplebucket",
            fields: &form_fields,
            file_size: size,
        },
        now(),
    )
}

fn failed(message: &str) -> Result<(), AuthError> {
    Err(AuthError::access_denied(message))
}

#[test]
fn parses_every_condition_form() {
    let parsed = policy(
        r#"{"bucket": "examplebucket"}, ["eq", "$key", "a.txt"], ["starts-with", "$key", "user/"],
           ["in", "$content-type", ["image/jpg", "text/plain"]], ["not-in", "$cache-control", ["no-cache"]],
           ["content-length-range", 1, 10]"#,
    );
    assert_eq!(parsed.expiration, at(1_795_327_200));
    assert_eq!(
        parsed.conditions,
        vec![
            Condition::Eq {
                field: "bucket".into(),
                value: "examplebucket".into()
            },
            Condition::Eq {
                field: "key".into(),
                value: "a.txt".into()
            },
            Condition::StartsWith {
                field: "key".into(),
                prefix: "user/".into()
            },
            Condition::In {
                field: "content-type".into(),
                values: vec!["image/jpg".into(), "text/plain".into()]
            },
            Condition::NotIn {
                field: "cache-control".into(),
                values: vec!["no-cache".into()]
            },
            Condition::ContentLengthRange { min: 1, max: 10 },
        ]
    );
}

#[test]
fn bucket_condition_compares_with_the_addressed_bucket() {
    assert_eq!(
        check(&policy(r#"{"bucket": "examplebucket"}"#), &[], 1),
        Ok(())
    );
    assert_eq!(
        check(&policy(r#"{"bucket": "otherbucket"}"#), &[], 1),
        failed(
            r#"Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "otherbucket"]"#
        )
    );
}

#[test]
fn eq_condition() {
    let eq = policy(r#"["eq", "$success_action_status", "200"]"#);
    assert_eq!(check(&eq, &[("success_action_status", "200")], 1), Ok(()));
    assert_eq!(
        check(&eq, &[("success_action_status", "201")], 1),
        failed(
            r#"Invalid according to Policy: Policy Condition failed: ["eq", "$success_action_status", "200"]"#
        )
    );
    assert!(check(&eq, &[], 1).is_err(), "a missing field is not equal");
}

#[test]
fn starts_with_condition() {
    let starts = policy(r#"["starts-with", "$key", "user/eric/"]"#);
    assert_eq!(check(&starts, &[("key", "user/eric/a.txt")], 1), Ok(()));
    assert_eq!(
        check(&starts, &[("key", "user/bob/a.txt")], 1),
        failed(
            r#"Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "user/eric/"]"#
        )
    );
    let anything = policy(r#"["starts-with", "$key", ""]"#);
    assert_eq!(check(&anything, &[("key", "x")], 1), Ok(()));
}

#[test]
fn in_and_not_in_conditions() {
    let allowed = policy(r#"["in", "$content-type", ["image/jpg", "text/plain"]]"#);
    assert_eq!(
        check(&allowed, &[("content-type", "text/plain")], 1),
        Ok(())
    );
    assert_eq!(
        check(&allowed, &[("content-type", "text/html")], 1),
        failed(
            r#"Invalid according to Policy: Policy Condition failed: ["in", "$content-type", ["image/jpg", "text/plain"]]"#
        )
    );
    let forbidden = policy(r#"["not-in", "$cache-control", ["no-cache"]]"#);
    assert_eq!(
        check(&forbidden, &[("cache-control", "max-age=30")], 1),
        Ok(())
    );
    assert_eq!(
        check(&forbidden, &[("cache-control", "no-cache")], 1),
        failed(
            r#"Invalid according to Policy: Policy Condition failed: ["not-in", "$cache-control", ["no-cache"]]"#
        )
    );
}

// ali-oss live test signPostObjectPolicyV4(): form field `Content-Type`
// satisfies `$content-type`, `Cache-Control` satisfies `$cache-control`.
#[test]
fn field_names_compare_case_insensitively_values_exactly() {
    let conditions = policy(
        r#"["in", "$content-type", ["text/plain"]], ["not-in", "$cache-control", ["no-cache"]]"#,
    );
    assert_eq!(
        check(
            &conditions,
            &[
                ("Content-Type", "text/plain"),
                ("Cache-Control", "max-age=30")
            ],
            1
        ),
        Ok(())
    );
    assert!(check(&conditions, &[("Content-Type", "Text/Plain")], 1).is_err());
    assert!(check(
        &conditions,
        &[
            ("Content-Type", "text/plain"),
            ("Cache-Control", "no-cache")
        ],
        1
    )
    .is_err());
}

#[test]
fn content_length_range_is_inclusive() {
    let range = policy(r#"["content-length-range", 1, 10]"#);
    assert_eq!(check(&range, &[], 1), Ok(()));
    assert_eq!(check(&range, &[], 10), Ok(()));
    let too_large = check(&range, &[], 11).unwrap_err();
    assert_eq!(
        (too_large.code(), too_large.status()),
        ("EntityTooLarge", 400)
    );
    let too_small = check(&range, &[], 0).unwrap_err();
    assert_eq!(
        (too_small.code(), too_small.status()),
        ("EntityTooSmall", 400)
    );
}

#[test]
fn expired_policy_is_refused_with_the_documented_message() {
    let open = policy("");
    let form = fields(&[]);
    let post = PostForm {
        bucket: "examplebucket",
        fields: &form,
        file_size: 1,
    };
    assert_eq!(open.check(&post, at(1_795_327_199)), Ok(()));
    let error = open.check(&post, at(1_795_327_200)).unwrap_err();
    assert_eq!(
        error.message(),
        "Invalid according to Policy: Policy expired."
    );
    assert_eq!((error.code(), error.status()), ("AccessDenied", 403));
}

// spec: CB-POST-POLICY-PIN
#[test]
fn pinned_callback_must_match() {
    let pinned = policy(&format!(r#"{{"callback": "{CALLBACK}"}}"#));
    assert_eq!(check(&pinned, &[("callback", CALLBACK)], 1), Ok(()));
    let expected = format!(
        r#"Invalid according to Policy: Policy Condition failed: ["eq", "$callback", "{CALLBACK}"]"#
    );
    assert_eq!(
        check(&pinned, &[("callback", OTHER_CALLBACK)], 1),
        failed(&expected)
    );
    assert_eq!(
        check(&pinned, &[], 1),
        failed(&expected),
        "a pinned callback must be sent"
    );
}

// spec: CB-POST-POLICY-UNPINNED — the Python SDK v2 sample sends `callback`
// and `x:` fields that its policy does not mention.
#[test]
fn unpinned_callback_and_variables_are_not_checked() {
    let unpinned = policy(r#"{"bucket": "examplebucket"}, ["starts-with", "$key", "user/"]"#);
    assert_eq!(
        check(
            &unpinned,
            &[
                ("key", "user/a"),
                ("callback", OTHER_CALLBACK),
                ("x:var1", "v")
            ],
            1
        ),
        Ok(())
    );
}

#[test]
fn malformed_policies_are_invalid_policy_documents() {
    for (json, why) in [
        (r#"{"conditions": []}"#, "no expiration"),
        (
            r#"{"expiration": "tomorrow", "conditions": []}"#,
            "bad expiration",
        ),
        (
            r#"{"expiration": "2026-11-22T06:00:00.000Z"}"#,
            "no conditions",
        ),
        // OSS EC 0006-00000222: a condition that is neither a map nor a list.
        (
            r#"{"expiration": "2026-11-22T06:00:00.000Z", "conditions": [123]}"#,
            "number condition",
        ),
        // OSS EC 0006-00000224: not-in needs a list.
        (
            r#"{"expiration": "2026-11-22T06:00:00.000Z", "conditions": [["not-in", "$cache-control", "no-cache"]]}"#,
            "not-in string",
        ),
        (
            r#"{"expiration": "2026-11-22T06:00:00.000Z", "conditions": [{"bucket": "a", "key": "b"}]}"#,
            "two properties",
        ),
        (
            r#"{"expiration": "2026-11-22T06:00:00.000Z", "conditions": [["matches", "$key", "x"]]}"#,
            "unknown operator",
        ),
        (
            r#"{"expiration": "2026-11-22T06:00:00.000Z", "conditions": [["eq", "$key"]]}"#,
            "two elements",
        ),
        ("not json", "not JSON"),
    ] {
        let error = PostPolicy::parse(json.as_bytes()).unwrap_err();
        assert_eq!(
            (error.code(), error.status()),
            ("InvalidPolicyDocument", 400),
            "{why}"
        );
        assert!(error.message().starts_with("Invalid Policy: "), "{why}");
    }
    // Wording from the OSS PostObject error FAQ.
    assert_eq!(
        PostPolicy::parse(br#"{"expiration": "2026-11-22T06:00:00.000Z", "conditions": [{"bucket": "a", "key": "b"}]}"#)
            .unwrap_err()
            .message(),
        "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."
    );
    assert_eq!(
        PostPolicy::decode("%%%").unwrap_err().code(),
        "InvalidPolicyDocument"
    );
}

const SIGNED_POLICY: &str = r#"{"expiration": "2026-11-22T06:00:00.000Z", "conditions": [{"bucket": "examplebucket"}, ["starts-with", "$key", "user/"], ["content-length-range", 1, 1024]]}"#;

fn form_with(auth: Vec<(String, String)>, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut all = fields(&[
        ("key", "user/a.txt"),
        ("callback", CALLBACK),
        ("x:var1", "v"),
    ]);
    all.extend(auth);
    all.extend(fields(extra));
    all
}

fn verify(form_fields: &[(String, String)], size: u64) -> Result<Option<String>, AuthError> {
    verify_post(
        &PostForm {
            bucket: "examplebucket",
            fields: form_fields,
            file_size: size,
        },
        secrets,
        now(),
    )
    .map(|verified| verified.map(|v| v.access_key_id))
}

fn replace_field(form_fields: &mut [(String, String)], name: &str, value: &str) {
    form_fields
        .iter_mut()
        .find(|(n, _)| n == name)
        .expect("field present")
        .1 = value.to_owned();
}

// spec: CB-AUTH-POST-V1
#[test]
fn v1_post_signature_round_trip_and_tamper() {
    let policy_base64 = encode_policy(SIGNED_POLICY);
    let auth = sign_v1(&credentials(), &policy_base64);
    assert_eq!(auth[0], ("OSSAccessKeyId".to_owned(), "test-ak".to_owned()));
    let form = form_with(auth, &[]);
    assert_eq!(verify(&form, 100), Ok(Some("test-ak".to_owned())));
    assert_eq!(verify(&form, 2000).unwrap_err().code(), "EntityTooLarge");

    let mut tampered = form.clone();
    replace_field(
        &mut tampered,
        "policy",
        &encode_policy(&SIGNED_POLICY.replace("user/", "")),
    );
    let error = verify(&tampered, 100).unwrap_err();
    assert_eq!(error.code(), "SignatureDoesNotMatch");

    let mut wrong_key = form.clone();
    replace_field(&mut wrong_key, "OSSAccessKeyId", "nobody");
    assert_eq!(
        verify(&wrong_key, 100).unwrap_err().code(),
        "InvalidAccessKeyId"
    );

    let mut wrong_signature = form.clone();
    replace_field(
        &mut wrong_signature,
        "Signature",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    );
    assert_eq!(
        verify(&wrong_signature, 100).unwrap_err().code(),
        "SignatureDoesNotMatch"
    );

    let mut wrong_key_field = form;
    replace_field(&mut wrong_key_field, "key", "other/a.txt");
    assert_eq!(
        verify(&wrong_key_field, 100).unwrap_err().code(),
        "AccessDenied"
    );
}

// spec: CB-AUTH-POST-V4
#[test]
fn v4_post_signature_round_trip_and_tamper() {
    let policy_base64 = encode_policy(SIGNED_POLICY);
    let auth = sign_v4(&credentials(), "cn-hangzhou", now(), &policy_base64);
    let value = |name: &str| auth.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    assert_eq!(
        value("x-oss-signature-version").as_deref(),
        Some("OSS4-HMAC-SHA256")
    );
    assert_eq!(
        value("x-oss-credential").as_deref(),
        Some("test-ak/20261122/cn-hangzhou/oss/aliyun_v4_request")
    );
    assert_eq!(value("x-oss-date").as_deref(), Some("20261122T053801Z"));
    let form = form_with(auth, &[]);
    assert_eq!(verify(&form, 100), Ok(Some("test-ak".to_owned())));

    let mut tampered = form.clone();
    replace_field(
        &mut tampered,
        "policy",
        &encode_policy(&SIGNED_POLICY.replace("1024", "999999")),
    );
    assert_eq!(
        verify(&tampered, 100).unwrap_err().code(),
        "SignatureDoesNotMatch"
    );

    let mut other_region = form.clone();
    replace_field(
        &mut other_region,
        "x-oss-credential",
        "test-ak/20261122/cn-beijing/oss/aliyun_v4_request",
    );
    assert_eq!(
        verify(&other_region, 100).unwrap_err().code(),
        "SignatureDoesNotMatch"
    );

    let mut other_day = form;
    replace_field(&mut other_day, "x-oss-date", "20261123T000000Z");
    assert_eq!(
        verify(&other_day, 100).unwrap_err().code(),
        "InvalidArgument"
    );
}

#[test]
fn anonymous_post_is_unauthenticated_but_its_policy_still_applies() {
    assert_eq!(verify(&fields(&[("key", "a")]), 1), Ok(None));
    let expired = r#"{"expiration": "2020-01-01T00:00:00.000Z", "conditions": []}"#;
    let form = fields(&[("key", "a"), ("policy", &encode_policy(expired))]);
    assert_eq!(
        verify(&form, 1).unwrap_err().message(),
        "Invalid according to Policy: Policy expired."
    );
}

#[test]
fn signed_post_without_policy_is_refused() {
    let mut form = form_with(sign_v1(&credentials(), &encode_policy(SIGNED_POLICY)), &[]);
    form.retain(|(name, _)| name != "policy");
    assert_eq!(verify(&form, 1).unwrap_err().code(), "InvalidArgument");
}
