//! The RSA signature OSS puts on every callback request, and the public-key
//! URL that comes with it.
//!
//! `string_to_sign = url_decode(path) + query-with-'?' + "\n" + body`, signed
//! with RSASSA-PKCS1-v1_5 over MD5, Base64 in `Authorization` (no scheme).

// The key URL and its allowlist have their own module; these names stay
// reachable here, beside the verifier that needs them.
pub use crate::key_url::{
    decode_key_url, encode_key_url, AllowedKeyUrl, KeyUrlAllowlist, KeyUrlError, KeyUrlPrefix,
    PrefixError, OFFICIAL_KEY_FILE, OFFICIAL_KEY_URL, OFFICIAL_KEY_URL_PREFIXES,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use md5::Md5;
use percent_encoding::{percent_decode, percent_decode_str};
use rsa::pkcs1::{
    DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey, EncodeRsaPublicKey,
};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use std::sync::Arc;

use super::checksum::md5;
use super::rsa_md5::LibcryptoRsa;

/// OSS's callback public key (`callback_pub_key_v1.pem`, RSA 512-bit,
/// e = 65537). Every real OSS-signed callback in the digest verifies under
/// it (digest §7.2).
// spec: CB-KEY-OFFICIAL
pub const OFFICIAL_PUBLIC_KEY_PEM: &str = "-----BEGIN PUBLIC KEY-----
MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKs/JBGzwUB2aVht4crBx3oIPBLNsjGs
C0fTXv+nvlmklvkcolvpvXLTjaxUHR3W9LXxQ2EHXAJfCB+6H2YF1k8CAwEAAQ==
-----END PUBLIC KEY-----
";

/// The DER `DigestInfo` prefix for MD5 in a PKCS#1 v1.5 signature block
/// (RFC 8017 §9.2, note 1).
const MD5_DIGEST_INFO: [u8; 18] = [
    0x30, 0x20, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05, 0x05, 0x00,
    0x04, 0x10,
];

/// The bytes OSS signs for a request to `target` (path plus optional
/// `?query`, as the callback server received it) with `body`.
///
/// The path is percent-decoded (`+` stays `+`); the query is kept raw with
/// its `?`; a target without `?` adds nothing; one `\n` separates the body.
// spec: CB-SIG-STRING-TO-SIGN, CB-SIG-PATH-DECODE, CB-SIG-QUERY-RAW, CB-SIG-NO-BARE-QUESTION, CB-SIG-LF, CB-SIG-BODY-RAW, CB-SIG-PLUS-NOT-SPACE
pub fn string_to_sign(target: &str, body: &[u8]) -> Vec<u8> {
    let (path, query) = match target.find('?') {
        Some(i) => target.split_at(i),
        None => (target, ""),
    };
    let mut out: Vec<u8> = percent_decode_str(path).collect();
    out.extend_from_slice(query.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

/// Why a key could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("not an RSA key in PEM form (PKCS#8, SPKI or PKCS#1): {0}")]
pub struct KeyError(String);

/// Signs callbacks, as the emulator does with its own key.
#[derive(Debug, Clone)]
pub struct CallbackSigner {
    key: RsaPrivateKey,
    /// The same key in libcrypto, parsed once: what signs.
    fast: Option<Arc<LibcryptoRsa>>,
}

impl CallbackSigner {
    /// Loads a private key from PEM (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let key = RsaPrivateKey::from_pkcs8_pem(pem)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
            .map_err(|e| KeyError(e.to_string()))?;
        let fast = key
            .to_pkcs1_der()
            .ok()
            .and_then(|der| LibcryptoRsa::private_from_pkcs1_der(der.as_bytes()))
            .map(Arc::new);
        Ok(Self { key, fast })
    }

    /// The `Authorization` header value for a callback to `target` with `body`.
    // spec: CB-SIG-ALGORITHM, CB-SIG-BASE64, CB-HDR-AUTHORIZATION
    pub fn sign(&self, target: &str, body: &[u8]) -> String {
        STANDARD.encode(self.sign_digest(&md5(&string_to_sign(target, body))))
    }

    /// The raw signature of an MD5 digest: libcrypto's, or the `rsa`
    /// crate's for a key libcrypto refused (PKCS#1 v1.5 signatures are
    /// deterministic, so both give the same bytes).
    fn sign_digest(&self, digest: &[u8; 16]) -> Vec<u8> {
        if let Some(signature) = self.fast.as_ref().and_then(|k| k.sign_md5(digest)) {
            return signature;
        }
        self.key
            .sign(Pkcs1v15Sign::new::<Md5>(), digest)
            .expect("a loaded RSA key of at least 512 bits can sign an MD5 DigestInfo")
    }

    /// The matching public key.
    pub fn public_key(&self) -> CallbackPublicKey {
        CallbackPublicKey::from_key(self.key.to_public_key())
    }
}

/// Why a callback signature did not verify, said precisely enough to act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The `Authorization` value is not standard Base64.
    #[error("the Authorization header is not Base64; it must be the bare Base64 signature, with no scheme prefix")]
    AuthorizationNotBase64,
    /// The signature has the wrong length for this key.
    #[error("the signature is {actual} bytes but this key signs {expected}-byte signatures: wrong key, or a truncated header")]
    WrongLength {
        /// Bytes a signature of this key has.
        expected: usize,
        /// Bytes received.
        actual: usize,
    },
    /// The signature was not made by this key's private half (or is corrupt).
    #[error("the signature was not produced by this public key: check x-oss-pub-key-url and the key you verify with")]
    WrongKey,
    /// The key matches but the signed content differs from what was received.
    #[error("the key is right but the signed content differs (signed MD5 {signed}, computed {computed}): the path, query or body verified is not what OSS signed{hint}")]
    ContentMismatch {
        /// Hex MD5 inside the signature.
        signed: String,
        /// Hex MD5 of the string-to-sign built from what was received.
        computed: String,
        /// Known mistakes whose string-to-sign matches the signature.
        hint: String,
    },
}

/// A public key that verifies callback signatures.
#[derive(Debug, Clone)]
pub struct CallbackPublicKey {
    key: RsaPublicKey,
    /// The same key in libcrypto, parsed once: what verifies.
    fast: Option<Arc<LibcryptoRsa>>,
}

impl PartialEq for CallbackPublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for CallbackPublicKey {}

impl CallbackPublicKey {
    fn from_key(key: RsaPublicKey) -> Self {
        let fast = key
            .to_pkcs1_der()
            .ok()
            .and_then(|der| LibcryptoRsa::public_from_pkcs1_der(der.as_bytes()))
            .map(Arc::new);
        Self { key, fast }
    }

    /// Whether `signature` is the PKCS#1 v1.5 signature of `digest`:
    /// libcrypto decides, or the `rsa` crate for a key libcrypto refused.
    fn verifies(&self, digest: &[u8; 16], signature: &[u8]) -> bool {
        match &self.fast {
            Some(fast) => fast.verify_md5(digest, signature),
            None => self
                .key
                .verify(Pkcs1v15Sign::new::<Md5>(), digest, signature)
                .is_ok(),
        }
    }

    /// The bundled official OSS key.
    pub fn official() -> Self {
        Self::from_pem(OFFICIAL_PUBLIC_KEY_PEM).expect("the bundled official key parses")
    }

    /// Loads a public key from PEM (SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let key = RsaPublicKey::from_public_key_pem(pem)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
            .map_err(|e| KeyError(e.to_string()))?;
        Ok(Self::from_key(key))
    }

    /// The key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`), as served at a key URL.
    pub fn to_pem(&self) -> String {
        use rsa::pkcs8::{EncodePublicKey, LineEnding};
        self.key
            .to_public_key_pem(LineEnding::LF)
            .expect("an RSA public key always encodes")
    }

    /// Modulus size in bits.
    pub fn bits(&self) -> usize {
        self.key.size() * 8
    }

    /// Whether `signature` (raw bytes, exactly the modulus length) is an
    /// MD5withRSA PKCS#1 v1.5 signature of `message`: the check every
    /// callback verification comes down to, for the published vectors.
    // spec: CB-SIG-ALGORITHM
    pub fn verify_message(&self, message: &[u8], signature: &[u8]) -> bool {
        signature.len() == self.key.size() && self.verifies(&md5(message), signature)
    }

    /// Verifies the `Authorization` value of a callback to `target` with `body`.
    ///
    /// The signature block is opened once (libcrypto, or the `rsa` crate
    /// for a key libcrypto refused) and must be a well-formed PKCS#1 v1.5
    /// MD5 block carrying the MD5 of the string-to-sign; when it carries
    /// another MD5, the error says which classic mistake would explain it.
    // spec: CB-SIG-ALGORITHM, CB-SIG-BASE64, CB-SIG-STRING-TO-SIGN
    pub fn verify(
        &self,
        target: &str,
        body: &[u8],
        authorization: &str,
    ) -> Result<(), VerifyError> {
        let signature = STANDARD
            .decode(authorization.trim())
            .map_err(|_| VerifyError::AuthorizationNotBase64)?;
        let expected_len = self.key.size();
        if signature.len() != expected_len {
            return Err(VerifyError::WrongLength {
                expected: expected_len,
                actual: signature.len(),
            });
        }
        let computed = md5(&string_to_sign(target, body));
        // One public-key operation decides and explains: a PKCS#1 v1.5
        // verification is exactly "the opened block is well formed and
        // carries this digest" (RFC 8017 §8.2.2), so the block opened for
        // the diagnosis is the verification itself.
        let signed = self.signed_md5(&signature).ok_or(VerifyError::WrongKey)?;
        if signed == computed {
            return Ok(());
        }
        let hint = diagnose_mismatch(target, body, &signed);
        Err(VerifyError::ContentMismatch {
            signed: hex::encode(signed),
            computed: hex::encode(computed),
            hint: if hint.is_empty() {
                String::new()
            } else {
                format!(
                    "; it matches a string-to-sign built with {}",
                    hint.join("; or with ")
                )
            },
        })
    }

    /// Opens a signature with the public key and returns the MD5 it carries,
    /// if the block is a well-formed PKCS#1 v1.5 MD5 block.
    fn signed_md5(&self, signature: &[u8]) -> Option<[u8; 16]> {
        if let Some(fast) = &self.fast {
            let payload = fast.open_signature(signature)?;
            let digest = payload.strip_prefix(MD5_DIGEST_INFO.as_slice())?;
            return digest.try_into().ok();
        }
        let s = BigUint::from_bytes_be(signature);
        if &s >= self.key.n() {
            return None;
        }
        let m = rsa::hazmat::rsa_encrypt(&self.key, &s).ok()?;
        let raw = m.to_bytes_be();
        let k = self.key.size();
        let mut block = vec![0u8; k.checked_sub(raw.len())?];
        block.extend_from_slice(&raw);
        let padding_end = k.checked_sub(MD5_DIGEST_INFO.len() + 16 + 1)?;
        let well_formed = block[0] == 0x00
            && block[1] == 0x01
            && block[2..padding_end].iter().all(|b| *b == 0xff)
            && block[padding_end] == 0x00
            && block[padding_end + 1..padding_end + 1 + MD5_DIGEST_INFO.len()] == MD5_DIGEST_INFO;
        if !well_formed {
            return None;
        }
        block[k - 16..].try_into().ok()
    }
}

