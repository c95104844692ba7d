//! The callback key URL: its `x-oss-pub-key-url` encoding, and the
//! allowlist a verifier consults before it fetches a key.
//!
//! The allowlist decides on the URL exactly as the fetching client will
//! read it: the WHATWG URL parser of the `url` crate, which reqwest uses.
//! A byte-prefix match is not enough, because that parser removes tabs,
//! turns `\` into `/`, decodes `%2e` and resolves `..` before a request is
//! sent (`http://h/keys/../x.pem` fetches `/x.pem`). So both the prefix
//! and the candidate are parsed, compared by scheme, host, port and a path
//! prefix that ends on a segment boundary, and the parsed URL is what the
//! caller fetches.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use url::Url;

/// The key URL real callbacks carry today.
pub const OFFICIAL_KEY_URL: &str = "https://gosspublic.alicdn.com/callback_pub_key_v1.pem";

/// The prefixes a verifier may fetch keys from, per the OSS docs.
// spec: CB-KEY-ALLOWLIST
pub const OFFICIAL_KEY_URL_PREFIXES: [&str; 2] = [
    "http://gosspublic.alicdn.com/",
    "https://gosspublic.alicdn.com/",
];

/// The file name of the official key under the official prefixes.
pub const OFFICIAL_KEY_FILE: &str = "callback_pub_key_v1.pem";

/// Why an `x-oss-pub-key-url` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyUrlError {
    /// The header is not Base64 of UTF-8 text.
    #[error("x-oss-pub-key-url is not the Base64 of a URL")]
    NotBase64,
    /// The text is not an absolute URL at all.
    #[error("key URL {url:?} is not an absolute URL ({reason}); refusing to fetch it")]
    NotAUrl {
        /// The decoded text.
        url: String,
        /// What the URL parser said.
        reason: String,
    },
    /// The URL carries a user name or password, which no allowed prefix has
    /// and which hides the real host from a careless reader.
    // spec: CB-KEY-URL-NO-USERINFO
    #[error("key URL {url:?} has user information ('user@'); refusing to fetch it")]
    Userinfo {
        /// The decoded URL.
        url: String,
    },
    /// The URL is outside the allowlist; it must never be fetched.
    #[error(
        "key URL {url:?} (read as {normalised:?}) is not under an allowed prefix ({allowed}); refusing to fetch it"
    )]
    NotAllowed {
        /// The decoded URL.
        url: String,
        /// The URL as the fetching client reads it.
        normalised: String,
        /// The prefixes in force.
        allowed: String,
    },
}

/// Encodes a key URL for the `x-oss-pub-key-url` header.
// spec: CB-KEY-URL-BASE64, CB-HDR-PUB-KEY-URL
pub fn encode_key_url(url: &str) -> String {
    STANDARD.encode(url)
}

/// Decodes an `x-oss-pub-key-url` header value.
// spec: CB-KEY-URL-BASE64
pub fn decode_key_url(header: &str) -> Result<String, KeyUrlError> {
    let bytes = STANDARD
        .decode(header.trim())
        .map_err(|_| KeyUrlError::NotBase64)?;
    String::from_utf8(bytes).map_err(|_| KeyUrlError::NotBase64)
}

/// Why a key URL prefix cannot be used (a usage error: the prefix comes
/// from the operator, not from a request).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefixError {
    /// Not an absolute URL.
    #[error("key URL prefix {prefix:?} is not an absolute URL ({reason}); write e.g. http://127.0.0.1:9000/keys/")]
    NotAUrl {
        /// The prefix as given.
        prefix: String,
        /// What the URL parser said.
        reason: String,
    },
    /// Not http or https.
    #[error("key URL prefix {prefix:?}: the scheme must be http or https")]
    Scheme {
        /// The prefix as given.
        prefix: String,
    },
    /// Has a user name or password.
    #[error("key URL prefix {prefix:?} has user information; a prefix names a host, never a user")]
    Userinfo {
        /// The prefix as given.
        prefix: String,
    },
    /// Has a query or fragment.
    #[error("key URL prefix {prefix:?} has a query or fragment; a prefix ends with a path ending in '/'")]
    QueryOrFragment {
        /// The prefix as given.
        prefix: String,
    },
    /// Its path does not end in `/`, or it is not written in the form the
    /// URL parser reads it in (so what it allows would not be what it says).
    #[error("key URL prefix {prefix:?} must be written as a URL whose path ends in '/' (e.g. {suggestion:?}), so it matches whole path segments")]
    NotNormal {
        /// The prefix as given.
        prefix: String,
        /// The normal form, with a final `/`.
        suggestion: String,
    },
}

/// One allowed prefix: an absolute http(s) URL with no user information,
/// query or fragment, written in normal form, whose path ends in `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUrlPrefix {
    url: Url,
}

