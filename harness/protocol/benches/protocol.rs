//! The hot pure paths of an upload callback, one criterion group each:
//! decoding the callback parameter, expanding the body template (form and
//! JSON), building the string-to-sign, verifying V1 and V4 request
//! signatures, MD5withRSA signing and verifying (AWS-LC, which cbspec uses,
//! beside the `rsa` crate it replaced), and the body digests (CRC-64 with
//! the slice-by-16 table beside the byte-at-a-time one).
//!
//! `cargo bench -p cbspec-protocol`; `docs/performance.md` has the figures.

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use cbspec_protocol::auth::{v1, v4, Credentials, SignableRequest};
use cbspec_protocol::checksum::{BodyDigest, OSS_CRC64};
use cbspec_protocol::config::{CallbackConfig, DecodeOptions};
use cbspec_protocol::custom_vars::CustomVariables;
use cbspec_protocol::facts::{ImageInfo, UploadFacts};
use cbspec_protocol::signature::{string_to_sign, CallbackSigner};
use cbspec_protocol::template::{BodyType, Template};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const KEY_1024: &str = include_str!("../../keys/emulator-dev-key.pem");

fn facts() -> UploadFacts {
    UploadFacts {
        bucket: "examplebucket".into(),
        object: "photos/2026/12/a b+c.jpg".into(),
        etag: "D8E8FCA2DC0F896FD7CB4CB0031BA249".into(),
        size: Some(1024),
        mime_type: "image/jpeg".into(),
        image: Some(ImageInfo {
            height: 539,
            width: 810,
            format: "jpg".into(),
        }),
        crc64: Some(11051210869376104954),
        content_md5: "x1STW4EVzp0ZZRKUY72zTQ==".into(),
        vpc_id: String::new(),
        client_ip: "203.0.113.7".into(),
        request_id: "63F2302A7CF84230346C6D0D".into(),
        operation: "PutObject".into(),
    }
}

/// The body SDK samples send: every system variable and two custom ones.
const TEMPLATE: &str = "bucket=${bucket}&object=${object}&etag=${etag}&size=${size}&mimeType=${mimeType}&height=${imageInfo.height}&width=${imageInfo.width}&format=${imageInfo.format}&crc64=${crc64}&contentMd5=${contentMd5}&clientIp=${clientIp}&reqid=${reqid}&operation=${operation}&uid=${x:uid}&order=${x:order_id}";

fn callback_config() -> String {
    let json = serde_json::json!({
        "callbackUrl": "http://203.0.113.10:8080/notify?source=oss;https://cb.example.com/backup",
        "callbackHost": "cb.example.com",
        "callbackBody": TEMPLATE,
        "callbackBodyType": "application/x-www-form-urlencoded",
        "callbackSNI": true,
    });
    base64::engine::general_purpose::STANDARD.encode(json.to_string())
}

fn config_and_template(c: &mut Criterion) {
    let encoded = callback_config();
    c.bench_function("config/decode_base64", |b| {
        b.iter(|| CallbackConfig::decode_base64(black_box(&encoded), DecodeOptions::production()))
    });
    let template = Template::parse(TEMPLATE).unwrap();
    let facts = facts();
    let vars = CustomVariables::new([("x:uid", "1234"), ("x:order_id", "A-\"42\"/中")]).unwrap();
    let mut group = c.benchmark_group("template/expand");
    for (name, body_type) in [("form", BodyType::Form), ("json", BodyType::Json)] {
        group.bench_function(name, |b| {
            b.iter(|| black_box(&template).expand(body_type, &facts, &vars))
        });
    }
    group.finish();
    c.bench_function("template/parse", |b| {
        b.iter(|| Template::parse(black_box(TEMPLATE)))
    });
    let body = template.expand(BodyType::Form, &facts, &vars);
    c.bench_function("signature/string_to_sign", |b| {
        b.iter(|| {
            string_to_sign(
                black_box("/notify%20me?source=oss"),
                black_box(body.as_bytes()),
            )
        })
    });
}

