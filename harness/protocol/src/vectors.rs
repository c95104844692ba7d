//! Test vectors for callback signature verifiers, as data any language can
//! read. Pure: from fixed keys to JSON, deterministically (PKCS#1 v1.5 is).
//!
//! - [`pkcs1_md5_file`]: RSASSA-PKCS1-v1_5 with MD5 in Wycheproof's layout
//!   (`rsassa_pkcs1_verify_schema_v1.json`): valid signatures and validly
//!   RSA-signed encodings that a correct verifier must refuse (wrong hash
//!   OID, missing NULL, BER lengths, bad padding, trailing data, signature
//!   out of range or of the wrong length). Wycheproof has no MD5 vectors;
//!   OSS callbacks are MD5withRSA.
//! - [`receiver_file`]: whole callbacks as a receiver sees them (target,
//!   body, `authorization`, `x-oss-pub-key-url`) with the string to sign,
//!   the digest's real OSS-signed vectors among them, and the key-URL
//!   allowlist cases.

use rsa::hazmat::rsa_decrypt_and_check;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPrivateKey};
use serde_json::{json, Map, Value};

use crate::checksum::md5;
use crate::key_url::encode_key_url;
use crate::signature::{string_to_sign, CallbackSigner, OFFICIAL_PUBLIC_KEY_PEM};

/// Why vectors could not be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot make the vectors: {0}")]
pub struct VectorError(String);

/// DER of `AlgorithmIdentifier { id-md5, NULL }` inside `DigestInfo`, then
/// the `OCTET STRING` header of the 16-byte hash (RFC 8017 §9.2 note 1).
const MD5_DIGEST_INFO_PREFIX: [u8; 18] = [
    0x30, 0x20, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05, 0x05, 0x00,
    0x04, 0x10,
];
/// The same with the SHA-1 OID (1.3.14.3.2.26) and an MD5 hash.
const SHA1_OID_PREFIX: [u8; 15] = [
    0x30, 0x1d, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x10,
];
/// MD2's OID (1.2.840.113549.2.2), one arc away from MD5's.
const MD2_OID_PREFIX: [u8; 18] = [
    0x30, 0x20, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x02, 0x05, 0x00,
    0x04, 0x10,
];
/// `AlgorithmIdentifier { id-md5 }` without the NULL parameters.
const MISSING_NULL_PREFIX: [u8; 16] = [
    0x30, 0x1e, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05, 0x04, 0x10,
];
/// The outer SEQUENCE length in long form (`81 20`), which DER forbids.
const BER_LENGTH_PREFIX: [u8; 19] = [
    0x30, 0x81, 0x20, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05, 0x05,
    0x00, 0x04, 0x10,
];

/// `00 01 FF.. 00 T` with `T` right-aligned in `k` bytes (`None` when `T`
/// does not fit with 8 bytes of padding).
fn encode(k: usize, t: &[u8]) -> Option<Vec<u8>> {
    if t.len() + 11 > k {
        return None;
    }
    let mut em = vec![0xff; k];
    em[0] = 0x00;
    em[1] = 0x01;
    em[k - t.len() - 1] = 0x00;
    em[k - t.len()..].copy_from_slice(t);
    Some(em)
}

fn digest_info(prefix: &[u8], hash: &[u8]) -> Vec<u8> {
    let mut t = prefix.to_vec();
    t.extend_from_slice(hash);
    t
}

/// `em^d mod n` as `k` big-endian bytes: a raw RSA signature of any encoding.
fn raw_sign(key: &RsaPrivateKey, em: &[u8]) -> Result<Vec<u8>, VectorError> {
    let m = BigUint::from_bytes_be(em);
    let s = rsa_decrypt_and_check::<rand_core_shim::NoRng>(key, None, &m)
        .map_err(|e| VectorError(e.to_string()))?;
    Ok(left_pad(&s.to_bytes_be(), key.size()))
}