impl KeyUrlPrefix {
    /// The prefix's text (its normal form).
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// Whether `candidate` is under this prefix: the same scheme, host and
    /// port, and a path that starts with the prefix's path (which ends in
    /// `/`, so `/keys/` never matches `/keys-evil/`).
    fn covers(&self, candidate: &Url) -> bool {
        candidate.scheme() == self.url.scheme()
            && candidate.host() == self.url.host()
            && candidate.port_or_known_default() == self.url.port_or_known_default()
            && candidate.path().starts_with(self.url.path())
    }
}

impl FromStr for KeyUrlPrefix {
    type Err = PrefixError;

    fn from_str(prefix: &str) -> Result<Self, PrefixError> {
        let owned = || prefix.to_owned();
        let url = Url::parse(prefix).map_err(|e| PrefixError::NotAUrl {
            prefix: owned(),
            reason: e.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(PrefixError::Scheme { prefix: owned() });
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(PrefixError::Userinfo { prefix: owned() });
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(PrefixError::QueryOrFragment { prefix: owned() });
        }
        if url.as_str() != prefix || !url.path().ends_with('/') {
            let mut suggestion = url.to_string();
            if !suggestion.ends_with('/') {
                suggestion.push('/');
            }
            return Err(PrefixError::NotNormal {
                prefix: owned(),
                suggestion,
            });
        }
        Ok(Self { url })
    }
}

impl fmt::Display for KeyUrlPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key URL the allowlist accepted, as the fetching client reads it:
/// fetch [`AllowedKeyUrl::as_str`], never the text it was decoded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedKeyUrl {
    url: Url,
}

impl AllowedKeyUrl {
    /// The normalised URL: what to fetch and what to cache by.
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// Whether this is the official key, which is bundled and never fetched.
    // spec: CB-KEY-OFFICIAL
    pub fn is_official(&self) -> bool {
        OFFICIAL_KEY_URL_PREFIXES
            .iter()
            .any(|prefix| self.as_str().strip_prefix(prefix) == Some(OFFICIAL_KEY_FILE))
    }
}

impl fmt::Display for AllowedKeyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The URL prefixes a verifier will fetch callback keys from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUrlAllowlist {
    prefixes: Vec<KeyUrlPrefix>,
}

impl Default for KeyUrlAllowlist {
    /// The two official prefixes.
    fn default() -> Self {
        Self {
            prefixes: OFFICIAL_KEY_URL_PREFIXES
                .iter()
                .map(|p| p.parse().expect("the official prefixes are valid"))
                .collect(),
        }
    }
}

impl KeyUrlAllowlist {
    /// Adds a prefix (e.g. the emulator's own key URL base).
    pub fn with_prefix(mut self, prefix: KeyUrlPrefix) -> Self {
        if !self.prefixes.contains(&prefix) {
            self.prefixes.push(prefix);
        }
        self
    }

    /// The prefixes in force.
    pub fn prefixes(&self) -> &[KeyUrlPrefix] {
        &self.prefixes
    }

