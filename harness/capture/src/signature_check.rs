//! The signature check a careful callback receiver makes, applied to every
//! captured request: key URL from `x-oss-pub-key-url`, allowlist first (a
//! refused URL is never fetched), the bundled key for the official URL,
//! other allowed keys fetched once and cached by URL.

use cbspec_protocol::headers::Headers;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use super::recorder::lock;
use cbspec_protocol::signature::{
    decode_key_url, AllowedKeyUrl, CallbackPublicKey, KeyUrlAllowlist, KeyUrlPrefix,
};

/// A PEM public key is well under a kilobyte; anything much larger is not one.
const MAX_KEY_BYTES: usize = 16 * 1024;

/// How long a failed fetch stands before the URL is tried again, so a burst
/// of callbacks naming a dead key server costs one timeout, not one each.
const RETRY_FAILED_FETCH_AFTER: Duration = Duration::from_secs(10);

/// The outcome of checking one request's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureVerdict {
    /// The signature verifies under the key at `key_url`.
    Valid {
        /// The decoded key URL.
        key_url: String,
    },
    /// The key was obtained but the signature does not verify; `reason` is
    /// the verifier's diagnosis (bad Base64, wrong length or key, or content
    /// mismatch with the likely mistake).
    Invalid {
        /// The decoded key URL.
        key_url: String,
        /// Why it failed.
        reason: String,
    },
    /// The key URL is outside the allowlist, so it was not fetched.
    // spec: CB-KEY-ALLOWLIST
    KeyUrlRefused {
        /// The decoded key URL.
        url: String,
        /// The refusal, with the prefixes in force.
        reason: String,
    },
    /// The key URL is allowed but no key could be had from it (fetch error,
    /// timeout, non-200, not a PEM public key).
    KeyUnavailable {
        /// The decoded key URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// A header needed for the check is absent or unreadable.
    Missing {
        /// Which header, and what is wrong with it.
        what: String,
    },
    /// A signature header appears more than once: which one a receiver
    /// would use is ambiguous, so the request fails verification.
    // spec: CB-SIG-DUPLICATE-HEADERS
    Duplicated {
        /// The header's name.
        header: String,
        /// How many times it appears.
        count: usize,
    },
    /// The request was refused by a limit before its body was complete, so
    /// there is nothing meaningful to verify.
    NotChecked {
        /// Why.
        reason: String,
    },
}

impl SignatureVerdict {
    /// Whether the signature verified.
    pub fn is_valid(&self) -> bool {
        matches!(self, SignatureVerdict::Valid { .. })
    }

    /// The decoded key URL the request named, when it named a readable one.
    pub fn key_url(&self) -> Option<&str> {
        match self {
            SignatureVerdict::Valid { key_url } | SignatureVerdict::Invalid { key_url, .. } => {
                Some(key_url)
            }
            SignatureVerdict::KeyUrlRefused { url, .. }
            | SignatureVerdict::KeyUnavailable { url, .. } => Some(url),
            _ => None,
        }
    }

    /// A stable one-word name of the verdict, for counts in reports.
    pub fn word(&self) -> &'static str {
        match self {
            SignatureVerdict::Valid { .. } => "valid",
            SignatureVerdict::Invalid { .. } => "invalid",
            SignatureVerdict::KeyUrlRefused { .. } => "key-url-refused",
            SignatureVerdict::KeyUnavailable { .. } => "key-unavailable",
            SignatureVerdict::Missing { .. } => "unsigned",
            SignatureVerdict::Duplicated { .. } => "duplicated-header",
            SignatureVerdict::NotChecked { .. } => "not-checked",
        }
    }
}

impl fmt::Display for SignatureVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureVerdict::Valid { key_url } => write!(f, "valid (key {key_url})"),
            SignatureVerdict::Invalid { key_url, reason } => {
                write!(f, "INVALID (key {key_url}): {reason}")
            }
            SignatureVerdict::KeyUrlRefused { reason, .. } => {
                write!(f, "key URL refused: {reason}")
            }
            SignatureVerdict::KeyUnavailable { url, reason } => {
                write!(f, "key unavailable from {url}: {reason}")
            }
            SignatureVerdict::Missing { what } => write!(f, "unsigned: {what}"),
            SignatureVerdict::Duplicated { header, count } => write!(
                f,
                "INVALID: {header} appears {count} times; a signed callback has exactly one"
            ),
            SignatureVerdict::NotChecked { reason } => write!(f, "not checked: {reason}"),
        }
    }
}