/// The rsa crate's raw operation takes an optional RNG for blinding; the
/// vectors use none, so they come out the same on every run.
mod rand_core_shim {
    /// A type that is never constructed, naming "no RNG".
    pub enum NoRng {}
    impl rsa::rand_core::RngCore for NoRng {
        fn next_u32(&mut self) -> u32 {
            match *self {}
        }
        fn next_u64(&mut self) -> u64 {
            match *self {}
        }
        fn fill_bytes(&mut self, _: &mut [u8]) {
            match *self {}
        }
        fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), rsa::rand_core::Error> {
            match *self {}
        }
    }
    impl rsa::rand_core::CryptoRng for NoRng {}
}

fn left_pad(bytes: &[u8], k: usize) -> Vec<u8> {
    let mut out = vec![0u8; k.saturating_sub(bytes.len())];
    out.extend_from_slice(bytes);
    out
}

/// One PKCS#1 test before numbering.
struct Pkcs1Test {
    comment: String,
    flags: Vec<&'static str>,
    msg: Vec<u8>,
    sig: Vec<u8>,
    result: &'static str,
}

/// What each flag of the PKCS#1 file means.
fn pkcs1_notes() -> Value {
    let note = |bug: &str, description: &str| json!({"bugType": bug, "description": description});
    json!({
        "ValidSignature": note("BASIC", "A correctly encoded MD5withRSA signature, as OSS makes them."),
        "ModifiedMessage": note("BASIC", "The signature is valid for another message (one byte of the message changed)."),
        "WrongHashOid": note("WRONG_PRIMITIVE", "The DigestInfo names another hash (SHA-1 or MD2) while carrying the MD5 value: a verifier that does not compare the whole DigestInfo accepts it."),
        "MissingNull": note("BER_ENCODING", "The AlgorithmIdentifier lacks its NULL parameters; RFC 8017 A.2.4 requires NULL for id-md5."),
        "BerEncoding": note("BER_ENCODING", "A length in the DigestInfo is written in long form; DER (and so PKCS#1) forbids it."),
        "TrailingData": note("SIGNATURE_MALLEABILITY", "Bytes follow the hash inside the encoded message: a verifier that parses the DigestInfo loosely accepts forgeries (Bleichenbacher 2006, e = 3)."),
        "InvalidPadding": note("SIGNATURE_MALLEABILITY", "The padding is not 00 01 FF..FF 00 with at least eight FF bytes."),
        "WrongBlockType": note("SIGNATURE_MALLEABILITY", "The block type is 02 (encryption) instead of 01."),
        "SignatureOutOfRange": note("EDGE_CASE", "The signature is 0, 1, the modulus or above it; RFC 8017 8.2.2 rejects s >= n."),
        "WrongLength": note("SIGNATURE_MALLEABILITY", "The signature is not exactly k bytes (a leading zero added or stripped); RFC 8017 8.2.2 step 1 rejects it."),
    })
}

