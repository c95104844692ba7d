//! The published vectors under `spec/vectors/`: each file matches its JSON
//! schema, is exactly what `cbspec_protocol::vectors` writes from the
//! committed keys, and every vector gets its stated result from cbspec's
//! own verifier and allowlist.
// spec: CB-SIG-VECTORS, CB-SIG-ALGORITHM, CB-SIG-STRING-TO-SIGN, CB-SIG-PATH-DECODE, CB-SIG-QUERY-RAW, CB-SIG-NO-BARE-QUESTION, CB-SIG-PLUS-NOT-SPACE, CB-KEY-ALLOWLIST, CB-RCV-KEY-ALLOWLIST

use std::path::PathBuf;

use cbspec_protocol::signature::{
    decode_key_url, string_to_sign, CallbackPublicKey, KeyUrlAllowlist,
};
use cbspec_protocol::vectors::{pkcs1_md5_file, receiver_file};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &str) -> Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn validate(schema: &str, file: &str) {
    let schema = read(schema);
    let validator = jsonschema::validator_for(&schema).unwrap();
    let instance = read(file);
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{file}: {errors:#?}");
}

#[test]
fn the_files_match_their_schemas() {
    validate(
        "spec/vectors/schemas/rsassa_pkcs1_verify_schema_v1.json",
        "spec/vectors/rsa_pkcs1_md5_verify_test.json",
    );
    validate(
        "spec/vectors/schemas/oss_callback_receiver_schema_v1.json",
        "spec/vectors/oss_callback_receiver_test.json",
    );
    // The schema itself refuses what it must: a result outside the enum.
    let schema = read("spec/vectors/schemas/oss_callback_receiver_schema_v1.json");
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut broken = read("spec/vectors/oss_callback_receiver_test.json");
    broken["tests"][0]["result"] = Value::from("maybe");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn the_committed_files_are_what_the_generator_writes() {
    let keys = [
        include_str!("../../keys/vectors-rsa-512.pem"),
        include_str!("../../keys/vectors-rsa-1024.pem"),
        include_str!("../../keys/vectors-rsa-2048.pem"),
    ];
    assert_eq!(
        pkcs1_md5_file(&keys).unwrap(),
        read("spec/vectors/rsa_pkcs1_md5_verify_test.json"),
        "run `cbspec vectors` and commit spec/vectors/"
    );
    assert_eq!(
        receiver_file(
            include_str!("../../keys/emulator-dev-key.pem"),
            include_str!("../../keys/other-test-key.pem"),
        )
        .unwrap(),
        read("spec/vectors/oss_callback_receiver_test.json"),
        "run `cbspec vectors` and commit spec/vectors/"
    );
}

#[test]
fn every_pkcs1_vector_gets_its_result_from_the_verifier() {
    let file = read("spec/vectors/rsa_pkcs1_md5_verify_test.json");
    let mut counts = std::collections::BTreeMap::new();
    let mut sizes = Vec::new();
    for group in file["testGroups"].as_array().unwrap() {
        let key = CallbackPublicKey::from_pem(group["publicKeyPem"].as_str().unwrap()).unwrap();
        assert_eq!(key.bits() as u64, group["keySize"].as_u64().unwrap());
        sizes.push(key.bits());
        for test in group["tests"].as_array().unwrap() {
            let msg = hex::decode(test["msg"].as_str().unwrap()).unwrap();
            let sig = hex::decode(test["sig"].as_str().unwrap()).unwrap();
            let result = test["result"].as_str().unwrap();
            let verified = key.verify_message(&msg, &sig);
            match result {
                "valid" => assert!(verified, "tcId {}: {}", test["tcId"], test["comment"]),
                "invalid" => assert!(!verified, "tcId {}: {}", test["tcId"], test["comment"]),
                _ => {}
            }
            for flag in test["flags"].as_array().unwrap() {
                let flag = flag.as_str().unwrap();
                assert!(file["notes"].get(flag).is_some(), "flag {flag} has a note");
                *counts.entry(flag.to_owned()).or_insert(0) += 1;
            }
        }
    }
    assert_eq!(sizes, [512, 1024, 2048]);
    for flag in [
        "ValidSignature",
        "WrongHashOid",
        "MissingNull",
        "BerEncoding",
        "TrailingData",
        "InvalidPadding",
        "WrongBlockType",
        "SignatureOutOfRange",
        "WrongLength",
    ] {
        assert!(
            counts.get(flag).copied().unwrap_or(0) >= 3,
            "{flag}: {counts:?}"
        );
    }
    let total: u64 = file["testGroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["tests"].as_array().unwrap().len() as u64)
        .sum();
    assert_eq!(file["numberOfTests"].as_u64(), Some(total));
}

#[test]
fn every_receiver_vector_gets_its_result_from_the_allowlist_and_verifier() {
    let file = read("spec/vectors/oss_callback_receiver_test.json");
    let mut allowlist = KeyUrlAllowlist::default();
    for prefix in file["allowedKeyUrlPrefixes"].as_array().unwrap() {
        allowlist = allowlist.with_prefix(prefix.as_str().unwrap().parse().unwrap());
    }
    let published = |url: &str| {
        file["publishedKeys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["url"] == url)
            .map(|k| CallbackPublicKey::from_pem(k["publicKeyPem"].as_str().unwrap()).unwrap())
    };
    let (mut valid, mut invalid) = (0, 0);
    for test in file["tests"].as_array().unwrap() {
        let target = test["target"].as_str().unwrap();
        let body = test["body"].as_str().unwrap();
        let sts = string_to_sign(target, body.as_bytes());
        assert_eq!(
            String::from_utf8_lossy(&sts),
            test["stringToSign"].as_str().unwrap()
        );
        assert_eq!(
            hex::encode(cbspec_protocol::checksum::md5(&sts)),
            test["stringToSignMd5"].as_str().unwrap()
        );
        let header = test["pubKeyUrl"].as_str().unwrap();
        let verdict = allowlist.check_header(header).ok().and_then(|allowed| {
            let key = published(allowed.as_str())?;
            Some(
                key.verify(
                    target,
                    body.as_bytes(),
                    test["authorization"].as_str().unwrap(),
                )
                .is_ok(),
            )
        });
        let expected = test["result"] == "valid";
        assert_eq!(
            verdict == Some(true),
            expected,
            "tcId {}: {}",
            test["tcId"],
            test["comment"]
        );
        // A key-URL case fails on the allowlist alone: the signature is good
        // under the key the URL serves, so a verifier without the check
        // accepts it.
        if test["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "KeyUrlNotAllowed")
        {
            let url = decode_key_url(header).unwrap();
            let lenient = published(&url)
                .or_else(|| published("http://127.0.0.1:9107/attacker/callback_pub_key.pem"))
                .unwrap();
            assert!(lenient
                .verify(
                    target,
                    body.as_bytes(),
                    test["authorization"].as_str().unwrap()
                )
                .is_ok());
        }
        if expected {
            valid += 1;
        } else {
            invalid += 1;
        }
    }
    assert!(
        valid >= 7 && invalid >= 14,
        "{valid} valid, {invalid} invalid"
    );
    let real = file["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| {
            t["flags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == "RealOssSignature")
                && t["result"] == "valid"
        })
        .count();
    assert_eq!(real, 3, "the digest's V1 to V3");
}