/// What is known about one key URL.
#[derive(Debug)]
enum CachedKey {
    Key(CallbackPublicKey),
    Failed { reason: String, at: Instant },
}

/// Key URL allowlist plus the keys fetched so far.
#[derive(Debug)]
pub(crate) struct KeyCache {
    allowlist: RwLock<KeyUrlAllowlist>,
    official: CallbackPublicKey,
    client: reqwest::Client,
    fetch_timeout: Duration,
    /// One async lock per URL: concurrent first requests for a URL wait for
    /// the one fetch in progress instead of each fetching.
    // spec: CB-KEY-CACHE
    entries: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<CachedKey>>>>>,
    /// Never fetch: allowed URLs other than the official one are unavailable.
    offline: bool,
}

impl KeyCache {
    /// A cache that fetches with `fetch_timeout` per key.
    pub(crate) fn new(
        allowlist: KeyUrlAllowlist,
        fetch_timeout: Duration,
    ) -> Result<Self, reqwest::Error> {
        // reqwest is built without a default crypto provider (only ring is
        // compiled) and panics when none is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            // A key URL that redirects elsewhere would escape the allowlist.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(fetch_timeout)
            .connect_timeout(fetch_timeout)
            // Key servers in tests sit on loopback; a proxy from the
            // environment must not intercept them.
            .no_proxy()
            .build()?;
        Ok(Self {
            allowlist: RwLock::new(allowlist),
            official: CallbackPublicKey::official(),
            client,
            fetch_timeout,
            entries: Mutex::default(),
            offline: false,
        })
    }

    /// A cache that never fetches (for judging arbitrary input in process,
    /// where an allowed URL could name any host).
    pub(crate) fn offline(allowlist: KeyUrlAllowlist) -> Result<Self, reqwest::Error> {
        let mut cache = Self::new(allowlist, Duration::from_secs(1))?;
        cache.offline = true;
        Ok(cache)
    }

    /// Adds an allowed prefix while running.
    pub(crate) fn allow_prefix(&self, prefix: KeyUrlPrefix) {
        let mut allowlist = self
            .allowlist
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *allowlist = allowlist.clone().with_prefix(prefix);
    }

    /// Checks the signature of a request with this raw `target`, `headers`
    /// and `body`, exactly as received.
    // spec: CB-KEY-URL-BASE64, CB-SIG-STRING-TO-SIGN, CB-SIG-BODY-RAW, CB-SIG-PATH-ORIGINAL
    pub(crate) async fn verdict(
        &self,
        target: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> SignatureVerdict {
        for name in ["authorization", "x-oss-pub-key-url"] {
            let count = headers.headers_named(name).count();
            if count > 1 {
                return SignatureVerdict::Duplicated {
                    header: name.to_owned(),
                    count,
                };
            }
        }
        let find = |name: &str| headers.header(name);
        let (authorization, key_url_header) =
            match (find("authorization"), find("x-oss-pub-key-url")) {
                (Some(a), Some(k)) => (a, k),
                (None, None) => return missing("no Authorization and no x-oss-pub-key-url header"),
                (None, Some(_)) => return missing("no Authorization header"),
                (Some(_), None) => return missing("no x-oss-pub-key-url header"),
            };
        let url = match decode_key_url(key_url_header) {
            Ok(url) => url,
            Err(e) => return missing(&e.to_string()),
        };
        let allowed = self
            .allowlist
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .check(&url);
        let allowed = match allowed {
            Ok(allowed) => allowed,
            Err(e) => {
                return SignatureVerdict::KeyUrlRefused {
                    url,
                    reason: e.to_string(),
                }
            }
        };
        // From here on the URL is the one that was checked, as the fetcher
        // reads it, never the header's text.
        let url = allowed.to_string();
        let key = match self.key_for(&allowed).await {
            Ok(key) => key,
            Err(reason) => return SignatureVerdict::KeyUnavailable { url, reason },
        };
        match key.verify(target, body, authorization) {
            Ok(()) => SignatureVerdict::Valid { key_url: url },
            Err(e) => SignatureVerdict::Invalid {
                key_url: url,
                reason: e.to_string(),
            },
        }
    }

    /// The key behind an allowed URL: the bundled one for the official URL
    /// (never fetched), otherwise fetched once and cached.
    // spec: CB-KEY-OFFICIAL, CB-KEY-CACHE
    async fn key_for(&self, allowed: &AllowedKeyUrl) -> Result<CallbackPublicKey, String> {
        if allowed.is_official() {
            return Ok(self.official.clone());
        }
        let url = allowed.as_str();
        if self.offline {
            return Err("not fetched: this check runs offline".into());
        }
        let entry = lock(&self.entries)
            .entry(url.to_owned())
            .or_default()
            .clone();
        let mut entry = entry.lock().await;
        match &*entry {
            Some(CachedKey::Key(key)) => return Ok(key.clone()),
            Some(CachedKey::Failed { reason, at }) if at.elapsed() < RETRY_FAILED_FETCH_AFTER => {
                return Err(reason.clone())
            }
            _ => {}
        }
        let fetched = self.fetch(url).await;
        *entry = Some(match &fetched {
            Ok(key) => CachedKey::Key(key.clone()),
            Err(reason) => CachedKey::Failed {
                reason: reason.clone(),
                at: Instant::now(),
            },
        });
        fetched
    }

    async fn fetch(&self, url: &str) -> Result<CallbackPublicKey, String> {
        let mut response = self.client.get(url).send().await.map_err(|e| {
            if e.is_timeout() {
                format!("no answer within {:?}", self.fetch_timeout)
            } else {
                format!("cannot fetch the key: {e}")
            }
        })?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(format!(
                "the key URL answered {status}, not 200 (redirects are not followed)"
            ));
        }
        let mut pem = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    pem.extend_from_slice(&chunk);
                    if pem.len() > MAX_KEY_BYTES {
                        return Err(format!(
                            "the key URL answered more than {MAX_KEY_BYTES} bytes; a PEM public key is far smaller"
                        ));
                    }
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => {
                    return Err(format!(
                        "the key did not arrive within {:?}",
                        self.fetch_timeout
                    ))
                }
                Err(e) => return Err(format!("the key download broke off: {e}")),
            }
        }
        let pem = String::from_utf8(pem)
            .map_err(|_| "the key URL did not answer a PEM public key (not text)".to_owned())?;
        CallbackPublicKey::from_pem(&pem)
            .map_err(|e| format!("the key URL did not answer a PEM public key: {e}"))
    }
}

