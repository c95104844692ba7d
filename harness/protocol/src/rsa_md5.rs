//! MD5withRSA (RSASSA-PKCS1-v1_5 over MD5) through AWS-LC's libcrypto.
//!
//! Why not the pure-Rust `rsa` crate for these two operations: measured side
//! by side on this project's 2-core machine (release, 1024-bit key, 20 000
//! operations, 3 interleaved rounds, median; `docs/performance.md`), the
//! `rsa` crate 0.9 signs in 504 µs and verifies in 105 µs, AWS-LC in 153 µs
//! and 6.3 µs (OpenSSL 1.1 through the `openssl` crate: 136 µs and 13.9 µs;
//! `rsa` 0.10: 953 µs and 34 µs). The emulator signs every callback and the
//! capture server verifies every one, so this is the callback path's largest
//! single cost. `aws-lc-sys` builds from crates.io with the C compiler alone
//! (no system OpenSSL, no cmake needed) in about a minute, where a vendored
//! OpenSSL took 3 min 38 s. Key parsing, PEM encoding and the diagnostic
//! opening of a failed signature stay with the `rsa` crate.
//!
//! The only `unsafe` in the crate is here: five libcrypto calls on buffers
//! whose lengths are passed with them, a size query, and an `RSA` handle freed once.

use std::ptr::NonNull;

/// An RSA key inside libcrypto (private or public half).
pub(crate) struct LibcryptoRsa {
    key: NonNull<aws_lc_sys::RSA>,
    /// Bytes in a signature: the modulus length.
    size: usize,
}

// SAFETY: AWS-LC documents `RSA` objects as safe to use from several
// threads at once for signing and verifying (its blinding and Montgomery
// caches take their own locks); nothing here mutates the key otherwise.
unsafe impl Send for LibcryptoRsa {}
// SAFETY: as above.
unsafe impl Sync for LibcryptoRsa {}

impl std::fmt::Debug for LibcryptoRsa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LibcryptoRsa")
            .field("bits", &(self.size * 8))
            .finish()
    }
}

impl Drop for LibcryptoRsa {
    fn drop(&mut self) {
        // SAFETY: `key` came from an `RSA_*_from_bytes` call that returned
        // a new reference, and is freed exactly once, here.
        unsafe { aws_lc_sys::RSA_free(self.key.as_ptr()) }
    }
}

impl LibcryptoRsa {
    /// A private key from PKCS#1 `RSAPrivateKey` DER; `None` if libcrypto
    /// refuses it.
    pub(crate) fn private_from_pkcs1_der(der: &[u8]) -> Option<Self> {
        // SAFETY: libcrypto reads exactly `der.len()` bytes from `der`.
        let key = unsafe { aws_lc_sys::RSA_private_key_from_bytes(der.as_ptr(), der.len()) };
        Self::wrap(key)
    }

    /// A public key from PKCS#1 `RSAPublicKey` DER; `None` if libcrypto
    /// refuses it.
    pub(crate) fn public_from_pkcs1_der(der: &[u8]) -> Option<Self> {
        // SAFETY: libcrypto reads exactly `der.len()` bytes from `der`.
        let key = unsafe { aws_lc_sys::RSA_public_key_from_bytes(der.as_ptr(), der.len()) };
        Self::wrap(key)
    }

    fn wrap(key: *mut aws_lc_sys::RSA) -> Option<Self> {
        let key = NonNull::new(key)?;
        // SAFETY: `key` is a valid RSA handle.
        let size = unsafe { aws_lc_sys::RSA_size(key.as_ptr()) } as usize;
        Some(Self { key, size })
    }

    /// The PKCS#1 v1.5 signature of an MD5 digest.
    pub(crate) fn sign_md5(&self, digest: &[u8; 16]) -> Option<Vec<u8>> {
        let mut signature = vec![0u8; self.size];
        let mut written: std::ffi::c_uint = 0;
        // SAFETY: `digest` is 16 readable bytes; `signature` has RSA_size
        // writable bytes, the most RSA_sign writes; `written` is a valid
        // out-pointer; the key is valid for the call.
        let ok = unsafe {
            aws_lc_sys::RSA_sign(
                aws_lc_sys::NID_md5 as std::ffi::c_int,
                digest.as_ptr(),
                digest.len(),
                signature.as_mut_ptr(),
                &mut written,
                self.key.as_ptr(),
            )
        };
        (ok == 1 && written as usize == self.size).then_some(signature)
    }

    /// Opens a signature with the public key: the payload of a well-formed
    /// PKCS#1 v1.5 type-1 block (for an MD5 signature, the DigestInfo and
    /// the digest), or `None`.
    pub(crate) fn open_signature(&self, signature: &[u8]) -> Option<Vec<u8>> {
        if signature.len() != self.size {
            return None;
        }
        let mut payload = vec![0u8; self.size];
        // SAFETY: `signature` holds `size` readable bytes and `payload` has
        // `size` writable bytes, the most RSA_public_decrypt writes.
        let written = unsafe {
            aws_lc_sys::RSA_public_decrypt(
                signature.len(),
                signature.as_ptr(),
                payload.as_mut_ptr(),
                self.key.as_ptr(),
                aws_lc_sys::RSA_PKCS1_PADDING as std::ffi::c_int,
            )
        };
        let written = usize::try_from(written).ok()?;
        payload.truncate(written);
        Some(payload)
    }

    /// Whether `signature` is a PKCS#1 v1.5 signature of this MD5 digest.
    pub(crate) fn verify_md5(&self, digest: &[u8; 16], signature: &[u8]) -> bool {
        // SAFETY: both buffers are passed with their lengths and only read;
        // the key is valid for the call.
        let ok = unsafe {
            aws_lc_sys::RSA_verify(
                aws_lc_sys::NID_md5 as std::ffi::c_int,
                digest.as_ptr(),
                digest.len(),
                signature.as_ptr(),
                signature.len(),
                self.key.as_ptr(),
            )
        };
        ok == 1
    }
}