fn pkcs1_tests(key: &RsaPrivateKey) -> Result<Vec<Pkcs1Test>, VectorError> {
    let k = key.size();
    let messages: [&[u8]; 4] = [
        b"",
        b"/index.php?id=1&index=2\nbucket=yonghu-test",
        b"/cb\n{\"bucket\":\"b\",\"object\":\"\xe5\xaf\xb9\xe8\xb1\xa1.txt\"}",
        b"/api/v3/callback?token=a%20b\nsize=0",
    ];
    let mut tests = Vec::new();
    let signed = |em: Vec<u8>| raw_sign(key, &em);
    let md5_em = |msg: &[u8]| encode(k, &digest_info(&MD5_DIGEST_INFO_PREFIX, &md5(msg)));
    for msg in messages {
        let em = md5_em(msg).ok_or_else(|| VectorError("the key is too small for MD5".into()))?;
        tests.push(Pkcs1Test {
            comment: "valid signature".into(),
            flags: vec!["ValidSignature"],
            msg: msg.to_vec(),
            sig: signed(em)?,
            result: "valid",
        });
    }
    let msg = messages[1];
    let hash = md5(msg);
    let mut other = msg.to_vec();
    if let Some(last) = other.last_mut() {
        *last ^= 1;
    }
    let invalid = |comment: &str,
                   flags: Vec<&'static str>,
                   em: Option<Vec<u8>>|
     -> Result<Option<Pkcs1Test>, VectorError> {
        let Some(em) = em else { return Ok(None) };
        Ok(Some(Pkcs1Test {
            comment: comment.into(),
            flags,
            msg: msg.to_vec(),
            sig: raw_sign(key, &em)?,
            result: "invalid",
        }))
    };
    let mut add = |t: Option<Pkcs1Test>| {
        if let Some(t) = t {
            tests.push(t);
        }
    };
    add(Some(Pkcs1Test {
        comment: "signature of another message".into(),
        flags: vec!["ModifiedMessage"],
        msg: other.clone(),
        sig: raw_sign(key, &md5_em(msg).unwrap_or_default())?,
        result: "invalid",
    }));
    add(invalid(
        "SHA-1 OID with the MD5 value",
        vec!["WrongHashOid"],
        encode(k, &digest_info(&SHA1_OID_PREFIX, &hash)),
    )?);
    add(invalid(
        "MD2 OID with the MD5 value",
        vec!["WrongHashOid"],
        encode(k, &digest_info(&MD2_OID_PREFIX, &hash)),
    )?);
    add(invalid(
        "AlgorithmIdentifier without NULL",
        vec!["MissingNull"],
        encode(k, &digest_info(&MISSING_NULL_PREFIX, &hash)),
    )?);
    add(invalid(
        "DigestInfo length in long form",
        vec!["BerEncoding"],
        encode(k, &digest_info(&BER_LENGTH_PREFIX, &hash)),
    )?);
    add(invalid(
        "the bare MD5 value without DigestInfo",
        vec!["WrongHashOid"],
        encode(k, &hash),
    )?);
    let mut trailing = digest_info(&MD5_DIGEST_INFO_PREFIX, &hash);
    trailing.push(0x00);
    add(invalid(
        "a zero byte after the hash",
        vec!["TrailingData"],
        encode(k, &trailing),
    )?);
    let mut garbage_tail = digest_info(&MD5_DIGEST_INFO_PREFIX, &hash);
    garbage_tail.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
    add(invalid(
        "four bytes after the hash",
        vec!["TrailingData"],
        encode(k, &garbage_tail),
    )?);
    let t = digest_info(&MD5_DIGEST_INFO_PREFIX, &hash);
    let base = encode(k, &t).unwrap_or_default();
    let mut block_two = base.clone();
    block_two[1] = 0x02;
    add(invalid(
        "block type 02",
        vec!["WrongBlockType"],
        Some(block_two),
    )?);
    let mut first_nonzero = base.clone();
    first_nonzero[0] = 0x01;
    add(invalid(
        "first byte 01 instead of 00",
        vec!["InvalidPadding"],
        Some(first_nonzero),
    )?);
    let mut ff_hole = base.clone();
    ff_hole[5] = 0xfe;
    add(invalid(
        "a padding byte FE instead of FF",
        vec!["InvalidPadding"],
        Some(ff_hole),
    )?);
    let mut no_separator = base.clone();
    no_separator[k - t.len() - 1] = 0xff;
    add(invalid(
        "no 00 between padding and DigestInfo",
        vec!["InvalidPadding"],
        Some(no_separator),
    )?);
    // Seven FF bytes, then garbage before the DigestInfo, keeping k bytes.
    let mut short = vec![0x00, 0x01];
    short.extend_from_slice(&[0xff; 7]);
    short.push(0x00);
    short.resize(k - t.len(), 0x41);
    short.extend_from_slice(&t);
    add(invalid(
        "seven padding bytes, then data before the DigestInfo",
        vec!["InvalidPadding"],
        Some(short),
    )?);
    let valid = raw_sign(key, &base)?;
    let n = key.n().to_bytes_be();
    let n_plus_1 = (key.n() + 1u32).to_bytes_be();
    for (comment, sig) in [
        ("signature 0", vec![0u8; k]),
        ("signature 1", left_pad(&[1], k)),
        ("signature equal to the modulus", left_pad(&n, k)),
        ("signature one above the modulus", left_pad(&n_plus_1, k)),
    ] {
        tests.push(Pkcs1Test {
            comment: comment.into(),
            flags: vec!["SignatureOutOfRange"],
            msg: msg.to_vec(),
            sig,
            result: "invalid",
        });
    }
    let mut longer = vec![0u8];
    longer.extend_from_slice(&valid);
    tests.push(Pkcs1Test {
        comment: "the valid signature with a leading zero byte (k + 1 bytes)".into(),
        flags: vec!["WrongLength"],
        msg: msg.to_vec(),
        sig: longer,
        result: "invalid",
    });
    // A valid signature whose first byte is zero, found by trying messages,
    // then sent without that byte.
    for i in 0u32..20_000 {
        let candidate = format!("/cb?n={i}\nbucket=b").into_bytes();
        let sig = raw_sign(key, &md5_em(&candidate).unwrap_or_default())?;
        if sig[0] == 0 {
            tests.push(Pkcs1Test {
                comment: "a valid signature that starts with 00, that byte stripped (k - 1 bytes)"
                    .into(),
                flags: vec!["WrongLength"],
                msg: candidate.clone(),
                sig: sig[1..].to_vec(),
                result: "invalid",
            });
            tests.push(Pkcs1Test {
                comment: "a valid signature that starts with 00".into(),
                flags: vec!["ValidSignature"],
                msg: candidate,
                sig,
                result: "valid",
            });
            break;
        }
    }
    Ok(tests)
}