    /// Accepts a key URL only if the URL the fetching client would request
    /// is under an allowed prefix, and returns that URL.
    // spec: CB-KEY-ALLOWLIST, CB-KEY-URL-NORMALISED, CB-KEY-URL-NO-USERINFO
    pub fn check(&self, text: &str) -> Result<AllowedKeyUrl, KeyUrlError> {
        let url = Url::parse(text).map_err(|e| KeyUrlError::NotAUrl {
            url: text.to_owned(),
            reason: e.to_string(),
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(KeyUrlError::Userinfo {
                url: text.to_owned(),
            });
        }
        if self.prefixes.iter().any(|p| p.covers(&url)) {
            Ok(AllowedKeyUrl { url })
        } else {
            Err(KeyUrlError::NotAllowed {
                url: text.to_owned(),
                normalised: url.to_string(),
                allowed: self
                    .prefixes
                    .iter()
                    .map(KeyUrlPrefix::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        }
    }

    /// Decodes the header and checks the URL.
    pub fn check_header(&self, header: &str) -> Result<AllowedKeyUrl, KeyUrlError> {
        self.check(&decode_key_url(header)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowlist(prefix: &str) -> KeyUrlAllowlist {
        KeyUrlAllowlist::default().with_prefix(prefix.parse().unwrap())
    }

    // spec: CB-KEY-ALLOWLIST, CB-KEY-URL-BASE64
    #[test]
    fn the_official_urls_are_allowed_and_recognised() {
        let allow = KeyUrlAllowlist::default();
        // Appendix A header value (https).
        let url = allow
            .check_header(
                "aHR0cHM6Ly9nb3NzcHVibGljLmFsaWNkbi5jb20vY2FsbGJhY2tfcHViX2tleV92MS5wZW0=",
            )
            .unwrap();
        assert_eq!(url.as_str(), OFFICIAL_KEY_URL);
        assert!(url.is_official());
        assert!(allow
            .check("http://gosspublic.alicdn.com/callback_pub_key_v1.pem")
            .unwrap()
            .is_official());
        assert!(!allow
            .check("https://gosspublic.alicdn.com/other.pem")
            .unwrap()
            .is_official());
        assert_eq!(allow.check_header("%%%"), Err(KeyUrlError::NotBase64));
    }

    // spec: CB-KEY-ALLOWLIST, CB-KEY-URL-NORMALISED
    #[test]
    fn look_alike_hosts_schemes_and_ports_are_refused() {
        let allow = allowlist("http://127.0.0.1:9/keys/");
        for url in [
            "https://gosspublic.alicdn.com.evil.test/callback_pub_key_v1.pem",
            "https://evil.test/gosspublic.alicdn.com/callback_pub_key_v1.pem",
            "ftp://gosspublic.alicdn.com/callback_pub_key_v1.pem",
            "https://127.0.0.1:9/keys/k.pem",
            "http://127.0.0.1:10/keys/k.pem",
            "http://127.0.0.2:9/keys/k.pem",
            "http://127.0.0.1:9/keys-evil/k.pem",
            "http://127.0.0.1:9/keys",
            "http://127.0.0.1:9/KEYS/k.pem",
            "/keys/k.pem",
        ] {
            assert!(allow.check(url).is_err(), "{url} must be refused");
        }
        // The same host written differently is the same host.
        assert!(allow.check("HTTP://127.0.0.1:9/keys/k.pem").is_ok());
    }

    // spec: CB-KEY-URL-NORMALISED
    #[test]
    fn dot_segments_cannot_escape_the_prefix() {
        let allow = allowlist("http://127.0.0.1:9/keys/");
        for url in [
            "http://127.0.0.1:9/keys/../x.pem",
            "http://127.0.0.1:9/keys/%2e%2e/x.pem",
            "http://127.0.0.1:9/keys/.%2E/x.pem",
            "http://127.0.0.1:9/keys/%2E%2e/x.pem",
            "http://127.0.0.1:9/keys/..\\x.pem",
            "http://127.0.0.1:9/keys/\t../x.pem",
            "http://127.0.0.1:9/keys/./../x.pem",
            "http://127.0.0.1:9/keys/a/../../x.pem",
        ] {
            let err = allow.check(url).unwrap_err();
            assert!(
                matches!(&err, KeyUrlError::NotAllowed { normalised, .. } if normalised == "http://127.0.0.1:9/x.pem"),
                "{url}: {err}"
            );
        }
        // Dot segments that stay inside are fine, and what is fetched is the
        // resolved URL.
        let inside = allow.check("http://127.0.0.1:9/keys/a/../k.pem").unwrap();
        assert_eq!(inside.as_str(), "http://127.0.0.1:9/keys/k.pem");
    }

    // spec: CB-KEY-URL-NO-USERINFO
    #[test]
    fn user_information_is_refused() {
        let allow = allowlist("http://127.0.0.1:9/keys/");
        for url in [
            "http://127.0.0.1:9@127.0.0.2:10/keys/k.pem",
            "http://user@127.0.0.1:9/keys/k.pem",
            "http://user:pw@127.0.0.1:9/keys/k.pem",
            "https://gosspublic.alicdn.com@evil.test/callback_pub_key_v1.pem",
        ] {
            assert!(
                matches!(allow.check(url), Err(KeyUrlError::Userinfo { .. })),
                "{url}"
            );
        }
    }

    // spec: CB-KEY-PREFIX-VALID
    #[test]
    fn prefixes_must_be_normal_http_urls_ending_in_a_slash() {
        for (prefix, expected) in [
            ("", "not an absolute URL"),
            ("keys/", "not an absolute URL"),
            ("ftp://127.0.0.1/keys/", "http or https"),
            ("http://u@127.0.0.1/keys/", "user information"),
            ("http://127.0.0.1/keys/?x", "query or fragment"),
            ("http://127.0.0.1:9", "\"http://127.0.0.1:9/\""),
            ("http://127.0.0.1:9/keys", "\"http://127.0.0.1:9/keys/\""),
            (
                "http://127.0.0.1:9/a/../keys/",
                "\"http://127.0.0.1:9/keys/\"",
            ),
            ("HTTP://127.0.0.1:9/keys/", "\"http://127.0.0.1:9/keys/\""),
            ("http://127.0.0.1:80/keys/", "\"http://127.0.0.1/keys/\""),
        ] {
            let err = prefix.parse::<KeyUrlPrefix>().unwrap_err().to_string();
            assert!(err.contains(expected), "{prefix:?}: {err}");
        }
        assert_eq!(
            "http://127.0.0.1:9/keys/"
                .parse::<KeyUrlPrefix>()
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9/keys/"
        );
    }
}