fn missing(what: &str) -> SignatureVerdict {
    SignatureVerdict::Missing {
        what: what.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    // spec: CB-KEY-OFFICIAL, CB-SIG-VECTORS
    #[tokio::test]
    async fn the_official_vector_verifies_with_the_bundled_key() {
        let cache = KeyCache::new(KeyUrlAllowlist::default(), Duration::from_millis(1)).unwrap();
        let verdict = cache
            .verdict(
                "/index.php?id=1&index=2",
                &headers(&[
                    ("Authorization", "kKQeGTRccDKyHB3H9vF+xYMSrmhMZjzzl2/kdD1ktNVgbWEfYTQG0G2SU/RaHBovRCE8OkQDjC3uG33esH2txA=="),
                    ("x-oss-pub-key-url", "aHR0cDovL2dvc3NwdWJsaWMuYWxpY2RuLmNvbS9jYWxsYmFja19wdWJfa2V5X3YxLnBlbQ=="),
                ]),
                b"bucket=yonghu-test",
            )
            .await;
        assert_eq!(
            verdict,
            SignatureVerdict::Valid {
                key_url: "http://gosspublic.alicdn.com/callback_pub_key_v1.pem".into()
            }
        );
    }

    // spec: CB-KEY-ALLOWLIST
    #[tokio::test]
    async fn a_refused_or_unreadable_key_url_is_a_verdict() {
        let cache = KeyCache::new(KeyUrlAllowlist::default(), Duration::from_millis(1)).unwrap();
        let refused = cache
            .verdict(
                "/cb",
                &headers(&[
                    ("Authorization", "AAAA"),
                    (
                        "x-oss-pub-key-url",
                        &cbspec_protocol::signature::encode_key_url("http://127.0.0.1:1/k.pem"),
                    ),
                ]),
                b"",
            )
            .await;
        assert!(
            matches!(&refused, SignatureVerdict::KeyUrlRefused { url, .. } if url == "http://127.0.0.1:1/k.pem"),
            "{refused:?}"
        );
        let not_base64 = cache
            .verdict(
                "/cb",
                &headers(&[("Authorization", "AAAA"), ("x-oss-pub-key-url", "%%%")]),
                b"",
            )
            .await;
        assert!(
            matches!(not_base64, SignatureVerdict::Missing { .. }),
            "{not_base64:?}"
        );
    }
}