/// The Wycheproof-layout file for the given private keys (PEM, PKCS#8).
pub fn pkcs1_md5_file(private_keys_pem: &[&str]) -> Result<Value, VectorError> {
    let mut groups = Vec::new();
    let mut tc_id = 0u32;
    for pem in private_keys_pem {
        let key = RsaPrivateKey::from_pkcs8_pem(pem).map_err(|e| VectorError(e.to_string()))?;
        let public = key.to_public_key();
        let der = public
            .to_public_key_der()
            .map_err(|e| VectorError(e.to_string()))?;
        let public_pem = public
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| VectorError(e.to_string()))?;
        let tests: Vec<Value> = pkcs1_tests(&key)?
            .into_iter()
            .map(|t| {
                tc_id += 1;
                json!({
                    "tcId": tc_id,
                    "comment": t.comment,
                    "flags": t.flags,
                    "msg": hex::encode(&t.msg),
                    "sig": hex::encode(&t.sig),
                    "result": t.result,
                })
            })
            .collect();
        groups.push(json!({
            "type": "RsassaPkcs1Verify",
            "keySize": key.size() * 8,
            "sha": "MD5",
            "publicKey": {
                "modulus": hex::encode(public.n().to_bytes_be()),
                "publicExponent": hex::encode(public.e().to_bytes_be()),
            },
            "publicKeyDer": hex::encode(der.as_bytes()),
            "publicKeyPem": public_pem,
            "tests": tests,
        }));
    }
    Ok(json!({
        "algorithm": "RSASSA-PKCS1-v1_5",
        "schema": "rsassa_pkcs1_verify_schema_v1.json",
        "generatorVersion": "cbspec vectors 1",
        "numberOfTests": tc_id,
        "header": [
            "MD5withRSA (RSASSA-PKCS1-v1_5 with MD5), the algorithm of Alibaba Cloud OSS upload callback signatures.",
            "Every invalid signature is a correct RSA operation on a wrongly encoded message, so only the encoding check can refuse it.",
            "The 512-bit group has the shape of the official OSS callback key; written by `cbspec vectors` from keys in harness/keys/."
        ],
        "notes": pkcs1_notes(),
        "testGroups": groups,
    }))
}

