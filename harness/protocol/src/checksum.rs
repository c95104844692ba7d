//! The digests OSS reports for an object: ETag, Content-MD5 and CRC-64.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use crc::{Crc, CRC_64_XZ};
use md5::{Digest, Md5};

/// OSS's `crc64ecma` is the CRC-64/XZ algorithm of the CRC catalogue
/// (ECMA-182 polynomial, reflected, init and xorout all ones).
// spec: CB-CHK-CRC64
pub const OSS_CRC64: Crc<u64> = Crc::<u64>::new(&CRC_64_XZ);

/// The raw MD5 of some bytes.
pub fn md5(data: &[u8]) -> [u8; 16] {
    Md5::digest(data).into()
}

/// The ETag of a simply uploaded object: upper-case hex MD5, no quotes
/// (the `ETag` header adds them; `${etag}` has none).
// spec: CB-CHK-ETAG, CB-SYS-ETAG
pub fn etag(data: &[u8]) -> String {
    hex::encode_upper(md5(data))
}

/// The ETag of a multipart object: the MD5 of the concatenated binary MD5s
/// of its parts, upper-case hex, then `-` and the number of parts.
// spec: CB-CHK-ETAG-MPU
pub fn multipart_etag(part_md5s: &[[u8; 16]]) -> String {
    let mut hasher = Md5::new();
    for part in part_md5s {
        hasher.update(part);
    }
    format!(
        "{}-{}",
        hex::encode_upper(hasher.finalize()),
        part_md5s.len()
    )
}

/// The `Content-MD5` value: Base64 of the 16-byte MD5.
// spec: CB-CHK-CONTENT-MD5, CB-HDR-CONTENT-MD5
pub fn content_md5(data: &[u8]) -> String {
    STANDARD.encode(md5(data))
}

/// The CRC-64 OSS reports in `x-oss-hash-crc64ecma` and `${crc64}`.
// spec: CB-CHK-CRC64
pub fn crc64(data: &[u8]) -> u64 {
    OSS_CRC64.checksum(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    // spec: CB-CHK-ETAG, CB-CHK-CONTENT-MD5
    #[test]
    fn md5_digests_match_published_values() {
        // RFC 1321 §A.5 test suite.
        assert_eq!(etag(b""), "D41D8CD98F00B204E9800998ECF8427E");
        assert_eq!(etag(b"abc"), "900150983CD24FB0D6963F7D28E17F72");
        // Digest Appendix A, V1: body `bucket=yonghu-test` has Content-MD5 x1STW4EVzp0ZZRKUY72zTQ==.
        assert_eq!(
            content_md5(b"bucket=yonghu-test"),
            "x1STW4EVzp0ZZRKUY72zTQ=="
        );
    }

    // spec: CB-CHK-CRC64
    #[test]
    fn crc64_matches_the_catalogue_check_value() {
        // CRC RevEng catalogue, CRC-64/XZ: check = 0x995DC9BBDF1939FA for "123456789".
        assert_eq!(crc64(b"123456789"), 0x995D_C9BB_DF19_39FA);
        assert_eq!(crc64(b"123456789"), 11051210869376104954);
        assert_eq!(crc64(b""), 0);
    }

    // spec: CB-CHK-ETAG-MPU
    #[test]
    fn multipart_etag_hashes_the_binary_part_digests() {
        // Two parts "a" and "b": MD5(md5("a") || md5("b")); the expected value was
        // computed independently with Python's hashlib.
        let parts = [md5(b"a"), md5(b"b")];
        let mut joined = Vec::new();
        joined.extend_from_slice(&hex::decode("0cc175b9c0f1b6a831c399e269772661").unwrap());
        joined.extend_from_slice(&hex::decode("92eb5ffee6ae2fec3ad71c777531578f").unwrap());
        assert_eq!(parts.concat(), joined, "RFC-known MD5s of \"a\" and \"b\"");
        assert_eq!(multipart_etag(&parts), "96E024BA2074FE77E8E965BA43A704BE-2");
    }
}
