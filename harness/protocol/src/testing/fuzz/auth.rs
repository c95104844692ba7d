//! Fuzz entry points for OSS request authentication: V1 and V4
//! canonicalisation, signing and verifying, and POST policies.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arbitrary::{Arbitrary, Unstructured};

use crate::auth::post_policy::{encode_policy, sign_v1, verify_post, PostForm, PostPolicy};
use crate::auth::{v1, v4, AuthError, Credentials};
use crate::testing::generators::ArbSignable;

fn credentials() -> Credentials {
    Credentials::new("fuzz-access-key", "fuzz-secret")
}

fn secret_for(ak: &str) -> Option<String> {
    (ak == "fuzz-access-key").then(|| "fuzz-secret".to_owned())
}

/// A fixed time, so runs are reproducible: 2026-01-01T00:00:00Z.
fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

fn other_method(method: &str) -> &'static str {
    if method == "PUT" {
        "POST"
    } else {
        "PUT"
    }
}

/// V1: verifying arbitrary Authorization headers never panics; a request
/// the signer signed verifies; the same request with another method does not.
pub fn auth_v1(data: &[u8]) {
    let mut input = Unstructured::new(data);
    let Ok(arb) = ArbSignable::arbitrary(&mut input) else {
        return;
    };
    let mut request = arb.request();
    let _ = v1::verify_header(&request, secret_for);
    let _ = v1::verify_presigned(&request, secret_for, now());
    request
        .headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
    v1::sign_header(&mut request, &credentials(), now());
    assert_eq!(
        v1::verify_header(&request, secret_for),
        Ok("fuzz-access-key".to_owned()),
        "own V1 signature"
    );
    request.method = other_method(&request.method).to_owned();
    assert!(
        matches!(
            v1::verify_header(&request, secret_for),
            Err(AuthError::SignatureDoesNotMatch { .. })
        ),
        "a V1 signature must not survive a method change"
    );
}

/// V4: the same invariants with OSS4-HMAC-SHA256.
pub fn auth_v4(data: &[u8]) {
    let mut input = Unstructured::new(data);
    let Ok(arb) = ArbSignable::arbitrary(&mut input) else {
        return;
    };
    let mut request = arb.request();
    let region: String = arb
        .region
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .take(20)
        .collect();
    let region = if region.is_empty() {
        "cn-hangzhou".to_owned()
    } else {
        region
    };
    let _ = v4::verify_header(&request, secret_for);
    let _ = v4::verify_presigned(&request, secret_for, now());
    request.headers.retain(|(n, _)| {
        let n = n.to_ascii_lowercase();
        n != "authorization" && n != "x-oss-date" && n != "x-oss-content-sha256"
    });
    v4::sign_header(&mut request, &credentials(), &region, now(), &[]);
    assert_eq!(
        v4::verify_header(&request, secret_for),
        Ok("fuzz-access-key".to_owned()),
        "own V4 signature"
    );
    request.method = other_method(&request.method).to_owned();
    assert!(
        matches!(
            v4::verify_header(&request, secret_for),
            Err(AuthError::SignatureDoesNotMatch { .. })
        ),
        "a V4 signature must not survive a method change"
    );
}

/// POST policies: parsing and evaluating arbitrary policies against
/// arbitrary forms never panics; a form signed over a policy it satisfies
/// verifies, and fails once its policy text changes.
pub fn post_policy(data: &[u8]) {
    let mut input = Unstructured::new(data);
    let (Ok(policy_text), Ok(fields), Ok(size)) = (
        Vec::<u8>::arbitrary(&mut input),
        Vec::<(String, String)>::arbitrary(&mut input),
        u64::arbitrary(&mut input),
    ) else {
        return;
    };
    let form = PostForm {
        bucket: "fuzz-bucket",
        fields: &fields,
        file_size: size,
    };
    if let Ok(policy) = PostPolicy::parse(&policy_text) {
        let _ = policy.check(&form, now());
    }
    let _ = verify_post(&form, secret_for, now());

    let policy = encode_policy(
        r#"{"expiration":"2099-01-01T00:00:00.000Z","conditions":[{"bucket":"fuzz-bucket"}]}"#,
    );
    let mut signed: Vec<(String, String)> = fields
        .iter()
        .filter(|(n, _)| {
            let n = n.to_ascii_lowercase();
            ![
                "policy",
                "signature",
                "ossaccesskeyid",
                "x-oss-signature-version",
                "bucket",
            ]
            .contains(&n.as_str())
        })
        .cloned()
        .collect();
    signed.extend(sign_v1(&credentials(), &policy));
    let form = PostForm {
        bucket: "fuzz-bucket",
        fields: &signed,
        file_size: size,
    };
    let verified = verify_post(&form, secret_for, now())
        .expect("a signed form over a satisfied policy verifies");
    assert_eq!(
        verified.map(|v| v.access_key_id).as_deref(),
        Some("fuzz-access-key")
    );
    for (name, value) in signed.iter_mut() {
        if name == "policy" {
            value.push('A');
        }
    }
    let form = PostForm {
        bucket: "fuzz-bucket",
        fields: &signed,
        file_size: size,
    };
    assert!(
        verify_post(&form, secret_for, now()).is_err(),
        "an edited policy must not verify"
    );
}