/// A key URL the receiver vectors publish a key at.
const TRUSTED_KEY_URL: &str = "http://127.0.0.1:9107/trusted/callback_pub_key.pem";
/// The digest's official key URL (https, as the service sends it today).
const OFFICIAL_KEY_URL: &str = "https://gosspublic.alicdn.com/callback_pub_key_v1.pem";

/// One receiver-level test before numbering.
struct ReceiverTest {
    comment: &'static str,
    flags: Vec<&'static str>,
    target: String,
    body: String,
    authorization: String,
    pub_key_url: String,
    result: &'static str,
}

fn receiver_notes() -> Value {
    json!({
        "RealOssSignature": {"description": "Signed by Alibaba Cloud OSS itself (the digest's Appendix A); the key is the official one."},
        "PathPercentDecoded": {"description": "The path is percent-decoded before signing (CB-SIG-PATH-DECODE); a verifier that signs the raw path gets these wrong."},
        "PlusIsNotSpace": {"description": "A + in the path stays + (CB-SIG-PLUS-NOT-SPACE); form-decoding the path turns it into a space."},
        "QueryKeptRaw": {"description": "The query is signed exactly as received, with its ?, not decoded (CB-SIG-QUERY-RAW)."},
        "NoBareQuestionMark": {"description": "A target without a query is signed without ? (CB-SIG-NO-BARE-QUESTION)."},
        "OneNewline": {"description": "One \\n separates target and body; nothing follows the body (CB-SIG-LF, CB-SIG-BODY-RAW)."},
        "KeyUrlNotAllowed": {"description": "The key URL is outside the allowlist in some look-alike form; the signature verifies with the key it serves, so only the allowlist check refuses it (CB-RCV-KEY-ALLOWLIST)."},
        "KeyUrlNotBase64": {"description": "x-oss-pub-key-url is not Base64 (CB-KEY-URL-BASE64)."},
        "ModifiedBody": {"description": "The body changed after signing."},
    })
}