fn request_auth(c: &mut Criterion) {
    let credentials = Credentials::new("bench-access-key", "bench-secret");
    let secret_for = |ak: &str| (ak == "bench-access-key").then(|| "bench-secret".to_owned());
    let now = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    let base = || {
        SignableRequest::new("PUT", Some("examplebucket"), Some("photos/a b.jpg"))
            .with_header("Content-Type", "image/jpeg")
            .with_header("Content-MD5", "x1STW4EVzp0ZZRKUY72zTQ==")
            .with_header("x-oss-callback", callback_config())
            .with_header("x-oss-meta-owner", "bench")
    };
    let mut signed_v1 = base();
    v1::sign_header(&mut signed_v1, &credentials, now);
    c.bench_function("auth/v1_verify", |b| {
        b.iter(|| v1::verify_header(black_box(&signed_v1), secret_for))
    });
    let mut signed_v4 = base();
    v4::sign_header(&mut signed_v4, &credentials, "cn-hangzhou", now, &[]);
    c.bench_function("auth/v4_verify", |b| {
        b.iter(|| v4::verify_header(black_box(&signed_v4), secret_for))
    });
    let _ = SystemTime::now();
}

fn rsa_md5(c: &mut Criterion) {
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::Pkcs1v15Sign;
    let signer = CallbackSigner::from_pem(KEY_1024).unwrap();
    let public = signer.public_key();
    let target = "/notify?source=oss";
    let body = b"bucket=examplebucket&object=photos%2Fa.jpg&etag=D8E8FCA2DC0F896FD7CB4CB0031BA249&size=1024";
    let authorization = signer.sign(target, body);
    let mut group = c.benchmark_group("rsa1024_md5");
    group.bench_function("sign/aws-lc", |b| {
        b.iter(|| signer.sign(black_box(target), body))
    });
    group.bench_function("verify/aws-lc", |b| {
        b.iter(|| public.verify(black_box(target), body, &authorization))
    });
    // The pure-Rust crate on the same digest, for the side-by-side ratio.
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(KEY_1024).unwrap();
    let public_key = key.to_public_key();
    let digest = cbspec_protocol::checksum::md5(&string_to_sign(target, body));
    let signature = key.sign(Pkcs1v15Sign::new::<md5::Md5>(), &digest).unwrap();
    group.bench_function("sign/rsa-crate", |b| {
        b.iter(|| key.sign(Pkcs1v15Sign::new::<md5::Md5>(), black_box(&digest)))
    });
    group.bench_function("verify/rsa-crate", |b| {
        b.iter(|| {
            public_key.verify(
                Pkcs1v15Sign::new::<md5::Md5>(),
                black_box(&digest),
                &signature,
            )
        })
    });
    group.finish();
}

fn digests(c: &mut Criterion) {
    let body: Vec<u8> = (0..1024 * 1024).map(|i| (i * 31 % 251) as u8).collect();
    let bytewise = crc::Crc::<u64>::new(&crc::CRC_64_XZ);
    let mut group = c.benchmark_group("digest_1MiB");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function(BenchmarkId::new("crc64", "slice16"), |b| {
        b.iter(|| OSS_CRC64.checksum(black_box(&body)))
    });
    group.bench_function(BenchmarkId::new("crc64", "bytewise"), |b| {
        b.iter(|| bytewise.checksum(black_box(&body)))
    });
    group.bench_function("md5", |b| {
        b.iter(|| cbspec_protocol::checksum::md5(black_box(&body)))
    });
    group.bench_function("md5+crc64 in one pass", |b| {
        b.iter(|| BodyDigest::of(black_box(&body)))
    });
    group.finish();
}

criterion_group!(benches, config_and_template, request_auth, rsa_md5, digests);
criterion_main!(benches);