/// The classic verifier mistakes (digest §10 pitfall 11), each as the
/// string-to-sign it would produce: if one matches the signed MD5, the
/// receiver (or a proxy in front of it) did that.
fn diagnose_mismatch(target: &str, body: &[u8], signed: &[u8; 16]) -> Vec<&'static str> {
    let (path, query) = match target.find('?') {
        Some(i) => target.split_at(i),
        None => (target, ""),
    };
    let decoded_path: Vec<u8> = percent_decode_str(path).collect();
    let join = |path: &[u8], query: &[u8], sep: &[u8], body: &[u8]| -> Vec<u8> {
        [path, query, sep, body].concat()
    };
    let mut candidates: Vec<(&'static str, Vec<u8>)> = vec![
        (
            "the path left percent-encoded",
            join(path.as_bytes(), query.as_bytes(), b"\n", body),
        ),
        (
            "the query string left out",
            join(&decoded_path, b"", b"\n", body),
        ),
        (
            "a '?' added after a query-less path",
            join(&decoded_path, b"?", b"\n", body),
        ),
        (
            "\"\\r\\n\" instead of \"\\n\" before the body",
            join(&decoded_path, query.as_bytes(), b"\r\n", body),
        ),
        (
            "'+' in the path read as a space",
            join(
                &percent_decode_str(&path.replace('+', " ")).collect::<Vec<u8>>(),
                query.as_bytes(),
                b"\n",
                body,
            ),
        ),
        (
            "the query string percent-decoded",
            join(
                &decoded_path,
                &percent_decode_str(query).collect::<Vec<u8>>(),
                b"\n",
                body,
            ),
        ),
        (
            "the path percent-decoded twice (a proxy encoded it again)",
            join(
                &percent_decode(&decoded_path).collect::<Vec<u8>>(),
                query.as_bytes(),
                b"\n",
                body,
            ),
        ),
        (
            "an extra newline after the body",
            join(
                &decoded_path,
                query.as_bytes(),
                b"\n",
                &[body, b"\n"].concat(),
            ),
        ),
    ];
    if let Some(stripped) = body.strip_suffix(b"\n") {
        candidates.push((
            "the body's final newline dropped",
            join(&decoded_path, query.as_bytes(), b"\n", stripped),
        ));
    }
    let exact = string_to_sign(target, body);
    candidates
        .into_iter()
        .filter(|(_, sts)| *sts != exact && md5(sts) == *signed)
        .map(|(why, _)| why)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: [&str; 4] = [
        include_str!("../../keys/vectors-rsa-512.pem"),
        include_str!("../../keys/vectors-rsa-1024.pem"),
        include_str!("../../keys/vectors-rsa-2048.pem"),
        include_str!("../../keys/emulator-dev-key.pem"),
    ];

    /// libcrypto and the `rsa` crate are two implementations of one
    /// deterministic scheme: each signs the same bytes, and each accepts
    /// the other's signature and refuses it with one bit flipped.
    // spec: CB-SIG-ALGORITHM
    #[test]
    fn libcrypto_and_the_rsa_crate_agree_on_every_key_size() {
        for pem in KEYS {
            let signer = CallbackSigner::from_pem(pem).unwrap();
            assert!(
                signer.fast.is_some(),
                "libcrypto takes a {}-bit key",
                signer.key.size() * 8
            );
            let public = signer.public_key();
            assert!(public.fast.is_some());
            for message in [&b""[..], b"/cb?a=1\nbucket=b&object=o", &[0xffu8; 5000][..]] {
                let digest = md5(message);
                let fast = signer.fast.as_ref().unwrap().sign_md5(&digest).unwrap();
                let pure = signer
                    .key
                    .sign(Pkcs1v15Sign::new::<Md5>(), &digest)
                    .unwrap();
                assert_eq!(fast, pure);
                assert!(public
                    .key
                    .verify(Pkcs1v15Sign::new::<Md5>(), &digest, &fast)
                    .is_ok());
                assert!(public.verifies(&digest, &pure));
                let mut flipped = pure.clone();
                let middle = flipped.len() / 2;
                flipped[middle] ^= 0x10;
                assert!(!public.verifies(&digest, &flipped));
                assert!(!public.verifies(&md5(b"other"), &pure));
                assert!(!public.verifies(&digest, &pure[1..]), "a short signature");
            }
        }
    }

    /// `verify` decides with one opened block: it accepts exactly a
    /// well-formed PKCS#1 v1.5 MD5 block (a hand-built one included) and
    /// refuses a block with one padding byte changed or another DigestInfo,
    /// with both implementations.
    // spec: CB-SIG-ALGORITHM
    #[test]
    fn verification_accepts_exactly_a_well_formed_md5_block() {
        use rsa::traits::PrivateKeyParts;
        let target = "/cb?x=1";
        let body = b"bucket=b";
        let digest = md5(&string_to_sign(target, body));
        for pem in KEYS {
            let signer = CallbackSigner::from_pem(pem).unwrap();
            let k = signer.key.size();
            let raw_sign = |block: &[u8]| {
                let m = BigUint::from_bytes_be(block);
                let s = m.modpow(signer.key.d(), signer.key.n()).to_bytes_be();
                let mut signature = vec![0u8; k - s.len()];
                signature.extend_from_slice(&s);
                STANDARD.encode(signature)
            };
            let block = |info: &[u8], filler: u8| {
                let mut block = vec![0x00, 0x01];
                block.resize(k - info.len() - 16 - 1, filler);
                block.push(0x00);
                block.extend_from_slice(info);
                block.extend_from_slice(&digest);
                block
            };
            // SHA-1's DigestInfo prefix (RFC 8017 §9.2 note 1), cut to MD5's length.
            let sha1_info: [u8; 18] = [
                0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
                0x14, 0x00, 0x00, 0x00,
            ];
            let mut one_byte_off = block(&MD5_DIGEST_INFO, 0xff);
            one_byte_off[5] = 0xfe;
            let public = signer.public_key();
            let pure = CallbackPublicKey {
                key: public.key.clone(),
                fast: None,
            };
            for key in [&public, &pure] {
                assert_eq!(
                    key.verify(target, body, &raw_sign(&block(&MD5_DIGEST_INFO, 0xff))),
                    Ok(())
                );
                assert_eq!(
                    key.verify(target, body, &raw_sign(&one_byte_off)),
                    Err(VerifyError::WrongKey)
                );
                assert_eq!(
                    key.verify(target, body, &raw_sign(&block(&sha1_info, 0xff))),
                    Err(VerifyError::WrongKey)
                );
                assert!(matches!(
                    key.verify("/cb?x=2", body, &signer.sign(target, body)),
                    Err(VerifyError::ContentMismatch { .. })
                ));
            }
        }
    }

    // spec: CB-SIG-PATH-DECODE, CB-SIG-QUERY-RAW, CB-SIG-NO-BARE-QUESTION, CB-SIG-LF, CB-SIG-PLUS-NOT-SPACE
    #[test]
    fn string_to_sign_decodes_only_the_path() {
        assert_eq!(
            string_to_sign("/a%20b+c/%E4%B8%AD?x=%2F&y=+", b"body"),
            "/a b+c/中?x=%2F&y=+\nbody".as_bytes()
        );
        assert_eq!(string_to_sign("/cb", b""), b"/cb\n");
        assert_eq!(string_to_sign("/cb?", b"b"), b"/cb?\nb");
    }

    #[test]
    fn bundled_official_key_is_512_bits() {
        assert_eq!(CallbackPublicKey::official().bits(), 512);
    }
}