fn receiver_tests(signer: &CallbackSigner, attacker: &CallbackSigner) -> Vec<ReceiverTest> {
    let mut tests = Vec::new();
    // The digest's Appendix A, V1 to V3: real OSS signatures.
    let real = [
        ("/index.php?id=1&index=2", "bucket=yonghu-test", "kKQeGTRccDKyHB3H9vF+xYMSrmhMZjzzl2/kdD1ktNVgbWEfYTQG0G2SU/RaHBovRCE8OkQDjC3uG33esH2txA==", "http://gosspublic.alicdn.com/callback_pub_key_v1.pem"),
        ("/api/v3/callback/oss/TnXx5E5VyfJUyM1UdkdDu1rtnJ34EbmH", r#"{"name":"2f7b2ccf30e9270ea920f1ab8a4037a546a2f0d5.jpg","source_name":"1/1_hFRtDLgM_2f7b2ccf30e9270ea920f1ab8a4037a546a2f0d5.jpg","size":114020,"pic_info":"810,539"}"#, "e5LwzwTkP9AFAItT4YzvdJOHd0Y0wqTMWhsV/h5SG90JYGAmMd+8LQyj96R+9qUfJWjMt6suuUh7LaOryR87Dw==", OFFICIAL_KEY_URL),
        ("/api/File/15/upload_notify/", "filename=zmaplex%2F20210407_14%3A31%3A41_286180%2F20200130021612_pnfqp.jpg&size=112595", "aMYUW1arI/qpU7cp/DCGXS56iFJPxwe7K3QIFVvbtSgiE6vwuu4/HuBxyDDX5IKU8vSJg/BI956SzVsRQt969g==", OFFICIAL_KEY_URL),
    ];
    for (target, body, authorization, key_url) in real {
        tests.push(ReceiverTest {
            comment: "a real OSS-signed callback",
            flags: vec!["RealOssSignature"],
            target: target.into(),
            body: body.into(),
            authorization: authorization.into(),
            pub_key_url: encode_key_url(key_url),
            result: "valid",
        });
    }
    let (target, body, authorization, key_url) = real[0];
    tests.push(ReceiverTest {
        comment: "a real OSS-signed callback with its body changed",
        flags: vec!["RealOssSignature", "ModifiedBody"],
        target: target.into(),
        body: body.replace("yonghu", "attacker"),
        authorization: authorization.into(),
        pub_key_url: encode_key_url(key_url),
        result: "invalid",
    });
    let ours =
        |comment, flags: Vec<&'static str>, target: &str, body: &str, signed_as: &str, result| {
            ReceiverTest {
                comment,
                flags,
                target: target.into(),
                body: body.into(),
                // `signed_as` is the target whose string to sign the signature covers.
                authorization: signer.sign(signed_as, body.as_bytes()),
                pub_key_url: encode_key_url(TRUSTED_KEY_URL),
                result,
            }
        };
    let body = "bucket=b&object=a%20b.txt";
    tests.push(ours(
        "the path is signed percent-decoded",
        vec!["PathPercentDecoded"],
        "/cb/a%20b",
        body,
        "/cb/a%20b",
        "valid",
    ));
    tests.push(ours(
        "signed over the raw, undecoded path",
        vec!["PathPercentDecoded"],
        "/cb/a%20b",
        body,
        "/cb/a%2520b",
        "invalid",
    ));
    tests.push(ours(
        "a + in the path is signed as +",
        vec!["PlusIsNotSpace"],
        "/cb/a+b",
        body,
        "/cb/a+b",
        "valid",
    ));
    tests.push(ours(
        "signed with the path's + as a space",
        vec!["PlusIsNotSpace"],
        "/cb/a+b",
        body,
        "/cb/a%20b",
        "invalid",
    ));
    tests.push(ours(
        "the query is signed raw",
        vec!["QueryKeptRaw"],
        "/cb?name=a%20b&x=%2F",
        body,
        "/cb?name=a%20b&x=%2F",
        "valid",
    ));
    tests.push(ours(
        "signed with the query decoded",
        vec!["QueryKeptRaw"],
        "/cb?name=a%20b&x=%2F",
        body,
        "/cb?name=a b&x=/",
        "invalid",
    ));
    tests.push(ours(
        "signed without the query",
        vec!["QueryKeptRaw"],
        "/cb?name=a%20b",
        body,
        "/cb",
        "invalid",
    ));
    tests.push(ours(
        "no query: no ? in the string to sign",
        vec!["NoBareQuestionMark"],
        "/cb",
        body,
        "/cb",
        "valid",
    ));
    tests.push(ours(
        "no query, but signed with a bare ?",
        vec!["NoBareQuestionMark"],
        "/cb",
        body,
        "/cb?",
        "invalid",
    ));
    let mut newline = ours(
        "signed with a newline after the body",
        vec!["OneNewline"],
        "/cb",
        body,
        "/cb",
        "invalid",
    );
    newline.authorization = signer.sign("/cb", format!("{body}\n").as_bytes());
    tests.push(newline);
    for (comment, key_url) in [
        ("a key URL on another path of the key server", "http://127.0.0.1:9107/attacker/callback_pub_key.pem"),
        ("the trusted prefix followed by .. segments", "http://127.0.0.1:9107/trusted/../attacker/callback_pub_key.pem"),
        ("the trusted authority as userinfo", "http://127.0.0.1:9107@127.0.0.1:9107/attacker/callback_pub_key.pem"),
        ("the trusted path in upper case", "http://127.0.0.1:9107/TRUSTED/callback_pub_key.pem"),
        ("the trusted prefix only in the query", "http://127.0.0.1:9107/attacker/callback_pub_key.pem?from=http://127.0.0.1:9107/trusted/"),
        ("the trusted host as a prefix of another host", "http://127.0.0.1.evil.test:9107/trusted/callback_pub_key.pem"),
        ("https instead of the allowed http", "https://127.0.0.1:9107/trusted/callback_pub_key.pem"),
    ] {
        tests.push(ReceiverTest {
            comment,
            flags: vec!["KeyUrlNotAllowed"],
            target: "/cb".into(),
            body: body.into(),
            authorization: attacker.sign("/cb", body.as_bytes()),
            pub_key_url: encode_key_url(key_url),
            result: "invalid",
        });
    }
    let mut raw = ours(
        "the key URL as plain text",
        vec!["KeyUrlNotBase64"],
        "/cb",
        body,
        "/cb",
        "invalid",
    );
    raw.pub_key_url = TRUSTED_KEY_URL.into();
    tests.push(raw);
    tests
}

/// The receiver-level file: whole callbacks, keyed by the URLs their keys
/// are published at.
pub fn receiver_file(signer_pem: &str, attacker_pem: &str) -> Result<Value, VectorError> {
    let signer = CallbackSigner::from_pem(signer_pem).map_err(|e| VectorError(e.to_string()))?;
    let attacker =
        CallbackSigner::from_pem(attacker_pem).map_err(|e| VectorError(e.to_string()))?;
    let tests: Vec<Value> = receiver_tests(&signer, &attacker)
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let sts = string_to_sign(&t.target, t.body.as_bytes());
            let mut test = Map::new();
            test.insert("tcId".into(), json!(i + 1));
            test.insert("comment".into(), json!(t.comment));
            test.insert("flags".into(), json!(t.flags));
            test.insert("target".into(), json!(t.target));
            test.insert("body".into(), json!(t.body));
            test.insert("authorization".into(), json!(t.authorization));
            test.insert("pubKeyUrl".into(), json!(t.pub_key_url));
            test.insert("stringToSign".into(), json!(String::from_utf8_lossy(&sts)));
            test.insert("stringToSignMd5".into(), json!(hex::encode(md5(&sts))));
            test.insert("result".into(), json!(t.result));
            Value::Object(test)
        })
        .collect();
    let attacker_pem = attacker.public_key().to_pem();
    Ok(json!({
        "schema": "oss_callback_receiver_schema_v1.json",
        "generatorVersion": "cbspec vectors 1",
        "numberOfTests": tests.len(),
        "header": [
            "Upload callbacks as a receiver sees them: the request target (path and query as received), the body, and the authorization and x-oss-pub-key-url headers.",
            "A receiver must answer `valid` only when the decoded key URL starts with one of `allowedKeyUrlPrefixes` (compared on the parsed URL) and the signature verifies, under the key published at that URL, over stringToSign.",
            "Written by `cbspec vectors`; the RealOssSignature tests are the digest's Appendix A."
        ],
        "allowedKeyUrlPrefixes": ["http://gosspublic.alicdn.com/", "https://gosspublic.alicdn.com/", "http://127.0.0.1:9107/trusted/"],
        "publishedKeys": [
            {"url": "http://gosspublic.alicdn.com/callback_pub_key_v1.pem", "publicKeyPem": OFFICIAL_PUBLIC_KEY_PEM},
            {"url": OFFICIAL_KEY_URL, "publicKeyPem": OFFICIAL_PUBLIC_KEY_PEM},
            {"url": TRUSTED_KEY_URL, "publicKeyPem": signer.public_key().to_pem()},
            {"url": "http://127.0.0.1:9107/attacker/callback_pub_key.pem", "publicKeyPem": attacker_pem},
            {"url": "http://127.0.0.1:9107/TRUSTED/callback_pub_key.pem", "publicKeyPem": attacker_pem},
        ],
        "notes": receiver_notes(),
        "tests": tests,
    }))
}
